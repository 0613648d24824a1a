//! `rocklet quickstart`: an embedded name server and broker, every send mode, every message read
//! back three ways, and a short report.

use anyhow::{bail, Context};
use rocklet::embedded::EmbeddedCluster;
use rocklet_client::{
    DefaultMQProducer, Message, MessageQueue, ProducerConfig, SelectByHash, SendResult,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const TOPIC: &str = "QuickstartTopic";

struct Sent {
    mode: &'static str,
    id: String,
    body: Vec<u8>,
    result: Option<SendResult>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub async fn run() -> anyhow::Result<()> {
    let t0 = Instant::now();
    let cluster = EmbeddedCluster::start()
        .await
        .context("starting the embedded cluster")?;
    out!("Rocklet quickstart");
    out!("  name server  {}", cluster.namesrv_addr());
    out!(
        "  broker       {}  (store {})",
        cluster.broker_addrs().join(", "),
        cluster.store_dir().display()
    );
    out!("  started in   {}", ms(t0.elapsed()));
    let result = exercise(&cluster).await;
    cluster.shutdown().await;
    result
}

async fn exercise(cluster: &EmbeddedCluster) -> anyhow::Result<()> {
    let producer = DefaultMQProducer::new(
        ProducerConfig::new("quickstart_producer").with_namesrv(cluster.namesrv_addr()),
    );
    producer.start().await?;
    let mut sent: Vec<Sent> = Vec::new();
    out!("\nSending to topic {TOPIC}:");

    let record = |sent: &mut Vec<Sent>, mode, r: SendResult, body: &[u8], took: Duration| {
        out!(
            "  {mode:<8} {:<9?} queue {} offset {:<3} msgId {} ({})",
            r.send_status,
            r.message_queue.queue_id,
            r.queue_offset,
            r.msg_id,
            ms(took)
        );
        sent.push(Sent {
            mode,
            id: r.msg_id.clone(),
            body: body.to_vec(),
            result: Some(r),
        });
    };

    for i in 0..4 {
        let body = format!("sync message {i}: héllo 世界");
        let m = Message::new(TOPIC, body.clone())
            .with_tags("TagSync")
            .with_keys([format!("qs-sync-{i}")]);
        let t = Instant::now();
        let r = producer.send(m).await?;
        record(&mut sent, "sync", r, body.as_bytes(), t.elapsed());
    }
    let mut futs = Vec::new();
    for i in 0..4 {
        let body = format!("async message {i}");
        let m = Message::new(TOPIC, body.clone())
            .with_tags("TagAsync")
            .with_keys([format!("qs-async-{i}")]);
        futs.push((body, Instant::now(), producer.send_async_future(m).await?));
    }
    for (body, t, f) in futs {
        record(&mut sent, "async", f.await?, body.as_bytes(), t.elapsed());
    }
    for i in 0..2 {
        let body = format!("oneway message {i}");
        let mut m = Message::new(TOPIC, body.clone()).with_tags("TagOneway");
        rocklet_client::set_uniq_id(&mut m);
        let id = m.uniq_id().unwrap_or_default().to_owned();
        let t = Instant::now();
        producer.send_oneway(m).await?;
        out!(
            "  oneway   (no result)                  msgId {id} ({})",
            ms(t.elapsed())
        );
        sent.push(Sent {
            mode: "oneway",
            id,
            body: body.into_bytes(),
            result: None,
        });
    }
    let batch: Vec<Message> = (0..3)
        .map(|i| Message::new(TOPIC, format!("batch message {i}")).with_tags("TagBatch"))
        .collect();
    let t = Instant::now();
    let r = producer.send_batch(batch).await?;
    out!(
        "  batch    {:?} queue {} first offset {} ({} messages, {})",
        r.send_status,
        r.message_queue.queue_id,
        r.queue_offset,
        3,
        ms(t.elapsed())
    );
    for (i, id) in r.msg_id.split(',').enumerate() {
        sent.push(Sent {
            mode: "batch",
            id: id.to_owned(),
            body: format!("batch message {i}").into_bytes(),
            result: None,
        });
    }
    let mq = MessageQueue::new(TOPIC, cluster_broker_name(&producer, TOPIC).await?, 1);
    for i in 0..2 {
        let body = format!("to-queue message {i}");
        let t = Instant::now();
        let r = producer
            .send_to_queue(Message::new(TOPIC, body.clone()).with_tags("TagQueue"), &mq)
            .await?;
        if r.message_queue.queue_id != 1 {
            bail!("send_to_queue landed on queue {}", r.message_queue.queue_id);
        }
        record(&mut sent, "to-queue", r, body.as_bytes(), t.elapsed());
    }
    let mut order_queue = None;
    for i in 0..3 {
        let body = format!("order-42 step {i}");
        let t = Instant::now();
        let r = producer
            .send_with_selector(
                Message::new(TOPIC, body.clone()).with_tags("TagOrder"),
                &SelectByHash,
                "order-42",
            )
            .await?;
        if *order_queue.get_or_insert(r.message_queue.queue_id) != r.message_queue.queue_id {
            bail!("selector sent one order to two queues");
        }
        record(&mut sent, "selector", r, body.as_bytes(), t.elapsed());
    }

    out!("\nReading back {} messages:", sent.len());
    let admin = producer.admin()?;
    let queues = producer.fetch_publish_message_queues(TOPIC).await?;
    let t = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got: HashMap<String, Vec<u8>> = HashMap::new();
    while got.len() < sent.len() && Instant::now() < deadline {
        got.clear();
        for q in &queues {
            let mut offset = admin.min_offset(q).await?;
            loop {
                let r = admin.pull("quickstart_reader", q, "*", offset, 32).await?;
                if r.msg_found_list.is_empty() {
                    break;
                }
                for m in r.msg_found_list {
                    got.insert(m.msg_id(), m.raw_body.to_vec());
                }
                offset = r.next_begin_offset;
            }
        }
        if got.len() < sent.len() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let missing: Vec<_> = sent
        .iter()
        .filter(|s| got.get(&s.id) != Some(&s.body))
        .map(|s| format!("{} {}", s.mode, s.id))
        .collect();
    if !missing.is_empty() {
        bail!("not read back intact: {missing:?}");
    }
    out!(
        "  by pull   {}/{} messages, bodies identical ({})",
        sent.len(),
        sent.len(),
        ms(t.elapsed())
    );

    let t = Instant::now();
    let mut viewed = 0;
    for s in sent.iter().filter(|s| s.result.is_some()) {
        let r = s
            .result
            .as_ref()
            .map(|r| r.offset_msg_id.clone())
            .unwrap_or_default();
        let m = admin.view_message(&r).await?;
        if m.msg_id() != s.id || m.raw_body.as_ref() != s.body.as_slice() {
            bail!("view_message({r}) returned another message");
        }
        viewed += 1;
    }
    out!(
        "  by msgId  {viewed} messages viewed by offset msgId ({})",
        ms(t.elapsed())
    );

    let t = Instant::now();
    let q = admin
        .query_message(TOPIC, "qs-sync-2", 32, 0, i64::MAX, false)
        .await?;
    let hit = q
        .message_list
        .iter()
        .any(|m| m.raw_body.as_ref() == b"sync message 2: h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c");
    if !hit {
        bail!("query by key qs-sync-2 did not find the message");
    }
    out!("  by key    qs-sync-2 found ({})", ms(t.elapsed()));
    producer.shutdown().await;
    out!("\nAll {} messages sent and read back. OK", sent.len());
    Ok(())
}

async fn cluster_broker_name(p: &DefaultMQProducer, topic: &str) -> anyhow::Result<String> {
    let qs = p.fetch_publish_message_queues(topic).await?;
    qs.first()
        .map(|q| q.broker_name.clone())
        .context("topic has no queues")
}
