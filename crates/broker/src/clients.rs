//! Producers and consumers known from heartbeats (`ProducerManager`, `ConsumerManager`).

use parking_lot::RwLock;
use rocklet_protocol::body::{
    Connection, ConsumerConnection, ConsumerData, ProducerConnection, SubscriptionData,
};
use rocklet_protocol::header::CommandHeader;
use rocklet_protocol::{LanguageCode, RemotingCommand, RequestCode};
use rocklet_remoting::ConnCtx;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

pub struct ClientChannel {
    pub client_id: String,
    pub peer: SocketAddr,
    /// The client's connection: to push to it, or to ask it something and await the answer.
    pub ctx: ConnCtx,
    /// `language` and `version` of its last heartbeat (shown in connection lists).
    pub language: LanguageCode,
    pub version: i32,
    pub last_update: Instant,
}

/// Who sent a heartbeat, and on which connection.
pub struct ClientHello<'a> {
    pub client_id: &'a str,
    pub ctx: &'a ConnCtx,
    pub language: LanguageCode,
    pub version: i32,
}

impl ClientHello<'_> {
    fn channel(&self) -> ClientChannel {
        ClientChannel {
            client_id: self.client_id.to_owned(),
            peer: self.ctx.peer,
            ctx: self.ctx.clone(),
            language: self.language,
            version: self.version,
            last_update: Instant::now(),
        }
    }
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

fn connection(c: &ClientChannel) -> Connection {
    Connection {
        client_addr: c.peer.to_string(),
        client_id: c.client_id.clone(),
        language: c.language.name().to_owned(),
        version: c.version,
    }
}

impl ClientManager {
    pub fn register_producer(&self, group: &str, hello: &ClientHello<'_>) {
        self.producers
            .write()
            .entry(group.to_owned())
            .or_default()
            .insert(hello.client_id.to_owned(), hello.channel());
    }

    /// Register a consumer; returns true when the group's membership changed.
    pub fn register_consumer(&self, data: &ConsumerData, hello: &ClientHello<'_>) -> bool {
        let mut c = self.consumers.write();
        let g = c.entry(data.group_name.clone()).or_default();
        g.consume_type = data.consume_type.clone();
        g.message_model = data.message_model.clone();
        g.consume_from_where = data.consume_from_where.clone();
        // Java `updateSubscription`: a topic's subscription is replaced only by a newer
        // subVersion (a stale heartbeat does not undo a change).
        for s in &data.subscription_data_set {
            match g.subscriptions.get(&s.topic) {
                Some(old) if s.sub_version <= old.sub_version => {}
                _ => {
                    g.subscriptions.insert(s.topic.clone(), s.clone());
                }
            }
        }
        g.subscriptions
            .retain(|t, _| data.subscription_data_set.iter().any(|s| &s.topic == t));
        g.clients
            .insert(hello.client_id.to_owned(), hello.channel())
            .is_none()
    }

    /// UNREGISTER_CLIENT; true when a consumer group's membership changed. A group left with
    /// no client is forgotten, as Java's managers forget it.
    pub fn unregister(
        &self,
        client_id: &str,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) -> bool {
        if let Some(g) = producer_group {
            let mut p = self.producers.write();
            if let Some(m) = p.get_mut(g) {
                m.remove(client_id);
                if m.is_empty() {
                    p.remove(g);
                }
            }
        }
        let mut changed = false;
        if let Some(g) = consumer_group {
            let mut c = self.consumers.write();
            if let Some(info) = c.get_mut(g) {
                changed = info.clients.remove(client_id).is_some();
                if info.clients.is_empty() {
                    c.remove(g);
                }
            }
        }
        changed
    }

    /// Forget every client on a closed connection (and every group left empty); returns the
    /// consumer groups that changed.
    pub fn connection_closed(&self, peer: SocketAddr) -> Vec<String> {
        {
            let mut p = self.producers.write();
            for m in p.values_mut() {
                m.retain(|_, c| c.peer != peer);
            }
            p.retain(|_, m| !m.is_empty());
        }
        let mut changed = Vec::new();
        let mut c = self.consumers.write();
        for (g, info) in c.iter_mut() {
            let before = info.clients.len();
            info.clients.retain(|_, c| c.peer != peer);
            if info.clients.len() != before {
                changed.push(g.clone());
            }
        }
        c.retain(|_, info| !info.clients.is_empty());
        changed
    }

