//! `mlship serve`: loads the model, binds, prints the URL, serves until
//! SIGTERM or SIGINT, then drains (the inference log's queue too) and exits 0.
//! Logs one JSON line per request on standard error.

use anyhow::{Context, Result};
use clap::Args;
use mlship_artifact::Artifact;
use mlship_serve::{Application, InferenceLogConfig, ServeConfig, ServedModel};
use mlship_track::{ModelRef, ModelVersion, Store};
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// The saved model (NAME.mlship), or a registry reference: NAME@ALIAS follows the alias as it moves, NAME/VERSION is fixed
    #[arg(long, value_name = "FILE|REF")]
    pub model: String,
    #[command(flatten)]
    pub server: ServerFlags,
    /// Seconds between checks of the registry for a moved alias
    #[arg(long, default_value_t = 5.0)]
    pub poll_interval: f64,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
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
    /// Seconds a client gets to send a request's headers; also how long an idle keep-alive connection stays open
    #[arg(long, default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a connection may move no byte either way before it is closed (never less than --request-timeout)
    #[arg(long, default_value_t = 60.0)]
    pub idle_timeout: f64,
    /// Open connections at most; further ones wait in the listen backlog until one closes
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds /readyz answers 503 after SIGTERM or SIGINT, while everything else is still served, before the listener closes
    #[arg(long, default_value_t = 5.0)]
    pub drain_seconds: f64,
    /// Log every scored row (inputs, prediction, request id, model version, time) to gzip JSON-lines files in DIR, written off the request path; POST /feedback needs it. A folder that cannot be written stops the server at start
    #[arg(long, value_name = "DIR")]
    pub log_inferences: Option<std::path::PathBuf>,
    /// Close a log file once it holds this many bytes and start the next (default 64 MiB)
    #[arg(long, default_value_t = mlship_serve::DEFAULT_ROTATE_BYTES, requires = "log_inferences")]
    pub log_rotate_bytes: u64,
    /// Disk budget of the log folder: when its log files hold more, the oldest are removed (default 1 GiB; at least twice --log-rotate-bytes)
    #[arg(long, default_value_t = mlship_serve::DEFAULT_MAX_BYTES, requires = "log_inferences")]
    pub log_max_bytes: u64,
    /// Rows waiting for the log writer at most; beyond it rows are dropped and counted (mlship_inference_log_dropped_total{reason="queue_full"}), predictions still answered
    #[arg(long, default_value_t = mlship_serve::DEFAULT_QUEUE_ROWS, requires = "log_inferences")]
    pub log_queue_rows: usize,
    /// Request ids remembered for POST /feedback; older ones are forgotten (404)
    #[arg(long, default_value_t = mlship_serve::DEFAULT_FEEDBACK_IDS, requires = "log_inferences")]
    pub feedback_ids: usize,
    /// Seconds after a prediction that POST /feedback accepts its actual values (later: 410)
    #[arg(long, default_value_t = mlship_serve::DEFAULT_FEEDBACK_MAX_AGE.as_secs_f64(), requires = "log_inferences")]
    pub feedback_max_age: f64,
    /// Scored rows kept for live drift gauges on /metrics, compared with the model's reference profile (0 turns live drift off)
    #[arg(long, value_name = "ROWS", default_value_t = mlship_serve::live::DEFAULT_WINDOW)]
    pub drift_window: usize,
}

impl ServerFlags {
    pub fn config(&self) -> Result<ServeConfig> {
        let seconds = |value: f64, flag: &str| {
            if value.is_finite() && value > 0.0 {
                Ok(Duration::from_secs_f64(value))
            } else {
                anyhow::bail!("invalid option: --{flag} must be a positive number of seconds, got {value}")
            }
        };
        let request_timeout = seconds(self.request_timeout, "request-timeout")?;
        if self.max_connections == 0 {
            anyhow::bail!("invalid option: --max-connections must be at least 1, got 0");
        }
        if !(self.drain_seconds.is_finite() && (0.0..=3600.0).contains(&self.drain_seconds)) {
            anyhow::bail!("invalid option: --drain-seconds must be 0 to 3600 seconds, got {}", self.drain_seconds);
        }
        let inference_log = match &self.log_inferences {
            None => None,
            Some(dir) => {
                if self.log_queue_rows == 0 {
                    anyhow::bail!("invalid option: --log-queue-rows must be at least 1, got 0");
                }
                Some(InferenceLogConfig {
                    dir: dir.clone(),
                    rotate_bytes: self.log_rotate_bytes,
                    max_bytes: self.log_max_bytes,
                    queue_rows: self.log_queue_rows,
                    feedback_ids: self.feedback_ids,
                    feedback_max_age: seconds(self.feedback_max_age, "feedback-max-age")?,
                })
            }
        };
        if self.drift_window > mlship_serve::live::MAX_WINDOW {
            anyhow::bail!(
                "invalid option: --drift-window must be 0 to {} rows, got {}",
                mlship_serve::live::MAX_WINDOW,
                self.drift_window
            );
        }
        Ok(ServeConfig {
            host: self.host.clone(),
            port: self.port,
            name: self.name.clone(),
            label: self.label.clone(),
            body_limit: self.body_limit,
            request_timeout,
            grace_period: seconds(self.grace_period, "grace-period")?,
            header_timeout: seconds(self.header_timeout, "header-timeout")?,
            // A request still being scored moves no byte: it is cut by
            // --request-timeout (with a 503), never first as an idle connection.
            idle_timeout: seconds(self.idle_timeout, "idle-timeout")?.max(request_timeout),
            max_connections: self.max_connections,
            drain_period: Duration::from_secs_f64(self.drain_seconds),
            inference_log,
            drift_window: self.drift_window,
        })
    }
}

