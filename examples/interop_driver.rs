//! Rust side of the Java interop matrix (`interop/run.sh`): the Rocklet client doing what the
//! Java programs in `interop/src/main/java/rocklet/interop/` do, with the same corpus and the
//! same JSON output, so `interop/compare.py` can check either direction.
//!
//! ```text
//! interop_driver produce -n ADDR -t TOPIC -o sent.jsonl [-g GROUP]
//! interop_driver consume -n ADDR -t TOPIC -o got.jsonl --expect N [--timeout-sec 45] [-g GROUP]
//! interop_driver admin   -n ADDR -t TOPIC --sent sent.jsonl -o admin.json
//! interop_driver create-topic -n ADDR -t TOPIC [--queues 4] [--brokers 2] [--timeout-sec 30]
//! interop_driver loop    -n ADDR -t TOPIC --seconds S --rate R -o loop.json [--stop-file F] [-g GROUP]
//! interop_driver tx      -n ADDR -t TOPIC [--wait-ms 20000]
//! interop_driver push-member -n ADDR -t TOPIC -g GROUP --instance NAME -o got.jsonl [--orderly]
//!     [--fail-tags T --max-reconsume N --delay-level L] [--broadcast --offset-dir D]
//!     [--duration-sec S] [--until-idle-sec S] [--queues-out F]
//! ```
//!
//! Every subcommand prints `PASS ...` / `FAIL ...` lines like the Java programs and exits 0 only
//! when all of its checks passed (exit 2 on bad arguments).

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use rocklet_client::{
    set_uniq_id, ClientConfig, DefaultMQProducer, LocalTransactionState, MQAdmin, Message,
    MessageExt, MessageQueue, ProducerConfig, PullStatus, SelectByHash, SendResult, SendStatus,
    TransactionListener, TransactionMQProducer, TxArg,
};
use rocklet_protocol::body::TopicConfig;
use rocklet_protocol::route::perm;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "interop_driver",
    about = "Rocklet client side of the Java interop matrix"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct Common {
    /// Name server address (host:port[;host:port])
    #[arg(short = 'n', long = "namesrv")]
    namesrv: String,
    /// Topic
    #[arg(short = 't', long = "topic")]
    topic: String,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send the Produce.java corpus in every send mode; one JSON line per message sent.
    Produce {
        #[command(flatten)]
        c: Common,
        #[arg(short = 'o', long = "out")]
        out: String,
        #[arg(short = 'g', long = "group")]
        group: Option<String>,
    },
    /// Pull every queue from its min offset until N distinct msgIds (or the timeout).
    Consume {
        #[command(flatten)]
        c: Common,
        #[arg(short = 'o', long = "out")]
        out: String,
        #[arg(long)]
        expect: usize,
        #[arg(long = "timeout-sec", default_value_t = 45)]
        timeout_sec: u64,
        #[arg(short = 'g', long = "group")]
        group: Option<String>,
        /// Read with the Rust DefaultLitePullConsumer (assign every queue, seek to its min
        /// offset, poll) instead of single pulls.
        #[arg(long)]
        lite: bool,
        /// Read with the Rust DefaultMQPushConsumer (a new group from the first offset).
        #[arg(long, conflicts_with = "lite")]
        push: bool,
        /// With --lite: subscribe to the topic (a new group from the first offset, queues by
        /// rebalance) instead of assign + seek.
        #[arg(long, requires = "lite")]
        subscribe: bool,
    },
    /// The Admin.java checks with MQAdmin.
    Admin {
        #[command(flatten)]
        c: Common,
        #[arg(short = 'o', long = "out")]
        out: String,
        #[arg(long)]
        sent: Option<String>,
    },
    /// Create TOPIC on every master broker of the cluster; wait until the route shows BROKERS.
    CreateTopic {
        #[command(flatten)]
        c: Common,
        #[arg(long, default_value_t = 4)]
        queues: i32,
        #[arg(long, default_value_t = 1)]
        brokers: usize,
        #[arg(long = "timeout-sec", default_value_t = 30)]
        timeout_sec: u64,
    },
    /// Paced sync sends for a bounded time; every send recorded (time, broker, ok).
    Loop {
        #[command(flatten)]
        c: Common,
        #[arg(long)]
        seconds: f64,
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        #[arg(short = 'o', long = "out")]
        out: String,
        /// Also stop as soon as this file exists (--seconds stays the upper bound)
        #[arg(long = "stop-file")]
        stop_file: Option<String>,
        #[arg(short = 'g', long = "group")]
        group: Option<String>,
    },
    /// Transactions.java with TransactionMQProducer: commit visible once, rollback never, UNKNOW
    /// resolved by the broker's check-back (needs a broker with short check intervals).
    Tx {
        #[command(flatten)]
        c: Common,
        /// How long to wait for the check-back to commit "unknow-commit"
        #[arg(long = "wait-ms", default_value_t = 20000)]
        wait_ms: u64,
    },
    /// A long-running DefaultMQPushConsumer member of GROUP: one JSON line per delivery to
    /// OUT, its assigned queues of TOPIC (one JSON line per change) to --queues-out
    /// (default OUT.queues.jsonl); stops on SIGTERM / SIGINT, after --duration-sec, or after
    /// --until-idle-sec without a delivery (once it got one).
    PushMember {
        #[command(flatten)]
        c: Common,
        #[arg(short = 'g', long = "group")]
        group: String,
        #[arg(long)]
        instance: String,
        #[arg(short = 'o', long = "out")]
        out: String,
        #[arg(long = "queues-out")]
        queues_out: Option<String>,
        /// MessageListenerOrderly instead of concurrently
        #[arg(long)]
        orderly: bool,
        /// Comma-separated tags answered with RECONSUME_LATER (SUSPEND when orderly)
        #[arg(long = "fail-tags", default_value = "")]
        fail_tags: String,
        #[arg(long = "max-reconsume", default_value_t = -1)]
        max_reconsume: i32,
        #[arg(long = "delay-level", default_value_t = 0)]
        delay_level: i32,
        /// BROADCASTING (offsets in --offset-dir)
        #[arg(long)]
        broadcast: bool,
        #[arg(long = "offset-dir")]
        offset_dir: Option<String>,
        /// first | last
        #[arg(long = "from", default_value = "first")]
        from: String,
        #[arg(long = "duration-sec", default_value_t = 120)]
        duration_sec: u64,
        #[arg(long = "until-idle-sec")]
        until_idle_sec: Option<u64>,
    },
    /// Request-reply against a responder that answers "re:<body>" (RequestReply.java
    /// --serve-seconds): request, to a queue, with a selector, with a callback; N of each.
    Request {
        #[command(flatten)]
        c: Common,
        #[arg(long, default_value_t = 5)]
        count: usize,
        #[arg(long = "timeout-ms", default_value_t = 5000)]
        timeout_ms: u64,
    },
}

// ------------------------------------------------------------------------------------------
// shared helpers

use rocklet_protocol::time::now_ms;

fn client_config(namesrv: &str, instance: &str) -> ClientConfig {
    // TLS: `INTEROP_TLS="tls.enable=true tls.client.authServer=true ..."`, the `-D` values a
    // Java client would get.
    let tls_props = std::env::var("INTEROP_TLS").unwrap_or_default();
    let tls = rocklet_remoting::tls::TlsSettings::from_properties(
        tls_props
            .split_whitespace()
            .filter_map(|kv| kv.split_once('=')),
    )
    .expect("INTEROP_TLS settings");
    ClientConfig {
        use_tls: tls.enable,
        tls,
        namesrv_addr: Some(namesrv.to_owned()),
        client_ip: Some("127.0.0.1".into()),
        instance_name: format!("{instance}-{}-{}", std::process::id(), now_ms()),
        // ACL: sign every request when both keys are in the environment.
        session_credentials: match (
            std::env::var("ROCKETMQ_ACCESS_KEY"),
            std::env::var("ROCKETMQ_SECRET_KEY"),
        ) {
            (Ok(a), Ok(s)) => Some(rocklet_client::SessionCredentials::new(a, s)),
            _ => None,
        },
        ..ClientConfig::default()
    }
}

fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 0xf) as usize] as char);
    }
    s
}

