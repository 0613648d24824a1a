//! Consumers. So far the lite pull consumer in ASSIGN mode ([`DefaultLitePullConsumer`]).

pub mod allocate;
pub mod config;
pub mod lite_pull;

pub use allocate::{
    AllocateMessageQueueAveragely, AllocateMessageQueueAveragelyByCircle,
    AllocateMessageQueueByConfig, AllocateMessageQueueByMachineRoom,
    AllocateMessageQueueConsistentHash, AllocateMessageQueueStrategy,
};
pub use config::{ConsumeFromWhere, LitePullConsumerConfig, DEFAULT_CONSUMER_GROUP};
pub use lite_pull::DefaultLitePullConsumer;
