//! Kubernetes manifests (Deployment, Service, HorizontalPodAutoscaler,
//! PodDisruptionBudget) and a compose file with N replicas behind nginx, for a
//! model image built by `image build`. Built as JSON values and written as YAML.

use crate::yaml::to_yaml_documents;
use crate::ShipError;
use serde_json::{json, Value};

/// The uid/gid the image runs as (distroless' "nonroot").
pub const NON_ROOT_ID: u32 = 65532;
/// The folder images log every scored row to (`serve --log-inferences`): a
/// volume in the image config, owned by the non-root user in the image, and
/// an `emptyDir` in the Kubernetes manifest, so a read-only root file system
/// still has somewhere to write.
pub const LOG_DIR: &str = "/var/log/mlship";
/// The Kubernetes manifest's disk budget for the logs (`--log-max-bytes`, 512 MiB),
/// half the `emptyDir`'s size limit, so the kubelet never evicts the pod for its logs.
pub const K8S_LOG_MAX_BYTES: u64 = 512 * 1024 * 1024;
/// The `emptyDir`'s size limit for the logs.
pub const K8S_LOG_VOLUME_LIMIT: &str = "1Gi";
/// The port images serve on unless built with another.
pub const DEFAULT_PORT: u16 = 5000;
/// Seconds a terminating pod keeps serving before it gets SIGTERM (the
/// `preStop` sleep), so every node's endpoints drop it first.
pub const PRE_STOP_SECONDS: u32 = 5;
/// Seconds the server answers `/readyz` with 503 after SIGTERM before closing
/// its listener (`--drain-seconds`), for load balancers that poll readiness.
pub const SERVER_DRAIN_SECONDS: u32 = 5;

/// What the Kubernetes and compose manifests are generated from.
#[derive(Debug, Clone)]
pub struct DeploySpec {
    /// The name of every generated object, derived from the image by default.
    pub name: String,
    /// The image reference the containers run.
    pub image: String,
    /// Pods the Deployment starts with.
    pub replicas: u32,
    /// The autoscaler's lower bound.
    pub min_replicas: u32,
    /// The autoscaler's upper bound.
    pub max_replicas: u32,
    /// The average CPU use, in percent of the request, the autoscaler aims for.
    pub cpu_target_percent: u32,
    /// CPU each container requests, in Kubernetes units (`250m`).
    pub cpu_request: String,
    /// Memory each container requests, in Kubernetes units (`256Mi`).
    pub memory_request: String,
    /// The CPU each container may use at most.
    pub cpu_limit: String,
    /// The memory each container may use at most.
    pub memory_limit: String,
    /// Seconds in-flight requests get after SIGTERM (the server's `--grace-period`); the pod's grace period is longer.
    pub drain_seconds: u32,
    /// The Service's type, e.g. `ClusterIP` or `LoadBalancer`.
    pub service_type: String,
    /// The port the container serves on.
    pub container_port: u16,
}

impl DeploySpec {
    /// Defaults for `image`, named after the image's repository.
    pub fn for_image(image: &str) -> Result<Self, ShipError> {
        Ok(DeploySpec {
            name: name_from_image(image)?,
            image: image.to_string(),
            replicas: 2,
            min_replicas: 2,
            max_replicas: 10,
            cpu_target_percent: 70,
            cpu_request: "100m".into(),
            memory_request: "32Mi".into(),
            cpu_limit: "1".into(),
            memory_limit: "256Mi".into(),
            drain_seconds: 20,
            service_type: "ClusterIP".into(),
            container_port: DEFAULT_PORT,
        })
    }

    /// Checks every value the manifests use, so a bad flag is an error naming it, not a broken manifest.
    pub fn validate(&self) -> Result<(), ShipError> {
        check_dns_label(&self.name)?;
        if self.image.trim().is_empty() || self.image.contains(char::is_whitespace) {
            return Err(ShipError::Invalid(format!("image reference {:?} is not valid", self.image)));
        }
        if self.min_replicas == 0 || self.min_replicas > self.max_replicas {
            return Err(ShipError::Invalid(format!(
                "--min must be at least 1 and at most --max (got min {}, max {})",
                self.min_replicas, self.max_replicas
            )));
        }
        if !(1..=100).contains(&self.cpu_target_percent) {
            return Err(ShipError::Invalid(format!(
                "--cpu-target must be 1 to 100 (percent), got {}",
                self.cpu_target_percent
            )));
        }
        if !matches!(self.service_type.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
            return Err(ShipError::Invalid(format!(
                "--service-type must be ClusterIP, NodePort or LoadBalancer, got {:?}",
                self.service_type
            )));
        }
        Ok(())
    }

