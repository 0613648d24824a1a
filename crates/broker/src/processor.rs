//! Request handling for the broker: one function per request code, dispatched from one table.

use bytes::{Bytes, BytesMut};
use rocklet_protocol::body::{
    decode_json, encode_json, ConsumerIdList, HeartbeatData, KvTable, LockBatchRequestBody,
    LockBatchResponseBody, TopicConfig,
};
use rocklet_protocol::header::*;
use rocklet_protocol::message::{decode_batch, java_string_hash, property, sys_flag, MessageExt};
use rocklet_protocol::route::perm;
use rocklet_protocol::{ProtocolError, RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::{not_supported, ConnCtx, Processor};
use rocklet_store::{GetStatus, PutMessage, PutResult, PutStatus, StoreError};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::topic::{validate_topic, DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};
use crate::BrokerInner;

/// The request codes the broker handles; a test checks each is dispatched.
pub const HANDLED_CODES: &[RequestCode] = &[
    RequestCode::SEND_MESSAGE,
    RequestCode::SEND_MESSAGE_V2,
    RequestCode::SEND_BATCH_MESSAGE,
    RequestCode::PULL_MESSAGE,
    RequestCode::HEART_BEAT,
    RequestCode::UNREGISTER_CLIENT,
    RequestCode::GET_CONSUMER_LIST_BY_GROUP,
    RequestCode::QUERY_CONSUMER_OFFSET,
    RequestCode::UPDATE_CONSUMER_OFFSET,
    RequestCode::CONSUMER_SEND_MSG_BACK,
    RequestCode::LOCK_BATCH_MQ,
    RequestCode::UNLOCK_BATCH_MQ,
    RequestCode::UPDATE_AND_CREATE_TOPIC,
    RequestCode::DELETE_TOPIC_IN_BROKER,
    RequestCode::GET_ALL_TOPIC_CONFIG,
    RequestCode::GET_BROKER_RUNTIME_INFO,
    RequestCode::GET_MAX_OFFSET,
    RequestCode::GET_MIN_OFFSET,
    RequestCode::GET_EARLIEST_MSG_STORETIME,
    RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
    RequestCode::VIEW_MESSAGE_BY_ID,
    RequestCode::QUERY_MESSAGE,
    RequestCode::END_TRANSACTION,
];

/// The group and client of a lock / unlock body, both required.
fn lock_owner(body: &LockBatchRequestBody) -> Result<(&str, &str), &'static str> {
    match (body.consumer_group.as_deref(), body.client_id.as_deref()) {
        (Some(g), Some(c)) if !g.is_empty() && !c.is_empty() => Ok((g, c)),
        _ => Err("lock body needs consumerGroup and clientId"),
    }
}

/// `PullSysFlag` bits.
const FLAG_COMMIT_OFFSET: i32 = 0x1;
const FLAG_SUSPEND: i32 = 0x2;
const FLAG_SUBSCRIPTION: i32 = 0x4;

pub(crate) struct BrokerProcessor {
    b: Arc<BrokerInner>,
}

type Res = Result<RemotingCommand, ProtocolError>;

fn ok(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(req, ResponseCode::SUCCESS, None)
}

fn fail(req: &RemotingCommand, code: ResponseCode, remark: impl Into<String>) -> RemotingCommand {
    RemotingCommand::response_to(req, code, Some(remark.into()))
}

/// [`fail`], boxed for `Result` errors (the rare path; a `RemotingCommand` is 128 bytes).
fn boxed_fail(
    req: &RemotingCommand,
    code: ResponseCode,
    remark: impl Into<String>,
) -> Box<RemotingCommand> {
    Box::new(fail(req, code, remark))
}

