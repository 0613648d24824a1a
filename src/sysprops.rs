//! Java-style system properties given as `-Dkey=value` (any number, before or after the
//! subcommand), as Java's `JAVA_OPT="-Dtls.server.mode=enforcing"` gives them to the 4.9.3
//! servers and tools. Today they carry the TLS settings (`tls.*`, see
//! `rocklet_remoting::tls`); unknown keys are ignored, as a JVM ignores properties no one reads.

use std::sync::OnceLock;

use rocklet_remoting::tls::{parse_defines, TlsSettings};

static TLS: OnceLock<TlsSettings> = OnceLock::new();

/// Reads the `-D` values once, at start (the `tls.config.file` too).
pub fn init(defines: &[String]) -> anyhow::Result<()> {
    let map = parse_defines(defines.iter().map(String::as_str));
    let tls = TlsSettings::from_properties(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let _ = TLS.set(tls);
    Ok(())
}

/// The TLS settings (Java's defaults when `init` was not called).
pub fn tls() -> TlsSettings {
    TLS.get().cloned().unwrap_or_default()
}

/// `tls.enable` on a client configuration, as Java's `ClientConfig.useTLS` default.
pub fn apply_client(cfg: &mut rocklet_client::ClientConfig) {
    let tls = tls();
    cfg.use_tls = tls.enable;
    cfg.tls = tls;
}
