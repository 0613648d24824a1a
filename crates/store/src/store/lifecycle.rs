//! Lifecycle: opening (recovery, then the store's threads), shutdown, and destroying
//! consume queues of unused or expired topics.

use std::collections::HashMap;
use std::fs;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};
use tokio::sync::watch;

use crate::checkpoint::Checkpoint;
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue::ConsumeQueue;
use crate::error::StoreError;
use crate::index::IndexService;
use crate::layout;
use crate::mapped_file::MappedFileQueue;
use crate::prefault::Prefault;

use super::flush::{flush_loop, group_commit_loop};
use super::recovery::recover;
use super::{AppendState, FlushCtl, Inner, MessageStore};

impl MessageStore {
    /// Opens (creating if needed) the store under `cfg.root_dir` and recovers it:
    /// every commit-log record is validated (magic, sizes, body CRC, physical offset); the
    /// first invalid record and everything after it is dropped (zeroed / files deleted);
    /// consume queues are verified against the commit log, truncated and re-dispatched;
    /// the key index (`index/`) is loaded and the records it lacks indexed. Starts the flush
    /// thread.
    pub fn open(cfg: StoreConfig) -> Result<Arc<Self>, StoreError> {
        let cl_file_size = cfg.mapped_file_size_commit_log;
        if !(4096..=i32::MAX as u64).contains(&cl_file_size) {
            return Err(StoreError::InvalidConfig(format!(
                "mapped_file_size_commit_log must be in 4096..=2^31-1, got {cl_file_size}"
            )));
        }
        let cq_file_size = layout::consume_queue_file_size(cfg.mapped_file_size_consume_queue);
        if cq_file_size > i32::MAX as u64 {
            return Err(StoreError::InvalidConfig(
                "mapped_file_size_consume_queue too large".into(),
            ));
        }
        let root = cfg.root_dir.clone();
        fs::create_dir_all(root.join("consumequeue")).map_err(|e| StoreError::io(&root, e))?;
        // Java's `lock` first: nothing of a store another broker has open is touched.
        let lock = crate::store_lock::StoreLock::acquire(&root)?;
        let crashed = crate::store_lock::abort_file(&root).exists();
        if crashed {
            tracing::warn!(
                dir = %root.display(),
                "the abort file is there: the store was not shut down cleanly"
            );
        }
        let cl_dir = root.join("commitlog");
        let commit_log = MappedFileQueue::load(cl_dir.clone(), cl_file_size as usize)
            .map_err(|e| StoreError::io(&cl_dir, e))?;
        IndexService::check_sizes(cfg.max_hash_slot_num, cfg.max_index_num)?;
        // Java `IndexService.load(lastExitOK)`: after an abnormal shutdown the index files
        // ending after the checkpoint's indexMsgTimestamp may be partial and are destroyed;
        // recovery indexes their records again from the commit log.
        let cp_path = root.join("checkpoint");
        let checkpoint = Checkpoint::read(&cp_path).map_err(|e| StoreError::io(&cp_path, e))?;
        // Abnormal: Java's rule (the abort file is there), or Rocklet's own clean-shutdown
        // marker missing (stores written before Rocklet kept the abort file; a store a Java
        // broker stopped cleanly since also lands here and only re-indexes its newest file).
        let abnormal_index_ts = match checkpoint {
            Some(c) if c.clean_shutdown && !crashed => None,
            Some(c) => Some(c.index_msg_timestamp),
            None => Some(0),
        };
        let loaded = IndexService::load(
            root.join("index"),
            cfg.max_hash_slot_num,
            cfg.max_index_num,
            abnormal_index_ts,
        )?;
        if loaded.destroyed > 0 {
            tracing::warn!(
                files = loaded.destroyed,
                "index files destroyed at open; their keys are indexed again from the commit log"
            );
        }
        let index_ts = checkpoint.map_or(0, |c| c.index_msg_timestamp);
        let (max_offset_tx, _) = watch::channel(0i64);
        let (flushed_tx, _) = watch::channel(0i64);
        let disk = crate::disk::DiskGuard::new(
            cfg.disk_space_warning_level_ratio,
            cfg.disk_space_clean_forcibly_ratio,
        );
        let inner = Inner {
            cfg,
            commit_log,
            append: Mutex::new(AppendState {
                queues: HashMap::new(),
            }),
            queues: RwLock::new(HashMap::new()),
            index: RwLock::new(loaded.service),
            index_flushed_ts: AtomicI64::new(index_ts),
            verified_from: std::sync::atomic::AtomicU64::new(0),
            max_offset_tx,
            arrival: std::sync::OnceLock::new(),
            flushed_tx,
            flush_ctl: Mutex::new(FlushCtl {
                requested: 0,
                flushed: 0,
                waiters: Vec::new(),
                stop: false,
                paused: false,
            }),
            flush_cv: Condvar::new(),
            commit_cv: Condvar::new(),
            closed: AtomicBool::new(false),
            last_store_ts: AtomicI64::new(0),
            cl_file_size: cl_file_size as usize,
            cq_file_size: cq_file_size as usize,
            prefault: Prefault::new(),
            stats: Default::default(),
            begin_time_in_lock: AtomicI64::new(0),
            disk,
            clean_ctl: Mutex::new(Default::default()),
            clean_cv: Condvar::new(),
            clean_round_lock: Mutex::new(()),
        };
        recover(&inner)?;
        crate::store_lock::create_abort_file(&root)?;
        // The file being written may have been created sparse (by an older Rocklet): give it
        // its blocks now, so a full disk refuses puts instead of faulting a write. A full disk
        // at start is logged and the store starts read-only.
        if let Some(last) = inner.commit_log.last().filter(|f| !f.is_full()) {
            if let Err(e) = last.allocate_blocks() {
                if crate::disk::is_no_space(&e) {
                    inner.disk.alloc_failed(last.path(), &e);
                } else {
                    tracing::warn!(path = %last.path().display(), error = %e, "cannot allocate the blocks of the commit-log file being written");
                }
            }
        }
        let ratio = inner.check_disk();
        if !inner.disk.writable() {
            tracing::warn!(
                used = ratio,
                warning_level = inner.disk.warning(),
                "the store starts read-only: the disk is full; reads are served, puts are refused until space is freed"
            );
        } else if let Some(avail) = crate::disk::available_bytes(&cl_dir) {
            let need = (inner.cl_file_size + inner.cq_file_size) as u64;
            if avail < need {
                tracing::warn!(
                    available = avail,
                    need,
                    "less free disk space than a new commit-log file needs: puts are refused once the current file is full, until space is freed"
                );
            }
        }
        let max = inner.commit_log.max_offset().unwrap_or(0) as i64;
        inner.max_offset_tx.send_replace(max);
        let inner = Arc::new(inner);
        inner.flush_logics(false);
        let t = inner.clone();
        let mut flushers = vec![std::thread::Builder::new()
            .name("rocklet-flush".into())
            .spawn(move || flush_loop(t))
            .map_err(|e| StoreError::io(&root, e))?];
        if inner.cfg.flush_disk_type == FlushDiskType::SyncFlush {
            let t = inner.clone();
            flushers.push(
                std::thread::Builder::new()
                    .name("rocklet-commit".into())
                    .spawn(move || group_commit_loop(t))
                    .map_err(|e| StoreError::io(&root, e))?,
            );
        }
        let t = inner.clone();
        flushers.push(
            std::thread::Builder::new()
                .name("rocklet-clean".into())
                .spawn(move || super::clean::clean_loop(t))
                .map_err(|e| StoreError::io(&root, e))?,
        );
        let t = inner.clone();
        let prefaulter = std::thread::Builder::new()
            .name("rocklet-prefault".into())
            .spawn(move || t.prefault.run(&t.commit_log))
            .map_err(|e| StoreError::io(&root, e))?;
        Ok(Arc::new(MessageStore {
            inner,
            flushers: Mutex::new(flushers),
            prefaulter: Mutex::new(Some(prefaulter)),
            lock: Mutex::new(Some(lock)),
        }))
    }