/// `MessageConst.STRING_HASH_SET` of 4.9.3: property names that are not user properties.
const RESERVED: &[&str] = &[
    "TRACE_ON",
    "MSG_REGION",
    "KEYS",
    "TAGS",
    "WAIT",
    "DELAY",
    "RETRY_TOPIC",
    "REAL_TOPIC",
    "REAL_QID",
    "TRAN_MSG",
    "PGROUP",
    "MIN_OFFSET",
    "MAX_OFFSET",
    "BUYER_ID",
    "ORIGIN_MESSAGE_ID",
    "TRANSFER_FLAG",
    "CORRECTION_FLAG",
    "MQ2_FLAG",
    "RECONSUME_TIME",
    "UNIQ_KEY",
    "MAX_RECONSUME_TIMES",
    "CONSUME_START_TIME",
    "INSTANCE_ID",
    "CORRELATION_ID",
    "REPLY_TO_CLIENT",
    "TTL",
    "ARRIVE_TIME",
    "PUSH_REPLY_TIME",
    "CLUSTER",
    "MSG_TYPE",
    "INNER_MULTI_QUEUE_OFFSET",
];

fn user_props<'a>(it: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    let m: BTreeMap<String, Value> = it
        .filter(|(k, _)| !RESERVED.contains(k))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    Value::Object(m.into_iter().collect())
}

fn opt_str(v: Option<&str>) -> Value {
    v.map(|s| Value::String(s.to_owned()))
        .unwrap_or(Value::Null)
}

/// `Common.baseRecord` for a message we send.
fn base_record(m: &Message) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("topic".into(), json!(m.topic));
    o.insert("tags".into(), opt_str(m.tags()));
    o.insert("keys".into(), opt_str(m.keys()));
    o.insert("props".into(), user_props(m.properties.iter()));
    o.insert("bodyHex".into(), json!(hex(&m.body)));
    o
}

/// `Common.recvRecord` for a message read back.
fn recv_record(m: &MessageExt) -> Value {
    let mut o = Map::new();
    o.insert("msgId".into(), json!(m.msg_id()));
    o.insert("offsetMsgId".into(), json!(m.offset_msg_id()));
    o.insert("topic".into(), json!(m.topic));
    o.insert("tags".into(), opt_str(m.tags()));
    o.insert("keys".into(), opt_str(m.keys()));
    o.insert("props".into(), user_props(m.properties.iter()));
    let body = m
        .body()
        .map(|b| b.to_vec())
        .unwrap_or_else(|_| m.raw_body.to_vec());
    o.insert("bodyHex".into(), json!(hex(&body)));
    o.insert("queueId".into(), json!(m.queue_id));
    o.insert("queueOffset".into(), json!(m.queue_offset));
    o.insert("storeHost".into(), json!(m.store_host.to_string()));
    o.insert("bornHost".into(), json!(m.born_host.to_string()));
    o.insert("bornTimestamp".into(), json!(m.born_timestamp));
    o.insert("storeTimestamp".into(), json!(m.store_timestamp));
    o.insert("sysFlag".into(), json!(m.sys_flag));
    o.insert("reconsumeTimes".into(), json!(m.reconsume_times));
    Value::Object(o)
}

fn write_lines(path: &str, lines: &[Value]) -> anyhow::Result<()> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir).ok();
    }
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(path).with_context(|| path.to_owned())?);
    for l in lines {
        writeln!(f, "{}", serde_json::to_string(l)?)?;
    }
    f.flush()?;
    Ok(())
}

fn write_json(path: &str, v: &Value) -> anyhow::Result<()> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(path, serde_json::to_string_pretty(v)? + "\n").with_context(|| path.to_owned())
}

fn read_jsonl(path: &str) -> anyhow::Result<Vec<Value>> {
    let f = std::fs::File::open(path).with_context(|| path.to_owned())?;
    let mut v = Vec::new();
    for line in std::io::BufReader::new(f).lines() {
        let line = line?;
        if !line.trim().is_empty() {
            v.push(serde_json::from_str(&line)?);
        }
    }
    Ok(v)
}

fn err_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().replace('\n', " ")
}

// ------------------------------------------------------------------------------------------
// produce: the corpus of Produce.java

const SYNC: usize = 10;
const ASYNC: usize = 10;
const ONEWAY: usize = 5;
const BATCH: usize = 10;
const QUEUE: usize = 5;
const SELECTOR: usize = 5;
const COMPRESSED: usize = 3;
const COMPRESSED_SIZE: usize = 8 * 1024;

fn body(mode: &str, i: usize) -> Vec<u8> {
    if i.is_multiple_of(3) {
        format!("héllo 世界 ✓ {mode} #{i} — ünïcödé ελληνικά 🚀").into_bytes()
    } else {
        format!("rocklet-interop mode={mode} i={i}").into_bytes()
    }
}

/// `Produce.bigBody`: the same xorshift bytes as the Java program.
fn big_body(i: usize) -> Vec<u8> {
    let mut b = vec![0u8; COMPRESSED_SIZE];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1);
    for (k, slot) in b.iter_mut().enumerate() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *slot = if k.is_multiple_of(4) {
            x as u8
        } else {
            (b'a' as u64 + ((x >> 33) % 26 + 26) % 26) as u8
        };
    }
    b
}

fn corpus_message(topic: &str, mode: &str, i: usize, body: Vec<u8>) -> Message {
    let mut cs = mode.chars();
    let cap: String = cs
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + cs.as_str())
        .unwrap_or_default();
    Message::new(topic, body)
        .with_tags(format!("Tag{cap}"))
        .with_keys([format!("rk-{mode}-{i}"), format!("order-{}", i % 4)])
        .with_property("rk_mode", mode)
        .with_property("rk_index", format!("i={i} ü✓"))
}

fn sent_record(
    mode: &str,
    msg_id: &str,
    m: &Message,
    queue_id: i32,
    r: Option<&SendResult>,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("mode".into(), json!(mode));
    o.insert("msgId".into(), json!(msg_id));
    o.extend(base_record(m));
    o.insert("queueId".into(), json!(queue_id));
    if let Some(r) = r {
        o.insert("offsetMsgId".into(), json!(r.offset_msg_id));
        o.insert("queueOffset".into(), json!(r.queue_offset));
        o.insert("brokerName".into(), json!(r.message_queue.broker_name));
        o.insert("sendStatus".into(), json!(format!("{:?}", r.send_status)));
    }
    o
}

struct Checks {
    total: usize,
    failures: usize,
}

impl Checks {
    fn check(&mut self, mode: &str, ok: bool, what: impl FnOnce() -> String) -> bool {
        self.total += 1;
        if !ok {
            self.failures += 1;
            println!("FAIL {mode}: {}", what());
        }
        ok
    }
    fn summary(mode: &str, ok: usize, want: usize, extra: &str) {
        println!(
            "{} {mode} {ok}/{want}{extra}",
            if ok == want { "PASS" } else { "FAIL" }
        );
    }
}

