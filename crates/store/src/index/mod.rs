//! The persisted key index, in Java 4.9.3's `IndexFile` layout (`<root>/index/`).
//!
//! Each file is named by its creation time (`yyyyMMddHHmmssSSS`, local time) and holds, in
//! big-endian:
//! * a 40-byte header: beginTimestamp i64, endTimestamp i64, beginPhyOffset i64, endPhyOffset
//!   i64, hashSlotCount i32 (slots in use), indexCount i32 (next entry to write; starts at 1, so
//!   entry 0 is never used);
//! * `hashSlotNum` 4-byte slots: the newest entry whose key hashes there (0 = none);
//! * `indexNum` 20-byte entries: keyHash i32, phyOffset i64, timeDiff i32 (seconds since the
//!   file's beginTimestamp), prevIndex i32 (the previous entry of the same slot, 0 = none).
//!
//! The key of an entry is Java's `topic + "#" + key`, hashed with `String.hashCode` made
//! non-negative (`Math.abs`, `Integer.MIN_VALUE` -> 0). A file is full when indexCount reaches
//! indexNum; the next key goes to a new file whose begin offsets and times start at the full
//! file's end. Files are mapped: the index lives in the page cache, not on the heap.
//!
//! Hashes collide; lookups return candidate commit-log offsets and the store checks topic, key
//! and time against the record. Every read of a header, slot or entry is bounds-checked: a
//! damaged file is refused at load (and rebuilt from the commit log), never a panic.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{Local, NaiveDateTime, TimeZone};

use crate::mapped_file::{Access, MappedFile};

/// `IndexHeader.INDEX_HEADER_SIZE`.
pub(crate) const HEADER_SIZE: usize = 40;
const SLOT_SIZE: usize = 4;
const ENTRY_SIZE: usize = 20;
const BEGIN_TS: usize = 0;
const END_TS: usize = 8;
const BEGIN_PHY: usize = 16;
const END_PHY: usize = 24;
const SLOT_COUNT: usize = 32;
const INDEX_COUNT: usize = 36;

/// Java `String.hashCode` of `topic + "#" + key` (over UTF-16 code units), made non-negative as
/// `IndexFile.indexKeyHashMethod` does.
pub(crate) fn key_hash(topic: &str, key: &str) -> i32 {
    positive(rocklet_protocol::message::java_string_hash_of(&[
        topic, "#", key,
    ]))
}

/// `Math.abs`, with `Integer.MIN_VALUE` (which stays negative) made 0.
fn positive(h: i32) -> i32 {
    let a = h.wrapping_abs();
    if a < 0 {
        0
    } else {
        a
    }
}

/// The index keys of a message in Java's order (`IndexService.buildIndex`): UNIQ_KEY first
/// (when present), then each non-empty space-separated KEYS item.
pub(crate) fn index_keys(props: &str, mut f: impl FnMut(&str)) {
    let mut keys = None;
    let mut uniq = None;
    for (k, v) in crate::properties::iter(props) {
        if k == crate::properties::KEYS {
            keys = Some(v);
        } else if k == crate::properties::UNIQ_KEY {
            uniq = Some(v);
        }
    }
    if let Some(u) = uniq {
        f(u);
    }
    if let Some(keys) = keys {
        for k in keys
            .split(crate::properties::KEY_SEPARATOR)
            .filter(|k| !k.is_empty())
        {
            f(k);
        }
    }
}

/// How many keys [`index_keys`] gives.
pub(crate) fn count_keys(props: &str) -> usize {
    let mut n = 0;
    index_keys(props, |_| n += 1);
    n
}

/// Java `UtilAll.timeMillisToHumanString`: `yyyyMMddHHmmssSSS` in local time.
pub(crate) fn human_time(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).earliest() {
        Some(t) => t.format("%Y%m%d%H%M%S%3f").to_string(),
        None => format!("{:017}", ms.max(0)),
    }
}

fn parse_human_time(name: &str) -> Option<i64> {
    if name.len() != 17 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(name, "%Y%m%d%H%M%S%3f").ok()?;
    Local
        .from_local_datetime(&t)
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// Whether a file name looks like an index file's (17 digits).
fn is_index_name(name: &str) -> bool {
    name.len() == 17 && name.bytes().all(|b| b.is_ascii_digit())
}

/// Errors of an index file found damaged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Damage {
    #[error("length {len}, expected {expected} for hashSlotNum {slots} and indexNum {num}")]
    Length {
        len: u64,
        expected: u64,
        slots: usize,
        num: usize,
    },
    #[error("indexCount {count} above indexNum {num}")]
    Count { count: i32, num: usize },
}

