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

use crate::conn::{
    spawn_writer_with, FrameReader, ReadError, WriteBudget, DEFAULT_WRITE_HIGH_WATER_MARK,
    DEFAULT_WRITE_LOW_WATER_MARK,
};

/// What a connection handler may do besides returning a response: answer later (long polling,
/// group commit) or push requests to the client.
#[derive(Clone)]
pub struct ConnCtx {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    tx: mpsc::Sender<Bytes>,
    /// Bytes queued for this connection's writer (bounded; see [`WriteBudget`]).
    budget: Arc<WriteBudget>,
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

    /// Queue a command for this connection, waiting while its write queue is full (see
    /// [`WriteBudget`]). Returns false when the connection is gone.
    pub async fn send(&self, cmd: &RemotingCommand) -> bool {
        self.send_frame(cmd.encode_to_bytes()).await
    }
    async fn send_frame(&self, frame: Bytes) -> bool {
        let len = frame.len();
        if !self.budget.acquire(len).await {
            return false;
        }
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(frame)) => {
                self.budget.note_full();
                if self.tx.send(frame).await.is_ok() {
                    true
                } else {
                    self.budget.release(len);
                    false
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.budget.release(len);
                false
            }
        }
    }
    /// Bytes queued for this connection and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.budget.queued()
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
        budget: Arc<WriteBudget>,
    ) -> (Self, watch::Sender<()>) {
        let (open_tx, open) = watch::channel(());
        let ctx = ConnCtx {
            peer,
            local,
            tx,
            budget,
            open,
            _test_open: None,
            state: Arc::new(OnceLock::new()),
            pending: Default::default(),
        };
        (ctx, open_tx)
    }
    /// A context not bound to a socket, for unit tests of processors (it never reports closed).
    pub fn for_test(tx: mpsc::Sender<Bytes>) -> Self {
        // Nothing writes this channel's frames back to the budget: make it large enough.
        let budget = Arc::new(WriteBudget::new(usize::MAX, usize::MAX));
        let (mut ctx, open_tx) = Self::new(
            ([127, 0, 0, 1], 1).into(),
            ([127, 0, 0, 1], 2).into(),
            tx,
            budget,
        );
        ctx._test_open = Some(Arc::new(open_tx));
        ctx
    }
    /// A handle to this connection's writer, for pushing frames without waiting.
    pub fn sender(&self) -> FrameSender {
        FrameSender {
            tx: self.tx.clone(),
            budget: self.budget.clone(),
        }
    }
}

/// Pushes frames to one connection without waiting (server-initiated requests).
#[derive(Clone)]
pub struct FrameSender {
    tx: mpsc::Sender<Bytes>,
    budget: Arc<WriteBudget>,
}

impl FrameSender {
    /// Queue a frame; false (the frame dropped) when the connection's write queue is full or
    /// the connection is gone.
    pub fn try_send(&self, frame: Bytes) -> bool {
        let len = frame.len();
        if !self.budget.try_acquire(len) {
            return false;
        }
        if self.tx.try_send(frame).is_err() {
            self.budget.release(len);
            return false;
        }
        true
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
    /// `writeBufferHighWaterMark`: bytes queued per connection before senders wait and the
    /// connection's requests stop being read.
    pub write_buffer_high_water_mark: usize,
    /// `writeBufferLowWaterMark`: reading resumes once the queue is drained to this.
    pub write_buffer_low_water_mark: usize,
    /// `serverChannelMaxIdleTimeSeconds` (Java 120 s): a connection with nothing read or
    /// written for this long is closed. Zero: never.
    pub channel_max_idle: Duration,
    /// Live connections and their queued bytes, for gauges and tests.
    pub stats: Arc<ServerStats>,
    /// TLS (`tls.server.mode`): `None` serves plain connections without looking at them.
    pub tls: Option<crate::tls::ServerTls>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 10_000,
            write_buffer_high_water_mark: DEFAULT_WRITE_HIGH_WATER_MARK,
            write_buffer_low_water_mark: DEFAULT_WRITE_LOW_WATER_MARK,
            channel_max_idle: Duration::from_secs(120),
            stats: Default::default(),
            tls: None,
        }
    }
}

/// The live connections of a server (their write queues), read on demand so the data path
/// pays nothing for it.
#[derive(Debug, Default)]
pub struct ServerStats {
    conns: parking_lot::Mutex<HashMap<u64, Arc<WriteBudget>>>,
    next: std::sync::atomic::AtomicU64,
    idle_closed: std::sync::atomic::AtomicU64,
}

impl ServerStats {
    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.conns.lock().len()
    }
    /// Bytes queued for writing over every connection.
    pub fn queued_bytes(&self) -> usize {
        self.conns.lock().values().map(|b| b.queued()).sum()
    }
    /// The largest write queue of one connection, bytes.
    pub fn max_queued_bytes(&self) -> usize {
        self.conns
            .lock()
            .values()
            .map(|b| b.queued())
            .max()
            .unwrap_or(0)
    }
    /// Connections closed for being idle.
    pub fn idle_closed(&self) -> u64 {
        self.idle_closed.load(Ordering::Relaxed)
    }
    fn add(&self, b: Arc<WriteBudget>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns.lock().insert(id, b);
        id
    }
    fn remove(&self, id: u64) {
        self.conns.lock().remove(&id);
    }
}

