//! The broker's management codes over real TCP (what `mqadmin` and consoles send): subscription
//! groups, broker config, statistics, connections, consume stats, resets.

mod common;

use common::*;
use rocklet_protocol::body::{
    decode_json, encode_json, HeartbeatData, SubscriptionGroupWrapper, TopicConfigSerializeWrapper,
};
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
    // 4.9.3 creates (finds) the retry topic before it decides on the DLQ.
    assert!(topics.topic_config_table.contains_key("%RETRY%g0"));
    e.broker.shutdown().await;
}

fn pull_cmd(topic: &str, group: &str) -> RemotingCommand {
    let mut h = pull_header(topic, 0, 0, "*");
    h.consumer_group = group.into();
    RemotingCommand::request(RequestCode::PULL_MESSAGE, &h)
}

fn bare(code: RequestCode) -> RemotingCommand {
    RemotingCommand::request_bare(code)
}

async fn kv(e: &Env, code: RequestCode) -> std::collections::BTreeMap<String, String> {
    let r = e.call(bare(code)).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    decode_json::<rocklet_protocol::body::KvTable>(r.body_bytes())
        .unwrap()
        .table
}

#[tokio::test]
async fn runtime_info_has_javas_keys_and_counts_sends() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    for i in 0..5 {
        send_ok(&e, send_v1("StatTopic", i % 2, "", b"payload")).await;
    }
    pull(&e, &pull_header("StatTopic", 0, 0, "*")).await;
    let t = kv(&e, RequestCode::GET_BROKER_RUNTIME_INFO).await;
    // The keys `clusterList` and `brokerStatus` read (a missing one prints `null`).
    for k in [
        "brokerVersionDesc",
        "putTps",
        "getTransferedTps",
        "sendThreadPoolQueueSize",
        "pullThreadPoolQueueSize",
        "sendThreadPoolQueueHeadWaitTimeMills",
        "pageCacheLockTimeMills",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
        "msgPutTotalTodayMorning",
        "msgGetTotalYesterdayMorning",
        "commitLogDirCapacity",
        "remainHowManyDataToFlush",
        "dispatchBehindBytes",
        "bootTimestamp",
        "runtime",
    ] {
        assert!(t.contains_key(k), "{k} missing from {t:?}");
    }
    assert!(t.len() >= 40, "{} keys", t.len());
    assert_eq!(t["msgPutTotalTodayNow"], "5");
    assert_eq!(t["putMessageTimesTotal"], "5");
    assert_eq!(t["msgGetTotalTodayNow"], "3", "queue 0 got 3 of the 5");
    assert_eq!(t["putTps"].split(' ').count(), 3);
    assert!(
        t["runtime"].starts_with("[ 0 days, 0 hours, 0 minutes, "),
        "{}",
        t["runtime"]
    );
    let earliest: i64 = t["earliestMessageTimeStamp"].parse().unwrap();
    assert!(earliest > 0);

    // Topic stats: both write queues of the auto-created topic, offsets counted.
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_TOPIC_STATS_INFO,
            &TopicOnlyHeader {
                topic: "StatTopic".into(),
            },
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let body = String::from_utf8(r.body_bytes().to_vec()).unwrap();
    assert!(
        body.contains(
            r#"{"brokerName":"broker-t","queueId":0,"topic":"StatTopic"}:{"lastUpdateTimestamp":"#
        ),
        "{body}"
    );
    assert!(body.contains(r#""maxOffset":3,"minOffset":0"#), "{body}");
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_TOPIC_STATS_INFO,
            &TopicOnlyHeader {
                topic: "NoSuchTopic".into(),
            },
        ))
        .await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.as_i32());
    assert_eq!(r.remark.as_deref(), Some("topic[NoSuchTopic] not exist"));

    // Stats view: a key that was counted answers, an unknown one is Java's error.
    let view = |name: &str, key: &str| {
        RemotingCommand::request(
            RequestCode::VIEW_BROKER_STATS_DATA,
            &ViewBrokerStatsDataRequestHeader {
                stats_name: name.into(),
                stats_key: key.into(),
            },
        )
    };
    let r = e.call(view("TOPIC_PUT_NUMS", "StatTopic")).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(String::from_utf8_lossy(r.body_bytes()).contains("\"statsMinute\""));
    let r = e.call(view("TOPIC_PUT_NUMS", "Nope")).await;
    assert_eq!(
        r.remark.as_deref(),
        Some("The stats <TOPIC_PUT_NUMS> <Nope> not exist")
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn connections_consume_stats_and_who_consumes() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    for _ in 0..4 {
        send_ok(&e, send_v1("CsTopic", 0, "", b"x")).await;
    }
    assert_eq!(
        e.call(heartbeat("client-1", "cg", "CsTopic", "*"))
            .await
            .code,
        0
    );
    let commit = UpdateConsumerOffsetRequestHeader {
        consumer_group: "cg".into(),
        topic: "CsTopic".into(),
        queue_id: 0,
        commit_offset: 3,
    };
    e.call(RemotingCommand::request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &commit,
    ))
    .await;

    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_CONSUMER_CONNECTION_LIST,
            &ConsumerGroupHeader {
                consumer_group: "cg".into(),
            },
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let cc: rocklet_protocol::body::ConsumerConnection = decode_json(r.body_bytes()).unwrap();
    assert_eq!(cc.connection_set.len(), 1);
    assert_eq!(cc.connection_set[0].client_id, "client-1");
    // The request's language (the test client says OTHER, as Rocklet's client does).
    assert_eq!(cc.connection_set[0].language, "OTHER");
    assert_eq!(cc.message_model.as_deref(), Some("CLUSTERING"));
    assert!(cc.subscription_table.contains_key("CsTopic"));
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_CONSUMER_CONNECTION_LIST,
            &ConsumerGroupHeader {
                consumer_group: "offline".into(),
            },
        ))
        .await;
    assert_eq!(r.code, ResponseCode::CONSUMER_NOT_ONLINE.as_i32());
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_PRODUCER_CONNECTION_LIST,
            &ProducerGroupHeader {
                producer_group: "pg".into(),
            },
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(String::from_utf8_lossy(r.body_bytes()).contains("\"clientId\":\"client-1\""));

    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_CONSUME_STATS,
            &GetConsumeStatsRequestHeader {
                consumer_group: "cg".into(),
                topic: None,
            },
        ))
        .await;
    assert_eq!(r.code, 0);
    let body = String::from_utf8(r.body_bytes().to_vec()).unwrap();
    assert!(body.starts_with("{\"consumeTps\":"), "{body}");
    assert!(
        body.contains(r#"{"brokerName":"broker-t","queueId":0,"topic":"CsTopic"}:{"brokerOffset":4,"consumerOffset":3,"lastTimestamp":"#),
        "{body}"
    );

    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_BROKER_CONSUME_STATS,
            &GetConsumeStatsInBrokerHeader {
                is_order: Some(false),
            },
        ))
        .await;
    let body = String::from_utf8(r.body_bytes().to_vec()).unwrap();
    assert!(body.contains("{\"cg\":[{\"consumeTps\""), "{body}");
    assert!(body.contains("\"totalDiff\":1}"), "{body}");

    let r = e
        .call(RemotingCommand::request(
            RequestCode::QUERY_TOPIC_CONSUME_BY_WHO,
            &TopicOnlyHeader {
                topic: "CsTopic".into(),
            },
        ))
        .await;
    let gl: rocklet_protocol::body::GroupList = decode_json(r.body_bytes()).unwrap();
    assert_eq!(gl.group_list, ["cg"]);

    let r = e.call(bare(RequestCode::GET_ALL_CONSUMER_OFFSET)).await;
    assert_eq!(
        String::from_utf8_lossy(r.body_bytes()),
        r#"{"offsetTable":{"CsTopic@cg":{0:3}}}"#
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn broker_config_get_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let r = e.call(bare(RequestCode::GET_BROKER_CONFIG)).await;
    assert_eq!(r.code, 0);
    let text = String::from_utf8(r.body_bytes().to_vec()).unwrap();
    assert!(text.contains("\nbrokerName=broker-t\n"), "{text}");
    assert!(text.contains("\nbrokerClusterName=TestCluster\n"));
    assert!(text.lines().count() >= 170);
    let v = r
        .header::<GetBrokerConfigResponseHeader>()
        .unwrap()
        .version
        .unwrap();
    assert!(v.contains("\"counter\":0"), "{v}");
    let r = e
        .call(
            bare(RequestCode::UPDATE_BROKER_CONFIG)
                .with_body(b"fileReservedTime=24\nnotAKey=1\n".to_vec()),
        )
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let r = e.call(bare(RequestCode::GET_BROKER_CONFIG)).await;
    let text = String::from_utf8(r.body_bytes().to_vec()).unwrap();
    assert!(text.contains("\nfileReservedTime=24\n"));
    assert!(!text.contains("notAKey"));
    let v = r
        .header::<GetBrokerConfigResponseHeader>()
        .unwrap()
        .version
        .unwrap();
    assert!(v.contains("\"counter\":1"), "{v}");
    let saved = std::fs::read_to_string(dir.path().join("config/broker.properties")).unwrap();
    assert!(saved.contains("fileReservedTime=24\n"));
    let r = e
        .call(bare(RequestCode::UPDATE_BROKER_CONFIG).with_body(b"a=\\u12".to_vec()))
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    e.broker.shutdown().await;
}

