//! Setup (施設の設定): admit residents, register lockers and items, add staff, record training, record an
//! agreement signed on paper, and replace the facility's rules.
//!
//! Who may do what. The plain registrations (residents, lockers, items, staff) belong to an administrator
//! (管理者); the rules have no action for them, so this flow checks the Admin role itself. Recording an agreement
//! and replacing the policy are asked of the rules (`recordAgreement` on the resident, `changePolicy` on the
//! facility), so a facility's own policy decides them. Setup has no approval path: a rule that would ask for an
//! approval refuses here like a denial. Recording training is for an administrator or a supervisor: staff do not
//! certify their own training, which the rules rely on (`training-expired`).
//!
//! Every intent is checked completely before anything is sealed or written; a refused intent writes nothing and
//! its reason stays in the view. The guidance's storage rule is enforced at registration: a PIN envelope lives in
//! a PIN safe, and a card never does. Personal fields (names, kana, room, the envelope's number, the signatory and
//! the agreement text) are sealed by the store as they are recorded. There is no field for a PIN anywhere.
//!
//! A new policy text is validated against the schema first (problems come back with line and column), and is
//! refused if it would leave the person changing it unable to change it again — a facility must not lock itself
//! out of its own rules, since the ledger cannot be edited around them.

use super::{FlowError, Labels, Notice, NoticeKind, ReasonView, Session};
use crate::card::{CardReading, CardTransceiver, read_card, register_card};
use crate::clock::Timestamp;
use crate::i18n::{Arg, Catalog, Locale, catalog};
use crate::ledger::EventBody;
use crate::model::{
    AgreementId, AgreementMethod, AgreementScope, CardAuth, Item, ItemCategory, ItemId, ItemKind,
    LegalRepresentative, Locker, LockerId, LockerKind, ResidentId, Role, Sealed, Shift, Signatory,
    StaffId,
};
use crate::rules::{
    Action, Decision, PolicyError, PolicyProblem, Reason, RuleContext, RuleEngine, RuleRequest,
    Target,
};
use crate::store::{AgreementDraft, Field};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The kind of a new item, as chosen on the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NewItemKind {
    /// マイナ保険証.
    MynaCard {
        /// Face-auth only, or with a PIN.
        auth: CardAuth,
    },
    /// 暗証番号封筒, with the number printed on the envelope (never the PIN).
    PinEnvelope {
        /// The envelope's number; sealed under the resident's key before it is recorded.
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

impl NewItemKind {
    /// The category of the item.
    pub fn category(&self) -> ItemCategory {
        match self {
            NewItemKind::MynaCard { .. } => ItemCategory::MynaCard,
            NewItemKind::PinEnvelope { .. } => ItemCategory::PinEnvelope,
            NewItemKind::EligibilityCertificate => ItemCategory::EligibilityCertificate,
            NewItemKind::EligibilityNotice => ItemCategory::EligibilityNotice,
            NewItemKind::CareInsuranceCard => ItemCategory::CareInsuranceCard,
            NewItemKind::LegacyInsuranceCard => ItemCategory::LegacyInsuranceCard,
        }
    }
}

/// A new item, as entered. Dates are `YYYY-MM-DD` (or `YYYY/MM/DD`); an empty date is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemForm {
    /// Whose item it is.
    pub resident: ResidentId,
    /// What it is.
    pub kind: NewItemKind,
    /// Where it is kept.
    pub home_locker: LockerId,
    /// カードの有効期限 (cards only).
    pub card_expires_on: String,
    /// 電子証明書の有効期限 (cards only).
    pub certificate_expires_on: String,
    /// The expiry printed on a document (not for cards or PIN envelopes).
    pub document_expires_on: String,
}

/// A custody agreement signed on paper, as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementForm {
    /// Whose items it covers.
    pub resident: ResidentId,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    RegisterItem(ItemForm),
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
        staff: StaffId,
        /// When, `YYYY-MM-DD` (not in the future).
        on: String,
    },
    /// Record a custody agreement signed on paper.
    RecordPaperAgreement(AgreementForm),
    /// Replace the facility's policy set.
    ReplacePolicy {
        /// The new Cedar policy text.
        text: String,
    },
}

/// What the last successful intent did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupDone {
    /// A resident was admitted.
    ResidentAdmitted(ResidentId),
    /// A locker was registered.
    LockerRegistered(LockerId),
    /// An item was registered.
    ItemRegistered(ItemId),
    /// A member of staff was added.
    StaffAdded(StaffId),
    /// Training was recorded.
    StaffTrained(StaffId, NaiveDate),
    /// An agreement was recorded.
    AgreementRecorded(AgreementId),
    /// The policy was replaced; its new version.
    PolicyReplaced(u32),
}

