//! Restart, crash and torn-tail recovery.

mod common;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use common::*;
use rocklet_store::{record, FlushDiskType, GetStatus, MessageStore, PutResult};

type Expected = BTreeMap<(String, i32, i64), (Vec<u8>, PutResult)>;

fn fill(s: &MessageStore, n: usize, seed: u64) -> Expected {
    let mut out = Expected::new();
    rt().block_on(async {
        for i in 0..n {
            let topic = format!("Topic{}", i % 3);
            let q = (i % 4) as i32;
            let len = 200 + ((i as u64 * 7919 + seed) % 1800) as usize;
            let body: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
            let props = props(
                Some(&format!("tag{}", i % 2)),
                Some(&format!("key-{seed}-{i}")),
                None,
            );
            let r = if i % 10 == 9 {
                // a small batch every now and then
                let batch = vec![
                    msg(&topic, q, body.clone(), props.clone()),
                    msg(&topic, q, body.clone(), props.clone()),
                ];
                let r = s.put_messages(batch).await.unwrap();
                out.insert(
                    (topic.clone(), q, r.queue_offset + 1),
                    (body.clone(), r.clone()),
                );
                r
            } else {
                s.put_message(msg(&topic, q, body.clone(), props))
                    .await
                    .unwrap()
            };
            out.insert((topic, q, r.queue_offset), (body, r));
        }
    });
    out
}

/// Every expected message readable at its queue offset with the same body; with `exact`,
/// queue max offsets equal the expected ones (otherwise they may be larger).
fn verify_exact(s: &MessageStore, expected: &Expected, exact: bool) {
    let mut per_queue: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for ((t, q, qo), (body, _)) in expected {
        let g = s.get_message(t, *q, *qo, 1, None);
        assert_eq!(g.status, GetStatus::Found, "{t}/{q}/{qo}");
        let d = record::decode(&g.messages[0]).unwrap();
        assert_eq!(&d.body[..], &body[..], "{t}/{q}/{qo}");
        assert_eq!(d.queue_offset, *qo);
        let e = per_queue.entry((t.clone(), *q)).or_default();
        *e = (*e).max(qo + 1);
    }
    for ((t, q), max) in per_queue {
        let got = s.max_offset_in_queue(&t, q);
        if exact {
            assert_eq!(got, max, "{t}/{q}");
        } else {
            assert!(got >= max, "{t}/{q}");
        }
    }
}

fn verify(s: &MessageStore, expected: &Expected) {
    verify_exact(s, expected, true)
}

fn commitlog_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("commitlog")).unwrap().count()
}

#[test]
fn restart_after_clean_shutdown_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let expected = fill(&s, 300, 1);
    let max = s.commit_log_max_offset();
    let raw_before: Vec<_> = expected
        .values()
        .map(|(_, r)| s.look_message_by_offset(r.wrote_offset).unwrap())
        .collect();
    s.shutdown();
    drop(s);
    assert!(commitlog_files(dir.path()) >= 4);

    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    assert_eq!(s.commit_log_max_offset(), max);
    verify(&s, &expected);
    let raw_after: Vec<_> = expected
        .values()
        .map(|(_, r)| s.look_message_by_offset(r.wrote_offset).unwrap())
        .collect();
    assert_eq!(raw_before, raw_after);
    assert_eq!(s.topic_queues().len(), 12);
    wait_key_index(&s);
    assert_eq!(
        s.query_message("Topic1", "key-1-4", 4, 0, i64::MAX).len(),
        1
    );
    // New writes continue at the right offsets.
    let r = rt()
        .block_on(s.put_message(msg("Topic0", 0, "new", String::new())))
        .unwrap();
    assert_eq!(r.wrote_offset, max);
    assert_eq!(
        r.queue_offset,
        expected
            .keys()
            .filter(|(t, q, _)| t == "Topic0" && *q == 0)
            .count() as i64
    );
    drop(s);
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    verify_exact(&s, &expected, false);
}

