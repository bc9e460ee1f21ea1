//! The store: creating, unlocking, refusing what is wrong, and never losing what was committed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::crypto::{
    CryptoError, DevicePublicKey, FileKeyVault, Signer, SoftwareSigner, VaultError,
};
use azukari_core::custody::{CustodyFold, Discrepancy};
use azukari_core::demo;
use azukari_core::ledger::{Envelope, EventBody, EventHash, LedgerError, VerifyMode};
use azukari_core::model::{DeviceId, EventId, LockerId, Purpose};
use azukari_core::store::{Ingested, OpenOptions, Store, StoreError, Unlock};
use azukari_core::testing::{TEST_PASSPHRASE, TestStore};
use tempfile::tempdir;

#[test]
fn a_new_store_opens_again_with_its_vault_and_with_its_recovery_passphrase() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 3).unwrap();
    let state_before = t.store.state().clone();
    let t = t.reopen(OpenOptions::default()).unwrap();
    assert_eq!(t.store.state(), &state_before);
    let TestStore {
        store, path, clock, ..
    } = t;
    store.close().unwrap();

    let recovered = Store::open(
        &path,
        Unlock::RecoveryPassphrase(TEST_PASSPHRASE),
        OpenOptions::default(),
        clock,
    )
    .unwrap();
    let resident = &recovered.state().residents[&facility.residents[0]];
    assert_eq!(
        recovered.resident_name(resident).unwrap().as_str(),
        "佐藤 ハナ"
    );
    recovered.verify(VerifyMode::EverySignature).unwrap();
}

#[test]
fn a_wrong_passphrase_a_missing_vault_key_and_a_wrong_vault_key_each_say_so() {
    let dir = tempdir().unwrap();
    let t = TestStore::create(dir.path(), "facility").unwrap();
    let TestStore {
        store, path, clock, ..
    } = t;
    store.close().unwrap();

    let wrong = Store::open(
        &path,
        Unlock::RecoveryPassphrase("NOT-THE-PASSPHRASE-AT-ALL"),
        OpenOptions::default(),
        clock.clone(),
    );
    assert!(matches!(
        wrong,
        Err(StoreError::Crypto(CryptoError::WrongPassphrase))
    ));

    let missing = FileKeyVault::new(dir.path().join("never-created.key"));
    let result = Store::open(
        &path,
        Unlock::Vault(&missing),
        OpenOptions::default(),
        clock.clone(),
    );
    assert!(matches!(
        result,
        Err(StoreError::Crypto(CryptoError::Vault(
            VaultError::KeyMissing
        )))
    ));

    // A different facility's vault key: the vault cannot unwrap the data key.
    let other_dir = tempdir().unwrap();
    let other = TestStore::create(other_dir.path(), "other").unwrap();
    let result = Store::open(
        &path,
        Unlock::Vault(&other.vault),
        OpenOptions::default(),
        clock,
    );
    assert!(matches!(
        result,
        Err(StoreError::Crypto(CryptoError::Vault(
            VaultError::KeyMissing
        )))
    ));
}

#[test]
fn a_data_key_that_unwraps_but_is_wrong_is_caught_by_the_canary() {
    let dir = tempdir().unwrap();
    let t = TestStore::create(dir.path(), "facility").unwrap();
    let TestStore {
        store, path, clock, ..
    } = t;
    let facility = store.facility_id();
    store.close().unwrap();
    // Re-wrap a random key as if the keystore had been restored from another phone's backup.
    let rogue = FileKeyVault::new(dir.path().join("rogue.key"));
    let wrapped =
        azukari_core::crypto::KeyVault::wrap(&rogue, facility.as_bytes(), &[7u8; 32]).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'vault_wrapped_key'",
        [wrapped],
    )
    .unwrap();
    drop(conn);
    let result = Store::open(&path, Unlock::Vault(&rogue), OpenOptions::default(), clock);
    assert!(
        matches!(result, Err(StoreError::Crypto(CryptoError::WrongKey))),
        "{:?}",
        result.err()
    );
}

