//! A registry built for one scrape: families of gauges and counters keyed by label sets, and
//! histograms whose buckets were counted elsewhere, written in the OpenMetrics text format by
//! `prometheus-client`.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Label names and (escaped) values of one series.
pub type Labels = Vec<(&'static str, String)>;

/// A label value as the text format wants it: `\`, `"` and line feeds escaped
/// (`prometheus-client` writes values as given).
pub fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, escape_label(v))).collect()
}

/// Gauges of one name, one per label set.
#[derive(Clone)]
pub struct Gauges(Family<Labels, Gauge<f64, AtomicU64>>);

impl Gauges {
    pub fn set(&self, pairs: &[(&'static str, &str)], v: f64) {
        self.0.get_or_create(&labels(pairs)).set(v);
    }
}

/// Counters of one name (written with `_total`), one per label set.
#[derive(Clone)]
pub struct Counters(Family<Labels, Counter<f64, AtomicU64>>);

impl Counters {
    pub fn set(&self, pairs: &[(&'static str, &str)], v: f64) {
        self.0.get_or_create(&labels(pairs)).inc_by(v.max(0.0));
    }
}

/// A histogram read from counted buckets: upper bounds (seconds) with cumulative counts.
#[derive(Debug)]
struct CountedHistogram {
    sum: f64,
    count: u64,
    buckets: Vec<(f64, u64)>,
}

impl TypedMetric for CountedHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for CountedHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
            self.sum,
            self.count,
            &self.buckets,
            None,
        )
    }
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// What one scrape writes.
#[derive(Default)]
pub struct Scrape {
    reg: Registry,
}

impl Scrape {
    pub fn new() -> Self {
        Scrape::default()
    }
    pub fn gauges(&mut self, name: &str, help: &str) -> Gauges {
        let f = Family::default();
        self.reg.register(name, help, Gauges(f.clone()).0);
        Gauges(f)
    }
    /// A single unlabelled gauge.
    pub fn gauge(&mut self, name: &str, help: &str, v: f64) {
        let g = Gauge::<f64, AtomicU64>::default();
        g.set(v);
        self.reg.register(name, help, g);
    }
    /// Counters named `name` (the text shows `name_total`).
    pub fn counters(&mut self, name: &str, help: &str) -> Counters {
        let f = Family::default();
        self.reg.register(name, help, f.clone());
        Counters(f)
    }
    pub fn counter(&mut self, name: &str, help: &str, v: f64) {
        let c = Counter::<f64, AtomicU64>::default();
        c.inc_by(v.max(0.0));
        self.reg.register(name, help, c);
    }
    /// A histogram from `(upper bound, count in that bucket alone)` pairs (the encoder makes
    /// them cumulative); the last bound should be `f64::INFINITY` (written `+Inf`).
    pub fn histogram(&mut self, name: &str, help: &str, sum: f64, per_bucket: &[(f64, u64)]) {
        let buckets: Vec<(f64, u64)> = per_bucket
            .iter()
            .map(|&(le, n)| (if le.is_infinite() { f64::MAX } else { le }, n))
            .collect();
        let count = buckets.iter().map(|b| b.1).sum();
        self.reg.register(
            name,
            help,
            CountedHistogram {
                sum,
                count,
                buckets,
            },
        );
    }
    /// The text: OpenMetrics, ending with `# EOF`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.reg);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_escaping() {
        let mut s = Scrape::new();
        let g = s.gauges("rocketmq_producer_tps", "put TPS");
        g.set(&[("topic", "T\"1\\\n")], 2.5);
        s.counter("process_cpu_seconds", "cpu", 1.25);
        s.histogram(
            "rocklet_send_latency_seconds",
            "send",
            0.5,
            &[(0.001, 3), (0.01, 1), (f64::INFINITY, 0)],
        );
        let t = s.render();
        assert!(
            t.contains(r#"rocketmq_producer_tps{topic="T\"1\\\n"} 2.5"#),
            "{t}"
        );
        assert!(t.contains("process_cpu_seconds_total 1.25"), "{t}");
        assert!(
            t.contains(r#"rocklet_send_latency_seconds_bucket{le="0.01"} 4"#),
            "{t}"
        );
        assert!(t.contains("rocklet_send_latency_seconds_count 4"), "{t}");
        assert!(
            t.contains(r#"rocklet_send_latency_seconds_bucket{le="+Inf"} 4"#),
            "{t}"
        );
        assert!(t.ends_with("# EOF\n"), "{t}");
    }
}
