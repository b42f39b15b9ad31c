//! Pushing an image to any OCI distribution registry (Docker Hub, ACR, GHCR,
//! a local `registry`) over the distribution API: blobs that already exist
//! are not sent again (HEAD first), uploads are monolithic POST + PUT, the
//! manifest goes last so a failed push never leaves a tag pointing at missing
//! blobs. Authentication: none, Basic, or the bearer-token flow the registry
//! asks for in `WWW-Authenticate`, with credentials from `--username` +
//! `--password-stdin` or `~/.docker/config.json`. Plain HTTP only for
//! loopback registries or when asked (`--insecure`).

use crate::image::{BuiltImage, MANIFEST_MEDIA_TYPE};
use crate::ShipError;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Client, Response, StatusCode};
use std::path::Path;

/// Where an image goes: registry host, repository and tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The registry's host and optional port, e.g. `localhost:5001`.
    pub registry: String,
    /// The repository path in that registry, e.g. `team/model`.
    pub repository: String,
    /// The tag, `latest` when none is given.
    pub tag: String,
}

impl Reference {
    /// `localhost:5001/insurance:1`, `ghcr.io/team/model:v2`, `team/model` (Docker Hub, tag `latest`).
    pub fn parse(text: &str) -> Result<Self, ShipError> {
        let invalid =
            || ShipError::Invalid(format!("image reference {text:?} is not valid (expected REGISTRY/REPOSITORY:TAG)"));
        if text.is_empty() || text.contains(char::is_whitespace) || text.contains('@') {
            return Err(invalid());
        }
        let (first, rest) = text.split_once('/').unwrap_or(("", text));
        let is_registry = first.contains('.') || first.contains(':') || first == "localhost";
        let (registry, path) = if is_registry {
            (first.to_string(), rest.to_string())
        } else {
            ("docker.io".to_string(), text.to_string())
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
            _ => (path.clone(), "latest".to_string()),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let valid_repo = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        let valid_tag =
            !tag.is_empty() && tag.len() <= 128 && tag.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !valid_repo || !valid_tag {
            return Err(invalid());
        }
        Ok(Reference { registry, repository, tag })
    }

    /// The host the API is served from (Docker Hub's differs from its name).
    fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    fn is_loopback(&self) -> bool {
        let host = self.registry.rsplit_once(':').map_or(self.registry.as_str(), |(h, _)| h);
        matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
    }
}

/// A registry login, sent as basic auth or traded for a bearer token.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or access token.
    pub password: String,
}

/// Credentials for `registry` in a Docker config file (`auths.<registry>.auth`).
pub fn docker_config_credentials(config_path: &Path, registry: &str) -> Result<Option<Credentials>, ShipError> {
    let Ok(text) = std::fs::read_to_string(config_path) else { return Ok(None) };
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ShipError::Json { path: config_path.display().to_string(), source: e })?;
    let keys = if registry == "docker.io" {
        vec!["https://index.docker.io/v1/".to_string(), "docker.io".to_string(), "index.docker.io".to_string()]
    } else {
        vec![registry.to_string(), format!("https://{registry}")]
    };
    for key in keys {
        if let Some(auth) = config["auths"][&key]["auth"].as_str() {
            let decoded = base64::engine::general_purpose::STANDARD.decode(auth).map_err(|_| ShipError::Io {
                path: config_path.display().to_string(),
                message: format!("auths.{key}.auth is not base64"),
            })?;
            let text = String::from_utf8_lossy(&decoded);
            if let Some((username, password)) = text.split_once(':') {
                return Ok(Some(Credentials { username: username.to_string(), password: password.to_string() }));
            }
        }
    }
    Ok(None)
}

/// What a push did, for the CLI's summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct PushReport {
    /// The pushed manifest's digest.
    pub digest: String,
    /// Blobs uploaded.
    pub blobs_sent: usize,
    /// Blobs the registry already had, so not uploaded again.
    pub blobs_skipped: usize,
    /// Bytes uploaded.
    pub bytes_sent: usize,
}

