//! Client side of the remoting protocol (the role of Java's `NettyRemotingClient`).

use bytes::Bytes;
use parking_lot::Mutex;
use rocklet_protocol::{LanguageCode, RemotingCommand, SerializeType};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::conn::{spawn_writer, FrameReader, ReadError};
use crate::error::RemotingError;

/// Handles requests a server sends to the client (e.g. CHECK_TRANSACTION_STATE). It gets the
/// request and a sender for a reply frame.
pub type RequestHandler = Arc<dyn Fn(RemotingCommand, mpsc::Sender<Bytes>) + Send + Sync>;

/// A connection's halves, plain or TLS.
type BoxRead = Box<dyn tokio::io::AsyncRead + Send + Unpin>;
type BoxWrite = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(1);

fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed)
}

struct Connection {
    addr: String,
    tx: mpsc::Sender<Bytes>,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    closed: AtomicBool,
    reader_task: Mutex<Option<tokio::task::AbortHandle>>,
    /// Why the connection failed (a malformed frame), reported to the requests it ended.
    failure: Mutex<Option<RemotingError>>,
}

impl Connection {
    /// Record why the connection is failing, then close it: every pending request gets `e`.
    fn fail(&self, e: RemotingError) {
        *self.failure.lock() = Some(e);
        self.close();
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Some(h) = self.reader_task.lock().take() {
            h.abort();
        }
        // Dropping the senders wakes every waiter with "connection closed".
        self.pending.lock().clear();
    }
}

/// Removes a pending entry when the request future is dropped or times out.
struct PendingGuard<'a> {
    conn: &'a Connection,
    opaque: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.conn.pending.lock().remove(&self.opaque);
    }
}

#[derive(Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// Language code put in every request.
    pub language: LanguageCode,
    /// Header encoding of requests; servers answer in the same one. JSON is what Java clients
    /// send by default; the ROCKETMQ binary form is cheaper to write and parse.
    pub serialize_type: SerializeType,
    /// ACL credentials: when set, every request is signed as Java's `AclClientRPCHook` does.
    pub credentials: Option<rocklet_protocol::acl::SessionCredentials>,
    /// TLS on every connection (Java's `useTLS` / `tls.enable`).
    pub tls: Option<crate::tls::ClientTls>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(3),
            language: LanguageCode::OTHER,
            serialize_type: SerializeType::Json,
            credentials: None,
            tls: None,
        }
    }
}

struct Inner {
    opts: ClientOptions,
    conns: Mutex<HashMap<String, Arc<Connection>>>,
    connecting: tokio::sync::Mutex<()>,
    handler: Mutex<Option<RequestHandler>>,
}

impl Drop for Inner {
    /// The last clone of a client is gone: close its connections (each reader task holds its
    /// connection and would otherwise keep the socket open).
    fn drop(&mut self) {
        for c in self.conns.get_mut().values() {
            c.close();
        }
    }
}

/// A pool of connections keyed by `host:port`, cheap to clone.
#[derive(Clone)]
pub struct RemotingClient {
    inner: Arc<Inner>,
}

impl Default for RemotingClient {
    fn default() -> Self {
        Self::new(ClientOptions::default())
    }
}

impl RemotingClient {
    pub fn new(opts: ClientOptions) -> Self {
        RemotingClient {
            inner: Arc::new(Inner {
                opts,
                conns: Mutex::new(HashMap::new()),
                connecting: tokio::sync::Mutex::new(()),
                handler: Mutex::new(None),
            }),
        }
    }

    /// Install the handler for server-initiated requests.
    pub fn set_request_handler(&self, h: RequestHandler) {
        *self.inner.handler.lock() = Some(h);
    }

