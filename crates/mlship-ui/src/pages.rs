//! The pages: experiments, a runs table (sort by clicking any metric or param
//! header, filter with MLflow's syntax, tick runs to compare), a run (params,
//! metrics, per-fold chart, plots, the artifact's input schema), compare, and
//! the registry. Plain HTML and forms: no script, nothing fetched from
//! elsewhere.
//!
//! The markup is in askama templates under `templates/`, checked at compile
//! time and escaping every value by default; each extends `base.html` (nav,
//! style). A handler here only gathers what its template shows.

use crate::api::{compared_runs, get, query_pairs, run_query};
use crate::error::{PageError, UiError};
use crate::SharedUi;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use mlship_artifact::Artifact;
use mlship_learn::InputColumn;
use mlship_track::filter::{higher_is_better, parse_sort, Scope, SortKey};
use mlship_track::{format_time, plots, ComparisonRow, Experiment, ModelDetail, ModelSummary, RunDetail, RunRow};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::BTreeSet;

/// Runs shown on a runs page unless `limit` says otherwise (0: all).
const PAGE_LIMIT: usize = 500;

/// What stays as it is in a query value or path segment: RFC 3986's
/// unreserved characters. Everything else, `/` included, is percent-encoded.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a query value or path segment.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, URL_COMPONENT).to_string()
}

/// The templates' own filters (askama looks for a `filters` module in scope).
pub(crate) mod filters {
    /// `{{ name|url_component }}`: a value percent-encoded for a URL.
    #[askama::filter_fn]
    pub fn url_component(value: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::encode(&value.to_string()))
    }
}

// Helpers the templates call as `self::name(…)`.

fn number(value: &f64) -> String {
    let value = *value;
    if value.abs() >= 1e6 || (value != 0.0 && value.abs() < 1e-3) {
        format!("{value:.4e}")
    } else {
        format!("{value:.4}")
    }
}

fn time(ms: &i64) -> String {
    format_time(*ms)
}

/// The first 8 characters of a run id, as runs are shown in lists.
fn short(id: &str) -> &str {
    prefix(id, 8)
}

fn prefix(text: &str, n_chars: usize) -> &str {
    text.get(..n_chars).unwrap_or(text)
}

fn version(version: &Option<i64>) -> String {
    version.map_or_else(|| "(none)".to_string(), |v| v.to_string())
}

/// Renders a page; a template failure is a 500 like any other internal error.
pub(crate) fn render(page: &impl Template) -> Result<Html<String>, PageError> {
    page.render().map(Html).map_err(|error| {
        tracing::error!(target: "mlship::ui", "cannot render a page: {error}");
        PageError(UiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: "cannot render the page".into() })
    })
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub status: u16,
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "experiments.html")]
struct ExperimentsPage {
    experiments: Vec<Experiment>,
}

pub async fn experiments(State(ui): State<SharedUi>) -> Result<Html<String>, PageError> {
    render(&ExperimentsPage { experiments: ui.store.experiments().await? })
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage<'a> {
    experiment: &'a str,
    filter: &'a str,
    sort: &'a str,
    /// The table, or the filter's error.
    table: Result<RunsTable, String>,
}

struct RunsTable {
    runs: Vec<RunRow>,
    /// Every metric and varying param, or only the ones a person reads first.
    all_columns: bool,
    /// The query of the link that switches between the two.
    columns_switch: String,
    /// The limit applied, or "all".
    limit: String,
    /// The query of the "show all" link.
    show_all: String,
    headers: Vec<SortHeader>,
    /// The metric and param columns, in the headers' order (after "Start").
    columns: Vec<RunColumn>,
}

/// One metric or param column of the runs table.
struct RunColumn {
    key: String,
    is_metric: bool,
}

impl RunColumn {
    fn cell(&self, run: &RunRow) -> String {
        match self.is_metric {
            true => run.metrics.get(&self.key).map(|v| number(&v)).unwrap_or_default(),
            false => run.params.get(&self.key).map(str::to_string).unwrap_or_default(),
        }
    }
}

