//! rocklet-store: a durable RocketMQ 4.9.3-compatible message store (commit log, consume
//! queues, key index, checkpoint, recovery). No networking.
//!
//! Layout under `root_dir` (Java-compatible): `commitlog/<20-digit start offset>`,
//! `consumequeue/<topic>/<queueId>/<20-digit start offset>`, `checkpoint`.
//!
//! Design:
//! * One append lock: the record is encoded straight into the mmap, queue offsets are
//!   assigned and the 20-byte consume-queue entry written under it, so a message is
//!   readable via `get_message` when `put_message` returns. No syscall per message in
//!   AsyncFlush.
//! * Std threads, stopped by `shutdown`/drop: `rocklet-flush` msyncs dirty ranges every
//!   `flush_interval_commit_log_ms` (AsyncFlush) and flushes consume queues and the checkpoint
//!   every `flush_interval_consume_queue_ms`; with SyncFlush, `rocklet-commit` does the group
//!   commit (a put requests its end offset, the thread msyncs everything written so far and
//!   publishes the flushed offset on a watch channel; waiters time out into
//!   `PutStatus::FlushDiskTimeout`); `rocklet-prefault` keeps pages ahead of the writer
//!   faulted in (`prefault`).
//! * Recovery at open scans the whole commit log (magic, sizes, body CRC, stored physical
//!   offset), truncates at the first invalid record (zeroing the torn tail, deleting later
//!   files), verifies each dispatchable record against its consume-queue entry (rewriting
//!   missing or wrong entries, dropping entries past the end) and rebuilds the in-memory key
//!   index. Open time is therefore proportional to the commit-log size.
//!
//! Pure, I/O-free modules: [`record`] (record codec), [`cq`] (consume-queue entries),
//! [`layout`] (file arithmetic), [`properties`], [`search`].

pub mod checkpoint;
pub mod config;
mod consume_queue;
pub mod cq;
pub mod error;
mod index;
pub mod layout;
mod mapped_file;
mod prefault;
pub mod properties;
pub mod record;
pub mod schedule;
pub mod search;
mod store;

pub use config::{FlushDiskType, StoreConfig};
pub use cq::CqEntry;
pub use error::StoreError;
pub use store::{GetResult, GetStatus, MessageStore, PutMessage, PutResult, PutStatus};
