//! The broker's management codes over real TCP (what `mqadmin` and consoles send): subscription
//! groups, broker config, statistics, connections, consume stats, resets.

mod common;

use common::*;
use rocklet_protocol::body::{decode_json, SubscriptionGroupWrapper, TopicConfigSerializeWrapper};
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};

async fn groups(e: &Env) -> SubscriptionGroupWrapper {
    let r = e
        .call(RemotingCommand::request_bare(
            RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    decode_json(r.body_bytes()).unwrap()
}

#[tokio::test]
async fn subscription_groups_create_list_delete_and_persist() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let before = groups(&e).await;
    assert!(before
        .subscription_group_table
        .contains_key("TOOLS_CONSUMER"));
    assert!(!before.subscription_group_table.contains_key("g1"));

    // Numbers and booleans as strings, an unknown field: what fastjson accepts.
    let body = br#"{"groupName":"g1","retryMaxTimes":"2","consumeEnable":"false","retryQueueNums":1,"whatever":[1]}"#;
    let r = e
        .call(
            RemotingCommand::request_bare(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(body.to_vec()),
        )
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let after = groups(&e).await;
    let g1 = &after.subscription_group_table["g1"];
    assert_eq!((g1.retry_max_times, g1.consume_enable), (2, false));
    assert!(after.data_version.counter > before.data_version.counter);

    // consumeEnable=false: pulls are refused with Java's code.
    let r = e.call(pull_cmd("AnyTopic", "g1")).await;
    assert_eq!(
        r.code,
        ResponseCode::NO_PERMISSION.as_i32(),
        "{:?}",
        r.remark
    );

    // A heartbeat auto-creates its group (autoCreateSubscriptionGroup) and the retry topic.
    assert_eq!(e.call(heartbeat("c1", "g2", "T2", "*")).await.code, 0);
    assert!(groups(&e).await.subscription_group_table.contains_key("g2"));
    assert!(topic_table(&e)
        .await
        .topic_config_table
        .contains_key("%RETRY%g2"));

    // Delete with removeOffset drops the group's offsets too.
    e.call(RemotingCommand::request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "g2".into(),
            topic: "T2".into(),
            queue_id: 0,
            commit_offset: 5,
        },
    ))
    .await;
    let del = DeleteSubscriptionGroupRequestHeader {
        group_name: "g2".into(),
        remove_offset: Some(true),
    };
    let r = e
        .call(RemotingCommand::request(
            RequestCode::DELETE_SUBSCRIPTIONGROUP,
            &del,
        ))
        .await;
    assert_eq!(r.code, 0);
    assert!(!groups(&e).await.subscription_group_table.contains_key("g2"));
    let r = e.call(query_offset("g2", "T2", 0)).await;
    assert_ne!(
        r.header::<OffsetResponseHeader>().map(|h| h.offset).ok(),
        Some(5)
    );

    // Java's file, reloaded on restart.
    e.broker.shutdown().await;
    let text = std::fs::read_to_string(dir.path().join("config/subscriptionGroup.json")).unwrap();
    let file: SubscriptionGroupWrapper = decode_json(text.as_bytes()).unwrap();
    assert_eq!(file.subscription_group_table["g1"].retry_max_times, 2);
    let mut cfg = config(dir.path());
    cfg.auto_create_subscription_group = false;
    let e = start(cfg).await;
    assert_eq!(
        groups(&e).await.subscription_group_table["g1"].retry_max_times,
        2
    );
    // Without auto-creation an unknown group cannot pull.
    let r = e.call(pull_cmd("AnyTopic", "unknown")).await;
    assert_eq!(
        r.code,
        ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST.as_i32(),
        "{:?}",
        r.remark
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn send_back_honours_the_groups_retry_max_times() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let body = br#"{"groupName":"g0","retryMaxTimes":0}"#;
    let r = e
        .call(
            RemotingCommand::request_bare(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(body.to_vec()),
        )
        .await;
    assert_eq!(r.code, 0);
    send_ok(&e, send_v1("BackTopic", 0, "", b"x")).await;
    let (_, msgs) = pull(&e, &pull_header("BackTopic", 0, 0, "*")).await;
    // An old client: no maxReconsumeTimes, so the group's limit (0) sends it to the DLQ.
    let back = ConsumerSendMsgBackRequestHeader {
        offset: msgs[0].commit_log_offset,
        group: "g0".into(),
        delay_level: 0,
        origin_msg_id: None,
        origin_topic: None,
        unit_mode: None,
        max_reconsume_times: None,
    };
    let r = e
        .call(RemotingCommand::request(
            RequestCode::CONSUMER_SEND_MSG_BACK,
            &back,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let topics: TopicConfigSerializeWrapper = topic_table(&e).await;
    assert!(topics.topic_config_table.contains_key("%DLQ%g0"));
    assert!(!topics.topic_config_table.contains_key("%RETRY%g0"));
    e.broker.shutdown().await;
}

fn pull_cmd(topic: &str, group: &str) -> RemotingCommand {
    let mut h = pull_header(topic, 0, 0, "*");
    h.consumer_group = group.into();
    RemotingCommand::request(RequestCode::PULL_MESSAGE, &h)
}
