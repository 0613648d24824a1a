//! Writing records straight into the commit log's mapped bytes, and the end-of-file blank.

use std::net::{IpAddr, SocketAddr};

use bytes::{BufMut, BytesMut};

use super::*;

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
