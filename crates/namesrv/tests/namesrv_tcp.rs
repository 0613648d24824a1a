//! Name server over real TCP on 127.0.0.1: registration (JSON, compressed, pre-V3_0_11 body),
//! unregistration, route / cluster / topic-list queries, data version, broker expiry and
//! removal on connection close, and that every handled code is dispatched.

use rocklet_namesrv::{Namesrv, NamesrvConfig, HANDLED_CODES};
use rocklet_protocol::body::{
    decode_json, encode_json, DataVersion, RegisterBrokerBody, TopicConfig,
    TopicConfigSerializeWrapper, TopicList,
};
use rocklet_protocol::header::*;
use rocklet_protocol::message::body_crc;
use rocklet_protocol::route::{ClusterInfo, TopicRouteData};
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocklet_remoting::RemotingClient;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

/// A name server on 127.0.0.1:0 with its KV config in a fresh directory (kept while the
/// returned `TempDir` lives).
async fn start(expired: Duration, scan: Duration) -> (Namesrv, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ns = Namesrv::start(NamesrvConfig {
        listen_port: 0,
        bind_addr: [127, 0, 0, 1].into(),
        broker_channel_expired: expired,
        scan_interval: scan,
        kv_config_path: Some(dir.path().join("kvConfig.json")),
        config_store_path: Some(dir.path().join("namesrv.properties")),
        ..Default::default()
    })
    .await
    .expect("namesrv starts");
    let addr = ns.local_addr().to_string();
    (ns, addr, dir)
}

async fn start_default() -> (Namesrv, String, tempfile::TempDir) {
    start(Duration::from_secs(120), Duration::from_secs(10)).await
}

fn wrapper(topics: &[(&str, i32)], counter: i64) -> TopicConfigSerializeWrapper {
    let mut w = TopicConfigSerializeWrapper {
        data_version: DataVersion {
            counter,
            timestamp: 1_700_000_000_000,
        },
        ..Default::default()
    };
    for (t, q) in topics {
        w.topic_config_table
            .insert((*t).into(), TopicConfig::new(*t, *q, *q, 6));
    }
    w
}

fn register_cmd(
    name: &str,
    addr: &str,
    id: i64,
    w: &TopicConfigSerializeWrapper,
    compressed: bool,
) -> RemotingCommand {
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: w.clone(),
    }
    .encode(compressed);
    let h = RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: "C1".into(),
        ha_server_addr: "127.0.0.1:10912".into(),
        broker_id: id,
        compressed: Some(compressed),
        body_crc32: Some(body_crc(&body)),
    };
    RemotingCommand::request(RequestCode::REGISTER_BROKER, &h).with_body(body)
}

async fn route(c: &RemotingClient, ns: &str, topic: &str) -> RemotingCommand {
    let h = GetRouteInfoRequestHeader {
        topic: topic.into(),
    };
    c.invoke(
        ns,
        RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC, &h),
        T,
    )
    .await
    .expect("route request")
}

async fn cluster(c: &RemotingClient, ns: &str) -> ClusterInfo {
    let r = c
        .invoke(
            ns,
            RemotingCommand::request_bare(RequestCode::GET_BROKER_CLUSTER_INFO),
            T,
        )
        .await
        .expect("cluster info");
    assert_eq!(r.code, 0);
    ClusterInfo::from_json(r.body_bytes()).expect("cluster json")
}

fn ok(r: &RemotingCommand) {
    assert_eq!(
        r.code,
        ResponseCode::SUCCESS.as_i32(),
        "remark: {:?}",
        r.remark
    );
}

