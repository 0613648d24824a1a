//! Request-reply (Java `DefaultMQProducer.request`, `RequestFutureHolder`, `MessageUtil`): a
//! request is an ordinary message carrying a correlation id, the requester's client id and a
//! time to live; the responder sends its reply (made with [`create_reply_message`]) to the
//! cluster's reply topic with SEND_REPLY_MESSAGE_V2, and the broker pushes it back to the
//! requester (PUSH_REPLY_MESSAGE_TO_CLIENT), where it completes the waiting request.

use bytes::Bytes;
use parking_lot::Mutex;
use rocklet_protocol::header::ReplyMessageRequestHeader;
use rocklet_protocol::message::{property, Properties};
use rocklet_protocol::{RemotingCommand, ResponseCode};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

use crate::error::ClientError;
use crate::message::Message;

/// `MixAll.REPLY_MESSAGE_FLAG`: the `MSG_TYPE` of a reply.
pub const REPLY_MESSAGE_FLAG: &str = "reply";
/// `MixAll.REPLY_TOPIC_POSTFIX`.
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";

/// Requests waiting for their reply, by correlation id (process-wide, as Java's holder).
fn waiting() -> &'static Mutex<HashMap<String, oneshot::Sender<Message>>> {
    static W: OnceLock<Mutex<HashMap<String, oneshot::Sender<Message>>>> = OnceLock::new();
    W.get_or_init(Default::default)
}

/// A random correlation id in UUID form (Java `CorrelationIdUtil`: `UUID.randomUUID()`).
fn correlation_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        8 | (b[8] & 0x3),
        &h[17..20],
        &h[20..32]
    )
}

/// A request in flight; dropping it forgets the request.
pub(crate) struct PendingRequest {
    id: String,
    rx: oneshot::Receiver<Message>,
}

impl Drop for PendingRequest {
    fn drop(&mut self) {
        waiting().lock().remove(&self.id);
    }
}

impl PendingRequest {
    /// The reply, or a timeout error worded as Java's `RequestTimeoutException`.
    pub(crate) async fn reply(
        mut self,
        topic: &str,
        timeout: Duration,
    ) -> Result<Message, ClientError> {
        match tokio::time::timeout(timeout, &mut self.rx).await {
            Ok(Ok(m)) => Ok(m),
            _ => Err(ClientError::client(
                -1,
                format!(
                    "send request message to <{topic}> OK, but wait reply message timeout, {} ms.",
                    timeout.as_millis()
                ),
            )),
        }
    }
}

/// Mark `msg` as a request from `client_id` living `ttl` (`MessageUtil`/`prepareSendRequest`)
/// and register its waiter.
pub(crate) fn prepare(msg: &mut Message, client_id: &str, ttl: Duration) -> PendingRequest {
    let id = correlation_id();
    msg.properties.insert(property::CORRELATION_ID, id.clone());
    msg.properties.insert(property::REPLY_TO_CLIENT, client_id);
    msg.properties
        .insert(property::MESSAGE_TTL, ttl.as_millis().to_string());
    let (tx, rx) = oneshot::channel();
    waiting().lock().insert(id.clone(), tx);
    PendingRequest { id, rx }
}

/// Java `MessageUtil.createReplyMessage`: the reply to `request` with `body`, addressed to the
/// request's cluster's reply topic; `None` when `request` is not a request (no `CLUSTER`).
pub fn create_reply_message(request: &Properties, body: impl Into<Bytes>) -> Option<Message> {
    let cluster = request.get(property::CLUSTER)?;
    let mut reply = Message::new(format!("{cluster}_{REPLY_TOPIC_POSTFIX}"), body);
    reply
        .properties
        .insert(property::MESSAGE_TYPE, REPLY_MESSAGE_FLAG);
    for key in [
        property::CORRELATION_ID,
        property::REPLY_TO_CLIENT,
        property::MESSAGE_TTL,
    ] {
        if let Some(v) = request.get(key) {
            reply.properties.insert(key, v);
        }
    }
    Some(reply)
}

/// Whether a message is a reply (sent with SEND_REPLY_MESSAGE_V2).
pub(crate) fn is_reply(properties: &str) -> bool {
    Properties::decode(properties).get(property::MESSAGE_TYPE) == Some(REPLY_MESSAGE_FLAG)
}

/// PUSH_REPLY_MESSAGE_TO_CLIENT (`ClientRemotingProcessor.receiveReplyMessage`): complete the
/// request the reply answers and acknowledge it to the broker.
pub(crate) fn receive_reply(cmd: RemotingCommand, reply: mpsc::Sender<Bytes>) {
    let answer = match cmd.header::<ReplyMessageRequestHeader>() {
        Ok(h) => {
            let properties = Properties::decode(h.properties.as_deref().unwrap_or(""));
            let id = properties.get(property::CORRELATION_ID).map(str::to_owned);
            let msg = Message {
                topic: h.topic,
                flag: h.flag,
                properties,
                body: cmd.body.clone().unwrap_or_default(),
                transaction_id: None,
            };
            match id.and_then(|id| waiting().lock().remove(&id)) {
                Some(tx) => {
                    let _ = tx.send(msg);
                }
                None => tracing::warn!("reply for an unknown or expired request dropped"),
            }
            RemotingCommand::response_to(&cmd, ResponseCode::SUCCESS, None)
        }
        Err(e) => RemotingCommand::response_to(
            &cmd,
            ResponseCode::SYSTEM_ERROR,
            Some(format!("process reply message fail: {e}")),
        ),
    };
    let _ = reply.try_send(answer.encode_to_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_look_like_uuids() {
        let a = correlation_id();
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, correlation_id());
    }

    #[test]
    fn reply_message_addresses_the_cluster_reply_topic() {
        let mut req = Message::new("T", "q");
        let _pending = prepare(&mut req, "client-1", Duration::from_secs(3));
        req.properties.insert(property::CLUSTER, "DefaultCluster");
        let reply = create_reply_message(&req.properties, "a").unwrap();
        assert_eq!(reply.topic, "DefaultCluster_REPLY_TOPIC");
        assert_eq!(
            reply.properties.get(property::REPLY_TO_CLIENT),
            Some("client-1")
        );
        assert_eq!(reply.properties.get(property::MESSAGE_TTL), Some("3000"));
        assert!(is_reply(&reply.properties.encode()));
        assert!(create_reply_message(&Properties::default(), "a").is_none());
    }
}
