//! One framed connection: a reader loop and a writer task that coalesces queued frames into one
//! write. Shared by client and server.
//!
//! On the server, every frame queued for a connection is charged to its [`WriteBudget`] in
//! bytes: senders wait while the queue holds `high` bytes, and the connection's reader stops
//! reading requests once a sender had to wait, until the writer has drained the queue to `low`
//! bytes (a client that does not read its responses gets no more requests served).

use bytes::{Bytes, BytesMut};
use rocklet_protocol::{ProtocolError, RemotingCommand};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Notify, Semaphore};

/// Frames waiting to be written per connection before senders wait (backpressure).
pub const WRITE_QUEUE_FRAMES: usize = 4096;

/// Default byte bound of a server connection's write queue (`writeBufferHighWaterMark`; Java
/// 4.9.3 leaves Netty's writability marks at 0, i.e. Netty's own, and never bounds the queue).
pub const DEFAULT_WRITE_HIGH_WATER_MARK: usize = 16 * 1024 * 1024;
/// Default `writeBufferLowWaterMark`: reading resumes once the queue is drained to this.
pub const DEFAULT_WRITE_LOW_WATER_MARK: usize = 4 * 1024 * 1024;

/// Read-buffer growth step: an idle connection holds at most about this much.
const READ_CHUNK: usize = 8 * 1024;
/// A read or write buffer grown past this by a large frame is released once empty.
const KEEP_BUFFER: usize = 64 * 1024;

/// Byte accounting of one server connection's write queue, shared by its senders, its writer
/// and its reader.
#[derive(Debug)]
pub struct WriteBudget {
    /// One permit per queued byte (a frame larger than `high` takes `high`).
    sem: Semaphore,
    high: usize,
    low: usize,
    queued: AtomicUsize,
    /// A sender had to wait since the queue was last drained to `low`.
    over: AtomicBool,
    drained: Notify,
    /// Milliseconds since `epoch` of the last frame read or written (idle timeout).
    last_io: AtomicU64,
    epoch: Instant,
}

