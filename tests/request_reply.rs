//! Request-reply through Rocklet's broker over TCP: the requester's `request` variants, a
//! responder that pulls requests and answers with `create_reply_message`, and the timeout.

use rocklet::embedded::EmbeddedCluster;
use rocklet_client::{
    create_reply_message, DefaultMQProducer, Message, MessageQueue, ProducerConfig, SelectByHash,
};
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

/// Answers every request on `topic` with `re:<body>` until aborted.
fn spawn_responder(ns: String, topic: &'static str) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let p = DefaultMQProducer::new(ProducerConfig::new("responder").with_namesrv(&ns));
        p.start().await.unwrap();
        let admin = p.admin().unwrap();
        let queues = p.fetch_publish_message_queues(topic).await.unwrap();
        let mut offsets = vec![0i64; queues.len()];
        loop {
            for (i, q) in queues.iter().enumerate() {
                let Ok(r) = admin.pull("responder", q, "*", offsets[i], 32).await else {
                    continue;
                };
                for m in r.msg_found_list {
                    if m.properties.get("REPLY_TO_CLIENT").is_none() {
                        continue; // not a request
                    }
                    let mut body = b"re:".to_vec();
                    body.extend_from_slice(&m.raw_body);
                    if let Some(reply) = create_reply_message(&m.properties, body) {
                        p.send(reply).await.unwrap();
                    }
                }
                offsets[i] = r.next_begin_offset.max(offsets[i]);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_variants_get_their_replies() {
    let cluster = EmbeddedCluster::start().await.unwrap();
    let ns = cluster.namesrv_addr();
    let requester = DefaultMQProducer::new(ProducerConfig::new("requester").with_namesrv(&ns));
    requester.start().await.unwrap();
    // Create the topic with a first plain send, then answer its requests.
    requester
        .send(Message::new("ReqTopic", "warm-up"))
        .await
        .unwrap();
    let responder = spawn_responder(ns.clone(), "ReqTopic");

    let reply = requester
        .request(Message::new("ReqTopic", "one"), T)
        .await
        .unwrap();
    assert_eq!(&reply.body[..], b"re:one");
    assert_eq!(reply.properties.get("MSG_TYPE"), Some("reply"));

    let queues = requester
        .fetch_publish_message_queues("ReqTopic")
        .await
        .unwrap();
    let mq: MessageQueue = queues[1].clone();
    let reply = requester
        .request_to_queue(Message::new("ReqTopic", "two"), &mq, T)
        .await
        .unwrap();
    assert_eq!(&reply.body[..], b"re:two");

    let reply = requester
        .request_with_selector(Message::new("ReqTopic", "three"), &SelectByHash, &42u64, T)
        .await
        .unwrap();
    assert_eq!(&reply.body[..], b"re:three");

    let (tx, rx) = tokio::sync::oneshot::channel();
    requester
        .request_with_callback(Message::new("ReqTopic", "four"), T, move |r| {
            let _ = tx.send(r);
        })
        .unwrap();
    let reply = rx.await.unwrap().unwrap();
    assert_eq!(&reply.body[..], b"re:four");
    responder.abort();

    // Nobody answers on this topic: Java's timeout error.
    requester
        .send(Message::new("Unanswered", "x"))
        .await
        .unwrap();
    let err = requester
        .request(Message::new("Unanswered", "?"), Duration::from_millis(700))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("wait reply message timeout"), "{err}");
    requester.shutdown().await;
    cluster.shutdown().await;
}
