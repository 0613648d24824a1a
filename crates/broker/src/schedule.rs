//! Delivery of delayed messages (Java `ScheduleMessageService`).
//!
//! A send with a `DELAY` level is stored in `SCHEDULE_TOPIC_XXXX`, queue `level - 1` (see
//! `rocklet_store::schedule`). This task reads each level's queue in order from the offset in
//! `config/delayOffset.json` and, once a message's store time plus its level's delay has
//! passed, puts it to its `REAL_TOPIC` / `REAL_QID` with the properties it was stored with
//! (Java's delivered message keeps `DELAY`, `REAL_TOPIC` and `REAL_QID` too) and without
//! waiting for a SYNC_FLUSH (`waitStoreMsgOK=false`). Within a level, messages are due in
//! store order, so the first one not yet due ends that level's round.

use crate::queue_cursor::{Item, QueueCursor};
use parking_lot::Mutex;
use rocklet_protocol::message::MessageExt;
use rocklet_protocol::time::now_ms;
use rocklet_store::properties;
use rocklet_store::schedule::{DelayLevels, SCHEDULE_TOPIC};
use rocklet_store::{PutMessage, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use crate::BrokerInner;
use rocklet_store::config_file::{self, ConfigFileError, ConfigWriter};

/// Java polls an empty or not-yet-due level every 100 ms (`DELAY_FOR_A_WHILE`).
const POLL: Duration = Duration::from_millis(100);
/// After a failed put Java retries the level 10 s later (`DELAY_FOR_A_PERIOD`).
const RETRY_AFTER_FAILURE_MS: i64 = 10_000;
/// Java `flushDelayOffsetInterval` default.
const PERSIST_EVERY: Duration = Duration::from_secs(10);
/// Messages read per level per look.
const BATCH: i32 = 32;

#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[doc(hidden)] // pub only for the fuzz targets (fuzz/)
pub struct OffsetFile {
    /// level -> next offset in queue `level - 1` of SCHEDULE_TOPIC_XXXX.
    offset_table: BTreeMap<i32, i64>,
}

/// Per-level delivery progress, persisted to `config/delayOffset.json` (Java's file).
pub struct DelayOffsets {
    table: Mutex<BTreeMap<i32, i64>>,
    writer: ConfigWriter,
}

impl DelayOffsets {
    /// Loads `config/delayOffset.json` (or its `.bak`); an error when neither decodes.
    pub fn load(root: &Path) -> Result<Self, ConfigFileError> {
        let path = root.join("config").join("delayOffset.json");
        let file: OffsetFile =
            config_file::load(&path, rocklet_protocol::body::decode_json)?.unwrap_or_default();
        Ok(DelayOffsets {
            table: Mutex::new(file.offset_table),
            writer: ConfigWriter::new(path),
        })
    }

    pub fn get(&self, level: i32) -> i64 {
        self.table.lock().get(&level).copied().unwrap_or(0)
    }

    /// Every level with progress, as (level, next offset to deliver).
    pub fn all(&self) -> Vec<(i32, i64)> {
        self.table.lock().iter().map(|(l, o)| (*l, *o)).collect()
    }

    /// The table as Java's `ScheduleMessageService.encode()` writes it (level keys unquoted):
    /// GET_ALL_DELAY_OFFSET.
    pub fn encode_fastjson(&self) -> Vec<u8> {
        let parts: Vec<String> = self
            .all()
            .into_iter()
            .map(|(l, o)| format!("{l}:{o}"))
            .collect();
        format!("{{\"offsetTable\":{{{}}}}}", parts.join(",")).into_bytes()
    }

    fn set(&self, level: i32, offset: i64) {
        self.table.lock().insert(level, offset);
    }

    pub fn persist(&self) {
        let file = OffsetFile {
            offset_table: self.table.lock().clone(),
        };
        let json = serde_json::to_vec_pretty(&file).unwrap_or_default();
        self.writer.submit(json);
    }

    /// Waits until every persist so far is on disk.
    pub fn flush(&self) {
        self.writer.flush();
    }
}

/// What one level's round ended with.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Nothing left to deliver now.
    Idle,
    /// The next message is due at this time (ms).
    At(i64),
}

pub(crate) async fn deliver_loop(b: Arc<BrokerInner>, mut stop: watch::Receiver<bool>) {
    let mut last_persist = tokio::time::Instant::now();
    loop {
        let now = now_ms();
        // A round reads the store and puts every due message: blocking work, off the runtime's
        // threads (a large backlog of due messages is delivered in one round).
        let round = b.clone();
        let wake = tokio::task::spawn_blocking(move || {
            let mut wake = now + POLL.as_millis() as i64;
            for level in 1..=round.cfg.delay_levels.max_level() {
                if let Next::At(t) = deliver_due(&round, level, now) {
                    wake = wake.min(t);
                }
            }
            wake
        })
        .await
        .unwrap_or(now + POLL.as_millis() as i64);
        if last_persist.elapsed() >= PERSIST_EVERY {
            b.delay_offsets.persist();
            last_persist = tokio::time::Instant::now();
        }
        let sleep =
            Duration::from_millis((wake - now_ms()).clamp(1, POLL.as_millis() as i64) as u64);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.changed() => break,
        }
    }
    b.delay_offsets.persist();
}

