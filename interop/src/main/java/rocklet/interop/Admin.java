package rocklet.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONArray;
import com.alibaba.fastjson.JSONObject;
import com.alibaba.fastjson.serializer.SerializerFeature;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * Admin checks with the real RocketMQ 4.9.3 DefaultMQAdminExt against the cluster at ADDR.
 *
 * usage: Admin -n ADDR -t TOPIC -o admin.json [--sent sent.jsonl]
 */
public final class Admin {
    static final String USAGE = "Admin -n NAMESRV_ADDR -t TOPIC -o admin.json [--sent sent.jsonl]";

    private static int failures = 0;
    private static final JSONObject RESULT = new JSONObject(true);

    interface Check {
        Object run() throws Exception;
    }

    /** Runs one check; an exception or a null/"false" result is a FAIL. */
    static Object check(String name, Check c) {
        long t0 = System.currentTimeMillis();
        try {
            Object v = c.run();
            if (v == null || Boolean.FALSE.equals(v)) {
                throw new IllegalStateException("empty result");
            }
            System.out.println("PASS admin/" + name + " (" + (System.currentTimeMillis() - t0) + " ms)");
            RESULT.put(name, v);
            return v;
        } catch (Throwable e) {
            failures++;
            System.out.println("FAIL admin/" + name + ": " + Common.rootMessage(e));
            RESULT.put(name, "ERROR: " + Common.rootMessage(e));
            return null;
        }
    }

    static void require(boolean cond, String what) {
        if (!cond) {
            throw new IllegalStateException(what);
        }
    }

