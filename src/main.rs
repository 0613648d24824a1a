//! `rocklet`: run a name server and broker, send messages, administer, benchmark.
#![forbid(unsafe_code)]

/// `println!` for command output: a closed pipe (`rocklet admin ... | head`) ends the process
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod bench;
mod bench_abuse;
mod bench_consume;
mod cli_admin_ext;
mod cli_client;
mod cli_console;
mod cli_consume;
mod cli_serve;
mod null_server;
mod quickstart;
mod sysprops;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc malloc: the send path allocates small headers and strings per
/// message, and perf showed ~14% of CPU in glibc malloc/free under `rocklet bench produce`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rocklet",
    version,
    about = "A fast Rust implementation of Apache RocketMQ 4.9.x"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// A Java-style system property, e.g. `-Dtls.enable=true`, `-Dtls.server.mode=enforcing`
    /// (the `tls.*` keys of RocketMQ 4.9.3; repeat for several).
    #[arg(short = 'D', value_name = "KEY=VALUE", global = true, action = clap::ArgAction::Append)]
    define: Vec<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a name server and a broker in one process (the embedded default).
    Serve(cli_serve::ServeArgs),
    /// Run a name server.
    Namesrv(cli_serve::NamesrvArgs),
    /// Run a broker.
    Broker(cli_serve::BrokerArgs),
    /// Start an embedded name server and broker, send in every mode, read it all back.
    Quickstart,
    /// Send messages to a topic.
    Send(cli_client::SendArgs),
    /// Consume a topic with a push consumer, one line a message.
    Consume(cli_consume::ConsumeArgs),
    /// Topics, routes, clusters, messages and offsets.
    Admin(cli_client::AdminArgs),
    /// Web console: cluster, topics, consumer groups, messages, dead letters and producers over
    /// the RocketMQ protocol, as HTML pages and a JSON API; binds 127.0.0.1 by default, and asks
    /// for a password only with --user.
    Console(cli_console::ConsoleArgs),
    /// Benchmarks: produce, consume, null-server.
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// TLS helpers.
    #[command(subcommand)]
    Tls(TlsCmd),
}

#[derive(Subcommand)]
enum TlsCmd {
    /// Write a test CA and a server and a client certificate it signed (PEM, unencrypted
    /// PKCS#8 keys that Java reads too): ca.pem, server.pem/.key, client.pem/.key.
    GenCerts {
        /// Directory to write them to (created if missing).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Host names or IP addresses the server certificate is for (repeat).
        #[arg(long = "host", default_values_t = ["127.0.0.1".to_string(), "localhost".to_string()])]
        hosts: Vec<String>,
    },
}

/// `RUST_LOG` wins; otherwise servers log at info and client commands only warnings.
fn init_tracing(default: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs `fut` unless SIGINT or SIGTERM arrives first; then `fut` is dropped (running its
/// destructors, which remove an embedded cluster's store) and the command fails.
async fn until_interrupted(
    fut: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        r = fut => r,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted"),
        _ = term => anyhow::bail!("terminated"),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let server = matches!(
        cli.cmd,
        Cmd::Serve(_)
            | Cmd::Namesrv(_)
            | Cmd::Broker(_)
            | Cmd::Console(_)
            | Cmd::Bench(bench::BenchCmd::NullServer(_))
    );
    init_tracing(if server { "info" } else { "warn" });
    sysprops::init(&cli.define)?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    match &cli.cmd {
        Cmd::Bench(bench::BenchCmd::Produce(a)) => {
            rt.worker_threads(a.worker_threads());
        }
        Cmd::Bench(bench::BenchCmd::Consume(a)) => {
            rt.worker_threads(a.worker_threads());
        }
        _ => {}
    }
    let rt = rt.enable_all().build()?;
    let r = rt.block_on(async move {
        match cli.cmd {
            Cmd::Serve(a) => cli_serve::serve(a).await,
            Cmd::Namesrv(a) => cli_serve::namesrv(a).await,
            Cmd::Broker(a) => cli_serve::broker(a).await,
            // Both may run an embedded cluster in a temporary directory (hundreds of MiB for
            // the bench); SIGINT / SIGTERM drop the command's future so the directory goes too.
            Cmd::Quickstart => until_interrupted(quickstart::run()).await,
            Cmd::Bench(b) => until_interrupted(bench::run(b)).await,
            Cmd::Send(a) => cli_client::send(a).await,
            Cmd::Admin(a) => cli_client::admin(a).await,
            Cmd::Consume(a) => cli_consume::consume(a).await,
            Cmd::Console(a) => cli_console::console(a).await,
            Cmd::Tls(TlsCmd::GenCerts { out, hosts }) => {
                let f = rocklet_remoting::tls::generate_pki(&out, &hosts)?;
                for p in [
                    f.ca_cert,
                    f.server_cert,
                    f.server_key,
                    f.client_cert,
                    f.client_key,
                ] {
                    out!("{}", p.display());
                }
                Ok(())
            }
        }
    });
    drop(rt);
    rocklet::embedded::remove_leftovers();
    r
}
