//! Prometheus alert rules for a served model, from the gauges `serve` exposes
//! on `/metrics`: data-set drift on the live window, the share of 5xx answers,
//! p99 latency, and live performance (from feedback) worse than the hold-out
//! metrics the model shipped with. Written as a plain rules file (for a
//! Prometheus without the operator) or as a `PrometheusRule` resource
//! (monitoring.coreos.com/v1) with a `ServiceMonitor` that scrapes the model.

use crate::manifests::DeploySpec;
use crate::ShipError;
use mlship_learn::Task;
use serde_json::{json, Value};

/// How long the data set must drift before the alert fires, by default.
pub const DEFAULT_DRIFT_FOR: &str = "5m";
/// How long the other conditions must hold before their alerts fire, by default.
pub const DEFAULT_ALERT_FOR: &str = "5m";
/// The window of the rates (error share, latency), by default.
pub const DEFAULT_RATE_WINDOW: &str = "5m";
/// The share of answers that are 5xx above which the error alert fires, by default.
pub const DEFAULT_ERROR_RATE: f64 = 0.05;
/// The p99 latency, in seconds, above which the latency alert fires, by default.
pub const DEFAULT_LATENCY_P99_SECONDS: f64 = 0.5;
/// How much worse than the hold-out a live metric may be, relative to the hold-out value, by default.
pub const DEFAULT_PERFORMANCE_MARGIN: f64 = 0.1;
/// Feedback pairs the live metrics need before the performance alert may fire, by default.
pub const DEFAULT_MIN_FEEDBACK_ROWS: u32 = 100;

/// The thresholds and durations of the alert rules.
#[derive(Debug, Clone)]
pub struct AlertSpec {
    /// The series the rules look at, as a PromQL label matcher list without braces (`job="insurance"`).
    pub selector: String,
    /// `for` of the drift alert (a Prometheus duration such as `5m`).
    pub drift_for: String,
    /// `for` of the error, latency and performance alerts.
    pub alert_for: String,
    /// The range of `rate()` in the error and latency rules.
    pub rate_window: String,
    /// The 5xx share of requests above which the error alert fires (0 to 1).
    pub error_rate: f64,
    /// The p99 latency in seconds above which the latency alert fires.
    pub latency_p99_seconds: f64,
    /// How much worse than the hold-out, relative to it, a live metric may be (0.1: 10 %).
    pub performance_margin: f64,
    /// Feedback pairs the live window needs before the performance alert may fire.
    pub min_feedback_rows: u32,
}

impl AlertSpec {
    /// The defaults, for the series of scrape job `job` (the Service's name under the operator).
    pub fn for_job(job: &str) -> Self {
        AlertSpec {
            selector: format!("job=\"{}\"", job.replace('\\', "\\\\").replace('"', "\\\"")),
            drift_for: DEFAULT_DRIFT_FOR.to_string(),
            alert_for: DEFAULT_ALERT_FOR.to_string(),
            rate_window: DEFAULT_RATE_WINDOW.to_string(),
            error_rate: DEFAULT_ERROR_RATE,
            latency_p99_seconds: DEFAULT_LATENCY_P99_SECONDS,
            performance_margin: DEFAULT_PERFORMANCE_MARGIN,
            min_feedback_rows: DEFAULT_MIN_FEEDBACK_ROWS,
        }
    }

    /// Checks every value, so a bad flag is an error naming it rather than a rule Prometheus rejects.
    pub fn validate(&self) -> Result<(), ShipError> {
        for (flag, value) in
            [("drift-for", &self.drift_for), ("alert-for", &self.alert_for), ("rate-window", &self.rate_window)]
        {
            check_duration(flag, value)?;
        }
        if !(self.error_rate.is_finite() && self.error_rate > 0.0 && self.error_rate < 1.0) {
            return Err(ShipError::Invalid(format!("--error-rate must be between 0 and 1, got {}", self.error_rate)));
        }
        if !(self.latency_p99_seconds.is_finite() && self.latency_p99_seconds > 0.0) {
            return Err(ShipError::Invalid(format!(
                "--latency-p99 must be a positive number of seconds, got {}",
                self.latency_p99_seconds
            )));
        }
        if !(self.performance_margin.is_finite() && self.performance_margin >= 0.0) {
            return Err(ShipError::Invalid(format!(
                "--performance-margin must be 0 or more, got {}",
                self.performance_margin
            )));
        }
        if self.selector.contains(['{', '}']) {
            return Err(ShipError::Invalid(format!(
                "--alert-selector takes label matchers without braces, e.g. job=\"insurance\"; got {:?}",
                self.selector
            )));
        }
        Ok(())
    }
}

