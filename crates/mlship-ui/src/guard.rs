//! What stands between a request and a handler: the Host and Origin checks
//! (DNS rebinding, cross-site requests), the token (every write; every read
//! too with `--auth-read`), a JSON content type on every write, and the one
//! error shape for whatever axum itself answers (extractor rejections, 405,
//! 413): JSON under `/api/` and for files, an HTML page elsewhere, never
//! plain text.
//!
//! The rules, as documented in the README:
//! - **Host** must name the address the UI is bound to, with its port: for a
//!   loopback bind `localhost`, `127.0.0.1` or `[::1]`; for `0.0.0.0` or `::`
//!   any IP literal or `localhost` (an IP literal cannot be rebound by a DNS
//!   answer); for a named host or a specific IP that name or IP. Each
//!   `--allowed-host NAME[:PORT]` adds a name (any port unless one is given),
//!   e.g. the name a reverse proxy forwards. Otherwise 403.
//! - **Origin**, when a browser sends one, must be `http(s)://` plus the
//!   request's own Host: the UI's own origin. Otherwise 403.
//! - **Writes** (POST, PUT, PATCH, DELETE) need `Authorization: Bearer SECRET`
//!   when a token is set, and a `Content-Type: application/json` body
//!   (a DELETE may have no body); otherwise 401 or 415. HTML forms cannot
//!   send that content type across sites without a CORS preflight, which this
//!   server never grants.
//! - **Reads** need the token too with `--auth-read`: `Bearer SECRET`, or
//!   HTTP Basic with the secret as the password (what a browser prompts for).

use crate::error::{PageError, UiError};
use crate::SharedUi;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::net::{IpAddr, SocketAddr};

/// Who made a request, as the registry records it: `token:NAME` for a named
/// token, `token:sha256:XXXXXXXX` (the first 8 hex digits of the secret's
/// SHA-256) for an unnamed one, `ui:anonymous` on a loopback UI without a token.
#[derive(Debug, Clone)]
pub struct Caller(pub String);

/// A token the server accepts, and the identity it records for it.
#[derive(Debug, Clone)]
pub struct Token {
    secret: String,
    identity: String,
}

impl Token {
    /// The identity recorded in the registry for changes made with this token.
    pub fn identity(&self) -> &str {
        &self.identity
    }
}

/// The shortest secret accepted, in bytes.
pub const MIN_TOKEN_BYTES: usize = 16;

/// The least estimated entropy of a secret, in bits (see [`entropy_bits`]).
pub const MIN_TOKEN_BITS: f64 = 64.0;

/// A token's optional name: what comes before the first `:` when it is 1 to 32
/// ASCII letters, digits, `-`, `_` or `.`.
fn split_name(text: &str) -> (Option<&str>, &str) {
    match text.split_once(':') {
        Some((name, secret))
            if (1..=32).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) =>
        {
            (Some(name), secret)
        }
        _ => (None, text),
    }
}

/// An estimate of a secret's entropy in bits, deliberately pessimistic:
/// `min(novel, 2 × distinct) × log2(pool)`, where `pool` is the size of the
/// character classes used (26 lower, 26 upper, 10 digits, 32 symbols),
/// `distinct` the number of different characters, and `novel` the number of
/// characters that neither repeat nor continue a sequence (`aaaa`, `abcd`,
/// `9876` count once). Sixteen spaces, `aaaaaaaaaaaaaaaa`, `abcdefghijklmnop`
/// and `abcdabcdabcdabcd…` all fall far below 64 bits; 32 random hex digits
/// score about 130.
pub fn entropy_bits(secret: &str) -> f64 {
    let chars: Vec<char> = secret.chars().collect();
    let mut pool = 0u32;
    for (present, size) in [
        (chars.iter().any(char::is_ascii_lowercase), 26),
        (chars.iter().any(char::is_ascii_uppercase), 26),
        (chars.iter().any(char::is_ascii_digit), 10),
        (chars.iter().any(|c| !c.is_ascii_alphanumeric()), 32),
    ] {
        if present {
            pool += size;
        }
    }
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let novel = chars
        .iter()
        .enumerate()
        .filter(|(i, c)| match i.checked_sub(1).and_then(|p| chars.get(p)) {
            Some(previous) => (**c as i64 - *previous as i64).abs() > 1,
            None => true,
        })
        .count();
    let counted = novel.min(2 * distinct.len());
    counted as f64 * f64::from(pool.max(1)).log2()
}

