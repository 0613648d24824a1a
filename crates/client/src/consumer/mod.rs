//! Consumers: the push consumer ([`DefaultMQPushConsumer`]) and the lite pull consumer in
//! ASSIGN mode ([`DefaultLitePullConsumer`]), with the queue allocation strategies.

pub mod allocate;
pub mod config;
pub(crate) mod jobs;
pub mod listener;
pub mod lite_pull;
pub mod offset_store;
pub(crate) mod process_queue;
pub(crate) mod pull;
pub mod push;
pub(crate) mod rebalance;

pub use allocate::{
    AllocateMessageQueueAveragely, AllocateMessageQueueAveragelyByCircle,
    AllocateMessageQueueByConfig, AllocateMessageQueueByMachineRoom,
    AllocateMessageQueueConsistentHash, AllocateMessageQueueStrategy,
};
pub use config::{
    ConsumeFromWhere, LitePullConsumerConfig, MessageModel, PushConsumerConfig,
    DEFAULT_CONSUMER_GROUP,
};
pub use listener::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus,
};
pub use lite_pull::DefaultLitePullConsumer;
pub use push::DefaultMQPushConsumer;
