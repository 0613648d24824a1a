//! Consumer offset stores: `RemoteBrokerOffsetStore` (CLUSTERING: the broker keeps the group's
//! offsets) and `LocalFileOffsetStore` (BROADCASTING: each client keeps its own, in
//! `<dir>/<clientId>/<group>/offsets.json` as Java writes it).

use parking_lot::Mutex;
use rocklet_protocol::body::MessageQueueData;
use rocklet_protocol::body::{read_mq_map, write_mq_map};
use rocklet_protocol::header::{
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ClientError;
use crate::instance::ClientInstance;
use crate::message::MessageQueue;

/// `ReadOffsetType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ReadOffsetType {
    /// The offset in memory, -1 when none.
    READ_FROM_MEMORY,
    /// The offset kept by the store (broker or file), -1 when none, -2 when it could not be
    /// read.
    READ_FROM_STORE,
    /// Memory, else the store.
    MEMORY_FIRST_THEN_STORE,
}

enum Kind {
    Remote,
    Local(PathBuf),
}

/// An offset store of one consumer group.
pub struct OffsetStore {
    inst: Arc<ClientInstance>,
    group: String,
    kind: Kind,
    table: Mutex<BTreeMap<MessageQueue, i64>>,
}

pub(crate) fn mq_data(mq: &MessageQueue) -> MessageQueueData {
    MessageQueueData {
        broker_name: mq.broker_name.clone(),
        queue_id: mq.queue_id,
        topic: mq.topic.clone(),
    }
}

pub(crate) fn mq_of(d: MessageQueueData) -> MessageQueue {
    MessageQueue::new(d.topic, d.broker_name, d.queue_id)
}

/// `LocalFileOffsetStore.LOCAL_OFFSET_STORE_DIR`: `$HOME/.rocketmq_offsets` (Java's
/// `rocketmq.client.localOffsetStoreDir` property; here the `ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR`
/// environment variable, or [`crate::PushConsumerConfig::local_offset_store_dir`]).
pub fn default_local_offset_store_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".rocketmq_offsets")
}

impl OffsetStore {
    /// The broker-kept offsets of `group`.
    pub(crate) fn remote(inst: Arc<ClientInstance>, group: &str) -> Self {
        OffsetStore {
            inst,
            group: group.to_owned(),
            kind: Kind::Remote,
            table: Mutex::new(BTreeMap::new()),
        }
    }

    /// The file-kept offsets of `group` under `dir` (`dir/<clientId>/<group>/offsets.json`).
    pub(crate) fn local(inst: Arc<ClientInstance>, group: &str, dir: &Path) -> Self {
        let path = dir.join(inst.client_id()).join(group).join("offsets.json");
        OffsetStore {
            inst,
            group: group.to_owned(),
            kind: Kind::Local(path),
            table: Mutex::new(BTreeMap::new()),
        }
    }

