//! Personal data never reaches the disk in the clear, and a ciphertext only opens where it was sealed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::crypto::{CryptoError, KeyOwner};
use azukari_core::demo;
use azukari_core::ledger::EventBody;
use azukari_core::model::{Item, ItemId, ItemKind};
use azukari_core::store::{Field, OpenOptions, Store, StoreError, Unlock};
use azukari_core::testing::TestStore;
use tempfile::tempdir;

const CANARY_NAME: &str = "漏洩検査カナリア太郎";
const CANARY_KANA: &str = "ロウエイケンサカナリアタロウ";
const CANARY_ENVELOPE: &str = "ENV-CANARY-987654";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn files_of(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(&name)
                .ok()
                .map(|bytes| (name.to_string_lossy().into_owned(), bytes))
        })
        .collect()
}

fn assert_no_canary(path: &std::path::Path) {
    let files = files_of(path);
    assert!(!files.is_empty());
    for (name, bytes) in files {
        for canary in [CANARY_NAME, CANARY_KANA, CANARY_ENVELOPE] {
            assert!(
                !contains(&bytes, canary.as_bytes()),
                "{canary} found in {name}"
            );
            let utf16: Vec<u8> = canary
                .encode_utf16()
                .flat_map(|unit| unit.to_le_bytes())
                .collect();
            assert!(
                !contains(&bytes, &utf16),
                "{canary} (UTF-16) found in {name}"
            );
        }
    }
}

#[test]
fn a_canary_name_and_envelope_number_never_appear_in_the_database_or_its_wal() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 2).unwrap();
    let resident = t
        .store
        .new_resident(
            CANARY_NAME,
            CANARY_KANA,
            "101号室",
            t.store.now().tokyo_date(),
        )
        .unwrap();
    let resident_id = resident.id;
    t.store
        .append(
            Some(facility.admin),
            EventBody::ResidentAdmitted { resident },
        )
        .unwrap();
    let item = ItemId::random();
    let number = t
        .store
        .seal_envelope_number(resident_id, item, CANARY_ENVELOPE)
        .unwrap();
    let envelope = Item {
        id: item,
        resident: resident_id,
        kind: ItemKind::PinEnvelope {
            envelope_number: number,
        },
        home_locker: facility.pin_safe,
        card_expires_on: None,
        certificate_expires_on: None,
        document_expires_on: None,
        card_identity: None,
    };
    t.store
        .append(
            Some(facility.pin_manager),
            EventBody::ItemRegistered { item: envelope },
        )
        .unwrap();

    // The scan does see what is stored in the clear: the facility's public name is in the genesis event.
    let all: Vec<u8> = files_of(&t.path)
        .into_iter()
        .flat_map(|(_, bytes)| bytes)
        .collect();
    assert!(
        contains(&all, "テスト施設".as_bytes()),
        "the scan must be able to find plaintext"
    );
    // While open (the WAL holds the newest pages) …
    assert_no_canary(&t.path);
    // … after the snapshot is written and the WAL checkpointed on close …
    let t = t.reopen(OpenOptions::default()).unwrap();
    assert_no_canary(&t.path);
    // … and the data is really there for whoever holds the key.
    let stored = &t.store.state().residents[&resident_id];
    assert_eq!(t.store.resident_name(stored).unwrap().as_str(), CANARY_NAME);
}

#[test]
fn a_ciphertext_moved_to_another_row_or_column_fails_to_open() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let facility = demo::seed(&mut t.store, 2).unwrap();
    let state = t.store.state();
    let a = &state.residents[&facility.residents[0]];
    let b = &state.residents[&facility.residents[1]];

    // Own place: opens.
    assert!(
        t.store
            .open_field(Field::ResidentName, a.id.as_bytes(), &a.name)
            .is_ok()
    );
    // A's name presented as B's name (another row) or as A's kana (another column): refused.
    for (field, row) in [
        (Field::ResidentName, b.id.as_bytes()),
        (Field::ResidentKana, a.id.as_bytes()),
    ] {
        let result = t.store.open_field(field, row, &a.name);
        assert!(matches!(
            result,
            Err(StoreError::Crypto(CryptoError::OpenFailed))
        ));
    }
    // A's name sealed under A's key cannot be opened claiming B's key id either.
    let mut relabelled = a.name.clone();
    relabelled.key_id = b.name.key_id;
    assert!(
        t.store
            .open_field(Field::ResidentName, a.id.as_bytes(), &relabelled)
            .is_err()
    );
    // Staff names live under the facility key, resident names under each resident's own key.
    let staff = state.staff.values().next().unwrap();
    assert_ne!(staff.name.key_id, a.name.key_id);
    assert_ne!(a.name.key_id, b.name.key_id);
    let _ = KeyOwner::Facility;
}

#[test]
fn a_wrapped_key_moved_to_another_key_row_fails_to_unwrap() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    demo::seed(&mut t.store, 2).unwrap();
    let TestStore {
        store,
        path,
        vault,
        clock,
    } = t;
    store.close().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(String, Vec<u8>)> = conn
        .prepare("SELECT key_id, wrapped FROM keys ORDER BY key_id LIMIT 2")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    conn.execute(
        "UPDATE keys SET wrapped = ?1 WHERE key_id = ?2",
        rusqlite::params![rows[1].1, rows[0].0],
    )
    .unwrap();
    drop(conn);
    let result = Store::open(&path, Unlock::Vault(&vault), OpenOptions::default(), clock);
    assert!(
        matches!(result, Err(StoreError::Crypto(CryptoError::WrongKey))),
        "{:?}",
        result.err()
    );
}

#[test]
fn error_messages_carry_no_personal_data() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    let resident = t
        .store
        .new_resident(
            CANARY_NAME,
            CANARY_KANA,
            "101号室",
            t.store.now().tokyo_date(),
        )
        .unwrap();
    let error = t
        .store
        .open_field(Field::ResidentKana, resident.id.as_bytes(), &resident.name)
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains(CANARY_NAME) && !text.contains(CANARY_KANA));
}
