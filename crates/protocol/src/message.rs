//! Message encodings shared by client and broker: the properties string, system flags,
//! [`MessageExt`] (a stored record as `MessageDecoder` reads it from pull and view responses; the
//! layout itself is [`crate::record`]'s, shared with the store), and the batch body.

use bytes::{BufMut, Bytes, BytesMut};
pub use bytestring::ByteString;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;

use crate::command::Reader;
use crate::error::ProtocolError;
use crate::record::{self, RecordRef};

/// Property names of `MessageConst`.
pub mod property {
    pub const KEYS: &str = "KEYS";
    pub const TAGS: &str = "TAGS";
    pub const WAIT_STORE_MSG_OK: &str = "WAIT";
    pub const DELAY_TIME_LEVEL: &str = "DELAY";
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    pub const REAL_QUEUE_ID: &str = "REAL_QID";
    pub const TRANSACTION_PREPARED: &str = "TRAN_MSG";
    pub const PRODUCER_GROUP: &str = "PGROUP";
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    pub const MSG_REGION: &str = "MSG_REGION";
    pub const TRACE_SWITCH: &str = "TRACE_ON";
    pub const UNIQ_CLIENT_MESSAGE_ID_KEYIDX: &str = "UNIQ_KEY";
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    pub const TRANSACTION_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    pub const CLUSTER: &str = "CLUSTER";
    /// Request-reply: the requester's client id, the request's correlation id, the message
    /// type (`reply`), when the broker pushed the reply.
    pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
    pub const CORRELATION_ID: &str = "CORRELATION_ID";
    pub const MESSAGE_TYPE: &str = "MSG_TYPE";
    pub const MESSAGE_TTL: &str = "TTL";
    pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
    pub const KEY_SEPARATOR: &str = " ";

    /// `MessageConst.STRING_HASH_SET`: the names RocketMQ reserves; every other property is a
    /// user property.
    pub const SYSTEM: &[&str] = &[
        TRACE_SWITCH,
        MSG_REGION,
        KEYS,
        TAGS,
        WAIT_STORE_MSG_OK,
        DELAY_TIME_LEVEL,
        RETRY_TOPIC,
        REAL_TOPIC,
        REAL_QUEUE_ID,
        TRANSACTION_PREPARED,
        PRODUCER_GROUP,
        MIN_OFFSET,
        MAX_OFFSET,
        "BUYER_ID",
        ORIGIN_MESSAGE_ID,
        "TRANSFER_FLAG",
        "CORRECTION_FLAG",
        "MQ2_FLAG",
        RECONSUME_TIME,
        UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        MAX_RECONSUME_TIMES,
        "CONSUME_START_TIME",
        "INSTANCE_ID",
        CORRELATION_ID,
        REPLY_TO_CLIENT,
        MESSAGE_TTL,
        "ARRIVE_TIME",
        PUSH_REPLY_TIME,
        CLUSTER,
        MESSAGE_TYPE,
        "INNER_MULTI_QUEUE_OFFSET",
    ];

    /// Whether `name` is reserved by RocketMQ (`MessageConst.STRING_HASH_SET`).
    pub fn is_system(name: &str) -> bool {
        SYSTEM.contains(&name)
    }
}

/// `MessageSysFlag` bits.
pub mod sys_flag {
    pub const COMPRESSED: i32 = 0x1;
    pub const MULTI_TAGS: i32 = 0x2;
    pub const TRANSACTION_NOT_TYPE: i32 = 0;
    pub const TRANSACTION_PREPARED_TYPE: i32 = 0x1 << 2;
    pub const TRANSACTION_COMMIT_TYPE: i32 = 0x2 << 2;
    pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0x3 << 2;
    pub const BORNHOST_V6: i32 = crate::record::BORNHOST_V6_FLAG;
    pub const STOREHOST_V6: i32 = crate::record::STOREHOST_V6_FLAG;

    pub fn transaction_value(flag: i32) -> i32 {
        flag & TRANSACTION_ROLLBACK_TYPE
    }
}

pub use crate::record::{body_crc, BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE};

const NAME_VALUE_SEPARATOR: char = '\u{1}';
const PROPERTY_SEPARATOR: char = '\u{2}';

