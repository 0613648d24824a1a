//! One framed connection: a reader loop and a writer task that coalesces queued frames into one
//! write. Shared by client and server.

use bytes::{Bytes, BytesMut};
use rocklet_protocol::{ProtocolError, RemotingCommand};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Frames waiting to be written per connection before senders wait (backpressure).
pub const WRITE_QUEUE_FRAMES: usize = 4096;

/// Spawn the writer task: drains every queued frame and writes them with one `write_all`.
pub fn spawn_writer<W: AsyncWrite + Unpin + Send + 'static>(mut w: W) -> mpsc::Sender<Bytes> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(WRITE_QUEUE_FRAMES);
    tokio::spawn(async move {
        let mut buf = BytesMut::with_capacity(64 * 1024);
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
            match next {
                Err(_) => {
                    if w.write_all(&first).await.is_err() {
                        break;
                    }
                    continue;
                }
                Ok(second) => {
                    buf.clear();
                    buf.extend_from_slice(&first);
                    buf.extend_from_slice(&second);
                    batch_len += 2;
                }
            }
            while batch_len < 1024 && buf.len() < 1024 * 1024 {
                match rx.try_recv() {
                    Ok(f) => {
                        buf.extend_from_slice(&f);
                        batch_len += 1;
                    }
                    Err(_) => break,
                }
            }
            if w.write_all(&buf).await.is_err() {
                break;
            }
        }
        let _ = w.shutdown().await;
    });
    tx
}

/// Reads frames from a stream.
pub struct FrameReader<R> {
    inner: R,
    buf: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            buf: BytesMut::with_capacity(64 * 1024),
        }
    }

    /// The next command; `Ok(None)` on a clean end of stream.
    pub async fn next(&mut self) -> Result<Option<RemotingCommand>, ReadError> {
        loop {
            // The body of a decoded frame shares this buffer's memory (no copy). The frame
            // length the peer claims is checked against 16 MiB by the decoder, and memory only
            // grows as bytes actually arrive.
            if let Some(cmd) = RemotingCommand::decode_from(&mut self.buf)? {
                return Ok(Some(cmd));
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(64 * 1024);
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

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}
