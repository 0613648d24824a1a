//! Sending to a chosen queue, and with a selector: messages with the same order id go to the
//! same queue (`SelectByHash` uses Java's `hashCode`, so Rust and Java producers agree).
//!
//! `cargo run --example send_ordered`

mod common;
use rocklet_client::{DefaultMQProducer, Message, MessageQueue, ProducerConfig, SelectByHash};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_ordered").with_namesrv(&t.namesrv));
    producer.start().await?;
    for step in ["created", "paid", "shipped"] {
        for order in ["order-1", "order-2"] {
            let msg = Message::new("OrderTopic", format!("{order} {step}")).with_keys([order]);
            let r = producer
                .send_with_selector(msg, &SelectByHash, order)
                .await?;
            println!(
                "{order} {step:<8} -> queue {} offset {}",
                r.message_queue.queue_id, r.queue_offset
            );
        }
    }
    let queues = producer.fetch_publish_message_queues("OrderTopic").await?;
    let mq: &MessageQueue = &queues[0];
    let r = producer
        .send_to_queue(Message::new("OrderTopic", "straight to queue 0"), mq)
        .await?;
    println!("to {mq}: offset {}", r.queue_offset);
    producer.shutdown().await;
    Ok(())
}
