//! `PullMessageProcessor`: PULL_MESSAGE with tag filtering and long polling.

use rocklet_protocol::header::*;
use rocklet_protocol::message::java_string_hash;
use rocklet_protocol::route::perm;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::GetStatus;
use std::collections::HashSet;
use std::time::Duration;

use super::{concat, fail, B};

/// `PullSysFlag` bits.
const FLAG_COMMIT_OFFSET: i32 = 0x1;
const FLAG_SUSPEND: i32 = 0x2;
const FLAG_SUBSCRIPTION: i32 = 0x4;

pub(super) fn pull_message(b: &B, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
    pull(b, ctx, req, true)
}

/// A held pull run again (woken or its wait ended): never suspended, never commits.
pub(super) fn pull_again(b: &B, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
    pull(b, ctx, req, false)
}

fn pull(
    b: &B,
    ctx: &ConnCtx,
    req: RemotingCommand,
    allow_suspend: bool,
) -> Option<RemotingCommand> {
    let h: PullMessageRequestHeader = match req.header() {
        Ok(h) => h,
        Err(e) => return Some(fail(&req, ResponseCode::SYSTEM_ERROR, e.to_string())),
    };
    // Java checks the group before the topic.
    let Some(consume_enable) = b.subscriptions.consume_enable(&h.consumer_group) else {
        return Some(fail(
            &req,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!(
                "subscription group [{}] does not exist, \nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                h.consumer_group
            ),
        ));
    };
    if !consume_enable {
        return Some(fail(
            &req,
            ResponseCode::NO_PERMISSION,
            format!("subscription group no permission, {}", h.consumer_group),
        ));
    }
    let Some(tc) = b.topics.select(&h.topic) else {
        return Some(fail(
            &req,
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!\nSee http://rocketmq.apache.org/docs/faq/ for further details.", h.topic),
        ));
    };
    if !perm::is_readable(tc.perm) {
        return Some(fail(
            &req,
            ResponseCode::NO_PERMISSION,
            format!("the topic[{}] pulling message is forbidden", h.topic),
        ));
    }
    if h.queue_id < 0 || h.queue_id >= tc.read_queue_nums {
        return Some(fail(
            &req,
            ResponseCode::SYSTEM_ERROR,
            format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                h.queue_id, h.topic, tc.read_queue_nums, ctx.peer
            ),
        ));
    }
    let sub = match subscription(b, &h) {
        Ok(s) => s,
        Err((code, remark)) => return Some(fail(&req, code, remark)),
    };
    let tags = match &sub {
        Sub::Tags(expression) => tag_codes(expression),
        Sub::Sql(_) => None,
    };
    // Java commits only on the first run (`brokerAllowSuspend && hasCommitOffsetFlag`): a held
    // pull run again later must not move the offset back to what it carried.
    if allow_suspend && h.sys_flag & FLAG_COMMIT_OFFSET != 0 && h.commit_offset >= 0 {
        b.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    let max = h.max_msg_nums.clamp(1, b.cfg.max_transfer_count.max(1));
    let filter = tags
        .as_ref()
        .map(|set| move |code: i64| set.contains(&code));
    let sql = match &sub {
        Sub::Sql(Some(expr)) => {
            Some(move |record: &[u8]| crate::filter::matches_record(expr, record))
        }
        _ => None,
    };
    let tag_filter = filter.as_ref().map(|f| f as &dyn Fn(i64) -> bool);
    let record_filter = sql.as_ref().map(|f| f as &dyn Fn(&[u8]) -> bool);
    let got = b.store.get_message_filtered(
        &h.topic,
        h.queue_id,
        h.queue_offset,
        max,
        tag_filter,
        record_filter,
    );
    let code = match got.status {
        GetStatus::Found => ResponseCode::SUCCESS,
        GetStatus::NoMessageInQueue | GetStatus::NoMatchedLogicQueue => {
            if h.queue_offset != 0 {
                ResponseCode::PULL_OFFSET_MOVED
            } else {
                ResponseCode::PULL_NOT_FOUND
            }
        }
        GetStatus::OffsetFoundNull | GetStatus::OffsetOverflowOne => ResponseCode::PULL_NOT_FOUND,
        GetStatus::OffsetOverflowBadly | GetStatus::OffsetTooSmall => {
            ResponseCode::PULL_OFFSET_MOVED
        }
        #[allow(unreachable_patterns)]
        _ => ResponseCode::PULL_RETRY_IMMEDIATELY,
    };
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: got.next_begin_offset,
        min_offset: got.min_offset,
        max_offset: got.max_offset,
    };
    if code == ResponseCode::SUCCESS && got.messages.is_empty() {
        // Every message in range was filtered out: tell the client to go on from next offset.
        return Some(
            RemotingCommand::response_to(&req, ResponseCode::PULL_RETRY_IMMEDIATELY, None)
                .with_header(&header),
        );
    }
    if code == ResponseCode::PULL_NOT_FOUND && allow_suspend && h.sys_flag & FLAG_SUSPEND != 0 {
        // Java's `PullRequestHoldService`: held until a put reaches this queue past the
        // offset or the wait ends, then run again without suspension.
        let wait = if b.cfg.long_polling_enable {
            Duration::from_millis(h.suspend_timeout_millis.clamp(0, 60_000) as u64)
        } else {
            Duration::from_millis(b.cfg.short_polling_time_mills)
        };
        match b
            .hold
            .hold(ctx.clone(), req, &h.topic, h.queue_id, h.queue_offset, wait)
        {
            Ok(()) => {
                // A put that landed between the read above and the hold found nothing to wake.
                let max = b.store.max_offset_in_queue(&h.topic, h.queue_id);
                if max > h.queue_offset {
                    b.hold.arrived(&h.topic, h.queue_id, max);
                }
                return None;
            }
            Err(refused) => {
                let (why, req) = *refused;
                tracing::debug!(peer = %ctx.peer, ?why, "pull not held: cap reached, answered now");
                return Some(RemotingCommand::response_to(&req, code, None).with_header(&header));
            }
        }
    }
    let mut resp = RemotingCommand::response_to(&req, code, None).with_header(&header);
    if code == ResponseCode::SUCCESS {
        let bytes: usize = got.messages.iter().map(|m| m.len()).sum();
        b.stats.got(
            &h.consumer_group,
            &h.topic,
            got.messages.len() as u64,
            bytes as u64,
        );
        resp = resp.with_body(concat(&got.messages));
    }
    Some(resp)
}

