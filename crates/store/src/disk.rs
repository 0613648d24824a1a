//! Disk space: usage as Java measures it, block allocation for new files, and the store's
//! disk guard (Java `RunningFlags` DISK_FULL bit plus Rocklet's allocation-failure flag).

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Java `UtilAll.getDiskPartitionSpaceUsedPercent`: the used fraction of the partition holding
/// `path`, rounded up to whole percents (`ceil(used * 100 / (used + usable)) / 100`), or -1
/// when the path does not exist or cannot be measured.
pub fn used_ratio(path: &Path) -> f64 {
    let Ok(s) = rustix::fs::statvfs(path) else {
        return -1.0;
    };
    let total = s.f_blocks.saturating_mul(s.f_frsize);
    if total == 0 {
        return -1.0;
    }
    let used = total.saturating_sub(s.f_bfree.saturating_mul(s.f_frsize));
    let usable = s.f_bavail.saturating_mul(s.f_frsize);
    let entire = used + usable;
    if entire == 0 {
        return -1.0;
    }
    // u128: used * 100 overflows u64 only past 184 PB, but costs nothing to rule out.
    let (used, entire) = (used as u128, entire as u128);
    let round = u128::from((used * 100) % entire != 0);
    (used * 100 / entire + round) as f64 / 100.0
}

/// Bytes an unprivileged writer may still allocate on the partition of `path`.
pub fn available_bytes(path: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// Whether an I/O error means the file system is out of space (or quota).
pub fn is_no_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// Give `file` (new and empty, or being sized) `len` bytes with every block allocated, so that
/// writes through a shared mapping can never fault on a full disk (SIGBUS). Uses `fallocate`;
/// where the file system does not support it and `zero_fill` is set, writes zeros instead.
pub fn allocate(file: &File, len: u64, zero_fill: bool) -> io::Result<()> {
    match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), 0, len) {
        Ok(()) => Ok(()),
        Err(e)
            if zero_fill
                && (e == rustix::io::Errno::OPNOTSUPP || e == rustix::io::Errno::NOSYS) =>
        {
            write_zeros(file, len)
        }
        Err(e) => Err(e.into()),
    }
}

fn write_zeros(file: &File, len: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    const CHUNK: usize = 1 << 20;
    let zeros = vec![0u8; CHUNK];
    let mut off = 0u64;
    while off < len {
        let n = CHUNK.min((len - off) as usize);
        file.write_all_at(&zeros[..n], off)?;
        off += n as u64;
    }
    Ok(())
}

/// The store's writability as the disk decides it.
pub(crate) struct DiskGuard {
    /// Java `RunningFlags` DISK_FULL bit: usage above the warning level.
    full: AtomicBool,
    /// A new file could not get its blocks (ENOSPC/EDQUOT), or the last commit-log file could
    /// not be given its blocks at open. Cleared by the disk check once there is room again.
    alloc_failed: AtomicBool,
    /// `f64` bits of the two ratio levels (changeable at run time for tests).
    warning: AtomicU64,
    forcibly: AtomicU64,
    /// Refused puts since the store was last writable (Java logs every 50 000th).
    refused: AtomicU64,
}

impl DiskGuard {
    pub fn new(warning: f64, forcibly: f64) -> Self {
        DiskGuard {
            full: AtomicBool::new(false),
            alloc_failed: AtomicBool::new(false),
            warning: AtomicU64::new(warning.to_bits()),
            forcibly: AtomicU64::new(forcibly.to_bits()),
            refused: AtomicU64::new(0),
        }
    }

    pub fn warning(&self) -> f64 {
        f64::from_bits(self.warning.load(Ordering::Relaxed))
    }

    pub fn forcibly(&self) -> f64 {
        f64::from_bits(self.forcibly.load(Ordering::Relaxed))
    }

    pub fn set_levels(&self, warning: f64, forcibly: f64) {
        self.warning.store(warning.to_bits(), Ordering::Relaxed);
        self.forcibly.store(forcibly.to_bits(), Ordering::Relaxed);
    }

    #[inline]
    pub fn writable(&self) -> bool {
        !self.full.load(Ordering::Relaxed) && !self.alloc_failed.load(Ordering::Relaxed)
    }

    /// A put was refused: logs the first of every 50 000 (Java `checkStoreStatus`).
    pub fn refused(&self) {
        if self
            .refused
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(50_000)
        {
            tracing::warn!("the message store is not writable. It may be caused by one of the following reasons: the broker's disk is full, write to logic queue error, write to index file error, etc");
        }
    }

    pub fn alloc_failed(&self, path: &Path, e: &io::Error) {
        if !self.alloc_failed.swap(true, Ordering::AcqRel) {
            tracing::warn!(path = %path.display(), error = %e, "cannot allocate a store file: the disk is full, puts are refused until space is freed");
        }
    }

    /// Java `isSpaceFull` (run every 10 s): marks the store disk-full above the warning level
    /// and OK below it; clears an allocation failure once `need` bytes are available again.
    /// Returns the measured ratio.
    pub fn check(&self, commit_log_dir: &Path, need: u64) -> f64 {
        let ratio = used_ratio(commit_log_dir);
        if ratio > self.warning() {
            if !self.full.swap(true, Ordering::AcqRel) {
                tracing::warn!(
                    used = ratio,
                    path = %commit_log_dir.display(),
                    "physic disk of commitLog maybe full soon, so mark disk full: puts are refused"
                );
            }
        } else if self.full.swap(false, Ordering::AcqRel) {
            tracing::warn!(used = ratio, path = %commit_log_dir.display(), "physic disk space of commitLog OK, so mark disk ok: puts are accepted again");
        }
        if self.alloc_failed.load(Ordering::Acquire)
            && available_bytes(commit_log_dir).is_some_and(|a| a >= need)
            && self.alloc_failed.swap(false, Ordering::AcqRel)
        {
            tracing::warn!(path = %commit_log_dir.display(), "disk space available again for new store files: puts are accepted again");
        }
        if self.writable() {
            self.refused.store(0, Ordering::Relaxed);
        }
        ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_an_existing_path_and_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let r = used_ratio(dir.path());
        assert!((0.0..=1.0).contains(&r), "{r}");
        assert_eq!(used_ratio(&dir.path().join("missing")), -1.0);
    }

    #[test]
    fn allocate_gives_the_file_its_length_and_blocks() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let f = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(dir.path().join("f"))
            .unwrap();
        allocate(&f, 1 << 20, true).unwrap();
        let m = f.metadata().unwrap();
        assert_eq!(m.len(), 1 << 20);
        assert!(m.blocks() * 512 >= 1 << 20, "blocks {}", m.blocks());
    }

    #[test]
    fn guard_levels() {
        let dir = tempfile::tempdir().unwrap();
        let g = DiskGuard::new(0.0, 0.0);
        assert!(g.writable());
        g.check(dir.path(), 0);
        assert!(!g.writable(), "any usage is above a warning level of 0");
        g.set_levels(1.0, 1.0);
        g.check(dir.path(), 0);
        assert!(g.writable());
        g.alloc_failed(dir.path(), &io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(!g.writable());
        g.check(dir.path(), u64::MAX);
        assert!(!g.writable(), "no room for the file yet");
        g.check(dir.path(), 1);
        assert!(g.writable());
    }
}
