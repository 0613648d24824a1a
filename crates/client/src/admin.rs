//! `MQAdmin` operations (`MQAdminImpl`) and a simple pull, shared by the producer and the CLI.

use rocklet_protocol::body::TopicConfig;
use rocklet_protocol::header::*;
use rocklet_protocol::message::{inflate, sys_flag, MessageExt};
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_protocol::route::{perm, ClusterInfo, TopicRouteData};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::sync::Arc;
use std::time::Duration;

use crate::error::ClientError;
use crate::instance::ClientInstance;
use crate::message::{MessageQueue, PullResult, PullStatus, QueryResult};
use crate::producer::DefaultMQProducer;

/// Admin calls over a client instance (`MQAdminImpl` and the management calls of
/// `DefaultMQAdminExt`). Get one with [`MQAdmin::connect`] or [`DefaultMQProducer::admin`].
///
/// Each request waits at most `mqClientApiTimeout` (default 3 s) for its answer.
///
/// # Errors
/// What every call can fail with, besides what its own `# Errors` section lists:
/// - [`ClientError::Remoting`]: the peer could not be connected to, the request could not be
///   written, the connection closed, or no answer came within the timeout;
/// - [`ClientError::Protocol`]: the answer's header or body could not be decoded.
///
/// # Cancellation
/// Dropping a call's future removes its request from the connection's in-flight table and
/// ignores the answer when it comes; a request already queued for writing is still sent, and
/// the broker or name server still carries it out. A call that asks several peers in turn
/// stops at the one in progress.
#[derive(Clone)]
pub struct MQAdmin {
    inst: Arc<ClientInstance>,
    timeout: Duration,
}

fn broker_err(r: &RemotingCommand, addr: &str) -> ClientError {
    ClientError::Broker {
        code: ResponseCode::from_i32(r.code),
        remark: r.remark.clone().unwrap_or_default(),
        addr: addr.to_owned(),
    }
}

/// Decode a pull/query/view body; compressed bodies are inflated, and the compressed flag is
/// kept in `sys_flag`, as Java's `MessageDecoder.decode(..., deCompressBody=true)` does (the
/// interop matrix compares the decoded fields with Java's). Use [`MessageExt::raw_body`] for the
/// plain body.
pub fn decode_messages(body: &[u8]) -> Result<Vec<MessageExt>, ClientError> {
    inflate_bodies(MessageExt::decode_all(body)?)
}

/// [`decode_messages`] of a received body, the messages sharing its memory.
pub(crate) fn decode_messages_shared(body: &bytes::Bytes) -> Result<Vec<MessageExt>, ClientError> {
    inflate_bodies(MessageExt::decode_all_shared(body)?)
}

fn inflate_bodies(mut v: Vec<MessageExt>) -> Result<Vec<MessageExt>, ClientError> {
    for m in &mut v {
        if m.sys_flag & sys_flag::COMPRESSED != 0 {
            m.raw_body = inflate(&m.raw_body)?.into();
            m.body_inflated = true;
        }
    }
    Ok(v)
}

impl MQAdmin {
    pub(crate) fn new(inst: Arc<ClientInstance>) -> Self {
        let timeout = inst.config().mq_client_api_timeout;
        MQAdmin { inst, timeout }
    }

    /// An admin client of its own (a client instance named after `instance_name`).
    pub fn connect(mut cfg: crate::config::ClientConfig) -> Result<Self, ClientError> {
        cfg.change_instance_name_to_pid();
        let inst = ClientInstance::get_or_create(&cfg);
        inst.start()?;
        Ok(MQAdmin::new(inst))
    }

    /// The client instance the calls go through.
    pub fn instance(&self) -> &Arc<ClientInstance> {
        &self.inst
    }

    pub(crate) async fn call(
        &self,
        addr: &str,
        cmd: RemotingCommand,
    ) -> Result<RemotingCommand, ClientError> {
        Ok(self.inst.remoting.invoke(addr, cmd, self.timeout).await?)
    }

