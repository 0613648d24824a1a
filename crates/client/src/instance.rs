//! The shared client instance (`MQClientInstance` + `MQClientAPIImpl` + `MQClientManager`): one per
//! clientId in the process, holding connections, the route cache and the broker table for every
//! producer that uses it, and running the scheduled tasks (route refresh, heartbeats, cleanup).

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use rocklet_protocol::body::{encode_json, ConsumerData, HeartbeatData, ProducerData};
use rocklet_protocol::header::{GetRouteInfoRequestHeader, UnregisterClientRequestHeader};
use rocklet_protocol::route::{perm, TopicRouteData, MASTER_ID};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::client::ClientOptions;
use rocklet_remoting::RemotingClient;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

use crate::config::{ClientConfig, CLIENT_INNER_PRODUCER_GROUP};
use crate::error::{client_error_code, faq, ClientError, FAQ_NAME_SERVER_ADDR_NOT_EXIST};
use crate::message::MessageQueue;

/// `ServiceState`: the life cycle of a producer or a client instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ServiceState {
    /// Created, not started.
    CREATE_JUST,
    /// Started; sends are accepted.
    RUNNING,
    /// Shut down; cannot be started again.
    SHUTDOWN_ALREADY,
    /// A start failed part way; cannot be started again.
    START_FAILED,
}

/// `TopicPublishInfo`: the writable queues of a topic, and the round-robin index.
#[derive(Debug)]
pub struct TopicPublishInfo {
    pub message_queue_list: Vec<MessageQueue>,
    pub route: TopicRouteData,
    send_which_queue: AtomicU32,
}

impl TopicPublishInfo {
    pub fn ok(&self) -> bool {
        !self.message_queue_list.is_empty()
    }

    /// `topicRouteData2TopicPublishInfo` (the non-ordered case): for each writable queue data
    /// whose broker has a master, queues 0..writeQueueNums, brokers in name order.
    pub fn from_route(topic: &str, route: &TopicRouteData) -> Self {
        let mut qds = route.queue_datas.clone();
        qds.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        let mut mqs = Vec::new();
        for qd in &qds {
            if !perm::is_writeable(qd.perm) {
                continue;
            }
            let has_master = route.broker_datas.iter().any(|bd| {
                bd.broker_name == qd.broker_name && bd.broker_addrs.contains_key(&MASTER_ID)
            });
            if !has_master {
                continue;
            }
            for i in 0..qd.write_queue_nums.max(0) {
                mqs.push(MessageQueue::new(topic, qd.broker_name.clone(), i));
            }
        }
        TopicPublishInfo {
            message_queue_list: mqs,
            route: route.clone(),
            send_which_queue: AtomicU32::new(rand::random::<u32>() >> 1),
        }
    }

    fn next_index(&self) -> usize {
        self.send_which_queue.fetch_add(1, Ordering::Relaxed) as usize
    }

    /// Round robin (`selectOneMessageQueue()`).
    pub fn select_one(&self) -> Option<MessageQueue> {
        if self.message_queue_list.is_empty() {
            return None;
        }
        Some(self.message_queue_list[self.next_index() % self.message_queue_list.len()].clone())
    }

    /// Round robin skipping the broker that just failed (`selectOneMessageQueue(lastBrokerName)`).
    pub fn select_avoiding(&self, last_broker: Option<&str>) -> Option<MessageQueue> {
        let Some(last) = last_broker else {
            return self.select_one();
        };
        let n = self.message_queue_list.len();
        for _ in 0..n {
            let mq = &self.message_queue_list[self.next_index() % n];
            if mq.broker_name != last {
                return Some(mq.clone());
            }
        }
        self.select_one()
    }

    /// A queue id on `broker` for the fault strategy's fallback.
    pub fn write_queue_nums_of(&self, broker: &str) -> i32 {
        self.route
            .queue_datas
            .iter()
            .find(|q| q.broker_name == broker)
            .map(|q| q.write_queue_nums)
            .unwrap_or(-1)
    }
    pub fn next_raw(&self) -> u32 {
        self.send_which_queue.fetch_add(1, Ordering::Relaxed)
    }
}