pub async fn shutdown_signal() {
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

/// Says where inference logs go, so a user sees it beside the URL.
fn log_line(flags: &ServerFlags) {
    if let Some(dir) = &flags.log_inferences {
        println!("Logging every scored row to {} (POST /feedback takes actual values)", dir.display());
    }
}

pub fn init_logging() {
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
        let model = application.state().model();
        println!(
            "Serving {} (version {}) on http://{address}/  · form: /  · docs: /docs  · Ctrl-C to stop",
            model.name, model.version
        );
        log_line(flags);
        application.run_until_stopped(shutdown_signal()).await.context("server error")?;
        println!("Stopped.");
        Ok(())
    })
}

pub fn run(args: ServeArgs) -> Result<()> {
    match crate::track::parse_model_arg(&args.model)? {
        crate::track::ModelArg::File(path) => serve_file(&path, &args.server),
        crate::track::ModelArg::Registry(reference) => serve_registry(reference, &args),
    }
}

/// Loads a resolved registry version (checking its sha256) as a model to serve.
fn load_version(
    store: &Store,
    version: &ModelVersion,
    reference: &ModelRef,
    flags: &ServerFlags,
) -> Result<ServedModel> {
    let bytes = store.version_bytes(version)?;
    // The payload's sha256, as for a model file: inference logs name the model by it, whatever holds it.
    let (artifact, digest) = Artifact::from_bytes_with_digest(&bytes, &version.artifact_path)?;
    let name = flags.name.clone().or_else(|| Some(version.model.clone()));
    Ok(ServedModel::new(artifact, &digest, name, flags.label.clone())
        .from_registry(version.version, reference.to_string()))
}

/// Serves what `reference` names, and keeps following it: when the alias
/// moves, the next requests get the new version (requests in flight finish
/// with the old one, so none fails). A store that cannot be read for a while
/// leaves the current version serving.
fn serve_registry(reference: ModelRef, args: &ServeArgs) -> Result<()> {
    let config = args.server.config()?;
    if !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        anyhow::bail!(
            "invalid option: --poll-interval must be a positive number of seconds, got {}",
            args.poll_interval
        );
    }
    let interval = Duration::from_secs_f64(args.poll_interval);
    let location = args.store.location()?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        init_logging();
        let store = Store::open(location).await?;
        let version = store.resolve(&reference).await?;
        let model = load_version(&store, &version, &reference, &args.server)?;
        let application = Application::with_model(model, config).await?;
        let address = application.local_addr();
        println!(
            "Serving {reference} (version {}) on http://{address}/  · form: /  · docs: /docs  · Ctrl-C to stop",
            version.version
        );
        log_line(&args.server);
        let state = application.state();
        let flags = args.server.clone();
        let follow = reference.clone();
        let poller = tokio::spawn(async move {
            let mut current = version;
            loop {
                tokio::time::sleep(interval).await;
                match store.resolve(&follow).await {
                    Ok(latest) if latest.version == current.version && latest.artifact_sha256 == current.artifact_sha256 => {}
                    Ok(latest) => match load_version(&store, &latest, &follow, &flags) {
                        Ok(model) => {
                            tracing::info!(target: "mlship::serve", reference = %follow, from = current.version, to = latest.version, "switching to a new model version");
                            state.replace_model(model);
                            current = latest;
                        }
                        Err(error) => tracing::warn!(target: "mlship::serve", reference = %follow, "cannot load the new version, still serving {}: {}", current.version, crate::error_line(&error)),
                    },
                    Err(error) => tracing::warn!(target: "mlship::serve", reference = %follow, "cannot read the registry, still serving {}: {error}", current.version),
                }
            }
        });
        let served = application.run_until_stopped(shutdown_signal()).await.context("server error");
        poller.abort();
        served?;
        println!("Stopped.");
        Ok(())
    })
}
