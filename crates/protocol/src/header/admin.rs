//! Headers of the broker's management codes (`AdminBrokerProcessor`, `ConsumerManageProcessor`)
//! and of the requests the broker sends to clients on an operator's behalf.

use super::{CommandHeader, HeaderValue};
use crate::command::ExtFields;
use crate::error::ProtocolError;

command_header! {
    /// `DeleteSubscriptionGroupRequestHeader`.
    pub struct DeleteSubscriptionGroupRequestHeader {
        group_name: String = "groupName",
        remove_offset: Option<bool> = "removeOffset",
    }
}

/// `GetTopicStatsInfoRequestHeader`, `QueryTopicConsumeByWhoRequestHeader` and the 5.x
/// `GetTopicConfigRequestHeader`: a topic alone, the same field as the delete-topic header.
pub type TopicOnlyHeader = super::TopicRequestHeader;

/// `GetConsumerConnectionListRequestHeader`: the group alone, as GET_CONSUMER_LIST_BY_GROUP.
pub type ConsumerGroupHeader = super::GetConsumerListByGroupRequestHeader;

command_header! {
    /// `GetProducerConnectionListRequestHeader`.
    pub struct ProducerGroupHeader { producer_group: String = "producerGroup" }
}

command_header! {
    /// `GetConsumeStatsRequestHeader`: one topic of the group, or every topic it consumes.
    pub struct GetConsumeStatsRequestHeader {
        consumer_group: String = "consumerGroup",
        topic: Option<String> = "topic",
    }
}

command_header! {
    /// `GetBrokerConfigResponseHeader`: the config's data version as JSON.
    pub struct GetBrokerConfigResponseHeader { version: Option<String> = "version" }
}

command_header! {
    /// `ResetOffsetRequestHeader` (INVOKE_BROKER_TO_RESET_OFFSET, and the broker's
    /// RESET_CONSUMER_CLIENT_OFFSET to each consumer).
    pub struct ResetOffsetRequestHeader {
        topic: String = "topic",
        group: String = "group",
        timestamp: i64 = "timestamp",
        is_force: bool = "isForce",
    }
}

command_header! {
    /// `GetConsumerStatusRequestHeader` (INVOKE_BROKER_TO_GET_CONSUMER_STATUS and
    /// GET_CONSUMER_STATUS_FROM_CLIENT).
    pub struct GetConsumerStatusRequestHeader {
        topic: String = "topic",
        group: String = "group",
        client_addr: Option<String> = "clientAddr",
    }
}

command_header! {
    /// `QueryConsumeTimeSpanRequestHeader`.
    pub struct QueryConsumeTimeSpanRequestHeader {
        topic: String = "topic",
        group: String = "group",
    }
}

command_header! {
    /// `GetConsumerRunningInfoRequestHeader`.
    pub struct GetConsumerRunningInfoRequestHeader {
        consumer_group: String = "consumerGroup",
        client_id: String = "clientId",
        jstack_enable: Option<bool> = "jstackEnable",
    }
}

command_header! {
    /// `ConsumeMessageDirectlyResultRequestHeader`.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: String = "consumerGroup",
        client_id: Option<String> = "clientId",
        msg_id: Option<String> = "msgId",
        broker_name: Option<String> = "brokerName",
    }
}

command_header! {
    /// `CloneGroupOffsetRequestHeader`.
    pub struct CloneGroupOffsetRequestHeader {
        src_group: String = "srcGroup",
        dest_group: String = "destGroup",
        topic: Option<String> = "topic",
        offline: Option<bool> = "offline",
    }
}

command_header! {
    /// `ViewBrokerStatsDataRequestHeader`.
    pub struct ViewBrokerStatsDataRequestHeader {
        stats_name: String = "statsName",
        stats_key: String = "statsKey",
    }
}

command_header! {
    /// `GetConsumeStatsInBrokerHeader` (GET_BROKER_CONSUME_STATS).
    pub struct GetConsumeStatsInBrokerHeader { is_order: Option<bool> = "isOrder" }
}

command_header! {
    /// `QueryConsumeQueueRequestHeader`.
    pub struct QueryConsumeQueueRequestHeader {
        topic: String = "topic",
        queue_id: i32 = "queueId",
        index: i64 = "index",
        count: i32 = "count",
        consumer_group: Option<String> = "consumerGroup",
    }
}

command_header! {
    /// `QueryCorrectionOffsetHeader`.
    pub struct QueryCorrectionOffsetHeader {
        filter_groups: Option<String> = "filterGroups",
        compare_group: String = "compareGroup",
        topic: String = "topic",
    }
}

command_header! {
    /// `NotifyConsumerIdsChangedRequestHeader` (broker -> consumer).
    pub struct NotifyConsumerIdsChangedRequestHeader { consumer_group: String = "consumerGroup" }
}

command_header! {
    /// `ReplyMessageRequestHeader` (PUSH_REPLY_MESSAGE_TO_CLIENT, broker -> requester).
    pub struct ReplyMessageRequestHeader {
        producer_group: String = "producerGroup",
        topic: String = "topic",
        default_topic: String = "defaultTopic",
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        queue_id: i32 = "queueId",
        sys_flag: i32 = "sysFlag",
        born_timestamp: i64 = "bornTimestamp",
        flag: i32 = "flag",
        properties: Option<String> = "properties",
        reconsume_times: Option<i32> = "reconsumeTimes",
        unit_mode: Option<bool> = "unitMode",
        born_host: String = "bornHost",
        store_host: String = "storeHost",
        store_timestamp: i64 = "storeTimestamp",
    }
}

command_header! {
    /// `ResumeCheckHalfMessageRequestHeader`.
    pub struct ResumeCheckHalfMessageRequestHeader { msg_id: Option<String> = "msgId" }
}

command_header! {
    /// `CreateAccessConfigRequestHeader` (UPDATE_AND_CREATE_ACL_CONFIG): the account; the
    /// permission lists comma-joined (`topicA=DENY,topicD=SUB`). Java always writes `admin`.
    pub struct CreateAccessConfigRequestHeader {
        access_key: String = "accessKey",
        secret_key: Option<String> = "secretKey",
        white_remote_address: Option<String> = "whiteRemoteAddress",
        admin: Option<bool> = "admin",
        default_topic_perm: Option<String> = "defaultTopicPerm",
        default_group_perm: Option<String> = "defaultGroupPerm",
        topic_perms: Option<String> = "topicPerms",
        group_perms: Option<String> = "groupPerms",
    }
}

command_header! {
    /// `DeleteAccessConfigRequestHeader` (DELETE_ACL_CONFIG).
    pub struct DeleteAccessConfigRequestHeader { access_key: String = "accessKey" }
}

command_header! {
    /// `UpdateGlobalWhiteAddrsConfigRequestHeader` (UPDATE_GLOBAL_WHITE_ADDRS_CONFIG): the
    /// addresses comma-joined.
    pub struct UpdateGlobalWhiteAddrsConfigRequestHeader {
        global_white_addrs: String = "globalWhiteAddrs",
    }
}

command_header! {
    /// `GetBrokerAclConfigResponseHeader` (GET_BROKER_CLUSTER_ACL_INFO): `version` is the
    /// default ACL file's `DataVersion` as JSON, `allAclFileVersion` a JSON object of file path
    /// to `DataVersion`.
    pub struct GetBrokerAclConfigResponseHeader {
        version: String = "version",
        all_acl_file_version: Option<String> = "allAclFileVersion",
        broker_name: String = "brokerName",
        broker_addr: String = "brokerAddr",
        cluster_name: String = "clusterName",
    }
}
