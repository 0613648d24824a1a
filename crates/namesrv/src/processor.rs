//! Request handling for the name server (Java `DefaultRequestProcessor`): one dispatch table of
//! request code -> handler, one function per code, answers as the 4.9.3 name server gives them.
//!
//! Two deliberate differences from Java: a code outside the table is answered with
//! REQUEST_CODE_NOT_SUPPORTED (the 4.9.3 name server sends no answer at all, so the caller waits
//! for its timeout), and a missing required header field is SYSTEM_ERROR except for the KV-config
//! codes, where Java's answer to a missing field is part of the protocol (see [`java_field`]).

use parking_lot::RwLock;
use rocklet_protocol::body::{
    decode_json, encode_json, parse_properties_text, DataVersion, RegisterBrokerBody,
    TopicConfigSerializeWrapper, TopicList,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{ProtocolError, RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::{not_supported, ConnCtx, Processor};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::kvconfig::{write_file_atomic, KvConfigManager, NAMESPACE_ORDER_TOPIC_CONFIG};
use crate::routes::{sys_flag, Registration, RouteInfoManager};
use crate::settings::Settings;

/// `MQVersion.Version.V3_0_11.ordinal()`: brokers from this version on send a `RegisterBrokerBody`.
const V3_0_11: i32 = 37;

/// A handler: decode the request, act, build the answer.
type Handler = fn(&NamesrvProcessor, &ConnCtx, &RemotingCommand) -> Result<Handled, ProtocolError>;

/// Declares the dispatch table and [`HANDLED_CODES`] from one list, so the two cannot disagree.
macro_rules! dispatch_table {
    ($($code:ident => $handler:ident),* $(,)?) => {
        /// The request codes the name server handles, in Java's `switch` order.
        pub const HANDLED_CODES: &[RequestCode] = &[$(RequestCode::$code),*];
        /// Looked up by a linear scan: 20 entries, compared as small enums.
        const HANDLERS: &[(RequestCode, Handler)] =
            &[$((RequestCode::$code, NamesrvProcessor::$handler as Handler)),*];
    };
}

dispatch_table! {
    PUT_KV_CONFIG => put_kv_config,
    GET_KV_CONFIG => get_kv_config,
    DELETE_KV_CONFIG => delete_kv_config,
    QUERY_DATA_VERSION => query_data_version,
    REGISTER_BROKER => register_broker,
    UNREGISTER_BROKER => unregister_broker,
    GET_ROUTEINFO_BY_TOPIC => route_by_topic,
    GET_BROKER_CLUSTER_INFO => broker_cluster_info,
    WIPE_WRITE_PERM_OF_BROKER => wipe_write_perm,
    ADD_WRITE_PERM_OF_BROKER => add_write_perm,
    GET_ALL_TOPIC_LIST_FROM_NAMESERVER => all_topic_list,
    DELETE_TOPIC_IN_NAMESRV => delete_topic,
    GET_KVLIST_BY_NAMESPACE => kv_list_by_namespace,
    GET_TOPICS_BY_CLUSTER => topics_by_cluster,
    GET_SYSTEM_TOPIC_LIST_FROM_NS => system_topic_list,
    GET_UNIT_TOPIC_LIST => unit_topic_list,
    GET_HAS_UNIT_SUB_TOPIC_LIST => has_unit_sub_topic_list,
    GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST => has_unit_sub_ununit_topic_list,
    UPDATE_NAMESRV_CONFIG => update_config,
    GET_NAMESRV_CONFIG => get_config,
}

fn handler_for(code: RequestCode) -> Option<Handler> {
    HANDLERS.iter().find(|(c, _)| *c == code).map(|(_, h)| *h)
}

/// A file to rewrite before the answer goes out (Java persists inside the handler too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persist {
    KvConfig,
    Settings,
}

/// A handler's answer and what must be written first.
struct Handled {
    resp: RemotingCommand,
    persist: Option<Persist>,
}

impl From<RemotingCommand> for Handled {
    fn from(resp: RemotingCommand) -> Self {
        Handled {
            resp,
            persist: None,
        }
    }
}

type Res = Result<Handled, ProtocolError>;

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

/// A header field as the 4.9.3 name server sees it: its `decodeCommandCustomHeader` logs and
/// swallows a missing `@CFNotNull` field, leaving it `null`, and the KV handlers answer that
/// (`"namespace or key is null"`, `"... Key: null"`). Read raw so an empty string stays a value.
fn java_field<'a>(req: &'a RemotingCommand, key: &str) -> Option<&'a str> {
    req.ext_fields.get(key)
}

/// How Java prints a possibly-null string.
fn or_null(s: Option<&str>) -> &str {
    s.unwrap_or("null")
}