/// A Prometheus duration: one or more `<number><unit>` with units ms, s, m, h, d, w, y (`1m30s`).
fn check_duration(flag: &str, value: &str) -> Result<(), ShipError> {
    let invalid =
        || ShipError::Invalid(format!("--{flag} must be a Prometheus duration such as 30s, 5m or 1h; got {value:?}"));
    let mut rest = value;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(invalid());
        }
        rest = &rest[digits..];
        let unit =
            ["ms", "s", "m", "h", "d", "w", "y"].into_iter().find(|u| rest.starts_with(u)).ok_or_else(invalid)?;
        rest = &rest[unit.len()..];
    }
    Ok(())
}

/// The tracking keys (`r2`, `accuracy`, `prec`) of every task's metrics, split by direction.
fn metric_keys(greater_is_better: bool) -> String {
    let mut keys: Vec<String> = [Task::Regression, Task::Classification]
        .iter()
        .flat_map(|task| task.metrics().iter())
        .filter(|m| m.greater_is_better == greater_is_better)
        .map(|m| m.name.trim_end_matches('.').to_lowercase())
        .collect();
    keys.sort();
    keys.dedup();
    keys.join("|")
}

/// The rule group: four alerts, each with a severity, a summary and a description.
pub fn rule_group(name: &str, spec: &AlertSpec) -> Result<Value, ShipError> {
    spec.validate()?;
    let s = &spec.selector;
    let w = &spec.rate_window;
    let on = "on(job, instance, metric)";
    let margin = spec.performance_margin;
    let enough_feedback =
        format!("and on(job, instance) mlship_feedback_window_rows{{{s}}} >= {}", spec.min_feedback_rows);
    let performance = format!(
        "(mlship_live_metric{{{s}, metric=~\"{higher}\"}} < {on} (mlship_holdout_metric{{{s}}} - abs(mlship_holdout_metric{{{s}}}) * {margin}) {enough_feedback})\nor\n(mlship_live_metric{{{s}, metric=~\"{lower}\"}} > {on} (mlship_holdout_metric{{{s}}} + abs(mlship_holdout_metric{{{s}}}) * {margin}) {enough_feedback})",
        higher = metric_keys(true),
        lower = metric_keys(false),
    );
    let rules = vec![
        json!({
            "alert": "MlshipDataDrift",
            "expr": format!("max by (job, instance) (mlship_dataset_drift{{{s}}}) == 1"),
            "for": spec.drift_for,
            "labels": { "severity": "warning" },
            "annotations": {
                "summary": "Model {{ $labels.job }}: the live inputs drifted from the training data",
                "description": "At least half the input columns drifted on the last scored rows of {{ $labels.instance }} (Evidently's default tests against the model's reference profile). Run `mlship monitor` on the inference logs for the per-column report.",
            }
        }),
        json!({
            "alert": "MlshipHighErrorRate",
            "expr": format!(
                "sum by (job) (rate(mlship_http_requests_total{{{s}, status=~\"5..\"}}[{w}]))\n/\nsum by (job) (rate(mlship_http_requests_total{{{s}}}[{w}])) > {}",
                spec.error_rate
            ),
            "for": spec.alert_for,
            "labels": { "severity": "critical" },
            "annotations": {
                "summary": "Model {{ $labels.job }}: more than ".to_string() + &format!("{}", spec.error_rate * 100.0) + " % of requests fail",
                "description": "{{ $value | humanizePercentage }} of requests answered 5xx over the last ".to_string() + w + ".",
            }
        }),
        json!({
            "alert": "MlshipHighLatencyP99",
            "expr": format!(
                "histogram_quantile(0.99, sum by (job, le) (rate(mlship_http_request_duration_seconds_bucket{{{s}, route!=\"/metrics\"}}[{w}]))) > {}",
                spec.latency_p99_seconds
            ),
            "for": spec.alert_for,
            "labels": { "severity": "warning" },
            "annotations": {
                "summary": format!("Model {{{{ $labels.job }}}}: p99 latency above {} s", spec.latency_p99_seconds),
                "description": "The 99th percentile of request latency is {{ $value | humanizeDuration }} over the last ".to_string() + w + ".",
            }
        }),
        json!({
            "alert": "MlshipLivePerformanceBelowHoldout",
            "expr": performance,
            "for": spec.alert_for,
            "labels": { "severity": "warning" },
            "annotations": {
                "summary": "Model {{ $labels.job }}: live {{ $labels.metric }} worse than the hold-out",
                "description": format!("The live {{{{ $labels.metric }}}} ({{{{ $value }}}}, from feedback) is more than {} % worse than the hold-out value the model shipped with.", margin * 100.0),
            }
        }),
    ];
    Ok(json!({ "name": format!("mlship-{name}"), "rules": rules }))
}

