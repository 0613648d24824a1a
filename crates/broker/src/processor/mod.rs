//! Request handling for the broker, one room per Java processor (`SendMessageProcessor`,
//! `PullMessageProcessor`, `ClientManageProcessor`, `ConsumerManageProcessor`,
//! `AdminBrokerProcessor`, `QueryMessageProcessor`, `ReplyMessageProcessor`,
//! `EndTransactionProcessor`), all reached through ONE table: [`TABLE`] maps each request code
//! to its handler, and nothing else decides which codes the broker answers.

use rocklet_protocol::{ProtocolError, RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::{not_supported, ConnCtx, Processor};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use crate::BrokerInner;
pub(crate) use rocklet_protocol::time::now_ms;

mod admin;
mod client_manage;
mod consumer_manage;
mod end_transaction;
mod pull;
mod query;
mod reply;
mod send;

pub(crate) use send::{store_error_code, store_error_remark};

pub(crate) type B = Arc<BrokerInner>;
pub(crate) type Res = Result<RemotingCommand, ProtocolError>;
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a request code is answered.
pub(crate) enum Handler {
    /// From what the broker holds now; an `Err` (a malformed header or body) becomes a
    /// SYSTEM_ERROR response with the decoder's reason, as Java's processors answer.
    Sync(fn(&B, &ConnCtx, &RemotingCommand) -> Res),
    /// Takes the request; `None` when the handler answers later through the connection (long
    /// polling, group commit) or the request is oneway.
    Owned(fn(&B, &ConnCtx, RemotingCommand) -> Option<RemotingCommand>),
    /// Awaits something first (name-server registration, a store append, a client's answer);
    /// `None`: no answer at all (Java returns `null` from the processor).
    Async(for<'a> fn(&'a B, &'a ConnCtx, &'a RemotingCommand) -> BoxFuture<'a, Option<Res>>),
}

/// Every request code the broker answers, and its handler. The codes Java's 4.9.3 broker
/// registers but Rocklet does not answer are listed, with the reason, in `docs/differences.md`.
#[rustfmt::skip]
pub(crate) static TABLE: &[(RequestCode, Handler)] = &[
    // SendMessageProcessor
    (RequestCode::SEND_MESSAGE, Handler::Owned(send::send_message)),
    (RequestCode::SEND_MESSAGE_V2, Handler::Owned(send::send_message)),
    (RequestCode::SEND_BATCH_MESSAGE, Handler::Owned(send::send_message)),
    (RequestCode::CONSUMER_SEND_MSG_BACK, Handler::Async(send::send_msg_back)),
    // ReplyMessageProcessor
    (RequestCode::SEND_REPLY_MESSAGE, Handler::Async(reply::send_reply)),
    (RequestCode::SEND_REPLY_MESSAGE_V2, Handler::Async(reply::send_reply)),
    // PullMessageProcessor
    (RequestCode::PULL_MESSAGE, Handler::Owned(pull::pull_message)),
    // QueryMessageProcessor
    (RequestCode::QUERY_MESSAGE, Handler::Sync(query::query_message)),
    (RequestCode::VIEW_MESSAGE_BY_ID, Handler::Sync(query::view_message_by_id)),
    // ClientManageProcessor
    (RequestCode::HEART_BEAT, Handler::Sync(client_manage::heartbeat)),
    (RequestCode::UNREGISTER_CLIENT, Handler::Sync(client_manage::unregister_client)),
    (RequestCode::CHECK_CLIENT_CONFIG, Handler::Sync(client_manage::check_client_config)),
    // ConsumerManageProcessor
    (RequestCode::GET_CONSUMER_LIST_BY_GROUP, Handler::Sync(consumer_manage::consumer_list)),
    (RequestCode::QUERY_CONSUMER_OFFSET, Handler::Sync(consumer_manage::query_consumer_offset)),
    (RequestCode::UPDATE_CONSUMER_OFFSET, Handler::Sync(consumer_manage::update_consumer_offset)),
    // EndTransactionProcessor
    (RequestCode::END_TRANSACTION, Handler::Async(end_transaction::end_transaction)),
    // AdminBrokerProcessor: topics
    (RequestCode::UPDATE_AND_CREATE_TOPIC, Handler::Async(admin::topics::create)),
    (RequestCode::DELETE_TOPIC_IN_BROKER, Handler::Sync(admin::topics::delete)),
    (RequestCode::GET_ALL_TOPIC_CONFIG, Handler::Sync(admin::topics::all_config)),
    (RequestCode::GET_TOPIC_CONFIG, Handler::Sync(admin::topics::config)),
    (RequestCode::GET_TOPIC_STATS_INFO, Handler::Sync(admin::topics::stats)),
    (RequestCode::GET_SYSTEM_TOPIC_LIST_FROM_BROKER, Handler::Sync(admin::topics::system_topics)),
    (RequestCode::CLEAN_EXPIRED_CONSUMEQUEUE, Handler::Sync(admin::topics::clean_expired_cq)),
    (RequestCode::CLEAN_UNUSED_TOPIC, Handler::Sync(admin::topics::clean_unused_topic)),
    (RequestCode::QUERY_CONSUME_QUEUE, Handler::Sync(admin::topics::query_consume_queue)),
    // AdminBrokerProcessor: queue offsets and times, locks
    (RequestCode::GET_MAX_OFFSET, Handler::Sync(admin::max_offset)),
    (RequestCode::GET_MIN_OFFSET, Handler::Sync(admin::min_offset)),
    (RequestCode::GET_EARLIEST_MSG_STORETIME, Handler::Sync(admin::earliest_msg_store_time)),
    (RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, Handler::Sync(admin::search_offset_by_timestamp)),
    (RequestCode::LOCK_BATCH_MQ, Handler::Sync(admin::lock_batch)),
    (RequestCode::UNLOCK_BATCH_MQ, Handler::Sync(admin::unlock_batch)),
    (RequestCode::RESUME_CHECK_HALF_MESSAGE, Handler::Async(admin::resume_check_half_message)),
    // AdminBrokerProcessor: subscription groups
    (RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, Handler::Sync(admin::groups::update)),
    (RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG, Handler::Sync(admin::groups::all)),
    (RequestCode::DELETE_SUBSCRIPTIONGROUP, Handler::Sync(admin::groups::delete)),
    // AdminBrokerProcessor: consumers and producers
    (RequestCode::GET_CONSUMER_CONNECTION_LIST, Handler::Sync(admin::consumers::consumer_connection)),
    (RequestCode::GET_PRODUCER_CONNECTION_LIST, Handler::Sync(admin::consumers::producer_connection)),
    (RequestCode::GET_CONSUME_STATS, Handler::Sync(admin::consumers::consume_stats_of_group)),
    (RequestCode::GET_BROKER_CONSUME_STATS, Handler::Sync(admin::consumers::broker_consume_stats)),
    (RequestCode::QUERY_TOPIC_CONSUME_BY_WHO, Handler::Sync(admin::consumers::consumed_by_who)),
    (RequestCode::QUERY_CONSUME_TIME_SPAN, Handler::Sync(admin::consumers::consume_time_span)),
    (RequestCode::CLONE_GROUP_OFFSET, Handler::Sync(admin::consumers::clone_group_offset)),
    // AdminBrokerProcessor: requests carried to clients
    (RequestCode::INVOKE_BROKER_TO_RESET_OFFSET, Handler::Async(admin::clients::reset_offset)),
    (RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS, Handler::Async(admin::clients::consumer_status)),
    (RequestCode::GET_CONSUMER_RUNNING_INFO, Handler::Async(admin::clients::running_info)),
    (RequestCode::CONSUME_MESSAGE_DIRECTLY, Handler::Async(admin::clients::consume_directly)),
    // AdminBrokerProcessor: configuration, runtime information and statistics
    (RequestCode::GET_BROKER_CONFIG, Handler::Sync(admin::config::get)),
    (RequestCode::UPDATE_BROKER_CONFIG, Handler::Sync(admin::config::update)),
    (RequestCode::GET_BROKER_RUNTIME_INFO, Handler::Sync(admin::runtime::runtime_info)),
    (RequestCode::VIEW_BROKER_STATS_DATA, Handler::Sync(admin::runtime::view_stats)),
    (RequestCode::GET_ALL_CONSUMER_OFFSET, Handler::Sync(admin::runtime::all_consumer_offsets)),
    (RequestCode::GET_ALL_DELAY_OFFSET, Handler::Sync(admin::runtime::all_delay_offsets)),
    // AdminBrokerProcessor: plain ACL
    (RequestCode::UPDATE_AND_CREATE_ACL_CONFIG, Handler::Sync(admin::acl::update_and_create)),
    (RequestCode::DELETE_ACL_CONFIG, Handler::Sync(admin::acl::delete)),
    (RequestCode::GET_BROKER_CLUSTER_ACL_INFO, Handler::Sync(admin::acl::version_info)),
    (RequestCode::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, Handler::Sync(admin::acl::update_global_white)),
    (RequestCode::GET_BROKER_CLUSTER_ACL_CONFIG, Handler::Sync(admin::acl::all_config)),
];

/// The codes in [`TABLE`], in table order.
pub fn handled_codes() -> Vec<RequestCode> {
    TABLE.iter().map(|(c, _)| *c).collect()
}

/// Highest code the index covers (the 5.x `GET_TOPIC_CONFIG` is 351).
const INDEX_LEN: usize = 512;

/// Code -> position in [`TABLE`] (`u8::MAX`: none), built once: a lookup per request without
/// hashing or a scan.
fn index() -> &'static [u8; INDEX_LEN] {
    static INDEX: OnceLock<[u8; INDEX_LEN]> = OnceLock::new();
    INDEX.get_or_init(|| {
        assert!(TABLE.len() < u8::MAX as usize);
        let mut ix = [u8::MAX; INDEX_LEN];
        for (i, (code, _)) in TABLE.iter().enumerate() {
            let c = usize::try_from(code.as_i32()).expect("request codes are positive");
            assert_eq!(ix[c], u8::MAX, "{code} is in the table twice");
            ix[c] = i as u8;
        }
        ix
    })
}

