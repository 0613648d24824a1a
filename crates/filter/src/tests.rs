use crate::{parse, EvalError, Expression, FilterError, Literal, Value, MAX_DEPTH};
use proptest::prelude::*;

type Props = &'static [(&'static str, &'static str)];

const P: Props = &[
    ("a", "5"),
    ("b", "hello"),
    ("c", "2.5"),
    ("d", "true"),
    ("e", "-7"),
    ("big", "3000000000"),
    ("s", "it's"),
    ("u", "héllo wörld ✓ 𝄞"),
    ("empty", ""),
    ("nan", "NaN"),
    ("pad", " 4.5 "),
    ("dsuf", "1.5d"),
    ("z", "0"),
];

/// (expression, properties, expected match) — what RocketMQ 4.9.3's broker decides.
const CASES: &[(&str, Props, bool)] = &[
    // equality with string/number conversion
    ("a = 5", P, true),
    ("a = 6", P, false),
    ("5 = a", P, true),
    ("a = '5'", P, true),
    ("a = 5.0", P, true),
    ("a = 5L", P, true),
    ("big = 3000000000", P, true),
    // 2147483647 is an Integer: "3000000000" does not parse as one
    ("big > 2147483647", P, false),
    ("big > 2147483647L", P, false),
    ("big > 2147483648", P, true),
    ("b = 'hello'", P, true),
    ("b = 'HELLO'", P, false),
    ("b <> 'x'", P, true),
    ("b <> 'hello'", P, false),
    // a string that is not a number against a number: Java throws, no match, even under OR
    ("b = 5", P, false),
    ("b = 5 OR TRUE", P, false),
    ("TRUE OR b = 5", P, true),
    ("FALSE AND b = 5", P, false),
    ("c = 2.5", P, true),
    // "2.5" is not an Integer: NumberFormatException
    ("c > 2", P, false),
    ("c > 2.0", P, true),
    ("c < 3.0", P, true),
    ("a > 4", P, true),
    ("a >= 5", P, true),
    ("a < 5", P, false),
    ("a <= 5", P, true),
    ("e < 0", P, true),
    ("e = -7", P, true),
    ("e = - 7", P, true),
    ("e = -(7)", P, true),
    ("e = +-7", P, true),
    ("e = --7", P, false),
    // two properties (two strings) under an ordering compare as doubles
    ("a > c", P, true),
    ("c < a", P, true),
    ("a > b", P, false),
    ("a = c", P, false),
    // unary minus on a property (a string) is NULL
    ("-a < 0", P, false),
    ("NOT (-a < 0)", P, false),
    // booleans: a property compared with TRUE goes through Boolean.valueOf
    ("d = TRUE", P, true),
    ("b = TRUE", P, false),
    ("b = FALSE", P, true),
    ("d <> FALSE", P, true),
    ("TRUE", P, true),
    ("FALSE", P, false),
    ("NULL", P, false),
    ("true = true", P, true),
    ("1 = TRUE", P, false),
    ("(a = 5) = TRUE", P, true),
    ("(a = 5) = (b = 'hello')", P, true),
    // a bare property is cast to boolean: a string is never a Boolean
    ("d", P, false),
    ("NOT d", P, true),
    ("missing", P, false),
    ("NOT missing", P, false),
    // NOT binds tighter than =: (NOT a) = 5 compares a Boolean with 5
    ("NOT a = 5", P, false),
    ("NOT (a = 5)", P, false),
    ("NOT (a = 6)", P, true),
    ("NOT NOT (a = 5)", P, true),
    // missing properties: unknown
    ("x = 1", P, false),
    ("x <> 1", P, false),
    ("NOT (x = 1)", P, false),
    ("x > 1", P, false),
    ("x < 1", P, false),
    ("x IN ('a')", P, false),
    ("x NOT IN ('a')", P, false),
    ("x BETWEEN 1 AND 2", P, false),
    ("x NOT BETWEEN 1 AND 2", P, false),
    ("x IS NULL", P, true),
    ("x IS NOT NULL", P, false),
    ("a IS NULL", P, false),
    ("a IS NOT NULL", P, true),
    ("empty IS NOT NULL", P, true),
    ("empty = ''", P, true),
    // three-valued logic
    ("x = 1 OR a = 5", P, true),
    ("x = 1 OR a = 6", P, false),
    ("NOT (x = 1 OR a = 6)", P, false),
    ("x = 1 AND a = 6", P, false),
    ("NOT (x = 1 AND a = 6)", P, true),
    ("NOT (x = 1 AND a = 5)", P, false),
    ("(x = 1 OR x = 2) IS NULL", P, true),
    ("(x = 1 AND a = 6) IS NULL", P, false),
    // precedence and parentheses
    ("a = 5 OR a = 6 AND b = 'x'", P, true),
    ("(a = 5 OR a = 6) AND b = 'x'", P, false),
    ("a = 6 AND b = 'x' OR b = 'hello'", P, true),
    ("a = 6 AND (b = 'x' OR b = 'hello')", P, false),
    ("((((a = 5))))", P, true),
    ("a = 5 AND b = 'hello' AND c > 1.0 AND d = TRUE", P, true),
    ("a = 1 OR a = 2 OR a = 3 OR a = 5", P, true),
    // IN / NOT IN
    ("b IN ('x', 'hello')", P, true),
    ("b IN ('x')", P, false),
    ("b NOT IN ('x', 'y')", P, true),
    ("b NOT IN ('hello')", P, false),
    ("a IN ('5')", P, true),
    ("a IN ('5.0')", P, false),
    ("(b) IN ('hello')", P, true),
    ("b in ('a','b','c','d','e','hello')", P, true),
    // BETWEEN / NOT BETWEEN
    ("a BETWEEN 1 AND 10", P, true),
    ("a BETWEEN 5 AND 5", P, true),
    ("a BETWEEN 6 AND 10", P, false),
    ("a NOT BETWEEN 6 AND 10", P, true),
    ("a NOT BETWEEN 1 AND 10", P, false),
    ("c BETWEEN 2.0 AND 3.0", P, true),
    ("c BETWEEN 2 AND 3", P, false),
    ("a BETWEEN 1 AND 10 AND b = 'hello'", P, true),
    ("a BETWEEN -10 AND -1", P, false),
    ("e BETWEEN -10 AND -1", P, true),
    ("a BETWEEN z AND 10", P, true),
    // unicode and quotes
    ("u = 'héllo wörld ✓ 𝄞'", P, true),
    ("u <> 'hello world'", P, true),
    ("u IN ('héllo wörld ✓ 𝄞')", P, true),
    ("s = 'it''s'", P, true),
    ("s = 'it'", P, false),
    ("'it''s' = s", P, true),
    ("'''' = ''''", P, true),
    // case-insensitive keywords, case-sensitive names
    ("a = 5 and b = 'hello'", P, true),
    ("A = 5", P, false),
    ("b iS nOt NuLl AnD b In ('hello')", P, true),
    ("a bEtWeEn 1 aNd 9 oR fAlSe", P, true),
    ("x is null", P, true),
    // doubles: NaN, padding, suffixes as Java's Double.valueOf reads them
    ("nan > 1.5", P, true),
    ("nan = nan", P, true),
    ("pad > 4.0", P, true),
    ("pad = 4.5", P, true),
    ("pad = 4", P, false),
    ("dsuf = 1.5", P, true),
    ("1.5 = dsuf", P, true),
    (".5e1 = a", P, true),
    ("5. = a", P, true),
    ("5E0 = a", P, true),
    // comments and whitespace
    ("a = 5 -- trailing comment\n", P, true),
    ("/* c */ a /* c */ = /* ** */ 5", P, true),
    ("a\t=\r\n5", P, true),
    // what follows a complete expression is never read
    ("a = 5 b", P, true),
    ("a = 5 )", P, true),
    ("a = 6 garbage", P, false),
    ("a = 5 -- no newline", P, true),
    // so operators 4.9.3 does not have are silently dropped with what follows them
    ("b LIKE 'hel%'", P, false),
    ("NOT b LIKE 'x%'", P, true),
    ("b CONTAINS 'ell'", P, false),
    ("b STARTSWITH 'h'", P, false),
    ("b ENDSWITH 'o'", P, false),
    ("a = 5 + 2", P, true),
    // no hex or octal: `0x1F` is `0` then the name `x1F`, `007` is `0` then `07`
    ("z = 0x1F", P, true),
    ("z = 007", P, true),
    ("a = 0x5", P, false),
    // the empty property set
    ("a = 5", &[], false),
    ("a IS NULL", &[], true),
];

