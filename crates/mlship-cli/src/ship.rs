//! `mlship image build|dockerfile`, `mlship deploy kubernetes|compose` and
//! `mlship healthcheck` (the container's own health probe: the image has no
//! shell and no curl).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use mlship_artifact::Artifact;
use mlship_ship::alerts::{self, AlertSpec};
use mlship_ship::dockerfile::{dockerfile, dockerignore, MODEL_FILE_NAME};
use mlship_ship::image::{self, ImageLabels};
use mlship_ship::manifests::{self, DeploySpec};
use mlship_ship::registry::{self, Credentials, Reference};
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Build an OCI image (mlship, the libraries it links, the model; non-root, no shell) without a Docker daemon
    #[command(
        after_help = "Example:\n  mlship image build --model deployment_28042020.mlship --tag localhost:5001/insurance:1 \\\n      --docker-archive insurance.tar && docker load -i insurance.tar"
    )]
    Build(ImageBuildArgs),
    /// Write a multi-stage Dockerfile (and .dockerignore) equivalent to `image build`
    #[command(after_help = "Example:\n  mlship image dockerfile --model deployment_28042020.mlship --out docker/")]
    Dockerfile(DockerfileArgs),
}

#[derive(Args, Debug)]
pub struct ImageBuildArgs {
    /// The saved model (NAME.mlship), or a registry reference (NAME@ALIAS, NAME/VERSION)
    #[arg(long, value_name = "FILE|REF")]
    pub model: String,
    #[command(flatten)]
    pub store: crate::track::StoreFlags,
    /// The image reference, e.g. localhost:5001/insurance:1
    #[arg(long)]
    pub tag: String,
    /// The mlship to put in the image (default: this mlship), e.g. a static one cross-built for the target
    #[arg(long, value_name = "FILE")]
    pub binary: Option<PathBuf>,
    /// Write an OCI image layout into DIR
    #[arg(long, value_name = "DIR")]
    pub oci_layout: Option<PathBuf>,
    /// Write a `docker load` archive to FILE
    #[arg(long, value_name = "FILE")]
    pub docker_archive: Option<PathBuf>,
    /// Push the image to the registry named in --tag
    #[arg(long)]
    pub push: bool,
    /// Registry user (the password is read from standard input, see --password-stdin)
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password or token from standard input
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Allow plain HTTP to a registry that is not on this machine
    #[arg(long)]
    pub insecure: bool,
    /// The port the image serves on
    #[arg(long, default_value_t = manifests::DEFAULT_PORT)]
    pub port: u16,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DockerfileArgs {
    /// The saved model (NAME.mlship)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Folder (inside your mlship source checkout) to write Dockerfile, its .dockerignore and the model to
    #[arg(long, value_name = "DIR", default_value = "docker")]
    pub out: PathBuf,
    /// The port the image serves on
    #[arg(long, default_value_t = manifests::DEFAULT_PORT)]
    pub port: u16,
}

#[derive(Subcommand, Debug)]
pub enum DeployCommand {
    /// Print Kubernetes manifests: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget
    #[command(
        after_help = "Example:\n  mlship deploy kubernetes --image localhost:5001/insurance:1 --min 2 --max 10 > k8s.yaml"
    )]
    Kubernetes(KubernetesArgs),
    /// Print a compose file: N replicas behind an nginx load balancer
    #[command(
        after_help = "Example:\n  mlship deploy compose --image localhost:5001/insurance:1 --replicas 3 > compose.yaml"
    )]
    Compose(ComposeArgs),
    /// Print a Prometheus rules file with mlship's alerts (drift, error rate, p99 latency, live performance), for a Prometheus without the operator
    #[command(
        name = "prometheus-rules",
        after_help = "Example:\n  mlship deploy prometheus-rules --job insurance > mlship-rules.yaml\n  promtool check rules mlship-rules.yaml"
    )]
    PrometheusRules(PrometheusRulesArgs),
}

