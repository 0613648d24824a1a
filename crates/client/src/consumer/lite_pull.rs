//! `DefaultLitePullConsumer` / `DefaultLitePullConsumerImpl`: the application assigns queues
//! (ASSIGN) or subscribes to topics and the group's rebalance assigns them (SUBSCRIBE); a
//! background task per queue long-polls the broker into a bounded cache, and
//! [`DefaultLitePullConsumer::poll`] hands the cached messages out.

use parking_lot::Mutex;
use rocklet_protocol::body::{ConsumerData, SubscriptionData};
use rocklet_protocol::header::{
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rocklet_protocol::route::perm;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

use super::allocate::{AllocateMessageQueueAveragely, AllocateMessageQueueStrategy};
use super::config::{check_consumer_config, parse_yyyymmddhhmmss, ConsumeFromWhere};
use super::listener::BoxFuture;
use super::push::build_subscription;
use super::LitePullConsumerConfig;
use crate::admin::MQAdmin;
use crate::error::{faq, ClientError, FAQ_CLIENT_SERVICE_NOT_OK, FAQ_GROUP_NAME_DUPLICATE};
use crate::instance::{ClientInstance, ConsumerInner, ServiceState};
use crate::message::{MessageExt, MessageQueue};

/// `SubscriptionType`: how the consumer got its queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    Subscribe,
    Assign,
}

/// `PullSysFlag.buildSysFlag(commitOffset=false, suspend=true, subscription=true,
/// classFilter=false, litePull=true)`.
const PULL_SYS_FLAG: i32 = 0x2 | 0x4 | 0x10;
/// `PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL`: the longest wait for room in a full cache (a poll
/// wakes the task at once).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// `PULL_TIME_DELAY_MILLS_ON_EXCEPTION`: the wait after the start offset could not be found.
const OFFSET_EXCEPTION_DELAY: Duration = Duration::from_millis(3000);

/// One pulled batch waiting for [`DefaultLitePullConsumer::poll`] (`ConsumeRequest`).
struct Batch {
    mq: MessageQueue,
    generation: u64,
    bytes: i64,
    msgs: Vec<MessageExt>,
}

/// Per assigned queue (`ProcessQueue` plus `AssignedMessageQueue`'s entry).
#[derive(Default)]
struct QueueState {
    /// Bumped by every seek (and by a re-assignment): batches and pulls of older generations are
    /// stale and are dropped.
    generation: u64,
    paused: bool,
    /// `seekOffset`: where the next pull starts, set by a seek.
    seek_offset: Option<i64>,
    /// `pullOffset`: the next offset to pull, once known.
    pull_offset: Option<i64>,
    /// `consumeOffset`: the offset after the last message handed out by poll, or the seek target.
    consume_offset: Option<i64>,
    cached_count: i64,
    cached_bytes: i64,
    task: Option<tokio::task::JoinHandle<()>>,
}

struct Inner {
    cfg: LitePullConsumerConfig,
    state: Mutex<ServiceState>,
    instance: Mutex<Option<Arc<ClientInstance>>>,
    queues: Mutex<BTreeMap<MessageQueue, QueueState>>,
    /// `consumeRequestCache`: the batches in pull order.
    cache: Mutex<VecDeque<Batch>>,
    /// Signalled when a batch is cached.
    arrived: Notify,
    /// Signalled when a poll took messages out, or a queue was resumed or seeked.
    room: Notify,
    shutdown_tx: watch::Sender<bool>,
    auto_commit_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    mode: Mutex<Mode>,
    /// SUBSCRIBE mode: full topic name -> subscription.
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    strategy: Mutex<Arc<dyn AllocateMessageQueueStrategy>>,
    rebalance_lock: tokio::sync::Mutex<()>,
}

/// The lite pull consumer in ASSIGN mode. Cheap to clone; clones share one consumer.
///
/// ```no_run
/// # async fn demo() -> Result<(), rocklet_client::ClientError> {
/// use rocklet_client::{DefaultLitePullConsumer, LitePullConsumerConfig};
/// use std::time::Duration;
/// let c = DefaultLitePullConsumer::new(
///     LitePullConsumerConfig::new("my_group").with_namesrv("127.0.0.1:9876"),
/// );
/// c.start().await?;
/// let queues = c.fetch_message_queues("TopicTest").await?;
/// c.assign(queues)?;
/// for m in c.poll(Duration::from_secs(1)).await? {
///     println!("{} {:?}", m.msg_id(), m.raw_body);
/// }
/// c.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DefaultLitePullConsumer {
    inner: Arc<Inner>,
}

fn not_running(st: ServiceState) -> ClientError {
    ClientError::client(
        -1,
        format!(
            "The consumer service state not OK, {st:?}{}",
            faq(FAQ_CLIENT_SERVICE_NOT_OK)
        ),
    )
}

