//! Recovery at open (see the crate docs and [`MessageStore::open`](super::MessageStore::open)):
//! validate the commit log from the checkpoint's file on, truncate a torn tail, re-dispatch
//! consume-queue entries, index the records the key index lacks.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::Ordering;

use crate::checkpoint::Checkpoint;
use crate::cq_entry::CqEntry;
use crate::error::StoreError;
use crate::index;
use crate::properties;
use crate::record::{self, Peek, RecordRef};
use crate::schedule;

use super::{now_ms, validate_topic, AppendState, Inner};

/// Recovery (see [`MessageStore::open`](super::MessageStore::open)). Runs before the store is
/// shared.
/// Returns the commit-log offset dispatching started at (records below it were neither
/// dispatched nor indexed).
pub(super) fn recover(inner: &Inner) -> Result<u64, StoreError> {
    let root = inner.cfg.root_dir.clone();
    let checkpoint = Checkpoint::read(&inner.checkpoint_path())
        .map_err(|e| StoreError::io(inner.checkpoint_path(), e))?;
    let mut st = inner.append.lock();
    load_consume_queues(inner, &mut st, &root.join("consumequeue"))?;

    let all_files = inner.commit_log.files();
    let size = inner.cl_file_size;
    // Records below the checkpoint's logics-consistent offset have flushed consume-queue
    // entries. The scan (framing and CRC validation, torn-tail detection) starts at the file
    // holding that offset instead of at the first file, so start-up does not grow with the
    // log (Java scans from the checkpoint's file too); only records from that offset on are
    // dispatched again. The key index is persisted; `reindex` adds what it lacks afterwards.
    let consistent = checkpoint.map_or(0, |c| c.logics_consistent_offset.max(0) as u64);
    let first_scanned = all_files
        .iter()
        .rposition(|f| f.from() <= consistent)
        .unwrap_or(0);
    let files = &all_files[first_scanned..];
    let scan_start: u64 = files.first().map(|f| f.from()).unwrap_or(0);
    inner
        .verified_from
        .store(scan_start, std::sync::atomic::Ordering::Relaxed);
    let mut valid_end: u64 = scan_start;
    let mut seen: HashMap<String, HashMap<i32, i64>> = HashMap::new();
    let mut records = 0u64;
    let mut last_ts = 0i64;
    // The first invalid record (offset, file, position in it, reason), unless it starts a
    // zero-filled tail (the normal end of a log).
    let mut damage: Option<(u64, usize, usize, String)> = None;
    'files: for (fi, f) in files.iter().enumerate() {
        if f.from() != valid_end {
            break;
        }
        let data = f.slice(0, size).expect("recovery maps whole files");
        let mut pos = 0usize;
        while pos < size {
            let here = &data[pos..];
            let phy = f.from() + pos as u64;
            match record::peek(here) {
                Ok(Peek::Blank(n)) if n == size - pos => {
                    valid_end = f.from() + size as u64;
                    continue 'files;
                }
                Ok(Peek::Message(n)) => match record::decode_ref(here, true) {
                    Ok(r) if r.physical_offset == phy as i64 => {
                        if phy >= consistent {
                            dispatch_recovered(inner, &mut st, &mut seen, &r, phy, n)?;
                            records += 1;
                        }
                        pos += n;
                        valid_end = phy + n as u64;
                        last_ts = r.store_timestamp;
                    }
                    Ok(r) => {
                        let why = format!("stored physical offset {}", r.physical_offset);
                        damage = Some((phy, fi, pos, why));
                        break 'files;
                    }
                    Err(e) => {
                        damage = Some((phy, fi, pos, e.to_string()));
                        break 'files;
                    }
                },
                Ok(p) => {
                    damage = Some((phy, fi, pos, format!("misplaced {p:?}")));
                    break 'files;
                }
                Err(e) => {
                    if here.len() >= 8 && here[..8] != [0u8; 8] {
                        damage = Some((phy, fi, pos, e.to_string()));
                    }
                    break 'files;
                }
            }
        }
        valid_end = f.from() + size as u64;
    }
    if let Some((offset, fi, pos, reason)) = damage {
        // A torn tail (a crash mid-write) has nothing valid after it; damage in the middle of
        // the log has intact, acknowledged records after it, which truncating would destroy.
        match next_intact_record(files, fi, pos, size) {
            Some(intact) if !inner.cfg.recover_truncate_damaged => {
                tracing::error!(offset, %reason, intact, "commit log damaged with intact records after it; refusing to start");
                return Err(StoreError::Damaged {
                    offset,
                    reason,
                    intact,
                });
            }
            Some(intact) => tracing::error!(
                offset,
                %reason,
                intact,
                "commit log damaged; recoverTruncateDamagedCommitLog: everything from here on is dropped"
            ),
            None => {
                tracing::warn!(offset, %reason, "invalid record at the end of the commit log (torn write), truncating here")
            }
        }
    }
    inner
        .commit_log
        .truncate(valid_end)
        .map_err(|e| inner.cl_io(e))?;
    // The scan touched every page up to the recovered end (and `truncate` the data extents
    // after it): drop them from the RSS; the prefault thread maps the next pages to be written
    // again.
    for f in files {
        f.release_pages(0, size);
    }
    // Drop consume-queue entries not confirmed by the commit log: after the last record of
    // their queue seen by the scan, or — for queues without records in the scanned range — any
    // pointing into or past it.
    let dispatch_from = consistent.max(scan_start).min(valid_end);
    let scan_start_i = dispatch_from as i64;
    for (topic, m) in &st.queues {
        for (qid, cq) in m {
            let target = seen
                .get(topic)
                .and_then(|s| s.get(qid))
                .map(|q| q + 1)
                .unwrap_or_else(|| cq.min_offset());
            let mut n = cq.max_offset();
            while n > target {
                match cq.entry(n - 1) {
                    Some(e)
                        if e.is_valid()
                            && !e.is_pre_blank()
                            && e.commit_log_offset < scan_start_i =>
                    {
                        break
                    }
                    _ => n -= 1,
                }
            }
            if n < cq.max_offset() {
                tracing::warn!(topic = %topic, queue_id = qid, from = n, to = cq.max_offset(), "dropping consume queue entries beyond the commit log");
                cq.truncate_entries(n)
                    .map_err(|e| StoreError::io(inner.cq_dir(topic, *qid), e))?;
            }
        }
    }
    // Java `recoverTopicQueueTable`: the queues' min offsets start at their first entry still in
    // the commit log (files of both are deleted by retention, consume-queue files later).
    let min_phy = inner.commit_log.first().map_or(0, |f| f.from() as i64);
    for m in st.queues.values() {
        for cq in m.values() {
            cq.correct_min_offset(min_phy);
        }
    }
    drop(st);
    reindex(inner, valid_end);
    if last_ts == 0 {
        // nothing scanned (the checkpoint is at the start of an empty last file)
        last_ts = checkpoint.map_or(0, |c| c.physic_msg_timestamp);
    }
    inner.last_store_ts.store(last_ts, Ordering::Release);
    if let Some(cp) = checkpoint {
        if cp.physic_flushed_offset > valid_end as i64 {
            tracing::error!(
                flushed = cp.physic_flushed_offset,
                recovered_end = valid_end,
                "commit log ends before the checkpointed flushed offset: flushed data was lost or corrupted"
            );
        }
        tracing::info!(
            clean = cp.clean_shutdown,
            records,
            scanned_from = scan_start,
            dispatched_from = dispatch_from,
            end = valid_end,
            "store recovered"
        );
    }
    Ok(dispatch_from)
}

