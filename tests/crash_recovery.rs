//! Crash recovery of the real `rocklet broker` process: acknowledged messages survive SIGKILL in
//! ASYNC_FLUSH and SYNC_FLUSH mode (the commit log is a shared mapping, so a killed process loses
//! nothing the kernel has), and a torn or garbage tail of the newest commit-log file is dropped
//! on restart without touching earlier records.

use rocklet_protocol::header::*;
use rocklet_protocol::message::{MessageExt, Properties};
use rocklet_protocol::msgid::decode_offset_msg_id;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::RemotingClient;
use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FILE_SIZE: u64 = 1024 * 1024;
const T: Duration = Duration::from_secs(5);
const TOPIC: &str = "CrashTopic";
const QUEUES: i32 = 4;

struct Broker {
    child: Child,
    addr: String,
}

impl Broker {
    fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(store: &Path, flush: &str, log: &Path) -> Broker {
    let port = free_port();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_rocklet"))
        .arg("broker")
        .args(["--listen-port", &port.to_string()])
        .args(["--bind", "127.0.0.1", "--broker-ip1", "127.0.0.1"])
        .arg("--store-path-root-dir")
        .arg(store)
        .args(["--flush-disk-type", flush])
        .args(["-p", &format!("mapedFileSizeCommitLog={FILE_SIZE}")])
        .args(["-p", "mapedFileSizeConsumeQueue=20000"])
        .args(["-p", "maxMessageSize=65536"])
        .args(["-p", "flushIntervalCommitLog=200"])
        .env_remove("NAMESRV_ADDR")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn rocklet broker");
    let b = Broker {
        child,
        addr: format!("127.0.0.1:{port}"),
    };
    let c = RemotingClient::default();
    let t0 = Instant::now();
    loop {
        let q = RemotingCommand::request(
            RequestCode::GET_MAX_OFFSET,
            &QueueRequestHeader {
                topic: TOPIC.into(),
                queue_id: 0,
            },
        );
        if let Ok(r) = c.invoke(&b.addr, q, Duration::from_millis(500)).await {
            if r.code == 0 {
                break;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "broker did not start"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    c.shutdown();
    b
}

fn body_of(i: usize) -> Vec<u8> {
    let mut b = format!("msg-{i}-").into_bytes();
    b.extend((0..4000).map(|k| b'a' + ((i + k) % 26) as u8));
    b
}

fn send_cmd(queue_id: i32, body: &[u8]) -> RemotingCommand {
    let mut p = Properties::default();
    p.insert("WAIT", "true");
    let h = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: TOPIC.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: QUEUES,
        queue_id,
        sys_flag: 0,
        born_timestamp: 0,
        flag: 0,
        properties: Some(p.encode()),
        reconsume_times: Some(0),
        unit_mode: Some(false),
        batch: Some(false),
        max_reconsume_times: None,
    };
    RemotingCommand::request(
        RequestCode::SEND_MESSAGE_V2,
        &SendMessageRequestHeaderV2::from_v1(&h),
    )
    .with_body(body.to_vec())
}

/// (queue, queue offset) -> (body, commit-log offset)
type Acked = BTreeMap<(i32, i64), (Vec<u8>, i64)>;

async fn send_one(c: &RemotingClient, addr: &str, q: i32, body: Vec<u8>) -> Option<(i64, i64)> {
    let r = c.invoke(addr, send_cmd(q, &body), T).await.ok()?;
    if r.code != ResponseCode::SUCCESS.as_i32() {
        return None;
    }
    let h: SendMessageResponseHeader = r.header().ok()?;
    let (_, phy) = decode_offset_msg_id(&h.msg_id)?;
    Some((h.queue_offset, phy))
}

/// Every message of a queue, by queue offset.
async fn read_queue(c: &RemotingClient, addr: &str, q: i32) -> BTreeMap<i64, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut offset = 0i64;
    for _ in 0..1000 {
        let h = PullMessageRequestHeader {
            consumer_group: "verify".into(),
            topic: TOPIC.into(),
            queue_id: q,
            queue_offset: offset,
            max_msg_nums: 32,
            sys_flag: 4,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some("*".into()),
            sub_version: 0,
            expression_type: Some("TAG".into()),
        };
        let r = c
            .invoke(
                addr,
                RemotingCommand::request(RequestCode::PULL_MESSAGE, &h),
                T,
            )
            .await
            .expect("pull");
        if r.code != 0 {
            assert_eq!(
                r.code,
                ResponseCode::PULL_NOT_FOUND.as_i32(),
                "{:?}",
                r.remark
            );
            return out;
        }
        for m in MessageExt::decode_all(r.body_bytes()).expect("pull body") {
            assert_eq!(m.queue_offset, offset, "queue offsets are contiguous");
            out.insert(m.queue_offset, m.body().unwrap().to_vec());
            offset += 1;
        }
    }
    panic!("queue {q} never ended");
}

async fn max_offset(c: &RemotingClient, addr: &str, q: i32) -> i64 {
    let r = c
        .invoke(
            addr,
            RemotingCommand::request(
                RequestCode::GET_MAX_OFFSET,
                &QueueRequestHeader {
                    topic: TOPIC.into(),
                    queue_id: q,
                },
            ),
            T,
        )
        .await
        .unwrap();
    r.header::<OffsetResponseHeader>().unwrap().offset
}

async fn assert_all_present(c: &RemotingClient, addr: &str, acked: &Acked) {
    for q in 0..QUEUES {
        let got = read_queue(c, addr, q).await;
        for ((aq, off), (body, _)) in acked.range((q, 0)..(q + 1, 0)) {
            assert_eq!(*aq, q);
            let have = got
                .get(off)
                .unwrap_or_else(|| panic!("acknowledged message q{q}@{off} lost"));
            assert!(have == body, "q{q}@{off}: body differs after restart");
        }
    }
}

async fn kill_while_sending(flush: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("broker.log");
    let b = start(&store, flush, &log).await;
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut senders = Vec::new();
    for q in 0..QUEUES {
        let (addr, acked) = (b.addr.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            let c = RemotingClient::default();
            for i in 0..2000usize {
                let body = body_of(i * QUEUES as usize + q as usize);
                match send_one(&c, &addr, q, body.clone()).await {
                    Some((off, phy)) => {
                        acked.lock().unwrap().insert((q, off), (body, phy));
                    }
                    None => break,
                }
            }
        }));
    }
    // Kill with sends in flight, once more than one commit-log file is in use.
    let t0 = Instant::now();
    while acked.lock().unwrap().len() < 320 {
        assert!(t0.elapsed() < Duration::from_secs(8), "sends too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.kill();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.values().any(|(_, phy)| *phy as u64 >= FILE_SIZE),
        "rolled to a 2nd file"
    );

    let b = start(&store, flush, &log).await;
    let c = RemotingClient::default();
    assert_all_present(&c, &b.addr, &acked).await;
    // New sends continue after what survived.
    let next = max_offset(&c, &b.addr, 1).await;
    let (off, _) = send_one(&c, &b.addr, 1, b"after restart".to_vec())
        .await
        .expect("send after restart");
    assert_eq!(off, next);
    b.kill();
}

#[tokio::test]
async fn sigkill_loses_no_acknowledged_message_async_flush() {
    kill_while_sending("ASYNC_FLUSH").await;
}

#[tokio::test]
async fn sigkill_loses_no_acknowledged_message_sync_flush() {
    kill_while_sending("SYNC_FLUSH").await;
}

fn commit_log_file(store: &Path, phy: i64) -> PathBuf {
    let from = phy as u64 / FILE_SIZE * FILE_SIZE;
    store.join("commitlog").join(format!("{from:020}"))
}

fn overwrite(path: &Path, pos: u64, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(pos)).unwrap();
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
}

