//! The custody ledger as the paper 管理簿 looked: one row per take-out, return, handover, release, request and
//! decision, as CSV that Excel opens correctly in Japanese (UTF-8 with a byte-order mark, CRLF line ends, RFC 4180
//! quoting). Names are opened from their seals for the export only; column titles and kinds come from the
//! message catalogue in the session's language.

use super::labels::Labels;
use super::{FlowError, Session};
use crate::ledger::EventBody;

/// The byte-order mark that tells Excel the file is UTF-8.
const BOM: &str = "\u{feff}";

/// The 管理簿 of the session's store as CSV bytes (see the module documentation).
pub fn ledger_csv(session: &Session) -> Result<Vec<u8>, FlowError> {
    let catalog = session.catalog();
    let labels = Labels::new(session);
    let mut out = String::from(BOM);
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
    push_row(&mut out, &header);
    let store = session.store();
    let mut rows: Vec<(crate::clock::Timestamp, [String; 8])> = Vec::new();
    for signed in store.events()? {
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
    for (_, row) in &rows {
        push_row(&mut out, row);
    }
    Ok(out.into_bytes())
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
