//! Transactional messages on the wire, with a raw remoting client playing the producer: half
//! storage, END_TRANSACTION validation, CHECK_TRANSACTION_STATE header and body, check counting
//! and discard, and check progress persisted as the consumer offsets of CID_RMQ_SYS_TRANS.

use bytes::Bytes;
use rocklet_broker::{Broker, BrokerConfig};
use rocklet_protocol::body::{encode_json, HeartbeatData, ProducerData};
use rocklet_protocol::header::*;
use rocklet_protocol::message::{MessageExt, Properties};
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::RemotingClient;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(5);
const HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";

fn config(dir: &Path, check_max: i32) -> BrokerConfig {
    BrokerConfig {
        broker_name: "broker-t".into(),
        namesrv_addr: None,
        listen_port: 0,
        bind_addr: [127, 0, 0, 1].into(),
        broker_ip1: [127, 0, 0, 1].into(),
        store_path_root_dir: dir.to_path_buf(),
        mapped_file_size_commit_log: 1024 * 1024,
        mapped_file_size_consume_queue: 1000 * 20,
        max_message_size: 128 * 1024,
        flush_consumer_offset_interval: 100,
        // Checks are driven by the test (`check_transactions_now`).
        transaction_check_interval: 3_600_000,
        transaction_time_out: 0,
        transaction_check_max: check_max,
        ..BrokerConfig::default()
    }
}

use rocklet_protocol::time::now_ms;

fn half_send(topic: &str, queue_id: i32, group: &str, uniq: &str) -> RemotingCommand {
    let mut p = Properties::default();
    p.insert("TAGS", "TagA");
    p.insert("UNIQ_KEY", uniq);
    p.insert("WAIT", "true");
    p.insert("TRAN_MSG", "true");
    p.insert("PGROUP", group);
    let h = SendMessageRequestHeader {
        producer_group: group.into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0x4,
        born_timestamp: now_ms() - 10_000,
        flag: 0,
        properties: Some(p.encode()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        max_reconsume_times: None,
    };
    RemotingCommand::request(RequestCode::SEND_MESSAGE, &h).with_body(b"half".to_vec())
}

fn end_tx(
    group: &str,
    sent: &SendMessageResponseHeader,
    state: i32,
    from_check: bool,
) -> RemotingCommand {
    let (_, off) = decode_offset_msg_id(&sent.msg_id).unwrap();
    RemotingCommand::request(
        RequestCode::END_TRANSACTION,
        &EndTransactionRequestHeader {
            producer_group: group.into(),
            tran_state_table_offset: sent.queue_offset,
            commit_log_offset: off,
            commit_or_rollback: state,
            from_transaction_check: Some(from_check),
            msg_id: "x".into(),
            transaction_id: None,
        },
    )
}

/// A raw client registered as a producer of `group`; server pushes land in the channel.
async fn producer(
    addr: &str,
    group: &str,
) -> (RemotingClient, mpsc::UnboundedReceiver<RemotingCommand>) {
    let c = RemotingClient::default();
    let (tx, rx) = mpsc::unbounded_channel();
    c.set_request_handler(Arc::new(
        move |cmd: RemotingCommand, _reply: mpsc::Sender<Bytes>| {
            let _ = tx.send(cmd);
        },
    ));
    let hb = HeartbeatData {
        client_id: format!("127.0.0.1@{group}"),
        consumer_data_set: Vec::new(),
        producer_data_set: vec![ProducerData {
            group_name: group.into(),
        }],
    };
    let r = c
        .invoke(
            addr,
            RemotingCommand::request_bare(RequestCode::HEART_BEAT).with_body(encode_json(&hb)),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    (c, rx)
}

/// One check round, after the clock moved on (a round skips halves stored in its own ms).
async fn check(b: &Broker) {
    tokio::time::sleep(Duration::from_millis(5)).await;
    b.check_transactions_now().await;
}

async fn call(c: &RemotingClient, addr: &str, cmd: RemotingCommand) -> RemotingCommand {
    c.invoke(addr, cmd, T).await.unwrap()
}

#[tokio::test]
async fn half_end_transaction_checks_and_discard() {
    let dir = tempfile::tempdir().unwrap();
    let b = Broker::start(config(dir.path(), 2)).await.unwrap();
    let addr = b.local_addr().to_string();
    let (c, mut checks) = producer(&addr, "pg_tx").await;

    // The half goes to the half topic, queue 0, with REAL_TOPIC / REAL_QID, sysFlag reset.
    let r = call(&c, &addr, half_send("TxT", 2, "pg_tx", "U1")).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let sent: SendMessageResponseHeader = r.header().unwrap();
    assert_eq!(sent.queue_id, 2);
    assert_eq!(sent.queue_offset, 0);
    assert_eq!(b.store().max_offset_in_queue("TxT", 2), 0, "invisible");
    let (_, off) = decode_offset_msg_id(&sent.msg_id).unwrap();
    let (half, _) = MessageExt::decode(&b.store().look_message_by_offset(off).unwrap()).unwrap();
    assert_eq!(half.topic, HALF);
    assert_eq!(half.queue_id, 0);
    assert_eq!(half.sys_flag & 0xC, 0);
    assert_eq!(half.properties.get("REAL_TOPIC"), Some("TxT"));
    assert_eq!(half.properties.get("REAL_QID"), Some("2"));

    // END_TRANSACTION validation (Java `checkPrepareMessage` remarks).
    let r = call(&c, &addr, end_tx("other", &sent, 0x8, false)).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert_eq!(r.remark.as_deref(), Some("The producer group wrong"));
    let mut wrong = sent.clone();
    wrong.queue_offset = 5;
    let r = call(&c, &addr, end_tx("pg_tx", &wrong, 0x8, false)).await;
    assert_eq!(
        r.remark.as_deref(),
        Some("The transaction state table offset wrong")
    );

    // First check: re-put with TRANSACTION_CHECK_TIMES=1, CHECK_TRANSACTION_STATE pushed.
    check(&b).await;
    let cmd = tokio::time::timeout(T, checks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cmd.code, RequestCode::CHECK_TRANSACTION_STATE.as_i32());
    assert!(cmd.is_oneway());
    let h: CheckTransactionStateRequestHeader = cmd.header().unwrap();
    let (m, _) = MessageExt::decode(cmd.body_bytes()).unwrap();
    assert_eq!(m.topic, "TxT", "body carries the real topic");
    assert_eq!(m.queue_id, 2);
    assert_eq!(m.properties.get("TRANSACTION_CHECK_TIMES"), Some("1"));
    assert_eq!(h.tran_state_table_offset, 1, "the re-put copy");
    assert_eq!(h.commit_log_offset, m.commit_log_offset);
    assert_eq!(h.msg_id.as_deref(), Some("U1"));
    assert_eq!(h.transaction_id.as_deref(), Some("U1"));
    assert_eq!(h.offset_msg_id, Some(m.offset_msg_id()));

    // Second check: TRANSACTION_CHECK_TIMES=2; third round: checked 2 times = max, discarded.
    check(&b).await;
    let cmd = tokio::time::timeout(T, checks.recv())
        .await
        .unwrap()
        .unwrap();
    let (m2, _) = MessageExt::decode(cmd.body_bytes()).unwrap();
    assert_eq!(m2.properties.get("TRANSACTION_CHECK_TIMES"), Some("2"));
    check(&b).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), checks.recv())
            .await
            .is_err()
    );
    assert_eq!(
        b.store()
            .max_offset_in_queue("TRANS_CHECK_MAX_TIME_TOPIC", 0),
        1
    );
    assert_eq!(b.store().max_offset_in_queue("TxT", 2), 0);
    b.shutdown().await;
}