#[test]
fn crash_without_shutdown_in_sync_flush_mode() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::SyncFlush);
    let expected = fill(&s, 200, 2);
    let max = s.commit_log_max_offset();
    assert!(s.commit_log_flushed_offset() >= max);
    s.halt_without_flush();
    drop(s);
    // Lose consume-queue state too: one queue directory entirely, one checkpoint.
    std::fs::remove_dir_all(dir.path().join("consumequeue/Topic1")).unwrap();
    std::fs::remove_file(dir.path().join("checkpoint")).unwrap();
    // And a bogus (but structurally valid) entry in the middle of another queue.
    let mut bogus = [0u8; 20];
    bogus[..8].copy_from_slice(&5i64.to_be_bytes());
    bogus[8..12].copy_from_slice(&10i32.to_be_bytes());
    corrupt(
        &dir.path()
            .join("consumequeue/Topic0/1/00000000000000000000"),
        2 * 20,
        &bogus,
    );

    let s = open(dir.path(), FlushDiskType::SyncFlush);
    assert_eq!(s.commit_log_max_offset(), max);
    verify(&s, &expected);
    let more = fill(&s, 50, 3);
    drop(s); // drop = shutdown
    let s = open(dir.path(), FlushDiskType::SyncFlush);
    verify_exact(&s, &expected, false);
    verify_exact(&s, &more, false);
}

fn corrupt(path: &Path, pos: u64, bytes: &[u8]) {
    let mut f = OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(pos)).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
}

fn last_put(expected: &Expected) -> (&(String, i32, i64), &PutResult) {
    let (k, (_, r)) = expected
        .iter()
        .max_by_key(|(_, (_, r))| r.wrote_offset)
        .unwrap();
    (k, r)
}

fn torn_tail_case(damage: impl Fn(&Path, u64, u64)) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let mut expected = fill(&s, 120, 4);
    // One more single message at the very end.
    let last = rt()
        .block_on(s.put_message(msg("Topic2", 3, vec![9u8; 500], String::new())))
        .unwrap();
    let last_key = ("Topic2".to_string(), 3, last.queue_offset);
    s.shutdown();
    drop(s);
    let file_size = 64 * 1024u64;
    let from = last.wrote_offset as u64 / file_size * file_size;
    let path = dir.path().join("commitlog").join(format!("{from:020}"));
    damage(
        &path,
        last.wrote_offset as u64 - from,
        last.wrote_bytes as u64,
    );

    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    assert_eq!(s.commit_log_max_offset(), last.wrote_offset);
    let data = std::fs::read(&path).unwrap();
    assert!(
        data[(last.wrote_offset as u64 - from) as usize..]
            .iter()
            .all(|&b| b == 0),
        "torn tail must be zeroed"
    );
    assert_eq!(s.max_offset_in_queue("Topic2", 3), last.queue_offset);
    assert_eq!(
        s.get_message("Topic2", 3, last.queue_offset, 1, None)
            .status,
        GetStatus::OffsetOverflowOne
    );
    assert!(s.look_message_by_offset(last.wrote_offset).is_none());
    expected.remove(&last_key);
    verify(&s, &expected);
    // New puts take the dropped record's place.
    let r = rt()
        .block_on(s.put_message(msg("Topic2", 3, "replacement", String::new())))
        .unwrap();
    assert_eq!(r.wrote_offset, last.wrote_offset);
    assert_eq!(r.queue_offset, last.queue_offset);
    let r2 = rt()
        .block_on(s.put_message(msg("Topic0", 0, "after", String::new())))
        .unwrap();
    assert_eq!(r2.wrote_offset, r.wrote_offset + r.wrote_bytes as i64);
    drop(s);
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    verify_exact(&s, &expected, false);
    let g = s.get_message("Topic2", 3, last.queue_offset, 1, None);
    assert_eq!(body_of(&g.messages[0]), b"replacement");
    assert_eq!(
        s.commit_log_max_offset(),
        r2.wrote_offset + r2.wrote_bytes as i64
    );
    let _ = last_put(&expected);
}

