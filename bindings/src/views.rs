//! Mirrors of the core's view-models, plain values and choices, as UniFFI records and enums.
//!
//! Each type here mirrors one of the core (`azukari_core::flows::*`, `model`, `ledger`, `alerts`) field for field;
//! ids are hyphenated UUID strings and times and dates are the core's display strings. The conversions are all in
//! [`crate::convert`]. Nothing here decides anything: a view is rendered as it is, and its ids are sent back in
//! intents ([`crate::intents`]).

// ---------------------------------------------------------------------------------------------------------------
// Common

/// A display language (named so as not to clash with Foundation's and Java's `Locale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    /// 日本語 (the default).
    Ja,
    /// English.
    En,
}

/// How a notice should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// Something was refused or failed; nothing was written.
    Error,
    /// Allowed, but look at this.
    Warning,
    /// Done, or for information.
    Info,
}

/// A message shown at the top of a screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Notice {
    /// How it should look.
    pub kind: NoticeKind,
    /// The text, localized.
    pub text: String,
}

/// A rule's reason as shown: the reason and the guideline it enforces, localized.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonView {
    /// The rule's id (for support and audit).
    pub rule: String,
    /// Why, localized.
    pub text: String,
    /// What it enforces, localized.
    pub cites: String,
}

/// One problem in a refused policy text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PolicyProblem {
    /// 1-based line.
    pub line: u64,
    /// 1-based column (in characters).
    pub column: u64,
    /// What is wrong (from Cedar, in English).
    pub message: String,
}

// ---------------------------------------------------------------------------------------------------------------
// Domain values

/// What a member of staff is named to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// 介護職員: everyday care; may carry items only when the rules allow.
    Caregiver,
    /// 取扱担当者: designated to check out and return cards and certificates.
    CardHandler,
    /// 暗証番号管理者: one of the few named to handle PIN envelopes.
    PinManager,
    /// 責任者: approves what the rules send for approval; runs audits.
    Supervisor,
    /// 管理者: sets up the facility, staff and policy.
    Admin,
    /// 監査担当: reads and verifies the ledger; changes nothing.
    Auditor,
}

/// A shift a member of staff works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Shift {
    /// 日勤.
    Day,
    /// 夜勤.
    Night,
}

/// What a locker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LockerKind {
    /// 保険証ロッカー: holds cards and certificates.
    CardLocker,
    /// 暗証番号金庫: holds PIN envelopes, apart from the cards.
    PinSafe,
    /// 書類キャビネット: holds paper documents.
    DocumentCabinet,
}

/// How a My Number card authenticates at a clinic's reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CardAuth {
    /// 顔認証マイナンバーカード: face authentication only, no PIN.
    FaceOnly,
    /// A card with a PIN (暗証番号), which may be kept in a separate sealed envelope.
    Pin,
}

/// The category of an item: what an agreement's scope and the rules speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemCategory {
    /// マイナ保険証.
    MynaCard,
    /// 暗証番号封筒.
    PinEnvelope,
    /// 資格確認書.
    EligibilityCertificate,
    /// 資格情報のお知らせ.
    EligibilityNotice,
    /// 介護保険被保険者証.
    CareInsuranceCard,
    /// 健康保険証 (historical).
    LegacyInsuranceCard,
}

/// A legal representative (法定代理人).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LegalRepresentative {
    /// 親権者.
    ParentalAuthority,
    /// 成年後見人.
    AdultGuardian,
}

/// Who signs an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Signatory {
    /// 本人: the resident.
    Resident,
    /// 法定代理人.
    LegalRepresentative {
        /// Which kind.
        representative: LegalRepresentative,
    },
    /// 家族 (with the resident's consent).
    FamilyWithConsent,
}

/// To whom an item is released when custody ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReleaseTo {
    /// 本人へ返却.
    Resident,
    /// 家族・法定代理人へ引渡し.
    Family,
    /// 退所に伴う返却.
    Discharge,
}

