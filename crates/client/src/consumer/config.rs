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

/// `MessageModel`: how the members of a group share a topic's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum MessageModel {
    /// Every member gets every message; offsets kept by each client in a local file.
    BROADCASTING,
    /// The members share the queues; offsets kept by the broker.
    CLUSTERING,
}

impl MessageModel {
    /// The Java name, as sent in heartbeats.
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageModel::BROADCASTING => "BROADCASTING",
            MessageModel::CLUSTERING => "CLUSTERING",
        }
    }
}

/// `DefaultMQPushConsumer`'s own settings (Java's field names, in snake case, and the 4.9.3
/// defaults).
#[derive(Debug, Clone)]
pub struct PushConsumerConfig {
    /// The `ClientConfig` part.
    pub client: ClientConfig,
    /// `consumerGroup`, default `DEFAULT_CONSUMER`, which start refuses.
    pub consumer_group: String,
    /// `messageModel`, default CLUSTERING.
    pub message_model: MessageModel,
    /// `consumeFromWhere`, default CONSUME_FROM_LAST_OFFSET. Applies only to a queue the group
    /// has no committed offset for.
    pub consume_from_where: ConsumeFromWhere,
    /// `consumeTimestamp` (`yyyyMMddHHmmss`, UTC in Rocklet), default 30 minutes before the
    /// config was made.
    pub consume_timestamp: String,
    /// `consumeThreadMin`, 20. Kept for completeness: listeners run as tokio tasks, at most
    /// `consume_thread_max` at a time.
    pub consume_thread_min: usize,
    /// `consumeThreadMax`, 20: most listener calls running at once.
    pub consume_thread_max: usize,
    /// `consumeConcurrentlyMaxSpan`, 2000: a queue is not pulled while the offsets of its
    /// cached messages span more than this (concurrently only).
    pub consume_concurrently_max_span: i64,
    /// `pullThresholdForQueue`, 1000 messages cached per queue.
    pub pull_threshold_for_queue: i64,
    /// `pullThresholdSizeForQueue`, 100 MiB of bodies cached per queue.
    pub pull_threshold_size_for_queue: i64,
    /// `pullThresholdForTopic`, -1 (off): when set, each queue's count threshold becomes this
    /// divided by the queues assigned of the topic (at least 1).
    pub pull_threshold_for_topic: i64,
    /// `pullThresholdSizeForTopic`, -1 (off): the same for the size threshold (MiB).
    pub pull_threshold_size_for_topic: i64,
    /// `pullInterval`, 0 ms between a queue's pulls.
    pub pull_interval: u64,
    /// `consumeMessageBatchMaxSize`, 1: most messages per listener call.
    pub consume_message_batch_max_size: usize,
    /// `pullBatchSize`, 32: most messages per pull.
    pub pull_batch_size: i32,
    /// `postSubscriptionWhenPull`, false: send the subscription in every pull.
    pub post_subscription_when_pull: bool,
    /// `maxReconsumeTimes`, -1: 16 for a concurrently listener, unlimited for an orderly one.
    pub max_reconsume_times: i32,
    /// `suspendCurrentQueueTimeMillis`, 1000: the orderly listener's
    /// SUSPEND_CURRENT_QUEUE_A_MOMENT pause.
    pub suspend_current_queue_time_millis: u64,
    /// `consumeTimeout`, 15 minutes: a message whose listener call has run longer is sent back
    /// for a retry (concurrently only).
    pub consume_timeout_minutes: u64,
    /// `brokerSuspendMaxTimeMillis`, 15000: how long the broker holds a pull with nothing new.
    pub broker_suspend_max_time_millis: u64,
    /// `consumerTimeoutMillisWhenSuspend`, 30000: the client's timeout of such a pull.
    pub consumer_timeout_millis_when_suspend: u64,
    /// `awaitTerminationMillisWhenShutdown`, 0: how long shutdown waits for running listener
    /// calls (0: does not wait).
    pub await_termination_millis_when_shutdown: u64,
    /// Where a BROADCASTING consumer keeps its offsets (Java's
    /// `rocketmq.client.localOffsetStoreDir`); None: `$ROCKETMQ_CLIENT_LOCAL_OFFSET_STORE_DIR`,
    /// else `$HOME/.rocketmq_offsets`. The file is `<dir>/<clientId>/<group>/offsets.json`.
    pub local_offset_store_dir: Option<std::path::PathBuf>,
}

