//! Evaluation with Java's value types and conversions (`ComparisonExpression.__compare`,
//! `LogicExpression`, `UnaryExpression`).

use crate::ast::{CompareOp, Expression, Literal};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// A value during evaluation: the Java object an expression yields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Java `null`: a missing property or an unknown result.
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    /// A property value or string constant.
    Str(&'a str),
}

/// A failure Java reports by throwing while evaluating; the broker logs it and the message
/// does not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A string that had to become a number is not one (Java `NumberFormatException`).
    #[error("For input string: \"{input}\" (as {target})")]
    NumberFormat { input: String, target: &'static str },
    /// `>`, `>=`, `<`, `<=` on two strings that are not both numbers.
    #[error("It's illegal to compare string by '>=', '>', '<', '<='. lv={left}, rv={right}")]
    StringOrdering { left: String, right: String },
    /// A boolean compared with a string (Java throws `ClassCastException` there), or a
    /// non-boolean where a boolean is needed.
    #[error("class cast: {0}")]
    ClassCast(&'static str),
}

/// Where property values come from (Java `MessageEvaluationContext`: the message's user
/// properties, all strings).
pub trait PropertySource {
    fn property(&self, name: &str) -> Option<&str>;
}

impl<S: BuildHasher> PropertySource for HashMap<String, String, S> {
    fn property(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl PropertySource for BTreeMap<String, String> {
    fn property(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl PropertySource for [(&str, &str)] {
    fn property(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

impl<const N: usize> PropertySource for [(&str, &str); N] {
    fn property(&self, name: &str) -> Option<&str> {
        self.as_slice().property(name)
    }
}

impl<T: PropertySource + ?Sized> PropertySource for &T {
    fn property(&self, name: &str) -> Option<&str> {
        (**self).property(name)
    }
}

impl Literal {
    pub(crate) fn as_value(&self) -> Value<'_> {
        match self {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Long(l) => Value::Long(*l),
            Literal::Double(d) => Value::Double(*d),
            Literal::Str(s) => Value::Str(s),
        }
    }
}

impl Expression {
    /// Evaluates against a message's properties. `Ok(Value::Null)` is SQL's unknown; an error is
    /// what Java throws (the broker then treats the message as not matching).
    pub fn evaluate<'a, P: PropertySource + ?Sized>(
        &'a self,
        props: &'a P,
    ) -> Result<Value<'a>, EvalError> {
        Ok(match self {
            Expression::Literal(l) => l.as_value(),
            Expression::Property(name) => props.property(name).map_or(Value::Null, Value::Str),
            Expression::Negate(e) => match e.evaluate(props)? {
                Value::Int(i) => Value::Int(i.wrapping_neg()),
                Value::Long(l) => Value::Long(l.wrapping_neg()),
                Value::Double(d) => Value::Double(-d),
                _ => Value::Null,
            },
            Expression::Not(e) => match as_bool(e.evaluate(props)?)? {
                None => Value::Null,
                Some(b) => Value::Bool(!b),
            },
            Expression::BoolCast(e) => match e.evaluate(props)? {
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(b),
                _ => Value::Bool(false),
            },
            Expression::And(operands) => logic(operands, props, false)?,
            Expression::Or(operands) => logic(operands, props, true)?,
            Expression::Compare(CompareOp::Eq, l, r) => {
                let lv = l.evaluate(props)?;
                let rv = r.evaluate(props)?;
                match (lv, rv) {
                    (Value::Null, Value::Null) => Value::Bool(true),
                    (Value::Null, _) => Value::Null,
                    (_, Value::Null) => Value::Bool(false),
                    (lv, rv) => Value::Bool(java_compare(&lv, &rv)? == Ordering::Equal),
                }
            }
            Expression::Compare(op, l, r) => ordering(*op, l.evaluate(props)?, r, props)?,
            Expression::Between {
                value,
                low,
                high,
                not,
            } => {
                let v = value.evaluate(props)?;
                if *not {
                    let below = ordering(CompareOp::Lt, v, low, props)?;
                    if below == Value::Bool(true) {
                        return Ok(below);
                    }
                    let above = ordering(CompareOp::Gt, v, high, props)?;
                    combine(as_bool(below)?, as_bool(above)?, true)
                } else {
                    let from = ordering(CompareOp::Ge, v, low, props)?;
                    if from == Value::Bool(false) {
                        return Ok(from);
                    }
                    let to = ordering(CompareOp::Le, v, high, props)?;
                    combine(as_bool(from)?, as_bool(to)?, false)
                }
            }
            Expression::In {
                property,
                values,
                not,
            } => match props.property(property) {
                None => Value::Null,
                Some(v) => Value::Bool(values.iter().any(|x| x == v) ^ not),
            },
        })
    }

    /// Whether a message with these properties passes the filter: only a boolean true result
    /// does (unknown, non-boolean and evaluation errors do not), as in the broker's
    /// `ExpressionMessageFilter`.
    pub fn matches<P: PropertySource + ?Sized>(&self, props: &P) -> bool {
        matches!(self.evaluate(props), Ok(Value::Bool(true)))
    }
}

fn as_bool(v: Value<'_>) -> Result<Option<bool>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        _ => Err(EvalError::ClassCast("a logical operand is not a boolean")),
    }
}

/// Java's binary `AND` / `OR` on the already evaluated left and right operands.
fn combine(l: Option<bool>, r: Option<bool>, or: bool) -> Value<'static> {
    match (l, r) {
        (Some(a), _) if a == or => Value::Bool(or),
        (_, Some(b)) if b == or => Value::Bool(or),
        (Some(_), Some(_)) => Value::Bool(!or),
        _ => Value::Null,
    }
}

/// A left-deep chain of `AND` (or `OR`): stops at the first operand that decides it.
fn logic<'a, P: PropertySource + ?Sized>(
    operands: &'a [Expression],
    props: &'a P,
    or: bool,
) -> Result<Value<'a>, EvalError> {
    let mut acc: Option<bool> = None;
    for (i, e) in operands.iter().enumerate() {
        if acc == Some(or) {
            break;
        }
        let v = as_bool(e.evaluate(props)?)?;
        acc = if i == 0 {
            v
        } else {
            match combine(acc, v, or) {
                Value::Bool(b) => Some(b),
                _ => None,
            }
        };
    }
    Ok(acc.map_or(Value::Null, Value::Bool))
}

