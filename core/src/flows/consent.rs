//! The consent screen of a family member or legal representative: read the exact text of the custody agreement
//! (預かり証), learn first about the safer alternatives to leaving a PIN with the facility, confirm custody,
//! confirm the PIN-envelope scope separately, or revoke.
//!
//! The order is deliberate. DOMAIN.md asks the consent flow to offer the 顔認証マイナンバーカード (no PIN at all)
//! and the 資格確認書 (no PIN needed) *before* anyone agrees to leave a PIN envelope with the facility: the first
//! step explains both, and only after it was acknowledged can the PIN-envelope scope be confirmed. That scope is
//! a separate, explicit intent; an agreement's `pin_envelope` is true only when it was given.
//!
//! **Who operates it.** The signatory is not staff and has no key of their own in this core. Consent is therefore
//! recorded on a staff-operated [`Session`]: the signed-in administrator or supervisor records it on behalf of the
//! signatory, who read and confirmed the text on their own device — the agreement's method ([`ConsentChannel`],
//! App or Web) says so. The rules decide the recording as [`Action::RecordAgreement`] on the resident, like any
//! agreement; revocation is decided the same way.
//!
//! Confirming records a new agreement; earlier agreements stay on record and in force until revoked. Revoking
//! ends every agreement of the resident that is in force, so custody ends (the items must then be released).

use super::refusal::{Refusal, ask_rules, notice};
use super::{FlowError, Labels, Notice, Session};
use crate::i18n::Arg;
use crate::ledger::EventBody;
use crate::model::{
    AgreementId, AgreementMethod, AgreementScope, CardAuth, CustodyAgreement, ItemCategory,
    ItemKind, LegalRepresentative, ResidentId, Signatory,
};
use crate::rules::{Action, Reason, Target};
use crate::store::{AgreementDraft, Field};
use serde::Serialize;
use std::collections::BTreeSet;

/// What the facility asks the signatory to agree to: the exact text and the items it covers (a PIN envelope is
/// never covered by `items`; it is confirmed separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentOffer {
    /// The exact agreement text, as shown and as sealed into the agreement.
    pub text: String,
    /// The kinds of item the facility would hold.
    pub items: BTreeSet<ItemCategory>,
}

/// Where the signatory confirmed: on their own device, in the app or on the family web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConsentChannel {
    /// In the Azukari app on the signatory's phone.
    App,
    /// On the hub's family web page.
    Web,
}

impl ConsentChannel {
    /// The agreement method recorded for this channel.
    pub fn method(self) -> AgreementMethod {
        match self {
            ConsentChannel::App => AgreementMethod::App,
            ConsentChannel::Web => AgreementMethod::Web,
        }
    }
}

/// What the signatory (through the signed-in staff) can do.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Where the consent screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// What a button sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConsentAction {
    /// [`ConsentIntent::AcknowledgeAlternatives`].
    AcknowledgeAlternatives,
    /// [`ConsentIntent::ConfirmPinEnvelope`].
    ConfirmPinEnvelope,
    /// [`ConsentIntent::WithdrawPinEnvelope`].
    WithdrawPinEnvelope,
    /// [`ConsentIntent::ConfirmCustody`] (with the form's fields).
    ConfirmCustody,
    /// [`ConsentIntent::Revoke`].
    Revoke,
}

/// A button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentButton {
    /// Its label.
    pub label: String,
    /// What it sends.
    pub action: ConsentAction,
}

/// One explained alternative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// "顔認証マイナンバーカード".
    pub heading: String,
    /// What it is and why it is safer.
    pub body: String,
}

/// A choice of signatory for the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatoryOption {
    /// The value to send back.
    pub signatory: Signatory,
    /// "法定代理人（成年後見人）".
    pub label: String,
}

/// The PIN-envelope part of the agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreementRow {
    /// Its id.
    pub agreement: AgreementId,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The consent flow for one resident.
#[derive(Debug)]
pub struct ConsentFlow {
    resident: ResidentId,
    offer: Option<ConsentOffer>,
    step: ConsentStep,
    pin_envelope: bool,
    warnings: Vec<Reason>,
    error: Option<Refusal>,
}