async fn produce(c: Common, out: String, group: Option<String>) -> anyhow::Result<bool> {
    let group = group.unwrap_or_else(|| format!("rocklet_interop_rust_pg_{}", now_ms()));
    let mut cfg = ProducerConfig::new(group);
    cfg.client = client_config(&c.namesrv, "rust-produce");
    cfg.send_msg_timeout = Duration::from_secs(10);
    cfg.retry_times_when_send_failed = 2;
    cfg.retry_times_when_send_async_failed = 2;
    cfg.compress_msg_body_over_howmuch = 4096;
    let p = DefaultMQProducer::new(cfg);
    let t0 = Instant::now();
    p.start().await.context("producer start")?;
    let topic = c.topic.as_str();
    let mut ck = Checks {
        total: 0,
        failures: 0,
    };
    let mut lines: Vec<Value> = Vec::new();

    // 1. sync
    let mut broker_name = None;
    let mut ok = 0;
    for i in 0..SYNC {
        let m = corpus_message(topic, "sync", i, body("sync", i));
        match p.send(m.clone()).await {
            Ok(r) => {
                if ck.check("sync", r.send_status == SendStatus::SEND_OK, || {
                    format!("status {:?}", r.send_status)
                }) {
                    ok += 1;
                }
                broker_name = Some(r.message_queue.broker_name.clone());
                lines.push(Value::Object(sent_record(
                    "sync",
                    &r.msg_id,
                    &m,
                    r.message_queue.queue_id,
                    Some(&r),
                )));
            }
            Err(e) => {
                ck.check("sync", false, || format!("send #{i}: {}", err_line(&e)));
            }
        }
    }
    Checks::summary("sync", ok, SYNC, "");

    // 2. async (futures)
    let mut futs = Vec::new();
    for i in 0..ASYNC {
        let m = corpus_message(topic, "async", i, body("async", i));
        match p.send_async_future(m.clone()).await {
            Ok(f) => futs.push((i, m, f)),
            Err(e) => {
                ck.check("async", false, || format!("send #{i}: {}", err_line(&e)));
            }
        }
    }
    let mut aok = 0;
    for (i, m, f) in futs {
        match tokio::time::timeout(Duration::from_secs(30), f).await {
            Ok(Ok(r)) => {
                if ck.check("async", r.send_status == SendStatus::SEND_OK, || {
                    format!("status {:?}", r.send_status)
                }) {
                    aok += 1;
                }
                lines.push(Value::Object(sent_record(
                    "async",
                    &r.msg_id,
                    &m,
                    r.message_queue.queue_id,
                    Some(&r),
                )));
            }
            Ok(Err(e)) => {
                ck.check("async", false, || {
                    format!("callback #{i}: {}", err_line(&e))
                });
            }
            Err(_) => {
                ck.check("async", false, || {
                    format!("callback #{i} missing after 30s")
                });
            }
        }
    }
    Checks::summary("async", aok, ASYNC, "");

    // 3. oneway (the id is set before sending so it is known)
    let mut ow = 0;
    for i in 0..ONEWAY {
        let mut m = corpus_message(topic, "oneway", i, body("oneway", i));
        set_uniq_id(&mut m);
        let id = m.uniq_id().unwrap_or_default().to_owned();
        match p.send_oneway(m.clone()).await {
            Ok(()) => {
                ow += 1;
                lines.push(Value::Object(sent_record("oneway", &id, &m, -1, None)));
            }
            Err(e) => {
                ck.check("oneway", false, || format!("send #{i}: {}", err_line(&e)));
            }
        }
    }
    Checks::summary("oneway", ow, ONEWAY, " handed to the socket");

    // 4. batch of 10
    let mut batch: Vec<Message> = (0..BATCH)
        .map(|i| corpus_message(topic, "batch", i, body("batch", i)))
        .collect();
    for m in &mut batch {
        set_uniq_id(m);
    }
    match p.send_batch(batch.clone()).await {
        Ok(r) => {
            let good = ck.check("batch", r.send_status == SendStatus::SEND_OK, || {
                format!("status {:?}", r.send_status)
            });
            let ids: Vec<&str> = r.msg_id.split(',').filter(|s| !s.is_empty()).collect();
            let off_ids: Vec<&str> = r
                .offset_msg_id
                .split(',')
                .filter(|s| !s.is_empty())
                .collect();
            let n_ok = ck.check("batch", ids.len() == BATCH, || {
                format!("SendResult.msg_id has {} ids, want {BATCH}", ids.len())
            });
            ck.check("batch", off_ids.len() == BATCH, || {
                format!(
                    "SendResult.offset_msg_id has {} ids, want {BATCH}",
                    off_ids.len()
                )
            });
            for (i, m) in batch.iter().enumerate() {
                let uniq = m.uniq_id().unwrap_or_default();
                if let Some(id) = ids.get(i) {
                    ck.check("batch", uniq == *id, || {
                        format!("msgId order mismatch at {i}: {uniq} vs {id}")
                    });
                }
                let mut o = sent_record("batch", uniq, m, r.message_queue.queue_id, Some(&r));
                o.insert("offsetMsgId".into(), opt_str(off_ids.get(i).copied()));
                o.insert("queueOffset".into(), json!(r.queue_offset + i as i64));
                lines.push(Value::Object(o));
            }
            println!(
                "{} batch {BATCH} msgs, queue {} offset {}",
                if good && n_ok { "PASS" } else { "FAIL" },
                r.message_queue.queue_id,
                r.queue_offset
            );
        }
        Err(e) => {
            ck.check("batch", false, || err_line(&e));
            println!("FAIL batch {}", err_line(&e));
        }
    }

    // 5. explicit queue 1
    let mut qok = 0;
    match &broker_name {
        None => {
            ck.check("queue", false, || {
                "no broker name known (sync sends failed)".into()
            });
        }
        Some(bn) => {
            let mq = MessageQueue::new(topic, bn.clone(), 1);
            for i in 0..QUEUE {
                let m = corpus_message(topic, "queue", i, body("queue", i));
                match p.send_to_queue(m.clone(), &mq).await {
                    Ok(r) => {
                        let good =
                            r.send_status == SendStatus::SEND_OK && r.message_queue.queue_id == 1;
                        if ck.check("queue", good, || {
                            format!(
                                "status {:?} queue {}",
                                r.send_status, r.message_queue.queue_id
                            )
                        }) {
                            qok += 1;
                        }
                        lines.push(Value::Object(sent_record(
                            "queue",
                            &r.msg_id,
                            &m,
                            r.message_queue.queue_id,
                            Some(&r),
                        )));
                    }
                    Err(e) => {
                        ck.check("queue", false, || format!("send #{i}: {}", err_line(&e)));
                    }
                }
            }
        }
    }
    Checks::summary("queue(id=1)", qok, QUEUE, "");

    // 6. selector: abs(orderId.hashCode() % n), as the Java lambda and SelectMessageQueueByHash
    let mut sok = 0;
    let mut order_queue: HashMap<String, (String, i32)> = HashMap::new();
    for i in 0..SELECTOR {
        let m = corpus_message(topic, "selector", i, body("selector", i));
        let order_id = format!("order-{}", i % 2);
        match p
            .send_with_selector(m.clone(), &SelectByHash, order_id.as_str())
            .await
        {
            Ok(r) => {
                let q = (
                    r.message_queue.broker_name.clone(),
                    r.message_queue.queue_id,
                );
                let same = order_queue
                    .entry(order_id.clone())
                    .or_insert_with(|| q.clone())
                    == &q;
                ck.check("selector", same, || {
                    format!("{order_id} went to two queues")
                });
                if ck.check("selector", r.send_status == SendStatus::SEND_OK, || {
                    format!("status {:?}", r.send_status)
                }) && same
                {
                    sok += 1;
                }
                let mut o = sent_record(
                    "selector",
                    &r.msg_id,
                    &m,
                    r.message_queue.queue_id,
                    Some(&r),
                );
                o.insert("orderId".into(), json!(order_id));
                lines.push(Value::Object(o));
            }
            Err(e) => {
                ck.check("selector", false, || format!("send #{i}: {}", err_line(&e)));
            }
        }
    }
    Checks::summary("selector", sok, SELECTOR, "");

    // 7. compressed 8 KiB bodies
    let mut cok = 0;
    for i in 0..COMPRESSED {
        let m = corpus_message(topic, "compressed", i, big_body(i));
        match p.send(m.clone()).await {
            Ok(r) => {
                if ck.check("compressed", r.send_status == SendStatus::SEND_OK, || {
                    format!("status {:?}", r.send_status)
                }) {
                    cok += 1;
                }
                lines.push(Value::Object(sent_record(
                    "compressed",
                    &r.msg_id,
                    &m,
                    r.message_queue.queue_id,
                    Some(&r),
                )));
            }
            Err(e) => {
                ck.check("compressed", false, || {
                    format!("send #{i}: {}", err_line(&e))
                });
            }
        }
    }
    Checks::summary(
        "compressed",
        cok,
        COMPRESSED,
        &format!(" ({COMPRESSED_SIZE} byte bodies)"),
    );

    p.shutdown().await;
    write_lines(&out, &lines)?;
    let sent = SYNC + ASYNC + ONEWAY + BATCH + QUEUE + SELECTOR + COMPRESSED;
    let ms = t0.elapsed().as_millis();
    if ck.failures > 0 || lines.len() != sent {
        println!(
            "FAIL Produce(rust): {} failed checks ({} checks), {} of {sent} records, {ms} ms",
            ck.failures,
            ck.total,
            lines.len()
        );
        return Ok(false);
    }
    println!("PASS Produce(rust): {sent} messages to {topic} in {ms} ms -> {out}");
    Ok(true)
}

