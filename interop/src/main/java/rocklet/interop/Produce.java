package rocklet.interop;

import com.alibaba.fastjson.JSONObject;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageQueue;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a fixed corpus with a real RocketMQ 4.9.3 DefaultMQProducer in every send mode and
 * writes one JSON line per message sent.
 *
 * usage: Produce -n ADDR -t TOPIC -o sent.jsonl [-g group]
 */
public final class Produce {
    static final String USAGE = "Produce -n NAMESRV_ADDR -t TOPIC -o sent.jsonl [-g producerGroup]";

    static final int SYNC = 10, ASYNC = 10, ONEWAY = 5, BATCH = 10, QUEUE = 5, SELECTOR = 5, COMPRESSED = 3;
    static final int COMPRESSED_SIZE = 8 * 1024;

    private static int failures = 0;
    private static int total = 0;

    /** Body i of a mode: every third one is unicode text. */
    static byte[] body(String mode, int i) {
        String s = (i % 3 == 0)
            ? "héllo 世界 ✓ " + mode + " #" + i + " — ünïcödé ελληνικά 🚀"
            : "rocklet-interop mode=" + mode + " i=" + i;
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Deterministic, only mildly compressible 8 KiB body (so the compressed form is real zlib). */
    static byte[] bigBody(int i) {
        byte[] b = new byte[COMPRESSED_SIZE];
        long x = 0x9E3779B97F4A7C15L * (i + 1);
        for (int k = 0; k < b.length; k++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            // mix of text and pseudo-random bytes
            b[k] = (k % 4 == 0) ? (byte) x : (byte) ('a' + (int) ((x >>> 33) % 26 + 26) % 26);
        }
        return b;
    }

    static Message message(String topic, String mode, int i, byte[] body) {
        Message m = new Message(topic, body);
        m.setTags("Tag" + Character.toUpperCase(mode.charAt(0)) + mode.substring(1));
        // two keys, space separated (MessageConst.KEY_SEPARATOR)
        m.setKeys("rk-" + mode + "-" + i + " order-" + (i % 4));
        m.putUserProperty("rk_mode", mode);
        m.putUserProperty("rk_index", "i=" + i + " ü✓");
        return m;
    }

    static JSONObject record(String mode, String msgId, Message m, int queueId, SendResult r) {
        JSONObject o = new JSONObject(true);
        o.put("mode", mode);
        o.put("msgId", msgId);
        o.putAll(Common.baseRecord(m));
        o.put("queueId", queueId);
        if (r != null) {
            o.put("offsetMsgId", r.getOffsetMsgId());
            o.put("queueOffset", r.getQueueOffset());
            o.put("brokerName", r.getMessageQueue() != null ? r.getMessageQueue().getBrokerName() : null);
            o.put("sendStatus", String.valueOf(r.getSendStatus()));
        }
        return o;
    }

    static synchronized void check(String mode, boolean ok, String what) {
        total++;
        if (!ok) {
            failures++;
            System.out.println("FAIL " + mode + ": " + what);
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String out = Common.need(a, "o", USAGE);
        String group = a.getOrDefault("g", "rocklet_interop_pg_" + System.currentTimeMillis());

        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(addr);
        p.setClientIP("127.0.0.1");
        p.setInstanceName("produce-" + System.nanoTime());
        p.setSendMsgTimeout(10000);
        p.setRetryTimesWhenSendFailed(2);
        p.setRetryTimesWhenSendAsyncFailed(2);
        p.setCompressMsgBodyOverHowmuch(4096);
        long t0 = System.currentTimeMillis();
        p.start();
        int exit = 0;
        try (PrintWriter w = Common.openOut(out)) {
            // 1. sync
            String brokerName = null;
            int ok = 0;
            for (int i = 0; i < SYNC; i++) {
                Message m = message(topic, "sync", i, body("sync", i));
                try {
                    SendResult r = p.send(m);
                    boolean good = r.getSendStatus() == SendStatus.SEND_OK;
                    check("sync", good, "status " + r.getSendStatus());
                    if (good) {
                        ok++;
                    }
                    brokerName = r.getMessageQueue().getBrokerName();
                    w.println(Common.toLine(record("sync", r.getMsgId(), m, r.getMessageQueue().getQueueId(), r)));
                } catch (Exception e) {
                    check("sync", false, "send #" + i + ": " + Common.rootMessage(e));
                }
            }
            System.out.println((ok == SYNC ? "PASS" : "FAIL") + " sync " + ok + "/" + SYNC);

            // 2. async
            final List<String> lines = new ArrayList<>();
            final CountDownLatch latch = new CountDownLatch(ASYNC);
            final AtomicInteger asyncOk = new AtomicInteger();
            for (int i = 0; i < ASYNC; i++) {
                final Message m = message(topic, "async", i, body("async", i));
                final int idx = i;
                try {
                    p.send(m, new SendCallback() {
                        @Override
                        public void onSuccess(SendResult r) {
                            boolean good = r.getSendStatus() == SendStatus.SEND_OK;
                            check("async", good, "status " + r.getSendStatus());
                            if (good) {
                                asyncOk.incrementAndGet();
                            }
                            synchronized (lines) {
                                lines.add(Common.toLine(record("async", r.getMsgId(), m, r.getMessageQueue().getQueueId(), r)));
                            }
                            latch.countDown();
                        }

                        @Override
                        public void onException(Throwable e) {
                            check("async", false, "callback #" + idx + ": " + Common.rootMessage(e));
                            latch.countDown();
                        }
                    });
                } catch (Exception e) {
                    check("async", false, "send #" + i + ": " + Common.rootMessage(e));
                    latch.countDown();
                }
            }
            if (!latch.await(30, TimeUnit.SECONDS)) {
                check("async", false, "callbacks missing after 30s: " + latch.getCount());
            }
            synchronized (lines) {
                for (String l : lines) {
                    w.println(l);
                }
            }
            System.out.println((asyncOk.get() == ASYNC ? "PASS" : "FAIL") + " async " + asyncOk.get() + "/" + ASYNC);

            // 3. oneway
            int ow = 0;
            for (int i = 0; i < ONEWAY; i++) {
                Message m = message(topic, "oneway", i, body("oneway", i));
                try {
                    p.sendOneway(m);
                    ow++;
                    w.println(Common.toLine(record("oneway", MessageClientIDSetter.getUniqID(m), m, -1, null)));
                } catch (Exception e) {
                    check("oneway", false, "send #" + i + ": " + Common.rootMessage(e));
                }
            }
            System.out.println((ow == ONEWAY ? "PASS" : "FAIL") + " oneway " + ow + "/" + ONEWAY + " handed to the socket");

            // 4. batch (one batch of 10)
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                batch.add(message(topic, "batch", i, body("batch", i)));
            }
            try {
                SendResult r = p.send(batch);
                boolean good = r.getSendStatus() == SendStatus.SEND_OK;
                check("batch", good, "status " + r.getSendStatus());
                String[] ids = r.getMsgId() == null ? new String[0] : r.getMsgId().split(",");
                String[] offIds = r.getOffsetMsgId() == null ? new String[0] : r.getOffsetMsgId().split(",");
                check("batch", ids.length == BATCH, "SendResult.msgId has " + ids.length + " ids, want " + BATCH);
                for (int i = 0; i < BATCH; i++) {
                    Message m = batch.get(i);
                    String uniq = MessageClientIDSetter.getUniqID(m);
                    if (i < ids.length) {
                        check("batch", uniq.equals(ids[i]), "msgId order mismatch at " + i);
                    }
                    JSONObject o = record("batch", uniq, m, r.getMessageQueue().getQueueId(), r);
                    o.put("offsetMsgId", i < offIds.length ? offIds[i] : null);
                    o.put("queueOffset", r.getQueueOffset() + i);
                    w.println(Common.toLine(o));
                }
                System.out.println((good && ids.length == BATCH ? "PASS" : "FAIL") + " batch " + BATCH
                    + " msgs, queue " + r.getMessageQueue().getQueueId() + " offset " + r.getQueueOffset());
            } catch (Exception e) {
                check("batch", false, Common.rootMessage(e));
                System.out.println("FAIL batch " + Common.rootMessage(e));
            }

            // 5. explicit queue id 1
            int qok = 0;
            if (brokerName == null) {
                check("queue", false, "no broker name known (sync sends failed)");
            } else {
                MessageQueue mq = new MessageQueue(topic, brokerName, 1);
                for (int i = 0; i < QUEUE; i++) {
                    Message m = message(topic, "queue", i, body("queue", i));
                    try {
                        SendResult r = p.send(m, mq);
                        boolean good = r.getSendStatus() == SendStatus.SEND_OK && r.getMessageQueue().getQueueId() == 1;
                        check("queue", good, "status " + r.getSendStatus() + " queue " + r.getMessageQueue().getQueueId());
                        if (good) {
                            qok++;
                        }
                        w.println(Common.toLine(record("queue", r.getMsgId(), m, r.getMessageQueue().getQueueId(), r)));
                    } catch (Exception e) {
                        check("queue", false, "send #" + i + ": " + Common.rootMessage(e));
                    }
                }
            }
            System.out.println((qok == QUEUE ? "PASS" : "FAIL") + " queue(id=1) " + qok + "/" + QUEUE);

            // 6. selector (orderly by order id hash)
            MessageQueueSelector selector = (mqs, msg, arg) -> {
                int h = Math.abs(arg.hashCode() % mqs.size());
                return mqs.get(h);
            };
            int sok = 0;
            for (int i = 0; i < SELECTOR; i++) {
                Message m = message(topic, "selector", i, body("selector", i));
                String orderId = "order-" + (i % 2);
                try {
                    SendResult r = p.send(m, selector, orderId);
                    boolean good = r.getSendStatus() == SendStatus.SEND_OK;
                    check("selector", good, "status " + r.getSendStatus());
                    if (good) {
                        sok++;
                    }
                    JSONObject o = record("selector", r.getMsgId(), m, r.getMessageQueue().getQueueId(), r);
                    o.put("orderId", orderId);
                    w.println(Common.toLine(o));
                } catch (Exception e) {
                    check("selector", false, "send #" + i + ": " + Common.rootMessage(e));
                }
            }
            System.out.println((sok == SELECTOR ? "PASS" : "FAIL") + " selector " + sok + "/" + SELECTOR);

            // 7. compressed bodies (> compressMsgBodyOverHowmuch)
            int cok = 0;
            for (int i = 0; i < COMPRESSED; i++) {
                Message m = message(topic, "compressed", i, bigBody(i));
                try {
                    SendResult r = p.send(m);
                    boolean good = r.getSendStatus() == SendStatus.SEND_OK;
                    check("compressed", good, "status " + r.getSendStatus());
                    if (good) {
                        cok++;
                    }
                    w.println(Common.toLine(record("compressed", r.getMsgId(), m, r.getMessageQueue().getQueueId(), r)));
                } catch (Exception e) {
                    check("compressed", false, "send #" + i + ": " + Common.rootMessage(e));
                }
            }
            System.out.println((cok == COMPRESSED ? "PASS" : "FAIL") + " compressed " + cok + "/" + COMPRESSED
                + " (" + COMPRESSED_SIZE + " byte bodies)");
        } catch (Exception e) {
            System.out.println("FAIL produce: " + Common.rootMessage(e));
            exit = 1;
        } finally {
            p.shutdown();
        }
        int sent = SYNC + ASYNC + ONEWAY + BATCH + QUEUE + SELECTOR + COMPRESSED;
        long ms = System.currentTimeMillis() - t0;
        if (failures > 0 || exit != 0) {
            System.out.println("FAIL Produce: " + failures + " failed checks (" + total + " checks), " + ms + " ms");
            System.exit(1);
        }
        System.out.println("PASS Produce: " + sent + " messages to " + topic + " in " + ms + " ms -> " + out);
        System.exit(0);
    }
}