fn handler_of(code: i32) -> Option<&'static Handler> {
    let i = *index().get(usize::try_from(code).ok()?)?;
    TABLE.get(i as usize).map(|(_, h)| h)
}

pub(crate) struct BrokerProcessor {
    b: B,
    /// The fast (VIP) port: everything but PULL_MESSAGE, as Java registers it.
    fast: bool,
}

impl BrokerProcessor {
    pub(crate) fn new(b: B, fast: bool) -> Self {
        BrokerProcessor { b, fast }
    }
}

/// `s` cut to at most `max` bytes (on a character boundary), with `...` when cut.
fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end]).into()
}

impl Processor for BrokerProcessor {
    async fn process(&self, ctx: &ConnCtx, req: RemotingCommand) -> Option<RemotingCommand> {
        // Java's ACL RPC hook runs before any processor (the default one included).
        if let Some(acl) = &self.b.acl {
            if let Err(e) = acl.check(&req, ctx.peer.ip()) {
                // Clipped: a client may send a key of any size, the log line stays short.
                let account = req
                    .ext_fields
                    .get(rocklet_protocol::acl::ACCESS_KEY)
                    .unwrap_or("");
                tracing::warn!(
                    account = %clip(account, 128),
                    code = req.code,
                    peer = %ctx.peer,
                    reason = %clip(&e.to_string(), 256),
                    "ACL refused the request"
                );
                if req.is_oneway() {
                    return None;
                }
                return Some(RemotingCommand::response_to(
                    &req,
                    ResponseCode::SYSTEM_ERROR,
                    Some(e.remark()),
                ));
            }
        }
        let handler = handler_of(req.code)
            .filter(|_| !(self.fast && req.code == RequestCode::PULL_MESSAGE.as_i32()));
        let Some(handler) = handler else {
            tracing::warn!(code = req.code, peer = %ctx.peer, "request code not supported");
            return Some(not_supported(&req));
        };
        let result = match handler {
            Handler::Owned(f) => return f(&self.b, ctx, req),
            Handler::Sync(f) => f(&self.b, ctx, &req),
            Handler::Async(f) => f(&self.b, ctx, &req).await?,
        };
        Some(answer(ctx, &req, result))
    }

