//! Reading: messages of a queue from a logical offset (Java `getMessage`), lookups by
//! commit-log offset, store time and key, and queue/commit-log offsets.

use bytes::Bytes;
use tokio::sync::watch;

use crate::mapped_file::bytes_of;
use crate::properties;
use crate::record::{self, Peek};

use super::{GetResult, GetStatus, Inner, MessageStore};

impl Inner {
    fn read_record(&self, phy: i64, size: i32) -> Option<Bytes> {
        if phy < 0 || size <= 0 {
            return None;
        }
        let f = self.commit_log.find(phy as u64)?;
        let b = bytes_of(&f, (phy as u64 - f.from()) as usize, size as usize)?;
        self.intact(phy, &b).then_some(b)
    }

    /// False for a record in a file recovery did not check whose framing or body CRC is wrong
    /// (damage on disk since it was written): reported at error level and counted, never
    /// served as a good message. Java serves such a record as is (its read path and its
    /// client's decoder do not check the CRC).
    fn intact(&self, phy: i64, b: &[u8]) -> bool {
        if phy as u64
            >= self
                .verified_from
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            return true;
        }
        match record::decode_ref(b, true) {
            Ok(r) if r.physical_offset == phy => true,
            Ok(r) => {
                self.stats.damaged_read();
                tracing::error!(
                    offset = phy,
                    stored_offset = r.physical_offset,
                    "damaged commit-log record not served: its stored physical offset is wrong"
                );
                false
            }
            Err(e) => {
                self.stats.damaged_read();
                tracing::error!(offset = phy, error = %e, "damaged commit-log record not served (a file older than the last recovery's scan; the damage happened on disk)");
                false
            }
        }
    }

    fn store_time_of(&self, phy: i64, size: i32) -> Option<i64> {
        if phy < 0 || size <= 0 {
            return None;
        }
        let f = self.commit_log.find(phy as u64)?;
        let s = f.slice((phy as u64 - f.from()) as usize, size as usize)?;
        record::pickup_store_timestamp(s)
    }

    fn look(&self, phy: i64) -> Option<Bytes> {
        if phy < 0 {
            return None;
        }
        let f = self.commit_log.find(phy as u64)?;
        let pos = (phy as u64 - f.from()) as usize;
        match record::peek(f.slice(pos, 8)?) {
            Ok(Peek::Message(n)) => bytes_of(&f, pos, n).filter(|b| self.intact(phy, b)),
            _ => None,
        }
    }
}

/// The commit-log stage of a pull's filter: true to serve the stored record.
pub type RecordFilter<'a> = &'a dyn Fn(&[u8]) -> bool;

impl MessageStore {
    /// Reads up to `max_msg_nums` messages from a queue starting at logical `offset`
    /// (Java `DefaultMessageStore.getMessage`, as a master). A queue that was never written
    /// behaves as an empty queue (`NoMessageInQueue`), like Java which creates it on demand.
    pub fn get_message(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        tag_filter: Option<&dyn Fn(i64) -> bool>,
    ) -> GetResult {
        self.get_message_filtered(topic, queue_id, offset, max_msg_nums, tag_filter, None)
    }

    /// [`MessageStore::get_message`] with Java's two filter stages (`MessageFilter`): the
    /// consume-queue stage on the tags code (`isMatchedByConsumeQueue`) and the commit-log stage
    /// on the stored record (`isMatchedByCommitLog`, e.g. an SQL92 expression over the
    /// properties). A record either stage refuses is skipped and the next offset moves past it;
    /// when nothing in the range matched the status is `NoMatchedMessage`.
    pub fn get_message_filtered(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        tag_filter: Option<&dyn Fn(i64) -> bool>,
        record_filter: Option<RecordFilter<'_>>,
    ) -> GetResult {
        let res = self.read_queue(
            topic,
            queue_id,
            offset,
            max_msg_nums,
            tag_filter,
            record_filter,
        );
        self.inner.stats.got(res.messages.len() as u64);
        res
    }

