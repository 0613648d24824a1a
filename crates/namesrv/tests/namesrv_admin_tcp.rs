//! The admin side of the name server over real TCP on 127.0.0.1: KV config (incl. kvConfig.json
//! across a restart), GET/UPDATE_NAMESRV_CONFIG, the system and unit topic lists, topics by
//! cluster, write-permission wipe/add and topic deletion. Expected bodies and remarks are the
//! ones the real 4.9.3 name server gave for the same requests.

use rocklet_namesrv::{Namesrv, NamesrvConfig};
use rocklet_protocol::body::{
    decode_json, encode_json, parse_properties_text, DataVersion, KvTable, RegisterBrokerBody,
    TopicConfig, TopicConfigSerializeWrapper, TopicList,
};
use rocklet_protocol::header::*;
use rocklet_protocol::route::TopicRouteData;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::RemotingClient;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

fn config(dir: &Path) -> NamesrvConfig {
    NamesrvConfig {
        listen_port: 0,
        bind_addr: [127, 0, 0, 1].into(),
        rocketmq_home: Some("/opt/rocketmq".into()),
        kv_config_path: Some(dir.join("namesrv/kvConfig.json")),
        config_store_path: Some(dir.join("namesrv/namesrv.properties")),
        ..Default::default()
    }
}

async fn start(cfg: NamesrvConfig) -> (Namesrv, String) {
    let ns = Namesrv::start(cfg).await.expect("namesrv starts");
    let addr = ns.local_addr().to_string();
    (ns, addr)
}

async fn call(c: &RemotingClient, addr: &str, cmd: RemotingCommand) -> RemotingCommand {
    c.invoke(addr, cmd, T).await.expect("answer")
}

fn kv(code: RequestCode, fields: &[(&str, &str)]) -> RemotingCommand {
    let mut cmd = RemotingCommand::request_bare(code);
    for (k, v) in fields {
        cmd.ext_fields.insert(k, v);
    }
    cmd
}

fn assert_code(r: &RemotingCommand, code: ResponseCode) {
    assert_eq!(r.code, code.as_i32(), "remark: {:?}", r.remark);
}

fn topic_list(r: &RemotingCommand) -> TopicList {
    assert_code(r, ResponseCode::SUCCESS);
    let mut tl: TopicList = decode_json(r.body_bytes()).expect("TopicList json");
    tl.topic_list.sort();
    tl
}

fn register_cmd(
    cluster: &str,
    name: &str,
    addr: &str,
    id: i64,
    topics: &[(&str, i32)],
) -> RemotingCommand {
    let mut w = TopicConfigSerializeWrapper {
        data_version: DataVersion {
            counter: 1,
            timestamp: 1,
        },
        ..Default::default()
    };
    for (t, flag) in topics {
        let mut tc = TopicConfig::new(*t, 4, 4, 6);
        tc.topic_sys_flag = *flag;
        w.topic_config_table.insert((*t).into(), tc);
    }
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: w,
    }
    .encode(false);
    let h = RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: cluster.into(),
        ha_server_addr: addr.into(),
        broker_id: id,
        compressed: Some(false),
        body_crc32: Some(0),
    };
    RemotingCommand::request(RequestCode::REGISTER_BROKER, &h).with_body(body)
}

async fn route(c: &RemotingClient, addr: &str, topic: &str) -> TopicRouteData {
    let h = GetRouteInfoRequestHeader {
        topic: topic.into(),
    };
    let r = call(
        c,
        addr,
        RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC, &h),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    TopicRouteData::from_json(r.body_bytes()).expect("route json")
}

fn update_config(text: &str) -> RemotingCommand {
    RemotingCommand::request_bare(RequestCode::UPDATE_NAMESRV_CONFIG)
        .with_body(text.as_bytes().to_vec())
}

