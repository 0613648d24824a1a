//! `rocklet bench consume`: the push consumer's throughput (fill a topic, then drain it) and
//! end-to-end latency (send at a paced rate while consuming), with the process's memory.
//! End-to-end latency is meaningful with --rate; after a fill it mostly measures the fill.

use anyhow::Context;
use hdrhistogram::Histogram;
use rocklet_client::consumer::{
    config::format_yyyymmddhhmmss, ConsumeConcurrentlyStatus, DefaultMQPushConsumer,
    PushConsumerConfig,
};
use rocklet_client::{
    ConsumeFromWhere, DefaultMQProducer, MQAdmin, Message, MessageQueue, ProducerConfig,
};
use rocklet_protocol::body::TopicConfig;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bench::ConsumeArgs;

#[derive(Serialize)]
struct Summary {
    mode: &'static str,
    topic: String,
    group: String,
    /// Body size sent (with --no-fill: the mean body size consumed).
    size: usize,
    queues: usize,
    runtime_threads: usize,
    rate: u64,
    sent: u64,
    seconds: f64,
    consumed: u64,
    tps: f64,
    mb_per_s: f64,
    e2e_p50_ms: f64,
    e2e_p90_ms: f64,
    e2e_p99_ms: f64,
    e2e_p999_ms: f64,
    e2e_max_ms: f64,
    vm_rss_kib: u64,
    vm_hwm_kib: u64,
    embedded_cluster: bool,
    /// Messages the topic held before the run that the consumer read past.
    older_skipped: u64,
    /// The most messages / body bytes the consumer held cached at once (sampled each second).
    peak_cached_msgs: i64,
    peak_cached_mib: f64,
    pull_threshold_for_queue: i64,
    pull_threshold_size_for_queue_mib: i64,
    pull_threshold_for_topic: i64,
    pull_threshold_size_for_topic_mib: i64,
    pull_batch: i32,
    listener_delay_us: u64,
}

/// VmRSS and VmHWM of this process in KiB (0 where /proc is missing).
fn rss_kib() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

#[derive(Default)]
struct Counters {
    /// Messages of this run consumed (born at or after its start).
    consumed: AtomicU64,
    bytes: AtomicU64,
    sent: AtomicU64,
    send_failed: AtomicU64,
    /// Messages born before the run (read past, not counted).
    skipped: AtomicU64,
    /// When the listener last ran (ms since the epoch).
    last_call_ms: AtomicU64,
    /// When the measured part began (µs since the epoch): the consumer's start, or with --rate
    /// the first paced send.
    started_us: AtomicU64,
    peak_cached_msgs: AtomicU64,
    peak_cached_bytes: AtomicU64,
}

