//! Transport errors (Java `RemotingConnectException`, `RemotingTimeoutException`,
//! `RemotingSendRequestException`, `RemotingTooMuchRequestException`).

use rocklet_protocol::ProtocolError;
use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone)]
#[non_exhaustive]
pub enum RemotingError {
    #[error("connect to {addr} failed: {reason}")]
    Connect { addr: String, reason: String },
    #[error("wait response on the channel <{addr}> timeout, {timeout:?}")]
    Timeout { addr: String, timeout: Duration },
    #[error("send request to <{addr}> failed: {reason}")]
    SendRequest { addr: String, reason: String },
    #[error("connection to {addr} closed before the response arrived")]
    ConnectionClosed { addr: String },
    #[error("too many requests: {0}")]
    TooMuchRequest(String),
    #[error("protocol error from {addr}: {source}")]
    Protocol { addr: String, source: ProtocolError },
}

impl RemotingError {
    /// Connection-level failures after which the client should try another broker.
    pub fn is_connect(&self) -> bool {
        matches!(self, RemotingError::Connect { .. })
    }
    pub fn is_timeout(&self) -> bool {
        matches!(self, RemotingError::Timeout { .. })
    }
}