impl Processor for BrokerProcessor {
    async fn process(&self, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
        let code = RequestCode::from_i32(req.code);
        let result = match code {
            RequestCode::SEND_MESSAGE
            | RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_BATCH_MESSAGE => {
                let (resp, flush_to) = self.send_message(ctx, &req);
                match flush_to {
                    // SYNC_FLUSH: answered by the connection's group-commit task once flushed.
                    Some(end) if !req.is_oneway() => {
                        let timeout =
                            Duration::from_millis(self.b.store.config().sync_flush_timeout_ms);
                        crate::group_commit::reply_after_flush(
                            ctx,
                            &self.b.store,
                            end,
                            timeout,
                            resp,
                        );
                        return None;
                    }
                    _ => Ok(resp),
                }
            }
            RequestCode::PULL_MESSAGE => return self.pull_message(ctx, req, true),
            RequestCode::CONSUMER_SEND_MSG_BACK => self.send_msg_back(ctx, &req).await,
            RequestCode::UPDATE_AND_CREATE_TOPIC => {
                // Java (`registerIncrementBrokerData`) registers with the name servers before
                // answering, so a client can use the topic's route as soon as createTopic returns.
                let r = self.create_topic(&req);
                if matches!(&r, Ok(resp) if resp.code == ResponseCode::SUCCESS.as_i32()) {
                    crate::register::register_all(&self.b).await;
                }
                r
            }
            RequestCode::END_TRANSACTION => {
                return crate::transaction::end_transaction(&self.b, ctx, &req).await
            }
            _ => match self.handle(ctx, &req) {
                Some(r) => r,
                None => Ok(not_supported(&req)),
            },
        };
        Some(match result {
            Ok(r) => r,
            Err(e) => fail(&req, ResponseCode::SYSTEM_ERROR, e.to_string()),
        })
    }

    fn connection_closed(&self, peer: SocketAddr) {
        for g in self.b.clients.connection_closed(peer) {
            self.b.clients.notify_consumer_ids_changed(&g);
        }
    }
}

impl BrokerProcessor {
    pub(crate) fn new(b: Arc<BrokerInner>) -> Self {
        BrokerProcessor { b }
    }

