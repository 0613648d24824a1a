//! The null server for `rocklet bench null-server`: one port that acts as name server (a route
//! pointing at itself for any topic) and broker (every send answered with a canned SEND_OK,
//! nothing stored). It measures the client and the loopback, i.e. the ceiling for any broker.

use rocklet_protocol::body::AUTO_CREATE_TOPIC_KEY_TOPIC;
use rocklet_protocol::header::{GetRouteInfoRequestHeader, SendMessageResponseHeader};
use rocklet_protocol::route::{BrokerData, QueueData, TopicRouteData};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::{serve, ConnCtx, Processor, ServerConfig};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

struct Null {
    addr: String,
    offset: AtomicI64,
}

impl Processor for Null {
    async fn process(&self, _ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
        let ok = RemotingCommand::response_to(&req, ResponseCode::SUCCESS, None);
        Some(match RequestCode::from_i32(req.code) {
            RequestCode::GET_ROUTEINFO_BY_TOPIC => {
                let _ = req
                    .header::<GetRouteInfoRequestHeader>()
                    .map(|h| h.topic)
                    .unwrap_or_else(|_| AUTO_CREATE_TOPIC_KEY_TOPIC.into());
                let route = TopicRouteData {
                    broker_datas: vec![BrokerData {
                        broker_addrs: [(0, self.addr.clone())].into(),
                        broker_name: "null".into(),
                        cluster: "Null".into(),
                    }],
                    queue_datas: vec![QueueData {
                        broker_name: "null".into(),
                        perm: 6,
                        read_queue_nums: 4,
                        topic_syn_flag: 0,
                        write_queue_nums: 4,
                    }],
                    ..Default::default()
                };
                ok.with_body(route.to_fastjson())
            }
            RequestCode::SEND_MESSAGE
            | RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_BATCH_MESSAGE => {
                let off = self.offset.fetch_add(1, Ordering::Relaxed);
                ok.with_header(&SendMessageResponseHeader {
                    msg_id: "7F00000100002A9F0000000000000000".into(),
                    queue_id: 0,
                    queue_offset: off,
                    transaction_id: None,
                    msg_region: Some("DefaultRegion".into()),
                    trace_on: Some("true".into()),
                })
            }
            _ => ok,
        })
    }
}

pub async fn run(port: u16) -> anyhow::Result<()> {
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = l.local_addr()?.to_string();
    println!("null server on {addr} (name server and broker; stores nothing)");
    let (_tx, rx) = tokio::sync::watch::channel(false);
    serve(
        l,
        Arc::new(Null {
            addr,
            offset: AtomicI64::new(0),
        }),
        ServerConfig::default(),
        rx,
    )
    .await;
    Ok(())
}
