package rocklet.interop;

import com.alibaba.fastjson.JSONArray;
import com.alibaba.fastjson.JSONObject;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.admin.ConsumeStats;
import org.apache.rocketmq.common.admin.OffsetWrapper;
import org.apache.rocketmq.common.admin.RollbackStats;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.common.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.beans.BeanInfo;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The "console" checks: every DefaultMQAdminExt (4.9.3) call a web console (rocketmq-console /
 * rocketmq-dashboard) makes, against the cluster behind one name server, with a live producer and a
 * live push consumer group running in this JVM. Prints one JSON line per check:
 *
 * <pre>
 *   {"check":NAME,"ok":true,"ms":N,"result":TREE}
 *   {"check":NAME,"ok":false,"ms":N,"error":{"class":..,"code":..,"message":..,"causes":[..]}}
 * </pre>
 * TREE is the returned object turned into plain JSON (maps with string keys, MessageQueue keys as
 * "topic@brokerName@queueId", sets sorted, beans by their getters, messages by their fields);
 * console_compare.py normalises it (times, addresses, ids, offsets, counts) and compares two runs.
 * A first line {"check":"_setup",...} describes the live clients (or why they did not start).
 *
 * usage: Console -n NAMESRV_ADDR [--seconds 150] [--rate 4] [--timeout-ms 5000]
 */
public final class Console {
    static final String USAGE = "Console -n NAMESRV_ADDR [--seconds 150] [--rate 4] [--timeout-ms 5000]";

    static final String LIVE = "ConsoleLive";           // 4 queues, live producer + consumers
    static final String SCRATCH = "ConsoleScratch";     // created and deleted
    static final String PG = "console_live_pg";
    static final String CG = "console_live_cg";          // live push consumer
    static final String OFFLINE_CG = "console_offline_cg";  // consumed, then shut down
    static final String GONE_PG = "console_gone_pg";     // sent one message, then shut down
    static final String SUB_CG = "console_scratch_cg";   // created / examined / deleted
    static final String TAG = "TagConsole";
    static final String KV_NS = "CONSOLE_NS";

    static DefaultMQAdminExt admin;
    static String ns;
    static String brokerAddr;
    static String brokerName;
    static String clusterName;
    static long startMs;

    // live state
    static final AtomicLong sent = new AtomicLong();
    static final AtomicLong sendFailed = new AtomicLong();
    static final AtomicLong consumed = new AtomicLong();
    static final AtomicLong offlineConsumed = new AtomicLong();
    static final AtomicLong firstKeySeen = new AtomicLong();   // times the live consumer saw key 0
    static final AtomicReference<SendResult> first = new AtomicReference<>();
    static final AtomicBoolean stop = new AtomicBoolean();
    static final String FIRST_KEY = "console-key-000000";

    interface Body {
        Object run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        ns = Common.need(a, "n", USAGE);
        final double seconds = Double.parseDouble(a.getOrDefault("seconds", "150"));
        final double rate = Double.parseDouble(a.getOrDefault("rate", "4"));
        final long timeoutMs = Long.parseLong(a.getOrDefault("timeout-ms", "5000"));
        startMs = System.currentTimeMillis();

        // hard bound on the whole program
        Thread killer = new Thread(() -> {
            try {
                Thread.sleep((long) (seconds * 1000) + 20_000L);
            } catch (InterruptedException ignored) {
                return;
            }
            System.out.println("{\"check\":\"_timeout\",\"ok\":false}");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        });
        killer.setDaemon(true);
        killer.start();

        admin = new DefaultMQAdminExt(timeoutMs);
        admin.setNamesrvAddr(ns);
        admin.setInstanceName("console-admin");
        admin.setClientIP("127.0.0.1");
        admin.start();

