//! `mlship serve`: loads the model, binds, prints the URL, serves until
//! SIGTERM or SIGINT, then drains and exits 0. Logs one JSON line per request
//! on standard error.

use anyhow::{Context, Result};
use clap::Args;
use mlship_serve::{Application, ServeConfig};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// The saved model (NAME.mlship)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub server: ServerFlags,
}

#[derive(Args, Debug, Clone)]
pub struct ServerFlags {
    /// Address to listen on (0.0.0.0 to accept connections from other machines)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 5000)]
    pub port: u16,
    /// The model's name in URLs such as /v2/models/NAME (default: the artifact's name)
    #[arg(long)]
    pub name: Option<String>,
    /// What the form calls the prediction: "Expected LABEL will be …" (default: the target's name)
    #[arg(long)]
    pub label: Option<String>,
    /// Largest request body in bytes; larger ones get 413 before they are read
    #[arg(long, default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Seconds before a request is answered with 503
    #[arg(long, default_value_t = 30.0)]
    pub request_timeout: f64,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT
    #[arg(long, default_value_t = 10.0)]
    pub grace_period: f64,
}

impl ServerFlags {
    fn config(&self) -> Result<ServeConfig> {
        let seconds = |value: f64, flag: &str| {
            if value.is_finite() && value > 0.0 {
                Ok(Duration::from_secs_f64(value))
            } else {
                anyhow::bail!("invalid option: --{flag} must be a positive number of seconds, got {value}")
            }
        };
        Ok(ServeConfig {
            host: self.host.clone(),
            port: self.port,
            name: self.name.clone(),
            label: self.label.clone(),
            body_limit: self.body_limit,
            request_timeout: seconds(self.request_timeout, "request-timeout")?,
            grace_period: seconds(self.grace_period, "grace-period")?,
        })
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("MLSHIP_LOG").unwrap_or_else(|_| "info".into()))
        .try_init();
}

/// Serves `model` until a signal arrives.
pub fn serve_file(model: &std::path::Path, flags: &ServerFlags) -> Result<()> {
    let config = flags.config()?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        init_logging();
        let application = Application::build(model, config).await?;
        let address = application.local_addr();
        let state = application.state();
        println!(
            "Serving {} (version {}) on http://{address}/  · form: /  · docs: /docs  · Ctrl-C to stop",
            state.model.name, state.model.version
        );
        application.run_until_stopped(shutdown_signal()).await.context("server error")?;
        println!("Stopped.");
        Ok(())
    })
}

pub fn run(args: ServeArgs) -> Result<()> {
    serve_file(&args.model, &args.server)
}
