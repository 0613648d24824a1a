//! The text of the `ParseException` that RocketMQ 4.9.3's JavaCC-generated `SelectorParser`
//! throws on a syntax error.
//!
//! Which tokens JavaCC lists after "Was expecting one of:" depends on its bookkeeping, not only
//! on the grammar: the choice points passed since the last consumed token (`jj_la1`), the kind a
//! failed `jj_consume_token` wanted, and the re-run of the syntactic lookaheads (`jj_rescan_token`,
//! which, in the JavaCC 5 code RocketMQ ships, only ever re-adds sequences that are already listed,
//! so duplicates can appear and a lookahead-only token such as `"+"` never does). Rather than
//! tabulating states, this module is a line-by-line port of the generated recogniser
//! (`SelectorParser.java`, without the semantic actions): the same choice points, the same
//! `jj_la1` masks, the same `jj_2_*` / `jj_3*` scanning order, `jj_save` and the rescan. It runs
//! only after [`crate::parser`] has found a syntax error, and also decides where the error is
//! (Java fails at a `+` whose operand does not scan, before reading that operand).

use crate::lexer::{Tok, Token};

const EOF: i32 = 0;
const NOT: i32 = 8;
const AND: i32 = 9;
const OR: i32 = 10;
const BETWEEN: i32 = 11;
const IN: i32 = 12;
const TRUE: i32 = 13;
const FALSE: i32 = 14;
const NULL: i32 = 15;
const IS: i32 = 16;
const DECIMAL: i32 = 17;
const FLOAT: i32 = 18;
const STRING: i32 = 20;
const ID: i32 = 21;
const EQ: i32 = 22;
const NE: i32 = 23;
const GT: i32 = 24;
const GE: i32 = 25;
const LT: i32 = 26;
const LE: i32 = 27;
const LPAREN: i32 = 28;
const COMMA: i32 = 29;
const RPAREN: i32 = 30;
const PLUS: i32 = 31;
const MINUS: i32 = 32;
/// Stands for the place of a lexical error: Java would throw `TokenMgrError` on reading it.
const LEX_ERROR: i32 = 1000;

/// `SelectorParserConstants.tokenImage`.
const TOKEN_IMAGE: [&str; 33] = [
    "<EOF>",
    "\" \"",
    "\"\\t\"",
    "\"\\n\"",
    "\"\\r\"",
    "\"\\f\"",
    "<LINE_COMMENT>",
    "<BLOCK_COMMENT>",
    "\"NOT\"",
    "\"AND\"",
    "\"OR\"",
    "\"BETWEEN\"",
    "\"IN\"",
    "\"TRUE\"",
    "\"FALSE\"",
    "\"NULL\"",
    "\"IS\"",
    "<DECIMAL_LITERAL>",
    "<FLOATING_POINT_LITERAL>",
    "<EXPONENT>",
    "<STRING_LITERAL>",
    "<ID>",
    "\"=\"",
    "\"<>\"",
    "\">\"",
    "\">=\"",
    "\"<\"",
    "\"<=\"",
    "\"(\"",
    "\",\"",
    "\")\"",
    "\"+\"",
    "\"-\"",
];

/// `jj_la1_0` and `jj_la1_1` of the generated parser.
const LA1_0: [u32; 13] = [
    0x400, 0x200, 0xc10000, 0xc00000, 0x10000, 0xf001900, 0x20000000, 0x20000000, 0xf000800,
    0x1000, 0x1036e100, 0x1036e000, 0x16e000,
];
const LA1_1: [u32; 13] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1, 0, 0];

/// Recursion bound of the port (the main parser has already refused deeper input before the
/// error point; this only protects the stack).
const MAX_RECURSION: usize = 400;

fn kind(tok: &Tok) -> i32 {
    match tok {
        Tok::Not => NOT,
        Tok::And => AND,
        Tok::Or => OR,
        Tok::Between => BETWEEN,
        Tok::In => IN,
        Tok::True => TRUE,
        Tok::False => FALSE,
        Tok::Null => NULL,
        Tok::Is => IS,
        Tok::Decimal(_) => DECIMAL,
        Tok::Float(_) => FLOAT,
        Tok::Str(_) => STRING,
        Tok::Id(_) => ID,
        Tok::Eq => EQ,
        Tok::Ne => NE,
        Tok::Gt => GT,
        Tok::Ge => GE,
        Tok::Lt => LT,
        Tok::Le => LE,
        Tok::LParen => LPAREN,
        Tok::Comma => COMMA,
        Tok::RParen => RPAREN,
        Tok::Plus => PLUS,
        Tok::Minus => MINUS,
        Tok::Eof => EOF,
    }
}

