//! Request-reply on the producer (`DefaultMQProducer.request*`): send a message carrying a
//! correlation id and wait for the reply the broker pushes back ([`crate::request`]).

use std::time::{Duration, Instant};

use super::{no_route, DefaultMQProducer};
use crate::error::ClientError;
use crate::message::{Message, MessageQueue};
use crate::selector::MessageQueueSelector;

impl DefaultMQProducer {
    /// Send a request and wait for its reply (`request(msg, timeout)`): the responder answers
    /// with [`crate::create_reply_message`], which the broker pushes back to this client.
    ///
    /// # Errors
    /// The send's errors, or a client error when no reply came within `timeout` (the send and
    /// the wait share it, as in Java).
    ///
    /// # Cancellation
    /// Dropping the future forgets the request: its correlation id leaves the table of waiting
    /// requests, and a reply arriving later is dropped with a warning. Dropped during the
    /// send, the request may still be stored and answered, as with [`Self::send`].
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
}

/// Where a request goes.
enum RequestTarget<'a> {
    Default,
    Queue(&'a MessageQueue),
}