/// Creates or updates the topic with `queues` queues on every master, then waits for its route.
async fn make_topic(
    admin: &MQAdmin,
    producer: &DefaultMQProducer,
    topic: &str,
    queues: i32,
) -> anyhow::Result<Vec<MessageQueue>> {
    let info = admin.cluster_info().await?;
    let tc = TopicConfig::new(topic, queues, queues, 6);
    for bd in info.broker_addr_table.values() {
        if let Some(addr) = bd.master_addr() {
            admin.create_topic_on(addr, &tc).await?;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(35);
    loop {
        match producer.fetch_publish_message_queues(topic).await {
            Ok(q) if q.len() as i32 >= queues => return Ok(q),
            Ok(_) | Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            Ok(q) => return Ok(q),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Sends `count` messages (or for `limit`) from 4 tasks: batches of 64 as fast as they go,
/// or one at a time paced to `rate` a second.
async fn send(
    producer: &DefaultMQProducer,
    topic: &str,
    size: usize,
    count: u64,
    rate: Option<u64>,
    limit: Duration,
    c: Arc<Counters>,
) {
    let body = bytes::Bytes::from(vec![b'x'; size.max(1)]);
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + limit;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (p, c, issued, body, topic) = (
            producer.clone(),
            c.clone(),
            issued.clone(),
            body.clone(),
            topic.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let n = if rate.is_some() { 1 } else { 64 };
            // Paced: every message due before the deadline is sent, even a little late.
            let hard_stop = deadline
                + if rate.is_some() {
                    limit / 2
                } else {
                    Duration::ZERO
                };
            while Instant::now() < hard_stop {
                let k = issued.fetch_add(n, Ordering::Relaxed);
                if k >= count {
                    break;
                }
                let n = n.min(count - k);
                if let Some(r) = rate {
                    let due = start + Duration::from_secs_f64(k as f64 / r.max(1) as f64);
                    if due >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                }
                let r = if n == 1 {
                    p.send(Message::new(&topic, body.clone())).await.map(|_| ())
                } else {
                    p.send_batch((0..n).map(|_| Message::new(&topic, body.clone())).collect())
                        .await
                        .map(|_| ())
                };
                match r {
                    Ok(()) => c.sent.fetch_add(n, Ordering::Relaxed),
                    Err(_) => c.send_failed.fetch_add(n, Ordering::Relaxed),
                };
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

pub async fn run(a: ConsumeArgs) -> anyhow::Result<()> {
    let cluster = if a.namesrv.is_none() {
        Some(crate::bench::embedded("ASYNC_FLUSH").await?)
    } else {
        None
    };
    let ns = a
        .namesrv
        .clone()
        .or_else(|| cluster.as_ref().map(|c| c.namesrv_addr()))
        .context("no name server")?;
    let mut fill_cfg = ProducerConfig::new("benchmark_fill").with_namesrv(&ns);
    crate::sysprops::apply_client(&mut fill_cfg.client);
    let producer = DefaultMQProducer::new(fill_cfg);
    producer.start().await?;
    let admin = producer.admin()?;
    let c = Arc::new(Counters::default());
    // Messages born before this are not counted (another run's, when the topic is reused).
    let run_start_ms = (now_us() / 1000) as i64;
    let follow = a.no_fill && a.from == "last";
    let mode = match (a.no_fill, a.rate) {
        (true, _) if follow => "follow",
        (true, _) => "no-fill",
        (false, Some(_)) => "rate",
        (false, None) => "fill",
    };

    // What to read, and how many messages make a complete run.
    let queues = if a.no_fill {
        producer.fetch_publish_message_queues(&a.topic).await?
    } else {
        make_topic(&admin, &producer, &a.topic, a.queues).await?
    };
    let mut expected = 0u64;
    if follow {
        eprintln!(
            "following new messages of {} queues for {} s",
            queues.len(),
            a.duration
        );
    } else if a.no_fill {
        for q in &queues {
            expected += (admin.max_offset(q).await? - admin.min_offset(q).await?).max(0) as u64;
        }
        eprintln!("{expected} messages in {} queues", queues.len());
    } else if a.rate.is_none() {
        let t = Instant::now();
        let limit = Duration::from_secs(a.duration.max(1) * 10);
        send(&producer, &a.topic, a.size, a.fill, None, limit, c.clone()).await;
        expected = c.sent.load(Ordering::Relaxed);
        eprintln!(
            "filled {expected} messages of {} B in {:.2} s ({} failed)",
            a.size,
            t.elapsed().as_secs_f64(),
            c.send_failed.load(Ordering::Relaxed)
        );
    }

    let group = a
        .group
        .clone()
        .unwrap_or_else(|| format!("benchmark_consumer_{}_{}", std::process::id(), run_start_ms));
    let mut cfg = PushConsumerConfig::new(&group).with_namesrv(&ns);
    crate::sysprops::apply_client(&mut cfg.client);
    if follow {
        cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET;
    } else if a.no_fill {
        cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET;
    } else {
        // A new group starts at the first message stored in the second of the start (or,
        // when the broker answers 0 for a new group, at the queue's start): messages born
        // before this run are not counted.
        cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_TIMESTAMP;
        cfg.consume_timestamp = format_yyyymmddhhmmss(run_start_ms);
    }
    cfg.consume_thread_min = a.threads.max(1);
    cfg.consume_thread_max = a.threads.max(1);
    cfg.pull_batch_size = a.pull_batch;
    cfg.consume_message_batch_max_size = a.batch.max(1);
    if let Some(v) = a.pull_threshold_queue {
        cfg.pull_threshold_for_queue = v;
    }
    if let Some(v) = a.pull_threshold_size_queue {
        cfg.pull_threshold_size_for_queue = v;
    }
    if let Some(v) = a.pull_threshold_topic {
        cfg.pull_threshold_for_topic = v;
    }
    if let Some(v) = a.pull_threshold_size_topic {
        cfg.pull_threshold_size_for_topic = v;
    }
    let thresholds = (
        cfg.pull_threshold_for_queue,
        cfg.pull_threshold_size_for_queue,
        cfg.pull_threshold_for_topic,
        cfg.pull_threshold_size_for_topic,
    );
    let consumer = DefaultMQPushConsumer::new(cfg);
    consumer.subscribe(&a.topic, "*")?;
    // One histogram per runtime thread, merged at the end: listener calls on both threads never
    // wait for each other's lock (Java's BenchConsumer counts into an atomic array likewise).
    let hist: Arc<Vec<Mutex<Histogram<u64>>>> = Arc::new(
        (0..HIST_SHARDS)
            .map(|_| Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).map(Mutex::new))
            .collect::<Result<_, _>>()?,
    );
    {
        // Following: count only messages born skip-sec after the start.
        let count_all = a.no_fill && !follow;
        let born_from = run_start_ms + if follow { a.skip_sec as i64 * 1000 } else { 0 };
        let (c, hist, delay) = (c.clone(), hist.clone(), a.listener_delay_us);
        consumer.register_message_listener_concurrently(move |msgs, _ctx| {
            let now = now_us();
            c.last_call_ms.store(now / 1000, Ordering::Relaxed);
            let mut h = hist[hist_shard()].lock().unwrap_or_else(|e| e.into_inner());
            for m in &msgs {
                if !count_all && m.born_timestamp < born_from {
                    c.skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                // born_timestamp has millisecond resolution.
                let us = now.saturating_sub(m.born_timestamp.max(0) as u64 * 1000);
                let _ = h.record(us.max(1));
                c.consumed.fetch_add(1, Ordering::Relaxed);
                c.bytes
                    .fetch_add(m.raw_body.len() as u64, Ordering::Relaxed);
            }
            drop(h);
            async move {
                if delay > 0 {
                    tokio::time::sleep(Duration::from_micros(delay)).await;
                }
                ConsumeConcurrentlyStatus::CONSUME_SUCCESS
            }
        });
    }
    let t = Instant::now();
    c.started_us.store(now_us(), Ordering::Relaxed);
    consumer.start().await?;

    let stop = Arc::new(AtomicBool::new(false));
    let reporter = {
        let (c, stop, consumer) = (c.clone(), stop.clone(), consumer.clone());
        tokio::spawn(async move {
            let (mut last_n, mut last_b, mut last_t) = (0u64, 0u64, Instant::now());
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let n = c.consumed.load(Ordering::Relaxed);
                let b = c.bytes.load(Ordering::Relaxed);
                let secs = last_t.elapsed().as_secs_f64();
                let (cm, cb) = (
                    consumer.cached_message_count(),
                    consumer.cached_message_bytes(),
                );
                c.peak_cached_msgs
                    .fetch_max(cm.max(0) as u64, Ordering::Relaxed);
                c.peak_cached_bytes
                    .fetch_max(cb.max(0) as u64, Ordering::Relaxed);
                let (rss, _) = rss_kib();
                eprintln!(
                    "Consume TPS: {:>8.0} MB/s: {:>7.2} cached: {:>6} msgs {:>7.2} MiB consumed: {n} sent: {} RSS: {} MiB",
                    (n - last_n) as f64 / secs,
                    (b - last_b) as f64 / secs / 1e6,
                    cm,
                    cb as f64 / 1048576.0,
                    c.sent.load(Ordering::Relaxed),
                    rss / 1024,
                );
                (last_n, last_b, last_t) = (n, b, Instant::now());
            }
        })
    };

    let duration = Duration::from_secs(a.duration.max(1));
    let sender = a.rate.map(|r| {
        let (p, topic, c) = (producer.clone(), a.topic.clone(), c.clone());
        let (size, fill, consumer, nq) = (a.size, a.fill, consumer.clone(), queues.len());
        tokio::spawn(async move {
            // Send once the queues are assigned and the consumer has read past the messages
            // the topic held (a new group may start at offset 0): idle for 500 ms, at most 60 s.
            let ready = Instant::now() + Duration::from_secs(60);
            let mut since = now_us() / 1000;
            while Instant::now() < ready {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let now = now_us() / 1000;
                let last = c.last_call_ms.load(Ordering::Relaxed).max(since);
                if consumer.assigned_queues().len() < nq || consumer.cached_message_count() > 0 {
                    since = now;
                } else if now.saturating_sub(last) >= 500 {
                    break;
                }
            }
            let skipped = c.skipped.load(Ordering::Relaxed);
            if skipped > 0 {
                eprintln!("read past {skipped} older messages; sending now");
            }
            c.started_us.store(now_us(), Ordering::Relaxed);
            send(&p, &topic, size, fill, Some(r), duration, c).await;
        })
    });
    // With --rate, consuming may go on 15 s after the last send (the sender stops itself);
    // otherwise `duration` bounds it.
    let mut deadline = t + duration;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = c.consumed.load(Ordering::Relaxed);
        let sending = sender.as_ref().is_some_and(|s| !s.is_finished());
        if sending {
            deadline = Instant::now() + Duration::from_secs(15);
        }
        let target = if a.rate.is_some() {
            c.sent.load(Ordering::Relaxed)
        } else {
            expected
        };
        if (!follow && !sending && n >= target) || Instant::now() >= deadline {
            break;
        }
    }
    let secs = now_us().saturating_sub(c.started_us.load(Ordering::Relaxed)) as f64 / 1e6;
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    if let Some(s) = sender {
        s.abort();
    }
    let (vm_rss_kib, vm_hwm_kib) = rss_kib();
    consumer.shutdown().await;

    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3)?;
    for shard in hist.iter() {
        h.add(&*shard.lock().unwrap_or_else(|e| e.into_inner()))?;
    }
    let ms = |us: u64| us as f64 / 1000.0;
    let n = c.consumed.load(Ordering::Relaxed);
    let s = Summary {
        mode,
        topic: a.topic.clone(),
        runtime_threads: a.worker_threads(),
        group,
        // With --no-fill the bench sent nothing: the mean body size of what it consumed.
        size: if a.no_fill {
            (c.bytes.load(Ordering::Relaxed) / n.max(1)) as usize
        } else {
            a.size
        },
        queues: queues.len(),
        rate: a.rate.unwrap_or(0),
        sent: c.sent.load(Ordering::Relaxed),
        seconds: secs,
        consumed: n,
        tps: n as f64 / secs,
        mb_per_s: c.bytes.load(Ordering::Relaxed) as f64 / secs / 1e6,
        e2e_p50_ms: ms(h.value_at_quantile(0.5)),
        e2e_p90_ms: ms(h.value_at_quantile(0.9)),
        e2e_p99_ms: ms(h.value_at_quantile(0.99)),
        e2e_p999_ms: ms(h.value_at_quantile(0.999)),
        e2e_max_ms: ms(h.max()),
        vm_rss_kib,
        vm_hwm_kib,
        embedded_cluster: cluster.is_some(),
        older_skipped: c.skipped.load(Ordering::Relaxed),
        peak_cached_msgs: c.peak_cached_msgs.load(Ordering::Relaxed) as i64,
        peak_cached_mib: c.peak_cached_bytes.load(Ordering::Relaxed) as f64 / 1048576.0,
        pull_threshold_for_queue: thresholds.0,
        pull_threshold_size_for_queue_mib: thresholds.1,
        pull_threshold_for_topic: thresholds.2,
        pull_threshold_size_for_topic_mib: thresholds.3,
        pull_batch: a.pull_batch,
        listener_delay_us: a.listener_delay_us,
    };
    let target = if a.rate.is_some() {
        s.sent
    } else if follow {
        n
    } else {
        expected
    };
    println!(
        "\nmode {}, {} B, {} queues, {} runtime thread(s), {:.1} s: {} of {} consumed\nConsume TPS {:.0}  MB/s {:.2}\nEnd-to-end ms (born to listener): p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}\nRSS {} MiB, peak {} MiB{}",
        s.mode, s.size, s.queues, s.runtime_threads, s.seconds, s.consumed, target, s.tps, s.mb_per_s,
        s.e2e_p50_ms, s.e2e_p90_ms, s.e2e_p99_ms, s.e2e_p999_ms, s.e2e_max_ms,
        s.vm_rss_kib / 1024, s.vm_hwm_kib / 1024,
        if s.embedded_cluster { " (this process runs the embedded cluster too)" } else { "" }
    );
    println!(
        "Cache peak (sampled each second): {} msgs, {:.1} MiB of bodies; thresholds: queue {} msgs / {} MiB, topic {} msgs / {} MiB; listener delay {} us",
        s.peak_cached_msgs, s.peak_cached_mib, s.pull_threshold_for_queue,
        s.pull_threshold_size_for_queue_mib, s.pull_threshold_for_topic,
        s.pull_threshold_size_for_topic_mib, s.listener_delay_us
    );
    if s.older_skipped > 0 {
        println!(
            "read past {} messages the topic held before this run (not counted; a new -t avoids them)",
            s.older_skipped
        );
    }
    let json = serde_json::to_string(&s)?;
    println!("JSON {json}");
    if let Some(p) = &a.json {
        std::fs::write(p, &json)?;
    }
    producer.shutdown().await;
    if let Some(c) = cluster {
        c.shutdown().await;
    }
    Ok(())
}

/// Latency histograms kept apart (more than the runtime's threads).
const HIST_SHARDS: usize = 16;

/// This thread's latency histogram: threads are numbered as they first record.
fn hist_shard() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    thread_local!(static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % HIST_SHARDS);
    SHARD.with(|s| *s)
}
