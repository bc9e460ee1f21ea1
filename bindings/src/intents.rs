//! Mirrors of the core's intents: what a shell sends back to a flow. Ids are hyphenated UUID strings taken from a
//! view; dates are `YYYY-MM-DD` text exactly as the core's forms take them. Conversions are in [`crate::convert`].

use crate::views::{
    CardAuth, ConsentChannel, IncidentKind, IncidentStep, ItemCategory, LockerKind, PurposeChoice,
    ReleaseTo, Role, Shift, Signatory,
};

/// What the caregiver does on the handover screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum HandoverIntent {
    /// A locker was chosen by its id (from a list, or a label already verified with `Facility.scanLabel`).
    ScanLocker {
        /// The locker.
        locker_id: String,
    },
    /// A locker's QR label was scanned: the text the camera read, verified offline before the locker is opened.
    ScanLabel {
        /// The scanned text (the label's URL).
        text: String,
    },
    /// An item was chosen from the list (to take out if it is in the locker, to return if you hold it).
    ChooseItem {
        /// The item.
        item_id: String,
    },
    /// The purpose was chosen (and, for "other", explained).
    ChoosePurpose {
        /// The purpose.
        purpose: PurposeChoice,
        /// Required for `PurposeChoice.Other`; sealed under the resident's key.
        note: Option<String>,
    },
    /// Take the item out (after an allowed decision or an approval) or put it back (after the card check).
    Confirm,
    /// Ask a supervisor to approve.
    RequestApproval,
    /// Look whether the supervisor has answered.
    CheckApproval,
    /// Hand an item you hold to a colleague.
    HandOver {
        /// The item.
        item_id: String,
        /// The colleague.
        to_staff_id: String,
    },
    /// End custody of an item: give it to the resident or family.
    Release {
        /// The item.
        item_id: String,
        /// To whom.
        to: ReleaseTo,
    },
    /// Start over.
    Restart,
}

/// What the supervisor does in the approval inbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ApprovalIntent {
    /// Approve a request.
    Approve {
        /// The request.
        request_id: String,
    },
    /// Deny a request, with a reason shown to the requester.
    Deny {
        /// The request.
        request_id: String,
        /// Why (required; sealed under the facility key).
        reason: String,
    },
}

/// What the signatory (through the signed-in staff) does on the consent screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentIntent {
    /// The explanation of the face-auth card and the 資格確認書 was read.
    AcknowledgeAlternatives,
    /// Also agree to the facility holding a sealed PIN envelope (only after the explanation was acknowledged).
    ConfirmPinEnvelope,
    /// Take back the PIN-envelope choice before confirming.
    WithdrawPinEnvelope,
    /// Agree to custody under the text shown.
    ConfirmCustody {
        /// Who signs.
        signatory: Signatory,
        /// The signatory's name (sealed under the resident's key).
        signatory_name: String,
        /// Relation to the resident, such as 本人, 長女, 成年後見人 (sealed).
        relation: String,
        /// Where they confirmed.
        channel: ConsentChannel,
    },
    /// Revoke every agreement of the resident in force.
    Revoke,
}

/// What the auditor does on the audit screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AuditIntent {
    /// Start a new audit.
    Start,
    /// A locker was scanned (its id, from `Facility.scanLabel`).
    ScanLocker {
        /// The locker.
        locker_id: String,
    },
    /// An expected item is in the scanned locker.
    MarkFound {
        /// The item.
        item_id: String,
    },
    /// An expected item is not in the scanned locker.
    MarkMissing {
        /// The item.
        item_id: String,
    },
    /// An item the ledger does not expect there was found in the scanned locker.
    MarkUnexpected {
        /// The item.
        item_id: String,
    },
    /// Close the audit with its summary.
    Complete,
}

