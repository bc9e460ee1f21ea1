//! The incident screen for a lost or stolen card, or a leak of personal data: open the incident, then follow the
//! guided checklist of DOMAIN.md step by step, each step recorded with its time, and close it once every step is
//! done.
//!
//! - Lost or stolen card: the suspension call to マイナンバー総合フリーダイヤル **0120-95-0178** (FAX
//!   **0120-601-785** for the hearing-impaired) comes first and its time is recorded; when the card was lost
//!   outside or stolen, the police report follows and its 受理番号 is recorded, sealed under the facility key; then
//!   the city office's 紛失届, the interim 資格確認書 and the 再交付.
//! - Leak: the PPC's deadlines are shown from the moment the incident is opened — the preliminary report within
//!   about 3–5 days, the final report within 30 days, or 60 days when unauthorised access or another improper
//!   purpose may be involved — and the person concerned is notified.
//!
//! Opening is decided by the rules ([`Action::OpenIncident`] on the facility). Steps are done in the order of
//! the checklist ([`incident_checklist`]); a step out of order is refused.

use super::refusal::{Refusal, ask_rules, notice};
use super::{FlowError, Labels, Notice, Session};
use crate::alerts::{incident_checklist, step_deadline, step_message_id};
use crate::clock::Timestamp;
use crate::crypto::KeyOwner;
use crate::custody::{Custody, IncidentRecord};
use crate::i18n::Arg;
use crate::ledger::{EventBody, IncidentKind, IncidentStep};
use crate::model::{IncidentId, ItemId};
use crate::rules::{Action, Reason, Target};
use crate::store::Field;
use serde::Serialize;

/// マイナンバー総合フリーダイヤル, to suspend a lost or stolen card (press 2; 24 hours).
pub const SUSPENSION_HOTLINE: &str = "0120-95-0178";
/// The hotline's FAX number for the hearing-impaired.
pub const SUSPENSION_FAX: &str = "0120-601-785";
/// The longest 受理番号 accepted.
const MAX_REFERENCE_CHARS: usize = 64;
/// Days for the PPC's final report when unauthorised access or another improper purpose may be involved.
const PPC_FINAL_IMPROPER_DAYS: i64 = 60;

/// What the member of staff can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentIntent {
    /// Open an incident.
    Open {
        /// What happened.
        kind: IncidentKind,
        /// The item concerned: required for a lost or stolen item, optional for a leak.
        item: Option<ItemId>,
    },
    /// The next checklist step was done (the police report needs [`IncidentIntent::RecordPoliceReport`]).
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

/// Where the incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IncidentFlowStep {
    /// Choose what happened.
    ChooseKind,
    /// Work through the checklist.
    Checklist,
    /// Closed.
    Closed,
}

/// Where a checklist step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepState {
    /// Done (with its time).
    Done,
    /// The step to do now.
    Next,
    /// Later.
    Pending,
}

/// What a button sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IncidentAction {
    /// [`IncidentIntent::Open`] with the button's kind.
    Open,
    /// [`IncidentIntent::CompleteStep`] with the button's step.
    CompleteStep,
    /// [`IncidentIntent::RecordPoliceReport`] with the entered 受理番号.
    RecordPoliceReport,
    /// [`IncidentIntent::Close`].
    Close,
}

/// A button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentButton {
    /// Its label.
    pub label: String,
    /// What it sends.
    pub action: IncidentAction,
    /// For [`IncidentAction::Open`]: the kind.
    pub kind: Option<IncidentKind>,
    /// For [`IncidentAction::CompleteStep`]: the step.
    pub step: Option<IncidentStep>,
}

/// A kind of incident to choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindOption {
    /// The kind to send back.
    pub kind: IncidentKind,
    /// "施設の外で紛失".
    pub label: String,
    /// What follows, in one line.
    pub description: String,
}

/// The numbers to call for the suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hotline {
    /// The phone number (for a tel: link).
    pub phone: String,
    /// The FAX number for the hearing-impaired.
    pub fax: String,
    /// What to say and do, in words.
    pub text: String,
}

/// One step of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistRow {
    /// The step (send it back with [`IncidentIntent::CompleteStep`]).
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PpcDeadlines {
    /// Preliminary report (速報), within about 3–5 days.
    pub preliminary: String,
    /// Final report (確報), within 30 days.
    pub final_report: String,
    /// Final report within 60 days when unauthorised access or another improper purpose may be involved.
    pub final_report_improper: String,
    /// Why and to whom.
    pub note: String,
}

