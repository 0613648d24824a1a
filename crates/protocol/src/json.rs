//! JSON as fastjson (the Java side) writes and reads it.
//!
//! fastjson writes map keys that are numbers without quotes (`{0:"127.0.0.1:10911"}`), which
//! `serde_json` rejects. [`normalize_fastjson`] quotes such keys so a strict parser can read Java's
//! output; writers that must match Java byte for byte (route data) emit the unquoted form themselves.
//! A hand-written pass is used because no maintained crate parses this fastjson dialect.

use serde::de::{Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::io::Write;

/// Write `s` as a JSON string literal.
pub fn write_str<W: Write>(w: &mut W, s: &str) {
    // serde_json's string escaping is exactly JSON's; writing into a Vec/BytesMut cannot fail.
    let _ = serde_json::to_writer(w, s);
}

/// Quote bare numeric object keys (`{0:"a"}` -> `{"0":"a"}`) outside string literals.
/// Returns the input unchanged (borrowed) when there is nothing to fix.
pub fn normalize_fastjson(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut in_str = false;
    let mut escaped = false;
    // Last significant (non-whitespace) byte outside strings.
    let mut last_sig = b' ';
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if (c.is_ascii_digit() || c == b'-') && (last_sig == b'{' || last_sig == b',') {
            // A number right after `{` or `,` is a key only if a `:` follows it.
            let mut j = i + 1;
            while j < input.len() && (input[j].is_ascii_digit()) {
                j += 1;
            }
            let mut k = j;
            while k < input.len() && input[k].is_ascii_whitespace() {
                k += 1;
            }
            if k < input.len() && input[k] == b':' {
                let o = out.get_or_insert_with(|| input[..i].to_vec());
                o.push(b'"');
                o.extend_from_slice(&input[i..j]);
                o.push(b'"');
                last_sig = b'"';
                i = j;
                continue;
            }
        }
        if let Some(o) = out.as_mut() {
            o.push(c);
        }
        if !in_str && !c.is_ascii_whitespace() {
            last_sig = c;
        }
        i += 1;
    }
    match out {
        Some(v) => Cow::Owned(v),
        None => Cow::Borrowed(input),
    }
}

/// Parse fastjson output into `T` (numeric keys allowed).
pub fn from_fastjson<T: serde::de::DeserializeOwned>(
    input: &[u8],
) -> Result<T, crate::ProtocolError> {
    let norm = normalize_fastjson(input);
    serde_json::from_slice(&norm).map_err(|e| crate::ProtocolError::BadBody(e.to_string()))
}

/// A JSON value read as text: strings as they are, numbers and booleans as their JSON text,
/// null as None. Avoids building a `serde_json::Value` per field (the header hot path).
struct LenientText(Option<String>);

impl<'de> serde::Deserialize<'de> for LenientText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E>(self, v: &str) -> Result<LenientText, E> {
                Ok(LenientText(Some(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<LenientText, E> {
                Ok(LenientText(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LenientText, E> {
                Ok(LenientText(Some(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LenientText, E> {
                Ok(LenientText(Some(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LenientText, E> {
                Ok(LenientText(Some(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<LenientText, E> {
                Ok(LenientText(Some(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<LenientText, E> {
                Ok(LenientText(None))
            }
            fn visit_none<E>(self) -> Result<LenientText, E> {
                Ok(LenientText(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserialize a JSON object whose values should be strings; numbers and booleans (sent by some
/// non-Java clients) are kept as their text, null values are dropped.
pub fn lenient_string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, String)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(m.size_hint().unwrap_or(16));
            while let Some((k, v)) = m.next_entry::<String, LenientText>()? {
                if let Some(v) = v.0 {
                    out.push((k, v));
                }
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_numeric_keys_only() {
        let s = br#"{"brokerAddrs":{0:"127.0.0.1:10911", 1 :"x"},"n":[1,2],"s":"{0:\"no\"}"}"#;
        let n = normalize_fastjson(s);
        assert_eq!(
            std::str::from_utf8(&n).unwrap(),
            r#"{"brokerAddrs":{"0":"127.0.0.1:10911", "1" :"x"},"n":[1,2],"s":"{0:\"no\"}"}"#
        );
        let v: serde_json::Value = serde_json::from_slice(&n).unwrap();
        assert_eq!(v["brokerAddrs"]["1"], "x");
        let plain = br#"{"a":1}"#;
        assert!(matches!(normalize_fastjson(plain), Cow::Borrowed(_)));
    }
}
