//! SEND_BATCH_MESSAGE bodies as the broker splits them (`decode_batch`, Java
//! `MessageDecoder.decodeMessages`).
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz as _;
use rocklet_protocol::message::{decode_batch, encode_batch_item};

fuzz_target!(|data: &[u8]| {
    if let Ok(items) = decode_batch(data) {
        // Re-encoding what decoded gives a body that decodes to the same items.
        let mut b = BytesMut::new();
        for it in &items {
            encode_batch_item(&mut b, it.flag, &it.body, &it.properties.encode());
        }
        let again = decode_batch(&b).expect("an encoded batch must decode");
        assert_eq!(again, items, "decode(encode(batch)) != batch");
    }
});
