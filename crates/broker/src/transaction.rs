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

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use rocklet_protocol::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rocklet_protocol::message::{property, sys_flag, MessageExt, Properties};
use rocklet_protocol::route::perm;
use rocklet_protocol::time::now_ms;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::{GetStatus, PutMessage};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

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
    let mut off = from;
    while off < to {
        let got = b.store.get_message(OP_TOPIC, 0, off, 32, None);
        if got.messages.is_empty() && got.next_begin_offset <= off {
            break;
        }
        for rec in &got.messages {
            if let Ok((m, _)) = MessageExt::decode(rec) {
                if m.queue_offset < to {
                    f(m);
                }
            }
        }
        off = got.next_begin_offset;
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
pub(crate) fn to_half(b: &BrokerInner, m: &mut PutMessage) {
    ensure_topic(b, HALF_TOPIC);
    let mut props = Properties::decode(&m.properties);
    props.insert(property::REAL_TOPIC, m.topic.clone());
    props.insert(property::REAL_QUEUE_ID, m.queue_id.to_string());
    m.properties = props.encode();
    m.sys_flag = reset_transaction(m.sys_flag, sys_flag::TRANSACTION_NOT_TYPE);
    m.topic = HALF_TOPIC.to_owned();
    m.queue_id = 0;
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
            return Err((crate::processor::store_error_code(&e), e.to_string()));
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
        topic,
        queue_id,
        flag: half.flag,
        body: half.raw_body.clone(),
        properties: half.properties.encode(),
        sys_flag: reset_transaction(half.sys_flag, sys_flag::TRANSACTION_COMMIT_TYPE),
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: commit_log_offset,
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

/// `TransactionalMessageCheckService`: a check round every `transactionCheckInterval`.
pub(crate) async fn check_loop(b: Arc<BrokerInner>, mut rx: watch::Receiver<bool>) {
    let period = Duration::from_millis(b.cfg.transaction_check_interval.max(10));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = rx.changed() => return,
        }
        check(&b).await;
    }
}

/// Consumer offset of the check group, or the queue's min offset (`fetchConsumeOffset`).
fn fetch_offset(b: &BrokerInner, topic: &str) -> i64 {
    let o = b.offsets.query(TRANS_GROUP, topic, 0);
    if o >= 0 {
        o
    } else {
        b.store.min_offset_in_queue(topic, 0)
    }
}

/// One message of a queue at `offset`: the message, or where to go on from.
fn get_one(b: &BrokerInner, topic: &str, offset: i64) -> Result<(MessageExt, Bytes), Option<i64>> {
    let got = b.store.get_message(topic, 0, offset, 1, None);
    match got.status {
        GetStatus::Found => match got.messages.first() {
            Some(rec) => match MessageExt::decode(rec) {
                Ok((m, _)) => Ok((m, rec.clone())),
                Err(_) => Err(Some(offset + 1)),
            },
            None => Err(Some(got.next_begin_offset.max(offset + 1))),
        },
        GetStatus::NoMessageInQueue | GetStatus::OffsetOverflowOne => Err(None),
        _ => Err(Some(got.next_begin_offset.max(offset + 1))),
    }
}

