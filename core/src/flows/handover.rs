//! The caregiver's handover screen: scan a locker → choose the resident's item → purpose → the rules' decision →
//! (waiting for approval) → checked out; and back: scan the locker → choose the item you hold → card identity
//! check → returned. From any step: hand an item you hold to a colleague, or release it to the resident or
//! family.

use super::refusal::Refusal;
use super::{FlowError, Labels, Notice, NoticeKind, ReasonView, Session};
use crate::alerts::default_minutes_out;
use crate::card::{CardIdentity, CardMatch, CardTransceiver, match_identity, read_card};
use crate::clock::Timestamp;
use crate::crypto::KeyOwner;
use crate::custody::{Custody, RequestStatus};
use crate::i18n::Arg;
use crate::ledger::{CardCheck, EventBody, ReleaseTo};
use crate::model::{Item, ItemId, LockerId, MunicipalProcedure, Purpose, RequestId, StaffId};
use crate::qr::LabelPayload;
use crate::rules::{Action, Decision, RuleContext, RuleRequest, Target, purpose_code};
use crate::store::Field;
use serde::{Deserialize, Serialize};

/// A purpose as the caregiver picks it (the free text of "other" comes separately and is sealed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

impl PurposeChoice {
    /// Every choice, in the order shown.
    pub const ALL: [PurposeChoice; 10] = [
        PurposeChoice::MedicalVisit,
        PurposeChoice::EmergencyTransport,
        PurposeChoice::Renewal,
        PurposeChoice::FaceAuthSwitch,
        PurposeChoice::Reissue,
        PurposeChoice::ReturnToResident,
        PurposeChoice::HandToFamily,
        PurposeChoice::Discharge,
        PurposeChoice::Audit,
        PurposeChoice::Other,
    ];

    fn without_note(self) -> Option<Purpose> {
        Some(match self {
            PurposeChoice::MedicalVisit => Purpose::MedicalVisit,
            PurposeChoice::EmergencyTransport => Purpose::EmergencyTransport,
            PurposeChoice::Renewal => Purpose::MunicipalProcedure(MunicipalProcedure::Renewal),
            PurposeChoice::FaceAuthSwitch => {
                Purpose::MunicipalProcedure(MunicipalProcedure::FaceAuthSwitch)
            }
            PurposeChoice::Reissue => Purpose::MunicipalProcedure(MunicipalProcedure::Reissue),
            PurposeChoice::ReturnToResident => Purpose::ReturnToResident,
            PurposeChoice::HandToFamily => Purpose::HandToFamily,
            PurposeChoice::Discharge => Purpose::Discharge,
            PurposeChoice::Audit => Purpose::Audit,
            PurposeChoice::Other => return None,
        })
    }
}

/// What the caregiver can do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoverIntent {
    /// A locker was chosen by its id (a label already verified, or a list).
    ScanLocker {
        /// The locker.
        locker: LockerId,
    },
    /// A locker's QR label was scanned: the text the camera read, verified offline before the locker is opened.
    ScanLabel {
        /// The scanned text (the label's URL).
        text: String,
    },
    /// An item was chosen from the list (to take out if it is in the locker, to return if you hold it).
    ChooseItem {
        /// The item.
        item: ItemId,
    },
    /// The purpose was chosen (and, for "other", explained).
    ChoosePurpose {
        /// The purpose.
        purpose: PurposeChoice,
        /// Required for [`PurposeChoice::Other`]; sealed under the resident's key.
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
        item: ItemId,
        /// The colleague.
        to: StaffId,
    },
    /// End custody of an item: give it to the resident or family.
    Release {
        /// The item.
        item: ItemId,
        /// To whom.
        to: ReleaseTo,
    },
    /// Start over.
    Restart,
}

/// Where the caregiver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    /// Returning: the card identity check, then confirm.
    CardCheck,
    /// Put back.
    Returned,
    /// Handed to a colleague.
    HandedOver,
    /// Custody ended.
    Released,
}

