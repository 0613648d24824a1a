//! Retention and the disk guard (Java `CleanCommitLogService`, `CleanConsumeQueueService` and
//! the 10 s `isSpaceFull` check of `DefaultMessageStore`), on the `rocklet-clean` thread.
//!
//! Every `disk_check_interval_ms` the commit log's partition is measured: above
//! `disk_space_warning_level_ratio` the store is marked disk-full and puts are refused
//! (SERVICE_NOT_AVAILABLE), below it they are accepted again. Every `clean_resource_interval_ms`
//! (first after `clean_resource_first_delay_ms`) commit-log files last modified more than
//! `file_reserved_time_ms` ago are deleted, oldest first, at most 10 per round and never the
//! file being written, when the local hour is one of `delete_when`'s or the disk is above
//! `disk_max_used_space_ratio`; above `disk_space_clean_forcibly_ratio` (with
//! `clean_file_forcibly_enable`) even unexpired files go. Then every consume-queue file whose
//! last entry points below the commit log's new first offset is deleted, the queues' min offsets
//! move up to their first surviving entry, and the index files whose last offset is below it
//! are deleted.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::disk::used_ratio;
use crate::localtime::is_it_time_to_do;

use super::{now_ms, Inner, MessageStore};

/// Java `MappedFileQueue.DELETE_FILES_BATCH_MAX`.
const DELETE_FILES_BATCH_MAX: usize = 10;

#[derive(Default)]
pub(super) struct CleanCtl {
    pub stop: bool,
    /// Test hook: run a clean round now.
    pub kick: bool,
    /// The commit log's first offset when consume queues were last cleaned.
    pub last_physical_min: i64,
}

impl Inner {
    /// The disk check (Java `isSpaceFull`); also clears an allocation failure once a commit-log
    /// file and a consume-queue file fit again.
    pub(super) fn check_disk(&self) -> f64 {
        let need = (self.cl_file_size + self.cq_file_size) as u64;
        self.disk.check(&self.cfg.root_dir.join("commitlog"), need)
    }

    /// Java `isSpaceToDelete`: whether the disk is above `diskMaxUsedSpaceRatio`, and whether
    /// files must go even unexpired (above the forcible ratio). Also marks the disk full or ok.
    fn space_to_delete(&self) -> (bool, bool) {
        let ratio = self.cfg.disk_max_used_space_ratio_clamped() as f64 / 100.0;
        let physic = self.check_disk();
        let logics = used_ratio(&self.cfg.root_dir.join("consumequeue"));
        let forcibly = self.disk.forcibly();
        let clean_now = physic > forcibly || logics > forcibly;
        let mut full = false;
        for (what, r) in [("physic", physic), ("logics", logics)] {
            if r < 0.0 || r > ratio {
                tracing::info!(used = r, "{what} disk maybe full soon, so reclaim space");
                full = true;
            }
        }
        (full, clean_now)
    }

    /// One round of the clean service: commit-log files, then consume queues and the index.
    /// Returns the number of commit-log files deleted.
    pub(super) fn clean_round(&self) -> usize {
        let _one = self.clean_round_lock.lock();
        let cfg = &self.cfg;
        let timeup = is_it_time_to_do(&cfg.delete_when, now_ms());
        let (space_full, clean_now) = self.space_to_delete();
        let mut deleted = 0;
        if timeup || space_full {
            let at_once = cfg.clean_file_forcibly_enable && clean_now;
            tracing::info!(
                reserved_ms = cfg.file_reserved_time_ms,
                timeup,
                space_full,
                clean_at_once = at_once,
                "begin to delete expired commit-log files"
            );
            let expired = cfg.file_reserved_time_ms as i64;
            let now = now_ms();
            deleted = self
                .commit_log
                .delete_front(
                    DELETE_FILES_BATCH_MAX,
                    Duration::from_millis(cfg.delete_commit_log_files_interval_ms),
                    |f| {
                        at_once
                            || f.last_modified_ms()
                                .is_some_and(|m| now >= m.saturating_add(expired))
                    },
                )
                .len();
            if deleted == 0 && space_full {
                tracing::warn!("disk space will be full soon, but delete file failed.");
            }
        }
        self.clean_consume_queues();
        deleted
    }

