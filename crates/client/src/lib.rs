//! rocklet-client
