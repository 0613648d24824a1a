//! Sans-IO implementation of the Apache RocketMQ 4.9.x remoting protocol.
//!
//! Nothing here touches a socket or a file: frames are encoded into [`bytes::BytesMut`] and decoded
//! from `&[u8]`, returning [`command::Decoded::Incomplete`] when more bytes are needed and a typed
//! [`ProtocolError`] when the bytes are not a RocketMQ frame. Every layout follows the Java classes of
//! `rocketmq-all-4.9.3` (`RemotingCommand`, `RocketMQSerializable`, `MessageDecoder`, ...).

pub mod acl;
pub mod body;
pub mod code;
pub mod command;
pub mod error;
pub mod header;
pub mod json;
pub mod message;
pub mod msgid;
pub mod record;
pub mod route;
pub mod time;
pub mod topic;

pub use code::{LanguageCode, RequestCode, ResponseCode, SerializeType};
pub use command::{Decoded, ExtFields, RemotingCommand};
pub use error::ProtocolError;
pub use header::CommandHeader;

/// `MQVersion.Version.V4_9_3.ordinal()`: the `version` every Rocklet frame carries.
pub const ROCKETMQ_VERSION_4_9_3: i32 = 399;
/// Frames larger than this are refused before any allocation (Java `NettyDecoder` FRAME_MAX_LENGTH).
pub const MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
