//! The small JSON / properties files beside the store (`config/topics.json`,
//! `consumerOffset.json`, `delayOffset.json`, `subscriptionGroup.json`, the broker's and the
//! name server's config), written and read as Java's `ConfigManager` / `MixAll.string2File` do,
//! with the holes of a plain write closed:
//! * [`write`]: a temp file with a name no other writer uses, fsynced; the previous contents
//!   kept in `<file>.bak` (Java's backup); renamed over the file; the directory fsynced, so a
//!   crash leaves the old or the new contents, never a torn or missing file.
//! * [`load`]: Java's `ConfigManager.load`: a missing or empty file falls back to `.bak`; a file
//!   that does not decode falls back to `.bak` too, and when that fails as well the caller gets
//!   an error to refuse to start with (Java would go on with defaults, resetting every consumer
//!   offset without a word).
//! * [`ConfigWriter`]: one owner per file, a thread of its own, so the fsyncs never run on the
//!   async runtime's threads; requests coalesce (the latest contents win).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// Neither the file nor its `.bak` decode.
    #[error("{path}: {reason} (and no usable {path}.bak); fix or remove the file to start")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why it did not decode.
        reason: String,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Replaces `path` with `bytes` (see the module docs).
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let tmp = with_suffix(
        path,
        &format!(
            ".tmp.{}.{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ),
    );
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        // Java's `string2File` keeps the previous contents in `.bak`.
        match std::fs::read(path) {
            Ok(prev) if !prev.is_empty() => {
                let bak = with_suffix(path, ".bak");
                let bak_tmp = with_suffix(&tmp, ".bak");
                let mut b = std::fs::File::create(&bak_tmp)?;
                b.write_all(&prev)?;
                b.sync_all()?;
                drop(b);
                std::fs::rename(&bak_tmp, bak)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(with_suffix(&tmp, ".bak"));
    }
    result
}

fn read_nonempty(path: &Path) -> Result<Option<Vec<u8>>, ConfigFileError> {
    match std::fs::read(path) {
        Ok(b) if b.iter().all(|c| c.is_ascii_whitespace()) => Ok(None),
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigFileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Loads `path` through `decode` as Java's `ConfigManager.load` (see the module docs).
/// `Ok(None)`: neither the file nor `.bak` has contents (a new store: use the defaults).
pub fn load<T, E: std::fmt::Display>(
    path: &Path,
    decode: impl Fn(&[u8]) -> Result<T, E>,
) -> Result<Option<T>, ConfigFileError> {
    let bak = with_suffix(path, ".bak");
    let main_error = match read_nonempty(path)? {
        Some(bytes) => match decode(&bytes) {
            Ok(v) => return Ok(Some(v)),
            Err(e) => Some(e.to_string()),
        },
        None => None,
    };
    let from_bak = match read_nonempty(&bak)? {
        Some(bytes) => match decode(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                return Err(ConfigFileError::Corrupt {
                    path: path.to_owned(),
                    reason: main_error.unwrap_or_else(|| format!("empty, and .bak: {e}")),
                })
            }
        },
        None => None,
    };
    match (main_error, from_bak) {
        (Some(reason), None) => Err(ConfigFileError::Corrupt {
            path: path.to_owned(),
            reason,
        }),
        (Some(reason), Some(v)) => {
            tracing::error!(path = %path.display(), %reason, "config file does not decode; loaded its .bak");
            Ok(Some(v))
        }
        (None, v) => Ok(v),
    }
}

#[derive(Default)]
struct WriterState {
    /// The latest contents not yet taken by the thread.
    pending: Option<Vec<u8>>,
    /// Requests made / written (a request is written once `written` reaches its number).
    requested: u64,
    written: u64,
    stop: bool,
}

struct WriterShared {
    path: PathBuf,
    state: Mutex<WriterState>,
    cv: Condvar,
}

/// The one writer of a config file: [`ConfigWriter::submit`] hands it the new contents and
/// returns at once; its thread writes the latest contents with [`write`]. Dropping it writes
/// what is pending and stops the thread.
pub struct ConfigWriter {
    shared: Arc<WriterShared>,
    thread: Option<JoinHandle<()>>,
}

impl ConfigWriter {
    /// Starts the writer thread of `path`.
    pub fn new(path: PathBuf) -> Self {
        let shared = Arc::new(WriterShared {
            path,
            state: Mutex::new(WriterState::default()),
            cv: Condvar::new(),
        });
        let s = shared.clone();
        let name = s
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let thread = std::thread::Builder::new()
            .name(format!("rocklet-cfg-{name}"))
            .spawn(move || writer_loop(&s))
            .ok();
        if thread.is_none() {
            tracing::error!(path = %shared.path.display(), "cannot start the config writer thread; writing inline");
        }
        ConfigWriter { shared, thread }
    }

    /// The file this writer owns.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Queues `bytes` as the file's new contents; returns the request's number.
    pub fn submit(&self, bytes: Vec<u8>) -> u64 {
        if self.thread.is_none() {
            if let Err(e) = write(&self.shared.path, &bytes) {
                tracing::error!(path = %self.shared.path.display(), error = %e, "writing config file failed");
            }
            return 0;
        }
        let mut st = self.shared.state.lock();
        st.pending = Some(bytes);
        st.requested += 1;
        self.shared.cv.notify_all();
        st.requested
    }

    /// Waits until every request made so far is written (or failed and was logged).
    pub fn flush(&self) {
        let mut st = self.shared.state.lock();
        let target = st.requested;
        while st.written < target && self.thread.is_some() {
            self.shared.cv.wait(&mut st);
        }
    }

    /// [`submit`](Self::submit) then [`flush`](Self::flush).
    pub fn write_now(&self, bytes: Vec<u8>) {
        self.submit(bytes);
        self.flush();
    }
}

fn writer_loop(s: &WriterShared) {
    loop {
        let (bytes, upto) = {
            let mut st = s.state.lock();
            while st.pending.is_none() && !st.stop {
                s.cv.wait(&mut st);
            }
            match st.pending.take() {
                Some(b) => (b, st.requested),
                None => return,
            }
        };
        if let Err(e) = write(&s.path, &bytes) {
            tracing::error!(path = %s.path.display(), error = %e, "writing config file failed");
        }
        let mut st = s.state.lock();
        st.written = upto;
        s.cv.notify_all();
    }
}

impl Drop for ConfigWriter {
    fn drop(&mut self) {
        {
            let mut st = self.shared.state.lock();
            st.stop = true;
            self.shared.cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &[u8]) -> Result<u32, String> {
        std::str::from_utf8(b)
            .map_err(|e| e.to_string())?
            .trim()
            .parse()
            .map_err(|e: std::num::ParseIntError| e.to_string())
    }

    #[test]
    fn write_keeps_the_previous_contents_in_bak() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/x.json");
        write(&path, b"1").unwrap();
        assert!(!with_suffix(&path, ".bak").exists());
        write(&path, b"2").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"2");
        assert_eq!(std::fs::read(with_suffix(&path, ".bak")).unwrap(), b"1");
        // No temp file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("config"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn load_falls_back_to_bak_and_refuses_when_both_are_bad() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        assert_eq!(load(&path, parse).unwrap(), None);
        write(&path, b"1").unwrap();
        write(&path, b"2").unwrap();
        assert_eq!(load(&path, parse).unwrap(), Some(2));
        // A damaged file: the backup is used.
        std::fs::write(&path, b"garbage").unwrap();
        assert_eq!(load(&path, parse).unwrap(), Some(1));
        // An empty file: the backup too (Java's `loadBak`).
        std::fs::write(&path, b"").unwrap();
        assert_eq!(load(&path, parse).unwrap(), Some(1));
        // Both damaged: an error naming the file, not the defaults.
        std::fs::write(with_suffix(&path, ".bak"), b"junk").unwrap();
        std::fs::write(&path, b"garbage").unwrap();
        let e = load(&path, parse).unwrap_err().to_string();
        assert!(e.contains("x.json") && e.contains("invalid digit"), "{e}");
        // Damaged without a backup: refused as well.
        std::fs::remove_file(with_suffix(&path, ".bak")).unwrap();
        assert!(load(&path, parse).is_err());
    }

    #[test]
    fn writer_coalesces_and_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let w = ConfigWriter::new(path.clone());
        for i in 0..100u32 {
            w.submit(i.to_string().into_bytes());
        }
        w.flush();
        assert_eq!(std::fs::read(&path).unwrap(), b"99");
        w.submit(b"100".to_vec());
        drop(w);
        assert_eq!(std::fs::read(&path).unwrap(), b"100");
    }

    #[test]
    fn concurrent_writers_do_not_share_a_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(dir.path().join("c.json"));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..20 {
                        write(&path, format!("{}", t * 100 + i).as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(load(&path, parse).unwrap().is_some());
    }
}