#[test]
fn match_table() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let mut failed = Vec::new();
    for (expr, props, want) in CASES {
        match parse(expr) {
            Ok(e) => {
                let got = e.matches(*props);
                if got != *want {
                    failed.push(format!(
                        "{expr:?}: got {got} want {want} (tree {e}, value {:?})",
                        e.evaluate(*props)
                    ));
                }
            }
            Err(err) => failed.push(format!("{expr:?}: parse error {err}")),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Expressions RocketMQ 4.9.3 refuses (`MQFilterException` from `SelectorParser.parse`).
const BAD: &[&str] = &[
    "",
    "   ",
    "a =",
    "= 1",
    "a == 1",
    "a != 1",
    "a = 1 AND",
    "(a = 1",
    "a IN ()",
    "a IN (1, 2)",
    "a IN 'x'",
    "5 IN ('5')",
    "a * 2 = 4",
    "a = 'unterminated",
    "a = 1 #",
    "a = 1 NOT b",
    "a = 1 IS b",
    "a IS NOT 5",
    "a = NULL",
    "NULL = a",
    "a <> NULL",
    "a > 'x'",
    "'x' < a",
    "a > TRUE",
    "a > NULL",
    "(a > 1) > 1",
    "a BETWEEN 'a' AND 'z'",
    "a BETWEEN 10 AND 1",
    "a BETWEEN NULL AND 1",
    "a BETWEEN 1",
    "TRUE = 1",
    "FALSE = 'x'",
    "5",
    "'x'",
    "-a",
    "a = 5 AND 5",
    "NOT 5",
    "a = 9223372036854775808",
    "a = 0.0",
    "a > 1e400",
    "a > 1e-400",
    "a = .",
    "a = 1 /* unterminated",
    "é = 1",
    "a = 1 AND b = `x`",
    "a.b = 1",
    "a * 2 = 4",
    "a = 1 OR",
    "a = 1 AND b =",
    "a IN ('x',)",
    "a IN ('x' 'y')",
    "a NOT LIKE 'x'",
    "a BETWEEN 1 OR 2",
    "NOT",
    "()",
    "a = 'x''",
];

#[test]
fn bad_expressions() {
    assert!(BAD.len() >= 15);
    for expr in BAD {
        if let Ok(e) = parse(expr) {
            panic!("{expr:?} parsed as {e}");
        }
    }
}

#[test]
fn literal_types() {
    let lit = |s: &str| match parse(&format!("x = {s}")) {
        Ok(Expression::Compare(_, _, r)) => *r,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(lit("1"), Expression::Literal(Literal::Int(1)));
    assert_eq!(
        lit("2147483647"),
        Expression::Literal(Literal::Int(i32::MAX))
    );
    assert_eq!(
        lit("2147483648"),
        Expression::Literal(Literal::Long(2_147_483_648))
    );
    assert_eq!(
        lit("9223372036854775807L"),
        Expression::Literal(Literal::Long(i64::MAX))
    );
    assert_eq!(lit("1l"), Expression::Literal(Literal::Int(1)));
    assert_eq!(lit("1.5"), Expression::Literal(Literal::Double(1.5)));
    assert_eq!(lit("1e3"), Expression::Literal(Literal::Double(1000.0)));
    assert_eq!(
        lit("'a''b'"),
        Expression::Literal(Literal::Str("a'b".into()))
    );
    assert_eq!(
        lit("-5"),
        Expression::Negate(Box::new(Expression::Literal(Literal::Int(5))))
    );
    assert_eq!(lit("+5"), Expression::Literal(Literal::Int(5)));
}

#[test]
fn evaluation_values_and_errors() {
    let props: &[(&str, &str)] = &[("a", "abc"), ("n", "12")];
    let eval = |s: &str| parse(s).map(|e| format!("{:?}", e.evaluate(props)));
    assert_eq!(eval("x = 1").as_deref(), Ok("Ok(Null)"));
    assert_eq!(eval("a = 'abc'").as_deref(), Ok("Ok(Bool(true))"));
    let e = parse("a = 1").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        e.evaluate(props),
        Err(EvalError::NumberFormat { .. })
    ));
    let e = parse("a > n").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        e.evaluate(props),
        Err(EvalError::StringOrdering { .. })
    ));
    let e = parse("(n = 12) = a").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(e.evaluate(props), Err(EvalError::ClassCast(_))));
    let e = parse("-n").map(|_| ());
    assert!(e.is_err());
    let e = parse("n IS NULL OR -n IS NULL").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.evaluate(props), Ok(Value::Bool(true)));
}

