//! The broker's Prometheus `/metrics` (`metricsPort`): built at each scrape from the counters
//! the broker keeps anyway (the stats windows behind `statsAll` and `brokerStatus`, the store
//! totals, consumer offsets, connections, held pulls), so nothing is added on the data path but
//! the send latency histogram. Series take rocketmq-exporter's names and labels where it has
//! one (`rocketmq_*`), so its Grafana boards work; the rest are `rocklet_*`, and the process
//! figures use the usual `process_*` names. docs/metrics.md lists them.
//!
//! A scrape walks the topics, groups and queues once: its cost is proportional to them.

use crate::stats::{StatsSnapshot, SEND_LATENCY_BOUNDS_US};
use crate::topic::{DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};
use crate::BrokerInner;
use rocklet_metrics::Scrape;
use rocklet_remoting::ServerStats;
use std::collections::BTreeMap;

/// The figures of one scrape, as text.
pub(crate) fn render(b: &BrokerInner, main: &ServerStats, fast: &ServerStats) -> String {
    let mut s = Scrape::new();
    let cluster = b.cfg.broker_cluster_name.as_str();
    let broker = b.cfg.broker_name.as_str();
    topics(&mut s, b, cluster, broker);
    groups(&mut s, b, cluster, broker);
    lag(&mut s, b, cluster, broker);
    broker_runtime(&mut s, b, cluster, broker);
    connections(&mut s, b, main, fast);
    rocklet_metrics::process::add_to(&mut s);
    s.render()
}

fn minute(item: &crate::stats::StatsItem) -> StatsSnapshot {
    item.minute()
}

/// Per-topic put figures and queue offsets.
fn topics(s: &mut Scrape, b: &BrokerInner, cluster: &str, broker: &str) {
    let tps = s.gauges(
        "rocketmq_producer_tps",
        "Messages put into the topic per second over the last minute (TOPIC_PUT_NUMS, statsAll InTPS)",
    );
    let size = s.gauges(
        "rocketmq_producer_message_size",
        "Bytes put into the topic per second over the last minute (TOPIC_PUT_SIZE)",
    );
    let msgs = s.counters(
        "rocklet_topic_put_messages",
        "Messages put into the topic since the broker started",
    );
    let bytes = s.counters(
        "rocklet_topic_put_bytes",
        "Bytes put into the topic since the broker started",
    );
    for (topic, t) in b.stats.topic_put.entries() {
        let l = [("cluster", cluster), ("broker", broker), ("topic", &topic)];
        tps.set(&l, minute(&t.nums).tps);
        size.set(&l, minute(&t.size).tps);
        msgs.set(&l, t.nums.value() as f64);
        bytes.set(&l, t.size.value() as f64);
    }
    let offset = s.gauges(
        "rocketmq_producer_offset",
        "Sum of the max offsets of the topic's queues on this broker",
    );
    let retry = s.gauges(
        "rocketmq_topic_retry_offset",
        "Sum of the max offsets of a retry topic's queues on this broker",
    );
    let dlq = s.gauges(
        "rocketmq_topic_dlq_offset",
        "Sum of the max offsets of a group's dead-letter queue on this broker",
    );
    let queue_max = s.gauges(
        "rocklet_queue_max_offset",
        "Max offset (messages ever put) of one queue",
    );
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (topic, q) in b.store.topic_queues() {
        let max = b.store.max_offset_in_queue(&topic, q).max(0);
        let qid = q.to_string();
        queue_max.set(
            &[
                ("cluster", cluster),
                ("broker", broker),
                ("topic", &topic),
                ("queueid", &qid),
            ],
            max as f64,
        );
        *sums.entry(topic).or_default() += max;
    }
    for (topic, sum) in sums {
        if let Some(group) = topic.strip_prefix(DLQ_GROUP_TOPIC_PREFIX) {
            dlq.set(
                &[("cluster", cluster), ("broker", broker), ("group", group)],
                sum as f64,
            );
        } else {
            let g = if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
                &retry
            } else {
                &offset
            };
            g.set(
                &[("cluster", cluster), ("broker", broker), ("topic", &topic)],
                sum as f64,
            );
        }
    }
}

