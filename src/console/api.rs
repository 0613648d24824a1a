//! What the console shows and does, gathered with RocketMQ admin calls only (name server and
//! broker requests through [`MQAdmin`]), so the same code serves a Rocklet or a Java 4.9
//! cluster. Each view is a plain serde struct: the JSON API returns it as is, the pages render
//! it.

use futures_util::future::join_all;
use rocklet_client::{ClientError, MQAdmin};
use rocklet_protocol::body::TopicConfig;
use rocklet_protocol::route::ClusterInfo;
use rocklet_protocol::ResponseCode;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::form::time_text;

/// Why a request failed, and the HTTP status it gets.
#[derive(Debug)]
pub enum ConsoleError {
    /// 400: the request's input is wrong (the RocketMQ-style message says how).
    BadRequest(String),
    /// 404: no such topic or group.
    NotFound(String),
    /// 502: the name server or a broker refused, or could not be reached.
    Admin(ClientError),
}

impl ConsoleError {
    pub fn status(&self) -> u16 {
        match self {
            ConsoleError::BadRequest(_) => 400,
            ConsoleError::NotFound(_) => 404,
            ConsoleError::Admin(_) => 502,
        }
    }
    pub fn message(&self) -> String {
        match self {
            ConsoleError::BadRequest(m) | ConsoleError::NotFound(m) => m.clone(),
            ConsoleError::Admin(e) => e.to_string(),
        }
    }
    /// The RocketMQ code of an admin error.
    pub fn code(&self) -> Option<i32> {
        match self {
            ConsoleError::Admin(e) => Some(e.code()),
            _ => None,
        }
    }
}

impl From<ClientError> for ConsoleError {
    fn from(e: ClientError) -> Self {
        if e.code() == ResponseCode::TOPIC_NOT_EXIST.as_i32() {
            ConsoleError::NotFound(e.to_string())
        } else {
            ConsoleError::Admin(e)
        }
    }
}

pub type Result<T> = std::result::Result<T, ConsoleError>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    pub namesrv: String,
    pub clusters: Vec<ClusterEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEntry {
    pub name: String,
    pub brokers: Vec<BrokerEntry>,
}

/// One broker process, with the figures of its GET_BROKER_RUNTIME_INFO.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerEntry {
    pub broker_name: String,
    pub broker_id: i64,
    pub addr: String,
    /// `brokerVersionDesc`.
    pub version: Option<String>,
    /// First figure of `putTps` (the shortest window).
    pub put_tps: Option<String>,
    /// First figure of `getTransferedTps`.
    pub get_tps: Option<String>,
    /// `commitLogDiskRatio`.
    pub commit_log_disk_ratio: Option<String>,
    /// `msgPutTotalTodayNow - msgPutTotalTodayMorning`.
    pub msg_put_today: Option<i64>,
    /// `msgGetTotalTodayNow - msgGetTotalTodayMorning`.
    pub msg_get_today: Option<i64>,
    /// Why the runtime info is missing.
    pub error: Option<String>,
}

/// Clusters and their brokers, each broker's runtime figures asked for concurrently.
pub async fn cluster(admin: &MQAdmin, namesrv: &str) -> Result<ClusterView> {
    let ci = admin.cluster_info().await?;
    let mut clusters = Vec::new();
    for (cluster, names) in &ci.cluster_addr_table {
        let mut rows = Vec::new();
        for name in names {
            if let Some(bd) = ci.broker_addr_table.get(name) {
                for (id, addr) in &bd.broker_addrs {
                    rows.push((name.clone(), *id, addr.clone()));
                }
            }
        }
        rows.sort();
        let infos = join_all(
            rows.iter()
                .map(|(_, _, addr)| admin.broker_runtime_info(addr)),
        )
        .await;
        let brokers = rows
            .into_iter()
            .zip(infos)
            .map(|((broker_name, broker_id, addr), info)| {
                broker_entry(broker_name, broker_id, addr, info)
            })
            .collect();
        clusters.push(ClusterEntry {
            name: cluster.clone(),
            brokers,
        });
    }
    Ok(ClusterView {
        namesrv: namesrv.to_owned(),
        clusters,
    })
}

