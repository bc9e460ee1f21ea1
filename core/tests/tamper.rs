//! Tampering with the ledger — a flipped byte, a deleted, reordered, duplicated or truncated event — is always
//! detected, in the exported list and in the database file; a clean ledger never raises an alarm.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::crypto::{Signer, SoftwareSigner};
use azukari_core::demo;
use azukari_core::ledger::{
    Envelope, EventBody, EventHash, LedgerError, LogHead, SignedEvent, TrustAnchor, VerifyMode,
    verify_log,
};
use azukari_core::model::{AuditId, DeviceId, EventId};
use azukari_core::store::{OpenOptions, Store, StoreError, Unlock};
use azukari_core::testing::TestStore;
use tempfile::{TempDir, tempdir};

const MODES: [VerifyMode; 2] = [VerifyMode::EverySignature, VerifyMode::ChainHeads];

/// A ledger with two devices' events interleaved: a seeded facility, a day of handovers, and a tablet's audit.
fn ledger() -> (TempDir, TestStore, Vec<SignedEvent>, TrustAnchor, LogHead) {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 3).unwrap();
    let tablet = SoftwareSigner::make_random().unwrap();
    let device = DeviceId::random();
    t.store
        .append(
            Some(facility.admin),
            EventBody::DeviceRegistered {
                device,
                public_key: tablet.public_key(),
                label: "tablet".into(),
            },
        )
        .unwrap();
    let mut prev = EventHash::ZERO;
    for seq in 1..=4 {
        let envelope = Envelope {
            event_id: EventId::new_v7(),
            facility: t.store.facility_id(),
            device,
            device_seq: seq,
            prev_hash: prev,
            recorded_at: t.store.now(),
            actor: Some(facility.supervisor),
            body: EventBody::AuditStarted {
                audit: AuditId::random(),
            },
        };
        let signed = envelope.sign(&tablet).unwrap();
        prev = signed.hash();
        t.store.ingest(&signed).unwrap();
        demo::record_day(&mut t.store, &facility, &t.clock).unwrap();
        t.clock.advance_minutes(24 * 60);
    }
    let events = t.store.events().unwrap();
    let anchor = t.store.trust_anchor().clone();
    let head = t.store.head();
    (dir, t, events, anchor, head)
}

fn detected(events: &[SignedEvent], anchor: &TrustAnchor, head: &LogHead) -> bool {
    MODES
        .iter()
        .all(|mode| verify_log(events, anchor, Some(head), *mode).is_err())
}

#[test]
fn a_clean_ledger_never_raises_an_alarm() {
    let (_dir, t, events, anchor, head) = ledger();
    for mode in MODES {
        let report = verify_log(&events, &anchor, Some(&head), mode).unwrap();
        assert_eq!(report.events, events.len() as u64);
        assert_eq!(report.devices, 2);
    }
    t.store.verify(VerifyMode::EverySignature).unwrap();
}

#[test]
fn every_flipped_byte_is_detected() {
    let (_dir, _t, events, anchor, head) = ledger();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut trials = 0;
    for index in 0..events.len() {
        for _ in 0..10 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut tampered = events.clone();
            let event = &mut tampered[index];
            let total = event.bytes.len() + event.signature.0.len();
            let position = (state % total as u64) as usize;
            let bit = 1u8 << ((state >> 60) % 8);
            if position < event.bytes.len() {
                event.bytes[position] ^= bit;
            } else {
                event.signature.0[position - event.bytes.len()] ^= bit;
            }
            assert!(
                detected(&tampered, &anchor, &head),
                "flip at event {index} byte {position} not detected"
            );
            trials += 1;
        }
    }
    assert!(trials >= 200);
}

#[test]
fn every_deleted_event_is_detected() {
    let (_dir, _t, events, anchor, head) = ledger();
    for index in 0..events.len() {
        let mut tampered = events.clone();
        tampered.remove(index);
        assert!(
            detected(&tampered, &anchor, &head),
            "deleting event {index} not detected"
        );
    }
}

#[test]
fn every_reordering_of_neighbours_is_detected() {
    let (_dir, _t, events, anchor, head) = ledger();
    for index in 0..events.len() - 1 {
        let mut tampered = events.clone();
        tampered.swap(index, index + 1);
        assert!(
            detected(&tampered, &anchor, &head),
            "swapping events {index} and {} not detected",
            index + 1
        );
    }
}

