package rocklet.interop;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.PosixParser;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.remoting.exception.RemotingException;
import org.apache.rocketmq.srvutil.ServerUtil;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Stand-in for {@code org.apache.rocketmq.example.benchmark.Producer} of RocketMQ 4.9.3, whose
 * {@code rocketmq-example} artifact is not published on Maven Central. Written for Rocklet; it
 * takes the same options as the 4.9.3 benchmark producer
 * (-n namesrv, -t topic [BenchmarkTest], -w threadCount [64], -s messageSize [128],
 * -k keyEnable [false], -p propertySize [0], -l tagCount [0], -q messageQuantity [0 = no limit],
 * -d delayEnable [false], -e delayLevel [1]; -m trace and -a ACL are refused) plus
 * -D/--duration SECONDS (0 = no limit) so a run can be bounded in time. Like 4.9.3 it sends
 * synchronously from every thread, counts a RemotingException/MQClientException as a send
 * failure and an MQBrokerException as a response failure, and backs off 3 s after remoting and
 * broker errors. It prints one stats line per second (the 4.9.3 line format, over the last second)
 * and a final "[Complete] ..." line; exit status 0 only when nothing failed and something was sent.
 */
public final class BenchProducer {
    // Rocklet addition for side-by-side runs: send latency in 10 us buckets (up to 10 s), from
    // sends that start after the JVM's warm-up, so the percentiles describe the steady state.
    static final int LAT_BUCKETS = 1_000_001;
    static final long STEADY_AFTER_MS = 3000;
    static final java.util.concurrent.atomic.AtomicLongArray latency = new java.util.concurrent.atomic.AtomicLongArray(LAT_BUCKETS);

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


    public static void main(String[] args) throws MQClientException, InterruptedException {
        Options options = ServerUtil.buildCommandlineOptions(new Options());
        CommandLine cl = ServerUtil.parseCmdLine("benchmarkProducer", args, buildOptions(options), new PosixParser());
        if (cl == null) {
            System.exit(2);
        }
        final String topic = cl.hasOption('t') ? cl.getOptionValue('t').trim() : "BenchmarkTest";
        final int threadCount = cl.hasOption('w') ? Integer.parseInt(cl.getOptionValue('w')) : 64;
        final int messageSize = cl.hasOption('s') ? Integer.parseInt(cl.getOptionValue('s')) : 128;
        final boolean keyEnable = cl.hasOption('k') && Boolean.parseBoolean(cl.getOptionValue('k'));
        final int propertySize = cl.hasOption('p') ? Integer.parseInt(cl.getOptionValue('p')) : 0;
        final int tagCount = cl.hasOption('l') ? Integer.parseInt(cl.getOptionValue('l')) : 0;
        final long messageNum = cl.hasOption('q') ? Long.parseLong(cl.getOptionValue('q')) : 0;
        final boolean delayEnable = cl.hasOption('d') && Boolean.parseBoolean(cl.getOptionValue('d'));
        final int delayLevel = cl.hasOption('e') ? Integer.parseInt(cl.getOptionValue('e')) : 1;
        final double durationSec = cl.hasOption('D') ? Double.parseDouble(cl.getOptionValue('D')) : 0;
        if ((cl.hasOption('m') && Boolean.parseBoolean(cl.getOptionValue('m')))
            || (cl.hasOption('a') && Boolean.parseBoolean(cl.getOptionValue('a')))) {
            System.out.println("FAIL BenchProducer: -m (trace) and -a (ACL) are not supported by this stand-in");
            System.exit(2);
        }
        System.out.printf("topic: %s threadCount: %d messageSize: %d keyEnable: %s propertySize: %d tagCount: %d"
                + " messageQuantity: %d delayEnable: %s delayLevel: %s durationSec: %s%n",
            topic, threadCount, messageSize, keyEnable, propertySize, tagCount, messageNum, delayEnable, delayLevel,
            durationSec);

        Random rnd = new Random();
        final String alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder(messageSize);
        for (int i = 0; i < messageSize; i++) {
            sb.append(alnum.charAt(rnd.nextInt(alnum.length())));
        }
        final byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);

        final LongAdder sendOk = new LongAdder();
        final LongAdder sendFailed = new LongAdder();
        final LongAdder responseFailed = new LongAdder();
        final LongAdder rtTotal = new LongAdder();
        final AtomicLong maxRt = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean(false);
        final AtomicLong firstError = new AtomicLong();
        final String[] firstErrorText = new String[1];

        final DefaultMQProducer producer = new DefaultMQProducer("benchmark_producer");
        producer.setInstanceName(Long.toString(System.currentTimeMillis()));
        if (cl.hasOption('n')) {
            producer.setNamesrvAddr(cl.getOptionValue('n'));
        }
        producer.setClientIP("127.0.0.1");
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        producer.start();

