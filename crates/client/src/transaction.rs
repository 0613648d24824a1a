//! Transactional producer (`TransactionMQProducer`, `TransactionListener`,
//! `DefaultMQProducerImpl.sendMessageInTransaction` / `endTransaction` / `checkTransactionState`,
//! `ClientRemotingProcessor.checkTransactionState`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), rocklet_client::ClientError> {
//! use rocklet_client::transaction::*;
//! use rocklet_client::{Message, MessageExt, ProducerConfig};
//! struct Orders;
//! impl TransactionListener for Orders {
//!     fn execute_local_transaction(&self, _m: &Message, _arg: Option<&TxArg>) -> LocalTransactionState {
//!         LocalTransactionState::COMMIT_MESSAGE
//!     }
//!     fn check_local_transaction(&self, _m: &MessageExt) -> LocalTransactionState {
//!         LocalTransactionState::COMMIT_MESSAGE
//!     }
//! }
//! let p = TransactionMQProducer::new(ProducerConfig::new("tx_group").with_namesrv("127.0.0.1:9876"), Orders);
//! p.start().await?;
//! let r = p.send_message_in_transaction(Message::new("TopicTest", "order-1"), None).await?;
//! println!("{} {:?}", r.send_result, r.local_transaction_state);
//! p.shutdown().await;
//! # Ok(()) }
//! ```

use bytes::Bytes;
use parking_lot::Mutex;
use rocklet_protocol::header::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use rocklet_protocol::message::{property, sys_flag};
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_protocol::{RemotingCommand, RequestCode};
use std::any::Any;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::config::ProducerConfig;
use crate::error::ClientError;
use crate::instance::{ClientInstance, ServiceState};
use crate::message::{Message, MessageExt, SendResult, SendStatus};
use crate::producer::{set_uniq_id, DefaultMQProducer};

/// The `arg` handed to [`TransactionListener::execute_local_transaction`] (Java's `Object arg`).
pub type TxArg = dyn Any + Send + Sync;

/// `LocalTransactionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum LocalTransactionState {
    /// Commit: the broker delivers the half message to consumers.
    COMMIT_MESSAGE,
    /// Roll back: the broker discards the half message.
    ROLLBACK_MESSAGE,
    /// Not decided yet (Java's spelling): the broker asks again later with a check-back.
    UNKNOW,
}

impl LocalTransactionState {
    /// The `commitOrRollback` value of END_TRANSACTION.
    pub fn commit_or_rollback(self) -> i32 {
        match self {
            LocalTransactionState::COMMIT_MESSAGE => sys_flag::TRANSACTION_COMMIT_TYPE,
            LocalTransactionState::ROLLBACK_MESSAGE => sys_flag::TRANSACTION_ROLLBACK_TYPE,
            LocalTransactionState::UNKNOW => sys_flag::TRANSACTION_NOT_TYPE,
        }
    }
}

/// `TransactionListener`. A panic in either method counts as UNKNOW (Java: a thrown exception).
pub trait TransactionListener: Send + Sync + 'static {
    /// Run the local transaction after the half message was stored (SEND_OK). Called on the
    /// sending task (inside `block_in_place` on a multi-thread runtime, so it may block).
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: Option<&TxArg>,
    ) -> LocalTransactionState;
    /// The broker asks about a half message whose outcome it does not know. Runs on the check
    /// executor's blocking thread.
    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState;
}

/// `TransactionSendResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSendResult {
    /// The half message's send result (Java's `TransactionSendResult` extends `SendResult`).
    pub send_result: SendResult,
    /// `localTransactionState`: the outcome sent with END_TRANSACTION (ROLLBACK_MESSAGE when the
    /// half message was not SEND_OK, UNKNOW when the listener panicked).
    pub local_transaction_state: LocalTransactionState,
}

/// Java `checkRequestHoldMax` default: checks queued before new ones are dropped.
pub const DEFAULT_CHECK_REQUEST_HOLD_MAX: usize = 2000;

/// A check request waiting for the executor.
struct CheckJob {
    header: CheckTransactionStateRequestHeader,
    msg: MessageExt,
    /// The connection the check came on; the answer goes back on it.
    reply: mpsc::Sender<Bytes>,
}