/// Removes a connection from the server's stats when its handler ends.
struct StatsGuard(Arc<ServerStats>, u64);

impl Drop for StatsGuard {
    fn drop(&mut self) {
        self.0.remove(self.1);
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
        let high = config.write_buffer_high_water_mark;
        let low = config.write_buffer_low_water_mark;
        let idle = config.channel_max_idle;
        let stats = config.stats.clone();
        let tls = config.tls.clone();
        conns.spawn(async move {
            let _permit = permit;
            // Counted from the accept on, before the first byte (a silent peer is a connection).
            let budget = Arc::new(WriteBudget::new(high, low));
            budget.touch();
            let _stats = StatsGuard(stats.clone(), stats.add(budget.clone()));
            let (r, w): (BoxRead, BoxWrite) = match tls {
                None => {
                    let (r, w) = stream.into_split();
                    (Box::new(r), Box::new(w))
                }
                Some(tls) => {
                    // The first byte tells TLS from plain (Java's HandshakeHandler); a peer that
                    // sends nothing is dropped after the idle time, a handshake after 10 s.
                    let wait = if idle.is_zero() { Duration::from_secs(3600) } else { idle };
                    let first = tokio::select! {
                        f = tokio::time::timeout(wait, crate::tls::peek_first(&stream)) => match f {
                            Ok(f) => f,
                            Err(_) => {
                                stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                                tracing::info!(%peer, idle_secs = wait.as_secs_f64(), "closing idle connection (nothing sent)");
                                None
                            }
                        },
                        _ = sd.changed() => None,
                    };
                    let Some(first) = first else { return };
                    let accepted = tokio::select! {
                        a = tls.accept_after(stream, peer, first) => a,
                        _ = sd.changed() => None,
                    };
                    match accepted {
                        None => return,
                        Some(crate::tls::Accepted::Plain(s)) => {
                            let (r, w) = s.into_split();
                            (Box::new(r), Box::new(w))
                        }
                        Some(crate::tls::Accepted::Tls(s)) => {
                            let (r, w) = tokio::io::split(*s);
                            (Box::new(r), Box::new(w))
                        }
                    }
                }
            };
            budget.touch();
            let tx = spawn_writer_with(w, Some(budget.clone()));
            let (ctx, _open) = ConnCtx::new(peer, local, tx, budget.clone());
            let mut reader = FrameReader::new(r);
            loop {
                // Backpressure: a sender waited for room in this connection's write queue;
                // read no more requests until the writer has drained it to the low mark.
                if budget.is_over() {
                    tokio::select! {
                        _ = budget.wait_drained() => {}
                        _ = sd.changed() => break,
                        _ = idle_sleep(&budget, idle) => {
                            if is_idle(&budget, idle) {
                                stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                                tracing::info!(%peer, "closing idle connection (write queue not drained)");
                                break;
                            }
                        }
                    }
                    continue;
                }
                let next = tokio::select! {
                    n = reader.next() => n,
                    _ = sd.changed() => break,
                    _ = idle_sleep(&budget, idle) => {
                        if is_idle(&budget, idle) {
                            stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                            tracing::info!(%peer, idle_secs = idle.as_secs_f64(), "closing idle connection");
                            break;
                        }
                        continue;
                    }
                };
                budget.touch();
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
                            if !oneway {
                                // Waits while the write queue is full; a peer that reads
                                // nothing for the idle time is dropped.
                                let send = ctx.send(&resp);
                                tokio::pin!(send);
                                let sent = loop {
                                    tokio::select! {
                                        s = &mut send => break s,
                                        _ = sd.changed() => break false,
                                        _ = idle_sleep(&budget, idle) => {
                                            if is_idle(&budget, idle) {
                                                stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                                                tracing::info!(%peer, "closing connection: nothing written for the idle time");
                                                break false;
                                            }
                                        }
                                    }
                                };
                                if !sent {
                                    break;
                                }
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

/// A connection's halves, plain or TLS. One virtual call per read or write of a buffer (not
/// per frame) is what a single connection loop for both costs.
type BoxRead = Box<dyn tokio::io::AsyncRead + Send + Unpin>;
type BoxWrite = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

/// Sleeps until the connection would have been idle for `idle` (forever when zero).
async fn idle_sleep(budget: &WriteBudget, idle: Duration) {
    if idle.is_zero() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep_until((budget.last_io() + idle).into()).await;
}

fn is_idle(budget: &WriteBudget, idle: Duration) -> bool {
    !idle.is_zero() && budget.last_io().elapsed() >= idle
}

/// A REQUEST_CODE_NOT_SUPPORTED response naming the code, with Java's remark.
pub fn not_supported(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(
        req,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        Some(format!(" request type {} not supported", req.code)),
    )
}
