package rocklet.interop;

import com.alibaba.fastjson.JSONObject;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageQueue;

import java.io.File;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Paced sends for interop/push.sh with the 4.9.3 producer: --count messages, one every
 * --interval-ms, tags cycling through --tags; with --orders K, body "order:step" and a
 * MessageQueueSelector putting order o on queue o % queues (each order's steps in send order on
 * one queue). One JSON line per send (msgId, queueId, queueOffset, tags, body) to OUT. Stops early
 * when --stop-file exists.
 *
 * usage: PushSend -n ADDR -t TOPIC -o OUT --count N [--interval-ms 0] [--tags A,B] [--orders K]
 *        [--prefix P] [--stop-file F]
 */
public final class PushSend {
    static final String USAGE = "PushSend -n ADDR -t TOPIC -o OUT --count N [--interval-ms 0] [--tags A,B] [--orders K] [--prefix P] [--stop-file F]";

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String ns = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String outPath = Common.need(a, "o", USAGE);
        int count = Integer.parseInt(Common.need(a, "count", USAGE));
        long interval = Long.parseLong(a.getOrDefault("interval-ms", "0"));
        String[] tags = a.getOrDefault("tags", "TagA").split(",");
        int orders = Integer.parseInt(a.getOrDefault("orders", "0"));
        String prefix = a.getOrDefault("prefix", "m");
        String stopFile = a.get("stop-file");

        DefaultMQProducer p = new DefaultMQProducer("push_sh_pg_" + System.nanoTime());
        p.setNamesrvAddr(ns);
        p.setClientIP("127.0.0.1");
        p.setInstanceName("push_sh_p_" + System.nanoTime());
        p.setSendMsgTimeout(5000);
        p.start();
        int failed = 0;
        try (PrintWriter out = Common.openOut(outPath)) {
            for (int i = 0; i < count; i++) {
                if (stopFile != null && new File(stopFile).exists()) {
                    break;
                }
                String tag = tags[i % tags.length];
                int order = orders > 0 ? i % orders : -1;
                int step = orders > 0 ? i / orders : i;
                String body = orders > 0 ? order + ":" + step : prefix + "-" + i;
                Message m = new Message(topic, tag, prefix + "-" + i, body.getBytes(StandardCharsets.UTF_8));
                SendResult r = null;
                for (int attempt = 0; attempt < 3 && r == null; attempt++) {
                    try {
                        if (orders > 0) {
                            r = p.send(m, (List<MessageQueue> mqs, Message msg, Object arg) ->
                                mqs.get((Integer) arg % mqs.size()), order, 5000);
                        } else {
                            r = p.send(m, 5000);
                        }
                        if (r.getSendStatus() != SendStatus.SEND_OK) {
                            System.out.println("WARN send " + i + ": " + r.getSendStatus());
                        }
                    } catch (Exception e) {
                        System.out.println("WARN send " + i + ": " + Common.rootMessage(e));
                        Thread.sleep(300);
                    }
                }
                if (r == null) {
                    failed++;
                    continue;
                }
                JSONObject o = new JSONObject(true);
                o.put("msgId", r.getMsgId());
                o.put("queueId", r.getMessageQueue().getQueueId());
                o.put("queueOffset", r.getQueueOffset());
                o.put("tags", tag);
                o.put("body", body);
                o.put("order", order);
                o.put("t", System.currentTimeMillis());
                out.println(Common.toLine(o));
                if (interval > 0) {
                    Thread.sleep(interval);
                }
            }
        }
        p.shutdown();
        System.out.println((failed == 0 ? "SENT " : "FAIL send: ") + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
