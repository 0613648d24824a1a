//! The push consumer with a concurrently listener: subscribe to two tags of a topic, send
//! messages with three tags, and see exactly the two subscribed tags arrive.
//!
//! `cargo run --release --example push_concurrently -- 127.0.0.1:9876` (or NAMESRV_ADDR; with
//! neither, an embedded cluster). Exits 0 only when every TagA and TagB message of this run came
//! and no TagC did; deletes its consumer group (and offsets) at the end.

mod common;
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, DefaultMQPushConsumer, PushConsumerConfig,
};
use rocklet_client::{ConsumeFromWhere, DefaultMQProducer, Message, ProducerConfig};
use std::time::{Duration, Instant};

const TOPIC: &str = "PushConcurrentlyTopic";
const GROUP: &str = "example_push_concurrently";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_push_p").with_namesrv(&t.namesrv));
    producer.start().await?;
    let admin = producer.admin()?;
    common::create_topic(&admin, TOPIC, 4).await?;
    let run = common::run_id();

    let consumer = DefaultMQPushConsumer::new(
        PushConsumerConfig::new(GROUP)
            .with_namesrv(&t.namesrv)
            .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET),
    );
    consumer.subscribe(TOPIC, "TagA || TagB")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    consumer.register_message_listener_concurrently(move |msgs, _ctx| {
        let tx = tx.clone();
        async move {
            for m in msgs {
                let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
            }
            ConsumeConcurrentlyStatus::CONSUME_SUCCESS
        }
    });
    consumer.start().await?;

    let tags = ["TagA", "TagB", "TagC"];
    let n = 12;
    for i in 0..n {
        let tag = tags[i % 3];
        let msg = Message::new(TOPIC, format!("message {i} ({tag})"))
            .with_tags(tag)
            .with_keys([run.as_str()]);
        let r = producer.send(msg).await?;
        println!(
            "sent {tag} to queue {}: message {i}",
            r.message_queue.queue_id
        );
    }
    let expected = (0..n).filter(|i| i % 3 != 2).count();

    let (mut got, mut unwanted) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while got < expected && Instant::now() < deadline {
        let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await else {
            continue;
        };
        if m.keys() != Some(run.as_str()) {
            continue; // an earlier run's message
        }
        let body = String::from_utf8_lossy(&m.body()?).into_owned();
        println!(
            "consumed queue {} offset {} tags {}: {body}",
            m.queue_id,
            m.queue_offset,
            m.tags().unwrap_or("")
        );
        match m.tags() {
            Some("TagA" | "TagB") => got += 1,
            _ => unwanted += 1,
        }
    }
    // Anything more (a TagC that should not come) within another second.
    tokio::time::sleep(Duration::from_secs(1)).await;
    while let Ok(m) = rx.try_recv() {
        if m.keys() == Some(run.as_str()) && m.tags() == Some("TagC") {
            unwanted += 1;
        }
    }
    consumer.shutdown().await;
    common::delete_group(&admin, GROUP).await?;
    producer.shutdown().await;
    println!("{got} of {expected} TagA/TagB messages consumed, {unwanted} unexpected");
    if got != expected || unwanted > 0 {
        anyhow::bail!("the consumer did not see what was sent");
    }
    Ok(())
}
