//! The remoting frame: `[i32 total][i32 serializeType<<24 | headerLen][header][body]`, big-endian,
//! where `total` counts everything after itself. The header is JSON (type 0) or the ROCKETMQ
//! binary form (type 1); see `RemotingCommand` and `RocketMQSerializable` in the Java sources.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;

use crate::code::{LanguageCode, SerializeType};
use crate::error::ProtocolError;
use crate::header::CommandHeader;
use crate::{MAX_FRAME_SIZE, ROCKETMQ_VERSION_4_9_3};

mod ext_fields;
mod header_codec;

pub use ext_fields::ExtFields;
pub(crate) use header_codec::Reader;

/// Flag bit 0: the command is a response (`RPC_TYPE`).
pub const FLAG_RESPONSE: i32 = 1;
/// Flag bit 1: the request expects no response (`RPC_ONEWAY`).
pub const FLAG_ONEWAY: i32 = 1 << 1;

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

    /// The whole frame in a buffer of exactly its size (a queued response holds no spare
    /// capacity): the header is encoded first, then header and body are copied once.
    pub fn encode_to_bytes(&self) -> Bytes {
        let body = self.body.as_deref().unwrap_or(&[]);
        let mut header = BytesMut::with_capacity(256);
        match self.serialize_type {
            SerializeType::Json => self.encode_json_header(&mut header),
            SerializeType::RocketMq => self.encode_binary_header(&mut header),
        }
        let mut b = BytesMut::with_capacity(8 + header.len() + body.len());
        b.put_i32((4 + header.len() + body.len()) as i32);
        b.put_u32(((self.serialize_type as u32) << 24) | (header.len() as u32 & 0x00FF_FFFF));
        b.extend_from_slice(&header);
        b.extend_from_slice(body);
        b.freeze()
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
            Some("dup"),
            "the last of equal keys, as Java's map keeps"
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
