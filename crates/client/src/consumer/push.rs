//! `DefaultMQPushConsumer` / `DefaultMQPushConsumerImpl` of 4.9.3: subscriptions, rebalance
//! with the allocation strategies, a long-polling pull task per assigned queue into its
//! [`ProcessQueue`], listeners called concurrently or in queue order, retries by
//! CONSUMER_SEND_MSG_BACK, offsets kept by the broker (clustering) or a local file
//! (broadcasting), and the broker's calls to the client (reset offset, running info, consume
//! directly).

use parking_lot::Mutex;

use super::jobs::{JobQueue, RUNS_PER_YIELD};
use rocklet_protocol::body::{
    ConsumerData, LockBatchRequestBody, LockBatchResponseBody, SubscriptionData,
};
use rocklet_protocol::header::ConsumerSendMsgBackRequestHeader;
use rocklet_protocol::message::{java_string_hash, property};
use rocklet_protocol::time::now_ms;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{watch, Notify, Semaphore};

use super::allocate::{AllocateMessageQueueAveragely, AllocateMessageQueueStrategy};
use super::config::{check_push_config, parse_yyyymmddhhmmss, ConsumeFromWhere, MessageModel};
use super::listener::{
    ConcurrentlyFn, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, Listener,
};
use super::offset_store::{default_local_offset_store_dir, mq_data, OffsetStore, ReadOffsetType};
use super::process_queue::ProcessQueue;
use super::PushConsumerConfig;
use crate::admin::MQAdmin;
use crate::error::{faq, ClientError, FAQ_CLIENT_SERVICE_NOT_OK, FAQ_GROUP_NAME_DUPLICATE};
use crate::instance::{ClientInstance, ConsumerInner, ServiceState};
use crate::message::{Message, MessageExt, MessageQueue};

/// `PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION`.
const DELAY_ON_EXCEPTION: Duration = Duration::from_millis(3000);
/// `PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL`.
const DELAY_FLOW_CONTROL: Duration = Duration::from_millis(50);
/// `PULL_TIME_DELAY_MILLS_WHEN_SUSPEND`.
const DELAY_WHEN_SUSPENDED: Duration = Duration::from_millis(1000);
/// `ConsumeMessageConcurrentlyService.submitConsumeRequestLater`: 5 s.
const CONSUME_LATER: Duration = Duration::from_secs(5);
/// `MAX_TIME_CONSUME_CONTINUOUSLY`: an orderly consume request yields after 60 s.
const MAX_TIME_CONSUME_CONTINUOUSLY_MS: i64 = 60_000;
/// `REBALANCE_LOCK_INTERVAL`: orderly queue locks renewed every 20 s.
const LOCK_INTERVAL: Duration = Duration::from_secs(20);
/// `MixAll.RETRY_GROUP_TOPIC_PREFIX`.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// `SubscriptionData.SUB_ALL`.
const SUB_ALL: &str = "*";

/// `PullSysFlag` bits.
mod sys_flag {
    pub const COMMIT_OFFSET: i32 = 0x1;
    pub const SUSPEND: i32 = 0x2;
    pub const SUBSCRIPTION: i32 = 0x4;
}

/// `MixAll.getRetryTopic(group)`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// `FilterAPI.buildSubscriptionData` (tags) and the SQL92 form of `MessageSelector`.
pub(crate) fn build_subscription(topic: &str, expr: &str, sql: bool) -> SubscriptionData {
    let mut s = SubscriptionData {
        topic: topic.to_owned(),
        sub_version: now_ms(),
        ..Default::default()
    };
    if sql {
        s.sub_string = expr.to_owned();
        s.expression_type = Some("SQL92".into());
        return s;
    }
    s.expression_type = Some("TAG".into());
    let e = expr.trim();
    if e.is_empty() || e == SUB_ALL {
        s.sub_string = SUB_ALL.into();
        return s;
    }
    s.sub_string = expr.to_owned();
    for tag in expr.split("||").map(str::trim).filter(|t| !t.is_empty()) {
        if !s.tags_set.iter().any(|t| t == tag) {
            s.tags_set.push(tag.to_owned());
            s.code_set.push(java_string_hash(tag));
        }
    }
    s
}

/// A concurrently consume request: messages of one queue, shared with its cache.
/// The queue as the broker knows it, and as the listener's context shows it (without the
/// namespace): made once per assigned queue, shared by its requests.
#[derive(Debug)]
struct QueueRef {
    mq: MessageQueue,
    shown: Arc<MessageQueue>,
}

type ConsumeJob = (Vec<Arc<MessageExt>>, Arc<ProcessQueue>, Arc<QueueRef>);

/// Counters for GET_CONSUMER_RUNNING_INFO's status table.
#[derive(Default)]
struct Stats {
    ok: AtomicU64,
    failed: AtomicU64,
    pulled: AtomicU64,
    consume_rt_total_ms: AtomicU64,
}

struct Inner {
    cfg: PushConsumerConfig,
    /// The group with the namespace.
    group: String,
    /// `%RETRY%` + the group: a message pulled from it shows its RETRY_TOPIC.
    group_retry_topic: String,
    state: Mutex<ServiceState>,
    instance: Mutex<Option<Arc<ClientInstance>>>,
    offset_store: Mutex<Option<Arc<OffsetStore>>>,
    /// `subscriptionInner`: full topic name -> subscription (the retry topic included when
    /// clustering).
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    listener: Mutex<Option<Listener>>,
    strategy: Mutex<Arc<dyn AllocateMessageQueueStrategy>>,
    /// `processQueueTable`.
    pqs: Mutex<BTreeMap<MessageQueue, Arc<ProcessQueue>>>,
    /// Queues allocated per topic at the last rebalance (`messageQueueChanged`), which the
    /// topic-level pull thresholds are divided by.
    topic_queues: Mutex<std::collections::HashMap<String, i64>>,
    /// Listener calls running at once (`consumeThreadMax`).
    permits: Arc<Semaphore>,
    /// Concurrently: the consume requests, taken by `consume_thread_max` worker tasks (Java's
    /// consume thread pool and its queue); closed at shutdown.
    jobs: Arc<JobQueue<ConsumeJob>>,
    /// Concurrently: listener calls running now (with their commits); shutdown waits for 0.
    inflight: AtomicUsize,
    /// Notified when `inflight` drops to 0.
    idle: Notify,
    /// `pause` / `suspend`.
    paused: AtomicBool,
    /// Wakes pull tasks waiting for room (a consume finished) or a resume.
    room: Notify,
    /// Pull tasks waiting on `room` now: a finished consume notifies only when there are any.
    room_waiters: AtomicUsize,
    /// Shutdown is waiting for `inflight` to drop to 0 (`idle` is notified only then).
    stopping: AtomicBool,
    /// Serialises rebalances of this consumer.
    rebalance_lock: tokio::sync::Mutex<()>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    inner_producer: tokio::sync::OnceCell<crate::DefaultMQProducer>,
    start_ms: Mutex<i64>,
    stats: Stats,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.jobs.close();
    }
}

/// The push consumer. Cheap to clone; clones share one consumer.
///
/// ```no_run
/// # async fn demo() -> Result<(), rocklet_client::ClientError> {
/// use rocklet_client::consumer::{ConsumeConcurrentlyStatus, DefaultMQPushConsumer, PushConsumerConfig};
/// let c = DefaultMQPushConsumer::new(PushConsumerConfig::new("my_group").with_namesrv("127.0.0.1:9876"));
/// c.subscribe("TopicTest", "*")?;
/// c.register_message_listener_concurrently(|msgs, _ctx| async move {
///     for m in &msgs {
///         println!("{} {:?}", m.msg_id(), m.raw_body);
///     }
///     ConsumeConcurrentlyStatus::CONSUME_SUCCESS
/// });
/// c.start().await?;
/// # c.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DefaultMQPushConsumer {
    inner: Arc<Inner>,
}

impl DefaultMQPushConsumer {
    /// A consumer with `cfg`, not started. A clustering consumer named `DEFAULT` becomes
    /// `pid#nanos` at start (Java's `changeInstanceNameToPID`); a broadcasting one keeps its
    /// instance name, so its client id (and local offset file) is the same after a restart.
    pub fn new(cfg: PushConsumerConfig) -> Self {
        let (tx, _) = watch::channel(false);
        let group = cfg.client.with_namespace(&cfg.consumer_group);
        let permits = Arc::new(Semaphore::new(cfg.consume_thread_max.max(1)));
        DefaultMQPushConsumer {
            inner: Arc::new(Inner {
                cfg,
                group_retry_topic: retry_topic(&group),
                group,
                state: Mutex::new(ServiceState::CREATE_JUST),
                instance: Mutex::new(None),
                offset_store: Mutex::new(None),
                subscriptions: Mutex::new(BTreeMap::new()),
                listener: Mutex::new(None),
                strategy: Mutex::new(Arc::new(AllocateMessageQueueAveragely)),
                pqs: Mutex::new(BTreeMap::new()),
                topic_queues: Mutex::new(std::collections::HashMap::new()),
                permits,
                jobs: Arc::new(JobQueue::new()),
                inflight: AtomicUsize::new(0),
                idle: Notify::new(),
                paused: AtomicBool::new(false),
                room: Notify::new(),
                room_waiters: AtomicUsize::new(0),
                stopping: AtomicBool::new(false),
                rebalance_lock: tokio::sync::Mutex::new(()),
                shutdown_tx: tx,
                tasks: Mutex::new(Vec::new()),
                inner_producer: tokio::sync::OnceCell::new(),
                start_ms: Mutex::new(0),
                stats: Stats::default(),
            }),
        }
    }

