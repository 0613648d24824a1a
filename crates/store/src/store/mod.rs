//! The message store: commit log + consume queues + key index + checkpoint + recovery.
//!
//! One `MessageStore`, its rooms by concern (each holds `impl MessageStore` / `impl Inner`
//! blocks for its part):
//! * [`types`]: what callers put and get back (`PutMessage`, `PutResult`, `GetResult`, ...);
//! * `append`: checking and encoding puts into the commit log, consume-queue dispatch and key
//!   indexing under the append lock;
//! * `flush`: the periodic flush thread, the SYNC_FLUSH group commit, the checkpoint write;
//! * `read`: reads by queue offset, commit-log offset, time and key;
//! * `lifecycle`: open, shutdown, destroying consume queues;
//! * `recovery`: the recovery run at open and the background indexing of older files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, RwLock};
use tokio::sync::watch;

use crate::config::StoreConfig;
use crate::consume_queue::ConsumeQueue;
use crate::error::StoreError;
use crate::index::IndexService;
use crate::mapped_file::{MappedFile, MappedFileQueue};
use crate::prefault::Prefault;

mod append;
mod clean;
mod flush;
mod lifecycle;
mod read;
mod recovery;
mod types;

pub use types::{GetResult, GetStatus, PutMessage, PutResult, PutStatus};

type QueueMap = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// Called after a put with the topic, the queue id and the queue's new max offset (one past
/// its last message), outside the store's locks; it must not block.
pub type ArrivalListener = std::sync::Arc<dyn Fn(&str, i32, i64) + Send + Sync>;

struct AppendState {
    /// Private mirror of `Inner::queues` so the hot path needs no second lock.
    queues: QueueMap,
}

struct FlushCtl {
    requested: i64,
    flushed: i64,
    /// SYNC_FLUSH puts waiting for `flushed` to reach their end offset. The flush thread wakes
    /// exactly the ones a round covers (a watch channel woke every waiter on every round).
    waiters: Vec<(i64, tokio::sync::oneshot::Sender<()>)>,
    stop: bool,
    /// Test hook: the flush threads do nothing while set.
    paused: bool,
}

struct Inner {
    cfg: StoreConfig,
    commit_log: MappedFileQueue,
    append: Mutex<AppendState>,
    queues: RwLock<QueueMap>,
    /// The key index (`index/`); written under the append lock.
    index: RwLock<IndexService>,
    /// The index's endTimestamp at its last msync (the checkpoint's indexMsgTimestamp).
    index_flushed_ts: AtomicI64,
    /// Commit-log offset from which every record is known intact: recovery checked framing and
    /// CRC from here, and this process wrote the rest. Records below it (older files, never
    /// checked since they were written) have their body CRC checked when read.
    verified_from: std::sync::atomic::AtomicU64,
    max_offset_tx: watch::Sender<i64>,
    /// Told of every put that reaches a consume queue (Java's `MessageArrivingListener`).
    arrival: std::sync::OnceLock<ArrivalListener>,
    flushed_tx: watch::Sender<i64>,
    flush_ctl: Mutex<FlushCtl>,
    flush_cv: Condvar,
    /// Wakes the group-commit threads (SYNC_FLUSH).
    commit_cv: Condvar,
    closed: AtomicBool,
    last_store_ts: AtomicI64,
    cl_file_size: usize,
    cq_file_size: usize,
    prefault: Prefault,
    stats: crate::stats::StoreStats,
    /// When the put holding the append lock took it (ms since the epoch), 0 while nobody
    /// holds it: Java's `CommitLog.beginTimeInLock`.
    begin_time_in_lock: AtomicI64,
    disk: crate::disk::DiskGuard,
    clean_ctl: Mutex<clean::CleanCtl>,
    clean_cv: Condvar,
    /// Serializes clean rounds (the thread's and [`MessageStore::clean_now`]'s).
    clean_round_lock: Mutex<()>,
}

/// A durable RocketMQ-style message store. `Send + Sync`; share it behind the `Arc`
/// returned by [`MessageStore::open`].
///
/// Threads: the periodic flush thread, the group-commit thread (SyncFlush only) and the
/// prefault thread (see the crate docs), stopped by [`MessageStore::shutdown`] (also run on
/// drop).
/// Consume-queue dispatch happens synchronously inside `put_message`, so a message is
/// visible to `get_message` as soon as its put returns (and before the
/// `subscribe_new_messages` notification).
pub struct MessageStore {
    inner: Arc<Inner>,
    flushers: Mutex<Vec<JoinHandle<()>>>,
    prefaulter: Mutex<Option<JoinHandle<()>>>,
    /// The store directory's `lock`, held until shutdown.
    lock: Mutex<Option<crate::store_lock::StoreLock>>,
}

use rocklet_protocol::time::now_ms;

