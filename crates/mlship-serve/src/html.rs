//! Server-rendered pages: the prediction form (works without JavaScript, fits
//! a phone, every field labelled, every echoed value escaped) and the API
//! documentation page rendered from the OpenAPI document (no CDN, no script).

use crate::state::ServedModel;
use mlship_data::ColumnKind;
use serde_json::Value;
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}\
main{max-width:34rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem}\
.field{margin:0 0 .9rem}label{display:block;font-weight:600;margin-bottom:.2rem}\
input,select{width:100%;box-sizing:border-box;font-size:1rem;padding:.55rem;border:1px solid #9aa3b2;border-radius:.35rem;background:#fff}\
input:focus,select:focus,button:focus{outline:3px solid #2563eb;outline-offset:1px}\
small{color:#4b5563}.error{color:#b91c1c;margin:.25rem 0 0;font-weight:600}\
.invalid input,.invalid select{border-color:#b91c1c}\
button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:.35rem;background:#1d4ed8;color:#fff;cursor:pointer}\
.result{font-size:1.3rem;font-weight:700;background:#e0f2e9;border-left:4px solid #15803d;padding:.7rem}\
footer{margin-top:2rem;font-size:.85rem;color:#4b5563}code,pre{background:#eef0f4;padding:.1rem .3rem;border-radius:.2rem}\
pre{padding:.6rem;overflow-x:auto}";

/// What a form page shows besides the fields: submitted values, errors, the result.
#[derive(Default)]
pub struct FormView<'a> {
    pub values: &'a [(String, String)],
    pub errors: &'a [(String, String)],
    pub result: Option<String>,
    pub warnings: &'a [String],
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head>\
<body><main>{body}</main></body></html>",
        escape(title)
    )
}

fn field(out: &mut String, column: &mlship_learn::InputColumn, view: &FormView<'_>) {
    let name = escape(&column.name);
    let id = format!("f-{}", column.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
    let value = view.values.iter().find(|(k, _)| *k == column.name).map(|(_, v)| v.as_str()).unwrap_or("");
    let error = view.errors.iter().find(|(k, _)| *k == column.name).map(|(_, m)| m.as_str());
    let _ = write!(
        out,
        "<div class=\"field{}\"><label for=\"{id}\">{name}</label>",
        if error.is_some() { " invalid" } else { "" }
    );
    let described = format!("{id}-hint{}", if error.is_some() { format!(" {id}-error") } else { String::new() });
    match &column.kind {
        ColumnKind::Numeric => {
            let hint = match (column.min, column.max) {
                (Some(min), Some(max)) => format!("{min} – {max}"),
                _ => String::new(),
            };
            let _ = write!(
                out,
                "<input id=\"{id}\" name=\"{name}\" type=\"number\" step=\"any\" inputmode=\"decimal\" required \
value=\"{}\" placeholder=\"{}\" aria-describedby=\"{described}\"{}>\
<small id=\"{id}-hint\">training range {}</small>",
                escape(value),
                escape(&hint),
                if error.is_some() { " aria-invalid=\"true\"" } else { "" },
                escape(&hint)
            );
        }
        ColumnKind::Categorical => {
            let _ = write!(out, "<select id=\"{id}\" name=\"{name}\" required aria-describedby=\"{described}\"><option value=\"\">choose…</option>");
            for level in &column.levels {
                let selected = if level == value { " selected" } else { "" };
                let _ = write!(out, "<option value=\"{0}\"{selected}>{0}</option>", escape(level));
            }
            let _ =
                write!(out, "</select><small id=\"{id}-hint\">{} levels seen in training</small>", column.levels.len());
        }
        ColumnKind::Date { format } => {
            let example = column.levels.first().cloned().unwrap_or_default();
            let _ = write!(
                out,
                "<input id=\"{id}\" name=\"{name}\" type=\"text\" required value=\"{}\" placeholder=\"{}\" aria-describedby=\"{described}\">\
<small id=\"{id}-hint\">a date ({format:?}), e.g. {}</small>",
                escape(value),
                escape(&example),
                escape(&example)
            );
        }
    }
    if let Some(message) = error {
        let _ = write!(out, "<p class=\"error\" id=\"{id}-error\" role=\"alert\">{}</p>", escape(message));
    }
    out.push_str("</div>");
}

pub fn form_page(model: &ServedModel, view: &FormView<'_>) -> String {
    let mut body = String::new();
    let _ = write!(body, "<h1>Predict {}</h1>", escape(&model.label));
    body.push_str("<form action=\"/predict\" method=\"post\">");
    for column in &model.artifact.pipeline.schema {
        field(&mut body, column, view);
    }
    body.push_str("<button type=\"submit\">Predict</button></form>");
    if let Some(result) = &view.result {
        let _ = write!(body, "<p class=\"result\" role=\"status\" id=\"result\">{}</p>", escape(result));
    }
    for warning in view.warnings {
        let _ = write!(body, "<p><small>{}</small></p>", escape(warning));
    }
    let holdout = &model.artifact.metrics.holdout;
    let _ = write!(
        body,
        "<footer>Model <strong>{}</strong> · version <code id=\"model-version\">{}</code>{} · {} · hold-out R2 {:.4}, MAE {:.2}, RMSE {:.2} · \
<a href=\"/docs\">API docs</a> · mlship {}</footer>",
        escape(&model.name),
        escape(&model.version),
        model.reference.as_ref().map(|r| format!(" (<code>{}</code>)", escape(r))).unwrap_or_default(),
        escape(&model.artifact.model_name),
        holdout.r2,
        holdout.mae,
        holdout.rmse,
        env!("CARGO_PKG_VERSION")
    );
    page(&format!("{} · mlship", model.name), &body)
}

/// The documentation page: every path and method with its summary, request
/// example and responses, from the OpenAPI document.
pub fn docs_page(document: &Value) -> String {
    let mut body = String::new();
    let title = document["info"]["title"].as_str().unwrap_or("mlship");
    let _ = write!(
        body,
        "<h1>{}</h1><p>{}</p>",
        escape(title),
        escape(document["info"]["description"].as_str().unwrap_or(""))
    );
    body.push_str("<p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1).</p>");
    if let Some(paths) = document["paths"].as_object() {
        for (path, methods) in paths {
            let Some(methods) = methods.as_object() else { continue };
            for (method, operation) in methods {
                let _ = write!(
                    body,
                    "<section><h2><code>{} {}</code></h2><p>{}</p>",
                    escape(&method.to_uppercase()),
                    escape(path),
                    escape(operation["summary"].as_str().unwrap_or(""))
                );
                if let Some(content) = operation["requestBody"]["content"].as_object() {
                    for (media_type, media) in content {
                        if let Some(example) = media.get("example") {
                            let pretty = serde_json::to_string_pretty(example).unwrap_or_default();
                            let _ =
                                write!(body, "<p>Request ({}):</p><pre>{}</pre>", escape(media_type), escape(&pretty));
                        }
                    }
                }
                if let Some(responses) = operation["responses"].as_object() {
                    body.push_str("<ul>");
                    for (code, response) in responses {
                        let _ = write!(
                            body,
                            "<li><code>{}</code> {}</li>",
                            escape(code),
                            escape(response["description"].as_str().unwrap_or(""))
                        );
                    }
                    body.push_str("</ul>");
                }
                body.push_str("</section>");
            }
        }
    }
    page(&format!("{title} · API"), &body)
}
