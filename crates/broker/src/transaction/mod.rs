//! Transactional messages (Java `TransactionalMessageBridge`, `TransactionalMessageServiceImpl`,
//! `EndTransactionProcessor`, `TransactionalMessageCheckService`).
//!
//! A half message (TRAN_MSG=true) is stored to `RMQ_SYS_TRANS_HALF_TOPIC` queue 0 with its real
//! topic and queue in the REAL_TOPIC / REAL_QID properties and its transaction sysFlag bits reset
//! to NOT_TYPE, so consumers of the real topic never see it. END_TRANSACTION commits (re-puts it
//! to the real queue as a COMMIT record) or rolls back, and either way records an op
//! ("d", body = the half queue offset as text) in `RMQ_SYS_TRANS_OP_HALF_TOPIC`. The check
//! service scans half messages from the last processed offset (consumer offsets of the group
//! `CID_RMQ_SYS_TRANS`, persisted as Java does), skips those with an op, and asks a live producer
//! of the half's group (CHECK_TRANSACTION_STATE) about the rest once they are older than
//! `transactionTimeOut`, re-putting each checked half with TRANSACTION_CHECK_TIMES incremented;
//! after `transactionCheckMax` checks the half is moved to `TRANS_CHECK_MAX_TIME_TOPIC`.
//!
//! Not in Java: the broker remembers which transactions (by UNIQ_KEY) it already decided, also
//! across restarts (from the op records, which carry the key in [`OP_KEY_PROPERTY`]), so a late
//! END_TRANSACTION for an older copy of a re-put half, or a check answer racing with the
//! producer's own commit, never produces a second visible message.

use crate::queue_cursor::{Item, QueueCursor};
use bytes::Bytes;
use parking_lot::Mutex;
use rocklet_protocol::header::EndTransactionRequestHeader;
use rocklet_protocol::message::{property, sys_flag, MessageExt, Properties};
use rocklet_protocol::route::perm;
use rocklet_protocol::time::now_ms;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::PutMessage;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use crate::BrokerInner;

/// `TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC`.
pub const HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// `TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC`.
pub const OP_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// `TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC`.
pub const CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// `MixAll.CID_SYS_RMQ_TRANS`: the group whose consumer offsets record check progress.
pub const TRANS_GROUP: &str = "CID_RMQ_SYS_TRANS";
/// `TransactionalMessageUtil.REMOVETAG`.
pub const REMOVE_TAG: &str = "d";
/// Rocklet-only property of op records: the decided transaction's UNIQ_KEY.
pub const OP_KEY_PROPERTY: &str = "RKL_TRAN_KEY";

/// How many decided transaction keys are remembered (and re-read from the op queue at start).
const DECIDED_CAPACITY: usize = 100_000;
/// Java `MAX_PROCESS_TIME_LIMIT`: one check round stops after this long.
const MAX_PROCESS_TIME: Duration = Duration::from_secs(60);
/// Ops read per check round at most (bounds memory for a huge backlog).
const MAX_OPS_PER_ROUND: i64 = 200_000;

