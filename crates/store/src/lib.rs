//! rocklet-store: a durable RocketMQ 4.9.3-compatible message store (commit log, consume
//! queues, key index, checkpoint, recovery). No networking.
//!
//! Pure, I/O-free modules: [`record`] (record codec), [`cq`] (consume-queue entries),
//! [`layout`] (file arithmetic), [`properties`], [`search`].

pub mod checkpoint;
pub mod config;
mod consume_queue;
pub mod cq;
pub mod error;
mod index;
pub mod layout;
mod mapped_file;
pub mod properties;
pub mod record;
pub mod search;
mod store;

pub use config::{FlushDiskType, StoreConfig};
pub use cq::CqEntry;
pub use error::StoreError;
pub use store::{GetResult, GetStatus, MessageStore, PutMessage, PutResult, PutStatus};
