//! Times as Java's tools print them (`UtilAll.formatDate`), in UTC: Rocklet has no time-zone
//! database, and the Java servers in the interop harness run in UTC too.

/// `UtilAll.formatDate(new Date(ms), pattern)` for `yyyy-MM-dd<sep>HH:mm:ss<ms_sep>SSS`:
/// `#` / `:` is `YYYY_MM_DD_HH_MM_SS_SSS`-like text of consume time spans, ` ` / `,` the tools'
/// log-style text.
pub fn format_millis(ms: i64, sep: char, ms_sep: char) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}{ms_sep}{milli:03}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Milliseconds since the Unix epoch (Java `System.currentTimeMillis`); 0 if the clock is
/// before 1970.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn java_dates() {
        use super::format_millis;
        assert_eq!(format_millis(-1, '#', ':'), "1969-12-31#23:59:59:999");
        assert_eq!(format_millis(0, '#', ':'), "1970-01-01#00:00:00:000");
        assert_eq!(
            format_millis(1_796_019_666_536, ' ', ','),
            "2026-11-30 06:21:06,536"
        );
        assert_eq!(
            format_millis(951_782_400_000, '#', ':'),
            "2000-02-29#00:00:00:000"
        );
    }
}
