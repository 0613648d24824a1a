//! Topic configs (`TopicConfigManager`): system topics, auto-creation from TBW102, persistence
//! to `<storePathRootDir>/config/topics.json` in the Java file's JSON shape.

use parking_lot::RwLock;
use rocklet_protocol::body::{
    DataVersion, TopicConfig, TopicConfigSerializeWrapper, AUTO_CREATE_TOPIC_KEY_TOPIC,
};
use rocklet_protocol::route::perm;
use rocklet_protocol::time::now_ms;
use rocklet_store::config_file::{self, ConfigFileError, ConfigWriter};

use crate::config::BrokerConfig;

pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Queues of `SCHEDULE_TOPIC_XXXX` (one per delay level).
pub const SCHEDULE_TOPIC_QUEUE_NUM: i32 = 18;
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// `MixAll.REPLY_TOPIC_POSTFIX`: `<cluster>_REPLY_TOPIC` is a system topic.
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";

/// Every system topic of this broker, as GET_SYSTEM_TOPIC_LIST_FROM_BROKER lists them:
/// `TopicValidator`'s set plus the cluster, broker and reply topic names the broker adds.
pub fn system_topics(cfg: &BrokerConfig) -> Vec<String> {
    let mut v: Vec<String> = SYSTEM_TOPICS.iter().map(|t| (*t).to_owned()).collect();
    v.push(cfg.broker_cluster_name.clone());
    v.push(cfg.broker_name.clone());
    v.push(format!("{}_{REPLY_TOPIC_POSTFIX}", cfg.broker_cluster_name));
    v
}

/// Why a topic name is refused, in `TopicValidator.validateTopic`'s words; None when valid.
/// The rules are `rocklet_protocol::topic`'s.
pub fn validate_topic(topic: &str) -> Option<String> {
    use rocklet_protocol::topic::{check_topic, NameError, VALID_PATTERN};
    check_topic(topic).err().map(|e| match e {
        NameError::Blank => "The specified topic is blank.".to_owned(),
        NameError::IllegalCharacters => {
            format!(
                "The specified topic contains illegal characters, allowing only {VALID_PATTERN}"
            )
        }
        NameError::TooLong => "The specified topic is longer than topic max length.".to_owned(),
    })
}