// ------------------------------------------------------------------------------------------
// consume: pull every queue from its min offset

async fn all_read_queues(admin: &MQAdmin, topic: &str) -> anyhow::Result<Vec<MessageQueue>> {
    let route = admin
        .topic_route(topic)
        .await
        .with_context(|| format!("route of {topic}"))?;
    let mut qs = Vec::new();
    for qd in &route.queue_datas {
        for q in 0..qd.read_queue_nums {
            qs.push(MessageQueue::new(topic, qd.broker_name.clone(), q));
        }
    }
    qs.sort();
    if qs.is_empty() {
        bail!("route of {topic} has no queues");
    }
    Ok(qs)
}

async fn consume(
    c: Common,
    out: String,
    expect: usize,
    timeout_sec: u64,
    group: Option<String>,
) -> anyhow::Result<bool> {
    let group = group.unwrap_or_else(|| format!("rocklet_interop_rust_cg_{}", now_ms()));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(timeout_sec);
    let admin =
        MQAdmin::connect(client_config(&c.namesrv, "rust-consume")).context("admin connect")?;
    let mut seen: Vec<(String, Value)> = Vec::new();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut dups = 0usize;
    let mut error = None;
    let mut offsets: BTreeMap<MessageQueue, i64> = BTreeMap::new();
    let mut pulls = 0usize;
    'outer: while ids.len() < expect && Instant::now() < deadline {
        let queues = match all_read_queues(&admin, &c.topic).await {
            Ok(q) => q,
            Err(e) => {
                error = Some(format!("{e:#}"));
                tokio::time::sleep(Duration::from_millis(300)).await;
                continue;
            }
        };
        error = None;
        for q in &queues {
            if !offsets.contains_key(q) {
                let min = match admin.min_offset(q).await {
                    Ok(v) => v,
                    Err(e) => {
                        error = Some(format!("min_offset({q}): {}", err_line(&e)));
                        continue;
                    }
                };
                offsets.insert(q.clone(), min);
            }
            loop {
                if Instant::now() >= deadline {
                    break 'outer;
                }
                let off = offsets[q];
                pulls += 1;
                let r = match admin.pull(&group, q, "*", off, 32).await {
                    Ok(r) => r,
                    Err(e) => {
                        error = Some(format!("pull({q}, {off}): {}", err_line(&e)));
                        break;
                    }
                };
                match r.pull_status {
                    PullStatus::FOUND => {
                        for m in &r.msg_found_list {
                            let id = m.msg_id();
                            if ids.insert(id.clone()) {
                                seen.push((id, recv_record(m)));
                            } else {
                                dups += 1;
                            }
                        }
                        offsets.insert(q.clone(), r.next_begin_offset);
                        if r.msg_found_list.is_empty() && r.next_begin_offset == off {
                            break;
                        }
                    }
                    PullStatus::OFFSET_ILLEGAL => {
                        offsets.insert(q.clone(), r.next_begin_offset);
                        if r.next_begin_offset == off {
                            break;
                        }
                    }
                    PullStatus::NO_MATCHED_MSG => {
                        offsets.insert(q.clone(), r.next_begin_offset);
                        if r.next_begin_offset == off {
                            break;
                        }
                    }
                    PullStatus::NO_NEW_MSG => break,
                }
            }
        }
        if ids.len() < expect {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let lines: Vec<Value> = seen.into_iter().map(|(_, v)| v).collect();
    write_lines(&out, &lines)?;
    let summary = format!(
        "{}/{expect} distinct msgIds via rust pull ({} queues, {pulls} pulls) from {} in {} ms ({dups} duplicates) -> {out}",
        lines.len(),
        offsets.len(),
        c.topic,
        t0.elapsed().as_millis()
    );
    if lines.len() < expect {
        println!(
            "FAIL Consume(rust): {}{summary}",
            error
                .map(|e| format!("{e}; "))
                .unwrap_or_else(|| "timeout, ".into())
        );
        return Ok(false);
    }
    println!("PASS Consume(rust): {summary}");
    Ok(true)
}

/// `consume --lite`: the Rust DefaultLitePullConsumer in assign mode reads every queue from its
/// min offset until `expect` distinct msgIds (or the timeout); one JSON line per message.
async fn consume_lite(
    c: Common,
    out: String,
    expect: usize,
    timeout_sec: u64,
    group: Option<String>,
    subscribe: bool,
) -> anyhow::Result<bool> {
    use rocklet_client::{ConsumeFromWhere, DefaultLitePullConsumer, LitePullConsumerConfig};
    let group = group.unwrap_or_else(|| format!("rocklet_interop_rust_lite_cg_{}", now_ms()));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(timeout_sec);
    let mut cfg = LitePullConsumerConfig::new(group).with_namesrv(c.namesrv.clone());
    cfg.client = client_config(&c.namesrv, "rust-lite");
    cfg.auto_commit = subscribe;
    cfg.pull_batch_size = 32;
    cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET;
    let consumer = DefaultLitePullConsumer::new(cfg);
    if subscribe {
        consumer.subscribe(&c.topic, "*")?;
    }
    consumer.start().await.context("lite pull consumer start")?;
    let admin =
        MQAdmin::connect(client_config(&c.namesrv, "rust-lite-admin")).context("admin connect")?;
    let queues = all_read_queues(&admin, &c.topic).await?;
    if !subscribe {
        consumer.assign(queues.clone())?;
        for q in &queues {
            let min = admin.min_offset(q).await.unwrap_or(0);
            consumer.seek(q, min).await?;
        }
    }
    let mut seen: Vec<Value> = Vec::new();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut dups = 0usize;
    while ids.len() < expect && Instant::now() < deadline {
        for m in consumer.poll(Duration::from_millis(500)).await? {
            let id = m.msg_id();
            if ids.insert(id) {
                seen.push(recv_record(&m));
            } else {
                dups += 1;
            }
        }
    }
    consumer.shutdown().await;
    write_lines(&out, &seen)?;
    let summary = format!(
        "{}/{expect} distinct msgIds via the Rust lite pull consumer ({}, {} queues) from {} in {} ms ({dups} duplicates) -> {out}",
        seen.len(),
        if subscribe { "subscribe" } else { "assign + seek" },
        queues.len(),
        c.topic,
        t0.elapsed().as_millis()
    );
    if seen.len() < expect {
        println!("FAIL Consume(rust lite): timeout, {summary}");
        return Ok(false);
    }
    println!("PASS Consume(rust lite): {summary}");
    Ok(true)
}

/// `consume --push`: the Rust DefaultMQPushConsumer (a new group, CONSUME_FROM_FIRST_OFFSET)
/// until `expect` distinct msgIds (or the timeout); one JSON line per message.
async fn consume_push(
    c: Common,
    out: String,
    expect: usize,
    timeout_sec: u64,
    group: Option<String>,
) -> anyhow::Result<bool> {
    use rocklet_client::consumer::{
        ConsumeConcurrentlyStatus, DefaultMQPushConsumer, PushConsumerConfig,
    };
    use rocklet_client::ConsumeFromWhere;
    let group = group.unwrap_or_else(|| format!("rocklet_interop_rust_push_cg_{}", now_ms()));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(timeout_sec);
    let mut cfg = PushConsumerConfig::new(group)
        .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET);
    cfg.client = client_config(&c.namesrv, "rust-push");
    let consumer = DefaultMQPushConsumer::new(cfg);
    consumer.subscribe(&c.topic, "*")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    consumer.register_message_listener_concurrently(move |msgs, _ctx| {
        let tx = tx.clone();
        async move {
            for m in msgs {
                let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
            }
            ConsumeConcurrentlyStatus::CONSUME_SUCCESS
        }
    });
    consumer.start().await.context("push consumer start")?;
    let mut seen: Vec<Value> = Vec::new();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut dups = 0usize;
    while ids.len() < expect {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(m)) => {
                if ids.insert(m.msg_id()) {
                    seen.push(recv_record(&m));
                } else {
                    dups += 1;
                }
            }
            _ => break,
        }
    }
    let queues = consumer.assigned_queues().len();
    consumer.shutdown().await;
    write_lines(&out, &seen)?;
    let summary = format!(
        "{}/{expect} distinct msgIds via the Rust push consumer ({queues} queues incl. retry) from {} in {} ms ({dups} duplicates) -> {out}",
        seen.len(),
        c.topic,
        t0.elapsed().as_millis()
    );
    if seen.len() < expect {
        println!("FAIL Consume(rust push): timeout, {summary}");
        return Ok(false);
    }
    println!("PASS Consume(rust push): {summary}");
    Ok(true)
}