    fn connection_closed(&self, peer: SocketAddr) {
        self.b.hold.connection_closed(peer);
        for g in self.b.clients.connection_closed(peer) {
            if self.b.clients.consumer_connection(&g).is_none() {
                self.b.filters.unregister_group(&g);
            }
            self.b.clients.notify_consumer_ids_changed(&g);
        }
    }
}

/// The long-polling task: runs held pulls again when woken or when their wait ends.
pub(crate) async fn hold_loop(b: B, stop: tokio::sync::watch::Receiver<bool>) {
    let hold = b.hold.clone();
    let b2 = b.clone();
    hold.run_loop(
        move |h: crate::hold::Held| {
            if h.ctx.is_closed() {
                return;
            }
            let b = b2.clone();
            tokio::spawn(async move {
                if let Some(resp) = pull::pull_again(&b, &h.ctx, h.req) {
                    let _ = h.ctx.send(&resp).await;
                }
            });
        },
        stop,
    )
    .await;
}

/// A handler's result as the response: a decode error is SYSTEM_ERROR with its reason. Refused
/// requests are logged with their code and peer.
fn answer(ctx: &ConnCtx, req: &RemotingCommand, result: Res) -> RemotingCommand {
    let resp = match result {
        Ok(r) => r,
        Err(e) => fail(req, ResponseCode::SYSTEM_ERROR, e.to_string()),
    };
    if resp.code == ResponseCode::SYSTEM_ERROR.as_i32()
        || resp.code == ResponseCode::NO_PERMISSION.as_i32()
    {
        tracing::warn!(
            code = req.code,
            peer = %ctx.peer,
            response = resp.code,
            remark = resp.remark.as_deref().unwrap_or(""),
            "request refused"
        );
    }
    resp
}