/// How a pull filters: by tags (the expression), or by an SQL92 expression (None: Java's
/// `ExpressionMessageFilter` without compiled filter data lets everything through).
enum Sub {
    Tags(String),
    Sql(Option<std::sync::Arc<rocklet_filter::Expression>>),
}

const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// The pull's subscription as `PullMessageProcessor` finds it: carried by the request
/// (`hasSubscriptionFlag`, e.g. the lite pull consumer), else registered by the group's
/// heartbeats (push consumers), with the SQL92 filter data from the consumer filter manager.
fn subscription(b: &B, h: &PullMessageRequestHeader) -> Result<Sub, (ResponseCode, String)> {
    use crate::filter::{is_tag_type, FilterData};
    let sub = if h.sys_flag & FLAG_SUBSCRIPTION != 0 {
        let expression = h.subscription.clone().unwrap_or_default();
        let ty = h.expression_type.as_deref();
        if is_tag_type(ty) {
            Sub::Tags(if expression.is_empty() {
                "*".into()
            } else {
                expression
            })
        } else {
            // `FilterAPI.build` refuses an empty expression; an expression that does not
            // compile leaves Java without filter data (`ConsumerFilterManager.build` logs and
            // returns null; the `assert` after it is off in a production JVM).
            if expression.trim().is_empty() {
                return Err((
                    ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                    "parse the consumer's subscription failed".into(),
                ));
            }
            let ty = ty.unwrap_or_default();
            let data =
                FilterData::build(&h.topic, &h.consumer_group, &expression, ty, h.sub_version);
            Sub::Sql(data.and_then(|d| d.compiled))
        }
    } else {
        let Some(found) = b.clients.subscription(&h.consumer_group, &h.topic) else {
            return Err((
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's group info not exist{FAQ}"),
            ));
        };
        // Java checks this between the group info and the subscription.
        if b.clients.is_broadcasting(&h.consumer_group)
            && b.subscriptions
                .get(&h.consumer_group)
                .is_some_and(|sg| !sg.consume_broadcast_enable)
        {
            return Err((
                ResponseCode::NO_PERMISSION,
                format!(
                    "the consumer group[{}] can not consume by broadcast way",
                    h.consumer_group
                ),
            ));
        }
        let Some(sd) = found else {
            return Err((
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's subscription not exist{FAQ}"),
            ));
        };
        if sd.sub_version < h.sub_version {
            tracing::debug!(group = %h.consumer_group, topic = %h.topic, broker_has = sd.sub_version, pull_has = h.sub_version, "pull: the consumer's subscription not latest");
            return Err((
                ResponseCode::SUBSCRIPTION_NOT_LATEST,
                "the consumer's subscription not latest".into(),
            ));
        }
        if is_tag_type(sd.expression_type.as_deref()) {
            Sub::Tags(sd.sub_string)
        } else {
            let Some(data) = b.filters.get(&h.topic, &h.consumer_group) else {
                return Err((
                    ResponseCode::FILTER_DATA_NOT_EXIST,
                    "The broker's consumer filter data is not exist!Your expression may be wrong!"
                        .into(),
                ));
            };
            if data.client_version < h.sub_version {
                return Err((
                    ResponseCode::FILTER_DATA_NOT_LATEST,
                    "the consumer's consumer filter data not latest".into(),
                ));
            }
            Sub::Sql(data.compiled)
        }
    };
    if matches!(sub, Sub::Sql(_)) && !b.cfg.enable_property_filter {
        let ty = h
            .expression_type
            .clone()
            .unwrap_or_else(|| crate::filter::SQL92.into());
        return Err((
            ResponseCode::SYSTEM_ERROR,
            format!("The broker does not support consumer to filter message by {ty}"),
        ));
    }
    Ok(sub)
}

/// Tag hash codes of a TAG expression; None for "*" (everything).
fn tag_codes(expr: &str) -> Option<HashSet<i64>> {
    let expr = expr.trim();
    if expr.is_empty() || expr == "*" {
        return None;
    }
    let set: HashSet<i64> = expr
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| java_string_hash(t) as i64)
        .collect();
    if set.is_empty() {
        None
    } else {
        Some(set)
    }
}
