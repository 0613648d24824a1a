//! What the broker reports about itself: runtime information (`brokerStatus`, `clusterList`),
//! the stats windows (`statsAll`), and the offset tables slaves copy.

use rocklet_protocol::body::{encode_json, BrokerStatsData, BrokerStatsItem, KvTable};
use rocklet_protocol::header::ViewBrokerStatsDataRequestHeader;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use rocklet_remoting::ConnCtx;
use rocklet_store::stats::{disk_space, disk_used_ratio};

use super::super::{fail, now_ms, ok, Res, B};
use crate::stats::{java_double, StatsSnapshot};
use crate::topic::SCHEDULE_TOPIC;

/// Java's thread-pool queue capacities (`BrokerConfig` defaults). Rocklet has no such queues:
/// requests run on the connection's task, so the sizes and head waits are always 0.
const SEND_QUEUE_CAPACITY: u32 = 10_000;
const PULL_QUEUE_CAPACITY: u32 = 100_000;
const QUERY_QUEUE_CAPACITY: u32 = 20_000;
const END_TRANSACTION_QUEUE_CAPACITY: u32 = 100_000;

/// `MixAll.humanReadableByteCount(bytes, false)`.
fn human_bytes(bytes: i64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let exp = ((bytes as f64).ln() / 1024f64.ln()) as i32;
    let unit = b"KMGTPE"[(exp - 1).clamp(0, 5) as usize] as char;
    format!("{:.1} {unit}iB", bytes as f64 / 1024f64.powi(exp))
}