/// A choice on a form: the value the shell sends back and its label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice<T> {
    /// The value to send back.
    pub value: T,
    /// What to show.
    pub label: String,
}

/// Headings, field labels and hints of the setup screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResidentRow {
    /// The id to send back.
    pub id: ResidentId,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockerRow {
    /// The id to send back.
    pub id: LockerId,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffRow {
    /// The id to send back.
    pub id: StaffId,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub locker_kinds: Vec<Choice<LockerKind>>,
    /// Kinds of items.
    pub item_kinds: Vec<Choice<ItemCategory>>,
    /// Card authentication methods.
    pub card_auths: Vec<Choice<CardAuth>>,
    /// Roles.
    pub roles: Vec<Choice<Role>>,
    /// Shifts.
    pub shifts: Vec<Choice<Shift>>,
    /// Who can sign an agreement.
    pub signatories: Vec<Choice<Signatory>>,
    /// Items an agreement can cover (the PIN envelope is `pin_scope`, separately).
    pub scope_items: Vec<Choice<ItemCategory>>,
    /// The version of the policy in force (0: the default).
    pub policy_version: u32,
    /// The policy in force, in words ("既定のルール", "第2版").
    pub policy_label: String,
    /// The policy text in force, for editing.
    pub policy_text: String,
}

/// Why the last intent was refused, kept so the view can word it in whatever locale is current.
#[derive(Debug, Clone)]
enum Refusal {
    /// A field to check (a `-field-` id) or a problem (a message id of its own).
    Input(&'static str),
    /// The rules (or the role check) said no.
    Denied(Vec<Reason>),
    /// The policy text was refused.
    Policy(PolicyError),
    /// The chosen locker is unknown.
    UnknownLocker,
    /// Anything else, worded in both languages when it happened.
    Other {
        /// In Japanese.
        ja: String,
        /// In English.
        en: String,
    },
}

impl Refusal {
    fn of(error: &FlowError) -> Refusal {
        match error {
            FlowError::InvalidInput(id) => Refusal::Input(id),
            FlowError::Denied(reasons) => Refusal::Denied(reasons.clone()),
            FlowError::Policy(error) => Refusal::Policy(error.clone()),
            FlowError::UnknownLocker => Refusal::UnknownLocker,
            other => Refusal::Other {
                ja: other.message(Locale::Ja),
                en: other.message(Locale::En),
            },
        }
    }

    fn text(&self, locale: Locale) -> String {
        let catalog = catalog(locale);
        match self {
            Refusal::Input(id) if id.contains("-field-") => catalog.format(
                "setup-error-invalid",
                &[("field", Arg::from(catalog.text(id)))],
            ),
            Refusal::Input(id) if catalog.has(id) => catalog.text(id),
            Refusal::Input(id) => FlowError::InvalidInput(id).message(locale),
            Refusal::Denied(reasons) => FlowError::Denied(reasons.clone()).message(locale),
            Refusal::Policy(error) => policy_refusal(error, catalog, locale),
            Refusal::UnknownLocker => catalog.text("setup-error-unknown-locker"),
            Refusal::Other { ja, en } => match locale {
                Locale::Ja => ja.clone(),
                Locale::En => en.clone(),
            },
        }
    }
}

fn policy_refusal(error: &PolicyError, catalog: &Catalog, locale: Locale) -> String {
    let list = |problems: &[PolicyProblem]| {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Arg::from(listed.join(" / "))
    };
    match error {
        PolicyError::Parse(problems) => {
            catalog.format("setup-error-policy-parse", &[("problems", list(problems))])
        }
        PolicyError::Invalid(problems) => catalog.format(
            "setup-error-policy-invalid",
            &[("problems", list(problems))],
        ),
        PolicyError::Unexplained { line } => catalog.format(
            "setup-error-policy-unexplained",
            &[("line", Arg::from(line.to_string()))],
        ),
        other => FlowError::Policy(other.clone()).message(locale),
    }
}

/// The setup screen's state machine.
#[derive(Debug, Clone, Default)]
pub struct SetupFlow {
    refusal: Option<Refusal>,
    done: Option<SetupDone>,
}

impl SetupFlow {
    /// A fresh setup screen.
    pub fn new() -> Self {
        SetupFlow::default()
    }

    /// What the last successful intent did (cleared by a refusal).
    pub fn last_done(&self) -> Option<SetupDone> {
        self.done
    }

    /// Register a My Number card by reading it (NFC, no PIN): its certificate and card expiry dates and its keyed
    /// identity come from the card itself, so the form's date fields are ignored. Blocking while the card is read;
    /// the shells call it off the UI thread. A read error writes nothing and shows in the view.
    pub fn register_card_by_reading(
        &mut self,
        session: &mut Session,
        mut form: ItemForm,
        card: &mut dyn CardTransceiver,
    ) -> Result<(), FlowError> {
        let outcome = if matches!(form.kind, NewItemKind::MynaCard { .. }) {
            form.card_expires_on.clear();
            form.certificate_expires_on.clear();
            read_card(card)
                .map_err(FlowError::Card)
                .and_then(|reading| register_item(session, form, Some(reading)))
        } else {
            Err(FlowError::InvalidInput(
                "setup-problem-card-reader-needs-card",
            ))
        };
        self.settle(outcome)
    }

    /// Carry out `intent`. On `Err` nothing was written and the view shows why.
    pub fn handle(&mut self, session: &mut Session, intent: SetupIntent) -> Result<(), FlowError> {
        let outcome = match intent {
            SetupIntent::AdmitResident {
                name,
                kana,
                room,
                admitted_on,
            } => admit_resident(session, &name, &kana, &room, &admitted_on),
            SetupIntent::RegisterLocker { kind, name, place } => {
                register_locker(session, kind, &name, &place)
            }
            SetupIntent::RegisterItem(form) => register_item(session, form, None),
            SetupIntent::AddStaff {
                name,
                roles,
                shifts,
                trained_on,
            } => add_staff(session, &name, &roles, &shifts, &trained_on),
            SetupIntent::RecordTraining { staff, on } => record_training(session, staff, &on),
            SetupIntent::RecordPaperAgreement(form) => record_agreement(session, form),
            SetupIntent::ReplacePolicy { text } => replace_policy(session, text),
        };
        self.settle(outcome)
    }

    /// Keep what an intent did, or why it was refused.
    fn settle(&mut self, outcome: Result<SetupDone, FlowError>) -> Result<(), FlowError> {
        match outcome {
            Ok(done) => {
                self.refusal = None;
                self.done = Some(done);
                Ok(())
            }
            Err(error) => {
                self.refusal = Some(Refusal::of(&error));
                self.done = None;
                Err(error)
            }
        }
    }

    /// The screen in the session's locale.
    pub fn view(&self, session: &Session) -> SetupView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let actor = session.actor().ok();
        let notice = match (&self.refusal, self.done) {
            (Some(refusal), _) => Some(Notice {
                kind: NoticeKind::Error,
                text: refusal.text(session.locale),
            }),
            (None, Some(done)) => Some(Notice {
                kind: NoticeKind::Info,
                text: done_text(done, session, &labels),
            }),
            (None, None) if actor.is_none() => Some(Notice {
                kind: NoticeKind::Error,
                text: FlowError::NotSignedIn.message(session.locale),
            }),
            (None, None) => None,
        };
        let reasons = match &self.refusal {
            Some(Refusal::Denied(reasons)) => reasons
                .iter()
                .map(|r| ReasonView::of(r, session.locale))
                .collect(),
            _ => Vec::new(),
        };
        let policy_problems = match &self.refusal {
            Some(Refusal::Policy(
                PolicyError::Parse(problems) | PolicyError::Invalid(problems),
            )) => problems.clone(),
            _ => Vec::new(),
        };
        let policy_version = session.policy_version();
        let (residents, lockers, staff) = if actor.is_some() {
            (
                resident_rows(session),
                locker_rows(session),
                staff_rows(session, &labels),
            )
        } else {
            // Names are personal data: nothing is listed until a member of staff signs in.
            (Vec::new(), Vec::new(), Vec::new())
        };
        let categories = [
            ItemCategory::MynaCard,
            ItemCategory::PinEnvelope,
            ItemCategory::EligibilityCertificate,
            ItemCategory::EligibilityNotice,
            ItemCategory::CareInsuranceCard,
            ItemCategory::LegacyInsuranceCard,
        ];
        let choose_category = |c: &ItemCategory| Choice {
            value: *c,
            label: labels.category(*c),
        };
        SetupView {
            title: catalog.text("setup-title"),
            notice,
            reasons,
            policy_problems,
            can_register: actor.is_some_and(|a| a.active && a.has_role(Role::Admin)),
            labels: setup_labels(catalog),
            residents,
            lockers,
            staff,
            locker_kinds: [
                LockerKind::CardLocker,
                LockerKind::PinSafe,
                LockerKind::DocumentCabinet,
            ]
            .into_iter()
            .map(|k| Choice {
                value: k,
                label: catalog.text(locker_kind_id(k)),
            })
            .collect(),
            item_kinds: categories.iter().map(choose_category).collect(),
            card_auths: [CardAuth::FaceOnly, CardAuth::Pin]
                .into_iter()
                .map(|a| Choice {
                    value: a,
                    label: catalog.text(card_auth_id(a)),
                })
                .collect(),
            roles: [
                Role::Caregiver,
                Role::CardHandler,
                Role::PinManager,
                Role::Supervisor,
                Role::Admin,
                Role::Auditor,
            ]
            .into_iter()
            .map(|r| Choice {
                value: r,
                label: catalog.text(role_id(r)),
            })
            .collect(),
            shifts: [Shift::Day, Shift::Night]
                .into_iter()
                .map(|s| Choice {
                    value: s,
                    label: catalog.text(shift_id(s)),
                })
                .collect(),
            signatories: [
                Signatory::Resident,
                Signatory::LegalRepresentative(LegalRepresentative::ParentalAuthority),
                Signatory::LegalRepresentative(LegalRepresentative::AdultGuardian),
                Signatory::FamilyWithConsent,
            ]
            .into_iter()
            .map(|s| Choice {
                value: s,
                label: catalog.text(signatory_id(s)),
            })
            .collect(),
            scope_items: categories
                .iter()
                .filter(|c| **c != ItemCategory::PinEnvelope)
                .map(choose_category)
                .collect(),
            policy_version,
            policy_label: policy_label(catalog, policy_version),
            policy_text: session.rules().policy_text().to_string(),
        }
    }
}

// -------------------------------------------------------------------------------------------------------------
// The intents

fn admit_resident(
    session: &mut Session,
    name: &str,
    kana: &str,
    room: &str,
    admitted_on: &str,
) -> Result<SetupDone, FlowError> {
    require_admin(session)?;
    let name = required(name, "setup-field-name")?;
    let kana = required(kana, "setup-field-kana")?;
    if !is_kana(kana) {
        return Err(FlowError::InvalidInput("setup-problem-kana"));
    }
    let admitted_on = date(admitted_on, "setup-field-admitted-on")?;
    let resident = session
        .store_mut()
        .new_resident(name, kana, room.trim(), admitted_on)?;
    let id = resident.id;
    session.record(EventBody::ResidentAdmitted { resident })?;
    Ok(SetupDone::ResidentAdmitted(id))
}

fn register_locker(
    session: &mut Session,
    kind: LockerKind,
    name: &str,
    place: &str,
) -> Result<SetupDone, FlowError> {
    require_admin(session)?;
    let name = required(name, "setup-field-locker-name")?;
    if session
        .store()
        .state()
        .lockers
        .values()
        .any(|l| l.name.trim() == name)
    {
        return Err(FlowError::InvalidInput("setup-problem-locker-name-taken"));
    }
    let locker = Locker {
        id: LockerId::random(),
        kind,
        name: name.to_string(),
        place: place.trim().to_string(),
    };
    let id = locker.id;
    session.record(EventBody::LockerRegistered { locker })?;
    Ok(SetupDone::LockerRegistered(id))
}

fn register_item(
    session: &mut Session,
    form: ItemForm,
    reading: Option<CardReading>,
) -> Result<SetupDone, FlowError> {
    require_admin(session)?;
    admitted_resident(session, form.resident)?;
    let locker_kind = session
        .store()
        .state()
        .lockers
        .get(&form.home_locker)
        .map(|l| l.kind)
        .ok_or(FlowError::UnknownLocker)?;
    let category = form.kind.category();
    // The PIN is never stored with the card (DOMAIN.md, "Storage").
    match (category, locker_kind) {
        (ItemCategory::PinEnvelope, kind) if kind != LockerKind::PinSafe => {
            return Err(FlowError::InvalidInput(
                "setup-problem-pin-envelope-needs-pin-safe",
            ));
        }
        (ItemCategory::MynaCard, LockerKind::PinSafe) => {
            return Err(FlowError::InvalidInput(
                "setup-problem-card-not-in-pin-safe",
            ));
        }
        _ => {}
    }
    let card_expires_on = optional_date(&form.card_expires_on, "setup-field-card-expires-on")?;
    let certificate_expires_on = optional_date(
        &form.certificate_expires_on,
        "setup-field-certificate-expires-on",
    )?;
    let document_expires_on =
        optional_date(&form.document_expires_on, "setup-field-document-expires-on")?;
    let is_card = category == ItemCategory::MynaCard;
    let has_document_date = !matches!(category, ItemCategory::MynaCard | ItemCategory::PinEnvelope);
    if (!is_card && (card_expires_on.is_some() || certificate_expires_on.is_some()))
        || (!has_document_date && document_expires_on.is_some())
    {
        return Err(FlowError::InvalidInput("setup-problem-date-not-applicable"));
    }
    if let (Some(certificate), Some(card)) = (certificate_expires_on, card_expires_on)
        && certificate > card
    {
        return Err(FlowError::InvalidInput(
            "setup-problem-certificate-after-card",
        ));
    }
    let id = ItemId::random();
    let kind = match form.kind {
        NewItemKind::MynaCard { auth } => ItemKind::MynaCard { auth },
        NewItemKind::PinEnvelope { envelope_number } => {
            let number = required(&envelope_number, "setup-field-envelope-number")?;
            ItemKind::PinEnvelope {
                envelope_number: session.store_mut().seal_envelope_number(
                    form.resident,
                    id,
                    number,
                )?,
            }
        }
        NewItemKind::EligibilityCertificate => ItemKind::EligibilityCertificate,
        NewItemKind::EligibilityNotice => ItemKind::EligibilityNotice,
        NewItemKind::CareInsuranceCard => ItemKind::CareInsuranceCard,
        NewItemKind::LegacyInsuranceCard => ItemKind::LegacyInsuranceCard,
    };
    let mut item = Item {
        id,
        resident: form.resident,
        kind,
        home_locker: form.home_locker,
        card_expires_on,
        certificate_expires_on,
        document_expires_on,
        card_identity: None,
    };
    if let Some(reading) = reading {
        // The card's own dates replace the form's, and its keyed identity is sealed on the item.
        register_card(session.store_mut(), &mut item, reading)?;
    }
    session.record(EventBody::ItemRegistered { item })?;
    Ok(SetupDone::ItemRegistered(id))
}

fn add_staff(
    session: &mut Session,
    name: &str,
    roles: &[Role],
    shifts: &[Shift],
    trained_on: &str,
) -> Result<SetupDone, FlowError> {
    require_admin(session)?;
    let name = required(name, "setup-field-staff-name")?;
    if roles.is_empty() {
        return Err(FlowError::InvalidInput("setup-problem-no-role"));
    }
    let trained_on = optional_date(trained_on, "setup-field-trained-on")?;
    if let Some(on) = trained_on {
        not_in_future(session, on)?;
    }
    let staff = session
        .store_mut()
        .new_staff(name, roles, shifts, trained_on)?;
    let id = staff.id;
    session.record(EventBody::StaffAdded { staff })?;
    Ok(SetupDone::StaffAdded(id))
}

fn record_training(
    session: &mut Session,
    staff: StaffId,
    on: &str,
) -> Result<SetupDone, FlowError> {
    require_role(
        session,
        &[Role::Admin, Role::Supervisor],
        "setup-needs-supervisor",
        "setup-needs-supervisor-cites",
    )?;
    if !session
        .store()
        .state()
        .staff
        .get(&staff)
        .is_some_and(|s| s.active)
    {
        return Err(FlowError::UnknownStaff);
    }
    let on = date(on, "setup-field-trained-on")?;
    not_in_future(session, on)?;
    session.record(EventBody::StaffTrained { staff, on })?;
    Ok(SetupDone::StaffTrained(staff, on))
}

fn record_agreement(session: &mut Session, form: AgreementForm) -> Result<SetupDone, FlowError> {
    ask_rules(
        session,
        Action::RecordAgreement,
        Target::Resident(form.resident),
    )?;
    admitted_resident(session, form.resident)?;
    let signatory_name = required(&form.signatory_name, "setup-field-signatory-name")?;
    let relation = required(&form.relation, "setup-field-relation")?;
    if form.text.trim().is_empty() {
        return Err(FlowError::InvalidInput("setup-field-agreement-text"));
    }
    if form.items.contains(&ItemCategory::PinEnvelope) {
        return Err(FlowError::InvalidInput("setup-problem-pin-in-item-scope"));
    }
    let items: BTreeSet<ItemCategory> = form.items.iter().copied().collect();
    if items.is_empty() && !form.pin_envelope {
        return Err(FlowError::InvalidInput("setup-problem-scope-empty"));
    }
    let now = session.now();
    let signed_at = match optional_date(&form.signed_on, "setup-field-signed-on")? {
        None => now,
        Some(on) => {
            not_in_future(session, on)?;
            if on == now.tokyo_date() {
                now
            } else {
                Timestamp::from_tokyo(on, 0, 0)
                    .ok_or(FlowError::InvalidInput("setup-field-signed-on"))?
            }
        }
    };
    let agreement = session.store_mut().new_agreement(
        AgreementDraft {
            resident: form.resident,
            signatory: form.signatory,
            signatory_name,
            relation,
            scope: AgreementScope {
                items,
                pin_envelope: form.pin_envelope,
            },
            // The exact text, as agreed: not trimmed.
            text: &form.text,
            method: AgreementMethod::Paper,
        },
        signed_at,
    )?;
    let id = agreement.id;
    session.record(EventBody::AgreementRecorded { agreement })?;
    Ok(SetupDone::AgreementRecorded(id))
}

fn replace_policy(session: &mut Session, text: String) -> Result<SetupDone, FlowError> {
    ask_rules(session, Action::ChangePolicy, Target::Facility)?;
    if text.trim().is_empty() {
        return Err(FlowError::InvalidInput("setup-field-policy-text"));
    }
    let engine = RuleEngine::from_policy_text(&text)?;
    // The person replacing the rules must still be able to replace them under the new ones.
    let actor = session.actor()?;
    let still_allowed = engine.decide(&RuleRequest {
        actor,
        action: Action::ChangePolicy,
        target: Target::Facility,
        context: RuleContext::at(actor, session.now()),
    });
    if !still_allowed.is_allowed() {
        return Err(FlowError::InvalidInput("setup-problem-policy-locks-out"));
    }
    let recorded = session
        .store()
        .state()
        .policy
        .as_ref()
        .map_or(0, |(version, _)| *version);
    let version = session.policy_version().max(recorded) + 1;
    session.record(EventBody::PolicyUpdated {
        version,
        policy: text,
    })?;
    Ok(SetupDone::PolicyReplaced(version))
}

// -------------------------------------------------------------------------------------------------------------
// Checks

/// Ask the rules; setup has no approval path, so anything but "allowed" refuses with the rules' reasons.
fn ask_rules(session: &Session, action: Action, target: Target<'_>) -> Result<(), FlowError> {
    let actor = session.actor()?;
    let request = RuleRequest {
        actor,
        action,
        target,
        context: RuleContext::at(actor, session.now()),
    };
    match session.decide(&request) {
        Decision::Allowed { .. } => Ok(()),
        Decision::NeedsApproval { reasons, .. } | Decision::Denied { reasons } => {
            Err(FlowError::Denied(reasons))
        }
    }
}

fn require_admin(session: &Session) -> Result<(), FlowError> {
    require_role(
        session,
        &[Role::Admin],
        "setup-needs-admin",
        "setup-needs-admin-cites",
    )
}

/// The signed-in member of staff must be active and hold one of `roles`; otherwise a denial worded by the
/// catalogue messages `reason` and `cites`.
fn require_role(
    session: &Session,
    roles: &[Role],
    reason: &'static str,
    cites: &'static str,
) -> Result<(), FlowError> {
    let actor = session.actor()?;
    if actor.active && roles.iter().any(|role| actor.has_role(*role)) {
        return Ok(());
    }
    let (ja, en) = (catalog(Locale::Ja), catalog(Locale::En));
    Err(FlowError::Denied(vec![Reason {
        rule: reason.to_string(),
        text_ja: ja.text(reason),
        text_en: en.text(reason),
        cites_ja: ja.text(cites),
        cites_en: en.text(cites),
    }]))
}

/// The resident is known, readable and not discharged.
fn admitted_resident(session: &Session, resident: ResidentId) -> Result<(), FlowError> {
    let state = session.store().state();
    let record = state
        .residents
        .get(&resident)
        .filter(|_| !state.erased_residents.contains(&resident))
        .ok_or(FlowError::UnknownResident)?;
    if record.discharged_on.is_some() {
        return Err(FlowError::InvalidInput("setup-problem-resident-discharged"));
    }
    Ok(())
}

fn required<'a>(text: &'a str, field: &'static str) -> Result<&'a str, FlowError> {
    let text = text.trim();
    if text.is_empty() {
        Err(FlowError::InvalidInput(field))
    } else {
        Ok(text)
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
}

fn date(text: &str, field: &'static str) -> Result<NaiveDate, FlowError> {
    parse_date(text.trim()).ok_or(FlowError::InvalidInput(field))
}

fn optional_date(text: &str, field: &'static str) -> Result<Option<NaiveDate>, FlowError> {
    let text = text.trim();
    if text.is_empty() {
        Ok(None)
    } else {
        date(text, field).map(Some)
    }
}

fn not_in_future(session: &Session, on: NaiveDate) -> Result<(), FlowError> {
    if on > session.now().tokyo_date() {
        Err(FlowError::InvalidInput("setup-problem-date-in-future"))
    } else {
        Ok(())
    }
}

/// Katakana or hiragana (full or half width), the prolonged sound mark, the middle dot and spaces.
fn is_kana(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c,
            '\u{3040}'..='\u{309F}' // hiragana
            | '\u{30A0}'..='\u{30FF}' // katakana, ・, ー
            | '\u{31F0}'..='\u{31FF}' // katakana phonetic extensions
            | '\u{FF65}'..='\u{FF9F}' // half-width katakana
        ) || c.is_whitespace()
    })
}

