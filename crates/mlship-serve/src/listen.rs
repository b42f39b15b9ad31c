//! The accept loop and the life of one connection, written out instead of
//! `axum::serve` because that one sets no hyper timer, so a slow or silent
//! client could hold a connection (and a file descriptor) forever. Here every
//! connection has a header-read timeout (hyper's, which also bounds how long
//! an idle keep-alive connection waits for its next request), an idle timeout
//! (no byte read or written for that long, e.g. a client that stops reading
//! its answer), and the number of open connections is capped.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long a connection may take or sit, and how many may be open.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a client gets to send a request's headers (and how long an idle keep-alive connection waits).
    pub header_timeout: Duration,
    /// How long a connection may move no byte either way before it is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
}

/// Accepts until `stop` resolves, then closes the listener, lets every open
/// connection finish its request (idle ones close at once) and waits for
/// them at most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    // A permit is taken *before* accepting: when all are in use, new
    // connections wait in the kernel's listen backlog (and are served once a
    // connection closes) rather than being accepted and dropped.
    let permits = Arc::new(Semaphore::new(limits.max_connections.clamp(1, Semaphore::MAX_PERMITS)));
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let Some((permit, stream)) = accepted else { break };
        connections.spawn(connection(stream, permit, app.clone(), limits, closing_rx.clone()));
        // Reap finished connections so the set only holds open ones.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let drained = tokio::time::timeout(grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(target: "mlship::serve", "grace period over with requests still in flight; stopping");
        connections.abort_all();
    }
    Ok(())
}

/// The next connection, once a permit is free. Accept errors (out of file
/// descriptors, a connection reset before it was accepted) are logged and
/// retried after a pause instead of stopping the server.
async fn accept(listener: &TcpListener, permits: &Arc<Semaphore>) -> Option<(OwnedSemaphorePermit, TcpStream)> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return Some((permit, stream)),
            Err(error) => {
                tracing::warn!(target: "mlship::serve", "cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Serves one connection until it closes, times out, or shutdown has let its
/// last request finish. The permit is released when this returns.
async fn connection(
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    app: Router,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone(), replacing: None });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut conn = pin!(builder.serve_connection(io, TowerToHyperService::new(app)));
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(target: "mlship::serve", "connection closed: {error}");
                }
                return;
            }
            _ = closing.wait_for(|closing| *closing), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = activity.idle_for(limits.idle_timeout) => {
                tracing::debug!(target: "mlship::serve", "closing a connection idle for {} s", limits.idle_timeout.as_secs_f64());
                return;
            }
        }
    }
}

/// When a connection last moved a byte, in milliseconds since it opened.
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity { opened: Instant::now(), last_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(elapsed, Ordering::Relaxed);
    }

    /// Resolves once no byte has moved for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A stream that records when it last read or wrote a byte, and gives
/// hyper's own answers to requests it cannot parse the documented JSON body.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
    /// A replacement being written: its bytes, how many are written, and the
    /// length of hyper's answer it stands for (reported once all are written).
    replacing: Option<(Vec<u8>, usize, usize)>,
}

/// hyper answers a request line or header it cannot parse by itself, before
/// any handler runs, with an empty body: 400 (malformed), 414 (URI too long)
/// or 431 (headers too large). Our handlers never send those statuses without
/// a body, so such a head is hyper's, and is replaced by the same status with
/// the JSON error every other answer has (and the security headers).
fn replacement_for(head: &[u8]) -> Option<Vec<u8>> {
    let (status, message) = if head.starts_with(b"HTTP/1.1 400 ") {
        (axum::http::StatusCode::BAD_REQUEST, "malformed HTTP request")
    } else if head.starts_with(b"HTTP/1.1 414 ") {
        (axum::http::StatusCode::URI_TOO_LONG, "the request's URL is too long")
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        (axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "the request's headers are too large")
    } else {
        return None;
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let is_empty = head[..end + 2].windows(21).any(|w| w.eq_ignore_ascii_case(b"\r\ncontent-length: 0\r\n"));
    // Only a bare head (no body follows in this buffer) is hyper's automatic answer.
    if !is_empty || end + 4 != head.len() {
        return None;
    }
    let body = crate::error::ApiError::new(status, message).to_json();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    );
    for (name, value) in crate::app::SECURITY_HEADERS {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(answer.into_bytes())
}

impl Watched {
    /// Writes the replacement under way; `Ready(n)` with hyper's length once all of it is out.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some((bytes, written, stands_for)) = &mut self.replacing {
            if *written == bytes.len() {
                let n = *stands_for;
                self.replacing = None;
                return Poll::Ready(Ok(n));
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    *written += n;
                    self.activity.touch();
                }
                other => return other,
            }
        }
        Poll::Ready(Ok(0))
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.replacing.is_none() {
            if let Some(answer) = replacement_for(buf) {
                self.replacing = Some((answer, 0, buf.len()));
            }
        }
        if self.replacing.is_some() {
            return self.poll_replacement(cx);
        }
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // hyper's automatic answer is one head alone; handle it as a plain write.
        let first = bufs.iter().find(|b| !b.is_empty());
        if self.replacing.is_some() || first.is_some_and(|b| replacement_for(b).is_some()) {
            return self.poll_write(cx, first.map_or(&[][..], |b| &b[..]));
        }
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