    /// GET_CONSUMER_CONNECTION_LIST: the group's live members and what they subscribe;
    /// `None` when the group is not online.
    pub fn consumer_connection(&self, group: &str) -> Option<ConsumerConnection> {
        let c = self.consumers.read();
        let g = c.get(group)?;
        Some(ConsumerConnection {
            connection_set: g.clients.values().map(connection).collect(),
            consume_from_where: g.consume_from_where.clone(),
            consume_type: g.consume_type.clone(),
            message_model: g.message_model.clone(),
            subscription_table: g.subscriptions.clone().into_iter().collect(),
        })
    }

    /// GET_PRODUCER_CONNECTION_LIST; `None` when no producer of the group ever connected.
    pub fn producer_connection(&self, group: &str) -> Option<ProducerConnection> {
        let p = self.producers.read();
        let g = p.get(group)?;
        Some(ProducerConnection {
            connection_set: g.values().map(connection).collect(),
        })
    }

    /// Online groups whose subscriptions include `topic` (`queryTopicConsumeByWho`).
    pub fn groups_consuming(&self, topic: &str) -> Vec<String> {
        self.consumers
            .read()
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Java's consume-stats rule: a group that is online with subscriptions, none of them to
    /// `topic`, is not reported for it.
    pub fn online_elsewhere(&self, group: &str, topic: &str) -> bool {
        self.consumers
            .read()
            .get(group)
            .is_some_and(|g| !g.subscriptions.is_empty() && !g.subscriptions.contains_key(topic))
    }

    /// A live member of `group` by client id: its connection and client version.
    pub fn consumer_channel(&self, group: &str, client_id: &str) -> Option<(ConnCtx, i32)> {
        self.consumers
            .read()
            .get(group)?
            .clients
            .get(client_id)
            .map(|c| (c.ctx.clone(), c.version))
    }

    /// Every live member of `group`: (client id, connection, version); `None` when the group is
    /// not online.
    pub fn consumer_channels(&self, group: &str) -> Option<Vec<(String, ConnCtx, i32)>> {
        self.consumers.read().get(group).map(|g| {
            g.clients
                .values()
                .map(|c| (c.client_id.clone(), c.ctx.clone(), c.version))
                .collect()
        })
    }

    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.consumers
            .read()
            .get(group)
            .map(|g| g.clients.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Every online consumer group: its client count and whether it consumes BROADCASTING.
    pub fn online_groups(&self) -> Vec<(String, usize, bool)> {
        self.consumers
            .read()
            .iter()
            .map(|(name, g)| {
                (
                    name.clone(),
                    g.clients.len(),
                    g.message_model.as_deref() == Some("BROADCASTING"),
                )
            })
            .collect()
    }

    /// Whether the online group consumes BROADCASTING (its heartbeat's messageModel).
    pub fn is_broadcasting(&self, group: &str) -> bool {
        self.consumers
            .read()
            .get(group)
            .is_some_and(|g| g.message_model.as_deref() == Some("BROADCASTING"))
    }

    pub fn subscription(&self, group: &str, topic: &str) -> Option<Option<SubscriptionData>> {
        self.consumers
            .read()
            .get(group)
            .map(|g| g.subscriptions.get(topic).cloned())
    }

    /// The connection of the producer whose heartbeat named `client_id` (a request-reply
    /// requester), in any group.
    pub fn producer_by_client_id(&self, client_id: &str) -> Option<ConnCtx> {
        self.producers
            .read()
            .values()
            .filter_map(|m| m.get(client_id))
            .find(|c| !c.ctx.is_closed())
            .map(|c| c.ctx.clone())
    }

    /// A live producer channel of `group`, for transaction check-backs.
    pub fn producer_channel(&self, group: &str) -> Option<rocklet_remoting::FrameSender> {
        self.producers.read().get(group).and_then(|m| {
            m.values()
                .find(|c| !c.ctx.is_closed())
                .map(|c| c.ctx.sender())
        })
    }

    /// Tell every consumer of `group` that membership changed (NOTIFY_CONSUMER_IDS_CHANGED, oneway).
    pub fn notify_consumer_ids_changed(&self, group: &str) {
        let txs: Vec<_> = self
            .consumers
            .read()
            .get(group)
            .map(|g| g.clients.values().map(|c| c.ctx.sender()).collect())
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
