//! Appending: a put is checked and sized (`prepare`), encoded straight into the commit-log
//! mmap with its queue offsets and consume-queue entries under the append lock (`append`),
//! its keys indexed (under the same lock), and in SyncFlush mode handed to the group commit.

use std::sync::atomic::Ordering;

use rocklet_protocol::msgid;

use crate::config::FlushDiskType;
use crate::cq_entry::CqEntry;
use crate::error::StoreError;
use crate::index;
use crate::layout::{self, Fit};
use crate::properties;
use crate::record::{self, RecordRef};
use crate::schedule;

use super::{now_ms, validate_topic, Inner, MessageStore, PutMessage, PutResult, PutStatus};

struct Prep {
    len: usize,
    sys_flag: i32,
    crc: i32,
    tags_code: i64,
    /// `SCHEDULE_TOPIC_XXXX` records: the level's delay; the tagsCode is then the delivery
    /// time (store time + delay).
    delay_ms: Option<i64>,
    dispatch: bool,
    /// Keys to index (0 for rollbacks and with indexing off).
    n_keys: usize,
}

struct Appended {
    wrote_offset: i64,
    wrote_bytes: usize,
    first_queue_offset: i64,
    store_timestamp: i64,
}

impl Inner {
    fn prepare(&self, m: &PutMessage) -> Result<Prep, StoreError> {
        validate_topic(&m.topic)?;
        if m.properties.len() > record::MAX_PROPERTIES_LEN {
            return Err(StoreError::PropertiesTooLong(m.properties.len()));
        }
        let mut sys_flag = m.sys_flag & !(record::BORNHOST_V6_FLAG | record::STOREHOST_V6_FLAG);
        if m.born_host.is_ipv6() {
            sys_flag |= record::BORNHOST_V6_FLAG;
        }
        if self.cfg.store_host.is_ipv6() {
            sys_flag |= record::STOREHOST_V6_FLAG;
        }
        let len = record::record_len(sys_flag, m.body.len(), m.topic.len(), m.properties.len());
        if len > self.cfg.max_message_size {
            return Err(StoreError::MessageTooLarge {
                size: len,
                max: self.cfg.max_message_size,
            });
        }
        let tt = record::transaction_type(sys_flag);
        let n_keys = if self.cfg.message_index_enable && tt != record::TRANSACTION_ROLLBACK_TYPE {
            index::count_keys(&m.properties)
        } else {
            0
        };
        Ok(Prep {
            n_keys,
            len,
            sys_flag,
            crc: record::body_crc(&m.body),
            tags_code: properties::tags_code(&m.properties),
            delay_ms: schedule::deliver_tags_code(
                &m.topic,
                &m.properties,
                0,
                &self.cfg.delay_levels,
            ),
            dispatch: tt == record::TRANSACTION_NOT_TYPE || tt == record::TRANSACTION_COMMIT_TYPE,
        })
    }

