//! ACL bad input over TCP (issue 17): a missing, empty or garbage signature, a huge AccessKey,
//! non-UTF-8 bytes in the AccessKey and Signature fields (both header encodings). Each gets a
//! SYSTEM_ERROR answer with the AclException text on the connection that sent it (never a
//! panic, never a silent close), and the broker keeps serving signed clients.

use bytes::BytesMut;
use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::{DefaultMQProducer, Message, ProducerConfig, SessionCredentials};
use rocklet_protocol::acl::{ACCESS_KEY, SIGNATURE};
use rocklet_protocol::{RemotingCommand, RequestCode, SerializeType};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const YML: &str = "accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    admin: false
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: PUB|SUB
";

async fn acl_cluster(home: &std::path::Path) -> EmbeddedCluster {
    std::fs::create_dir_all(home.join("conf")).unwrap();
    std::fs::write(home.join("conf/plain_acl.yml"), YML).unwrap();
    EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: vec![
            ("aclEnable".into(), "true".into()),
            ("rocketmqHome".into(), home.display().to_string()),
        ],
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A SEND_MESSAGE_V2 to topic `BadInput` with the given ext fields (no signing by the client).
fn send_request(fields: &[(&str, &str)], st: SerializeType) -> RemotingCommand {
    let mut cmd = RemotingCommand::request_bare(RequestCode::SEND_MESSAGE_V2);
    for (k, v) in [
        ("a", "PG"),
        ("b", "BadInput"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "0"),
        ("f", "0"),
        ("g", "0"),
        ("h", "0"),
        ("i", ""),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    for (k, v) in fields {
        cmd.ext_fields.insert(k, v);
    }
    cmd.body = Some(bytes::Bytes::from_static(b"bad input"));
    cmd.serialize_type = st;
    cmd.opaque = 7;
    cmd
}

/// Writes `frame` on a new connection and reads one answer: (code, remark), or why none came.
async fn exchange(broker: &str, frame: &[u8]) -> Result<(i32, String), String> {
    let mut s = tokio::net::TcpStream::connect(broker)
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(frame).await.map_err(|e| e.to_string())?;
    let mut buf = BytesMut::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(r) = RemotingCommand::decode_from(&mut buf).map_err(|e| e.to_string())? {
            return Ok((r.code, r.remark.unwrap_or_default()));
        }
        let n = tokio::time::timeout_at(deadline, s.read_buf(&mut buf))
            .await
            .map_err(|_| "no answer in 5 s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed without an answer".into());
        }
    }
}

async fn refused(broker: &str, cmd: &RemotingCommand) -> String {
    let (code, remark) = exchange(broker, &cmd.encode_to_bytes()).await.unwrap();
    assert_eq!(code, 1, "{remark}");
    assert!(
        remark.starts_with("org.apache.rocketmq.acl.common.AclException: "),
        "{remark}"
    );
    remark
}

/// The signed client still sends (the broker kept serving).
async fn signed_send_works(ns: &str) {
    let mut cfg = ProducerConfig::new("acl_bad_input_pg").with_namesrv(ns);
    cfg.client.session_credentials = Some(SessionCredentials::new("RocketMQ", "12345678"));
    cfg.client.instance_name = format!("acl_bad_{}", rand_suffix());
    let p = DefaultMQProducer::new(cfg);
    p.start().await.unwrap();
    p.send(Message::new("BadInput", b"good".to_vec()))
        .await
        .unwrap();
    p.shutdown().await;
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_and_keys_are_refused_and_the_broker_keeps_serving() {
    let home = tempfile::tempdir().unwrap();
    let c = acl_cluster(home.path()).await;
    let ns = c.namesrv_addr();
    let broker = c.broker_addrs()[0].clone();
    signed_send_works(&ns).await;

    for st in [SerializeType::Json, SerializeType::RocketMq] {
        // An AccessKey and no Signature.
        let r = refused(&broker, &send_request(&[(ACCESS_KEY, "RocketMQ")], st)).await;
        assert!(r.contains("RocketMQ"), "{r}");
        // Empty and garbage signatures (not even Base64).
        for sig in ["", "!!!not-base64!!!", "AAAA", &"x".repeat(10_000)] {
            let r = refused(
                &broker,
                &send_request(&[(ACCESS_KEY, "RocketMQ"), (SIGNATURE, sig)], st),
            )
            .await;
            assert!(r.contains("Check signature failed"), "{sig:.20}: {r}");
        }
        // A 256 KiB AccessKey: no such account.
        let huge = "K".repeat(256 * 1024);
        let r = refused(
            &broker,
            &send_request(&[(ACCESS_KEY, &huge), (SIGNATURE, "AAAA")], st),
        )
        .await;
        assert!(r.contains("No acl config for"), "{:.100}", r);
        // No AccessKey at all on a signed broker.
        refused(&broker, &send_request(&[], st)).await;

        // Non-UTF-8 bytes in both fields: placeholders of the same length patched in the
        // encoded frame (lengths stay right), decoded lossily as Java's String does.
        let cmd = send_request(&[(ACCESS_KEY, "@@@@"), (SIGNATURE, "####")], st);
        let mut frame = cmd.encode_to_bytes().to_vec();
        for (from, to) in [
            (b"@@@@", [0xffu8, 0xfe, 0xc3, 0x28]),
            (b"####", [0x80, 0x81, 0xe2, 0x82]),
        ] {
            let at = frame
                .windows(4)
                .position(|w| w == from)
                .expect("placeholder in the frame");
            frame[at..at + 4].copy_from_slice(&to);
        }
        let (code, remark) = exchange(&broker, &frame).await.unwrap();
        assert_eq!(code, 1, "{remark}");
        assert!(remark.contains("No acl config for"), "{remark}");
    }
    signed_send_works(&ns).await;
    c.shutdown().await;
}
