//! A name server that restarts has forgotten every broker: the broker notices the closed
//! connection and registers again within seconds (Java waits for its 30 s tick).

mod common;

use common::*;
use rocklet_namesrv::{Namesrv, NamesrvConfig};
use rocklet_protocol::header::GetRouteInfoRequestHeader;
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::RemotingClient;
use std::time::{Duration, Instant};

async fn namesrv(dir: &std::path::Path, port: u16) -> Namesrv {
    Namesrv::start(NamesrvConfig {
        listen_port: port,
        bind_addr: [127, 0, 0, 1].into(),
        kv_config_path: Some(dir.join("kvConfig.json")),
        config_store_path: Some(dir.join("namesrv.properties")),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// How long until the name server at `addr` answers a route for `topic`.
async fn route_found_within(addr: &str, topic: &str, limit: Duration) -> Option<Duration> {
    let c = RemotingClient::default();
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        let cmd = RemotingCommand::request(
            RequestCode::GET_ROUTEINFO_BY_TOPIC,
            &GetRouteInfoRequestHeader {
                topic: topic.into(),
            },
        );
        if let Ok(r) = c.invoke(addr, cmd, T).await {
            if r.code == 0 {
                return Some(t0.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn broker_registers_again_soon_after_the_name_server_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut ns = namesrv(dir.path(), 0).await;
    let port = ns.local_addr().port();
    let ns_addr = format!("127.0.0.1:{port}");
    let mut cfg = config(&dir.path().join("store"));
    cfg.namesrv_addr = Some(ns_addr.clone());
    let e = start(cfg).await;
    assert_eq!(e.call(create_topic("Routed", 2)).await.code, 0);
    assert!(
        route_found_within(&ns_addr, "Routed", Duration::from_secs(5))
            .await
            .is_some()
    );

    for round in 0..2 {
        ns.shutdown().await;
        // Down for a moment, then back on the same port with nothing registered.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let back = namesrv(dir.path(), port).await;
        let took = route_found_within(&ns_addr, "Routed", Duration::from_secs(5)).await;
        assert!(
            took.is_some(),
            "round {round}: no route 5 s after the restart"
        );
        ns = back;
    }
    e.broker.shutdown().await;
    ns.shutdown().await;
}