pub struct NamesrvProcessor {
    routes: Arc<RouteInfoManager>,
    kv: KvConfigManager,
    settings: RwLock<Settings>,
    /// Java picks `ClusterTestRequestProcessor` at start when `clusterTest` is set: routes then
    /// always carry `orderTopicConf`.
    cluster_test: bool,
    /// Serialises file rewrites: each takes its snapshot under this lock, so a later change is
    /// never overwritten by an earlier one.
    persist_lock: tokio::sync::Mutex<()>,
}

impl NamesrvProcessor {
    pub(crate) fn new(
        routes: Arc<RouteInfoManager>,
        kv: KvConfigManager,
        settings: Settings,
        cluster_test: bool,
    ) -> Self {
        NamesrvProcessor {
            routes,
            kv,
            settings: RwLock::new(settings),
            cluster_test,
            persist_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The current value of a setting, by its Java name (`orderMessageEnable`, ...).
    pub fn setting(&self, key: &str) -> Option<String> {
        self.settings.read().get(key).map(str::to_owned)
    }

    async fn persist(&self, what: Persist) {
        let _g = self.persist_lock.lock().await;
        let (path, bytes) = {
            let s = self.settings.read();
            match what {
                Persist::KvConfig => (s.kv_config_path(), self.kv.to_json()),
                Persist::Settings => (s.config_store_path(), s.to_properties_text().into_bytes()),
            }
        };
        let shown = path.display().to_string();
        let res = tokio::task::spawn_blocking(move || write_file_atomic(&path, &bytes)).await;
        // Java logs a failed write and still answers SUCCESS: the change is live in memory.
        match res {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(path = shown, error = %e, ?what, "cannot persist"),
            Err(e) => tracing::error!(path = shown, error = %e, ?what, "persist task failed"),
        }
    }

    fn put_kv_config(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let (Some(ns), Some(key)) = (java_field(req, "namespace"), java_field(req, "key")) else {
            return Ok(fail(req, "namespace or key is null").into());
        };
        self.kv.put(ns, key, java_field(req, "value"));
        Ok(Handled {
            resp: ok(req),
            persist: Some(Persist::KvConfig),
        })
    }

    fn get_kv_config(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let ns = java_field(req, "namespace");
        let key = java_field(req, "key");
        let value = ns.zip(key).and_then(|(n, k)| self.kv.get(n, k));
        Ok(match value {
            Some(value) => ok(req).with_header(&GetKvConfigResponseHeader { value: Some(value) }),
            None => RemotingCommand::response_to(
                req,
                ResponseCode::QUERY_NOT_FOUND,
                Some(format!(
                    "No config item, Namespace: {} Key: {}",
                    or_null(ns),
                    or_null(key)
                )),
            ),
        }
        .into())
    }

    fn delete_kv_config(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        if let (Some(ns), Some(key)) = (java_field(req, "namespace"), java_field(req, "key")) {
            self.kv.delete(ns, key);
        }
        Ok(Handled {
            resp: ok(req),
            persist: Some(Persist::KvConfig),
        })
    }

    fn kv_list_by_namespace(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let ns = java_field(req, "namespace");
        Ok(match ns.and_then(|n| self.kv.list(n)) {
            Some(table) => ok(req).with_body(encode_json(&table)),
            None => RemotingCommand::response_to(
                req,
                ResponseCode::QUERY_NOT_FOUND,
                Some(format!("No config item, Namespace: {}", or_null(ns))),
            ),
        }
        .into())
    }

    /// The answer body of a registration: the order-topic namespace, when it exists.
    fn order_topic_config_body(&self, mut resp: RemotingCommand) -> RemotingCommand {
        if let Some(t) = self.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG) {
            resp = resp.with_body(encode_json(&t));
        }
        resp
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
                        return Ok(fail(req, "crc32 not match").into());
                    }
                }
                let compressed = h.compressed.unwrap_or(false);
                if compressed && inflated_len_exceeds(req.body_bytes(), MAX_INFLATED_BODY) {
                    let why =
                        format!("compressed register body inflates past {MAX_INFLATED_BODY} bytes");
                    return Ok(fail(req, &why).into());
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
        Ok(self
            .order_topic_config_body(ok(req).with_header(&header))
            .into())
    }

    fn unregister_broker(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: UnRegisterBrokerRequestHeader = req.header()?;
        self.routes
            .unregister_broker(&h.cluster_name, &h.broker_addr, &h.broker_name, h.broker_id);
        Ok(ok(req).into())
    }

