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

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{Local, NaiveDateTime, TimeZone};

use crate::error::StoreError;
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
    let mut h: i32 = 0;
    for u in topic
        .encode_utf16()
        .chain(std::iter::once(b'#' as u16))
        .chain(key.encode_utf16())
    {
        h = h.wrapping_mul(31).wrapping_add(u as i32);
    }
    positive(h)
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

/// Java `IndexService`: the index files, oldest first; the last one takes keys.
pub(crate) struct IndexService {
    dir: PathBuf,
    slots: usize,
    num: usize,
    files: Vec<IndexFile>,
    /// Files created ahead by [`IndexService::reserve`] (empty, not yet visible).
    pending: VecDeque<IndexFile>,
    last_name_ms: i64,
    last_name: String,
}

/// What [`IndexService::load`] found.
pub(crate) struct Loaded {
    pub service: IndexService,
    /// Files removed (partial after an abnormal shutdown, or damaged).
    pub destroyed: usize,
}

impl IndexService {
    /// Validates the configured sizes (Java: `maxHashSlotNum`, `maxIndexNum`).
    pub fn check_sizes(slots: usize, num: usize) -> Result<(), StoreError> {
        let ok = slots >= 1
            && num >= 2
            && slots <= i32::MAX as usize / SLOT_SIZE
            && num <= i32::MAX as usize / ENTRY_SIZE
            && file_len(slots, num) <= i32::MAX as usize;
        if ok {
            Ok(())
        } else {
            Err(StoreError::InvalidConfig(format!(
                "max_hash_slot_num {slots} / max_index_num {num}: need at least 1 slot and 2 entries, and an index file below 2 GiB"
            )))
        }
    }

