//! JSON (and one binary) bodies: topic configs, broker registration, heartbeats, lists.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod admin;
mod properties_text;
pub use admin::*;
pub use properties_text::parse_properties_text;

use crate::error::ProtocolError;
use crate::json::{from_fastjson, lenient};
use crate::route::perm;

/// The topic new topics inherit their settings from (`TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC`).
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";
pub const DEFAULT_TOPIC_QUEUE_NUMS: i32 = 4;

/// `TopicConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    #[serde(deserialize_with = "lenient::boolean")]
    pub order: bool,
    #[serde(deserialize_with = "lenient::int")]
    pub perm: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub read_queue_nums: i32,
    #[serde(deserialize_with = "topic_filter_type")]
    pub topic_filter_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub topic_name: String,
    #[serde(deserialize_with = "lenient::int")]
    pub topic_sys_flag: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub write_queue_nums: i32,
}

/// Java enums in JSON bodies: fastjson reads a name or an ordinal. Each reader turns an ordinal
/// into the name (`None` / empty for null).
macro_rules! enum_reader {
    ($name:ident, $opt:ident, [$($v:literal),* $(,)?]) => {
        fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
            lenient::enum_name(d, &[$($v),*])
        }
        #[allow(dead_code)]
        fn $opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
            Ok(Some($name(d)?).filter(|s| !s.is_empty()))
        }
    };
}
enum_reader!(
    topic_filter_type,
    _opt_topic_filter_type,
    ["SINGLE_TAG", "MULTI_TAG"]
);
enum_reader!(
    _consume_type,
    consume_type,
    ["CONSUME_ACTIVELY", "CONSUME_PASSIVELY"]
);
enum_reader!(
    _message_model,
    message_model,
    ["BROADCASTING", "CLUSTERING"]
);
enum_reader!(
    _consume_from_where,
    consume_from_where,
    [
        "CONSUME_FROM_LAST_OFFSET",
        "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        "CONSUME_FROM_MIN_OFFSET",
        "CONSUME_FROM_MAX_OFFSET",
        "CONSUME_FROM_FIRST_OFFSET",
        "CONSUME_FROM_TIMESTAMP",
    ]
);
enum_reader!(_expression_type, expression_type, ["TAG", "SQL92"]);

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            order: false,
            perm: perm::READ | perm::WRITE,
            read_queue_nums: 16,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: 16,
        }
    }
}

impl TopicConfig {
    pub fn new(name: impl Into<String>, read: i32, write: i32, perm: i32) -> Self {
        TopicConfig {
            topic_name: name.into(),
            read_queue_nums: read,
            write_queue_nums: write,
            perm,
            ..Default::default()
        }
    }
    /// `TopicConfig.encode`: `name read write perm filterType`, used in compressed registration.
    pub fn encode_compact(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type
        )
    }
    /// `TopicConfig.decode`. The filter type is taken as a name (Java's
    /// `TopicFilterType.valueOf`); a number is refused, as the JSON reader would take it for an
    /// ordinal, and other text is kept as the JSON reader keeps it.
    pub fn decode_compact(s: &str) -> Option<Self> {
        let p: Vec<&str> = s.split(' ').collect();
        if p.len() != 5 || p[4].parse::<usize>().is_ok() {
            return None;
        }
        Some(TopicConfig {
            topic_name: p[0].to_owned(),
            read_queue_nums: p[1].parse().ok()?,
            write_queue_nums: p[2].parse().ok()?,
            perm: p[3].parse().ok()?,
            topic_filter_type: p[4].to_owned(),
            ..Default::default()
        })
    }
}

/// `DataVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    #[serde(deserialize_with = "lenient::int")]
    pub counter: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub timestamp: i64,
}

/// `TopicConfigSerializeWrapper`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    pub data_version: DataVersion,
    #[serde(deserialize_with = "lenient::or_default")]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

/// `RegisterBrokerBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterBrokerBody {
    pub filter_server_list: Vec<String>,
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
}

impl RegisterBrokerBody {
    /// `RegisterBrokerBody.encode(compress)`.
    pub fn encode(&self, compress: bool) -> Vec<u8> {
        if !compress {
            return serde_json::to_vec(self).unwrap_or_default();
        }
        let mut raw = Vec::new();
        let dv = serde_json::to_vec(&self.topic_config_serialize_wrapper.data_version)
            .unwrap_or_default();
        raw.extend_from_slice(&(dv.len() as i32).to_be_bytes());
        raw.extend_from_slice(&dv);
        let table = &self.topic_config_serialize_wrapper.topic_config_table;
        raw.extend_from_slice(&(table.len() as i32).to_be_bytes());
        for tc in table.values() {
            let s = tc.encode_compact();
            raw.extend_from_slice(&(s.len() as i32).to_be_bytes());
            raw.extend_from_slice(s.as_bytes());
        }
        let fs = serde_json::to_vec(&self.filter_server_list).unwrap_or_default();
        raw.extend_from_slice(&(fs.len() as i32).to_be_bytes());
        raw.extend_from_slice(&fs);
        crate::message::deflate(&raw, 9)
    }