    /// Appends records of one topic/queue contiguously and dispatches them to the consume
    /// queue, all under the append lock.
    fn append(&self, msgs: &[PutMessage], preps: &[Prep]) -> Result<Appended, StoreError> {
        let total: usize = preps.iter().map(|p| p.len).sum();
        let file_size = self.cl_file_size;
        if layout::fit(file_size, 0, total) == Fit::Never {
            return Err(StoreError::BatchTooLarge {
                size: total,
                file_size,
            });
        }
        let first = &msgs[0];
        let n_dispatch = preps.iter().filter(|p| p.dispatch).count() as i64;

        let mut st = self.append.lock();
        // Java's `beginLockTimestamp`, also the records' store timestamp. Declared after the
        // guard: cleared before the lock is released.
        let store_ts = now_ms();
        let _in_lock = super::InLock::new(&self.begin_time_in_lock, store_ts);
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::ShutDown);
        }
        if !self.disk.writable() {
            self.disk.refused();
            return Err(StoreError::NotWritable);
        }
        let mut file = match self.commit_log.last() {
            Some(f) if !f.is_full() => f,
            Some(f) => self.create_commit_log_file(f.from() + file_size as u64)?,
            None => self.create_commit_log_file(0)?,
        };
        let mut pos = file.wrote();
        if let Fit::NextFile { blank_len } = layout::fit(file_size, pos, total) {
            // SAFETY: append lock held; unpublished region inside the file.
            let region = unsafe { file.write_region(pos, record::END_FILE_MIN_BLANK_LENGTH) };
            record::encode_blank(region, blank_len);
            file.set_wrote(file_size);
            file = self.create_commit_log_file(file.from() + file_size as u64)?;
            pos = 0;
        }
        let cq = if n_dispatch > 0 {
            let cq = self.cq_get_or_create(&mut st, &first.topic, first.queue_id)?;
            let q = cq.max_offset();
            cq.reserve(q, q + n_dispatch).map_err(|e| {
                let err = StoreError::io(self.cq_dir(&first.topic, first.queue_id), e);
                self.note_no_space(&err);
                err
            })?;
            Some(cq)
        } else {
            None
        };
        let n_keys: usize = preps.iter().map(|p| p.n_keys).sum();
        if n_keys > 0 {
            // Index files are created before the record is written: a full disk fails the put
            // here, never after its record is in the log.
            let keys = preps.iter().map(|p| p.n_keys);
            self.index
                .write()
                .reserve(keys, now_ms())
                .inspect_err(|e| {
                    self.note_no_space(e);
                })?;
        }
        let first_qo = cq.as_ref().map(|c| c.max_offset()).unwrap_or(0);
        let base = file.from() as i64 + pos as i64;
        // SAFETY: append lock held; [pos, pos+total) is unpublished and inside the file
        // (checked by `fit`).
        let region = unsafe { file.write_region(pos, total) };
        let mut off = 0usize;
        let mut qo = first_qo;
        for (m, p) in msgs.iter().zip(preps) {
            let r = RecordRef {
                body_crc: p.crc,
                queue_id: m.queue_id,
                flag: m.flag,
                queue_offset: if p.dispatch { qo } else { 0 },
                physical_offset: base + off as i64,
                sys_flag: p.sys_flag,
                born_timestamp: m.born_timestamp,
                born_host: m.born_host,
                store_timestamp: store_ts,
                store_host: self.cfg.store_host,
                reconsume_times: m.reconsume_times,
                prepared_transaction_offset: m.prepared_transaction_offset,
                body: &m.body,
                topic: &m.topic,
                properties: m.properties.as_str().into(),
            };
            record::encode_into(&mut region[off..off + p.len], &r)?;
            if p.dispatch {
                qo += 1;
            }
            off += p.len;
        }
        file.set_wrote(pos + total);
        self.prefault.written(file.from() + (pos + total) as u64);
        if let Some(cq) = &cq {
            let mut qo = first_qo;
            let mut off = 0i64;
            for p in preps {
                if p.dispatch {
                    cq.put(
                        qo,
                        CqEntry {
                            commit_log_offset: base + off,
                            size: p.len as i32,
                            tags_code: p.delay_ms.map_or(p.tags_code, |d| store_ts + d),
                        },
                    );
                    qo += 1;
                }
                off += p.len as i64;
            }
        }
        if n_keys > 0 {
            let mut idx = self.index.write();
            let mut off = base;
            for (m, p) in msgs.iter().zip(preps) {
                idx.put_record(&m.topic, &m.properties, p.n_keys, off, store_ts);
                off += p.len as i64;
            }
        }
        self.last_store_ts.store(store_ts, Ordering::Release);
        drop(st);
        self.stats.put(msgs.len() as u64, total as u64);
        Ok(Appended {
            wrote_offset: base,
            wrote_bytes: total,
            first_queue_offset: if n_dispatch > 0 { first_qo } else { 0 },
            store_timestamp: store_ts,
        })
    }

    /// A new commit-log file: the disk is checked first (Java checks every 10 s; a new file is
    /// where a full disk would bite), and refused when the file cannot fit.
    fn create_commit_log_file(
        &self,
        from: u64,
    ) -> Result<std::sync::Arc<crate::mapped_file::MappedFile>, StoreError> {
        self.check_disk();
        let dir = self.cfg.root_dir.join("commitlog");
        if !self.disk.writable() {
            self.disk.refused();
            return Err(StoreError::NotWritable);
        }
        if let Some(avail) = crate::disk::available_bytes(&dir) {
            if avail < self.cl_file_size as u64 {
                let e = std::io::Error::from_raw_os_error(libc::ENOSPC);
                self.disk
                    .alloc_failed(&dir.join(crate::layout::file_name(from)), &e);
                return Err(StoreError::io(dir.join(crate::layout::file_name(from)), e));
            }
        }
        self.commit_log.create(from).map_err(|e| self.cl_io(e))
    }
}

