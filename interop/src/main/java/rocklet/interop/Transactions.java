package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real RocketMQ 4.9.3 TransactionMQProducer against the cluster at ADDR: a committed
 * transaction becomes visible once, a rolled back one never, an UNKNOW one is resolved by the
 * broker's check-back (CHECK_TRANSACTION_STATE answered by checkLocalTransaction).
 *
 * The broker must check often: transactionCheckInterval=1000, transactionTimeOut=1000 (Rocklet:
 * -p transactionCheckInterval=1000 -p transactionTimeOut=1000; Java: the same keys in broker.conf).
 *
 * usage: Transactions -n ADDR -t TOPIC [--wait-ms 20000]
 * Prints "PASS tx/<case>" or "FAIL tx/<case>: reason" lines; exits 1 if any case failed.
 */
public final class Transactions {
    static final String USAGE = "Transactions -n NAMESRV_ADDR -t TOPIC [--wait-ms 20000]";

    private static final Common.Checks CHECKS = new Common.Checks("tx");

    /** Outcome per body: what executeLocalTransaction and checkLocalTransaction answer. */
    static final class Listener implements TransactionListener {
        final Map<String, LocalTransactionState> execute = new ConcurrentHashMap<>();
        final Map<String, LocalTransactionState> check = new ConcurrentHashMap<>();
        final AtomicInteger checks = new AtomicInteger();
        final Set<String> checkedBodies = ConcurrentHashMap.newKeySet();

        @Override
        public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
            String body = new String(msg.getBody(), StandardCharsets.UTF_8);
            if (msg.getTransactionId() == null) {
                throw new IllegalStateException("no transactionId on " + body);
            }
            return execute.getOrDefault(body, LocalTransactionState.UNKNOW);
        }

        @Override
        public LocalTransactionState checkLocalTransaction(MessageExt msg) {
            String body = new String(msg.getBody(), StandardCharsets.UTF_8);
            checks.incrementAndGet();
            checkedBodies.add(body + "@" + msg.getTopic());
            return check.getOrDefault(body, LocalTransactionState.UNKNOW);
        }
    }

    static void result(String name, boolean ok, String why) {
        CHECKS.result(name, ok, why);
    }

    /** Bodies of every message of TOPIC, pulled from offset 0 of each queue. */
    static List<String> readAll(DefaultMQPullConsumer c, String topic) throws Exception {
        List<String> out = new ArrayList<>();
        for (MessageQueue mq : c.fetchSubscribeMessageQueues(topic)) {
            long off = 0;
            while (true) {
                PullResult r = c.pull(mq, "*", off, 32);
                if (r.getPullStatus() != PullStatus.FOUND || r.getMsgFoundList() == null) {
                    break;
                }
                for (MessageExt m : r.getMsgFoundList()) {
                    out.add(new String(m.getBody(), StandardCharsets.UTF_8));
                }
                off = r.getNextBeginOffset();
            }
        }
        return out;
    }

    static long count(List<String> all, String body) {
        return all.stream().filter(body::equals).count();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        long waitMs = Long.parseLong(a.getOrDefault("wait-ms", "20000"));

        Listener l = new Listener();
        l.execute.put("commit", LocalTransactionState.COMMIT_MESSAGE);
        l.execute.put("rollback", LocalTransactionState.ROLLBACK_MESSAGE);
        l.execute.put("unknow-commit", LocalTransactionState.UNKNOW);
        l.check.put("unknow-commit", LocalTransactionState.COMMIT_MESSAGE);
        l.execute.put("unknow-rollback", LocalTransactionState.UNKNOW);
        l.check.put("unknow-rollback", LocalTransactionState.ROLLBACK_MESSAGE);

        TransactionMQProducer p = new TransactionMQProducer("rocklet_interop_tx");
        p.setNamesrvAddr(ns);
        p.setTransactionListener(l);
        p.setSendMsgTimeout(10000);
        p.start();
        DefaultMQPullConsumer c = new DefaultMQPullConsumer("rocklet_interop_tx_reader");
        c.setNamesrvAddr(ns);
        c.start();
        try {
            String[] bodies = {"commit", "rollback", "unknow-commit", "unknow-rollback"};
            for (String b : bodies) {
                Message m = new Message(topic, "TagTx", ("key-" + b), b.getBytes(StandardCharsets.UTF_8));
                TransactionSendResult r = p.sendMessageInTransaction(m, null);
                result("send-" + b, r.getSendStatus() == SendStatus.SEND_OK
                        && r.getLocalTransactionState() == l.execute.get(b),
                    r.getSendStatus() + " " + r.getLocalTransactionState());
            }
            // Poll until the check-back committed "unknow-commit" (or time is up).
            long deadline = System.currentTimeMillis() + waitMs;
            List<String> all = readAll(c, topic);
            while (count(all, "unknow-commit") == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(500);
                all = readAll(c, topic);
            }
            // A few more check rounds must change nothing.
            Thread.sleep(3000);
            all = readAll(c, topic);
            result("commit-visible-once", count(all, "commit") == 1, "seen " + count(all, "commit") + " times");
            result("rollback-invisible", count(all, "rollback") == 0, "seen " + count(all, "rollback") + " times");
            result("unknow-checked-back-commit", count(all, "unknow-commit") == 1,
                "seen " + count(all, "unknow-commit") + " times, " + l.checks.get() + " checks");
            result("unknow-checked-back-rollback", count(all, "unknow-rollback") == 0,
                "seen " + count(all, "unknow-rollback") + " times");
            result("check-body-real-topic", l.checkedBodies.contains("unknow-commit@" + topic),
                "checked " + l.checkedBodies);
            result("decided-not-checked", !l.checkedBodies.contains("commit@" + topic)
                    && !l.checkedBodies.contains("rollback@" + topic), "checked " + l.checkedBodies);
            // 4.9.3 ignores (clears) a delay level on a transactional message; Rocklet's Rust
            // client refuses it instead. Record what the Java client does.
            Message d = new Message(topic, "TagTx", "delayed".getBytes(StandardCharsets.UTF_8));
            d.setDelayTimeLevel(3);
            l.execute.put("delayed", LocalTransactionState.ROLLBACK_MESSAGE);
            TransactionSendResult dr = p.sendMessageInTransaction(d, null);
            result("delay-level-ignored-by-java", dr.getSendStatus() == SendStatus.SEND_OK,
                String.valueOf(dr.getSendStatus()));
        } catch (Throwable e) {
            result("run", false, Common.rootMessage(e));
        } finally {
            c.shutdown();
            p.shutdown();
        }
        CHECKS.exit();
    }
}