impl DefaultLitePullConsumer {
    /// A consumer with `cfg`, not started. An `instance_name` of `DEFAULT` becomes `pid#nanos`
    /// (Java's `changeInstanceNameToPID` of a clustering consumer).
    pub fn new(mut cfg: LitePullConsumerConfig) -> Self {
        cfg.client.change_instance_name_to_pid();
        let (tx, _) = watch::channel(false);
        DefaultLitePullConsumer {
            inner: Arc::new(Inner {
                cfg,
                state: Mutex::new(ServiceState::CREATE_JUST),
                instance: Mutex::new(None),
                queues: Mutex::new(BTreeMap::new()),
                cache: Mutex::new(VecDeque::new()),
                arrived: Notify::new(),
                room: Notify::new(),
                shutdown_tx: tx,
                auto_commit_task: Mutex::new(None),
                mode: Mutex::new(Mode::None),
                subscriptions: Mutex::new(BTreeMap::new()),
                strategy: Mutex::new(Arc::new(AllocateMessageQueueAveragely)),
                rebalance_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The settings the consumer was made with.
    pub fn config(&self) -> &LitePullConsumerConfig {
        &self.inner.cfg
    }
    /// CREATE_JUST until [`Self::start`], RUNNING, then SHUTDOWN_ALREADY after
    /// [`Self::shutdown`] (START_FAILED when a start failed half way).
    pub fn state(&self) -> ServiceState {
        *self.inner.state.lock()
    }
    /// The shared client instance, once started.
    pub fn instance(&self) -> Option<Arc<ClientInstance>> {
        self.inner.instance.lock().clone()
    }

    fn running_instance(&self) -> Result<Arc<ClientInstance>, ClientError> {
        let st = *self.inner.state.lock();
        if st != ServiceState::RUNNING {
            return Err(not_running(st));
        }
        self.instance().ok_or_else(|| not_running(st))
    }

    fn wrap(&self, mq: &MessageQueue) -> MessageQueue {
        MessageQueue::new(
            self.inner.cfg.client.with_namespace(&mq.topic),
            mq.broker_name.clone(),
            mq.queue_id,
        )
    }

    /// `start`: CREATE_JUST -> RUNNING. Registers the consumer group in the shared client
    /// instance (its heartbeats then carry it), starts the pull tasks of queues assigned before
    /// and, with `auto_commit`, the commit task.
    ///
    /// # Errors
    /// [`ClientError::Client`] when the consumer was started before, the group name is invalid
    /// or `DEFAULT_CONSUMER`, `pull_batch_size` is outside 1..=1024, `consume_timestamp` is
    /// not `yyyyMMddHHmmss` (with CONSUME_FROM_TIMESTAMP), another consumer of this client
    /// instance has the same group, or the client instance cannot start.
    pub async fn start(&self) -> Result<(), ClientError> {
        let mut client_cfg = self.inner.cfg.client.clone();
        client_cfg.client_ip = Some(client_cfg.resolve_client_ip());
        let inst = {
            let mut st = self.inner.state.lock();
            if *st != ServiceState::CREATE_JUST {
                return Err(ClientError::client(
                    -1,
                    format!(
                        "The PullConsumer service state not OK, maybe started once, {:?}{}",
                        *st,
                        faq(FAQ_CLIENT_SERVICE_NOT_OK)
                    ),
                ));
            }
            *st = ServiceState::START_FAILED;
            check_consumer_config(&self.inner.cfg)?;
            let inst = ClientInstance::get_or_create(&client_cfg);
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
            if let Err(e) = inst.start() {
                // Nothing else uses the group's registration: take it back.
                let inst2 = inst.clone();
                let group = self.inner.cfg.consumer_group.clone();
                tokio::spawn(async move { inst2.unregister_consumer(&group).await });
                return Err(e);
            }
            *self.inner.instance.lock() = Some(inst.clone());
            *st = ServiceState::RUNNING;
            inst
        };
        tracing::info!(group = %self.inner.cfg.consumer_group, client_id = inst.client_id(), "lite pull consumer started");
        if self.inner.cfg.auto_commit {
            let weak = Arc::downgrade(&self.inner);
            let mut rx = self.inner.shutdown_tx.subscribe();
            let every = Duration::from_millis(self.inner.cfg.auto_commit_interval_millis.max(1));
            *self.inner.auto_commit_task.lock() = Some(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = rx.changed() => return,
                    }
                    let Some(inner) = weak.upgrade() else { return };
                    DefaultLitePullConsumer { inner }.commit_all(true).await;
                }
            }));
        }
        let mqs: Vec<MessageQueue> = self.inner.queues.lock().keys().cloned().collect();
        for mq in mqs {
            self.spawn_pull_task(&mq);
        }
        let topics: Vec<String> = self.inner.subscriptions.lock().keys().cloned().collect();
        for t in &topics {
            inst.update_topic_route(t, None).await;
        }
        inst.send_heartbeat_to_all_brokers().await;
        if self.mode() == Mode::Subscribe {
            inst.rebalance_immediately();
        }
        Ok(())
    }

