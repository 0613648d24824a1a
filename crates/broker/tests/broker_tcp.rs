//! Broker over real TCP on 127.0.0.1 with a temp store and 1 MiB commit-log files: send (V1, V2,
//! batch), auto-creation, topics and offsets across restart, clients, pull (found / not found /
//! offset moved / tags / long polling), offset and time queries, view and query by key, bad
//! input, malformed frames, sync flush, registration with a name server, and the dispatch table.

mod common;

use bytes::BytesMut;
use common::*;
use rocklet_broker::{handled_codes, BrokerConfig};
use rocklet_protocol::body::{
    decode_json, encode_json, ConsumerIdList, LockBatchRequestBody, LockBatchResponseBody,
    MessageQueueData,
};
use rocklet_protocol::header::*;
use rocklet_protocol::message::{encode_batch_item, MessageExt, Properties};
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::RemotingClient;
use rocklet_store::FlushDiskType;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn send_v1_v2_batch_and_pull() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let t = "SendTopic";
    let r1 = send_ok(&e, send_v1(t, 0, "A", b"one")).await;
    assert_eq!((r1.queue_id, r1.queue_offset), (0, 0));
    assert_eq!(r1.msg_region.as_deref(), Some("DefaultRegion"));
    let h = send_header(t, 0, props("B", "k2", ""));
    let r2 = send_ok(&e, send_v2(&h, b"two")).await;
    assert_eq!(r2.queue_offset, 1);
    // Batch: three messages, consecutive queue offsets, one msgId each.
    let mut body = BytesMut::new();
    for (i, tag) in ["A", "C", "A"].iter().enumerate() {
        encode_batch_item(
            &mut body,
            0,
            format!("batch-{i}").as_bytes(),
            &props(tag, "", ""),
        );
    }
    let mut bh = send_header(t, 0, String::new());
    bh.batch = Some(true);
    let r3 = send_ok(
        &e,
        RemotingCommand::request(
            RequestCode::SEND_BATCH_MESSAGE,
            &SendMessageRequestHeaderV2::from_v1(&bh),
        )
        .with_body(body.freeze()),
    )
    .await;
    assert_eq!(r3.queue_offset, 2);
    assert_eq!(r3.msg_id.split(',').count(), 3);

    // Found: everything in order.
    let (r, msgs) = pull(&e, &pull_header(t, 0, 0, "*")).await;
    assert_eq!(r.code, 0);
    let bodies: Vec<_> = msgs.iter().map(|m| m.body().unwrap()).collect();
    assert_eq!(
        bodies,
        [&b"one"[..], b"two", b"batch-0", b"batch-1", b"batch-2"]
    );
    let offs: Vec<_> = msgs.iter().map(|m| m.queue_offset).collect();
    assert_eq!(offs, [0, 1, 2, 3, 4]);
    assert_eq!(msgs[1].keys(), Some("k2"));
    let ph = pull_resp(&r);
    assert_eq!(
        (ph.next_begin_offset, ph.min_offset, ph.max_offset),
        (5, 0, 5)
    );

    // Tag filtering.
    let (r, msgs) = pull(&e, &pull_header(t, 0, 0, "A")).await;
    assert_eq!(r.code, 0);
    let offs: Vec<_> = msgs.iter().map(|m| m.queue_offset).collect();
    assert_eq!(offs, [0, 2, 4]);
    let (_, msgs) = pull(&e, &pull_header(t, 0, 0, "B || C")).await;
    let offs: Vec<_> = msgs.iter().map(|m| m.queue_offset).collect();
    assert_eq!(offs, [1, 3]);
    // Nothing matches: retry immediately from the end of the scanned range.
    let (r, _) = pull(&e, &pull_header(t, 0, 0, "Z")).await;
    assert_eq!(r.code, ResponseCode::PULL_RETRY_IMMEDIATELY.as_i32());
    assert_eq!(pull_resp(&r).next_begin_offset, 5);

    // Not found at the end of the queue.
    let (r, _) = pull(&e, &pull_header(t, 0, 5, "*")).await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.as_i32());
    assert_eq!(pull_resp(&r).next_begin_offset, 5);
    // Offset moved: past the end (min offset 0 -> next is 0, as Java).
    let (r, _) = pull(&e, &pull_header(t, 0, 100, "*")).await;
    assert_eq!(r.code, ResponseCode::PULL_OFFSET_MOVED.as_i32());
    assert_eq!(pull_resp(&r).next_begin_offset, 0);
    // Empty queue of an existing topic: offset 0 -> not found, other -> moved to 0.
    let (r, _) = pull(&e, &pull_header(t, 1, 0, "*")).await;
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.as_i32());
    let (r, _) = pull(&e, &pull_header(t, 1, 7, "*")).await;
    assert_eq!(r.code, ResponseCode::PULL_OFFSET_MOVED.as_i32());
    assert_eq!(pull_resp(&r).next_begin_offset, 0);
    // Unknown topic and bad queue id.
    let (r, _) = pull(&e, &pull_header("NoSuchTopic", 0, 0, "*")).await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.as_i32());
    let (r, _) = pull(&e, &pull_header(t, 99, 0, "*")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap().contains("queueId[99]"));
    e.broker.shutdown().await;
}

