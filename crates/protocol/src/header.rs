//! Typed command headers (`CommandCustomHeader` subclasses). Java carries every header field in
//! `extFields` as a string (`"queueId":"3"`); a field whose Rust type is not an `Option` is
//! required (`@CFNotNull`) and its absence is [`ProtocolError::MissingField`].

use crate::command::ExtFields;
use crate::error::ProtocolError;

/// A header that maps to and from `extFields`.
pub trait CommandHeader: Sized {
    fn write(&self, ext: &mut ExtFields);
    fn read(ext: &ExtFields) -> Result<Self, ProtocolError>;
}

/// The empty header.
impl CommandHeader for () {
    fn write(&self, _: &mut ExtFields) {}
    fn read(_: &ExtFields) -> Result<Self, ProtocolError> {
        Ok(())
    }
}

/// One header field value: how it is written and parsed (Java `toString` / `parseXxx`).
pub trait HeaderValue: Sized {
    fn put(&self, ext: &mut ExtFields, key: &'static str);
    fn take(ext: &ExtFields, key: &'static str) -> Result<Self, ProtocolError>;
}

trait Scalar: Sized {
    fn render(&self) -> String;
    fn parse(s: &str, key: &'static str) -> Result<Self, ProtocolError>;
}

impl Scalar for String {
    fn render(&self) -> String {
        self.clone()
    }
    fn parse(s: &str, _: &'static str) -> Result<Self, ProtocolError> {
        Ok(s.to_owned())
    }
}

macro_rules! num_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn render(&self) -> String { self.to_string() }
            fn parse(s: &str, key: &'static str) -> Result<Self, ProtocolError> {
                s.trim().parse().map_err(|_| ProtocolError::BadField { field: key, value: s.to_owned() })
            }
        }
    )*};
}
num_scalar!(i32, i64);

impl Scalar for bool {
    fn render(&self) -> String {
        self.to_string()
    }
    /// `Boolean.parseBoolean`: "true" in any case is true, anything else false.
    fn parse(s: &str, _: &'static str) -> Result<Self, ProtocolError> {
        Ok(s.eq_ignore_ascii_case("true"))
    }
}

impl<T: Scalar> HeaderValue for T {
    fn put(&self, ext: &mut ExtFields, key: &'static str) {
        ext.push(key, &self.render());
    }
    fn take(ext: &ExtFields, key: &'static str) -> Result<Self, ProtocolError> {
        match ext.get(key) {
            Some(v) => T::parse(v, key),
            None => Err(ProtocolError::MissingField(key)),
        }
    }
}

impl<T: Scalar> HeaderValue for Option<T> {
    fn put(&self, ext: &mut ExtFields, key: &'static str) {
        if let Some(v) = self {
            ext.push(key, &v.render());
        }
    }
    fn take(ext: &ExtFields, key: &'static str) -> Result<Self, ProtocolError> {
        match ext.get(key) {
            // Java's decoder maps an empty string for a number to an error; we treat it as absent.
            Some(v) if !v.is_empty() => T::parse(v, key).map(Some),
            _ => Ok(None),
        }
    }
}