    /// Destroy every consume queue of a topic `keep` refuses (Java `cleanUnusedTopic`; the
    /// commit log is untouched). Returns how many queues went.
    pub fn clean_unused_topics(&self, keep: impl Fn(&str) -> bool) -> usize {
        self.destroy_consume_queues(|topic, _, _| !keep(topic))
            .len()
    }

    /// Destroy the consume queues `doomed` picks: forgotten by readers and the appender, their
    /// files deleted. The commit log is untouched. Returns the queues removed.
    fn destroy_consume_queues(
        &self,
        doomed: impl Fn(&str, i32, &ConsumeQueue) -> bool,
    ) -> Vec<(String, i32)> {
        let inner = &self.inner;
        let mut removed = Vec::new();
        {
            // Both maps under their locks: no append can touch a queue while it goes.
            let mut st = inner.append.lock();
            let mut queues = inner.queues.write();
            for (topic, m) in queues.iter_mut() {
                m.retain(|q, cq| {
                    let kill = doomed(topic, *q, cq);
                    if kill {
                        removed.push((topic.clone(), *q));
                    }
                    !kill
                });
            }
            queues.retain(|_, m| !m.is_empty());
            for (topic, q) in &removed {
                if let Some(m) = st.queues.get_mut(topic) {
                    m.remove(q);
                    if m.is_empty() {
                        st.queues.remove(topic);
                    }
                }
            }
        }
        for (topic, q) in &removed {
            let dir = inner.cq_dir(topic, *q);
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "removing a consume queue failed");
            }
            if let Some(parent) = dir.parent() {
                // Only succeeds once the topic has no queue directory left.
                let _ = std::fs::remove_dir(parent);
            }
            tracing::info!(topic, queue = q, "consume queue destroyed");
        }
        removed
    }

    /// Queues whose every entry points below the commit log's first offset (their messages
    /// were deleted), as Java's `cleanExpiredConsumerQueue` judges them.
    pub fn clean_expired_consume_queues(&self, keep_topic: impl Fn(&str) -> bool) -> usize {
        let min = self.commit_log_min_offset();
        self.destroy_consume_queues(|topic, _, cq| {
            if keep_topic(topic) || cq.max_offset() == 0 {
                return false;
            }
            cq.entry(cq.max_offset() - 1)
                .is_some_and(|e| e.commit_log_offset < min)
        })
        .len()
    }

    /// Stops accepting writes, stops the flush thread, flushes everything and writes a clean
    /// checkpoint. Idempotent; also run on drop.
    pub fn shutdown(&self) {
        if !self.stop_flusher() {
            return;
        }
        self.inner.flush_logics(true);
        // A clean stop: no abort file, and the directory is free for the next broker.
        crate::store_lock::remove_abort_file(&self.inner.cfg.root_dir);
        self.lock.lock().take();
    }

    /// Test hook simulating a process crash: stops writes and the flush thread without the
    /// final flush or checkpoint (the page cache still holds written data, as after a real
    /// process crash).
    #[doc(hidden)]
    pub fn halt_without_flush(&self) {
        self.stop_flusher();
        // As after a crash: the abort file stays, the lock goes with the "process".
        self.lock.lock().take();
    }

    fn stop_flusher(&self) -> bool {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        // Wait for in-flight appends; `closed` is checked under this lock.
        drop(self.inner.append.lock());
        {
            let mut g = self.inner.flush_ctl.lock();
            g.stop = true;
            self.inner.flush_cv.notify_all();
            self.inner.commit_cv.notify_all();
        }
        {
            self.inner.clean_ctl.lock().stop = true;
            self.inner.clean_cv.notify_all();
        }
        for h in self.flushers.lock().drain(..) {
            let _ = h.join();
        }
        self.inner.prefault.stop();
        if let Some(h) = self.prefaulter.lock().take() {
            let _ = h.join();
        }
        true
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}