#[tokio::test]
async fn auto_create_from_tbw102_and_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let mut h = send_header("AutoFour", 0, props("", "", ""));
    h.default_topic_queue_nums = 4;
    send_ok(&e, send_v2(&h, b"x")).await;
    let mut h = send_header("AutoMany", 0, props("", "", ""));
    h.default_topic_queue_nums = 100;
    send_ok(&e, send_v2(&h, b"x")).await;
    // A random queue (-1) is picked among the write queues.
    let h = send_header("AutoFour", -1, props("", "", ""));
    let r = send_ok(&e, send_v2(&h, b"y")).await;
    assert!((0..4).contains(&r.queue_id));
    let w = topic_table(&e).await;
    let t4 = &w.topic_config_table["AutoFour"];
    assert_eq!(
        (t4.read_queue_nums, t4.write_queue_nums, t4.perm),
        (4, 4, 6)
    );
    let t8 = &w.topic_config_table["AutoMany"];
    assert_eq!(
        (t8.read_queue_nums, t8.write_queue_nums),
        (8, 8),
        "min(client, 8)"
    );
    // System topics of TopicConfigManager's constructor.
    for sys in [
        "SELF_TEST_TOPIC",
        "TBW102",
        "BenchmarkTest",
        "TestCluster",
        "broker-t",
        "OFFSET_MOVED_EVENT",
        "SCHEDULE_TOPIC_XXXX",
        "TestCluster_REPLY_TOPIC",
    ] {
        assert!(
            w.topic_config_table.contains_key(sys),
            "missing system topic {sys}"
        );
    }
    // Queue id beyond the topic's queues.
    let r = e.call(send_v1("AutoFour", 4, "", b"z")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap().contains("queueId[4]"));
    // A default topic without inherit permission creates nothing.
    let mut h = send_header("NoInherit", 0, props("", "", ""));
    h.default_topic = "SELF_TEST_TOPIC".into();
    let r = e.call(send_v2(&h, b"x")).await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.as_i32());
    e.broker.shutdown().await;

    let dir2 = tempfile::tempdir().unwrap();
    let mut cfg = config(dir2.path());
    cfg.auto_create_topic_enable = false;
    let e = start(cfg).await;
    let r = e.call(send_v1("NotThere", 0, "", b"x")).await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.as_i32());
    assert!(r.remark.unwrap().contains("NotThere"));
    assert!(!topic_table(&e)
        .await
        .topic_config_table
        .contains_key("TBW102"));
    e.broker.shutdown().await;
}

#[tokio::test]
async fn topics_and_offsets_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let r = e.call(create_topic("Created", 3)).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let r = e.call(create_topic("bad topic!", 3)).await;
    assert_ne!(r.code, 0);
    for sys in [
        "TBW102",
        "TestCluster",
        "broker-t",
        "rmq_sys_x",
        "SCHEDULE_TOPIC_XXXX",
        "TestCluster_REPLY_TOPIC",
    ] {
        let r = e.call(create_topic(sys, 3)).await;
        assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32(), "{sys}");
        assert!(r.remark.unwrap().contains("system topic"), "{sys}");
    }
    for i in 0..3 {
        send_ok(&e, send_v1("Created", 2, "", format!("m{i}").as_bytes())).await;
    }
    // Never committed while the queue starts at 0: offset 0 (Java).
    let r = e.call(query_offset("g1", "Created", 2)).await;
    assert_eq!(r.code, 0);
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 0);
    let upd = RemotingCommand::request(
        RequestCode::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "g1".into(),
            topic: "Created".into(),
            queue_id: 2,
            commit_offset: 2,
        },
    );
    assert_eq!(e.call(upd).await.code, 0);
    // A pull with the commit-offset flag commits too.
    let mut ph = pull_header("Created", 1, 0, "*");
    ph.consumer_group = "g2".into();
    ph.sys_flag = 1 | 4;
    ph.commit_offset = 0;
    pull(&e, &ph).await;
    let r = e.call(query_offset("g1", "Created", 2)).await;
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 2);
    e.broker.shutdown().await;

    let e = start(config(dir.path())).await;
    let w = topic_table(&e).await;
    let tc = &w.topic_config_table["Created"];
    assert_eq!((tc.read_queue_nums, tc.write_queue_nums), (3, 3));
    let r = e.call(query_offset("g1", "Created", 2)).await;
    assert_eq!(r.code, 0);
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 2);
    let r = e.call(query_offset("g2", "Created", 1)).await;
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 0);
    let (_, msgs) = pull(&e, &pull_header("Created", 2, 0, "*")).await;
    assert_eq!(msgs.len(), 3);
    let r = send_ok(&e, send_v1("Created", 2, "", b"after")).await;
    assert_eq!(r.queue_offset, 3);
    e.broker.shutdown().await;
}

#[tokio::test]
async fn heartbeat_consumer_list_and_unregister() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    send_ok(&e, send_v1("HbTopic", 0, "A", b"a")).await;
    send_ok(&e, send_v1("HbTopic", 0, "B", b"b")).await;
    assert_eq!(
        e.call(heartbeat("c1@1", "grp", "HbTopic", "B")).await.code,
        0
    );
    let list = RemotingCommand::request(
        RequestCode::GET_CONSUMER_LIST_BY_GROUP,
        &GetConsumerListByGroupRequestHeader {
            consumer_group: "grp".into(),
        },
    );
    let r = e.call(list.clone()).await;
    assert_eq!(r.code, 0);
    let ids: ConsumerIdList = decode_json(r.body_bytes()).unwrap();
    assert_eq!(ids.consumer_id_list, ["c1@1"]);
    // The group's retry topic was created.
    assert!(topic_table(&e)
        .await
        .topic_config_table
        .contains_key("%RETRY%grp"));
    // A pull without the subscription flag uses the heartbeat's subscription (tag B).
    let mut ph = pull_header("HbTopic", 0, 0, "*");
    ph.consumer_group = "grp".into();
    ph.sys_flag = 0;
    ph.subscription = None;
    let (r, msgs) = pull(&e, &ph).await;
    assert_eq!(r.code, 0);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].body().unwrap(), &b"b"[..]);
    // Unknown group without subscription flag.
    ph.consumer_group = "nobody".into();
    let (r, _) = pull(&e, &ph).await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_NOT_EXIST.as_i32());

    let un = RemotingCommand::request(
        RequestCode::UNREGISTER_CLIENT,
        &UnregisterClientRequestHeader {
            client_id: "c1@1".into(),
            producer_group: Some("pg".into()),
            consumer_group: Some("grp".into()),
        },
    );
    assert_eq!(e.call(un).await.code, 0);
    let r = e.call(list).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap().contains("grp"));
    e.broker.shutdown().await;
}

