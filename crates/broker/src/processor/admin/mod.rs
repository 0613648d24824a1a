//! `AdminBrokerProcessor`: topics, queue offsets and times, runtime information, orderly
//! consumers' queue locks.

use rocklet_protocol::body::{
    decode_json, encode_json, KvTable, LockBatchRequestBody, LockBatchResponseBody, TopicConfig,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;

pub(super) mod groups;

use super::{fail, now_ms, ok, BoxFuture, Res, B};
use crate::topic::validate_topic;

/// UPDATE_AND_CREATE_TOPIC. Java (`registerIncrementBrokerData`) registers with the name
/// servers before answering, so a client can use the topic's route as soon as createTopic
/// returns.
pub(super) fn create_topic<'a>(
    b: &'a B,
    _ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move {
        let r = update_topic(b, req);
        if matches!(&r, Ok(resp) if resp.code == ResponseCode::SUCCESS.as_i32()) {
            crate::register::register_all(b).await;
        }
        Some(r)
    })
}

pub(super) fn delete_topic(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: TopicRequestHeader = req.header()?;
    b.topics.delete(&h.topic);
    b.register_now.notify_one();
    Ok(ok(req))
}

pub(super) fn all_topic_config(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    Ok(ok(req).with_body(encode_json(&b.topics.snapshot())))
}

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

fn update_topic(b: &B, req: &RemotingCommand) -> Res {
    let h: CreateTopicRequestHeader = req.header()?;
    // Java `updateAndCreateTopic`: `validateTopic`, then `isSystemTopic`, both SYSTEM_ERROR.
    if let Some(why) = validate_topic(&h.topic) {
        return Ok(fail(req, ResponseCode::SYSTEM_ERROR, why));
    }
    if crate::topic::is_system_topic(&h.topic, &b.cfg) {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("The topic[{}] is conflict with system topic.", h.topic),
        ));
    }
    // Not in Java: bounded queue counts keep registrations and consume queues sane.
    if h.read_queue_nums < 0
        || h.write_queue_nums < 0
        || h.read_queue_nums > 1024
        || h.write_queue_nums > 1024
    {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            "readQueueNums and writeQueueNums must be between 0 and 1024",
        ));
    }
    let tc = TopicConfig {
        topic_name: h.topic.clone(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: h.topic_filter_type.clone(),
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order,
    };
    b.topics.update(tc);
    Ok(ok(req))
}

pub(super) fn runtime_info(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let mut t = KvTable::default();
    let s = &b.store;
    let kv = [
        ("brokerVersionDesc", "V4_9_3".to_string()),
        (
            "brokerVersion",
            rocklet_protocol::ROCKETMQ_VERSION_4_9_3.to_string(),
        ),
        ("commitLogMinOffset", s.commit_log_min_offset().to_string()),
        ("commitLogMaxOffset", s.commit_log_max_offset().to_string()),
        (
            "bootTimestamp",
            (now_ms() - b.started.elapsed().as_millis() as i64).to_string(),
        ),
        (
            "runtime",
            format!("[ {} seconds ]", b.started.elapsed().as_secs()),
        ),
        ("msgPutTotalTodayNow", "0".into()),
        ("msgGetTotalTodayNow", "0".into()),
        ("msgPutTotalYesterdayMorning", "0".into()),
        ("msgPutTotalTodayMorning", "0".into()),
        ("msgGetTotalYesterdayMorning", "0".into()),
        ("msgGetTotalTodayMorning", "0".into()),
        ("putTps", "0.0 0.0 0.0".into()),
        ("getTransferedTps", "0.0 0.0 0.0".into()),
        ("brokerName", b.cfg.broker_name.clone()),
        (
            "storePathRootDir",
            b.cfg.store_path_root_dir.display().to_string(),
        ),
    ];
    for (k, v) in kv {
        t.table.insert(k.into(), v);
    }
    Ok(ok(req).with_body(encode_json(&t)))
}