impl MessageStore {
    /// Appends one message. In SyncFlush mode waits (group commit) until it is flushed,
    /// unless its `WAIT` property is `false`.
    pub async fn put_message(&self, m: PutMessage) -> Result<PutResult, StoreError> {
        let (r, flush_to) = self.put_message_nowait(m)?;
        self.finish(r, flush_to).await
    }

    /// Appends a batch of messages of one topic and queue contiguously (consecutive queue
    /// offsets, never split across commit-log files). Waits like [`MessageStore::put_message`].
    pub async fn put_messages(&self, batch: Vec<PutMessage>) -> Result<PutResult, StoreError> {
        let (r, flush_to) = self.put_messages_nowait(batch)?;
        self.finish(r, flush_to).await
    }

    /// Appends one message without waiting for the group commit. In SyncFlush mode (unless the
    /// message's `WAIT` property is `false`) it returns the commit-log offset that must be
    /// flushed before the put may be acknowledged; the flush is already requested. Callers
    /// watch [`MessageStore::subscribe_flushed`] for it, so one wake-up can acknowledge a whole
    /// group-commit round.
    pub fn put_message_nowait(
        &self,
        m: PutMessage,
    ) -> Result<(PutResult, Option<i64>), StoreError> {
        let p = self.inner.prepare(&m)?;
        self.put_inner(std::slice::from_ref(&m), std::slice::from_ref(&p))
    }

    /// The batch form of [`MessageStore::put_message_nowait`].
    pub fn put_messages_nowait(
        &self,
        batch: Vec<PutMessage>,
    ) -> Result<(PutResult, Option<i64>), StoreError> {
        let Some(first) = batch.first() else {
            return Err(StoreError::InvalidBatch("empty batch"));
        };
        if batch
            .iter()
            .any(|m| m.topic != first.topic || m.queue_id != first.queue_id)
        {
            return Err(StoreError::InvalidBatch(
                "all messages of a batch must have the same topic and queue",
            ));
        }
        let preps = batch
            .iter()
            .map(|m| self.inner.prepare(m))
            .collect::<Result<Vec<_>, _>>()?;
        self.put_inner(&batch, &preps)
    }

    async fn finish(
        &self,
        mut r: PutResult,
        flush_to: Option<i64>,
    ) -> Result<PutResult, StoreError> {
        if let Some(end) = flush_to {
            r.status = self.wait_flushed(end).await;
        }
        Ok(r)
    }

    /// Set the listener told of each put that reaches a consume queue (once; later calls are
    /// ignored and return false).
    pub fn set_arrival_listener(&self, listener: super::ArrivalListener) -> bool {
        self.inner.arrival.set(listener).is_ok()
    }

    fn put_inner(
        &self,
        msgs: &[PutMessage],
        preps: &[Prep],
    ) -> Result<(PutResult, Option<i64>), StoreError> {
        let inner = &self.inner;
        if inner.os_page_cache_busy(now_ms()) {
            return Err(StoreError::OsPageCacheBusy);
        }
        let a = inner.append(msgs, preps)?;
        let end = a.wrote_offset + a.wrote_bytes as i64;
        inner.max_offset_tx.send_if_modified(|v| {
            if end > *v {
                *v = end;
                true
            } else {
                false
            }
        });
        let dispatched = preps.iter().filter(|p| p.dispatch).count() as i64;
        if dispatched > 0 {
            if let Some(listener) = inner.arrival.get() {
                listener(
                    &msgs[0].topic,
                    msgs[0].queue_id,
                    a.first_queue_offset + dispatched,
                );
            }
        }
        let mut msg_ids = Vec::with_capacity(msgs.len());
        let mut off = a.wrote_offset;
        for p in preps {
            msg_ids.push(msgid::create_offset_msg_id(inner.cfg.store_host, off));
            off += p.len as i64;
        }
        let wait = inner.cfg.flush_disk_type == FlushDiskType::SyncFlush
            && msgs
                .iter()
                .any(|m| properties::get(&m.properties, properties::WAIT) != Some("false"));
        let flush_to = wait.then(|| {
            self.request_flush(end);
            end
        });
        let r = PutResult {
            status: PutStatus::PutOk,
            wrote_offset: a.wrote_offset,
            wrote_bytes: a.wrote_bytes as i32,
            queue_offset: a.first_queue_offset,
            msg_ids,
            store_timestamp: a.store_timestamp,
            msg_num: msgs.len() as i32,
        };
        Ok((r, flush_to))
    }
}
