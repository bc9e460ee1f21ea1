//! Every conversion between the core's types and their mirrors ([`crate::views`], [`crate::intents`]), in one
//! place. Views convert infallibly (`From`); intents carry ids as text and convert with `TryFrom`, the one place
//! where a malformed id becomes [`AzukariError::InvalidId`].

use crate::error::AzukariError;
use crate::intents as ffi_intent;
use crate::views as ffi;
use azukari_core::alerts::Severity as CoreSeverity;
use azukari_core::flows::approval as core_approval;
use azukari_core::flows::audit as core_audit;
use azukari_core::flows::board as core_board;
use azukari_core::flows::consent as core_consent;
use azukari_core::flows::handover as core_handover;
use azukari_core::flows::incident as core_incident;
use azukari_core::flows::setup as core_setup;
use azukari_core::flows::{
    Notice as CoreNotice, NoticeKind as CoreNoticeKind, ReasonView as CoreReasonView,
};
use azukari_core::i18n::Locale as CoreLocale;
use azukari_core::ledger::{
    AuditFinding as CoreAuditFinding, IncidentKind as CoreIncidentKind,
    IncidentStep as CoreIncidentStep, ReleaseTo as CoreReleaseTo,
};
use azukari_core::model::{
    AgreementId, CardAuth as CoreCardAuth, IncidentId, ItemCategory as CoreItemCategory, ItemId,
    LegalRepresentative as CoreLegalRepresentative, LockerId, LockerKind as CoreLockerKind,
    RequestId, ResidentId, Role as CoreRole, Shift as CoreShift, Signatory as CoreSignatory,
    StaffId,
};
use azukari_core::rules::PolicyProblem as CorePolicyProblem;

// ---------------------------------------------------------------------------------------------------------------
// Ids

/// Parse an id sent back by a shell.
pub(crate) trait ParseId: Sized {
    /// What the id names, for the error message.
    const WHAT: &'static str;
    /// Parse the hyphenated text form.
    fn parse_text(text: &str) -> Result<Self, uuid::Error>;
}

macro_rules! parse_ids {
    ($($id:ident => $what:literal),+ $(,)?) => {
        $(impl ParseId for $id {
            const WHAT: &'static str = $what;
            fn parse_text(text: &str) -> Result<Self, uuid::Error> {
                $id::parse(text)
            }
        })+
    };
}

parse_ids!(
    StaffId => "staff id",
    ResidentId => "resident id",
    ItemId => "item id",
    LockerId => "locker id",
    RequestId => "request id",
    AgreementId => "agreement id",
    IncidentId => "incident id",
);

/// Parse `text` as an id of type `I`, or say which id was malformed.
pub(crate) fn id<I: ParseId>(text: &str) -> Result<I, AzukariError> {
    I::parse_text(text.trim()).map_err(|_| AzukariError::invalid_id(I::WHAT))
}

fn opt_id<I: ParseId>(text: Option<String>) -> Result<Option<I>, AzukariError> {
    text.map(|text| id(&text)).transpose()
}

fn text<T: std::fmt::Display>(id: T) -> String {
    id.to_string()
}

fn texts<T: std::fmt::Display>(ids: Option<T>) -> Option<String> {
    ids.map(text)
}