/// Declare a header struct and its `extFields` names.
macro_rules! command_header {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty = $key:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name { $($(#[$fm])* pub $field: $ty,)* }
        impl CommandHeader for $name {
            fn write(&self, ext: &mut ExtFields) {
                $(HeaderValue::put(&self.$field, ext, $key);)*
            }
            fn read(ext: &ExtFields) -> Result<Self, ProtocolError> {
                Ok(Self { $($field: HeaderValue::take(ext, $key)?,)* })
            }
        }
    };
}

mod admin;
pub use admin::*;

command_header! {
    /// `SendMessageRequestHeader` (SEND_MESSAGE, SEND_BATCH_MESSAGE with the full names).
    pub struct SendMessageRequestHeader {
        producer_group: String = "producerGroup",
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        queue_id: i32 = "queueId",
        sys_flag: i32 = "sysFlag",
        born_timestamp: i64 = "bornTimestamp",
        flag: i32 = "flag",
        properties: Option<String> = "properties",
        reconsume_times: Option<i32> = "reconsumeTimes",
        unit_mode: Option<bool> = "unitMode",
        batch: Option<bool> = "batch",
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
    }
}

command_header! {
    /// `SendMessageRequestHeaderV2`: the same fields under one-letter names (SEND_MESSAGE_V2 and
    /// SEND_BATCH_MESSAGE from 4.x Java clients).
    pub struct SendMessageRequestHeaderV2 {
        a: String = "a",
        b: String = "b",
        c: String = "c",
        d: i32 = "d",
        e: i32 = "e",
        f: i32 = "f",
        g: i64 = "g",
        h: i32 = "h",
        i: Option<String> = "i",
        j: Option<i32> = "j",
        k: Option<bool> = "k",
        l: Option<i32> = "l",
        m: Option<bool> = "m",
    }
}

impl SendMessageRequestHeaderV2 {
    pub fn from_v1(v: &SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            a: v.producer_group.clone(),
            b: v.topic.clone(),
            c: v.default_topic.clone(),
            d: v.default_topic_queue_nums,
            e: v.queue_id,
            f: v.sys_flag,
            g: v.born_timestamp,
            h: v.flag,
            i: v.properties.clone(),
            j: v.reconsume_times,
            k: v.unit_mode,
            l: v.max_reconsume_times,
            m: v.batch,
        }
    }
    pub fn into_v1(self) -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: self.a,
            topic: self.b,
            default_topic: self.c,
            default_topic_queue_nums: self.d,
            queue_id: self.e,
            sys_flag: self.f,
            born_timestamp: self.g,
            flag: self.h,
            properties: self.i,
            reconsume_times: self.j,
            unit_mode: self.k,
            batch: self.m,
            max_reconsume_times: self.l,
        }
    }
}

command_header! {
    /// `SendMessageResponseHeader`.
    pub struct SendMessageResponseHeader {
        msg_id: String = "msgId",
        queue_id: i32 = "queueId",
        queue_offset: i64 = "queueOffset",
        transaction_id: Option<String> = "transactionId",
        msg_region: Option<String> = "MSG_REGION",
        trace_on: Option<String> = "TRACE_ON",
    }
}

command_header! {
    /// `PullMessageRequestHeader`.
    pub struct PullMessageRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        queue_offset: i64 = "queueOffset",
        max_msg_nums: i32 = "maxMsgNums",
        sys_flag: i32 = "sysFlag",
        commit_offset: i64 = "commitOffset",
        suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        subscription: Option<String> = "subscription",
        sub_version: i64 = "subVersion",
        expression_type: Option<String> = "expressionType",
    }
}

command_header! {
    /// `PullMessageResponseHeader`.
    pub struct PullMessageResponseHeader {
        suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        next_begin_offset: i64 = "nextBeginOffset",
        min_offset: i64 = "minOffset",
        max_offset: i64 = "maxOffset",
    }
}

command_header! {
    /// `GetRouteInfoRequestHeader`.
    pub struct GetRouteInfoRequestHeader { topic: String = "topic" }
}

command_header! {
    /// `RegisterBrokerRequestHeader`.
    pub struct RegisterBrokerRequestHeader {
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
        ha_server_addr: String = "haServerAddr",
        broker_id: i64 = "brokerId",
        compressed: Option<bool> = "compressed",
        body_crc32: Option<i32> = "bodyCrc32",
    }
}

command_header! {
    /// `RegisterBrokerResponseHeader`.
    pub struct RegisterBrokerResponseHeader {
        ha_server_addr: Option<String> = "haServerAddr",
        master_addr: Option<String> = "masterAddr",
    }
}

command_header! {
    /// `UnRegisterBrokerRequestHeader`.
    pub struct UnRegisterBrokerRequestHeader {
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
        broker_id: i64 = "brokerId",
    }
}

command_header! {
    /// `GetMaxOffsetRequestHeader` / `GetMinOffsetRequestHeader` / `GetEarliestMsgStoretimeRequestHeader`.
    pub struct QueueRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }
}