impl WriteBudget {
    /// A budget of `high` bytes; reading resumes below `low` (clamped to `high`).
    pub fn new(high: usize, low: usize) -> Self {
        let high = high.clamp(1, Semaphore::MAX_PERMITS);
        WriteBudget {
            sem: Semaphore::new(high),
            high,
            low: low.min(high),
            queued: AtomicUsize::new(0),
            over: AtomicBool::new(false),
            drained: Notify::new(),
            last_io: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
    /// The high mark.
    pub fn high(&self) -> usize {
        self.high
    }
    fn charge_of(&self, len: usize) -> u32 {
        len.clamp(1, self.high).min(u32::MAX as usize) as u32
    }
    /// Take room for `len` bytes, waiting while the queue is full; false once the writer is
    /// gone.
    pub(crate) async fn acquire(&self, len: usize) -> bool {
        let n = self.charge_of(len);
        let permit = match self.sem.try_acquire_many(n) {
            Ok(p) => p,
            Err(tokio::sync::TryAcquireError::Closed) => return false,
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                self.over.store(true, Ordering::Release);
                match self.sem.acquire_many(n).await {
                    Ok(p) => p,
                    Err(_) => return false,
                }
            }
        };
        permit.forget();
        self.queued.fetch_add(len, Ordering::Relaxed);
        true
    }
    /// Take room for `len` bytes without waiting.
    pub(crate) fn try_acquire(&self, len: usize) -> bool {
        match self.sem.try_acquire_many(self.charge_of(len)) {
            Ok(p) => {
                p.forget();
                self.queued.fetch_add(len, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.over.store(true, Ordering::Release);
                false
            }
        }
    }
    /// The frame channel was full: treat it as a full queue.
    pub(crate) fn note_full(&self) {
        self.over.store(true, Ordering::Release);
    }
    /// Give back the room of a frame that was written (or never queued).
    pub(crate) fn release(&self, len: usize) {
        self.sem.add_permits(self.charge_of(len) as usize);
        let left = self.queued.fetch_sub(len, Ordering::Relaxed) - len;
        if left <= self.low && self.over.swap(false, Ordering::AcqRel) {
            self.drained.notify_waiters();
        }
    }
    /// The writer is gone: wake every waiting sender (they fail) and the reader.
    fn close(&self) {
        self.sem.close();
        self.over.store(false, Ordering::Release);
        self.drained.notify_waiters();
    }
    /// True while the reader must not read (a sender waited and the queue is above `low`).
    pub fn is_over(&self) -> bool {
        self.over.load(Ordering::Acquire)
    }
    /// Resolves once the reader may read again.
    pub async fn wait_drained(&self) {
        loop {
            let n = self.drained.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if !self.is_over() {
                return;
            }
            n.await;
        }
    }
    /// Record that a frame was read or written now.
    pub fn touch(&self) {
        self.last_io
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
    /// When the last frame was read or written.
    pub fn last_io(&self) -> Instant {
        self.epoch + std::time::Duration::from_millis(self.last_io.load(Ordering::Relaxed))
    }
}

/// Spawn the writer task: drains every queued frame and writes them with one `write_all`.
pub fn spawn_writer<W: AsyncWrite + Unpin + Send + 'static>(w: W) -> mpsc::Sender<Bytes> {
    spawn_writer_with(w, None)
}

/// [`spawn_writer`] for a server connection: each written frame gives its bytes back to
/// `budget`, and the budget is closed when the writer ends.
pub fn spawn_writer_with<W: AsyncWrite + Unpin + Send + 'static>(
    mut w: W,
    budget: Option<Arc<WriteBudget>>,
) -> mpsc::Sender<Bytes> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(WRITE_QUEUE_FRAMES);
    tokio::spawn(async move {
        let release = |len: usize| {
            if let Some(b) = &budget {
                b.release(len);
            }
        };
        // The frames of one write, written with vectored writes: a pull answer of 32 x 1 KiB
        // messages used to be copied once more into one buffer (a tenth of the broker's time
        // serving pulls).
        let mut batch: Vec<Bytes> = Vec::new();
        while let Some(first) = rx.recv().await {
            // Fast path: a lone frame is written as is, without a copy.
            let mut batch_len = 0;
            let mut next = rx.try_recv();
            if next.is_err() {
                // Let tasks that are ready now (responses of the same read, waiters of the same
                // group commit) queue theirs first: one write, one wake-up of the peer.
                tokio::task::yield_now().await;
                next = rx.try_recv();
            }
            let mut charged = first.len();
            match next {
                Err(_) => {
                    let ok = w.write_all(&first).await.is_ok();
                    drop(first);
                    release(charged);
                    if !ok {
                        break;
                    }
                    if let Some(b) = &budget {
                        b.touch();
                    }
                    continue;
                }
                Ok(second) => {
                    charged += second.len();
                    batch.push(first);
                    batch.push(second);
                    batch_len += 2;
                }
            }
            while batch_len < 1024 && charged < 1024 * 1024 {
                match rx.try_recv() {
                    Ok(f) => {
                        charged += f.len();
                        batch.push(f);
                        batch_len += 1;
                    }
                    Err(_) => break,
                }
            }
            let ok = write_all_parts(&mut w, &batch).await.is_ok();
            batch.clear();
            release(charged);
            if !ok {
                break;
            }
            if let Some(b) = &budget {
                b.touch();
            }
        }
        if let Some(b) = &budget {
            b.close();
        }
        rx.close();
        let _ = w.shutdown().await;
    });
    tx
}

