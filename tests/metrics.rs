//! Prometheus `/metrics` of the broker and the name server over real TCP: scraped with a plain
//! HTTP/1.1 GET after sends, pulls and offset commits, the text parsed and the values checked
//! against what was done and against the broker's own consume stats (GET_CONSUME_STATS, what
//! `consumerProgress` shows); bad requests get 4xx and leave the server serving.

mod common;

use common::{get, http};
use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::{DefaultMQProducer, Message, ProducerConfig};
use rocklet_protocol::header::UpdateConsumerOffsetRequestHeader;
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::RemotingClient;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// One sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// The text format's samples (comments skipped; label values unescaped).
fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, rest) = match line.find(['{', ' ']) {
            Some(i) => line.split_at(i),
            None => panic!("bad line {line:?}"),
        };
        let mut labels = BTreeMap::new();
        let mut rest = rest;
        if let Some(r) = rest.strip_prefix('{') {
            let mut chars = r.char_indices();
            let (mut key, mut val, mut in_val, mut end) = (String::new(), String::new(), false, 0);
            while let Some((i, c)) = chars.next() {
                if in_val {
                    match c {
                        '\\' => match chars.next().map(|x| x.1) {
                            Some('n') => val.push('\n'),
                            Some(o) => val.push(o),
                            None => panic!("dangling escape in {line:?}"),
                        },
                        '"' => {
                            labels.insert(std::mem::take(&mut key), std::mem::take(&mut val));
                            in_val = false;
                        }
                        c => val.push(c),
                    }
                } else {
                    match c {
                        '}' => {
                            end = i + 1;
                            break;
                        }
                        '=' => {
                            assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line:?}");
                            in_val = true;
                        }
                        ',' => {}
                        c => key.push(c),
                    }
                }
            }
            rest = &r[end..];
        }
        let v = rest.split_whitespace().next().expect("a value");
        let v: f64 = match v {
            "+Inf" => f64::INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        out.push((name.to_owned(), labels, v));
    }
    out
}

/// The value of the one sample named `name` whose labels include `want`.
fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> Option<f64> {
    let mut found = samples.iter().filter(|(n, l, _)| {
        n == name
            && want
                .iter()
                .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
    });
    let first = found.next().map(|s| s.2);
    assert!(
        found.next().is_none(),
        "{name} {want:?} matches two samples"
    );
    first
}

async fn scrape(addr: SocketAddr) -> Vec<Sample> {
    let (status, head, body) = get(addr, "/metrics").await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
    parse(&body)
}

