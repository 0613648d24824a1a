package rocklet.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONObject;
import com.alibaba.fastjson.serializer.SerializerFeature;
import org.apache.rocketmq.common.DataVersion;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.body.RegisterBrokerBody;
import org.apache.rocketmq.common.protocol.body.TopicConfigSerializeWrapper;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeader;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.common.protocol.header.SendMessageResponseHeader;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes golden wire/storage encodings produced by Apache RocketMQ 4.9.3's OWN classes, each as
 * NAME.hex (lowercase hex, one line) plus NAME.json describing the input field values, so the
 * Rust tests can decode the bytes and assert the fields. Output is deterministic (fixed
 * timestamps, opaques, versions), so a re-run must reproduce interop/golden/ byte for byte.
 *
 * usage: Golden -o DIR
 */
public final class Golden {
    static final String USAGE = "Golden -o DIR";
    static final long BORN_TS = 1700000000123L;
    static final long STORE_TS = 1700000000456L;
    static final String UNIQ = "7F00000100002A9F0000000000000001";

    private static File dir;
    private static final List<String> WRITTEN = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        dir = new File(Common.need(a, "o", USAGE));
        if (!dir.isDirectory() && !dir.mkdirs()) {
            Common.die("cannot create " + dir);
        }
        try {
            sendRequest(SerializeType.JSON, "remoting_send_request_json");
            sendRequest(SerializeType.ROCKETMQ, "remoting_send_request_rocketmq");
            sendResponse(SerializeType.JSON, "remoting_send_response_json");
            sendResponse(SerializeType.ROCKETMQ, "remoting_send_response_rocketmq");
            messageRecord(false, "message_record_ipv4");
            messageRecord(true, "message_record_ipv6");
            messageProperties();
            messageIds();
            batchBody();
            topicRoute();
            registerBrokerBody();
        } catch (Throwable e) {
            e.printStackTrace();
            System.out.println("FAIL Golden: " + Common.rootMessage(e));
            System.exit(1);
        }
        System.out.println("PASS Golden: wrote " + WRITTEN.size() + " files to " + dir);
        System.exit(0);
    }

    // ---------------------------------------------------------------- helpers

    static void write(String name, byte[] data) throws IOException {
        File f = new File(dir, name);
        try (FileOutputStream o = new FileOutputStream(f)) {
            o.write(data);
        }
        WRITTEN.add(name);
    }

    static void writeHex(String name, byte[] data) throws IOException {
        write(name + ".hex", (Common.hex(data) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    static void writeDesc(String name, JSONObject desc) throws IOException {
        String s = JSON.toJSONString(desc, SerializerFeature.PrettyFormat, SerializerFeature.WriteMapNullValue,
            SerializerFeature.DisableCircularReferenceDetect) + "\n";
        write(name + ".json", s.replace("\t", "  ").getBytes(StandardCharsets.UTF_8));
    }

    static byte[] bytes(ByteBuffer bb) {
        ByteBuffer d = bb.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    static JSONObject desc(String what, String producedBy) {
        JSONObject o = new JSONObject(true);
        o.put("what", what);
        o.put("producedBy", producedBy + " (Apache RocketMQ " + MQVersion.getVersionDesc(MQVersion.CURRENT_VERSION) + ")");
        return o;
    }

    /** The properties string a 4.9.3 producer sends for a plain message (same key set). */
    static Map<String, String> fixedProps() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(MessageConst.PROPERTY_KEYS, "order-1 key-two");
        p.put(MessageConst.PROPERTY_TAGS, "TagA");
        p.put(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, UNIQ);
        p.put(MessageConst.PROPERTY_WAIT_STORE_MSG_OK, "true");
        p.put("user_a", "héllo 世界 ✓");
        p.put("user_b", "b");
        return p;
    }

    // ---------------------------------------------------------------- remoting

    static SendMessageRequestHeaderV2 requestHeaderV2(JSONObject fields) {
        SendMessageRequestHeader h = new SendMessageRequestHeader();
        h.setProducerGroup("rocklet_pg");
        h.setTopic("TopicTest");
        h.setDefaultTopic(org.apache.rocketmq.common.topic.TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC);
        h.setDefaultTopicQueueNums(4);
        h.setQueueId(1);
        h.setSysFlag(0);
        h.setBornTimestamp(BORN_TS);
        h.setFlag(0);
        h.setProperties(MessageDecoder.messageProperties2String(fixedProps()));
        h.setReconsumeTimes(0);
        h.setUnitMode(false);
        h.setBatch(false);
        fields.put("producerGroup", h.getProducerGroup());
        fields.put("topic", h.getTopic());
        fields.put("defaultTopic", h.getDefaultTopic());
        fields.put("defaultTopicQueueNums", h.getDefaultTopicQueueNums());
        fields.put("queueId", h.getQueueId());
        fields.put("sysFlag", h.getSysFlag());
        fields.put("bornTimestamp", h.getBornTimestamp());
        fields.put("flag", h.getFlag());
        fields.put("properties", h.getProperties());
        fields.put("propertiesMap", fixedProps());
        fields.put("reconsumeTimes", h.getReconsumeTimes());
        fields.put("unitMode", h.isUnitMode());
        fields.put("batch", h.isBatch());
        fields.put("v2ShortNames", "a=producerGroup b=topic c=defaultTopic d=defaultTopicQueueNums e=queueId "
            + "f=sysFlag g=bornTimestamp h=flag i=properties j=reconsumeTimes k=unitMode l=consumeRetryTimes m=batch");
        return SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2(h);
    }

    static void sendRequest(SerializeType st, String name) throws Exception {
        JSONObject header = new JSONObject(true);
        SendMessageRequestHeaderV2 h2 = requestHeaderV2(header);
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, h2);
        cmd.setOpaque(42);
        cmd.setVersion(MQVersion.CURRENT_VERSION);
        byte[] body = "héllo 世界 ✓".getBytes(StandardCharsets.UTF_8);
        cmd.setBody(body);
        cmd.setSerializeTypeCurrentRPC(st);
        byte[] wire = bytes(cmd.encode());
        writeHex(name, wire);

        JSONObject d = desc("SEND_MESSAGE_V2 request frame, " + st + " header serialization",
            "RemotingCommand.createRequestCommand(310, SendMessageRequestHeaderV2).encode()");
        d.put("frame", "int32 BE totalLength (excludes itself) | int32 BE (serializeType<<24 | headerLength) | header | body");
        d.put("totalLength", wire.length - 4);
        d.put("serializeType", st.name());
        d.put("serializeTypeCode", (int) st.getCode());
        d.put("headerLength", ByteBuffer.wrap(wire).getInt(4) & 0xFFFFFF);
        d.put("code", cmd.getCode());
        d.put("language", cmd.getLanguage().name());
        d.put("languageCode", (int) cmd.getLanguage().getCode());
        d.put("version", cmd.getVersion());
        d.put("opaque", cmd.getOpaque());
        d.put("flag", cmd.getFlag());
        d.put("remark", cmd.getRemark());
        d.put("extFields", new java.util.TreeMap<String, String>(cmd.getExtFields()));
        d.put("header", header);
        d.put("bodyUtf8", new String(body, StandardCharsets.UTF_8));
        d.put("bodyHex", Common.hex(body));
        if (st == SerializeType.JSON) {
            int hl = ByteBuffer.wrap(wire).getInt(4) & 0xFFFFFF;
            d.put("headerJsonText", new String(wire, 8, hl, StandardCharsets.UTF_8));
        } else {
            d.put("rocketmqHeaderLayout", "int16 code | int8 language | int16 version | int32 opaque | int32 flag | "
                + "int32 remarkLen + remark | int32 extLen + ext (repeat: int16 keyLen, key, int32 valLen, val); all BE");
        }
        writeDesc(name, d);
    }

    static void sendResponse(SerializeType st, String name) throws Exception {
        RemotingCommand r = RemotingCommand.createResponseCommand(SendMessageResponseHeader.class);
        SendMessageResponseHeader h = (SendMessageResponseHeader) r.readCustomHeader();
        String offsetMsgId = MessageDecoder.createMessageId(ByteBuffer.allocate(16),
            hostBuffer(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 10911)), 4096L);
        h.setMsgId(offsetMsgId);
        h.setQueueId(1);
        h.setQueueOffset(7L);
        r.setCode(ResponseCode.SUCCESS);
        r.setRemark(null);
        r.setOpaque(42);
        r.setVersion(MQVersion.CURRENT_VERSION);
        // what the 4.9.3 broker adds to every send response
        r.addExtField(MessageConst.PROPERTY_MSG_REGION, "DefaultRegion");
        r.addExtField(MessageConst.PROPERTY_TRACE_SWITCH, "true");
        r.setSerializeTypeCurrentRPC(st);
        byte[] wire = bytes(r.encode());
        writeHex(name, wire);

        JSONObject d = desc("SUCCESS response to SEND_MESSAGE_V2, " + st + " header serialization",
            "RemotingCommand.createResponseCommand(SendMessageResponseHeader.class) + encode()");
        d.put("totalLength", wire.length - 4);
        d.put("serializeType", st.name());
        d.put("headerLength", ByteBuffer.wrap(wire).getInt(4) & 0xFFFFFF);
        d.put("code", r.getCode());
        d.put("language", r.getLanguage().name());
        d.put("version", r.getVersion());
        d.put("opaque", r.getOpaque());
        d.put("flag", r.getFlag());
        d.put("flagMeaning", "bit0 = response (RPC_TYPE), bit1 = oneway");
        d.put("remark", r.getRemark());
        d.put("extFields", new java.util.TreeMap<String, String>(r.getExtFields()));
        d.put("msgId", h.getMsgId());
        d.put("queueId", h.getQueueId());
        d.put("queueOffset", h.getQueueOffset());
        d.put("transactionId", h.getTransactionId());
        d.put("body", null);
        if (st == SerializeType.JSON) {
            int hl = ByteBuffer.wrap(wire).getInt(4) & 0xFFFFFF;
            d.put("headerJsonText", new String(wire, 8, hl, StandardCharsets.UTF_8));
        }
        writeDesc(name, d);
    }

    // ---------------------------------------------------------------- messages

    static ByteBuffer hostBuffer(InetSocketAddress a) {
        byte[] ip = a.getAddress().getAddress();
        ByteBuffer b = ByteBuffer.allocate(ip.length + 4);
        b.put(ip);
        b.putInt(a.getPort());
        b.flip();
        return b;
    }

    static void messageRecord(boolean v6, String name) throws Exception {
        MessageExt m = new MessageExt();
        byte[] body = ("stored body ✓ " + (v6 ? "ipv6" : "ipv4")).getBytes(StandardCharsets.UTF_8);
        m.setTopic("TopicTest");
        m.setBody(body);
        m.setBodyCRC(UtilAll.crc32(body));
        m.setQueueId(3);
        m.setFlag(0);
        m.setQueueOffset(17L);
        m.setCommitLogOffset(123456L);
        int sysFlag = 0;
        InetSocketAddress born, store;
        if (v6) {
            sysFlag |= MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG;
            born = new InetSocketAddress(InetAddress.getByName("::1"), 54321);
            store = new InetSocketAddress(InetAddress.getByName("fd00::2"), 10911);
        } else {
            born = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 54321);
            store = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 10911);
        }
        m.setSysFlag(sysFlag);
        m.setBornTimestamp(BORN_TS);
        m.setBornHost(born);
        m.setStoreTimestamp(STORE_TS);
        m.setStoreHost(store);
        m.setReconsumeTimes(2);
        m.setPreparedTransactionOffset(0L);
        for (Map.Entry<String, String> e : fixedProps().entrySet()) {
            MessageAccessorShim.put(m, e.getKey(), e.getValue());
        }
        byte[] rec = MessageDecoder.encode(m, false);
        writeHex(name, rec);

        // round trip through the real decoder, as the client does for pulled messages
        MessageExt back = MessageDecoder.decode(ByteBuffer.wrap(rec), true, false);
        if (back == null || !Arrays.equals(back.getBody(), body) || !"TopicTest".equals(back.getTopic())) {
            throw new IllegalStateException("MessageDecoder.decode round trip failed for " + name);
        }
        JSONObject d = desc("stored message record (commit log / pull body layout)" + (v6 ? ", IPv6 born+store hosts" : ""),
            "MessageDecoder.encode(MessageExt, false)");
        d.put("layout", "totalSize i32 | magic i32 (0xdaa320a7 = -626843481) | bodyCRC i32 | queueId i32 | flag i32 | "
            + "queueOffset i64 | physicalOffset i64 | sysFlag i32 | bornTimestamp i64 | bornHost (4|16 bytes ip + i32 port) | "
            + "storeTimestamp i64 | storeHost (4|16 + i32 port) | reconsumeTimes i32 | preparedTransactionOffset i64 | "
            + "bodyLen i32 + body | topicLen i8 + topic | propertiesLen i16 + properties; all BE");
        d.put("totalSize", rec.length);
        d.put("magicCode", MessageDecoder.MESSAGE_MAGIC_CODE);
        d.put("bodyCRC", m.getBodyCRC());
        d.put("queueId", m.getQueueId());
        d.put("flag", m.getFlag());
        d.put("queueOffset", m.getQueueOffset());
        d.put("physicalOffset", m.getCommitLogOffset());
        d.put("sysFlag", m.getSysFlag());
        d.put("bornTimestamp", m.getBornTimestamp());
        d.put("bornHost", born.getAddress().getHostAddress() + ":" + born.getPort());
        d.put("storeTimestamp", m.getStoreTimestamp());
        d.put("storeHost", store.getAddress().getHostAddress() + ":" + store.getPort());
        d.put("reconsumeTimes", m.getReconsumeTimes());
        d.put("preparedTransactionOffset", m.getPreparedTransactionOffset());
        d.put("topic", m.getTopic());
        d.put("bodyUtf8", new String(body, StandardCharsets.UTF_8));
        d.put("bodyHex", Common.hex(body));
        d.put("properties", MessageDecoder.messageProperties2String(m.getProperties()));
        d.put("propertiesMap", new java.util.TreeMap<String, String>(m.getProperties()));
        d.put("decodedMsgId", back.getMsgId());
        writeDesc(name, d);
    }

    static void messageProperties() throws Exception {
        Map<String, String> p = fixedProps();
        String s = MessageDecoder.messageProperties2String(p);
        writeHex("message_properties", s.getBytes(StandardCharsets.UTF_8));
        JSONObject d = desc("message properties string (UTF-8 bytes)", "MessageDecoder.messageProperties2String(LinkedHashMap)");
        d.put("format", "name \\u0001 value, pairs joined by \\u0002, in map iteration order; NO trailing \\u0002 in 4.9.3 (last char deleted); entries with null value skipped");
        d.put("nameValueSeparator", (int) MessageDecoder.NAME_VALUE_SEPARATOR);
        d.put("propertySeparator", (int) MessageDecoder.PROPERTY_SEPARATOR);
        d.put("orderedEntries", p);
        d.put("roundTrip", new java.util.TreeMap<String, String>(MessageDecoder.string2messageProperties(s)));
        writeDesc("message_properties", d);
    }

    static void messageIds() throws Exception {
        JSONObject d = desc("offset message ids (broker-side msgId = store host + commit log offset)",
            "MessageDecoder.createMessageId(ByteBuffer, ByteBuffer addr, long offset)");
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 10911);
        String id4 = MessageDecoder.createMessageId(ByteBuffer.allocate(16), hostBuffer(v4), 0x123456789AL);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("fd00::2"), 10911);
        String id6 = MessageDecoder.createMessageId(ByteBuffer.allocate(28), hostBuffer(v6), 4096L);
        List<JSONObject> ids = new ArrayList<>();
        for (Object[] c : new Object[][] {{"ipv4", v4, 0x123456789AL, id4}, {"ipv6", v6, 4096L, id6}}) {
            JSONObject o = new JSONObject(true);
            InetSocketAddress sa = (InetSocketAddress) c[1];
            o.put("case", c[0]);
            o.put("ip", sa.getAddress().getHostAddress());
            o.put("port", sa.getPort());
            o.put("offset", c[2]);
            o.put("msgId", c[3]);
            org.apache.rocketmq.common.message.MessageId back = MessageDecoder.decodeMessageId((String) c[3]);
            o.put("decoded", String.valueOf(back.getAddress()).replaceFirst("^/", "") + " offset " + back.getOffset());
            ids.add(o);
        }
        d.put("format", "uppercase hex of ip bytes (4|16) + i32 BE port + i64 BE offset (32 or 56 hex chars)");
        d.put("ids", ids);
        write("message_ids.txt", (id4 + "\n" + id6 + "\n").getBytes(StandardCharsets.US_ASCII));
        writeDesc("message_ids", d);
    }

    static void batchBody() throws Exception {
        List<Message> msgs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Message m = new Message("TopicTest", "TagB", "k" + i + " batch", ("batch ✓ " + i).getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("idx", Integer.toString(i));
            m.getProperties().put(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, UNIQ.substring(0, 28) + "000" + i);
            msgs.add(m);
        }
        byte[] b = MessageDecoder.encodeMessages(msgs);
        writeHex("batch_body", b);
        JSONObject d = desc("SEND_BATCH_MESSAGE (320) body: concatenated per-message records",
            "MessageDecoder.encodeMessages(List<Message>)");
        d.put("layout", "per message: totalSize i32 | magic i32 (0) | bodyCRC i32 (0) | flag i32 | bodyLen i32 + body | "
            + "propertiesLen i16 + properties; all BE");
        List<JSONObject> list = new ArrayList<>();
        for (Message m : msgs) {
            JSONObject o = new JSONObject(true);
            o.put("flag", m.getFlag());
            o.put("bodyUtf8", new String(m.getBody(), StandardCharsets.UTF_8));
            o.put("properties", MessageDecoder.messageProperties2String(m.getProperties()));
            list.add(o);
        }
        d.put("messages", list);
        d.put("totalBytes", b.length);
        writeDesc("batch_body", d);
    }

    // ---------------------------------------------------------------- name server bodies

    static void topicRoute() throws Exception {
        TopicRouteData r = new TopicRouteData();
        List<QueueData> qds = new ArrayList<>();
        QueueData qd = new QueueData();
        qd.setBrokerName("broker-a");
        qd.setReadQueueNums(4);
        qd.setWriteQueueNums(4);
        qd.setPerm(6);
        qd.setTopicSysFlag(0);
        qds.add(qd);
        r.setQueueDatas(qds);
        List<BrokerData> bds = new ArrayList<>();
        HashMap<Long, String> addrs = new HashMap<>();
        addrs.put(0L, "127.0.0.1:10911");
        addrs.put(1L, "127.0.0.1:10921");
        bds.add(new BrokerData("DefaultCluster", "broker-a", addrs));
        r.setBrokerDatas(bds);
        r.setFilterServerTable(new HashMap<String, List<String>>());
        byte[] b = r.encode();
        write("topic_route_data.txt", b);
        writeHex("topic_route_data", b);
        TopicRouteData back = TopicRouteData.decode(b, TopicRouteData.class);
        JSONObject d = desc("GET_ROUTEINFO_BY_TOPIC (105) response body; note brokerAddrs has UNQUOTED integer keys",
            "TopicRouteData.encode() (fastjson)");
        d.put("text", new String(b, StandardCharsets.UTF_8));
        d.put("cluster", "DefaultCluster");
        d.put("brokerName", "broker-a");
        d.put("brokerAddrs", "0 -> 127.0.0.1:10911, 1 -> 127.0.0.1:10921");
        d.put("queueData", "readQueueNums=4 writeQueueNums=4 perm=6 topicSysFlag=0");
        d.put("orderTopicConf", null);
        d.put("decodesBack", back.equals(r));
        writeDesc("topic_route_data", d);
    }

    static void registerBrokerBody() throws Exception {
        TopicConfigSerializeWrapper w = new TopicConfigSerializeWrapper();
        ConcurrentMap<String, TopicConfig> table = new ConcurrentHashMap<>();
        table.put("TopicTest", new TopicConfig("TopicTest", 4, 4, 6));
        TopicConfig order = new TopicConfig("TopicOrder", 8, 8, 6);
        order.setOrder(true);
        table.put("TopicOrder", order);
        w.setTopicConfigTable(table);
        DataVersion dv = new DataVersion();
        dv.setTimestamp(1700000000789L);
        dv.setCounter(new AtomicLong(5));
        w.setDataVersion(dv);
        RegisterBrokerBody body = new RegisterBrokerBody();
        body.setTopicConfigSerializeWrapper(w);
        body.setFilterServerList(new ArrayList<String>());

        byte[] z = body.encode(true);
        byte[] j = body.encode(false);
        writeHex("register_broker_body_compressed", z);
        writeHex("register_broker_body_json", j);
        write("register_broker_body_json.txt", j);
        RegisterBrokerBody backZ = RegisterBrokerBody.decode(z, true);
        if (backZ.getTopicConfigSerializeWrapper().getTopicConfigTable().size() != 2) {
            throw new IllegalStateException("RegisterBrokerBody compressed round trip failed");
        }
        JSONObject d = desc("REGISTER_BROKER (103) body, compressed (encode(true)) and JSON (encode(false))",
            "RegisterBrokerBody.encode(boolean)");
        d.put("compressedLayout", "zlib (Deflater BEST_COMPRESSION) stream of: i32 len + DataVersion JSON | i32 topicCount | "
            + "per topic: i32 len + TopicConfig.encode() text | i32 len + filterServerList JSON; all BE");
        d.put("dataVersionTimestamp", dv.getTimestamp());
        d.put("dataVersionCounter", dv.getCounter().get());
        d.put("dataVersionJson", dv.toJson());
        List<JSONObject> tcs = new ArrayList<>();
        for (TopicConfig tc : table.values()) {
            JSONObject o = new JSONObject(true);
            o.put("topicName", tc.getTopicName());
            o.put("readQueueNums", tc.getReadQueueNums());
            o.put("writeQueueNums", tc.getWriteQueueNums());
            o.put("perm", tc.getPerm());
            o.put("order", tc.isOrder());
            o.put("encoded", tc.encode());
            tcs.add(o);
        }
        d.put("topicConfigs", tcs);
        d.put("filterServerList", body.getFilterServerList());
        d.put("jsonText", new String(j, StandardCharsets.UTF_8));
        d.put("compressedBytes", z.length);
        writeDesc("register_broker_body", d);
    }

    /** Message.putProperty is package-private; MessageAccessor is the public way in. */
    static final class MessageAccessorShim {
        static void put(Message m, String k, String v) {
            org.apache.rocketmq.common.message.MessageAccessor.putProperty(m, k, v);
        }
    }
}