#[test]
fn creating_over_an_existing_file_is_refused() {
    let dir = tempdir().unwrap();
    let t = TestStore::create(dir.path(), "facility").unwrap();
    drop(t);
    assert!(matches!(
        TestStore::create(dir.path(), "facility"),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[test]
fn a_corrupt_database_is_quarantined_not_deleted() {
    let dir = tempdir().unwrap();
    let t = TestStore::create(dir.path(), "facility").unwrap();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    store.close().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..16].copy_from_slice(b"this is garbage!");
    std::fs::write(&path, &bytes).unwrap();

    let result = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock);
    let Err(StoreError::Corrupt {
        quarantined_to: Some(moved),
    }) = result
    else {
        panic!("expected quarantine")
    };
    assert!(!path.exists(), "the damaged file was moved away");
    assert_eq!(
        std::fs::read(&moved).unwrap(),
        bytes,
        "and kept byte for byte"
    );
    let message = StoreError::Corrupt {
        quarantined_to: Some(moved),
    }
    .to_string();
    assert!(message.contains("破損") && message.contains("damaged"));
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempdir().unwrap();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = TestStore::create(dir.path(), "facility").unwrap();
    store.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let result = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock);
    assert!(matches!(result, Err(StoreError::TooNew { found: 99, .. })));
    assert!(path.exists());
}

#[test]
fn a_read_only_store_refuses_to_write_and_changes_nothing() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 1).unwrap();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    let head = store.head();
    store.close().unwrap();
    let options = OpenOptions {
        read_only: true,
        ..OpenOptions::default()
    };
    let mut reader = Store::open(&path, Unlock::Vault(&vault), options, clock).unwrap();
    let result = reader.append(
        Some(facility.admin),
        EventBody::AuditStarted {
            audit: azukari_core::model::AuditId::random(),
        },
    );
    assert!(matches!(result, Err(StoreError::ReadOnly)));
    assert!(StoreError::ReadOnly.to_string().contains("読み取り専用"));
    assert_eq!(reader.head(), head);
    reader.verify(VerifyMode::EverySignature).unwrap();
}

#[test]
fn a_full_disk_refuses_the_write_and_keeps_everything_committed_before() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 2).unwrap();
    let head = t.store.head();
    t.store.limit_pages_for_tests(0).unwrap();
    let mut refused = 0;
    for _ in 0..200 {
        let body = EventBody::CheckedOut {
            item: facility.cards[0],
            from_locker: facility.card_lockers[0],
            purpose: Purpose::MedicalVisit,
            due_at: t.store.now(),
            approval: None,
        };
        match t.store.append(Some(facility.handlers[0]), body) {
            Err(StoreError::DiskFull) => refused += 1,
            Ok(_) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(refused > 0, "the page limit must have been hit");
    let appended = t.store.head().length - head.length;
    drop(t.store);
    let store = Store::open(
        &t.path,
        Unlock::Vault(&t.vault),
        OpenOptions::default(),
        t.clock.clone(),
    )
    .unwrap();
    assert_eq!(store.head().length, head.length + appended);
    store.verify(VerifyMode::EverySignature).unwrap();
    store.check_integrity().unwrap();
}

#[test]
fn the_events_table_rejects_updates_and_deletes_inside_sqlite() {
    let dir = tempdir().unwrap();
    let TestStore { store, path, .. } = TestStore::create(dir.path(), "facility").unwrap();
    store.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let update = conn.execute("UPDATE events SET kind = 'x'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM events", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

fn registered_second_device(
    t: &mut TestStore,
    admin: azukari_core::model::StaffId,
) -> (DeviceId, SoftwareSigner) {
    let signer = SoftwareSigner::make_random().unwrap();
    let device = DeviceId::random();
    t.store
        .append(
            Some(admin),
            EventBody::DeviceRegistered {
                device,
                public_key: signer.public_key(),
                label: "2F tablet".into(),
            },
        )
        .unwrap();
    (device, signer)
}

fn foreign_event(
    t: &TestStore,
    device: DeviceId,
    seq: u64,
    prev: EventHash,
    body: EventBody,
) -> Envelope {
    Envelope {
        event_id: EventId::new_v7(),
        facility: t.store.facility_id(),
        device,
        device_seq: seq,
        prev_hash: prev,
        recorded_at: t.store.now(),
        actor: None,
        body,
    }
}

#[test]
fn events_from_a_registered_device_are_ingested_once() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 1).unwrap();
    let (device, signer) = registered_second_device(&mut t, facility.admin);
    let audit = azukari_core::model::AuditId::random();
    let first = foreign_event(
        &t,
        device,
        1,
        EventHash::ZERO,
        EventBody::AuditStarted { audit },
    )
    .sign(&signer)
    .unwrap();
    assert!(matches!(
        t.store.ingest(&first).unwrap(),
        Ingested::Appended(_)
    ));
    assert_eq!(t.store.ingest(&first).unwrap(), Ingested::AlreadyPresent);
    assert!(t.store.state().audits.contains_key(&audit));
    let t = t.reopen(OpenOptions::default()).unwrap();
    let report = t.store.verify(VerifyMode::EverySignature).unwrap();
    assert_eq!(report.devices, 2);
}

#[test]
fn an_event_from_an_unknown_device_a_forged_signature_and_a_gap_are_refused_and_change_nothing() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 1).unwrap();
    let head = t.store.head();
    let body = || EventBody::AuditStarted {
        audit: azukari_core::model::AuditId::random(),
    };

    let stranger = SoftwareSigner::make_random().unwrap();
    let unknown = foreign_event(&t, DeviceId::random(), 1, EventHash::ZERO, body())
        .sign(&stranger)
        .unwrap();
    assert!(matches!(
        t.store.ingest(&unknown),
        Err(StoreError::Ledger(LedgerError::UnknownDevice { .. }))
    ));

    let (device, signer) = registered_second_device(&mut t, facility.admin);
    assert_eq!(t.store.head().length, head.length + 1);
    let head = t.store.head();
    let forged = foreign_event(&t, device, 1, EventHash::ZERO, body())
        .sign(&stranger)
        .unwrap();
    let error = t.store.ingest(&forged).unwrap_err();
    assert!(matches!(
        error,
        StoreError::Ledger(LedgerError::BadSignature { .. })
    ));
    assert!(error.to_string().contains("署名"));

    let gap = foreign_event(&t, device, 2, EventHash::ZERO, body())
        .sign(&signer)
        .unwrap();
    assert!(matches!(
        t.store.ingest(&gap),
        Err(StoreError::Ledger(LedgerError::SequenceGap {
            expected: 1,
            found: 2,
            ..
        }))
    ));

    let wrong_link = foreign_event(&t, device, 1, EventHash([1; 32]), body())
        .sign(&signer)
        .unwrap();
    assert!(matches!(
        t.store.ingest(&wrong_link),
        Err(StoreError::Ledger(LedgerError::BrokenChain { .. }))
    ));

    assert_eq!(t.store.head(), head);
    let _: DevicePublicKey = signer.public_key();
}