/// Java `correctDeliverTimestamp`: a delivery time further away than the level's delay (the
/// clock went back) is delivered now.
fn correct_deliver_time(now: i64, deliver: i64, delay: i64) -> i64 {
    if deliver > now + delay {
        now
    } else {
        deliver
    }
}

/// Delivers the due messages of one level; returns when the level has nothing due.
fn deliver_due(b: &BrokerInner, level: i32, now: i64) -> Next {
    let levels: &DelayLevels = &b.cfg.delay_levels;
    let Some(delay) = levels.delay_ms(level) else {
        return Next::Idle;
    };
    let queue_id = level - 1;
    let start = b.delay_offsets.get(level);
    let mut queue = QueueCursor::new(&b.store, SCHEDULE_TOPIC, queue_id, start, BATCH);
    loop {
        match queue.next_item() {
            Item::End => return Next::Idle,
            // Java `correctDelayOffset`: an offset outside the queue restarts at its edge.
            Item::Corrected { from, to, past_end } => {
                tracing::warn!(level, from, to, "delay offset out of the queue, corrected");
                b.delay_offsets.set(level, to);
                if past_end {
                    return Next::Idle;
                }
            }
            Item::Unreadable { offset, error } => {
                tracing::error!(level, offset, %error, "unreadable delayed message skipped");
                b.delay_offsets.set(level, queue.offset);
            }
            Item::Message { offset, msg: m } => {
                let due = correct_deliver_time(now, m.store_timestamp + delay, delay);
                if due > now {
                    return Next::At(due);
                }
                match deliver(b, &m) {
                    Ok(()) => {}
                    Err(Failure::Skip(why)) => {
                        tracing::error!(level, offset, msg_id = %m.msg_id(), "delayed message cannot be delivered, skipped: {why}");
                    }
                    Err(Failure::Retry(e)) => {
                        tracing::warn!(level, offset, error = %e, "delayed message put failed, retrying in 10 s");
                        return Next::At(now + RETRY_AFTER_FAILURE_MS);
                    }
                }
                b.delay_offsets.set(level, queue.offset);
            }
        }
    }
}

enum Failure {
    /// The message can never be delivered (no real topic or queue).
    Skip(String),
    /// The store refused it now (full, shut down, I/O): try again later.
    Retry(StoreError),
}

/// Java `messageTimeup` + put: the stored message, back to its real topic and queue.
fn deliver(b: &BrokerInner, m: &MessageExt) -> Result<(), Failure> {
    let props = m.properties.encode();
    let topic = properties::get(&props, properties::REAL_TOPIC)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Failure::Skip("no REAL_TOPIC property".into()))?
        .to_owned();
    let queue_id: i32 = properties::get(&props, properties::REAL_QID)
        .and_then(|q| q.parse().ok())
        .filter(|q| *q >= 0)
        .ok_or_else(|| Failure::Skip("no valid REAL_QID property".into()))?;
    let put = PutMessage::from_ext(m, topic, queue_id, props);
    match b.store.put_message_nowait(put) {
        Ok(_) => Ok(()),
        Err(
            e @ (StoreError::MessageTooLarge { .. }
            | StoreError::PropertiesTooLong(_)
            | StoreError::TopicTooLong(_)
            | StoreError::InvalidTopic(_)),
        ) => Err(Failure::Skip(e.to_string())),
        Err(e) => Err(Failure::Retry(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliver_time_is_corrected_when_the_clock_went_back() {
        assert_eq!(correct_deliver_time(1000, 1500, 1000), 1500);
        assert_eq!(correct_deliver_time(1000, 2000, 1000), 2000);
        assert_eq!(correct_deliver_time(1000, 2001, 1000), 1000);
    }

    #[test]
    fn offsets_file_reads_javas_unquoted_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/delayOffset.json"),
            "{\"offsetTable\":{1:5,3:0,12:7}}",
        )
        .unwrap();
        let o = DelayOffsets::load(dir.path()).unwrap();
        assert_eq!((o.get(1), o.get(2), o.get(3), o.get(12)), (5, 0, 0, 7));
        o.set(2, 9);
        o.persist();
        o.flush();
        let again = DelayOffsets::load(dir.path()).unwrap();
        assert_eq!((again.get(1), again.get(2), again.get(12)), (5, 9, 7));
    }
}
