//! `DefaultMQProducer` / `DefaultMQProducerImpl`: start-up, queue selection with fault
//! avoidance, and sync / async / oneway sends with retries inside one timeout budget.

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use rocklet_protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocklet_protocol::message::{deflate, encode_batch_item, property, sys_flag};
use rocklet_protocol::msgid::UniqIdGenerator;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{
    check_producer_group, AsyncFullPolicy, ProducerConfig, CLIENT_INNER_PRODUCER_GROUP,
};
use crate::error::{
    client_error_code, faq, ClientError, FAQ_CLIENT_SERVICE_NOT_OK, FAQ_GROUP_NAME_DUPLICATE,
    FAQ_NO_TOPIC_ROUTE_INFO, FAQ_SEND_MSG_FAILED,
};
use crate::fault::FaultStrategy;
use crate::instance::{ClientInstance, ServiceState, TopicPublishInfo};
use crate::message::{Message, MessageQueue, SendResult, SendStatus};
use crate::selector::MessageQueueSelector;
use crate::validators::check_message;

/// How a message is sent (`CommunicationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sync,
    Async,
    Oneway,
}

/// Set `UNIQ_KEY` unless the message has one (`MessageClientIDSetter.setUniqID`); retries and
/// resends keep the same id.
pub fn set_uniq_id(msg: &mut Message) {
    if msg.uniq_id().is_none() {
        msg.properties.insert(
            property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
            uniq_gen().next_id(),
        );
    }
}

fn uniq_gen() -> &'static UniqIdGenerator {
    static G: OnceLock<UniqIdGenerator> = OnceLock::new();
    G.get_or_init(|| UniqIdGenerator::new(crate::config::local_ip()))
}

/// A message ready for the wire: properties encoded, body possibly compressed or a batch.
struct Prepared {
    topic: String,
    flag: i32,
    body: Bytes,
    properties: String,
    sys_flag: i32,
    batch: bool,
    /// `UNIQ_KEY`, comma-joined for a batch.
    uniq_id: String,
}

pub(crate) struct Inner {
    cfg: ProducerConfig,
    state: Mutex<ServiceState>,
    instance: Mutex<Option<Arc<ClientInstance>>>,
    fault: FaultStrategy,
    inflight_msgs: Arc<Semaphore>,
    inflight_bytes: Arc<Semaphore>,
}

/// The producer. Cheap to clone; clones share one producer.
#[derive(Clone)]
pub struct DefaultMQProducer {
    inner: Arc<Inner>,
}

impl DefaultMQProducer {
    pub fn new(mut cfg: ProducerConfig) -> Self {
        if cfg.producer_group != CLIENT_INNER_PRODUCER_GROUP {
            cfg.client.change_instance_name_to_pid();
        }
        let fault = FaultStrategy::new(
            cfg.send_latency_fault_enable,
            cfg.latency_max.clone(),
            cfg.not_available_duration.clone(),
        );
        let msgs = cfg.max_async_inflight_msgs.max(1);
        let bytes = cfg
            .max_async_inflight_bytes
            .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        DefaultMQProducer {
            inner: Arc::new(Inner {
                cfg,
                state: Mutex::new(ServiceState::CREATE_JUST),
                instance: Mutex::new(None),
                fault,
                inflight_msgs: Arc::new(Semaphore::new(msgs)),
                inflight_bytes: Arc::new(Semaphore::new(bytes)),
            }),
        }
    }

    pub fn config(&self) -> &ProducerConfig {
        &self.inner.cfg
    }
    pub fn state(&self) -> ServiceState {
        *self.inner.state.lock()
    }
    /// With `sendLatencyFaultEnable`: how much longer a broker is skipped (None when it is not).
    pub fn broker_unavailable_for(&self, broker_name: &str) -> Option<Duration> {
        self.inner.fault.tolerance.unavailable_for(broker_name)
    }
    /// The shared client instance, once started.
    pub fn instance(&self) -> Option<Arc<ClientInstance>> {
        self.inner.instance.lock().clone()
    }

