//! Metadata files the broker and name server read at start, with the decoders their `load`
//! functions use: config/topics.json, consumerOffset.json, delayOffset.json,
//! subscriptionGroup.json, the name server's kvConfig.json, and a broker properties file.
//! The first byte chooses the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz::split_selector;
use rocklet_protocol::body::{
    decode_json, encode_json, SubscriptionGroupWrapper, TopicConfigSerializeWrapper,
};

fuzz_target!(|data: &[u8]| {
    let Some((sel, b)) = split_selector(data) else {
        return;
    };
    match sel % 6 {
        0 => {
            if let Ok(w) = decode_json::<TopicConfigSerializeWrapper>(b) {
                let again: TopicConfigSerializeWrapper =
                    decode_json(&encode_json(&w)).expect("re-encoded topics.json");
                assert_eq!(again, w);
            }
        }
        1 => {
            let _ = decode_json::<rocklet_broker::offsets::OffsetFile>(b);
        }
        2 => {
            let _ = decode_json::<rocklet_broker::schedule::OffsetFile>(b);
        }
        3 => {
            if let Ok(w) = decode_json::<SubscriptionGroupWrapper>(b) {
                let again: SubscriptionGroupWrapper =
                    decode_json(&encode_json(&w)).expect("re-encoded subscriptionGroup.json");
                assert_eq!(again, w);
            }
        }
        4 => {
            let _ = rocklet_namesrv::kvconfig::KvConfigManager::from_json(b);
        }
        _ => {
            let text = String::from_utf8_lossy(b);
            let props = rocklet_broker::config::parse_properties(&text);
            let mut cfg = rocklet_broker::config::BrokerConfig::default();
            if cfg.apply(&props).is_ok() {
                let _ = cfg.validate();
                let _ = cfg.to_properties();
            }
        }
    }
});
