//! Stored commit-log records: what recovery and reads take off the disk (`record::peek`,
//! `record::decode_ref` with and without the CRC check, the store timestamp) and what a client
//! reads in a pull or query body (`MessageExt::decode_all`).
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz as _;
use rocklet_protocol::message::MessageExt;
use rocklet_protocol::record;

fuzz_target!(|data: &[u8]| {
    let _ = record::peek(data);
    let _ = record::pickup_store_timestamp(data);
    let _ = record::decode(data);
    let _ = record::decode_ref(data, true);
    if let Ok(r) = record::decode_ref(data, false) {
        let stored = record::stored_len(data).expect("an accepted record has a stored size");
        assert!(stored <= data.len(), "record longer than its buffer");
        // What decodes re-encodes to a record that decodes to the same fields (its size differs
        // from the stored one only when non-UTF-8 properties were replaced).
        let mut b = BytesMut::new();
        record::encode_to(&mut b, &r).expect("a decoded record must encode");
        assert_eq!(b.len(), r.encoded_len());
        if matches!(r.properties, std::borrow::Cow::Borrowed(_)) {
            assert_eq!(b.len(), stored);
        }
        let again = record::decode_ref(&b, false).expect("an encoded record must decode");
        assert_eq!(again.to_owned_record(), r.to_owned_record());
    }
    if let Ok((m, n)) = MessageExt::decode(data) {
        assert!(n <= data.len() && m.store_size as usize == n);
    }
    if let Ok(msgs) = MessageExt::decode_all(data) {
        for m in &msgs {
            let _ = m.msg_id();
            let _ = m.body();
        }
    }
});
