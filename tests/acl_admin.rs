//! The ACL management codes 50-54 over TCP (issue 17, part 2): an embedded broker with
//! `aclEnable=true`; the admin account creates an account (which can then send), updates it,
//! deletes it (refused again), replaces the global white list; the file's dataVersion moves on;
//! the file as written is read again by the restarted broker; bad input gets Java's code and
//! remark; a non-admin account is refused; with ACL off the codes fail with their FAILED code.

use rocklet::embedded::{EmbeddedCluster, EmbeddedOptions};
use rocklet_client::{ClientConfig, ClientError, MQAdmin, SessionCredentials};
use rocklet_protocol::body::PlainAccessConfig;
use rocklet_protocol::{RemotingCommand, RequestCode};
use rocklet_remoting::client::ClientOptions;
use rocklet_remoting::RemotingClient;
use std::path::Path;
use std::time::Duration;

const YML: &str = "# managed through the ACL codes
globalWhiteRemoteAddresses:
  - 10.10.10.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - AclTopic=PUB|SUB
  - accessKey: rocketmq2
    secretKey: 87654321
    admin: true
";

fn creds(ak: &str, sk: &str) -> Option<SessionCredentials> {
    Some(SessionCredentials::new(ak, sk))
}

/// One request to `broker` signed with `c`; (code, remark).
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

fn send_fields(topic: &str) -> Vec<(&'static str, String)> {
    vec![
        ("a", "PG".into()),
        ("b", topic.into()),
        ("c", "TBW102".into()),
        ("d", "4".into()),
        ("e", "0".into()),
        ("f", "0".into()),
        ("g", "0".into()),
        ("h", "0".into()),
    ]
}

/// A raw SEND_MESSAGE_V2 to `topic` signed with `c`: (code, remark).
async fn send(broker: &str, topic: &str, c: Option<SessionCredentials>) -> (i32, String) {
    let f = send_fields(topic);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    raw(broker, RequestCode::SEND_MESSAGE_V2, &f, c).await
}

fn admin_client(namesrv: String, c: Option<SessionCredentials>, name: &str) -> MQAdmin {
    MQAdmin::connect(ClientConfig {
        namesrv_addr: Some(namesrv),
        instance_name: name.into(),
        session_credentials: c,
        ..Default::default()
    })
    .unwrap()
}

fn broker_err(r: Result<(), ClientError>) -> (i32, String) {
    match r {
        Err(ClientError::Broker { code, remark, .. }) => (code.as_i32(), remark),
        other => panic!("expected a broker refusal, got {other:?}"),
    }
}