#[derive(Debug, Clone)]
enum State {
    ScanLocker,
    ChooseItem {
        locker: LockerId,
    },
    ChoosePurpose {
        locker: LockerId,
        item: ItemId,
    },
    Decided {
        locker: LockerId,
        item: ItemId,
        purpose: Purpose,
        due_at: Timestamp,
        decision: Decision,
    },
    Waiting {
        locker: LockerId,
        item: ItemId,
        purpose: Purpose,
        due_at: Timestamp,
        request: RequestId,
    },
    Approved {
        locker: LockerId,
        item: ItemId,
        purpose: Purpose,
        due_at: Timestamp,
        request: RequestId,
    },
    CheckedOut {
        item: ItemId,
    },
    CardCheck {
        locker: LockerId,
        item: ItemId,
        check: CardCheck,
    },
    Returned {
        item: ItemId,
    },
    HandedOver {
        item: ItemId,
        to: StaffId,
    },
    Released {
        item: ItemId,
    },
}

/// Where a handover stands, without personal data in clear (an "other" purpose's note stays sealed): saved by
/// the app across process death.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandoverSnapshot {
    /// Waiting for a locker scan (also after a finished handover).
    ScanLocker,
    /// A locker was scanned.
    ChooseItem {
        /// The locker.
        locker: LockerId,
    },
    /// An item was chosen.
    ChoosePurpose {
        /// The locker.
        locker: LockerId,
        /// The item.
        item: ItemId,
    },
    /// The rules were asked.
    Decided {
        /// The locker.
        locker: LockerId,
        /// The item.
        item: ItemId,
        /// The purpose (a note sealed).
        purpose: Purpose,
        /// When it would be due back.
        due_at: Timestamp,
    },
    /// Waiting for a supervisor.
    Waiting {
        /// The request.
        request: RequestId,
    },
    /// Approved, not yet taken out.
    Approved {
        /// The request.
        request: RequestId,
    },
    /// Returning: the card check.
    CardCheck {
        /// The locker.
        locker: LockerId,
        /// The item.
        item: ItemId,
        /// The card check so far.
        check: CardCheck,
    },
}

/// One item in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    /// The item (send it back with [`HandoverIntent::ChooseItem`]).
    pub item: ItemId,
    /// "佐藤 ハナ様のマイナ保険証".
    pub label: String,
    /// Where it is now.
    pub custody: String,
    /// "持ち出す" or "返却する".
    pub action: String,
}

/// A purpose button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurposeOption {
    /// The choice to send back.
    pub choice: PurposeChoice,
    /// Its label.
    pub label: String,
}

/// The rules' answer as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionView {
    /// "持ち出せます" / "責任者の承認が必要です" / "持ち出せません".
    pub headline: String,
    /// Reasons or warnings, each citing its guideline.
    pub reasons: Vec<ReasonView>,
}

/// The handover screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoverView {
    /// Screen title.
    pub title: String,
    /// The step.
    pub step: HandoverStep,
    /// What to do now, in words.
    pub instruction: String,
    /// The scanned locker's name.
    pub locker: Option<String>,
    /// The chosen item.
    pub item: Option<String>,
    /// Items to choose from (step ChooseItem).
    pub items: Vec<ItemRow>,
    /// Purposes to choose from (step ChoosePurpose).
    pub purposes: Vec<PurposeOption>,
    /// The rules' answer (steps ReadyToCheckOut, NeedsApproval).
    pub decision: Option<DecisionView>,
    /// The card identity check (step CardCheck).
    pub card_check: Option<String>,
    /// Whether the tapped card was found to be the item's card (step CardCheck; `None` at other steps).
    pub card_checked: Option<bool>,
    /// The main button's label, if the step has one.
    pub confirm: Option<String>,
    /// An error or warning.
    pub notice: Option<Notice>,
}

/// The handover flow of one member of staff.
#[derive(Debug, Clone)]
pub struct HandoverFlow {
    state: State,
    error: Option<Refusal>,
}

