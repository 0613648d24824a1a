//! `SendMessageProcessor`: SEND_MESSAGE(_V2), SEND_BATCH_MESSAGE and CONSUMER_SEND_MSG_BACK.

use rocklet_protocol::body::TopicConfig;
use rocklet_protocol::header::*;
use rocklet_protocol::message::{decode_batch, property, sys_flag, MessageExt};
use rocklet_protocol::route::perm;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::properties::JavaMap;
use rocklet_store::{PutMessage, PutResult, PutStatus, StoreError};
use std::time::Duration;

use super::{boxed_fail, fail, ok, BoxFuture, Res, B};
use crate::topic::{validate_topic, DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};

/// The send codes' handler: with SYNC_FLUSH the answer waits for the connection's group commit.
pub(super) fn send_message(b: &B, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
    let (resp, flush_to) = append(b, ctx, &req);
    match flush_to {
        Some(end) if !req.is_oneway() => {
            let timeout = Duration::from_millis(b.store.config().sync_flush_timeout_ms);
            crate::group_commit::reply_after_flush(ctx, &b.store, end, timeout, resp);
            None
        }
        _ => Some(resp),
    }
}

pub(super) fn send_msg_back<'a>(
    b: &'a B,
    ctx: &'a ConnCtx,
    req: &'a RemotingCommand,
) -> BoxFuture<'a, Option<Res>> {
    Box::pin(async move { Some(msg_back(b, ctx, req).await) })
}

