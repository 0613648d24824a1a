//! Java `.properties` text, the body of UPDATE_NAMESRV_CONFIG and UPDATE_BROKER_CONFIG.

use crate::error::ProtocolError;

/// Parse the text of a Java `.properties` body (UPDATE_NAMESRV_CONFIG, UPDATE_BROKER_CONFIG) the
/// way `java.util.Properties.load` reads it: `#`/`!` comment lines, `=`, `:` or blanks between key
/// and value, a line ending in an odd number of `\\` continuing on the next, and the escapes
/// `\\t \\n \\r \\f \\uXXXX`. Pairs come in text order (collect into a map: the later
/// duplicate wins, as in Java). A malformed `\\uXXXX` is an error, as Java refuses it too.
pub fn parse_properties_text(text: &str) -> Result<Vec<(String, String)>, ProtocolError> {
    let is_blank = |c: char| c == ' ' || c == '\t' || c == '\u{c}';
    let mut pairs = Vec::new();
    let mut logical = String::new();
    let mut continuing = false;
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for natural in text.split('\n') {
        let line = natural.trim_start_matches(is_blank);
        if !continuing && (line.is_empty() || line.starts_with(['#', '!'])) {
            continue;
        }
        let trailing = line.chars().rev().take_while(|&c| c == '\\').count();
        continuing = trailing % 2 == 1;
        logical.push_str(if continuing {
            &line[..line.len() - 1]
        } else {
            line
        });
        if !continuing {
            pairs.push(split_property_line(&std::mem::take(&mut logical))?);
        }
    }
    if !logical.is_empty() {
        pairs.push(split_property_line(&logical)?);
    }
    Ok(pairs)
}

/// One logical line into (key, value), unescaped.
fn split_property_line(line: &str) -> Result<(String, String), ProtocolError> {
    let is_blank = |c: char| c == ' ' || c == '\t' || c == '\u{c}';
    let mut escaped = false;
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_sep = false;
    for (i, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':' || is_blank(c)) {
            key_end = i;
            value_start = i + c.len_utf8();
            has_sep = !is_blank(c);
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let mut rest = &line[value_start..];
    loop {
        rest = rest.trim_start_matches(is_blank);
        match rest.chars().next() {
            Some(c @ ('=' | ':')) if !has_sep => {
                has_sep = true;
                rest = &rest[c.len_utf8()..];
            }
            _ => break,
        }
    }
    Ok((
        unescape_property(&line[..key_end])?,
        unescape_property(rest)?,
    ))
}

fn unescape_property(s: &str) -> Result<String, ProtocolError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or_else(|| ProtocolError::BadBody("Malformed \\uxxxx encoding.".into()))?;
                // A lone surrogate half cannot be a Rust char; Java keeps it, we substitute.
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}
