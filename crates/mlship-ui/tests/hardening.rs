//! Issue 10 against the UI, over real HTTP: cross-site writes (content type,
//! Origin, Host), `--auth-read`, the caller recorded in the alias history,
//! lookalike model names, every error in the documented shape, and slow or
//! silent clients dropped.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use mlship_ui::UiConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Request headers to add: (name, value) pairs.
type Headers<'a> = &'a [(&'a str, &'a str)];

const ALICE: &str = "alice:9f2c4e6a8b0d1f3e5a7c9e1b";
const ALICE_SECRET: &str = "9f2c4e6a8b0d1f3e5a7c9e1b";

async fn history(base: &str, client: &reqwest::Client) -> Vec<Value> {
    let model: Value = client
        .get(format!("{base}/api/models/insurance"))
        .bearer_auth(ALICE_SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    model["history"].as_array().unwrap().clone()
}

/// The JSON error shape: `{"error": "…", "status": N}` with N the HTTP status.
async fn json_error(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "{:?}", response.headers());
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16(), "{body}");
    body["error"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_site_writes_are_refused_and_the_caller_is_recorded() {
    let ui = common::start(Some(ALICE)).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/models/insurance/versions", ui.base);
    let body = json!({"run_id": ui.runs[1], "alias": "production"}).to_string();
    let before = history(&ui.base, &client).await.len();

    // The request: text/plain from another site, through another name.
    let attempts: [(Headers<'_>, StatusCode, &str); 6] = [
        (&[("content-type", "text/plain")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json"),
        (&[("content-type", "application/x-www-form-urlencoded")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "JSON body"),
        (&[("content-type", "multipart/form-data; boundary=x")], StatusCode::UNSUPPORTED_MEDIA_TYPE, "JSON body"),
        (&[], StatusCode::UNSUPPORTED_MEDIA_TYPE, "none"),
        (
            &[("content-type", "application/json"), ("origin", "http://evil.example")],
            StatusCode::FORBIDDEN,
            "cross-origin",
        ),
        (&[("content-type", "application/json"), ("origin", "null")], StatusCode::FORBIDDEN, "cross-origin"),
    ];
    for (headers, status, needle) in attempts {
        let mut request = client.post(&url).bearer_auth(ALICE_SECRET).body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let message = json_error(request.send().await.unwrap(), status).await;
        assert!(message.contains(needle), "{headers:?}: {message}");
    }
    let rebinding = client
        .post(&url)
        .bearer_auth(ALICE_SECRET)
        .header("content-type", "text/plain")
        .header("origin", "http://evil.example")
        .header("host", "attacker.example")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(json_error(rebinding, StatusCode::FORBIDDEN).await.contains("DNS rebinding"));
    // Reads through a rebound name are refused too: the page would leak to the attacker's origin.
    let read =
        client.get(format!("{}/api/models", ui.base)).header("host", "attacker.example:80").send().await.unwrap();
    assert_eq!(read.status(), StatusCode::FORBIDDEN);
    assert_eq!(history(&ui.base, &client).await.len(), before, "no refused write moved an alias");

    // The UI's own origin, JSON, the token: accepted, and recorded as the token's name.
    let port = ui.base.rsplit(':').next().unwrap();
    let registered = client
        .post(&url)
        .bearer_auth(ALICE_SECRET)
        .header("content-type", "application/json; charset=utf-8")
        .header("origin", format!("http://localhost:{port}"))
        .header("host", format!("localhost:{port}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let version: Value = registered.json().await.unwrap();
    assert_eq!(version["created_by"], "token:alice");
    let alias_url = format!("{}/api/models/insurance/aliases/production", ui.base);
    let deleted = client.delete(&alias_url).bearer_auth(ALICE_SECRET).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "a DELETE without a body needs no content type");
    let with_text = client.delete(&alias_url).bearer_auth(ALICE_SECRET).body("x").send().await.unwrap();
    assert_eq!(with_text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "but a body must be JSON");
    let events = history(&ui.base, &client).await;
    let recorded: Vec<(&str, &str)> =
        events[before..].iter().map(|e| (e["alias"].as_str().unwrap(), e["changed_by"].as_str().unwrap())).collect();
    assert_eq!(recorded, [("production", "token:alice"), ("production", "token:alice")]);
    let os_user = mlship_track::os_user();
    assert!(events[before..].iter().all(|e| e["changed_by"] != os_user.as_str()), "never the server's OS user");
}

#[tokio::test(flavor = "multi_thread")]
async fn lookalike_model_names_are_refused_naming_the_existing_one() {
    let ui = common::start(Some(ALICE)).await;
    let client = reqwest::Client::new();
    // "İnsurance" (dotted capital I) and "insurancе" (Cyrillic е) read as the registered "Insurance".
    for lookalike in ["%C4%B0nsurance", "insuranc%D0%B5"] {
        let response = client
            .post(format!("{}/api/models/{lookalike}/versions", ui.base))
            .bearer_auth(ALICE_SECRET)
            .json(&json!({"run_id": ui.runs[0]}))
            .send()
            .await
            .unwrap();
        let message = json_error(response, StatusCode::CONFLICT).await;
        assert!(message.contains("reads like the existing model \"Insurance\""), "{lookalike}: {message}");
    }
    let models: Value = client.get(format!("{}/api/models", ui.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(models.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_read_puts_pages_api_and_downloads_behind_the_token() {
    let ui = common::start_with(UiConfig { tokens: vec![ALICE.into()], auth_read: true, ..common::config() }).await;
    let client = reqwest::Client::new();
    let run = &ui.runs[0];
    let urls = [
        "/".to_string(),
        format!("/runs/{run}"),
        "/models/insurance".to_string(),
        "/api/models".to_string(),
        format!("/api/runs/{run}"),
        format!("/api/runs/{run}/files/model.mlship"),
        format!("/runs/{run}/files/plots/residuals.svg"),
        "/no/such/page".to_string(),
    ];
    for path in &urls {
        let url = format!("{}{path}", ui.base);
        let anonymous = client.get(&url).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        let challenge = anonymous.headers()["www-authenticate"].to_str().unwrap().to_string();
        let api = path.starts_with("/api/") || path.contains("/files/");
        assert_eq!(challenge.starts_with("Basic"), !api, "{path}: {challenge}");
        let body = anonymous.bytes().await.unwrap();
        assert!(!body.starts_with(b"MLSHIP") && !body.starts_with(b"<svg"), "{path} leaked");
        let wrong = client.get(&url).bearer_auth("0123456789abcdef0123").send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
        let bearer = client.get(&url).bearer_auth(ALICE_SECRET).send().await.unwrap();
        let expected = if path.starts_with("/no/") { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(bearer.status(), expected, "{path}");
        // What a browser sends after its sign-in prompt: any user name, the token as the password.
        let basic = client.get(&url).basic_auth("me", Some(ALICE_SECRET)).send().await.unwrap();
        assert_eq!(basic.status(), expected, "{path}");
    }
    let download =
        client.get(format!("{}/api/runs/{run}/files/model.mlship", ui.base)).bearer_auth(ALICE_SECRET).send().await;
    assert_eq!(download.unwrap().bytes().await.unwrap().as_ref(), common::golden().as_slice());
    // Basic (a browser's remembered sign-in) never authorises a write.
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("me:{ALICE_SECRET}"));
    let write = client
        .put(format!("{}/api/models/insurance/aliases/staging", ui.base))
        .header("authorization", format!("Basic {credentials}"))
        .json(&json!({"version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_has_the_documented_shape() {
    let ui = common::start(Some(ALICE)).await;
    let client = reqwest::Client::new();

    // A page whose path does not parse: the error page, never plain text.
    let page = client.get(format!("{}/experiments/abc", ui.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(html.contains("<nav>") && html.contains("Cannot parse"), "{html}");

    // A method a route does not take: JSON with the methods it does.
    let wrong_method = client.patch(format!("{}/api/models", ui.base)).bearer_auth(ALICE_SECRET).json(&json!({}));
    let wrong_method = wrong_method.send().await.unwrap();
    assert!(wrong_method.headers().contains_key("allow"));
    let message = json_error(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;
    assert!(message.contains("allowed: GET"), "{message}");

    // A body over the limit: JSON, not "Failed to buffer the request body" in plain text.
    let huge = json!({"version": 1, "padding": "x".repeat(mlship_ui::MAX_BODY_BYTES)});
    let response = client
        .put(format!("{}/api/models/insurance/aliases/staging", ui.base))
        .bearer_auth(ALICE_SECRET)
        .json(&huge)
        .send()
        .await
        .unwrap();
    json_error(response, StatusCode::PAYLOAD_TOO_LARGE).await;

    // Malformed JSON and a query that does not decode.
    let response = client
        .put(format!("{}/api/models/insurance/aliases/staging", ui.base))
        .bearer_auth(ALICE_SECRET)
        .header("content-type", "application/json")
        .body("{\"version\": ")
        .send()
        .await
        .unwrap();
    assert!(json_error(response, StatusCode::BAD_REQUEST).await.contains("not valid JSON"));
    let response = client.get(format!("{}/api/runs?limit=%FF%FE", ui.base)).send().await.unwrap();
    json_error(response, StatusCode::BAD_REQUEST).await;

    // A filter 1,000 conditions deep: a clear 400 that names no store path, on the API and the page.
    let deep = vec!["metrics.cv_mae > 1"; 1000].join(" and ");
    let store_dir = ui.artifacts.parent().unwrap().to_str().unwrap().to_string();
    let encoded = percent_encoding::utf8_percent_encode(&deep, percent_encoding::NON_ALPHANUMERIC).to_string();
    let response = client.get(format!("{}/api/runs?filter={encoded}", ui.base)).send().await.unwrap();
    let message = json_error(response, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("at most 50 conditions") && !message.contains(&store_dir), "{message}");
    let page = client.get(format!("{}/experiments/1?filter={encoded}", ui.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let html = page.text().await.unwrap();
    assert!(html.contains("at most 50 conditions") && !html.contains(&store_dir));

    // An unknown sort key: an error listing the keys there are.
    let response = client.get(format!("{}/api/runs?sort=holdout_r3", ui.base)).send().await.unwrap();
    let message = json_error(response, StatusCode::BAD_REQUEST).await;
    for known in ["unknown sort key", "metrics.holdout_r2", "params.model", "attributes.start_time"] {
        assert!(message.contains(known), "{message}");
    }
}

/// Reads until the server closes the connection; what it sent, if anything.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    // Generous: the server's header timeout is one second; this only stops a broken server hanging the test.
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the connection was still open after 60 s");
    received
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_silent_and_idle_clients_are_dropped() {
    let ui = common::start_with(UiConfig {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        max_connections: 2,
        ..common::config()
    })
    .await;
    let address = ui.base.strip_prefix("http://").unwrap().to_string();

    // Slowloris: a request line that never ends.
    let mut partial = tokio::net::TcpStream::connect(&address).await.unwrap();
    partial.write_all(b"GET / HTTP/1.1\r\nHost: 127").await.unwrap();
    let answered = until_closed(&mut partial).await;
    assert!(!answered.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answered));

    // A silent connection, and an idle keep-alive after one answered request.
    let mut silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    until_closed(&mut silent).await;
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(format!("GET /api/experiments HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes()).await.unwrap();
    let answered = until_closed(&mut idle).await;
    assert!(answered.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answered));

    // Two silent connections fill the limit; the timeouts free it for a real client.
    let _held: Vec<_> = vec![
        tokio::net::TcpStream::connect(&address).await.unwrap(),
        tokio::net::TcpStream::connect(&address).await.unwrap(),
    ];
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let served = client.get(format!("{}/api/experiments", ui.base)).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
}
