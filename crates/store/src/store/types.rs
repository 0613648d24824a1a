//! What callers of the store put and get back.

use std::net::SocketAddr;

use bytes::Bytes;

/// A message to append (Java `MessageExtBrokerInner`, minus what the store computes).
#[derive(Debug, Clone)]
pub struct PutMessage {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub body: Bytes,
    /// Already encoded properties: `key\u{1}value\u{2}` repeated.
    pub properties: String,
    /// The IPv6 host bits (0x10, 0x20) are set by the store from the actual addresses.
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
}

impl Default for PutMessage {
    fn default() -> Self {
        PutMessage {
            topic: String::new(),
            queue_id: 0,
            flag: 0,
            body: Bytes::new(),
            properties: String::new(),
            sys_flag: 0,
            born_timestamp: 0,
            born_host: SocketAddr::from(([0, 0, 0, 0], 0)),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        }
    }
}

impl PutMessage {
    /// A stored message put again (to its real topic after a delay or a transaction commit, back
    /// to a system queue, ...): its flag, body, system flag, born time and host and reconsume
    /// count carried over, with a new destination and properties. The prepared-transaction
    /// offset starts at 0; set it with struct-update syntax where Java keeps it.
    pub fn from_ext(
        m: &rocklet_protocol::message::MessageExt,
        topic: impl Into<String>,
        queue_id: i32,
        properties: String,
    ) -> Self {
        PutMessage {
            topic: topic.into(),
            queue_id,
            flag: m.flag,
            body: m.raw_body.clone(),
            properties,
            sys_flag: m.sys_flag,
            born_timestamp: m.born_timestamp,
            born_host: m.born_host,
            reconsume_times: m.reconsume_times,
            prepared_transaction_offset: 0,
        }
    }
}

/// Outcome of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutStatus {
    PutOk,
    /// SyncFlush only: the data is written but was not flushed within `sync_flush_timeout_ms`.
    FlushDiskTimeout,
}

/// Result of [`MessageStore::put_message`](super::MessageStore::put_message) /
/// [`MessageStore::put_messages`](super::MessageStore::put_messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    pub status: PutStatus,
    /// Commit-log offset of the (first) record.
    pub wrote_offset: i64,
    /// Bytes written (all records of a batch; the end-of-file blank is not counted).
    pub wrote_bytes: i32,
    /// Queue offset of the (first) message; 0 for prepared/rollback transaction messages.
    pub queue_offset: i64,
    /// Offset message ids of all messages.
    pub msg_ids: Vec<String>,
    pub store_timestamp: i64,
    pub msg_num: i32,
}

/// Java `GetMessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetStatus {
    Found,
    NoMatchedMessage,
    MessageWasRemoving,
    OffsetFoundNull,
    OffsetOverflowBadly,
    OffsetOverflowOne,
    OffsetTooSmall,
    NoMatchedLogicQueue,
    NoMessageInQueue,
}

/// Result of [`MessageStore::get_message`](super::MessageStore::get_message).
#[derive(Debug, Clone)]
pub struct GetResult {
    pub status: GetStatus,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    /// Raw stored records (zero-copy views of the commit log).
    pub messages: Vec<Bytes>,
}