command_header! {
    /// `GetMaxOffsetResponseHeader`, `GetMinOffsetResponseHeader`, `SearchOffsetResponseHeader`,
    /// `QueryConsumerOffsetResponseHeader`.
    pub struct OffsetResponseHeader { offset: i64 = "offset" }
}

command_header! {
    /// `GetEarliestMsgStoretimeResponseHeader`.
    pub struct TimestampResponseHeader { timestamp: i64 = "timestamp" }
}

command_header! {
    /// `SearchOffsetRequestHeader`.
    pub struct SearchOffsetRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        timestamp: i64 = "timestamp",
    }
}

command_header! {
    /// `ViewMessageRequestHeader`: a commit-log offset.
    pub struct ViewMessageRequestHeader { offset: i64 = "offset" }
}

command_header! {
    /// `QueryMessageRequestHeader`. The Java client adds `_UNIQUE_KEY_QUERY` to `extFields` for a
    /// query by unique key.
    pub struct QueryMessageRequestHeader {
        topic: String = "topic",
        key: String = "key",
        max_num: i32 = "maxNum",
        begin_timestamp: i64 = "beginTimestamp",
        end_timestamp: i64 = "endTimestamp",
        unique_key_query: Option<bool> = "_UNIQUE_KEY_QUERY",
    }
}

command_header! {
    /// `QueryMessageResponseHeader`.
    pub struct QueryMessageResponseHeader {
        index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

command_header! {
    /// `CreateTopicRequestHeader` (UPDATE_AND_CREATE_TOPIC).
    pub struct CreateTopicRequestHeader {
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        read_queue_nums: i32 = "readQueueNums",
        write_queue_nums: i32 = "writeQueueNums",
        perm: i32 = "perm",
        topic_filter_type: String = "topicFilterType",
        topic_sys_flag: Option<i32> = "topicSysFlag",
        order: bool = "order",
    }
}

command_header! {
    /// `QueryConsumerOffsetRequestHeader`.
    pub struct QueryConsumerOffsetRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
    }
}

command_header! {
    /// `UpdateConsumerOffsetRequestHeader`.
    pub struct UpdateConsumerOffsetRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: String = "topic",
        queue_id: i32 = "queueId",
        commit_offset: i64 = "commitOffset",
    }
}

command_header! {
    /// `GetConsumerListByGroupRequestHeader`.
    pub struct GetConsumerListByGroupRequestHeader { consumer_group: String = "consumerGroup" }
}

command_header! {
    /// `UnregisterClientRequestHeader`.
    pub struct UnregisterClientRequestHeader {
        client_id: String = "clientID",
        producer_group: Option<String> = "producerGroup",
        consumer_group: Option<String> = "consumerGroup",
    }
}

command_header! {
    /// `ConsumerSendMsgBackRequestHeader`.
    pub struct ConsumerSendMsgBackRequestHeader {
        offset: i64 = "offset",
        group: String = "group",
        delay_level: i32 = "delayLevel",
        origin_msg_id: Option<String> = "originMsgId",
        origin_topic: Option<String> = "originTopic",
        unit_mode: Option<bool> = "unitMode",
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
    }
}

command_header! {
    /// `EndTransactionRequestHeader`.
    pub struct EndTransactionRequestHeader {
        producer_group: String = "producerGroup",
        tran_state_table_offset: i64 = "tranStateTableOffset",
        commit_log_offset: i64 = "commitLogOffset",
        commit_or_rollback: i32 = "commitOrRollback",
        from_transaction_check: Option<bool> = "fromTransactionCheck",
        msg_id: String = "msgId",
        transaction_id: Option<String> = "transactionId",
    }
}

command_header! {
    /// `CheckTransactionStateRequestHeader` (CHECK_TRANSACTION_STATE, broker to producer).
    pub struct CheckTransactionStateRequestHeader {
        tran_state_table_offset: i64 = "tranStateTableOffset",
        commit_log_offset: i64 = "commitLogOffset",
        msg_id: Option<String> = "msgId",
        transaction_id: Option<String> = "transactionId",
        offset_msg_id: Option<String> = "offsetMsgId",
    }
}

