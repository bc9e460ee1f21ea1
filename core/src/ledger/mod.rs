//! The append-only event log. Events are the truth: every fact about custody is an event, signed by the device
//! that recorded it and chained to that device's previous event, and everything else is derived from them.
//!
//! - [`body`]: what can happen ([`EventBody`]).
//! - [`envelope`]: who recorded it, when, where in the device's chain; the canonical versioned encoding that
//!   hashes and signatures cover.
//! - [`log_hash`]: the commitment to a whole local log and the resumable hasher that keeps it on every append.
//! - [`passkey`]: decisions signed with a passkey in the hub's browser pages, and their offline check.
//! - [`verify`]: checking a log — chains, signatures, duplicates, order and a trusted head.

pub mod body;
pub mod envelope;
pub mod log_hash;
pub mod passkey;
pub mod verify;

pub use body::{
    AuditFinding, AuditSummary, CardCheck, EventBody, IncidentKind, IncidentStep, ReleaseTo,
    RetireReason,
};
pub use envelope::{Envelope, EnvelopeHeader, EventHash, FORMAT_VERSION, SignedEvent};
pub use log_hash::{LOG_DOMAIN_BLOCK, LogHash, LogHasher, LogHead};
pub use verify::{
    TrustAnchor, VerifyMode, VerifyReport, verify_log, verify_log_with_threads, verify_threads,
};

use crate::model::DeviceId;

/// What is wrong with an event or a log. Positions are 0-based indexes into the log; no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The bytes are not a valid event of a known format version.
    #[error("event #{index} is malformed or of an unknown format / 記録#{index}の形式が不正です")]
    Malformed {
        /// Position in the log.
        index: usize,
    },
    /// The event belongs to another facility.
    #[error("event #{index} belongs to another facility / 記録#{index}は別の施設のものです")]
    WrongFacility {
        /// Position in the log.
        index: usize,
    },
    /// The log does not start with the facility's creation by its founding device.
    #[error(
        "the ledger does not start with the facility's creation / 管理簿が施設作成の記録で始まっていません"
    )]
    MissingGenesis,
    /// The founding device is not the one this store or bundle trusts.
    #[error("the ledger was founded by an untrusted device / 管理簿の作成端末が信頼できません")]
    UntrustedFounder,
    /// The event was signed by a device no earlier event registered.
    #[error(
        "event #{index} comes from an unknown device {device} / 記録#{index}は未登録の端末からです"
    )]
    UnknownDevice {
        /// Position in the log.
        index: usize,
        /// The unknown device.
        device: DeviceId,
    },
    /// The signature does not verify against the device's registered key.
    #[error("event #{index} has an invalid signature / 記録#{index}の署名が不正です")]
    BadSignature {
        /// Position in the log.
        index: usize,
    },
    /// The event does not follow its device's previous event (a gap: events are missing before it).
    #[error(
        "event #{index}: device {device} expected sequence {expected}, found {found} (events missing) / 記録#{index}の前に欠落があります"
    )]
    SequenceGap {
        /// Position in the log.
        index: usize,
        /// The device whose chain has the gap.
        device: DeviceId,
        /// The sequence number expected.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// The event repeats or precedes a sequence number already seen for its device (reordered or forked).
    #[error("event #{index} is out of order in its device's chain / 記録#{index}の順序が不正です")]
    OutOfOrder {
        /// Position in the log.
        index: usize,
    },
    /// The event's hash link does not match its device's previous event.
    #[error(
        "event #{index} does not link to its device's previous event / 記録#{index}のハッシュ連鎖が切れています"
    )]
    BrokenChain {
        /// Position in the log.
        index: usize,
    },
    /// The same event appears twice.
    #[error("event #{index} is a duplicate / 記録#{index}が重複しています")]
    Duplicate {
        /// Position in the log.
        index: usize,
    },
    /// The stored hash of an event differs from the hash of its bytes.
    #[error(
        "event #{index} does not match its stored hash / 記録#{index}が保存されたハッシュと一致しません"
    )]
    HashMismatch {
        /// Position in the log.
        index: usize,
    },
    /// The log is shorter or longer than its trusted head says (events cut off the end, or appended unsigned).
    #[error(
        "the ledger holds {found} events but its signed head says {expected} / 管理簿の件数が署名済みの先頭と一致しません"
    )]
    LengthMismatch {
        /// Events the head vouches for.
        expected: u64,
        /// Events present.
        found: u64,
    },
    /// The log's running hash differs from its trusted head (events changed, reordered or replaced).
    #[error("the ledger does not match its signed head / 管理簿が署名済みの先頭と一致しません")]
    HeadMismatch,
    /// The event could not be encoded.
    #[error("an event could not be encoded / 記録を符号化できません")]
    Encoding,
    /// Signing failed.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
}
