//! The name server's key-value configuration (Java `KVConfigManager`): namespaces of string
//! pairs that admin tools write with PUT_KV_CONFIG (`mqadmin updateKvConfig`, `updateOrderConf`)
//! and that survive restarts in `kvConfig.json`.
//!
//! The table and its JSON are pure; [`write_file_atomic`] is the only file I/O and the caller
//! runs it off the async threads.

use parking_lot::RwLock;
use rocklet_protocol::body::{decode_json, KvTable};
use rocklet_protocol::ProtocolError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// `NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG`: topic -> `brokerName:queueNums;...`, written by
/// `mqadmin updateOrderConf`, served in routes and in every REGISTER_BROKER answer.
pub const NAMESPACE_ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

type Table = BTreeMap<String, BTreeMap<String, String>>;
/// One namespace as read: it, or any value in it, may be `null`.
type NullableNamespace = Option<BTreeMap<String, Option<String>>>;

/// `kvConfig.json` as fastjson reads it: unknown fields are ignored and a `null` anywhere
/// (table, namespace or value) stands for "nothing there".
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct KvConfigFileIn {
    config_table: Option<BTreeMap<String, NullableNamespace>>,
}

/// `KVConfigSerializeWrapper` as Java writes it: `{"configTable":{"NS":{"key":"value"}}}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KvConfigFileOut<'a> {
    config_table: &'a Table,
}

#[derive(Default)]
pub struct KvConfigManager {
    table: RwLock<Table>,
}

impl KvConfigManager {
    /// Parse the contents of `kvConfig.json`. Empty text (or `null`) is an empty table, as in Java;
    /// anything else that is not the wrapper's JSON is an error (Java fails to start on it too).
    pub fn from_json(text: &[u8]) -> Result<Self, ProtocolError> {
        let mut table = Table::new();
        if !text.iter().all(u8::is_ascii_whitespace) {
            let file: Option<KvConfigFileIn> = decode_json(text)?;
            for (ns, kv) in file.and_then(|f| f.config_table).unwrap_or_default() {
                let kv = kv
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v?)));
                table.insert(ns, kv.collect());
            }
        }
        Ok(KvConfigManager {
            table: RwLock::new(table),
        })
    }

    /// Read `path` (or its `.bak`, see `rocklet_store::config_file::load`); a missing file
    /// is an empty table (first start), a file that does not decode an error.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let m = rocklet_store::config_file::load(path, Self::from_json)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?
            .unwrap_or_default();
        tracing::info!(path = %path.display(), namespaces = m.table.read().len(), "KV config loaded");
        Ok(m)
    }

    /// The file contents: compact JSON, as `KVConfigSerializeWrapper.toJson()` writes.
    pub fn to_json(&self) -> Vec<u8> {
        let t = self.table.read();
        serde_json::to_vec(&KvConfigFileOut { config_table: &t }).unwrap_or_default()
    }

    /// `putKVConfig`. Java stores a missing value as `null`, which reads back as absent and is
    /// left out of the file; removing the key (and keeping the namespace) is the same thing.
    pub fn put(&self, namespace: &str, key: &str, value: Option<&str>) {
        let mut t = self.table.write();
        let kv = t.entry(namespace.to_owned()).or_default();
        match value {
            Some(v) => {
                let prev = kv.insert(key.to_owned(), v.to_owned());
                tracing::info!(
                    namespace,
                    key,
                    value = v,
                    updated = prev.is_some(),
                    "KV config put"
                );
            }
            None => {
                kv.remove(key);
            }
        }
    }

    /// `deleteKVConfig`: the namespace stays even when it becomes empty (as in Java).
    pub fn delete(&self, namespace: &str, key: &str) {
        if let Some(kv) = self.table.write().get_mut(namespace) {
            let old = kv.remove(key);
            tracing::info!(namespace, key, value = ?old, "KV config deleted");
        }
    }

    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        self.table.read().get(namespace)?.get(key).cloned()
    }

    /// `getKVListByNamespace`: the namespace as a `KVTable`, or `None` when it does not exist.
    pub fn list(&self, namespace: &str) -> Option<KvTable> {
        let t = self.table.read();
        Some(KvTable {
            table: t.get(namespace)?.clone(),
        })
    }
}

/// Replace `path` with `bytes` (see `rocklet_store::config_file::write`: unique temp name,
/// `.bak`, fsync of the file and its directory).
pub use rocklet_store::config_file::write as write_file_atomic;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_file_format_round_trip() {
        let java = br#"{"configTable":{"ORDER_TOPIC_CONFIG":{"T1":"broker-a:4"},"N":{"K":"V"}}}"#;
        let m = KvConfigManager::from_json(java).unwrap();
        assert_eq!(m.get("N", "K").as_deref(), Some("V"));
        assert_eq!(
            m.to_json(),
            br#"{"configTable":{"N":{"K":"V"},"ORDER_TOPIC_CONFIG":{"T1":"broker-a:4"}}}"#
        );
    }

    #[test]
    fn tolerant_of_what_fastjson_accepts() {
        for text in [
            &b""[..],
            b"  \n",
            b"null",
            b"{}",
            br#"{"configTable":null}"#,
        ] {
            let m = KvConfigManager::from_json(text).unwrap();
            assert_eq!(m.to_json(), br#"{"configTable":{}}"#);
        }
        let m = KvConfigManager::from_json(
            br#"{"dataVersion":{"counter":1},"configTable":{"A":null,"B":{"x":null,"y":"1"}}}"#,
        )
        .unwrap();
        assert_eq!(m.to_json(), br#"{"configTable":{"A":{},"B":{"y":"1"}}}"#);
        assert!(KvConfigManager::from_json(b"{not json").is_err());
    }

    #[test]
    fn put_without_value_and_delete_keep_the_namespace() {
        let m = KvConfigManager::default();
        m.put("N", "K", Some("V"));
        m.put("N", "K2", Some("V2"));
        m.put("N", "K", None);
        assert_eq!(m.get("N", "K"), None);
        m.delete("N", "K2");
        m.delete("nosuch", "x");
        assert_eq!(m.list("N").unwrap().table.len(), 0);
        assert!(m.list("nosuch").is_none());
        assert_eq!(m.to_json(), br#"{"configTable":{"N":{}}}"#);
    }

    #[test]
    fn atomic_write_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/kvConfig.json");
        write_file_atomic(&path, b"one").unwrap();
        write_file_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let bak = dir.path().join("sub/kvConfig.json.bak");
        assert_eq!(std::fs::read(bak).unwrap(), b"one");
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            2
        );
    }
}
