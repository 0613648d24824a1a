//! An in-process cluster for tests and the quickstart: one name server and N brokers bound to
//! 127.0.0.1 on free ports, storing under a temporary directory that is removed on drop.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let cluster = rocklet::embedded::EmbeddedCluster::start().await?;
//! let addr = cluster.namesrv_addr(); // give this to a producer
//! # let _ = addr;
//! cluster.shutdown().await;
//! # Ok(()) }
//! ```

use rocklet_broker::{Broker, BrokerConfig};
use rocklet_namesrv::{Namesrv, NamesrvConfig};
use rocklet_store::FlushDiskType;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Store directories of the clusters this process started and has not removed. A cluster
/// dropped without [`EmbeddedCluster::shutdown`] (an interrupted command) closes its stores and
/// removes its directory [`DROP_GRACE`] later, from a thread of its own; a process that exits
/// before then leaves it here, and [`remove_leftovers`] sweeps it once the runtime is gone.
static LIVE_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the store directories of clusters that were dropped without a shutdown. Call it
/// after the Tokio runtime is dropped (nothing writes to them any more).
pub fn remove_leftovers() {
    let dirs = std::mem::take(&mut *LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()));
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// How to start an [`EmbeddedCluster`].
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    pub brokers: usize,
    pub flush_disk_type: FlushDiskType,
    /// Commit-log file size; small by default so tests stay light.
    pub mapped_file_size_commit_log: u64,
    pub auto_create_topic_enable: bool,
    pub cluster_name: String,
    /// Extra broker settings by Java property name (e.g. `transactionCheckInterval`).
    pub broker_properties: Vec<(String, String)>,
    /// TLS of the name server and brokers (Java's `tls.*` system properties).
    pub tls: rocklet_remoting::tls::TlsSettings,
    /// The name server's `/metrics` port (0: ephemeral); brokers take `metricsPort` in
    /// `broker_properties`.
    pub namesrv_metrics_port: Option<u16>,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            brokers: 1,
            flush_disk_type: FlushDiskType::AsyncFlush,
            mapped_file_size_commit_log: 64 * 1024 * 1024,
            auto_create_topic_enable: true,
            cluster_name: "DefaultCluster".into(),
            broker_properties: Vec::new(),
            tls: Default::default(),
            namesrv_metrics_port: None,
        }
    }
}

pub struct EmbeddedCluster {
    namesrv: Option<Namesrv>,
    brokers: Vec<Option<Broker>>,
    /// The configuration each broker was started with (port fixed once bound).
    configs: Vec<BrokerConfig>,
    /// Taken by `Drop` when brokers still run (removed later, see there); else removed with
    /// the cluster.
    dir: Option<tempfile::TempDir>,
    /// The directory's path, for `store_dir` after `Drop` took it.
    dir_path: PathBuf,
}

