//! Memory-mapped files and queues of them (commit log and consume queues).
//!
//! Concurrency contract: bytes below a file's `wrote` position are immutable and may be read
//! by anyone; bytes at or above it are written only by the single holder of the owning
//! queue's append lock (or by recovery before the store is shared), then published with a
//! release store of `wrote`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use memmap2::{MmapOptions, MmapRaw};
use parking_lot::{Mutex, RwLock};

use crate::layout;

pub(crate) struct MappedFile {
    from: u64,
    size: usize,
    /// `size` bytes. Its base pointer is taken from it at each access (`as_ptr`/`as_mut_ptr`)
    /// rather than stored, so `MappedFile` is `Send + Sync` through `MmapRaw` (memmap2 declares
    /// it so) without an `unsafe impl` here; shared access still follows the contract in the
    /// module docs.
    map: MmapRaw,
    wrote: AtomicUsize,
    flushed: AtomicUsize,
    path: PathBuf,
    _file: File,
}

pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl MappedFile {
    fn map(file: File, path: PathBuf, from: u64, size: usize, wrote: usize) -> io::Result<Self> {
        let map = MmapOptions::new().len(size).map_raw(&file)?;
        Ok(MappedFile {
            from,
            size,
            map,
            wrote: AtomicUsize::new(wrote),
            flushed: AtomicUsize::new(wrote),
            path,
            _file: file,
        })
    }

    /// Set the kernel's read-ahead policy for this mapping (see [`Access`]).
    pub fn advise(&self, access: Access) {
        let advice = match access {
            Access::Random => memmap2::Advice::Random,
            Access::Normal => memmap2::Advice::Normal,
        };
        if let Err(e) = self.map.advise(advice) {
            tracing::debug!(path = %self.path.display(), error = %e, ?advice, "madvise failed");
        }
    }

    /// Unmap the pages of `[pos, pos+len)` from this process (`MADV_DONTNEED`), so a one-off
    /// read (recovery's scan, the background key indexing) does not stay in the broker's RSS.
    /// The file's pages stay in the page cache and later reads fault the same bytes back in.
    pub fn release_pages(&self, pos: usize, len: usize) {
        let page = 4096;
        let start = pos.div_ceil(page) * page;
        let end = ((pos + len).min(self.size) / page) * page;
        if end <= start {
            return;
        }
        // SAFETY: a shared file mapping keeps its contents across MADV_DONTNEED (only private
        // and anonymous mappings lose them), so readers holding slices into this range see the
        // same bytes after the kernel faults the page-cache pages back in.
        let r = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
        if let Err(e) = r {
            tracing::debug!(path = %self.path.display(), error = %e, "madvise(DONTNEED) failed");
        }
    }

    /// How many of the pages of `[pos, pos+len)` are resident (`mincore`), for tests.
    #[cfg(all(test, target_os = "linux"))]
    pub fn resident_pages(&self, pos: usize, len: usize) -> usize {
        let page = 4096;
        let start = pos / page * page;
        let n = (pos + len).div_ceil(page) - start / page;
        let mut vec = vec![0u8; n];
        let base = self.map.as_mut_ptr();
        // SAFETY: the range lies inside this live mapping; `vec` has one byte per page.
        let rc = unsafe { libc::mincore(base.add(start).cast(), n * page, vec.as_mut_ptr()) };
        assert_eq!(rc, 0, "mincore failed");
        vec.iter().filter(|b| *b & 1 == 1).count()
    }

    /// Fault `[pos, pos+len)` in writable without changing its contents
    /// (`MADV_POPULATE_WRITE`; see `prefault`).
    pub fn populate_write(&self, pos: usize, len: usize) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            self.map
                .advise_range(memmap2::Advice::PopulateWrite, pos, len)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (pos, len);
            Err(io::ErrorKind::Unsupported.into())
        }
    }

    /// Create and map a new file. With `durable`, the new file and its directory entry are
    /// fsynced before use (commit-log files: created once per segment). Consume-queue files skip
    /// that: they are rebuilt from the commit log on recovery, and two fsyncs on the send path of
    /// the first message of every queue stalled all sends (Java fsyncs neither).
    pub fn create(dir: &Path, from: u64, size: usize, durable: bool) -> io::Result<Self> {
        Self::create_at(dir.join(layout::file_name(from)), from, size, durable)
    }

    /// As [`MappedFile::create`], at an explicit path (index files are named by time).
    pub fn create_at(path: PathBuf, from: u64, size: usize, durable: bool) -> io::Result<Self> {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let dir = dir.as_path();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        // Every block is allocated before the file is mapped: a write through the mapping into
        // a hole on a full disk is a SIGBUS, an allocation failure here is an error the put
        // returns. A file that could not be allocated is removed (it holds nothing).
        let made = crate::disk::allocate(&file, size as u64, true).and_then(|()| {
            if durable {
                file.sync_all()?;
                sync_dir(dir);
            }
            Self::map(file, path.clone(), from, size, 0)
        });
        if made.is_err() {
            let _ = fs::remove_file(&path);
        }
        made
    }

    /// Allocates any holes of an existing file (created sparse by an older Rocklet), keeping
    /// its contents, so writes through the mapping cannot fault on a full disk.
    pub fn allocate_blocks(&self) -> io::Result<()> {
        crate::disk::allocate(&self._file, self.size as u64, false)
    }

    /// The file's last modification time (Java `MappedFile.getLastModifiedTimestamp`), ms.
    pub fn last_modified_ms(&self) -> Option<i64> {
        let t = self._file.metadata().ok()?.modified().ok()?;
        Some(
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
        )
    }

    /// Opens an existing file for recovery: everything is readable (`wrote == size`) until
    /// recovery sets the real position.
    pub fn open(path: PathBuf, from: u64, size: usize) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        let len = file.metadata()?.len();
        if len != size as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: file length {len} does not match the configured mapped file size {size}",
                    path.display()
                ),
            ));
        }
        Self::map(file, path, from, size, size)
    }

    pub fn from(&self) -> u64 {
        self.from
    }
    pub fn size(&self) -> usize {
        self.size
    }
    pub fn wrote(&self) -> usize {
        self.wrote.load(Ordering::Acquire)
    }
    pub fn is_full(&self) -> bool {
        self.wrote() >= self.size
    }

    /// Published bytes `[pos, pos+len)`, if all are below the write position.
    pub fn slice(&self, pos: usize, len: usize) -> Option<&[u8]> {
        let end = pos.checked_add(len)?;
        if end > self.wrote() {
            return None;
        }
        // SAFETY: `map` is a live mapping of `size` bytes borrowed for the slice's lifetime;
        // the range is in bounds (wrote <= size) and published, hence immutable.
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(pos), len) })
    }

    /// Mutable access to unpublished bytes `[pos, pos+len)`.
    ///
    /// # Safety
    /// The caller must hold the owning queue's append lock (or be recovering with exclusive
    /// access), `pos >= wrote()` unless recovering, and `pos + len <= size`.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn write_region(&self, pos: usize, len: usize) -> &mut [u8] {
        // An overflowing `pos + len` must fail the check, not wrap past it.
        assert!(
            pos.checked_add(len).is_some_and(|end| end <= self.size),
            "write beyond mapped file"
        );
        // SAFETY: `map` is a live mapping of `size` bytes borrowed for the region's lifetime;
        // the range is in bounds (asserted above) and the caller guarantees exclusive access.
        std::slice::from_raw_parts_mut(self.map.as_mut_ptr().add(pos), len)
    }

    pub fn set_wrote(&self, pos: usize) {
        self.wrote.store(pos, Ordering::Release);
    }

    /// Recovery: set positions to `pos`, zero any non-zero bytes after it and make that durable.
    pub fn truncate_to(&self, pos: usize) -> io::Result<()> {
        const CHUNK: usize = 64 * 1024;
        let mut p = pos;
        let mut zeroed_any = false;
        while p < self.size {
            // Holes read as zeros: check only the data extents (reading a gigabyte of holes
            // after a short tail cost ~0.3 s of start-up and mapped it all into the RSS).
            let (data, data_end) = self.next_data(p);
            if data >= self.size {
                break;
            }
            p = data;
            while p < data_end {
                let n = CHUNK.min(data_end - p);
                // SAFETY: recovery has exclusive access; in bounds.
                let region = unsafe { self.write_region(p, n) };
                if region.iter().any(|&b| b != 0) {
                    region.fill(0);
                    zeroed_any = true;
                }
                p += n;
            }
        }
        if zeroed_any {
            self.map.flush_range(pos, self.size - pos)?;
        }
        self.wrote.store(pos, Ordering::Release);
        self.flushed.store(pos, Ordering::Release);
        Ok(())
    }

    /// The next range `[start, end)` at or after `pos` that may hold data (`SEEK_DATA` /
    /// `SEEK_HOLE`); `start == size` when only holes follow. Where the file system cannot tell,
    /// the whole rest of the file.
    fn next_data(&self, pos: usize) -> (usize, usize) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let fd = self._file.as_raw_fd();
            // SAFETY: lseek on a descriptor this struct owns; no memory is passed.
            let start = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_DATA) };
            if start < 0 {
                return match io::Error::last_os_error().raw_os_error() {
                    Some(libc::ENXIO) => (self.size, self.size),
                    _ => (pos, self.size),
                };
            }
            // SAFETY: as above.
            let end = unsafe { libc::lseek(fd, start, libc::SEEK_HOLE) };
            let start = (start as usize).min(self.size);
            let end = if end < 0 {
                self.size
            } else {
                (end as usize).min(self.size)
            };
            (start, end.max(start))
        }
        #[cfg(not(target_os = "linux"))]
        {
            (pos, self.size)
        }
    }

    /// msync the dirty range; returns the flushed position.
    pub fn flush(&self) -> io::Result<usize> {
        let w = self.wrote();
        let f = self.flushed.load(Ordering::Acquire);
        if w > f {
            self.map.flush_range(f, w - f)?;
            self.flushed.fetch_max(w, Ordering::AcqRel);
        }
        Ok(w.max(f))
    }

    pub fn flushed(&self) -> usize {
        self.flushed.load(Ordering::Acquire)
    }

    /// msync `[pos, pos+len)` without touching the flushed position (group commit publishes
    /// it with [`MappedFile::mark_flushed`] once earlier ranges are done too).
    pub fn flush_range(&self, pos: usize, len: usize) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        self.map.flush_range(pos, len)
    }

    /// Records that everything below `pos` is durable.
    pub fn mark_flushed(&self, pos: usize) {
        self.flushed.fetch_max(pos.min(self.size), Ordering::AcqRel);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Zero-copy view into a mapped file, used as a `Bytes` owner.
pub(crate) struct MappedSlice {
    file: Arc<MappedFile>,
    pos: usize,
    len: usize,
}

impl AsRef<[u8]> for MappedSlice {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: constructed only for published ranges, which never change; the `Arc` keeps
        // the mapping alive as long as this view.
        unsafe { std::slice::from_raw_parts(self.file.map.as_ptr().add(self.pos), self.len) }
    }
}

