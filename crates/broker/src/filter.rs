//! Consumer filter data (`ConsumerFilterManager`): the SQL92 expression each group subscribes
//! each topic with, registered from heartbeats, compiled once, used by pulls that do not carry
//! their subscription (push consumers), and persisted to `config/consumerFilter.json` in Java's
//! layout. TAG subscriptions never enter it. A group whose members are all gone, or that no
//! longer subscribes a topic, has its entry marked dead (`deadTime`), as Java does.

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use rocklet_filter::{Expression, PropertySource};
use rocklet_protocol::body::SubscriptionData;
use rocklet_protocol::time::now_ms;
use rocklet_store::config_file::{self, ConfigFileError, ConfigWriter};

/// `ExpressionType`.
pub const SQL92: &str = "SQL92";
pub const TAG: &str = "TAG";

/// `ExpressionType.isTagType`: no type, or TAG.
pub fn is_tag_type(t: Option<&str>) -> bool {
    t.is_none_or(|t| t.is_empty() || t == TAG)
}

/// Compiles an expression as `FilterFactory.get(type).compile` does; the error is what the
/// broker puts in its remark. Only SQL92 has a compiler in 4.9.3.
pub fn compile(expression_type: &str, expression: &str) -> Result<Expression, String> {
    if expression_type != SQL92 {
        return Err(format!("Filter type {expression_type} is not supported"));
    }
    // The remark Java gives is the parser exception's `toString()` (MQFilterException keeps it
    // as its message): the class name, then the message.
    rocklet_filter::parse(expression).map_err(|e| {
        let class = match e {
            rocklet_filter::FilterError::Lexical { .. } => {
                "org.apache.rocketmq.filter.parser.TokenMgrError"
            }
            rocklet_filter::FilterError::Invalid { .. } => "java.lang.RuntimeException",
            _ => "org.apache.rocketmq.filter.parser.ParseException",
        };
        format!("{class}: {e}")
    })
}

/// One group's filter on one topic (`ConsumerFilterData`).
#[derive(Clone)]
pub struct FilterData {
    pub consumer_group: String,
    pub topic: String,
    pub expression: String,
    pub expression_type: String,
    pub born_time: i64,
    pub dead_time: i64,
    pub client_version: i64,
    /// None when the stored expression no longer compiles (a file from elsewhere).
    pub compiled: Option<Arc<Expression>>,
    /// Kept as Java wrote it (Rocklet does not compute bloom filters: `enableCalcFilterBitMap`
    /// is off by default in Java too).
    bloom_filter_data: Option<serde_json::Value>,
}

impl FilterData {
    /// `ConsumerFilterManager.build`; None for TAG or an expression that does not compile.
    pub fn build(
        topic: &str,
        group: &str,
        expression: &str,
        expression_type: &str,
        client_version: i64,
    ) -> Option<FilterData> {
        if is_tag_type(Some(expression_type)) {
            return None;
        }
        let compiled = match compile(expression_type, expression) {
            Ok(e) => Arc::new(e),
            Err(e) => {
                tracing::error!(group, topic, expression, error = %e, "consumer filter expression does not compile");
                return None;
            }
        };
        Some(FilterData {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            expression: expression.to_owned(),
            expression_type: expression_type.to_owned(),
            born_time: now_ms(),
            dead_time: 0,
            client_version,
            compiled: Some(compiled),
            bloom_filter_data: None,
        })
    }

    /// Java `isDead`: `deadTime >= bornTime`.
    pub fn is_dead(&self) -> bool {
        self.dead_time >= self.born_time
    }

    /// `ExpressionMessageFilter.isMatchedByCommitLog` for a stored record: its properties as
    /// Java's map (the last of a repeated name wins); an expression that cannot be evaluated,
    /// a record that does not decode or a filter that does not compile do not match... except
    /// that Java lets everything through when there is no compiled expression.
    pub fn matches_record(&self, record: &[u8]) -> bool {
        let Some(expr) = &self.compiled else {
            return true;
        };
        matches_record(expr, record)
    }
}

/// The properties of a stored record, looked up as Java's `HashMap` built from them.
struct RecordProps<'a>(Vec<(&'a str, &'a str)>);

impl PropertySource for RecordProps<'_> {
    fn property(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
}

/// Evaluates `expr` against a stored record's properties; true only for Boolean true.
pub fn matches_record(expr: &Expression, record: &[u8]) -> bool {
    let Ok(r) = rocklet_protocol::record::decode_ref(record, false) else {
        return false;
    };
    let props = RecordProps(rocklet_store::properties::iter(&r.properties).collect());
    expr.matches(&props)
}