/// clientId -> producer group -> check queue: one request handler per shared instance
/// dispatches to the transactional producers using it.
type Registry = Mutex<HashMap<String, HashMap<String, mpsc::Sender<CheckJob>>>>;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// `TransactionMQProducer`: a [`DefaultMQProducer`] that sends half messages, runs the local
/// transaction and answers the broker's check-backs.
pub struct TransactionMQProducer {
    producer: DefaultMQProducer,
    listener: Arc<dyn TransactionListener>,
    check_request_hold_max: usize,
    /// Registered (clientId, group) while running.
    registered: Mutex<Option<String>>,
    worker: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl TransactionMQProducer {
    /// A transactional producer with `cfg` and `listener` (not started).
    pub fn new(cfg: ProducerConfig, listener: impl TransactionListener) -> Self {
        Self::with_listener(cfg, Arc::new(listener))
    }

    /// [`Self::new`] with a listener that is already shared.
    pub fn with_listener(cfg: ProducerConfig, listener: Arc<dyn TransactionListener>) -> Self {
        TransactionMQProducer {
            producer: DefaultMQProducer::new(cfg),
            listener,
            check_request_hold_max: DEFAULT_CHECK_REQUEST_HOLD_MAX,
            registered: Mutex::new(None),
            worker: Mutex::new(None),
        }
    }

    /// `checkRequestHoldMax`: bound of the check queue (default 2000). Set before `start`.
    pub fn set_check_request_hold_max(&mut self, n: usize) {
        self.check_request_hold_max = n.max(1);
    }

    /// The wrapped producer (for plain sends, admin and pull).
    pub fn producer(&self) -> &DefaultMQProducer {
        &self.producer
    }

    /// `start` (`initTransactionEnv` + `DefaultMQProducer.start`): start the producer, then the
    /// check-back worker.
    ///
    /// # Errors
    /// As [`DefaultMQProducer::start`].
    ///
    /// # Cancellation
    /// As [`DefaultMQProducer::start`], except that a future dropped before the producer's
    /// start completes leaves no check-back worker: the producer may be RUNNING but the
    /// broker's check-backs for this group are dropped. Shut down and use a new producer then.
    pub async fn start(&self) -> Result<(), ClientError> {
        self.producer.start().await?;
        let inst = self
            .producer
            .instance()
            .ok_or_else(|| ClientError::client(-1, "producer has no client instance"))?;
        let group = self.producer.config().producer_group.clone();
        let (tx, rx) = mpsc::channel(self.check_request_hold_max);
        *self.worker.lock() = Some(tokio::spawn(check_worker(
            rx,
            self.listener.clone(),
            group.clone(),
        )));
        let client_id = inst.client_id().to_owned();
        registry()
            .lock()
            .entry(client_id.clone())
            .or_default()
            .insert(group, tx);
        *self.registered.lock() = Some(client_id);
        Ok(())
    }

    /// `shutdown` (`DefaultMQProducer.shutdown` + `destroyTransactionEnv`).
    ///
    /// # Cancellation
    /// The check-back worker is stopped before the first await; dropping the future then is as
    /// dropping [`DefaultMQProducer::shutdown`]'s.
    pub async fn shutdown(&self) {
        if let Some(id) = self.registered.lock().take() {
            let mut r = registry().lock();
            if let Some(m) = r.get_mut(&id) {
                m.remove(&self.producer.config().producer_group);
                if m.is_empty() {
                    r.remove(&id);
                }
            }
        }
        if let Some(w) = self.worker.lock().take() {
            w.abort();
        }
        self.producer.shutdown().await;
    }

    /// The wrapped producer's state.
    pub fn state(&self) -> ServiceState {
        self.producer.state()
    }

    /// `sendMessageInTransaction(msg, arg)`: send the half message synchronously, run the local
    /// transaction on SEND_OK, then END_TRANSACTION (oneway) with its outcome.
    ///
    /// A message with a delay level is refused (Rocklet's choice: Java 4.9.3 silently clears
    /// the delay level instead).
    ///
    /// # Errors
    /// [`ClientError::Client`] when the message has a delay level; otherwise the half message's
    /// send errors, as [`DefaultMQProducer::send`]. A failed END_TRANSACTION is not an error:
    /// it is logged, and the broker's check-back settles the transaction.
    ///
    /// # Cancellation
    /// Dropped during the half message's send: as [`DefaultMQProducer::send`], a half message
    /// may be stored, and the broker's check-back settles it. The local transaction runs
    /// without an await, so it is never cut short. Dropped during END_TRANSACTION: the outcome
    /// may not reach the broker, which then checks back.
    pub async fn send_message_in_transaction(
        &self,
        mut msg: Message,
        arg: Option<&TxArg>,
    ) -> Result<TransactionSendResult, ClientError> {
        if msg.delay_time_level() != 0 {
            return Err(ClientError::client(
                -1,
                "DelayTimeLevel is not supported for transaction message",
            ));
        }
        let group = self.producer.config().producer_group.clone();
        msg.properties
            .insert(property::TRANSACTION_PREPARED, "true");
        msg.properties.insert(property::PRODUCER_GROUP, group);
        set_uniq_id(&mut msg);
        let sr = self.producer.send(msg.clone()).await?;
        let mut state = LocalTransactionState::UNKNOW;
        let mut local_err = None;
        match sr.send_status {
            SendStatus::SEND_OK => {
                if let Some(t) = &sr.transaction_id {
                    msg.put_user_property("__transactionId__", t.clone());
                }
                msg.transaction_id = msg.uniq_id().map(str::to_owned);
                let listener = &self.listener;
                let run = || {
                    catch_unwind(AssertUnwindSafe(|| {
                        listener.execute_local_transaction(&msg, arg)
                    }))
                };
                let r = if tokio::runtime::Handle::current().runtime_flavor()
                    == tokio::runtime::RuntimeFlavor::MultiThread
                {
                    tokio::task::block_in_place(run)
                } else {
                    run()
                };
                match r {
                    Ok(s) => state = s,
                    Err(p) => {
                        let why = panic_text(&p);
                        tracing::warn!(msg_id = %sr.msg_id, panic = %why,
                            "executeLocalTransaction panicked; state UNKNOW");
                        local_err = Some(format!("executeLocalTransactionBranch exception: {why}"));
                    }
                }
            }
            SendStatus::FLUSH_DISK_TIMEOUT
            | SendStatus::FLUSH_SLAVE_TIMEOUT
            | SendStatus::SLAVE_NOT_AVAILABLE => state = LocalTransactionState::ROLLBACK_MESSAGE,
        }
        if let Err(e) = self.end_transaction(&sr, state, local_err).await {
            tracing::warn!(msg_id = %sr.msg_id, ?state, error = %e,
                "local transaction done, but end broker transaction failed");
        }
        Ok(TransactionSendResult {
            send_result: sr,
            local_transaction_state: state,
        })
    }

    /// `endTransaction`: END_TRANSACTION oneway to the master of the half's broker.
    async fn end_transaction(
        &self,
        sr: &SendResult,
        state: LocalTransactionState,
        remark: Option<String>,
    ) -> Result<(), ClientError> {
        let inst: Arc<ClientInstance> = self
            .producer
            .instance()
            .ok_or_else(|| ClientError::client(-1, "producer has no client instance"))?;
        let (_, commit_log_offset) = decode_offset_msg_id(&sr.offset_msg_id)
            .or_else(|| decode_offset_msg_id(&sr.msg_id))
            .ok_or_else(|| ClientError::client(-1, format!("bad msgId {}", sr.offset_msg_id)))?;
        let addr = inst
            .find_broker_addr_in_publish(&sr.message_queue.broker_name)
            .ok_or_else(|| {
                ClientError::client(
                    -1,
                    format!("The broker[{}] not exist", sr.message_queue.broker_name),
                )
            })?;
        let header = EndTransactionRequestHeader {
            producer_group: self.producer.config().producer_group.clone(),
            tran_state_table_offset: sr.queue_offset,
            commit_log_offset,
            commit_or_rollback: state.commit_or_rollback(),
            from_transaction_check: Some(false),
            msg_id: sr.msg_id.clone(),
            transaction_id: sr.transaction_id.clone(),
        };
        let mut cmd = RemotingCommand::request(RequestCode::END_TRANSACTION, &header);
        cmd.remark = remark;
        inst.remoting
            .invoke_oneway(&addr, cmd, self.producer.config().send_msg_timeout)
            .await?;
        Ok(())
    }
}

fn panic_text(p: &Box<dyn Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// CHECK_TRANSACTION_STATE (`ClientRemotingProcessor.checkTransactionState`): decoded and
/// queued to the transactional producer of the message's PGROUP in this instance.
pub(crate) fn check_transaction_state(
    client_id: &str,
    cmd: RemotingCommand,
    reply: mpsc::Sender<Bytes>,
) {
    let header: CheckTransactionStateRequestHeader = match cmd.header() {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "checkTransactionState: bad header");
            return;
        }
    };
    let msg = match MessageExt::decode(cmd.body_bytes()) {
        Ok((m, _)) => m,
        Err(e) => {
            tracing::warn!(error = %e, "checkTransactionState, decode message failed");
            return;
        }
    };
    let Some(group) = msg
        .properties
        .get(property::PRODUCER_GROUP)
        .map(str::to_owned)
    else {
        tracing::warn!("checkTransactionState, pick producer group failed");
        return;
    };
    let tx = registry()
        .lock()
        .get(client_id)
        .and_then(|m| m.get(&group))
        .cloned();
    let Some(tx) = tx else {
        tracing::debug!(group = %group, "checkTransactionState, pick producer by group failed");
        return;
    };
    if tx.try_send(CheckJob { header, msg, reply }).is_err() {
        tracing::warn!(group = %group, "check request queue full or closed; check dropped");
    }
}

