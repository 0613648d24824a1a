//! The push consumer against Rocklet's own servers over TCP: delivery and committed offsets,
//! a group of two sharing the queues and one taking over, tag filtering, retries and the DLQ,
//! orderly consumption, broadcasting with the local offset file, and a reset by time.

use rocklet::embedded::EmbeddedCluster;
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, DefaultMQPushConsumer, MessageModel,
    PushConsumerConfig,
};
use rocklet_client::{
    ConsumeFromWhere, DefaultMQProducer, Message, MessageExt, MessageQueue, ProducerConfig,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const TEST_LIMIT: Duration = Duration::from_secs(120);

async fn bounded<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("test took too long");
}

async fn setup(topic: &str) -> (EmbeddedCluster, DefaultMQProducer) {
    let c = EmbeddedCluster::start().await.unwrap();
    let p = DefaultMQProducer::new(ProducerConfig::new("push_p").with_namesrv(c.namesrv_addr()));
    p.start().await.unwrap();
    let admin = p.admin().unwrap();
    admin
        .create_topic("DefaultCluster", topic, 4, 0)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while admin
        .topic_route(topic)
        .await
        .map(|r| r.queue_datas.iter().map(|q| q.read_queue_nums).sum::<i32>())
        .unwrap_or(0)
        < 4
    {
        assert!(Instant::now() < deadline, "route never listed the topic");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (c, p)
}

fn config(c: &EmbeddedCluster, group: &str, instance: &str) -> PushConsumerConfig {
    let mut cfg = PushConsumerConfig::new(group)
        .with_namesrv(c.namesrv_addr())
        .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET);
    cfg.client.instance_name = instance.into();
    // Shutdown waits for the listener calls running then, so their offsets are committed.
    cfg.await_termination_millis_when_shutdown = 3000;
    cfg
}

/// A concurrently consumer sending every message it gets to the returned channel.
fn collecting(
    cfg: PushConsumerConfig,
    topic: &str,
    expr: &str,
) -> (DefaultMQPushConsumer, mpsc::UnboundedReceiver<MessageExt>) {
    let c = DefaultMQPushConsumer::new(cfg);
    c.subscribe(topic, expr).unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    c.register_message_listener_concurrently(move |msgs, _ctx| {
        let tx = tx.clone();
        async move {
            for m in msgs {
                let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
            }
            ConsumeConcurrentlyStatus::CONSUME_SUCCESS
        }
    });
    (c, rx)
}

async fn recv_n(
    rx: &mut mpsc::UnboundedReceiver<MessageExt>,
    n: usize,
    limit: Duration,
) -> Vec<MessageExt> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(m)) => got.push(m),
            _ => break,
        }
    }
    got
}

async fn send_n(
    p: &DefaultMQProducer,
    topic: &str,
    tag: &str,
    n: usize,
) -> HashMap<String, Vec<u8>> {
    let mut sent = HashMap::new();
    for i in 0..n {
        let body = format!("{tag}-{i}");
        let r = p
            .send(
                Message::new(topic, body.clone())
                    .with_tags(tag)
                    .with_keys([format!("k{i}")]),
            )
            .await
            .unwrap();
        sent.insert(r.msg_id, body.into_bytes());
    }
    sent
}

