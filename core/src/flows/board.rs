//! The board (預かり状況): what is where, what is out and what is overdue, what needs attention, and where the
//! records disagree — the supervisor's overview on a tablet or PC.
//!
//! The board writes nothing. Its only intents narrow the item sections to one resident or one locker; the alerts
//! and discrepancies always cover the whole facility, because nothing that needs attention may be filtered out
//! of sight. Names are personal data, so nothing is listed until a member of staff is signed in.
//!
//! Order is stable and meaningful: items by the resident's kana, name, then kind; alerts by severity, then by
//! what they are about in the same order (items, then staff, then the facility), then by their text.

use super::{FlowError, Labels, Notice, NoticeKind, Session};
use crate::alerts::{Alert, Severity, alerts};
use crate::custody::{Custody, Discrepancy};
use crate::i18n::Arg;
use crate::model::{IncidentId, ItemCategory, ItemId, LockerId, ResidentId, StaffId};
use crate::store::Field;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Which items the item sections show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BoardFilter {
    /// Every item.
    #[default]
    All,
    /// One resident's items.
    Resident(ResidentId),
    /// The items in (or belonging to) one locker.
    Locker(LockerId),
}

/// What a supervisor does on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoardIntent {
    /// Show every item.
    ShowAll,
    /// Show one resident's items.
    ShowResident(ResidentId),
    /// Show the items in one locker (and those out that belong in it).
    ShowLocker(LockerId),
}

/// An item on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardItem {
    /// The item.
    pub item: ItemId,
    /// Whose it is.
    pub resident: ResidentId,
    /// The resident's name.
    pub resident_name: String,
    /// What it is ("マイナ保険証").
    pub kind: String,
    /// Where it is, in words ("保管中：保険証ロッカー A", "期限超過：…").
    pub custody: String,
    /// The locker it is in now, if it is in one.
    pub locker: Option<LockerId>,
    /// Who has it out, if someone does.
    pub holder: Option<StaffId>,
    /// Whether it is out past its due time.
    pub overdue: bool,
}

/// A section of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardSection {
    /// Heading.
    pub heading: String,
    /// What to show when the section is empty.
    pub empty_text: String,
    /// The items, in order.
    pub items: Vec<BoardItem>,
}

/// An alert on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertView {
    /// How urgent.
    pub severity: Severity,
    /// How urgent, in words.
    pub severity_label: String,
    /// The alert in words, naming what it is about.
    pub message: String,
    /// The item concerned, if any.
    pub item: Option<ItemId>,
    /// The member of staff concerned, if any.
    pub staff: Option<StaffId>,
    /// Where opening the alert leads.
    pub opens: AlertTarget,
    /// When what it is about happened (a discrepancy's event), in words; `None` for standing alerts.
    pub at: Option<String>,
}

/// Where opening an alert leads: the screen that resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AlertTarget {
    /// The item's resident on the board (overdue, expiring, discrepancies).
    Item(ItemId),
    /// The resident's custody agreement (missing or revoked).
    Agreement(ResidentId),
    /// The incident's checklist.
    Incident(IncidentId),
    /// The audit screen (an audit is due).
    Audit,
    /// The member of staff on the setup screen (training due).
    Staff(StaffId),
}

/// A discrepancy between the records, for a supervisor to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscrepancyView {
    /// The discrepancy in words.
    pub message: String,
    /// When the conflicting event happened, if it is one event.
    pub at: Option<String>,
    /// The item concerned, if any.
    pub item: Option<ItemId>,
}

/// The board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Why the last intent was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NotSignedIn,
    UnknownResident,
    UnknownLocker,
}

impl Refusal {
    fn error(self) -> FlowError {
        match self {
            Refusal::NotSignedIn => FlowError::NotSignedIn,
            Refusal::UnknownResident => FlowError::UnknownResident,
            Refusal::UnknownLocker => FlowError::UnknownLocker,
        }
    }
}

/// The board's state machine.
#[derive(Debug, Clone, Default)]
pub struct BoardFlow {
    filter: BoardFilter,
    refusal: Option<Refusal>,
}

impl BoardFlow {
    /// A board showing every item.
    pub fn new() -> Self {
        BoardFlow::default()
    }

    /// Change what the item sections show. On `Err` the filter is unchanged and the view shows why.
    pub fn handle(&mut self, session: &mut Session, intent: BoardIntent) -> Result<(), FlowError> {
        match self.choose(session, intent) {
            Ok(filter) => {
                self.filter = filter;
                self.refusal = None;
                Ok(())
            }
            Err(refusal) => {
                self.refusal = Some(refusal);
                Err(refusal.error())
            }
        }
    }

