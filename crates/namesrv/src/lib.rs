//! rocklet-namesrv
