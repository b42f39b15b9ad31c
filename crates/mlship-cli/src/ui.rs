//! `mlship ui`: opens the store and serves the tracking UI and its API until
//! SIGTERM or SIGINT.

use anyhow::{Context, Result};
use clap::Args;
use mlship_ui::{UiApp, UiConfig};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct UiArgs {
    /// Address to listen on; anything but loopback needs --auth-token
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 5001)]
    pub port: u16,
    /// Token every write must present as `Authorization: Bearer SECRET`: SECRET or NAME:SECRET (NAME is recorded
    /// as who moved an alias); at least 16 visible ASCII characters and 64 bits of estimated entropy; repeat for
    /// several people
    #[arg(long, env = "MLSHIP_TOKEN", hide_env_values = true)]
    pub auth_token: Vec<String>,
    /// Every read (pages, API, downloads) needs the token too; browsers sign in with it as the password
    #[arg(long)]
    pub auth_read: bool,
    /// Another name the Host header may carry, HOST or HOST:PORT (e.g. behind a reverse proxy); repeatable
    #[arg(long = "allowed-host", value_name = "HOST[:PORT]")]
    pub allowed_hosts: Vec<String>,
    /// Seconds a client gets to send a request's headers; also how long an idle keep-alive connection stays open
    #[arg(long, default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a connection may move no byte either way before it is closed
    #[arg(long, default_value_t = 60.0)]
    pub idle_timeout: f64,
    /// Open connections at most; further ones wait in the listen backlog until one closes
    #[arg(long, default_value_t = 256)]
    pub max_connections: usize,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if value.is_finite() && value > 0.0 && value < 1e9 {
        Ok(Duration::from_secs_f64(value))
    } else {
        anyhow::bail!("invalid option: --{flag} must be a positive number of seconds, got {value}")
    }
}

pub fn run(args: UiArgs) -> Result<()> {
    let config = UiConfig {
        host: args.host.clone(),
        port: args.port,
        tokens: args.auth_token.clone(),
        auth_read: args.auth_read,
        allowed_hosts: args.allowed_hosts.clone(),
        header_timeout: seconds(args.header_timeout, "header-timeout")?,
        idle_timeout: seconds(args.idle_timeout, "idle-timeout")?,
        max_connections: args.max_connections,
        ..UiConfig::default()
    };
    // Before the store is opened: a refused address should not create one.
    config.check()?;
    let location = args.store.location()?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        crate::serve::init_logging();
        let store = mlship_track::Store::open(location).await?;
        let shown = store.shown().to_string();
        let app = UiApp::build(store, config).await?;
        let access = match (args.auth_token.is_empty(), args.auth_read) {
            (true, _) => "writes open (loopback only)",
            (false, false) => "writes need the token",
            (false, true) => "reads and writes need the token",
        };
        println!("mlship UI for {shown} on http://{}/  · API: /api/  · {access}  · Ctrl-C to stop", app.local_addr());
        app.run_until_stopped(crate::serve::shutdown_signal()).await.context("server error")?;
        println!("Stopped.");
        Ok(())
    })
}
