use super::*;

#[test]
fn java_property_names() {
    let p = parse_properties(
        "# comment\nbrokerClusterName = C1\nbrokerName=b1\nbrokerId=0\nflushDiskType=SYNC_FLUSH\nlistenPort: 20911\nautoCreateTopicEnable=false\nmapedFileSizeCommitLog=1048576\nmaxMessageSize=65536\n",
    );
    let mut c = BrokerConfig::default();
    c.apply(&p).unwrap();
    assert_eq!(c.broker_cluster_name, "C1");
    assert_eq!(c.listen_port, 20911);
    assert_eq!(c.flush_disk_type, FlushDiskType::SyncFlush);
    assert!(!c.auto_create_topic_enable);
    assert_eq!(c.transaction_check_interval, 60_000);
    let tx = parse_properties(
        "transactionCheckInterval=500\ntransactionTimeOut=100\ntransactionCheckMax=3",
    );
    c.apply(&tx).unwrap();
    assert_eq!(
        (
            c.transaction_check_interval,
            c.transaction_time_out,
            c.transaction_check_max
        ),
        (500, 100, 3)
    );
    let bad = parse_properties("flushDiskType=SOMETIMES");
    assert!(BrokerConfig::default().apply(&bad).is_err());
    let more = parse_properties(
        "messageDelayLevel=1s 2m 1h\nrocketmq.broker.rebalance.lockMaxLiveTime=5000",
    );
    c.apply(&more).unwrap();
    assert_eq!(c.delay_levels.max_level(), 3);
    assert_eq!(c.delay_levels.delay_ms(2), Some(120_000));
    assert_eq!(c.rebalance_lock_max_live_time, 5000);
    assert_eq!(
        c.store_config(([127, 0, 0, 1], 1).into()).delay_levels,
        c.delay_levels
    );
    let disk = parse_properties(
        "fileReservedTime=48\ndeleteWhen=04;16\ndiskMaxUsedSpaceRatio=60\nrocketmq.broker.diskSpaceWarningLevelRatio=0.5\ndiskSpaceCleanForciblyRatio=0.4\ncleanFileForciblyEnable=false",
    );
    c.apply(&disk).unwrap();
    let sc = c.store_config(([127, 0, 0, 1], 1).into());
    assert_eq!(sc.file_reserved_time_ms, 48 * 3_600_000);
    assert_eq!(sc.delete_when, "04;16");
    assert_eq!(sc.disk_max_used_space_ratio, 60);
    assert_eq!(sc.disk_space_warning_level_ratio, 0.5);
    assert_eq!(sc.disk_space_clean_forcibly_ratio, 0.4);
    assert!(!sc.clean_file_forcibly_enable);
    c.apply(&parse_properties("fileReservedTimeMs=1500"))
        .unwrap();
    assert_eq!(
        c.store_config(([127, 0, 0, 1], 1).into())
            .file_reserved_time_ms,
        1500
    );
    assert!(BrokerConfig::default()
        .apply(&parse_properties("deleteWhen=25"))
        .is_err());
    let bad = parse_properties("messageDelayLevel=1s 2x");
    let e = BrokerConfig::default().apply(&bad).unwrap_err().to_string();
    assert!(e.contains("messageDelayLevel"), "{e}");
}
