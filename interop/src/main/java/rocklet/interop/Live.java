package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;

import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A live producer + push consumer pair for the mqadmin interop group (mqadmin.sh): the producer
 * sends to TOPIC at RATE msg/s (fixed-width keys and bodies, tag TagLive, message i to queue i % queues), the push consumer
 * (clustering, from the first offset) consumes it, for at most SECONDS or until STOP_FILE exists.
 *
 * Once the first send succeeded, the first message was consumed and (with --trace) the trace topic has
 * a route, the state file is written
 * (key=value lines: producerGroup, consumerGroup, producerClientId, consumerClientId and the first
 * send's msgId, offsetMsgId, brokerName, queueId, queueOffset, key) and "READY" is printed.
 *
 * usage: Live -n ADDR -t TOPIC -p PRODUCER_GROUP -g CONSUMER_GROUP -o STATE_FILE
 *             [--seconds 240] [--rate 4] [--stop-file F] [--trace]
 * (--trace: message trace on for both, to the default trace topic RMQ_SYS_TRACE_TOPIC)
 */
public final class Live {
    static final String USAGE = "Live -n NAMESRV_ADDR -t TOPIC -p PRODUCER_GROUP -g CONSUMER_GROUP -o STATE_FILE "
        + "[--seconds 240] [--rate 4] [--stop-file F] [--trace]";

    /** The trace topic is auto-created by the first trace; READY waits until it has a route. */
    private static boolean traceTopicRouted(DefaultMQProducer p) {
        try {
            return p.getDefaultMQProducerImpl().getmQClientFactory().getMQClientAPIImpl()
                .getTopicRouteInfoFromNameServer("RMQ_SYS_TRACE_TOPIC", 3000) != null;
        } catch (Exception e) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        java.util.Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String pg = Common.need(a, "p", USAGE);
        String cg = Common.need(a, "g", USAGE);
        File state = new File(Common.need(a, "o", USAGE));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "240"));
        double rate = Double.parseDouble(a.getOrDefault("rate", "4"));
        File stopFile = a.containsKey("stop-file") ? new File(a.get("stop-file")) : null;
        boolean trace = a.containsKey("trace");

        final AtomicLong consumed = new AtomicLong();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(cg, trace);
        c.setNamesrvAddr(addr);
        c.setClientIP("127.0.0.1");
        c.setInstanceName("live-consumer");
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            consumed.addAndGet(msgs.size());
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });

        DefaultMQProducer p = new DefaultMQProducer(pg, trace);
        p.setNamesrvAddr(addr);
        p.setClientIP("127.0.0.1");
        p.setInstanceName("live-producer");
        p.start();
        c.start();
        String producerClientId = p.getDefaultMQProducerImpl().getmQClientFactory().getClientId();
        String consumerClientId = c.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId();
        System.out.println("producerGroup=" + pg + " consumerGroup=" + cg
            + " producerClientId=" + producerClientId + " consumerClientId=" + consumerClientId);
        System.out.flush();

        long t0 = System.nanoTime();
        long endNs = t0 + (long) (seconds * 1e9);
        long intervalNs = (long) (1e9 / Math.max(rate, 0.1));
        SendResult first = null;
        String firstKey = null;
        boolean ready = false;
        long ok = 0;
        long failed = 0;
        for (long i = 0; System.nanoTime() < endNs && (stopFile == null || !stopFile.exists()); i++) {
            long wait = t0 + i * intervalNs - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            }
            String key = String.format("live-key-%06d", i);
            Message m = new Message(topic, "TagLive", key,
                String.format("live-body-%06d", i).getBytes(StandardCharsets.UTF_8));
            try {
                // message i goes to queue i % n: the same queue and offset on every server
                final long idx = i;
                SendResult r = p.send(m, (mqs, msg, arg) -> mqs.get((int) (idx % mqs.size())), null);
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    ok++;
                    if (first == null) {
                        first = r;
                        firstKey = key;
                        // the producer's group reaches the broker with a heartbeat; send one now that
                        // the route (and so the broker address) is known, not after 30 s
                        p.getDefaultMQProducerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
                    }
                } else {
                    failed++;
                }
            } catch (Exception e) {
                failed++;
                if (failed <= 5 || failed % 50 == 0) {
                    System.out.println("send #" + i + " failed: " + e.getMessage());
                }
            }
            if (!ready && first != null && consumed.get() > 0 && (!trace || traceTopicRouted(p))) {
                ready = true;
                File tmp = new File(state.getPath() + ".tmp");
                try (PrintWriter w = new PrintWriter(new OutputStreamWriter(new FileOutputStream(tmp), StandardCharsets.UTF_8))) {
                    w.println("producerGroup=" + pg);
                    w.println("consumerGroup=" + cg);
                    w.println("producerClientId=" + producerClientId);
                    w.println("consumerClientId=" + consumerClientId);
                    w.println("msgId=" + first.getMsgId());
                    w.println("offsetMsgId=" + first.getOffsetMsgId());
                    w.println("brokerName=" + first.getMessageQueue().getBrokerName());
                    w.println("queueId=" + first.getMessageQueue().getQueueId());
                    w.println("queueOffset=" + first.getQueueOffset());
                    w.println("key=" + firstKey);
                }
                if (!tmp.renameTo(state)) {
                    throw new IllegalStateException("cannot rename " + tmp + " to " + state);
                }
                System.out.println("READY sent=" + ok + " consumed=" + consumed.get());
                System.out.flush();
            }
        }
        System.out.println("DONE sent=" + ok + " failed=" + failed + " consumed=" + consumed.get());
        System.out.flush();
        p.shutdown();
        c.shutdown();
        System.exit(0);
    }
}