/// `[ d days, h hours, m minutes, s seconds ]` as Java's `StoreStatsService` prints uptime.
fn runtime_text(secs: u64) -> String {
    format!(
        "[ {} days, {} hours, {} minutes, {} seconds ]",
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// GET_BROKER_RUNTIME_INFO: every key Java 4.9.3's `prepareRuntimeInfo` fills.
pub(in crate::processor) fn runtime_info(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let s = &b.store;
    let st = &b.stats;
    let totals = s.stats();
    let mornings = st.mornings();
    let uptime = b.started.elapsed();
    let mut t = KvTable::default();
    let mut put = |k: &str, v: String| {
        t.table.insert(k.to_owned(), v);
    };
    // StoreStatsService
    put(
        "bootTimestamp",
        (now_ms() - uptime.as_millis() as i64).to_string(),
    );
    put("runtime", runtime_text(uptime.as_secs()));
    put("putMessageEntireTimeMax", "0".into());
    // Java reports 1 for an empty broker (a divisor guard that leaks into the answer).
    put("putMessageTimesTotal", totals.put_times.max(1).to_string());
    put("putMessageFailedTimes", "0".into());
    put("putMessageSizeTotal", totals.put_size.to_string());
    put("putMessageDistributeTime", "null".into());
    put(
        "putMessageAverageSize",
        java_double(totals.put_size as f64 / totals.put_times.max(1) as f64),
    );
    put("dispatchMaxBuffer", "0".into());
    put("getMessageEntireTimeMax", "0".into());
    put("putTps", st.store_tps_line(|t| t.put_times));
    put("getFoundTps", st.store_tps_line(|t| t.get_found));
    put("getMissTps", st.store_tps_line(|t| t.get_miss));
    put("getTransferedTps", st.store_tps_line(|t| t.transferred));
    put(
        "getTotalTps",
        st.store_tps_line(|t| t.get_found + t.get_miss),
    );
    // DefaultMessageStore
    let root = &b.cfg.store_path_root_dir;
    let commit_log_dir = root.join("commitlog");
    let ratio = disk_used_ratio(&commit_log_dir);
    put(
        &format!("commitLogDiskRatio_{}", commit_log_dir.display()),
        java_double(ratio),
    );
    put("commitLogDiskRatio", java_double(ratio));
    put(
        "consumeQueueDiskRatio",
        java_double(disk_used_ratio(&root.join("consumequeue"))),
    );
    for (level, offset) in b.delay_offsets.all() {
        let max = s.max_offset_in_queue(SCHEDULE_TOPIC, level - 1);
        put(
            &format!("scheduleMessageOffset_{level}"),
            format!("{offset},{max}"),
        );
    }
    let min = s.commit_log_min_offset();
    put("commitLogMinOffset", min.to_string());
    put("commitLogMaxOffset", s.commit_log_max_offset().to_string());
    // AdminBrokerProcessor
    put("brokerVersionDesc", "V4_9_3".into());
    put(
        "brokerVersion",
        rocklet_protocol::ROCKETMQ_VERSION_4_9_3.to_string(),
    );
    put(
        "msgPutTotalYesterdayMorning",
        mornings.put_yesterday.to_string(),
    );
    put("msgPutTotalTodayMorning", mornings.put_today.to_string());
    put("msgPutTotalTodayNow", totals.put_times.to_string());
    put(
        "msgGetTotalYesterdayMorning",
        mornings.get_yesterday.to_string(),
    );
    put("msgGetTotalTodayMorning", mornings.get_today.to_string());
    put("msgGetTotalTodayNow", totals.transferred.to_string());
    for (name, cap) in [
        ("send", SEND_QUEUE_CAPACITY),
        ("pull", PULL_QUEUE_CAPACITY),
        ("query", QUERY_QUEUE_CAPACITY),
    ] {
        put(&format!("{name}ThreadPoolQueueSize"), "0".into());
        put(&format!("{name}ThreadPoolQueueCapacity"), cap.to_string());
        put(
            &format!("{name}ThreadPoolQueueHeadWaitTimeMills"),
            "0".into(),
        );
    }
    put("EndTransactionQueueSize", "0".into());
    put(
        "EndTransactionThreadPoolQueueCapacity",
        END_TRANSACTION_QUEUE_CAPACITY.to_string(),
    );
    // Consume queues are written inside the append: nothing is ever behind.
    put("dispatchBehindBytes", "0".into());
    put("pageCacheLockTimeMills", s.lock_time_ms().to_string());
    let earliest = s
        .look_message_by_offset(min)
        .and_then(|rec| rocklet_protocol::message::MessageExt::decode(&rec).ok())
        .map_or(-1, |(m, _)| m.store_timestamp);
    put("earliestMessageTimeStamp", earliest.to_string());
    put("startAcceptSendRequestTimeStamp", "0".into());
    put("remainTransientStoreBufferNumbs", i32::MAX.to_string());
    put(
        "remainHowManyDataToFlush",
        human_bytes(s.commit_log_max_offset() - s.commit_log_flushed_offset()),
    );
    if let Some((total, _, usable)) = disk_space(root) {
        put(
            "commitLogDirCapacity",
            format!(
                "Total : {}, Free : {}.",
                human_bytes(total as i64),
                human_bytes(usable as i64)
            ),
        );
    }
    Ok(ok(req).with_body(encode_json(&t)))
}

fn item(s: StatsSnapshot) -> BrokerStatsItem {
    BrokerStatsItem {
        avgpt: s.avgpt,
        sum: s.sum as i64,
        tps: s.tps,
    }
}

/// VIEW_BROKER_STATS_DATA: one counter's minute, hour and day windows.
pub(in crate::processor) fn view_stats(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    let h: ViewBrokerStatsDataRequestHeader = req.header()?;
    let Some([minute, hour, day]) = b.stats.windows(&h.stats_name, &h.stats_key) else {
        return Ok(fail(
            req,
            ResponseCode::SYSTEM_ERROR,
            format!("The stats <{}> <{}> not exist", h.stats_name, h.stats_key),
        ));
    };
    Ok(ok(req).with_body(encode_json(&BrokerStatsData {
        stats_day: item(day),
        stats_hour: item(hour),
        stats_minute: item(minute),
    })))
}

/// GET_ALL_CONSUMER_OFFSET: the consumer offset table as Java's file holds it.
pub(in crate::processor) fn all_consumer_offsets(
    b: &B,
    _ctx: &ConnCtx,
    req: &RemotingCommand,
) -> Res {
    Ok(ok(req).with_body(b.offsets.encode_fastjson()))
}

/// GET_ALL_DELAY_OFFSET: delivery progress of each delay level.
pub(in crate::processor) fn all_delay_offsets(b: &B, _ctx: &ConnCtx, req: &RemotingCommand) -> Res {
    Ok(ok(req).with_body(b.delay_offsets.encode_fastjson()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_texts() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(650), "650 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(252 * 1024 * 1024 * 1024), "252.0 GiB");
        assert_eq!(
            runtime_text(107),
            "[ 0 days, 0 hours, 1 minutes, 47 seconds ]"
        );
    }
}