    pub(crate) fn labels(&self) -> Value {
        json!({ "app.kubernetes.io/name": self.name, "app.kubernetes.io/managed-by": "mlship" })
    }

    /// `drain` is the server's own drain after SIGTERM (`--drain-seconds`).
    fn server_args(&self, drain: u32) -> Value {
        json!([
            "serve",
            "--model",
            "/model.mlship",
            "--host",
            "0.0.0.0",
            "--port",
            self.container_port.to_string(),
            "--grace-period",
            self.drain_seconds.to_string(),
            "--drain-seconds",
            drain.to_string(),
            "--log-inferences",
            LOG_DIR,
            "--log-max-bytes",
            K8S_LOG_MAX_BYTES.to_string()
        ])
    }
}

fn check_dns_label(name: &str) -> Result<(), ShipError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(ShipError::Invalid(format!(
            "name {name:?} is not a valid Kubernetes name (lower-case letters, digits and '-', at most 63 characters)"
        )))
    }
}

/// `registry:5000/team/insurance:1` → `insurance`, made a valid DNS label.
pub fn name_from_image(image: &str) -> Result<String, ShipError> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let repository = last.split(':').next().unwrap_or(last);
    let name: String =
        repository.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let name = name.trim_matches('-').chars().take(63).collect::<String>();
    check_dns_label(&name)?;
    Ok(name)
}

/// One Kubernetes object: kind, name and labels around its spec.
fn resource(spec: &DeploySpec, api_version: &str, kind: &str, body: Value) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": { "name": spec.name, "labels": spec.labels() },
        "spec": body,
    })
}

/// The Kubernetes manifests for `spec` as one YAML stream; an invalid spec is an error naming the value.
pub fn kubernetes(spec: &DeploySpec) -> Result<String, ShipError> {
    spec.validate()?;
    let labels = spec.labels();
    let selector = json!({ "app.kubernetes.io/name": spec.name });
    let probe = |path: &str, period: u32, failures: u32| json!({ "httpGet": { "path": path, "port": "http" }, "periodSeconds": period, "failureThreshold": failures, "timeoutSeconds": 2 });
    let deployment = resource(
        spec,
        "apps/v1",
        "Deployment",
        json!({
                "replicas": spec.replicas,
                "selector": { "matchLabels": selector },
                "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 0, "maxSurge": 1 } },
                "template": {
                    "metadata": { "labels": labels },
                    "spec": {
                        // Counted from the start of deletion, preStop included: longer than
                        // the preStop sleep plus the server's grace period, so Kubernetes never
                        // kills a draining pod.
                        "terminationGracePeriodSeconds": PRE_STOP_SECONDS + spec.drain_seconds + 5,
                        "automountServiceAccountToken": false,
                        "securityContext": {
                            "runAsNonRoot": true, "runAsUser": NON_ROOT_ID, "runAsGroup": NON_ROOT_ID,
                            "seccompProfile": { "type": "RuntimeDefault" }
                        },
                        "containers": [{
                            "name": "model",
                            "image": spec.image,
                            // The preStop sleep does the draining here (the pod leaves the
                            // endpoints when deletion starts, not when readiness fails), so
                            // the server closes its listener as soon as SIGTERM comes.
                            "args": spec.server_args(0),
                            // The image has no shell, so no `sleep` to exec: the built-in
                            // sleep action (Kubernetes 1.30 and later).
                            "lifecycle": { "preStop": { "sleep": { "seconds": PRE_STOP_SECONDS } } },
                            "ports": [{ "name": "http", "containerPort": spec.container_port, "protocol": "TCP" }],
                            "readinessProbe": probe("/readyz", 5, 2),
                            "livenessProbe": probe("/healthz", 10, 3),
                            "startupProbe": probe("/healthz", 1, 30),
                            "resources": {
                                "requests": { "cpu": spec.cpu_request, "memory": spec.memory_request },
                                "limits": { "cpu": spec.cpu_limit, "memory": spec.memory_limit }
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": false,
                                "readOnlyRootFilesystem": true,
                                "capabilities": { "drop": ["ALL"] }
                            },
                            "volumeMounts": [{ "name": "inference-logs", "mountPath": LOG_DIR }]
                        }],
                        // The pod's own scratch space: the logs live as long as the pod
                        // (ship them elsewhere, or mount a PersistentVolumeClaim here, to keep them).
                        "volumes": [{ "name": "inference-logs", "emptyDir": { "sizeLimit": K8S_LOG_VOLUME_LIMIT } }]
                    }
                }
        }),
    );
    let service = resource(
        spec,
        "v1",
        "Service",
        json!({
            "type": spec.service_type,
            "selector": selector,
            "ports": [{ "name": "http", "port": 80, "targetPort": "http", "protocol": "TCP" }]
        }),
    );
    let autoscaler = resource(
        spec,
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        json!({
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name },
            "minReplicas": spec.min_replicas,
            "maxReplicas": spec.max_replicas,
            "metrics": [{ "type": "Resource", "resource": { "name": "cpu",
                "target": { "type": "Utilization", "averageUtilization": spec.cpu_target_percent } } }]
        }),
    );
    let disruption_budget = resource(
        spec,
        "policy/v1",
        "PodDisruptionBudget",
        json!({
            "maxUnavailable": 1,
            "selector": { "matchLabels": selector }
        }),
    );
    Ok(to_yaml_documents(&[deployment, service, autoscaler, disruption_budget]))
}