/// What an auditor found for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuditFinding {
    /// In its locker as the ledger says.
    Found,
    /// Not in the locker although the ledger says it should be.
    Missing,
    /// In a locker where the ledger does not expect it.
    Unexpected,
}

/// What kind of incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
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

/// One step of the incident checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IncidentStep {
    /// Called マイナンバー総合フリーダイヤル 0120-95-0178 to suspend the card.
    SuspensionCall,
    /// Filed a police 遺失届 / 盗難届 (its 受理番号 is recorded with it).
    PoliceReport,
    /// Filed the 紛失届 at the city office.
    CityOfficeLossReport,
    /// Applied for 再交付.
    ReissueApplied,
    /// Applied for an interim 資格確認書.
    InterimCertificateApplied,
    /// Sent the preliminary report to the PPC (速報).
    PpcPreliminaryReport,
    /// Sent the final report to the PPC (確報).
    PpcFinalReport,
    /// Informed the person concerned.
    PersonNotified,
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    /// Act now.
    Urgent,
    /// Act soon.
    Warning,
    /// For information.
    Info,
}

// ---------------------------------------------------------------------------------------------------------------
// Handover

/// A purpose as the caregiver picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PurposeChoice {
    /// 受診.
    MedicalVisit,
    /// 救急搬送.
    EmergencyTransport,
    /// 更新手続き.
    Renewal,
    /// 顔認証カードへの切替.
    FaceAuthSwitch,
    /// 再交付.
    Reissue,
    /// 本人へ返却.
    ReturnToResident,
    /// 家族へ引渡し.
    HandToFamily,
    /// 退所.
    Discharge,
    /// 監査.
    Audit,
    /// その他 (needs a note).
    Other,
}

/// Where the caregiver is in the handover screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HandoverStep {
    /// Scan a locker's label.
    ScanLocker,
    /// Choose an item.
    ChooseItem,
    /// Choose the purpose.
    ChoosePurpose,
    /// The rules allowed: confirm to take it out.
    ReadyToCheckOut,
    /// The rules ask for approval: request it.
    NeedsApproval,
    /// Waiting for a supervisor.
    WaitingForApproval,
    /// Taken out.
    CheckedOut,
    /// Returning: tap the card, then confirm.
    CardCheck,
    /// Put back.
    Returned,
    /// Handed to a colleague.
    HandedOver,
    /// Custody ended.
    Released,
}

/// One item in the handover list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemRow {
    /// The item (send it back with `HandoverIntent.ChooseItem`).
    pub item_id: String,
    /// "佐藤 ハナ様のマイナ保険証".
    pub label: String,
    /// Where it is now.
    pub custody: String,
    /// "持ち出す" or "返却する".
    pub action: String,
}

/// A purpose button.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PurposeOption {
    /// The choice to send back.
    pub choice: PurposeChoice,
    /// Its label.
    pub label: String,
}

/// The rules' answer as shown.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DecisionView {
    /// "持ち出せます" / "責任者の承認が必要です" / "持ち出せません".
    pub headline: String,
    /// Reasons or warnings, each citing its guideline.
    pub reasons: Vec<ReasonView>,
}

/// The handover screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HandoverView {
    /// Screen title.
    pub title: String,
    /// The step.
    pub step: HandoverStep,
    /// What to do now, in words.
    pub instruction: String,
    /// The scanned locker's name.
    pub locker: Option<String>,
    /// The chosen item, in words.
    pub item: Option<String>,
    /// Items to choose from (step ChooseItem).
    pub items: Vec<ItemRow>,
    /// Purposes to choose from (step ChoosePurpose).
    pub purposes: Vec<PurposeOption>,
    /// The rules' answer (steps ReadyToCheckOut, NeedsApproval).
    pub decision: Option<DecisionView>,
    /// The card identity check, in words (step CardCheck).
    pub card_check: Option<String>,
    /// The main button's label, if the step has one.
    pub confirm: Option<String>,
    /// An error or warning.
    pub notice: Option<Notice>,
}

