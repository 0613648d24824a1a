//! Message trace (`enableMsgTrace`, Java's `SendMessageTraceHookImpl` + `AsyncTraceDispatcher`):
//! every send the broker acknowledged produces a `Pub` trace record, batched and sent to the
//! trace topic (`RMQ_SYS_TRACE_TOPIC` unless `customizedTraceTopic`) by an inner producer, with
//! the traced messages' msgIds and keys as the trace message's keys, so Java's trace query
//! (`queryMsgTraceById`, the dashboard) finds and decodes them.
//!
//! Record layout (`TraceDataEncoder.encoderFromContextBean`, `Pub`): the fields below joined by
//! `\u{1}`, the record ended by `\u{2}`: `Pub`, timestamp (ms, before the send), regionId,
//! producer group, topic, msgId, tags, keys, store host (`ip:port`), body length (as sent,
//! compressed when it was), cost (ms), message type (0 normal, 1 transaction half, 3 delay),
//! offset msgId, success (`true`). A missing tag or key is written `null`, as Java's
//! `StringBuilder.append(null)` does.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::ProducerConfig;
use crate::message::Message;
use crate::producer::DefaultMQProducer;

/// Java `TopicValidator.RMQ_SYS_TRACE_TOPIC`.
pub const RMQ_SYS_TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
const CONTENT: char = '\u{1}';
const FIELD: char = '\u{2}';
/// `AsyncTraceDispatcher`: queue of 2048 records, batches of 100, 128000-byte messages.
const QUEUE: usize = 2048;
const BATCH: usize = 100;
const MAX_MSG_SIZE: usize = 128_000;

/// Java `MessageType` ordinals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MsgType {
    Normal = 0,
    TransHalf = 1,
    Delay = 3,
}

/// One `Pub` trace (a `TraceContext` with one `TraceBean`).
#[derive(Debug, Clone)]
pub(crate) struct PubTrace {
    pub timestamp: i64,
    pub region_id: String,
    pub group: String,
    pub topic: String,
    pub msg_id: String,
    pub tags: Option<String>,
    pub keys: Option<String>,
    pub store_host: String,
    pub body_length: usize,
    pub cost_ms: i64,
    pub msg_type: MsgType,
    pub offset_msg_id: String,
    pub success: bool,
}

impl PubTrace {
    /// The record as `TraceDataEncoder` writes it.
    pub(crate) fn encode(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(
            out,
            "Pub{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{c}{}{f}",
            self.timestamp,
            self.region_id,
            self.group,
            self.topic,
            self.msg_id,
            self.tags.as_deref().unwrap_or("null"),
            self.keys.as_deref().unwrap_or("null"),
            self.store_host,
            self.body_length,
            self.cost_ms,
            self.msg_type as i32,
            self.offset_msg_id,
            self.success,
            c = CONTENT,
            f = FIELD,
        );
    }

    /// `TraceTransferBean.transKey`: the msgId and each of the message's keys.
    fn keys_into(&self, set: &mut BTreeSet<String>) {
        set.insert(self.msg_id.clone());
        if let Some(k) = self.keys.as_deref().filter(|k| !k.is_empty()) {
            set.extend(k.split(' ').map(str::to_owned));
        }
    }
}

/// The dispatcher: a bounded queue (a full queue drops the record, as Java's `offer`), one task
/// batching and sending through the inner producer.
pub(crate) struct Tracer {
    tx: parking_lot::Mutex<Option<mpsc::Sender<PubTrace>>>,
    task: parking_lot::Mutex<Option<JoinHandle<()>>>,
    producer: DefaultMQProducer,
    pub(crate) topic: String,
    dropped: std::sync::atomic::AtomicU64,
}

