//! The sync protocol's messages, shared by devices and the hub. The hub speaks them as JSON over HTTPS (see
//! `hub/openapi.yaml`); in tests and the simulation they travel in process. Binary fields are base64 strings,
//! hashes lowercase hex.

use super::Digest32;
use crate::crypto::{SealedToRecipient, WrappedKey};
use crate::ledger::SignedEvent;
use crate::model::{DeviceId, FacilityId};
use serde::{Deserialize, Serialize};

/// Most events one push may carry (devices send at most this many per request).
pub const MAX_PUSH_EVENTS: usize = 256;
/// Most shared keys one push may carry (devices send the rest in the next requests).
pub const MAX_PUSH_KEYS: usize = 256;
/// Most inclusion proofs a hub answers per pull (devices ask for at most this many; the hub ignores the rest).
pub const MAX_PROOFS_PER_PULL: usize = 256;
/// The largest push body the hub reads, in bytes: a full push of real events and keys is far smaller.
pub const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;

/// One signed event as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    /// The signed bytes (`SignedEvent::bytes`).
    #[serde(with = "b64")]
    pub bytes: Vec<u8>,
    /// The signature.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl From<&SignedEvent> for WireEvent {
    fn from(event: &SignedEvent) -> Self {
        WireEvent {
            bytes: event.bytes.clone(),
            signature: event.signature.0.clone(),
        }
    }
}

impl From<&WireEvent> for SignedEvent {
    fn from(event: &WireEvent) -> Self {
        SignedEvent {
            bytes: event.bytes.clone(),
            signature: crate::crypto::DeviceSignature(event.signature.clone()),
        }
    }
}

/// A device's batch of new events (in its own sequence order) and the content keys it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The pushing device.
    pub device: DeviceId,
    /// Its events, oldest first.
    pub events: Vec<WireEvent>,
    /// Content keys it made that other devices need to open its sealed data (wrapped by the data key).
    pub keys: Vec<WrappedKey>,
}

/// What the hub did with one pushed event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Appended at this global index.
    Appended {
        /// Its index (leaf index in the tree).
        index: u64,
    },
    /// Already in the log (a retried batch): nothing changed.
    Duplicate {
        /// Its index.
        index: u64,
    },
    /// Its device's earlier events have not arrived: held until they do (send them, then this again).
    Waiting {
        /// The sequence number the hub needs next from this device.
        expected_seq: u64,
    },
    /// Refused, and why (bad signature, unknown device, a fork of the device's chain…). Not retried.
    Refused {
        /// A short machine-readable code: `unknown_device`, `bad_signature`, `fork`, `wrong_facility`,
        /// `malformed`, `not_own_event`.
        code: String,
        /// What happened, in English and Japanese.
        message: String,
    },
}

/// The hub's answer to a push: one outcome per event, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One per pushed event.
    pub outcomes: Vec<PushOutcome>,
}

/// A device asks for what it has not seen yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    /// The first global index wanted.
    pub from: u64,
    /// At most this many events.
    pub limit: u64,
    /// The tree size of the last checkpoint the device verified (0 for none): the hub proves consistency from it.
    pub known_size: u64,
    /// How many shared keys the device has already received (the hub sends the rest).
    pub keys_from: u64,
    /// Global indices of the device's own events whose inclusion it wants proved.
    pub prove: Vec<u64>,
    /// Wait up to this many milliseconds for something new when there is nothing (long poll; 0 = answer now).
    pub wait_ms: u64,
}

/// An event with its global index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedEvent {
    /// Its global index.
    pub index: u64,
    /// The event.
    pub event: WireEvent,
}

/// An inclusion proof for one leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProofWire {
    /// The leaf index.
    pub index: u64,
    /// The audit path.
    pub path: Vec<Digest32>,
}

/// What the hub sends back to a pull. The checkpoint, the consistency proof and the inclusion proofs are all for
/// the same tree (the one the checkpoint names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Events from `from`, in index order.
    pub events: Vec<IndexedEvent>,
    /// Shared keys from `keys_from`, in the order the hub received them (keys of erased residents left out).
    pub keys: Vec<WrappedKey>,
    /// Where the next pull's `keys_from` starts (the hub's count of keys ever shared, erased ones included).
    pub keys_next: u64,
    /// The signed checkpoint (C2SP signed note, UTF-8).
    pub checkpoint: String,
    /// Consistency proof from the tree of `known_size` leaves to the checkpoint's tree.
    pub consistency: Vec<Digest32>,
    /// Inclusion proofs for the asked indices that the checkpoint's tree holds.
    pub inclusions: Vec<InclusionProofWire>,
    /// The hub's clock when it answered (Unix milliseconds; 0 from a hub that does not say): a device compares it
    /// with its own to warn when its clock is off.
    #[serde(default)]
    pub hub_time: i64,
}

/// A device presents an enrollment token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The one-time token from the enrollment QR.
    pub token: String,
    /// The new device's id.
    pub device: DeviceId,
    /// Its public signing key (`DevicePublicKey` bytes).
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    /// Its one-time X25519 public key: the facility's key material is sealed to it.
    #[serde(with = "b64")]
    pub exchange_key: Vec<u8>,
}

/// The hub's answer to a valid enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The facility joined.
    pub facility: FacilityId,
    /// The device label given with the token.
    pub label: String,
    /// The facility's key material ([`crate::store::EnrollmentSecrets`]), sealed to the exchange key.
    pub secrets: SealedToRecipient,
    /// The hub's checkpoint verifier key, to pin.
    pub checkpoint_key: String,
}

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
