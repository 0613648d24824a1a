//! `rocklet serve | namesrv | broker`.

use anyhow::Context;
use clap::Args;
use rocklet_broker::{Broker, BrokerConfig};
use rocklet_namesrv::{Namesrv, NamesrvConfig};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct NamesrvArgs {
    /// Name server port (Java `listenPort`).
    #[arg(long = "listen-port", default_value_t = 9876)]
    pub listen_port: u16,
    /// Address to bind.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Serve Prometheus `/metrics` over HTTP on this port (0: any free port); off without it.
    #[arg(long = "metrics-port")]
    pub metrics_port: Option<u16>,
}

#[derive(Args, Debug, Clone)]
pub struct BrokerArgs {
    /// Broker properties file with Java names (brokerName, flushDiskType, ...).
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// Name server addresses, `host:port;host:port` (namesrvAddr; also NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrv-addr")]
    pub namesrv_addr: Option<String>,
    /// listenPort
    #[arg(long = "listen-port")]
    pub listen_port: Option<u16>,
    /// storePathRootDir
    #[arg(long = "store-path-root-dir", alias = "store")]
    pub store_path_root_dir: Option<PathBuf>,
    /// brokerName
    #[arg(long = "broker-name")]
    pub broker_name: Option<String>,
    /// brokerClusterName
    #[arg(long = "broker-cluster-name")]
    pub broker_cluster_name: Option<String>,
    /// brokerIP1: the address advertised to clients.
    #[arg(long = "broker-ip1")]
    pub broker_ip1: Option<IpAddr>,
    /// flushDiskType: ASYNC_FLUSH or SYNC_FLUSH.
    #[arg(long = "flush-disk-type")]
    pub flush_disk_type: Option<String>,
    /// Address to bind.
    #[arg(long)]
    pub bind: Option<IpAddr>,
    /// metricsPort: serve Prometheus `/metrics` over HTTP on this port (0: any free port).
    #[arg(long = "metrics-port")]
    pub metrics_port: Option<u16>,
    /// Any other property, `key=value` (repeatable).
    #[arg(short = 'p', long = "property")]
    pub property: Vec<String>,
}

impl BrokerArgs {
    pub fn to_config(&self) -> anyhow::Result<BrokerConfig> {
        let mut cfg = match &self.config {
            Some(p) => BrokerConfig::from_file(p)?,
            None => BrokerConfig::default(),
        };
        let mut props = std::collections::HashMap::new();
        for kv in &self.property {
            let (k, v) = kv
                .split_once('=')
                .with_context(|| format!("--property {kv}: expected key=value"))?;
            props.insert(k.to_string(), v.to_string());
        }
        let mut set = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                props.insert(k.to_string(), v);
            }
        };
        set("namesrvAddr", self.namesrv_addr.clone());
        set("listenPort", self.listen_port.map(|p| p.to_string()));
        set(
            "storePathRootDir",
            self.store_path_root_dir
                .as_ref()
                .map(|p| p.display().to_string()),
        );
        set("brokerName", self.broker_name.clone());
        set("brokerClusterName", self.broker_cluster_name.clone());
        set("brokerIP1", self.broker_ip1.map(|p| p.to_string()));
        set("flushDiskType", self.flush_disk_type.clone());
        set("bindAddress", self.bind.map(|p| p.to_string()));
        set("metricsPort", self.metrics_port.map(|p| p.to_string()));
        cfg.apply(&props)?;
        cfg.tls = crate::sysprops::tls();
        Ok(cfg)
    }
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Name server port.
    #[arg(long = "namesrv-port", default_value_t = 9876)]
    pub namesrv_port: u16,
    /// Broker port (listenPort).
    #[arg(long = "broker-port")]
    pub broker_port: Option<u16>,
    /// The name server's Prometheus `/metrics` port (0: any free port); off without it.
    /// (`--metrics-port` is the broker's.)
    #[arg(long = "namesrv-metrics-port")]
    pub namesrv_metrics_port: Option<u16>,
    #[command(flatten)]
    pub broker: BrokerArgs,
}

pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

pub async fn namesrv(a: NamesrvArgs) -> anyhow::Result<()> {
    let ns = Namesrv::start(NamesrvConfig {
        listen_port: a.listen_port,
        bind_addr: a.bind,
        tls: crate::sysprops::tls(),
        metrics_port: a.metrics_port,
        ..Default::default()
    })
    .await
    .with_context(|| format!("cannot listen on port {}", a.listen_port))?;
    println!("rocklet namesrv listening on {}", ns.local_addr());
    if let Some(m) = ns.metrics_addr() {
        println!("rocklet namesrv metrics on http://{m}/metrics");
    }
    wait_for_signal().await;
    ns.shutdown().await;
    Ok(())
}

pub async fn broker(a: BrokerArgs) -> anyhow::Result<()> {
    let cfg = a.to_config()?;
    let b = Broker::start(cfg).await?;
    // As Java's BrokerController.start(): registered before it says it is up.
    b.register_now().await;
    println!(
        "rocklet broker listening on {} (advertised {})",
        b.local_addr(),
        b.advertised_addr()
    );
    if let Some(m) = b.metrics_addr() {
        println!("rocklet broker metrics on http://{m}/metrics");
    }
    wait_for_signal().await;
    b.shutdown().await;
    Ok(())
}

pub async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let bind = a.broker.bind.unwrap_or_else(|| [0, 0, 0, 0].into());
    let cfg = a.broker.clone().to_config()?;
    // Java keeps `~/namesrv` beside `~/store`; `serve` keeps the name server's files beside
    // the broker's store the same way, so each store directory is a whole installation.
    let ns_dir = cfg
        .store_path_root_dir
        .parent()
        .map(|p| p.join("namesrv"))
        .unwrap_or_else(|| "namesrv".into());
    let ns = Namesrv::start(NamesrvConfig {
        listen_port: a.namesrv_port,
        bind_addr: bind,
        kv_config_path: Some(ns_dir.join("kvConfig.json")),
        config_store_path: Some(ns_dir.join("namesrv.properties")),
        tls: crate::sysprops::tls(),
        metrics_port: a.namesrv_metrics_port,
        ..Default::default()
    })
    .await
    .with_context(|| format!("cannot listen on port {}", a.namesrv_port))?;
    let mut broker_args = a.broker.clone();
    if broker_args.namesrv_addr.is_none() {
        broker_args.namesrv_addr = Some(format!("127.0.0.1:{}", ns.local_addr().port()));
    }
    if a.broker_port.is_some() {
        broker_args.listen_port = a.broker_port;
    }
    let cfg = broker_args.to_config()?;
    let b = Broker::start(cfg).await?;
    // As Java's BrokerController.start(): registered before it says it is up.
    b.register_now().await;
    println!(
        "rocklet serving: namesrv {} broker {} store {}",
        ns.local_addr(),
        b.local_addr(),
        b.config().store_path_root_dir.display()
    );
    if let Some(m) = b.metrics_addr() {
        println!("rocklet broker metrics on http://{m}/metrics");
    }
    if let Some(m) = ns.metrics_addr() {
        println!("rocklet namesrv metrics on http://{m}/metrics");
    }
    wait_for_signal().await;
    b.shutdown().await;
    ns.shutdown().await;
    Ok(())
}
