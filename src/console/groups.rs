//! Consumer groups: the subscription groups of the masters (GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
//! each group's lag (GET_CONSUME_STATS) and live members (GET_CONSUMER_CONNECTION_LIST), and
//! the reset of a group's offsets by time, as `mqadmin resetOffsetByTime` does it.

use futures_util::future::join_all;
use rocklet_client::{ClientError, MQAdmin};
use rocklet_protocol::body::{Connection, ConsumerConnection, SubscriptionGroupConfig};
use rocklet_protocol::ResponseCode;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::api::{check_topic, ConsoleError, Result};
use super::form::time_text;

/// The groups 4.9 brokers create for themselves and the tools, and Java's `MixAll` ones.
const SYSTEM_GROUPS: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "__MONITOR_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
];

pub fn is_system_group(g: &str) -> bool {
    SYSTEM_GROUPS.contains(&g) || g.starts_with("CID_RMQ_SYS_")
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupsView {
    pub all: bool,
    pub groups: Vec<GroupEntry>,
    pub hidden: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEntry {
    pub group: String,
    /// Live members (0: offline).
    pub members: usize,
    pub online: bool,
    /// Σ (broker offset − consumer offset) over every queue the group has an offset for.
    pub lag: i64,
    pub consume_tps: f64,
    /// Why the figures are missing.
    pub error: Option<String>,
}

async fn masters(admin: &MQAdmin) -> Result<Vec<String>> {
    let mut v: Vec<String> = admin
        .master_addrs()
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    v.sort();
    Ok(v)
}

/// The group's members on every master, merged by client id; CONSUMER_NOT_ONLINE counts as
/// none.
async fn members(admin: &MQAdmin, masters: &[String], group: &str) -> Result<ConsumerConnection> {
    let mut merged = ConsumerConnection::default();
    let mut seen = BTreeSet::new();
    for addr in masters {
        match admin.consumer_connection(addr, group).await {
            Ok(cc) => {
                for c in cc.connection_set {
                    if seen.insert(c.client_id.clone()) {
                        merged.connection_set.push(c);
                    }
                }
                merged.subscription_table.extend(cc.subscription_table);
                merged.consume_type = merged.consume_type.or(cc.consume_type);
                merged.message_model = merged.message_model.or(cc.message_model);
                merged.consume_from_where = merged.consume_from_where.or(cc.consume_from_where);
            }
            Err(ClientError::Broker {
                code: ResponseCode::CONSUMER_NOT_ONLINE,
                ..
            }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(merged)
}

async fn group_entry(admin: &MQAdmin, masters: &[String], group: String) -> GroupEntry {
    let mut e = GroupEntry {
        group,
        members: 0,
        online: false,
        lag: 0,
        consume_tps: 0.0,
        error: None,
    };
    match members(admin, masters, &e.group).await {
        Ok(cc) => e.members = cc.connection_set.len(),
        Err(err) => e.error = Some(err.message()),
    }
    e.online = e.members > 0;
    for addr in masters {
        match admin.consume_stats(addr, &e.group, None).await {
            Ok(cs) => {
                e.consume_tps += cs.consume_tps;
                e.lag += cs
                    .offsets
                    .iter()
                    .map(|(_, o)| o.broker_offset - o.consumer_offset)
                    .sum::<i64>();
            }
            Err(err) => e.error = Some(err.to_string()),
        }
    }
    e
}

/// Every subscription group of the masters, system groups hidden unless `all`, with lag
/// and member count (groups asked for concurrently).
pub async fn groups(admin: &MQAdmin, all: bool) -> Result<GroupsView> {
    let masters = masters(admin).await?;
    let mut names = BTreeSet::new();
    for addr in &masters {
        names.extend(
            admin
                .subscription_groups(addr)
                .await?
                .subscription_group_table
                .into_keys(),
        );
    }
    let total = names.len();
    let shown: Vec<String> = names
        .into_iter()
        .filter(|g| all || !is_system_group(g))
        .collect();
    let hidden = total - shown.len();
    let groups = join_all(shown.into_iter().map(|g| group_entry(admin, &masters, g))).await;
    Ok(GroupsView {
        all,
        groups,
        hidden,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub group: String,
    pub online: bool,
    pub members: Vec<Member>,
    /// Topic -> subscription expression, from the live members.
    pub subscriptions: BTreeMap<String, String>,
    pub consume_type: Option<String>,
    pub message_model: Option<String>,
    pub lag: i64,
    pub consume_tps: f64,
    pub queues: Vec<QueueLag>,
    /// The group's settings on each master that has them (`SubscriptionGroupConfig`).
    pub configs: Vec<BrokerGroupConfig>,
}

/// One master's `SubscriptionGroupConfig` of the group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerGroupConfig {
    pub broker_addr: String,
    pub config: SubscriptionGroupConfig,
}

/// What the console's group form changes (the dashboard's consumer config dialog); the
/// other fields of each master's config are kept.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSettings {
    pub consume_enable: bool,
    pub consume_broadcast_enable: bool,
    pub retry_queue_nums: i32,
    pub retry_max_times: i32,
    pub broker_id: i64,
    pub which_broker_when_consume_slowly: i64,
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on every master, as the dashboard's update with all
/// brokers selected (a master without the group gets it, with Java's defaults elsewhere).
pub async fn update_config(
    admin: &MQAdmin,
    group: &str,
    s: &GroupSettings,
) -> Result<Vec<BrokerGroupConfig>> {
    rocklet_client::validators::check_group(group)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    for (name, v) in [
        ("retryQueueNums", i64::from(s.retry_queue_nums)),
        ("retryMaxTimes", i64::from(s.retry_max_times)),
        ("brokerId", s.broker_id),
        (
            "whichBrokerWhenConsumeSlowly",
            s.which_broker_when_consume_slowly,
        ),
    ] {
        if v < 0 {
            return Err(ConsoleError::BadRequest(format!(
                "{name} [{v}] must not be negative"
            )));
        }
    }
    let mut done = Vec::new();
    for addr in masters(admin).await? {
        let mut cfg = admin
            .subscription_groups(&addr)
            .await?
            .subscription_group_table
            .remove(group)
            .unwrap_or_else(|| SubscriptionGroupConfig {
                group_name: group.to_owned(),
                ..SubscriptionGroupConfig::default()
            });
        cfg.consume_enable = s.consume_enable;
        cfg.consume_broadcast_enable = s.consume_broadcast_enable;
        cfg.retry_queue_nums = s.retry_queue_nums;
        cfg.retry_max_times = s.retry_max_times;
        cfg.broker_id = s.broker_id;
        cfg.which_broker_when_consume_slowly = s.which_broker_when_consume_slowly;
        admin.update_subscription_group(&addr, &cfg).await?;
        done.push(BrokerGroupConfig {
            broker_addr: addr,
            config: cfg,
        });
    }
    Ok(done)
}

/// A client connected to the brokers: a consumer group's member or a producer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub client_id: String,
    pub client_addr: String,
    pub language: String,
    pub version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueLag {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
    pub broker_offset: i64,
    pub consumer_offset: i64,
    pub diff: i64,
    pub last_timestamp: i64,
    pub last_time: String,
}

impl From<&Connection> for Member {
    fn from(c: &Connection) -> Self {
        Member {
            client_id: c.client_id.clone(),
            client_addr: c.client_addr.clone(),
            language: c.language.clone(),
            version: version_desc(c.version),
        }
    }
}

/// `MQVersion.getVersionDesc` for the versions clients of 4.9.3 send.
fn version_desc(v: i32) -> String {
    match v {
        399 => "V4_9_3".into(),
        v => v.to_string(),
    }
}

/// One group: its members and the lag of each queue. 404 when no master knows the group
/// (no subscription group, no offsets, no member).
pub async fn group(admin: &MQAdmin, group: &str) -> Result<GroupView> {
    rocklet_client::validators::check_group(group)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    let masters = masters(admin).await?;
    let cc = members(admin, &masters, group).await?;
    let mut queues = Vec::new();
    let mut tps = 0.0;
    let mut configs = Vec::new();
    for addr in &masters {
        let cs = admin.consume_stats(addr, group, None).await?;
        tps += cs.consume_tps;
        for (mq, o) in cs.offsets {
            queues.push(QueueLag {
                topic: mq.topic,
                broker_name: mq.broker_name,
                queue_id: mq.queue_id,
                broker_offset: o.broker_offset,
                consumer_offset: o.consumer_offset,
                diff: o.broker_offset - o.consumer_offset,
                last_timestamp: o.last_timestamp,
                last_time: time_text(o.last_timestamp),
            });
        }
        if let Some(config) = admin
            .subscription_groups(addr)
            .await?
            .subscription_group_table
            .remove(group)
        {
            configs.push(BrokerGroupConfig {
                broker_addr: addr.clone(),
                config,
            });
        }
    }
    if configs.is_empty() && queues.is_empty() && cc.connection_set.is_empty() {
        return Err(ConsoleError::NotFound(format!(
            "consumer group [{group}] not found"
        )));
    }
    queues.sort_by(|a, b| {
        (&a.topic, &a.broker_name, a.queue_id).cmp(&(&b.topic, &b.broker_name, b.queue_id))
    });
    let mut members: Vec<Member> = cc.connection_set.iter().map(Member::from).collect();
    members.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(GroupView {
        group: group.to_owned(),
        online: !members.is_empty(),
        members,
        subscriptions: cc
            .subscription_table
            .iter()
            .map(|(t, sd)| (t.clone(), sd.sub_string.clone()))
            .collect(),
        consume_type: cc.consume_type,
        message_model: cc.message_model,
        lag: queues.iter().map(|q| q.diff).sum(),
        consume_tps: tps,
        queues,
        configs,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetView {
    pub group: String,
    pub topic: String,
    pub timestamp: i64,
    /// `broker`: the brokers told the live members (who commit the new offsets themselves);
    /// `offline`: no member was online, so the console committed the offsets.
    pub mode: &'static str,
    pub offsets: Vec<ResetOffset>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetOffset {
    pub broker_name: String,
    pub queue_id: i32,
    pub offset: i64,
}

/// `mqadmin resetOffsetByTime -f true`: INVOKE_BROKER_TO_RESET_OFFSET on each broker of the
/// topic's route; when a broker answers CONSUMER_NOT_ONLINE, the old way instead (the
/// offsets committed by the console, `resetOffsetByTimestampOld`).
pub async fn reset(admin: &MQAdmin, group: &str, topic: &str, timestamp: i64) -> Result<ResetView> {
    rocklet_client::validators::check_group(group)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    check_topic(topic)?;
    let route = admin.topic_route(topic).await?;
    let mut rows = Vec::new();
    let mut mode = "broker";
    for bd in &route.broker_datas {
        let Some(addr) = bd.select_addr() else {
            continue;
        };
        match admin
            .reset_offset_by_time(addr, topic, group, timestamp, true)
            .await
        {
            Ok(v) => rows.extend(v),
            Err(ClientError::Broker {
                code: ResponseCode::CONSUMER_NOT_ONLINE,
                ..
            }) => {
                mode = "offline";
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if mode == "offline" {
        rows = admin
            .reset_offset_by_time_old(topic, group, timestamp, true)
            .await?;
    }
    let mut offsets: Vec<ResetOffset> = rows
        .into_iter()
        .map(|(mq, offset)| ResetOffset {
            broker_name: mq.broker_name,
            queue_id: mq.queue_id,
            offset,
        })
        .collect();
    offsets.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
    Ok(ResetView {
        group: group.to_owned(),
        topic: topic.to_owned(),
        timestamp,
        mode,
        offsets,
    })
}