/// Per-group get figures.
fn groups(s: &mut Scrape, b: &BrokerInner, cluster: &str, broker: &str) {
    let tps = s.gauges(
        "rocketmq_consumer_tps",
        "Messages the group pulled from the topic per second over the last minute (GROUP_GET_NUMS, statsAll OutTPS)",
    );
    let size = s.gauges(
        "rocketmq_consumer_message_size",
        "Bytes the group pulled from the topic per second over the last minute (GROUP_GET_SIZE)",
    );
    let msgs = s.counters(
        "rocklet_group_get_messages",
        "Messages the group pulled from the topic since the broker started",
    );
    let bytes = s.counters(
        "rocklet_group_get_bytes",
        "Bytes the group pulled from the topic since the broker started",
    );
    for (key, g) in b.stats.group_get.entries() {
        let Some((topic, group)) = key.split_once('@') else {
            continue;
        };
        let l = [
            ("cluster", cluster),
            ("broker", broker),
            ("topic", topic),
            ("group", group),
        ];
        tps.set(&l, minute(&g.nums).tps);
        size.set(&l, minute(&g.size).tps);
        msgs.set(&l, g.nums.value() as f64);
        bytes.set(&l, g.size.value() as f64);
    }
    let back = s.gauges(
        "rocketmq_send_back_nums",
        "Messages the group's consumers sent back for retry per second over the last minute (SNDBCK_PUT_NUMS)",
    );
    for (key, i) in b.stats.sndbck_put_nums.entries() {
        if let Some((topic, group)) = key.split_once('@') {
            back.set(
                &[
                    ("cluster", cluster),
                    ("broker", broker),
                    ("topic", topic),
                    ("group", group),
                ],
                minute(&i).tps,
            );
        }
    }
}

/// Consumer lag: per queue, per group and topic (exporter's `rocketmq_group_diff`), as
/// GET_CONSUME_STATS (`consumerProgress`) computes it: the topic's read queues, broker max
/// offset minus the committed offset (0 where none was committed).
fn lag(s: &mut Scrape, b: &BrokerInner, cluster: &str, broker: &str) {
    let diff = s.gauges(
        "rocketmq_group_diff",
        "Messages the group has yet to consume from the topic on this broker (consumerProgress Diff Total)",
    );
    let retry_diff = s.gauges(
        "rocketmq_group_retrydiff",
        "Messages the group has yet to consume from its retry topic on this broker",
    );
    let dlq_diff = s.gauges(
        "rocketmq_group_dlqdiff",
        "Messages the group has yet to consume from a dead-letter topic on this broker",
    );
    let broker_offset = s.gauges(
        "rocketmq_consumer_offset",
        "Sum of the broker max offsets of the topic's queues the group consumes",
    );
    let latency = s.gauges(
        "rocketmq_group_get_latency_by_storetime",
        "Milliseconds since the oldest message the group has yet to consume was stored (0 when caught up)",
    );
    let queue_lag = s.gauges(
        "rocklet_consumer_lag",
        "Messages the group has yet to consume from one queue (broker max offset - committed offset)",
    );
    let committed = s.gauges(
        "rocklet_consumer_offset",
        "The group's committed offset for one queue",
    );
    let online: BTreeMap<String, (usize, bool)> = b
        .clients
        .online_groups()
        .into_iter()
        .map(|(g, n, bc)| (g, (n, bc)))
        .collect();
    let now = crate::processor::now_ms();
    for (topic, group, offsets) in b.offsets.snapshot() {
        let Some(tc) = b.topics.select(&topic) else {
            continue;
        };
        if b.clients.online_elsewhere(&group, &topic) {
            continue;
        }
        let offsets: BTreeMap<i32, i64> = offsets.into_iter().collect();
        let (mut total, mut max_sum, mut oldest) = (0i64, 0i64, 0i64);
        for q in 0..tc.read_queue_nums.max(0) {
            let max = b.store.max_offset_in_queue(&topic, q).max(0);
            let done = offsets.get(&q).copied().unwrap_or(0).max(0);
            let qid = q.to_string();
            let l = [
                ("cluster", cluster),
                ("broker", broker),
                ("topic", topic.as_str()),
                ("group", group.as_str()),
                ("queueid", qid.as_str()),
            ];
            queue_lag.set(&l, (max - done) as f64);
            committed.set(&l, done as f64);
            total += max - done;
            max_sum += max;
            if max > done {
                if let Some(t) = b
                    .store
                    .message_store_time(&topic, q, done)
                    .filter(|t| *t > 0)
                {
                    oldest = oldest.max(now - t);
                }
            }
        }
        let (count, broadcasting) = online.get(&group).copied().unwrap_or((0, false));
        let count = count.to_string();
        // MessageModel's ordinal: BROADCASTING 0, CLUSTERING 1.
        let model = if broadcasting { "0" } else { "1" };
        let l = [
            ("group", group.as_str()),
            ("topic", topic.as_str()),
            ("countOfOnlineConsumers", count.as_str()),
            ("msgModel", model),
        ];
        let family = if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
            &retry_diff
        } else if topic.starts_with(DLQ_GROUP_TOPIC_PREFIX) {
            &dlq_diff
        } else {
            &diff
        };
        family.set(&l, total as f64);
        let l = [
            ("cluster", cluster),
            ("broker", broker),
            ("topic", topic.as_str()),
            ("group", group.as_str()),
        ];
        broker_offset.set(&l, max_sum as f64);
        latency.set(&l, oldest.max(0) as f64);
    }
}