    /// `start`: CREATE_JUST -> RUNNING; any other state is an error, as in Java.
    ///
    /// # Errors
    /// [`ClientError::Client`] when the producer was started before, the group name is invalid
    /// or `DEFAULT_PRODUCER`, another producer of this client instance has the same group, or
    /// the client instance cannot start.
    ///
    /// # Cancellation
    /// The producer is RUNNING before the first await; dropping the future only cuts short the
    /// first heartbeat, which the periodic heartbeat task sends later.
    pub async fn start(&self) -> Result<(), ClientError> {
        // An unset `client_ip` means a host-name look-up, which can block: do it before taking
        // the state lock.
        let mut client_cfg = self.inner.cfg.client.clone();
        client_cfg.client_ip = Some(client_cfg.resolve_client_ip());
        let inst = {
            let mut st = self.inner.state.lock();
            match *st {
                ServiceState::CREATE_JUST => {}
                other => {
                    return Err(ClientError::client(
                        -1,
                        format!(
                            "The producer service state not OK, maybe started once, {other:?}{}",
                            faq(FAQ_CLIENT_SERVICE_NOT_OK)
                        ),
                    ))
                }
            }
            *st = ServiceState::START_FAILED;
            check_producer_group(&self.inner.cfg.producer_group)?;
            let inst = ClientInstance::get_or_create(&client_cfg);
            if !inst.register_producer(&self.inner.cfg.producer_group) {
                *st = ServiceState::CREATE_JUST;
                return Err(ClientError::client(
                    -1,
                    format!(
                        "The producer group[{}] has been created before, specify another name please.{}",
                        self.inner.cfg.producer_group,
                        faq(FAQ_GROUP_NAME_DUPLICATE)
                    ),
                ));
            }
            inst.start()?;
            *self.inner.instance.lock() = Some(inst.clone());
            *st = ServiceState::RUNNING;
            inst
        };
        tracing::info!(group = %self.inner.cfg.producer_group, client_id = inst.client_id(), "producer started");
        inst.send_heartbeat_to_all_brokers().await;
        Ok(())
    }

    /// `shutdown`: unregister from brokers; the shared instance stops when its last producer goes.
    pub async fn shutdown(&self) {
        let inst = {
            let mut st = self.inner.state.lock();
            if *st != ServiceState::RUNNING {
                return;
            }
            *st = ServiceState::SHUTDOWN_ALREADY;
            self.inner.instance.lock().take()
        };
        if let Some(inst) = inst {
            inst.unregister_producer(&self.inner.cfg.producer_group)
                .await;
        }
    }

    fn running_instance(&self) -> Result<Arc<ClientInstance>, ClientError> {
        let st = *self.inner.state.lock();
        if st != ServiceState::RUNNING {
            return Err(ClientError::client(
                -1,
                format!(
                    "The producer service state not OK, {st:?}{}",
                    faq(FAQ_CLIENT_SERVICE_NOT_OK)
                ),
            ));
        }
        self.inner
            .instance
            .lock()
            .clone()
            .ok_or_else(|| ClientError::client(-1, "producer has no client instance"))
    }

