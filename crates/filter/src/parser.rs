//! Recursive descent over the 4.9.3 grammar, with the checks Java's expression factories make
//! while the tree is built.
//!
//! Precedence, loosest first: `OR`, `AND`, the equality level (`=`, `<>`, `IS [NOT] NULL`), the
//! comparison level (`>`, `>=`, `<`, `<=`, `[NOT] BETWEEN`, `[NOT] IN`), then the unary
//! operators (`+`, `-`, `NOT`) and the primaries (literal, property, parenthesised expression).
//! Each level loops left to right. The top rule does not require the end of input.

use crate::ast::{CompareOp, Expression, Literal};
use crate::eval::{java_compare, parse_java_double};
use crate::lexer::{lex, Tok, Token};
use crate::{FilterError, MAX_DEPTH, MAX_NESTING};
use std::cmp::Ordering;

/// An expression with the height of its tree.
type Node = (Expression, usize);

pub(crate) struct Parser {
    tokens: Vec<Token>,
    /// Lexical error after the last token, if any.
    lex_error: Option<FilterError>,
    eof: Token,
    pos: usize,
    depth: usize,
}

fn invalid(at: &Token, message: String) -> FilterError {
    FilterError::Invalid {
        line: at.line,
        column: at.column,
        message,
    }
}

/// A syntax error at `at`; [`Parser::parse`] replaces its message with Java's.
fn syntax(at: &Token) -> FilterError {
    let found = at.tok.image();
    FilterError::Syntax {
        line: at.line,
        column: at.column,
        message: format!(
            "Encountered \"{found}\" at line {}, column {}.",
            at.line, at.column
        ),
        found,
    }
}

/// Java `asBooleanExpression`: boolean nodes pass, a bare property is cast, the rest fail.
fn as_boolean(node: Node, at: &Token) -> Result<Node, FilterError> {
    let (e, h) = node;
    if e.is_boolean() {
        Ok((e, h))
    } else if matches!(e, Expression::Property(_)) {
        Ok((Expression::BoolCast(Box::new(e)), h + 1))
    } else {
        Err(not_boolean(&e, at))
    }
}

// The messages are built out of line: `format!` in the recursive functions would make their
// stack frames (unoptimised builds keep every temporary) several times larger.
#[cold]
#[inline(never)]
fn not_boolean(e: &Expression, at: &Token) -> FilterError {
    invalid(
        at,
        format!("Expression will not result in a boolean value: {e}"),
    )
}

#[cold]
#[inline(never)]
fn cannot_compare(e: &Expression, at: &Token) -> FilterError {
    invalid(at, format!("Value '{e}' cannot be compared."))
}

#[cold]
#[inline(never)]
fn incompatible(l: &Expression, r: &Expression, at: &Token) -> FilterError {
    invalid(at, format!("'{l}' cannot be compared with '{r}'"))
}

#[cold]
#[inline(never)]
fn in_needs_property(e: &Expression, at: &Token) -> FilterError {
    invalid(
        at,
        format!("Expected a property for In expression, got: {e}"),
    )
}

#[cold]
#[inline(never)]
fn too_deep(at: &Token, max: usize) -> FilterError {
    FilterError::TooDeep {
        line: at.line,
        column: at.column,
        max,
    }
}

/// Java `checkLessThanOperand`: number constants and non-boolean expressions only.
fn check_ordering_operand(e: &Expression, at: &Token) -> Result<(), FilterError> {
    let bad = match e {
        Expression::Literal(l) => {
            !matches!(l, Literal::Int(_) | Literal::Long(_) | Literal::Double(_))
        }
        e => e.is_boolean(),
    };
    if bad {
        return Err(cannot_compare(e, at));
    }
    Ok(())
}

/// Java `checkEqualOperand`: no `NULL` constant.
fn check_equal_operand(e: &Expression, at: &Token) -> Result<(), FilterError> {
    if matches!(e, Expression::Literal(Literal::Null)) {
        return Err(cannot_compare(e, at));
    }
    Ok(())
}

fn boxed(e: Expression) -> Box<Expression> {
    Box::new(e)
}

