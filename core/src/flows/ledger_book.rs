//! The custody ledger as the paper 管理簿 looked: one row per take-out, return, handover, release, request and
//! decision, as CSV that Excel opens correctly in Japanese (UTF-8 with a byte-order mark, CRLF line ends, RFC 4180
//! quoting). Names are opened from their seals for the export only; column titles and kinds come from the
//! message catalogue in the session's language.

use super::labels::Labels;
use super::{FlowError, Session};
use crate::clock::Timestamp;
use crate::i18n::Arg;
use crate::ledger::{EventBody, SignedEvent};
use crate::model::{EventId, ItemId, ResidentId};

/// The byte-order mark that tells Excel the file is UTF-8.
const BOM: &str = "\u{feff}";

/// One row of the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRecord {
    /// When it was recorded.
    pub at: Timestamp,
    /// What happened (持出, 返却, 承認…), in the session's language.
    pub record: String,
    /// The item ("佐藤 ハナ様のマイナ保険証"), if the record names one.
    pub item: String,
    /// The locker it left or went into, if any.
    pub locker: String,
    /// Who recorded it.
    pub staff: String,
    /// The purpose, or for a handover the member of staff it went to.
    pub purpose: String,
    /// When it is due back, for a take-out or a request.
    pub due: Option<Timestamp>,
    /// The ledger event.
    pub event_id: EventId,
}

impl BookRecord {
    /// The record as the CSV's cells, in [`book_columns`] order (times sortable, as a spreadsheet wants them).
    pub fn cells(&self) -> [String; 8] {
        [
            self.at.to_string(),
            self.record.clone(),
            self.item.clone(),
            self.locker.clone(),
            self.staff.clone(),
            self.purpose.clone(),
            self.due.map(|due| due.to_string()).unwrap_or_default(),
            self.event_id.to_string(),
        ]
    }
}

/// The 管理簿 of the session's store as CSV bytes (see the module documentation).
pub fn ledger_csv(session: &Session) -> Result<Vec<u8>, FlowError> {
    let records = book_records(session, session.store().events()?)?;
    Ok(book_csv(session, &records))
}

/// The kinds of event the book has a row for (as [`EventBody::kind_name`] names them).
const BOOK_KINDS: [&str; 8] = [
    "checkout_requested",
    "approval_granted",
    "approval_denied",
    "checked_out",
    "returned",
    "handed_over",
    "deposited_with_hospital",
    "released",
];

/// The 管理簿 rows about one resident's items (what a family member may ask to see, 開示), as CSV bytes: read
/// through the store's item index, not the whole ledger.
pub fn resident_ledger_csv(session: &Session, resident: ResidentId) -> Result<Vec<u8>, FlowError> {
    Ok(book_csv(
        session,
        &resident_records(session, resident, None)?,
    ))
}

/// The 管理簿 records of one resident's items, oldest first: every record, or only the `newest` so many.
pub fn resident_records(
    session: &Session,
    resident: ResidentId,
    newest: Option<usize>,
) -> Result<Vec<BookRecord>, FlowError> {
    let items: Vec<ItemId> = session
        .store()
        .state()
        .items
        .values()
        .filter(|record| record.item.resident == resident)
        .map(|record| record.item.id)
        .collect();
    book_records(
        session,
        session.store().item_events(&items, &BOOK_KINDS, newest)?,
    )
}

/// One record of a resident's history as a person reads it (the family's page): what happened and when, in
/// words, then the item and each other filled-in column as "column: value".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// "返却　2026年11月23日（令和8年） 11:20".
    pub title: String,
    /// The item, then "保管庫: …", "職員: …", "目的・相手: …", "返却予定: …" where filled in.
    pub details: Vec<String>,
    /// The ledger event (the CSV's last column).
    pub event_id: EventId,
}