// -------------------------------------------------------------------------------------------------------------
// The view

fn done_text(done: SetupDone, session: &Session, labels: &Labels<'_>) -> String {
    let catalog = session.catalog();
    match done {
        SetupDone::ResidentAdmitted(id) => catalog.format(
            "setup-done-resident",
            &[("name", Arg::from(labels.resident(id)))],
        ),
        SetupDone::LockerRegistered(id) => catalog.format(
            "setup-done-locker",
            &[("name", Arg::from(labels.locker(id)))],
        ),
        SetupDone::ItemRegistered(id) => {
            catalog.format("setup-done-item", &[("item", Arg::from(labels.item(id)))])
        }
        SetupDone::StaffAdded(id) => {
            catalog.format("setup-done-staff", &[("name", Arg::from(labels.staff(id)))])
        }
        SetupDone::StaffTrained(id, on) => catalog.format(
            "setup-done-training",
            &[
                ("name", Arg::from(labels.staff(id))),
                ("date", Arg::from(labels.date(on))),
            ],
        ),
        SetupDone::AgreementRecorded(id) => {
            let name = session
                .store()
                .state()
                .agreements
                .get(&id)
                .map(|a| labels.resident(a.resident))
                .unwrap_or_else(|| catalog.text("flow-name-unavailable"));
            catalog.format("setup-done-agreement", &[("name", Arg::from(name))])
        }
        SetupDone::PolicyReplaced(version) => catalog.format(
            "setup-done-policy",
            &[("version", Arg::from(policy_label(catalog, version)))],
        ),
    }
}

