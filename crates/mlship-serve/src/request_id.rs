//! Request ids: every answer carries `x-request-id`, the one the client sent
//! when it is sane (visible ASCII, at most 128 bytes) or a new one (128
//! random bits in hex). The id joins a prediction to its inference log lines
//! and to the actual values `POST /feedback` brings later, so a proxy's id
//! (nginx's `$request_id`, an ingress's) is kept rather than replaced.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};

/// The header that carries the id both ways.
pub const HEADER: &str = "x-request-id";
/// The longest incoming id kept; longer ones are replaced.
pub const MAX_LEN: usize = 128;

/// Whether an incoming id is kept: 1 to 128 bytes, each visible ASCII (no
/// space, no control character), so it is safe in a header, a log line and a file.
pub fn is_sane(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A new id: 128 random bits as 32 hex digits. Should the system's random
/// source fail (it does not on Linux after boot), the time and a counter
/// still make it unique within this server.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The request's id, as the middleware set it; a handler reached without the
/// middleware (none is) gets a new one rather than none.
pub fn of(headers: &HeaderMap) -> String {
    headers.get(HEADER).and_then(|v| v.to_str().ok()).map_or_else(new_id, str::to_string)
}

/// Decides the id before the handler runs (written back into the request's
/// header, where handlers and the request log read it) and returns it on the answer.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let incoming = request.headers().get(HEADER).map(HeaderValue::as_bytes).filter(|id| is_sane(id));
    let id = match incoming {
        Some(id) => String::from_utf8_lossy(id).into_owned(),
        None => new_id(),
    };
    // Sane ids and hex are both valid header values.
    let value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &value {
        request.headers_mut().insert(HEADER, value.clone());
    }
    let mut response = next.run(request).await;
    if let Some(value) = value {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_ids_are_kept_only_when_sane() {
        assert!(is_sane(b"abc-123_XYZ.~"));
        assert!(is_sane(&[b'a'; 128]));
        assert!(!is_sane(&[b'a'; 129]));
        assert!(!is_sane(b""));
        assert!(!is_sane(b"has space"));
        assert!(!is_sane(b"tab\there"));
        assert!(!is_sane("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn new_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