/// Write `parts` in order with vectored writes (at most [`MAX_IOV`] slices a call).
async fn write_all_parts<W: AsyncWrite + Unpin>(w: &mut W, parts: &[Bytes]) -> std::io::Result<()> {
    use std::io::IoSlice;
    let (mut i, mut off) = (0usize, 0usize);
    loop {
        while i < parts.len() && parts[i].len() == off {
            (i, off) = (i + 1, 0);
        }
        if i == parts.len() {
            return Ok(());
        }
        let mut iov = [IoSlice::new(&[]); MAX_IOV];
        let mut n_iov = 0;
        for (slot, p) in iov.iter_mut().zip(&parts[i..]) {
            *slot = IoSlice::new(if n_iov == 0 { &p[off..] } else { p });
            n_iov += 1;
        }
        let mut n = w.write_vectored(&iov[..n_iov]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 && i < parts.len() {
            let rest = parts[i].len() - off;
            if n >= rest {
                (n, i, off) = (n - rest, i + 1, 0);
            } else {
                (off, n) = (off + n, 0);
            }
        }
    }
}

/// Slices given to one vectored write (Linux takes up to 1024).
const MAX_IOV: usize = 64;

/// Reads frames from a stream.
pub struct FrameReader<R> {
    inner: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            buf: BytesMut::new(),
        }
    }

    /// The next command; `Ok(None)` on a clean end of stream.
    pub async fn next(&mut self) -> Result<Option<RemotingCommand>, ReadError> {
        loop {
            // The body of a decoded frame shares this buffer's memory (no copy). The frame
            // length the peer claims is checked against 16 MiB by the decoder, and memory only
            // grows as bytes actually arrive.
            if let Some(cmd) = RemotingCommand::decode_from(&mut self.buf)? {
                if self.buf.is_empty() && self.buf.capacity() > KEEP_BUFFER {
                    // A large frame grew the buffer: do not keep it for an idle connection.
                    self.buf = BytesMut::new();
                }
                return Ok(Some(cmd));
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(read_ahead(&self.buf));
            }
            let n = self
                .inner
                .read_buf(&mut self.buf)
                .await
                .map_err(ReadError::Io)?;
            if n == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(ReadError::Io(std::io::ErrorKind::UnexpectedEof.into()))
                };
            }
        }
    }
}

