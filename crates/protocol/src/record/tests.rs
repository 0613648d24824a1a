use super::*;
use bytes::BytesMut;

fn sample<'a>(body: &'a [u8], topic: &'a str, props: &'a str) -> RecordRef<'a> {
    RecordRef {
        body_crc: body_crc(body),
        queue_id: 3,
        flag: 7,
        queue_offset: 42,
        physical_offset: 1024,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "10.0.0.1:5555".parse().unwrap(),
        store_timestamp: 1_700_000_000_123,
        store_host: "192.168.1.2:10911".parse().unwrap(),
        reconsume_times: 1,
        prepared_transaction_offset: 0,
        body,
        topic,
        properties: props.into(),
    }
}

#[test]
fn java_crc_is_masked() {
    // crc32("123456789") = 0xCBF43926 -> masked 0x4BF43926
    assert_eq!(body_crc(b"123456789"), 0x4BF4_3926);
}

#[test]
fn length_matches_java_formula() {
    // 91 fixed bytes for IPv4 hosts with empty body/topic/props (4.9.3 calMsgLength).
    assert_eq!(record_len(0, 0, 0, 0), 91);
    assert_eq!(
        record_len(BORNHOST_V6_FLAG | STOREHOST_V6_FLAG, 0, 0, 0),
        115
    );
    assert_eq!(record_len(0, 10, 5, 7), 91 + 22);
}

#[test]
fn roundtrip_and_layout() {
    let r = sample(b"hello", "TopicA", "TAGS\u{1}a\u{2}");
    let mut buf = vec![0u8; r.encoded_len()];
    let n = encode_into(&mut buf, &r).unwrap();
    assert_eq!(n, buf.len());
    assert_eq!(&buf[4..8], &[0xDA, 0xA3, 0x20, 0xA7]);
    assert_eq!(&buf[48..52], &[10, 0, 0, 1]);
    assert_eq!(pickup_store_timestamp(&buf), Some(1_700_000_000_123));
    let d = decode_ref(&buf, true).unwrap();
    assert_eq!(d, r);
    // CRC is checked.
    let last_body = buf.len() - (2 + r.properties.len()) - (1 + 6) - 1;
    buf[last_body] ^= 0xFF;
    assert!(matches!(
        decode_ref(&buf, true),
        Err(DecodeError::BadCrc { .. })
    ));
    assert!(decode_ref(&buf, false).is_ok());
}

#[test]
fn ipv6_hosts() {
    let mut r = sample(b"x", "T", "");
    r.born_host = "[::1]:9876".parse().unwrap();
    r.store_host = "[fe80::1]:10911".parse().unwrap();
    assert!(matches!(
        encode_into(&mut [0u8; 200], &r),
        Err(EncodeError::HostFlagMismatch { .. })
    ));
    r.sys_flag = BORNHOST_V6_FLAG | STOREHOST_V6_FLAG;
    let mut b = BytesMut::new();
    encode_to(&mut b, &r).unwrap();
    assert_eq!(decode_ref(&b, true).unwrap(), r);
}

#[test]
fn limits() {
    let long_topic = "t".repeat(128);
    let r = sample(b"", &long_topic, "");
    assert_eq!(validate(&r), Err(EncodeError::TopicTooLong(128)));
    let props = "p".repeat(32768);
    let r = sample(b"", "t", &props);
    assert_eq!(validate(&r), Err(EncodeError::PropertiesTooLong(32768)));
    let r = sample(b"abc", "t", "");
    assert!(matches!(
        encode_into(&mut [0u8; 10], &r),
        Err(EncodeError::BufferTooSmall { .. })
    ));
}

#[test]
fn field_positions_match_the_encoder() {
    let r = sample(b"b", "T", "");
    let mut buf = vec![0u8; r.encoded_len()];
    encode_into(&mut buf, &r).unwrap();
    let i32_at = |p: usize| i32::from_be_bytes(buf[p..p + 4].try_into().unwrap());
    let i64_at = |p: usize| i64::from_be_bytes(buf[p..p + 8].try_into().unwrap());
    assert_eq!(i32_at(BODY_CRC_POSITION), r.body_crc);
    assert_eq!(i32_at(QUEUE_ID_POSITION), r.queue_id);
    assert_eq!(i32_at(FLAG_POSITION), r.flag);
    assert_eq!(i64_at(QUEUE_OFFSET_POSITION), r.queue_offset);
    assert_eq!(i64_at(PHYSICAL_OFFSET_POSITION), r.physical_offset);
    assert_eq!(i32_at(SYSFLAG_POSITION), r.sys_flag);
    assert_eq!(i64_at(BORN_TIMESTAMP_POSITION), r.born_timestamp);
    assert_eq!(
        i64_at(store_timestamp_position(r.sys_flag)),
        r.store_timestamp
    );
    assert_eq!(TRANSACTION_TYPE_MASK, TRANSACTION_ROLLBACK_TYPE);
}

/// The unified reader rules (see [`decode_ref`]), shared by recovery and `MessageExt`.
#[test]
fn java_reader_rules() {
    let r = sample(b"body", "T", "A\u{1}b");
    let mut buf = vec![0u8; r.encoded_len()];
    encode_into(&mut buf, &r).unwrap();
    let topic_len_at = buf.len() - (2 + 3) - (1 + 1);

    // Declared total size must equal the computed length (checkMessageAndReturnSize).
    let mut longer = buf.clone();
    longer.push(0);
    let n = longer.len() as i32;
    longer[..4].copy_from_slice(&n.to_be_bytes());
    assert!(matches!(
        decode_ref(&longer, true),
        Err(DecodeError::SizeMismatch { .. })
    ));

    // The topic length is a signed Java byte: 0x80 is -128, rejected.
    let mut neg = buf.clone();
    neg[topic_len_at] = 0x80;
    assert!(matches!(
        decode_ref(&neg, true),
        Err(DecodeError::BadLength { field: "topic", .. })
    ));

    // Malformed UTF-8 in properties is replaced (new String(bytes, UTF_8)), not rejected.
    let mut bad = buf.clone();
    let last = bad.len() - 1;
    bad[last] = 0xFF;
    let d = decode_ref(&bad, true).unwrap();
    assert_eq!(d.properties, "A\u{1}\u{FFFD}");
    assert!(matches!(d.properties, Cow::Owned(_)));
    assert!(matches!(
        decode_ref(&buf, true).unwrap().properties,
        Cow::Borrowed(_)
    ));

    // A negative properties length is garbage.
    let mut negp = buf.clone();
    negp[topic_len_at + 2..topic_len_at + 4].copy_from_slice(&(-1i16).to_be_bytes());
    assert!(matches!(
        decode_ref(&negp, true),
        Err(DecodeError::BadLength {
            field: "properties",
            ..
        })
    ));

    // A topic that is not UTF-8 is rejected.
    let mut badt = buf.clone();
    badt[topic_len_at + 1] = 0xFF;
    assert_eq!(
        decode_ref(&badt, true),
        Err(DecodeError::InvalidUtf8("topic"))
    );
}

#[test]
fn blank_and_garbage() {
    let mut b = [0u8; 16];
    assert!(encode_blank(&mut b, 16));
    assert_eq!(peek(&b), Ok(Peek::Blank(16)));
    assert!(matches!(decode_ref(&b, true), Err(DecodeError::Blank(16))));
    assert!(matches!(peek(&[0u8; 8]), Err(DecodeError::BadMagic(0))));
    assert!(peek(&[1, 2]).is_err());
}