/// A consumer that answers what the broker sends it: records RESET_CONSUMER_CLIENT_OFFSET
/// pushes and answers GET_CONSUMER_RUNNING_INFO.
fn consumer_client(
    seen: std::sync::Arc<parking_lot::Mutex<Vec<RemotingCommand>>>,
) -> rocklet_remoting::RemotingClient {
    let c = rocklet_remoting::RemotingClient::default();
    c.set_request_handler(std::sync::Arc::new(move |cmd: RemotingCommand, tx| {
        let answer = (cmd.code == RequestCode::GET_CONSUMER_RUNNING_INFO.as_i32()).then(|| {
            RemotingCommand::response_to(&cmd, ResponseCode::SUCCESS, None)
                .with_body(br#"{"properties":{"PROP_CLIENT_VERSION":"V4_9_3"}}"#.to_vec())
        });
        seen.lock().push(cmd);
        if let Some(a) = answer {
            let _ = tx.try_send(a.encode_to_bytes());
        }
    }));
    c
}

#[tokio::test]
async fn reset_offset_reaches_live_consumers_and_running_info_is_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    // One queue: Java's reset needs a committed offset on every write queue.
    assert_eq!(e.call(create_topic("RsTopic", 1)).await.code, 0);
    for _ in 0..3 {
        send_ok(&e, send_v1("RsTopic", 0, "", b"x")).await;
    }
    let commit = UpdateConsumerOffsetRequestHeader {
        consumer_group: "rg".into(),
        topic: "RsTopic".into(),
        queue_id: 0,
        commit_offset: 1,
    };
    e.call(RemotingCommand::request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &commit,
    ))
    .await;
    let reset = |ts: i64| {
        RemotingCommand::request(
            RequestCode::INVOKE_BROKER_TO_RESET_OFFSET,
            &ResetOffsetRequestHeader {
                topic: "RsTopic".into(),
                group: "rg".into(),
                timestamp: ts,
                is_force: true,
            },
        )
    };
    // No member online: Java's code, so the tool falls back to committing offsets itself.
    let r = e.call(reset(-1)).await;
    assert_eq!(
        r.code,
        ResponseCode::CONSUMER_NOT_ONLINE.as_i32(),
        "{:?}",
        r.remark
    );

    let seen = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let consumer = consumer_client(seen.clone());
    let mut hb = heartbeat("live-1", "rg", "RsTopic", "*");
    hb.version = 399;
    let r = consumer.invoke(&e.addr, hb, T).await.unwrap();
    assert_eq!(r.code, 0);
    let r = e.call(reset(-1)).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let body = String::from_utf8(r.body_bytes().to_vec()).unwrap();
    assert!(
        body.ends_with(r#""queueId":0,"topic":"RsTopic"}:3}}"#),
        "{body}"
    );
    let deadline = std::time::Instant::now() + T;
    while !seen
        .lock()
        .iter()
        .any(|c| c.code == RequestCode::RESET_CONSUMER_CLIENT_OFFSET.as_i32())
    {
        assert!(std::time::Instant::now() < deadline, "no reset push");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let push = seen
        .lock()
        .iter()
        .find(|c| c.code == RequestCode::RESET_CONSUMER_CLIENT_OFFSET.as_i32())
        .cloned()
        .unwrap();
    let ph: ResetOffsetRequestHeader = push.header().unwrap();
    assert_eq!((ph.group.as_str(), ph.is_force), ("rg", false));
    assert_eq!(push.body_bytes(), r.body_bytes());

    // Running info: asked of the named member, its answer returned as it came.
    let ri = GetConsumerRunningInfoRequestHeader {
        consumer_group: "rg".into(),
        client_id: "live-1".into(),
        jstack_enable: Some(false),
    };
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_CONSUMER_RUNNING_INFO,
            &ri,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(String::from_utf8_lossy(r.body_bytes()).contains("PROP_CLIENT_VERSION"));
    let ri = GetConsumerRunningInfoRequestHeader {
        client_id: "gone".into(),
        ..ri
    };
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_CONSUMER_RUNNING_INFO,
            &ri,
        ))
        .await;
    assert_eq!(
        r.remark.as_deref(),
        Some("The Consumer <rg> <gone> not online")
    );
    consumer.shutdown();
    e.broker.shutdown().await;
}

