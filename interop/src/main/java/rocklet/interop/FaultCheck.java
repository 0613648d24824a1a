package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.apache.rocketmq.common.admin.TopicStatsTable;
import org.apache.rocketmq.common.admin.TopicOffset;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Check for the fault suite: reads every record of TOPIC from each queue's min to max offset
 * (as the broker reports them now) with a real 4.9.3 DefaultLitePullConsumer, and compares with
 * the acked file FaultLoad wrote. Prints one JSON line: acked, stored records, distinct msgIds,
 * lost (acked but not stored), duplicated (stored more than once), corrupt (a record whose body is
 * not the one FaultLoad sent for its key: "ID-N|" then 'x' padding; the first one's msgId and queue
 * offset in firstCorrupt), and exits 1 when anything acked was lost.
 *
 * usage: FaultCheck -n ADDR -t TOPIC --acked acked.txt [--timeout-sec 60]
 */
public final class FaultCheck {
    static final String USAGE = "FaultCheck -n NAMESRV_ADDR -t TOPIC --acked acked.txt [--timeout-sec 60]";

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Common.parseArgs(args, USAGE);
        String addr = Common.need(a, "n", USAGE);
        String topic = Common.need(a, "t", USAGE);
        String ackedPath = Common.need(a, "acked", USAGE);
        long deadline = System.currentTimeMillis() + Long.parseLong(a.getOrDefault("timeout-sec", "60")) * 1000L;

        Set<String> acked = new HashSet<>();
        for (String line : Files.readAllLines(Paths.get(ackedPath))) {
            String[] f = line.trim().split(" ");
            if (f.length >= 1 && !f[0].isEmpty()) {
                acked.add(f[0]);
            }
        }

        DefaultMQAdminExt admin = new DefaultMQAdminExt();
        admin.setNamesrvAddr(addr);
        admin.setInstanceName("fault_check_admin_" + System.nanoTime());
        admin.start();
        TopicStatsTable stats = admin.examineTopicStats(topic);
        admin.shutdown();
        Map<Integer, long[]> ranges = new HashMap<>();
        for (Map.Entry<MessageQueue, TopicOffset> e : stats.getOffsetTable().entrySet()) {
            ranges.put(e.getKey().getQueueId(), new long[] {e.getValue().getMinOffset(), e.getValue().getMaxOffset()});
        }

        DefaultLitePullConsumer c = new DefaultLitePullConsumer("rocklet_fault_check_" + System.nanoTime());
        c.setNamesrvAddr(addr);
        c.setClientIP("127.0.0.1");
        c.setAutoCommit(false);
        c.setPullBatchSize(256);
        c.start();
        Collection<MessageQueue> mqs = c.fetchMessageQueues(topic);
        List<MessageQueue> list = new ArrayList<>(mqs);
        c.assign(list);
        Map<Integer, Long> next = new HashMap<>();
        for (MessageQueue mq : list) {
            long[] r = ranges.getOrDefault(mq.getQueueId(), new long[] {0, 0});
            c.seek(mq, r[0]);
            next.put(mq.getQueueId(), r[0]);
        }
        Map<String, Integer> seen = new HashMap<>();
        Set<String> positions = new HashSet<>();
        long records = 0, corrupt = 0;
        String firstCorrupt = "";
        while (System.currentTimeMillis() < deadline) {
            boolean done = true;
            for (Map.Entry<Integer, Long> e : next.entrySet()) {
                long[] r = ranges.getOrDefault(e.getKey(), new long[] {0, 0});
                if (e.getValue() < r[1]) {
                    done = false;
                }
            }
            if (done) {
                break;
            }
            for (MessageExt m : c.poll(1000)) {
                long[] r = ranges.getOrDefault(m.getQueueId(), new long[] {0, 0});
                if (m.getQueueOffset() >= r[1]) {
                    continue;
                }
                // The lite pull consumer may hand out one position twice (a pull in flight when
                // seek ran): a duplicate is one msgId stored at two positions, not read twice.
                if (!positions.add(m.getQueueId() + ":" + m.getQueueOffset())) {
                    continue;
                }
                records++;
                if (!bodyIntact(m)) {
                    if (corrupt++ == 0) {
                        firstCorrupt = m.getMsgId() + " queue " + m.getQueueId() + " offset " + m.getQueueOffset()
                            + " commitlog " + m.getCommitLogOffset();
                    }
                }
                seen.merge(m.getMsgId(), 1, Integer::sum);
                next.merge(m.getQueueId(), m.getQueueOffset() + 1, Math::max);
            }
        }
        c.shutdown();
        long lost = 0, dup = 0;
        for (String id : acked) {
            if (!seen.containsKey(id)) {
                lost++;
            }
        }
        for (int n : seen.values()) {
            if (n > 1) {
                dup += n - 1;
            }
        }
        long expectRecords = 0;
        for (long[] r : ranges.values()) {
            expectRecords += r[1] - r[0];
        }
        System.out.println("{\"acked\":" + acked.size() + ",\"stored\":" + expectRecords + ",\"read\":" + records
            + ",\"distinct\":" + seen.size() + ",\"lost\":" + lost + ",\"duplicated\":" + dup + ",\"corrupt\":" + corrupt + ",\"firstCorrupt\":\"" + firstCorrupt + "\"}");
        System.exit(lost == 0 && corrupt == 0 && records == expectRecords ? 0 : 1);
    }

    /** FaultLoad's body for key kID-N: "ID-N|" then 'x' up to its size. */
    static boolean bodyIntact(MessageExt m) {
        String k = m.getKeys();
        byte[] b = m.getBody();
        if (k == null || !k.startsWith("k") || b == null) {
            return false;
        }
        byte[] head = (k.substring(1) + "|").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length < head.length) {
            return false;
        }
        for (int i = 0; i < b.length; i++) {
            if (b[i] != (i < head.length ? head[i] : (byte) 'x')) {
                return false;
            }
        }
        return true;
    }
}