/// Java's runtime info (`brokerStatus`) under the exporter's `rocketmq_brokeruntime_*` names,
/// the broker-wide TPS, the store, and the send latency histogram.
fn broker_runtime(s: &mut Scrape, b: &BrokerInner, cluster: &str, broker: &str) {
    let st = &b.stats;
    let store = &b.store;
    let totals = store.stats();
    let l = [
        ("cluster", cluster),
        ("brokerIP", b.addr.as_str()),
        ("broker", broker),
    ];
    s.gauges(
        "rocketmq_broker_tps",
        "Messages put into the broker per second over the last minute (BROKER_PUT_NUMS)",
    )
    .set(&l, st.broker_put_nums.minute().tps);
    s.gauges(
        "rocketmq_broker_qps",
        "Messages pulled from the broker per second over the last minute (BROKER_GET_NUMS)",
    )
    .set(&l, st.broker_get_nums.minute().tps);

    // Fixed at start: a label that moved between scrapes would start a new series each time.
    let boot = b.boot_ms.to_string();
    let version = rocklet_protocol::ROCKETMQ_VERSION_4_9_3.to_string();
    let rl = [
        ("cluster", cluster),
        ("brokerIP", b.addr.as_str()),
        ("brokerHost", broker),
        ("des", "V4_9_3"),
        ("boottime", boot.as_str()),
        ("broker_version", version.as_str()),
    ];
    let mut rt = |name: &str, help: &str, v: f64| s.gauges(name, help).set(&rl, v);
    type Counter = fn(&rocklet_store::stats::StoreTotals) -> u64;
    let tps_sets: [(&str, &str, Counter); 5] = [
        ("put", "Messages stored", |t| t.put_times),
        ("getfound", "Reads that found messages", |t| t.get_found),
        ("getmiss", "Reads that found none", |t| t.get_miss),
        ("gettransfered", "Messages handed out by reads", |t| {
            t.transferred
        }),
        ("gettotal", "Reads", |t| t.get_found + t.get_miss),
    ];
    for (name, what, counter) in tps_sets {
        for secs in [10usize, 60, 600] {
            rt(
                &format!("rocketmq_brokeruntime_{name}_tps{secs}"),
                &format!("{what} per second over the last {secs} s (brokerStatus)"),
                st.store_tps(secs, counter),
            );
        }
    }
    let mornings = st.mornings();
    rt(
        "rocketmq_brokeruntime_msg_put_total_today_now",
        "Messages stored since start (msgPutTotalTodayNow)",
        totals.put_times as f64,
    );
    rt(
        "rocketmq_brokeruntime_msg_gettotal_today_now",
        "Messages handed out since start (msgGetTotalTodayNow)",
        totals.transferred as f64,
    );
    rt(
        "rocketmq_brokeruntime_msg_puttotal_todaymorning",
        "msgPutTotalTodayMorning",
        mornings.put_today as f64,
    );
    rt(
        "rocketmq_brokeruntime_msg_gettotal_todaymorning",
        "msgGetTotalTodayMorning",
        mornings.get_today as f64,
    );
    rt(
        "rocketmq_brokeruntime_msg_puttotal_yesterdaymorning",
        "msgPutTotalYesterdayMorning",
        mornings.put_yesterday as f64,
    );
    rt(
        "rocketmq_brokeruntime_msg_gettotal_yesterdaymorning",
        "msgGetTotalYesterdayMorning",
        mornings.get_yesterday as f64,
    );
    rt(
        "rocketmq_brokeruntime_putmessage_times_total",
        "Messages stored since start (putMessageTimesTotal)",
        totals.put_times as f64,
    );
    rt(
        "rocketmq_brokeruntime_put_message_size_total",
        "Bytes of stored records since start (putMessageSizeTotal)",
        totals.put_size as f64,
    );
    rt(
        "rocketmq_brokeruntime_put_message_average_size",
        "Average stored record size, bytes (putMessageAverageSize)",
        totals.put_size as f64 / totals.put_times.max(1) as f64,
    );
    let root = &b.cfg.store_path_root_dir;
    let commit_log_dir = root.join("commitlog");
    rt(
        "rocketmq_brokeruntime_commitlog_disk_ratio",
        "Used fraction of the commit log's partition (commitLogDiskRatio)",
        rocklet_store::stats::disk_used_ratio(&commit_log_dir),
    );
    rt(
        "rocketmq_brokeruntime_consumequeue_disk_ratio",
        "Used fraction of the consume queues' partition (consumeQueueDiskRatio)",
        rocklet_store::stats::disk_used_ratio(&root.join("consumequeue")),
    );
    let (min, max) = (store.commit_log_min_offset(), store.commit_log_max_offset());
    rt(
        "rocketmq_brokeruntime_commitlog_maxoffset",
        "Offset after the last commit-log byte (commitLogMaxOffset)",
        max as f64,
    );
    rt(
        "rocketmq_brokeruntime_commitlog_minoffset",
        "Start offset of the first commit-log file (commitLogMinOffset)",
        min as f64,
    );
    rt(
        "rocketmq_brokeruntime_remain_howmanydata_toflush",
        "Commit-log bytes written but not yet flushed",
        (max - store.commit_log_flushed_offset()).max(0) as f64,
    );
    if let Some((total, _, usable)) = rocklet_store::stats::disk_space(root) {
        rt(
            "rocketmq_brokeruntime_commitlogdir_capacity_total",
            "Size of the store's partition, bytes",
            total as f64,
        );
        rt(
            "rocketmq_brokeruntime_commitlogdir_capacity_free",
            "Usable free space of the store's partition, bytes",
            usable as f64,
        );
    }
    // Java's putMessageDistributeTime buckets, from the send latency histogram.
    let counts = st.send_latency.counts();
    let upto = |bound_us: u64| -> u64 {
        SEND_LATENCY_BOUNDS_US
            .iter()
            .zip(counts.iter())
            .take_while(|(b, _)| **b <= bound_us)
            .map(|(_, c)| *c)
            .sum()
    };
    let steps: [(&str, u64); 13] = [
        ("0ms", 1_000),
        ("0to10ms", 10_000),
        ("10to50ms", 50_000),
        ("50to100ms", 100_000),
        ("100to200ms", 200_000),
        ("200to500ms", 500_000),
        ("500to1s", 1_000_000),
        ("1to2s", 2_000_000),
        ("2to3s", 3_000_000),
        ("3to4s", 4_000_000),
        ("4to5s", 5_000_000),
        ("5to10s", 10_000_000),
        ("10stomore", u64::MAX),
    ];
    let mut below = 0u64;
    for (name, bound) in steps {
        let n = if bound == u64::MAX {
            counts.iter().sum::<u64>()
        } else {
            upto(bound)
        };
        rt(
            &format!("rocketmq_brokeruntime_pmdt_{name}"),
            "Sends whose store append took this long since start (putMessageDistributeTime; 0ms = under 1 ms)",
            (n - below) as f64,
        );
        below = n;
    }
    rt(
        "rocketmq_brokeruntime_pagecache_lock_time_mills",
        "How long the put appending now has held the commit-log lock, ms (pageCacheLockTimeMills; over osPageCacheBusyTimeOutMills puts are refused)",
        store.lock_time_ms() as f64,
    );
    let per_bucket: Vec<(f64, u64)> = SEND_LATENCY_BOUNDS_US
        .iter()
        .map(|us| *us as f64 / 1e6)
        .chain([f64::INFINITY])
        .zip(counts.iter().copied())
        .collect();
    s.histogram(
        "rocklet_send_latency_seconds",
        "Time the store took to append a send (one message or a batch)",
        st.send_latency.sum_us() as f64 / 1e6,
        &per_bucket,
    );
    s.gauge(
        "rocklet_store_commitlog_bytes",
        "Bytes held by the commit log (max offset - min offset)",
        (max - min).max(0) as f64,
    );
    s.counter(
        "rocklet_store_flushes",
        "Commit-log flushes that wrote something",
        totals.flushes as f64,
    );
    s.counter(
        "rocklet_store_flush_seconds",
        "Time spent in those flushes (rate over rocklet_store_flushes_total = mean flush latency)",
        totals.flush_us as f64 / 1e6,
    );
    let (counts, sum_us) = store.flush_latency();
    let per_bucket: Vec<(f64, u64)> = rocklet_store::stats::FLUSH_LATENCY_BOUNDS_US
        .iter()
        .map(|us| *us as f64 / 1e6)
        .chain([f64::INFINITY])
        .zip(counts)
        .collect();
    s.histogram(
        "rocklet_store_flush_latency_seconds",
        "Time each commit-log flush (msync) that wrote something took",
        sum_us as f64 / 1e6,
        &per_bucket,
    );
    s.counter(
        "rocklet_store_damaged_reads",
        "Damaged records found by reads, not served",
        totals.damaged_reads as f64,
    );
    s.gauge(
        "rocklet_store_writable",
        "1 while the store accepts puts (disk below the warning level), else 0",
        if store.is_writable() { 1.0 } else { 0.0 },
    );
}

