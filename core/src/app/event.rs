//! What a shell sends to the app: the event of a tapped button, an edited field, or the result of a platform
//! request. Ids travel as the hyphenated UUID text the view gave them; the app checks every one, so an event
//! forged by a shell (or a browser form) changes nothing and shows a notice.

use super::view::ScreenKind;
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

/// An input field of any screen. The app keeps each field's value between events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FieldId {
    /// The recovery passphrase (unlock). Never kept after the attempt.
    RecoveryPassphrase,
    /// The free text of an "other" purpose.
    PurposeNote,
    /// The colleague an item is handed to.
    Colleague,
    /// To whom an item is released.
    ReleaseTo,
    /// Why a request is denied.
    DenyReason,
    /// Who signs an agreement.
    Signatory,
    /// The signatory's name.
    SignatoryName,
    /// The signatory's relation to the resident.
    Relation,
    /// What happened (incident).
    IncidentKind,
    /// The item concerned (incident).
    IncidentItem,
    /// The police 受理番号.
    ReceiptNumber,
    /// A new resident's name.
    ResidentName,
    /// A new resident's フリガナ.
    ResidentKana,
    /// A new resident's room.
    ResidentRoom,
    /// A new resident's admission date.
    AdmittedOn,
    /// A new locker's kind.
    LockerKind,
    /// A new locker's name.
    LockerName,
    /// Where a new locker stands.
    LockerPlace,
    /// A new member of staff's name.
    StaffName,
    /// A new member of staff's role.
    StaffRole,
    /// A new member of staff's shift.
    StaffShift,
    /// A new member of staff's last training.
    TrainedOn,
    /// Whose compliance training is recorded.
    TrainingStaff,
    /// When that training took place.
    TrainingDate,
    /// Whose paper agreement is recorded.
    AgreementResident,
    /// What a paper agreement covers.
    AgreementScope,
    /// Whether a paper agreement covers the PIN envelope too.
    AgreementPin,
    /// A paper agreement's exact text.
    AgreementText,
    /// When a paper agreement was signed.
    SignedOn,
    /// The facility's policy text (Cedar).
    PolicyText,
    /// Whose new item.
    ItemResident,
    /// What the new item is.
    ItemKind,
    /// Where the new item is kept.
    ItemLocker,
    /// The number printed on a PIN envelope (never the PIN).
    EnvelopeNumber,
    /// The expiry printed on a document.
    DocumentExpiresOn,
}

/// Everything a shell can send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AppEvent {
    /// Open a screen (from the home screen or a menu).
    Open {
        /// The screen.
        screen: ScreenKind,
    },
    /// Go back one screen.
    Back,
    /// A field was edited.
    Edit {
        /// The field.
        field: FieldId,
        /// Its new value.
        value: String,
    },
    /// Unlock the store with the platform key vault.
    UnlockWithVault,
    /// Unlock the store with the recovery passphrase entered.
    UnlockWithPassphrase,
    /// Sign in a member of staff on this shared device.
    SignIn {
        /// The member of staff.
        staff: String,
    },
    /// Sign out.
    SignOut,
    /// Lock the store (every key leaves memory).
    Lock,
    /// Show everything in another language.
    SetLanguage {
        /// The language.
        language: Locale,
    },
    /// Ask for the camera to read a locker's QR label.
    ScanLabel,
    /// A QR code was read, or a label's link was opened from outside the app.
    Scanned {
        /// The text read (the label's URL).
        text: String,
    },
    /// The camera was closed without reading anything.
    ScanCancelled,
    /// The card reader was closed (the NFC sheet dismissed) without a card.
    CardCancelled,
    /// An item was chosen in the scanned locker.
    ChooseItem {
        /// The item.
        item: String,
    },
    /// The purpose of a checkout was chosen.
    ChoosePurpose {
        /// The purpose's value, from the view.
        purpose: String,
    },
    /// Take the item out (allowed or approved).
    CheckOut,
    /// Ask a supervisor to approve the checkout.
    RequestApproval,
    /// Look whether the supervisor has answered.
    CheckApproval,
    /// Open one of my checkout requests where it stands (waiting, or approved and ready to take out).
    ResumeRequest {
        /// The request.
        request: String,
    },
    /// Ask for the My Number card to be tapped, to prove it is the right card.
    TapCard,
    /// Put the item back.
    ReturnItem,
    /// Start the handover again from the locker scan.
    StartOver,
    /// Hand an item I hold to the colleague chosen.
    HandOver {
        /// The item.
        item: String,
    },
    /// Release an item I hold to the person chosen.
    Release {
        /// The item.
        item: String,
    },
    /// Approve a pending request.
    Approve {
        /// The request.
        request: String,
    },
    /// Deny a pending request with the reason entered.
    Deny {
        /// The request.
        request: String,
    },
    /// Open a resident's custody agreement.
    OpenConsent {
        /// The resident.
        resident: String,
    },
    /// The alternatives to leaving a PIN were explained.
    AcknowledgeAlternatives,
    /// Also agree to the PIN envelope being held.
    ConfirmPinEnvelope,
    /// Take back the PIN-envelope choice.
    WithdrawPinEnvelope,
    /// Agree to custody under the text shown, signed as entered.
    ConfirmCustody,
    /// Revoke the resident's agreements.
    RevokeConsent,
    /// Start an audit.
    StartAudit,
    /// The scanned locker's item is there.
    MarkFound {
        /// The item.
        item: String,
    },
    /// The scanned locker's item is not there.
    MarkMissing {
        /// The item.
        item: String,
    },
    /// Complete the audit with its summary.
    CompleteAudit,
    /// Open an incident of the kind and item entered.
    OpenIncident,
    /// Open an incident already under way.
    ResumeIncident {
        /// The incident.
        incident: String,
    },
    /// A checklist step was done.
    CompleteStep {
        /// The step's value, from the view.
        step: String,
    },
    /// The police report was filed with the 受理番号 entered.
    RecordPoliceReport,
    /// Close the incident.
    CloseIncident,
    /// Show every item on the board.
    ShowAll,
    /// Show one resident's items on the board.
    ShowResident {
        /// The resident.
        resident: String,
    },
    /// Admit the resident entered.
    AdmitResident,
    /// Register the locker entered.
    RegisterLocker,
    /// Add the member of staff entered.
    AddStaff,
    /// Register the item entered.
    RegisterItem,
    /// Record the compliance training entered.
    RecordTraining,
    /// Record the paper custody agreement entered.
    RecordPaperAgreement,
    /// Replace the facility's policy with the text entered.
    ReplacePolicy,
    /// Issue a new QR label for every locker, as a sheet to print.
    IssueLabels,
    /// Sync with the hub now.
    SyncNow,
    /// An administrator acknowledges the damage found in this device's ledger (it records again; restore the
    /// device from the hub as soon as possible).
    AcknowledgeDamage,
    /// Export the ledger (管理簿) as CSV.
    ExportLedger,
    /// The file asked for was shared, saved or printed (or the person closed the sheet).
    FileShared,
}
