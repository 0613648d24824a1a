//! Queue locks for orderly consumers (Java `RebalanceLockManager`).
//!
//! A consumer with `MessageListenerOrderly` locks its queues (LOCK_BATCH_MQ) before consuming
//! them and renews the locks every 20 s; a queue is granted to one client of a group at a time,
//! until that client unlocks it (UNLOCK_BATCH_MQ) or stops renewing it for
//! `rocketmq.broker.rebalance.lockMaxLiveTime` (60 s). Locks live in memory, as in Java.

use parking_lot::Mutex;
use rocklet_protocol::body::MessageQueueData;
use std::collections::HashMap;
use std::time::{Duration, Instant};

struct Entry {
    client_id: String,
    renewed: Instant,
}

/// group -> queue -> holder.
pub struct RebalanceLocks {
    max_live: Duration,
    table: Mutex<HashMap<String, HashMap<MessageQueueData, Entry>>>,
}

impl RebalanceLocks {
    pub fn new(max_live: Duration) -> Self {
        RebalanceLocks {
            max_live,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Java `tryLockBatch`: the queues now held by `client_id` (newly locked, renewed, or taken
    /// over from a holder whose lock expired); queues another live client holds are left out.
    pub fn try_lock_batch(
        &self,
        group: &str,
        mqs: &[MessageQueueData],
        client_id: &str,
    ) -> Vec<MessageQueueData> {
        let now = Instant::now();
        let mut table = self.table.lock();
        let locks = table.entry(group.to_owned()).or_default();
        let mut granted = Vec::with_capacity(mqs.len());
        for mq in mqs {
            match locks.get_mut(mq) {
                None => {
                    locks.insert(
                        mq.clone(),
                        Entry {
                            client_id: client_id.to_owned(),
                            renewed: now,
                        },
                    );
                    granted.push(mq.clone());
                }
                Some(e) if e.client_id == client_id => {
                    e.renewed = now;
                    granted.push(mq.clone());
                }
                Some(e) if now.duration_since(e.renewed) > self.max_live => {
                    tracing::warn!(group, ?mq, old = %e.client_id, new = client_id, "queue lock expired, given to another client");
                    e.client_id = client_id.to_owned();
                    e.renewed = now;
                    granted.push(mq.clone());
                }
                Some(e) => {
                    tracing::debug!(group, ?mq, holder = %e.client_id, asker = client_id, "queue locked by another client");
                }
            }
        }
        granted
    }

    /// Java `unlockBatch`: releases the queues `client_id` holds; others are left alone.
    pub fn unlock_batch(&self, group: &str, mqs: &[MessageQueueData], client_id: &str) {
        let mut table = self.table.lock();
        let Some(locks) = table.get_mut(group) else {
            return;
        };
        for mq in mqs {
            if locks.get(mq).is_some_and(|e| e.client_id == client_id) {
                locks.remove(mq);
            }
        }
        if locks.is_empty() {
            table.remove(group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(q: i32) -> MessageQueueData {
        MessageQueueData {
            broker_name: "b".into(),
            queue_id: q,
            topic: "T".into(),
        }
    }

    #[test]
    fn one_holder_per_queue_until_unlocked_or_expired() {
        let l = RebalanceLocks::new(Duration::from_millis(50));
        assert_eq!(
            l.try_lock_batch("g", &[mq(0), mq(1)], "A"),
            vec![mq(0), mq(1)]
        );
        assert_eq!(l.try_lock_batch("g", &[mq(1), mq(2)], "B"), vec![mq(2)]);
        // Another group is independent.
        assert_eq!(l.try_lock_batch("h", &[mq(1)], "B"), vec![mq(1)]);
        // Only the holder can unlock.
        l.unlock_batch("g", &[mq(1)], "B");
        assert_eq!(l.try_lock_batch("g", &[mq(1)], "B"), vec![]);
        l.unlock_batch("g", &[mq(1)], "A");
        assert_eq!(l.try_lock_batch("g", &[mq(1)], "B"), vec![mq(1)]);
        // A renews mq(0); B's mq(1) and mq(2) expire and A can take them.
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(
            l.try_lock_batch("g", &[mq(0), mq(1), mq(2)], "A"),
            vec![mq(0), mq(1), mq(2)]
        );
        assert_eq!(l.try_lock_batch("g", &[mq(0)], "B"), vec![]);
    }
}
