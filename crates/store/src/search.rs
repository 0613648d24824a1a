//! Pure binary search used by `offset_in_queue_by_time` (no I/O).

/// Java `ConsumeQueue.getOffsetInQueueByTime` over logical offsets `[min, max)`.
///
/// `entry(i)` returns the physical offset of entry `i`; `store_time(i)` its store timestamp
/// (negative/None if unreadable). Entries whose physical offset is below `min_phy_offset`
/// are treated as older than anything. Returns the offset with an exact timestamp match,
/// otherwise the closer of the neighbours; 0 if an entry cannot be read (as Java does).
pub fn offset_by_time(
    min: i64,
    max: i64,
    timestamp: i64,
    min_phy_offset: i64,
    mut entry_phy: impl FnMut(i64) -> Option<i64>,
    mut store_time: impl FnMut(i64) -> Option<i64>,
) -> i64 {
    if max <= min {
        return 0;
    }
    let (mut low, mut high) = (min, max - 1);
    let (mut left, mut right) = (-1i64, -1i64);
    let (mut left_v, mut right_v) = (-1i64, -1i64);
    while high >= low {
        let mid = low + (high - low) / 2;
        let phy = match entry_phy(mid) {
            Some(p) => p,
            None => return 0,
        };
        if phy < min_phy_offset {
            low = mid + 1;
            left = mid;
            continue;
        }
        let t = match store_time(mid) {
            Some(t) if t >= 0 => t,
            _ => return 0,
        };
        if t == timestamp {
            return mid;
        } else if t > timestamp {
            high = mid - 1;
            right = mid;
            right_v = t;
        } else {
            low = mid + 1;
            left = mid;
            left_v = t;
        }
    }
    let off = if left_v == -1 {
        right
    } else if right_v == -1 {
        left
    } else if (timestamp - left_v).abs() > (timestamp - right_v).abs() {
        right
    } else {
        left
    };
    off.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(times: &[i64], ts: i64) -> i64 {
        offset_by_time(
            0,
            times.len() as i64,
            ts,
            0,
            |i| Some(i * 100),
            |i| Some(times[i as usize]),
        )
    }

    #[test]
    fn cases() {
        let t = [10, 20, 30, 40, 50];
        assert_eq!(run(&t, 30), 2);
        assert_eq!(run(&t, 5), 0);
        assert_eq!(run(&t, 99), 4);
        assert_eq!(run(&t, 31), 2);
        assert_eq!(run(&t, 39), 3);
        assert_eq!(run(&t, 35), 2); // tie goes left, like Java
        assert_eq!(run(&[], 1), 0);
        assert_eq!(run(&[7], 1), 0);
        assert_eq!(run(&[7], 9), 0);
    }
}
