//! What keeps one client — careless or hostile — from starving the others: a cap on open connections, timeouts
//! for slow headers, slow bodies and idle keep-alive connections, a separate cap on the long-lived requests (long
//! polls and event streams), and the response headers every answer carries.
//!
//! Why these and not others: the hub serves a handful of devices on a facility's network, so any limit that a
//! real device could reach is far above what it ever needs, while a socket that sends nothing, or one header line
//! a second, must not keep a file descriptor for long. The connection cap is kept below the process's limit on
//! open files (read from `/proc/self/limits` where there is one), so a flood of idle sockets can never make the
//! hub unable to open its own database or answer `/healthz`: connections over the cap are closed at once, and the
//! timeouts free the slots of the silent ones.
//!
//! Long polls and event streams hold their connection by design, so they are counted apart: when
//! [`ServerLimits::max_waiting`] are open, a further pull is answered at once without waiting and a further event
//! stream is refused with 503 (`busy`), so they can never take every connection.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum_server::accept::Accept;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::set_header::SetResponseHeaderLayer;

/// Connections the hub keeps open at most (lowered to fit the process's limit on open files).
pub const MAX_CONNECTIONS: usize = 4_096;
/// File descriptors kept free of connections for the hub's own files, its database and the runtime.
const RESERVED_FILES: usize = 64;
/// How long a client has to send a request's headers, on a new connection or between requests on a kept-alive
/// one (so this is also the idle keep-alive timeout).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a whole request body once its headers arrived.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(20);
/// Long polls and event streams open at once, at most.
pub const MAX_WAITING: usize = 256;
/// How long the TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the hub verifies its whole ledger in the background: every six hours.
pub const VERIFY_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// What `Strict-Transport-Security` says on HTTPS: a year; devices pin the certificate anyway.
const HSTS: &str = "max-age=31536000";

/// The limits a server runs with; [`ServerLimits::default`] is what `azukari-hub serve` uses. Tests lower them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections open at once, at most; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Time to send a request's headers (new connection, or idle keep-alive connection).
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub body_timeout: Duration,
    /// Long polls and event streams open at once, at most.
    pub max_waiting: usize,
    /// Time for the TLS handshake.
    pub handshake_timeout: Duration,
    /// How often the hub's whole ledger is verified in the background (also once at start).
    pub verify_every: Duration,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            max_connections: connection_cap(MAX_CONNECTIONS, open_files_limit()),
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            max_waiting: MAX_WAITING,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            verify_every: VERIFY_EVERY,
        }
    }
}

/// The connection cap for a wanted cap and the process's limit on open files (if known): the wanted cap, lowered
/// so that [`RESERVED_FILES`] descriptors stay free, and never below 1.
pub fn connection_cap(wanted: usize, open_files: Option<u64>) -> usize {
    match open_files {
        Some(limit) => {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            wanted.min(limit.saturating_sub(RESERVED_FILES)).max(1)
        }
        None => wanted,
    }
}

/// The soft limit on open files of this process, where the system tells it (`/proc/self/limits` on Linux).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| {
            line.trim_start_matches("Max open files")
                .split_whitespace()
                .next()
        })
        .and_then(|soft| soft.parse().ok())
}

/// The headers every answer carries: `X-Content-Type-Options: nosniff`, and on HTTPS `Strict-Transport-Security`.
/// A layer over the whole router, so routes merged in later (the browser pages) carry them too.
pub fn security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    https: bool,
) -> Router<S> {
    let router = router.layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ));
    if https {
        router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("strict-transport-security"),
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

/// An acceptor that admits at most a fixed number of connections at once: each admitted connection holds a permit
/// until it closes; one accepted over the cap is closed at once (and logged).
#[derive(Debug, Clone)]
pub struct ConnectionCap<A> {
    inner: A,
    permits: Arc<Semaphore>,
}

impl<A> ConnectionCap<A> {
    /// Cap the connections `inner` admits to what `permits` holds.
    pub fn new(inner: A, permits: Arc<Semaphore>) -> ConnectionCap<A> {
        ConnectionCap { inner, permits }
    }
}

type AcceptFuture<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl<A, I, S> Accept<I, S> for ConnectionCap<A>
where
    A: Accept<I, S> + Clone + Send + Sync + 'static,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
    I: Send + 'static,
    S: Send + 'static,
{
    type Stream = A::Stream;
    type Service = Permitted<A::Service>;
    type Future = AcceptFuture<(A::Stream, Permitted<A::Service>)>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let permit = self.permits.clone().try_acquire_owned();
        let inner = self.inner.clone();
        Box::pin(async move {
            let Ok(permit) = permit else {
                tracing::warn!(
                    event = "connection_refused",
                    reason = "connection limit reached",
                    "a connection was closed: the hub has as many open as it allows"
                );
                return Err(io::Error::other("connection limit reached"));
            };
            let (stream, service) = inner.accept(stream, service).await?;
            Ok((
                stream,
                Permitted {
                    inner: service,
                    _permit: Arc::new(permit),
                },
            ))
        })
    }
}

/// A connection's service holding its connection's permit (released when the connection and its requests end).
#[derive(Debug, Clone)]
pub struct Permitted<S> {
    inner: S,
    _permit: Arc<OwnedSemaphorePermit>,
}

impl<S, R> tower_service::Service<R> for Permitted<S>
where
    S: tower_service::Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_leaves_room_for_the_hubs_own_files() {
        assert_eq!(connection_cap(4_096, Some(256)), 192);
        assert_eq!(connection_cap(4_096, Some(20_000)), 4_096);
        assert_eq!(connection_cap(4_096, Some(10)), 1);
        assert_eq!(connection_cap(4_096, None), 4_096);
    }

    #[test]
    fn the_open_files_limit_is_read_where_the_system_tells_it() {
        if std::path::Path::new("/proc/self/limits").exists() {
            assert!(open_files_limit().is_some_and(|limit| limit > 0));
        }
    }
}
