//! Bounded memory whatever clients do (issue 14 item 4) and offsets that never move back
//! (item 8), over real TCP: held pulls per queue and capped, a client that never reads its
//! responses, a connection flood, the idle timeout.

mod common;

use bytes::BytesMut;
use common::*;
use rocklet_protocol::header::*;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A raw connection: requests written as frames, responses read one by one.
struct Raw {
    s: TcpStream,
    buf: BytesMut,
}

impl Raw {
    async fn connect(addr: &str) -> Raw {
        Raw {
            s: TcpStream::connect(addr).await.unwrap(),
            buf: BytesMut::new(),
        }
    }
    async fn write(&mut self, mut cmd: RemotingCommand, opaque: i32) {
        cmd.opaque = opaque;
        self.s.write_all(&cmd.encode_to_bytes()).await.unwrap();
    }
    /// The next response, or None when the broker closed the connection.
    async fn read(&mut self) -> Option<RemotingCommand> {
        loop {
            if let Some(c) = RemotingCommand::decode_from(&mut self.buf).unwrap() {
                return Some(c);
            }
            if self.s.read_buf(&mut self.buf).await.ok()? == 0 {
                return None;
            }
        }
    }
    async fn read_within(&mut self, d: Duration) -> Option<RemotingCommand> {
        tokio::time::timeout(d, self.read())
            .await
            .expect("response in time")
    }
}

fn suspended_pull(
    topic: &str,
    q: i32,
    offset: i64,
    commit: Option<i64>,
    wait_ms: i64,
) -> RemotingCommand {
    let mut h = pull_header(topic, q, offset, "*");
    h.sys_flag = 2 | 4;
    if let Some(c) = commit {
        h.sys_flag |= 1;
        h.commit_offset = c;
    }
    h.suspend_timeout_millis = wait_ms;
    RemotingCommand::request(RequestCode::PULL_MESSAGE, &h)
}

async fn stored_offset(e: &Env, topic: &str, q: i32) -> i64 {
    let r = e.call(query_offset("cg", topic, q)).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    r.header::<OffsetResponseHeader>().unwrap().offset
}

async fn commit(e: &Env, topic: &str, q: i32, offset: i64) {
    let r = e
        .call(RemotingCommand::request(
            RequestCode::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: "cg".into(),
                topic: topic.into(),
                queue_id: q,
                commit_offset: offset,
            },
        ))
        .await;
    assert_eq!(r.code, 0);
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Java commits a pull's offset only on its first run: a held pull run again (its wait ended,
/// a put woke it, or its client left) must not put back the offset it carried.
#[tokio::test]
async fn held_pulls_run_again_never_move_the_offset_back() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    assert_eq!(e.call(create_topic("OffT", 3)).await.code, 0);
    // Messages 0..5 in each queue; the consumer is at 5 and commits 2 (X) on its pull.
    for q in 0..3 {
        for i in 0..5 {
            send_ok(&e, send_v1("OffT", q, "", format!("m{i}").as_bytes())).await;
        }
    }
    let mut raw = Raw::connect(&e.addr).await;
    // Queue 0: times out; queue 1: woken by a put; queue 2: its client leaves, then a put.
    raw.write(suspended_pull("OffT", 0, 5, Some(2), 700), 1)
        .await;
    raw.write(suspended_pull("OffT", 1, 5, Some(2), 30_000), 2)
        .await;
    let mut leaver = Raw::connect(&e.addr).await;
    leaver
        .write(suspended_pull("OffT", 2, 5, Some(2), 30_000), 3)
        .await;
    wait_until("3 held pulls", T, || e.broker.hold_stats().held == 3).await;
    for q in 0..3 {
        assert_eq!(stored_offset(&e, "OffT", q).await, 2, "first run commits X");
        commit(&e, "OffT", q, 4).await; // Y, committed meanwhile
    }

    // Queue 0: the wait ends with nothing new, PULL_NOT_FOUND.
    let r = raw.read_within(T).await.unwrap();
    assert_eq!(r.opaque, 1);
    assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.as_i32());
    assert_eq!(stored_offset(&e, "OffT", 0).await, 4);

    // Queue 1: a put wakes it; it answers the message and does not commit 2 again.
    send_ok(&e, send_v1("OffT", 1, "", b"wake")).await;
    let r = raw.read_within(T).await.unwrap();
    assert_eq!(r.opaque, 2);
    assert_eq!(r.code, 0);
    assert_eq!(stored_offset(&e, "OffT", 1).await, 4);

    // Queue 2: its client closed its connection, then a put reaches the queue.
    drop(leaver);
    wait_until("the leaver's pull dropped", T, || {
        e.broker.hold_stats().held == 0
    })
    .await;
    send_ok(&e, send_v1("OffT", 2, "", b"late")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stored_offset(&e, "OffT", 2).await, 4);
    e.broker.shutdown().await;
}

