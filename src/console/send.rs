//! Sending from the console: a `DefaultMQProducer` of group `rocklet_console_producer`, started
//! on the first send and shut down with the console, sends what the send form asks for and
//! re-sends dead letters.
//!
//! A dead letter is re-sent to the topic it came from (its `RETRY_TOPIC` property, which the
//! broker sets when the message is first sent back, else `REAL_TOPIC`) with its body, tags, keys
//! and user properties; it gets a new msgId, and every group subscribed to that topic receives
//! it again. (The dashboard instead hands the message to one live consumer of the group with
//! CONSUME_MESSAGE_DIRECTLY, which needs the group online; a re-send works when it is not, and
//! is what `mqadmin sendMessage` would do with the same fields.)

use rocklet_client::client_error_code::NOT_FOUND_TOPIC_EXCEPTION;
use rocklet_client::{
    ClientConfig, ClientError, DefaultMQProducer, MQAdmin, Message, ProducerConfig, SendResult,
};
use rocklet_protocol::message::property;
use rocklet_protocol::ResponseCode;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::api::{check_topic, ConsoleError, Result};
use super::messages::{find, original_topic};

/// The console's producer group.
pub const PRODUCER_GROUP: &str = "rocklet_console_producer";

/// The console's producer, started lazily once.
pub struct Sender {
    cfg: ProducerConfig,
    producer: OnceCell<DefaultMQProducer>,
}

impl Sender {
    pub fn new(client: ClientConfig) -> Self {
        let mut cfg = ProducerConfig::new(PRODUCER_GROUP);
        cfg.client = client;
        Sender {
            cfg,
            producer: OnceCell::new(),
        }
    }

    async fn producer(&self) -> Result<&DefaultMQProducer> {
        self.producer
            .get_or_try_init(|| async {
                let p = DefaultMQProducer::new(self.cfg.clone());
                p.start().await?;
                Ok::<_, ConsoleError>(p)
            })
            .await
    }

    /// The started producer, to be shut down with the console.
    pub fn started(&self) -> Option<DefaultMQProducer> {
        self.producer.get().cloned()
    }

    /// Sends `msg`; then the brokers that just became known hear from the producer at once,
    /// so the producers page lists the console's own producer without waiting 30 s.
    async fn send(&self, msg: Message) -> Result<SendResult> {
        let p = self.producer().await?;
        let r = p.send(msg).await.map_err(send_error)?;
        let _ = p.heartbeat_new_brokers().await;
        Ok(r)
    }
}

/// A refusal of the producer's own checks is the request's fault (400), a topic with no route
/// 404; the rest as any admin error.
fn send_error(e: ClientError) -> ConsoleError {
    match &e {
        ClientError::Client { code, .. } if *code == ResponseCode::MESSAGE_ILLEGAL.as_i32() => {
            ConsoleError::BadRequest(e.to_string())
        }
        ClientError::Client { code, .. } if *code == NOT_FOUND_TOPIC_EXCEPTION => {
            ConsoleError::NotFound(e.to_string())
        }
        _ => e.into(),
    }
}

/// What the send form or `POST /api/send` asks for.
#[derive(Debug, Clone, Deserialize)]
pub struct SendRequest {
    pub topic: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub keys: Option<String>,
    pub body: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendView {
    pub topic: String,
    pub msg_id: String,
    pub offset_msg_id: Option<String>,
    /// `SEND_OK`, `FLUSH_DISK_TIMEOUT`, `FLUSH_SLAVE_TIMEOUT` or `SLAVE_NOT_AVAILABLE`.
    pub status: String,
    pub broker_name: String,
    pub queue_id: i32,
    pub queue_offset: i64,
}

fn send_view(r: SendResult) -> SendView {
    SendView {
        topic: r.message_queue.topic.clone(),
        msg_id: r.msg_id,
        offset_msg_id: Some(r.offset_msg_id).filter(|o| !o.is_empty()),
        status: format!("{:?}", r.send_status),
        broker_name: r.message_queue.broker_name,
        queue_id: r.message_queue.queue_id,
        queue_offset: r.queue_offset,
    }
}

fn non_blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Sends one message (`DefaultMQProducer.send`, synchronous).
pub async fn send(sender: &Sender, req: &SendRequest) -> Result<SendView> {
    let topic = req.topic.trim();
    check_topic(topic)?;
    if req.body.is_empty() {
        return Err(ConsoleError::BadRequest(
            "the message body length is zero".into(),
        ));
    }
    let mut msg = Message::new(topic, req.body.clone().into_bytes());
    if let Some(t) = non_blank(&req.tag) {
        msg.set_tags(t);
    }
    if let Some(k) = non_blank(&req.keys) {
        msg.set_keys(k.split_whitespace());
    }
    Ok(send_view(sender.send(msg).await?))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResendView {
    pub group: String,
    /// The dead letter's msgId.
    pub dlq_msg_id: String,
    #[serde(flatten)]
    pub sent: SendView,
}

/// Re-sends the dead letter `id` of `group` to its original topic (see the module doc).
pub async fn resend(admin: &MQAdmin, sender: &Sender, group: &str, id: &str) -> Result<ResendView> {
    rocklet_client::validators::check_group(group)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    let id = id.trim();
    if id.is_empty() {
        return Err(ConsoleError::BadRequest("the message id is blank".into()));
    }
    let dlq = format!("%DLQ%{group}");
    let m = find(admin, &dlq, id).await?;
    let Some(topic) = original_topic(&m) else {
        return Err(ConsoleError::BadRequest(format!(
            "the dead letter [{id}] names no original topic (no RETRY_TOPIC or REAL_TOPIC property)"
        )));
    };
    let body = m
        .body()
        .map_err(|e| ConsoleError::Admin(ClientError::Protocol(e)))?;
    let mut msg = Message::new(topic, body);
    for (k, v) in m.properties.iter() {
        if k == property::TAGS || k == property::KEYS || !property::is_system(k) {
            msg.properties.insert(k, v);
        }
    }
    msg.flag = m.flag;
    let sent = send_view(sender.send(msg).await?);
    Ok(ResendView {
        group: group.to_owned(),
        dlq_msg_id: id.to_owned(),
        sent,
    })
}
