//! The console's message pages over real TCP against an embedded cluster: a message sent
//! through the form (303 to its page) and through `POST /api/send`; its page by unique key and
//! by offset msgId in the three body formats; search by key and by time; which groups consumed
//! it; the producer page; the topic's TPS; dead letters of a group whose listener always fails,
//! one re-sent to its original topic with its user property; bad input 400 / 404 / 405. Then a
//! second console with a login: redirects, 401s, Basic credentials, a wrong password, a session
//! cookie and sign-out.

mod common;

use common::{get, get_json, header, post, request, until, FORM, JSON};
use rocklet::console::{self, ConsoleOptions};
use rocklet::embedded::EmbeddedCluster;
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, DefaultMQPushConsumer, PushConsumerConfig,
};
use rocklet_client::{ConsumeFromWhere, DefaultMQProducer, Message, ProducerConfig};
use rocklet_protocol::time::now_ms;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const TEST_LIMIT: Duration = Duration::from_secs(90);
const T: &str = "ConsoleMsgTopic";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_messages_over_tcp() {
    tokio::time::timeout(TEST_LIMIT, scenario())
        .await
        .expect("the console messages test took too long");
}

fn count(v: &Value) -> usize {
    v["messages"].as_array().map_or(0, Vec::len)
}

async fn scenario() {
    let cluster = EmbeddedCluster::start().await.unwrap();
    let ns = cluster.namesrv_addr();
    let con = console::start(ConsoleOptions::new(ns.clone()))
        .await
        .unwrap();
    let addr = con.local_addr();
    let (status, _, _) = post(
        addr,
        "/api/topics",
        JSON,
        &format!("{{\"topic\":\"{T}\",\"readQueueNums\":2,\"writeQueueNums\":2}}"),
    )
    .await;
    assert_eq!(status, 200);
    let begin = now_ms() - 1;

    // The form: 303 to the message page, which shows it.
    let (status, head, body) = post(
        addr,
        "/send",
        FORM,
        &format!("topic={T}&tag=TagA&keys=k1+k2&body=%7B%22a%22%3A1%7D"),
    )
    .await;
    assert_eq!(status, 303, "{head}{body}");
    let loc = header(&head, "location").unwrap().to_owned();
    let prefix = format!("/message?topic={}&id=", T.to_ascii_lowercase());
    assert!(loc.starts_with(&prefix), "{loc}");
    let id = loc[prefix.len()..].to_ascii_uppercase();
    let own = get_json(
        addr,
        &format!("/api/producers?topic={T}&group=rocklet_console_producer"),
    )
    .await;
    assert_eq!(own["connections"].as_array().unwrap().len(), 1, "{own}");
    let (status, _, page) = get(addr, &format!("/message?topic={T}&id={id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("id=\"msg-id\">{id}<")), "{page}");
    assert!(page.contains("id=\"properties\"") && page.contains("TagA"));
    assert!(
        page.contains("{&quot;a&quot;:1}"),
        "the body as text: {page}"
    );
    assert!(page.contains("format=json") && page.contains("format=hex"));
    let (status, _, page) = get(addr, &format!("/message?topic={T}&id={id}&format=json")).await;
    assert_eq!(status, 200);
    assert!(page.contains("&quot;a&quot;: 1"), "pretty JSON: {page}");
    let v = get_json(addr, &format!("/api/message?topic={T}&id={id}&format=hex")).await;
    assert_eq!(v["format"], "hex");
    assert!(v["body"]
        .as_str()
        .unwrap()
        .starts_with("00000000  7b 22 61"));
    assert_eq!(v["keys"], "k1 k2");
    let offset_id = v["offsetMsgId"].as_str().unwrap().to_owned();

    // The JSON twin; a body that is not JSON falls back to text.
    let (status, _, body) = post(
        addr,
        "/api/send",
        JSON,
        &format!("{{\"topic\":\"{T}\",\"body\":\"plain text\"}}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sent: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sent["status"], "SEND_OK");
    assert_eq!(sent["brokerName"], "broker-a");
    assert!(
        sent["queueOffset"].is_i64() && sent["queueId"].is_i64() && sent["offsetMsgId"].is_string()
    );
    let id2 = sent["msgId"].as_str().unwrap().to_owned();
    let v = get_json(
        addr,
        &format!("/api/message?topic={T}&id={id2}&format=json"),
    )
    .await;
    assert_eq!(
        (v["format"].as_str(), v["body"].as_str()),
        (Some("text"), Some("plain text"))
    );
    assert!(v["bodyNote"].as_str().unwrap().contains("not JSON"));
    let v = get_json(addr, &format!("/api/message?topic={T}&id={offset_id}")).await;
    assert_eq!(v["msgId"], id.as_str(), "by offset msgId");

    // A producer of our own, with a user property.
    // (A producer is registered by its heartbeat, which knows the broker once it sent.)
    let mut pc = ProducerConfig::new("console_pg").with_namesrv(ns.clone());
    pc.client.heartbeat_broker_interval = Duration::from_millis(300);
    let p = DefaultMQProducer::new(pc);
    p.start().await.unwrap();
    let r = p
        .send(
            Message::new(T, "from p")
                .with_tags("TagB")
                .with_keys(["k3"])
                .with_property("color", "blue"),
        )
        .await
        .unwrap();
    let path = format!("/api/producers?topic={T}&group=console_pg");
    until(
        Duration::from_secs(10),
        "the producer's connection",
        || async {
            get_json(addr, &path).await["connections"]
                .as_array()
                .map(Vec::len)
                == Some(1)
        },
    )
    .await;
    let (status, _, page) = get(addr, &format!("/producers?topic={T}&group=console_pg")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"producers\"") && page.contains("V4_9_3"),
        "{page}"
    );
    let none = get_json(addr, &format!("/api/producers?topic={T}&group=nobody_pg")).await;
    assert_eq!(none["connections"], Value::Array(vec![]));

    // Search: by key, by time, the whole topic.
    let v = get_json(addr, &format!("/api/messages?topic={T}&key=k2")).await;
    assert_eq!(count(&v), 1, "{v}");
    assert_eq!(v["messages"][0]["msgId"], id.as_str());
    let (status, _, page) = get(addr, &format!("/messages?topic={T}&key=k3")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<table id=\"messages\">") && page.contains(&r.msg_id),
        "{page}"
    );
    assert_eq!(
        count(&get_json(addr, &format!("/api/messages?topic={T}&key=nokey")).await),
        0
    );
    let v = get_json(
        addr,
        &format!("/api/messages?topic={T}&begin={begin}&end={}", now_ms()),
    )
    .await;
    assert_eq!(count(&v), 3, "{v}");
    assert_eq!(v["capped"], false);
    assert_eq!(
        count(&get_json(addr, &format!("/api/messages?topic={T}&end={begin}")).await),
        0
    );
    assert_eq!(
        count(&get_json(addr, &format!("/api/messages?topic={T}")).await),
        3
    );
    let (status, _, page) = get(addr, "/messages").await;
    assert_eq!(status, 200, "the form alone");
    assert!(page.contains("name=\"begin\"") && page.contains("href=\"/dlq\""));

    // 65 messages in a one-queue topic: the search stops at 64 and says so.
    let one = "ConsoleOneQueue";
    let (status, _, _) = post(
        addr,
        "/api/topics",
        JSON,
        &format!("{{\"topic\":\"{one}\",\"readQueueNums\":1,\"writeQueueNums\":1}}"),
    )
    .await;
    assert_eq!(status, 200);
    for i in 0..65 {
        p.send(Message::new(one, format!("m{i}"))).await.unwrap();
    }
    let v = get_json(addr, &format!("/api/messages?topic={one}")).await;
    assert_eq!((count(&v), &v["capped"]), (64, &Value::Bool(true)));
    let (_, _, page) = get(addr, &format!("/messages?topic={one}")).await;
    assert!(page.contains("id=\"capped\""), "{page}");

    // TPS: figures and the chart.
    let v = get_json(addr, &format!("/api/topic/{T}/tps")).await;
    assert!(
        v["putTps"].is_number() && v["getTps"].is_number() && v["timestamp"].is_i64(),
        "{v}"
    );
    let (_, _, page) = get(addr, &format!("/topic/{T}")).await;
    assert!(page.contains("id=\"tps-chart\"") && page.contains("/api/topic/ConsoleMsgTopic/tps"));

    dead_letters(addr, &ns, &r.msg_id, &id).await;
    bad_input(addr, &id).await;

    let secured = console::start(ConsoleOptions::new(ns.clone()).with_login("admin", "pw%1"))
        .await
        .unwrap();
    sign_in(secured.local_addr()).await;
    secured.shutdown().await;
    con.shutdown().await;
    p.shutdown().await;
    cluster.shutdown().await;
}