pub(crate) fn ok(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(req, ResponseCode::SUCCESS, None)
}

pub(crate) fn fail(
    req: &RemotingCommand,
    code: ResponseCode,
    remark: impl Into<String>,
) -> RemotingCommand {
    RemotingCommand::response_to(req, code, Some(remark.into()))
}

/// [`fail`], boxed for `Result` errors (the rare path; a `RemotingCommand` is 128 bytes).
pub(crate) fn boxed_fail(
    req: &RemotingCommand,
    code: ResponseCode,
    remark: impl Into<String>,
) -> Box<RemotingCommand> {
    Box::new(fail(req, code, remark))
}

/// One body from stored records (a pull or query answer).
pub(crate) fn concat(parts: &[bytes::Bytes]) -> bytes::Bytes {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let mut b = bytes::BytesMut::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        b.extend_from_slice(p);
    }
    b.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_table_has_one_handler() {
        for (code, _) in TABLE {
            let found = handler_of(code.as_i32()).map(|h| h as *const Handler);
            let entry = TABLE
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, h)| h as *const _);
            assert_eq!(found, entry, "{code}");
        }
        assert!(handler_of(-1).is_none());
        assert!(handler_of(99_999).is_none());
        assert!(handler_of(RequestCode::REGISTER_BROKER.as_i32()).is_none());
    }
}
