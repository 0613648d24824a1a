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
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use bytes::{BufMut, Bytes, BytesMut};

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

fn read_i32(buf: &[u8], pos: usize) -> Result<i32, DecodeError> {
    buf.get(pos..pos + 4)
        .map(|s| i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(DecodeError::Truncated {
            needed: pos + 4,
            available: buf.len(),
        })
}

fn read_i64(buf: &[u8], pos: usize) -> Result<i64, DecodeError> {
    match buf.get(pos..pos + 8) {
        Some(s) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Ok(i64::from_be_bytes(a))
        }
        None => Err(DecodeError::Truncated {
            needed: pos + 8,
            available: buf.len(),
        }),
    }
}

/// Reads the 8-byte header (totalSize, magic) at the start of `buf`.
pub fn peek(buf: &[u8]) -> Result<Peek, DecodeError> {
    let total = read_i32(buf, 0)?;
    let magic = read_i32(buf, 4)?;
    match magic {
        MESSAGE_MAGIC_CODE => {
            if total < record_len(0, 0, 0, 0) as i32 {
                Err(DecodeError::BadTotalSize(total))
            } else {
                Ok(Peek::Message(total as usize))
            }
        }
        BLANK_MAGIC_CODE => {
            if total < END_FILE_MIN_BLANK_LENGTH as i32 {
                Err(DecodeError::BadTotalSize(total))
            } else {
                Ok(Peek::Blank(total as usize))
            }
        }
        other => Err(DecodeError::BadMagic(other)),
    }
}

/// Reads the store timestamp of a record at the start of `buf`
/// (Java `CommitLog.pickupStoreTimestamp`).
pub fn pickup_store_timestamp(buf: &[u8]) -> Option<i64> {
    let sys_flag = read_i32(buf, SYSFLAG_POSITION).ok()?;
    read_i64(buf, store_timestamp_position(sys_flag)).ok()
}

fn read_host(buf: &[u8], pos: usize, v6: bool) -> Result<SocketAddr, DecodeError> {
    if v6 {
        let s = buf.get(pos..pos + 16).ok_or(DecodeError::Truncated {
            needed: pos + 16,
            available: buf.len(),
        })?;
        let mut a = [0u8; 16];
        a.copy_from_slice(s);
        let port = read_i32(buf, pos + 16)?;
        Ok(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(a),
            port as u16,
            0,
            0,
        )))
    } else {
        let s = buf.get(pos..pos + 4).ok_or(DecodeError::Truncated {
            needed: pos + 4,
            available: buf.len(),
        })?;
        let port = read_i32(buf, pos + 4)?;
        Ok(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::new(s[0], s[1], s[2], s[3]),
            port as u16,
        )))
    }
}

