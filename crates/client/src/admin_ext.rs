//! Management calls (the part of Java's `DefaultMQAdminExt` that `rocklet admin` uses): broker
//! runtime info and config, topic and consume stats, connections, subscription groups, KV and
//! name-server config, reset offsets by time. Each answers what the broker answered, or the
//! broker's code and remark as the error.

use rocklet_protocol::body::{
    decode_json, encode_json, read_mq_map, ConsumerConnection, KvTable, MessageQueueData,
    OffsetWrapper, ProducerConnection, SubscriptionGroupConfig, TopicOffset,
};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};

use crate::admin::MQAdmin;
use crate::error::ClientError;

/// A group's offsets on one broker (`ConsumeStats`).
#[derive(Debug, Clone, Default)]
pub struct ConsumeStats {
    /// `consumeTps`: the group's recent consume rate on the broker (0 when absent).
    pub consume_tps: f64,
    /// `offsetTable`: per queue, the broker offset, the group's committed offset and the last
    /// consume time.
    pub offsets: Vec<(MessageQueueData, OffsetWrapper)>,
}

impl MQAdmin {
    /// A request to one broker (or name server) that must answer SUCCESS.
    pub(crate) async fn ok_call(
        &self,
        addr: &str,
        cmd: RemotingCommand,
    ) -> Result<RemotingCommand, ClientError> {
        let r = self.call(addr, cmd).await?;
        if r.code != 0 {
            return Err(ClientError::Broker {
                code: ResponseCode::from_i32(r.code),
                remark: r.remark.unwrap_or_default(),
                addr: addr.to_owned(),
            });
        }
        Ok(r)
    }

    /// Every master broker's (name, address), from the name server's cluster info.
    ///
    /// # Errors
    /// As [`MQAdmin::cluster_info`].
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn master_addrs(&self) -> Result<Vec<(String, String)>, ClientError> {
        let ci = self.cluster_info().await?;
        Ok(ci
            .broker_addr_table
            .values()
            .filter_map(|b| {
                b.master_addr()
                    .map(|a| (b.broker_name.clone(), a.to_owned()))
            })
            .collect())
    }

    /// GET_BROKER_RUNTIME_INFO (`fetchBrokerRuntimeStats`): the broker's runtime figures by
    /// name.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn broker_runtime_info(
        &self,
        addr: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, ClientError> {
        let r = self
            .ok_call(
                addr,
                RemotingCommand::request_bare(RequestCode::GET_BROKER_RUNTIME_INFO),
            )
            .await?;
        Ok(decode_json::<KvTable>(r.body_bytes())?.table)
    }