#[tokio::test]
async fn long_polling_wakes_on_message_or_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    assert_eq!(e.call(create_topic("LpTopic", 2)).await.code, 0);
    let mut ph = pull_header("LpTopic", 0, 0, "*");
    ph.sys_flag = 2 | 4;
    ph.suspend_timeout_millis = 3000;
    let c = e.c.clone();
    let addr = e.addr.clone();
    let waiting = ph.clone();
    let t0 = Instant::now();
    let pending = tokio::spawn(async move {
        c.invoke(
            &addr,
            RemotingCommand::request(RequestCode::PULL_MESSAGE, &waiting),
            T,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!pending.is_finished(), "suspended pull answered early");
    // A message to another queue does not answer it.
    send_ok(&e, send_v1("LpTopic", 1, "", b"other")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!pending.is_finished(), "woken by another queue");
    send_ok(&e, send_v1("LpTopic", 0, "", b"wake")).await;
    let r = pending.await.unwrap().unwrap();
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(2000), "took {took:?}");
    assert_eq!(r.code, 0);
    let msgs = MessageExt::decode_all(r.body_bytes()).unwrap();
    assert_eq!(msgs[0].body().unwrap(), &b"wake"[..]);

    // Nothing arrives: PULL_NOT_FOUND after the suspend timeout.
    ph.queue_offset = 1;
    ph.suspend_timeout_millis = 600;
    let t0 = Instant::now();
    let (r, _) = pull(&e, &ph).await;
    let took = t0.elapsed();
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.as_i32());
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_millis(2500),
        "took {took:?}"
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn offsets_times_view_and_query() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let t = "QTopic";
    let before = now_ms();
    let mut sent = Vec::new();
    for i in 0..4 {
        let h = send_header(
            t,
            0,
            props("", &format!("key{i} common"), &format!("UNIQ{i:04}")),
        );
        sent.push(send_ok(&e, send_v2(&h, format!("q{i}").as_bytes())).await);
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let q = |code| {
        RemotingCommand::request(
            code,
            &QueueRequestHeader {
                topic: t.into(),
                queue_id: 0,
            },
        )
    };
    let r = e.call(q(RequestCode::GET_MAX_OFFSET)).await;
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 4);
    let r = e.call(q(RequestCode::GET_MIN_OFFSET)).await;
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 0);
    let r = e.call(q(RequestCode::GET_EARLIEST_MSG_STORETIME)).await;
    assert_eq!(r.code, 0);
    let earliest = r.header::<TimestampResponseHeader>().unwrap().timestamp;
    assert!(earliest >= before - 5 && earliest <= now_ms(), "{earliest}");
    let search = |ts| {
        RemotingCommand::request(
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
            &SearchOffsetRequestHeader {
                topic: t.into(),
                queue_id: 0,
                timestamp: ts,
            },
        )
    };
    let r = e.call(search(before - 10_000)).await;
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 0);
    let r = e.call(search(now_ms() + 10_000)).await;
    assert_eq!(r.header::<OffsetResponseHeader>().unwrap().offset, 3);

    // View by offset msgId.
    let (_, phy) = decode_offset_msg_id(&sent[2].msg_id).expect("offset msg id");
    let r = e
        .call(RemotingCommand::request(
            RequestCode::VIEW_MESSAGE_BY_ID,
            &ViewMessageRequestHeader { offset: phy },
        ))
        .await;
    assert_eq!(r.code, 0);
    let (m, _) = MessageExt::decode(r.body_bytes()).unwrap();
    assert_eq!(
        (m.queue_offset, m.body().unwrap()),
        (2, bytes::Bytes::from_static(b"q2"))
    );
    assert_eq!(m.topic, t);
    let r = e
        .call(RemotingCommand::request(
            RequestCode::VIEW_MESSAGE_BY_ID,
            &ViewMessageRequestHeader { offset: phy + 1 },
        ))
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());

    // Query by key and by unique key.
    let query = |key: &str, uniq: bool| {
        let mut cmd = RemotingCommand::request(
            RequestCode::QUERY_MESSAGE,
            &QueryMessageRequestHeader {
                topic: t.into(),
                key: key.into(),
                max_num: 32,
                begin_timestamp: 0,
                end_timestamp: i64::MAX,
                unique_key_query: None,
            },
        );
        if uniq {
            cmd.ext_fields.insert("_UNIQUE_KEY_QUERY", "true");
        }
        cmd
    };
    let r = e.call(query("key1", false)).await;
    assert_eq!(r.code, 0);
    let ms = MessageExt::decode_all(r.body_bytes()).unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].body().unwrap(), &b"q1"[..]);
    let r = e.call(query("common", false)).await;
    assert_eq!(MessageExt::decode_all(r.body_bytes()).unwrap().len(), 4);
    let r = e.call(query("UNIQ0003", true)).await;
    assert_eq!(r.code, 0);
    let ms = MessageExt::decode_all(r.body_bytes()).unwrap();
    assert_eq!(ms[0].body().unwrap(), &b"q3"[..]);
    let r = e.call(query("absent", false)).await;
    assert_eq!(r.code, ResponseCode::QUERY_NOT_FOUND.as_i32());
    e.broker.shutdown().await;
}

