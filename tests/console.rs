//! `rocklet console` over real TCP against an embedded cluster, with plain HTTP/1.1 requests:
//! the overview lists the broker; a topic created through the form reaches the name server's
//! route and the topic list; sent messages show in the queue offsets; a push consumer's group
//! shows lag 0 and its member; a reset by time (no member online: the console commits the
//! offsets) takes the group back to 0; the topic is deleted; bad input is 400, unknown paths
//! 404, wrong methods 405, oversized bodies 413.

mod common;

use common::{get, get_json, http, post, until, FORM};
use rocklet::console::{self, ConsoleOptions};
use rocklet::embedded::EmbeddedCluster;
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, DefaultMQPushConsumer, PushConsumerConfig,
};
use rocklet_client::{ConsumeFromWhere, DefaultMQProducer, Message, ProducerConfig};
use rocklet_protocol::time::{format_millis, now_ms};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TEST_LIMIT: Duration = Duration::from_secs(60);

/// The group's queues of `topic` in `/api/group/{g}`: (consumer offsets, Σ diff).
fn group_offsets(v: &Value, topic: &str) -> (Vec<i64>, i64) {
    let qs: Vec<&Value> = v["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["topic"] == topic)
        .collect();
    (
        qs.iter()
            .map(|q| q["consumerOffset"].as_i64().unwrap())
            .collect(),
        qs.iter().map(|q| q["diff"].as_i64().unwrap()).sum(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_and_api_over_tcp() {
    tokio::time::timeout(TEST_LIMIT, scenario())
        .await
        .expect("the console test took too long");
}

async fn scenario() {
    let cluster = EmbeddedCluster::start().await.unwrap();
    let ns = cluster.namesrv_addr();
    let broker_addr = cluster.broker_addrs()[0].clone();
    let con = console::start(ConsoleOptions::new(ns.clone()))
        .await
        .unwrap();
    let addr = con.local_addr();
    assert!(addr.ip().is_loopback());

    // Overview: the broker, its address and version; the warning line.
    let (status, head, body) = get(addr, "/").await;
    assert_eq!(status, 200);
    assert!(head.contains("text/html"), "{head}");
    assert!(body.contains(&broker_addr), "{body}");
    assert!(body.contains("broker-a") && body.contains("DefaultCluster"));
    assert!(body.contains("console authentication is off"));
    let v = get_json(addr, "/api/cluster").await;
    let b = &v["clusters"][0]["brokers"][0];
    assert_eq!(b["addr"], broker_addr.as_str());
    assert_eq!(b["version"], "V4_9_3");
    assert!(
        b["putTps"].is_string() && b["commitLogDiskRatio"].is_string(),
        "{b}"
    );

    // Create through the form (queue numbers and perm left to their defaults).
    let t = "ConsoleTopic";
    let (status, head, _) = post(
        addr,
        "/topics",
        FORM,
        &format!("topic={t}&cluster=DefaultCluster"),
    )
    .await;
    assert_eq!(status, 303, "{head}");
    assert!(
        head.contains(&format!("location: /topic/{}", t.to_ascii_lowercase())),
        "{head}"
    );
    let p = DefaultMQProducer::new(ProducerConfig::new("console_p").with_namesrv(ns.clone()));
    p.start().await.unwrap();
    let admin = p.admin().unwrap();
    until(
        Duration::from_secs(10),
        "the route lists the topic",
        || async {
            admin.topic_route(t).await.is_ok_and(|r| {
                r.queue_datas
                    .iter()
                    .any(|q| q.read_queue_nums == 8 && q.perm == 6)
            })
        },
    )
    .await;
    let (status, _, body) = get(addr, "/topics").await;
    assert_eq!(status, 200);
    assert!(body.contains(&format!("href=\"/topic/{t}\"")), "{body}");
    let listed = |v: &Value, name: &str| {
        v["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == name)
    };
    let v = get_json(addr, "/api/topics").await;
    assert!(
        listed(&v, t) && !listed(&v, "TBW102") && !listed(&v, "broker-a"),
        "{v}"
    );
    assert!(listed(&get_json(addr, "/api/topics?all=1").await, "TBW102"));

    // Ten messages: the queues' max offsets add up to 10.
    let before_sends = now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;
    for i in 0..10 {
        p.send(Message::new(t, format!("m{i}"))).await.unwrap();
    }
    let path = format!("/api/topic/{t}");
    until(
        Duration::from_secs(10),
        "max offsets add up to 10",
        || async {
            let v = get_json(addr, &path).await;
            v["queues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q["maxOffset"].as_i64().unwrap())
                .sum::<i64>()
                == 10
        },
    )
    .await;
    let (status, _, body) = get(addr, &format!("/topic/{t}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("RW-") && body.contains("10 messages stored"),
        "{body}"
    );

    // A push consumer of group G takes all ten; while it runs: lag 0, one member.
    let g = "ConsoleGroup";
    let mut cfg = PushConsumerConfig::new(g)
        .with_namesrv(ns.clone())
        .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET);
    cfg.client.instance_name = "console_c".into();
    cfg.await_termination_millis_when_shutdown = 3000;
    let c = DefaultMQPushConsumer::new(cfg);
    c.subscribe(t, "*").unwrap();
    let got = Arc::new(AtomicUsize::new(0));
    let got2 = got.clone();
    c.register_message_listener_concurrently(move |msgs, _| {
        got2.fetch_add(msgs.len(), Ordering::SeqCst);
        async { ConsumeConcurrentlyStatus::CONSUME_SUCCESS }
    });
    c.start().await.unwrap();
    until(Duration::from_secs(20), "ten messages consumed", || async {
        got.load(Ordering::SeqCst) >= 10
    })
    .await;
    let path = format!("/api/group/{g}");
    until(Duration::from_secs(15), "lag 0 with one member", || async {
        let v = get_json(addr, &path).await;
        let (offsets, diff) = group_offsets(&v, t);
        v["members"].as_array().unwrap().len() == 1
            && offsets.iter().sum::<i64>() == 10
            && diff == 0
            && v["lag"] == 0
    })
    .await;
    let v = get_json(addr, &path).await;
    assert_eq!(v["members"][0]["version"], "V4_9_3", "{v}");
    let groups = get_json(addr, "/api/groups").await;
    let entry = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group"] == g)
        .unwrap_or_else(|| panic!("{groups}"))
        .clone();
    assert_eq!(entry["members"], 1);
    assert_eq!(entry["online"], true);
    assert!(
        !groups.to_string().contains("TOOLS_CONSUMER"),
        "system groups hidden"
    );
    let (status, _, body) = get(addr, &format!("/group/{g}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("console_c"), "the member's client id: {body}");

    // Stopped: offline (not an error), then reset to a time before the sends.
    c.shutdown().await;
    until(
        Duration::from_secs(10),
        "the group goes offline",
        || async {
            get_json(addr, &path).await["members"]
                .as_array()
                .unwrap()
                .is_empty()
        },
    )
    .await;
    let groups = get_json(addr, "/api/groups").await;
    assert!(groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["group"] == g && x["online"] == false && x["error"].is_null()));
    // yyyy-MM-ddTHH:mm, the minute of the time before the sends (so at or before it).
    let minute = &format_millis(before_sends, 'T', ':')[..16];
    let (status, _, body) = post(
        addr,
        &format!("/group/{g}/reset"),
        FORM,
        &format!("topic={t}&time={}", minute.replace(':', "%3A")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("no member online"), "{body}");
    let v = get_json(addr, &path).await;
    let (offsets, diff) = group_offsets(&v, t);
    assert_eq!(offsets.len(), 8, "{v}");
    assert!(offsets.iter().all(|o| *o == 0), "{v}");
    assert_eq!(diff, 10);
    // The JSON twin, with millis.
    let (status, _, body) = post(
        addr,
        &format!("/api/group/{g}/reset"),
        "application/json",
        &format!("{{\"topic\":\"{t}\",\"time\":{before_sends}}}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"mode\":\"offline\""), "{body}");

    // The group's SubscriptionGroupConfig: shown, updated through the form (an unchecked box
    // is false) and through the JSON twin, read back from the broker.
    let (status, _, body) = get(addr, &format!("/group/{g}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("id=\"group-config\""), "{body}");
    let (status, head, body) = post(
        addr,
        &format!("/group/{g}/config"),
        FORM,
        "consumeBroadcastEnable=true&retryQueueNums=1&retryMaxTimes=5&brokerId=0&whichBrokerWhenConsumeSlowly=1",
    )
    .await;
    assert_eq!(status, 303, "{head}{body}");
    let cfg = &get_json(addr, &path).await["configs"][0]["config"];
    assert_eq!(cfg["retryMaxTimes"], 5, "{cfg}");
    assert_eq!(cfg["consumeEnable"], false, "{cfg}");
    assert_eq!(cfg["consumeBroadcastEnable"], true, "{cfg}");
    assert_eq!(cfg["groupName"], g, "{cfg}");
    let (status, _, body) = post(
        addr,
        &format!("/api/group/{g}/config"),
        "application/json",
        r#"{"consumeEnable":true,"consumeBroadcastEnable":true,"retryQueueNums":1,"retryMaxTimes":16,"brokerId":0,"whichBrokerWhenConsumeSlowly":1}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cfg = &get_json(addr, &path).await["configs"][0]["config"];
    assert_eq!(
        (cfg["retryMaxTimes"].clone(), cfg["consumeEnable"].clone()),
        (16.into(), true.into())
    );
    let (status, _, body) = post(
        addr,
        &format!("/group/{g}/config"),
        FORM,
        "consumeEnable=true&retryMaxTimes=-1",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("retryMaxTimes [-1] must not be negative"),
        "{body}"
    );

    // Bad input: 400 with the validator's text; unknown cluster; bad time.
    let (status, _, body) = post(
        addr,
        "/topics",
        FORM,
        "topic=bad.name&cluster=DefaultCluster",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("The specified topic[bad.name] contains illegal characters"),
        "{body}"
    );
    let (status, _, body) = post(addr, "/api/topics", "application/json", "{\"topic\":\"\"}").await;
    assert_eq!(status, 400);
    assert!(body.contains("The specified topic is blank"), "{body}");
    let (status, _, body) = post(addr, "/topics", FORM, "topic=Fine&cluster=NoSuchCluster").await;
    assert_eq!(status, 400);
    assert!(body.contains("NoSuchCluster"), "{body}");
    let (status, _, body) = post(
        addr,
        &format!("/group/{g}/reset"),
        FORM,
        &format!("topic={t}&time=soon"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = post(addr, "/api/topics", "application/json", "{not json").await;
    assert_eq!(status, 400);

    // 404, 405, 413.
    assert_eq!(get(addr, "/nope").await.0, 404);
    assert_eq!(get(addr, "/api/topic/NoSuchTopic").await.0, 404);
    assert_eq!(get(addr, "/api/group/NoSuchGroup").await.0, 404);
    let (status, head, _) = get(addr, &format!("/topic/{t}/delete")).await;
    assert_eq!(status, 405);
    assert!(head.contains("allow: post"), "{head}");
    let big = format!(
        "POST /topics HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\n\r\n",
        70 * 1024
    );
    assert_eq!(http(addr, big.as_bytes()).await.0, 413);

    // Delete: gone from the topic list.
    let (status, head, _) = post(addr, &format!("/topic/{t}/delete"), FORM, "").await;
    assert_eq!(status, 303, "{head}");
    until(
        Duration::from_secs(10),
        "the topic leaves the list",
        || async { !listed(&get_json(addr, "/api/topics").await, t) },
    )
    .await;
    assert_eq!(get(addr, &format!("/api/topic/{t}")).await.0, 404);

    drop(con);
    p.shutdown().await;
    cluster.shutdown().await;
}