#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[doc(hidden)] // pub only for the fuzz targets (fuzz/)
pub struct FilterFile {
    filter_data_by_topic: BTreeMap<String, TopicFilters>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TopicFilters {
    group_filter_data: BTreeMap<String, FilterJson>,
    topic: String,
}

/// `ConsumerFilterData` as fastjson writes it (getters in name order, `isDead()` as `dead`,
/// nulls left out).
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct FilterJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    bloom_filter_data: Option<serde_json::Value>,
    born_time: i64,
    client_version: i64,
    consumer_group: String,
    dead: bool,
    dead_time: i64,
    expression: String,
    expression_type: String,
    topic: String,
}

pub struct ConsumerFilterManager {
    /// topic -> group -> filter.
    table: RwLock<BTreeMap<String, BTreeMap<String, FilterData>>>,
    writer: ConfigWriter,
}

impl ConsumerFilterManager {
    /// Loads `config/consumerFilter.json` (or its `.bak`), compiling every expression again.
    pub fn load(root: &std::path::Path) -> Result<Self, ConfigFileError> {
        let path = root.join("config").join("consumerFilter.json");
        let file: FilterFile =
            config_file::load(&path, rocklet_protocol::body::decode_json)?.unwrap_or_default();
        let mut table: BTreeMap<String, BTreeMap<String, FilterData>> = BTreeMap::new();
        for (topic, tf) in file.filter_data_by_topic {
            let groups = table.entry(topic.clone()).or_default();
            for (group, j) in tf.group_filter_data {
                let compiled = match compile(&j.expression_type, &j.expression) {
                    Ok(e) => Some(Arc::new(e)),
                    Err(e) => {
                        tracing::error!(group, topic, error = %e, "stored consumer filter does not compile");
                        None
                    }
                };
                groups.insert(
                    group,
                    FilterData {
                        consumer_group: j.consumer_group,
                        topic: j.topic,
                        expression: j.expression,
                        expression_type: j.expression_type,
                        born_time: j.born_time,
                        dead_time: j.dead_time,
                        client_version: j.client_version,
                        compiled,
                        bloom_filter_data: j.bloom_filter_data,
                    },
                );
            }
        }
        Ok(ConsumerFilterManager {
            table: RwLock::new(table),
            writer: ConfigWriter::new(path),
        })
    }

    /// The live or dead filter of `group` on `topic`.
    pub fn get(&self, topic: &str, group: &str) -> Option<FilterData> {
        self.table.read().get(topic)?.get(group).cloned()
    }

    /// `register(group, subList)` from a heartbeat: each SQL92 subscription registered (a
    /// newer client version replaces a changed expression; an older one is ignored), and the
    /// group's filters on topics it no longer subscribes marked dead.
    pub fn register_group(&self, group: &str, subs: &[SubscriptionData]) {
        let mut t = self.table.write();
        for s in subs {
            let ty = s.expression_type.as_deref().unwrap_or(TAG);
            if is_tag_type(Some(ty)) || s.sub_string.is_empty() {
                continue;
            }
            register_one(&mut t, &s.topic, group, &s.sub_string, ty, s.sub_version);
        }
        let now = now_ms();
        for (topic, groups) in t.iter_mut() {
            if let Some(f) = groups.get_mut(group) {
                if !subs.iter().any(|s| &s.topic == topic) && !f.is_dead() {
                    f.dead_time = now;
                    tracing::info!(group, topic = %topic, "consumer filter made dead: the group no longer subscribes the topic");
                }
            }
        }
    }

    /// The group's last member left: its filters are marked dead (`unRegister`).
    pub fn unregister_group(&self, group: &str) {
        let now = now_ms();
        for groups in self.table.write().values_mut() {
            if let Some(f) = groups.get_mut(group) {
                if !f.is_dead() {
                    f.dead_time = now;
                }
            }
        }
    }

    pub fn persist(&self) {
        let file = FilterFile {
            filter_data_by_topic: self
                .table
                .read()
                .iter()
                .map(|(topic, groups)| {
                    let tf = TopicFilters {
                        topic: topic.clone(),
                        group_filter_data: groups
                            .iter()
                            .map(|(g, f)| {
                                (
                                    g.clone(),
                                    FilterJson {
                                        bloom_filter_data: f.bloom_filter_data.clone(),
                                        born_time: f.born_time,
                                        client_version: f.client_version,
                                        consumer_group: f.consumer_group.clone(),
                                        dead: f.is_dead(),
                                        dead_time: f.dead_time,
                                        expression: f.expression.clone(),
                                        expression_type: f.expression_type.clone(),
                                        topic: f.topic.clone(),
                                    },
                                )
                            })
                            .collect(),
                    };
                    (topic.clone(), tf)
                })
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&file).unwrap_or_default();
        self.writer.submit(json);
    }

