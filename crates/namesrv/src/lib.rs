//! Rocklet's name server: the route table brokers register into and clients read routes from
//! (Java `NamesrvController`, `RouteInfoManager`, `DefaultRequestProcessor`), the KV config
//! (`KVConfigManager`) and the settings admin tools read and change.
#![forbid(unsafe_code)]

#[doc(hidden)] // pub only for the fuzz targets (fuzz/)
pub mod kvconfig;
mod processor;
mod routes;
mod settings;

pub use kvconfig::NAMESPACE_ORDER_TOPIC_CONFIG;
pub use processor::{NamesrvProcessor, HANDLED_CODES};
pub use routes::{RouteCounts, RouteInfoManager};

use rocklet_remoting::{serve, ServerConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `NamesrvConfig` + the server part of `NettyServerConfig`. GET_NAMESRV_CONFIG reports these
/// under their Java names; which of them UPDATE_NAMESRV_CONFIG can change at run time is said in
/// the `settings` module.
#[derive(Debug, Clone)]
pub struct NamesrvConfig {
    /// `listenPort`, default 9876 (0: any free port, reported as the port bound).
    pub listen_port: u16,
    /// Bind address; 127.0.0.1 in tests.
    pub bind_addr: std::net::IpAddr,
    /// Brokers not heard from for this long are dropped (Java BROKER_CHANNEL_EXPIRED_TIME, 120 s).
    pub broker_channel_expired: Duration,
    /// How often expired brokers are looked for (Java: every 10 s).
    pub scan_interval: Duration,
    /// `rocketmqHome`: only reported. Default: the `ROCKETMQ_HOME` environment variable.
    pub rocketmq_home: Option<PathBuf>,
    /// `kvConfigPath`: the KV config file, loaded at start and rewritten on every change.
    /// `None`: Java's default, `${HOME}/namesrv/kvConfig.json`.
    pub kv_config_path: Option<PathBuf>,
    /// `configStorePath`: where UPDATE_NAMESRV_CONFIG writes all settings (never read back at
    /// start, as in Java). `None`: Java's default, `${HOME}/namesrv/namesrv.properties`.
    pub config_store_path: Option<PathBuf>,
    /// `productEnvName`, default "center": only reported (Java's cluster-test mode asks that
    /// environment's name server for routes it lacks; Rocklet does not).
    pub product_env_name: String,
    /// `clusterTest`: routes always carry `orderTopicConf` (Java `ClusterTestRequestProcessor`).
    pub cluster_test: bool,
    /// `orderMessageEnable`: routes carry `orderTopicConf` from the `ORDER_TOPIC_CONFIG` namespace.
    pub order_message_enable: bool,
    /// TLS, from Java's system properties (`-Dtls.server.mode=...`). Default: Java's,
    /// permissive with a self-signed certificate.
    pub tls: rocklet_remoting::tls::TlsSettings,
    /// Port of the Prometheus `/metrics` endpoint (Rocklet), bound on `bind_addr`; `None`
    /// (default) off, 0 an ephemeral port.
    pub metrics_port: Option<u16>,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        NamesrvConfig {
            listen_port: 9876,
            bind_addr: [0, 0, 0, 0].into(),
            broker_channel_expired: Duration::from_secs(120),
            scan_interval: Duration::from_secs(10),
            rocketmq_home: std::env::var_os("ROCKETMQ_HOME").map(PathBuf::from),
            kv_config_path: None,
            config_store_path: None,
            product_env_name: "center".into(),
            cluster_test: false,
            order_message_enable: false,
            tls: Default::default(),
            metrics_port: None,
        }
    }
}

impl NamesrvConfig {
    /// Java's `System.getProperty("user.home")`.
    fn user_home() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    }
    pub fn kv_config_path(&self) -> PathBuf {
        self.kv_config_path
            .clone()
            .unwrap_or_else(|| Self::user_home().join("namesrv").join("kvConfig.json"))
    }
    pub fn config_store_path(&self) -> PathBuf {
        self.config_store_path
            .clone()
            .unwrap_or_else(|| Self::user_home().join("namesrv").join("namesrv.properties"))
    }
}