    /// The settings the consumer was made with.
    pub fn config(&self) -> &PushConsumerConfig {
        &self.inner.cfg
    }
    /// CREATE_JUST, RUNNING, SHUTDOWN_ALREADY (START_FAILED after a failed start).
    pub fn state(&self) -> ServiceState {
        *self.inner.state.lock()
    }
    /// The shared client instance, once started.
    pub fn instance(&self) -> Option<Arc<ClientInstance>> {
        self.inner.instance.lock().clone()
    }

    /// `setAllocateMessageQueueStrategy` (default averagely). Takes effect at the next
    /// rebalance.
    pub fn set_allocate_message_queue_strategy(&self, s: Arc<dyn AllocateMessageQueueStrategy>) {
        *self.inner.strategy.lock() = s;
    }

    /// `subscribe(topic, subExpression)`: tags separated by `||`, or `*` / empty for all.
    /// Before or after start (after: the brokers hear of it at once).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the topic name is invalid.
    pub fn subscribe(&self, topic: &str, expr: &str) -> Result<(), ClientError> {
        self.subscribe_inner(topic, expr, false)
    }

    /// `subscribe(topic, MessageSelector.bySql(expr))`: a SQL92 filter on the message
    /// properties (the broker must run with `enablePropertyFilter=true`).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the topic name is invalid; the broker's refusal of the
    /// expression shows at start (CHECK_CLIENT_CONFIG is Java's `checkClientInBroker`).
    pub fn subscribe_sql(&self, topic: &str, expr: &str) -> Result<(), ClientError> {
        self.subscribe_inner(topic, expr, true)
    }

    fn subscribe_inner(&self, topic: &str, expr: &str, sql: bool) -> Result<(), ClientError> {
        crate::validators::check_topic(topic)?;
        let full = self.inner.cfg.client.with_namespace(topic);
        let sub = build_subscription(&full, expr, sql);
        self.inner.subscriptions.lock().insert(full, sub);
        self.after_subscription_change();
        Ok(())
    }

    /// `unsubscribe(topic)`.
    pub fn unsubscribe(&self, topic: &str) {
        let full = self.inner.cfg.client.with_namespace(topic);
        self.inner.subscriptions.lock().remove(&full);
        self.after_subscription_change();
    }

    fn after_subscription_change(&self) {
        if let Some(inst) = self.instance() {
            inst.update_consumer_data(self.consumer_data());
            tokio::spawn(async move {
                inst.send_heartbeat_to_all_brokers().await;
                inst.rebalance_immediately();
            });
        }
    }