/// The incident screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The incident flow.
#[derive(Debug, Default)]
pub struct IncidentFlow {
    incident: Option<IncidentId>,
    warnings: Vec<Reason>,
    error: Option<Refusal>,
}

impl IncidentFlow {
    /// A flow to open a new incident.
    pub fn new() -> Self {
        IncidentFlow::default()
    }

    /// A flow continuing an incident opened earlier (here or on another device).
    pub fn resume(incident: IncidentId) -> Self {
        IncidentFlow {
            incident: Some(incident),
            ..IncidentFlow::default()
        }
    }

    /// The incident, once opened.
    pub fn incident(&self) -> Option<IncidentId> {
        self.incident
    }

    /// Handle an intent. On error nothing was written and the view shows why.
    pub fn handle(
        &mut self,
        session: &mut Session,
        intent: IncidentIntent,
    ) -> Result<(), FlowError> {
        match self.apply(session, intent) {
            Ok(()) => {
                self.error = None;
                Ok(())
            }
            Err(error) => {
                self.error = Some(Refusal::of(&error));
                Err(error)
            }
        }
    }

    fn record<'s>(&self, session: &'s Session) -> Option<(IncidentId, &'s IncidentRecord)> {
        let id = self.incident?;
        session.store().state().incidents.get(&id).map(|r| (id, r))
    }

    fn step(&self, session: &Session) -> IncidentFlowStep {
        match self.record(session) {
            None => IncidentFlowStep::ChooseKind,
            Some((_, record)) if record.closed_at.is_some() => IncidentFlowStep::Closed,
            Some(_) => IncidentFlowStep::Checklist,
        }
    }

    fn apply(&mut self, session: &mut Session, intent: IncidentIntent) -> Result<(), FlowError> {
        session.actor()?;
        if let IncidentIntent::Open { kind, item } = intent {
            if self.step(session) != IncidentFlowStep::ChooseKind {
                return Err(FlowError::OutOfOrder);
            }
            check_item(session, kind, item)?;
            let warnings = ask_rules(session, Action::OpenIncident, Target::Facility)?;
            let incident = IncidentId::random();
            session.record(EventBody::IncidentOpened {
                incident,
                item,
                kind,
            })?;
            self.incident = Some(incident);
            self.warnings = warnings;
            return Ok(());
        }
        let Some((incident, record)) = self.record(session) else {
            return Err(FlowError::OutOfOrder);
        };
        if record.closed_at.is_some() {
            return Err(FlowError::OutOfOrder);
        }
        let next = next_step(record);
        match intent {
            IncidentIntent::Open { .. } => Err(FlowError::OutOfOrder),
            IncidentIntent::CompleteStep { step } => {
                if next != Some(step) {
                    return Err(FlowError::OutOfOrder);
                }
                if step == IncidentStep::PoliceReport {
                    return Err(FlowError::InvalidInput("incident-error-receipt-number"));
                }
                session.record(EventBody::IncidentStepDone {
                    incident,
                    step,
                    reference: None,
                })?;
                Ok(())
            }
            IncidentIntent::RecordPoliceReport { receipt_number } => {
                if next != Some(IncidentStep::PoliceReport) {
                    return Err(FlowError::OutOfOrder);
                }
                let receipt_number = receipt_number.trim();
                if receipt_number.is_empty() || receipt_number.chars().count() > MAX_REFERENCE_CHARS
                {
                    return Err(FlowError::InvalidInput("incident-error-receipt-number"));
                }
                let reference = session.store_mut().seal_field(
                    Field::IncidentReference,
                    KeyOwner::Facility,
                    incident.as_bytes(),
                    receipt_number,
                )?;
                session.record(EventBody::IncidentStepDone {
                    incident,
                    step: IncidentStep::PoliceReport,
                    reference: Some(reference),
                })?;
                Ok(())
            }
            IncidentIntent::Close => {
                if next.is_some() {
                    return Err(FlowError::OutOfOrder);
                }
                session.record(EventBody::IncidentClosed { incident })?;
                Ok(())
            }
        }
    }

    /// The screen.
    pub fn view(&self, session: &Session) -> IncidentView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let step = self.step(session);
        let record = self.record(session).map(|(_, r)| r);

        let instruction = catalog.text(match step {
            IncidentFlowStep::ChooseKind => "incident-instruction-choose",
            IncidentFlowStep::Checklist => "incident-instruction-checklist",
            IncidentFlowStep::Closed => "incident-instruction-closed",
        });

        let mut buttons = Vec::new();
        let kinds = if step == IncidentFlowStep::ChooseKind {
            [
                IncidentKind::LostInside,
                IncidentKind::LostOutside,
                IncidentKind::Stolen,
                IncidentKind::Leak,
            ]
            .into_iter()
            .map(|kind| {
                buttons.push(IncidentButton {
                    label: catalog.format(
                        "incident-button-open",
                        &[("kind", Arg::from(catalog.text(kind_id(kind))))],
                    ),
                    action: IncidentAction::Open,
                    kind: Some(kind),
                    step: None,
                });
                KindOption {
                    kind,
                    label: catalog.text(kind_id(kind)),
                    description: catalog.text(kind_description_id(kind)),
                }
            })
            .collect()
        } else {
            Vec::new()
        };

        let checklist: Vec<ChecklistRow> = record
            .map(|r| checklist_rows(session, &labels, r))
            .unwrap_or_default();
        if step == IncidentFlowStep::Checklist {
            match checklist.iter().find(|row| row.state == StepState::Next) {
                Some(row) if row.step == IncidentStep::PoliceReport => {
                    buttons.push(IncidentButton {
                        label: catalog.text("incident-button-record-police-report"),
                        action: IncidentAction::RecordPoliceReport,
                        kind: None,
                        step: Some(row.step),
                    });
                }
                Some(row) => buttons.push(IncidentButton {
                    label: catalog.text(if row.step == IncidentStep::SuspensionCall {
                        "incident-button-called"
                    } else {
                        "incident-button-done"
                    }),
                    action: IncidentAction::CompleteStep,
                    kind: None,
                    step: Some(row.step),
                }),
                None => buttons.push(IncidentButton {
                    label: catalog.text("incident-button-close"),
                    action: IncidentAction::Close,
                    kind: None,
                    step: None,
                }),
            }
        }

        let progress = record.map(|r| {
            let total = incident_checklist(r.kind).len() as i64;
            let done = checklist
                .iter()
                .filter(|row| row.state == StepState::Done)
                .count() as i64;
            catalog.format(
                "incident-progress",
                &[("done", Arg::from(done)), ("total", Arg::from(total))],
            )
        });

        let ppc = record
            .filter(|r| r.kind == IncidentKind::Leak)
            .map(|r| ppc_deadlines(session, &labels, r.opened_at));

        IncidentView {
            title: catalog.text("incident-title"),
            step,
            instruction,
            kinds,
            kind: record.map(|r| catalog.text(kind_id(r.kind))),
            item: record.and_then(|r| r.item).map(|i| labels.item(i)),
            opened: record.map(|r| {
                catalog.format(
                    "incident-opened-at",
                    &[("at", Arg::from(labels.time(r.opened_at)))],
                )
            }),
            checklist,
            progress,
            ppc,
            buttons,
            notice: notice(session.locale, self.error.as_ref(), &self.warnings),
        }
    }
}

