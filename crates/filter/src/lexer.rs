//! Tokens of the 4.9.3 selector grammar (longest match, keywords before identifiers, as the
//! JavaCC token manager does).

use crate::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    /// Image of a decimal literal (digits, maybe an `l`/`L` suffix).
    Decimal(String),
    /// Image of a floating point literal.
    Float(String),
    /// A string literal, already unescaped.
    Str(String),
    Id(String),
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Eof,
}

impl Tok {
    /// How a syntax error names the token.
    pub(crate) fn image(&self) -> String {
        match self {
            Tok::Not => "NOT".into(),
            Tok::And => "AND".into(),
            Tok::Or => "OR".into(),
            Tok::Between => "BETWEEN".into(),
            Tok::In => "IN".into(),
            Tok::True => "TRUE".into(),
            Tok::False => "FALSE".into(),
            Tok::Null => "NULL".into(),
            Tok::Is => "IS".into(),
            Tok::Decimal(s) | Tok::Float(s) | Tok::Id(s) => s.clone(),
            Tok::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Tok::Eq => "=".into(),
            Tok::Ne => "<>".into(),
            Tok::Gt => ">".into(),
            Tok::Ge => ">=".into(),
            Tok::Lt => "<".into(),
            Tok::Le => "<=".into(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Eof => "<EOF>".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// The token's text as written (Java's `Token.image`).
    pub image: String,
    pub line: u32,
    pub column: u32,
}

/// Every token of `src` up to the first lexical error. Java's token manager is lazy: a bad
/// character is only an error when the parser asks for that token, so the error is kept
/// separately and reported by the parser when it reaches it.
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    /// The lexical error after the last token, or the end-of-input token's position.
    pub end: Result<(u32, u32), FilterError>,
}

struct Cursor {
    chars: Vec<char>,
    pos: usize,
    line: u32,
    column: u32,
    /// Where Java puts the last character read (0, 0 before any): its end-of-input token is
    /// reported there.
    last: (u32, u32),
}

impl Cursor {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    /// Advances over `n` characters, keeping Java's line and column (columns count UTF-16
    /// units, tabs stop every 8 columns; `\r`, `\n` and `\r\n` end a line).
    fn bump(&mut self, n: usize) {
        for _ in 0..n {
            let Some(c) = self.chars.get(self.pos).copied() else {
                return;
            };
            self.pos += 1;
            if c == '\n' || c == '\r' {
                self.last = (self.line, self.column);
            }
            match c {
                '\n' => {
                    self.line = self.line.saturating_add(1);
                    self.column = 1;
                }
                '\r' => {
                    if self.peek(0) != Some('\n') {
                        self.line = self.line.saturating_add(1);
                        self.column = 1;
                    } else {
                        self.column = self.column.saturating_add(1);
                    }
                }
                '\t' => {
                    // JavaCC's SimpleCharStream: tab stops every 8 columns.
                    let at = self.column.saturating_sub(1);
                    self.column = (at + 8 - at % 8).saturating_add(1);
                }
                c => {
                    self.column = self
                        .column
                        .saturating_add(u32::try_from(c.len_utf16()).unwrap_or(1));
                }
            }
            if c != '\n' && c != '\r' {
                // A tab's column is its tab stop; a surrogate pair's, its second unit's.
                self.last = (self.line, self.column.saturating_sub(1));
            }
        }
    }

    /// `TokenMgrError`'s text for a character that starts no token. JavaCC reads one more
    /// character to build it: at the end of input it reports `<EOF>` one column further on.
    fn bad_char(&self) -> String {
        let c = self.peek(0).unwrap_or(' ');
        if self.peek(1).is_none() && c.len_utf16() == 1 {
            return format!(
                "Lexical error at line {}, column {}.  Encountered: <EOF> after : \"\"",
                self.line,
                self.column.saturating_add(1)
            );
        }
        let unit = c.encode_utf16(&mut [0; 2])[0];
        let shown = String::from_utf16_lossy(&[unit]);
        format!(
            "Lexical error at line {}, column {}.  Encountered: \"{}\" ({unit}), after : \"\"",
            self.line,
            self.column,
            crate::javacc::add_escapes(&shown)
        )
    }

    /// `TokenMgrError`'s text for a string or block comment that is never closed: JavaCC reads
    /// to the end of input and reports what it read, one column after its last character (at
    /// column 0 of the next line when that is a line end).
    fn unterminated(&self) -> String {
        let rest: String = self.chars[self.pos..].iter().collect();
        let mut end = Cursor {
            chars: self.chars[self.pos..].to_vec(),
            pos: 0,
            line: self.line,
            column: self.column,
            last: self.last,
        };
        let n = end.chars.len();
        end.bump(n.saturating_sub(1));
        let (line, column) = match end.peek(0) {
            Some('\n' | '\r') => (end.line.saturating_add(1), 0),
            _ => {
                end.bump(1);
                (end.line, end.column)
            }
        };
        format!(
            "Lexical error at line {line}, column {column}.  Encountered: <EOF> after : \"{}\"",
            crate::javacc::add_escapes(&rest)
        )
    }

    fn count_digits(&self, from: usize) -> usize {
        let mut n = 0;
        while self.peek(from + n).is_some_and(|c| c.is_ascii_digit()) {
            n += 1;
        }
        n
    }

    /// Length of an exponent (`E [+-] digits`) starting at offset `from`, or 0.
    fn exponent(&self, from: usize) -> usize {
        if !matches!(self.peek(from), Some('e' | 'E')) {
            return 0;
        }
        let sign = usize::from(matches!(self.peek(from + 1), Some('+' | '-')));
        let digits = self.count_digits(from + 1 + sign);
        if digits == 0 {
            0
        } else {
            1 + sign + digits
        }
    }

    /// Longest decimal and floating point literal at the cursor: (decimal len, float len).
    fn number_lengths(&self) -> (usize, usize) {
        let int_digits = self.count_digits(0);
        let decimal = match self.peek(0) {
            Some('0') => 1,
            Some('1'..='9') => {
                int_digits + usize::from(matches!(self.peek(int_digits), Some('l' | 'L')))
            }
            _ => 0,
        };
        let mut float = 0;
        if int_digits > 0 {
            if self.peek(int_digits) == Some('.') {
                let frac = self.count_digits(int_digits + 1);
                let end = int_digits + 1 + frac;
                float = end + self.exponent(end);
            } else {
                let e = self.exponent(int_digits);
                if e > 0 {
                    float = int_digits + e;
                }
            }
        } else if self.peek(0) == Some('.') {
            let frac = self.count_digits(1);
            if frac > 0 {
                float = 1 + frac + self.exponent(1 + frac);
            }
        }
        (decimal, float)
    }
}

fn is_id_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_id_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

fn keyword(word: &str) -> Option<Tok> {
    let k = match word.to_ascii_uppercase().as_str() {
        "NOT" => Tok::Not,
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "BETWEEN" => Tok::Between,
        "IN" => Tok::In,
        "TRUE" => Tok::True,
        "FALSE" => Tok::False,
        "NULL" => Tok::Null,
        "IS" => Tok::Is,
        _ => return None,
    };
    Some(k)
}

pub(crate) fn lex(src: &str) -> Lexed {
    let mut cur = Cursor {
        chars: src.chars().collect(),
        pos: 0,
        line: 1,
        column: 1,
        last: (0, 0),
    };
    let mut tokens = Vec::new();
    loop {
        // Whitespace and comments.
        match (cur.peek(0), cur.peek(1)) {
            (Some(' ' | '\t' | '\n' | '\r' | '\u{c}'), _) => {
                cur.bump(1);
                continue;
            }
            (Some('-'), Some('-')) => {
                // A line comment needs its line end; without one, `--` is two minus signs.
                let mut n = 2;
                while let Some(c) = cur.peek(n) {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                    n += 1;
                }
                if let Some(end) = cur.peek(n) {
                    n += 1;
                    if end == '\r' && cur.peek(n) == Some('\n') {
                        n += 1;
                    }
                    cur.bump(n);
                    continue;
                }
            }
            (Some('/'), Some('*')) => {
                let mut n = 2;
                let mut closed = false;
                while let Some(c) = cur.peek(n) {
                    n += 1;
                    if c == '*' && cur.peek(n) == Some('/') {
                        n += 1;
                        closed = true;
                        break;
                    }
                }
                if closed {
                    cur.bump(n);
                    continue;
                }
            }
            _ => {}
        }
        let (line, column) = (cur.line, cur.column);
        let Some(c) = cur.peek(0) else {
            return Lexed {
                tokens,
                end: Ok(cur.last),
            };
        };
        let (tok, len) = match c {
            '=' => (Tok::Eq, 1),
            '<' => match cur.peek(1) {
                Some('>') => (Tok::Ne, 2),
                Some('=') => (Tok::Le, 2),
                _ => (Tok::Lt, 1),
            },
            '>' => match cur.peek(1) {
                Some('=') => (Tok::Ge, 2),
                _ => (Tok::Gt, 1),
            },
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '\'' => {
                let mut value = String::new();
                let mut n = 1;
                let mut closed = false;
                while let Some(ch) = cur.peek(n) {
                    if ch == '\'' {
                        if cur.peek(n + 1) == Some('\'') {
                            value.push('\'');
                            n += 2;
                            continue;
                        }
                        n += 1;
                        closed = true;
                        break;
                    }
                    value.push(ch);
                    n += 1;
                }
                if !closed {
                    return lexical_error(tokens, line, column, c, cur.unterminated());
                }
                (Tok::Str(value), n)
            }
            c if c.is_ascii_digit() || c == '.' => {
                let (decimal, float) = cur.number_lengths();
                if decimal == 0 && float == 0 {
                    return lexical_error(tokens, line, column, c, cur.bad_char());
                }
                let text = |n: usize| cur.chars[cur.pos..cur.pos + n].iter().collect::<String>();
                if float > decimal {
                    (Tok::Float(text(float)), float)
                } else {
                    (Tok::Decimal(text(decimal)), decimal)
                }
            }
            c if is_id_start(c) => {
                let mut n = 1;
                while cur.peek(n).is_some_and(is_id_part) {
                    n += 1;
                }
                let word: String = cur.chars[cur.pos..cur.pos + n].iter().collect();
                (keyword(&word).unwrap_or(Tok::Id(word)), n)
            }
            // An unclosed `/*` comment reads to the end like an unclosed string.
            '/' if cur.peek(1) == Some('*') => {
                return lexical_error(tokens, line, column, c, cur.unterminated())
            }
            c => return lexical_error(tokens, line, column, c, cur.bad_char()),
        };
        let image = cur.chars[cur.pos..cur.pos + len].iter().collect();
        cur.bump(len);
        tokens.push(Token {
            tok,
            image,
            line,
            column,
        });
    }
}

fn lexical_error(tokens: Vec<Token>, line: u32, column: u32, c: char, message: String) -> Lexed {
    Lexed {
        tokens,
        end: Err(FilterError::Lexical {
            line,
            column,
            found: c.to_string(),
            message,
        }),
    }
}
