//! `rocklet console`: the web console ([`rocklet::console`]) until Ctrl-C or SIGTERM.

use clap::Args;
use rocklet_client::ClientConfig;
use std::net::{IpAddr, SocketAddr};

use crate::cli_client::AclArgs;

#[derive(Args, Debug)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub acl: AclArgs,
    /// Name server address(es), `host:port;host:port`.
    #[arg(short = 'n', long = "namesrv-addr", env = "NAMESRV_ADDR")]
    pub namesrv: String,
    /// HTTP port (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. There is no authentication yet: keep it on loopback.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
}

pub async fn console(a: ConsoleArgs) -> anyhow::Result<()> {
    let mut client = ClientConfig {
        namesrv_addr: Some(a.namesrv.clone()),
        session_credentials: a.acl.credentials(),
        ..ClientConfig::default()
    };
    crate::sysprops::apply_client(&mut client);
    let mut handle = rocklet::console::start(rocklet::console::ConsoleOptions {
        client,
        bind: SocketAddr::new(a.bind, a.port),
    })
    .await?;
    out!(
        "rocklet console listening on http://{} (namesrv {})",
        handle.local_addr(),
        a.namesrv
    );
    // Ctrl-C or SIGTERM ends it cleanly, as the servers do; dropping the handle stops it.
    tokio::select! {
        _ = handle.wait() => {}
        _ = crate::cli_serve::wait_for_signal() => {}
    }
    drop(handle);
    Ok(())
}