struct Session {
    client: Client,
    base: String,
    reference: Reference,
    credentials: Option<Credentials>,
    authorization: Option<HeaderValue>,
}

fn network(reference: &Reference, error: reqwest::Error) -> ShipError {
    ShipError::Unreachable { registry: reference.registry.clone(), source: error }
}

/// Parses `Bearer realm="…",service="…",scope="…"`.
fn challenge_parameters(header: &str) -> Vec<(String, String)> {
    let (_, rest) = header.split_once(' ').unwrap_or(("", ""));
    rest.split(',')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .collect()
}

impl Session {
    async fn send(&mut self, request: impl Fn(&Client) -> reqwest::RequestBuilder) -> Result<Response, ShipError> {
        let mut builder = request(&self.client);
        if let Some(authorization) = &self.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        let response = builder.send().await.map_err(|e| network(&self.reference, e))?;
        if response.status() != StatusCode::UNAUTHORIZED || self.authorization.is_some() && !self.can_retry(&response) {
            return Ok(response);
        }
        self.authenticate(response.headers()).await?;
        let mut builder = request(&self.client);
        if let Some(authorization) = &self.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        builder.send().await.map_err(|e| network(&self.reference, e))
    }

    /// A bearer token is scoped; a 401 with a new challenge may want a wider one.
    fn can_retry(&self, response: &Response) -> bool {
        response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("Bearer"))
            && self.authorization.as_ref().and_then(|a| a.to_str().ok()).is_some_and(|a| a.starts_with("Basic"))
    }

    async fn authenticate(&mut self, headers: &HeaderMap) -> Result<(), ShipError> {
        let challenge = headers.get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let basic = self.credentials.as_ref().map(|c| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password));
            format!("Basic {encoded}")
        });
        if challenge.starts_with("Bearer") {
            let parameters = challenge_parameters(&challenge);
            let get = |key: &str| parameters.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            let realm = get("realm").ok_or_else(|| {
                ShipError::Registry(format!(
                    "registry {} sent a bearer challenge without a realm",
                    self.reference.registry
                ))
            })?;
            let scope = format!("repository:{}:pull,push", self.reference.repository);
            let mut query = vec![("scope", scope)];
            if let Some(service) = get("service") {
                query.push(("service", service));
            }
            let mut request = self.client.get(&realm).query(&query);
            if let Some(basic) = &basic {
                request = request.header(AUTHORIZATION, basic);
            }
            let response = request.send().await.map_err(|e| network(&self.reference, e))?;
            if !response.status().is_success() {
                return Err(self.denied(response.status()));
            }
            let body: serde_json::Value = response.json().await.map_err(|e| network(&self.reference, e))?;
            let token = body["token"].as_str().or_else(|| body["access_token"].as_str()).ok_or_else(|| {
                ShipError::Registry(format!(
                    "the token service of {} answered without a token",
                    self.reference.registry
                ))
            })?;
            self.authorization = HeaderValue::from_str(&format!("Bearer {token}")).ok();
            Ok(())
        } else if let Some(basic) = basic {
            self.authorization = HeaderValue::from_str(&basic).ok();
            Ok(())
        } else {
            Err(self.denied(StatusCode::UNAUTHORIZED))
        }
    }

    fn denied(&self, status: StatusCode) -> ShipError {
        let target = format!("{}/{}", self.reference.registry, self.reference.repository);
        ShipError::Registry(match status {
            StatusCode::UNAUTHORIZED => format!(
                "authentication failed for {target} (401): give credentials with --username and --password-stdin, or `docker login {}`",
                self.reference.registry
            ),
            StatusCode::FORBIDDEN => format!("not allowed to push to {target} (403): the account lacks push rights"),
            StatusCode::NOT_FOUND => format!("{target} was not found (404): check the registry address and repository"),
            other => format!("registry {} answered {other}", self.reference.registry),
        })
    }

    async fn check(&self, response: Response, expected: &[StatusCode]) -> Result<Response, ShipError> {
        if expected.contains(&response.status()) {
            return Ok(response);
        }
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
            return Err(self.denied(status));
        }
        Err(ShipError::Registry(format!(
            "registry {} answered {status}: {}",
            self.reference.registry,
            body.chars().take(300).collect::<String>()
        )))
    }

    async fn push_blob(&mut self, bytes: &[u8], report: &mut PushReport) -> Result<(), ShipError> {
        let digest = crate::image::sha256_digest(bytes);
        let blob_url = format!("{}{}/blobs/{digest}", self.base, self.reference.repository);
        let head = self.send(|c| c.head(&blob_url)).await?;
        if head.status() == StatusCode::OK {
            report.blobs_skipped += 1;
            return Ok(());
        }
        let uploads = format!("{}{}/blobs/uploads/", self.base, self.reference.repository);
        let started = self.send(|c| c.post(&uploads).header(reqwest::header::CONTENT_LENGTH, 0)).await?;
        let started = self.check(started, &[StatusCode::ACCEPTED]).await?;
        let location = started.headers().get(LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ShipError::Registry(format!("registry {} started an upload without a Location", self.reference.registry))
        })?;
        let mut upload_url = if location.starts_with("http") {
            location.to_string()
        } else {
            format!("{}{}", self.base.trim_end_matches("/v2/"), location)
        };
        upload_url.push(if upload_url.contains('?') { '&' } else { '?' });
        upload_url.push_str(&format!("digest={digest}"));
        let body = bytes.to_vec();
        let put = self
            .send(|c| c.put(&upload_url).header(CONTENT_TYPE, "application/octet-stream").body(body.clone()))
            .await?;
        self.check(put, &[StatusCode::CREATED]).await?;
        report.blobs_sent += 1;
        report.bytes_sent += bytes.len();
        Ok(())
    }
}

