//! The local hour of the day, for `deleteWhen` (Java `UtilAll.isItTimeToDo` uses the JVM's
//! default time zone). The zone is read from the TZif file of `TZ` (a zone name or a path) or
//! `/etc/localtime`; the offset of the latest transition not after now applies (rules for
//! years beyond a file's last transition, in its footer, are not evaluated). Without a readable
//! zone file the hour is UTC's.

use std::path::PathBuf;

fn be_i64(b: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}
fn be_i32(b: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}
fn be_u32(b: &[u8]) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize)
}

/// UTC offset in seconds at `now` (Unix seconds) from TZif bytes.
fn offset_from_tzif(data: &[u8], now: i64) -> Option<i64> {
    let header = |d: &[u8]| -> Option<[usize; 6]> {
        if d.get(..4)? != b"TZif" {
            return None;
        }
        let mut c = [0usize; 6];
        for (i, v) in c.iter_mut().enumerate() {
            *v = be_u32(d.get(20 + 4 * i..)?)?;
        }
        Some(c)
    };
    let [isut, isstd, leap, timecnt, typecnt, charcnt] = header(data)?;
    let (body, tsize, [_, _, _, timecnt, typecnt, _]) = if data[4] >= b'2' {
        let v1 = timecnt * 4 + timecnt + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
        let d2 = data.get(44 + v1..)?;
        (d2.get(44..)?, 8usize, header(d2)?)
    } else {
        (
            data.get(44..)?,
            4usize,
            [isut, isstd, leap, timecnt, typecnt, charcnt],
        )
    };
    let times = body.get(..timecnt * tsize)?;
    let idx = body.get(timecnt * tsize..timecnt * tsize + timecnt)?;
    let infos = body.get(timecnt * tsize + timecnt..timecnt * tsize + timecnt + typecnt * 6)?;
    let mut ty = 0usize;
    for i in 0..timecnt {
        let t = if tsize == 8 {
            be_i64(&times[i * 8..])?
        } else {
            be_i32(&times[i * 4..])? as i64
        };
        if t > now {
            break;
        }
        ty = idx[i] as usize;
    }
    Some(be_i32(infos.get(ty * 6..)?)? as i64)
}

fn zone_file() -> PathBuf {
    match std::env::var("TZ") {
        Ok(tz) if !tz.is_empty() => {
            let tz = tz.trim_start_matches(':');
            if tz.starts_with('/') {
                PathBuf::from(tz)
            } else {
                PathBuf::from("/usr/share/zoneinfo").join(tz)
            }
        }
        _ => PathBuf::from("/etc/localtime"),
    }
}

/// The local hour (0..=23) at `now_ms`.
pub(crate) fn local_hour(now_ms: i64) -> u32 {
    let now = now_ms.div_euclid(1000);
    let off = std::fs::read(zone_file())
        .ok()
        .and_then(|d| offset_from_tzif(&d, now))
        .unwrap_or(0);
    ((now + off).rem_euclid(86_400) / 3600) as u32
}

/// Java `UtilAll.isItTimeToDo`: whether the local hour is one of `when`'s `;`-separated hours.
/// An entry that is not a number never matches (Java throws and the round is skipped).
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

    #[test]
    fn tzif_v2_offset() {
        // A v2 file with no v1 data and one transition at t=100 to type 1 (+3600).
        let mut d = Vec::new();
        let hdr = |d: &mut Vec<u8>, timecnt: u32, typecnt: u32| {
            d.extend_from_slice(b"TZif2");
            d.extend_from_slice(&[0u8; 15]);
            for c in [0u32, 0, 0, timecnt, typecnt, 0] {
                d.extend_from_slice(&c.to_be_bytes());
            }
        };
        hdr(&mut d, 0, 0);
        hdr(&mut d, 1, 2);
        d.extend_from_slice(&100i64.to_be_bytes());
        d.push(1);
        d.extend_from_slice(&0i32.to_be_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&3600i32.to_be_bytes());
        d.extend_from_slice(&[1, 0]);
        assert_eq!(offset_from_tzif(&d, 50), Some(0));
        assert_eq!(offset_from_tzif(&d, 150), Some(3600));
    }
}