    fn read_queue(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        tag_filter: Option<&dyn Fn(i64) -> bool>,
        record_filter: Option<RecordFilter<'_>>,
    ) -> GetResult {
        let inner = &self.inner;
        let mut res = GetResult {
            status: GetStatus::NoMessageInQueue,
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
            messages: Vec::new(),
        };
        let Some(cq) = inner.find_cq(topic, queue_id) else {
            return res;
        };
        let (min, max) = (cq.min_offset(), cq.max_offset());
        res.min_offset = min;
        res.max_offset = max;
        if max == 0 {
            res.status = GetStatus::NoMessageInQueue;
            res.next_begin_offset = 0;
        } else if offset < min {
            res.status = GetStatus::OffsetTooSmall;
            res.next_begin_offset = min;
        } else if offset == max {
            res.status = GetStatus::OffsetOverflowOne;
            res.next_begin_offset = offset;
        } else if offset > max {
            res.status = GetStatus::OffsetOverflowBadly;
            res.next_begin_offset = if min == 0 { min } else { max };
        } else {
            res.status = GetStatus::NoMatchedMessage;
            let max_filter = (max_msg_nums.max(0) as i64).max(800);
            let max_count = inner.cfg.max_transfer_count_on_message;
            let max_bytes = inner.cfg.max_transfer_bytes_on_message;
            let mut total_bytes = 0usize;
            let mut i = offset;
            while i < max && i - offset < max_filter {
                let Some(e) = cq.entry(i) else {
                    if res.messages.is_empty() {
                        res.status = GetStatus::OffsetFoundNull;
                    }
                    break;
                };
                let n = res.messages.len();
                if n > 0
                    && total_bytes > 0
                    && (max_msg_nums as usize <= n
                        || total_bytes + e.size.max(0) as usize > max_bytes
                        || n >= max_count)
                {
                    break;
                }
                i += 1;
                if e.is_pre_blank() || !e.is_valid() {
                    continue;
                }
                if let Some(f) = tag_filter {
                    if !f(e.tags_code) {
                        continue;
                    }
                }
                match inner.read_record(e.commit_log_offset, e.size) {
                    Some(b) if record_filter.is_some_and(|f| !f(&b)) => {}
                    Some(b) => {
                        total_bytes += b.len();
                        res.messages.push(b);
                        res.status = GetStatus::Found;
                    }
                    None => {
                        if res.messages.is_empty() {
                            res.status = GetStatus::MessageWasRemoving;
                        }
                    }
                }
            }
            res.next_begin_offset = i;
        }
        res
    }

    /// Java `checkInDiskByConsumeOffset`: whether the message at `offset` of the queue lies
    /// further behind the commit log's end than `accessMessageInMemoryMaxRatio` % of the
    /// machine's physical memory (so is not expected in the page cache). False for an unknown
    /// queue or offset.
    pub fn in_disk_by_consume_offset(&self, topic: &str, queue_id: i32, offset: i64) -> bool {
        let Some(e) = self
            .inner
            .find_cq(topic, queue_id)
            .and_then(|cq| cq.entry(offset))
        else {
            return false;
        };
        let memory = total_physical_memory()
            .saturating_mul(self.inner.cfg.access_message_in_memory_max_ratio as u64)
            / 100;
        let behind = self.commit_log_max_offset() - e.commit_log_offset;
        behind > 0 && behind as u64 > memory
    }

