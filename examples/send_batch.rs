//! Batch send: several messages of one topic in one request (no delay levels, not to retry
//! topics, and the whole batch within `maxMessageSize`). Never compressed.
//!
//! `cargo run --example send_batch`

mod common;
use rocklet_client::{DefaultMQProducer, Message, ProducerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_batch").with_namesrv(&t.namesrv));
    producer.start().await?;
    let batch = (0..10)
        .map(|i| Message::new("TopicTest", format!("batch item {i}")).with_tags("TagBatch"))
        .collect();
    let result = producer.send_batch(batch).await?;
    println!(
        "{} messages stored from queue offset {}",
        result.msg_id.split(',').count(),
        result.queue_offset
    );
    println!("{result}");
    producer.shutdown().await;
    Ok(())
}