/// A group whose listener always fails with maxReconsumeTimes 0: every message goes to its
/// DLQ; the one from our producer is re-sent to the topic, user property and all; the
/// message's page then lists the group.
async fn dead_letters(addr: SocketAddr, ns: &str, from_p: &str, first: &str) {
    let g = "console_dlq_group";
    let mut cfg = PushConsumerConfig::new(g)
        .with_namesrv(ns.to_owned())
        .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET);
    cfg.max_reconsume_times = 0;
    cfg.client.instance_name = "console_dlq".into();
    cfg.await_termination_millis_when_shutdown = 3000;
    let c = DefaultMQPushConsumer::new(cfg);
    c.subscribe(T, "*").unwrap();
    c.register_message_listener_concurrently(|_, _| async {
        ConsumeConcurrentlyStatus::RECONSUME_LATER
    });
    c.start().await.unwrap();
    let path = format!("/api/dlq?group={g}");
    until(Duration::from_secs(30), "three dead letters", || async {
        count(&get_json(addr, &path).await) == 3
    })
    .await;
    c.shutdown().await;
    let v = get_json(addr, &format!("/api/message?topic={T}&id={first}")).await;
    let tracks = v["tracks"].as_array().unwrap();
    assert!(
        tracks
            .iter()
            .any(|t| t["consumerGroup"] == g && t["trackType"] == "CONSUMED"),
        "{v}"
    );
    let (status, _, page) = get(addr, &format!("/dlq?group={g}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<table id=\"messages\">") && page.contains("action=\"/dlq/resend\""));
    let (status, head, _) =
        post(addr, "/dlq/resend", FORM, &format!("group={g}&id={from_p}")).await;
    assert_eq!(status, 303, "{head}");
    // (The head is lower-cased: the page is asked for again with the ids as they are.)
    let loc = header(&head, "location").unwrap().to_owned();
    assert!(loc.starts_with(&format!("/dlq?group={g}&resent=")), "{loc}");
    let new_id = loc.rsplit("newid=").next().unwrap().to_ascii_uppercase();
    let again = format!("/dlq?group={g}&resent={from_p}&to={T}&newId={new_id}");
    let (status, _, page) = get(addr, &again).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"notice\"") && page.contains("re-sent to topic"),
        "{page}"
    );
    let v = get_json(addr, &format!("/api/message?topic={T}&id={new_id}")).await;
    assert_eq!(v["properties"]["color"], "blue", "{v}");
    assert_eq!(
        (v["tags"].as_str(), v["keys"].as_str()),
        (Some("TagB"), Some("k3"))
    );
    assert_eq!(v["body"], "from p");
    let (status, _, body) = post(
        addr,
        "/api/dlq/resend",
        JSON,
        &format!("{{\"group\":\"{g}\",\"id\":\"0A0A0A0A00002A9F0000000000000000\"}}"),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        count(&get_json(addr, "/api/dlq?group=never_failed_group").await),
        0
    );
}