/// Appends a SEND_MESSAGE(_V2) / SEND_BATCH_MESSAGE. Returns the response and, with
/// SYNC_FLUSH, the commit-log offset that must be flushed before it may be sent.
fn append(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> (RemotingCommand, Option<i64>) {
    let code = RequestCode::from_i32(req.code);
    let header = match code {
        RequestCode::SEND_MESSAGE => req.header::<SendMessageRequestHeader>(),
        _ => req
            .header::<SendMessageRequestHeaderV2>()
            .map(SendMessageRequestHeaderV2::into_v1),
    };
    let mut h = match header {
        Ok(h) => h,
        Err(e) => {
            return (
                fail(
                    req,
                    ResponseCode::MESSAGE_ILLEGAL,
                    format!("malformed send header: {e}"),
                ),
                None,
            )
        }
    };
    let tc = match msg_check(b, ctx, req, &h) {
        Ok(tc) => tc,
        Err(resp) => return (*resp, None),
    };
    let mut queue_id = h.queue_id;
    if queue_id < 0 {
        queue_id = (rand_u32() % tc.write_queue_nums.max(1) as u32) as i32;
    }
    let mut sys = h.sys_flag;
    if ctx.peer.is_ipv6() {
        sys |= sys_flag::BORNHOST_V6;
    }
    if b.store_host.is_ipv6() {
        sys |= sys_flag::STOREHOST_V6;
    }
    let is_batch = code == RequestCode::SEND_BATCH_MESSAGE || h.batch == Some(true);
    let props = h.properties.take().unwrap_or_default();
    // The properties are split once, into the map Java's broker works on; every step below
    // reads and changes it, and it is encoded once.
    let mut map = JavaMap::parse(&props);
    // `Boolean.parseBoolean(TRAN_MSG)`: a half message goes to the half topic.
    let half = !is_batch
        && map
            .get(property::TRANSACTION_PREPARED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let delay_level =
        rocklet_store::schedule::parse_delay_level(map.get(property::DELAY_TIME_LEVEL));
    let reconsume_times = h.reconsume_times.unwrap_or(0);
    // Java `CommitLog.asyncPutMessages`: a batch cannot carry a delay level.
    if is_batch && delay_level.as_ref().map_or(true, |l| *l > 0) {
        return (
            fail(
                req,
                ResponseCode::MESSAGE_ILLEGAL,
                "a batch message cannot have a delay level (DELAY property)",
            ),
            None,
        );
    }
    let result = if is_batch {
        let items = match decode_batch(req.body_bytes()) {
            Ok(i) if !i.is_empty() => i,
            Ok(_) => {
                return (
                    fail(
                        req,
                        ResponseCode::MESSAGE_ILLEGAL,
                        "the batch message body is empty",
                    ),
                    None,
                )
            }
            Err(e) => {
                return (
                    fail(
                        req,
                        ResponseCode::MESSAGE_ILLEGAL,
                        format!("malformed batch body: {e}"),
                    ),
                    None,
                )
            }
        };
        // Java (`MessageExtBatchEncoder`) appends the batch's own properties (the request's, with
        // CLUSTER added, WAIT kept) to every message of the batch.
        let batch_props = {
            if map.get(property::CLUSTER).is_none() {
                map.put(property::CLUSTER, b.cfg.broker_cluster_name.as_str());
            }
            map.encode()
        };
        let batch: Vec<PutMessage> = items
            .into_iter()
            .map(|it| {
                let mut p = it.properties.encode();
                if !p.is_empty() && !batch_props.is_empty() && !p.ends_with('\u{2}') {
                    p.push('\u{2}');
                }
                p.push_str(&batch_props);
                PutMessage {
                    topic: h.topic.clone(),
                    queue_id,
                    flag: it.flag,
                    body: it.body,
                    properties: p,
                    sys_flag: sys,
                    born_timestamp: h.born_timestamp,
                    born_host: ctx.peer,
                    reconsume_times,
                    prepared_transaction_offset: 0,
                }
            })
            .collect();
        let t0 = std::time::Instant::now();
        let r = b.store.put_messages_nowait(batch);
        b.stats.send_latency.record(t0.elapsed());
        r
    } else {
        if req.body_bytes().is_empty() {
            return (
                fail(
                    req,
                    ResponseCode::MESSAGE_ILLEGAL,
                    "the message body is empty",
                ),
                None,
            );
        }
        let delayed = !half && delay_level.as_ref().is_ok_and(|l| *l > 0);
        keep_stored_properties(&mut map, &b.cfg.broker_cluster_name, half || delayed);
        let mut topic = std::mem::take(&mut h.topic);
        let mut queue_id = queue_id;
        if half {
            crate::transaction::to_half(b, &mut topic, &mut queue_id, &mut sys, &mut map);
        } else if let Err(why) = rocklet_store::schedule::redirect_delayed_map(
            &mut topic,
            &mut queue_id,
            &mut map,
            &b.cfg.delay_levels,
        ) {
            return (fail(req, ResponseCode::MESSAGE_ILLEGAL, why), None);
        }
        let m = PutMessage {
            topic,
            queue_id,
            flag: h.flag,
            body: req.body.clone().unwrap_or_default(),
            properties: map.encode(),
            sys_flag: sys,
            born_timestamp: h.born_timestamp,
            born_host: ctx.peer,
            reconsume_times,
            prepared_transaction_offset: 0,
        };
        let t0 = std::time::Instant::now();
        let r = b.store.put_message_nowait(m);
        b.stats.send_latency.record(t0.elapsed());
        r
    };
    match result {
        Ok((r, flush_to)) => {
            b.stats.put(
                &tc.topic_name,
                r.msg_num.max(0) as u64,
                r.wrote_bytes.max(0) as u64,
            );
            (put_response(b, req, queue_id, Ok(r)), flush_to)
        }
        Err(e) => (put_response(b, req, queue_id, Err(e)), None),
    }
}

/// `AbstractSendMessageProcessor.msgCheck`: topic rules and auto-creation.
pub(super) fn msg_check(
    b: &B,
    ctx: &ConnCtx,
    req: &RemotingCommand,
    h: &SendMessageRequestHeader,
) -> Result<TopicConfig, Box<RemotingCommand>> {
    // Java `TopicValidator.validateTopic` answers SYSTEM_ERROR with the reason.
    if let Some(why) = validate_topic(&h.topic) {
        return Err(boxed_fail(req, ResponseCode::SYSTEM_ERROR, why));
    }
    // Java forbids only SCHEDULE_TOPIC_XXXX here (`isNotAllowedSendTopic`); Rocklet also
    // refuses TBW102, which Java clients refuse before sending.
    if h.topic == rocklet_protocol::body::AUTO_CREATE_TOPIC_KEY_TOPIC
        || h.topic == crate::topic::SCHEDULE_TOPIC
    {
        return Err(boxed_fail(
            req,
            ResponseCode::NO_PERMISSION,
            format!("Sending message to topic[{}] is forbidden.", h.topic),
        ));
    }
    let tc = match b.topics.select(&h.topic) {
        Some(tc) => tc,
        None => {
            let created = if h.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
                Some(
                    b.topics
                        .create_system(&h.topic, 1, perm::READ | perm::WRITE),
                )
            } else {
                b.topics
                    .create_in_send(&h.topic, &h.default_topic, h.default_topic_queue_nums, 0)
            };
            match created {
                Some((tc, new)) => {
                    if new {
                        b.register_now.notify_one();
                    }
                    tc
                }
                None => {
                    return Err(boxed_fail(
                        req,
                        ResponseCode::TOPIC_NOT_EXIST,
                        format!(
                            "topic[{}] not exist, apply first please!\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                            h.topic
                        ),
                    ))
                }
            }
        }
    };
    if !perm::is_writeable(tc.perm) {
        return Err(boxed_fail(
            req,
            ResponseCode::NO_PERMISSION,
            format!("the topic[{}] sending message is forbidden", h.topic),
        ));
    }
    let valid = tc.write_queue_nums.max(tc.read_queue_nums);
    if h.queue_id >= valid {
        return Err(boxed_fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!(
                "request queueId[{}] is illegal, topic {} has {} queues. Producer: {}",
                h.queue_id, h.topic, valid, ctx.peer
            ),
        ));
    }
    Ok(tc)
}