async fn get_config(c: &RemotingClient, addr: &str) -> (String, BTreeMap<String, String>) {
    let r = call(
        c,
        addr,
        RemotingCommand::request_bare(RequestCode::GET_NAMESRV_CONFIG),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    let text = String::from_utf8(r.body_bytes().to_vec()).expect("utf-8");
    let map = parse_properties_text(&text)
        .expect("properties")
        .into_iter()
        .collect();
    (text, map)
}

#[tokio::test]
async fn kv_config_put_get_list_delete_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (ns, addr) = start(config(dir.path())).await;
    let c = RemotingClient::default();
    use RequestCode::*;

    for (k, v) in [("K", "V"), ("K2", "V2"), ("empty", "")] {
        let h = PutKvConfigRequestHeader {
            namespace: "N".into(),
            key: k.into(),
            value: v.into(),
        };
        assert_code(
            &call(&c, &addr, RemotingCommand::request(PUT_KV_CONFIG, &h)).await,
            ResponseCode::SUCCESS,
        );
    }
    let h = KvConfigRequestHeader {
        namespace: "N".into(),
        key: "K".into(),
    };
    let r = call(&c, &addr, RemotingCommand::request(GET_KV_CONFIG, &h)).await;
    assert_code(&r, ResponseCode::SUCCESS);
    assert_eq!(r.ext_fields.get("value"), Some("V"));
    // An empty value is a value, as in Java.
    let r = call(
        &c,
        &addr,
        kv(GET_KV_CONFIG, &[("namespace", "N"), ("key", "empty")]),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    assert_eq!(r.ext_fields.get("value"), Some(""));

    // Absent key and absent fields: Java's codes and remarks.
    let r = call(
        &c,
        &addr,
        kv(GET_KV_CONFIG, &[("namespace", "N"), ("key", "nope")]),
    )
    .await;
    assert_code(&r, ResponseCode::QUERY_NOT_FOUND);
    assert_eq!(
        r.remark.as_deref(),
        Some("No config item, Namespace: N Key: nope")
    );
    let r = call(&c, &addr, kv(GET_KV_CONFIG, &[("namespace", "N")])).await;
    assert_eq!(
        r.remark.as_deref(),
        Some("No config item, Namespace: N Key: null")
    );
    let r = call(
        &c,
        &addr,
        kv(GET_KVLIST_BY_NAMESPACE, &[("namespace", "nosuch")]),
    )
    .await;
    assert_code(&r, ResponseCode::QUERY_NOT_FOUND);
    assert_eq!(
        r.remark.as_deref(),
        Some("No config item, Namespace: nosuch")
    );
    let r = call(
        &c,
        &addr,
        kv(PUT_KV_CONFIG, &[("namespace", "N"), ("value", "x")]),
    )
    .await;
    assert_code(&r, ResponseCode::SYSTEM_ERROR);
    assert_eq!(r.remark.as_deref(), Some("namespace or key is null"));

    let r = call(
        &c,
        &addr,
        kv(GET_KVLIST_BY_NAMESPACE, &[("namespace", "N")]),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    assert_eq!(
        r.body_bytes(),
        br#"{"table":{"K":"V","K2":"V2","empty":""}}"#
    );

    // Delete; a delete of an absent key is SUCCESS too.
    for key in ["K2", "empty", "never"] {
        let r = call(
            &c,
            &addr,
            kv(DELETE_KV_CONFIG, &[("namespace", "N"), ("key", key)]),
        )
        .await;
        assert_code(&r, ResponseCode::SUCCESS);
    }
    let order = [
        ("namespace", "ORDER_TOPIC_CONFIG"),
        ("key", "T1"),
        ("value", "broker-a:4"),
    ];
    assert_code(
        &call(&c, &addr, kv(PUT_KV_CONFIG, &order)).await,
        ResponseCode::SUCCESS,
    );

    // The file is Java's kvConfig.json; the previous version is kept as .bak.
    let file = dir.path().join("namesrv/kvConfig.json");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        r#"{"configTable":{"N":{"K":"V"},"ORDER_TOPIC_CONFIG":{"T1":"broker-a:4"}}}"#
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("namesrv/kvConfig.json.bak")).unwrap(),
        r#"{"configTable":{"N":{"K":"V"}}}"#
    );
    ns.shutdown().await;

    // Restart: the table is back.
    let (ns, addr) = start(config(dir.path())).await;
    let r = call(&c, &addr, RemotingCommand::request(GET_KV_CONFIG, &h)).await;
    assert_code(&r, ResponseCode::SUCCESS);
    assert_eq!(r.ext_fields.get("value"), Some("V"));

    // Registration answers the ORDER_TOPIC_CONFIG namespace; routes carry orderTopicConf only
    // once orderMessageEnable is set.
    let r = call(
        &c,
        &addr,
        register_cmd("C1", "broker-a", "127.0.0.1:10911", 0, &[("T1", 0)]),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    let t: KvTable = decode_json(r.body_bytes()).unwrap();
    assert_eq!(t.table["T1"], "broker-a:4");
    assert_eq!(route(&c, &addr, "T1").await.order_topic_conf, None);
    assert_code(
        &call(&c, &addr, update_config("orderMessageEnable=true")).await,
        ResponseCode::SUCCESS,
    );
    assert_eq!(
        route(&c, &addr, "T1").await.order_topic_conf.as_deref(),
        Some("broker-a:4")
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn kv_config_file_as_fastjson_reads_it_and_a_bad_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("namesrv/kvConfig.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        r#"{"extra":1,"configTable":{"A":null,"B":{"x":null,"y":"1"}}}"#,
    )
    .unwrap();
    let (ns, addr) = start(config(dir.path())).await;
    let c = RemotingClient::default();
    let r = call(
        &c,
        &addr,
        kv(RequestCode::GET_KVLIST_BY_NAMESPACE, &[("namespace", "B")]),
    )
    .await;
    assert_eq!(r.body_bytes(), br#"{"table":{"y":"1"}}"#);
    ns.shutdown().await;

    std::fs::write(&file, "{not json").unwrap();
    let err = Namesrv::start(config(dir.path()))
        .await
        .err()
        .expect("refuses to start");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn namesrv_config_get_and_update() {
    let dir = tempfile::tempdir().unwrap();
    let (ns, addr) = start(config(dir.path())).await;
    let c = RemotingClient::default();
    let (text, map) = get_config(&c, &addr).await;
    assert_eq!(map.len(), 20, "{text}");
    assert!(
        text.starts_with("serverSocketBacklog=1024\nwriteBufferHighWaterMark=0\n"),
        "{text}"
    );
    assert_eq!(map["listenPort"], ns.local_addr().port().to_string());
    assert_eq!(map["rocketmqHome"], "/opt/rocketmq");
    assert_eq!(
        Path::new(&map["kvConfigPath"]),
        dir.path().join("namesrv/kvConfig.json")
    );
    assert_eq!(map["orderMessageEnable"], "false");
    assert_eq!(map["productEnvName"], "center");

    // No body: nothing changes, nothing written.
    let store = dir.path().join("namesrv/namesrv.properties");
    let r = call(
        &c,
        &addr,
        RemotingCommand::request_bare(RequestCode::UPDATE_NAMESRV_CONFIG),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    assert!(!store.exists());

    // Unknown keys and unparsable numbers are ignored, as Java's properties2Object does.
    let r = call(
        &c,
        &addr,
        update_config(
            "orderMessageEnable=true\nfoo=bar\nserverWorkerThreads=abc\nproductEnvName = x y\n",
        ),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    let (text, map) = get_config(&c, &addr).await;
    assert_eq!(map["orderMessageEnable"], "true");
    assert_eq!(map["serverWorkerThreads"], "8");
    assert_eq!(map["productEnvName"], "x y");
    assert!(!map.contains_key("foo"));
    assert_eq!(
        ns.processor().setting("orderMessageEnable").as_deref(),
        Some("true")
    );
    // Persisted to configStorePath: the same text GET_NAMESRV_CONFIG gives.
    assert_eq!(std::fs::read_to_string(&store).unwrap(), text);

    let r = call(&c, &addr, update_config("a=\\u12")).await;
    assert_code(&r, ResponseCode::SYSTEM_ERROR);
    assert_eq!(r.remark.as_deref(), Some("string2Properties error"));

    // kvConfigPath is read at each write, as in Java.
    let moved = dir.path().join("elsewhere/kv.json");
    let r = call(
        &c,
        &addr,
        update_config(&format!("kvConfigPath={}", moved.display())),
    )
    .await;
    assert_code(&r, ResponseCode::SUCCESS);
    let put = [("namespace", "N"), ("key", "K"), ("value", "V")];
    assert_code(
        &call(&c, &addr, kv(RequestCode::PUT_KV_CONFIG, &put)).await,
        ResponseCode::SUCCESS,
    );
    assert_eq!(
        std::fs::read_to_string(&moved).unwrap(),
        r#"{"configTable":{"N":{"K":"V"}}}"#
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn topic_lists_write_perm_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let (ns, addr) = start(config(dir.path())).await;
    // The registrations share this client's connection, which stays open for the whole test
    // (a broker is dropped when its connection closes).
    let c = RemotingClient::default();
    use RequestCode::*;
    let a_topics = [("T0", 0), ("T1", 1), ("T2", 2), ("T3", 3)];
    for (cluster, name, baddr, id, topics) in [
        ("C1", "broker-a", "127.0.0.1:1111", 0, &a_topics[..]),
        ("C1", "broker-a", "127.0.0.1:1112", 1, &a_topics[..]),
        (
            "C2",
            "broker-b",
            "127.0.0.1:2222",
            0,
            &[("T1", 1), ("B", 0)][..],
        ),
    ] {
        let r = call(&c, &addr, register_cmd(cluster, name, baddr, id, topics)).await;
        assert_code(&r, ResponseCode::SUCCESS);
        assert!(r.body.is_none(), "no ORDER_TOPIC_CONFIG namespace: no body");
    }
    let list = |code: RequestCode| RemotingCommand::request_bare(code);

    let tl = topic_list(&call(&c, &addr, list(GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).await);
    assert_eq!(tl.topic_list, ["B", "T0", "T1", "T2", "T3"]);
    assert_eq!(tl.broker_addr, None);

    let r = call(&c, &addr, list(GET_SYSTEM_TOPIC_LIST_FROM_NS)).await;
    let tl = topic_list(&r);
    assert_eq!(tl.topic_list, ["C1", "C2", "broker-a", "broker-b"]);
    assert_eq!(tl.broker_addr.as_deref(), Some("127.0.0.1:1111"));

    assert_eq!(
        topic_list(&call(&c, &addr, list(GET_UNIT_TOPIC_LIST)).await).topic_list,
        ["T1", "T3"]
    );
    assert_eq!(
        topic_list(&call(&c, &addr, list(GET_HAS_UNIT_SUB_TOPIC_LIST)).await).topic_list,
        ["T2", "T3"]
    );
    assert_eq!(
        topic_list(&call(&c, &addr, list(GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST)).await).topic_list,
        ["T2"]
    );

    let by_cluster = |cluster: &str| {
        RemotingCommand::request(
            GET_TOPICS_BY_CLUSTER,
            &GetTopicsByClusterRequestHeader {
                cluster: cluster.into(),
            },
        )
    };
    assert_eq!(
        topic_list(&call(&c, &addr, by_cluster("C1")).await).topic_list,
        ["T0", "T1", "T2", "T3"]
    );
    assert_eq!(
        topic_list(&call(&c, &addr, by_cluster("C2")).await).topic_list,
        ["B", "T1"]
    );
    assert!(topic_list(&call(&c, &addr, by_cluster("nosuch")).await)
        .topic_list
        .is_empty());

    // Wipe then add: counts are topics of the broker, add restores read+write.
    let broker = |code, name: &str| {
        RemotingCommand::request(
            code,
            &BrokerNameRequestHeader {
                broker_name: name.into(),
            },
        )
    };
    let r = call(&c, &addr, broker(WIPE_WRITE_PERM_OF_BROKER, "broker-a")).await;
    assert_code(&r, ResponseCode::SUCCESS);
    assert_eq!(
        r.header::<WipeWritePermOfBrokerResponseHeader>()
            .unwrap()
            .wipe_topic_count,
        4
    );
    let perms = |rd: &TopicRouteData| -> Vec<(String, i32)> {
        rd.queue_datas
            .iter()
            .map(|q| (q.broker_name.clone(), q.perm))
            .collect()
    };
    let rd = route(&c, &addr, "T1").await;
    assert_eq!(perms(&rd), [("broker-a".into(), 4), ("broker-b".into(), 6)]);
    let r = call(&c, &addr, broker(ADD_WRITE_PERM_OF_BROKER, "broker-a")).await;
    assert_eq!(
        r.header::<AddWritePermOfBrokerResponseHeader>()
            .unwrap()
            .add_topic_count,
        4
    );
    assert_eq!(
        perms(&route(&c, &addr, "T1").await)[0],
        ("broker-a".into(), 6)
    );
    let r = call(&c, &addr, broker(WIPE_WRITE_PERM_OF_BROKER, "nosuch")).await;
    assert_eq!(r.ext_fields.get("wipeTopicCount"), Some("0"));

    let del = RemotingCommand::request(
        DELETE_TOPIC_IN_NAMESRV,
        &TopicRequestHeader { topic: "T0".into() },
    );
    assert_code(&call(&c, &addr, del).await, ResponseCode::SUCCESS);
    let tl = topic_list(&call(&c, &addr, list(GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).await);
    assert_eq!(tl.topic_list, ["B", "T1", "T2", "T3"]);

    // QUERY_DATA_VERSION without a body fails, as in Java.
    let h = QueryDataVersionRequestHeader {
        broker_name: "broker-a".into(),
        broker_addr: "127.0.0.1:1111".into(),
        cluster_name: "C1".into(),
        broker_id: 0,
    };
    let r = call(&c, &addr, RemotingCommand::request(QUERY_DATA_VERSION, &h)).await;
    assert_code(&r, ResponseCode::SYSTEM_ERROR);
    let dv = DataVersion {
        counter: 1,
        timestamp: 1,
    };
    let r = call(
        &c,
        &addr,
        RemotingCommand::request(QUERY_DATA_VERSION, &h).with_body(encode_json(&dv)),
    )
    .await;
    assert_eq!(r.ext_fields.get("changed"), Some("false"));
    ns.shutdown().await;
}