#[test]
fn error_messages_name_the_place() {
    // The full texts are in `error_messages_are_javas`; here only their first lines.
    let first_line =
        |e: Option<FilterError>| e.map(|e| e.to_string().lines().next().unwrap_or("").to_string());
    let e = parse("a = 1 AND AND").err();
    assert_eq!(
        first_line(e).as_deref(),
        Some("Encountered \" \"AND\" \"AND \"\" at line 1, column 11.")
    );
    let e = parse("a =\n  #").err();
    assert!(matches!(
        e,
        Some(FilterError::Lexical {
            line: 2,
            column: 3,
            ..
        })
    ));
    // Java reports the end of input at the last character read (column 10 before this change).
    let e = parse("a = 1 AND").err();
    assert_eq!(
        first_line(e).as_deref(),
        Some("Encountered \"<EOF>\" at line 1, column 9.")
    );
    let e = parse("\ta\t#").err();
    assert!(matches!(
        e,
        Some(FilterError::Lexical {
            line: 1,
            column: 17,
            ..
        })
    ));
    let e = parse("a = '𝄞' #").err();
    assert!(matches!(e, Some(FilterError::Lexical { column: 10, .. })));
    let e = parse("a > 'x'").err();
    assert!(matches!(e, Some(FilterError::Invalid { column: 3, .. })));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for n in [
        crate::MAX_NESTING / 2,
        crate::MAX_NESTING + 1,
        MAX_DEPTH + 1,
        10_000,
        60_000,
    ] {
        let parens = format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
        let nots = format!("{}(a = 1)", "NOT ".repeat(n));
        let minus = format!("a = {}1", "-".repeat(n));
        let is_null = format!("a{}", " IS NULL".repeat(n));
        assert_eq!(parse(&is_null).is_ok(), n < MAX_DEPTH, "{n}");
        for s in [parens, nots, minus] {
            let r = parse(&s);
            if n <= crate::MAX_NESTING / 2 {
                assert!(r.is_ok(), "{n}: {r:?}");
            } else {
                assert!(r.is_err());
            }
        }
    }
    // Long flat chains are fine: AND / OR operands are kept in a list.
    let chain = vec!["a = 1"; 5000].join(" AND ");
    let e = parse(&chain).unwrap_or_else(|e| panic!("{e}"));
    assert!(e.matches(&[("a", "1")]));
    let too_long = "a".repeat(crate::MAX_EXPRESSION_LEN + 1);
    assert!(matches!(parse(&too_long), Err(FilterError::TooLong { .. })));
}

