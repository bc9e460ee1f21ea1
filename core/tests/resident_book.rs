//! One resident's 管理簿 (the family's history page, 開示) read through the item index is exactly the whole
//! book's rows about that resident's items, approvals and denials of their requests included; a store upgraded
//! from before the index gets the same rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::Timestamp;
use azukari_core::demo::{record_day, seed};
use azukari_core::flows::Session;
use azukari_core::flows::approval::{ApprovalInbox, ApprovalIntent};
use azukari_core::flows::ledger_book::{
    ledger_csv, resident_history, resident_ledger_csv, resident_records,
};
use azukari_core::ledger::EventBody;
use azukari_core::model::{ItemId, Purpose, RequestId, ResidentId};
use azukari_core::store::{OpenOptions, Store, Unlock};
use azukari_core::testing::TestStore;
use std::collections::HashSet;
use tempfile::tempdir;

/// The whole book's rows whose event is about one of `resident`'s items, found by reading every event.
fn expected_rows(session: &Session, resident: ResidentId) -> Vec<String> {
    let state = session.store().state();
    let items: HashSet<ItemId> = state
        .items
        .values()
        .filter(|r| r.item.resident == resident)
        .map(|r| r.item.id)
        .collect();
    let mut ids = HashSet::new();
    for event in session.store().events().unwrap() {
        let envelope = event.decode().unwrap();
        let item = match &envelope.body {
            EventBody::CheckedOut { item, .. }
            | EventBody::Returned { item, .. }
            | EventBody::HandedOver { item, .. }
            | EventBody::DepositedWithHospital { item }
            | EventBody::Released { item, .. }
            | EventBody::CheckoutRequested { item, .. } => Some(*item),
            EventBody::ApprovalGranted { request, .. }
            | EventBody::ApprovalDenied { request, .. } => {
                state.requests.get(request).map(|r| r.item)
            }
            _ => None,
        };
        if item.is_some_and(|item| items.contains(&item)) {
            ids.insert(envelope.event_id.to_string());
        }
    }
    let csv = String::from_utf8(ledger_csv(session).unwrap()).unwrap();
    csv.trim_start_matches('\u{feff}')
        .split("\r\n")
        .enumerate()
        .filter(|(n, line)| {
            !line.is_empty() && (*n == 0 || ids.iter().any(|id| line.ends_with(id.as_str())))
        })
        .map(|(_, line)| line.to_string())
        .collect()
}

fn lines(csv: Vec<u8>) -> Vec<String> {
    String::from_utf8(csv)
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_residents_book_through_the_index_is_the_whole_books_rows_about_them() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "book").unwrap();
    let demo = seed(&mut t.store, 3).unwrap();
    for _ in 0..3 {
        record_day(&mut t.store, &demo, &t.clock).unwrap();
    }
    // Two requests for the first resident's card: one approved, one denied.
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    let mut session = Session::new(store).unwrap();
    for (n, approve) in [(1u128, true), (2, false)] {
        let request = RequestId(uuid::Uuid::from_u128(n));
        let now = session.store().now();
        session
            .store_mut()
            .append(
                Some(demo.caregivers[0]),
                EventBody::CheckoutRequested {
                    request,
                    item: demo.cards[0],
                    purpose: Purpose::MedicalVisit,
                    due_at: Timestamp(now.0 + 3_600_000),
                },
            )
            .unwrap();
        session.sign_in(demo.supervisor).unwrap();
        let intent = if approve {
            ApprovalIntent::Approve { request }
        } else {
            ApprovalIntent::Deny {
                request,
                reason: "夜間のため / at night".into(),
            }
        };
        ApprovalInbox::new().handle(&mut session, intent).unwrap();
        session.sign_out();
    }

    for (n, resident) in demo.residents.iter().enumerate() {
        let expected = expected_rows(&session, *resident);
        let book: Vec<String> = lines(resident_ledger_csv(&session, *resident).unwrap());
        assert_eq!(book, expected, "resident {n}");
        assert_eq!(
            resident_records(&session, *resident, None).unwrap().len() + 1,
            expected.len()
        );
        // The newest three: the last three rows (or all, for a resident with fewer).
        let newest = resident_records(&session, *resident, Some(3)).unwrap();
        let ids: Vec<String> = newest
            .iter()
            .map(|record| record.cells()[7].clone())
            .collect();
        let kept = (expected.len() - 1).min(3);
        let last: Vec<&str> = expected[expected.len() - kept..]
            .iter()
            .map(|line| line.rsplit(',').next().unwrap())
            .collect();
        assert_eq!(ids, last, "resident {n}");
        // The page's history: the same records, newest first, worded with the time and the item.
        let history = resident_history(&session, *resident, 3).unwrap();
        let mut newest_first: Vec<String> =
            history.iter().map(|e| e.event_id.to_string()).collect();
        newest_first.reverse();
        assert_eq!(newest_first, last, "resident {n}");
        assert!(
            history
                .iter()
                .all(|e| e.title.contains("年") && !e.details.is_empty())
        );
        assert!(expected.len() > 1, "resident {n} has rows");
    }
    let first = lines(resident_ledger_csv(&session, demo.residents[0]).unwrap()).join("\n");
    assert!(first.contains("承認") && first.contains("却下"), "{first}");

    // The index survives a reopen, and a store whose index was dropped and rebuilt (as the migration to schema 4
    // builds it) gives the same rows.
    let before: Vec<Vec<String>> = demo
        .residents
        .iter()
        .map(|r| lines(resident_ledger_csv(&session, *r).unwrap()))
        .collect();
    session.into_store().close().unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE item_events; DROP TABLE request_items; PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let reopened =
        Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock).unwrap();
    let session = Session::new(reopened).unwrap();
    let after: Vec<Vec<String>> = demo
        .residents
        .iter()
        .map(|r| lines(resident_ledger_csv(&session, *r).unwrap()))
        .collect();
    assert_eq!(after, before);
}
