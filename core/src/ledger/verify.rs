//! Verifying a log: every device's hash chain, every signature, no duplicates, nothing reordered, and — against a
//! trusted head — nothing cut off the end.
//!
//! A log is trusted from its first event, `FacilityCreated`, signed by the founding device whose key is the
//! [`TrustAnchor`]; later devices are trusted because an already-trusted device registered them.

use super::{EventBody, EventHash, LedgerError, LogHasher, LogHead, SignedEvent};
use crate::crypto::DevicePublicKey;
use crate::model::{DeviceId, EventId, FacilityId};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a verifier trusts before reading a log: the facility and its founding device's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustAnchor {
    /// The facility.
    pub facility: FacilityId,
    /// The founding device.
    pub founding_device: DeviceId,
    /// Its public key.
    pub founding_key: DevicePublicKey,
}

/// How thoroughly to check signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// Verify every event's signature (what an auditor runs).
    EverySignature,
    /// Verify the hash chains of every event and the signatures of each device's registration and latest event.
    /// Because each signature covers `prev_hash`, and each event hash covers the event's bytes and signature, the
    /// latest signature of a device vouches for its whole chain: as strong as checking every signature against
    /// anyone without the device's key, and an order of magnitude faster. Used when opening a store.
    ChainHeads,
}

/// What a successful verification saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of events.
    pub events: u64,
    /// Number of devices with events.
    pub devices: usize,
    /// The head recomputed from the events.
    pub head: LogHead,
}

struct DeviceChain {
    public_key: DevicePublicKey,
    last_seq: u64,
    last_hash: EventHash,
    last_index: Option<usize>,
}

/// Verify `events` (in log order) against `anchor`, and, if given, against a trusted `head`.
/// Returns the first problem found.
pub fn verify_log(
    events: &[SignedEvent],
    anchor: &TrustAnchor,
    head: Option<&LogHead>,
    mode: VerifyMode,
) -> Result<VerifyReport, LedgerError> {
    let mut chains: HashMap<DeviceId, DeviceChain> = HashMap::new();
    let mut seen: HashSet<EventId> = HashSet::with_capacity(events.len());
    let mut log_hasher = LogHasher::new();

    for (index, event) in events.iter().enumerate() {
        let at = |e: LedgerError| relocate(e, index);
        let (header, variant) = event.header_with_body_variant().map_err(at)?;
        if header.facility != anchor.facility {
            return Err(LedgerError::WrongFacility { index });
        }
        if !seen.insert(header.event_id) {
            return Err(LedgerError::Duplicate { index });
        }
        let hash = event.hash();

        if index == 0 {
            let founding = founding_key(event, anchor).map_err(at)?;
            if header.device != anchor.founding_device
                || header.device_seq != 1
                || header.prev_hash != EventHash::ZERO
            {
                return Err(LedgerError::MissingGenesis);
            }
            event.verify_signature(&founding).map_err(at)?;
            chains.insert(
                header.device,
                DeviceChain {
                    public_key: founding,
                    last_seq: 1,
                    last_hash: hash,
                    last_index: None,
                },
            );
            log_hasher.push(&hash);
            continue;
        }

        let chain = chains
            .get_mut(&header.device)
            .ok_or(LedgerError::UnknownDevice {
                index,
                device: header.device,
            })?;
        let expected = chain.last_seq + 1;
        if header.device_seq < expected {
            return Err(LedgerError::OutOfOrder { index });
        }
        if header.device_seq > expected {
            return Err(LedgerError::SequenceGap {
                index,
                device: header.device,
                expected,
                found: header.device_seq,
            });
        }
        if header.prev_hash != chain.last_hash {
            return Err(LedgerError::BrokenChain { index });
        }
        let registers = registered_device(event, variant).map_err(at)?;
        if mode == VerifyMode::EverySignature || registers.is_some() {
            event.verify_signature(&chain.public_key).map_err(at)?;
        }
        chain.last_seq = header.device_seq;
        chain.last_hash = hash;
        chain.last_index = Some(index);
        if let Some((device, public_key)) = registers {
            chains.entry(device).or_insert(DeviceChain {
                public_key,
                last_seq: 0,
                last_hash: EventHash::ZERO,
                last_index: None,
            });
        }
        log_hasher.push(&hash);
    }

    if events.is_empty() {
        return Err(LedgerError::MissingGenesis);
    }
    if mode == VerifyMode::ChainHeads {
        for chain in chains.values() {
            if let Some(index) = chain.last_index {
                events[index]
                    .verify_signature(&chain.public_key)
                    .map_err(|e| relocate(e, index))?;
            }
        }
    }
    let computed = LogHead::from_hasher(log_hasher);
    if let Some(trusted) = head {
        if trusted.length != computed.length {
            return Err(LedgerError::LengthMismatch {
                expected: trusted.length,
                found: computed.length,
            });
        }
        if trusted.log_hash != computed.log_hash {
            return Err(LedgerError::HeadMismatch);
        }
    }
    Ok(VerifyReport {
        events: computed.length,
        devices: chains.len(),
        head: computed,
    })
}

