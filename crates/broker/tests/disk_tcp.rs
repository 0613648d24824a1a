//! Retention and the disk guard over real TCP (Java `CleanCommitLogService` and the
//! `isSpaceFull` check; the disk-full answer of `SendMessageProcessor.handlePutMessageResult`).

mod common;

use std::time::{Duration, Instant};

use common::*;
use rocklet_broker::BrokerConfig;
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};

const DISK_FULL_PREFIX: &str = "service not available now. It may be caused by one of the following reasons: the broker's disk is full [CL: ";
const DISK_FULL_SUFFIX: &str =
    "], messages are put to the slave, message store has been shut down, etc.";

fn min_offset_req(topic: &str, queue_id: i32) -> RemotingCommand {
    RemotingCommand::request(
        RequestCode::GET_MIN_OFFSET,
        &QueueRequestHeader {
            topic: topic.into(),
            queue_id,
        },
    )
}

async fn min_offset(e: &Env, topic: &str) -> i64 {
    let r = e.call(min_offset_req(topic, 0)).await;
    assert_eq!(r.code, 0);
    r.header::<OffsetResponseHeader>().unwrap().offset
}

#[tokio::test]
async fn expired_commit_log_files_are_deleted_and_offsets_move() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = BrokerConfig {
        mapped_file_size_commit_log: 64 * 1024,
        max_message_size: 32 * 1024,
        file_reserved_time_ms: Some(300),
        // Every hour is a deleteWhen hour.
        delete_when: (0..24)
            .map(|h| format!("{h:02}"))
            .collect::<Vec<_>>()
            .join(";"),
        clean_resource_interval: 100,
        clean_resource_first_delay: 100,
        delete_commit_log_files_interval: 0,
        delete_consume_queue_files_interval: 0,
        ..config(dir.path())
    };
    let e = start(cfg).await;
    let body = vec![b'r'; 1024];
    for _ in 0..300 {
        send_ok(&e, send_v1("Retained", 0, "", &body)).await;
    }
    let files = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count();
    assert!(files >= 4, "{files} commit-log files");
    // The clean service deletes every file but the one being written once it is 300 ms old.
    let t = Instant::now();
    while std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count()
        > 1
    {
        assert!(t.elapsed() < Duration::from_secs(20), "files not deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let t = Instant::now();
    let min = loop {
        let m = min_offset(&e, "Retained").await;
        if m > 0 {
            break m;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "min offset never moved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(min < 300, "{min}");
    assert!(e.broker.store().commit_log_min_offset() > 0);
    // A pull below the min offset is corrected to it.
    let (r, msgs) = pull(&e, &pull_header("Retained", 0, 0, "*")).await;
    assert_eq!(
        r.code,
        ResponseCode::PULL_OFFSET_MOVED.as_i32(),
        "{:?}",
        r.remark
    );
    assert!(msgs.is_empty());
    assert_eq!(pull_resp(&r).next_begin_offset, min);
    assert_eq!(pull_resp(&r).min_offset, min);
    // The newest messages still read.
    let (r, msgs) = pull(&e, &pull_header("Retained", 0, 299, "*")).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body().unwrap(), &body[..]);
    // Consume-queue files below the commit log went too: none left points below its min once
    // the cleaning round that follows the last commit-log deletion has corrected the queue's
    // min (a round may fall between the reads above).
    let t = Instant::now();
    loop {
        let qmin = min_offset(&e, "Retained").await;
        let (_, _, entries) = e
            .broker
            .store()
            .consume_queue_entries("Retained", 0, qmin, 1)
            .unwrap();
        if entries[0].commit_log_offset >= e.broker.store().commit_log_min_offset() {
            assert!(qmin >= min);
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the queue's min entry {qmin} still points below the commit log's min"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    e.broker.shutdown().await;
}

#[tokio::test]
async fn a_full_disk_refuses_sends_with_code_14_and_keeps_serving_reads() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = BrokerConfig {
        disk_check_interval: 50,
        ..config(dir.path())
    };
    let e = start(cfg).await;
    send_ok(&e, send_v1("Full", 0, "A", b"before")).await;
    // Force the level: any usage is above a warning level of 0.
    e.broker.store().set_disk_space_levels(0.0, 1.0);
    let t = Instant::now();
    while e.broker.store().is_writable() {
        assert!(t.elapsed() < Duration::from_secs(5), "never marked full");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for cmd in [
        send_v1("Full", 0, "A", b"refused"),
        send_v2(&send_header("Full", 0, props("A", "", "")), b"refused"),
    ] {
        let r = e.call(cmd).await;
        assert_eq!(r.code, ResponseCode::SERVICE_NOT_AVAILABLE.as_i32());
        assert_eq!(r.code, 14);
        let remark = r.remark.unwrap_or_default();
        assert!(
            remark.starts_with(DISK_FULL_PREFIX) && remark.ends_with(DISK_FULL_SUFFIX),
            "{remark}"
        );
        // `CL: %5.2f CQ: %5.2f INDEX: %5.2f`
        let util = &remark[DISK_FULL_PREFIX.len() - 4..remark.len() - DISK_FULL_SUFFIX.len()];
        let parts: Vec<&str> = util.split_whitespace().collect();
        assert_eq!(parts.len(), 6, "{util}");
        assert_eq!((parts[0], parts[2], parts[4]), ("CL:", "CQ:", "INDEX:"));
        assert!(parts[1].parse::<f64>().unwrap() > 0.0, "{util}");
    }
    // Reads, heartbeats and admin calls still work.
    let (r, msgs) = pull(&e, &pull_header("Full", 0, 0, "*")).await;
    assert_eq!(r.code, 0);
    assert_eq!(msgs.len(), 1);
    assert_eq!(e.call(heartbeat("c1@1", "grp", "Full", "*")).await.code, 0);
    assert_eq!(min_offset(&e, "Full").await, 0);
    let r = e
        .call(RemotingCommand::request_bare(
            RequestCode::GET_BROKER_CONFIG,
        ))
        .await;
    assert_eq!(r.code, 0);
    let text = String::from_utf8_lossy(r.body_bytes()).to_string();
    for k in [
        "fileReservedTime=72",
        "deleteWhen=04",
        "diskMaxUsedSpaceRatio=75",
        "cleanResourceInterval=10000",
        "destroyMapedFileIntervalForcibly=120000",
        "cleanFileForciblyEnable=true",
    ] {
        assert!(text.lines().any(|l| l == k), "{k} missing");
    }
    // The level lowered again: sends resume without a restart.
    e.broker.store().set_disk_space_levels(0.99, 0.99);
    let t = Instant::now();
    loop {
        let r = e.call(send_v1("Full", 0, "A", b"after")).await;
        if r.code == 0 {
            break;
        }
        assert_eq!(r.code, 14);
        assert!(t.elapsed() < Duration::from_secs(5), "sends never resumed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, msgs) = pull(&e, &pull_header("Full", 0, 0, "*")).await;
    assert_eq!(msgs.len(), 2);
    e.broker.shutdown().await;
}

#[tokio::test]
async fn the_warning_level_is_a_broker_property() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    let props = rocklet_broker::config::parse_properties(
        "rocketmq.broker.diskSpaceWarningLevelRatio=0.0\ndiskCheckInterval=50\n",
    );
    cfg.apply(&props).unwrap();
    let e = start(cfg).await;
    // Read-only from the start: the store checks the disk when it opens.
    let r = e.call(send_v1("Prop", 0, "A", b"x")).await;
    assert_eq!(r.code, 14, "{:?}", r.remark);
    e.broker.shutdown().await;
}
