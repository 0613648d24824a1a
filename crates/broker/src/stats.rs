//! Broker statistics, kept the way Java's `BrokerStatsManager` (per topic / group counters with
//! minute, hour and day windows), `StoreStatsService` (put and get TPS over 10 s, 60 s and 600 s)
//! and `BrokerStats` (totals at this and yesterday's midnight) keep them, so `brokerStatus`,
//! `clusterList`, `statsAll` and consume stats show the same figures.
//!
//! Counting is a hash lookup under a read lock plus relaxed atomic adds on the send and pull
//! paths; sampling runs once a second on its own task.

use parking_lot::{Mutex, RwLock};
use rocklet_store::stats::StoreTotals;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Names of Java's stats sets (`BrokerStatsManager` constants) that Rocklet keeps.
pub const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
pub const TOPIC_PUT_SIZE: &str = "TOPIC_PUT_SIZE";
pub const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";
pub const GROUP_GET_SIZE: &str = "GROUP_GET_SIZE";
pub const SNDBCK_PUT_NUMS: &str = "SNDBCK_PUT_NUMS";
pub const BROKER_PUT_NUMS: &str = "BROKER_PUT_NUMS";
pub const BROKER_GET_NUMS: &str = "BROKER_GET_NUMS";

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    value: u64,
    times: u64,
    ts: i64,
}

/// Sum, TPS and average per call over one window (Java `StatsSnapshot`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StatsSnapshot {
    pub sum: u64,
    pub tps: f64,
    pub avgpt: f64,
}

fn window(list: &VecDeque<Sample>) -> StatsSnapshot {
    let (Some(first), Some(last)) = (list.front(), list.back()) else {
        return StatsSnapshot::default();
    };
    let sum = last.value.saturating_sub(first.value);
    let ms = last.ts - first.ts;
    let times = last.times.saturating_sub(first.times);
    StatsSnapshot {
        sum,
        tps: if ms > 0 {
            sum as f64 * 1000.0 / ms as f64
        } else {
            0.0
        },
        avgpt: if times > 0 {
            sum as f64 / times as f64
        } else {
            0.0
        },
    }
}

#[derive(Default)]
struct Windows {
    /// Every 10 s, the last 7 (a minute).
    minute: VecDeque<Sample>,
    /// Every 10 min, the last 7 (an hour).
    hour: VecDeque<Sample>,
    /// Every hour, the last 25 (a day).
    day: VecDeque<Sample>,
}

/// Adds a sample to a window. The first sample of a window is preceded by a zero one `seed_ms`
/// earlier (Java `StatsItem.samplingIn*` seeds an empty list with `CallSnapshot(now - period,
/// 0, 0)`), so a counter shows its count as a rate from its first sample on.
fn push(list: &mut VecDeque<Sample>, s: Sample, keep: usize, seed_ms: i64) {
    if list.is_empty() {
        list.push_back(Sample {
            value: 0,
            times: 0,
            ts: s.ts - seed_ms,
        });
    }
    list.push_back(s);
    while list.len() > keep {
        list.pop_front();
    }
}

/// One counter: a value (messages, bytes) and how many times it was added to.
#[derive(Default)]
pub struct StatsItem {
    value: AtomicU64,
    times: AtomicU64,
    windows: Mutex<Windows>,
}

