//! Tokio transport for the RocketMQ remoting protocol.
//!
//! - [`client::RemotingClient`]: one TCP connection per peer address, requests matched to responses
//!   by `opaque` through a map of oneshot senders, one reader and one writer task per connection,
//!   a per-request timeout; a framing error fails every pending request and drops the connection.
//! - [`server::serve`]: an accept loop with a connection limit and graceful shutdown; each
//!   connection decodes frames and hands requests to a [`server::Processor`].
#![forbid(unsafe_code)]

pub mod client;
pub mod conn;
pub mod error;
pub mod server;
pub mod tls;

pub use client::RemotingClient;
pub use conn::WriteBudget;
pub use error::RemotingError;
pub use server::{
    bind_listener, not_supported, serve, ConnCtx, FrameSender, Processor, ServerConfig, ServerStats,
};

/// Split a `host:port;host:port` address list (Java's `namesrvAddr` format), dropping blanks.
pub fn split_addr_list(list: &str) -> Vec<String> {
    list.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