/// Keys and unique keys are found over TCP after a restart, from the persisted index
/// (`index/`, several files) and without a rebuild.
#[tokio::test]
async fn query_by_key_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let t = "IdxTopic";
    let query = |key: &str, uniq: bool| {
        let mut cmd = RemotingCommand::request(
            RequestCode::QUERY_MESSAGE,
            &QueryMessageRequestHeader {
                topic: t.into(),
                key: key.into(),
                max_num: 32,
                begin_timestamp: 0,
                end_timestamp: i64::MAX,
                unique_key_query: None,
            },
        );
        if uniq {
            cmd.ext_fields.insert("_UNIQUE_KEY_QUERY", "true");
        }
        cmd
    };
    let bodies = |r: &RemotingCommand| -> Vec<Vec<u8>> {
        MessageExt::decode_all(r.body_bytes())
            .unwrap()
            .iter()
            .map(|m| m.body().unwrap().to_vec())
            .collect()
    };
    // Small index files: the keys span several.
    let cfg = || BrokerConfig {
        max_hash_slot_num: 16,
        max_index_num: 8,
        ..config(dir.path())
    };
    let e = start(cfg()).await;
    for i in 0..10 {
        let h = send_header(
            t,
            i % 2,
            props("", &format!("key{i} all"), &format!("UQ{i:04}")),
        );
        send_ok(&e, send_v2(&h, format!("m{i}").as_bytes())).await;
    }
    e.broker.shutdown().await;
    let files = std::fs::read_dir(dir.path().join("index")).unwrap().count();
    assert!(files >= 4, "{files} index files");

    let e = start(cfg()).await;
    for i in 0..10 {
        let r = e.call(query(&format!("key{i}"), false)).await;
        assert_eq!(r.code, 0, "key{i}");
        assert_eq!(bodies(&r), vec![format!("m{i}").into_bytes()]);
        let r = e.call(query(&format!("UQ{i:04}"), true)).await;
        assert_eq!(r.code, 0, "UQ{i:04}");
        assert_eq!(bodies(&r), vec![format!("m{i}").into_bytes()]);
    }
    let r = e.call(query("all", false)).await;
    let mut got = bodies(&r);
    got.sort();
    assert_eq!(got.len(), 10);
    assert_eq!(
        std::fs::read_dir(dir.path().join("index")).unwrap().count(),
        files,
        "nothing indexed again"
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_answered_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    // Unhandled request code.
    let r = e.call(RemotingCommand::request_bare(4242)).await;
    assert_eq!(r.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED.as_i32());
    assert!(r.remark.unwrap().contains("4242"));
    // Illegal topic name (Java: SYSTEM_ERROR from TopicValidator).
    let r = e.call(send_v1("bad topic", 0, "", b"x")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap().contains("illegal characters"));
    let r = e.call(send_v1(&"t".repeat(200), 0, "", b"x")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap().contains("max length"));
    // Not allowed to send to the schedule topic.
    let r = e.call(send_v1("SCHEDULE_TOPIC_XXXX", 0, "", b"x")).await;
    assert_eq!(r.code, ResponseCode::NO_PERMISSION.as_i32());
    // Body over maxMessageSize.
    let r = e
        .call(send_v1("BigTopic", 0, "", &vec![7u8; 200 * 1024]))
        .await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.as_i32());
    assert!(r.remark.unwrap().contains("maximum message size"));
    // Empty body.
    let r = e.call(send_v1("BigTopic", 0, "", b"")).await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.as_i32());
    // Missing and malformed header fields.
    let mut cmd = send_v1("HdrTopic", 0, "", b"x");
    cmd.ext_fields.remove("queueId");
    let r = e.call(cmd).await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.as_i32());
    assert!(r.remark.unwrap().contains("queueId"));
    let mut cmd = send_v1("HdrTopic", 0, "", b"x");
    cmd.ext_fields.insert("bornTimestamp", "yesterday");
    let r = e.call(cmd).await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.as_i32());
    assert!(r.remark.unwrap().contains("bornTimestamp"));
    // Malformed batch body.
    let mut bh = send_header("HdrTopic", 0, String::new());
    bh.batch = Some(true);
    let r = e
        .call(
            RemotingCommand::request(
                RequestCode::SEND_BATCH_MESSAGE,
                &SendMessageRequestHeaderV2::from_v1(&bh),
            )
            .with_body(vec![0u8, 0, 0, 99, 1, 2]),
        )
        .await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.as_i32());
    let remark = r.remark.unwrap();
    assert!(remark.contains("batch"), "{remark}");
    // Malformed pull header, heartbeat body, view offsets.
    let r = e
        .call(RemotingCommand::request_bare(RequestCode::PULL_MESSAGE))
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap().contains("consumerGroup"));
    let r = e
        .call(RemotingCommand::request_bare(RequestCode::HEART_BEAT).with_body(&b"{not json"[..]))
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    for off in [-1i64, i64::MAX, i64::MIN] {
        let r = e
            .call(RemotingCommand::request(
                RequestCode::VIEW_MESSAGE_BY_ID,
                &ViewMessageRequestHeader { offset: off },
            ))
            .await;
        assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    }
    // Extreme pull parameters.
    send_ok(&e, send_v1("HdrTopic", 0, "", b"ok")).await;
    for (q, off, n) in [(0, i64::MAX, i32::MAX), (0, i64::MIN, i32::MIN), (-1, 0, 1)] {
        let mut ph = pull_header("HdrTopic", q, off, "*");
        ph.max_msg_nums = n;
        ph.suspend_timeout_millis = i64::MIN;
        let (r, _) = pull(&e, &ph).await;
        assert_ne!(r.code, 0, "q {q} off {off}");
    }
    let q = |topic: &str, qid| {
        RemotingCommand::request(
            RequestCode::GET_MAX_OFFSET,
            &QueueRequestHeader {
                topic: topic.into(),
                queue_id: qid,
            },
        )
    };
    assert_eq!(e.call(q("HdrTopic", -5)).await.code, 0);
    assert_eq!(e.call(q("../../etc", i32::MAX)).await.code, 0);
    // Still serving.
    send_ok(&e, send_v1("HdrTopic", 0, "", b"still")).await;
    e.broker.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_close_only_their_connection() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let good = e.c.clone();
    let addr = e.addr.clone();
    let worker = tokio::spawn(async move {
        let mut n = 0i64;
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            let r = good
                .invoke(
                    &addr,
                    send_v1("FrameTopic", 0, "", format!("g{n}").as_bytes()),
                    T,
                )
                .await
                .expect("good client send");
            assert_eq!(r.code, 0);
            let r = good
                .invoke(
                    &addr,
                    RemotingCommand::request(
                        RequestCode::PULL_MESSAGE,
                        &pull_header("FrameTopic", 0, n, "*"),
                    ),
                    T,
                )
                .await
                .expect("good client pull");
            assert_eq!(r.code, 0);
            n += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        n
    });
    let mut bad_frames: Vec<Vec<u8>> = vec![
        // Garbage.
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        // A 17 MiB length prefix.
        {
            let mut v = (17u32 * 1024 * 1024).to_be_bytes().to_vec();
            v.extend_from_slice(&[0u8; 64]);
            v
        },
        // Header length larger than the frame.
        {
            let mut v = 12u32.to_be_bytes().to_vec();
            v.extend_from_slice(&200u32.to_be_bytes());
            v.extend_from_slice(b"{\"code\":");
            v
        },
        // A header that is not JSON.
        {
            let mut v = 10u32.to_be_bytes().to_vec();
            v.extend_from_slice(&6u32.to_be_bytes());
            v.extend_from_slice(b"{{{{{{");
            v
        },
        // Unknown serialize type.
        {
            let mut v = 8u32.to_be_bytes().to_vec();
            v.extend_from_slice(&[9u8, 0, 0, 4]);
            v.extend_from_slice(b"abcd");
            v
        },
    ];
    // A frame truncated mid-header, then EOF.
    let truncated = {
        let full = send_v1("FrameTopic", 0, "", b"t").encode_to_bytes();
        full[..full.len() / 2].to_vec()
    };
    bad_frames.push(truncated);
    for (i, frame) in bad_frames.iter().enumerate() {
        let mut s = tokio::net::TcpStream::connect(&e.addr).await.unwrap();
        s.write_all(frame).await.unwrap();
        if i == bad_frames.len() - 1 {
            s.shutdown().await.unwrap();
        }
        // The server closes the connection (EOF or reset) without answering.
        let mut buf = [0u8; 64];
        let got = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await;
        match got {
            Ok(Ok(0)) | Ok(Err(_)) => {}
            other => panic!("bad frame {i}: connection not closed: {other:?}"),
        }
    }
    let n = worker.await.unwrap();
    assert!(n > 10, "good client made only {n} round trips");
    e.broker.shutdown().await;
}

