//! Verifying a log: every device's hash chain, every signature, no duplicates, nothing reordered, and — against a
//! trusted head — nothing cut off the end.
//!
//! A log is trusted from its first event, `FacilityCreated`, signed by the founding device whose key is the
//! [`TrustAnchor`]; later devices are trusted because an already-trusted device registered them.
//!
//! **How it goes fast.** Verification works through the log in batches. For each batch, the per-event work that
//! needs nothing from other events — the event hash and the header decode — runs in parallel on the available
//! cores ([`std::thread::scope`], one contiguous chunk per thread); then one pass in log order checks the chains
//! and the facility's devices and feeds the log commitment ([`super::LogHasher`]); then the signatures that mode
//! asks for (every event's, or only registrations') are checked, in parallel too. Each stage stops at its first
//! problem and the earliest problem in log order is reported, exactly as a purely sequential walk would: an event
//! is checked in the order header → chain → registration body → signature, and nothing after a failed event
//! counts.
//!
//! **Duplicates without a set of ids.** An event that appears a second time repeats a sequence number its device
//! has already used, so it always breaks its device's chain. Only then, on the error path, is the log searched for
//! an earlier event with the same id, and the problem reported as [`LedgerError::Duplicate`]. The few devices of a
//! facility live in a short list, not a hash map.

use super::{EventBody, EventHash, LedgerError, LogHasher, LogHead, SignedEvent};
use crate::crypto::DevicePublicKey;
use crate::model::{DeviceId, FacilityId};
use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;

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

/// How verification spreads its work.
#[derive(Debug, Clone, Copy)]
struct Parallelism {
    /// Most threads to use, the calling thread included.
    threads: usize,
    /// Events per batch: prepared in parallel, then walked in order. Bounds the memory the prepared facts take.
    batch: usize,
    /// Fewest events per thread worth a thread of their own when hashing and decoding headers.
    min_events_per_thread: usize,
    /// Fewest signatures per thread worth a thread of their own.
    min_signatures_per_thread: usize,
}

impl Parallelism {
    fn with_threads(threads: NonZeroUsize) -> Parallelism {
        Parallelism {
            threads: threads.get(),
            batch: 16_384,
            min_events_per_thread: 1_024,
            min_signatures_per_thread: 16,
        }
    }
}

/// A device's chain as the walk has seen it so far.
struct DeviceChain {
    device: DeviceId,
    public_key: DevicePublicKey,
    last_seq: u64,
    last_hash: EventHash,
    last_index: Option<usize>,
}

/// What the ordered walk needs of an event, computed in parallel.
#[derive(Clone, Copy)]
struct Prepared {
    hash: EventHash,
    device: DeviceId,
    device_seq: u64,
    prev_hash: EventHash,
    body_variant: u32,
}

/// The number of threads [`verify_log`] uses: the cores available to this process.
pub fn verify_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// Verify `events` (in log order) against `anchor`, and, if given, against a trusted `head`, on all available
/// cores ([`verify_threads`]). Returns the first problem found in log order.
pub fn verify_log(
    events: &[SignedEvent],
    anchor: &TrustAnchor,
    head: Option<&LogHead>,
    mode: VerifyMode,
) -> Result<VerifyReport, LedgerError> {
    verify_log_with_threads(events, anchor, head, mode, verify_threads())
}

/// [`verify_log`] on at most `threads` threads (one: entirely on the calling thread). The result, including which
/// problem is reported, does not depend on `threads`.
pub fn verify_log_with_threads(
    events: &[SignedEvent],
    anchor: &TrustAnchor,
    head: Option<&LogHead>,
    mode: VerifyMode,
    threads: NonZeroUsize,
) -> Result<VerifyReport, LedgerError> {
    verify_with(
        events,
        anchor,
        head,
        mode,
        Parallelism::with_threads(threads),
    )
}

