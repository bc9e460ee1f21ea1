//! What can happen: the typed bodies of ledger events.
//!
//! Bodies carry ids, kinds, times and [`Sealed`] personal data; never a plaintext name, and never a My Number or a
//! PIN (those are not even representable here). New variants are only ever appended at the end: the encoding of
//! a variant is its position.

use crate::clock::Timestamp;
use crate::crypto::{DevicePublicKey, Sealed};
use crate::ledger::EventHash;
use crate::model::{
    AuditId, CustodyAgreement, DeviceId, Facility, IncidentId, Item, ItemId, Locker, LockerId,
    Purpose, RequestId, Resident, ResidentId, Staff, StaffId,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The result of checking the card tapped on return against the card registered for the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardCheck {
    /// No card was read (not a card, or no reader).
    NotChecked,
    /// Same card, same certificate.
    Matched,
    /// Same card serial with a renewed certificate; the item's dates were updated.
    MatchedWithNewCertificate,
}

/// Why an item leaves custody for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReleaseTo {
    /// 本人へ返却.
    Resident,
    /// 家族・法定代理人へ引渡し.
    Family,
    /// 退所に伴う返却.
    Discharge,
}

/// Why an item was retired from the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetireReason {
    /// Replaced by a newer card or certificate.
    Replaced,
    /// Expired and returned to the issuer or destroyed as the issuer instructs.
    Expired,
    /// Registered by mistake.
    RegisteredInError,
}

/// What an auditor found for one expected item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditFinding {
    /// In its locker as the ledger says.
    Found,
    /// Not in the locker although the ledger says it should be.
    Missing,
    /// In a locker where the ledger does not expect it.
    Unexpected,
}

/// The signed summary closing an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// Items the ledger expected in the lockers.
    pub expected: u32,
    /// Items found where expected.
    pub found: u32,
    /// Items expected but not found.
    pub missing: Vec<ItemId>,
    /// Items found where they were not expected.
    pub unexpected: Vec<ItemId>,
}

/// What kind of incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncidentKind {
    /// 紛失 inside the facility.
    LostInside,
    /// 紛失 outside the facility (a police 遺失届 is needed).
    LostOutside,
    /// 盗難 (a police 盗難届 is needed).
    Stolen,
    /// 漏えい of personal data (PPC report deadlines apply).
    Leak,
}

/// One step of the incident checklist of DOMAIN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncidentStep {
    /// Called マイナンバー総合フリーダイヤル 0120-95-0178 to suspend the card.
    SuspensionCall,
    /// Filed a police 遺失届 / 盗難届 (its 受理番号 is the step's reference).
    PoliceReport,
    /// Filed the 紛失届 at the city office.
    CityOfficeLossReport,
    /// Applied for 再交付.
    ReissueApplied,
    /// Applied for an interim 資格確認書.
    InterimCertificateApplied,
    /// Sent the preliminary report to the PPC (速報, about 3–5 days).
    PpcPreliminaryReport,
    /// Sent the final report to the PPC (確報, 30 or 60 days).
    PpcFinalReport,
    /// Informed the person concerned.
    PersonNotified,
}