/// Decodes the message record at the start of `buf` (which may be longer than the record),
/// borrowing body, topic and properties. With `check_crc` the body CRC is verified.
///
/// The one reader of the layout, for the store's recovery and reads and for
/// `MessageExt::decode` (pull and view bodies). Its rules are the strictest of Java 4.9.3's
/// `CommitLog.checkMessageAndReturnSize` and `MessageDecoder.decode`:
/// * the magic must be `MESSAGE_MAGIC_CODE` and the record must lie inside `buf`;
/// * the length computed from the fields (`calMsgLength`) must equal `totalSize`: checked by
///   `checkMessageAndReturnSize` (`if (totalSize != readLength)`), not by `MessageDecoder`;
/// * the topic length is a signed byte: both Java readers do `byte topicLen = byteBuffer.get()`
///   with no `& 0xFF`, so 128..=255 is a negative length and `new byte[topicLen]` throws
///   (record rejected); a topic is at most 127 bytes;
/// * body and properties lengths must not be negative (Java reads them as `int`/`short` and
///   skips a non-positive one; no Java or Rocklet writer produces one, so it means garbage);
/// * properties that are not UTF-8 are decoded with U+FFFD replacements, not rejected: both
///   Java readers do `new String(bytes, CHARSET_UTF8)`, which always replaces malformed input.
///   The properties are outside the body CRC, so rejecting them here would make recovery
///   truncate the commit log at a record that Java keeps and dispatches;
/// * a topic that is not UTF-8 is rejected (Java would decode it lossily, but a topic Java
///   accepts on send is ASCII, `TopicValidator`, so it can only be corruption).
pub fn decode_ref(buf: &[u8], check_crc: bool) -> Result<RecordRef<'_>, DecodeError> {
    let total = match peek(buf)? {
        Peek::Message(n) => n,
        Peek::Blank(n) => return Err(DecodeError::Blank(n as i32)),
    };
    if buf.len() < total {
        return Err(DecodeError::Truncated {
            needed: total,
            available: buf.len(),
        });
    }
    let buf = &buf[..total];
    let body_crc = read_i32(buf, BODY_CRC_POSITION)?;
    let queue_id = read_i32(buf, QUEUE_ID_POSITION)?;
    let flag = read_i32(buf, FLAG_POSITION)?;
    let queue_offset = read_i64(buf, QUEUE_OFFSET_POSITION)?;
    let physical_offset = read_i64(buf, PHYSICAL_OFFSET_POSITION)?;
    let sys_flag = read_i32(buf, SYSFLAG_POSITION)?;
    let born_timestamp = read_i64(buf, BORN_TIMESTAMP_POSITION)?;
    let born_v6 = sys_flag & BORNHOST_V6_FLAG != 0;
    let store_v6 = sys_flag & STOREHOST_V6_FLAG != 0;
    let mut pos = BORN_HOST_POSITION;
    let born_host = read_host(buf, pos, born_v6)?;
    pos += host_len(born_v6);
    let store_timestamp = read_i64(buf, pos)?;
    pos += 8;
    let store_host = read_host(buf, pos, store_v6)?;
    pos += host_len(store_v6);
    let reconsume_times = read_i32(buf, pos)?;
    pos += 4;
    let prepared_transaction_offset = read_i64(buf, pos)?;
    pos += 8;
    let body_len = read_i32(buf, pos)?;
    pos += 4;
    if body_len < 0 || body_len as usize > total {
        return Err(DecodeError::BadLength {
            field: "body",
            value: body_len as i64,
        });
    }
    let body_len = body_len as usize;
    let body = buf.get(pos..pos + body_len).ok_or(DecodeError::Truncated {
        needed: pos + body_len,
        available: total,
    })?;
    pos += body_len;
    let topic_len = *buf.get(pos).ok_or(DecodeError::Truncated {
        needed: pos + 1,
        available: total,
    })? as i8;
    pos += 1;
    if topic_len < 0 {
        return Err(DecodeError::BadLength {
            field: "topic",
            value: topic_len as i64,
        });
    }
    let topic_len = topic_len as usize;
    let topic = buf
        .get(pos..pos + topic_len)
        .ok_or(DecodeError::Truncated {
            needed: pos + topic_len,
            available: total,
        })?;
    pos += topic_len;
    let props_len = match buf.get(pos..pos + 2) {
        Some(s) => i16::from_be_bytes([s[0], s[1]]),
        None => {
            return Err(DecodeError::Truncated {
                needed: pos + 2,
                available: total,
            })
        }
    };
    pos += 2;
    if props_len < 0 {
        return Err(DecodeError::BadLength {
            field: "properties",
            value: props_len as i64,
        });
    }
    let props_len = props_len as usize;
    let props = buf
        .get(pos..pos + props_len)
        .ok_or(DecodeError::Truncated {
            needed: pos + props_len,
            available: total,
        })?;
    let computed = record_len(sys_flag, body_len, topic_len, props_len);
    if computed != total {
        return Err(DecodeError::SizeMismatch {
            declared: total as i32,
            computed,
        });
    }
    if check_crc {
        let c = body_crc_of(body);
        if c != body_crc {
            return Err(DecodeError::BadCrc {
                stored: body_crc,
                computed: c,
            });
        }
    }
    let topic = std::str::from_utf8(topic).map_err(|_| DecodeError::InvalidUtf8("topic"))?;
    let properties = String::from_utf8_lossy(props);
    Ok(RecordRef {
        body_crc,
        queue_id,
        flag,
        queue_offset,
        physical_offset,
        sys_flag,
        born_timestamp,
        born_host,
        store_timestamp,
        store_host,
        reconsume_times,
        prepared_transaction_offset,
        body,
        topic,
        properties,
    })
}

