//! From a `Message` to a wire request: `UNIQ_KEY` (`MessageClientIDSetter`), body compression
//! (`tryToCompressMessage`), batch encoding (`MessageBatch`) and the `SEND_MESSAGE_V2` /
//! `SEND_BATCH_MESSAGE` / `SEND_REPLY_MESSAGE_V2` command.

use bytes::{Bytes, BytesMut};
use rocklet_protocol::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
use rocklet_protocol::message::{deflate, encode_batch_item, property, sys_flag};
use rocklet_protocol::msgid::UniqIdGenerator;
use rocklet_protocol::{RemotingCommand, RequestCode};
use std::sync::OnceLock;

use super::{now_ms, DefaultMQProducer};
use crate::error::ClientError;
use crate::message::{Message, MessageQueue};
use crate::validators::check_message;

/// Set `UNIQ_KEY` unless the message has one (`MessageClientIDSetter.setUniqID`); retries and
/// resends keep the same id.
pub fn set_uniq_id(msg: &mut Message) {
    if msg.uniq_id().is_none() {
        msg.properties.insert(
            property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
            uniq_gen().next_id(),
        );
    }
}

fn uniq_gen() -> &'static UniqIdGenerator {
    static G: OnceLock<UniqIdGenerator> = OnceLock::new();
    G.get_or_init(|| UniqIdGenerator::new(crate::config::local_ip()))
}

/// A message ready for the wire: properties encoded, body possibly compressed or a batch.
pub(super) struct Prepared {
    pub(super) topic: String,
    flag: i32,
    body: Bytes,
    properties: String,
    sys_flag: i32,
    batch: bool,
    /// `UNIQ_KEY`, comma-joined for a batch.
    pub(super) uniq_id: String,
    /// What a trace record needs (filled only with `enableMsgTrace`): tags, keys, type.
    pub(super) trace: Option<TraceInfo>,
}

/// The parts of the message a `Pub` trace record names.
pub(super) struct TraceInfo {
    pub(super) tags: Option<String>,
    pub(super) keys: Option<String>,
    pub(super) msg_type: crate::trace::MsgType,
}

impl Prepared {
    /// The body's length as sent (compressed when it was).
    pub(super) fn body_len(&self) -> usize {
        self.body.len()
    }
}

impl DefaultMQProducer {
    pub(super) fn prepare(&self, msg: &Message) -> Prepared {
        let mut sys = 0;
        let mut body = msg.body.clone();
        // `tryToCompressMessage`: zlib at the configured level for bodies at or over the threshold.
        if body.len() >= self.inner.cfg.compress_msg_body_over_howmuch {
            let z = deflate(&body, self.inner.cfg.compress_level);
            body = Bytes::from(z);
            sys |= sys_flag::COMPRESSED;
        }
        if msg
            .property(property::TRANSACTION_PREPARED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            sys |= sys_flag::TRANSACTION_PREPARED_TYPE;
        }
        Prepared {
            topic: msg.topic.clone(),
            flag: msg.flag,
            body,
            properties: msg.properties.encode(),
            sys_flag: sys,
            batch: false,
            uniq_id: msg.uniq_id().unwrap_or_default().to_owned(),
            trace: self
                .inner
                .cfg
                .enable_msg_trace
                .then(|| trace_info(msg, sys)),
        }
    }

    pub(super) fn prepare_batch(&self, msgs: Vec<Message>) -> Result<Prepared, ClientError> {
        let first = msgs
            .first()
            .ok_or_else(|| ClientError::client(-1, "the batch is empty"))?;
        let topic = self.inner.cfg.client.with_namespace(&first.topic);
        let wait = first.wait_store_msg_ok();
        let mut body = BytesMut::new();
        let mut ids = Vec::with_capacity(msgs.len());
        for mut m in msgs {
            m.topic = self.inner.cfg.client.with_namespace(&m.topic);
            if m.delay_time_level() > 0 {
                return Err(ClientError::client(
                    -1,
                    "TimeDelayLevel is not supported for batching",
                ));
            }
            if m.topic.starts_with("%RETRY%") {
                return Err(ClientError::client(
                    -1,
                    "Retry Group is not supported for batching",
                ));
            }
            if m.topic != topic {
                return Err(ClientError::client(
                    -1,
                    "The topic of the messages in one batch should be the same",
                ));
            }
            if m.wait_store_msg_ok() != wait {
                return Err(ClientError::client(
                    -1,
                    "The waitStoreMsgOK of the messages in one batch should the same",
                ));
            }
            check_message(&m, self.inner.cfg.max_message_size)?;
            set_uniq_id(&mut m);
            ids.push(m.uniq_id().unwrap_or_default().to_owned());
            encode_batch_item(&mut body, m.flag, &m.body, &m.properties.encode());
        }
        let batch_msg = Message {
            topic: topic.clone(),
            body: body.freeze(),
            ..Default::default()
        };
        check_message(&batch_msg, self.inner.cfg.max_message_size)?;
        let mut props = rocklet_protocol::message::Properties::default();
        props.insert(property::WAIT_STORE_MSG_OK, wait.to_string());
        Ok(Prepared {
            topic,
            flag: 0,
            body: batch_msg.body,
            properties: props.encode(),
            sys_flag: 0,
            batch: true,
            uniq_id: ids.join(","),
            trace: self.inner.cfg.enable_msg_trace.then_some(TraceInfo {
                tags: None,
                keys: None,
                msg_type: crate::trace::MsgType::Normal,
            }),
        })
    }
    pub(super) fn send_command(&self, p: &Prepared, mq: &MessageQueue) -> RemotingCommand {
        let h = SendMessageRequestHeader {
            producer_group: self.inner.cfg.producer_group.clone(),
            topic: p.topic.clone(),
            default_topic: self.inner.cfg.create_topic_key.clone(),
            default_topic_queue_nums: self.inner.cfg.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: p.sys_flag,
            born_timestamp: now_ms(),
            flag: p.flag,
            properties: Some(p.properties.clone()),
            reconsume_times: Some(0),
            unit_mode: Some(self.inner.cfg.client.unit_mode),
            batch: Some(p.batch),
            max_reconsume_times: None,
        };
        let code = if p.batch {
            RequestCode::SEND_BATCH_MESSAGE
        } else if crate::request::is_reply(&p.properties) {
            RequestCode::SEND_REPLY_MESSAGE_V2
        } else {
            RequestCode::SEND_MESSAGE_V2
        };
        RemotingCommand::request(code, &SendMessageRequestHeaderV2::from_v1(&h))
            .with_body(p.body.clone())
    }
}

/// `sendKernelImpl`'s message type for the trace: a transaction half, unless the message is
/// delayed (Java sets Delay_Msg after Trans_Msg_Half, so delay wins).
fn trace_info(msg: &Message, sys: i32) -> TraceInfo {
    use crate::trace::MsgType;
    let mut msg_type = MsgType::Normal;
    if sys & sys_flag::TRANSACTION_PREPARED_TYPE != 0 {
        msg_type = MsgType::TransHalf;
    }
    if msg.property("__STARTDELIVERTIME").is_some()
        || msg.property(property::DELAY_TIME_LEVEL).is_some()
    {
        msg_type = MsgType::Delay;
    }
    TraceInfo {
        tags: msg.tags().map(str::to_owned),
        keys: msg.keys().map(str::to_owned),
        msg_type,
    }
}
