//! Functional tests of the MessageStore API.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use rocklet_protocol::message::java_string_hash;
use rocklet_protocol::msgid;
use rocklet_store::{
    record, FlushDiskType, GetStatus, MessageStore, PutStatus, StoreConfig, StoreError,
};

#[test]
fn put_get_and_offset_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        for i in 0..10 {
            let r = s
                .put_message(msg(
                    "T",
                    1,
                    format!("body-{i}"),
                    props(Some("A"), None, None),
                ))
                .await
                .unwrap();
            assert_eq!(r.status, PutStatus::PutOk);
            assert_eq!(r.queue_offset, i);
            assert_eq!(r.msg_num, 1);
            assert_eq!(r.msg_ids.len(), 1);
            assert_eq!(
                r.msg_ids[0],
                msgid::create_offset_msg_id(s.config().store_host, r.wrote_offset)
            );
        }
    });
    assert_eq!(s.max_offset_in_queue("T", 1), 10);
    assert_eq!(s.min_offset_in_queue("T", 1), 0);
    let g = s.get_message("T", 1, 0, 32, None);
    assert_eq!(g.status, GetStatus::Found);
    assert_eq!(g.messages.len(), 10);
    assert_eq!(g.next_begin_offset, 10);
    assert_eq!((g.min_offset, g.max_offset), (0, 10));
    for (i, m) in g.messages.iter().enumerate() {
        let d = record::decode(m).unwrap();
        assert_eq!(d.body, format!("body-{i}").as_bytes());
        assert_eq!(d.queue_offset, i as i64);
        assert_eq!(d.queue_id, 1);
        assert_eq!(d.topic, "T");
        assert_eq!(d.store_host, s.config().store_host);
        assert_eq!(d.born_host, "10.1.2.3:40000".parse().unwrap());
    }
    let g = s.get_message("T", 1, 3, 4, None);
    assert_eq!(g.messages.len(), 4);
    assert_eq!(g.next_begin_offset, 7);
    assert_eq!(body_of(&g.messages[0]), b"body-3");

    let g = s.get_message("T", 1, -1, 32, None);
    assert_eq!(g.status, GetStatus::OffsetTooSmall);
    assert_eq!(g.next_begin_offset, 0);
    let g = s.get_message("T", 1, 10, 32, None);
    assert_eq!(g.status, GetStatus::OffsetOverflowOne);
    assert_eq!(g.next_begin_offset, 10);
    let g = s.get_message("T", 1, 11, 32, None);
    assert_eq!(g.status, GetStatus::OffsetOverflowBadly);
    assert_eq!(g.next_begin_offset, 0);
    let g = s.get_message("T", 2, 0, 32, None);
    assert_eq!(g.status, GetStatus::NoMessageInQueue);
    assert_eq!(s.max_offset_in_queue("nope", 0), 0);
    assert_eq!(s.topic_queues(), vec![("T".to_string(), 1)]);
    s.shutdown();
    s.shutdown();
}

#[test]
fn get_respects_transfer_limits() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        for _ in 0..40 {
            s.put_message(msg("T", 0, vec![1u8; 100], String::new()))
                .await
                .unwrap();
        }
    });
    let g = s.get_message("T", 0, 0, 64, None);
    assert_eq!(g.messages.len(), 32, "max_transfer_count_on_message");
    assert_eq!(g.next_begin_offset, 32);
}

#[test]
fn tag_filter() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        for i in 0..10 {
            let tag = if i % 2 == 0 { "TagA" } else { "TagB" };
            s.put_message(msg("T", 0, format!("{i}"), props(Some(tag), None, None)))
                .await
                .unwrap();
        }
    });
    let a = i64::from(java_string_hash("TagA"));
    let only_a = move |code: i64| code == a;
    let g = s.get_message("T", 0, 0, 32, Some(&only_a));
    assert_eq!(g.status, GetStatus::Found);
    let bodies: Vec<_> = g.messages.iter().map(|m| body_of(m)).collect();
    assert_eq!(
        bodies,
        ["0", "2", "4", "6", "8"].map(|s| s.as_bytes().to_vec())
    );
    let none = |_: i64| false;
    let g = s.get_message("T", 0, 0, 32, Some(&none));
    assert_eq!(g.status, GetStatus::NoMatchedMessage);
    assert_eq!(g.next_begin_offset, 10);
    assert!(g.messages.is_empty());
}