/// One check round (`TransactionalMessageServiceImpl.check`, queue 0 only, as Rocklet has one
/// half queue).
pub(crate) async fn check(b: &Arc<BrokerInner>) {
    let _g = b.transactions.check_lock.lock().await;
    let start = Instant::now();
    let start_ms = now_ms();
    let half_max = b.store.max_offset_in_queue(HALF_TOPIC, 0);
    let half_offset = fetch_offset(b, HALF_TOPIC);
    if half_offset >= half_max {
        return;
    }
    let op_offset = fetch_offset(b, OP_TOPIC);
    // Ops from the last processed one: half offset -> op offset (`fillOpRemoveMap`, all at once).
    let mut remove = std::collections::HashMap::<i64, i64>::new();
    let mut done_ops: Vec<i64> = Vec::new();
    let op_max = b
        .store
        .max_offset_in_queue(OP_TOPIC, 0)
        .min(op_offset + MAX_OPS_PER_ROUND);
    for_each_op(b, op_offset, op_max, |m| {
        let half_q = std::str::from_utf8(&m.raw_body)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(-1);
        if m.tags() != Some(REMOVE_TAG) {
            tracing::error!(op_offset = m.queue_offset, "unknown transaction op tag");
            done_ops.push(m.queue_offset);
        } else if half_q < half_offset {
            done_ops.push(m.queue_offset);
        } else {
            remove.insert(half_q, m.queue_offset);
        }
    });
    let timeout = b.cfg.transaction_time_out as i64;
    let check_max = b.cfg.transaction_check_max;
    let mut i = half_offset;
    let mut new_offset = half_offset;
    let mut checked = 0usize;
    while i < half_max && start.elapsed() < MAX_PROCESS_TIME {
        if let Some(op) = remove.remove(&i) {
            done_ops.push(op);
            i += 1;
            new_offset = i;
            continue;
        }
        let mut msg = match get_one(b, HALF_TOPIC, i) {
            Ok((m, _)) => m,
            Err(None) => break,
            Err(Some(next)) => {
                i = next;
                new_offset = i;
                continue;
            }
        };
        // Not in Java: a copy of an already decided transaction needs no check.
        if tx_key(&msg).is_some_and(|k| b.transactions.is_decided(&k)) {
            i += 1;
            new_offset = i;
            continue;
        }
        // `needDiscard`: the first check sets TRANSACTION_CHECK_TIMES to 1.
        let times = msg
            .properties
            .get(property::TRANSACTION_CHECK_TIMES)
            .map(|s| s.parse::<i32>().unwrap_or(-1));
        let discard = match times {
            Some(t) if t >= check_max => true,
            Some(t) => {
                msg.properties
                    .insert(property::TRANSACTION_CHECK_TIMES, (t + 1).to_string());
                false
            }
            None => {
                msg.properties
                    .insert(property::TRANSACTION_CHECK_TIMES, "1");
                false
            }
        };
        if discard {
            resolve_discard(b, &msg).await;
            i += 1;
            new_offset = i;
            continue;
        }
        if msg.store_timestamp >= start_ms {
            break;
        }
        let age = now_ms() - msg.born_timestamp;
        let immunity = match msg
            .properties
            .get(property::CHECK_IMMUNITY_TIME_IN_SECONDS)
            .map(|s| s.trim().parse::<i64>().unwrap_or(-1))
        {
            Some(-1) | None => timeout,
            Some(secs) => secs.saturating_mul(1000),
        };
        if (0..immunity).contains(&age) {
            // Too young: every later half is younger still (Java breaks here too; a half with
            // its own immunity time is not moved to the back as Java does).
            break;
        }
        // `putBackHalfMsgQueue` then `resolveHalfMsg`.
        match put_back(b, &msg).await {
            Some(copy) => {
                send_check(b, copy);
                checked += 1;
            }
            None => break,
        }
        i += 1;
        new_offset = i;
    }
    if new_offset != half_offset {
        b.offsets.commit(TRANS_GROUP, HALF_TOPIC, 0, new_offset);
    }
    // `calculateOpOffset`: advance over the contiguous done ops.
    done_ops.sort_unstable();
    let mut new_op = op_offset;
    for d in done_ops {
        if d == new_op {
            new_op += 1;
        } else if d > new_op {
            break;
        }
    }
    if new_op != op_offset {
        b.offsets.commit(TRANS_GROUP, OP_TOPIC, 0, new_op);
    }
    if checked > 0 || new_offset != half_offset {
        tracing::info!(
            half_from = half_offset,
            half_to = new_offset,
            op_from = op_offset,
            op_to = new_op,
            checked,
            "transaction check round"
        );
    }
}

