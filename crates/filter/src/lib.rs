//! RocketMQ 4.9.3 SQL92 message filter, without any I/O.
//!
//! A consumer that subscribes with `MessageSelector.bySql("...")` (expression type `SQL92`)
//! asks the broker to deliver only the messages whose user properties make the expression true.
//! In Apache RocketMQ this lives in the `rocketmq-filter` module (a JavaCC grammar,
//! `SelectorParser.jj`, building `ComparisonExpression` / `LogicExpression` /
//! `UnaryExpression` trees) and is applied by the broker's `ExpressionMessageFilter` to a
//! `MessageEvaluationContext` that exposes the message properties as strings. See
//! <https://rocketmq.apache.org/docs/4.x/> ("Filter" / "SQL92 filtering").
//!
//! This crate reproduces the 4.9.3 behaviour:
//!
//! * Operators: `AND`, `OR`, `NOT`, `=`, `<>`, `>`, `>=`, `<`, `<=`, `BETWEEN .. AND ..`,
//!   `NOT BETWEEN`, `IN ('..', ..)`, `NOT IN`, `IS NULL`, `IS NOT NULL`, unary `+` / `-`.
//!   There is no `LIKE`, `CONTAINS`, `STARTSWITH`, `ENDSWITH`, no binary arithmetic and no hex or
//!   octal literals in 4.9.3. Keywords are case-insensitive; identifiers are ASCII
//!   (`[A-Za-z_$][A-Za-z0-9_$]*`).
//! * `NOT` binds tighter than the comparisons (it is a unary operator in the grammar), so
//!   `NOT a = 1` means `(NOT a) = 1`; write `NOT (a = 1)`.
//! * Literals: `'text'` (a doubled `''` is one quote), integers (`Integer` when they fit in 32
//!   bits, else `Long`; an optional `L` suffix; out of `i64` range is a parse error), floating
//!   point (`1.5`, `1.`, `.5`, `1e3`; a literal that rounds to zero such as `0.0` or to infinity is
//!   a parse error, as in Java), `TRUE`, `FALSE`, `NULL`.
//! * Property values are strings. Comparing a string with a number converts the string (a failed
//!   conversion is an evaluation error, which makes the whole message not match); `<`, `>`, ... on
//!   two strings compare them as doubles. A missing property makes comparisons unknown (`NULL`),
//!   `AND` / `OR` / `NOT` use three-valued logic, and a message matches only when the result is
//!   exactly boolean true.
//! * Like Java's parser, anything after a complete expression is not read (only the next token
//!   is looked at), so `a = 1 b` is accepted and means `a = 1`.
//!
//! ```
//! use std::collections::HashMap;
//! let expr = rocklet_filter::parse("a > 5 AND b IN ('x', 'y')").unwrap();
//! let props: HashMap<String, String> =
//!     [("a".to_string(), "7".to_string()), ("b".to_string(), "x".to_string())].into();
//! assert!(expr.matches(&props));
//! ```
#![forbid(unsafe_code)]

mod ast;
mod eval;
mod javacc;
mod lexer;
mod parser;

pub use ast::{CompareOp, Expression, Literal};
pub use eval::{EvalError, PropertySource, Value};

/// Longest expression (in bytes) [`parse`] accepts.
pub const MAX_EXPRESSION_LEN: usize = 64 * 1024;

/// Most parentheses and unary operators (`NOT`, `-`, `+`) [`parse`] accepts nested in one
/// another; it bounds the parser's recursion.
pub const MAX_NESTING: usize = 32;

/// Tallest expression tree [`parse`] accepts (chained comparisons such as `a IS NULL IS NULL`
/// grow it without nesting); it bounds the recursion of evaluation, `Display`, `Clone` and drop.
pub const MAX_DEPTH: usize = 200;

/// Why an expression was rejected. Java reports all of these as `MQFilterException`
/// ("Invalid MessageSelector.") wrapping a `ParseException`, `TokenMgrError` or
/// `RuntimeException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A character that starts no token (Java: `TokenMgrError`). `line` and `column` are where
    /// that character is; `message` is the text of Java's `TokenMgrError.getMessage()`, whose
    /// own position differs at the end of input (JavaCC then reports one column further on).
    #[error("{message}")]
    Lexical {
        line: u32,
        column: u32,
        found: String,
        message: String,
    },
    /// A token the grammar does not allow there (Java: `ParseException`). `found` is the
    /// token as written (`<EOF>` at the end); `message` is the text of Java's
    /// `ParseException.getMessage()`: `Encountered " "AND" "AND "" at line 1, column 5.`, then
    /// `Was expecting one of:` and the expected tokens, one per line, indented by four spaces
    /// and followed by ` ...` (with Linux's `"\n"` line ends and a trailing `"\n    "`).
    #[error("{message}")]
    Syntax {
        line: u32,
        column: u32,
        found: String,
        message: String,
    },
    /// A well-formed expression the Java factories refuse (comparing a string constant with
    /// `>`, `= NULL`, `IN` on a non-property, an out-of-range number, a non-boolean result ...).
    #[error("{message} (at line {line}, column {column})")]
    Invalid {
        line: u32,
        column: u32,
        message: String,
    },
    /// The expression is longer than [`MAX_EXPRESSION_LEN`].
    #[error("expression is {len} bytes long, the limit is {max}")]
    TooLong { len: usize, max: usize },
    /// The expression nests deeper than [`MAX_NESTING`] or its tree is taller than
    /// [`MAX_DEPTH`].
    #[error("expression nests deeper than {max} at line {line}, column {column}")]
    TooDeep { line: u32, column: u32, max: usize },
}

/// Parses a SQL92 selector the way RocketMQ 4.9.3's `SelectorParser.parse` does.
pub fn parse(expr: &str) -> Result<Expression, FilterError> {
    if expr.len() > MAX_EXPRESSION_LEN {
        return Err(FilterError::TooLong {
            len: expr.len(),
            max: MAX_EXPRESSION_LEN,
        });
    }
    parser::Parser::new(expr).parse()
}

#[cfg(test)]
mod tests;