        final long[] quota = new long[threadCount];
        if (messageNum > 0) {
            for (int i = 0; i < threadCount; i++) {
                quota[i] = messageNum / threadCount + (i == 0 ? messageNum % threadCount : 0);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threadCount);
        final long t0 = System.currentTimeMillis();
        for (int i = 0; i < threadCount; i++) {
            final long limit = quota[i];
            if (messageNum > 0 && limit == 0) {
                break;
            }
            pool.execute(() -> {
                long num = 0;
                while (!stop.get()) {
                    Message msg = new Message(topic, body);
                    long begin = System.currentTimeMillis();
                    if (keyEnable) {
                        msg.setKeys(String.valueOf(begin / 1000));
                    }
                    if (delayEnable) {
                        msg.setDelayTimeLevel(delayLevel);
                    }
                    if (tagCount > 0) {
                        msg.setTags(String.format("tag%d", System.currentTimeMillis() % tagCount));
                    }
                    if (propertySize > 0) {
                        int k = 0;
                        int v = new Random(begin).nextInt(100);
                        int size = 0;
                        while (size <= propertySize) {
                            String p1 = "prop" + k, v1 = "hello" + v, p2 = "prop" + (k + 1), v2 = String.valueOf(v);
                            msg.putUserProperty(p1, v1);
                            msg.putUserProperty(p2, v2);
                            size += p1.length() + p2.length() + v1.length() + v2.length();
                            k += 2;
                            v += 2;
                        }
                    }
                    try {
                        long beginNs = System.nanoTime();
                        SendResult r = producer.send(msg);
                        long rtNs = System.nanoTime() - beginNs;
                        if (begin - t0 >= STEADY_AFTER_MS) {
                            int bucket = (int) Math.min(LAT_BUCKETS - 1, rtNs / 10_000);
                            latency.incrementAndGet(bucket);
                        }
                        if (r.getSendStatus() != SendStatus.SEND_OK) {
                            responseFailed.increment();
                            noteError(firstError, firstErrorText, "status " + r.getSendStatus());
                        } else {
                            sendOk.increment();
                            long rt = System.currentTimeMillis() - begin;
                            rtTotal.add(rt);
                            maxRt.accumulateAndGet(rt, Math::max);
                        }
                    } catch (RemotingException e) {
                        sendFailed.increment();
                        noteError(firstError, firstErrorText, Common.rootMessage(e));
                        sleepQuietly(3000, stop);
                    } catch (InterruptedException e) {
                        sendFailed.increment();
                        sleepQuietly(3000, stop);
                    } catch (MQClientException e) {
                        sendFailed.increment();
                        noteError(firstError, firstErrorText, Common.rootMessage(e));
                    } catch (MQBrokerException e) {
                        responseFailed.increment();
                        noteError(firstError, firstErrorText, Common.rootMessage(e));
                        sleepQuietly(3000, stop);
                    }
                    if (messageNum > 0 && ++num >= limit) {
                        break;
                    }
                }
            });
        }
        pool.shutdown();
        long deadline = durationSec > 0 ? t0 + (long) (durationSec * 1000) : Long.MAX_VALUE;
        long lastOk = 0, lastRt = 0, lastT = t0;
        while (!pool.awaitTermination(1000 - (System.currentTimeMillis() - t0) % 1000, TimeUnit.MILLISECONDS)) {
            long now = System.currentTimeMillis();
            long ok = sendOk.sum(), rt = rtTotal.sum();
            long dOk = ok - lastOk;
            System.out.printf("Current Time: %s Send TPS: %d Max RT(ms): %d Average RT(ms): %7.3f Send Failed: %d Response Failed: %d%n",
                now, (long) (dOk * 1000.0 / Math.max(1, now - lastT)), maxRt.get(),
                dOk == 0 ? 0.0 : (rt - lastRt) / (double) dOk, sendFailed.sum(), responseFailed.sum());
            lastOk = ok;
            lastRt = rt;
            lastT = now;
            if (now >= deadline && !stop.get()) {
                stop.set(true);
            }
        }
        long elapsed = Math.max(1, System.currentTimeMillis() - t0);
        producer.shutdown();
        long ok = sendOk.sum();
        long failed = sendFailed.sum();
        long respFailed = responseFailed.sum();
        System.out.printf("[Complete] Send Total: %d Send TPS: %d Max RT(ms): %d Average RT(ms): %7.3f Send Failed: %d Response Failed: %d%n",
            ok + failed + respFailed, (long) (ok * 1000.0 / elapsed), maxRt.get(),
            ok == 0 ? 0.0 : rtTotal.sum() / (double) ok, failed, respFailed);
        System.out.printf("Latency after %d s warm-up: p50(ms): %.2f p99(ms): %.2f p999(ms): %.2f%n",
            STEADY_AFTER_MS / 1000, percentile(0.50), percentile(0.99), percentile(0.999));
        if (firstErrorText[0] != null) {
            System.out.println("first error: " + firstErrorText[0]);
        }
        System.exit(ok > 0 && failed == 0 && respFailed == 0 ? 0 : 1);
    }

    static void noteError(AtomicLong first, String[] text, String what) {
        if (first.compareAndSet(0, System.currentTimeMillis())) {
            text[0] = what;
        }
    }

    static void sleepQuietly(long ms, AtomicBoolean stop) {
        long end = System.currentTimeMillis() + ms;
        while (!stop.get() && System.currentTimeMillis() < end) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ignored) {
                return;
            }
        }
    }

    static Options buildOptions(Options options) {
        String[][] opts = {
            {"w", "threadCount", "Thread count, Default: 64"},
            {"s", "messageSize", "Message Size, Default: 128"},
            {"k", "keyEnable", "Message Key Enable, Default: false"},
            {"t", "topic", "Topic name, Default: BenchmarkTest"},
            {"l", "tagCount", "Tag count, Default: 0"},
            {"m", "msgTraceEnable", "Message Trace Enable, Default: false (not supported)"},
            {"a", "aclEnable", "Acl Enable, Default: false (not supported)"},
            {"p", "propertySize", "Property Size, Default: 0"},
            {"q", "messageQuantity", "Send message quantity, Default: 0, running forever"},
            {"d", "delayEnable", "Delay message Enable, Default: false"},
            {"e", "delayLevel", "Delay message level, Default: 1"},
            {"D", "duration", "Stop after this many seconds, Default: 0, running forever (Rocklet addition)"},
        };
        for (String[] o : opts) {
            Option opt = new Option(o[0], o[1], true, o[2]);
            opt.setRequired(false);
            options.addOption(opt);
        }
        return options;
    }
}