/// What happened. See the module documentation for the rules on adding variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventBody {
    /// The facility was created on its founding device, whose key is the ledger's trust anchor.
    FacilityCreated {
        /// The facility.
        facility: Facility,
        /// The founding device's public key.
        public_key: DevicePublicKey,
    },
    /// A further device was enrolled.
    DeviceRegistered {
        /// The new device.
        device: DeviceId,
        /// Its public key.
        public_key: DevicePublicKey,
        /// A label such as "2F タブレット" (not personal data).
        label: String,
    },
    /// A member of staff was added.
    StaffAdded {
        /// The staff record.
        staff: Staff,
    },
    /// A member of staff's roles, shifts or status changed.
    StaffChanged {
        /// The new staff record.
        staff: Staff,
    },
    /// A member of staff completed compliance training.
    StaffTrained {
        /// Who.
        staff: StaffId,
        /// When.
        on: NaiveDate,
    },
    /// A resident was admitted.
    ResidentAdmitted {
        /// The resident record.
        resident: Resident,
    },
    /// A resident was discharged.
    ResidentDischarged {
        /// Who.
        resident: ResidentId,
        /// When.
        on: NaiveDate,
    },
    /// A resident's keys were erased after the retention period; their sealed data is unreadable from now on.
    ResidentErased {
        /// Who.
        resident: ResidentId,
    },
    /// A locker, safe or cabinet was registered.
    LockerRegistered {
        /// The locker.
        locker: Locker,
    },
    /// An item was taken into custody and registered.
    ItemRegistered {
        /// The item; it starts in its home locker.
        item: Item,
    },
    /// An item's record changed (dates, card identity, home locker).
    ItemUpdated {
        /// The new item record.
        item: Item,
    },
    /// An item was removed from the register.
    ItemRetired {
        /// Which.
        item: ItemId,
        /// Why.
        reason: RetireReason,
    },
    /// A custody agreement was recorded.
    AgreementRecorded {
        /// The agreement.
        agreement: CustodyAgreement,
    },
    /// A custody agreement was revoked.
    AgreementRevoked {
        /// Which.
        agreement: crate::model::AgreementId,
        /// From when.
        revoked_at: Timestamp,
    },
    /// A checkout that the rules send for approval was requested (the actor is the requester).
    CheckoutRequested {
        /// The request.
        request: RequestId,
        /// The item asked for.
        item: ItemId,
        /// Why.
        purpose: Purpose,
        /// When it is due back.
        due_at: Timestamp,
    },
    /// A request was approved (the actor is the approver; the device signs for them).
    ApprovalGranted {
        /// The request.
        request: RequestId,
        /// Hash of the request's event: the approval is bound to exactly that request.
        request_hash: EventHash,
    },
    /// A request was denied.
    ApprovalDenied {
        /// The request.
        request: RequestId,
        /// Hash of the request's event.
        request_hash: EventHash,
        /// The approver's reason, sealed under the facility key.
        reason: Option<Sealed>,
    },
    /// An item left its locker with the actor.
    CheckedOut {
        /// Which.
        item: ItemId,
        /// From which locker.
        from_locker: LockerId,
        /// Why.
        purpose: Purpose,
        /// When it is due back.
        due_at: Timestamp,
        /// The approved request, when one was needed.
        approval: Option<RequestId>,
    },
    /// An item was put back into a locker by the actor.
    Returned {
        /// Which.
        item: ItemId,
        /// Into which locker.
        to_locker: LockerId,
        /// The card identity check.
        card_check: CardCheck,
    },
    /// An item passed from one member of staff to another.
    HandedOver {
        /// Which.
        item: ItemId,
        /// From whom.
        from: StaffId,
        /// To whom.
        to: StaffId,
    },
    /// An item was left with a hospital (e.g. on admission after emergency transport).
    DepositedWithHospital {
        /// Which.
        item: ItemId,
    },
    /// An item left custody for good.
    Released {
        /// Which.
        item: ItemId,
        /// To whom.
        to: ReleaseTo,
    },
    /// An audit (stocktake) began.
    AuditStarted {
        /// The audit.
        audit: AuditId,
    },
    /// One item was checked during an audit.
    AuditItemVerified {
        /// The audit.
        audit: AuditId,
        /// The item.
        item: ItemId,
        /// Where it was looked for or found.
        locker: LockerId,
        /// What was found.
        finding: AuditFinding,
    },
    /// An audit closed with its summary.
    AuditCompleted {
        /// The audit.
        audit: AuditId,
        /// The summary of discrepancies.
        summary: AuditSummary,
    },
    /// An incident was opened.
    IncidentOpened {
        /// The incident.
        incident: IncidentId,
        /// The item concerned, if any.
        item: Option<ItemId>,
        /// What happened.
        kind: IncidentKind,
    },
    /// A checklist step of an incident was done.
    IncidentStepDone {
        /// The incident.
        incident: IncidentId,
        /// The step.
        step: IncidentStep,
        /// A reference such as the police 受理番号, sealed under the facility key.
        reference: Option<Sealed>,
    },
    /// An incident was closed.
    IncidentClosed {
        /// The incident.
        incident: IncidentId,
    },
    /// The facility's policy set was replaced.
    PolicyUpdated {
        /// Version number, one more than the previous.
        version: u32,
        /// The policy text.
        policy: String,
    },
    /// The facility's locker-label signing key was created; labels verify offline against this public key.
    LabelKeyCreated {
        /// The public key (Ed25519, 32 bytes).
        public_key: Vec<u8>,
    },
    /// A QR label was issued for a locker; it supersedes every earlier label of that locker.
    LabelIssued {
        /// The locker.
        locker: LockerId,
        /// The label's serial number, one more than the locker's previous label.
        serial: u32,
    },
    /// A locker's label was revoked (lost, damaged, copied).
    LabelRevoked {
        /// The locker.
        locker: LockerId,
        /// The revoked label's serial number.
        serial: u32,
    },
    /// A card tapped to return an item was not the item's card; the return was refused.
    CardMismatch {
        /// The item whose return was refused.
        item: ItemId,
    },
    /// A passkey (WebAuthn) was registered in the hub's browser pages, for a member of staff or for the family
    /// member of an agreement; later [`EventBody::PasskeySigned`] events verify against its public key.
    PasskeyRegistered {
        /// Whose passkey.
        owner: super::passkey::PasskeyOwner,
        /// Its credential id, public key, RP ID and origin.
        key: super::passkey::PasskeyKey,
    },
    /// A decision signed with a registered passkey over the exact text shown (see [`super::passkey`]).
    PasskeySigned {
        /// What was decided.
        decision: super::passkey::DecisionKind,
        /// About which request or agreement.
        subject: super::passkey::DecisionSubject,
        /// The hash of the decision event it signs (`ApprovalGranted`, `ApprovalDenied`, `AgreementRevoked`);
        /// none for a consent, which this event itself records.
        decided: Option<EventHash>,
        /// SHA-256 of the text shown to the person.
        text_sha256: [u8; 32],
        /// The one-time random nonce of the challenge.
        nonce: [u8; 32],
        /// The browser's assertion.
        assertion: super::passkey::PasskeyAssertion,
    },
}