    /// `RegisterBrokerBody.decode(data, compressed)`.
    pub fn decode(data: &[u8], compressed: bool) -> Result<Self, ProtocolError> {
        if !compressed {
            return from_fastjson(data);
        }
        let raw = crate::message::inflate(data)?;
        let mut r = crate::command::Reader::new(&raw);
        let bad = |what: &str| ProtocolError::BadBody(format!("compressed register body: {what}"));
        let take_chunk = |r: &mut crate::command::Reader<'_>| -> Result<Vec<u8>, ProtocolError> {
            let n = r.i32().ok_or_else(|| bad("truncated length"))?;
            if n < 0 {
                return Err(bad("negative length"));
            }
            Ok(r.take(n as usize)
                .ok_or_else(|| bad("length past end"))?
                .to_vec())
        };
        let dv: DataVersion = from_fastjson(&take_chunk(&mut r)?)?;
        let n = r.i32().ok_or_else(|| bad("truncated topic count"))?;
        let mut table = BTreeMap::new();
        for _ in 0..n.max(0) {
            let chunk = take_chunk(&mut r)?;
            let s = String::from_utf8_lossy(&chunk);
            let tc =
                TopicConfig::decode_compact(&s).ok_or_else(|| bad("bad topic config entry"))?;
            table.insert(tc.topic_name.clone(), tc);
        }
        let fs = take_chunk(&mut r)?;
        let filter_server_list = serde_json::from_slice(&fs).unwrap_or_default();
        Ok(RegisterBrokerBody {
            filter_server_list,
            topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
                data_version: dv,
                topic_config_table: table,
            },
        })
    }
}

/// `SubscriptionData` (inside a consumer heartbeat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionData {
    #[serde(deserialize_with = "lenient::boolean")]
    pub class_filter_mode: bool,
    #[serde(deserialize_with = "lenient_vec_int")]
    pub code_set: Vec<i32>,
    #[serde(
        deserialize_with = "expression_type",
        skip_serializing_if = "Option::is_none"
    )]
    pub expression_type: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub sub_string: String,
    #[serde(deserialize_with = "lenient::int")]
    pub sub_version: i64,
    #[serde(deserialize_with = "lenient_vec_string")]
    pub tags_set: Vec<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
}

/// A list of numbers (or numbers as strings); null is empty.
fn lenient_vec_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i32>, D::Error> {
    #[derive(Deserialize)]
    struct N(#[serde(deserialize_with = "lenient::int")] i32);
    Ok(Option::<Vec<N>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.0)
        .collect())
}

/// A list of strings; null is empty.
fn lenient_vec_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    struct S(#[serde(deserialize_with = "lenient::string")] String);
    Ok(Option::<Vec<S>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.0)
        .collect())
}

/// `ConsumerData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    #[serde(deserialize_with = "consume_from_where")]
    pub consume_from_where: Option<String>,
    #[serde(deserialize_with = "consume_type")]
    pub consume_type: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
    #[serde(deserialize_with = "message_model")]
    pub message_model: Option<String>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub subscription_data_set: Vec<SubscriptionData>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub unit_mode: bool,
}

/// `ProducerData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
}

/// `HeartbeatData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HeartbeatData {
    #[serde(rename = "clientID", deserialize_with = "lenient::string")]
    pub client_id: String,
    #[serde(rename = "consumerDataSet", deserialize_with = "lenient::or_default")]
    pub consumer_data_set: Vec<ConsumerData>,
    #[serde(rename = "producerDataSet", deserialize_with = "lenient::or_default")]
    pub producer_data_set: Vec<ProducerData>,
}

/// `TopicList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicList {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    pub topic_list: Vec<String>,
}

/// `GetConsumerListByGroupResponseBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerIdList {
    pub consumer_id_list: Vec<String>,
}

/// `KVTable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KvTable {
    pub table: BTreeMap<String, String>,
}

/// `MessageQueue` as it appears in JSON bodies (lock batch, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueueData {
    #[serde(deserialize_with = "lenient::string")]
    pub broker_name: String,
    #[serde(deserialize_with = "lenient::int")]
    pub queue_id: i32,
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
}

/// `LockBatchRequestBody` / `UnlockBatchRequestBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    pub client_id: Option<String>,
    pub consumer_group: Option<String>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub mq_set: Vec<MessageQueueData>,
    #[serde(deserialize_with = "lenient::boolean")]
    pub only_this_broker: bool,
}