    fn mode(&self) -> Mode {
        *self.inner.mode.lock()
    }

    /// The group's heartbeat entry: CONSUME_ACTIVELY, the subscriptions of SUBSCRIBE mode.
    fn consumer_data(&self) -> ConsumerData {
        ConsumerData {
            consume_from_where: Some(self.inner.cfg.consume_from_where.as_str().into()),
            consume_type: Some("CONSUME_ACTIVELY".into()),
            group_name: self.inner.cfg.consumer_group.clone(),
            message_model: Some(self.inner.cfg.message_model.as_str().into()),
            subscription_data_set: self.inner.subscriptions.lock().values().cloned().collect(),
            unit_mode: self.inner.cfg.client.unit_mode,
        }
    }

    /// `setAllocateMessageQueueStrategy` (SUBSCRIBE mode; default averagely).
    pub fn set_allocate_message_queue_strategy(&self, s: Arc<dyn AllocateMessageQueueStrategy>) {
        *self.inner.strategy.lock() = s;
    }

    /// `subscribe(topic, subExpression)`: SUBSCRIBE mode, the group's rebalance assigns this
    /// client its share of the topic's queues (all of them when broadcasting). Tags separated
    /// by `||`, or `*`.
    ///
    /// # Errors
    /// [`ClientError::Client`] when queues were assigned by [`Self::assign`] (Java: "Subscribe
    /// and assign are mutually exclusive.") or the topic name is invalid.
    pub fn subscribe(&self, topic: &str, expr: &str) -> Result<(), ClientError> {
        self.subscribe_inner(topic, expr, false)
    }

    /// `subscribe(topic, MessageSelector.bySql(expr))`.
    ///
    /// # Errors
    /// As [`Self::subscribe`].
    pub fn subscribe_sql(&self, topic: &str, expr: &str) -> Result<(), ClientError> {
        self.subscribe_inner(topic, expr, true)
    }

    fn subscribe_inner(&self, topic: &str, expr: &str, sql: bool) -> Result<(), ClientError> {
        crate::validators::check_topic(topic)?;
        {
            let mut mode = self.inner.mode.lock();
            if *mode == Mode::Assign {
                return Err(ClientError::client(
                    -1,
                    "Subscribe and assign are mutually exclusive.",
                ));
            }
            *mode = Mode::Subscribe;
        }
        let full = self.inner.cfg.client.with_namespace(topic);
        let sub = build_subscription(&full, expr, sql);
        self.inner.subscriptions.lock().insert(full, sub);
        self.after_subscription_change();
        Ok(())
    }

    /// `unsubscribe(topic)`: its queues are dropped at the next rebalance.
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

    /// SUBSCRIBE mode's rebalance (`updateAssignQueueAndStartPullTask`): per subscribed topic,
    /// the queues allocated to this client replace the topic's assigned ones; a queue taken
    /// away has its consumed offset committed first.
    async fn do_rebalance(&self) {
        if self.mode() != Mode::Subscribe {
            return;
        }
        let Ok(inst) = self.running_instance() else {
            return;
        };
        let _g = self.inner.rebalance_lock.lock().await;
        let subs: Vec<String> = self.inner.subscriptions.lock().keys().cloned().collect();
        let strategy = self.inner.strategy.lock().clone();
        let mut wanted: BTreeMap<String, std::collections::BTreeSet<MessageQueue>> =
            BTreeMap::new();
        for topic in &subs {
            match super::rebalance::allocate_topic(
                &inst,
                &self.inner.cfg.consumer_group,
                topic,
                self.inner.cfg.message_model,
                strategy.as_ref(),
            )
            .await
            {
                Ok(set) => {
                    wanted.insert(topic.clone(), set);
                }
                Err(e) => {
                    tracing::warn!(group = %self.inner.cfg.consumer_group, topic, error = %e, "rebalance failed");
                }
            }
        }
        // Queues of topics no longer subscribed, or no longer allocated to this client.
        let current: Vec<MessageQueue> = self.inner.queues.lock().keys().cloned().collect();
        let removed: Vec<MessageQueue> = current
            .into_iter()
            .filter(|mq| match wanted.get(&mq.topic) {
                Some(set) => !set.contains(mq),
                None => !subs.contains(&mq.topic),
            })
            .collect();
        let mut changed = !removed.is_empty();
        for mq in &removed {
            let off = self
                .inner
                .queues
                .lock()
                .get(mq)
                .and_then(|q| q.consume_offset);
            if let Some(off) = off {
                if let Err(e) = self.update_offset(&inst, mq, off, false).await {
                    tracing::warn!(mq = %mq, error = %e, "commit of a removed queue failed");
                }
            }
            if let Some(mut q) = self.inner.queues.lock().remove(mq) {
                if let Some(t) = q.task.take() {
                    t.abort();
                }
            }
            self.inner.cache.lock().retain(|b| &b.mq != mq);
        }
        let mut added = Vec::new();
        {
            let mut qs = self.inner.queues.lock();
            for set in wanted.values() {
                for mq in set {
                    if !qs.contains_key(mq) {
                        qs.insert(mq.clone(), QueueState::default());
                        added.push(mq.clone());
                    }
                }
            }
        }
        for mq in &added {
            self.spawn_pull_task(mq);
        }
        changed |= !added.is_empty();
        if changed {
            tracing::info!(group = %self.inner.cfg.consumer_group, removed = removed.len(), added = added.len(), "lite pull rebalance changed the assignment");
            for s in self.inner.subscriptions.lock().values_mut() {
                s.sub_version = rocklet_protocol::time::now_ms();
            }
            inst.update_consumer_data(self.consumer_data());
            inst.send_heartbeat_to_all_brokers().await;
        }
    }

