//! `DefaultMQProducer` / `DefaultMQProducerImpl`: configuration, start-up and shutdown, and the
//! public send API (sync, oneway, async with in-flight backpressure, batches).
//!
//! The rooms behind it: `prepare` turns a `Message` into a wire request (checks, compression,
//! `UNIQ_KEY`), `send` is the send engine (route, queue selection through
//! `crate::fault::FaultStrategy`, retries inside one timeout budget), `request` is
//! request-reply on top of the sends.

use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{
    check_producer_group, AsyncFullPolicy, ProducerConfig, CLIENT_INNER_PRODUCER_GROUP,
};
use crate::error::{
    client_error_code, faq, ClientError, FAQ_CLIENT_SERVICE_NOT_OK, FAQ_GROUP_NAME_DUPLICATE,
    FAQ_NO_TOPIC_ROUTE_INFO,
};
use crate::fault::FaultStrategy;
use crate::instance::{ClientInstance, ServiceState, TopicPublishInfo};
use crate::message::{Message, MessageQueue, SendResult};
use crate::selector::MessageQueueSelector;
use crate::validators::check_message;

mod prepare;
mod request;
mod send;

pub use prepare::set_uniq_id;

/// How a message is sent (`CommunicationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sync,
    Async,
    Oneway,
}

pub(crate) struct Inner {
    cfg: ProducerConfig,
    state: Mutex<ServiceState>,
    instance: Mutex<Option<Arc<ClientInstance>>>,
    fault: FaultStrategy,
    inflight_msgs: Arc<Semaphore>,
    inflight_bytes: Arc<Semaphore>,
    /// With `enableMsgTrace`, once started.
    tracer: Mutex<Option<Arc<crate::trace::Tracer>>>,
}

/// The producer. Cheap to clone; clones share one producer.
#[derive(Clone)]
pub struct DefaultMQProducer {
    inner: Arc<Inner>,
}

impl DefaultMQProducer {
    /// A producer with `cfg`, not started. An `instance_name` of `DEFAULT` becomes `pid#nanos`
    /// ([`crate::ClientConfig::change_instance_name_to_pid`]), so the producer gets a client
    /// instance of its own; set another instance name to share one.
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
                tracer: Mutex::new(None),
            }),
        }
    }

    /// The settings the producer was made with.
    pub fn config(&self) -> &ProducerConfig {
        &self.inner.cfg
    }
    /// `serviceState`: CREATE_JUST until [`Self::start`], RUNNING, then SHUTDOWN_ALREADY after
    /// [`Self::shutdown`] (START_FAILED when a start failed half way).
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

    /// HEART_BEAT now to the known masters that have not had one from this producer's client
    /// instance yet. A broker learns of a producer from its heartbeats, every
    /// `heartbeatBrokerInterval` (30 s), and a producer started before it knew any route sent
    /// its first to no broker; after this it shows in GET_PRODUCER_CONNECTION_LIST at once.
    ///
    /// # Errors
    /// [`ClientError::Client`] when the producer is not running. A broker that refuses or does
    /// not answer is skipped (logged), as in the periodic heartbeat.
    pub async fn heartbeat_new_brokers(&self) -> Result<(), ClientError> {
        let inst = self.running_instance()?;
        if inst.heartbeat_missing() {
            inst.send_heartbeat_to_all_brokers().await;
        }
        Ok(())
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
        if self.inner.cfg.enable_msg_trace {
            // Java logs a trace dispatcher that cannot start and goes on without traces.
            match crate::trace::Tracer::start(&self.inner.cfg).await {
                Ok(t) => *self.inner.tracer.lock() = Some(Arc::new(t)),
                Err(e) => tracing::warn!(error = %e, "message trace not started"),
            }
        }
        inst.send_heartbeat_to_all_brokers().await;
        Ok(())
    }

    /// `shutdown`: unregister from brokers; the shared instance stops when its last producer goes.
    /// Does nothing unless the producer is RUNNING.
    ///
    /// # Cancellation
    /// The producer is SHUTDOWN_ALREADY and out of the instance's producer table before the
    /// first await. Dropped while it sends UNREGISTER_CLIENT, the brokers not told yet keep the
    /// group registered until the connection closes, and the instance is not shut down
    /// explicitly; it is released (its tasks end, its connections close) once nothing else
    /// holds it.
    pub async fn shutdown(&self) {
        let tracer = self.inner.tracer.lock().take();
        if let Some(t) = tracer {
            t.shutdown(Duration::from_secs(3)).await;
        }
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

    /// `fetchPublishMessageQueues`: the writable queues of `topic`, looked up on the name
    /// server when not cached (falling back to the `createTopicKey` route, as a send does).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the producer is not running, or with
    /// NOT_FOUND_TOPIC_EXCEPTION (10005) when the topic has no writable queue.
    ///
    /// # Cancellation
    /// Only reads routes; dropping the future abandons a route lookup in progress (its answer
    /// is ignored) and changes nothing.
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
    /// Dropping the future stops the retries and removes the attempt's request from the
    /// connection's in-flight table (a late response is ignored), but a request already
    /// written may still be stored by the broker: the message may exist without this caller
    /// knowing its result.
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

pub(crate) use rocklet_protocol::time::now_ms;