impl Default for HandoverFlow {
    fn default() -> Self {
        HandoverFlow::new()
    }
}

impl HandoverFlow {
    /// A flow waiting for a locker scan.
    pub fn new() -> Self {
        HandoverFlow {
            state: State::ScanLocker,
            error: None,
        }
    }

    /// Handle an intent. On error nothing was written and the view shows why.
    pub fn handle(
        &mut self,
        session: &mut Session,
        intent: HandoverIntent,
    ) -> Result<(), FlowError> {
        match self.step(session, intent) {
            Ok(next) => {
                self.state = next;
                self.error = None;
                Ok(())
            }
            Err(error) => {
                self.error = Some(Refusal::of(&error));
                Err(error)
            }
        }
    }

    fn step(&self, session: &mut Session, intent: HandoverIntent) -> Result<State, FlowError> {
        session.actor()?;
        match (intent, &self.state) {
            (HandoverIntent::Restart, _) => Ok(State::ScanLocker),
            (HandoverIntent::ScanLocker { locker }, _) => {
                if !session.store().state().lockers.contains_key(&locker) {
                    return Err(FlowError::UnknownLocker);
                }
                Ok(State::ChooseItem { locker })
            }
            (HandoverIntent::ScanLabel { text }, _) => {
                let locker = LabelPayload::parse(&text)?.verify(session.store().state())?;
                Ok(State::ChooseItem { locker })
            }
            (HandoverIntent::ChooseItem { item }, State::ChooseItem { locker }) => {
                let locker = *locker;
                let actor = session.actor_id()?;
                let record = session
                    .store()
                    .state()
                    .items
                    .get(&item)
                    .ok_or(FlowError::UnknownItem)?;
                match record.custody {
                    Custody::InLocker { locker: here, .. } if here == locker && !record.retired => {
                        Ok(State::ChoosePurpose { locker, item })
                    }
                    Custody::Out { holder, .. }
                        if holder == actor && record.item.home_locker == locker =>
                    {
                        Ok(State::CardCheck {
                            locker,
                            item,
                            check: CardCheck::NotChecked,
                        })
                    }
                    Custody::Out { holder, .. } if holder == actor => Err(FlowError::WrongLocker),
                    _ => Err(FlowError::UnknownItem),
                }
            }
            (
                HandoverIntent::ChoosePurpose { purpose, note },
                State::ChoosePurpose { locker, item },
            ) => {
                let (locker, item) = (*locker, *item);
                let purpose = seal_purpose(session, item, purpose, note)?;
                let now = session.now();
                let due_at = now.plus_minutes(default_minutes_out(&purpose));
                match checkout_decision(session, item, &purpose, false)? {
                    Decision::Denied { reasons } => Err(FlowError::Denied(reasons)),
                    decision => Ok(State::Decided {
                        locker,
                        item,
                        purpose,
                        due_at,
                        decision,
                    }),
                }
            }
            (
                HandoverIntent::Confirm,
                State::Decided {
                    locker,
                    item,
                    purpose,
                    due_at,
                    decision,
                },
            ) => {
                if !decision.is_allowed() {
                    return Err(FlowError::OutOfOrder);
                }
                check_out(session, *locker, *item, purpose, *due_at, None)
            }
            (
                HandoverIntent::RequestApproval,
                State::Decided {
                    locker,
                    item,
                    purpose,
                    due_at,
                    decision,
                },
            ) => {
                if !matches!(decision, Decision::NeedsApproval { .. }) {
                    return Err(FlowError::OutOfOrder);
                }
                let request = RequestId::random();
                session.record(EventBody::CheckoutRequested {
                    request,
                    item: *item,
                    purpose: purpose.clone(),
                    due_at: *due_at,
                })?;
                Ok(State::Waiting {
                    locker: *locker,
                    item: *item,
                    purpose: purpose.clone(),
                    due_at: *due_at,
                    request,
                })
            }
            (
                HandoverIntent::CheckApproval,
                State::Waiting {
                    locker,
                    item,
                    purpose,
                    due_at,
                    request,
                },
            ) => {
                let status = session
                    .store()
                    .state()
                    .requests
                    .get(request)
                    .map(|r| r.status);
                match status {
                    Some(RequestStatus::Granted(_)) => Ok(State::Approved {
                        locker: *locker,
                        item: *item,
                        purpose: purpose.clone(),
                        due_at: *due_at,
                        request: *request,
                    }),
                    Some(RequestStatus::Denied(_)) => Err(FlowError::ApprovalDenied),
                    Some(RequestStatus::Pending) => Err(FlowError::StillWaiting),
                    _ => Err(FlowError::NoPendingRequest),
                }
            }
            (
                HandoverIntent::Confirm,
                State::Approved {
                    locker,
                    item,
                    purpose,
                    due_at,
                    request,
                },
            ) => check_out(session, *locker, *item, purpose, *due_at, Some(*request)),
            (
                HandoverIntent::Confirm,
                State::CardCheck {
                    locker,
                    item,
                    check,
                },
            ) => {
                if *check == CardCheck::NotChecked && card_refused_since_checkout(session, *item) {
                    return Err(FlowError::CardMismatch);
                }
                let decision = item_decision(session, *item, Action::Return, |_| {})?;
                if let Decision::Denied { reasons } | Decision::NeedsApproval { reasons, .. } =
                    decision
                {
                    return Err(FlowError::Denied(reasons));
                }
                session.record(EventBody::Returned {
                    item: *item,
                    to_locker: *locker,
                    card_check: *check,
                })?;
                Ok(State::Returned { item: *item })
            }
            (HandoverIntent::HandOver { item, to }, _) => {
                let actor = session.actor_id()?;
                if to == actor
                    || !session
                        .store()
                        .state()
                        .staff
                        .get(&to)
                        .is_some_and(|s| s.active)
                {
                    return Err(FlowError::UnknownStaff);
                }
                let recipient_holds = {
                    let state = session.store().state();
                    let record = state.items.get(&item).ok_or(FlowError::UnknownItem)?;
                    RuleContext::recipient_holds_counterpart(state, to, &record.item)
                };
                let decision = item_decision(session, item, Action::HandOver, |c| {
                    c.recipient_holds_counterpart = recipient_holds;
                })?;
                if let Decision::Denied { reasons } | Decision::NeedsApproval { reasons, .. } =
                    decision
                {
                    return Err(FlowError::Denied(reasons));
                }
                session.record(EventBody::HandedOver {
                    item,
                    from: actor,
                    to,
                })?;
                Ok(State::HandedOver { item, to })
            }
            (HandoverIntent::Release { item, to }, _) => {
                let decision = item_decision(session, item, Action::Release, |_| {})?;
                if let Decision::Denied { reasons } | Decision::NeedsApproval { reasons, .. } =
                    decision
                {
                    return Err(FlowError::Denied(reasons));
                }
                session.record(EventBody::Released { item, to })?;
                Ok(State::Released { item })
            }
            _ => Err(FlowError::OutOfOrder),
        }
    }

