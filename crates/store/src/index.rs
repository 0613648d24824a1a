//! In-memory key index: `hash(topic#key)` -> commit-log offsets.
//!
//! The index is not persisted: it is rebuilt from the commit log while the store opens
//! (recovery scans every commit-log record anyway), so it survives restarts. Only 64-bit
//! hashes and offsets are kept (about 24 bytes per key); lookups verify topic and key
//! against the stored record, so hash collisions are harmless.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};

// Boxing keeps the slot at 16 bytes (a bare Vec would make it 32) for the common single-key case.
#[allow(clippy::box_collection)]
enum Slot {
    One(i64),
    Many(Box<Vec<i64>>),
}

/// Key index (see module docs).
#[derive(Default)]
pub(crate) struct KeyIndex {
    map: HashMap<u64, Slot, BuildHasherDefault<IdentityHasher>>,
}

/// The keys are already hashes.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hash of Java's index key `topic + "#" + key`.
pub(crate) fn key_hash(topic: &str, key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    topic.as_bytes().hash(&mut h);
    b'#'.hash(&mut h);
    key.as_bytes().hash(&mut h);
    h.finish()
}

impl KeyIndex {
    pub fn insert(&mut self, hash: u64, phy: i64) {
        match self.map.get_mut(&hash) {
            None => {
                self.map.insert(hash, Slot::One(phy));
            }
            Some(slot) => match slot {
                Slot::One(p) => {
                    let p = *p;
                    if p != phy {
                        *slot = Slot::Many(Box::new(vec![p, phy]));
                    }
                }
                Slot::Many(v) => {
                    if v.last() != Some(&phy) {
                        v.push(phy);
                    }
                }
            },
        }
    }

    /// Offsets for `hash`, newest first.
    pub fn lookup(&self, hash: u64) -> Vec<i64> {
        match self.map.get(&hash) {
            None => Vec::new(),
            Some(Slot::One(p)) => vec![*p],
            Some(Slot::Many(v)) => v.iter().rev().copied().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_lookup() {
        let mut i = KeyIndex::default();
        let h = key_hash("T", "k");
        assert_ne!(h, key_hash("T", "k2"));
        assert_ne!(key_hash("T#", "k"), key_hash("T", "#k"));
        i.insert(h, 1);
        i.insert(h, 5);
        i.insert(h, 5);
        i.insert(h, 9);
        assert_eq!(i.lookup(h), vec![9, 5, 1]);
        assert!(i.lookup(key_hash("T", "x")).is_empty());
    }
}