/// Pushes `image` as `reference`. Blobs first, the manifest (the tag) last.
pub async fn push(
    image: &BuiltImage,
    reference: &Reference,
    credentials: Option<Credentials>,
    insecure: bool,
) -> Result<PushReport, ShipError> {
    let plain_http = insecure || reference.is_loopback();
    let scheme = if plain_http { "http" } else { "https" };
    let client = Client::builder()
        .user_agent(concat!("mlship/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(ShipError::HttpClient)?;
    let mut session = Session {
        client,
        base: format!("{scheme}://{}/v2/", reference.api_host()),
        reference: reference.clone(),
        credentials,
        authorization: None,
    };
    let mut report = PushReport { digest: image.manifest_digest(), blobs_sent: 0, blobs_skipped: 0, bytes_sent: 0 };
    session.push_blob(&image.layer_gz, &mut report).await?;
    session.push_blob(&image.config, &mut report).await?;
    let manifest_url = format!("{}{}/manifests/{}", session.base, reference.repository, reference.tag);
    let manifest = image.manifest.clone();
    let put =
        session.send(|c| c.put(&manifest_url).header(CONTENT_TYPE, MANIFEST_MEDIA_TYPE).body(manifest.clone())).await?;
    session.check(put, &[StatusCode::CREATED, StatusCode::OK]).await?;
    report.bytes_sent += image.manifest.len();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_like_docker() {
        let r = Reference::parse("localhost:5001/insurance:1").unwrap();
        assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_str()), ("localhost:5001", "insurance", "1"));
        assert!(r.is_loopback());
        let r = Reference::parse("myteam/insurance").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("docker.io", "myteam/insurance", "latest")
        );
        assert_eq!(Reference::parse("insurance:2").unwrap().repository, "library/insurance");
        let r = Reference::parse("myregistry.azurecr.io/models/insurance:v3").unwrap();
        assert_eq!(r.api_host(), "myregistry.azurecr.io");
        assert!(!r.is_loopback());
        assert!(Reference::parse("Bad/Upper:1").is_err());
        assert!(Reference::parse("a b").is_err());
    }

    #[test]
    fn bearer_challenges_parse() {
        let parameters = challenge_parameters(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull""#,
        );
        assert_eq!(parameters[0], ("realm".to_string(), "https://auth.docker.io/token".to_string()));
        assert_eq!(parameters[1].1, "registry.docker.io");
    }
}