async fn cluster() -> EmbeddedCluster {
    EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: vec![("metricsPort".into(), "0".into())],
        namesrv_metrics_port: Some(0),
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn commit(broker: &str, group: &str, topic: &str, queue_id: i32, offset: i64) {
    let client = RemotingClient::new(Default::default());
    let cmd = RemotingCommand::request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            commit_offset: offset,
        },
    );
    let r = client
        .invoke(broker, cmd, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    client.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_and_namesrv_metrics_follow_the_traffic() {
    let c = cluster().await;
    let b = c.broker(0).unwrap();
    let maddr = b.metrics_addr().expect("metricsPort=0 binds a port");
    assert_eq!(maddr.ip(), b.config().bind_addr);
    let broker_addr = b.advertised_addr().to_owned();
    let p = DefaultMQProducer::new(ProducerConfig::new("metrics-p").with_namesrv(c.namesrv_addr()));
    p.start().await.unwrap();
    let (topic, group) = ("MetricsTopic", "metrics-group");
    const N: usize = 60;
    let mut per_queue: HashMap<i32, i64> = HashMap::new();
    for i in 0..N {
        let r = p
            .send(Message::new(topic, format!("body-{i}")))
            .await
            .unwrap();
        *per_queue.entry(r.message_queue.queue_id).or_default() += 1;
    }
    let queues = p.fetch_publish_message_queues(topic).await.unwrap();
    assert!(queues.len() > 1);
    // Pull part of each queue, commit part of what was pulled (queue 0 is never committed).
    let admin = p.admin().unwrap();
    let (mut pulled, mut committed) = (0u64, HashMap::new());
    for q in &queues {
        let r = admin.pull(group, q, "*", 0, 5).await.unwrap();
        pulled += r.msg_found_list.len() as u64;
        if q.queue_id != 0 && !r.msg_found_list.is_empty() {
            let done = r.msg_found_list.len() as i64 - 1;
            commit(&broker_addr, group, topic, q.queue_id, done).await;
            committed.insert(q.queue_id, done);
        }
    }
    assert!(pulled > 0 && !committed.is_empty());

    let m = scrape(maddr).await;
    let t = [("topic", topic)];
    assert_eq!(
        value(&m, "rocklet_topic_put_messages_total", &t),
        Some(N as f64)
    );
    assert!(value(&m, "rocklet_topic_put_bytes_total", &t).unwrap() >= (N * 6) as f64);
    assert_eq!(value(&m, "rocketmq_producer_offset", &t), Some(N as f64));
    assert_eq!(
        value(&m, "rocketmq_brokeruntime_msg_put_total_today_now", &[]),
        Some(N as f64)
    );
    // Every send was timed: the histogram counts N appends, its buckets are cumulative.
    assert_eq!(
        value(&m, "rocklet_send_latency_seconds_count", &[]),
        Some(N as f64)
    );
    assert_eq!(
        value(&m, "rocklet_send_latency_seconds_bucket", &[("le", "+Inf")]),
        Some(N as f64)
    );
    let pmdt: f64 = m
        .iter()
        .filter(|s| s.0.starts_with("rocketmq_brokeruntime_pmdt_"))
        .map(|s| s.2)
        .sum();
    assert_eq!(pmdt, N as f64);
    assert_eq!(
        value(
            &m,
            "rocklet_group_get_messages_total",
            &[("topic", topic), ("group", group)]
        ),
        Some(pulled as f64)
    );

    // Lag per queue = max offset - committed offset (0 when never committed), and the
    // group's total equals what GET_CONSUME_STATS (consumerProgress) answers.
    let mut total = 0i64;
    for q in &queues {
        let qid = q.queue_id.to_string();
        let max = per_queue.get(&q.queue_id).copied().unwrap_or(0);
        let done = committed.get(&q.queue_id).copied().unwrap_or(0);
        let l = [
            ("topic", topic),
            ("group", group),
            ("queueid", qid.as_str()),
        ];
        assert_eq!(
            value(
                &m,
                "rocklet_queue_max_offset",
                &[("topic", topic), ("queueid", &qid)]
            ),
            Some(max as f64),
            "queue {qid}"
        );
        assert_eq!(
            value(&m, "rocklet_consumer_lag", &l),
            Some((max - done) as f64),
            "queue {qid}"
        );
        assert_eq!(value(&m, "rocklet_consumer_offset", &l), Some(done as f64));
        total += max - done;
    }
    let cs = admin
        .consume_stats(&broker_addr, group, Some(topic))
        .await
        .unwrap();
    let broker_total: i64 = cs
        .offsets
        .iter()
        .map(|(_, o)| o.broker_offset - o.consumer_offset)
        .sum();
    assert_eq!(total, broker_total);
    assert_eq!(
        value(
            &m,
            "rocketmq_group_diff",
            &[("topic", topic), ("group", group), ("msgModel", "1")]
        ),
        Some(total as f64)
    );
    assert_eq!(
        value(
            &m,
            "rocketmq_consumer_offset",
            &[("topic", topic), ("group", group)]
        ),
        Some(N as f64)
    );
    assert!(
        value(
            &m,
            "rocketmq_group_get_latency_by_storetime",
            &[("topic", topic), ("group", group)]
        )
        .unwrap()
            >= 0.0
    );
    assert!(value(&m, "rocklet_connections", &[("port", "main")]).unwrap() >= 1.0);
    assert!(value(&m, "process_resident_memory_bytes", &[]).unwrap() > 0.0);
    // CPU time is counted in 10 ms ticks: a quick run may not have used one yet.
    assert!(value(&m, "process_cpu_seconds_total", &[]).unwrap() >= 0.0);
    assert!(value(&m, "rocklet_store_commitlog_bytes", &[]).unwrap() > 0.0);
    assert!(value(&m, "rocketmq_brokeruntime_commitlog_maxoffset", &[]).unwrap() > 0.0);
    let ratio = value(&m, "rocketmq_brokeruntime_commitlog_disk_ratio", &[]).unwrap();
    assert!((0.0..=1.0).contains(&ratio), "{ratio}");
    assert!(value(&m, "rocklet_pull_held", &[]).is_some());
    // pageCacheLockTimeMills: no put is holding the commit-log lock between two scrapes long.
    let held = value(&m, "rocketmq_brokeruntime_pagecache_lock_time_mills", &[]).unwrap();
    assert!((0.0..1000.0).contains(&held), "{held}");
    // Every counted flush is in the latency histogram.
    assert_eq!(
        value(&m, "rocklet_store_flush_latency_seconds_count", &[]),
        value(&m, "rocklet_store_flushes_total", &[]),
    );
    // Labels stay put from one scrape to the next (no new series per scrape).
    let again = scrape(maddr).await;
    let label_sets = |s: &[Sample], name: &str| -> Vec<BTreeMap<String, String>> {
        s.iter()
            .filter(|x| x.0 == name)
            .map(|x| x.1.clone())
            .collect()
    };
    for name in [
        "rocketmq_brokeruntime_put_tps10",
        "rocketmq_broker_tps",
        "rocklet_consumer_lag",
    ] {
        let (mut a, mut b) = (label_sets(&m, name), label_sets(&again, name));
        a.sort();
        b.sort();
        assert!(!a.is_empty() && a == b, "{name}: {a:?} then {b:?}");
    }

    // The name server's.
    let ns = c
        .namesrv()
        .unwrap()
        .metrics_addr()
        .expect("namesrv metrics");
    let n = scrape(ns).await;
    assert_eq!(value(&n, "rocklet_namesrv_live_brokers", &[]), Some(1.0));
    assert_eq!(
        value(
            &n,
            "rocklet_namesrv_brokers",
            &[("cluster", "DefaultCluster")]
        ),
        Some(1.0)
    );
    assert!(value(&n, "rocklet_namesrv_topics", &[]).unwrap() >= 1.0);
    assert!(value(&n, "rocklet_connections", &[]).unwrap() >= 1.0);
    assert!(value(&n, "process_resident_memory_bytes", &[]).unwrap() > 0.0);

    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_4xx_and_the_server_goes_on() {
    let c = cluster().await;
    let addr = c.broker(0).unwrap().metrics_addr().unwrap();
    assert_eq!(get(addr, "/").await.0, 404);
    assert_eq!(get(addr, "/metrics/x").await.0, 404);
    let (status, head, _) = http(
        addr,
        b"POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    )
    .await;
    assert_eq!(status, 405);
    assert!(
        head.to_ascii_lowercase().contains("allow: get, head"),
        "{head}"
    );
    let (status, _, body) = http(
        addr,
        b"HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    // Not HTTP at all, a request line of garbage, an oversized header.
    assert_eq!(http(addr, b"\x00\x01\x02garbage\r\n\r\n").await.0 / 100, 4);
    assert_eq!(http(addr, b"GET\r\n\r\n").await.0 / 100, 4);
    let big = format!(
        "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    assert_eq!(http(addr, big.as_bytes()).await.0 / 100, 4);
    // A client that connects and says nothing does not hold up the others.
    let _idle = TcpStream::connect(addr).await.unwrap();
    let (status, _, body) = get(addr, "/metrics?x=1").await;
    assert_eq!(status, 200);
    assert!(body.contains("process_resident_memory_bytes"));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_by_default() {
    let c = EmbeddedCluster::start().await.unwrap();
    assert!(c.broker(0).unwrap().metrics_addr().is_none());
    assert!(c.namesrv().unwrap().metrics_addr().is_none());
    c.shutdown().await;
    let mut cfg = rocklet_broker::BrokerConfig::default();
    let bad: HashMap<String, String> = [("metricsPort".to_string(), "http".to_string())].into();
    assert!(cfg.apply(&bad).is_err());
    let empty: HashMap<String, String> = [("metricsPort".to_string(), String::new())].into();
    cfg.apply(&empty).unwrap();
    assert_eq!(cfg.metrics_port, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_metrics_port_stops_the_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let r = EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: vec![("metricsPort".into(), port.clone())],
        ..Default::default()
    })
    .await;
    let e = r.err().expect("the broker cannot bind its metrics port");
    assert!(e.to_string().contains(&port), "{e}");
}
