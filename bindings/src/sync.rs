//! Sync for the apps: join a facility's hub with its enrollment QR, then push and pull through it.
//!
//! The apps implement one thing, [`HubConnection`]: an HTTP POST to the hub with the hub's certificate pinned to
//! the fingerprint the QR carries (OkHttp `CertificatePinner` on Android, a `URLSession` delegate on iOS). Everything
//! else — the JSON messages, the device's request signatures, the checkpoint and proof verification, the ledger —
//! is the core's.

use crate::error::{AzukariError, HubConnectionError};
use crate::facility::Facility;
use crate::platform::{KeyVault, VaultAdapter};
use azukari_core::clock::{Clock, SystemClock};
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::{
    EnrollResponse, PullRequest, PullResponse, PushRequest, PushResponse,
};
use azukari_core::sync::{
    EnrollmentInvite, HubTransport, PendingEnrollment, RequestAuth, SyncError, SyncState,
    TransportError, sync, wait_request,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::Arc;

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Its name, e.g. `azukari-signature`.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// The hub's HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body (JSON).
    pub body: Vec<u8>,
}

/// The device's HTTP channel to its hub. Implemented by the apps: POST `body` (JSON) to the hub's URL joined with
/// `path`, with `Content-Type: application/json` and `headers`, over HTTPS with the hub's certificate pinned to the
/// enrollment QR's fingerprint (plain HTTP only to a loopback hub in development). Return whatever status the hub
/// answers; throw `Unreachable` only when no answer came. A pull may wait up to 30 s for news: allow 40 s.
/// Called on the thread that called `join` or `sync`; it must not call back into Azukari.
#[uniffi::export(with_foreign)]
pub trait HubConnection: Send + Sync {
    /// Send one request and return the hub's answer.
    fn post(
        &self,
        path: String,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
    ) -> Result<HttpResponse, HubConnectionError>;
}

/// What an enrollment QR tells the app before it joins: where the hub is and which certificate to pin.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EnrollmentQr {
    /// The hub's URL.
    pub hub_url: String,
    /// The SHA-256 fingerprint of the hub's certificate (64 hex digits) to pin; `None` for a loopback `http://`
    /// hub in development.
    pub cert_sha256: Option<String>,
    /// When the QR stops working (Unix milliseconds).
    pub expires_at_ms: i64,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    /// This device's events the hub acknowledged.
    pub pushed: u32,
    /// Events of other devices taken in.
    pub pulled: u32,
    /// Whether some of this device's events wait at the hub for earlier ones (sync again).
    pub waiting: bool,
    /// The size of the hub's log as verified.
    pub log_size: u64,
}

/// Read an enrollment QR (to set up the app's [`HubConnection`] before joining).
#[uniffi::export]
pub fn read_enrollment_qr(text: String) -> Result<EnrollmentQr, AzukariError> {
    let invite = EnrollmentInvite::parse(&text)?;
    Ok(EnrollmentQr {
        hub_url: invite.hub_url,
        cert_sha256: invite.cert_sha256,
        expires_at_ms: invite.expires_at.0,
    })
}