/// Ordered message properties. Java uses a HashMap; order carries no meaning but a vector keeps
/// encoding deterministic and cheap. The decoded text is kept once and the values point into
/// it; the names RocketMQ itself uses are static strings, others owned; a value set later is
/// owned, or shared when one value goes on many messages (a pull's MIN_OFFSET / MAX_OFFSET).
/// A pulled message's text is a slice of the received frame: decoding it allocates only the
/// entries' vector. (Each property used to cost two allocations, a third of the push
/// consumer's time on small messages; the copy of the text was the next largest cost.)
#[derive(Debug, Clone, Default)]
pub struct Properties {
    /// The decoded text the `Val::In` ranges point into. `ByteString` (UTF-8 over `Bytes`)
    /// shares a received frame's memory without `unsafe` here.
    raw: ByteString,
    entries: Vec<(Cow<'static, str>, Val)>,
}

#[derive(Debug, Clone)]
enum Val {
    /// `raw[start..end]`.
    In(u32, u32),
    Own(String),
    Shared(ByteString),
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}
impl Eq for Properties {}

/// The static copy of a property name RocketMQ itself sets (`MessageConst`), else an owned one.
fn property_name(key: &str) -> Cow<'static, str> {
    use property::*;
    // A `match` on the text compiles to a switch on the length first: most names are compared
    // with one or two candidates at most.
    let k: &'static str = match key {
        UNIQ_CLIENT_MESSAGE_ID_KEYIDX => UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        WAIT_STORE_MSG_OK => WAIT_STORE_MSG_OK,
        TAGS => TAGS,
        KEYS => KEYS,
        MIN_OFFSET => MIN_OFFSET,
        MAX_OFFSET => MAX_OFFSET,
        CLUSTER => CLUSTER,
        RETRY_TOPIC => RETRY_TOPIC,
        REAL_TOPIC => REAL_TOPIC,
        REAL_QUEUE_ID => REAL_QUEUE_ID,
        DELAY_TIME_LEVEL => DELAY_TIME_LEVEL,
        RECONSUME_TIME => RECONSUME_TIME,
        MAX_RECONSUME_TIMES => MAX_RECONSUME_TIMES,
        ORIGIN_MESSAGE_ID => ORIGIN_MESSAGE_ID,
        TRANSACTION_PREPARED => TRANSACTION_PREPARED,
        PRODUCER_GROUP => PRODUCER_GROUP,
        MSG_REGION => MSG_REGION,
        TRACE_SWITCH => TRACE_SWITCH,
        TRANSACTION_PREPARED_QUEUE_OFFSET => TRANSACTION_PREPARED_QUEUE_OFFSET,
        TRANSACTION_CHECK_TIMES => TRANSACTION_CHECK_TIMES,
        CHECK_IMMUNITY_TIME_IN_SECONDS => CHECK_IMMUNITY_TIME_IN_SECONDS,
        REPLY_TO_CLIENT => REPLY_TO_CLIENT,
        CORRELATION_ID => CORRELATION_ID,
        MESSAGE_TYPE => MESSAGE_TYPE,
        MESSAGE_TTL => MESSAGE_TTL,
        PUSH_REPLY_TIME => PUSH_REPLY_TIME,
        _ => return Cow::Owned(key.to_owned()),
    };
    Cow::Borrowed(k)
}

/// One `name\u1value` item of a properties text being read (see `Properties::decode_text`).
#[derive(Default)]
struct Item {
    start: usize,
    first: usize,
    end: usize,
    seps: u32,
    seps_kept: u32,
}