async fn bad_input(addr: SocketAddr, id: &str) {
    for (path, want) in [
        ("/api/messages?topic=bad.name&key=x".to_owned(), 400),
        ("/api/messages?topic=NoSuchTopic&key=x".to_owned(), 404),
        ("/api/messages".to_owned(), 400),
        (format!("/api/messages?topic={T}&begin=soon"), 400),
        (format!("/api/messages?topic={T}&begin=20&end=10"), 400),
        (format!("/api/message?topic={T}"), 400),
        (format!("/api/message?topic={T}&id={id}&format=yaml"), 400),
        (format!("/api/message?topic={T}&id=nosuchid"), 404),
        (format!("/api/message?topic=TBW102&id={id}"), 404),
        ("/api/producers?topic=NoSuchTopic&group=g".to_owned(), 404),
        ("/api/dlq?group=bad%20group".to_owned(), 400),
        ("/api/topic/NoSuchTopic/tps".to_owned(), 404),
        ("/topic/x/tps".to_owned(), 404),
        ("/api/send".to_owned(), 405),
        ("/dlq/resend".to_owned(), 405),
        ("/messages?topic=%zz".to_owned(), 400),
    ] {
        let (status, _, body) = get(addr, &path).await;
        assert_eq!(status, want, "{path}: {body}");
    }
    let (status, _, body) = get(addr, "/api/messages?topic=bad.name&key=x").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("The specified topic[bad.name] contains illegal characters"),
        "{body}"
    );
    for (path, ct, body, want) in [
        (
            "/api/send",
            JSON,
            format!("{{\"topic\":\"{T}\",\"body\":\"\"}}"),
            400,
        ),
        (
            "/api/send",
            JSON,
            "{\"topic\":\"a b\",\"body\":\"x\"}".to_owned(),
            400,
        ),
        ("/api/send", JSON, "[1,2]".to_owned(), 400),
        ("/send", FORM, "topic=&body=x".to_owned(), 400),
        ("/dlq/resend", FORM, "group=&id=x".to_owned(), 400),
        (
            "/api/dlq/resend",
            JSON,
            "{\"group\":\"g\",\"id\":\" \"}".to_owned(),
            400,
        ),
    ] {
        let (status, _, text) = post(addr, path, ct, &body).await;
        assert_eq!(status, want, "{path} {body}: {text}");
    }
}

