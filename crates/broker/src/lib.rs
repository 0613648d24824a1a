//! Rocklet's broker: request processors over the store, registration with name servers
//! (Java `BrokerController`, `SendMessageProcessor`, `PullMessageProcessor`, `AdminBrokerProcessor`,
//! `ClientManageProcessor`, `ConsumerManageProcessor`, `QueryMessageProcessor`).
#![forbid(unsafe_code)]

pub mod acl;
pub mod clients;
pub mod config;
pub mod filter;
mod group_commit;
mod hold;
pub mod locks;
mod metrics;
pub mod offsets;
mod processor;
mod queue_cursor;
mod register;
pub mod schedule;
pub mod settings;
pub mod stats;
pub mod subscription;
pub mod topic;
pub mod transaction;

pub use config::{BrokerConfig, ConfigError};
pub use hold::HoldStats;
pub use processor::handled_codes;

use rocklet_remoting::client::ClientOptions;
use rocklet_remoting::{bind_listener, serve, RemotingClient, ServerConfig, ServerStats};
use rocklet_store::MessageStore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("cannot listen on port {port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("store: {0}")]
    Store(#[from] rocklet_store::StoreError),
    #[error("start-up failed: {0}")]
    Startup(String),
    #[error("config file: {0}")]
    ConfigFile(#[from] rocklet_store::config_file::ConfigFileError),
}

/// State shared by every processor and background task.
pub(crate) struct BrokerInner {
    pub cfg: BrokerConfig,
    /// `brokerIP1:listenPort`, what name servers and clients see.
    pub addr: String,
    /// `CLUSTER\u1<brokerClusterName>`, appended to every stored message's properties
    /// (built once, not per message).
    pub cluster_prop: String,
    pub store_host: SocketAddr,
    pub store: Arc<MessageStore>,
    pub topics: topic::TopicConfigManager,
    pub offsets: offsets::ConsumerOffsetManager,
    pub subscriptions: subscription::SubscriptionGroupManager,
    pub filters: filter::ConsumerFilterManager,
    pub stats: stats::BrokerStats,
    pub settings: settings::BrokerSettings,
    pub clients: clients::ClientManager,
    pub namesrv: RemotingClient,
    /// Wakes the registration loop (a topic was created).
    pub register_now: Notify,
    pub started: Instant,
    /// Wall-clock start (ms since the epoch), fixed once: the `boottime` label of `/metrics`.
    pub boot_ms: i64,
    pub transactions: transaction::Transactions,
    /// Delivery progress of each delay level.
    pub delay_offsets: schedule::DelayOffsets,
    /// Orderly consumers' queue locks.
    pub locks: locks::RebalanceLocks,
    /// Suspended (long-polling) pulls, per queue.
    pub hold: Arc<hold::PullHold>,
    /// Plain ACL (`aclEnable`); `None` when off.
    pub acl: Option<acl::AclManager>,
}

/// A running broker.
pub struct Broker {
    inner: Arc<BrokerInner>,
    server_stats: Arc<ServerStats>,
    local: SocketAddr,
    fast_local: Option<SocketAddr>,
    metrics_local: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Broker {
    /// Open the store (recovering it), bind, register with the name servers and serve.
    pub async fn start(mut cfg: BrokerConfig) -> Result<Broker, BrokerError> {
        cfg.validate()?;
        let t0 = Instant::now();
        let server_tls = cfg
            .tls
            .server_tls()
            .map_err(|e| BrokerError::Startup(format!("TLS: {e}")))?;
        let listener = bind_listener((cfg.bind_addr, cfg.listen_port).into()).map_err(|e| {
            BrokerError::Bind {
                port: cfg.listen_port,
                source: e,
            }
        })?;
        // Java's fast (VIP) channel on listenPort - 2, where 4.9.3 clients and tools with
        // `vipChannelEnabled` connect. With an ephemeral main port the fast one is ephemeral too.
        let fast_port = if cfg.listen_port == 0 {
            0
        } else {
            cfg.listen_port.saturating_sub(2)
        };
        let fast_listener = match bind_listener((cfg.bind_addr, fast_port).into()) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(port = fast_port, error = %e, "fast (VIP) port not bound; clients with vipChannelEnabled will fail to connect");
                None
            }
        };
        // `metricsPort`: bound now, so a port in use stops the start before the store opens.
        let metrics_listener = match cfg.metrics_port {
            Some(port) => Some(
                rocklet_metrics::bind_listener((cfg.bind_addr, port).into())
                    .map_err(|e| BrokerError::Bind { port, source: e })?,
            ),
            None => None,
        };
        let local = listener.local_addr().map_err(|e| BrokerError::Bind {
            port: cfg.listen_port,
            source: e,
        })?;
        cfg.listen_port = local.port();
        let store_host = SocketAddr::new(cfg.broker_ip1, local.port());
        // Opening the store (recovery) and reading the config files block: off the runtime.
        let (store, topics, offsets, subscriptions, delay_offsets, filters) = {
            let cfg = cfg.clone();
            tokio::task::spawn_blocking(move || -> Result<_, BrokerError> {
                let root = &cfg.store_path_root_dir;
                Ok((
                    MessageStore::open(cfg.store_config(store_host))?,
                    topic::TopicConfigManager::load(&cfg)?,
                    offsets::ConsumerOffsetManager::load(root)?,
                    subscription::SubscriptionGroupManager::load(
                        root,
                        cfg.auto_create_subscription_group,
                    )?,
                    schedule::DelayOffsets::load(root)?,
                    filter::ConsumerFilterManager::load(root)?,
                ))
            })
            .await
            .map_err(|e| BrokerError::Startup(e.to_string()))??
        };
        let acl = if cfg.acl_enable {
            let path = cfg.acl_file();
            let dir = cfg.acl_dir();
            let m = acl::AclManager::load_all(path.clone(), Some(dir.clone()))
                .map_err(|e| BrokerError::Startup(format!("ACL file {e}")))?;
            tracing::info!(file = %path.display(), dir = %dir.display(), "ACL enabled");
            Some(m)
        } else {
            None
        };
        let mut inner = BrokerInner {
            acl,
            addr: store_host.to_string(),
            cluster_prop: format!(
                "{}\u{1}{}",
                rocklet_protocol::message::property::CLUSTER,
                cfg.broker_cluster_name
            ),
            store_host,
            topics,
            offsets,
            subscriptions,
            filters,
            clients: clients::ClientManager::default(),
            // `tls.enable`: the broker's calls to name servers use TLS (Java's BrokerOuterAPI).
            namesrv: RemotingClient::new(ClientOptions {
                connect_timeout: Duration::from_secs(3),
                tls: cfg
                    .tls
                    .enable
                    .then(|| rocklet_remoting::tls::ClientTls::from_settings(&cfg.tls)),
                ..Default::default()
            }),
            register_now: Notify::new(),
            started: Instant::now(),
            boot_ms: processor::now_ms(),
            transactions: Default::default(),
            delay_offsets,
            locks: locks::RebalanceLocks::new(Duration::from_millis(
                cfg.rebalance_lock_max_live_time,
            )),
            stats: stats::BrokerStats::new(&cfg.broker_cluster_name),
            hold: Arc::new(hold::PullHold::new(
                cfg.max_held_pulls_per_connection,
                cfg.max_held_pulls,
            )),
            settings: settings::BrokerSettings::new(&cfg),
            store,
            cfg,
        };
        inner.transactions = transaction::Transactions::load(&inner);
        let inner = Arc::new(inner);
        {
            let hold = inner.hold.clone();
            inner
                .store
                .set_arrival_listener(Arc::new(move |topic: &str, q: i32, max: i64| {
                    hold.arrived(topic, q, max)
                }));
        }
        let (tx, rx) = watch::channel(false);
        let server_cfg = ServerConfig {
            write_buffer_high_water_mark: inner.cfg.write_buffer_high_water_mark,
            write_buffer_low_water_mark: inner.cfg.write_buffer_low_water_mark,
            channel_max_idle: Duration::from_millis(inner.cfg.server_channel_max_idle_millis),
            tls: Some(server_tls),
            ..ServerConfig::default()
        };
        let server_stats = server_cfg.stats.clone();
        let fast_stats = Arc::new(ServerStats::default());
        let processor = Arc::new(processor::BrokerProcessor::new(inner.clone(), false));
        let mut tasks = vec![tokio::spawn(serve(
            listener,
            processor,
            server_cfg.clone(),
            rx.clone(),
        ))];
        let fast_local = fast_listener.as_ref().and_then(|l| l.local_addr().ok());
        if let Some(l) = fast_listener {
            let fast = Arc::new(processor::BrokerProcessor::new(inner.clone(), true));
            tasks.push(tokio::spawn(serve(
                l,
                fast,
                ServerConfig {
                    stats: fast_stats.clone(),
                    ..server_cfg.clone()
                },
                rx.clone(),
            )));
        }
        tasks.push(tokio::spawn(register::registration_loop(
            inner.clone(),
            rx.clone(),
        )));
        tasks.push(tokio::spawn(transaction::check_loop(
            inner.clone(),
            rx.clone(),
        )));
        tasks.push(tokio::spawn(schedule::deliver_loop(
            inner.clone(),
            rx.clone(),
        )));
        tasks.push(tokio::spawn(stats::sample_loop(inner.clone(), rx.clone())));
        tasks.push(tokio::spawn(processor::hold_loop(
            inner.clone(),
            rx.clone(),
        )));
        if inner.acl.is_some() {
            tasks.push(tokio::spawn(acl_watch_loop(inner.clone(), rx.clone())));
        }
        let metrics_local = match metrics_listener {
            Some(l) => {
                let render: rocklet_metrics::Render = {
                    let (inner, main, fast) =
                        (inner.clone(), server_stats.clone(), fast_stats.clone());
                    Arc::new(move || metrics::render(&inner, &main, &fast))
                };
                let m = rocklet_metrics::start(l, render, rx.clone()).map_err(|e| {
                    BrokerError::Bind {
                        port: inner.cfg.metrics_port.unwrap_or(0),
                        source: e,
                    }
                })?;
                let local = m.local_addr();
                tracing::info!(addr = %local, "broker metrics: http://{local}/metrics");
                tasks.push(m.into_task());
                Some(local)
            }
            None => None,
        };
        tasks.push(tokio::spawn(offset_flush_loop(inner.clone(), rx)));
        tracing::info!(
            listen = %local,
            advertised = %inner.addr,
            store = %inner.cfg.store_path_root_dir.display(),
            flush = ?inner.cfg.flush_disk_type,
            namesrv = ?inner.cfg.namesrv_addr,
            startup_ms = t0.elapsed().as_millis() as u64,
            "broker {} ready", inner.cfg.broker_name
        );
        Ok(Broker {
            inner,
            server_stats,
            local,
            fast_local,
            metrics_local,
            shutdown: tx,
            tasks,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
    /// The fast (VIP) channel's address (listenPort - 2), when it could be bound.
    pub fn fast_addr(&self) -> Option<SocketAddr> {
        self.fast_local
    }
    /// The Prometheus `/metrics` address (`metricsPort`), when enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_local
    }
    /// `brokerIP1:port`.
    pub fn advertised_addr(&self) -> &str {
        &self.inner.addr
    }
    pub fn store(&self) -> &Arc<MessageStore> {
        &self.inner.store
    }
    pub fn config(&self) -> &BrokerConfig {
        &self.inner.cfg
    }
    /// The main port's connections and their write queues.
    pub fn server_stats(&self) -> &Arc<ServerStats> {
        &self.server_stats
    }
    /// The long-polling hold service's counters.
    pub fn hold_stats(&self) -> HoldStats {
        self.inner.hold.stats()
    }

    /// Run one transaction check round now (also done every `transactionCheckInterval`).
    pub async fn check_transactions_now(&self) {
        transaction::check(&self.inner).await;
    }

    /// Register with every name server now (also done every 30 s).
    pub async fn register_now(&self) {
        register::register_all(&self.inner).await;
    }

    /// Unregister, stop serving, flush the store and consumer offsets, write the checkpoint.
    pub async fn shutdown(mut self) {
        register::unregister_all(&self.inner).await;
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.inner.offsets.persist();
        self.inner.topics.persist();
        self.inner.subscriptions.persist();
        self.inner.filters.persist();
        self.inner.offsets.flush();
        self.inner.filters.flush();
        self.inner.topics.flush();
        self.inner.subscriptions.flush();
        self.inner.delay_offsets.flush();
        self.inner.store.shutdown();
        self.inner.namesrv.shutdown();
        tracing::info!(broker = %self.inner.cfg.broker_name, "broker shut down");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn offset_flush_loop(inner: Arc<BrokerInner>, mut rx: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(
        inner.cfg.flush_consumer_offset_interval.max(100),
    ));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                inner.offsets.persist();
                inner.filters.persist();
            }
            _ = rx.changed() => break,
        }
    }
}

/// Re-reads the ACL file when it changes (every [`acl::WATCH_INTERVAL`]).
async fn acl_watch_loop(inner: Arc<BrokerInner>, mut rx: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(acl::WATCH_INTERVAL);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let inner = inner.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Some(a) = &inner.acl {
                        a.reload_if_changed();
                    }
                })
                .await;
            }
            _ = rx.changed() => break,
        }
    }
}
