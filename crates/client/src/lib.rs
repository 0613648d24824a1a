//! Rocklet's RocketMQ 4.9.x client: the producer described by the seed (`DefaultMQProducer`,
//! `ClientConfig`, `MQClientInstance`, the send path with retries and fault avoidance), the
//! `MQAdmin` operations, a simple pull and the lite pull consumer in ASSIGN mode
//! ([`DefaultLitePullConsumer`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), rocklet_client::ClientError> {
//! use rocklet_client::{DefaultMQProducer, Message, ProducerConfig};
//! let producer = DefaultMQProducer::new(ProducerConfig::new("my_group").with_namesrv("127.0.0.1:9876"));
//! producer.start().await?;
//! let r = producer.send(Message::new("TopicTest", "hello").with_tags("TagA")).await?;
//! println!("{r}");
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod admin_catalog;
pub mod admin_ext;
pub mod config;
pub mod consumer;
pub mod error;
pub(crate) mod fault;
pub(crate) mod instance;
pub mod message;
pub mod producer;
pub mod request;
pub mod selector;
pub(crate) mod trace;
pub mod transaction;
pub mod validators;

pub use admin::MQAdmin;
pub use config::{AsyncFullPolicy, ClientConfig, ProducerConfig, SessionCredentials};
pub use consumer::{ConsumeFromWhere, DefaultLitePullConsumer, LitePullConsumerConfig};
pub use error::{client_error_code, ClientError, DEFAULT_RETRY_RESPONSE_CODES};
pub use instance::{ClientInstance, ServiceState};
pub use message::{
    Message, MessageExt, MessageQueue, PullResult, PullStatus, QueryResult, SendResult, SendStatus,
};
pub use producer::{set_uniq_id, DefaultMQProducer};
pub use request::create_reply_message;
/// TLS settings of a client (`ClientConfig::tls`), Java's `tls.*` properties.
pub use rocklet_remoting::tls::TlsSettings;
pub use selector::{MessageQueueSelector, SelectByHash, SelectByRandom, SelectByRoundRobin};
pub use transaction::{
    LocalTransactionState, TransactionListener, TransactionMQProducer, TransactionSendResult, TxArg,
};
