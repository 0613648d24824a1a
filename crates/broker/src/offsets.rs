//! Consumer offsets (`ConsumerOffsetManager`), persisted to `config/consumerOffset.json`.

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use rocklet_store::config_file::{self, ConfigFileError, ConfigWriter};

#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[doc(hidden)] // pub only for the fuzz targets (fuzz/)
pub struct OffsetFile {
    /// `topic@group` -> queueId -> offset, as Java's file.
    offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

pub struct ConsumerOffsetManager {
    table: RwLock<HashMap<String, BTreeMap<i32, i64>>>,
    writer: ConfigWriter,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

/// A topic, a group and the group's committed offsets by queue id.
pub type GroupOffsets = (String, String, Vec<(i32, i64)>);

impl ConsumerOffsetManager {
    /// Loads `config/consumerOffset.json` (or its `.bak`); an error when neither decodes, so
    /// that every group's offsets are not reset without a word.
    pub fn load(root: &std::path::Path) -> Result<Self, ConfigFileError> {
        let path = root.join("config").join("consumerOffset.json");
        let file: OffsetFile =
            config_file::load(&path, rocklet_protocol::body::decode_json)?.unwrap_or_default();
        Ok(ConsumerOffsetManager {
            table: RwLock::new(file.offset_table.into_iter().collect()),
            writer: ConfigWriter::new(path),
        })
    }

    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.table
            .write()
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
    }

    /// -1 when the group never committed for this queue.
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        self.table
            .read()
            .get(&key(topic, group))
            .and_then(|m| m.get(&queue_id).copied())
            .unwrap_or(-1)
    }

    /// Every `(topic, group)` with its committed offsets by queue, sorted (for `/metrics`).
    pub fn snapshot(&self) -> Vec<GroupOffsets> {
        let mut v: Vec<_> = self
            .table
            .read()
            .iter()
            .filter_map(|(k, m)| {
                let (t, g) = k.rsplit_once('@')?;
                let q: Vec<(i32, i64)> = m.iter().map(|(q, o)| (*q, *o)).collect();
                Some((t.to_owned(), g.to_owned(), q))
            })
            .collect();
        v.sort();
        v
    }

    /// Topics `group` committed offsets for (`whichTopicByConsumer`).
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.table
            .read()
            .keys()
            .filter_map(|k| k.rsplit_once('@'))
            .filter(|(_, g)| *g == group)
            .map(|(t, _)| t.to_owned())
            .collect()
    }

    /// Groups that committed offsets for `topic` (`whichGroupByTopic`).
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        self.table
            .read()
            .keys()
            .filter_map(|k| k.split_once('@'))
            .filter(|(t, _)| *t == topic)
            .map(|(_, g)| g.to_owned())
            .collect()
    }

    /// Copy `topic@src`'s offsets to `topic@dest`, replacing them (CLONE_GROUP_OFFSET).
    pub fn clone_offsets(&self, src: &str, dest: &str, topic: &str) {
        let mut t = self.table.write();
        if let Some(m) = t.get(&key(topic, src)).cloned() {
            t.insert(key(topic, dest), m);
        }
    }

    /// The table as Java's `ConsumerOffsetManager.encode()` writes it (queue ids unquoted, as
    /// fastjson writes integer keys): GET_ALL_CONSUMER_OFFSET.
    pub fn encode_fastjson(&self) -> Vec<u8> {
        let t = self.table.read();
        let mut out = b"{\"offsetTable\":{".to_vec();
        for (i, (k, m)) in t.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            rocklet_protocol::json::write_str(&mut out, k);
            out.extend_from_slice(b":{");
            for (j, (q, o)) in m.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(format!("{q}:{o}").as_bytes());
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"}}");
        out
    }

    /// Forget every offset of `group` (`removeOffset` of DELETE_SUBSCRIPTIONGROUP).
    pub fn remove_group(&self, group: &str) {
        let suffix = format!("@{group}");
        self.table.write().retain(|k, _| !k.ends_with(&suffix));
    }

    pub fn persist(&self) {
        let file = OffsetFile {
            offset_table: self
                .table
                .read()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&file).unwrap_or_default();
        self.writer.submit(json);
    }

    /// Waits until every persist so far is on disk.
    pub fn flush(&self) {
        self.writer.flush();
    }
}