/// Thresholds and durations of the alert rules (`--alerts`, `prometheus-rules`).
#[derive(Args, Debug)]
pub struct AlertFlags {
    /// How long the data set must drift (live window, Evidently's verdict) before the drift alert fires
    #[arg(long, default_value = alerts::DEFAULT_DRIFT_FOR)]
    pub drift_for: String,
    /// How long the error-rate, latency and performance conditions must hold before their alerts fire
    #[arg(long, default_value = alerts::DEFAULT_ALERT_FOR)]
    pub alert_for: String,
    /// Range of the rates behind the error-rate and latency alerts
    #[arg(long, default_value = alerts::DEFAULT_RATE_WINDOW)]
    pub rate_window: String,
    /// Share of requests answered 5xx (0 to 1) above which the error-rate alert fires
    #[arg(long, default_value_t = alerts::DEFAULT_ERROR_RATE)]
    pub error_rate: f64,
    /// p99 request latency in seconds above which the latency alert fires
    #[arg(long, default_value_t = alerts::DEFAULT_LATENCY_P99_SECONDS)]
    pub latency_p99: f64,
    /// How much worse than the hold-out a live metric may be, relative to the hold-out value (0.1 = 10 %)
    #[arg(long, default_value_t = alerts::DEFAULT_PERFORMANCE_MARGIN)]
    pub performance_margin: f64,
    /// Feedback pairs the live window needs before the performance alert may fire
    #[arg(long, default_value_t = alerts::DEFAULT_MIN_FEEDBACK_ROWS)]
    pub min_feedback_rows: u32,
    /// The series the rules watch, as PromQL label matchers without braces (default: job="NAME")
    #[arg(long)]
    pub alert_selector: Option<String>,
}

impl AlertFlags {
    fn spec(&self, job: &str) -> AlertSpec {
        let mut spec = AlertSpec::for_job(job);
        if let Some(selector) = &self.alert_selector {
            spec.selector = selector.clone();
        }
        spec.drift_for = self.drift_for.clone();
        spec.alert_for = self.alert_for.clone();
        spec.rate_window = self.rate_window.clone();
        spec.error_rate = self.error_rate;
        spec.latency_p99_seconds = self.latency_p99;
        spec.performance_margin = self.performance_margin;
        spec.min_feedback_rows = self.min_feedback_rows;
        spec
    }
}

#[derive(Args, Debug)]
pub struct PrometheusRulesArgs {
    /// The scrape job the model's series carry (the rules select job="JOB" unless --alert-selector says otherwise)
    #[arg(long)]
    pub job: String,
    #[command(flatten)]
    pub alerts: AlertFlags,
}

#[derive(Args, Debug)]
pub struct CommonDeployFlags {
    /// The image to run
    #[arg(long)]
    pub image: String,
    /// Name of the resources (default: the image's repository name)
    #[arg(long)]
    pub name: Option<String>,
    /// CPU limit per replica (Kubernetes quantity, e.g. 500m or 1)
    #[arg(long, default_value = "1")]
    pub cpu_limit: String,
    /// Memory limit per replica (e.g. 256Mi)
    #[arg(long, default_value = "256Mi")]
    pub memory_limit: String,
    /// Seconds in-flight requests get to finish after SIGTERM (the server's --grace-period)
    #[arg(long, default_value_t = 20)]
    pub drain_seconds: u32,
    /// The port the image serves on (as given to `image build --port`)
    #[arg(long, default_value_t = manifests::DEFAULT_PORT)]
    pub container_port: u16,
}

#[derive(Args, Debug)]
pub struct KubernetesArgs {
    #[command(flatten)]
    pub common: CommonDeployFlags,
    /// Initial replicas
    #[arg(long, default_value_t = 2)]
    pub replicas: u32,
    /// Fewest replicas the autoscaler keeps
    #[arg(long, default_value_t = 2)]
    pub min: u32,
    /// Most replicas the autoscaler adds
    #[arg(long, default_value_t = 10)]
    pub max: u32,
    /// Average CPU utilisation (percent of the request) the autoscaler aims at
    #[arg(long, default_value_t = 70)]
    pub cpu_target: u32,
    /// CPU request per replica
    #[arg(long, default_value = "100m")]
    pub cpu_request: String,
    /// Memory request per replica
    #[arg(long, default_value = "32Mi")]
    pub memory_request: String,
    /// ClusterIP, NodePort or LoadBalancer
    #[arg(long, default_value = "ClusterIP")]
    pub service_type: String,
    /// Also print a ServiceMonitor and a PrometheusRule (Prometheus Operator) with mlship's alerts
    #[arg(long)]
    pub alerts: bool,
    #[command(flatten)]
    pub alert_flags: AlertFlags,
}

