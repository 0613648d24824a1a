//! Request handling for the name server, one function per request code.

use rocklet_protocol::body::{
    decode_json, encode_json, DataVersion, KvTable, RegisterBrokerBody,
    TopicConfigSerializeWrapper, TopicList,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{ProtocolError, RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::{not_supported, ConnCtx, Processor};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::routes::{Registration, RouteInfoManager};

/// `MQVersion.Version.V3_0_11.ordinal()`: brokers from this version on send a `RegisterBrokerBody`.
const V3_0_11: i32 = 37;

/// The request codes the name server handles.
pub const HANDLED_CODES: &[RequestCode] = &[
    RequestCode::REGISTER_BROKER,
    RequestCode::UNREGISTER_BROKER,
    RequestCode::GET_ROUTEINFO_BY_TOPIC,
    RequestCode::GET_BROKER_CLUSTER_INFO,
    RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
    RequestCode::QUERY_DATA_VERSION,
    RequestCode::GET_TOPICS_BY_CLUSTER,
    RequestCode::DELETE_TOPIC_IN_NAMESRV,
    RequestCode::WIPE_WRITE_PERM_OF_BROKER,
    RequestCode::ADD_WRITE_PERM_OF_BROKER,
    RequestCode::GET_KVLIST_BY_NAMESPACE,
    RequestCode::GET_KV_CONFIG,
];

/// Largest inflated compressed registration body accepted (Java has no limit; a 16 MiB frame of
/// zlib could otherwise inflate to gigabytes). 10 000 topics take well under 1 MiB.
const MAX_INFLATED_BODY: u64 = 64 * 1024 * 1024;

/// Whether zlib `data` inflates to more than `limit` bytes (or is not zlib at all: then the
/// decoder reports the error).
fn inflated_len_exceeds(data: &[u8], limit: u64) -> bool {
    use std::io::Read;
    let mut sink = [0u8; 16 * 1024];
    let mut d = flate2::read::ZlibDecoder::new(data).take(limit + 1);
    let mut total = 0u64;
    loop {
        match d.read(&mut sink) {
            Ok(0) | Err(_) => return false,
            Ok(n) => {
                total += n as u64;
                if total > limit {
                    return true;
                }
            }
        }
    }
}

pub struct NamesrvProcessor {
    routes: Arc<RouteInfoManager>,
}

type Res = Result<RemotingCommand, ProtocolError>;

impl NamesrvProcessor {
    pub fn new(routes: Arc<RouteInfoManager>) -> Self {
        NamesrvProcessor { routes }
    }

    fn handle(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Option<Res> {
        Some(match RequestCode::from_i32(req.code) {
            RequestCode::REGISTER_BROKER => self.register_broker(ctx, req),
            RequestCode::UNREGISTER_BROKER => self.unregister_broker(req),
            RequestCode::GET_ROUTEINFO_BY_TOPIC => self.route_by_topic(req),
            RequestCode::GET_BROKER_CLUSTER_INFO => {
                Ok(ok(req).with_body(self.routes.cluster_info().to_fastjson()))
            }
            RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => {
                Ok(ok(req).with_body(encode_json(&TopicList {
                    broker_addr: None,
                    topic_list: self.routes.all_topics(),
                })))
            }
            RequestCode::QUERY_DATA_VERSION => self.query_data_version(req),
            RequestCode::GET_TOPICS_BY_CLUSTER => {
                req.header::<GetTopicsByClusterRequestHeader>().map(|h| {
                    ok(req).with_body(encode_json(&TopicList {
                        broker_addr: None,
                        topic_list: self.routes.topics_by_cluster(&h.cluster),
                    }))
                })
            }
            RequestCode::DELETE_TOPIC_IN_NAMESRV => req.header::<TopicRequestHeader>().map(|h| {
                self.routes.delete_topic(&h.topic);
                ok(req)
            }),
            RequestCode::WIPE_WRITE_PERM_OF_BROKER | RequestCode::ADD_WRITE_PERM_OF_BROKER => {
                req.header::<BrokerNameRequestHeader>().map(|h| {
                    let writable = req.code == RequestCode::ADD_WRITE_PERM_OF_BROKER.as_i32();
                    let n = self.routes.set_write_perm(&h.broker_name, writable);
                    let key = if writable {
                        "addTopicCount"
                    } else {
                        "wipeTopicCount"
                    };
                    let mut r = ok(req);
                    r.ext_fields.insert(key, n.to_string());
                    r
                })
            }
            RequestCode::GET_KVLIST_BY_NAMESPACE | RequestCode::GET_KV_CONFIG => {
                // Rocklet keeps no KV config (order-topic config and the like): Java answers
                // QUERY_NOT_FOUND when a namespace or key is absent.
                let _ = KvTable::default();
                Ok(RemotingCommand::response_to(
                    req,
                    ResponseCode::QUERY_NOT_FOUND,
                    Some("No config item".into()),
                ))
            }
            _ => return None,
        })
    }

    fn register_broker(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: RegisterBrokerRequestHeader = req.header()?;
        let body = if req.version >= V3_0_11 {
            if req.body_bytes().is_empty() {
                RegisterBrokerBody::default()
            } else {
                if let Some(crc) = h.body_crc32.filter(|c| *c != 0) {
                    let actual = rocklet_protocol::message::body_crc(req.body_bytes());
                    if actual != crc {
                        tracing::warn!(broker = h.broker_addr, "register body crc mismatch");
                        return Ok(RemotingCommand::response_to(
                            req,
                            ResponseCode::SYSTEM_ERROR,
                            Some("crc32 not match".into()),
                        ));
                    }
                }
                let compressed = h.compressed.unwrap_or(false);
                if compressed && inflated_len_exceeds(req.body_bytes(), MAX_INFLATED_BODY) {
                    return Ok(RemotingCommand::response_to(
                        req,
                        ResponseCode::SYSTEM_ERROR,
                        Some(format!(
                            "compressed register body inflates past {MAX_INFLATED_BODY} bytes"
                        )),
                    ));
                }
                RegisterBrokerBody::decode(req.body_bytes(), compressed)?
            }
        } else {
            let w: TopicConfigSerializeWrapper = if req.body_bytes().is_empty() {
                Default::default()
            } else {
                decode_json(req.body_bytes())?
            };
            RegisterBrokerBody {
                filter_server_list: Vec::new(),
                topic_config_serialize_wrapper: w,
            }
        };
        let w = body.topic_config_serialize_wrapper;
        let res = self.routes.register_broker(Registration {
            cluster_name: &h.cluster_name,
            broker_addr: &h.broker_addr,
            broker_name: &h.broker_name,
            broker_id: h.broker_id,
            ha_server_addr: &h.ha_server_addr,
            data_version: w.data_version,
            topic_configs: &w.topic_config_table,
            filter_server_list: body.filter_server_list,
            peer: Some(ctx.peer),
        });
        let header = RegisterBrokerResponseHeader {
            ha_server_addr: res.ha_server_addr,
            master_addr: res.master_addr,
        };
        Ok(ok(req)
            .with_header(&header)
            .with_body(encode_json(&KvTable::default())))
    }

    fn unregister_broker(&self, req: &RemotingCommand) -> Res {
        let h: UnRegisterBrokerRequestHeader = req.header()?;
        self.routes
            .unregister_broker(&h.cluster_name, &h.broker_addr, &h.broker_name, h.broker_id);
        Ok(ok(req))
    }

    fn route_by_topic(&self, req: &RemotingCommand) -> Res {
        let h: GetRouteInfoRequestHeader = req.header()?;
        Ok(match self.routes.pickup_topic_route_data(&h.topic) {
            Some(route) => ok(req).with_body(route.to_fastjson()),
            None => RemotingCommand::response_to(
                req,
                ResponseCode::TOPIC_NOT_EXIST,
                Some(format!(
                    "No topic route info in name server for the topic: {}\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                    h.topic
                )),
            ),
        })
    }

    fn query_data_version(&self, req: &RemotingCommand) -> Res {
        let h: QueryDataVersionRequestHeader = req.header()?;
        let dv: DataVersion = if req.body_bytes().is_empty() {
            Default::default()
        } else {
            decode_json(req.body_bytes())?
        };
        let (changed, current) = self.routes.query_data_version(&h.broker_addr, &dv);
        let mut r = ok(req).with_header(&QueryDataVersionResponseHeader {
            changed: Some(changed),
        });
        if let Some(c) = current {
            r = r.with_body(encode_json(&c));
        }
        Ok(r)
    }
}

fn ok(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(req, ResponseCode::SUCCESS, None)
}

impl Processor for NamesrvProcessor {
    async fn process(&self, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
        let resp = match self.handle(ctx, &req) {
            Some(Ok(r)) => r,
            // Java answers a header or body it cannot decode with SYSTEM_ERROR and the reason.
            Some(Err(e)) => {
                RemotingCommand::response_to(&req, ResponseCode::SYSTEM_ERROR, Some(e.to_string()))
            }
            None => not_supported(&req),
        };
        Some(resp)
    }

    fn connection_closed(&self, peer: SocketAddr) {
        self.routes.connection_closed(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handled_code_is_dispatched() {
        let p = NamesrvProcessor::new(Arc::new(RouteInfoManager::new()));
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let ctx = ConnCtx::for_test(tx);
        for code in HANDLED_CODES {
            let req = RemotingCommand::request_bare(*code);
            assert!(p.handle(&ctx, &req).is_some(), "{code} not dispatched");
        }
        assert!(p
            .handle(&ctx, &RemotingCommand::request_bare(9999))
            .is_none());
    }
}
