//! Broadcasting: two push consumers of one group each get every message of the topic (a
//! clustering group would share them out). Offsets stay in a local file per consumer, here
//! under a temporary directory.
//!
//! `cargo run --release --example push_broadcast -- 127.0.0.1:9876` (or NAMESRV_ADDR; with
//! neither, an embedded cluster). Exits 0 only when both consumers got every message of this
//! run; removes its offset files and deletes its consumer group at the end.

mod common;
use rocklet_client::consumer::{
    ConsumeConcurrentlyStatus, DefaultMQPushConsumer, MessageModel, PushConsumerConfig,
};
use rocklet_client::{ConsumeFromWhere, DefaultMQProducer, Message, ProducerConfig};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const TOPIC: &str = "PushBroadcastTopic";
const GROUP: &str = "example_push_broadcast";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_push_p").with_namesrv(&t.namesrv));
    producer.start().await?;
    let admin = producer.admin()?;
    common::create_topic(&admin, TOPIC, 4).await?;
    let run = common::run_id();
    let offsets = tempfile::tempdir()?;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut consumers = Vec::new();
    for id in 1..=2 {
        let mut cfg = PushConsumerConfig::new(GROUP)
            .with_namesrv(&t.namesrv)
            .with_message_model(MessageModel::BROADCASTING)
            .with_consume_from_where(ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET);
        // Two consumers in one process need two client instances.
        cfg.client.instance_name = format!("example_broadcast_{id}");
        cfg.local_offset_store_dir = Some(offsets.path().to_path_buf());
        let c = DefaultMQPushConsumer::new(cfg);
        c.subscribe(TOPIC, "*")?;
        let tx = tx.clone();
        c.register_message_listener_concurrently(move |msgs, _ctx| {
            let tx = tx.clone();
            async move {
                for m in msgs {
                    let _ = tx.send((id, m));
                }
                ConsumeConcurrentlyStatus::CONSUME_SUCCESS
            }
        });
        c.start().await?;
        consumers.push(c);
    }

    let n = 8;
    for i in 0..n {
        let r = producer
            .send(Message::new(TOPIC, format!("broadcast {i}")).with_keys([run.as_str()]))
            .await?;
        println!("sent broadcast {i} to queue {}", r.message_queue.queue_id);
    }

    let mut got: [BTreeSet<String>; 2] = Default::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.iter().any(|g| g.len() < n) && Instant::now() < deadline {
        let Ok(Some((id, m))) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await
        else {
            continue;
        };
        if m.keys() != Some(run.as_str()) {
            continue; // an earlier run's message
        }
        let body = String::from_utf8_lossy(&m.body()?).into_owned();
        println!(
            "consumer {id} got queue {} offset {}: {body}",
            m.queue_id, m.queue_offset
        );
        got[id - 1].insert(body);
    }
    for c in &consumers {
        c.shutdown().await;
    }
    common::delete_group(&admin, GROUP).await?;
    producer.shutdown().await;
    println!(
        "consumer 1 got {} of {n}, consumer 2 got {} of {n}",
        got[0].len(),
        got[1].len()
    );
    if got.iter().any(|g| g.len() != n) {
        anyhow::bail!("a consumer missed messages");
    }
    Ok(())
}
