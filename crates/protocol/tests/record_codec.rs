//! Record codec: proptest round trips, truncation safety, and Java 4.9.3 golden bytes.

use std::net::SocketAddr;

use proptest::prelude::*;
use rocklet_protocol::message::Properties;
use rocklet_protocol::msgid;
use rocklet_protocol::record::{self, RecordRef};

fn host() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
    ]
}

#[allow(clippy::type_complexity)]
fn parts() -> impl Strategy<
    Value = (
        (i32, i32, i64, i64, i32, i64, SocketAddr),
        (i64, SocketAddr, i32, i64),
        (Vec<u8>, String, String),
    ),
> {
    (
        (
            any::<i32>(),
            any::<i32>(),
            any::<i64>(),
            any::<i64>(),
            any::<i32>(),
            any::<i64>(),
            host(),
        ),
        (any::<i64>(), host(), any::<i32>(), any::<i64>()),
        (
            proptest::collection::vec(any::<u8>(), 0..600),
            "[a-zA-Z0-9_%|-]{0,127}",
            "\\PC{0,60}",
        ),
    )
}

fn build<'a>(
    a: &(i32, i32, i64, i64, i32, i64, SocketAddr),
    b: &(i64, SocketAddr, i32, i64),
    body: &'a [u8],
    topic: &'a str,
    props: &'a str,
) -> RecordRef<'a> {
    let mut sys_flag = a.4 & !(record::BORNHOST_V6_FLAG | record::STOREHOST_V6_FLAG);
    if a.6.is_ipv6() {
        sys_flag |= record::BORNHOST_V6_FLAG;
    }
    if b.1.is_ipv6() {
        sys_flag |= record::STOREHOST_V6_FLAG;
    }
    RecordRef {
        body_crc: record::body_crc(body),
        queue_id: a.0,
        flag: a.1,
        queue_offset: a.2,
        physical_offset: a.3,
        sys_flag,
        born_timestamp: a.5,
        born_host: a.6,
        store_timestamp: b.0,
        store_host: b.1,
        reconsume_times: b.2,
        prepared_transaction_offset: b.3,
        body,
        topic,
        properties: props.into(),
    }
}

proptest! {
    #[test]
    fn roundtrip((a, b, (body, topic, props)) in parts()) {
        let r = build(&a, &b, &body, &topic, &props);
        let mut buf = vec![0u8; r.encoded_len() + 7];
        let n = record::encode_into(&mut buf, &r).unwrap();
        prop_assert_eq!(n, r.encoded_len());
        let d = record::decode_ref(&buf, true).unwrap();
        prop_assert_eq!(&d, &r);
        let owned = record::decode(&buf[..n]).unwrap();
        prop_assert_eq!(owned.total_size as usize, n);
        prop_assert_eq!(&owned.body[..], &body[..]);
        prop_assert_eq!(&owned.properties, &props);
        prop_assert_eq!(record::pickup_store_timestamp(&buf), Some(r.store_timestamp));
    }

    #[test]
    fn every_truncation_is_an_error((a, b, (body, topic, props)) in parts()) {
        let r = build(&a, &b, &body, &topic, &props);
        let mut buf = bytes::BytesMut::new();
        let n = record::encode_to(&mut buf, &r).unwrap();
        for cut in 0..n {
            prop_assert!(record::decode_ref(&buf[..cut], true).is_err(), "cut {}", cut);
            prop_assert!(record::decode(&buf[..cut]).is_err());
        }
    }

    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        let mut data = data;
        if magic && data.len() >= 8 {
            data[4..8].copy_from_slice(&record::MESSAGE_MAGIC_CODE.to_be_bytes());
        }
        let _ = record::decode(&data);
        let _ = record::peek(&data);
        let _ = record::pickup_store_timestamp(&data);
    }
}

fn golden(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../interop/golden")
        .join(name);
    let hex = std::fs::read_to_string(p).unwrap();
    let hex = hex.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn java_golden_records_decode_and_reencode_byte_for_byte() {
    for (file, v6) in [
        ("message_record_ipv4.hex", false),
        ("message_record_ipv6.hex", true),
    ] {
        let bytes = golden(file);
        let r = record::decode_ref(&bytes, true).unwrap();
        assert_eq!(r.encoded_len(), bytes.len());
        assert_eq!(r.queue_id, 3);
        assert_eq!(r.queue_offset, 17);
        assert_eq!(r.physical_offset, 123456);
        assert_eq!(r.born_timestamp, 1700000000123);
        assert_eq!(r.store_timestamp, 1700000000456);
        assert_eq!(r.reconsume_times, 2);
        assert_eq!(r.topic, "TopicTest");
        let props = Properties::decode(&r.properties);
        assert_eq!(props.get("KEYS"), Some("order-1 key-two"));
        assert_eq!(props.get("user_a"), Some("héllo 世界 ✓"));
        if v6 {
            assert_eq!(r.sys_flag, 48);
            assert_eq!(r.body_crc, 1383964740);
            assert_eq!(r.born_host, "[::1]:54321".parse().unwrap());
            assert_eq!(r.store_host, "[fd00::2]:10911".parse().unwrap());
            assert_eq!(bytes.len(), 260);
        } else {
            assert_eq!(r.body_crc, 1014219112);
            assert_eq!(r.born_host, "127.0.0.1:54321".parse().unwrap());
            assert_eq!(bytes.len(), 236);
            assert_eq!(
                msgid::create_offset_msg_id(r.store_host, r.physical_offset),
                "7F00000100002A9F000000000001E240"
            );
        }
        assert_eq!(record::body_crc(r.body), r.body_crc);
        let mut out = vec![0u8; bytes.len()];
        record::encode_into(&mut out, &r).unwrap();
        assert_eq!(out, bytes, "{file}");
    }
}

#[test]
fn java_golden_msg_ids() {
    assert_eq!(
        msgid::create_offset_msg_id("127.0.0.1:10911".parse().unwrap(), 78187493530),
        "7F00000100002A9F000000123456789A"
    );
    assert_eq!(
        msgid::create_offset_msg_id("[fd00::2]:10911".parse().unwrap(), 4096),
        "FD00000000000000000000000000000200002A9F0000000000001000"
    );
}
