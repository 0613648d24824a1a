//! `ProcessQueue`: the messages of one assigned queue pulled and not yet consumed, in offset
//! order, with the counters flow control reads and the lock state of orderly consumption.

use parking_lot::Mutex;
use rocklet_protocol::time::now_ms;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use crate::message::MessageExt;

/// `REBALANCE_LOCK_MAX_LIVE_TIME`: a queue lock not renewed for this long is treated as lost.
pub(crate) const REBALANCE_LOCK_MAX_LIVE_TIME_MS: i64 = 30_000;
/// `PULL_MAX_IDLE_TIME`: a queue not pulled for this long is dropped at the next rebalance.
pub(crate) const PULL_MAX_IDLE_TIME_MS: i64 = 120_000;
/// `MessageConst.PROPERTY_CONSUME_START_TIMESTAMP`.
pub(crate) const CONSUME_START_TIME: &str = "CONSUME_START_TIME";

/// A cached message: shared with the consume request that carries it (one copy in memory
/// until a listener call takes its own), and when its listener call started (0: not yet;
/// Java's CONSUME_START_TIME property).
struct Entry {
    msg: Arc<MessageExt>,
    start_ms: i64,
}

#[derive(Default)]
struct Msgs {
    /// `msgTreeMap`.
    tree: BTreeMap<i64, Entry>,
    /// `consumingMsgOrderlyTreeMap`: taken by an orderly listener call, not yet committed.
    consuming_orderly: BTreeMap<i64, Arc<MessageExt>>,
    /// `msgCount` / `msgSize`: every message held, `tree` and `consuming_orderly`.
    count: i64,
    size: i64,
    /// `queueOffsetMax`.
    max_offset: i64,
    /// `consuming`: an orderly consume request is scheduled or running.
    consuming: bool,
}

/// One assigned queue's cache and state.
pub(crate) struct ProcessQueue {
    msgs: Mutex<Msgs>,
    pub(crate) dropped: AtomicBool,
    pub(crate) locked: AtomicBool,
    pub(crate) last_lock_ms: AtomicI64,
    pub(crate) last_pull_ms: AtomicI64,
    pub(crate) last_consume_ms: AtomicI64,
    pub(crate) try_unlock_times: AtomicI64,
    /// Held while an orderly listener call runs; a rebalance that removes the queue takes it
    /// (waiting at most 1 s) before unlocking the queue on the broker.
    pub(crate) consume_lock: tokio::sync::Mutex<()>,
    /// `MessageQueueLock`: one orderly consume request of the queue at a time.
    pub(crate) run_lock: tokio::sync::Mutex<()>,
}

impl Default for ProcessQueue {
    fn default() -> Self {
        let now = now_ms();
        ProcessQueue {
            msgs: Mutex::new(Msgs::default()),
            dropped: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            last_lock_ms: AtomicI64::new(now),
            last_pull_ms: AtomicI64::new(now),
            last_consume_ms: AtomicI64::new(now),
            try_unlock_times: AtomicI64::new(0),
            consume_lock: tokio::sync::Mutex::new(()),
            run_lock: tokio::sync::Mutex::new(()),
        }
    }
}

fn size_of(m: &MessageExt) -> i64 {
    m.raw_body.len() as i64
}