struct PushMemberArgs {
    c: Common,
    group: String,
    instance: String,
    out: String,
    queues_out: Option<String>,
    orderly: bool,
    fail_tags: String,
    max_reconsume: i32,
    delay_level: i32,
    broadcast: bool,
    offset_dir: Option<String>,
    from: String,
    duration_sec: u64,
    until_idle_sec: Option<u64>,
}

/// `push-member`: see [`Cmd::PushMember`].
async fn push_member(a: PushMemberArgs) -> anyhow::Result<bool> {
    use rocklet_client::consumer::{
        ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, DefaultMQPushConsumer, MessageModel,
        PushConsumerConfig,
    };
    use rocklet_client::ConsumeFromWhere;
    let from = match a.from.as_str() {
        "first" => ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET,
        "last" => ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET,
        o => bail!("--from {o}: first or last"),
    };
    let mut cfg = PushConsumerConfig::new(a.group.clone()).with_consume_from_where(from);
    cfg.client = client_config(&a.c.namesrv, "x");
    cfg.client.instance_name = a.instance.clone();
    cfg.max_reconsume_times = a.max_reconsume;
    cfg.await_termination_millis_when_shutdown = 3000;
    if a.broadcast {
        cfg.message_model = MessageModel::BROADCASTING;
        cfg.local_offset_store_dir = a.offset_dir.as_ref().map(std::path::PathBuf::from);
    }
    let consumer = DefaultMQPushConsumer::new(cfg);
    consumer.subscribe(&a.c.topic, "*")?;
    if let Some(dir) = std::path::Path::new(&a.out).parent() {
        std::fs::create_dir_all(dir).ok();
    }
    let out = Arc::new(Mutex::new(std::io::LineWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&a.out)
            .with_context(|| a.out.clone())?,
    )));
    let last = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let fail: Arc<BTreeSet<String>> = Arc::new(
        a.fail_tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    );
    let instance = a.instance.clone();
    // one line per delivery; true: the listener fails the message
    let record = {
        let out = out.clone();
        let last = last.clone();
        let fail = fail.clone();
        move |m: &MessageExt| -> bool {
            let failing = m.tags().is_some_and(|t| fail.contains(t));
            let body = m
                .body()
                .map(|b| b.to_vec())
                .unwrap_or_else(|_| m.raw_body.to_vec());
            let line = json!({
                "msgId": m.msg_id(),
                "offsetMsgId": m.offset_msg_id(),
                "topic": m.topic,
                "tags": m.tags(),
                "keys": m.keys(),
                "body": String::from_utf8_lossy(&body),
                "queueId": m.queue_id,
                "queueOffset": m.queue_offset,
                "reconsumeTimes": m.reconsume_times,
                "failed": failing,
                "member": instance,
                "t": now_ms(),
            });
            let _ = writeln!(out.lock().unwrap(), "{line}");
            last.store(now_ms() as u64, Ordering::Relaxed);
            failing
        }
    };
    let delay = a.delay_level;
    if a.orderly {
        consumer.register_message_listener_orderly(move |msgs, _ctx| {
            let mut ok = true;
            for m in &msgs {
                ok &= !record(m);
            }
            async move {
                if ok {
                    ConsumeOrderlyStatus::SUCCESS
                } else {
                    ConsumeOrderlyStatus::SUSPEND_CURRENT_QUEUE_A_MOMENT
                }
            }
        });
    } else {
        consumer.register_message_listener_concurrently(move |msgs, ctx| {
            let mut ok = true;
            for m in &msgs {
                ok &= !record(m);
            }
            if !ok && delay != 0 {
                ctx.set_delay_level_when_next_consume(delay);
            }
            async move {
                if ok {
                    ConsumeConcurrentlyStatus::CONSUME_SUCCESS
                } else {
                    ConsumeConcurrentlyStatus::RECONSUME_LATER
                }
            }
        });
    }
    consumer.start().await.context("push consumer start")?;
    let client_id = consumer
        .instance()
        .map(|i| i.client_id().to_owned())
        .unwrap_or_default();
    println!("STARTED {} clientId={client_id}", a.instance);
    let queues_out = a
        .queues_out
        .clone()
        .unwrap_or_else(|| format!("{}.queues.jsonl", a.out));
    let mut qf = std::io::LineWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&queues_out)
            .with_context(|| queues_out.clone())?,
    );
    let deadline = Instant::now() + Duration::from_secs(a.duration_sec);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut prev: Option<Vec<(String, i32)>> = None;
    let why = loop {
        let mut now: Vec<(String, i32)> = consumer
            .assigned_queues()
            .into_iter()
            .filter(|q| q.topic == a.c.topic)
            .map(|q| (q.broker_name, q.queue_id))
            .collect();
        now.sort();
        if prev.as_ref() != Some(&now) {
            let qs: Vec<Value> = now
                .iter()
                .map(|(b, q)| json!({"brokerName": b, "queueId": q}))
                .collect();
            writeln!(
                qf,
                "{}",
                json!({"clientId": client_id, "member": a.instance, "t": now_ms(), "queues": qs})
            )?;
            prev = Some(now);
        }
        if Instant::now() >= deadline {
            break "duration";
        }
        if let Some(idle) = a.until_idle_sec {
            let l = last.load(Ordering::Relaxed);
            if l > 0 && (now_ms() as u64).saturating_sub(l) >= idle * 1000 {
                break "idle";
            }
        }
        tokio::select! {
            _ = term.recv() => break "SIGTERM",
            _ = tokio::signal::ctrl_c() => break "SIGINT",
            _ = tokio::time::sleep(Duration::from_millis(300)) => {}
        }
    };
    consumer.shutdown().await;
    println!("STOPPED {} ({why})", a.instance);
    Ok(true)
}

// ------------------------------------------------------------------------------------------
// admin: the Admin.java checks

struct AdminRun {
    result: Map<String, Value>,
    failures: usize,
    passes: usize,
}

impl AdminRun {
    fn record(&mut self, name: &str, t0: Instant, r: anyhow::Result<Value>) -> Option<Value> {
        match r {
            Ok(v) => {
                println!("PASS admin/{name} ({} ms)", t0.elapsed().as_millis());
                self.passes += 1;
                self.result.insert(name.into(), v.clone());
                Some(v)
            }
            Err(e) => {
                let msg = format!("{e:#}").replace('\n', " ");
                println!("FAIL admin/{name}: {msg}");
                self.failures += 1;
                self.result
                    .insert(name.into(), json!(format!("ERROR: {msg}")));
                None
            }
        }
    }
}

fn require(cond: bool, what: impl FnOnce() -> String) -> anyhow::Result<()> {
    if cond {
        Ok(())
    } else {
        Err(anyhow!(what()))
    }
}