fn broker_entry(
    broker_name: String,
    broker_id: i64,
    addr: String,
    info: std::result::Result<BTreeMap<String, String>, ClientError>,
) -> BrokerEntry {
    let mut e = BrokerEntry {
        broker_name,
        broker_id,
        addr,
        version: None,
        put_tps: None,
        get_tps: None,
        commit_log_disk_ratio: None,
        msg_put_today: None,
        msg_get_today: None,
        error: None,
    };
    match info {
        Ok(t) => {
            let first = |k: &str| {
                t.get(k)
                    .and_then(|v| v.split_whitespace().next())
                    .map(str::to_owned)
            };
            let num = |k: &str| t.get(k).and_then(|v| v.trim().parse::<i64>().ok());
            let today = |now: &str, morning: &str| Some(num(now)? - num(morning)?);
            e.version = t.get("brokerVersionDesc").cloned();
            e.put_tps = first("putTps");
            e.get_tps = first("getTransferedTps");
            e.commit_log_disk_ratio = t.get("commitLogDiskRatio").cloned();
            e.msg_put_today = today("msgPutTotalTodayNow", "msgPutTotalTodayMorning");
            e.msg_get_today = today("msgGetTotalTodayNow", "msgGetTotalTodayMorning");
        }
        Err(err) => e.error = Some(err.to_string()),
    }
    e
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicsView {
    /// System, retry and DLQ topics are listed too.
    pub all: bool,
    pub topics: Vec<TopicEntry>,
    /// How many the filter hid.
    pub hidden: usize,
    /// Cluster names, for the create form.
    pub clusters: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicEntry {
    pub name: String,
    /// `normal`, `retry`, `dlq` or `system`.
    pub kind: &'static str,
}

/// Java's `TopicValidator` system set, plus what brokers register in 4.9.
const SYSTEM_TOPICS: &[&str] = &[
    "TBW102",
    "SCHEDULE_TOPIC_XXXX",
    "BenchmarkTest",
    "OFFSET_MOVED_EVENT",
    "SELF_TEST_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
];

/// What kind of topic `name` is; cluster and broker names (topics every broker registers)
/// and `<cluster>_REPLY_TOPIC` count as system topics.
pub fn topic_kind(name: &str, ci: &ClusterInfo) -> &'static str {
    if name.starts_with("%RETRY%") {
        "retry"
    } else if name.starts_with("%DLQ%") {
        "dlq"
    } else if SYSTEM_TOPICS.contains(&name)
        || name.starts_with("RMQ_SYS_")
        || name.starts_with("rmq_sys_")
        || ci.cluster_addr_table.contains_key(name)
        || ci.broker_addr_table.contains_key(name)
        || name
            .strip_suffix("_REPLY_TOPIC")
            .is_some_and(|c| ci.cluster_addr_table.contains_key(c))
    {
        "system"
    } else {
        "normal"
    }
}

/// Every topic of the name server (GET_ALL_TOPIC_LIST_FROM_NAMESERVER), system ones hidden
/// unless `all`.
pub async fn topics(admin: &MQAdmin, all: bool) -> Result<TopicsView> {
    let ci = admin.cluster_info().await?;
    let mut names = admin.topic_list().await?;
    names.sort();
    names.dedup();
    let total = names.len();
    let topics: Vec<TopicEntry> = names
        .into_iter()
        .map(|name| TopicEntry {
            kind: topic_kind(&name, &ci),
            name,
        })
        .filter(|t| all || t.kind == "normal")
        .collect();
    Ok(TopicsView {
        all,
        hidden: total - topics.len(),
        topics,
        clusters: ci.cluster_addr_table.keys().cloned().collect(),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicView {
    pub topic: String,
    pub brokers: Vec<RouteBroker>,
    pub queues: Vec<QueueOffset>,
    /// Σ (max − min) over the queues: the messages still stored.
    pub stored_messages: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteBroker {
    pub broker_name: String,
    pub cluster: String,
    pub addrs: BTreeMap<i64, String>,
    pub read_queue_nums: i32,
    pub write_queue_nums: i32,
    pub perm: i32,
    /// `PermName.perm2String`: `RW-`.
    pub perm_text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueOffset {
    pub broker_name: String,
    pub queue_id: i32,
    pub min_offset: i64,
    pub max_offset: i64,
    pub last_update_timestamp: i64,
    pub last_update: String,
}

pub fn perm_text(p: i32) -> String {
    let bit = |m: i32, c: char| if p & m != 0 { c } else { '-' };
    [bit(4, 'R'), bit(2, 'W'), bit(1, 'X')].iter().collect()
}

/// A topic's route and the offsets of its queues (GET_TOPIC_STATS_INFO on each master).
pub async fn topic(admin: &MQAdmin, name: &str) -> Result<TopicView> {
    check_topic(name)?;
    let route = admin.topic_route(name).await?;
    let mut brokers = Vec::new();
    let mut queues = Vec::new();
    for qd in &route.queue_datas {
        let bd = route
            .broker_datas
            .iter()
            .find(|b| b.broker_name == qd.broker_name);
        brokers.push(RouteBroker {
            broker_name: qd.broker_name.clone(),
            cluster: bd.map(|b| b.cluster.clone()).unwrap_or_default(),
            addrs: bd.map(|b| b.broker_addrs.clone()).unwrap_or_default(),
            read_queue_nums: qd.read_queue_nums,
            write_queue_nums: qd.write_queue_nums,
            perm: qd.perm,
            perm_text: perm_text(qd.perm),
        });
        if let Some(addr) = bd.and_then(|b| b.master_addr()) {
            for (mq, o) in admin.topic_stats(addr, name).await? {
                queues.push(QueueOffset {
                    broker_name: mq.broker_name,
                    queue_id: mq.queue_id,
                    min_offset: o.min_offset,
                    max_offset: o.max_offset,
                    last_update_timestamp: o.last_update_timestamp,
                    last_update: time_text(o.last_update_timestamp),
                });
            }
        }
    }
    brokers.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    queues.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
    Ok(TopicView {
        topic: name.to_owned(),
        brokers,
        stored_messages: queues.iter().map(|q| q.max_offset - q.min_offset).sum(),
        queues,
    })
}

/// The client's topic validator (Java's `Validators.checkTopic` texts) as a 400.
pub fn check_topic(name: &str) -> Result<()> {
    rocklet_client::validators::check_topic(name)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))
}

/// What a create-topic form or JSON body asks for.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTopic {
    pub topic: String,
    /// The cluster whose masters get the topic; may be left out when there is one cluster.
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default = "eight")]
    pub read_queue_nums: i32,
    #[serde(default = "eight")]
    pub write_queue_nums: i32,
    #[serde(default = "six")]
    pub perm: i32,
}

fn eight() -> i32 {
    8
}
fn six() -> i32 {
    6
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub ok: bool,
    pub topic: String,
    /// The broker (or name server) addresses that carried it out.
    pub addrs: Vec<String>,
}

/// The master addresses of `cluster` (`CommandUtil.fetchMasterAddrByClusterName`); with no
/// cluster named, of the only cluster there is.
async fn cluster_masters(admin: &MQAdmin, cluster: Option<&str>) -> Result<Vec<String>> {
    let ci = admin.cluster_info().await?;
    let name = match cluster.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.to_owned(),
        None if ci.cluster_addr_table.len() == 1 => ci
            .cluster_addr_table
            .keys()
            .next()
            .cloned()
            .unwrap_or_default(),
        None => return Err(ConsoleError::BadRequest("give the cluster name".into())),
    };
    let Some(names) = ci.cluster_addr_table.get(&name) else {
        return Err(ConsoleError::BadRequest(format!(
            "cluster [{name}] not found. Make sure the specified clusterName exists or the name server connected to is correct."
        )));
    };
    let addrs: Vec<String> = names
        .iter()
        .filter_map(|n| {
            ci.broker_addr_table
                .get(n)?
                .master_addr()
                .map(str::to_owned)
        })
        .collect();
    if addrs.is_empty() {
        return Err(ConsoleError::BadRequest(format!(
            "cluster [{name}] has no master broker"
        )));
    }
    Ok(addrs)
}