    /// `shutdown`: stop the pull tasks, commit the consumed offsets when `auto_commit` (waiting
    /// for the brokers' answers, where Java's last persist is oneway), unregister the group from
    /// the brokers; the shared instance stops when nothing else uses it. Does nothing unless the
    /// consumer is RUNNING.
    pub async fn shutdown(&self) {
        {
            let mut st = self.inner.state.lock();
            if *st != ServiceState::RUNNING {
                return;
            }
            *st = ServiceState::SHUTDOWN_ALREADY;
        }
        let _ = self.inner.shutdown_tx.send(true);
        // A poll waiting for messages returns (empty) now.
        self.inner.arrived.notify_waiters();
        if let Some(t) = self.inner.auto_commit_task.lock().take() {
            t.abort();
        }
        for q in self.inner.queues.lock().values_mut() {
            if let Some(t) = q.task.take() {
                t.abort();
            }
        }
        if self.inner.cfg.auto_commit {
            self.commit_all(false).await;
        }
        self.inner.cache.lock().clear();
        let inst = self.inner.instance.lock().take();
        if let Some(inst) = inst {
            inst.unregister_consumer(&self.inner.cfg.consumer_group)
                .await;
        }
    }

    /// `fetchMessageQueues(topic)`: the topic's readable queues from the name server
    /// (`fetchSubscribeMessageQueues`).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the consumer is not running, the route lookup fails (as
    /// [`MQAdmin::topic_route`]) or no queue is readable.
    pub async fn fetch_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        let inst = self.running_instance()?;
        let full = self.inner.cfg.client.with_namespace(topic);
        let route = inst.get_topic_route(&full).await?;
        // Keep the broker addresses for the pulls.
        inst.update_topic_route(&full, None).await;
        let mut out = Vec::new();
        for qd in &route.queue_datas {
            if perm::is_readable(qd.perm) {
                for i in 0..qd.read_queue_nums.max(0) {
                    out.push(MessageQueue::new(topic, qd.broker_name.clone(), i));
                }
            }
        }
        if out.is_empty() {
            return Err(ClientError::client(
                -1,
                format!("Can not find Message Queue for this topic, {topic} Namesrv return empty"),
            ));
        }
        out.sort();
        Ok(out)
    }

    /// `assign(messageQueues)`: consume exactly these queues from now on. Queues no longer
    /// assigned are dropped with their cached messages; newly assigned ones start pulling (at
    /// once when running, else at [`Self::start`]) from the group's committed offset, or per
    /// `consume_from_where` when there is none.
    ///
    /// # Errors
    /// [`ClientError::Client`] when `queues` is empty.
    pub fn assign(&self, queues: Vec<MessageQueue>) -> Result<(), ClientError> {
        if queues.is_empty() {
            return Err(ClientError::client(
                -1,
                "Message queues can not be null or empty.",
            ));
        }
        {
            let mut mode = self.inner.mode.lock();
            if *mode == Mode::Subscribe {
                return Err(ClientError::client(
                    -1,
                    "Subscribe and assign are mutually exclusive.",
                ));
            }
            *mode = Mode::Assign;
        }
        let wanted: Vec<MessageQueue> = queues.iter().map(|q| self.wrap(q)).collect();
        let mut added = Vec::new();
        {
            let mut qs = self.inner.queues.lock();
            qs.retain(|mq, q| {
                let keep = wanted.contains(mq);
                if !keep {
                    if let Some(t) = q.task.take() {
                        t.abort();
                    }
                }
                keep
            });
            for mq in wanted {
                if !qs.contains_key(&mq) {
                    qs.insert(mq.clone(), QueueState::default());
                    added.push(mq);
                }
            }
            self.inner.cache.lock().retain(|b| qs.contains_key(&b.mq));
        }
        if *self.inner.state.lock() == ServiceState::RUNNING {
            for mq in &added {
                self.spawn_pull_task(mq);
            }
        }
        Ok(())
    }

    /// The assigned queues (`assignment`).
    pub fn assignment(&self) -> Vec<MessageQueue> {
        self.inner
            .queues
            .lock()
            .keys()
            .map(|mq| {
                MessageQueue::new(
                    self.inner.cfg.client.without_namespace(&mq.topic),
                    mq.broker_name.clone(),
                    mq.queue_id,
                )
            })
            .collect()
    }

    /// `poll()` with `poll_timeout_millis`.
    ///
    /// # Errors
    /// As [`Self::poll`].
    pub async fn poll_default(&self) -> Result<Vec<MessageExt>, ClientError> {
        self.poll(Duration::from_millis(self.inner.cfg.poll_timeout_millis))
            .await
    }

    /// `poll(timeout)`: the next pulled batch (at most `pull_batch_size` messages of one queue,
    /// in queue order), waiting up to `timeout` for one; empty when none came. The queue's
    /// consumed offset moves past the batch: that is what a commit sends.
    ///
    /// # Errors
    /// [`ClientError::Client`] when the consumer is not running.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<MessageExt>, ClientError> {
        self.running_instance()?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(msgs) = self.take_batch() {
                return Ok(msgs);
            }
            if *self.inner.state.lock() != ServiceState::RUNNING {
                return Ok(Vec::new());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(self.take_batch().unwrap_or_default());
            }
        }
    }

    /// Take the first batch that is not stale, and account for it.
    fn take_batch(&self) -> Option<Vec<MessageExt>> {
        let mut qs = self.inner.queues.lock();
        let mut cache = self.inner.cache.lock();
        while let Some(b) = cache.pop_front() {
            let Some(q) = qs.get_mut(&b.mq) else { continue };
            if q.generation != b.generation {
                continue;
            }
            q.cached_count -= b.msgs.len() as i64;
            q.cached_bytes -= b.bytes;
            if let Some(last) = b.msgs.last() {
                q.consume_offset = Some(last.queue_offset + 1);
            }
            drop(cache);
            drop(qs);
            self.inner.room.notify_waiters();
            let mut msgs = b.msgs;
            if self.inner.cfg.client.namespace.is_some() {
                for m in &mut msgs {
                    m.topic = self.inner.cfg.client.without_namespace(&m.topic);
                }
            }
            return Some(msgs);
        }
        None
    }

    /// Diagnostic: how many messages of `mq` are pulled and not yet handed out by a poll
    /// (0 for a queue not assigned). Flow control keeps it at most `pull_threshold_for_queue`
    /// plus `pull_batch_size`.
    pub fn cached_count(&self, mq: &MessageQueue) -> i64 {
        self.inner
            .queues
            .lock()
            .get(&self.wrap(mq))
            .map_or(0, |q| q.cached_count)
    }

    /// `pause(messageQueues)`: stop pulling these queues (a pull waiting on the broker is
    /// abandoned). Messages already cached are still handed out.
    pub fn pause(&self, queues: &[MessageQueue]) {
        let mut qs = self.inner.queues.lock();
        for mq in queues {
            if let Some(q) = qs.get_mut(&self.wrap(mq)) {
                q.paused = true;
                if let Some(t) = q.task.take() {
                    t.abort();
                }
            }
        }
    }

    /// `resume(messageQueues)`: pull paused queues again, from where they stopped.
    pub fn resume(&self, queues: &[MessageQueue]) {
        let running = *self.inner.state.lock() == ServiceState::RUNNING;
        let mut restart = Vec::new();
        {
            let mut qs = self.inner.queues.lock();
            for mq in queues {
                let mq = self.wrap(mq);
                if let Some(q) = qs.get_mut(&mq) {
                    if q.paused {
                        q.paused = false;
                        restart.push(mq);
                    }
                }
            }
        }
        if running {
            for mq in &restart {
                self.spawn_pull_task(mq);
            }
        }
    }

    /// `seek(messageQueue, offset)`: drop the queue's cached messages (and any pull in flight)
    /// and consume it from `offset`, which becomes its consumed offset.
    ///
    /// # Errors
    /// [`ClientError::Client`] when the consumer is not running, the queue is not assigned, or
    /// `offset` is outside the queue's [min offset, max offset]; the offset look-ups' errors as
    /// [`MQAdmin::max_offset`].
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<(), ClientError> {
        let inst = self.running_instance()?;
        let mq = self.wrap(mq);
        self.check_assigned(&mq)?;
        let admin = MQAdmin::new(inst);
        let min = admin.min_offset(&mq).await?;
        let max = admin.max_offset(&mq).await?;
        if offset < min || offset > max {
            return Err(ClientError::client(
                -1,
                format!("Seek offset illegal, seek offset = {offset}, min offset = {min}, max offset = {max}"),
            ));
        }
        {
            let mut qs = self.inner.queues.lock();
            let q = qs.get_mut(&mq).ok_or_else(|| not_assigned(&mq))?;
            if let Some(t) = q.task.take() {
                t.abort();
            }
            q.generation += 1;
            q.cached_count = 0;
            q.cached_bytes = 0;
            q.seek_offset = Some(offset);
            q.pull_offset = None;
            self.inner.cache.lock().retain(|b| b.mq != mq);
        }
        self.spawn_pull_task(&mq);
        Ok(())
    }

    /// `seekToBegin`: [`Self::seek`] to the queue's min offset.
    ///
    /// # Errors
    /// As [`Self::seek`].
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        let admin = MQAdmin::new(self.running_instance()?);
        let min = admin.min_offset(&self.wrap(mq)).await?;
        self.seek(mq, min).await
    }

    /// `seekToEnd`: [`Self::seek`] to the queue's max offset (only new messages).
    ///
    /// # Errors
    /// As [`Self::seek`].
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        let admin = MQAdmin::new(self.running_instance()?);
        let max = admin.max_offset(&self.wrap(mq)).await?;
        self.seek(mq, max).await
    }

    /// `offsetForTimestamp` (`searchOffset`): the offset of the queue's first message stored at
    /// or after `timestamp` (ms).
    ///
    /// # Errors
    /// As [`MQAdmin::search_offset`], or [`ClientError::Client`] when not running.
    pub async fn offset_for_timestamp(
        &self,
        mq: &MessageQueue,
        timestamp: i64,
    ) -> Result<i64, ClientError> {
        let admin = MQAdmin::new(self.running_instance()?);
        admin.search_offset(&self.wrap(mq), timestamp).await
    }

    /// `committed(messageQueue)`: the group's offset of `mq` as the broker has it
    /// (QUERY_CONSUMER_OFFSET); -1 when the broker has none (it refused, e.g. QUERY_NOT_FOUND).
    ///
    /// The broker answers 0, not "none", for a group that never committed on a queue whose
    /// messages still start at offset 0 and are in memory, as Java's broker does.
    ///
    /// # Errors
    /// [`ClientError::Client`] when not running or `mq`'s broker is unknown;
    /// [`ClientError::Remoting`] when the broker could not be asked.
    pub async fn committed(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        let inst = self.running_instance()?;
        self.query_offset(&inst, &self.wrap(mq)).await
    }

    async fn query_offset(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
    ) -> Result<i64, ClientError> {
        let addr = inst.broker_addr_for(mq).await?;
        let cmd = RemotingCommand::request(
            RequestCode::QUERY_CONSUMER_OFFSET,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: self.inner.cfg.consumer_group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
            },
        );
        let r = inst
            .remoting
            .invoke(&addr, cmd, inst.config().mq_client_api_timeout)
            .await?;
        if r.code != ResponseCode::SUCCESS.as_i32() {
            return Ok(-1);
        }
        Ok(r.header::<OffsetResponseHeader>()?.offset)
    }

    /// `commitSync`: send every assigned queue's consumed offset to its broker
    /// (UPDATE_CONSUMER_OFFSET) and wait for the answers. (Java's `commitSync` only updates the
    /// local offset store, which its client instance persists every 5 s.) Queues with nothing
    /// consumed yet are skipped.
    ///
    /// # Errors
    /// [`ClientError::Client`] when not running; the first failed update's error (the other
    /// queues are still committed).
    pub async fn commit_sync(&self) -> Result<(), ClientError> {
        let inst = self.running_instance()?;
        let mut first_err = None;
        for (mq, off) in self.consumed_offsets() {
            if let Err(e) = self.update_offset(&inst, &mq, off, false).await {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn consumed_offsets(&self) -> Vec<(MessageQueue, i64)> {
        self.inner
            .queues
            .lock()
            .iter()
            .filter_map(|(mq, q)| q.consume_offset.map(|o| (mq.clone(), o)))
            .collect()
    }

    /// `commitAll`: every consumed offset, oneway (auto commit) or waiting for the answers
    /// (shutdown); failures are logged.
    async fn commit_all(&self, oneway: bool) {
        let Some(inst) = self.instance() else { return };
        for (mq, off) in self.consumed_offsets() {
            if let Err(e) = self.update_offset(&inst, &mq, off, oneway).await {
                tracing::warn!(mq = %mq, error = %e, "commit consumer offset failed");
            }
        }
    }

    async fn update_offset(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
        offset: i64,
        oneway: bool,
    ) -> Result<(), ClientError> {
        let addr = inst.broker_addr_for(mq).await?;
        let cmd = RemotingCommand::request(
            RequestCode::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: self.inner.cfg.consumer_group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                commit_offset: offset,
            },
        );
        let timeout = inst.config().mq_client_api_timeout;
        if oneway {
            inst.remoting.invoke_oneway(&addr, cmd, timeout).await?;
            return Ok(());
        }
        let r = inst.remoting.invoke(&addr, cmd, timeout).await?;
        if r.code != 0 {
            return Err(ClientError::Broker {
                code: ResponseCode::from_i32(r.code),
                remark: r.remark.unwrap_or_default(),
                addr,
            });
        }
        Ok(())
    }

    fn check_assigned(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        if self.inner.queues.lock().contains_key(mq) {
            Ok(())
        } else {
            Err(not_assigned(mq))
        }
    }

    /// Start (or restart) the pull task of an assigned, unpaused queue.
    fn spawn_pull_task(&self, mq: &MessageQueue) {
        let mut qs = self.inner.queues.lock();
        let Some(q) = qs.get_mut(mq) else { return };
        if let Some(t) = q.task.take() {
            t.abort();
        }
        if q.paused {
            return;
        }
        let generation = q.generation;
        let weak = Arc::downgrade(&self.inner);
        let mq2 = mq.clone();
        q.task = Some(tokio::spawn(async move {
            pull_loop(weak, mq2, generation).await;
        }));
    }

    /// The offset to start pulling from (`nextPullOffset`): a seek, else where the last pull
    /// ended, else the broker's committed offset, else `consume_from_where`.
    async fn next_pull_offset(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
        generation: u64,
    ) -> Result<i64, ClientError> {
        {
            let mut qs = self.inner.queues.lock();
            let q = qs.get_mut(mq).ok_or_else(|| not_assigned(mq))?;
            if q.generation != generation {
                return Err(ClientError::client(-1, "stale pull task"));
            }
            if let Some(o) = q.seek_offset.take() {
                q.consume_offset = Some(o);
                q.pull_offset = Some(o);
                return Ok(o);
            }
            if let Some(o) = q.pull_offset {
                return Ok(o);
            }
        }
        let off = self.compute_pull_from_where(inst, mq).await?;
        let mut qs = self.inner.queues.lock();
        if let Some(q) = qs.get_mut(mq) {
            if q.generation == generation && q.pull_offset.is_none() {
                q.pull_offset = Some(off);
            }
        }
        Ok(off)
    }

    /// `computePullFromWhereWithException` of `RebalanceLitePullImpl`.
    async fn compute_pull_from_where(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
    ) -> Result<i64, ClientError> {
        // readOffset(READ_FROM_STORE): a broker refusal is "no offset" (-1), a failure to ask
        // is an error (Java's -2, after which no offset is computed).
        let committed = self.query_offset(inst, mq).await?;
        if committed >= 0 {
            return Ok(committed);
        }
        let admin = MQAdmin::new(self.running_instance()?);
        let retry = mq.topic.starts_with("%RETRY%");
        match self.inner.cfg.consume_from_where {
            ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET if retry => Ok(0),
            ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET => admin.max_offset(mq).await,
            ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET => Ok(0),
            ConsumeFromWhere::CONSUME_FROM_TIMESTAMP if retry => admin.max_offset(mq).await,
            ConsumeFromWhere::CONSUME_FROM_TIMESTAMP => {
                let ts = parse_yyyymmddhhmmss(&self.inner.cfg.consume_timestamp)
                    .ok_or_else(|| ClientError::client(-1, "consumeTimestamp is invalid"))?;
                admin.search_offset(mq, ts).await
            }
        }
    }

    /// One long-polling PULL_MESSAGE of `mq` from `offset`: (messages, next begin offset).
    async fn pull_once(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<(Vec<MessageExt>, i64), ClientError> {
        let cfg = &self.inner.cfg;
        if inst.heartbeat_missing() {
            // The broker learns of the group from a heartbeat; the periodic one may be 30 s away.
            inst.send_heartbeat_to_all_brokers().await;
        }
        let sub = self
            .inner
            .subscriptions
            .lock()
            .get(&mq.topic)
            .cloned()
            .unwrap_or_else(|| SubscriptionData {
                topic: mq.topic.clone(),
                sub_string: "*".into(),
                expression_type: Some("TAG".into()),
                ..Default::default()
            });
        let r = super::pull::pull(
            inst,
            super::pull::PullRequest {
                group: &cfg.consumer_group,
                mq,
                offset,
                max_nums: cfg.pull_batch_size,
                sys_flag: PULL_SYS_FLAG,
                commit_offset: 0,
                sub: &sub,
                post_subscription: true,
                broker_suspend_ms: cfg.broker_suspend_max_time_millis,
                timeout: Duration::from_millis(cfg.consumer_timeout_millis_when_suspend),
            },
        )
        .await?;
        Ok((r.msgs, r.next_begin_offset))
    }
}

fn not_assigned(mq: &MessageQueue) -> ClientError {
    ClientError::client(
        -1,
        format!("The message queue is not in assigned list, message queue: {mq}"),
    )
}

/// `PullTaskImpl`: pull `mq` until the task is aborted (seek, pause, re-assignment, shutdown)
/// or its generation is stale.
async fn pull_loop(weak: std::sync::Weak<Inner>, mq: MessageQueue, generation: u64) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let c = DefaultLitePullConsumer { inner };
        let Ok(inst) = c.running_instance() else {
            return;
        };
        let cfg = &c.inner.cfg;
        // Flow control: wait while the queue's cache is over either threshold.
        let full = {
            let qs = c.inner.queues.lock();
            let Some(q) = qs.get(&mq) else { return };
            if q.generation != generation || q.paused {
                return;
            }
            q.cached_count > cfg.pull_threshold_for_queue
                || q.cached_bytes / (1024 * 1024) > cfg.pull_threshold_size_for_queue
        };
        if full {
            drop(inst);
            let _ = tokio::time::timeout(FLOW_CONTROL_DELAY, c.inner.room.notified()).await;
            continue;
        }
        let offset = match c.next_pull_offset(&inst, &mq, generation).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(mq = %mq, error = %e, "failed to get next pull offset");
                drop(inst);
                drop(c);
                tokio::time::sleep(OFFSET_EXCEPTION_DELAY).await;
                continue;
            }
        };
        let delay = match c.pull_once(&inst, &mq, offset).await {
            Ok((msgs, next)) => {
                let mut qs = c.inner.queues.lock();
                let Some(q) = qs.get_mut(&mq) else { return };
                if q.generation != generation || q.paused {
                    // A seek or pause came while the pull was in flight: its result is stale.
                    return;
                }
                if !msgs.is_empty() {
                    let bytes: i64 = msgs.iter().map(|m| m.raw_body.len() as i64).sum();
                    q.cached_count += msgs.len() as i64;
                    q.cached_bytes += bytes;
                    c.inner.cache.lock().push_back(Batch {
                        mq: mq.clone(),
                        generation,
                        bytes,
                        msgs,
                    });
                }
                q.pull_offset = Some(next);
                drop(qs);
                c.inner.arrived.notify_waiters();
                Duration::ZERO
            }
            Err(e) => {
                tracing::warn!(mq = %mq, error = %e, "pull failed");
                Duration::from_millis(cfg.pull_time_delay_millis_when_exception)
            }
        };
        drop(inst);
        drop(c);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

