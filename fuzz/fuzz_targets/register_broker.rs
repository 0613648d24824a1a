//! REGISTER_BROKER bodies as the name server reads them: fastjson text, or the compressed form
//! (`RegisterBrokerBody.encode(true)`: zlib of length-prefixed chunks) when the first byte is odd.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz::split_selector;
use rocklet_protocol::body::RegisterBrokerBody;

fuzz_target!(|data: &[u8]| {
    let Some((sel, b)) = split_selector(data) else {
        return;
    };
    let compressed = sel & 1 == 1;
    if let Ok(v) = RegisterBrokerBody::decode(b, compressed) {
        // The compact form of a topic config is space separated (`TopicConfig.encode`), so a
        // name or filter type with a space has no compressed form (Java's neither; topic names
        // never have one, `TopicValidator`).
        let compact_ok = v
            .topic_config_serialize_wrapper
            .topic_config_table
            .values()
            .all(|t| !t.topic_name.contains(' ') && !t.topic_filter_type.contains(' '));
        // Both encodings of what decoded decode back to it.
        for c in [false, true] {
            if c && !compact_ok {
                continue;
            }
            let again = RegisterBrokerBody::decode(&v.encode(c), c)
                .expect("an encoded register body must decode");
            if c {
                // The compressed form carries only the topic config table, data version and
                // filter servers, and topic configs in their compact text form.
                assert_eq!(
                    again.topic_config_serialize_wrapper.data_version,
                    v.topic_config_serialize_wrapper.data_version
                );
                assert_eq!(again.filter_server_list, v.filter_server_list);
            } else {
                assert_eq!(again, v);
            }
        }
    }
});
