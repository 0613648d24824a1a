//! rocklet-protocol