#[tokio::test]
async fn commit_from_check_and_progress_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let b = Broker::start(config(dir.path(), 15)).await.unwrap();
    let addr = b.local_addr().to_string();
    let (c, mut checks) = producer(&addr, "pg_tx").await;
    let r = call(&c, &addr, half_send("TxR", 0, "pg_tx", "U2")).await;
    let original: SendMessageResponseHeader = r.header().unwrap();
    check(&b).await;
    let cmd = tokio::time::timeout(T, checks.recv())
        .await
        .unwrap()
        .unwrap();
    let h: CheckTransactionStateRequestHeader = cmd.header().unwrap();
    // The producer answers the check: commit the copy the check named.
    let copy = SendMessageResponseHeader {
        msg_id: h.offset_msg_id.clone().unwrap(),
        queue_offset: h.tran_state_table_offset,
        ..original.clone()
    };
    let r = call(&c, &addr, end_tx("pg_tx", &copy, 0x8, true)).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(b.store().max_offset_in_queue("TxR", 0), 1, "visible");
    // A late commit of the original half is recorded but not re-put.
    let r = call(&c, &addr, end_tx("pg_tx", &original, 0x8, false)).await;
    assert_eq!(r.code, 0);
    assert_eq!(b.store().max_offset_in_queue("TxR", 0), 1);
    assert_eq!(b.store().max_offset_in_queue(OP, 0), 2);
    check(&b).await;
    b.shutdown().await;
    let offsets = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
    assert!(
        offsets.contains("RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS"),
        "{offsets}"
    );

    // After a restart nothing is checked again and a replayed commit adds nothing.
    let b = Broker::start(BrokerConfig {
        listen_port: 0,
        ..config(dir.path(), 15)
    })
    .await
    .unwrap();
    let addr = b.local_addr().to_string();
    let (c, mut checks) = producer(&addr, "pg_tx").await;
    check(&b).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), checks.recv())
            .await
            .is_err()
    );
    let r = call(&c, &addr, end_tx("pg_tx", &copy, 0x8, true)).await;
    assert_eq!(r.code, 0);
    assert_eq!(b.store().max_offset_in_queue("TxR", 0), 1, "never replayed");
    b.shutdown().await;
}
