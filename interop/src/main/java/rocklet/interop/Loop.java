package rocklet.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONArray;
import com.alibaba.fastjson.JSONObject;
import com.alibaba.fastjson.serializer.SerializerFeature;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Paced synchronous sends with a real RocketMQ 4.9.3 DefaultMQProducer for a bounded time; every
 * send is recorded (time, broker, ok) so the mixed-cluster cell can check fail-over when one
 * broker is stopped mid-run. Same JSON as {@code interop_driver loop}.
 *
 * usage: Loop -n ADDR -t TOPIC --seconds S [--rate R] -o loop.json [--stop-file F] [-g group]
 * (--stop-file: also stop as soon as F exists; --seconds stays the upper bound)
 */
public final class Loop {
    static final String USAGE = "Loop -n NAMESRV_ADDR -t TOPIC --seconds S [--rate 20] -o loop.json [--stop-file F] [-g producerGroup]";

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String out = Common.need(a, "o", USAGE);
        double seconds = Double.parseDouble(Common.need(a, "seconds", USAGE));
        double rate = Double.parseDouble(a.getOrDefault("rate", "20"));
        final java.io.File stopFile = a.containsKey("stop-file") ? new java.io.File(a.get("stop-file")) : null;
        String group = a.getOrDefault("g", "rocklet_interop_java_loop_" + System.currentTimeMillis());

        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(addr);
        p.setClientIP("127.0.0.1");
        p.setInstanceName("loop-" + System.nanoTime());
        p.start();
        long startMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        long intervalNs = (long) (1e9 / Math.max(rate, 0.1));
        long endNs = t0 + (long) (seconds * 1e9);
        JSONArray events = new JSONArray();
        Map<String, Long> perBroker = new TreeMap<>();
        long ok = 0;
        long failed = 0;
        for (long i = 0; System.nanoTime() < endNs && (stopFile == null || !stopFile.exists()); i++) {
            long due = t0 + i * intervalNs;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            }
            Message m = new Message(topic, "TagLoop", "java-loop-" + i,
                ("java loop #" + i).getBytes(StandardCharsets.UTF_8));
            long at = System.currentTimeMillis();
            long st = System.nanoTime();
            JSONObject e = new JSONObject(true);
            e.put("i", i);
            e.put("t", at);
            try {
                SendResult r = p.send(m);
                e.put("ms", (System.nanoTime() - st) / 1_000_000L);
                boolean good = r.getSendStatus() == SendStatus.SEND_OK;
                e.put("ok", good);
                e.put("broker", r.getMessageQueue().getBrokerName());
                e.put("queueId", r.getMessageQueue().getQueueId());
                if (good) {
                    ok++;
                    perBroker.merge(r.getMessageQueue().getBrokerName(), 1L, Long::sum);
                } else {
                    failed++;
                    e.put("err", "status " + r.getSendStatus());
                }
            } catch (Exception ex) {
                failed++;
                e.put("ms", (System.nanoTime() - st) / 1_000_000L);
                e.put("ok", false);
                e.put("err", Common.rootMessage(ex));
            }
            events.add(e);
        }
        p.shutdown();
        JSONObject o = new JSONObject(true);
        o.put("client", "java");
        o.put("topic", topic);
        o.put("startMs", startMs);
        o.put("endMs", System.currentTimeMillis());
        o.put("sent", ok + failed);
        o.put("ok", ok);
        o.put("failed", failed);
        o.put("perBroker", perBroker);
        o.put("events", events);
        try (PrintWriter w = Common.openOut(out)) {
            w.println(JSON.toJSONString(o, SerializerFeature.PrettyFormat, SerializerFeature.DisableCircularReferenceDetect));
        }
        System.out.println((ok > 0 ? "PASS" : "FAIL") + " Loop(java): " + ok + " ok, " + failed + " failed, per broker "
            + perBroker + " -> " + out);
        System.exit(ok > 0 ? 0 : 1);
    }
}
