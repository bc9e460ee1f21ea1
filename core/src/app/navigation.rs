//! The update: one event in, the app's state changed (or a notice saying why not).

use super::error::{self, AppError};
use super::screens::capabilities;
use super::{App, AppEvent, FieldId, Flows, Said, ScreenKind, Waiting};
use crate::flows::approval::ApprovalIntent;
use crate::flows::audit::{AuditFlow, AuditIntent};
use crate::flows::board::BoardIntent;
use crate::flows::consent::{ConsentChannel, ConsentFlow, ConsentIntent};
use crate::flows::handover::{HandoverFlow, HandoverIntent, PurposeChoice};
use crate::flows::incident::{IncidentFlow, IncidentIntent};
use crate::flows::setup::{ItemForm, NewItemKind, SetupIntent};
use crate::flows::{FlowError, NoticeKind, Session};
use crate::ledger::{IncidentKind, IncidentStep, ReleaseTo};
use crate::model::{
    CardAuth, IncidentId, ItemId, LockerId, LockerKind, RequestId, ResidentId, Role, Shift,
    Signatory, StaffId,
};
use crate::qr::LabelPayload;
use crate::store::Unlock;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value a choice sends back for `value` (its serde name, e.g. `"MedicalVisit"`).
pub(super) fn code<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The value a choice sent back, if it is one of `T`'s.
pub(super) fn parse_code<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