#[tokio::test]
async fn register_json_and_compressed_and_query_routes() {
    let (ns, addr, _dir) = start_default().await;
    let c = RemotingClient::default();
    // JSON body.
    let w_a = wrapper(&[("TopicA", 4), ("Shared", 2)], 1);
    let r = c
        .invoke(
            &addr,
            register_cmd("broker-a", "127.0.0.1:10911", 0, &w_a, false),
            T,
        )
        .await
        .unwrap();
    ok(&r);
    // Compressed body (header compressed=true).
    let w_b = wrapper(&[("TopicB", 8), ("Shared", 3)], 1);
    let r = c
        .invoke(
            &addr,
            register_cmd("broker-b", "127.0.0.1:20911", 0, &w_b, true),
            T,
        )
        .await
        .unwrap();
    ok(&r);

    // Route JSON as Java writes it: unquoted integer keys in brokerAddrs.
    let r = route(&c, &addr, "TopicA").await;
    ok(&r);
    let text = std::str::from_utf8(r.body_bytes()).unwrap();
    assert!(
        text.contains(r#""brokerAddrs":{0:"127.0.0.1:10911"}"#),
        "route json: {text}"
    );
    let rd = TopicRouteData::from_json(r.body_bytes()).unwrap();
    assert_eq!(rd.queue_datas.len(), 1);
    assert_eq!(rd.queue_datas[0].write_queue_nums, 4);

    let rd = TopicRouteData::from_json(route(&c, &addr, "TopicB").await.body_bytes()).unwrap();
    assert_eq!(rd.queue_datas[0].broker_name, "broker-b");
    assert_eq!(rd.queue_datas[0].read_queue_nums, 8);

    let rd = TopicRouteData::from_json(route(&c, &addr, "Shared").await.body_bytes()).unwrap();
    let mut names: Vec<_> = rd
        .broker_datas
        .iter()
        .map(|b| b.broker_name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["broker-a", "broker-b"]);

    // Unknown topic: TOPIC_NOT_EXIST with Java's remark.
    let r = route(&c, &addr, "NoSuchTopic").await;
    assert_eq!(r.code, ResponseCode::TOPIC_NOT_EXIST.as_i32());
    assert!(r.remark.unwrap_or_default().contains("NoSuchTopic"));

    // Cluster info.
    let ci = cluster(&c, &addr).await;
    assert_eq!(ci.cluster_addr_table["C1"].len(), 2);
    assert_eq!(
        ci.broker_addr_table["broker-b"].master_addr(),
        Some("127.0.0.1:20911")
    );

    // All topics.
    let r = c
        .invoke(
            &addr,
            RemotingCommand::request_bare(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
            T,
        )
        .await
        .unwrap();
    ok(&r);
    let tl: TopicList = decode_json(r.body_bytes()).unwrap();
    let mut topics = tl.topic_list.clone();
    topics.sort();
    assert_eq!(topics, ["Shared", "TopicA", "TopicB"]);

    // A bad CRC is refused and changes nothing.
    let mut bad = register_cmd(
        "broker-c",
        "127.0.0.1:30911",
        0,
        &wrapper(&[("TopicC", 1)], 1),
        false,
    );
    bad.ext_fields.insert("bodyCrc32", "12345");
    let r = c.invoke(&addr, bad, T).await.unwrap();
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert_eq!(route(&c, &addr, "TopicC").await.code, 17);

    // A slave learns its master's address.
    let r = c
        .invoke(
            &addr,
            register_cmd("broker-a", "127.0.0.1:10921", 1, &w_a, false),
            T,
        )
        .await
        .unwrap();
    ok(&r);
    let h: RegisterBrokerResponseHeader = r.header().unwrap();
    assert_eq!(h.master_addr.as_deref(), Some("127.0.0.1:10911"));
    assert_eq!(h.ha_server_addr.as_deref(), Some("127.0.0.1:10912"));

    // Unregister broker-a's master and slave: TopicA disappears, Shared keeps broker-b.
    for (a, id) in [("127.0.0.1:10911", 0), ("127.0.0.1:10921", 1)] {
        let h = UnRegisterBrokerRequestHeader {
            broker_name: "broker-a".into(),
            broker_addr: a.into(),
            cluster_name: "C1".into(),
            broker_id: id,
        };
        let r = c
            .invoke(
                &addr,
                RemotingCommand::request(RequestCode::UNREGISTER_BROKER, &h),
                T,
            )
            .await
            .unwrap();
        ok(&r);
    }
    assert_eq!(route(&c, &addr, "TopicA").await.code, 17);
    let rd = TopicRouteData::from_json(route(&c, &addr, "Shared").await.body_bytes()).unwrap();
    assert_eq!(rd.broker_datas.len(), 1);
    assert_eq!(
        cluster(&c, &addr).await.cluster_addr_table["C1"],
        ["broker-b"]
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn old_broker_version_sends_bare_wrapper() {
    let (ns, addr, _dir) = start_default().await;
    let c = RemotingClient::default();
    let w = wrapper(&[("OldTopic", 2)], 1);
    let body = encode_json(&w);
    let h = RegisterBrokerRequestHeader {
        broker_name: "old".into(),
        broker_addr: "127.0.0.1:10911".into(),
        cluster_name: "C1".into(),
        ha_server_addr: String::new(),
        broker_id: 0,
        compressed: None,
        body_crc32: None,
    };
    let mut cmd = RemotingCommand::request(RequestCode::REGISTER_BROKER, &h).with_body(body);
    cmd.version = 36; // before V3_0_11
    let r = c.invoke(&addr, cmd, T).await.unwrap();
    ok(&r);
    let r = route(&c, &addr, "OldTopic").await;
    ok(&r);
    let rd = TopicRouteData::from_json(r.body_bytes()).unwrap();
    assert_eq!(rd.queue_datas[0].write_queue_nums, 2);
    ns.shutdown().await;
}

#[tokio::test]
async fn query_data_version() {
    let (ns, addr, _dir) = start_default().await;
    let c = RemotingClient::default();
    let w = wrapper(&[("T1", 1)], 7);
    ok(&c
        .invoke(&addr, register_cmd("b", "127.0.0.1:10911", 0, &w, false), T)
        .await
        .unwrap());
    let h = QueryDataVersionRequestHeader {
        broker_name: "b".into(),
        broker_addr: "127.0.0.1:10911".into(),
        cluster_name: "C1".into(),
        broker_id: 0,
    };
    let ask = |dv: &DataVersion| {
        RemotingCommand::request(RequestCode::QUERY_DATA_VERSION, &h).with_body(encode_json(dv))
    };
    let r = c.invoke(&addr, ask(&w.data_version), T).await.unwrap();
    ok(&r);
    let rh: QueryDataVersionResponseHeader = r.header().unwrap();
    assert_eq!(rh.changed, Some(false));
    let current: DataVersion = decode_json(r.body_bytes()).unwrap();
    assert_eq!(current, w.data_version);
    let newer = DataVersion {
        counter: 8,
        timestamp: 1,
    };
    let r = c.invoke(&addr, ask(&newer), T).await.unwrap();
    ok(&r);
    assert_eq!(
        r.header::<QueryDataVersionResponseHeader>()
            .unwrap()
            .changed,
        Some(true)
    );
    // Unknown broker: changed.
    let mut other = h.clone();
    other.broker_addr = "127.0.0.1:1".into();
    let r = c
        .invoke(
            &addr,
            RemotingCommand::request(RequestCode::QUERY_DATA_VERSION, &other)
                .with_body(encode_json(&newer)),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        r.header::<QueryDataVersionResponseHeader>()
            .unwrap()
            .changed,
        Some(true)
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn silent_broker_expires() {
    let (ns, addr, _dir) = start(Duration::from_millis(400), Duration::from_millis(100)).await;
    let c = RemotingClient::default();
    let w = wrapper(&[("Ephemeral", 1)], 1);
    ok(&c
        .invoke(
            &addr,
            register_cmd("quiet", "127.0.0.1:10911", 0, &w, false),
            T,
        )
        .await
        .unwrap());
    ok(&route(&c, &addr, "Ephemeral").await);
    let t0 = Instant::now();
    loop {
        if route(&c, &addr, "Ephemeral").await.code == 17 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "broker never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "expired too early"
    );
    assert!(cluster(&c, &addr).await.broker_addr_table.is_empty());
    ns.shutdown().await;
}

#[tokio::test]
async fn broker_removed_when_its_connection_closes() {
    let (ns, addr, _dir) = start_default().await;
    let reg = RemotingClient::default();
    let w = wrapper(&[("ConnTopic", 1)], 1);
    ok(&reg
        .invoke(
            &addr,
            register_cmd("conn", "127.0.0.1:10911", 0, &w, false),
            T,
        )
        .await
        .unwrap());
    let c = RemotingClient::default();
    ok(&route(&c, &addr, "ConnTopic").await);
    reg.close_connection(&addr);
    let t0 = Instant::now();
    while route(&c, &addr, "ConnTopic").await.code != 17 {
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "broker not removed on close"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ns.shutdown().await;
}

#[tokio::test]
async fn every_handled_code_is_dispatched_and_others_are_not_supported() {
    let (ns, addr, _dir) = start_default().await;
    let c = RemotingClient::default();
    for code in HANDLED_CODES {
        let r = c
            .invoke(&addr, RemotingCommand::request_bare(*code), T)
            .await
            .unwrap();
        assert_ne!(
            r.code,
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED.as_i32(),
            "{code} answered as not supported"
        );
    }
    let r = c
        .invoke(
            &addr,
            RemotingCommand::request_bare(RequestCode::SEND_MESSAGE),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED.as_i32());
    assert!(r.remark.unwrap_or_default().contains("10"));
    // A missing header field is reported, not a panic; the server keeps serving.
    let r = c
        .invoke(
            &addr,
            RemotingCommand::request_bare(RequestCode::GET_ROUTEINFO_BY_TOPIC),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap_or_default().contains("topic"));
    let r = c
        .invoke(
            &addr,
            register_cmd("x", "127.0.0.1:1", 0, &wrapper(&[], 1), true).with_body(&b"not zlib"[..]),
            T,
        )
        .await
        .unwrap();
    assert_ne!(r.code, 0);
    // A zlib bomb (64 MiB of zeros in ~64 KiB) is refused without inflating it all.
    let bomb = rocklet_protocol::message::deflate(&vec![0u8; 65 * 1024 * 1024], 9);
    let mut cmd =
        register_cmd("x", "127.0.0.1:1", 0, &wrapper(&[], 1), true).with_body(bomb.clone());
    cmd.ext_fields
        .insert("bodyCrc32", body_crc(&bomb).to_string());
    let r = c.invoke(&addr, cmd, T).await.unwrap();
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert!(r.remark.unwrap_or_default().contains("inflates past"));
    ns.shutdown().await;
}