    fn choose(&self, session: &Session, intent: BoardIntent) -> Result<BoardFilter, Refusal> {
        session.actor().map_err(|_| Refusal::NotSignedIn)?;
        let state = session.store().state();
        match intent {
            BoardIntent::ShowAll => Ok(BoardFilter::All),
            BoardIntent::ShowResident(resident) => {
                if state.residents.contains_key(&resident)
                    && !state.erased_residents.contains(&resident)
                {
                    Ok(BoardFilter::Resident(resident))
                } else {
                    Err(Refusal::UnknownResident)
                }
            }
            BoardIntent::ShowLocker(locker) => {
                if state.lockers.contains_key(&locker) {
                    Ok(BoardFilter::Locker(locker))
                } else {
                    Err(Refusal::UnknownLocker)
                }
            }
        }
    }

    /// The board in the session's locale, at the session's current time.
    pub fn view(&self, session: &Session) -> BoardView {
        let catalog = session.catalog();
        let labels = Labels::new(session);
        let now = session.now();
        let signed_in = session.actor().is_ok();
        let notice = match self.refusal {
            Some(refusal) => Some(refusal.error()),
            None if !signed_in => Some(FlowError::NotSignedIn),
            None => None,
        }
        .map(|error| Notice {
            kind: NoticeKind::Error,
            text: error.message(session.locale),
        });
        let mut board = Board::new(session, &labels);
        let (held, out, overdue, alerts, discrepancies) = if signed_in {
            board.contents(self.filter)
        } else {
            Default::default()
        };
        let section = |heading: &str, empty: &str, items: Vec<BoardItem>| BoardSection {
            heading: catalog.text(heading),
            empty_text: catalog.text(empty),
            items,
        };
        let filter_label = match self.filter {
            BoardFilter::All => catalog.text("board-filter-all"),
            BoardFilter::Resident(resident) => catalog.format(
                "board-filter-resident",
                &[("resident", Arg::from(labels.resident(resident)))],
            ),
            BoardFilter::Locker(locker) => catalog.format(
                "board-filter-locker",
                &[("locker", Arg::from(labels.locker(locker)))],
            ),
        };
        let count = |n: usize| Arg::Number(i64::try_from(n).unwrap_or(i64::MAX));
        BoardView {
            title: catalog.text("board-title"),
            notice,
            as_of: catalog.format("board-as-of", &[("time", Arg::from(labels.time(now)))]),
            filter: self.filter,
            filter_label,
            summary: catalog.format(
                "board-summary",
                &[
                    ("held", count(held.len())),
                    ("out", count(out.len())),
                    ("overdue", count(overdue.len())),
                    ("alerts", count(alerts.len())),
                ],
            ),
            held: section("board-section-held", "board-empty-held", held),
            out: section("board-section-out", "board-empty-out", out),
            overdue: section("board-section-overdue", "board-empty-overdue", overdue),
            alerts_heading: catalog.text("board-section-alerts"),
            alerts_empty_text: catalog.text("board-empty-alerts"),
            alerts,
            discrepancies_heading: catalog.text("board-section-discrepancies"),
            discrepancies_empty_text: catalog.text("board-empty-discrepancies"),
            discrepancies,
        }
    }
}

/// How a row sorts: by resident (kana, name), then kind, then staff name, then id, so the order is stable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
struct SortKey {
    /// Items and residents first, then staff, then the facility.
    group: u8,
    kana: String,
    name: String,
    category: Option<ItemCategory>,
    id: String,
}

type Contents = (
    Vec<BoardItem>,
    Vec<BoardItem>,
    Vec<BoardItem>,
    Vec<AlertView>,
    Vec<DiscrepancyView>,
);

/// Builds the board's rows, opening each resident's kana and name once.
struct Board<'a> {
    session: &'a Session,
    labels: &'a Labels<'a>,
    residents: BTreeMap<ResidentId, (String, String)>,
}

impl<'a> Board<'a> {
    fn new(session: &'a Session, labels: &'a Labels<'a>) -> Self {
        Board {
            session,
            labels,
            residents: BTreeMap::new(),
        }
    }

    /// The resident's (kana, name), opened once.
    fn resident(&mut self, id: ResidentId) -> (String, String) {
        if let Some(known) = self.residents.get(&id) {
            return known.clone();
        }
        let store = self.session.store();
        let kana = store
            .state()
            .residents
            .get(&id)
            .and_then(|r| {
                store
                    .open_field(Field::ResidentKana, id.as_bytes(), &r.kana)
                    .ok()
            })
            .map(|k| k.to_string())
            .unwrap_or_default();
        let opened = (kana, self.labels.resident(id));
        self.residents.insert(id, opened.clone());
        opened
    }