    fn route_by_topic(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: GetRouteInfoRequestHeader = req.header()?;
        Ok(match self.routes.pickup_topic_route_data(&h.topic) {
            Some(mut route) => {
                if self.cluster_test || self.settings.read().order_message_enable() {
                    route.order_topic_conf = self.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, &h.topic);
                }
                ok(req).with_body(route.to_fastjson())
            }
            None => RemotingCommand::response_to(
                req,
                ResponseCode::TOPIC_NOT_EXIST,
                Some(format!(
                    "No topic route info in name server for the topic: {}\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                    h.topic
                )),
            ),
        }
        .into())
    }

    fn broker_cluster_info(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        Ok(ok(req)
            .with_body(self.routes.cluster_info().to_fastjson())
            .into())
    }

    fn wipe_write_perm(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: BrokerNameRequestHeader = req.header()?;
        let n = self.routes.set_write_perm(&h.broker_name, false);
        tracing::info!(broker = h.broker_name, client = %ctx.peer, topics = n, "wipe write perm");
        Ok(ok(req)
            .with_header(&WipeWritePermOfBrokerResponseHeader {
                wipe_topic_count: n,
            })
            .into())
    }

    fn add_write_perm(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: BrokerNameRequestHeader = req.header()?;
        let n = self.routes.set_write_perm(&h.broker_name, true);
        tracing::info!(broker = h.broker_name, client = %ctx.peer, topics = n, "add write perm");
        Ok(ok(req)
            .with_header(&AddWritePermOfBrokerResponseHeader { add_topic_count: n })
            .into())
    }

    fn all_topic_list(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        Ok(topic_list(req, self.routes.all_topics(), None).into())
    }

    fn delete_topic(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: TopicRequestHeader = req.header()?;
        self.routes.delete_topic(&h.topic);
        Ok(ok(req).into())
    }

    fn topics_by_cluster(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: GetTopicsByClusterRequestHeader = req.header()?;
        Ok(topic_list(req, self.routes.topics_by_cluster(&h.cluster), None).into())
    }

    fn system_topic_list(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let (names, addr) = self.routes.system_topics();
        Ok(topic_list(req, names.into_iter().collect(), addr).into())
    }

    fn unit_topic_list(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let topics = self.routes.topics_by_sys_flag(sys_flag::has_unit);
        Ok(topic_list(req, topics, None).into())
    }

    fn has_unit_sub_topic_list(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let topics = self.routes.topics_by_sys_flag(sys_flag::has_unit_sub);
        Ok(topic_list(req, topics, None).into())
    }

    fn has_unit_sub_ununit_topic_list(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let topics = self
            .routes
            .topics_by_sys_flag(|f| !sys_flag::has_unit(f) && sys_flag::has_unit_sub(f));
        Ok(topic_list(req, topics, None).into())
    }

    fn query_data_version(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let h: QueryDataVersionRequestHeader = req.header()?;
        if req.body_bytes().is_empty() {
            // Java fails on the missing body (NullPointerException -> SYSTEM_ERROR).
            return Ok(fail(req, "QUERY_DATA_VERSION without a DataVersion body").into());
        }
        let dv: DataVersion = decode_json(req.body_bytes())?;
        let (changed, current) = self.routes.query_data_version(&h.broker_addr, &dv);
        let mut r = ok(req).with_header(&QueryDataVersionResponseHeader {
            changed: Some(changed),
        });
        if let Some(c) = current {
            r = r.with_body(encode_json(&c));
        }
        Ok(r.into())
    }

    /// UPDATE_NAMESRV_CONFIG: a properties text; unknown keys are ignored, and with a body all
    /// settings are rewritten to `configStorePath` (Java `Configuration.update` + `persist`).
    fn update_config(&self, ctx: &ConnCtx, req: &RemotingCommand) -> Res {
        tracing::info!(client = %ctx.peer, "update name server config");
        // Java decodes an empty body as null.
        let Some(body) = req.body.as_deref().filter(|b| !b.is_empty()) else {
            return Ok(ok(req).into());
        };
        let text = String::from_utf8_lossy(body);
        let Ok(pairs) = parse_properties_text(&text) else {
            return Ok(fail(req, "string2Properties error").into());
        };
        self.settings.write().update(&pairs);
        Ok(Handled {
            resp: ok(req),
            persist: Some(Persist::Settings),
        })
    }

    fn get_config(&self, _: &ConnCtx, req: &RemotingCommand) -> Res {
        let text = self.settings.read().to_properties_text();
        Ok(ok(req).with_body(text.into_bytes()).into())
    }
}

fn ok(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(req, ResponseCode::SUCCESS, None)
}

fn fail(req: &RemotingCommand, remark: &str) -> RemotingCommand {
    RemotingCommand::response_to(req, ResponseCode::SYSTEM_ERROR, Some(remark.to_owned()))
}

/// A `TopicList` body (Java's is a `HashSet`, so callers pass each topic once).
fn topic_list(
    req: &RemotingCommand,
    topics: Vec<String>,
    broker_addr: Option<String>,
) -> RemotingCommand {
    ok(req).with_body(encode_json(&TopicList {
        broker_addr,
        topic_list: topics,
    }))
}

