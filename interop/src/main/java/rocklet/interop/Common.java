package rocklet.interop;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONObject;
import com.alibaba.fastjson.serializer.SerializerFeature;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small helpers shared by the interop programs (argument parsing, JSON lines, hex). */
final class Common {
    private Common() {}

    /** Parses "-k v" / "--key v" pairs; a flag without value maps to "true". */
    static Map<String, String> parseArgs(String[] args, String usage) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-")) {
                die("unexpected argument '" + a + "'\nusage: " + usage);
            }
            String k = a.replaceFirst("^--?", "");
            if (i + 1 < args.length && !args[i + 1].startsWith("-")) {
                m.put(k, args[++i]);
            } else {
                m.put(k, "true");
            }
        }
        return m;
    }

    static String need(Map<String, String> m, String k, String usage) {
        String v = m.get(k);
        if (v == null) {
            die("missing -" + k + "\nusage: " + usage);
        }
        return v;
    }

    static void die(String msg) {
        System.out.println("FAIL " + msg);
        System.out.flush();
        System.exit(2);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static String hex(byte[] b) {
        if (b == null) {
            return "";
        }
        char[] c = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = HEX[(b[i] >> 4) & 0xf];
            c[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return new String(c);
    }

    /** User properties only: everything not in RocketMQ's reserved property-name set. */
    static Map<String, String> userProps(Message m) {
        Map<String, String> out = new TreeMap<>();
        if (m.getProperties() != null) {
            for (Map.Entry<String, String> e : m.getProperties().entrySet()) {
                if (!MessageConst.STRING_HASH_SET.contains(e.getKey())) {
                    out.put(e.getKey(), e.getValue());
                }
            }
        }
        return out;
    }

    /** Fields common to sent and received records. */
    static JSONObject baseRecord(Message m) {
        JSONObject o = new JSONObject(true);
        o.put("topic", m.getTopic());
        o.put("tags", m.getTags());
        o.put("keys", m.getKeys());
        o.put("props", new JSONObject(new TreeMap<String, Object>(userProps(m))));
        o.put("bodyHex", hex(m.getBody()));
        return o;
    }

    static JSONObject recvRecord(MessageExt m) {
        JSONObject o = new JSONObject(true);
        o.put("msgId", m.getMsgId());
        o.put("offsetMsgId", (m instanceof org.apache.rocketmq.common.message.MessageClientExt)
            ? ((org.apache.rocketmq.common.message.MessageClientExt) m).getOffsetMsgId() : m.getMsgId());
        o.putAll(baseRecord(m));
        o.put("queueId", m.getQueueId());
        o.put("queueOffset", m.getQueueOffset());
        o.put("storeHost", String.valueOf(m.getStoreHost()).replaceFirst("^/", ""));
        o.put("bornHost", String.valueOf(m.getBornHost()).replaceFirst("^/", ""));
        o.put("bornTimestamp", m.getBornTimestamp());
        o.put("storeTimestamp", m.getStoreTimestamp());
        o.put("sysFlag", m.getSysFlag());
        o.put("reconsumeTimes", m.getReconsumeTimes());
        // Every property as the broker stored it (plus the consumer's MIN/MAX_OFFSET), and the
        // stored record's size: two brokers storing the same message must agree on both.
        o.put("allProps", new JSONObject(new TreeMap<String, Object>(
            m.getProperties() == null ? new TreeMap<String, String>() : m.getProperties())));
        o.put("storeSize", m.getStoreSize());
        return o;
    }

    static String toLine(Object o) {
        return JSON.toJSONString(o, SerializerFeature.WriteMapNullValue, SerializerFeature.DisableCircularReferenceDetect);
    }

    static PrintWriter openOut(String path) throws IOException {
        File f = new File(path);
        if (f.getAbsoluteFile().getParentFile() != null) {
            f.getAbsoluteFile().getParentFile().mkdirs();
        }
        Writer w = new OutputStreamWriter(new FileOutputStream(f), StandardCharsets.UTF_8);
        return new PrintWriter(w, true);
    }

    static List<JSONObject> readJsonl(String path) throws IOException {
        List<JSONObject> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new FileInputStream(path), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                line = line.trim();
                if (!line.isEmpty()) {
                    out.add(JSON.parseObject(line));
                }
            }
        }
        return out;
    }

    static String rootMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Throwable c = t;
        int depth = 0;
        while (c != null && depth++ < 4) {
            if (sb.length() > 0) {
                sb.append(" <- ");
            }
            sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            c = c.getCause();
        }
        return sb.toString().replace('\n', ' ');
    }

    /** "PASS prefix/name" / "FAIL prefix/name: why" lines and a failure count. */
    static final class Checks {
        private final String prefix;
        private int failures = 0;

        Checks(String prefix) {
            this.prefix = prefix;
        }

        void result(String name, boolean ok, String why) {
            if (ok) {
                System.out.println("PASS " + prefix + "/" + name);
            } else {
                failures++;
                System.out.println("FAIL " + prefix + "/" + name + ": " + why);
            }
            System.out.flush();
        }

        /** Exit 0 when every check passed, 1 otherwise. */
        void exit() {
            System.exit(failures == 0 ? 0 : 1);
        }
    }
}