/// A header that sorts by `key`: best first on the first click, reversed on the next.
struct SortHeader {
    /// The link's query: the filter kept, the sort set.
    query: String,
    key: String,
    label: String,
    hint: &'static str,
    /// ▼ or ▲ on the column the table is sorted by.
    arrow: &'static str,
}

/// What a person reads first about a run: its model, CV R2 and MAE, hold-out R2
/// (the duration is always shown); the rest is behind the "all columns" switch.
const MAIN_METRICS: &[&str] = &["cv_r2", "cv_mae", "holdout_r2"];
const MAIN_PARAMS: &[&str] = &["model"];

/// The main columns that some run has.
fn main_columns(runs: &[RunRow]) -> (Vec<String>, Vec<String>) {
    let metrics = MAIN_METRICS.iter().filter(|key| runs.iter().any(|r| r.metrics.get(key).is_some()));
    let params = MAIN_PARAMS.iter().filter(|key| runs.iter().any(|r| r.params.get(key).is_some()));
    (metrics.map(|k| k.to_string()).collect(), params.map(|k| k.to_string()).collect())
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
    let experiment = ui
        .store
        .experiment_name(experiment_id)
        .await?
        .ok_or_else(|| UiError::not_found(format!("no experiment {experiment_id}")))?;
    let mut query = run_query(&pairs, PAGE_LIMIT)?;
    query.experiment = Some(experiment.clone());
    let filter = get(&pairs, "filter").unwrap_or("");
    let sort = get(&pairs, "sort").unwrap_or("");
    let current_sort = if sort.is_empty() { None } else { Some(parse_sort(sort)?) };
    let mut page = RunsPage { experiment: &experiment, filter, sort, table: Err(String::new()) };
    match ui.store.list_runs(&query).await {
        Ok(runs) => {
            let all_columns = get(&pairs, "columns") == Some("all");
            let (metric_keys, param_keys) = if all_columns { columns(&runs) } else { main_columns(&runs) };
            let metric_columns = metric_keys.into_iter().map(|key| RunColumn { key, is_metric: true });
            let param_columns = param_keys.into_iter().map(|key| RunColumn { key, is_metric: false });
            // The main view reads like a leaderboard: the model, then its scores.
            let columns: Vec<RunColumn> = match all_columns {
                true => metric_columns.chain(param_columns).collect(),
                false => param_columns.chain(metric_columns).collect(),
            };
            let mut headers = vec![sort_header("Start (UTC)", "attributes.start_time", &current_sort, filter)];
            headers.extend(columns.iter().map(|column| match column.is_metric {
                true => sort_header(&column.key, &format!("metrics.{}", column.key), &current_sort, filter),
                false => {
                    let key = format!("params.{}", column.key);
                    sort_header(&key, &key, &current_sort, filter)
                }
            }));
            let switch = if all_columns { None } else { Some("all") };
            let mut columns_switch = link_query(filter, sort, None);
            if let Some(value) = switch {
                columns_switch.push_str(if columns_switch.is_empty() { "columns=" } else { "&columns=" });
                columns_switch.push_str(value);
            }
            page.table = Ok(RunsTable {
                runs,
                all_columns,
                columns_switch,
                limit: query.limit.map_or_else(|| "all".to_string(), |l| l.to_string()),
                show_all: link_query(filter, sort, Some(0)),
                headers,
                columns,
            });
            Ok(render(&page)?.into_response())
        }
        // A bad filter is shown next to the filter box, with the form kept.
        Err(error @ mlship_track::TrackError::InvalidFilter { .. }) => {
            page.table = Err(error.to_string());
            Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response())
        }
        Err(error) => Err(error.into()),
    }
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

