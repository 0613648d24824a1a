//! `rocklet bench abuse`: clients that misbehave, to measure a broker's memory and latency under
//! them (issue 14): connections that pipeline pulls and never read their responses, thousands
//! of parked (long-polling) pulls on one connection, a flood of simultaneous connects. A probe
//! client sends GET_MAX_OFFSET every 10 ms meanwhile; its latencies are summarised in the JSON
//! line printed at the end.

use anyhow::Context;
use bytes::BytesMut;
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use rocklet_protocol::header::{
    CreateTopicRequestHeader, PullMessageRequestHeader, QueueRequestHeader,
    SendMessageRequestHeader,
};
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::RemotingClient;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// `--conns` connections write pulls as fast as they can and never read.
    Pipeline,
    /// One connection parks `--pulls` long-polling pulls and never reads.
    Park,
    /// `--conns` simultaneous connects, held `--seconds`.
    Flood,
}

#[derive(Args, Debug, Clone)]
pub struct AbuseArgs {
    /// The broker's address.
    #[arg(short = 'b', long = "broker", default_value = "127.0.0.1:10911")]
    pub broker: String,
    #[arg(short = 's', long = "scenario", value_enum)]
    pub scenario: Scenario,
    /// Connections (pipeline, flood).
    #[arg(long, default_value_t = 8)]
    pub conns: usize,
    /// Parked pulls (park).
    #[arg(long, default_value_t = 8000)]
    pub pulls: usize,
    /// How long the abuse lasts.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    #[arg(short = 't', long, default_value = "AbuseTopic")]
    pub topic: String,
    /// Messages put in queue 0 first (pipeline: what every pull answers).
    #[arg(long, default_value_t = 64)]
    pub fill: usize,
    /// Body size of those messages.
    #[arg(long, default_value_t = 16 * 1024)]
    pub size: usize,
    /// park: puts per second to queue 0 while the pulls are parked (each wakes the pulls of
    /// queue 0 only, if any are still held).
    #[arg(long, default_value_t = 200)]
    pub put_rate: u64,
}

#[derive(Serialize)]
struct Summary {
    scenario: Scenario,
    seconds: f64,
    requests_written: u64,
    puts: u64,
    probe_count: u64,
    probe_failed: u64,
    probe_p50_ms: f64,
    probe_p99_ms: f64,
    probe_max_ms: f64,
    connects_ok: u64,
    connects_failed: u64,
    connect_p99_ms: f64,
    connect_max_ms: f64,
}

fn pull_frame(topic: &str, q: i32, offset: i64, suspend_ms: i64, opaque: i32) -> bytes::Bytes {
    let h = PullMessageRequestHeader {
        consumer_group: "abuse_group".into(),
        topic: topic.into(),
        queue_id: q,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: if suspend_ms > 0 { 2 | 4 } else { 4 },
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
    };
    let mut c = RemotingCommand::request(RequestCode::PULL_MESSAGE, &h);
    c.opaque = opaque;
    c.encode_to_bytes()
}

async fn prepare(a: &AbuseArgs, c: &RemotingClient) -> anyhow::Result<()> {
    let t = Duration::from_secs(10);
    let r = c
        .invoke(
            &a.broker,
            RemotingCommand::request(
                RequestCode::UPDATE_AND_CREATE_TOPIC,
                &CreateTopicRequestHeader {
                    topic: a.topic.clone(),
                    default_topic: "TBW102".into(),
                    read_queue_nums: 8,
                    write_queue_nums: 8,
                    perm: 6,
                    topic_filter_type: "SINGLE_TAG".into(),
                    topic_sys_flag: Some(0),
                    order: false,
                },
            ),
            t,
        )
        .await
        .context("create topic")?;
    anyhow::ensure!(r.code == 0, "create topic: {:?}", r.remark);
    if a.scenario != Scenario::Pipeline {
        return Ok(());
    }
    let body = bytes::Bytes::from(vec![b'a'; a.size]);
    for _ in 0..a.fill {
        let h = SendMessageRequestHeader {
            producer_group: "abuse_producer".into(),
            topic: a.topic.clone(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 8,
            queue_id: 0,
            sys_flag: 0,
            born_timestamp: rocklet_protocol::time::now_ms(),
            flag: 0,
            properties: None,
            reconsume_times: Some(0),
            unit_mode: Some(false),
            max_reconsume_times: None,
            batch: Some(false),
        };
        let cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE, &h).with_body(body.clone());
        let r = c.invoke(&a.broker, cmd, t).await.context("fill")?;
        anyhow::ensure!(r.code == 0, "fill: {:?}", r.remark);
    }
    Ok(())
}