impl ConsentFlow {
    /// The consent flow for `resident`, offering the text and items of the resident's latest agreement (the
    /// 預かり証 recorded at admission).
    pub fn new(resident: ResidentId) -> Self {
        ConsentFlow {
            resident,
            offer: None,
            step: ConsentStep::Alternatives,
            pin_envelope: false,
            warnings: Vec::new(),
            error: None,
        }
    }

    /// Whose agreement this flow is about.
    pub fn resident(&self) -> ResidentId {
        self.resident
    }

    /// The same flow offering a new text and items instead.
    pub fn with_offer(mut self, offer: ConsentOffer) -> Self {
        self.offer = Some(offer);
        self
    }

    /// Handle an intent. On error nothing was written and the view shows why.
    pub fn handle(
        &mut self,
        session: &mut Session,
        intent: ConsentIntent,
    ) -> Result<(), FlowError> {
        match self.apply(session, intent) {
            Ok(warnings) => {
                self.warnings = warnings;
                self.error = None;
                Ok(())
            }
            Err(error) => {
                self.error = Some(Refusal::of(&error));
                Err(error)
            }
        }
    }

    fn apply(
        &mut self,
        session: &mut Session,
        intent: ConsentIntent,
    ) -> Result<Vec<Reason>, FlowError> {
        session.actor()?;
        let state = session.store().state();
        if !state.residents.contains_key(&self.resident)
            || state.erased_residents.contains(&self.resident)
        {
            return Err(FlowError::UnknownResident);
        }
        match intent {
            ConsentIntent::AcknowledgeAlternatives => match self.step {
                ConsentStep::Alternatives | ConsentStep::Agreement => {
                    self.step = ConsentStep::Agreement;
                    Ok(Vec::new())
                }
                _ => Err(FlowError::OutOfOrder),
            },
            ConsentIntent::ConfirmPinEnvelope | ConsentIntent::WithdrawPinEnvelope => {
                if self.step != ConsentStep::Agreement {
                    return Err(FlowError::OutOfOrder);
                }
                self.pin_envelope = intent == ConsentIntent::ConfirmPinEnvelope;
                Ok(Vec::new())
            }
            ConsentIntent::ConfirmCustody {
                signatory,
                signatory_name,
                relation,
                channel,
            } => {
                if self.step != ConsentStep::Agreement {
                    return Err(FlowError::OutOfOrder);
                }
                let signatory_name = signatory_name.trim();
                if signatory_name.is_empty() {
                    return Err(FlowError::InvalidInput("consent-error-signatory-name"));
                }
                let relation = relation.trim();
                if relation.is_empty() {
                    return Err(FlowError::InvalidInput("consent-error-relation"));
                }
                let offer = self
                    .offered(session)
                    .ok_or(FlowError::InvalidInput("consent-error-no-text"))?;
                let warnings = self.allowed(session)?;
                let now = session.now();
                let draft = AgreementDraft {
                    resident: self.resident,
                    signatory,
                    signatory_name,
                    relation,
                    scope: AgreementScope {
                        items: offer.items,
                        pin_envelope: self.pin_envelope,
                    },
                    text: &offer.text,
                    method: channel.method(),
                };
                let agreement = session.store_mut().new_agreement(draft, now)?;
                session.record(EventBody::AgreementRecorded { agreement })?;
                self.step = ConsentStep::Recorded;
                Ok(warnings)
            }
            ConsentIntent::Revoke => {
                let now = session.now();
                let active: Vec<AgreementId> = self
                    .agreements(session)
                    .into_iter()
                    .filter(|a| a.is_active_at(now))
                    .map(|a| a.id)
                    .collect();
                if active.is_empty() {
                    return Err(FlowError::OutOfOrder);
                }
                let warnings = self.allowed(session)?;
                for agreement in active {
                    session.record(EventBody::AgreementRevoked {
                        agreement,
                        revoked_at: now,
                    })?;
                }
                self.step = ConsentStep::Revoked;
                Ok(warnings)
            }
        }
    }

    /// Ask the rules whether the signed-in staff may record (or revoke) the resident's agreement.
    fn allowed(&self, session: &Session) -> Result<Vec<Reason>, FlowError> {
        ask_rules(
            session,
            Action::RecordAgreement,
            Target::Resident(self.resident),
        )
    }

