//! Fixed-layout store files read at start: `checkpoint` and consume-queue entries.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz as _;
use rocklet_store::checkpoint::Checkpoint;
use rocklet_store::CqEntry;

fuzz_target!(|data: &[u8]| {
    if let Some(c) = Checkpoint::decode(data) {
        assert_eq!(Checkpoint::decode(&c.encode()), Some(c));
    }
    for chunk in data.chunks(rocklet_store::cq_entry::CQ_STORE_UNIT_SIZE) {
        if let Some(e) = CqEntry::decode(chunk) {
            let mut b = [0u8; 20];
            e.encode(&mut b);
            assert_eq!(CqEntry::decode(&b), Some(e));
            let _ = (e.is_valid(), e.is_pre_blank());
        }
    }
});
