//! Transactional messages end to end over TCP against an embedded name server + broker with short
//! check intervals: commit, rollback, check-back of UNKNOW and of a panicking listener, check-back
//! to another producer of the group when the sender died, broker restart between the half message
//! and its commit, and the delay-level refusal.

use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::transaction::TxArg;
use rocklet_client::{
    LocalTransactionState, Message, MessageExt, ProducerConfig, SendStatus, TransactionListener,
    TransactionMQProducer,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use LocalTransactionState::*;

/// Check every 200 ms, a half message may be checked once it is 400 ms old.
async fn cluster() -> EmbeddedCluster {
    EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: vec![
            ("transactionCheckInterval".into(), "200".into()),
            ("transactionTimeOut".into(), "400".into()),
            ("transactionCheckMax".into(), "40".into()),
            ("flushConsumerOffsetInterval".into(), "200".into()),
        ],
        ..Default::default()
    })
    .await
    .unwrap()
}

fn cfg(group: &str, instance: &str, ns: &str) -> ProducerConfig {
    let mut c = ProducerConfig::new(group).with_namesrv(ns);
    c.client.instance_name = instance.into();
    c.client.heartbeat_broker_interval = Duration::from_millis(300);
    c
}

/// A scripted listener that counts its calls.
struct Script {
    execute: LocalTransactionState,
    check: LocalTransactionState,
    panic_in_execute: bool,
    /// While set, `execute_local_transaction` waits (the test restarts the broker meanwhile).
    hold: Arc<AtomicBool>,
    entered: Arc<AtomicBool>,
    executes: Arc<AtomicUsize>,
    checks: Arc<AtomicUsize>,
    seen_arg: Arc<AtomicUsize>,
}

impl Script {
    fn new(execute: LocalTransactionState, check: LocalTransactionState) -> Self {
        Script {
            execute,
            check,
            panic_in_execute: false,
            hold: Arc::new(AtomicBool::new(false)),
            entered: Arc::new(AtomicBool::new(false)),
            executes: Arc::default(),
            checks: Arc::default(),
            seen_arg: Arc::default(),
        }
    }
}

impl TransactionListener for Script {
    fn execute_local_transaction(
        &self,
        msg: &Message,
        arg: Option<&TxArg>,
    ) -> LocalTransactionState {
        assert_eq!(msg.property("TRAN_MSG"), Some("true"));
        assert!(msg.transaction_id.is_some());
        if let Some(n) = arg.and_then(|a| a.downcast_ref::<usize>()) {
            self.seen_arg.store(*n, Ordering::SeqCst);
        }
        self.executes.fetch_add(1, Ordering::SeqCst);
        self.entered.store(true, Ordering::SeqCst);
        while self.hold.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.panic_in_execute {
            panic!("local transaction blew up");
        }
        self.execute
    }
    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        assert_eq!(msg.properties.get("TRAN_MSG"), Some("true"));
        assert!(
            !msg.topic.starts_with("RMQ_SYS"),
            "check body has the real topic"
        );
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.check
    }
}

/// Every message of `topic` (all queues), pulled over TCP.
async fn pull_all(p: &TransactionMQProducer, topic: &str) -> Vec<MessageExt> {
    let admin = p.producer().admin().unwrap();
    let mut out = Vec::new();
    for q in p
        .producer()
        .fetch_publish_message_queues(topic)
        .await
        .unwrap()
    {
        let mut off = 0;
        loop {
            let r = admin.pull("tx_reader", &q, "*", off, 32).await.unwrap();
            if r.msg_found_list.is_empty() {
                break;
            }
            off = r.next_begin_offset;
            out.extend(r.msg_found_list);
        }
    }
    out
}

