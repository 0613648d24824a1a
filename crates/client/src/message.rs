//! The message model: `Message`, `MessageQueue`, `SendResult`, `SendStatus`
//! (`org.apache.rocketmq.common.message` / `client.producer`).

use bytes::Bytes;
use rocklet_protocol::message::{property, Properties};
use std::fmt;

pub use rocklet_protocol::message::MessageExt;

/// A message to send. Properties carry tags, keys, `WAIT`, delay level and user properties.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// `topic`: where the message goes (the producer adds its namespace prefix when set).
    pub topic: String,
    /// `flag`: stored and delivered with the message, not interpreted by RocketMQ.
    pub flag: i32,
    /// `properties`: system properties (`TAGS`, `KEYS`, `WAIT`, `DELAY`, `UNIQ_KEY`, ...) and
    /// user properties, in order.
    pub properties: Properties,
    /// `body`: the payload, compressed on the wire when over `compressMsgBodyOverHowmuch`.
    pub body: Bytes,
    /// `transactionId`: set by the transactional producer before it runs the local
    /// transaction; not sent.
    pub transaction_id: Option<String>,
}

impl Message {
    /// A message for `topic` with `body`; `WAIT` is true, as in Java's constructor.
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

    /// `getTags`: the `TAGS` property, used by consumers' tag filters.
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(property::TAGS)
    }
    /// `setTags`: set the `TAGS` property.
    pub fn set_tags(&mut self, tags: impl Into<String>) {
        self.properties.insert(property::TAGS, tags);
    }
    /// `getKeys`: the `KEYS` property, space-separated keys indexed by the broker for
    /// `queryMessage`.
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(property::KEYS)
    }
    /// `setKeys(Collection)`: set the `KEYS` property to `keys` joined with a space.
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
    /// `setWaitStoreMsgOK`: set the `WAIT` property.
    pub fn set_wait_store_msg_ok(&mut self, wait: bool) {
        self.properties
            .insert(property::WAIT_STORE_MSG_OK, wait.to_string());
    }
    /// `getDelayTimeLevel`: the `DELAY` property, 0 (no delay) when absent or not a number.
    pub fn delay_time_level(&self) -> i32 {
        self.properties
            .get(property::DELAY_TIME_LEVEL)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    /// `setDelayTimeLevel`: deliver after the broker's `messageDelayLevel` entry `level`
    /// (1-based; by default 1 = 1s ... 18 = 2h).
    pub fn set_delay_time_level(&mut self, level: i32) {
        self.properties
            .insert(property::DELAY_TIME_LEVEL, level.to_string());
    }
    /// `getProperty`: any property, system or user, by name.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }
    /// A user property; Java refuses names reserved by `MessageConst`.
    pub fn put_user_property(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.properties.insert(key.into(), value);
    }
    /// The unique id set by the producer (`UNIQ_KEY`), once sent.
    pub fn uniq_id(&self) -> Option<&str> {
        self.properties.get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
    }
}

/// A queue of a topic on one broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageQueue {
    /// `topic`.
    pub topic: String,
    /// `brokerName`: the broker group (master and slaves) holding the queue.
    pub broker_name: String,
    /// `queueId`, from 0.
    pub queue_id: i32,
}

impl MessageQueue {
    /// Queue `queue_id` of `topic` on broker `broker_name`.
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
    /// Response SUCCESS (0): stored.
    SEND_OK,
    /// Response FLUSH_DISK_TIMEOUT (10): stored, but a SYNC_FLUSH broker did not flush it to
    /// disk in time.
    FLUSH_DISK_TIMEOUT,
    /// Response FLUSH_SLAVE_TIMEOUT (12): stored on a SYNC_MASTER, but the slave did not
    /// confirm it in time.
    FLUSH_SLAVE_TIMEOUT,
    /// Response SLAVE_NOT_AVAILABLE (11): stored on a SYNC_MASTER that has no usable slave.
    SLAVE_NOT_AVAILABLE,
}

/// `SendResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// `sendStatus`.
    pub send_status: SendStatus,
    /// The unique id (`UNIQ_KEY`); comma-joined for a batch.
    pub msg_id: String,
    /// Store host + commit-log offset; comma-joined for a batch.
    pub offset_msg_id: String,
    /// `messageQueue`: the queue the message was stored in.
    pub message_queue: MessageQueue,
    /// `queueOffset`: its offset in that queue.
    pub queue_offset: i64,
    /// `transactionId` from the broker's answer (transactional sends).
    pub transaction_id: Option<String>,
    /// `regionId`: the broker's `MSG_REGION`, `DefaultRegion` when it sent none.
    pub region_id: String,
    /// `traceOn`: the broker's `TRACE_ON`; true unless the broker said `false`.
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
    /// `indexLastUpdateTimestamp`: the newest index update time over the brokers asked (ms).
    pub index_last_update_timestamp: i64,
    /// `messageList`: the messages found.
    pub message_list: Vec<MessageExt>,
}

/// `PullStatus`: the outcome of [`crate::MQAdmin::pull`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum PullStatus {
    /// Response SUCCESS (0): messages were read (the tag filter may still leave none).
    FOUND,
    /// Response PULL_NOT_FOUND (19): nothing at or after the offset.
    NO_NEW_MSG,
    /// Response PULL_RETRY_IMMEDIATELY (20): messages were there, none matched the filter.
    NO_MATCHED_MSG,
    /// Response PULL_OFFSET_MOVED (21): the offset is outside the queue; start again from
    /// `next_begin_offset`.
    OFFSET_ILLEGAL,
}

/// `PullResult` of [`crate::MQAdmin::pull`].
#[derive(Debug, Clone)]
pub struct PullResult {
    /// `pullStatus`.
    pub pull_status: PullStatus,
    /// `nextBeginOffset`: the offset to pull from next.
    pub next_begin_offset: i64,
    /// `minOffset`: the queue's smallest offset.
    pub min_offset: i64,
    /// `maxOffset`: the queue's next offset to be written.
    pub max_offset: i64,
    /// `msgFoundList`: the messages read, after the client-side tag filter.
    pub msg_found_list: Vec<MessageExt>,
}
