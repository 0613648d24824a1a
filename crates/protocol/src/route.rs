//! Route data the name server serves (`TopicRouteData`, `QueueData`, `BrokerData`, `ClusterInfo`).
//!
//! Field order is alphabetical, as fastjson writes it. `brokerAddrs` is a `HashMap<Long, String>`
//! in Java and fastjson writes its keys unquoted; [`TopicRouteData::to_fastjson`] does the same and
//! [`TopicRouteData::from_json`] reads either form.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::ProtocolError;
use crate::json::from_fastjson;

/// Permission bits (`PermName`).
pub mod perm {
    pub const PRIORITY: i32 = 0x1 << 3;
    pub const READ: i32 = 0x1 << 2;
    pub const WRITE: i32 = 0x1 << 1;
    pub const INHERIT: i32 = 0x1;
    pub fn is_readable(p: i32) -> bool {
        p & READ != 0
    }
    pub fn is_writeable(p: i32) -> bool {
        p & WRITE != 0
    }
}

/// The master's broker id.
pub const MASTER_ID: i64 = 0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueueData {
    pub broker_name: String,
    pub perm: i32,
    pub read_queue_nums: i32,
    /// The real 4.9.3 name server writes `topicSysFlag` (fastjson names it after the getter
    /// `getTopicSysFlag`, although the field is spelled `topicSynFlag`); both are read.
    #[serde(default, rename = "topicSysFlag", alias = "topicSynFlag")]
    pub topic_syn_flag: i32,
    pub write_queue_nums: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BrokerData {
    /// broker id -> address; id 0 is the master.
    #[serde(default)]
    pub broker_addrs: BTreeMap<i64, String>,
    pub broker_name: String,
    #[serde(default)]
    pub cluster: String,
}

impl BrokerData {
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }
    /// The master, or else any broker (Java `selectBrokerAddr`).
    pub fn select_addr(&self) -> Option<&str> {
        self.master_addr()
            .or_else(|| self.broker_addrs.values().next().map(String::as_str))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TopicRouteData {
    #[serde(default)]
    pub broker_datas: Vec<BrokerData>,
    #[serde(default)]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    #[serde(default)]
    pub queue_datas: Vec<QueueData>,
}

impl TopicRouteData {
    pub fn from_json(body: &[u8]) -> Result<Self, ProtocolError> {
        from_fastjson(body)
    }
    /// Java's exact JSON: unquoted integer keys in `brokerAddrs`.
    pub fn to_fastjson(&self) -> Vec<u8> {
        unquote_broker_addrs(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// `ClusterInfo` (GET_BROKER_CLUSTER_INFO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    #[serde(default)]
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    #[serde(default)]
    pub cluster_addr_table: BTreeMap<String, Vec<String>>,
}

impl ClusterInfo {
    pub fn from_json(body: &[u8]) -> Result<Self, ProtocolError> {
        from_fastjson(body)
    }
    pub fn to_fastjson(&self) -> Vec<u8> {
        unquote_broker_addrs(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// Remove the quotes serde_json puts around the integer keys of every `"brokerAddrs"` object.
fn unquote_broker_addrs(json: Vec<u8>) -> Vec<u8> {
    const MARK: &[u8] = b"\"brokerAddrs\":{";
    let mut out = Vec::with_capacity(json.len());
    let mut i = 0;
    while i < json.len() {
        if json[i..].starts_with(MARK) {
            out.extend_from_slice(MARK);
            i += MARK.len();
            // Inside the object: keys are "digits", values are plain address strings.
            while i < json.len() && json[i] != b'}' {
                if json[i] == b'"' && (out.last() == Some(&b'{') || out.last() == Some(&b',')) {
                    let end = json[i + 1..]
                        .iter()
                        .position(|&c| c == b'"')
                        .map(|p| i + 1 + p);
                    if let Some(end) = end {
                        let key = &json[i + 1..end];
                        if !key.is_empty()
                            && key.iter().all(|c| c.is_ascii_digit() || *c == b'-')
                            && json.get(end + 1) == Some(&b':')
                        {
                            out.extend_from_slice(key);
                            i = end + 1;
                            continue;
                        }
                        // A string value: copy it whole (addresses contain no escapes).
                        out.extend_from_slice(&json[i..=end]);
                        i = end + 1;
                        continue;
                    }
                }
                out.push(json[i]);
                i += 1;
            }
        } else {
            out.push(json[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_route_json_roundtrip() {
        let java = br#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
        let r = TopicRouteData::from_json(java).unwrap();
        assert_eq!(r.broker_datas[0].master_addr(), Some("127.0.0.1:10911"));
        assert_eq!(r.queue_datas[0].write_queue_nums, 4);
        assert_eq!(
            std::str::from_utf8(&r.to_fastjson()).unwrap(),
            std::str::from_utf8(java).unwrap()
        );
    }

    #[test]
    fn cluster_info_unquotes_only_broker_ids() {
        let mut c = ClusterInfo::default();
        c.broker_addr_table.insert(
            "123".into(),
            BrokerData {
                broker_addrs: [(0, "127.0.0.1:1".to_string())].into(),
                broker_name: "123".into(),
                cluster: "C".into(),
            },
        );
        c.cluster_addr_table.insert("C".into(), vec!["123".into()]);
        let s = String::from_utf8(c.to_fastjson()).unwrap();
        assert_eq!(
            s,
            r#"{"brokerAddrTable":{"123":{"brokerAddrs":{0:"127.0.0.1:1"},"brokerName":"123","cluster":"C"}},"clusterAddrTable":{"C":["123"]}}"#
        );
        assert_eq!(ClusterInfo::from_json(s.as_bytes()).unwrap(), c);
    }
}
