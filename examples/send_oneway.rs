//! Oneway send: no answer is awaited and no callback runs; the fastest and least safe mode
//! (for logs and metrics that may be lost).
//!
//! `cargo run --example send_oneway`

mod common;
use rocklet_client::{DefaultMQProducer, Message, ProducerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_oneway").with_namesrv(&t.namesrv));
    producer.start().await?;
    for i in 0..5 {
        producer
            .send_oneway(Message::new("TopicTest", format!("oneway {i}")))
            .await?;
    }
    println!("5 oneway messages handed to the connection");
    producer.shutdown().await;
    Ok(())
}