#[test]
fn a_batch_is_ingested_in_order_in_one_go_and_a_bad_event_in_it_keeps_none_of_it() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 1).unwrap();
    let (device, signer) = registered_second_device(&mut t, facility.admin);
    let audits: Vec<_> = (0..4)
        .map(|_| azukari_core::model::AuditId::random())
        .collect();
    let mut chain = Vec::new();
    let mut prev = EventHash::ZERO;
    for (seq, audit) in (1..).zip(&audits) {
        let event = foreign_event(
            &t,
            device,
            seq,
            prev,
            EventBody::AuditStarted { audit: *audit },
        )
        .sign(&signer)
        .unwrap();
        prev = event.hash();
        chain.push(event);
    }
    let head = t.store.head();

    // The third event's signature is forged: nothing of the batch is kept, not even the two before it.
    let stranger = SoftwareSigner::make_random().unwrap();
    let mut forged = chain.clone();
    forged[2] = foreign_event(
        &t,
        device,
        3,
        chain[1].hash(),
        EventBody::AuditStarted { audit: audits[2] },
    )
    .sign(&stranger)
    .unwrap();
    assert!(matches!(
        t.store.ingest_all(&forged),
        Err(StoreError::Ledger(LedgerError::BadSignature { .. }))
    ));
    assert_eq!(t.store.head(), head);
    assert!(!t.store.state().audits.contains_key(&audits[0]));

    // The good chain, with a repeat inside and one event already present, goes in whole and in order.
    assert!(matches!(
        t.store.ingest(&chain[0]).unwrap(),
        Ingested::Appended(_)
    ));
    let mut batch = chain.clone();
    batch.insert(2, chain[1].clone());
    let appended = t.store.ingest_all(&batch).unwrap();
    assert_eq!(
        appended.iter().map(|a| a.event_id).collect::<Vec<_>>(),
        chain[1..]
            .iter()
            .map(|e| e.decode().unwrap().event_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(appended.last().unwrap().log_index, head.length + 4);
    assert!(
        audits
            .iter()
            .all(|a| t.store.state().audits.contains_key(a))
    );
    assert_eq!(t.store.ingest_all(&chain).unwrap(), vec![]);

    let t = t.reopen(OpenOptions::default()).unwrap();
    assert_eq!(t.store.head().length, head.length + 4);
    assert_eq!(t.store.state(), &t.store.full_fold().unwrap().state);
    t.store.verify(VerifyMode::EverySignature).unwrap();
}

#[test]
fn the_snapshot_opened_with_the_store_equals_a_full_fold() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 6).unwrap();
    demo::record_day(&mut t.store, &facility, &t.clock).unwrap();
    // Snapshot every 7 events, so the last snapshot falls in the middle and the tail is folded on open.
    let mut t = t
        .reopen(OpenOptions {
            read_only: false,
            snapshot_every: 7,
        })
        .unwrap();
    t.clock.advance_minutes(24 * 60);
    demo::record_day(&mut t.store, &facility, &t.clock).unwrap();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    drop(store); // no snapshot on close: the tail after the last periodic snapshot is folded on open
    let store = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock).unwrap();
    let full = store.full_fold().unwrap();
    assert_eq!(store.fold(), &full);
    let events = store.events().unwrap();
    let decoded: Vec<_> = events
        .iter()
        .map(|e| (e.decode().unwrap(), e.hash()))
        .collect();
    assert_eq!(
        CustodyFold::fold_all(decoded.iter().map(|(e, h)| (e, *h))),
        full
    );
}

