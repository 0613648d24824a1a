//! The lite pull consumer (ASSIGN mode) against Rocklet's own servers over TCP: delivery,
//! commits, seeks, pause/resume, a second consumer of the group, long polling and the bounded
//! cache.

use rocklet::embedded::EmbeddedCluster;
use rocklet_client::{
    ConsumeFromWhere, DefaultLitePullConsumer, DefaultMQProducer, LitePullConsumerConfig, Message,
    MessageExt, MessageQueue, ProducerConfig,
};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

/// Every test gives up after this long.
const TEST_LIMIT: Duration = Duration::from_secs(90);

async fn bounded<F: Future<Output = ()>>(f: F) {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("test took too long");
}

/// A cluster, a started producer and `topic` created with 4 queues (and in the route).
async fn setup(topic: &str) -> (EmbeddedCluster, DefaultMQProducer) {
    let c = EmbeddedCluster::start().await.unwrap();
    let p =
        DefaultMQProducer::new(ProducerConfig::new("lite_pull_p").with_namesrv(c.namesrv_addr()));
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

fn consumer(
    c: &EmbeddedCluster,
    group: &str,
    f: impl FnOnce(&mut LitePullConsumerConfig),
) -> DefaultLitePullConsumer {
    let mut cfg = LitePullConsumerConfig::new(group).with_namesrv(c.namesrv_addr());
    cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET;
    f(&mut cfg);
    DefaultLitePullConsumer::new(cfg)
}

/// Send `n` messages (bodies `body-i`, keys `key-i`); their msgId -> (body, keys).
async fn send_n(
    p: &DefaultMQProducer,
    topic: &str,
    n: usize,
) -> HashMap<String, (Vec<u8>, String)> {
    let mut sent = HashMap::new();
    for i in 0..n {
        let r = p
            .send(
                Message::new(topic, format!("body-{i}"))
                    .with_tags("T")
                    .with_keys([format!("key-{i}")]),
            )
            .await
            .unwrap();
        sent.insert(
            r.msg_id,
            (format!("body-{i}").into_bytes(), format!("key-{i}")),
        );
    }
    sent
}

/// Poll until `n` messages came (or `limit` passed).
async fn poll_n(c: &DefaultLitePullConsumer, n: usize, limit: Duration) -> Vec<MessageExt> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < deadline {
        got.extend(c.poll(Duration::from_millis(500)).await.unwrap());
    }
    got
}

/// Poll for `d`, returning whatever came.
async fn poll_for(c: &DefaultLitePullConsumer, d: Duration) -> Vec<MessageExt> {
    let deadline = Instant::now() + d;
    let mut got = Vec::new();
    while Instant::now() < deadline {
        got.extend(c.poll(Duration::from_millis(200)).await.unwrap());
    }
    got
}

