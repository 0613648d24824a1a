//! Long polling: suspended pulls held per (topic, queue), the role of Java's
//! `PullRequestHoldService` and `NotifyMessageArrivingListener`.
//!
//! A pull that finds nothing is held here, not in a task of its own. A put tells the service of
//! the queue it reached (the store's arrival listener) and only the pulls held on that queue
//! whose offset is now behind the queue's end are woken. A held pull is also woken when its
//! wait ends. Woken pulls are run again without suspension by the broker's hold task. Held
//! pulls are capped per connection and in total: over a cap the pull is answered at once.

use parking_lot::Mutex;
use rocklet_protocol::RemotingCommand;
use rocklet_remoting::ConnCtx;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

/// Default `maxHeldPullsPerConnection`.
pub const DEFAULT_MAX_HELD_PER_CONNECTION: usize = 4096;
/// Default `maxHeldPulls` (whole broker).
pub const DEFAULT_MAX_HELD_TOTAL: usize = 65_536;

/// A pull waiting for messages.
pub(crate) struct Held {
    id: u64,
    deadline: Instant,
    /// The queue offset it asked for: woken once the queue's max offset is past it.
    offset: i64,
    pub ctx: ConnCtx,
    pub req: RemotingCommand,
}

#[derive(Default)]
struct State {
    /// topic -> queue id -> held pulls.
    queues: HashMap<String, HashMap<i32, Vec<Held>>>,
    /// Wait ends, to find the ones that are due.
    deadlines: BTreeMap<(Instant, u64), (String, i32)>,
    per_conn: HashMap<SocketAddr, usize>,
    next_id: u64,
}

/// Why a pull was not held.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    ConnectionCap,
    TotalCap,
}

pub(crate) struct PullHold {
    st: Mutex<State>,
    /// Pulls held now (read without the lock on every put).
    total: AtomicUsize,
    max_per_conn: usize,
    max_total: usize,
    /// Woken pulls, run again by the hold task.
    woken_tx: mpsc::UnboundedSender<Held>,
    woken_rx: Mutex<Option<mpsc::UnboundedReceiver<Held>>>,
    /// The earliest wait end moved earlier.
    timer: Notify,
    woken_by_arrival: AtomicU64,
    timed_out: AtomicU64,
    refused: AtomicU64,
}

/// Counters of the hold service (gauges and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HoldStats {
    /// Pulls held now.
    pub held: usize,
    /// Pulls woken by a put to their queue, since start.
    pub woken_by_arrival: u64,
    /// Pulls whose wait ended with nothing new, since start.
    pub timed_out: u64,
    /// Pulls answered at once because a cap was reached, since start.
    pub refused: u64,
}

impl PullHold {
    pub(crate) fn new(max_per_conn: usize, max_total: usize) -> Self {
        let (woken_tx, woken_rx) = mpsc::unbounded_channel();
        PullHold {
            st: Mutex::new(State::default()),
            total: AtomicUsize::new(0),
            max_per_conn,
            max_total,
            woken_tx,
            woken_rx: Mutex::new(Some(woken_rx)),
            timer: Notify::new(),
            woken_by_arrival: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> HoldStats {
        HoldStats {
            held: self.total.load(Ordering::Relaxed),
            woken_by_arrival: self.woken_by_arrival.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// Hold a pull of `topic`/`queue_id` from `offset` for `wait`. Over a cap the request is
    /// handed back to be answered now.
    pub(crate) fn hold(
        &self,
        ctx: ConnCtx,
        req: RemotingCommand,
        topic: &str,
        queue_id: i32,
        offset: i64,
        wait: Duration,
    ) -> Result<(), Box<(Refused, RemotingCommand)>> {
        let mut st = self.st.lock();
        if self.total.load(Ordering::Relaxed) >= self.max_total {
            drop(st);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Box::new((Refused::TotalCap, req)));
        }
        if st.per_conn.get(&ctx.peer).copied().unwrap_or(0) >= self.max_per_conn {
            drop(st);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Box::new((Refused::ConnectionCap, req)));
        }
        *st.per_conn.entry(ctx.peer).or_default() += 1;
        st.next_id += 1;
        let id = st.next_id;
        let deadline = Instant::now() + wait;
        let earliest = st.deadlines.keys().next().map(|(d, _)| *d);
        st.deadlines
            .insert((deadline, id), (topic.to_owned(), queue_id));
        let held = Held {
            id,
            deadline,
            offset,
            ctx,
            req,
        };
        match st.queues.get_mut(topic) {
            Some(qs) => qs.entry(queue_id).or_default().push(held),
            None => {
                st.queues
                    .insert(topic.to_owned(), HashMap::from([(queue_id, vec![held])]));
            }
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        drop(st);
        if earliest.is_none_or(|e| deadline < e) {
            self.timer.notify_one();
        }
        Ok(())
    }

    /// A put reached `topic`/`queue_id`, whose max offset is now `max_offset`: wake the pulls
    /// held there that are behind it. Called on the put path: cheap when nothing is held.
    pub(crate) fn arrived(&self, topic: &str, queue_id: i32, max_offset: i64) {
        if self.total.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut st = self.st.lock();
        let Some(qs) = st.queues.get_mut(topic) else {
            return;
        };
        let Some(list) = qs.get_mut(&queue_id) else {
            return;
        };
        let mut woken = Vec::new();
        let mut i = 0;
        while i < list.len() {
            if list[i].offset < max_offset {
                woken.push(list.swap_remove(i));
            } else {
                i += 1;
            }
        }
        if woken.is_empty() {
            return;
        }
        if list.is_empty() {
            qs.remove(&queue_id);
            if qs.is_empty() {
                st.queues.remove(topic);
            }
        }
        for h in &woken {
            st.deadlines.remove(&(h.deadline, h.id));
            forget_conn(&mut st.per_conn, h.ctx.peer);
        }
        drop(st);
        self.total.fetch_sub(woken.len(), Ordering::Relaxed);
        self.woken_by_arrival
            .fetch_add(woken.len() as u64, Ordering::Relaxed);
        for h in woken {
            let _ = self.woken_tx.send(h);
        }
    }

    /// Pulls whose wait has ended by `now`, removed.
    fn take_due(&self, now: Instant) -> Vec<Held> {
        let mut st = self.st.lock();
        let mut due = Vec::new();
        while let Some(entry) = st.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, id), (topic, q)) = entry.remove_entry();
            if let Some(h) = take(&mut st.queues, &topic, q, |h| h.id == id).pop() {
                forget_conn(&mut st.per_conn, h.ctx.peer);
                due.push(h);
            }
        }
        drop(st);
        self.total.fetch_sub(due.len(), Ordering::Relaxed);
        self.timed_out
            .fetch_add(due.len() as u64, Ordering::Relaxed);
        due
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.st.lock().deadlines.keys().next().map(|(d, _)| *d)
    }

