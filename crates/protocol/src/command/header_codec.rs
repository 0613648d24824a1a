//! The two header encodings of a command: JSON (`RemotingSerializable`, type 0) and the
//! ROCKETMQ binary form (`RocketMQSerializable`, type 1).

use super::*;

impl RemotingCommand {
    /// Field order follows fastjson (alphabetical), as the Java side writes it.
    pub(super) fn encode_json_header(&self, dst: &mut BytesMut) {
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

    pub(super) fn encode_binary_header(&self, dst: &mut BytesMut) {
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

    pub(super) fn decode_json_header(header: &[u8]) -> Result<Self, ProtocolError> {
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
        // Java reads the header as `new String(bytes, UTF_8)` first: invalid bytes become
        // U+FFFD instead of failing the frame. serde_json refuses them, so on an error the
        // lossy text is tried (only then: valid headers pay nothing).
        let j: Json = match serde_json::from_slice(header) {
            Ok(j) => j,
            Err(e) if std::str::from_utf8(header).is_err() => {
                serde_json::from_str(&String::from_utf8_lossy(header))
                    .map_err(|_| ProtocolError::BadJsonHeader(e.to_string()))?
            }
            Err(e) => return Err(ProtocolError::BadJsonHeader(e.to_string())),
        };
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

    pub(super) fn decode_binary_header(h: &[u8]) -> Result<Self, ProtocolError> {
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
