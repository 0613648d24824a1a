//! Reading records: [`peek`] at what starts a buffer, [`decode_ref`] a record in place.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::*;

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
    // The strict check first: it is several times faster than the lossy reader on valid text
    // (what every record holds but damaged or foreign ones).
    let properties = match std::str::from_utf8(props) {
        Ok(p) => Cow::Borrowed(p),
        Err(_) => String::from_utf8_lossy(props),
    };
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
