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
    /// `accessMessageInMemoryMaxRatio` (%), default 40: a message further behind the commit
    /// log's end than this share of physical memory counts as "in disk" (not in the page cache).
    pub access_message_in_memory_max_ratio: u32,
    /// The broker's address, written into every record (storeHost).
    pub store_host: SocketAddr,
    /// `messageDelayLevel`: delay of each level, for the tagsCode (delivery time) of
    /// `SCHEDULE_TOPIC_XXXX` entries.
    pub delay_levels: DelayLevels,
    /// `fileReservedTime` (Java: hours, 72), here in milliseconds so tests can use less than an
    /// hour: a commit-log file last modified longer ago than this is expired.
    pub file_reserved_time_ms: u64,
    /// `deleteWhen`: the hours of the day (local time, `;`-separated, default `"04"`) at which
    /// expired files are deleted even when the disk is not filling up.
    pub delete_when: String,
    /// `diskMaxUsedSpaceRatio` (percent, default 75; Java clamps it to 10..=95): above it expired
    /// files are deleted at any hour.
    pub disk_max_used_space_ratio: i32,
    /// `cleanResourceInterval`, default 10000 ms: period of the clean service.
    pub clean_resource_interval_ms: u64,
    /// Delay before the clean service's first round (Java: 60 s; Rocklet setting for tests).
    pub clean_resource_first_delay_ms: u64,
    /// `destroyMapedFileIntervalForcibly`, default 120000 ms. Java waits up to this long for
    /// readers of a file being deleted; Rocklet unlinks at once and the space is released when
    /// the last reader's view of the mapping is dropped.
    pub destroy_mapped_file_interval_forcibly_ms: u64,
    /// `deleteCommitLogFilesInterval`, default 100 ms: pause between two deleted commit-log files.
    pub delete_commit_log_files_interval_ms: u64,
    /// `deleteConsumeQueueFilesInterval`, default 100 ms: pause after a consume queue lost files.
    pub delete_consume_queue_files_interval_ms: u64,
    /// `cleanFileForciblyEnable`, default true: above the forcible ratio even unexpired files go.
    pub clean_file_forcibly_enable: bool,
    /// System property `rocketmq.broker.diskSpaceWarningLevelRatio`, default 0.90: above it the
    /// store is marked disk-full and refuses puts.
    pub disk_space_warning_level_ratio: f64,
    /// System property `rocketmq.broker.diskSpaceCleanForciblyRatio`, default 0.85.
    pub disk_space_clean_forcibly_ratio: f64,
    /// Period of the disk-usage check (Java: 10 s, fixed).
    pub disk_check_interval_ms: u64,
    /// `maxHashSlotNum`, default 5 000 000: hash slots per index file.
    pub max_hash_slot_num: usize,
    /// `maxIndexNum`, default 20 000 000: entries per index file (the first is never used, as
    /// Java's). With the defaults an index file is 420 MB (40 + 4 * slots + 20 * entries bytes),
    /// allocated when it is created.
    pub max_index_num: usize,
    /// `messageIndexEnable`, default true: keys are indexed (queries read existing files
    /// either way).
    pub message_index_enable: bool,
    /// Rocklet's `recoverTruncateDamagedCommitLog`, default false: when recovery finds a damaged
    /// record with intact records after it, the store refuses to open (they would be lost);
    /// true drops everything from the damage on, as a torn tail is dropped.
    pub recover_truncate_damaged: bool,
    /// `osPageCacheBusyTimeOutMills`, default 1000: a put that finds the append lock held
    /// longer than this is refused at once (`OS_PAGECACHE_BUSY`, Java's flow control).
    pub os_page_cache_busy_timeout_ms: u64,
}

impl StoreConfig {
    /// `getDiskMaxUsedSpaceRatio`: the percentage clamped to 10..=95.
    pub fn disk_max_used_space_ratio_clamped(&self) -> i32 {
        self.disk_max_used_space_ratio.clamp(10, 95)
    }
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
            access_message_in_memory_max_ratio: 40,
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            delay_levels: DelayLevels::default(),
            file_reserved_time_ms: 72 * 3600 * 1000,
            delete_when: "04".into(),
            disk_max_used_space_ratio: 75,
            clean_resource_interval_ms: 10_000,
            clean_resource_first_delay_ms: 60_000,
            destroy_mapped_file_interval_forcibly_ms: 120_000,
            delete_commit_log_files_interval_ms: 100,
            delete_consume_queue_files_interval_ms: 100,
            clean_file_forcibly_enable: true,
            disk_space_warning_level_ratio: 0.90,
            disk_space_clean_forcibly_ratio: 0.85,
            disk_check_interval_ms: 10_000,
            max_hash_slot_num: 5_000_000,
            max_index_num: 5_000_000 * 4,
            message_index_enable: true,
            recover_truncate_damaged: false,
            os_page_cache_busy_timeout_ms: 1000,
        }
    }
}
