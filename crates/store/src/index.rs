//! In-memory key index: `hash(topic#key)` -> commit-log offsets.
//!
//! The index is not persisted: after a restart it is rebuilt from the commit log (the tail by
//! recovery, older files by a background thread), so it survives restarts. Only 64-bit
//! hashes and offsets are kept (about 24 bytes per key); lookups verify topic and key
//! against the stored record, so hash collisions are harmless.
//!
//! Keys go into generations of [`GENERATION_KEYS`] keys, each a table allocated once at full
//! size (like Java's fixed-size `IndexFile`s): a single growing table rehashed everything under
//! the index lock at every doubling — perf showed the rehash and the zeroing of the new table at
//! ~8% of the broker's connection-thread CPU at 1 KiB, and a rehash of millions of keys stalls
//! every send behind it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};

// Boxing keeps the slot at 16 bytes (a bare Vec would make it 32) for the common single-key case.
#[allow(clippy::box_collection)]
enum Slot {
    One(i64),
    Many(Box<Vec<i64>>),
}

type Table = HashMap<u64, Slot, BuildHasherDefault<IdentityHasher>>;

/// Keys per generation (a table of 2^21 buckets: 2 MiB of control bytes touched at creation,
/// 32 MiB of buckets touched as they fill).
pub(crate) const GENERATION_KEYS: usize = 1 << 20;

/// Key index (see module docs).
pub(crate) struct KeyIndex {
    /// Oldest first; only the last one takes inserts. Each with the highest commit-log offset
    /// it holds.
    generations: Vec<(Table, i64)>,
    capacity: usize,
}

impl Default for KeyIndex {
    fn default() -> Self {
        Self::with_generation_keys(GENERATION_KEYS)
    }
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
    pub fn with_generation_keys(capacity: usize) -> Self {
        KeyIndex {
            generations: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn insert(&mut self, hash: u64, phy: i64) {
        if self
            .generations
            .last()
            .is_none_or(|(t, _)| t.len() >= self.capacity)
        {
            self.generations.push((
                Table::with_capacity_and_hasher(self.capacity, Default::default()),
                phy,
            ));
        }
        let (map, max) = self.generations.last_mut().expect("a generation exists");
        *max = (*max).max(phy);
        match map.get_mut(&hash) {
            None => {
                map.insert(hash, Slot::One(phy));
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
        let mut out = Vec::new();
        for (map, _) in self.generations.iter().rev() {
            match map.get(&hash) {
                None => {}
                Some(Slot::One(p)) => out.push(*p),
                Some(Slot::Many(v)) => out.extend(v.iter().rev().copied()),
            }
        }
        out
    }

    /// Drops the generations holding only offsets below `min_phy` (their commit-log files were
    /// deleted). Returns how many went. Keys of deleted records in a surviving generation stay
    /// until it goes; lookups skip them (the record is gone).
    pub fn delete_below(&mut self, min_phy: i64) -> usize {
        let before = self.generations.len();
        // Never the last (it takes inserts).
        let keep_last = self.generations.len().saturating_sub(1);
        let mut i = 0;
        self.generations.retain(|(_, max)| {
            let drop = i < keep_last && *max < min_phy;
            i += 1;
            !drop
        });
        before - self.generations.len()
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

    #[test]
    fn generations_keep_newest_first() {
        let mut i = KeyIndex::with_generation_keys(2);
        let (a, b, c) = (key_hash("T", "a"), key_hash("T", "b"), key_hash("T", "c"));
        i.insert(a, 1);
        i.insert(b, 2);
        i.insert(a, 3); // generation 1 is full (2 keys): `a` again goes to generation 2
        i.insert(c, 4);
        i.insert(a, 5); // generation 2 full too
        assert_eq!(i.generations.len(), 3);
        assert_eq!(i.lookup(a), vec![5, 3, 1]);
        assert_eq!(i.lookup(b), vec![2]);
        assert_eq!(i.lookup(c), vec![4]);
        // A table never grows past its first allocation.
        assert!(i.generations.iter().all(|(t, _)| t.len() <= 2));
        // Generation 1 holds offsets 1..=2: dropped once the log starts above 2.
        assert_eq!(i.delete_below(3), 1);
        assert_eq!(i.lookup(a), vec![5, 3]);
        assert!(i.lookup(b).is_empty());
        assert_eq!(
            i.delete_below(i64::MAX),
            1,
            "never the generation taking inserts"
        );
        assert_eq!(i.lookup(a), vec![5]);
    }
}
