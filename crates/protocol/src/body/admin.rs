//! Bodies of the management codes (`mqadmin`, consoles): connections, stats tables, consume
//! stats, consume-queue dumps. Field names and their (alphabetical) order are fastjson's.
//!
//! fastjson writes a map whose keys are beans with the key as a JSON object
//! (`{{"brokerName":"b","queueId":0,"topic":"T"}:{...}}`), which is not JSON; Java clients read it
//! back with fastjson. [`write_mq_map`] writes that form; nothing Rocklet reads uses it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{MessageQueueData, SubscriptionData};
use crate::json::lenient;

/// Write `{<mq>:<value>,...}` as fastjson writes a `Map<MessageQueue, V>`.
pub fn write_mq_map<'a, V: Serialize + 'a>(
    out: &mut Vec<u8>,
    entries: impl IntoIterator<Item = (&'a MessageQueueData, V)>,
) {
    out.push(b'{');
    for (i, (mq, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Serializing plain structs and numbers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, mq);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, &v);
    }
    out.push(b'}');
}

/// Read a map fastjson wrote with `MessageQueue` keys (`{{"brokerName":..}:<value>,...}`, see
/// [`write_mq_map`]): the value of `field` in `body`, each key and value parsed as JSON.
pub fn read_mq_map<T: serde::de::DeserializeOwned>(
    body: &[u8],
    field: &str,
) -> Result<Vec<(MessageQueueData, T)>, crate::ProtocolError> {
    let bad = |why: &str| crate::ProtocolError::BadBody(format!("{field}: {why}"));
    let key = format!("\"{field}\":");
    let start = body
        .windows(key.len())
        .position(|w| w == key.as_bytes())
        .ok_or_else(|| bad("missing"))?
        + key.len();
    let mut i = skip_ws(body, start);
    if body.get(i) != Some(&b'{') {
        return Err(bad("not a map"));
    }
    i += 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(body, i);
        match body.get(i) {
            Some(b'}') => return Ok(out),
            Some(b',') => i = skip_ws(body, i + 1),
            Some(_) => {}
            None => return Err(bad("truncated")),
        }
        let k_end = value_end(body, i).ok_or_else(|| bad("bad key"))?;
        let mq: MessageQueueData =
            serde_json::from_slice(&body[i..k_end]).map_err(|e| bad(&e.to_string()))?;
        i = skip_ws(body, k_end);
        if body.get(i) != Some(&b':') {
            return Err(bad("expected ':'"));
        }
        i = skip_ws(body, i + 1);
        let v_end = value_end(body, i).ok_or_else(|| bad("bad value"))?;
        let v: T = serde_json::from_slice(&body[i..v_end]).map_err(|e| bad(&e.to_string()))?;
        out.push((mq, v));
        i = v_end;
    }
}

/// The raw JSON text of `field`'s value in `body` (an object or array by bracket matching, a
/// string or scalar to its end), for fastjson bodies no JSON parser reads whole.
pub fn raw_field<'a>(body: &'a [u8], field: &str) -> Option<&'a [u8]> {
    let key = format!("\"{field}\":");
    let start = body.windows(key.len()).position(|w| w == key.as_bytes())? + key.len();
    let i = skip_ws(body, start);
    value_end(body, i).map(|end| &body[i..end])
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// End (exclusive) of the JSON value starting at `i`: a bracketed value by bracket matching
/// (strings skipped), a scalar up to the next `,` `}` or `]`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'{' | b'[' => {
            let (mut depth, mut in_str, mut esc) = (0usize, false, false);
            for (j, &c) in b[i..].iter().enumerate() {
                if in_str {
                    match c {
                        _ if esc => esc = false,
                        b'\\' => esc = true,
                        b'"' => in_str = false,
                        _ => {}
                    }
                    continue;
                }
                match c {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + j + 1);
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        b'"' => {
            let mut esc = false;
            for (j, &c) in b[i + 1..].iter().enumerate() {
                match c {
                    _ if esc => esc = false,
                    b'\\' => esc = true,
                    b'"' => return Some(i + j + 2),
                    _ => {}
                }
            }
            None
        }
        _ => Some(
            b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']'))
                .map_or(b.len(), |p| i + p),
        ),
    }
}

/// `Connection` (one client in a connection list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Connection {
    pub client_addr: String,
    pub client_id: String,
    pub language: String,
    #[serde(deserialize_with = "lenient::int")]
    pub version: i32,
}