/// The header fields (cached; every change is written through to the file, as Java does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub begin_timestamp: i64,
    pub end_timestamp: i64,
    pub begin_phy_offset: i64,
    pub end_phy_offset: i64,
    pub hash_slot_count: i32,
    pub index_count: i32,
}

/// One index file.
pub(crate) struct IndexFile {
    map: Arc<MappedFile>,
    name: String,
    slots: usize,
    num: usize,
    h: Header,
    /// Written since the last flush.
    dirty: Arc<AtomicBool>,
}

fn file_len(slots: usize, num: usize) -> usize {
    HEADER_SIZE + slots * SLOT_SIZE + num * ENTRY_SIZE
}

impl IndexFile {
    fn bytes(&self, pos: usize, len: usize) -> Option<&[u8]> {
        self.map.slice(pos, len)
    }

    fn get_i32(&self, pos: usize) -> Option<i32> {
        let b = self.bytes(pos, 4)?;
        Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn get_i64(&self, pos: usize) -> Option<i64> {
        let b = self.bytes(pos, 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(i64::from_be_bytes(a))
    }

    /// Writes `b` at `pos`. `&mut self`: the service's write lock makes the writer exclusive.
    fn put(&mut self, pos: usize, b: &[u8]) {
        if pos
            .checked_add(b.len())
            .is_none_or(|end| end > self.map.size())
        {
            return; // cannot happen: every position is computed within the file's layout
        }
        // SAFETY: in bounds (checked above); writers are exclusive (`&mut self` under the
        // index write lock) and readers only read under the read lock.
        let region = unsafe { self.map.write_region(pos, b.len()) };
        region.copy_from_slice(b);
        self.dirty.store(true, Ordering::Release);
    }

    fn write_header(&mut self) {
        let h = self.h;
        let mut b = [0u8; HEADER_SIZE];
        b[BEGIN_TS..BEGIN_TS + 8].copy_from_slice(&h.begin_timestamp.to_be_bytes());
        b[END_TS..END_TS + 8].copy_from_slice(&h.end_timestamp.to_be_bytes());
        b[BEGIN_PHY..BEGIN_PHY + 8].copy_from_slice(&h.begin_phy_offset.to_be_bytes());
        b[END_PHY..END_PHY + 8].copy_from_slice(&h.end_phy_offset.to_be_bytes());
        b[SLOT_COUNT..SLOT_COUNT + 4].copy_from_slice(&h.hash_slot_count.to_be_bytes());
        b[INDEX_COUNT..INDEX_COUNT + 4].copy_from_slice(&h.index_count.to_be_bytes());
        self.put(0, &b);
    }

    fn create(dir: &Path, name: String, slots: usize, num: usize) -> io::Result<Self> {
        let f = MappedFile::create_at(dir.join(&name), 0, file_len(slots, num), true)?;
        f.set_wrote(f.size());
        f.advise(Access::Random);
        Ok(IndexFile {
            map: Arc::new(f),
            name,
            slots,
            num,
            h: Header {
                index_count: 1,
                ..Header::default()
            },
            dirty: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Opens an existing file and reads its header (`IndexFile.load`).
    fn open(path: PathBuf, name: String, slots: usize, num: usize) -> Result<Self, OpenError> {
        let expected = file_len(slots, num);
        let len = fs::metadata(&path).map_err(OpenError::Io)?.len();
        if len != expected as u64 {
            return Err(OpenError::Damaged(Damage::Length {
                len,
                expected: expected as u64,
                slots,
                num,
            }));
        }
        let f = MappedFile::open(path, 0, expected).map_err(OpenError::Io)?;
        f.advise(Access::Random);
        let mut file = IndexFile {
            map: Arc::new(f),
            name,
            slots,
            num,
            h: Header::default(),
            dirty: Arc::new(AtomicBool::new(false)),
        };
        let g = |p| file.get_i64(p).unwrap_or(0);
        let mut h = Header {
            begin_timestamp: g(BEGIN_TS),
            end_timestamp: g(END_TS),
            begin_phy_offset: g(BEGIN_PHY),
            end_phy_offset: g(END_PHY),
            hash_slot_count: file.get_i32(SLOT_COUNT).unwrap_or(0),
            index_count: file.get_i32(INDEX_COUNT).unwrap_or(0),
        };
        if h.index_count <= 0 {
            h.index_count = 1;
        }
        if h.index_count as usize > num {
            return Err(OpenError::Damaged(Damage::Count {
                count: h.index_count,
                num,
            }));
        }
        file.h = h;
        Ok(file)
    }

    pub fn is_write_full(&self) -> bool {
        self.h.index_count as usize >= self.num
    }

    /// Entries still free.
    fn room(&self) -> usize {
        self.num.saturating_sub(self.h.index_count.max(1) as usize)
    }

    fn has_entries(&self) -> bool {
        self.h.index_count > 1
    }

    fn slot_pos(&self, hash: i32) -> usize {
        HEADER_SIZE + (hash.max(0) as usize % self.slots) * SLOT_SIZE
    }

    fn entry_pos(&self, i: usize) -> usize {
        HEADER_SIZE + self.slots * SLOT_SIZE + i * ENTRY_SIZE
    }

    /// `IndexFile.putKey`: false when the file is full.
    fn put_key(&mut self, hash: i32, phy: i64, store_ts: i64) -> bool {
        if self.is_write_full() {
            return false;
        }
        let count = self.h.index_count;
        let slot_pos = self.slot_pos(hash);
        let mut slot = self.get_i32(slot_pos).unwrap_or(0);
        if slot <= 0 || slot > count {
            slot = 0;
        }
        let diff = if self.h.begin_timestamp <= 0 {
            0
        } else {
            (store_ts.saturating_sub(self.h.begin_timestamp) / 1000).clamp(0, i32::MAX as i64)
        };
        let mut e = [0u8; ENTRY_SIZE];
        e[0..4].copy_from_slice(&hash.to_be_bytes());
        e[4..12].copy_from_slice(&phy.to_be_bytes());
        e[12..16].copy_from_slice(&(diff as i32).to_be_bytes());
        e[16..20].copy_from_slice(&slot.to_be_bytes());
        let pos = self.entry_pos(count as usize);
        self.put(pos, &e);
        self.put(slot_pos, &count.to_be_bytes());
        if count <= 1 {
            self.h.begin_phy_offset = phy;
            self.h.begin_timestamp = store_ts;
        }
        if slot == 0 {
            self.h.hash_slot_count += 1;
        }
        self.h.index_count += 1;
        self.h.end_phy_offset = phy;
        self.h.end_timestamp = store_ts;
        self.write_header();
        true
    }

    /// `IndexFile.isTimeMatched`.
    fn time_matched(&self, begin: i64, end: i64) -> bool {
        let (b, e) = (self.h.begin_timestamp, self.h.end_timestamp);
        (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
    }

    /// `IndexFile.selectPhyOffset`, newest first: offsets of entries with `hash` whose
    /// (second-granular) time may lie in `[begin, end]` go to `accept`, which says whether to
    /// go on. The store checks each against its record, so the time test here only has to
    /// keep every entry that may match: an entry's time is known to the second below its store
    /// time (the first entry of a file, whose timeDiff Java computes before moving the file's
    /// beginTimestamp, is always offered).
    fn select(&self, hash: i32, begin: i64, end: i64, accept: &mut dyn FnMut(i64) -> bool) {
        let count = self.h.index_count;
        if count <= 1 {
            return;
        }
        let Some(mut i) = self.get_i32(self.slot_pos(hash)) else {
            return;
        };
        while i > 0 && i < count {
            let pos = self.entry_pos(i as usize);
            let (Some(h), Some(phy), Some(diff), Some(prev)) = (
                self.get_i32(pos),
                self.get_i64(pos + 4),
                self.get_i32(pos + 12),
                self.get_i32(pos + 16),
            ) else {
                return;
            };
            if diff < 0 {
                return;
            }
            // Saturating: a damaged header must not overflow.
            let t = self.h.begin_timestamp.saturating_add(diff as i64 * 1000);
            let first = i == 1;
            let may_match = first || (t <= end && t.saturating_add(999) >= begin);
            if h == hash && may_match && !accept(phy) {
                return;
            }
            if !first && t.saturating_add(999) < begin {
                return;
            }
            // Entries of a chain go strictly backwards; anything else is damage.
            if prev >= i {
                return;
            }
            i = prev;
        }
    }
}

enum OpenError {
    Io(io::Error),
    Damaged(Damage),
}

mod service;
#[cfg(test)]
mod tests;

pub(crate) use service::{flush, IndexService};