// ---------------------------------------------------------------------------------------------------------------
// Approval inbox

/// One pending request in the approval inbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RequestRow {
    /// The request (send it back with an `ApprovalIntent`).
    pub request_id: String,
    /// Who asked.
    pub requester: String,
    /// What: "佐藤 ハナ様のマイナ保険証".
    pub item: String,
    /// Why: the purpose.
    pub purpose: String,
    /// When it was asked and when it would be due back.
    pub when: String,
    /// The rules that asked for approval, each citing its guideline.
    pub rules: Vec<ReasonView>,
    /// Whether the signed-in supervisor may decide it (false for their own request).
    pub can_decide: bool,
}

/// The approval inbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ApprovalView {
    /// Screen title.
    pub title: String,
    /// "承認待ち 2 件".
    pub summary: String,
    /// Pending requests, oldest first.
    pub requests: Vec<RequestRow>,
    /// Label of the approve button.
    pub approve: String,
    /// Label of the deny button.
    pub deny: String,
    /// Result of the last intent.
    pub notice: Option<Notice>,
}

// ---------------------------------------------------------------------------------------------------------------
// Consent

/// Where the signatory confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentChannel {
    /// In the Azukari app on the signatory's phone.
    App,
    /// On the hub's family web page.
    Web,
}

/// What the facility asks the signatory to agree to, when it is not the text of the latest agreement.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentOffer {
    /// The exact agreement text.
    pub text: String,
    /// The kinds of item the facility would hold (never the PIN envelope: that is confirmed separately).
    pub items: Vec<ItemCategory>,
}

/// Where the consent screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentStep {
    /// First: the alternatives to leaving a PIN with the facility.
    Alternatives,
    /// The exact text, the PIN-envelope choice, confirm.
    Agreement,
    /// The agreement was recorded.
    Recorded,
    /// The agreements were revoked.
    Revoked,
}

/// What a consent button sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentAction {
    /// `ConsentIntent.AcknowledgeAlternatives`.
    AcknowledgeAlternatives,
    /// `ConsentIntent.ConfirmPinEnvelope`.
    ConfirmPinEnvelope,
    /// `ConsentIntent.WithdrawPinEnvelope`.
    WithdrawPinEnvelope,
    /// `ConsentIntent.ConfirmCustody` (with the form's fields).
    ConfirmCustody,
    /// `ConsentIntent.Revoke`.
    Revoke,
}

/// A consent button.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentButton {
    /// Its label.
    pub label: String,
    /// What it sends.
    pub action: ConsentAction,
}

/// One explained alternative to leaving a PIN with the facility.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Explanation {
    /// "顔認証マイナンバーカード".
    pub heading: String,
    /// What it is and why it is safer.
    pub body: String,
}

/// A choice of signatory for the consent form.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignatoryOption {
    /// The value to send back.
    pub signatory: Signatory,
    /// "法定代理人（成年後見人）".
    pub label: String,
}

/// The PIN-envelope part of the agreement.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PinEnvelopeChoice {
    /// Whether it can be chosen now (the alternatives were acknowledged).
    pub available: bool,
    /// Whether it was confirmed.
    pub confirmed: bool,
    /// How a PIN envelope is kept.
    pub explanation: String,
    /// The current choice in words.
    pub status: String,
}

/// An agreement on record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgreementRow {
    /// Its id.
    pub agreement_id: String,
    /// The exact text, opened from its seal.
    pub text: String,
    /// "山田 太郎（長女・家族（本人の同意あり））".
    pub signatory: String,
    /// What it covers.
    pub covers: String,
    /// When and how it was signed.
    pub signed: String,
    /// In force, or revoked when.
    pub status: String,
    /// Whether it is in force now.
    pub active: bool,
}

