//! Requests the broker carries to its clients on an operator's behalf: reset offsets by time
//! (RESET_CONSUMER_CLIENT_OFFSET to every member), a consumer's status, its running info and
//! consuming one message directly (forwarded to the named client and its answer returned).

use rocklet_protocol::body::{encode_reset_offset_body, raw_field, write_mq_map, MessageQueueData};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::ConnCtx;
use std::time::Duration;

use super::super::{fail, BoxFuture, Res, B};

/// `MQVersion.Version.V3_0_7_SNAPSHOT.ordinal()`: clients from here on take offset resets.
const V3_0_7_SNAPSHOT: i32 = 28;
/// `V3_1_8_SNAPSHOT`: clients from here on answer running-info and direct-consume requests.
const V3_1_8_SNAPSHOT: i32 = 62;
/// Java's timeouts for requests to clients.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);

/// The success answer of handlers that set only the code in Java (the remark stays).
fn java_placeholder_ok(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(
        req,
        ResponseCode::SUCCESS,
        Some("not set any response code".into()),
    )
}

/// INVOKE_BROKER_TO_RESET_OFFSET: the target offset of every write queue, sent to each live
/// member of the group as RESET_CONSUMER_CLIENT_OFFSET. The broker's own offsets are left for
/// the clients to commit, as in Java 4.9.3; with no member online the answer is
/// CONSUMER_NOT_ONLINE and the tool falls back to committing offsets itself.
pub(in crate::processor) fn reset_offset<'a>(
    b: &'a B,
    _ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move { Some(reset(b, req).await) })
}

async fn reset(b: &B, req: &RemotingCommand) -> Res {
    let h: ResetOffsetRequestHeader = req.header()?;
    let Some(tc) = b.topics.select(&h.topic) else {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!(
                "[reset-offset] reset offset failed, no topic in this broker. topic={}",
                h.topic
            ),
        ));
    };
    let mut table = Vec::new();
    for q in 0..tc.write_queue_nums.max(0) {
        let consumer_offset = b.offsets.query(&h.group, &h.topic, q);
        if consumer_offset == -1 {
            return Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("THe consumer group <{}> not exist", h.group),
            ));
        }
        let target = if h.timestamp == -1 {
            b.store.max_offset_in_queue(&h.topic, q)
        } else {
            b.store.offset_in_queue_by_time(&h.topic, q, h.timestamp)
        }
        .max(0);
        let offset = if h.is_force || target < consumer_offset {
            target
        } else {
            consumer_offset
        };
        table.push((
            MessageQueueData {
                broker_name: b.cfg.broker_name.clone(),
                queue_id: q,
                topic: h.topic.clone(),
            },
            offset,
        ));
    }
    let body = encode_reset_offset_body(&table);
    let members = b.clients.consumer_channels(&h.group).unwrap_or_default();
    if members.is_empty() {
        return Ok(fail(
            req,
            ResponseCode::CONSUMER_NOT_ONLINE,
            format!(
                "Consumer not online, so can not reset offset, Group: {} Topic: {} Timestamp: {}",
                h.group, h.topic, h.timestamp
            ),
        ));
    }
    // Java never sets isForce on the push: clients see "false".
    let push_header = ResetOffsetRequestHeader {
        is_force: false,
        ..h.clone()
    };
    for (client_id, conn, version) in members {
        if version < V3_0_7_SNAPSHOT {
            return Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("the client does not support this feature. version={version}"),
            ));
        }
        let mut push =
            RemotingCommand::request(RequestCode::RESET_CONSUMER_CLIENT_OFFSET, &push_header)
                .with_body(body.clone());
        push.mark_oneway();
        if !conn.send(&push).await {
            tracing::warn!(group = %h.group, client = %client_id, "reset offset push failed");
        } else {
            tracing::info!(group = %h.group, topic = %h.topic, client = %client_id, "reset offset pushed");
        }
    }
    Ok(java_placeholder_ok(req).with_body(body))
}

/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS: each member's (or one member's) view of its queue
/// offsets, asked with GET_CONSUMER_STATUS_FROM_CLIENT.
pub(in crate::processor) fn consumer_status<'a>(
    b: &'a B,
    _ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move { Some(status(b, req).await) })
}