#[test]
fn display_parses_back() {
    for (expr, props, want) in CASES {
        let Ok(e) = parse(expr) else { continue };
        let shown = e.to_string();
        let again = parse(&shown).unwrap_or_else(|err| panic!("{expr:?} -> {shown:?}: {err}"));
        assert_eq!(again.matches(*props), *want, "{expr:?} -> {shown:?}");
    }
}

const TOKENS: &[&str] = &[
    "a",
    "b",
    "x",
    "NOT",
    "AND",
    "OR",
    "BETWEEN",
    "IN",
    "TRUE",
    "FALSE",
    "NULL",
    "IS",
    "0",
    "1",
    "42",
    "2147483648",
    "9223372036854775808",
    "1.5",
    ".5",
    "5.",
    "1e3",
    "0.0",
    "'s'",
    "''''",
    "'",
    "=",
    "<>",
    ">",
    ">=",
    "<",
    "<=",
    "(",
    ")",
    ",",
    "+",
    "-",
    "--",
    "\n",
    "/*",
    "*/",
    "#",
    "é",
    " ",
];

fn eval_all(s: &str) {
    let props: &[(&str, &str)] = &[("a", "1"), ("b", "x"), ("c", "2.5")];
    if let Ok(e) = parse(s) {
        let _ = e.evaluate(props);
        let _ = e.matches(props);
        let _ = e.matches(&[] as &[(&str, &str)]);
        let _ = parse(&e.to_string());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,80}") {
        eval_all(&s);
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40)) {
        eval_all(&tokens.join(" "));
        eval_all(&tokens.concat());
    }
}