/// Decided transactions, bounded FIFO.
#[derive(Default)]
struct Decided {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl Decided {
    /// Insert; false when already present.
    fn insert(&mut self, key: &str) -> bool {
        if self.set.contains(key) {
            return false;
        }
        if self.order.len() >= DECIDED_CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(key.to_owned());
        self.order.push_back(key.to_owned());
        true
    }
    fn remove(&mut self, key: &str) {
        if self.set.remove(key) {
            self.order.retain(|k| k != key);
        }
    }
}

/// Transaction state of a broker.
#[derive(Default)]
pub(crate) struct Transactions {
    decided: Mutex<Decided>,
    /// One check round at a time.
    check_lock: tokio::sync::Mutex<()>,
}

/// `MessageSysFlag.resetTransactionValue`.
fn reset_transaction(flag: i32, ty: i32) -> i32 {
    (flag & !sys_flag::TRANSACTION_ROLLBACK_TYPE) | ty
}

/// The key a transaction is remembered by: its UNIQ_KEY (the same in every re-put copy).
fn tx_key(m: &MessageExt) -> Option<String> {
    m.properties
        .get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Transactions {
    /// Rebuild the decided set from the tail of the op queue.
    pub(crate) fn load(b: &BrokerInner) -> Self {
        let t = Transactions::default();
        let max = b.store.max_offset_in_queue(OP_TOPIC, 0);
        let from = b
            .store
            .min_offset_in_queue(OP_TOPIC, 0)
            .max(max - DECIDED_CAPACITY as i64);
        let mut n = 0usize;
        for_each_op(b, from, max, |m| {
            if let Some(k) = m.properties.get(OP_KEY_PROPERTY) {
                t.decided.lock().insert(k);
                n += 1;
            }
        });
        if n > 0 {
            tracing::info!(decided = n, "transaction ops loaded");
        }
        t
    }

    fn is_decided(&self, key: &str) -> bool {
        self.decided.lock().set.contains(key)
    }
}

/// Decodes the op-queue messages at offsets `[from, to)` in order (unreadable ones skipped).
fn for_each_op(b: &BrokerInner, from: i64, to: i64, mut f: impl FnMut(MessageExt)) {
    let mut ops = QueueCursor::new(&b.store, OP_TOPIC, 0, from, 32);
    while ops.offset < to {
        match ops.next_item() {
            Item::Message { msg, .. } => f(msg),
            Item::Unreadable { offset, error } => {
                tracing::error!(offset, %error, "unreadable transaction op skipped");
            }
            Item::Corrected {
                past_end: false, ..
            } => {}
            Item::Corrected { past_end: true, .. } | Item::End => break,
        }
    }
}

/// Make sure the half and op topics exist (`createTopicInSendMessageBackMethod`, 1 queue).
pub(crate) fn ensure_topic(b: &BrokerInner, topic: &str) {
    let (_, created) = b.topics.create_system(topic, 1, perm::READ | perm::WRITE);
    if created {
        b.register_now.notify_one();
    }
}

/// `TransactionalMessageBridge.parseHalfMessageInner`: turn a TRAN_MSG send into a half message.
pub(crate) fn to_half(
    b: &BrokerInner,
    topic: &mut String,
    queue_id: &mut i32,
    sys: &mut i32,
    map: &mut rocklet_store::properties::JavaMap<'_>,
) {
    ensure_topic(b, HALF_TOPIC);
    map.put(
        property::REAL_TOPIC,
        std::mem::replace(topic, HALF_TOPIC.to_owned()),
    );
    map.put(property::REAL_QUEUE_ID, queue_id.to_string());
    *sys = reset_transaction(*sys, sys_flag::TRANSACTION_NOT_TYPE);
    *queue_id = 0;
}

fn fail(req: &RemotingCommand, remark: &str) -> RemotingCommand {
    RemotingCommand::response_to(req, ResponseCode::SYSTEM_ERROR, Some(remark.to_owned()))
}

/// END_TRANSACTION (`EndTransactionProcessor.processRequest`).
pub(crate) async fn end_transaction(
    b: &Arc<BrokerInner>,
    ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h: EndTransactionRequestHeader = match req.header() {
        Ok(h) => h,
        Err(e) => return Some(fail(req, &e.to_string())),
    };
    let from_check = h.from_transaction_check.unwrap_or(false);
    match h.commit_or_rollback {
        sys_flag::TRANSACTION_NOT_TYPE => {
            tracing::warn!(
                peer = %ctx.peer, from_check, msg_id = %h.msg_id, remark = ?req.remark,
                "producer ended a transaction with UNKNOW state; it will be checked back"
            );
            return None;
        }
        sys_flag::TRANSACTION_COMMIT_TYPE => {
            if from_check {
                tracing::info!(peer = %ctx.peer, msg_id = %h.msg_id, "check-back: producer commits");
            }
        }
        sys_flag::TRANSACTION_ROLLBACK_TYPE => {
            tracing::info!(peer = %ctx.peer, from_check, msg_id = %h.msg_id, remark = ?req.remark,
                "producer rolls back");
        }
        _ => return None,
    }
    let resp = decide(b, &h).await;
    Some(match resp {
        Ok(()) => RemotingCommand::response_to(req, ResponseCode::SUCCESS, None),
        Err((code, remark)) => RemotingCommand::response_to(req, code, Some(remark)),
    })
}

/// Commit or roll back the half message the header names.
async fn decide(
    b: &Arc<BrokerInner>,
    h: &EndTransactionRequestHeader,
) -> Result<(), (ResponseCode, String)> {
    let sys_err = |s: &str| (ResponseCode::SYSTEM_ERROR, s.to_owned());
    let half = b
        .store
        .look_message_by_offset(h.commit_log_offset)
        .and_then(|rec| MessageExt::decode(&rec).ok().map(|(m, _)| m))
        // Not in Java: only a half message can be committed (else any stored message could be
        // duplicated by offset).
        .filter(|m| m.topic == HALF_TOPIC)
        .ok_or_else(|| sys_err("Find prepared transaction message failed"))?;
    // `checkPrepareMessage`.
    if half.properties.get(property::PRODUCER_GROUP) != Some(h.producer_group.as_str()) {
        return Err(sys_err("The producer group wrong"));
    }
    if half.queue_offset != h.tran_state_table_offset {
        return Err(sys_err("The transaction state table offset wrong"));
    }
    if half.commit_log_offset != h.commit_log_offset {
        return Err(sys_err("The commit log offset wrong"));
    }
    let key = tx_key(&half);
    if let Some(k) = &key {
        if !b.transactions.decided.lock().insert(k) {
            tracing::info!(key = %k, half_offset = half.queue_offset,
                "transaction already decided; recording the op only");
            put_op(b, &half, key.as_deref()).await;
            return Ok(());
        }
    }
    if h.commit_or_rollback == sys_flag::TRANSACTION_COMMIT_TYPE {
        let Some(m) = end_message_transaction(&half, h.commit_log_offset) else {
            if let Some(k) = &key {
                b.transactions.decided.lock().remove(k);
            }
            return Err(sys_err(
                "The half message has no valid REAL_TOPIC / REAL_QID",
            ));
        };
        if let Err(e) = b.store.put_message(m).await {
            if let Some(k) = &key {
                b.transactions.decided.lock().remove(k);
            }
            tracing::error!(error = %e, "commit of a transactional message failed");
            return Err((
                crate::processor::store_error_code(&e),
                crate::processor::store_error_remark(&b.store, &e),
            ));
        }
    }
    put_op(b, &half, key.as_deref()).await;
    Ok(())
}

/// `EndTransactionProcessor.endMessageTransaction`: the half restored to its real queue as a
/// COMMIT record. As in Java 4.9.3 the stored properties are the half's (REAL_TOPIC, REAL_QID,
/// TRAN_MSG and PGROUP stay: Java clears them from the map after building the properties string).
fn end_message_transaction(half: &MessageExt, commit_log_offset: i64) -> Option<PutMessage> {
    let topic = half.properties.get(property::REAL_TOPIC)?.to_owned();
    let queue_id: i32 = half.properties.get(property::REAL_QUEUE_ID)?.parse().ok()?;
    Some(PutMessage {
        sys_flag: reset_transaction(half.sys_flag, sys_flag::TRANSACTION_COMMIT_TYPE),
        prepared_transaction_offset: commit_log_offset,
        ..PutMessage::from_ext(half, topic, queue_id, half.properties.encode())
    })
}

/// `addRemoveTagInTransactionOp`: op record "d" with the half's queue offset.
async fn put_op(b: &BrokerInner, half: &MessageExt, key: Option<&str>) {
    ensure_topic(b, OP_TOPIC);
    let mut props = Properties::default();
    props.insert(property::TAGS, REMOVE_TAG);
    props.insert(property::WAIT_STORE_MSG_OK, "false");
    props.insert(
        property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        rocklet_protocol::msgid::UniqIdGenerator::global().next_id(),
    );
    if let Some(k) = key {
        props.insert(OP_KEY_PROPERTY, k);
    }
    let m = PutMessage {
        topic: OP_TOPIC.to_owned(),
        queue_id: half.queue_id,
        flag: 0,
        body: Bytes::from(half.queue_offset.to_string()),
        properties: props.encode(),
        sys_flag: 0,
        born_timestamp: now_ms(),
        born_host: b.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    if let Err(e) = b.store.put_message(m).await {
        tracing::error!(error = %e, half_offset = half.queue_offset, "writing transaction op failed");
    }
}

mod check;
pub(crate) use check::{check, check_loop};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_transaction_bits() {
        let f = sys_flag::TRANSACTION_PREPARED_TYPE | sys_flag::COMPRESSED;
        assert_eq!(
            reset_transaction(f, sys_flag::TRANSACTION_NOT_TYPE),
            sys_flag::COMPRESSED
        );
        assert_eq!(
            reset_transaction(f, sys_flag::TRANSACTION_COMMIT_TYPE),
            sys_flag::COMPRESSED | sys_flag::TRANSACTION_COMMIT_TYPE
        );
    }

    #[test]
    fn decided_is_bounded() {
        let mut d = Decided::default();
        assert!(d.insert("a"));
        assert!(!d.insert("a"));
        for i in 0..DECIDED_CAPACITY {
            d.insert(&i.to_string());
        }
        assert!(!d.set.contains("a"));
        assert_eq!(d.set.len(), DECIDED_CAPACITY);
    }
}
