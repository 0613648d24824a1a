//! Store errors.

use std::path::PathBuf;

/// Errors returned by the store.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("message record of {size} bytes exceeds the maximum message size {max}")]
    MessageTooLarge { size: usize, max: usize },
    #[error("batch of {size} bytes cannot fit in a commit-log file of {file_size} bytes")]
    BatchTooLarge { size: usize, file_size: usize },
    #[error("properties are {0} bytes, the maximum is 32767")]
    PropertiesTooLong(usize),
    #[error("topic is {0} bytes, the maximum is 127")]
    TopicTooLong(usize),
    #[error("invalid topic name {0:?}")]
    InvalidTopic(String),
    #[error("invalid batch: {0}")]
    InvalidBatch(&'static str),
    #[error("invalid store configuration: {0}")]
    InvalidConfig(String),
    /// Another broker (Rocklet or Java) has the store directory open.
    #[error("Lock failed,MQ already started: {0} is held by another broker on this store")]
    Locked(PathBuf),
    /// Recovery found a damaged record with intact records after it.
    #[error("commit log damaged at offset {offset} ({reason}), but intact records follow from offset {intact}: refusing to start so that they are not lost. Back up the store; to drop everything from offset {offset} on (queue offsets after it are handed out again), start with recoverTruncateDamagedCommitLog=true")]
    Damaged {
        /// Where the damaged record starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
        /// The first intact record after it.
        intact: u64,
    },
    #[error("message store is shut down")]
    ShutDown,
    /// Java `OS_PAGECACHE_BUSY`: a put held the append lock longer than
    /// `osPageCacheBusyTimeOutMills` (the text is the broker's remark, as Java's).
    #[error("[PC_SYNCHRONIZED]broker busy, start flow control for a while")]
    OsPageCacheBusy,
    /// Java `RunningFlags` not writable: the disk is above the warning level, or a store file
    /// could not be allocated (see [`StoreError::NoSpace`]).
    #[error("the message store is not writable: the broker's disk is full")]
    NotWritable,
    /// A new store file could not get its blocks (ENOSPC / EDQUOT). The store refuses puts until
    /// the disk check finds room again.
    #[error("no space left to allocate {path}: {source}")]
    NoSpace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode record: {0}")]
    Encode(#[from] crate::record::EncodeError),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if crate::disk::is_no_space(&source) {
            StoreError::NoSpace { path, source }
        } else {
            StoreError::Io { path, source }
        }
    }

    /// Whether the store refused or failed the put for lack of disk space (the broker answers
    /// SERVICE_NOT_AVAILABLE with Java's disk-full remark).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::NotWritable | StoreError::NoSpace { .. })
    }
}
