//! The broker's configuration as operators see it through GET_BROKER_CONFIG and change it
//! through UPDATE_BROKER_CONFIG (Java `Configuration` over BrokerConfig, NettyServerConfig,
//! NettyClientConfig and MessageStoreConfig): every key Java 4.9.3 reports, with Rocklet's
//! values where Rocklet has the setting and Java's defaults elsewhere, plus every key of the
//! config file. Updates merge keys that exist, bump the data version and rewrite the config
//! file (the `-c` file, else `<storePathRootDir>/config/broker.properties`) as Java does; they
//! take effect when the broker next starts.

use parking_lot::RwLock;
use rocklet_protocol::body::DataVersion;
use std::collections::BTreeMap;

use crate::config::BrokerConfig;
use rocklet_store::config_file::ConfigWriter;

/// Java 4.9.3's defaults for the keys that do not depend on the machine or the instance (read
/// from a 4.9.3 broker's GET_BROKER_CONFIG; the thread counts and addresses are computed below).
const JAVA_DEFAULTS: &[(&str, &str)] = &[
    ("accessMessageInMemoryMaxRatio", "40"),
    ("aclEnable", "false"),
    ("adminBrokerThreadPoolNums", "16"),
    ("autoCreateSubscriptionGroup", "true"),
    ("autoCreateTopicEnable", "true"),
    ("autoDeleteUnusedStats", "false"),
    ("bitMapLengthConsumeQueueExt", "112"),
    ("brokerClusterName", "DefaultCluster"),
    ("brokerFastFailureEnable", "true"),
    ("brokerId", "0"),
    ("brokerPermission", "6"),
    ("brokerRole", "ASYNC_MASTER"),
    ("brokerTopicEnable", "true"),
    ("channelNotActiveInterval", "60000"),
    ("checkCRCOnRecover", "true"),
    ("cleanFileForciblyEnable", "true"),
    ("cleanResourceInterval", "10000"),
    ("clientAsyncSemaphoreValue", "65535"),
    ("clientChannelMaxIdleTimeSeconds", "120"),
    ("clientCloseSocketIfTimeout", "true"),
    ("clientManageThreadPoolNums", "32"),
    ("clientManagerThreadPoolQueueCapacity", "1000000"),
    ("clientOnewaySemaphoreValue", "65535"),
    ("clientPooledByteBufAllocatorEnable", "false"),
    ("clientSocketRcvBufSize", "0"),
    ("clientSocketSndBufSize", "0"),
    ("clientWorkerThreads", "4"),
    ("clusterTopicEnable", "true"),
    ("commercialBaseCount", "1"),
    ("commercialBigCount", "1"),
    ("commercialEnable", "true"),
    ("commercialTimerCount", "1"),
    ("commercialTransCount", "1"),
    ("commitCommitLogLeastPages", "4"),
    ("commitCommitLogThoroughInterval", "200"),
    ("commitIntervalCommitLog", "200"),
    ("compressedRegister", "false"),
    ("connectTimeoutMillis", "3000"),
    ("consumerFallbehindThreshold", "17179869184"),
    ("consumerManageThreadPoolNums", "32"),
    ("consumerManagerThreadPoolQueueCapacity", "1000000"),
    ("debugLockEnable", "false"),
    ("defaultQueryMaxNum", "32"),
    ("defaultTopicQueueNums", "8"),
    ("deleteCommitLogFilesInterval", "100"),
    ("deleteConsumeQueueFilesInterval", "100"),
    ("deleteWhen", "04"),
    ("destroyMapedFileIntervalForcibly", "120000"),
    ("disableConsumeIfConsumerReadSlowly", "false"),
    ("diskFallRecorded", "true"),
    ("diskMaxUsedSpaceRatio", "75"),
    ("duplicationEnable", "false"),
    ("enableCalcFilterBitMap", "false"),
    ("enableConsumeQueueExt", "false"),
    ("enableDLegerCommitLog", "false"),
    ("enableDetailStat", "true"),
    ("enableLmq", "false"),
    ("enableMultiDispatch", "false"),
    ("enablePropertyFilter", "false"),
    ("enableScheduleAsyncDeliver", "false"),
    ("enableScheduleMessageStats", "true"),
    ("endTransactionPoolQueueCapacity", "100000"),
    ("expectConsumerNumUseFilter", "32"),
    ("fastFailIfNoBufferInStorePool", "false"),
    ("fetchNamesrvAddrByAddressServer", "false"),
    ("fileReservedTime", "72"),
    ("filterDataCleanTimeSpan", "86400000"),
    ("filterServerNums", "0"),
    ("filterSupportRetry", "false"),
    ("flushCommitLogLeastPages", "4"),
    ("flushCommitLogThoroughInterval", "10000"),
    ("flushCommitLogTimed", "true"),
    ("flushConsumeQueueLeastPages", "2"),
    ("flushConsumeQueueThoroughInterval", "60000"),
    ("flushConsumerOffsetHistoryInterval", "60000"),
    ("flushConsumerOffsetInterval", "5000"),
    ("flushDelayOffsetInterval", "10000"),
    ("flushDiskType", "ASYNC_FLUSH"),
    ("flushIntervalCommitLog", "500"),
    ("flushIntervalConsumeQueue", "1000"),
    ("flushLeastPagesWhenWarmMapedFile", "4096"),
    ("forceRegister", "true"),
    ("haHousekeepingInterval", "20000"),
    ("haSendHeartbeatInterval", "5000"),
    ("haSlaveFallbehindMax", "268435456"),
    ("haTransferBatchSize", "32768"),
    ("heartbeatThreadPoolQueueCapacity", "50000"),
    ("highSpeedMode", "false"),
    ("isEnableBatchPush", "false"),
    ("isolateLogEnable", "false"),
    ("longPollingEnable", "true"),
    ("mappedFileSizeCommitLog", "1073741824"),
    ("mappedFileSizeConsumeQueue", "6000000"),
    ("mappedFileSizeConsumeQueueExt", "50331648"),
    ("maxDelayTime", "40"),
    ("maxErrorRateOfBloomFilter", "20"),
    ("maxHashSlotNum", "5000000"),
    ("maxIndexNum", "20000000"),
    ("maxLmqConsumeQueueNum", "20000"),
    ("maxMessageSize", "4194304"),
    ("maxMsgsNumBatch", "64"),
    ("maxTransferBytesOnMessageInDisk", "65536"),
    ("maxTransferBytesOnMessageInMemory", "262144"),
    ("maxTransferCountOnMessageInDisk", "8"),
    ("maxTransferCountOnMessageInMemory", "32"),
    (
        "messageDelayLevel",
        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
    ),
    ("messageIndexEnable", "true"),
    ("messageIndexSafe", "false"),
    ("messageStorePlugIn", ""),
    ("msgTraceTopicName", "RMQ_SYS_TRACE_TOPIC"),
    ("notifyConsumerIdsChangedEnable", "true"),
    ("offsetCheckInSlave", "false"),
    ("osPageCacheBusyTimeOutMills", "1000"),
    ("pullThreadPoolQueueCapacity", "100000"),
    ("putMsgIndexHightWater", "600000"),
    ("putThreadPoolQueueCapacity", "10000"),
    ("queryThreadPoolQueueCapacity", "20000"),
    ("redeleteHangedFileInterval", "120000"),
    ("regionId", "DefaultRegion"),
    ("registerBrokerTimeoutMills", "6000"),
    ("registerNameServerPeriod", "30000"),
    ("rejectTransactionMessage", "false"),
    ("replyThreadPoolQueueCapacity", "10000"),
    ("scheduleAsyncDeliverMaxPendingLimit", "2000"),
    ("scheduleAsyncDeliverMaxResendNum2Blocked", "3"),
    ("sendMessageThreadPoolNums", "1"),
    ("sendThreadPoolQueueCapacity", "10000"),
    ("serverAsyncSemaphoreValue", "64"),
    ("serverCallbackExecutorThreads", "0"),
    ("serverChannelMaxIdleTimeSeconds", "120"),
    ("serverOnewaySemaphoreValue", "256"),
    ("serverPooledByteBufAllocatorEnable", "true"),
    ("serverSelectorThreads", "3"),
    ("serverSocketBacklog", "1024"),
    ("serverSocketRcvBufSize", "0"),
    ("serverSocketSndBufSize", "0"),
    ("serverWorkerThreads", "8"),
    ("shortPollingTimeMills", "1000"),
    ("slaveReadEnable", "false"),
    ("slaveTimeout", "3000"),
    ("startAcceptSendRequestTimeStamp", "0"),
    ("storeReplyMessageEnable", "true"),
    ("syncFlushTimeout", "5000"),
    ("traceOn", "true"),
    ("traceTopicEnable", "false"),
    ("transactionCheckInterval", "60000"),
    ("transactionCheckMax", "15"),
    ("transactionTimeOut", "6000"),
    ("transferMsgByHeap", "true"),
    ("transientStorePoolEnable", "false"),
    ("transientStorePoolSize", "5"),
    ("useEpollNativeSelector", "false"),
    ("useReentrantLockWhenPutMessage", "true"),
    ("useTLS", "false"),
    ("waitTimeMillsInHeartbeatQueue", "31000"),
    ("waitTimeMillsInPullQueue", "5000"),
    ("waitTimeMillsInSendQueue", "200"),
    ("waitTimeMillsInTransactionQueue", "3000"),
    ("warmMapedFileEnable", "false"),
    ("writeBufferHighWaterMark", "0"),
    ("writeBufferLowWaterMark", "0"),
];

