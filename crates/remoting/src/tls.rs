//! TLS as RocketMQ 4.9.3 configures it (`TlsSystemConfig`, `TlsHelper`, the server's
//! `HandshakeHandler`), on rustls.
//!
//! - Settings are Java's system properties (`tls.server.mode`, `tls.enable`, `tls.test.mode.enable`,
//!   `tls.server.*`, `tls.client.*`, `tls.config.file`) with Java's defaults: a server is
//!   **permissive** (plain and TLS connections on one port, told apart by the first byte, `0x16`
//!   for a TLS handshake) and, in test mode (the default), presents a self-signed certificate it
//!   makes at start; a client in test mode trusts any server.
//! - The file named by `tls.config.file` (default `/etc/rocketmq/tls.properties`), when it exists,
//!   overrides every setting but the mode and `tls.enable`, as Java reads it when it builds a
//!   context.
//! - As in Java, a client never checks the server's host name (Netty's handler is built without
//!   a peer host); with `tls.client.authServer=true` it checks the chain against
//!   `tls.client.trustCertPath`.
//!
//! Not supported: encrypted private keys (`tls.*.keyPassword`; Java's `DecryptionStrategy`):
//! start-up fails with a message saying so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};

pub const TLS_SERVER_MODE: &str = "tls.server.mode";
pub const TLS_ENABLE: &str = "tls.enable";
pub const TLS_CONFIG_FILE: &str = "tls.config.file";
pub const TLS_TEST_MODE_ENABLE: &str = "tls.test.mode.enable";
pub const TLS_SERVER_NEED_CLIENT_AUTH: &str = "tls.server.need.client.auth";
pub const TLS_SERVER_KEYPATH: &str = "tls.server.keyPath";
pub const TLS_SERVER_KEYPASSWORD: &str = "tls.server.keyPassword";
pub const TLS_SERVER_CERTPATH: &str = "tls.server.certPath";
pub const TLS_SERVER_AUTHCLIENT: &str = "tls.server.authClient";
pub const TLS_SERVER_TRUSTCERTPATH: &str = "tls.server.trustCertPath";
pub const TLS_CLIENT_KEYPATH: &str = "tls.client.keyPath";
pub const TLS_CLIENT_KEYPASSWORD: &str = "tls.client.keyPassword";
pub const TLS_CLIENT_CERTPATH: &str = "tls.client.certPath";
pub const TLS_CLIENT_AUTHSERVER: &str = "tls.client.authServer";
pub const TLS_CLIENT_TRUSTCERTPATH: &str = "tls.client.trustCertPath";
/// Java's default `tls.config.file`.
pub const DEFAULT_TLS_CONFIG_FILE: &str = "/etc/rocketmq/tls.properties";
/// The first byte of a TLS record carrying a handshake (Java `HANDSHAKE_MAGIC_CODE`).
pub const HANDSHAKE_MAGIC: u8 = 0x16;
/// Netty `SslHandler`'s default handshake timeout: a handshake cut halfway ends here.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what} ({path}): {reason}")]
    File {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{0}")]
    Config(String),
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// `tls.server.mode` (Java `TlsMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// A TLS handshake is refused (the connection closed).
    Disabled,
    /// TLS and plain connections on the same port.
    Permissive,
    /// Plain connections are closed.
    Enforcing,
}

impl TlsMode {
    /// Java's `TlsMode.parse`: an exact lower-case name, anything else is permissive.
    pub fn parse(s: &str) -> Self {
        match s {
            "disabled" => TlsMode::Disabled,
            "enforcing" => TlsMode::Enforcing,
            _ => TlsMode::Permissive,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disabled => "disabled",
            TlsMode::Permissive => "permissive",
            TlsMode::Enforcing => "enforcing",
        }
    }
}

/// `tls.server.need.client.auth` (Netty `ClientAuth`): none, optional, require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Optional,
    Require,
}

