package rocklet.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONObject;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.header.QueryConsumerOffsetRequestHeader;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Broadcast consumer groups and the admin requests about them (issue 15 item 6), for broadcast.sh.
 *
 * Creates TOPIC (4 queues) on the only broker, sends 8 messages (message i to queue i % 4), starts
 * TWO push consumers of GROUP (instance names bcast-c1 / bcast-c2, MessageModel.BROADCASTING,
 * CONSUME_FROM_FIRST_OFFSET) and waits until each received all 8. With both consumers online it
 * then runs, in this JVM:
 *  - the real 4.9.3 mqadmin subcommands (MQAdminStartup.main0, stdout captured) consumerProgress -g,
 *    consumerProgress, consumerConnection -g, consumerStatus -g, consumerStatus -g -i C1, written
 *    consumerProgress -g -s true, getConsumerStatus, resetOffsetByTime (online and offline), brokerConsumeStats,
 *    to OUT/mqadmin-NAME.out in mqadmin.sh's format ("### mqadmin ARGS", stdout, "### exit 0");
 *  - DefaultMQAdminExt calls, one JSON line each in OUT/api.jsonl (console_compare.py's format):
 *    examineConsumeStats(g), examineConsumeStats(g, topic), examineConsumerConnectionInfo(g),
 *    getConsumerRunningInfo(g, c1, false) and (g, c2, false), queryTopicConsumeByWho(topic),
 *    fetchConsumeStatsInBroker(broker, false, 5000) / (.., true, ..);
 *  - QUERY_CONSUMER_OFFSET (14) for GROUP on every queue (OUT/exact.txt, exact values, not normalised).
 * Then shuts the consumers down and writes (OUT/exact.txt): each consumer's local offset file
 * (user.home/.rocketmq_offsets/CLIENT_ID/GROUP/offsets.json), and, once offline, the group's
 * consumeStats / connection answer again (api.jsonl, "*.offline").
 *
 * usage: Broadcast -n ADDR -t TOPIC -g GROUP -o OUT_DIR [--timeout-sec 40] [--settle-sec 11]
 * (--settle-sec: the wait between the last message consumed and the admin calls)
 */
public final class Broadcast {
    static final String USAGE = "Broadcast -n NAMESRV_ADDR -t TOPIC -g GROUP -o OUT_DIR [--timeout-sec 40] [--settle-sec 11]";
    static final int N = 8;
    static final int QUEUES = 4;

    static PrintWriter api;
    static PrintWriter exact;

    static final class Counter {
        final Set<String> keys = new TreeSet<>();
        int deliveries;

        synchronized void add(MessageExt m) {
            deliveries++;
            keys.add(m.getKeys());
        }

        synchronized int distinct() {
            return keys.size();
        }
    }

    static DefaultMQPushConsumer consumer(String addr, String group, String topic, String inst, Counter c)
        throws Exception {
        DefaultMQPushConsumer pc = new DefaultMQPushConsumer(group);
        pc.setNamesrvAddr(addr);
        pc.setClientIP("127.0.0.1");
        pc.setInstanceName(inst);
        pc.setMessageModel(MessageModel.BROADCASTING);
        pc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        pc.setConsumeThreadMin(1);
        pc.setConsumeThreadMax(1);
        pc.subscribe(topic, "*");
        pc.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                c.add(m);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        pc.start();
        return pc;
    }

    /** One real mqadmin subcommand in this JVM, its stdout/stderr captured, in mqadmin.sh's format. */
    static void mqadmin(File outDir, String name, String... args) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintStream so = System.out;
        PrintStream se = System.err;
        synchronized (Broadcast.class) {
            System.setOut(new PrintStream(o, true, "UTF-8"));
            System.setErr(new PrintStream(e, true, "UTF-8"));
            try {
                org.apache.rocketmq.tools.command.MQAdminStartup.main0(args, null);
            } finally {
                System.out.flush();
                System.err.flush();
                System.setOut(so);
                System.setErr(se);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("### mqadmin ").append(String.join(" ", args)).append('\n');
        String out = o.toString("UTF-8");
        sb.append(out);
        if (!out.isEmpty() && !out.endsWith("\n")) {
            sb.append('\n');
        }
        String err = e.toString("UTF-8");
        if (!err.isEmpty()) {
            sb.append("### stderr\n").append(err);
            if (!err.endsWith("\n")) {
                sb.append('\n');
            }
        }
        sb.append("### exit 0\n");
        File f = new File(outDir, "mqadmin-" + name + ".out");
        Files.write(f.toPath(), sb.toString().getBytes(StandardCharsets.UTF_8),
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    static void check(String name, Console.Body b) {
        JSONObject o = new JSONObject(true);
        o.put("check", name);
        long t0 = System.currentTimeMillis();
        try {
            Object r = b.run();
            o.put("ok", true);
            o.put("ms", System.currentTimeMillis() - t0);
            o.put("result", Console.tree(r));
        } catch (Throwable e) {
            o.put("ok", false);
            o.put("ms", System.currentTimeMillis() - t0);
            o.put("error", Console.errorTree(e));
        }
        api.println(Common.toLine(o));
        api.flush();
        // exact (not normalised) view of the same answer, for the report
        exact.println("API " + name + " " + (o.getBooleanValue("ok") ? "ok " + JSON.toJSONString(o.get("result"))
            : "error " + JSON.toJSONString(o.get("error"))));
        exact.flush();
    }

    public static void main(String[] args) throws Exception {
        int rc = 1;
        try {
            run(args);
            rc = 0;
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.println("FAIL Broadcast: " + e);
        } finally {
            System.out.flush();
            System.exit(rc);
        }
    }

    static void run(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String group = Common.need(a, "g", USAGE);
        File outDir = new File(Common.need(a, "o", USAGE));
        long timeoutMs = Long.parseLong(a.getOrDefault("timeout-sec", "40")) * 1000L;
        long settleMs = (long) (Double.parseDouble(a.getOrDefault("settle-sec", "11")) * 1000L);
        outDir.mkdirs();
        api = Common.openOut(new File(outDir, "api.jsonl").getPath());
        exact = Common.openOut(new File(outDir, "exact.txt").getPath());
        long t0 = System.currentTimeMillis();
        long deadline = t0 + timeoutMs;

        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(addr);
        admin.setInstanceName("bcast-admin");
        admin.start();
        ClusterInfo ci = admin.examineBrokerClusterInfo();
        BrokerData bd = ci.getBrokerAddrTable().values().iterator().next();
        String brokerAddr = bd.selectBrokerAddr();
        TopicConfig tc = new TopicConfig(topic, QUEUES, QUEUES, 6);
        admin.createAndUpdateTopicConfig(brokerAddr, tc);

        DefaultMQProducer p = new DefaultMQProducer("bcast_pg");
        p.setNamesrvAddr(addr);
        p.setClientIP("127.0.0.1");
        p.setInstanceName("bcast-producer");
        p.start();
        int sent = 0;
        while (sent < N && System.currentTimeMillis() < deadline) {
            final int idx = sent;
            Message m = new Message(topic, "TagB", String.format("bcast-key-%02d", idx),
                String.format("bcast-body-%02d", idx).getBytes(StandardCharsets.UTF_8));
            try {
                SendResult r = p.send(m, (mqs, msg, arg) -> mqs.get(idx % mqs.size()), null);
                System.out.println("SENT " + idx + " queue=" + r.getMessageQueue().getQueueId()
                    + " offset=" + r.getQueueOffset() + " " + r.getSendStatus());
                sent++;
            } catch (Exception e) {
                System.out.println("send " + idx + " failed (retrying): " + Console.message(e));
                Thread.sleep(500);
            }
        }
        p.shutdown();

        Counter n1 = new Counter();
        Counter n2 = new Counter();
        DefaultMQPushConsumer c1 = consumer(addr, group, topic, "bcast-c1", n1);
        DefaultMQPushConsumer c2 = consumer(addr, group, topic, "bcast-c2", n2);
        String id1 = c1.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId();
        String id2 = c2.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId();
        System.out.println("CLIENTS c1=" + id1 + " c2=" + id2);
        while ((n1.distinct() < N || n2.distinct() < N) && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        System.out.println("CONSUMED sent=" + sent + " c1=" + n1.distinct() + " c2=" + n2.distinct()
            + " (" + (System.currentTimeMillis() - t0) + " ms)");
        exact.println("CONSUMED sent=" + sent + " c1=" + n1.distinct() + " c2=" + n2.distinct());
        // both consumers re-send a heartbeat so that the broker surely has both
        c1.getDefaultMQPushConsumerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
        c2.getDefaultMQPushConsumerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
        // let one rebalance settle, and let the brokers' 10-second stats sampling run at least once
        // after the last pull (GROUP_GET_NUMS: consumeTps of getConsumeStats)
        Thread.sleep(settleMs);

        // ---- the real mqadmin subcommands
        mqadmin(outDir, "consumerProgress", "consumerProgress", "-g", group, "-n", addr);
        mqadmin(outDir, "consumerProgress", "consumerProgress", "-g", group, "-s", "true", "-n", addr);
        mqadmin(outDir, "consumerProgress", "consumerProgress", "-n", addr);
        mqadmin(outDir, "consumerConnection", "consumerConnection", "-g", group, "-n", addr);
        mqadmin(outDir, "consumerStatus", "consumerStatus", "-g", group, "-n", addr);
        mqadmin(outDir, "consumerStatus", "consumerStatus", "-g", group, "-i", id1, "-n", addr);
        mqadmin(outDir, "brokerConsumeStats", "brokerConsumeStats", "-b", brokerAddr, "-n", addr);

        // ---- DefaultMQAdminExt
        try {
            double tps = admin.examineConsumeStats(group, topic).getConsumeTps();
            System.out.println("CONSUME_TPS " + tps);
            exact.println("CONSUME_TPS examineConsumeStats(g, topic).consumeTps > 0 once sampled after the pulls: " + (tps > 0));
        } catch (Exception e) {
            exact.println("CONSUME_TPS error " + Console.code(e) + " " + Console.message(e));
        }
        check("examineConsumeStats", () -> admin.examineConsumeStats(group));
        check("examineConsumeStats.topic", () -> admin.examineConsumeStats(group, topic));
        check("examineConsumerConnectionInfo", () -> admin.examineConsumerConnectionInfo(group));
        check("getConsumerRunningInfo.c1", () -> admin.getConsumerRunningInfo(group, id1, false));
        check("getConsumerRunningInfo.c2", () -> admin.getConsumerRunningInfo(group, id2, false));
        check("queryTopicConsumeByWho", () -> admin.queryTopicConsumeByWho(topic));
        check("fetchConsumeStatsInBroker", () -> admin.fetchConsumeStatsInBroker(brokerAddr, false, 5000));
        try {
            org.apache.rocketmq.common.protocol.body.ConsumerRunningInfo ri = admin.getConsumerRunningInfo(group, id1, true);
            exact.println("JSTACK c1 getConsumerRunningInfo(g, c1, true): jstack "
                + (ri.getJstack() == null || ri.getJstack().isEmpty() ? "empty" : "present"));
        } catch (Exception e) {
            exact.println("JSTACK c1 getConsumerRunningInfo(g, c1, true): error " + Console.code(e) + " " + Console.message(e));
        }
        check("fetchConsumeStatsInBroker.order", () -> admin.fetchConsumeStatsInBroker(brokerAddr, true, 5000));

        check("getConsumeStatus", () -> admin.getConsumeStatus(topic, group, ""));
        check("examineSubscriptionGroupConfig", () -> admin.examineSubscriptionGroupConfig(brokerAddr, group));
        check("examineTopicRouteInfo.retry", () -> admin.examineTopicRouteInfo("%RETRY%" + group));
        mqadmin(outDir, "getConsumerStatus", "getConsumerStatus", "-g", group, "-t", topic, "-n", addr);
        // INVOKE_BROKER_TO_RESET_OFFSET (222) for a group whose offsets live on the clients (last: it mutates)
        mqadmin(outDir, "resetOffsetByTime", "resetOffsetByTime", "-g", group, "-t", topic, "-s", "now", "-n", addr);
        check("resetOffsetByTimestamp", () -> admin.resetOffsetByTimestamp(topic, group, System.currentTimeMillis(), true));

        // ---- QUERY_CONSUMER_OFFSET (14), exact answers
        MQClientAPIImpl capi = c1.getDefaultMQPushConsumerImpl().getmQClientFactory().getMQClientAPIImpl();
        List<String> q = new ArrayList<>();
        for (int i = 0; i < QUEUES; i++) {
            QueryConsumerOffsetRequestHeader h = new QueryConsumerOffsetRequestHeader();
            h.setConsumerGroup(group);
            h.setTopic(topic);
            h.setQueueId(i);
            try {
                q.add("q" + i + "=" + capi.queryConsumerOffset(brokerAddr, h, 3000));
            } catch (Exception e) {
                q.add("q" + i + "=error(" + Console.code(e) + ": " + Console.message(e) + ")");
            }
        }
        exact.println("QUERY_CONSUMER_OFFSET(14) online " + String.join(" ", q));
        exact.flush();

        // ---- shut down; the local offset files; the offline answers
        c1.shutdown();
        c2.shutdown();
        String home = System.getProperty("rocketmq.client.localOffsetStoreDir",
            System.getProperty("user.home") + File.separator + ".rocketmq_offsets");
        for (String[] c : new String[][] {{"c1", id1}, {"c2", id2}}) {
            File f = new File(home + File.separator + c[1] + File.separator + group + File.separator + "offsets.json");
            String text = f.exists() ? new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8) : null;
            String v = "missing";
            if (text != null) {
                JSONObject ot = JSON.parseObject(text).getJSONObject("offsetTable");
                Set<String> kv = new TreeSet<>();
                for (Map.Entry<String, Object> en : ot.entrySet()) {
                    // the keys are MessageQueue objects written as JSON objects
                    JSONObject mq = JSON.parseObject(String.valueOf(en.getKey()));
                    kv.add("q" + mq.getIntValue("queueId") + "=" + en.getValue());
                }
                v = String.join(" ", kv);
            }
            exact.println("LOCAL_OFFSETS " + c[0] + " " + v);
        }
        exact.flush();
        Thread.sleep(500);
        check("examineConsumeStats.offline", () -> admin.examineConsumeStats(group));
        check("examineConsumerConnectionInfo.offline", () -> admin.examineConsumerConnectionInfo(group));
        check("resetOffsetByTimestamp.offline", () -> admin.resetOffsetByTimestamp(topic, group, System.currentTimeMillis(), true));
        mqadmin(outDir, "offline-consumerProgress", "consumerProgress", "-n", addr);
        mqadmin(outDir, "offline-consumerConnection", "consumerConnection", "-g", group, "-n", addr);
        mqadmin(outDir, "offline-resetOffsetByTime", "resetOffsetByTime", "-g", group, "-t", topic, "-s", "now", "-n", addr);
        admin.shutdown();
        api.close();
        exact.close();
        System.out.println("DONE (" + (System.currentTimeMillis() - t0) + " ms)");
    }
}
