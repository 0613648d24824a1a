//! SQL92 filtering over TCP (issue 15): `enablePropertyFilter`, CHECK_CLIENT_CONFIG, pulls
//! carrying their SQL92 subscription (lite pull consumers) and pulls using the filter data a
//! heartbeat registered (push consumers), with the offset moving past what does not match, the
//! response codes and remarks of Java's PullMessageProcessor, and consumerFilter.json.

mod common;

use common::*;
use rocklet_protocol::body::{encode_json, ConsumerData, HeartbeatData, SubscriptionData};
use rocklet_protocol::message::Properties;
use rocklet_protocol::{RemotingCommand, RequestCode, ResponseCode};

fn sql_props(pairs: &[(&str, &str)]) -> String {
    let mut p = Properties::default();
    for (k, v) in pairs {
        p.insert(*k, *v);
    }
    p.insert("WAIT", "true");
    p.encode()
}

fn sql_heartbeat(
    client: &str,
    group: &str,
    topic: &str,
    expr: &str,
    version: i64,
) -> RemotingCommand {
    let hb = HeartbeatData {
        client_id: client.into(),
        consumer_data_set: vec![ConsumerData {
            group_name: group.into(),
            consume_type: Some("CONSUME_PASSIVELY".into()),
            message_model: Some("CLUSTERING".into()),
            consume_from_where: Some("CONSUME_FROM_FIRST_OFFSET".into()),
            subscription_data_set: vec![SubscriptionData {
                topic: topic.into(),
                sub_string: expr.into(),
                expression_type: Some("SQL92".into()),
                sub_version: version,
                ..Default::default()
            }],
            unit_mode: false,
        }],
        producer_data_set: vec![],
    };
    RemotingCommand::request_bare(RequestCode::HEART_BEAT).with_body(encode_json(&hb))
}

fn check_client(expr: &str, ty: &str) -> RemotingCommand {
    let body = serde_json::json!({
        "clientId": "c1@1",
        "group": "sql_cg",
        "subscriptionData": {"topic": "SqlTopic", "subString": expr, "expressionType": ty,
                             "classFilterMode": false, "codeSet": [], "tagsSet": [], "subVersion": 1}
    });
    RemotingCommand::request_bare(RequestCode::CHECK_CLIENT_CONFIG)
        .with_body(serde_json::to_vec(&body).unwrap())
}

fn sql_pull(offset: i64, expr: &str) -> rocklet_protocol::header::PullMessageRequestHeader {
    let mut h = pull_header("SqlTopic", 0, offset, expr);
    h.consumer_group = "sql_cg".into();
    h.expression_type = Some("SQL92".into());
    h
}

/// Sends ten messages to queue 0 of SqlTopic: a = i, b = 'x' for even i, 'y' for odd,
/// and no `c` except on message 7 (c = 'ü').
async fn fill(e: &Env) {
    for i in 0..10 {
        let a = i.to_string();
        let b = if i % 2 == 0 { "x" } else { "y" };
        let mut pairs = vec![("a", a.as_str()), ("b", b)];
        if i == 7 {
            pairs.push(("c", "ü"));
        }
        let h = send_header("SqlTopic", 0, sql_props(&pairs));
        send_ok(e, send_v2(&h, format!("m{i}").as_bytes())).await;
    }
}

fn bodies(msgs: &[rocklet_protocol::message::MessageExt]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(&m.body().unwrap()).into_owned())
        .collect()
}