/// The consent screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentView {
    /// Screen title.
    pub title: String,
    /// The step.
    pub step: ConsentStep,
    /// Whose items.
    pub resident: String,
    /// What to do now.
    pub instruction: String,
    /// The face-auth card and the 資格確認書, explained.
    pub alternatives: Vec<Explanation>,
    /// The resident's card: face-auth only or with a PIN, if known.
    pub card: Option<String>,
    /// The exact text to agree to.
    pub agreement_text: String,
    /// What it covers (without the PIN envelope).
    pub covers: String,
    /// The PIN-envelope choice.
    pub pin_envelope: PinEnvelopeChoice,
    /// Who may sign (for the form).
    pub signatories: Vec<SignatoryOption>,
    /// The resident's agreements on record, newest first.
    pub agreements: Vec<AgreementRow>,
    /// What can be done now.
    pub buttons: Vec<ConsentButton>,
    /// An error or warning.
    pub notice: Option<Notice>,
}

// ---------------------------------------------------------------------------------------------------------------
// Audit

/// Where the audit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuditStep {
    /// Nothing started yet.
    NotStarted,
    /// Started: scan a locker.
    ScanLocker,
    /// A locker is open: mark its items.
    Locker,
    /// Completed with its summary.
    Completed,
}

/// What an audit button sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuditAction {
    /// `AuditIntent.Start`.
    Start,
    /// `AuditIntent.MarkFound` for the row's item.
    MarkFound,
    /// `AuditIntent.MarkMissing` for the row's item.
    MarkMissing,
    /// `AuditIntent.Complete`.
    Complete,
}

/// An audit button.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditButton {
    /// Its label.
    pub label: String,
    /// What it sends.
    pub action: AuditAction,
}

/// An item in the scanned locker's list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditRow {
    /// The item (send it back with the marking intents).
    pub item_id: String,
    /// "佐藤 ハナ様のマイナ保険証".
    pub label: String,
    /// What was recorded, if anything.
    pub finding: Option<AuditFinding>,
    /// The finding in words ("未確認", "あり", "なし").
    pub status: String,
    /// The buttons for this row (found / missing).
    pub buttons: Vec<AuditButton>,
}

/// How far the audit is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditProgress {
    /// Expected items checked.
    pub checked: u32,
    /// Expected items in all lockers.
    pub expected: u32,
    /// "12件中 5件を確認しました".
    pub text: String,
}

/// One locker in the audit overview.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LockerProgress {
    /// The locker.
    pub locker_id: String,
    /// Its name.
    pub name: String,
    /// Expected items checked there.
    pub checked: u32,
    /// Items expected there.
    pub expected: u32,
    /// "3件中 3件".
    pub text: String,
}

/// The completed audit's summary, in words.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditSummaryView {
    /// "12件中 10件あり・2件なし・想定外 1件".
    pub text: String,
    /// Missing items.
    pub missing: Vec<String>,
    /// Items found where they were not expected.
    pub unexpected: Vec<String>,
}

/// The audit screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditView {
    /// Screen title.
    pub title: String,
    /// The step.
    pub step: AuditStep,
    /// What to do now.
    pub instruction: String,
    /// The scanned locker's name.
    pub locker: Option<String>,
    /// Items the ledger expects in the scanned locker.
    pub expected: Vec<AuditRow>,
    /// Items recorded as found there unexpectedly.
    pub unexpected: Vec<AuditRow>,
    /// How far the audit is (n of m expected items).
    pub progress: Option<AuditProgress>,
    /// Every locker and how far it is.
    pub lockers: Vec<LockerProgress>,
    /// A note before completing: unchecked items will count as missing.
    pub completion_note: Option<String>,
    /// The summary, once completed.
    pub summary: Option<AuditSummaryView>,
    /// What can be done now (row buttons are in the rows).
    pub buttons: Vec<AuditButton>,
    /// An error or warning.
    pub notice: Option<Notice>,
}

// ---------------------------------------------------------------------------------------------------------------
// Incident