/// Requests brokers send to this client (`ClientRemotingProcessor`).
fn server_request(client_id: &str, cmd: RemotingCommand, reply: mpsc::Sender<Bytes>) {
    match RequestCode::from_i32(cmd.code) {
        RequestCode::CHECK_TRANSACTION_STATE => {
            crate::transaction::check_transaction_state(client_id, cmd, reply)
        }
        RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT => crate::request::receive_reply(cmd, reply),
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED
        | RequestCode::RESET_CONSUMER_CLIENT_OFFSET
        | RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT
        | RequestCode::GET_CONSUMER_RUNNING_INFO
        | RequestCode::CONSUME_MESSAGE_DIRECTLY => {
            let inst = registry().lock().get(client_id).and_then(Weak::upgrade);
            match inst {
                Some(inst) => {
                    tokio::spawn(async move { inst.consumer_request(cmd, reply).await });
                }
                None => tracing::debug!(code = cmd.code, "consumer request for a closed instance"),
            }
        }
        _ => tracing::debug!(code = cmd.code, "server request ignored"),
    }
}

/// What the client instance needs of a push consumer (`MQConsumerInner`): its heartbeat data,
/// rebalance and offset persistence, and the broker's calls.
pub(crate) trait ConsumerInner: Send + Sync {
    fn do_rebalance(&self) -> BoxFuture<()>;
    fn persist_offsets(&self) -> BoxFuture<()>;
    fn reset_offset(&self, topic: String, offsets: Vec<(MessageQueue, i64)>) -> BoxFuture<()>;
    fn offsets_of(&self, topic: &str) -> Vec<(MessageQueue, i64)>;
    fn running_info(&self) -> Option<Vec<u8>>;
    fn consume_directly(
        &self,
        msg: crate::message::MessageExt,
        broker_name: Option<String>,
    ) -> BoxFuture<Option<Vec<u8>>>;
}

use crate::consumer::listener::BoxFuture;

/// The process-wide registry (`MQClientManager.factoryTable`).
fn registry() -> &'static Mutex<HashMap<String, Weak<ClientInstance>>> {
    static R: OnceLock<Mutex<HashMap<String, Weak<ClientInstance>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// `MQClientInstance`: the connections, route cache and background tasks shared by every