/// A syntax error as JavaCC reports it.
pub(crate) struct JavaParseError {
    /// Index (into the token list) of the token the parser could not use.
    pub token: usize,
    /// The full `ParseException.getMessage()` text.
    pub message: String,
}

/// Why the port stopped without a `ParseException`.
enum Fail {
    Parse(usize, Vec<Vec<i32>>),
    /// Java would have thrown something else (a lexical error) or the port recursed too deep.
    Abort,
}

/// Ends a `jj_3*` scan early.
enum Scan {
    /// `LookaheadSuccess`: the lookahead matched as many tokens as it asked for.
    Success,
    Abort,
}

#[derive(Clone, Copy, Default)]
struct Calls {
    gen: i64,
    first: usize,
    arg: i64,
}

struct Port<'a> {
    /// The tokens; position `p` of the port is `tokens[p - 1]` (0 is JavaCC's empty first token).
    tokens: &'a [Token],
    /// Whether the input ends with a lexical error rather than end of input.
    lex_error: bool,
    token: usize,
    gen: i64,
    la1: [i64; 13],
    rtns: [Vec<Calls>; 4],
    scanpos: usize,
    lastpos: usize,
    la: i64,
    rescan: bool,
    kind_wanted: i32,
    lasttokens: [i32; 100],
    endpos: usize,
    expentries: Vec<Vec<i32>>,
    depth: usize,
}

type PResult = Result<(), Fail>;
type SResult = Result<bool, Scan>;

impl<'a> Port<'a> {
    fn kind_at(&self, pos: usize) -> i32 {
        if pos == 0 {
            return EOF;
        }
        match self.tokens.get(pos - 1) {
            Some(t) => kind(&t.tok),
            None if self.lex_error => LEX_ERROR,
            None => EOF,
        }
    }

    fn ntk(&self) -> Result<i32, Fail> {
        match self.kind_at(self.token + 1) {
            LEX_ERROR => Err(Fail::Abort),
            k => Ok(k),
        }
    }

    fn enter(&mut self) -> Result<(), Fail> {
        self.depth += 1;
        if self.depth > MAX_RECURSION {
            return Err(Fail::Abort);
        }
        Ok(())
    }

    fn consume(&mut self, kind: i32) -> PResult {
        let next = self.token + 1;
        let k = self.kind_at(next);
        if k == LEX_ERROR {
            return Err(Fail::Abort);
        }
        if k == kind {
            self.token = next;
            self.gen += 1;
            return Ok(());
        }
        self.kind_wanted = kind;
        Err(self.generate_parse_exception())
    }

    fn generate_parse_exception(&mut self) -> Fail {
        self.expentries.clear();
        let mut la1tokens = [false; 33];
        if self.kind_wanted >= 0 {
            la1tokens[self.kind_wanted as usize] = true;
            self.kind_wanted = -1;
        }
        for i in 0..13 {
            if self.la1[i] == self.gen {
                for j in 0..32 {
                    if LA1_0[i] & (1 << j) != 0 {
                        la1tokens[j] = true;
                    }
                    if LA1_1[i] & (1 << j) != 0 && 32 + j < 33 {
                        la1tokens[32 + j] = true;
                    }
                }
            }
        }
        for (i, set) in la1tokens.iter().enumerate() {
            if *set {
                self.expentries.push(vec![i as i32]);
            }
        }
        self.endpos = 0;
        if self.rescan_token().is_err() {
            return Fail::Abort;
        }
        self.add_error_token(0, 0);
        Fail::Parse(self.token + 1, std::mem::take(&mut self.expentries))
    }