/// Parses `SECRET` or `NAME:SECRET`, refusing a secret that is short, holds
/// anything but visible ASCII, or has too little entropy.
pub fn parse_token(text: &str) -> Result<Token, String> {
    let (name, secret) = split_name(text);
    if secret.len() < MIN_TOKEN_BYTES {
        return Err(format!("it is {} bytes, use at least {MIN_TOKEN_BYTES}", secret.len()));
    }
    if let Some(bad) = secret.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!("{bad:?} is not allowed (visible ASCII only: no spaces, no control characters)"));
    }
    let bits = entropy_bits(secret);
    if bits < MIN_TOKEN_BITS {
        return Err(format!(
            "it is too predictable (about {bits:.0} bits estimated, at least {MIN_TOKEN_BITS:.0} needed: avoid repeats and runs such as \"aaaa\" or \"abcd\")"
        ));
    }
    let identity = match name {
        Some(name) => format!("token:{name}"),
        None => format!("token:sha256:{}", &mlship_track::paths::sha256_hex(secret.as_bytes())[..8]),
    };
    Ok(Token { secret: secret.to_string(), identity })
}

/// An `--allowed-host` entry: a name, and the one port it is accepted with (any when `None`).
pub type AllowedHost = (String, Option<u16>);

/// `NAME` or `NAME:PORT` from `--allowed-host`.
pub fn parse_allowed_host(text: &str) -> Result<AllowedHost, String> {
    let (host, port) = split_host_port(text).ok_or_else(|| format!("{text:?} is not HOST or HOST:PORT"))?;
    let valid = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'))
        && !host.starts_with('.');
    if !valid {
        return Err(format!("{text:?} is not a host name or IP address"));
    }
    Ok((host, port))
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, lower-cased, a trailing dot dropped;
/// `None` when the port is not a number.
fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim();
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => (text, None), // a bare IPv6 address (only from --allowed-host)
            None => (text, None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    Some((host, port))
}

/// Which Host headers name this server.
#[derive(Debug, Clone)]
pub struct HostRule {
    /// The `--host` given, lower-cased.
    configured: String,
    /// The address actually bound.
    bound: SocketAddr,
    /// `--allowed-host` entries.
    allowed: Vec<AllowedHost>,
}

impl HostRule {
    /// The rule for a server started with `--host configured`, bound to `bound`.
    pub fn new(configured: &str, bound: SocketAddr, allowed: Vec<AllowedHost>) -> Self {
        let configured = split_host_port(configured).map_or_else(|| configured.to_ascii_lowercase(), |(h, _)| h);
        HostRule { configured, bound, allowed }
    }

    /// Whether a Host header value names this server.
    pub fn accepts(&self, value: &str) -> bool {
        let Some((host, port)) = split_host_port(value) else { return false };
        if self.allowed.iter().any(|(name, p)| *name == host && p.is_none_or(|p| Some(p) == port)) {
            return true;
        }
        if port.unwrap_or(80) != self.bound.port() {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok();
        let bound_ip = self.bound.ip();
        if host == self.configured || ip == Some(bound_ip) {
            return true;
        }
        let loopback_name = host == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
        if bound_ip.is_loopback() {
            return loopback_name;
        }
        bound_ip.is_unspecified() && (loopback_name || ip.is_some())
    }
}

/// The request's Origin, when sent, is `http(s)://` + its Host.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    let normalise = |text: &str| {
        split_host_port(text).map(|(host, port)| (host, port.unwrap_or(default_port))).filter(|(h, _)| !h.is_empty())
    };
    match (normalise(rest), normalise(host)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Constant-time comparison, so response timing does not reveal the token.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The token an `Authorization` header presents: `Bearer SECRET`, or (for
/// reads only) `Basic base64(USER:SECRET)`.
fn presented<'t>(headers: &HeaderMap, tokens: &'t [Token], allow_basic: bool) -> Option<&'t Token> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    let secret = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") && allow_basic {
        let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.split_once(':').map(|(_, password)| password.to_string())?
    } else {
        return None;
    };
    // Every token is compared, so timing does not reveal which one nearly matched.
    tokens.iter().fold(None, |found, token| match same_secret(secret.as_bytes(), token.secret.as_bytes()) {
        true => Some(token),
        false => found,
    })
}

fn forbidden(message: String) -> Response {
    UiError { status: StatusCode::FORBIDDEN, message }.into_response()
}

