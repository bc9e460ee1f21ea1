//! Taking in events recorded by the facility's other devices (from the hub): one at a time, or a whole pulled
//! batch in one transaction — one fsync for the batch instead of one per event.

use super::{Appended, DeviceTip, Ingested, Store, StoreError, head_blob, insert_event_row};
use crate::crypto::KeyOwner;
use crate::custody::Applied;
use crate::ledger::{Envelope, EventBody, EventHash, LedgerError, SignedEvent};
use crate::model::{DeviceId, EventId};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::{HashMap, HashSet};

impl Store {
    /// Take in an event recorded by another device of this facility (from the hub). Its device must be
    /// registered, its signature valid and it must extend its device's chain; a repeat is recognised and ignored.
    pub fn ingest(&mut self, signed: &SignedEvent) -> Result<Ingested, StoreError> {
        Ok(
            match self.ingest_all(std::slice::from_ref(signed))?.first() {
                Some(appended) => Ingested::Appended(*appended),
                None => Ingested::AlreadyPresent,
            },
        )
    }

    /// Take in events from other devices in order, in one transaction: each is checked as [`Store::ingest`]
    /// checks it (an event may rely on one before it in the batch, such as a device's registration), and repeats
    /// are skipped. All or nothing: if one event fails its checks, none is kept and the error names it. Returns
    /// what was appended, in order.
    pub fn ingest_all(&mut self, events: &[SignedEvent]) -> Result<Vec<Appended>, StoreError> {
        if self.options.read_only {
            return Err(StoreError::ReadOnly);
        }
        self.refuse_if_damaged()?;
        let mut devices = self.devices.clone();
        let mut head = self.head;
        let mut accepted: Vec<(Envelope, Appended)> = Vec::new();
        let mut erased: Vec<KeyOwner> = Vec::new();
        let mut in_batch: HashSet<EventId> = HashSet::new();
        let changes = self.ring.pending_changes();
        let tx = self.conn.transaction()?;
        // Pending key changes first, so an erasure below also removes a key made but not yet persisted.
        super::persist_key_changes(&tx, &changes)?;
        for signed in events {
            // Problems name the event by the log_index it would have here.
            let at = head.length + 1;
            let envelope = signed
                .decode()
                .map_err(|e| super::integrity::renumber(e, at))?;
            if envelope.facility != self.facility {
                return Err(LedgerError::WrongFacility {
                    index: usize::try_from(at).unwrap_or(usize::MAX),
                }
                .into());
            }
            if in_batch.contains(&envelope.event_id) || is_stored(&tx, envelope.event_id)? {
                continue;
            }
            check_extends(&devices, &envelope, signed).map_err(|error| match error {
                StoreError::Ledger(problem) => {
                    StoreError::Ledger(super::integrity::renumber(problem, at))
                }
                other => other,
            })?;
            let hash = signed.hash();
            head = head.after(&hash);
            insert_event_row(&tx, &head, &envelope, signed)?;
            if let EventBody::ResidentErased { resident } = &envelope.body {
                let owner = KeyOwner::Resident(*resident);
                tx.execute(
                    "DELETE FROM keys WHERE owner_kind = ?1 AND owner_id = ?2",
                    params![owner.kind(), owner.id_text()],
                )?;
                erased.push(owner);
            }
            advance_tip(&mut devices, &envelope, hash);
            in_batch.insert(envelope.event_id);
            let appended = Appended {
                event_id: envelope.event_id,
                log_index: head.length,
                hash,
            };
            accepted.push((envelope, appended));
        }
        if accepted.is_empty() {
            return Ok(Vec::new());
        }
        super::Meta::put(&tx, super::meta::LOG_HEAD, &head_blob(&self.ring, &head)?)?;
        tx.commit()?;
        self.ring.mark_persisted(&changes);
        for owner in erased {
            self.ring.erase_owner(owner);
        }
        self.head = head;
        self.devices = devices;
        self.fold_in(&accepted)?;
        Ok(accepted.into_iter().map(|(_, appended)| appended).collect())
    }

    /// Fold committed events into the custody state (refolding once from the database if one of them is earlier
    /// than what is already folded), and snapshot when it is time.
    pub(super) fn fold_in(&mut self, committed: &[(Envelope, Appended)]) -> Result<(), StoreError> {
        let mut refold = false;
        for (envelope, appended) in committed {
            if !refold && self.fold.apply(envelope, appended.hash) == Applied::NeedsRefold {
                refold = true;
            }
        }
        if refold {
            self.fold = self.full_fold()?;
        }
        self.appended_since_snapshot += committed.len() as u64;
        if self.appended_since_snapshot >= self.options.snapshot_every {
            self.save_snapshot()?;
        }
        Ok(())
    }
}

/// Whether the local log already holds the event with this id.
fn is_stored(tx: &Transaction<'_>, event_id: EventId) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM events WHERE event_id = ?1")?
        .query_row([event_id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Check that `signed` comes from a registered device, verifies, and extends that device's chain exactly.
fn check_extends(
    devices: &HashMap<DeviceId, DeviceTip>,
    envelope: &Envelope,
    signed: &SignedEvent,
) -> Result<(), StoreError> {
    let tip = devices
        .get(&envelope.device)
        .ok_or(LedgerError::UnknownDevice {
            index: 0,
            device: envelope.device,
        })?;
    signed.verify_signature(&tip.public_key)?;
    let expected = tip.last_seq + 1;
    if envelope.device_seq < expected {
        return Err(LedgerError::OutOfOrder { index: 0 }.into());
    }
    if envelope.device_seq > expected {
        return Err(LedgerError::SequenceGap {
            index: 0,
            device: envelope.device,
            expected,
            found: envelope.device_seq,
        }
        .into());
    }
    if envelope.prev_hash != tip.last_hash {
        return Err(LedgerError::BrokenChain { index: 0 }.into());
    }
    Ok(())
}

/// Move the event's device to it, and learn the device a registration introduces.
pub(super) fn advance_tip(
    devices: &mut HashMap<DeviceId, DeviceTip>,
    envelope: &Envelope,
    hash: EventHash,
) {
    if let Some(tip) = devices.get_mut(&envelope.device) {
        tip.last_seq = envelope.device_seq;
        tip.last_hash = hash;
    }
    if let EventBody::DeviceRegistered {
        device, public_key, ..
    } = &envelope.body
    {
        devices.entry(*device).or_insert(DeviceTip {
            public_key: public_key.clone(),
            last_seq: 0,
            last_hash: EventHash::ZERO,
        });
    }
}