/// Connections, write queues and held (long-polling) pulls.
fn connections(s: &mut Scrape, b: &BrokerInner, main: &ServerStats, fast: &ServerStats) {
    let conns = s.gauges("rocklet_connections", "Client connections open now");
    let queued = s.gauges(
        "rocklet_connection_write_queued_bytes",
        "Bytes queued for writing over every connection",
    );
    let idle = s.counters(
        "rocklet_connections_idle_closed",
        "Connections closed for being idle",
    );
    for (port, st) in [("main", main), ("fast", fast)] {
        let l = [("port", port)];
        conns.set(&l, st.connections() as f64);
        queued.set(&l, st.queued_bytes() as f64);
        idle.set(&l, st.idle_closed() as f64);
    }
    let h = b.hold.stats();
    s.gauge(
        "rocklet_pull_held",
        "Pulls held now (long polling)",
        h.held as f64,
    );
    s.counter(
        "rocklet_pull_hold_woken",
        "Held pulls woken by a put to their queue",
        h.woken_by_arrival as f64,
    );
    s.counter(
        "rocklet_pull_hold_timed_out",
        "Held pulls whose wait ended with nothing new",
        h.timed_out as f64,
    );
    s.counter(
        "rocklet_pull_hold_refused",
        "Pulls answered at once because a hold cap was reached",
        h.refused as f64,
    );
}