        DefaultMQProducer producer = null;
        DefaultMQPushConsumer consumer = null;
        DefaultMQPushConsumer offline = null;
        Thread sender = null;
        JSONObject setup = new JSONObject(true);
        setup.put("check", "_setup");
        long t0 = System.currentTimeMillis();
        try {
            ClusterInfo ci = admin.examineBrokerClusterInfo();
            for (BrokerData bd : new TreeMap<>(ci.getBrokerAddrTable()).values()) {
                if (bd.getBrokerAddrs().get(0L) != null) {
                    brokerName = bd.getBrokerName();
                    brokerAddr = bd.getBrokerAddrs().get(0L);
                    clusterName = bd.getCluster();
                    break;
                }
            }
            if (brokerAddr == null) {
                throw new IllegalStateException("no master broker in the cluster info");
            }
            TopicConfig tc = new TopicConfig(LIVE, 4, 4, 6);
            admin.createAndUpdateTopicConfig(brokerAddr, tc);
            waitFor("route of " + LIVE, 20_000, () -> {
                try {
                    return !admin.examineTopicRouteInfo(LIVE).getQueueDatas().isEmpty();
                } catch (Exception e) {
                    return false;
                }
            });

            consumer = pushConsumer(CG, "console-consumer", consumed, true);
            offline = pushConsumer(OFFLINE_CG, "console-offline", offlineConsumed, false);
            producer = new DefaultMQProducer(PG);
            producer.setNamesrvAddr(ns);
            producer.setClientIP("127.0.0.1");
            producer.setInstanceName("console-producer");
            producer.start();
            consumer.start();
            offline.start();
            final DefaultMQProducer p = producer;
            sender = new Thread(() -> sendLoop(p, seconds, rate), "console-sender");
            sender.setDaemon(true);
            sender.start();
            waitFor("first send + both consumers consumed", 40_000,
                () -> first.get() != null && consumed.get() > 0 && offlineConsumed.get() > 0);
            // Both groups settle before the checks: every LIVE queue has a message and a committed
            // offset, and the retry topic (created by the broker on the first heartbeat, routed on
            // the client's next 30 s route poll) is assigned and its offset committed too. Only
            // then is what the console sees independent of timing. Not fatal when it does not
            // happen (the checks then show the difference): listed under "unsettled".
            JSONArray unsettled = new JSONArray();
            JSONObject settleMs = new JSONObject(true);
            settleMs.put("firstConsumed", System.currentTimeMillis() - t0);
            for (DefaultMQPushConsumer c : new DefaultMQPushConsumer[] {consumer, offline}) {
                String g = c.getConsumerGroup();
                if (!waitQuiet(25_000, () -> settled(c))) {
                    unsettled.add(g + ": " + settleState(c));
                }
                settleMs.put(g, System.currentTimeMillis() - t0);
            }
            setup.put("settleMs", settleMs);
            // a producer group that was online and is gone (unregistered on shutdown)
            DefaultMQProducer gone = new DefaultMQProducer(GONE_PG);
            gone.setNamesrvAddr(ns);
            gone.setClientIP("127.0.0.1");
            gone.setInstanceName("console-gone-producer");
            gone.start();
            gone.send(new Message(LIVE, TAG, "console-gone-key", "console-gone-body".getBytes(StandardCharsets.UTF_8)));
            gone.getDefaultMQProducerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
            gone.shutdown();
            setup.put("unsettled", unsettled);
            // the offline group: offsets persisted by shutdown, then it is gone (unregistered)
            offline.shutdown();
            offline = null;
            setup.put("ok", true);
            setup.put("brokerName", brokerName);
            setup.put("brokerAddr", brokerAddr);
            setup.put("cluster", clusterName);
            setup.put("msgId", first.get().getMsgId());
            setup.put("offsetMsgId", first.get().getOffsetMsgId());
            setup.put("consumerClientId", consumer.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId());
            setup.put("producerClientId", producer.getDefaultMQProducerImpl().getmQClientFactory().getClientId());
        } catch (Throwable e) {
            setup.put("ok", false);
            setup.put("error", errorTree(e));
        }
        setup.put("ms", System.currentTimeMillis() - t0);
        setup.put("sent", sent.get());
        setup.put("consumed", consumed.get());
        emit(setup);