/// The topic rules of `rocklet_protocol::topic` (whose characters are also safe directory
/// names for the consume queues).
fn validate_topic(topic: &str) -> Result<(), StoreError> {
    use rocklet_protocol::topic::{check_topic, NameError};
    match check_topic(topic) {
        Ok(()) => Ok(()),
        Err(NameError::TooLong) => Err(StoreError::TopicTooLong(topic.len())),
        Err(_) => Err(StoreError::InvalidTopic(topic.to_owned())),
    }
}

impl Inner {
    fn cq_dir(&self, topic: &str, queue_id: i32) -> PathBuf {
        self.cfg
            .root_dir
            .join("consumequeue")
            .join(topic)
            .join(queue_id.to_string())
    }

    fn checkpoint_path(&self) -> PathBuf {
        self.cfg.root_dir.join("checkpoint")
    }

    fn cq_get_or_create(
        &self,
        st: &mut AppendState,
        topic: &str,
        queue_id: i32,
    ) -> Result<Arc<ConsumeQueue>, StoreError> {
        if let Some(c) = st.queues.get(topic).and_then(|m| m.get(&queue_id)) {
            return Ok(c.clone());
        }
        let dir = self.cq_dir(topic, queue_id);
        let cq = ConsumeQueue::load(dir.clone(), topic.to_owned(), queue_id, self.cq_file_size)
            .map_err(|e| StoreError::io(dir, e))?;
        let cq = Arc::new(cq);
        st.queues
            .entry(topic.to_owned())
            .or_default()
            .insert(queue_id, cq.clone());
        self.queues
            .write()
            .entry(topic.to_owned())
            .or_default()
            .insert(queue_id, cq.clone());
        Ok(cq)
    }

    fn find_cq(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.queues.read().get(topic)?.get(&queue_id).cloned()
    }

    fn cl_io(&self, e: std::io::Error) -> StoreError {
        let err = StoreError::io(self.cfg.root_dir.join("commitlog"), e);
        self.note_no_space(&err);
        err
    }

    /// An allocation failure makes the store refuse puts until the disk check finds room.
    fn note_no_space(&self, err: &StoreError) {
        if let StoreError::NoSpace { path, source } = err {
            self.disk.alloc_failed(path, source);
        }
    }
}

impl MessageStore {
    /// The configuration the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.cfg
    }

    /// Totals since the store opened: messages and bytes put, reads and messages read.
    pub fn stats(&self) -> crate::stats::StoreTotals {
        self.inner.stats.totals()
    }

    /// Java `CommitLog.lockTimeMills` (the runtime info's `pageCacheLockTimeMills`): how long
    /// the put appending now has held the append lock, 0 when none does.
    pub fn lock_time_ms(&self) -> i64 {
        self.inner.lock_time_ms(now_ms())
    }

    /// Test hook: pretend the append lock was taken at `begin_ms` (0: free), as a put stuck
    /// in a slow page fault would leave it.
    #[doc(hidden)]
    pub fn set_lock_begin_for_test(&self, begin_ms: i64) {
        self.inner
            .begin_time_in_lock
            .store(begin_ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Flush durations per bucket (see [`crate::stats::FLUSH_LATENCY_BOUNDS_US`]) and their sum.
    pub fn flush_latency(&self) -> (Vec<u64>, u64) {
        self.inner.stats.flush_latency()
    }
}

impl Inner {
    fn lock_time_ms(&self, now: i64) -> i64 {
        let begin = self
            .begin_time_in_lock
            .load(std::sync::atomic::Ordering::Relaxed);
        if begin > 0 {
            (now - begin).max(0)
        } else {
            0
        }
    }

    /// Java `isOSPageCacheBusy`: the put holding the append lock has held it longer than
    /// `osPageCacheBusyTimeOutMills` (a difference of 10 000 000 ms or more is a clock jump).
    fn os_page_cache_busy(&self, now: i64) -> bool {
        let begin = self
            .begin_time_in_lock
            .load(std::sync::atomic::Ordering::Relaxed);
        let diff = now - begin;
        begin > 0 && diff < 10_000_000 && diff > self.cfg.os_page_cache_busy_timeout_ms as i64
    }
}

/// Marks the append lock taken (`beginTimeInLock`) until dropped; dropped before the lock is.
pub(super) struct InLock<'a>(&'a AtomicI64);

impl<'a> InLock<'a> {
    pub(super) fn new(begin: &'a AtomicI64, now: i64) -> Self {
        begin.store(now.max(1), std::sync::atomic::Ordering::Relaxed);
        InLock(begin)
    }
}

impl Drop for InLock<'_> {
    fn drop(&mut self) {
        self.0.store(0, std::sync::atomic::Ordering::Relaxed);
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<MessageStore>();
    is::<MappedFile>();
}