#[inline]
fn body_crc_of(body: &[u8]) -> i32 {
    body_crc(body)
}

/// Decodes and copies the record at the start of `buf`, verifying the body CRC. `total_size`
/// is the stored size (which differs from the re-encoded size when the properties are not
/// UTF-8 and were read with replacements).
pub fn decode(buf: &[u8]) -> Result<DecodedRecord, DecodeError> {
    let r = decode_ref(buf, true)?;
    let mut d = r.to_owned_record();
    d.total_size = read_i32(buf, 0)?;
    Ok(d)
}

/// The stored `totalSize` of the record at the start of `buf`, after [`decode_ref`] accepted
/// it: the number of bytes to step over. Not [`RecordRef::encoded_len`], which is the size of
/// the decoded fields re-encoded (longer when non-UTF-8 properties were replaced).
pub fn stored_len(buf: &[u8]) -> Option<usize> {
    match peek(buf) {
        Ok(Peek::Message(n)) if n <= buf.len() => Some(n),
        _ => None,
    }
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    #[inline]
    fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    #[inline]
    fn put_host(&mut self, h: &SocketAddr) {
        match h.ip() {
            IpAddr::V4(ip) => self.put(&ip.octets()),
            IpAddr::V6(ip) => self.put(&ip.octets()),
        }
        self.put(&(h.port() as i32).to_be_bytes());
    }
}

/// Checks the limits of a record without encoding it; returns its length.
pub fn validate(r: &RecordRef<'_>) -> Result<usize, EncodeError> {
    if r.topic.len() > MAX_TOPIC_LEN {
        return Err(EncodeError::TopicTooLong(r.topic.len()));
    }
    if r.properties.len() > MAX_PROPERTIES_LEN {
        return Err(EncodeError::PropertiesTooLong(r.properties.len()));
    }
    if r.born_host.is_ipv6() != (r.sys_flag & BORNHOST_V6_FLAG != 0) {
        return Err(EncodeError::HostFlagMismatch { field: "bornHost" });
    }
    if r.store_host.is_ipv6() != (r.sys_flag & STOREHOST_V6_FLAG != 0) {
        return Err(EncodeError::HostFlagMismatch { field: "storeHost" });
    }
    let len = r.encoded_len();
    if len > i32::MAX as usize {
        return Err(EncodeError::BodyTooLong(r.body.len()));
    }
    Ok(len)
}

/// Encodes `r` at the start of `dst`; returns the number of bytes written.
/// The `body_crc` field is written as given (use [`body_crc`] to compute it).
pub fn encode_into(dst: &mut [u8], r: &RecordRef<'_>) -> Result<usize, EncodeError> {
    let len = validate(r)?;
    if dst.len() < len {
        return Err(EncodeError::BufferTooSmall {
            needed: len,
            available: dst.len(),
        });
    }
    let mut w = Writer { buf: dst, pos: 0 };
    w.put(&(len as i32).to_be_bytes());
    w.put(&MESSAGE_MAGIC_CODE.to_be_bytes());
    w.put(&r.body_crc.to_be_bytes());
    w.put(&r.queue_id.to_be_bytes());
    w.put(&r.flag.to_be_bytes());
    w.put(&r.queue_offset.to_be_bytes());
    w.put(&r.physical_offset.to_be_bytes());
    w.put(&r.sys_flag.to_be_bytes());
    w.put(&r.born_timestamp.to_be_bytes());
    w.put_host(&r.born_host);
    w.put(&r.store_timestamp.to_be_bytes());
    w.put_host(&r.store_host);
    w.put(&r.reconsume_times.to_be_bytes());
    w.put(&r.prepared_transaction_offset.to_be_bytes());
    w.put(&(r.body.len() as i32).to_be_bytes());
    w.put(r.body);
    w.put(&[r.topic.len() as u8]);
    w.put(r.topic.as_bytes());
    w.put(&(r.properties.len() as i16).to_be_bytes());
    w.put(r.properties.as_bytes());
    debug_assert_eq!(w.pos, len);
    Ok(len)
}

