package rocklet.interop;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.AclUtils;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints known ACL signature vectors computed by the real 4.9.3 AclUtils / AclClientRPCHook, for
 * Rocklet's unit tests (interop/golden/acl_signature.txt). Output: one `key=value` per line.
 */
public class AclSignVector {
    public static void main(String[] args) throws Exception {
        // 1. AclUtils.calSignature over plain bytes.
        System.out.println("plain.data=hello world");
        System.out.println("plain.secret=12345678");
        System.out.println("plain.signature=" + AclUtils.calSignature("hello world".getBytes(StandardCharsets.UTF_8), "12345678"));
        // 2. A SEND_MESSAGE_V2 request signed by AclClientRPCHook, then its ext fields as sent.
        SendMessageRequestHeaderV2 h = new SendMessageRequestHeaderV2();
        h.setA("PG");
        h.setB("TopicA");
        h.setC("TBW102");
        h.setD(4);
        h.setE(1);
        h.setF(0);
        h.setG(1700000000000L);
        h.setH(0);
        h.setI("KEYS\u0001k1\u0002UNIQ_KEY\u0001ABC\u0002");
        h.setJ(0);
        h.setK(false);
        h.setM(false);
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, h);
        cmd.setBody("héllo body".getBytes(StandardCharsets.UTF_8));
        new AclClientRPCHook(new SessionCredentials("RocketMQ", "12345678")).doBeforeRequest("127.0.0.1:10911", cmd);
        cmd.makeCustomHeaderToNet();
        Map<String, String> sorted = new TreeMap<>(cmd.getExtFields());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            System.out.println("send.field." + e.getKey() + "=" + e.getValue().replace("\u0001", "\\u0001").replace("\u0002", "\\u0002"));
        }
        System.out.println("send.body=héllo body");
        System.out.println("send.secret=12345678");
    }
}