/// UPDATE_AND_CREATE_TOPIC on every master of the cluster (`mqadmin updateTopic -c`).
pub async fn create_topic(admin: &MQAdmin, req: &CreateTopic) -> Result<Done> {
    let topic = req.topic.trim();
    check_topic(topic)?;
    let addrs = cluster_masters(admin, req.cluster.as_deref()).await?;
    let tc = TopicConfig::new(topic, req.read_queue_nums, req.write_queue_nums, req.perm);
    for addr in &addrs {
        admin.create_topic_on(addr, &tc).await?;
    }
    Ok(Done {
        ok: true,
        topic: topic.to_owned(),
        addrs,
    })
}

/// `mqadmin deleteTopic`: DELETE_TOPIC_IN_BROKER on every master of the clusters serving it,
/// then DELETE_TOPIC_IN_NAMESRV on every name server.
pub async fn delete_topic(admin: &MQAdmin, topic: &str) -> Result<Done> {
    check_topic(topic)?;
    let route = admin.topic_route(topic).await?;
    let clusters: BTreeSet<&str> = route
        .broker_datas
        .iter()
        .map(|b| b.cluster.as_str())
        .collect();
    let mut addrs = Vec::new();
    for c in clusters {
        for addr in cluster_masters(admin, Some(c)).await? {
            admin.delete_topic_in_broker(&addr, topic).await?;
            addrs.push(addr);
        }
    }
    admin.delete_topic_in_namesrv(topic).await?;
    Ok(Done {
        ok: true,
        topic: topic.to_owned(),
        addrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_topics_are_told_apart() {
        let mut ci = ClusterInfo::default();
        ci.cluster_addr_table
            .insert("DefaultCluster".into(), vec!["broker-a".into()]);
        ci.broker_addr_table
            .insert("broker-a".into(), Default::default());
        for (t, kind) in [
            ("TopicTest", "normal"),
            ("%RETRY%g", "retry"),
            ("%DLQ%g", "dlq"),
            ("TBW102", "system"),
            ("SCHEDULE_TOPIC_XXXX", "system"),
            ("RMQ_SYS_TRANS_HALF_TOPIC", "system"),
            ("rmq_sys_anything", "system"),
            ("DefaultCluster", "system"),
            ("broker-a", "system"),
            ("DefaultCluster_REPLY_TOPIC", "system"),
            ("Other_REPLY_TOPIC", "normal"),
        ] {
            assert_eq!(topic_kind(t, &ci), kind, "{t}");
        }
        assert!(crate::console::groups::is_system_group("TOOLS_CONSUMER"));
        assert!(!crate::console::groups::is_system_group("my_group"));
        assert_eq!(perm_text(6), "RW-");
        assert_eq!(perm_text(7), "RWX");
        assert_eq!(perm_text(0), "---");
    }
}