#[test]
fn torn_tail_truncated_record_is_dropped() {
    // Only the first half of the last record reached the disk.
    torn_tail_case(|path, pos, len| {
        corrupt(path, pos + len / 2, &vec![0u8; (len - len / 2) as usize]);
    });
}

#[test]
fn torn_tail_bad_crc_is_dropped() {
    torn_tail_case(|path, pos, len| {
        corrupt(path, pos + len - 10, &[0xFF, 0xEE, 0xDD]);
    });
}

#[test]
fn torn_tail_garbage_header_is_dropped_and_zeroed() {
    torn_tail_case(|path, pos, _len| {
        corrupt(
            path,
            pos,
            &[0x00, 0x00, 0x10, 0x00, 0xDA, 0xA3, 0x20, 0xA7, 1, 2, 3],
        );
        // plus stray bytes further on that must not resurface
        corrupt(path, pos + 3000, b"stale stale stale");
    });
}

#[test]
fn consume_queue_entries_past_commit_log_end_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let r = rt().block_on(async {
        s.put_message(msg("T", 0, "a", String::new()))
            .await
            .unwrap();
        s.put_message(msg("T", 0, "b", String::new()))
            .await
            .unwrap()
    });
    drop(s);
    // Remove the last record entirely from the commit log (zero it).
    let path = dir.path().join("commitlog").join(format!("{:020}", 0));
    corrupt(
        &path,
        r.wrote_offset as u64,
        &vec![0u8; r.wrote_bytes as usize],
    );
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    assert_eq!(s.max_offset_in_queue("T", 0), 1);
    let r = rt()
        .block_on(s.put_message(msg("T", 0, "c", String::new())))
        .unwrap();
    assert_eq!(r.queue_offset, 1);
    let g = s.get_message("T", 0, 0, 10, None);
    let bodies: Vec<_> = g.messages.iter().map(|m| body_of(m)).collect();
    assert_eq!(bodies, vec![b"a".to_vec(), b"c".to_vec()]);
}

#[test]
fn reopen_with_different_file_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(s.put_message(msg("T", 0, "a", String::new())))
        .unwrap();
    drop(s);
    let e = MessageStore::open(rocklet_store::StoreConfig {
        mapped_file_size_commit_log: 128 * 1024,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    });
    let err = e.err().expect("must refuse").to_string();
    assert!(err.contains("does not match"), "{err}");
}

/// A crash between creating a file and sizing it leaves an empty last file (commit log or
/// consume queue); the store must start, keep every message and append again.
#[test]
fn empty_last_file_from_an_interrupted_creation_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::SyncFlush);
    let expected = fill(&s, 60, 3);
    let max = s.commit_log_max_offset();
    drop(s);
    let file_size = cfg(dir.path(), FlushDiskType::SyncFlush).mapped_file_size_commit_log;
    let next = (max as u64 / file_size + 1) * file_size;
    let cl = dir.path().join("commitlog").join(format!("{next:020}"));
    std::fs::File::create(&cl).unwrap();
    let cq_dir = dir.path().join("consumequeue").join("Topic0").join("0");
    let cq_next = std::fs::read_dir(&cq_dir).unwrap().count() as u64 * 100 * 20;
    let cq = cq_dir.join(format!("{cq_next:020}"));
    std::fs::File::create(&cq).unwrap();

    let s = open(dir.path(), FlushDiskType::SyncFlush);
    assert!(!cl.exists(), "the empty commit-log file is removed");
    assert!(!cq.exists(), "the empty consume-queue file is removed");
    assert_eq!(s.commit_log_max_offset(), max);
    verify(&s, &expected);
    let r = rt()
        .block_on(s.put_message(msg("Topic0", 0, "after", String::new())))
        .unwrap();
    assert_eq!(r.wrote_offset, max);
}

