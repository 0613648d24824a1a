package rocklet.interop;

import com.alibaba.fastjson.JSONObject;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import com.alibaba.fastjson.JSONArray;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;

/**
 * A long-running 4.9.3 DefaultMQPushConsumer member of a group (interop/push.sh): one JSON line
 * per delivery (msgId, queueId, queueOffset, reconsumeTimes, topic, body, member) to OUT. Messages
 * whose tag is in --fail-tags are answered RECONSUME_LATER (delay level --delay-level) or, orderly,
 * SUSPEND_CURRENT_QUEUE_A_MOMENT. Stops (shutdown, which commits the offsets) on SIGTERM or after
 * --duration-sec.
 *
 * usage: PushMember -n ADDR -t TOPIC -g GROUP --instance NAME -o OUT [--orderly]
 *        [--fail-tags T,U --max-reconsume N --delay-level L] [--duration-sec 120]
 */
public final class PushMember {
    static final String USAGE = "PushMember -n ADDR -t TOPIC -g GROUP --instance NAME -o OUT [--orderly] "
        + "[--fail-tags T --max-reconsume N --delay-level L] [--duration-sec 120]";

    public static void main(String[] args) throws Exception {
        System.setProperty("rocketmq.client.rebalance.waitInterval", "1000");
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String group = Common.need(a, "g", USAGE);
        String instance = Common.need(a, "instance", USAGE);
        String outPath = Common.need(a, "o", USAGE);
        boolean orderly = a.containsKey("orderly");
        Set<String> fail = new HashSet<>(Arrays.asList(a.getOrDefault("fail-tags", "").split(",")));
        fail.remove("");
        int delay = Integer.parseInt(a.getOrDefault("delay-level", "0"));
        long durationMs = Long.parseLong(a.getOrDefault("duration-sec", "120")) * 1000;

        final PrintWriter out = Common.openOut(outPath);
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(ns);
        c.setClientIP("127.0.0.1");
        c.setInstanceName(instance);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setMaxReconsumeTimes(Integer.parseInt(a.getOrDefault("max-reconsume", "-1")));
        c.setAwaitTerminationMillisWhenShutdown(3000);
        c.subscribe(topic, "*");
        if (orderly) {
            c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) ->
                record(out, instance, fail, msgs) ? ConsumeOrderlyStatus.SUCCESS
                    : ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT);
        } else {
            c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                if (record(out, instance, fail, msgs)) {
                    return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                }
                if (delay != 0) {
                    ctx.setDelayLevelWhenNextConsume(delay);
                }
                return ConsumeConcurrentlyStatus.RECONSUME_LATER;
            });
        }
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            c.shutdown();
            synchronized (out) {
                out.flush();
            }
            System.out.println("STOPPED " + instance);
            System.out.flush();
            stop.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        c.start();
        String clientId = c.buildMQClientId();
        System.out.println("STARTED " + instance + " clientId=" + clientId);
        System.out.flush();
        // the assigned queues of TOPIC, one line per change, to OUT.queues.jsonl
        long until = System.currentTimeMillis() + durationMs;
        String prev = null;
        try (PrintWriter qf = Common.openOut(outPath + ".queues.jsonl")) {
            while (System.currentTimeMillis() < until) {
                TreeSet<Integer> ids = new TreeSet<>();
                JSONArray qs = new JSONArray();
                for (Map.Entry<MessageQueue, ProcessQueue> e
                    : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().entrySet()) {
                    if (e.getKey().getTopic().equals(topic) && !e.getValue().isDropped()) {
                        ids.add(e.getKey().getQueueId());
                    }
                }
                String key = ids.toString();
                if (!key.equals(prev)) {
                    for (int q : ids) {
                        JSONObject o = new JSONObject(true);
                        o.put("brokerName", brokerOf(c, topic, q));
                        o.put("queueId", q);
                        qs.add(o);
                    }
                    JSONObject line = new JSONObject(true);
                    line.put("clientId", clientId);
                    line.put("member", instance);
                    line.put("t", System.currentTimeMillis());
                    line.put("queues", qs);
                    qf.println(Common.toLine(line));
                    prev = key;
                }
                Thread.sleep(300);
            }
        }
        System.exit(0); // runs the hook
    }

    static String brokerOf(DefaultMQPushConsumer c, String topic, int q) {
        for (MessageQueue mq : c.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
            if (mq.getTopic().equals(topic) && mq.getQueueId() == q) {
                return mq.getBrokerName();
            }
        }
        return "?";
    }

    /** Writes a line per message; false when one of them has a failing tag. */
    static boolean record(PrintWriter out, String instance, Set<String> fail, List<MessageExt> msgs) {
        boolean ok = true;
        for (MessageExt m : msgs) {
            boolean failing = m.getTags() != null && fail.contains(m.getTags());
            ok &= !failing;
            JSONObject o = new JSONObject(true);
            o.put("msgId", m.getMsgId());
            o.put("topic", m.getTopic());
            o.put("tags", m.getTags());
            o.put("keys", m.getKeys());
            o.put("body", new String(m.getBody(), StandardCharsets.UTF_8));
            o.put("queueId", m.getQueueId());
            o.put("queueOffset", m.getQueueOffset());
            o.put("reconsumeTimes", m.getReconsumeTimes());
            o.put("failed", failing);
            o.put("member", instance);
            o.put("t", System.currentTimeMillis());
            synchronized (out) {
                out.println(Common.toLine(o));
            }
        }
        return ok;
    }
}