    fn add_error_token(&mut self, kind: i32, pos: usize) {
        if pos >= 100 {
            return;
        }
        if pos == self.endpos + 1 {
            self.lasttokens[self.endpos] = kind;
            self.endpos += 1;
        } else if self.endpos != 0 {
            let entry = self.lasttokens[..self.endpos].to_vec();
            // JavaCC 5's `jj_entries_loop` adds the sequence only when an equal one is listed.
            if self.expentries.contains(&entry) {
                self.expentries.push(entry);
            }
            if pos != 0 {
                self.endpos = pos;
                self.lasttokens[pos - 1] = kind;
            }
        }
    }

    fn rescan_token(&mut self) -> Result<(), ()> {
        self.rescan = true;
        for i in 0..4 {
            let mut k = 0;
            while k < self.rtns[i].len() {
                let p = self.rtns[i][k];
                if p.gen > self.gen {
                    self.la = p.arg;
                    self.scanpos = p.first;
                    self.lastpos = p.first;
                    let r = match i {
                        0 => self.jj_3_1(),
                        1 => self.jj_3_2(),
                        2 => self.jj_3_3(),
                        _ => self.jj_3_4(),
                    };
                    match r {
                        Ok(_) => {}
                        // The catch is around the whole chain.
                        Err(Scan::Success) => break,
                        Err(Scan::Abort) => return Err(()),
                    }
                }
                k += 1;
            }
        }
        self.rescan = false;
        Ok(())
    }

    fn save(&mut self, index: usize, xla: i64) {
        let gen = self.gen;
        let v = &mut self.rtns[index];
        let mut k = 0;
        while v[k].gen > gen {
            if k + 1 == v.len() {
                v.push(Calls::default());
                k += 1;
                break;
            }
            k += 1;
        }
        v[k] = Calls {
            gen: gen + xla - self.la,
            first: self.token,
            arg: xla,
        };
    }

    fn jj_2(&mut self, index: usize, xla: i64) -> Result<bool, Fail> {
        self.la = xla;
        self.scanpos = self.token;
        self.lastpos = self.token;
        let r = match index {
            0 => self.jj_3_1(),
            1 => self.jj_3_2(),
            2 => self.jj_3_3(),
            _ => self.jj_3_4(),
        };
        self.save(index, xla);
        match r {
            Ok(failed) => Ok(!failed),
            Err(Scan::Success) => Ok(true),
            Err(Scan::Abort) => Err(Fail::Abort),
        }
    }

    fn scan_token(&mut self, kind: i32) -> SResult {
        if self.scanpos == self.lastpos {
            self.la -= 1;
            self.scanpos += 1;
            self.lastpos = self.scanpos;
        } else {
            self.scanpos += 1;
        }
        let k = self.kind_at(self.scanpos);
        if k == LEX_ERROR {
            return Err(Scan::Abort);
        }
        if self.rescan && self.scanpos >= self.token {
            self.add_error_token(kind, self.scanpos - self.token);
        }
        if k != kind {
            return Ok(true);
        }
        if self.la == 0 && self.scanpos == self.lastpos {
            return Err(Scan::Success);
        }
        Ok(false)
    }

