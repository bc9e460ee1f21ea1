//! Which events concern which item (`item_events`, schema version 4): written with each event in its own
//! transaction, so one resident's handover history is read through the index instead of the whole ledger.
//!
//! An approval or denial names its request, not the item; `request_items` remembers each request's item when the
//! request is written, and the decision is indexed under that item. A decision arrives after its request on every
//! device (the approving device had the request, and the hub's log keeps that order), so the lookup finds it.

use super::StoreError;
use crate::ledger::{Envelope, EventBody, SignedEvent};
use crate::model::{ItemId, RequestId};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The item an event is about, if it is about one (directly, or through its request).
enum Subject {
    Item(ItemId),
    Request(RequestId),
}

fn subject(body: &EventBody) -> Option<Subject> {
    Some(match body {
        EventBody::ItemRegistered { item } | EventBody::ItemUpdated { item } => {
            Subject::Item(item.id)
        }
        EventBody::ItemRetired { item, .. }
        | EventBody::CheckoutRequested { item, .. }
        | EventBody::CheckedOut { item, .. }
        | EventBody::Returned { item, .. }
        | EventBody::HandedOver { item, .. }
        | EventBody::DepositedWithHospital { item }
        | EventBody::Released { item, .. }
        | EventBody::AuditItemVerified { item, .. }
        | EventBody::CardMismatch { item, .. }
        | EventBody::IncidentOpened {
            item: Some(item), ..
        } => Subject::Item(*item),
        EventBody::ApprovalGranted { request, .. } | EventBody::ApprovalDenied { request, .. } => {
            Subject::Request(*request)
        }
        _ => return None,
    })
}

/// Index the event stored at `log_index`, in the transaction that stores it.
pub(super) fn index_event(
    tx: &Transaction<'_>,
    log_index: u64,
    envelope: &Envelope,
) -> Result<(), StoreError> {
    let item = match subject(&envelope.body) {
        None => return Ok(()),
        Some(Subject::Item(item)) => item.to_string(),
        Some(Subject::Request(request)) => {
            let found: Option<String> = tx
                .prepare_cached("SELECT item_id FROM request_items WHERE request_id = ?1")?
                .query_row([request.to_string()], |row| row.get(0))
                .optional()?;
            match found {
                Some(item) => item,
                // A decision without its request is refused by the fold; there is no item to file it under.
                None => return Ok(()),
            }
        }
    };
    if let EventBody::CheckoutRequested { request, .. } = &envelope.body {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO request_items (request_id, item_id) VALUES (?1, ?2)",
        )?
        .execute(params![request.to_string(), item])?;
    }
    tx.prepare_cached("INSERT OR IGNORE INTO item_events (item_id, log_index) VALUES (?1, ?2)")?
        .execute(params![item, log_index as i64])?;
    Ok(())
}

/// Index every event already stored (a store upgraded to version 4), inside the migration's transaction.
pub(super) fn index_all(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let mut statement = tx.prepare("SELECT log_index, bytes FROM events ORDER BY log_index")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let log_index: i64 = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        let signed = SignedEvent {
            bytes,
            signature: crate::crypto::DeviceSignature(Vec::new()),
        };
        // An event that does not decode is the integrity check's to report, not the index's.
        if let Ok(envelope) = signed.decode() {
            index_event(tx, log_index as u64, &envelope)?;
        }
    }
    Ok(())
}

/// The stored events about `items` (and the decisions on their requests) of the given `kinds` (as
/// [`EventBody::kind_name`] names them), in local log order: all of them, or only the `newest` so many.
pub(super) fn item_events(
    conn: &Connection,
    items: &[ItemId],
    kinds: &[&str],
    newest: Option<usize>,
) -> Result<Vec<SignedEvent>, StoreError> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; kinds.len()].join(", ");
    let mut statement = conn.prepare_cached(&format!(
        "SELECT e.log_index, e.bytes, e.signature FROM item_events i JOIN events e ON e.log_index = i.log_index
         WHERE i.item_id = ? AND e.kind IN ({marks}) ORDER BY i.log_index DESC LIMIT ?"
    ))?;
    let limit = newest.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut found: Vec<(i64, SignedEvent)> = Vec::new();
    for item in items {
        let id = item.to_string();
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&id];
        values.extend(kinds.iter().map(|kind| kind as &dyn rusqlite::ToSql));
        values.push(&limit);
        let rows = statement.query_map(values.as_slice(), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                SignedEvent {
                    bytes: row.get(1)?,
                    signature: crate::crypto::DeviceSignature(row.get(2)?),
                },
            ))
        })?;
        for row in rows {
            found.push(row?);
        }
    }
    found.sort_by_key(|(index, _)| std::cmp::Reverse(*index));
    found.dedup_by_key(|(index, _)| *index);
    if let Some(newest) = newest {
        found.truncate(newest);
    }
    found.reverse();
    Ok(found.into_iter().map(|(_, event)| event).collect())
}