        if (Boolean.TRUE.equals(setup.get("ok"))) {
            runChecks(consumer.getDefaultMQPushConsumerImpl().getmQClientFactory().getClientId());
        }

        stop.set(true);
        if (sender != null) {
            sender.join(3000);
        }
        JSONObject done = new JSONObject(true);
        done.put("check", "_done");
        done.put("ok", true);
        done.put("sent", sent.get());
        done.put("sendFailed", sendFailed.get());
        done.put("consumed", consumed.get());
        done.put("ms", System.currentTimeMillis() - startMs);
        emit(done);
        // no graceful shutdowns (Netty's quiet periods); the brokers see the connections close
        Runtime.getRuntime().halt(0);
    }

    static DefaultMQPushConsumer pushConsumer(String group, String instance, AtomicLong counter, boolean live)
        throws MQClientException {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(ns);
        c.setClientIP("127.0.0.1");
        c.setInstanceName(instance);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setPersistConsumerOffsetInterval(1000);
        c.setConsumeThreadMin(2);
        c.setConsumeThreadMax(2);
        c.subscribe(LIVE, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            counter.addAndGet(msgs.size());
            if (live) {
                for (MessageExt m : msgs) {
                    if (FIRST_KEY.equals(m.getKeys())) {
                        firstKeySeen.incrementAndGet();
                    }
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        return c;
    }

    /** Retry queue + 4 LIVE queues assigned, and all their offsets committed (LIVE ones > 0). */
    static boolean settled(DefaultMQPushConsumer c) {
        String g = c.getConsumerGroup();
        String retry = "%RETRY%" + g;
        Set<MessageQueue> assigned = c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet();
        boolean retryAssigned = false;
        int liveAssigned = 0;
        for (MessageQueue mq : assigned) {
            retryAssigned |= retry.equals(mq.getTopic());
            liveAssigned += LIVE.equals(mq.getTopic()) ? 1 : 0;
        }
        if (!retryAssigned) {
            // the retry topic appears after the first heartbeat; do not wait for the 30 s poll
            c.getDefaultMQPushConsumerImpl().getmQClientFactory().updateTopicRouteInfoFromNameServer();
            c.getDefaultMQPushConsumerImpl().getmQClientFactory().rebalanceImmediately();
            return false;
        }
        if (liveAssigned != 4) {
            return false;
        }
        // the client's first scheduled offset commit is 10 s after its start: commit now
        c.getDefaultMQPushConsumerImpl().persistConsumerOffset();
        try {
            ConsumeStats cs = admin.examineConsumeStats(g);
            int retryQ = 0;
            int liveQ = 0;
            for (Map.Entry<MessageQueue, OffsetWrapper> e : cs.getOffsetTable().entrySet()) {
                if (retry.equals(e.getKey().getTopic())) {
                    retryQ++;
                } else if (LIVE.equals(e.getKey().getTopic()) && e.getValue().getConsumerOffset() > 0) {
                    liveQ++;
                }
            }
            return retryQ > 0 && liveQ == 4;
        } catch (Exception e) {
            return false;
        }
    }

    static String settleState(DefaultMQPushConsumer c) {
        List<String> assigned = new ArrayList<>();
        for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
            assigned.add(keyString(mq));
        }
        Collections.sort(assigned);
        Object stats = attempt(() -> admin.examineConsumeStats(c.getConsumerGroup()));
        return "assigned=" + assigned + " consumeStats=" + Common.toLine(stats);
    }

    static void sendLoop(DefaultMQProducer p, double seconds, double rate) {
        long t0 = System.nanoTime();
        long endNs = t0 + (long) (seconds * 1e9);
        long intervalNs = (long) (1e9 / Math.max(rate, 0.1));
        for (long i = 0; !stop.get() && System.nanoTime() < endNs; i++) {
            long wait = t0 + i * intervalNs - System.nanoTime();
            try {
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                }
                String key = String.format("console-key-%06d", i);
                Message m = new Message(LIVE, TAG, key,
                    String.format("console-body-%06d", i).getBytes(StandardCharsets.UTF_8));
                m.putUserProperty("consoleSeq", Long.toString(i));
                SendResult r = p.send(m);
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    sent.incrementAndGet();
                    if (first.get() == null) {
                        if (i != 0) {   // key 0 must be the first message (queryMessage by key)
                            System.err.println("first successful send was #" + i);
                        }
                        first.set(r);
                        // register the producer group with the broker now, not after 30 s
                        p.getDefaultMQProducerImpl().getmQClientFactory().sendHeartbeatToAllBrokerWithLock();
                    }
                } else {
                    sendFailed.incrementAndGet();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                sendFailed.incrementAndGet();
            }
        }
    }

    interface Cond {
        boolean ok() throws Exception;
    }

    static long waitFor(String what, long ms, Cond c) throws Exception {
        long t0 = System.currentTimeMillis();
        while (!c.ok()) {
            if (System.currentTimeMillis() - t0 > ms) {
                throw new IllegalStateException("timed out after " + ms + " ms waiting for " + what);
            }
            Thread.sleep(200);
        }
        return System.currentTimeMillis() - t0;
    }

    static boolean waitQuiet(long ms, Cond c) {
        try {
            waitFor("", ms, c);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ checks

    static void runChecks(final String consumerClientId) {
        final String msgId = first.get().getMsgId();
        final String offsetMsgId = first.get().getOffsetMsgId();
        final long resetTs = startMs - 1000;   // before the first message: resets rewind to 0

        check("examineBrokerClusterInfo", () -> admin.examineBrokerClusterInfo());
        check("getClusterList", () -> admin.getClusterList(LIVE));   // 4.9.3: a client-side stub, always empty
        check("getTopicClusterList", () -> admin.getTopicClusterList(LIVE));
        check("fetchBrokerRuntimeStats", () -> admin.fetchBrokerRuntimeStats(brokerAddr));
        check("getBrokerConfig", () -> admin.getBrokerConfig(brokerAddr));
        check("updateBrokerConfig", () -> {
            String before = admin.getBrokerConfig(brokerAddr).getProperty("fileReservedTime");
            Properties p = new Properties();
            p.setProperty("fileReservedTime", "72");
            admin.updateBrokerConfig(brokerAddr, p);
            String after = admin.getBrokerConfig(brokerAddr).getProperty("fileReservedTime");
            p.setProperty("fileReservedTime", before == null ? "48" : before);
            admin.updateBrokerConfig(brokerAddr, p);
            String restored = admin.getBrokerConfig(brokerAddr).getProperty("fileReservedTime");
            JSONObject o = new JSONObject(true);
            o.put("after", after);
            o.put("restoredToBefore", restored != null && restored.equals(before));
            return o;
        });
        check("fetchAllTopicList", () -> admin.fetchAllTopicList());
        check("fetchTopicsByCluster", () -> admin.fetchTopicsByCLuster(clusterName));
        check("examineTopicRouteInfo", () -> admin.examineTopicRouteInfo(LIVE));
        check("examineTopicStats", () -> admin.examineTopicStats(LIVE));
        check("examineTopicConfig", () -> admin.examineTopicConfig(brokerAddr, LIVE));
        check("createAndUpdateTopicConfig", () -> {
            TopicConfig tc = new TopicConfig(SCRATCH, 2, 2, 6);
            admin.createAndUpdateTopicConfig(brokerAddr, tc);
            final Object[] stats = new Object[1];
            boolean seen = waitQuiet(15_000, () -> {
                try {
                    stats[0] = admin.examineTopicStats(SCRATCH);
                    return true;
                } catch (Exception e) {
                    stats[0] = errorTree(e);
                    return false;
                }
            });
            JSONObject o = new JSONObject(true);
            o.put("visibleInTopicStats", seen);
            o.put("topicStats", stats[0]);
            o.put("topicConfig", admin.examineTopicConfig(brokerAddr, SCRATCH));
            o.put("inTopicList", admin.fetchAllTopicList().getTopicList().contains(SCRATCH));
            return o;
        });
        check("deleteTopicInBroker", () -> {
            Set<String> addrs = new HashSet<>();
            addrs.add(brokerAddr);
            admin.deleteTopicInBroker(addrs, SCRATCH);
            JSONObject o = new JSONObject(true);
            o.put("topicConfigAfter", attempt(() -> admin.examineTopicConfig(brokerAddr, SCRATCH)));
            return o;
        });
        check("deleteTopicInNameServer", () -> {
            Set<String> addrs = new HashSet<>();
            addrs.add(ns);
            admin.deleteTopicInNameServer(addrs, SCRATCH);
            JSONObject o = new JSONObject(true);
            o.put("routeAfter", attempt(() -> admin.examineTopicRouteInfo(SCRATCH)));
            o.put("inTopicListAfter", admin.fetchAllTopicList().getTopicList().contains(SCRATCH));
            return o;
        });
        check("examineConsumeStats", () -> admin.examineConsumeStats(CG));
        check("examineConsumeStats.topic", () -> admin.examineConsumeStats(CG, LIVE));
        check("examineConsumerConnectionInfo", () -> admin.examineConsumerConnectionInfo(CG));
        check("examineConsumerConnectionInfo.offline", () -> admin.examineConsumerConnectionInfo(OFFLINE_CG));
        check("examineProducerConnectionInfo", () -> admin.examineProducerConnectionInfo(PG, LIVE));
        check("examineProducerConnectionInfo.offline", () -> admin.examineProducerConnectionInfo(GONE_PG, LIVE));
        check("getConsumerRunningInfo", () -> admin.getConsumerRunningInfo(CG, consumerClientId, false));
        check("queryTopicConsumeByWho", () -> admin.queryTopicConsumeByWho(LIVE));
        check("fetchConsumeStatsInBroker", () -> admin.fetchConsumeStatsInBroker(brokerAddr, false, 5000));
        check("getAllSubscriptionGroup", () -> admin.getAllSubscriptionGroup(brokerAddr, 5000));
        check("createAndUpdateSubscriptionGroupConfig", () -> {
            SubscriptionGroupConfig c = new SubscriptionGroupConfig();
            c.setGroupName(SUB_CG);
            c.setRetryMaxTimes(5);
            c.setRetryQueueNums(1);
            c.setConsumeBroadcastEnable(false);
            c.setConsumeFromMinEnable(false);
            admin.createAndUpdateSubscriptionGroupConfig(brokerAddr, c);
            return null;
        });
        check("examineSubscriptionGroupConfig", () -> admin.examineSubscriptionGroupConfig(brokerAddr, SUB_CG));
        check("deleteSubscriptionGroup", () -> {
            admin.deleteSubscriptionGroup(brokerAddr, SUB_CG);
            JSONObject o = new JSONObject(true);
            o.put("examineAfter", attempt(() -> admin.examineSubscriptionGroupConfig(brokerAddr, SUB_CG)));
            return o;
        });
        check("queryMessage.key", () -> admin.queryMessage(LIVE, FIRST_KEY, 32, 0, System.currentTimeMillis() + 60_000));
        check("viewMessage.uniqKey", () -> admin.viewMessage(LIVE, msgId));
        check("viewMessage.offsetMsgId", () -> admin.viewMessage(offsetMsgId));
        check("messageTrackDetail", () -> admin.messageTrackDetail(admin.viewMessage(offsetMsgId)));
        check("consumeMessageDirectly", () -> admin.consumeMessageDirectly(CG, consumerClientId, LIVE, msgId));
        check("consumeMessageDirectly.offsetMsgId", () -> admin.consumeMessageDirectly(CG, consumerClientId, offsetMsgId));
        check("viewBrokerStatsData.TOPIC_PUT_NUMS", () -> admin.viewBrokerStatsData(brokerAddr, "TOPIC_PUT_NUMS", LIVE));
        check("viewBrokerStatsData.GROUP_GET_NUMS", () -> admin.viewBrokerStatsData(brokerAddr, "GROUP_GET_NUMS", LIVE + "@" + CG));
        check("searchOffset", () -> {
            MessageQueue mq = new MessageQueue(LIVE, brokerName, 0);
            long min = admin.minOffset(mq);
            long max = admin.maxOffset(mq);
            long search = admin.searchOffset(mq, resetTs);
            JSONObject o = new JSONObject(true);
            o.put("minIsZero", min == 0);
            o.put("maxPositive", max > 0);
            o.put("searchBeforeFirstIsMin", search == min);
            long future = admin.searchOffset(mq, System.currentTimeMillis() + 1000);
            o.put("searchFutureNearMax", future >= max - 1 && future <= admin.maxOffset(mq));
            o.put("earliestMsgStoreTimeAfterStart", admin.earliestMsgStoreTime(mq) >= resetTs);
            return o;
        });
        check("getNameServerConfig", () -> admin.getNameServerConfig(null));
        check("updateNameServerConfig", () -> {
            List<String> nss = Collections.singletonList(ns);
            String before = admin.getNameServerConfig(nss).get(ns).getProperty("productEnvName");
            Properties p = new Properties();
            p.setProperty("productEnvName", "console_interop");
            admin.updateNameServerConfig(p, nss);
            String after = admin.getNameServerConfig(nss).get(ns).getProperty("productEnvName");
            p.setProperty("productEnvName", before == null ? "center" : before);
            admin.updateNameServerConfig(p, nss);
            JSONObject o = new JSONObject(true);
            o.put("before", before);
            o.put("after", after);
            o.put("restored", admin.getNameServerConfig(nss).get(ns).getProperty("productEnvName"));
            return o;
        });
        check("putKVConfig", () -> {   // a no-op in 4.9.3's DefaultMQAdminExtImpl
            admin.putKVConfig(KV_NS, "console.put", "v");
            JSONObject o = new JSONObject(true);
            o.put("getAfter", attempt(() -> admin.getKVConfig(KV_NS, "console.put")));
            return o;
        });
        check("createAndUpdateKvConfig", () -> {
            admin.createAndUpdateKvConfig(KV_NS, "console.key", "console.value");
            return null;
        });
        check("getKVConfig", () -> admin.getKVConfig(KV_NS, "console.key"));
        check("getKVListByNamespace", () -> admin.getKVListByNamespace(KV_NS));
        check("deleteKvConfig", () -> {
            admin.deleteKvConfig(KV_NS, "console.key");
            JSONObject o = new JSONObject(true);
            o.put("getAfter", attempt(() -> admin.getKVConfig(KV_NS, "console.key")));
            return o;
        });
        check("getKVConfig.missing", () -> admin.getKVConfig(KV_NS, "console.missing"));
        check("resetOffsetByTimestamp.online", () -> {
            long seenBefore = firstKeySeen.get();
            Map<MessageQueue, Long> r = admin.resetOffsetByTimestamp(LIVE, CG, resetTs, true);
            JSONObject o = new JSONObject(true);
            o.put("offsets", r);
            boolean allZero = true;
            for (Long v : r.values()) {
                allZero &= v != null && v == 0L;
            }
            o.put("allZero", allZero);
            o.put("firstMessageConsumedAgain", waitQuiet(15_000, () -> firstKeySeen.get() > seenBefore));
            return o;
        });
        check("resetOffsetByTimestamp.offline", () -> admin.resetOffsetByTimestamp(LIVE, OFFLINE_CG, resetTs, true));
        check("resetOffsetByTimestampOld.offline", () -> {   // the console's fallback for CONSUMER_NOT_ONLINE
            List<RollbackStats> r = admin.resetOffsetByTimestampOld(OFFLINE_CG, LIVE, resetTs, true);
            JSONObject o = new JSONObject(true);
            o.put("rollbackStats", r);
            ConsumeStats cs = admin.examineConsumeStats(OFFLINE_CG, LIVE);
            boolean allZero = !cs.getOffsetTable().isEmpty();
            for (OffsetWrapper w : cs.getOffsetTable().values()) {
                allZero &= w.getConsumerOffset() == 0;
            }
            o.put("consumerOffsetsAllZeroAfter", allZero);
            return o;
        });
        check("wipeWritePermOfBroker", () -> {
            int n = admin.wipeWritePermOfBroker(ns, brokerName);
            JSONObject o = new JSONObject(true);
            o.put("wipeTopicCount", n);
            o.put("livePermAfter", livePerm());
            return o;
        });
        check("addWritePermOfBroker", () -> {
            int n = admin.addWritePermOfBroker(ns, brokerName);
            JSONObject o = new JSONObject(true);
            o.put("addTopicCount", n);
            o.put("livePermAfter", livePerm());
            return o;
        });
    }

    static Object livePerm() {
        return attempt(() -> {
            TopicRouteData r = admin.examineTopicRouteInfo(LIVE);
            for (QueueData q : r.getQueueDatas()) {
                if (brokerName.equals(q.getBrokerName())) {
                    return q.getPerm();
                }
            }
            return null;
        });
    }

    /** The call's result tree, or {"error": ...} (for a value inside a check's result). */
    static Object attempt(Body b) {
        try {
            return tree(b.run());
        } catch (Throwable e) {
            JSONObject o = new JSONObject(true);
            o.put("error", errorTree(e));
            return o;
        }
    }

    static void check(String name, Body b) {
        JSONObject o = new JSONObject(true);
        o.put("check", name);
        long t0 = System.currentTimeMillis();
        try {
            Object r = b.run();
            o.put("ok", true);
            o.put("ms", System.currentTimeMillis() - t0);
            o.put("result", tree(r));
        } catch (Throwable e) {
            o.put("ok", false);
            o.put("ms", System.currentTimeMillis() - t0);
            o.put("error", errorTree(e));
        }
        emit(o);
    }

    static synchronized void emit(JSONObject o) {
        System.out.println(Common.toLine(o));
        System.out.flush();
    }

    static JSONObject errorTree(Throwable e) {
        JSONObject o = new JSONObject(true);
        o.put("class", e.getClass().getSimpleName());
        o.put("code", code(e));
        o.put("message", message(e));
        JSONArray causes = new JSONArray();
        Throwable c = e.getCause();
        for (int i = 0; c != null && c != e && i < 4; i++, c = c.getCause()) {
            JSONObject x = new JSONObject(true);
            x.put("class", c.getClass().getSimpleName());
            x.put("code", code(c));
            x.put("message", message(c));
            causes.add(x);
        }
        o.put("causes", causes);
        return o;
    }

    static Integer code(Throwable e) {
        if (e instanceof MQClientException) {
            return ((MQClientException) e).getResponseCode();
        }
        if (e instanceof MQBrokerException) {
            return ((MQBrokerException) e).getResponseCode();
        }
        return null;
    }

    static String message(Throwable e) {
        String m;
        if (e instanceof MQClientException && ((MQClientException) e).getErrorMessage() != null) {
            m = ((MQClientException) e).getErrorMessage();
        } else if (e instanceof MQBrokerException && ((MQBrokerException) e).getErrorMessage() != null) {
            m = ((MQBrokerException) e).getErrorMessage();
        } else {
            m = e.getMessage();
        }
        if (m == null) {
            return null;
        }
        m = m.replace('\n', ' ');
        int i = m.indexOf("See http");
        if (i > 0) {
            m = m.substring(0, i).trim();
        }
        return m.length() > 400 ? m.substring(0, 400) : m;
    }

    // ------------------------------------------------------------------ object -> JSON tree

    static Object tree(Object o) {
        return tree(o, 0, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    static String keyString(Object k) {
        if (k instanceof MessageQueue) {
            MessageQueue mq = (MessageQueue) k;
            return mq.getTopic() + "@" + mq.getBrokerName() + "@" + mq.getQueueId();
        }
        return String.valueOf(k);
    }

    static Object tree(Object o, int depth, Set<Object> seen) {
        if (o == null || o instanceof String || o instanceof Boolean || o instanceof Number) {
            return o;
        }
        if (o instanceof Character || o instanceof SocketAddress) {
            return o.toString();
        }
        if (o instanceof Enum) {
            return ((Enum<?>) o).name();
        }
        if (o instanceof byte[]) {
            return new String((byte[]) o, StandardCharsets.UTF_8);
        }
        if (depth > 12) {
            return "<too deep>";
        }
        if (o instanceof Throwable) {
            return errorTree((Throwable) o);
        }
        if (!seen.add(o)) {
            return "<cycle>";
        }
        try {
            if (o instanceof MessageExt) {
                return messageTree((MessageExt) o, depth, seen);
            }
            if (o instanceof Map) {
                TreeMap<String, Object> m = new TreeMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                    m.put(keyString(e.getKey()), tree(e.getValue(), depth + 1, seen));
                }
                return m;
            }
            if (o instanceof Collection) {
                List<Object> l = new ArrayList<>();
                for (Object x : (Collection<?>) o) {
                    l.add(tree(x, depth + 1, seen));
                }
                if (o instanceof Set) {
                    l.sort((x, y) -> Common.toLine(x).compareTo(Common.toLine(y)));
                }
                return l;
            }
            if (o.getClass().isArray()) {
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < Array.getLength(o); i++) {
                    l.add(tree(Array.get(o, i), depth + 1, seen));
                }
                return l;
            }
            TreeMap<String, Object> m = new TreeMap<>();
            BeanInfo bi = Introspector.getBeanInfo(o.getClass(), Object.class);
            for (PropertyDescriptor pd : bi.getPropertyDescriptors()) {
                Method rm = pd.getReadMethod();
                if (rm == null || rm.getParameterCount() != 0) {
                    continue;
                }
                Object v;
                try {
                    rm.setAccessible(true);
                    v = rm.invoke(o);
                } catch (Exception e) {
                    v = "<getter failed: " + e.getClass().getSimpleName() + ">";
                }
                m.put(pd.getName(), tree(v, depth + 1, seen));
            }
            return m;
        } catch (Exception e) {
            return "<" + o.getClass().getSimpleName() + ": " + e + ">";
        } finally {
            seen.remove(o);
        }
    }

    static Object messageTree(MessageExt m, int depth, Set<Object> seen) {
        TreeMap<String, Object> o = new TreeMap<>();
        o.put("topic", m.getTopic());
        o.put("tags", m.getTags());
        o.put("keys", m.getKeys());
        o.put("body", m.getBody() == null ? null : new String(m.getBody(), StandardCharsets.UTF_8));
        o.put("flag", m.getFlag());
        o.put("sysFlag", m.getSysFlag());
        o.put("reconsumeTimes", m.getReconsumeTimes());
        o.put("queueId", m.getQueueId());
        o.put("queueOffset", m.getQueueOffset());
        o.put("commitLogOffset", m.getCommitLogOffset());
        o.put("bornTimestamp", m.getBornTimestamp());
        o.put("storeTimestamp", m.getStoreTimestamp());
        o.put("bornHost", String.valueOf(m.getBornHost()));
        o.put("storeHost", String.valueOf(m.getStoreHost()));
        o.put("storeSize", m.getStoreSize());
        o.put("bodyCRC", m.getBodyCRC());
        o.put("preparedTransactionOffset", m.getPreparedTransactionOffset());
        o.put("msgId", m.getMsgId());
        if (m instanceof MessageClientExt) {
            o.put("offsetMsgId", ((MessageClientExt) m).getOffsetMsgId());
        }
        o.put("properties", tree(m.getProperties() == null ? null : new TreeMap<>(m.getProperties()), depth + 1, seen));
        return o;
    }
}