    /// Next queue offset to be written (0 for an unknown queue).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .find_cq(topic, queue_id)
            .map(|c| c.max_offset())
            .unwrap_or(0)
    }

    /// First readable queue offset (0 for an unknown queue, as Java's on-demand queue).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .find_cq(topic, queue_id)
            .map(|c| c.min_offset())
            .unwrap_or(0)
    }

    /// Store timestamp of the first message of the queue.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        let e = cq.entry(cq.min_offset())?;
        self.inner.store_time_of(e.commit_log_offset, e.size)
    }

    /// Store timestamp of the message at a queue offset.
    pub fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        let e = cq.entry(offset)?;
        self.inner.store_time_of(e.commit_log_offset, e.size)
    }

    /// Java `getOffsetInQueueByTime`: binary search on store timestamps; an exact match, or
    /// the nearer neighbour (the last entry if `timestamp_ms` is after all, the first if
    /// before all). 0 for an empty or unknown queue.
    pub fn offset_in_queue_by_time(&self, topic: &str, queue_id: i32, timestamp_ms: i64) -> i64 {
        let Some(cq) = self.inner.find_cq(topic, queue_id) else {
            return 0;
        };
        let min_phy = self.commit_log_min_offset();
        crate::search::offset_by_time(
            cq.min_offset(),
            cq.max_offset(),
            timestamp_ms,
            min_phy,
            |i| cq.entry(i).map(|e| e.commit_log_offset),
            |i| {
                let e = cq.entry(i)?;
                self.inner.store_time_of(e.commit_log_offset, e.size)
            },
        )
    }

    /// The raw record at a commit-log offset (None unless a message record starts there).
    pub fn look_message_by_offset(&self, commit_log_offset: i64) -> Option<Bytes> {
        self.inner.look(commit_log_offset)
    }

    /// Whether the key index covers every commit-log file: always, since the index is
    /// persisted (`index/`) and recovery indexes what it lacks before `open` returns.
    pub fn key_index_ready(&self) -> bool {
        true
    }

    /// Messages of `topic` having `key` among their space-separated KEYS or as UNIQ_KEY,
    /// stored within `[begin_ts, end_ts]`, newest first, at most `max_num` (Java
    /// `IndexService.queryOffset`: index files newest first, each slot's chain followed).
    /// Each candidate is checked against its record (topic, key, store time), so hash
    /// collisions and entries of deleted files are skipped.
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin_ts: i64,
        end_ts: i64,
    ) -> Vec<Bytes> {
        let mut out: Vec<(i64, Bytes)> = Vec::new();
        if max_num == 0 {
            return Vec::new();
        }
        let idx = self.inner.index.read();
        idx.query(topic, key, begin_ts, end_ts, &mut |phy| {
            if out.iter().any(|(p, _)| *p == phy) {
                return true;
            }
            let Some(b) = self.inner.look(phy) else {
                return true;
            };
            let Ok(r) = record::decode_ref(&b, false) else {
                return true;
            };
            if r.topic == topic
                && r.store_timestamp >= begin_ts
                && r.store_timestamp <= end_ts
                && properties::has_index_key(&r.properties, key)
            {
                out.push((phy, b));
            }
            out.len() < max_num
        });
        drop(idx);
        out.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
        out.into_iter().map(|(_, b)| b).collect()
    }

    /// Receiver of the commit-log max offset, bumped after each put.
    pub fn subscribe_new_messages(&self) -> watch::Receiver<i64> {
        self.inner.max_offset_tx.subscribe()
    }

    /// Start offset of the first commit-log file (0 when the log is empty).
    pub fn commit_log_min_offset(&self) -> i64 {
        self.inner
            .commit_log
            .first()
            .map(|f| f.from() as i64)
            .unwrap_or(0)
    }

    /// Offset after the last written commit-log byte.
    pub fn commit_log_max_offset(&self) -> i64 {
        self.inner.commit_log.max_offset().unwrap_or(0) as i64
    }

    /// Consume-queue entries `[index, index + count)` of a queue with its min and max offsets
    /// (QUERY_CONSUME_QUEUE); `None` when the queue does not exist.
    pub fn consume_queue_entries(
        &self,
        topic: &str,
        queue_id: i32,
        index: i64,
        count: usize,
    ) -> Option<(i64, i64, Vec<crate::cq_entry::CqEntry>)> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        let entries = (index.max(0)..cq.max_offset())
            .take(count)
            .map_while(|qo| cq.entry(qo))
            .collect();
        Some((cq.min_offset(), cq.max_offset(), entries))
    }

    /// All (topic, queueId) pairs with a consume queue, sorted.
    pub fn topic_queues(&self) -> Vec<(String, i32)> {
        let mut v: Vec<(String, i32)> = self
            .inner
            .queues
            .read()
            .iter()
            .flat_map(|(t, m)| m.keys().map(move |q| (t.clone(), *q)))
            .collect();
        v.sort();
        v
    }
}

/// The machine's physical memory in bytes (`MemTotal` of /proc/meminfo; Java's
/// `StoreUtil.TOTAL_PHYSICAL_MEMORY_SIZE`), read once; 0 when unknown.
fn total_physical_memory() -> u64 {
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
            .map_or(0, |kb| kb * 1024)
    })
}