    /// `registerMessageListener(MessageListenerConcurrently)`: `f` gets at most
    /// `consume_message_batch_max_size` messages of one queue and returns a status. The
    /// messages are shared with the consumer's cache (as a Java listener's list holds the
    /// cache's own objects); `Arc::unwrap_or_clone` gives an owned copy. Up to
    /// `consume_thread_max` calls run at once, on the tokio runtime: a listener that blocks
    /// should use `tokio::task::spawn_blocking`.
    pub fn register_message_listener_concurrently<F, Fut>(&self, f: F)
    where
        F: Fn(Vec<Arc<MessageExt>>, ConsumeConcurrentlyContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ConsumeConcurrentlyStatus> + Send + 'static,
    {
        *self.inner.listener.lock() = Some(Listener::Concurrently(Arc::new(move |m, c| {
            Box::pin(f(m, c))
        })));
    }

    /// `registerMessageListener(MessageListenerOrderly)`: one call at a time per queue, in
    /// queue order; in clustering mode only while this client holds the queue's broker lock.
    pub fn register_message_listener_orderly<F, Fut>(&self, f: F)
    where
        F: Fn(Vec<Arc<MessageExt>>, ConsumeOrderlyContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ConsumeOrderlyStatus> + Send + 'static,
    {
        *self.inner.listener.lock() =
            Some(Listener::Orderly(Arc::new(move |m, c| Box::pin(f(m, c)))));
    }

    fn listener(&self) -> Option<Listener> {
        self.inner.listener.lock().clone()
    }

    fn is_orderly(&self) -> bool {
        self.listener().is_some_and(|l| l.is_orderly())
    }

    fn clustering(&self) -> bool {
        self.inner.cfg.message_model == MessageModel::CLUSTERING
    }

    /// `getMaxReconsumeTimes`: the setting, or 16 (concurrently) / unlimited (orderly) for -1.
    fn max_reconsume_times(&self) -> i32 {
        match self.inner.cfg.max_reconsume_times {
            -1 if self.is_orderly() => i32::MAX,
            -1 => 16,
            n => n,
        }
    }

    fn consumer_data(&self) -> ConsumerData {
        ConsumerData {
            consume_from_where: Some(self.inner.cfg.consume_from_where.as_str().into()),
            consume_type: Some("CONSUME_PASSIVELY".into()),
            group_name: self.inner.group.clone(),
            message_model: Some(self.inner.cfg.message_model.as_str().into()),
            subscription_data_set: self.inner.subscriptions.lock().values().cloned().collect(),
            unit_mode: self.inner.cfg.client.unit_mode,
        }
    }

    /// `start`: check the settings, copy the subscriptions (plus the retry topic when
    /// clustering), register with the shared client instance, load the offset store, check
    /// the subscriptions with the brokers, heartbeat and rebalance at once.
    ///
    /// # Errors
    /// [`ClientError::Client`] when started before, a setting is out of range (Java's texts),
    /// no listener is registered, the group is already used in this client instance, the local
    /// offset file cannot be read, or a broker refuses a subscription (SQL92 syntax, or
    /// property filtering off).
    pub async fn start(&self) -> Result<(), ClientError> {
        let mut client_cfg = self.inner.cfg.client.clone();
        client_cfg.client_ip = Some(client_cfg.resolve_client_ip());
        if self.clustering() {
            client_cfg.change_instance_name_to_pid();
        }
        let inst = {
            let mut st = self.inner.state.lock();
            if *st != ServiceState::CREATE_JUST {
                return Err(ClientError::client(
                    -1,
                    format!(
                        "The PushConsumer service state not OK, maybe started once, {:?}{}",
                        *st,
                        faq(FAQ_CLIENT_SERVICE_NOT_OK)
                    ),
                ));
            }
            *st = ServiceState::START_FAILED;
            check_push_config(&self.inner.cfg)?;
            if self.listener().is_none() {
                return Err(ClientError::client(
                    -1,
                    format!(
                        "messageListener is null{}",
                        faq(crate::error::FAQ_CLIENT_PARAMETER_CHECK)
                    ),
                ));
            }
            if self.clustering() {
                let rt = retry_topic(&self.inner.group);
                let sub = build_subscription(&rt, SUB_ALL, false);
                self.inner.subscriptions.lock().insert(rt, sub);
            }
            let inst = ClientInstance::get_or_create(&client_cfg);
            let store = if self.clustering() {
                OffsetStore::remote(inst.clone(), &self.inner.group)
            } else {
                let dir = self
                    .inner
                    .cfg
                    .local_offset_store_dir
                    .clone()
                    .unwrap_or_else(default_local_offset_store_dir);
                OffsetStore::local(inst.clone(), &self.inner.group, &dir)
            };
            store.load()?;
            let handle: Arc<dyn ConsumerInner> = Arc::new(Handle(Arc::downgrade(&self.inner)));
            if !inst.register_consumer_inner(self.consumer_data(), handle) {
                *st = ServiceState::CREATE_JUST;
                return Err(ClientError::client(
                    -1,
                    format!(
                        "The consumer group[{}] has been created before, specify another name please.{}",
                        self.inner.cfg.consumer_group,
                        faq(FAQ_GROUP_NAME_DUPLICATE)
                    ),
                ));
            }
            *self.inner.offset_store.lock() = Some(Arc::new(store));
            if let Err(e) = inst.start() {
                let inst2 = inst.clone();
                let group = self.inner.group.clone();
                tokio::spawn(async move { inst2.unregister_consumer(&group).await });
                return Err(e);
            }
            *self.inner.instance.lock() = Some(inst.clone());
            *self.inner.start_ms.lock() = now_ms();
            *st = ServiceState::RUNNING;
            inst
        };
        tracing::info!(group = %self.inner.group, client_id = inst.client_id(), orderly = self.is_orderly(), "push consumer started");
        // `updateTopicSubscribeInfoWhenSubscriptionChanged`
        let topics: Vec<String> = self.inner.subscriptions.lock().keys().cloned().collect();
        for t in &topics {
            inst.update_topic_route(t, None).await;
        }
        if let Err(e) = self.check_client_in_broker(&inst).await {
            self.shutdown().await;
            return Err(e);
        }
        self.spawn_background_tasks();
        inst.send_heartbeat_to_all_brokers().await;
        inst.rebalance_immediately();
        Ok(())
    }

    /// `checkClientInBroker`: a SQL92 subscription is checked by one broker of its topic
    /// (CHECK_CLIENT_CONFIG).
    async fn check_client_in_broker(&self, inst: &ClientInstance) -> Result<(), ClientError> {
        let subs: Vec<SubscriptionData> = self
            .inner
            .subscriptions
            .lock()
            .values()
            .filter(|s| s.expression_type.as_deref().is_some_and(|t| t != "TAG"))
            .cloned()
            .collect();
        for sub in subs {
            let Some(addr) = inst.find_broker_addr_by_topic(&sub.topic) else {
                continue;
            };
            let body = serde_json::json!({
                "clientId": inst.client_id(),
                "group": self.inner.group,
                "subscriptionData": sub,
            });
            let cmd = RemotingCommand::request_bare(RequestCode::CHECK_CLIENT_CONFIG)
                .with_body(serde_json::to_vec(&body).unwrap_or_default());
            let r = inst
                .remoting
                .invoke(&addr, cmd, Duration::from_secs(3))
                .await?;
            if r.code != 0 {
                return Err(ClientError::client(
                    r.code,
                    format!(
                        "Check client in broker error, maybe because you use {} to filter message, but server has not been upgraded to support!This error would not affect the launch of consumer, but may has impact on message receiving if you have use the new features which are not supported by server, please check the log! CODE: {} DESC: {}",
                        sub.expression_type.as_deref().unwrap_or(""),
                        r.code,
                        r.remark.unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn spawn_background_tasks(&self) {
        if !self.is_orderly() {
            // The consume workers: each takes the next request and runs it. They end when the
            // sender is dropped at shutdown (after the requests in flight had their time).
            // `consume_thread_max` workers bound the listener calls running at once, so they
            // take no semaphore permit; `inflight` tells shutdown when the running ones are done.
            // The listener and the offset store are fixed once started: each worker keeps them.
            let Some(Listener::Concurrently(f)) = self.listener() else {
                return;
            };
            let store = self.offset_store();
            for _ in 0..self.inner.cfg.consume_thread_max.max(1) {
                let weak = Arc::downgrade(&self.inner);
                let (f, store, jobs) = (f.clone(), store.clone(), self.inner.jobs.clone());
                tokio::spawn(async move {
                    let mut runs = 0usize;
                    // A worker waits without holding the consumer: one dropped without
                    // shutdown closes the queue (`Inner::drop`) and its workers end.
                    while let Some((msgs, pq, mq)) = jobs.next().await {
                        let Some(inner) = weak.upgrade() else { return };
                        let me = DefaultMQPushConsumer { inner };
                        me.inner.inflight.fetch_add(1, Ordering::AcqRel);
                        me.consume_concurrently(msgs, pq, mq, &f, store.as_ref())
                            .await;
                        // SeqCst with `shutdown`'s store of `stopping` and read of `inflight`:
                        // either it sees 0 or this sees it waiting.
                        if me.inner.inflight.fetch_sub(1, Ordering::SeqCst) == 1
                            && me.inner.stopping.load(Ordering::SeqCst)
                        {
                            me.inner.idle.notify_waiters();
                        }
                        drop(me);
                        runs += 1;
                        if runs.is_multiple_of(RUNS_PER_YIELD) {
                            tokio::task::yield_now().await;
                        }
                    }
                });
            }
        }
        let mut tasks = self.inner.tasks.lock();
        // Orderly, clustering: renew the queue locks every 20 s (`lockMQPeriodically`).
        if self.is_orderly() && self.clustering() {
            let weak = Arc::downgrade(&self.inner);
            let mut rx = self.inner.shutdown_tx.subscribe();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(LOCK_INTERVAL) => {}
                        _ = rx.changed() => return,
                    }
                    let Some(inner) = weak.upgrade() else { return };
                    DefaultMQPushConsumer { inner }.lock_all().await;
                }
            }));
        }
        // Concurrently: messages whose listener call ran over consumeTimeout are sent back
        // (`cleanExpireMsg`, every consumeTimeout minutes).
        if !self.is_orderly() {
            let weak = Arc::downgrade(&self.inner);
            let mut rx = self.inner.shutdown_tx.subscribe();
            let every = Duration::from_secs(self.inner.cfg.consume_timeout_minutes.max(1) * 60);
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = rx.changed() => return,
                    }
                    let Some(inner) = weak.upgrade() else { return };
                    DefaultMQPushConsumer { inner }.clean_expired().await;
                }
            }));
        }
    }

    /// `shutdown`: stop pulling, wait up to `await_termination_millis_when_shutdown` for
    /// running listener calls, store the offsets (waiting for the brokers), unlock orderly
    /// queues, unregister the group; the shared instance stops when nothing else uses it.
    pub async fn shutdown(&self) {
        {
            let mut st = self.inner.state.lock();
            if *st != ServiceState::RUNNING {
                return;
            }
            *st = ServiceState::SHUTDOWN_ALREADY;
        }
        let _ = self.inner.shutdown_tx.send(true);
        for t in self.inner.tasks.lock().drain(..) {
            t.abort();
        }
        let pqs: Vec<(MessageQueue, Arc<ProcessQueue>)> = self
            .inner
            .pqs
            .lock()
            .iter()
            .map(|(m, p)| (m.clone(), p.clone()))
            .collect();
        self.inner.room.notify_waiters();
        // Listener calls running now finish and commit within the wait; then every queue is
        // dropped, so later results are not committed.
        let wait = self.inner.cfg.await_termination_millis_when_shutdown;
        if wait > 0 {
            let all = self.inner.cfg.consume_thread_max.max(1) as u32;
            let _ = tokio::time::timeout(Duration::from_millis(wait), async {
                // Orderly calls hold permits; concurrently ones count in `inflight`.
                let _all = self.inner.permits.acquire_many(all).await;
                self.inner.stopping.store(true, Ordering::SeqCst);
                loop {
                    let idle = self.inner.idle.notified();
                    if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                        break;
                    }
                    idle.await;
                }
            })
            .await;
        }
        for (_, pq) in &pqs {
            pq.set_dropped();
        }
        // The consume workers end once the queued requests (now dropped) are drained.
        self.inner.jobs.close();
        self.persist_offsets(true).await;
        if self.is_orderly() && self.clustering() {
            let mqs: Vec<MessageQueue> = pqs.into_iter().map(|(m, _)| m).collect();
            self.unlock(&mqs).await;
        }
        self.inner.pqs.lock().clear();
        let inst = self.inner.instance.lock().take();
        if let Some(inst) = inst {
            inst.unregister_consumer(&self.inner.group).await;
        }
        if let Some(p) = self.inner.inner_producer.get() {
            p.shutdown().await;
        }
        tracing::info!(group = %self.inner.group, "push consumer shut down");
    }

    /// `suspend` / `pause`: stop pulling (listener calls already queued still run).
    pub fn suspend(&self) {
        self.inner.paused.store(true, Ordering::Release);
    }

    /// `resume`: pull again.
    pub fn resume(&self) {
        self.inner.paused.store(false, Ordering::Release);
        self.inner.room.notify_waiters();
    }

    /// The queues assigned to this consumer now.
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        self.inner
            .pqs
            .lock()
            .iter()
            .filter(|(_, p)| !p.is_dropped())
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// The offsets this consumer holds in memory (what it commits next).
    pub fn offsets(&self) -> BTreeMap<MessageQueue, i64> {
        self.offset_store().map(|s| s.offsets()).unwrap_or_default()
    }

    /// The local offset file (broadcasting).
    pub fn local_offset_file(&self) -> Option<std::path::PathBuf> {
        self.offset_store()
            .and_then(|s| s.path().map(|p| p.to_path_buf()))
    }

    /// Messages pulled and waiting to be consumed, all queues.
    pub fn cached_message_count(&self) -> i64 {
        self.inner.pqs.lock().values().map(|p| p.cached().0).sum()
    }

    /// Bytes of bodies pulled and waiting to be consumed, all queues.
    pub fn cached_message_bytes(&self) -> i64 {
        self.inner.pqs.lock().values().map(|p| p.cached().1).sum()
    }

    fn offset_store(&self) -> Option<Arc<OffsetStore>> {
        self.inner.offset_store.lock().clone()
    }

    fn running_instance(&self) -> Option<Arc<ClientInstance>> {
        if *self.inner.state.lock() != ServiceState::RUNNING {
            return None;
        }
        self.instance()
    }

    fn stopping(&self) -> bool {
        *self.inner.state.lock() != ServiceState::RUNNING
    }

    // ---- rebalance --------------------------------------------------------------------------

    /// `doRebalance`: every subscribed topic's queues allocated among the group's members.
    async fn do_rebalance(&self) {
        let Some(inst) = self.running_instance() else {
            return;
        };
        if self.listener().is_none() {
            return;
        }
        let _g = self.inner.rebalance_lock.lock().await;
        let subs: Vec<String> = self.inner.subscriptions.lock().keys().cloned().collect();
        for topic in &subs {
            if let Err(e) = self.rebalance_topic(&inst, topic).await {
                if !topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
                    tracing::warn!(group = %self.inner.group, topic, error = %e, "rebalance failed");
                }
            }
        }
        // `truncateMessageQueueNotMyTopic`
        let stale: Vec<(MessageQueue, Arc<ProcessQueue>)> = self
            .inner
            .pqs
            .lock()
            .iter()
            .filter(|(m, _)| !subs.contains(&m.topic))
            .map(|(m, p)| (m.clone(), p.clone()))
            .collect();
        for (mq, pq) in stale {
            pq.set_dropped();
            self.inner.pqs.lock().remove(&mq);
            tracing::info!(group = %self.inner.group, mq = %mq, "doRebalance, truncateMessageQueueNotMyTopic");
        }
    }

    async fn rebalance_topic(
        &self,
        inst: &Arc<ClientInstance>,
        topic: &str,
    ) -> Result<(), ClientError> {
        let strategy = self.inner.strategy.lock().clone();
        let allocated = super::rebalance::allocate_topic(
            inst,
            &self.inner.group,
            topic,
            self.inner.cfg.message_model,
            strategy.as_ref(),
        )
        .await?;
        let (changed, new_queues) = self.update_process_queues(inst, topic, &allocated).await;
        self.inner
            .topic_queues
            .lock()
            .insert(topic.to_owned(), allocated.len() as i64);
        if changed {
            tracing::info!(group = %self.inner.group, topic, client_id = inst.client_id(), queues = allocated.len(), "rebalanced, allocation changed");
            // `messageQueueChanged`: a new subVersion, and the brokers hear of it.
            if let Some(s) = self.inner.subscriptions.lock().get_mut(topic) {
                s.sub_version = now_ms();
            }
            inst.update_consumer_data(self.consumer_data());
            inst.send_heartbeat_to_all_brokers().await;
        }
        // Pulls start once the brokers have the new subVersion (a pull carrying a newer one
        // than the broker's is refused as SUBSCRIPTION_NOT_LATEST and retried 3 s later).
        for (mq, pq, next) in new_queues {
            self.spawn_pull_task(mq, pq, next);
        }
        Ok(())
    }

    /// `updateProcessQueueTableInRebalance`: drop the queues no longer ours, add the new ones
    /// (orderly: only those this client could lock). Returns whether something changed, and the new queues to start pulling.
    async fn update_process_queues(
        &self,
        inst: &Arc<ClientInstance>,
        topic: &str,
        allocated: &BTreeSet<MessageQueue>,
    ) -> (bool, Vec<(MessageQueue, Arc<ProcessQueue>, i64)>) {
        let mut changed = false;
        let mut new_queues = Vec::new();
        let current: Vec<(MessageQueue, Arc<ProcessQueue>)> = self
            .inner
            .pqs
            .lock()
            .iter()
            .filter(|(m, _)| m.topic == topic)
            .map(|(m, p)| (m.clone(), p.clone()))
            .collect();
        for (mq, pq) in &current {
            let gone = !allocated.contains(mq);
            if gone || pq.is_pull_expired() {
                if !gone {
                    tracing::warn!(mq = %mq, "pull expired, drop and re-add the queue");
                }
                pq.set_dropped();
                if self.remove_unnecessary_queue(mq, pq).await {
                    self.inner.pqs.lock().remove(mq);
                    changed = true;
                }
            }
        }
        let orderly = self.is_orderly();
        for mq in allocated {
            if self.inner.pqs.lock().contains_key(mq) {
                continue;
            }
            if orderly && self.clustering() && !self.lock_one(inst, mq).await {
                tracing::warn!(group = %self.inner.group, mq = %mq, "doRebalance, add a new mq failed, because lock failed");
                continue;
            }
            let Some(store) = self.offset_store() else {
                return (changed, new_queues);
            };
            store.remove_offset(mq);
            let next = self.compute_pull_from_where(inst, &store, mq).await;
            if next < 0 {
                tracing::warn!(group = %self.inner.group, mq = %mq, "doRebalance, add new mq failed, no start offset");
                continue;
            }
            let pq = Arc::new(ProcessQueue::default());
            if orderly && self.clustering() {
                pq.set_locked(true);
            }
            self.inner.pqs.lock().insert(mq.clone(), pq.clone());
            tracing::info!(group = %self.inner.group, mq = %mq, next, "doRebalance, add a new mq");
            new_queues.push((mq.clone(), pq, next));
            changed = true;
        }
        (changed, new_queues)
    }

    /// `removeUnnecessaryMessageQueue`: store the queue's offset and forget it; an orderly
    /// queue is unlocked on the broker once its running listener call (if any) ends.
    async fn remove_unnecessary_queue(&self, mq: &MessageQueue, pq: &Arc<ProcessQueue>) -> bool {
        if let Some(store) = self.offset_store() {
            store.persist(mq).await;
            store.remove_offset(mq);
        }
        if !(self.is_orderly() && self.clustering()) {
            return true;
        }
        match tokio::time::timeout(Duration::from_secs(1), pq.consume_lock.lock()).await {
            Ok(_g) => {
                let me = self.clone();
                let mq2 = mq.clone();
                if pq.has_temp_message() {
                    // `unlockDelay`: wait 20 s so a pull in flight cannot re-deliver out of order.
                    tokio::spawn(async move {
                        tokio::time::sleep(LOCK_INTERVAL).await;
                        me.unlock(&[mq2]).await;
                    });
                } else {
                    me.unlock(&[mq2]).await;
                }
                true
            }
            Err(_) => {
                pq.try_unlock_times.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(mq = %mq, "the message queue is being consumed, try remove it later");
                false
            }
        }
    }

    /// `computePullFromWhereWithException` of `RebalancePushImpl`: -1 when it cannot be known.
    async fn compute_pull_from_where(
        &self,
        inst: &Arc<ClientInstance>,
        store: &OffsetStore,
        mq: &MessageQueue,
    ) -> i64 {
        let last = store.read_offset(mq, ReadOffsetType::READ_FROM_STORE).await;
        if last >= 0 {
            return last;
        }
        if last != -1 {
            return -1;
        }
        let retry = mq.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX);
        let admin = MQAdmin::new(inst.clone());
        let r = match self.inner.cfg.consume_from_where {
            ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET if retry => Ok(0),
            ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET => admin.max_offset(mq).await,
            ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET => Ok(0),
            ConsumeFromWhere::CONSUME_FROM_TIMESTAMP if retry => admin.max_offset(mq).await,
            ConsumeFromWhere::CONSUME_FROM_TIMESTAMP => {
                match parse_yyyymmddhhmmss(&self.inner.cfg.consume_timestamp) {
                    Some(ts) => admin.search_offset(mq, ts).await,
                    None => Ok(-1),
                }
            }
        };
        r.unwrap_or_else(|e| {
            tracing::warn!(mq = %mq, error = %e, "compute pull offset failed");
            -1
        })
    }

    // ---- orderly locks ------------------------------------------------------------------------

    async fn lock_batch(
        &self,
        inst: &ClientInstance,
        broker: &str,
        mqs: &[MessageQueue],
    ) -> BTreeSet<MessageQueue> {
        let Some(addr) = inst.find_broker_addr_in_publish(broker) else {
            return BTreeSet::new();
        };
        let body = LockBatchRequestBody {
            client_id: Some(inst.client_id().to_owned()),
            consumer_group: Some(self.inner.group.clone()),
            mq_set: mqs.iter().map(mq_data).collect(),
            only_this_broker: false,
        };
        let cmd = RemotingCommand::request_bare(RequestCode::LOCK_BATCH_MQ)
            .with_body(rocklet_protocol::body::encode_json(&body));
        match inst
            .remoting
            .invoke(&addr, cmd, Duration::from_secs(1))
            .await
        {
            Ok(r) if r.code == 0 => {
                match rocklet_protocol::body::decode_json::<LockBatchResponseBody>(r.body_bytes()) {
                    Ok(b) => b
                        .lock_ok_m_q_set
                        .into_iter()
                        .map(super::offset_store::mq_of)
                        .collect(),
                    Err(_) => BTreeSet::new(),
                }
            }
            Ok(r) => {
                tracing::warn!(broker, code = r.code, "lockBatchMQ refused");
                BTreeSet::new()
            }
            Err(e) => {
                tracing::warn!(broker, error = %e, "lockBatchMQ failed");
                BTreeSet::new()
            }
        }
    }

    /// `lock(mq)`: LOCK_BATCH_MQ for one queue.
    async fn lock_one(&self, inst: &ClientInstance, mq: &MessageQueue) -> bool {
        let ok = self
            .lock_batch(inst, &mq.broker_name, std::slice::from_ref(mq))
            .await;
        if let Some(pq) = self.inner.pqs.lock().get(mq) {
            if ok.contains(mq) {
                pq.set_locked(true);
            }
        }
        ok.contains(mq)
    }

    /// `lockAll`: renew every held queue's lock, broker by broker.
    async fn lock_all(&self) {
        let Some(inst) = self.running_instance() else {
            return;
        };
        let mut by_broker: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for mq in self.inner.pqs.lock().keys() {
            by_broker
                .entry(mq.broker_name.clone())
                .or_default()
                .push(mq.clone());
        }
        for (broker, mqs) in by_broker {
            let ok = self.lock_batch(&inst, &broker, &mqs).await;
            let pqs = self.inner.pqs.lock();
            for mq in &mqs {
                if let Some(pq) = pqs.get(mq) {
                    let locked = ok.contains(mq);
                    if !locked && pq.is_locked() {
                        tracing::info!(mq = %mq, "the message queue locked failed, group {}", self.inner.group);
                    }
                    pq.set_locked(locked);
                }
            }
        }
    }

    /// UNLOCK_BATCH_MQ, waiting for the answer.
    async fn unlock(&self, mqs: &[MessageQueue]) {
        let Some(inst) = self.instance() else { return };
        let mut by_broker: BTreeMap<&str, Vec<&MessageQueue>> = BTreeMap::new();
        for mq in mqs {
            by_broker.entry(&mq.broker_name).or_default().push(mq);
        }
        for (broker, list) in by_broker {
            let Some(addr) = inst.find_broker_addr_in_publish(broker) else {
                continue;
            };
            let body = LockBatchRequestBody {
                client_id: Some(inst.client_id().to_owned()),
                consumer_group: Some(self.inner.group.clone()),
                mq_set: list.iter().map(|m| mq_data(m)).collect(),
                only_this_broker: false,
            };
            let cmd = RemotingCommand::request_bare(RequestCode::UNLOCK_BATCH_MQ)
                .with_body(rocklet_protocol::body::encode_json(&body));
            if let Err(e) = inst
                .remoting
                .invoke(&addr, cmd, Duration::from_secs(1))
                .await
            {
                tracing::warn!(broker, error = %e, "unlockBatchMQ failed");
            }
            for mq in list {
                if let Some(pq) = self.inner.pqs.lock().get(mq) {
                    pq.set_locked(false);
                }
            }
        }
    }

    // ---- pulling ----------------------------------------------------------------------------

    fn spawn_pull_task(&self, mq: MessageQueue, pq: Arc<ProcessQueue>, next: i64) {
        let weak = Arc::downgrade(&self.inner);
        let rx = self.inner.shutdown_tx.subscribe();
        tokio::spawn(pull_loop(weak, rx, mq, pq, next));
    }

    /// Flow control (`pullMessage`'s checks): the delay before the next try, or None to pull.
    fn flow_control(&self, mq: &MessageQueue, pq: &ProcessQueue) -> Option<Duration> {
        let cfg = &self.inner.cfg;
        if self.inner.paused.load(Ordering::Acquire) {
            return Some(DELAY_WHEN_SUSPENDED);
        }
        let (count, size) = pq.cached();
        let (mut max_count, mut max_mib) = (
            cfg.pull_threshold_for_queue,
            cfg.pull_threshold_size_for_queue,
        );
        if cfg.pull_threshold_for_topic != -1 || cfg.pull_threshold_size_for_topic != -1 {
            // `messageQueueChanged`: the topic's thresholds shared by its assigned queues.
            let n = self
                .inner
                .topic_queues
                .lock()
                .get(&mq.topic)
                .copied()
                .unwrap_or(1)
                .max(1);
            if cfg.pull_threshold_for_topic != -1 {
                max_count = (cfg.pull_threshold_for_topic / n).max(1);
            }
            if cfg.pull_threshold_size_for_topic != -1 {
                max_mib = (cfg.pull_threshold_size_for_topic / n).max(1);
            }
        }
        if count > max_count || size / (1024 * 1024) > max_mib {
            return Some(DELAY_FLOW_CONTROL);
        }
        if !self.is_orderly() && pq.max_span() > cfg.consume_concurrently_max_span {
            return Some(DELAY_FLOW_CONTROL);
        }
        None
    }

    /// One PULL_MESSAGE: (status code, messages, next begin offset).
    async fn pull_once(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
        offset: i64,
        sub: &SubscriptionData,
    ) -> Result<(ResponseCode, Vec<MessageExt>, i64), ClientError> {
        let cfg = &self.inner.cfg;
        let mut commit_offset = 0;
        if self.clustering() {
            if let Some(store) = self.offset_store() {
                commit_offset = store
                    .read_offset(mq, ReadOffsetType::READ_FROM_MEMORY)
                    .await;
            }
        }
        let mut flag = sys_flag::SUSPEND;
        if commit_offset > 0 {
            flag |= sys_flag::COMMIT_OFFSET;
        }
        let post_sub = cfg.post_subscription_when_pull && !sub.class_filter_mode;
        if post_sub {
            flag |= sys_flag::SUBSCRIPTION;
        }
        let r = super::pull::pull(
            inst,
            super::pull::PullRequest {
                group: &self.inner.group,
                mq,
                offset,
                max_nums: cfg.pull_batch_size,
                sys_flag: flag,
                commit_offset,
                sub,
                post_subscription: post_sub,
                broker_suspend_ms: cfg.broker_suspend_max_time_millis,
                timeout: Duration::from_millis(cfg.consumer_timeout_millis_when_suspend),
            },
        )
        .await?;
        Ok((r.code, r.msgs, r.next_begin_offset))
    }

    // ---- consuming --------------------------------------------------------------------------

    /// `submitConsumeRequest`.
    fn submit(
        &self,
        msgs: Vec<Arc<MessageExt>>,
        pq: &Arc<ProcessQueue>,
        mq: &Arc<QueueRef>,
        dispatch: bool,
    ) {
        match self.listener() {
            Some(Listener::Concurrently(_)) => {
                let n = self.inner.cfg.consume_message_batch_max_size.max(1);
                // Each request gets a vector of exactly its messages: `split_off` would leave
                // every request holding the capacity of the whole rest of the pull (kilobytes
                // per cached message with the default batch of 1).
                let mut it = msgs.into_iter();
                let batches = std::iter::from_fn(|| {
                    let batch: Vec<Arc<MessageExt>> = it.by_ref().take(n).collect();
                    (!batch.is_empty()).then(|| (batch, pq.clone(), mq.clone()))
                });
                self.inner.jobs.push_all(batches);
            }
            Some(Listener::Orderly(_)) if dispatch => {
                self.spawn_orderly(pq.clone(), mq.mq.clone(), Duration::ZERO);
            }
            Some(Listener::Orderly(_)) => {}
            None => {}
        }
    }

    /// Queue a consume request for the workers, after `delay`.
    fn spawn_concurrently(
        &self,
        msgs: Vec<Arc<MessageExt>>,
        pq: Arc<ProcessQueue>,
        mq: Arc<QueueRef>,
        delay: Duration,
    ) {
        if delay.is_zero() {
            self.inner.jobs.push((msgs, pq, mq));
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(inner) = weak.upgrade() {
                inner.jobs.push((msgs, pq, mq));
            }
        });
    }

    /// `resetRetryAndNamespace`: a retried message shows its original topic. Done once, as
    /// the pulled messages enter the cache (Java does it on the cache's objects when their
    /// consume request runs; nothing reads the topic in between).
    fn reset_retry_and_namespace(&self, msgs: &mut [MessageExt]) {
        for m in msgs.iter_mut() {
            if m.topic == self.inner.group_retry_topic {
                if let Some(rt) = m.properties.get(property::RETRY_TOPIC) {
                    m.topic = rt.to_owned();
                }
            }
            if self.inner.cfg.client.namespace.is_some() {
                m.topic = self.inner.cfg.client.without_namespace(&m.topic);
            }
        }
    }

    /// `ConsumeMessageConcurrentlyService.ConsumeRequest.run` + `processConsumeResult`.
    async fn consume_concurrently(
        &self,
        shared: Vec<Arc<MessageExt>>,
        pq: Arc<ProcessQueue>,
        queue: Arc<QueueRef>,
        f: &ConcurrentlyFn,
        store: Option<&Arc<OffsetStore>>,
    ) {
        let mq = &queue.mq;
        if pq.is_dropped() {
            return;
        }
        let offsets: Vec<i64> = shared.iter().map(|m| m.queue_offset).collect();
        // The listener shares the messages with the cache, which keeps them until the result
        // is known.
        let msgs = shared.clone();
        let t0 = now_ms();
        pq.mark_consume_start(&offsets, t0);
        let ctx = ConsumeConcurrentlyContext::new(queue.shown.clone());
        let n = msgs.len() as i32;
        let status = match catch_panic(f(msgs, ctx.clone())).await {
            Some(s) => s,
            None => {
                tracing::warn!(group = %self.inner.group, mq = %mq, "consumeMessage panicked, RECONSUME_LATER");
                ConsumeConcurrentlyStatus::RECONSUME_LATER
            }
        };

        let t1 = now_ms();
        self.inner
            .stats
            .consume_rt_total_ms
            .fetch_add((t1 - t0).max(0) as u64, Ordering::Relaxed);
        if pq.is_dropped() {
            tracing::warn!(group = %self.inner.group, mq = %mq, "processQueue is dropped without process consume result");
            return;
        }
        let ack = match status {
            ConsumeConcurrentlyStatus::CONSUME_SUCCESS => {
                let a = ctx.ack_index().min(n - 1);
                self.inner
                    .stats
                    .ok
                    .fetch_add((a + 1).max(0) as u64, Ordering::Relaxed);
                self.inner
                    .stats
                    .failed
                    .fetch_add((n - 1 - a).max(0) as u64, Ordering::Relaxed);
                a
            }
            ConsumeConcurrentlyStatus::RECONSUME_LATER => {
                self.inner
                    .stats
                    .failed
                    .fetch_add(n as u64, Ordering::Relaxed);
                -1
            }
        };
        let mut done: Vec<i64> = offsets;
        if self.clustering() {
            let mut failed = Vec::new();
            for m in shared.iter().skip((ack + 1).max(0) as usize) {
                if !self
                    .send_message_back(m, ctx.delay_level_when_next_consume(), &mq.broker_name)
                    .await
                {
                    let mut m = (**m).clone();
                    m.reconsume_times += 1;
                    failed.push(m);
                }
            }
            if !failed.is_empty() {
                done.retain(|o| !failed.iter().any(|f| f.queue_offset == *o));
                let failed = failed.into_iter().map(Arc::new).collect();
                self.spawn_concurrently(failed, pq.clone(), queue.clone(), CONSUME_LATER);
            }
        } else {
            for m in shared.iter().skip((ack + 1).max(0) as usize) {
                tracing::warn!(msg_id = %m.msg_id(), "BROADCASTING, the message consume failed, drop it");
            }
        }
        let offset = pq.remove_messages(&done, t1);
        if offset >= 0 && !pq.is_dropped() {
            if let Some(store) = store {
                store.update_offset(mq, offset, true);
            }
        }
        self.wake_room();
    }

    /// A consume finished: wake the pull tasks waiting for room in the cache, if any.
    fn wake_room(&self) {
        if self.inner.room_waiters.load(Ordering::SeqCst) > 0 {
            self.inner.room.notify_waiters();
        }
    }

    /// `sendMessageBack`: CONSUMER_SEND_MSG_BACK to the message's broker; when that fails, the
    /// message is re-sent to the retry topic through the instance's producer (Java's fallback).
    /// False when both failed.
    async fn send_message_back(
        &self,
        msg: &MessageExt,
        delay_level: i32,
        broker_name: &str,
    ) -> bool {
        let Some(inst) = self.instance() else {
            return false;
        };
        // `msg` shows its original topic (resetRetryAndNamespace); the broker finds the stored
        // message by its commit-log offset.
        let stored_topic = self.inner.cfg.client.with_namespace(&msg.topic);
        let h = ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: self.inner.group.clone(),
            delay_level,
            origin_msg_id: Some(msg.msg_id()),
            origin_topic: Some(stored_topic.clone()),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.max_reconsume_times()),
        };
        let addr = inst
            .find_broker_addr_in_publish(broker_name)
            .unwrap_or_else(|| msg.store_host.to_string());
        let r = inst
            .remoting
            .invoke(
                &addr,
                RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK, &h),
                Duration::from_secs(5),
            )
            .await;
        match r {
            Ok(r) if r.code == 0 => return true,
            Ok(r) => {
                tracing::warn!(code = r.code, remark = ?r.remark, "sendMessageBack refused, re-send through the producer")
            }
            Err(e) => {
                tracing::warn!(error = %e, "sendMessageBack failed, re-send through the producer")
            }
        }
        // Fallback: a new message to the retry topic, its reconsume count one more.
        self.resend_to_retry_topic(msg, msg.reconsume_times + 1)
            .await
    }

    /// The message as a new one for the group's retry topic (Java builds it in
    /// `sendMessageBack` of both consume services): body, flag and properties kept,
    /// ORIGIN_MESSAGE_ID, RETRY_TOPIC (the original topic), RECONSUME_TIME `reconsume_time`,
    /// MAX_RECONSUME_TIMES, delay level 3 + reconsume times; sent by the client's producer.
    /// The broker moves it to the DLQ when its reconsume count reached the maximum.
    async fn resend_to_retry_topic(&self, msg: &MessageExt, reconsume_time: i32) -> bool {
        let Ok(body) = msg.body() else { return false };
        let mut m = Message::new(retry_topic(&self.inner.group), body);
        m.flag = msg.flag;
        for (k, v) in msg.properties.iter() {
            m.properties.insert(k, v);
        }
        let origin = msg
            .properties
            .get(property::ORIGIN_MESSAGE_ID)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| msg.msg_id());
        m.properties.insert(property::ORIGIN_MESSAGE_ID, origin);
        m.properties.insert(
            property::RETRY_TOPIC,
            self.inner.cfg.client.with_namespace(&msg.topic),
        );
        m.properties
            .insert(property::RECONSUME_TIME, reconsume_time.to_string());
        m.properties.insert(
            property::MAX_RECONSUME_TIMES,
            self.max_reconsume_times().to_string(),
        );
        m.properties.remove(property::TRANSACTION_PREPARED);
        m.set_delay_time_level(3 + msg.reconsume_times);
        match self.inner_producer().await {
            Ok(p) => match p.send(m).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "re-send to the retry topic failed");
                    false
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "the client's inner producer could not start");
                false
            }
        }
    }

    /// `CLIENT_INNER_PRODUCER`: the producer of the fallback re-sends, sharing the instance.
    async fn inner_producer(&self) -> Result<&crate::DefaultMQProducer, ClientError> {
        self.inner
            .inner_producer
            .get_or_try_init(|| async {
                let mut cfg = crate::ProducerConfig::default();
                cfg.client = self
                    .instance()
                    .map(|i| i.config().clone())
                    .unwrap_or_else(|| self.inner.cfg.client.clone());
                cfg.producer_group = crate::config::CLIENT_INNER_PRODUCER_GROUP.into();
                let p = crate::DefaultMQProducer::new(cfg);
                p.start().await?;
                Ok(p)
            })
            .await
    }

    fn spawn_orderly(&self, pq: Arc<ProcessQueue>, mq: MessageQueue, delay: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            me.consume_orderly(pq, mq).await;
        });
    }

    /// `ConsumeMessageOrderlyService.ConsumeRequest.run`.
    async fn consume_orderly(&self, pq: Arc<ProcessQueue>, mq: MessageQueue) {
        if pq.is_dropped() || self.stopping() {
            return;
        }
        let Some(Listener::Orderly(f)) = self.listener() else {
            return;
        };
        let _run = pq.run_lock.lock().await;
        let clustering = self.clustering();
        if clustering && (!pq.is_locked() || pq.is_lock_expired()) {
            // `tryLockLaterAndReconsume`
            self.retry_lock_later(pq.clone(), mq.clone(), Duration::from_millis(100));
            return;
        }
        let start = now_ms();
        let batch = self.inner.cfg.consume_message_batch_max_size.max(1);
        loop {
            if pq.is_dropped() || self.stopping() {
                return;
            }
            if clustering && (!pq.is_locked() || pq.is_lock_expired()) {
                self.retry_lock_later(pq.clone(), mq.clone(), Duration::from_millis(10));
                return;
            }
            if now_ms() - start > MAX_TIME_CONSUME_CONTINUOUSLY_MS {
                self.spawn_orderly(pq.clone(), mq.clone(), Duration::from_millis(10));
                return;
            }
            let msgs = pq.take_messages(batch);
            if msgs.is_empty() {
                return;
            }
            let ctx = ConsumeOrderlyContext::new(Arc::new(MessageQueue::new(
                self.inner.cfg.client.without_namespace(&mq.topic),
                mq.broker_name.clone(),
                mq.queue_id,
            )));
            // A permit for the call and its commit (shutdown waits for the permits).
            let Ok(_permit) = self.inner.permits.acquire().await else {
                return;
            };
            let status = {
                let _c = pq.consume_lock.lock().await;
                if pq.is_dropped() {
                    return;
                }
                match catch_panic(f(msgs.clone(), ctx.clone())).await {
                    Some(s) => s,
                    None => {
                        tracing::warn!(mq = %mq, "consumeMessage panicked, SUSPEND_CURRENT_QUEUE_A_MOMENT");
                        ConsumeOrderlyStatus::SUSPEND_CURRENT_QUEUE_A_MOMENT
                    }
                }
            };
            if pq.is_dropped() {
                return;
            }
            let n = msgs.len() as u64;
            let mut commit = -1;
            let mut go_on = true;
            match status {
                ConsumeOrderlyStatus::SUCCESS => {
                    self.inner.stats.ok.fetch_add(n, Ordering::Relaxed);
                    if ctx.is_auto_commit() {
                        commit = pq.commit();
                    }
                }
                ConsumeOrderlyStatus::SUSPEND_CURRENT_QUEUE_A_MOMENT => {
                    self.inner.stats.failed.fetch_add(n, Ordering::Relaxed);
                    if self.check_reconsume_times(&msgs, &pq).await {
                        let suspend = match ctx.suspend_current_queue_time_millis() {
                            ms if ms >= 0 => ms as u64,
                            _ => self.inner.cfg.suspend_current_queue_time_millis,
                        };
                        // `submitConsumeRequestLater`, bounded as Java's (10 ms .. 30 s).
                        let d = Duration::from_millis(suspend.clamp(10, 30_000));
                        self.spawn_orderly(pq.clone(), mq.clone(), d);
                        go_on = false;
                    } else {
                        commit = pq.commit();
                    }
                }
            }
            if commit >= 0 && !pq.is_dropped() {
                if let Some(store) = self.offset_store() {
                    store.update_offset(&mq, commit, false);
                }
            }
            self.wake_room();
            if !go_on {
                return;
            }
        }
    }

    /// `checkReconsumeTimes` (orderly): messages over maxReconsumeTimes go to the retry topic
    /// (and from there to the DLQ); the others are consumed again. True: suspend the queue.
    async fn check_reconsume_times(&self, msgs: &[Arc<MessageExt>], pq: &ProcessQueue) -> bool {
        let max = self.max_reconsume_times();
        let mut suspend = false;
        let mut again = Vec::new();
        for m in msgs {
            let mut m2 = (**m).clone();
            if m.reconsume_times >= max {
                m2.properties
                    .insert(property::RECONSUME_TIME, m.reconsume_times.to_string());
                if !self.orderly_send_back(&m2).await {
                    suspend = true;
                    m2.reconsume_times += 1;
                    again.push(Arc::new(m2));
                }
            } else {
                suspend = true;
                m2.reconsume_times += 1;
                again.push(Arc::new(m2));
            }
        }
        if suspend {
            pq.consume_again(&again);
        }
        suspend
    }

    /// `ConsumeMessageOrderlyService.sendMessageBack`: the message re-sent to the retry topic
    /// with its reconsume count, which the broker moves to the DLQ.
    async fn orderly_send_back(&self, msg: &MessageExt) -> bool {
        self.resend_to_retry_topic(msg, msg.reconsume_times).await
    }

    /// `tryLockLaterAndReconsume`.
    fn retry_lock_later(&self, pq: Arc<ProcessQueue>, mq: MessageQueue, delay: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(inst) = me.running_instance() else {
                return;
            };
            let locked = me.lock_one(&inst, &mq).await;
            let d = if locked { 10 } else { 3000 };
            me.spawn_orderly(pq, mq, Duration::from_millis(d));
        });
    }

    /// `cleanExpireMsg`: send back messages whose listener call started over consumeTimeout
    /// ago (delay level 3) and drop them from the cache.
    async fn clean_expired(&self) {
        let timeout = (self.inner.cfg.consume_timeout_minutes * 60_000) as i64;
        let pqs: Vec<(MessageQueue, Arc<ProcessQueue>)> = self
            .inner
            .pqs
            .lock()
            .iter()
            .map(|(m, p)| (m.clone(), p.clone()))
            .collect();
        for (mq, pq) in pqs {
            for m in pq.expired(timeout) {
                tracing::info!(msg_id = %m.msg_id(), mq = %mq, "send expired msg back");
                if self.send_message_back(&m, 3, &mq.broker_name).await {
                    let off = pq.remove_messages(&[m.queue_offset], now_ms());
                    if off >= 0 {
                        if let Some(store) = self.offset_store() {
                            store.update_offset(&mq, off, true);
                        }
                    }
                }
            }
        }
    }

    /// `persistConsumerOffset`: the offsets of the assigned queues to the store.
    async fn persist_offsets(&self, wait: bool) {
        let Some(store) = self.offset_store() else {
            return;
        };
        let mqs: BTreeSet<MessageQueue> = self.inner.pqs.lock().keys().cloned().collect();
        store.persist_all(&mqs, wait).await;
    }

    // ---- the broker's calls -----------------------------------------------------------------

    /// RESET_CONSUMER_CLIENT_OFFSET (`MQClientInstance.resetOffset`): drop the topic's cached
    /// messages, store the new offsets, re-add the queues at the next rebalance.
    async fn reset_offset(&self, topic: &str, offsets: Vec<(MessageQueue, i64)>) {
        self.suspend();
        let pqs: Vec<(MessageQueue, Arc<ProcessQueue>)> = self
            .inner
            .pqs
            .lock()
            .iter()
            .filter(|(m, _)| m.topic == topic)
            .map(|(m, p)| (m.clone(), p.clone()))
            .collect();
        for (_, pq) in &pqs {
            pq.set_dropped();
            pq.clear();
        }
        // Java sleeps 10 s here for pulls in flight; ours are tied to the dropped flag, which
        // every pull task checks before it caches a result.
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some(store) = self.offset_store() {
            for (mq, off) in &offsets {
                if pqs.iter().any(|(m, _)| m == mq) {
                    store.update_offset(mq, *off, false);
                    let pq = self.inner.pqs.lock().get(mq).cloned();
                    if let Some(pq) = pq {
                        if self.remove_unnecessary_queue(mq, &pq).await {
                            self.inner.pqs.lock().remove(mq);
                        }
                    }
                }
            }
        }
        self.resume();
        tracing::info!(group = %self.inner.group, topic, queues = offsets.len(), "reset offset by the broker");
        if let Some(inst) = self.instance() {
            inst.rebalance_immediately();
        }
    }

    /// GET_CONSUMER_RUNNING_INFO's body (`ConsumerRunningInfo`).
    fn running_info(&self) -> Vec<u8> {
        use rocklet_protocol::body::write_mq_map;
        let cfg = &self.inner.cfg;
        let inst = self.instance();
        let mut props = serde_json::Map::new();
        let mut put = |k: &str, v: String| {
            props.insert(k.to_owned(), serde_json::Value::String(v));
        };
        put(
            "PROP_NAMESERVER_ADDR",
            cfg.client.namesrv_addr.clone().unwrap_or_default(),
        );
        put("PROP_CONSUME_TYPE", "CONSUME_PASSIVELY".into());
        put("PROP_CONSUMEORDERLY", self.is_orderly().to_string());
        put(
            "PROP_THREADPOOL_CORE_SIZE",
            cfg.consume_thread_min.to_string(),
        );
        put(
            "PROP_CONSUMER_START_TIMESTAMP",
            self.inner.start_ms.lock().to_string(),
        );
        put("PROP_CLIENT_VERSION", "V4_9_3".into());
        put("consumerGroup", self.inner.group.clone());
        put("messageModel", cfg.message_model.as_str().into());
        put("consumeFromWhere", cfg.consume_from_where.as_str().into());
        put("consumeTimestamp", cfg.consume_timestamp.clone());
        put(
            "allocateMessageQueueStrategy",
            self.inner.strategy.lock().name().to_owned(),
        );
        put("consumeThreadMin", cfg.consume_thread_min.to_string());
        put("consumeThreadMax", cfg.consume_thread_max.to_string());
        put(
            "consumeConcurrentlyMaxSpan",
            cfg.consume_concurrently_max_span.to_string(),
        );
        put(
            "pullThresholdForQueue",
            cfg.pull_threshold_for_queue.to_string(),
        );
        put(
            "pullThresholdSizeForQueue",
            cfg.pull_threshold_size_for_queue.to_string(),
        );
        put(
            "pullThresholdForTopic",
            cfg.pull_threshold_for_topic.to_string(),
        );
        put(
            "pullThresholdSizeForTopic",
            cfg.pull_threshold_size_for_topic.to_string(),
        );
        put("pullInterval", cfg.pull_interval.to_string());
        put(
            "consumeMessageBatchMaxSize",
            cfg.consume_message_batch_max_size.to_string(),
        );
        put("pullBatchSize", cfg.pull_batch_size.to_string());
        put(
            "postSubscriptionWhenPull",
            cfg.post_subscription_when_pull.to_string(),
        );
        put("maxReconsumeTimes", cfg.max_reconsume_times.to_string());
        put(
            "suspendCurrentQueueTimeMillis",
            cfg.suspend_current_queue_time_millis.to_string(),
        );
        put("consumeTimeout", cfg.consume_timeout_minutes.to_string());
        put("unitMode", cfg.client.unit_mode.to_string());
        if let Some(i) = &inst {
            put("clientIP", i.config().client_ip.clone().unwrap_or_default());
            put("instanceName", i.config().instance_name.clone());
        }
        let subs: Vec<SubscriptionData> =
            self.inner.subscriptions.lock().values().cloned().collect();
        let store = self.offset_store();
        let pqs: Vec<(MessageQueue, Arc<ProcessQueue>)> = self
            .inner
            .pqs
            .lock()
            .iter()
            .map(|(m, p)| (m.clone(), p.clone()))
            .collect();
        let offsets = store.map(|s| s.offsets()).unwrap_or_default();
        let mq_entries: Vec<(rocklet_protocol::body::MessageQueueData, serde_json::Value)> = pqs
            .iter()
            .map(|(m, p)| (mq_data(m), p.info(offsets.get(m).copied().unwrap_or(-1))))
            .collect();
        let up_secs = ((now_ms() - *self.inner.start_ms.lock()).max(1) as f64) / 1000.0;
        let ok = self.inner.stats.ok.load(Ordering::Relaxed) as f64;
        let failed = self.inner.stats.failed.load(Ordering::Relaxed);
        let rt = self.inner.stats.consume_rt_total_ms.load(Ordering::Relaxed) as f64;
        let calls = ok + failed as f64;
        let mut status = serde_json::Map::new();
        for s in &subs {
            status.insert(
                s.topic.clone(),
                serde_json::json!({
                    "consumeFailedMsgs": failed,
                    "consumeFailedTPS": failed as f64 / up_secs,
                    "consumeOKTPS": ok / up_secs,
                    "consumeRT": if calls > 0.0 { rt / calls } else { 0.0 },
                    "pullRT": 0.0,
                    "pullTPS": self.inner.stats.pulled.load(Ordering::Relaxed) as f64 / up_secs,
                }),
            );
        }
        let mut out = b"{\"jstack\":\"\",\"mqTable\":".to_vec();
        write_mq_map(&mut out, mq_entries.iter().map(|(q, v)| (q, v)));
        out.extend_from_slice(b",\"properties\":");
        out.extend_from_slice(&serde_json::to_vec(&props).unwrap_or_default());
        out.extend_from_slice(b",\"statusTable\":");
        out.extend_from_slice(&serde_json::to_vec(&status).unwrap_or_default());
        out.extend_from_slice(b",\"subscriptionSet\":");
        out.extend_from_slice(&serde_json::to_vec(&subs).unwrap_or_default());
        out.push(b'}');
        out
    }

    /// CONSUME_MESSAGE_DIRECTLY: the listener called with one message outside any queue;
    /// the answer is a `ConsumeMessageDirectlyResult`.
    async fn consume_directly(&self, mut msg: MessageExt, broker_name: Option<String>) -> Vec<u8> {
        let t0 = now_ms();
        self.reset_retry_and_namespace(std::slice::from_mut(&mut msg));
        let mq = MessageQueue::new(
            msg.topic.clone(),
            broker_name.unwrap_or_default(),
            msg.queue_id,
        );
        let (order, auto_commit, result, remark) = match self.listener() {
            Some(Listener::Concurrently(f)) => {
                let ctx = ConsumeConcurrentlyContext::new(Arc::new(mq));
                match tokio::spawn(f(vec![Arc::new(msg)], ctx)).await {
                    Ok(ConsumeConcurrentlyStatus::CONSUME_SUCCESS) => {
                        (false, true, "CR_SUCCESS", None)
                    }
                    Ok(ConsumeConcurrentlyStatus::RECONSUME_LATER) => {
                        (false, true, "CR_LATER", None)
                    }
                    Err(e) => (false, true, "CR_THROW_EXCEPTION", Some(e.to_string())),
                }
            }
            Some(Listener::Orderly(f)) => {
                let ctx = ConsumeOrderlyContext::new(Arc::new(mq));
                let ac = ctx.is_auto_commit();
                match tokio::spawn(f(vec![Arc::new(msg)], ctx)).await {
                    Ok(ConsumeOrderlyStatus::SUCCESS) => (true, ac, "CR_SUCCESS", None),
                    Ok(ConsumeOrderlyStatus::SUSPEND_CURRENT_QUEUE_A_MOMENT) => {
                        (true, ac, "CR_LATER", None)
                    }
                    Err(e) => (true, ac, "CR_THROW_EXCEPTION", Some(e.to_string())),
                }
            }
            None => (false, true, "CR_RETURN_NULL", None),
        };
        let body = serde_json::json!({
            "autoCommit": auto_commit,
            "consumeResult": result,
            "order": order,
            "remark": remark,
            "spentTimeMills": now_ms() - t0,
        });
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

/// Run a listener's future, catching a panic in it (None) as Java catches a listener's
/// exception, without a task of its own.
async fn catch_panic<T>(fut: super::listener::BoxFuture<T>) -> Option<T> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(fut).catch_unwind().await.ok()
}

