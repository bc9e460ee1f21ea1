//! The supervisor's stocktake (監査・棚卸し): start an audit, scan every locker, mark each item the ledger
//! expects there as found or missing, record items found where the ledger does not expect them, and complete the
//! audit with a summary of discrepancies. The summary is an event like any other, so it is signed by the device
//! and covered by the ledger's verification.
//!
//! Only starting is decided by the rules ([`Action::StartAudit`] on the facility); scanning and marking record
//! what the auditor saw. An expected item still unchecked when the audit completes counts as missing: the view
//! says so before the auditor completes.

use super::refusal::{Refusal, ask_rules, notice};
use super::{FlowError, Labels, Notice, Session};
use crate::custody::{Custody, CustodyState};
use crate::i18n::Arg;
use crate::ledger::{AuditFinding, AuditSummary, EventBody};
use crate::model::{AuditId, ItemId, LockerId};
use crate::rules::{Action, Reason, Target};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What the auditor can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditIntent {
    /// Start a new audit.
    Start,
    /// A locker's QR label was scanned.
    ScanLocker {
        /// The locker the label names.
        locker: LockerId,
    },
    /// An expected item is in the scanned locker.
    MarkFound {
        /// The item.
        item: ItemId,
    },
    /// An expected item is not in the scanned locker.
    MarkMissing {
        /// The item.
        item: ItemId,
    },
    /// An item the ledger does not expect there was found in the scanned locker.
    MarkUnexpected {
        /// The item (from its label).
        item: ItemId,
    },
    /// Close the audit with its summary.
    Complete,
}

/// Where the audit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// What a button sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    /// [`AuditIntent::Start`].
    Start,
    /// [`AuditIntent::MarkFound`] for the row's item.
    MarkFound,
    /// [`AuditIntent::MarkMissing`] for the row's item.
    MarkMissing,
    /// [`AuditIntent::Complete`].
    Complete,
}

/// A button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditButton {
    /// Its label.
    pub label: String,
    /// What it sends.
    pub action: AuditAction,
}

/// An item in the scanned locker's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// The item (send it back with the marking intents).
    pub item: ItemId,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProgress {
    /// Expected items checked.
    pub checked: u32,
    /// Expected items in all lockers.
    pub expected: u32,
    /// "12件中 5件を確認しました".
    pub text: String,
}

/// One locker in the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockerProgress {
    /// The locker.
    pub locker: LockerId,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditSummaryView {
    /// "12件中 10件あり・2件なし・想定外 1件".
    pub text: String,
    /// Missing items.
    pub missing: Vec<String>,
    /// Items found where they were not expected.
    pub unexpected: Vec<String>,
}

/// The audit screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The audit flow of one supervisor or auditor.
#[derive(Debug, Default)]
pub struct AuditFlow {
    audit: Option<AuditId>,
    locker: Option<LockerId>,
    unexpected: BTreeMap<ItemId, LockerId>,
    completed: bool,
    warnings: Vec<Reason>,
    error: Option<Refusal>,
}

impl AuditFlow {
    /// A flow with no audit started.
    pub fn new() -> Self {
        AuditFlow::default()
    }

    /// The audit this flow started, if any.
    pub fn audit(&self) -> Option<AuditId> {
        self.audit
    }

    /// The locker scanned last, if any.
    pub fn locker(&self) -> Option<LockerId> {
        self.locker
    }

    /// Whether an audit was started here and is not completed yet.
    pub fn is_running(&self) -> bool {
        self.audit.is_some() && !self.completed
    }

    /// Continue the audit `audit` (started before the app was stopped) at `locker`. What was marked is in the
    /// ledger already; a completed audit shows its summary.
    pub fn resume(session: &Session, audit: AuditId, locker: Option<LockerId>) -> AuditFlow {
        let completed = session
            .store()
            .state()
            .audits
            .get(&audit)
            .is_some_and(|a| a.summary.is_some());
        AuditFlow {
            audit: Some(audit),
            locker,
            completed,
            ..AuditFlow::default()
        }
    }