#[uniffi::export]
impl Facility {
    /// Join the facility of the hub whose enrollment QR was scanned: present its one-time token through `hub`,
    /// create this device's store at `path` (a file that must not exist yet) protected by `vault`, with the hub's
    /// checkpoint key pinned. Nobody is signed in, and the device can record nothing until its registration
    /// arrives: call `sync` next. Blocking: call off the UI thread.
    #[uniffi::constructor]
    pub fn join(
        qr_text: String,
        path: String,
        vault: Arc<dyn KeyVault>,
        hub: Arc<dyn HubConnection>,
    ) -> Result<Arc<Facility>, AzukariError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let invite = EnrollmentInvite::parse(&qr_text)?;
        if invite.is_expired(clock.now()) {
            return Err(SyncError::Enrollment(
                "this enrollment QR has expired; show a new one at the hub / 登録用QRの期限が切れています",
            )
            .into());
        }
        let pending = PendingEnrollment::new()?;
        let response: EnrollResponse = Connection(hub)
            .call("/v1/enroll", &pending.request(&invite.token), None)
            .map_err(SyncError::from)?;
        let store = pending.finish(
            &response,
            Some(&invite.checkpoint_key),
            Path::new(&path),
            &VaultAdapter(vault),
            clock,
        )?;
        Facility::over(store)
    }

    /// Push this device's new events and pull everything new, verifying the hub's signed checkpoint and proofs.
    /// `wait_ms` above 0 then waits that long (at most 30 s) for news when there was none (a supervisor's tablet
    /// waiting for requests); the facility stays usable from other threads while it waits. Offline, it fails with
    /// `HubUnreachable` and nothing is lost: sync again later. A hub that rolled back or rewrote its log raises
    /// `HubAlarm` (see `syncAlarms`). Blocking: call off the UI thread.
    pub fn sync(
        &self,
        hub: Arc<dyn HubConnection>,
        wait_ms: u64,
    ) -> Result<SyncSummary, AzukariError> {
        let connection = Connection(hub);
        let mut summary = self.sync_now(&connection)?;
        if wait_ms > 0 && summary.pulled == 0 {
            let (request, auth) =
                self.with_session(|session| Ok(wait_request(session.store(), wait_ms)?))?;
            // Outside the facility's lock.
            connection.pull(&request, &auth).map_err(SyncError::from)?;
            let after = self.sync_now(&connection)?;
            summary = SyncSummary {
                pushed: summary.pushed.saturating_add(after.pushed),
                pulled: after.pulled,
                waiting: after.waiting,
                log_size: after.log_size,
            };
        }
        Ok(summary)
    }

    /// The alarms raised about the hub so far (newest last), as the administrator must read them.
    pub fn sync_alarms(&self) -> Result<Vec<String>, AzukariError> {
        self.with_session(|session| {
            Ok(SyncState::load(session.store())?
                .alarms
                .into_iter()
                .map(|alarm| alarm.what)
                .collect())
        })
    }
}

impl Facility {
    /// One sync without waiting, holding the facility.
    fn sync_now(&self, connection: &Connection) -> Result<SyncSummary, AzukariError> {
        self.with_session(|session| {
            let report = sync(session.store_mut(), connection, 0)?;
            Ok(SyncSummary {
                pushed: u32::try_from(report.pushed).unwrap_or(u32::MAX),
                pulled: u32::try_from(report.pulled).unwrap_or(u32::MAX),
                waiting: report.waiting,
                log_size: report.tree.size,
            })
        })
    }
}

/// A foreign [`HubConnection`] as the core's transport.
pub(crate) struct Connection(pub(crate) Arc<dyn HubConnection>);

impl Connection {
    /// POST `request` as JSON (exactly the bytes `auth` signed) and read the answer.
    fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        request: &Req,
        auth: Option<&RequestAuth>,
    ) -> Result<Resp, TransportError> {
        let body = request_body(request).map_err(|e| {
            TransportError::Unreachable(format!("the request cannot be encoded: {e}"))
        })?;
        let headers = auth
            .map(|auth| {
                auth.headers()
                    .into_iter()
                    .map(|(name, value)| HttpHeader {
                        name: name.to_string(),
                        value,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let response = self.0.post(path.to_string(), headers, body).map_err(
            |HubConnectionError::Unreachable { detail }| TransportError::Unreachable(detail),
        )?;
        if !(200..300).contains(&response.status) {
            return Err(TransportError::refused(response.status, &response.body));
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            TransportError::Unreachable(format!("the hub's answer cannot be read: {e}"))
        })
    }
}

impl HubTransport for Connection {
    fn push(
        &self,
        request: &PushRequest,
        auth: &RequestAuth,
    ) -> Result<PushResponse, TransportError> {
        self.call("/v1/push", request, Some(auth))
    }

    fn pull(
        &self,
        request: &PullRequest,
        auth: &RequestAuth,
    ) -> Result<PullResponse, TransportError> {
        self.call("/v1/pull", request, Some(auth))
    }
}

impl azukari_core::app::HubEnrollment for Connection {
    fn enroll(
        &self,
        request: &azukari_core::sync::protocol::EnrollRequest,
    ) -> Result<EnrollResponse, TransportError> {
        self.call("/v1/enroll", request, None)
    }
}
