//! Prefaulting the commit log ahead of the writer.
//!
//! Appends write into a shared mapping of a sparse file, so the first write to every page
//! faults: the kernel allocates and zeroes a page-cache page and reserves its block
//! (`page_mkwrite`). perf showed those faults as about a quarter of the broker's CPU with 1 KiB
//! messages, all of it on the connection tasks' threads. This thread keeps the next
//! [`AHEAD`] bytes after the write position faulted in, writable, with
//! `madvise(MADV_POPULATE_WRITE)` (Linux 5.14+), which does not change the file's contents, so
//! it can run beside the appender without breaking the append lock's contract. Populated pages
//! beyond the write position are dirty zeros; flushes only cover written ranges, so they are
//! written when data lands on them. The thread runs under `SCHED_IDLE`: it uses cores that
//! would otherwise idle and never delays the appenders (at default priority it took CPU from
//! them and raised p99). Java's counterpart is the optional `warmMapedFileEnable`, which writes
//! zeros into the whole file at creation.
//!
//! Measured with `rocklet bench` (64 senders, 1 KiB, one connection) on 2 cores: 125-128k ->
//! 170-172k msg/s, p99 1.6-1.9 -> 1.2-1.4 ms.

use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::mapped_file::MappedFileQueue;

/// How far ahead of the write position pages are kept faulted in.
pub(crate) const AHEAD: usize = 8 * 1024 * 1024;
/// The thread is woken when the writer gets this close to the end of the populated range.
const LOW_WATER: usize = 4 * 1024 * 1024;
/// Bytes per `madvise` call (bounds the time the call holds the mapping's locks).
const CHUNK: usize = 256 * 1024;

#[derive(Default)]
struct Ctl {
    wake: bool,
    stop: bool,
}

pub(crate) struct Prefault {
    /// Commit-log offset at which the appender wakes the thread; `u64::MAX` while it works or
    /// once prefaulting is unavailable.
    wake_at: AtomicU64,
    ctl: Mutex<Ctl>,
    cv: Condvar,
}

impl Prefault {
    pub fn new() -> Self {
        Prefault {
            wake_at: AtomicU64::new(0),
            ctl: Mutex::new(Ctl::default()),
            cv: Condvar::new(),
        }
    }

    /// Called by the appender with the commit-log offset after its write.
    #[inline]
    pub fn written(&self, end: u64) {
        if end >= self.wake_at.load(Ordering::Relaxed)
            && self.wake_at.swap(u64::MAX, Ordering::AcqRel) != u64::MAX
        {
            self.ctl.lock().wake = true;
            self.cv.notify_one();
        }
    }

    pub fn stop(&self) {
        self.ctl.lock().stop = true;
        self.cv.notify_one();
    }

    /// The thread's loop; returns when stopped or when the kernel does not support it.
    pub fn run(&self, log: &MappedFileQueue) {
        // (start offset of the file, populated up to) of the last file worked on.
        let mut state: Option<(u64, usize)> = None;
        lower_priority();
        loop {
            {
                let mut c = self.ctl.lock();
                while !c.wake && !c.stop {
                    self.cv.wait_for(&mut c, Duration::from_secs(1));
                }
                if c.stop {
                    return;
                }
                c.wake = false;
            }
            let Some(file) = log.last() else {
                self.wake_at.store(0, Ordering::Release);
                continue;
            };
            let w = file.wrote();
            let mut pop = match state {
                Some((from, p)) if from == file.from() => p.max(w),
                _ => w,
            };
            let target = (w + AHEAD).min(file.size());
            let mut failed = false;
            while pop < target {
                let n = CHUNK.min(target - pop);
                if let Err(e) = file.populate_write(pop, n) {
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EINVAL) | Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS)
                    ) {
                        tracing::info!(error = %e, "commit-log prefaulting unavailable; appends fault pages themselves");
                        return; // wake_at stays u64::MAX: the appender never wakes us again
                    }
                    // Files are allocated before they are mapped, so this is not a full disk
                    // (ENOMEM, EFAULT on a file deleted under us, ...): skip this round, the
                    // appender wakes the thread again further on.
                    tracing::warn!(error = %e, "commit-log prefaulting failed; retrying later");
                    failed = true;
                    break;
                }
                pop += n;
            }
            state = Some((file.from(), pop));
            let next = if failed {
                // Retry once the writer has moved on by LOW_WATER, not at its next put.
                file.from() + (w + LOW_WATER).min(file.size()) as u64
            } else if pop >= file.size() {
                // The rest of this file is populated: wake up when the writer is in the next.
                file.from() + file.size() as u64
            } else {
                file.from() + pop.saturating_sub(LOW_WATER) as u64
            };
            self.wake_at.store(next, Ordering::Release);
        }
    }
}

/// Run this thread only when a core would otherwise be idle (`SCHED_IDLE`): prefaulting is
/// useful work taken off the appenders, never worth delaying them for. If the scheduler class
/// cannot be set, the thread keeps the default priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: plain syscall on the calling thread (pid 0) with a valid parameter struct.
        let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
        if rc != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "SCHED_IDLE for the prefault thread failed");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::mapped_file::QueueAccess;
    use std::sync::Arc;

    #[test]
    fn pages_ahead_of_the_writer_are_faulted_in() {
        let dir = tempfile::tempdir().unwrap();
        let size = 32 * 1024 * 1024;
        let log = Arc::new(
            MappedFileQueue::load_with(
                dir.path().to_path_buf(),
                size,
                false,
                QueueAccess::RandomTail,
            )
            .unwrap(),
        );
        let file = log.create(0).unwrap();
        assert_eq!(
            file.resident_pages(0, AHEAD),
            0,
            "a new sparse file has no pages"
        );
        let p = Arc::new(Prefault::new());
        let t = {
            let (p, log) = (p.clone(), log.clone());
            std::thread::spawn(move || p.run(&log))
        };
        file.set_wrote(100);
        p.written(100);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while file.resident_pages(100, AHEAD) < AHEAD / 4096 && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(file.resident_pages(100, AHEAD - 100), AHEAD / 4096);
        // The file's contents are unchanged (still zeros past the write position).
        assert!(file.slice(0, 100).is_some());
        file.set_wrote(AHEAD);
        assert!(file
            .slice(100, AHEAD - 100)
            .unwrap()
            .iter()
            .all(|&b| b == 0));
        p.stop();
        t.join().unwrap();
    }
}
