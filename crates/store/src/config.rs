//! Store configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::schedule::DelayLevels;

/// Java `FlushDiskType` (`ASYNC_FLUSH` / `SYNC_FLUSH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushDiskType {
    #[default]
    AsyncFlush,
    SyncFlush,
}

/// Store configuration (names follow Java `MessageStoreConfig`).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `storePathRootDir`: commit log in `root/commitlog`, consume queues in
    /// `root/consumequeue/<topic>/<queueId>/`, checkpoint in `root/checkpoint`.
    pub root_dir: PathBuf,
    /// `mappedFileSizeCommitLog`, default 1 GiB.
    pub mapped_file_size_commit_log: u64,
    /// `mappedFileSizeConsumeQueue`, default 300 000 * 20 (rounded up to whole entries).
    pub mapped_file_size_consume_queue: u64,
    pub flush_disk_type: FlushDiskType,
    /// `flushIntervalCommitLog` (async flush period), default 500 ms.
    pub flush_interval_commit_log_ms: u64,
    /// `syncFlushTimeout`, default 5000 ms.
    pub sync_flush_timeout_ms: u64,
    /// `flushIntervalConsumeQueue` (also checkpoint period), default 1000 ms.
    pub flush_interval_consume_queue_ms: u64,
    /// `maxMessageSize` (whole stored record), default 4 MiB.
    pub max_message_size: usize,
    /// `maxTransferBytesOnMessageInMemory`, default 256 KiB (per `get_message` call).
    pub max_transfer_bytes_on_message: usize,
    /// `maxTransferCountOnMessageInMemory`, default 32 (per `get_message` call).
    pub max_transfer_count_on_message: usize,
    /// The broker's address, written into every record (storeHost).
    pub store_host: SocketAddr,
    /// `messageDelayLevel`: delay of each level, for the tagsCode (delivery time) of
    /// `SCHEDULE_TOPIC_XXXX` entries.
    pub delay_levels: DelayLevels,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            root_dir: PathBuf::from("store"),
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval_commit_log_ms: 500,
            sync_flush_timeout_ms: 5000,
            flush_interval_consume_queue_ms: 1000,
            max_message_size: 4 * 1024 * 1024,
            max_transfer_bytes_on_message: 256 * 1024,
            max_transfer_count_on_message: 32,
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            delay_levels: DelayLevels::default(),
        }
    }
}
