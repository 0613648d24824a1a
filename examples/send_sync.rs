//! Synchronous send: wait for the broker's answer; retried up to `retryTimesWhenSendFailed` (2)
//! more times, on another broker when there is one, within `sendMsgTimeout` (3 s).
//!
//! `cargo run --example send_sync` (uses NAMESRV_ADDR, or starts an embedded cluster).

mod common;
use rocklet_client::{DefaultMQProducer, Message, ProducerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_sync").with_namesrv(&t.namesrv));
    producer.start().await?;
    for i in 0..5 {
        let msg = Message::new("TopicTest", format!("Hello RocketMQ {i}"))
            .with_tags("TagA")
            .with_keys([format!("order-{i}")]);
        let result = producer.send(msg).await?;
        println!("{result}");
    }
    producer.shutdown().await;
    Ok(())
}
