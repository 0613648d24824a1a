package rocklet.interop;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.header.ConsumerSendMsgBackRequestHeader;
import org.apache.rocketmq.common.protocol.header.CreateTopicRequestHeader;
import org.apache.rocketmq.common.protocol.header.GetConsumerListByGroupRequestHeader;
import org.apache.rocketmq.common.protocol.header.QueryMessageRequestHeader;
import org.apache.rocketmq.common.protocol.header.UnregisterClientRequestHeader;
import org.apache.rocketmq.common.protocol.header.PullMessageRequestHeader;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeader;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.common.protocol.header.UpdateConsumerOffsetRequestHeader;
import org.apache.rocketmq.common.protocol.heartbeat.ConsumeType;
import org.apache.rocketmq.common.protocol.heartbeat.ConsumerData;
import org.apache.rocketmq.common.protocol.heartbeat.HeartbeatData;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.common.protocol.heartbeat.SubscriptionData;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * ACL scenarios (issue 17) with the real 4.9.3 client and AclClientRPCHook, against a broker with
 * aclEnable=true and interop/conf/acl/plain_acl.yml. One line per scenario:
 * {@code <name> code=<response code> remark=<remark>} or {@code <name> ok ...}; acl.sh runs it
 * against the Java broker and against Rocklet and compares the lines (stack frame normalised).
 *
 * Phases: setup (the admin account creates the topics), main (every scenario), edited (after
 * the file was changed: NoPub gained PUB, AclTopic lost it).
 */
public class AclProbe {
    static final String USAGE = "AclProbe -n NAMESRV -b BROKER_ADDR --phase setup|main|second|edited";

    static RPCHook hook(String ak, String sk) {
        return new AclClientRPCHook(new SessionCredentials(ak, sk));
    }

    static String line(String name, RemotingCommand r) {
        return name + " code=" + r.getCode() + " remark=" + r.getRemark();
    }

    /** One raw request to the broker, signed by the real AclClientRPCHook (or not at all). */
    static RemotingCommand raw(String broker, RPCHook hook, RemotingCommand req) throws Exception {
        NettyRemotingClient c = new NettyRemotingClient(new NettyClientConfig());
        if (hook != null) {
            c.registerRPCHook(hook);
        }
        c.start();
        try {
            return c.invokeSync(broker, req, 5000);
        } finally {
            c.shutdown();
        }
    }