/// Returns a `Bytes` over a published range of `file` without copying.
pub(crate) fn bytes_of(file: &Arc<MappedFile>, pos: usize, len: usize) -> Option<bytes::Bytes> {
    file.slice(pos, len)?;
    Some(bytes::Bytes::from_owner(MappedSlice {
        file: file.clone(),
        pos,
        len,
    }))
}

/// Read-ahead policy of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Kernel read-ahead (sequential reads of cold data).
    Normal,
    /// No read-ahead. A write fault on a sparse file then maps one zeroed 4 KiB page instead
    /// of reading ahead (zero-filling) a large folio. Measured with perf on ext4 (kernel 6.18):
    /// a fresh 6 MB consume-queue file, written 20 bytes at a time, stalled ~14 ms on its first
    /// write; and with SYNC_FLUSH every msync of the commit log's tail large folio walked all
    /// its buffers, write-protected it (splitting its huge mapping, with TLB-flush IPIs) and the
    /// next append re-faulted it: 128 B sends 53-60k -> 73k msg/s, 1 KiB 53k -> 61k.
    Random,
}

/// How a queue's files are mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueAccess {
    /// Every file without read-ahead (consume queues: written and read 20 bytes at a time).
    Random,
    /// The file being appended to without read-ahead, full files with it (commit log: appends
    /// fault one page at a time; consumers catching up on cold data read sequentially).
    RandomTail,
}