#[tokio::test]
async fn sync_flush_send_and_flush_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.flush_disk_type = FlushDiskType::SyncFlush;
    cfg.sync_flush_timeout = 300;
    let e = start(cfg).await;
    for i in 0..20 {
        let r = send_ok(&e, send_v1("SyncTopic", 0, "", format!("s{i}").as_bytes())).await;
        assert_eq!(r.queue_offset, i);
    }
    assert!(
        e.broker.store().commit_log_flushed_offset() >= e.broker.store().commit_log_max_offset()
    );
    e.broker.store().pause_flush_for_tests(true);
    let r = e.call(send_v1("SyncTopic", 0, "", b"late")).await;
    assert_eq!(r.code, ResponseCode::FLUSH_DISK_TIMEOUT.as_i32());
    // The message is stored (Java answers FLUSH_DISK_TIMEOUT with the send result header).
    assert_eq!(
        r.header::<SendMessageResponseHeader>()
            .unwrap()
            .queue_offset,
        20
    );
    e.broker.store().pause_flush_for_tests(false);
    let (_, msgs) = pull(&e, &pull_header("SyncTopic", 0, 20, "*")).await;
    assert_eq!(msgs[0].body().unwrap(), &b"late"[..]);
    e.broker.shutdown().await;
}

/// SYNC_FLUSH group commit over one connection: sends in flight are answered only once the
/// commit log is flushed past them, other requests on the connection are not held behind them,
/// and a connection closed with answers pending does not disturb the next ones.
#[tokio::test]
async fn sync_flush_answers_wait_for_the_group_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.flush_disk_type = FlushDiskType::SyncFlush;
    cfg.sync_flush_timeout = 5000;
    let e = start(cfg).await;
    send_ok(&e, send_v1("GcTopic", 0, "", b"first")).await;
    let store = e.broker.store().clone();
    store.pause_flush_for_tests(true);
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (c, addr, answered) = (e.c.clone(), e.addr.clone(), answered.clone());
        sends.spawn(async move {
            let body = format!("gc{i}");
            let r = c
                .invoke(&addr, send_v1("GcTopic", 0, "", body.as_bytes()), T)
                .await
                .unwrap();
            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            r
        });
    }
    // All 50 are appended (the max offset moves) but none is answered while nothing is flushed.
    let deadline = Instant::now() + T;
    while store.commit_log_max_offset() <= store.commit_log_flushed_offset()
        || e.call(RemotingCommand::request(
            RequestCode::GET_MAX_OFFSET,
            &QueueRequestHeader {
                topic: "GcTopic".into(),
                queue_id: 0,
            },
        ))
        .await
        .header::<OffsetResponseHeader>()
        .unwrap()
        .offset
            < 51
    {
        assert!(Instant::now() < deadline, "sends were not appended");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        answered.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "answered before the flush"
    );
    store.pause_flush_for_tests(false);
    let mut offsets = Vec::new();
    while let Some(r) = sends.join_next().await {
        let r = r.unwrap();
        assert_eq!(r.code, ResponseCode::SUCCESS.as_i32(), "{:?}", r.remark);
        offsets.push(
            r.header::<SendMessageResponseHeader>()
                .unwrap()
                .queue_offset,
        );
    }
    offsets.sort_unstable();
    assert_eq!(offsets, (1..51).collect::<Vec<i64>>());
    assert!(store.commit_log_flushed_offset() >= store.commit_log_max_offset());

    // A connection that goes away with answers pending.
    store.pause_flush_for_tests(true);
    let mut raw = tokio::net::TcpStream::connect(&e.addr).await.unwrap();
    raw.write_all(&send_v1("GcTopic", 0, "", b"orphan").encode_to_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(raw);
    store.pause_flush_for_tests(false);
    let r = send_ok(&e, send_v1("GcTopic", 0, "", b"after")).await;
    assert_eq!(r.queue_offset, 52);
    e.broker.shutdown().await;
}

