//! A producer group's connections (GET_PRODUCER_CONNECTION_LIST, as the dashboard's producer
//! page asks the first broker of the topic's route) and a topic's put and get TPS from the
//! brokers' statistics items (VIEW_BROKER_STATS_DATA: `TOPIC_PUT_NUMS` of the topic,
//! `GROUP_GET_NUMS` of `topic@group` for each group QUERY_TOPIC_CONSUME_BY_WHO names).

use rocklet_client::{ClientError, MQAdmin};
use rocklet_protocol::time::now_ms;
use rocklet_protocol::ResponseCode;
use serde::Serialize;

use super::api::{check_topic, ConsoleError, Result};
use super::groups::Member;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProducersView {
    pub topic: String,
    pub group: String,
    /// The broker asked.
    pub broker_addr: String,
    pub connections: Vec<Member>,
}

/// `examineProducerConnectionInfo(group, topic)`: the live producers of `group` as the first
/// broker of the topic's route knows them; none connected is an empty list (a 4.9 broker
/// answers SYSTEM_ERROR "the producer group[..] not exist").
pub async fn producers(admin: &MQAdmin, topic: &str, group: &str) -> Result<ProducersView> {
    check_topic(topic)?;
    rocklet_client::validators::check_group(group)
        .map_err(|e| ConsoleError::BadRequest(e.to_string()))?;
    let route = admin.topic_route(topic).await?;
    let addr = route
        .broker_datas
        .iter()
        .find_map(|b| b.select_addr())
        .ok_or_else(|| ConsoleError::NotFound(format!("topic [{topic}] has no broker")))?
        .to_owned();
    let conns = match admin.producer_connection(&addr, group).await {
        Ok(pc) => pc.connection_set,
        Err(ClientError::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            remark,
            ..
        }) if remark.contains("not exist") => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut connections: Vec<Member> = conns.iter().map(Member::from).collect();
    connections.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(ProducersView {
        topic: topic.to_owned(),
        group: group.to_owned(),
        broker_addr: addr,
        connections,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TpsView {
    pub topic: String,
    /// Messages a second put into the topic over the last minute, all masters together.
    pub put_tps: f64,
    /// Messages a second its consumer groups pulled over the last minute.
    pub get_tps: f64,
    /// When the figures were asked for (ms).
    pub timestamp: i64,
}

/// The minute TPS of one statistics item; an item never counted (SYSTEM_ERROR) is 0.
async fn minute_tps(admin: &MQAdmin, addr: &str, name: &str, key: &str) -> Result<f64> {
    match admin.broker_stats(addr, name, key).await {
        Ok(d) => Ok(d.stats_minute.tps),
        Err(ClientError::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            ..
        }) => Ok(0.0),
        Err(e) => Err(e.into()),
    }
}

/// The topic's put and get TPS, summed over the masters of its route.
pub async fn tps(admin: &MQAdmin, topic: &str) -> Result<TpsView> {
    check_topic(topic)?;
    let route = admin.topic_route(topic).await?;
    let mut put = 0.0;
    let mut get = 0.0;
    for addr in route.broker_datas.iter().filter_map(|b| b.master_addr()) {
        put += minute_tps(admin, addr, "TOPIC_PUT_NUMS", topic).await?;
        for g in admin.topic_consumed_by(addr, topic).await? {
            get += minute_tps(admin, addr, "GROUP_GET_NUMS", &format!("{topic}@{g}")).await?;
        }
    }
    Ok(TpsView {
        topic: topic.to_owned(),
        put_tps: put,
        get_tps: get,
        timestamp: now_ms(),
    })
}
