//! The event envelope and its canonical encoding.
//!
//! Encoding: one format-version byte ([`FORMAT_VERSION`]) followed by the postcard encoding of [`Envelope`].
//! Postcard (a stable, documented wire format) encodes structs field by field in declaration order, enums by
//! variant index and integers as varints, so the same envelope always gives the same bytes; decoding re-encodes
//! and refuses anything that is not byte-for-byte canonical. Hashes and signatures cover these bytes, never a
//! re-encoding, so old events verify forever even after the types grow new variants.
//!
//! - signature = ECDSA-P256( "azukari/event-signature/v1" ‖ bytes ) by the recording device
//! - event hash = SHA-256( "azukari/event/v1" ‖ len(bytes) ‖ bytes ‖ signature ), which the device's next event
//!   names as its `prev_hash`, so the chain covers every signature too.

use super::{EventBody, LedgerError};
use crate::clock::Timestamp;
use crate::crypto::{DevicePublicKey, DeviceSignature, Signer, verify_signature};
use crate::model::{DeviceId, EventId, FacilityId, StaffId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The current encoding version, the first byte of every event.
pub const FORMAT_VERSION: u8 = 1;

const SIGNATURE_DOMAIN: &[u8] = b"azukari/event-signature/v1";
const HASH_DOMAIN: &[u8] = b"azukari/event/v1";

/// SHA-256 hash of a signed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventHash(pub [u8; 32]);

impl EventHash {
    /// The `prev_hash` of a device's first event.
    pub const ZERO: EventHash = EventHash([0; 32]);

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
}

/// Lower-case hex of some bytes.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An event: who recorded what, when, and where it sits in the recording device's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique, time-ordered id.
    pub event_id: EventId,
    /// The facility whose ledger it belongs to.
    pub facility: FacilityId,
    /// The device that recorded and signed it.
    pub device: DeviceId,
    /// Position in the device's chain, from 1.
    pub device_seq: u64,
    /// Hash of the device's previous event ([`EventHash::ZERO`] for the first).
    pub prev_hash: EventHash,
    /// When it was recorded, by the device's clock.
    pub recorded_at: Timestamp,
    /// The member of staff who acted, if any (none for device-level events).
    pub actor: Option<StaffId>,
    /// What happened.
    pub body: EventBody,
}

/// The leading fields of [`Envelope`], decodable without the body: enough to check chains quickly.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvelopeHeader {
    /// See [`Envelope::event_id`].
    pub event_id: EventId,
    /// See [`Envelope::facility`].
    pub facility: FacilityId,
    /// See [`Envelope::device`].
    pub device: DeviceId,
    /// See [`Envelope::device_seq`].
    pub device_seq: u64,
    /// See [`Envelope::prev_hash`].
    pub prev_hash: EventHash,
    /// See [`Envelope::recorded_at`].
    pub recorded_at: Timestamp,
    /// See [`Envelope::actor`].
    pub actor: Option<StaffId>,
}

impl Envelope {
    /// The canonical bytes: version byte + postcard.
    pub fn encode(&self) -> Result<Vec<u8>, LedgerError> {
        let mut out = vec![FORMAT_VERSION];
        postcard::to_io(self, &mut out).map_err(|_| LedgerError::Encoding)?;
        Ok(out)
    }

    /// Sign the canonical bytes with the device's signer.
    pub fn sign(&self, signer: &dyn Signer) -> Result<SignedEvent, LedgerError> {
        let bytes = self.encode()?;
        let signature = signer.sign(&signing_message(&bytes))?;
        Ok(SignedEvent { bytes, signature })
    }
}

fn signing_message(bytes: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNATURE_DOMAIN.len() + bytes.len());
    message.extend_from_slice(SIGNATURE_DOMAIN);
    message.extend_from_slice(bytes);
    message
}

/// An event as stored and synced: its canonical bytes and the device's signature over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEvent {
    /// Canonical encoding of the [`Envelope`].
    pub bytes: Vec<u8>,
    /// The recording device's signature.
    pub signature: DeviceSignature,
}

impl SignedEvent {
    /// The event hash (covers the bytes and the signature).
    pub fn hash(&self) -> EventHash {
        let mut hasher = Sha256::new();
        hasher.update(HASH_DOMAIN);
        hasher.update((self.bytes.len() as u64).to_be_bytes());
        hasher.update(&self.bytes);
        hasher.update(&self.signature.0);
        EventHash(hasher.finalize().into())
    }

    /// Decode the whole envelope; refuses unknown versions, trailing bytes and non-canonical encodings.
    pub fn decode(&self) -> Result<Envelope, LedgerError> {
        let payload = self.payload()?;
        let envelope: Envelope =
            postcard::from_bytes(payload).map_err(|_| LedgerError::Malformed { index: 0 })?;
        if envelope.encode()? != self.bytes {
            return Err(LedgerError::Malformed { index: 0 });
        }
        Ok(envelope)
    }