fn policy_label(catalog: &Catalog, version: u32) -> String {
    if version == 0 {
        catalog.text("setup-policy-default")
    } else {
        catalog.format(
            "setup-policy-version",
            &[("version", Arg::from(version.to_string()))],
        )
    }
}

fn resident_rows(session: &Session) -> Vec<ResidentRow> {
    let store = session.store();
    let state = store.state();
    let unavailable = || session.catalog().text("flow-name-unavailable");
    let mut rows: Vec<ResidentRow> = state
        .residents
        .values()
        .filter(|r| r.discharged_on.is_none() && !state.erased_residents.contains(&r.id))
        .map(|r| {
            let open = |field: Field, sealed: &Sealed| {
                store
                    .open_field(field, r.id.as_bytes(), sealed)
                    .map(|text| text.to_string())
            };
            ResidentRow {
                id: r.id,
                name: open(Field::ResidentName, &r.name).unwrap_or_else(|_| unavailable()),
                kana: open(Field::ResidentKana, &r.kana).unwrap_or_default(),
                room: open(Field::ResidentRoom, &r.room).unwrap_or_default(),
                admitted: session.catalog().format(
                    "setup-admitted-on",
                    &[(
                        "date",
                        Arg::from(crate::app::format::date(r.admitted_on, session.locale)),
                    )],
                ),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.kana, &a.name, a.id).cmp(&(&b.kana, &b.name, b.id)));
    rows
}

fn locker_rows(session: &Session) -> Vec<LockerRow> {
    let catalog = session.catalog();
    let mut rows: Vec<LockerRow> = session
        .store()
        .state()
        .lockers
        .values()
        .map(|l| LockerRow {
            id: l.id,
            kind: l.kind,
            kind_label: catalog.text(locker_kind_id(l.kind)),
            name: l.name.clone(),
            place: l.place.clone(),
        })
        .collect();
    rows.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    rows
}

fn staff_rows(session: &Session, labels: &Labels<'_>) -> Vec<StaffRow> {
    let catalog = session.catalog();
    let separator = catalog.text("setup-list-separator");
    let mut rows: Vec<StaffRow> = session
        .store()
        .state()
        .staff
        .values()
        .map(|s| {
            let roles: Vec<String> = s.roles.iter().map(|r| catalog.text(role_id(*r))).collect();
            let shifts: Vec<String> = s
                .shifts
                .iter()
                .map(|x| catalog.text(shift_id(*x)))
                .collect();
            StaffRow {
                id: s.id,
                name: labels.staff(s.id),
                roles: if roles.is_empty() {
                    catalog.text("setup-roles-none")
                } else {
                    roles.join(&separator)
                },
                shifts: shifts.join(&separator),
                training: match s.trained_on {
                    Some(on) => {
                        catalog.format("setup-trained-on", &[("date", Arg::from(labels.date(on)))])
                    }
                    None => catalog.text("setup-never-trained"),
                },
                active: s.active,
            }
        })
        .collect();
    rows.sort_by(|a, b| (!a.active, &a.name, a.id).cmp(&(!b.active, &b.name, b.id)));
    rows
}

fn setup_labels(catalog: &Catalog) -> SetupLabels {
    let t = |id: &str| catalog.text(id);
    SetupLabels {
        residents: t("setup-section-residents"),
        lockers: t("setup-section-lockers"),
        items: t("setup-section-items"),
        staff: t("setup-section-staff"),
        training: t("setup-section-training"),
        agreements: t("setup-section-agreements"),
        policy: t("setup-section-policy"),
        name: t("setup-field-name"),
        kana: t("setup-field-kana"),
        room: t("setup-field-room"),
        admitted_on: t("setup-field-admitted-on"),
        locker_kind: t("setup-field-locker-kind"),
        locker_name: t("setup-field-locker-name"),
        place: t("setup-field-place"),
        resident: t("setup-field-resident"),
        item_kind: t("setup-field-item-kind"),
        card_auth: t("setup-field-card-auth"),
        envelope_number: t("setup-field-envelope-number"),
        home_locker: t("setup-field-home-locker"),
        card_expires_on: t("setup-field-card-expires-on"),
        certificate_expires_on: t("setup-field-certificate-expires-on"),
        document_expires_on: t("setup-field-document-expires-on"),
        staff_member: t("setup-field-staff"),
        staff_name: t("setup-field-staff-name"),
        roles: t("setup-field-roles"),
        shifts: t("setup-field-shifts"),
        trained_on: t("setup-field-trained-on"),
        signatory: t("setup-field-signatory"),
        signatory_name: t("setup-field-signatory-name"),
        relation: t("setup-field-relation"),
        scope: t("setup-field-scope"),
        pin_scope: t("setup-field-pin-scope"),
        agreement_text: t("setup-field-agreement-text"),
        signed_on: t("setup-field-signed-on"),
        policy_text: t("setup-field-policy-text"),
        date_hint: t("setup-date-hint"),
        envelope_hint: t("setup-envelope-hint"),
        agreement_hint: t("setup-agreement-hint"),
    }
}

fn locker_kind_id(kind: LockerKind) -> &'static str {
    match kind {
        LockerKind::CardLocker => "setup-locker-card-locker",
        LockerKind::PinSafe => "setup-locker-pin-safe",
        LockerKind::DocumentCabinet => "setup-locker-document-cabinet",
    }
}

