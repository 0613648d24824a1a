//! Text decoders: message properties (`Properties::decode` on the client and broker, the
//! store's zero-copy `properties::*` on the put and dispatch paths), `.properties` bodies of
//! UPDATE_BROKER_CONFIG / UPDATE_NAMESRV_CONFIG, the broker config file, message ids and the
//! compact topic config of compressed register bodies.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz::split_selector;
use rocklet_protocol::body::{parse_properties_text, TopicConfig};
use rocklet_protocol::message::Properties;
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_store::properties as sp;

fuzz_target!(|data: &[u8]| {
    let Some((sel, b)) = split_selector(data) else {
        return;
    };
    let s = String::from_utf8_lossy(b);
    match sel % 4 {
        0 => {
            let p = Properties::decode(&s);
            // Decoding the encoded form gives the same properties.
            assert_eq!(Properties::decode(&p.encode()), p);
            // The store's view agrees with the client's on every name.
            for (k, v) in p.iter() {
                assert_eq!(
                    sp::get(&s, k),
                    Some(v),
                    "store and client disagree on {k:?}"
                );
            }
            // Java's map: the same values, and encoding it again changes none.
            let mut map = sp::JavaMap::parse(&s);
            for (k, v) in p.iter() {
                assert_eq!(map.get(k), Some(v));
            }
            let again = map.encode();
            assert_eq!(sp::JavaMap::parse(&again).encode(), again);
            let _ = sp::tags_code(&s);
            sp::index_keys(&s, |_| {});
            let _ = sp::has_index_key(&s, "k");
            map.put("DELAY", "3");
            assert_eq!(sp::get(&map.encode(), "DELAY"), Some("3"));
        }
        1 => {
            if let Ok(pairs) = parse_properties_text(&s) {
                let map = pairs.into_iter().collect();
                let mut cfg = rocklet_broker::config::BrokerConfig::default();
                if cfg.apply(&map).is_ok() {
                    let _ = cfg.validate();
                }
            }
        }
        2 => {
            let map = rocklet_broker::config::parse_properties(&s);
            let mut cfg = rocklet_broker::config::BrokerConfig::default();
            let _ = cfg.apply(&map);
        }
        _ => {
            let _ = decode_offset_msg_id(&s);
            if let Some(tc) = TopicConfig::decode_compact(&s) {
                if !tc.topic_name.contains(' ') && !tc.topic_filter_type.contains(' ') {
                    assert_eq!(TopicConfig::decode_compact(&tc.encode_compact()), Some(tc));
                }
            }
        }
    }
});
