//! `rocklet consume`: a push consumer that prints each message on one line.

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, DefaultMQPushConsumer, MessageModel,
    PushConsumerConfig,
};
use rocklet_client::{ClientConfig, ConsumeFromWhere, MQAdmin, MessageExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum From {
    /// The queue's first message (for a group with no committed offset).
    First,
    /// Only messages sent from now on (the default).
    Last,
    /// The first message stored at or after --timestamp.
    Timestamp,
}

#[derive(Args, Debug)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub acl: crate::cli_client::AclArgs,
    #[arg(short = 'n', long = "namesrv-addr", env = "NAMESRV_ADDR")]
    pub namesrv: String,
    #[arg(short = 't', long)]
    pub topic: String,
    /// Consumer group (required, as with Java's tools). Where the group has committed
    /// offsets, reading resumes there and --from does not apply.
    #[arg(short = 'g', long)]
    pub group: String,
    /// Tag expression: `TagA || TagB` (default `*`, every message).
    #[arg(long, conflicts_with = "sql")]
    pub tag: Option<String>,
    /// SQL92 filter on the message properties (the broker needs `enablePropertyFilter=true`).
    #[arg(long)]
    pub sql: Option<String>,
    /// Broadcasting: this consumer reads every queue, offsets kept in a local file.
    #[arg(long)]
    pub broadcast: bool,
    /// Where a queue with no committed offset is read from.
    #[arg(long, value_enum, default_value = "last")]
    pub from: From,
    /// With `--from timestamp`: yyyyMMddHHmmss, UTC.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Stop after this many messages (default: until Ctrl-C or SIGTERM).
    #[arg(short = 'c', long)]
    pub count: Option<u64>,
    /// Orderly listener: one queue at a time, in queue order (locks the queues when clustering).
    #[arg(long)]
    pub orderly: bool,
}

/// Most characters of a body printed before it is cut.
const BODY_MAX_CHARS: usize = 256;

/// A body on one line: UTF-8 text with control characters escaped, or `hex:` and its bytes;
/// cut after [`BODY_MAX_CHARS`] characters (or half as many bytes in hex) with the full size.
pub fn body_text(body: &[u8]) -> String {
    match std::str::from_utf8(body) {
        Ok(s) => {
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i == BODY_MAX_CHARS {
                    out.push_str(&format!("...({} bytes)", body.len()));
                    return out;
                }
                if c.is_control() {
                    out.extend(c.escape_default());
                } else {
                    out.push(c);
                }
            }
            out
        }
        Err(_) => {
            let n = body.len().min(BODY_MAX_CHARS / 2);
            let mut out = String::from("hex:");
            for b in &body[..n] {
                out.push_str(&format!("{b:02x}"));
            }
            if n < body.len() {
                out.push_str(&format!("...({} bytes)", body.len()));
            }
            out
        }
    }
}

/// One message on one line.
fn line(m: &MessageExt, broker: &str) -> String {
    let body = match m.body() {
        Ok(b) => body_text(&b),
        Err(e) => format!("<{e}>"),
    };
    format!(
        "msgId={} queue={broker}:{} offset={} tags={} keys={} reconsumeTimes={} body={body}",
        m.msg_id(),
        m.queue_id,
        m.queue_offset,
        m.tags().unwrap_or(""),
        m.keys().unwrap_or(""),
        m.reconsume_times,
    )
}

/// Counts the messages printed and tells `consume` when the count is reached.
struct Printer {
    printed: AtomicU64,
    limit: u64,
    done: tokio::sync::Notify,
}

impl Printer {
    /// Prints the messages the count still allows; false when some were left unprinted (the
    /// listener then never returns, so they are not committed and the group gets them again).
    fn print(&self, msgs: &[std::sync::Arc<MessageExt>], broker: &str) -> bool {
        for m in msgs {
            let i = self.printed.fetch_add(1, Ordering::SeqCst);
            if i >= self.limit {
                self.printed.fetch_sub(1, Ordering::SeqCst);
                self.done.notify_one();
                return false;
            }
            out!("{}", line(m, broker));
            if i + 1 == self.limit {
                self.done.notify_one();
            }
        }
        true
    }
}