/// nginx in front of the replicas: Docker's DNS gives every replica's address
/// for the service name and nginx balances over all of them, retrying another
/// replica when one fails or drains (POSTs included: predictions are pure).
fn nginx_conf(port: u16) -> String {
    let server = format!("server model:{port} max_fails=1 fail_timeout=5s;");
    [
        "upstream model {",
        &format!("    {server}"),
        "    keepalive 32;",
        "}",
        "server {",
        "    listen 80;",
        "    location / {",
        "        proxy_pass http://model;",
        "        proxy_http_version 1.1;",
        "        proxy_set_header Connection \"\";",
        "        proxy_next_upstream error timeout http_502 http_503 non_idempotent;",
        "        proxy_next_upstream_tries 3;",
        "    }",
        "}",
        "",
    ]
    .join("\n")
}

/// A compose file that needs no file beside it: nginx's configuration travels
/// in an environment variable and is written out when the container starts.
pub fn compose(spec: &DeploySpec, host_port: u16) -> Result<String, ShipError> {
    spec.validate()?;
    let document = json!({
        "services": {
            "model": {
                "image": spec.image,
                "command": spec.server_args(SERVER_DRAIN_SECONDS),
                "deploy": { "replicas": spec.replicas, "resources": { "limits": { "cpus": spec.cpu_limit, "memory": spec.memory_limit.replace("Mi", "M") } } },
                "read_only": true,
                "user": format!("{NON_ROOT_ID}:{NON_ROOT_ID}"),
                "cap_drop": ["ALL"],
                "security_opt": ["no-new-privileges:true"],
                "expose": [spec.container_port.to_string()],
                // The image has no shell: mlship checks its own health.
                "healthcheck": { "test": ["CMD", "/mlship", "healthcheck"], "interval": "5s", "timeout": "2s", "retries": 3 },
                // Longer than the server's drain plus its grace period.
                "stop_grace_period": format!("{}s", SERVER_DRAIN_SECONDS + spec.drain_seconds + 5),
                "restart": "unless-stopped"
            },
            "lb": {
                "image": "nginx:stable",
                "ports": [format!("{host_port}:80")],
                "depends_on": { "model": { "condition": "service_healthy" } },
                "environment": { "NGINX_CONF": nginx_conf(spec.container_port) },
                "entrypoint": ["/bin/sh", "-c"],
                "command": ["printf '%s' \"$$NGINX_CONF\" > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'"],
                "restart": "unless-stopped"
            }
        }
    });
    Ok(crate::yaml::to_yaml(&document))
}
