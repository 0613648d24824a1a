//! Broker configuration: `BrokerConfig` + `MessageStoreConfig` under the property names RocketMQ
//! users know, read from a Java-style properties file and overridable by the caller.

use rocklet_store::schedule::DelayLevels;
use rocklet_store::{FlushDiskType, StoreConfig};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// `brokerClusterName`, default `DefaultCluster`.
    pub broker_cluster_name: String,
    /// `brokerName`; Java defaults to the host name, Rocklet to `broker-a`.
    pub broker_name: String,
    /// `brokerId`, 0 = master.
    pub broker_id: i64,
    /// `namesrvAddr`: `host:port;host:port`.
    pub namesrv_addr: Option<String>,
    /// `listenPort`, default 10911.
    pub listen_port: u16,
    /// Address to bind (Rocklet extension; tests use 127.0.0.1).
    pub bind_addr: IpAddr,
    /// `brokerIP1`: the address advertised to name servers and clients.
    pub broker_ip1: IpAddr,
    /// `metricsPort` (Rocklet): HTTP port of the Prometheus `/metrics` endpoint, bound on
    /// `bindAddress`; `None` (the default, or an empty value) = off, 0 = an ephemeral port.
    pub metrics_port: Option<u16>,
    /// `storePathRootDir`, default `~/store`.
    pub store_path_root_dir: PathBuf,
    /// `flushDiskType`: ASYNC_FLUSH (default) or SYNC_FLUSH.
    pub flush_disk_type: FlushDiskType,
    /// `autoCreateTopicEnable`, default true.
    pub auto_create_topic_enable: bool,
    /// `autoCreateSubscriptionGroup`, default true.
    pub auto_create_subscription_group: bool,
    /// `defaultTopicQueueNums`, default 8 (queue count of TBW102).
    pub default_topic_queue_nums: i32,
    /// `mapedFileSizeCommitLog` (sic), default 1 GiB.
    pub mapped_file_size_commit_log: u64,
    /// `mapedFileSizeConsumeQueue`, default 300000 * 20.
    pub mapped_file_size_consume_queue: u64,
    /// `maxMessageSize`, default 4 MiB.
    pub max_message_size: usize,
    /// `flushIntervalCommitLog` ms, default 500.
    pub flush_interval_commit_log: u64,
    /// `syncFlushTimeout` ms, default 5000.
    pub sync_flush_timeout: u64,
    /// `messageDelayLevel`: the delay of each level, default
    /// `1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h`.
    pub delay_levels: DelayLevels,
    /// How long an orderly consumer's queue lock lasts without renewal, ms (Java system property
    /// `rocketmq.broker.rebalance.lockMaxLiveTime`, accepted here as a broker property), 60000.
    pub rebalance_lock_max_live_time: u64,
    /// `registerNameServerPeriod` ms, default 30000.
    pub register_name_server_period: u64,
    /// `registerBrokerTimeoutMills`, default 6000.
    pub register_broker_timeout_mills: u64,
    /// `longPollingEnable`, default true.
    pub long_polling_enable: bool,
    /// `enablePropertyFilter`: SQL92 subscriptions (off by default, as in Java).
    pub enable_property_filter: bool,
    /// `traceTopicEnable`: create `msgTraceTopicName` at start (off by default, as Java).
    pub trace_topic_enable: bool,
    /// `msgTraceTopicName`, RMQ_SYS_TRACE_TOPIC.
    pub msg_trace_topic_name: String,
    /// `accessMessageInMemoryMaxRatio` (%), default 40.
    pub access_message_in_memory_max_ratio: u32,
    /// `osPageCacheBusyTimeOutMills`, default 1000: puts are refused while another has held
    /// the append lock longer (see the store's config).
    pub os_page_cache_busy_timeout_mills: u64,
    /// `shortPollingTimeMills`, default 1000.
    pub short_polling_time_mills: u64,
    /// `maxHeldPullsPerConnection` (Rocklet): suspended pulls held for one connection; more
    /// are answered at once (PULL_NOT_FOUND). Default 4096.
    pub max_held_pulls_per_connection: usize,
    /// `maxHeldPulls` (Rocklet): suspended pulls held by the broker. Default 65536.
    pub max_held_pulls: usize,
    /// `writeBufferHighWaterMark` (Java's NettyServerConfig property; 0 = Rocklet's default,
    /// 16 MiB): bytes queued for one connection before its requests stop being read.
    pub write_buffer_high_water_mark: usize,
    /// `writeBufferLowWaterMark` (0 = Rocklet's default, 4 MiB): reading resumes below it.
    pub write_buffer_low_water_mark: usize,
    /// `serverChannelMaxIdleTimeSeconds` (Java 120), kept in ms: a connection with nothing
    /// read or written for this long is closed; 0 never. `serverChannelMaxIdleTimeMillis`
    /// (Rocklet) sets it in ms.
    pub server_channel_max_idle_millis: u64,
    /// `flushConsumerOffsetInterval` ms, default 5000.
    pub flush_consumer_offset_interval: u64,
    /// `regionId`, default `DefaultRegion`.
    pub region_id: String,
    /// `traceOn`, default true.
    pub trace_on: bool,
    /// `maxMsgNumsPerPull` upper bound (Java store `maxTransferCountOnMessageInMemory`, 32).
    pub max_transfer_count: i32,
    /// `defaultQueryMaxNum`, default 32.
    pub default_query_max_num: i32,
    /// `transactionCheckInterval` ms: period of the half-message check service, default 60000.
    pub transaction_check_interval: u64,
    /// `transactionTimeOut` ms: a half message younger than this is not checked, default 6000.
    pub transaction_time_out: u64,
    /// `transactionCheckMax`: checks before a half message is discarded, default 15.
    pub transaction_check_max: i32,
    /// `fileReservedTime` hours, default 72: commit-log files older than this are deleted.
    pub file_reserved_time: u64,
    /// `fileReservedTimeMs` (Rocklet, for tests): overrides `fileReservedTime` in milliseconds.
    pub file_reserved_time_ms: Option<u64>,
    /// `deleteWhen`, default `04`: the local hours (`;`-separated) at which expired files go.
    pub delete_when: String,
    /// `diskMaxUsedSpaceRatio` percent, default 75 (clamped to 10..=95 when used).
    pub disk_max_used_space_ratio: i32,
    /// `cleanResourceInterval` ms, default 10000.
    pub clean_resource_interval: u64,
    /// `cleanResourceFirstDelay` ms (Rocklet; Java's is 60000, fixed).
    pub clean_resource_first_delay: u64,
    /// `destroyMapedFileIntervalForcibly` ms, default 120000.
    pub destroy_maped_file_interval_forcibly: u64,
    /// `deleteCommitLogFilesInterval` ms, default 100.
    pub delete_commit_log_files_interval: u64,
    /// `deleteConsumeQueueFilesInterval` ms, default 100.
    pub delete_consume_queue_files_interval: u64,
    /// `cleanFileForciblyEnable`, default true.
    pub clean_file_forcibly_enable: bool,
    /// Java system property `rocketmq.broker.diskSpaceWarningLevelRatio` (0.90), accepted as a
    /// broker property: above it the broker refuses sends (disk full).
    pub disk_space_warning_level_ratio: f64,
    /// Java system property `rocketmq.broker.diskSpaceCleanForciblyRatio` (0.85), accepted as a
    /// broker property: above it unexpired files are deleted too.
    pub disk_space_clean_forcibly_ratio: f64,
    /// `diskCheckInterval` ms (Rocklet; Java's is 10000, fixed).
    pub disk_check_interval: u64,
    /// `maxHashSlotNum`, default 5000000: hash slots per index file.
    pub max_hash_slot_num: usize,
    /// `maxIndexNum`, default 20000000: entries per index file (420 MB files with the
    /// defaults, allocated when created).
    pub max_index_num: usize,
    /// `messageIndexEnable`, default true.
    pub message_index_enable: bool,
    /// Rocklet's `recoverTruncateDamagedCommitLog`, default false (see the store's config).
    pub recover_truncate_damaged: bool,
    /// The properties file the config was read from (`-c`): UPDATE_BROKER_CONFIG rewrites it,
    /// as Java does.
    pub config_file: Option<PathBuf>,
    /// `aclEnable`, default false: check every client request against the plain ACL file.
    pub acl_enable: bool,
    /// TLS, from Java's system properties (`-Dtls.server.mode=...`, `tls.enable`, ...), not
    /// from the broker's properties file. Default: Java's, permissive with a self-signed
    /// certificate.
    pub tls: rocklet_remoting::tls::TlsSettings,
    /// `rocketmqHome`: where `conf/plain_acl.yml` is looked for; default the `ROCKETMQ_HOME`
    /// environment variable (Java reads `-Drocketmq.home.dir`, else `ROCKETMQ_HOME`).
    pub rocketmq_home: Option<PathBuf>,
    /// `rocketmq.acl.plain.file` (a Java system property there), relative to `rocketmqHome`;
    /// default `conf/plain_acl.yml`.
    pub acl_plain_file: String,
    /// Every key of that file as written, known to Rocklet or not (GET_BROKER_CONFIG shows them).
    pub file_properties: std::collections::BTreeMap<String, String>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 0,
            namesrv_addr: std::env::var("NAMESRV_ADDR").ok().filter(|s| !s.is_empty()),
            listen_port: 10911,
            bind_addr: [0, 0, 0, 0].into(),
            metrics_port: None,
            broker_ip1: [127, 0, 0, 1].into(),
            store_path_root_dir: Path::new(&home).join("store"),
            flush_disk_type: FlushDiskType::AsyncFlush,
            auto_create_topic_enable: true,
            auto_create_subscription_group: true,
            default_topic_queue_nums: 8,
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            max_message_size: 4 * 1024 * 1024,
            flush_interval_commit_log: 500,
            sync_flush_timeout: 5000,
            delay_levels: DelayLevels::default(),
            rebalance_lock_max_live_time: 60_000,
            register_name_server_period: 30_000,
            register_broker_timeout_mills: 6000,
            long_polling_enable: true,
            enable_property_filter: false,
            access_message_in_memory_max_ratio: 40,
            os_page_cache_busy_timeout_mills: 1000,
            trace_topic_enable: false,
            msg_trace_topic_name: "RMQ_SYS_TRACE_TOPIC".into(),
            short_polling_time_mills: 1000,
            max_held_pulls_per_connection: crate::hold::DEFAULT_MAX_HELD_PER_CONNECTION,
            max_held_pulls: crate::hold::DEFAULT_MAX_HELD_TOTAL,
            write_buffer_high_water_mark: rocklet_remoting::conn::DEFAULT_WRITE_HIGH_WATER_MARK,
            write_buffer_low_water_mark: rocklet_remoting::conn::DEFAULT_WRITE_LOW_WATER_MARK,
            server_channel_max_idle_millis: 120_000,
            flush_consumer_offset_interval: 5000,
            region_id: "DefaultRegion".into(),
            trace_on: true,
            max_transfer_count: 32,
            default_query_max_num: 32,
            transaction_check_interval: 60_000,
            transaction_time_out: 6_000,
            transaction_check_max: 15,
            file_reserved_time: 72,
            file_reserved_time_ms: None,
            delete_when: "04".into(),
            disk_max_used_space_ratio: 75,
            clean_resource_interval: 10_000,
            clean_resource_first_delay: 60_000,
            destroy_maped_file_interval_forcibly: 120_000,
            delete_commit_log_files_interval: 100,
            delete_consume_queue_files_interval: 100,
            clean_file_forcibly_enable: true,
            disk_space_warning_level_ratio: 0.90,
            disk_space_clean_forcibly_ratio: 0.85,
            disk_check_interval: 10_000,
            max_hash_slot_num: 5_000_000,
            max_index_num: 5_000_000 * 4,
            message_index_enable: true,
            recover_truncate_damaged: false,
            config_file: None,
            acl_enable: false,
            tls: Default::default(),
            rocketmq_home: std::env::var_os("ROCKETMQ_HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            acl_plain_file: "conf/plain_acl.yml".into(),
            file_properties: Default::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config `{key}`: invalid value `{value}`: {why}")]
    Invalid {
        key: String,
        value: String,
        why: String,
    },
}