impl App {
    /// Apply `event`.
    pub(super) fn update(&mut self, event: AppEvent) -> Result<(), AppError> {
        match event {
            AppEvent::Open { screen } => self.open(screen),
            AppEvent::Back => {
                self.waiting = None;
                if self.stack.len() > 1 {
                    self.stack.pop();
                }
            }
            AppEvent::Edit { field, value } => {
                self.fields.insert(field, value);
            }
            AppEvent::UnlockWithVault => {
                if self.session.is_none() {
                    let vault = self.vault.clone();
                    if let Err(error) = self.open_store(Unlock::Vault(vault.as_ref())) {
                        self.refuse_store(&error)?;
                    }
                }
            }
            AppEvent::UnlockWithPassphrase => {
                let passphrase = self
                    .fields
                    .remove(&FieldId::RecoveryPassphrase)
                    .unwrap_or_default();
                if self.session.is_none() {
                    if passphrase.trim().is_empty() {
                        self.say(NoticeKind::Error, "app-unlock-passphrase-missing");
                    } else if let Err(error) =
                        self.open_store(Unlock::RecoveryPassphrase(passphrase.trim()))
                    {
                        self.refuse_store(&error)?;
                    } else {
                        // The vault lost its key: wrap the data key for it again, so the next unlock needs no
                        // passphrase.
                        let vault = self.vault.clone();
                        let rewrapped = self
                            .session
                            .as_mut()
                            .map(|session| session.store_mut().rewrap_for_vault(vault.as_ref()));
                        match rewrapped {
                            Some(Ok(())) => self.say(NoticeKind::Info, "app-unlock-rewrapped"),
                            Some(Err(error)) => self.refuse_store(&error)?,
                            None => {}
                        }
                    }
                }
            }
            AppEvent::SignIn { staff } => self.sign_in(&staff)?,
            AppEvent::SignOut => {
                if let Some(session) = self.session.as_mut() {
                    session.sign_out();
                }
                self.flows = Flows::default();
                self.fields.clear();
                self.waiting = None;
                if self.session.is_some() {
                    self.stack = vec![ScreenKind::SignIn];
                }
            }
            AppEvent::Lock => {
                if let Some(session) = self.session.take() {
                    session.into_store().close()?;
                }
                self.flows = Flows::default();
                self.fields.clear();
                self.waiting = None;
                self.stack = vec![ScreenKind::Unlock];
            }
            AppEvent::SetLanguage { language } => {
                self.locale = language;
                if let Some(session) = self.session.as_mut() {
                    session.locale = language;
                }
            }
            AppEvent::ScanLabel => {
                if self.signed_in() || (self.session.is_none() && !self.path.exists()) {
                    self.waiting = Some(Waiting::Scan);
                } else {
                    self.say(NoticeKind::Error, "app-sign-in-first");
                }
            }
            AppEvent::Scanned { text } => {
                if self.waiting == Some(Waiting::Scan) {
                    self.waiting = None;
                }
                self.open_label(text)?;
            }
            AppEvent::CardCancelled => {
                if self.waiting == Some(Waiting::Card) {
                    self.waiting = None;
                    self.card_form = None;
                }
            }
            AppEvent::ScanCancelled => {
                if self.waiting == Some(Waiting::Scan) {
                    self.waiting = None;
                }
            }
            AppEvent::ChooseItem { item } => match ItemId::parse(&item) {
                Ok(item) => {
                    self.handover(HandoverIntent::ChooseItem { item })?;
                }
                Err(_) => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::ChoosePurpose { purpose } => match parse_code::<PurposeChoice>(&purpose) {
                Some(purpose) => {
                    let note = self.fields.get(&FieldId::PurposeNote).cloned();
                    if self.handover(HandoverIntent::ChoosePurpose { purpose, note })? {
                        self.fields.remove(&FieldId::PurposeNote);
                    }
                }
                None => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::CheckOut | AppEvent::ReturnItem => {
                self.handover(HandoverIntent::Confirm)?;
            }
            AppEvent::RequestApproval => {
                self.handover(HandoverIntent::RequestApproval)?;
            }
            AppEvent::CheckApproval => {
                self.handover(HandoverIntent::CheckApproval)?;
            }
            AppEvent::ResumeRequest { request } => {
                let mine = RequestId::parse(&request).ok().filter(|id| {
                    self.session.as_ref().is_some_and(|s| {
                        let requester =
                            s.store().state().requests.get(id).and_then(|r| r.requester);
                        requester.is_some() && requester == s.actor_id().ok()
                    })
                });
                match (mine, self.session.as_ref()) {
                    (Some(request), Some(session)) => {
                        self.flows.handover = HandoverFlow::restore(
                            session,
                            crate::flows::handover::HandoverSnapshot::Waiting { request },
                        );
                        self.push(ScreenKind::Handover);
                    }
                    _ => self.say(NoticeKind::Error, "app-unknown-choice"),
                }
            }
            AppEvent::TapCard => {
                if self.screen() == ScreenKind::Handover {
                    self.waiting = Some(Waiting::Card);
                }
            }
            AppEvent::StartOver => {
                self.flows.handover = HandoverFlow::new();
            }
            AppEvent::HandOver { item } => {
                let to = self
                    .fields
                    .get(&FieldId::Colleague)
                    .and_then(|t| StaffId::parse(t).ok());
                match (ItemId::parse(&item), to) {
                    (Ok(item), Some(to)) => {
                        self.hand_over_or_release(HandoverIntent::HandOver { item, to })?
                    }
                    (_, None) => self.say(NoticeKind::Error, "app-choose-colleague"),
                    _ => self.say(NoticeKind::Error, "app-unknown-choice"),
                }
            }
            AppEvent::Release { item } => {
                let to = self.chosen::<ReleaseTo>(FieldId::ReleaseTo);
                match (ItemId::parse(&item), to) {
                    (Ok(item), Some(to)) => {
                        self.hand_over_or_release(HandoverIntent::Release { item, to })?
                    }
                    (_, None) => self.say(NoticeKind::Error, "app-choose-release-to"),
                    _ => self.say(NoticeKind::Error, "app-unknown-choice"),
                }
            }
            AppEvent::Approve { request } => match RequestId::parse(&request) {
                Ok(request) => {
                    self.run(|flows, session| {
                        flows
                            .approvals
                            .handle(session, ApprovalIntent::Approve { request })
                    })?;
                }
                Err(_) => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::Deny { request } => match RequestId::parse(&request) {
                Ok(request) => {
                    let reason = self
                        .fields
                        .get(&FieldId::DenyReason)
                        .cloned()
                        .unwrap_or_default();
                    let denied = self.run(|flows, session| {
                        flows
                            .approvals
                            .handle(session, ApprovalIntent::Deny { request, reason })
                    })?;
                    if denied {
                        self.fields.remove(&FieldId::DenyReason);
                    }
                }
                Err(_) => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::OpenConsent { resident } => {
                let known = ResidentId::parse(&resident).ok().filter(|id| {
                    self.session
                        .as_ref()
                        .is_some_and(|s| s.store().state().residents.contains_key(id))
                });
                match known {
                    Some(resident) if self.may(ScreenKind::Consent) => {
                        let first = self.session.as_ref().is_some_and(|s| {
                            !s.store()
                                .state()
                                .agreements
                                .values()
                                .any(|a| a.resident == resident)
                        });
                        let flow = ConsentFlow::new(resident);
                        // A resident without any agreement is offered the facility's standard text.
                        self.flows.consent = Some(if first {
                            flow.with_offer(standard_offer(self.locale))
                        } else {
                            flow
                        });
                        self.push(ScreenKind::Consent);
                    }
                    Some(_) => self.say(NoticeKind::Error, "app-not-allowed"),
                    None => self.say(NoticeKind::Error, "app-unknown-choice"),
                }
            }
            AppEvent::AcknowledgeAlternatives => {
                self.consent(ConsentIntent::AcknowledgeAlternatives)?
            }
            AppEvent::ConfirmPinEnvelope => self.consent(ConsentIntent::ConfirmPinEnvelope)?,
            AppEvent::WithdrawPinEnvelope => self.consent(ConsentIntent::WithdrawPinEnvelope)?,
            AppEvent::RevokeConsent => self.consent(ConsentIntent::Revoke)?,
            AppEvent::ConfirmCustody => {
                let signatory = self.chosen::<Signatory>(FieldId::Signatory);
                match signatory {
                    Some(signatory) => {
                        let signatory_name = self.field(FieldId::SignatoryName);
                        let relation = self.field(FieldId::Relation);
                        self.consent(ConsentIntent::ConfirmCustody {
                            signatory,
                            signatory_name,
                            relation,
                            channel: ConsentChannel::App,
                        })?
                    }
                    None => self.say(NoticeKind::Error, "app-choose-signatory"),
                }
            }
            AppEvent::StartAudit => {
                self.flows.audit = AuditFlow::new();
                self.run(|flows, session| flows.audit.handle(session, AuditIntent::Start))?;
            }
            AppEvent::MarkFound { item } => match ItemId::parse(&item) {
                Ok(item) => {
                    self.run(|flows, session| {
                        flows.audit.handle(session, AuditIntent::MarkFound { item })
                    })?;
                }
                Err(_) => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::MarkMissing { item } => match ItemId::parse(&item) {
                Ok(item) => {
                    self.run(|flows, session| {
                        flows
                            .audit
                            .handle(session, AuditIntent::MarkMissing { item })
                    })?;
                }
                Err(_) => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::CompleteAudit => {
                self.run(|flows, session| flows.audit.handle(session, AuditIntent::Complete))?;
            }
            AppEvent::OpenIncident => {
                let kind = self.chosen::<IncidentKind>(FieldId::IncidentKind);
                let item = self
                    .fields
                    .get(&FieldId::IncidentItem)
                    .and_then(|t| ItemId::parse(t).ok());
                match kind {
                    Some(kind) => {
                        self.flows.incident = IncidentFlow::new();
                        if self.run(|flows, session| {
                            flows
                                .incident
                                .handle(session, IncidentIntent::Open { kind, item })
                        })? {
                            self.fields.remove(&FieldId::IncidentKind);
                            self.fields.remove(&FieldId::IncidentItem);
                        }
                    }
                    None => self.say(NoticeKind::Error, "app-choose-incident-kind"),
                }
            }
            AppEvent::ResumeIncident { incident } => {
                let known = IncidentId::parse(&incident).ok().filter(|id| {
                    self.session
                        .as_ref()
                        .is_some_and(|s| s.store().state().incidents.contains_key(id))
                });
                match known {
                    Some(incident) if self.may(ScreenKind::Incident) => {
                        self.flows.incident = IncidentFlow::resume(incident);
                        self.push(ScreenKind::Incident);
                    }
                    Some(_) => self.say(NoticeKind::Error, "app-not-allowed"),
                    None => self.say(NoticeKind::Error, "app-unknown-choice"),
                }
            }
            AppEvent::CompleteStep { step } => match parse_code::<IncidentStep>(&step) {
                Some(step) => {
                    self.run(|flows, session| {
                        flows
                            .incident
                            .handle(session, IncidentIntent::CompleteStep { step })
                    })?;
                }
                None => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::RecordPoliceReport => {
                let receipt_number = self.field(FieldId::ReceiptNumber);
                if self.run(|flows, session| {
                    flows.incident.handle(
                        session,
                        IncidentIntent::RecordPoliceReport { receipt_number },
                    )
                })? {
                    self.fields.remove(&FieldId::ReceiptNumber);
                }
            }
            AppEvent::CloseIncident => {
                self.run(|flows, session| flows.incident.handle(session, IncidentIntent::Close))?;
            }
            AppEvent::ShowAll => {
                self.run(|flows, session| flows.board.handle(session, BoardIntent::ShowAll))?;
                self.push(ScreenKind::Board);
            }
            AppEvent::ShowResident { resident } => match ResidentId::parse(&resident) {
                Ok(resident) if self.may(ScreenKind::Board) => {
                    self.run(|flows, session| {
                        flows
                            .board
                            .handle(session, BoardIntent::ShowResident(resident))
                    })?;
                    self.push(ScreenKind::Board);
                }
                Ok(_) => self.say(NoticeKind::Error, "app-not-allowed"),
                Err(_) => self.say(NoticeKind::Error, "app-unknown-choice"),
            },
            AppEvent::AdmitResident => {
                let intent = SetupIntent::AdmitResident {
                    name: self.field(FieldId::ResidentName),
                    kana: self.field(FieldId::ResidentKana),
                    room: self.field(FieldId::ResidentRoom),
                    admitted_on: self.field(FieldId::AdmittedOn),
                };
                self.setup(
                    intent,
                    &[
                        FieldId::ResidentName,
                        FieldId::ResidentKana,
                        FieldId::ResidentRoom,
                        FieldId::AdmittedOn,
                    ],
                )?;
            }
            AppEvent::RegisterLocker => {
                let kind = self
                    .chosen::<LockerKind>(FieldId::LockerKind)
                    .unwrap_or(LockerKind::CardLocker);
                let intent = SetupIntent::RegisterLocker {
                    kind,
                    name: self.field(FieldId::LockerName),
                    place: self.field(FieldId::LockerPlace),
                };
                self.setup(
                    intent,
                    &[
                        FieldId::LockerKind,
                        FieldId::LockerName,
                        FieldId::LockerPlace,
                    ],
                )?;
            }
            AppEvent::AddStaff => {
                let roles = self
                    .chosen::<Vec<Role>>(FieldId::StaffRole)
                    .unwrap_or_default();
                let shifts = self
                    .chosen::<Vec<Shift>>(FieldId::StaffShift)
                    .unwrap_or_default();
                let intent = SetupIntent::AddStaff {
                    name: self.field(FieldId::StaffName),
                    roles,
                    shifts,
                    trained_on: self.field(FieldId::TrainedOn),
                };
                self.setup(
                    intent,
                    &[
                        FieldId::StaffName,
                        FieldId::StaffRole,
                        FieldId::StaffShift,
                        FieldId::TrainedOn,
                    ],
                )?;
            }
            AppEvent::RegisterItem => {
                let resident = self
                    .fields
                    .get(&FieldId::ItemResident)
                    .and_then(|t| ResidentId::parse(t).ok());
                let locker = self
                    .fields
                    .get(&FieldId::ItemLocker)
                    .and_then(|t| LockerId::parse(t).ok());
                let kind = self.new_item_kind();
                match (resident, locker, kind) {
                    (Some(resident), Some(home_locker), Some(kind)) => {
                        let form = ItemForm {
                            resident,
                            kind,
                            home_locker,
                            card_expires_on: String::new(),
                            certificate_expires_on: String::new(),
                            document_expires_on: self.field(FieldId::DocumentExpiresOn),
                        };
                        if matches!(form.kind, NewItemKind::MynaCard { .. }) {
                            // A card is registered by reading it: its dates and identity come from the card.
                            self.card_form = Some(form);
                            self.waiting = Some(Waiting::Card);
                            return Ok(());
                        }
                        self.setup(
                            SetupIntent::RegisterItem(form),
                            &[FieldId::EnvelopeNumber, FieldId::DocumentExpiresOn],
                        )?;
                    }
                    _ => self.say(NoticeKind::Error, "app-item-form-incomplete"),
                }
            }
            AppEvent::RecordTraining => {
                match self
                    .fields
                    .get(&FieldId::TrainingStaff)
                    .and_then(|t| StaffId::parse(t).ok())
                {
                    Some(staff) => {
                        let on = self.field(FieldId::TrainingDate);
                        self.setup(
                            SetupIntent::RecordTraining { staff, on },
                            &[FieldId::TrainingStaff, FieldId::TrainingDate],
                        )?;
                    }
                    None => self.say(NoticeKind::Error, "app-choose-staff"),
                }
            }
            AppEvent::RecordPaperAgreement => {
                let resident = self
                    .fields
                    .get(&FieldId::AgreementResident)
                    .and_then(|t| ResidentId::parse(t).ok());
                let signatory = self.chosen::<Signatory>(FieldId::Signatory);
                let items = self.chosen::<Vec<crate::model::ItemCategory>>(FieldId::AgreementScope);
                match (resident, signatory, items) {
                    (Some(resident), Some(signatory), Some(items)) => {
                        let form = crate::flows::setup::AgreementForm {
                            resident,
                            signatory,
                            signatory_name: self.field(FieldId::SignatoryName),
                            relation: self.field(FieldId::Relation),
                            items,
                            pin_envelope: self.field(FieldId::AgreementPin) == "true",
                            text: self.field(FieldId::AgreementText),
                            signed_on: self.field(FieldId::SignedOn),
                        };
                        self.setup(
                            SetupIntent::RecordPaperAgreement(form),
                            &[
                                FieldId::AgreementResident,
                                FieldId::Signatory,
                                FieldId::SignatoryName,
                                FieldId::Relation,
                                FieldId::AgreementScope,
                                FieldId::AgreementPin,
                                FieldId::AgreementText,
                                FieldId::SignedOn,
                            ],
                        )?;
                    }
                    _ => self.say(NoticeKind::Error, "app-agreement-form-incomplete"),
                }
            }
            AppEvent::ReplacePolicy => {
                let text = self.field(FieldId::PolicyText);
                self.setup(SetupIntent::ReplacePolicy { text }, &[FieldId::PolicyText])?;
            }
            AppEvent::AcknowledgeDamage => {
                let admin = self
                    .session
                    .as_ref()
                    .and_then(|s| s.actor().ok())
                    .is_some_and(|a| a.has_role(crate::model::Role::Admin));
                match self.session.as_mut() {
                    Some(session) if admin && session.store().damage().is_some() => {
                        session.store_mut().acknowledge_damage()?;
                        self.say(NoticeKind::Warning, "app-damage-acknowledged");
                    }
                    _ => self.say(NoticeKind::Error, "app-not-allowed"),
                }
            }
            AppEvent::IssueLabels => self.issue_labels()?,
            AppEvent::SyncNow => {
                if self.signed_in() {
                    self.waiting = Some(Waiting::Sync);
                }
            }
            AppEvent::ExportLedger => self.export_ledger()?,
            AppEvent::FileShared => {
                if matches!(self.waiting, Some(Waiting::Share { .. })) {
                    self.waiting = None;
                }
            }
        }
        Ok(())
    }

    /// The choice made in the one-of field `id`, if it is one of `T`'s.
    fn chosen<T: DeserializeOwned>(&self, id: FieldId) -> Option<T> {
        self.fields.get(&id).and_then(|text| parse_code(text))
    }

    fn field(&self, id: FieldId) -> String {
        self.fields.get(&id).cloned().unwrap_or_default()
    }

    pub(super) fn signed_in(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|session| session.actor_id().is_ok())
    }

    /// Whether the signed-in member of staff may open `screen` (the home screen offers only these).
    pub(super) fn may(&self, screen: ScreenKind) -> bool {
        match screen {
            ScreenKind::Unlock => self.session.is_none(),
            ScreenKind::SignIn => self.session.is_some(),
            _ => self
                .session
                .as_ref()
                .is_some_and(|session| capabilities(session).may_open(screen)),
        }
    }

    fn push(&mut self, screen: ScreenKind) {
        if self.screen() != screen {
            self.stack.push(screen);
        }
    }

    fn open(&mut self, screen: ScreenKind) {
        self.waiting = None;
        if !self.may(screen) {
            let id = if self.signed_in() {
                "app-not-allowed"
            } else {
                "app-sign-in-first"
            };
            self.say(NoticeKind::Error, id);
            return;
        }
        match screen {
            ScreenKind::Home => self.stack = vec![ScreenKind::Home],
            ScreenKind::Consent if self.flows.consent.is_none() => {
                self.push(ScreenKind::Agreements)
            }
            other => self.push(other),
        }
    }

    fn sign_in(&mut self, staff: &str) -> Result<(), AppError> {
        let Some(session) = self.session.as_mut() else {
            self.say(NoticeKind::Error, "app-error-locked");
            return Ok(());
        };
        let signed = StaffId::parse(staff)
            .map_err(|_| FlowError::UnknownStaff)
            .and_then(|id| session.sign_in(id));
        match signed {
            Ok(()) => {
                self.flows = Flows::default();
                self.stack = vec![ScreenKind::Home];
                if let Some(text) = self.pending_label.take() {
                    self.open_label(text)?;
                }
            }
            Err(error) => self.refuse(error)?,
        }
        Ok(())
    }

    /// A label scanned in the app or opened from the OS camera: the running audit takes it when one is open,
    /// else the handover opens at that locker. A label of another facility, a forged or damaged one changes
    /// nothing and says why.
    fn open_label(&mut self, text: String) -> Result<(), AppError> {
        let Some(session) = self.session.as_ref() else {
            if !self.path.exists() {
                // No store yet: only an enrollment QR means something here.
                match crate::sync::EnrollmentInvite::parse(&text) {
                    Ok(invite) if invite.is_expired(self.clock.now()) => {
                        self.say(NoticeKind::Error, "app-join-expired")
                    }
                    Ok(invite) => self.waiting = Some(Waiting::Join(invite)),
                    Err(_) => self.say(NoticeKind::Error, "app-join-not-an-invite"),
                }
                return Ok(());
            }
            self.pending_label = Some(text);
            self.say(NoticeKind::Info, "app-label-unlock-first");
            return Ok(());
        };
        if session.actor_id().is_err() {
            self.pending_label = Some(text);
            self.say(NoticeKind::Info, "app-label-sign-in-first");
            return Ok(());
        }
        let verified =
            LabelPayload::parse(&text).and_then(|label| label.verify(session.store().state()));
        let locker = match verified {
            Ok(locker) => locker,
            Err(problem) => {
                self.said.push(Said::new(NoticeKind::Error, |locale| {
                    problem.message(locale)
                }));
                return Ok(());
            }
        };
        if self.flows.audit.is_running() {
            self.run(|flows, session| {
                flows
                    .audit
                    .handle(session, AuditIntent::ScanLocker { locker })
            })?;
            self.push(ScreenKind::Audit);
        } else {
            self.flows.handover = HandoverFlow::new();
            self.handover(HandoverIntent::ScanLocker { locker })?;
            self.push(ScreenKind::Handover);
        }
        Ok(())
    }

    /// Run a flow's step on the open session: `true` when it was done, `false` when refused (the flow's view
    /// says why).
    pub(super) fn run(
        &mut self,
        step: impl FnOnce(&mut Flows, &mut Session) -> Result<(), FlowError>,
    ) -> Result<bool, AppError> {
        let App { session, flows, .. } = self;
        let Some(session) = session.as_mut() else {
            return Err(AppError::Locked);
        };
        match step(flows, session) {
            Ok(()) => Ok(true),
            Err(error) => {
                error::infrastructure(error)?;
                Ok(false)
            }
        }
    }

    fn handover(&mut self, intent: HandoverIntent) -> Result<bool, AppError> {
        self.run(|flows, session| flows.handover.handle(session, intent))
    }

    /// Hand over or release from the list of items held: the result shows on the handover screen.
    fn hand_over_or_release(&mut self, intent: HandoverIntent) -> Result<(), AppError> {
        if self.handover(intent)? {
            self.fields.remove(&FieldId::Colleague);
            self.fields.remove(&FieldId::ReleaseTo);
            self.push(ScreenKind::Handover);
        } else {
            // The refusal is shown where the person is, not on the handover screen they did not open.
            let notice = {
                let session = self.session.as_ref().ok_or(AppError::Locked)?;
                self.flows.handover.view(session).notice
            };
            if notice.is_some() {
                self.flows.handover = HandoverFlow::new();
            }
            if let Some(notice) = notice {
                self.said.push(Said {
                    kind: notice.kind,
                    ja: notice.text.clone(),
                    en: notice.text,
                });
            }
        }
        Ok(())
    }

    fn consent(&mut self, intent: ConsentIntent) -> Result<(), AppError> {
        let done = self.run(|flows, session| match flows.consent.as_mut() {
            Some(flow) => flow.handle(session, intent),
            None => Err(FlowError::OutOfOrder),
        })?;
        if done {
            self.fields.remove(&FieldId::SignatoryName);
            self.fields.remove(&FieldId::Relation);
        }
        Ok(())
    }

    fn setup(&mut self, intent: SetupIntent, clear: &[FieldId]) -> Result<(), AppError> {
        if self.run(|flows, session| flows.setup.handle(session, intent))? {
            for field in clear {
                self.fields.remove(field);
            }
        }
        Ok(())
    }

    fn new_item_kind(&self) -> Option<NewItemKind> {
        let kind = self.fields.get(&FieldId::ItemKind)?;
        Some(match kind.as_str() {
            "MynaCardFaceOnly" => NewItemKind::MynaCard {
                auth: CardAuth::FaceOnly,
            },
            "MynaCardPin" => NewItemKind::MynaCard {
                auth: CardAuth::Pin,
            },
            "PinEnvelope" => NewItemKind::PinEnvelope {
                envelope_number: self.field(FieldId::EnvelopeNumber),
            },
            "EligibilityCertificate" => NewItemKind::EligibilityCertificate,
            "EligibilityNotice" => NewItemKind::EligibilityNotice,
            "CareInsuranceCard" => NewItemKind::CareInsuranceCard,
            _ => return None,
        })
    }

    fn refuse(&mut self, error: FlowError) -> Result<(), AppError> {
        let error = error::infrastructure(error)?;
        self.said
            .push(Said::new(NoticeKind::Error, |locale| error.message(locale)));
        Ok(())
    }

    fn refuse_store(&mut self, error: &crate::store::StoreError) -> Result<(), AppError> {
        if matches!(error, crate::store::StoreError::Corrupt { .. }) {
            // A damaged store was moved aside: the app cannot go on until it is restored from the hub.
            return Err(AppError::Store(crate::store::StoreError::Corrupt {
                quarantined_to: None,
            }));
        }
        self.said.push(Said::new(NoticeKind::Error, |locale| {
            error::store_message(error, locale)
        }));
        Ok(())
    }

    /// Issue a new label for every locker and offer the sheet to print.
    fn issue_labels(&mut self) -> Result<(), AppError> {
        let host = self.label_host.clone();
        let session = self.session.as_mut().ok_or(AppError::Locked)?;
        let actor = match session.actor_id() {
            Ok(actor) => actor,
            Err(error) => return self.refuse(error),
        };
        let mut lockers: Vec<(String, LockerId)> = {
            let labels = crate::flows::Labels::new(session);
            session
                .store()
                .state()
                .lockers
                .keys()
                .map(|id| (labels.locker(*id), *id))
                .collect()
        };
        lockers.sort();
        let ids: Vec<LockerId> = lockers.into_iter().map(|(_, id)| id).collect();
        let day = session.now().tokyo_date().format("%Y%m%d").to_string();
        let issued = crate::qr::issue_sheet(session.store_mut(), Some(actor), &ids, &host)
            .and_then(|labels| super::screens::label_sheet(&labels, &day));
        match issued {
            Ok((file_name, mime_type, bytes)) => {
                self.waiting = Some(Waiting::Share {
                    file_name,
                    mime_type,
                    bytes,
                });
                self.say(NoticeKind::Info, "app-labels-issued");
            }
            Err(problem) => {
                self.said.push(Said::new(NoticeKind::Error, |locale| {
                    problem.message(locale)
                }));
            }
        }
        Ok(())
    }

    /// The 管理簿 as CSV, offered to share or save.
    fn export_ledger(&mut self) -> Result<(), AppError> {
        let session = self.session.as_ref().ok_or(AppError::Locked)?;
        match crate::flows::ledger_book::ledger_csv(session) {
            Ok(bytes) => {
                let day = session.now().tokyo_date().format("%Y%m%d").to_string();
                self.waiting = Some(Waiting::Share {
                    file_name: format!("kanribo-{day}.csv"),
                    mime_type: "text/csv".to_string(),
                    bytes,
                });
                Ok(())
            }
            Err(error) => self.refuse(error),
        }
    }
}

/// The facility's standard custody agreement: the exact text (from the catalogue) and the items it covers. The
/// PIN envelope is never in it; it is agreed to separately.
fn standard_offer(locale: crate::i18n::Locale) -> crate::flows::consent::ConsentOffer {
    crate::flows::consent::ConsentOffer {
        text: crate::i18n::catalog(locale).text("app-consent-standard-text"),
        items: [
            crate::model::ItemCategory::MynaCard,
            crate::model::ItemCategory::EligibilityCertificate,
            crate::model::ItemCategory::EligibilityNotice,
            crate::model::ItemCategory::CareInsuranceCard,
        ]
        .into_iter()
        .collect(),
    }
}
