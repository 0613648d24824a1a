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
    let expression = if h.sys_flag & FLAG_SUBSCRIPTION != 0 {
        if h.expression_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("TAG"))
        {
            return Some(fail(
                &req,
                ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                "The broker does not support consumer to filter message by SQL92",
            ));
        }
        h.subscription.clone().unwrap_or_else(|| "*".into())
    } else {
        match b.clients.subscription(&h.consumer_group, &h.topic) {
            None => {
                return Some(fail(
                    &req,
                    ResponseCode::SUBSCRIPTION_NOT_EXIST,
                    "the consumer's group info not exist",
                ))
            }
            Some(None) => {
                return Some(fail(
                    &req,
                    ResponseCode::SUBSCRIPTION_NOT_EXIST,
                    "the consumer's subscription not exist",
                ))
            }
            Some(Some(sd)) => sd.sub_string,
        }
    };
    let tags = tag_codes(&expression);
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
    let got = match &filter {
        Some(f) => b
            .store
            .get_message(&h.topic, h.queue_id, h.queue_offset, max, Some(f)),
        None => b
            .store
            .get_message(&h.topic, h.queue_id, h.queue_offset, max, None),
    };
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
