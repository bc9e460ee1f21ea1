//! The hub's HTTP server: the sync protocol of `azukari_core::sync::protocol` as JSON over HTTPS (documented in
//! `hub/openapi.yaml`).
//!
//! Routes: `POST /v1/enroll`, `POST /v1/push`, `POST /v1/pull` (a long poll when the caller is caught up),
//! `GET /v1/checkpoint` (the signed note), `GET /v1/events/stream` (server-sent events `{"size": N}` whenever the
//! log grows) and `GET /healthz`. Errors answer with a JSON body `{"code", "message"}`, the message in English
//! and Japanese.
//!
//! The [`Hub`] is blocking (SQLite or PostgreSQL), so every call to it runs on tokio's blocking pool, one at a
//! time behind a mutex. After each call the server compares the log's size with the last one it announced and,
//! when it grew, wakes the waiting pulls and the event streams.
//!
//! Plain HTTP is served only on a loopback address; anywhere else the hub needs its certificate
//! ([`make_self_signed_cert`]), whose SHA-256 fingerprint ([`cert_sha256`]) the enrollment QR carries so devices
//! pin exactly that certificate.
//!
//! Who may call what: enrollment needs a one-time token. Push and pull need the signature of an enrolled device
//! (headers `Azukari-Device`, `Azukari-Time`, `Azukari-Signature`; see `azukari_core::sync::auth`), checked
//! against the key the device registered in the ledger, over the exact body, with its clock within 15 minutes
//! of the hub's; a push must also name the signing device. The checkpoint, the size stream and the health check
//! reveal only the log's size and root, and are open.
//!
//! Limits (see [`crate::limits`]): open connections are capped below the process's limit on open files; headers
//! must arrive within [`ServerLimits::header_timeout`] (which also closes idle kept-alive connections), bodies
//! within [`ServerLimits::body_timeout`] (408 `timeout`); each route has its own body size limit; long polls and
//! event streams have their own cap. Every answer carries `nosniff`, and HSTS on HTTPS.
//!
//! Logs (`tracing`, JSON from `azukari-hub serve`): every refusal, failed signature and server error, and a debug
//! line per request (method, route, status, time), with ids and codes but no personal data.