    /// GET_BROKER_CONFIG: the `key=value` lines.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn broker_config(&self, addr: &str) -> Result<Vec<(String, String)>, ClientError> {
        let r = self
            .ok_call(
                addr,
                RemotingCommand::request_bare(RequestCode::GET_BROKER_CONFIG),
            )
            .await?;
        let text = String::from_utf8_lossy(r.body_bytes()).into_owned();
        Ok(rocklet_protocol::body::parse_properties_text(&text)?)
    }

    /// UPDATE_BROKER_CONFIG with `key=value` lines.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still apply the new values after the future is dropped.
    pub async fn update_broker_config(
        &self,
        addr: &str,
        pairs: &[(String, String)],
    ) -> Result<(), ClientError> {
        let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let cmd = RemotingCommand::request_bare(RequestCode::UPDATE_BROKER_CONFIG)
            .with_body(text.into_bytes());
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// GET_TOPIC_STATS_INFO on one broker: per queue, its min and max offset and last update
    /// time.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn topic_stats(
        &self,
        addr: &str,
        topic: &str,
    ) -> Result<Vec<(MessageQueueData, TopicOffset)>, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::GET_TOPIC_STATS_INFO,
            &TopicOnlyHeader {
                topic: topic.to_owned(),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(read_mq_map(r.body_bytes(), "offsetTable")?)
    }

    /// GET_CONSUME_STATS of `group` (one topic, or every topic it has offsets for).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn consume_stats(
        &self,
        addr: &str,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumeStats, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::GET_CONSUME_STATS,
            &GetConsumeStatsRequestHeader {
                consumer_group: group.to_owned(),
                topic: topic.map(str::to_owned),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        #[derive(serde::Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Tps {
            consume_tps: Option<f64>,
        }
        // The TPS sits before the bean-keyed map; read it from the text before the map.
        let body = r.body_bytes();
        let head = body
            .windows(b",\"offsetTable\"".len())
            .position(|w| w == b",\"offsetTable\"")
            .map_or(body, |p| &body[..p]);
        let tps = serde_json::from_slice::<Tps>(&[head, b"}"].concat())
            .ok()
            .and_then(|t| t.consume_tps)
            .unwrap_or(0.0);
        Ok(ConsumeStats {
            consume_tps: tps,
            offsets: read_mq_map(body, "offsetTable")?,
        })
    }

    /// GET_CONSUMER_CONNECTION_LIST: the group's live consumers and their subscriptions.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn consumer_connection(
        &self,
        addr: &str,
        group: &str,
    ) -> Result<ConsumerConnection, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::GET_CONSUMER_CONNECTION_LIST,
            &ConsumerGroupHeader {
                consumer_group: group.to_owned(),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(decode_json(r.body_bytes())?)
    }

    /// GET_PRODUCER_CONNECTION_LIST: the group's live producers.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn producer_connection(
        &self,
        addr: &str,
        group: &str,
    ) -> Result<ProducerConnection, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::GET_PRODUCER_CONNECTION_LIST,
            &ProducerGroupHeader {
                producer_group: group.to_owned(),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(decode_json(r.body_bytes())?)
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: create or replace a subscription group.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still create or update the group after the future is dropped.
    pub async fn update_subscription_group(
        &self,
        addr: &str,
        cfg: &SubscriptionGroupConfig,
    ) -> Result<(), ClientError> {
        let cmd = RemotingCommand::request_bare(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .with_body(encode_json(cfg));
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// DELETE_SUBSCRIPTIONGROUP (with its offsets when `remove_offset`).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still delete the group after the future is dropped.
    pub async fn delete_subscription_group(
        &self,
        addr: &str,
        group: &str,
        remove_offset: bool,
    ) -> Result<(), ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: group.to_owned(),
                remove_offset: Some(remove_offset),
            },
        );
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// PUT_KV_CONFIG on every name server, in order; stops at the first failure.
    ///
    /// # Errors
    /// [`ClientError::Broker`] (with the name server's address) when a name server refuses.
    ///
    /// # Cancellation
    /// The name servers are asked one after another: dropping the future may leave the value
    /// on some of them only.
    pub async fn put_kv_config(&self, ns: &str, key: &str, value: &str) -> Result<(), ClientError> {
        for addr in self.instance().config().namesrv_addrs() {
            let cmd = RemotingCommand::request(
                RequestCode::PUT_KV_CONFIG,
                &PutKvConfigRequestHeader {
                    namespace: ns.to_owned(),
                    key: key.to_owned(),
                    value: value.to_owned(),
                },
            );
            self.ok_call(&addr, cmd).await?;
        }
        Ok(())
    }

    /// DELETE_KV_CONFIG on every name server, in order; stops at the first failure.
    ///
    /// # Errors
    /// [`ClientError::Broker`] (with the name server's address) when a name server refuses.
    ///
    /// # Cancellation
    /// The name servers are asked one after another: dropping the future may leave the key
    /// deleted on some of them only.
    pub async fn delete_kv_config(&self, ns: &str, key: &str) -> Result<(), ClientError> {
        for addr in self.instance().config().namesrv_addrs() {
            let cmd = RemotingCommand::request(
                RequestCode::DELETE_KV_CONFIG,
                &KvConfigRequestHeader {
                    namespace: ns.to_owned(),
                    key: key.to_owned(),
                },
            );
            self.ok_call(&addr, cmd).await?;
        }
        Ok(())
    }

    /// GET_NAMESRV_CONFIG of each name server: (address, `key=value` lines).
    ///
    /// # Errors
    /// [`ClientError::Broker`] (with the name server's address) when a name server refuses.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn namesrv_config(
        &self,
    ) -> Result<Vec<(String, Vec<(String, String)>)>, ClientError> {
        let mut out = Vec::new();
        for addr in self.instance().config().namesrv_addrs() {
            let r = self
                .ok_call(
                    &addr,
                    RemotingCommand::request_bare(RequestCode::GET_NAMESRV_CONFIG),
                )
                .await?;
            let text = String::from_utf8_lossy(r.body_bytes()).into_owned();
            out.push((addr, rocklet_protocol::body::parse_properties_text(&text)?));
        }
        Ok(out)
    }

    /// INVOKE_BROKER_TO_RESET_OFFSET: the offsets the broker told the group's live members to
    /// go to (`timestamp` -1: the end of each queue).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with the broker's code and remark when it refuses.
    ///
    /// # Cancellation
    /// The broker may still reset the offsets and tell the consumers after the future is dropped.
    pub async fn reset_offset_by_time(
        &self,
        addr: &str,
        topic: &str,
        group: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<Vec<(MessageQueueData, i64)>, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::INVOKE_BROKER_TO_RESET_OFFSET,
            &ResetOffsetRequestHeader {
                topic: topic.to_owned(),
                group: group.to_owned(),
                timestamp,
                is_force: force,
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(read_mq_map(r.body_bytes(), "offsetTable")?)
    }
}