    /// The resident's agreements, newest first.
    fn agreements<'s>(&self, session: &'s Session) -> Vec<&'s CustodyAgreement> {
        let mut found: Vec<&CustodyAgreement> = session
            .store()
            .state()
            .agreements
            .values()
            .filter(|a| a.resident == self.resident)
            .collect();
        found.sort_by_key(|a| std::cmp::Reverse(a.signed_at));
        found
    }

    /// The text and items offered: the explicit offer, else those of the resident's latest agreement in force
    /// (or, when none is, the latest one), opened from its seal.
    fn offered(&self, session: &Session) -> Option<ConsentOffer> {
        if let Some(offer) = &self.offer {
            return (!offer.text.trim().is_empty()).then(|| ConsentOffer {
                text: offer.text.clone(),
                items: offer
                    .items
                    .iter()
                    .copied()
                    .filter(|c| *c != ItemCategory::PinEnvelope)
                    .collect(),
            });
        }
        let now = session.now();
        let agreements = self.agreements(session);
        let latest = agreements
            .iter()
            .find(|a| a.is_active_at(now))
            .or_else(|| agreements.first())?;
        let text = open_text(session, latest)?;
        Some(ConsentOffer {
            text,
            items: latest.scope.items.clone(),
        })
    }

    /// The screen.
    pub fn view(&self, session: &Session) -> ConsentView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let now = session.now();
        let offer = self.offered(session);
        let agreements = self.agreements(session);
        let any_active = agreements.iter().any(|a| a.is_active_at(now));

        let instruction = catalog.text(match self.step {
            ConsentStep::Alternatives => "consent-instruction-alternatives",
            ConsentStep::Agreement => "consent-instruction-agreement",
            ConsentStep::Recorded => "consent-instruction-recorded",
            ConsentStep::Revoked => "consent-instruction-revoked",
        });
        let alternatives = [
            ("consent-face-auth-heading", "consent-face-auth-body"),
            ("consent-certificate-heading", "consent-certificate-body"),
        ]
        .into_iter()
        .map(|(heading, body)| Explanation {
            heading: catalog.text(heading),
            body: catalog.text(body),
        })
        .collect();

        let available = self.step == ConsentStep::Agreement;
        let pin_envelope = PinEnvelopeChoice {
            available,
            confirmed: self.pin_envelope,
            explanation: catalog.text("consent-pin-explanation"),
            status: catalog.text(if !available && self.step == ConsentStep::Alternatives {
                "consent-pin-after-alternatives"
            } else if self.pin_envelope {
                "consent-pin-confirmed"
            } else {
                "consent-pin-not-confirmed"
            }),
        };

        let mut buttons = Vec::new();
        let mut button = |id: &str, action| {
            buttons.push(ConsentButton {
                label: catalog.text(id),
                action,
            })
        };
        match self.step {
            ConsentStep::Alternatives => {
                button(
                    "consent-button-acknowledge",
                    ConsentAction::AcknowledgeAlternatives,
                );
            }
            ConsentStep::Agreement => {
                if self.pin_envelope {
                    button(
                        "consent-button-withdraw-pin",
                        ConsentAction::WithdrawPinEnvelope,
                    );
                } else {
                    button(
                        "consent-button-confirm-pin",
                        ConsentAction::ConfirmPinEnvelope,
                    );
                }
                if offer.is_some() {
                    button("consent-button-confirm", ConsentAction::ConfirmCustody);
                }
            }
            ConsentStep::Recorded | ConsentStep::Revoked => {}
        }
        if any_active {
            button("consent-button-revoke", ConsentAction::Revoke);
        }

        let signatories = [
            Signatory::Resident,
            Signatory::FamilyWithConsent,
            Signatory::LegalRepresentative(LegalRepresentative::AdultGuardian),
            Signatory::LegalRepresentative(LegalRepresentative::ParentalAuthority),
        ]
        .into_iter()
        .map(|signatory| SignatoryOption {
            signatory,
            label: catalog.text(signatory_id(signatory)),
        })
        .collect();

        let rows = agreements
            .iter()
            .map(|a| agreement_row(session, &labels, a))
            .collect();

        ConsentView {
            title: catalog.text("consent-title"),
            step: self.step,
            resident: labels.resident(self.resident),
            instruction,
            alternatives,
            card: card_note(session, self.resident),
            agreement_text: offer.as_ref().map_or_else(
                || catalog.text("consent-text-unavailable"),
                |o| o.text.clone(),
            ),
            covers: offer.as_ref().map_or_else(
                || catalog.text("consent-covers-nothing"),
                |o| covers(session, &labels, &o.items, false),
            ),
            pin_envelope,
            signatories,
            agreements: rows,
            buttons,
            notice: notice(session.locale, self.error.as_ref(), &self.warnings),
        }
    }
}