/// The deepest accepted nesting parses in a 1 MiB stack even unoptimised (a Tokio worker has
/// 2 MiB).
#[test]
fn deepest_nesting_fits_a_small_stack() {
    let run = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let n = crate::MAX_NESTING - 1;
            let parens = format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
            let nots = format!("{}a = 1", "NOT ".repeat(n - 1));
            let minus = format!("a = {}1", "-".repeat(n - 1));
            let chain = format!("a{}", " IS NULL".repeat(MAX_DEPTH - 2));
            let props: &[(&str, &str)] = &[("a", "1")];
            for s in [parens, nots, minus, chain] {
                let e = parse(&s).unwrap_or_else(|e| panic!("{s}: {e}"));
                let _ = e.evaluate(props);
                let _ = parse(&e.to_string());
            }
        });
    assert!(run.map(|h| h.join().is_ok()).unwrap_or(false));
}

#[test]
fn java_double_value_of() {
    use crate::eval::parse_java_double as d;
    let cases: &[(&str, Option<f64>)] = &[
        ("1", Some(1.0)),
        (" 1.5 ", Some(1.5)),
        ("\t-2.5e1\n", Some(-25.0)),
        ("+.5", Some(0.5)),
        ("5.", Some(5.0)),
        ("1e400", Some(f64::INFINITY)),
        ("-1e400", Some(f64::NEG_INFINITY)),
        ("1e-400", Some(0.0)),
        ("4.9e-324", Some(f64::from_bits(1))),
        ("1.5f", Some(1.5)),
        ("2D", Some(2.0)),
        ("Infinity", Some(f64::INFINITY)),
        ("-Infinity", Some(f64::NEG_INFINITY)),
        ("0x1p3", Some(8.0)),
        ("0X1.8P1", Some(3.0)),
        ("-0x.8p0", Some(-0.5)),
        ("0x1.fffffffffffffp1023", Some(f64::MAX)),
        ("0x1p1024", Some(f64::INFINITY)),
        ("0x1p-1074", Some(f64::from_bits(1))),
        ("0x1p-1075", Some(0.0)),
        ("0x1.8p-1074", Some(f64::from_bits(2))),
        ("0x1.00000000000008p0", Some(1.0)),
        ("0x1.00000000000008000001p0", Some(1.0 + f64::EPSILON)),
        ("0x1.00000000000018p0", Some(1.0 + 2.0 * f64::EPSILON)),
        ("0x1.0000000000000ffffffffp0", Some(1.0 + f64::EPSILON)),
        ("0x1p3d", Some(8.0)),
        ("", None),
        (" ", None),
        (".", None),
        ("e5", None),
        ("1e", None),
        ("1.5 x", None),
        ("1,5", None),
        ("inf", None),
        ("nan", None),
        ("infinity", None),
        ("NaNd", None),
        ("1.5ff", None),
        ("0x1", None),
        ("0xp1", None),
        ("0x1.8", None),
        ("1_000", None),
    ];
    for (s, want) in cases {
        assert_eq!(d(s), *want, "{s:?}");
    }
    assert!(d("NaN").is_some_and(f64::is_nan));
    assert!(d("-NaN").is_some_and(f64::is_nan));
}