impl Item {
    fn add_to(&self, raw: &ByteString, entries: &mut Vec<(Cow<'static, str>, Val)>) {
        if self.seps_kept != 1 || self.first >= self.end {
            return;
        }
        // Both ends sit next to ASCII separators: valid `str` boundaries.
        let k = &raw[self.start..self.first];
        let v = match (u32::try_from(self.first + 1), u32::try_from(self.end)) {
            (Ok(a), Ok(e)) => Val::In(a, e),
            _ => Val::Own(raw[self.first + 1..self.end].to_owned()),
        };
        match entries.iter_mut().find(|(ok, _)| ok == k) {
            Some(slot) => slot.1 = v,
            None => entries.push((property_name(k), v)),
        }
    }
}

impl Properties {
    fn value<'a>(&'a self, v: &'a Val) -> &'a str {
        match v {
            Val::In(a, b) => &self.raw[*a as usize..*b as usize],
            Val::Own(s) => s,
            Val::Shared(s) => s,
        }
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| self.value(v))
    }
    fn set(&mut self, key: &str, value: Val) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((property_name(key), value)),
        }
    }
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl Into<String>) {
        self.set(key.as_ref(), Val::Own(value.into()));
    }
    /// [`Properties::insert`] of a value many messages share (one allocation for all of them).
    pub fn insert_shared(&mut self, key: &str, value: &ByteString) {
        self.set(key, Val::Shared(value.clone()));
    }
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        let (_, v) = self.entries.remove(i);
        Some(match v {
            Val::In(a, b) => self.raw[a as usize..b as usize].to_owned(),
            Val::Own(s) => s,
            Val::Shared(s) => s.to_string(),
        })
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(k, v)| (k.as_ref(), self.value(v)))
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn to_map(&self) -> HashMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// `MessageDecoder.messageProperties2String`: `key\u1value` entries joined by `\u2`. The
    /// 4.9.3 jar deletes the trailing separator (golden `message_properties.hex`).
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(self.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                s.push(PROPERTY_SEPARATOR);
            }
            s.push_str(k);
            s.push(NAME_VALUE_SEPARATOR);
            s.push_str(v);
        }
        s
    }

    /// `MessageDecoder.string2messageProperties`; entries without a separator are skipped.
    /// Java's rules: an item that is not exactly `name\u1value` is skipped, and a name given
    /// twice keeps its first place and its last value (a `HashMap` `put` in order).
    pub fn decode(s: &str) -> Self {
        if s.is_empty() {
            return Properties::default();
        }
        Self::decode_text(ByteString::from(s))
    }

    /// [`Properties::decode`] of text that may share a received frame's memory.
    pub fn decode_text(raw: ByteString) -> Self {
        if raw.is_empty() {
            return Properties::default();
        }
        let b = raw.as_bytes();
        // Room for the two entries a consumer adds to every pulled message (MIN_OFFSET,
        // MAX_OFFSET). Offsets are u32: a properties text is at most 32767 bytes (a Java short).
        let n = b.iter().filter(|c| **c == PROPERTY_SEPARATOR as u8).count() + 1;
        let mut entries: Vec<(Cow<'static, str>, Val)> = Vec::with_capacity(n + 2);
        // One pass over the bytes (the texts are short: a byte loop beats a search call per
        // item). Per item: where its first name-value separator is, how many separators come
        // before its last other byte, and where that byte is. Java's `String.split` drops
        // trailing empty parts, so `k\u1` is one part (skipped) and `k\u1v\u1` two (kept):
        // an item is kept when exactly one separator sits before its last other byte.
        let mut it = Item::default();
        for (i, &c) in b.iter().enumerate() {
            if c == NAME_VALUE_SEPARATOR as u8 {
                if it.seps == 0 {
                    it.first = i;
                }
                it.seps += 1;
            } else if c != PROPERTY_SEPARATOR as u8 {
                it.end = i + 1;
                it.seps_kept = it.seps;
            } else {
                it.add_to(&raw, &mut entries);
                it = Item {
                    start: i + 1,
                    ..Item::default()
                };
            }
        }
        it.add_to(&raw, &mut entries);
        Properties { raw, entries }
    }
}

/// Java's `String.hashCode()` (over UTF-16 code units): the consume queue's tags code (the
/// store widens it to i64 like `MessageExtBrokerInner.tagsString2tagsCode`) and the bucket of a
/// property name in Java's `HashMap`.
pub fn java_string_hash(s: &str) -> i32 {
    java_string_hash_continue(0, s)
}

/// Java's `String.hashCode()` of the concatenation of `parts`, without building it (the index
/// key `topic + "#" + key`): the hash of a concatenation continues from the hash of its start.
pub fn java_string_hash_of(parts: &[&str]) -> i32 {
    parts.iter().fold(0, |h, p| java_string_hash_continue(h, p))
}

fn java_string_hash_continue(mut h: i32, s: &str) -> i32 {
    if s.is_ascii() {
        // Property names and tags are ASCII: one UTF-16 unit per byte.
        for b in s.bytes() {
            h = h.wrapping_mul(31).wrapping_add(i32::from(b));
        }
        return h;
    }
    for u in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(u as i32);
    }
    h
}