    /// `IndexService.load`: opens `dir`'s files in name order. After an abnormal shutdown
    /// (`abnormal_index_ts = Some(checkpoint indexMsgTimestamp)`) the files whose
    /// endTimestamp is after it are destroyed, as Java does (they may be partial). A damaged
    /// file is destroyed with every later one (their keys are indexed again from the commit
    /// log by recovery).
    pub fn load(
        dir: PathBuf,
        slots: usize,
        num: usize,
        abnormal_index_ts: Option<i64>,
    ) -> Result<Loaded, StoreError> {
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let mut names = Vec::new();
        for e in fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))? {
            let e = e.map_err(|e| StoreError::io(&dir, e))?;
            match e.file_name().to_str() {
                Some(n) if is_index_name(n) => names.push(n.to_owned()),
                _ => tracing::warn!(file = ?e.path(), "ignoring a file in the index directory"),
            }
        }
        names.sort();
        let mut files = Vec::new();
        let mut destroyed = 0;
        let mut doom_rest = false;
        for name in names {
            let path = dir.join(&name);
            if doom_rest {
                remove(&path);
                destroyed += 1;
                continue;
            }
            match IndexFile::open(path.clone(), name, slots, num) {
                Ok(f) => {
                    if let Some(cp_ts) = abnormal_index_ts {
                        if f.h.end_timestamp > cp_ts {
                            tracing::warn!(file = %path.display(), end_timestamp = f.h.end_timestamp, checkpoint = cp_ts, "destroying an index file written after the last checkpoint (abnormal shutdown); its keys are indexed again");
                            drop(f);
                            remove(&path);
                            destroyed += 1;
                            continue;
                        }
                    }
                    files.push(f);
                }
                Err(OpenError::Damaged(d)) => {
                    tracing::error!(file = %path.display(), damage = %d, "damaged index file: destroying it and every later one; their keys are indexed again from the commit log");
                    remove(&path);
                    destroyed += 1;
                    doom_rest = true;
                }
                Err(OpenError::Io(e)) => return Err(StoreError::io(path, e)),
            }
        }
        if destroyed > 0 {
            crate::mapped_file::sync_dir(&dir);
        }
        // A file created ahead of need (see `reserve`) and never written has an all-zero
        // header: it starts where the file before it ends, as a file rolled over to does.
        for i in 1..files.len() {
            let (prev, cur) = files.split_at_mut(i);
            let (p, c) = (&prev[i - 1], &mut cur[0]);
            if !c.has_entries() && c.h.end_phy_offset == 0 && c.h.end_timestamp == 0 {
                c.h.begin_phy_offset = p.h.end_phy_offset;
                c.h.end_phy_offset = p.h.end_phy_offset;
                c.h.begin_timestamp = p.h.end_timestamp;
                c.h.end_timestamp = p.h.end_timestamp;
                c.write_header();
            }
        }
        let last_name = files.last().map(|f| f.name.clone()).unwrap_or_default();
        let last_name_ms = parse_human_time(&last_name).unwrap_or(0);
        Ok(Loaded {
            service: IndexService {
                dir,
                slots,
                num,
                files,
                pending: VecDeque::new(),
                last_name_ms,
                last_name,
            },
            destroyed,
        })
    }

    /// The commit-log offset of the last record indexed (the endPhyOffset of the newest file
    /// holding entries), `None` when nothing is indexed.
    pub fn indexed_to(&self) -> Option<i64> {
        self.files
            .iter()
            .rev()
            .find(|f| f.has_entries())
            .map(|f| f.h.end_phy_offset)
    }

    /// The newest file's endTimestamp (0 without files).
    pub fn end_timestamp(&self) -> i64 {
        self.files.last().map_or(0, |f| f.h.end_timestamp)
    }

    /// Makes room for records with `keys` keys each, creating files ahead of time so that a
    /// put never meets a file-creation failure after its record is written. Placement as
    /// [`IndexService::put_record`] does it.
    pub fn reserve(
        &mut self,
        keys: impl IntoIterator<Item = usize>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let per_file = self.num - 1;
        let mut room = self.files.last().map_or(0, |f| f.room());
        let mut next = 0;
        for mut n in keys {
            if n == 0 {
                continue;
            }
            if room < n.min(per_file) {
                room = self.pending_room(next, now_ms)?;
                next += 1;
            }
            while n > room {
                n -= room;
                room = self.pending_room(next, now_ms)?;
                next += 1;
            }
            room -= n;
        }
        Ok(())
    }

    /// The room of the `i`th file created ahead, created if missing.
    fn pending_room(&mut self, i: usize, now_ms: i64) -> Result<usize, StoreError> {
        while self.pending.len() <= i {
            let f = self.new_file(now_ms)?;
            self.pending.push_back(f);
        }
        Ok(self.pending[i].room())
    }

    fn new_file(&mut self, now_ms: i64) -> Result<IndexFile, StoreError> {
        let mut ms = now_ms.max(self.last_name_ms + 1);
        let mut name = human_time(ms);
        // Names sort like the files' order (a clock moving back, two files in one ms).
        while name <= self.last_name || self.dir.join(&name).exists() {
            ms += 1;
            name = human_time(ms);
        }
        let f = IndexFile::create(&self.dir, name.clone(), self.slots, self.num)
            .map_err(|e| StoreError::io(self.dir.join(&name), e))?;
        self.last_name_ms = ms;
        self.last_name = name;
        tracing::info!(file = %f.name, "index file created");
        Ok(f)
    }

    /// The file taking keys: the last one, or the next reserved file when the last has room for
    /// fewer than `need` keys (its begin offsets and times start at the previous file's end, as
    /// Java's constructor sets them).
    fn writable(&mut self, need: usize, now_ms: i64) -> Option<&mut IndexFile> {
        if self.files.last().is_none_or(|f| f.room() < need.max(1)) {
            let next = match self.pending.pop_front() {
                Some(f) => f,
                None => match self.new_file(now_ms) {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot create an index file: keys are not indexed");
                        return None;
                    }
                },
            };
            let mut next = next;
            if let Some(prev) = self.files.last() {
                let (phy, ts) = (prev.h.end_phy_offset, prev.h.end_timestamp);
                if phy > 0 {
                    next.h.begin_phy_offset = phy;
                    next.h.end_phy_offset = phy;
                }
                if ts > 0 {
                    next.h.begin_timestamp = ts;
                    next.h.end_timestamp = ts;
                }
                next.write_header();
            }
            self.files.push(next);
        }
        self.files.last_mut()
    }

    /// `IndexService.buildIndex` for one record: its `n` keys (from [`index_keys`]) as
    /// `topic#key`. Unlike Java, a record's keys are not split across two files unless they are
    /// more than a file holds: when the last file has less room, the next file takes them all.
    /// So a file's endPhyOffset always marks a record indexed whole, which recovery relies on
    /// (a record at or below the last surviving file's endPhyOffset is not indexed again).
    pub fn put_record(&mut self, topic: &str, props: &str, n: usize, phy: i64, store_ts: i64) {
        if n == 0 || self.writable(n.min(self.num - 1), store_ts).is_none() {
            return;
        }
        index_keys(props, |k| self.put_key(topic, k, phy, store_ts));
    }

    /// Indexes the keys of the record at `phy` that have no entry for `phy` yet (the last
    /// record indexed before a crash, whose keys Java may have split across a file that
    /// survived and one that was destroyed). Returns how many were added; a file is created
    /// only when some are missing.
    pub fn put_missing(
        &mut self,
        topic: &str,
        props: &str,
        phy: i64,
        store_ts: i64,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let mut missing = Vec::new();
        index_keys(props, |k| {
            let mut found = false;
            self.query(topic, k, i64::MIN, i64::MAX, &mut |p| {
                found = p == phy;
                !found && p >= phy
            });
            if !found {
                missing.push(k.to_owned());
            }
        });
        if missing.is_empty() {
            return Ok(0);
        }
        self.reserve([missing.len()], now_ms)?;
        for k in &missing {
            self.put_key(topic, k, phy, store_ts);
        }
        Ok(missing.len())
    }

    /// `IndexService.putKey` for `topic#key` (rolls to the next file when the last is full).
    pub fn put_key(&mut self, topic: &str, key: &str, phy: i64, store_ts: i64) {
        let hash = key_hash(topic, key);
        for _ in 0..2 {
            let Some(f) = self.writable(1, store_ts) else {
                return;
            };
            if f.put_key(hash, phy, store_ts) {
                return;
            }
        }
    }

    /// `IndexService.queryOffset`: candidate offsets for `topic#key` in `[begin, end]`, newest
    /// file first, each given to `accept` until it says stop.
    pub fn query(
        &self,
        topic: &str,
        key: &str,
        begin: i64,
        end: i64,
        accept: &mut dyn FnMut(i64) -> bool,
    ) {
        let hash = key_hash(topic, key);
        let mut go_on = true;
        for f in self.files.iter().rev() {
            if f.time_matched(begin, end) {
                f.select(hash, begin, end, &mut |phy| {
                    go_on = accept(phy);
                    go_on
                });
            }
            if !go_on || f.h.begin_timestamp < begin {
                break;
            }
        }
    }

    /// `IndexService.deleteExpiredFile`: whole files, oldest first and never the last, whose
    /// endPhyOffset is below `min_phy`. Returns how many went.
    pub fn delete_expired(&mut self, min_phy: i64) -> usize {
        let mut n = 0;
        while self.files.len() > 1 && self.files[0].h.end_phy_offset < min_phy {
            let f = self.files.remove(0);
            let path = f.map.path().to_path_buf();
            drop(f);
            remove(&path);
            tracing::info!(file = %path.display(), min_phy, "expired index file deleted");
            n += 1;
        }
        if n > 0 {
            crate::mapped_file::sync_dir(&self.dir);
        }
        n
    }

    /// The files written since the last call (for [`flush`]), with the newest endTimestamp
    /// they hold.
    pub fn take_dirty(&self) -> (i64, Vec<DirtyFile>) {
        let dirty = self
            .files
            .iter()
            .filter(|f| f.dirty.swap(false, Ordering::AcqRel))
            .map(|f| DirtyFile {
                map: f.map.clone(),
                dirty: f.dirty.clone(),
            })
            .collect();
        (self.end_timestamp(), dirty)
    }

    /// Header of each file, oldest first (tests).
    #[cfg(test)]
    pub fn headers(&self) -> Vec<Header> {
        self.files.iter().map(|f| f.h).collect()
    }
}