impl ProcessQueue {
    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }
    pub(crate) fn set_dropped(&self) {
        self.dropped.store(true, Ordering::Release);
    }
    pub(crate) fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }
    pub(crate) fn set_locked(&self, locked: bool) {
        if locked {
            self.last_lock_ms.store(now_ms(), Ordering::Release);
        }
        self.locked.store(locked, Ordering::Release);
    }
    pub(crate) fn is_lock_expired(&self) -> bool {
        now_ms() - self.last_lock_ms.load(Ordering::Acquire) > REBALANCE_LOCK_MAX_LIVE_TIME_MS
    }
    pub(crate) fn is_pull_expired(&self) -> bool {
        now_ms() - self.last_pull_ms.load(Ordering::Acquire) > PULL_MAX_IDLE_TIME_MS
    }

    /// `putMessage`: cache the pulled messages; returns whether an orderly consume request
    /// should be dispatched (messages are waiting and none is scheduled), and the messages as
    /// shared with the cache, for the consume requests.
    pub(crate) fn put_messages(&self, msgs: Vec<MessageExt>) -> (bool, Vec<Arc<MessageExt>>) {
        let shared: Vec<Arc<MessageExt>> = msgs.into_iter().map(Arc::new).collect();
        let mut m = self.msgs.lock();
        for msg in &shared {
            let size = size_of(msg);
            let e = Entry {
                msg: msg.clone(),
                start_ms: 0,
            };
            if m.tree.insert(msg.queue_offset, e).is_none() {
                m.count += 1;
                m.size += size;
            }
            m.max_offset = m.max_offset.max(msg.queue_offset);
        }
        let mut dispatch = false;
        if !m.tree.is_empty() && !m.consuming {
            m.consuming = true;
            dispatch = true;
        }
        (dispatch, shared)
    }

    /// (`msgCount`, `msgSize` in bytes).
    pub(crate) fn cached(&self) -> (i64, i64) {
        let m = self.msgs.lock();
        (m.count, m.size)
    }

    /// `getMaxSpan`: offset distance between the first and last cached message.
    pub(crate) fn max_span(&self) -> i64 {
        let m = self.msgs.lock();
        match (m.tree.first_key_value(), m.tree.last_key_value()) {
            (Some((a, _)), Some((b, _))) => b - a,
            _ => 0,
        }
    }

    /// `removeMessage`: the consumed messages leave the cache; returns the offset to commit
    /// (the first message still cached, else one past the largest ever cached), -1 when the
    /// cache was already empty.
    pub(crate) fn remove_messages(&self, offsets: &[i64], now: i64) -> i64 {
        let mut m = self.msgs.lock();
        self.last_consume_ms.store(now, Ordering::Release);
        if m.tree.is_empty() {
            return -1;
        }
        let mut result = m.max_offset + 1;
        for o in offsets {
            if let Some(e) = m.tree.remove(o) {
                m.count -= 1;
                m.size -= size_of(&e.msg);
            }
        }
        if let Some((first, _)) = m.tree.first_key_value() {
            result = *first;
        }
        result
    }

    /// Mark the messages at `offsets` as handed to a listener `now` (CONSUME_START_TIME).
    pub(crate) fn mark_consume_start(&self, offsets: &[i64], now: i64) {
        let mut m = self.msgs.lock();
        for o in offsets {
            if let Some(e) = m.tree.get_mut(o) {
                e.start_ms = now;
            }
        }
    }

    /// `cleanExpiredMsg`'s selection: up to 16 of the first cached messages whose listener call
    /// started more than `timeout_ms` ago.
    pub(crate) fn expired(&self, timeout_ms: i64) -> Vec<MessageExt> {
        let now = now_ms();
        let m = self.msgs.lock();
        m.tree
            .values()
            .take(16)
            .filter(|e| e.start_ms > 0 && now - e.start_ms > timeout_ms)
            .map(|e| {
                let mut msg = (*e.msg).clone();
                msg.properties
                    .insert(CONSUME_START_TIME, e.start_ms.to_string());
                msg
            })
            .collect()
    }

    /// `takeMessages` (orderly): move up to `n` of the first cached messages into the
    /// consuming set; when none is left, the queue's consume request ends (`consuming` false).
    pub(crate) fn take_messages(&self, n: usize) -> Vec<Arc<MessageExt>> {
        let now = now_ms();
        self.last_consume_ms.store(now, Ordering::Release);
        let mut m = self.msgs.lock();
        let mut out = Vec::new();
        while out.len() < n {
            let Some((o, e)) = m.tree.pop_first() else {
                break;
            };
            m.consuming_orderly.insert(o, e.msg.clone());
            out.push(e.msg);
        }
        if out.is_empty() {
            m.consuming = false;
        }
        out
    }

    /// `commit` (orderly): the taken messages are done; returns the offset to commit, -1 when
    /// none was taken.
    pub(crate) fn commit(&self) -> i64 {
        let mut m = self.msgs.lock();
        let Some((&last, _)) = m.consuming_orderly.last_key_value() else {
            return -1;
        };
        let taken = std::mem::take(&mut m.consuming_orderly);
        m.count -= taken.len() as i64;
        m.size -= taken.values().map(|msg| size_of(msg)).sum::<i64>();
        last + 1
    }

    /// `makeMessageToConsumeAgain` (orderly): the taken `msgs` (with their reconsume counts
    /// raised by the caller) go back to the front of the cache.
    pub(crate) fn consume_again(&self, msgs: &[Arc<MessageExt>]) {
        let mut m = self.msgs.lock();
        for msg in msgs {
            m.consuming_orderly.remove(&msg.queue_offset);
            let e = Entry {
                msg: msg.clone(),
                start_ms: 0,
            };
            m.tree.insert(msg.queue_offset, e);
        }
    }

    /// `hasTempMessage`: anything cached.
    pub(crate) fn has_temp_message(&self) -> bool {
        !self.msgs.lock().tree.is_empty()
    }

    /// `clear`: drop every cached message (reset offset).
    pub(crate) fn clear(&self) {
        let mut m = self.msgs.lock();
        m.tree.clear();
        m.consuming_orderly.clear();
        m.count = 0;
        m.size = 0;
        m.max_offset = 0;
    }

    /// `ProcessQueueInfo` for GET_CONSUMER_RUNNING_INFO, as (field, value) in fastjson's order.
    pub(crate) fn info(&self, commit_offset: i64) -> serde_json::Value {
        let m = self.msgs.lock();
        serde_json::json!({
            "cachedMsgCount": m.count,
            "cachedMsgMaxOffset": m.tree.last_key_value().map_or(0, |(k, _)| *k),
            "cachedMsgMinOffset": m.tree.first_key_value().map_or(0, |(k, _)| *k),
            "cachedMsgSizeInMiB": m.size / (1024 * 1024),
            "commitOffset": commit_offset,
            "droped": self.is_dropped(),
            "lastConsumeTimestamp": self.last_consume_ms.load(Ordering::Relaxed),
            "lastLockTimestamp": self.last_lock_ms.load(Ordering::Relaxed),
            "lastPullTimestamp": self.last_pull_ms.load(Ordering::Relaxed),
            "locked": self.is_locked(),
            "transactionMsgCount": m.consuming_orderly.len(),
            "transactionMsgMaxOffset": m.consuming_orderly.last_key_value().map_or(0, |(k, _)| *k),
            "transactionMsgMinOffset": m.consuming_orderly.first_key_value().map_or(0, |(k, _)| *k),
            "tryUnlockTimes": self.try_unlock_times.load(Ordering::Relaxed),
        })
    }
}
