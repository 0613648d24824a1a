//! rocklet-broker