    /// On the return step, read the card tapped on the phone and compare it with the item's registered card.
    ///
    /// The same card sets the check to matched. The same card with a renewed certificate matches too, and the
    /// item's new dates and identity are recorded (`ItemUpdated`). Another card refuses the return: a
    /// `CardMismatch` is recorded for a supervisor, [`FlowError::CardMismatch`] is returned, and from then on only
    /// the right card returns the item. A read error records nothing and leaves the step as it was, with a
    /// notice; when [`crate::card::CardError::is_retryable`] (the card moved away, no answer in time), tap again.
    pub fn tap_card(
        &mut self,
        session: &mut Session,
        card: &mut dyn CardTransceiver,
    ) -> Result<(), FlowError> {
        match check_card(&self.state, session, card) {
            Ok(next) => {
                self.state = next;
                self.error = None;
                Ok(())
            }
            Err(error) => {
                self.error = Some(Refusal::of(&error));
                Err(error)
            }
        }
    }

    /// Where the handover stands, to be saved across process death and given to [`HandoverFlow::restore`].
    pub fn snapshot(&self) -> HandoverSnapshot {
        match &self.state {
            State::ScanLocker => HandoverSnapshot::ScanLocker,
            State::ChooseItem { locker } => HandoverSnapshot::ChooseItem { locker: *locker },
            State::ChoosePurpose { locker, item } => HandoverSnapshot::ChoosePurpose {
                locker: *locker,
                item: *item,
            },
            State::Decided {
                locker,
                item,
                purpose,
                due_at,
                ..
            } => HandoverSnapshot::Decided {
                locker: *locker,
                item: *item,
                purpose: purpose.clone(),
                due_at: *due_at,
            },
            State::Waiting { request, .. } => HandoverSnapshot::Waiting { request: *request },
            State::Approved { request, .. } => HandoverSnapshot::Approved { request: *request },
            State::CardCheck {
                locker,
                item,
                check,
            } => HandoverSnapshot::CardCheck {
                locker: *locker,
                item: *item,
                check: *check,
            },
            State::CheckedOut { .. }
            | State::Returned { .. }
            | State::HandedOver { .. }
            | State::Released { .. } => HandoverSnapshot::ScanLocker,
        }
    }

