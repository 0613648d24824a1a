//! `ReplyMessageProcessor`: SEND_REPLY_MESSAGE(_V2). A responder's reply is pushed to the
//! requesting producer (PUSH_REPLY_MESSAGE_TO_CLIENT, found by the `REPLY_TO_CLIENT` property)
//! and, with `storeReplyMessageEnable` (default true), also stored in its reply topic.

use rocklet_protocol::header::*;
use rocklet_protocol::message::property;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::PutMessage;
use std::time::Duration;

use super::send::{msg_check, rand_u32};
use super::{now_ms, BoxFuture, Res, B};

/// Java's timeout for the push to the requester.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn send_reply<'a>(
    b: &'a B,
    ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move { Some(reply(b, ctx, req).await) })
}

async fn reply(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h = if req.code == RequestCode::SEND_REPLY_MESSAGE.as_i32() {
        req.header::<SendMessageRequestHeader>()?
    } else {
        req.header::<SendMessageRequestHeaderV2>()?.into_v1()
    };
    let tc = match msg_check(b, ctx, req, &h) {
        Ok(tc) => tc,
        Err(resp) => return Ok(*resp),
    };
    let queue_id = if h.queue_id < 0 {
        (rand_u32() % tc.write_queue_nums.max(1) as u32) as i32
    } else {
        h.queue_id
    };
    let mut props = h.properties.clone().unwrap_or_default();
    if !props.is_empty() && !props.ends_with('\u{2}') {
        props.push('\u{2}');
    }
    props.push_str(&format!(
        "{}\u{1}{}\u{2}",
        property::PUSH_REPLY_TIME,
        now_ms()
    ));
    let (code, remark) = push_to_requester(b, ctx, req, &h, &props).await;
    let mut header = SendMessageResponseHeader {
        msg_id: "0".into(),
        queue_id,
        queue_offset: 0,
        transaction_id: None,
        msg_region: Some(b.cfg.region_id.clone()),
        trace_on: Some(b.cfg.trace_on.to_string()),
    };
    if b.settings.get("storeReplyMessageEnable").as_deref() != Some("false") {
        let mut p = props;
        if !p.contains("CLUSTER\u{1}") {
            p.push_str(&b.cluster_prop);
        }
        let m = PutMessage {
            topic: h.topic.clone(),
            queue_id,
            flag: h.flag,
            body: req.body.clone().unwrap_or_default(),
            properties: p,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host: ctx.peer,
            reconsume_times: h.reconsume_times.unwrap_or(0),
            prepared_transaction_offset: 0,
        };
        match b.store.put_message(m).await {
            Ok(r) => {
                b.stats.put(&tc.topic_name, 1, r.wrote_bytes.max(0) as u64);
                header.msg_id = r.msg_ids.join(",");
                header.queue_offset = r.queue_offset;
            }
            Err(e) => tracing::warn!(topic = %h.topic, error = %e, "storing a reply failed"),
        }
    }
    Ok(RemotingCommand::response_to(req, code, remark).with_header(&header))
}

/// PUSH_REPLY_MESSAGE_TO_CLIENT to the requester; the answer's code and remark as Java words them.
async fn push_to_requester(
    b: &B,
    ctx: &ConnCtx,
    req: &RemotingCommand,
    h: &SendMessageRequestHeader,
    props: &str,
) -> (ResponseCode, Option<String>) {
    let Some(client) = rocklet_store::properties::get(props, property::REPLY_TO_CLIENT) else {
        return (
            ResponseCode::SYSTEM_ERROR,
            Some("reply message properties[REPLY_TO_CLIENT] is null".into()),
        );
    };
    let Some(conn) = b.clients.producer_by_client_id(client) else {
        return (
            ResponseCode::SYSTEM_ERROR,
            Some(format!(
                "push reply message fail, channel of <{client}> not found."
            )),
        );
    };
    let push = ReplyMessageRequestHeader {
        producer_group: h.producer_group.clone(),
        topic: h.topic.clone(),
        default_topic: h.default_topic.clone(),
        default_topic_queue_nums: h.default_topic_queue_nums,
        queue_id: h.queue_id,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        flag: h.flag,
        properties: Some(props.to_owned()),
        reconsume_times: h.reconsume_times,
        unit_mode: h.unit_mode,
        born_host: format!("/{}", ctx.peer),
        store_host: format!("/{}", b.store_host),
        store_timestamp: now_ms(),
    };
    let cmd = RemotingCommand::request(RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT, &push)
        .with_body(req.body.clone().unwrap_or_default());
    match conn.invoke(cmd, PUSH_TIMEOUT).await {
        Some(r) if r.code == ResponseCode::SUCCESS.as_i32() => (ResponseCode::SUCCESS, None),
        _ => (
            ResponseCode::SYSTEM_ERROR,
            Some(format!("push reply message to {client}fail.")),
        ),
    }
}