impl ClientAuth {
    /// Java's `parseClientAuthMode`: case-insensitive name, anything else none.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPTIONAL" => ClientAuth::Optional,
            "REQUIRE" => ClientAuth::Require,
            _ => ClientAuth::None,
        }
    }
}

/// Java's `TlsSystemConfig`, one value per property, with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsSettings {
    /// `tls.enable` (false): clients, and a broker's calls to name servers, use TLS.
    pub enable: bool,
    /// `tls.server.mode` (permissive).
    pub server_mode: TlsMode,
    /// `tls.test.mode.enable` (true): a server makes a self-signed certificate; a client trusts
    /// any server.
    pub test_mode_enable: bool,
    /// `tls.server.need.client.auth` (none).
    pub server_need_client_auth: ClientAuth,
    pub server_key_path: Option<PathBuf>,
    pub server_key_password: Option<String>,
    pub server_cert_path: Option<PathBuf>,
    /// `tls.server.authClient` (false): check client certificates against the trust file.
    pub server_auth_client: bool,
    pub server_trust_cert_path: Option<PathBuf>,
    pub client_key_path: Option<PathBuf>,
    pub client_key_password: Option<String>,
    pub client_cert_path: Option<PathBuf>,
    /// `tls.client.authServer` (false): check the server's chain against the trust file.
    pub client_auth_server: bool,
    pub client_trust_cert_path: Option<PathBuf>,
    /// `tls.config.file` (`/etc/rocketmq/tls.properties`).
    pub config_file: PathBuf,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            enable: false,
            server_mode: TlsMode::Permissive,
            test_mode_enable: true,
            server_need_client_auth: ClientAuth::None,
            server_key_path: None,
            server_key_password: None,
            server_cert_path: None,
            server_auth_client: false,
            server_trust_cert_path: None,
            client_key_path: None,
            client_key_password: None,
            client_cert_path: None,
            client_auth_server: false,
            client_trust_cert_path: None,
            config_file: PathBuf::from(DEFAULT_TLS_CONFIG_FILE),
        }
    }
}

/// Java's `Boolean.parseBoolean`.
fn java_bool(v: &str) -> bool {
    v.trim().eq_ignore_ascii_case("true")
}

fn path(v: &str) -> Option<PathBuf> {
    (!v.is_empty()).then(|| PathBuf::from(v))
}

impl TlsSettings {
    /// The settings from Java-style system properties (`-Dtls.server.mode=enforcing` ...; other
    /// keys are ignored), then from `tls.config.file` when that file exists.
    pub fn from_properties<'a>(
        props: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, TlsError> {
        let mut s = TlsSettings::default();
        for (k, v) in props {
            match k {
                TLS_SERVER_MODE => s.server_mode = TlsMode::parse(v),
                TLS_ENABLE => s.enable = java_bool(v),
                TLS_CONFIG_FILE => s.config_file = PathBuf::from(v),
                _ => s.apply(k, v),
            }
        }
        s.read_config_file()?;
        Ok(s)
    }

    /// One key of the config file (or of the system properties, but the mode and `tls.enable`).
    fn apply(&mut self, k: &str, v: &str) {
        match k {
            TLS_TEST_MODE_ENABLE => self.test_mode_enable = java_bool(v),
            TLS_SERVER_NEED_CLIENT_AUTH => self.server_need_client_auth = ClientAuth::parse(v),
            TLS_SERVER_KEYPATH => self.server_key_path = path(v),
            TLS_SERVER_KEYPASSWORD => self.server_key_password = Some(v.to_owned()),
            TLS_SERVER_CERTPATH => self.server_cert_path = path(v),
            TLS_SERVER_AUTHCLIENT => self.server_auth_client = java_bool(v),
            TLS_SERVER_TRUSTCERTPATH => self.server_trust_cert_path = path(v),
            TLS_CLIENT_KEYPATH => self.client_key_path = path(v),
            TLS_CLIENT_KEYPASSWORD => self.client_key_password = Some(v.to_owned()),
            TLS_CLIENT_CERTPATH => self.client_cert_path = path(v),
            TLS_CLIENT_AUTHSERVER => self.client_auth_server = java_bool(v),
            TLS_CLIENT_TRUSTCERTPATH => self.client_trust_cert_path = path(v),
            _ => {}
        }
    }