/// `ConsumerRunningInfo` of one consumer client (GET_CONSUMER_RUNNING_INFO through a broker).
#[derive(Debug, Clone, Default)]
pub struct ConsumerRunningInfo {
    /// `properties`: the consumer's settings and `PROP_*` entries.
    pub properties: std::collections::BTreeMap<String, String>,
    /// `subscriptionSet`.
    pub subscriptions: Vec<rocklet_protocol::body::SubscriptionData>,
    /// `mqTable`: per assigned queue, its `ProcessQueueInfo` (as JSON).
    pub mq_table: Vec<(MessageQueueData, serde_json::Value)>,
    /// `statusTable`: per topic, consume TPS and RT (as JSON).
    pub status_table: serde_json::Value,
}

/// `ConsumeMessageDirectlyResult`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeMessageDirectlyResult {
    /// The consumer is orderly.
    pub order: bool,
    /// `autoCommit` of an orderly consumer.
    pub auto_commit: bool,
    /// `CR_SUCCESS`, `CR_LATER`, `CR_ROLLBACK`, `CR_COMMIT`, `CR_THROW_EXCEPTION`,
    /// `CR_RETURN_NULL`.
    pub consume_result: Option<String>,
    /// What went wrong, if anything.
    pub remark: Option<String>,
    /// Time the listener took.
    pub spent_time_mills: i64,
}

impl MQAdmin {
    /// `getConsumerRunningInfo`: ask the broker at `addr` to fetch the running info of the
    /// consumer `client_id` of `group` (what `mqadmin consumerStatus -i` shows).
    ///
    /// # Errors
    /// The broker's code and remark (the client is not connected to it, or does not answer).
    pub async fn consumer_running_info(
        &self,
        addr: &str,
        group: &str,
        client_id: &str,
    ) -> Result<ConsumerRunningInfo, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::GET_CONSUMER_RUNNING_INFO,
            &GetConsumerRunningInfoRequestHeader {
                consumer_group: group.to_owned(),
                client_id: client_id.to_owned(),
                jstack_enable: Some(false),
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        let body = r.body_bytes();
        let field = |name: &str| -> Option<serde_json::Value> {
            rocklet_protocol::body::raw_field(body, name)
                .and_then(|raw| serde_json::from_slice(raw).ok())
        };
        let properties = field("properties")
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let subscriptions = field("subscriptionSet")
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        Ok(ConsumerRunningInfo {
            properties,
            subscriptions,
            mq_table: read_mq_map(body, "mqTable").unwrap_or_default(),
            status_table: field("statusTable").unwrap_or_default(),
        })
    }

    /// `consumeMessageDirectly`: the broker at `addr` hands the stored message `offset_msg_id`
    /// to the consumer `client_id` of `group`, whose listener consumes it outside its queues
    /// (`mqadmin queryMsgById -g GROUP -d CLIENT_ID`).
    ///
    /// # Errors
    /// The broker's code and remark (unknown message, client not connected, ...).
    pub async fn consume_message_directly(
        &self,
        addr: &str,
        group: &str,
        client_id: &str,
        offset_msg_id: &str,
    ) -> Result<ConsumeMessageDirectlyResult, ClientError> {
        let cmd = RemotingCommand::request(
            RequestCode::CONSUME_MESSAGE_DIRECTLY,
            &ConsumeMessageDirectlyResultRequestHeader {
                consumer_group: group.to_owned(),
                client_id: Some(client_id.to_owned()),
                msg_id: Some(offset_msg_id.to_owned()),
                broker_name: None,
            },
        );
        let r = self.ok_call(addr, cmd).await?;
        Ok(decode_json(r.body_bytes())?)
    }
}

/// What GET_BROKER_CLUSTER_ACL_INFO answers (Java `ClusterAclVersionInfo`).
#[derive(Debug, Clone, Default)]
pub struct ClusterAclVersionInfo {
    /// `brokerName`.
    pub broker_name: String,
    /// `brokerAddr` (the broker's `ip:port`).
    pub broker_addr: String,
    /// `clusterName`.
    pub cluster_name: String,
    /// The default ACL file's version.
    pub acl_config_data_version: rocklet_protocol::body::DataVersion,
    /// Every ACL file the broker read, by path, and its version.
    pub all_acl_config_data_version:
        std::collections::BTreeMap<String, rocklet_protocol::body::DataVersion>,
}

