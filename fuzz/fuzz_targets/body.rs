//! JSON request and response bodies (fastjson text) as the broker, the name server and the
//! client read them. The first byte chooses the body type; the rest is the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rocklet_fuzz::split_selector;
use rocklet_protocol::body::*;
use rocklet_protocol::route::{ClusterInfo, TopicRouteData};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;

/// `decode_json`, and for what decodes: the encoded form decodes to the same value.
fn json<T: DeserializeOwned + Serialize + PartialEq + Debug>(b: &[u8]) {
    if let Ok(v) = decode_json::<T>(b) {
        let again: T = decode_json(&encode_json(&v)).expect("an encoded body must decode");
        assert_eq!(again, v, "decode(encode(body)) != body");
    }
}

fn route(b: &[u8]) {
    if let Ok(v) = TopicRouteData::from_json(b) {
        let again = TopicRouteData::from_json(&v.to_fastjson()).expect("re-encoded route");
        assert_eq!(again, v);
    }
}

fn cluster(b: &[u8]) {
    if let Ok(v) = ClusterInfo::from_json(b) {
        let again = ClusterInfo::from_json(&v.to_fastjson()).expect("re-encoded cluster info");
        assert_eq!(again, v);
    }
}

fn mq_maps(b: &[u8]) {
    let _ = read_mq_map::<i64>(b, "offsetTable");
    let _ = read_mq_map::<OffsetWrapper>(b, "offsetTable");
    let _ = read_mq_map::<TopicOffset>(b, "offsetTable");
    let _ = raw_field(b, "brokerAddrTable");
    let _ = raw_field(b, "table");
}

fn check_client(b: &[u8]) {
    // The broker's CHECK_CLIENT_CONFIG body: `{"subscriptionData":{...}}`.
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    #[allow(dead_code)]
    struct CheckClientRequestBody {
        subscription_data: Option<SubscriptionData>,
    }
    let _ = decode_json::<CheckClientRequestBody>(b);
}

fuzz_target!(|data: &[u8]| {
    let Some((sel, b)) = split_selector(data) else {
        return;
    };
    let all: &[fn(&[u8])] = &[
        json::<HeartbeatData>,
        json::<LockBatchRequestBody>,
        json::<LockBatchResponseBody>,
        json::<SubscriptionGroupConfig>,
        json::<DataVersion>,
        json::<TopicConfigSerializeWrapper>,
        json::<TopicList>,
        json::<ConsumerIdList>,
        json::<KvTable>,
        json::<ConsumerConnection>,
        json::<ProducerConnection>,
        json::<GroupList>,
        json::<BrokerStatsData>,
        json::<QueryConsumeTimeSpanBody>,
        json::<QueryConsumeQueueResponseBody>,
        json::<SubscriptionData>,
        route,
        cluster,
        mq_maps,
        check_client,
    ];
    all[sel as usize % all.len()](b);
});