impl EventBody {
    /// A short stable name of the event kind, for the store's plaintext `kind` column and for exports.
    pub fn kind_name(&self) -> &'static str {
        match self {
            EventBody::FacilityCreated { .. } => "facility_created",
            EventBody::DeviceRegistered { .. } => "device_registered",
            EventBody::StaffAdded { .. } => "staff_added",
            EventBody::StaffChanged { .. } => "staff_changed",
            EventBody::StaffTrained { .. } => "staff_trained",
            EventBody::ResidentAdmitted { .. } => "resident_admitted",
            EventBody::ResidentDischarged { .. } => "resident_discharged",
            EventBody::ResidentErased { .. } => "resident_erased",
            EventBody::LockerRegistered { .. } => "locker_registered",
            EventBody::ItemRegistered { .. } => "item_registered",
            EventBody::ItemUpdated { .. } => "item_updated",
            EventBody::ItemRetired { .. } => "item_retired",
            EventBody::AgreementRecorded { .. } => "agreement_recorded",
            EventBody::AgreementRevoked { .. } => "agreement_revoked",
            EventBody::CheckoutRequested { .. } => "checkout_requested",
            EventBody::ApprovalGranted { .. } => "approval_granted",
            EventBody::ApprovalDenied { .. } => "approval_denied",
            EventBody::CheckedOut { .. } => "checked_out",
            EventBody::Returned { .. } => "returned",
            EventBody::HandedOver { .. } => "handed_over",
            EventBody::DepositedWithHospital { .. } => "deposited_with_hospital",
            EventBody::Released { .. } => "released",
            EventBody::AuditStarted { .. } => "audit_started",
            EventBody::AuditItemVerified { .. } => "audit_item_verified",
            EventBody::AuditCompleted { .. } => "audit_completed",
            EventBody::IncidentOpened { .. } => "incident_opened",
            EventBody::IncidentStepDone { .. } => "incident_step_done",
            EventBody::IncidentClosed { .. } => "incident_closed",
            EventBody::PolicyUpdated { .. } => "policy_updated",
            EventBody::LabelKeyCreated { .. } => "label_key_created",
            EventBody::LabelIssued { .. } => "label_issued",
            EventBody::LabelRevoked { .. } => "label_revoked",
            EventBody::CardMismatch { .. } => "card_mismatch",
            EventBody::PasskeyRegistered { .. } => "passkey_registered",
            EventBody::PasskeySigned { .. } => "passkey_signed",
        }
    }
}