/// The plain ACL management calls (`createAndUpdatePlainAccessConfig`,
/// `deletePlainAccessConfig`, `updateGlobalWhiteAddrConfig`,
/// `examineBrokerClusterAclVersionInfo`, `examineBrokerClusterAclConfig`). With ACL on, the
/// broker wants an admin account's credentials (`ClientConfig::session_credentials`).
impl MQAdmin {
    /// UPDATE_AND_CREATE_ACL_CONFIG: create the account, or update the one with that
    /// accessKey (fields left `None` keep their value in the file).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with code 209 (UPDATE_AND_CREATE_ACL_CONFIG_FAILED) and the
    /// broker's reason (a key of 6 characters or fewer, a malformed `Res=Perm`, ...).
    ///
    /// # Cancellation
    /// The broker may still apply the change after the future is dropped.
    pub async fn create_and_update_plain_access_config(
        &self,
        addr: &str,
        config: &rocklet_protocol::body::PlainAccessConfig,
    ) -> Result<(), ClientError> {
        let join = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(","));
        let h = CreateAccessConfigRequestHeader {
            access_key: config.access_key.clone().unwrap_or_default(),
            secret_key: config.secret_key.clone(),
            white_remote_address: config.white_remote_address.clone(),
            admin: Some(config.admin),
            default_topic_perm: config.default_topic_perm.clone(),
            default_group_perm: config.default_group_perm.clone(),
            topic_perms: join(&config.topic_perms),
            group_perms: join(&config.group_perms),
        };
        let cmd = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_ACL_CONFIG, &h);
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// DELETE_ACL_CONFIG.
    ///
    /// # Errors
    /// [`ClientError::Broker`] with code 210 (DELETE_ACL_CONFIG_FAILED) when no account has
    /// that key.
    ///
    /// # Cancellation
    /// The broker may still apply the change after the future is dropped.
    pub async fn delete_plain_access_config(
        &self,
        addr: &str,
        access_key: &str,
    ) -> Result<(), ClientError> {
        let h = DeleteAccessConfigRequestHeader {
            access_key: access_key.to_owned(),
        };
        let cmd = RemotingCommand::request(RequestCode::DELETE_ACL_CONFIG, &h);
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: replace the global white list (`a,b,c`).
    ///
    /// # Errors
    /// [`ClientError::Broker`] with code 211 (UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED).
    ///
    /// # Cancellation
    /// The broker may still apply the change after the future is dropped.
    pub async fn update_global_white_addr_config(
        &self,
        addr: &str,
        global_white_addrs: &str,
    ) -> Result<(), ClientError> {
        let h = UpdateGlobalWhiteAddrsConfigRequestHeader {
            global_white_addrs: global_white_addrs.to_owned(),
        };
        let cmd = RemotingCommand::request(RequestCode::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, &h);
        self.ok_call(addr, cmd).await.map(drop)
    }

    /// GET_BROKER_CLUSTER_ACL_INFO: the ACL file versions of one broker.
    ///
    /// # Errors
    /// [`ClientError::Broker`] when the broker refuses; a protocol error for a malformed
    /// header.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn broker_cluster_acl_version_info(
        &self,
        addr: &str,
    ) -> Result<ClusterAclVersionInfo, ClientError> {
        let r = self
            .ok_call(
                addr,
                RemotingCommand::request_bare(RequestCode::GET_BROKER_CLUSTER_ACL_INFO),
            )
            .await?;
        let h: GetBrokerAclConfigResponseHeader = r.header()?;
        let all = match h.all_acl_file_version.as_deref() {
            Some(s) if !s.is_empty() => decode_json(s.as_bytes())?,
            _ => Default::default(),
        };
        Ok(ClusterAclVersionInfo {
            broker_name: h.broker_name,
            broker_addr: h.broker_addr,
            cluster_name: h.cluster_name,
            acl_config_data_version: decode_json(h.version.as_bytes())?,
            all_acl_config_data_version: all,
        })
    }

    /// GET_BROKER_CLUSTER_ACL_CONFIG: the global white addresses and every account (secret
    /// keys included) of one broker's ACL file.
    ///
    /// # Errors
    /// [`ClientError::Broker`] when the broker refuses; a protocol error for a malformed body.
    ///
    /// # Cancellation
    /// Read-only: dropping the future abandons the request (see [`MQAdmin`]).
    pub async fn broker_cluster_acl_config(
        &self,
        addr: &str,
    ) -> Result<rocklet_protocol::body::AclConfig, ClientError> {
        let r = self
            .ok_call(
                addr,
                RemotingCommand::request_bare(RequestCode::GET_BROKER_CLUSTER_ACL_CONFIG),
            )
            .await?;
        Ok(decode_json(r.body_bytes())?)
    }
}