async fn status(b: &B, req: &RemotingCommand) -> Res {
    let h: GetConsumerStatusRequestHeader = req.header()?;
    let members = b.clients.consumer_channels(&h.group).unwrap_or_default();
    if members.is_empty() {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!(
                "No Any Consumer online in the consumer group: [{}]",
                h.group
            ),
        ));
    }
    let wanted = h.client_addr.as_deref().filter(|a| !a.trim().is_empty());
    let ask = GetConsumerStatusRequestHeader {
        topic: h.topic.clone(),
        group: h.group.clone(),
        client_addr: None,
    };
    let mut out = b"{\"consumerTable\":{".to_vec();
    let mut first = true;
    for (client_id, conn, version) in members {
        if version < V3_0_7_SNAPSHOT {
            return Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("the client does not support this feature. version={version}"),
            ));
        }
        if wanted.is_some_and(|w| w != client_id) {
            continue;
        }
        let cmd = RemotingCommand::request(RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT, &ask);
        if let Some(r) = conn.invoke(cmd, STATUS_TIMEOUT).await {
            if r.code == ResponseCode::SUCCESS.as_i32() && !r.body_bytes().is_empty() {
                // The client's `{"messageQueueTable":{...}}`; its map is copied as it came.
                if let Some(table) = raw_field(r.body_bytes(), "messageQueueTable") {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    rocklet_protocol::json::write_str(&mut out, &client_id);
                    out.push(b':');
                    out.extend_from_slice(table);
                }
            }
        }
        if wanted.is_some() {
            break;
        }
    }
    out.extend_from_slice(b"},\"messageQueueTable\":");
    write_mq_map::<i64>(&mut out, []);
    out.push(b'}');
    Ok(java_placeholder_ok(req).with_body(out))
}

/// Java `callConsumer`: forward the request (same code, fields and body) to one member and
/// return its answer as it came.
async fn call_consumer(
    b: &B,
    req: &RemotingCommand,
    group: &str,
    client_id: &str,
    body: Option<bytes::Bytes>,
    extra: &[(&str, String)],
) -> RemotingCommand {
    let Some((conn, version)) = b.clients.consumer_channel(group, client_id) else {
        return fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("The Consumer <{group}> <{client_id}> not online"),
        );
    };
    if version < V3_1_8_SNAPSHOT {
        return fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!(
                "The Consumer <{client_id}> Version <{version}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT"
            ),
        );
    }
    let mut fwd = RemotingCommand::request_bare(req.code);
    fwd.ext_fields = req.ext_fields.clone();
    for (k, v) in extra {
        fwd.ext_fields.insert(k, v);
    }
    fwd.body = body.or_else(|| req.body.clone());
    match conn.invoke(fwd, FORWARD_TIMEOUT).await {
        Some(mut r) => {
            r.opaque = req.opaque;
            r.serialize_type = req.serialize_type;
            r
        }
        None if conn.is_closed() => fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("invoke consumer <{group}> <{client_id}> Exception: the connection closed"),
        ),
        None => fail(
            req,
            ResponseCode::CONSUME_MSG_TIMEOUT,
            format!(
                "consumer <{group}> <{client_id}> Timeout: no answer in {} ms",
                FORWARD_TIMEOUT.as_millis()
            ),
        ),
    }
}

/// GET_CONSUMER_RUNNING_INFO, forwarded to the client.
pub(in crate::processor) fn running_info<'a>(
    b: &'a B,
    _ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move {
        let h: GetConsumerRunningInfoRequestHeader = match req.header() {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(call_consumer(
            b,
            req,
            &h.consumer_group,
            &h.client_id,
            None,
            &[],
        )
        .await))
    })
}

/// CONSUME_MESSAGE_DIRECTLY: the stored message named by its offset msgId, forwarded to the
/// client to consume.
pub(in crate::processor) fn consume_directly<'a>(
    b: &'a B,
    _ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move {
        let h: ConsumeMessageDirectlyResultRequestHeader = match req.header() {
            Ok(h) => h,
            Err(e) => return Some(Err(e)),
        };
        let msg_id = h.msg_id.as_deref().unwrap_or("");
        let Some((_, offset)) = rocklet_protocol::msgid::decode_offset_msg_id(msg_id) else {
            return Some(Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("'{msg_id}' is not an offset msgId (32 or 56 hex characters)"),
            )));
        };
        let Some(record) = b.store.look_message_by_offset(offset) else {
            return Some(Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("no message at the commit-log offset {offset} of msgId {msg_id}"),
            )));
        };
        let client = h.client_id.clone().unwrap_or_default();
        let extra = [("brokerName", b.cfg.broker_name.clone())];
        Some(Ok(call_consumer(
            b,
            req,
            &h.consumer_group,
            &client,
            Some(record),
            &extra,
        )
        .await))
    })
}
