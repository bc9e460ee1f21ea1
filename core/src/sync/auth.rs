//! Request signatures: every push and pull a device sends carries its signature, so the hub serves a facility's
//! log only to the facility's enrolled devices and accepts a push only from the device it names.
//!
//! The device signs, with the same key that signs its events, the message
//!
//! ```text
//! azukari-request-v1 LF route LF device id LF time (Unix ms) LF lowercase hex SHA-256 of the body
//! ```
//!
//! where the body is exactly the request's JSON as sent ([`request_body`]). Over HTTP the signature travels in
//! three headers ([`DEVICE_HEADER`], [`TIME_HEADER`], [`SIGNATURE_HEADER`]). The hub checks the signature against
//! the key the device registered in the facility's ledger, and the time against its own clock: a request more
//! than [`MAX_CLOCK_SKEW_MINUTES`] away is refused with a message to set the device's clock (a device whose clock
//! is far off would also date its records wrongly). Within that window a captured request can be replayed: a push
//! is idempotent, and a replayed pull hands the log's sealed events to whoever replays it — which is why requests
//! travel only over TLS with the hub's certificate pinned, and why every personal field is sealed anyway.

use super::SyncError;
use crate::clock::Timestamp;
use crate::crypto::{CryptoError, DevicePublicKey, DeviceSignature, Signer, verify_signature};
use crate::model::DeviceId;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The HTTP header with the requesting device's id.
pub const DEVICE_HEADER: &str = "azukari-device";
/// The HTTP header with the time of the request (Unix milliseconds).
pub const TIME_HEADER: &str = "azukari-time";
/// The HTTP header with the signature (base64url without padding).
pub const SIGNATURE_HEADER: &str = "azukari-signature";
/// How far a request's time may be from the hub's clock.
pub const MAX_CLOCK_SKEW_MINUTES: i64 = 15;

/// Which call a request signature is for (a signature for one never passes for the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/push`.
    Push,
    /// `POST /v1/pull`.
    Pull,
}

impl Route {
    /// The route's name in the signed message.
    pub fn name(self) -> &'static str {
        match self {
            Route::Push => "push",
            Route::Pull => "pull",
        }
    }
}

/// A device's signature on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    /// The device that signed.
    pub device: DeviceId,
    /// When it signed, by its clock (Unix milliseconds).
    pub at: i64,
    /// The signature over [`signed_message`].
    pub signature: Vec<u8>,
}

/// Why the hub refused a request's signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request carries no signature, or a malformed one.
    #[error(
        "the request is not signed by a device ({0}); update the app / 端末の署名がない要求です（アプリを更新してください）"
    )]
    Missing(&'static str),
    /// The signature does not verify with the device's registered key.
    #[error(
        "the request's signature does not match the device's registered key / 要求の署名が端末の登録済みの鍵と一致しません"
    )]
    BadSignature,
    /// The request's time is too far from the hub's clock.
    #[error(
        "this device's clock is {minutes} minutes off the hub's; set the date and time on the device (automatic) and sync again / 端末の時計がハブと{minutes}分ずれています。端末の日付と時刻を（自動に）設定してから同期してください"
    )]
    ClockSkew {
        /// How far off, in whole minutes (positive: the device is ahead).
        minutes: i64,
    },
}

/// The exact body bytes of a request: its JSON, as the client sends it and the signature covers it.
pub fn request_body<T: Serialize>(request: &T) -> Result<Vec<u8>, SyncError> {
    serde_json::to_vec(request).map_err(|_| SyncError::BadResponse("request encoding"))
}

/// The message a device signs for a request.
pub fn signed_message(route: Route, device: DeviceId, at: i64, body: &[u8]) -> Vec<u8> {
    let digest: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "azukari-request-v1\n{}\n{device}\n{at}\n{digest}",
        route.name()
    )
    .into_bytes()
}

impl RequestAuth {
    /// Sign `body` for `route` as `device` at `at`.
    pub fn sign(
        route: Route,
        body: &[u8],
        device: DeviceId,
        signer: &dyn Signer,
        at: Timestamp,
    ) -> Result<RequestAuth, CryptoError> {
        let signature = signer.sign(&signed_message(route, device, at.0, body))?;
        Ok(RequestAuth {
            device,
            at: at.0,
            signature: signature.0,
        })
    }

    /// The HTTP headers that carry this signature, as (name, value).
    pub fn headers(&self) -> [(&'static str, String); 3] {
        use base64::Engine;
        [
            (DEVICE_HEADER, self.device.to_string()),
            (TIME_HEADER, self.at.to_string()),
            (
                SIGNATURE_HEADER,
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.signature),
            ),
        ]
    }

    /// Check the signature on `body` for `route` with the device's registered key, and the time against `now`.
    pub fn verify(
        &self,
        route: Route,
        body: &[u8],
        key: &DevicePublicKey,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        verify_signature(
            key,
            &signed_message(route, self.device, self.at, body),
            &DeviceSignature(self.signature.clone()),
        )
        .map_err(|_| AuthError::BadSignature)?;
        if self.at.abs_diff(now.0) > (MAX_CLOCK_SKEW_MINUTES * 60_000).unsigned_abs() {
            return Err(AuthError::ClockSkew {
                minutes: self.at.saturating_sub(now.0) / 60_000,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SoftwareSigner;

    #[test]
    fn a_signature_holds_only_for_its_route_body_device_key_and_a_close_clock() {
        let signer = SoftwareSigner::make_random().unwrap();
        let device = DeviceId::random();
        let now = Timestamp(1_800_000_000_000);
        let body = br#"{"from":0}"#;
        let auth = RequestAuth::sign(Route::Pull, body, device, &signer, now).unwrap();
        let key = signer.public_key();
        assert_eq!(auth.verify(Route::Pull, body, &key, now), Ok(()));
        assert_eq!(
            auth.verify(Route::Pull, body, &key, now.plus_minutes(14)),
            Ok(())
        );

        assert_eq!(
            auth.verify(Route::Push, body, &key, now),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            auth.verify(Route::Pull, br#"{"from":1}"#, &key, now),
            Err(AuthError::BadSignature)
        );
        let other = SoftwareSigner::make_random().unwrap().public_key();
        assert_eq!(
            auth.verify(Route::Pull, body, &other, now),
            Err(AuthError::BadSignature)
        );
        let mut posing = auth.clone();
        posing.device = DeviceId::random();
        assert_eq!(
            posing.verify(Route::Pull, body, &key, now),
            Err(AuthError::BadSignature)
        );
        let mut redated = auth.clone();
        redated.at += 1;
        assert_eq!(
            redated.verify(Route::Pull, body, &key, now),
            Err(AuthError::BadSignature)
        );

        let late = auth.verify(Route::Pull, body, &key, now.plus_minutes(20));
        assert_eq!(late, Err(AuthError::ClockSkew { minutes: -20 }));
        let message = late.unwrap_err().to_string();
        assert!(
            message.contains("20") && message.contains("時計"),
            "{message}"
        );
    }
}
