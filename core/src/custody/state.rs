//! The folded state: registries and the custody of every item.

use super::Discrepancy;
use crate::clock::Timestamp;
use crate::ledger::{AuditFinding, AuditSummary, EventHash, IncidentKind, IncidentStep, ReleaseTo};
use crate::model::{
    AgreementId, AuditId, CustodyAgreement, Facility, IncidentId, Item, ItemCategory, ItemId,
    Locker, LockerId, Purpose, RequestId, Resident, ResidentId, Staff, StaffId,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where an item is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Custody {
    /// In a locker.
    InLocker {
        /// Which locker.
        locker: LockerId,
        /// Since when.
        since: Timestamp,
    },
    /// Out with a member of staff.
    Out {
        /// Who holds it.
        holder: StaffId,
        /// Since when.
        since: Timestamp,
        /// Why.
        purpose: Purpose,
        /// When it is due back.
        due_at: Timestamp,
        /// The approved request, if one was needed.
        approval: Option<RequestId>,
    },
    /// Left with a hospital.
    WithHospital {
        /// Since when.
        since: Timestamp,
    },
    /// Reported lost or stolen.
    Lost {
        /// Since when.
        since: Timestamp,
        /// The incident.
        incident: IncidentId,
    },
    /// Left custody for good.
    Released {
        /// To whom.
        to: ReleaseTo,
        /// When.
        at: Timestamp,
    },
}

impl Custody {
    /// Whether the item is out past its due time at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        matches!(self, Custody::Out { due_at, .. } if *due_at < now)
    }

    /// Whether the facility is responsible for the item in this state.
    pub fn is_held(&self) -> bool {
        matches!(
            self,
            Custody::InLocker { .. } | Custody::Out { .. } | Custody::WithHospital { .. }
        )
    }
}

/// An item and its custody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// The item as last registered or updated.
    pub item: Item,
    /// Where it is.
    pub custody: Custody,
    /// Whether it was retired from the register.
    pub retired: bool,
}

/// Where a checkout request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    /// Waiting for an approver.
    Pending,
    /// Approved by this member of staff.
    Granted(StaffId),
    /// Denied by this member of staff.
    Denied(StaffId),
    /// Approved and used by a checkout (an approval is good for one checkout only).
    Used,
}

/// A checkout request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The item.
    pub item: ItemId,
    /// Who asked.
    pub requester: Option<StaffId>,
    /// Why.
    pub purpose: Purpose,
    /// When it would be due back.
    pub due_at: Timestamp,
    /// When it was asked.
    pub requested_at: Timestamp,
    /// Hash of the request event; approvals must name it.
    pub hash: EventHash,
    /// Where it stands.
    pub status: RequestStatus,
}

/// An audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Who started it.
    pub started_by: Option<StaffId>,
    /// When.
    pub started_at: Timestamp,
    /// What was found per item.
    pub findings: BTreeMap<ItemId, AuditFinding>,
    /// The closing summary, once complete.
    pub summary: Option<AuditSummary>,
    /// When it completed.
    pub completed_at: Option<Timestamp>,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    /// The item concerned, if any.
    pub item: Option<ItemId>,
    /// What happened.
    pub kind: IncidentKind,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Checklist steps done, with when.
    pub steps: Vec<(IncidentStep, Timestamp)>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
}

/// Everything the ledger says, folded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyState {
    /// The facility, once created.
    pub facility: Option<Facility>,
    /// Staff by id.
    pub staff: BTreeMap<StaffId, Staff>,
    /// Residents by id.
    pub residents: BTreeMap<ResidentId, Resident>,
    /// Residents whose keys were erased.
    pub erased_residents: BTreeSet<ResidentId>,
    /// Lockers by id.
    pub lockers: BTreeMap<LockerId, Locker>,
    /// Items by id.
    pub items: BTreeMap<ItemId, ItemRecord>,
    /// Agreements by id.
    pub agreements: BTreeMap<AgreementId, CustodyAgreement>,
    /// Checkout requests by id.
    pub requests: BTreeMap<RequestId, RequestRecord>,
    /// Audits by id.
    pub audits: BTreeMap<AuditId, AuditRecord>,
    /// Incidents by id.
    pub incidents: BTreeMap<IncidentId, IncidentRecord>,
    /// The current policy set and its version, if one was recorded.
    pub policy: Option<(u32, String)>,
    /// Conflicts found between facts, in fold order.
    pub recorded_discrepancies: Vec<Discrepancy>,
    /// The facility's label-signing public key, once created.
    pub label_key: Option<Vec<u8>>,
    /// QR labels per locker.
    pub labels: BTreeMap<LockerId, LabelRecord>,
    /// Time of the latest event folded.
    pub as_of: Option<Timestamp>,
}

/// The QR labels of one locker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRecord {
    /// Serial of the label in force (earlier serials are superseded).
    pub current: u32,
    /// Revoked serials.
    pub revoked: BTreeSet<u32>,
}

impl CustodyState {
    /// Whether an active agreement covers `item` at `at`.
    pub fn is_covered(&self, item: &Item, at: Timestamp) -> bool {
        let category = item.kind.category();
        self.agreements
            .values()
            .any(|a| a.resident == item.resident && a.is_active_at(at) && a.scope.covers(category))
    }

    /// Items out of their lockers past their due time at `now`.
    pub fn overdue(&self, now: Timestamp) -> Vec<ItemId> {
        self.items
            .iter()
            .filter(|(_, r)| !r.retired && r.custody.is_overdue(now))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every discrepancy: those recorded between facts, and those in the current state at `now` (custody without
    /// an active agreement; a PIN envelope beside the same resident's card).
    pub fn discrepancies(&self, now: Timestamp) -> Vec<Discrepancy> {
        let mut all = self.recorded_discrepancies.clone();
        let mut cards: BTreeSet<(ResidentId, LockerId)> = BTreeSet::new();
        let mut envelopes: BTreeSet<(ResidentId, LockerId)> = BTreeSet::new();
        for (id, record) in &self.items {
            if record.retired || !record.custody.is_held() {
                continue;
            }
            if !self.is_covered(&record.item, now) {
                all.push(Discrepancy::CustodyWithoutAgreement {
                    item: *id,
                    resident: record.item.resident,
                });
            }
            if let Custody::InLocker { locker, .. } = record.custody {
                match record.item.kind.category() {
                    ItemCategory::MynaCard => {
                        cards.insert((record.item.resident, locker));
                    }
                    ItemCategory::PinEnvelope => {
                        envelopes.insert((record.item.resident, locker));
                    }
                    _ => {}
                }
            }
        }
        for (resident, locker) in cards.intersection(&envelopes) {
            all.push(Discrepancy::PinEnvelopeWithCard {
                resident: *resident,
                locker: *locker,
            });
        }
        all
    }
}