#[test]
fn java_parse_long() {
    use crate::eval::parse_java_long as l;
    let cases: &[(&str, Option<i64>)] = &[
        ("0", Some(0)),
        ("+7", Some(7)),
        ("-7", Some(-7)),
        ("007", Some(7)),
        ("9223372036854775807", Some(i64::MAX)),
        ("-9223372036854775808", Some(i64::MIN)),
        ("9223372036854775808", None),
        ("\u{663}\u{662}", Some(32)),
        ("\u{FF11}\u{FF10}", Some(10)),
        ("\u{1D7CF}", None),
        ("", None),
        ("+", None),
        ("-", None),
        ("+-1", None),
        (" 1", None),
        ("1 ", None),
        ("1.0", None),
        ("1L", None),
    ];
    for (s, want) in cases {
        assert_eq!(l(s), *want, "{s:?}");
    }
    // A property written in Arabic-Indic digits equals the number, as in Java.
    let e = parse("n = 32").unwrap_or_else(|e| panic!("{e}"));
    assert!(e.matches(&[("n", "\u{663}\u{662}")]));
    let e = parse("n = 3000000000").unwrap_or_else(|e| panic!("{e}"));
    assert!(e.matches(&[("n", "3000000000")]));
    let e = parse("n = 30").unwrap_or_else(|e| panic!("{e}"));
    assert!(!e.matches(&[("n", "3000000000")]));
}

