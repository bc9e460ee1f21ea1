//! A device's blocking HTTPS client for its hub: [`HubClient`] implements
//! [`HubTransport`](azukari_core::sync::HubTransport) (push and pull) and enrollment.
//!
//! Trust: the hub's certificate is self-signed, so no certificate authority vouches for it. The enrollment QR
//! carries the SHA-256 fingerprint of the hub's certificate, and the client accepts exactly that certificate —
//! whatever its names or dates — and no other. That comparison is the whole trust decision; the TLS handshake's
//! signatures are still verified, so the peer must hold the certificate's private key.
//!
//! Plain `http://` is allowed only to a loopback host (the hub on the same machine). Proxies and redirects are not
//! followed: a facility's devices reach the hub directly on its network.
//!
//! Blocking: the client runs its own small runtime thread, so it must not be used on an async runtime's threads.

use crate::server::MAX_WAIT;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::{
    EnrollRequest, EnrollResponse, PullRequest, PullResponse, PushRequest, PushResponse,
};
use azukari_core::sync::{Digest32, HubTransport, RequestAuth, TransportError};
use reqwest::Url;
use reqwest::blocking::{Client, RequestBuilder};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request other than a waiting pull may take in all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// What a waiting pull may take beyond its wait.
const WAIT_MARGIN: Duration = Duration::from_secs(10);

/// Why a client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The hub's address is not an `https://` (or loopback `http://`) URL.
    #[error(
        "the hub's address {0} is not a valid https:// URL / ハブのアドレス {0} が正しくありません（https:// で始まるURL）"
    )]
    BadUrl(String),
    /// Plain HTTP to a host other than this machine.
    #[error(
        "the hub's address {0} uses plain http, which is allowed only to this machine (127.0.0.1, ::1, localhost); use https / ハブのアドレス {0} は暗号化されていません（http は同じ機器内のみ）。https を使ってください"
    )]
    PlainHttp(String),
    /// An `https://` hub needs the certificate fingerprint from the enrollment QR.
    #[error(
        "the hub's certificate fingerprint is missing; scan the hub's enrollment QR again / ハブの証明書の指紋がありません。登録用QRを読み取り直してください"
    )]
    MissingFingerprint,
    /// The fingerprint is not 64 hex digits.
    #[error(
        "the hub's certificate fingerprint {0:?} is not 64 hexadecimal digits / ハブの証明書の指紋 {0:?} が正しくありません"
    )]
    BadFingerprint(String),
    /// The HTTP client could not be built.
    #[error(
        "the connection to the hub could not be set up ({0}) / ハブへの接続を準備できません（{0}）"
    )]
    Setup(String),
}

/// The hub's certificate is not the one pinned at enrollment.
#[derive(Debug, thiserror::Error)]
#[error(
    "the hub's certificate (SHA-256 {presented}) is not the one pinned at enrollment; another machine may be posing as the hub — tell the administrator / ハブの証明書が登録時のものと異なります。なりすましの恐れがあります（管理者に連絡してください）"
)]
pub struct PinMismatch {
    /// The fingerprint of the certificate presented.
    pub presented: String,
}

/// A blocking client of one hub.
#[derive(Debug, Clone)]
pub struct HubClient {
    base: Url,
    http: Client,
}