/// Answers that are a normal outcome, not a refusal (a polled topic or key that is absent).
fn is_refusal(code: i32) -> bool {
    ![
        ResponseCode::SUCCESS,
        ResponseCode::QUERY_NOT_FOUND,
        ResponseCode::TOPIC_NOT_EXIST,
    ]
    .iter()
    .any(|c| c.as_i32() == code)
}

impl Processor for NamesrvProcessor {
    async fn process(&self, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
        let code = RequestCode::from_i32(req.code);
        let resp = match handler_for(code) {
            None => not_supported(&req),
            Some(handler) => match handler(self, ctx, &req) {
                Ok(Handled { resp, persist }) => {
                    if let Some(p) = persist {
                        self.persist(p).await;
                    }
                    resp
                }
                // Java answers a header or body it cannot decode with SYSTEM_ERROR and the reason.
                Err(e) => RemotingCommand::response_to(
                    &req,
                    ResponseCode::SYSTEM_ERROR,
                    Some(e.to_string()),
                ),
            },
        };
        if is_refusal(resp.code) {
            tracing::warn!(
                request = %code,
                peer = %ctx.peer,
                response = %ResponseCode::from_i32(resp.code),
                remark = resp.remark.as_deref().unwrap_or(""),
                "name server refused a request"
            );
        }
        Some(resp)
    }

    fn connection_closed(&self, peer: SocketAddr) {
        self.routes.connection_closed(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Initial;
    use std::collections::BTreeSet;

    /// The `case` labels of `DefaultRequestProcessor.processRequest` in rocketmq-all-4.9.3, in
    /// source order, with the values of `RequestCode` (`ClusterTestRequestProcessor` extends it
    /// and only overrides GET_ROUTEINFO_BY_TOPIC).
    const JAVA_DEFAULT_REQUEST_PROCESSOR_CODES: &[(&str, i32)] = &[
        ("PUT_KV_CONFIG", 100),
        ("GET_KV_CONFIG", 101),
        ("DELETE_KV_CONFIG", 102),
        ("QUERY_DATA_VERSION", 322),
        ("REGISTER_BROKER", 103),
        ("UNREGISTER_BROKER", 104),
        ("GET_ROUTEINFO_BY_TOPIC", 105),
        ("GET_BROKER_CLUSTER_INFO", 106),
        ("WIPE_WRITE_PERM_OF_BROKER", 205),
        ("ADD_WRITE_PERM_OF_BROKER", 327),
        ("GET_ALL_TOPIC_LIST_FROM_NAMESERVER", 206),
        ("DELETE_TOPIC_IN_NAMESRV", 216),
        ("GET_KVLIST_BY_NAMESPACE", 219),
        ("GET_TOPICS_BY_CLUSTER", 224),
        ("GET_SYSTEM_TOPIC_LIST_FROM_NS", 304),
        ("GET_UNIT_TOPIC_LIST", 311),
        ("GET_HAS_UNIT_SUB_TOPIC_LIST", 312),
        ("GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST", 313),
        ("UPDATE_NAMESRV_CONFIG", 318),
        ("GET_NAMESRV_CONFIG", 319),
    ];

    #[test]
    fn table_matches_java_default_request_processor() {
        let ours: Vec<(&str, i32)> = HANDLED_CODES
            .iter()
            .map(|c| (c.name(), c.as_i32()))
            .collect();
        assert_eq!(ours, JAVA_DEFAULT_REQUEST_PROCESSOR_CODES);
        let distinct: BTreeSet<i32> = HANDLED_CODES.iter().map(|c| c.as_i32()).collect();
        assert_eq!(
            distinct.len(),
            HANDLED_CODES.len(),
            "a code is listed twice"
        );
    }

    #[test]
    fn every_handled_code_has_a_handler() {
        assert_eq!(HANDLERS.len(), HANDLED_CODES.len());
        for code in HANDLED_CODES {
            assert!(handler_for(*code).is_some(), "{code} has no handler");
        }
        assert!(handler_for(RequestCode::SEND_MESSAGE).is_none());
        assert!(handler_for(RequestCode::from_i32(9999)).is_none());
    }

    #[test]
    fn every_handler_answers_a_bare_request_without_panicking() {
        let settings = Settings::new(Initial {
            listen_port: 9876,
            rocketmq_home: None,
            kv_config_path: "unused",
            config_store_path: "unused",
            product_env_name: "center",
            cluster_test: false,
            order_message_enable: false,
        });
        let p = NamesrvProcessor::new(
            Arc::new(RouteInfoManager::new()),
            KvConfigManager::default(),
            settings,
            false,
        );
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let ctx = ConnCtx::for_test(tx);
        for (code, handler) in HANDLERS {
            let req = RemotingCommand::request_bare(*code);
            let _ = handler(&p, &ctx, &req);
        }
    }
}