/// `LockBatchResponseBody`. Java's field is `lockOKMQSet` (fastjson writes that name; serde's
/// camelCase would make it `lockOkMQSet`, which a Rust reader of Java's answer never found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchResponseBody {
    #[serde(rename = "lockOKMQSet", alias = "lockOkMQSet")]
    pub lock_ok_m_q_set: Vec<MessageQueueData>,
}

/// `SubscriptionGroupConfig` (a consumer group's settings on a broker). Fields in fastjson's
/// (alphabetical) order; every field read leniently, as fastjson would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    #[serde(deserialize_with = "lenient::int")]
    pub broker_id: i64,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_broadcast_enable: bool,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_enable: bool,
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_from_min_enable: bool,
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
    #[serde(deserialize_with = "lenient::boolean")]
    pub notify_consumer_ids_changed_enable: bool,
    #[serde(deserialize_with = "lenient::int")]
    pub retry_max_times: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub retry_queue_nums: i32,
    #[serde(deserialize_with = "lenient::int")]
    pub which_broker_when_consume_slowly: i64,
}

impl Default for SubscriptionGroupConfig {
    /// Java's field defaults.
    fn default() -> Self {
        SubscriptionGroupConfig {
            broker_id: 0,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            group_name: String::new(),
            notify_consumer_ids_changed_enable: true,
            retry_max_times: 16,
            retry_queue_nums: 1,
            which_broker_when_consume_slowly: 1,
        }
    }
}

impl SubscriptionGroupConfig {
    pub fn new(group: impl Into<String>) -> Self {
        SubscriptionGroupConfig {
            group_name: group.into(),
            ..Default::default()
        }
    }
}

/// `SubscriptionGroupWrapper` (GET_ALL_SUBSCRIPTIONGROUP_CONFIG) and the layout of
/// `config/subscriptionGroup.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupWrapper {
    pub data_version: DataVersion,
    #[serde(deserialize_with = "lenient::or_default")]
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

/// Parse a JSON body written by fastjson.
pub fn decode_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ProtocolError> {
    from_fastjson(body)
}