#[tokio::test]
async fn fast_port_serves_everything_but_pulls() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let fast = e.broker.fast_addr().expect("fast port bound").to_string();
    assert_ne!(fast, e.addr);
    let r =
        e.c.invoke(&fast, send_v1("FastTopic", 0, "", b"via vip"), T)
            .await
            .unwrap();
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let pull_req = RemotingCommand::request(
        RequestCode::PULL_MESSAGE,
        &pull_header("FastTopic", 0, 0, "*"),
    );
    let r = e.c.invoke(&fast, pull_req.clone(), T).await.unwrap();
    assert_eq!(r.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED.as_i32());
    assert_eq!(r.remark.as_deref(), Some(" request type 11 not supported"));
    // The main port still pulls what the fast one stored.
    let r = e.call(pull_req).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    e.broker.shutdown().await;
}

#[tokio::test]
async fn resume_check_half_message_puts_a_copy_back() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let sent = send_ok(&e, send_v1("ResumeTopic", 0, "", b"half?")).await;
    let resume = |id: &str| {
        RemotingCommand::request(
            RequestCode::RESUME_CHECK_HALF_MESSAGE,
            &ResumeCheckHalfMessageRequestHeader {
                msg_id: Some(id.into()),
            },
        )
    };
    let r = e.call(resume(&sent.msg_id)).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let (_, msgs) = pull(&e, &pull_header("RMQ_SYS_TRANS_HALF_TOPIC", 0, 0, "*")).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body().unwrap(), &b"half?"[..]);
    assert_eq!(msgs[0].properties.get("TRANSACTION_CHECK_TIMES"), Some("0"));
    let r = e.call(resume("not-an-id")).await;
    assert_eq!(
        r.remark.as_deref(),
        Some("Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC.")
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn small_management_codes_answer_as_java() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    send_ok(&e, send_v1("SmallTopic", 0, "", b"x")).await;
    // GET_ALL_DELAY_OFFSET before any delayed message: Java's empty table.
    let r = e.call(bare(RequestCode::GET_ALL_DELAY_OFFSET)).await;
    assert_eq!(r.body_bytes(), br#"{"offsetTable":{}}"#);
    // CHECK_CLIENT_CONFIG: TAG is fine, SQL92 needs property filtering.
    let check = |kind: &str| {
        bare(RequestCode::CHECK_CLIENT_CONFIG).with_body(
            format!(r#"{{"clientId":"c","group":"g","subscriptionData":{{"topic":"T","subString":"a > 1","expressionType":"{kind}"}}}}"#)
                .into_bytes(),
        )
    };
    assert_eq!(e.call(check("TAG")).await.code, 0);
    let r = e.call(check("SQL92")).await;
    assert_eq!(
        r.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    // GET_SYSTEM_TOPIC_LIST_FROM_BROKER: TopicValidator's set plus the broker's own names.
    let r = e
        .call(bare(RequestCode::GET_SYSTEM_TOPIC_LIST_FROM_BROKER))
        .await;
    let list: rocklet_protocol::body::TopicList = decode_json(r.body_bytes()).unwrap();
    for t in [
        "TBW102",
        "SCHEDULE_TOPIC_XXXX",
        "TestCluster",
        "broker-t",
        "TestCluster_REPLY_TOPIC",
    ] {
        assert!(list.topic_list.iter().any(|x| x == t), "{t} missing");
    }
    // QUERY_CONSUME_TIME_SPAN: one span per write queue, Java's date text.
    let r = e
        .call(RemotingCommand::request(
            RequestCode::QUERY_CONSUME_TIME_SPAN,
            &QueryConsumeTimeSpanRequestHeader {
                topic: "SmallTopic".into(),
                group: "nobody".into(),
            },
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let spans: rocklet_protocol::body::QueryConsumeTimeSpanBody =
        decode_json(r.body_bytes()).unwrap();
    let q0 = &spans.consume_time_span_set[0];
    assert!(q0.max_time_stamp > 0);
    assert_eq!(q0.max_time_stamp_str.len(), "2026-11-30#06:21:06:536".len());
    // GET_TOPIC_CONFIG (5.x admin library).
    let r = e
        .call(RemotingCommand::request(
            RequestCode::GET_TOPIC_CONFIG,
            &TopicOnlyHeader {
                topic: "SmallTopic".into(),
            },
        ))
        .await;
    assert!(String::from_utf8_lossy(r.body_bytes()).contains("\"topicName\":\"SmallTopic\""));
    // SEND_REPLY_MESSAGE (v1 header) without a requester: stored, and Java's remark.
    let mut h = send_header("SmallTopic", 0, String::new());
    h.properties = Some("CLUSTER\u{1}TestCluster".into());
    let r = e
        .call(
            RemotingCommand::request(RequestCode::SEND_REPLY_MESSAGE, &h).with_body(b"re".to_vec()),
        )
        .await;
    assert_eq!(
        r.remark.as_deref(),
        Some("reply message properties[REPLY_TO_CLIENT] is null")
    );
    assert_ne!(r.header::<SendMessageResponseHeader>().unwrap().msg_id, "0");
    e.broker.shutdown().await;
}

/// A BROADCASTING group whose config has consumeBroadcastEnable=false cannot pull with its
/// heartbeat's subscription (Java PullMessageProcessor: NO_PERMISSION, checked before the
/// subscription itself).
#[tokio::test]
async fn broadcast_pull_needs_consume_broadcast_enable() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    for (group, enable) in [("bc_off", false), ("bc_on", true)] {
        let body = format!(r#"{{"groupName":"{group}","consumeBroadcastEnable":{enable}}}"#);
        let r = e
            .call(
                RemotingCommand::request_bare(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                    .with_body(body.into_bytes()),
            )
            .await;
        assert_eq!(r.code, 0);
        let mut hb = heartbeat(&format!("{group}@1"), group, "BcTopic", "*");
        let mut data: HeartbeatData = decode_json(hb.body_bytes()).unwrap();
        data.consumer_data_set[0].message_model = Some("BROADCASTING".into());
        hb = RemotingCommand::request_bare(RequestCode::HEART_BEAT).with_body(encode_json(&data));
        assert_eq!(e.call(hb).await.code, 0);
        send_ok(&e, send_v1("BcTopic", 0, "", b"x")).await;
        let mut h = pull_header("BcTopic", 0, 0, "*");
        h.consumer_group = group.into();
        h.sys_flag = 0;
        h.subscription = None;
        let (r, _) = pull(&e, &h).await;
        if enable {
            assert_eq!(r.code, 0, "{:?}", r.remark);
        } else {
            assert_eq!(r.code, ResponseCode::NO_PERMISSION.as_i32());
            assert_eq!(
                r.remark.as_deref(),
                Some("the consumer group[bc_off] can not consume by broadcast way")
            );
        }
    }
    e.broker.shutdown().await;
}