/// A stored message as `MessageDecoder.decode` reads it from a pull body or a view response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExt {
    pub store_size: i32,
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub commit_log_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    /// The body as stored (still compressed when `sys_flag & COMPRESSED` and not
    /// `body_inflated`); see [`MessageExt::body`].
    pub raw_body: Bytes,
    /// `raw_body` was already inflated by the reader; the COMPRESSED bit of `sys_flag` is kept
    /// (as Java's `MessageDecoder` keeps it) and only says how the message was stored.
    pub body_inflated: bool,
    pub topic: String,
    pub properties: Properties,
}

impl MessageExt {
    /// The offset msgId (store host + commit-log offset).
    pub fn offset_msg_id(&self) -> String {
        crate::msgid::create_offset_msg_id(self.store_host, self.commit_log_offset)
    }
    /// The client-visible msgId: `UNIQ_KEY` when present, else the offset msgId (Java `MessageClientExt`).
    pub fn msg_id(&self) -> String {
        self.properties
            .get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .map(str::to_owned)
            .unwrap_or_else(|| self.offset_msg_id())
    }
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(property::TAGS)
    }
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(property::KEYS)
    }
    /// The body, inflated when the compressed flag is set.
    pub fn body(&self) -> Result<Bytes, ProtocolError> {
        if self.sys_flag & sys_flag::COMPRESSED != 0 && !self.body_inflated {
            inflate(&self.raw_body).map(Bytes::from)
        } else {
            Ok(self.raw_body.clone())
        }
    }

    /// Decode one stored record from the front of `buf`; returns it and its size. The layout
    /// and its checks are [`record::decode_ref`]'s, shared with the store's recovery; the body
    /// CRC is not checked (Java's `MessageDecoder.decode` does not either).
    pub fn decode(buf: &[u8]) -> Result<(MessageExt, usize), ProtocolError> {
        Self::decode_in(buf, None)
    }

    /// [`MessageExt::decode`] of the record at the front of `buf`; when `frame` (the received
    /// body `buf` is a part of) is given, the body and the properties text share its memory
    /// instead of being copied.
    fn decode_in(buf: &[u8], frame: Option<&Bytes>) -> Result<(MessageExt, usize), ProtocolError> {
        let r = record::decode_ref(buf, false)?;
        let (raw_body, properties) = match (frame, &r.properties) {
            (Some(f), Cow::Borrowed(p)) => (
                f.slice_ref(r.body),
                // Valid UTF-8 already (borrowed by the lossy read), checked again by the type.
                match ByteString::try_from(f.slice_ref(p.as_bytes())) {
                    Ok(text) => Properties::decode_text(text),
                    Err(_) => Properties::decode(p),
                },
            ),
            _ => (
                Bytes::copy_from_slice(r.body),
                Properties::decode(&r.properties),
            ),
        };
        // The size as stored, not `r.encoded_len()`: properties that are not UTF-8 were read
        // with U+FFFD replacements, which take more bytes than the stored ones.
        let store_size = record::stored_len(buf).ok_or(record::DecodeError::Truncated {
            needed: 4,
            available: buf.len(),
        })?;
        Ok((
            MessageExt {
                store_size: store_size as i32,
                body_crc: r.body_crc,
                queue_id: r.queue_id,
                flag: r.flag,
                queue_offset: r.queue_offset,
                commit_log_offset: r.physical_offset,
                sys_flag: r.sys_flag,
                born_timestamp: r.born_timestamp,
                born_host: r.born_host,
                store_timestamp: r.store_timestamp,
                store_host: r.store_host,
                reconsume_times: r.reconsume_times,
                prepared_transaction_offset: r.prepared_transaction_offset,
                raw_body,
                body_inflated: false,
                topic: r.topic.to_owned(),
                properties,
            },
            store_size,
        ))
    }

    /// Decode every record of a pull or query body (`MessageDecoder.decodes`).
    pub fn decode_all(mut buf: &[u8]) -> Result<Vec<MessageExt>, ProtocolError> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let (m, n) = Self::decode(buf)?;
            out.push(m);
            buf = &buf[n..];
        }
        Ok(out)
    }

    /// [`MessageExt::decode_all`] of a received body: the messages' bodies and properties
    /// share its memory (no copy per message; the body is freed with its last message).
    pub fn decode_all_shared(body: &Bytes) -> Result<Vec<MessageExt>, ProtocolError> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < body.len() {
            let (m, n) = Self::decode_in(&body[at..], Some(body))?;
            out.push(m);
            at += n;
        }
        Ok(out)
    }

    /// Encode as a stored record (`MessageDecoder.encode`) with [`record::encode_to`]; the body
    /// CRC is recomputed. Fails, writing nothing, when the topic or properties are too long or a
    /// host's address family does not match its IPv6 bit in `sys_flag`.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<usize, record::EncodeError> {
        let props = self.properties.encode();
        record::encode_to(
            dst,
            &RecordRef {
                body_crc: body_crc(&self.raw_body),
                queue_id: self.queue_id,
                flag: self.flag,
                queue_offset: self.queue_offset,
                physical_offset: self.commit_log_offset,
                sys_flag: self.sys_flag,
                born_timestamp: self.born_timestamp,
                born_host: self.born_host,
                store_timestamp: self.store_timestamp,
                store_host: self.store_host,
                reconsume_times: self.reconsume_times,
                prepared_transaction_offset: self.prepared_transaction_offset,
                body: &self.raw_body,
                topic: &self.topic,
                properties: props.as_str().into(),
            },
        )
    }
}

