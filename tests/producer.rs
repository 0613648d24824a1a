//! The producer against Rocklet's own servers over TCP: every send mode, validation without I/O,
//! the state machine, instance sharing, retries across brokers, fault avoidance and the timeout
//! budget.

use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::{
    client_error_code, AsyncFullPolicy, ClientError, ClientInstance, DefaultMQProducer, Message,
    MessageQueue, ProducerConfig, SelectByHash, SendStatus, ServiceState,
};
use rocklet_protocol::body::{RegisterBrokerBody, TopicConfig};
use rocklet_protocol::header::RegisterBrokerRequestHeader;
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::RemotingClient;
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn cfg(group: &str, ns: &str) -> ProducerConfig {
    ProducerConfig::new(group).with_namesrv(ns)
}

async fn read_all(p: &DefaultMQProducer, topic: &str) -> HashMap<String, Vec<u8>> {
    let admin = p.admin().unwrap();
    let mut got = HashMap::new();
    for q in p.fetch_publish_message_queues(topic).await.unwrap() {
        let mut off = 0;
        loop {
            let r = admin.pull("reader", &q, "*", off, 32).await.unwrap();
            if r.msg_found_list.is_empty() {
                break;
            }
            for m in r.msg_found_list {
                got.insert(m.msg_id(), m.raw_body.to_vec());
            }
            off = r.next_begin_offset;
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_mode_round_trips() {
    let c = EmbeddedCluster::start().await.unwrap();
    let p = DefaultMQProducer::new(cfg("modes", &c.namesrv_addr()));
    p.start().await.unwrap();
    let t = "ModesTopic";
    let mut expect: HashMap<String, Vec<u8>> = HashMap::new();
    let r = p
        .send(Message::new(t, "sync").with_tags("A").with_keys(["k-sync"]))
        .await
        .unwrap();
    assert_eq!(r.send_status, SendStatus::SEND_OK);
    assert_eq!(r.msg_id.len(), 32);
    assert_eq!(r.offset_msg_id.len(), 32);
    expect.insert(r.msg_id, b"sync".to_vec());
    let f = p.send_async_future(Message::new(t, "async")).await.unwrap();
    let r = f.await.unwrap();
    expect.insert(r.msg_id, b"async".to_vec());
    let (tx, rx) = tokio::sync::oneshot::channel();
    p.send_async(Message::new(t, "callback"), move |r| {
        let _ = tx.send(r);
    })
    .await
    .unwrap();
    expect.insert(rx.await.unwrap().unwrap().msg_id, b"callback".to_vec());
    let mut m = Message::new(t, "oneway");
    rocklet_client::set_uniq_id(&mut m);
    expect.insert(m.uniq_id().unwrap().to_owned(), b"oneway".to_vec());
    p.send_oneway(m).await.unwrap();
    let r = p
        .send_batch(
            (0..3)
                .map(|i| Message::new(t, format!("batch{i}")))
                .collect(),
        )
        .await
        .unwrap();
    for (i, id) in r.msg_id.split(',').enumerate() {
        expect.insert(id.to_owned(), format!("batch{i}").into_bytes());
    }
    assert_eq!(r.offset_msg_id.split(',').count(), 3);
    let broker = p.fetch_publish_message_queues(t).await.unwrap()[0]
        .broker_name
        .clone();
    let r = p
        .send_to_queue(
            Message::new(t, "q2"),
            &MessageQueue::new(t, broker.clone(), 2),
        )
        .await
        .unwrap();
    assert_eq!(r.message_queue.queue_id, 2);
    expect.insert(r.msg_id, b"q2".to_vec());
    let wrong = p
        .send_to_queue(Message::new(t, "x"), &MessageQueue::new("Other", broker, 0))
        .await
        .unwrap_err();
    assert!(wrong
        .to_string()
        .contains("message's topic not equal mq's topic"));
    let a = p
        .send_with_selector(Message::new(t, "o1"), &SelectByHash, "order-1")
        .await
        .unwrap();
    let b = p
        .send_with_selector(Message::new(t, "o2"), &SelectByHash, "order-1")
        .await
        .unwrap();
    assert_eq!(a.message_queue, b.message_queue);
    assert_eq!(b.queue_offset, a.queue_offset + 1);
    expect.insert(a.msg_id, b"o1".to_vec());
    expect.insert(b.msg_id, b"o2".to_vec());
    // Compressed on the wire and in the store, plain when read back.
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 7) as u8 + b'a').collect();
    let r = p.send(Message::new(t, big.clone())).await.unwrap();
    expect.insert(r.msg_id.clone(), big.clone());
    let (_, off) = rocklet_protocol::msgid::decode_offset_msg_id(&r.offset_msg_id).unwrap();
    let raw = c
        .broker(0)
        .unwrap()
        .store()
        .look_message_by_offset(off)
        .unwrap();
    let (stored, _) = rocklet_protocol::message::MessageExt::decode(&raw).unwrap();
    assert_eq!(stored.sys_flag & 1, 1, "stored compressed");
    assert!(stored.raw_body.len() < big.len() / 10);
    // Read back through the client: body inflated, the COMPRESSED bit kept (as Java's decoder).
    let viewed = p
        .admin()
        .unwrap()
        .view_message(&r.offset_msg_id)
        .await
        .unwrap();
    assert_eq!(viewed.sys_flag & 1, 1);
    assert_eq!(viewed.raw_body.as_ref(), big.as_slice());
    assert_eq!(viewed.body().unwrap().as_ref(), big.as_slice());
    // Everything readable, bodies intact (oneway may land a moment later).
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let got = read_all(&p, t).await;
        let ok = expect.iter().all(|(id, body)| got.get(id) == Some(body));
        if ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "missing: {:?}",
            expect
                .keys()
                .filter(|k| !got.contains_key(*k))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test]
async fn validation_errors_arrive_without_network_io() {
    // The name server address is a port nobody listens on: any I/O would fail or hang.
    let p = DefaultMQProducer::new(cfg("validate", "127.0.0.1:1"));
    p.start().await.unwrap();
    let inst = p.instance().unwrap();
    let t = Instant::now();
    let cases: Vec<(Message, &str)> = vec![
        (Message::new("", "x"), "topic is blank"),
        (Message::new("bad topic!", "x"), "illegal characters"),
        (
            Message::new("t".repeat(128), "x"),
            "longer than topic max length",
        ),
        (Message::new("T", ""), "body length is zero"),
        (
            Message::new("T", vec![0u8; 4 * 1024 * 1024 + 1]),
            "over max value",
        ),
        (Message::new("TBW102", "x"), "forbidden"),
    ];
    for (m, why) in cases {
        let e = p.send(m.clone()).await.unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
        assert!(p.send_oneway(m.clone()).await.is_err());
        assert!(p.send_async(m, |_| {}).await.is_err());
    }
    assert_eq!(p.send(Message::new("T", "")).await.unwrap_err().code(), 13);
    assert!(t.elapsed() < Duration::from_millis(200));
    assert!(
        inst.connected_addrs().is_empty(),
        "no connection was opened"
    );
    p.shutdown().await;
}

#[tokio::test]
async fn state_machine_and_group_rules() {
    let p = DefaultMQProducer::new(cfg("states", "127.0.0.1:1"));
    let e = p.send(Message::new("T", "x")).await.unwrap_err();
    assert!(e.to_string().contains("service state not OK"), "{e}");
    p.start().await.unwrap();
    assert_eq!(p.state(), ServiceState::RUNNING);
    let e = p.start().await.unwrap_err();
    assert!(e.to_string().contains("maybe started once, RUNNING"), "{e}");
    p.shutdown().await;
    assert_eq!(p.state(), ServiceState::SHUTDOWN_ALREADY);
    assert!(p
        .send(Message::new("T", "x"))
        .await
        .unwrap_err()
        .to_string()
        .contains("SHUTDOWN_ALREADY"));
    assert!(p.start().await.is_err());
    for bad in ["", "DEFAULT_PRODUCER", "bad group", &"g".repeat(256)] {
        assert!(
            DefaultMQProducer::new(cfg(bad, "127.0.0.1:1"))
                .start()
                .await
                .is_err(),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn one_instance_per_client_id() {
    let mut a = cfg("share_a", "127.0.0.1:1");
    a.client.instance_name = "shared-instance".into();
    let mut b = a.clone();
    b.producer_group = "share_b".into();
    let pa = DefaultMQProducer::new(a.clone());
    let pb = DefaultMQProducer::new(b);
    pa.start().await.unwrap();
    pb.start().await.unwrap();
    let ia = pa.instance().unwrap();
    assert!(std::sync::Arc::ptr_eq(&ia, &pb.instance().unwrap()));
    assert!(ia.client_id().ends_with("@shared-instance"));
    let dup = DefaultMQProducer::new(a);
    let e = dup.start().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("The producer group[share_a] has been created before"),
        "{e}"
    );
    assert_eq!(dup.state(), ServiceState::CREATE_JUST);
    // Default instance names become pid#nanos: two default producers get two instances.
    let d1 = DefaultMQProducer::new(cfg("d1", "127.0.0.1:1"));
    let d2 = DefaultMQProducer::new(cfg("d2", "127.0.0.1:1"));
    d1.start().await.unwrap();
    d2.start().await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(
        &d1.instance().unwrap(),
        &d2.instance().unwrap()
    ));
    assert!(d1
        .instance()
        .unwrap()
        .client_id()
        .contains(&format!("@{}#", std::process::id())));
    d1.shutdown().await;
    d2.shutdown().await;
    pa.shutdown().await;
    assert_eq!(ia.state(), ServiceState::RUNNING, "still used by share_b");
    pb.shutdown().await;
    assert_eq!(ia.state(), ServiceState::SHUTDOWN_ALREADY);
    tokio::task::yield_now().await;
    assert_eq!(ia.running_tasks(), 0);
    let again = ClientInstance::get_or_create(ia.config());
    assert!(
        !std::sync::Arc::ptr_eq(&again, &ia),
        "a shut-down instance is not reused"
    );
}

#[tokio::test]
async fn no_route_and_auto_create() {
    let c = EmbeddedCluster::start_with(EmbeddedOptions {
        auto_create_topic_enable: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let p = DefaultMQProducer::new(cfg("noroute", &c.namesrv_addr()));
    p.start().await.unwrap();
    let e = p.send(Message::new("NoSuchTopic", "x")).await.unwrap_err();
    assert_eq!(e.code(), client_error_code::NOT_FOUND_TOPIC_EXCEPTION);
    assert!(
        e.to_string()
            .contains("No route info of this topic: NoSuchTopic"),
        "{e}"
    );
    // createTopic through the admin API makes it sendable.
    let admin = p.admin().unwrap();
    admin
        .create_topic("DefaultCluster", "Created", 3, 0)
        .await
        .unwrap();
    let r = p.send(Message::new("Created", "x")).await.unwrap();
    assert!(r.message_queue.queue_id < 3);
    assert_eq!(
        p.fetch_publish_message_queues("Created")
            .await
            .unwrap()
            .len(),
        3
    );
    p.shutdown().await;
    c.shutdown().await;
}

async fn two_broker_failover(fault: bool) {
    let mut c = EmbeddedCluster::start_with(EmbeddedOptions {
        brokers: 2,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut pc = cfg(
        if fault { "fo_fault" } else { "fo_plain" },
        &c.namesrv_addr(),
    );
    pc.send_latency_fault_enable = fault;
    // The instance refreshes routes 10 ms after start and then every pollNameServerInterval.
    // Let the first refresh pass and push the next out of the test, so the producer still
    // believes in the stopped broker and must fail over by itself.
    pc.client.poll_name_server_interval = Duration::from_secs(3600);
    let p = DefaultMQProducer::new(pc);
    p.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = if fault {
        "FailoverFault"
    } else {
        "FailoverPlain"
    };
    let admin = p.admin().unwrap();
    admin.create_topic("DefaultCluster", t, 4, 0).await.unwrap();
    // Brokers re-register the new topic with the name server asynchronously: wait until the
    // route names both, or the producer may cache a one-broker route.
    let deadline = Instant::now() + Duration::from_secs(5);
    while admin
        .topic_route(t)
        .await
        .map(|r| r.queue_datas.len())
        .unwrap_or(0)
        < 2
    {
        assert!(Instant::now() < deadline, "route never listed both brokers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut per_broker: HashMap<String, usize> = HashMap::new();
    for i in 0..16 {
        let r = p
            .send(Message::new(t, format!("before {i}")))
            .await
            .unwrap();
        *per_broker.entry(r.message_queue.broker_name).or_default() += 1;
    }
    assert_eq!(per_broker.len(), 2, "both brokers used: {per_broker:?}");
    c.stop_broker(1).await;
    let mut after: HashMap<String, usize> = HashMap::new();
    for i in 0..30 {
        let r = p
            .send(Message::new(t, format!("after {i}")))
            .await
            .expect("sync sends keep succeeding through retries");
        *after.entry(r.message_queue.broker_name).or_default() += 1;
    }
    assert_eq!(after.keys().collect::<Vec<_>>(), vec!["broker-a"]);
    let skipped = p.broker_unavailable_for("broker-b");
    if fault {
        let d = skipped.expect("the failed broker is skipped");
        // An isolated failure counts as 30 s latency: notAvailableDuration 600 s.
        assert!(
            d > Duration::from_secs(590) && d <= Duration::from_secs(600),
            "{d:?}"
        );
        assert!(p.broker_unavailable_for("broker-a").is_none());
    } else {
        assert!(skipped.is_none(), "fault tables are off by default");
    }
    // Async sends retry network errors on another broker too (retryTimesWhenSendAsyncFailed).
    for i in 0..8 {
        let r = p
            .send_async_future(Message::new(t, format!("async after {i}")))
            .await
            .unwrap()
            .await
            .expect("async sends keep succeeding through retries");
        assert_eq!(r.message_queue.broker_name, "broker-a");
    }
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_sends_retry_on_another_broker() {
    two_broker_failover(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_fault_skips_a_stopped_broker() {
    two_broker_failover(true).await;
}

/// A "broker" that accepts connections and never answers, registered for `topic`.
async fn silent_broker(ns: &str, topic: &str) -> (tokio::task::JoinHandle<()>, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let h = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let mut body = RegisterBrokerBody::default();
    body.topic_config_serialize_wrapper
        .topic_config_table
        .insert(topic.into(), TopicConfig::new(topic, 2, 2, 6));
    let header = RegisterBrokerRequestHeader {
        broker_name: "silent".into(),
        broker_addr: addr.clone(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: addr.clone(),
        broker_id: 0,
        compressed: Some(false),
        body_crc32: None,
    };
    let client = RemotingClient::default();
    let cmd = RemotingCommand::request(RequestCode::REGISTER_BROKER, &header)
        .with_body(body.encode(false));
    let r = client
        .invoke(ns, cmd, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    std::mem::forget(client); // keep the registration connection open for the test's life
    (h, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_budget_runs_out_in_about_send_msg_timeout() {
    let c = EmbeddedCluster::start().await.unwrap();
    let (_h, _) = silent_broker(&c.namesrv_addr(), "SilentTopic").await;
    let mut pc = cfg("budget", &c.namesrv_addr());
    pc.send_msg_timeout = Duration::from_millis(800);
    let p = DefaultMQProducer::new(pc);
    p.start().await.unwrap();
    let t = Instant::now();
    let e = p.send(Message::new("SilentTopic", "x")).await.unwrap_err();
    let took = t.elapsed();
    assert!(
        matches!(e, ClientError::Timeout(ref s) if s.contains("call timeout")),
        "{e:?}"
    );
    assert!(
        took >= Duration::from_millis(780) && took < Duration::from_millis(1300),
        "{took:?}"
    );
    // Async sends are bounded: with room for 2 in flight and the Fail policy, the third is refused.
    let mut pc = cfg("bounded", &c.namesrv_addr());
    pc.max_async_inflight_msgs = 2;
    pc.async_full_policy = AsyncFullPolicy::Fail;
    let p2 = DefaultMQProducer::new(pc);
    p2.start().await.unwrap();
    p2.send_async(Message::new("SilentTopic", "1"), |_| {})
        .await
        .unwrap();
    p2.send_async(Message::new("SilentTopic", "2"), |_| {})
        .await
        .unwrap();
    let e = p2
        .send_async(Message::new("SilentTopic", "3"), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Backpressure(_)), "{e:?}");
    p.shutdown().await;
    p2.shutdown().await;
    c.shutdown().await;
}

#[tokio::test]
async fn uniq_id_is_kept() {
    let mut m = Message::new("T", "x");
    rocklet_client::set_uniq_id(&mut m);
    let id = m.uniq_id().unwrap().to_owned();
    rocklet_client::set_uniq_id(&mut m);
    assert_eq!(m.uniq_id().unwrap(), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_operations() {
    let c = EmbeddedCluster::start().await.unwrap();
    let p = DefaultMQProducer::new(cfg("admin_ops", &c.namesrv_addr()));
    p.start().await.unwrap();
    let admin = p.admin().unwrap();
    admin
        .create_topic("TBW102", "AdminTopic", 1, 0)
        .await
        .unwrap();
    let mq = p.fetch_publish_message_queues("AdminTopic").await.unwrap()[0].clone();
    let before = rocklet_protocol::time::now_ms();
    let mut results = Vec::new();
    for i in 0..5 {
        tokio::time::sleep(Duration::from_millis(3)).await;
        results.push(
            p.send(
                Message::new("AdminTopic", format!("m{i}"))
                    .with_keys([format!("key-{i}"), "shared".to_string()]),
            )
            .await
            .unwrap(),
        );
    }
    assert_eq!(admin.min_offset(&mq).await.unwrap(), 0);
    assert_eq!(admin.max_offset(&mq).await.unwrap(), 5);
    let earliest = admin.earliest_msg_store_time(&mq).await.unwrap();
    assert!(earliest >= before && earliest <= rocklet_protocol::time::now_ms());
    // searchOffset: the first message stored at or after a timestamp.
    let third = admin.view_message(&results[2].offset_msg_id).await.unwrap();
    assert_eq!(third.queue_offset, 2);
    assert_eq!(
        admin
            .search_offset(&mq, third.store_timestamp)
            .await
            .unwrap(),
        2
    );
    assert_eq!(admin.search_offset(&mq, 0).await.unwrap(), 0);
    // queryMessage by key, and viewMessage(topic, id) by unique key and by offset id.
    let q = admin
        .query_message("AdminTopic", "shared", 32, 0, i64::MAX, false)
        .await
        .unwrap();
    assert_eq!(q.message_list.len(), 5);
    let q = admin
        .query_message("AdminTopic", "key-3", 32, 0, i64::MAX, false)
        .await
        .unwrap();
    assert_eq!(q.message_list.len(), 1);
    assert_eq!(q.message_list[0].raw_body.as_ref(), b"m3");
    let m = admin
        .view_message_by_topic("AdminTopic", &results[4].msg_id)
        .await
        .unwrap();
    assert_eq!(m.raw_body.as_ref(), b"m4");
    let m = admin
        .view_message_by_topic("AdminTopic", &results[1].offset_msg_id)
        .await
        .unwrap();
    assert_eq!(m.raw_body.as_ref(), b"m1");
    assert!(admin
        .query_message("AdminTopic", "nope", 32, 0, i64::MAX, false)
        .await
        .is_err());
    // pull with a tag expression filters.
    p.send(Message::new("AdminTopic", "tagged").with_tags("TagX"))
        .await
        .unwrap();
    let r = admin.pull("g", &mq, "TagX", 0, 32).await.unwrap();
    assert_eq!(r.msg_found_list.len(), 1);
    assert_eq!(r.msg_found_list[0].raw_body.as_ref(), b"tagged");
    p.shutdown().await;
    c.shutdown().await;
}

/// The Rust producer's delay level end to end: the message is not readable at once, and reaches
/// its topic after level 1 (1 s by default) with the msgId the send returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_send_arrives_after_level_one() {
    let c = EmbeddedCluster::start().await.unwrap();
    let p = DefaultMQProducer::new(cfg("delay", &c.namesrv_addr()));
    p.start().await.unwrap();
    let t = "DelayedTopic";
    p.send(Message::new(t, "plain")).await.unwrap();
    let mut m = Message::new(t, "later");
    m.set_delay_time_level(1);
    let sent = Instant::now();
    let r = p.send(m).await.unwrap();
    assert_eq!(r.send_status, SendStatus::SEND_OK);
    assert!(
        !read_all(&p, t).await.contains_key(&r.msg_id),
        "delivered at once"
    );
    let got = loop {
        let all = read_all(&p, t).await;
        if all.contains_key(&r.msg_id) || sent.elapsed() > Duration::from_secs(10) {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(got.get(&r.msg_id).map(Vec::as_slice), Some(&b"later"[..]));
    assert!(
        sent.elapsed() >= Duration::from_millis(900),
        "arrived after {:?}",
        sent.elapsed()
    );
    p.shutdown().await;
    c.shutdown().await;
}

/// `enableMsgTrace`: each acknowledged sync / async send leaves a `Pub` trace record in
/// RMQ_SYS_TRACE_TOPIC (auto-created), keyed by the msgId and the message's keys, in Java's
/// layout; oneway sends leave none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_trace_records_each_acknowledged_send() {
    let c = EmbeddedCluster::start().await.unwrap();
    let mut pc = cfg("traced_pg", &c.namesrv_addr());
    pc.enable_msg_trace = true;
    let p = DefaultMQProducer::new(pc);
    p.start().await.unwrap();
    let sync = p
        .send(
            Message::new("TracedTopic", "one")
                .with_tags("TagT")
                .with_keys(["tk1", "tk2"]),
        )
        .await
        .unwrap();
    let f = p
        .send_async_future(Message::new("TracedTopic", "two"))
        .await
        .unwrap();
    let asy = f.await.unwrap();
    p.send_oneway(Message::new("TracedTopic", "three").with_keys(["tk-oneway"]))
        .await
        .unwrap();
    // the trace producer sends when its batch is done; shutdown flushes it
    p.shutdown().await;
    let reader = DefaultMQProducer::new(cfg("trace_reader", &c.namesrv_addr()));
    reader.start().await.unwrap();
    let admin = reader.admin().unwrap();
    let mut found = Vec::new();
    // The trace topic was auto-created by the first trace send; its route reaches the name
    // server with the broker's next registration (at once, but asynchronously).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    for (id, what) in [(&sync.msg_id, "sync"), (&asy.msg_id, "async")] {
        let q = loop {
            match admin
                .query_message("RMQ_SYS_TRACE_TOPIC", id, 32, 0, i64::MAX, false)
                .await
            {
                Ok(q) => break q,
                Err(e) if std::time::Instant::now() > deadline => {
                    panic!("{what}: no trace found by msgId: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let body = String::from_utf8(q.message_list[0].raw_body.to_vec()).unwrap();
        let rec = body
            .split('\u{2}')
            .find(|r| r.contains(id.as_str()))
            .unwrap_or_else(|| panic!("{what}: {body:?}"));
        let f: Vec<&str> = rec.split('\u{1}').collect();
        assert_eq!(f.len(), 14, "{rec:?}");
        assert_eq!(
            (f[0], f[2], f[3], f[4], f[5]),
            (
                "Pub",
                "DefaultRegion",
                "traced_pg",
                "TracedTopic",
                id.as_str()
            )
        );
        assert_eq!(f[13], "true");
        found.push((f[6].to_owned(), f[7].to_owned(), f[12].to_owned()));
    }
    assert_eq!(
        found[0],
        ("TagT".into(), "tk1 tk2".into(), sync.offset_msg_id.clone())
    );
    assert_eq!(
        found[1],
        ("null".into(), "null".into(), asy.offset_msg_id.clone())
    );
    // the message's keys are trace keys too; the oneway send left none
    assert!(admin
        .query_message("RMQ_SYS_TRACE_TOPIC", "tk2", 32, 0, i64::MAX, false)
        .await
        .is_ok());
    assert!(admin
        .query_message("RMQ_SYS_TRACE_TOPIC", "tk-oneway", 32, 0, i64::MAX, false)
        .await
        .is_err());
    reader.shutdown().await;
}

/// A cluster dropped without `shutdown` (a test that ends early): its store directory is gone
/// a little later and stays gone, though the producer goes on sending to the stopped broker.
/// (It was removed at once and written again by the still running broker.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_dropped_without_shutdown_leaves_no_store_behind() {
    let c = EmbeddedCluster::start().await.unwrap();
    let dir = c.store_dir().to_owned();
    let p = DefaultMQProducer::new(cfg("dropped", &c.namesrv_addr()));
    p.start().await.unwrap();
    for i in 0..20 {
        p.send(Message::new("DroppedTopic", format!("m{i}")))
            .await
            .unwrap();
    }
    assert!(dir.join("broker-a").join("commitlog").exists());
    drop(c);
    // Sends after the drop fail (the broker is stopping); they must not write a store again.
    for _ in 0..3 {
        let _ = tokio::time::timeout(
            Duration::from_millis(500),
            p.send(Message::new("DroppedTopic", "late")),
        )
        .await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !dir.exists(),
        "{} still there 15 s after the drop",
        dir.display()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !dir.exists(),
        "{} written again after its removal",
        dir.display()
    );
    p.shutdown().await;
}