    pub fn flush(&self) {
        self.writer.flush();
    }
}

/// `FilterDataMapByTopic.register`.
fn register_one(
    t: &mut BTreeMap<String, BTreeMap<String, FilterData>>,
    topic: &str,
    group: &str,
    expression: &str,
    ty: &str,
    client_version: i64,
) {
    let groups = t.entry(topic.to_owned()).or_default();
    match groups.get_mut(group) {
        None => {
            if let Some(d) = FilterData::build(topic, group, expression, ty, client_version) {
                tracing::info!(group, topic, expression, "consumer filter registered");
                groups.insert(group.to_owned(), d);
            }
        }
        Some(old) => {
            if client_version <= old.client_version {
                if old.expression_type != ty || old.expression != expression {
                    tracing::warn!(group, topic, expression, old = %old.expression, client_version, old_version = old.client_version, "consumer filter ignored: its version is not newer than the registered one");
                }
                return;
            }
            let changed = old.expression != expression || old.expression_type != ty;
            if changed || old.is_dead() {
                if let Some(d) = FilterData::build(topic, group, expression, ty, client_version) {
                    *old = d;
                }
            } else {
                old.client_version = client_version;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(topic: &str, expr: &str, ty: &str, version: i64) -> SubscriptionData {
        SubscriptionData {
            topic: topic.into(),
            sub_string: expr.into(),
            expression_type: Some(ty.into()),
            sub_version: version,
            ..Default::default()
        }
    }

    #[test]
    fn register_replace_dead_and_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let m = ConsumerFilterManager::load(dir.path()).unwrap();
        m.register_group(
            "g",
            &[sub("T", "a > 1", SQL92, 10), sub("U", "TagA", TAG, 10)],
        );
        assert_eq!(m.get("T", "g").unwrap().expression, "a > 1");
        assert!(
            m.get("U", "g").is_none(),
            "TAG never enters the filter table"
        );
        // an older version does not replace; a newer one does
        m.register_group("g", &[sub("T", "a > 2", SQL92, 9)]);
        assert_eq!(m.get("T", "g").unwrap().expression, "a > 1");
        m.register_group("g", &[sub("T", "a > 2", SQL92, 11)]);
        assert_eq!(m.get("T", "g").unwrap().expression, "a > 2");
        // a bad expression is not registered
        m.register_group("h", &[sub("T", "a >", SQL92, 1)]);
        assert!(m.get("T", "h").is_none());
        // no longer subscribed: dead
        m.register_group("g", &[]);
        assert!(m.get("T", "g").unwrap().is_dead());
        m.persist();
        m.flush();
        let text =
            std::fs::read_to_string(dir.path().join("config").join("consumerFilter.json")).unwrap();
        assert!(text.contains("\"filterDataByTopic\""), "{text}");
        assert!(text.contains("\"groupFilterData\""), "{text}");
        assert!(text.contains("\"dead\": true"), "{text}");
        let again = ConsumerFilterManager::load(dir.path()).unwrap();
        let f = again.get("T", "g").unwrap();
        assert_eq!((f.expression.as_str(), f.client_version), ("a > 2", 11));
        assert!(f.compiled.is_some());
    }

    #[test]
    fn reads_javas_file() {
        // As a 4.9.3 broker wrote it (fastjson, one group with an SQL92 filter).
        let java = r#"{
	"filterDataByTopic":{
		"SqlTopic":{
			"groupFilterData":{
				"sql_cg":{
					"bornTime":1796040000000,
					"clientVersion":1796040000001,
					"consumerGroup":"sql_cg",
					"dead":false,
					"deadTime":0,
					"expression":"a BETWEEN 1 AND 3",
					"expressionType":"SQL92",
					"topic":"SqlTopic"
				}
			},
			"topic":"SqlTopic"
		}
	}
}"#;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config").join("consumerFilter.json"), java).unwrap();
        let m = ConsumerFilterManager::load(dir.path()).unwrap();
        let f = m.get("SqlTopic", "sql_cg").unwrap();
        assert!(!f.is_dead());
        assert_eq!(f.client_version, 1796040000001);
        assert!(f.compiled.is_some());
    }
}
