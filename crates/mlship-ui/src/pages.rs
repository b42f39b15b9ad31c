//! The pages: experiments, a runs table (sort by clicking any metric or param
//! header, filter with MLflow's syntax, tick runs to compare), a run (params,
//! metrics, per-fold chart, plots, the artifact's input schema), compare, and
//! the registry. Plain HTML and forms: no script, nothing fetched from
//! elsewhere. Every value from the store is escaped.

use crate::api::{compared_runs, get, query_pairs, run_query};
use crate::error::{PageError, UiError};
use crate::SharedUi;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use mlship_track::filter::{higher_is_better, parse_sort, Scope};
use mlship_track::{format_time, plots, RunRow};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Runs shown on a runs page unless `limit` says otherwise (0: all).
const PAGE_LIMIT: usize = 500;

pub use mlship_track::plots::escape;

/// Percent-encodes a query value or path segment.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}\
nav{background:#1d2330;padding:.6rem 1rem}nav a{color:#fff;margin-right:1.2rem;text-decoration:none;font-weight:600}\
main{padding:1rem;max-width:100rem;margin:0 auto}h1{font-size:1.35rem}h2{font-size:1.1rem;margin-top:1.6rem}\
table{border-collapse:collapse;background:#fff;font-size:.9rem}th,td{border:1px solid #d6dae1;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef0f4;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}\
tr.diff td{background:#fff3c4}tr.diff td:first-child{font-weight:700}.status-FAILED{color:#b91c1c}.status-RUNNING{color:#a16207}\
input[type=text]{width:32rem;max-width:100%;padding:.4rem;font-size:.95rem}button{padding:.4rem 1rem;font-size:.95rem}\
code{background:#eef0f4;padding:.05rem .25rem;border-radius:.2rem}.error{color:#b91c1c;font-weight:600}\
.plots img{max-width:100%;border:1px solid #d6dae1;margin:.3rem;background:#fff}.muted{color:#6b7280}";

pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · mlship</title><style>{STYLE}</style></head><body><nav><a href=\"/\">Experiments</a><a href=\"/models\">Models</a></nav>\
         <main>{body}</main></body></html>",
        escape(title)
    )
}

fn number(value: f64) -> String {
    if value.abs() >= 1e6 || (value != 0.0 && value.abs() < 1e-3) {
        format!("{value:.4e}")
    } else {
        format!("{value:.4}")
    }
}

pub async fn experiments(State(ui): State<SharedUi>) -> Result<Html<String>, PageError> {
    let experiments = ui.store.experiments().await?;
    let mut body = String::from("<h1>Experiments</h1>");
    if experiments.is_empty() {
        body.push_str("<p>No experiments yet: <code>mlship train</code> records every run.</p>");
    } else {
        body.push_str(
            "<table id=\"experiments\"><tr><th>ID</th><th>Name</th><th>Runs</th><th>Last run (UTC)</th></tr>",
        );
        for e in &experiments {
            let _ = write!(
                body,
                "<tr><td class=\"num\">{}</td><td><a href=\"/experiments/{}\">{}</a></td><td class=\"num\">{}</td><td>{}</td></tr>",
                e.id,
                e.id,
                escape(&e.name),
                e.n_runs,
                e.last_run_at.map(format_time).unwrap_or_default()
            );
        }
        body.push_str("</table>");
    }
    Ok(Html(layout("Experiments", &body)))
}

/// The summary metric keys (not per-fold) and the params that differ, over `runs`.
fn columns(runs: &[RunRow]) -> (Vec<String>, Vec<String>) {
    let metrics: BTreeSet<&str> =
        runs.iter().flat_map(|r| r.metrics.keys()).filter(|k| !k.starts_with("fold_")).collect();
    let params: BTreeSet<&str> = runs.iter().flat_map(|r| r.params.keys()).collect();
    let varying: Vec<String> = params
        .into_iter()
        .filter(|key| {
            let first = runs.first().and_then(|r| r.params.get(key));
            runs.iter().any(|r| r.params.get(key) != first)
        })
        .map(str::to_string)
        .collect();
    (metrics.into_iter().map(str::to_string).collect(), varying)
}

pub async fn runs(
    State(ui): State<SharedUi>,
    Path(experiment_id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let pairs = query_pairs(raw)?;
    let experiment_name = ui
        .store
        .experiment_name(experiment_id)
        .await?
        .ok_or_else(|| UiError::not_found(format!("no experiment {experiment_id}")))?;
    let mut query = run_query(&pairs, PAGE_LIMIT)?;
    query.experiment = Some(experiment_name.clone());
    let filter = get(&pairs, "filter").unwrap_or("");
    let sort = get(&pairs, "sort").unwrap_or("");
    let current_sort = if sort.is_empty() { None } else { Some(parse_sort(sort)?) };
    let runs = match ui.store.list_runs(&query).await {
        Ok(runs) => runs,
        // A bad filter is shown next to the filter box, with the form kept.
        Err(error @ mlship_track::TrackError::InvalidFilter { .. }) => {
            let body = format!(
                "<h1>{}</h1>{}<p class=\"error\" id=\"error\">{}</p>",
                escape(&experiment_name),
                filter_form(filter, sort, &experiment_name),
                escape(&error.to_string())
            );
            return Ok((StatusCode::BAD_REQUEST, Html(layout(&experiment_name, &body))).into_response());
        }
        Err(error) => return Err(error.into()),
    };
    let (metric_keys, param_keys) = columns(&runs);
    let mut body = String::with_capacity(256 + runs.len() * 200);
    let _ = write!(body, "<h1>{}</h1>", escape(&experiment_name));
    body.push_str(&filter_form(filter, sort, &experiment_name));
    let shown_limit = query.limit.map_or_else(|| "all".to_string(), |l| l.to_string());
    let _ = write!(
        body,
        "<p class=\"muted\" id=\"count\">{} runs shown (limit {shown_limit}) · <a href=\"?{}\">show all</a></p>",
        runs.len(),
        link_query(filter, sort, Some(0))
    );
    body.push_str("<form method=\"get\" action=\"/compare\"><p><button type=\"submit\" id=\"compare\">Compare selected (2–5)</button></p>");
    body.push_str("<table id=\"runs\"><tr><th></th><th>Run</th><th>Name</th><th>Status</th>");
    let _ = write!(body, "{}", sort_header("Start (UTC)", "attributes.start_time", &current_sort, filter));
    for key in &metric_keys {
        body.push_str(&sort_header(key, &format!("metrics.{key}"), &current_sort, filter));
    }
    for key in &param_keys {
        body.push_str(&sort_header(&format!("params.{key}"), &format!("params.{key}"), &current_sort, filter));
    }
    body.push_str("</tr>");
    for run in &runs {
        let _ = write!(
            body,
            "<tr><td><input type=\"checkbox\" name=\"runs\" value=\"{id}\" aria-label=\"select {short}\"></td>\
             <td><a href=\"/runs/{id}\"><code>{short}</code></a></td><td>{}</td><td class=\"status-{s}\">{s}</td><td>{}</td>",
            escape(&run.name),
            format_time(run.start_time),
            id = run.id,
            short = &run.id[..8],
            s = run.status.as_str(),
        );
        for key in &metric_keys {
            let _ = write!(body, "<td class=\"num\">{}</td>", run.metrics.get(key).map(number).unwrap_or_default());
        }
        for key in &param_keys {
            let _ = write!(body, "<td>{}</td>", run.params.get(key).map(escape).unwrap_or_default());
        }
        body.push_str("</tr>");
    }
    body.push_str("</table></form>");
    Ok(Html(layout(&experiment_name, &body)).into_response())
}

fn link_query(filter: &str, sort: &str, limit: Option<usize>) -> String {
    let mut parts = Vec::new();
    if !filter.is_empty() {
        parts.push(format!("filter={}", encode(filter)));
    }
    if !sort.is_empty() {
        parts.push(format!("sort={}", encode(sort)));
    }
    if let Some(limit) = limit {
        parts.push(format!("limit={limit}"));
    }
    parts.join("&")
}

fn filter_form(filter: &str, sort: &str, experiment: &str) -> String {
    format!(
        "<form method=\"get\" id=\"filter-form\"><label for=\"filter\">Filter <span class=\"muted\">(e.g. <code>metrics.holdout_r2 &gt; 0.8 and params.model = 'lr'</code>)</span></label><br>\
         <input type=\"text\" id=\"filter\" name=\"filter\" value=\"{}\"><input type=\"hidden\" name=\"sort\" value=\"{}\"> <button type=\"submit\">Filter</button>\
         <span class=\"muted\"> · API: <a href=\"/api/runs?experiment={}\">/api/runs</a></span></form>",
        escape(filter),
        escape(sort),
        encode(experiment)
    )
}

/// A header that sorts by `key`: best first on the first click, reversed on the next.
fn sort_header(label: &str, key: &str, current: &Option<mlship_track::filter::SortKey>, filter: &str) -> String {
    let target = parse_sort(key).ok();
    let (is_current, descending) = match (current, &target) {
        (Some(c), Some(t)) if c.scope == t.scope && c.key == t.key => (true, !c.descending),
        (_, Some(t)) => (false, t.descending),
        _ => (false, true),
    };
    let direction = if descending { "DESC" } else { "ASC" };
    let arrow = match (is_current, current) {
        (true, Some(c)) if c.descending => " ▼",
        (true, _) => " ▲",
        _ => "",
    };
    let hint = match &target {
        Some(t) if t.scope == Scope::Metric => {
            if higher_is_better(&t.key) {
                "higher is better"
            } else {
                "lower is better"
            }
        }
        _ => "",
    };
    format!(
        "<th><a href=\"?{}\" title=\"{hint}\" data-sort=\"{}\">{}{arrow}</a></th>",
        link_query(filter, &format!("{key} {direction}"), None),
        escape(key),
        escape(label)
    )
}

pub async fn run(State(ui): State<SharedUi>, Path(id): Path<String>) -> Result<Html<String>, PageError> {
    let detail = ui.store.run(&id).await?;
    let run = &detail.run;
    let mut body = String::new();
    let _ = write!(body, "<h1>Run <code>{}</code> · {}</h1>", run.id, escape(&run.name));
    body.push_str("<table id=\"summary\">");
    let mut row = |label: &str, value: String| {
        let _ = write!(body, "<tr><th>{label}</th><td>{value}</td></tr>");
    };
    row("Experiment", format!("<a href=\"/experiments/{}\">{}</a>", run.experiment_id, escape(&run.experiment)));
    row("Status", format!("<span class=\"status-{0}\" id=\"status\">{0}</span>", run.status.as_str()));
    if let Some(failure) = &detail.failure {
        row("Failure", escape(failure));
    }
    row(
        "Started (UTC)",
        format!(
            "{} by {} on {} (pid {})",
            format_time(run.start_time),
            escape(&run.user),
            escape(&detail.host),
            detail.pid
        ),
    );
    if let Some(end) = run.end_time {
        row("Ended (UTC)", format!("{} ({:.1} s)", format_time(end), (end - run.start_time) as f64 / 1000.0));
    }
    row("Git commit", detail.git_commit.as_deref().map(escape).unwrap_or_else(|| "-".into()));
    row("Data sha256", detail.data_sha256.as_deref().map(escape).unwrap_or_else(|| "-".into()));
    if let (Some(path), Some(sha)) = (&detail.artifact_path, &detail.artifact_sha256) {
        let inner = path.strip_prefix(&format!("runs/{}/", run.id)).unwrap_or(path);
        row(
            "Artifact",
            format!(
                "<a href=\"/runs/{}/files/{}\">{}</a> · sha256 <code>{}</code>",
                run.id,
                escape(inner),
                escape(path),
                escape(sha)
            ),
        );
    }
    body.push_str("</table>");

    body.push_str("<h2>Metrics</h2><table id=\"metrics\"><tr><th>Metric</th><th>Value</th><th>Steps</th></tr>");
    for (key, value) in run.metrics.iter() {
        let steps = detail.history.get(key).map_or(0, Vec::len);
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{steps}</td></tr>",
            escape(key),
            number(value)
        );
    }
    body.push_str("</table>");
    let fold_keys: Vec<&String> = detail.history.keys().filter(|k| k.starts_with("fold_")).collect();
    if !fold_keys.is_empty() {
        body.push_str("<h2>Per fold</h2><div id=\"folds\">");
        for key in fold_keys.iter().filter(|k| ["fold_r2", "fold_mae"].contains(&k.as_str())) {
            let items: Vec<(String, f64)> =
                detail.history[*key].iter().map(|(step, v)| (format!("fold {step}"), *v)).collect();
            body.push_str(&plots::bars(key, key, &items));
        }
        body.push_str("</div>");
    }
    let plot_files: Vec<&mlship_track::RunFile> = detail.files.iter().filter(|f| f.kind == "plot").collect();
    if !plot_files.is_empty() {
        body.push_str("<h2>Plots</h2><div class=\"plots\">");
        for file in plot_files {
            let inner = file.path.strip_prefix(&format!("runs/{}/", run.id)).unwrap_or(&file.path);
            let _ = write!(
                body,
                "<img src=\"/runs/{}/files/{}\" alt=\"{}\" width=\"480\">",
                run.id,
                escape(inner),
                escape(inner)
            );
        }
        body.push_str("</div>");
    }
    body.push_str("<h2>Params</h2><table id=\"params\"><tr><th>Param</th><th>Value</th></tr>");
    for (key, value) in run.params.iter() {
        let _ = write!(body, "<tr><td>{}</td><td>{}</td></tr>", escape(key), escape(value));
    }
    body.push_str("</table>");
    if !run.tags.is_empty() {
        body.push_str("<h2>Tags</h2><table id=\"tags\"><tr><th>Tag</th><th>Value</th></tr>");
        for (key, value) in run.tags.iter() {
            let _ = write!(body, "<tr><td>{}</td><td>{}</td></tr>", escape(key), escape(value));
        }
        body.push_str("</table>");
    }
    if let (Some(path), Some(_)) = (&detail.artifact_path, &detail.artifact_sha256) {
        body.push_str("<h2>Input schema</h2>");
        match ui.store.run_file(&run.id, path).await {
            Ok((_, bytes)) => match mlship_artifact::Artifact::from_bytes(&bytes, path) {
                Ok(artifact) => body.push_str(&schema_table(&artifact)),
                Err(error) => {
                    let _ = write!(body, "<p class=\"error\">{}</p>", escape(&error.to_string()));
                }
            },
            Err(error) => {
                let _ = write!(body, "<p class=\"error\">{}</p>", escape(&error.to_string()));
            }
        }
    }
    Ok(Html(layout(&format!("Run {}", &run.id[..8]), &body)))
}

fn schema_table(artifact: &mlship_artifact::Artifact) -> String {
    let mut html = format!(
        "<p>{} predicting <code>{}</code> from {} columns ({} features after the pipeline).</p>\
         <table id=\"schema\"><tr><th>Column</th><th>Kind</th><th>Training values</th><th>Missing</th></tr>",
        escape(&artifact.model_name),
        escape(&artifact.pipeline.target),
        artifact.pipeline.schema.len(),
        artifact.pipeline.feature_names.len()
    );
    for column in &artifact.pipeline.schema {
        let (kind, values) = match &column.kind {
            mlship_data::ColumnKind::Numeric => (
                "numeric",
                match (column.min, column.max) {
                    (Some(min), Some(max)) => format!("{} to {}", number(min), number(max)),
                    _ => String::new(),
                },
            ),
            mlship_data::ColumnKind::Categorical => ("categorical", column.levels.join(", ")),
            mlship_data::ColumnKind::Date { .. } => ("date", format!("{} levels", column.levels.len())),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{kind}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(&column.name),
            escape(&values),
            column.n_missing
        );
    }
    html.push_str("</table>");
    html
}

pub async fn compare(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Result<Html<String>, PageError> {
    let runs = compared_runs(&ui, &query_pairs(raw)?).await?;
    let rows = mlship_track::search::compare(&runs);
    let mut body = format!("<h1>Compare {} runs</h1><p class=\"muted\">Highlighted rows differ.</p>", runs.len());
    body.push_str("<table id=\"comparison\"><tr><th></th>");
    for run in &runs {
        let _ = write!(
            body,
            "<th><a href=\"/runs/{}\"><code>{}</code></a><br>{}</th>",
            run.id,
            &run.id[..8],
            escape(&run.name)
        );
    }
    body.push_str("</tr>");
    for row in &rows {
        let _ = write!(body, "<tr{}><td>{}</td>", if row.differs { " class=\"diff\"" } else { "" }, escape(&row.key));
        for value in &row.values {
            let _ =
                write!(body, "<td class=\"num\">{}</td>", value.as_deref().map(escape).unwrap_or_else(|| "-".into()));
        }
        body.push_str("</tr>");
    }
    body.push_str("</table>");
    Ok(Html(layout("Compare runs", &body)))
}

pub async fn models(State(ui): State<SharedUi>) -> Result<Html<String>, PageError> {
    let models = ui.store.models().await?;
    let mut body = String::from("<h1>Registered models</h1>");
    if models.is_empty() {
        body.push_str(
            "<p>No registered models yet: <code>mlship models register NAME RUN --alias production</code>.</p>",
        );
    } else {
        body.push_str(
            "<table id=\"models\"><tr><th>Name</th><th>Latest version</th><th>Aliases</th><th>Created (UTC)</th></tr>",
        );
        for m in &models {
            let aliases: Vec<String> =
                m.aliases.iter().map(|(a, v)| format!("<code>{}</code> → {v}", escape(a))).collect();
            let _ = write!(
                body,
                "<tr><td><a href=\"/models/{}\">{}</a></td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                encode(&m.name),
                escape(&m.name),
                m.latest_version.map(|v| v.to_string()).unwrap_or_default(),
                aliases.join(", "),
                format_time(m.created_at)
            );
        }
        body.push_str("</table>");
    }
    Ok(Html(layout("Models", &body)))
}

pub async fn model(State(ui): State<SharedUi>, Path(name): Path<String>) -> Result<Html<String>, PageError> {
    let model = ui.store.model(&name).await?;
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\">Created {} UTC by {} · serve with <code>mlship serve --model {}@ALIAS</code></p>",
        escape(&model.name),
        format_time(model.created_at),
        escape(&model.created_by),
        escape(&model.name)
    );
    body.push_str("<h2>Versions</h2><table id=\"versions\"><tr><th>Version</th><th>Aliases</th><th>Created (UTC)</th><th>By</th><th>Source</th><th>sha256</th></tr>");
    for v in model.versions.iter().rev() {
        let source = match &v.run_id {
            Some(run) => format!("run <a href=\"/runs/{run}\"><code>{}</code></a>", &run[..8.min(run.len())]),
            None => escape(&v.source),
        };
        let _ = write!(
            body,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{source}</td><td><code>{}</code></td></tr>",
            v.version,
            v.aliases.iter().map(|a| format!("<code>{}</code>", escape(a))).collect::<Vec<_>>().join(" "),
            format_time(v.created_at),
            escape(&v.created_by),
            escape(&v.artifact_sha256[..16.min(v.artifact_sha256.len())])
        );
    }
    body.push_str("</table><h2>Alias history</h2>");
    if model.history.is_empty() {
        body.push_str("<p>No alias has been set.</p>");
    } else {
        body.push_str(
            "<table id=\"history\"><tr><th>When (UTC)</th><th>Alias</th><th>From</th><th>To</th><th>By</th></tr>",
        );
        for e in model.history.iter().rev() {
            let show = |v: Option<i64>| v.map_or_else(|| "(none)".to_string(), |v| v.to_string());
            let _ = write!(
                body,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                format_time(e.changed_at),
                escape(&e.alias),
                show(e.from_version),
                show(e.to_version),
                escape(&e.changed_by)
            );
        }
        body.push_str("</table>");
    }
    Ok(Html(layout(&model.name, &body)))
}
