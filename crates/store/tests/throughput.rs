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