/// `>`, `>=`, `<`, `<=` with the left value already evaluated (Java evaluates the right side
/// only when the left is not null).
fn ordering<'a, P: PropertySource + ?Sized>(
    op: CompareOp,
    lv: Value<'a>,
    right: &'a Expression,
    props: &'a P,
) -> Result<Value<'a>, EvalError> {
    if lv == Value::Null {
        return Ok(Value::Null);
    }
    let rv = right.evaluate(props)?;
    if rv == Value::Null {
        return Ok(Value::Null);
    }
    let ord = match (lv, rv) {
        (Value::Str(l), Value::Str(r)) => match (parse_java_double(l), parse_java_double(r)) {
            (Some(a), Some(b)) => java_double_cmp(a, b),
            _ => {
                return Err(EvalError::StringOrdering {
                    left: l.to_string(),
                    right: r.to_string(),
                })
            }
        },
        (lv, rv) => java_compare(&lv, &rv)?,
    };
    Ok(Value::Bool(match op {
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Eq => ord == Ordering::Equal,
    }))
}

/// `Double.compare`: numeric order, then `-0.0 < 0.0` and NaN above everything (equal to NaN).
pub(crate) fn java_double_cmp(a: f64, b: f64) -> Ordering {
    if a < b {
        return Ordering::Less;
    }
    if a > b {
        return Ordering::Greater;
    }
    let bits = |x: f64| -> i64 {
        let raw = if x.is_nan() {
            0x7ff8_0000_0000_0000u64
        } else {
            x.to_bits()
        };
        i64::from_ne_bytes(raw.to_ne_bytes())
    };
    bits(a).cmp(&bits(b))
}

fn number_format(input: &str, target: &'static str) -> EvalError {
    EvalError::NumberFormat {
        input: input.to_string(),
        target,
    }
}