/// The client instance's handle on a lite pull consumer (rebalance, offsets, running info).
struct Handle(std::sync::Weak<Inner>);

impl Handle {
    fn get(&self) -> Option<DefaultLitePullConsumer> {
        self.0
            .upgrade()
            .map(|inner| DefaultLitePullConsumer { inner })
    }
}

impl ConsumerInner for Handle {
    fn do_rebalance(&self) -> BoxFuture<()> {
        let c = self.get();
        Box::pin(async move {
            if let Some(c) = c {
                c.do_rebalance().await;
            }
        })
    }
    fn persist_offsets(&self) -> BoxFuture<()> {
        // Auto commit has its own task; nothing is kept in an offset store.
        Box::pin(async {})
    }
    fn reset_offset(&self, _topic: String, _offsets: Vec<(MessageQueue, i64)>) -> BoxFuture<()> {
        // Java 4.9.3's client instance resets push consumers only.
        Box::pin(async {})
    }
    fn offsets_of(&self, topic: &str) -> Vec<(MessageQueue, i64)> {
        self.get()
            .map(|c| {
                c.consumed_offsets()
                    .into_iter()
                    .filter(|(m, _)| m.topic == topic)
                    .collect()
            })
            .unwrap_or_default()
    }
    fn running_info(&self) -> Option<Vec<u8>> {
        let c = self.get()?;
        let cfg = &c.inner.cfg;
        let subs: Vec<SubscriptionData> = c.inner.subscriptions.lock().values().cloned().collect();
        let body = serde_json::json!({
            "jstack": "",
            "mqTable": {},
            "properties": {
                "PROP_NAMESERVER_ADDR": cfg.client.namesrv_addr.clone().unwrap_or_default(),
                "PROP_CONSUME_TYPE": "CONSUME_ACTIVELY",
                "PROP_CLIENT_VERSION": "V4_9_3",
                "consumerGroup": cfg.consumer_group,
                "messageModel": cfg.message_model.as_str(),
                "pullBatchSize": cfg.pull_batch_size.to_string(),
                "autoCommit": cfg.auto_commit.to_string(),
            },
            "statusTable": {},
            "subscriptionSet": subs,
        });
        serde_json::to_vec(&body).ok()
    }
    fn consume_directly(
        &self,
        _msg: MessageExt,
        _broker_name: Option<String>,
    ) -> BoxFuture<Option<Vec<u8>>> {
        Box::pin(async { None })
    }
}
