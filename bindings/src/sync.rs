//! The apps' channel to their hub: join a facility's hub with its enrollment QR, then push and pull through it
//! (the app asks for both in its view: `JoinHub`, `SyncNow`).
//!
//! The apps implement one thing, [`HubConnection`]: an HTTP POST to the hub with the hub's certificate pinned to
//! the fingerprint the QR carries (OkHttp `CertificatePinner` on Android, a `URLSession` delegate on iOS). Everything
//! else — the JSON messages, the device's request signatures, the checkpoint and proof verification, the ledger —
//! is the core's.

use crate::error::HubConnectionError;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::{
    EnrollResponse, PullRequest, PullResponse, PushRequest, PushResponse,
};
use azukari_core::sync::{HubTransport, RequestAuth, TransportError};
use serde::Serialize;
use serde::de::DeserializeOwned;
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
