//! ACL over TCP (issue 17): an embedded broker with `aclEnable=true` and a plain_acl.yml; the
//! Rust producer and push consumer with credentials send and consume; requests with a wrong
//! secret, an unknown key, to a topic without PUB, or an admin code from a non-admin account
//! are refused with SYSTEM_ERROR and Java's AclException text; editing the file takes effect.

use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, DefaultMQPushConsumer, PushConsumerConfig,
};
use rocklet_client::{
    ClientConfig, ConsumeFromWhere, DefaultMQProducer, MQAdmin, Message, ProducerConfig,
    SessionCredentials,
};
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::client::ClientOptions;
use rocklet_remoting::RemotingClient;
use std::time::{Duration, Instant};

const YML: &str = "accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - AclTopic=PUB|SUB
      - NoPub=SUB
      - CliTopic=PUB|SUB
  - accessKey: rocketmq2
    secretKey: 87654321
    admin: true
";

fn creds(ak: &str, sk: &str) -> Option<SessionCredentials> {
    Some(SessionCredentials::new(ak, sk))
}

/// A raw SEND_MESSAGE_V2 to `broker`, signed with `c`; (code, remark).
async fn raw(
    broker: &str,
    code: RequestCode,
    fields: &[(&str, &str)],
    c: Option<SessionCredentials>,
) -> (i32, String) {
    let client = RemotingClient::new(ClientOptions {
        credentials: c,
        ..Default::default()
    });
    let mut cmd = RemotingCommand::request_bare(code);
    for (k, v) in fields {
        cmd.ext_fields.insert(k, v);
    }
    cmd.body = Some(bytes::Bytes::from_static(b"hello"));
    let r = client
        .invoke(broker, cmd, Duration::from_secs(5))
        .await
        .unwrap();
    client.shutdown();
    (r.code, r.remark.unwrap_or_default())
}