async fn max_offset(a: &AbuseArgs, c: &RemotingClient, q: i32) -> i64 {
    let r = c
        .invoke(
            &a.broker,
            RemotingCommand::request(
                RequestCode::GET_MAX_OFFSET,
                &QueueRequestHeader {
                    topic: a.topic.clone(),
                    queue_id: q,
                },
            ),
            Duration::from_secs(5),
        )
        .await;
    r.ok()
        .and_then(|r| r.ext_fields.get("offset").and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

pub async fn run(a: AbuseArgs) -> anyhow::Result<()> {
    let c = RemotingClient::default();
    prepare(&a, &c).await?;
    let stop = Arc::new(AtomicBool::new(false));
    // The probe: its own connection, GET_MAX_OFFSET every 10 ms.
    let probe = {
        let stop = stop.clone();
        let a = a.clone();
        tokio::spawn(async move {
            let c = RemotingClient::default();
            let mut h = Histogram::<u64>::new(3).expect("histogram");
            let mut failed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let cmd = RemotingCommand::request(
                    RequestCode::GET_MAX_OFFSET,
                    &QueueRequestHeader {
                        topic: a.topic.clone(),
                        queue_id: 1,
                    },
                );
                match c.invoke(&a.broker, cmd, Duration::from_secs(5)).await {
                    Ok(r) if r.code == 0 => {
                        let _ = h.record(t.elapsed().as_micros() as u64);
                    }
                    _ => failed += 1,
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (h, failed)
        })
    };
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(a.seconds);
    let mut written = 0u64;
    let mut puts = 0u64;
    let mut connects = Histogram::<u64>::new(3).expect("histogram");
    let (mut connects_ok, mut connects_failed) = (0u64, 0u64);
    match a.scenario {
        Scenario::Pipeline => {
            let mut tasks = Vec::new();
            for i in 0..a.conns {
                let a = a.clone();
                tasks.push(tokio::spawn(async move {
                    let mut n = 0u64;
                    let Ok(mut s) = TcpStream::connect(&a.broker).await else {
                        return n;
                    };
                    let mut opaque = (i as i32) << 24;
                    while Instant::now() < deadline {
                        let mut frames = BytesMut::new();
                        for _ in 0..64 {
                            opaque += 1;
                            frames.extend_from_slice(&pull_frame(&a.topic, 0, 0, 0, opaque));
                        }
                        // Blocks when the broker stops reading; never reads a response.
                        match tokio::time::timeout_at(deadline.into(), s.write_all(&frames)).await {
                            Ok(Ok(())) => n += 64,
                            _ => break,
                        }
                    }
                    // Keep the connection (and what the broker queued for it) until the end.
                    tokio::time::sleep_until(deadline.into()).await;
                    drop(s);
                    n
                }));
            }
            for t in tasks {
                written += t.await.unwrap_or(0);
            }
        }
        Scenario::Park => {
            let mut offsets = Vec::new();
            for q in 0..8 {
                offsets.push(max_offset(&a, &c, q).await);
            }
            let mut s = TcpStream::connect(&a.broker).await?;
            let mut frames = BytesMut::new();
            for i in 0..a.pulls {
                let q = (i % 8) as i32;
                frames.extend_from_slice(&pull_frame(
                    &a.topic,
                    q,
                    offsets[q as usize],
                    30_000,
                    i as i32,
                ));
            }
            s.write_all(&frames).await?;
            written = a.pulls as u64;
            if a.put_rate > 0 {
                let every = Duration::from_micros(1_000_000 / a.put_rate.max(1));
                let body = bytes::Bytes::from_static(b"wake");
                while Instant::now() < deadline {
                    let h = SendMessageRequestHeader {
                        producer_group: "abuse_producer".into(),
                        topic: a.topic.clone(),
                        default_topic: "TBW102".into(),
                        default_topic_queue_nums: 8,
                        queue_id: 0,
                        sys_flag: 0,
                        born_timestamp: rocklet_protocol::time::now_ms(),
                        flag: 0,
                        properties: None,
                        reconsume_times: Some(0),
                        unit_mode: Some(false),
                        max_reconsume_times: None,
                        batch: Some(false),
                    };
                    let cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE, &h)
                        .with_body(body.clone());
                    if c.invoke(&a.broker, cmd, Duration::from_secs(5))
                        .await
                        .is_ok()
                    {
                        puts += 1;
                    }
                    tokio::time::sleep(every).await;
                }
            }
            tokio::time::sleep_until(deadline.into()).await;
            drop(s);
        }
        Scenario::Flood => {
            let mut tasks = Vec::with_capacity(a.conns);
            for _ in 0..a.conns {
                let addr = a.broker.clone();
                tasks.push(tokio::spawn(async move {
                    let t = Instant::now();
                    let s = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
                        .await;
                    (s, t.elapsed())
                }));
            }
            let mut socks = Vec::new();
            for t in tasks {
                match t.await {
                    Ok((Ok(Ok(s)), took)) => {
                        connects_ok += 1;
                        let _ = connects.record(took.as_micros() as u64);
                        socks.push(s);
                    }
                    _ => connects_failed += 1,
                }
            }
            tokio::time::sleep_until(deadline.into()).await;
            drop(socks);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (h, probe_failed) = probe.await?;
    let ms = |v: u64| v as f64 / 1000.0;
    let s = Summary {
        scenario: a.scenario,
        seconds: t0.elapsed().as_secs_f64(),
        requests_written: written,
        puts,
        probe_count: h.len(),
        probe_failed,
        probe_p50_ms: ms(h.value_at_quantile(0.5)),
        probe_p99_ms: ms(h.value_at_quantile(0.99)),
        probe_max_ms: ms(h.max()),
        connects_ok,
        connects_failed,
        connect_p99_ms: ms(connects.value_at_quantile(0.99)),
        connect_max_ms: ms(connects.max()),
    };
    println!("JSON {}", serde_json::to_string(&s)?);
    Ok(())
}
