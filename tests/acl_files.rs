//! The ACL directory `<home>/conf/acl` over TCP: accounts from the default file and from files
//! under the directory both work; a key repeated in both keeps the directory file's definition
//! (Java reads the directory first); a file added at run time takes effect; UPDATE_AND_CREATE_
//! ACL_CONFIG on an account of `conf/acl/x.yml` rewrites that file, not the default one;
//! GET_BROKER_CLUSTER_ACL_INFO lists every file; an IPv6 range as an account's white address
//! lets a client on `[::1]` in without a valid signature (the broker listens dual-stack).

use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::{ClientConfig, MQAdmin, SessionCredentials};
use rocklet_protocol::body::PlainAccessConfig;
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::client::ClientOptions;
use rocklet_remoting::RemotingClient;
use std::time::{Duration, Instant};

const DEFAULT_YML: &str = "accounts:
  - accessKey: rocketmq2
    secretKey: 87654321
    admin: true
  - accessKey: shared01
    secretKey: fromDefault
    defaultTopicPerm: PUB
";

const X_YML: &str = "accounts:
  - accessKey: fileX001
    secretKey: secretX01
    defaultTopicPerm: DENY
    topicPerms:
      - XTopic=PUB
  - accessKey: shared01
    secretKey: fromFileX
    defaultTopicPerm: PUB
";

fn creds(ak: &str, sk: &str) -> Option<SessionCredentials> {
    Some(SessionCredentials::new(ak, sk))
}