/// A lost or stolen item must be named, known and held by the facility; a leak may name a known item.
fn check_item(
    session: &Session,
    kind: IncidentKind,
    item: Option<ItemId>,
) -> Result<(), FlowError> {
    let state = session.store().state();
    let record = match item {
        None if kind == IncidentKind::Leak => return Ok(()),
        None => return Err(FlowError::InvalidInput("incident-error-item-required")),
        Some(item) => state
            .items
            .get(&item)
            .filter(|r| !r.retired)
            .ok_or(FlowError::UnknownItem)?,
    };
    if kind == IncidentKind::Leak {
        return Ok(());
    }
    match record.custody {
        Custody::Lost { .. } => Err(FlowError::InvalidInput("incident-error-already-lost")),
        Custody::Released { .. } => Err(FlowError::UnknownItem),
        _ => Ok(()),
    }
}

/// The first step of the checklist not yet done.
fn next_step(record: &IncidentRecord) -> Option<IncidentStep> {
    incident_checklist(record.kind)
        .iter()
        .copied()
        .find(|step| done_at(record, *step).is_none())
}

fn done_at(record: &IncidentRecord, step: IncidentStep) -> Option<Timestamp> {
    record
        .steps
        .iter()
        .find(|(done, _)| *done == step)
        .map(|(_, at)| *at)
}