fn props_with(pairs: &[(&str, &str)]) -> String {
    let mut p = Properties::default();
    for (k, v) in pairs {
        p.insert(*k, *v);
    }
    p.encode()
}

/// Pull `topic`/`queue_id` from 0 until it holds `n` messages (or `within` passes).
async fn pull_until(
    e: &Env,
    topic: &str,
    queue_id: i32,
    n: usize,
    within: Duration,
) -> Vec<MessageExt> {
    let deadline = Instant::now() + within;
    loop {
        let (_, msgs) = pull(e, &pull_header(topic, queue_id, 0, "*")).await;
        if msgs.len() >= n || Instant::now() >= deadline {
            return msgs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Delay levels (Java `ScheduleMessageService`): a message with `DELAY` waits in
/// SCHEDULE_TOPIC_XXXX and reaches its topic and queue after its level's delay, with Java's
/// properties; levels above the maximum use the maximum; bad levels and delayed batches are
/// refused; a pending delay survives a restart, its progress is in config/delayOffset.json.
#[tokio::test]
async fn delayed_messages_arrive_after_their_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.delay_levels = rocklet_store::schedule::DelayLevels::parse("1s 2s 1s").unwrap();
    let e = start(cfg.clone()).await;
    let sent_at = now_ms();
    let delayed = |level: &str, body: &[u8]| {
        RemotingCommand::request(
            RequestCode::SEND_MESSAGE,
            &send_header(
                "DelayTopic",
                1,
                props_with(&[("TAGS", "t"), ("DELAY", level)]),
            ),
        )
        .with_body(body.to_vec())
    };
    send_ok(&e, delayed("1", b"d1")).await;
    send_ok(&e, delayed("9", b"d9")).await; // clamped to level 3
    send_ok(&e, send_v1("DelayTopic", 1, "t", b"plain")).await;
    let now = pull_until(&e, "DelayTopic", 1, 1, Duration::ZERO).await;
    assert_eq!(now.len(), 1, "only the plain message is there at once");
    assert_eq!(now[0].body().unwrap(), &b"plain"[..]);

    let all = pull_until(&e, "DelayTopic", 1, 3, T).await;
    assert_eq!(all.len(), 3, "delayed messages did not arrive");
    for (m, body, level) in [(&all[1], &b"d1"[..], "1"), (&all[2], &b"d9"[..], "3")] {
        assert_eq!(m.body().unwrap(), body);
        assert_eq!(m.topic, "DelayTopic");
        assert_eq!(m.queue_id, 1);
        assert!(m.store_timestamp >= sent_at + 1000, "delivered too early");
        assert_eq!(m.properties.get("DELAY"), Some(level));
        assert_eq!(m.properties.get("REAL_TOPIC"), Some("DelayTopic"));
        assert_eq!(m.properties.get("REAL_QID"), Some("1"));
        assert_eq!(m.tags(), Some("t"));
    }

    for bad in ["x", "1.5"] {
        let r = e.call(delayed(bad, b"bad")).await;
        assert_eq!(
            r.code,
            ResponseCode::MESSAGE_ILLEGAL.as_i32(),
            "DELAY={bad}"
        );
        assert!(r.remark.unwrap_or_default().contains("DELAY"));
    }
    let mut bh = send_header("DelayTopic", 0, props_with(&[("DELAY", "1")]));
    bh.batch = Some(true);
    let mut batch_body = BytesMut::new();
    encode_batch_item(&mut batch_body, 0, b"b", "");
    let r = e
        .call(
            RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE, &bh)
                .with_body(batch_body.to_vec()),
        )
        .await;
    assert_eq!(r.code, ResponseCode::MESSAGE_ILLEGAL.as_i32());

    // A level-2 (2 s) message pending across a restart.
    send_ok(&e, delayed("2", b"after-restart")).await;
    e.broker.shutdown().await;
    let offsets = std::fs::read_to_string(dir.path().join("config/delayOffset.json")).unwrap();
    assert!(offsets.contains("offsetTable"), "{offsets}");
    let e = start(cfg).await;
    let all = pull_until(&e, "DelayTopic", 1, 4, T).await;
    assert_eq!(all.len(), 4, "the pending delayed message was lost");
    assert_eq!(all[3].body().unwrap(), &b"after-restart"[..]);
    // Delivered once: nothing is replayed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        pull_until(&e, "DelayTopic", 1, 5, Duration::ZERO)
            .await
            .len(),
        4
    );
    e.broker.shutdown().await;
}

