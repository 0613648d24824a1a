//! SYNC_FLUSH acknowledgements (the role of Java's `GroupCommitService` requests).
//!
//! A send is appended in the connection's read loop, like any other request; its response then
//! waits in this connection's FIFO until the commit log is flushed past the message. One task
//! per connection watches the store's flushed offset, so a group-commit round wakes it once and
//! its responses leave in one write — instead of one task, channel and timer per message.
//! Appends of one connection happen in order, so the FIFO's end offsets only grow.

use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::MessageStore;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

struct Pending {
    /// Commit-log offset that must be flushed before `resp` may be sent.
    end: i64,
    deadline: Instant,
    resp: RemotingCommand,
}

/// A connection's responses waiting for the group commit.
#[derive(Default)]
pub(crate) struct FlushReplies {
    queue: parking_lot::Mutex<VecDeque<Pending>>,
    added: Notify,
}

/// Queue `resp` until the commit log is flushed to `end`; after `timeout` it is sent as
/// FLUSH_DISK_TIMEOUT instead (Java `syncFlushTimeout`, the data stays written).
pub(crate) fn reply_after_flush(
    ctx: &ConnCtx,
    store: &Arc<MessageStore>,
    end: i64,
    timeout: Duration,
    resp: RemotingCommand,
) {
    let mut spawned = false;
    let Some(replies) = ctx.state(|| {
        spawned = true;
        FlushReplies::default()
    }) else {
        // The connection's state slot holds another type: not possible in the broker, which
        // stores only this; answer without waiting rather than never.
        tracing::error!("connection state is not FlushReplies; answering before the flush");
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.send(&resp).await });
        return;
    };
    if spawned {
        tokio::spawn(run(replies.clone(), ctx.clone(), store.clone()));
    }
    replies.queue.lock().push_back(Pending {
        end,
        deadline: Instant::now() + timeout,
        resp,
    });
    replies.added.notify_one();
}

async fn run(replies: Arc<FlushReplies>, ctx: ConnCtx, store: Arc<MessageStore>) {
    let mut flushed = store.subscribe_flushed();
    let closed = ctx.closed();
    tokio::pin!(closed);
    loop {
        let front = replies.queue.lock().front().map(|p| (p.end, p.deadline));
        let Some((end, deadline)) = front else {
            tokio::select! {
                _ = replies.added.notified() => continue,
                _ = &mut closed => return,
            }
        };
        tokio::select! {
            r = flushed.wait_for(|f| *f >= end) => {
                if r.is_err() {
                    return; // the store is gone (broker shutting down)
                }
            }
            _ = tokio::time::sleep_until(deadline) => {}
            _ = &mut closed => return,
        }
        let f = *flushed.borrow();
        let now = Instant::now();
        let due: Vec<Pending> = {
            let mut q = replies.queue.lock();
            let n = q
                .iter()
                .take_while(|p| p.end <= f || p.deadline <= now)
                .count();
            q.drain(..n).collect()
        };
        for mut p in due {
            if p.end > f {
                p.resp.code = ResponseCode::FLUSH_DISK_TIMEOUT.as_i32();
                p.resp.remark = Some("flush disk timeout".to_owned());
            }
            if !ctx.send(&p.resp).await {
                return;
            }
        }
    }
}
