//! Pure codec for RocketMQ 4.9.3 commit-log records (no I/O).
//!
//! Layout (big-endian), identical to `CommitLog.calMsgLength` / `MessageDecoder`:
//!
//! | field | bytes |
//! |---|---|
//! | totalSize | 4 |
//! | magic (`0xDAA320A7`) | 4 |
//! | bodyCRC (crc32 & 0x7FFFFFFF) | 4 |
//! | queueId | 4 |
//! | flag | 4 |
//! | queueOffset | 8 |
//! | physicalOffset | 8 |
//! | sysFlag | 4 |
//! | bornTimestamp | 8 |
//! | bornHost | 8 (IPv4 + port) or 20 (IPv6 + port) when `sysFlag & 0x10` |
//! | storeTimestamp | 8 |
//! | storeHost | 8 or 20 when `sysFlag & 0x20` |
//! | reconsumeTimes | 4 |
//! | preparedTransactionOffset | 8 |
//! | bodyLen + body | 4 + n |
//! | topicLen (u8, ≤ 127) + topic | 1 + n |
//! | propertiesLen (i16) + properties | 2 + n |
//!
//! All decoding functions return typed errors on garbage and never panic.

use std::borrow::Cow;
use std::net::SocketAddr;

use bytes::Bytes;

/// Magic code of a message record (`CommitLog.MESSAGE_MAGIC_CODE`).
pub const MESSAGE_MAGIC_CODE: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic code of the blank that pads the end of a commit-log file.
pub const BLANK_MAGIC_CODE: i32 = 0xCBD4_3194_u32 as i32;
/// A record is only placed in a file if at least this many bytes stay free after it.
pub const END_FILE_MIN_BLANK_LENGTH: usize = 8;

/// `MessageSysFlag.BORNHOST_V6_FLAG`.
pub const BORNHOST_V6_FLAG: i32 = 0x1 << 4;
/// `MessageSysFlag.STOREHOSTADDRESS_V6_FLAG`.
pub const STOREHOST_V6_FLAG: i32 = 0x1 << 5;
/// Mask of the transaction type bits in `sysFlag`.
pub const TRANSACTION_TYPE_MASK: i32 = 0xC;
pub use crate::message::sys_flag::{
    TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE, TRANSACTION_PREPARED_TYPE,
    TRANSACTION_ROLLBACK_TYPE,
};

/// Maximum topic length in bytes (`Byte.MAX_VALUE`).
pub const MAX_TOPIC_LEN: usize = 127;
/// Maximum properties length in bytes (`Short.MAX_VALUE`).
pub const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

// Offsets of the fixed-position fields (before the first host, whose length depends on
// `sysFlag`); the later fields are found from these with `host_len`.
/// Offset of `bodyCRC` inside a record.
pub const BODY_CRC_POSITION: usize = 8;
/// Offset of `queueId` inside a record.
pub const QUEUE_ID_POSITION: usize = 12;
/// Offset of `flag` inside a record.
pub const FLAG_POSITION: usize = 16;
/// Offset of `queueOffset` inside a record.
pub const QUEUE_OFFSET_POSITION: usize = 20;
/// Offset of `physicalOffset` inside a record.
pub const PHYSICAL_OFFSET_POSITION: usize = 28;
/// Offset of `sysFlag` inside a record.
pub const SYSFLAG_POSITION: usize = 36;
/// Offset of `bornTimestamp` inside a record.
pub const BORN_TIMESTAMP_POSITION: usize = 40;
/// Offset of `bornHost` inside a record.
pub const BORN_HOST_POSITION: usize = 48;

/// Transaction type bits of a sysFlag.
pub fn transaction_type(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_TYPE_MASK
}

/// Body CRC exactly as Java `UtilAll.crc32`: CRC32 masked to a positive int.
pub fn body_crc(body: &[u8]) -> i32 {
    (crc32fast::hash(body) & 0x7FFF_FFFF) as i32
}

fn host_len(v6: bool) -> usize {
    if v6 {
        20
    } else {
        8
    }
}

/// Total record length, `CommitLog.calMsgLength`.
pub fn record_len(
    sys_flag: i32,
    body_len: usize,
    topic_len: usize,
    properties_len: usize,
) -> usize {
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(sys_flag & BORNHOST_V6_FLAG != 0)
        + 8
        + host_len(sys_flag & STOREHOST_V6_FLAG != 0)
        + 4
        + 8
        + 4
        + body_len
        + 1
        + topic_len
        + 2
        + properties_len
}

/// Position of `storeTimestamp` in a record with this sysFlag.
pub fn store_timestamp_position(sys_flag: i32) -> usize {
    BORN_HOST_POSITION + host_len(sys_flag & BORNHOST_V6_FLAG != 0)
}

/// A record borrowed from a buffer (decode) or describing what to write (encode).
///
/// `properties` is a `Cow` only because decoding follows Java and replaces malformed UTF-8
/// (see [`decode_ref`]); a well-formed record, and everything the append path writes, borrows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRef<'a> {
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: &'a [u8],
    pub topic: &'a str,
    pub properties: Cow<'a, str>,
}

impl RecordRef<'_> {
    /// Encoded length of this record.
    pub fn encoded_len(&self) -> usize {
        record_len(
            self.sys_flag,
            self.body.len(),
            self.topic.len(),
            self.properties.len(),
        )
    }

    /// Owned copy.
    pub fn to_owned_record(&self) -> DecodedRecord {
        DecodedRecord {
            total_size: self.encoded_len() as i32,
            body_crc: self.body_crc,
            queue_id: self.queue_id,
            flag: self.flag,
            queue_offset: self.queue_offset,
            physical_offset: self.physical_offset,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: Bytes::copy_from_slice(self.body),
            topic: self.topic.to_owned(),
            properties: self.properties.clone().into_owned(),
        }
    }
}

/// A fully decoded, owned record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRecord {
    pub total_size: i32,
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: Bytes,
    pub topic: String,
    pub properties: String,
}

/// Errors while encoding a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("destination buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall { needed: usize, available: usize },
    #[error("topic is {0} bytes, the maximum is 127")]
    TopicTooLong(usize),
    #[error("properties are {0} bytes, the maximum is 32767")]
    PropertiesTooLong(usize),
    #[error("body is {0} bytes, too large for a record")]
    BodyTooLong(usize),
    #[error("{field} address family does not match the IPv6 bit of sysFlag")]
    HostFlagMismatch { field: &'static str },
}

/// Errors while decoding a record. Decoding never panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("truncated record: need {needed} bytes, have {available}")]
    Truncated { needed: usize, available: usize },
    #[error("bad magic code {0:#010x}")]
    BadMagic(i32),
    #[error("found a blank (end of file marker) of {0} bytes, not a message")]
    Blank(i32),
    #[error("invalid total size {0}")]
    BadTotalSize(i32),
    #[error("negative or out of range length {value} for {field}")]
    BadLength { field: &'static str, value: i64 },
    #[error("declared total size {declared} differs from computed {computed}")]
    SizeMismatch { declared: i32, computed: usize },
    #[error("body CRC mismatch: stored {stored}, computed {computed}")]
    BadCrc { stored: i32, computed: i32 },
    #[error("{0} is not valid UTF-8")]
    InvalidUtf8(&'static str),
}

/// What sits at a position of a commit-log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    /// A message record of this total size (not yet validated beyond the header).
    Message(usize),
    /// An end-of-file blank of this size.
    Blank(usize),
}

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::{decode, decode_ref, peek, pickup_store_timestamp, stored_len};
pub use encode::{encode_blank, encode_into, encode_to, validate};