#[derive(Args, Debug)]
pub struct ComposeArgs {
    #[command(flatten)]
    pub common: CommonDeployFlags,
    /// Replicas behind the load balancer
    #[arg(long, default_value_t = 3)]
    pub replicas: u32,
    /// Host port of the load balancer
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// The URL to check (plain HTTP)
    #[arg(long, default_value = "http://127.0.0.1:5000/healthz")]
    pub url: String,
}

pub fn image(command: ImageCommand) -> Result<()> {
    match command {
        ImageCommand::Build(args) => image_build(args),
        ImageCommand::Dockerfile(args) => write_dockerfile(args),
    }
}

fn image_build(args: ImageBuildArgs) -> Result<()> {
    if args.oci_layout.is_none() && args.docker_archive.is_none() && !args.push {
        bail!("say where the image goes: --push, --oci-layout DIR and/or --docker-archive FILE");
    }
    let reference = Reference::parse(&args.tag)?;
    let credentials = credentials(&args, &reference)?;
    let binary = match &args.binary {
        Some(path) => path.clone(),
        None => std::env::current_exe().context("cannot find this mlship's own executable")?,
    };
    let started = std::time::Instant::now();
    // A registry reference is resolved (and its sha256 checked) into a private temporary file.
    let resolved = crate::track::resolve_model_arg(&args.model, &args.store)?;
    let built = image::build_with_identity(&binary, resolved.path(), args.port, resolved.identity.as_ref())?;
    if let Some(dir) = &args.oci_layout {
        image::write_oci_layout(&built, dir, &args.tag)?;
    }
    if let Some(file) = &args.docker_archive {
        image::write_docker_archive(&built, file, &args.tag)?;
    }
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    let pushed = if args.push {
        let push_started = std::time::Instant::now();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let report = runtime.block_on(registry::push(&built, &reference, credentials, args.insecure))?;
        Some((report, push_started.elapsed().as_secs_f64() * 1000.0))
    } else {
        None
    };
    let size = built.layer_gz.len() + built.config.len() + built.manifest.len();
    if args.json {
        let document = serde_json::json!({
            "tag": args.tag,
            "digest": built.manifest_digest(),
            "config_digest": built.config_digest(),
            "compressed_bytes": size,
            "uncompressed_bytes": built.layer_tar.len(),
            "libraries": built.libraries,
            "oci_layout": args.oci_layout,
            "docker_archive": args.docker_archive,
            "build_ms": build_ms,
            "push": pushed.as_ref().map(|(report, ms)| serde_json::json!({
                "blobs_sent": report.blobs_sent, "blobs_skipped": report.blobs_skipped,
                "bytes_sent": report.bytes_sent, "push_ms": ms,
            })),
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        println!(
            "Built {} {} ({:.1} MB compressed, {:.1} MB unpacked, {} shared libraries) in {:.0} ms",
            args.tag,
            built.manifest_digest(),
            size as f64 / 1e6,
            built.layer_tar.len() as f64 / 1e6,
            built.libraries.len(),
            build_ms
        );
        if let Some((report, ms)) = &pushed {
            println!(
                "Pushed {} in {ms:.0} ms: {} blobs sent ({:.1} MB), {} already there",
                args.tag,
                report.blobs_sent,
                report.bytes_sent as f64 / 1e6,
                report.blobs_skipped
            );
        }
    }
    Ok(())
}

/// `--username` + `--password-stdin`, else the Docker config file's entry, else none.
fn credentials(args: &ImageBuildArgs, reference: &Reference) -> Result<Option<Credentials>> {
    if let Some(username) = &args.username {
        let mut password = String::new();
        std::io::stdin().read_to_string(&mut password).context("cannot read the password from standard input")?;
        let password = password.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("--password-stdin: standard input held no password");
        }
        return Ok(Some(Credentials { username: username.clone(), password }));
    }
    if !args.push {
        return Ok(None);
    }
    let config_dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")));
    match config_dir {
        Some(dir) => Ok(registry::docker_config_credentials(&dir.join("config.json"), &reference.registry)?),
        None => Ok(None),
    }
}

fn write_dockerfile(args: DockerfileArgs) -> Result<()> {
    let (artifact, digest) = Artifact::load_with_digest(&args.model)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("{}: cannot create", args.out.display()))?;
    let model_in_context = args.out.join(MODEL_FILE_NAME);
    std::fs::copy(&args.model, &model_in_context)
        .with_context(|| format!("{}: cannot write", model_in_context.display()))?;
    let model_path = model_in_context.to_string_lossy().replace('\\', "/");
    let labels = ImageLabels::from_artifact(&artifact, &digest);
    let dockerfile_path = args.out.join("Dockerfile");
    std::fs::write(&dockerfile_path, dockerfile(&model_path, &labels, args.port))
        .with_context(|| format!("{}: cannot write", dockerfile_path.display()))?;
    // BuildKit reads <Dockerfile>.dockerignore next to the Dockerfile.
    let ignore_path = args.out.join("Dockerfile.dockerignore");
    std::fs::write(&ignore_path, dockerignore(&model_path))
        .with_context(|| format!("{}: cannot write", ignore_path.display()))?;
    println!(
        "Wrote {} and {} (build from your mlship source checkout):",
        dockerfile_path.display(),
        ignore_path.display()
    );
    println!("  docker build -f {} -t IMAGE .", dockerfile_path.display());
    Ok(())
}