fn invalid(key: &str, value: &str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        value: value.into(),
        why: why.into(),
    }
}

/// Parse a Java `.properties` file (`key=value` or `key: value`, `#`/`!` comments).
pub fn parse_properties(text: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line.find(['=', ':']).unwrap_or(line.len());
        let (k, v) = line.split_at(split);
        let v = v.get(1..).unwrap_or("").trim();
        m.insert(k.trim().to_owned(), v.to_owned());
    }
    m
}

impl BrokerConfig {
    /// Load a properties file over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.into(),
            source: e,
        })?;
        let props = parse_properties(&text);
        let mut c = BrokerConfig::default();
        c.apply(&props)?;
        c.config_file = Some(path.to_path_buf());
        c.file_properties = props.into_iter().collect();
        Ok(c)
    }

    /// Apply `key -> value` settings with Java property names. Unknown keys are ignored with a
    /// log line, as Java's `MixAll.properties2Object` ignores them.
    pub fn apply(&mut self, props: &HashMap<String, String>) -> Result<(), ConfigError> {
        fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, ConfigError> {
            v.trim().parse().map_err(|_| invalid(k, v, "not a number"))
        }
        fn boolean(k: &str, v: &str) -> Result<bool, ConfigError> {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(invalid(k, v, "expected true or false")),
            }
        }
        for (k, v) in props {
            match k.as_str() {
                "brokerClusterName" => self.broker_cluster_name = v.clone(),
                "brokerName" => self.broker_name = v.clone(),
                "brokerId" => self.broker_id = num(k, v)?,
                "namesrvAddr" => self.namesrv_addr = Some(v.clone()).filter(|s| !s.is_empty()),
                "listenPort" => self.listen_port = num(k, v)?,
                "brokerIP1" => self.broker_ip1 = num(k, v)?,
                "bindAddress" => self.bind_addr = num(k, v)?,
                "metricsPort" => {
                    self.metrics_port = if v.trim().is_empty() {
                        None
                    } else {
                        Some(num(k, v)?)
                    }
                }
                "storePathRootDir" => self.store_path_root_dir = PathBuf::from(v),
                "flushDiskType" => {
                    self.flush_disk_type = match v.as_str() {
                        "ASYNC_FLUSH" => FlushDiskType::AsyncFlush,
                        "SYNC_FLUSH" => FlushDiskType::SyncFlush,
                        _ => return Err(invalid(k, v, "expected ASYNC_FLUSH or SYNC_FLUSH")),
                    }
                }
                "autoCreateTopicEnable" => self.auto_create_topic_enable = boolean(k, v)?,
                "autoCreateSubscriptionGroup" => {
                    self.auto_create_subscription_group = boolean(k, v)?
                }
                "defaultTopicQueueNums" => self.default_topic_queue_nums = num(k, v)?,
                "mapedFileSizeCommitLog" | "mappedFileSizeCommitLog" => {
                    self.mapped_file_size_commit_log = num(k, v)?
                }
                "mapedFileSizeConsumeQueue" | "mappedFileSizeConsumeQueue" => {
                    self.mapped_file_size_consume_queue = num(k, v)?
                }
                "maxMessageSize" => self.max_message_size = num(k, v)?,
                "flushIntervalCommitLog" => self.flush_interval_commit_log = num(k, v)?,
                "syncFlushTimeout" => self.sync_flush_timeout = num(k, v)?,
                "rocketmq.broker.rebalance.lockMaxLiveTime" => {
                    self.rebalance_lock_max_live_time = num(k, v)?
                }
                "messageDelayLevel" => {
                    self.delay_levels = DelayLevels::parse(v).map_err(|e| invalid(k, v, e))?
                }
                "registerNameServerPeriod" => self.register_name_server_period = num(k, v)?,
                "registerBrokerTimeoutMills" => self.register_broker_timeout_mills = num(k, v)?,
                "longPollingEnable" => self.long_polling_enable = boolean(k, v)?,
                "enablePropertyFilter" => self.enable_property_filter = boolean(k, v)?,
                "traceTopicEnable" => self.trace_topic_enable = boolean(k, v)?,
                "msgTraceTopicName" => self.msg_trace_topic_name = v.clone(),
                "accessMessageInMemoryMaxRatio" => {
                    self.access_message_in_memory_max_ratio = num(k, v)?
                }
                "osPageCacheBusyTimeOutMills" => self.os_page_cache_busy_timeout_mills = num(k, v)?,
                "shortPollingTimeMills" => self.short_polling_time_mills = num(k, v)?,
                "maxHeldPullsPerConnection" => self.max_held_pulls_per_connection = num(k, v)?,
                "maxHeldPulls" => self.max_held_pulls = num(k, v)?,
                "writeBufferHighWaterMark" => {
                    let n: usize = num(k, v)?;
                    self.write_buffer_high_water_mark = if n == 0 {
                        rocklet_remoting::conn::DEFAULT_WRITE_HIGH_WATER_MARK
                    } else {
                        n
                    };
                }
                "writeBufferLowWaterMark" => {
                    let n: usize = num(k, v)?;
                    self.write_buffer_low_water_mark = if n == 0 {
                        rocklet_remoting::conn::DEFAULT_WRITE_LOW_WATER_MARK
                    } else {
                        n
                    };
                }
                "serverChannelMaxIdleTimeSeconds" => {
                    let secs: u64 = num(k, v)?;
                    self.server_channel_max_idle_millis = secs.saturating_mul(1000);
                }
                "serverChannelMaxIdleTimeMillis" => {
                    self.server_channel_max_idle_millis = num(k, v)?
                }
                "flushConsumerOffsetInterval" => self.flush_consumer_offset_interval = num(k, v)?,
                "regionId" => self.region_id = v.clone(),
                "traceOn" => self.trace_on = boolean(k, v)?,
                "defaultQueryMaxNum" => self.default_query_max_num = num(k, v)?,
                "transactionCheckInterval" => self.transaction_check_interval = num(k, v)?,
                "transactionTimeOut" => self.transaction_time_out = num(k, v)?,
                "transactionCheckMax" => self.transaction_check_max = num(k, v)?,
                "fileReservedTime" => self.file_reserved_time = num(k, v)?,
                "fileReservedTimeMs" => self.file_reserved_time_ms = Some(num(k, v)?),
                "deleteWhen" => {
                    if v.split(';')
                        .any(|h| h.trim().parse::<u32>().map_or(true, |h| h > 23))
                    {
                        return Err(invalid(k, v, "expected hours 0-23 separated by ';'"));
                    }
                    self.delete_when = v.clone()
                }
                "diskMaxUsedSpaceRatio" => self.disk_max_used_space_ratio = num(k, v)?,
                "cleanResourceInterval" => self.clean_resource_interval = num(k, v)?,
                "cleanResourceFirstDelay" => self.clean_resource_first_delay = num(k, v)?,
                "destroyMapedFileIntervalForcibly" => {
                    self.destroy_maped_file_interval_forcibly = num(k, v)?
                }
                "deleteCommitLogFilesInterval" => {
                    self.delete_commit_log_files_interval = num(k, v)?
                }
                "deleteConsumeQueueFilesInterval" => {
                    self.delete_consume_queue_files_interval = num(k, v)?
                }
                "cleanFileForciblyEnable" => self.clean_file_forcibly_enable = boolean(k, v)?,
                "rocketmq.broker.diskSpaceWarningLevelRatio" | "diskSpaceWarningLevelRatio" => {
                    self.disk_space_warning_level_ratio = num(k, v)?
                }
                "rocketmq.broker.diskSpaceCleanForciblyRatio" | "diskSpaceCleanForciblyRatio" => {
                    self.disk_space_clean_forcibly_ratio = num(k, v)?
                }
                "diskCheckInterval" => self.disk_check_interval = num(k, v)?,
                "maxHashSlotNum" => self.max_hash_slot_num = num(k, v)?,
                "maxIndexNum" => self.max_index_num = num(k, v)?,
                "messageIndexEnable" => self.message_index_enable = boolean(k, v)?,
                "recoverTruncateDamagedCommitLog" => self.recover_truncate_damaged = boolean(k, v)?,
                "aclEnable" => self.acl_enable = boolean(k, v)?,
                "rocketmqHome" => {
                    self.rocketmq_home = Some(PathBuf::from(v)).filter(|_| !v.is_empty())
                }
                "rocketmq.acl.plain.file" => self.acl_plain_file = v.clone(),
                other => tracing::debug!(key = other, "unknown broker property ignored"),
            }
        }
        self.validate()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.broker_name.is_empty() {
            return Err(invalid("brokerName", "", "must not be empty"));
        }
        if self.mapped_file_size_commit_log < 4096 {
            return Err(invalid(
                "mapedFileSizeCommitLog",
                &self.mapped_file_size_commit_log.to_string(),
                "at least 4096",
            ));
        }
        if self.max_message_size as u64 >= self.mapped_file_size_commit_log {
            return Err(invalid(
                "maxMessageSize",
                &self.max_message_size.to_string(),
                "must be smaller than mapedFileSizeCommitLog",
            ));
        }
        if self.default_topic_queue_nums <= 0 {
            return Err(invalid(
                "defaultTopicQueueNums",
                &self.default_topic_queue_nums.to_string(),
                "must be > 0",
            ));
        }
        Ok(())
    }

    /// The settings Rocklet reads, under Java's names and in Java's text (GET_BROKER_CONFIG). Rocklet-only
    /// settings (`maxHeldPulls*`, `recoverTruncateDamagedCommitLog`, the test overrides) are read
    /// but not listed: tools compare this listing with a Java broker's.
    pub fn to_properties(&self) -> Vec<(&'static str, String)> {
        let flush = match self.flush_disk_type {
            FlushDiskType::SyncFlush => "SYNC_FLUSH",
            FlushDiskType::AsyncFlush => "ASYNC_FLUSH",
        };
        vec![
            ("brokerClusterName", self.broker_cluster_name.clone()),
            ("aclEnable", self.acl_enable.to_string()),
            ("brokerName", self.broker_name.clone()),
            ("brokerId", self.broker_id.to_string()),
            ("namesrvAddr", self.namesrv_addr.clone().unwrap_or_default()),
            ("listenPort", self.listen_port.to_string()),
            ("brokerIP1", self.broker_ip1.to_string()),
            (
                "storePathRootDir",
                self.store_path_root_dir.display().to_string(),
            ),
            ("flushDiskType", flush.to_owned()),
            (
                "autoCreateTopicEnable",
                self.auto_create_topic_enable.to_string(),
            ),
            (
                "autoCreateSubscriptionGroup",
                self.auto_create_subscription_group.to_string(),
            ),
            (
                "defaultTopicQueueNums",
                self.default_topic_queue_nums.to_string(),
            ),
            (
                "mappedFileSizeCommitLog",
                self.mapped_file_size_commit_log.to_string(),
            ),
            (
                "mappedFileSizeConsumeQueue",
                self.mapped_file_size_consume_queue.to_string(),
            ),
            ("maxMessageSize", self.max_message_size.to_string()),
            (
                "flushIntervalCommitLog",
                self.flush_interval_commit_log.to_string(),
            ),
            ("syncFlushTimeout", self.sync_flush_timeout.to_string()),
            ("messageDelayLevel", self.delay_levels.to_text()),
            (
                "registerNameServerPeriod",
                self.register_name_server_period.to_string(),
            ),
            (
                "registerBrokerTimeoutMills",
                self.register_broker_timeout_mills.to_string(),
            ),
            ("longPollingEnable", self.long_polling_enable.to_string()),
            (
                "enablePropertyFilter",
                self.enable_property_filter.to_string(),
            ),
            (
                "accessMessageInMemoryMaxRatio",
                self.access_message_in_memory_max_ratio.to_string(),
            ),
            (
                "osPageCacheBusyTimeOutMills",
                self.os_page_cache_busy_timeout_mills.to_string(),
            ),
            ("traceTopicEnable", self.trace_topic_enable.to_string()),
            ("msgTraceTopicName", self.msg_trace_topic_name.clone()),
            (
                "shortPollingTimeMills",
                self.short_polling_time_mills.to_string(),
            ),
            (
                "writeBufferHighWaterMark",
                self.write_buffer_high_water_mark.to_string(),
            ),
            (
                "writeBufferLowWaterMark",
                self.write_buffer_low_water_mark.to_string(),
            ),
            (
                "serverChannelMaxIdleTimeSeconds",
                (self.server_channel_max_idle_millis / 1000).to_string(),
            ),
            (
                "flushConsumerOffsetInterval",
                self.flush_consumer_offset_interval.to_string(),
            ),
            ("regionId", self.region_id.clone()),
            ("traceOn", self.trace_on.to_string()),
            (
                "maxTransferCountOnMessageInMemory",
                self.max_transfer_count.to_string(),
            ),
            ("defaultQueryMaxNum", self.default_query_max_num.to_string()),
            (
                "transactionCheckInterval",
                self.transaction_check_interval.to_string(),
            ),
            ("transactionTimeOut", self.transaction_time_out.to_string()),
            (
                "transactionCheckMax",
                self.transaction_check_max.to_string(),
            ),
            ("fileReservedTime", self.file_reserved_time.to_string()),
            ("deleteWhen", self.delete_when.clone()),
            (
                "diskMaxUsedSpaceRatio",
                self.disk_max_used_space_ratio.to_string(),
            ),
            (
                "cleanResourceInterval",
                self.clean_resource_interval.to_string(),
            ),
            (
                "destroyMapedFileIntervalForcibly",
                self.destroy_maped_file_interval_forcibly.to_string(),
            ),
            (
                "deleteCommitLogFilesInterval",
                self.delete_commit_log_files_interval.to_string(),
            ),
            (
                "deleteConsumeQueueFilesInterval",
                self.delete_consume_queue_files_interval.to_string(),
            ),
            (
                "cleanFileForciblyEnable",
                self.clean_file_forcibly_enable.to_string(),
            ),
            ("maxHashSlotNum", self.max_hash_slot_num.to_string()),
            ("maxIndexNum", self.max_index_num.to_string()),
            ("messageIndexEnable", self.message_index_enable.to_string()),
        ]
    }

    /// The name server addresses, split on `;`.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        rocklet_remoting::split_addr_list(self.namesrv_addr.as_deref().unwrap_or(""))
    }

    pub fn store_config(&self, store_host: SocketAddr) -> StoreConfig {
        StoreConfig {
            root_dir: self.store_path_root_dir.clone(),
            mapped_file_size_commit_log: self.mapped_file_size_commit_log,
            mapped_file_size_consume_queue: self.mapped_file_size_consume_queue,
            flush_disk_type: self.flush_disk_type,
            flush_interval_commit_log_ms: self.flush_interval_commit_log,
            sync_flush_timeout_ms: self.sync_flush_timeout,
            max_message_size: self.max_message_size,
            store_host,
            max_transfer_count_on_message: self.max_transfer_count.max(1) as usize,
            access_message_in_memory_max_ratio: self.access_message_in_memory_max_ratio,
            os_page_cache_busy_timeout_ms: self.os_page_cache_busy_timeout_mills,
            delay_levels: self.delay_levels.clone(),
            file_reserved_time_ms: self
                .file_reserved_time_ms
                .unwrap_or(self.file_reserved_time.saturating_mul(3_600_000)),
            delete_when: self.delete_when.clone(),
            disk_max_used_space_ratio: self.disk_max_used_space_ratio,
            clean_resource_interval_ms: self.clean_resource_interval,
            clean_resource_first_delay_ms: self.clean_resource_first_delay,
            destroy_mapped_file_interval_forcibly_ms: self.destroy_maped_file_interval_forcibly,
            delete_commit_log_files_interval_ms: self.delete_commit_log_files_interval,
            delete_consume_queue_files_interval_ms: self.delete_consume_queue_files_interval,
            clean_file_forcibly_enable: self.clean_file_forcibly_enable,
            disk_space_warning_level_ratio: self.disk_space_warning_level_ratio,
            disk_space_clean_forcibly_ratio: self.disk_space_clean_forcibly_ratio,
            disk_check_interval_ms: self.disk_check_interval,
            max_hash_slot_num: self.max_hash_slot_num,
            max_index_num: self.max_index_num,
            message_index_enable: self.message_index_enable,
            recover_truncate_damaged: self.recover_truncate_damaged,
            ..StoreConfig::default()
        }
    }

    /// The plain ACL file: `rocketmqHome` joined with `rocketmq.acl.plain.file`.
    pub fn acl_file(&self) -> PathBuf {
        let home = self
            .rocketmq_home
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(&self.acl_plain_file)
    }

    /// Java's `defaultAclDir`: `rocketmqHome/conf/acl`, every `.yml`/`.yaml` file in it (and
    /// below) read with the plain ACL file.
    pub fn acl_dir(&self) -> PathBuf {
        let home = self
            .rocketmq_home
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        home.join("conf").join("acl")
    }
    pub fn register_period(&self) -> Duration {
        Duration::from_millis(self.register_name_server_period.clamp(10_000, 60_000))
    }
}

#[cfg(test)]
mod tests;
