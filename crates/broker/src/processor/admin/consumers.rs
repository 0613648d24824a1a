//! Who consumes what, and how far behind: consumer and producer connections, consume stats
//! (per group and for the whole broker), consumers of a topic, consume time spans, cloning a
//! group's offsets.

use rocklet_protocol::body::{
    encode_consume_stats_list, encode_json, ConsumeStats, GroupList, MessageQueueData,
    OffsetWrapper, QueryConsumeTimeSpanBody, QueueTimeSpan,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;
use std::collections::BTreeSet;

use super::super::{fail, now_ms, ok, Res, B};

pub(in crate::processor) fn consumer_connection(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: ConsumerGroupHeader = req.header()?;
    Ok(match b.clients.consumer_connection(&h.consumer_group) {
        Some(c) => ok(req).with_body(encode_json(&c)),
        None => fail(
            req,
            ResponseCode::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        ),
    })
}

pub(in crate::processor) fn producer_connection(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: ProducerGroupHeader = req.header()?;
    Ok(match b.clients.producer_connection(&h.producer_group) {
        Some(c) => ok(req).with_body(encode_json(&c)),
        None => fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("the producer group[{}] not exist", h.producer_group),
        ),
    })
}

/// Which queues of a topic a stats answer walks: Java uses the read queues for one group's
/// stats and the write queues for the broker-wide list.
#[derive(Clone, Copy)]
enum Queues {
    Read,
    Write,
}

/// `ConsumeStats` of `group` over `topics` (Java `getConsumeStats` / `fetchAllConsumeStatsInBroker`).
fn consume_stats(
    b: &B,
    group: &str,
    topics: &[String],
    queues: Queues,
    only_order: bool,
) -> Option<ConsumeStats> {
    let mut cs = ConsumeStats::default();
    let mut any = false;
    for topic in topics {
        let Some(tc) = b.topics.select(topic) else {
            continue;
        };
        if (only_order && !tc.order) || b.clients.online_elsewhere(group, topic) {
            continue;
        }
        any = true;
        let n = match queues {
            Queues::Read => tc.read_queue_nums,
            Queues::Write => tc.write_queue_nums,
        };
        for q in 0..n.max(0) {
            let broker_offset = b.store.max_offset_in_queue(topic, q).max(0);
            let consumer_offset = b.offsets.query(group, topic, q).max(0);
            let last_timestamp = if consumer_offset > 0 {
                b.store
                    .message_store_time(topic, q, consumer_offset - 1)
                    .filter(|t| *t > 0)
                    .unwrap_or(0)
            } else {
                0
            };
            cs.offset_table.push((
                MessageQueueData {
                    broker_name: b.cfg.broker_name.clone(),
                    queue_id: q,
                    topic: topic.clone(),
                },
                OffsetWrapper {
                    broker_offset,
                    consumer_offset,
                    last_timestamp,
                },
            ));
        }
        cs.consume_tps += b.stats.group_get_tps(group, topic);
    }
    any.then_some(cs)
}

pub(in crate::processor) fn consume_stats_of_group(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: GetConsumeStatsRequestHeader = req.header()?;
    let topics = match h.topic.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => vec![t.to_owned()],
        _ => b.offsets.topics_of_group(&h.consumer_group),
    };
    let cs = consume_stats(b, &h.consumer_group, &topics, Queues::Read, false).unwrap_or_default();
    Ok(ok(req).with_body(cs.encode()))
}

/// GET_BROKER_CONSUME_STATS: every subscription group's consume stats, and the total lag.
pub(in crate::processor) fn broker_consume_stats(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: GetConsumeStatsInBrokerHeader = req.header()?;
    let only_order = h.is_order.unwrap_or(false);
    let mut total = 0i64;
    let mut groups = Vec::new();
    for group in b.subscriptions.group_names() {
        let mut list = Vec::new();
        for topic in b.offsets.topics_of_group(&group) {
            if let Some(cs) = consume_stats(
                b,
                &group,
                std::slice::from_ref(&topic),
                Queues::Write,
                only_order,
            ) {
                total += cs.total_diff();
                list.push(cs);
            }
        }
        groups.push((group, list));
    }
    Ok(ok(req).with_body(encode_consume_stats_list(&b.addr, &groups, total)))
}

/// QUERY_TOPIC_CONSUME_BY_WHO: groups online on the topic plus groups with offsets for it.
pub(in crate::processor) fn consumed_by_who(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: TopicOnlyHeader = req.header()?;
    let mut groups: BTreeSet<String> = b.clients.groups_consuming(&h.topic).into_iter().collect();
    groups.extend(b.offsets.groups_of_topic(&h.topic));
    Ok(ok(req).with_body(encode_json(&GroupList {
        group_list: groups.into_iter().collect(),
    })))
}

/// `UtilAll.formatDate(ts, "yyyy-MM-dd#HH:mm:ss:SSS")` (UTC).
fn format_java_date(ts: i64) -> String {
    rocklet_protocol::time::format_millis(ts, '#', ':')
}

/// QUERY_CONSUME_TIME_SPAN: per write queue, the first, last and last consumed store times.
pub(in crate::processor) fn consume_time_span(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: QueryConsumeTimeSpanRequestHeader = req.header()?;
    let Some(tc) = b.topics.select(&h.topic) else {
        return Ok(fail(
            req,
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let now = now_ms();
    let mut spans = Vec::new();
    for q in 0..tc.write_queue_nums.max(0) {
        let time_at = |off: i64| b.store.message_store_time(&h.topic, q, off).unwrap_or(-1);
        let min_t = b.store.earliest_message_time(&h.topic, q).unwrap_or(-1);
        let max = b.store.max_offset_in_queue(&h.topic, q);
        let max_t = if max > 0 { time_at(max - 1) } else { -1 };
        let consumer_offset = b.offsets.query(&h.group, &h.topic, q);
        let consume_t = if consumer_offset > 0 {
            time_at(consumer_offset - 1)
        } else {
            min_t
        };
        let delay = if consumer_offset < max {
            now - time_at(consumer_offset)
        } else {
            0
        };
        spans.push(QueueTimeSpan {
            consume_time_stamp: consume_t,
            consume_time_stamp_str: format_java_date(consume_t),
            delay_time: delay,
            max_time_stamp: max_t,
            max_time_stamp_str: format_java_date(max_t),
            message_queue: MessageQueueData {
                broker_name: b.cfg.broker_name.clone(),
                queue_id: q,
                topic: h.topic.clone(),
            },
            min_time_stamp: min_t,
            min_time_stamp_str: format_java_date(min_t),
        });
    }
    Ok(ok(req).with_body(encode_json(&QueryConsumeTimeSpanBody {
        consume_time_span_set: spans,
    })))
}

/// CLONE_GROUP_OFFSET. Java 4.9.3 clones the header's topic only (with no topic it clones
/// nothing); Rocklet clones each topic it walks, which is what the tool asks for.
pub(in crate::processor) fn clone_group_offset(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    let h: CloneGroupOffsetRequestHeader = req.header()?;
    let topics = match h.topic.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => vec![t.to_owned()],
        _ => b.offsets.topics_of_group(&h.src_group),
    };
    for topic in topics {
        if b.topics.select(&topic).is_none() {
            continue;
        }
        if !h.offline.unwrap_or(false) && b.clients.online_elsewhere(&h.src_group, &topic) {
            continue;
        }
        b.offsets.clone_offsets(&h.src_group, &h.dest_group, &topic);
    }
    Ok(ok(req))
}
