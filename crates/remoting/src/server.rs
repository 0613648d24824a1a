//! Server side: accept loop, per-connection frame loop, graceful shutdown (the role of Java's
//! `NettyRemotingServer`, shaped like mini-redis `server.rs`).

use bytes::Bytes;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::task::JoinSet;

use crate::conn::{spawn_writer, FrameReader, ReadError};

/// What a connection handler may do besides returning a response: answer later (long polling,
/// group commit) or push requests to the client.
#[derive(Clone)]
pub struct ConnCtx {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    tx: mpsc::Sender<Bytes>,
    /// Its sender is dropped by the server when the connection's read loop ends.
    open: watch::Receiver<()>,
    /// Test contexts hold their own sender, so they never report closed.
    _test_open: Option<Arc<watch::Sender<()>>>,
    state: Arc<OnceLock<Arc<dyn Any + Send + Sync>>>,
    /// Requests this server sent to the peer, waiting for its response (by opaque).
    pending: Arc<parking_lot::Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>>,
}

/// Opaques of server-initiated requests, apart from any the peer uses for its own.
static NEXT_SERVER_OPAQUE: AtomicI32 = AtomicI32::new(1);

/// Removes a request's waiter when the caller stops waiting (timeout or cancellation).
struct PendingGuard<'a> {
    ctx: &'a ConnCtx,
    opaque: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.ctx.pending.lock().remove(&self.opaque);
    }
}

impl ConnCtx {
    /// Send a request to the peer (a client that connected to this server) and wait for its
    /// response: how a broker asks a consumer for its running info or to consume a message
    /// directly. `None` when the connection is gone or the peer did not answer in `timeout`.
    ///
    /// # Cancellation
    /// Dropping the future forgets the request; a late response is then ignored.
    pub async fn invoke(
        &self,
        mut cmd: RemotingCommand,
        timeout: Duration,
    ) -> Option<RemotingCommand> {
        cmd.opaque = NEXT_SERVER_OPAQUE.fetch_add(1, Ordering::Relaxed) & i32::MAX;
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(cmd.opaque, tx);
        let _guard = PendingGuard {
            ctx: self,
            opaque: cmd.opaque,
        };
        if !self.send(&cmd).await {
            return None;
        }
        tokio::time::timeout(timeout, rx).await.ok()?.ok()
    }

    /// Hand a response from the peer to the request waiting for it; false when none is.
    fn complete(&self, resp: RemotingCommand) -> bool {
        match self.pending.lock().remove(&resp.opaque) {
            Some(tx) => tx.send(resp).is_ok(),
            None => false,
        }
    }

    /// Queue a command for this connection. Returns false when the connection is gone.
    pub async fn send(&self, cmd: &RemotingCommand) -> bool {
        self.tx.send(cmd.encode_to_bytes()).await.is_ok()
    }
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed() || self.open.has_changed().is_err()
    }
    /// Resolves when the connection has closed (its read loop ended), for tasks that answer
    /// later and must not outlive it.
    pub async fn closed(&self) {
        let mut open = self.open.clone();
        while open.changed().await.is_ok() {}
    }
    /// This connection's handler state: created by `init` on first use, shared by every clone
    /// of the context, dropped with the connection. One state type per connection: asking for
    /// a different type than the first returns `None`.
    pub fn state<T: Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Option<Arc<T>> {
        self.state
            .get_or_init(|| Arc::new(init()))
            .clone()
            .downcast::<T>()
            .ok()
    }
    fn new(
        peer: SocketAddr,
        local: SocketAddr,
        tx: mpsc::Sender<Bytes>,
    ) -> (Self, watch::Sender<()>) {
        let (open_tx, open) = watch::channel(());
        let ctx = ConnCtx {
            peer,
            local,
            tx,
            open,
            _test_open: None,
            state: Arc::new(OnceLock::new()),
            pending: Default::default(),
        };
        (ctx, open_tx)
    }
    /// A context not bound to a socket, for unit tests of processors (it never reports closed).
    pub fn for_test(tx: mpsc::Sender<Bytes>) -> Self {
        let (mut ctx, open_tx) =
            Self::new(([127, 0, 0, 1], 1).into(), ([127, 0, 0, 1], 2).into(), tx);
        ctx._test_open = Some(Arc::new(open_tx));
        ctx
    }
    /// A channel to this connection's writer, for pushing frames.
    pub fn sender(&self) -> mpsc::Sender<Bytes> {
        self.tx.clone()
    }
}

/// Handles requests; one implementation per server (name server, broker).
pub trait Processor: Send + Sync + 'static {
    /// Process one request. Return `Some(response)` to answer now, `None` for oneway requests or
    /// when the handler answers later through `ctx`.
    fn process(
        &self,
        ctx: &ConnCtx,
        req: RemotingCommand,
    ) -> impl Future<Output = Option<RemotingCommand>> + Send;

    /// Called once when a connection closes (to forget its clients).
    fn connection_closed(&self, _peer: SocketAddr) {}
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Most connections served at once (Java has no limit; this protects memory).
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 10_000,
        }
    }
}

/// Java's `serverSocketBacklog` default; `std`/tokio `bind` would use 128.
pub const LISTEN_BACKLOG: u32 = 1024;

/// Bind a listening socket as Java's Netty server does: address reuse, a backlog of 1024.
pub fn bind_listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serve `listener` until `shutdown` turns true, then wait for connection handlers to end.
pub async fn serve<P: Processor>(
    listener: TcpListener,
    processor: Arc<P>,
    config: ServerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let limit = Arc::new(Semaphore::new(config.max_connections));
    let mut conns = JoinSet::new();
    let local = listener.local_addr().ok();
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let processor = processor.clone();
        let mut sd = shutdown.clone();
        let local = stream
            .local_addr()
            .ok()
            .or(local)
            .unwrap_or_else(|| ([127, 0, 0, 1], 0).into());
        conns.spawn(async move {
            let _permit = permit;
            let (r, w) = stream.into_split();
            let tx = spawn_writer(w);
            let (ctx, _open) = ConnCtx::new(peer, local, tx);
            let mut reader = FrameReader::new(r);
            loop {
                let next = tokio::select! {
                    n = reader.next() => n,
                    _ = sd.changed() => break,
                };
                match next {
                    Ok(Some(cmd)) if cmd.is_response() => {
                        let opaque = cmd.opaque;
                        if !ctx.complete(cmd) {
                            // A oneway push's answer, or one that came after its timeout.
                            tracing::trace!(opaque, "response from client with no waiter");
                        }
                    }
                    Ok(Some(cmd)) => {
                        let oneway = cmd.is_oneway();
                        if let Some(resp) = processor.process(&ctx, cmd).await {
                            if !oneway && !ctx.send(&resp).await {
                                break;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(ReadError::Protocol(e)) => {
                        // A malformed frame closes this connection only.
                        tracing::warn!(%peer, error = %e, "malformed frame, closing connection");
                        break;
                    }
                    Err(ReadError::Io(e)) => {
                        tracing::debug!(%peer, error = %e, "connection read error");
                        break;
                    }
                }
            }
            processor.connection_closed(peer);
        });
        // Reap finished handlers so the set does not grow.
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

/// A REQUEST_CODE_NOT_SUPPORTED response naming the code, with Java's remark.
pub fn not_supported(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(
        req,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        Some(format!(" request type {} not supported", req.code)),
    )
}