pub async fn consume(a: ConsumeArgs) -> anyhow::Result<()> {
    // The push consumer waits for a route that never comes; say so at once instead.
    let mut admin_cfg = ClientConfig {
        namesrv_addr: Some(a.namesrv.clone()),
        instance_name: "rocklet_consume_check".into(),
        session_credentials: a.acl.credentials(),
        ..Default::default()
    };
    crate::sysprops::apply_client(&mut admin_cfg);
    let admin = MQAdmin::connect(admin_cfg)?;
    let route = admin.topic_route(&a.topic).await;
    admin.instance().shutdown();
    route.with_context(|| format!("topic {}", a.topic))?;

    let mut cfg = PushConsumerConfig::new(&a.group)
        .with_namesrv(&a.namesrv)
        .with_message_model(if a.broadcast {
            MessageModel::BROADCASTING
        } else {
            MessageModel::CLUSTERING
        })
        .with_consume_from_where(match a.from {
            From::First => ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET,
            From::Last => ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET,
            From::Timestamp => ConsumeFromWhere::CONSUME_FROM_TIMESTAMP,
        });
    match (&a.timestamp, a.from) {
        (Some(t), From::Timestamp) => cfg.consume_timestamp = t.clone(),
        (None, From::Timestamp) => bail!("--from timestamp needs --timestamp yyyyMMddHHmmss"),
        (Some(_), _) => bail!("--timestamp goes with --from timestamp"),
        (None, _) => {}
    }
    // One listener call at a time: lines do not interleave and the count is exact.
    cfg.consume_thread_min = 1;
    cfg.consume_thread_max = 1;
    // Shutdown waits for the one permit, so the last printed call's offset is committed; a
    // call past the count holds the permit forever and costs this wait.
    cfg.await_termination_millis_when_shutdown = 1000;
    cfg.client.instance_name = format!("rocklet_consume_{}", std::process::id());
    cfg.client.session_credentials = a.acl.credentials();
    crate::sysprops::apply_client(&mut cfg.client);
    let consumer = DefaultMQPushConsumer::new(cfg);
    match &a.sql {
        Some(sql) => consumer.subscribe_sql(&a.topic, sql)?,
        None => consumer.subscribe(&a.topic, a.tag.as_deref().unwrap_or("*"))?,
    }
    let printer = Arc::new(Printer {
        printed: AtomicU64::new(0),
        limit: a.count.unwrap_or(u64::MAX),
        done: tokio::sync::Notify::new(),
    });
    if a.orderly {
        let p = printer.clone();
        consumer.register_message_listener_orderly(move |msgs, ctx| {
            let p = p.clone();
            async move {
                if !p.print(&msgs, &ctx.message_queue.broker_name) {
                    std::future::pending::<()>().await;
                }
                ConsumeOrderlyStatus::SUCCESS
            }
        });
    } else {
        let p = printer.clone();
        consumer.register_message_listener_concurrently(move |msgs, ctx| {
            let p = p.clone();
            async move {
                if !p.print(&msgs, &ctx.message_queue.broker_name) {
                    std::future::pending::<()>().await;
                }
                ConsumeConcurrentlyStatus::CONSUME_SUCCESS
            }
        });
    }
    let t = Instant::now();
    consumer.start().await?;
    if a.count == Some(0) {
        printer.done.notify_one();
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let why = tokio::select! {
        _ = printer.done.notified() => "count reached",
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term.recv() => "terminated",
    };
    consumer.shutdown().await;
    eprintln!(
        "consumed {} messages of {} as {} in {:.2} s ({why}, offsets committed)",
        printer.printed.load(Ordering::SeqCst),
        a.topic,
        a.group,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
