//! Server-rendered pages: the prediction form (works without JavaScript, fits
//! a phone, every field labelled) and the API documentation page rendered from
//! the OpenAPI document (no CDN, no script). The markup lives in askama
//! templates under `templates/`, which escape every value by default; this
//! module only gathers what they show.

use crate::error::ApiError;
use crate::state::ServedModel;
use askama::Template;
use mlship_data::ColumnKind;
use mlship_learn::InputColumn;
use serde_json::Value;

/// What a form page shows besides the fields: submitted values, errors, the result.
#[derive(Default)]
pub struct FormView<'a> {
    pub values: &'a [(String, String)],
    pub errors: &'a [(String, String)],
    pub result: Option<String>,
    pub warnings: &'a [String],
}

/// The input for one schema column, as the template draws it.
enum FieldKind<'a> {
    /// `range` is "min – max" from training, empty when unknown.
    Numeric {
        range: String,
    },
    Categorical {
        levels: Vec<&'a str>,
    },
    /// `format` is the detected date format as `Debug` prints it.
    Date {
        format: String,
        example: &'a str,
    },
}

struct Field<'a> {
    name: &'a str,
    /// `f-` and the name with anything but ASCII letters and digits as `_`.
    id: String,
    /// The hint's id, and the error's when there is one.
    described_by: String,
    /// The submitted value, kept so a mistake can be corrected in place.
    value: &'a str,
    error: Option<&'a str>,
    kind: FieldKind<'a>,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage<'a> {
    model: &'a ServedModel,
    /// The hold-out scores the footer shows (`R2 0.8660, MAE 2604.33` or `Accuracy 0.9500, AUC 0.9900`).
    holdout: String,
    fields: Vec<Field<'a>>,
    result: Option<&'a str>,
    warnings: &'a [String],
    version: &'static str,
}

fn field<'a>(column: &'a InputColumn, view: &FormView<'a>) -> Field<'a> {
    let id = format!("f-{}", column.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
    let value = view.values.iter().find(|(k, _)| *k == column.name).map(|(_, v)| v.as_str()).unwrap_or("");
    let error = view.errors.iter().find(|(k, _)| *k == column.name).map(|(_, m)| m.as_str());
    let described_by = match error {
        Some(_) => format!("{id}-hint {id}-error"),
        None => format!("{id}-hint"),
    };
    let kind = match &column.kind {
        ColumnKind::Numeric => FieldKind::Numeric {
            range: match (column.min, column.max) {
                (Some(min), Some(max)) => format!("{min} – {max}"),
                _ => String::new(),
            },
        },
        ColumnKind::Categorical => {
            FieldKind::Categorical { levels: column.levels.iter().map(String::as_str).collect() }
        }
        ColumnKind::Date { format } => FieldKind::Date {
            format: format!("{format:?}"),
            example: column.levels.first().map(String::as_str).unwrap_or(""),
        },
    };
    Field { name: &column.name, id, described_by, value, error, kind }
}

/// The hold-out scores a user reads first: R2, MAE and RMSE for a
/// regressor, Accuracy, AUC and F1 for a classifier.
fn holdout_summary(holdout: &mlship_learn::Scores) -> String {
    let shown: &[(&str, usize)] = match holdout.task() {
        mlship_learn::Task::Regression => &[("R2", 4), ("MAE", 2), ("RMSE", 2)],
        mlship_learn::Task::Classification => &[("Accuracy", 4), ("AUC", 4), ("F1", 4)],
    };
    let parts: Vec<String> = shown
        .iter()
        .filter_map(|&(name, decimals)| holdout.get(name).map(|value| format!("{name} {value:.decimals$}")))
        .collect();
    parts.join(", ")
}

/// The form, with what the last submission left in it.
pub fn form_page(model: &ServedModel, view: &FormView<'_>) -> Result<String, ApiError> {
    let page = FormPage {
        model,
        holdout: holdout_summary(&model.artifact.metrics.holdout),
        fields: model.artifact.pipeline.schema.iter().map(|column| field(column, view)).collect(),
        result: view.result.as_deref(),
        warnings: view.warnings,
        version: env!("CARGO_PKG_VERSION"),
    };
    page.render().map_err(|error| ApiError::internal("rendering the form page", error))
}

/// One path and method of the OpenAPI document.
struct Operation<'a> {
    method: String,
    path: &'a str,
    summary: &'a str,
    /// (media type, pretty-printed example) per request body that has one.
    examples: Vec<(&'a str, String)>,
    /// (status code, description); `None` when the operation lists none.
    responses: Option<Vec<(&'a str, &'a str)>>,
}

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage<'a> {
    title: &'a str,
    description: &'a str,
    operations: Vec<Operation<'a>>,
}

fn operations(document: &Value) -> Vec<Operation<'_>> {
    let mut operations = Vec::new();
    let Some(paths) = document["paths"].as_object() else { return operations };
    for (path, methods) in paths {
        let Some(methods) = methods.as_object() else { continue };
        for (method, operation) in methods {
            let examples = operation["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(media_type, media)| {
                    let example = media.get("example")?;
                    Some((media_type.as_str(), serde_json::to_string_pretty(example).unwrap_or_default()))
                })
                .collect();
            let responses = operation["responses"].as_object().map(|responses| {
                responses
                    .iter()
                    .map(|(code, response)| (code.as_str(), response["description"].as_str().unwrap_or("")))
                    .collect()
            });
            operations.push(Operation {
                method: method.to_uppercase(),
                path,
                summary: operation["summary"].as_str().unwrap_or(""),
                examples,
                responses,
            });
        }
    }
    operations
}

/// The documentation page: every path and method with its summary, request
/// example and responses, from the OpenAPI document. Rendered once per model.
pub fn docs_page(document: &Value) -> String {
    let page = DocsPage {
        title: document["info"]["title"].as_str().unwrap_or("mlship"),
        description: document["info"]["description"].as_str().unwrap_or(""),
        operations: operations(document),
    };
    // Rendering only fails if a value's `Display` fails, and these are all
    // strings; the JSON document stays available either way.
    page.render().unwrap_or_else(|error| {
        tracing::error!(%error, "cannot render the docs page");
        "the docs page could not be rendered: see /openapi.json".to_string()
    })
}
