//! The remoting frame: `[i32 total][i32 serializeType<<24 | headerLen][header][body]`, big-endian,
//! where `total` counts everything after itself. The header is JSON (type 0) or the ROCKETMQ
//! binary form (type 1); see `RemotingCommand` and `RocketMQSerializable` in the Java sources.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;

use crate::code::{LanguageCode, SerializeType};
use crate::error::ProtocolError;
use crate::header::CommandHeader;
use crate::{MAX_FRAME_SIZE, ROCKETMQ_VERSION_4_9_3};

/// Flag bit 0: the command is a response (`RPC_TYPE`).
pub const FLAG_RESPONSE: i32 = 1;
/// Flag bit 1: the request expects no response (`RPC_ONEWAY`).
pub const FLAG_ONEWAY: i32 = 1 << 1;

/// The `extFields` map. Java keeps a `HashMap<String, String>`; here every key and value of a
/// command sits back to back in one string, indexed by a small vector of spans, in insertion
/// order (deterministic encoding). Decoding a send header used to allocate two `String`s per
/// field (~30 per request; all malloc/free together were ~9% of the broker's send path in perf).
#[derive(Clone, Default)]
pub struct ExtFields {
    text: String,
    spans: Vec<Span>,
}

/// Byte ranges of one key and its value in `ExtFields::text`.
#[derive(Clone, Copy)]
struct Span {
    key: (u32, u32),
    value: (u32, u32),
}

impl ExtFields {
    /// Room for `n` fields of about `bytes` bytes of text in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        ExtFields {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(n),
        }
    }

    /// From text holding keys and values back to back; `spans` are (key start, value start,
    /// value end) byte offsets, each key ending where its value starts. Spans that are not in
    /// bounds and on char boundaries are dropped (none are: the JSON decoder records them around
    /// whole strings), which keeps the unchecked slicing in `slice` sound.
    pub(crate) fn from_text(text: String, spans: &[(usize, usize, usize)]) -> Self {
        let ok = |i: usize| text.is_char_boundary(i) && i <= u32::MAX as usize;
        ExtFields {
            spans: spans
                .iter()
                .filter(|&&(k, v, e)| k <= v && v <= e && ok(k) && ok(v) && ok(e))
                .map(|&(k, v, e)| Span {
                    key: (k as u32, v as u32),
                    value: (v as u32, e as u32),
                })
                .collect(),
            text,
        }
    }

    fn slice(&self, (a, b): (u32, u32)) -> &str {
        // SAFETY: every span was recorded around a whole `&str` appended to `text` (`append`,
        // `from_text`), so it is in bounds and on char boundaries, and `text` only grows
        // (a checked slice cost +40% on encoding a send header: two boundary checks per field).
        unsafe { self.text.get_unchecked(a as usize..b as usize) }
    }

    fn key_of(&self, s: &Span) -> &str {
        self.slice(s.key)
    }

    fn value_of(&self, s: &Span) -> &str {
        self.slice(s.value)
    }

    /// Headers are bounded by the 16 MiB frame limit, so offsets fit in u32; a caller that
    /// builds more than 4 GiB of fields stops here instead of recording a truncated span that
    /// `slice` would then read out of bounds.
    fn append(&mut self, t: &str) -> (u32, u32) {
        let a = self.text.len();
        let end = a
            .checked_add(t.len())
            .and_then(|e| u32::try_from(e).ok())
            .expect("ExtFields holds at most 4 GiB of text (frames are limited to 16 MiB)");
        self.text.push_str(t);
        // `a <= end <= u32::MAX`.
        (a as u32, end)
    }

    fn position(&self, key: &str) -> Option<usize> {
        let kb = key.as_bytes();
        // Length and first byte inline before the full comparison: the V2 send header's keys
        // are single letters, and a memcmp call per candidate key was ~4% of the broker's send
        // path (perf, 128 B sends).
        self.spans.iter().position(|s| {
            let b = self.key_of(s).as_bytes();
            b.len() == kb.len() && b.first() == kb.first() && b == kb
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.value_of(&self.spans[i]))
    }

    /// Insert or replace.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let (key, value) = (key.as_ref(), value.as_ref());
        match self.position(key) {
            Some(i) => {
                // The old value's bytes stay unused in `text` until the command is dropped.
                let v = self.append(value);
                self.spans[i].value = v;
            }
            None => self.push(key, value),
        }
    }

    /// Append a field without looking for an existing one (decoders; header writers, whose keys
    /// are distinct). `get` returns the first of equal keys.
    pub fn push(&mut self, key: &str, value: &str) {
        let key = self.append(key);
        let value = self.append(value);
        self.spans.push(Span { key, value });
    }

    /// Remove every field named `key`.
    pub fn remove(&mut self, key: &str) {
        let text = &self.text;
        self.spans
            .retain(|s| &text[s.key.0 as usize..s.key.1 as usize] != key);
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.spans
            .iter()
            .map(|s| (self.key_of(s), self.value_of(s)))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        let mut e = ExtFields::default();
        for (k, v) in it {
            e.push(k.as_ref(), v.as_ref());
        }
        e
    }
}

impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for ExtFields {}

impl std::fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// One request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotingCommand {
    pub code: i32,
    pub language: LanguageCode,
    pub version: i32,
    pub opaque: i32,
    pub flag: i32,
    pub remark: Option<String>,
    pub ext_fields: ExtFields,
    pub body: Option<Bytes>,
    /// How the header is (or was) serialized; a response is answered in its request's type.
    pub serialize_type: SerializeType,
}

/// Result of trying to decode one frame from the front of a buffer.
#[derive(Debug)]
pub enum Decoded {
    /// More bytes are needed; nothing was consumed.
    Incomplete,
    /// A whole frame: the command and how many bytes it used.
    Frame(RemotingCommand, usize),
}

impl RemotingCommand {
    fn new(code: i32, flag: i32) -> Self {
        RemotingCommand {
            code,
            language: LanguageCode::JAVA,
            version: ROCKETMQ_VERSION_4_9_3,
            opaque: 0,
            flag,
            remark: None,
            ext_fields: ExtFields::default(),
            body: None,
            serialize_type: SerializeType::Json,
        }
    }

    /// A request with a typed header.
    pub fn request<H: CommandHeader>(code: impl Into<i32>, header: &H) -> Self {
        let mut cmd = Self::new(code.into(), 0);
        header.write(&mut cmd.ext_fields);
        cmd
    }

    /// A request without a header.
    pub fn request_bare(code: impl Into<i32>) -> Self {
        Self::new(code.into(), 0)
    }

    /// A response to `request` (same opaque and serialize type).
    pub fn response_to(
        request: &RemotingCommand,
        code: impl Into<i32>,
        remark: Option<String>,
    ) -> Self {
        let mut cmd = Self::new(code.into(), FLAG_RESPONSE);
        cmd.opaque = request.opaque;
        cmd.remark = remark;
        cmd.serialize_type = request.serialize_type;
        cmd
    }