    fn item_key(&mut self, item: ItemId) -> SortKey {
        let record = self.session.store().state().items.get(&item);
        let (kana, name) = match record {
            Some(r) => self.resident(r.item.resident),
            None => Default::default(),
        };
        SortKey {
            group: 0,
            kana,
            name,
            category: record.map(|r| r.item.kind.category()),
            id: item.to_string(),
        }
    }

    fn contents(&mut self, filter: BoardFilter) -> Contents {
        let state = self.session.store().state();
        let now = self.session.now();
        let mut rows: Vec<(SortKey, BoardItem)> = Vec::new();
        for (id, record) in &state.items {
            if record.retired || !record.custody.is_held() {
                continue;
            }
            let in_locker = match record.custody {
                Custody::InLocker { locker, .. } => Some(locker),
                _ => None,
            };
            let shown = match filter {
                BoardFilter::All => true,
                BoardFilter::Resident(resident) => record.item.resident == resident,
                BoardFilter::Locker(locker) => {
                    in_locker.map_or(record.item.home_locker == locker, |l| l == locker)
                }
            };
            if !shown {
                continue;
            }
            let key = self.item_key(*id);
            let holder = match record.custody {
                Custody::Out { holder, .. } => Some(holder),
                _ => None,
            };
            rows.push((
                key.clone(),
                BoardItem {
                    item: *id,
                    resident: record.item.resident,
                    resident_name: key.name,
                    kind: self.labels.category(record.item.kind.category()),
                    custody: self.labels.custody(&record.custody),
                    locker: in_locker,
                    holder,
                    overdue: record.custody.is_overdue(now),
                },
            ));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let held: Vec<BoardItem> = rows.into_iter().map(|(_, item)| item).collect();
        let out: Vec<BoardItem> = held
            .iter()
            .filter(|i| i.holder.is_some())
            .cloned()
            .collect();
        let overdue: Vec<BoardItem> = out.iter().filter(|i| i.overdue).cloned().collect();
        (held, out, overdue, self.alerts(), self.discrepancies())
    }

    fn alerts(&mut self) -> Vec<AlertView> {
        let state = self.session.store().state();
        let now = self.session.now();
        let locale = self.session.locale;
        let catalog = self.session.catalog();
        let mut rows: Vec<(Severity, SortKey, AlertView)> = Vec::new();
        for alert in alerts(state, now, &self.session.alert_settings) {
            let (subject, key, item, staff) = match &alert {
                Alert::TrainingDue { staff, .. } => {
                    let name = self.labels.staff(*staff);
                    let key = SortKey {
                        group: 1,
                        name: name.clone(),
                        id: staff.to_string(),
                        ..SortKey::default()
                    };
                    (name, key, None, Some(*staff))
                }
                Alert::Discrepancy(discrepancy) => {
                    let (subject, key) = self.discrepancy_subject(discrepancy);
                    (subject, key, discrepancy_item(discrepancy), None)
                }
                other => match alert_item(other, self.session) {
                    Some(item) => {
                        let (subject, key) = self.item_subject(item);
                        (subject, key, Some(item), None)
                    }
                    None => (
                        catalog.text("board-subject-facility"),
                        SortKey {
                            group: 2,
                            ..SortKey::default()
                        },
                        None,
                        None,
                    ),
                },
            };
            let severity = alert.severity(now);
            rows.push((
                severity,
                key,
                AlertView {
                    severity,
                    severity_label: catalog.text(severity_id(severity)),
                    message: alert.message(locale, &subject),
                    item,
                    staff,
                    opens: alert_target(&alert, item),
                    at: match &alert {
                        Alert::Discrepancy(discrepancy) => {
                            discrepancy_time(discrepancy).map(|t| self.labels.time(t))
                        }
                        _ => None,
                    },
                },
            ));
        }
        rows.sort_by(|a, b| {
            (a.0, &a.1)
                .cmp(&(b.0, &b.1))
                .then_with(|| a.2.message.cmp(&b.2.message))
        });
        rows.into_iter().map(|(_, _, view)| view).collect()
    }

    fn discrepancies(&mut self) -> Vec<DiscrepancyView> {
        let state = self.session.store().state();
        let now = self.session.now();
        let locale = self.session.locale;
        let mut rows: Vec<(SortKey, Option<crate::clock::Timestamp>, DiscrepancyView)> = Vec::new();
        for discrepancy in state.discrepancies(now) {
            let (subject, key) = self.discrepancy_subject(&discrepancy);
            let at = discrepancy_time(&discrepancy);
            let item = discrepancy_item(&discrepancy);
            let message = Alert::Discrepancy(discrepancy).message(locale, &subject);
            rows.push((
                key,
                at,
                DiscrepancyView {
                    message,
                    at: at.map(|t| self.labels.time(t)),
                    item,
                },
            ));
        }
        // Oldest first among those with a time, then the standing ones; then by what they are about.
        rows.sort_by(|a, b| match (a.1, b.1) {
            (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.0.cmp(&b.0)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => a.0.cmp(&b.0),
        });
        rows.into_iter().map(|(_, _, view)| view).collect()
    }

    /// "佐藤 ハナ様のマイナ保険証", or "an unregistered item".
    fn item_subject(&mut self, item: ItemId) -> (String, SortKey) {
        if self.session.store().state().items.contains_key(&item) {
            (self.labels.item(item), self.item_key(item))
        } else {
            (
                self.session.catalog().text("board-subject-unknown-item"),
                SortKey {
                    id: item.to_string(),
                    ..SortKey::default()
                },
            )
        }
    }

    fn discrepancy_subject(&mut self, discrepancy: &Discrepancy) -> (String, SortKey) {
        match discrepancy {
            Discrepancy::PinEnvelopeWithCard { resident, locker } => {
                let (kana, name) = self.resident(*resident);
                let subject = self.session.catalog().format(
                    "board-subject-resident-in-locker",
                    &[
                        ("resident", Arg::from(name.clone())),
                        ("locker", Arg::from(self.labels.locker(*locker))),
                    ],
                );
                let key = SortKey {
                    group: 0,
                    kana,
                    name,
                    category: None,
                    id: locker.to_string(),
                };
                (subject, key)
            }
            other => match discrepancy_item(other) {
                Some(item) => self.item_subject(item),
                None => (
                    self.session.catalog().text("board-subject-facility"),
                    SortKey {
                        group: 2,
                        ..SortKey::default()
                    },
                ),
            },
        }
    }
}

/// The item an alert is about, if it is about one.
/// The screen that resolves `alert` (`item`: the item it concerns, if any).
fn alert_target(alert: &Alert, item: Option<ItemId>) -> AlertTarget {
    match alert {
        Alert::AgreementMissing { resident, .. } | Alert::AgreementRevoked { resident, .. } => {
            AlertTarget::Agreement(*resident)
        }
        Alert::IncidentOpen { incident, .. } => AlertTarget::Incident(*incident),
        Alert::TrainingDue { staff, .. } => AlertTarget::Staff(*staff),
        _ => item.map(AlertTarget::Item).unwrap_or(AlertTarget::Audit),
    }
}

fn alert_item(alert: &Alert, session: &Session) -> Option<ItemId> {
    match alert {
        Alert::Overdue { item, .. }
        | Alert::CertificateExpiring { item, .. }
        | Alert::CertificateInGrace { item, .. }
        | Alert::CertificateLapsed { item, .. }
        | Alert::CardExpiring { item, .. }
        | Alert::EligibilityCertificateExpiring { item, .. }
        | Alert::LegacyCardHistorical { item }
        | Alert::AgreementMissing { item, .. }
        | Alert::AgreementRevoked { item, .. } => Some(*item),
        Alert::Discrepancy(discrepancy) => discrepancy_item(discrepancy),
        Alert::IncidentOpen { incident, .. } => session
            .store()
            .state()
            .incidents
            .get(incident)
            .and_then(|i| i.item),
        Alert::AuditDue { .. } | Alert::TrainingDue { .. } => None,
    }
}

fn discrepancy_item(discrepancy: &Discrepancy) -> Option<ItemId> {
    match discrepancy {
        Discrepancy::DoubleCheckout { item, .. }
        | Discrepancy::ReturnWithoutCheckout { item, .. }
        | Discrepancy::ReturnToWrongLocker { item, .. }
        | Discrepancy::HandoverNotFromHolder { item, .. }
        | Discrepancy::UnknownItem { item, .. }
        | Discrepancy::CustodyWithoutAgreement { item, .. }
        | Discrepancy::CardMismatch { item, .. } => Some(*item),
        Discrepancy::PinEnvelopeWithCard { .. } => None,
    }
}

fn discrepancy_time(discrepancy: &Discrepancy) -> Option<crate::clock::Timestamp> {
    match discrepancy {
        Discrepancy::DoubleCheckout { at, .. }
        | Discrepancy::ReturnWithoutCheckout { at, .. }
        | Discrepancy::ReturnToWrongLocker { at, .. }
        | Discrepancy::HandoverNotFromHolder { at, .. }
        | Discrepancy::CardMismatch { at, .. } => Some(*at),
        _ => None,
    }
}

fn severity_id(severity: Severity) -> &'static str {
    match severity {
        Severity::Urgent => "board-severity-urgent",
        Severity::Warning => "board-severity-warning",
        Severity::Info => "board-severity-info",
    }
}