/// A raw SEND_MESSAGE_V2 to `topic` at `addr`, signed with `c`: (code, remark).
async fn send(addr: &str, topic: &str, c: Option<SessionCredentials>) -> (i32, String) {
    let client = RemotingClient::new(ClientOptions {
        credentials: c,
        ..Default::default()
    });
    let mut cmd = RemotingCommand::request_bare(RequestCode::SEND_MESSAGE_V2);
    for (k, v) in [
        ("a", "PG"),
        ("b", topic),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "0"),
        ("f", "0"),
        ("g", "0"),
        ("h", "0"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    cmd.body = Some(bytes::Bytes::from_static(b"hello"));
    let r = client
        .invoke(addr, cmd, Duration::from_secs(5))
        .await
        .unwrap();
    client.shutdown();
    (r.code, r.remark.unwrap_or_default())
}

async fn allowed(addr: &str, topic: &str, c: Option<SessionCredentials>) -> bool {
    !send(addr, topic, c).await.1.contains("AclException")
}

/// Whether this machine has an IPv6 loopback (`::1` can be bound).
fn has_ipv6_loopback() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_directory_files_over_tcp() {
    let home = tempfile::tempdir().unwrap();
    let conf = home.path().join("conf");
    let dir = conf.join("acl");
    std::fs::create_dir_all(&dir).unwrap();
    let default = conf.join("plain_acl.yml");
    std::fs::write(&default, DEFAULT_YML).unwrap();
    let x = dir.join("x.yml");
    std::fs::write(&x, X_YML).unwrap();
    let v6 = has_ipv6_loopback();
    let mut props = vec![
        ("aclEnable".to_string(), "true".to_string()),
        (
            "rocketmqHome".to_string(),
            home.path().display().to_string(),
        ),
    ];
    if v6 {
        // Dual-stack: IPv4 clients arrive as ::ffff:127.0.0.1 and are matched as 127.0.0.1.
        props.push(("bindAddress".into(), "::".into()));
    }
    let c = EmbeddedCluster::start_with(EmbeddedOptions {
        broker_properties: props,
        ..Default::default()
    })
    .await
    .unwrap();
    let broker = c.broker_addrs()[0].clone();

    // An account from each file works.
    assert!(allowed(&broker, "XTopic", creds("fileX001", "secretX01")).await);
    let (code, remark) = send(&broker, "Other", creds("fileX001", "secretX01")).await;
    assert_eq!(code, 1);
    assert!(
        remark.contains("No default permission for topic:Other"),
        "{remark}"
    );
    assert!(allowed(&broker, "AnyTopic", creds("rocketmq2", "87654321")).await);
    // The repeated key: conf/acl/x.yml is read before the default file, its definition wins.
    assert!(allowed(&broker, "AnyTopic", creds("shared01", "fromFileX")).await);
    let (_, remark) = send(&broker, "AnyTopic", creds("shared01", "fromDefault")).await;
    assert!(
        remark.contains("Check signature failed for accessKey=shared01"),
        "{remark}"
    );

    // A file added at run time (in a sub-directory, .yaml) takes effect.
    let yfile = dir.join("team/y.yaml");
    std::fs::create_dir_all(yfile.parent().unwrap()).unwrap();
    std::fs::write(
        &yfile,
        "accounts:\n  - accessKey: fileY001\n    secretKey: secretY01\n    defaultTopicPerm: PUB\n    whiteRemoteAddress: 0:0:0:0:0:0:0:0-ff\n",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !allowed(&broker, "AnyTopic", creds("fileY001", "secretY01")).await {
        assert!(Instant::now() < deadline, "the added file was never read");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Code 50 on an account of x.yml rewrites x.yml, not the default file.
    let admin = MQAdmin::connect(ClientConfig {
        namesrv_addr: Some(c.namesrv_addr()),
        instance_name: "acl_files_admin".into(),
        session_credentials: creds("rocketmq2", "87654321"),
        ..Default::default()
    })
    .unwrap();
    let upd = PlainAccessConfig {
        access_key: Some("fileX001".into()),
        secret_key: Some("secretX01".into()),
        default_topic_perm: Some("DENY".into()),
        topic_perms: Some(vec!["XTopic=PUB".into(), "Other=PUB".into()]),
        ..Default::default()
    };
    admin
        .create_and_update_plain_access_config(&broker, &upd)
        .await
        .unwrap();
    let xtext = std::fs::read_to_string(&x).unwrap();
    assert!(xtext.contains("- Other=PUB"), "{xtext}");
    assert!(xtext.contains("dataVersion:\n- counter: 1\n"), "{xtext}");
    let dtext = std::fs::read_to_string(&default).unwrap();
    assert_eq!(dtext, DEFAULT_YML, "the default file is untouched");
    assert!(allowed(&broker, "Other", creds("fileX001", "secretX01")).await);

    // Code 52: every file's version, keyed by its path; the default file's as `version`.
    let info = admin
        .broker_cluster_acl_version_info(&broker)
        .await
        .unwrap();
    let mut keys: Vec<String> = info.all_acl_config_data_version.keys().cloned().collect();
    keys.sort();
    let mut want = vec![
        default.display().to_string(),
        x.display().to_string(),
        yfile.display().to_string(),
    ];
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(
        info.all_acl_config_data_version[&x.display().to_string()].counter,
        1
    );
    assert_eq!(info.acl_config_data_version.counter, 0);
    // Code 54: the accounts of every file, the repeated one once.
    let all = admin.broker_cluster_acl_config(&broker).await.unwrap();
    let aks: Vec<String> = all
        .plain_access_configs
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.access_key)
        .collect();
    assert_eq!(aks.len(), 4, "{aks:?}");
    assert_eq!(aks.iter().filter(|a| *a == "shared01").count(), 1);

    // IPv6: fileY001's white address 0:0:0:0:0:0:0:0-ff takes in ::1 without a valid
    // signature; over IPv4 the signature is checked.
    let (_, remark) = send(&broker, "AnyTopic", creds("fileY001", "wrongSecret")).await;
    assert!(
        remark.contains("Check signature failed for accessKey=fileY001"),
        "{remark}"
    );
    if v6 {
        let port = broker.rsplit(':').next().unwrap();
        let v6addr = format!("[::1]:{port}");
        let (_, remark) = send(&v6addr, "AnyTopic", creds("fileY001", "wrongSecret")).await;
        assert!(!remark.contains("AclException"), "{remark}");
        let (_, remark) = send(&v6addr, "AnyTopic", creds("fileX001", "wrongSecret")).await;
        assert!(
            remark.contains("Check signature failed for accessKey=fileX001"),
            "{remark}"
        );
    } else {
        eprintln!("no IPv6 loopback: the IPv6 range is covered by the broker's unit tests");
    }
    c.shutdown().await;
}