fn to_int(s: &str) -> Result<i32, EvalError> {
    parse_java_long(s)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| number_format(s, "Integer"))
}

fn to_long(s: &str) -> Result<i64, EvalError> {
    parse_java_long(s).ok_or_else(|| number_format(s, "Long"))
}

/// The zero of each run of ten decimal digits (general category Nd) in the Basic Multilingual
/// Plane as of Unicode 6.2 (Java 8's `Character.digit`). Java parses a `String` char by char, so
/// digits outside the BMP (surrogate pairs) are never digits to it.
const DIGIT_ZEROS: [u32; 35] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xAA50, 0xABF0, 0xFF10,
];

/// Java `Character.digit(c, 10)`.
fn java_digit(c: char) -> Option<i64> {
    let c = u32::from(c);
    DIGIT_ZEROS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&c))
        .map(|&zero| i64::from(c - zero))
}

/// Java `Long.parseLong(s)` (and, with a range check, `Integer.parseInt`): an optional `+` or
/// `-`, then at least one decimal digit of any script; no spaces; overflow is an error.
pub(crate) fn parse_java_long(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate negatively, as Java does, so that i64::MIN fits.
    let mut v: i64 = 0;
    for c in digits.chars() {
        v = v.checked_mul(10)?.checked_sub(java_digit(c)?)?;
    }
    if negative {
        Some(v)
    } else {
        v.checked_neg()
    }
}

fn to_double(s: &str) -> Result<f64, EvalError> {
    parse_java_double(s).ok_or_else(|| number_format(s, "Double"))
}