use crate::limits::{ConnectionCap, ServerLimits, security_headers};
use crate::log::HubError;
use crate::service::{Hub, ServiceError, check_pusher};
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use azukari_core::model::DeviceId;
use azukari_core::store::StoreError;
use azukari_core::sync::auth::{DEVICE_HEADER, SIGNATURE_HEADER, TIME_HEADER};
use azukari_core::sync::protocol::{
    EnrollRequest, EnrollResponse, MAX_PUSH_BYTES, PullRequest, PullResponse, PushRequest,
    PushResponse,
};
use azukari_core::sync::{AuthError, Digest32, RequestAuth, Route, SyncError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// The longest a pull waits for something new, whatever `wait_ms` asks.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// The largest request body accepted on any route (a push: see `azukari_core::sync::protocol::MAX_PUSH_BYTES`).
pub const MAX_BODY_BYTES: usize = MAX_PUSH_BYTES;
/// The largest enrollment or pull request accepted (both are a few hundred bytes).
pub const MAX_SMALL_BODY_BYTES: usize = 64 * 1024;
/// How long open connections get to finish once the server is told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Where a hub's TLS certificate and private key are (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate (chain), PEM.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// The files of the hub directory `dir`: `tls/cert.pem` and `tls/key.pem`.
    pub fn in_hub_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            cert: dir.join("tls").join("cert.pem"),
            key: dir.join("tls").join("key.pem"),
        }
    }

    /// Whether both files exist.
    pub fn exist(&self) -> bool {
        self.cert.exists() && self.key.exists()
    }

    /// The certificate's SHA-256 fingerprint, for the enrollment QR (see [`cert_sha256`]).
    pub fn fingerprint(&self) -> Result<String, ServerError> {
        let pem = std::fs::read_to_string(&self.cert).map_err(|e| file_error(&self.cert, e))?;
        cert_sha256(&pem)
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Plain HTTP was asked for on an address other machines can reach.
    #[error(
        "the hub would listen on {addr}, which other machines can reach: HTTPS is required there — create the hub's certificate (tls/cert.pem, tls/key.pem) or listen on 127.0.0.1 / {addr} は他の機器から接続できるため HTTPS が必要です。ハブの証明書（tls/cert.pem、tls/key.pem）を作成するか、127.0.0.1 で待ち受けてください"
    )]
    TlsRequired {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The address could not be bound.
    #[error(
        "the hub cannot listen on {addr} ({message}) / {addr} で待ち受けできません（{message}）"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        message: String,
    },
    /// The certificate or key could not be read or used.
    #[error(
        "the hub's TLS certificate or key cannot be used ({0}) / ハブのTLS証明書または鍵を使用できません（{0}）"
    )]
    Tls(String),
    /// The self-signed certificate could not be made.
    #[error(
        "the hub's TLS certificate could not be created ({0}) / ハブのTLS証明書を作成できません（{0}）"
    )]
    Certificate(String),
    /// A certificate exists already; it is never replaced silently, since enrolled devices pinned it.
    #[error(
        "a TLS certificate already exists at {0}; enrolled devices pinned it, so it is not replaced / TLS証明書は既に {0} にあります。登録済みの端末が固定しているため置き換えません"
    )]
    CertificateExists(PathBuf),
    /// A file could not be read or written.
    #[error("hub file {path}: {message} / ハブのファイル {path} を読み書きできません（{message}）")]
    File {
        /// Which file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The hub failed earlier while handling a request and must be restarted.
    #[error(
        "the hub failed while handling an earlier request; restart it / ハブが以前の処理中に異常終了しました。再起動してください"
    )]
    Poisoned,
    /// The server stopped with an error.
    #[error("the hub's server stopped ({0}) / ハブのサーバーが停止しました（{0}）")]
    Stopped(String),
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A short machine-readable code, e.g. `unknown_token` (the list is in `hub/openapi.yaml`).
    pub code: String,
    /// What happened, in English and Japanese.
    pub message: String,
}

/// The data of each server-sent event of `GET /v1/events/stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeEvent {
    /// The number of events in the log.
    pub size: u64,
}

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`, or `read_only` when the stored log failed its start-up check (pushes are refused).
    pub status: String,
    /// The number of events in the log.
    pub size: u64,
}

/// A server started by [`bind`]: its address, a way to reach the hub while it serves, and its shutdown.
pub struct RunningServer {
    addr: SocketAddr,
    https: bool,
    state: AppState,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .field("https", &self.https)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The address the server listens on (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL devices use, e.g. `https://127.0.0.1:8443`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Run `f` on the hub (offer an enrollment, publish events recorded on the hub itself…). When the log grew,
    /// waiting pulls and event streams are woken as after a push.
    ///
    /// Blocking: call it from ordinary threads or inside `tokio::task::spawn_blocking`, not on the async runtime.
    pub fn with_hub<T>(&self, f: impl FnOnce(&mut Hub) -> T) -> Result<T, ServerError> {
        self.state.run(f).ok_or(ServerError::Poisoned)
    }

    /// Stop: waiting pulls answer at once, event streams end, and open connections get a few seconds to finish.
    /// Wait for the end with [`RunningServer::stopped`].
    pub fn shutdown(&self) {
        self.state.stop.send_replace(true);
        self.handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
    }

    /// Wait until the server has stopped (after [`RunningServer::shutdown`], or when it failed).
    pub async fn stopped(self) -> Result<(), ServerError> {
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(ServerError::Stopped(error.to_string())),
            Err(error) => Err(ServerError::Stopped(error.to_string())),
        }
    }
}

/// Serve `hub` on `addr` until Ctrl-C (or SIGTERM on Unix), then stop gracefully. `tls` is required unless
/// `addr` is a loopback address. Must run on a multi-threaded tokio runtime.
pub async fn serve(hub: Hub, addr: SocketAddr, tls: Option<TlsFiles>) -> Result<(), ServerError> {
    let server = bind(hub, addr, tls).await?;
    tracing::info!(event = "serving", url = %server.url(), "the hub serves");
    stop_signal().await;
    server.shutdown();
    server.stopped().await
}