    async fn connection(&self, addr: &str) -> Result<Arc<Connection>, RemotingError> {
        if let Some(c) = self.inner.conns.lock().get(addr) {
            if !c.closed.load(Ordering::Acquire) {
                return Ok(c.clone());
            }
        }
        let _g = self.inner.connecting.lock().await;
        if let Some(c) = self.inner.conns.lock().get(addr) {
            if !c.closed.load(Ordering::Acquire) {
                return Ok(c.clone());
            }
        }
        let stream =
            match tokio::time::timeout(self.inner.opts.connect_timeout, TcpStream::connect(addr))
                .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Err(RemotingError::Connect {
                        addr: addr.to_owned(),
                        reason: e.to_string(),
                    })
                }
                Err(_) => {
                    return Err(RemotingError::Connect {
                        addr: addr.to_owned(),
                        reason: "connect timeout".into(),
                    })
                }
            };
        let _ = stream.set_nodelay(true);
        let (r, w): (BoxRead, BoxWrite) = match &self.inner.opts.tls {
            None => {
                let (r, w) = stream.into_split();
                (Box::new(r), Box::new(w))
            }
            Some(tls) => {
                let s = tls
                    .connect(addr, stream, self.inner.opts.connect_timeout)
                    .await
                    .map_err(|reason| RemotingError::Connect {
                        addr: addr.to_owned(),
                        reason,
                    })?;
                let (r, w) = tokio::io::split(s);
                (Box::new(r), Box::new(w))
            }
        };
        let tx = spawn_writer(w);
        let conn = Arc::new(Connection {
            addr: addr.to_owned(),
            tx: tx.clone(),
            pending: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            reader_task: Mutex::new(None),
            failure: Mutex::new(None),
        });
        self.inner
            .conns
            .lock()
            .insert(addr.to_owned(), conn.clone());
        let weak = Arc::downgrade(&self.inner);
        let c2 = conn.clone();
        let task = tokio::spawn(async move {
            let mut reader = FrameReader::new(r);
            loop {
                match reader.next().await {
                    Ok(Some(cmd)) if cmd.is_response() => {
                        let waiter = c2.pending.lock().remove(&cmd.opaque);
                        if let Some(w) = waiter {
                            let _ = w.send(cmd);
                        }
                    }
                    Ok(Some(cmd)) => {
                        let handler = weak.upgrade().and_then(|i| i.handler.lock().clone());
                        match handler {
                            Some(h) => h(cmd, tx.clone()),
                            None => tracing::debug!(
                                code = cmd.code,
                                "server request ignored: no handler"
                            ),
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(addr = %c2.addr, error = %e, "connection dropped");
                        if let ReadError::Protocol(source) = e {
                            c2.fail(RemotingError::Protocol {
                                addr: c2.addr.clone(),
                                source,
                            });
                        }
                        break;
                    }
                }
            }
            c2.close();
            if let Some(inner) = weak.upgrade() {
                let mut conns = inner.conns.lock();
                if conns.get(&c2.addr).is_some_and(|c| Arc::ptr_eq(c, &c2)) {
                    conns.remove(&c2.addr);
                }
            }
        });
        *conn.reader_task.lock() = Some(task.abort_handle());
        Ok(conn)
    }

    /// The connection to `addr`, opened if needed, before `deadline`.
    async fn connection_by(
        &self,
        addr: &str,
        deadline: tokio::time::Instant,
        timeout: Duration,
    ) -> Result<Arc<Connection>, RemotingError> {
        match tokio::time::timeout_at(deadline, self.connection(addr)).await {
            Ok(c) => c,
            Err(_) => Err(RemotingError::Timeout {
                addr: addr.to_owned(),
                timeout,
            }),
        }
    }

    /// Give a request its id and this client's language and header encoding.
    fn stamp(&self, cmd: &mut RemotingCommand) {
        cmd.opaque = next_opaque();
        cmd.language = self.inner.opts.language;
        cmd.serialize_type = self.inner.opts.serialize_type;
        if let Some(c) = &self.inner.opts.credentials {
            rocklet_protocol::acl::sign_request(cmd, c);
        }
    }

    /// Send a request and wait for its response, all within `timeout`.
    pub async fn invoke(
        &self,
        addr: &str,
        mut cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let conn = self.connection_by(addr, deadline, timeout).await?;
        self.stamp(&mut cmd);
        let (tx, rx) = oneshot::channel();
        conn.pending.lock().insert(cmd.opaque, tx);
        let _guard = PendingGuard {
            conn: &conn,
            opaque: cmd.opaque,
        };
        let frame = cmd.encode_to_bytes();
        match tokio::time::timeout_at(deadline, conn.tx.send(frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                conn.close();
                return Err(RemotingError::SendRequest {
                    addr: addr.to_owned(),
                    reason: "connection closed".into(),
                });
            }
            Err(_) => {
                return Err(RemotingError::Timeout {
                    addr: addr.to_owned(),
                    timeout,
                })
            }
        }
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(_)) => Err(conn.failure.lock().clone().unwrap_or_else(|| {
                RemotingError::ConnectionClosed {
                    addr: addr.to_owned(),
                }
            })),
            Err(_) => Err(RemotingError::Timeout {
                addr: addr.to_owned(),
                timeout,
            }),
        }
    }

    /// Send a request flagged oneway; returns once it is queued for writing.
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        mut cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<(), RemotingError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let conn = self.connection_by(addr, deadline, timeout).await?;
        self.stamp(&mut cmd);
        cmd.mark_oneway();
        match tokio::time::timeout(timeout, conn.tx.send(cmd.encode_to_bytes())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(RemotingError::SendRequest {
                addr: addr.to_owned(),
                reason: "connection closed".into(),
            }),
            Err(_) => Err(RemotingError::TooMuchRequest(format!(
                "write queue to {addr} full for {timeout:?}"
            ))),
        }
    }

    /// Requests waiting for a response, over every connection (for tests and diagnostics).
    pub fn pending_requests(&self) -> usize {
        self.inner
            .conns
            .lock()
            .values()
            .map(|c| c.pending.lock().len())
            .sum()
    }

    /// Close the connection to `addr` (pending requests fail with ConnectionClosed).
    pub fn close_connection(&self, addr: &str) {
        if let Some(c) = self.inner.conns.lock().remove(addr) {
            c.close();
        }
    }

    /// Close every connection.
    pub fn shutdown(&self) {
        let conns: Vec<_> = self.inner.conns.lock().drain().map(|(_, c)| c).collect();
        for c in conns {
            c.close();
        }
    }

    /// Addresses with an open connection.
    pub fn connected_addrs(&self) -> Vec<String> {
        self.inner.conns.lock().keys().cloned().collect()
    }
}