#[test]
fn query_by_key_and_uniq_key_with_time_range() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let (t1, t2) = rt().block_on(async {
        let r1 = s
            .put_message(msg(
                "T",
                0,
                "a",
                props(None, Some("order-1 k2"), Some("U1")),
            ))
            .await
            .unwrap();
        s.put_message(msg("Other", 0, "x", props(None, Some("order-1"), None)))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let r2 = s
            .put_message(msg("T", 1, "b", props(None, Some("order-1"), Some("U2"))))
            .await
            .unwrap();
        (r1.store_timestamp, r2.store_timestamp)
    });
    let bodies = |v: Vec<bytes::Bytes>| v.iter().map(|m| body_of(m)).collect::<Vec<_>>();
    assert_eq!(
        bodies(s.query_message("T", "order-1", 10, 0, i64::MAX)),
        vec![b"b".to_vec(), b"a".to_vec()]
    );
    assert_eq!(
        bodies(s.query_message("T", "order-1", 1, 0, i64::MAX)),
        vec![b"b".to_vec()]
    );
    assert_eq!(
        bodies(s.query_message("T", "k2", 10, 0, i64::MAX)),
        vec![b"a".to_vec()]
    );
    assert_eq!(
        bodies(s.query_message("T", "U2", 10, 0, i64::MAX)),
        vec![b"b".to_vec()]
    );
    assert_eq!(
        bodies(s.query_message("T", "U1", 10, t1, t1)),
        vec![b"a".to_vec()]
    );
    assert!(s.query_message("T", "U1", 10, t2, i64::MAX).is_empty());
    assert_eq!(
        bodies(s.query_message("T", "order-1", 10, t2, t2)),
        vec![b"b".to_vec()]
    );
    assert!(s.query_message("T", "missing", 10, 0, i64::MAX).is_empty());
    assert_eq!(
        bodies(s.query_message("Other", "order-1", 10, 0, i64::MAX)),
        vec![b"x".to_vec()]
    );
    // Survives a restart (index rebuilt from the commit log).
    drop(s);
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    wait_key_index(&s);
    assert_eq!(s.query_message("T", "order-1", 10, 0, i64::MAX).len(), 2);
    assert_eq!(s.query_message("T", "U1", 10, 0, i64::MAX).len(), 1);
}

#[test]
fn offset_by_time_earliest_time_and_look_by_offset() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    assert_eq!(s.offset_in_queue_by_time("T", 0, 0), 0);
    assert_eq!(s.earliest_message_time("T", 0), None);
    let results = rt().block_on(async {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(
                s.put_message(msg("T", 0, format!("m{i}"), String::new()))
                    .await
                    .unwrap(),
            );
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        v
    });
    let ts: Vec<i64> = results.iter().map(|r| r.store_timestamp).collect();
    assert!(ts.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(s.earliest_message_time("T", 0), Some(ts[0]));
    for (i, t) in ts.iter().enumerate() {
        assert_eq!(s.offset_in_queue_by_time("T", 0, *t), i as i64);
        assert_eq!(s.message_store_time("T", 0, i as i64), Some(*t));
    }
    assert_eq!(s.offset_in_queue_by_time("T", 0, ts[0] - 1000), 0);
    assert_eq!(s.offset_in_queue_by_time("T", 0, ts[5] + 1000), 5);
    assert_eq!(s.offset_in_queue_by_time("T", 0, ts[2] + 1), 2);
    assert_eq!(s.offset_in_queue_by_time("T", 0, ts[3] - 1), 3);

    let r = &results[3];
    let raw = s.look_message_by_offset(r.wrote_offset).unwrap();
    assert_eq!(raw.len(), r.wrote_bytes as usize);
    let d = record::decode(&raw).unwrap();
    assert_eq!(d.body, "m3".as_bytes());
    assert_eq!(d.physical_offset, r.wrote_offset);
    let (host, off) = msgid::decode_offset_msg_id(&r.msg_ids[0]).unwrap();
    assert_eq!((host, off), (s.config().store_host, r.wrote_offset));
    assert!(s.look_message_by_offset(r.wrote_offset + 1).is_none());
    assert!(s.look_message_by_offset(-5).is_none());
    assert!(s
        .look_message_by_offset(s.commit_log_max_offset())
        .is_none());
}