/// What the member of staff does on the incident screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum IncidentIntent {
    /// Open an incident.
    Open {
        /// What happened.
        kind: IncidentKind,
        /// The item concerned: required for a lost or stolen item, optional for a leak.
        item_id: Option<String>,
    },
    /// The next checklist step was done (the police report needs `RecordPoliceReport`).
    CompleteStep {
        /// The step.
        step: IncidentStep,
    },
    /// The police report was filed; its 受理番号 is sealed into the record.
    RecordPoliceReport {
        /// The 受理番号 given by the police.
        receipt_number: String,
    },
    /// Close the incident (every step must be done).
    Close,
}

/// The kind of a new item, as chosen on the setup form.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum NewItemKind {
    /// マイナ保険証.
    MynaCard {
        /// Face-auth only, or with a PIN.
        auth: CardAuth,
    },
    /// 暗証番号封筒, with the number printed on the envelope (never the PIN).
    PinEnvelope {
        /// The envelope's number; sealed under the resident's key.
        envelope_number: String,
    },
    /// 資格確認書.
    EligibilityCertificate,
    /// 資格情報のお知らせ.
    EligibilityNotice,
    /// 介護保険被保険者証.
    CareInsuranceCard,
    /// 健康保険証 (historical only).
    LegacyInsuranceCard,
}

/// A new item, as entered. Dates are `YYYY-MM-DD` (or `YYYY/MM/DD`); an empty date is not known.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemForm {
    /// Whose item it is.
    pub resident_id: String,
    /// What it is.
    pub kind: NewItemKind,
    /// Where it is kept.
    pub home_locker_id: String,
    /// カードの有効期限 (cards only).
    pub card_expires_on: String,
    /// 電子証明書の有効期限 (cards only).
    pub certificate_expires_on: String,
    /// The expiry printed on a document (not for cards or PIN envelopes).
    pub document_expires_on: String,
}

/// A custody agreement signed on paper, as entered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgreementForm {
    /// Whose items it covers.
    pub resident_id: String,
    /// Who signed.
    pub signatory: Signatory,
    /// The signatory's name.
    pub signatory_name: String,
    /// The signatory's relation to the resident (本人, 長女, 成年後見人…).
    pub relation: String,
    /// The categories of items held (never the PIN envelope: that is `pin_envelope`).
    pub items: Vec<ItemCategory>,
    /// Whether the PIN envelope is held too, consented to separately.
    pub pin_envelope: bool,
    /// The exact text agreed, word for word.
    pub text: String,
    /// The date signed, `YYYY-MM-DD`; empty for now.
    pub signed_on: String,
}

/// What an administrator does on the setup screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SetupIntent {
    /// Admit a resident.
    AdmitResident {
        /// 氏名.
        name: String,
        /// フリガナ (katakana or hiragana).
        kana: String,
        /// 居室 (may be empty).
        room: String,
        /// 入所日, `YYYY-MM-DD`.
        admitted_on: String,
    },
    /// Register a locker, safe or cabinet.
    RegisterLocker {
        /// What it is.
        kind: LockerKind,
        /// Its name as on its label.
        name: String,
        /// Where it stands (may be empty).
        place: String,
    },
    /// Register an item taken into custody.
    RegisterItem {
        /// The form.
        form: ItemForm,
    },
    /// Add a member of staff.
    AddStaff {
        /// Display name.
        name: String,
        /// Roles (at least one).
        roles: Vec<Role>,
        /// Shifts worked.
        shifts: Vec<Shift>,
        /// Last compliance training, `YYYY-MM-DD`; empty when none.
        trained_on: String,
    },
    /// Record a member of staff's compliance training.
    RecordTraining {
        /// Who.
        staff_id: String,
        /// When, `YYYY-MM-DD` (not in the future).
        on: String,
    },
    /// Record a custody agreement signed on paper.
    RecordPaperAgreement {
        /// The form.
        form: AgreementForm,
    },
    /// Replace the facility's policy set.
    ReplacePolicy {
        /// The new Cedar policy text.
        text: String,
    },
}

/// What a supervisor does on the board.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BoardIntent {
    /// Show every item.
    ShowAll,
    /// Show one resident's items.
    ShowResident {
        /// The resident.
        resident_id: String,
    },
    /// Show the items in one locker (and those out that belong in it).
    ShowLocker {
        /// The locker.
        locker_id: String,
    },
}
