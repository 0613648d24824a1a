//! Registration with name servers: at start, every `registerNameServerPeriod`, and when a topic
//! is created; UNREGISTER_BROKER on shutdown (Java `BrokerOuterAPI`).

use rocklet_protocol::body::RegisterBrokerBody;
use rocklet_protocol::header::{RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader};
use rocklet_protocol::message::body_crc;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use crate::BrokerInner;

pub(crate) async fn register_all(inner: &Arc<BrokerInner>) {
    let addrs = inner.cfg.namesrv_addrs();
    if addrs.is_empty() {
        return;
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
                Ok(r) if r.code == ResponseCode::SUCCESS.as_i32() => tracing::debug!(namesrv = %ns, "registered"),
                Ok(r) => tracing::warn!(namesrv = %ns, code = r.code, remark = ?r.remark, "register broker refused"),
                Err(e) => tracing::warn!(namesrv = %ns, error = %e, "register broker failed"),
            }
        }
    });
    futures_join_all(futs).await;
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
    let period = inner.cfg.register_period();
    loop {
        register_all(&inner).await;
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = inner.register_now.notified() => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// Run futures concurrently and wait for all (a tiny `join_all` without the futures crate).
async fn futures_join_all<F: std::future::Future<Output = ()> + Send + 'static>(
    futs: impl Iterator<Item = F>,
) {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    for h in handles {
        let _ = h.await;
    }
}