    /// Java's `extractTlsConfigFromFile`: a missing or unreadable file is skipped.
    fn read_config_file(&mut self) -> Result<(), TlsError> {
        let Ok(text) = std::fs::read_to_string(&self.config_file) else {
            return Ok(());
        };
        let pairs =
            rocklet_protocol::body::parse_properties_text(&text).map_err(|e| TlsError::File {
                what: TLS_CONFIG_FILE,
                path: self.config_file.clone(),
                reason: e.to_string(),
            })?;
        for (k, v) in pairs {
            self.apply(&k, &v);
        }
        Ok(())
    }

    /// What a server does with TLS: the mode and, unless disabled, its rustls configuration.
    pub fn server_tls(&self) -> Result<ServerTls, TlsError> {
        let acceptor = match self.server_mode {
            TlsMode::Disabled => None,
            _ => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
                self.server_config()?,
            ))),
        };
        Ok(ServerTls {
            mode: self.server_mode,
            acceptor,
        })
    }

    fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?;
        if self.test_mode_enable {
            // Java: Netty's SelfSignedCertificate, client certificates optional.
            let (certs, key) = self_signed("localhost")?;
            return Ok(builder.with_no_client_auth().with_single_cert(certs, key)?);
        }
        let (Some(cert), Some(key)) = (&self.server_cert_path, &self.server_key_path) else {
            return Err(TlsError::Config(format!(
                "{TLS_SERVER_CERTPATH} and {TLS_SERVER_KEYPATH} are needed when \
                 {TLS_TEST_MODE_ENABLE} is false"
            )));
        };
        let certs = load_certs(TLS_SERVER_CERTPATH, cert)?;
        let key = load_key(TLS_SERVER_KEYPATH, key, &self.server_key_password)?;
        let builder = match self.server_need_client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            need => {
                let mandatory = need == ClientAuth::Require;
                let verifier: Arc<dyn ClientCertVerifier> = if self.server_auth_client {
                    let roots = match &self.server_trust_cert_path {
                        Some(p) => roots_from(TLS_SERVER_TRUSTCERTPATH, p)?,
                        None => system_roots()?,
                    };
                    let b = rustls::server::WebPkiClientVerifier::builder_with_provider(
                        Arc::new(roots),
                        provider(),
                    );
                    let b = if mandatory {
                        b
                    } else {
                        b.allow_unauthenticated()
                    };
                    b.build().map_err(|e| TlsError::Config(e.to_string()))?
                } else {
                    Arc::new(AnyClientCert { mandatory })
                };
                builder.with_client_cert_verifier(verifier)
            }
        };
        Ok(builder.with_single_cert(certs, key)?)
    }

    /// The client side (`TlsHelper.buildSslContext(true)`).
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?;
        let builder = if self.test_mode_enable || !self.client_auth_server {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCert))
        } else {
            let roots = match &self.client_trust_cert_path {
                Some(p) => roots_from(TLS_CLIENT_TRUSTCERTPATH, p)?,
                None => system_roots()?,
            };
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .map_err(|e| TlsError::Config(e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
        };
        let config = match (
            self.test_mode_enable,
            &self.client_cert_path,
            &self.client_key_path,
        ) {
            (false, Some(cert), Some(key)) => builder.with_client_auth_cert(
                load_certs(TLS_CLIENT_CERTPATH, cert)?,
                load_key(TLS_CLIENT_KEYPATH, key, &self.client_key_password)?,
            )?,
            _ => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// A server's TLS: what to do with the first byte of a connection.
#[derive(Clone)]
pub struct ServerTls {
    pub mode: TlsMode,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("mode", &self.mode)
            .finish()
    }
}

/// A connection after the first byte was looked at.
pub enum Accepted {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl ServerTls {
    /// Java's `HandshakeHandler`: peek at the first byte; `0x16` starts a TLS handshake (closed
    /// when disabled), anything else is a plain connection (closed when enforcing). `None`: the
    /// connection is to be closed (the reason is logged).
    pub async fn accept(&self, stream: TcpStream, peer: std::net::SocketAddr) -> Option<Accepted> {
        let first = peek_first(&stream).await?;
        self.accept_after(stream, peer, first).await
    }

    /// [`ServerTls::accept`] once the first byte is known ([`peek_first`]).
    pub async fn accept_after(
        &self,
        stream: TcpStream,
        peer: std::net::SocketAddr,
        first: u8,
    ) -> Option<Accepted> {
        if first != HANDSHAKE_MAGIC {
            if self.mode == TlsMode::Enforcing {
                tracing::warn!(%peer, "Clients intend to establish an insecure connection while this server is running in SSL enforcing mode");
                drain(&stream);
                return None;
            }
            return Some(Accepted::Plain(stream));
        }
        let Some(acceptor) = &self.acceptor else {
            tracing::warn!(%peer, "Clients intend to establish an SSL connection while this server is running in SSL disabled mode");
            drain(&stream);
            return None;
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(Ok(s)) => Some(Accepted::Tls(Box::new(s))),
            Ok(Err(e)) => {
                tracing::warn!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::warn!(%peer, "TLS handshake timed out");
                None
            }
        }
    }
}

/// The first byte the peer sent, left in the socket; `None` when it closed first.
pub async fn peek_first(stream: &TcpStream) -> Option<u8> {
    let mut first = [0u8; 1];
    match stream.peek(&mut first).await {
        Ok(1) => Some(first[0]),
        _ => None,
    }
}

/// Reads what the peer has sent so far before a refused connection is dropped: closing a
/// socket with unread data sends a reset, and Java clients report that as a failed send, where
/// the 4.9.3 server (which reads first, then closes) gives them a plain close and a timeout.
fn drain(stream: &TcpStream) {
    let mut buf = [0u8; 4096];
    for _ in 0..64 {
        match stream.try_read(&mut buf) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
}

/// A client's TLS configuration, or why it could not be built (reported by every connect, so a
/// bad setting is an error where the connection is made, not a panic at construction).
#[derive(Clone)]
pub struct ClientTls(Result<Arc<rustls::ClientConfig>, Arc<str>>);

impl ClientTls {
    pub fn from_settings(s: &TlsSettings) -> Self {
        ClientTls(s.client_config().map_err(|e| Arc::from(e.to_string())))
    }

    /// TLS over a connected stream, within `timeout`.
    pub async fn connect(
        &self,
        addr: &str,
        stream: TcpStream,
        timeout: Duration,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let config = self.0.clone().map_err(|e| e.to_string())?;
        // The name only feeds SNI: servers are not checked by name (as Java's Netty handler).
        let host = addr
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(addr)
            .trim_matches(['[', ']']);
        let name = ServerName::try_from(host.to_owned())
            .unwrap_or_else(|_| ServerName::try_from("localhost").expect("a valid DNS name"));
        let connector = tokio_rustls::TlsConnector::from(config);
        match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(format!("TLS handshake failed: {e}")),
            Err(_) => Err("TLS handshake timed out".into()),
        }
    }
}

/// rustls' ring provider, built once (it is asked for on every handshake signature check).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static P: std::sync::OnceLock<Arc<rustls::crypto::CryptoProvider>> = std::sync::OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn file_err(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        what,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn load_certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(what, path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_err(what, path, e))?;
    if certs.is_empty() {
        return Err(file_err(what, path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn load_key(
    what: &'static str,
    path: &Path,
    password: &Option<String>,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    if password.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(file_err(
            what,
            path,
            "encrypted private keys (keyPassword) are not supported; decrypt it first, \
             e.g. openssl pkcs8 -topk8 -nocrypt",
        ));
    }
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_err(what, path, e))
}

fn roots_from(what: &'static str, path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in load_certs(what, path)? {
        roots.add(c).map_err(|e| file_err(what, path, e))?;
    }
    Ok(roots)
}

/// Java falls back to the JDK's trust store; here the system bundle (`SSL_CERT_FILE`, else
/// Debian's or Red Hat's path).
fn system_roots() -> Result<RootCertStore, TlsError> {
    let candidates = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
            ]
            .map(PathBuf::from),
        );
    for p in candidates {
        if p.is_file() {
            let mut roots = RootCertStore::empty();
            let certs = load_certs("system trust store", &p)?;
            roots.add_parsable_certificates(certs);
            return Ok(roots);
        }
    }
    Err(TlsError::Config(
        "no trust file given and no system trust store found (set the trustCertPath)".into(),
    ))
}

/// A self-signed certificate and key for `host` (test mode).
fn self_signed(
    host: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let key = rcgen::KeyPair::generate().map_err(|e| TlsError::Config(e.to_string()))?;
    let cert = rcgen::CertificateParams::new(vec![host.to_owned()])
        .and_then(|p| p.self_signed(&key))
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let key =
        PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| TlsError::Config(e.into()))?;
    Ok((vec![cert.der().clone()], key))
}

