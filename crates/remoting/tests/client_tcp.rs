//! The remoting client against scripted peers on 127.0.0.1: a malformed frame fails every
//! pending request with its cause, a timed-out or cancelled request leaves nothing behind, a
//! dropped client closes its connections. (The server side's `ConnCtx::invoke` is driven by the
//! broker's forwarding tests in `crates/broker/tests/admin_tcp.rs`.)

use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::{RemotingClient, RemotingError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

/// Read one frame (length word + that many bytes).
async fn read_frame(s: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.ok()?;
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).await.ok()?;
    Some(buf)
}

#[tokio::test]
async fn a_malformed_frame_fails_every_pending_request_with_its_cause() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        // Wait for both requests, then answer with a frame longer than the 16 MiB limit.
        read_frame(&mut s).await.unwrap();
        read_frame(&mut s).await.unwrap();
        s.write_all(&0x7FFF_FFFFu32.to_be_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let c = RemotingClient::default();
    let t = Duration::from_secs(5);
    let bare = || RemotingCommand::request_bare(RequestCode::GET_BROKER_RUNTIME_INFO);
    let (a, b) = tokio::join!(c.invoke(&addr, bare(), t), c.invoke(&addr, bare(), t));
    for r in [a, b] {
        match r {
            Err(RemotingError::Protocol { source, .. }) => {
                assert!(source.to_string().contains("16 MiB"), "{source}")
            }
            other => panic!("expected the framing error, got {other:?}"),
        }
    }
    assert_eq!(c.pending_requests(), 0);
    server.abort();
}

#[tokio::test]
async fn a_timed_out_request_leaves_nothing_pending() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        while read_frame(&mut s).await.is_some() {} // never answers
    });
    let c = RemotingClient::default();
    let r = c
        .invoke(
            &addr,
            RemotingCommand::request_bare(RequestCode::HEART_BEAT),
            Duration::from_millis(150),
        )
        .await;
    assert!(matches!(r, Err(RemotingError::Timeout { .. })), "{r:?}");
    assert_eq!(c.pending_requests(), 0);
    // A cancelled request (its future dropped) is forgotten too.
    let fut = c.invoke(
        &addr,
        RemotingCommand::request_bare(RequestCode::HEART_BEAT),
        Duration::from_secs(10),
    );
    let _ = tokio::time::timeout(Duration::from_millis(100), fut).await;
    assert_eq!(c.pending_requests(), 0);
    server.abort();
}

#[tokio::test]
async fn dropping_the_client_closes_its_connections() {
    let (l, addr) = listener().await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let req = read_frame(&mut s).await.unwrap();
        let cmd = RemotingCommand::decode_frame(&req).unwrap();
        let resp = RemotingCommand::response_to(&cmd, ResponseCode::SUCCESS, None);
        s.write_all(&resp.encode_to_bytes()).await.unwrap();
        // The next read sees the client's end of the connection.
        let _ = tx.send(read_frame(&mut s).await.is_none());
    });
    let c = RemotingClient::default();
    let r = c
        .invoke(
            &addr,
            RemotingCommand::request_bare(RequestCode::HEART_BEAT),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    drop(c);
    let closed = tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("the connection stayed open after the client was dropped")
        .unwrap();
    assert!(closed);
    server.await.unwrap();
}