    pub fn with_header<H: CommandHeader>(mut self, header: &H) -> Self {
        header.write(&mut self.ext_fields);
        self
    }
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }
    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }
    pub fn with_language(mut self, language: LanguageCode) -> Self {
        self.language = language;
        self
    }
    pub fn mark_oneway(&mut self) {
        self.flag |= FLAG_ONEWAY;
    }
    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }
    pub fn is_oneway(&self) -> bool {
        self.flag & FLAG_ONEWAY != 0
    }
    /// Parse the typed header from `extFields`.
    pub fn header<H: CommandHeader>(&self) -> Result<H, ProtocolError> {
        H::read(&self.ext_fields)
    }
    pub fn body_bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or(&[])
    }

    /// Encode the whole frame into `dst` (one contiguous buffer, written with one syscall).
    pub fn encode(&self, dst: &mut BytesMut) {
        let start = dst.len();
        dst.put_i32(0); // total length, patched below
        dst.put_i32(0); // header length word, patched below
        let header_start = dst.len();
        match self.serialize_type {
            SerializeType::Json => self.encode_json_header(dst),
            SerializeType::RocketMq => self.encode_binary_header(dst),
        }
        let header_len = dst.len() - header_start;
        if let Some(body) = &self.body {
            dst.extend_from_slice(body);
        }
        let total = dst.len() - start - 4;
        dst[start..start + 4].copy_from_slice(&(total as i32).to_be_bytes());
        let word = ((self.serialize_type as u32) << 24) | (header_len as u32 & 0x00FF_FFFF);
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
    }

    pub fn encode_to_bytes(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(64 + self.body.as_ref().map_or(0, |b| b.len()));
        self.encode(&mut b);
        b.freeze()
    }

    /// Field order follows fastjson (alphabetical), as the Java side writes it.
    fn encode_json_header(&self, dst: &mut BytesMut) {
        let mut w = dst.writer();
        use std::io::Write;
        let _ = write!(w, "{{\"code\":{},\"extFields\":{{", self.code);
        for (i, (k, v)) in self.ext_fields.iter().enumerate() {
            if i > 0 {
                let _ = w.write_all(b",");
            }
            crate::json::write_str(&mut w, k);
            let _ = w.write_all(b":");
            crate::json::write_str(&mut w, v);
        }
        let _ = write!(
            w,
            "}},\"flag\":{},\"language\":\"{}\",\"opaque\":{},",
            self.flag,
            self.language.name(),
            self.opaque
        );
        if let Some(r) = &self.remark {
            let _ = w.write_all(b"\"remark\":");
            crate::json::write_str(&mut w, r);
            let _ = w.write_all(b",");
        }
        let _ = write!(
            w,
            "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":{}}}",
            self.version
        );
    }

    fn encode_binary_header(&self, dst: &mut BytesMut) {
        dst.put_i16(self.code as i16);
        dst.put_u8(self.language.code());
        dst.put_i16(self.version as i16);
        dst.put_i32(self.opaque);
        dst.put_i32(self.flag);
        match &self.remark {
            Some(r) if !r.is_empty() => {
                dst.put_i32(r.len() as i32);
                dst.extend_from_slice(r.as_bytes());
            }
            _ => dst.put_i32(0),
        }
        if self.ext_fields.is_empty() {
            dst.put_i32(0);
        } else {
            let len: usize = self
                .ext_fields
                .iter()
                .map(|(k, v)| 2 + k.len() + 4 + v.len())
                .sum();
            dst.put_i32(len as i32);
            for (k, v) in self.ext_fields.iter() {
                dst.put_i16(k.len() as i16);
                dst.extend_from_slice(k.as_bytes());
                dst.put_i32(v.len() as i32);
                dst.extend_from_slice(v.as_bytes());
            }
        }
    }

    /// Try to decode one frame from the front of `src`. Checks the 16 MiB limit before anything
    /// is allocated; never panics on arbitrary input.
    pub fn decode(src: &[u8]) -> Result<Decoded, ProtocolError> {
        if src.len() < 4 {
            return Ok(Decoded::Incomplete);
        }
        let total = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
        if total < 4 {
            return Err(ProtocolError::FrameTooSmall(total.max(0) as usize));
        }
        let total = total as usize;
        if total > MAX_FRAME_SIZE {
            return Err(ProtocolError::FrameTooLarge(total));
        }
        if src.len() < 4 + total {
            return Ok(Decoded::Incomplete);
        }
        let frame = &src[4..4 + total];
        let cmd = Self::decode_frame(frame)?;
        Ok(Decoded::Frame(cmd, 4 + total))
    }

    /// Decode one frame from the front of `src`, taking its bytes; the body shares `src`'s
    /// memory instead of being copied. `Ok(None)` when more bytes are needed.
    pub fn decode_from(src: &mut BytesMut) -> Result<Option<Self>, ProtocolError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let total = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
        if total < 4 {
            return Err(ProtocolError::FrameTooSmall(total.max(0) as usize));
        }
        let total = total as usize;
        if total > MAX_FRAME_SIZE {
            return Err(ProtocolError::FrameTooLarge(total));
        }
        if src.len() < 4 + total {
            return Ok(None);
        }
        let mut frame = src.split_to(4 + total);
        let _ = frame.split_to(4);
        let (mut cmd, header_len) = Self::decode_header_of(&frame)?;
        let body = frame.split_off(4 + header_len);
        if !body.is_empty() {
            cmd.body = Some(body.freeze());
        }
        Ok(Some(cmd))
    }

    fn decode_header_of(frame: &[u8]) -> Result<(Self, usize), ProtocolError> {
        if frame.len() < 4 {
            return Err(ProtocolError::FrameTooSmall(frame.len()));
        }
        let word = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let ser = SerializeType::from_byte((word >> 24) as u8)
            .ok_or(ProtocolError::UnknownSerializeType((word >> 24) as u8))?;
        let header_len = (word & 0x00FF_FFFF) as usize;
        if header_len > frame.len() - 4 {
            return Err(ProtocolError::BadHeaderLength {
                header: header_len,
                frame: frame.len(),
            });
        }
        let header = &frame[4..4 + header_len];
        let mut cmd = match ser {
            SerializeType::Json => Self::decode_json_header(header)?,
            SerializeType::RocketMq => Self::decode_binary_header(header)?,
        };
        cmd.serialize_type = ser;
        Ok((cmd, header_len))
    }

    /// Decode a frame without its leading total-length word.
    pub fn decode_frame(frame: &[u8]) -> Result<Self, ProtocolError> {
        let (mut cmd, header_len) = Self::decode_header_of(frame)?;
        let body = &frame[4 + header_len..];
        if !body.is_empty() {
            cmd.body = Some(Bytes::copy_from_slice(body));
        }
        Ok(cmd)
    }

    fn decode_json_header(header: &[u8]) -> Result<Self, ProtocolError> {
        #[derive(Deserialize)]
        struct Json {
            code: i32,
            #[serde(default)]
            language: Option<String>,
            #[serde(default)]
            version: i32,
            #[serde(default)]
            opaque: i32,
            #[serde(default)]
            flag: i32,
            #[serde(default)]
            remark: Option<String>,
            #[serde(
                rename = "extFields",
                default,
                deserialize_with = "crate::json::lenient_ext_fields"
            )]
            ext_fields: ExtFields,
        }
        let j: Json = serde_json::from_slice(header)
            .map_err(|e| ProtocolError::BadJsonHeader(e.to_string()))?;
        Ok(RemotingCommand {
            code: j.code,
            language: j
                .language
                .as_deref()
                .map(LanguageCode::from_name)
                .unwrap_or_default(),
            version: j.version,
            opaque: j.opaque,
            flag: j.flag,
            remark: j.remark,
            ext_fields: j.ext_fields,
            body: None,
            serialize_type: SerializeType::Json,
        })
    }

    fn decode_binary_header(h: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader { buf: h, pos: 0 };
        let code = r
            .i16()
            .ok_or(ProtocolError::BadBinaryHeader("truncated code"))? as i32;
        let language = LanguageCode::from_code(
            r.u8()
                .ok_or(ProtocolError::BadBinaryHeader("truncated language"))?,
        );
        let version =
            r.i16()
                .ok_or(ProtocolError::BadBinaryHeader("truncated version"))? as i32;
        let opaque = r
            .i32()
            .ok_or(ProtocolError::BadBinaryHeader("truncated opaque"))?;
        let flag = r
            .i32()
            .ok_or(ProtocolError::BadBinaryHeader("truncated flag"))?;
        let remark_len = r
            .i32()
            .ok_or(ProtocolError::BadBinaryHeader("truncated remark length"))?;
        let remark = if remark_len > 0 {
            let b = r
                .take(remark_len as usize)
                .ok_or(ProtocolError::BadBinaryHeader("remark length past header"))?;
            Some(utf8_owned(b))
        } else {
            None
        };
        let ext_len = r
            .i32()
            .ok_or(ProtocolError::BadBinaryHeader("truncated extFields length"))?;
        let mut ext = ExtFields::default();
        if ext_len > 0 {
            let bytes = r
                .take(ext_len as usize)
                .ok_or(ProtocolError::BadBinaryHeader(
                    "extFields length past header",
                ))?;
            let mut er = Reader { buf: bytes, pos: 0 };
            while er.pos < bytes.len() {
                let kl = er
                    .i16()
                    .ok_or(ProtocolError::BadBinaryHeader("truncated key length"))?;
                let k = er
                    .take(kl.max(0) as usize)
                    .ok_or(ProtocolError::BadBinaryHeader("key past extFields"))?;
                let vl = er
                    .i32()
                    .ok_or(ProtocolError::BadBinaryHeader("truncated value length"))?;
                let v = er
                    .take(vl.max(0) as usize)
                    .ok_or(ProtocolError::BadBinaryHeader("value past extFields"))?;
                ext.push(&utf8_cow(k), &utf8_cow(v));
            }
        }
        Ok(RemotingCommand {
            code,
            language,
            version,
            opaque,
            flag,
            remark,
            ext_fields: ext,
            body: None,
            serialize_type: SerializeType::RocketMq,
        })
    }
}

