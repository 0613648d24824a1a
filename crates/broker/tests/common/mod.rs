//! Helpers shared by the broker's TCP tests: a broker on 127.0.0.1:0 with a temp store, and
//! request builders.
#![allow(dead_code)]

use rocklet_broker::{Broker, BrokerConfig};
use rocklet_protocol::body::{
    decode_json, encode_json, ConsumerData, HeartbeatData, ProducerData, SubscriptionData,
    TopicConfigSerializeWrapper,
};
use rocklet_protocol::header::*;
use rocklet_protocol::message::{MessageExt, Properties};
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::RemotingClient;
use std::path::Path;
use std::time::Duration;

pub const T: Duration = Duration::from_secs(5);

pub fn config(dir: &Path) -> BrokerConfig {
    BrokerConfig {
        broker_name: "broker-t".into(),
        broker_cluster_name: "TestCluster".into(),
        namesrv_addr: None,
        listen_port: 0,
        bind_addr: [127, 0, 0, 1].into(),
        broker_ip1: [127, 0, 0, 1].into(),
        store_path_root_dir: dir.to_path_buf(),
        mapped_file_size_commit_log: 1024 * 1024,
        mapped_file_size_consume_queue: 1000 * 20,
        max_message_size: 128 * 1024,
        flush_interval_commit_log: 50,
        flush_consumer_offset_interval: 100,
        // Small index files (Java's defaults make each 420 MB).
        max_hash_slot_num: 4096,
        max_index_num: 16_384,
        ..BrokerConfig::default()
    }
}

pub struct Env {
    pub broker: Broker,
    pub addr: String,
    pub c: RemotingClient,
}

pub async fn start(cfg: BrokerConfig) -> Env {
    let broker = Broker::start(cfg).await.expect("broker starts");
    let addr = broker.local_addr().to_string();
    Env {
        broker,
        addr,
        c: RemotingClient::default(),
    }
}

impl Env {
    pub async fn call(&self, cmd: RemotingCommand) -> RemotingCommand {
        self.c.invoke(&self.addr, cmd, T).await.expect("response")
    }
}

pub use rocklet_protocol::time::now_ms;

pub fn props(tags: &str, keys: &str, uniq: &str) -> String {
    let mut p = Properties::default();
    if !tags.is_empty() {
        p.insert("TAGS", tags);
    }
    if !keys.is_empty() {
        p.insert("KEYS", keys);
    }
    if !uniq.is_empty() {
        p.insert("UNIQ_KEY", uniq);
    }
    p.insert("WAIT", "true");
    p.encode()
}

pub fn send_header(topic: &str, queue_id: i32, properties: String) -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: now_ms(),
        flag: 0,
        properties: Some(properties),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        max_reconsume_times: None,
    }
}

pub fn send_v1(topic: &str, queue_id: i32, tags: &str, body: &[u8]) -> RemotingCommand {
    RemotingCommand::request(
        RequestCode::SEND_MESSAGE,
        &send_header(topic, queue_id, props(tags, "", "")),
    )
    .with_body(body.to_vec())
}

pub fn send_v2(h: &SendMessageRequestHeader, body: &[u8]) -> RemotingCommand {
    RemotingCommand::request(
        RequestCode::SEND_MESSAGE_V2,
        &SendMessageRequestHeaderV2::from_v1(h),
    )
    .with_body(body.to_vec())
}

pub async fn send_ok(e: &Env, cmd: RemotingCommand) -> SendMessageResponseHeader {
    let r = e.call(cmd).await;
    assert_eq!(r.code, 0, "send failed: {:?}", r.remark);
    r.header().expect("send response header")
}

pub fn pull_header(
    topic: &str,
    queue_id: i32,
    offset: i64,
    expr: &str,
) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        consumer_group: "cg".into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: 4,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some(expr.into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
    }
}

pub async fn pull(e: &Env, h: &PullMessageRequestHeader) -> (RemotingCommand, Vec<MessageExt>) {
    let r = e
        .call(RemotingCommand::request(RequestCode::PULL_MESSAGE, h))
        .await;
    let msgs = if r.code == 0 {
        MessageExt::decode_all(r.body_bytes()).expect("pull body decodes")
    } else {
        Vec::new()
    };
    (r, msgs)
}

pub fn pull_resp(r: &RemotingCommand) -> PullMessageResponseHeader {
    r.header().expect("pull response header")
}

pub async fn topic_table(e: &Env) -> TopicConfigSerializeWrapper {
    let r = e
        .call(RemotingCommand::request_bare(
            RequestCode::GET_ALL_TOPIC_CONFIG,
        ))
        .await;
    assert_eq!(r.code, 0);
    decode_json(r.body_bytes()).unwrap()
}

pub fn create_topic(topic: &str, queues: i32) -> RemotingCommand {
    RemotingCommand::request(
        RequestCode::UPDATE_AND_CREATE_TOPIC,
        &CreateTopicRequestHeader {
            topic: topic.into(),
            default_topic: "TBW102".into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
        },
    )
}

pub fn query_offset(group: &str, topic: &str, q: i32) -> RemotingCommand {
    RemotingCommand::request(
        RequestCode::QUERY_CONSUMER_OFFSET,
        &QueryConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id: q,
        },
    )
}

pub fn heartbeat(client: &str, group: &str, topic: &str, expr: &str) -> RemotingCommand {
    let hb = HeartbeatData {
        client_id: client.into(),
        consumer_data_set: vec![ConsumerData {
            group_name: group.into(),
            consume_type: Some("CONSUME_PASSIVELY".into()),
            message_model: Some("CLUSTERING".into()),
            consume_from_where: Some("CONSUME_FROM_LAST_OFFSET".into()),
            subscription_data_set: vec![SubscriptionData {
                topic: topic.into(),
                sub_string: expr.into(),
                tags_set: vec![expr.into()],
                expression_type: Some("TAG".into()),
                ..Default::default()
            }],
            unit_mode: false,
        }],
        producer_data_set: vec![ProducerData {
            group_name: "pg".into(),
        }],
    };
    RemotingCommand::request_bare(RequestCode::HEART_BEAT).with_body(encode_json(&hb))
}