#[tokio::test]
async fn sql92_is_refused_unless_enable_property_filter() {
    let dir = tempfile::tempdir().unwrap();
    let e = start(config(dir.path())).await;
    fill(&e).await;
    let r = e.call(check_client("a > 1", "SQL92")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert_eq!(
        r.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    assert_eq!(e.call(check_client("TagA", "TAG")).await.code, 0);
    let (r, _) = pull(&e, &sql_pull(0, "a > 1")).await;
    assert_eq!(r.code, ResponseCode::SYSTEM_ERROR.as_i32());
    assert_eq!(
        r.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    e.broker.shutdown().await;
}

#[tokio::test]
async fn sql92_pulls_check_client_config_and_filter_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.enable_property_filter = true;
    let e = start(cfg).await;
    fill(&e).await;

    // CHECK_CLIENT_CONFIG: good, bad
    assert_eq!(
        e.call(check_client("a BETWEEN 1 AND 3", "SQL92"))
            .await
            .code,
        0
    );
    let r = e.call(check_client("a >", "SQL92")).await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_PARSE_FAILED.as_i32());
    let remark = r.remark.unwrap_or_default();
    assert!(
        remark.starts_with("org.apache.rocketmq.filter.parser.ParseException: "),
        "{remark}"
    );

    // Pulls carrying the expression (lite pull consumer): only matching messages, and the
    // next offset past the ones skipped.
    let cases: &[(&str, &[&str])] = &[
        ("a > 6", &["m7", "m8", "m9"]),
        ("a BETWEEN 2 AND 4 AND b = 'x'", &["m2", "m4"]),
        ("b IN ('y') AND a < 4", &["m1", "m3"]),
        ("c IS NOT NULL", &["m7"]),
        ("c = 'ü'", &["m7"]),
        ("c IS NULL AND a >= 8", &["m8", "m9"]),
        ("a = 'x'", &[]), // a string that is not a number: no match, no error
        ("b > 1", &[]),   // 'x' is not a number
        ("NOT (b = 'x') AND a <= 3", &["m1", "m3"]),
        (
            "TRUE",
            &["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"],
        ),
    ];
    for (expr, want) in cases {
        let (r, msgs) = pull(&e, &sql_pull(0, expr)).await;
        if want.is_empty() {
            assert_eq!(
                r.code,
                ResponseCode::PULL_RETRY_IMMEDIATELY.as_i32(),
                "{expr}"
            );
            assert_eq!(
                pull_resp(&r).next_begin_offset,
                10,
                "{expr}: moved past all ten"
            );
        } else {
            assert_eq!(r.code, 0, "{expr}: {:?}", r.remark);
            assert_eq!(bodies(&msgs), *want, "{expr}");
            assert_eq!(pull_resp(&r).next_begin_offset, 10, "{expr}");
        }
    }
    // An empty expression cannot be built (FilterAPI.build).
    let (r, _) = pull(&e, &sql_pull(0, " ")).await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_PARSE_FAILED.as_i32());
    assert_eq!(
        r.remark.as_deref(),
        Some("parse the consumer's subscription failed")
    );

    // Push consumers: the heartbeat registers the filter; pulls without the flag use it.
    let mut ph = sql_pull(0, "");
    ph.sys_flag = 0;
    ph.subscription = None;
    ph.expression_type = None;
    ph.sub_version = 5;
    assert_eq!(
        e.call(sql_heartbeat("c1@1", "sql_cg", "SqlTopic", "a < 2", 5))
            .await
            .code,
        0
    );
    let (r, msgs) = pull(&e, &ph).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(bodies(&msgs), ["m0", "m1"]);
    // The client moved to a newer subscription than the broker knows.
    ph.sub_version = 6;
    let (r, _) = pull(&e, &ph).await;
    assert_eq!(r.code, ResponseCode::SUBSCRIPTION_NOT_LATEST.as_i32());
    // A newer heartbeat replaces the expression; an older one does not.
    e.call(sql_heartbeat("c1@1", "sql_cg", "SqlTopic", "a = 9", 6))
        .await;
    e.call(sql_heartbeat("c1@1", "sql_cg", "SqlTopic", "a = 0", 4))
        .await;
    let (r, msgs) = pull(&e, &ph).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(bodies(&msgs), ["m9"]);

    // consumerFilter.json in Java's layout, read back by a restarted broker.
    let root = dir.path().to_path_buf();
    e.broker.shutdown().await;
    let text = std::fs::read_to_string(root.join("config").join("consumerFilter.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = &v["filterDataByTopic"]["SqlTopic"]["groupFilterData"]["sql_cg"];
    assert_eq!(f["expression"], "a = 9", "{text}");
    assert_eq!(f["expressionType"], "SQL92");
    assert_eq!(f["clientVersion"], 6);
    // `dead`: the shutdown closed the group's last connection, which marks it dead as Java's
    // UNREGISTER does; a dead filter still serves its group's pulls (Java does not check it).
    assert!(f["dead"].is_boolean(), "{text}");
    let mut cfg = config(&root);
    cfg.enable_property_filter = true;
    let e = start(cfg).await;
    let (r, msgs) = pull(&e, &ph).await;
    // The group is not online after the restart: Java answers from the group info first.
    assert_eq!(
        r.code,
        ResponseCode::SUBSCRIPTION_NOT_EXIST.as_i32(),
        "{msgs:?}"
    );
    e.call(sql_heartbeat("c1@1", "sql_cg", "SqlTopic", "a = 9", 6))
        .await;
    let (r, msgs) = pull(&e, &ph).await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    assert_eq!(bodies(&msgs), ["m9"]);
    e.broker.shutdown().await;
}