/// CONSUMER_SEND_MSG_BACK with delay level 0 retries after level 3 + reconsumeTimes (Java),
/// in %RETRY%group, not at once.
#[tokio::test]
async fn send_back_retries_after_the_delay_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.delay_levels = rocklet_store::schedule::DelayLevels::parse("1s 1s 1s 1s").unwrap();
    let e = start(cfg).await;
    send_ok(&e, send_v1("BackTopic", 0, "", b"again")).await;
    let (_, msgs) = pull(&e, &pull_header("BackTopic", 0, 0, "*")).await;
    let back = ConsumerSendMsgBackRequestHeader {
        offset: msgs[0].commit_log_offset,
        group: "cg".into(),
        delay_level: 0,
        origin_msg_id: Some(msgs[0].msg_id()),
        origin_topic: Some("BackTopic".into()),
        unit_mode: Some(false),
        max_reconsume_times: Some(16),
    };
    let sent_at = now_ms();
    let r = e
        .call(RemotingCommand::request(
            RequestCode::CONSUMER_SEND_MSG_BACK,
            &back,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert!(pull_until(&e, "%RETRY%cg", 0, 1, Duration::ZERO)
        .await
        .is_empty());
    let retried = pull_until(&e, "%RETRY%cg", 0, 1, T).await;
    assert_eq!(retried.len(), 1, "the retry never arrived");
    let m = &retried[0];
    assert!(m.store_timestamp >= sent_at + 1000, "retried too early");
    assert_eq!(m.body().unwrap(), &b"again"[..]);
    assert_eq!(m.reconsume_times, 1);
    assert_eq!(m.properties.get("DELAY"), Some("3"));
    assert_eq!(m.properties.get("RETRY_TOPIC"), Some("BackTopic"));
    assert_eq!(m.properties.get("REAL_TOPIC"), Some("%RETRY%cg"));
    e.broker.shutdown().await;
}

/// Past maxReconsumeTimes (or with delay level -1) CONSUMER_SEND_MSG_BACK puts the message to
/// %DLQ%group (one queue, perm 6 as 4.9.3 creates it) at once, with RETRY_TOPIC, the first
/// failure's offset msgId as ORIGIN_MESSAGE_ID, the keys kept and reconsumeTimes + 1.
#[tokio::test]
async fn send_back_past_max_reconsume_times_goes_to_the_dlq() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    let h = send_header("DlqTopic", 0, props("T", "key-1", "UNIQ-1"));
    send_ok(&e, send_v2(&h, b"dead")).await;
    let (_, msgs) = pull(&e, &pull_header("DlqTopic", 0, 0, "*")).await;
    for (delay_level, max) in [(0, 0), (-1, 16)] {
        let back = ConsumerSendMsgBackRequestHeader {
            offset: msgs[0].commit_log_offset,
            group: format!("dlq_cg{}", -delay_level),
            delay_level,
            origin_msg_id: Some("UNIQ-1".into()),
            origin_topic: Some("DlqTopic".into()),
            unit_mode: Some(false),
            max_reconsume_times: Some(max),
        };
        let r = e
            .call(RemotingCommand::request(
                RequestCode::CONSUMER_SEND_MSG_BACK,
                &back,
            ))
            .await;
        assert_eq!(r.code, 0, "{:?}", r.remark);
        let dlq = format!("%DLQ%{}", back.group);
        let tc = topic_table(&e).await.topic_config_table[&dlq].clone();
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (1, 1, 6)
        );
        let got = pull_until(&e, &dlq, 0, 1, T).await;
        assert_eq!(got.len(), 1, "nothing in {dlq}");
        let m = &got[0];
        assert_eq!(m.body().unwrap(), &b"dead"[..]);
        assert_eq!(m.reconsume_times, 1);
        assert_eq!(m.keys(), Some("key-1"));
        assert_eq!(m.properties.get("RETRY_TOPIC"), Some("DlqTopic"));
        assert_eq!(
            m.properties.get("ORIGIN_MESSAGE_ID"),
            Some(msgs[0].offset_msg_id().as_str())
        );
    }
    e.broker.shutdown().await;
}

fn lock_body(client: &str, queues: &[i32]) -> Vec<u8> {
    encode_json(&LockBatchRequestBody {
        client_id: Some(client.into()),
        consumer_group: Some("orderly".into()),
        mq_set: queues
            .iter()
            .map(|&q| MessageQueueData {
                broker_name: "broker-t".into(),
                queue_id: q,
                topic: "OrderTopic".into(),
            })
            .collect(),
        only_this_broker: true,
    })
}

async fn lock(e: &Env, client: &str, queues: &[i32]) -> Vec<i32> {
    let r = e
        .call(
            RemotingCommand::request_bare(RequestCode::LOCK_BATCH_MQ)
                .with_body(lock_body(client, queues)),
        )
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let body: LockBatchResponseBody = decode_json(r.body_bytes()).unwrap();
    let mut q: Vec<i32> = body.lock_ok_m_q_set.iter().map(|m| m.queue_id).collect();
    q.sort_unstable();
    q
}

/// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ (Java `RebalanceLockManager`): a queue belongs to one client
/// of a group until that client unlocks it or stops renewing it for lockMaxLiveTime.
#[tokio::test]
async fn orderly_queue_locks_have_one_holder() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rebalance_lock_max_live_time = 300;
    let e = start(cfg).await;
    assert_eq!(lock(&e, "client-a", &[0, 1]).await, vec![0, 1]);
    assert_eq!(lock(&e, "client-b", &[1, 2]).await, vec![2]);
    assert_eq!(
        lock(&e, "client-a", &[0, 1, 2]).await,
        vec![0, 1],
        "renewal keeps only A's queues"
    );
    // B cannot release A's lock; A can.
    let unlock = |client: &str, q: &[i32]| {
        RemotingCommand::request_bare(RequestCode::UNLOCK_BATCH_MQ).with_body(lock_body(client, q))
    };
    assert_eq!(e.call(unlock("client-b", &[1])).await.code, 0);
    assert_eq!(lock(&e, "client-b", &[1]).await, Vec::<i32>::new());
    assert_eq!(e.call(unlock("client-a", &[1])).await.code, 0);
    assert_eq!(lock(&e, "client-b", &[1]).await, vec![1]);
    // A stops renewing queue 0: after lockMaxLiveTime B gets it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(lock(&e, "client-b", &[0, 1, 2]).await, vec![0, 1, 2]);
    // A lock body without its group or client is an error, not a grant.
    let r = e
        .call(
            RemotingCommand::request_bare(RequestCode::LOCK_BATCH_MQ)
                .with_body(encode_json(&LockBatchRequestBody::default())),
        )
        .await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    e.broker.shutdown().await;
}