/// How much room to make for the next read: the rest of the frame being received, up to
/// [`KEEP_BUFFER`] on the peer's word and beyond that no more than has arrived so far (at
/// least [`READ_CHUNK`]). A frame of a pull answer (32 x 1 KiB) then takes one allocation
/// instead of one per 8 KiB, each of which copied the part already received (it was copied
/// twice over); a peer that claims 16 MiB and sends nothing gets 64 KiB, what an idle
/// connection may keep anyway.
fn read_ahead(buf: &BytesMut) -> usize {
    let rest = match buf.get(..4) {
        Some(w) => {
            (u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as usize + 4).saturating_sub(buf.len())
        }
        None => 0,
    };
    rest.min(buf.len().max(KEEP_BUFFER)).max(READ_CHUNK)
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Takes at most `step` bytes a call, from up to two slices of a vectored write.
    struct Trickle {
        got: Vec<u8>,
        step: usize,
    }
    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            b: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let n = b.len().min(self.step);
            self.got.extend_from_slice(&b[..n]);
            std::task::Poll::Ready(Ok(n))
        }
        fn poll_write_vectored(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let mut n = 0;
            for b in bufs.iter().take(2) {
                let k = b.len().min(self.step - n);
                self.got.extend_from_slice(&b[..k]);
                n += k;
                if k < b.len() {
                    break;
                }
            }
            std::task::Poll::Ready(Ok(n))
        }
        fn is_write_vectored(&self) -> bool {
            true
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn read_ahead_grows_with_what_arrived() {
        let mut b = BytesMut::new();
        assert_eq!(read_ahead(&b), READ_CHUNK);
        b.extend_from_slice(&(16u32 << 20).to_be_bytes());
        assert_eq!(read_ahead(&b), KEEP_BUFFER, "a claim alone buys 64 KiB");
        b.extend_from_slice(&vec![0; 100_000]);
        assert_eq!(read_ahead(&b), 100_004, "then what arrived");
        let mut b = BytesMut::new();
        b.extend_from_slice(&40_000u32.to_be_bytes());
        b.extend_from_slice(&vec![0; 30_000]);
        assert_eq!(read_ahead(&b), 10_000, "the rest of the frame");
    }

    /// Frames of every size, written in odd-sized pieces, come out whole and in order (the
    /// buffer grows by `read_ahead` and keeps a frame's first bytes when it does).
    #[tokio::test]
    async fn the_reader_returns_every_frame_whatever_the_pieces() {
        let sizes = [0usize, 10, 20_000, 5, 70_000, 16 * 1024, 3, 200_000, 1];
        let frames: Vec<RemotingCommand> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let c = RemotingCommand::request_bare(i as i32).with_opaque(i as i32);
                if *n > 0 {
                    c.with_body(vec![i as u8; *n])
                } else {
                    c
                }
            })
            .collect();
        let mut wire = Vec::new();
        for f in &frames {
            wire.extend_from_slice(&f.encode_to_bytes());
        }
        for piece in [1_000usize, 4_099, 65_537] {
            let (mut w, r) = tokio::io::duplex(256 * 1024);
            let mut reader = FrameReader::new(r);
            let data = wire.clone();
            let writer = tokio::spawn(async move {
                for chunk in data.chunks(piece) {
                    w.write_all(chunk).await.unwrap();
                }
            });
            for (i, want) in frames.iter().enumerate() {
                let got = reader.next().await.unwrap().expect("a frame");
                assert_eq!(got.opaque, i as i32, "piece {piece}");
                assert_eq!(got.body_bytes(), want.body_bytes());
            }
            writer.await.unwrap();
            assert!(reader.next().await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn vectored_writes_keep_every_byte_in_order_across_partial_writes() {
        let parts: Vec<Bytes> = (0..150u32)
            .map(|i| Bytes::from(vec![i as u8; (i % 7) as usize]))
            .collect();
        let want: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
        for step in [1, 3, 5, 64, 10_000] {
            let mut w = Trickle {
                got: Vec::new(),
                step,
            };
            write_all_parts(&mut w, &parts).await.unwrap();
            assert_eq!(w.got, want, "step {step}");
        }
    }

    #[tokio::test]
    async fn budget_bounds_bytes_and_resumes_below_the_low_mark() {
        let b = Arc::new(WriteBudget::new(1000, 200));
        assert!(b.acquire(600).await);
        assert!(b.try_acquire(300));
        assert_eq!(b.queued(), 900);
        assert!(!b.is_over());
        // No room for 200 more: the sender waits and the reader must stop.
        let b2 = b.clone();
        let waiter = tokio::spawn(async move { b2.acquire(200).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        assert!(b.is_over());
        // Writing 600 lets the waiter in; reading stays stopped above the low mark.
        b.release(600);
        assert!(waiter.await.unwrap());
        assert_eq!(b.queued(), 500);
        assert!(b.is_over());
        // Drained to the low mark: reading resumes, and a waiting reader is woken.
        let b3 = b.clone();
        let reader = tokio::spawn(async move { b3.wait_drained().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!reader.is_finished());
        b.release(300);
        assert_eq!(b.queued(), 200);
        assert!(!b.is_over());
        tokio::time::timeout(Duration::from_secs(1), reader)
            .await
            .expect("reader woken")
            .unwrap();
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_mark_goes_alone_and_close_fails_waiters() {
        let b = Arc::new(WriteBudget::new(1000, 200));
        assert!(b.acquire(5000).await);
        assert_eq!(b.queued(), 5000);
        let b2 = b.clone();
        let waiter = tokio::spawn(async move { b2.acquire(10).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        b.close();
        assert!(!waiter.await.unwrap());
        assert!(!b.is_over());
    }
}
