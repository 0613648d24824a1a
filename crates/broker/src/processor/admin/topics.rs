//! Topics as the broker holds them: create, delete, list, one topic's config and stats, the
//! system topics, consume-queue dumps and clean-ups.

use rocklet_protocol::body::{
    encode_json, encode_topic_stats, ConsumeQueueData, MessageQueueData,
    QueryConsumeQueueResponseBody, TopicConfig, TopicList, TopicOffset,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;
use std::collections::HashSet;

use super::super::{fail, ok, BoxFuture, Res, B};
use crate::topic::{validate_topic, SCHEDULE_TOPIC};

/// UPDATE_AND_CREATE_TOPIC. Java (`registerIncrementBrokerData`) registers with the name
/// servers before answering, so a client can use the topic's route as soon as createTopic
/// returns.
pub(in crate::processor) fn create<'a>(
    b: &'a B,
    ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move {
        let r = update(b, ctx, req);
        if matches!(&r, Ok(resp) if resp.code == ResponseCode::SUCCESS.as_i32()) {
            crate::register::register_all(b).await;
        }
        Some(r)
    })
}

fn update(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
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
    if !(0..=1024).contains(&h.read_queue_nums) || !(0..=1024).contains(&h.write_queue_nums) {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            "readQueueNums and writeQueueNums must be between 0 and 1024",
        ));
    }
    tracing::info!(topic = %h.topic, peer = %ctx.peer, "update topic");
    b.topics.update(TopicConfig {
        topic_name: h.topic.clone(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: h.topic_filter_type.clone(),
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order,
    });
    Ok(ok(req))
}

pub(in crate::processor) fn delete(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: TopicRequestHeader = req.header()?;
    tracing::info!(topic = %h.topic, peer = %ctx.peer, "delete topic");
    b.topics.delete(&h.topic);
    // Java `deleteTopic` also drops the topic's consume queues and counters.
    b.store.clean_unused_topics(|t| t != h.topic);
    b.register_now.notify_one();
    Ok(ok(req))
}

pub(in crate::processor) fn all_config(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    Ok(ok(req).with_body(encode_json(&b.topics.snapshot())))
}

/// GET_TOPIC_CONFIG (5.x admin library): one topic's config.
pub(in crate::processor) fn config(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: TopicOnlyHeader = req.header()?;
    Ok(match b.topics.select(&h.topic) {
        Some(tc) => ok(req).with_body(encode_json(&tc)),
        None => fail(
            req,
            ResponseCode::TOPIC_NOT_EXIST,
            format!("No topic in this broker. topic: {}", h.topic),
        ),
    })
}

/// GET_TOPIC_STATS_INFO: min and max offset and last store time of every write queue.
pub(in crate::processor) fn stats(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: TopicOnlyHeader = req.header()?;
    let Some(tc) = b.topics.select(&h.topic) else {
        return Ok(fail(
            req,
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let mut table = Vec::new();
    for q in 0..tc.write_queue_nums.max(0) {
        let min_offset = b.store.min_offset_in_queue(&h.topic, q).max(0);
        let max_offset = b.store.max_offset_in_queue(&h.topic, q).max(0);
        let last_update_timestamp = if max_offset > 0 {
            b.store
                .message_store_time(&h.topic, q, max_offset - 1)
                .unwrap_or(-1)
        } else {
            0
        };
        table.push((
            MessageQueueData {
                broker_name: b.cfg.broker_name.clone(),
                queue_id: q,
                topic: h.topic.clone(),
            },
            TopicOffset {
                last_update_timestamp,
                max_offset,
                min_offset,
            },
        ));
    }
    Ok(ok(req).with_body(encode_topic_stats(&table)))
}

pub(in crate::processor) fn system_topics(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    Ok(ok(req).with_body(encode_json(&TopicList {
        broker_addr: None,
        topic_list: crate::topic::system_topics(&b.cfg),
    })))
}

/// CLEAN_EXPIRED_CONSUMEQUEUE: drop consume queues whose messages are all gone from the log.
pub(in crate::processor) fn clean_expired_cq(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let n = b
        .store
        .clean_expired_consume_queues(|t| t == SCHEDULE_TOPIC);
    tracing::info!(peer = %ctx.peer, removed = n, "clean expired consume queues");
    Ok(ok(req))
}

/// CLEAN_UNUSED_TOPIC: drop consume queues of topics the broker no longer has.
pub(in crate::processor) fn clean_unused_topic(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let keep: HashSet<String> = b.topics.topic_names().into_iter().collect();
    // Java keeps SCHEDULE_TOPIC_XXXX, the transaction op topic and LMQ queues; Rocklet keeps
    // every system topic (its half-message topic included) whether or not it has a config.
    let n = b.store.clean_unused_topics(|t| {
        keep.contains(t) || crate::topic::is_system_topic(t, &b.cfg) || t.starts_with("%LMQ%")
    });
    tracing::info!(peer = %ctx.peer, removed = n, "clean unused topics");
    Ok(ok(req))
}

/// QUERY_CONSUME_QUEUE: raw consume-queue entries of one queue.
pub(in crate::processor) fn query_consume_queue(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: QueryConsumeQueueRequestHeader = req.header()?;
    // A dump is for reading by a person: at most a thousand entries per call.
    let count = h.count.clamp(0, 1000) as usize;
    let Some((min, max, entries)) = b
        .store
        .consume_queue_entries(&h.topic, h.queue_id, h.index, count)
    else {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("{}@{} is not exist!", h.queue_id, h.topic),
        ));
    };
    let mut body = QueryConsumeQueueResponseBody {
        max_queue_index: max,
        min_queue_index: min,
        ..Default::default()
    };
    if let Some(group) = &h.consumer_group {
        match b.clients.subscription(group, &h.topic).flatten() {
            Some(sd) => {
                body.subscription_data = Some(sd);
                // Java prints its consumer-filter entry, `null` for TAG subscriptions.
                body.filter_data = Some("null".into());
            }
            None => body.filter_data = Some(format!("{group}@{} is not online!", h.topic)),
        }
    }
    // Java answers SUCCESS with its placeholder remark here (the handler sets only the code).
    let mut resp = RemotingCommand::response_to(
        req,
        ResponseCode::SUCCESS,
        Some("not set any response code".into()),
    );
    if h.index < min || h.index >= max {
        resp.remark = Some(format!(
            "Index {} of {}@{} is not exist!",
            h.index, h.queue_id, h.topic
        ));
        return Ok(resp);
    }
    body.queue_data = Some(
        entries
            .into_iter()
            .map(|e| ConsumeQueueData {
                eval: false,
                physic_offset: e.commit_log_offset,
                physic_size: e.size,
                tags_code: e.tags_code,
            })
            .collect(),
    );
    Ok(resp.with_body(encode_json(&body)))
}