async fn admin_cmd(c: Common, out: String, sent: Option<String>) -> anyhow::Result<bool> {
    let admin =
        MQAdmin::connect(client_config(&c.namesrv, "rust-admin")).context("admin connect")?;
    let topic = c.topic.as_str();
    let mut run = AdminRun {
        result: Map::new(),
        failures: 0,
        passes: 0,
    };
    let t_all = Instant::now();

    let t0 = Instant::now();
    let route = admin.topic_route(topic).await;
    let route = match route {
        Ok(r) if !r.queue_datas.is_empty() && !r.broker_datas.is_empty() => {
            run.record("examineTopicRouteInfo", t0, Ok(serde_json::to_value(&r)?));
            run.result.insert(
                "examineTopicRouteInfo.rawJson".into(),
                json!(String::from_utf8_lossy(&r.to_fastjson()).into_owned()),
            );
            Some(r)
        }
        Ok(r) => {
            run.record(
                "examineTopicRouteInfo",
                t0,
                Err(anyhow!("route has no queueDatas/brokerDatas: {r:?}")),
            );
            None
        }
        Err(e) => {
            run.record("examineTopicRouteInfo", t0, Err(anyhow!(err_line(&e))));
            None
        }
    };

    let t0 = Instant::now();
    let ci = match admin.cluster_info().await {
        Ok(ci) => {
            let r = require(ci.cluster_addr_table.contains_key("DefaultCluster"), || {
                format!("no DefaultCluster in {:?}", ci.cluster_addr_table)
            })
            .and_then(|_| require(!ci.broker_addr_table.is_empty(), || "no brokers".into()));
            match r {
                Ok(()) => {
                    run.record(
                        "examineBrokerClusterInfo",
                        t0,
                        Ok(serde_json::to_value(&ci)?),
                    );
                    Some(ci)
                }
                Err(e) => {
                    run.record("examineBrokerClusterInfo", t0, Err(e));
                    None
                }
            }
        }
        Err(e) => {
            run.record("examineBrokerClusterInfo", t0, Err(anyhow!(err_line(&e))));
            None
        }
    };

    let broker = route
        .as_ref()
        .and_then(|r| {
            r.broker_datas
                .iter()
                .find_map(|b| b.master_addr().map(str::to_owned))
        })
        .or_else(|| {
            ci.as_ref().and_then(|c| {
                c.broker_addr_table
                    .values()
                    .find_map(|b| b.master_addr().map(str::to_owned))
            })
        });
    run.result.insert("brokerAddr".into(), json!(broker));

    // create a topic on the broker and wait for its route
    let t0 = Instant::now();
    let new_topic = format!("{topic}_RADMIN_{}", now_ms());
    let r: anyhow::Result<Value> = async {
        let addr = broker.clone().ok_or_else(|| anyhow!("no broker address known"))?;
        let tc = TopicConfig::new(new_topic.clone(), 8, 8, perm::READ | perm::WRITE);
        admin.create_topic_on(&addr, &tc).await.map_err(|e| anyhow!(err_line(&e)))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = String::new();
        let mut i = 0;
        while Instant::now() < deadline {
            match admin.topic_route(&new_topic).await {
                Ok(r) => {
                    let w: i32 = r.queue_datas.iter().map(|q| q.write_queue_nums).sum();
                    let rd_ok = r.queue_datas.iter().all(|q| q.read_queue_nums == 8);
                    if w == 8 && rd_ok {
                        return Ok(json!({"topic": new_topic, "route": serde_json::to_value(&r)?, "routeAfterMs": i * 250}));
                    }
                    last = format!("writeQueueNums {w}, readQueueNums ok {rd_ok}");
                }
                Err(e) => last = err_line(&e),
            }
            i += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!("route for {new_topic} never appeared: {last}")
    }
    .await;
    run.record("createAndUpdateTopicConfig", t0, r);

    if let Some(route) = &route {
        let t0 = Instant::now();
        let r: anyhow::Result<Value> = async {
            let mut arr = Vec::new();
            let mut total = 0;
            for qd in &route.queue_datas {
                for q in 0..qd.read_queue_nums {
                    let mq = MessageQueue::new(topic, qd.broker_name.clone(), q);
                    let e = |e: rocklet_client::ClientError| anyhow!("{mq}: {}", err_line(&e));
                    let max = admin.max_offset(&mq).await.map_err(e)?;
                    let min = admin.min_offset(&mq).await.map_err(e)?;
                    require(min >= 0 && max >= min, || format!("bad offsets for {mq}: min {min} max {max}"))?;
                    let now = now_ms();
                    let at_now = admin.search_offset(&mq, now).await.map_err(e)?;
                    let at_past = admin.search_offset(&mq, now - 3_600_000).await.map_err(e)?;
                    let at_future = admin.search_offset(&mq, now + 3_600_000).await.map_err(e)?;
                    for (what, v) in [("past", at_past), ("now", at_now), ("future", at_future)] {
                        require(v >= min && v <= max, || format!("searchOffset({what}) {v} not in [{min},{max}] for {mq}"))?;
                    }
                    arr.push(json!({
                        "brokerName": qd.broker_name, "queueId": q, "minOffset": min, "maxOffset": max,
                        "searchOffsetPast1h": at_past, "searchOffsetNow": at_now, "searchOffsetFuture1h": at_future,
                    }));
                    total += max - min;
                }
            }
            require(total > 0, || format!("all queues of {topic} are empty"))?;
            Ok(Value::Array(arr))
        }
        .await;
        run.record("offsets", t0, r);
    }

    if let Some(sent_path) = &sent {
        let sent = read_jsonl(sent_path)?;
        let first = sent.first().cloned().unwrap_or(Value::Null);
        let t0 = Instant::now();
        let r: anyhow::Result<Value> = async {
            require(!sent.is_empty(), || format!("{sent_path} is empty"))?;
            let keys = first["keys"].as_str().unwrap_or_default();
            let key = keys.split(' ').next().unwrap_or_default().to_owned();
            let want = first["msgId"].as_str().unwrap_or_default().to_owned();
            let mut last = String::new();
            for _ in 0..20 {
                match admin
                    .query_message(topic, &key, 32, 0, i64::MAX, false)
                    .await
                {
                    Ok(qr) if !qr.message_list.is_empty() => {
                        let found = qr.message_list.iter().any(|m| m.msg_id() == want);
                        require(found, || {
                            format!(
                                "key {key} returned {} messages, none with msgId {want}",
                                qr.message_list.len()
                            )
                        })?;
                        let msgs: Vec<Value> = qr.message_list.iter().map(recv_record).collect();
                        return Ok(json!({"key": key, "messages": msgs}));
                    }
                    Ok(_) => last = "empty".into(),
                    Err(e) => last = err_line(&e),
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            bail!("no message for key {key}: {last}")
        }
        .await;
        run.record("queryMessageByKey", t0, r);

        let t0 = Instant::now();
        let r: anyhow::Result<Value> = async {
            let id = first["msgId"].as_str().unwrap_or_default();
            let m = admin
                .view_message_by_topic(topic, id)
                .await
                .map_err(|e| anyhow!(err_line(&e)))?;
            require(m.msg_id() == id, || format!("msgId {} != {id}", m.msg_id()))?;
            let b = hex(&m.body()?);
            require(first["bodyHex"].as_str() == Some(b.as_str()), || {
                "body differs".into()
            })?;
            Ok(json!({"msgId": id, "message": recv_record(&m)}))
        }
        .await;
        run.record("viewMessageByUniqKey", t0, r);

        let t0 = Instant::now();
        let r: anyhow::Result<Value> = async {
            let s = sent
                .iter()
                .find(|r| r["offsetMsgId"].is_string())
                .ok_or_else(|| anyhow!("no offsetMsgId in {sent_path}"))?;
            let off = s["offsetMsgId"].as_str().unwrap_or_default();
            let m = admin
                .view_message(off)
                .await
                .map_err(|e| anyhow!(err_line(&e)))?;
            require(Some(m.msg_id().as_str()) == s["msgId"].as_str(), || {
                format!("uniq msgId {} != {}", m.msg_id(), s["msgId"])
            })?;
            let b = hex(&m.body()?);
            require(s["bodyHex"].as_str() == Some(b.as_str()), || {
                "body differs".into()
            })?;
            Ok(json!({"offsetMsgId": off, "message": recv_record(&m)}))
        }
        .await;
        run.record("viewMessageByOffsetMsgId", t0, r);
    }

    write_json(&out, &Value::Object(run.result.clone()))?;
    let ms = t_all.elapsed().as_millis();
    if run.failures > 0 {
        println!(
            "FAIL Admin(rust): {} check(s) failed, {} passed in {ms} ms -> {out}",
            run.failures, run.passes
        );
        return Ok(false);
    }
    println!(
        "PASS Admin(rust): {} checks in {ms} ms -> {out}",
        run.passes
    );
    Ok(true)
}

// ------------------------------------------------------------------------------------------
// create-topic

async fn create_topic(
    c: Common,
    queues: i32,
    brokers: usize,
    timeout_sec: u64,
) -> anyhow::Result<bool> {
    let admin =
        MQAdmin::connect(client_config(&c.namesrv, "rust-create")).context("admin connect")?;
    let deadline = Instant::now() + Duration::from_secs(timeout_sec);
    let t0 = Instant::now();
    // wait for the brokers to be registered
    let masters = loop {
        let ci = admin.cluster_info().await;
        let masters: Vec<(String, String)> = match &ci {
            Ok(ci) => ci
                .broker_addr_table
                .values()
                .filter_map(|b| {
                    b.master_addr()
                        .map(|a| (b.broker_name.clone(), a.to_owned()))
                })
                .collect(),
            Err(_) => vec![],
        };
        if masters.len() >= brokers {
            break masters;
        }
        if Instant::now() >= deadline {
            println!("FAIL create-topic: {} of {brokers} brokers registered after {timeout_sec}s: {masters:?} {:?}", masters.len(), ci.err().map(|e| err_line(&e)));
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    for (name, addr) in &masters {
        let tc = TopicConfig::new(c.topic.clone(), queues, queues, perm::READ | perm::WRITE);
        if let Err(e) = admin.create_topic_on(addr, &tc).await {
            println!("FAIL create-topic: on {name} ({addr}): {}", err_line(&e));
            return Ok(false);
        }
    }
    loop {
        let names: BTreeSet<String> = match admin.topic_route(&c.topic).await {
            Ok(r) => r
                .queue_datas
                .iter()
                .filter(|q| q.write_queue_nums > 0)
                .map(|q| q.broker_name.clone())
                .collect(),
            Err(_) => BTreeSet::new(),
        };
        if names.len() >= masters.len() {
            println!(
                "PASS create-topic: {} with {queues} queues on {} brokers {:?} in {} ms",
                c.topic,
                names.len(),
                masters,
                t0.elapsed().as_millis()
            );
            return Ok(true);
        }
        if Instant::now() >= deadline {
            println!(
                "FAIL create-topic: route of {} shows brokers {names:?}, want {masters:?}",
                c.topic
            );
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

// ------------------------------------------------------------------------------------------
// loop: paced sync sends, every outcome recorded

async fn send_loop(
    c: Common,
    seconds: f64,
    rate: f64,
    out: String,
    stop_file: Option<String>,
    group: Option<String>,
) -> anyhow::Result<bool> {
    let group = group.unwrap_or_else(|| format!("rocklet_interop_rust_loop_{}", now_ms()));
    let mut cfg = ProducerConfig::new(group);
    cfg.client = client_config(&c.namesrv, "rust-loop");
    let p = DefaultMQProducer::new(cfg);
    p.start().await.context("producer start")?;
    let start_ms = now_ms();
    let t0 = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let end = t0 + Duration::from_secs_f64(seconds);
    let mut events = Vec::new();
    let mut per_broker: BTreeMap<String, u64> = BTreeMap::new();
    let (mut ok, mut failed) = (0u64, 0u64);
    let mut i = 0u64;
    let stop_requested = || {
        stop_file
            .as_deref()
            .is_some_and(|f| std::path::Path::new(f).exists())
    };
    while Instant::now() < end && !stop_requested() {
        let due = t0 + interval.mul_f64(i as f64);
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(d).await;
        }
        let m = Message::new(c.topic.clone(), format!("rust loop #{i}"))
            .with_tags("TagLoop")
            .with_keys([format!("rust-loop-{i}")]);
        let t = Instant::now();
        let at = now_ms();
        match p.send(m).await {
            Ok(r) => {
                ok += 1;
                *per_broker
                    .entry(r.message_queue.broker_name.clone())
                    .or_default() += 1;
                events.push(
                    json!({"i": i, "t": at, "ms": t.elapsed().as_millis() as u64, "ok": true,
                    "broker": r.message_queue.broker_name, "queueId": r.message_queue.queue_id}),
                );
            }
            Err(e) => {
                failed += 1;
                events.push(json!({"i": i, "t": at, "ms": t.elapsed().as_millis() as u64, "ok": false, "err": err_line(&e)}));
            }
        }
        i += 1;
    }
    p.shutdown().await;
    let v = json!({
        "client": "rust", "topic": c.topic, "startMs": start_ms, "endMs": now_ms(),
        "sent": ok + failed, "ok": ok, "failed": failed, "perBroker": per_broker, "events": events,
    });
    write_json(&out, &v)?;
    println!(
        "{} Loop(rust): {ok} ok, {failed} failed, per broker {per_broker:?} -> {out}",
        if ok > 0 { "PASS" } else { "FAIL" }
    );
    Ok(ok > 0)
}

// ------------------------------------------------------------------------------------------
// tx: Transactions.java with TransactionMQProducer

/// What `execute_local_transaction` and `check_local_transaction` answer, per body.
struct TxScript {
    execute: HashMap<String, LocalTransactionState>,
    check: HashMap<String, LocalTransactionState>,
    checks: Arc<AtomicUsize>,
    /// "body@topic" of every message the broker asked about.
    checked: Arc<Mutex<BTreeSet<String>>>,
}

fn body_text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl TransactionListener for TxScript {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        _arg: Option<&TxArg>,
    ) -> LocalTransactionState {
        // Transactions.java throws (= UNKNOW) when the transactionId is missing.
        if msg.transaction_id.is_none() {
            return LocalTransactionState::UNKNOW;
        }
        let body = body_text(&msg.body);
        self.execute
            .get(&body)
            .copied()
            .unwrap_or(LocalTransactionState::UNKNOW)
    }
    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        let body = msg
            .body()
            .map(|b| body_text(&b))
            .unwrap_or_else(|_| body_text(&msg.raw_body));
        self.checks.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut c) = self.checked.lock() {
            c.insert(format!("{body}@{}", msg.topic));
        }
        self.check
            .get(&body)
            .copied()
            .unwrap_or(LocalTransactionState::UNKNOW)
    }
}

/// Bodies of every message of TOPIC, pulled from offset 0 of each queue.
async fn read_bodies(admin: &MQAdmin, group: &str, topic: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for q in all_read_queues(admin, topic).await? {
        let mut off = 0i64;
        loop {
            let r = admin
                .pull(group, &q, "*", off, 32)
                .await
                .with_context(|| format!("pull({q}, {off})"))?;
            match r.pull_status {
                PullStatus::FOUND if !r.msg_found_list.is_empty() => {
                    for m in &r.msg_found_list {
                        out.push(
                            m.body()
                                .map(|b| body_text(&b))
                                .unwrap_or_else(|_| body_text(&m.raw_body)),
                        );
                    }
                }
                PullStatus::OFFSET_ILLEGAL | PullStatus::NO_MATCHED_MSG
                    if r.next_begin_offset > off => {}
                _ => break,
            }
            if r.next_begin_offset <= off {
                break;
            }
            off = r.next_begin_offset;
        }
    }
    Ok(out)
}

fn count_of(all: &[String], body: &str) -> usize {
    all.iter().filter(|b| b.as_str() == body).count()
}

struct TxRun {
    failures: usize,
}

impl TxRun {
    fn result(&mut self, name: &str, ok: bool, why: impl FnOnce() -> String) {
        if ok {
            println!("PASS tx/{name}");
        } else {
            self.failures += 1;
            println!("FAIL tx/{name}: {}", why());
        }
        let _ = std::io::stdout().flush();
    }
}

async fn tx_cmd(c: Common, wait_ms: u64) -> anyhow::Result<bool> {
    use LocalTransactionState::*;
    let topic = c.topic.clone();
    let checks = Arc::new(AtomicUsize::new(0));
    let checked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let script = TxScript {
        execute: [
            ("commit", COMMIT_MESSAGE),
            ("rollback", ROLLBACK_MESSAGE),
            ("unknow-commit", UNKNOW),
            ("unknow-rollback", UNKNOW),
        ]
        .into_iter()
        .map(|(b, s)| (b.to_owned(), s))
        .collect(),
        check: [
            ("unknow-commit", COMMIT_MESSAGE),
            ("unknow-rollback", ROLLBACK_MESSAGE),
        ]
        .into_iter()
        .map(|(b, s)| (b.to_owned(), s))
        .collect(),
        checks: checks.clone(),
        checked: checked.clone(),
    };
    let expected = script.execute.clone();
    let mut cfg = ProducerConfig::new("rocklet_interop_tx_rust");
    cfg.client = client_config(&c.namesrv, "rust-tx");
    cfg.send_msg_timeout = Duration::from_secs(10);
    let p = TransactionMQProducer::new(cfg, script);
    p.start().await.context("producer start")?;
    let admin =
        MQAdmin::connect(client_config(&c.namesrv, "rust-tx-reader")).context("admin connect")?;
    let group = "rocklet_interop_tx_reader_rust";
    let mut run = TxRun { failures: 0 };
    let r: anyhow::Result<()> = async {
        for b in ["commit", "rollback", "unknow-commit", "unknow-rollback"] {
            let m = Message::new(topic.clone(), b.as_bytes().to_vec())
                .with_tags("TagTx")
                .with_keys([format!("key-{b}")]);
            match p.send_message_in_transaction(m, None).await {
                Ok(r) => run.result(
                    &format!("send-{b}"),
                    r.send_result.send_status == SendStatus::SEND_OK
                        && Some(&r.local_transaction_state) == expected.get(b),
                    || {
                        format!(
                            "{:?} {:?}",
                            r.send_result.send_status, r.local_transaction_state
                        )
                    },
                ),
                Err(e) => run.result(&format!("send-{b}"), false, || err_line(&e)),
            }
        }
        // Poll until the check-back committed "unknow-commit" (or time is up).
        let deadline = Instant::now() + Duration::from_millis(wait_ms);
        let mut all = read_bodies(&admin, group, &topic).await?;
        while count_of(&all, "unknow-commit") == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            all = read_bodies(&admin, group, &topic).await?;
        }
        // A few more check rounds must change nothing.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let all = read_bodies(&admin, group, &topic).await?;
        let seen = |b: &str| format!("seen {} times", count_of(&all, b));
        run.result("commit-visible-once", count_of(&all, "commit") == 1, || {
            seen("commit")
        });
        run.result(
            "rollback-invisible",
            count_of(&all, "rollback") == 0,
            || seen("rollback"),
        );
        run.result(
            "unknow-checked-back-commit",
            count_of(&all, "unknow-commit") == 1,
            || {
                format!(
                    "{}, {} checks",
                    seen("unknow-commit"),
                    checks.load(Ordering::SeqCst)
                )
            },
        );
        run.result(
            "unknow-checked-back-rollback",
            count_of(&all, "unknow-rollback") == 0,
            || seen("unknow-rollback"),
        );
        let checked = checked.lock().map(|c| c.clone()).unwrap_or_default();
        run.result(
            "check-body-real-topic",
            checked.contains(&format!("unknow-commit@{topic}")),
            || format!("checked {checked:?}"),
        );
        // Stronger than Transactions.java: "unknow-rollback" stays invisible because the
        // check-back rolled it back, not because it was never checked.
        run.result(
            "unknow-rollback-checked",
            checked.contains(&format!("unknow-rollback@{topic}")),
            || format!("checked {checked:?}"),
        );
        run.result(
            "decided-not-checked",
            !checked.contains(&format!("commit@{topic}"))
                && !checked.contains(&format!("rollback@{topic}")),
            || format!("checked {checked:?}"),
        );
        println!(
            "INFO tx: {} check-backs, checked {checked:?}",
            checks.load(Ordering::SeqCst)
        );
        Ok(())
    }
    .await;
    if let Err(e) = r {
        run.result("run", false, || format!("{e:#}"));
    }
    p.shutdown().await;
    Ok(run.failures == 0)
}

/// Rocklet's `request` family against a Java responder; PASS/FAIL lines per mode.
async fn request_cmd(c: Common, count: usize, timeout_ms: u64) -> anyhow::Result<bool> {
    let mut cfg = ProducerConfig::new("rocklet_interop_rr_rust");
    cfg.client = client_config(&c.namesrv, "rust-rr");
    let p = DefaultMQProducer::new(cfg);
    p.start().await.context("producer start")?;
    let timeout = Duration::from_millis(timeout_ms);
    let topic = c.topic.clone();
    let queues = p
        .fetch_publish_message_queues(&topic)
        .await
        .context("route of the request topic")?;
    let mut failures = 0;
    for mode in ["sync", "queue", "selector", "callback"] {
        let mut ok = 0;
        let mut why = String::new();
        for i in 0..count {
            let body = format!("rust-{mode}-{i}");
            let msg = Message::new(&topic, body.clone());
            let r = match mode {
                "sync" => p.request(msg, timeout).await,
                "queue" => {
                    p.request_to_queue(msg, &queues[i % queues.len()], timeout)
                        .await
                }
                "selector" => {
                    let pick = |mqs: &[MessageQueue], _: &Message, n: &usize| {
                        mqs.get(n % mqs.len().max(1)).cloned()
                    };
                    p.request_with_selector(msg, &pick, &i, timeout).await
                }
                _ => {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    p.request_with_callback(msg, timeout, move |r| {
                        let _ = tx.send(r);
                    })?;
                    rx.await.map_err(|_| anyhow!("callback dropped"))?
                }
            };
            match r {
                Ok(reply) if reply.body[..] == *format!("re:{body}").as_bytes() => ok += 1,
                Ok(reply) => {
                    why = format!(
                        "reply {:?} for {body}",
                        String::from_utf8_lossy(&reply.body)
                    )
                }
                Err(e) => why = format!("{body}: {e}"),
            }
        }
        if ok == count {
            println!("PASS reqreply/rust-{mode} - {ok}/{count} replies");
        } else {
            failures += 1;
            println!("FAIL reqreply/rust-{mode}: {ok}/{count} replies; {why}");
        }
    }
    p.shutdown().await;
    Ok(failures == 0)
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let r = rt.block_on(async move {
        match cli.cmd {
            Cmd::Produce { c, out, group } => produce(c, out, group).await,
            Cmd::Consume {
                c,
                out,
                expect,
                timeout_sec,
                group,
                push: true,
                ..
            } => consume_push(c, out, expect, timeout_sec, group).await,
            Cmd::Consume {
                c,
                out,
                expect,
                timeout_sec,
                group,
                lite: false,
                ..
            } => consume(c, out, expect, timeout_sec, group).await,
            Cmd::Consume {
                c,
                out,
                expect,
                timeout_sec,
                group,
                lite: true,
                subscribe,
                ..
            } => consume_lite(c, out, expect, timeout_sec, group, subscribe).await,
            Cmd::Admin { c, out, sent } => admin_cmd(c, out, sent).await,
            Cmd::CreateTopic {
                c,
                queues,
                brokers,
                timeout_sec,
            } => create_topic(c, queues, brokers, timeout_sec).await,
            Cmd::Loop {
                c,
                seconds,
                rate,
                out,
                stop_file,
                group,
            } => send_loop(c, seconds, rate, out, stop_file, group).await,
            Cmd::Tx { c, wait_ms } => tx_cmd(c, wait_ms).await,
            Cmd::PushMember {
                c,
                group,
                instance,
                out,
                queues_out,
                orderly,
                fail_tags,
                max_reconsume,
                delay_level,
                broadcast,
                offset_dir,
                from,
                duration_sec,
                until_idle_sec,
            } => {
                push_member(PushMemberArgs {
                    c,
                    group,
                    instance,
                    out,
                    queues_out,
                    orderly,
                    fail_tags,
                    max_reconsume,
                    delay_level,
                    broadcast,
                    offset_dir,
                    from,
                    duration_sec,
                    until_idle_sec,
                })
                .await
            }
            Cmd::Request {
                c,
                count,
                timeout_ms,
            } => request_cmd(c, count, timeout_ms).await,
        }
    });
    let code = match r {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            println!("FAIL interop_driver: {e:#}");
            1
        }
    };
    // Do not wait for background client tasks.
    std::process::exit(code);
}