command_header! {
    /// `GetTopicsByClusterRequestHeader`.
    pub struct GetTopicsByClusterRequestHeader { cluster: String = "cluster" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_and_optional_fields() {
        let h = SendMessageResponseHeader {
            msg_id: "AB".into(),
            queue_id: 3,
            queue_offset: 99,
            transaction_id: None,
            ..Default::default()
        };
        let mut ext = ExtFields::default();
        h.write(&mut ext);
        assert_eq!(ext.get("queueId"), Some("3"));
        assert_eq!(ext.get("transactionId"), None);
        assert_eq!(SendMessageResponseHeader::read(&ext).unwrap(), h);
        let mut missing = ExtFields::default();
        missing.insert("msgId", "x");
        assert_eq!(
            SendMessageResponseHeader::read(&missing).unwrap_err(),
            ProtocolError::MissingField("queueId")
        );
        let mut bad = ext.clone();
        bad.insert("queueOffset", "12x");
        assert!(matches!(
            SendMessageResponseHeader::read(&bad),
            Err(ProtocolError::BadField {
                field: "queueOffset",
                ..
            })
        ));
    }

    #[test]
    fn v2_names_match_java() {
        let v1 = SendMessageRequestHeader {
            producer_group: "g".into(),
            topic: "t".into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: 1,
            sys_flag: 0,
            born_timestamp: 5,
            flag: 0,
            properties: Some("p".into()),
            reconsume_times: Some(0),
            unit_mode: Some(false),
            batch: Some(false),
            max_reconsume_times: None,
        };
        let v2 = SendMessageRequestHeaderV2::from_v1(&v1);
        let mut ext = ExtFields::default();
        v2.write(&mut ext);
        let keys: Vec<_> = ext.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m"]
        );
        assert_eq!(
            SendMessageRequestHeaderV2::read(&ext).unwrap().into_v1(),
            v1
        );
    }
}

command_header! {
    /// `QueryDataVersionRequestHeader` (QUERY_DATA_VERSION, sent by Java brokers every 30 s).
    pub struct QueryDataVersionRequestHeader {
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
        broker_id: i64 = "brokerId",
    }
}

command_header! {
    /// `QueryDataVersionResponseHeader`.
    pub struct QueryDataVersionResponseHeader { changed: Option<bool> = "changed" }
}

command_header! {
    /// `WipeWritePermOfBrokerRequestHeader` / `AddWritePermOfBrokerRequestHeader`.
    pub struct BrokerNameRequestHeader { broker_name: String = "brokerName" }
}

command_header! {
    /// `DeleteTopicFromNamesrvRequestHeader` / `DeleteTopicRequestHeader`.
    pub struct TopicRequestHeader { topic: String = "topic" }
}

command_header! {
    /// `WipeWritePermOfBrokerResponseHeader`: how many topics lost the write permission.
    pub struct WipeWritePermOfBrokerResponseHeader { wipe_topic_count: i32 = "wipeTopicCount" }
}

command_header! {
    /// `AddWritePermOfBrokerResponseHeader`: how many topics got read and write back.
    pub struct AddWritePermOfBrokerResponseHeader { add_topic_count: i32 = "addTopicCount" }
}

command_header! {
    /// `GetKVListByNamespaceRequestHeader`.
    pub struct NamespaceRequestHeader { namespace: String = "namespace" }
}

command_header! {
    /// `PutKVConfigRequestHeader` (PUT_KV_CONFIG).
    pub struct PutKvConfigRequestHeader {
        namespace: String = "namespace",
        key: String = "key",
        value: String = "value",
    }
}

command_header! {
    /// `GetKVConfigRequestHeader` / `DeleteKVConfigRequestHeader` (GET_KV_CONFIG, DELETE_KV_CONFIG).
    pub struct KvConfigRequestHeader {
        namespace: String = "namespace",
        key: String = "key",
    }
}

command_header! {
    /// `GetKVConfigResponseHeader`.
    pub struct GetKvConfigResponseHeader { value: Option<String> = "value" }
}