/// Where the incident screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IncidentFlowStep {
    /// Choose what happened.
    ChooseKind,
    /// Work through the checklist.
    Checklist,
    /// Closed.
    Closed,
}

/// Where a checklist step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StepState {
    /// Done (with its time).
    Done,
    /// The step to do now.
    Next,
    /// Later.
    Pending,
}

/// What an incident button sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IncidentAction {
    /// `IncidentIntent.Open` with the button's kind.
    Open,
    /// `IncidentIntent.CompleteStep` with the button's step.
    CompleteStep,
    /// `IncidentIntent.RecordPoliceReport` with the entered 受理番号.
    RecordPoliceReport,
    /// `IncidentIntent.Close`.
    Close,
}

/// An incident button.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IncidentButton {
    /// Its label.
    pub label: String,
    /// What it sends.
    pub action: IncidentAction,
    /// For `IncidentAction.Open`: the kind.
    pub kind: Option<IncidentKind>,
    /// For `IncidentAction.CompleteStep`: the step.
    pub step: Option<IncidentStep>,
}

/// A kind of incident to choose.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KindOption {
    /// The kind to send back.
    pub kind: IncidentKind,
    /// "施設の外で紛失".
    pub label: String,
    /// What follows, in one line.
    pub description: String,
}

/// The numbers to call to suspend a card.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Hotline {
    /// The phone number (for a tel: link).
    pub phone: String,
    /// The FAX number for the hearing-impaired.
    pub fax: String,
    /// What to say and do, in words.
    pub text: String,
}

/// One step of the incident checklist.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChecklistRow {
    /// The step (send it back with `IncidentIntent.CompleteStep`).
    pub step: IncidentStep,
    /// "市区町村へ紛失届".
    pub label: String,
    /// Done, next or pending.
    pub state: StepState,
    /// "完了：2026-11-24 09:05", "次に行う手順", "未着手".
    pub status: String,
    /// The deadline, if the step has one.
    pub deadline: Option<String>,
    /// The deadline has passed and the step is not done.
    pub overdue: bool,
    /// What to do, in one line.
    pub hint: Option<String>,
    /// For the suspension call: the numbers.
    pub hotline: Option<Hotline>,
    /// For the police report: the prompt for the 受理番号.
    pub reference_prompt: Option<String>,
}

/// The PPC's report deadlines of a leak.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PpcDeadlines {
    /// Preliminary report (速報), within about 3–5 days.
    pub preliminary: String,
    /// Final report (確報), within 30 days.
    pub final_report: String,
    /// Final report within 60 days when unauthorised access may be involved.
    pub final_report_improper: String,
    /// Why and to whom.
    pub note: String,
}

/// The incident screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IncidentView {
    /// Screen title.
    pub title: String,
    /// The step.
    pub step: IncidentFlowStep,
    /// What to do now.
    pub instruction: String,
    /// Kinds to choose from (step ChooseKind).
    pub kinds: Vec<KindOption>,
    /// What happened.
    pub kind: Option<String>,
    /// The item concerned.
    pub item: Option<String>,
    /// When it was opened.
    pub opened: Option<String>,
    /// The checklist.
    pub checklist: Vec<ChecklistRow>,
    /// "5件中 2件完了".
    pub progress: Option<String>,
    /// For a leak: the PPC's deadlines.
    pub ppc: Option<PpcDeadlines>,
    /// What can be done now.
    pub buttons: Vec<IncidentButton>,
    /// An error or warning.
    pub notice: Option<Notice>,
}

// ---------------------------------------------------------------------------------------------------------------
// Setup