/// `handlePutMessageResult`: store outcome to response code, header and remark.
fn put_response(
    b: &B,
    req: &RemotingCommand,
    queue_id: i32,
    result: Result<PutResult, StoreError>,
) -> RemotingCommand {
    match result {
        Ok(r) => {
            let code = match r.status {
                PutStatus::PutOk => ResponseCode::SUCCESS,
                PutStatus::FlushDiskTimeout => ResponseCode::FLUSH_DISK_TIMEOUT,
            };
            let header = SendMessageResponseHeader {
                msg_id: r.msg_ids.join(","),
                queue_id,
                queue_offset: r.queue_offset,
                transaction_id: None,
                msg_region: Some(b.cfg.region_id.clone()),
                trace_on: Some(b.cfg.trace_on.to_string()),
            };
            let remark = (code != ResponseCode::SUCCESS).then(|| "flush disk timeout".to_owned());
            RemotingCommand::response_to(req, code, remark).with_header(&header)
        }
        Err(e) => {
            let code = store_error_code(&e);
            fail(req, code, store_error_remark(&b.store, &e))
        }
    }
}

/// CONSUMER_SEND_MSG_BACK: a consumer failed a message; put it to the group's retry topic
/// after its delay level (level 0: 3 + reconsumeTimes), or to its DLQ after
/// `maxReconsumeTimes`.
async fn msg_back(b: &B, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: ConsumerSendMsgBackRequestHeader = req.header()?;
    let Some(sg) = b.subscriptions.find_or_create(&h.group) else {
        return Ok(fail(
            req,
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!(
                "subscription group not exist, {} \nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                h.group
            ),
        ));
    };
    if sg.retry_queue_nums <= 0 {
        // Java: a group without retry queues drops failed messages.
        return Ok(ok(req));
    }
    let Some(rec) = b.store.look_message_by_offset(h.offset) else {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("look message by offset failed, {}", h.offset),
        ));
    };
    let (m, _) = MessageExt::decode(&rec)?;
    // Clients since 3.4.9 send their own limit; the group's `retryMaxTimes` is the fallback.
    let max = h.max_reconsume_times.unwrap_or(sg.retry_max_times);
    let reconsume = m.reconsume_times + 1;
    let dlq = reconsume > max || h.delay_level < 0;
    // Java creates (or finds) the retry topic first, whatever the message's fate.
    let retry = format!("{RETRY_GROUP_TOPIC_PREFIX}{}", h.group);
    let (_, created) =
        b.topics
            .create_system(&retry, sg.retry_queue_nums, perm::WRITE | perm::READ);
    if created {
        b.register_now.notify_one();
    }
    // 4.9.3 creates the DLQ topic readable and writable (`PERM_WRITE | PERM_READ`), one queue.
    let (topic, queues) = if dlq {
        let dlq_topic = format!("{DLQ_GROUP_TOPIC_PREFIX}{}", h.group);
        let (_, created) = b
            .topics
            .create_system(&dlq_topic, 1, perm::WRITE | perm::READ);
        if created {
            b.register_now.notify_one();
        }
        (dlq_topic, 1)
    } else {
        (retry, sg.retry_queue_nums)
    };
    let mut props = m.properties.clone();
    if props.get(property::RETRY_TOPIC).is_none() {
        props.insert(property::RETRY_TOPIC, m.topic.clone());
    }
    props.insert(property::WAIT_STORE_MSG_OK, "false");
    if dlq {
        props.insert(property::DELAY_TIME_LEVEL, "0");
    } else {
        // Java: level 0 means "3 + reconsumeTimes"; the retry waits in SCHEDULE_TOPIC_XXXX.
        let level = if h.delay_level == 0 {
            3 + m.reconsume_times
        } else {
            h.delay_level
        };
        props.insert(property::DELAY_TIME_LEVEL, level.to_string());
    }
    // The first failure's id: the stored message's offset msgId (Java's `MessageExt` from
    // `lookMessageByOffset`), not the header's `originMsgId`, which Java reads only for hooks.
    if props.get(property::ORIGIN_MESSAGE_ID).is_none() {
        props.insert(property::ORIGIN_MESSAGE_ID, m.offset_msg_id());
    }
    let mut put = PutMessage {
        topic,
        queue_id: (rand_u32() % queues.max(1) as u32) as i32,
        flag: m.flag,
        body: m.raw_body.clone(),
        properties: props.encode(),
        sys_flag: m.sys_flag,
        born_timestamp: m.born_timestamp,
        born_host: ctx.peer,
        reconsume_times: reconsume,
        prepared_transaction_offset: 0,
    };
    if let Err(why) = rocklet_store::schedule::redirect_delayed(&mut put, &b.cfg.delay_levels) {
        return Ok(fail(req, ResponseCode::MESSAGE_ILLEGAL, why));
    }
    Ok(match b.store.put_message(put).await {
        Ok(_) => {
            b.stats.sent_back(&h.group, &m.topic);
            ok(req)
        }
        Err(e) => fail(req, store_error_code(&e), store_error_remark(&b.store, &e)),
    })
}