/// Java's exact exception texts. Every expected string below was produced by running RocketMQ
/// 4.9.3's generated `SelectorParser` (`new SelectorParser(reader).JmsSelector()`, compiled from
/// the `rocketmq-all-4.9.3` sources with a JDK on Linux) and printing `getMessage()` of the
/// `ParseException` / `TokenMgrError` it threw; `a > AND b`, `a NOT b` and `+ AND` were also
/// derived by hand from the generated parser's `jj_la1` masks and `jj_rescan_token` and agree.
#[test]
fn error_messages_are_javas() {
    let cases: &[(&str, &str)] = &[
        ("a > AND b", "Encountered \" \"AND\" \"AND \"\" at line 1, column 5.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = 1 AND AND", "Encountered \" \"AND\" \"AND \"\" at line 1, column 11.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = 1 AND", "Encountered \"<EOF>\" at line 1, column 9.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = # b", "Lexical error at line 1, column 5.  Encountered: \"#\" (35), after : \"\""),
        ("a = 'abc b", "Lexical error at line 1, column 11.  Encountered: <EOF> after : \"\\'abc b\""),
        ("a =\n  #", "Lexical error at line 2, column 4.  Encountered: <EOF> after : \"\""),
        ("a = 1 /* x b", "Lexical error at line 1, column 13.  Encountered: <EOF> after : \"/* x b\""),
        ("a = é b", "Lexical error at line 1, column 5.  Encountered: \"\\u00e9\" (233), after : \"\""),
        ("\ta\t#", "Lexical error at line 1, column 18.  Encountered: <EOF> after : \"\""),
        ("a = 'x\ny", "Lexical error at line 2, column 2.  Encountered: <EOF> after : \"\\'x\\ny\""),
        ("a = 1 =", "Encountered \"<EOF>\" at line 1, column 7.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a IN (1)", "Encountered \" <DECIMAL_LITERAL> \"1 \"\" at line 1, column 7.\nWas expecting:\n    <STRING_LITERAL> ...\n    "),
        ("a IN ('x' 'y')", "Encountered \" <STRING_LITERAL> \"\\'y\\' \"\" at line 1, column 11.\nWas expecting one of:\n    \",\" ...\n    \")\" ...\n    "),
        ("a IN ('x',)", "Encountered \" \")\" \") \"\" at line 1, column 11.\nWas expecting:\n    <STRING_LITERAL> ...\n    "),
        ("a BETWEEN 1 2", "Encountered \" <DECIMAL_LITERAL> \"2 \"\" at line 1, column 13.\nWas expecting:\n    \"AND\" ...\n    "),
        ("a BETWEEN 1 AND", "Encountered \"<EOF>\" at line 1, column 15.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a IS 1", "Encountered \" <DECIMAL_LITERAL> \"1 \"\" at line 1, column 6.\nWas expecting:\n    \"NOT\" ...\n    "),
        ("a IS NOT 1", "Encountered \" <DECIMAL_LITERAL> \"1 \"\" at line 1, column 10.\nWas expecting:\n    \"NULL\" ...\n    "),
        ("NOT", "Encountered \"<EOF>\" at line 1, column 3.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("(a = 1", "Encountered \"<EOF>\" at line 1, column 6.\nWas expecting one of:\n    \"NOT\" ...\n    \"AND\" ...\n    \"OR\" ...\n    \"BETWEEN\" ...\n    \"IN\" ...\n    \"IS\" ...\n    \"=\" ...\n    \"<>\" ...\n    \">\" ...\n    \">=\" ...\n    \"<\" ...\n    \"<=\" ...\n    \")\" ...\n    "),
        ("a = 1 OR OR", "Encountered \" \"OR\" \"OR \"\" at line 1, column 10.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        (")", "Encountered \" \")\" \") \"\" at line 1, column 1.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a NOT b", "Encountered \" \"NOT\" \"NOT \"\" at line 1, column 3.\nWas expecting one of:\n    \"BETWEEN\" ...\n    \"IN\" ...\n    \">\" ...\n    \">=\" ...\n    \"<\" ...\n    \"<=\" ...\n    "),
        ("a NOT IN 1", "Encountered \" <DECIMAL_LITERAL> \"1 \"\" at line 1, column 10.\nWas expecting:\n    \"(\" ...\n    "),
        ("a NOT BETWEEN 1 OR 2", "Encountered \" \"OR\" \"OR \"\" at line 1, column 17.\nWas expecting:\n    \"AND\" ...\n    "),
        ("a = -", "Encountered \"<EOF>\" at line 1, column 5.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("+ AND", "Encountered \" \"+\" \"+ \"\" at line 1, column 1.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = +(1", "Encountered \" \"+\" \"+ \"\" at line 1, column 5.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = 'it''s' =", "Encountered \"<EOF>\" at line 1, column 13.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("", "Encountered \"<EOF>\" at line 0, column 0.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = 1 and or", "Encountered \" \"OR\" \"or \"\" at line 1, column 11.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a <> ", "Encountered \"<EOF>\" at line 1, column 5.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a >= 1 = ,", "Encountered \" \",\" \", \"\" at line 1, column 10.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a IN", "Encountered \"<EOF>\" at line 1, column 4.\nWas expecting:\n    \"(\" ...\n    "),
        ("a NOT IN (", "Encountered \"<EOF>\" at line 1, column 10.\nWas expecting:\n    <STRING_LITERAL> ...\n    "),
        ("a = (b = 1", "Encountered \"<EOF>\" at line 1, column 10.\nWas expecting one of:\n    \"NOT\" ...\n    \"AND\" ...\n    \"OR\" ...\n    \"BETWEEN\" ...\n    \"IN\" ...\n    \"IS\" ...\n    \"=\" ...\n    \"<>\" ...\n    \">\" ...\n    \">=\" ...\n    \"<\" ...\n    \"<=\" ...\n    \")\" ...\n    "),
        ("a = 1 AND NOT", "Encountered \"<EOF>\" at line 1, column 13.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("- -", "Encountered \"<EOF>\" at line 1, column 3.\nWas expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "),
        ("a = '𝄞' #", "Lexical error at line 1, column 11.  Encountered: <EOF> after : \"\""),
        ("a = '𝄞' #x", "Lexical error at line 1, column 10.  Encountered: \"#\" (35), after : \"\""),
    ];
    for (selector, want) in cases {
        let got = parse(selector).err().map(|e| e.to_string());
        assert_eq!(got.as_deref(), Some(*want), "selector {selector:?}");
    }
}
