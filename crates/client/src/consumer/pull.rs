//! `PullAPIWrapper.pullKernelImpl` + `processPullResult`, shared by the push and lite pull
//! consumers: one PULL_MESSAGE, its status, the decoded messages (tags checked again on the
//! client, the queue's offset range on each) and the next offset.

use rocklet_protocol::body::SubscriptionData;
use rocklet_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rocklet_protocol::message::{property, ByteString};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::time::Duration;

use crate::admin::decode_messages_shared;
use crate::error::ClientError;
use crate::instance::ClientInstance;
use crate::message::{MessageExt, MessageQueue};

/// What one pull asks for.
pub(crate) struct PullRequest<'a> {
    pub group: &'a str,
    pub mq: &'a MessageQueue,
    pub offset: i64,
    pub max_nums: i32,
    pub sys_flag: i32,
    pub commit_offset: i64,
    /// Sent in the request when `post_subscription` (the broker then filters by it instead of
    /// the heartbeat's); its tags are checked again on the client either way.
    pub sub: &'a SubscriptionData,
    pub post_subscription: bool,
    pub broker_suspend_ms: u64,
    pub timeout: Duration,
}

/// The answer: FOUND (SUCCESS), NO_NEW_MSG / NO_MATCHED_MSG (PULL_NOT_FOUND,
/// PULL_RETRY_IMMEDIATELY) or OFFSET_ILLEGAL (PULL_OFFSET_MOVED).
pub(crate) struct PullResult {
    pub code: ResponseCode,
    pub msgs: Vec<MessageExt>,
    pub next_begin_offset: i64,
}

/// One long-polling PULL_MESSAGE to the queue's broker.
///
/// # Errors
/// Any other answer as [`ClientError::Broker`]; transport and decoding errors.
pub(crate) async fn pull(
    inst: &ClientInstance,
    req: PullRequest<'_>,
) -> Result<PullResult, ClientError> {
    let PullRequest {
        group,
        mq,
        offset,
        sub,
        ..
    } = req;
    let addr = inst.broker_addr_for(mq).await?;
    let h = PullMessageRequestHeader {
        consumer_group: group.to_owned(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        queue_offset: offset,
        max_msg_nums: req.max_nums,
        sys_flag: req.sys_flag,
        commit_offset: req.commit_offset.max(0),
        suspend_timeout_millis: req.broker_suspend_ms as i64,
        subscription: req.post_subscription.then(|| sub.sub_string.clone()),
        sub_version: sub.sub_version,
        expression_type: sub.expression_type.clone(),
    };
    let r = inst
        .remoting
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::PULL_MESSAGE, &h),
            req.timeout,
        )
        .await?;
    let code = ResponseCode::from_i32(r.code);
    match code {
        ResponseCode::SUCCESS
        | ResponseCode::PULL_NOT_FOUND
        | ResponseCode::PULL_RETRY_IMMEDIATELY
        | ResponseCode::PULL_OFFSET_MOVED => {}
        _ => {
            return Err(ClientError::Broker {
                code,
                remark: r.remark.clone().unwrap_or_default(),
                addr,
            })
        }
    }
    let rh: PullMessageResponseHeader = r.header()?;
    if code == ResponseCode::PULL_OFFSET_MOVED {
        tracing::warn!(mq = %mq, offset, next = rh.next_begin_offset, "the pull request offset illegal");
    }
    let mut msgs = match (&r.body, code) {
        (Some(body), ResponseCode::SUCCESS) => decode_messages_shared(body)?,
        _ => Vec::new(),
    };
    // `processPullResult`: tags checked again (the broker matched their hash codes only), and
    // the queue's offset range on every message.
    if !sub.tags_set.is_empty() && !sub.class_filter_mode {
        msgs.retain(|m| {
            m.tags()
                .is_some_and(|t| sub.tags_set.iter().any(|s| s == t))
        });
    }
    // One text of each for the whole pull, shared by its messages.
    let min = ByteString::from(rh.min_offset.to_string());
    let max = ByteString::from(rh.max_offset.to_string());
    for m in &mut msgs {
        m.properties.insert_shared(property::MIN_OFFSET, &min);
        m.properties.insert_shared(property::MAX_OFFSET, &max);
    }
    Ok(PullResult {
        code,
        msgs,
        next_begin_offset: rh.next_begin_offset,
    })
}