fn sort_header(label: &str, key: &str, current: &Option<SortKey>, filter: &str) -> SortHeader {
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
        Some(t) if t.scope == Scope::Metric && higher_is_better(&t.key) => "higher is better",
        Some(t) if t.scope == Scope::Metric => "lower is better",
        _ => "",
    };
    SortHeader {
        query: link_query(filter, &format!("{key} {direction}"), None),
        key: key.to_string(),
        label: label.to_string(),
        hint,
        arrow,
    }
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage<'a> {
    detail: &'a RunDetail,
    run: &'a RunRow,
    artifact: Option<ArtifactLink<'a>>,
    /// One bar chart (SVG) per fold metric shown, when the run has per-fold metrics.
    fold_charts: Option<Vec<String>>,
    /// Plot files, relative to the run's folder.
    plots: Vec<&'a str>,
    /// A compare run: its leaderboard page.
    has_leaderboard: bool,
    /// A model run of a compare: the compare run.
    parent: Option<&'a str>,
    /// The artifact's input schema, or why it cannot be read; `None` without an artifact.
    schema: Option<Result<Artifact, String>>,
}

struct ArtifactLink<'a> {
    path: &'a str,
    /// The path inside the run's folder, as `/runs/{id}/files/` takes it.
    inner: &'a str,
    sha256: &'a str,
}

pub async fn run(State(ui): State<SharedUi>, Path(id): Path<String>) -> Result<Html<String>, PageError> {
    let detail = ui.store.run(&id).await?;
    let run = &detail.run;
    let run_folder = format!("runs/{}/", run.id);
    let artifact = match (&detail.artifact_path, &detail.artifact_sha256) {
        (Some(path), Some(sha256)) => Some(ArtifactLink { path, inner: inside(path, &run_folder), sha256 }),
        _ => None,
    };
    let schema = match &artifact {
        Some(artifact) => Some(match ui.store.run_file(&run.id, artifact.path).await {
            Ok((_, bytes)) => Artifact::from_bytes(&bytes, artifact.path).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        }),
        None => None,
    };
    render(&RunPage {
        detail: &detail,
        run,
        artifact,
        fold_charts: fold_charts(&detail),
        plots: detail.files.iter().filter(|f| f.kind == "plot").map(|f| inside(&f.path, &run_folder)).collect(),
        has_leaderboard: detail
            .files
            .iter()
            .any(|f| inside(&f.path, &run_folder) == crate::leaderboard::LEADERBOARD_FILE),
        parent: run.tags.get("mlflow.parentRunId"),
        schema,
    })
}

/// A path in the artifact folder relative to the run's folder, as `/runs/{id}/files/` takes it.
fn inside<'p>(path: &'p str, run_folder: &str) -> &'p str {
    path.strip_prefix(run_folder).unwrap_or(path)
}

/// Bars of fold_r2 and fold_mae per fold, when the run logged per-fold metrics.
fn fold_charts(detail: &RunDetail) -> Option<Vec<String>> {
    let mut fold_keys = detail.history.keys().filter(|k| k.starts_with("fold_")).peekable();
    fold_keys.peek()?;
    let charts = fold_keys
        .filter(|k| ["fold_r2", "fold_mae"].contains(&k.as_str()))
        .map(|key| {
            let items: Vec<(String, f64)> =
                detail.history[key].iter().map(|(step, v)| (format!("fold {step}"), *v)).collect();
            plots::bars(key, key, &items)
        })
        .collect();
    Some(charts)
}

fn steps(detail: &RunDetail, key: &str) -> usize {
    detail.history.get(key).map_or(0, Vec::len)
}

fn seconds(start: &i64, end: &i64) -> f64 {
    (end - start) as f64 / 1000.0
}

/// A run's duration in seconds, or nothing while it runs.
fn duration(run: &RunRow) -> String {
    run.end_time.map_or_else(String::new, |end| format!("{:.1}", seconds(&run.start_time, &end)))
}

fn kind(column: &InputColumn) -> &'static str {
    match column.kind {
        mlship_data::ColumnKind::Numeric => "numeric",
        mlship_data::ColumnKind::Categorical => "categorical",
        mlship_data::ColumnKind::Date { .. } => "date",
    }
}

