package rocklet.interop;

import com.alibaba.fastjson.JSONObject;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads a topic from the beginning with a real RocketMQ 4.9.3 consumer until N distinct msgIds
 * are seen or the timeout passes, and writes one JSON line per distinct message.
 *
 * usage: Consume -n ADDR -t TOPIC -o got.jsonl --expect N --mode litepull|push [--timeout-sec 60] [-g group]
 */
public final class Consume {
    static final String USAGE = "Consume -n NAMESRV_ADDR -t TOPIC -o got.jsonl --expect N --mode litepull|push"
        + " [--timeout-sec 60] [-g consumerGroup]";

    private static final Map<String, JSONObject> SEEN = new LinkedHashMap<>();
    private static final AtomicInteger DUPLICATES = new AtomicInteger();

    static void accept(MessageExt m) {
        JSONObject o = Common.recvRecord(m);
        synchronized (SEEN) {
            if (SEEN.containsKey(m.getMsgId())) {
                DUPLICATES.incrementAndGet();
            } else {
                SEEN.put(m.getMsgId(), o);
            }
        }
    }

    static int seen() {
        synchronized (SEEN) {
            return SEEN.size();
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String out = Common.need(a, "o", USAGE);
        int expect = Integer.parseInt(Common.need(a, "expect", USAGE));
        String mode = Common.need(a, "mode", USAGE);
        long timeoutMs = Long.parseLong(a.getOrDefault("timeout-sec", "60")) * 1000L;
        String group = a.getOrDefault("g", "rocklet_interop_cg_" + mode + "_" + System.currentTimeMillis());

        long t0 = System.currentTimeMillis();
        long deadline = t0 + timeoutMs;
        String error = null;
        if ("litepull".equals(mode)) {
            error = runLitePull(addr, topic, group, expect, deadline);
        } else if ("push".equals(mode)) {
            error = runPush(addr, topic, group, expect, deadline);
        } else {
            Common.die("unknown --mode " + mode + "\nusage: " + USAGE);
        }
        long ms = System.currentTimeMillis() - t0;

        List<JSONObject> recs;
        synchronized (SEEN) {
            recs = new ArrayList<>(SEEN.values());
        }
        try (PrintWriter w = Common.openOut(out)) {
            for (JSONObject o : recs) {
                w.println(Common.toLine(o));
            }
        }
        String summary = recs.size() + "/" + expect + " distinct msgIds via " + mode + " from " + topic
            + " in " + ms + " ms (" + DUPLICATES.get() + " duplicate deliveries) -> " + out;
        if (error != null) {
            System.out.println("FAIL Consume: " + error + "; " + summary);
            System.exit(1);
        }
        if (recs.size() < expect) {
            System.out.println("FAIL Consume: timeout, " + summary);
            System.exit(1);
        }
        System.out.println("PASS Consume: " + summary);
        System.exit(0);
    }

    static String runLitePull(String addr, String topic, String group, int expect, long deadline) {
        DefaultLitePullConsumer c = new DefaultLitePullConsumer(group);
        c.setNamesrvAddr(addr);
        c.setClientIP("127.0.0.1");
        c.setInstanceName("consume-lite-" + System.nanoTime());
        c.setAutoCommit(false);
        c.setPullBatchSize(32);
        c.setPollTimeoutMillis(1000);
        String error = null;
        try {
            c.start();
            Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
            if (mqs == null || mqs.isEmpty()) {
                return "fetchMessageQueues(" + topic + ") returned no queues";
            }
            System.out.println("INFO litepull: assigned " + mqs.size() + " queues: " + mqs);
            c.assign(mqs);
            for (MessageQueue mq : mqs) {
                c.seekToBegin(mq);
            }
            int polls = 0;
            while (seen() < expect && System.currentTimeMillis() < deadline && polls < 10000) {
                polls++;
                List<MessageExt> got = c.poll(1000);
                for (MessageExt m : got) {
                    accept(m);
                }
            }
        } catch (Exception e) {
            error = "litepull: " + Common.rootMessage(e);
        } finally {
            try {
                c.shutdown();
            } catch (Exception e) {
                if (error == null) {
                    error = "litepull shutdown: " + Common.rootMessage(e);
                }
            }
        }
        return error;
    }

    static String runPush(String addr, String topic, String group, int expect, long deadline) {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(addr);
        c.setClientIP("127.0.0.1");
        c.setInstanceName("consume-push-" + System.nanoTime());
        c.setMessageModel(MessageModel.CLUSTERING);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setConsumeThreadMin(2);
        c.setConsumeThreadMax(2);
        c.setPullBatchSize(32);
        String error = null;
        try {
            c.subscribe(topic, "*");
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                for (MessageExt m : msgs) {
                    accept(m);
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
            c.start();
            while (seen() < expect && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
        } catch (Exception e) {
            error = "push: " + Common.rootMessage(e);
        } finally {
            try {
                c.shutdown();
            } catch (Exception e) {
                if (error == null) {
                    error = "push shutdown: " + Common.rootMessage(e);
                }
            }
        }
        return error;
    }
}
