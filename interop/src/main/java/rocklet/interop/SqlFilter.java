package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * SQL92 selectors through the real 4.9.3 consumers (interop/run.sh, the sql group): 24 messages
 * with user properties (a, b, f, s, flag, big; some missing), then one consumer group per selector
 * of the table below, all at once in this JVM, each printing which messages it received:
 *
 *   CASE 07 push b IN ('x', 'z') -> m0,m2,m3,...
 *
 * Also a push consumer with a bad selector (its start is refused: the code and the first line of
 * the message are printed) and a lite pull consumer with the same bad selector (what the broker
 * then delivers). The broker's answers are the test: run.sh compares the output on the Java
 * broker with the output on Rocklet, line by line.
 *
 * usage: SqlFilter -n ADDR -t TOPIC --mode push|litepull [--seconds 40]
 */
public final class SqlFilter {
    static final String USAGE = "SqlFilter -n ADDR -t TOPIC --mode push|litepull [--kind sql|tag] [--seconds 40]";
    static final int N = 24;
    static final String[] CASES = {
        "a > 10",
        "a >= 10 AND a < 12",
        "a = 3",
        "a <> 3",
        "a BETWEEN 5 AND 8",
        "a NOT BETWEEN 5 AND 20",
        "b IN ('x', 'z')",
        "b NOT IN ('x')",
        "s IS NULL",
        "s IS NOT NULL",
        "s = '中文'",
        "s = 'ü' OR a = 0",
        "a > 5 AND b = 'y' OR a < 2",
        "a > 5 AND (b = 'y' OR a < 2)",
        "f > 3.5",
        "f <= 2.0 AND f >= 1.0",
        "flag = TRUE",
        "flag = 'true'",
        "b > 1",
        "a = 'abc'",
        "missing > 1",
        "NOT (a > 5)",
        "big > 2147483647",
        "big > 2147483647L",
        "TRUE",
        "a IS NULL",
        "(a < 3 OR a > 20) AND NOT (b = 'x')",
        "a IN ('1', '2')",
        "A > 10",
        "a > -1 AND a < +3",
    };
    static final String BAD = "a > AND b";
    /** Tag subscriptions (--kind tag): lists, '*', an empty expression, two tags with the same
     * String.hashCode ("Aa" and "BB": the broker passes both by hash code, the client's string
     * re-check keeps the one asked for), a tag with a space, spaces around tags, no match. */
    static final String[] TAG_CASES = {
        "TagA || TagB",
        "*",
        "",
        "Aa",
        "BB",
        "Tag A",
        "TagA||TagC",
        " TagB ",
        "TagD",
        "TagA || Tag A",
        "Aa || TagC",
    };
    static final String[] TAGS = {"TagA", "TagB", "TagC", "Aa", "BB", "Tag A", null};
    static boolean tagKind;