async fn sign_in(addr: SocketAddr) {
    let (status, head, _) = get(addr, "/").await;
    assert_eq!((status, header(&head, "location")), (303, Some("/login")));
    let (status, head, _) = get(addr, "/api/cluster").await;
    assert_eq!(status, 401);
    assert!(header(&head, "www-authenticate").is_some(), "{head}");
    // admin:pw%1
    let basic = "Authorization: Basic YWRtaW46cHclMQ==\r\n";
    let (status, _, _) = request(addr, "GET", "/api/cluster", basic, JSON, "").await;
    assert_eq!(status, 200);
    let (status, _, page) = get(addr, "/login").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"login-submit\"") && !page.contains("authentication is off"));
    let t0 = Instant::now();
    let (status, _, page) = post(addr, "/login", FORM, "username=admin&password=pw").await;
    assert_eq!(status, 401);
    assert!(page.contains("Wrong user name or password"));
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "a wrong password waits"
    );
    let (status, head, _) = post(addr, "/login", FORM, "username=admin&password=pw%251").await;
    assert_eq!((status, header(&head, "location")), (303, Some("/")));
    let cookie = header(&head, "set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=strict"),
        "{cookie}"
    );
    let session = format!("Cookie: {}\r\n", cookie.split(';').next().unwrap());
    let (status, _, page) = request(addr, "GET", "/", &session, FORM, "").await;
    assert_eq!(status, 200);
    assert!(page.contains("signed in as admin") && !page.contains("authentication is off"));
    let (status, _, _) = request(addr, "GET", "/api/topics", &session, FORM, "").await;
    assert_eq!(status, 200, "the cookie serves the API too");
    let (status, head, _) = request(addr, "POST", "/logout", &session, FORM, "").await;
    assert_eq!((status, header(&head, "location")), (303, Some("/login")));
    let (status, _, _) = request(addr, "GET", "/", &session, FORM, "").await;
    assert_eq!(status, 303, "signed out");
}