fn card_auth_id(auth: CardAuth) -> &'static str {
    match auth {
        CardAuth::FaceOnly => "setup-card-auth-face-only",
        CardAuth::Pin => "setup-card-auth-pin",
    }
}

pub(crate) fn role_id(role: Role) -> &'static str {
    match role {
        Role::Caregiver => "setup-role-caregiver",
        Role::CardHandler => "setup-role-card-handler",
        Role::PinManager => "setup-role-pin-manager",
        Role::Supervisor => "setup-role-supervisor",
        Role::Admin => "setup-role-admin",
        Role::Auditor => "setup-role-auditor",
    }
}

fn shift_id(shift: Shift) -> &'static str {
    match shift {
        Shift::Day => "setup-shift-day",
        Shift::Night => "setup-shift-night",
    }
}

fn signatory_id(signatory: Signatory) -> &'static str {
    match signatory {
        Signatory::Resident => "setup-signatory-resident",
        Signatory::LegalRepresentative(LegalRepresentative::ParentalAuthority) => {
            "setup-signatory-parental-authority"
        }
        Signatory::LegalRepresentative(LegalRepresentative::AdultGuardian) => {
            "setup-signatory-adult-guardian"
        }
        Signatory::FamilyWithConsent => "setup-signatory-family",
    }
}