/// The pull task of one queue (`PullMessageService` + `pullMessage` + `PullCallback`): runs
/// until the queue is dropped or the consumer stops.
async fn pull_loop(
    weak: Weak<Inner>,
    mut shutdown: watch::Receiver<bool>,
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
    mut next: i64,
) {
    // Shared by the queue's consume requests.
    let queue = {
        let shown = match weak.upgrade() {
            Some(inner) => MessageQueue::new(
                inner.cfg.client.without_namespace(&mq.topic),
                mq.broker_name.clone(),
                mq.queue_id,
            ),
            None => return,
        };
        Arc::new(QueueRef {
            mq,
            shown: Arc::new(shown),
        })
    };
    let mq = &queue.mq;
    let mut previously_locked = false;
    loop {
        if pq.is_dropped() || *shutdown.borrow() {
            return;
        }
        let Some(inner) = weak.upgrade() else { return };
        let c = DefaultMQPushConsumer { inner };
        let Some(inst) = c.running_instance() else {
            return;
        };
        pq.last_pull_ms.store(now_ms(), Ordering::Release);
        let mut delay = Duration::ZERO;
        if let Some(d) = c.flow_control(mq, &pq) {
            delay = d;
        } else if c.is_orderly() && c.clustering() && !pq.is_locked() {
            delay = DELAY_ON_EXCEPTION;
        } else {
            if c.is_orderly() && c.clustering() && !previously_locked {
                // The first pull after the lock: start from the offset the group committed.
                if let Some(store) = c.offset_store() {
                    let o = c.compute_pull_from_where(&inst, &store, mq).await;
                    if o >= 0 {
                        next = o;
                        previously_locked = true;
                    }
                }
            }
            let sub = c.inner.subscriptions.lock().get(&mq.topic).cloned();
            match sub {
                None => {
                    tracing::warn!(mq = %mq, "find the consumer's subscription failed");
                    delay = DELAY_ON_EXCEPTION;
                }
                Some(sub) => {
                    let res = tokio::select! {
                        r = c.pull_once(&inst, mq, next, &sub) => Some(r),
                        _ = shutdown.changed() => None,
                    };
                    let Some(res) = res else { return };
                    if pq.is_dropped() {
                        return;
                    }
                    match res {
                        Ok((ResponseCode::SUCCESS, mut msgs, nb)) => {
                            next = nb;
                            if !msgs.is_empty() {
                                c.reset_retry_and_namespace(&mut msgs);
                                c.inner
                                    .stats
                                    .pulled
                                    .fetch_add(msgs.len() as u64, Ordering::Relaxed);
                                let (dispatch, msgs) = pq.put_messages(msgs);
                                c.submit(msgs, &pq, &queue, dispatch);
                                delay = Duration::from_millis(c.inner.cfg.pull_interval);
                            }
                        }
                        Ok((ResponseCode::PULL_OFFSET_MOVED, _, nb)) => {
                            // OFFSET_ILLEGAL: drop the queue; the next rebalance re-adds it from
                            // the corrected offset.
                            tracing::warn!(mq = %mq, offset = next, next = nb, "the pull request offset illegal");
                            pq.set_dropped();
                            let c2 = c.clone();
                            let mq2 = mq.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(Duration::from_secs(10)).await;
                                if let Some(store) = c2.offset_store() {
                                    store.update_offset(&mq2, nb, false);
                                    store.persist(&mq2).await;
                                }
                                c2.inner.pqs.lock().remove(&mq2);
                                if let Some(i) = c2.instance() {
                                    i.rebalance_immediately();
                                }
                            });
                            return;
                        }
                        Ok((_, _, nb)) => {
                            // NO_NEW_MSG / NO_MATCHED_MSG: `correctTagsOffset`.
                            next = nb;
                            if pq.cached().0 == 0 {
                                if let Some(store) = c.offset_store() {
                                    store.update_offset(mq, nb, true);
                                }
                            }
                        }
                        Err(e) => {
                            if !mq.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
                                tracing::warn!(mq = %mq, error = %e, "execute the pull request exception");
                            }
                            delay = DELAY_ON_EXCEPTION;
                        }
                    }
                }
            }
        }
        drop(inst);
        let room = c.inner.clone();
        drop(c);
        if !delay.is_zero() {
            let for_room = delay == DELAY_FLOW_CONTROL || delay == DELAY_WHEN_SUSPENDED;
            let _waiting = for_room.then(|| RoomWaiter::new(&room.room_waiters));
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = room.room.notified(), if for_room => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Counts a pull task in `Inner::room_waiters` while it lives.
struct RoomWaiter<'a>(&'a AtomicUsize);

