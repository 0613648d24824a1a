//! The files of `index/` together: loading, adding keys, queries, retention, flushing.

use std::collections::VecDeque;

use super::*;
use crate::error::StoreError;

/// Java `IndexService`: the index files, oldest first; the last one takes keys.
pub(crate) struct IndexService {
    dir: PathBuf,
    slots: usize,
    num: usize,
    pub(super) files: Vec<IndexFile>,
    /// Files created ahead by [`IndexService::reserve`] (empty, not yet visible).
    pub(super) pending: VecDeque<IndexFile>,
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