/// The range of a numeric column, the levels of a categorical, the count of a date's.
fn training_values(column: &InputColumn) -> String {
    match &column.kind {
        mlship_data::ColumnKind::Numeric => match (column.min, column.max) {
            (Some(min), Some(max)) => format!("{} to {}", number(&min), number(&max)),
            _ => String::new(),
        },
        mlship_data::ColumnKind::Categorical => column.levels.join(", "),
        mlship_data::ColumnKind::Date { .. } => format!("{} levels", column.levels.len()),
    }
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    runs: Vec<RunRow>,
    rows: Vec<ComparisonRow>,
}

pub async fn compare(State(ui): State<SharedUi>, RawQuery(raw): RawQuery) -> Result<Html<String>, PageError> {
    let runs = compared_runs(&ui, &query_pairs(raw)?).await?;
    let rows = mlship_track::search::compare(&runs);
    render(&ComparePage { runs, rows })
}

#[derive(Template)]
#[template(path = "models.html")]
struct ModelsPage {
    models: Vec<ModelSummary>,
}

pub async fn models(State(ui): State<SharedUi>) -> Result<Html<String>, PageError> {
    render(&ModelsPage { models: ui.store.models().await? })
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage {
    model: ModelDetail,
    /// Every `mlship monitor` report recorded for this model, oldest first.
    drift: Vec<mlship_track::DriftSummary>,
    /// The share of drifted columns over time (SVG from mlship_track::plots), when there are reports.
    drift_chart: Option<String>,
}

pub async fn model(State(ui): State<SharedUi>, Path(name): Path<String>) -> Result<Html<String>, PageError> {
    let model = ui.store.model(&name).await?;
    let drift = ui.store.drift_history(&model.name).await?;
    let drift_chart = drift_chart(&drift);
    render(&ModelPage { model, drift, drift_chart })
}

/// Drift over time: the share of drifted columns per report, on a time axis
/// from the first report to the last.
fn drift_chart(reports: &[mlship_track::DriftSummary]) -> Option<String> {
    let first = reports.first()?.created_at;
    let span = (reports.last()?.created_at - first).max(1) as f64;
    let x = |t: i64| if reports.len() == 1 { 0.5 } else { (t - first) as f64 / span };
    // One series: the share of drifted columns (a prediction drift score is
    // a p-value or a distance depending on the test, not comparable on one axis).
    let shares = reports.iter().map(|r| (x(r.created_at), r.share_of_drifted_columns)).collect();
    let series = vec![("drifted share".to_string(), shares)];
    let from_to = format!("time: {} → {} UTC", format_time(first), format_time(reports.last()?.created_at));
    Some(plots::curves("Drift over time", &from_to, "share of drifted columns", &series, false))
}

/// One recorded monitoring report, rendered as `mlship monitor` wrote it.
pub async fn drift_report(
    State(ui): State<SharedUi>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Html<String>, PageError> {
    let json = ui.store.drift_report(&name, id).await?;
    let report: mlship_monitor::report::MonitorReport = serde_json::from_str(&json).map_err(|error| {
        tracing::error!(target: "mlship::ui", "drift report {id} of {name:?} does not parse: {error}");
        PageError(UiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: "cannot read the report".into() })
    })?;
    report.to_html().map(Html).map_err(|error| {
        tracing::error!(target: "mlship::ui", "cannot render drift report {id}: {error}");
        PageError(UiError { status: StatusCode::INTERNAL_SERVER_ERROR, message: "cannot render the page".into() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_components_keep_only_unreserved_characters() {
        for byte in 0u8..128 {
            let text = char::from(byte).to_string();
            let unreserved = byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte);
            let expected = if unreserved { text.clone() } else { format!("%{byte:02X}") };
            assert_eq!(encode(&text), expected, "byte {byte}");
        }
        assert_eq!(encode("é /x"), "%C3%A9%20%2Fx");
    }

    #[test]
    fn values_are_escaped_without_asking() {
        let page = ErrorPage { status: 404, message: "<script>alert('x')</script>" }.render().unwrap();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&#60;script&#62;alert(&#39;x&#39;)"), "{page}");
        assert!(page.contains("<title>Error 404 · mlship</title>") && page.contains("<nav>"), "the layout");
    }
}
