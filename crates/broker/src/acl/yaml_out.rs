//! The ACL file written back as Java's `AclUtils.writeDataObject` writes it: SnakeYAML's
//! `dumpAsMap` (block style, two-space indent, sequences under a key not indented, a string
//! quoted with `'` when it would read back as another type or starts with an indicator). Keys
//! keep the order they were read in; comments are gone, as in Java.

use yaml_rust2::Yaml;

/// The whole document.
pub fn dump(root: &Yaml) -> String {
    let mut out = String::new();
    match root {
        Yaml::Hash(h) if !h.is_empty() => map(&mut out, h, 0, false),
        Yaml::Array(a) if !a.is_empty() => seq(&mut out, a, 0, false),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

/// A node on the rest of the current line: a scalar or an empty collection.
fn inline(y: &Yaml) -> String {
    match y {
        Yaml::Hash(_) => "{}".into(),
        Yaml::Array(_) => "[]".into(),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => "null".into(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Real(r) => r.clone(),
        Yaml::String(s) => string(s),
    }
}

fn nonempty(y: &Yaml) -> bool {
    matches!(y, Yaml::Hash(h) if !h.is_empty()) || matches!(y, Yaml::Array(a) if !a.is_empty())
}

fn map(out: &mut String, h: &yaml_rust2::yaml::Hash, indent: usize, inline_first: bool) {
    for (i, (k, v)) in h.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&inline(k));
        out.push(':');
        match v {
            Yaml::Array(a) if !a.is_empty() => {
                out.push('\n');
                seq(out, a, indent, false);
            }
            Yaml::Hash(m) if !m.is_empty() => {
                out.push('\n');
                map(out, m, indent + 2, false);
            }
            _ => {
                out.push(' ');
                out.push_str(&inline(v));
                out.push('\n');
            }
        }
    }
}

fn seq(out: &mut String, a: &[Yaml], indent: usize, inline_first: bool) {
    for (i, item) in a.iter().enumerate() {
        if i > 0 || !inline_first {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        if nonempty(item) {
            match item {
                Yaml::Hash(m) => map(out, m, indent + 2, true),
                Yaml::Array(s) => seq(out, s, indent + 2, true),
                _ => {}
            }
        } else {
            out.push_str(&inline(item));
            out.push('\n');
        }
    }
}

/// A string scalar: plain when SnakeYAML would write it plain, else quoted.
fn string(s: &str) -> String {
    if s.chars().any(|c| !printable(c))
        || s.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
    {
        return double_quoted(s);
    }
    if plain_ok(s) && !resolves_to_other_type(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c > '\u{ffff}'
}

fn double_quoted(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if !printable(c) || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') => {
                o.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// SnakeYAML's `Emitter.analyzeScalar`, block context: may the string be written plain?
fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let c: Vec<char> = s.chars().collect();
    if c[0] == ' ' || c[c.len() - 1] == ' ' {
        return false;
    }
    let blank_at = |i: usize| i >= c.len() || c[i] == ' ' || c[i] == '\t';
    for (i, &ch) in c.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                return false;
            }
            if "?:-".contains(ch) && blank_at(1) {
                return false;
            }
        } else {
            if ch == ':' && blank_at(i + 1) {
                return false;
            }
            if ch == '#' && (c[i - 1] == ' ' || c[i - 1] == '\t') {
                return false;
            }
        }
    }
    true
}

/// SnakeYAML's implicit resolvers (YAML 1.1): would the plain text read back as a boolean,
/// number, null, timestamp, merge key or `=`?
fn resolves_to_other_type(s: &str) -> bool {
    const BOOLS: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ];
    if BOOLS.contains(&s) || matches!(s, "~" | "null" | "Null" | "NULL" | "<<" | "=") {
        return true;
    }
    is_int(s) || is_float(s) || is_timestamp(s)
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

