//! Running totals of the store (the counters of Java's `StoreStatsService`): puts and gets
//! since start. Relaxed atomics, bumped where the work is already done (inside the append lock,
//! at the end of a read); the broker samples them for its TPS windows.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (microseconds) of the flush-latency buckets; the last bucket is everything
/// above 10 s. An msync of a few pages takes tens of microseconds, a slow disk seconds.
pub const FLUSH_LATENCY_BOUNDS_US: [u64; 16] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 5_000_000, 10_000_000,
];

#[derive(Debug, Default)]
pub struct StoreStats {
    put_times: AtomicU64,
    put_size: AtomicU64,
    get_found: AtomicU64,
    get_miss: AtomicU64,
    transferred: AtomicU64,
    damaged: AtomicU64,
    flushes: AtomicU64,
    flush_us: AtomicU64,
    /// Flushes per [`FLUSH_LATENCY_BOUNDS_US`] bucket (not cumulative).
    flush_buckets: [AtomicU64; FLUSH_LATENCY_BOUNDS_US.len() + 1],
}

/// One reading of every counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreTotals {
    /// Messages stored (`putMessageTimesTotal`: every message of a batch counts).
    pub put_times: u64,
    /// Bytes of stored records (`putMessageSizeTotal`).
    pub put_size: u64,
    /// Reads that found messages (`getMessageTimesTotalFound`).
    pub get_found: u64,
    /// Reads that found none (`getMessageTimesTotalMiss`).
    pub get_miss: u64,
    /// Messages handed out by reads (`getMessageTransferedMsgCount`).
    pub transferred: u64,
    /// Damaged records found by reads (older files' CRC checks), not served.
    pub damaged_reads: u64,
    /// Commit-log flushes (msync) that wrote something, and the time they took.
    pub flushes: u64,
    pub flush_us: u64,
}

impl StoreStats {
    pub(crate) fn put(&self, msgs: u64, bytes: u64) {
        self.put_times.fetch_add(msgs, Ordering::Relaxed);
        self.put_size.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn got(&self, msgs: u64) {
        if msgs > 0 {
            self.get_found.fetch_add(1, Ordering::Relaxed);
            self.transferred.fetch_add(msgs, Ordering::Relaxed);
        } else {
            self.get_miss.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A commit-log flush that moved the flushed offset took `took`.
    pub(crate) fn flushed(&self, took: std::time::Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flush_us.fetch_add(us, Ordering::Relaxed);
        let i = FLUSH_LATENCY_BOUNDS_US.partition_point(|b| *b < us);
        self.flush_buckets[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Flushes per bucket (the last above every bound) and the sum of their durations (us).
    pub(crate) fn flush_latency(&self) -> (Vec<u64>, u64) {
        (
            self.flush_buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            self.flush_us.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn damaged_read(&self) {
        self.damaged.fetch_add(1, Ordering::Relaxed);
    }

    pub fn totals(&self) -> StoreTotals {
        StoreTotals {
            put_times: self.put_times.load(Ordering::Relaxed),
            put_size: self.put_size.load(Ordering::Relaxed),
            get_found: self.get_found.load(Ordering::Relaxed),
            get_miss: self.get_miss.load(Ordering::Relaxed),
            transferred: self.transferred.load(Ordering::Relaxed),
            damaged_reads: self.damaged.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
            flush_us: self.flush_us.load(Ordering::Relaxed),
        }
    }
}

/// Size, free and usable (free to unprivileged users) space of the file system holding `path`
/// (Java `File.getTotalSpace` / `getFreeSpace` / `getUsableSpace`); `None` when the path does
/// not exist.
pub fn disk_space(path: &std::path::Path) -> Option<(u64, u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a NUL-terminated path; `st` is a plain C struct the call fills in and is
    // read only when the call succeeded.
    let st = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return None;
        }
        st
    };
    let frsize = st.f_frsize as u64;
    Some((
        st.f_blocks as u64 * frsize,
        st.f_bfree as u64 * frsize,
        st.f_bavail as u64 * frsize,
    ))
}

/// Java `UtilAll.getDiskPartitionSpaceUsedPercent`: used / (used + usable) as `df` reports it,
/// in whole percent rounded up, as a ratio; -1 when the path does not exist.
pub fn disk_used_ratio(path: &std::path::Path) -> f64 {
    match disk_space(path) {
        Some((total, free, usable)) if total > 0 => {
            let used = total.saturating_sub(free);
            let entire = used + usable;
            if entire == 0 {
                return 0.0;
            }
            let percent = (used * 100).div_ceil(entire);
            percent as f64 / 100.0
        }
        Some(_) => 0.0,
        None => -1.0,
    }
}
