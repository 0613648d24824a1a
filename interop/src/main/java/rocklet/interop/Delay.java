package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Delay levels with the real RocketMQ 4.9.3 clients against the cluster at ADDR: a message sent
 * with setDelayTimeLevel reaches a push consumer only after its level's delay, with DELAY,
 * REAL_TOPIC and REAL_QID set; a message the consumer answers RECONSUME_LATER comes back through
 * %RETRY%group after level 3 (the broker's send-back), with reconsumeTimes 1.
 *
 * The broker runs with messageDelayLevel="1s 1s 2s ..." (level 1 = 1 s, level 3 = 2 s).
 *
 * usage: Delay -n ADDR -t TOPIC [--wait-ms 20000]
 * Prints "PASS delay/<case>" or "FAIL delay/<case>: reason"; exits 1 if any case failed.
 */
public final class Delay {
    static final String USAGE = "Delay -n NAMESRV_ADDR -t TOPIC [--wait-ms 20000]";
    static final long LEVEL1_MS = 1000;
    static final long LEVEL3_MS = 2000;
    /** Stored-time arithmetic on one machine; allow the broker's 100 ms polling and a little. */
    static final long SLACK_MS = 50;

    private static final Common.Checks CHECKS = new Common.Checks("delay");

    static void result(String name, boolean ok, String why) {
        CHECKS.result(name, ok, why);
    }

    public static void main(String[] args) throws Exception {
        // Rebalance every second instead of every 20 s: the %RETRY% queue is only pulled after a
        // rebalance that follows its route appearing (set before any client class loads).
        System.setProperty("rocketmq.client.rebalance.waitInterval", "1000");
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        long waitMs = Long.parseLong(a.getOrDefault("wait-ms", "20000"));

        Map<String, MessageExt> first = new ConcurrentHashMap<>();
        Map<String, Long> firstSeenAt = new ConcurrentHashMap<>();
        List<MessageExt> retried = new CopyOnWriteArrayList<>();

        DefaultMQProducer p = new DefaultMQProducer("rocklet_interop_delay_p");
        p.setNamesrvAddr(ns);
        p.setSendMsgTimeout(10000);
        p.start();
        // Create the topic by a first plain send, so that the consumer subscribes to a route.
        SendResult warm = p.send(new Message(topic, "TagD", "warm".getBytes(StandardCharsets.UTF_8)));

        DefaultMQPushConsumer c = new DefaultMQPushConsumer("rocklet_interop_delay_c");
        c.setNamesrvAddr(ns);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        // The %RETRY% topic's route appears after the first heartbeat; look it up every second
        // rather than every 30 s, so the redelivery is seen soon after the broker makes it.
        c.setPollNameServerInterval(1000);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                if (m.getReconsumeTimes() > 0) {
                    retried.add(m);
                    continue;
                }
                first.putIfAbsent(body, m);
                firstSeenAt.putIfAbsent(body, System.currentTimeMillis());
                if (body.equals("retry-me")) {
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.start();
        try {
            result("plain-send", warm.getSendStatus() == SendStatus.SEND_OK, String.valueOf(warm.getSendStatus()));
            Message d1 = new Message(topic, "TagD", "k-d1", "delayed-1".getBytes(StandardCharsets.UTF_8));
            d1.setDelayTimeLevel(1);
            SendResult r1 = p.send(d1);
            result("delayed-send", r1.getSendStatus() == SendStatus.SEND_OK, String.valueOf(r1.getSendStatus()));
            SendResult rr = p.send(new Message(topic, "TagD", "retry-me".getBytes(StandardCharsets.UTF_8)));
            result("retry-send", rr.getSendStatus() == SendStatus.SEND_OK, String.valueOf(rr.getSendStatus()));

            long sentAt = System.currentTimeMillis();
            long deadline = sentAt + waitMs;
            while ((first.get("delayed-1") == null || retried.isEmpty()) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            System.out.println("# consumer saw: delayed-1 after " + (firstSeenAt.getOrDefault("delayed-1", 0L) - sentAt)
                + " ms, retry-me after " + (firstSeenAt.getOrDefault("retry-me", 0L) - sentAt) + " ms, redelivery after "
                + (System.currentTimeMillis() - sentAt) + " ms (polled every 100 ms)");
            MessageExt got = first.get("delayed-1");
            if (got == null) {
                result("delayed-arrives", false, "not received within " + waitMs + " ms");
            } else {
                long waited = got.getStoreTimestamp() - got.getBornTimestamp();
                result("delayed-arrives-after-level-1", waited >= LEVEL1_MS - SLACK_MS,
                    "stored on the topic " + waited + " ms after it was born");
                result("delayed-properties", "1".equals(got.getProperty("DELAY"))
                        && topic.equals(got.getProperty("REAL_TOPIC"))
                        && String.valueOf(r1.getMessageQueue().getQueueId()).equals(got.getProperty("REAL_QID"))
                        && got.getQueueId() == r1.getMessageQueue().getQueueId()
                        && "k-d1".equals(got.getKeys()) && "TagD".equals(got.getTags())
                        && r1.getMsgId().equals(got.getMsgId()),
                    "DELAY=" + got.getProperty("DELAY") + " REAL_TOPIC=" + got.getProperty("REAL_TOPIC")
                        + " REAL_QID=" + got.getProperty("REAL_QID") + " queueId=" + got.getQueueId()
                        + " sent to " + r1.getMessageQueue().getQueueId() + " keys=" + got.getKeys()
                        + " msgId=" + got.getMsgId() + " sent " + r1.getMsgId());
            }
            if (retried.isEmpty()) {
                result("retry-arrives", false, "no redelivery within " + waitMs + " ms");
            } else {
                MessageExt m = retried.get(0);
                Long rejectedAt = firstSeenAt.get("retry-me");
                long after = m.getStoreTimestamp() - (rejectedAt == null ? 0 : rejectedAt);
                result("retry-after-level-3", after >= LEVEL3_MS - SLACK_MS - 200,
                    "stored in the retry topic " + after + " ms after the first delivery was rejected");
                result("retry-properties", m.getReconsumeTimes() == 1 && topic.equals(m.getTopic())
                        && "3".equals(m.getProperty("DELAY"))
                        && "retry-me".equals(new String(m.getBody(), StandardCharsets.UTF_8)),
                    "reconsumeTimes=" + m.getReconsumeTimes() + " topic=" + m.getTopic()
                        + " DELAY=" + m.getProperty("DELAY"));
            }
        } catch (Throwable e) {
            result("run", false, Common.rootMessage(e));
        } finally {
            c.shutdown();
            p.shutdown();
        }
        CHECKS.exit();
    }
}
