//! Codec cost per message: encode and decode a SEND_MESSAGE_V2 frame, decode a stored record.
//! `cargo bench -p rocklet-protocol`

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rocklet_protocol::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
use rocklet_protocol::message::{MessageExt, Properties};
use rocklet_protocol::{Decoded, RemotingCommand, SerializeType};

fn send_frame(ser: SerializeType) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: "benchmark_producer".into(),
        topic: "BenchmarkTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some("WAIT\u{1}true\u{2}UNIQ_KEY\u{1}7F0000010F543CBC2F777F43C5670001".into()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        max_reconsume_times: None,
    };
    let mut c = RemotingCommand::request(310, &SendMessageRequestHeaderV2::from_v1(&h))
        .with_body(Bytes::from(vec![b'x'; 128]));
    c.serialize_type = ser;
    c
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(1));
    for (name, ser) in [
        ("json", SerializeType::Json),
        ("rocketmq", SerializeType::RocketMq),
    ] {
        let cmd = send_frame(ser);
        let mut buf = BytesMut::with_capacity(1024);
        g.bench_function(format!("encode_send_{name}"), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&cmd).encode(&mut buf);
            })
        });
        let bytes = cmd.encode_to_bytes();
        g.bench_function(format!("decode_send_{name}"), |b| {
            b.iter(|| match RemotingCommand::decode(black_box(&bytes)) {
                Ok(Decoded::Frame(c, _)) => c
                    .header::<SendMessageRequestHeaderV2>()
                    .map(|h| h.e)
                    .unwrap_or(0),
                _ => 0,
            })
        });
    }
    let mut p = Properties::default();
    p.insert("TAGS", "TagA");
    p.insert("UNIQ_KEY", "7F0000010F543CBC2F777F43C5670001");
    let m = MessageExt {
        store_size: 0,
        body_crc: 0,
        queue_id: 1,
        flag: 0,
        queue_offset: 7,
        commit_log_offset: 4096,
        sys_flag: 0,
        born_timestamp: 1,
        born_host: "127.0.0.1:5000".parse().unwrap(),
        store_timestamp: 2,
        store_host: "127.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        raw_body: Bytes::from(vec![b'x'; 128]),
        body_inflated: false,
        topic: "BenchmarkTest".into(),
        properties: p,
    };
    let mut rec = BytesMut::new();
    m.encode(&mut rec).unwrap();
    g.bench_function("decode_stored_record", |b| {
        b.iter(|| MessageExt::decode(black_box(&rec)).map(|(m, _)| m.queue_offset))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