/// Start serving `hub` on `addr` (port 0 picks a free port: see [`RunningServer::local_addr`]) and return at once;
/// the server runs on the current tokio runtime until [`RunningServer::shutdown`]. `tls` is required unless `addr`
/// is a loopback address.
pub async fn bind(
    hub: Hub,
    addr: SocketAddr,
    tls: Option<TlsFiles>,
) -> Result<RunningServer, ServerError> {
    bind_with_limits(hub, addr, tls, ServerLimits::default()).await
}

/// [`bind`] with other limits than the default ones (tests use short timeouts and small caps).
pub async fn bind_with_limits(
    mut hub: Hub,
    addr: SocketAddr,
    tls: Option<TlsFiles>,
    limits: ServerLimits,
) -> Result<RunningServer, ServerError> {
    if tls.is_none() && !addr.ip().is_loopback() {
        return Err(ServerError::TlsRequired { addr });
    }
    let tls_config = tls.as_ref().map(rustls_config).transpose()?;
    let listener = TcpListener::bind(addr).map_err(|e| bind_error(addr, e))?;
    let local_addr = listener.local_addr().map_err(|e| bind_error(addr, e))?;
    let read_only = !hub.log().problems().is_empty();
    let size = hub.log().tree().len();
    let state = AppState {
        hub: Arc::new(Mutex::new(hub)),
        size: Arc::new(watch::Sender::new(size)),
        stop: Arc::new(watch::Sender::new(false)),
        read_only,
        waiting: Arc::new(Semaphore::new(limits.max_waiting)),
        body_timeout: limits.body_timeout,
    };
    tokio::spawn(catch_up_when_idle(state.clone()));
    tokio::spawn(verify_on_schedule(state.clone(), limits.verify_every));
    // The browser pages (console, family) beside the API; their own state and security headers.
    let web = crate::web::router(crate::web::WebContext {
        hub: state.hub.clone(),
        size: state.size.clone(),
        addr: local_addr,
        https: tls.is_some(),
    })
    .map_err(|e| ServerError::File {
        path: PathBuf::from("web.sqlite"),
        message: e.to_string(),
    })?;
    let app = security_headers(router(state.clone()).merge(web), tls.is_some())
        .into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let mut server = axum_server::from_tcp(listener)
        .map_err(|e| bind_error(addr, e))?
        .handle(handle.clone())
        .http1_only()
        .accept_error_handler(|_, error| {
            tracing::warn!(event = "accept_failed", error = %error, "a connection could not be accepted");
        });
    server
        .http_builder()
        .http1()
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let task = match tls_config {
        Some(config) => {
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(
                axum_server::tls_rustls::RustlsConfig::from_config(config),
            )
            .handshake_timeout(limits.handshake_timeout);
            let server = server.acceptor(ConnectionCap::new(acceptor, connections));
            tokio::spawn(server.serve(app))
        }
        None => {
            let server = server.acceptor(ConnectionCap::new(
                axum_server::accept::DefaultAcceptor::new(),
                connections,
            ));
            tokio::spawn(server.serve(app))
        }
    };
    Ok(RunningServer {
        addr: local_addr,
        https: tls.is_some(),
        state,
        handle,
        task,
    })
}

