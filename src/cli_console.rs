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
    /// Address to listen on. Without --user there is no authentication: keep it on loopback.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Ask for this user name (and --password) on every page and API call.
    #[arg(long)]
    pub user: Option<String>,
    /// The password of --user (better: the ROCKLET_CONSOLE_PASSWORD environment variable,
    /// which `ps` does not show).
    #[arg(long, env = "ROCKLET_CONSOLE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

pub async fn console(a: ConsoleArgs) -> anyhow::Result<()> {
    let mut client = ClientConfig {
        namesrv_addr: Some(a.namesrv.clone()),
        session_credentials: a.acl.credentials(),
        ..ClientConfig::default()
    };
    crate::sysprops::apply_client(&mut client);
    let login = match (a.user, a.password) {
        (Some(user), Some(password)) if !password.is_empty() => {
            Some(rocklet::console::Login { user, password })
        }
        (Some(_), _) => {
            anyhow::bail!("--user needs a non-empty --password (or ROCKLET_CONSOLE_PASSWORD)")
        }
        (None, Some(_)) => anyhow::bail!("a console password needs --user"),
        (None, None) => None,
    };
    let mut handle = rocklet::console::start(rocklet::console::ConsoleOptions {
        client,
        bind: SocketAddr::new(a.bind, a.port),
        login,
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
    handle.shutdown().await;
    Ok(())
}
