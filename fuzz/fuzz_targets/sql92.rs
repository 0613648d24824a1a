//! SQL92 message filter (`rocklet-filter`): any text is parsed (an error is fine, a panic or
//! stack overflow is not), and an accepted expression is evaluated against fixed properties;
//! its printed form, when it parses again, must decide every message the same way.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_filter::parse;
use rocklet_fuzz as _;

const PROPS: [&[(&str, &str)]; 4] = [
    &[("a", "5"), ("b", "hello"), ("c", "2.5"), ("d", "true")],
    &[("a", "abc"), ("b", ""), ("c", "NaN"), ("x", "-7")],
    &[("a", "3000000000"), ("s", "it's"), ("u", "héllo ✓")],
    &[],
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(expr) = parse(&text) else {
        return;
    };
    let shown = expr.to_string();
    let again = parse(&shown).ok();
    for props in PROPS {
        let result = expr.evaluate(props);
        assert_eq!(
            expr.matches(props),
            matches!(result, Ok(rocklet_filter::Value::Bool(true)))
        );
        if let Some(again) = &again {
            assert_eq!(
                again.matches(props),
                expr.matches(props),
                "{text:?} printed as {shown:?}"
            );
            assert_eq!(
                again.evaluate(props).is_ok(),
                result.is_ok(),
                "{text:?} printed as {shown:?}"
            );
        }
    }
});
