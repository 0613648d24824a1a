//! The persisted key index (`index/`, Java's IndexFile layout): queries right after a restart
//! without a rebuild, after a crash, across file roll-overs, with hash collisions, and with
//! retention.

mod common;

use std::path::Path;

use common::*;
use rocklet_store::{FlushDiskType, MessageStore, StoreConfig};

fn small(dir: &Path, num: usize) -> StoreConfig {
    StoreConfig {
        max_hash_slot_num: 64,
        max_index_num: num,
        ..cfg(dir, FlushDiskType::AsyncFlush)
    }
}

/// (name, bytes) of every index file, oldest first.
fn index_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("index"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Entries written in all index files (sum of indexCount - 1; a file created ahead and not
/// yet written has an all-zero header, which Java loads as indexCount 1).
fn entries(dir: &Path) -> i32 {
    index_files(dir)
        .iter()
        .map(|(_, b)| i32::from_be_bytes(b[36..40].try_into().unwrap()).max(1) - 1)
        .sum()
}

fn put_keyed(s: &MessageStore, topic: &str, from: usize, to: usize) {
    rt().block_on(async {
        for i in from..to {
            s.put_message(msg(
                topic,
                (i % 4) as i32,
                format!("b{i}"),
                props(None, Some(&format!("k{i} shared")), Some(&format!("U{i}"))),
            ))
            .await
            .unwrap();
        }
    });
}

fn check_all(s: &MessageStore, topic: &str, n: usize) {
    for i in 0..n {
        for key in [format!("k{i}"), format!("U{i}")] {
            let r = s.query_message(topic, &key, 10, 0, i64::MAX);
            assert_eq!(r.len(), 1, "{key}");
            assert_eq!(body_of(&r[0]), format!("b{i}").as_bytes());
        }
    }
}

#[test]
fn keys_are_found_after_a_clean_restart_without_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(small(dir.path(), 1000)).unwrap();
    put_keyed(&s, "T", 0, 100);
    s.shutdown();
    drop(s);
    let before = index_files(dir.path());
    assert_eq!(
        entries(dir.path()),
        300,
        "UNIQ_KEY and two KEYS per message"
    );
    let s = MessageStore::open(small(dir.path(), 1000)).unwrap();
    assert!(s.key_index_ready());
    check_all(&s, "T", 100);
    assert_eq!(s.query_message("T", "shared", 64, 0, i64::MAX).len(), 64);
    // Nothing was indexed again: the files are as they were.
    assert_eq!(index_files(dir.path()), before);
    // New keys go on in the same file.
    put_keyed(&s, "T", 100, 110);
    check_all(&s, "T", 110);
    assert_eq!(entries(dir.path()), 330);
}

#[test]
fn a_crash_loses_no_key_and_doubles_none() {
    let dir = tempfile::tempdir().unwrap();
    let c = StoreConfig {
        flush_interval_consume_queue_ms: 3_600_000,
        ..small(dir.path(), 50)
    };
    let s = MessageStore::open(c.clone()).unwrap();
    put_keyed(&s, "T", 0, 40);
    s.flush(); // checkpoint: index msynced, indexMsgTimestamp written
    put_keyed(&s, "T", 40, 70);
    s.halt_without_flush();
    drop(s);
    let files_before = index_files(dir.path()).len();
    assert!(files_before >= 4);
    let s = MessageStore::open(c.clone()).unwrap();
    check_all(&s, "T", 70);
    assert_eq!(entries(dir.path()), 210, "each key exactly once");
    // And again, from a crash right after the restart.
    put_keyed(&s, "T", 70, 75);
    s.halt_without_flush();
    drop(s);
    let s = MessageStore::open(c).unwrap();
    check_all(&s, "T", 75);
    assert_eq!(entries(dir.path()), 225);
}

#[test]
fn files_roll_over_when_full() {
    let dir = tempfile::tempdir().unwrap();
    // 9 entries a file (entry 0 is never used).
    let s = MessageStore::open(small(dir.path(), 10)).unwrap();
    put_keyed(&s, "T", 0, 30);
    let files = index_files(dir.path());
    assert_eq!(files.len(), 10, "90 keys, 9 a file");
    for (name, b) in &files {
        assert_eq!(name.len(), 17);
        assert_eq!(b.len(), 40 + 64 * 4 + 10 * 20);
        assert_eq!(i32::from_be_bytes(b[36..40].try_into().unwrap()), 10);
    }
    check_all(&s, "T", 30);
    assert_eq!(s.query_message("T", "shared", 64, 0, i64::MAX).len(), 30);
    s.shutdown();
    drop(s);
    let s = MessageStore::open(small(dir.path(), 10)).unwrap();
    check_all(&s, "T", 30);
}

#[test]
fn colliding_keys_are_told_apart_by_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(small(dir.path(), 100)).unwrap();
    // "Aa" and "BB" have the same Java hashCode, so "T#Aa" and "T#BB" share a slot and chain.
    rt().block_on(async {
        for (b, k) in [("1", "Aa"), ("2", "BB"), ("3", "Aa")] {
            s.put_message(msg("T", 0, b, props(None, Some(k), None)))
                .await
                .unwrap();
        }
    });
    let bodies = |k: &str| {
        s.query_message("T", k, 10, 0, i64::MAX)
            .iter()
            .map(|m| body_of(m))
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies("Aa"), vec![b"3".to_vec(), b"1".to_vec()]);
    assert_eq!(bodies("BB"), vec![b"2".to_vec()]);
    assert_eq!(s.query_message("T", "Aa", 1, 0, i64::MAX).len(), 1);
}