impl StatsItem {
    fn add(&self, value: u64, times: u64) {
        self.value.fetch_add(value, Ordering::Relaxed);
        self.times.fetch_add(times, Ordering::Relaxed);
    }
    fn now(&self, ts: i64) -> Sample {
        Sample {
            value: self.value.load(Ordering::Relaxed),
            times: self.times.load(Ordering::Relaxed),
            ts,
        }
    }
    pub fn value(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
    pub fn minute(&self) -> StatsSnapshot {
        window(&self.windows.lock().minute)
    }
    pub fn hour(&self) -> StatsSnapshot {
        window(&self.windows.lock().hour)
    }
    pub fn day(&self) -> StatsSnapshot {
        window(&self.windows.lock().day)
    }
}

/// A message count and a byte count kept together, so a put or a pull costs one lookup
/// (Java keeps them as two sets: `*_NUMS` and `*_SIZE`).
#[derive(Default)]
pub struct NumsAndSize {
    pub nums: StatsItem,
    pub size: StatsItem,
}

/// Counters by key (topic, `topic@group`) for one stats name (or a nums/size pair).
pub struct StatsItemSet<T = StatsItem> {
    items: RwLock<HashMap<String, Arc<T>>>,
}

impl<T> Default for StatsItemSet<T> {
    fn default() -> Self {
        StatsItemSet {
            items: RwLock::new(HashMap::new()),
        }
    }
}

impl<T: Default> StatsItemSet<T> {
    /// The counters of `key`, created on first use (a read lock on the usual path).
    pub fn with(&self, key: &str, f: impl FnOnce(&T)) {
        if let Some(item) = self.items.read().get(key) {
            f(item);
            return;
        }
        f(self.items.write().entry(key.to_owned()).or_default());
    }
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        self.items.read().get(key).cloned()
    }
    fn items(&self) -> Vec<Arc<T>> {
        self.items.read().values().cloned().collect()
    }
    /// Every key with its counters (a copy of the map's `Arc`s; for `/metrics`).
    pub fn entries(&self) -> Vec<(String, Arc<T>)> {
        self.items
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Upper bounds (microseconds) of the send latency buckets: fine below a millisecond, then
/// Java's `putMessageDistributeTime` steps (10 ms, 50 ms, 100 ms, 200 ms, 500 ms, 1 s .. 5 s,
/// 10 s); the last bucket is everything above 10 s.
pub const SEND_LATENCY_BOUNDS_US: [u64; 17] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000,
    2_000_000, 3_000_000, 4_000_000, 5_000_000, 10_000_000,
];

/// How long the store took to append each send (relaxed atomic adds: one bucket, the sum).
pub struct LatencyHistogram {
    buckets: [AtomicU64; SEND_LATENCY_BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_us: AtomicU64::new(0),
        }
    }
}

impl LatencyHistogram {
    pub fn record(&self, elapsed: std::time::Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let i = SEND_LATENCY_BOUNDS_US.partition_point(|b| *b < us);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }
    /// Count in each bucket alone (not cumulative), the last one above every bound.
    pub fn counts(&self) -> [u64; SEND_LATENCY_BOUNDS_US.len() + 1] {
        std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed))
    }
    pub fn sum_us(&self) -> u64 {
        self.sum_us.load(Ordering::Relaxed)
    }
}

/// Per-second samples of the store totals, the last 600 s (Java samples every second too).
const STORE_SAMPLES: usize = 601;

/// Everything the broker counts.
pub struct BrokerStats {
    /// The key of the broker-wide sets (Java keys them by cluster name).
    cluster: String,
    /// TOPIC_PUT_NUMS / TOPIC_PUT_SIZE by topic.
    pub topic_put: StatsItemSet<NumsAndSize>,
    /// GROUP_GET_NUMS / GROUP_GET_SIZE by `topic@group`.
    pub group_get: StatsItemSet<NumsAndSize>,
    /// SNDBCK_PUT_NUMS by `topic@group`.
    pub sndbck_put_nums: StatsItemSet,
    /// BROKER_PUT_NUMS / BROKER_GET_NUMS (one key each: the cluster name).
    pub broker_put_nums: StatsItem,
    pub broker_get_nums: StatsItem,
    /// Store append time of sends.
    pub send_latency: LatencyHistogram,
    store_samples: Mutex<VecDeque<(i64, StoreTotals)>>,
    /// (put, get) totals at the last two midnights: `msgPutTotalTodayMorning` /
    /// `...YesterdayMorning`; zero until the first midnight, as in Java.
    mornings: Mutex<Mornings>,
}

#[derive(Default, Clone, Copy)]
pub struct Mornings {
    pub put_today: u64,
    pub get_today: u64,
    pub put_yesterday: u64,
    pub get_yesterday: u64,
    /// Day number (days since the epoch, local time ignored: UTC) of the last record.
    day: i64,
}

impl BrokerStats {
    pub fn new(cluster: &str) -> Self {
        BrokerStats {
            cluster: cluster.to_owned(),
            topic_put: Default::default(),
            group_get: Default::default(),
            sndbck_put_nums: Default::default(),
            broker_put_nums: Default::default(),
            broker_get_nums: Default::default(),
            send_latency: Default::default(),
            store_samples: Mutex::new(VecDeque::with_capacity(STORE_SAMPLES)),
            mornings: Mutex::new(Mornings {
                day: crate::processor::now_ms() / 86_400_000,
                ..Default::default()
            }),
        }
    }

