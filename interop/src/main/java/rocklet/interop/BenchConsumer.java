package rocklet.interop;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

import org.apache.rocketmq.client.impl.consumer.ProcessQueue;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A 4.9.3 DefaultMQPushConsumer benchmark (written for Rocklet, in the spirit of the 4.9.3
 * {@code benchmark.Consumer}, which is not on Maven Central): consumes TOPIC with a new group
 * from the first offset and prints one line a second and a summary with the consume TPS and the
 * end-to-end latency (born timestamp to the listener call) percentiles, in the format
 * bench/consume.sh parses.
 *
 * <pre>BenchConsumer -n NS -t TOPIC -g GROUP [-D seconds] [-q count] [-w consumeThreads]
 *   [--from first|last] [--skip-sec N (latency from messages born after N s)]
 *   [--pull-threshold-queue N] [--pull-threshold-size-queue MiB] [--pull-threshold-topic N]
 *   [--pull-threshold-size-topic MiB] [--pull-batch N] [--listener-delay-us N]</pre>
 * Stops after -q messages or -D seconds, whichever comes first.
 */
public final class BenchConsumer {
    static final int LAT_BUCKETS = 1_000_001; // 10 us buckets up to 10 s
    static final AtomicLongArray latency = new AtomicLongArray(LAT_BUCKETS);

    static double percentile(double q) {
        long total = 0;
        for (int i = 0; i < LAT_BUCKETS; i++) {
            total += latency.get(i);
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * total), seen = 0;
        for (int i = 0; i < LAT_BUCKETS; i++) {
            seen += latency.get(i);
            if (seen >= rank) {
                return (i + 1) * 0.01;
            }
        }
        return LAT_BUCKETS * 0.01;
    }

    /** VmRSS and VmHWM of this process in KiB. */
    static long[] rssKib() {
        long rss = 0, hwm = 0;
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("[^0-9]", ""));
                if (l.startsWith("VmHWM:")) hwm = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (Exception ignored) {
        }
        return new long[] {rss, hwm};
    }

    public static void main(String[] args) throws Exception {
        String ns = null, topic = "BenchmarkTest", group = "benchmark_consumer_" + System.currentTimeMillis();
        long duration = 30, quantity = 0, skipSec = 0;
        int threads = 20;
        String from = "first";
        int thrQueue = -2, thrSizeQueue = -2, thrTopic = -2, thrSizeTopic = -2, pullBatch = 32;
        long delayUs = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-n": ns = args[++i]; break;
                case "-t": topic = args[++i]; break;
                case "-g": group = args[++i]; break;
                case "-D": duration = Long.parseLong(args[++i]); break;
                case "-q": quantity = Long.parseLong(args[++i]); break;
                case "-w": threads = Integer.parseInt(args[++i]); break;
                case "--from": from = args[++i]; break;
                case "--skip-sec": skipSec = Long.parseLong(args[++i]); break;
                case "--pull-threshold-queue": thrQueue = Integer.parseInt(args[++i]); break;
                case "--pull-threshold-size-queue": thrSizeQueue = Integer.parseInt(args[++i]); break;
                case "--pull-threshold-topic": thrTopic = Integer.parseInt(args[++i]); break;
                case "--pull-threshold-size-topic": thrSizeTopic = Integer.parseInt(args[++i]); break;
                case "--pull-batch": pullBatch = Integer.parseInt(args[++i]); break;
                case "--listener-delay-us": delayUs = Long.parseLong(args[++i]); break;
                default:
                    System.out.println("FAIL BenchConsumer: unknown option " + args[i]);
                    System.exit(2);
            }
        }
        final long start = System.currentTimeMillis();
        final long latencyFrom = start + skipSec * 1000;
        final LongAdder count = new LongAdder();
        final LongAdder bytes = new LongAdder();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(ns);
        consumer.setInstanceName("bench-" + System.nanoTime());
        consumer.setConsumeThreadMin(threads);
        consumer.setConsumeThreadMax(threads);
        consumer.setConsumeFromWhere("last".equals(from)
            ? ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET : ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        if (thrQueue != -2) consumer.setPullThresholdForQueue(thrQueue);
        if (thrSizeQueue != -2) consumer.setPullThresholdSizeForQueue(thrSizeQueue);
        if (thrTopic != -2) consumer.setPullThresholdForTopic(thrTopic);
        if (thrSizeTopic != -2) consumer.setPullThresholdSizeForTopic(thrSizeTopic);
        consumer.setPullBatchSize(pullBatch);
        final long delayNs = delayUs * 1000;
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            for (MessageExt m : msgs) {
                count.increment();
                bytes.add(m.getBody().length);
                if (m.getBornTimestamp() >= latencyFrom) {
                    long us10 = Math.max(0, (now - m.getBornTimestamp()) * 100);
                    latency.incrementAndGet((int) Math.min(LAT_BUCKETS - 1, us10));
                }
            }
            if (delayNs > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(delayNs);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        long last = 0, firstAt = 0, peakMsgs = 0, peakBytes = 0;
        long deadline = start + duration * 1000;
        while (System.currentTimeMillis() < deadline && (quantity == 0 || count.sum() < quantity)) {
            Thread.sleep(1000);
            long c = count.sum();
            if (firstAt == 0 && c > 0) {
                firstAt = System.currentTimeMillis();
            }
            long cm = 0, cb = 0;
            for (ProcessQueue pq : consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl()
                .getProcessQueueTable().values()) {
                cm += pq.getMsgCount().get();
                cb += pq.getMsgSize().get();
            }
            peakMsgs = Math.max(peakMsgs, cm);
            peakBytes = Math.max(peakBytes, cb);
            System.out.printf("Current Time: %d Consume TPS: %d Total: %d cached: %d msgs %.2f MiB RSS: %d MiB%n",
                System.currentTimeMillis(), c - last, c, cm, cb / 1048576.0, rssKib()[0] / 1024);
            last = c;
        }
        long end = System.currentTimeMillis();
        long[] mem = rssKib();
        consumer.shutdown();
        long total = count.sum();
        double secs = Math.max(0.001, (end - (firstAt == 0 ? start : firstAt - 1000)) / 1000.0);
        System.out.printf("[Complete] Consume Total: %d Consume TPS: %.0f MB/s: %.2f%n", total, total / secs,
            bytes.sum() / secs / 1e6);
        long samples = 0;
        for (int i = 0; i < LAT_BUCKETS; i++) {
            samples += latency.get(i);
        }
        System.out.printf("Latency (born to listener): p50(ms): %.2f p90(ms): %.2f p99(ms): %.2f p999(ms): %.2f samples: %d%n",
            percentile(0.50), percentile(0.90), percentile(0.99), percentile(0.999), samples);
        System.out.printf("Memory: VmRSS(MiB): %d VmHWM(MiB): %d cache peak: %d msgs %.1f MiB%n",
            mem[0] / 1024, mem[1] / 1024, peakMsgs, peakBytes / 1048576.0);
        System.exit(total > 0 ? 0 : 1);
    }
}