/// Re-put a half message (`renewHalfMessageInner`); returns the stored copy.
async fn put_back(b: &BrokerInner, msg: &MessageExt) -> Option<MessageExt> {
    let mut props = msg.properties.clone();
    props.insert(property::WAIT_STORE_MSG_OK, "false");
    let m = PutMessage {
        topic: msg.topic.clone(),
        queue_id: msg.queue_id,
        flag: msg.flag,
        body: msg.raw_body.clone(),
        properties: props.encode(),
        sys_flag: msg.sys_flag,
        born_timestamp: msg.born_timestamp,
        born_host: msg.born_host,
        reconsume_times: msg.reconsume_times,
        prepared_transaction_offset: msg.prepared_transaction_offset,
    };
    match b.store.put_message(m).await {
        Ok(r) => {
            let rec = b.store.look_message_by_offset(r.wrote_offset)?;
            MessageExt::decode(&rec).ok().map(|(m, _)| m)
        }
        Err(e) => {
            tracing::error!(error = %e, "put back of a half message failed");
            None
        }
    }
}

/// `sendCheckMessage` + `Broker2Client.checkProducerTransactionState`: CHECK_TRANSACTION_STATE
/// oneway to a live producer of the half's group; the body is the half record with its real
/// topic and queue restored.
fn send_check(b: &BrokerInner, mut msg: MessageExt) {
    let uniq = msg
        .properties
        .get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
        .map(str::to_owned);
    let header = CheckTransactionStateRequestHeader {
        tran_state_table_offset: msg.queue_offset,
        commit_log_offset: msg.commit_log_offset,
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(msg.offset_msg_id()),
    };
    if let Some(t) = msg.properties.get(property::REAL_TOPIC) {
        msg.topic = t.to_owned();
    }
    if let Some(q) = msg
        .properties
        .get(property::REAL_QUEUE_ID)
        .and_then(|q| q.parse().ok())
    {
        msg.queue_id = q;
    }
    let group = msg
        .properties
        .get(property::PRODUCER_GROUP)
        .unwrap_or_default()
        .to_owned();
    let Some(tx) = b.clients.producer_channel(&group) else {
        tracing::warn!(group = %group, "check transaction failed: no live producer of the group");
        return;
    };
    let mut body = BytesMut::new();
    if let Err(e) = msg.encode(&mut body) {
        tracing::warn!(group = %group, error = %e, "check transaction failed: cannot encode the half message");
        return;
    }
    let mut cmd = RemotingCommand::request(RequestCode::CHECK_TRANSACTION_STATE, &header)
        .with_body(body.freeze());
    cmd.mark_oneway();
    if tx.try_send(cmd.encode_to_bytes()).is_err() {
        tracing::warn!(group = %group, "check transaction failed: producer connection busy or closed");
    }
}

/// `DefaultTransactionalMessageCheckListener.resolveDiscardMsg`: checked too often; moved to
/// TRANS_CHECK_MAX_TIME_TOPIC.
async fn resolve_discard(b: &BrokerInner, msg: &MessageExt) {
    tracing::error!(
        uniq_key = ?msg.properties.get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX),
        real_topic = ?msg.properties.get(property::REAL_TOPIC),
        half_offset = msg.queue_offset,
        "half message checked too many times; discarded to {CHECK_MAX_TIME_TOPIC}"
    );
    ensure_topic(b, CHECK_MAX_TIME_TOPIC);
    let mut props = msg.properties.clone();
    props.insert(property::WAIT_STORE_MSG_OK, "false");
    let m = PutMessage {
        topic: CHECK_MAX_TIME_TOPIC.to_owned(),
        queue_id: 0,
        flag: msg.flag,
        body: msg.raw_body.clone(),
        properties: props.encode(),
        sys_flag: msg.sys_flag,
        born_timestamp: msg.born_timestamp,
        born_host: msg.born_host,
        reconsume_times: msg.reconsume_times,
        prepared_transaction_offset: 0,
    };
    if let Err(e) = b.store.put_message(m).await {
        tracing::error!(error = %e, "put to {CHECK_MAX_TIME_TOPIC} failed");
    }
}

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