fn verify_with(
    events: &[SignedEvent],
    anchor: &TrustAnchor,
    head: Option<&LogHead>,
    mode: VerifyMode,
    plan: Parallelism,
) -> Result<VerifyReport, LedgerError> {
    let batch_len = plan.batch.max(1);
    let mut walk = Walk {
        anchor,
        mode,
        devices: Vec::new(),
        log_hasher: LogHasher::new(),
        to_verify: Vec::new(),
    };
    for (batch_number, batch) in events.chunks(batch_len).enumerate() {
        let base = batch_number * batch_len;
        let prepared = in_parallel(batch, plan.threads, plan.min_events_per_thread, |part| {
            part.iter()
                .map(|event| prepare(event, anchor.facility))
                .collect::<Vec<_>>()
        });
        walk.to_verify.clear();
        let mut failure = None;
        for (offset, prepared) in prepared.into_iter().flatten().enumerate() {
            let index = base + offset;
            let step = prepared
                .map_err(|e| relocate(e, index))
                .and_then(|prepared| {
                    walk.step(index, &events[index], &prepared)
                        .map_err(|e| duplicate_or(e, index, events))
                });
            if let Err(error) = step {
                failure = Some(error);
                break;
            }
        }
        // Signatures of the events that passed, all before the failure if there is one: the earliest bad one wins.
        if let Some(index) = first_bad_signature(events, &walk.to_verify, &walk.devices, plan) {
            return Err(duplicate_or(
                LedgerError::BadSignature { index },
                index,
                events,
            ));
        }
        if let Some(error) = failure {
            return Err(error);
        }
    }

    if events.is_empty() {
        return Err(LedgerError::MissingGenesis);
    }
    if mode == VerifyMode::ChainHeads {
        let mut heads: Vec<(usize, usize)> = walk
            .devices
            .iter()
            .enumerate()
            .filter_map(|(slot, chain)| chain.last_index.map(|index| (index, slot)))
            .collect();
        heads.sort_unstable();
        if let Some(index) = first_bad_signature(events, &heads, &walk.devices, plan) {
            return Err(LedgerError::BadSignature { index });
        }
    }
    let computed = LogHead::from_hasher(walk.log_hasher);
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
        devices: walk.devices.len(),
        head: computed,
    })
}

/// The ordered part of verification: chains, devices, the log commitment, and which signatures to check.
struct Walk<'a> {
    anchor: &'a TrustAnchor,
    mode: VerifyMode,
    devices: Vec<DeviceChain>,
    log_hasher: LogHasher,
    /// (event index, device slot) of the signatures this batch still has to check, in log order.
    to_verify: Vec<(usize, usize)>,
}

impl Walk<'_> {
    /// Check the event at `index` against the chains so far and take it in; its signature is queued, not checked.
    fn step(
        &mut self,
        index: usize,
        event: &SignedEvent,
        prepared: &Prepared,
    ) -> Result<(), LedgerError> {
        let at = |e: LedgerError| relocate(e, index);
        if index == 0 {
            let founding = founding_key(event, self.anchor).map_err(at)?;
            if prepared.device != self.anchor.founding_device
                || prepared.device_seq != 1
                || prepared.prev_hash != EventHash::ZERO
            {
                return Err(LedgerError::MissingGenesis);
            }
            self.devices.push(DeviceChain {
                device: prepared.device,
                public_key: founding,
                last_seq: 1,
                last_hash: prepared.hash,
                last_index: None,
            });
            self.to_verify.push((0, 0));
            self.log_hasher.push(&prepared.hash);
            return Ok(());
        }

        let slot = self
            .devices
            .iter()
            .position(|chain| chain.device == prepared.device)
            .ok_or(LedgerError::UnknownDevice {
                index,
                device: prepared.device,
            })?;
        let chain = &mut self.devices[slot];
        let expected = chain.last_seq + 1;
        if prepared.device_seq < expected {
            return Err(LedgerError::OutOfOrder { index });
        }
        if prepared.device_seq > expected {
            return Err(LedgerError::SequenceGap {
                index,
                device: prepared.device,
                expected,
                found: prepared.device_seq,
            });
        }
        if prepared.prev_hash != chain.last_hash {
            return Err(LedgerError::BrokenChain { index });
        }
        let registers = registered_device(event, prepared.body_variant).map_err(at)?;
        if self.mode == VerifyMode::EverySignature || registers.is_some() {
            self.to_verify.push((index, slot));
        }
        chain.last_seq = prepared.device_seq;
        chain.last_hash = prepared.hash;
        chain.last_index = Some(index);
        if let Some((device, public_key)) = registers
            && !self.devices.iter().any(|chain| chain.device == device)
        {
            self.devices.push(DeviceChain {
                device,
                public_key,
                last_seq: 0,
                last_hash: EventHash::ZERO,
                last_index: None,
            });
        }
        self.log_hasher.push(&prepared.hash);
        Ok(())
    }
}

/// The per-event work that needs no other event: header decode, facility check, event hash.
fn prepare(event: &SignedEvent, facility: FacilityId) -> Result<Prepared, LedgerError> {
    let (header, body_variant) = event.header_with_body_variant()?;
    if header.facility != facility {
        return Err(LedgerError::WrongFacility { index: 0 });
    }
    Ok(Prepared {
        hash: event.hash(),
        device: header.device,
        device_seq: header.device_seq,
        prev_hash: header.prev_hash,
        body_variant,
    })
}

