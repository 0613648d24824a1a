//! The parsed expression tree.

/// A constant of the selector (Java `ConstantExpression` / `BooleanConstantExpression`).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// A decimal literal that fits in 32 bits (Java `Integer`).
    Int(i32),
    /// A decimal literal outside the 32-bit range (Java `Long`).
    Long(i64),
    Double(f64),
    Str(String),
}

/// A comparison operator; `<>` is `NOT (=)` and `IS NULL` is `= NULL` without the operand
/// checks, as in Java.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed selector. Build one with [`crate::parse`].
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    Literal(Literal),
    /// A message property, looked up by name.
    Property(String),
    /// Unary minus (a number negated; anything else gives `NULL`).
    Negate(Box<Expression>),
    /// Logical `NOT` (three-valued).
    Not(Box<Expression>),
    /// A property used where a boolean is needed: `NULL` when missing, else false unless the
    /// value is a boolean (message properties are strings, so never).
    BoolCast(Box<Expression>),
    /// `AND` of two or more operands, evaluated left to right (a left-deep chain in Java).
    And(Vec<Expression>),
    /// `OR` of two or more operands, evaluated left to right.
    Or(Vec<Expression>),
    Compare(CompareOp, Box<Expression>, Box<Expression>),
    /// `value [NOT] BETWEEN low AND high`: Java builds `value >= low AND value <= high` (or
    /// `value < low OR value > high`); the value is evaluated once here, which gives the same
    /// result because evaluation has no side effects.
    Between {
        value: Box<Expression>,
        low: Box<Expression>,
        high: Box<Expression>,
        not: bool,
    },
    /// `property [NOT] IN ('a', 'b', ...)`.
    In {
        property: String,
        values: Vec<String>,
        not: bool,
    },
}

impl Expression {
    /// Whether Java would treat the node as a `BooleanExpression`.
    pub(crate) fn is_boolean(&self) -> bool {
        match self {
            Expression::Literal(l) => matches!(l, Literal::Null | Literal::Bool(_)),
            Expression::Property(_) | Expression::Negate(_) => false,
            Expression::Not(_)
            | Expression::BoolCast(_)
            | Expression::And(_)
            | Expression::Or(_)
            | Expression::Compare(..)
            | Expression::Between { .. }
            | Expression::In { .. } => true,
        }
    }
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Bool(true) => f.write_str("TRUE"),
            Literal::Bool(false) => f.write_str("FALSE"),
            Literal::Int(v) => write!(f, "{v}"),
            Literal::Long(v) => write!(f, "{v}"),
            Literal::Double(v) => write!(f, "{v:?}"),
            Literal::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
        }
    }
}

impl std::fmt::Display for CompareOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        })
    }
}

/// A fully parenthesised rendering (for messages and debugging; it parses back to an
/// equivalent expression except for the `BoolCast` wrapper, which prints as its property).
impl std::fmt::Display for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expression::Literal(l) => write!(f, "{l}"),
            Expression::Property(p) => f.write_str(p),
            Expression::Negate(e) => write!(f, "(- {e})"),
            Expression::Not(e) => write!(f, "(NOT {e})"),
            Expression::BoolCast(e) => write!(f, "{e}"),
            Expression::And(v) | Expression::Or(v) => {
                let op = if matches!(self, Expression::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                f.write_str("(")?;
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(op)?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str(")")
            }
            Expression::Compare(CompareOp::Eq, l, r)
                if matches!(**r, Expression::Literal(Literal::Null)) =>
            {
                write!(f, "({l} IS NULL)")
            }
            Expression::Compare(op, l, r) => write!(f, "({l} {op} {r})"),
            Expression::Between {
                value,
                low,
                high,
                not,
            } => {
                let not = if *not { "NOT " } else { "" };
                write!(f, "({value} {not}BETWEEN {low} AND {high})")
            }
            Expression::In {
                property,
                values,
                not,
            } => {
                write!(f, "({property} {}IN (", if *not { "NOT " } else { "" })?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{}'", v.replace('\'', "''"))?;
                }
                f.write_str("))")
            }
        }
    }
}