/// `[1-9][0-9_]*(:[0-5]?[0-9])+` (base 60).
fn sexagesimal(s: &str, frac: bool) -> bool {
    let mut parts = s.split(':');
    let Some(head) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return false;
    }
    let head_ok = if frac {
        head.starts_with(|c: char| c.is_ascii_digit())
            && all(head, |c| c.is_ascii_digit() || c == '_')
    } else {
        head.starts_with(|c: char| ('1'..='9').contains(&c))
            && all(head, |c| c.is_ascii_digit() || c == '_')
    };
    let n = rest.len();
    head_ok
        && rest.iter().enumerate().all(|(i, p)| {
            let p = if frac && i == n - 1 {
                match p.split_once('.') {
                    Some((a, b)) if all(b, |c| c.is_ascii_digit() || c == '_') || b.is_empty() => a,
                    _ => return false,
                }
            } else {
                p
            };
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
        && (!frac || rest[n - 1].contains('.'))
}

fn is_int(s: &str) -> bool {
    let u = strip_sign(s);
    if let Some(b) = u.strip_prefix("0b") {
        return all(b, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(x) = u.strip_prefix("0x") {
        return all(x, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if u == "0" {
        return true;
    }
    if let Some(o) = u.strip_prefix('0') {
        return all(o, |c| ('0'..='7').contains(&c) || c == '_');
    }
    if u.starts_with(|c: char| ('1'..='9').contains(&c))
        && all(u, |c| c.is_ascii_digit() || c == '_')
    {
        return true;
    }
    sexagesimal(u, false)
}

fn is_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let u = strip_sign(s);
    if matches!(u, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if sexagesimal(u, true) {
        return true;
    }
    // (\.[0-9]+|[0-9_]+(\.[0-9_]*)?)([eE][-+]?[0-9]+)?
    let (mant, exp) = match u.find(['e', 'E']) {
        Some(i) => (&u[..i], Some(&u[i + 1..])),
        None => (u, None),
    };
    if let Some(e) = exp {
        if !all(strip_sign(e), |c| c.is_ascii_digit()) {
            return false;
        }
    }
    let digits_ = |x: &str| all(x, |c| c.is_ascii_digit() || c == '_');
    match mant.split_once('.') {
        Some(("", f)) => all(f, |c| c.is_ascii_digit()),
        Some((i, f)) => digits_(i) && (f.is_empty() || digits_(f)),
        None => digits_(mant),
    }
}

/// `yyyy-mm-dd`, or a date and time (SnakeYAML's timestamp resolver).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() == 10
        && (0..4).all(d)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
    {
        return true;
    }
    // yyyy-m(m)-d(d)[Tt or blanks]h(h):mm:ss...: anything that starts so is taken as a timestamp.
    if b.len() > 10 && (0..4).all(d) && b[4] == b'-' {
        let rest = &s[5..];
        let mut it = rest.splitn(3, ['-', 'T', 't', ' ', '\t']);
        let m = it.next().unwrap_or("");
        let dd = it.next().unwrap_or("");
        let ok = |x: &str| (1..=2).contains(&x.len()) && all(x, |c| c.is_ascii_digit());
        return ok(m) && ok(dd) && rest.contains(':');
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust2::YamlLoader;

    #[test]
    fn scalars_quoted_as_snakeyaml_quotes_them() {
        for (s, want) in [
            ("RocketMQ", "RocketMQ"),
            ("12345678", "'12345678'"),
            ("*", "'*'"),
            ("10.10.10.*", "10.10.10.*"),
            ("127.0.0.1", "127.0.0.1"),
            ("192.168.1.{1,2}", "192.168.1.{1,2}"),
            ("PUB|SUB", "PUB|SUB"),
            ("topicA=DENY", "topicA=DENY"),
            ("true", "'true'"),
            ("on", "'on'"),
            ("", "''"),
            ("1.5", "'1.5'"),
            ("1e3", "'1e3'"),
            ("0x1F", "'0x1F'"),
            ("2024-01-02", "'2024-01-02'"),
            ("a: b", "'a: b'"),
            ("it's", "it's"),
            ("'q", "'''q'"),
            ("- x", "'- x'"),
            ("-x", "-x"),
            ("a #b", "'a #b'"),
            ("a#b", "a#b"),
            ("null", "'null'"),
            ("1:30", "'1:30'"),
        ] {
            assert_eq!(string(s), want, "{s}");
        }
    }

    #[test]
    fn dump_as_map_layout() {
        let text = "# comment\nglobalWhiteRemoteAddresses:\n  - 10.10.103.*\naccounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    whiteRemoteAddress:\n    admin: false\n    topicPerms:\n      - topicA=DENY\n    groupPerms: []\n    extra:\n      k: v\ndataVersion:\n  - counter: 1\n    timestamp: 1700000000000\n";
        let y = YamlLoader::load_from_str(text).unwrap().remove(0);
        assert_eq!(
            dump(&y),
            "globalWhiteRemoteAddresses:\n- 10.10.103.*\naccounts:\n- accessKey: RocketMQ\n  secretKey: 12345678\n  whiteRemoteAddress: null\n  admin: false\n  topicPerms:\n  - topicA=DENY\n  groupPerms: []\n  extra:\n    k: v\ndataVersion:\n- counter: 1\n  timestamp: 1700000000000\n"
        );
    }
}