/// Encode a JSON body.
pub fn encode_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> RegisterBrokerBody {
        let mut b = RegisterBrokerBody::default();
        b.topic_config_serialize_wrapper.data_version = DataVersion {
            counter: 3,
            timestamp: 1_700_000_000_000,
        };
        for t in ["TBW102", "TopicTest"] {
            b.topic_config_serialize_wrapper
                .topic_config_table
                .insert(t.into(), TopicConfig::new(t, 4, 4, 6));
        }
        b
    }

    #[test]
    fn register_body_both_forms() {
        let b = body();
        let json = b.encode(false);
        assert!(std::str::from_utf8(&json)
            .unwrap()
            .contains("\"topicConfigSerializeWrapper\""));
        assert_eq!(RegisterBrokerBody::decode(&json, false).unwrap(), b);
        let z = b.encode(true);
        assert_eq!(RegisterBrokerBody::decode(&z, true).unwrap(), b);
        for cut in 0..z.len() {
            let _ = RegisterBrokerBody::decode(&z[..cut], true);
        }
    }

    #[test]
    fn compact_topic_line_takes_filter_type_names_only() {
        // Found by the register_broker fuzz target: `2` as the filter type was kept, written back
        // to JSON and then refused there as an ordinal out of range. Java's valueOf refuses it.
        assert!(TopicConfig::decode_compact("T 4 4 6 2").is_none());
        assert!(TopicConfig::decode_compact("T 4 4 6 +0").is_none());
        assert!(TopicConfig::decode_compact("T 4 4 6 OTHER").is_some());
        let t = TopicConfig::decode_compact("T 4 4 6 MULTI_TAG").unwrap();
        assert_eq!(t.topic_filter_type, "MULTI_TAG");
        assert_eq!(TopicConfig::decode_compact(&t.encode_compact()), Some(t));
    }

    #[test]
    fn properties_text_as_java_loads_it() {
        let text = "# comment\n  ! also a comment\nlistenPort=9876\n  a : b \nc d\ne\\\n   f=g\\\\\nk\\=x=\\u0041\\t\r\nempty=\nbare\r\nlast=1\\";
        let p = parse_properties_text(text).unwrap();
        let want = [
            ("listenPort", "9876"),
            ("a", "b "),
            ("c", "d"),
            ("ef", "g\\"),
            ("k=x", "A\t"),
            ("empty", ""),
            ("bare", ""),
            ("last", "1"),
        ];
        let got: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
        assert!(parse_properties_text("a=\\u12").is_err());
        assert!(parse_properties_text("a=\\uZZZZ").is_err());
        assert!(parse_properties_text("").unwrap().is_empty());
    }

    /// Each body Rocklet reads, in the forms fastjson accepts: enums as names or ordinals,
    /// numbers as strings, booleans as strings or numbers, unknown fields, nulls.
    #[test]
    fn bodies_read_what_fastjson_reads() {
        let hb = |json: &str| -> HeartbeatData {
            decode_json(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"))
        };
        let forms = [
            r#"{"clientID":"c1","consumerDataSet":[{"groupName":"g","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,"subscriptionDataSet":[{"topic":"T","subString":"*","subVersion":5,"classFilterMode":false,"tagsSet":[],"codeSet":[1],"expressionType":"TAG"}]}],"producerDataSet":[{"groupName":"p"}]}"#,
            r#"{"clientID":"c1","consumerDataSet":[{"groupName":"g","consumeType":1,"messageModel":1,"consumeFromWhere":4,"unitMode":"false","subscriptionDataSet":[{"topic":"T","subString":"*","subVersion":"5","classFilterMode":0,"tagsSet":null,"codeSet":["1"],"expressionType":0,"extra":{"x":[1]}}]}],"producerDataSet":[{"groupName":"p","future":true}],"unknown":null}"#,
            r#"{"clientID":"c1","consumerDataSet":[{"groupName":"g","consumeType":"1","messageModel":"1","consumeFromWhere":"4","subscriptionDataSet":[{"topic":"T","subString":"*","subVersion":5.0,"codeSet":[1],"expressionType":"0"}]}],"producerDataSet":[{"groupName":"p"}]}"#,
        ];
        let want = hb(forms[0]);
        for f in &forms[1..] {
            assert_eq!(hb(f), want, "{f}");
        }
        assert_eq!(
            want.consumer_data_set[0].consume_type.as_deref(),
            Some("CONSUME_PASSIVELY")
        );
        let nulls = hb(r#"{"clientID":"c","consumerDataSet":null,"producerDataSet":null}"#);
        assert!(nulls.consumer_data_set.is_empty() && nulls.producer_data_set.is_empty());

        let tc = |json: &str| -> TopicConfig { decode_json(json.as_bytes()).unwrap() };
        let a = tc(
            r#"{"topicName":"T","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicFilterType":"SINGLE_TAG","topicSysFlag":0,"order":false}"#,
        );
        let b = tc(
            r#"{"topicName":"T","readQueueNums":"4","writeQueueNums":"4","perm":"6","topicFilterType":0,"topicSysFlag":null,"order":"false","attributes":{}}"#,
        );
        assert_eq!(a, b);
        let w: TopicConfigSerializeWrapper = decode_json(
            br#"{"dataVersion":{"counter":"3","timestamp":null},"topicConfigTable":null}"#,
        )
        .unwrap();
        assert_eq!(w.data_version.counter, 3);
        let l: LockBatchRequestBody = decode_json(
            br#"{"clientId":"c","consumerGroup":"g","onlyThisBroker":"true","mqSet":[{"topic":"T","brokerName":"b","queueId":"2"}]}"#,
        )
        .unwrap();
        assert_eq!((l.mq_set[0].queue_id, l.only_this_broker), (2, true));
        let g: SubscriptionGroupWrapper = decode_json(
            br#"{"subscriptionGroupTable":null,"dataVersion":{"counter":1,"timestamp":2}}"#,
        )
        .unwrap();
        assert!(g.subscription_group_table.is_empty());
        // Still refused: a number that is not one, an ordinal past the enum.
        assert!(decode_json::<TopicConfig>(br#"{"perm":"rw"}"#).is_err());
        assert!(decode_json::<ConsumerData>(br#"{"messageModel":7}"#).is_err());
    }

    #[test]
    fn lock_batch_response_java_name() {
        // the 4.9.3 broker's answer to LOCK_BATCH_MQ, as fastjson writes it
        let j = br#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":3,"topic":"T"}]}"#;
        let b: LockBatchResponseBody = decode_json(j).unwrap();
        assert_eq!(b.lock_ok_m_q_set.len(), 1);
        assert_eq!(b.lock_ok_m_q_set[0].queue_id, 3);
        let out = String::from_utf8(encode_json(&b).to_vec()).unwrap();
        assert!(out.contains("\"lockOKMQSet\""), "{out}");
    }

    #[test]
    fn heartbeat_java_json() {
        let j = br#"{"clientID":"127.0.0.1@123","consumerDataSet":[],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"},{"groupName":"pg"}]}"#;
        let h: HeartbeatData = decode_json(j).unwrap();
        assert_eq!(h.client_id, "127.0.0.1@123");
        assert_eq!(h.producer_data_set.len(), 2);
    }
}
