package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.admin.ConsumeStats;
import org.apache.rocketmq.common.admin.OffsetWrapper;
import org.apache.rocketmq.common.admin.TopicOffset;
import org.apache.rocketmq.common.admin.TopicStatsTable;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.common.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.remoting.protocol.RemotingSerializable;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Store compatibility between the Java 4.9.3 broker and Rocklet: one store directory opened by
 * one broker after the other (interop/store_compat.sh). Subcommands, all through the real 4.9.3
 * client and admin:
 *
 *   setup   -n NS -b BROKER_ADDR -t TOPIC -g GROUP         topic with 4 queues (perm 6), a group
 *                                                          with retryMaxTimes 7
 *   write   -n NS -t TOPIC -p PREFIX -c COUNT -o FILE      COUNT sync sends with key PREFIX-i and
 *                                                          2 delayed ones (level 1); appends
 *                                                          "msgId offsetMsgId key" lines
 *   consume -n NS -t TOPIC -g GROUP -c COUNT -o FILE       polls COUNT more messages, commitSync,
 *                                                          writes the group's offsets as the broker
 *                                                          reports them ("queueId=offset" lines)
 *   check   -n NS -b BROKER_ADDR -t TOPIC -g GROUP --sent F1,F2 --offsets FILE
 *           every sent message stored exactly once with its body, every 7th key found by
 *           queryMessage (the broker's key index), every 11th message by unique key and by offset
 *           msgId, the topic's queues and perm, the group's retryMaxTimes, and the consumer
 *           offsets equal to FILE. Prints "CHECK ok|bad name: detail" lines, exit 1 if any bad.
 */
public final class StoreCompat {
    static final String USAGE = "StoreCompat setup|write|consume|check -n NS ... (see the javadoc)";

    public static void main(String[] argv) throws Exception {
        if (argv.length < 1) {
            Common.die(USAGE);
        }
        String cmd = argv[0];
        Map<String, String> a = Common.parseArgs(java.util.Arrays.copyOfRange(argv, 1, argv.length), USAGE);
        switch (cmd) {
            case "setup": setup(a); break;
            case "write": write(a); break;
            case "consume": consume(a); break;
            case "check": System.exit(check(a) ? 0 : 1); break;
            default: Common.die("unknown subcommand " + cmd);
        }
        System.exit(0);
    }

    static DefaultMQAdminExt admin(String ns) throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(ns);
        admin.setInstanceName("store_compat_admin_" + System.nanoTime());
        admin.start();
        return admin;
    }

    static void setup(Map<String, String> a) throws Exception {
        DefaultMQAdminExt admin = admin(Common.need(a, "n", USAGE));
        String broker = Common.need(a, "b", USAGE);
        TopicConfig tc = new TopicConfig(Common.need(a, "t", USAGE), 4, 4, 6);
        admin.createAndUpdateTopicConfig(broker, tc);
        SubscriptionGroupConfig g = new SubscriptionGroupConfig();
        g.setGroupName(Common.need(a, "g", USAGE));
        g.setRetryMaxTimes(7);
        admin.createAndUpdateSubscriptionGroupConfig(broker, g);
        admin.shutdown();
        System.out.println("setup done");
    }

    static String body(String key) {
        StringBuilder b = new StringBuilder(key).append('|');
        while (b.length() < 200) {
            b.append(key.hashCode() & 0xff).append(',');
        }
        return b.toString();
    }

    static void write(Map<String, String> a) throws Exception {
        String topic = Common.need(a, "t", USAGE);
        String prefix = Common.need(a, "p", USAGE);
        int count = Integer.parseInt(Common.need(a, "c", USAGE));
        DefaultMQProducer p = new DefaultMQProducer("store_compat_pg");
        p.setNamesrvAddr(Common.need(a, "n", USAGE));
        p.setClientIP("127.0.0.1");
        p.setInstanceName("store_compat_p_" + System.nanoTime());
        p.start();
        long deadline = System.currentTimeMillis() + 20000;
        while (true) { // the route may not be on the name server yet
            try {
                p.fetchPublishMessageQueues(topic);
                break;
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Paths.get(Common.need(a, "o", USAGE)),
            StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
            for (int i = 0; i < count + 2; i++) {
                boolean delayed = i >= count;
                String key = prefix + (delayed ? "-delay-" : "-") + i;
                Message m = new Message(topic, "compat", key, body(key).getBytes(StandardCharsets.UTF_8));
                if (delayed) {
                    m.setDelayTimeLevel(1);
                    // One delayed message per delivery round: Java 4.9.3 persists a level's offset
                    // as (the round's first offset + 1) whatever the round delivered
                    // (PutResultProcess.getNextOffset), so a round of two is delivered again by
                    // any broker opening the store, Java's own included.
                    Thread.sleep(1500);
                }
                SendResult r = p.send(m, 5000);
                if (r.getSendStatus() != SendStatus.SEND_OK) {
                    Common.die("send " + key + ": " + r.getSendStatus());
                }
                out.println(r.getMsgId() + " " + r.getOffsetMsgId() + " " + key);
            }
        }
        p.shutdown();
        System.out.println("wrote " + (count + 2) + " messages with prefix " + prefix);
    }

    static Map<Integer, Long> offsets(DefaultMQAdminExt admin, String group, String topic) throws Exception {
        ConsumeStats cs = admin.examineConsumeStats(group, topic);
        Map<Integer, Long> m = new TreeMap<>();
        for (Map.Entry<MessageQueue, OffsetWrapper> e : cs.getOffsetTable().entrySet()) {
            m.put(e.getKey().getQueueId(), e.getValue().getConsumerOffset());
        }
        return m;
    }

    static void consume(Map<String, String> a) throws Exception {
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String group = Common.need(a, "g", USAGE);
        int want = Integer.parseInt(Common.need(a, "c", USAGE));
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(group);
        c.setNamesrvAddr(ns);
        c.setClientIP("127.0.0.1");
        c.setInstanceName("store_compat_c_" + System.nanoTime());
        c.setAutoCommit(false);
        c.setPullBatchSize(16);
        c.subscribe(topic, "*");
        c.start();
        int got = 0;
        long deadline = System.currentTimeMillis() + 30000;
        while (got < want && System.currentTimeMillis() < deadline) {
            got += c.poll(500).size();
        }
        c.commitSync();
        c.shutdown();
        if (got < want) {
            Common.die("consumed " + got + " of " + want);
        }
        DefaultMQAdminExt admin = admin(ns);
        Map<Integer, Long> off = offsets(admin, group, topic);
        admin.shutdown();
        try (PrintWriter out = Common.openOut(Common.need(a, "o", USAGE))) {
            for (Map.Entry<Integer, Long> e : off.entrySet()) {
                out.println(e.getKey() + "=" + e.getValue());
            }
        }
        System.out.println("consumed " + got + ", offsets " + off);
    }

    static boolean ok = true;

    static void report(boolean good, String name, String detail) {
        System.out.println("CHECK " + (good ? "ok " : "bad ") + name + ": " + detail);
        ok &= good;
    }

    static boolean check(Map<String, String> a) throws Exception {
        String ns = Common.need(a, "n", USAGE);
        String broker = Common.need(a, "b", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String group = Common.need(a, "g", USAGE);
        List<String[]> sent = new ArrayList<>();
        for (String f : Common.need(a, "sent", USAGE).split(",")) {
            for (String line : Files.readAllLines(Paths.get(f))) {
                String[] p = line.trim().split(" ");
                if (p.length == 3) {
                    sent.add(p);
                }
            }
        }
        DefaultMQAdminExt admin = admin(ns);

        // topic and group metadata
        TopicRouteData route = admin.examineTopicRouteInfo(topic);
        QueueData qd = route.getQueueDatas().isEmpty() ? null : route.getQueueDatas().get(0);
        report(qd != null && qd.getReadQueueNums() == 4 && qd.getWriteQueueNums() == 4 && qd.getPerm() == 6,
            "topic", qd == null ? "no route" : "read " + qd.getReadQueueNums() + " write " + qd.getWriteQueueNums() + " perm " + qd.getPerm());
        SubscriptionGroupConfig g = admin.examineSubscriptionGroupConfig(broker, group);
        report(g != null && g.getRetryMaxTimes() == 7, "group", g == null ? "missing" : "retryMaxTimes " + g.getRetryMaxTimes());

        // every record of the topic
        TopicStatsTable stats = admin.examineTopicStats(topic);
        Map<Integer, long[]> ranges = new HashMap<>();
        long stored = 0;
        for (Map.Entry<MessageQueue, TopicOffset> e : stats.getOffsetTable().entrySet()) {
            ranges.put(e.getKey().getQueueId(), new long[] {e.getValue().getMinOffset(), e.getValue().getMaxOffset()});
            stored += e.getValue().getMaxOffset() - e.getValue().getMinOffset();
        }
        DefaultLitePullConsumer c = new DefaultLitePullConsumer("store_compat_check_" + System.nanoTime());
        c.setNamesrvAddr(ns);
        c.setClientIP("127.0.0.1");
        c.setAutoCommit(false);
        c.setPullBatchSize(64);
        c.start();
        Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
        List<MessageQueue> list = new ArrayList<>(mqs);
        c.assign(list);
        Map<Integer, Long> next = new HashMap<>();
        for (MessageQueue mq : list) {
            long[] r = ranges.getOrDefault(mq.getQueueId(), new long[] {0, 0});
            c.seek(mq, r[0]);
            next.put(mq.getQueueId(), r[0]);
        }
        Map<String, Integer> seen = new HashMap<>();
        Map<String, String> bodies = new HashMap<>();
        Map<String, String> where = new HashMap<>();
        java.util.Set<String> positions = new java.util.HashSet<>();
        long deadline = System.currentTimeMillis() + 40000;
        while (System.currentTimeMillis() < deadline) {
            boolean done = true;
            for (Map.Entry<Integer, Long> e : next.entrySet()) {
                if (e.getValue() < ranges.getOrDefault(e.getKey(), new long[] {0, 0})[1]) {
                    done = false;
                }
            }
            if (done) {
                break;
            }
            for (MessageExt m : c.poll(1000)) {
                // the lite pull consumer may hand out one position twice (a pull in flight when
                // seek ran): a duplicate is one msgId stored at two positions, not read twice
                if (!positions.add(m.getQueueId() + ":" + m.getQueueOffset())) {
                    continue;
                }
                seen.merge(m.getMsgId(), 1, Integer::sum);
                bodies.put(m.getMsgId(), m.getKeys() + "\n" + new String(m.getBody(), StandardCharsets.UTF_8));
                where.merge(m.getMsgId(), m.getQueueId() + ":" + m.getQueueOffset() + " born " + m.getBornTimestamp() + " stored " + m.getStoreTimestamp(), (x, y) -> x + ", " + y);
                next.merge(m.getQueueId(), m.getQueueOffset() + 1, Math::max);
            }
        }
        c.shutdown();
        long missing = 0, wrong = 0, dup = 0;
        for (String[] s : sent) {
            String b = bodies.get(s[0]);
            if (b == null) {
                missing++;
            } else if (!b.equals(s[2] + "\n" + body(s[2]))) {
                wrong++;
            }
        }
        for (Map.Entry<String, Integer> e : seen.entrySet()) {
            if (e.getValue() > 1) {
                dup += e.getValue() - 1;
                if (dup <= 5) {
                    System.out.println("  stored " + e.getValue() + " times: " + e.getKey() + " " + bodies.get(e.getKey()).split("\n")[0]
                        + " at " + where.get(e.getKey()));
                }
            }
        }
        report(missing == 0 && wrong == 0 && dup == 0 && stored == sent.size(), "messages",
            sent.size() + " sent, " + stored + " stored, " + missing + " missing, " + wrong + " wrong body, " + dup + " duplicated");

        // the key index, unique keys and offset msgIds
        int keys = 0, keysFound = 0, uniq = 0, uniqFound = 0, byOffset = 0, byOffsetFound = 0;
        for (int i = 0; i < sent.size(); i++) {
            String[] s = sent.get(i);
            if (i % 7 == 0 || s[2].contains("-delay-")) {
                keys++;
                try {
                    for (MessageExt m : admin.queryMessage(topic, s[2], 32, 0, Long.MAX_VALUE).getMessageList()) {
                        if (s[2].equals(m.getKeys())) {
                            keysFound++;
                            break;
                        }
                    }
                } catch (Exception e) {
                    System.out.println("  key " + s[2] + ": " + Common.rootMessage(e));
                }
            }
            if (i % 11 == 0) {
                uniq++;
                try {
                    MessageExt m = admin.viewMessage(topic, s[0]);
                    if (m != null && s[2].equals(m.getKeys())) {
                        uniqFound++;
                    }
                } catch (Exception e) {
                    System.out.println("  unique key " + s[0] + ": " + Common.rootMessage(e));
                }
                if (!s[2].contains("-delay-")) { // a delayed message's offset msgId names its SCHEDULE_TOPIC copy
                    byOffset++;
                    try {
                        MessageExt m = admin.viewMessage(s[1]);
                        if (m != null && s[2].equals(m.getKeys())) {
                            byOffsetFound++;
                        }
                    } catch (Exception e) {
                        System.out.println("  offset msgId " + s[1] + ": " + Common.rootMessage(e));
                    }
                }
            }
        }
        report(keys == keysFound, "query-by-key", keysFound + " of " + keys + " keys found");
        report(uniq == uniqFound, "query-by-unique-key", uniqFound + " of " + uniq + " found");
        report(byOffset == byOffsetFound, "view-by-offset-msgid", byOffsetFound + " of " + byOffset + " found");

        // consumer offsets as the clients committed them
        Map<Integer, Long> want = new TreeMap<>();
        for (String line : Files.readAllLines(Paths.get(Common.need(a, "offsets", USAGE)))) {
            String[] p = line.trim().split("=");
            if (p.length == 2) {
                want.put(Integer.parseInt(p[0]), Long.parseLong(p[1]));
            }
        }
        Map<Integer, Long> have = offsets(admin, group, topic);
        report(want.equals(have), "consumer-offsets", "committed " + want + ", broker " + have);
        admin.shutdown();
        System.out.println(RemotingSerializable.toJson(new TreeMap<>(Map.of("ok", ok)), false));
        return ok;
    }
}