/// The offset of the first valid record after position `pos` of `files[fi]` (in that file or a
/// later one): a message whose body CRC checks and whose stored physical offset is where it
/// stands, so a stray magic number inside a body does not count.
fn next_intact_record(
    files: &[std::sync::Arc<crate::mapped_file::MappedFile>],
    fi: usize,
    pos: usize,
    size: usize,
) -> Option<u64> {
    let magic = record::MESSAGE_MAGIC_CODE.to_be_bytes();
    for (i, f) in files.iter().enumerate().skip(fi) {
        let Some(data) = f.slice(0, size) else {
            continue;
        };
        let mut p = if i == fi { pos + 1 } else { 0 };
        while p + 8 <= data.len() {
            let Some(k) = data[p + 4..].windows(4).position(|w| w == magic) else {
                break;
            };
            let start = p + k;
            let phy = f.from() + start as u64;
            if matches!(record::decode_ref(&data[start..], true), Ok(r) if r.physical_offset == phy as i64)
            {
                return Some(phy);
            }
            p = start + 1;
        }
    }
    None
}

/// Indexes the records of the commit log below `end` that the key index lacks: those after
/// the last one indexed (the newest index file's endPhyOffset; every record when nothing is
/// indexed, e.g. the first start of a store written before the index was persisted, or after
/// the index files were destroyed). A record below that offset is not indexed again (Java's
/// `buildIndex` rule), the record at it only for the keys it lacks, so no key is doubled.
/// Runs before the store is shared.
fn reindex(inner: &Inner, end: u64) {
    if !inner.cfg.message_index_enable {
        return;
    }
    let t0 = std::time::Instant::now();
    let mut idx = inner.index.write();
    let after = idx.indexed_to();
    let mut keys = 0usize;
    let files = inner.commit_log.files();
    let start = after.map_or(0, |a| {
        files
            .iter()
            .rposition(|f| f.from() as i64 <= a)
            .unwrap_or(0)
    });
    'files: for f in &files[start.min(files.len())..] {
        if f.from() >= end {
            break;
        }
        let len = (end - f.from()).min(f.size() as u64) as usize;
        let Some(data) = f.slice(0, len) else {
            break;
        };
        let mut pos = 0usize;
        while pos < data.len() {
            let here = &data[pos..];
            let n = match record::peek(here) {
                Ok(Peek::Message(n)) => n,
                _ => break, // the blank at the end of the file
            };
            let phy = (f.from() + pos as u64) as i64;
            pos += n;
            if after.is_some_and(|a| phy < a) {
                continue;
            }
            let Ok(r) = record::decode_ref(here, false) else {
                continue;
            };
            if record::transaction_type(r.sys_flag) == record::TRANSACTION_ROLLBACK_TYPE {
                continue;
            }
            if after == Some(phy) {
                // The last record indexed: whole when Rocklet wrote it, maybe split by Java.
                match idx.put_missing(r.topic, &r.properties, phy, r.store_timestamp, now_ms()) {
                    Ok(n) => keys += n,
                    Err(e) => {
                        tracing::error!(error = %e, offset = phy, "cannot create an index file: the keys of later records are not indexed");
                        inner.note_no_space(&e);
                        break 'files;
                    }
                }
                continue;
            }
            let n_keys = index::count_keys(&r.properties);
            if n_keys == 0 {
                continue;
            }
            if let Err(e) = idx.reserve([n_keys], r.store_timestamp.max(now_ms())) {
                tracing::error!(error = %e, offset = phy, "cannot create an index file: the keys of later records are not indexed");
                inner.note_no_space(&e);
                break 'files;
            }
            idx.put_record(r.topic, &r.properties, n_keys, phy, r.store_timestamp);
            keys += n_keys;
        }
        f.release_pages(0, len);
    }
    if keys > 0 {
        tracing::info!(
            keys,
            from = after.unwrap_or(-1),
            elapsed_ms = t0.elapsed().as_millis() as u64,
            "key index completed from the commit log"
        );
    }
}