/// The check executor: one worker (Java `checkThreadPoolMinSize` = max = 1) over a bounded
/// queue; each check runs the listener on a blocking thread and answers END_TRANSACTION oneway
/// with `fromTransactionCheck=true` on the connection the check came on.
async fn check_worker(
    mut rx: mpsc::Receiver<CheckJob>,
    listener: Arc<dyn TransactionListener>,
    group: String,
) {
    while let Some(job) = rx.recv().await {
        let l = listener.clone();
        let msg = job.msg;
        let (state, remark, msg) = match tokio::task::spawn_blocking(move || {
            let r = catch_unwind(AssertUnwindSafe(|| l.check_local_transaction(&msg)));
            (r.map_err(|p| panic_text(&p)), msg)
        })
        .await
        {
            Ok((Ok(s), msg)) => (s, None, msg),
            Ok((Err(why), msg)) => {
                tracing::error!(panic = %why, "checkLocalTransaction panicked; answering UNKNOW");
                (
                    LocalTransactionState::UNKNOW,
                    Some(format!("checkLocalTransactionState Exception: {why}")),
                    msg,
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "check task failed");
                continue;
            }
        };
        let msg_id = msg
            .properties
            .get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .map(str::to_owned)
            .unwrap_or_else(|| msg.offset_msg_id());
        let header = EndTransactionRequestHeader {
            producer_group: group.clone(),
            tran_state_table_offset: job.header.tran_state_table_offset,
            commit_log_offset: job.header.commit_log_offset,
            commit_or_rollback: state.commit_or_rollback(),
            from_transaction_check: Some(true),
            msg_id,
            transaction_id: job.header.transaction_id.clone(),
        };
        let mut cmd = RemotingCommand::request(RequestCode::END_TRANSACTION, &header);
        cmd.remark = remark;
        cmd.mark_oneway();
        let frame = cmd.encode_to_bytes();
        match tokio::time::timeout(Duration::from_secs(3), job.reply.send(frame)).await {
            Ok(Ok(())) => {}
            _ => tracing::warn!(group = %group, "endTransactionOneway after check failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_or_rollback_values() {
        assert_eq!(
            LocalTransactionState::COMMIT_MESSAGE.commit_or_rollback(),
            0x8
        );
        assert_eq!(
            LocalTransactionState::ROLLBACK_MESSAGE.commit_or_rollback(),
            0xC
        );
        assert_eq!(LocalTransactionState::UNKNOW.commit_or_rollback(), 0);
    }
}
