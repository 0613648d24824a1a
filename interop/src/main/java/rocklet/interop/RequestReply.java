package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Request-reply (RocketMQ 4.4+ RPC) with the real 4.9.3 client against the cluster at ADDR.
 *
 * Responder: a DefaultMQPushConsumer on TOPIC answering every request with
 * {@code MessageUtil.createReplyMessage(request, "re:" + body)} sent by its own DefaultMQProducer
 * (the broker gets it as SEND_REPLY_MESSAGE(_V2) and pushes it to the requester with
 * PUSH_REPLY_MESSAGE_TO_CLIENT). Requester: a DefaultMQProducer calling, COUNT times each,
 * {@code request(msg, timeout)} (sync), {@code request(msg, callback, timeout)} (async),
 * {@code request(msg, queue, timeout)} and {@code request(msg, selector, arg, timeout)}, and the
 * async forms of the last two. Every reply's body must be "re:" + the request's body, its
 * correlation id the request's, and (queue / selector) the responder must have seen the request on
 * the chosen queue. Prints "PASS reqreply/<mode> - detail" / "FAIL reqreply/<mode>: reason" lines and
 * exits 0 when all passed, 1 otherwise.
 *
 * usage: RequestReply -n NAMESRV_ADDR [-t RequestReplyTopic] [--count 5] [--timeout-ms 5000]
 */
public final class RequestReply {
    static final String USAGE = "RequestReply -n NAMESRV_ADDR [-t RequestReplyTopic] [--count 5] [--timeout-ms 5000] [--serve-seconds N]";
    static final int QUEUES = 4;

    /** request body -> queue id the responder received it on */
    static final Map<String, Integer> seenOnQueue = new ConcurrentHashMap<>();
    /** request body -> correlation id the responder saw */
    static final Map<String, String> seenCorrelation = new ConcurrentHashMap<>();
    static final AtomicReference<String> responderError = new AtomicReference<>();
    static final AtomicLong replied = new AtomicLong();
    static int failures = 0;

    interface Sync {
        Message request(Message m, int i) throws Exception;
    }

    interface Async {
        void request(Message m, int i, RequestCallback cb) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        final String ns = Common.need(a, "n", USAGE);
        final String topic = a.getOrDefault("t", "RequestReplyTopic");
        final int count = Integer.parseInt(a.getOrDefault("count", "5"));
        final long timeoutMs = Long.parseLong(a.getOrDefault("timeout-ms", "5000"));
        Thread killer = new Thread(() -> {
            try {
                Thread.sleep(120_000L);
            } catch (InterruptedException ignored) {
                return;
            }
            System.out.println("FAIL reqreply/run: still running after 120 s");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        });
        killer.setDaemon(true);
        killer.start();

        // the request topic, on every master
        DefaultMQAdminExt admin = new DefaultMQAdminExt(5000);
        admin.setNamesrvAddr(ns);
        admin.setInstanceName("reqreply-admin");
        admin.setClientIP("127.0.0.1");
        admin.start();
        String brokerName = null;
        String cluster = null;
        try {
            ClusterInfo ci = admin.examineBrokerClusterInfo();
            for (BrokerData bd : ci.getBrokerAddrTable().values()) {
                String addr = bd.getBrokerAddrs().get(0L);
                if (addr != null) {
                    admin.createAndUpdateTopicConfig(addr, new TopicConfig(topic, QUEUES, QUEUES, 6));
                    brokerName = brokerName == null ? bd.getBrokerName() : brokerName;
                    cluster = bd.getCluster();
                }
            }
            if (brokerName == null) {
                throw new IllegalStateException("no master broker");
            }
            long t0 = System.currentTimeMillis();
            while (true) {
                try {
                    if (!admin.examineTopicRouteInfo(topic).getQueueDatas().isEmpty()) {
                        break;
                    }
                } catch (Exception e) {
                    if (System.currentTimeMillis() - t0 > 20_000) {
                        throw e;
                    }
                }
                Thread.sleep(200);
            }
            result("setup", true, "topic " + topic + " (" + QUEUES + " queues) on " + brokerName
                + ", reply topic " + cluster + "_" + "REPLY_TOPIC");
        } catch (Exception e) {
            result("setup", false, "creating " + topic + ": " + Common.rootMessage(e));
            finish();
        }

