//! `DefaultLitePullConsumer`'s settings with the 4.9.3 defaults.

use crate::config::ClientConfig;
use crate::error::ClientError;

/// `MixAll.DEFAULT_CONSUMER_GROUP`: the default consumer group, which a consumer refuses to
/// start with.
pub const DEFAULT_CONSUMER_GROUP: &str = "DEFAULT_CONSUMER";

/// `ConsumeFromWhere`: where a queue is read from when its group has no committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum ConsumeFromWhere {
    /// From the queue's end (its max offset): only messages sent from now on.
    CONSUME_FROM_LAST_OFFSET,
    /// From offset 0.
    CONSUME_FROM_FIRST_OFFSET,
    /// From the first message stored at or after
    /// [`LitePullConsumerConfig::consume_timestamp`].
    CONSUME_FROM_TIMESTAMP,
}

impl ConsumeFromWhere {
    /// The Java name, as sent in heartbeats.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET => "CONSUME_FROM_LAST_OFFSET",
            ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET => "CONSUME_FROM_FIRST_OFFSET",
            ConsumeFromWhere::CONSUME_FROM_TIMESTAMP => "CONSUME_FROM_TIMESTAMP",
        }
    }
}

/// `DefaultLitePullConsumer`'s own settings (Java's field names, in snake case, and defaults).
#[derive(Debug, Clone)]
pub struct LitePullConsumerConfig {
    /// The `ClientConfig` part (Java's consumer extends `ClientConfig`).
    pub client: ClientConfig,
    /// `consumerGroup`, default `DEFAULT_CONSUMER`, which
    /// [`crate::DefaultLitePullConsumer::start`] refuses: name a group of your own.
    pub consumer_group: String,
    /// `pullBatchSize`, 10: most messages one pull request asks for.
    pub pull_batch_size: i32,
    /// `pollTimeoutMillis`, 5000: the wait of [`crate::DefaultLitePullConsumer::poll_default`].
    pub poll_timeout_millis: u64,
    /// `autoCommit`, true: commit the consumed offsets every `auto_commit_interval_millis` and on
    /// shutdown.
    pub auto_commit: bool,
    /// `autoCommitIntervalMillis`, 5000.
    pub auto_commit_interval_millis: u64,
    /// `pullThresholdForQueue`, 1000: a queue is not pulled while it has more messages than this
    /// cached (so at most this plus `pull_batch_size` are cached per queue).
    pub pull_threshold_for_queue: i64,
    /// `pullThresholdSizeForQueue`, 100 (MiB): a queue is not pulled while the bodies it has
    /// cached take more than this many MiB.
    pub pull_threshold_size_for_queue: i64,
    /// `consumerPullTimeoutMillis`, 10000: Java's timeout of a pull that does not wait on the
    /// broker. Every pull of this consumer long-polls, so it is kept for completeness only.
    pub consumer_pull_timeout_millis: u64,
    /// `consumerTimeoutMillisWhenSuspend`, 30000: the client's timeout of a long-polling pull.
    pub consumer_timeout_millis_when_suspend: u64,
    /// `brokerSuspendMaxTimeMillis`, 20000: how long the broker holds a pull when there is
    /// nothing new (`suspendTimeoutMillis` of the request).
    pub broker_suspend_max_time_millis: u64,
    /// `pullTimeDelayMillsWhenException`, 1000: the pause after a failed pull.
    pub pull_time_delay_millis_when_exception: u64,
    /// `consumeFromWhere`, default [`ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET`].
    pub consume_from_where: ConsumeFromWhere,
    /// `consumeTimestamp` (`yyyyMMddHHmmss`), default 30 minutes before the config was made.
    /// Rocklet reads and writes it in UTC (Java uses the local time zone).
    pub consume_timestamp: String,
    /// `pullThreadNums`, 20: the size of Java's pull thread pool. Unused: every assigned queue
    /// has a pull task of its own on the tokio runtime.
    pub pull_thread_nums: usize,
}