/// The map Java's `sendMessage` stores: the client's pairs with `CLUSTER` added and `WAIT`
/// removed (Java drops it "to save 9 bytes") then put back at the end of its bucket, which only
/// shows when the message goes on to a half or delay topic and the map is encoded again.
fn keep_stored_properties<'a>(map: &mut JavaMap<'a>, cluster: &'a str, keeps_wait: bool) {
    use rocklet_protocol::message::property::{CLUSTER, WAIT_STORE_MSG_OK};
    if map.get(CLUSTER).is_none() {
        map.put(CLUSTER, cluster);
    }
    if let Some(wait) = map.remove(WAIT_STORE_MSG_OK) {
        if keeps_wait {
            map.put(WAIT_STORE_MSG_OK, wait);
        }
    }
}

/// Java `handlePutMessageResult`: size and format problems are MESSAGE_ILLEGAL, a stopped store
/// SERVICE_NOT_AVAILABLE, anything else SYSTEM_ERROR; the remark is the store's reason.
pub(crate) fn store_error_code(e: &StoreError) -> ResponseCode {
    match e {
        StoreError::MessageTooLarge { .. }
        | StoreError::BatchTooLarge { .. }
        | StoreError::PropertiesTooLong(_)
        | StoreError::TopicTooLong(_)
        | StoreError::InvalidTopic(_)
        | StoreError::InvalidBatch(_)
        | StoreError::Encode(_) => ResponseCode::MESSAGE_ILLEGAL,
        StoreError::ShutDown | StoreError::NotWritable | StoreError::NoSpace { .. } => {
            ResponseCode::SERVICE_NOT_AVAILABLE
        }
        _ => ResponseCode::SYSTEM_ERROR,
    }
}

/// The remark of a refused put: for SERVICE_NOT_AVAILABLE (disk full, allocation failure,
/// store shut down) Java's one text with the disk usage (`handlePutMessageResult` +
/// `diskUtil`), otherwise the store's reason.
pub(crate) fn store_error_remark(store: &rocklet_store::MessageStore, e: &StoreError) -> String {
    if store_error_code(e) == ResponseCode::SERVICE_NOT_AVAILABLE {
        if let StoreError::NoSpace { .. } = e {
            tracing::warn!(error = %e, "put refused: no disk space for a new store file");
        }
        format!(
            "service not available now. It may be caused by one of the following reasons: the broker's disk is full [{}], messages are put to the slave, message store has been shut down, etc.",
            store.disk_util()
        )
    } else {
        e.to_string()
    }
}
pub(super) fn rand_u32() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static S: AtomicU32 = AtomicU32::new(0x9E37_79B9);
    let x = S.fetch_add(0x9E37_79B9, Ordering::Relaxed);
    x ^ (x >> 16)
}