    static Object json(Object o) {
        return JSON.parse(JSON.toJSONString(o, SerializerFeature.DisableCircularReferenceDetect));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        final String addr = Common.need(a, "n", USAGE);
        final String topic = Common.need(a, "t", USAGE);
        final String out = Common.need(a, "o", USAGE);
        final String sentPath = a.get("sent");

        final DefaultMQAdminExt admin = new DefaultMQAdminExt(10000);
        admin.setNamesrvAddr(addr);
        admin.setClientIP("127.0.0.1");
        admin.setInstanceName("admin-" + System.nanoTime());
        admin.setAdminExtGroup("rocklet_interop_admin_" + System.currentTimeMillis());
        long t0 = System.currentTimeMillis();
        admin.start();
        try {
            final TopicRouteData route = (TopicRouteData) check("examineTopicRouteInfo", () -> {
                TopicRouteData r = admin.examineTopicRouteInfo(topic);
                require(r != null && !r.getQueueDatas().isEmpty() && !r.getBrokerDatas().isEmpty(),
                    "route has no queueDatas/brokerDatas: " + r);
                return r;
            });
            if (route != null) {
                RESULT.put("examineTopicRouteInfo", json(route));
                RESULT.put("examineTopicRouteInfo.rawJson", route.toJson());
            }

            final ClusterInfo ci = (ClusterInfo) check("examineBrokerClusterInfo", () -> {
                ClusterInfo c = admin.examineBrokerClusterInfo();
                require(c.getClusterAddrTable() != null && c.getClusterAddrTable().containsKey("DefaultCluster"),
                    "no DefaultCluster in " + c.getClusterAddrTable());
                require(c.getBrokerAddrTable() != null && !c.getBrokerAddrTable().isEmpty(), "no brokers");
                return c;
            });
            if (ci != null) {
                RESULT.put("examineBrokerClusterInfo", json(ci));
            }

            // master address of the first broker carrying TOPIC (or any broker)
            String masterAddr = null;
            if (route != null) {
                for (BrokerData bd : route.getBrokerDatas()) {
                    if (bd.getBrokerAddrs().get(0L) != null) {
                        masterAddr = bd.getBrokerAddrs().get(0L);
                        break;
                    }
                }
            }
            if (masterAddr == null && ci != null) {
                for (BrokerData bd : ci.getBrokerAddrTable().values()) {
                    masterAddr = bd.getBrokerAddrs().get(0L);
                }
            }
            final String broker = masterAddr;
            RESULT.put("brokerAddr", broker);

            final String newTopic = topic + "_ADMIN_" + Long.toString(System.currentTimeMillis(), 36);
            check("createAndUpdateTopicConfig", () -> {
                require(broker != null, "no broker address known");
                TopicConfig tc = new TopicConfig(newTopic, 8, 8, 6);
                admin.createAndUpdateTopicConfig(broker, tc);
                // the broker registers the new topic with the name server; poll the route (bounded)
                long deadline = System.currentTimeMillis() + 15000;
                String last = null;
                for (int i = 0; i < 60 && System.currentTimeMillis() < deadline; i++) {
                    try {
                        TopicRouteData r = admin.examineTopicRouteInfo(newTopic);
                        int n = 0;
                        for (QueueData qd : r.getQueueDatas()) {
                            n += qd.getWriteQueueNums();
                            require(qd.getReadQueueNums() == 8, "readQueueNums " + qd.getReadQueueNums());
                        }
                        require(n == 8, "writeQueueNums " + n);
                        JSONObject o = new JSONObject(true);
                        o.put("topic", newTopic);
                        o.put("route", json(r));
                        o.put("routeAfterMs", i * 250);
                        return o;
                    } catch (Exception e) {
                        last = Common.rootMessage(e);
                        Thread.sleep(250);
                    }
                }
                throw new IllegalStateException("route for " + newTopic + " never appeared: " + last);
            });

            if (route != null) {
                check("offsets", () -> {
                    JSONArray arr = new JSONArray();
                    long total = 0;
                    for (QueueData qd : route.getQueueDatas()) {
                        for (int q = 0; q < qd.getReadQueueNums(); q++) {
                            MessageQueue mq = new MessageQueue(topic, qd.getBrokerName(), q);
                            long max = admin.maxOffset(mq);
                            long min = admin.minOffset(mq);
                            require(min >= 0 && max >= min, "bad offsets for " + mq + ": min " + min + " max " + max);
                            long now = System.currentTimeMillis();
                            long atNow = admin.searchOffset(mq, now);
                            long atPast = admin.searchOffset(mq, now - 3600_000L);
                            long atFuture = admin.searchOffset(mq, now + 3600_000L);
                            require(atPast >= min && atPast <= max, "searchOffset(past) " + atPast + " not in [" + min + "," + max + "]");
                            require(atNow >= min && atNow <= max, "searchOffset(now) " + atNow + " not in [" + min + "," + max + "]");
                            require(atFuture >= min && atFuture <= max, "searchOffset(future) " + atFuture + " not in [" + min + "," + max + "]");
                            JSONObject o = new JSONObject(true);
                            o.put("brokerName", qd.getBrokerName());
                            o.put("queueId", q);
                            o.put("minOffset", min);
                            o.put("maxOffset", max);
                            o.put("searchOffsetPast1h", atPast);
                            o.put("searchOffsetNow", atNow);
                            o.put("searchOffsetFuture1h", atFuture);
                            arr.add(o);
                            total += max - min;
                        }
                    }
                    require(total > 0, "all queues of " + topic + " are empty");
                    return arr;
                });
            }

            if (sentPath != null) {
                final List<JSONObject> sent = Common.readJsonl(sentPath);
                check("queryMessageByKey", () -> {
                    require(!sent.isEmpty(), sentPath + " is empty");
                    String keys = sent.get(0).getString("keys");
                    String key = keys.split(" ")[0];
                    String wantId = sent.get(0).getString("msgId");
                    QueryResult qr = null;
                    // the index is built asynchronously by the broker: bounded retry
                    for (int i = 0; i < 20; i++) {
                        qr = admin.queryMessage(topic, key, 32, 0, Long.MAX_VALUE);
                        if (qr != null && !qr.getMessageList().isEmpty()) {
                            break;
                        }
                        Thread.sleep(250);
                    }
                    require(qr != null && !qr.getMessageList().isEmpty(), "no message for key " + key);
                    boolean found = false;
                    JSONArray msgs = new JSONArray();
                    for (MessageExt m : qr.getMessageList()) {
                        found |= wantId.equals(m.getMsgId());
                        msgs.add(Common.recvRecord(m));
                    }
                    require(found, "key " + key + " returned " + qr.getMessageList().size() + " messages, none with msgId " + wantId);
                    JSONObject o = new JSONObject(true);
                    o.put("key", key);
                    o.put("messages", msgs);
                    return o;
                });

                check("viewMessageByUniqKey", () -> {
                    JSONObject s = sent.get(0);
                    String id = s.getString("msgId");
                    MessageExt m = admin.viewMessage(topic, id);
                    require(m != null, "null message");
                    require(id.equals(m.getMsgId()), "msgId " + m.getMsgId() + " != " + id);
                    require(s.getString("bodyHex").equals(Common.hex(m.getBody())), "body differs");
                    JSONObject o = new JSONObject(true);
                    o.put("msgId", id);
                    o.put("message", Common.recvRecord(m));
                    return o;
                });

                check("viewMessageByOffsetMsgId", () -> {
                    JSONObject s = null;
                    for (JSONObject r : sent) {
                        if (r.getString("offsetMsgId") != null) {
                            s = r;
                            break;
                        }
                    }
                    require(s != null, "no offsetMsgId in " + sentPath);
                    String off = s.getString("offsetMsgId");
                    MessageExt m = admin.viewMessage(off);
                    require(m != null, "null message");
                    require(s.getString("msgId").equals(m.getMsgId()), "uniq msgId " + m.getMsgId() + " != " + s.getString("msgId"));
                    require(s.getString("bodyHex").equals(Common.hex(m.getBody())), "body differs");
                    JSONObject o = new JSONObject(true);
                    o.put("offsetMsgId", off);
                    o.put("message", Common.recvRecord(m));
                    return o;
                });
            }
        } finally {
            admin.shutdown();
        }
        try (PrintWriter w = Common.openOut(out)) {
            w.println(JSON.toJSONString(RESULT, SerializerFeature.PrettyFormat, SerializerFeature.WriteMapNullValue,
                SerializerFeature.DisableCircularReferenceDetect));
        }
        long ms = System.currentTimeMillis() - t0;
        if (failures > 0) {
            System.out.println("FAIL Admin: " + failures + " check(s) failed in " + ms + " ms -> " + out);
            System.exit(1);
        }
        System.out.println("PASS Admin: all checks in " + ms + " ms -> " + out);
        System.exit(0);
    }
}