/// Thousands of parked pulls: one put wakes only the pulls of its queue, the per-connection cap
/// answers the excess at once.
#[tokio::test]
async fn parked_pulls_are_per_queue_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_held_pulls_per_connection = 4000;
    let e = start(cfg).await;
    const QUEUES: i32 = 8;
    const PULLS: i32 = 5000;
    assert_eq!(e.call(create_topic("Park", QUEUES)).await.code, 0);
    let mut raw = Raw::connect(&e.addr).await;
    let writer = {
        let mut frames = BytesMut::new();
        for i in 0..PULLS {
            let mut c = suspended_pull("Park", i % QUEUES, 0, None, 60_000);
            c.opaque = i;
            frames.extend_from_slice(&c.encode_to_bytes());
        }
        frames.freeze()
    };
    raw.s.write_all(&writer).await.unwrap();
    // The 1,000 over the cap are answered at once, PULL_NOT_FOUND.
    let t0 = Instant::now();
    for _ in 0..(PULLS - 4000) {
        let r = raw.read_within(T).await.unwrap();
        assert_eq!(r.code, ResponseCode::PULL_NOT_FOUND.as_i32());
    }
    assert!(t0.elapsed() < T, "the excess waited {:?}", t0.elapsed());
    wait_until("4000 held", T, || e.broker.hold_stats().held == 4000).await;
    let s = e.broker.hold_stats();
    assert_eq!(s.refused, (PULLS - 4000) as u64);
    assert_eq!(s.woken_by_arrival, 0);

    // Another connection is not capped by the first one's pulls.
    let mut other = Raw::connect(&e.addr).await;
    other
        .write(suspended_pull("Park", 0, 0, None, 60_000), 1)
        .await;
    wait_until("4001 held", T, || e.broker.hold_stats().held == 4001).await;

    // One put to queue 3 wakes exactly the 500 pulls held on queue 3.
    send_ok(&e, send_v1("Park", 3, "", b"x")).await;
    for _ in 0..500 {
        let r = raw.read_within(T).await.unwrap();
        assert_eq!(r.code, 0);
        assert_eq!(r.opaque % QUEUES, 3);
    }
    let s = e.broker.hold_stats();
    assert_eq!(s.woken_by_arrival, 500);
    assert_eq!(s.held, 3501);
    // Nothing else was answered.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), raw.read())
            .await
            .is_err(),
        "a pull of another queue was answered"
    );
    // Closing the connection frees its held pulls.
    drop(raw);
    wait_until("only the other's pull held", T, || {
        e.broker.hold_stats().held == 1
    })
    .await;
    e.broker.shutdown().await;
}