/// Bring the hub's own store up to the log whenever the log has been quiet for [`CATCH_UP_AFTER`], one batch per
/// turn of the lock, so that the store's commits stay off the path of pushes and pulls. Runs until the server stops.
async fn catch_up_when_idle(state: AppState) {
    if state.read_only {
        return;
    }
    let mut sizes = state.size.subscribe();
    let mut stop = state.stop.subscribe();
    // Lag left from before the start is caught up at the first quiet moment too.
    let mut grew = true;
    loop {
        // Wait for growth, then for a quiet moment.
        loop {
            let quiet = tokio::time::sleep(CATCH_UP_AFTER);
            tokio::select! {
                changed = sizes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    grew = true;
                }
                _ = stop.wait_for(|stopping| *stopping) => return,
                _ = quiet, if grew => break,
            }
        }
        grew = false;
        let mut last_lag = u64::MAX;
        loop {
            let lag = state
                .run_blocking(|hub| Ok(hub.catch_up(Some(CATCH_UP_BATCH))?))
                .await;
            match lag {
                Ok(0) => break,
                // Stop when a turn made no progress (it is tried again after the next growth).
                Ok(lag) if lag < last_lag && !*stop.borrow() => last_lag = lag,
                Ok(_) => break,
                Err(error) => {
                    tracing::error!(
                        event = "catch_up_failed",
                        code = error.code,
                        error = %error.message,
                        "the hub's own store could not catch up with the log"
                    );
                    break;
                }
            }
        }
    }
}

/// Verify the hub's own ledger, whole (every hash, signature and chain), at start and then every `every`, on a
/// read-only copy opened beside the hub (so pushes and pulls are not held up); a ledger that fails raises an
/// alarm (`ledger_damaged`, once per hour at most) and an error in the logs. Runs until the server stops.
async fn verify_on_schedule(state: AppState, every: Duration) {
    let Ok(path) = state
        .run_blocking(|hub| Ok(hub.store_path().to_path_buf()))
        .await
    else {
        return;
    };
    let mut stop = state.stop.subscribe();
    loop {
        let checked = path.clone();
        let outcome = tokio::task::spawn_blocking(move || verify_ledger_copy(&checked)).await;
        match outcome {
            Ok(Ok(events)) => {
                tracing::info!(
                    event = "ledger_verified",
                    events,
                    "the hub's ledger verified"
                );
            }
            Ok(Err(problem)) => {
                tracing::error!(event = "ledger_damaged", problem = %problem, "the hub's ledger failed verification");
                let raised = state
                    .run_blocking(move |hub| {
                        hub.log()
                            .alarm_once("ledger_damaged", "hub", &problem)
                            .map_err(|error| ApiError::internal(&error))
                    })
                    .await;
                if let Err(error) = raised {
                    tracing::error!(event = "alarm_failed", error = %error.message, "the alarm could not be stored");
                }
            }
            Err(error) => {
                tracing::error!(event = "ledger_verification_failed", error = %error, "the verification stopped");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
    }
}

/// Open the hub's store at `path` read-only (unlocked with the vault beside it) and verify it whole: the number of
/// events, or what is wrong (the check at open included).
fn verify_ledger_copy(path: &Path) -> Result<u64, String> {
    use azukari_core::store::{OpenOptions, Store, Unlock};
    let dir = path.parent().unwrap_or(Path::new("."));
    let vault = azukari_core::crypto::FileKeyVault::new(dir.join("vault.key"));
    let store = Store::open(
        path,
        Unlock::Vault(&vault),
        OpenOptions {
            read_only: true,
            ..OpenOptions::default()
        },
        Arc::new(azukari_core::clock::SystemClock),
    )
    .map_err(|e| e.to_string())?;
    if let Some(damage) = store.damage() {
        return Err(damage.to_string());
    }
    store
        .verify(azukari_core::ledger::VerifyMode::EverySignature)
        .map(|report| report.events)
        .map_err(|e| e.to_string())
}

/// Every route the server answers, as (lowercase method, path). The router is built from the same table.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    route_table()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// The most a route's body may hold, for refusing a request from its announced length before reading it.
#[derive(Debug, Clone, Copy)]
struct BodyCap(usize);

/// A JSON route taking at most `cap` bytes: axum's limit while reading, and the cap [`read_json`] checks against
/// the announced `Content-Length` first (a too-large upload is answered at once, not after reading megabytes).
fn capped(route: MethodRouter<AppState>, cap: usize) -> MethodRouter<AppState> {
    route
        .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(cap))
        .layer::<_, std::convert::Infallible>(axum::Extension(BodyCap(cap)))
}

fn route_table() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        (
            "post",
            "/v1/enroll",
            capped(post(enroll), MAX_SMALL_BODY_BYTES),
        ),
        ("post", "/v1/push", capped(post(push), MAX_PUSH_BYTES)),
        ("post", "/v1/pull", capped(post(pull), MAX_SMALL_BODY_BYTES)),
        ("get", "/v1/checkpoint", get(checkpoint)),
        ("get", "/v1/events/stream", get(events_stream)),
        ("get", "/healthz", get(healthz)),
    ]
}