async fn start(home: &Path) -> EmbeddedCluster {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_config_codes_change_the_file_and_the_checks() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("conf")).unwrap();
    let yml = home.path().join("conf/plain_acl.yml");
    std::fs::write(&yml, YML).unwrap();
    let mut c = start(home.path()).await;
    let broker = c.broker_addrs()[0].clone();
    let admin = admin_client(c.namesrv_addr(), creds("rocketmq2", "87654321"), "acl_adm");
    let t0 = rocklet_protocol::time::now_ms();

    // The version before any change: counter 0 (no dataVersion in the file).
    let v0 = admin
        .broker_cluster_acl_version_info(&broker)
        .await
        .unwrap();
    assert_eq!(v0.broker_addr, broker);
    assert_eq!(v0.cluster_name, "DefaultCluster");
    assert_eq!(v0.acl_config_data_version.counter, 0);
    let path = yml.display().to_string();
    assert_eq!(
        v0.all_acl_config_data_version
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        vec![path.clone()]
    );

    // An unknown account is refused; once created it can send to its topic.
    let newbie = creds("newbie01", "secret-01");
    let (code, remark) = send(&broker, "NewTopic", newbie.clone()).await;
    assert_eq!(code, 1);
    assert!(remark.contains("No acl config for newbie01"), "{remark}");
    let acct = PlainAccessConfig {
        access_key: Some("newbie01".into()),
        secret_key: Some("secret-01".into()),
        default_topic_perm: Some("DENY".into()),
        topic_perms: Some(vec!["NewTopic=PUB".into(), "Other=SUB".into()]),
        group_perms: Some(vec!["NewGroup=SUB".into()]),
        ..Default::default()
    };
    admin
        .create_and_update_plain_access_config(&broker, &acct)
        .await
        .unwrap();
    let (code, remark) = send(&broker, "NewTopic", newbie.clone()).await;
    assert!(!remark.contains("AclException"), "{code} {remark}");
    let (code, remark) = send(&broker, "Other", newbie.clone()).await;
    assert_eq!(code, 1);
    assert!(
        remark.contains("No default permission for topic:Other"),
        "{remark}"
    );

    // The file as Java's SnakeYAML writes it: comment gone, the new account last, its keys in
    // PlainAccessConfig's order, the version added at the end.
    let text = std::fs::read_to_string(&yml).unwrap();
    assert!(text.starts_with(
        "globalWhiteRemoteAddresses:\n- 10.10.10.*\naccounts:\n- accessKey: RocketMQ\n  secretKey: 12345678\n  whiteRemoteAddress: null\n  admin: false\n"
    ), "{text}");
    assert!(
        text.contains(
            "- accessKey: newbie01\n  secretKey: secret-01\n  admin: false\n  defaultTopicPerm: DENY\n  topicPerms:\n  - NewTopic=PUB\n  - Other=SUB\n  groupPerms:\n  - NewGroup=SUB\ndataVersion:\n- counter: 1\n  timestamp: "
        ),
        "{text}"
    );
    let v1 = admin
        .broker_cluster_acl_version_info(&broker)
        .await
        .unwrap();
    assert_eq!(v1.acl_config_data_version.counter, 1);
    assert!(v1.acl_config_data_version.timestamp >= t0);
    assert_eq!(v1.all_acl_config_data_version[&path].counter, 1);

    // Update: Other gets PUB; the account moves to the end (it already is), the version is 2.
    let upd = PlainAccessConfig {
        topic_perms: Some(vec!["NewTopic=PUB".into(), "Other=PUB".into()]),
        ..acct.clone()
    };
    admin
        .create_and_update_plain_access_config(&broker, &upd)
        .await
        .unwrap();
    let (_, remark) = send(&broker, "Other", newbie.clone()).await;
    assert!(!remark.contains("AclException"), "{remark}");
    // Updating the first account moves it to the end of the list, as Java's remove + add.
    let first = PlainAccessConfig {
        access_key: Some("RocketMQ".into()),
        secret_key: Some("12345678".into()),
        white_remote_address: Some("*".into()),
        ..Default::default()
    };
    admin
        .create_and_update_plain_access_config(&broker, &first)
        .await
        .unwrap();
    let text = std::fs::read_to_string(&yml).unwrap();
    assert!(
        text.contains("- accessKey: RocketMQ\n  secretKey: '12345678'\n  whiteRemoteAddress: '*'\n  admin: false\n  defaultTopicPerm: DENY\n  defaultGroupPerm: SUB\n  topicPerms:\n  - AclTopic=PUB|SUB\ndataVersion:\n- counter: 3\n"),
        "{text}"
    );
    assert!(text.starts_with(
        "globalWhiteRemoteAddresses:\n- 10.10.10.*\naccounts:\n- accessKey: rocketmq2\n"
    ));

    // GET_BROKER_CLUSTER_ACL_CONFIG: what the file holds.
    let all = admin.broker_cluster_acl_config(&broker).await.unwrap();
    assert_eq!(all.global_white_addrs, Some(vec!["10.10.10.*".to_string()]));
    let accts = all.plain_access_configs.unwrap();
    let keys: Vec<_> = accts.iter().filter_map(|a| a.access_key.clone()).collect();
    assert_eq!(keys, vec!["rocketmq2", "newbie01", "RocketMQ"]);
    assert_eq!(accts[1].topic_perms, upd.topic_perms);
    assert_eq!(accts[2].white_remote_address.as_deref(), Some("*"));

    // Bad input: Java's code (209) and remark; the file is not touched.
    let before = std::fs::read_to_string(&yml).unwrap();
    let bad = |ak: &str, sk: Option<&str>| PlainAccessConfig {
        access_key: Some(ak.into()),
        secret_key: sk.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(
        broker_err(
            admin
                .create_and_update_plain_access_config(&broker, &bad("short", Some("12345678")))
                .await
        ),
        (
            209,
            "The accessKey=short and secretKey=12345678 cannot be null and length should longer than 6".into()
        )
    );
    assert_eq!(
        broker_err(
            admin
                .create_and_update_plain_access_config(&broker, &bad("longenough", Some("123456")))
                .await
        ),
        (
            209,
            "The accessKey=longenough and secretKey=123456 cannot be null and length should longer than 6".into()
        )
    );
    assert_eq!(
        broker_err(
            admin
                .create_and_update_plain_access_config(&broker, &bad("longenough", None))
                .await
        ),
        (
            209,
            "The accessKey=longenough and secretKey=null cannot be null and length should longer than 6".into()
        )
    );
    // An empty secretKey is kept as sent (Java's decoder keeps "").
    assert_eq!(
        raw(
            &broker,
            RequestCode::UPDATE_AND_CREATE_ACL_CONFIG,
            &[("accessKey", "longenough"), ("secretKey", ""), ("admin", "false")],
            creds("rocketmq2", "87654321"),
        )
        .await,
        (
            209,
            "The accessKey=longenough and secretKey= cannot be null and length should longer than 6".into()
        )
    );
    let bad_perm = PlainAccessConfig {
        topic_perms: Some(vec!["T1=READ".into()]),
        ..bad("longenough", Some("12345678"))
    };
    assert_eq!(
        broker_err(
            admin
                .create_and_update_plain_access_config(&broker, &bad_perm)
                .await
        ),
        (
            209,
            "Parse resource permission error for T1=READ.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.".into()
        )
    );
    let bad_fmt = PlainAccessConfig {
        group_perms: Some(vec!["G1".into()]),
        ..bad("longenough", Some("12345678"))
    };
    assert_eq!(
        broker_err(
            admin
                .create_and_update_plain_access_config(&broker, &bad_fmt)
                .await
        ),
        (
            209,
            "Parse Resource format error for G1.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB".into()
        )
    );
    assert_eq!(
        broker_err(admin.delete_plain_access_config(&broker, "nobody99").await),
        (
            210,
            "The accesskey[nobody99] corresponding to accessConfig has been deleted failed.".into()
        )
    );
    assert_eq!(std::fs::read_to_string(&yml).unwrap(), before);

    // A non-admin account may not use the codes (Rocklet asks for admin; see differences.md).
    let (code, remark) = raw(
        &broker,
        RequestCode::UPDATE_AND_CREATE_ACL_CONFIG,
        &[
            ("accessKey", "sneaky01"),
            ("secretKey", "12345678"),
            ("admin", "true"),
        ],
        newbie.clone(),
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        remark.contains("Need admin permission for request code=50, but accessKey=newbie01 is not"),
        "{remark}"
    );
    let (code, _) = raw(
        &broker,
        RequestCode::GET_BROKER_CLUSTER_ACL_CONFIG,
        &[],
        newbie.clone(),
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&yml).unwrap(), before);

    // Delete: the account is refused again.
    admin
        .delete_plain_access_config(&broker, "newbie01")
        .await
        .unwrap();
    let (code, remark) = send(&broker, "NewTopic", newbie.clone()).await;
    assert_eq!(code, 1);
    assert!(remark.contains("No acl config for newbie01"), "{remark}");

    // The global white list: 127.0.0.1 lets an unsigned request through; removing it refuses
    // it again. Bad addresses are refused (211) before the file is touched.
    let (code, remark) = send(&broker, "AnyTopic", None).await;
    assert_eq!(code, 1);
    assert!(remark.contains("No accessKey is configured"), "{remark}");
    admin
        .update_global_white_addr_config(&broker, "10.10.10.*,127.0.0.1")
        .await
        .unwrap();
    let (_, remark) = send(&broker, "AnyTopic", None).await;
    assert!(!remark.contains("AclException"), "{remark}");
    let (code, remark) = broker_err(
        admin
            .update_global_white_addr_config(&broker, "10.10.10.*,not-an-address")
            .await,
    );
    assert_eq!(code, 211);
    assert!(remark.contains("not-an-address"), "{remark}");
    admin
        .update_global_white_addr_config(&broker, "10.10.10.*")
        .await
        .unwrap();
    let (code, remark) = send(&broker, "AnyTopic", None).await;
    assert_eq!(code, 1);
    assert!(remark.contains("No accessKey is configured"), "{remark}");

    // Six changes so far.
    let v6 = admin
        .broker_cluster_acl_version_info(&broker)
        .await
        .unwrap();
    assert_eq!(v6.acl_config_data_version.counter, 6);
    assert!(v6.acl_config_data_version.timestamp >= v1.acl_config_data_version.timestamp);
    let text = std::fs::read_to_string(&yml).unwrap();
    assert!(text.contains("dataVersion:\n- counter: 6\n"), "{text}");

    // A new broker reads the file as written and gives the same answers.
    admin.instance().shutdown();
    c.restart_broker(0).await.unwrap();
    let broker = c.broker_addrs()[0].clone();
    let admin = admin_client(c.namesrv_addr(), creds("rocketmq2", "87654321"), "acl_adm2");
    let v = admin
        .broker_cluster_acl_version_info(&broker)
        .await
        .unwrap();
    assert_eq!(v.acl_config_data_version, v6.acl_config_data_version);
    let all2 = admin.broker_cluster_acl_config(&broker).await.unwrap();
    let keys: Vec<_> = all2
        .plain_access_configs
        .unwrap()
        .iter()
        .filter_map(|a| a.access_key.clone())
        .collect();
    assert_eq!(keys, vec!["rocketmq2", "RocketMQ"]);
    // RocketMQ is white-listed for every address now: even a wrong secret passes.
    let (_, remark) = send(&broker, "AclTopic", creds("RocketMQ", "wrong-one")).await;
    assert!(!remark.contains("AclException"), "{remark}");
    let (code, remark) = send(&broker, "NewTopic", newbie).await;
    assert_eq!(code, 1);
    assert!(remark.contains("No acl config for newbie01"), "{remark}");
    admin.instance().shutdown();
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_config_codes_with_acl_off() {
    let c = EmbeddedCluster::start().await.unwrap();
    let broker = c.broker_addrs()[0].clone();
    for (code, fields, want) in [
        (
            RequestCode::UPDATE_AND_CREATE_ACL_CONFIG,
            vec![("accessKey", "someone1"), ("secretKey", "12345678")],
            209,
        ),
        (
            RequestCode::DELETE_ACL_CONFIG,
            vec![("accessKey", "someone1")],
            210,
        ),
        (
            RequestCode::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
            vec![("globalWhiteAddrs", "127.0.0.1")],
            211,
        ),
        (RequestCode::GET_BROKER_CLUSTER_ACL_INFO, vec![], 1),
        (RequestCode::GET_BROKER_CLUSTER_ACL_CONFIG, vec![], 1),
    ] {
        let (got, remark) = raw(&broker, code, &fields, None).await;
        assert_eq!(got, want, "{code}: {remark}");
        assert!(remark.contains("aclEnable=false"), "{code}: {remark}");
    }
    // A missing required header field: SYSTEM_ERROR naming it.
    let (got, remark) = raw(&broker, RequestCode::DELETE_ACL_CONFIG, &[], None).await;
    assert_eq!(got, 1);
    assert!(remark.contains("accessKey"), "{remark}");
    c.shutdown().await;
}