/// What the last successful setup intent did, with the id of what it created.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SetupDone {
    /// A resident was admitted.
    ResidentAdmitted {
        /// The new resident.
        resident_id: String,
    },
    /// A locker was registered.
    LockerRegistered {
        /// The new locker.
        locker_id: String,
    },
    /// An item was registered.
    ItemRegistered {
        /// The new item.
        item_id: String,
    },
    /// A member of staff was added.
    StaffAdded {
        /// The new member of staff.
        staff_id: String,
    },
    /// Training was recorded.
    StaffTrained {
        /// Who.
        staff_id: String,
        /// When, `YYYY-MM-DD`.
        on: String,
    },
    /// An agreement was recorded.
    AgreementRecorded {
        /// The new agreement.
        agreement_id: String,
    },
    /// The policy was replaced.
    PolicyReplaced {
        /// Its new version.
        version: u32,
    },
}

/// A locker kind on the setup form, with its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LockerKindChoice {
    /// The value to send back.
    pub value: LockerKind,
    /// What to show.
    pub label: String,
}

/// An item category on the setup form, with its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemCategoryChoice {
    /// The value to send back.
    pub value: ItemCategory,
    /// What to show.
    pub label: String,
}

/// A card authentication method on the setup form, with its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CardAuthChoice {
    /// The value to send back.
    pub value: CardAuth,
    /// What to show.
    pub label: String,
}

/// A role on the setup form, with its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RoleChoice {
    /// The value to send back.
    pub value: Role,
    /// What to show.
    pub label: String,
}

/// A shift on the setup form, with its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ShiftChoice {
    /// The value to send back.
    pub value: Shift,
    /// What to show.
    pub label: String,
}

/// A signatory on the setup form, with its label.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignatoryChoice {
    /// The value to send back.
    pub value: Signatory,
    /// What to show.
    pub label: String,
}

/// Headings, field labels and hints of the setup screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SetupLabels {
    /// Heading: residents.
    pub residents: String,
    /// Heading: lockers.
    pub lockers: String,
    /// Heading: items.
    pub items: String,
    /// Heading: staff.
    pub staff: String,
    /// Heading: training.
    pub training: String,
    /// Heading: agreements.
    pub agreements: String,
    /// Heading: policy.
    pub policy: String,
    /// Field: resident's name.
    pub name: String,
    /// Field: kana.
    pub kana: String,
    /// Field: room.
    pub room: String,
    /// Field: admission date.
    pub admitted_on: String,
    /// Field: locker kind.
    pub locker_kind: String,
    /// Field: locker name.
    pub locker_name: String,
    /// Field: where the locker stands.
    pub place: String,
    /// Field: resident (picker).
    pub resident: String,
    /// Field: item kind.
    pub item_kind: String,
    /// Field: card authentication.
    pub card_auth: String,
    /// Field: envelope number.
    pub envelope_number: String,
    /// Field: home locker.
    pub home_locker: String,
    /// Field: card expiry.
    pub card_expires_on: String,
    /// Field: certificate expiry.
    pub certificate_expires_on: String,
    /// Field: document expiry.
    pub document_expires_on: String,
    /// Field: member of staff (picker).
    pub staff_member: String,
    /// Field: staff name.
    pub staff_name: String,
    /// Field: roles.
    pub roles: String,
    /// Field: shifts.
    pub shifts: String,
    /// Field: training date.
    pub trained_on: String,
    /// Field: signatory.
    pub signatory: String,
    /// Field: signatory's name.
    pub signatory_name: String,
    /// Field: relation.
    pub relation: String,
    /// Field: items held.
    pub scope: String,
    /// Field: PIN envelope held.
    pub pin_scope: String,
    /// Field: agreement text.
    pub agreement_text: String,
    /// Field: date signed.
    pub signed_on: String,
    /// Field: policy text.
    pub policy_text: String,
    /// Hint: how to enter dates.
    pub date_hint: String,
    /// Hint: never type the PIN.
    pub envelope_hint: String,
    /// Hint: copy the paper form exactly.
    pub agreement_hint: String,
}

/// A resident as listed on the setup screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResidentRow {
    /// The id to send back.
    pub resident_id: String,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub kana: String,
    /// 居室.
    pub room: String,
    /// "入所日 2026-10-01".
    pub admitted: String,
}