#[tokio::test]
async fn broker_registers_with_namesrv_and_unregisters_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let ns = rocklet_namesrv::Namesrv::start(rocklet_namesrv::NamesrvConfig {
        listen_port: 0,
        bind_addr: [127, 0, 0, 1].into(),
        kv_config_path: Some(dir.path().join("kvConfig.json")),
        config_store_path: Some(dir.path().join("namesrv.properties")),
        ..Default::default()
    })
    .await
    .unwrap();
    let ns_addr = ns.local_addr().to_string();
    let mut cfg = config(dir.path());
    cfg.namesrv_addr = Some(ns_addr.clone());
    let e = start(cfg).await;
    let c = RemotingClient::default();
    let route = |topic: &str| {
        RemotingCommand::request(
            RequestCode::GET_ROUTEINFO_BY_TOPIC,
            &GetRouteInfoRequestHeader {
                topic: topic.into(),
            },
        )
    };
    let wait_code = |topic: &'static str, want: i32| {
        let c = c.clone();
        let ns_addr = ns_addr.clone();
        async move {
            let t0 = Instant::now();
            loop {
                let r = c.invoke(&ns_addr, route(topic), T).await.unwrap();
                if r.code == want {
                    return r;
                }
                assert!(
                    t0.elapsed() < Duration::from_secs(4),
                    "{topic}: code {} != {want}",
                    r.code
                );
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    };
    let r = wait_code("TBW102", 0).await;
    let rd = rocklet_protocol::route::TopicRouteData::from_json(r.body_bytes()).unwrap();
    assert_eq!(rd.broker_datas[0].broker_name, "broker-t");
    assert_eq!(
        rd.broker_datas[0].master_addr(),
        Some(e.broker.advertised_addr())
    );
    // A created topic is registered at once (not after the 30 s period).
    assert_eq!(e.call(create_topic("Announced", 2)).await.code, 0);
    wait_code("Announced", 0).await;
    // Auto-created by a send, too.
    send_ok(&e, send_v1("AutoAnnounced", 0, "", b"x")).await;
    wait_code("AutoAnnounced", 0).await;
    e.broker.shutdown().await;
    let r = c.invoke(&ns_addr, route("TBW102"), T).await.unwrap();
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.as_i32());
    ns.shutdown().await;
}

#[tokio::test]
async fn every_handled_code_is_dispatched() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    for code in handled_codes() {
        let r = e.call(RemotingCommand::request_bare(code)).await;
        assert_ne!(
            r.code,
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED.as_i32(),
            "{code} answered as not supported"
        );
    }
    // Still alive after all the header-less requests.
    send_ok(&e, send_v1("AliveTopic", 0, "", b"x")).await;
    e.broker.shutdown().await;
}

/// QUERY_CONSUMER_OFFSET for a group that never committed (Java `queryConsumerOffset`): 0 while
/// the queue starts at 0 and its first message is still "in memory"; QUERY_NOT_FOUND once that
/// message is further behind than accessMessageInMemoryMaxRatio of physical memory (0 % here:
/// anything behind the end), so the client's consumeFromWhere decides.
#[tokio::test]
async fn new_group_offset_follows_the_in_memory_rule() {
    for (ratio, want) in [(40u32, Some(0i64)), (0, None)] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.access_message_in_memory_max_ratio = ratio;
        let e = start(cfg).await;
        send_ok(&e, send_v1("FromTopic", 0, "", b"one")).await;
        send_ok(&e, send_v1("FromTopic", 0, "", b"two")).await;
        let q = RemotingCommand::request(
            RequestCode::QUERY_CONSUMER_OFFSET,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: "fresh".into(),
                topic: "FromTopic".into(),
                queue_id: 0,
            },
        );
        let r = e.call(q).await;
        match want {
            Some(o) => {
                assert_eq!(r.code, 0, "ratio {ratio}: {:?}", r.remark);
                let h: OffsetResponseHeader = r.header().unwrap();
                assert_eq!(h.offset, o);
            }
            None => {
                assert_eq!(
                    r.code,
                    ResponseCode::QUERY_NOT_FOUND.as_i32(),
                    "ratio {ratio}"
                );
                assert_eq!(
                    r.remark.as_deref(),
                    Some("Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
                );
            }
        }
        e.broker.shutdown().await;
    }
}

/// `traceTopicEnable` creates `msgTraceTopicName` (1 queue, perm 6) at start, as Java's
/// TopicConfigManager does; off by default.
#[tokio::test]
async fn trace_topic_enable_creates_the_trace_topic() {
    for enable in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.trace_topic_enable = enable;
        cfg.msg_trace_topic_name = "MyTraceTopic".into();
        let e = start(cfg).await;
        let t = topic_table(&e).await;
        match t.topic_config_table.get("MyTraceTopic") {
            Some(tc) => {
                assert!(enable);
                assert_eq!(
                    (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
                    (1, 1, 6)
                );
            }
            None => assert!(!enable, "not created"),
        }
        e.broker.shutdown().await;
    }
}