/// `ConsumerConnection` (GET_CONSUMER_CONNECTION_LIST).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerConnection {
    pub connection_set: Vec<Connection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consume_from_where: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consume_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_model: Option<String>,
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

/// `ProducerConnection` (GET_PRODUCER_CONNECTION_LIST).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerConnection {
    pub connection_set: Vec<Connection>,
}

/// `GroupList` (QUERY_TOPIC_CONSUME_BY_WHO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupList {
    pub group_list: Vec<String>,
}

/// `TopicOffset` (a value of `TopicStatsTable.offsetTable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicOffset {
    pub last_update_timestamp: i64,
    pub max_offset: i64,
    pub min_offset: i64,
}

/// `TopicStatsTable` body: `{"offsetTable":{<mq>:TopicOffset}}`.
pub fn encode_topic_stats(entries: &[(MessageQueueData, TopicOffset)]) -> Vec<u8> {
    let mut out = b"{\"offsetTable\":".to_vec();
    write_mq_map(&mut out, entries.iter().map(|(q, o)| (q, o)));
    out.push(b'}');
    out
}

/// `OffsetWrapper` (a value of `ConsumeStats.offsetTable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    pub broker_offset: i64,
    pub consumer_offset: i64,
    pub last_timestamp: i64,
}

/// `ConsumeStats`: a group's offsets per queue and its consume TPS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsumeStats {
    pub consume_tps: f64,
    pub offset_table: Vec<(MessageQueueData, OffsetWrapper)>,
}

impl ConsumeStats {
    /// Σ (brokerOffset − consumerOffset), Java `computeTotalDiff`.
    pub fn total_diff(&self) -> i64 {
        self.offset_table
            .iter()
            .map(|(_, o)| o.broker_offset - o.consumer_offset)
            .sum()
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"consumeTps\":");
        let _ = serde_json::to_writer(&mut *out, &java_f64(self.consume_tps));
        out.extend_from_slice(b",\"offsetTable\":");
        write_mq_map(out, self.offset_table.iter().map(|(q, o)| (q, o)));
        out.push(b'}');
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

/// fastjson writes NaN and infinities as `null`; serde_json does the same for `Option::None`.
fn java_f64(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// `ConsumeStatsList` (GET_BROKER_CONSUME_STATS).
pub fn encode_consume_stats_list(
    broker_addr: &str,
    groups: &[(String, Vec<ConsumeStats>)],
    total_diff: i64,
) -> Vec<u8> {
    let mut out = b"{\"brokerAddr\":".to_vec();
    let _ = serde_json::to_writer(&mut out, broker_addr);
    out.extend_from_slice(b",\"consumeStatsList\":[");
    for (i, (group, list)) in groups.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        let _ = serde_json::to_writer(&mut out, group);
        out.extend_from_slice(b":[");
        for (j, cs) in list.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            cs.write(&mut out);
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"],\"totalDiff\":");
    out.extend_from_slice(total_diff.to_string().as_bytes());
    out.push(b'}');
    out
}

/// `BrokerStatsItem`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct BrokerStatsItem {
    pub avgpt: f64,
    pub sum: i64,
    pub tps: f64,
}

/// `BrokerStatsData` (VIEW_BROKER_STATS_DATA).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerStatsData {
    pub stats_day: BrokerStatsItem,
    pub stats_hour: BrokerStatsItem,
    pub stats_minute: BrokerStatsItem,
}

/// `QueueTimeSpan` (QUERY_CONSUME_TIME_SPAN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueTimeSpan {
    pub consume_time_stamp: i64,
    pub consume_time_stamp_str: String,
    pub delay_time: i64,
    pub max_time_stamp: i64,
    pub max_time_stamp_str: String,
    pub message_queue: MessageQueueData,
    pub min_time_stamp: i64,
    pub min_time_stamp_str: String,
}

/// `QueryConsumeTimeSpanBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryConsumeTimeSpanBody {
    pub consume_time_span_set: Vec<QueueTimeSpan>,
}

/// `ConsumeQueueData` (one consume-queue entry in QUERY_CONSUME_QUEUE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeQueueData {
    pub eval: bool,
    pub physic_offset: i64,
    pub physic_size: i32,
    pub tags_code: i64,
}

/// `QueryConsumeQueueResponseBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryConsumeQueueResponseBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_data: Option<String>,
    pub max_queue_index: i64,
    pub min_queue_index: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_data: Option<Vec<ConsumeQueueData>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_data: Option<SubscriptionData>,
}