fn spec(common: &CommonDeployFlags) -> Result<DeploySpec> {
    let mut spec = DeploySpec::for_image(&common.image)?;
    if let Some(name) = &common.name {
        spec.name = name.clone();
    }
    spec.cpu_limit = common.cpu_limit.clone();
    spec.memory_limit = common.memory_limit.clone();
    spec.drain_seconds = common.drain_seconds;
    spec.container_port = common.container_port;
    Ok(spec)
}

pub fn deploy(command: DeployCommand) -> Result<()> {
    let text = match command {
        DeployCommand::Kubernetes(args) => {
            let mut spec = spec(&args.common)?;
            spec.replicas = args.replicas;
            spec.min_replicas = args.min;
            spec.max_replicas = args.max;
            spec.cpu_target_percent = args.cpu_target;
            spec.cpu_request = args.cpu_request;
            spec.memory_request = args.memory_request;
            spec.service_type = args.service_type;
            let mut text = manifests::kubernetes(&spec)?;
            if args.alerts {
                // Under the operator the job label is the Service's name.
                let resources = alerts::operator_resources(&spec, &args.alert_flags.spec(&spec.name))?;
                text = format!("{text}---\n{}", mlship_ship::yaml::to_yaml_documents(&resources));
            }
            text
        }
        DeployCommand::PrometheusRules(args) => alerts::rules_file(&args.job, &args.alerts.spec(&args.job))?,
        DeployCommand::Compose(args) => {
            let mut spec = spec(&args.common)?;
            spec.replicas = args.replicas;
            manifests::compose(&spec, args.port)?
        }
    };
    print!("{text}");
    Ok(())
}

/// GET the URL; exit 0 on a 2xx answer. Plain HTTP over TCP: enough for a
/// probe inside the container, and no HTTP client to carry.
pub fn healthcheck(args: HealthcheckArgs) -> Result<()> {
    let rest =
        args.url.strip_prefix("http://").with_context(|| format!("{}: only http:// URLs are checked", args.url))?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut stream =
        std::net::TcpStream::connect(authority).with_context(|| format!("{}: cannot connect", args.url))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(3)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response).with_context(|| format!("{}: no answer", args.url))?;
    let status = response.split_whitespace().nth(1).unwrap_or("");
    if status.starts_with('2') {
        Ok(())
    } else {
        bail!("{}: answered {}", args.url, if status.is_empty() { "nothing" } else { status })
    }
}