impl Default for PushConsumerConfig {
    fn default() -> Self {
        PushConsumerConfig {
            client: ClientConfig::default(),
            consumer_group: DEFAULT_CONSUMER_GROUP.into(),
            message_model: MessageModel::CLUSTERING,
            consume_from_where: ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET,
            consume_timestamp: format_yyyymmddhhmmss(
                rocklet_protocol::time::now_ms() - 30 * 60 * 1000,
            ),
            consume_thread_min: 20,
            consume_thread_max: 20,
            consume_concurrently_max_span: 2000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            pull_threshold_for_topic: -1,
            pull_threshold_size_for_topic: -1,
            pull_interval: 0,
            consume_message_batch_max_size: 1,
            pull_batch_size: 32,
            post_subscription_when_pull: false,
            max_reconsume_times: -1,
            suspend_current_queue_time_millis: 1000,
            consume_timeout_minutes: 15,
            broker_suspend_max_time_millis: 15_000,
            consumer_timeout_millis_when_suspend: 30_000,
            await_termination_millis_when_shutdown: 0,
            local_offset_store_dir: None,
        }
    }
}

impl PushConsumerConfig {
    /// The defaults with consumer group `group` (Java `new DefaultMQPushConsumer(group)`).
    pub fn new(group: impl Into<String>) -> Self {
        PushConsumerConfig {
            consumer_group: group.into(),
            ..Default::default()
        }
    }
    /// Builder: set `namesrvAddr`.
    pub fn with_namesrv(mut self, addr: impl Into<String>) -> Self {
        self.client.namesrv_addr = Some(addr.into());
        self
    }
    /// Builder: set `messageModel`.
    pub fn with_message_model(mut self, m: MessageModel) -> Self {
        self.message_model = m;
        self
    }
    /// Builder: set `consumeFromWhere`.
    pub fn with_consume_from_where(mut self, w: ConsumeFromWhere) -> Self {
        self.consume_from_where = w;
        self
    }
}

/// `DefaultMQPushConsumerImpl.checkConfig`: Java's checks and texts.
pub(crate) fn check_push_config(cfg: &PushConsumerConfig) -> Result<(), ClientError> {
    crate::validators::check_group(&cfg.consumer_group)?;
    let bad = |what: &str| {
        Err(ClientError::client(
            -1,
            format!(
                "{what}{}",
                crate::error::faq(crate::error::FAQ_CLIENT_PARAMETER_CHECK)
            ),
        ))
    };
    if cfg.consumer_group == DEFAULT_CONSUMER_GROUP {
        return bad(&format!(
            "consumerGroup can not equal {DEFAULT_CONSUMER_GROUP}, please specify another one."
        ));
    }
    if cfg.consume_from_where == ConsumeFromWhere::CONSUME_FROM_TIMESTAMP
        && parse_yyyymmddhhmmss(&cfg.consume_timestamp).is_none()
    {
        return bad(&format!(
            "consumeTimestamp is invalid, the valid format is yyyyMMddHHmmss,but received {}",
            cfg.consume_timestamp
        ));
    }
    if cfg.consume_thread_min < 1 || cfg.consume_thread_min > 1000 {
        return bad("consumeThreadMin Out of range [1, 1000]");
    }
    if cfg.consume_thread_max < 1 || cfg.consume_thread_max > 1000 {
        return bad("consumeThreadMax Out of range [1, 1000]");
    }
    if cfg.consume_thread_min > cfg.consume_thread_max {
        return bad(&format!(
            "consumeThreadMin ({}) is larger than consumeThreadMax ({})",
            cfg.consume_thread_min, cfg.consume_thread_max
        ));
    }
    if !(1..=65535).contains(&cfg.consume_concurrently_max_span) {
        return bad("consumeConcurrentlyMaxSpan Out of range [1, 65535]");
    }
    if !(1..=65535).contains(&cfg.pull_threshold_for_queue) {
        return bad("pullThresholdForQueue Out of range [1, 65535]");
    }
    if cfg.pull_threshold_for_topic != -1
        && !(1..=6_553_500).contains(&cfg.pull_threshold_for_topic)
    {
        return bad("pullThresholdForTopic Out of range [1, 6553500]");
    }
    if !(1..=1024).contains(&cfg.pull_threshold_size_for_queue) {
        return bad("pullThresholdSizeForQueue Out of range [1, 1024]");
    }
    if cfg.pull_threshold_size_for_topic != -1
        && !(1..=102_400).contains(&cfg.pull_threshold_size_for_topic)
    {
        return bad("pullThresholdSizeForTopic Out of range [1, 102400]");
    }
    if cfg.pull_interval > 65535 {
        return bad("pullInterval Out of range [0, 65535]");
    }
    if !(1..=1024).contains(&cfg.consume_message_batch_max_size) {
        return bad("consumeMessageBatchMaxSize Out of range [1, 1024]");
    }
    if !(1..=1024).contains(&cfg.pull_batch_size) {
        return bad("pullBatchSize Out of range [1, 1024]");
    }
    Ok(())
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
    /// `messageModel`, CLUSTERING: in SUBSCRIBE mode, whether the group's members share the
    /// queues or each reads them all.
    pub message_model: MessageModel,
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
            message_model: MessageModel::CLUSTERING,
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