async fn record_size(c: &RemotingClient, addr: &str, phy: i64) -> i64 {
    let r = c
        .invoke(
            addr,
            RemotingCommand::request(
                RequestCode::VIEW_MESSAGE_BY_ID,
                &ViewMessageRequestHeader { offset: phy },
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    MessageExt::decode(r.body_bytes()).unwrap().0.store_size as i64
}

#[tokio::test]
async fn torn_or_garbage_tail_is_dropped_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("broker.log");
    let b = start(&store, "ASYNC_FLUSH", &log).await;
    let c = RemotingClient::default();
    let mut acked = Acked::new();
    for i in 0..20 {
        let body = body_of(i);
        let (off, phy) = send_one(&c, &b.addr, 0, body.clone()).await.expect("send");
        assert_eq!(off, i as i64);
        acked.insert((0, off), (body, phy));
    }
    let last_phy = acked[&(0, 19)].1;
    let end = last_phy + record_size(&c, &b.addr, last_phy).await;
    b.kill();
    c.shutdown();

    // 1. Garbage after the last record (a write that never completed its header).
    let file = commit_log_file(&store, end);
    overwrite(&file, end as u64 % FILE_SIZE, &[0xAB; 300]);
    let b = start(&store, "ASYNC_FLUSH", &log).await;
    let c = RemotingClient::default();
    assert_all_present(&c, &b.addr, &acked).await;
    assert_eq!(max_offset(&c, &b.addr, 0).await, 20);
    let body = b"after garbage".to_vec();
    let (off, phy) = send_one(&c, &b.addr, 0, body.clone()).await.expect("send");
    assert_eq!(off, 20, "new sends get the next offset");
    assert_eq!(phy, end, "written where the garbage was");
    let size = record_size(&c, &b.addr, phy).await;
    b.kill();
    c.shutdown();

    // 2. A torn last record: its second half never reached the file.
    let file = commit_log_file(&store, phy);
    let half = size / 2;
    overwrite(
        &file,
        (phy + half) as u64 % FILE_SIZE,
        &vec![0u8; (size - half) as usize],
    );
    let b = start(&store, "ASYNC_FLUSH", &log).await;
    let c = RemotingClient::default();
    assert_all_present(&c, &b.addr, &acked).await;
    let got = read_queue(&c, &b.addr, 0).await;
    assert_eq!(got.len(), 20, "the torn record is dropped");
    let (off, phy2) = send_one(&c, &b.addr, 0, b"after torn".to_vec())
        .await
        .expect("send");
    assert_eq!((off, phy2), (20, phy), "the torn record's place is reused");
    let got = read_queue(&c, &b.addr, 0).await;
    assert_eq!(got[&20], b"after torn");
    b.kill();
}
