//! The catalogue calls of `DefaultMQAdminExt` that a console needs: the name server's topic
//! list, a broker's subscription groups, deleting a topic (`mqadmin deleteTopic`: brokers, then
//! name servers), committing a group's offset, `resetOffsetByTimestampOld`, the reset
//! `mqadmin resetOffsetByTime` falls back to when no member of the group is online, a broker's
//! statistics item (`viewBrokerStatsData`) and the groups consuming a topic
//! (`queryTopicConsumeByWho`).

use rocklet_protocol::body::{
    decode_json, BrokerStatsData, GroupList, MessageQueueData, SubscriptionGroupWrapper, TopicList,
};
use rocklet_protocol::header::{
    OffsetResponseHeader, QueueRequestHeader, SearchOffsetRequestHeader, TopicRequestHeader,
    UpdateConsumerOffsetRequestHeader, ViewBrokerStatsDataRequestHeader,
};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};

use crate::admin::MQAdmin;
use crate::error::ClientError;

impl MQAdmin {
    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (`fetchAllTopicList`): every topic the name servers
    /// know (tried in turn), cluster and broker names included, as Java lists them.
    ///
    /// # Errors
    /// [`ClientError::Client`] with the name server's code and remark when it refuses, or
    /// NO_NAME_SERVER_EXCEPTION (10004); [`ClientError::Remoting`] when none answered.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn topic_list(&self) -> Result<Vec<String>, ClientError> {
        let r = self
            .instance()
            .invoke_namesrv(
                RemotingCommand::request_bare(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
                self.instance().config().mq_client_api_timeout,
            )
            .await?;
        if r.code != 0 {
            return Err(ClientError::client(r.code, r.remark.unwrap_or_default()));
        }
        Ok(decode_json::<TopicList>(r.body_bytes())?.topic_list)
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG: the subscription groups of the broker at `addr`.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn subscription_groups(
        &self,
        addr: &str,
    ) -> Result<SubscriptionGroupWrapper, ClientError> {
        let cmd = RemotingCommand::request_bare(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
        let r = self.ok_call(addr, cmd).await?;
        Ok(decode_json(r.body_bytes())?)
    }

    /// DELETE_TOPIC_IN_BROKER on the broker at `addr` (its config, consume queues and
    /// counters of the topic).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still delete the topic after the future is dropped.
    pub async fn delete_topic_in_broker(&self, addr: &str, topic: &str) -> Result<(), ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::DELETE_TOPIC_IN_BROKER,
            &TopicRequestHeader {
                topic: topic.to_owned(),
            },
        );
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// DELETE_TOPIC_IN_NAMESRV on every name server, in order; stops at the first failure.
    ///
    /// # Errors
    /// [`ClientError::Broker`] (with the name server's address) when a name server refuses.
    ///
    /// # Cancellation
    /// The name servers are asked one after another: dropping the future may leave the route
    /// on some of them.
    pub async fn delete_topic_in_namesrv(&self, topic: &str) -> Result<(), ClientError> {
        for addr in self.instance().config().namesrv_addrs() {
            let cmd = RemotingCommand::request(
                RequestCode::DELETE_TOPIC_IN_NAMESRV,
                &TopicRequestHeader {
                    topic: topic.to_owned(),
                },
            );
            self.ok_call(&addr, cmd).await?;
        }
        Ok(())
    }

    /// UPDATE_CONSUMER_OFFSET: commit `offset` as `group`'s offset of queue `mq` on the
    /// broker at `addr`.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still store the offset after the future is dropped.
    pub async fn update_consumer_offset(
        &self,
        addr: &str,
        group: &str,
        mq: &MessageQueueData,
        offset: i64,
    ) -> Result<(), ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: group.to_owned(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                commit_offset: offset,
            },
        );
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// `resetOffsetByTimestampOld`: for every queue of `topic` in the group's consume stats on
    /// each broker of the route, the offset SEARCH_OFFSET_BY_TIMESTAMP answers for `timestamp`
    /// (-1: the queue's max offset) is committed for the group, when `force` or when it is
    /// behind the group's offset. Returns the (queue, target offset) pairs.
    ///
    /// # Errors
    /// [`ClientError::Client`] with CONSUMER_NOT_ONLINE (206) when a broker has no offset of
    /// the group for the topic (Java's "maybe the consumer not consume any message"); the
    /// route lookup's errors as [`MQAdmin::topic_route`]; [`ClientError::Broker`] when a
    /// broker refuses.
    ///
    /// # Cancellation
    /// Queues are committed one after another: dropping the future may leave some reset.
    pub async fn reset_offset_by_time_old(
        &self,
        topic: &str,
        group: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<Vec<(MessageQueueData, i64)>, ClientError> {
        let route = self.topic_route(topic).await?;
        let mut out = Vec::new();
        for bd in &route.broker_datas {
            let Some(addr) = bd.select_addr() else {
                continue;
            };
            let stats = self.consume_stats(addr, group, Some(topic)).await?;
            let mut consumed = false;
            for (mq, ow) in stats.offsets.iter().filter(|(mq, _)| mq.topic == topic) {
                consumed = true;
                let cmd = if timestamp == -1 {
                    RemotingCommand::request(
                        RequestCode::GET_MAX_OFFSET,
                        &QueueRequestHeader {
                            topic: topic.to_owned(),
                            queue_id: mq.queue_id,
                        },
                    )
                } else {
                    RemotingCommand::request(
                        RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
                        &SearchOffsetRequestHeader {
                            topic: topic.to_owned(),
                            queue_id: mq.queue_id,
                            timestamp,
                        },
                    )
                };
                let r = self.ok_call(addr, cmd).await?;
                let target = r.header::<OffsetResponseHeader>()?.offset;
                if force || ow.consumer_offset > target {
                    self.update_consumer_offset(addr, group, mq, target).await?;
                }
                out.push((mq.clone(), target));
            }
            if !consumed {
                return Err(ClientError::client(
                    ResponseCode::CONSUMER_NOT_ONLINE.as_i32(),
                    "Not found the consumer group consume stats, because return offset table is empty, maybe the consumer not consume any message",
                ));
            }
        }
        Ok(out)
    }

    /// VIEW_BROKER_STATS_DATA (`viewBrokerStatsData`): the minute, hour and day windows of the
    /// broker's statistics item `name` (`TOPIC_PUT_NUMS`, `GROUP_GET_NUMS`, ...) for `key` (a
    /// topic, or `topic@group`).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses; a 4.9 broker
    /// answers SYSTEM_ERROR (1) for an item it has never counted.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn broker_stats(
        &self,
        addr: &str,
        name: &str,
        key: &str,
    ) -> Result<BrokerStatsData, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::VIEW_BROKER_STATS_DATA,
            &ViewBrokerStatsDataRequestHeader {
                stats_name: name.to_owned(),
                stats_key: key.to_owned(),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(decode_json(r.body_bytes())?)
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO (`queryTopicConsumeByWho`): the groups the broker at `addr`
    /// knows consume `topic` (online, or with offsets for it).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn topic_consumed_by(
        &self,
        addr: &str,
        topic: &str,
    ) -> Result<Vec<String>, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::QUERY_TOPIC_CONSUME_BY_WHO,
            &TopicRequestHeader {
                topic: topic.to_owned(),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(decode_json::<GroupList>(r.body_bytes())?.group_list)
    }
}