fn router(state: AppState) -> Router {
    route_table()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state)
}

/// One debug line per request: method, route (without the query), status and time taken.
async fn log_request(request: Request, next: axum::middleware::Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::debug!(
        event = "request",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    response
}

/// How long the log must be quiet before the hub's own store catches up in the background.
const CATCH_UP_AFTER: Duration = Duration::from_millis(500);
/// Most events the hub's own store takes in per turn of the hub's lock.
const CATCH_UP_BATCH: u64 = 512;

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    hub: Arc<Mutex<Hub>>,
    /// The log's size as last announced; waiting pulls and event streams watch it.
    size: Arc<watch::Sender<u64>>,
    /// Set once when the server stops.
    stop: Arc<watch::Sender<bool>>,
    /// The stored log failed its start-up check.
    read_only: bool,
    /// Permits for long polls and event streams ([`ServerLimits::max_waiting`]).
    waiting: Arc<Semaphore>,
    /// How long a request body may take to arrive.
    body_timeout: Duration,
}

impl AppState {
    /// Run `f` on the hub and announce the log's new size if it grew. `None` when the mutex is poisoned.
    fn run<T>(&self, f: impl FnOnce(&mut Hub) -> T) -> Option<T> {
        let mut hub = self.hub.lock().ok()?;
        let result = f(&mut hub);
        let size = hub.log().tree().len();
        self.size.send_if_modified(|announced| {
            let grew = size != *announced;
            *announced = size;
            grew
        });
        Some(result)
    }

    /// [`AppState::run`] on the blocking pool.
    async fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Hub) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            state.run(f).unwrap_or_else(|| Err(ApiError::poisoned()))
        })
        .await
        .map_err(|e| ApiError::internal(&e))?
    }
}

async fn enroll(
    State(state): State<AppState>,
    body: Result<JsonBody<EnrollRequest>, ApiError>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let JsonBody(request) = body?;
    let response = state
        .run_blocking(move |hub| Ok(hub.enroll(&request)?))
        .await?;
    Ok(Json(response))
}

async fn push(
    State(state): State<AppState>,
    signed: Result<Signed<PushRequest>, ApiError>,
) -> Result<Json<PushResponse>, ApiError> {
    let Signed {
        request,
        body,
        auth,
    } = signed?;
    verify(&state, Route::Push, &auth, &body).await?;
    check_pusher(&request, &auth)?;
    let response = state
        .run_blocking(move |hub| {
            let response = hub.push(&request)?;
            hub.note_seen(&auth, None);
            Ok(response)
        })
        .await?;
    Ok(Json(response))
}

/// Answer a pull; when the caller is caught up (`from` is the log's size) and asks to wait, wait until the log
/// grows, the server stops or the wait is over, then answer with what there is.
async fn pull(
    State(state): State<AppState>,
    signed: Result<Signed<PullRequest>, ApiError>,
) -> Result<Json<PullResponse>, ApiError> {
    let Signed {
        request,
        body,
        auth,
    } = signed?;
    let wait = Duration::from_millis(request.wait_ms).min(MAX_WAIT);
    let from = request.from;
    verify(&state, Route::Pull, &auth, &body).await?;
    // Subscribe before looking, so a push between the look and the wait is not missed.
    let mut sizes = state.size.subscribe();
    let (response, size) = answer_pull(&state, request.clone(), auth.clone()).await?;
    if wait.is_zero() || from != size {
        return Ok(Json(response));
    }
    // Long polls have their own cap: over it, the pull is answered now, as if it had not asked to wait.
    let Ok(_permit) = state.waiting.clone().try_acquire_owned() else {
        tracing::info!(
            event = "wait_refused",
            device = %auth.device,
            "a long poll was answered at once: as many requests wait as the hub allows"
        );
        return Ok(Json(response));
    };
    let mut stop = state.stop.subscribe();
    tokio::select! {
        _ = sizes.wait_for(|size| *size > from) => {}
        _ = stop.wait_for(|stopping| *stopping) => {}
        _ = tokio::time::sleep(wait) => {}
    }
    let (response, _) = answer_pull(&state, request, auth).await?;
    Ok(Json(response))
}

