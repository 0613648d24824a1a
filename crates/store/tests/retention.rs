//! Retention (Java `CleanCommitLogService` / `CleanConsumeQueueService`) and the disk guard.

mod common;

use std::time::Duration;

use common::*;
use rocklet_store::{FlushDiskType, GetStatus, MessageStore, StoreConfig, StoreError};

fn retention_cfg(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        file_reserved_time_ms: 0,
        // Delete at any hour: every hour listed.
        delete_when: (0..24)
            .map(|h| format!("{h:02}"))
            .collect::<Vec<_>>()
            .join(";"),
        delete_commit_log_files_interval_ms: 0,
        delete_consume_queue_files_interval_ms: 0,
        clean_resource_first_delay_ms: 3_600_000,
        ..cfg(dir, FlushDiskType::AsyncFlush)
    }
}

#[test]
fn expired_files_go_with_their_consume_queue_files_and_index_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(retention_cfg(dir.path())).unwrap();
    let body = vec![b'x'; 900];
    rt().block_on(async {
        for i in 0..400 {
            s.put_message(msg(
                "T",
                0,
                body.clone(),
                props(None, Some(&format!("k{i}")), None),
            ))
            .await
            .unwrap();
        }
    });
    let files = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count();
    assert!(files > 5, "{files} commit-log files");
    let cq_files = std::fs::read_dir(dir.path().join("consumequeue/T/0"))
        .unwrap()
        .count();
    assert!(cq_files > 2, "{cq_files} consume-queue files");
    assert_eq!(s.min_offset_in_queue("T", 0), 0);

    // At most 10 files a round (Java DELETE_FILES_BATCH_MAX), never the last.
    let mut deleted = 0;
    loop {
        let n = s.clean_now();
        assert!(n <= 10);
        if n == 0 {
            break;
        }
        deleted += n;
    }
    assert_eq!(deleted, files - 1, "all but the file being written");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1);
    let min_phy = s.commit_log_min_offset();
    assert!(min_phy > 0);
    // The consume queue lost its files below the new min offset and its min offset moved.
    let cq_left = std::fs::read_dir(dir.path().join("consumequeue/T/0"))
        .unwrap()
        .count();
    assert!(cq_left < cq_files, "{cq_left} of {cq_files}");
    let min_q = s.min_offset_in_queue("T", 0);
    assert!(min_q > 0 && min_q < 400, "{min_q}");
    let r = s.get_message("T", 0, 0, 32, None);
    assert_eq!(r.status, GetStatus::OffsetTooSmall);
    assert_eq!(r.next_begin_offset, min_q);
    // The newest messages still read, by queue and by key.
    let r = s.get_message("T", 0, 399, 32, None);
    assert_eq!(r.status, GetStatus::Found);
    assert_eq!(s.query_message("T", "k399", 10, 0, i64::MAX).len(), 1);
    assert!(s.query_message("T", "k0", 10, 0, i64::MAX).is_empty());
    s.shutdown();
    drop(s);

    // A restart keeps the min offsets (Java `recoverTopicQueueTable` corrects them).
    let s = MessageStore::open(retention_cfg(dir.path())).unwrap();
    assert_eq!(s.commit_log_min_offset(), min_phy);
    assert_eq!(s.min_offset_in_queue("T", 0), min_q);
    assert_eq!(
        s.get_message("T", 0, 399, 32, None).status,
        GetStatus::Found
    );
}

#[test]
fn unexpired_files_stay_unless_the_disk_is_above_the_forcible_level() {
    let dir = tempfile::tempdir().unwrap();
    let c = StoreConfig {
        file_reserved_time_ms: 3_600_000,
        delete_when: "99".into(),
        // Any real disk is above 10 % (the clamped minimum): "space to delete" holds.
        disk_max_used_space_ratio: 1,
        ..retention_cfg(dir.path())
    };
    let s = MessageStore::open(c).unwrap();
    // The forcible level out of reach whatever the machine's disk holds (a CI disk at 86 %
    // once made this round delete unexpired files): only diskMaxUsedSpaceRatio is in play.
    s.set_disk_space_levels(1.0, 2.0);
    rt().block_on(async {
        for _ in 0..200 {
            s.put_message(msg("T", 0, vec![b'y'; 900], String::new()))
                .await
                .unwrap();
        }
    });
    assert_eq!(
        s.clean_now(),
        0,
        "above diskMaxUsedSpaceRatio, but no file expired"
    );
    // Above the forcible level even unexpired files go (cleanFileForciblyEnable).
    s.set_disk_space_levels(1.0, 0.0);
    assert!(s.clean_now() > 0, "forcibly cleaned");
}

