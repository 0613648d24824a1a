//! The management subcommands of `rocklet admin`, printed as Java's `mqadmin` prints them
//! (same columns and labels), so operators read the same tables.

use anyhow::{bail, Context};
use rocklet_client::MQAdmin;
use rocklet_protocol::body::{PlainAccessConfig, SubscriptionGroupConfig};
use rocklet_protocol::time::format_millis;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli_client::AdminCmd;

/// `-b ADDR`, or every master broker.
async fn brokers(admin: &MQAdmin, addr: Option<String>) -> anyhow::Result<Vec<String>> {
    match addr {
        Some(a) => Ok(vec![a]),
        None => {
            let v: Vec<String> = admin
                .master_addrs()
                .await?
                .into_iter()
                .map(|(_, a)| a)
                .collect();
            if v.is_empty() {
                bail!("no master broker registered with the name server");
            }
            Ok(v)
        }
    }
}

fn date(ms: i64) -> String {
    format_millis(ms, ' ', ',')
}

/// `resetOffsetByTime -s`: millis, Java's `yyyy-MM-dd#HH:mm:ss:SSS`, or `now`.
fn parse_timestamp(s: &str) -> anyhow::Result<i64> {
    if s == "now" {
        return Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64);
    }
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    // yyyy-MM-dd#HH:mm:ss:SSS (UTC): compare against the formatter instead of a date library.
    let parts: Vec<i64> = s
        .split(['-', '#', ':'])
        .map(|p| p.parse::<i64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("timestamp '{s}': millis, yyyy-MM-dd#HH:mm:ss:SSS or now"))?;
    let [y, mo, d, h, mi, sec, ms] = parts[..] else {
        bail!("timestamp '{s}': millis, yyyy-MM-dd#HH:mm:ss:SSS or now");
    };
    // Days from civil (Howard Hinnant), the inverse of `format_millis`.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ts = ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms;
    if format_millis(ts, '#', ':') != s {
        bail!("timestamp '{s}' is not a valid date");
    }
    Ok(ts)
}