/// An ordered list of equally sized mapped files named by their start offsets.
pub(crate) struct MappedFileQueue {
    dir: PathBuf,
    file_size: usize,
    files: RwLock<Vec<Arc<MappedFile>>>,
    flush_lock: Mutex<()>,
    /// fsync new files and their directory entry (see [`MappedFile::create`]).
    durable_create: bool,
    /// A file was created without syncing the directory (`durable_create == false`); the next
    /// [`flush`](Self::flush) syncs the directory and its two parents (a consume queue's
    /// `consumequeue/<topic>/<queueId>`), so a flushed file cannot vanish in a power loss.
    dir_dirty: std::sync::atomic::AtomicBool,
    access: QueueAccess,
}

impl MappedFileQueue {
    /// Loads all files of `dir` (created if missing) for recovery; new files are fsynced; the
    /// file being appended to is mapped without read-ahead.
    pub fn load(dir: PathBuf, file_size: usize) -> io::Result<Self> {
        Self::load_with(dir, file_size, true, QueueAccess::RandomTail)
    }

    /// As [`MappedFileQueue::load`], choosing whether new files are fsynced on creation and
    /// how files are mapped.
    pub fn load_with(
        dir: PathBuf,
        file_size: usize,
        durable_create: bool,
        access: QueueAccess,
    ) -> io::Result<Self> {
        fs::create_dir_all(&dir)?;
        let mut starts = Vec::new();
        for e in fs::read_dir(&dir)? {
            let e = e?;
            if let Some(off) = e.file_name().to_str().and_then(layout::parse_file_name) {
                starts.push(off);
            }
        }
        starts.sort_unstable();
        // A file is created with `create_new` and sized with one `set_len` before anything is
        // written to it, so a crash between the two leaves an empty last file holding no data.
        // Remove it (it is created again when needed) instead of refusing to start; any other
        // length mismatch is still refused by `MappedFile::open`.
        if let Some(&s) = starts.last() {
            let path = dir.join(layout::file_name(s));
            if fs::metadata(&path)?.len() == 0 {
                tracing::warn!(path = %path.display(), "removing an empty file left by an interrupted file creation");
                fs::remove_file(&path)?;
                sync_dir(&dir);
                starts.pop();
            }
        }
        let mut files = Vec::with_capacity(starts.len());
        for (i, &s) in starts.iter().enumerate() {
            if s % file_size as u64 != 0 || (i > 0 && s != starts[i - 1] + file_size as u64) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: file {} does not continue the file sequence (file size {file_size})",
                        dir.display(),
                        layout::file_name(s)
                    ),
                ));
            }
            let path = dir.join(layout::file_name(s));
            let f = MappedFile::open(path, s, file_size)?;
            let last = i + 1 == starts.len();
            if access == QueueAccess::Random || (last && access == QueueAccess::RandomTail) {
                f.advise(Access::Random);
            }
            files.push(Arc::new(f));
        }
        Ok(MappedFileQueue {
            dir,
            file_size,
            files: RwLock::new(files),
            flush_lock: Mutex::new(()),
            durable_create,
            dir_dirty: std::sync::atomic::AtomicBool::new(false),
            access,
        })
    }

    pub fn file_size(&self) -> usize {
        self.file_size
    }

    pub fn files(&self) -> Vec<Arc<MappedFile>> {
        self.files.read().clone()
    }

    pub fn first(&self) -> Option<Arc<MappedFile>> {
        self.files.read().first().cloned()
    }

    pub fn last(&self) -> Option<Arc<MappedFile>> {
        self.files.read().last().cloned()
    }

    /// The file containing `offset`.
    pub fn find(&self, offset: u64) -> Option<Arc<MappedFile>> {
        let files = self.files.read();
        let first = files.first()?;
        let idx = layout::file_index(first.from(), self.file_size as u64, offset)?;
        files.get(idx).cloned()
    }

    /// Creates and appends the file starting at `from` (must continue the sequence).
    pub fn create(&self, from: u64) -> io::Result<Arc<MappedFile>> {
        let mut files = self.files.write();
        if let Some(last) = files.last() {
            if from != last.from() + self.file_size as u64 {
                return Err(io::Error::other(format!(
                    "refusing to create {} after {}",
                    layout::file_name(from),
                    layout::file_name(last.from())
                )));
            }
        }
        let f = MappedFile::create(&self.dir, from, self.file_size, self.durable_create)?;
        if !self.durable_create {
            self.dir_dirty.store(true, Ordering::Release);
        }
        f.advise(Access::Random);
        if self.access == QueueAccess::RandomTail {
            if let Some(full) = files.last() {
                full.advise(Access::Normal);
            }
        }
        let f = Arc::new(f);
        files.push(f.clone());
        Ok(f)
    }

    /// Offset after the last written byte (or `empty_default` if there are no files).
    pub fn max_offset(&self) -> Option<u64> {
        self.last().map(|f| f.from() + f.wrote() as u64)
    }

    /// Removes up to `max` files from the front of the queue while `doomed` accepts them,
    /// never the last file (the one being written), pausing `pause` between two deletions (Java
    /// `deleteExpiredFileByTime` / `deleteExpiredFileByOffset`). Readers holding views of a
    /// removed file keep its mapping until they drop it; its blocks are freed then. Returns the
    /// removed files' start offsets.
    pub fn delete_front(
        &self,
        max: usize,
        pause: std::time::Duration,
        mut doomed: impl FnMut(&MappedFile) -> bool,
    ) -> Vec<u64> {
        let mut removed = Vec::new();
        while removed.len() < max {
            let f = {
                let files = self.files.read();
                if files.len() < 2 {
                    break;
                }
                files[0].clone()
            };
            if !doomed(&f) {
                break;
            }
            {
                let mut files = self.files.write();
                // Only this thread removes files; appends only push.
                if files.len() < 2 || !Arc::ptr_eq(&files[0], &f) {
                    break;
                }
                files.remove(0);
            }
            if let Err(e) = fs::remove_file(f.path()) {
                tracing::warn!(path = %f.path().display(), error = %e, "deleting an expired file failed");
            } else {
                tracing::info!(path = %f.path().display(), "expired file deleted");
            }
            removed.push(f.from());
            if !pause.is_zero() && removed.len() < max {
                std::thread::sleep(pause);
            }
        }
        if !removed.is_empty() {
            sync_dir(&self.dir);
        }
        removed
    }

    /// Recovery: make `offset` the end of the queue: set positions, zero the tail of its file
    /// and delete all later files. Files are kept entirely when `offset` is at a file end.
    pub fn truncate(&self, offset: u64) -> io::Result<()> {
        let mut files = self.files.write();
        let mut keep = files.len();
        for (i, f) in files.iter().enumerate() {
            let end = f.from() + self.file_size as u64;
            if offset >= end {
                f.set_wrote(self.file_size);
                f.flushed.store(self.file_size, Ordering::Release);
            } else if offset >= f.from() {
                f.truncate_to((offset - f.from()) as usize)?;
            } else {
                keep = keep.min(i);
            }
        }
        for f in files.drain(keep..) {
            tracing::warn!(path = %f.path().display(), "deleting file beyond the recovered end");
            fs::remove_file(f.path())?;
        }
        sync_dir(&self.dir);
        Ok(())
    }

    /// msyncs the commit-log range `[from, to)` (possibly across files) and returns when it is
    /// durable. Does not move the files' flushed positions (see [`MappedFileQueue::mark_flushed`]).
    pub fn flush_span(&self, from: u64, to: u64) -> io::Result<()> {
        for f in self.files() {
            let (start, end) = (f.from(), f.from() + f.size() as u64);
            if end <= from || start >= to {
                continue;
            }
            let a = from.max(start) - start;
            let b = to.min(end) - start;
            f.flush_range(a as usize, (b - a) as usize)?;
        }
        Ok(())
    }

    /// Records that the commit log is durable below `offset`.
    pub fn mark_flushed(&self, offset: u64) {
        for f in self.files() {
            if f.from() >= offset {
                break;
            }
            f.mark_flushed((offset - f.from()) as usize);
        }
    }

    /// Flushes every dirty file; returns the end offset of flushed data.
    pub fn flush(&self) -> io::Result<u64> {
        let _g = self.flush_lock.lock();
        if self.dir_dirty.swap(false, Ordering::AcqRel) {
            let mut d = Some(self.dir.as_path());
            for _ in 0..3 {
                let Some(dir) = d else { break };
                sync_dir(dir);
                d = dir.parent();
            }
        }
        let files = self.files();
        let Some(last) = files.last() else {
            return Ok(0);
        };
        // Files before the last fully flushed full file need nothing.
        let mut start = files.len() - 1;
        while start > 0 {
            let f = &files[start - 1];
            if f.flushed() >= self.file_size {
                break;
            }
            start -= 1;
        }
        let mut flushed = last.from();
        for f in &files[start..] {
            let p = f.flush()?;
            flushed = f.from() + p as u64;
            if p < f.size() {
                break;
            }
        }
        Ok(flushed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "write beyond mapped file")]
    fn write_region_rejects_an_overflowing_range() {
        let dir = tempfile::tempdir().unwrap();
        let f = MappedFile::create(dir.path(), 0, 4096, false).unwrap();
        // SAFETY: exclusive access; the call must panic before any access (pos + len wraps).
        let _ = unsafe { f.write_region(8, usize::MAX) };
    }
}