pub struct BrokerSettings {
    table: RwLock<(DataVersion, BTreeMap<String, String>)>,
    writer: ConfigWriter,
}

impl BrokerSettings {
    pub fn new(cfg: &BrokerConfig) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut t: BTreeMap<String, String> = JAVA_DEFAULTS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut set = |k: &str, v: String| {
            t.insert(k.to_owned(), v);
        };
        // Java sizes these from the processor count.
        set("pullMessageThreadPoolNums", (16 + cpus * 2).to_string());
        set("queryMessageThreadPoolNums", (8 + cpus).to_string());
        set("heartbeatThreadPoolNums", cpus.min(32).to_string());
        set("endTransactionThreadPoolNums", (8 + cpus * 2).to_string());
        set(
            "processReplyMessageThreadPoolNums",
            (16 + cpus * 2).to_string(),
        );
        set("putMessageFutureThreadPoolNums", cpus.min(4).to_string());
        set("clientCallbackExecutorThreads", cpus.to_string());
        set("brokerIP2", cfg.broker_ip1.to_string());
        set("haListenPort", (u32::from(cfg.listen_port) + 1).to_string());
        set(
            "storePathCommitLog",
            cfg.store_path_root_dir
                .join("commitlog")
                .display()
                .to_string(),
        );
        set(
            "rocketmqHome",
            std::env::var("ROCKETMQ_HOME").unwrap_or_default(),
        );
        for (k, v) in cfg.file_properties.iter() {
            set(k, v.clone());
        }
        for (k, v) in cfg.to_properties() {
            set(k, v);
        }
        let path = cfg.config_file.clone().unwrap_or_else(|| {
            cfg.store_path_root_dir
                .join("config")
                .join("broker.properties")
        });
        BrokerSettings {
            table: RwLock::new((
                DataVersion {
                    counter: 0,
                    timestamp: crate::processor::now_ms(),
                },
                t,
            )),
            writer: ConfigWriter::new(path),
        }
    }

    /// The data version (as JSON) and the `key=value\n` text GET_BROKER_CONFIG answers.
    pub fn render(&self) -> (String, String) {
        let g = self.table.read();
        let version = serde_json::to_string(&g.0).unwrap_or_default();
        let mut text = String::new();
        for (k, v) in &g.1 {
            text.push_str(k);
            text.push('=');
            text.push_str(v);
            text.push('\n');
        }
        (version, text)
    }

    /// Merge the keys that exist (Java's `mergeIfExist`), bump the version and rewrite the
    /// file. Returns the keys that changed value.
    pub fn update(&self, pairs: &[(String, String)]) -> Vec<String> {
        let (changed, text) = {
            let mut g = self.table.write();
            let mut changed = Vec::new();
            let mut known = false;
            for (k, v) in pairs {
                if let Some(old) = g.1.get_mut(k) {
                    known = true;
                    if old != v {
                        old.clone_from(v);
                        changed.push(k.clone());
                    }
                }
            }
            if !known {
                return changed;
            }
            g.0.counter += 1;
            g.0.timestamp = crate::processor::now_ms();
            let text: String = g.1.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            (changed, text)
        };
        self.writer.write_now(text.into_bytes());
        changed
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.table.read().1.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_keys_our_values_and_merge_if_exist() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = BrokerConfig {
            store_path_root_dir: dir.path().to_path_buf(),
            broker_name: "b1".into(),
            ..BrokerConfig::default()
        };
        let s = BrokerSettings::new(&cfg);
        let (v, text) = s.render();
        assert!(v.contains("\"counter\":0"), "{v}");
        assert!(text.lines().count() >= 170, "{}", text.lines().count());
        assert!(text.contains("\nbrokerName=b1\n"), "{text}");
        assert!(text.contains("\nmessageStorePlugIn=\n"), "{text}");
        let changed = s.update(&[
            ("fileReservedTime".into(), "24".into()),
            ("notAKey".into(), "x".into()),
        ]);
        assert_eq!(changed, ["fileReservedTime"]);
        assert_eq!(s.get("fileReservedTime").as_deref(), Some("24"));
        assert!(s.get("notAKey").is_none());
        let file = std::fs::read_to_string(dir.path().join("config/broker.properties")).unwrap();
        assert!(file.contains("fileReservedTime=24\n"));
        assert!(s.render().0.contains("\"counter\":1"));
    }
}
