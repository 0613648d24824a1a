//! The `checkpoint` file. The first 24 bytes follow Java `StoreCheckpoint`
//! (physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp); Rocklet adds the flushed
//! commit-log offset at 24, a clean-shutdown marker at 32 and, at 36, the commit-log offset
//! below which every record's consume-queue entry was flushed (recovery re-dispatches only
//! from there; 0 in files written before it existed, which means "scan everything"), and at 44
//! a CRC32 of bytes 0..44. A Java broker that writes the store after Rocklet rewrites only the
//! first 24 bytes: the CRC then no longer agrees and Rocklet's bytes are ignored (read as 0:
//! not a clean shutdown, scan everything), never trusted against a newer Java part. The file
//! is 4 KiB, written in place and fsynced.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

const LEN: usize = 4096;
const CLEAN_MAGIC: i32 = 0x524F_434B; // "ROCK"

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkpoint {
    pub physic_msg_timestamp: i64,
    pub logics_msg_timestamp: i64,
    pub index_msg_timestamp: i64,
    /// Commit-log offset up to which data was flushed when the checkpoint was written.
    pub physic_flushed_offset: i64,
    /// Written by a clean shutdown.
    pub clean_shutdown: bool,
    /// Every commit-log record below this offset had its consume-queue entry flushed.
    pub logics_consistent_offset: i64,
}

impl Checkpoint {
    pub fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0..8].copy_from_slice(&self.physic_msg_timestamp.to_be_bytes());
        b[8..16].copy_from_slice(&self.logics_msg_timestamp.to_be_bytes());
        b[16..24].copy_from_slice(&self.index_msg_timestamp.to_be_bytes());
        b[24..32].copy_from_slice(&self.physic_flushed_offset.to_be_bytes());
        let clean = if self.clean_shutdown { CLEAN_MAGIC } else { 0 };
        b[32..36].copy_from_slice(&clean.to_be_bytes());
        b[36..44].copy_from_slice(&self.logics_consistent_offset.to_be_bytes());
        let crc = crc32fast::hash(&b[..44]);
        b[44..48].copy_from_slice(&crc.to_be_bytes());
        b
    }

    /// The Java part (24 bytes) and, when its CRC agrees, Rocklet's part. `None` when the
    /// file is shorter than Java's part.
    pub fn decode(b: &[u8]) -> Option<Checkpoint> {
        let l = |i: usize| -> Option<i64> {
            Some(i64::from_be_bytes(b.get(i..i + 8)?.try_into().ok()?))
        };
        let mut c = Checkpoint {
            physic_msg_timestamp: l(0)?,
            logics_msg_timestamp: l(8)?,
            index_msg_timestamp: l(16)?,
            ..Checkpoint::default()
        };
        let ours = b
            .get(44..48)
            .is_some_and(|crc| crc32fast::hash(&b[..44]).to_be_bytes() == crc);
        if ours {
            c.physic_flushed_offset = l(24)?;
            c.clean_shutdown = b[32..36] == CLEAN_MAGIC.to_be_bytes();
            c.logics_consistent_offset = l(36)?;
        } else if b.get(24..44).is_some_and(|x| x.iter().any(|&v| v != 0)) {
            tracing::warn!("the checkpoint's Rocklet part does not agree with its Java part (another broker wrote the store since): recovery checks the whole commit log");
        }
        Some(c)
    }

    pub fn read(path: &Path) -> io::Result<Option<Checkpoint>> {
        match std::fs::File::open(path) {
            Ok(mut f) => {
                let mut b = Vec::new();
                f.read_to_end(&mut b)?;
                Ok(Checkpoint::decode(&b))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&self.encode())?;
        f.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let c = Checkpoint {
            physic_msg_timestamp: 1,
            logics_msg_timestamp: 2,
            index_msg_timestamp: 3,
            physic_flushed_offset: 4,
            clean_shutdown: true,
            logics_consistent_offset: 5,
        };
        assert_eq!(Checkpoint::decode(&c.encode()), Some(c));
        // A Java broker rewrote the timestamps: Rocklet's part is ignored, the Java part read.
        let mut java = c.encode();
        java[0..8].copy_from_slice(&99i64.to_be_bytes());
        let got = Checkpoint::decode(&java).unwrap();
        assert_eq!(got.physic_msg_timestamp, 99);
        assert_eq!((got.physic_flushed_offset, got.clean_shutdown), (0, false));
        assert_eq!(got.logics_consistent_offset, 0);
        // A file only Java ever wrote (24 bytes of 4 KiB used).
        let mut only_java = [0u8; LEN];
        only_java[16..24].copy_from_slice(&7i64.to_be_bytes());
        assert_eq!(
            Checkpoint::decode(&only_java).unwrap().index_msg_timestamp,
            7
        );
        assert_eq!(Checkpoint::decode(&only_java[..20]), None);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("checkpoint");
        assert_eq!(Checkpoint::read(&p).unwrap(), None);
        c.write(&p).unwrap();
        assert_eq!(Checkpoint::read(&p).unwrap(), Some(c));
    }
}