    /// `fetchPublishMessageQueues`.
    pub async fn fetch_publish_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        let inst = self.running_instance()?;
        let topic = self.inner.cfg.client.with_namespace(topic);
        match self.find_publish(&inst, &topic).await {
            Some(p) if p.ok() => Ok(p.message_queue_list.clone()),
            _ => Err(no_route(&topic)),
        }
    }

    async fn find_publish(
        &self,
        inst: &ClientInstance,
        topic: &str,
    ) -> Option<Arc<TopicPublishInfo>> {
        inst.find_publish_info(
            topic,
            &self.inner.cfg.create_topic_key,
            self.inner.cfg.default_topic_queue_nums,
        )
        .await
    }

    // ---- sync -------------------------------------------------------------------------------

    /// Synchronous send with the default timeout (`sendMsgTimeout`) and retries.
    ///
    /// # Errors
    /// - [`ClientError::Client`] when the producer is not running, the message is invalid (code
    ///   MESSAGE_ILLEGAL, 13), the topic has no route (NOT_FOUND_TOPIC_EXCEPTION), or every
    ///   attempt failed (`Send [n] times, still failed`, with the last error as its
    ///   [`ClientError::cause`]);
    /// - [`ClientError::Broker`] for a broker answer that is not retried (see
    ///   [`ClientError::is_retryable_with`] and `retry_response_codes`);
    /// - [`ClientError::Timeout`] when the time budget ran out between attempts.
    ///
    /// # Cancellation
    /// Dropping the future stops the retries, but a request already written may still be stored
    /// by the broker: the message may exist without this caller knowing its result.
    pub async fn send(&self, msg: Message) -> Result<SendResult, ClientError> {
        self.send_with_timeout(msg, self.inner.cfg.send_msg_timeout)
            .await
    }

    /// [`Self::send`] within `timeout` (all attempts together).
    ///
    /// # Errors
    /// As [`Self::send`].
    ///
    /// # Cancellation
    /// As [`Self::send`].
    pub async fn send_with_timeout(
        &self,
        mut msg: Message,
        timeout: Duration,
    ) -> Result<SendResult, ClientError> {
        let inst = self.running_instance()?;
        msg.topic = self.inner.cfg.client.with_namespace(&msg.topic);
        check_message(&msg, self.inner.cfg.max_message_size)?;
        set_uniq_id(&mut msg);
        let p = self.prepare(&msg);
        self.send_default(&inst, p, Mode::Sync, timeout)
            .await
            .and_then(expect_result)
    }

    /// Send to a chosen queue (no retries, as in Java).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the producer is not running, the message is invalid or its
    /// topic is not the queue's, or the queue's broker is unknown; the attempt's own error
    /// ([`ClientError::Broker`], [`ClientError::Remoting`], [`ClientError::Timeout`]) as is.
    ///
    /// # Cancellation
    /// As [`Self::send`].
    pub async fn send_to_queue(
        &self,
        mut msg: Message,
        mq: &MessageQueue,
    ) -> Result<SendResult, ClientError> {
        let inst = self.running_instance()?;
        msg.topic = self.inner.cfg.client.with_namespace(&msg.topic);
        check_message(&msg, self.inner.cfg.max_message_size)?;
        if msg.topic != mq.topic {
            return Err(ClientError::client(
                -1,
                "message's topic not equal mq's topic",
            ));
        }
        set_uniq_id(&mut msg);
        let start = Instant::now();
        let p = self.prepare(&msg);
        let timeout = self.inner.cfg.send_msg_timeout;
        self.send_kernel(&inst, &p, mq, Mode::Sync, timeout, start)
            .await
            .and_then(expect_result)
    }

    /// Send to the queue a selector picks (no retries, as in Java).
    ///
    /// # Errors
    /// As [`Self::send_to_queue`], plus [`ClientError::Client`] when the topic has no route or
    /// the selector picks no queue, and [`ClientError::Timeout`] when the route lookup used up
    /// `sendMsgTimeout`.
    ///
    /// # Cancellation
    /// As [`Self::send`].
    pub async fn send_with_selector<A: ?Sized>(
        &self,
        mut msg: Message,
        selector: &dyn MessageQueueSelector<A>,
        arg: &A,
    ) -> Result<SendResult, ClientError> {
        let inst = self.running_instance()?;
        msg.topic = self.inner.cfg.client.with_namespace(&msg.topic);
        check_message(&msg, self.inner.cfg.max_message_size)?;
        set_uniq_id(&mut msg);
        let start = Instant::now();
        let info = self
            .find_publish(&inst, &msg.topic)
            .await
            .filter(|p| p.ok())
            .ok_or_else(|| no_route(&msg.topic))?;
        let mq = selector
            .select(&info.message_queue_list, &msg, arg)
            .ok_or_else(|| ClientError::client(-1, "select message queue return null."))?;
        let timeout = self.inner.cfg.send_msg_timeout;
        if start.elapsed() > timeout {
            return Err(ClientError::Timeout("sendSelectImpl call timeout".into()));
        }
        let p = self.prepare(&msg);
        self.send_kernel(&inst, &p, &mq, Mode::Sync, timeout, start)
            .await
            .and_then(expect_result)
    }

    /// Send a request and wait for its reply (`request(msg, timeout)`): the responder answers
    /// with [`crate::create_reply_message`], which the broker pushes back to this client.
    ///
    /// # Errors
    /// The send's errors, or a client error when no reply came within `timeout` (the send and
    /// the wait share it, as in Java).
    ///
    /// # Cancellation
    /// Dropping the future forgets the request; a reply arriving later is dropped.
    pub async fn request(&self, msg: Message, timeout: Duration) -> Result<Message, ClientError> {
        self.request_inner(msg, timeout, RequestTarget::Default)
            .await
    }

    /// [`Self::request`] to a chosen queue.
    ///
    /// # Errors
    /// As [`Self::request`], with [`Self::send_to_queue`]'s send errors.
    ///
    /// # Cancellation
    /// As [`Self::request`].
    pub async fn request_to_queue(
        &self,
        msg: Message,
        mq: &MessageQueue,
        timeout: Duration,
    ) -> Result<Message, ClientError> {
        self.request_inner(msg, timeout, RequestTarget::Queue(mq))
            .await
    }

    /// [`Self::request`] to the queue a selector picks.
    ///
    /// # Errors
    /// As [`Self::request_to_queue`], plus [`ClientError::Client`] when the topic has no route
    /// or the selector picks no queue.
    ///
    /// # Cancellation
    /// As [`Self::request`].
    pub async fn request_with_selector<A: ?Sized + Sync>(
        &self,
        msg: Message,
        selector: &dyn MessageQueueSelector<A>,
        arg: &A,
        timeout: Duration,
    ) -> Result<Message, ClientError> {
        let inst = self.running_instance()?;
        let topic = self.inner.cfg.client.with_namespace(&msg.topic);
        let info = self
            .find_publish(&inst, &topic)
            .await
            .filter(|p| p.ok())
            .ok_or_else(|| no_route(&topic))?;
        let mq = selector
            .select(&info.message_queue_list, &msg, arg)
            .ok_or_else(|| ClientError::client(-1, "select message queue return null."))?;
        self.request_inner(msg, timeout, RequestTarget::Queue(&mq))
            .await
    }

    /// Java's `request(msg, RequestCallback, timeout)`: the reply (or the failure) goes to
    /// `callback` on a spawned task; this returns once the request is on its way.
    ///
    /// # Errors
    /// When the producer is not running; send and reply failures go to the callback.
    pub fn request_with_callback<F>(
        &self,
        msg: Message,
        timeout: Duration,
        callback: F,
    ) -> Result<(), ClientError>
    where
        F: FnOnce(Result<Message, ClientError>) + Send + 'static,
    {
        self.running_instance()?;
        let me = self.clone();
        tokio::spawn(async move { callback(me.request(msg, timeout).await) });
        Ok(())
    }

    async fn request_inner(
        &self,
        mut msg: Message,
        timeout: Duration,
        target: RequestTarget<'_>,
    ) -> Result<Message, ClientError> {
        let inst = self.running_instance()?;
        let start = Instant::now();
        let pending = crate::request::prepare(&mut msg, inst.client_id(), timeout);
        let topic = msg.topic.clone();
        // Java `prepareSendRequest`: fetch the topic's route and tell the brokers who this
        // client is, so the reply can find its way back. Java does it on a topic's first
        // request only; Rocklet whenever a known broker has not heard from this client yet.
        let namespaced = self.inner.cfg.client.with_namespace(&topic);
        self.find_publish(&inst, &namespaced).await;
        if inst.heartbeat_missing() {
            inst.send_heartbeat_to_all_brokers().await;
        }
        match target {
            RequestTarget::Default => {
                self.send_with_timeout(msg, timeout).await?;
            }
            RequestTarget::Queue(mq) => {
                self.send_to_queue(msg, mq).await?;
            }
        }
        pending
            .reply(&topic, timeout.saturating_sub(start.elapsed()))
            .await
    }

    /// A batch: same topic, no delay level, not a retry topic (`MessageBatch.generateFromList`).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the batch is empty or breaks one of those rules, or a
    /// message (or the whole batch) is invalid; otherwise as [`Self::send`].
    ///
    /// # Cancellation
    /// As [`Self::send`]: the batch is stored whole or not at all, but may be stored unseen.
    pub async fn send_batch(&self, msgs: Vec<Message>) -> Result<SendResult, ClientError> {
        let inst = self.running_instance()?;
        let p = self.prepare_batch(msgs)?;
        self.send_default(&inst, p, Mode::Sync, self.inner.cfg.send_msg_timeout)
            .await
            .and_then(expect_result)
    }

    // ---- oneway -----------------------------------------------------------------------------

    /// Fire and forget: returns once the request is queued on the connection. Errors are only
    /// those known before sending (validation, no route, connection refused).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the producer is not running, the message is invalid, the
    /// topic has no route, or the request could not be written (the remoting error as its
    /// [`ClientError::cause`]); [`ClientError::Timeout`] when the route lookup used up
    /// `sendMsgTimeout`.
    ///
    /// # Cancellation
    /// Dropping the future before it completes may or may not have written the request.
    pub async fn send_oneway(&self, mut msg: Message) -> Result<(), ClientError> {
        let inst = self.running_instance()?;
        msg.topic = self.inner.cfg.client.with_namespace(&msg.topic);
        check_message(&msg, self.inner.cfg.max_message_size)?;
        set_uniq_id(&mut msg);
        let p = self.prepare(&msg);
        self.send_default(&inst, p, Mode::Oneway, self.inner.cfg.send_msg_timeout)
            .await
            .map(|_| ())
    }

    /// [`Self::send_oneway`] to a chosen queue.
    ///
    /// # Errors
    /// [`ClientError::Client`] when the producer is not running, the message is invalid or the
    /// queue's broker is unknown; [`ClientError::Remoting`] when the request could not be
    /// written.
    ///
    /// # Cancellation
    /// As [`Self::send_oneway`].
    pub async fn send_oneway_to_queue(
        &self,
        mut msg: Message,
        mq: &MessageQueue,
    ) -> Result<(), ClientError> {
        let inst = self.running_instance()?;
        check_message(&msg, self.inner.cfg.max_message_size)?;
        set_uniq_id(&mut msg);
        let p = self.prepare(&msg);
        self.send_kernel(
            &inst,
            &p,
            mq,
            Mode::Oneway,
            self.inner.cfg.send_msg_timeout,
            Instant::now(),
        )
        .await
        .map(|_| ())
    }

    // ---- async ------------------------------------------------------------------------------

    /// Asynchronous send: validation happens now (an invalid message is an immediate error and
    /// nothing is sent); the send, with `retryTimesWhenSendAsyncFailed` retries on network
    /// errors, runs on a task and `callback` gets the result there, off the connection's I/O
    /// task. In-flight async sends are bounded by count and bytes (`max_async_inflight_*`).
    ///
    /// # Errors
    /// Only what is known before the send starts: [`ClientError::Client`] when the producer is
    /// not running or the message is invalid, and [`ClientError::Backpressure`] when the
    /// in-flight limit is full (at once with [`AsyncFullPolicy::Fail`], after `sendMsgTimeout`
    /// with [`AsyncFullPolicy::Wait`]). Everything later goes to `callback`.
    ///
    /// # Cancellation
    /// The future only waits for in-flight room: dropped before it completes, nothing is sent
    /// and `callback` is never called. Once it has returned `Ok`, the send runs to the end on
    /// its own task.
    pub async fn send_async<F>(&self, mut msg: Message, callback: F) -> Result<(), ClientError>
    where
        F: FnOnce(Result<SendResult, ClientError>) + Send + 'static,
    {
        let inst = self.running_instance()?;
        msg.topic = self.inner.cfg.client.with_namespace(&msg.topic);
        check_message(&msg, self.inner.cfg.max_message_size)?;
        set_uniq_id(&mut msg);
        let permits = self.acquire_inflight(msg.body.len()).await?;
        let p = self.prepare(&msg);
        let me = self.clone();
        let timeout = self.inner.cfg.send_msg_timeout;
        tokio::spawn(async move {
            let _permits = permits;
            let r = me
                .send_default(&inst, p, Mode::Async, timeout)
                .await
                .and_then(expect_result);
            callback(r);
        });
        Ok(())
    }

    /// Asynchronous send returning a future of the result (the callback form as a future).
    ///
    /// # Errors
    /// The outer result: as [`Self::send_async`]. The inner future yields the send's own
    /// result, or a [`ClientError::Client`] if the send task ended without one.
    ///
    /// # Cancellation
    /// The outer future as [`Self::send_async`]. Dropping the inner future does not stop the
    /// send; its result is discarded.
    pub async fn send_async_future(
        &self,
        msg: Message,
    ) -> Result<impl std::future::Future<Output = Result<SendResult, ClientError>>, ClientError>
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send_async(msg, move |r| {
            let _ = tx.send(r);
        })
        .await?;
        Ok(async move {
            rx.await.unwrap_or_else(|_| {
                Err(ClientError::client(
                    -1,
                    "async send task ended without a result",
                ))
            })
        })
    }

    async fn acquire_inflight(
        &self,
        bytes: usize,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), ClientError> {
        let want = bytes
            .clamp(1, self.inner.cfg.max_async_inflight_bytes.max(1))
            .min(u32::MAX as usize) as u32;
        match self.inner.cfg.async_full_policy {
            AsyncFullPolicy::Fail => {
                let m = self
                    .inner
                    .inflight_msgs
                    .clone()
                    .try_acquire_owned()
                    .map_err(|_| {
                        ClientError::Backpressure(format!(
                            "too many async sends in flight (max {})",
                            self.inner.cfg.max_async_inflight_msgs
                        ))
                    })?;
                let b = self
                    .inner
                    .inflight_bytes
                    .clone()
                    .try_acquire_many_owned(want)
                    .map_err(|_| {
                        ClientError::Backpressure(format!(
                            "too many async bytes in flight (max {})",
                            self.inner.cfg.max_async_inflight_bytes
                        ))
                    })?;
                Ok((m, b))
            }
            AsyncFullPolicy::Wait => {
                let t = self.inner.cfg.send_msg_timeout;
                let fut = async {
                    let m = self.inner.inflight_msgs.clone().acquire_owned().await;
                    let b = self
                        .inner
                        .inflight_bytes
                        .clone()
                        .acquire_many_owned(want)
                        .await;
                    (m, b)
                };
                match tokio::time::timeout(t, fut).await {
                    Ok((Ok(m), Ok(b))) => Ok((m, b)),
                    _ => Err(ClientError::Backpressure(format!(
                        "async send waited {t:?} for in-flight room"
                    ))),
                }
            }
        }
    }

    // ---- the send path ----------------------------------------------------------------------

    fn prepare(&self, msg: &Message) -> Prepared {
        let mut sys = 0;
        let mut body = msg.body.clone();
        // `tryToCompressMessage`: zlib at the configured level for bodies at or over the threshold.
        if body.len() >= self.inner.cfg.compress_msg_body_over_howmuch {
            let z = deflate(&body, self.inner.cfg.compress_level);
            body = Bytes::from(z);
            sys |= sys_flag::COMPRESSED;
        }
        if msg
            .property(property::TRANSACTION_PREPARED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            sys |= sys_flag::TRANSACTION_PREPARED_TYPE;
        }
        Prepared {
            topic: msg.topic.clone(),
            flag: msg.flag,
            body,
            properties: msg.properties.encode(),
            sys_flag: sys,
            batch: false,
            uniq_id: msg.uniq_id().unwrap_or_default().to_owned(),
        }
    }

    fn prepare_batch(&self, msgs: Vec<Message>) -> Result<Prepared, ClientError> {
        let first = msgs
            .first()
            .ok_or_else(|| ClientError::client(-1, "the batch is empty"))?;
        let topic = self.inner.cfg.client.with_namespace(&first.topic);
        let wait = first.wait_store_msg_ok();
        let mut body = BytesMut::new();
        let mut ids = Vec::with_capacity(msgs.len());
        for mut m in msgs {
            m.topic = self.inner.cfg.client.with_namespace(&m.topic);
            if m.delay_time_level() > 0 {
                return Err(ClientError::client(
                    -1,
                    "TimeDelayLevel is not supported for batching",
                ));
            }
            if m.topic.starts_with("%RETRY%") {
                return Err(ClientError::client(
                    -1,
                    "Retry Group is not supported for batching",
                ));
            }
            if m.topic != topic {
                return Err(ClientError::client(
                    -1,
                    "The topic of the messages in one batch should be the same",
                ));
            }
            if m.wait_store_msg_ok() != wait {
                return Err(ClientError::client(
                    -1,
                    "The waitStoreMsgOK of the messages in one batch should the same",
                ));
            }
            check_message(&m, self.inner.cfg.max_message_size)?;
            set_uniq_id(&mut m);
            ids.push(m.uniq_id().unwrap_or_default().to_owned());
            encode_batch_item(&mut body, m.flag, &m.body, &m.properties.encode());
        }
        let batch_msg = Message {
            topic: topic.clone(),
            body: body.freeze(),
            ..Default::default()
        };
        check_message(&batch_msg, self.inner.cfg.max_message_size)?;
        let mut props = rocklet_protocol::message::Properties::default();
        props.insert(property::WAIT_STORE_MSG_OK, wait.to_string());
        Ok(Prepared {
            topic,
            flag: 0,
            body: batch_msg.body,
            properties: props.encode(),
            sys_flag: 0,
            batch: true,
            uniq_id: ids.join(","),
        })
    }

    /// `selectOneMessageQueue` through the fault strategy.
    fn select_queue(
        &self,
        info: &TopicPublishInfo,
        last_broker: Option<&str>,
    ) -> Option<MessageQueue> {
        let f = &self.inner.fault;
        if f.enabled {
            let n = info.message_queue_list.len();
            if n > 0 {
                let start = info.next_raw() as usize;
                for k in 0..n {
                    let mq = &info.message_queue_list[(start + k) % n];
                    if f.tolerance.is_available(&mq.broker_name) {
                        return Some(mq.clone());
                    }
                }
                if let Some(not_best) = f.tolerance.pick_one_at_least() {
                    let nums = info.write_queue_nums_of(&not_best);
                    if nums > 0 {
                        let mut mq = info.select_one()?;
                        mq.broker_name = not_best;
                        mq.queue_id = (info.next_raw() % nums as u32) as i32;
                        return Some(mq);
                    }
                    f.tolerance.remove(&not_best);
                }
            }
            return info.select_one();
        }
        info.select_avoiding(last_broker)
    }

    /// `sendDefaultImpl`: route, select, send; sync sends retry up to
    /// `retryTimesWhenSendFailed` times within `timeout`, on the errors Java retries.
    async fn send_default(
        &self,
        inst: &Arc<ClientInstance>,
        p: Prepared,
        mode: Mode,
        timeout: Duration,
    ) -> Result<Option<SendResult>, ClientError> {
        let begin = Instant::now();
        let info = match self.find_publish(inst, &p.topic).await {
            Some(i) if i.ok() => i,
            _ => return Err(no_route(&p.topic)),
        };
        let times_total = if mode == Mode::Sync {
            1 + self.inner.cfg.retry_times_when_send_failed
        } else {
            1
        };
        let mut last_broker: Option<String> = None;
        let mut brokers_sent = Vec::new();
        let mut last_err: Option<ClientError> = None;
        let mut call_timeout = false;
        let mut times = 0;
        let mut result: Option<SendResult> = None;
        while times < times_total {
            let Some(mq) = self.select_queue(&info, last_broker.as_deref()) else {
                break;
            };
            last_broker = Some(mq.broker_name.clone());
            brokers_sent.push(mq.broker_name.clone());
            let attempt = Instant::now();
            let cost = attempt - begin;
            if cost > timeout {
                call_timeout = true;
                break;
            }
            times += 1;
            let r = match mode {
                Mode::Async => self
                    .send_async_kernel(inst, &p, &mq, timeout - cost, begin, &info)
                    .await
                    .map(Some),
                _ => {
                    self.send_kernel(inst, &p, &mq, mode, timeout - cost, attempt)
                        .await
                }
            };
            let latency = attempt.elapsed().as_millis() as u64;
            match r {
                Ok(res) => {
                    self.inner.fault.update(&mq.broker_name, latency, false);
                    match (mode, &res) {
                        (Mode::Sync, Some(sr))
                            if sr.send_status != SendStatus::SEND_OK
                                && self.inner.cfg.retry_another_broker_when_not_store_ok =>
                        {
                            result = res;
                            continue;
                        }
                        _ => return Ok(res),
                    }
                }
                Err(e) => {
                    self.inner.fault.update(&mq.broker_name, latency, true);
                    tracing::warn!(attempt = times, broker = %mq.broker_name, rt_ms = latency, error = %e, "send failed");
                    // Async sends retry in `send_async_kernel` (network errors only).
                    let retry = e.is_retryable_with(&self.inner.cfg.retry_response_codes);
                    if !retry || mode == Mode::Async {
                        if let Some(r) = result {
                            return Ok(Some(r));
                        }
                        return Err(e);
                    }
                    last_err = Some(e);
                }
            }
        }
        if let Some(r) = result {
            return Ok(Some(r));
        }
        if call_timeout {
            return Err(ClientError::Timeout("sendDefaultImpl call timeout".into()));
        }
        let info_msg = format!(
            "Send [{}] times, still failed, cost [{}]ms, Topic: {}, BrokersSent: {:?}{}",
            times,
            begin.elapsed().as_millis(),
            p.topic,
            brokers_sent,
            faq(FAQ_SEND_MSG_FAILED)
        );
        let code = match &last_err {
            Some(ClientError::Broker { code, .. }) => code.as_i32(),
            Some(ClientError::Remoting(e)) if e.is_connect() => {
                client_error_code::CONNECT_BROKER_EXCEPTION
            }
            Some(ClientError::Remoting(e)) if e.is_timeout() => {
                client_error_code::ACCESS_BROKER_TIMEOUT
            }
            Some(ClientError::Client { .. }) => client_error_code::BROKER_NOT_EXIST_EXCEPTION,
            _ => -1,
        };
        Err(ClientError::Client {
            code,
            message: info_msg,
            cause: last_err.map(Box::new),
        })
    }

    fn send_command(&self, p: &Prepared, mq: &MessageQueue) -> RemotingCommand {
        let h = SendMessageRequestHeader {
            producer_group: self.inner.cfg.producer_group.clone(),
            topic: p.topic.clone(),
            default_topic: self.inner.cfg.create_topic_key.clone(),
            default_topic_queue_nums: self.inner.cfg.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: p.sys_flag,
            born_timestamp: now_ms(),
            flag: p.flag,
            properties: Some(p.properties.clone()),
            reconsume_times: Some(0),
            unit_mode: Some(self.inner.cfg.client.unit_mode),
            batch: Some(p.batch),
            max_reconsume_times: None,
        };
        let code = if p.batch {
            RequestCode::SEND_BATCH_MESSAGE
        } else if crate::request::is_reply(&p.properties) {
            RequestCode::SEND_REPLY_MESSAGE_V2
        } else {
            RequestCode::SEND_MESSAGE_V2
        };
        RemotingCommand::request(code, &SendMessageRequestHeaderV2::from_v1(&h))
            .with_body(p.body.clone())
    }

    async fn broker_addr(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
    ) -> Result<String, ClientError> {
        if let Some(a) = inst.find_broker_addr_in_publish(&mq.broker_name) {
            return Ok(a);
        }
        self.find_publish(inst, &mq.topic).await;
        inst.find_broker_addr_in_publish(&mq.broker_name)
            .ok_or_else(|| {
                ClientError::client(-1, format!("The broker[{}] not exist", mq.broker_name))
            })
    }

    /// `sendKernelImpl` for sync and oneway.
    async fn send_kernel(
        &self,
        inst: &ClientInstance,
        p: &Prepared,
        mq: &MessageQueue,
        mode: Mode,
        timeout: Duration,
        start: Instant,
    ) -> Result<Option<SendResult>, ClientError> {
        let addr = self.broker_addr(inst, mq).await?;
        let cost = start.elapsed();
        if cost > timeout {
            return Err(ClientError::Timeout("sendKernelImpl call timeout".into()));
        }
        let req = self.send_command(p, mq);
        if mode == Mode::Oneway {
            inst.remoting
                .invoke_oneway(&addr, req, timeout - cost)
                .await?;
            return Ok(None);
        }
        let resp = inst.remoting.invoke(&addr, req, timeout - cost).await?;
        process_send_response(&resp, &addr, mq, &p.uniq_id).map(Some)
    }

    /// `sendMessageAsync` + `onExceptionImpl`: network failures are retried on another queue
    /// (avoiding the failed broker) up to `retryTimesWhenSendAsyncFailed` times; broker errors
    /// are not.
    async fn send_async_kernel(
        &self,
        inst: &ClientInstance,
        p: &Prepared,
        first: &MessageQueue,
        timeout: Duration,
        begin: Instant,
        info: &TopicPublishInfo,
    ) -> Result<SendResult, ClientError> {
        let mut mq = first.clone();
        let mut tries = 0;
        loop {
            let cost = begin.elapsed();
            if cost > timeout {
                return Err(ClientError::Timeout(
                    "DEFAULT ASYNC send call timeout".into(),
                ));
            }
            let attempt = Instant::now();
            let addr = self.broker_addr(inst, &mq).await?;
            let req = self.send_command(p, &mq);
            match inst.remoting.invoke(&addr, req, timeout - cost).await {
                Ok(resp) => {
                    self.inner.fault.update(
                        &mq.broker_name,
                        attempt.elapsed().as_millis() as u64,
                        false,
                    );
                    return process_send_response(&resp, &addr, &mq, &p.uniq_id);
                }
                Err(e) => {
                    self.inner.fault.update(
                        &mq.broker_name,
                        attempt.elapsed().as_millis() as u64,
                        true,
                    );
                    tries += 1;
                    if tries > self.inner.cfg.retry_times_when_send_async_failed {
                        return Err(e.into());
                    }
                    tracing::debug!(broker = %mq.broker_name, error = %e, "async send failed, retrying");
                    if let Some(next) = self.select_queue(info, Some(&mq.broker_name)) {
                        mq = next;
                    }
                }
            }
        }
    }
}

