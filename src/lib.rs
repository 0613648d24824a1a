//! Rocklet as a library: the embedded cluster (a name server and brokers on free 127.0.0.1
//! ports with a temporary store) for applications' own tests, the web console
//! (`rocklet console`), plus re-exports of the crates.
#![forbid(unsafe_code)]

pub mod console;
pub mod embedded;

pub use rocklet_broker as broker;
pub use rocklet_client as client;
pub use rocklet_namesrv as namesrv;
pub use rocklet_protocol as protocol;
pub use rocklet_store as store;
