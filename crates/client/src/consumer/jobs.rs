//! The concurrently consumer's request queue: Java's consume thread pool takes requests from
//! one `LinkedBlockingQueue`; here `consumeThreadMax` worker tasks take them from one FIFO.
//!
//! Why not a channel: an mpsc receiver shared by the workers needs a lock held across `recv`,
//! and every request then cost two task wake-ups (the holder, then the next waiter for the
//! lock), a tenth of the push consumer's time on small messages. Here a worker that finds a
//! request takes it without waiting, workers run requests back to back while there are any,
//! and one wake-up goes out per request only to a worker that sleeps.

use parking_lot::Mutex;
use std::collections::VecDeque;
use tokio::sync::Notify;

/// Requests a worker runs before it lets the runtime poll sockets and timers (and the pull
/// tasks run): without it a burst of quick requests holds the runtime thread, and the
/// answers to the next pulls wait.
pub(crate) const RUNS_PER_YIELD: usize = 8;

pub(crate) struct JobQueue<J> {
    state: Mutex<State<J>>,
    ready: Notify,
}

struct State<J> {
    jobs: VecDeque<J>,
    closed: bool,
}

impl<J> JobQueue<J> {
    pub(crate) fn new() -> Self {
        JobQueue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                closed: false,
            }),
            ready: Notify::new(),
        }
    }

    /// Queue requests (in order); false, dropping them, once closed.
    pub(crate) fn push_all(&self, jobs: impl IntoIterator<Item = J>) -> bool {
        let n = {
            let mut s = self.state.lock();
            if s.closed {
                return false;
            }
            let before = s.jobs.len();
            s.jobs.extend(jobs);
            s.jobs.len() - before
        };
        // One wake-up per request: a sleeping worker each, or a stored permit for the next
        // worker about to sleep.
        for _ in 0..n {
            self.ready.notify_one();
        }
        true
    }

    pub(crate) fn push(&self, job: J) -> bool {
        self.push_all(std::iter::once(job))
    }

    /// No more requests: workers end once the queued ones are taken.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.ready.notify_waiters();
    }

    /// Queued requests.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.state.lock().jobs.len()
    }

    fn try_take(&self) -> Result<Option<J>, ()> {
        let mut s = self.state.lock();
        match s.jobs.pop_front() {
            Some(j) => Ok(Some(j)),
            None if s.closed => Err(()),
            None => Ok(None),
        }
    }

    /// The next request, waiting for one; None once closed and empty.
    pub(crate) async fn next(&self) -> Option<J> {
        loop {
            match self.try_take() {
                Ok(Some(j)) => return Some(j),
                Err(()) => return None,
                Ok(None) => {}
            }
            // Registered before the second look, so neither a push nor `close` in between
            // is missed.
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.try_take() {
                Ok(Some(j)) => return Some(j),
                Err(()) => return None,
                Ok(None) => notified.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_job_is_taken_once_and_workers_end_on_close() {
        let q = Arc::new(JobQueue::<usize>::new());
        let seen = Arc::new(AtomicUsize::new(0));
        let sum = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..5)
            .map(|_| {
                let (q, seen, sum) = (q.clone(), seen.clone(), sum.clone());
                tokio::spawn(async move {
                    while let Some(j) = q.next().await {
                        seen.fetch_add(1, Ordering::Relaxed);
                        sum.fetch_add(j, Ordering::Relaxed);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for round in 0..200 {
            assert!(q.push_all((0..10).map(|i| round * 10 + i)));
            if round % 7 == 0 {
                tokio::task::yield_now().await;
            }
        }
        while q.len() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        q.close();
        for w in workers {
            tokio::time::timeout(std::time::Duration::from_secs(5), w)
                .await
                .expect("a worker did not end after close")
                .unwrap();
        }
        assert_eq!(seen.load(Ordering::Relaxed), 2000);
        assert_eq!(sum.load(Ordering::Relaxed), (0..2000).sum::<usize>());
        assert!(!q.push(1), "a closed queue takes nothing");
    }
}
