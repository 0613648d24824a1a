//! Message listeners of the push consumer: async closures with Java's statuses and contexts.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use std::sync::Arc;

use crate::message::{MessageExt, MessageQueue};

/// `ConsumeConcurrentlyStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ConsumeConcurrentlyStatus {
    /// Consumed: the messages up to the context's ack index are done.
    CONSUME_SUCCESS,
    /// Failed: every message of the call comes back later (after the context's delay level).
    RECONSUME_LATER,
}

/// `ConsumeOrderlyStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ConsumeOrderlyStatus {
    /// Consumed (committed when the context's auto commit is on).
    SUCCESS,
    /// Failed: the queue pauses for the context's suspend time and the same messages come
    /// again, in order.
    SUSPEND_CURRENT_QUEUE_A_MOMENT,
}

/// `ConsumeConcurrentlyContext`: the queue of the messages, and what the listener may change.
/// Clones share the settings, so a listener can move it into its future. The queue is shared
/// by every call of the queue (one allocation a call, for the settings).
#[derive(Debug, Clone)]
pub struct ConsumeConcurrentlyContext {
    /// `messageQueue`.
    pub message_queue: Arc<MessageQueue>,
    /// (`delayLevelWhenNextConsume`, `ackIndex`).
    settings: Arc<(AtomicI32, AtomicI32)>,
}

impl ConsumeConcurrentlyContext {
    pub(crate) fn new(mq: Arc<MessageQueue>) -> Self {
        ConsumeConcurrentlyContext {
            message_queue: mq,
            settings: Arc::new((AtomicI32::new(0), AtomicI32::new(i32::MAX))),
        }
    }
    /// `delayLevelWhenNextConsume`: 0 (the broker picks 3 + reconsume times), a level 1..18,
    /// or -1 to send the messages straight to the dead letter queue.
    pub fn delay_level_when_next_consume(&self) -> i32 {
        self.settings.0.load(Ordering::Relaxed)
    }
    /// Set `delayLevelWhenNextConsume`.
    pub fn set_delay_level_when_next_consume(&self, level: i32) {
        self.settings.0.store(level, Ordering::Relaxed);
    }
    /// `ackIndex`: with CONSUME_SUCCESS, the messages after this index are retried (default:
    /// all acknowledged).
    pub fn ack_index(&self) -> i32 {
        self.settings.1.load(Ordering::Relaxed)
    }
    /// Set `ackIndex`.
    pub fn set_ack_index(&self, index: i32) {
        self.settings.1.store(index, Ordering::Relaxed);
    }
}

/// `ConsumeOrderlyContext`.
#[derive(Debug, Clone)]
pub struct ConsumeOrderlyContext {
    /// `messageQueue`.
    pub message_queue: Arc<MessageQueue>,
    /// (`autoCommit`, `suspendCurrentQueueTimeMillis`).
    settings: Arc<(AtomicBool, AtomicI64)>,
}

impl ConsumeOrderlyContext {
    pub(crate) fn new(mq: Arc<MessageQueue>) -> Self {
        ConsumeOrderlyContext {
            message_queue: mq,
            settings: Arc::new((AtomicBool::new(true), AtomicI64::new(-1))),
        }
    }
    /// `autoCommit`, true: commit the offset after each SUCCESS.
    pub fn is_auto_commit(&self) -> bool {
        self.settings.0.load(Ordering::Relaxed)
    }
    /// Set `autoCommit`.
    pub fn set_auto_commit(&self, on: bool) {
        self.settings.0.store(on, Ordering::Relaxed);
    }
    /// `suspendCurrentQueueTimeMillis` of this call; -1: the consumer's setting.
    pub fn suspend_current_queue_time_millis(&self) -> i64 {
        self.settings.1.load(Ordering::Relaxed)
    }
    /// Set `suspendCurrentQueueTimeMillis` of this call.
    pub fn set_suspend_current_queue_time_millis(&self, ms: i64) {
        self.settings.1.store(ms, Ordering::Relaxed);
    }
}

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
pub(crate) type ConcurrentlyFn = Arc<
    dyn Fn(Vec<Arc<MessageExt>>, ConsumeConcurrentlyContext) -> BoxFuture<ConsumeConcurrentlyStatus>
        + Send
        + Sync,
>;
pub(crate) type OrderlyFn = Arc<
    dyn Fn(Vec<Arc<MessageExt>>, ConsumeOrderlyContext) -> BoxFuture<ConsumeOrderlyStatus>
        + Send
        + Sync,
>;

/// The registered listener (`MessageListenerConcurrently` or `MessageListenerOrderly`).
#[derive(Clone)]
pub(crate) enum Listener {
    Concurrently(ConcurrentlyFn),
    Orderly(OrderlyFn),
}

impl Listener {
    pub(crate) fn is_orderly(&self) -> bool {
        matches!(self, Listener::Orderly(_))
    }
}