#[test]
fn keys_rotate_under_load_and_every_value_still_opens_after_reopening() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    t.store.set_rotation_limit_for_tests(4);
    let facility = demo::seed(&mut t.store, 12).unwrap();
    let t = t.reopen(OpenOptions::default()).unwrap();
    let conn = rusqlite::Connection::open(&t.path).unwrap();
    let facility_generations: i64 = conn
        .query_row(
            "SELECT max(generation) FROM keys WHERE owner_kind = 'facility'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(facility_generations > 1, "staff names alone exceed 4 seals");
    let max_uses: i64 = conn
        .query_row("SELECT max(uses) FROM keys", [], |r| r.get(0))
        .unwrap();
    assert!(max_uses <= 4);
    for id in &facility.residents {
        let resident = &t.store.state().residents[id];
        assert!(!t.store.resident_name(resident).unwrap().is_empty());
    }
    for staff in t.store.state().staff.values() {
        assert!(!t.store.staff_name(staff).unwrap().is_empty());
    }
}

#[test]
fn erasing_a_resident_makes_their_data_unreadable_while_the_ledger_still_verifies() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 2).unwrap();
    let gone = facility.residents[0];
    t.store.erase_resident(Some(facility.admin), gone).unwrap();
    let t = t.reopen(OpenOptions::default()).unwrap();
    let erased = &t.store.state().residents[&gone];
    assert!(matches!(
        t.store.resident_name(erased),
        Err(StoreError::Crypto(CryptoError::KeyUnavailable(_)))
    ));
    let kept = &t.store.state().residents[&facility.residents[1]];
    assert!(t.store.resident_name(kept).is_ok());
    t.store.verify(VerifyMode::EverySignature).unwrap();
}

#[test]
fn discrepancies_are_recorded_not_refused() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let f = demo::seed(&mut t.store, 1).unwrap();
    let card = f.cards[0];
    let home = f.card_lockers[0];
    let due_at = t.store.now().plus_minutes(120);
    let checkout = || EventBody::CheckedOut {
        item: card,
        from_locker: home,
        purpose: Purpose::MedicalVisit,
        due_at,
        approval: None,
    };
    t.store.append(Some(f.handlers[0]), checkout()).unwrap();
    t.clock.advance_minutes(1);
    t.store.append(Some(f.handlers[1]), checkout()).unwrap();
    t.clock.advance_minutes(1);
    let wrong = LockerId::random();
    t.store
        .append(
            Some(f.handlers[0]),
            EventBody::Returned {
                item: card,
                to_locker: wrong,
                card_check: azukari_core::ledger::CardCheck::NotChecked,
            },
        )
        .unwrap();
    t.clock.advance_minutes(1);
    t.store
        .append(
            Some(f.handlers[0]),
            EventBody::Returned {
                item: card,
                to_locker: home,
                card_check: azukari_core::ledger::CardCheck::NotChecked,
            },
        )
        .unwrap();
    let found = t.store.state().discrepancies(t.store.now());
    assert!(matches!(found[0], Discrepancy::DoubleCheckout { .. }));
    assert!(matches!(found[1], Discrepancy::ReturnToWrongLocker { .. }));
    assert!(matches!(
        found[2],
        Discrepancy::ReturnWithoutCheckout { .. }
    ));
    assert_eq!(found.len(), 3);
}