/// `TopicValidator.SYSTEM_TOPIC_SET` of 4.9.3, before the broker adds its own names.
const SYSTEM_TOPICS: &[&str] = &[
    AUTO_CREATE_TOPIC_KEY_TOPIC,
    SCHEDULE_TOPIC,
    BENCHMARK_TOPIC,
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRACE_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// `TopicValidator.isSystemTopic` after the broker's constructor registered the cluster name,
/// the broker name and `<cluster>_REPLY_TOPIC` as system topics.
pub fn is_system_topic(topic: &str, cfg: &BrokerConfig) -> bool {
    SYSTEM_TOPICS.contains(&topic)
        || (cfg.trace_topic_enable && topic == cfg.msg_trace_topic_name)
        || topic.starts_with("rmq_sys_")
        || topic == cfg.broker_cluster_name
        || topic == cfg.broker_name
        || topic
            .strip_prefix(cfg.broker_cluster_name.as_str())
            .and_then(|t| t.strip_prefix('_'))
            == Some(REPLY_TOPIC_POSTFIX)
}

pub struct TopicConfigManager {
    inner: RwLock<TopicConfigSerializeWrapper>,
    writer: ConfigWriter,
    auto_create: bool,
}

impl TopicConfigManager {
    /// Loads `config/topics.json` (or its `.bak`); an error when neither decodes.
    pub fn load(cfg: &BrokerConfig) -> Result<Self, ConfigFileError> {
        let path = cfg.store_path_root_dir.join("config").join("topics.json");
        let mut w: TopicConfigSerializeWrapper =
            config_file::load(&path, rocklet_protocol::body::decode_json)?.unwrap_or_default();
        // The system topics of Java 4.9.3's `TopicConfigManager` constructor (the trace topic
        // only with `traceTopicEnable`, off by default). Topics loaded from the file win over
        // these defaults, as Java's `load()` runs after the constructor.
        let sys = |name: &str, q: i32, p: i32| TopicConfig::new(name, q, q, p);
        let mut defaults = vec![
            sys(SELF_TEST_TOPIC, 1, perm::READ | perm::WRITE),
            sys(
                &cfg.broker_cluster_name,
                16,
                perm::READ | perm::WRITE | perm::INHERIT,
            ),
            sys(
                &cfg.broker_name,
                1,
                perm::READ | perm::WRITE | perm::INHERIT,
            ),
            sys(OFFSET_MOVED_EVENT, 1, perm::READ | perm::WRITE),
            sys(BENCHMARK_TOPIC, 1024, perm::READ | perm::WRITE),
            sys(
                SCHEDULE_TOPIC,
                SCHEDULE_TOPIC_QUEUE_NUM,
                perm::READ | perm::WRITE,
            ),
            sys(
                &format!("{}_{REPLY_TOPIC_POSTFIX}", cfg.broker_cluster_name),
                1,
                perm::READ | perm::WRITE,
            ),
        ];
        if cfg.trace_topic_enable && !cfg.msg_trace_topic_name.is_empty() {
            defaults.push(sys(&cfg.msg_trace_topic_name, 1, perm::READ | perm::WRITE));
        }
        if cfg.auto_create_topic_enable {
            defaults.push(sys(
                AUTO_CREATE_TOPIC_KEY_TOPIC,
                cfg.default_topic_queue_nums,
                perm::READ | perm::WRITE | perm::INHERIT,
            ));
        }
        for tc in defaults {
            w.topic_config_table
                .entry(tc.topic_name.clone())
                .or_insert(tc);
        }
        if w.data_version.timestamp == 0 {
            w.data_version = DataVersion {
                counter: 0,
                timestamp: now_ms(),
            };
        }
        Ok(TopicConfigManager {
            inner: RwLock::new(w),
            writer: ConfigWriter::new(path),
            auto_create: cfg.auto_create_topic_enable,
        })
    }

    pub fn select(&self, topic: &str) -> Option<TopicConfig> {
        self.inner.read().topic_config_table.get(topic).cloned()
    }

    pub fn snapshot(&self) -> TopicConfigSerializeWrapper {
        self.inner.read().clone()
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.inner
            .read()
            .topic_config_table
            .keys()
            .cloned()
            .collect()
    }

    fn bump(w: &mut TopicConfigSerializeWrapper) {
        w.data_version.counter += 1;
        w.data_version.timestamp = now_ms();
    }

    /// Create or replace a topic (UPDATE_AND_CREATE_TOPIC).
    pub fn update(&self, tc: TopicConfig) {
        {
            let mut w = self.inner.write();
            w.topic_config_table.insert(tc.topic_name.clone(), tc);
            Self::bump(&mut w);
        }
        self.persist();
    }

    pub fn delete(&self, topic: &str) -> bool {
        let removed = {
            let mut w = self.inner.write();
            let r = w.topic_config_table.remove(topic).is_some();
            if r {
                Self::bump(&mut w);
            }
            r
        };
        if removed {
            self.persist();
        }
        removed
    }

    /// `createTopicInSendMessageMethod`: create `topic` from `default_topic` when that topic
    /// allows inheritance. Returns the config and whether it was newly created.
    pub fn create_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        client_queue_nums: i32,
        sys_flag: i32,
    ) -> Option<(TopicConfig, bool)> {
        if let Some(tc) = self.select(topic) {
            return Some((tc, false));
        }
        let created = {
            let mut w = self.inner.write();
            if let Some(tc) = w.topic_config_table.get(topic) {
                return Some((tc.clone(), false));
            }
            let mut def = w.topic_config_table.get(default_topic).cloned()?;
            if default_topic == AUTO_CREATE_TOPIC_KEY_TOPIC && !self.auto_create {
                def.perm = perm::READ | perm::WRITE;
            }
            if def.perm & perm::INHERIT == 0 {
                tracing::warn!(
                    topic,
                    default_topic,
                    "create new topic failed: the default topic has no inherit permission"
                );
                return None;
            }
            let q = client_queue_nums.min(def.write_queue_nums).max(0);
            let tc = TopicConfig {
                topic_name: topic.to_owned(),
                read_queue_nums: q,
                write_queue_nums: q,
                perm: def.perm & !perm::INHERIT,
                topic_filter_type: def.topic_filter_type.clone(),
                topic_sys_flag: sys_flag,
                order: false,
            };
            w.topic_config_table.insert(topic.to_owned(), tc.clone());
            Self::bump(&mut w);
            tc
        };
        tracing::info!(
            topic,
            queues = created.write_queue_nums,
            "topic auto-created"
        );
        self.persist();
        Some((created, true))
    }

    /// `createTopicInSendMessageBackMethod`: retry / DLQ topics, created without a template.
    pub fn create_system(&self, topic: &str, queue_nums: i32, perm: i32) -> (TopicConfig, bool) {
        if let Some(tc) = self.select(topic) {
            return (tc, false);
        }
        let tc = TopicConfig::new(topic, queue_nums, queue_nums, perm);
        {
            let mut w = self.inner.write();
            if let Some(tc) = w.topic_config_table.get(topic) {
                return (tc.clone(), false);
            }
            w.topic_config_table.insert(topic.to_owned(), tc.clone());
            Self::bump(&mut w);
        }
        self.persist();
        (tc, true)
    }

    /// Hands the current table to `topics.json`'s writer thread (see
    /// `rocklet_store::config_file`); returns at once.
    pub fn persist(&self) {
        let json = serde_json::to_vec_pretty(&*self.inner.read()).unwrap_or_default();
        self.writer.submit(json);
    }

    /// Waits until every persist so far is on disk.
    pub fn flush(&self) {
        self.writer.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        assert!(validate_topic("TopicTest_1-%|").is_none());
        assert!(validate_topic("").is_some());
        assert!(validate_topic("a b").is_some());
        assert!(validate_topic(&"x".repeat(128)).is_some());
        assert!(validate_topic(&"x".repeat(127)).is_none());
    }

    #[test]
    fn auto_create_rules() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = BrokerConfig {
            store_path_root_dir: dir.path().into(),
            ..Default::default()
        };
        let m = TopicConfigManager::load(&cfg).unwrap();
        let (tc, created) = m.create_in_send("T1", "TBW102", 4, 0).unwrap();
        assert!(created);
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (4, 4, 6)
        );
        let (tc, _) = m.create_in_send("T2", "TBW102", 100, 0).unwrap();
        assert_eq!(tc.write_queue_nums, 8, "capped by TBW102's queue count");
        assert!(m.create_in_send("T3", "NoSuchTopic", 4, 0).is_none());
        // Persisted across reload.
        m.flush();
        let m2 = TopicConfigManager::load(&cfg).unwrap();
        assert!(m2.select("T1").is_some());
        let off = BrokerConfig {
            auto_create_topic_enable: false,
            store_path_root_dir: tempfile::tempdir().unwrap().path().into(),
            ..Default::default()
        };
        let m3 = TopicConfigManager::load(&off).unwrap();
        assert!(m3.create_in_send("T4", "TBW102", 4, 0).is_none());
    }
}
