package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Orderly consumption with the real RocketMQ 4.9.3 client against the cluster at ADDR: a push
 * consumer with MessageListenerOrderly only consumes queues the broker locked for it
 * (LOCK_BATCH_MQ), so receiving everything shows the locks are granted; each order's messages,
 * sent to one queue by a selector, must arrive in send order. A second consumer joining the group
 * takes over some queues (the first unlocks them, the second locks them) and the rest of the
 * messages still arrive in order.
 *
 * usage: Orderly -n ADDR -t TOPIC [--wait-ms 30000]
 */
public final class Orderly {
    static final String USAGE = "Orderly -n NAMESRV_ADDR -t TOPIC [--wait-ms 30000]";
    static final int ORDERS = 4;
    static final int STEPS = 5;
    private static final Common.Checks CHECKS = new Common.Checks("orderly");

    static DefaultMQPushConsumer consumer(String ns, String topic, String instance, Map<Integer, List<Integer>> seen,
                                          List<String> who) throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer("rocklet_interop_orderly_c");
        c.setNamesrvAddr(ns);
        c.setInstanceName(instance);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String[] parts = new String(m.getBody(), StandardCharsets.UTF_8).split(":");
                int order = Integer.parseInt(parts[0]);
                int step = Integer.parseInt(parts[1]);
                seen.computeIfAbsent(order, k -> new CopyOnWriteArrayList<>()).add(step);
                who.add(instance + "/" + order + "/" + step);
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        c.start();
        return c;
    }

    static int total(Map<Integer, List<Integer>> seen) {
        return seen.values().stream().mapToInt(List::size).sum();
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("rocketmq.client.rebalance.waitInterval", "1000");
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        long waitMs = Long.parseLong(a.getOrDefault("wait-ms", "30000"));

        DefaultMQProducer p = new DefaultMQProducer("rocklet_interop_orderly_p");
        p.setNamesrvAddr(ns);
        p.setSendMsgTimeout(10000);
        p.start();
        Map<Integer, List<Integer>> seen = new ConcurrentHashMap<>();
        List<String> who = new CopyOnWriteArrayList<>();
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            // The first half of every order, then the consumer, then a second consumer, then the rest.
            boolean sentOk = true;
            for (int step = 0; step < STEPS; step++) {
                if (step == 2) {
                    consumers.add(consumer(ns, topic, "orderly-1", seen, who));
                }
                if (step == 3) {
                    consumers.add(consumer(ns, topic, "orderly-2", seen, who));
                    Thread.sleep(3000); // both rebalance (every second here): queues change hands
                }
                for (int order = 0; order < ORDERS; order++) {
                    Message m = new Message(topic, "TagO", (order + ":" + step).getBytes(StandardCharsets.UTF_8));
                    SendResult r = p.send(m, (mqs, msg, arg) -> {
                        int id = (Integer) arg;
                        return mqs.get(id % mqs.size());
                    }, order);
                    sentOk &= r.getSendStatus() == SendStatus.SEND_OK;
                }
            }
            CHECKS.result("send", sentOk, "a send was not SEND_OK");
            long deadline = System.currentTimeMillis() + waitMs;
            while (total(seen) < ORDERS * STEPS && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            // Per consumer, each order's steps arrive strictly in send order. (When a queue
            // changes hands the new owner may see a step again: at-least-once, never reordered.)
            boolean inOrder = true;
            java.util.Set<String> missing = new java.util.TreeSet<>();
            StringBuilder why = new StringBuilder();
            for (String inst : new String[] {"orderly-1", "orderly-2"}) {
                for (int order = 0; order < ORDERS; order++) {
                    int last = -1;
                    for (String w : who) {
                        String[] f = w.split("/");
                        if (!f[0].equals(inst) || Integer.parseInt(f[1]) != order) {
                            continue;
                        }
                        int step = Integer.parseInt(f[2]);
                        if (step <= last) {
                            inOrder = false;
                            why.append(inst).append(" order ").append(order).append(" step ").append(step)
                                .append(" after ").append(last).append("; ");
                        }
                        last = step;
                    }
                }
            }
            for (int order = 0; order < ORDERS; order++) {
                for (int step = 0; step < STEPS; step++) {
                    if (!seen.getOrDefault(order, new ArrayList<>()).contains(step)) {
                        missing.add(order + ":" + step);
                    }
                }
            }
            CHECKS.result("every-step-consumed", missing.isEmpty(), "missing " + missing);
            CHECKS.result("in-order-per-consumer", inOrder, why.toString());
            boolean one = who.stream().anyMatch(w -> w.startsWith("orderly-1/"));
            boolean two = who.stream().anyMatch(w -> w.startsWith("orderly-2/"));
            CHECKS.result("both-consumers-consumed", one && two, "orderly-1 " + one + ", orderly-2 " + two);
        } catch (Throwable e) {
            CHECKS.result("run", false, Common.rootMessage(e));
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            p.shutdown();
        }
        CHECKS.exit();
    }
}