    /// Forget the pulls held for a connection that closed (nobody would read their answers).
    pub(crate) fn connection_closed(&self, peer: SocketAddr) {
        let mut st = self.st.lock();
        if st.per_conn.remove(&peer).is_none() {
            return;
        }
        let mut dropped = Vec::new();
        for qs in st.queues.values_mut() {
            for list in qs.values_mut() {
                let mut i = 0;
                while i < list.len() {
                    if list[i].ctx.peer == peer {
                        dropped.push(list.swap_remove(i));
                    } else {
                        i += 1;
                    }
                }
            }
            qs.retain(|_, l| !l.is_empty());
        }
        st.queues.retain(|_, qs| !qs.is_empty());
        for h in &dropped {
            st.deadlines.remove(&(h.deadline, h.id));
        }
        drop(st);
        self.total.fetch_sub(dropped.len(), Ordering::Relaxed);
    }

    /// The hold task: runs woken pulls through `run` and wakes pulls whose wait ended, until
    /// `stop` turns true. Only the first call gets the woken pulls.
    pub(crate) async fn run_loop<F>(&self, run: F, mut stop: tokio::sync::watch::Receiver<bool>)
    where
        F: Fn(Held),
    {
        let Some(mut rx) = self.woken_rx.lock().take() else {
            return;
        };
        loop {
            let next = self
                .next_deadline()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                h = rx.recv() => match h {
                    Some(h) => run(h),
                    None => break,
                },
                _ = self.timer.notified() => {}
                _ = tokio::time::sleep_until(next) => {
                    for h in self.take_due(Instant::now()) {
                        run(h);
                    }
                }
                _ = stop.changed() => break,
            }
        }
    }
}

fn forget_conn(per_conn: &mut HashMap<SocketAddr, usize>, peer: SocketAddr) {
    if let Some(n) = per_conn.get_mut(&peer) {
        *n -= 1;
        if *n == 0 {
            per_conn.remove(&peer);
        }
    }
}

/// Remove the held pulls of `topic`/`q` matching `pred`.
fn take(
    queues: &mut HashMap<String, HashMap<i32, Vec<Held>>>,
    topic: &str,
    q: i32,
    pred: impl Fn(&Held) -> bool,
) -> Vec<Held> {
    let mut out = Vec::new();
    let Some(qs) = queues.get_mut(topic) else {
        return out;
    };
    if let Some(list) = qs.get_mut(&q) {
        let mut i = 0;
        while i < list.len() {
            if pred(&list[i]) {
                out.push(list.swap_remove(i));
            } else {
                i += 1;
            }
        }
        if list.is_empty() {
            qs.remove(&q);
        }
    }
    if qs.is_empty() {
        queues.remove(topic);
    }
    out
}