/// One message of a batch body as the broker reads it (`MessageDecoder.decodeMessages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    pub flag: i32,
    pub body: Bytes,
    pub properties: Properties,
}

/// `MessageDecoder.encodeMessage`: total size, magic 0, body CRC 0, flag, body, properties.
pub fn encode_batch_item(dst: &mut BytesMut, flag: i32, body: &[u8], properties: &str) {
    let size = 4 + 4 + 4 + 4 + 4 + body.len() + 2 + properties.len();
    dst.reserve(size);
    dst.put_i32(size as i32);
    dst.put_i32(0);
    dst.put_i32(0);
    dst.put_i32(flag);
    dst.put_i32(body.len() as i32);
    dst.extend_from_slice(body);
    dst.put_i16(properties.len() as i16);
    dst.extend_from_slice(properties.as_bytes());
}

/// Decode a batch body into its messages.
pub fn decode_batch(mut buf: &[u8]) -> Result<Vec<BatchItem>, ProtocolError> {
    let bad = ProtocolError::BadMessage;
    let mut out = Vec::new();
    while !buf.is_empty() {
        let mut r = Reader::new(buf);
        let total = r.i32().ok_or(bad("truncated batch item size"))?;
        let _magic = r.i32().ok_or(bad("truncated batch item magic"))?;
        let _crc = r.i32().ok_or(bad("truncated batch item crc"))?;
        let flag = r.i32().ok_or(bad("truncated batch item flag"))?;
        let body_len = r.i32().ok_or(bad("truncated batch item body length"))?;
        if body_len < 0 {
            return Err(bad("negative batch body length"));
        }
        let body = Bytes::copy_from_slice(
            r.take(body_len as usize)
                .ok_or(bad("batch body past buffer"))?,
        );
        let plen = r.i16().ok_or(bad("truncated batch properties length"))?;
        let props = r
            .take(plen.max(0) as usize)
            .ok_or(bad("batch properties past buffer"))?;
        if total as usize != r.pos {
            return Err(bad("batch item size does not match its fields"));
        }
        out.push(BatchItem {
            flag,
            body,
            properties: Properties::decode(&String::from_utf8_lossy(props)),
        });
        buf = &buf[r.pos..];
    }
    Ok(out)
}

/// zlib (with header) at `level`, as `UtilAll.compress`.
pub fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::new(level),
    );
    // Writing into a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Most bytes [`inflate`] produces: bodies are at most 4 MiB by default, so anything this large
/// from the network is a zlib bomb, refused instead of exhausting memory.
pub const MAX_INFLATED_SIZE: usize = 64 * 1024 * 1024;

