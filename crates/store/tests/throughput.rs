//! Rough hot-path throughput check: `cargo test -p rocklet-store --release --test throughput -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::*;
use rocklet_store::{FlushDiskType, MessageStore, StoreConfig};

#[test]
#[ignore]
fn put_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        mapped_file_size_commit_log: 64 * 1024 * 1024,
        // Java's index file sizes (cfg's small test sizes would roll a file every 4095 keys).
        max_hash_slot_num: StoreConfig::default().max_hash_slot_num,
        max_index_num: StoreConfig::default().max_index_num,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    })
    .unwrap();
    let n = 300_000;
    let props = props(
        Some("TagA"),
        Some("k1"),
        Some("0A0B0C0D0E0F00000000000000000001"),
    );
    let body = bytes::Bytes::from(vec![7u8; 128]);
    let t = Instant::now();
    rt().block_on(async {
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            let (props, body) = (props.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..n / 4 {
                    s.put_message(msg("Bench", w, body.clone(), props.clone()))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let el = t.elapsed();
    println!(
        "{n} puts in {el:?}: {:.0} msgs/s",
        n as f64 / el.as_secs_f64()
    );
}

/// As [`put_throughput`] with a distinct UNIQ_KEY and KEYS value per message (every key lands
/// in its own hash slot, as with real producers): `cargo test -p rocklet-store --release
/// --test throughput -- --ignored --nocapture put_throughput_distinct_keys`.
#[test]
#[ignore]
fn put_throughput_distinct_keys() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        mapped_file_size_commit_log: 64 * 1024 * 1024,
        // Java's index file sizes (cfg's small test sizes would roll a file every 4095 keys).
        max_hash_slot_num: StoreConfig::default().max_hash_slot_num,
        max_index_num: StoreConfig::default().max_index_num,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    })
    .unwrap();
    let n = 300_000;
    let body = bytes::Bytes::from(vec![7u8; 128]);
    let t = Instant::now();
    rt().block_on(async {
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..n / 4 {
                    let p = props(
                        Some("TagA"),
                        Some(&format!("order-{w}-{i}")),
                        Some(&format!("0A0B0C0D0E0F0000{w:04}{i:012}")),
                    );
                    s.put_message(msg("Bench", w, body.clone(), p))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let el = t.elapsed();
    println!(
        "{n} puts (distinct keys) in {el:?}: {:.0} msgs/s",
        n as f64 / el.as_secs_f64()
    );
}

/// What a crash costs the key index at the next open: Java's rule destroys the index file
/// written after the last checkpoint and its records are indexed again from the commit log
/// (with Java's sizes the whole current file, up to 20 M keys): `cargo test -p rocklet-store
/// --release --test throughput -- --ignored --nocapture reopen_after_crash`.
#[test]
#[ignore]
fn reopen_after_crash() {
    let dir = tempfile::tempdir().unwrap();
    let c = StoreConfig {
        mapped_file_size_commit_log: 256 * 1024 * 1024,
        max_hash_slot_num: StoreConfig::default().max_hash_slot_num,
        max_index_num: StoreConfig::default().max_index_num,
        flush_interval_consume_queue_ms: 3_600_000,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    };
    let n = 1_000_000usize;
    let s = MessageStore::open(c.clone()).unwrap();
    let body = bytes::Bytes::from(vec![7u8; 128]);
    rt().block_on(async {
        for i in 0..n {
            let p = props(None, Some(&format!("k{i}")), Some(&format!("U{i:030}")));
            s.put_message(msg("Bench", (i % 4) as i32, body.clone(), p))
                .await
                .unwrap();
        }
    });
    s.shutdown();
    drop(s);
    let t = Instant::now();
    let s = MessageStore::open(c.clone()).unwrap();
    println!(
        "clean reopen with {} keys indexed: {:?}",
        2 * n,
        t.elapsed()
    );
    rt().block_on(async {
        s.put_message(msg(
            "Bench",
            0,
            body.clone(),
            props(None, Some("late"), None),
        ))
        .await
        .unwrap();
    });
    s.halt_without_flush();
    drop(s);
    let t = Instant::now();
    let s = MessageStore::open(c).unwrap();
    println!(
        "reopen after a crash ({} keys indexed again): {:?}",
        2 * n + 1,
        t.elapsed()
    );
    assert_eq!(s.query_message("Bench", "k0", 4, 0, i64::MAX).len(), 1);
    assert_eq!(s.query_message("Bench", "late", 4, 0, i64::MAX).len(), 1);
}

/// What a new store file costs now that its blocks are allocated before mapping (fallocate)
/// instead of created sparse (`set_len`): `cargo test -p rocklet-store --release --test
/// throughput -- --ignored --nocapture file_creation_cost`.
#[test]
#[ignore]
fn file_creation_cost() {
    let dir = tempfile::tempdir().unwrap();
    for (label, size) in [("64 MiB", 64u64 << 20), ("1 GiB", 1u64 << 30)] {
        for (i, how) in ["set_len (sparse)", "fallocate"].iter().enumerate() {
            let mut best = f64::MAX;
            for round in 0..3 {
                let p = dir.path().join(format!("f{i}-{size}-{round}"));
                let f = std::fs::File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&p)
                    .unwrap();
                let t = Instant::now();
                if i == 0 {
                    f.set_len(size).unwrap();
                } else {
                    rocklet_store::disk::allocate(&f, size, true).unwrap();
                }
                f.sync_all().unwrap();
                best = best.min(t.elapsed().as_secs_f64() * 1000.0);
                drop(f);
                std::fs::remove_file(&p).unwrap();
            }
            println!("{label} file, {how} + fsync: {best:.2} ms (best of 3)");
        }
    }
}