fn all<A, B: From<A>>(values: Vec<A>) -> Vec<B> {
    values.into_iter().map(B::from).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Plain enums, both ways

macro_rules! both_ways {
    ($ffi:ty, $core:ident, [$($variant:ident),+ $(,)?]) => {
        impl From<$core> for $ffi {
            fn from(value: $core) -> Self {
                match value {
                    $($core::$variant => <$ffi>::$variant,)+
                }
            }
        }
        impl From<$ffi> for $core {
            fn from(value: $ffi) -> Self {
                match value {
                    $(<$ffi>::$variant => $core::$variant,)+
                }
            }
        }
    };
}

both_ways!(ffi::Language, CoreLocale, [Ja, En]);
both_ways!(ffi::NoticeKind, CoreNoticeKind, [Error, Warning, Info]);
both_ways!(
    ffi::Role,
    CoreRole,
    [
        Caregiver,
        CardHandler,
        PinManager,
        Supervisor,
        Admin,
        Auditor
    ]
);
both_ways!(ffi::Shift, CoreShift, [Day, Night]);
both_ways!(
    ffi::LockerKind,
    CoreLockerKind,
    [CardLocker, PinSafe, DocumentCabinet]
);
both_ways!(ffi::CardAuth, CoreCardAuth, [FaceOnly, Pin]);
both_ways!(
    ffi::ItemCategory,
    CoreItemCategory,
    [
        MynaCard,
        PinEnvelope,
        EligibilityCertificate,
        EligibilityNotice,
        CareInsuranceCard,
        LegacyInsuranceCard
    ]
);
both_ways!(
    ffi::LegalRepresentative,
    CoreLegalRepresentative,
    [ParentalAuthority, AdultGuardian]
);
both_ways!(ffi::ReleaseTo, CoreReleaseTo, [Resident, Family, Discharge]);
both_ways!(
    ffi::AuditFinding,
    CoreAuditFinding,
    [Found, Missing, Unexpected]
);
both_ways!(
    ffi::IncidentKind,
    CoreIncidentKind,
    [LostInside, LostOutside, Stolen, Leak]
);
both_ways!(
    ffi::IncidentStep,
    CoreIncidentStep,
    [
        SuspensionCall,
        PoliceReport,
        CityOfficeLossReport,
        ReissueApplied,
        InterimCertificateApplied,
        PpcPreliminaryReport,
        PpcFinalReport,
        PersonNotified
    ]
);
both_ways!(ffi::Severity, CoreSeverity, [Urgent, Warning, Info]);

use core_handover::PurposeChoice as CorePurposeChoice;
both_ways!(
    ffi::PurposeChoice,
    CorePurposeChoice,
    [
        MedicalVisit,
        EmergencyTransport,
        Renewal,
        FaceAuthSwitch,
        Reissue,
        ReturnToResident,
        HandToFamily,
        Discharge,
        Audit,
        Other
    ]
);
use core_handover::HandoverStep as CoreHandoverStep;
both_ways!(
    ffi::HandoverStep,
    CoreHandoverStep,
    [
        ScanLocker,
        ChooseItem,
        ChoosePurpose,
        ReadyToCheckOut,
        NeedsApproval,
        WaitingForApproval,
        CheckedOut,
        CardCheck,
        Returned,
        HandedOver,
        Released
    ]
);
use core_consent::ConsentChannel as CoreConsentChannel;
both_ways!(ffi::ConsentChannel, CoreConsentChannel, [App, Web]);
use core_consent::ConsentStep as CoreConsentStep;
both_ways!(
    ffi::ConsentStep,
    CoreConsentStep,
    [Alternatives, Agreement, Recorded, Revoked]
);
use core_consent::ConsentAction as CoreConsentAction;
both_ways!(
    ffi::ConsentAction,
    CoreConsentAction,
    [
        AcknowledgeAlternatives,
        ConfirmPinEnvelope,
        WithdrawPinEnvelope,
        ConfirmCustody,
        Revoke
    ]
);
use core_audit::AuditStep as CoreAuditStep;
both_ways!(
    ffi::AuditStep,
    CoreAuditStep,
    [NotStarted, ScanLocker, Locker, Completed]
);
use core_audit::AuditAction as CoreAuditAction;
both_ways!(
    ffi::AuditAction,
    CoreAuditAction,
    [Start, MarkFound, MarkMissing, Complete]
);
use core_incident::IncidentFlowStep as CoreIncidentFlowStep;
both_ways!(
    ffi::IncidentFlowStep,
    CoreIncidentFlowStep,
    [ChooseKind, Checklist, Closed]
);
use core_incident::StepState as CoreStepState;
both_ways!(ffi::StepState, CoreStepState, [Done, Next, Pending]);
use core_incident::IncidentAction as CoreIncidentAction;
both_ways!(
    ffi::IncidentAction,
    CoreIncidentAction,
    [Open, CompleteStep, RecordPoliceReport, Close]
);

impl From<CoreSignatory> for ffi::Signatory {
    fn from(value: CoreSignatory) -> Self {
        match value {
            CoreSignatory::Resident => ffi::Signatory::Resident,
            CoreSignatory::LegalRepresentative(representative) => {
                ffi::Signatory::LegalRepresentative {
                    representative: representative.into(),
                }
            }
            CoreSignatory::FamilyWithConsent => ffi::Signatory::FamilyWithConsent,
        }
    }
}

impl From<ffi::Signatory> for CoreSignatory {
    fn from(value: ffi::Signatory) -> Self {
        match value {
            ffi::Signatory::Resident => CoreSignatory::Resident,
            ffi::Signatory::LegalRepresentative { representative } => {
                CoreSignatory::LegalRepresentative(representative.into())
            }
            ffi::Signatory::FamilyWithConsent => CoreSignatory::FamilyWithConsent,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Common records

impl From<CoreNotice> for ffi::Notice {
    fn from(value: CoreNotice) -> Self {
        ffi::Notice {
            kind: value.kind.into(),
            text: value.text,
        }
    }
}

impl From<CoreReasonView> for ffi::ReasonView {
    fn from(value: CoreReasonView) -> Self {
        ffi::ReasonView {
            rule: value.rule,
            text: value.text,
            cites: value.cites,
        }
    }
}

impl From<CorePolicyProblem> for ffi::PolicyProblem {
    fn from(value: CorePolicyProblem) -> Self {
        ffi::PolicyProblem {
            line: value.line as u64,
            column: value.column as u64,
            message: value.message,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Handover

impl TryFrom<ffi_intent::HandoverIntent> for core_handover::HandoverIntent {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::HandoverIntent) -> Result<Self, AzukariError> {
        use core_handover::HandoverIntent as Core;
        use ffi_intent::HandoverIntent as Ffi;
        Ok(match value {
            Ffi::ScanLocker { locker_id } => Core::ScanLocker {
                locker: id(&locker_id)?,
            },
            Ffi::ScanLabel { text } => Core::ScanLabel { text },
            Ffi::ChooseItem { item_id } => Core::ChooseItem {
                item: id(&item_id)?,
            },
            Ffi::ChoosePurpose { purpose, note } => Core::ChoosePurpose {
                purpose: purpose.into(),
                note,
            },
            Ffi::Confirm => Core::Confirm,
            Ffi::RequestApproval => Core::RequestApproval,
            Ffi::CheckApproval => Core::CheckApproval,
            Ffi::HandOver {
                item_id,
                to_staff_id,
            } => Core::HandOver {
                item: id(&item_id)?,
                to: id(&to_staff_id)?,
            },
            Ffi::Release { item_id, to } => Core::Release {
                item: id(&item_id)?,
                to: to.into(),
            },
            Ffi::Restart => Core::Restart,
        })
    }
}

impl From<core_handover::ItemRow> for ffi::ItemRow {
    fn from(value: core_handover::ItemRow) -> Self {
        ffi::ItemRow {
            item_id: text(value.item),
            label: value.label,
            custody: value.custody,
            action: value.action,
        }
    }
}

impl From<core_handover::PurposeOption> for ffi::PurposeOption {
    fn from(value: core_handover::PurposeOption) -> Self {
        ffi::PurposeOption {
            choice: value.choice.into(),
            label: value.label,
        }
    }
}

impl From<core_handover::DecisionView> for ffi::DecisionView {
    fn from(value: core_handover::DecisionView) -> Self {
        ffi::DecisionView {
            headline: value.headline,
            reasons: all(value.reasons),
        }
    }
}

impl From<core_handover::HandoverView> for ffi::HandoverView {
    fn from(value: core_handover::HandoverView) -> Self {
        ffi::HandoverView {
            title: value.title,
            step: value.step.into(),
            instruction: value.instruction,
            locker: value.locker,
            item: value.item,
            items: all(value.items),
            purposes: all(value.purposes),
            decision: value.decision.map(Into::into),
            card_check: value.card_check,
            confirm: value.confirm,
            notice: value.notice.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Approval

impl TryFrom<ffi_intent::ApprovalIntent> for core_approval::ApprovalIntent {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::ApprovalIntent) -> Result<Self, AzukariError> {
        Ok(match value {
            ffi_intent::ApprovalIntent::Approve { request_id } => {
                core_approval::ApprovalIntent::Approve {
                    request: id(&request_id)?,
                }
            }
            ffi_intent::ApprovalIntent::Deny { request_id, reason } => {
                core_approval::ApprovalIntent::Deny {
                    request: id(&request_id)?,
                    reason,
                }
            }
        })
    }
}

impl From<core_approval::RequestRow> for ffi::RequestRow {
    fn from(value: core_approval::RequestRow) -> Self {
        ffi::RequestRow {
            request_id: text(value.request),
            requester: value.requester,
            item: value.item,
            purpose: value.purpose,
            when: value.when,
            rules: all(value.rules),
            can_decide: value.can_decide,
        }
    }
}

impl From<core_approval::ApprovalView> for ffi::ApprovalView {
    fn from(value: core_approval::ApprovalView) -> Self {
        ffi::ApprovalView {
            title: value.title,
            summary: value.summary,
            requests: all(value.requests),
            approve: value.approve,
            deny: value.deny,
            notice: value.notice.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Consent

impl From<ffi::ConsentOffer> for core_consent::ConsentOffer {
    fn from(value: ffi::ConsentOffer) -> Self {
        core_consent::ConsentOffer {
            text: value.text,
            items: value.items.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ffi_intent::ConsentIntent> for core_consent::ConsentIntent {
    fn from(value: ffi_intent::ConsentIntent) -> Self {
        use core_consent::ConsentIntent as Core;
        use ffi_intent::ConsentIntent as Ffi;
        match value {
            Ffi::AcknowledgeAlternatives => Core::AcknowledgeAlternatives,
            Ffi::ConfirmPinEnvelope => Core::ConfirmPinEnvelope,
            Ffi::WithdrawPinEnvelope => Core::WithdrawPinEnvelope,
            Ffi::ConfirmCustody {
                signatory,
                signatory_name,
                relation,
                channel,
            } => Core::ConfirmCustody {
                signatory: signatory.into(),
                signatory_name,
                relation,
                channel: channel.into(),
            },
            Ffi::Revoke => Core::Revoke,
        }
    }
}

impl From<core_consent::ConsentButton> for ffi::ConsentButton {
    fn from(value: core_consent::ConsentButton) -> Self {
        ffi::ConsentButton {
            label: value.label,
            action: value.action.into(),
        }
    }
}

impl From<core_consent::Explanation> for ffi::Explanation {
    fn from(value: core_consent::Explanation) -> Self {
        ffi::Explanation {
            heading: value.heading,
            body: value.body,
        }
    }
}

impl From<core_consent::SignatoryOption> for ffi::SignatoryOption {
    fn from(value: core_consent::SignatoryOption) -> Self {
        ffi::SignatoryOption {
            signatory: value.signatory.into(),
            label: value.label,
        }
    }
}

impl From<core_consent::PinEnvelopeChoice> for ffi::PinEnvelopeChoice {
    fn from(value: core_consent::PinEnvelopeChoice) -> Self {
        ffi::PinEnvelopeChoice {
            available: value.available,
            confirmed: value.confirmed,
            explanation: value.explanation,
            status: value.status,
        }
    }
}

impl From<core_consent::AgreementRow> for ffi::AgreementRow {
    fn from(value: core_consent::AgreementRow) -> Self {
        ffi::AgreementRow {
            agreement_id: text(value.agreement),
            text: value.text,
            signatory: value.signatory,
            covers: value.covers,
            signed: value.signed,
            status: value.status,
            active: value.active,
        }
    }
}

impl From<core_consent::ConsentView> for ffi::ConsentView {
    fn from(value: core_consent::ConsentView) -> Self {
        ffi::ConsentView {
            title: value.title,
            step: value.step.into(),
            resident: value.resident,
            instruction: value.instruction,
            alternatives: all(value.alternatives),
            card: value.card,
            agreement_text: value.agreement_text,
            covers: value.covers,
            pin_envelope: value.pin_envelope.into(),
            signatories: all(value.signatories),
            agreements: all(value.agreements),
            buttons: all(value.buttons),
            notice: value.notice.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Audit

impl TryFrom<ffi_intent::AuditIntent> for core_audit::AuditIntent {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::AuditIntent) -> Result<Self, AzukariError> {
        use core_audit::AuditIntent as Core;
        use ffi_intent::AuditIntent as Ffi;
        Ok(match value {
            Ffi::Start => Core::Start,
            Ffi::ScanLocker { locker_id } => Core::ScanLocker {
                locker: id(&locker_id)?,
            },
            Ffi::MarkFound { item_id } => Core::MarkFound {
                item: id(&item_id)?,
            },
            Ffi::MarkMissing { item_id } => Core::MarkMissing {
                item: id(&item_id)?,
            },
            Ffi::MarkUnexpected { item_id } => Core::MarkUnexpected {
                item: id(&item_id)?,
            },
            Ffi::Complete => Core::Complete,
        })
    }
}

impl From<core_audit::AuditButton> for ffi::AuditButton {
    fn from(value: core_audit::AuditButton) -> Self {
        ffi::AuditButton {
            label: value.label,
            action: value.action.into(),
        }
    }
}

impl From<core_audit::AuditRow> for ffi::AuditRow {
    fn from(value: core_audit::AuditRow) -> Self {
        ffi::AuditRow {
            item_id: text(value.item),
            label: value.label,
            finding: value.finding.map(Into::into),
            status: value.status,
            buttons: all(value.buttons),
        }
    }
}

impl From<core_audit::AuditProgress> for ffi::AuditProgress {
    fn from(value: core_audit::AuditProgress) -> Self {
        ffi::AuditProgress {
            checked: value.checked,
            expected: value.expected,
            text: value.text,
        }
    }
}

impl From<core_audit::LockerProgress> for ffi::LockerProgress {
    fn from(value: core_audit::LockerProgress) -> Self {
        ffi::LockerProgress {
            locker_id: text(value.locker),
            name: value.name,
            checked: value.checked,
            expected: value.expected,
            text: value.text,
        }
    }
}

impl From<core_audit::AuditSummaryView> for ffi::AuditSummaryView {
    fn from(value: core_audit::AuditSummaryView) -> Self {
        ffi::AuditSummaryView {
            text: value.text,
            missing: value.missing,
            unexpected: value.unexpected,
        }
    }
}

impl From<core_audit::AuditView> for ffi::AuditView {
    fn from(value: core_audit::AuditView) -> Self {
        ffi::AuditView {
            title: value.title,
            step: value.step.into(),
            instruction: value.instruction,
            locker: value.locker,
            expected: all(value.expected),
            unexpected: all(value.unexpected),
            progress: value.progress.map(Into::into),
            lockers: all(value.lockers),
            completion_note: value.completion_note,
            summary: value.summary.map(Into::into),
            buttons: all(value.buttons),
            notice: value.notice.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Incident

impl TryFrom<ffi_intent::IncidentIntent> for core_incident::IncidentIntent {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::IncidentIntent) -> Result<Self, AzukariError> {
        use core_incident::IncidentIntent as Core;
        use ffi_intent::IncidentIntent as Ffi;
        Ok(match value {
            Ffi::Open { kind, item_id } => Core::Open {
                kind: kind.into(),
                item: opt_id(item_id)?,
            },
            Ffi::CompleteStep { step } => Core::CompleteStep { step: step.into() },
            Ffi::RecordPoliceReport { receipt_number } => {
                Core::RecordPoliceReport { receipt_number }
            }
            Ffi::Close => Core::Close,
        })
    }
}

impl From<core_incident::IncidentButton> for ffi::IncidentButton {
    fn from(value: core_incident::IncidentButton) -> Self {
        ffi::IncidentButton {
            label: value.label,
            action: value.action.into(),
            kind: value.kind.map(Into::into),
            step: value.step.map(Into::into),
        }
    }
}

impl From<core_incident::KindOption> for ffi::KindOption {
    fn from(value: core_incident::KindOption) -> Self {
        ffi::KindOption {
            kind: value.kind.into(),
            label: value.label,
            description: value.description,
        }
    }
}

impl From<core_incident::Hotline> for ffi::Hotline {
    fn from(value: core_incident::Hotline) -> Self {
        ffi::Hotline {
            phone: value.phone,
            fax: value.fax,
            text: value.text,
        }
    }
}

impl From<core_incident::ChecklistRow> for ffi::ChecklistRow {
    fn from(value: core_incident::ChecklistRow) -> Self {
        ffi::ChecklistRow {
            step: value.step.into(),
            label: value.label,
            state: value.state.into(),
            status: value.status,
            deadline: value.deadline,
            overdue: value.overdue,
            hint: value.hint,
            hotline: value.hotline.map(Into::into),
            reference_prompt: value.reference_prompt,
        }
    }
}

impl From<core_incident::PpcDeadlines> for ffi::PpcDeadlines {
    fn from(value: core_incident::PpcDeadlines) -> Self {
        ffi::PpcDeadlines {
            preliminary: value.preliminary,
            final_report: value.final_report,
            final_report_improper: value.final_report_improper,
            note: value.note,
        }
    }
}

impl From<core_incident::IncidentView> for ffi::IncidentView {
    fn from(value: core_incident::IncidentView) -> Self {
        ffi::IncidentView {
            title: value.title,
            step: value.step.into(),
            instruction: value.instruction,
            kinds: all(value.kinds),
            kind: value.kind,
            item: value.item,
            opened: value.opened,
            checklist: all(value.checklist),
            progress: value.progress,
            ppc: value.ppc.map(Into::into),
            buttons: all(value.buttons),
            notice: value.notice.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Setup

impl From<ffi_intent::NewItemKind> for core_setup::NewItemKind {
    fn from(value: ffi_intent::NewItemKind) -> Self {
        use core_setup::NewItemKind as Core;
        use ffi_intent::NewItemKind as Ffi;
        match value {
            Ffi::MynaCard { auth } => Core::MynaCard { auth: auth.into() },
            Ffi::PinEnvelope { envelope_number } => Core::PinEnvelope { envelope_number },
            Ffi::EligibilityCertificate => Core::EligibilityCertificate,
            Ffi::EligibilityNotice => Core::EligibilityNotice,
            Ffi::CareInsuranceCard => Core::CareInsuranceCard,
            Ffi::LegacyInsuranceCard => Core::LegacyInsuranceCard,
        }
    }
}

impl TryFrom<ffi_intent::ItemForm> for core_setup::ItemForm {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::ItemForm) -> Result<Self, AzukariError> {
        Ok(core_setup::ItemForm {
            resident: id(&value.resident_id)?,
            kind: value.kind.into(),
            home_locker: id(&value.home_locker_id)?,
            card_expires_on: value.card_expires_on,
            certificate_expires_on: value.certificate_expires_on,
            document_expires_on: value.document_expires_on,
        })
    }
}

impl TryFrom<ffi_intent::AgreementForm> for core_setup::AgreementForm {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::AgreementForm) -> Result<Self, AzukariError> {
        Ok(core_setup::AgreementForm {
            resident: id(&value.resident_id)?,
            signatory: value.signatory.into(),
            signatory_name: value.signatory_name,
            relation: value.relation,
            items: all(value.items),
            pin_envelope: value.pin_envelope,
            text: value.text,
            signed_on: value.signed_on,
        })
    }
}

impl TryFrom<ffi_intent::SetupIntent> for core_setup::SetupIntent {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::SetupIntent) -> Result<Self, AzukariError> {
        use core_setup::SetupIntent as Core;
        use ffi_intent::SetupIntent as Ffi;
        Ok(match value {
            Ffi::AdmitResident {
                name,
                kana,
                room,
                admitted_on,
            } => Core::AdmitResident {
                name,
                kana,
                room,
                admitted_on,
            },
            Ffi::RegisterLocker { kind, name, place } => Core::RegisterLocker {
                kind: kind.into(),
                name,
                place,
            },
            Ffi::RegisterItem { form } => Core::RegisterItem(form.try_into()?),
            Ffi::AddStaff {
                name,
                roles,
                shifts,
                trained_on,
            } => Core::AddStaff {
                name,
                roles: all(roles),
                shifts: all(shifts),
                trained_on,
            },
            Ffi::RecordTraining { staff_id, on } => Core::RecordTraining {
                staff: id(&staff_id)?,
                on,
            },
            Ffi::RecordPaperAgreement { form } => Core::RecordPaperAgreement(form.try_into()?),
            Ffi::ReplacePolicy { text } => Core::ReplacePolicy { text },
        })
    }
}

impl From<core_setup::SetupDone> for ffi::SetupDone {
    fn from(value: core_setup::SetupDone) -> Self {
        use core_setup::SetupDone as Core;
        use ffi::SetupDone as Ffi;
        match value {
            Core::ResidentAdmitted(resident) => Ffi::ResidentAdmitted {
                resident_id: text(resident),
            },
            Core::LockerRegistered(locker) => Ffi::LockerRegistered {
                locker_id: text(locker),
            },
            Core::ItemRegistered(item) => Ffi::ItemRegistered {
                item_id: text(item),
            },
            Core::StaffAdded(staff) => Ffi::StaffAdded {
                staff_id: text(staff),
            },
            Core::StaffTrained(staff, on) => Ffi::StaffTrained {
                staff_id: text(staff),
                on: on.format("%Y-%m-%d").to_string(),
            },
            Core::AgreementRecorded(agreement) => Ffi::AgreementRecorded {
                agreement_id: text(agreement),
            },
            Core::PolicyReplaced(version) => Ffi::PolicyReplaced { version },
        }
    }
}

macro_rules! choices {
    ($($ffi:ident),+ $(,)?) => {
        $(impl<T> From<core_setup::Choice<T>> for ffi::$ffi
        where
            T: Into<<ffi::$ffi as ChoiceValue>::Value>,
        {
            fn from(choice: core_setup::Choice<T>) -> Self {
                ffi::$ffi {
                    value: choice.value.into(),
                    label: choice.label,
                }
            }
        })+
    };
}

/// The value type of a mirrored `Choice<T>`.
trait ChoiceValue {
    type Value;
}

impl ChoiceValue for ffi::LockerKindChoice {
    type Value = ffi::LockerKind;
}
impl ChoiceValue for ffi::ItemCategoryChoice {
    type Value = ffi::ItemCategory;
}
impl ChoiceValue for ffi::CardAuthChoice {
    type Value = ffi::CardAuth;
}
impl ChoiceValue for ffi::RoleChoice {
    type Value = ffi::Role;
}
impl ChoiceValue for ffi::ShiftChoice {
    type Value = ffi::Shift;
}
impl ChoiceValue for ffi::SignatoryChoice {
    type Value = ffi::Signatory;
}

choices!(
    LockerKindChoice,
    ItemCategoryChoice,
    CardAuthChoice,
    RoleChoice,
    ShiftChoice,
    SignatoryChoice,
);

impl From<core_setup::SetupLabels> for ffi::SetupLabels {
    fn from(value: core_setup::SetupLabels) -> Self {
        ffi::SetupLabels {
            residents: value.residents,
            lockers: value.lockers,
            items: value.items,
            staff: value.staff,
            training: value.training,
            agreements: value.agreements,
            policy: value.policy,
            name: value.name,
            kana: value.kana,
            room: value.room,
            admitted_on: value.admitted_on,
            locker_kind: value.locker_kind,
            locker_name: value.locker_name,
            place: value.place,
            resident: value.resident,
            item_kind: value.item_kind,
            card_auth: value.card_auth,
            envelope_number: value.envelope_number,
            home_locker: value.home_locker,
            card_expires_on: value.card_expires_on,
            certificate_expires_on: value.certificate_expires_on,
            document_expires_on: value.document_expires_on,
            staff_member: value.staff_member,
            staff_name: value.staff_name,
            roles: value.roles,
            shifts: value.shifts,
            trained_on: value.trained_on,
            signatory: value.signatory,
            signatory_name: value.signatory_name,
            relation: value.relation,
            scope: value.scope,
            pin_scope: value.pin_scope,
            agreement_text: value.agreement_text,
            signed_on: value.signed_on,
            policy_text: value.policy_text,
            date_hint: value.date_hint,
            envelope_hint: value.envelope_hint,
            agreement_hint: value.agreement_hint,
        }
    }
}

impl From<core_setup::ResidentRow> for ffi::ResidentRow {
    fn from(value: core_setup::ResidentRow) -> Self {
        ffi::ResidentRow {
            resident_id: text(value.id),
            name: value.name,
            kana: value.kana,
            room: value.room,
            admitted: value.admitted,
        }
    }
}

impl From<core_setup::LockerRow> for ffi::LockerRow {
    fn from(value: core_setup::LockerRow) -> Self {
        ffi::LockerRow {
            locker_id: text(value.id),
            kind: value.kind.into(),
            kind_label: value.kind_label,
            name: value.name,
            place: value.place,
        }
    }
}

impl From<core_setup::StaffRow> for ffi::StaffRow {
    fn from(value: core_setup::StaffRow) -> Self {
        ffi::StaffRow {
            staff_id: text(value.id),
            name: value.name,
            roles: value.roles,
            shifts: value.shifts,
            training: value.training,
            active: value.active,
        }
    }
}

/// The setup screen, with what the flow's last successful intent did.
pub(crate) fn setup_view(
    value: core_setup::SetupView,
    last_done: Option<core_setup::SetupDone>,
) -> ffi::SetupView {
    ffi::SetupView {
        title: value.title,
        notice: value.notice.map(Into::into),
        reasons: all(value.reasons),
        policy_problems: all(value.policy_problems),
        can_register: value.can_register,
        labels: value.labels.into(),
        residents: all(value.residents),
        lockers: all(value.lockers),
        staff: all(value.staff),
        locker_kinds: all(value.locker_kinds),
        item_kinds: all(value.item_kinds),
        card_auths: all(value.card_auths),
        roles: all(value.roles),
        shifts: all(value.shifts),
        signatories: all(value.signatories),
        scope_items: all(value.scope_items),
        policy_version: value.policy_version,
        policy_label: value.policy_label,
        policy_text: value.policy_text,
        last_done: last_done.map(Into::into),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Board

impl TryFrom<ffi_intent::BoardIntent> for core_board::BoardIntent {
    type Error = AzukariError;

    fn try_from(value: ffi_intent::BoardIntent) -> Result<Self, AzukariError> {
        use core_board::BoardIntent as Core;
        use ffi_intent::BoardIntent as Ffi;
        Ok(match value {
            Ffi::ShowAll => Core::ShowAll,
            Ffi::ShowResident { resident_id } => Core::ShowResident(id(&resident_id)?),
            Ffi::ShowLocker { locker_id } => Core::ShowLocker(id(&locker_id)?),
        })
    }
}

impl From<core_board::BoardFilter> for ffi::BoardFilter {
    fn from(value: core_board::BoardFilter) -> Self {
        match value {
            core_board::BoardFilter::All => ffi::BoardFilter::All,
            core_board::BoardFilter::Resident(resident) => ffi::BoardFilter::Resident {
                resident_id: text(resident),
            },
            core_board::BoardFilter::Locker(locker) => ffi::BoardFilter::Locker {
                locker_id: text(locker),
            },
        }
    }
}

impl From<core_board::BoardItem> for ffi::BoardItem {
    fn from(value: core_board::BoardItem) -> Self {
        ffi::BoardItem {
            item_id: text(value.item),
            resident_id: text(value.resident),
            resident_name: value.resident_name,
            kind: value.kind,
            custody: value.custody,
            locker_id: texts(value.locker),
            holder_id: texts(value.holder),
            overdue: value.overdue,
        }
    }
}

impl From<core_board::BoardSection> for ffi::BoardSection {
    fn from(value: core_board::BoardSection) -> Self {
        ffi::BoardSection {
            heading: value.heading,
            empty_text: value.empty_text,
            items: all(value.items),
        }
    }
}

impl From<core_board::AlertView> for ffi::AlertView {
    fn from(value: core_board::AlertView) -> Self {
        ffi::AlertView {
            severity: value.severity.into(),
            severity_label: value.severity_label,
            message: value.message,
            item_id: texts(value.item),
            staff_id: texts(value.staff),
        }
    }
}

impl From<core_board::DiscrepancyView> for ffi::DiscrepancyView {
    fn from(value: core_board::DiscrepancyView) -> Self {
        ffi::DiscrepancyView {
            message: value.message,
            at: value.at,
            item_id: texts(value.item),
        }
    }
}

impl From<core_board::BoardView> for ffi::BoardView {
    fn from(value: core_board::BoardView) -> Self {
        ffi::BoardView {
            title: value.title,
            notice: value.notice.map(Into::into),
            as_of: value.as_of,
            filter: value.filter.into(),
            filter_label: value.filter_label,
            summary: value.summary,
            held: value.held.into(),
            out: value.out.into(),
            overdue: value.overdue.into(),
            alerts_heading: value.alerts_heading,
            alerts_empty_text: value.alerts_empty_text,
            alerts: all(value.alerts),
            discrepancies_heading: value.discrepancies_heading,
            discrepancies_empty_text: value.discrepancies_empty_text,
            discrepancies: all(value.discrepancies),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Labels and ledger

impl From<ffi::LabelLayout> for azukari_core::qr::SheetLayout {
    fn from(value: ffi::LabelLayout) -> Self {
        match value {
            ffi::LabelLayout::A4TwoBySix => azukari_core::qr::SheetLayout::a4_2x6(),
            ffi::LabelLayout::A4ThreeByEight => azukari_core::qr::SheetLayout::a4_3x8(),
        }
    }
}

impl From<&azukari_core::qr::SheetLabel> for ffi::IssuedLabel {
    fn from(value: &azukari_core::qr::SheetLabel) -> Self {
        ffi::IssuedLabel {
            url: value.url.clone(),
            locker_name: value.locker_name.clone(),
            serial: value.serial,
        }
    }
}

impl From<azukari_core::ledger::SignedEvent> for ffi::SignedEventBytes {
    fn from(value: azukari_core::ledger::SignedEvent) -> Self {
        ffi::SignedEventBytes {
            bytes: value.bytes,
            signature: value.signature.0,
        }
    }
}

impl From<ffi::SignedEventBytes> for azukari_core::ledger::SignedEvent {
    fn from(value: ffi::SignedEventBytes) -> Self {
        azukari_core::ledger::SignedEvent {
            bytes: value.bytes,
            signature: azukari_core::crypto::DeviceSignature(value.signature),
        }
    }
}

impl From<azukari_core::ledger::VerifyReport> for ffi::LedgerReport {
    fn from(value: azukari_core::ledger::VerifyReport) -> Self {
        ffi::LedgerReport {
            events: value.events,
            devices: value.devices as u64,
            log_hash: value.head.log_hash.0.to_vec(),
        }
    }
}

/// The trust anchor an export names.
pub(crate) fn trust_anchor(
    export: &ffi::LedgerExport,
) -> Result<azukari_core::ledger::TrustAnchor, AzukariError> {
    Ok(azukari_core::ledger::TrustAnchor {
        facility: azukari_core::model::FacilityId::parse(&export.facility_id)
            .map_err(|_| AzukariError::invalid_id("facility id"))?,
        founding_device: azukari_core::model::DeviceId::parse(&export.founding_device_id)
            .map_err(|_| AzukariError::invalid_id("device id"))?,
        founding_key: azukari_core::crypto::DevicePublicKey(export.founding_public_key.clone()),
    })
}
