//! Sync between a facility's devices through its hub.
//!
//! Each device keeps its own signed chain of events; the hub merges the chains into one log in arrival order,
//! commits to it with an RFC 9162 Merkle tree ([`merkle`]) and signs a checkpoint ([`checkpoint`]) after every
//! change. A device ([`agent`]):
//!
//! * keeps an **outbox** that needs no table of its own: its events with a sequence number above the last one the
//!   hub acknowledged, so whatever it recorded offline, before a crash or a lost reply, is sent again, and the hub
//!   recognises a repeat by event id;
//! * **pulls** every event after the last index it took in and ingests it (signature and chain checked again by
//!   the store), together with the content keys other devices made;
//! * **verifies** every checkpoint against the hub's pinned key, that it is consistent with the last one it
//!   verified, and that each of its own acknowledged events is included. A smaller tree (rollback), a different
//!   tree (fork) or a missing event raises an alarm, keeps the last good checkpoint and stops the sync.
//!
//! Facts recorded concurrently on two devices (two checkouts of the same card while one was offline) are not sync
//! errors: both events are kept and the custody fold reports the discrepancy, identically on every device.

pub mod agent;
pub mod auth;
pub mod checkpoint;
pub mod enroll;
pub mod invite;
pub mod merkle;
pub mod protocol;

pub use agent::{
    CLOCK_WARNING_AFTER_MS, ClockWarning, SyncAlarm, SyncReport, SyncState, sync, wait_request,
};
pub use auth::{AuthError, RequestAuth, Route};
pub use checkpoint::{Checkpoint, CheckpointKey, CheckpointVerifier, origin_for};
pub use enroll::{PendingEnrollment, answer_enrollment};
pub use invite::EnrollmentInvite;
pub use merkle::{MerkleLog, TreeHead, verify_consistency, verify_inclusion};

use crate::store::StoreError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A SHA-256 digest; lowercase hex in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest32(pub [u8; 32]);

impl Digest32 {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parse lowercase or uppercase hex of exactly 32 bytes.
    pub fn from_hex(text: &str) -> Option<Digest32> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Digest32(out))
    }
}

impl Serialize for Digest32 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest32::from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// How the device reaches its hub: HTTPS in the apps and the hub's client, in process in tests and the simulation.
/// Both calls are blocking. `auth` is the device's signature on the request's body as
/// [`auth::request_body`] encodes it, which is what the transport must send.
pub trait HubTransport {
    /// Send a batch of this device's events.
    fn push(
        &self,
        request: &protocol::PushRequest,
        auth: &RequestAuth,
    ) -> Result<protocol::PushResponse, TransportError>;
    /// Fetch what this device has not seen, with the proofs it asks for.
    fn pull(
        &self,
        request: &protocol::PullRequest,
        auth: &RequestAuth,
    ) -> Result<protocol::PullResponse, TransportError>;
}

/// The hub could not be reached or refused the request as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer (offline, timeout, connection lost): nothing is lost, sync again later.
    #[error(
        "the hub cannot be reached ({0}); work continues offline and syncs later / ハブに接続できません。オフラインで記録を続け、後で同期します"
    )]
    Unreachable(String),
    /// The hub answered with an error.
    #[error("the hub refused the request ({status}: {message}) / ハブが要求を拒否しました")]
    Refused {
        /// HTTP status (or 0 in process).
        status: u16,
        /// The hub's message.
        message: String,
    },
}

impl TransportError {
    /// The hub's answer with an error status: its error body (`{"code", "message"}`) as `code: message`, or the
    /// start of whatever it sent.
    pub fn refused(status: u16, body: &[u8]) -> TransportError {
        #[derive(Deserialize)]
        struct ErrorBody {
            code: String,
            message: String,
        }
        let message = match serde_json::from_slice::<ErrorBody>(body) {
            Ok(error) => format!("{}: {}", error.code, error.message),
            Err(_) => String::from_utf8_lossy(body).chars().take(500).collect(),
        };
        TransportError::Refused { status, message }
    }
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The hub could not be reached or refused the request.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// This store has not enrolled with a hub.
    #[error(
        "this device is not enrolled with a hub; scan the hub's enrollment QR / この端末はハブに登録されていません。ハブの登録用QRを読み取ってください"
    )]
    NotEnrolled,
    /// The checkpoint is not signed by the pinned hub key, names another log, or cannot be read. Alarm.
    #[error(
        "the hub's checkpoint is not valid ({0}); the last good one is kept — tell the administrator / ハブのチェックポイントが不正です（管理者に連絡してください）"
    )]
    BadCheckpoint(&'static str),
    /// The hub offered a smaller tree than one it signed before: it lost or removed events. Alarm.
    #[error(
        "the hub's log shrank from {seen} to {offered} events: it was rolled back; the last good checkpoint is kept — tell the administrator / ハブの記録が巻き戻されました（管理者に連絡してください）"
    )]
    Rollback {
        /// The size this device verified before.
        seen: u64,
        /// The size offered now.
        offered: u64,
    },
    /// The hub's tree is not an extension of the one this device verified: its history was rewritten. Alarm.
    #[error(
        "the hub's log is not consistent with the {size} events verified before: its history was rewritten — tell the administrator / ハブの記録が改ざんされています（管理者に連絡してください）"
    )]
    Fork {
        /// The size of the tree verified before.
        size: u64,
    },
    /// One of this device's acknowledged events is missing from the hub's tree. Alarm.
    #[error(
        "event {index} that the hub acknowledged is not in its log — tell the administrator / ハブが受け付けた記録（{index}）が見つかりません（管理者に連絡してください）"
    )]
    NotIncluded {
        /// Its global index.
        index: u64,
    },
    /// A proof could not be made or read.
    #[error("bad proof: {0}")]
    BadProof(&'static str),
    /// The hub refused one of this device's events for good (it does not retry).
    #[error("the hub refused an event ({code}): {message}")]
    Refused {
        /// The hub's code.
        code: String,
        /// The hub's message.
        message: String,
    },
    /// The hub's answer broke the protocol (events out of order, beyond the checkpoint…).
    #[error("the hub's answer is malformed ({0}) / ハブの応答が不正です")]
    BadResponse(&'static str),
    /// Enrollment failed.
    #[error("enrollment failed ({0}) / 端末登録に失敗しました")]
    Enrollment(&'static str),
}

impl SyncError {
    /// Whether this error is an alarm about the hub's honesty (rollback, fork, missing event, bad checkpoint).
    pub fn is_alarm(&self) -> bool {
        matches!(
            self,
            SyncError::BadCheckpoint(_)
                | SyncError::Rollback { .. }
                | SyncError::Fork { .. }
                | SyncError::NotIncluded { .. }
        )
    }
}
