//! rocklet-remoting