    /// The file of a local store.
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Local(p) => Some(p),
            Kind::Remote => None,
        }
    }

    /// `load`: a local store reads its file (or the `.bak` copy Java keeps); a file that cannot
    /// be read is an error, as Java's.
    pub(crate) fn load(&self) -> Result<(), ClientError> {
        let Kind::Local(path) = &self.kind else {
            return Ok(());
        };
        if let Some(t) = read_offset_file(path)? {
            self.table.lock().extend(t);
        }
        Ok(())
    }

    /// `updateOffset`: remember `offset` for `mq` (only a larger one when `increase_only`).
    pub(crate) fn update_offset(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let mut t = self.table.lock();
        match t.get_mut(mq) {
            Some(e) => {
                if !increase_only || offset > *e {
                    *e = offset;
                }
            }
            // The queue's first commit: the only time its key is cloned.
            None => {
                t.insert(mq.clone(), offset);
            }
        }
    }

    /// `removeOffset`.
    pub(crate) fn remove_offset(&self, mq: &MessageQueue) {
        self.table.lock().remove(mq);
    }

    /// A copy of the offsets in memory (`cloneOffsetTable`).
    pub fn offsets(&self) -> BTreeMap<MessageQueue, i64> {
        self.table.lock().clone()
    }

    /// `readOffset`.
    pub(crate) async fn read_offset(&self, mq: &MessageQueue, ty: ReadOffsetType) -> i64 {
        if ty != ReadOffsetType::READ_FROM_STORE {
            if let Some(o) = self.table.lock().get(mq) {
                return *o;
            }
            if ty == ReadOffsetType::READ_FROM_MEMORY {
                return -1;
            }
        }
        match &self.kind {
            Kind::Local(path) => match read_offset_file(path) {
                Ok(Some(t)) => match t.get(mq) {
                    Some(&o) => {
                        self.update_offset(mq, o, false);
                        o
                    }
                    None => -1,
                },
                Ok(None) => -1,
                Err(e) => {
                    tracing::warn!(error = %e, "read local offset file failed");
                    -1
                }
            },
            Kind::Remote => match self.fetch_from_broker(mq).await {
                Ok(Some(o)) => {
                    self.update_offset(mq, o, false);
                    o
                }
                Ok(None) => -1,
                Err(e) => {
                    tracing::warn!(mq = %mq, error = %e, "fetchConsumeOffsetFromBroker exception");
                    -2
                }
            },
        }
    }

    /// QUERY_CONSUMER_OFFSET: `None` when the broker has no offset (QUERY_NOT_FOUND).
    async fn fetch_from_broker(&self, mq: &MessageQueue) -> Result<Option<i64>, ClientError> {
        let addr = self.inst.broker_addr_for(mq).await?;
        let cmd = RemotingCommand::request(
            RequestCode::QUERY_CONSUMER_OFFSET,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: self.group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
            },
        );
        let r = self
            .inst
            .remoting
            .invoke(&addr, cmd, self.inst.config().mq_client_api_timeout)
            .await?;
        match ResponseCode::from_i32(r.code) {
            ResponseCode::SUCCESS => Ok(Some(r.header::<OffsetResponseHeader>()?.offset)),
            ResponseCode::QUERY_NOT_FOUND => Ok(None),
            code => Err(ClientError::Broker {
                code,
                remark: r.remark.unwrap_or_default(),
                addr,
            }),
        }
    }

    /// UPDATE_CONSUMER_OFFSET of one queue (oneway unless `wait`).
    async fn update_on_broker(
        &self,
        mq: &MessageQueue,
        offset: i64,
        wait: bool,
    ) -> Result<(), ClientError> {
        let addr = self.inst.broker_addr_for(mq).await?;
        let cmd = RemotingCommand::request(
            RequestCode::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: self.group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                commit_offset: offset,
            },
        );
        let timeout = self.inst.config().mq_client_api_timeout;
        if !wait {
            self.inst
                .remoting
                .invoke_oneway(&addr, cmd, timeout)
                .await?;
            return Ok(());
        }
        let r = self.inst.remoting.invoke(&addr, cmd, timeout).await?;
        if r.code != 0 {
            return Err(ClientError::Broker {
                code: ResponseCode::from_i32(r.code),
                remark: r.remark.unwrap_or_default(),
                addr,
            });
        }
        Ok(())
    }

    /// `persistAll(mqs)`: store the offsets of the queues in `mqs` (a remote store forgets the
    /// others, as Java's). `wait`: wait for the brokers' answers (shutdown), else oneway.
    pub(crate) async fn persist_all(&self, mqs: &BTreeSet<MessageQueue>, wait: bool) {
        let entries: Vec<(MessageQueue, i64)> = {
            let mut t = self.table.lock();
            if matches!(self.kind, Kind::Remote) {
                t.retain(|mq, _| mqs.contains(mq));
            }
            t.iter()
                .filter(|(mq, _)| mqs.contains(*mq))
                .map(|(m, o)| (m.clone(), *o))
                .collect()
        };
        match &self.kind {
            Kind::Remote => {
                for (mq, off) in entries {
                    if let Err(e) = self.update_on_broker(&mq, off, wait).await {
                        tracing::warn!(mq = %mq, error = %e, "updateConsumeOffsetToBroker exception");
                    }
                }
            }
            Kind::Local(path) => {
                if entries.is_empty() {
                    return;
                }
                // Keep what the file has for queues not assigned now (Java writes only the
                // table, which holds every queue this process ever read).
                let all: Vec<(MessageQueue, i64)> = self
                    .table
                    .lock()
                    .iter()
                    .map(|(m, o)| (m.clone(), *o))
                    .collect();
                let path = path.clone();
                let r = tokio::task::spawn_blocking(move || write_offset_file(&path, &all)).await;
                if let Ok(Err(e)) | Err(e) = r.map_err(std::io::Error::other) {
                    tracing::warn!(error = %e, "persistAll consumer offset exception");
                }
            }
        }
    }

    /// `persist(mq)`: store one queue's offset (a remote store waits for the broker, so a
    /// removed queue's last offset is on the broker before another member reads it).
    pub(crate) async fn persist(&self, mq: &MessageQueue) {
        let Some(off) = self.table.lock().get(mq).copied() else {
            return;
        };
        match &self.kind {
            Kind::Remote => {
                if let Err(e) = self.update_on_broker(mq, off, true).await {
                    tracing::warn!(mq = %mq, error = %e, "updateConsumeOffsetToBroker exception");
                }
            }
            Kind::Local(_) => {
                let set: BTreeSet<MessageQueue> = [mq.clone()].into();
                self.persist_all(&set, true).await;
            }
        }
    }
}