/// producer (and admin client) of one client id (`ip@instanceName[@unitName]`) in the
/// process. Producers get theirs from [`crate::DefaultMQProducer::instance`] once started.
pub struct ClientInstance {
    client_id: String,
    config: ClientConfig,
    /// The connection pool.
    pub(crate) remoting: RemotingClient,
    state: Mutex<ServiceState>,
    producers: Mutex<HashSet<String>>,
    /// Consumer groups using this instance and what their heartbeats say of them.
    consumers: Mutex<BTreeMap<String, ConsumerData>>,
    /// The push consumers among them.
    consumer_impls: Mutex<BTreeMap<String, Arc<dyn ConsumerInner>>>,
    /// Wakes the rebalance task (`rebalanceImmediately`).
    rebalance_now: Arc<tokio::sync::Notify>,
    /// Per-producer-group default-topic queue count, for routes derived from TBW102.
    topic_routes: RwLock<HashMap<String, TopicRouteData>>,
    publish_info: RwLock<HashMap<String, Arc<TopicPublishInfo>>>,
    broker_addrs: RwLock<HashMap<String, BTreeMap<i64, String>>>,
    namesrv_index: AtomicUsize,
    namesrv_lock: tokio::sync::Mutex<()>,
    heartbeat_lock: tokio::sync::Mutex<()>,
    /// Brokers that accepted a heartbeat from this instance.
    heartbeated: Mutex<HashSet<String>>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl ClientInstance {
    /// `MQClientManager.getOrCreateMQClientInstance`.
    pub fn get_or_create(config: &ClientConfig) -> Arc<ClientInstance> {
        let id = config.build_client_id();
        let mut r = registry().lock();
        if let Some(i) = r.get(&id).and_then(Weak::upgrade) {
            if *i.state.lock() != ServiceState::SHUTDOWN_ALREADY {
                return i;
            }
        }
        let remoting = RemotingClient::new(ClientOptions {
            connect_timeout: Duration::from_secs(3),
            language: config.language,
            serialize_type: config.serialize_type,
            credentials: config.session_credentials.clone(),
            tls: config
                .use_tls
                .then(|| rocklet_remoting::tls::ClientTls::from_settings(&config.tls)),
        });
        let (tx, _) = watch::channel(false);
        let inst = Arc::new(ClientInstance {
            client_id: id.clone(),
            config: config.clone(),
            remoting,
            state: Mutex::new(ServiceState::CREATE_JUST),
            producers: Mutex::new(HashSet::new()),
            consumers: Mutex::new(BTreeMap::new()),
            consumer_impls: Mutex::new(BTreeMap::new()),
            rebalance_now: Arc::new(tokio::sync::Notify::new()),
            topic_routes: RwLock::new(HashMap::new()),
            publish_info: RwLock::new(HashMap::new()),
            broker_addrs: RwLock::new(HashMap::new()),
            namesrv_index: AtomicUsize::new(rand::random::<u32>() as usize),
            namesrv_lock: tokio::sync::Mutex::new(()),
            heartbeat_lock: tokio::sync::Mutex::new(()),
            heartbeated: Mutex::new(HashSet::new()),
            shutdown_tx: tx,
            tasks: Mutex::new(Vec::new()),
        });
        let client_id = id.clone();
        inst.remoting
            .set_request_handler(Arc::new(move |cmd, reply| {
                server_request(&client_id, cmd, reply)
            }));
        tracing::info!(client_id = %id, "created new client instance");
        r.insert(id, Arc::downgrade(&inst));
        inst
    }

    /// Addresses (name servers and brokers) this instance has an open connection to.
    pub fn connected_addrs(&self) -> Vec<String> {
        self.remoting.connected_addrs()
    }

    /// `clientId`: `ip@instanceName[@unitName]` ([`ClientConfig::build_client_id`]).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The configuration the instance was created with (its first user's).
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }
    /// CREATE_JUST, RUNNING once started, SHUTDOWN_ALREADY after [`Self::shutdown`].
    pub fn state(&self) -> ServiceState {
        *self.state.lock()
    }

    /// `registerProducer`: false when the group is already registered in this instance.
    pub(crate) fn register_producer(&self, group: &str) -> bool {
        self.producers.lock().insert(group.to_owned())
    }

    /// `registerConsumer`: false when the group is already registered in this instance.
    pub(crate) fn register_consumer(&self, data: ConsumerData) -> bool {
        let mut c = self.consumers.lock();
        if c.contains_key(&data.group_name) {
            return false;
        }
        c.insert(data.group_name.clone(), data);
        true
    }

    /// `registerConsumer` of a push consumer: false when the group is already registered.
    pub(crate) fn register_consumer_inner(
        &self,
        data: ConsumerData,
        inner: Arc<dyn ConsumerInner>,
    ) -> bool {
        let group = data.group_name.clone();
        if !self.register_consumer(data) {
            return false;
        }
        self.consumer_impls.lock().insert(group, inner);
        true
    }

    /// A consumer's subscriptions changed: its next heartbeat says so.
    pub(crate) fn update_consumer_data(&self, data: ConsumerData) {
        if let Some(d) = self.consumers.lock().get_mut(&data.group_name) {
            *d = data;
        }
    }

    /// `rebalanceImmediately`: wake the rebalance task.
    pub fn rebalance_immediately(&self) {
        self.rebalance_now.notify_one();
    }

    fn push_consumers(&self) -> Vec<Arc<dyn ConsumerInner>> {
        self.consumer_impls.lock().values().cloned().collect()
    }

    /// `doRebalance` of every push consumer.
    async fn rebalance_all(&self) {
        for c in self.push_consumers() {
            c.do_rebalance().await;
        }
    }

