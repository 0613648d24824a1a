#![allow(dead_code)]
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use rocklet_store::{record, FlushDiskType, MessageStore, PutMessage, StoreConfig};

pub fn cfg(dir: &Path, flush: FlushDiskType) -> StoreConfig {
    StoreConfig {
        root_dir: dir.to_path_buf(),
        mapped_file_size_commit_log: 64 * 1024,
        mapped_file_size_consume_queue: 100 * 20,
        flush_disk_type: flush,
        flush_interval_commit_log_ms: 20,
        flush_interval_consume_queue_ms: 50,
        max_hash_slot_num: 1024,
        max_index_num: 4096,
        ..StoreConfig::default()
    }
}

pub fn open(dir: &Path, flush: FlushDiskType) -> Arc<MessageStore> {
    MessageStore::open(cfg(dir, flush)).expect("open store")
}

pub fn props(tags: Option<&str>, keys: Option<&str>, uniq: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(t) = tags {
        s.push_str(&format!("TAGS\u{1}{t}\u{2}"));
    }
    if let Some(k) = keys {
        s.push_str(&format!("KEYS\u{1}{k}\u{2}"));
    }
    if let Some(u) = uniq {
        s.push_str(&format!("UNIQ_KEY\u{1}{u}\u{2}"));
    }
    s
}

pub fn msg(topic: &str, queue_id: i32, body: impl Into<Bytes>, properties: String) -> PutMessage {
    PutMessage {
        topic: topic.to_string(),
        queue_id,
        flag: 0,
        body: body.into(),
        properties,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "10.1.2.3:40000".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

pub fn body_of(raw: &[u8]) -> Vec<u8> {
    record::decode(raw).expect("valid record").body.to_vec()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits (bounded) for the background indexing of the files recovery did not dispatch.
pub fn wait_key_index(s: &MessageStore) {
    let t0 = std::time::Instant::now();
    while !s.key_index_ready() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(10),
            "key index not built in 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}