impl HubClient {
    /// A client of the hub at `hub_url` (`https://host:port`, or `http://` to a loopback host). For `https://`,
    /// `cert_sha256` is the fingerprint from the enrollment QR (64 hex digits; `:` separators allowed) and is
    /// required; for loopback `http://` it is ignored.
    pub fn new(hub_url: &str, cert_sha256: Option<&str>) -> Result<HubClient, ClientError> {
        let base = Url::parse(hub_url).map_err(|_| ClientError::BadUrl(hub_url.to_string()))?;
        let builder = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("azukari-hub-client/", env!("CARGO_PKG_VERSION")));
        let builder = match base.scheme() {
            "https" => {
                let fingerprint = cert_sha256.ok_or(ClientError::MissingFingerprint)?;
                builder
                    .https_only(true)
                    .use_preconfigured_tls(pinned_tls_config(parse_fingerprint(fingerprint)?)?)
            }
            "http" if is_loopback(&base) => builder,
            "http" => return Err(ClientError::PlainHttp(hub_url.to_string())),
            _ => return Err(ClientError::BadUrl(hub_url.to_string())),
        };
        if base.host().is_none() || base.cannot_be_a_base() {
            return Err(ClientError::BadUrl(hub_url.to_string()));
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Setup(error_chain(&e)))?;
        Ok(HubClient { base, http })
    }

    /// Present an enrollment token (see `azukari_core::sync::PendingEnrollment`). An unknown, expired or used
    /// token is [`TransportError::Refused`] with status 403.
    pub fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResponse, TransportError> {
        self.post_json("/v1/enroll", request, None, REQUEST_TIMEOUT)
    }

    /// The hub's latest signed checkpoint (C2SP signed note).
    pub fn checkpoint(&self) -> Result<String, TransportError> {
        let response = self.send(self.http.get(self.url("/v1/checkpoint")?))?;
        response.text().map_err(|e| unreadable(&e))
    }

    fn url(&self, path: &str) -> Result<Url, TransportError> {
        self.base
            .join(path)
            .map_err(|e| TransportError::Unreachable(format!("bad URL {path}: {e}")))
    }

    fn post_json<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        request: &Req,
        auth: Option<&RequestAuth>,
        timeout: Duration,
    ) -> Result<Resp, TransportError> {
        // Exactly the bytes the device signed.
        let body = request_body(request).map_err(|e| {
            TransportError::Unreachable(format!("the request cannot be encoded: {e}"))
        })?;
        let mut builder = self
            .http
            .post(self.url(path)?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(timeout);
        for (name, value) in auth.map(RequestAuth::headers).into_iter().flatten() {
            builder = builder.header(name, value);
        }
        let response = self.send(builder)?;
        let bytes = response.bytes().map_err(|e| unreadable(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            TransportError::Unreachable(format!("the hub's answer cannot be read: {e}"))
        })
    }

    /// Send a request; a failure to connect or to get an answer is `Unreachable`, an error status `Refused`.
    fn send(&self, request: RequestBuilder) -> Result<reqwest::blocking::Response, TransportError> {
        let response = request.send().map_err(|e| {
            TransportError::Unreachable(pin_mismatch(&e).unwrap_or_else(|| error_chain(&e)))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().unwrap_or_default();
        Err(TransportError::refused(status.as_u16(), &body))
    }
}

impl HubTransport for HubClient {
    fn push(
        &self,
        request: &PushRequest,
        auth: &RequestAuth,
    ) -> Result<PushResponse, TransportError> {
        self.post_json("/v1/push", request, Some(auth), REQUEST_TIMEOUT)
    }

    fn pull(
        &self,
        request: &PullRequest,
        auth: &RequestAuth,
    ) -> Result<PullResponse, TransportError> {
        // The hub never waits longer than MAX_WAIT, whatever is asked.
        let wait = Duration::from_millis(request.wait_ms).min(MAX_WAIT);
        self.post_json("/v1/pull", request, Some(auth), wait + WAIT_MARGIN)
    }
}

fn unreadable(error: &reqwest::Error) -> TransportError {
    TransportError::Unreachable(format!(
        "the hub's answer was cut off: {}",
        error_chain(error)
    ))
}

/// The text of a [`PinMismatch`] somewhere among the causes of `error` (rustls shows it only in debug form).
fn pin_mismatch(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(cause) = next {
        if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))) =
            rustls_error(cause)
            && let Some(mismatch) = other.0.downcast_ref::<PinMismatch>()
        {
            return Some(mismatch.to_string());
        }
        next = cause.source();
    }
    None
}

/// `error` as a rustls error, looking inside the I/O errors and boxes that carry it (their `source` skips it).
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|inner| rustls_error(inner));
    }
    None
}

/// An error and its causes, joined: reqwest's own text alone does not say what failed.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

fn parse_fingerprint(text: &str) -> Result<[u8; 32], ClientError> {
    let hex: String = text.trim().chars().filter(|c| *c != ':').collect();
    Digest32::from_hex(&hex)
        .map(|digest| digest.0)
        .ok_or_else(|| ClientError::BadFingerprint(text.to_string()))
}

/// A rustls client configuration (ring provider) that accepts only the certificate with this SHA-256.
fn pinned_tls_config(sha256: [u8; 32]) -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedCertificate {
        sha256,
        provider: provider.clone(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts the one certificate whose DER encoding has the pinned SHA-256; checks handshake signatures as usual.
#[derive(Debug)]
struct PinnedCertificate {
    sha256: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if presented == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            let mismatch = PinMismatch {
                presented: Digest32(presented).to_hex(),
            };
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(mismatch)),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
