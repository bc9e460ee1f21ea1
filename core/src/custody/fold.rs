//! Applying events to the state, one at a time, in [`FoldKey`] order.

use super::Discrepancy;
use super::state::{
    AuditRecord, Custody, CustodyState, IncidentRecord, ItemRecord, RequestRecord, RequestStatus,
};
use crate::clock::Timestamp;
use crate::ledger::Envelope;
use crate::ledger::{EventBody, EventHash, IncidentKind};
use crate::model::{DeviceId, ItemId};
use serde::{Deserialize, Serialize};

/// The order of the fold: recorded time, then device, then the device's sequence number. Unique per event in a
/// valid log (a device never reuses a sequence number), and the same on every device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FoldKey {
    /// When the event was recorded.
    pub recorded_at: Timestamp,
    /// The recording device.
    pub device: DeviceId,
    /// Its sequence number.
    pub device_seq: u64,
}

impl FoldKey {
    /// The key of an event.
    pub fn of(envelope: &Envelope) -> Self {
        FoldKey {
            recorded_at: envelope.recorded_at,
            device: envelope.device,
            device_seq: envelope.device_seq,
        }
    }
}

/// What [`CustodyFold::apply`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Folded in.
    Folded,
    /// Already folded (same key as the latest); ignored.
    Duplicate,
    /// Earlier than the latest folded event: the caller must refold from scratch (see [`CustodyFold::fold_all`]).
    NeedsRefold,
}

/// The state plus the position of the fold, so it can continue incrementally and be persisted as a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyFold {
    /// The state so far.
    pub state: CustodyState,
    /// Key of the latest event folded.
    pub last_key: Option<FoldKey>,
    /// Number of events folded.
    pub folded: u64,
}

impl CustodyFold {
    /// Fold a whole set of events: sorted by key, duplicates dropped. Any order and any repetition of the same
    /// set gives the same result.
    pub fn fold_all<'a>(events: impl IntoIterator<Item = (&'a Envelope, EventHash)>) -> Self {
        let mut sorted: Vec<(FoldKey, &'a Envelope, EventHash)> = events
            .into_iter()
            .map(|(e, h)| (FoldKey::of(e), e, h))
            .collect();
        sorted.sort_by_key(|(key, _, _)| *key);
        sorted.dedup_by_key(|(key, _, _)| *key);
        let mut fold = CustodyFold::default();
        for (_, envelope, hash) in sorted {
            fold.apply(envelope, hash);
        }
        fold
    }

    /// Fold one more event, if it comes after every event folded so far.
    pub fn apply(&mut self, envelope: &Envelope, hash: EventHash) -> Applied {
        let key = FoldKey::of(envelope);
        match self.last_key {
            Some(last) if key == last => return Applied::Duplicate,
            Some(last) if key < last => return Applied::NeedsRefold,
            _ => {}
        }
        apply_body(&mut self.state, envelope, hash);
        self.state.as_of = Some(envelope.recorded_at);
        self.last_key = Some(key);
        self.folded += 1;
        Applied::Folded
    }
}