/// Answers under `/api/` and a run's files are JSON; the rest are pages.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api" || path.contains("/files/")
}

/// The checks of this module's header, in that order, then the handler.
pub async fn guard(State(state): State<SharedUi>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !state.hosts.accepts(host) {
        return forbidden(format!(
            "Host {host:?} does not name this server (DNS rebinding protection); start the UI with --allowed-host NAME to accept it"
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !same_origin(origin, host) {
            return forbidden(format!(
                "cross-origin request from {origin:?} refused: only this UI's own pages may call it"
            ));
        }
    }
    let is_write = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let caller = if state.tokens.is_empty() {
        Caller("ui:anonymous".to_string())
    } else if is_write || state.auth_read {
        match presented(headers, &state.tokens, !is_write) {
            Some(token) => Caller(token.identity.clone()),
            None => return unauthorized(is_write, is_api(request.uri().path())),
        }
    } else {
        Caller("ui:anonymous".to_string())
    };
    // MLflow's artifact proxy takes the file's bytes as they are.
    let upload = request.uri().path().starts_with("/api/2.0/mlflow-artifacts/");
    if is_write && !upload && !json_body(request.method(), headers) {
        let given = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("none");
        return UiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!("writes take a JSON body: send Content-Type: application/json (got {given:?})"),
        }
        .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn unauthorized(is_write: bool, api: bool) -> Response {
    let (message, challenge) = match (is_write, api) {
        (true, _) => ("this server needs `Authorization: Bearer TOKEN` for writes", "Bearer"),
        (false, true) => ("this server needs `Authorization: Bearer TOKEN` for every request (--auth-read)", "Bearer"),
        (false, false) => (
            "this server needs its token for every page (--auth-read): sign in with any user name and the token as the password",
            "Basic realm=\"mlship\", charset=\"UTF-8\"",
        ),
    };
    let mut response = UiError { status: StatusCode::UNAUTHORIZED, message: message.to_string() }.into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}

/// `application/json` (parameters such as `charset` allowed); a DELETE may have no body at all.
fn json_body(method: &Method, headers: &HeaderMap) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match content_type {
        Some(value) => {
            value.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
        }
        None => {
            let empty = headers.get(header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0")
                && !headers.contains_key(header::TRANSFER_ENCODING);
            *method == Method::DELETE && empty
        }
    }
}

/// Every answer forbids framing and sniffing, and loads nothing from elsewhere.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// The longest body of axum's own error answers that is kept as the message.
const MAX_REJECTION_BYTES: usize = 4096;

/// Gives axum's own error answers (extractor rejections such as "Invalid URL:
/// Cannot parse `abc` to a `i64`", "Failed to buffer the request body", an
/// empty 405) the documented shape: `{"error", "status"}` JSON for the API,
/// the error page for pages. Answers already JSON or HTML pass unchanged.
pub async fn error_shape(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/json") || content_type.starts_with("text/html") {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let mut message =
        if text.is_empty() { status.canonical_reason().unwrap_or("error").to_ascii_lowercase() } else { text };
    let allow = parts.headers.get(header::ALLOW).cloned();
    if let Some(allow) = allow.as_ref().and_then(|v| v.to_str().ok()) {
        message.push_str(&format!(" (allowed: {allow})"));
    }
    let error = UiError { status, message };
    let mut reshaped = if api { error.into_response() } else { PageError(error).into_response() };
    if let Some(allow) = allow {
        reshaped.headers_mut().insert(header::ALLOW, allow);
    }
    reshaped
}

/// A panic in a handler (a bug no test foresaw) answers the documented 500
/// (JSON for the API, the error page for pages) and is logged, instead of
/// dropping the connection; serve's future wrapper catches it.
pub async fn catch_panic(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let path = request.uri().path().to_string();
    match mlship_serve::catching(next.run(request)).await {
        Ok(response) => response,
        Err(message) => {
            let error = UiError::internal(format!("a handler panicked on {path}: {message}"));
            if api {
                error.into_response()
            } else {
                PageError(error).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::middleware;

    async fn boom() -> &'static str {
        panic!("a bug in a UI handler")
    }

    /// A panicking handler answers the 500 in the API's JSON shape (and the
    /// error page for pages), on a connection that then answers again.
    #[tokio::test]
    async fn a_panicking_handler_answers_the_documented_500() {
        let app = axum::Router::new()
            .route("/api/boom", axum::routing::get(boom))
            .route("/boom", axum::routing::get(boom))
            .route("/fine", axum::routing::get(|| async { "fine" }))
            .layer(middleware::from_fn(catch_panic));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();
        let api = client.get(format!("http://{address}/api/boom")).send().await.unwrap();
        assert_eq!(api.status(), 500);
        let body: serde_json::Value = api.json().await.unwrap();
        assert_eq!(body["status"], 500, "{body}");
        let page = client.get(format!("http://{address}/boom")).send().await.unwrap();
        assert_eq!(page.status(), 500);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let fine = client.get(format!("http://{address}/fine")).send().await.unwrap();
        assert_eq!(fine.text().await.unwrap(), "fine");
    }

    #[test]
    fn weak_tokens_are_refused_with_the_reason() {
        for (weak, reason) in [
            ("short", "at least 16"),
            ("                ", "not allowed"),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too predictable"),
            ("abcdefghijklmnopqrstuvwxyz", "too predictable"),
            ("abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd", "too predictable"),
            ("1234567890123456", "too predictable"),
            ("pass word with spaces ok?", "not allowed"),
            ("alice:aaaaaaaaaaaaaaaaaaaa", "too predictable"),
            ("t\u{e9}l\u{e9}phone-secret-1234", "not allowed"),
        ] {
            let error = parse_token(weak).unwrap_err();
            assert!(error.contains(reason), "{weak:?}: {error}");
        }
        for strong in ["a-test-token-of-32-characters-xx", "long-enough-token-123", "3f9c1e7a0b5d2c8e4f6a9b1c3d5e7f90"]
        {
            assert!(parse_token(strong).is_ok(), "{strong}: {:?} ({} bits)", parse_token(strong), entropy_bits(strong));
        }
    }

    #[test]
    fn a_token_names_its_caller() {
        assert_eq!(parse_token("alice:3f9c1e7a0b5d2c8e4f6a").unwrap().identity(), "token:alice");
        let unnamed = parse_token("3f9c1e7a0b5d2c8e4f6a9b1c").unwrap();
        assert!(unnamed.identity().starts_with("token:sha256:") && unnamed.identity().len() == 21, "{unnamed:?}");
        assert!(!unnamed.identity().contains("3f9c1e7a"), "the identity does not reveal the secret");
    }

    #[test]
    fn hosts_name_the_bound_address() {
        let loopback = HostRule::new("127.0.0.1", "127.0.0.1:5001".parse().unwrap(), vec![]);
        for ok in ["127.0.0.1:5001", "localhost:5001", "LOCALHOST:5001", "[::1]:5001", "localhost.:5001"] {
            assert!(loopback.accepts(ok), "{ok}");
        }
        for bad in
            ["attacker.example", "attacker.example:5001", "127.0.0.1:5002", "127.0.0.1", "10.0.0.5:5001", "", "x:y"]
        {
            assert!(!loopback.accepts(bad), "{bad}");
        }
        let any = HostRule::new(
            "0.0.0.0",
            "0.0.0.0:80".parse().unwrap(),
            vec![parse_allowed_host("ml.example.com").unwrap()],
        );
        for ok in ["10.0.0.5", "10.0.0.5:80", "localhost", "ml.example.com", "ml.example.com:443", "[fe80::1]"] {
            assert!(any.accepts(ok), "{ok}");
        }
        for bad in ["evil.example", "ml.example.com.evil.example", "10.0.0.5:81"] {
            assert!(!any.accepts(bad), "{bad}");
        }
        let pinned =
            HostRule::new("0.0.0.0", "0.0.0.0:5001".parse().unwrap(), vec![parse_allowed_host("ml.lan:8443").unwrap()]);
        assert!(pinned.accepts("ml.lan:8443") && !pinned.accepts("ml.lan:5001"));
        assert!(parse_allowed_host("bad/host").is_err() && parse_allowed_host("x:notaport").is_err());
    }

    #[test]
    fn origins_must_be_the_request_host() {
        assert!(same_origin("http://127.0.0.1:5001", "127.0.0.1:5001"));
        assert!(same_origin("https://ml.example.com", "ml.example.com"));
        assert!(same_origin("http://localhost", "localhost:80"));
        for bad in ["http://evil.example", "null", "http://127.0.0.1:5002", "file://", "ftp://127.0.0.1:5001"] {
            assert!(!same_origin(bad, "127.0.0.1:5001"), "{bad}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc") && !same_secret(b"ab", b"abc"));
    }
}
