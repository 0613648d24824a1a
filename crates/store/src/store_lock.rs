//! The store directory's `lock` and `abort` files, as Java's `DefaultMessageStore` uses them:
//! * `lock`: an exclusive record lock (fcntl, the kind Java's `FileChannel.tryLock` takes, so a
//!   Java broker and Rocklet exclude each other) held while the store is open; a second
//!   broker on the same directory is refused with Java's "Lock failed,MQ already started".
//!   Record locks belong to the process, so stores opened twice in one process are also
//!   refused through a process-wide set of locked directories.
//! * `abort`: created once the store is open and removed by a clean shutdown; a store that
//!   finds it at open was not shut down cleanly (Java then recovers "abnormally", rebuilding
//!   what the crash may have left behind, which is why Rocklet must write it too).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use parking_lot::Mutex;

use crate::error::StoreError;

fn locked_dirs() -> &'static Mutex<HashSet<PathBuf>> {
    static S: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// Held while a store is open (see the module docs); dropping it releases the lock.
pub(crate) struct StoreLock {
    _file: File,
    dir: PathBuf,
}

impl StoreLock {
    /// Takes the lock of `root` or fails with [`StoreError::Locked`].
    pub(crate) fn acquire(root: &Path) -> Result<StoreLock, StoreError> {
        let path = root.join("lock");
        let dir = std::fs::canonicalize(root).map_err(|e| StoreError::io(root, e))?;
        if !locked_dirs().lock().insert(dir.clone()) {
            return Err(StoreError::Locked(path));
        }
        let release = |e: StoreError| {
            locked_dirs().lock().remove(&dir);
            e
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| release(StoreError::io(&path, e)))?;
        match rustix::fs::fcntl_lock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::ACCESS => {
                return Err(release(StoreError::Locked(path)));
            }
            Err(e) => return Err(release(StoreError::io(&path, e.into()))),
        }
        // Java writes "lock" into the file once it holds it.
        file.write_all(b"lock")
            .and_then(|()| file.sync_data())
            .map_err(|e| release(StoreError::io(&path, e)))?;
        Ok(StoreLock { _file: file, dir })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        locked_dirs().lock().remove(&self.dir);
    }
}

/// The `abort` file of `root`.
pub(crate) fn abort_file(root: &Path) -> PathBuf {
    root.join("abort")
}

/// Creates `abort` (the store is running); fsyncs it with its directory.
pub(crate) fn create_abort_file(root: &Path) -> Result<(), StoreError> {
    let path = abort_file(root);
    File::create(&path)
        .and_then(|f| f.sync_all())
        .and_then(|()| File::open(root)?.sync_all())
        .map_err(|e| StoreError::io(&path, e))
}

/// Removes `abort` after a clean shutdown.
pub(crate) fn remove_abort_file(root: &Path) {
    let path = abort_file(root);
    if let Err(e) = std::fs::remove_file(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove the abort file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let a = StoreLock::acquire(dir.path()).unwrap();
        let e = StoreLock::acquire(dir.path()).err().unwrap().to_string();
        assert!(e.contains("Lock failed,MQ already started"), "{e}");
        drop(a);
        let _b = StoreLock::acquire(dir.path()).unwrap();
        assert_eq!(std::fs::read(dir.path().join("lock")).unwrap(), b"lock");
    }
}
