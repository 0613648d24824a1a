//! `AdminBrokerProcessor`, by subject: topics, subscription groups, consumers, runtime
//! information; here the queue offset and time lookups and orderly consumers' queue locks.

use rocklet_protocol::body::{
    decode_json, encode_json, LockBatchRequestBody, LockBatchResponseBody,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

pub(super) mod acl;
pub(super) mod clients;
pub(super) mod config;
pub(super) mod consumers;
pub(super) mod groups;
pub(super) mod runtime;
pub(super) mod topics;

use super::{fail, ok, Res, B};

pub(super) fn max_offset(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: QueueRequestHeader = req.header()?;
    let offset = b.store.max_offset_in_queue(&h.topic, h.queue_id);
    Ok(ok(req).with_header(&OffsetResponseHeader { offset }))
}

pub(super) fn min_offset(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: QueueRequestHeader = req.header()?;
    let offset = b.store.min_offset_in_queue(&h.topic, h.queue_id);
    Ok(ok(req).with_header(&OffsetResponseHeader { offset }))
}

pub(super) fn earliest_msg_store_time(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: QueueRequestHeader = req.header()?;
    let timestamp = b
        .store
        .earliest_message_time(&h.topic, h.queue_id)
        .unwrap_or(-1);
    Ok(ok(req).with_header(&TimestampResponseHeader { timestamp }))
}

pub(super) fn search_offset_by_timestamp(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: SearchOffsetRequestHeader = req.header()?;
    let offset = b
        .store
        .offset_in_queue_by_time(&h.topic, h.queue_id, h.timestamp);
    Ok(ok(req).with_header(&OffsetResponseHeader { offset }))
}

/// The group and client of a lock / unlock body, both required.
fn lock_owner(body: &LockBatchRequestBody) -> Result<(&str, &str), &'static str> {
    match (body.consumer_group.as_deref(), body.client_id.as_deref()) {
        (Some(g), Some(c)) if !g.is_empty() && !c.is_empty() => Ok((g, c)),
        _ => Err("lock body needs consumerGroup and clientId"),
    }
}

/// LOCK_BATCH_MQ (Java `lockBatchMQ`): the queues granted to the asking client; a queue
/// another live client of the group holds is left out.
pub(super) fn lock_batch(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let body: LockBatchRequestBody = decode_json(req.body_bytes())?;
    let (group, client) = match lock_owner(&body) {
        Ok(x) => x,
        Err(why) => return Ok(fail(req, ResponseCode::SYSTEM_ERROR, why)),
    };
    let granted = b.locks.try_lock_batch(group, &body.mq_set, client);
    Ok(ok(req).with_body(encode_json(&LockBatchResponseBody {
        lock_ok_m_q_set: granted,
    })))
}

/// UNLOCK_BATCH_MQ (Java `unlockBatchMQ`): releases the asking client's locks.
pub(super) fn unlock_batch(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let body: LockBatchRequestBody = decode_json(req.body_bytes())?;
    let (group, client) = match lock_owner(&body) {
        Ok(x) => x,
        Err(why) => return Ok(fail(req, ResponseCode::SYSTEM_ERROR, why)),
    };
    b.locks.unlock_batch(group, &body.mq_set, client);
    Ok(ok(req))
}

/// RESUME_CHECK_HALF_MESSAGE: put a copy of the message named by its offset msgId back into
/// the half topic with its check count reset, so the transaction check asks about it again.
pub(super) fn resume_check_half_message<'a>(
    b: &'a B,
    _ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> super::BoxFuture<'a, Option<Res>> {
    Box::pin(async move {
        let h: ResumeCheckHalfMessageRequestHeader = match req.header() {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        const THROWN: &str =
            "Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC.";
        let found = h
            .msg_id
            .as_deref()
            .and_then(rocklet_protocol::msgid::decode_offset_msg_id)
            .and_then(|(_, off)| b.store.look_message_by_offset(off))
            .and_then(|rec| rocklet_protocol::message::MessageExt::decode(&rec).ok());
        let Some((m, _)) = found else {
            return Some(Ok(fail(req, ResponseCode::SYSTEM_ERROR, THROWN)));
        };
        let mut props = m.properties.clone();
        props.insert(
            rocklet_protocol::message::property::TRANSACTION_CHECK_TIMES,
            "0",
        );
        crate::transaction::ensure_topic(b, crate::transaction::HALF_TOPIC);
        let put = rocklet_store::PutMessage::from_ext(
            &m,
            crate::transaction::HALF_TOPIC,
            0,
            props.encode(),
        );
        Some(Ok(match b.store.put_message(put).await {
            Ok(_) => ok(req),
            Err(e) => {
                tracing::warn!(error = %e, "resume check half message failed");
                fail(
                    req,
                    ResponseCode::SYSTEM_ERROR,
                    "Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.",
                )
            }
        }))
    })
}