    fn handle(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Option<Res> {
        Some(match RequestCode::from_i32(req.code) {
            RequestCode::HEART_BEAT => self.heartbeat(ctx, req),
            RequestCode::UNREGISTER_CLIENT => self.unregister_client(req),
            RequestCode::GET_CONSUMER_LIST_BY_GROUP => self.consumer_list(req),
            RequestCode::QUERY_CONSUMER_OFFSET => self.query_consumer_offset(req),
            RequestCode::UPDATE_CONSUMER_OFFSET => self.update_consumer_offset(req),
            RequestCode::LOCK_BATCH_MQ => self.lock_batch(req),
            RequestCode::UNLOCK_BATCH_MQ => self.unlock_batch(req),
            RequestCode::UPDATE_AND_CREATE_TOPIC => self.create_topic(req),
            RequestCode::DELETE_TOPIC_IN_BROKER => req.header::<TopicRequestHeader>().map(|h| {
                self.b.topics.delete(&h.topic);
                self.b.register_now.notify_one();
                ok(req)
            }),
            RequestCode::GET_ALL_TOPIC_CONFIG => {
                Ok(ok(req).with_body(encode_json(&self.b.topics.snapshot())))
            }
            RequestCode::GET_BROKER_RUNTIME_INFO => Ok(self.runtime_info(req)),
            RequestCode::GET_MAX_OFFSET => req.header::<QueueRequestHeader>().map(|h| {
                let offset = self.b.store.max_offset_in_queue(&h.topic, h.queue_id);
                ok(req).with_header(&OffsetResponseHeader { offset })
            }),
            RequestCode::GET_MIN_OFFSET => req.header::<QueueRequestHeader>().map(|h| {
                let offset = self.b.store.min_offset_in_queue(&h.topic, h.queue_id);
                ok(req).with_header(&OffsetResponseHeader { offset })
            }),
            RequestCode::GET_EARLIEST_MSG_STORETIME => {
                req.header::<QueueRequestHeader>().map(|h| {
                    let timestamp = self
                        .b
                        .store
                        .earliest_message_time(&h.topic, h.queue_id)
                        .unwrap_or(-1);
                    ok(req).with_header(&TimestampResponseHeader { timestamp })
                })
            }
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP => {
                req.header::<SearchOffsetRequestHeader>().map(|h| {
                    let offset =
                        self.b
                            .store
                            .offset_in_queue_by_time(&h.topic, h.queue_id, h.timestamp);
                    ok(req).with_header(&OffsetResponseHeader { offset })
                })
            }
            RequestCode::VIEW_MESSAGE_BY_ID => req.header::<ViewMessageRequestHeader>().map(|h| {
                match self.b.store.look_message_by_offset(h.offset) {
                    Some(rec) => ok(req).with_body(rec),
                    None => fail(
                        req,
                        ResponseCode::SYSTEM_ERROR,
                        format!("can not find message by the offset, {}", h.offset),
                    ),
                }
            }),
            RequestCode::QUERY_MESSAGE => self.query_message(req),
            _ => return None,
        })
    }

    // ---- send -------------------------------------------------------------------------------

    /// Appends a SEND_MESSAGE(_V2) / SEND_BATCH_MESSAGE. Returns the response and, with
    /// SYNC_FLUSH, the commit-log offset that must be flushed before it may be sent.
    fn send_message(&self, ctx: &ConnCtx, req: &RemotingCommand) -> (RemotingCommand, Option<i64>) {
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
        let tc = match self.msg_check(ctx, req, &h) {
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
        if self.b.store_host.is_ipv6() {
            sys |= sys_flag::STOREHOST_V6;
        }
        let is_batch = code == RequestCode::SEND_BATCH_MESSAGE || h.batch == Some(true);
        let props = h.properties.take().unwrap_or_default();
        // `Boolean.parseBoolean(TRAN_MSG)`: a half message goes to the half topic.
        let half = !is_batch
            && rocklet_store::properties::get(&props, property::TRANSACTION_PREPARED)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let reconsume_times = h.reconsume_times.unwrap_or(0);
        // Java `CommitLog.asyncPutMessages`: a batch cannot carry a delay level.
        if is_batch && rocklet_store::schedule::delay_level(&props).map_or(true, |l| l > 0) {
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
            let batch: Vec<PutMessage> = items
                .into_iter()
                .map(|it| {
                    let p = it.properties.encode();
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
            self.b.store.put_messages_nowait(batch)
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
            let mut p = props;
            if !p.contains("CLUSTER\u{1}") {
                if !p.is_empty() && !p.ends_with('\u{2}') {
                    p.push('\u{2}');
                }
                p.push_str(&self.b.cluster_prop);
            }
            let m = PutMessage {
                topic: std::mem::take(&mut h.topic),
                queue_id,
                flag: h.flag,
                body: req.body.clone().unwrap_or_default(),
                properties: p,
                sys_flag: sys,
                born_timestamp: h.born_timestamp,
                born_host: ctx.peer,
                reconsume_times,
                prepared_transaction_offset: 0,
            };
            let mut m = m;
            if half {
                crate::transaction::to_half(&self.b, &mut m);
            } else if let Err(why) =
                rocklet_store::schedule::redirect_delayed(&mut m, &self.b.cfg.delay_levels)
            {
                return (fail(req, ResponseCode::MESSAGE_ILLEGAL, why), None);
            }
            self.b.store.put_message_nowait(m)
        };
        match result {
            Ok((r, flush_to)) => (self.put_response(req, queue_id, Ok(r)), flush_to),
            Err(e) => (self.put_response(req, queue_id, Err(e)), None),
        }
    }

    /// `AbstractSendMessageProcessor.msgCheck`: topic rules and auto-creation.
    fn msg_check(
        &self,
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
        let tc = match self.b.topics.select(&h.topic) {
            Some(tc) => tc,
            None => {
                let created = if h.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
                    Some(
                        self.b
                            .topics
                            .create_system(&h.topic, 1, perm::READ | perm::WRITE),
                    )
                } else {
                    self.b.topics.create_in_send(
                        &h.topic,
                        &h.default_topic,
                        h.default_topic_queue_nums,
                        0,
                    )
                };
                match created {
                    Some((tc, new)) => {
                        if new {
                            self.b.register_now.notify_one();
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
        &self,
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
                    msg_region: Some(self.b.cfg.region_id.clone()),
                    trace_on: Some(self.b.cfg.trace_on.to_string()),
                };
                let remark =
                    (code != ResponseCode::SUCCESS).then(|| "flush disk timeout".to_owned());
                RemotingCommand::response_to(req, code, remark).with_header(&header)
            }
            Err(e) => {
                let code = store_error_code(&e);
                fail(req, code, e.to_string())
            }
        }
    }

    // ---- pull -------------------------------------------------------------------------------

    fn pull_message(
        &self,
        ctx: &ConnCtx,
        req: RemotingCommand,
        allow_suspend: bool,
    ) -> Option<RemotingCommand> {
        let h: PullMessageRequestHeader = match req.header() {
            Ok(h) => h,
            Err(e) => return Some(fail(&req, ResponseCode::SYSTEM_ERROR, e.to_string())),
        };
        let Some(tc) = self.b.topics.select(&h.topic) else {
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
            match self.b.clients.subscription(&h.consumer_group, &h.topic) {
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
        if h.sys_flag & FLAG_COMMIT_OFFSET != 0 && h.commit_offset >= 0 {
            self.b
                .offsets
                .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
        }
        let max = h
            .max_msg_nums
            .clamp(1, self.b.cfg.max_transfer_count.max(1));
        let filter = tags
            .as_ref()
            .map(|set| move |code: i64| set.contains(&code));
        let got = match &filter {
            Some(f) => self
                .b
                .store
                .get_message(&h.topic, h.queue_id, h.queue_offset, max, Some(f)),
            None => self
                .b
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
            GetStatus::OffsetFoundNull | GetStatus::OffsetOverflowOne => {
                ResponseCode::PULL_NOT_FOUND
            }
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
            let wait = if self.b.cfg.long_polling_enable {
                Duration::from_millis(h.suspend_timeout_millis.clamp(0, 60_000) as u64)
            } else {
                Duration::from_millis(self.b.cfg.short_polling_time_mills)
            };
            let me = BrokerProcessor { b: self.b.clone() };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + wait;
                let mut rx = me.b.store.subscribe_new_messages();
                loop {
                    if me.b.store.max_offset_in_queue(&h.topic, h.queue_id) > h.queue_offset
                        || ctx.is_closed()
                    {
                        break;
                    }
                    tokio::select! {
                        r = rx.changed() => if r.is_err() { break },
                        _ = tokio::time::sleep_until(deadline) => break,
                    }
                }
                if let Some(resp) = me.pull_message(&ctx, req, false) {
                    let _ = ctx.send(&resp).await;
                }
            });
            return None;
        }
        let mut resp = RemotingCommand::response_to(&req, code, None).with_header(&header);
        if code == ResponseCode::SUCCESS {
            resp = resp.with_body(concat(&got.messages));
        }
        Some(resp)
    }

    // ---- clients ------------------------------------------------------------------------------

    fn heartbeat(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
        let hb: HeartbeatData = decode_json(req.body_bytes())?;
        for p in &hb.producer_data_set {
            self.b
                .clients
                .register_producer(&p.group_name, &hb.client_id, ctx.peer, ctx.sender());
        }
        for c in &hb.consumer_data_set {
            let retry = format!("{RETRY_GROUP_TOPIC_PREFIX}{}", c.group_name);
            let (_, created) = self
                .b
                .topics
                .create_system(&retry, 1, perm::READ | perm::WRITE);
            if created {
                self.b.register_now.notify_one();
            }
            if self
                .b
                .clients
                .register_consumer(c, &hb.client_id, ctx.peer, ctx.sender())
            {
                self.b.clients.notify_consumer_ids_changed(&c.group_name);
            }
        }
        Ok(ok(req))
    }

    fn unregister_client(&self, req: &RemotingCommand) -> Res {
        let h: UnregisterClientRequestHeader = req.header()?;
        if self.b.clients.unregister(
            &h.client_id,
            h.producer_group.as_deref(),
            h.consumer_group.as_deref(),
        ) {
            if let Some(g) = &h.consumer_group {
                self.b.clients.notify_consumer_ids_changed(g);
            }
        }
        Ok(ok(req))
    }

    fn consumer_list(&self, req: &RemotingCommand) -> Res {
        let h: GetConsumerListByGroupRequestHeader = req.header()?;
        let ids = self.b.clients.consumer_ids(&h.consumer_group);
        if ids.is_empty() {
            return Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("no consumer for this group, {}", h.consumer_group),
            ));
        }
        Ok(ok(req).with_body(encode_json(&ConsumerIdList {
            consumer_id_list: ids,
        })))
    }

    fn query_consumer_offset(&self, req: &RemotingCommand) -> Res {
        let h: QueryConsumerOffsetRequestHeader = req.header()?;
        let offset = self
            .b
            .offsets
            .query(&h.consumer_group, &h.topic, h.queue_id);
        if offset >= 0 {
            return Ok(ok(req).with_header(&OffsetResponseHeader { offset }));
        }
        // Java: a group that never committed starts at 0 while the queue still begins at 0.
        if self.b.store.min_offset_in_queue(&h.topic, h.queue_id) <= 0 {
            return Ok(ok(req).with_header(&OffsetResponseHeader { offset: 0 }));
        }
        Ok(fail(
            req,
            ResponseCode::QUERY_NOT_FOUND,
            "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
        ))
    }

    fn update_consumer_offset(&self, req: &RemotingCommand) -> Res {
        let h: UpdateConsumerOffsetRequestHeader = req.header()?;
        self.b
            .offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
        Ok(ok(req))
    }

    /// LOCK_BATCH_MQ (Java `lockBatchMQ`): the queues granted to the asking client; a queue
    /// another live client of the group holds is left out.
    fn lock_batch(&self, req: &RemotingCommand) -> Res {
        let body: LockBatchRequestBody = decode_json(req.body_bytes())?;
        let (group, client) = match lock_owner(&body) {
            Ok(x) => x,
            Err(why) => return Ok(fail(req, ResponseCode::SYSTEM_ERROR, why)),
        };
        let granted = self.b.locks.try_lock_batch(group, &body.mq_set, client);
        Ok(ok(req).with_body(encode_json(&LockBatchResponseBody {
            lock_ok_m_q_set: granted,
        })))
    }

    /// UNLOCK_BATCH_MQ (Java `unlockBatchMQ`): releases the asking client's locks.
    fn unlock_batch(&self, req: &RemotingCommand) -> Res {
        let body: LockBatchRequestBody = decode_json(req.body_bytes())?;
        let (group, client) = match lock_owner(&body) {
            Ok(x) => x,
            Err(why) => return Ok(fail(req, ResponseCode::SYSTEM_ERROR, why)),
        };
        self.b.locks.unlock_batch(group, &body.mq_set, client);
        Ok(ok(req))
    }

    /// CONSUMER_SEND_MSG_BACK: a consumer failed a message; put it to the group's retry topic
    /// after its delay level (level 0: 3 + reconsumeTimes), or to its DLQ after
    /// `maxReconsumeTimes`.
    async fn send_msg_back(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: ConsumerSendMsgBackRequestHeader = req.header()?;
        let Some(rec) = self.b.store.look_message_by_offset(h.offset) else {
            return Ok(fail(
                req,
                ResponseCode::SYSTEM_ERROR,
                format!("look message by offset failed, {}", h.offset),
            ));
        };
        let (m, _) = MessageExt::decode(&rec)?;
        let max = h.max_reconsume_times.unwrap_or(16);
        let reconsume = m.reconsume_times + 1;
        let dlq = reconsume > max || h.delay_level < 0;
        let (topic, queues, p) = if dlq {
            (
                format!("{DLQ_GROUP_TOPIC_PREFIX}{}", h.group),
                1,
                perm::WRITE | perm::READ,
            )
        } else {
            (
                format!("{RETRY_GROUP_TOPIC_PREFIX}{}", h.group),
                1,
                perm::WRITE | perm::READ,
            )
        };
        let (_, created) = self.b.topics.create_system(&topic, queues, p);
        if created {
            self.b.register_now.notify_one();
        }
        let mut props = m.properties.clone();
        if props.get(property::RETRY_TOPIC).is_none() {
            props.insert(property::RETRY_TOPIC, m.topic.clone());
        }
        if props.get(property::ORIGIN_MESSAGE_ID).is_none() {
            props.insert(
                property::ORIGIN_MESSAGE_ID,
                h.origin_msg_id.clone().unwrap_or_else(|| m.msg_id()),
            );
        }
        if !dlq {
            // Java: level 0 means "3 + reconsumeTimes"; the retry waits in SCHEDULE_TOPIC_XXXX.
            let level = if h.delay_level == 0 {
                3 + m.reconsume_times
            } else {
                h.delay_level
            };
            props.insert(property::DELAY_TIME_LEVEL, level.to_string());
        }
        let mut put = PutMessage {
            topic,
            queue_id: 0,
            flag: m.flag,
            body: m.raw_body.clone(),
            properties: props.encode(),
            sys_flag: m.sys_flag,
            born_timestamp: m.born_timestamp,
            born_host: ctx.peer,
            reconsume_times: reconsume,
            prepared_transaction_offset: 0,
        };
        if let Err(why) =
            rocklet_store::schedule::redirect_delayed(&mut put, &self.b.cfg.delay_levels)
        {
            return Ok(fail(req, ResponseCode::MESSAGE_ILLEGAL, why));
        }
        Ok(match self.b.store.put_message(put).await {
            Ok(_) => ok(req),
            Err(e) => fail(req, store_error_code(&e), e.to_string()),
        })
    }

    // ---- admin --------------------------------------------------------------------------------

    fn create_topic(&self, req: &RemotingCommand) -> Res {
        let h: CreateTopicRequestHeader = req.header()?;
        // Java `updateAndCreateTopic`: `validateTopic`, then `isSystemTopic`, both SYSTEM_ERROR.
        if let Some(why) = validate_topic(&h.topic) {
            return Ok(fail(req, ResponseCode::SYSTEM_ERROR, why));
        }
        if crate::topic::is_system_topic(&h.topic, &self.b.cfg) {
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
        self.b.topics.update(tc);
        Ok(ok(req))
    }

    fn runtime_info(&self, req: &RemotingCommand) -> RemotingCommand {
        let mut t = KvTable::default();
        let s = &self.b.store;
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
                (now_ms() - self.b.started.elapsed().as_millis() as i64).to_string(),
            ),
            (
                "runtime",
                format!("[ {} seconds ]", self.b.started.elapsed().as_secs()),
            ),
            ("msgPutTotalTodayNow", "0".into()),
            ("msgGetTotalTodayNow", "0".into()),
            ("msgPutTotalYesterdayMorning", "0".into()),
            ("msgPutTotalTodayMorning", "0".into()),
            ("msgGetTotalYesterdayMorning", "0".into()),
            ("msgGetTotalTodayMorning", "0".into()),
            ("putTps", "0.0 0.0 0.0".into()),
            ("getTransferedTps", "0.0 0.0 0.0".into()),
            ("brokerName", self.b.cfg.broker_name.clone()),
            (
                "storePathRootDir",
                self.b.cfg.store_path_root_dir.display().to_string(),
            ),
        ];
        for (k, v) in kv {
            t.table.insert(k.into(), v);
        }
        ok(req).with_body(encode_json(&t))
    }

    fn query_message(&self, req: &RemotingCommand) -> Res {
        let mut h: QueryMessageRequestHeader = req.header()?;
        if h.unique_key_query == Some(true) {
            h.max_num = self.b.cfg.default_query_max_num;
        }
        let recs = self.b.store.query_message(
            &h.topic,
            &h.key,
            h.max_num.clamp(1, 64) as usize,
            h.begin_timestamp,
            h.end_timestamp,
        );
        let header = QueryMessageResponseHeader {
            index_last_update_timestamp: now_ms(),
            index_last_update_phyoffset: self.b.store.commit_log_max_offset(),
        };
        if recs.is_empty() {
            return Ok(fail(
                req,
                ResponseCode::QUERY_NOT_FOUND,
                "can not find message, maybe time range not correct",
            )
            .with_header(&header));
        }
        Ok(ok(req).with_header(&header).with_body(concat(&recs)))
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
        StoreError::ShutDown => ResponseCode::SERVICE_NOT_AVAILABLE,
        _ => ResponseCode::SYSTEM_ERROR,
    }
}

fn concat(parts: &[Bytes]) -> Bytes {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let mut b = BytesMut::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        b.extend_from_slice(p);
    }
    b.freeze()
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn rand_u32() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static S: AtomicU32 = AtomicU32::new(0x9E37_79B9);
    let x = S.fetch_add(0x9E37_79B9, Ordering::Relaxed);
    x ^ (x >> 16)
}
