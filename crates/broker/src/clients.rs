//! Producers and consumers known from heartbeats (`ProducerManager`, `ConsumerManager`).

use bytes::Bytes;
use parking_lot::RwLock;
use rocklet_protocol::body::{ConsumerData, SubscriptionData};
use rocklet_protocol::header::CommandHeader;
use rocklet_protocol::{RemotingCommand, RequestCode};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::sync::mpsc;

pub struct ClientChannel {
    pub client_id: String,
    pub peer: SocketAddr,
    pub tx: mpsc::Sender<Bytes>,
    pub last_update: Instant,
}

#[derive(Default)]
pub struct ConsumerGroupInfo {
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    pub clients: BTreeMap<String, ClientChannel>,
    pub consume_type: Option<String>,
    pub message_model: Option<String>,
    pub consume_from_where: Option<String>,
}

#[derive(Default)]
pub struct ClientManager {
    producers: RwLock<HashMap<String, BTreeMap<String, ClientChannel>>>,
    consumers: RwLock<HashMap<String, ConsumerGroupInfo>>,
}

/// Header of NOTIFY_CONSUMER_IDS_CHANGED.
struct NotifyHeader<'a>(&'a str);
impl CommandHeader for NotifyHeader<'_> {
    fn write(&self, ext: &mut rocklet_protocol::ExtFields) {
        ext.insert("consumerGroup", self.0);
    }
    fn read(_: &rocklet_protocol::ExtFields) -> Result<Self, rocklet_protocol::ProtocolError> {
        Err(rocklet_protocol::ProtocolError::MissingField(
            "consumerGroup",
        ))
    }
}

impl ClientManager {
    pub fn register_producer(
        &self,
        group: &str,
        client_id: &str,
        peer: SocketAddr,
        tx: mpsc::Sender<Bytes>,
    ) {
        let ch = ClientChannel {
            client_id: client_id.to_owned(),
            peer,
            tx,
            last_update: Instant::now(),
        };
        self.producers
            .write()
            .entry(group.to_owned())
            .or_default()
            .insert(client_id.to_owned(), ch);
    }

    /// Register a consumer; returns true when the group's membership changed.
    pub fn register_consumer(
        &self,
        data: &ConsumerData,
        client_id: &str,
        peer: SocketAddr,
        tx: mpsc::Sender<Bytes>,
    ) -> bool {
        let mut c = self.consumers.write();
        let g = c.entry(data.group_name.clone()).or_default();
        g.consume_type = data.consume_type.clone();
        g.message_model = data.message_model.clone();
        g.consume_from_where = data.consume_from_where.clone();
        for s in &data.subscription_data_set {
            g.subscriptions.insert(s.topic.clone(), s.clone());
        }
        g.subscriptions
            .retain(|t, _| data.subscription_data_set.iter().any(|s| &s.topic == t));
        let ch = ClientChannel {
            client_id: client_id.to_owned(),
            peer,
            tx,
            last_update: Instant::now(),
        };
        g.clients.insert(client_id.to_owned(), ch).is_none()
    }

    pub fn unregister(
        &self,
        client_id: &str,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) -> bool {
        if let Some(g) = producer_group {
            if let Some(m) = self.producers.write().get_mut(g) {
                m.remove(client_id);
            }
        }
        let mut changed = false;
        if let Some(g) = consumer_group {
            if let Some(info) = self.consumers.write().get_mut(g) {
                changed = info.clients.remove(client_id).is_some();
            }
        }
        changed
    }

    /// Forget every client on a closed connection; returns the consumer groups that changed.
    pub fn connection_closed(&self, peer: SocketAddr) -> Vec<String> {
        for m in self.producers.write().values_mut() {
            m.retain(|_, c| c.peer != peer);
        }
        let mut changed = Vec::new();
        for (g, info) in self.consumers.write().iter_mut() {
            let before = info.clients.len();
            info.clients.retain(|_, c| c.peer != peer);
            if info.clients.len() != before {
                changed.push(g.clone());
            }
        }
        changed
    }

    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.consumers
            .read()
            .get(group)
            .map(|g| g.clients.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn subscription(&self, group: &str, topic: &str) -> Option<Option<SubscriptionData>> {
        self.consumers
            .read()
            .get(group)
            .map(|g| g.subscriptions.get(topic).cloned())
    }

    /// A live producer channel of `group`, for transaction check-backs.
    pub fn producer_channel(&self, group: &str) -> Option<mpsc::Sender<Bytes>> {
        self.producers
            .read()
            .get(group)
            .and_then(|m| m.values().find(|c| !c.tx.is_closed()).map(|c| c.tx.clone()))
    }

    /// Tell every consumer of `group` that membership changed (NOTIFY_CONSUMER_IDS_CHANGED, oneway).
    pub fn notify_consumer_ids_changed(&self, group: &str) {
        let txs: Vec<_> = self
            .consumers
            .read()
            .get(group)
            .map(|g| g.clients.values().map(|c| c.tx.clone()).collect())
            .unwrap_or_default();
        if txs.is_empty() {
            return;
        }
        let mut cmd = RemotingCommand::request(
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
            &NotifyHeader(group),
        );
        cmd.mark_oneway();
        let frame = cmd.encode_to_bytes();
        for tx in txs {
            let _ = tx.try_send(frame.clone());
        }
    }
}
