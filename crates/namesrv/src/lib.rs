//! Rocklet's name server: the route table brokers register into and clients read routes from
//! (Java `NamesrvController`, `RouteInfoManager`, `DefaultRequestProcessor`).

mod processor;
mod routes;

pub use processor::{NamesrvProcessor, HANDLED_CODES};
pub use routes::RouteInfoManager;

use rocklet_remoting::{serve, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `NamesrvConfig` + the server part of `NettyServerConfig`.
#[derive(Debug, Clone)]
pub struct NamesrvConfig {
    /// `listenPort`, default 9876.
    pub listen_port: u16,
    /// Bind address; 127.0.0.1 in tests.
    pub bind_addr: std::net::IpAddr,
    /// Brokers not heard from for this long are dropped (Java BROKER_CHANNEL_EXPIRED_TIME, 120 s).
    pub broker_channel_expired: Duration,
    /// How often expired brokers are looked for (Java: every 10 s).
    pub scan_interval: Duration,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        NamesrvConfig {
            listen_port: 9876,
            bind_addr: [0, 0, 0, 0].into(),
            broker_channel_expired: Duration::from_secs(120),
            scan_interval: Duration::from_secs(10),
        }
    }
}

/// A running name server; stops when [`Namesrv::shutdown`] is called or it is dropped.
pub struct Namesrv {
    addr: SocketAddr,
    routes: Arc<RouteInfoManager>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Namesrv {
    /// Bind and start serving.
    pub async fn start(config: NamesrvConfig) -> std::io::Result<Namesrv> {
        let listener = TcpListener::bind((config.bind_addr, config.listen_port)).await?;
        let addr = listener.local_addr()?;
        let routes = Arc::new(RouteInfoManager::new());
        let processor = Arc::new(NamesrvProcessor::new(routes.clone()));
        let (tx, rx) = watch::channel(false);
        let server = tokio::spawn(serve(
            listener,
            processor,
            ServerConfig::default(),
            rx.clone(),
        ));
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
        Ok(Namesrv {
            addr,
            routes,
            shutdown: tx,
            tasks: vec![server, scanner],
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn routes(&self) -> &Arc<RouteInfoManager> {
        &self.routes
    }

    /// Stop accepting, close connections and wait for the tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for Namesrv {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