impl Tracer {
    /// Starts the inner producer (group `_INNER_TRACE_PRODUCER-<group>-PRODUCE-1`, instance
    /// `PID_CLIENT_INNER_TRACE_PRODUCER_<namesrv>`, 5 s send timeout) and the batching task.
    pub(crate) async fn start(cfg: &ProducerConfig) -> Result<Tracer, crate::ClientError> {
        let topic = cfg
            .customized_trace_topic
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| RMQ_SYS_TRACE_TOPIC.to_owned());
        let mut pc = ProducerConfig::new(format!(
            "_INNER_TRACE_PRODUCER-{}-PRODUCE-1",
            cfg.producer_group
        ));
        pc.client = cfg.client.clone();
        pc.client.instance_name = format!(
            "PID_CLIENT_INNER_TRACE_PRODUCER_{}",
            cfg.client.namesrv_addr.clone().unwrap_or_default()
        );
        pc.send_msg_timeout = Duration::from_secs(5);
        pc.max_message_size = MAX_MSG_SIZE - 10_000;
        pc.enable_msg_trace = false;
        let producer = DefaultMQProducer::new(pc);
        // Boxed: the inner producer's start is the same async fn as the one calling this.
        Box::pin(producer.start()).await?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(rx, producer.clone(), topic.clone()));
        Ok(Tracer {
            tx: parking_lot::Mutex::new(Some(tx)),
            task: parking_lot::Mutex::new(Some(task)),
            producer,
            topic,
            dropped: Default::default(),
        })
    }

    /// `append`: queue a record; false (and counted) when the queue is full or closed.
    pub(crate) fn append(&self, t: PubTrace) -> bool {
        let ok = self
            .tx
            .lock()
            .as_ref()
            .is_some_and(|tx| tx.try_send(t).is_ok());
        if !ok {
            let n = self
                .dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n.is_multiple_of(1000) {
                tracing::warn!(
                    dropped = n + 1,
                    "message trace queue full: trace records dropped"
                );
            }
        }
        ok
    }

    /// Sends what is queued (waiting at most `within`), then stops the inner producer.
    pub(crate) async fn shutdown(&self, within: Duration) {
        drop(self.tx.lock().take());
        let task = self.task.lock().take();
        if let Some(t) = task {
            let _ = tokio::time::timeout(within, t).await;
        }
        Box::pin(self.producer.shutdown()).await;
    }
}

async fn run(mut rx: mpsc::Receiver<PubTrace>, producer: DefaultMQProducer, topic: String) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        // Java polls 5 ms for each further record, up to a batch.
        while batch.len() < BATCH {
            match tokio::time::timeout(Duration::from_millis(5), rx.recv()).await {
                Ok(Some(t)) => batch.push(t),
                _ => break,
            }
        }
        // Grouped by the traced topic and region, as `sendTraceData` does.
        let mut groups: BTreeMap<(String, String), Vec<PubTrace>> = BTreeMap::new();
        for t in batch {
            groups
                .entry((t.topic.clone(), t.region_id.clone()))
                .or_default()
                .push(t);
        }
        for traces in groups.into_values() {
            let mut data = String::new();
            let mut keys = BTreeSet::new();
            for t in &traces {
                t.keys_into(&mut keys);
                t.encode(&mut data);
                if data.len() >= MAX_MSG_SIZE - 10_000 {
                    send(
                        &producer,
                        &topic,
                        std::mem::take(&mut data),
                        std::mem::take(&mut keys),
                    )
                    .await;
                }
            }
            if !data.is_empty() {
                send(&producer, &topic, data, keys).await;
            }
        }
    }
}

async fn send(producer: &DefaultMQProducer, topic: &str, data: String, keys: BTreeSet<String>) {
    let mut m = Message::new(topic, data.into_bytes());
    m.set_keys(keys);
    if let Err(e) = producer.send(m).await {
        tracing::warn!(error = %e, topic, "sending message trace data failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pub_record_layout() {
        let t = PubTrace {
            timestamp: 1_700_000_000_123,
            region_id: "DefaultRegion".into(),
            group: "pg".into(),
            topic: "T".into(),
            msg_id: "ID1".into(),
            tags: None,
            keys: Some("k1 k2".into()),
            store_host: "127.0.0.1:10911".into(),
            body_length: 5,
            cost_ms: 3,
            msg_type: MsgType::Delay,
            offset_msg_id: "OFF1".into(),
            success: true,
        };
        let mut s = String::new();
        t.encode(&mut s);
        assert_eq!(
            s,
            "Pub\u{1}1700000000123\u{1}DefaultRegion\u{1}pg\u{1}T\u{1}ID1\u{1}null\u{1}k1 k2\u{1}127.0.0.1:10911\u{1}5\u{1}3\u{1}3\u{1}OFF1\u{1}true\u{2}"
        );
        let mut keys = BTreeSet::new();
        t.keys_into(&mut keys);
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["ID1", "k1", "k2"]);
    }
}