/// The first of `checks` ((event index, device slot), in log order) whose signature does not verify.
fn first_bad_signature(
    events: &[SignedEvent],
    checks: &[(usize, usize)],
    devices: &[DeviceChain],
    plan: Parallelism,
) -> Option<usize> {
    in_parallel(
        checks,
        plan.threads,
        plan.min_signatures_per_thread,
        |part| {
            part.iter()
                .find(|(index, slot)| {
                    events[*index]
                        .verify_signature(&devices[*slot].public_key)
                        .is_err()
                })
                .map(|(index, _)| *index)
        },
    )
    .into_iter()
    .flatten()
    .next()
}

/// Split `items` into at most `threads` contiguous chunks of at least `min_per_thread` items, run `work` on each
/// (the calling thread takes the first) and return the results in chunk order.
fn in_parallel<I, R, F>(items: &[I], threads: usize, min_per_thread: usize, work: F) -> Vec<R>
where
    I: Sync,
    R: Send,
    F: Fn(&[I]) -> R + Sync,
{
    let workers = threads.min(items.len() / min_per_thread.max(1)).max(1);
    if workers == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(workers);
    let work = &work;
    std::thread::scope(|scope| {
        let spawned: Vec<_> = items
            .chunks(chunk)
            .skip(1)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        let mut results = Vec::with_capacity(workers);
        results.push(work(&items[..chunk.min(items.len())]));
        for handle in spawned {
            match handle.join() {
                Ok(result) => results.push(result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

/// `error`, raised for the event at `index`, or [`LedgerError::Duplicate`] if an earlier event has the same id —
/// the cause the chains cannot name. Searched only on this error path.
fn duplicate_or(error: LedgerError, index: usize, events: &[SignedEvent]) -> LedgerError {
    let Some(id) = events
        .get(index)
        .and_then(|e| e.header().ok())
        .map(|h| h.event_id)
    else {
        return error;
    };
    let repeated = events[..index]
        .iter()
        .any(|earlier| earlier.header().is_ok_and(|h| h.event_id == id));
    if repeated {
        LedgerError::Duplicate { index }
    } else {
        error
    }
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
    use crate::model::{AuditId, EventId, Facility};
    use std::collections::{HashMap, HashSet};

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

    /// The straightforward sequential walk this module replaced (a set of ids, a map of devices, every check in
    /// order), kept as the reference the parallel walk must agree with, error for error.
    fn reference_verify(
        events: &[SignedEvent],
        anchor: &TrustAnchor,
        head: Option<&LogHead>,
        mode: VerifyMode,
    ) -> Result<VerifyReport, LedgerError> {
        struct Chain {
            public_key: DevicePublicKey,
            last_seq: u64,
            last_hash: EventHash,
            last_index: Option<usize>,
        }
        let mut chains: HashMap<DeviceId, Chain> = HashMap::new();
        let mut seen: HashSet<EventId> = HashSet::new();
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
                    Chain {
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
                chains.entry(device).or_insert(Chain {
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
            let mut heads: Vec<(usize, &DevicePublicKey)> = chains
                .values()
                .filter_map(|c| c.last_index.map(|i| (i, &c.public_key)))
                .collect();
            heads.sort_by_key(|(i, _)| *i);
            for (index, public_key) in heads {
                events[index]
                    .verify_signature(public_key)
                    .map_err(|e| relocate(e, index))?;
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

    /// A facility's log: the founding device, a tablet it registers, both recording audits, interleaved.
    fn two_device_log(events: usize) -> (Vec<SignedEvent>, TrustAnchor, LogHead) {
        let facility = FacilityId::random();
        let founder = (DeviceId::random(), SoftwareSigner::make_random().unwrap());
        let tablet = (DeviceId::random(), SoftwareSigner::make_random().unwrap());
        let anchor = TrustAnchor {
            facility,
            founding_device: founder.0,
            founding_key: founder.1.public_key(),
        };
        let mut tips = [(0u64, EventHash::ZERO), (0u64, EventHash::ZERO)];
        let mut log = Vec::new();
        let mut head = LogHead::empty();
        for n in 0..events {
            let who = if n < 5 || n % 3 != 0 { 0 } else { 1 };
            let (device, signer) = if who == 0 { &founder } else { &tablet };
            let body = match n {
                0 => EventBody::FacilityCreated {
                    facility: Facility {
                        id: facility,
                        name: "x".into(),
                    },
                    public_key: founder.1.public_key(),
                },
                1 => EventBody::DeviceRegistered {
                    device: tablet.0,
                    public_key: tablet.1.public_key(),
                    label: "tablet".into(),
                },
                _ => EventBody::AuditStarted {
                    audit: AuditId::random(),
                },
            };
            let envelope = Envelope {
                event_id: EventId::new_v7(),
                facility,
                device: *device,
                device_seq: tips[who].0 + 1,
                prev_hash: tips[who].1,
                recorded_at: Timestamp(n as i64),
                actor: None,
                body,
            };
            let signed = envelope.sign(signer).unwrap();
            tips[who] = (envelope.device_seq, signed.hash());
            head = head.after(&signed.hash());
            log.push(signed);
        }
        (log, anchor, head)
    }

    const PLANS: [Parallelism; 3] = [
        Parallelism {
            threads: 1,
            batch: usize::MAX,
            min_events_per_thread: 1,
            min_signatures_per_thread: 1,
        },
        Parallelism {
            threads: 3,
            batch: 16,
            min_events_per_thread: 1,
            min_signatures_per_thread: 1,
        },
        Parallelism {
            threads: 2,
            batch: 7,
            min_events_per_thread: 2,
            min_signatures_per_thread: 3,
        },
    ];

    fn assert_agrees_with_the_reference(
        events: &[SignedEvent],
        anchor: &TrustAnchor,
        head: Option<&LogHead>,
        what: &str,
    ) {
        for mode in [VerifyMode::EverySignature, VerifyMode::ChainHeads] {
            let expected = reference_verify(events, anchor, head, mode);
            for plan in PLANS {
                assert_eq!(
                    verify_with(events, anchor, head, mode, plan),
                    expected,
                    "{what}, {mode:?}, {plan:?}"
                );
            }
        }
    }

    #[test]
    fn the_parallel_walk_reports_what_the_sequential_walk_reported_for_every_tampering() {
        let (events, anchor, head) = two_device_log(48);
        assert_agrees_with_the_reference(&events, &anchor, Some(&head), "clean");
        assert!(verify_log(&events, &anchor, Some(&head), VerifyMode::ChainHeads).is_ok());
        for index in (0..events.len()).step_by(5).chain([1, 47]) {
            let mut flipped = events.clone();
            flipped[index].signature.0[7] ^= 1;
            assert_agrees_with_the_reference(&flipped, &anchor, Some(&head), "signature flip");
            let mut flipped = events.clone();
            let last = flipped[index].bytes.len() - 1;
            flipped[index].bytes[last] ^= 1;
            assert_agrees_with_the_reference(&flipped, &anchor, Some(&head), "byte flip");
            let mut deleted = events.clone();
            deleted.remove(index);
            assert_agrees_with_the_reference(&deleted, &anchor, Some(&head), "deletion");
            let mut swapped = events.clone();
            swapped.swap(index, (index + 1) % events.len());
            assert_agrees_with_the_reference(&swapped, &anchor, Some(&head), "swap");
            for target in [index + 1, events.len()] {
                let mut duplicated = events.clone();
                duplicated.insert(target, events[index].clone());
                assert_agrees_with_the_reference(&duplicated, &anchor, None, "duplicate");
                assert_eq!(
                    verify_log(&duplicated, &anchor, None, VerifyMode::ChainHeads),
                    Err(LedgerError::Duplicate { index: target })
                );
            }
            assert_agrees_with_the_reference(&events[..index], &anchor, Some(&head), "truncation");
        }
        // Two problems: the earlier one is reported, whichever stage finds it.
        let mut two = events.clone();
        two[9].signature.0[0] ^= 1;
        two.swap(30, 31);
        assert_agrees_with_the_reference(&two, &anchor, Some(&head), "signature then swap");
        assert_eq!(
            verify_with(&two, &anchor, None, VerifyMode::EverySignature, PLANS[1]),
            Err(LedgerError::BadSignature { index: 9 })
        );
    }

    #[test]
    fn thread_count_does_not_change_the_report_of_a_log_longer_than_a_batch() {
        let (events, anchor, head) = two_device_log(2_100);
        let plan = Parallelism {
            batch: 700,
            ..Parallelism::with_threads(NonZeroUsize::MIN)
        };
        for threads in [1, 2, 4] {
            let plan = Parallelism { threads, ..plan };
            let report =
                verify_with(&events, &anchor, Some(&head), VerifyMode::ChainHeads, plan).unwrap();
            assert_eq!(report.head, head);
            assert_eq!(report.devices, 2);
            let mut broken = events.clone();
            broken.swap(1_500, 1_501);
            assert_eq!(
                verify_with(&broken, &anchor, Some(&head), VerifyMode::ChainHeads, plan),
                reference_verify(&broken, &anchor, Some(&head), VerifyMode::ChainHeads)
            );
        }
    }
}