/// `ResetOffsetBody`: `{"offsetTable":{<mq>:offset}}` (INVOKE_BROKER_TO_RESET_OFFSET answer and
/// the RESET_CONSUMER_CLIENT_OFFSET request).
pub fn encode_reset_offset_body(entries: &[(MessageQueueData, i64)]) -> Vec<u8> {
    let mut out = b"{\"offsetTable\":".to_vec();
    write_mq_map(&mut out, entries.iter().map(|(q, o)| (q, o)));
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(q: i32) -> MessageQueueData {
        MessageQueueData {
            broker_name: "broker-a".into(),
            queue_id: q,
            topic: "TopicA".into(),
        }
    }

    #[test]
    fn raw_field_finds_a_status_answers_queue_table() {
        let body = br#"{"consumerTable":{},"messageQueueTable":{{"brokerName":"b","queueId":0,"topic":"T}"}:5}}"#;
        assert_eq!(
            raw_field(body, "messageQueueTable"),
            Some(&br#"{{"brokerName":"b","queueId":0,"topic":"T}"}:5}"#[..])
        );
        assert_eq!(raw_field(b"{}", "messageQueueTable"), None);
        assert_eq!(
            raw_field(br#"{"messageQueueTable":{"#, "messageQueueTable"),
            None
        );
    }

    #[test]
    fn fastjson_bean_keyed_maps() {
        let t = encode_topic_stats(&[(
            mq(0),
            TopicOffset {
                last_update_timestamp: 7,
                max_offset: 5,
                min_offset: 0,
            },
        )]);
        assert_eq!(
            std::str::from_utf8(&t).unwrap(),
            r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicA"}:{"lastUpdateTimestamp":7,"maxOffset":5,"minOffset":0}}}"#
        );
        let cs = ConsumeStats {
            consume_tps: f64::NAN,
            offset_table: vec![],
        };
        assert_eq!(cs.encode(), br#"{"consumeTps":null,"offsetTable":{}}"#);
        let l = encode_consume_stats_list(
            "127.0.0.1:10911",
            &[
                ("g".into(), vec![]),
                ("h".into(), vec![ConsumeStats::default()]),
            ],
            4,
        );
        assert_eq!(
            std::str::from_utf8(&l).unwrap(),
            r#"{"brokerAddr":"127.0.0.1:10911","consumeStatsList":[{"g":[]},{"h":[{"consumeTps":0.0,"offsetTable":{}}]}],"totalDiff":4}"#
        );
        let back: Vec<(MessageQueueData, TopicOffset)> = read_mq_map(&t, "offsetTable").unwrap();
        assert_eq!((back[0].0.queue_id, back[0].1.max_offset), (0, 5));
        let java = br#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"b}","queueId":1,"topic":"T"}:{"brokerOffset":4,"consumerOffset":3,"lastTimestamp":0},{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":2,"consumerOffset":2,"lastTimestamp":9}}}"#;
        let rows: Vec<(MessageQueueData, OffsetWrapper)> =
            read_mq_map(java, "offsetTable").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0.broker_name, "b}");
        assert_eq!(rows[1].1.last_timestamp, 9);
        let offsets: Vec<(MessageQueueData, i64)> =
            read_mq_map(&encode_reset_offset_body(&[(mq(1), 9)]), "offsetTable").unwrap();
        assert_eq!(offsets[0].1, 9);
        for bad in [
            &b"{}"[..],
            b"{\"offsetTable\":{{\"q\":1",
            b"{\"offsetTable\":[1]}",
        ] {
            assert!(read_mq_map::<i64>(bad, "offsetTable").is_err());
        }
        assert_eq!(
            encode_reset_offset_body(&[(mq(1), 9)]),
            br#"{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"TopicA"}:9}}"#
        );
    }
}

/// `PlainAccessConfig`: one account of the plain ACL file as fastjson writes it (fields in
/// alphabetical order, absent ones left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PlainAccessConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    pub admin: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_group_perm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_topic_perm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_perms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_perms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub white_remote_address: Option<String>,
}

/// `GetBrokerClusterAclConfigResponseBody` (GET_BROKER_CLUSTER_ACL_CONFIG; the client's
/// `AclConfig`): the global white addresses and every account, as the ACL file holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AclConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_white_addrs: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plain_access_configs: Option<Vec<PlainAccessConfig>>,
}