    /// Decode only the leading fields, without the body.
    pub fn header(&self) -> Result<EnvelopeHeader, LedgerError> {
        let payload = self.payload()?;
        postcard::take_from_bytes::<EnvelopeHeader>(payload)
            .map(|(header, _body)| header)
            .map_err(|_| LedgerError::Malformed { index: 0 })
    }

    /// Decode the leading fields and the variant index of the body (its position in [`EventBody`]), without
    /// decoding the body itself.
    pub fn header_with_body_variant(&self) -> Result<(EnvelopeHeader, u32), LedgerError> {
        let payload = self.payload()?;
        let (header, rest) = postcard::take_from_bytes::<EnvelopeHeader>(payload)
            .map_err(|_| LedgerError::Malformed { index: 0 })?;
        // Postcard encodes an enum's variant index as a varint u32 before the variant's fields.
        let (variant, _) = postcard::take_from_bytes::<u32>(rest)
            .map_err(|_| LedgerError::Malformed { index: 0 })?;
        Ok((header, variant))
    }

    /// Check the signature against a device's public key.
    pub fn verify_signature(&self, public_key: &DevicePublicKey) -> Result<(), LedgerError> {
        verify_signature(public_key, &signing_message(&self.bytes), &self.signature)
            .map_err(|_| LedgerError::BadSignature { index: 0 })
    }

    fn payload(&self) -> Result<&[u8], LedgerError> {
        match self.bytes.split_first() {
            Some((&FORMAT_VERSION, payload)) => Ok(payload),
            _ => Err(LedgerError::Malformed { index: 0 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{KeyId, Sealed, SoftwareSigner};
    use crate::ledger::CardCheck;
    use crate::model::{ItemId, LockerId, Purpose};
    use uuid::Uuid;

    fn fixed_envelope(body: EventBody) -> Envelope {
        Envelope {
            event_id: EventId(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001)),
            facility: FacilityId(Uuid::from_u128(0xfa)),
            device: DeviceId(Uuid::from_u128(0xde)),
            device_seq: 300,
            prev_hash: EventHash([0xab; 32]),
            recorded_at: Timestamp(1_764_000_000_000),
            actor: Some(StaffId(Uuid::from_u128(0x57))),
            body,
        }
    }

    fn snapshot_bodies() -> Vec<EventBody> {
        vec![
            EventBody::CheckedOut {
                item: ItemId(Uuid::from_u128(1)),
                from_locker: LockerId(Uuid::from_u128(2)),
                purpose: Purpose::MedicalVisit,
                due_at: Timestamp(1_764_000_000_000 + 4 * 3_600_000),
                approval: None,
            },
            EventBody::Returned {
                item: ItemId(Uuid::from_u128(1)),
                to_locker: LockerId(Uuid::from_u128(2)),
                card_check: CardCheck::Matched,
            },
            EventBody::CheckoutRequested {
                request: crate::model::RequestId(Uuid::from_u128(3)),
                item: ItemId(Uuid::from_u128(1)),
                purpose: Purpose::Other {
                    note: Sealed {
                        key_id: KeyId(Uuid::from_u128(4)),
                        nonce: [9; 12],
                        ciphertext: vec![1, 2, 3],
                    },
                },
                due_at: Timestamp(0),
            },
        ]
    }

    #[test]
    fn the_canonical_encoding_is_stable() {
        let encoded: Vec<String> = snapshot_bodies()
            .into_iter()
            .map(|b| to_hex(&fixed_envelope(b).encode().unwrap()))
            .collect();
        insta::assert_snapshot!(encoded.join("\n"));
    }

    #[test]
    fn encoding_round_trips_and_refuses_other_versions_and_trailing_bytes() {
        let signer = SoftwareSigner::make_random().unwrap();
        for body in snapshot_bodies() {
            let envelope = fixed_envelope(body);
            let signed = envelope.sign(&signer).unwrap();
            assert_eq!(signed.decode().unwrap(), envelope);
            assert_eq!(signed.header().unwrap().device_seq, 300);
            signed.verify_signature(&signer.public_key()).unwrap();

            let mut other_version = signed.clone();
            other_version.bytes[0] = 2;
            assert!(other_version.decode().is_err());
            let mut trailing = signed.clone();
            trailing.bytes.push(0);
            assert!(trailing.decode().is_err());
        }
    }

    #[test]
    fn the_hash_covers_the_signature() {
        let signer = SoftwareSigner::make_random().unwrap();
        let signed = fixed_envelope(snapshot_bodies().remove(0))
            .sign(&signer)
            .unwrap();
        let mut other = signed.clone();
        other.signature.0[10] ^= 1;
        assert_ne!(signed.hash(), other.hash());
    }
}