    /// Java `CleanConsumeQueueService.deleteExpiredFiles`, plus the key index.
    fn clean_consume_queues(&self) {
        let min = self.commit_log.first().map_or(0, |f| f.from() as i64);
        {
            let mut c = self.clean_ctl.lock();
            if min <= c.last_physical_min {
                return;
            }
            c.last_physical_min = min;
        }
        let queues: Vec<_> = self
            .queues
            .read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        let pause = Duration::from_millis(self.cfg.delete_consume_queue_files_interval_ms);
        for cq in queues {
            if cq.delete_expired(min) > 0 && !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        self.delete_expired_index(min);
    }

    /// Java `IndexService.deleteExpiredFile`: deletes the index files (oldest first, never
    /// the last) whose endPhyOffset is below `min_phy`, the commit log's new first offset.
    pub(super) fn delete_expired_index(&self, min_phy: i64) {
        let n = self.index.write().delete_expired(min_phy);
        if n > 0 {
            tracing::info!(min_phy, files = n, "expired index files deleted");
        }
    }
}

/// The `rocklet-clean` thread.
pub(super) fn clean_loop(inner: Arc<Inner>) {
    let check_every = Duration::from_millis(inner.cfg.disk_check_interval_ms.max(1));
    let clean_every = Duration::from_millis(inner.cfg.clean_resource_interval_ms.max(1));
    let start = Instant::now();
    let mut next_check = start + check_every;
    let mut next_clean = start + Duration::from_millis(inner.cfg.clean_resource_first_delay_ms);
    loop {
        let kicked = {
            let mut c = inner.clean_ctl.lock();
            while !c.stop && !c.kick {
                let now = Instant::now();
                let until = next_check.min(next_clean);
                if now >= until {
                    break;
                }
                inner.clean_cv.wait_for(&mut c, until - now);
            }
            if c.stop {
                return;
            }
            std::mem::take(&mut c.kick)
        };
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        let now = Instant::now();
        if now >= next_check {
            inner.check_disk();
            next_check = now + check_every;
        }
        if kicked || now >= next_clean {
            inner.clean_round();
            next_clean = Instant::now() + clean_every;
        }
    }
}

impl MessageStore {
    /// Whether puts are accepted (Java `RunningFlags.isWriteable`): false while the disk is
    /// above the warning level or a store file could not be allocated.
    pub fn is_writable(&self) -> bool {
        self.inner.disk.writable()
    }

    /// Java `SendMessageProcessor.diskUtil`: `CL: %5.2f CQ: %5.2f INDEX: %5.2f`, the used
    /// fraction of the partitions of the commit log, consume queues and index directories
    /// (-1.00 for a directory that does not exist).
    pub fn disk_util(&self) -> String {
        let root = &self.inner.cfg.root_dir;
        let mut cl = used_ratio(&root.join("commitlog"));
        cl = cl.min(100.0);
        let cq = used_ratio(&root.join("consumequeue"));
        let index = used_ratio(&root.join("index"));
        format!("CL: {cl:5.2} CQ: {cq:5.2} INDEX: {index:5.2}")
    }

    /// Runs the disk check now (it runs every `disk_check_interval_ms` anyway); returns the
    /// commit log partition's used fraction.
    pub fn check_disk_now(&self) -> f64 {
        self.inner.check_disk()
    }

    /// Changes the warning and forcible-clean levels (Java reads them once from system
    /// properties; tests and operators may move them at run time). Takes effect at the next
    /// disk check.
    pub fn set_disk_space_levels(&self, warning: f64, clean_forcibly: f64) {
        self.inner.disk.set_levels(warning, clean_forcibly);
    }

    /// Runs one clean round now (test hook; the clean thread runs them periodically). Returns
    /// the commit-log files deleted.
    #[doc(hidden)]
    pub fn clean_now(&self) -> usize {
        self.inner.clean_round()
    }
}
