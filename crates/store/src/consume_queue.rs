//! Consume queue of one (topic, queueId): fixed 20-byte entries indexed by queue offset.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::cq_entry::{CqEntry, CQ_STORE_UNIT_SIZE};
use crate::mapped_file::{MappedFile, MappedFileQueue, QueueAccess};

const UNIT: u64 = CQ_STORE_UNIT_SIZE as u64;

pub(crate) struct ConsumeQueue {
    pub topic: String,
    pub queue_id: i32,
    files: MappedFileQueue,
    /// Next logical offset to be written (Java `getMaxOffsetInQueue`).
    max_offset: AtomicI64,
    /// First readable logical offset.
    min_offset: AtomicI64,
}

impl ConsumeQueue {
    /// Loads (or creates the directory of) a consume queue and finds its valid entries with
    /// Java's rule (`offset >= 0 && size > 0`), stopping at the first invalid one.
    pub fn load(dir: PathBuf, topic: String, queue_id: i32, file_size: usize) -> io::Result<Self> {
        let files = MappedFileQueue::load_with(dir, file_size, false, QueueAccess::Random)?;
        let mut min = None;
        let mut end: Option<u64> = files.first().map(|f| f.from());
        'outer: for f in files.files() {
            let data = f.slice(0, f.size()).expect("recovery view");
            for (i, chunk) in data.chunks_exact(CQ_STORE_UNIT_SIZE).enumerate() {
                let e = CqEntry::decode(chunk).expect("20 bytes");
                if !e.is_valid() {
                    break 'outer;
                }
                let logical = (f.from() / UNIT) as i64 + i as i64;
                if min.is_none() && !e.is_pre_blank() {
                    min = Some(logical);
                }
                end = Some(f.from() + (i as u64 + 1) * UNIT);
            }
        }
        let max = end.map(|e| (e / UNIT) as i64).unwrap_or(0);
        let cq = ConsumeQueue {
            topic,
            queue_id,
            files,
            max_offset: AtomicI64::new(max),
            min_offset: AtomicI64::new(min.unwrap_or(max)),
        };
        if let Some(e) = end {
            cq.files.truncate(e)?;
        }
        Ok(cq)
    }

    pub fn max_offset(&self) -> i64 {
        self.max_offset.load(Ordering::Acquire)
    }

    pub fn min_offset(&self) -> i64 {
        self.min_offset.load(Ordering::Acquire)
    }

    /// Entry at logical offset `qo`, if published.
    pub fn entry(&self, qo: i64) -> Option<CqEntry> {
        if qo < 0 || qo >= self.max_offset() {
            return None;
        }
        let pos = qo as u64 * UNIT;
        let f = self.files.find(pos)?;
        let p = (pos - f.from()) as usize;
        CqEntry::decode(f.slice(p, CQ_STORE_UNIT_SIZE)?)
    }

    /// Ensures files exist for logical offsets `< end` so that [`Self::put`] cannot fail.
    /// Caller holds the append lock.
    pub fn reserve(&self, first: i64, end: i64) -> io::Result<()> {
        let size = self.files.file_size() as u64;
        let need_end = end as u64 * UNIT;
        loop {
            let next = match self.files.last() {
                Some(f) if f.from() + size >= need_end => return Ok(()),
                Some(f) => f.from() + size,
                None => crate::layout::file_start(size, first.max(0) as u64 * UNIT),
            };
            self.files.create(next)?;
        }
    }

    fn file_for(&self, pos: u64) -> Arc<MappedFile> {
        self.files.find(pos).expect("consume queue file reserved")
    }

    /// Writes the entry for logical offset `qo` and publishes it. Caller holds the append lock
    /// and has called [`Self::reserve`]. If `qo` is beyond the current end of an empty
    /// queue, the gap in its first file is filled with pre-blank entries.
    pub fn put(&self, qo: i64, e: CqEntry) {
        let max = self.max_offset();
        debug_assert!(qo >= max);
        let pos = qo as u64 * UNIT;
        let f = self.file_for(pos);
        let p = (pos - f.from()) as usize;
        if qo > max {
            let mut q = f.wrote();
            while q < p {
                // SAFETY: append lock held, unpublished region.
                CqEntry::PRE_BLANK.encode(unsafe { f.write_region(q, CQ_STORE_UNIT_SIZE) });
                q += CQ_STORE_UNIT_SIZE;
            }
            if self.min_offset() == max {
                self.min_offset.store(qo, Ordering::Release);
            }
            tracing::warn!(topic = %self.topic, queue_id = self.queue_id, max, qo, "gap in consume queue");
        }
        // SAFETY: append lock held; position at/after the write position.
        e.encode(unsafe { f.write_region(p, CQ_STORE_UNIT_SIZE) });
        f.set_wrote(p + CQ_STORE_UNIT_SIZE);
        self.max_offset.store(qo + 1, Ordering::Release);
    }

    /// Recovery: drop entries at logical offsets `>= n`.
    pub fn truncate_entries(&self, n: i64) -> io::Result<()> {
        if n >= self.max_offset() {
            return Ok(());
        }
        let n = n.max(self.min_offset());
        self.files.truncate(n as u64 * UNIT)?;
        self.max_offset.store(n, Ordering::Release);
        if self.min_offset() > n {
            self.min_offset.store(n, Ordering::Release);
        }
        Ok(())
    }

    /// Java `ConsumeQueue.deleteExpiredFile`: removes the files (never the last) whose last
    /// entry points below `min_phy`, the commit log's new first offset, then moves the min
    /// offset to the first entry at or above it. Returns how many files went.
    pub fn delete_expired(&self, min_phy: i64) -> usize {
        let size = self.files.file_size();
        let n = self
            .files
            .delete_front(usize::MAX, std::time::Duration::ZERO, |f| {
                f.slice(size - CQ_STORE_UNIT_SIZE, CQ_STORE_UNIT_SIZE)
                    .and_then(CqEntry::decode)
                    .is_some_and(|e| e.commit_log_offset < min_phy)
            })
            .len();
        self.correct_min_offset(min_phy);
        n
    }

    /// Java `correctMinOffset`: the min offset becomes the first entry of the first file
    /// pointing at or above `min_phy` (unchanged when none does). It never moves backwards.
    pub fn correct_min_offset(&self, min_phy: i64) {
        let Some(f) = self.files.first() else {
            return;
        };
        let Some(data) = f.slice(0, f.wrote()) else {
            return;
        };
        for (i, chunk) in data.chunks_exact(CQ_STORE_UNIT_SIZE).enumerate() {
            let Some(e) = CqEntry::decode(chunk) else {
                break;
            };
            if e.commit_log_offset >= min_phy {
                let logical = (f.from() / UNIT) as i64 + i as i64;
                if self.min_offset.fetch_max(logical, Ordering::AcqRel) < logical {
                    tracing::info!(topic = %self.topic, queue_id = self.queue_id, min_offset = logical, "consume queue min offset moved");
                }
                return;
            }
        }
    }

    pub fn flush(&self) -> io::Result<u64> {
        self.files.flush()
    }
}