/// Only an empty *last* file is an interrupted creation; an empty file in the middle of the
/// sequence is damage and is refused.
#[test]
fn empty_file_inside_the_sequence_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    fill(&s, 300, 4);
    s.shutdown();
    drop(s);
    let cl = dir.path().join("commitlog");
    let first = std::fs::read_dir(&cl)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    std::fs::File::create(&first).unwrap(); // truncates it to 0
    let err = MessageStore::open(cfg(dir.path(), FlushDiskType::AsyncFlush))
        .err()
        .expect("must refuse")
        .to_string();
    assert!(err.contains("does not match"), "{err}");
}

/// Recovery scans from the file holding the checkpoint's logics-consistent offset: a damaged
/// record in an older file is not re-validated at start-up, so it no longer truncates the log
/// (and deletes every later file) there; keys of older files are indexed in the background.
#[test]
fn recovery_starts_at_the_checkpoint_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let expected = fill(&s, 300, 5);
    let max = s.commit_log_max_offset();
    s.shutdown();
    drop(s);
    let files = commitlog_files(dir.path());
    assert!(files >= 4);
    // Flip body bytes of the first record (CRC mismatch) in the first file.
    let first = dir.path().join("commitlog").join(format!("{:020}", 0));
    corrupt(&first, 200, b"damaged");

    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    assert_eq!(s.commit_log_max_offset(), max, "nothing truncated");
    assert_eq!(commitlog_files(dir.path()), files);
    let later: Expected = expected
        .iter()
        .filter(|(_, (_, r))| r.wrote_offset >= 64 * 1024)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    verify_exact(&s, &later, false);
    wait_key_index(&s);
    // key-5-1 is in the first file (the second message written).
    assert_eq!(
        s.query_message("Topic1", "key-5-1", 4, 0, i64::MAX).len(),
        1
    );
}

/// After a crash, records after the checkpoint's logics-consistent offset are dispatched
/// again even when their consume-queue files are gone; queues before it are kept as they are.
#[test]
fn crash_redispatches_records_after_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(rocklet_store::StoreConfig {
        flush_interval_consume_queue_ms: 3_600_000,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    })
    .unwrap();
    let expected = fill(&s, 200, 6);
    s.flush(); // checkpoint: everything so far is consistent (no periodic one: see cfg)
    let late: Vec<PutResult> = rt().block_on(async {
        let mut v = Vec::new();
        for i in 0..20 {
            v.push(
                s.put_message(msg("Late", 1, format!("late-{i}"), String::new()))
                    .await
                    .unwrap(),
            );
        }
        v
    });
    s.halt_without_flush();
    drop(s);
    std::fs::remove_dir_all(dir.path().join("consumequeue").join("Late")).unwrap();

    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    verify(&s, &expected);
    assert_eq!(s.max_offset_in_queue("Late", 1), 20);
    for (i, r) in late.iter().enumerate() {
        let g = s.get_message("Late", 1, r.queue_offset, 1, None);
        assert_eq!(g.status, GetStatus::Found);
        assert_eq!(body_of(&g.messages[0]), format!("late-{i}").as_bytes());
    }
}

/// The documented way to rebuild every consume queue: delete `consumequeue/` and `checkpoint`;
/// recovery then dispatches the whole commit log again.
#[test]
fn deleting_queues_and_checkpoint_rebuilds_every_queue() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let expected = fill(&s, 300, 7);
    s.shutdown();
    drop(s);
    assert!(commitlog_files(dir.path()) >= 4);
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::remove_file(dir.path().join("checkpoint")).unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    verify(&s, &expected);
    assert!(
        s.key_index_ready(),
        "a full scan indexes everything before open returns"
    );
}