        // responder
        final DefaultMQProducer replyProducer = new DefaultMQProducer("rr_responder_pg");
        replyProducer.setNamesrvAddr(ns);
        replyProducer.setClientIP("127.0.0.1");
        replyProducer.setInstanceName("rr-responder-producer");
        replyProducer.start();
        DefaultMQPushConsumer responder = new DefaultMQPushConsumer("rr_responder_cg");
        responder.setNamesrvAddr(ns);
        responder.setClientIP("127.0.0.1");
        responder.setInstanceName("rr-responder");
        responder.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        responder.setConsumeThreadMin(4);
        responder.setConsumeThreadMax(4);
        responder.subscribe(topic, "*");
        responder.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                String body = new String(m.getBody(), StandardCharsets.UTF_8);
                seenOnQueue.put(body, m.getQueueId());
                String corr = m.getProperty(MessageConst.PROPERTY_CORRELATION_ID);
                seenCorrelation.put(body, corr == null ? "" : corr);
                try {
                    Message reply = MessageUtil.createReplyMessage(m, ("re:" + body).getBytes(StandardCharsets.UTF_8));
                    SendResult r = replyProducer.send(reply, 3000);
                    replied.incrementAndGet();
                    if (r == null) {
                        responderError.compareAndSet(null, "reply send returned null for '" + body + "'");
                    }
                } catch (Exception e) {
                    responderError.compareAndSet(null, "reply to '" + body + "': " + describe(e));
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        responder.start();
        // --serve-seconds: only answer (another client, e.g. Rocklet's Rust requester, asks).
        if (a.containsKey("serve-seconds")) {
            System.out.println("READY responder on " + topic);
            System.out.flush();
            Thread.sleep(Long.parseLong(a.get("serve-seconds")) * 1000L);
            System.out.println("responder: replied " + replied.get()
                + (responderError.get() != null ? "; error: " + responderError.get() : ""));
            System.out.flush();
            Runtime.getRuntime().halt(responderError.get() == null ? 0 : 1);
        }

        // requester
        final DefaultMQProducer requester = new DefaultMQProducer("rr_requester_pg");
        requester.setNamesrvAddr(ns);
        requester.setClientIP("127.0.0.1");
        requester.setInstanceName("rr-requester");
        requester.start();

        // warm-up: the responder's first rebalance + the requester's first route/heartbeat
        String warm = null;
        long tw = System.currentTimeMillis();
        for (int attempt = 0; attempt < 3 && warm == null; attempt++) {
            String body = "warmup-" + attempt;
            try {
                Message r = requester.request(new Message(topic, "TagReq", body.getBytes(StandardCharsets.UTF_8)), 8000);
                String got = r == null ? null : new String(r.getBody(), StandardCharsets.UTF_8);
                if (("re:" + body).equals(got)) {
                    warm = "reply after " + (System.currentTimeMillis() - tw) + " ms (attempt " + (attempt + 1) + ")";
                } else {
                    result("warmup", false, "reply body '" + got + "' for '" + body + "'");
                    finishAfter(requester, responder, replyProducer);
                }
            } catch (Exception e) {
                System.out.println("# warmup attempt " + (attempt + 1) + ": " + describe(e)
                    + (responderError.get() != null ? "; responder: " + responderError.get() : "")
                    + "; responder saw " + seenOnQueue.size() + " request(s), replied " + replied.get());
            }
        }
        if (warm == null) {
            result("warmup", false, "no reply in 3 x 8 s; responder saw " + seenOnQueue.size()
                + " request(s), sent " + replied.get() + " reply(ies)"
                + (responderError.get() != null ? "; responder error: " + responderError.get() : ""));
            finishAfter(requester, responder, replyProducer);
        }
        result("warmup", true, warm);

        final String bn = brokerName;
        final MessageQueueSelector selector = (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size());
        runSync("sync", topic, count, null, (m, i) -> requester.request(m, timeoutMs));
        runAsync("async", topic, count, null, timeoutMs, (m, i, cb) -> requester.request(m, cb, timeoutMs));
        runSync("queue", topic, count, i -> (i + 1) % QUEUES,
            (m, i) -> requester.request(m, new MessageQueue(topic, bn, (i + 1) % QUEUES), timeoutMs));
        runSync("selector", topic, count, i -> selectorQueue(requester, topic, i),
            (m, i) -> requester.request(m, selector, i, timeoutMs));
        runAsync("async-queue", topic, count, i -> (i + 2) % QUEUES, timeoutMs,
            (m, i, cb) -> requester.request(m, new MessageQueue(topic, bn, (i + 2) % QUEUES), cb, timeoutMs));
        runAsync("async-selector", topic, count, i -> selectorQueue(requester, topic, i), timeoutMs,
            (m, i, cb) -> requester.request(m, selector, i, cb, timeoutMs));
        finishAfter(requester, responder, replyProducer);
    }

    interface ExpectedQueue {
        int of(int i) throws Exception;
    }

    /** The queue id the selector above picks for arg i (the producer's publish queues, in order). */
    static int selectorQueue(DefaultMQProducer p, String topic, int i) throws Exception {
        List<MessageQueue> mqs = p.fetchPublishMessageQueues(topic);
        return mqs.get(i % mqs.size()).getQueueId();
    }

    static Message newRequest(String topic, String mode, int i) {
        String body = "req-" + mode + "-" + i + "-" + System.nanoTime();
        Message m = new Message(topic, "TagReq", "rr-" + mode + "-" + i, body.getBytes(StandardCharsets.UTF_8));
        m.putUserProperty("rrMode", mode);
        return m;
    }