impl Default for LitePullConsumerConfig {
    fn default() -> Self {
        LitePullConsumerConfig {
            client: ClientConfig::default(),
            consumer_group: DEFAULT_CONSUMER_GROUP.into(),
            pull_batch_size: 10,
            poll_timeout_millis: 5000,
            auto_commit: true,
            auto_commit_interval_millis: 5000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            consumer_pull_timeout_millis: 10_000,
            consumer_timeout_millis_when_suspend: 30_000,
            broker_suspend_max_time_millis: 20_000,
            pull_time_delay_millis_when_exception: 1000,
            consume_from_where: ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET,
            consume_timestamp: format_yyyymmddhhmmss(
                rocklet_protocol::time::now_ms() - 30 * 60 * 1000,
            ),
            pull_thread_nums: 20,
        }
    }
}

impl LitePullConsumerConfig {
    /// The defaults with consumer group `group` (Java `new DefaultLitePullConsumer(group)`).
    pub fn new(group: impl Into<String>) -> Self {
        LitePullConsumerConfig {
            consumer_group: group.into(),
            ..Default::default()
        }
    }
    /// Builder: set `namesrvAddr` (`host:port`, several separated by `;`).
    pub fn with_namesrv(mut self, addr: impl Into<String>) -> Self {
        self.client.namesrv_addr = Some(addr.into());
        self
    }
}

/// `checkConfig` of the consumer: a valid group name other than `DEFAULT_CONSUMER`, and sane
/// numbers.
pub(crate) fn check_consumer_config(cfg: &LitePullConsumerConfig) -> Result<(), ClientError> {
    crate::validators::check_group(&cfg.consumer_group)?;
    if cfg.consumer_group == DEFAULT_CONSUMER_GROUP {
        return Err(ClientError::client(
            -1,
            format!(
                "consumerGroup can not equal {DEFAULT_CONSUMER_GROUP}, please specify another one."
            ),
        ));
    }
    if !(1..=1024).contains(&cfg.pull_batch_size) {
        return Err(ClientError::client(
            -1,
            "pullBatchSize Out of range [1, 1024]",
        ));
    }
    if cfg.consume_from_where == ConsumeFromWhere::CONSUME_FROM_TIMESTAMP
        && parse_yyyymmddhhmmss(&cfg.consume_timestamp).is_none()
    {
        return Err(ClientError::client(
            -1,
            format!(
                "consumeTimestamp is invalid, the valid format is yyyyMMddHHmmss,but received {}",
                cfg.consume_timestamp
            ),
        ));
    }
    Ok(())
}

/// `UtilAll.timeMillisToHumanString3` in UTC: `yyyyMMddHHmmss`.
pub fn format_yyyymmddhhmmss(ms: i64) -> String {
    rocklet_protocol::time::format_millis(ms, ' ', '.')
        .chars()
        .take(19)
        .filter(char::is_ascii_digit)
        .collect()
}

/// `UtilAll.parseDate(s, "yyyyMMddHHmmss").getTime()` in UTC; None when `s` is not 14 digits
/// of a valid date and time.
pub fn parse_yyyymmddhhmmss(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
    let (hh, mm, ss) = (n(8, 10)?, n(10, 12)?, n(12, 14)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_round_trips() {
        assert_eq!(format_yyyymmddhhmmss(0), "19700101000000");
        assert_eq!(parse_yyyymmddhhmmss("19700101000000"), Some(0));
        let t = 1_700_000_123_000;
        assert_eq!(parse_yyyymmddhhmmss(&format_yyyymmddhhmmss(t)), Some(t));
        assert_eq!(parse_yyyymmddhhmmss("2024022930000"), None);
        assert_eq!(parse_yyyymmddhhmmss("20241301000000"), None);
    }

    #[test]
    fn defaults_are_java_4_9_3s() {
        let c = LitePullConsumerConfig::default();
        assert_eq!(c.consumer_group, "DEFAULT_CONSUMER");
        assert_eq!(c.pull_batch_size, 10);
        assert_eq!(c.poll_timeout_millis, 5000);
        assert!(c.auto_commit);
        assert_eq!(c.pull_threshold_for_queue, 1000);
        assert_eq!(c.broker_suspend_max_time_millis, 20_000);
        assert_eq!(c.consumer_timeout_millis_when_suspend, 30_000);
        assert_eq!(c.consume_timestamp.len(), 14);
        assert!(check_consumer_config(&c).is_err());
        assert!(check_consumer_config(&LitePullConsumerConfig::new("g1")).is_ok());
    }
}