/// A plain Prometheus rules file (`rule_files:` in prometheus.yml).
pub fn rules_file(name: &str, spec: &AlertSpec) -> Result<String, ShipError> {
    Ok(crate::yaml::to_yaml(&json!({ "groups": [rule_group(name, spec)?] })))
}

/// For the Prometheus Operator: a `ServiceMonitor` scraping the model's Service and a `PrometheusRule` with the alerts.
pub fn operator_resources(deploy: &DeploySpec, spec: &AlertSpec) -> Result<Vec<Value>, ShipError> {
    let labels = deploy.labels();
    let monitor = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": { "name": deploy.name, "labels": labels },
        "spec": {
            "selector": { "matchLabels": { "app.kubernetes.io/name": deploy.name } },
            "endpoints": [{ "port": "http", "path": "/metrics", "interval": "15s" }]
        }
    });
    let rule = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": { "name": deploy.name, "labels": labels },
        "spec": { "groups": [rule_group(&deploy.name, spec)?] }
    });
    Ok(vec![monitor, rule])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_checked_as_prometheus_reads_them() {
        for good in ["5m", "1s", "1h30m", "250ms"] {
            assert!(check_duration("x", good).is_ok(), "{good}");
        }
        for bad in ["", "5", "m", "5 m", "-1m", "1.5m"] {
            assert!(check_duration("x", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metric_directions_come_from_the_task_tables() {
        assert!(metric_keys(true).split('|').any(|k| k == "r2"));
        assert!(metric_keys(true).split('|').any(|k| k == "prec"));
        assert!(metric_keys(false).split('|').any(|k| k == "mae"));
        assert!(!metric_keys(false).split('|').any(|k| k == "accuracy"));
    }

    #[test]
    fn bad_thresholds_are_refused_by_name() {
        let mut spec = AlertSpec::for_job("m");
        spec.error_rate = 1.5;
        assert!(rules_file("m", &spec).is_err_and(|e| e.to_string().contains("--error-rate")));
        let mut spec = AlertSpec::for_job("m");
        spec.drift_for = "soon".into();
        assert!(rules_file("m", &spec).is_err_and(|e| e.to_string().contains("--drift-for")));
    }

    #[test]
    fn the_rules_file_holds_the_four_alerts() {
        let text = rules_file("insurance", &AlertSpec::for_job("insurance")).expect("rules");
        for alert in
            ["MlshipDataDrift", "MlshipHighErrorRate", "MlshipHighLatencyP99", "MlshipLivePerformanceBelowHoldout"]
        {
            assert!(text.contains(alert), "{alert} in {text}");
        }
        assert!(
            text.contains("mlship_dataset_drift{job=\\\"insurance\\\"}")
                || text.contains("mlship_dataset_drift{job=\"insurance\"}")
        );
    }
}