/// The group's committed offsets on the broker, per queue id.
async fn committed(
    p: &DefaultMQProducer,
    c: &EmbeddedCluster,
    group: &str,
    topic: &str,
) -> BTreeMap<i32, (i64, i64)> {
    let admin = p.admin().unwrap();
    let st = admin
        .consume_stats(&c.broker_addrs()[0], group, Some(topic))
        .await
        .unwrap();
    st.offsets
        .iter()
        .map(|(q, o)| (q.queue_id, (o.broker_offset, o.consumer_offset)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrently_consumes_everything_and_commits() {
    bounded(async {
        let t = "PushAll";
        let (cluster, p) = setup(t).await;
        let sent = send_n(&p, t, "A", 60).await;
        let (c, mut rx) = collecting(config(&cluster, "push_all", "i1"), t, "*");
        c.start().await.unwrap();
        let got = recv_n(&mut rx, 60, Duration::from_secs(30)).await;
        assert_eq!(got.len(), 60);
        let mut ids = HashSet::new();
        for m in &got {
            assert_eq!(&m.body().unwrap()[..], &sent[&m.msg_id()][..]);
            assert_eq!(m.topic, t);
            assert!(ids.insert(m.msg_id()), "delivered twice");
        }
        assert_eq!(
            c.assigned_queues().iter().filter(|q| q.topic == t).count(),
            4
        );
        // Shutdown stores the offsets on the broker: each queue's max.
        c.shutdown().await;
        let off = committed(&p, &cluster, "push_all", t).await;
        assert_eq!(off.len(), 4);
        for (q, (broker, consumer)) in &off {
            assert_eq!(broker, consumer, "queue {q}");
        }
        // A new member of the group starts where the first stopped: nothing again.
        let (c2, mut rx2) = collecting(config(&cluster, "push_all", "i2"), t, "*");
        c2.start().await.unwrap();
        assert!(recv_n(&mut rx2, 1, Duration::from_secs(3)).await.is_empty());
        let more = send_n(&p, t, "B", 5).await;
        let got2 = recv_n(&mut rx2, 5, Duration::from_secs(20)).await;
        assert_eq!(got2.len(), 5);
        assert!(got2.iter().all(|m| more.contains_key(&m.msg_id())));
        c2.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_share_the_queues_and_one_takes_over() {
    bounded(async {
        let t = "PushShare";
        let (cluster, p) = setup(t).await;
        let (a, mut rxa) = collecting(config(&cluster, "push_share", "ma"), t, "*");
        let (b, mut rxb) = collecting(config(&cluster, "push_share", "mb"), t, "*");
        a.start().await.unwrap();
        b.start().await.unwrap();
        // Both rebalance (NOTIFY_CONSUMER_IDS_CHANGED): 2 queues each, disjoint.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let qa: HashSet<MessageQueue> = a
                .assigned_queues()
                .into_iter()
                .filter(|q| q.topic == t)
                .collect();
            let qb: HashSet<MessageQueue> = b
                .assigned_queues()
                .into_iter()
                .filter(|q| q.topic == t)
                .collect();
            if qa.len() == 2 && qb.len() == 2 && qa.is_disjoint(&qb) {
                break;
            }
            assert!(Instant::now() < deadline, "never shared: a {qa:?} b {qb:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let sent = send_n(&p, t, "A", 40).await;
        let mut got = recv_n(&mut rxa, 1, Duration::from_secs(10)).await;
        got.extend(recv_n(&mut rxb, 1, Duration::from_secs(10)).await);
        assert_eq!(got.len(), 2, "both members consume");
        // b leaves; a takes every queue and every message arrives.
        b.shutdown().await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while a.assigned_queues().iter().filter(|q| q.topic == t).count() < 4 {
            assert!(Instant::now() < deadline, "a never took all queues");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        while let Ok(m) = rxb.try_recv() {
            got.push(m);
        }
        let more = send_n(&p, t, "B", 20).await;
        let mut ids: HashSet<String> = got.iter().map(|m| m.msg_id()).collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !sent.keys().chain(more.keys()).all(|k| ids.contains(k)) {
            assert!(
                Instant::now() < deadline,
                "lost: {}",
                sent.keys()
                    .chain(more.keys())
                    .filter(|k| !ids.contains(*k))
                    .count()
            );
            if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), rxa.recv()).await
            {
                ids.insert(m.msg_id());
            }
        }
        a.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_filter_and_retries_end_in_the_dlq() {
    bounded(async {
        let t = "PushRetry";
        let (cluster, p) = setup(t).await;
        let mut cfg = config(&cluster, "push_retry", "r1");
        cfg.max_reconsume_times = 2;
        let c = DefaultMQPushConsumer::new(cfg);
        c.subscribe(t, "Keep || Fail").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageExt>();
        c.register_message_listener_concurrently(move |msgs, ctx| {
            let tx = tx.clone();
            async move {
                // 1 s between tries (delay level 1) keeps the test short.
                ctx.set_delay_level_when_next_consume(1);
                let mut fail = false;
                for m in msgs {
                    fail |= m.tags() == Some("Fail");
                    let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
                }
                if fail {
                    ConsumeConcurrentlyStatus::RECONSUME_LATER
                } else {
                    ConsumeConcurrentlyStatus::CONSUME_SUCCESS
                }
            }
        });
        c.start().await.unwrap();
        send_n(&p, t, "Drop", 3).await;
        let keep = send_n(&p, t, "Keep", 3).await;
        let fail = send_n(&p, t, "Fail", 1).await;
        let fail_id = fail.keys().next().unwrap().clone();
        // Keep x3 once, Fail x3 (first try + 2 retries), never Drop.
        let got = recv_n(&mut rx, 6, Duration::from_secs(40)).await;
        assert_eq!(
            got.len(),
            6,
            "{:?}",
            got.iter().map(|m| m.tags()).collect::<Vec<_>>()
        );
        assert!(got.iter().all(|m| m.tags() != Some("Drop")));
        assert_eq!(
            got.iter()
                .filter(|m| keep.contains_key(&m.msg_id()))
                .count(),
            3
        );
        let tries: Vec<&MessageExt> = got.iter().filter(|m| m.tags() == Some("Fail")).collect();
        assert_eq!(tries.len(), 3);
        let times: Vec<i32> = tries.iter().map(|m| m.reconsume_times).collect();
        assert_eq!(times, vec![0, 1, 2]);
        for m in &tries {
            assert_eq!(m.topic, t, "a retry shows the original topic");
            assert_eq!(m.msg_id(), fail_id, "a retry keeps the message id");
        }
        // After maxReconsumeTimes the message is in %DLQ%push_retry.
        let admin = p.admin().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let dlq = MessageQueue::new("%DLQ%push_retry", cluster_broker_name(&p).await, 0);
            if admin.max_offset(&dlq).await.unwrap_or(0) == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "never reached the DLQ");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(
            recv_n(&mut rx, 1, Duration::from_secs(3)).await.is_empty(),
            "consumed after the DLQ"
        );
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

async fn cluster_broker_name(p: &DefaultMQProducer) -> String {
    let r = p.admin().unwrap().topic_route("TBW102").await.unwrap();
    r.broker_datas[0].broker_name.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_keeps_queue_order_and_suspends() {
    bounded(async {
        let t = "PushOrderly";
        let (cluster, p) = setup(t).await;
        let mut order: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for i in 0..40 {
            let key = i % 4;
            let body = format!("o{key}-{i}");
            let r = p
                .send_with_selector(
                    Message::new(t, body.clone()),
                    &rocklet_client::SelectByHash,
                    &key,
                )
                .await
                .unwrap();
            order
                .entry(r.message_queue.queue_id)
                .or_default()
                .push(body);
        }
        let c = DefaultMQPushConsumer::new(config(&cluster, "push_orderly", "o1"));
        c.subscribe(t, "*").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageExt>();
        let failed_once = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        c.register_message_listener_orderly(move |msgs, ctx| {
            let tx = tx.clone();
            let failed_once = failed_once.clone();
            async move {
                // The 5th message of queue 0 fails once: the queue pauses and it comes again.
                if msgs[0].queue_id == 0
                    && msgs[0].queue_offset == 4
                    && !failed_once.swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    ctx.set_suspend_current_queue_time_millis(200);
                    return ConsumeOrderlyStatus::SUSPEND_CURRENT_QUEUE_A_MOMENT;
                }
                for m in msgs {
                    let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
                }
                ConsumeOrderlyStatus::SUCCESS
            }
        });
        c.start().await.unwrap();
        let got = recv_n(&mut rx, 40, Duration::from_secs(40)).await;
        assert_eq!(got.len(), 40);
        let mut per_queue: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for m in &got {
            per_queue
                .entry(m.queue_id)
                .or_default()
                .push(String::from_utf8_lossy(&m.body().unwrap()).into_owned());
        }
        assert_eq!(per_queue, order, "per-queue order");
        let again = got
            .iter()
            .find(|m| m.queue_id == 0 && m.queue_offset == 4)
            .unwrap();
        assert_eq!(again.reconsume_times, 1, "the suspended message came again");
        c.shutdown().await;
        let off = committed(&p, &cluster, "push_orderly", t).await;
        assert!(off.values().all(|(b, c)| b == c), "{off:?}");
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_gives_everyone_everything_and_keeps_a_local_file() {
    bounded(async {
        let t = "PushBroadcast";
        let (cluster, p) = setup(t).await;
        let dir = tempfile::tempdir().unwrap();
        let bcfg = |inst: &str| {
            let mut cfg =
                config(&cluster, "push_bc", inst).with_message_model(MessageModel::BROADCASTING);
            cfg.local_offset_store_dir = Some(dir.path().to_path_buf());
            cfg
        };
        let (a, mut rxa) = collecting(bcfg("bca"), t, "*");
        let (b, mut rxb) = collecting(bcfg("bcb"), t, "*");
        a.start().await.unwrap();
        b.start().await.unwrap();
        let sent = send_n(&p, t, "A", 20).await;
        for rx in [&mut rxa, &mut rxb] {
            let got = recv_n(rx, 20, Duration::from_secs(30)).await;
            let ids: HashSet<String> = got.iter().map(|m| m.msg_id()).collect();
            assert_eq!(ids.len(), 20);
            assert!(sent.keys().all(|k| ids.contains(k)));
        }
        let file = a.local_offset_file().unwrap();
        a.shutdown().await;
        b.shutdown().await;
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("\"offsetTable\""), "{text}");
        assert!(file.ends_with("push_bc/offsets.json"), "{}", file.display());
        // Restarted with the same instance name: the file says where it was; only new messages.
        let (a2, mut rxa2) = collecting(bcfg("bca"), t, "*");
        a2.start().await.unwrap();
        let more = send_n(&p, t, "B", 4).await;
        let got = recv_n(&mut rxa2, 5, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 4, "old messages again after a restart");
        assert!(got.iter().all(|m| more.contains_key(&m.msg_id())));
        a2.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_offset_by_time_while_running_consumes_again() {
    bounded(async {
        let t = "PushReset";
        let (cluster, p) = setup(t).await;
        let (c, mut rx) = collecting(config(&cluster, "push_reset", "rs1"), t, "*");
        c.start().await.unwrap();
        let sent = send_n(&p, t, "A", 12).await;
        assert_eq!(recv_n(&mut rx, 12, Duration::from_secs(30)).await.len(), 12);
        // Wait for the commit (persisted every 5 s), then reset the group to time 0.
        let deadline = Instant::now() + Duration::from_secs(15);
        while committed(&p, &cluster, "push_reset", t)
            .await
            .values()
            .map(|(_, c)| *c)
            .sum::<i64>()
            < 12
        {
            assert!(Instant::now() < deadline, "never committed");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let admin = p.admin().unwrap();
        let reset = admin
            .reset_offset_by_time(&cluster.broker_addrs()[0], t, "push_reset", 0, true)
            .await
            .unwrap();
        assert_eq!(reset.len(), 4);
        let again = recv_n(&mut rx, 12, Duration::from_secs(40)).await;
        let ids: HashSet<String> = again.iter().map(|m| m.msg_id()).collect();
        assert_eq!(ids.len(), 12, "every message again after the reset");
        assert!(sent.keys().all(|k| ids.contains(k)));
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_with_javas_texts() {
    let mut cfg = PushConsumerConfig::new("g1").with_namesrv("127.0.0.1:1");
    cfg.pull_batch_size = 0;
    let c = DefaultMQPushConsumer::new(cfg);
    c.register_message_listener_concurrently(|_, _| async {
        ConsumeConcurrentlyStatus::CONSUME_SUCCESS
    });
    let e = c.start().await.unwrap_err().to_string();
    assert!(e.contains("pullBatchSize Out of range [1, 1024]"), "{e}");
    let c = DefaultMQPushConsumer::new(PushConsumerConfig::new("g2").with_namesrv("127.0.0.1:1"));
    let e = c.start().await.unwrap_err().to_string();
    assert!(e.contains("messageListener is null"), "{e}");
    let c = DefaultMQPushConsumer::new(PushConsumerConfig::default());
    c.register_message_listener_concurrently(|_, _| async {
        ConsumeConcurrentlyStatus::CONSUME_SUCCESS
    });
    let e = c.start().await.unwrap_err().to_string();
    assert!(
        e.contains("consumerGroup can not equal DEFAULT_CONSUMER"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_reaches_the_consumer_running_info_and_consume_directly() {
    bounded(async {
        let t = "PushCalls";
        let (cluster, p) = setup(t).await;
        let (c, mut rx) = collecting(config(&cluster, "push_calls", "pc1"), t, "TagX");
        c.start().await.unwrap();
        let sent = send_n(&p, t, "TagX", 4).await;
        assert_eq!(recv_n(&mut rx, 4, Duration::from_secs(20)).await.len(), 4);
        let admin = p.admin().unwrap();
        let broker = cluster.broker_addrs()[0].clone();
        let conn = admin
            .consumer_connection(&broker, "push_calls")
            .await
            .unwrap();
        let cid = conn.connection_set[0].client_id.clone();
        // GET_CONSUMER_RUNNING_INFO: settings, subscriptions, one entry per assigned queue.
        let info = admin
            .consumer_running_info(&broker, "push_calls", &cid)
            .await
            .unwrap();
        assert_eq!(info.properties["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");
        assert_eq!(info.properties["consumerGroup"], "push_calls");
        assert_eq!(info.properties["pullBatchSize"], "32");
        let topics: HashSet<&str> = info
            .subscriptions
            .iter()
            .map(|s| s.topic.as_str())
            .collect();
        assert!(
            topics.contains(t) && topics.contains("%RETRY%push_calls"),
            "{topics:?}"
        );
        assert_eq!(
            info.mq_table.iter().filter(|(q, _)| q.topic == t).count(),
            4
        );
        // CONSUME_MESSAGE_DIRECTLY: the listener gets the stored message once more.
        let view = admin
            .view_message_by_topic(t, sent.keys().next().unwrap())
            .await
            .unwrap();
        let r = admin
            .consume_message_directly(&broker, "push_calls", &cid, &view.offset_msg_id())
            .await
            .unwrap();
        assert_eq!(r.consume_result.as_deref(), Some("CR_SUCCESS"));
        assert!(!r.order);
        let again = recv_n(&mut rx, 1, Duration::from_secs(10)).await;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].msg_id(), view.msg_id());
        // An unknown client: the broker's refusal.
        assert!(admin
            .consumer_running_info(&broker, "push_calls", "127.0.0.1@nobody")
            .await
            .is_err());
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_listener_counts_as_reconsume_later() {
    bounded(async {
        let t = "PushPanic";
        let (cluster, p) = setup(t).await;
        let c = DefaultMQPushConsumer::new(config(&cluster, "push_panic", "pp1"));
        c.subscribe(t, "*").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageExt>();
        c.register_message_listener_concurrently(move |msgs, ctx| {
            let tx = tx.clone();
            async move {
                ctx.set_delay_level_when_next_consume(1);
                for m in msgs {
                    let first = m.reconsume_times == 0;
                    let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
                    if first {
                        panic!("listener failure on a first delivery");
                    }
                }
                ConsumeConcurrentlyStatus::CONSUME_SUCCESS
            }
        });
        c.start().await.unwrap();
        let sent = send_n(&p, t, "A", 2).await;
        let got = recv_n(&mut rx, 4, Duration::from_secs(30)).await;
        assert_eq!(got.len(), 4, "each message once failed, once retried");
        for id in sent.keys() {
            let mut times: Vec<i32> = got
                .iter()
                .filter(|m| &m.msg_id() == id)
                .map(|m| m.reconsume_times)
                .collect();
            times.sort();
            assert_eq!(times, vec![0, 1], "{id}");
        }
        assert!(recv_n(&mut rx, 1, Duration::from_secs(2)).await.is_empty());
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}
