//! Registration with name servers: at start, every `registerNameServerPeriod`, and when a topic
//! is created; UNREGISTER_BROKER on shutdown (Java `BrokerOuterAPI`).
//!
//! Not in Java, whose broker waits for its next 30 s tick: a name server that restarted has
//! forgotten the broker, so routes would fail for up to 30 s. Rocklet notices within a second
//! that the connection to a name server it registered with closed, and registers again; a
//! failed registration is retried every second until it succeeds.

use rocklet_protocol::body::RegisterBrokerBody;
use rocklet_protocol::header::{RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader};
use rocklet_protocol::message::body_crc;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use crate::BrokerInner;

/// Registers with every name server; returns the ones that accepted.
pub(crate) async fn register_all(inner: &Arc<BrokerInner>) -> Vec<String> {
    let addrs = inner.cfg.namesrv_addrs();
    if addrs.is_empty() {
        return Vec::new();
    }
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: inner.topics.snapshot(),
    }
    .encode(false);
    let header = RegisterBrokerRequestHeader {
        broker_name: inner.cfg.broker_name.clone(),
        broker_addr: inner.addr.clone(),
        cluster_name: inner.cfg.broker_cluster_name.clone(),
        ha_server_addr: format!(
            "{}:{}",
            inner.cfg.broker_ip1,
            inner.cfg.listen_port as u32 + 1
        ),
        broker_id: inner.cfg.broker_id,
        compressed: Some(false),
        body_crc32: Some(body_crc(&body)),
    };
    let timeout = Duration::from_millis(inner.cfg.register_broker_timeout_mills);
    let futs = addrs.into_iter().map(|ns| {
        let cmd = RemotingCommand::request(RequestCode::REGISTER_BROKER, &header).with_body(body.clone());
        let client = inner.namesrv.clone();
        async move {
            match client.invoke(&ns, cmd, timeout).await {
                Ok(r) if r.code == ResponseCode::SUCCESS.as_i32() => {
                    tracing::debug!(namesrv = %ns, "registered");
                    return Some(ns);
                }
                Ok(r) => tracing::warn!(namesrv = %ns, code = r.code, remark = ?r.remark, "register broker refused"),
                Err(e) => tracing::warn!(namesrv = %ns, error = %e, "register broker failed"),
            }
            None
        }
    });
    futures_join_all(futs).await.into_iter().flatten().collect()
}

pub(crate) async fn unregister_all(inner: &Arc<BrokerInner>) {
    let header = UnRegisterBrokerRequestHeader {
        broker_name: inner.cfg.broker_name.clone(),
        broker_addr: inner.addr.clone(),
        cluster_name: inner.cfg.broker_cluster_name.clone(),
        broker_id: inner.cfg.broker_id,
    };
    for ns in inner.cfg.namesrv_addrs() {
        let cmd = RemotingCommand::request(RequestCode::UNREGISTER_BROKER, &header);
        if let Err(e) = inner.namesrv.invoke(&ns, cmd, Duration::from_secs(3)).await {
            tracing::warn!(namesrv = %ns, error = %e, "unregister broker failed");
        }
    }
}

pub(crate) async fn registration_loop(
    inner: Arc<BrokerInner>,
    mut shutdown: watch::Receiver<bool>,
) {
    const CHECK: Duration = Duration::from_secs(1);
    let period = inner.cfg.register_period();
    let all = inner.cfg.namesrv_addrs().len();
    loop {
        let registered = register_all(&inner).await;
        let next = tokio::time::Instant::now()
            + if registered.len() < all {
                CHECK
            } else {
                period
            };
        // Until the next registration is due: each second, look whether a name server we
        // registered with dropped its connection (it stopped or restarted).
        loop {
            tokio::select! {
                _ = tokio::time::sleep(CHECK) => {}
                _ = inner.register_now.notified() => break,
                _ = shutdown.changed() => return,
            }
            if tokio::time::Instant::now() >= next {
                break;
            }
            let connected = inner.namesrv.connected_addrs();
            if let Some(gone) = registered.iter().find(|ns| !connected.contains(ns)) {
                tracing::info!(namesrv = %gone, "name server connection closed; registering again");
                break;
            }
        }
    }
}

/// Run futures concurrently and wait for all (a tiny `join_all` without the futures crate).
async fn futures_join_all<
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
>(
    futs: impl Iterator<Item = F>,
) -> Vec<T> {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}