    /** null when the reply is right, else why not. */
    static String verify(Message req, Message reply, Integer expectQueue) {
        String body = new String(req.getBody(), StandardCharsets.UTF_8);
        if (reply == null) {
            return "null reply for '" + body + "'";
        }
        String got = reply.getBody() == null ? null : new String(reply.getBody(), StandardCharsets.UTF_8);
        if (!("re:" + body).equals(got)) {
            return "reply body '" + got + "' for request '" + body + "'";
        }
        String corr = req.getProperty(MessageConst.PROPERTY_CORRELATION_ID);
        String replyCorr = reply.getProperty(MessageConst.PROPERTY_CORRELATION_ID);
        if (corr == null || !corr.equals(replyCorr)) {
            return "reply correlation id " + replyCorr + " != request's " + corr;
        }
        if (!corr.equals(seenCorrelation.get(body))) {
            return "responder saw correlation id " + seenCorrelation.get(body) + ", request had " + corr;
        }
        if (expectQueue != null && !expectQueue.equals(seenOnQueue.get(body))) {
            return "request '" + body + "' went to queue " + seenOnQueue.get(body) + ", expected " + expectQueue;
        }
        return null;
    }

    static void runSync(String mode, String topic, int count, ExpectedQueue q, Sync call) {
        int ok = 0;
        String firstErr = null;
        long total = 0;
        for (int i = 0; i < count; i++) {
            Message m = newRequest(topic, mode, i);
            long t0 = System.nanoTime();
            String err;
            try {
                Integer expect = q == null ? null : q.of(i);
                Message reply = call.request(m, i);
                err = verify(m, reply, expect);
            } catch (Exception e) {
                err = describe(e);
            }
            total += System.nanoTime() - t0;
            if (err == null) {
                ok++;
            } else if (firstErr == null) {
                firstErr = err;
            }
        }
        report(mode, ok, count, firstErr, total / 1_000_000 / Math.max(count, 1));
    }

    static void runAsync(String mode, String topic, int count, ExpectedQueue q, long timeoutMs, Async call) {
        final CountDownLatch done = new CountDownLatch(count);
        final AtomicLong ok = new AtomicLong();
        final AtomicReference<String> firstErr = new AtomicReference<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            final Message m = newRequest(topic, mode, i);
            final Integer expect;
            try {
                expect = q == null ? null : q.of(i);
                call.request(m, i, new RequestCallback() {
                    @Override
                    public void onSuccess(Message reply) {
                        String err = verify(m, reply, expect);
                        if (err == null) {
                            ok.incrementAndGet();
                        } else {
                            firstErr.compareAndSet(null, err);
                        }
                        done.countDown();
                    }

                    @Override
                    public void onException(Throwable e) {
                        firstErr.compareAndSet(null, describe(e));
                        done.countDown();
                    }
                });
            } catch (Exception e) {
                firstErr.compareAndSet(null, describe(e));
                done.countDown();
            }
        }
        try {
            if (!done.await(timeoutMs + 5000, TimeUnit.MILLISECONDS)) {
                firstErr.compareAndSet(null, (done.getCount()) + " callback(s) never called");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        report(mode, (int) ok.get(), count, firstErr.get(), (System.nanoTime() - t0) / 1_000_000);
    }

    static void report(String mode, int ok, int count, String firstErr, long ms) {
        if (ok == count && firstErr == null) {
            result(mode, true, ok + "/" + count + " replies right (" + ms + " ms)");
        } else {
            result(mode, false, ok + "/" + count + " replies right; first failure: " + firstErr
                + (responderError.get() != null ? "; responder: " + responderError.get() : ""));
        }
    }

    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName());
        if (e instanceof MQClientException) {
            sb.append(" code ").append(((MQClientException) e).getResponseCode());
            sb.append(": ").append(((MQClientException) e).getErrorMessage());
        } else if (e instanceof MQBrokerException) {
            sb.append(" code ").append(((MQBrokerException) e).getResponseCode());
            sb.append(": ").append(((MQBrokerException) e).getErrorMessage());
        } else {
            sb.append(": ").append(e.getMessage());
        }
        Throwable c = e.getCause();
        for (int i = 0; c != null && c != e && i < 3; i++, c = c.getCause()) {
            sb.append(" <- ").append(describe(c));
        }
        String s = sb.toString().replace('\n', ' ');
        s = s.replaceAll("\\s*For more information, please visit the url, \\S+", "");
        return s.length() > 500 ? s.substring(0, 500) : s;
    }

    static void result(String name, boolean ok, String detail) {
        if (!ok) {
            failures++;
        }
        System.out.println((ok ? "PASS" : "FAIL") + " reqreply/" + name + (ok ? " - " : ": ") + detail);
        System.out.flush();
    }

    static void finishAfter(DefaultMQProducer requester, DefaultMQPushConsumer responder, DefaultMQProducer rp) {
        System.out.println("# responder: " + seenOnQueue.size() + " request(s) seen, " + replied.get() + " reply(ies) sent");
        finish();
    }

    static void finish() {
        System.out.flush();
        // no graceful client shutdown (Netty quiet periods); the brokers see the connections close
        Runtime.getRuntime().halt(failures == 0 ? 0 : 1);
    }
}
