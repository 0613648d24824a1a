//! Prometheus `/metrics` for the broker and the name server: a small HTTP/1.1 server (hyper,
//! server side only; its accept loop, [`http::serve`], also serves `rocklet console`) answering
//! `GET /metrics` with a text built at each scrape from the live stats, a builder over
//! `prometheus-client` for that text, and the process figures read from `/proc/self`.
//!
//! Nothing here runs on the data path: a scrape reads counters the servers keep anyway.

pub mod http;
pub mod process;
mod registry;
mod server;

pub use registry::{escape_label, Labels, Scrape};
pub use server::{bind_listener, start, MetricsServer, Render};
