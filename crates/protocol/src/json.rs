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
    match serde_json::from_slice(&norm) {
        Ok(v) => Ok(v),
        // Java decodes a body as `new String(bytes, UTF_8)` first, invalid bytes becoming
        // U+FFFD; only a body serde refuses pays for that second try.
        Err(e) if std::str::from_utf8(&norm).is_err() => {
            serde_json::from_str(&String::from_utf8_lossy(&norm))
                .map_err(|_| crate::ProtocolError::BadBody(e.to_string()))
        }
        Err(e) => Err(crate::ProtocolError::BadBody(e.to_string())),
    }
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

/// Field deserializers that accept what fastjson accepts for a typed field: numbers written as
/// strings (`"queueId":"3"`), strings that hold numbers, booleans as `"true"`/`1`, and `null` as
/// the type's default. Other 4.x clients (C++, Go, Python) send these forms; use with
/// `#[serde(deserialize_with = "lenient::int")]`.
pub mod lenient {
    use serde::de::{Deserializer, Error, Visitor};
    use serde::Deserialize as _;
    use std::fmt;
    use std::marker::PhantomData;

    struct Int<T>(PhantomData<T>);

    impl<T: TryFrom<i64> + Default> Visitor<'_> for Int<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer, or a string holding one")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
            let v = i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))?;
            self.visit_i64(v)
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
            // fastjson truncates a decimal into an integer field.
            self.visit_i64(v.trunc() as i64)
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<T, E> {
            self.visit_i64(i64::from(v))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(T::default());
            }
            match t.parse::<i64>() {
                Ok(n) => self.visit_i64(n),
                Err(_) => t
                    .parse::<f64>()
                    .map_err(|_| E::custom(format!("'{v}' is not a number")))
                    .and_then(|f| self.visit_f64(f)),
            }
        }
        fn visit_unit<E: Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_none<E: Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
    }

    /// An integer field (`i32`, `i64`, ...).
    pub fn int<'de, D: Deserializer<'de>, T: TryFrom<i64> + Default>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(Int(PhantomData))
    }

    struct Bool;

    impl Visitor<'_> for Bool {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean, 0/1, or \"true\"/\"false\"")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" || t.eq_ignore_ascii_case("y") => {
                    Ok(true)
                }
                t if t.eq_ignore_ascii_case("false")
                    || t == "0"
                    || t.eq_ignore_ascii_case("n")
                    || t.is_empty() =>
                {
                    Ok(false)
                }
                _ => Err(E::custom(format!("'{v}' is not a boolean"))),
            }
        }
        fn visit_unit<E: Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }

    /// A collection (or any field with a default) that may arrive as `null`.
    pub fn or_default<'de, D: Deserializer<'de>, T: serde::Deserialize<'de> + Default>(
        d: D,
    ) -> Result<T, D::Error> {
        Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
    }

    /// A boolean field.
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(Bool)
    }

    struct Text;

    impl Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string, number or boolean")
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_unit<E: Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
        fn visit_none<E: Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }

    /// A string field that may arrive as a number or boolean (fastjson coerces), or null.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_any(Text)
    }

    /// An enum field written as its name or as its ordinal (fastjson reads both): the name of
    /// `names[ordinal]` for a number; the text itself otherwise.
    pub fn enum_name<'de, D: Deserializer<'de>>(
        d: D,
        names: &'static [&'static str],
    ) -> Result<String, D::Error> {
        let s = string(d)?;
        match s.parse::<usize>() {
            Ok(i) => names
                .get(i)
                .map(|n| (*n).to_owned())
                .ok_or_else(|| D::Error::custom(format!("ordinal {i} out of range"))),
            Err(_) => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_replaced_as_java_does() {
        #[derive(serde::Deserialize)]
        struct B {
            name: String,
        }
        let b: B = from_fastjson(b"{\"name\":\"a\xff\xfeb\"}").unwrap();
        assert_eq!(b.name, "a\u{fffd}\u{fffd}b");
        assert!(from_fastjson::<B>(b"{\"name\":\xff").is_err());
        let mut frame = crate::RemotingCommand::request_bare(10)
            .with_opaque(3)
            .encode_to_bytes()
            .to_vec();
        // A header field with an invalid byte: the frame still decodes, lossily.
        let at = frame.windows(4).position(|w| w == b"JAVA").unwrap();
        frame[at] = 0xff;
        let cmd = crate::RemotingCommand::decode_frame(&frame[4..]).unwrap();
        assert_eq!(cmd.opaque, 3);
    }

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

    #[derive(serde::Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct Lenient {
        #[serde(deserialize_with = "lenient::int")]
        n: i32,
        #[serde(deserialize_with = "lenient::int")]
        big: i64,
        #[serde(deserialize_with = "lenient::boolean")]
        b: bool,
        #[serde(deserialize_with = "lenient::string")]
        s: String,
    }

    #[test]
    fn lenient_fields_take_what_fastjson_takes() {
        let table: &[(&str, Lenient)] = &[
            (
                r#"{"n":3,"big":5,"b":true,"s":"x"}"#,
                Lenient {
                    n: 3,
                    big: 5,
                    b: true,
                    s: "x".into(),
                },
            ),
            (
                r#"{"n":"3","big":"5","b":"true","s":7}"#,
                Lenient {
                    n: 3,
                    big: 5,
                    b: true,
                    s: "7".into(),
                },
            ),
            (
                r#"{"n":null,"big":null,"b":null,"s":null}"#,
                Lenient::default(),
            ),
            (
                r#"{"n":3.9,"b":1,"s":false,"unknown":{"a":[1]}}"#,
                Lenient {
                    n: 3,
                    b: true,
                    s: "false".into(),
                    ..Default::default()
                },
            ),
            (
                r#"{"n":" 4 ","b":"FALSE"}"#,
                Lenient {
                    n: 4,
                    ..Default::default()
                },
            ),
            (r#"{}"#, Lenient::default()),
        ];
        for (json, want) in table {
            let got: Lenient = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(&got, want, "{json}");
        }
        for bad in [r#"{"n":"x"}"#, r#"{"n":4294967296}"#, r#"{"b":"maybe"}"#] {
            assert!(serde_json::from_str::<Lenient>(bad).is_err(), "{bad}");
        }
    }
}
