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
