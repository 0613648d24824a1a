//! Send-side fault avoidance (`MQFaultStrategy`, `LatencyFaultToleranceImpl`): brokers that were
//! slow or failing are skipped for a while when `sendLatencyFaultEnable` is on, and the queue
//! selection that applies it (`selectOneMessageQueue`).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::instance::TopicPublishInfo;
use crate::message::MessageQueue;

#[derive(Debug, Clone)]
struct FaultItem {
    current_latency: u64,
    /// The broker is available again from this instant.
    start: Instant,
}

impl FaultItem {
    fn is_available(&self, now: Instant) -> bool {
        now >= self.start
    }
}

pub struct LatencyFaultTolerance {
    items: Mutex<HashMap<String, FaultItem>>,
    which_worst: AtomicU32,
}

impl Default for LatencyFaultTolerance {
    fn default() -> Self {
        LatencyFaultTolerance {
            items: Mutex::new(HashMap::new()),
            which_worst: AtomicU32::new(rand::random()),
        }
    }
}

impl LatencyFaultTolerance {
    pub fn update(&self, name: &str, current_latency: u64, not_available: Duration) {
        let item = FaultItem {
            current_latency,
            start: Instant::now() + not_available,
        };
        self.items.lock().insert(name.to_owned(), item);
    }
    pub fn is_available(&self, name: &str) -> bool {
        self.items
            .lock()
            .get(name)
            .map(|i| i.is_available(Instant::now()))
            .unwrap_or(true)
    }
    /// How much longer `name` is considered unavailable (None when available).
    pub fn unavailable_for(&self, name: &str) -> Option<Duration> {
        let now = Instant::now();
        self.items
            .lock()
            .get(name)
            .filter(|i| !i.is_available(now))
            .map(|i| i.start - now)
    }
    pub fn remove(&self, name: &str) {
        self.items.lock().remove(name);
    }
    /// The least bad broker: available ones first, then lower latency, then sooner available;
    /// picks among the better half (Java `pickOneAtLeast`).
    pub fn pick_one_at_least(&self) -> Option<String> {
        let now = Instant::now();
        let mut v: Vec<(String, FaultItem)> = self
            .items
            .lock()
            .iter()
            .map(|(k, i)| (k.clone(), i.clone()))
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| {
            b.1.is_available(now)
                .cmp(&a.1.is_available(now))
                .then(a.1.current_latency.cmp(&b.1.current_latency))
                .then(a.1.start.cmp(&b.1.start))
        });
        let half = v.len() / 2;
        if half == 0 {
            return Some(v.swap_remove(0).0);
        }
        let i = self.which_worst.fetch_add(1, Ordering::Relaxed) as usize % half;
        Some(v.swap_remove(i).0)
    }
}

/// `MQFaultStrategy`: the latency tables and the tolerance bookkeeping.
pub struct FaultStrategy {
    pub enabled: bool,
    latency_max: Vec<u64>,
    not_available_duration: Vec<u64>,
    pub tolerance: LatencyFaultTolerance,
}

impl FaultStrategy {
    pub fn new(enabled: bool, latency_max: Vec<u64>, not_available_duration: Vec<u64>) -> Self {
        FaultStrategy {
            enabled,
            latency_max,
            not_available_duration,
            tolerance: LatencyFaultTolerance::default(),
        }
    }

    /// `computeNotAvailableDuration`: the duration of the highest latency bucket reached.
    pub fn not_available_for(&self, latency_ms: u64) -> Duration {
        for i in (0..self.latency_max.len()).rev() {
            if latency_ms >= self.latency_max[i] {
                return Duration::from_millis(
                    self.not_available_duration.get(i).copied().unwrap_or(0),
                );
            }
        }
        Duration::ZERO
    }

