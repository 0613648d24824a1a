//! `rocklet bench`: a load generator mirroring Java's `example.benchmark.Producer`, a pull
//! throughput test, and a null server (the ceiling any broker could reach on this machine).

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use rocklet_client::{ClientError, DefaultMQProducer, Message, ProducerConfig};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Send messages as fast as the concurrency allows; prints a line a second and a summary.
    Produce(ProduceArgs),
    /// Consume with the push consumer: fill a topic and drain it, or send at a paced rate
    /// alongside (--rate) for end-to-end latency; --pull for the plain pull path.
    Consume(ConsumeArgs),
    /// A name server + broker stand-in that answers every send with a canned SEND_OK.
    NullServer(NullArgs),
    /// Misbehaving clients against a broker: pipelined pulls never read, parked pulls, a
    /// connection flood; prints a probe client's latency.
    Abuse(crate::bench_abuse::AbuseArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SendMode {
    Sync,
    Async,
    Oneway,
}

#[derive(Args, Debug, Clone)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub acl: crate::cli_client::AclArgs,
    /// Name server address; without it an embedded cluster is started.
    #[arg(short = 'n', long = "namesrv-addr")]
    pub namesrv: Option<String>,
    /// Topic (Java `-t`).
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    pub topic: String,
    /// Concurrent senders (Java `-w`).
    #[arg(short = 'w', long = "threads", default_value_t = 64)]
    pub concurrency: usize,
    /// Message body size in bytes (Java `-s`).
    #[arg(short = 's', long = "size", default_value_t = 128)]
    pub size: usize,
    /// Set a key on every message (Java `-k`).
    #[arg(short = 'k', long = "keys", default_value_t = false)]
    pub keys: bool,
    /// Stop after this many messages in all (Java `-q`); 0 = no count limit.
    #[arg(short = 'q', long = "count", default_value_t = 0)]
    pub count: u64,
    /// Stop after this many seconds.
    #[arg(short = 'd', long = "duration", default_value_t = 10)]
    pub duration: u64,
    /// Pace the sends: at most this many messages a second in all (0 = as fast as the
    /// concurrency allows). Message i is sent no earlier than i / rate seconds after the start.
    #[arg(long = "rate", default_value_t = 0)]
    pub rate: u64,
    #[arg(short = 'm', long = "mode", value_enum, default_value = "sync")]
    pub mode: SendMode,
    /// Messages per batch (1 = no batching).
    #[arg(short = 'b', long = "batch", default_value_t = 1)]
    pub batch: usize,
    /// Ask the broker to answer only once the message is stored (`WAIT`, default true).
    #[arg(long = "wait-store", default_value_t = true, action = clap::ArgAction::Set)]
    pub wait_store: bool,
    /// For the embedded cluster: flushDiskType.
    #[arg(long = "flush-disk-type", default_value = "ASYNC_FLUSH")]
    pub flush_disk_type: String,
    /// Write the JSON summary to this file too.
    #[arg(long = "json")]
    pub json: Option<std::path::PathBuf>,
    /// Producer group.
    #[arg(long = "group", default_value = "benchmark_producer")]
    pub group: String,
    /// Threads of the benchmark's own async runtime. Default: half the cores (at least one)
    /// against an external cluster, so the load generator leaves the rest of the machine to
    /// the servers it measures; all cores for the embedded cluster.
    #[arg(long = "runtime-threads")]
    pub runtime_threads: Option<usize>,
}

impl ProduceArgs {
    /// Worker threads for the runtime that runs this benchmark.
    pub fn worker_threads(&self) -> usize {
        worker_threads(self.runtime_threads, self.namesrv.is_some())
    }
}

impl ConsumeArgs {
    /// Worker threads for the runtime that runs this benchmark.
    pub fn worker_threads(&self) -> usize {
        worker_threads(self.runtime_threads, self.namesrv.is_some())
    }
}

/// The given count, else half the cores (at least one) against an external cluster, all of
/// them for the embedded one.
fn worker_threads(given: Option<usize>, external: bool) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match (given, external) {
        (Some(n), _) => n.max(1),
        (None, true) => (cores / 2).max(1),
        (None, false) => cores,
    }
}