impl Parser {
    pub(crate) fn new(src: &str) -> Parser {
        let lexed = lex(src);
        let (lex_error, (line, column)) = match lexed.end {
            Ok(pos) => (None, pos),
            Err(e) => (Some(e), (0, 0)),
        };
        Parser {
            tokens: lexed.tokens,
            lex_error,
            eof: Token {
                tok: Tok::Eof,
                image: String::new(),
                line,
                column,
            },
            pos: 0,
            depth: 0,
        }
    }

    /// The token `k` places ahead; reaching a lexical error is the error.
    fn peek(&self, k: usize) -> Result<&Token, FilterError> {
        match self.tokens.get(self.pos + k) {
            Some(t) => Ok(t),
            None => match &self.lex_error {
                Some(e) => Err(e.clone()),
                None => Ok(&self.eof),
            },
        }
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        let t = self.peek(0)?.clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        Ok(t)
    }

    fn expect(&mut self, want: &Tok) -> Result<Token, FilterError> {
        let t = self.peek(0)?;
        if std::mem::discriminant(&t.tok) != std::mem::discriminant(want) {
            return Err(syntax(t));
        }
        self.next()
    }

    fn height(h: usize, at: &Token) -> Result<usize, FilterError> {
        if h > MAX_DEPTH {
            return Err(too_deep(at, MAX_DEPTH));
        }
        Ok(h)
    }

    pub(crate) fn parse(mut self) -> Result<Expression, FilterError> {
        match self.parse_selector() {
            Err(FilterError::Syntax { .. }) => Err(self.java_syntax_error()),
            r => r,
        }
    }

    /// Java's `ParseException` for the syntax error found: the generated parser's port says
    /// where Java stops (it can be earlier than here, at a `+` whose operand does not scan)
    /// and what it expected there.
    #[cold]
    #[inline(never)]
    fn java_syntax_error(&self) -> FilterError {
        let found =
            crate::javacc::java_parse_error(&self.tokens, self.lex_error.is_some(), &self.eof);
        let Some(j) = found else {
            // Not expected: the port agrees with this parser on what is a syntax error.
            return syntax(self.peek(0).unwrap_or(&self.eof));
        };
        let at = self.tokens.get(j.token).unwrap_or(&self.eof);
        FilterError::Syntax {
            line: at.line,
            column: at.column,
            found: if at.tok == Tok::Eof {
                "<EOF>".into()
            } else {
                at.image.clone()
            },
            message: j.message,
        }
    }

    fn parse_selector(&mut self) -> Result<Expression, FilterError> {
        let start = self.peek(0)?.clone();
        let node = self.or_expr()?;
        Ok(as_boolean(node, &start)?.0)
    }

    fn or_expr(&mut self) -> Result<Node, FilterError> {
        self.logic_chain(true)
    }

    /// `operand (OP operand)*` for OR (operands: AND chains) or AND (operands: equality level).
    fn logic_chain(&mut self, or: bool) -> Result<Node, FilterError> {
        let first = if or {
            self.logic_chain(false)?
        } else {
            self.equality_expr()?
        };
        let op = if or { Tok::Or } else { Tok::And };
        if self.peek(0)?.tok != op {
            return Ok(first);
        }
        let mut operands = Vec::new();
        let mut height = 0;
        let mut first = Some(first);
        while self.peek(0)?.tok == op {
            let at = self.next()?;
            let right = if or {
                self.logic_chain(false)?
            } else {
                self.equality_expr()?
            };
            if let Some(left) = first.take() {
                let (l, lh) = as_boolean(left, &at)?;
                height = height.max(lh + 1);
                operands.push(l);
            }
            let (r, rh) = as_boolean(right, &at)?;
            height = Self::height(height.max(rh + 1), &at)?;
            operands.push(r);
        }
        let e = if or {
            Expression::Or(operands)
        } else {
            Expression::And(operands)
        };
        Ok((e, height))
    }