fn open_text(session: &Session, agreement: &CustodyAgreement) -> Option<String> {
    session
        .store()
        .open_field(
            Field::AgreementText,
            agreement.id.as_bytes(),
            &agreement.text,
        )
        .ok()
        .map(|text| text.to_string())
}

fn agreement_row(session: &Session, labels: &Labels<'_>, a: &CustodyAgreement) -> AgreementRow {
    let catalog = session.catalog();
    let store = session.store();
    let unavailable = || catalog.text("flow-name-unavailable");
    let open = |field, sealed| {
        store
            .open_field(field, a.id.as_bytes(), sealed)
            .map_or_else(|_| unavailable(), |t| t.to_string())
    };
    let now = session.now();
    let method = catalog.text(match a.method {
        AgreementMethod::Paper => "consent-method-paper",
        AgreementMethod::App => "consent-method-app",
        AgreementMethod::Web => "consent-method-web",
    });
    AgreementRow {
        agreement: a.id,
        text: open_text(session, a).unwrap_or_else(|| catalog.text("consent-text-unavailable")),
        signatory: catalog.format(
            "consent-signatory-line",
            &[
                (
                    "name",
                    Arg::from(open(Field::SignatoryName, &a.signatory_name)),
                ),
                (
                    "relation",
                    Arg::from(open(Field::SignatoryRelation, &a.relation)),
                ),
                ("kind", Arg::from(catalog.text(signatory_id(a.signatory)))),
            ],
        ),
        covers: covers(session, labels, &a.scope.items, a.scope.pin_envelope),
        signed: catalog.format(
            "consent-signed",
            &[
                ("at", Arg::from(labels.time(a.signed_at))),
                ("method", Arg::from(method)),
            ],
        ),
        status: match a.revoked_at {
            Some(at) if at <= now => catalog.format(
                "consent-status-revoked",
                &[("at", Arg::from(labels.time(at)))],
            ),
            _ => catalog.text("consent-status-active"),
        },
        active: a.is_active_at(now),
    }
}

/// "マイナ保険証、資格確認書（暗証番号封筒を含む）".
fn covers(
    session: &Session,
    labels: &Labels<'_>,
    items: &BTreeSet<ItemCategory>,
    pin_envelope: bool,
) -> String {
    let catalog = session.catalog();
    let mut names: Vec<String> = items
        .iter()
        .filter(|c| **c != ItemCategory::PinEnvelope)
        .map(|c| labels.category(*c))
        .collect();
    if pin_envelope {
        names.push(labels.category(ItemCategory::PinEnvelope));
    }
    if names.is_empty() {
        return catalog.text("consent-covers-nothing");
    }
    names.join(&catalog.text("consent-list-separator"))
}

/// Whether the resident's card has a PIN, in words.
fn card_note(session: &Session, resident: ResidentId) -> Option<String> {
    let auth = session
        .store()
        .state()
        .items
        .values()
        .filter(|r| r.item.resident == resident && !r.retired)
        .find_map(|r| match r.item.kind {
            ItemKind::MynaCard { auth } => Some(auth),
            _ => None,
        })?;
    Some(session.catalog().text(match auth {
        CardAuth::FaceOnly => "consent-card-face-only",
        CardAuth::Pin => "consent-card-with-pin",
    }))
}

fn signatory_id(signatory: Signatory) -> &'static str {
    match signatory {
        Signatory::Resident => "consent-signatory-resident",
        Signatory::FamilyWithConsent => "consent-signatory-family",
        Signatory::LegalRepresentative(LegalRepresentative::AdultGuardian) => {
            "consent-signatory-adult-guardian"
        }
        Signatory::LegalRepresentative(LegalRepresentative::ParentalAuthority) => {
            "consent-signatory-parental-authority"
        }
    }
}