/// Appends the encoding of `r` to `dst`.
pub fn encode_to(dst: &mut BytesMut, r: &RecordRef<'_>) -> Result<usize, EncodeError> {
    let len = validate(r)?;
    let start = dst.len();
    dst.put_bytes(0, len);
    encode_into(&mut dst[start..], r)
}

/// Writes an end-of-file blank header (totalSize = `len`, BLANK magic) into `dst`.
/// Only the 8 header bytes are written. Returns false if `dst` is shorter than 8 bytes.
pub fn encode_blank(dst: &mut [u8], len: usize) -> bool {
    if dst.len() < END_FILE_MIN_BLANK_LENGTH {
        return false;
    }
    dst[0..4].copy_from_slice(&(len as i32).to_be_bytes());
    dst[4..8].copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(body: &'a [u8], topic: &'a str, props: &'a str) -> RecordRef<'a> {
        RecordRef {
            body_crc: body_crc(body),
            queue_id: 3,
            flag: 7,
            queue_offset: 42,
            physical_offset: 1024,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: "10.0.0.1:5555".parse().unwrap(),
            store_timestamp: 1_700_000_000_123,
            store_host: "192.168.1.2:10911".parse().unwrap(),
            reconsume_times: 1,
            prepared_transaction_offset: 0,
            body,
            topic,
            properties: props.into(),
        }
    }

    #[test]
    fn java_crc_is_masked() {
        // crc32("123456789") = 0xCBF43926 -> masked 0x4BF43926
        assert_eq!(body_crc(b"123456789"), 0x4BF4_3926);
    }

    #[test]
    fn length_matches_java_formula() {
        // 91 fixed bytes for IPv4 hosts with empty body/topic/props (4.9.3 calMsgLength).
        assert_eq!(record_len(0, 0, 0, 0), 91);
        assert_eq!(
            record_len(BORNHOST_V6_FLAG | STOREHOST_V6_FLAG, 0, 0, 0),
            115
        );
        assert_eq!(record_len(0, 10, 5, 7), 91 + 22);
    }

    #[test]
    fn roundtrip_and_layout() {
        let r = sample(b"hello", "TopicA", "TAGS\u{1}a\u{2}");
        let mut buf = vec![0u8; r.encoded_len()];
        let n = encode_into(&mut buf, &r).unwrap();
        assert_eq!(n, buf.len());
        assert_eq!(&buf[4..8], &[0xDA, 0xA3, 0x20, 0xA7]);
        assert_eq!(&buf[48..52], &[10, 0, 0, 1]);
        assert_eq!(pickup_store_timestamp(&buf), Some(1_700_000_000_123));
        let d = decode_ref(&buf, true).unwrap();
        assert_eq!(d, r);
        // CRC is checked.
        let last_body = buf.len() - (2 + r.properties.len()) - (1 + 6) - 1;
        buf[last_body] ^= 0xFF;
        assert!(matches!(
            decode_ref(&buf, true),
            Err(DecodeError::BadCrc { .. })
        ));
        assert!(decode_ref(&buf, false).is_ok());
    }

    #[test]
    fn ipv6_hosts() {
        let mut r = sample(b"x", "T", "");
        r.born_host = "[::1]:9876".parse().unwrap();
        r.store_host = "[fe80::1]:10911".parse().unwrap();
        assert!(matches!(
            encode_into(&mut [0u8; 200], &r),
            Err(EncodeError::HostFlagMismatch { .. })
        ));
        r.sys_flag = BORNHOST_V6_FLAG | STOREHOST_V6_FLAG;
        let mut b = BytesMut::new();
        encode_to(&mut b, &r).unwrap();
        assert_eq!(decode_ref(&b, true).unwrap(), r);
    }

    #[test]
    fn limits() {
        let long_topic = "t".repeat(128);
        let r = sample(b"", &long_topic, "");
        assert_eq!(validate(&r), Err(EncodeError::TopicTooLong(128)));
        let props = "p".repeat(32768);
        let r = sample(b"", "t", &props);
        assert_eq!(validate(&r), Err(EncodeError::PropertiesTooLong(32768)));
        let r = sample(b"abc", "t", "");
        assert!(matches!(
            encode_into(&mut [0u8; 10], &r),
            Err(EncodeError::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn field_positions_match_the_encoder() {
        let r = sample(b"b", "T", "");
        let mut buf = vec![0u8; r.encoded_len()];
        encode_into(&mut buf, &r).unwrap();
        let i32_at = |p: usize| i32::from_be_bytes(buf[p..p + 4].try_into().unwrap());
        let i64_at = |p: usize| i64::from_be_bytes(buf[p..p + 8].try_into().unwrap());
        assert_eq!(i32_at(BODY_CRC_POSITION), r.body_crc);
        assert_eq!(i32_at(QUEUE_ID_POSITION), r.queue_id);
        assert_eq!(i32_at(FLAG_POSITION), r.flag);
        assert_eq!(i64_at(QUEUE_OFFSET_POSITION), r.queue_offset);
        assert_eq!(i64_at(PHYSICAL_OFFSET_POSITION), r.physical_offset);
        assert_eq!(i32_at(SYSFLAG_POSITION), r.sys_flag);
        assert_eq!(i64_at(BORN_TIMESTAMP_POSITION), r.born_timestamp);
        assert_eq!(
            i64_at(store_timestamp_position(r.sys_flag)),
            r.store_timestamp
        );
        assert_eq!(TRANSACTION_TYPE_MASK, TRANSACTION_ROLLBACK_TYPE);
    }

    /// The unified reader rules (see [`decode_ref`]), shared by recovery and `MessageExt`.
    #[test]
    fn java_reader_rules() {
        let r = sample(b"body", "T", "A\u{1}b");
        let mut buf = vec![0u8; r.encoded_len()];
        encode_into(&mut buf, &r).unwrap();
        let topic_len_at = buf.len() - (2 + 3) - (1 + 1);

        // Declared total size must equal the computed length (checkMessageAndReturnSize).
        let mut longer = buf.clone();
        longer.push(0);
        let n = longer.len() as i32;
        longer[..4].copy_from_slice(&n.to_be_bytes());
        assert!(matches!(
            decode_ref(&longer, true),
            Err(DecodeError::SizeMismatch { .. })
        ));

        // The topic length is a signed Java byte: 0x80 is -128, rejected.
        let mut neg = buf.clone();
        neg[topic_len_at] = 0x80;
        assert!(matches!(
            decode_ref(&neg, true),
            Err(DecodeError::BadLength { field: "topic", .. })
        ));

        // Malformed UTF-8 in properties is replaced (new String(bytes, UTF_8)), not rejected.
        let mut bad = buf.clone();
        let last = bad.len() - 1;
        bad[last] = 0xFF;
        let d = decode_ref(&bad, true).unwrap();
        assert_eq!(d.properties, "A\u{1}\u{FFFD}");
        assert!(matches!(d.properties, Cow::Owned(_)));
        assert!(matches!(
            decode_ref(&buf, true).unwrap().properties,
            Cow::Borrowed(_)
        ));

        // A negative properties length is garbage.
        let mut negp = buf.clone();
        negp[topic_len_at + 2..topic_len_at + 4].copy_from_slice(&(-1i16).to_be_bytes());
        assert!(matches!(
            decode_ref(&negp, true),
            Err(DecodeError::BadLength {
                field: "properties",
                ..
            })
        ));

        // A topic that is not UTF-8 is rejected.
        let mut badt = buf.clone();
        badt[topic_len_at + 1] = 0xFF;
        assert_eq!(
            decode_ref(&badt, true),
            Err(DecodeError::InvalidUtf8("topic"))
        );
    }

    #[test]
    fn blank_and_garbage() {
        let mut b = [0u8; 16];
        assert!(encode_blank(&mut b, 16));
        assert_eq!(peek(&b), Ok(Peek::Blank(16)));
        assert!(matches!(decode_ref(&b, true), Err(DecodeError::Blank(16))));
        assert!(matches!(peek(&[0u8; 8]), Err(DecodeError::BadMagic(0))));
        assert!(peek(&[1, 2]).is_err());
    }
}