    /// Handle an intent. On error nothing was written and the view shows why.
    pub fn handle(&mut self, session: &mut Session, intent: AuditIntent) -> Result<(), FlowError> {
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

    fn step(&self) -> AuditStep {
        match (self.audit, self.completed, self.locker) {
            (None, _, _) => AuditStep::NotStarted,
            (Some(_), true, _) => AuditStep::Completed,
            (Some(_), false, Some(_)) => AuditStep::Locker,
            (Some(_), false, None) => AuditStep::ScanLocker,
        }
    }

    fn apply(&mut self, session: &mut Session, intent: AuditIntent) -> Result<(), FlowError> {
        session.actor()?;
        let step = self.step();
        match intent {
            AuditIntent::Start => {
                if step != AuditStep::NotStarted {
                    return Err(FlowError::OutOfOrder);
                }
                let warnings = ask_rules(session, Action::StartAudit, Target::Facility)?;
                let audit = AuditId::random();
                session.record(EventBody::AuditStarted { audit })?;
                self.audit = Some(audit);
                self.warnings = warnings;
                Ok(())
            }
            AuditIntent::ScanLocker { locker } => {
                if !matches!(step, AuditStep::ScanLocker | AuditStep::Locker) {
                    return Err(FlowError::OutOfOrder);
                }
                if !session.store().state().lockers.contains_key(&locker) {
                    return Err(FlowError::UnknownLocker);
                }
                self.locker = Some(locker);
                Ok(())
            }
            AuditIntent::MarkFound { item } | AuditIntent::MarkMissing { item } => {
                let (Some(audit), Some(locker), AuditStep::Locker) =
                    (self.audit, self.locker, step)
                else {
                    return Err(FlowError::OutOfOrder);
                };
                if !expected_in(session.store().state(), locker).contains(&item) {
                    return Err(FlowError::UnknownItem);
                }
                let finding = match intent {
                    AuditIntent::MarkFound { .. } => AuditFinding::Found,
                    _ => AuditFinding::Missing,
                };
                session.record(EventBody::AuditItemVerified {
                    audit,
                    item,
                    locker,
                    finding,
                })?;
                self.unexpected.remove(&item);
                Ok(())
            }
            AuditIntent::MarkUnexpected { item } => {
                let (Some(audit), Some(locker), AuditStep::Locker) =
                    (self.audit, self.locker, step)
                else {
                    return Err(FlowError::OutOfOrder);
                };
                let state = session.store().state();
                if state.items.get(&item).is_none_or(|r| r.retired) {
                    return Err(FlowError::UnknownItem);
                }
                if expected_in(state, locker).contains(&item) {
                    return Err(FlowError::InvalidInput("audit-error-expected-here"));
                }
                session.record(EventBody::AuditItemVerified {
                    audit,
                    item,
                    locker,
                    finding: AuditFinding::Unexpected,
                })?;
                self.unexpected.insert(item, locker);
                Ok(())
            }
            AuditIntent::Complete => {
                let Some(audit) = self.audit else {
                    return Err(FlowError::OutOfOrder);
                };
                if self.completed {
                    return Err(FlowError::OutOfOrder);
                }
                let summary = summarize(session.store().state(), audit);
                session.record(EventBody::AuditCompleted { audit, summary })?;
                self.completed = true;
                self.locker = None;
                Ok(())
            }
        }
    }

    /// The screen.
    pub fn view(&self, session: &Session) -> AuditView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let state = session.store().state();
        let step = self.step();
        let findings = self
            .audit
            .and_then(|a| state.audits.get(&a))
            .map(|r| r.findings.clone())
            .unwrap_or_default();

        let instruction = match (step, self.locker) {
            (AuditStep::Locker, Some(locker)) => catalog.format(
                "audit-instruction-locker",
                &[("locker", Arg::from(labels.locker(locker)))],
            ),
            _ => catalog.text(match step {
                AuditStep::NotStarted => "audit-instruction-start",
                AuditStep::Completed => "audit-instruction-completed",
                _ => "audit-instruction-scan",
            }),
        };

        let row_buttons = |finding: Option<AuditFinding>| -> Vec<AuditButton> {
            [
                (
                    AuditFinding::Found,
                    "audit-button-found",
                    AuditAction::MarkFound,
                ),
                (
                    AuditFinding::Missing,
                    "audit-button-missing",
                    AuditAction::MarkMissing,
                ),
            ]
            .into_iter()
            .filter(|(f, _, _)| finding != Some(*f))
            .map(|(_, id, action)| AuditButton {
                label: catalog.text(id),
                action,
            })
            .collect()
        };
        let (expected, unexpected) = match (step, self.locker) {
            (AuditStep::Locker, Some(locker)) => {
                let expected = expected_in(state, locker)
                    .into_iter()
                    .map(|item| {
                        let finding = findings.get(&item).copied();
                        AuditRow {
                            item,
                            label: labels.item(item),
                            finding,
                            status: finding_text(session, finding),
                            buttons: row_buttons(finding),
                        }
                    })
                    .collect();
                let unexpected = self
                    .unexpected
                    .iter()
                    .filter(|(item, at)| {
                        **at == locker && findings.get(item) == Some(&AuditFinding::Unexpected)
                    })
                    .map(|(item, _)| AuditRow {
                        item: *item,
                        label: labels.item(*item),
                        finding: Some(AuditFinding::Unexpected),
                        status: finding_text(session, Some(AuditFinding::Unexpected)),
                        buttons: Vec::new(),
                    })
                    .collect();
                (expected, unexpected)
            }
            _ => (Vec::new(), Vec::new()),
        };

        let running = matches!(step, AuditStep::ScanLocker | AuditStep::Locker);
        let mut lockers = Vec::new();
        let (mut checked_all, mut expected_all) = (0u32, 0u32);
        for locker in state.lockers.keys() {
            let items = expected_in(state, *locker);
            let checked = count(items.iter().filter(|i| findings.contains_key(i)));
            let expected = count(items.iter());
            checked_all += checked;
            expected_all += expected;
            lockers.push(LockerProgress {
                locker: *locker,
                name: labels.locker(*locker),
                checked,
                expected,
                text: catalog.format(
                    "audit-locker-progress",
                    &[
                        ("checked", Arg::from(i64::from(checked))),
                        ("expected", Arg::from(i64::from(expected))),
                    ],
                ),
            });
        }
        let progress = running.then(|| AuditProgress {
            checked: checked_all,
            expected: expected_all,
            text: catalog.format(
                "audit-progress",
                &[
                    ("checked", Arg::from(i64::from(checked_all))),
                    ("expected", Arg::from(i64::from(expected_all))),
                ],
            ),
        });
        let unchecked = expected_all.saturating_sub(checked_all);
        let completion_note = (running && unchecked > 0).then(|| {
            catalog.format(
                "audit-completion-note",
                &[("count", Arg::from(i64::from(unchecked)))],
            )
        });

        let summary = self
            .audit
            .and_then(|a| state.audits.get(&a))
            .and_then(|r| r.summary.as_ref())
            .map(|s| AuditSummaryView {
                text: catalog.format(
                    "audit-summary",
                    &[
                        ("expected", Arg::from(i64::from(s.expected))),
                        ("found", Arg::from(i64::from(s.found))),
                        ("missing", Arg::from(s.missing.len() as i64)),
                        ("unexpected", Arg::from(s.unexpected.len() as i64)),
                    ],
                ),
                missing: s.missing.iter().map(|i| labels.item(*i)).collect(),
                unexpected: s.unexpected.iter().map(|i| labels.item(*i)).collect(),
            });

        let mut buttons = Vec::new();
        if step == AuditStep::NotStarted {
            buttons.push(AuditButton {
                label: catalog.text("audit-button-start"),
                action: AuditAction::Start,
            });
        }
        if running {
            buttons.push(AuditButton {
                label: catalog.text("audit-button-complete"),
                action: AuditAction::Complete,
            });
        }

        AuditView {
            title: catalog.text("audit-title"),
            step,
            instruction,
            locker: self.locker.map(|l| labels.locker(l)),
            expected,
            unexpected,
            progress,
            lockers,
            completion_note,
            summary,
            buttons,
            notice: notice(session.locale, self.error.as_ref(), &self.warnings),
        }
    }
}