#[derive(Args, Debug, Clone)]
pub struct ConsumeArgs {
    #[arg(short = 'n', long = "namesrv-addr")]
    pub namesrv: Option<String>,
    /// Threads of the benchmark's own async runtime (the consumer's pulls and listener calls).
    /// Default: half the cores (at least one) against an external cluster, as `bench produce`;
    /// all cores for the embedded cluster.
    #[arg(long = "runtime-threads")]
    pub runtime_threads: Option<usize>,
    #[arg(short = 't', long, default_value = "BenchmarkConsume")]
    pub topic: String,
    /// Messages to fill the topic with first (with --rate: most messages to send).
    #[arg(short = 'c', long = "fill", default_value_t = 200_000)]
    pub fill: u64,
    /// Send nothing: consume what the topic holds (from its first offsets).
    #[arg(long = "no-fill", conflicts_with = "rate")]
    pub no_fill: bool,
    /// Instead of filling first, send at this many messages a second while consuming (for
    /// end-to-end latency).
    #[arg(long)]
    pub rate: Option<u64>,
    /// Message body size in bytes.
    #[arg(short = 's', long = "size", default_value_t = 1024)]
    pub size: usize,
    /// Stop after this many seconds of consuming (with --rate: of sending; consuming then gets
    /// 10 s more to catch up).
    #[arg(short = 'd', long = "duration", default_value_t = 60)]
    pub duration: u64,
    /// Read and write queues the topic is created (or updated) with before sending.
    #[arg(short = 'q', long = "queues", default_value_t = 8)]
    pub queues: i32,
    /// Consumer group (default: a new group each run, so no committed offsets apply).
    #[arg(short = 'g', long)]
    pub group: Option<String>,
    /// `consumeThreadMax`: listener calls at once.
    #[arg(long = "threads", default_value_t = 20)]
    pub threads: usize,
    /// `pullBatchSize`.
    #[arg(long = "pull-batch", default_value_t = 32)]
    pub pull_batch: i32,
    /// `consumeMessageBatchMaxSize`: messages per listener call.
    #[arg(long = "batch", default_value_t = 1)]
    pub batch: usize,
    /// The old path: no push consumer, pull every queue from its first offset with MQAdmin.
    #[arg(long)]
    pub pull: bool,
    /// With --no-fill: where a new group starts, `first` (drain the backlog, stop when it is
    /// consumed) or `last` (follow new messages for -d seconds, e.g. while `bench produce
    /// --rate` sends; only messages born --skip-sec after the start are counted).
    #[arg(long = "from", default_value = "first", value_parser = ["first", "last"])]
    pub from: String,
    /// With --from last: messages born in the first N seconds are consumed but not counted
    /// (warm-up).
    #[arg(long = "skip-sec", default_value_t = 0)]
    pub skip_sec: u64,
    /// `pullThresholdForQueue`: messages cached per queue before its pulls pause (default 1000).
    #[arg(long = "pull-threshold-queue")]
    pub pull_threshold_queue: Option<i64>,
    /// `pullThresholdSizeForQueue` in MiB (default 100).
    #[arg(long = "pull-threshold-size-queue")]
    pub pull_threshold_size_queue: Option<i64>,
    /// `pullThresholdForTopic`: messages cached for the topic, shared by its assigned queues.
    #[arg(long = "pull-threshold-topic")]
    pub pull_threshold_topic: Option<i64>,
    /// `pullThresholdSizeForTopic` in MiB, shared by the assigned queues (at least 1 MiB each).
    #[arg(long = "pull-threshold-size-topic")]
    pub pull_threshold_size_topic: Option<i64>,
    /// A deliberately slow listener: each call sleeps this many microseconds (async sleep), so
    /// the cache fills up to the thresholds.
    #[arg(long = "listener-delay-us", default_value_t = 0)]
    pub listener_delay_us: u64,
    /// Write the JSON summary to this file too.
    #[arg(long = "json")]
    pub json: Option<std::path::PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct NullArgs {
    #[arg(long, default_value_t = 9876)]
    pub port: u16,
}

#[derive(Default)]
struct Live {
    ok: AtomicU64,
    failed: AtomicU64,
    rt_us: AtomicU64,
    max_rt_us: AtomicU64,
}

#[derive(Serialize)]
struct Summary {
    mode: SendMode,
    topic: String,
    size: usize,
    concurrency: usize,
    runtime_threads: usize,
    batch: usize,
    seconds: f64,
    sent_ok: u64,
    failed: u64,
    tps: f64,
    rt_avg_ms: f64,
    rt_p50_ms: f64,
    rt_p99_ms: f64,
    rt_p999_ms: f64,
    rt_max_ms: f64,
    failures: BTreeMap<String, u64>,
}

fn failure_kind(e: &ClientError) -> String {
    match e {
        ClientError::Broker { code, .. } => format!("broker code {}", code.as_i32()),
        ClientError::Remoting(r) if r.is_timeout() => "timeout".into(),
        ClientError::Remoting(r) if r.is_connect() => "connect".into(),
        ClientError::Remoting(_) => "remoting".into(),
        ClientError::Timeout(_) => "send budget spent".into(),
        ClientError::Backpressure(_) => "backpressure".into(),
        ClientError::Client { code, .. } => format!("client code {code}"),
        _ => "other".into(),
    }
}

pub async fn run(cmd: BenchCmd) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Produce(a) => produce(a).await,
        BenchCmd::Consume(a) if a.pull => consume_pull(a).await,
        BenchCmd::Consume(a) => crate::bench_consume::run(a).await,
        BenchCmd::NullServer(a) => crate::null_server::run(a.port).await,
        BenchCmd::Abuse(a) => crate::bench_abuse::run(a).await,
    }
}

