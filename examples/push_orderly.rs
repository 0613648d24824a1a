//! Ordered messages end to end: the producer sends each order's steps to one queue (a selector
//! on the order id), and an orderly push consumer gets every order's steps in the order sent.
//!
//! `cargo run --release --example push_orderly -- 127.0.0.1:9876` (or NAMESRV_ADDR; with
//! neither, an embedded cluster). Exits 0 only when every step of every order came, in order
//! and from the queue it was sent to; deletes its consumer group (and offsets) at the end.

mod common;
use rocklet_client::consumer::{ConsumeOrderlyStatus, DefaultMQPushConsumer, PushConsumerConfig};
use rocklet_client::{ConsumeFromWhere, DefaultMQProducer, Message, ProducerConfig, SelectByHash};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TOPIC: &str = "PushOrderlyTopic";
const GROUP: &str = "example_push_orderly";
const STEPS: [&str; 4] = ["created", "paid", "shipped", "delivered"];

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
    consumer.subscribe(TOPIC, "*")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    consumer.register_message_listener_orderly(move |msgs, _ctx| {
        let tx = tx.clone();
        async move {
            for m in msgs {
                let _ = tx.send(std::sync::Arc::unwrap_or_clone(m));
            }
            ConsumeOrderlyStatus::SUCCESS
        }
    });
    consumer.start().await?;

    // Steps interleaved across orders; each order's steps go to the queue its id hashes to.
    let orders = ["order-1", "order-2", "order-3", "order-4", "order-5"];
    let mut sent_to = BTreeMap::new();
    for step in STEPS {
        for order in orders {
            let msg = Message::new(TOPIC, format!("{order} {step}"))
                .with_tags(order)
                .with_keys([run.as_str()]);
            let r = producer
                .send_with_selector(msg, &SelectByHash, order)
                .await?;
            println!(
                "sent {order} {step:<9} -> queue {}",
                r.message_queue.queue_id
            );
            sent_to.insert(order, r.message_queue.queue_id);
        }
    }

    let expected = orders.len() * STEPS.len();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut got, mut wrong) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(40);
    while got < expected && Instant::now() < deadline {
        let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await else {
            continue;
        };
        if m.keys() != Some(run.as_str()) {
            continue; // an earlier run's message
        }
        let body = String::from_utf8_lossy(&m.body()?).into_owned();
        let (order, step) = body.split_once(' ').unwrap_or((&body, ""));
        let steps = seen.entry(order.to_owned()).or_default();
        let in_order = STEPS.get(steps.len()) == Some(&step);
        let same_queue = sent_to.get(order) == Some(&m.queue_id);
        println!(
            "consumed queue {} offset {}: {body}{}",
            m.queue_id,
            m.queue_offset,
            if in_order && same_queue {
                ""
            } else {
                "   <- OUT OF ORDER"
            }
        );
        if !(in_order && same_queue) {
            wrong += 1;
        }
        steps.push(step.to_owned());
        got += 1;
    }
    consumer.shutdown().await;
    common::delete_group(&admin, GROUP).await?;
    producer.shutdown().await;
    for (order, steps) in &seen {
        println!("{order}: {}", steps.join(" -> "));
    }
    println!("{got} of {expected} steps consumed, {wrong} out of order");
    if got != expected || wrong > 0 {
        anyhow::bail!("the orders did not arrive complete and in order");
    }
    Ok(())
}