/// A damaged record with intact records after it (damage, not a torn write): the store refuses
/// to open rather than truncating acknowledged messages away, leaves the file as it is, and
/// names the offsets; `recover_truncate_damaged` accepts the loss explicitly.
#[test]
fn damage_before_intact_records_refuses_to_open_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let expected = fill(&s, 160, 5);
    s.shutdown();
    drop(s);
    let file_size = 64 * 1024u64;
    let end = expected
        .values()
        .map(|(_, r)| r.wrote_offset as u64 + r.wrote_bytes as u64)
        .max()
        .unwrap();
    let last_from = (end - 1) / file_size * file_size;
    // The first single message of the last file: there are intact records after it.
    let victim = expected
        .values()
        .map(|(_, r)| r)
        .filter(|r| r.msg_num == 1 && r.wrote_offset as u64 >= last_from)
        .min_by_key(|r| r.wrote_offset)
        .unwrap()
        .clone();
    assert!((victim.wrote_offset + victim.wrote_bytes as i64) < end as i64);
    let path = dir
        .path()
        .join("commitlog")
        .join(format!("{last_from:020}"));
    let at = victim.wrote_offset as u64 - last_from + 100; // a body byte: the CRC fails
    let mut data = std::fs::read(&path).unwrap();
    data[at as usize] ^= 0xFF;
    corrupt(&path, at, &data[at as usize..at as usize + 1]);

    let err = match MessageStore::open(cfg(dir.path(), FlushDiskType::AsyncFlush)) {
        Ok(_) => panic!("a store with damage before intact records must not open"),
        Err(e) => e,
    };
    match &err {
        rocklet_store::StoreError::Damaged { offset, intact, .. } => {
            assert_eq!(*offset, victim.wrote_offset as u64);
            assert_eq!(
                *intact,
                (victim.wrote_offset + victim.wrote_bytes as i64) as u64
            );
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(
        err.to_string().contains("recoverTruncateDamagedCommitLog"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        data,
        "the file is left as it was"
    );

    // Told to accept the loss: the log ends at the damaged record.
    let mut c = cfg(dir.path(), FlushDiskType::AsyncFlush);
    c.recover_truncate_damaged = true;
    let s = MessageStore::open(c).unwrap();
    assert_eq!(s.commit_log_max_offset(), victim.wrote_offset);
    let before: Expected = expected
        .iter()
        .filter(|(_, (_, r))| r.wrote_offset < victim.wrote_offset)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    verify_exact(&s, &before, false);
}

#[test]
fn damage_in_an_older_file_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    let expected = fill(&s, 160, 6);
    s.shutdown();
    drop(s);
    // A single message in the first file (recovery after a clean stop scans from the
    // checkpoint's file, the last one, so this file is never checked at open).
    let file_size = 64 * 1024u64;
    let ((topic, q, qo), (_, victim)) = expected
        .iter()
        .filter(|(_, (_, r))| r.msg_num == 1 && (r.wrote_offset as u64) < file_size / 2)
        .max_by_key(|(_, (_, r))| r.wrote_offset)
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    let path = dir.path().join("commitlog").join(format!("{:020}", 0));
    let at = victim.wrote_offset as u64 + 100; // a body byte: the CRC fails
    let mut data = std::fs::read(&path).unwrap();
    data[at as usize] ^= 0xFF;
    corrupt(&path, at, &data[at as usize..at as usize + 1]);

    let s = MessageStore::open(cfg(dir.path(), FlushDiskType::AsyncFlush)).unwrap();
    // Not served (the read goes on to the next message), reported, and the next offset
    // moves past it.
    let g = s.get_message(&topic, q, qo, 1, None);
    for m in &g.messages {
        assert_ne!(
            record::decode(m).unwrap().queue_offset,
            qo,
            "the damaged record was served"
        );
    }
    assert!(g.next_begin_offset > qo);
    assert_eq!(s.stats().damaged_reads, 1);
    assert!(s.look_message_by_offset(victim.wrote_offset).is_none());
    // Every other message is served intact.
    let others: Expected = expected
        .iter()
        .filter(|(k, _)| **k != (topic.clone(), q, qo))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    verify_exact(&s, &others, false);
}