#[test]
fn file_rollover_writes_blank_padding() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let file_size = 64 * 1024i64;
    let results = rt().block_on(async {
        let mut v = Vec::new();
        for i in 0..20u8 {
            v.push(
                s.put_message(msg("T", 0, vec![i; 10_000], String::new()))
                    .await
                    .unwrap(),
            );
        }
        v
    });
    // Records never straddle files; the first record of each new file starts at its base.
    let mut rolled = 0;
    for w in results.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert_eq!(
            a.wrote_offset / file_size,
            (a.wrote_offset + a.wrote_bytes as i64 - 1) / file_size
        );
        if b.wrote_offset != a.wrote_offset + a.wrote_bytes as i64 {
            rolled += 1;
            assert_eq!(b.wrote_offset % file_size, 0);
            // Blank at the end of the previous file.
            let end = a.wrote_offset + a.wrote_bytes as i64;
            let path = dir
                .path()
                .join("commitlog")
                .join(format!("{:020}", end / file_size * file_size));
            let data = std::fs::read(path).unwrap();
            let pos = (end % file_size) as usize;
            let blank = i32::from_be_bytes(data[pos..pos + 4].try_into().unwrap());
            let magic = i32::from_be_bytes(data[pos + 4..pos + 8].try_into().unwrap());
            assert_eq!(blank as i64, file_size - end % file_size);
            assert_eq!(magic, record::BLANK_MAGIC_CODE);
        }
    }
    assert!(rolled >= 2);
    let files = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count();
    assert_eq!(files as i64, s.commit_log_max_offset() / file_size + 1);
    assert_eq!(s.commit_log_min_offset(), 0);
    for (i, r) in results.iter().enumerate() {
        let g = s.get_message("T", 0, i as i64, 1, None);
        assert_eq!(body_of(&g.messages[0]), vec![i as u8; 10_000]);
        assert_eq!(
            s.look_message_by_offset(r.wrote_offset).unwrap().len(),
            r.wrote_bytes as usize
        );
    }
}

#[test]
fn batch_put_is_contiguous() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        s.put_message(msg("T", 0, "first", String::new()))
            .await
            .unwrap();
        let batch: Vec<_> = (0..5)
            .map(|i| {
                msg(
                    "T",
                    0,
                    format!("b{i}"),
                    props(None, Some(&format!("bk{i}")), None),
                )
            })
            .collect();
        let r = s.put_messages(batch).await.unwrap();
        assert_eq!(r.queue_offset, 1);
        assert_eq!(r.msg_num, 5);
        assert_eq!(r.msg_ids.len(), 5);
        let mut off = r.wrote_offset;
        for id in &r.msg_ids {
            let (_, o) = msgid::decode_offset_msg_id(id).unwrap();
            assert_eq!(o, off);
            off += s.look_message_by_offset(o).unwrap().len() as i64;
        }
        assert_eq!(off, r.wrote_offset + r.wrote_bytes as i64);
        let g = s.get_message("T", 0, 1, 32, None);
        let bodies: Vec<_> = g.messages.iter().map(|m| body_of(m)).collect();
        assert_eq!(
            bodies,
            ["b0", "b1", "b2", "b3", "b4"].map(|s| s.as_bytes().to_vec())
        );
        assert_eq!(s.query_message("T", "bk3", 5, 0, i64::MAX).len(), 1);

        assert!(matches!(
            s.put_messages(vec![]).await,
            Err(StoreError::InvalidBatch(_))
        ));
        assert!(matches!(
            s.put_messages(vec![
                msg("T", 0, "x", String::new()),
                msg("T", 1, "y", String::new())
            ])
            .await,
            Err(StoreError::InvalidBatch(_))
        ));
        // A batch that does not fit in the rest of the file moves to the next file whole.
        let big: Vec<_> = (0..6)
            .map(|_| msg("T", 0, vec![7u8; 9000], String::new()))
            .collect();
        let r1 = s.put_messages(big.clone()).await.unwrap();
        let r2 = s.put_messages(big).await.unwrap();
        let fs = 64 * 1024;
        assert_eq!(r2.wrote_offset % fs, 0);
        assert_eq!(r2.queue_offset, r1.queue_offset + 6);
    });
}