    fn equality_expr(&mut self) -> Result<Node, FilterError> {
        let (mut left, mut h) = self.comparison_expr()?;
        loop {
            let at = self.peek(0)?.clone();
            match at.tok {
                Tok::Eq | Tok::Ne => {
                    self.next()?;
                    let (right, rh) = self.comparison_expr()?;
                    check_equal_operand(&left, &at)?;
                    check_equal_operand(&right, &at)?;
                    if matches!(left, Expression::Literal(_))
                        && matches!(right, Expression::Literal(_))
                        && left.is_boolean()
                        && !right.is_boolean()
                    {
                        return Err(incompatible(&left, &right, &at));
                    }
                    let eq = Expression::Compare(CompareOp::Eq, boxed(left), boxed(right));
                    h = h.max(rh) + 1;
                    left = if at.tok == Tok::Ne {
                        h += 1;
                        Expression::Not(boxed(eq))
                    } else {
                        eq
                    };
                }
                Tok::Is => {
                    let not = self.peek(1)?.tok != Tok::Null;
                    self.next()?;
                    if not {
                        self.expect(&Tok::Not)?;
                    }
                    self.expect(&Tok::Null)?;
                    let null = boxed(Expression::Literal(Literal::Null));
                    let is_null = Expression::Compare(CompareOp::Eq, boxed(left), null);
                    h += 1;
                    left = if not {
                        h += 1;
                        Expression::Not(boxed(is_null))
                    } else {
                        is_null
                    };
                }
                _ => return Ok((left, h)),
            }
            h = Self::height(h, &at)?;
        }
    }

    fn comparison_expr(&mut self) -> Result<Node, FilterError> {
        let (mut left, mut h) = self.unary_expr()?;
        loop {
            let at = self.peek(0)?.clone();
            let op = match at.tok {
                Tok::Gt => Some(CompareOp::Gt),
                Tok::Ge => Some(CompareOp::Ge),
                Tok::Lt => Some(CompareOp::Lt),
                Tok::Le => Some(CompareOp::Le),
                _ => None,
            };
            if let Some(op) = op {
                self.next()?;
                let (right, rh) = self.unary_expr()?;
                check_ordering_operand(&left, &at)?;
                check_ordering_operand(&right, &at)?;
                left = Expression::Compare(op, boxed(left), boxed(right));
                h = Self::height(h.max(rh) + 1, &at)?;
                continue;
            }
            let not = match at.tok {
                Tok::Between | Tok::In => false,
                Tok::Not => match self.peek(1)?.tok {
                    Tok::Between | Tok::In => true,
                    _ => return Err(syntax(&at)),
                },
                _ => return Ok((left, h)),
            };
            if not {
                self.next()?;
            }
            let kw = self.next()?;
            if kw.tok == Tok::Between {
                let (low, lh) = self.unary_expr()?;
                self.expect(&Tok::And)?;
                let (high, hh) = self.unary_expr()?;
                if !not {
                    check_between_constants(&low, &high, &kw)?;
                }
                check_ordering_operand(&left, &kw)?;
                check_ordering_operand(&low, &kw)?;
                check_ordering_operand(&high, &kw)?;
                left = Expression::Between {
                    value: boxed(left),
                    low: boxed(low),
                    high: boxed(high),
                    not,
                };
                h = Self::height(h.max(lh).max(hh) + 2, &kw)?;
            } else {
                self.expect(&Tok::LParen)?;
                let mut values = vec![self.string_literal()?];
                while self.peek(0)?.tok == Tok::Comma {
                    self.next()?;
                    values.push(self.string_literal()?);
                }
                self.expect(&Tok::RParen)?;
                let Expression::Property(property) = left else {
                    return Err(in_needs_property(&left, &kw));
                };
                left = Expression::In {
                    property,
                    values,
                    not,
                };
                h = 1;
            }
        }
    }

    fn string_literal(&mut self) -> Result<String, FilterError> {
        let t = self.next_if_string()?;
        Ok(t)
    }

    fn next_if_string(&mut self) -> Result<String, FilterError> {
        let t = self.peek(0)?;
        match &t.tok {
            Tok::Str(s) => {
                let s = s.clone();
                self.next()?;
                Ok(s)
            }
            _ => Err(syntax(t)),
        }
    }