    /// GET_ROUTEINFO_BY_TOPIC from the name servers (tried in turn): the brokers and queues of
    /// `topic`.
    ///
    /// # Errors
    /// [`ClientError::Client`] with NO_NAME_SERVER_EXCEPTION (10004) when no name server is
    /// configured, with TOPIC_NOT_EXIST (17) when the topic has no route, or with the name
    /// server's code and remark for another refusal; [`ClientError::Remoting`] when no name
    /// server answered (the last one's error).
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        self.inst.get_topic_route(topic).await
    }

    /// GET_BROKER_CLUSTER_INFO from the name servers (tried in turn): every broker and
    /// cluster they know.
    ///
    /// # Errors
    /// [`ClientError::Client`] with NO_NAME_SERVER_EXCEPTION (10004) when no name server is
    /// configured, or with the name server's code and remark when it refuses;
    /// [`ClientError::Remoting`] when no name server answered.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn cluster_info(&self) -> Result<ClusterInfo, ClientError> {
        let r = self
            .inst
            .invoke_namesrv(
                RemotingCommand::request_bare(RequestCode::GET_BROKER_CLUSTER_INFO),
                self.timeout,
            )
            .await?;
        if r.code != 0 {
            return Err(ClientError::client(r.code, r.remark.unwrap_or_default()));
        }
        Ok(ClusterInfo::from_json(r.body_bytes())?)
    }

    /// UPDATE_AND_CREATE_TOPIC on one broker.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still create or update the topic after the future is dropped.
    pub async fn create_topic_on(
        &self,
        broker_addr: &str,
        tc: &TopicConfig,
    ) -> Result<(), ClientError> {
        let h = CreateTopicRequestHeader {
            topic: tc.topic_name.clone(),
            default_topic: crate::config::AUTO_CREATE_TOPIC_KEY_TOPIC.into(),
            read_queue_nums: tc.read_queue_nums,
            write_queue_nums: tc.write_queue_nums,
            perm: tc.perm,
            topic_filter_type: tc.topic_filter_type.clone(),
            topic_sys_flag: Some(tc.topic_sys_flag),
            order: tc.order,
        };
        let r = self
            .call(
                broker_addr,
                RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC, &h),
            )
            .await?;
        if r.code != 0 {
            return Err(broker_err(&r, broker_addr));
        }
        Ok(())
    }

    /// `createTopic(key, newTopic, queueNum)`: on every master of the brokers serving `key`.
    /// Succeeds when at least one master created it.
    ///
    /// # Errors
    /// [`ClientError::Client`] (code -1) when `new_topic` is blank, too long or has illegal
    /// characters, or `key`'s route has no master; the route
    /// lookup's errors as [`Self::topic_route`]; when every master failed, the last one's
    /// error as [`Self::create_topic_on`].
    ///
    /// # Cancellation
    /// The masters are asked one after another: dropping the future may leave the topic on
    /// some of them only.
    pub async fn create_topic(
        &self,
        key: &str,
        new_topic: &str,
        queue_num: i32,
        topic_sys_flag: i32,
    ) -> Result<(), ClientError> {
        crate::validators::check_topic(new_topic)?;
        let route = self.inst.get_topic_route(key).await?;
        let mut created = 0;
        let mut last_err = None;
        for bd in &route.broker_datas {
            let Some(addr) = bd.master_addr() else {
                continue;
            };
            let mut tc =
                TopicConfig::new(new_topic, queue_num, queue_num, perm::READ | perm::WRITE);
            tc.topic_sys_flag = topic_sys_flag;
            match self.create_topic_on(addr, &tc).await {
                Ok(()) => created += 1,
                Err(e) => last_err = Some(e),
            }
        }
        if created == 0 {
            return Err(last_err.unwrap_or_else(|| {
                ClientError::client(-1, "Not found broker, maybe key is wrong")
            }));
        }
        Ok(())
    }

    async fn queue_offset_call(
        &self,
        mq: &MessageQueue,
        code: RequestCode,
        ts: Option<i64>,
    ) -> Result<RemotingCommand, ClientError> {
        let addr = self.inst.broker_addr_for(mq).await?;
        let cmd = match ts {
            Some(timestamp) => RemotingCommand::request(
                code,
                &SearchOffsetRequestHeader {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    timestamp,
                },
            ),
            None => RemotingCommand::request(
                code,
                &QueueRequestHeader {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                },
            ),
        };
        let r = self.call(&addr, cmd).await?;
        if r.code != 0 {
            return Err(broker_err(&r, &addr));
        }
        Ok(r)
    }

    /// `maxOffset`: the next queue offset to be written.
    ///
    /// # Errors
    /// [`ClientError::Client`] when `mq`'s broker is not in the route; [`ClientError::Broker`]
    /// when the broker refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let r = self
            .queue_offset_call(mq, RequestCode::GET_MAX_OFFSET, None)
            .await?;
        Ok(r.header::<OffsetResponseHeader>()?.offset)
    }

    /// `minOffset`: the smallest queue offset still stored.
    ///
    /// # Errors
    /// As [`Self::max_offset`].
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let r = self
            .queue_offset_call(mq, RequestCode::GET_MIN_OFFSET, None)
            .await?;
        Ok(r.header::<OffsetResponseHeader>()?.offset)
    }

    /// `earliestMsgStoreTime`: store time (ms) of the queue's oldest message.
    ///
    /// # Errors
    /// As [`Self::max_offset`].
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn earliest_msg_store_time(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let r = self
            .queue_offset_call(mq, RequestCode::GET_EARLIEST_MSG_STORETIME, None)
            .await?;
        Ok(r.header::<TimestampResponseHeader>()?.timestamp)
    }

    /// `searchOffset(mq, timestamp)`: the queue offset of the first message stored at or after
    /// `timestamp` (ms).
    ///
    /// # Errors
    /// As [`Self::max_offset`].
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn search_offset(
        &self,
        mq: &MessageQueue,
        timestamp: i64,
    ) -> Result<i64, ClientError> {
        let r = self
            .queue_offset_call(mq, RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, Some(timestamp))
            .await?;
        Ok(r.header::<OffsetResponseHeader>()?.offset)
    }

    /// `viewMessage(offsetMsgId)`: the id names the broker and commit-log offset.
    ///
    /// # Errors
    /// [`ClientError::Client`] when `offset_msg_id` is not an offset msgId or the answer holds
    /// no message; [`ClientError::Broker`] when the broker refuses (e.g. SYSTEM_ERROR 1 for
    /// an offset with no message).
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn view_message(&self, offset_msg_id: &str) -> Result<MessageExt, ClientError> {
        let (addr, offset) = decode_offset_msg_id(offset_msg_id).ok_or_else(|| {
            ClientError::client(
                -1,
                format!("query message by id finished, but no message. {offset_msg_id}"),
            )
        })?;
        let addr = addr.to_string();
        let r = self
            .call(
                &addr,
                RemotingCommand::request(
                    RequestCode::VIEW_MESSAGE_BY_ID,
                    &ViewMessageRequestHeader { offset },
                ),
            )
            .await?;
        if r.code != 0 {
            return Err(broker_err(&r, &addr));
        }
        decode_messages(r.body_bytes())?
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::client(-1, "empty view response"))
    }

    /// `queryMessage(topic, key, maxNum, begin, end)` across every broker of the topic; with
    /// `unique_key` the key is a message's unique id.
    ///
    /// # Errors
    /// [`ClientError::Client`] when nothing matched; the route lookup's errors as
    /// [`Self::topic_route`]; [`ClientError::Broker`] when a broker refuses with anything but
    /// QUERY_NOT_FOUND (22), which counts as no match.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
        unique_key: bool,
    ) -> Result<QueryResult, ClientError> {
        let route = self.inst.get_topic_route(topic).await?;
        let mut out = Vec::new();
        let mut last_ts = 0;
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_addr() else {
                continue;
            };
            let h = QueryMessageRequestHeader {
                topic: topic.to_owned(),
                key: key.to_owned(),
                max_num,
                begin_timestamp: begin,
                end_timestamp: end,
                unique_key_query: unique_key.then_some(true),
            };
            let r = self
                .call(
                    addr,
                    RemotingCommand::request(RequestCode::QUERY_MESSAGE, &h),
                )
                .await?;
            if r.code == ResponseCode::QUERY_NOT_FOUND.as_i32() {
                continue;
            }
            if r.code != 0 {
                return Err(broker_err(&r, addr));
            }
            if let Ok(rh) = r.header::<QueryMessageResponseHeader>() {
                last_ts = last_ts.max(rh.index_last_update_timestamp);
            }
            for m in decode_messages(r.body_bytes())? {
                let hit = if unique_key {
                    m.msg_id() == key
                } else {
                    m.keys().is_some_and(|ks| ks.split(' ').any(|k| k == key))
                };
                if hit && m.topic == topic {
                    out.push(m);
                }
            }
        }
        if out.is_empty() {
            return Err(ClientError::client(
                -1,
                format!("query message by key finished, but no message. topic={topic} key={key}"),
            ));
        }
        Ok(QueryResult {
            index_last_update_timestamp: last_ts,
            message_list: out,
        })
    }

    /// `viewMessage(topic, msgId)`: an offset msgId is looked up directly, anything else as a
    /// unique key.
    ///
    /// # Errors
    /// As [`Self::query_message`] (a failed direct look-up falls back to the query).
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn view_message_by_topic(
        &self,
        topic: &str,
        msg_id: &str,
    ) -> Result<MessageExt, ClientError> {
        if decode_offset_msg_id(msg_id).is_some() {
            if let Ok(m) = self.view_message(msg_id).await {
                return Ok(m);
            }
        }
        let r = self
            .query_message(topic, msg_id, 32, 0, i64::MAX, true)
            .await?;
        r.message_list
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::client(-1, "no message"))
    }

    /// PULL_MESSAGE without suspension: read up to `max_nums` messages of `mq` from `offset`,
    /// filtered by a TAG expression (`*` for all). Does not commit a consumer offset.
    ///
    /// # Errors
    /// [`ClientError::Client`] when `mq`'s broker is not in the route; [`ClientError::Broker`]
    /// for any answer but SUCCESS, PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY and
    /// PULL_OFFSET_MOVED (which are [`PullStatus`] values).
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn pull(
        &self,
        group: &str,
        mq: &MessageQueue,
        sub_expression: &str,
        offset: i64,
        max_nums: i32,
    ) -> Result<PullResult, ClientError> {
        let addr = self.inst.broker_addr_for(mq).await?;
        let h = PullMessageRequestHeader {
            consumer_group: group.to_owned(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: max_nums,
            sys_flag: 0x4,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some(sub_expression.to_owned()),
            sub_version: 0,
            expression_type: Some("TAG".into()),
        };
        let r = self
            .call(
                &addr,
                RemotingCommand::request(RequestCode::PULL_MESSAGE, &h),
            )
            .await?;
        let status = match ResponseCode::from_i32(r.code) {
            ResponseCode::SUCCESS => PullStatus::FOUND,
            ResponseCode::PULL_NOT_FOUND => PullStatus::NO_NEW_MSG,
            ResponseCode::PULL_RETRY_IMMEDIATELY => PullStatus::NO_MATCHED_MSG,
            ResponseCode::PULL_OFFSET_MOVED => PullStatus::OFFSET_ILLEGAL,
            _ => return Err(broker_err(&r, &addr)),
        };
        let rh: PullMessageResponseHeader = r.header()?;
        let mut msgs = if status == PullStatus::FOUND {
            decode_messages(r.body_bytes())?
        } else {
            Vec::new()
        };
        // Client-side tag filter, as `PullAPIWrapper.processPullResult` (tags codes may collide).
        let expr = sub_expression.trim();
        if !(expr.is_empty() || expr == "*") {
            let tags: Vec<&str> = expr.split("||").map(str::trim).collect();
            msgs.retain(|m| m.tags().is_some_and(|t| tags.contains(&t)));
        }
        Ok(PullResult {
            pull_status: status,
            next_begin_offset: rh.next_begin_offset,
            min_offset: rh.min_offset,
            max_offset: rh.max_offset,
            msg_found_list: msgs,
        })
    }
}

impl DefaultMQProducer {
    /// The admin operations of the producer's instance (`MQAdmin`).
    pub fn admin(&self) -> Result<MQAdmin, ClientError> {
        self.instance().map(MQAdmin::new).ok_or_else(|| {
            ClientError::client(-1, "The producer service state not OK, not started")
        })
    }
}