/// A file written since the last flush.
pub(crate) struct DirtyFile {
    map: Arc<MappedFile>,
    dirty: Arc<AtomicBool>,
}

/// msyncs files [`IndexService::take_dirty`] returned; on failure they stay dirty (flushed
/// again next time).
pub(crate) fn flush(files: &[DirtyFile]) -> io::Result<()> {
    for (i, f) in files.iter().enumerate() {
        if let Err(e) = f.map.flush_range(0, f.map.size()) {
            for f in &files[i..] {
                f.dirty.store(true, Ordering::Release);
            }
            return Err(e);
        }
    }
    Ok(())
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path) {
        if e.kind() != io::ErrorKind::NotFound {
            tracing::warn!(file = %path.display(), error = %e, "removing an index file failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn java_hash(s: &str) -> i32 {
        let mut h: i32 = 0;
        for u in s.encode_utf16() {
            h = h.wrapping_mul(31).wrapping_add(u as i32);
        }
        h
    }

    #[test]
    fn hash_is_java_string_hash_code_made_positive() {
        // String.hashCode values (computed independently): "a#b" 94400, "T#k" 81916,
        // "T#order-1" -1840611261, "TopicTest#ORDER-ÄÖ-😀" 1240317405 (UTF-16 units).
        assert_eq!(java_hash("a#b"), 94400);
        assert_eq!(key_hash("a", "b"), 94400);
        assert_eq!(key_hash("T", "k"), 81916);
        assert_eq!(key_hash("T", "order-1"), 1840611261);
        assert_eq!(key_hash("TopicTest", "ORDER-ÄÖ-😀"), 1240317405);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE: Math.abs keeps it negative and
        // Java then uses 0.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(positive(i32::MIN), 0);
        assert_eq!(positive(-5), 5);
    }

    #[test]
    fn human_names() {
        let ms = 1_700_000_000_123;
        let n = human_time(ms);
        assert_eq!(n.len(), 17);
        assert!(n.ends_with("123"));
        assert_eq!(parse_human_time(&n), Some(ms));
    }

    #[test]
    fn keys_in_java_order() {
        let mut v = Vec::new();
        index_keys("KEYS\u{1}a  b\u{2}UNIQ_KEY\u{1}U\u{2}", |k| {
            v.push(k.to_owned())
        });
        assert_eq!(v, ["U", "a", "b"]);
        assert_eq!(count_keys("TAGS\u{1}x"), 0);
    }

    fn svc(dir: &Path, slots: usize, num: usize) -> IndexService {
        IndexService::load(dir.join("index"), slots, num, None)
            .unwrap()
            .service
    }

    fn all(s: &IndexService, topic: &str, key: &str) -> Vec<i64> {
        let mut v = Vec::new();
        s.query(topic, key, 0, i64::MAX, &mut |p| {
            v.push(p);
            true
        });
        v
    }

    fn be32(b: &[u8], p: usize) -> i32 {
        i32::from_be_bytes(b[p..p + 4].try_into().unwrap())
    }
    fn be64(b: &[u8], p: usize) -> i64 {
        i64::from_be_bytes(b[p..p + 8].try_into().unwrap())
    }

    /// The bytes of a file with two keys, field by field as Java's `IndexFile.putKey` and
    /// `IndexHeader` write them.
    #[test]
    fn golden_layout() {
        let d = tempfile::tempdir().unwrap();
        let mut s = svc(d.path(), 8, 4);
        let t0 = 1_700_000_000_000i64;
        s.reserve([2], t0).unwrap();
        s.put_key("T", "k", 4096, t0);
        s.put_key("T", "order-1", 8192, t0 + 2_500);
        flush(&s.take_dirty().1).unwrap();
        let name = s.files[0].name.clone();
        assert_eq!(
            name,
            human_time(t0),
            "named by creation time, yyyyMMddHHmmssSSS local"
        );
        let b = fs::read(d.path().join("index").join(&name)).unwrap();
        assert_eq!(b.len(), 40 + 8 * 4 + 4 * 20);
        // Header.
        assert_eq!(be64(&b, 0), t0, "beginTimestamp");
        assert_eq!(be64(&b, 8), t0 + 2_500, "endTimestamp");
        assert_eq!(be64(&b, 16), 4096, "beginPhyOffset");
        assert_eq!(be64(&b, 24), 8192, "endPhyOffset");
        assert_eq!(be32(&b, 32), 2, "hashSlotCount");
        assert_eq!(be32(&b, 36), 3, "indexCount (starts at 1)");
        // Slots: hash % 8. "T#k" 81916 -> 4, "T#order-1" 1840611261 -> 5.
        let slot = |i: usize| be32(&b, 40 + 4 * i);
        assert_eq!((81916 % 8, 1840611261 % 8), (4, 5));
        assert_eq!(slot(4), 1);
        assert_eq!(slot(5), 2);
        for i in [0, 1, 2, 3, 6, 7] {
            assert_eq!(slot(i), 0);
        }
        // Entries: 0 unused; 1 and 2 = keyHash, phyOffset, timeDiff (s), prevIndex.
        let e = |i: usize| 40 + 8 * 4 + 20 * i;
        assert!(b[e(0)..e(1)].iter().all(|&x| x == 0));
        assert_eq!((be32(&b, e(1)), be64(&b, e(1) + 4)), (81916, 4096));
        assert_eq!((be32(&b, e(1) + 12), be32(&b, e(1) + 16)), (0, 0));
        assert_eq!((be32(&b, e(2)), be64(&b, e(2) + 4)), (1840611261, 8192));
        assert_eq!((be32(&b, e(2) + 12), be32(&b, e(2) + 16)), (2, 0));
        assert!(b[e(3)..].iter().all(|&x| x == 0));
        // A third key in slot 4 chains to entry 1, and the file is then full (indexNum 4).
        s.put_key("T", "k", 9000, t0 + 3_000);
        assert!(s.files[0].is_write_full());
        let b = s.files[0].bytes(0, b.len()).unwrap().to_vec();
        assert_eq!(be32(&b, 40 + 4 * 4), 3);
        assert_eq!((be32(&b, e(3) + 12), be32(&b, e(3) + 16)), (3, 1));
        assert_eq!(be32(&b, 32), 2, "no new slot used");
        assert_eq!(all(&s, "T", "k"), vec![9000, 4096]);
    }

    #[test]
    fn rolls_over_when_full_and_reloads() {
        let d = tempfile::tempdir().unwrap();
        let mut s = svc(d.path(), 4, 3); // 2 entries a file
        let t0 = 1_700_000_000_000i64;
        for i in 0..7i64 {
            s.reserve([1], t0).unwrap();
            s.put_key("T", &format!("k{}", i % 2), 100 * (i + 1), t0 + i * 1000);
        }
        assert_eq!(s.files.len(), 4);
        let h = s.headers();
        // The second file starts where the first ended, then moves to its first entry.
        assert_eq!(
            (h[1].begin_phy_offset, h[1].end_phy_offset, h[1].index_count),
            (300, 400, 3)
        );
        assert_eq!(h[1].begin_timestamp, t0 + 2000);
        assert_eq!(all(&s, "T", "k0"), vec![700, 500, 300, 100]);
        assert_eq!(s.indexed_to(), Some(700));
        flush(&s.take_dirty().1).unwrap();
        drop(s);
        let mut s = svc(d.path(), 4, 3);
        assert_eq!(s.files.len(), 4);
        assert_eq!(all(&s, "T", "k1"), vec![600, 400, 200]);
        // Query limits and time ranges.
        let mut v = Vec::new();
        s.query("T", "k0", t0 + 2000, t0 + 4000, &mut |p| {
            v.push(p);
            true
        });
        assert_eq!(v, vec![500, 300]);
        // Retention: whole files whose endPhyOffset is below the min offset, never the last.
        assert_eq!(s.delete_expired(450), 2);
        assert_eq!(all(&s, "T", "k0"), vec![700, 500]);
        assert_eq!(s.delete_expired(i64::MAX), 1);
        assert_eq!(s.files.len(), 1);
        assert_eq!(fs::read_dir(d.path().join("index")).unwrap().count(), 1);
    }

    #[test]
    fn colliding_keys_share_a_chain() {
        // "Aa" and "BB" have the same String.hashCode.
        assert_eq!(key_hash("T", "Aa"), key_hash("T", "BB"));
        let d = tempfile::tempdir().unwrap();
        let mut s = svc(d.path(), 16, 16);
        s.reserve([2], 1).unwrap();
        s.put_key("T", "Aa", 10, 1_000);
        s.put_key("T", "BB", 20, 1_000);
        // Both are candidates for either key; the store checks the record.
        assert_eq!(all(&s, "T", "Aa"), vec![20, 10]);
        assert_eq!(all(&s, "T", "BB"), vec![20, 10]);
        assert!(all(&s, "T", "Ab").is_empty());
    }

    #[test]
    fn damaged_files_are_refused_and_partial_ones_destroyed() {
        let d = tempfile::tempdir().unwrap();
        let t0 = 1_700_000_000_000i64;
        let mut s = svc(d.path(), 4, 3);
        for i in 0..4i64 {
            s.reserve([1], t0).unwrap();
            s.put_key("T", "k", 100 * (i + 1), t0 + i * 1000);
        }
        let names: Vec<String> = s.files.iter().map(|f| f.name.clone()).collect();
        drop(s);
        assert_eq!(names.len(), 2);
        // Abnormal shutdown: files ending after the checkpoint's index timestamp go.
        let l = IndexService::load(d.path().join("index"), 4, 3, Some(t0 + 1000)).unwrap();
        assert_eq!(l.destroyed, 1);
        assert_eq!(l.service.indexed_to(), Some(200));
        drop(l);
        // A damaged header (indexCount past indexNum) and a wrong length are refused.
        let p = d.path().join("index").join(&names[0]);
        let mut b = fs::read(&p).unwrap();
        b[36..40].copy_from_slice(&99i32.to_be_bytes());
        fs::write(&p, &b).unwrap();
        let l = IndexService::load(d.path().join("index"), 4, 3, None).unwrap();
        assert_eq!((l.destroyed, l.service.files.len()), (1, 0));
        fs::write(d.path().join("index").join(&names[0]), [0u8; 7]).unwrap();
        let l = IndexService::load(d.path().join("index"), 4, 3, None).unwrap();
        assert_eq!((l.destroyed, l.service.indexed_to()), (1, None));
        // Garbage slots and chains end the walk, never panic.
        let mut s = svc(d.path(), 4, 3);
        s.reserve([2], t0).unwrap();
        s.put_key("T", "k", 1, t0);
        s.put_key("T", "k", 2, t0);
        let slot = s.files[0].slot_pos(key_hash("T", "k"));
        s.files[0].put(slot, &7i32.to_be_bytes());
        assert!(all(&s, "T", "k").is_empty());
        let e2 = s.files[0].entry_pos(2);
        s.files[0].put(slot, &2i32.to_be_bytes());
        s.files[0].put(e2 + 16, &2i32.to_be_bytes()); // prev == self
        assert_eq!(all(&s, "T", "k"), vec![2]);
        s.files[0].put(e2 + 12, &(-1i32).to_be_bytes()); // negative timeDiff
        assert!(all(&s, "T", "k").is_empty());
    }

    #[test]
    fn a_record_keys_stay_in_one_file_unless_more_than_a_file_holds() {
        let d = tempfile::tempdir().unwrap();
        let mut s = svc(d.path(), 4, 4); // 3 entries a file
        let two = "KEYS\u{1}a b\u{2}";
        s.reserve([2, 2], 1).unwrap();
        assert_eq!(
            s.pending.len(),
            2,
            "no file yet, and the second record needs the next"
        );
        s.put_record("T", two, 2, 10, 1_000);
        s.put_record("T", two, 2, 20, 1_000);
        let h = s.headers();
        assert_eq!((h.len(), h[0].index_count, h[1].index_count), (2, 3, 3));
        assert_eq!((h[0].end_phy_offset, h[1].begin_phy_offset), (10, 20));
        // Five keys: the rest of this file, then the next ones.
        let five = "KEYS\u{1}a b c d e\u{2}";
        s.reserve([5], 1).unwrap();
        s.put_record("T", five, 5, 30, 1_000);
        let h = s.headers();
        assert_eq!(h.len(), 4);
        assert_eq!(all(&s, "T", "e"), vec![30]);
        assert_eq!(all(&s, "T", "a"), vec![30, 20, 10]);
        assert!(s.pending.is_empty());
    }

    #[test]
    fn a_record_split_by_java_gets_its_missing_keys_once() {
        let d = tempfile::tempdir().unwrap();
        let mut s = svc(d.path(), 8, 16);
        let props = "KEYS\u{1}a b\u{2}UNIQ_KEY\u{1}U\u{2}";
        s.reserve([3, 3], 1).unwrap();
        s.put_key("T", "a", 50, 1_000);
        // As Java after its file rolled mid-record: only UNIQ_KEY survived for offset 100.
        s.put_key("T", "U", 100, 2_000);
        assert_eq!(s.put_missing("T", props, 100, 2_000, 1).unwrap(), 2);
        assert_eq!(s.put_missing("T", props, 100, 2_000, 1).unwrap(), 0);
        assert_eq!(all(&s, "T", "U"), vec![100]);
        assert_eq!(all(&s, "T", "a"), vec![100, 50]);
        assert_eq!(all(&s, "T", "b"), vec![100]);
    }
}