    /// `persistAllConsumerOffset`.
    async fn persist_all_offsets(&self) {
        for c in self.push_consumers() {
            c.persist_offsets().await;
        }
    }

    /// The readable queues of `topic` from the cached route (`topicSubscribeInfoTable`).
    pub(crate) fn topic_subscribe_info(&self, topic: &str) -> Vec<MessageQueue> {
        let routes = self.topic_routes.read();
        let Some(r) = routes.get(topic) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for qd in &r.queue_datas {
            if perm::is_readable(qd.perm) {
                for i in 0..qd.read_queue_nums.max(0) {
                    out.push(MessageQueue::new(topic, qd.broker_name.clone(), i));
                }
            }
        }
        out
    }

    /// `findBrokerAddrByTopic`: an address (master first) of a random broker of the topic.
    pub(crate) fn find_broker_addr_by_topic(&self, topic: &str) -> Option<String> {
        let routes = self.topic_routes.read();
        let r = routes.get(topic)?;
        if r.broker_datas.is_empty() {
            return None;
        }
        let bd = &r.broker_datas[rand::random::<usize>() % r.broker_datas.len()];
        bd.broker_addrs
            .get(&MASTER_ID)
            .or_else(|| bd.broker_addrs.values().next())
            .cloned()
    }

    /// The broker's calls to a consumer of this instance (`ClientRemotingProcessor`).
    async fn consumer_request(&self, cmd: RemotingCommand, reply: mpsc::Sender<Bytes>) {
        use rocklet_protocol::header::{
            ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
            GetConsumerStatusRequestHeader, NotifyConsumerIdsChangedRequestHeader,
            ResetOffsetRequestHeader,
        };
        let code = RequestCode::from_i32(cmd.code);
        let find = |group: &str| self.consumer_impls.lock().get(group).cloned();
        let answer = |code: ResponseCode, remark: Option<String>, body: Option<Vec<u8>>| {
            let mut r = RemotingCommand::response_to(&cmd, code, remark);
            if let Some(b) = body {
                r = r.with_body(b);
            }
            let _ = reply.try_send(r.encode_to_bytes());
        };
        match code {
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED => {
                if let Ok(h) = cmd.header::<NotifyConsumerIdsChangedRequestHeader>() {
                    tracing::info!(client_id = %self.client_id, group = %h.consumer_group, "receive broker's notification, the consumer group changed, rebalance immediately");
                }
                self.rebalance_immediately();
            }
            RequestCode::RESET_CONSUMER_CLIENT_OFFSET => {
                let Ok(h) = cmd.header::<ResetOffsetRequestHeader>() else {
                    return;
                };
                let offsets: Vec<(MessageQueue, i64)> = cmd
                    .body
                    .as_deref()
                    .and_then(|b| rocklet_protocol::body::read_mq_map::<i64>(b, "offsetTable").ok())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(q, o)| (MessageQueue::new(q.topic, q.broker_name, q.queue_id), o))
                    .collect();
                tracing::info!(client_id = %self.client_id, group = %h.group, topic = %h.topic, queues = offsets.len(), "invoke reset offset operation from broker");
                if let Some(c) = find(&h.group) {
                    c.reset_offset(h.topic, offsets).await;
                }
                answer(ResponseCode::SUCCESS, None, None);
            }
            RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT => {
                let Ok(h) = cmd.header::<GetConsumerStatusRequestHeader>() else {
                    return;
                };
                let offsets = find(&h.group)
                    .map(|c| c.offsets_of(&h.topic))
                    .unwrap_or_default();
                let data: Vec<(rocklet_protocol::body::MessageQueueData, i64)> = offsets
                    .into_iter()
                    .map(|(q, o)| (crate::consumer::offset_store::mq_data(&q), o))
                    .collect();
                let mut body = b"{\"messageQueueTable\":".to_vec();
                rocklet_protocol::body::write_mq_map(&mut body, data.iter().map(|(q, o)| (q, o)));
                body.push(b'}');
                answer(ResponseCode::SUCCESS, None, Some(body));
            }
            RequestCode::GET_CONSUMER_RUNNING_INFO => {
                let Ok(h) = cmd.header::<GetConsumerRunningInfoRequestHeader>() else {
                    return;
                };
                match find(&h.consumer_group).and_then(|c| c.running_info()) {
                    Some(b) => answer(ResponseCode::SUCCESS, None, Some(b)),
                    None => answer(
                        ResponseCode::SYSTEM_ERROR,
                        Some(format!(
                            "The Consumer Group <{}> not exist in this consumer",
                            h.consumer_group
                        )),
                        None,
                    ),
                }
            }
            RequestCode::CONSUME_MESSAGE_DIRECTLY => {
                let Ok(h) = cmd.header::<ConsumeMessageDirectlyResultRequestHeader>() else {
                    return;
                };
                let msg = cmd
                    .body
                    .as_deref()
                    .and_then(|b| crate::admin::decode_messages(b).ok())
                    .and_then(|v| v.into_iter().next());
                let r = match (find(&h.consumer_group), msg) {
                    (Some(c), Some(m)) => c.consume_directly(m, h.broker_name.clone()).await,
                    _ => None,
                };
                match r {
                    Some(b) => answer(ResponseCode::SUCCESS, None, Some(b)),
                    None => answer(
                        ResponseCode::SYSTEM_ERROR,
                        Some(format!(
                            "The Consumer Group <{}> not exist in this consumer",
                            h.consumer_group
                        )),
                        None,
                    ),
                }
            }
            _ => {}
        }
    }

    /// Start once (`MQClientInstance.start`); later calls do nothing.
    pub fn start(self: &Arc<Self>) -> Result<(), ClientError> {
        let mut st = self.state.lock();
        match *st {
            ServiceState::CREATE_JUST => {}
            ServiceState::START_FAILED => {
                return Err(ClientError::client(
                    -1,
                    format!(
                        "The Factory object[{}] has been created before, and failed.",
                        self.client_id
                    ),
                ))
            }
            _ => return Ok(()),
        }
        *st = ServiceState::START_FAILED;
        let mut tasks = self.tasks.lock();
        let weak = Arc::downgrade(self);
        let rx = self.shutdown_tx.subscribe();
        let poll = self.config.poll_name_server_interval;
        tasks.push(spawn_periodic(
            weak.clone(),
            rx.clone(),
            Duration::from_millis(10),
            poll,
            |i| Box::pin(async move { i.update_all_routes().await }),
        ));
        let hb = self.config.heartbeat_broker_interval;
        tasks.push(spawn_periodic(
            weak,
            rx,
            Duration::from_millis(1000),
            hb,
            |i| {
                Box::pin(async move {
                    i.clean_offline_brokers();
                    i.send_heartbeat_to_all_brokers().await;
                })
            },
        ));
        // `RebalanceService`: every 20 s, or at once when woken.
        {
            let weak = Arc::downgrade(self);
            let mut rx = self.shutdown_tx.subscribe();
            let wake = self.rebalance_now.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(REBALANCE_INTERVAL) => {}
                        _ = wake.notified() => {}
                        _ = rx.changed() => return,
                    }
                    let Some(inst) = weak.upgrade() else { return };
                    inst.rebalance_all().await;
                }
            }));
        }
        tasks.push(spawn_periodic(
            Arc::downgrade(self),
            self.shutdown_tx.subscribe(),
            Duration::from_millis(10_000),
            self.config.persist_consumer_offset_interval,
            |i| Box::pin(async move { i.persist_all_offsets().await }),
        ));
        *st = ServiceState::RUNNING;
        tracing::info!(client_id = %self.client_id, "client instance started");
        Ok(())
    }

    /// A producer group stops using this instance: unregister it from every broker, and stop the
    /// instance when no producer or consumer is left (`unregisterProducer` + `shutdown`).
    pub(crate) async fn unregister_producer(self: &Arc<Self>, group: &str) {
        let removed = self.producers.lock().remove(group);
        if removed {
            self.unregister_client(Some(group), None).await;
        }
        self.shutdown_if_unused();
    }

    /// A consumer group stops using this instance: unregister it from every broker, and stop the
    /// instance when no producer or consumer is left (`unregisterConsumer` + `shutdown`).
    pub(crate) async fn unregister_consumer(self: &Arc<Self>, group: &str) {
        self.consumer_impls.lock().remove(group);
        let removed = self.consumers.lock().remove(group).is_some();
        if removed {
            self.unregister_client(None, Some(group)).await;
        }
        self.shutdown_if_unused();
    }

    fn shutdown_if_unused(&self) {
        if self.producers.lock().is_empty() && self.consumers.lock().is_empty() {
            self.shutdown();
        }
    }

    /// UNREGISTER_CLIENT to every known broker address.
    async fn unregister_client(&self, producer: Option<&str>, consumer: Option<&str>) {
        let brokers: Vec<String> = self
            .broker_addrs
            .read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        let header = UnregisterClientRequestHeader {
            client_id: self.client_id.clone(),
            producer_group: producer.map(str::to_owned),
            consumer_group: consumer.map(str::to_owned),
        };
        for addr in brokers {
            let cmd = RemotingCommand::request(RequestCode::UNREGISTER_CLIENT, &header);
            if let Err(e) = self
                .remoting
                .invoke(&addr, cmd, Duration::from_secs(3))
                .await
            {
                tracing::debug!(broker = %addr, error = %e, "unregister client failed");
            }
        }
    }

    /// Stop the scheduled tasks and close every connection.
    pub fn shutdown(&self) {
        {
            let mut st = self.state.lock();
            if *st == ServiceState::SHUTDOWN_ALREADY {
                return;
            }
            *st = ServiceState::SHUTDOWN_ALREADY;
        }
        let _ = self.shutdown_tx.send(true);
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
        self.remoting.shutdown();
        let mut r = registry().lock();
        if r.get(&self.client_id)
            .is_some_and(|w| w.upgrade().is_none_or(|i| std::ptr::eq(&*i, self)))
        {
            r.remove(&self.client_id);
        }
        tracing::info!(client_id = %self.client_id, "client instance shut down");
    }

    /// Number of background tasks still running (tests assert it is 0 after shutdown).
    pub fn running_tasks(&self) -> usize {
        self.tasks
            .lock()
            .iter()
            .filter(|t| !t.is_finished())
            .count()
    }

    // ---- name server --------------------------------------------------------------------------

    /// Invoke on a name server, trying each in turn from the last one that worked.
    pub(crate) async fn invoke_namesrv(
        &self,
        cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        let addrs = self.config.namesrv_addrs();
        if addrs.is_empty() {
            return Err(ClientError::client(
                client_error_code::NO_NAME_SERVER_EXCEPTION,
                format!(
                    "No name server address, please set it.{}",
                    faq(FAQ_NAME_SERVER_ADDR_NOT_EXIST)
                ),
            ));
        }
        let start = self.namesrv_index.load(Ordering::Relaxed);
        let mut last = None;
        for k in 0..addrs.len() {
            let i = (start + k) % addrs.len();
            match self.remoting.invoke(&addrs[i], cmd.clone(), timeout).await {
                Ok(r) => {
                    self.namesrv_index.store(i, Ordering::Relaxed);
                    return Ok(r);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .map(ClientError::from)
            .unwrap_or_else(|| ClientError::client(-1, "no name server answered")))
    }

    /// GET_ROUTEINFO_BY_TOPIC.
    pub(crate) async fn get_topic_route(&self, topic: &str) -> Result<TopicRouteData, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::GET_ROUTEINFO_BY_TOPIC,
            &GetRouteInfoRequestHeader {
                topic: topic.to_owned(),
            },
        );
        let r = self
            .invoke_namesrv(cmd, self.config.mq_client_api_timeout)
            .await?;
        if r.code == ResponseCode::SUCCESS.as_i32() {
            if r.body_bytes().is_empty() {
                return Err(ClientError::client(
                    ResponseCode::TOPIC_NOT_EXIST.as_i32(),
                    format!("empty route for {topic}"),
                ));
            }
            return Ok(TopicRouteData::from_json(r.body_bytes())?);
        }
        Err(ClientError::client(r.code, r.remark.unwrap_or_default()))
    }

    /// `updateTopicRouteInfoFromNameServer(topic, isDefault, producer)`: refresh one topic's route
    /// (or, with `default_from`, derive it from the TBW102 route capped at `default_queue_nums`).
    /// Returns whether a route was found.
    pub(crate) async fn update_topic_route(
        &self,
        topic: &str,
        default_from: Option<(&str, i32)>,
    ) -> bool {
        let Ok(_g) = tokio::time::timeout(Duration::from_secs(3), self.namesrv_lock.lock()).await
        else {
            tracing::warn!("update route: namesrv lock timeout");
            return false;
        };
        let route = match default_from {
            Some((key, nums)) => match self.get_topic_route(key).await {
                Ok(mut r) => {
                    for qd in &mut r.queue_datas {
                        let q = nums.min(qd.read_queue_nums);
                        qd.read_queue_nums = q;
                        qd.write_queue_nums = q;
                    }
                    r
                }
                Err(e) => {
                    tracing::debug!(topic, error = %e, "default topic route not found");
                    return false;
                }
            },
            None => match self.get_topic_route(topic).await {
                Ok(r) => r,
                Err(e) => {
                    if e.code() != ResponseCode::TOPIC_NOT_EXIST.as_i32() {
                        tracing::warn!(topic, error = %e, "route lookup failed");
                    }
                    return false;
                }
            },
        };
        let changed = self.topic_routes.read().get(topic) != Some(&route);
        let need = self.publish_info.read().get(topic).is_none_or(|p| !p.ok());
        if changed || need {
            {
                let mut b = self.broker_addrs.write();
                for bd in &route.broker_datas {
                    b.insert(bd.broker_name.clone(), bd.broker_addrs.clone());
                }
            }
            let info = Arc::new(TopicPublishInfo::from_route(topic, &route));
            self.publish_info.write().insert(topic.to_owned(), info);
            self.topic_routes.write().insert(topic.to_owned(), route);
        }
        true
    }

    /// `tryToFindTopicPublishInfo`.
    pub(crate) async fn find_publish_info(
        &self,
        topic: &str,
        create_key: &str,
        default_queue_nums: i32,
    ) -> Option<Arc<TopicPublishInfo>> {
        let cur = self.publish_info.read().get(topic).cloned();
        if let Some(p) = &cur {
            if p.ok() {
                return cur;
            }
        }
        self.update_topic_route(topic, None).await;
        if let Some(p) = self.publish_info.read().get(topic).cloned() {
            if p.ok() {
                return Some(p);
            }
        }
        self.update_topic_route(topic, Some((create_key, default_queue_nums)))
            .await;
        self.publish_info.read().get(topic).cloned()
    }

    /// `findBrokerAddressInPublish`: the master's address.
    pub(crate) fn find_broker_addr_in_publish(&self, broker_name: &str) -> Option<String> {
        let addr = self
            .broker_addrs
            .read()
            .get(broker_name)
            .and_then(|m| m.get(&MASTER_ID).cloned())?;
        Some(if self.config.vip_channel_enabled {
            vip_channel(&addr)
        } else {
            addr
        })
    }

    /// Any address of a broker, master first (admin and pull calls).
    pub(crate) fn find_broker_addr_any(&self, broker_name: &str) -> Option<String> {
        let b = self.broker_addrs.read();
        let m = b.get(broker_name)?;
        m.get(&MASTER_ID).or_else(|| m.values().next()).cloned()
    }

    /// Master address, refreshing the topic route once when unknown.
    pub(crate) async fn broker_addr_for(&self, mq: &MessageQueue) -> Result<String, ClientError> {
        if let Some(a) = self.find_broker_addr_any(&mq.broker_name) {
            return Ok(a);
        }
        self.update_topic_route(&mq.topic, None).await;
        self.find_broker_addr_any(&mq.broker_name).ok_or_else(|| {
            ClientError::client(-1, format!("The broker[{}] not exist", mq.broker_name))
        })
    }

    async fn update_all_routes(&self) {
        let topics: Vec<String> = self.publish_info.read().keys().cloned().collect();
        for t in topics {
            self.update_topic_route(&t, None).await;
        }
    }

    /// `cleanOfflineBroker`: forget brokers that no cached route mentions.
    fn clean_offline_brokers(&self) {
        let routes = self.topic_routes.read();
        let live: HashSet<&str> = routes
            .values()
            .flat_map(|r| r.broker_datas.iter().map(|b| b.broker_name.as_str()))
            .collect();
        self.broker_addrs
            .write()
            .retain(|name, _| live.contains(name.as_str()));
    }

    /// Whether some known master broker has not accepted a heartbeat from this instance yet
    /// (a request's reply is pushed to the client only by brokers that know it).
    pub(crate) fn heartbeat_missing(&self) -> bool {
        let done = self.heartbeated.lock();
        self.broker_addrs
            .read()
            .values()
            .filter_map(|m| m.get(&MASTER_ID))
            .any(|a| !done.contains(a))
    }

    /// HEART_BEAT to every master broker, and to the slaves too when a consumer uses this
    /// instance (producers only need masters), as `sendHeartbeatToAllBroker`.
    pub(crate) async fn send_heartbeat_to_all_brokers(&self) {
        let Ok(_g) = tokio::time::timeout(Duration::from_secs(3), self.heartbeat_lock.lock()).await
        else {
            return;
        };
        let mut groups: Vec<String> = self.producers.lock().iter().cloned().collect();
        let consumers: Vec<ConsumerData> = self.consumers.lock().values().cloned().collect();
        if groups.is_empty() && consumers.is_empty() {
            return;
        }
        groups.push(CLIENT_INNER_PRODUCER_GROUP.to_owned());
        groups.sort();
        groups.dedup();
        let to_slaves = !consumers.is_empty();
        let hb = HeartbeatData {
            client_id: self.client_id.clone(),
            consumer_data_set: consumers,
            producer_data_set: groups
                .into_iter()
                .map(|g| ProducerData { group_name: g })
                .collect(),
        };
        let body = encode_json(&hb);
        let targets: Vec<String> = self
            .broker_addrs
            .read()
            .values()
            .flat_map(|m| {
                m.iter()
                    .filter(|(id, _)| to_slaves || **id == MASTER_ID)
                    .map(|(_, a)| a.clone())
            })
            .collect();
        for addr in targets {
            let cmd =
                RemotingCommand::request_bare(RequestCode::HEART_BEAT).with_body(body.clone());
            match self
                .remoting
                .invoke(&addr, cmd, Duration::from_secs(3))
                .await
            {
                Ok(r) if r.code == 0 => {
                    self.heartbeated.lock().insert(addr);
                }
                Ok(r) => tracing::warn!(broker = %addr, code = r.code, "heartbeat refused"),
                Err(e) => tracing::debug!(broker = %addr, error = %e, "heartbeat failed"),
            }
        }
    }
}

/// `RebalanceService.waitInterval`: 20 s.
const REBALANCE_INTERVAL: Duration = Duration::from_secs(20);

/// `MixAll.brokerVIPChannel`: the VIP port is the broker port - 2.
fn vip_channel(addr: &str) -> String {
    match addr
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h, p)))
    {
        Some((h, p)) if p > 2 => format!("{h}:{}", p - 2),
        _ => addr.to_owned(),
    }
}

type TaskFn =
    fn(Arc<ClientInstance>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn spawn_periodic(
    weak: Weak<ClientInstance>,
    mut rx: watch::Receiver<bool>,
    initial: Duration,
    period: Duration,
    f: TaskFn,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = initial;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = rx.changed() => return,
            }
            let Some(inst) = weak.upgrade() else { return };
            f(inst).await;
            delay = period;
        }
    })
}
