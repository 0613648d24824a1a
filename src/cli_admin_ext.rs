//! The management subcommands of `rocklet admin`, printed as Java's `mqadmin` prints them
//! (same columns and labels), so operators read the same tables.

use anyhow::{bail, Context};
use rocklet_client::MQAdmin;
use rocklet_protocol::body::SubscriptionGroupConfig;
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