    fn unary_expr(&mut self) -> Result<Node, FilterError> {
        let at = self.peek(0)?.clone();
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(too_deep(&at, MAX_NESTING));
        }
        let r = match at.tok {
            Tok::Plus => self.next().and_then(|_| self.unary_expr()),
            Tok::Minus => self
                .next()
                .and_then(|_| self.unary_expr())
                .and_then(|(e, h)| Ok((Expression::Negate(boxed(e)), Self::height(h + 1, &at)?))),
            Tok::Not => self
                .next()
                .and_then(|_| self.unary_expr())
                .and_then(|inner| as_boolean(inner, &at))
                .and_then(|(e, h)| Ok((Expression::Not(boxed(e)), Self::height(h + 1, &at)?))),
            Tok::LParen => self.next().and_then(|_| self.or_expr()).and_then(|inner| {
                self.expect(&Tok::RParen)?;
                Ok(inner)
            }),
            _ => self.primary_expr(&at),
        };
        self.depth -= 1;
        r
    }

    fn primary_expr(&mut self, at: &Token) -> Result<Node, FilterError> {
        let lit = match &at.tok {
            Tok::Id(name) => Expression::Property(name.clone()),
            Tok::Str(s) => Expression::Literal(Literal::Str(s.clone())),
            Tok::True => Expression::Literal(Literal::Bool(true)),
            Tok::False => Expression::Literal(Literal::Bool(false)),
            Tok::Null => Expression::Literal(Literal::Null),
            Tok::Decimal(image) => Expression::Literal(decimal_literal(image, at)?),
            Tok::Float(image) => Expression::Literal(float_literal(image, at)?),
            _ => return Err(syntax(at)),
        };
        self.next()?;
        Ok((lit, 1))
    }
}

/// Java `createFromDecimal`: an optional `l`/`L` suffix, `Long` range, `Integer` when it fits.
fn decimal_literal(image: &str, at: &Token) -> Result<Literal, FilterError> {
    let digits = image.strip_suffix(['l', 'L']).unwrap_or(image);
    let v: i64 = digits.parse().map_err(|_| {
        invalid(
            at,
            format!("For input string: \"{digits}\" (out of the Long range)"),
        )
    })?;
    Ok(match i32::try_from(v) {
        Ok(i) => Literal::Int(i),
        Err(_) => Literal::Long(v),
    })
}

/// Java `createFloat`: rejects a value that overflows to infinity or rounds to zero (Java
/// compares with `Double.MIN_VALUE`, the smallest positive double, so `0.0` is refused too).
fn float_literal(image: &str, at: &Token) -> Result<Literal, FilterError> {
    let v = parse_java_double(image)
        .ok_or_else(|| invalid(at, format!("For input string: \"{image}\"")))?;
    if v > f64::MAX {
        return Err(invalid(
            at,
            format!("{image} is greater than {:e}", f64::MAX),
        ));
    }
    if v < f64::from_bits(1) {
        return Err(invalid(at, format!("{image} is less than 4.9E-324")));
    }
    Ok(Literal::Double(v))
}

/// Java `createBetween`'s check on two constant bounds: neither may be `NULL` and the upper
/// bound may not compare below the lower one.
fn check_between_constants(
    low: &Expression,
    high: &Expression,
    at: &Token,
) -> Result<(), FilterError> {
    let (Expression::Literal(lo), Expression::Literal(hi)) = (low, high) else {
        return Ok(());
    };
    if matches!(lo, Literal::Null) || matches!(hi, Literal::Null) {
        return Err(invalid(
            at,
            "Illegal values of between, values can not be null!".into(),
        ));
    }
    let ord = java_compare(&hi.as_value(), &lo.as_value())
        .map_err(|e| invalid(at, format!("Illegal values of between: {e}")))?;
    if ord == Ordering::Less {
        return Err(invalid(
            at,
            format!(
                "Illegal values of between, left value({lo}) must less than or equal to right value({hi})"
            ),
        ));
    }
    Ok(())
}
