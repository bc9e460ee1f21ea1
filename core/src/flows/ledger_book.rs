//! The custody ledger as the paper 管理簿 looked: one row per take-out, return, handover, release, request and
//! decision, as CSV that Excel opens correctly in Japanese (UTF-8 with a byte-order mark, CRLF line ends, RFC 4180
//! quoting). Names are opened from their seals for the export only; column titles and kinds come from the
//! message catalogue in the session's language.

use super::labels::Labels;
use super::{FlowError, Session};
use crate::ledger::{EventBody, SignedEvent};
use crate::model::{ItemId, ResidentId};

/// The byte-order mark that tells Excel the file is UTF-8.
const BOM: &str = "\u{feff}";

/// The 管理簿 of the session's store as CSV bytes (see the module documentation).
pub fn ledger_csv(session: &Session) -> Result<Vec<u8>, FlowError> {
    Ok(book_csv(&book_rows(session, session.store().events()?)?))
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
    Ok(book_csv(&resident_book(session, resident, None)?))
}

/// The 管理簿 of one resident's items as cells: the column titles first, then one row per record, oldest first
/// (the last cell is the event id) — every record, or only the `newest` so many.
pub fn resident_book(
    session: &Session,
    resident: ResidentId,
    newest: Option<usize>,
) -> Result<Vec<Vec<String>>, FlowError> {
    let items: Vec<ItemId> = session
        .store()
        .state()
        .items
        .values()
        .filter(|record| record.item.resident == resident)
        .map(|record| record.item.id)
        .collect();
    book_rows(
        session,
        session.store().item_events(&items, &BOOK_KINDS, newest)?,
    )
}

fn book_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from(BOM);
    for row in rows {
        push_row(&mut out, row);
    }
    out.into_bytes()
}

/// The column titles and the book's rows of `events`, in time order.
fn book_rows(session: &Session, events: Vec<SignedEvent>) -> Result<Vec<Vec<String>>, FlowError> {
    let catalog = session.catalog();
    let labels = Labels::new(session);
    let header = [
        "book-column-time",
        "book-column-record",
        "book-column-item",
        "book-column-locker",
        "book-column-staff",
        "book-column-purpose",
        "book-column-due",
        "book-column-event-id",
    ]
    .map(|id| catalog.text(id));
    let mut rows: Vec<(crate::clock::Timestamp, [String; 8])> = Vec::new();
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
                due_at.to_string(),
            ),
            EventBody::Returned {
                item, to_locker, ..
            } => (
                "book-record-returned",
                labels.item(*item),
                labels.locker(*to_locker),
                String::new(),
                String::new(),
            ),
            EventBody::HandedOver { item, to, .. } => (
                "book-record-handed-over",
                labels.item(*item),
                String::new(),
                labels.staff(*to),
                String::new(),
            ),
            EventBody::Released { item, .. } => (
                "book-record-released",
                labels.item(*item),
                String::new(),
                String::new(),
                String::new(),
            ),
            EventBody::DepositedWithHospital { item } => (
                "book-record-deposited",
                labels.item(*item),
                String::new(),
                String::new(),
                String::new(),
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
                due_at.to_string(),
            ),
            EventBody::ApprovalGranted { .. } => (
                "book-record-approved",
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
            EventBody::ApprovalDenied { .. } => (
                "book-record-denied",
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
            _ => continue,
        };
        rows.push((
            envelope.recorded_at,
            [
                envelope.recorded_at.to_string(),
                catalog.text(record),
                item,
                locker,
                staff,
                purpose,
                due,
                envelope.event_id.to_string(),
            ],
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1[7].cmp(&b.1[7])));
    Ok(std::iter::once(header.to_vec())
        .chain(rows.into_iter().map(|(_, row)| row.to_vec()))
        .collect())
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
