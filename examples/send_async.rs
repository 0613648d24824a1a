//! Asynchronous send: returns at once; the callback runs on a task when the broker answers.
//! Network failures are retried `retryTimesWhenSendAsyncFailed` (2) times; in-flight async sends
//! are bounded (`max_async_inflight_msgs` / `_bytes`), so a fast loop waits instead of growing memory.
//!
//! `cargo run --example send_async`

mod common;
use rocklet_client::{DefaultMQProducer, Message, ProducerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let t = common::target().await?;
    let producer =
        DefaultMQProducer::new(ProducerConfig::new("example_async").with_namesrv(&t.namesrv));
    producer.start().await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    for i in 0..5 {
        let tx = tx.clone();
        producer
            .send_async(
                Message::new("TopicTest", format!("async {i}")),
                move |result| {
                    let _ = tx.try_send((i, result));
                },
            )
            .await?;
    }
    drop(tx);
    while let Some((i, result)) = rx.recv().await {
        match result {
            Ok(r) => println!("#{i} OK {r}"),
            Err(e) => println!("#{i} failed: {e}"),
        }
    }
    // The same as a future:
    let fut = producer
        .send_async_future(Message::new("TopicTest", "async as a future"))
        .await?;
    println!("future: {}", fut.await?);
    producer.shutdown().await;
    Ok(())
}