/// Java `ComparisonExpression.__compare` with string conversion on (the parser always turns it
/// on): values of different types are converted towards the wider number, a string towards the
/// other side's type; a boolean against anything else but a string is "less".
pub(crate) fn java_compare(lv: &Value<'_>, rv: &Value<'_>) -> Result<Ordering, EvalError> {
    use Value::*;
    Ok(match (*lv, *rv) {
        (Bool(a), Bool(b)) => a.cmp(&b),
        (Int(a), Int(b)) => a.cmp(&b),
        (Long(a), Long(b)) => a.cmp(&b),
        (Double(a), Double(b)) => java_double_cmp(a, b),
        (Str(a), Str(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        // Java casts the Boolean to String here and throws.
        (Bool(_), Str(_)) => return Err(EvalError::ClassCast("a boolean compared with a string")),
        (Int(a), Long(b)) => i64::from(a).cmp(&b),
        (Int(a), Double(b)) => java_double_cmp(f64::from(a), b),
        (Int(a), Str(b)) => a.cmp(&to_int(b)?),
        (Long(a), Int(b)) => a.cmp(&i64::from(b)),
        (Long(a), Double(b)) => java_double_cmp(a as f64, b),
        (Long(a), Str(b)) => a.cmp(&to_long(b)?),
        (Double(a), Int(b)) => java_double_cmp(a, f64::from(b)),
        (Double(a), Long(b)) => java_double_cmp(a, b as f64),
        (Double(a), Str(b)) => java_double_cmp(a, to_double(b)?),
        (Str(a), Bool(b)) => a.eq_ignore_ascii_case("true").cmp(&b),
        (Str(a), Int(b)) => to_int(a)?.cmp(&b),
        (Str(a), Long(b)) => to_long(a)?.cmp(&b),
        (Str(a), Double(b)) => java_double_cmp(to_double(a)?, b),
        _ => Ordering::Less,
    })
}

/// Java `Double.valueOf(String)`: surrounding characters up to U+0020 are trimmed, then an
/// optional sign and `NaN`, `Infinity`, decimal digits with an optional fraction and exponent,
/// or a hexadecimal float (`0x1.8p3`, binary exponent required); a number may end in one of
/// `f`, `F`, `d`, `D`. `None` is Java's `NumberFormatException`.
pub(crate) fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = match rest {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        _ if rest.starts_with("0x") || rest.starts_with("0X") => parse_hex(&rest[2..]),
        _ => parse_decimal(rest),
    }?;
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_decimal(s: &str) -> Option<f64> {
    let s = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int_len = digits(0);
    let mut i = int_len;
    let mut frac_len = 0;
    if b.get(i) == Some(&b'.') {
        frac_len = digits(i + 1);
        i += 1 + frac_len;
    }
    if int_len == 0 && frac_len == 0 {
        return None;
    }
    let mut exponent = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let n = digits(i);
        if n == 0 {
            return None;
        }
        exponent = exponent_digits(&b[i..i + n]);
        if negative {
            exponent = -exponent;
        }
        i += n;
    }
    if i != b.len() {
        return None;
    }
    let int_part = if int_len == 0 { "0" } else { &s[..int_len] };
    let frac_part = if frac_len == 0 {
        "0"
    } else {
        &s[int_len + 1..int_len + 1 + frac_len]
    };
    format!("{int_part}.{frac_part}e{exponent}").parse().ok()
}

/// Reads decimal exponent digits, saturating far beyond any finite double's range.
fn exponent_digits(digits: &[u8]) -> i64 {
    digits
        .iter()
        .fold(0i64, |e, c| (e * 10 + i64::from(c - b'0')).min(1_000_000))
}

/// The part of a Java hexadecimal float after `0x`: `hex[.hex]` (at least one digit) `p`
/// `[+-]digits` and an optional `fFdD`; correctly rounded (ties to even), like Java.
fn parse_hex(s: &str) -> Option<f64> {
    let s = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    let (mantissa, exp) = s.split_once(['p', 'P'])?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let hex = |t: &str| t.bytes().all(|c| c.is_ascii_hexdigit());
    if (int.is_empty() && frac.is_empty()) || !hex(int) || !hex(frac) {
        return None;
    }
    let (negative, exp_digits) = match exp.as_bytes().first() {
        Some(b'-') => (true, &exp[1..]),
        Some(b'+') => (false, &exp[1..]),
        _ => (false, exp),
    };
    if exp_digits.is_empty() || !exp_digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let p = exponent_digits(exp_digits.as_bytes());
    let p = if negative { -p } else { p };
    // All digits as one integer D times 2^(p - 4 * fraction digits); keep D's first 16
    // significant hex digits in `m` and whether any later digit is non-zero.
    let frac_len = i64::try_from(frac.len()).ok()?;
    let mut m: u64 = 0;
    let mut kept = 0;
    let mut dropped: i64 = 0;
    let mut sticky = false;
    for c in int.bytes().chain(frac.bytes()) {
        let d = u64::from(char::from(c).to_digit(16)?);
        if kept == 0 && d == 0 {
            continue;
        }
        if kept < 16 {
            m = (m << 4) | d;
            kept += 1;
        } else {
            dropped += 1;
            sticky |= d != 0;
        }
    }
    if m == 0 {
        return Some(0.0);
    }
    let e = p - 4 * frac_len + 4 * dropped;
    let nbits = i64::from(64 - m.leading_zeros());
    let lead = e + nbits - 1;
    if lead > 1023 {
        return Some(f64::INFINITY);
    }
    let mut lsb = (lead - 52).max(-1074);
    let shift = lsb - e;
    let mut q: u128 = if shift <= 0 {
        u128::from(m) << u32::try_from(-shift).ok()?
    } else if shift > 100 {
        0
    } else {
        let shift = u32::try_from(shift).ok()?;
        let m = u128::from(m);
        let q = m >> shift;
        let rem = m & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (sticky || q & 1 == 1));
        q + u128::from(up)
    };
    if q == 1u128 << 53 {
        q >>= 1;
        lsb += 1;
    }
    let q = u64::try_from(q).ok()?;
    if q >= 1 << 52 {
        let biased = u64::try_from(lsb + 52 + 1023).ok()?;
        if biased > 2046 {
            return Some(f64::INFINITY);
        }
        Some(f64::from_bits((biased << 52) | (q & ((1 << 52) - 1))))
    } else {
        // Subnormal (lsb is -1074), or zero after rounding.
        Some(f64::from_bits(q))
    }
}
