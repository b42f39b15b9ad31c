//! The push client against an in-process fake OCI registry that speaks the
//! bearer-token flow (the one Docker Hub, GHCR and ACR use): a challenge on
//! /v2/, a token endpoint behind Basic auth, blob HEAD/POST/PUT with digest
//! checks, a manifest that must only name blobs already pushed, and a
//! repository that refuses pushes (403).

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use mlship_ship::image::{self, sha256_digest};
use mlship_ship::registry::{push, Credentials, Reference};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Store {
    blobs: HashSet<String>,
    manifests: HashMap<String, Vec<u8>>,
    uploads_started: usize,
}

#[derive(Clone)]
struct Fake {
    store: Arc<Mutex<Store>>,
    base: String,
}

const TOKEN: &str = "Bearer good-token";

fn challenge(fake: &Fake) -> Response {
    let value = format!("Bearer realm=\"{}/token\",service=\"fake-registry\"", fake.base);
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, value)], "").into_response()
}

async fn handle(State(fake): State<Fake>, request: Request) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let headers: HeaderMap = request.headers().clone();
    let body: Bytes = axum::body::to_bytes(request.into_body(), 64 << 20).await.unwrap_or_default();
    let path = uri.path().to_string();
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%3A", ":").replace("%2C", ",")))
        .collect();
    if path == "/token" {
        let basic = format!("Basic {}", base64_encode("ci:s3cret"));
        let authorised = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(basic.as_str());
        let scope_ok = query.get("scope").is_some_and(|s| s.ends_with(":pull,push")) && query.contains_key("service");
        return if authorised && scope_ok {
            axum::Json(serde_json::json!({ "token": "good-token" })).into_response()
        } else {
            StatusCode::UNAUTHORIZED.into_response()
        };
    }
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(TOKEN) {
        return challenge(&fake);
    }
    let Some(rest) = path.strip_prefix("/v2/") else { return StatusCode::NOT_FOUND.into_response() };
    let mut store = fake.store.lock().unwrap();
    if let Some((repo, digest)) = rest.split_once("/blobs/").filter(|(_, d)| d.starts_with("sha256:")) {
        let _ = repo;
        return if method == Method::HEAD && store.blobs.contains(digest) {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        }
        .into_response();
    }
    if let Some(repo) = rest.strip_suffix("/blobs/uploads/") {
        if repo.starts_with("forbidden") {
            return StatusCode::FORBIDDEN.into_response();
        }
        store.uploads_started += 1;
        let location = format!("/v2/{repo}/blobs/uploads/upload-{}", store.uploads_started);
        return (StatusCode::ACCEPTED, [(header::LOCATION, location)]).into_response();
    }
    if rest.contains("/blobs/uploads/upload-") && method == Method::PUT {
        let digest = query.get("digest").cloned().unwrap_or_default();
        if sha256_digest(&body) != digest {
            return (StatusCode::BAD_REQUEST, "digest mismatch").into_response();
        }
        store.blobs.insert(digest);
        return StatusCode::CREATED.into_response();
    }
    if let Some((repo, tag)) = rest.split_once("/manifests/") {
        let manifest: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut named = vec![manifest["config"]["digest"].as_str().unwrap_or("").to_string()];
        named.extend(
            manifest["layers"].as_array().into_iter().flatten().map(|l| l["digest"].as_str().unwrap_or("").to_string()),
        );
        if named.iter().any(|d| !store.blobs.contains(d)) {
            return (StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN").into_response();
        }
        store.manifests.insert(format!("{repo}:{tag}"), body.to_vec());
        return StatusCode::CREATED.into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn start() -> (Fake, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let fake = Fake { store: Arc::default(), base: format!("http://{address}") };
    let app = Router::new().fallback(handle).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (fake, address.to_string())
}

fn fake_static_binary(dir: &Path) -> PathBuf {
    let mut bytes = vec![0u8; 64 + 56];
    bytes[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    bytes[32..40].copy_from_slice(&64u64.to_le_bytes());
    bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
    bytes[56..58].copy_from_slice(&1u16.to_le_bytes());
    bytes[64..68].copy_from_slice(&1u32.to_le_bytes());
    let path = dir.join("mlship-static");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn built() -> image::BuiltImage {
    let dir = tempfile::tempdir().unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mlship-artifact/tests/golden/insurance_v1.mlship");
    image::build(&fake_static_binary(dir.path()), &golden, 5000).unwrap()
}

fn credentials() -> Option<Credentials> {
    Some(Credentials { username: "ci".into(), password: "s3cret".into() })
}

#[tokio::test]
async fn bearer_token_push_sends_blobs_once_and_the_manifest_last() {
    let (fake, address) = start().await;
    let image = built();
    let reference = Reference::parse(&format!("{address}/team/insurance:1")).unwrap();
    let report = push(&image, &reference, credentials(), false).await.unwrap();
    assert_eq!((report.blobs_sent, report.blobs_skipped), (2, 0));
    assert_eq!(report.digest, image.manifest_digest());
    let stored = fake.store.lock().unwrap().manifests.get("team/insurance:1").cloned().unwrap();
    assert_eq!(stored, image.manifest);

    let again = Reference::parse(&format!("{address}/team/insurance:2")).unwrap();
    let report = push(&image, &again, credentials(), false).await.unwrap();
    assert_eq!((report.blobs_sent, report.blobs_skipped), (0, 2), "existing blobs are not sent again");
}

#[tokio::test]
async fn registry_refusals_are_clear_errors() {
    let (_fake, address) = start().await;
    let image = built();
    let reference = Reference::parse(&format!("{address}/team/insurance:1")).unwrap();
    let error = push(&image, &reference, None, false).await.unwrap_err().to_string();
    assert!(error.contains("authentication failed") && error.contains("(401)"), "{error}");
    let wrong = Some(Credentials { username: "ci".into(), password: "nope".into() });
    let error = push(&image, &reference, wrong, false).await.unwrap_err().to_string();
    assert!(error.contains("(401)"), "{error}");
    let forbidden = Reference::parse(&format!("{address}/forbidden/insurance:1")).unwrap();
    let error = push(&image, &forbidden, credentials(), false).await.unwrap_err().to_string();
    assert!(error.contains("not allowed to push") && error.contains("(403)"), "{error}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let nowhere = Reference::parse(&format!("{closed}/team/insurance:1")).unwrap();
    let error = push(&image, &nowhere, credentials(), false).await.unwrap_err().to_string();
    assert!(error.starts_with(&format!("cannot reach registry {closed}")), "{error}");
}
