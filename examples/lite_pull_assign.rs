//! The lite pull consumer in ASSIGN mode: send a few messages, assign every queue of the topic,
//! poll them, commit, then seek one queue back to its beginning and read it again.
//!
//! `cargo run --example lite_pull_assign` (uses NAMESRV_ADDR, or starts an embedded cluster).

mod common;
use rocklet_client::{
    ConsumeFromWhere, DefaultLitePullConsumer, DefaultMQProducer, LitePullConsumerConfig, Message,
    ProducerConfig,
};
use std::time::{Duration, Instant};

const TOPIC: &str = "LitePullTopic";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_lite_pull_p").with_namesrv(&t.namesrv));
    producer.start().await?;
    let n = 8;
    for i in 0..n {
        let r = producer
            .send(Message::new(TOPIC, format!("Hello lite pull {i}")).with_keys([format!("k{i}")]))
            .await?;
        println!("sent {} to queue {}", r.msg_id, r.message_queue.queue_id);
    }

    let mut cfg = LitePullConsumerConfig::new("example_lite_pull").with_namesrv(&t.namesrv);
    cfg.consume_from_where = ConsumeFromWhere::CONSUME_FROM_FIRST_OFFSET;
    cfg.auto_commit = false;
    let consumer = DefaultLitePullConsumer::new(cfg);
    consumer.start().await?;
    // A topic the first send created reaches the name server with the broker's next
    // registration: retry the route for a while.
    let deadline = Instant::now() + Duration::from_secs(35);
    let queues = loop {
        match consumer.fetch_message_queues(TOPIC).await {
            Ok(q) => break q,
            Err(e) if Instant::now() < deadline => {
                println!("no route yet ({e}), retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    consumer.assign(queues.clone())?;

    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while got < n && Instant::now() < deadline {
        for m in consumer.poll(Duration::from_secs(1)).await? {
            println!(
                "queue {} offset {}: {}",
                m.queue_id,
                m.queue_offset,
                String::from_utf8_lossy(&m.body()?)
            );
            got += 1;
        }
    }
    consumer.commit_sync().await?;
    for q in &queues {
        println!("committed {q}: {}", consumer.committed(q).await?);
    }

    // Read the first queue again from its beginning.
    consumer.seek_to_begin(&queues[0]).await?;
    for m in consumer.poll(Duration::from_secs(3)).await? {
        println!("again: queue {} offset {}", m.queue_id, m.queue_offset);
    }

    consumer.shutdown().await;
    producer.shutdown().await;
    Ok(())
}