/// Items the ledger expects in `locker` now.
fn expected_in(state: &CustodyState, locker: LockerId) -> BTreeSet<ItemId> {
    state
        .items
        .iter()
        .filter(|(_, r)| {
            !r.retired && matches!(r.custody, Custody::InLocker { locker: at, .. } if at == locker)
        })
        .map(|(id, _)| *id)
        .collect()
}

/// The summary of `audit`: every item the ledger expects in a locker is found, missing (also when unchecked) or
/// was found in another locker (then it is listed as unexpected).
fn summarize(state: &CustodyState, audit: AuditId) -> AuditSummary {
    let findings = state
        .audits
        .get(&audit)
        .map(|r| r.findings.clone())
        .unwrap_or_default();
    let expected: BTreeSet<ItemId> = state
        .lockers
        .keys()
        .flat_map(|l| expected_in(state, *l))
        .collect();
    let found = count(
        expected
            .iter()
            .filter(|i| findings.get(i) == Some(&AuditFinding::Found)),
    );
    let missing = expected
        .iter()
        .filter(|i| matches!(findings.get(i), None | Some(AuditFinding::Missing)))
        .copied()
        .collect();
    let unexpected = findings
        .iter()
        .filter(|(_, f)| **f == AuditFinding::Unexpected)
        .map(|(i, _)| *i)
        .collect();
    AuditSummary {
        expected: count(expected.iter()),
        found,
        missing,
        unexpected,
    }
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

fn finding_text(session: &Session, finding: Option<AuditFinding>) -> String {
    session.catalog().text(match finding {
        None => "audit-finding-unchecked",
        Some(AuditFinding::Found) => "audit-finding-found",
        Some(AuditFinding::Missing) => "audit-finding-missing",
        Some(AuditFinding::Unexpected) => "audit-finding-unexpected",
    })
}