    static Message message(String topic, int i) {
        Message m = new Message(topic, tagKind ? TAGS[i % TAGS.length] : "sql", ("m" + i).getBytes(StandardCharsets.UTF_8));
        if (i == 21) {
            m.putUserProperty("a", "abc");
        } else if (i != 20) {
            m.putUserProperty("a", String.valueOf(i));
        }
        m.putUserProperty("b", new String[] {"x", "y", "z"}[i % 3]);
        m.putUserProperty("f", String.valueOf(i * 0.5));
        if (i % 4 == 0) {
            m.putUserProperty("s", "中文");
        } else if (i % 4 == 1) {
            m.putUserProperty("s", "ü");
        }
        m.putUserProperty("flag", i % 2 == 0 ? "true" : "false");
        if (i == 5) {
            m.putUserProperty("big", "3000000000");
        }
        if (i == 6) {
            m.putUserProperty("big", "7");
        }
        return m;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String mode = Common.need(a, "mode", USAGE);
        final boolean push = mode.equals("push");
        long seconds = Long.parseLong(a.getOrDefault("seconds", "40"));
        String run = String.valueOf(System.currentTimeMillis() % 100000);
        tagKind = "tag".equals(a.get("kind"));
        final String[] CASES = tagKind ? TAG_CASES : SqlFilter.CASES;
        final String BAD = tagKind ? null : SqlFilter.BAD;
        if (tagKind) {
            mode = mode + "-tag";
        }

        DefaultMQProducer p = new DefaultMQProducer("sql_pg_" + run);
        p.setNamesrvAddr(ns);
        p.setClientIP("127.0.0.1");
        p.start();
        for (int i = 0; i < N; i++) {
            SendResult r = p.send(message(topic, i), 5000);
            if (r.getSendStatus() != SendStatus.SEND_OK) {
                Common.die("send m" + i + ": " + r.getSendStatus());
            }
        }
        p.shutdown();

        final List<Set<String>> got = new ArrayList<>();
        for (int i = 0; i <= CASES.length; i++) {
            got.add(java.util.Collections.synchronizedSet(new TreeSet<>()));
        }
        final AtomicLong last = new AtomicLong(System.currentTimeMillis());
        List<Runnable> stops = new ArrayList<>();
        List<DefaultLitePullConsumer> pulls = new ArrayList<>();
        String badResult = "";
        for (int c = 0; c < CASES.length + (BAD == null ? 0 : 1); c++) {
            final int idx = c;
            boolean bad = c == CASES.length;
            String expr = bad ? BAD : CASES[c];
            MessageSelector selector = tagKind ? MessageSelector.byTag(expr) : MessageSelector.bySql(expr);
            String group = "sql_" + mode + "_" + run + "_" + c;
            if (push) {
                DefaultMQPushConsumer pc = new DefaultMQPushConsumer(group);
                pc.setNamesrvAddr(ns);
                pc.setClientIP("127.0.0.1");
                pc.setInstanceName("sql_" + mode + "_" + run);
                pc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                pc.setConsumeThreadMin(1);
                pc.setConsumeThreadMax(1);
                pc.subscribe(topic, selector);
                pc.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                    for (MessageExt m : msgs) {
                        got.get(idx).add(new String(m.getBody(), StandardCharsets.UTF_8));
                    }
                    last.set(System.currentTimeMillis());
                    return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                });
                try {
                    pc.start();
                    stops.add(pc::shutdown);
                    if (bad) {
                        badResult = "started";
                    }
                } catch (MQClientException e) {
                    badResult = refusal(e, idx, bad);
                }
            } else {
                DefaultLitePullConsumer lc = new DefaultLitePullConsumer(group);
                lc.setNamesrvAddr(ns);
                lc.setClientIP("127.0.0.1");
                lc.setInstanceName("sql_" + mode + "_" + run);
                lc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                lc.setPullThreadNums(1);
                lc.subscribe(topic, selector);
                try {
                    lc.start();
                    pulls.add(lc);
                    stops.add(lc::shutdown);
                    if (bad) {
                        badResult = "started";
                    }
                } catch (MQClientException e) {
                    badResult = refusal(e, idx, bad);
                }
            }
        }
        // The consumers share one client instance, whose heartbeat is sent with a tryLock: a
        // consumer started while another's heartbeat was on its way waits for the next one (30 s).
        // One heartbeat and one rebalance now, with every group in it.
        org.apache.rocketmq.client.ClientConfig cc = new org.apache.rocketmq.client.ClientConfig();
        cc.setNamesrvAddr(ns);
        cc.setClientIP("127.0.0.1");
        cc.setInstanceName("sql_" + mode + "_" + run);
        org.apache.rocketmq.client.impl.factory.MQClientInstance inst =
            org.apache.rocketmq.client.impl.MQClientManager.getInstance().getOrCreateMQClientInstance(cc);
        inst.sendHeartbeatToAllBrokerWithLock();
        inst.rebalanceImmediately();
        long started = System.currentTimeMillis();
        long deadline = started + seconds * 1000;
        long quietEnough = 6000;
        // A consumer may wait for the instance's next rebalance (every 20 s) before it owns
        // queues: never stop before 25 s, so a selector's empty answer means no message matched.
        long atLeast = started + 25000;
        while (System.currentTimeMillis() < deadline) {
            if (!push) {
                for (int c = 0; c < pulls.size(); c++) {
                    for (MessageExt m : pulls.get(c).poll(50)) {
                        got.get(c).add(new String(m.getBody(), StandardCharsets.UTF_8));
                        last.set(System.currentTimeMillis());
                    }
                }
            } else {
                Thread.sleep(200);
            }
            long now = System.currentTimeMillis();
            if (now > atLeast && now - last.get() > quietEnough && got.stream().anyMatch(s -> !s.isEmpty())) {
                break;
            }
        }
        for (Runnable r : stops) {
            r.run();
        }
        for (int c = 0; c < CASES.length; c++) {
            System.out.printf("CASE %02d %s [%s] -> %s%n", c, mode, CASES[c], String.join(",", sorted(got.get(c))));
        }
        if (BAD != null) {
            System.out.println("BAD " + mode + " " + BAD + " -> " + badResult);
        }
        System.exit(0);
    }

    /** "refused, code N: " and the first line of the broker's remark (the parser exception's
     * class and "Encountered ... at line L, column C."), compared; the whole first line is also
     * printed on its own BADTEXT line. */
    static String refusal(MQClientException e, int idx, boolean bad) {
        String msg = String.valueOf(e.getErrorMessage()).split("\n")[0];
        String r = "refused, code " + e.getResponseCode() + ": " + msg;
        System.out.println((bad ? "BADTEXT " : "CASE " + idx + " start refused: ") + "code " + e.getResponseCode() + ": " + msg);
        return r;
    }

    static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort((x, y) -> Integer.compare(Integer.parseInt(x.substring(1)), Integer.parseInt(y.substring(1))));
        return l;
    }
}