/// Poll until `topic` holds at least `n` messages (or the deadline passes); returns them.
async fn wait_for(
    p: &TransactionMQProducer,
    topic: &str,
    n: usize,
    within: Duration,
) -> Vec<MessageExt> {
    let end = Instant::now() + within;
    loop {
        let got = pull_all(p, topic).await;
        if got.len() >= n || Instant::now() > end {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_becomes_visible_once() {
    let c = cluster().await;
    let l = Script::new(COMMIT_MESSAGE, ROLLBACK_MESSAGE);
    let (checks, arg) = (l.checks.clone(), l.seen_arg.clone());
    let p = TransactionMQProducer::new(cfg("tx_commit", "commit", &c.namesrv_addr()), l);
    p.start().await.unwrap();
    let t = "TxCommitTopic";
    let r = p
        .send_message_in_transaction(
            Message::new(t, "paid")
                .with_tags("T")
                .with_keys(["order-1"]),
            Some(&7usize),
        )
        .await
        .unwrap();
    assert_eq!(r.send_result.send_status, SendStatus::SEND_OK);
    assert_eq!(r.local_transaction_state, COMMIT_MESSAGE);
    assert_eq!(arg.load(Ordering::SeqCst), 7);
    let got = wait_for(&p, t, 1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.raw_body.as_ref(), b"paid");
    assert_eq!(m.msg_id(), r.send_result.msg_id);
    assert_eq!(m.topic, t);
    assert_eq!(m.queue_id, r.send_result.message_queue.queue_id);
    assert_eq!(m.tags(), Some("T"));
    assert_eq!(m.sys_flag & 0xC, 0x8, "stored as a COMMIT record");
    // Java 4.9.3 keeps the half's properties on the committed message.
    assert_eq!(m.properties.get("REAL_TOPIC"), Some(t));
    assert_eq!(m.properties.get("PGROUP"), Some("tx_commit"));
    // Several check rounds later: still one message, and no check-back was needed.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(pull_all(&p, t).await.len(), 1);
    assert_eq!(checks.load(Ordering::SeqCst), 0);
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_never_becomes_visible() {
    let c = cluster().await;
    let l = Script::new(ROLLBACK_MESSAGE, COMMIT_MESSAGE);
    let checks = l.checks.clone();
    let p = TransactionMQProducer::new(cfg("tx_rollback", "rollback", &c.namesrv_addr()), l);
    p.start().await.unwrap();
    let t = "TxRollbackTopic";
    let r = p
        .send_message_in_transaction(Message::new(t, "cancelled"), None)
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, ROLLBACK_MESSAGE);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(pull_all(&p, t).await.is_empty());
    // The op was recorded, so the check-back (which would commit) never ran.
    assert_eq!(checks.load(Ordering::SeqCst), 0);
    // The half is stored in the half topic, not in the real one.
    let half = c
        .broker(0)
        .unwrap()
        .store()
        .max_offset_in_queue("RMQ_SYS_TRANS_HALF_TOPIC", 0);
    assert!(half >= 1);
    let ops = c
        .broker(0)
        .unwrap()
        .store()
        .max_offset_in_queue("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
    assert_eq!(ops, 1);
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknow_is_resolved_by_the_check_back() {
    let c = cluster().await;
    let l = Script::new(UNKNOW, COMMIT_MESSAGE);
    let checks = l.checks.clone();
    let p = TransactionMQProducer::new(cfg("tx_unknow", "unknow", &c.namesrv_addr()), l);
    p.start().await.unwrap();
    let t = "TxUnknowTopic";
    let r = p
        .send_message_in_transaction(Message::new(t, "pending"), None)
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, UNKNOW);
    assert!(pull_all(&p, t).await.is_empty());
    let got = wait_for(&p, t, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "committed by the check-back");
    assert_eq!(got[0].msg_id(), r.send_result.msg_id);
    assert!(checks.load(Ordering::SeqCst) >= 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(pull_all(&p, t).await.len(), 1);
    let n = checks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        checks.load(Ordering::SeqCst),
        n,
        "no check after the decision"
    );
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_listener_counts_as_unknow() {
    let c = cluster().await;
    let mut l = Script::new(COMMIT_MESSAGE, ROLLBACK_MESSAGE);
    l.panic_in_execute = true;
    let checks = l.checks.clone();
    let p = TransactionMQProducer::new(cfg("tx_panic", "panic", &c.namesrv_addr()), l);
    p.start().await.unwrap();
    let t = "TxPanicTopic";
    let r = p
        .send_message_in_transaction(Message::new(t, "boom"), None)
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, UNKNOW);
    // The check-back rolls it back: never visible.
    let end = Instant::now() + Duration::from_secs(10);
    while checks.load(Ordering::SeqCst) == 0 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(checks.load(Ordering::SeqCst) >= 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(pull_all(&p, t).await.is_empty());
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_producer_is_resolved_by_another_of_its_group() {
    let c = cluster().await;
    let a_listener = Script::new(UNKNOW, ROLLBACK_MESSAGE);
    let a_checks = a_listener.checks.clone();
    let a = TransactionMQProducer::new(cfg("tx_group", "dies", &c.namesrv_addr()), a_listener);
    a.start().await.unwrap();
    let t = "TxFailoverTopic";
    let r = a
        .send_message_in_transaction(Message::new(t, "orphan"), None)
        .await
        .unwrap();
    assert_eq!(r.local_transaction_state, UNKNOW);
    // A dies: its connections drop without unregistering (as a killed process).
    a.producer().instance().unwrap().shutdown();
    let b_listener = Script::new(ROLLBACK_MESSAGE, COMMIT_MESSAGE);
    let b_checks = b_listener.checks.clone();
    let b = TransactionMQProducer::new(cfg("tx_group", "survivor", &c.namesrv_addr()), b_listener);
    b.start().await.unwrap();
    let got = wait_for(&b, t, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "committed by the other producer's check-back");
    assert_eq!(got[0].msg_id(), r.send_result.msg_id);
    assert!(b_checks.load(Ordering::SeqCst) >= 1);
    assert_eq!(a_checks.load(Ordering::SeqCst), 0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(pull_all(&b, t).await.len(), 1);
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_between_half_and_commit_ends_with_one_message() {
    let mut c = cluster().await;
    // Both the producer's own commit and any check-back commit: the broker must keep one.
    let l = Script::new(COMMIT_MESSAGE, COMMIT_MESSAGE);
    l.hold.store(true, Ordering::SeqCst);
    let (hold, entered, checks) = (l.hold.clone(), l.entered.clone(), l.checks.clone());
    let p = Arc::new(TransactionMQProducer::new(
        cfg("tx_restart", "restart", &c.namesrv_addr()),
        l,
    ));
    p.start().await.unwrap();
    let t = "TxRestartTopic";
    let p2 = p.clone();
    let send = tokio::spawn(async move {
        p2.send_message_in_transaction(Message::new(t, "survives"), None)
            .await
    });
    let end = Instant::now() + Duration::from_secs(10);
    while !entered.load(Ordering::SeqCst) && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(entered.load(Ordering::SeqCst), "half message stored");
    c.restart_broker(0).await.unwrap();
    // Let the restarted broker's check service see the (now old) half and ask the producer,
    // whose heartbeat re-registers it, before the local transaction finishes.
    let end = Instant::now() + Duration::from_secs(10);
    while checks.load(Ordering::SeqCst) == 0 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        checks.load(Ordering::SeqCst) >= 1,
        "the restarted broker checked the half back"
    );
    hold.store(false, Ordering::SeqCst);
    let r = send.await.unwrap().unwrap();
    assert_eq!(r.local_transaction_state, COMMIT_MESSAGE);
    let got = wait_for(&p, t, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        pull_all(&p, t).await.len(),
        1,
        "exactly one visible message"
    );
    // The check-back committed a re-put copy, the producer's late commit named the original
    // half: two ops, one message.
    let ops = c
        .broker(0)
        .unwrap()
        .store()
        .max_offset_in_queue("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
    assert!(ops >= 2, "ops {ops}");
    // A second restart replays nothing: the decision and the check progress survived.
    c.restart_broker(0).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = pull_all(&p, t).await;
    assert_eq!(got.len(), 1, "a decided transaction is never replayed");
    assert_eq!(got[0].msg_id(), r.send_result.msg_id);
    p.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_level_is_refused() {
    let c = cluster().await;
    let l = Script::new(COMMIT_MESSAGE, COMMIT_MESSAGE);
    let executes = l.executes.clone();
    let p = TransactionMQProducer::new(cfg("tx_delay", "delay", &c.namesrv_addr()), l);
    p.start().await.unwrap();
    let mut m = Message::new("TxDelayTopic", "later");
    m.set_delay_time_level(3);
    let e = p.send_message_in_transaction(m, None).await.unwrap_err();
    assert!(e.to_string().contains("DelayTimeLevel"), "{e}");
    assert_eq!(executes.load(Ordering::SeqCst), 0);
    p.shutdown().await;
    c.shutdown().await;
}