/// Read an `OffsetSerializeWrapper` file (`{"offsetTable":{<mq>:offset,...}}`, fastjson's map
/// with object keys); falls back to `<file>.bak`, as `readLocalOffsetBak`. `None`: no file.
fn read_offset_file(path: &Path) -> Result<Option<BTreeMap<MessageQueue, i64>>, ClientError> {
    let parse = |p: &Path| -> Result<Option<BTreeMap<MessageQueue, i64>>, String> {
        match std::fs::read(p) {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(None),
            Ok(b) => read_mq_map::<i64>(&b, "offsetTable")
                .map(|v| Some(v.into_iter().map(|(q, o)| (mq_of(q), o)).collect()))
                .map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    };
    match parse(path) {
        Ok(Some(t)) => Ok(Some(t)),
        first => {
            let bak = path.with_extension("json.bak");
            match parse(&bak) {
                Ok(Some(t)) => Ok(Some(t)),
                _ => first.map_err(|e| {
                    ClientError::client(
                        -1,
                        format!("Failed to read local offset file {}: {e}", path.display()),
                    )
                }),
            }
        }
    }
}

/// `MixAll.string2File`: write `<file>.tmp`, keep the old file as `<file>.bak`, rename.
fn write_offset_file(path: &Path, entries: &[(MessageQueue, i64)]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let data: Vec<(MessageQueueData, i64)> =
        entries.iter().map(|(q, o)| (mq_data(q), *o)).collect();
    let mut out = b"{\"offsetTable\":".to_vec();
    write_mq_map(&mut out, data.iter().map(|(q, o)| (q, o)));
    out.extend_from_slice(b"}");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, &out)?;
    if path.exists() {
        let _ = std::fs::copy(path, path.with_extension("json.bak"));
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_file_java_writes() {
        // fastjson's pretty form of OffsetSerializeWrapper, as 4.9.3's LocalFileOffsetStore
        // writes it.
        let java = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"T\"\n\t\t}:42,{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":0,\n\t\t\t\"topic\":\"T\"\n\t\t}:7\n\t}\n}";
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("offsets.json");
        std::fs::write(&p, java).unwrap();
        let t = read_offset_file(&p).unwrap().unwrap();
        assert_eq!(t[&MessageQueue::new("T", "broker-a", 1)], 42);
        assert_eq!(t[&MessageQueue::new("T", "broker-a", 0)], 7);
        // Written back and read again; the old one kept as .bak.
        let v: Vec<(MessageQueue, i64)> = t.into_iter().collect();
        write_offset_file(&p, &v).unwrap();
        assert!(p.with_extension("json.bak").exists());
        let t2 = read_offset_file(&p).unwrap().unwrap();
        assert_eq!(t2.len(), 2);
        // A damaged file falls back to the .bak copy.
        std::fs::write(&p, "{\"offsetTable\":{{\"brok").unwrap();
        assert_eq!(read_offset_file(&p).unwrap().unwrap().len(), 2);
        assert!(read_offset_file(&d.path().join("none.json"))
            .unwrap()
            .is_none());
    }
}