    /// The flow as it was when `snapshot` was taken, checked against the store as it is now: a decision is asked
    /// again (the time may have moved past a shift's end), a request is read back from the ledger. What no longer
    /// fits (an unknown request) starts over at the locker scan.
    pub fn restore(session: &Session, snapshot: HandoverSnapshot) -> HandoverFlow {
        let state = match snapshot {
            HandoverSnapshot::ScanLocker => State::ScanLocker,
            HandoverSnapshot::ChooseItem { locker } => State::ChooseItem { locker },
            HandoverSnapshot::ChoosePurpose { locker, item } => {
                State::ChoosePurpose { locker, item }
            }
            HandoverSnapshot::Decided {
                locker,
                item,
                purpose,
                due_at,
            } => match checkout_decision(session, item, &purpose, false) {
                Ok(decision) if !matches!(decision, Decision::Denied { .. }) => State::Decided {
                    locker,
                    item,
                    purpose,
                    due_at,
                    decision,
                },
                _ => State::ChoosePurpose { locker, item },
            },
            HandoverSnapshot::Waiting { request } | HandoverSnapshot::Approved { request } => {
                let state = session.store().state();
                match state.requests.get(&request) {
                    Some(record) => {
                        let locker = state.items.get(&record.item).map(|i| i.item.home_locker);
                        match (locker, record.status) {
                            (Some(locker), RequestStatus::Granted(_)) => State::Approved {
                                locker,
                                item: record.item,
                                purpose: record.purpose.clone(),
                                due_at: record.due_at,
                                request,
                            },
                            (Some(locker), _) => State::Waiting {
                                locker,
                                item: record.item,
                                purpose: record.purpose.clone(),
                                due_at: record.due_at,
                                request,
                            },
                            (None, _) => State::ScanLocker,
                        }
                    }
                    None => State::ScanLocker,
                }
            }
            HandoverSnapshot::CardCheck {
                locker,
                item,
                check,
            } => State::CardCheck {
                locker,
                item,
                check,
            },
        };
        HandoverFlow { state, error: None }
    }

    /// The request this handover waits for (or was approved by), if any.
    pub fn waiting_for(&self) -> Option<RequestId> {
        match &self.state {
            State::Waiting { request, .. } | State::Approved { request, .. } => Some(*request),
            _ => None,
        }
    }