fn of_queue<'a>(msgs: &'a [MessageExt], mq: &MessageQueue) -> Vec<&'a MessageExt> {
    msgs.iter().filter(|m| m.queue_id == mq.queue_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assign_poll_commit_seek_pause_resume() {
    bounded(async {
        let t = "LiteAssign";
        let (cluster, p) = setup(t).await;
        let sent = send_n(&p, t, 40).await;
        let c = consumer(&cluster, "lite_assign", |cfg| cfg.auto_commit = false);
        c.start().await.unwrap();
        let mqs = c.fetch_message_queues(t).await.unwrap();
        assert_eq!(mqs.len(), 4);
        c.assign(mqs.clone()).unwrap();

        // Every message arrives once, intact, each queue in offset order.
        let got = poll_n(&c, 40, Duration::from_secs(20)).await;
        assert_eq!(got.len(), 40);
        let mut seen = HashMap::new();
        let mut last: BTreeMap<i32, i64> = BTreeMap::new();
        for m in &got {
            let (body, key) = &sent[&m.msg_id()];
            assert_eq!(&m.body().unwrap()[..], &body[..]);
            assert_eq!(m.keys(), Some(key.as_str()));
            assert_eq!(m.tags(), Some("T"));
            assert!(seen.insert(m.msg_id(), ()).is_none(), "delivered twice");
            let prev = last.insert(m.queue_id, m.queue_offset).unwrap_or(-1);
            assert!(
                m.queue_offset > prev,
                "out of order in queue {}",
                m.queue_id
            );
        }
        assert!(poll_for(&c, Duration::from_millis(500)).await.is_empty());

        // commitSync: the broker has each queue's max offset.
        let admin = p.admin().unwrap();
        let mut max = HashMap::new();
        for q in &mqs {
            max.insert(q.queue_id, admin.max_offset(q).await.unwrap());
        }
        assert_eq!(max.values().sum::<i64>(), 40);
        c.commit_sync().await.unwrap();
        for q in &mqs {
            assert_eq!(c.committed(q).await.unwrap(), max[&q.queue_id], "{q}");
        }

        // seekToBegin re-delivers exactly that queue's messages.
        let q0 = &mqs[0];
        c.seek_to_begin(q0).await.unwrap();
        let again = poll_n(&c, max[&q0.queue_id] as usize, Duration::from_secs(10)).await;
        assert_eq!(again.len() as i64, max[&q0.queue_id]);
        assert_eq!(of_queue(&again, q0).len(), again.len());
        assert_eq!(again[0].queue_offset, 0);

        // seek(mq, k) delivers from k.
        let q1 = &mqs[1];
        let k = max[&q1.queue_id] - 3;
        c.seek(q1, k).await.unwrap();
        let from_k = poll_n(&c, 3, Duration::from_secs(10)).await;
        let offsets: Vec<i64> = from_k.iter().map(|m| m.queue_offset).collect();
        assert_eq!(offsets, (k..k + 3).collect::<Vec<_>>());
        assert!(from_k.iter().all(|m| m.queue_id == q1.queue_id));
        // A seek outside the queue is refused.
        assert!(c.seek(q1, max[&q1.queue_id] + 1).await.is_err());

        // pause stops deliveries from a queue; resume restarts them.
        let q2 = &mqs[2];
        c.pause(std::slice::from_ref(q2));
        for i in 0..5 {
            p.send_to_queue(Message::new(t, format!("paused-{i}")), q2)
                .await
                .unwrap();
        }
        assert!(poll_for(&c, Duration::from_millis(1500)).await.is_empty());
        assert_eq!(c.cached_count(q2), 0);
        c.resume(std::slice::from_ref(q2));
        let resumed = poll_n(&c, 5, Duration::from_secs(10)).await;
        let bodies: Vec<String> = resumed
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body().unwrap()).into_owned())
            .collect();
        assert_eq!(
            bodies,
            (0..5).map(|i| format!("paused-{i}")).collect::<Vec<_>>()
        );

        // seekToEnd skips what is there; only later messages come.
        let q3 = &mqs[3];
        c.seek(q3, 0).await.unwrap();
        c.seek_to_end(q3).await.unwrap();
        assert!(poll_for(&c, Duration::from_millis(1000)).await.is_empty());
        let r = p
            .send_to_queue(Message::new(t, "after-end"), q3)
            .await
            .unwrap();
        let got = poll_n(&c, 1, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].msg_id(), r.msg_id);

        // offsetForTimestamp: the first message stored at or after the time.
        assert_eq!(c.offset_for_timestamp(q3, 0).await.unwrap(), 0);
        assert_eq!(
            c.offset_for_timestamp(q3, got[0].store_timestamp)
                .await
                .unwrap(),
            got[0].queue_offset
        );

        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_consumer_of_the_group_continues_from_committed_offsets() {
    bounded(async {
        let t = "LiteGroup";
        let (cluster, p) = setup(t).await;
        send_n(&p, t, 20).await;
        // Auto commit, with the default CONSUME_FROM_LAST_OFFSET: the broker answers offset 0
        // for a new group on queues still starting at 0 in memory, so all 20 come.
        let c1 = consumer(&cluster, "lite_group", |cfg| {
            cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_LAST_OFFSET;
            cfg.auto_commit_interval_millis = 200;
        });
        c1.start().await.unwrap();
        let mqs = c1.fetch_message_queues(t).await.unwrap();
        c1.assign(mqs.clone()).unwrap();
        assert_eq!(poll_n(&c1, 20, Duration::from_secs(20)).await.len(), 20);
        // The periodic auto commit reaches the broker without a commit call.
        let admin = p.admin().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        for q in &mqs {
            let max = admin.max_offset(q).await.unwrap();
            while c1.committed(q).await.unwrap() != max {
                assert!(Instant::now() < deadline, "auto commit never reached {q}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        c1.shutdown().await;

        let c2 = consumer(&cluster, "lite_group", |_| {});
        c2.start().await.unwrap();
        c2.assign(mqs.clone()).unwrap();
        for q in &mqs {
            assert_eq!(
                c2.committed(q).await.unwrap(),
                admin.max_offset(q).await.unwrap()
            );
        }
        assert!(poll_for(&c2, Duration::from_millis(1500)).await.is_empty());
        let r = p.send(Message::new(t, "new")).await.unwrap();
        let got = poll_n(&c2, 1, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].msg_id(), r.msg_id);
        c2.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polling_delivers_soon_after_the_send() {
    bounded(async {
        let t = "LiteLongPoll";
        let (cluster, p) = setup(t).await;
        let c = consumer(&cluster, "lite_long_poll", |_| {});
        c.start().await.unwrap();
        let mqs = c.fetch_message_queues(t).await.unwrap();
        c.assign(mqs).unwrap();
        // Let every queue's pull reach the broker and be held there.
        assert!(poll_for(&c, Duration::from_millis(1500)).await.is_empty());
        let c2 = c.clone();
        let poller = tokio::spawn(async move {
            let r = c2.poll(Duration::from_secs(15)).await.unwrap();
            (r, Instant::now())
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let sent_at = Instant::now();
        let r = p.send(Message::new(t, "wake up")).await.unwrap();
        let (got, at) = poller.await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].msg_id(), r.msg_id);
        let waited = at - sent_at;
        assert!(waited < Duration::from_millis(1500), "took {waited:?}");
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_is_bounded_per_queue() {
    bounded(async {
        let t = "LiteBounded";
        let (cluster, p) = setup(t).await;
        let admin = p.admin().unwrap();
        let route = admin.topic_route(t).await.unwrap();
        let q = MessageQueue::new(t, route.queue_datas[0].broker_name.clone(), 0);
        for i in 0..1000 {
            p.send_to_queue(Message::new(t, format!("m-{i}")), &q)
                .await
                .unwrap();
        }
        assert_eq!(admin.max_offset(&q).await.unwrap(), 1000);
        let c = consumer(&cluster, "lite_bounded", |cfg| {
            cfg.pull_threshold_for_queue = 10;
            cfg.auto_commit = false;
        });
        // Assigned before start: the pull task starts with the consumer.
        c.assign(vec![q.clone()]).unwrap();
        c.start().await.unwrap();
        // Nothing polls: the pull task fills the cache and stops.
        let deadline = Instant::now() + Duration::from_secs(10);
        while c.cached_count(&q) == 0 {
            assert!(Instant::now() < deadline, "nothing was pulled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut most = 0;
        for _ in 0..20 {
            most = most.max(c.cached_count(&q));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(most > 0 && most <= 10 + 10, "cached {most}");
        // Polling delivers in order, the cache staying bounded.
        let mut next = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while next < 100 {
            assert!(Instant::now() < deadline, "stuck at {next}");
            for m in c.poll(Duration::from_millis(500)).await.unwrap() {
                assert_eq!(m.queue_offset, next);
                next += 1;
            }
            assert!(c.cached_count(&q) <= 20, "cached {}", c.cached_count(&q));
        }
        // A seek while the cache is full (and a pull may be in flight): nothing from before the
        // seek is delivered after it.
        let deadline = Instant::now() + Duration::from_secs(10);
        while c.cached_count(&q) <= 10 {
            assert!(Instant::now() < deadline, "the cache never refilled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        c.seek(&q, 500).await.unwrap();
        assert_eq!(c.cached_count(&q), 0);
        let mut next = 500;
        while next < 1000 {
            assert!(
                Instant::now() < deadline + Duration::from_secs(30),
                "stuck at {next}"
            );
            for m in c.poll(Duration::from_millis(500)).await.unwrap() {
                assert_eq!(m.queue_offset, next);
                assert_eq!(&m.body().unwrap()[..], format!("m-{next}").as_bytes());
                next += 1;
            }
            assert!(c.cached_count(&q) <= 20, "cached {}", c.cached_count(&q));
        }
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_register_the_consumer_group() {
    bounded(async {
        let t = "LiteHeartbeat";
        let (cluster, p) = setup(t).await;
        let admin = p.admin().unwrap();
        let broker = cluster.broker_addrs()[0].clone();
        let c = consumer(&cluster, "lite_hb", |cfg| {
            cfg.client.instance_name = "lite_hb_shared".into()
        });
        c.start().await.unwrap();
        // One group per client instance, as Java's registerConsumer.
        let dup = consumer(&cluster, "lite_hb", |cfg| {
            cfg.client.instance_name = "lite_hb_shared".into()
        });
        assert!(dup.start().await.is_err());
        c.assign(c.fetch_message_queues(t).await.unwrap()).unwrap();
        let id = c.instance().unwrap().client_id().to_owned();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(cc) = admin.consumer_connection(&broker, "lite_hb").await {
                if cc.connection_set.iter().any(|x| x.client_id == id) {
                    assert_eq!(cc.consume_type.as_deref(), Some("CONSUME_ACTIVELY"));
                    assert_eq!(cc.message_model.as_deref(), Some("CLUSTERING"));
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the broker never listed the consumer"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.shutdown().await;
        // UNREGISTER_CLIENT removed it.
        let gone = admin
            .consumer_connection(&broker, "lite_hb")
            .await
            .map(|cc| cc.connection_set.iter().all(|x| x.client_id != id))
            .unwrap_or(true);
        assert!(gone);
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_is_bounded_by_size_too() {
    bounded(async {
        let t = "LiteBoundedSize";
        let (cluster, p) = setup(t).await;
        let route = p.admin().unwrap().topic_route(t).await.unwrap();
        let q = MessageQueue::new(t, route.queue_datas[0].broker_name.clone(), 0);
        // 40 bodies of 256 KiB (10 MiB) waiting.
        let body = vec![b'x'; 256 * 1024];
        for _ in 0..40 {
            p.send_to_queue(Message::new(t, body.clone()), &q)
                .await
                .unwrap();
        }
        let c = consumer(&cluster, "lite_bounded_size", |cfg| {
            // Pull while under 1 MiB cached: at most 1 MiB plus one batch of 4.
            cfg.pull_threshold_size_for_queue = 0;
            cfg.pull_batch_size = 4;
            cfg.auto_commit = false;
        });
        c.assign(vec![q.clone()]).unwrap();
        c.start().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while c.cached_count(&q) == 0 {
            assert!(Instant::now() < deadline, "nothing was pulled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cached = c.cached_count(&q);
        assert!((4..=3 + 4).contains(&cached), "cached {cached}");
        let got = poll_n(&c, 40, Duration::from_secs(20)).await;
        assert_eq!(got.len(), 40);
        assert!(got.iter().all(|m| m.body().unwrap().len() == body.len()));
        c.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_a_waiting_poll_and_later_calls_fail() {
    bounded(async {
        let t = "LiteShutdown";
        let (cluster, p) = setup(t).await;
        let c = consumer(&cluster, "lite_shutdown", |_| {});
        assert!(
            c.poll(Duration::from_millis(10)).await.is_err(),
            "not started"
        );
        c.start().await.unwrap();
        assert!(c.start().await.is_err(), "started twice");
        c.assign(c.fetch_message_queues(t).await.unwrap()).unwrap();
        let c2 = c.clone();
        let waiting = tokio::spawn(async move { c2.poll(Duration::from_secs(30)).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t0 = Instant::now();
        c.shutdown().await;
        let r = waiting.await.unwrap().unwrap();
        assert!(r.is_empty());
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert!(c.poll(Duration::from_millis(10)).await.is_err());
        assert!(c.instance().is_none());
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_mode_shares_the_queues_and_filters_tags() {
    bounded(async {
        let t = "LiteSubscribe";
        let (cluster, p) = setup(t).await;
        let a = consumer(&cluster, "lite_sub", |cfg| {
            cfg.client.instance_name = "lsa".into();
            cfg.auto_commit_interval_millis = 500;
        });
        let b = consumer(&cluster, "lite_sub", |cfg| {
            cfg.client.instance_name = "lsb".into();
            cfg.auto_commit_interval_millis = 500;
        });
        a.subscribe(t, "T || U").unwrap();
        b.subscribe(t, "T || U").unwrap();
        // Subscribe and assign do not mix.
        let e = a.assign(vec![MessageQueue::new(t, "x", 0)]).unwrap_err();
        assert!(e.to_string().contains("mutually exclusive"), "{e}");
        a.start().await.unwrap();
        b.start().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (qa, qb) = (a.assignment(), b.assignment());
            if qa.len() == 2 && qb.len() == 2 && qa.iter().all(|q| !qb.contains(q)) {
                break;
            }
            assert!(Instant::now() < deadline, "never shared: {qa:?} {qb:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let sent = send_n(&p, t, 40).await; // tag T
        for i in 0..5 {
            p.send(Message::new(t, format!("other-{i}")).with_tags("V"))
                .await
                .unwrap();
        }
        let mut ids = std::collections::HashSet::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let (mut from_a, mut from_b) = (0, 0);
        while ids.len() < 40 && Instant::now() < deadline {
            for m in a.poll(Duration::from_millis(200)).await.unwrap() {
                assert_eq!(m.tags(), Some("T"));
                ids.insert(m.msg_id());
                from_a += 1;
            }
            for m in b.poll(Duration::from_millis(200)).await.unwrap() {
                assert_eq!(m.tags(), Some("T"));
                ids.insert(m.msg_id());
                from_b += 1;
            }
        }
        assert_eq!(ids.len(), 40);
        assert!(sent.keys().all(|k| ids.contains(k)));
        assert!(from_a > 0 && from_b > 0, "a {from_a} b {from_b}");
        // b leaves (committing); a takes all four queues and gets only what is new.
        tokio::time::sleep(Duration::from_millis(800)).await;
        b.shutdown().await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while a.assignment().len() < 4 {
            assert!(Instant::now() < deadline, "a never took all queues");
            let _ = a.poll(Duration::from_millis(200)).await.unwrap();
        }
        let more = send_n(&p, t, 8).await;
        let got = poll_n(&a, 8, Duration::from_secs(20)).await;
        let got_ids: std::collections::HashSet<String> = got.iter().map(|m| m.msg_id()).collect();
        assert!(
            more.keys().all(|k| got_ids.contains(k)),
            "new messages missing"
        );
        assert_eq!(
            got.len(),
            8,
            "old messages delivered again after the rebalance"
        );
        a.shutdown().await;
        p.shutdown().await;
        cluster.shutdown().await;
    })
    .await;
}