#[test]
fn sync_flush_put_ok_and_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::SyncFlush);
    rt().block_on(async {
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.put_message(msg("T", i % 2, format!("{i}"), String::new()))
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, PutStatus::PutOk);
            assert!(s.commit_log_flushed_offset() >= r.wrote_offset + r.wrote_bytes as i64);
        }
    });
    drop(s);

    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        sync_flush_timeout_ms: 50,
        ..cfg(dir.path(), FlushDiskType::SyncFlush)
    })
    .unwrap();
    s.pause_flush_for_tests(true);
    rt().block_on(async {
        for i in 0..5 {
            let r = s
                .put_message(msg("T", 0, format!("{i}"), String::new()))
                .await
                .unwrap();
            assert_eq!(r.status, PutStatus::FlushDiskTimeout);
            // WAIT=false never waits.
            let r = s
                .put_message(msg("T", 0, "nowait", "WAIT\u{1}false\u{2}".to_string()))
                .await
                .unwrap();
            assert_eq!(r.status, PutStatus::PutOk);
        }
        s.pause_flush_for_tests(false);
        let r = s
            .put_message(msg("T", 0, "after", String::new()))
            .await
            .unwrap();
        assert_eq!(r.status, PutStatus::PutOk);
    });
    // Data stays written.
    assert_eq!(s.get_message("T", 0, 0, 32, None).messages.len(), 11);
}

#[test]
fn transactions_prepared_and_rollback_are_not_dispatched() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        let mut m = msg("T", 0, "prepared", props(None, Some("tx"), None));
        m.sys_flag = record::TRANSACTION_PREPARED_TYPE;
        let p = s.put_message(m).await.unwrap();
        assert_eq!(p.queue_offset, 0);
        let mut m = msg("T", 0, "rollback", String::new());
        m.sys_flag = record::TRANSACTION_ROLLBACK_TYPE;
        m.prepared_transaction_offset = p.wrote_offset;
        s.put_message(m).await.unwrap();
        let mut m = msg("T", 0, "commit", String::new());
        m.sys_flag = record::TRANSACTION_COMMIT_TYPE;
        m.prepared_transaction_offset = p.wrote_offset;
        let c = s.put_message(m).await.unwrap();
        assert_eq!(c.queue_offset, 0);
        let n = s
            .put_message(msg("T", 0, "normal", String::new()))
            .await
            .unwrap();
        assert_eq!(n.queue_offset, 1);
        // Prepared records are in the commit log and key index (Java indexes them too).
        assert_eq!(
            body_of(&s.look_message_by_offset(p.wrote_offset).unwrap()),
            b"prepared"
        );
        assert_eq!(s.query_message("T", "tx", 5, 0, i64::MAX).len(), 1);
    });
    let g = s.get_message("T", 0, 0, 32, None);
    let bodies: Vec<_> = g.messages.iter().map(|m| body_of(m)).collect();
    assert_eq!(bodies, vec![b"commit".to_vec(), b"normal".to_vec()]);
    drop(s);
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    assert_eq!(s.max_offset_in_queue("T", 0), 2);
}

#[test]
fn invalid_messages_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        max_message_size: 2000,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    })
    .unwrap();
    rt().block_on(async {
        let e = s
            .put_message(msg("T", 0, vec![0u8; 2000], String::new()))
            .await;
        assert!(
            matches!(e, Err(StoreError::MessageTooLarge { .. })),
            "{e:?}"
        );
        let e = s.put_message(msg("T", 0, "x", "p".repeat(32768))).await;
        assert!(
            matches!(e, Err(StoreError::PropertiesTooLong(32768))),
            "{e:?}"
        );
        let e = s
            .put_message(msg(&"t".repeat(128), 0, "x", String::new()))
            .await;
        assert!(matches!(e, Err(StoreError::TopicTooLong(128))), "{e:?}");
        let e = s.put_message(msg("../x", 0, "x", String::new())).await;
        assert!(matches!(e, Err(StoreError::InvalidTopic(_))), "{e:?}");
        assert!(e.unwrap_err().to_string().contains("invalid topic"));
        s.put_message(msg(&"t".repeat(127), 0, "ok", String::new()))
            .await
            .unwrap();
    });
    s.shutdown();
    let e = rt().block_on(s.put_message(msg("T", 0, "x", String::new())));
    assert!(matches!(e, Err(StoreError::ShutDown)));
}

