//! Store append cost per message (ASYNC_FLUSH, 128 B and 1 KiB bodies) and a read back.
//! `cargo bench -p rocklet-store`

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rocklet_store::{MessageStore, PutMessage, StoreConfig};

fn msg(body: &Bytes, i: i32) -> PutMessage {
    PutMessage {
        topic: "BenchTopic".into(),
        queue_id: i & 7,
        flag: 0,
        body: body.clone(),
        properties: "WAIT\u{1}true\u{2}UNIQ_KEY\u{1}7F0000010F543CBC2F777F43C5670001".into(),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        root_dir: dir.path().into(),
        mapped_file_size_commit_log: 256 * 1024 * 1024,
        mapped_file_size_consume_queue: 300_000 * 20,
        ..StoreConfig::default()
    };
    let store = MessageStore::open(cfg).unwrap();
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    for size in [128usize, 1024] {
        let body = Bytes::from(vec![b'x'; size]);
        let mut i = 0;
        g.bench_function(format!("put_message_{size}B"), |b| {
            b.iter_batched(
                || {
                    i += 1;
                    msg(&body, i)
                },
                |m| rt.block_on(store.put_message(m)).map(|r| r.queue_offset),
                BatchSize::SmallInput,
            )
        });
    }
    g.bench_function("get_message_32", |b| {
        b.iter(|| {
            store
                .get_message("BenchTopic", 1, 0, 32, None)
                .messages
                .len()
        })
    });
    g.finish();
    store.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