    /// The screen.
    pub fn view(&self, session: &Session) -> HandoverView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let mut view = HandoverView {
            title: catalog.text("handover-title"),
            step: HandoverStep::ScanLocker,
            instruction: String::new(),
            locker: None,
            item: None,
            items: Vec::new(),
            purposes: Vec::new(),
            decision: None,
            card_check: None,
            card_checked: None,
            confirm: None,
            notice: self.error.as_ref().map(|refusal| Notice {
                kind: NoticeKind::Error,
                text: refusal.text(session.locale).to_string(),
            }),
        };
        let (step, instruction) = match &self.state {
            State::ScanLocker => (HandoverStep::ScanLocker, "handover-scan-locker"),
            State::ChooseItem { locker } => {
                view.locker = Some(labels.locker(*locker));
                view.items = item_rows(session, *locker);
                let id = if view.items.is_empty() {
                    "handover-locker-empty"
                } else {
                    "handover-choose-item"
                };
                (HandoverStep::ChooseItem, id)
            }
            State::ChoosePurpose { locker, item } => {
                view.locker = Some(labels.locker(*locker));
                view.item = Some(labels.item(*item));
                view.purposes = PurposeChoice::ALL
                    .iter()
                    .map(|choice| {
                        let label = match choice.without_note() {
                            Some(purpose) => labels.purpose(&purpose),
                            None => catalog.text("purpose-other"),
                        };
                        PurposeOption {
                            choice: *choice,
                            label,
                        }
                    })
                    .collect();
                (HandoverStep::ChoosePurpose, "handover-choose-purpose")
            }
            State::Decided {
                locker,
                item,
                purpose,
                due_at,
                decision,
            } => {
                view.locker = Some(labels.locker(*locker));
                view.item = Some(labels.item(*item));
                let due = catalog.format(
                    "handover-due",
                    &[
                        ("purpose", Arg::from(labels.purpose(purpose))),
                        ("due", Arg::from(labels.time(*due_at))),
                    ],
                );
                match decision {
                    Decision::Allowed { warnings } => {
                        view.decision = Some(DecisionView {
                            headline: catalog.text("handover-allowed"),
                            reasons: warnings
                                .iter()
                                .map(|r| ReasonView::of(r, session.locale))
                                .collect(),
                        });
                        if !warnings.is_empty() && view.notice.is_none() {
                            let text = warnings
                                .iter()
                                .map(|r| r.text(session.locale))
                                .collect::<Vec<_>>()
                                .join(" ");
                            view.notice = Some(Notice {
                                kind: NoticeKind::Warning,
                                text,
                            });
                        }
                        view.confirm = Some(catalog.text("handover-confirm-checkout"));
                        view.instruction = due;
                        (HandoverStep::ReadyToCheckOut, "")
                    }
                    Decision::NeedsApproval { reasons, .. } => {
                        view.decision = Some(DecisionView {
                            headline: catalog.text("handover-needs-approval"),
                            reasons: reasons
                                .iter()
                                .map(|r| ReasonView::of(r, session.locale))
                                .collect(),
                        });
                        view.confirm = Some(catalog.text("handover-request-approval"));
                        view.instruction = due;
                        (HandoverStep::NeedsApproval, "")
                    }
                    Decision::Denied { .. } => {
                        (HandoverStep::ChoosePurpose, "handover-choose-purpose")
                    }
                }
            }
            State::Waiting { item, .. } => {
                view.item = Some(labels.item(*item));
                view.confirm = Some(catalog.text("handover-check-approval"));
                (HandoverStep::WaitingForApproval, "handover-waiting")
            }
            State::Approved { item, .. } => {
                view.item = Some(labels.item(*item));
                view.decision = Some(DecisionView {
                    headline: catalog.text("handover-approved"),
                    reasons: Vec::new(),
                });
                view.confirm = Some(catalog.text("handover-confirm-checkout"));
                (
                    HandoverStep::ReadyToCheckOut,
                    "handover-approved-instruction",
                )
            }
            State::CheckedOut { item } => {
                view.item = Some(labels.item(*item));
                (HandoverStep::CheckedOut, "handover-checked-out")
            }
            State::CardCheck {
                locker,
                item,
                check,
            } => {
                view.locker = Some(labels.locker(*locker));
                view.item = Some(labels.item(*item));
                view.card_checked = Some(*check != CardCheck::NotChecked);
                view.card_check = Some(catalog.text(match check {
                    CardCheck::NotChecked => "handover-card-not-checked",
                    CardCheck::Matched => "handover-card-matched",
                    CardCheck::MatchedWithNewCertificate => "handover-card-renewed",
                }));
                view.confirm = Some(catalog.text("handover-confirm-return"));
                (HandoverStep::CardCheck, "handover-return-instruction")
            }
            State::Returned { item } => {
                view.item = Some(labels.item(*item));
                (HandoverStep::Returned, "handover-returned")
            }
            State::HandedOver { item, to } => {
                view.item = Some(labels.item(*item));
                view.instruction = catalog.format(
                    "handover-handed-over",
                    &[("to", Arg::from(labels.staff(*to)))],
                );
                (HandoverStep::HandedOver, "")
            }
            State::Released { item } => {
                view.item = Some(labels.item(*item));
                (HandoverStep::Released, "handover-released")
            }
        };
        view.step = step;
        if !instruction.is_empty() {
            view.instruction = catalog.text(instruction);
        }
        view
    }
}