/// The hub's answer to `request` (without waiting) and the log's size; the device is noted as seen.
async fn answer_pull(
    state: &AppState,
    mut request: PullRequest,
    auth: RequestAuth,
) -> Result<(PullResponse, u64), ApiError> {
    request.wait_ms = 0;
    state
        .run_blocking(move |hub| {
            let response = hub.pull(&request)?;
            hub.note_seen(&auth, Some((&request, &response)));
            Ok((response, hub.log().tree().len()))
        })
        .await
}

/// A device's signed JSON request: the parsed body, its exact bytes (what the signature covers) and the signature
/// from the headers. The body is checked first (415, 413, 400 as for any JSON route), then that the headers are
/// there (401); the signature itself is checked by [`Hub::authenticate`].
struct Signed<T> {
    request: T,
    body: Bytes,
    auth: RequestAuth,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Signed<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let headers = request.headers().clone();
        let (parsed, body) = read_json(request, state).await?;
        Ok(Signed {
            request: parsed,
            body,
            auth: auth_from_headers(&headers)?,
        })
    }
}

/// A JSON request body read within the body timeout (408) and size limit (413), `Content-Type` JSON (415), and
/// valid for the route, unknown fields included (400).
struct JsonBody<T>(T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        read_json(request, state)
            .await
            .map(|(parsed, _)| JsonBody(parsed))
    }
}

/// Read and parse a JSON request body; see [`JsonBody`].
async fn read_json<T: DeserializeOwned>(
    request: Request,
    state: &AppState,
) -> Result<(T, Bytes), ApiError> {
    {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|essence| {
                essence.starts_with("application/")
                    && (essence == "application/json" || essence.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::bad_content_type());
        }
        let announced = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        if let (Some(BodyCap(cap)), Some(length)) =
            (request.extensions().get::<BodyCap>().copied(), announced)
            && length > cap as u64
        {
            return Err(ApiError::body(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("{length} bytes announced, at most {cap}"),
            ));
        }
        let body = tokio::time::timeout(state.body_timeout, Bytes::from_request(request, state))
            .await
            .map_err(|_| ApiError::body_timeout())?
            .map_err(|rejection| ApiError::body(rejection.status(), &rejection.body_text()))?;
        let Json(parsed) = Json::<T>::from_bytes(&body)?;
        Ok((parsed, body))
    }
}

/// Check a request's signature (see [`Hub::authenticate`]); only the key is looked up under the hub's lock, the
/// signature itself is checked without holding it.
async fn verify(
    state: &AppState,
    route: Route,
    auth: &RequestAuth,
    body: &[u8],
) -> Result<(), ApiError> {
    let device = auth.device;
    let (key, now) = state
        .run_blocking(move |hub| Ok(hub.signing_key(device)?))
        .await?;
    auth.verify(route, body, &key, now).map_err(|error| {
        tracing::warn!(
            event = "bad_signature",
            device = %device,
            route = ?route,
            reason = %error,
            "a request's signature was refused"
        );
        ServiceError::Unauthorized(error).into()
    })
}

/// The device's signature from the request headers; 401 when one is missing or malformed.
fn auth_from_headers(headers: &header::HeaderMap) -> Result<RequestAuth, ApiError> {
    let text = |name: &'static str| -> Result<&str, ApiError> {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| ServiceError::Unauthorized(AuthError::Missing(name)).into())
    };
    let missing = |name| ApiError::from(ServiceError::Unauthorized(AuthError::Missing(name)));
    Ok(RequestAuth {
        device: uuid::Uuid::parse_str(text(DEVICE_HEADER)?)
            .map(DeviceId)
            .map_err(|_| missing(DEVICE_HEADER))?,
        at: text(TIME_HEADER)?
            .parse()
            .map_err(|_| missing(TIME_HEADER))?,
        signature: URL_SAFE_NO_PAD
            .decode(text(SIGNATURE_HEADER)?)
            .map_err(|_| missing(SIGNATURE_HEADER))?,
    })
}