#[test]
fn a_disk_above_the_warning_level_refuses_puts_and_keeps_serving_reads() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path(), FlushDiskType::AsyncFlush);
    rt().block_on(async {
        s.put_message(msg("T", 0, "before", String::new()))
            .await
            .unwrap();
        s.set_disk_space_levels(0.0, 1.0);
        s.check_disk_now();
        assert!(!s.is_writable());
        let e = s
            .put_message(msg("T", 0, "refused", String::new()))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotWritable), "{e}");
        assert!(e.is_disk_full());
        assert_eq!(s.get_message("T", 0, 0, 32, None).status, GetStatus::Found);
        let util = s.disk_util();
        assert!(
            // index/ exists from the open on (as Java's once it has indexed).
            util.starts_with("CL: ") && util.contains(" CQ: ") && util.contains(" INDEX:  0."),
            "{util}"
        );
        s.set_disk_space_levels(1.0, 1.0);
        s.check_disk_now();
        assert!(s.is_writable());
        s.put_message(msg("T", 0, "after", String::new()))
            .await
            .unwrap();
    });
}

#[test]
fn the_disk_check_runs_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let s = MessageStore::open(StoreConfig {
        disk_check_interval_ms: 20,
        disk_space_warning_level_ratio: 0.0,
        ..cfg(dir.path(), FlushDiskType::AsyncFlush)
    })
    .unwrap();
    assert!(!s.is_writable(), "checked at open");
    s.set_disk_space_levels(1.0, 1.0);
    let t = std::time::Instant::now();
    while !s.is_writable() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(s.is_writable());
}

/// A real ENOSPC: a 1 MiB tmpfs, 256 KiB commit-log files. Needs root (mount); run with
/// `cargo test -p rocklet-store --test retention -- --ignored`.
#[test]
#[ignore]
fn allocation_failure_on_a_full_tmpfs_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mount tmpfs (needs root)");
    struct Umount(std::path::PathBuf);
    impl Drop for Umount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _u = Umount(mnt.clone());
    // fallocate itself fails with ENOSPC (no crash, no partial mapping).
    let f = std::fs::File::create(mnt.join("too-big")).unwrap();
    let e = rocklet_store::disk::allocate(&f, 2 << 20, true).unwrap_err();
    assert!(rocklet_store::disk::is_no_space(&e), "{e}");
    drop(f);
    std::fs::remove_file(mnt.join("too-big")).unwrap();
    let c = StoreConfig {
        mapped_file_size_commit_log: 256 * 1024,
        // Only allocation limits, not the usage levels.
        disk_space_warning_level_ratio: 1.0,
        ..cfg(&mnt, FlushDiskType::AsyncFlush)
    };
    let s = MessageStore::open(c.clone()).unwrap();
    let mut ok = 0;
    let err = rt().block_on(async {
        loop {
            match s
                .put_message(msg("T", 0, vec![b'z'; 4000], String::new()))
                .await
            {
                Ok(_) => ok += 1,
                Err(e) => break e,
            }
            assert!(ok < 10_000, "the disk never filled");
        }
    });
    assert!(err.is_disk_full(), "{err}");
    assert!(ok > 100, "{ok} puts before the disk filled");
    // Reads still served; every acknowledged message intact.
    let mut n = 0;
    let mut off = 0;
    loop {
        let r = s.get_message("T", 0, off, 32, None);
        if r.status != GetStatus::Found {
            break;
        }
        n += r.messages.len();
        off = r.next_begin_offset;
    }
    assert_eq!(n, ok);
    s.shutdown();
    drop(s);
    // A restart on the full disk starts and serves reads.
    let s = MessageStore::open(c).unwrap();
    assert_eq!(s.max_offset_in_queue("T", 0), ok as i64);
}