/// An owned string of `b`, replacing invalid UTF-8 like Java's decoder would. `from_utf8`
/// validates ASCII in wide chunks; `from_utf8_lossy` walks `Utf8Chunks` even for valid input
/// (~1.5% of the broker's send path, perf).
fn utf8_owned(b: &[u8]) -> String {
    utf8_cow(b).into_owned()
}

fn utf8_cow(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Bounds-checked big-endian reader over a byte slice.
pub(crate) struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    pub fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ext_fields_insert_replace_remove_and_equality() {
        let mut e = ExtFields::default();
        e.insert("a", "1");
        e.insert("bb", "2");
        e.insert("a", "three");
        assert_eq!(e.get("a"), Some("three"));
        assert_eq!(e.get("bb"), Some("2"));
        assert_eq!(e.get("b"), None);
        assert_eq!(e.len(), 2);
        let same: ExtFields = [("a", "three"), ("bb", "2")].into_iter().collect();
        assert_eq!(e, same, "equality is by fields, not by the text buffer");
        e.remove("a");
        assert_eq!(e.iter().collect::<Vec<_>>(), vec![("bb", "2")]);
        assert_eq!(format!("{e:?}"), r#"{"bb": "2"}"#);
    }

    #[test]
    fn json_ext_fields_are_lenient() {
        let h = br#"{"code":10,"extFields":{"a":"x\"y","n":5,"f":true,"z":null,"a":"dup","e":""},"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":1}"#;
        let mut frame = Vec::new();
        frame.extend_from_slice(&(h.len() as u32).to_be_bytes());
        frame.extend_from_slice(h);
        let c = RemotingCommand::decode_frame(&frame).unwrap();
        let got: Vec<_> = c.ext_fields.iter().collect();
        assert_eq!(
            got,
            vec![
                ("a", "x\"y"),
                ("n", "5"),
                ("f", "true"),
                ("a", "dup"),
                ("e", "")
            ]
        );
        assert_eq!(
            c.ext_fields.get("a"),
            Some("x\"y"),
            "the first of equal keys"
        );
        assert_eq!(c.ext_fields.get("z"), None, "null values are dropped");
    }

    use super::*;
    use proptest::prelude::*;

    fn sample(ser: SerializeType) -> RemotingCommand {
        let mut c = RemotingCommand::request_bare(310);
        c.opaque = 42;
        c.remark = Some("héllo \"quoted\"\n".into());
        c.ext_fields.insert("a", "group");
        c.ext_fields.insert("b", "Topic\u{1}x");
        c.body = Some(Bytes::from_static(b"body bytes"));
        c.serialize_type = ser;
        c
    }

    #[test]
    fn roundtrip_both_header_types() {
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let c = sample(ser);
            let bytes = c.encode_to_bytes();
            match RemotingCommand::decode(&bytes).unwrap() {
                Decoded::Frame(d, used) => {
                    assert_eq!(used, bytes.len());
                    assert_eq!(d, c);
                }
                Decoded::Incomplete => panic!("incomplete"),
            }
        }
    }

    #[test]
    fn decode_from_takes_frames_without_copying_bodies() {
        let a = sample(SerializeType::Json).encode_to_bytes();
        let b = sample(SerializeType::RocketMq).encode_to_bytes();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&a);
        buf.extend_from_slice(&b[..b.len() - 1]);
        assert_eq!(
            RemotingCommand::decode_from(&mut buf).unwrap().unwrap(),
            sample(SerializeType::Json)
        );
        assert!(RemotingCommand::decode_from(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&b[b.len() - 1..]);
        assert_eq!(
            RemotingCommand::decode_from(&mut buf).unwrap().unwrap(),
            sample(SerializeType::RocketMq)
        );
        assert!(buf.is_empty());
        let mut big = BytesMut::new();
        big.put_i32(17 * 1024 * 1024);
        assert!(RemotingCommand::decode_from(&mut big).is_err());
    }

    #[test]
    fn every_truncation_is_incomplete() {
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let bytes = sample(ser).encode_to_bytes();
            for cut in 0..bytes.len() {
                assert!(
                    matches!(
                        RemotingCommand::decode(&bytes[..cut]),
                        Ok(Decoded::Incomplete)
                    ),
                    "cut {cut}"
                );
            }
        }
    }

    #[test]
    fn header_truncations_are_errors_not_panics() {
        // Shrink the declared frame so the header is cut at every point.
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let bytes = sample(ser).encode_to_bytes();
            let hl = (u32::from_be_bytes(bytes[4..8].try_into().unwrap()) & 0xFFFFFF) as usize;
            for cut in 0..hl {
                let mut f = BytesMut::new();
                f.put_i32(4 + cut as i32);
                f.put_u32(((ser as u32) << 24) | cut as u32);
                f.extend_from_slice(&bytes[8..8 + cut]);
                assert!(
                    RemotingCommand::decode(&f).is_err(),
                    "{ser:?} header cut at {cut} of {hl} decoded"
                );
                let mut owned = f.clone();
                assert!(
                    RemotingCommand::decode_from(&mut owned).is_err(),
                    "{ser:?} header cut at {cut} of {hl} decoded by decode_from"
                );
            }
        }
    }

    #[test]
    fn oversized_frame_rejected_before_allocation() {
        let mut f = BytesMut::new();
        f.put_i32(17 * 1024 * 1024);
        assert_eq!(
            RemotingCommand::decode(&f).unwrap_err(),
            ProtocolError::FrameTooLarge(17 * 1024 * 1024)
        );
        let mut f = BytesMut::new();
        f.put_i32(-5);
        assert!(RemotingCommand::decode(&f).is_err());
    }

    #[test]
    fn json_header_from_other_clients() {
        // A Go-client-like header: no remark, no serializeTypeCurrentRPC, numeric ext value, extra fields.
        let h = br#"{"code":105,"language":"GO","version":317,"opaque":7,"flag":0,"extFields":{"topic":"T","n":5,"AccessKey":"x"}}"#;
        let mut f = BytesMut::new();
        f.put_i32(4 + h.len() as i32);
        f.put_i32(h.len() as i32);
        f.extend_from_slice(h);
        let Decoded::Frame(c, _) = RemotingCommand::decode(&f).unwrap() else {
            panic!()
        };
        assert_eq!(c.code, 105);
        assert_eq!(c.language, LanguageCode::GO);
        assert_eq!(c.ext_fields.get("topic"), Some("T"));
        assert_eq!(c.ext_fields.get("n"), Some("5"));
    }

    proptest! {
        #[test]
        fn prop_roundtrip(code in any::<i16>(), opaque in any::<i32>(), flag in 0i32..4,
                          remark in proptest::option::of(".{1,20}"),
                          ext in proptest::collection::vec(("[a-zA-Z]{1,8}", ".{0,16}"), 0..6),
                          body in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..64)),
                          binary in any::<bool>()) {
            let mut c = RemotingCommand::request_bare(code as i32);
            c.opaque = opaque; c.flag = flag; c.remark = remark;
            for (k, v) in ext { c.ext_fields.insert(k, v); }
            c.body = body.map(Bytes::from);
            c.serialize_type = if binary { SerializeType::RocketMq } else { SerializeType::Json };
            let bytes = c.encode_to_bytes();
            let Decoded::Frame(d, n) = RemotingCommand::decode(&bytes).unwrap() else { panic!() };
            prop_assert_eq!(n, bytes.len());
            prop_assert_eq!(&d, &c);
            // The path connections use: the frame taken from a buffer, a second one behind it.
            let mut buf = BytesMut::from(&bytes[..]);
            buf.extend_from_slice(&bytes);
            let first = RemotingCommand::decode_from(&mut buf).unwrap().unwrap();
            prop_assert_eq!(&first, &c);
            prop_assert_eq!(buf.len(), bytes.len());
            let second = RemotingCommand::decode_from(&mut buf).unwrap().unwrap();
            prop_assert_eq!(&second, &c);
            prop_assert!(buf.is_empty());
        }

        #[test]
        fn prop_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            // Both decoders agree on arbitrary bytes, and neither panics.
            let a = RemotingCommand::decode(&data);
            let mut buf = BytesMut::from(&data[..]);
            let b = RemotingCommand::decode_from(&mut buf);
            match (a, b) {
                (Ok(Decoded::Frame(x, n)), Ok(Some(y))) => {
                    prop_assert_eq!(x, y);
                    prop_assert_eq!(buf.len(), data.len() - n);
                }
                (Ok(Decoded::Incomplete), Ok(None)) => prop_assert_eq!(buf.len(), data.len()),
                (Err(e), Err(f)) => prop_assert_eq!(e, f),
                (a, b) => prop_assert!(false, "decode {:?} vs decode_from {:?}", a, b),
            }
        }
    }
}