/// A locker as listed on the setup screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LockerRow {
    /// The id to send back.
    pub locker_id: String,
    /// What it is.
    pub kind: LockerKind,
    /// What it is, in words.
    pub kind_label: String,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub place: String,
}

/// A member of staff as listed on the setup screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StaffRow {
    /// The id to send back (also what `Facility.signIn` takes).
    pub staff_id: String,
    /// Name.
    pub name: String,
    /// Roles, in words.
    pub roles: String,
    /// Shifts, in words.
    pub shifts: String,
    /// Training, in words ("研修 2026-09-25").
    pub training: String,
    /// Whether still active.
    pub active: bool,
}

/// The setup screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SetupView {
    /// Screen title.
    pub title: String,
    /// Why the last intent was refused, or what it did.
    pub notice: Option<Notice>,
    /// When the rules refused: each reason with what it enforces.
    pub reasons: Vec<ReasonView>,
    /// When a policy text was refused: its problems with line and column.
    pub policy_problems: Vec<PolicyProblem>,
    /// Whether the signed-in member of staff may register (an administrator).
    pub can_register: bool,
    /// Headings, field labels and hints.
    pub labels: SetupLabels,
    /// Residents currently admitted, by kana.
    pub residents: Vec<ResidentRow>,
    /// Lockers, by name.
    pub lockers: Vec<LockerRow>,
    /// Staff, by name.
    pub staff: Vec<StaffRow>,
    /// Kinds of lockers.
    pub locker_kinds: Vec<LockerKindChoice>,
    /// Kinds of items.
    pub item_kinds: Vec<ItemCategoryChoice>,
    /// Card authentication methods.
    pub card_auths: Vec<CardAuthChoice>,
    /// Roles.
    pub roles: Vec<RoleChoice>,
    /// Shifts.
    pub shifts: Vec<ShiftChoice>,
    /// Who can sign an agreement.
    pub signatories: Vec<SignatoryChoice>,
    /// Items an agreement can cover (the PIN envelope is `pin_scope`, separately).
    pub scope_items: Vec<ItemCategoryChoice>,
    /// The version of the policy in force (0: the default).
    pub policy_version: u32,
    /// The policy in force, in words ("既定のルール", "第2版").
    pub policy_label: String,
    /// The policy text in force, for editing.
    pub policy_text: String,
    /// What the last successful intent did.
    pub last_done: Option<SetupDone>,
}

// ---------------------------------------------------------------------------------------------------------------
// Board and alerts

/// Which items the board's item sections show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BoardFilter {
    /// Every item.
    All,
    /// One resident's items.
    Resident {
        /// The resident.
        resident_id: String,
    },
    /// The items in (or belonging to) one locker.
    Locker {
        /// The locker.
        locker_id: String,
    },
}

/// An item on the board.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BoardItem {
    /// The item.
    pub item_id: String,
    /// Whose it is.
    pub resident_id: String,
    /// The resident's name.
    pub resident_name: String,
    /// What it is ("マイナ保険証").
    pub kind: String,
    /// Where it is, in words.
    pub custody: String,
    /// The locker it is in now, if it is in one.
    pub locker_id: Option<String>,
    /// Who has it out, if someone does.
    pub holder_id: Option<String>,
    /// Whether it is out past its due time.
    pub overdue: bool,
}

/// A section of items on the board.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BoardSection {
    /// Heading.
    pub heading: String,
    /// What to show when the section is empty.
    pub empty_text: String,
    /// The items, in order.
    pub items: Vec<BoardItem>,
}

/// Something that needs attention, in words.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AlertView {
    /// How urgent.
    pub severity: Severity,
    /// How urgent, in words.
    pub severity_label: String,
    /// The alert in words, naming what it is about.
    pub message: String,
    /// The item concerned, if any.
    pub item_id: Option<String>,
    /// The member of staff concerned, if any.
    pub staff_id: Option<String>,
}

