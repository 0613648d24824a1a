//! The transaction check service (`TransactionalMessageCheckService`): every
//! `transactionCheckInterval`, half messages old enough and still undecided are checked back
//! with their producer (CHECK_TRANSACTION_STATE), put back for a later round, or discarded
//! after `transactionCheckMax` checks.

use super::*;
use crate::queue_cursor::{Item, QueueCursor};
use crate::BrokerInner;
use bytes::BytesMut;
use rocklet_protocol::header::CheckTransactionStateRequestHeader;
use rocklet_protocol::message::{property, MessageExt};
use rocklet_protocol::time::now_ms;
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_store::PutMessage;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

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
    // One half at a time: most are skipped by their op before being read.
    let mut halves = QueueCursor::new(&b.store, HALF_TOPIC, 0, half_offset, 1);
    let mut new_offset = half_offset;
    let mut checked = 0usize;
    while halves.offset < half_max && start.elapsed() < MAX_PROCESS_TIME {
        // A round may walk many halves that need no await: let the worker serve others.
        if (halves.offset - half_offset) % 64 == 63 {
            tokio::task::yield_now().await;
        }
        if let Some(op) = remove.remove(&halves.offset) {
            done_ops.push(op);
            halves.skip_to(halves.offset + 1);
            new_offset = halves.offset;
            continue;
        }
        let mut msg = match halves.next_item() {
            Item::Message { msg, .. } => msg,
            Item::End => break,
            Item::Unreadable { offset, error } => {
                tracing::error!(offset, %error, "unreadable half message skipped");
                new_offset = halves.offset;
                continue;
            }
            Item::Corrected { .. } => {
                new_offset = halves.offset;
                continue;
            }
        };
        // Not in Java: a copy of an already decided transaction needs no check.
        if tx_key(&msg).is_some_and(|k| b.transactions.is_decided(&k)) {
            new_offset = halves.offset;
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
            new_offset = halves.offset;
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
        new_offset = halves.offset;
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
        prepared_transaction_offset: msg.prepared_transaction_offset,
        ..PutMessage::from_ext(msg, msg.topic.clone(), msg.queue_id, props.encode())
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
    if !tx.try_send(cmd.encode_to_bytes()) {
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
    let m = PutMessage::from_ext(msg, CHECK_MAX_TIME_TOPIC, 0, props.encode());
    if let Err(e) = b.store.put_message(m).await {
        tracing::error!(error = %e, "put to {CHECK_MAX_TIME_TOPIC} failed");
    }
}
