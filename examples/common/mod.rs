// Shared by the examples: use the cluster whose name server is the first argument (or
// NAMESRV_ADDR), else start an embedded one.
#![allow(dead_code)]

use rocklet::embedded::EmbeddedCluster;

pub struct Target {
    pub namesrv: String,
    _cluster: Option<EmbeddedCluster>,
}

pub async fn target() -> anyhow::Result<Target> {
    if let Some(addr) = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("NAMESRV_ADDR").ok())
    {
        return Ok(Target {
            namesrv: addr,
            _cluster: None,
        });
    }
    let c = EmbeddedCluster::start().await?;
    println!(
        "(no NAMESRV_ADDR: started an embedded name server at {})",
        c.namesrv_addr()
    );
    Ok(Target {
        namesrv: c.namesrv_addr(),
        _cluster: Some(c),
    })
}

/// Creates `topic` with `queues` read and write queues on every broker of DefaultCluster and
/// waits until the name server's route lists them all.
pub async fn create_topic(
    admin: &rocklet_client::MQAdmin,
    topic: &str,
    queues: i32,
) -> anyhow::Result<()> {
    admin
        .create_topic("DefaultCluster", topic, queues, 0)
        .await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(35);
    loop {
        let listed = admin
            .topic_route(topic)
            .await
            .map(|r| r.queue_datas.iter().map(|q| q.read_queue_nums).sum::<i32>())
            .unwrap_or(0);
        if listed >= queues {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("the route of {topic} never listed its {queues} queues");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Deletes a consumer group and its offsets from every master (the example's cleanup).
pub async fn delete_group(admin: &rocklet_client::MQAdmin, group: &str) -> anyhow::Result<()> {
    let info = admin.cluster_info().await?;
    for bd in info.broker_addr_table.values() {
        if let Some(addr) = bd.master_addr() {
            admin.delete_subscription_group(addr, group, true).await?;
        }
    }
    Ok(())
}

/// A tag for this run's messages, so messages an earlier run left in the topic are told apart.
pub fn run_id() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("run-{}-{ms}", std::process::id())
}