/// The items a scan of `locker` offers: those in it, and those the actor holds that belong in it.
fn item_rows(session: &Session, locker: LockerId) -> Vec<ItemRow> {
    let labels = Labels::new(session);
    let catalog = session.catalog();
    let actor = session.actor_id().ok();
    let mut rows: Vec<ItemRow> = session
        .store()
        .state()
        .items
        .iter()
        .filter(|(_, record)| !record.retired)
        .filter_map(|(id, record)| {
            let action = match record.custody {
                Custody::InLocker { locker: here, .. } if here == locker => {
                    "handover-action-checkout"
                }
                Custody::Out { holder, .. }
                    if Some(holder) == actor && record.item.home_locker == locker =>
                {
                    "handover-action-return"
                }
                _ => return None,
            };
            Some(ItemRow {
                item: *id,
                label: labels.item(*id),
                custody: labels.custody(&record.custody),
                action: catalog.text(action),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.label.cmp(&b.label));
    rows
}

/// The purpose with its note sealed under the resident's key.
fn seal_purpose(
    session: &mut Session,
    item: ItemId,
    choice: PurposeChoice,
    note: Option<String>,
) -> Result<Purpose, FlowError> {
    if let Some(purpose) = choice.without_note() {
        return Ok(purpose);
    }
    let note = note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or(FlowError::InvalidInput("note"))?;
    let resident = session
        .store()
        .state()
        .items
        .get(&item)
        .ok_or(FlowError::UnknownItem)?
        .item
        .resident;
    let sealed = session.store_mut().seal_field(
        Field::PurposeNote,
        KeyOwner::Resident(resident),
        item.as_bytes(),
        &note,
    )?;
    Ok(Purpose::Other { note: sealed })
}

/// Ask the rules about `action` on `item` by the signed-in member of staff, now.
fn item_decision(
    session: &Session,
    item: ItemId,
    action: Action,
    adjust: impl FnOnce(&mut RuleContext),
) -> Result<Decision, FlowError> {
    let actor = session.actor()?;
    let state = session.store().state();
    let item: &Item = &state.items.get(&item).ok_or(FlowError::UnknownItem)?.item;
    let mut context = RuleContext::for_item(state, actor, item, session.now());
    adjust(&mut context);
    Ok(session.decide(&RuleRequest {
        actor,
        action,
        target: Target::Item(item),
        context,
    }))
}

/// The rules on taking `item` out for `purpose`, with or without a valid approval.
fn checkout_decision(
    session: &Session,
    item: ItemId,
    purpose: &Purpose,
    approved: bool,
) -> Result<Decision, FlowError> {
    item_decision(session, item, Action::Checkout, |context| {
        context.purpose = purpose_code(Some(purpose));
        context.approved = approved;
    })
}

/// Whether `request` is a granted, unused approval of exactly this checkout by this member of staff.
fn approval_is_valid(session: &Session, request: RequestId, item: ItemId) -> bool {
    let actor = session.actor_id().ok();
    session
        .store()
        .state()
        .requests
        .get(&request)
        .is_some_and(|r| {
            r.item == item
                && r.requester == actor
                && matches!(r.status, RequestStatus::Granted(approver) if Some(approver) != actor)
        })
}

fn check_out(
    session: &mut Session,
    locker: LockerId,
    item: ItemId,
    purpose: &Purpose,
    due_at: Timestamp,
    approval: Option<RequestId>,
) -> Result<State, FlowError> {
    let approved = approval.is_some_and(|request| approval_is_valid(session, request, item));
    if approval.is_some() && !approved {
        return Err(FlowError::NoPendingRequest);
    }
    // Decide again at the moment of taking it out: time and custody may have moved since the decision was shown.
    match checkout_decision(session, item, purpose, approved)? {
        Decision::Allowed { .. } => {}
        Decision::NeedsApproval { reasons, .. } | Decision::Denied { reasons } => {
            return Err(FlowError::Denied(reasons));
        }
    }
    session.record(EventBody::CheckedOut {
        item,
        from_locker: locker,
        purpose: purpose.clone(),
        due_at,
        approval,
    })?;
    Ok(State::CheckedOut { item })
}

/// The return step's card check: read the tapped card and compare it with the item's registered card.
fn check_card(
    state: &State,
    session: &mut Session,
    card: &mut dyn CardTransceiver,
) -> Result<State, FlowError> {
    session.actor()?;
    let State::CardCheck {
        locker,
        item,
        check: previous,
    } = state
    else {
        return Err(FlowError::OutOfOrder);
    };
    let (locker, item, previous) = (*locker, *item, *previous);
    let record = session
        .store()
        .state()
        .items
        .get(&item)
        .ok_or(FlowError::UnknownItem)?
        .item
        .clone();
    if !matches!(record.kind, crate::model::ItemKind::MynaCard { .. }) {
        return Err(FlowError::OutOfOrder);
    }
    let registered = session
        .store()
        .open_card_identity(&record)?
        .ok_or(FlowError::CardNotRegistered)?;
    let tapped = CardIdentity::from_reading(session.store(), read_card(card)?);
    let check = match match_identity(&registered, &tapped) {
        // Tapped again after the renewal was recorded: still say the certificate was renewed.
        CardMatch::Same if previous == CardCheck::MatchedWithNewCertificate => previous,
        CardMatch::Same => CardCheck::Matched,
        CardMatch::Renewed => {
            let mut renewed = record;
            session
                .store_mut()
                .set_card_identity(&mut renewed, &tapped)?;
            session.record(EventBody::ItemUpdated { item: renewed })?;
            CardCheck::MatchedWithNewCertificate
        }
        CardMatch::Different => {
            session.record(EventBody::CardMismatch { item })?;
            return Err(FlowError::CardMismatch);
        }
    };
    Ok(State::CardCheck {
        locker,
        item,
        check,
    })
}

/// Whether a card tapped to return `item` was refused since the item went out: then only the right card, tapped
/// and matched, returns it.
fn card_refused_since_checkout(session: &Session, item: ItemId) -> bool {
    let state = session.store().state();
    let Some(Custody::Out { since, .. }) = state.items.get(&item).map(|r| &r.custody) else {
        return false;
    };
    state.recorded_discrepancies.iter().any(|d| {
        matches!(d, crate::custody::Discrepancy::CardMismatch { item: refused, at, .. }
            if *refused == item && at >= since)
    })
}
