package rocklet.interop;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for the fault suite: THREADS threads of a real RocketMQ 4.9.3 DefaultMQProducer send
 * synchronously for a bounded time (or until the stop file exists). Every acknowledged send
 * (SEND_OK) is written at once to the acked file as "msgId queueId queueOffset"; the last line of
 * stdout is a JSON summary (attempts, acked, failed, longest run of failures in ms).
 *
 * usage: FaultLoad -n ADDR -t TOPIC --seconds S -o acked.txt [--threads 4] [--size 256]
 *        [--stop-file F]
 */
public final class FaultLoad {
    static final String USAGE = "FaultLoad -n NAMESRV_ADDR -t TOPIC --seconds S -o acked.txt [--threads 4] [--size 256] [--stop-file F]";

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String out = Common.need(a, "o", USAGE);
        double seconds = Double.parseDouble(Common.need(a, "seconds", USAGE));
        int threads = Integer.parseInt(a.getOrDefault("threads", "4"));
        int size = Integer.parseInt(a.getOrDefault("size", "256"));
        final java.io.File stop = a.containsKey("stop-file") ? new java.io.File(a.get("stop-file")) : null;

        DefaultMQProducer p = new DefaultMQProducer("rocklet_fault_load_" + System.currentTimeMillis());
        p.setNamesrvAddr(addr);
        p.setClientIP("127.0.0.1");
        p.setSendMsgTimeout(3000);
        p.setRetryTimesWhenSendFailed(2);
        p.start();

        final PrintWriter acked = Common.openOut(out);
        final AtomicLong attempts = new AtomicLong(), ok = new AtomicLong(), failed = new AtomicLong();
        final AtomicLong firstFailure = new AtomicLong(0), longestOutage = new AtomicLong(0);
        final long deadline = System.currentTimeMillis() + (long) (seconds * 1000);
        byte[] pad = new byte[Math.max(0, size - 24)];
        java.util.Arrays.fill(pad, (byte) 'x');
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts[t] = new Thread(() -> {
                long n = 0;
                while (System.currentTimeMillis() < deadline && (stop == null || !stop.exists())) {
                    n++;
                    byte[] head = (id + "-" + n + "|").getBytes(StandardCharsets.UTF_8);
                    byte[] body = new byte[head.length + pad.length];
                    System.arraycopy(head, 0, body, 0, head.length);
                    System.arraycopy(pad, 0, body, head.length, pad.length);
                    Message m = new Message(topic, "fault", "k" + id + "-" + n, body);
                    attempts.incrementAndGet();
                    try {
                        SendResult r = p.send(m);
                        if (r.getSendStatus() == SendStatus.SEND_OK) {
                            ok.incrementAndGet();
                            long f = firstFailure.getAndSet(0);
                            if (f > 0) {
                                long gap = System.currentTimeMillis() - f;
                                longestOutage.accumulateAndGet(gap, Math::max);
                            }
                            synchronized (acked) {
                                acked.println(r.getMsgId() + " " + r.getMessageQueue().getQueueId() + " " + r.getQueueOffset());
                            }
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(0, System.currentTimeMillis());
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        acked.flush();
        acked.close();
        p.shutdown();
        System.out.println("{\"attempts\":" + attempts.get() + ",\"acked\":" + ok.get() + ",\"failed\":" + failed.get()
            + ",\"longestOutageMs\":" + longestOutage.get() + "}");
    }
}