#[test]
fn ipv6_hosts_and_new_message_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        store_host: "[fd00::2]:10911".parse().unwrap(),
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    })
    .unwrap();
    let mut rx = s.subscribe_new_messages();
    let before = *rx.borrow_and_update();
    rt().block_on(async {
        let mut m = msg("T", 0, "v6", String::new());
        m.born_host = "[::1]:5000".parse().unwrap();
        let r = s.put_message(m).await.unwrap();
        assert_eq!(r.msg_ids[0].len(), 56);
        assert!(rx.has_changed().unwrap());
        assert_eq!(
            *rx.borrow_and_update(),
            r.wrote_offset + r.wrote_bytes as i64
        );
        assert!(*rx.borrow() > before);
    });
    let d = record::decode(&s.get_message("T", 0, 0, 1, None).messages[0]).unwrap();
    assert_eq!(d.sys_flag & 0x30, 0x30);
    assert_eq!(d.born_host, "[::1]:5000".parse().unwrap());
}

#[test]
fn concurrent_puts_get_unique_contiguous_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<MessageStore> = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        let mut tasks = Vec::new();
        for t in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut v = Vec::new();
                for i in 0..200 {
                    let r = s
                        .put_message(msg("C", 0, format!("{t}-{i}"), String::new()))
                        .await
                        .unwrap();
                    v.push(r.queue_offset);
                }
                v
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        assert_eq!(all, (0..1600).collect::<Vec<i64>>());
    });
    let mut off = 0;
    let mut prev_phy = -1;
    while off < 1600 {
        let g = s.get_message("C", 0, off, 32, None);
        for m in &g.messages {
            let d = record::decode(m).unwrap();
            assert_eq!(d.queue_offset, off);
            assert!(d.physical_offset > prev_phy);
            prev_phy = d.physical_offset;
            off += 1;
        }
    }
}

/// Java's OS_PAGECACHE_BUSY: while a put has held the append lock past
/// osPageCacheBusyTimeOutMills (1000 ms), others are refused at once with the broker's
/// remark; `lock_time_ms` (pageCacheLockTimeMills) says how long. A lock held briefly, or
/// a clock jump (10 000 s or more), refuses nothing. Flushes land in the latency buckets.
#[test]
fn page_cache_busy_refuses_puts_and_flushes_are_timed() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::SyncFlush);
    let now = rocklet_protocol::time::now_ms();
    rt().block_on(async {
        assert_eq!(s.lock_time_ms(), 0);
        s.set_lock_begin_for_test(now - 2_000);
        let held = s.lock_time_ms();
        assert!((2_000..60_000).contains(&held), "{held}");
        let e = s
            .put_message(msg("T", 0, "x", String::new()))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::OsPageCacheBusy), "{e:?}");
        assert_eq!(
            e.to_string(),
            "[PC_SYNCHRONIZED]broker busy, start flow control for a while"
        );
        for begin in [now - 500, now - 20_000_000] {
            s.set_lock_begin_for_test(begin);
            s.put_message(msg("T", 0, "x", String::new()))
                .await
                .unwrap();
        }
        s.set_lock_begin_for_test(0);
        let r = s
            .put_message(msg("T", 0, "y", String::new()))
            .await
            .unwrap();
        assert_eq!(r.status, PutStatus::PutOk);
        assert_eq!(s.lock_time_ms(), 0, "a finished put leaves the lock free");
        let (buckets, sum_us) = s.flush_latency();
        assert_eq!(
            buckets.len(),
            rocklet_store::stats::FLUSH_LATENCY_BOUNDS_US.len() + 1
        );
        assert!(
            buckets.iter().sum::<u64>() >= 1,
            "SYNC_FLUSH puts were flushed: {buckets:?}"
        );
        assert_eq!(buckets.iter().sum::<u64>(), s.stats().flushes);
        assert!(sum_us > 0 || buckets[0] > 0);
    });
}
