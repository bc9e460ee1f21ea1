//! The supervisor's approval inbox: pending checkout requests with who, what, why and the rule that asked;
//! approve, or deny with a reason. Nobody approves their own request, and an approval binds to one request.

use super::refusal::Refusal;
use super::{FlowError, Labels, Notice, NoticeKind, ReasonView, Session};
use crate::crypto::KeyOwner;
use crate::custody::RequestStatus;
use crate::i18n::Arg;
use crate::ledger::EventBody;
use crate::model::RequestId;
use crate::rules::{Action, Decision, RuleContext, RuleRequest, Target, purpose_code};
use crate::store::Field;
use serde::Serialize;

/// What the supervisor can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalIntent {
    /// Approve a request.
    Approve {
        /// The request.
        request: RequestId,
    },
    /// Deny a request, with a reason shown to the requester.
    Deny {
        /// The request.
        request: RequestId,
        /// Why (required; sealed under the facility key).
        reason: String,
    },
}

/// One pending request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRow {
    /// The request (send it back with an intent).
    pub request: RequestId,
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

/// The inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// What the last intent did, kept so the notice follows a locale switch.
#[derive(Debug, Clone)]
enum Outcome {
    /// Done; the message id of the result.
    Done(&'static str),
    /// Refused; nothing was written.
    Refused(Refusal),
}

/// The approval inbox of one supervisor.
#[derive(Debug, Clone, Default)]
pub struct ApprovalInbox {
    outcome: Option<Outcome>,
}

impl ApprovalInbox {
    /// An inbox.
    pub fn new() -> Self {
        ApprovalInbox::default()
    }

    /// Handle an intent. On error nothing was written and the view shows why.
    pub fn handle(
        &mut self,
        session: &mut Session,
        intent: ApprovalIntent,
    ) -> Result<(), FlowError> {
        match decide_request(session, intent) {
            Ok(message_id) => {
                self.outcome = Some(Outcome::Done(message_id));
                Ok(())
            }
            Err(error) => {
                self.outcome = Some(Outcome::Refused(Refusal::of(&error)));
                Err(error)
            }
        }
    }

    /// The inbox.
    pub fn view(&self, session: &Session) -> ApprovalView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let state = session.store().state();
        let me = session.actor_id().ok();
        let mut pending: Vec<_> = state
            .requests
            .iter()
            .filter(|(_, r)| r.status == RequestStatus::Pending)
            .collect();
        pending.sort_by_key(|(_, r)| r.requested_at);
        let requests: Vec<RequestRow> = pending
            .into_iter()
            .map(|(id, request)| {
                let rules = match (
                    request.requester.and_then(|r| state.staff.get(&r)),
                    state.items.get(&request.item),
                ) {
                    (Some(requester), Some(record)) => {
                        let mut context = RuleContext::for_item(
                            state,
                            requester,
                            &record.item,
                            request.requested_at,
                        );
                        context.purpose = purpose_code(Some(&request.purpose));
                        context.custody = "in_locker";
                        let decision = session.decide(&RuleRequest {
                            actor: requester,
                            action: Action::Checkout,
                            target: Target::Item(&record.item),
                            context,
                        });
                        match decision {
                            Decision::NeedsApproval { reasons, .. }
                            | Decision::Denied { reasons } => reasons
                                .iter()
                                .map(|r| ReasonView::of(r, session.locale))
                                .collect(),
                            Decision::Allowed { .. } => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                };
                RequestRow {
                    request: *id,
                    requester: request
                        .requester
                        .map(|r| labels.staff(r))
                        .unwrap_or_default(),
                    item: labels.item(request.item),
                    purpose: labels.purpose(&request.purpose),
                    when: catalog.format(
                        "approval-when",
                        &[
                            ("asked", Arg::from(labels.time(request.requested_at))),
                            ("due", Arg::from(labels.time(request.due_at))),
                        ],
                    ),
                    rules,
                    can_decide: request.requester != me,
                }
            })
            .collect();
        ApprovalView {
            title: catalog.text("approval-title"),
            summary: catalog.format(
                "approval-summary",
                &[("count", Arg::from(requests.len() as i64))],
            ),
            requests,
            approve: catalog.text("approval-approve"),
            deny: catalog.text("approval-deny"),
            notice: self.outcome.as_ref().map(|outcome| match outcome {
                Outcome::Done(id) => Notice {
                    kind: NoticeKind::Info,
                    text: catalog.text(id),
                },
                Outcome::Refused(refusal) => Notice {
                    kind: NoticeKind::Error,
                    text: refusal.text(session.locale).to_string(),
                },
            }),
        }
    }
}

/// Approve or deny; returns the message id of the result.
fn decide_request(
    session: &mut Session,
    intent: ApprovalIntent,
) -> Result<&'static str, FlowError> {
    let (request, denial) = match intent {
        ApprovalIntent::Approve { request } => (request, None),
        ApprovalIntent::Deny { request, reason } => {
            let reason = reason.trim().to_string();
            if reason.is_empty() {
                return Err(FlowError::InvalidInput("reason"));
            }
            (request, Some(reason))
        }
    };
    let approver = session.actor_id()?;
    let (request_hash, decision) = {
        let state = session.store().state();
        let record = state
            .requests
            .get(&request)
            .ok_or(FlowError::NoPendingRequest)?;
        if record.requester == Some(approver) {
            return Err(FlowError::SelfApproval);
        }
        let item = &state
            .items
            .get(&record.item)
            .ok_or(FlowError::UnknownItem)?
            .item;
        let actor = session.actor()?;
        let mut context = RuleContext::for_item(state, actor, item, session.now());
        context.is_requester = record.requester == Some(approver);
        context.request_pending = record.status == RequestStatus::Pending;
        let decision = session.decide(&RuleRequest {
            actor,
            action: Action::Approve,
            target: Target::Item(item),
            context,
        });
        (record.hash, decision)
    };
    match decision {
        Decision::Allowed { .. } => {}
        Decision::NeedsApproval { reasons, .. } | Decision::Denied { reasons } => {
            if reasons.iter().any(|r| r.rule == "approval-once") {
                return Err(FlowError::NoPendingRequest);
            }
            return Err(FlowError::Denied(reasons));
        }
    }
    match denial {
        None => {
            session.record(EventBody::ApprovalGranted {
                request,
                request_hash,
            })?;
            Ok("approval-granted")
        }
        Some(reason) => {
            let sealed = session.store_mut().seal_field(
                Field::DenialReason,
                KeyOwner::Facility,
                request.as_bytes(),
                &reason,
            )?;
            session.record(EventBody::ApprovalDenied {
                request,
                request_hash,
                reason: Some(sealed),
            })?;
            Ok("approval-denied")
        }
    }
}