impl<'a> RoomWaiter<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        RoomWaiter(n)
    }
}

impl Drop for RoomWaiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the client instance keeps of a push consumer: a weak handle, so a consumer dropped
/// without shutdown does not live on in the instance.
struct Handle(Weak<Inner>);

impl Handle {
    fn get(&self) -> Option<DefaultMQPushConsumer> {
        self.0
            .upgrade()
            .map(|inner| DefaultMQPushConsumer { inner })
    }
}

impl ConsumerInner for Handle {
    fn do_rebalance(&self) -> super::listener::BoxFuture<()> {
        let c = self.get();
        Box::pin(async move {
            if let Some(c) = c {
                c.do_rebalance().await;
            }
        })
    }
    fn persist_offsets(&self) -> super::listener::BoxFuture<()> {
        let c = self.get();
        Box::pin(async move {
            if let Some(c) = c {
                c.persist_offsets(false).await;
            }
        })
    }
    fn reset_offset(
        &self,
        topic: String,
        offsets: Vec<(MessageQueue, i64)>,
    ) -> super::listener::BoxFuture<()> {
        let c = self.get();
        Box::pin(async move {
            if let Some(c) = c {
                c.reset_offset(&topic, offsets).await;
            }
        })
    }
    fn offsets_of(&self, topic: &str) -> Vec<(MessageQueue, i64)> {
        self.get()
            .map(|c| {
                c.offsets()
                    .into_iter()
                    .filter(|(m, _)| m.topic == topic)
                    .collect()
            })
            .unwrap_or_default()
    }
    fn running_info(&self) -> Option<Vec<u8>> {
        self.get().map(|c| c.running_info())
    }
    fn consume_directly(
        &self,
        msg: MessageExt,
        broker_name: Option<String>,
    ) -> super::listener::BoxFuture<Option<Vec<u8>>> {
        let c = self.get();
        Box::pin(async move {
            match c {
                Some(c) => Some(c.consume_directly(msg, broker_name).await),
                None => None,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_as_filter_api_builds_it() {
        let s = build_subscription("T", "TagA || TagB ||  || TagA", false);
        assert_eq!(s.tags_set, vec!["TagA", "TagB"]);
        assert_eq!(
            s.code_set,
            vec![java_string_hash("TagA"), java_string_hash("TagB")]
        );
        assert_eq!(s.sub_string, "TagA || TagB ||  || TagA");
        let all = build_subscription("T", "", false);
        assert_eq!(all.sub_string, "*");
        assert!(all.tags_set.is_empty());
        let sql = build_subscription("T", "a > 1", true);
        assert_eq!(sql.expression_type.as_deref(), Some("SQL92"));
        assert!(sql.tags_set.is_empty());
    }
}