#[test]
fn every_duplicated_event_is_detected() {
    let (_dir, _t, events, anchor, head) = ledger();
    for index in 0..events.len() {
        for target in [index + 1, events.len()] {
            let mut tampered = events.clone();
            tampered.insert(target, events[index].clone());
            assert!(
                detected(&tampered, &anchor, &head),
                "duplicating event {index} at {target} not detected"
            );
            // Even without the trusted head, a duplicate is caught by the chains.
            assert!(verify_log(&tampered, &anchor, None, VerifyMode::EverySignature).is_err());
        }
    }
}

#[test]
fn every_truncation_is_detected_against_the_head() {
    let (_dir, _t, events, anchor, head) = ledger();
    for keep in 0..events.len() {
        let tampered = &events[..keep];
        assert!(
            detected(tampered, &anchor, &head),
            "truncation to {keep} events not detected"
        );
    }
}

#[test]
fn a_ledger_from_another_founder_is_refused() {
    let (_dir, _t, events, anchor, head) = ledger();
    let impostor = TrustAnchor {
        founding_key: SoftwareSigner::make_random().unwrap().public_key(),
        ..anchor
    };
    let result = verify_log(&events, &impostor, Some(&head), VerifyMode::EverySignature);
    assert_eq!(result.unwrap_err(), LedgerError::UntrustedFounder);
}

/// Drop the append-only triggers, as someone editing the file with the sqlite3 shell would.
fn open_raw(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS events_are_append_only_no_update; DROP TRIGGER IF EXISTS events_are_append_only_no_delete;")
        .unwrap();
    conn
}

#[test]
fn editing_an_event_in_the_database_file_is_detected() {
    let (_dir, t, events, _, _) = ledger();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    store.close().unwrap();
    let conn = open_raw(&path);
    let middle = (events.len() / 2) as i64;
    let mut bytes: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM events WHERE log_index = ?1",
            [middle],
            |r| r.get(0),
        )
        .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    conn.execute(
        "UPDATE events SET bytes = ?1 WHERE log_index = ?2",
        rusqlite::params![bytes, middle],
    )
    .unwrap();
    drop(conn);
    let store = Store::open(
        &path,
        Unlock::Vault(&vault),
        OpenOptions::default(),
        clock.clone(),
    )
    .unwrap();
    assert!(matches!(
        store.verify(VerifyMode::EverySignature),
        Err(StoreError::Ledger(LedgerError::HashMismatch { .. }))
    ));

    // Also rewriting the stored hash does not help: the next event's link breaks.
    store.close().unwrap();
    let conn = open_raw(&path);
    let signature: Vec<u8> = conn
        .query_row(
            "SELECT signature FROM events WHERE log_index = ?1",
            [middle],
            |r| r.get(0),
        )
        .unwrap();
    let rehashed = SignedEvent {
        bytes,
        signature: azukari_core::crypto::DeviceSignature(signature),
    }
    .hash();
    conn.execute(
        "UPDATE events SET hash = ?1 WHERE log_index = ?2",
        rusqlite::params![rehashed.0.to_vec(), middle],
    )
    .unwrap();
    drop(conn);
    let store = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock).unwrap();
    assert!(store.verify(VerifyMode::EverySignature).is_err());
}

#[test]
fn deleting_the_newest_events_from_the_database_file_is_detected_at_open() {
    let (_dir, t, events, _, _) = ledger();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    store.close().unwrap();
    let conn = open_raw(&path);
    conn.execute(
        "DELETE FROM events WHERE log_index = ?1",
        [events.len() as i64],
    )
    .unwrap();
    drop(conn);
    let result = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock);
    assert!(
        matches!(
            result,
            Err(StoreError::Ledger(LedgerError::LengthMismatch { .. }))
        ),
        "{:?}",
        result.err()
    );
}

#[test]
fn deleting_an_event_in_the_middle_of_the_database_file_is_detected() {
    let (_dir, t, _, _, _) = ledger();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    store.close().unwrap();
    let conn = open_raw(&path);
    conn.execute("DELETE FROM events WHERE log_index = 5", [])
        .unwrap();
    drop(conn);
    let store = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock).unwrap();
    assert!(store.verify(VerifyMode::EverySignature).is_err());
}

#[test]
fn a_forged_head_is_detected_at_open() {
    let (_dir, t, _, _, _) = ledger();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    store.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut head: Vec<u8> = conn
        .query_row("SELECT value FROM meta WHERE name = 'log_head'", [], |r| {
            r.get(0)
        })
        .unwrap();
    head[0] ^= 1;
    conn.execute("UPDATE meta SET value = ?1 WHERE name = 'log_head'", [head])
        .unwrap();
    drop(conn);
    let result = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock);
    assert!(
        matches!(result, Err(StoreError::Ledger(LedgerError::HeadMismatch))),
        "{:?}",
        result.err()
    );
}