/// One resident's history for a page: the `newest` records, newest first, worded in the session's language (the
/// CSV, [`resident_ledger_csv`], keeps every record oldest first, as the 管理簿 does).
pub fn resident_history(
    session: &Session,
    resident: ResidentId,
    newest: usize,
) -> Result<Vec<HistoryEntry>, FlowError> {
    let catalog = session.catalog();
    let columns = book_columns(session);
    let when = |at| crate::app::format::date_time(at, session.locale);
    let mut records = resident_records(session, resident, Some(newest))?;
    records.reverse();
    Ok(records
        .into_iter()
        .map(|record| {
            let mut details = Vec::new();
            if !record.item.is_empty() {
                details.push(record.item.clone());
            }
            let labelled = [
                (&columns[3], record.locker),
                (&columns[4], record.staff),
                (&columns[5], record.purpose),
                (&columns[6], record.due.map(when).unwrap_or_default()),
            ];
            for (column, value) in labelled {
                if !value.is_empty() {
                    details.push(catalog.format(
                        "book-history-field",
                        &[
                            ("column", Arg::from(column.as_str())),
                            ("value", Arg::from(value)),
                        ],
                    ));
                }
            }
            HistoryEntry {
                title: catalog.format(
                    "book-history-row",
                    &[
                        ("at", Arg::from(when(record.at))),
                        ("record", Arg::from(record.record)),
                    ],
                ),
                details,
                event_id: record.event_id,
            }
        })
        .collect())
}

fn book_csv(session: &Session, records: &[BookRecord]) -> Vec<u8> {
    let mut out = String::from(BOM);
    push_row(&mut out, &book_columns(session));
    for record in records {
        push_row(&mut out, &record.cells());
    }
    out.into_bytes()
}

/// The book's column titles in the session's language.
pub fn book_columns(session: &Session) -> [String; 8] {
    [
        "book-column-time",
        "book-column-record",
        "book-column-item",
        "book-column-locker",
        "book-column-staff",
        "book-column-purpose",
        "book-column-due",
        "book-column-event-id",
    ]
    .map(|id| session.catalog().text(id))
}

/// The book's records of `events`, in time order.
fn book_records(session: &Session, events: Vec<SignedEvent>) -> Result<Vec<BookRecord>, FlowError> {
    let catalog = session.catalog();
    let labels = Labels::new(session);
    let mut records: Vec<BookRecord> = Vec::new();
    for signed in events {
        let envelope = signed.decode().map_err(crate::store::StoreError::from)?;
        let staff = envelope
            .actor
            .map(|id| labels.staff(id))
            .unwrap_or_default();
        let (record, item, locker, purpose, due) = match &envelope.body {
            EventBody::CheckedOut {
                item,
                from_locker,
                purpose,
                due_at,
                ..
            } => (
                "book-record-checked-out",
                labels.item(*item),
                labels.locker(*from_locker),
                labels.purpose(purpose),
                Some(*due_at),
            ),
            EventBody::Returned {
                item, to_locker, ..
            } => (
                "book-record-returned",
                labels.item(*item),
                labels.locker(*to_locker),
                String::new(),
                None,
            ),
            EventBody::HandedOver { item, to, .. } => (
                "book-record-handed-over",
                labels.item(*item),
                String::new(),
                labels.staff(*to),
                None,
            ),
            EventBody::Released { item, .. } => (
                "book-record-released",
                labels.item(*item),
                String::new(),
                String::new(),
                None,
            ),
            EventBody::DepositedWithHospital { item } => (
                "book-record-deposited",
                labels.item(*item),
                String::new(),
                String::new(),
                None,
            ),
            EventBody::CheckoutRequested {
                item,
                purpose,
                due_at,
                ..
            } => (
                "book-record-requested",
                labels.item(*item),
                String::new(),
                labels.purpose(purpose),
                Some(*due_at),
            ),
            EventBody::ApprovalGranted { .. } => (
                "book-record-approved",
                String::new(),
                String::new(),
                String::new(),
                None,
            ),
            EventBody::ApprovalDenied { .. } => (
                "book-record-denied",
                String::new(),
                String::new(),
                String::new(),
                None,
            ),
            _ => continue,
        };
        records.push(BookRecord {
            at: envelope.recorded_at,
            record: catalog.text(record),
            item,
            locker,
            staff,
            purpose,
            due,
            event_id: envelope.event_id,
        });
    }
    records.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.event_id.cmp(&b.event_id)));
    Ok(records)
}

fn push_row(out: &mut String, cells: &[String]) {
    for (n, cell) in cells.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        // A cell starting with = + - @ would be a formula in Excel: prefix it so it stays text.
        let guarded = if cell.starts_with(['=', '+', '-', '@']) {
            format!("'{cell}")
        } else {
            cell.clone()
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&guarded.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&guarded);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        push_row(
            &mut out,
            &[
                "a,b".into(),
                "say \"hi\"".into(),
                "=1+1".into(),
                "plain".into(),
            ],
        );
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",'=1+1,plain\r\n");
    }
}