/// A client that pipelines pulls and never reads: its write queue stays within the high mark
/// (the broker stops reading its requests) and other clients are served as usual.
#[tokio::test]
async fn a_client_that_never_reads_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.write_buffer_high_water_mark = 1024 * 1024;
    cfg.write_buffer_low_water_mark = 256 * 1024;
    let e = start(cfg).await;
    assert_eq!(e.call(create_topic("Big", 1)).await.code, 0);
    let body = vec![b'b'; 16 * 1024];
    for _ in 0..32 {
        send_ok(&e, send_v1("Big", 0, "", &body)).await;
    }
    // Each pull answers ~512 KiB; 4,000 of them would be 2 GiB.
    let mut bad = TcpStream::connect(&e.addr).await.unwrap();
    let mut frames = BytesMut::new();
    for i in 0..4000 {
        let mut c =
            RemotingCommand::request(RequestCode::PULL_MESSAGE, &pull_header("Big", 0, 0, "*"));
        c.opaque = i;
        frames.extend_from_slice(&c.encode_to_bytes());
    }
    let frames = frames.freeze();
    let writer = tokio::spawn(async move {
        // Blocks once the broker stops reading; it never reads its responses.
        let _ = bad.write_all(&frames).await;
        bad
    });
    let stats = e.broker.server_stats().clone();
    wait_until("the queue to fill", T, || stats.max_queued_bytes() > 0).await;
    let mut peak = 0;
    let t0 = Instant::now();
    let mut worst = Duration::ZERO;
    while t0.elapsed() < Duration::from_millis(1500) {
        peak = peak.max(stats.queued_bytes());
        // Another client: served with normal latency meanwhile.
        let t = Instant::now();
        let (r, msgs) = pull(&e, &pull_header("Big", 0, 31, "*")).await;
        assert_eq!(r.code, 0);
        assert_eq!(msgs.len(), 1);
        worst = worst.max(t.elapsed());
    }
    // At most the high mark plus the one response that crossed it.
    assert!(peak <= 1024 * 1024 + 600 * 1024, "queued {peak} bytes");
    assert!(worst < Duration::from_secs(1), "probe took {worst:?}");
    assert!(!writer.is_finished() || stats.queued_bytes() <= 1024 * 1024 + 600 * 1024);
    writer.abort();
    let _ = writer.await;
    wait_until("the bad connection gone", T, || stats.connections() <= 1).await;
    e.broker.shutdown().await;
}

/// 1,000 simultaneous connects all succeed at once (listen backlog 1024, not 128: with 128 the
/// excess SYNs are dropped and retried a second later) and are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    const N: usize = 1000;
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(N);
    for _ in 0..N {
        let addr = e.addr.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let s = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&addr))
                .await
                .expect("connect in time")
                .expect("connect");
            (s, t.elapsed())
        }));
    }
    let mut socks = Vec::with_capacity(N);
    let mut slowest = Duration::ZERO;
    for t in tasks {
        let (s, took) = t.await.unwrap();
        slowest = slowest.max(took);
        socks.push(s);
    }
    let stats = e.broker.server_stats().clone();
    wait_until("every connection accepted", Duration::from_secs(10), || {
        stats.connections() >= N
    })
    .await;
    // Bounded in time. (With a backlog of 128 most of these are never accepted: the client's
    // connect completes but the broker's full accept queue dropped it.)
    assert!(
        slowest < Duration::from_secs(3),
        "slowest connect {slowest:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
    // And a request on one of them is answered.
    let mut raw = Raw {
        s: socks.pop().unwrap(),
        buf: BytesMut::new(),
    };
    raw.write(query_offset("cg", "TBW102", 0), 7).await;
    assert_eq!(raw.read_within(T).await.unwrap().opaque, 7);
    drop(socks);
    drop(raw);
    wait_until("connections closed", T, || stats.connections() == 0).await;
    e.broker.shutdown().await;
}

/// A connection with nothing read or written for serverChannelMaxIdleTime is closed; a busy
/// one is not.
#[tokio::test]
async fn idle_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.server_channel_max_idle_millis = 1000;
    let e = start(cfg).await;
    let mut silent = Raw::connect(&e.addr).await;
    let mut busy = Raw::connect(&e.addr).await;
    let t0 = Instant::now();
    let mut n = 0;
    while t0.elapsed() < Duration::from_millis(2500) {
        n += 1;
        busy.write(query_offset("cg", "TBW102", 0), n).await;
        assert_eq!(busy.read_within(T).await.unwrap().opaque, n);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The silent one was closed by the broker: end of stream.
    assert!(silent.read_within(T).await.is_none());
    assert_eq!(e.broker.server_stats().idle_closed(), 1);
    busy.write(query_offset("cg", "TBW102", 0), 999).await;
    assert_eq!(busy.read_within(T).await.unwrap().opaque, 999);
    e.broker.shutdown().await;
}