async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let note = state
        .run_blocking(|hub| Ok(hub.log().checkpoint().to_vec()))
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// Server-sent events: the log's size now, then again every time it grows, until the server stops.
/// Refused with 503 (`busy`) when as many long polls and streams are open as [`ServerLimits::max_waiting`].
async fn events_stream(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Ok(permit) = state.waiting.clone().try_acquire_owned() else {
        return Err(ApiError::busy());
    };
    let sizes = state.size.subscribe();
    let stop = state.stop.subscribe();
    let stream = futures_util::stream::unfold(
        (sizes, stop, true, permit),
        |(mut sizes, mut stop, first, permit)| async move {
            if !first {
                tokio::select! {
                    changed = sizes.changed() => changed.ok()?,
                    _ = stop.wait_for(|stopping| *stopping) => return None,
                }
            }
            if *stop.borrow() {
                return None;
            }
            let size = *sizes.borrow_and_update();
            let event = Event::default().json_data(SizeEvent { size });
            Some((event, (sizes, stop, false, permit)))
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

async fn healthz(State(state): State<AppState>) -> Json<Health> {
    let status = if state.read_only { "read_only" } else { "ok" };
    Json(Health {
        status: status.to_string(),
        size: *state.size.borrow(),
    })
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        message: "no such route; see hub/openapi.yaml / このURLはありません".to_string(),
    }
}

/// An error answer: a status and the JSON body [`ErrorBody`].
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn poisoned() -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: ServerError::Poisoned.to_string(),
        }
    }

    fn busy() -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "busy",
            message: "the hub has as many waiting requests open as it allows; try again shortly / 待機中の要求が上限に達しています。しばらくしてから再試行してください".to_string(),
        }
    }

    fn body_timeout() -> ApiError {
        ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            code: "timeout",
            message:
                "the request body did not arrive in time / 要求の本文が時間内に届きませんでした"
                    .to_string(),
        }
    }

    fn bad_content_type() -> ApiError {
        ApiError::body(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Expected request with `Content-Type: application/json`",
        )
    }

    /// A request body refused before it reached the hub: not JSON (415), too large (413) or not valid for the
    /// route (400).
    fn body(status: StatusCode, detail: &str) -> ApiError {
        let (status, code, what) = match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                status,
                "bad_content_type",
                "the request must be JSON (Content-Type: application/json) / 要求はJSON形式で送ってください",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                status,
                "too_large",
                "the request is too large / 要求が大きすぎます",
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                "bad_json",
                "the request is not valid JSON for this route / 要求の形式が正しくありません",
            ),
        };
        ApiError {
            status,
            code,
            message: format!("{what} ({detail})"),
        }
    }

    fn storage(detail: &dyn std::fmt::Display) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "storage",
            message: format!(
                "the hub's storage failed ({detail}); nothing was changed, try again later / ハブの記録の保存に失敗しました（変更はありません）。後で再試行してください"
            ),
        }
    }

    fn internal(detail: &dyn std::fmt::Display) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: format!("the hub failed ({detail}) / ハブで障害が発生しました"),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        let forbidden = |code| ApiError {
            status: StatusCode::FORBIDDEN,
            code,
            message: error.to_string(),
        };
        match &error {
            ServiceError::UnknownToken => forbidden("unknown_token"),
            ServiceError::UnknownDevice => forbidden("unknown_device"),
            ServiceError::NotOwnRequest => forbidden("not_own_request"),
            ServiceError::Unauthorized(AuthError::ClockSkew { .. }) => ApiError {
                status: StatusCode::UNAUTHORIZED,
                code: "clock_skew",
                message: error.to_string(),
            },
            ServiceError::Unauthorized(_) => ApiError {
                status: StatusCode::UNAUTHORIZED,
                code: "unauthenticated",
                message: error.to_string(),
            },
            ServiceError::ExpiredToken => forbidden("expired_token"),
            ServiceError::UsedToken => forbidden("used_token"),
            ServiceError::Log(HubError::Tampered(_)) => ApiError {
                status: StatusCode::CONFLICT,
                code: "tampered",
                message: error.to_string(),
            },
            ServiceError::Log(HubError::Storage(_)) | ServiceError::Storage(_) => {
                ApiError::storage(&error)
            }
            ServiceError::Sync(SyncError::Enrollment(_)) => ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "bad_request",
                message: error.to_string(),
            },
            ServiceError::PushTooLarge { .. } => ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "too_large",
                message: error.to_string(),
            },
            ServiceError::Store(StoreError::Damaged { .. }) => ApiError {
                status: StatusCode::CONFLICT,
                code: "tampered",
                message: error.to_string(),
            },
            ServiceError::Store(StoreError::DeviceAlreadyRegistered) => ApiError {
                status: StatusCode::CONFLICT,
                code: "already_enrolled",
                message: error.to_string(),
            },
            _ => ApiError::internal(&error),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        ApiError::body(rejection.status(), &rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.as_u16();
        if self.status.is_server_error() && self.code != "busy" {
            tracing::error!(event = "server_error", status, code = self.code, message = %self.message);
        } else {
            tracing::warn!(event = "refused", status, code = self.code, message = %self.message);
        }
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

/// Wait for Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The rustls server configuration (ring provider, HTTP/1.1) for the certificate and key in `files`.
fn rustls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServerError::Tls(format!("{}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(ServerError::Tls(format!(
            "{}: no certificate in the file",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| ServerError::Tls(format!("{}: {e}", files.key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Create the hub's self-signed certificate (ECDSA P-256) for `host_names` (DNS names or IP addresses) in the hub
/// directory `dir`: `tls/cert.pem`, and `tls/key.pem` readable only by its owner. Devices pin the certificate by
/// its fingerprint, so its validity dates are rcgen's (effectively unlimited) defaults and an existing certificate
/// is never replaced ([`ServerError::CertificateExists`]).
pub fn make_self_signed_cert(dir: &Path, host_names: &[String]) -> Result<TlsFiles, ServerError> {
    let files = TlsFiles::in_hub_dir(dir);
    for existing in [&files.cert, &files.key] {
        if existing.exists() {
            return Err(ServerError::CertificateExists(existing.clone()));
        }
    }
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| ServerError::Certificate(e.to_string()))?;
    let mut params = rcgen::CertificateParams::new(host_names.to_vec())
        .map_err(|e| ServerError::Certificate(e.to_string()))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Azukari hub");
    let cert = params
        .self_signed(&key)
        .map_err(|e| ServerError::Certificate(e.to_string()))?;
    let tls_dir = dir.join("tls");
    std::fs::create_dir_all(&tls_dir).map_err(|e| file_error(&tls_dir, e))?;
    write_new_file(&files.key, key.serialize_pem().as_bytes(), 0o600)?;
    write_new_file(&files.cert, cert.pem().as_bytes(), 0o644)?;
    Ok(files)
}

/// The SHA-256 fingerprint (lowercase hex) of the DER encoding of the first certificate in `cert_pem`: what the
/// enrollment QR carries and the client pins.
pub fn cert_sha256(cert_pem: &str) -> Result<String, ServerError> {
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| ServerError::Tls(format!("the certificate cannot be read: {e}")))?;
    Ok(Digest32(Sha256::digest(der.as_ref()).into()).to_hex())
}

/// Write a new file (never overwriting) with Unix permissions `mode`.
fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ServerError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| file_error(path, e))?;
    file.write_all(bytes).map_err(|e| file_error(path, e))?;
    file.sync_all().map_err(|e| file_error(path, e))
}

fn file_error(path: &Path, error: std::io::Error) -> ServerError {
    ServerError::File {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

fn bind_error(addr: SocketAddr, error: std::io::Error) -> ServerError {
    ServerError::Bind {
        addr,
        message: error.to_string(),
    }
}