fn checklist_rows(
    session: &Session,
    labels: &Labels<'_>,
    record: &IncidentRecord,
) -> Vec<ChecklistRow> {
    let catalog = session.catalog();
    let now = session.now();
    let next = next_step(record);
    incident_checklist(record.kind)
        .iter()
        .map(|&step| {
            let done = done_at(record, step);
            let state = match done {
                Some(_) => StepState::Done,
                None if next == Some(step) => StepState::Next,
                None => StepState::Pending,
            };
            let status = match (done, step) {
                (Some(at), IncidentStep::PoliceReport) => catalog.format(
                    "incident-status-done-with-reference",
                    &[("at", Arg::from(labels.time(at)))],
                ),
                (Some(at), IncidentStep::SuspensionCall) => catalog.format(
                    "incident-status-called",
                    &[("at", Arg::from(labels.time(at)))],
                ),
                (Some(at), _) => catalog.format(
                    "incident-status-done",
                    &[("at", Arg::from(labels.time(at)))],
                ),
                (None, _) if state == StepState::Next => catalog.text("incident-status-next"),
                (None, _) => catalog.text("incident-status-pending"),
            };
            let deadline_at = step_deadline(step, record.opened_at);
            let at_once = step == IncidentStep::SuspensionCall;
            let deadline = deadline_at.map(|at| {
                if at_once {
                    catalog.text("incident-deadline-at-once")
                } else {
                    catalog.format("incident-deadline", &[("at", Arg::from(labels.time(at)))])
                }
            });
            let overdue = done.is_none() && !at_once && deadline_at.is_some_and(|at| at < now);
            ChecklistRow {
                step,
                label: catalog.text(step_message_id(step)),
                state,
                status,
                deadline,
                overdue,
                hint: hint_id(step, record.kind).map(|id| catalog.text(id)),
                hotline: (step == IncidentStep::SuspensionCall).then(|| Hotline {
                    phone: SUSPENSION_HOTLINE.to_string(),
                    fax: SUSPENSION_FAX.to_string(),
                    text: catalog.format(
                        "incident-hotline",
                        &[
                            ("phone", Arg::from(SUSPENSION_HOTLINE)),
                            ("fax", Arg::from(SUSPENSION_FAX)),
                        ],
                    ),
                }),
                reference_prompt: (step == IncidentStep::PoliceReport && done.is_none())
                    .then(|| catalog.text("incident-receipt-number-prompt")),
            }
        })
        .collect()
}

fn ppc_deadlines(session: &Session, labels: &Labels<'_>, opened_at: Timestamp) -> PpcDeadlines {
    let catalog = session.catalog();
    let at = |time: Option<Timestamp>| {
        Arg::from(time.map_or_else(|| "-".to_string(), |t| labels.time(t)))
    };
    PpcDeadlines {
        preliminary: catalog.format(
            "incident-ppc-preliminary",
            &[(
                "at",
                at(step_deadline(IncidentStep::PpcPreliminaryReport, opened_at)),
            )],
        ),
        final_report: catalog.format(
            "incident-ppc-final",
            &[(
                "at",
                at(step_deadline(IncidentStep::PpcFinalReport, opened_at)),
            )],
        ),
        final_report_improper: catalog.format(
            "incident-ppc-final-improper",
            &[(
                "at",
                at(Some(
                    opened_at.plus_minutes(PPC_FINAL_IMPROPER_DAYS * 24 * 60),
                )),
            )],
        ),
        note: catalog.text("incident-ppc-note"),
    }
}

fn kind_id(kind: IncidentKind) -> &'static str {
    match kind {
        IncidentKind::LostInside => "incident-kind-lost-inside",
        IncidentKind::LostOutside => "incident-kind-lost-outside",
        IncidentKind::Stolen => "incident-kind-stolen",
        IncidentKind::Leak => "incident-kind-leak",
    }
}

fn kind_description_id(kind: IncidentKind) -> &'static str {
    match kind {
        IncidentKind::LostInside => "incident-kind-lost-inside-description",
        IncidentKind::LostOutside => "incident-kind-lost-outside-description",
        IncidentKind::Stolen => "incident-kind-stolen-description",
        IncidentKind::Leak => "incident-kind-leak-description",
    }
}

fn hint_id(step: IncidentStep, kind: IncidentKind) -> Option<&'static str> {
    Some(match step {
        IncidentStep::SuspensionCall => return None,
        IncidentStep::PoliceReport => "incident-hint-police-report",
        IncidentStep::CityOfficeLossReport if kind == IncidentKind::LostInside => {
            "incident-hint-city-office-inside"
        }
        IncidentStep::CityOfficeLossReport => "incident-hint-city-office",
        IncidentStep::InterimCertificateApplied => "incident-hint-interim-certificate",
        IncidentStep::ReissueApplied => "incident-hint-reissue",
        IncidentStep::PpcPreliminaryReport => "incident-hint-ppc-preliminary",
        IncidentStep::PersonNotified => "incident-hint-person-notified",
        IncidentStep::PpcFinalReport => "incident-hint-ppc-final",
    })
}