/// Inflate a zlib stream (`UtilAll.uncompress`), refusing output over [`MAX_INFLATED_SIZE`].
pub fn inflate(data: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    use std::io::Read;
    let mut out = Vec::with_capacity(data.len().saturating_mul(2).min(MAX_INFLATED_SIZE));
    flate2::read::ZlibDecoder::new(data)
        .take(MAX_INFLATED_SIZE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ProtocolError::BadBody(format!("inflate: {e}")))?;
    if out.len() > MAX_INFLATED_SIZE {
        return Err(ProtocolError::BadBody(format!(
            "inflated body exceeds {MAX_INFLATED_SIZE} bytes"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> MessageExt {
        let mut p = Properties::default();
        p.insert("TAGS", "TagA");
        p.insert("KEYS", "k1 k2");
        p.insert("UNIQ_KEY", "7F0000010001000000000000000000AB");
        MessageExt {
            store_size: 0,
            body_crc: 0,
            queue_id: 2,
            flag: 7,
            queue_offset: 11,
            commit_log_offset: 4096,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: "10.1.2.3:5555".parse().unwrap(),
            store_timestamp: 1_700_000_000_001,
            store_host: "127.0.0.1:10911".parse().unwrap(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            raw_body: Bytes::from_static("héllo 世界".as_bytes()),
            body_inflated: false,
            topic: "TopicTest".into(),
            properties: p,
        }
    }

    #[test]
    fn properties_string() {
        let mut p = Properties::default();
        p.insert("a", "1");
        p.insert("b", "2");
        assert_eq!(p.encode(), "a\u{1}1\u{2}b\u{1}2");
        assert_eq!(Properties::decode(&p.encode()), p);
    }
    /// The three property readers (this, `ExtFields`, the store's) agree with Java's map.
    #[test]
    fn properties_follow_javas_map() {
        let p =
            Properties::decode("a\u{1}1\u{2}b\u{1}2\u{2}a\u{1}3\u{2}bad\u{2}c\u{1}x\u{1}y\u{2}");
        assert_eq!(p.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }

    /// Found by `fuzz/` (target `properties`): `k\u1` was read as `k=""` and `k\u1v\u1`
    /// skipped, unlike Java's `split` (trailing empty parts dropped) and the store's reader.
    #[test]
    fn properties_trailing_separators_as_java_split() {
        let s = "\0\0\u{1}\u{2}k\u{1}v\u{1}\u{2}e\u{1}\u{1}\u{2}\u{1}x";
        let p = Properties::decode(s);
        assert_eq!(p.iter().collect::<Vec<_>>(), [("k", "v"), ("", "x")]);
    }

    /// Found by `fuzz/` (target `record`): a record whose properties are not UTF-8 was given
    /// the size of its lossy re-encoding, so `decode_all` stepped past the end of a pull body
    /// and panicked (and mis-read the record after it).
    #[test]
    fn decode_all_steps_by_the_stored_size() {
        let mut m = sample();
        m.properties = Properties::default();
        m.properties.insert("TAGS", "ab");
        let mut one = BytesMut::new();
        let n = m.encode(&mut one).unwrap();
        let last = one.len() - 1;
        one[last] = 0xFF; // "a\xFF": not UTF-8, read as "a\u{FFFD}" (3 bytes for 1)
        let mut two = one.clone();
        two.extend_from_slice(&one);
        for buf in [&one[..], &two[..]] {
            let msgs = MessageExt::decode_all(buf).unwrap();
            assert_eq!(msgs.len(), buf.len() / n);
            for got in &msgs {
                assert_eq!(got.store_size as usize, n);
                assert_eq!(got.properties.get("TAGS"), Some("a\u{FFFD}"));
            }
        }
        let (got, size) = MessageExt::decode(&two).unwrap();
        assert_eq!((size, got.topic.as_str()), (n, "TopicTest"));
        // The shared decoding reads the same, the lossy properties included.
        let two = two.freeze();
        assert_eq!(
            MessageExt::decode_all_shared(&two).unwrap(),
            MessageExt::decode_all(&two).unwrap()
        );
    }

    /// A pull body decoded in place: bodies and properties point into it, and read as the
    /// copying decoder reads them; values set later (shared or owned) replace decoded ones.
    #[test]
    fn shared_decoding_matches_the_copying_one() {
        let mut buf = BytesMut::new();
        for i in 0..3 {
            let mut m = sample();
            m.queue_offset = i;
            m.properties.insert("KEYS", format!("k{i}"));
            m.encode(&mut buf).unwrap();
        }
        let body = buf.freeze();
        let mut shared = MessageExt::decode_all_shared(&body).unwrap();
        assert_eq!(shared, MessageExt::decode_all(&body).unwrap());
        let range = body.as_ptr() as usize..body.as_ptr() as usize + body.len();
        for m in &shared {
            assert!(range.contains(&(m.raw_body.as_ptr() as usize)));
        }
        let max = ByteString::from("99");
        for m in &mut shared {
            m.properties.insert_shared(property::MAX_OFFSET, &max);
            m.properties.insert_shared("KEYS", &max);
        }
        assert_eq!(shared[2].properties.get("KEYS"), Some("99"));
        assert_eq!(shared[2].properties.get(property::MAX_OFFSET), Some("99"));
        assert_eq!(shared[2].properties.remove("KEYS").as_deref(), Some("99"));
        assert_eq!(shared[1].keys(), Some("99"));
    }

    #[test]
    fn java_hash() {
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash(""), 0);
    }

    /// Moved from the store's copy (`properties::java_string_hash`).
    #[test]
    fn java_hash_overflow_and_surrogates() {
        // "hello world".hashCode() == 1794106052
        assert_eq!(java_string_hash("hello world"), 1794106052);
        // Overflowing, negative: "polygenelubricants".hashCode() == Integer.MIN_VALUE
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // Non-BMP char hashes as a surrogate pair: "😀" = \uD83D\uDE00 -> 55357*31+56832
        assert_eq!(java_string_hash("😀"), 55357 * 31 + 56832);
        assert_eq!(
            java_string_hash("hello world, this is long"),
            "hello world, this is long"
                .encode_utf16()
                .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
        );
    }

    #[test]
    fn stored_record_roundtrip_and_truncation() {
        let m = sample();
        let mut b = BytesMut::new();
        m.encode(&mut b).unwrap();
        let (d, n) = MessageExt::decode(&b).unwrap();
        assert_eq!(n, b.len());
        assert_eq!(d.topic, "TopicTest");
        assert_eq!(d.properties, m.properties);
        assert_eq!(d.body_crc, body_crc(&m.raw_body));
        assert_eq!(d.offset_msg_id(), "7F00000100002A9F0000000000001000");
        assert_eq!(d.msg_id(), "7F0000010001000000000000000000AB");
        for cut in 0..b.len() {
            assert!(MessageExt::decode(&b[..cut]).is_err());
        }
    }

    #[test]
    fn batch_roundtrip() {
        let mut b = BytesMut::new();
        encode_batch_item(&mut b, 0, b"one", "TAGS\u{1}a\u{2}");
        encode_batch_item(&mut b, 3, b"two", "");
        let items = decode_batch(&b).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].flag, 3);
        assert_eq!(&items[0].body[..], b"one");
        for cut in 1..b.len() {
            let _ = decode_batch(&b[..cut]);
        }
    }

    #[test]
    fn zlib_bomb_is_refused() {
        let bomb = deflate(&vec![0u8; MAX_INFLATED_SIZE + 1], 9);
        assert!(bomb.len() < 200_000);
        assert!(inflate(&bomb).is_err());
    }

    #[test]
    fn compression_roundtrip() {
        let data = vec![b'x'; 10_000];
        let z = deflate(&data, 5);
        assert_eq!(z[0], 0x78);
        assert_eq!(inflate(&z).unwrap(), data);
    }

    proptest! {
        #[test]
        fn prop_record_garbage(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = MessageExt::decode_all(&data);
            let _ = decode_batch(&data);
        }

        #[test]
        fn prop_record_roundtrip(body in proptest::collection::vec(any::<u8>(), 0..200), qid in 0i32..64, off in 0i64..1<<40, topic in "[a-zA-Z0-9_]{1,40}") {
            let mut m = sample();
            m.raw_body = Bytes::from(body);
            m.queue_id = qid;
            m.commit_log_offset = off;
            m.topic = topic;
            let mut b = BytesMut::new();
            m.encode(&mut b).unwrap();
            let (d, n) = MessageExt::decode(&b).unwrap();
            prop_assert_eq!(n, b.len());
            m.store_size = n as i32;
            m.body_crc = body_crc(&m.raw_body);
            prop_assert_eq!(d, m);
        }
    }
}