/// A discrepancy between the records, for a supervisor to resolve.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DiscrepancyView {
    /// The discrepancy in words.
    pub message: String,
    /// When the conflicting event happened, if it is one event.
    pub at: Option<String>,
    /// The item concerned, if any.
    pub item_id: Option<String>,
}

/// The board (預かり状況).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BoardView {
    /// Screen title.
    pub title: String,
    /// Why the last intent was refused (or that nobody is signed in).
    pub notice: Option<Notice>,
    /// "2026-11-24 09:00 現在".
    pub as_of: String,
    /// The filter in force.
    pub filter: BoardFilter,
    /// The filter in words.
    pub filter_label: String,
    /// Counts in one line.
    pub summary: String,
    /// Every held item and where it is.
    pub held: BoardSection,
    /// Items out with staff.
    pub out: BoardSection,
    /// Items out past their due time.
    pub overdue: BoardSection,
    /// Heading of the alerts.
    pub alerts_heading: String,
    /// What to show when there are no alerts.
    pub alerts_empty_text: String,
    /// What needs attention, most urgent first.
    pub alerts: Vec<AlertView>,
    /// Heading of the discrepancies.
    pub discrepancies_heading: String,
    /// What to show when there are none.
    pub discrepancies_empty_text: String,
    /// Where the records disagree.
    pub discrepancies: Vec<DiscrepancyView>,
}

// ---------------------------------------------------------------------------------------------------------------
// Labels and ledger

/// The layout of a label sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LabelLayout {
    /// A4, 2 columns × 6 rows.
    A4TwoBySix,
    /// A4, 3 columns × 8 rows.
    A4ThreeByEight,
}

/// What form a label sheet is wanted in.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum LabelSheetFormat {
    /// One SVG document per A4 sheet (the viewer supplies the font).
    Svg,
    /// One PDF with a Japanese font embedded.
    Pdf {
        /// The font file to embed; `None` looks for IPAexGothic or Noto Sans CJK where Debian installs them (or the
        /// file named by `AZUKARI_LABEL_FONT`).
        font_path: Option<String>,
    },
}

/// A label that was issued (recorded in the ledger; it supersedes the locker's earlier labels).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IssuedLabel {
    /// The label's URL: the QR code's content, which `HandoverIntent.ScanLabel` and `Facility.scanLabel` take.
    pub url: String,
    /// The locker's name.
    pub locker_name: String,
    /// The label's serial number.
    pub serial: u32,
}

/// A printed label sheet.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LabelSheet {
    /// The labels on it, in order.
    pub labels: Vec<IssuedLabel>,
    /// For `LabelSheetFormat.Svg`: one SVG document per sheet.
    pub svg_pages: Vec<String>,
    /// For `LabelSheetFormat.Pdf`: the PDF bytes.
    pub pdf: Option<Vec<u8>>,
}

/// One ledger event as stored and synced: its canonical bytes and the recording device's signature.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignedEventBytes {
    /// The canonical encoding of the event.
    pub bytes: Vec<u8>,
    /// The device's ECDSA P-256 signature (64 bytes, r ‖ s).
    pub signature: Vec<u8>,
}

/// What a verification of a ledger saw.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerReport {
    /// Number of events.
    pub events: u64,
    /// Number of devices with events.
    pub devices: u64,
    /// The commitment to the whole log, recomputed from the events (32 bytes).
    pub log_hash: Vec<u8>,
}

/// The facility's ledger (管理簿) for an auditor: every signed event, what to trust, and the verification report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerExport {
    /// The facility.
    pub facility_id: String,
    /// The founding device (the trust anchor).
    pub founding_device_id: String,
    /// The founding device's public key (uncompressed SEC1 P-256, 65 bytes).
    pub founding_public_key: Vec<u8>,
    /// Every event, in log order.
    pub events: Vec<SignedEventBytes>,
    /// The verification of every signature, made when exported.
    pub report: LedgerReport,
}