    /// A send stored `msgs` messages of `bytes` bytes into `topic`.
    pub fn put(&self, topic: &str, msgs: u64, bytes: u64) {
        self.topic_put.with(topic, |t| {
            t.nums.add(msgs, 1);
            t.size.add(bytes, 1);
        });
        self.broker_put_nums.add(msgs, 1);
    }

    /// A pull handed `msgs` messages of `bytes` bytes of `topic` to `group`.
    pub fn got(&self, group: &str, topic: &str, msgs: u64, bytes: u64) {
        self.group_get.with(&stats_key(topic, group), |g| {
            g.nums.add(msgs, 1);
            g.size.add(bytes, 1);
        });
        self.broker_get_nums.add(msgs, 1);
    }

    /// A consumer sent a message back to `group`'s retry topic.
    pub fn sent_back(&self, group: &str, topic: &str) {
        self.sndbck_put_nums
            .with(&stats_key(topic, group), |i| i.add(1, 1));
    }

    /// The minute, hour and day windows of Java's stats item `name` / `key`
    /// (`VIEW_BROKER_STATS_DATA`); `None` for a name Rocklet does not keep or a key never counted.
    pub fn windows(&self, name: &str, key: &str) -> Option<[StatsSnapshot; 3]> {
        let w = |i: &StatsItem| [i.minute(), i.hour(), i.day()];
        match name {
            TOPIC_PUT_NUMS => self.topic_put.get(key).map(|t| w(&t.nums)),
            TOPIC_PUT_SIZE => self.topic_put.get(key).map(|t| w(&t.size)),
            GROUP_GET_NUMS => self.group_get.get(key).map(|g| w(&g.nums)),
            GROUP_GET_SIZE => self.group_get.get(key).map(|g| w(&g.size)),
            SNDBCK_PUT_NUMS => self.sndbck_put_nums.get(key).map(|i| w(&i)),
            BROKER_PUT_NUMS if key == self.cluster => Some(w(&self.broker_put_nums)),
            BROKER_GET_NUMS if key == self.cluster => Some(w(&self.broker_get_nums)),
            _ => None,
        }
    }

    /// `tpsGroupGetNums`: messages per second `group` pulled from `topic` over the last minute.
    pub fn group_get_tps(&self, group: &str, topic: &str) -> f64 {
        self.group_get
            .get(&stats_key(topic, group))
            .map_or(0.0, |g| g.nums.minute().tps)
    }

    /// One second passed: sample the store; every 10 s / 10 min / 1 h the per-key windows;
    /// past midnight (UTC) move the morning totals.
    pub fn tick(&self, now_ms: i64, store: StoreTotals, second: u64) {
        {
            let mut s = self.store_samples.lock();
            s.push_back((now_ms, store));
            while s.len() > STORE_SAMPLES {
                s.pop_front();
            }
        }
        let (minute, hour, day) = (
            second.is_multiple_of(10),
            second.is_multiple_of(600),
            second.is_multiple_of(3600),
        );
        if minute || hour || day {
            let sample = |item: &StatsItem| {
                let s = item.now(now_ms);
                let mut w = item.windows.lock();
                if minute {
                    push(&mut w.minute, s, 7, 10_000);
                }
                if hour {
                    push(&mut w.hour, s, 7, 600_000);
                }
                if day {
                    push(&mut w.day, s, 25, 3_600_000);
                }
            };
            for pair in self.topic_put.items().iter().chain(&self.group_get.items()) {
                sample(&pair.nums);
                sample(&pair.size);
            }
            for item in self.sndbck_put_nums.items() {
                sample(&item);
            }
            sample(&self.broker_put_nums);
            sample(&self.broker_get_nums);
        }
        let today = now_ms / 86_400_000;
        let mut m = self.mornings.lock();
        if today != m.day {
            m.put_yesterday = m.put_today;
            m.get_yesterday = m.get_today;
            m.put_today = store.put_times;
            m.get_today = store.transferred;
            m.day = today;
        }
    }

    pub fn mornings(&self) -> Mornings {
        *self.mornings.lock()
    }

