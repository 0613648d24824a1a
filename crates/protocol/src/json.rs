//! JSON as fastjson (the Java side) writes and reads it.
//!
//! fastjson writes map keys that are numbers without quotes (`{0:"127.0.0.1:10911"}`), which
//! `serde_json` rejects. [`normalize_fastjson`] quotes such keys so a strict parser can read Java's
//! output; writers that must match Java byte for byte (route data) emit the unquoted form themselves.
//! A hand-written pass is used because no maintained crate parses this fastjson dialect.

use crate::command::ExtFields;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
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

/// Appends a JSON string to an `ExtFields` text buffer (no `String` per key).
struct AppendStr<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for AppendStr<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        struct V<'a>(&'a mut String);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<(), E> {
                self.0.push_str(v);
                Ok(())
            }
        }
        d.deserialize_str(V(self.0))
    }
}

/// Appends a JSON value as text: strings as they are, numbers and booleans as their JSON text;
/// `false` for null (nothing appended). Avoids a `serde_json::Value` or a `String` per field.
struct AppendLenient<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for AppendLenient<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        struct V<'a>(&'a mut String);
        impl V<'_> {
            fn text(self, v: impl std::fmt::Display) -> bool {
                use std::fmt::Write as _;
                let _ = write!(self.0, "{v}");
                true
            }
        }
        impl<'de> Visitor<'de> for V<'_> {
            type Value = bool;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E>(self, v: &str) -> Result<bool, E> {
                self.0.push_str(v);
                Ok(true)
            }
            fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
                Ok(self.text(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
                Ok(self.text(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<bool, E> {
                Ok(self.text(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
                Ok(self.text(v))
            }
            fn visit_unit<E>(self) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_none<E>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// Deserialize a JSON object whose values should be strings into [`ExtFields`]; numbers and
/// booleans (sent by some non-Java clients) are kept as their text, null values are dropped.
pub fn lenient_ext_fields<'de, D: Deserializer<'de>>(d: D) -> Result<ExtFields, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = ExtFields;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(ExtFields::default())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let n = m.size_hint().unwrap_or(16);
            let mut text = String::with_capacity(n * 16);
            let mut spans = Vec::with_capacity(n);
            loop {
                let k0 = text.len();
                if m.next_key_seed(AppendStr(&mut text))?.is_none() {
                    break;
                }
                let v0 = text.len();
                if m.next_value_seed(AppendLenient(&mut text))? {
                    spans.push((k0, v0, text.len()));
                } else {
                    text.truncate(k0); // null: drop the key too
                }
            }
            Ok(ExtFields::from_text(text, &spans))
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