#[test]
fn retention_deletes_index_files_below_the_commit_log() {
    let dir = tempfile::tempdir().unwrap();
    let c = StoreConfig {
        file_reserved_time_ms: 0,
        delete_when: (0..24)
            .map(|h| format!("{h:02}"))
            .collect::<Vec<_>>()
            .join(";"),
        delete_commit_log_files_interval_ms: 0,
        delete_consume_queue_files_interval_ms: 0,
        clean_resource_first_delay_ms: 3_600_000,
        ..small(dir.path(), 40)
    };
    let s = MessageStore::open(c).unwrap();
    let body = vec![b'x'; 900];
    rt().block_on(async {
        for i in 0..400 {
            s.put_message(msg(
                "T",
                0,
                body.clone(),
                props(None, Some(&format!("k{i}")), None),
            ))
            .await
            .unwrap();
        }
    });
    let before = index_files(dir.path()).len();
    assert_eq!(before, 400usize.div_ceil(39));
    while s.clean_now() > 0 {}
    let min_phy = s.commit_log_min_offset();
    assert!(min_phy > 0);
    let after = index_files(dir.path());
    assert!(after.len() < before, "{} of {before}", after.len());
    // Every file left but the last ends at or above the new min offset; the deleted ones all
    // ended below it (the first left may start below it).
    for (_, b) in &after {
        let end_phy = i64::from_be_bytes(b[24..32].try_into().unwrap());
        assert!(end_phy >= min_phy, "{end_phy} < {min_phy}");
    }
    assert_eq!(s.query_message("T", "k399", 10, 0, i64::MAX).len(), 1);
    assert!(s.query_message("T", "k0", 10, 0, i64::MAX).is_empty());
}

#[test]
fn a_store_without_index_files_is_indexed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(small(dir.path(), 1000)).unwrap();
    put_keyed(&s, "T", 0, 50);
    s.shutdown();
    drop(s);
    // As a store written before the index was persisted (or with index/ deleted).
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let s = MessageStore::open(small(dir.path(), 1000)).unwrap();
    check_all(&s, "T", 50);
    assert_eq!(entries(dir.path()), 150);
}

#[test]
fn indexing_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        message_index_enable: false,
        ..small(dir.path(), 1000)
    })
    .unwrap();
    put_keyed(&s, "T", 0, 5);
    assert!(s.query_message("T", "k1", 10, 0, i64::MAX).is_empty());
    assert_eq!(index_files(dir.path()).len(), 0);
}