    /// Store TPS over the last `secs` seconds for one counter, Java's `getPutTps(int)`
    /// family; 0 until that much history exists.
    pub fn store_tps(&self, secs: usize, counter: impl Fn(&StoreTotals) -> u64) -> f64 {
        let s = self.store_samples.lock();
        let (Some(last), true) = (s.back(), s.len() > secs) else {
            return 0.0;
        };
        let first = &s[s.len() - 1 - secs];
        let ms = last.0 - first.0;
        if ms <= 0 {
            return 0.0;
        }
        counter(&last.1).saturating_sub(counter(&first.1)) as f64 * 1000.0 / ms as f64
    }

    /// `"<10 s> <60 s> <600 s>"` as Java's runtime info prints TPS.
    pub fn store_tps_line(&self, counter: impl Fn(&StoreTotals) -> u64 + Copy) -> String {
        format!(
            "{} {} {}",
            java_double(self.store_tps(10, counter)),
            java_double(self.store_tps(60, counter)),
            java_double(self.store_tps(600, counter))
        )
    }
}

/// `topic@group`, the key of the group sets.
pub fn stats_key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

/// A double as Java's `Double.toString` prints ordinary values (`0.0`, `12.5`).
pub fn java_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// Sample the counters every second until shutdown.
pub(crate) async fn sample_loop(
    b: Arc<crate::BrokerInner>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut second = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                b.stats.tick(crate::processor::now_ms(), b.store.stats(), second);
                second += 1;
            }
            _ = shutdown.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_tps() {
        let s = BrokerStats::new("C");
        let totals = |n| StoreTotals {
            put_times: n,
            ..Default::default()
        };
        for sec in 0..=20u64 {
            s.put("T", 10, 1000);
            s.tick(sec as i64 * 1000, totals(sec * 10), sec);
        }
        // Samples at 0 s, 10 s, 20 s after Java's zero seed at -10 s: 210 messages in 30 s.
        let m = s.topic_put.get("T").unwrap().nums.minute();
        assert_eq!(m.sum, 210);
        assert!((m.tps - 7.0).abs() < 1e-9, "{m:?}");
        assert!((m.avgpt - 10.0).abs() < 1e-9);
        assert!((s.store_tps(10, |t| t.put_times) - 10.0).abs() < 1e-9);
        assert_eq!(s.store_tps(60, |t| t.put_times), 0.0, "no 60 s history yet");
        assert_eq!(s.store_tps_line(|t| t.put_times), "10.0 0.0 0.0");
        assert_eq!(s.broker_put_nums.value(), 210);
        assert_eq!(s.windows(BROKER_PUT_NUMS, "C").unwrap()[0].sum, 210);
        assert!(s.windows(BROKER_PUT_NUMS, "other").is_none());
        assert!(s.windows("NOPE", "T").is_none());
        assert_eq!(s.windows(TOPIC_PUT_SIZE, "T").unwrap()[0].sum, 21_000);
    }

    #[test]
    fn mornings_move_at_midnight() {
        let s = BrokerStats::new("C");
        let day = 86_400_000i64;
        let t = |p, g| StoreTotals {
            put_times: p,
            transferred: g,
            ..Default::default()
        };
        let start = s.mornings().day * day;
        s.tick(start + 5, t(5, 1), 1);
        assert_eq!(s.mornings().put_today, 0);
        s.tick(start + day + 5, t(50, 7), 2);
        let m = s.mornings();
        assert_eq!((m.put_today, m.get_today, m.put_yesterday), (50, 7, 0));
        s.tick(start + 2 * day, t(90, 9), 3);
        let m = s.mornings();
        assert_eq!((m.put_today, m.put_yesterday, m.get_yesterday), (90, 50, 7));
    }

    #[test]
    fn latency_buckets() {
        let h = LatencyHistogram::default();
        let us = std::time::Duration::from_micros;
        h.record(us(50));
        h.record(us(100));
        h.record(us(101));
        h.record(std::time::Duration::from_secs(11));
        let c = h.counts();
        assert_eq!((c[0], c[1], c[SEND_LATENCY_BOUNDS_US.len()]), (2, 1, 1));
        assert_eq!(h.sum_us(), 50 + 100 + 101 + 11_000_000);
    }

    #[test]
    fn java_double_text() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(12.5), "12.5");
        assert_eq!(java_double(3.0), "3.0");
    }
}