impl EmbeddedCluster {
    /// One name server and one broker with default options.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(EmbeddedOptions::default()).await
    }

    pub async fn start_with(opts: EmbeddedOptions) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("rocklet-embedded-")
            .tempdir()?;
        LIVE_DIRS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(dir.path().to_owned());
        let ns = Namesrv::start(NamesrvConfig {
            listen_port: 0,
            bind_addr: [127, 0, 0, 1].into(),
            kv_config_path: Some(dir.path().join("namesrv").join("kvConfig.json")),
            config_store_path: Some(dir.path().join("namesrv").join("namesrv.properties")),
            tls: opts.tls.clone(),
            metrics_port: opts.namesrv_metrics_port,
            ..Default::default()
        })
        .await?;
        let ns_addr = format!("127.0.0.1:{}", ns.local_addr().port());
        let mut brokers = Vec::new();
        let mut configs = Vec::new();
        for i in 0..opts.brokers.max(1) {
            let name = format!("broker-{}", (b'a' + (i % 26) as u8) as char);
            let mut cfg = broker_config(&opts, &name, &ns_addr, &dir.path().join(&name));
            let props: std::collections::HashMap<_, _> =
                opts.broker_properties.iter().cloned().collect();
            cfg.apply(&props)?;
            let b = Broker::start(cfg).await?;
            b.register_now().await;
            configs.push(b.config().clone());
            brokers.push(Some(b));
        }
        Ok(EmbeddedCluster {
            namesrv: Some(ns),
            brokers,
            configs,
            dir_path: dir.path().to_owned(),
            dir: Some(dir),
        })
    }

    /// `127.0.0.1:port` of the name server.
    pub fn namesrv_addr(&self) -> String {
        self.namesrv
            .as_ref()
            .map(|n| format!("127.0.0.1:{}", n.local_addr().port()))
            .unwrap_or_default()
    }

    /// Addresses of the running brokers.
    pub fn broker_addrs(&self) -> Vec<String> {
        self.brokers
            .iter()
            .flatten()
            .map(|b| b.advertised_addr().to_owned())
            .collect()
    }

    pub fn namesrv(&self) -> Option<&Namesrv> {
        self.namesrv.as_ref()
    }

    pub fn broker(&self, i: usize) -> Option<&Broker> {
        self.brokers.get(i).and_then(Option::as_ref)
    }

    pub fn store_dir(&self) -> &Path {
        &self.dir_path
    }

    /// Stop broker `i` (unregisters it from the name server).
    pub async fn stop_broker(&mut self, i: usize) {
        if let Some(b) = self.brokers.get_mut(i).and_then(Option::take) {
            b.shutdown().await;
        }
    }

    /// Stop broker `i` without unregistering, as if the process died: the name server keeps
    /// its route until the broker's connection drops.
    pub async fn kill_broker(&mut self, i: usize) {
        if let Some(b) = self.brokers.get_mut(i).and_then(Option::take) {
            drop(b);
        }
    }

    /// Start broker `i` again on its store and port (stopping it cleanly first if it runs).
    pub async fn restart_broker(&mut self, i: usize) -> anyhow::Result<()> {
        self.stop_broker(i).await;
        let cfg = self
            .configs
            .get(i)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no broker {i}"))?;
        let b = Broker::start(cfg).await?;
        b.register_now().await;
        self.brokers[i] = Some(b);
        Ok(())
    }

    /// Stop everything and remove the store.
    pub async fn shutdown(mut self) {
        for b in self.brokers.iter_mut().filter_map(Option::take) {
            b.shutdown().await;
        }
        if let Some(ns) = self.namesrv.take() {
            ns.shutdown().await;
        }
        LIVE_DIRS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|d| *d != self.dir_path);
    }
}

/// How long a cluster dropped while its brokers run keeps its directory: their tasks have
/// seen the shutdown and written their last small files (offsets, config) by then.
const DROP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl Drop for EmbeddedCluster {
    /// Dropped without [`EmbeddedCluster::shutdown`] (a test that ends early, an interrupted
    /// command): the running brokers' stores are closed now (no more commit-log writes,
    /// flushed, no abort file), and the directory is removed `DROP_GRACE` (2 s) later from a
    /// thread of its own. It used to be removed at once, and the brokers, still running until
    /// their tasks saw the shutdown, wrote into the re-created path (a new commit-log file
    /// each: 466 MB left under /tmp by two tests of one CI run).
    fn drop(&mut self) {
        let running: Vec<Broker> = self.brokers.iter_mut().filter_map(Option::take).collect();
        if running.is_empty() {
            return;
        }
        for b in &running {
            b.store().shutdown();
        }
        // Dropping a broker sends its tasks the shutdown.
        drop(running);
        let Some(dir) = self.dir.take() else { return };
        let path = self.dir_path.clone();
        let later = move || {
            std::thread::sleep(DROP_GRACE);
            drop(dir);
            LIVE_DIRS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|d| *d != path);
        };
        // If no thread can be started, the closure is dropped here: the directory goes now.
        let _ = std::thread::Builder::new()
            .name("rocklet-embedded-drop".into())
            .spawn(later);
    }
}

fn broker_config(opts: &EmbeddedOptions, name: &str, ns: &str, store: &Path) -> BrokerConfig {
    BrokerConfig {
        broker_cluster_name: opts.cluster_name.clone(),
        broker_name: name.into(),
        namesrv_addr: Some(ns.into()),
        listen_port: 0,
        bind_addr: [127, 0, 0, 1].into(),
        broker_ip1: [127, 0, 0, 1].into(),
        store_path_root_dir: store.into(),
        flush_disk_type: opts.flush_disk_type,
        auto_create_topic_enable: opts.auto_create_topic_enable,
        mapped_file_size_commit_log: opts.mapped_file_size_commit_log,
        mapped_file_size_consume_queue: 30_000 * 20,
        tls: opts.tls.clone(),
        ..Default::default()
    }
}