/// A running name server; stops when [`Namesrv::shutdown`] is called or it is dropped.
pub struct Namesrv {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    routes: Arc<RouteInfoManager>,
    processor: Arc<NamesrvProcessor>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Namesrv {
    /// Bind and start serving.
    pub async fn start(config: NamesrvConfig) -> std::io::Result<Namesrv> {
        let kv_path = config.kv_config_path();
        let kv = tokio::task::spawn_blocking(move || kvconfig::KvConfigManager::load(&kv_path))
            .await
            .map_err(std::io::Error::other)??;
        let tls = config
            .tls
            .server_tls()
            .map_err(|e| std::io::Error::other(format!("TLS: {e}")))?;
        let listener =
            rocklet_remoting::bind_listener((config.bind_addr, config.listen_port).into())?;
        let addr = listener.local_addr()?;
        let metrics_listener = config
            .metrics_port
            .map(|port| rocklet_metrics::bind_listener((config.bind_addr, port).into()))
            .transpose()?;
        let routes = Arc::new(RouteInfoManager::new());
        let path_text = |p: PathBuf| p.to_string_lossy().into_owned();
        let home = config.rocketmq_home.clone().map(path_text);
        let kv_path = path_text(config.kv_config_path());
        let store_path = path_text(config.config_store_path());
        let settings = settings::Settings::new(settings::Initial {
            listen_port: addr.port(),
            rocketmq_home: home.as_deref(),
            kv_config_path: &kv_path,
            config_store_path: &store_path,
            product_env_name: &config.product_env_name,
            cluster_test: config.cluster_test,
            order_message_enable: config.order_message_enable,
        });
        let processor = Arc::new(NamesrvProcessor::new(
            routes.clone(),
            kv,
            settings,
            config.cluster_test,
        ));
        let (tx, rx) = watch::channel(false);
        let server_cfg = ServerConfig {
            tls: Some(tls),
            ..ServerConfig::default()
        };
        let server_stats = server_cfg.stats.clone();
        let mut tasks = Vec::new();
        let metrics_addr = match metrics_listener {
            Some(l) => {
                let render: rocklet_metrics::Render = {
                    let (routes, stats) = (routes.clone(), server_stats.clone());
                    Arc::new(move || metrics_text(&routes, &stats))
                };
                let m = rocklet_metrics::start(l, render, rx.clone())?;
                let local = m.local_addr();
                tracing::info!(addr = %local, "name server metrics: http://{local}/metrics");
                tasks.push(m.into_task());
                Some(local)
            }
            None => None,
        };
        let server = tokio::spawn(serve(listener, processor.clone(), server_cfg, rx.clone()));
        let r2 = routes.clone();
        let mut rx2 = rx;
        let scanner = tokio::spawn(async move {
            let mut tick = tokio::time::interval(config.scan_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => r2.scan_not_active_brokers(config.broker_channel_expired),
                    _ = rx2.changed() => break,
                }
            }
        });
        tracing::info!(%addr, "name server listening");
        tasks.push(server);
        tasks.push(scanner);
        Ok(Namesrv {
            addr,
            metrics_addr,
            routes,
            processor,
            shutdown: tx,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The Prometheus `/metrics` address, when enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }
    pub fn routes(&self) -> &Arc<RouteInfoManager> {
        &self.routes
    }
    /// The request handler (its settings as UPDATE_NAMESRV_CONFIG left them).
    pub fn processor(&self) -> &Arc<NamesrvProcessor> {
        &self.processor
    }

    /// Stop accepting, close connections and wait for the tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

/// The name server's `/metrics` text: route table sizes, connections, the process.
fn metrics_text(routes: &RouteInfoManager, stats: &rocklet_remoting::ServerStats) -> String {
    let mut s = rocklet_metrics::Scrape::new();
    let c = routes.counts();
    let brokers = s.gauges(
        "rocklet_namesrv_brokers",
        "Broker names (master/slave sets) registered in the cluster",
    );
    for (cluster, n) in &c.brokers_by_cluster {
        brokers.set(&[("cluster", cluster)], *n as f64);
    }
    s.gauge(
        "rocklet_namesrv_live_brokers",
        "Broker addresses heard from within the expiry time",
        c.live_brokers as f64,
    );
    s.gauge(
        "rocklet_namesrv_topics",
        "Topics in the route table",
        c.topics as f64,
    );
    s.gauge(
        "rocklet_connections",
        "Connections open now (brokers, clients, tools)",
        stats.connections() as f64,
    );
    s.counter(
        "rocklet_connections_idle_closed",
        "Connections closed for being idle",
        stats.idle_closed() as f64,
    );
    rocklet_metrics::process::add_to(&mut s);
    s.render()
}

impl Drop for Namesrv {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