/// `processSendResponse`.
fn process_send_response(
    resp: &RemotingCommand,
    addr: &str,
    mq: &MessageQueue,
    uniq_id: &str,
) -> Result<SendResult, ClientError> {
    let status = match ResponseCode::from_i32(resp.code) {
        ResponseCode::SUCCESS => SendStatus::SEND_OK,
        ResponseCode::FLUSH_DISK_TIMEOUT => SendStatus::FLUSH_DISK_TIMEOUT,
        ResponseCode::FLUSH_SLAVE_TIMEOUT => SendStatus::FLUSH_SLAVE_TIMEOUT,
        ResponseCode::SLAVE_NOT_AVAILABLE => SendStatus::SLAVE_NOT_AVAILABLE,
        _ => {
            return Err(ClientError::Broker {
                code: ResponseCode::from_i32(resp.code),
                remark: resp.remark.clone().unwrap_or_default(),
                addr: addr.to_owned(),
            })
        }
    };
    let h: SendMessageResponseHeader = resp.header()?;
    Ok(SendResult {
        send_status: status,
        msg_id: uniq_id.to_owned(),
        offset_msg_id: h.msg_id,
        message_queue: MessageQueue::new(mq.topic.clone(), mq.broker_name.clone(), h.queue_id),
        queue_offset: h.queue_offset,
        transaction_id: h.transaction_id,
        region_id: h.msg_region.unwrap_or_else(|| "DefaultRegion".into()),
        trace_on: h.trace_on.as_deref() != Some("false"),
    })
}

fn expect_result(r: Option<SendResult>) -> Result<SendResult, ClientError> {
    r.ok_or_else(|| ClientError::client(-1, "send returned no result"))
}

fn no_route(topic: &str) -> ClientError {
    ClientError::client(
        client_error_code::NOT_FOUND_TOPIC_EXCEPTION,
        format!(
            "No route info of this topic: {topic}{}",
            faq(FAQ_NO_TOPIC_ROUTE_INFO)
        ),
    )
}

/// Milliseconds since the epoch, as the client stamps `bornTimestamp` (exposed for tests).
/// Where a request goes.
enum RequestTarget<'a> {
    Default,
    Queue(&'a MessageQueue),
}

pub fn now_ms_for_tests() -> i64 {
    now_ms()
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