    /// `xsp = jj_scanpos; if (a()) { jj_scanpos = xsp; if (b()) ... return true; }`
    fn alt(&mut self, alternatives: &[fn(&mut Self) -> SResult]) -> SResult {
        let xsp = self.scanpos;
        for (i, f) in alternatives.iter().enumerate() {
            if i > 0 {
                self.scanpos = xsp;
            }
            if !f(self)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `while (true) { xsp = jj_scanpos; if (f()) { jj_scanpos = xsp; break; } }`
    fn star(&mut self, f: fn(&mut Self) -> SResult) -> SResult {
        loop {
            let xsp = self.scanpos;
            if f(self)? {
                self.scanpos = xsp;
                return Ok(false);
            }
        }
    }

    fn seq(&mut self, parts: &[fn(&mut Self) -> SResult]) -> SResult {
        for f in parts {
            if f(self)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn deeper(&mut self, f: fn(&mut Self) -> SResult) -> SResult {
        self.depth += 1;
        if self.depth > MAX_RECURSION {
            return Err(Scan::Abort);
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    // --- the jj_3* scanners, in the generated code's order ---

    fn jj_3_1(&mut self) -> SResult {
        self.seq(&[|s| s.scan_token(IS), |s| s.scan_token(NULL)])
    }

    fn jj_3_2(&mut self) -> SResult {
        self.seq(&[
            |s| s.scan_token(NOT),
            |s| s.scan_token(BETWEEN),
            Self::jj_3r_7,
            |s| s.scan_token(AND),
            Self::jj_3r_7,
        ])
    }

    fn jj_3_3(&mut self) -> SResult {
        self.seq(&[
            |s| s.scan_token(NOT),
            |s| s.scan_token(IN),
            |s| s.scan_token(LPAREN),
            |s| s.scan_token(STRING),
            |s| s.star(Self::jj_3r_comma_string),
            |s| s.scan_token(RPAREN),
        ])
    }

    fn jj_3_4(&mut self) -> SResult {
        self.seq(&[|s| s.scan_token(PLUS), Self::jj_3r_7])
    }

    /// `jj_3R_7`: unaryExpr.
    fn jj_3r_7(&mut self) -> SResult {
        self.deeper(|s| {
            s.alt(&[
                |s| s.seq(&[|s| s.scan_token(PLUS), Self::jj_3r_7]),
                |s| s.seq(&[|s| s.scan_token(MINUS), Self::jj_3r_7]),
                |s| s.seq(&[|s| s.scan_token(NOT), Self::jj_3r_7]),
                Self::jj_3r_12,
            ])
        })
    }

    /// `jj_3R_12`: primaryExpr (literal, variable, parenthesised orExpression).
    fn jj_3r_12(&mut self) -> SResult {
        self.alt(&[
            |s| {
                s.alt(&[
                    |s| s.scan_token(STRING),
                    |s| s.scan_token(DECIMAL),
                    |s| s.scan_token(FLOAT),
                    |s| s.scan_token(TRUE),
                    |s| s.scan_token(FALSE),
                    |s| s.scan_token(NULL),
                ])
            },
            |s| s.scan_token(ID),
            |s| {
                s.seq(&[
                    |s| s.scan_token(LPAREN),
                    Self::jj_3r_18,
                    |s| s.scan_token(RPAREN),
                ])
            },
        ])
    }

    /// `jj_3R_18`: orExpression.
    fn jj_3r_18(&mut self) -> SResult {
        self.seq(&[Self::jj_3r_25, |s| {
            s.star(|s| s.seq(&[|s| s.scan_token(OR), Self::jj_3r_25]))
        }])
    }

    /// `jj_3R_25`: andExpression.
    fn jj_3r_25(&mut self) -> SResult {
        self.seq(&[Self::jj_3r_28, |s| {
            s.star(|s| s.seq(&[|s| s.scan_token(AND), Self::jj_3r_28]))
        }])
    }

    /// `jj_3R_28`: equalityExpression.
    fn jj_3r_28(&mut self) -> SResult {
        self.seq(&[Self::jj_3r_30, |s| s.star(Self::jj_3r_31)])
    }

    fn jj_3r_31(&mut self) -> SResult {
        self.alt(&[
            |s| s.seq(&[|s| s.scan_token(EQ), Self::jj_3r_30]),
            |s| s.seq(&[|s| s.scan_token(NE), Self::jj_3r_30]),
            Self::jj_3_1,
            |s| {
                s.seq(&[
                    |s| s.scan_token(IS),
                    |s| s.scan_token(NOT),
                    |s| s.scan_token(NULL),
                ])
            },
        ])
    }

    /// `jj_3R_30`: comparisonExpression.
    fn jj_3r_30(&mut self) -> SResult {
        self.seq(&[Self::jj_3r_7, |s| s.star(Self::jj_3r_32)])
    }

    fn jj_3r_32(&mut self) -> SResult {
        self.alt(&[
            |s| s.seq(&[|s| s.scan_token(GT), Self::jj_3r_7]),
            |s| s.seq(&[|s| s.scan_token(GE), Self::jj_3r_7]),
            |s| s.seq(&[|s| s.scan_token(LT), Self::jj_3r_7]),
            |s| s.seq(&[|s| s.scan_token(LE), Self::jj_3r_7]),
            |s| {
                s.seq(&[
                    |s| s.scan_token(BETWEEN),
                    Self::jj_3r_7,
                    |s| s.scan_token(AND),
                    Self::jj_3r_7,
                ])
            },
            Self::jj_3_2,
            |s| {
                s.seq(&[
                    |s| s.scan_token(IN),
                    |s| s.scan_token(LPAREN),
                    |s| s.scan_token(STRING),
                    |s| s.star(Self::jj_3r_comma_string),
                    |s| s.scan_token(RPAREN),
                ])
            },
            Self::jj_3_3,
        ])
    }

    /// `jj_3R_42` / `jj_3R_43`: `"," stringLitteral`.
    fn jj_3r_comma_string(&mut self) -> SResult {
        self.seq(&[|s| s.scan_token(COMMA), |s| s.scan_token(STRING)])
    }

    // --- the productions ---

    fn or_expression(&mut self) -> PResult {
        self.enter()?;
        self.and_expression()?;
        loop {
            if self.ntk()? != OR {
                self.la1[0] = self.gen;
                break;
            }
            self.consume(OR)?;
            self.and_expression()?;
        }
        self.depth -= 1;
        Ok(())
    }

    fn and_expression(&mut self) -> PResult {
        self.equality_expression()?;
        loop {
            if self.ntk()? != AND {
                self.la1[1] = self.gen;
                break;
            }
            self.consume(AND)?;
            self.equality_expression()?;
        }
        Ok(())
    }

    fn equality_expression(&mut self) -> PResult {
        self.comparison_expression()?;
        loop {
            match self.ntk()? {
                IS | EQ | NE => {}
                _ => {
                    self.la1[2] = self.gen;
                    break;
                }
            }
            match self.ntk()? {
                k @ (EQ | NE) => {
                    self.consume(k)?;
                    self.comparison_expression()?;
                }
                _ => {
                    self.la1[3] = self.gen;
                    if self.jj_2(0, 2)? {
                        self.consume(IS)?;
                        self.consume(NULL)?;
                    } else if self.ntk()? == IS {
                        self.consume(IS)?;
                        self.consume(NOT)?;
                        self.consume(NULL)?;
                    } else {
                        self.la1[4] = self.gen;
                        self.consume(-1)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn string_list(&mut self, la1_index: usize) -> PResult {
        self.consume(LPAREN)?;
        self.consume(STRING)?;
        loop {
            if self.ntk()? != COMMA {
                self.la1[la1_index] = self.gen;
                break;
            }
            self.consume(COMMA)?;
            self.consume(STRING)?;
        }
        self.consume(RPAREN)
    }

    fn comparison_expression(&mut self) -> PResult {
        self.unary_expr()?;
        loop {
            match self.ntk()? {
                NOT | BETWEEN | IN | GT | GE | LT | LE => {}
                _ => {
                    self.la1[5] = self.gen;
                    break;
                }
            }
            match self.ntk()? {
                k @ (GT | GE | LT | LE) => {
                    self.consume(k)?;
                    self.unary_expr()?;
                }
                BETWEEN => {
                    self.consume(BETWEEN)?;
                    self.unary_expr()?;
                    self.consume(AND)?;
                    self.unary_expr()?;
                }
                _ => {
                    self.la1[8] = self.gen;
                    if self.jj_2(1, 2)? {
                        self.consume(NOT)?;
                        self.consume(BETWEEN)?;
                        self.unary_expr()?;
                        self.consume(AND)?;
                        self.unary_expr()?;
                    } else if self.ntk()? == IN {
                        self.consume(IN)?;
                        self.string_list(6)?;
                    } else {
                        self.la1[9] = self.gen;
                        if self.jj_2(2, 2)? {
                            self.consume(NOT)?;
                            self.consume(IN)?;
                            self.string_list(7)?;
                        } else {
                            self.consume(-1)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn unary_expr(&mut self) -> PResult {
        self.enter()?;
        if self.jj_2(3, i64::from(i32::MAX))? {
            self.consume(PLUS)?;
            self.unary_expr()?;
        } else {
            match self.ntk()? {
                k @ (MINUS | NOT) => {
                    self.consume(k)?;
                    self.unary_expr()?;
                }
                TRUE | FALSE | NULL | DECIMAL | FLOAT | STRING | ID | LPAREN => {
                    self.primary_expr()?;
                }
                _ => {
                    self.la1[10] = self.gen;
                    self.consume(-1)?;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn primary_expr(&mut self) -> PResult {
        match self.ntk()? {
            TRUE | FALSE | NULL | DECIMAL | FLOAT | STRING => self.literal(),
            ID => self.consume(ID),
            LPAREN => {
                self.consume(LPAREN)?;
                self.or_expression()?;
                self.consume(RPAREN)
            }
            _ => {
                self.la1[11] = self.gen;
                self.consume(-1)
            }
        }
    }

    fn literal(&mut self) -> PResult {
        match self.ntk()? {
            k @ (STRING | DECIMAL | FLOAT | TRUE | FALSE | NULL) => self.consume(k),
            _ => {
                self.la1[12] = self.gen;
                self.consume(-1)
            }
        }
    }
}

/// Runs the port of `SelectorParser.JmsSelector()` over `tokens` (which end at end of input, or
/// at a lexical error when `lex_error`; `eof` is the end-of-input token). `None` when Java would
/// not throw a `ParseException` (or the port gave up).
pub(crate) fn java_parse_error(
    tokens: &[Token],
    lex_error: bool,
    eof: &Token,
) -> Option<JavaParseError> {
    let mut port = Port {
        tokens,
        lex_error,
        token: 0,
        gen: 0,
        la1: [-1; 13],
        rtns: std::array::from_fn(|_| vec![Calls::default()]),
        scanpos: 0,
        lastpos: 0,
        la: 0,
        rescan: false,
        kind_wanted: -1,
        lasttokens: [0; 100],
        endpos: 0,
        expentries: Vec::new(),
        depth: 0,
    };
    let (at, expected) = match port.or_expression() {
        Ok(()) | Err(Fail::Abort) => return None,
        Err(Fail::Parse(at, expected)) => (at, expected),
    };
    let token = |pos: usize| tokens.get(pos - 1).unwrap_or(eof);
    Some(JavaParseError {
        token: at - 1,
        message: message(&port, at, &expected, token),
    })
}

/// `ParseException.initialise` (with `eol` = `"\n"`, Linux's `line.separator`).
fn message<'t>(
    port: &Port<'_>,
    at: usize,
    expected: &[Vec<i32>],
    token: impl Fn(usize) -> &'t Token,
) -> String {
    let eol = "\n";
    let mut list = String::new();
    let mut max_size = 0;
    for seq in expected {
        max_size = max_size.max(seq.len());
        for &k in seq {
            list.push_str(TOKEN_IMAGE[k as usize]);
            list.push(' ');
        }
        if seq.last() != Some(&EOF) {
            list.push_str("...");
        }
        list.push_str(eol);
        list.push_str("    ");
    }
    let mut out = String::from("Encountered \"");
    for i in 0..max_size {
        if i != 0 {
            out.push(' ');
        }
        let k = port.kind_at(at + i);
        if k == EOF || k == LEX_ERROR {
            out.push_str(TOKEN_IMAGE[0]);
            break;
        }
        out.push(' ');
        out.push_str(TOKEN_IMAGE[k as usize]);
        out.push_str(" \"");
        out.push_str(&add_escapes(&token(at + i).image));
        out.push_str(" \"");
    }
    let first = token(at);
    out.push_str(&format!(
        "\" at line {}, column {}.{eol}",
        first.line, first.column
    ));
    out.push_str(if expected.len() == 1 {
        "Was expecting:"
    } else {
        "Was expecting one of:"
    });
    out.push_str(eol);
    out.push_str("    ");
    out.push_str(&list);
    out
}

/// JavaCC's `add_escapes` (also `TokenMgrError.addEscapes`): works on UTF-16 units.
pub(crate) fn add_escapes(s: &str) -> String {
    let mut out = String::new();
    for u in s.encode_utf16() {
        match u {
            0 => {}
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            0x22 => out.push_str("\\\""),
            0x27 => out.push_str("\\'"),
            0x5c => out.push_str("\\\\"),
            u if !(0x20..=0x7e).contains(&u) => out.push_str(&format!("\\u{u:04x}")),
            u => out.push(char::from(u as u8)),
        }
    }
    out
}