fn founding_key(event: &SignedEvent, anchor: &TrustAnchor) -> Result<DevicePublicKey, LedgerError> {
    match event.decode()?.body {
        EventBody::FacilityCreated {
            public_key,
            facility,
        } => {
            if facility.id != anchor.facility {
                return Err(LedgerError::WrongFacility { index: 0 });
            }
            if public_key != anchor.founding_key {
                return Err(LedgerError::UntrustedFounder);
            }
            Ok(public_key)
        }
        _ => Err(LedgerError::MissingGenesis),
    }
}

/// The device an event registers, if it is a registration. Only registrations need their body decoded here.
/// Decoding the whole event only for that variant keeps verifying ordinary events to a header decode and a hash.
fn registered_device(
    event: &SignedEvent,
    variant: u32,
) -> Result<Option<(DeviceId, DevicePublicKey)>, LedgerError> {
    if variant != DEVICE_REGISTERED_VARIANT {
        return Ok(None);
    }
    match event.decode()?.body {
        EventBody::DeviceRegistered {
            device, public_key, ..
        } => Ok(Some((device, public_key))),
        _ => Ok(None),
    }
}

/// Position of `DeviceRegistered` in [`EventBody`]; checked by a test.
pub(crate) const DEVICE_REGISTERED_VARIANT: u32 = 1;

/// Put the log position into an error raised for a single event.
fn relocate(error: LedgerError, index: usize) -> LedgerError {
    match error {
        LedgerError::Malformed { .. } => LedgerError::Malformed { index },
        LedgerError::BadSignature { .. } => LedgerError::BadSignature { index },
        LedgerError::WrongFacility { .. } => LedgerError::WrongFacility { index },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::crypto::{Signer, SoftwareSigner};
    use crate::ledger::Envelope;
    use crate::model::Facility;

    #[test]
    fn device_registered_is_the_variant_the_fast_path_looks_for() {
        let signer = SoftwareSigner::make_random().unwrap();
        let envelope = Envelope {
            event_id: EventId::new_v7(),
            facility: FacilityId::random(),
            device: DeviceId::random(),
            device_seq: 2,
            prev_hash: EventHash::ZERO,
            recorded_at: Timestamp(0),
            actor: None,
            body: EventBody::DeviceRegistered {
                device: DeviceId::random(),
                public_key: signer.public_key(),
                label: "tablet".into(),
            },
        };
        let (_, variant) = envelope
            .sign(&signer)
            .unwrap()
            .header_with_body_variant()
            .unwrap();
        assert_eq!(variant, DEVICE_REGISTERED_VARIANT);
        let genesis = Envelope {
            body: EventBody::FacilityCreated {
                facility: Facility {
                    id: envelope.facility,
                    name: "x".into(),
                },
                public_key: signer.public_key(),
            },
            ..envelope
        };
        assert_ne!(
            genesis
                .sign(&signer)
                .unwrap()
                .header_with_body_variant()
                .unwrap()
                .1,
            DEVICE_REGISTERED_VARIANT
        );
    }
}
