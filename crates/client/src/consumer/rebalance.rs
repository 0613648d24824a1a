//! The allocation step of `RebalanceImpl.rebalanceByTopic`, shared by the push consumer and the
//! lite pull consumer's subscribe mode: the topic's readable queues and the group's members,
//! both sorted, handed to the allocation strategy (or every queue when broadcasting).

use rocklet_protocol::body::ConsumerIdList;
use rocklet_protocol::header::GetConsumerListByGroupRequestHeader;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::collections::BTreeSet;

use super::allocate::AllocateMessageQueueStrategy;
use super::config::MessageModel;
use crate::error::ClientError;
use crate::instance::ClientInstance;
use crate::message::MessageQueue;

/// The queues of `topic` this client should consume now.
///
/// # Errors
/// [`ClientError::Client`] when the topic has no readable queue (no route) or the group has no
/// member yet; the broker's refusal or the transport error of GET_CONSUMER_LIST_BY_GROUP.
pub(crate) async fn allocate_topic(
    inst: &ClientInstance,
    group: &str,
    topic: &str,
    model: MessageModel,
    strategy: &dyn AllocateMessageQueueStrategy,
) -> Result<BTreeSet<MessageQueue>, ClientError> {
    let mut mq_all = inst.topic_subscribe_info(topic);
    if mq_all.is_empty() {
        inst.update_topic_route(topic, None).await;
        mq_all = inst.topic_subscribe_info(topic);
    }
    if mq_all.is_empty() {
        return Err(ClientError::client(
            -1,
            format!("doRebalance, {group}, but the topic[{topic}] not exist."),
        ));
    }
    if model == MessageModel::BROADCASTING {
        return Ok(mq_all.into_iter().collect());
    }
    let mut cids = find_consumer_ids(inst, group, topic).await?;
    if cids.is_empty() {
        return Err(ClientError::client(
            -1,
            format!("doRebalance, {group} {topic}, get consumer id list failed"),
        ));
    }
    mq_all.sort();
    cids.sort();
    Ok(strategy
        .allocate(group, inst.client_id(), &mq_all, &cids)
        .into_iter()
        .collect())
}

/// `findConsumerIdList`: GET_CONSUMER_LIST_BY_GROUP to a broker of the topic.
pub(crate) async fn find_consumer_ids(
    inst: &ClientInstance,
    group: &str,
    topic: &str,
) -> Result<Vec<String>, ClientError> {
    let addr = inst
        .find_broker_addr_by_topic(topic)
        .ok_or_else(|| ClientError::client(-1, format!("no broker for topic {topic}")))?;
    let cmd = RemotingCommand::request(
        RequestCode::GET_CONSUMER_LIST_BY_GROUP,
        &GetConsumerListByGroupRequestHeader {
            consumer_group: group.to_owned(),
        },
    );
    let r = inst
        .remoting
        .invoke(&addr, cmd, inst.config().mq_client_api_timeout)
        .await?;
    if r.code != 0 {
        return Err(ClientError::Broker {
            code: ResponseCode::from_i32(r.code),
            remark: r.remark.unwrap_or_default(),
            addr,
        });
    }
    let ids: ConsumerIdList = rocklet_protocol::body::decode_json(r.body_bytes())?;
    Ok(ids.consumer_id_list)
}