    static RemotingCommand sendV2(String topic, String body) {
        SendMessageRequestHeader h = new SendMessageRequestHeader();
        h.setProducerGroup("acl_probe_raw");
        h.setTopic(topic);
        h.setDefaultTopic("TBW102");
        h.setDefaultTopicQueueNums(4);
        h.setQueueId(0);
        h.setSysFlag(0);
        h.setBornTimestamp(System.currentTimeMillis());
        h.setFlag(0);
        h.setProperties("");
        h.setReconsumeTimes(0);
        h.setUnitMode(false);
        h.setBatch(false);
        SendMessageRequestHeaderV2 v2 = SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2(h);
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, v2);
        cmd.setBody(body.getBytes(StandardCharsets.UTF_8));
        return cmd;
    }

    static RemotingCommand pull(String topic, String group) {
        PullMessageRequestHeader h = new PullMessageRequestHeader();
        h.setConsumerGroup(group);
        h.setTopic(topic);
        h.setQueueId(0);
        h.setQueueOffset(0L);
        h.setMaxMsgNums(1);
        h.setSysFlag(0);
        h.setCommitOffset(0L);
        h.setSuspendTimeoutMillis(0L);
        h.setSubscription("*");
        h.setSubVersion(0L);
        return RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, h);
    }

    static RemotingCommand heartbeat(String group, String... topics) {
        HeartbeatData hb = new HeartbeatData();
        hb.setClientID("127.0.0.1@acl_probe");
        ConsumerData cd = new ConsumerData();
        cd.setGroupName(group);
        cd.setConsumeType(ConsumeType.CONSUME_PASSIVELY);
        cd.setMessageModel(MessageModel.CLUSTERING);
        cd.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        for (String topic : topics) {
            SubscriptionData sd = new SubscriptionData();
            sd.setTopic(topic);
            sd.setSubString("*");
            cd.getSubscriptionDataSet().add(sd);
        }
        hb.getConsumerDataSet().add(cd);
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, null);
        cmd.setBody(hb.encode());
        return cmd;
    }

    /** The response code and remark a client exception carries. */
    static String describe(String name, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MQBrokerException) {
                MQBrokerException b = (MQBrokerException) t;
                return name + " code=" + b.getResponseCode() + " remark=" + b.getErrorMessage();
            }
        }
        if (e instanceof MQClientException) {
            MQClientException c = (MQClientException) e;
            return name + " code=" + c.getResponseCode() + " remark=" + c.getErrorMessage();
        }
        return name + " exception=" + e.getClass().getSimpleName();
    }

    static DefaultMQProducer producer(String ns, String group, RPCHook hook) throws Exception {
        DefaultMQProducer p = new DefaultMQProducer(group, hook);
        p.setNamesrvAddr(ns);
        p.setInstanceName(group + "_" + System.nanoTime());
        p.setRetryTimesWhenSendFailed(0);
        p.setSendMsgTimeout(5000);
        p.start();
        return p;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String broker = Common.need(a, "b", USAGE);
        String phase = Common.need(a, "phase", USAGE);
        RPCHook user = hook("RocketMQ", "12345678");
        switch (phase) {
            case "setup": {
                DefaultMQAdminExt admin = new DefaultMQAdminExt(hook("rocketmq2", "87654321"));
                admin.setNamesrvAddr(ns);
                admin.setInstanceName("acl_probe_admin_" + System.nanoTime());
                admin.start();
                for (String t : new String[] {"AclTopic", "NoPub", "RustAclTopic"}) {
                    TopicConfig tc = new TopicConfig(t, 2, 2, 6);
                    admin.createAndUpdateTopicConfig(broker, tc);
                    System.out.println("setup/create-" + t + " ok");
                }
                admin.shutdown();
                break;
            }
            case "main": {
                // Allowed: the account's producer and push consumer on AclTopic / AclGroup.
                DefaultMQProducer p = producer(ns, "acl_probe_pg", user);
                int n = 5;
                for (int i = 0; i < n; i++) {
                    SendResult r = p.send(new Message("AclTopic", ("m" + i).getBytes(StandardCharsets.UTF_8)));
                    if (r.getSendStatus() != org.apache.rocketmq.client.producer.SendStatus.SEND_OK) {
                        System.out.println("api/send status=" + r.getSendStatus());
                    }
                }
                System.out.println("api/send ok " + n);
                final CountDownLatch got = new CountDownLatch(n);
                DefaultMQPushConsumer c = new DefaultMQPushConsumer("AclGroup", user, new AllocateMessageQueueAveragely());
                c.setNamesrvAddr(ns);
                c.setInstanceName("acl_probe_c_" + System.nanoTime());
                c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                c.subscribe("AclTopic", "*");
                c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                    msgs.forEach(m -> got.countDown());
                    return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                });
                c.start();
                boolean all = got.await(40, TimeUnit.SECONDS);
                System.out.println("api/consume " + (all ? "ok " + n : "missing " + got.getCount()));
                c.shutdown();
                // Refused through the client API: a topic without PUB.
                try {
                    p.send(new Message("NoPub", "x".getBytes(StandardCharsets.UTF_8)));
                    System.out.println("api/send-no-pub accepted");
                } catch (Exception e) {
                    System.out.println(describe("api/send-no-pub", e));
                }
                p.shutdown();
                // Refused through the admin API: a non-admin account creating a topic.
                DefaultMQAdminExt admin = new DefaultMQAdminExt(user);
                admin.setNamesrvAddr(ns);
                admin.setInstanceName("acl_probe_nonadmin_" + System.nanoTime());
                admin.start();
                try {
                    admin.createAndUpdateTopicConfig(broker, new TopicConfig("ByNonAdmin", 1, 1, 6));
                    System.out.println("api/non-admin-update-topic accepted");
                } catch (Exception e) {
                    System.out.println(describe("api/non-admin-update-topic", e));
                }
                admin.shutdown();
                // Raw requests, each signed by the real hook.
                System.out.println(line("raw/send-ok", raw(broker, user, sendV2("AclTopic", "raw"))).replaceAll(" remark=.*", ""));
                System.out.println(line("raw/wrong-secret", raw(broker, hook("RocketMQ", "wrong-secret"), sendV2("AclTopic", "x"))));
                System.out.println(line("raw/unknown-key", raw(broker, hook("nobody99", "12345678"), sendV2("AclTopic", "x"))));
                System.out.println(line("raw/no-key", raw(broker, null, sendV2("AclTopic", "x"))));
                System.out.println(line("raw/topic-no-pub", raw(broker, user, sendV2("NoPub", "x"))));
                System.out.println(line("raw/topic-unlisted", raw(broker, user, sendV2("Unlisted", "x"))));
                System.out.println(line("raw/topic-deny", raw(broker, user, sendV2("DenyTopic", "x"))));
                System.out.println(line("raw/group-no-sub", raw(broker, user, pull("AclTopic", "NoSubGroup"))));
                System.out.println(line("raw/pull-topic-no-sub", raw(broker, user, pull("PubOnly", "AclGroup"))));
                System.out.println(line("raw/heartbeat-group-no-sub", raw(broker, user, heartbeat("NoSubGroup", "AclTopic"))));
                System.out.println(line("raw/heartbeat-topic-no-sub", raw(broker, user, heartbeat("AclGroup", "PubOnly"))));
                UpdateConsumerOffsetRequestHeader uh = new UpdateConsumerOffsetRequestHeader();
                uh.setConsumerGroup("AclGroup");
                uh.setTopic("PubOnly");
                uh.setQueueId(0);
                uh.setCommitOffset(0L);
                System.out.println(line("raw/update-offset-topic-no-sub",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.UPDATE_CONSUMER_OFFSET, uh))));
                // Missing header fields: 4.9.3's header decoding only logs them; the group is
                // still checked.
                UpdateConsumerOffsetRequestHeader uh2 = new UpdateConsumerOffsetRequestHeader();
                uh2.setConsumerGroup("NoSubGroup");
                System.out.println(line("raw/update-offset-missing-fields",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.UPDATE_CONSUMER_OFFSET, uh2))));
                CreateTopicRequestHeader ch = new CreateTopicRequestHeader();
                ch.setTopic("ByNonAdmin");
                ch.setDefaultTopic("TBW102");
                ch.setReadQueueNums(1);
                ch.setWriteQueueNums(1);
                ch.setPerm(6);
                ch.setTopicFilterType("SINGLE_TAG");
                System.out.println(line("raw/non-admin-code",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, ch))));
                // The other codes PlainAccessValidator.parse knows.
                ConsumerSendMsgBackRequestHeader bh = new ConsumerSendMsgBackRequestHeader();
                bh.setOffset(0L);
                bh.setGroup("AclGroup");
                bh.setDelayLevel(0);
                bh.setOriginTopic("NoPub");
                System.out.println(line("raw/send-back-origin-no-pub",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.CONSUMER_SEND_MSG_BACK, bh))));
                bh.setOriginTopic("AclTopic");
                bh.setGroup("NoSubGroup");
                System.out.println(line("raw/send-back-group-no-sub",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.CONSUMER_SEND_MSG_BACK, bh))));
                QueryMessageRequestHeader qh = new QueryMessageRequestHeader();
                qh.setTopic("PubOnly");
                qh.setKey("k");
                qh.setMaxNum(1);
                qh.setBeginTimestamp(0L);
                qh.setEndTimestamp(Long.MAX_VALUE);
                System.out.println(line("raw/query-topic-no-sub",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.QUERY_MESSAGE, qh))));
                UnregisterClientRequestHeader ur = new UnregisterClientRequestHeader();
                ur.setClientID("127.0.0.1@acl_probe");
                ur.setConsumerGroup("NoSubGroup");
                System.out.println(line("raw/unregister-group-no-sub",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.UNREGISTER_CLIENT, ur))));
                GetConsumerListByGroupRequestHeader gl = new GetConsumerListByGroupRequestHeader();
                gl.setConsumerGroup("NoSubGroup");
                System.out.println(line("raw/consumer-list-group-no-sub",
                    raw(broker, user, RemotingCommand.createRequestCommand(RequestCode.GET_CONSUMER_LIST_BY_GROUP, gl))));
                // Two refused resources: the one named is the first in Java's HashMap order.
                System.out.println(line("raw/pull-both-refused", raw(broker, user, pull("PubOnly", "NoSubGroup"))));
                System.out.println(line("raw/heartbeat-many-refused", raw(broker, user,
                    heartbeat("AclGroup", "Zeta", "Alpha", "T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11"))));
                System.out.println(line("raw/heartbeat-few-refused", raw(broker, user,
                    heartbeat("NoSubGroup", "Zeta", "Alpha", "T7", "AclTopic"))));
                // White addresses: an account white-listed elsewhere still needs its signature;
                // one white-listed for 127.0.0.1 skips every check (wrong secret, DENY topic).
                System.out.println(line("raw/non-white-address", raw(broker, hook("farAway1", "wrong-secret"), sendV2("AclTopic", "x"))));
                System.out.println(line("raw/white-address-bypass", raw(broker, hook("localAcct", "wrong-secret"), sendV2("NoPub", "x"))).replaceAll(" remark=.*", ""));
                break;
            }
            case "second": {
                // conf/acl/second.yml next to the default file: its account works with its own
                // permissions; dupAcct1 (in both files) keeps second.yml's secret (conf/acl is read
                // before the default file); GET_BROKER_CLUSTER_ACL_INFO lists both files.
                RPCHook second = hook("secondAcc", "secondSecret");
                System.out.println(line("second/raw-allowed", raw(broker, second, sendV2("AclTopic", "x"))).replaceAll(" remark=.*", ""));
                System.out.println(line("second/raw-denied", raw(broker, second, sendV2("NoPub", "x"))));
                System.out.println(line("second/dup-second-file-secret", raw(broker, hook("dupAcct1", "fromSecond1"), sendV2("AclTopic", "x"))).replaceAll(" remark=.*", ""));
                System.out.println(line("second/dup-default-file-secret", raw(broker, hook("dupAcct1", "fromDefault1"), sendV2("AclTopic", "x"))));
                RemotingCommand info = raw(broker, hook("rocketmq2", "87654321"),
                    RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CLUSTER_ACL_INFO, null));
                java.util.TreeMap<String, Object> files = new java.util.TreeMap<>();
                String all = info.getExtFields() == null ? null : info.getExtFields().get("allAclFileVersion");
                if (all != null) {
                    for (Map.Entry<String, Object> e : com.alibaba.fastjson.JSON.parseObject(all).entrySet()) {
                        String k = e.getKey();
                        files.put(k.substring(k.lastIndexOf("/conf/") + 1),
                            ((com.alibaba.fastjson.JSONObject) e.getValue()).get("counter"));
                    }
                }
                System.out.println("second/acl-info code=" + info.getCode() + " files=" + files);
                break;
            }
            case "edited": {
                DefaultMQProducer p = producer(ns, "acl_probe_pg2", user);
                long deadline = System.currentTimeMillis() + 25000;
                String last = "";
                while (System.currentTimeMillis() < deadline) {
                    try {
                        p.send(new Message("NoPub", "x".getBytes(StandardCharsets.UTF_8)));
                        last = "edited/send-no-pub ok";
                        break;
                    } catch (Exception e) {
                        last = describe("edited/send-no-pub", e);
                        Thread.sleep(500);
                    }
                }
                System.out.println(last);
                p.shutdown();
                System.out.println(line("edited/raw-acl-topic-revoked", raw(broker, user, sendV2("AclTopic", "x"))));
                break;
            }
            default:
                Common.die("unknown phase " + phase);
        }
        System.exit(0);
    }
}
