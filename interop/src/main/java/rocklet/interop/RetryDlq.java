package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retry and DLQ through the real 4.9.3 push consumer (interop/run.sh, retry cells): 3 messages
 * with keys; a push consumer (maxReconsumeTimes 2) answers RECONSUME_LATER every time with
 * delayLevelWhenNextConsume 1 (1 s); each message must come back with reconsumeTimes 0, 1, 2 and
 * then land in %DLQ%group, read back with a lite pull consumer. Prints normalised lines (no ids,
 * no times) that run.sh compares between the Java broker and Rocklet:
 *
 *   SEEN k0 0,1,2
 *   DLQ k0 reconsumeTimes=3 retryTopic=TOPIC originIsFirstOffsetMsgId=true body=ok tags=TagR
 *   ROUTE %DLQ%group read=1 write=1 perm=6
 *
 * usage: RetryDlq -n ADDR -t TOPIC -g GROUP [--timeout-sec 60]
 */
public final class RetryDlq {
    static final String USAGE = "RetryDlq -n ADDR -t TOPIC -g GROUP [--timeout-sec 60]";

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String group = Common.need(a, "g", USAGE);
        long deadline = System.currentTimeMillis() + Long.parseLong(a.getOrDefault("timeout-sec", "60")) * 1000;

        DefaultMQProducer p = new DefaultMQProducer(group + "_pg");
        p.setNamesrvAddr(ns);
        p.setClientIP("127.0.0.1");
        p.start();
        for (int i = 0; i < 3; i++) {
            SendResult r = p.send(new Message(topic, "TagR", "k" + i, ("body-" + i).getBytes(StandardCharsets.UTF_8)), 5000);
            if (r == null) {
                Common.die("send failed");
            }
        }
        p.shutdown();

        final Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        final Map<String, String> firstOffsetId = new ConcurrentHashMap<>();
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(ns);
        c.setClientIP("127.0.0.1");
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setMaxReconsumeTimes(2);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                seen.computeIfAbsent(m.getKeys(), k -> Collections.synchronizedList(new ArrayList<>())).add(m.getReconsumeTimes());
                if (m.getReconsumeTimes() == 0 && m instanceof MessageClientExt) {
                    firstOffsetId.put(m.getKeys(), ((MessageClientExt) m).getOffsetMsgId());
                }
            }
            ctx.setDelayLevelWhenNextConsume(1);
            return ConsumeConcurrentlyStatus.RECONSUME_LATER;
        });
        c.start();
        while (System.currentTimeMillis() < deadline) {
            boolean done = seen.size() == 3;
            for (List<Integer> l : seen.values()) {
                done &= l.size() >= 3;
            }
            if (done) {
                break;
            }
            Thread.sleep(200);
        }
        Thread.sleep(3000); // a fourth delivery would show up now
        c.shutdown();
        for (String k : new TreeMap<>(seen).keySet()) {
            List<Integer> l = new ArrayList<>(seen.get(k));
            Collections.sort(l);
            StringBuilder b = new StringBuilder();
            for (int x : l) {
                b.append(b.length() == 0 ? "" : ",").append(x);
            }
            System.out.println("SEEN " + k + " " + b);
        }

        String dlq = "%DLQ%" + group;
        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(ns);
        admin.setInstanceName("retry_admin_" + System.nanoTime());
        admin.start();
        TopicRouteData route = null;
        while (route == null && System.currentTimeMillis() < deadline + 20000) {
            try {
                route = admin.examineTopicRouteInfo(dlq);
            } catch (Exception e) {
                Thread.sleep(500);
            }
        }
        admin.shutdown();
        if (route == null) {
            System.out.println("ROUTE " + dlq + " none");
            System.exit(1);
        }
        for (QueueData q : route.getQueueDatas()) {
            System.out.println("ROUTE %DLQ%group read=" + q.getReadQueueNums() + " write=" + q.getWriteQueueNums() + " perm=" + q.getPerm());
        }

        DefaultLitePullConsumer lc = new DefaultLitePullConsumer(group + "_dlq_reader");
        lc.setNamesrvAddr(ns);
        lc.setClientIP("127.0.0.1");
        lc.setAutoCommit(false);
        lc.start();
        List<MessageQueue> mqs = new ArrayList<>(lc.fetchMessageQueues(dlq));
        lc.assign(mqs);
        for (MessageQueue mq : mqs) {
            lc.seek(mq, 0);
        }
        Map<String, String> dlqLines = new TreeMap<>();
        long until = System.currentTimeMillis() + 15000;
        while (dlqLines.size() < 3 && System.currentTimeMillis() < until) {
            for (MessageExt m : lc.poll(500)) {
                String k = m.getKeys();
                String origin = m.getProperty(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID);
                dlqLines.put(k + "@" + m.getQueueOffset(), "DLQ " + k + " reconsumeTimes=" + m.getReconsumeTimes()
                    + " retryTopic=" + (topic.equals(m.getProperty(MessageConst.PROPERTY_RETRY_TOPIC)) ? "TOPIC" : m.getProperty(MessageConst.PROPERTY_RETRY_TOPIC))
                    + " originIsFirstOffsetMsgId=" + (origin != null && origin.equals(firstOffsetId.get(k)))
                    + " body=" + (new String(m.getBody(), StandardCharsets.UTF_8).equals("body-" + k.substring(1)) ? "ok" : "bad")
                    + " tags=" + m.getTags());
            }
        }
        lc.shutdown();
        List<String> lines = new ArrayList<>(dlqLines.values());
        Collections.sort(lines);
        for (String l : lines) {
            System.out.println(l);
        }
        System.exit(0);
    }
}
