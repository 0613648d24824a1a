//! The message model: `Message`, `MessageQueue`, `SendResult`, `SendStatus`
//! (`org.apache.rocketmq.common.message` / `client.producer`).

use bytes::Bytes;
use rocklet_protocol::message::{property, Properties};
use std::fmt;

pub use rocklet_protocol::message::MessageExt;

/// A message to send. Properties carry tags, keys, `WAIT`, delay level and user properties.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub topic: String,
    /// Not interpreted by RocketMQ.
    pub flag: i32,
    pub properties: Properties,
    pub body: Bytes,
    pub transaction_id: Option<String>,
}

impl Message {
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut m = Message {
            topic: topic.into(),
            body: body.into(),
            ..Default::default()
        };
        m.set_wait_store_msg_ok(true);
        m
    }
    /// Builder: set the tags.
    pub fn with_tags(mut self, tags: impl Into<String>) -> Self {
        self.set_tags(tags);
        self
    }
    /// Builder: set the keys (joined with a space).
    pub fn with_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.set_keys(keys);
        self
    }
    /// Builder: a user property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.put_user_property(key, value);
        self
    }

    pub fn tags(&self) -> Option<&str> {
        self.properties.get(property::TAGS)
    }
    pub fn set_tags(&mut self, tags: impl Into<String>) {
        self.properties.insert(property::TAGS, tags);
    }
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(property::KEYS)
    }
    pub fn set_keys<I, S>(&mut self, keys: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined: Vec<String> = keys.into_iter().map(|k| k.as_ref().to_owned()).collect();
        self.properties
            .insert(property::KEYS, joined.join(property::KEY_SEPARATOR));
    }
    /// `WAIT`: whether the broker answers only after the message is stored (flushed in SYNC_FLUSH).
    pub fn wait_store_msg_ok(&self) -> bool {
        self.properties
            .get(property::WAIT_STORE_MSG_OK)
            .map(|v| v != "false")
            .unwrap_or(true)
    }
    pub fn set_wait_store_msg_ok(&mut self, wait: bool) {
        self.properties
            .insert(property::WAIT_STORE_MSG_OK, wait.to_string());
    }
    pub fn delay_time_level(&self) -> i32 {
        self.properties
            .get(property::DELAY_TIME_LEVEL)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    pub fn set_delay_time_level(&mut self, level: i32) {
        self.properties
            .insert(property::DELAY_TIME_LEVEL, level.to_string());
    }
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }
    /// A user property; Java refuses names reserved by `MessageConst`.
    pub fn put_user_property(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.properties.insert(key, value);
    }
    /// The unique id set by the producer (`UNIQ_KEY`), once sent.
    pub fn uniq_id(&self) -> Option<&str> {
        self.properties.get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
    }
}

/// A queue of a topic on one broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageQueue {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
}

impl MessageQueue {
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: i32) -> Self {
        MessageQueue {
            topic: topic.into(),
            broker_name: broker_name.into(),
            queue_id,
        }
    }
}

impl fmt::Display for MessageQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            self.topic, self.broker_name, self.queue_id
        )
    }
}

/// `SendStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum SendStatus {
    SEND_OK,
    FLUSH_DISK_TIMEOUT,
    FLUSH_SLAVE_TIMEOUT,
    SLAVE_NOT_AVAILABLE,
}

/// `SendResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    pub send_status: SendStatus,
    /// The unique id (`UNIQ_KEY`); comma-joined for a batch.
    pub msg_id: String,
    /// Store host + commit-log offset; comma-joined for a batch.
    pub offset_msg_id: String,
    pub message_queue: MessageQueue,
    pub queue_offset: i64,
    pub transaction_id: Option<String>,
    pub region_id: String,
    pub trace_on: bool,
}

impl fmt::Display for SendResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SendResult [sendStatus={:?}, msgId={}, offsetMsgId={}, messageQueue={}, queueOffset={}]",
            self.send_status, self.msg_id, self.offset_msg_id, self.message_queue, self.queue_offset
        )
    }
}

/// `QueryResult`.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub index_last_update_timestamp: i64,
    pub message_list: Vec<MessageExt>,
}

/// `PullStatus` and `PullResult` (for the simple pull call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum PullStatus {
    FOUND,
    NO_NEW_MSG,
    NO_MATCHED_MSG,
    OFFSET_ILLEGAL,
}

#[derive(Debug, Clone)]
pub struct PullResult {
    pub pull_status: PullStatus,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    pub msg_found_list: Vec<MessageExt>,
}