pub async fn run(admin: &MQAdmin, cmd: AdminCmd) -> anyhow::Result<()> {
    match cmd {
        AdminCmd::BrokerStatus { broker } => {
            for addr in brokers(admin, broker).await? {
                let t = admin.broker_runtime_info(&addr).await?;
                for (k, v) in t {
                    out!("{k:<32}: {v}");
                }
            }
        }
        AdminCmd::TopicStatus { topic } => {
            let route = admin.topic_route(&topic).await?;
            out!(
                "{:<32}  {:<4}  {:<20}  {:<20}    #Last Updated",
                "#Broker Name",
                "#QID",
                "#Min Offset",
                "#Max Offset"
            );
            let mut rows = Vec::new();
            for bd in &route.broker_datas {
                if let Some(addr) = bd.master_addr() {
                    rows.extend(admin.topic_stats(addr, &topic).await?);
                }
            }
            rows.sort_by(|a, b| {
                (&a.0.broker_name, a.0.queue_id).cmp(&(&b.0.broker_name, b.0.queue_id))
            });
            for (mq, o) in rows {
                let last = if o.last_update_timestamp > 0 {
                    date(o.last_update_timestamp)
                } else {
                    String::new()
                };
                out!(
                    "{:<32}  {:<4}  {:<20}  {:<20}    {last}",
                    mq.broker_name,
                    mq.queue_id,
                    o.min_offset,
                    o.max_offset
                );
            }
        }
        AdminCmd::ConsumerProgress { group, topic } => {
            let mut rows = Vec::new();
            let mut tps = 0.0;
            for addr in brokers(admin, None).await? {
                let cs = admin.consume_stats(&addr, &group, topic.as_deref()).await?;
                tps += cs.consume_tps;
                rows.extend(cs.offsets);
            }
            rows.sort_by(|a, b| {
                (&a.0.topic, &a.0.broker_name, a.0.queue_id).cmp(&(
                    &b.0.topic,
                    &b.0.broker_name,
                    b.0.queue_id,
                ))
            });
            out!(
                "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}  #LastTime",
                "#Topic",
                "#Broker Name",
                "#QID",
                "#Broker Offset",
                "#Consumer Offset",
                "#Client IP",
                "#Diff"
            );
            let mut total = 0;
            for (mq, o) in &rows {
                let diff = o.broker_offset - o.consumer_offset;
                total += diff;
                let last = if o.last_timestamp > 0 {
                    date(o.last_timestamp)
                } else {
                    "N/A".into()
                };
                out!(
                    "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}  {last}",
                    mq.topic,
                    mq.broker_name,
                    mq.queue_id,
                    o.broker_offset,
                    o.consumer_offset,
                    "N/A",
                    diff
                );
            }
            out!("");
            out!("Consume TPS: {tps:.2}");
            out!("Diff Total: {total}");
        }
        AdminCmd::ConsumerConnection { group } => {
            let addr = brokers(admin, None).await?.remove(0);
            let cc = admin.consumer_connection(&addr, &group).await?;
            for (i, c) in cc.connection_set.iter().enumerate() {
                out!(
                    "{:03}  {:<36} {:<22} {:<10} {}",
                    i + 1,
                    c.client_id,
                    c.client_addr,
                    c.language,
                    version_desc(c.version)
                );
            }
            out!("");
            out!("Below is subscription:");
            for (i, (topic, sd)) in cc.subscription_table.iter().enumerate() {
                out!(
                    "{:03}  Topic: {:<40} SubExpression: {}",
                    i + 1,
                    topic,
                    sd.sub_string
                );
            }
            out!("");
            out!("ConsumeType: {}", cc.consume_type.unwrap_or_default());
            out!("MessageModel: {}", cc.message_model.unwrap_or_default());
            out!(
                "ConsumeFromWhere: {}",
                cc.consume_from_where.unwrap_or_default()
            );
        }
        AdminCmd::ProducerConnection { group } => {
            for addr in brokers(admin, None).await? {
                let pc = admin.producer_connection(&addr, &group).await?;
                for (i, c) in pc.connection_set.iter().enumerate() {
                    out!(
                        "{:04}  {:<32} {:<22} {:<8} {}",
                        i + 1,
                        c.client_id,
                        c.client_addr,
                        c.language,
                        version_desc(c.version)
                    );
                }
            }
        }
        AdminCmd::GetBrokerConfig { broker } => {
            for addr in brokers(admin, broker).await? {
                out!("============{addr}============");
                for (k, v) in admin.broker_config(&addr).await? {
                    out!("{k:<50}=  {v}");
                }
            }
        }
        AdminCmd::UpdateBrokerConfig { broker, key, value } => {
            for addr in brokers(admin, broker).await? {
                admin
                    .update_broker_config(&addr, &[(key.clone(), value.clone())])
                    .await?;
                out!("update broker config success, {addr}");
            }
        }
        AdminCmd::UpdateSubGroup {
            group,
            broker,
            retry_max_times,
            consume_enable,
        } => {
            let cfg = SubscriptionGroupConfig {
                retry_max_times,
                consume_enable,
                ..SubscriptionGroupConfig::new(&group)
            };
            for addr in brokers(admin, broker).await? {
                admin.update_subscription_group(&addr, &cfg).await?;
                out!("create subscription group to {addr} success.");
            }
        }
        AdminCmd::DeleteSubGroup {
            group,
            broker,
            remove_offset,
        } => {
            for addr in brokers(admin, broker).await? {
                admin
                    .delete_subscription_group(&addr, &group, remove_offset)
                    .await?;
                out!("delete subscription group [{group}] from broker [{addr}] success.");
            }
        }
        AdminCmd::UpdateKvConfig {
            namespace,
            key,
            value,
        } => {
            admin.put_kv_config(&namespace, &key, &value).await?;
            out!("create or update kv config to namespace success.");
        }
        AdminCmd::DeleteKvConfig { namespace, key } => {
            admin.delete_kv_config(&namespace, &key).await?;
            out!("delete kv config from namespace success.");
        }
        AdminCmd::GetNamesrvConfig => {
            for (addr, pairs) in admin.namesrv_config().await? {
                out!("============{addr}============");
                for (k, v) in pairs {
                    out!("{k:<50}=  {v}");
                }
            }
        }
        AdminCmd::ResetOffsetByTime {
            group,
            topic,
            timestamp,
            force,
        } => {
            let ts = parse_timestamp(&timestamp)?;
            out!(
                "rollback consumer offset by specified group[{group}], topic[{topic}], force[{force}], timestamp(string)[{timestamp}], timestamp(long)[{ts}]"
            );
            out!(
                "{:<40}  {:<40}  {:<40}",
                "#brokerName",
                "#queueId",
                "#offset"
            );
            for addr in brokers(admin, None).await? {
                let mut rows = admin
                    .reset_offset_by_time(&addr, &topic, &group, ts, force)
                    .await?;
                rows.sort_by_key(|(mq, _)| mq.queue_id);
                for (mq, off) in rows {
                    out!("{:<40}  {:<40}  {:<40}", mq.broker_name, mq.queue_id, off);
                }
            }
        }
        AdminCmd::UpdateAclConfig {
            broker,
            acl_access_key,
            acl_secret_key,
            white_remote_address,
            default_topic_perm,
            default_group_perm,
            topic_perms,
            group_perms,
            admin: is_admin,
        } => {
            let list = |v: Option<String>| {
                v.map(|v| v.trim().split(',').map(str::to_owned).collect::<Vec<_>>())
            };
            let cfg = PlainAccessConfig {
                access_key: Some(acl_access_key.trim().to_owned()),
                secret_key: acl_secret_key.map(|s| s.trim().to_owned()),
                white_remote_address: white_remote_address.map(|s| s.trim().to_owned()),
                admin: is_admin.unwrap_or(false),
                default_topic_perm: default_topic_perm.map(|s| s.trim().to_owned()),
                default_group_perm: default_group_perm.map(|s| s.trim().to_owned()),
                topic_perms: list(topic_perms),
                group_perms: list(group_perms),
            };
            for addr in brokers(admin, broker).await? {
                admin
                    .create_and_update_plain_access_config(&addr, &cfg)
                    .await?;
                out!("create or update plain access config to {addr} success.");
            }
        }
        AdminCmd::DeleteAccessConfig {
            broker,
            acl_access_key,
        } => {
            for addr in brokers(admin, broker).await? {
                admin
                    .delete_plain_access_config(&addr, acl_access_key.trim())
                    .await?;
                out!("delete plain access config account from {addr} success.");
            }
            out!("account's accesskey is:{}", acl_access_key.trim());
        }
        AdminCmd::UpdateGlobalWhiteAddr {
            broker,
            global_white_addrs,
        } => {
            for addr in brokers(admin, broker).await? {
                admin
                    .update_global_white_addr_config(&addr, global_white_addrs.trim())
                    .await?;
                out!("update global white remote addresses to {addr} success.");
            }
        }
        AdminCmd::ClusterAclConfigVersion { broker } => {
            out!(
                "{:<16}  {:<22}  {:<22}  {:<20}  {:<22}  {:<22}",
                "#Cluster Name",
                "#Broker Name",
                "#Broker Addr",
                "#AclFilePath",
                "#AclConfigVersionNum",
                "#AclLastUpdateTime"
            );
            for addr in brokers(admin, broker).await? {
                let v = admin.broker_cluster_acl_version_info(&addr).await?;
                for (path, dv) in &v.all_acl_config_data_version {
                    out!(
                        "{:<16}  {:<22}  {:<22}  {:<20}  {:<22}  {:<22}",
                        v.cluster_name,
                        v.broker_name,
                        v.broker_addr,
                        path,
                        dv.counter,
                        format_millis(dv.timestamp, ' ', ':')
                            .get(..19)
                            .unwrap_or("")
                    );
                }
            }
        }
        AdminCmd::GetAccessConfig { broker } => {
            for addr in brokers(admin, broker).await? {
                let c = admin.broker_cluster_acl_config(&addr).await?;
                out!("");
                out!(
                    "{:<20}: [{}]",
                    "globalWhiteRemoteAddresses",
                    c.global_white_addrs.unwrap_or_default().join(", ")
                );
                out!("");
                out!("accounts:");
                for a in c.plain_access_configs.unwrap_or_default() {
                    let list = |v: Option<Vec<String>>| {
                        v.map(|v| format!("[{}]", v.join(", "))).unwrap_or_default()
                    };
                    for (k, v) in [
                        ("accessKey", a.access_key.unwrap_or_default()),
                        ("secretKey", a.secret_key.unwrap_or_default()),
                        (
                            "whiteRemoteAddress",
                            a.white_remote_address.unwrap_or_default(),
                        ),
                        ("admin", a.admin.to_string()),
                        ("defaultTopicPerm", a.default_topic_perm.unwrap_or_default()),
                        ("defaultGroupPerm", a.default_group_perm.unwrap_or_default()),
                        ("topicPerms", list(a.topic_perms)),
                        ("groupPerms", list(a.group_perms)),
                    ] {
                        out!("  {k:<18}: {v}");
                    }
                    out!("");
                }
            }
        }
        other => bail!("not a management subcommand: {other:?}"),
    }
    Ok(())
}

/// `MQVersion.getVersionDesc`: the 4.9.3 client sends 399 (`V4_9_3`).
fn version_desc(v: i32) -> String {
    match v {
        399 => "V4_9_3".into(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(
            super::parse_timestamp("1796019666536").unwrap(),
            1_796_019_666_536
        );
        assert_eq!(
            super::parse_timestamp("2026-11-30#06:21:06:536").unwrap(),
            1_796_019_666_536
        );
        assert!(super::parse_timestamp("2026-02-30#00:00:00:000").is_err());
        assert!(super::parse_timestamp("yesterday").is_err());
    }
}