pub(crate) async fn embedded(flush: &str) -> anyhow::Result<rocklet::embedded::EmbeddedCluster> {
    let flush_disk_type = match flush {
        "SYNC_FLUSH" => rocklet_store::FlushDiskType::SyncFlush,
        _ => rocklet_store::FlushDiskType::AsyncFlush,
    };
    let c = rocklet::embedded::EmbeddedCluster::start_with(rocklet::embedded::EmbeddedOptions {
        flush_disk_type,
        mapped_file_size_commit_log: 256 * 1024 * 1024,
        tls: crate::sysprops::tls(),
        ..Default::default()
    })
    .await?;
    eprintln!("embedded cluster at {} ({flush})", c.namesrv_addr());
    Ok(c)
}

pub async fn produce(a: ProduceArgs) -> anyhow::Result<()> {
    let cluster = if a.namesrv.is_none() {
        Some(embedded(&a.flush_disk_type).await?)
    } else {
        None
    };
    let ns = a
        .namesrv
        .clone()
        .or_else(|| cluster.as_ref().map(|c| c.namesrv_addr()))
        .context("no name server")?;
    let mut cfg = ProducerConfig::new(a.group.clone()).with_namesrv(ns);
    cfg.max_async_inflight_msgs = a.concurrency.max(1) * 2;
    cfg.client.session_credentials = a.acl.credentials();
    crate::sysprops::apply_client(&mut cfg.client);
    let producer = DefaultMQProducer::new(cfg);
    producer.start().await?;
    // Warm up: route lookup and connection.
    let body = bytes::Bytes::from(vec![b'x'; a.size.max(1)]);
    producer
        .send(Message::new(&a.topic, body.clone()))
        .await
        .context("warm-up send")?;

    let live = Arc::new(Live::default());
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let paced = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(a.duration.max(1));
    let mut workers = Vec::new();
    for w in 0..a.concurrency.max(1) {
        let (p, live, stop, issued, paced, a, body) = (
            producer.clone(),
            live.clone(),
            stop.clone(),
            issued.clone(),
            paced.clone(),
            a.clone(),
            body.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                .expect("valid histogram bounds");
            let mut fails: BTreeMap<String, u64> = BTreeMap::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                if a.count > 0 && issued.fetch_add(a.batch as u64, Ordering::Relaxed) >= a.count {
                    break;
                }
                if a.rate > 0 {
                    let k = paced.fetch_add(a.batch as u64, Ordering::Relaxed);
                    let due = start + Duration::from_secs_f64(k as f64 / a.rate as f64);
                    if due >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                }
                let mk = |i: u64| {
                    let mut m = Message::new(&a.topic, body.clone());
                    if a.keys {
                        m.set_keys([format!("w{w}-{i}")]);
                    }
                    m.set_wait_store_msg_ok(a.wait_store);
                    m
                };
                let t = Instant::now();
                let r: Result<(), ClientError> = if a.batch > 1 {
                    p.send_batch((0..a.batch as u64).map(|i| mk(n + i)).collect())
                        .await
                        .map(|_| ())
                } else {
                    match a.mode {
                        SendMode::Sync => p.send(mk(n)).await.map(|_| ()),
                        SendMode::Oneway => p.send_oneway(mk(n)).await,
                        SendMode::Async => match p.send_async_future(mk(n)).await {
                            Ok(f) => f.await.map(|_| ()),
                            Err(e) => Err(e),
                        },
                    }
                };
                n += a.batch as u64;
                let us = t.elapsed().as_micros() as u64;
                match r {
                    Ok(()) => {
                        live.ok.fetch_add(a.batch as u64, Ordering::Relaxed);
                        live.rt_us.fetch_add(us, Ordering::Relaxed);
                        live.max_rt_us.fetch_max(us, Ordering::Relaxed);
                        let _ = h.record(us.max(1));
                    }
                    Err(e) => {
                        live.failed.fetch_add(a.batch as u64, Ordering::Relaxed);
                        *fails.entry(failure_kind(&e)).or_default() += 1;
                    }
                }
            }
            (h, fails)
        }));
    }
    // One line a second, as Java's benchmark prints.
    let reporter = {
        let (live, stop) = (live.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut last_ok, mut last_rt, mut last_t) = (0u64, 0u64, Instant::now());
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let ok = live.ok.load(Ordering::Relaxed);
                let rt = live.rt_us.load(Ordering::Relaxed);
                let secs = last_t.elapsed().as_secs_f64();
                let d = ok - last_ok;
                let avg = if d > 0 {
                    (rt - last_rt) as f64 / d as f64 / 1000.0
                } else {
                    0.0
                };
                eprintln!(
                    "Send TPS: {:>8.0} Max RT(ms): {:>7.2} Average RT(ms): {:>6.3} Send Failed: {}",
                    d as f64 / secs,
                    live.max_rt_us.swap(0, Ordering::Relaxed) as f64 / 1000.0,
                    avg,
                    live.failed.load(Ordering::Relaxed)
                );
                (last_ok, last_rt, last_t) = (ok, rt, Instant::now());
            }
        })
    };
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for w in workers {
        let (h, f) = w.await?;
        hist.add(h)?;
        for (k, v) in f {
            *failures.entry(k).or_default() += v;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    reporter.abort();
    let ok = live.ok.load(Ordering::Relaxed);
    let ms = |us: u64| us as f64 / 1000.0;
    let s = Summary {
        mode: a.mode,
        topic: a.topic.clone(),
        size: a.size,
        concurrency: a.concurrency,
        runtime_threads: a.worker_threads(),
        batch: a.batch,
        seconds: secs,
        sent_ok: ok,
        failed: live.failed.load(Ordering::Relaxed),
        tps: ok as f64 / secs,
        rt_avg_ms: hist.mean() / 1000.0,
        rt_p50_ms: ms(hist.value_at_quantile(0.5)),
        rt_p99_ms: ms(hist.value_at_quantile(0.99)),
        rt_p999_ms: ms(hist.value_at_quantile(0.999)),
        rt_max_ms: ms(hist.max()),
        failures,
    };
    println!(
        "\nmode {:?}, {} B x {} senders ({} runtime threads), {:.1} s: {} sent, {} failed\nTPS {:.0}   RT ms: avg {:.3}  p50 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        s.mode, s.size, s.concurrency, s.runtime_threads, s.seconds, s.sent_ok, s.failed, s.tps, s.rt_avg_ms, s.rt_p50_ms, s.rt_p99_ms, s.rt_p999_ms, s.rt_max_ms
    );
    if !s.failures.is_empty() {
        println!("failures by kind: {:?}", s.failures);
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

/// `--pull`: fill the topic (unless --no-fill), then pull every queue from its first offset.
pub async fn consume_pull(a: ConsumeArgs) -> anyhow::Result<()> {
    let cluster = if a.namesrv.is_none() {
        Some(embedded("ASYNC_FLUSH").await?)
    } else {
        None
    };
    let ns = a
        .namesrv
        .clone()
        .or_else(|| cluster.as_ref().map(|c| c.namesrv_addr()))
        .context("no name server")?;
    let mut fill_cfg = ProducerConfig::new("benchmark_fill").with_namesrv(ns);
    crate::sysprops::apply_client(&mut fill_cfg.client);
    let producer = DefaultMQProducer::new(fill_cfg);
    producer.start().await?;
    if a.fill > 0 && !a.no_fill {
        let t = Instant::now();
        let body = vec![b'x'; a.size.max(1)];
        let mut left = a.fill;
        while left > 0 {
            let n = left.min(64);
            producer
                .send_batch(
                    (0..n)
                        .map(|_| Message::new(&a.topic, body.clone()))
                        .collect(),
                )
                .await?;
            left -= n;
        }
        eprintln!(
            "filled {} messages in {:.2} s",
            a.fill,
            t.elapsed().as_secs_f64()
        );
    }
    let admin = producer.admin()?;
    let queues = producer.fetch_publish_message_queues(&a.topic).await?;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for q in queues {
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            let mut off = admin.min_offset(&q).await?;
            let (mut n, mut bytes) = (0u64, 0u64);
            loop {
                let r = admin.pull("benchmark_consumer", &q, "*", off, 32).await?;
                if r.msg_found_list.is_empty() {
                    break;
                }
                n += r.msg_found_list.len() as u64;
                bytes += r
                    .msg_found_list
                    .iter()
                    .map(|m| m.raw_body.len() as u64)
                    .sum::<u64>();
                off = r.next_begin_offset;
            }
            Ok::<_, ClientError>((n, bytes))
        }));
    }
    let (mut n, mut bytes) = (0, 0);
    for t in tasks {
        let (a, b) = t.await??;
        n += a;
        bytes += b;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "pulled {n} messages ({:.1} MiB) in {secs:.2} s: {:.0} msgs/s",
        bytes as f64 / 1048576.0,
        n as f64 / secs
    );
    println!(
        "JSON {}",
        serde_json::json!({"pulled": n, "seconds": secs, "tps": n as f64 / secs})
    );
    producer.shutdown().await;
    if let Some(c) = cluster {
        c.shutdown().await;
    }
    Ok(())
}