fn apply_body(state: &mut CustodyState, envelope: &Envelope, hash: EventHash) {
    let at = envelope.recorded_at;
    let event = envelope.event_id;
    match &envelope.body {
        EventBody::FacilityCreated { facility, .. } => state.facility = Some(facility.clone()),
        EventBody::DeviceRegistered { .. } => {}
        EventBody::StaffAdded { staff } | EventBody::StaffChanged { staff } => {
            state.staff.insert(staff.id, staff.clone());
        }
        EventBody::StaffTrained { staff, on } => {
            if let Some(member) = state.staff.get_mut(staff) {
                member.trained_on = Some(member.trained_on.map_or(*on, |d| d.max(*on)));
            }
        }
        EventBody::ResidentAdmitted { resident } => {
            state.residents.insert(resident.id, resident.clone());
        }
        EventBody::ResidentDischarged { resident, on } => {
            if let Some(r) = state.residents.get_mut(resident) {
                r.discharged_on = Some(*on);
            }
        }
        EventBody::ResidentErased { resident } => {
            state.erased_residents.insert(*resident);
        }
        EventBody::LockerRegistered { locker } => {
            state.lockers.insert(locker.id, locker.clone());
        }
        EventBody::ItemRegistered { item } => {
            let custody = Custody::InLocker {
                locker: item.home_locker,
                since: at,
            };
            state.items.insert(
                item.id,
                ItemRecord {
                    item: item.clone(),
                    custody,
                    retired: false,
                },
            );
        }
        EventBody::ItemUpdated { item } => match state.items.get_mut(&item.id) {
            Some(record) => record.item = item.clone(),
            None => state.recorded_discrepancies.push(Discrepancy::UnknownItem {
                item: item.id,
                event,
            }),
        },
        EventBody::ItemRetired { item, .. } => {
            if let Some(record) = item_or_flag(state, *item, event) {
                record.retired = true;
            }
        }
        EventBody::AgreementRecorded { agreement } => {
            state.agreements.insert(agreement.id, agreement.clone());
        }
        EventBody::AgreementRevoked {
            agreement,
            revoked_at,
        } => {
            if let Some(a) = state.agreements.get_mut(agreement) {
                a.revoked_at = Some(a.revoked_at.map_or(*revoked_at, |r| r.min(*revoked_at)));
            }
        }
        EventBody::CheckoutRequested {
            request,
            item,
            purpose,
            due_at,
        } => {
            state.requests.insert(
                *request,
                RequestRecord {
                    item: *item,
                    requester: envelope.actor,
                    purpose: purpose.clone(),
                    due_at: *due_at,
                    requested_at: at,
                    hash,
                    status: RequestStatus::Pending,
                },
            );
        }
        EventBody::ApprovalGranted {
            request,
            request_hash,
        } => {
            if let (Some(record), Some(approver)) =
                (state.requests.get_mut(request), envelope.actor)
                && record.hash == *request_hash
                && record.status == RequestStatus::Pending
            {
                record.status = RequestStatus::Granted(approver);
            }
        }
        EventBody::ApprovalDenied {
            request,
            request_hash,
            ..
        } => {
            if let (Some(record), Some(approver)) =
                (state.requests.get_mut(request), envelope.actor)
                && record.hash == *request_hash
                && record.status == RequestStatus::Pending
            {
                record.status = RequestStatus::Denied(approver);
            }
        }
        EventBody::CheckedOut {
            item,
            purpose,
            due_at,
            approval,
            ..
        } => {
            if let Some(request) = approval.and_then(|r| state.requests.get_mut(&r)) {
                request.status = RequestStatus::Used;
            }
            let holder = envelope.actor;
            let Some(record) = item_or_flag(state, *item, event) else {
                return;
            };
            match (&record.custody, holder) {
                (Custody::Out { holder: first, .. }, Some(second)) => {
                    let first = *first;
                    state
                        .recorded_discrepancies
                        .push(Discrepancy::DoubleCheckout {
                            item: *item,
                            holder: first,
                            second,
                            event,
                            at,
                        });
                }
                (_, Some(holder)) => {
                    record.custody = Custody::Out {
                        holder,
                        since: at,
                        purpose: purpose.clone(),
                        due_at: *due_at,
                        approval: *approval,
                    };
                }
                (_, None) => {}
            }
        }
        EventBody::Returned {
            item, to_locker, ..
        } => {
            let Some(record) = item_or_flag(state, *item, event) else {
                return;
            };
            let was_in_locker = matches!(record.custody, Custody::InLocker { .. });
            let home = record.item.home_locker;
            record.custody = Custody::InLocker {
                locker: *to_locker,
                since: at,
            };
            if was_in_locker {
                state
                    .recorded_discrepancies
                    .push(Discrepancy::ReturnWithoutCheckout {
                        item: *item,
                        event,
                        at,
                    });
            }
            if home != *to_locker {
                state
                    .recorded_discrepancies
                    .push(Discrepancy::ReturnToWrongLocker {
                        item: *item,
                        expected: home,
                        actual: *to_locker,
                        event,
                        at,
                    });
            }
        }
        EventBody::HandedOver { item, from, to } => {
            let Some(record) = item_or_flag(state, *item, event) else {
                return;
            };
            match &mut record.custody {
                Custody::Out { holder, .. } if holder == from => *holder = *to,
                _ => state
                    .recorded_discrepancies
                    .push(Discrepancy::HandoverNotFromHolder {
                        item: *item,
                        event,
                        at,
                    }),
            }
        }
        EventBody::DepositedWithHospital { item } => {
            if let Some(record) = item_or_flag(state, *item, event) {
                record.custody = Custody::WithHospital { since: at };
            }
        }
        EventBody::Released { item, to } => {
            if let Some(record) = item_or_flag(state, *item, event) {
                record.custody = Custody::Released { to: *to, at };
            }
        }
        EventBody::AuditStarted { audit } => {
            state.audits.insert(
                *audit,
                AuditRecord {
                    started_by: envelope.actor,
                    started_at: at,
                    findings: Default::default(),
                    summary: None,
                    completed_at: None,
                },
            );
        }
        EventBody::AuditItemVerified {
            audit,
            item,
            finding,
            ..
        } => {
            if let Some(record) = state.audits.get_mut(audit) {
                record.findings.insert(*item, *finding);
            }
        }
        EventBody::AuditCompleted { audit, summary } => {
            if let Some(record) = state.audits.get_mut(audit) {
                record.summary = Some(summary.clone());
                record.completed_at = Some(at);
            }
        }
        EventBody::IncidentOpened {
            incident,
            item,
            kind,
        } => {
            state.incidents.insert(
                *incident,
                IncidentRecord {
                    item: *item,
                    kind: *kind,
                    opened_at: at,
                    steps: Vec::new(),
                    closed_at: None,
                },
            );
            if *kind != IncidentKind::Leak
                && let Some(record) = item.and_then(|i| item_or_flag(state, i, event))
            {
                record.custody = Custody::Lost {
                    since: at,
                    incident: *incident,
                };
            }
        }
        EventBody::IncidentStepDone { incident, step, .. } => {
            if let Some(record) = state.incidents.get_mut(incident) {
                record.steps.push((*step, at));
            }
        }
        EventBody::IncidentClosed { incident } => {
            if let Some(record) = state.incidents.get_mut(incident) {
                record.closed_at = Some(at);
            }
        }
        EventBody::LabelKeyCreated { public_key } => {
            // The first key stands; a second would be a conflict between devices, resolved by the fold order.
            if state.label_key.is_none() {
                state.label_key = Some(public_key.clone());
            }
        }
        EventBody::LabelIssued { locker, serial } => {
            let record = state.labels.entry(*locker).or_default();
            record.current = record.current.max(*serial);
        }
        EventBody::LabelRevoked { locker, serial } => {
            state
                .labels
                .entry(*locker)
                .or_default()
                .revoked
                .insert(*serial);
        }
        EventBody::CardMismatch { item } => {
            state
                .recorded_discrepancies
                .push(Discrepancy::CardMismatch {
                    item: *item,
                    event,
                    at,
                });
        }
        // Passkey evidence for the hub's browser pages: checked by `ledger::passkey`, no custody state.
        EventBody::PasskeyRegistered { .. } | EventBody::PasskeySigned { .. } => {}
        EventBody::PolicyUpdated { version, policy } => {
            if state.policy.as_ref().is_none_or(|(v, _)| version > v) {
                state.policy = Some((*version, policy.clone()));
            }
        }
    }
}

/// The item's record, or `None` with an [`Discrepancy::UnknownItem`] recorded.
fn item_or_flag(
    state: &mut CustodyState,
    item: ItemId,
    event: crate::model::EventId,
) -> Option<&mut ItemRecord> {
    if !state.items.contains_key(&item) {
        state
            .recorded_discrepancies
            .push(Discrepancy::UnknownItem { item, event });
    }
    state.items.get_mut(&item)
}
