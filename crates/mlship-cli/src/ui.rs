//! `mlship ui`: opens the store and serves the tracking UI and its API until
//! SIGTERM or SIGINT.

use anyhow::{Context, Result};
use clap::Args;
use mlship_ui::{UiApp, UiConfig};

#[derive(Args, Debug)]
pub struct UiArgs {
    /// Address to listen on; anything but loopback needs --auth-token
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 5001)]
    pub port: u16,
    /// Token every write must present as `Authorization: Bearer TOKEN` (at least 16 characters)
    #[arg(long, env = "MLSHIP_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
}

pub fn run(args: UiArgs) -> Result<()> {
    let config = UiConfig { host: args.host.clone(), port: args.port, token: args.auth_token.clone() };
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
        println!(
            "mlship UI for {shown} on http://{}/  · API: /api/  · writes {}  · Ctrl-C to stop",
            app.local_addr(),
            if args.auth_token.is_some() { "need the token" } else { "open (loopback only)" }
        );
        app.run_until_stopped(crate::serve::shutdown_signal()).await.context("server error")?;
        println!("Stopped.");
        Ok(())
    })
}