/// The files [`generate_pki`] writes.
#[derive(Debug, Clone)]
pub struct PkiFiles {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// A CA and a server and a client certificate it signed, as PEM files in `dir` (`ca.pem`,
/// `server.pem` / `server.key` valid for `hosts`, `client.pem` / `client.key`): what the tests
/// and `rocklet tls gen` use. Keys are unencrypted PKCS#8 (ECDSA P-256), which Java reads too.
pub fn generate_pki(dir: &Path, hosts: &[String]) -> Result<PkiFiles, TlsError> {
    let err = |e: rcgen::Error| TlsError::Config(format!("certificate generation: {e}"));
    std::fs::create_dir_all(dir).map_err(|e| file_err("certificate directory", dir, e))?;
    let ca_key = rcgen::KeyPair::generate().map_err(err)?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Rocklet test CA");
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let leaf = |name: &str,
                sans: Vec<String>,
                usage: rcgen::ExtendedKeyUsagePurpose|
     -> Result<(String, String), TlsError> {
        let key = rcgen::KeyPair::generate().map_err(err)?;
        let mut p = rcgen::CertificateParams::new(sans).map_err(err)?;
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p.extended_key_usages = vec![usage];
        let c = p.signed_by(&key, &ca_cert, &ca_key).map_err(err)?;
        Ok((c.pem(), key.serialize_pem()))
    };
    let (server_pem, server_key) = leaf(
        "rocklet-server",
        hosts.to_vec(),
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    let (client_pem, client_key) = leaf(
        "rocklet-client",
        vec!["rocklet-client".into()],
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    )?;
    let files = PkiFiles {
        ca_cert: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    };
    for (p, text) in [
        (&files.ca_cert, ca_cert.pem()),
        (&files.server_cert, server_pem),
        (&files.server_key, server_key),
        (&files.client_cert, client_pem),
        (&files.client_key, client_key),
    ] {
        std::fs::write(p, text).map_err(|e| file_err("certificate file", p, e))?;
    }
    Ok(files)
}

/// The handshake signature checks of the verifiers that accept any certificate: the peer must
/// still hold the key of the certificate it presents.
fn verify12(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls12_signature(
        message,
        cert,
        dss,
        &provider().signature_verification_algorithms,
    )
}

fn verify13(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls13_signature(
        message,
        cert,
        dss,
        &provider().signature_verification_algorithms,
    )
}

fn schemes() -> Vec<SignatureScheme> {
    provider()
        .signature_verification_algorithms
        .supported_schemes()
}

/// Java's `InsecureTrustManagerFactory` on the client: any server certificate (the handshake
/// signatures are still checked, so the peer holds the key it presents).
#[derive(Debug)]
struct AnyServerCert;

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify12(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify13(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        schemes()
    }
}

/// `tls.client.authServer=true`: the chain must lead to a trusted root; the name is not checked
/// (Java's handler has no peer host to check it against).
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `tls.server.authClient=false` with client auth asked for: any client certificate
/// (Java's `InsecureTrustManagerFactory` on the server).
#[derive(Debug)]
struct AnyClientCert {
    mandatory: bool,
}

impl ClientCertVerifier for AnyClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify12(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify13(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        schemes()
    }
}

/// `-Dkey=value` pairs into a map (the later one wins).
pub fn parse_defines<'a>(defs: impl IntoIterator<Item = &'a str>) -> HashMap<String, String> {
    defs.into_iter()
        .map(|d| match d.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), v.to_owned()),
            None => (d.trim().to_owned(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_parsing_rules() {
        assert_eq!(TlsMode::parse("enforcing"), TlsMode::Enforcing);
        assert_eq!(TlsMode::parse("Enforcing"), TlsMode::Permissive);
        assert_eq!(TlsMode::parse("disabled"), TlsMode::Disabled);
        assert_eq!(ClientAuth::parse("require"), ClientAuth::Require);
        assert_eq!(ClientAuth::parse("bogus"), ClientAuth::None);
        let s = TlsSettings::from_properties([
            ("tls.server.mode", "enforcing"),
            ("tls.enable", "TRUE"),
            ("tls.test.mode.enable", "false"),
            ("tls.config.file", "/nonexistent/tls.properties"),
            ("unrelated", "x"),
        ])
        .unwrap();
        assert_eq!(s.server_mode, TlsMode::Enforcing);
        assert!(s.enable && !s.test_mode_enable);
    }

    #[test]
    fn the_config_file_overrides_all_but_mode_and_enable() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tls.properties");
        std::fs::write(
            &f,
            "tls.test.mode.enable=false\ntls.server.mode=disabled\ntls.enable=true\n\
             tls.client.authServer=true\ntls.client.trustCertPath=/x/ca.pem\n",
        )
        .unwrap();
        let s = TlsSettings::from_properties([
            ("tls.config.file", f.to_str().unwrap()),
            ("tls.test.mode.enable", "true"),
        ])
        .unwrap();
        assert!(!s.test_mode_enable);
        assert_eq!(s.server_mode, TlsMode::Permissive);
        assert!(!s.enable);
        assert!(s.client_auth_server);
        assert_eq!(s.client_trust_cert_path, Some(PathBuf::from("/x/ca.pem")));
    }

    #[test]
    fn missing_files_and_encrypted_keys_are_clear_errors() {
        let s = TlsSettings {
            test_mode_enable: false,
            server_cert_path: Some("/nonexistent/server.pem".into()),
            server_key_path: Some("/nonexistent/server.key".into()),
            ..Default::default()
        };
        let e = s.server_tls().unwrap_err().to_string();
        assert!(
            e.contains("tls.server.certPath") && e.contains("/nonexistent/server.pem"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let pki = generate_pki(dir.path(), &["127.0.0.1".into()]).unwrap();
        let s = TlsSettings {
            server_cert_path: Some(pki.server_cert),
            server_key_path: Some(pki.server_key),
            server_key_password: Some("secret".into()),
            ..s
        };
        let e = s.server_tls().unwrap_err().to_string();
        assert!(e.contains("encrypted private keys"), "{e}");
        let s = TlsSettings {
            test_mode_enable: false,
            ..Default::default()
        };
        assert!(s.server_tls().is_err());
    }
}
