//! `UtilAll.isItTimeToDo`: whether the local hour is one of `deleteWhen`'s (`"04"`,
//! `"04;16"`). The local zone comes from chrono (TZ, then /etc/localtime).

use chrono::{Local, TimeZone, Timelike};

/// The local hour (0-23) at `now_ms`; 0 if the time cannot be represented.
pub(crate) fn local_hour(now_ms: i64) -> u32 {
    Local
        .timestamp_millis_opt(now_ms)
        .earliest()
        .map_or(0, |t| t.hour())
}

/// True when the local hour at `now_ms` is one of the `;`-separated hours of `when`.
pub(crate) fn is_it_time_to_do(when: &str, now_ms: i64) -> bool {
    let hour = local_hour(now_ms);
    when.split(';')
        .any(|w| w.trim().parse::<u32>().is_ok_and(|h| h == hour))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_list() {
        let now = 1_700_000_000_000;
        let h = local_hour(now);
        assert!(h < 24);
        assert!(!is_it_time_to_do(&format!("{:02}", (h + 1) % 24), now));
        assert!(is_it_time_to_do(
            &format!("{:02};{:02}", (h + 5) % 24, h),
            now
        ));
        assert!(!is_it_time_to_do("xx", now));
    }
}
