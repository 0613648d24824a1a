//! The console's text handling, pure and unit-tested: percent-decoding of paths, queries and
//! `application/x-www-form-urlencoded` bodies, percent-encoding of names put into links,
//! HTML escaping of everything the cluster sends, and the reset form's time field.

use rocklet_protocol::time::format_millis;

/// Decodes `%XX` escapes (and `+` as a space when `plus` is set, as in forms and queries).
/// None for a broken escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str, plus: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but unreserved characters, for a path segment or a form value
/// (topic names may hold `%` and `|`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// The `name=value` pairs of a query string or a form body; None when one does not decode.
pub fn parse_pairs(s: &str) -> Option<Vec<(String, String)>> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// The first value named `name`.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A store or consume time as the tools print it (UTC, as everywhere in Rocklet); empty for 0.
pub fn time_text(ms: i64) -> String {
    if ms <= 0 {
        String::new()
    } else {
        format_millis(ms, ' ', ',')
    }
}

/// The reset form's time: milliseconds since the epoch, or `yyyy-MM-dd'T'HH:mm` (seconds
/// optional; what an HTML `datetime-local` field sends) read as UTC.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(format!(
        "time [{s}] is neither milliseconds nor yyyy-MM-dd'T'HH:mm (UTC)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            percent_decode("%25RETRY%25g+1", true).unwrap(),
            "%RETRY%g 1"
        );
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert!(percent_decode("%2", true).is_none());
        assert!(percent_decode("%zz", true).is_none());
        assert!(percent_decode("%+1", true).is_none());
        assert!(percent_decode("%ff", true).is_none(), "not UTF-8");
        let p = parse_pairs("topic=T1&cluster=&perm=6&x").unwrap();
        assert_eq!(field(&p, "topic"), Some("T1"));
        assert_eq!(field(&p, "cluster"), Some(""));
        assert_eq!(field(&p, "x"), Some(""));
        assert_eq!(field(&p, "y"), None);
    }

    #[test]
    fn encoding_round_trips() {
        for s in ["%DLQ%g|x", "a b/c?", "plain_Name-1"] {
            assert_eq!(percent_decode(&percent_encode(s), false).unwrap(), s);
        }
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1796019666536").unwrap(), 1_796_019_666_536);
        assert_eq!(parse_time("2026-11-30T06:21").unwrap(), 1_796_019_660_000);
        assert_eq!(
            parse_time("2026-11-30T06:21:06").unwrap(),
            1_796_019_666_000
        );
        assert!(parse_time("2026-02-30T00:00").is_err());
        assert!(parse_time("yesterday").is_err());
        assert_eq!(time_text(0), "");
    }
}