fn acl_remark(text: &str, frame_method: &str, line: u32) -> String {
    format!(
        "org.apache.rocketmq.acl.common.AclException: {text}, org.apache.rocketmq.acl.plain.PlainPermissionManager.{frame_method}(PlainPermissionManager.java:{line})"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_refusals_and_allowed_traffic() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("conf")).unwrap();
    let yml = home.path().join("conf/plain_acl.yml");
    std::fs::write(&yml, YML).unwrap();
    let c = EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: vec![
            ("aclEnable".into(), "true".into()),
            ("rocketmqHome".into(), home.path().display().to_string()),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let broker = c.broker_addrs()[0].clone();

    // The admin account creates the topics.
    let admin = MQAdmin::connect(ClientConfig {
        namesrv_addr: Some(c.namesrv_addr()),
        instance_name: "acl_admin".into(),
        session_credentials: creds("rocketmq2", "87654321"),
        ..Default::default()
    })
    .unwrap();
    for t in ["AclTopic", "NoPub"] {
        admin.create_topic("DefaultCluster", t, 2, 0).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while admin.topic_route("NoPub").await.is_err() {
        assert!(Instant::now() < deadline, "route never listed the topic");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Refusals, each with Java's code and remark.
    let send = |t: &'static str| {
        [
            ("a", "PG"),
            ("b", t),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "0"),
        ]
    };
    let sys = 1;
    assert_eq!(
        raw(
            &broker,
            RequestCode::SEND_MESSAGE_V2,
            &send("AclTopic"),
            creds("RocketMQ", "wrong-secret")
        )
        .await,
        (
            sys,
            acl_remark(
                "Check signature failed for accessKey=RocketMQ",
                "validate",
                653
            )
        )
    );
    assert_eq!(
        raw(
            &broker,
            RequestCode::SEND_MESSAGE_V2,
            &send("AclTopic"),
            creds("nobody99", "12345678")
        )
        .await,
        (
            sys,
            acl_remark("No acl config for nobody99", "validate", 640)
        )
    );
    assert_eq!(
        raw(
            &broker,
            RequestCode::SEND_MESSAGE_V2,
            &send("AclTopic"),
            None
        )
        .await,
        (
            sys,
            acl_remark("No accessKey is configured", "validate", 636)
        )
    );
    assert_eq!(
        raw(
            &broker,
            RequestCode::SEND_MESSAGE_V2,
            &send("NoPub"),
            creds("RocketMQ", "12345678")
        )
        .await,
        (
            sys,
            acl_remark("No default permission for topic:NoPub", "checkPerm", 583)
        )
    );
    assert_eq!(
        raw(
            &broker,
            RequestCode::SEND_MESSAGE_V2,
            &send("Unlisted"),
            creds("RocketMQ", "12345678")
        )
        .await,
        (
            sys,
            acl_remark("No default permission for topic:Unlisted", "checkPerm", 578)
        )
    );
    assert_eq!(
        raw(
            &broker,
            RequestCode::UPDATE_AND_CREATE_TOPIC,
            &[("topic", "X1")],
            creds("RocketMQ", "12345678")
        )
        .await,
        (
            sys,
            acl_remark(
                "Need admin permission for request code=17, but accessKey=RocketMQ is not",
                "checkPerm",
                553
            )
        )
    );

    // Allowed: the producer and push consumer with credentials.
    let mut pc = ProducerConfig::new("acl_p").with_namesrv(c.namesrv_addr());
    pc.client.instance_name = "acl_p".into();
    pc.client.session_credentials = creds("RocketMQ", "12345678");
    let p = DefaultMQProducer::new(pc);
    p.start().await.unwrap();
    for i in 0..4 {
        p.send(Message::new("AclTopic", format!("m{i}").into_bytes()))
            .await
            .unwrap();
    }
    assert!(p.send(Message::new("NoPub", b"x".to_vec())).await.is_err());

    let mut cc = PushConsumerConfig::new("AclGroup")
        .with_namesrv(c.namesrv_addr())
        .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET);
    cc.client.instance_name = "acl_c".into();
    cc.client.session_credentials = creds("RocketMQ", "12345678");
    let consumer = DefaultMQPushConsumer::new(cc);
    consumer.subscribe("AclTopic", "*").unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    consumer.register_message_listener_concurrently(move |msgs, _| {
        let tx = tx.clone();
        async move {
            for m in msgs {
                let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
            }
            ConsumeConcurrentlyStatus::CONSUME_SUCCESS
        }
    });
    consumer.start().await.unwrap();
    let mut got = 0;
    while got < 4 {
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("consumer got the messages")
            .unwrap();
        got += 1;
    }
    consumer.shutdown().await;

    // Editing the file takes effect: NoPub gets PUB.
    std::fs::write(&yml, YML.replace("NoPub=SUB", "NoPub=PUB")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, remark) = raw(
            &broker,
            RequestCode::SEND_MESSAGE_V2,
            &send("NoPub"),
            creds("RocketMQ", "12345678"),
        )
        .await;
        if !remark.contains("AclException") {
            break;
        }
        assert_eq!(code, sys);
        assert!(
            Instant::now() < deadline,
            "the edited file never took effect"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    p.send(Message::new("NoPub", b"x".to_vec())).await.unwrap();
    p.shutdown().await;
    admin.instance().shutdown();
    // Stopped before its store is removed: a cluster dropped while running wrote a new 466 MB
    // commit log into the removed directory (left under /tmp by every test run).
    c.shutdown().await;
}

/// Runs the `rocklet` binary off the runtime; (success, stdout + stderr).
async fn cli(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_rocklet"))
            .args(&args)
            .env_remove("ROCKETMQ_ACCESS_KEY")
            .env_remove("ROCKETMQ_SECRET_KEY")
            .envs(env)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success(), text)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_credentials() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("conf")).unwrap();
    std::fs::write(home.path().join("conf/plain_acl.yml"), YML).unwrap();
    let c = EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: vec![
            ("aclEnable".into(), "true".into()),
            ("rocketmqHome".into(), home.path().display().to_string()),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let ns = c.namesrv_addr();
    let ns = ns.as_str();
    // A non-admin account cannot create a topic; the admin account can.
    let user = ["--access-key", "RocketMQ", "--secret-key", "12345678"];
    let (ok, out) = cli(
        &[
            &["admin", "-n", ns][..],
            &user,
            &["update-topic", "-t", "CliTopic", "-c", "DefaultCluster"],
        ]
        .concat(),
        &[],
    )
    .await;
    assert!(!ok && out.contains("Need admin permission"), "{out}");
    let (ok, out) = cli(
        &[
            "admin",
            "-n",
            ns,
            "update-topic",
            "-t",
            "CliTopic",
            "-c",
            "DefaultCluster",
        ],
        &[
            ("ROCKETMQ_ACCESS_KEY", "rocketmq2"),
            ("ROCKETMQ_SECRET_KEY", "87654321"),
        ],
    )
    .await;
    assert!(ok, "{out}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (ok, out) = cli(
            &[
                &["send", "-n", ns, "-t", "CliTopic", "-b", "hello-acl"][..],
                &user,
            ]
            .concat(),
            &[],
        )
        .await;
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "send never succeeded: {out}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (ok, out) = cli(&["send", "-n", ns, "-t", "CliTopic", "-b", "x"], &[]).await;
    assert!(!ok && out.contains("No accessKey is configured"), "{out}");
    let (ok, out) = cli(
        &[
            "consume", "-n", ns, "-t", "CliTopic", "-g", "CliGroup", "--from", "first", "-c", "1",
        ],
        &[
            ("ROCKETMQ_ACCESS_KEY", "RocketMQ"),
            ("ROCKETMQ_SECRET_KEY", "12345678"),
        ],
    )
    .await;
    assert!(ok && out.contains("hello-acl"), "{out}");
    c.shutdown().await;
}