    /// `updateFaultItem`: an isolated failure counts as 30 s of latency.
    pub fn update(&self, broker: &str, latency_ms: u64, isolation: bool) {
        if self.enabled {
            let d = self.not_available_for(if isolation { 30_000 } else { latency_ms });
            self.tolerance.update(broker, latency_ms, d);
        }
    }
    /// `selectOneMessageQueue`: with fault avoidance on, the next queue whose broker is
    /// available, else a queue on the least bad broker; off, the next queue avoiding the broker
    /// that failed last.
    pub(crate) fn select_one_message_queue(
        &self,
        info: &TopicPublishInfo,
        last_broker: Option<&str>,
    ) -> Option<MessageQueue> {
        if self.enabled {
            let n = info.message_queue_list.len();
            if n > 0 {
                let start = info.next_raw() as usize;
                for k in 0..n {
                    let mq = &info.message_queue_list[(start + k) % n];
                    if self.tolerance.is_available(&mq.broker_name) {
                        return Some(mq.clone());
                    }
                }
                if let Some(not_best) = self.tolerance.pick_one_at_least() {
                    let nums = info.write_queue_nums_of(&not_best);
                    if nums > 0 {
                        let mut mq = info.select_one()?;
                        mq.broker_name = not_best;
                        mq.queue_id = (info.next_raw() % nums as u32) as i32;
                        return Some(mq);
                    }
                    self.tolerance.remove(&not_best);
                }
            }
            return info.select_one();
        }
        info.select_avoiding(last_broker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_tables() {
        let f = FaultStrategy::new(
            true,
            vec![50, 100, 550, 1000, 2000, 3000, 15000],
            vec![0, 0, 30000, 60000, 120000, 180000, 600000],
        );
        assert_eq!(f.not_available_for(10), Duration::ZERO);
        assert_eq!(f.not_available_for(100), Duration::ZERO);
        assert_eq!(f.not_available_for(550), Duration::from_millis(30000));
        assert_eq!(f.not_available_for(2500), Duration::from_millis(120000));
        assert_eq!(f.not_available_for(30000), Duration::from_millis(600000));
        f.update("b1", 30000, true);
        assert!(!f.tolerance.is_available("b1"));
        f.update("b2", 10, false);
        assert!(f.tolerance.is_available("b2"));
        assert_eq!(f.tolerance.pick_one_at_least().as_deref(), Some("b2"));
    }

    fn two_brokers() -> TopicPublishInfo {
        use rocklet_protocol::route::{perm, BrokerData, QueueData, TopicRouteData};
        let mut route = TopicRouteData::default();
        for b in ["broker-a", "broker-b"] {
            route.queue_datas.push(QueueData {
                broker_name: b.into(),
                perm: perm::READ | perm::WRITE,
                read_queue_nums: 2,
                write_queue_nums: 2,
                ..Default::default()
            });
            let mut bd = BrokerData {
                broker_name: b.into(),
                ..Default::default()
            };
            bd.broker_addrs.insert(0, format!("{b}:10911"));
            route.broker_datas.push(bd);
        }
        TopicPublishInfo::from_route("T", &route)
    }

    #[test]
    fn selection_skips_isolated_brokers_when_enabled() {
        let info = two_brokers();
        let tables = || (vec![50, 550, 15000], vec![0, 30000, 600000]);
        let (lm, na) = tables();
        let on = FaultStrategy::new(true, lm, na);
        on.update("broker-b", 30000, true);
        for _ in 0..8 {
            let mq = on.select_one_message_queue(&info, None).unwrap();
            assert_eq!(mq.broker_name, "broker-a");
        }
        // Every broker isolated: still a queue, on the least bad broker's write queues.
        on.update("broker-a", 30000, true);
        let mq = on.select_one_message_queue(&info, None).unwrap();
        assert!(mq.queue_id < 2, "{mq:?}");

        // Off: round robin that only avoids the broker that failed last.
        let (lm, na) = tables();
        let off = FaultStrategy::new(false, lm, na);
        off.update("broker-b", 30000, true);
        for _ in 0..8 {
            let mq = off
                .select_one_message_queue(&info, Some("broker-a"))
                .unwrap();
            assert_eq!(mq.broker_name, "broker-b");
        }
    }
}