fn load_consume_queues(inner: &Inner, st: &mut AppendState, dir: &Path) -> Result<(), StoreError> {
    let rd = fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    for t in rd {
        let t = t.map_err(|e| StoreError::io(dir, e))?;
        let Some(topic) = t.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !t.path().is_dir() || validate_topic(&topic).is_err() {
            continue;
        }
        let qrd = fs::read_dir(t.path()).map_err(|e| StoreError::io(t.path(), e))?;
        for q in qrd {
            let q = q.map_err(|e| StoreError::io(t.path(), e))?;
            let Some(qid) = q.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            inner.cq_get_or_create(st, &topic, qid)?;
        }
    }
    Ok(())
}

fn dispatch_recovered(
    inner: &Inner,
    st: &mut AppendState,
    seen: &mut HashMap<String, HashMap<i32, i64>>,
    r: &RecordRef<'_>,
    phy: u64,
    len: usize,
) -> Result<(), StoreError> {
    let tt = record::transaction_type(r.sys_flag);
    if (tt == record::TRANSACTION_NOT_TYPE || tt == record::TRANSACTION_COMMIT_TYPE)
        && validate_topic(r.topic).is_ok()
    {
        let cq = inner.cq_get_or_create(st, r.topic, r.queue_id)?;
        let qo = r.queue_offset;
        let entry = CqEntry {
            commit_log_offset: phy as i64,
            size: len as i32,
            tags_code: schedule::deliver_tags_code(
                r.topic,
                &r.properties,
                r.store_timestamp,
                &inner.cfg.delay_levels,
            )
            .unwrap_or_else(|| properties::tags_code(&r.properties)),
        };
        let io = |e| StoreError::io(inner.cq_dir(r.topic, r.queue_id), e);
        if qo >= cq.min_offset() {
            let mut present = false;
            if qo < cq.max_offset() {
                match cq.entry(qo) {
                    Some(e)
                        if e.commit_log_offset == entry.commit_log_offset
                            && e.size == entry.size =>
                    {
                        present = true
                    }
                    _ => cq.truncate_entries(qo).map_err(io)?,
                }
            }
            if !present {
                cq.reserve(qo, qo + 1).map_err(io)?;
                cq.put(qo, entry);
            }
        }
        match seen.get_mut(r.topic) {
            Some(m) => {
                let v = m.entry(r.queue_id).or_insert(qo);
                *v = (*v).max(qo);
            }
            None => {
                seen.entry(r.topic.to_owned())
                    .or_default()
                    .insert(r.queue_id, qo);
            }
        }
    }
    Ok(())
}
