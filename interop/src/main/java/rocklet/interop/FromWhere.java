package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a new push consumer group starts on a topic with history (interop consume.sh, from
 * cells): 6 messages ("old"), a timestamp T on a whole second, 6 more ("mid"), then three new
 * groups start at once with CONSUME_FROM_FIRST_OFFSET, CONSUME_FROM_LAST_OFFSET and
 * CONSUME_FROM_TIMESTAMP (T), and 3 "live" messages follow. Prints, per group, which messages it
 * received (normalised: old0..old5, mid0..mid5, live0..live2), for run.sh to compare between the
 * Java broker and Rocklet. What a group gets depends on the broker's answer to the new group's
 * QUERY_CONSUMER_OFFSET (0 while the queue's first message is "in memory", else QUERY_NOT_FOUND
 * and the client's consumeFromWhere decides).
 *
 * usage: FromWhere -n ADDR -t TOPIC [--seconds 30]
 */
public final class FromWhere {
    static final String USAGE = "FromWhere -n ADDR -t TOPIC [--seconds 30]";

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        long seconds = Long.parseLong(a.getOrDefault("seconds", "30"));
        String run = String.valueOf(System.currentTimeMillis() % 100000);

        DefaultMQProducer p = new DefaultMQProducer("from_pg_" + run);
        p.setNamesrvAddr(ns);
        p.setClientIP("127.0.0.1");
        p.start();
        for (int i = 0; i < 6; i++) {
            p.send(new Message(topic, ("old" + i).getBytes(StandardCharsets.UTF_8)), 5000);
        }
        // T: the next whole second (consumeTimestamp has second precision), then the mid batch
        // well after it.
        long t = (System.currentTimeMillis() / 1000 + 1) * 1000;
        Thread.sleep(t - System.currentTimeMillis() + 1200);
        for (int i = 0; i < 6; i++) {
            p.send(new Message(topic, ("mid" + i).getBytes(StandardCharsets.UTF_8)), 5000);
        }
        String[] names = {"FIRST", "LAST", "TIMESTAMP"};
        ConsumeFromWhere[] wheres = {ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET, ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET,
            ConsumeFromWhere.CONSUME_FROM_TIMESTAMP};
        List<Set<String>> got = new ArrayList<>();
        List<DefaultMQPushConsumer> cs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            final Set<String> s = Collections.synchronizedSet(new TreeSet<>());
            got.add(s);
            DefaultMQPushConsumer c = new DefaultMQPushConsumer("from_" + names[i].toLowerCase() + "_" + run);
            c.setNamesrvAddr(ns);
            c.setClientIP("127.0.0.1");
            c.setConsumeFromWhere(wheres[i]);
            c.setConsumeTimestamp(UtilAll.timeMillisToHumanString3(t));
            c.subscribe(topic, "*");
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    s.add(new String(m.getBody(), StandardCharsets.UTF_8));
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            c.start();
            cs.add(c);
        }
        // Live messages once every group owns its queues (first rebalance at start).
        Thread.sleep(6000);
        for (int i = 0; i < 3; i++) {
            p.send(new Message(topic, ("live" + i).getBytes(StandardCharsets.UTF_8)), 5000);
        }
        long deadline = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < deadline) {
            boolean allLive = true;
            for (Set<String> s : got) {
                allLive &= s.contains("live0") && s.contains("live1") && s.contains("live2");
            }
            if (allLive) {
                Thread.sleep(2000);
                break;
            }
            Thread.sleep(200);
        }
        p.shutdown();
        for (DefaultMQPushConsumer c : cs) {
            c.shutdown();
        }
        for (int i = 0; i < 3; i++) {
            System.out.println("FROM " + names[i] + " -> " + String.join(",", got.get(i)));
        }
        System.exit(0);
    }
}
