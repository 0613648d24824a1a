//! rocklet-store
