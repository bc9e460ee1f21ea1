//! One conformance suite for [`HubStorage`], written once and run against both storages: SQLite in a temporary
//! file, and PostgreSQL in a fresh schema of the server named by `AZUKARI_TEST_POSTGRES` (a libpq URL such as
//! `host=/tmp/azukari-postgres.x port=54329 user=postgres dbname=postgres`; `scripts/postgres` starts one).
//!
//! Without `AZUKARI_TEST_POSTGRES` the PostgreSQL tests say so on stderr and pass, unless
//! `AZUKARI_REQUIRE_POSTGRES=1` (as in CI), where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Barrier, Once};

use azukari_core::model::{DeviceId, EventId, FacilityId};
use azukari_hub::storage::{
    Alarm, DeviceSeen, DeviceTip, EnrolledDevice, EnrollmentToken, FacilityRecord, HubStorage,
    LogAppend, PostgresStorage, SharedKey, SqliteStorage, StorageError, StoredCheckpoint,
    StoredEvent, TokenUse,
};
use tempfile::TempDir;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------------------------

/// Where one test's storage lives; it can be opened again (a new connection to the same data).
trait Backend {
    fn open(&self) -> Box<dyn HubStorage>;
}

/// A SQLite file in a temporary directory.
struct SqliteBackend {
    _dir: TempDir,
    path: PathBuf,
}

impl SqliteBackend {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        SqliteBackend { _dir: dir, path }
    }
}

impl Backend for SqliteBackend {
    fn open(&self) -> Box<dyn HubStorage> {
        Box::new(SqliteStorage::open(&self.path).unwrap())
    }
}

/// A fresh PostgreSQL schema, dropped when the test passes (kept for a look when it fails).
struct PostgresBackend {
    url: String,
    schema: String,
}

impl PostgresBackend {
    /// `None` (after saying so once) when no server is configured and none is required.
    fn new() -> Option<Self> {
        let url = std::env::var("AZUKARI_TEST_POSTGRES")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let Some(url) = url else {
            assert!(
                std::env::var("AZUKARI_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "AZUKARI_REQUIRE_POSTGRES=1 but AZUKARI_TEST_POSTGRES is not set: start a server with \
                 scripts/postgres and export the AZUKARI_TEST_POSTGRES it prints"
            );
            static SKIPPED: Once = Once::new();
            SKIPPED.call_once(|| {
                // Straight to stderr, past the test harness's capture, so the skip is seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL storage tests skipped: AZUKARI_TEST_POSTGRES is not set (see scripts/postgres)"
                );
            });
            return None;
        };
        let schema = format!("azukari_test_{}", Uuid::new_v4().simple());
        Some(PostgresBackend { url, schema })
    }

    fn raw_client(&self) -> ::postgres::Client {
        let mut client = ::postgres::Client::connect(&self.url, ::postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("SET search_path TO {}", self.schema))
            .unwrap();
        client
    }
}

impl Backend for PostgresBackend {
    fn open(&self) -> Box<dyn HubStorage> {
        Box::new(PostgresStorage::connect_schema(&self.url, &self.schema).unwrap())
    }
}

impl Drop for PostgresBackend {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = writeln!(
                std::io::stderr(),
                "kept PostgreSQL schema {} for inspection",
                self.schema
            );
            return;
        }
        if let Ok(mut client) = ::postgres::Client::connect(&self.url, ::postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// Each suite becomes one test per backend: `sqlite::NAME` and `postgres::NAME`. Suites listed under `storage`
/// take an open storage; those under `backend` open (and reopen) it themselves.
macro_rules! conformance {
    (storage: [$($storage_suite:ident),* $(,)?], backend: [$($backend_suite:ident),* $(,)?] $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $storage_suite() {
                    let backend = super::SqliteBackend::new();
                    super::$storage_suite(&mut *super::Backend::open(&backend));
                }
            )*
            $(
                #[test]
                fn $backend_suite() {
                    super::$backend_suite(&super::SqliteBackend::new());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $storage_suite() {
                    let Some(backend) = super::PostgresBackend::new() else { return };
                    super::$storage_suite(&mut *super::Backend::open(&backend));
                }
            )*
            $(
                #[test]
                fn $backend_suite() {
                    let Some(backend) = super::PostgresBackend::new() else { return };
                    super::$backend_suite(&backend);
                }
            )*
        }
    };
}

conformance! {
    storage: [
        facilities_are_listed_oldest_first_and_served_once,
        every_facility_scoped_method_refuses_an_unknown_facility,
        devices_are_listed_in_enrollment_order_and_registered_once,
        appended_events_read_back_by_range_by_id_and_as_device_tips,
        a_hole_or_a_wrong_first_index_is_a_conflict_and_writes_nothing,
        a_batch_with_a_stored_event_id_or_device_sequence_writes_none_of_its_events,
        checkpoints_are_one_per_size_and_the_largest_is_the_latest,
        a_token_is_accepted_once_and_otherwise_says_why_not,
        a_tokens_state_is_read_without_using_it,
        shared_keys_are_kept_once_in_the_order_first_stored,
        alarms_are_listed_oldest_first,
        two_facilities_never_see_each_other,
        a_log_append_stores_events_checkpoint_keys_alarms_and_erasures_together_or_nothing,
        events_are_found_by_a_list_of_ids_in_index_order,
        a_devices_last_sighting_replaces_the_one_before,
    ],
    backend: [
        everything_survives_a_reopen,
        of_concurrent_uses_of_a_token_exactly_one_is_accepted,
        concurrent_appenders_never_store_an_index_twice,
    ],
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------------

fn facility(name: &str, created_at: i64) -> FacilityRecord {
    FacilityRecord {
        facility: FacilityId::random(),
        name: name.to_owned(),
        trust_anchor: format!("anchor of {name}").into_bytes(),
        created_at,
    }
}

fn served(storage: &mut dyn HubStorage, name: &str) -> FacilityId {
    let record = facility(name, 1_700_000_000_000);
    storage.create_facility(&record).unwrap();
    record.facility
}

fn device(label: &str, enrolled_at: i64) -> EnrolledDevice {
    EnrolledDevice {
        device: DeviceId::random(),
        public_key: format!("key of {label}").into_bytes(),
        label: label.to_owned(),
        enrolled_at,
    }
}

/// A distinct event: its hash and bytes are made from where it sits.
fn event(index: u64, device: DeviceId, device_seq: u64) -> StoredEvent {
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&index.to_le_bytes());
    hash[8..16].copy_from_slice(&device_seq.to_le_bytes());
    hash[16..].copy_from_slice(device.as_bytes());
    StoredEvent {
        index,
        event_id: EventId::new_v7(),
        device,
        device_seq,
        hash,
        bytes: format!("event {index} of {device} #{device_seq}").into_bytes(),
        signature: vec![u8::try_from(index % 256).unwrap(); 64],
        received_at: 1_700_000_000_000 + i64::try_from(index).unwrap(),
    }
}

fn token(byte: u8, label: &str, expires_at: i64) -> EnrollmentToken {
    EnrollmentToken {
        token_hash: [byte; 32],
        label: label.to_owned(),
        expires_at,
    }
}

fn key(wrapped: &str) -> SharedKey {
    SharedKey {
        key_id: Uuid::new_v4(),
        wrapped: wrapped.as_bytes().to_vec(),
    }
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StorageError>) -> String {
    match result {
        Err(StorageError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The whole log of a facility.
fn log(storage: &mut dyn HubStorage, facility: FacilityId) -> Vec<StoredEvent> {
    storage.events_from(facility, 0, u64::MAX).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// Suites
// ---------------------------------------------------------------------------------------------------------------

fn a_log_append_stores_events_checkpoint_keys_alarms_and_erasures_together_or_nothing(
    storage: &mut dyn HubStorage,
) {
    let facility = served(storage, "f");
    let d = DeviceId::random();
    let alarm = |detail: &str| Alarm {
        at: 1_700_000_000_000,
        kind: "fork".into(),
        detail: detail.into(),
    };
    let first = [event(0, d, 1), event(1, d, 2)];
    let first_keys = [key("k1")];
    let checkpoint_2 = StoredCheckpoint {
        size: 2,
        note: b"size 2".to_vec(),
    };
    storage
        .append(
            facility,
            &LogAppend {
                events: &first,
                checkpoint: &checkpoint_2,
                keys: &first_keys,
                alarms: &[alarm("first")],
                erased_keys: &[],
            },
        )
        .unwrap();
    assert_eq!(log(storage, facility), first.to_vec());
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint_2.clone())
    );
    assert_eq!(storage.keys(facility).unwrap(), first_keys.to_vec());
    assert_eq!(storage.alarms(facility).unwrap(), vec![alarm("first")]);

    // A batch whose events collide with the log (a stored device sequence) stores none of its parts.
    let refused = [event(2, d, 2)];
    let message = assert_conflict(storage.append(
        facility,
        &LogAppend {
            events: &refused,
            checkpoint: &StoredCheckpoint {
                size: 3,
                note: b"size 3".to_vec(),
            },
            keys: &[key("k2")],
            alarms: &[alarm("second")],
            erased_keys: &[first_keys[0].key_id],
        },
    ));
    assert!(message.contains("nothing was appended"), "{message}");
    // So does one whose checkpoint contradicts a stored one.
    let next = [event(2, d, 3)];
    assert_conflict(storage.append(
        facility,
        &LogAppend {
            events: &next,
            checkpoint: &StoredCheckpoint {
                size: 2,
                note: b"forked size 2".to_vec(),
            },
            keys: &[key("k3")],
            alarms: &[alarm("third")],
            erased_keys: &[],
        },
    ));
    assert_eq!(log(storage, facility), first.to_vec());
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint_2)
    );
    assert_eq!(storage.keys(facility).unwrap(), first_keys.to_vec());
    assert_eq!(storage.alarms(facility).unwrap(), vec![alarm("first")]);

    // A key already stored is left as it is, as `put_keys` does.
    let checkpoint_3 = StoredCheckpoint {
        size: 3,
        note: b"size 3".to_vec(),
    };
    // An erased key keeps its place with its bytes wiped; storing it again does not bring it back.
    let second_keys = [first_keys[0].clone(), key("k4")];
    storage
        .append(
            facility,
            &LogAppend {
                events: &next,
                checkpoint: &checkpoint_3,
                keys: &second_keys,
                alarms: &[],
                erased_keys: &[first_keys[0].key_id],
            },
        )
        .unwrap();
    assert_eq!(log(storage, facility).len(), 3);
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint_3)
    );
    let erased = SharedKey {
        key_id: first_keys[0].key_id,
        wrapped: Vec::new(),
    };
    assert_eq!(
        storage.keys(facility).unwrap(),
        vec![erased.clone(), second_keys[1].clone()]
    );
    storage.put_keys(facility, &first_keys).unwrap();
    assert_eq!(storage.keys(facility).unwrap()[0], erased);
}

fn events_are_found_by_a_list_of_ids_in_index_order(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let other = served(storage, "g");
    let d = DeviceId::random();
    let stored: Vec<StoredEvent> = (0..5).map(|i| event(i, d, i + 1)).collect();
    storage.append_events(facility, &stored).unwrap();
    let elsewhere = event(0, d, 1);
    storage
        .append_events(other, std::slice::from_ref(&elsewhere))
        .unwrap();

    let asked = [
        stored[3].event_id,
        EventId::new_v7(),
        stored[0].event_id,
        elsewhere.event_id,
        stored[3].event_id,
    ];
    assert_eq!(
        storage.events_by_ids(facility, &asked).unwrap(),
        vec![stored[0].clone(), stored[3].clone()],
        "only this facility's stored events, once each, in index order"
    );
    assert_eq!(storage.events_by_ids(facility, &[]).unwrap(), vec![]);
    let many: Vec<EventId> = stored
        .iter()
        .map(|e| e.event_id)
        .chain((0..2_000).map(|_| EventId::new_v7()))
        .collect();
    assert_eq!(storage.events_by_ids(facility, &many).unwrap(), stored);
}

fn facilities_are_listed_oldest_first_and_served_once(storage: &mut dyn HubStorage) {
    assert_eq!(storage.facilities().unwrap(), vec![]);
    let newer = facility("ひまわり園", 2_000);
    let older = facility("さくら荘", 1_000);
    storage.create_facility(&newer).unwrap();
    storage.create_facility(&older).unwrap();

    assert_eq!(
        storage.facilities().unwrap(),
        vec![older.clone(), newer.clone()]
    );
    assert_eq!(storage.facility(newer.facility).unwrap(), newer);

    let again = FacilityRecord {
        name: "another name".into(),
        ..newer.clone()
    };
    let message = assert_conflict(storage.create_facility(&again));
    assert!(message.contains(&newer.facility.to_string()), "{message}");
    assert_eq!(storage.facility(newer.facility).unwrap(), newer);
    assert_eq!(storage.facilities().unwrap().len(), 2);
}

fn every_facility_scoped_method_refuses_an_unknown_facility(storage: &mut dyn HubStorage) {
    served(storage, "known");
    let unknown = FacilityId::random();
    let device = DeviceId::random();
    let is_unknown = |result: Result<(), StorageError>, what: &str| match result {
        Err(StorageError::UnknownFacility(f)) if f == unknown => {}
        other => panic!("{what}: expected UnknownFacility({unknown}), got {other:?}"),
    };
    is_unknown(storage.facility(unknown).map(drop), "facility");
    is_unknown(
        storage.add_device(unknown, &self::device("x", 1)),
        "add_device",
    );
    is_unknown(storage.devices(unknown).map(drop), "devices");
    is_unknown(
        storage.append_events(unknown, &[event(0, device, 1)]),
        "append_events",
    );
    is_unknown(storage.append_events(unknown, &[]), "append_events (none)");
    is_unknown(
        storage.append(
            unknown,
            &LogAppend {
                events: &[event(0, device, 1)],
                checkpoint: &StoredCheckpoint {
                    size: 1,
                    note: b"note".to_vec(),
                },
                keys: &[],
                alarms: &[],
                erased_keys: &[],
            },
        ),
        "append",
    );
    is_unknown(
        storage
            .events_by_ids(unknown, &[EventId::new_v7()])
            .map(drop),
        "events_by_ids",
    );
    is_unknown(storage.event_count(unknown).map(drop), "event_count");
    is_unknown(storage.events_from(unknown, 0, 10).map(drop), "events_from");
    is_unknown(
        storage.event_by_id(unknown, EventId::new_v7()).map(drop),
        "event_by_id",
    );
    is_unknown(storage.device_tips(unknown).map(drop), "device_tips");
    is_unknown(
        storage.put_checkpoint(
            unknown,
            &StoredCheckpoint {
                size: 0,
                note: b"note".to_vec(),
            },
        ),
        "put_checkpoint",
    );
    is_unknown(
        storage.latest_checkpoint(unknown).map(drop),
        "latest_checkpoint",
    );
    is_unknown(
        storage.put_token(unknown, &token(1, "x", i64::MAX)),
        "put_token",
    );
    is_unknown(
        storage.use_token(unknown, &[1; 32], 0).map(drop),
        "use_token",
    );
    is_unknown(
        storage.token_state(unknown, &[1; 32], 0).map(drop),
        "token_state",
    );
    is_unknown(storage.put_keys(unknown, &[key("k")]), "put_keys");
    is_unknown(storage.keys(unknown).map(drop), "keys");
    is_unknown(
        storage.put_alarm(
            unknown,
            &Alarm {
                at: 1,
                kind: "fork".into(),
                detail: "x".into(),
            },
        ),
        "put_alarm",
    );
    is_unknown(storage.alarms(unknown).map(drop), "alarms");
    assert_eq!(storage.facilities().unwrap().len(), 1);
}

fn devices_are_listed_in_enrollment_order_and_registered_once(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    assert_eq!(storage.devices(facility).unwrap(), vec![]);
    let tablet = device("2F タブレット", 10);
    let phone = device("事務所スマホ", 20);
    let office = device("office PC", 20);
    storage.add_device(facility, &tablet).unwrap();
    storage.add_device(facility, &phone).unwrap();
    storage.add_device(facility, &office).unwrap();
    assert_eq!(
        storage.devices(facility).unwrap(),
        vec![tablet.clone(), phone.clone(), office.clone()]
    );

    let again = EnrolledDevice {
        label: "renamed".into(),
        public_key: b"another key".to_vec(),
        ..phone.clone()
    };
    let message = assert_conflict(storage.add_device(facility, &again));
    assert!(message.contains(&phone.device.to_string()), "{message}");
    assert_eq!(
        storage.devices(facility).unwrap(),
        vec![tablet, phone, office]
    );
}

fn appended_events_read_back_by_range_by_id_and_as_device_tips(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let (a, b) = (DeviceId::random(), DeviceId::random());
    assert_eq!(storage.event_count(facility).unwrap(), 0);
    assert_eq!(storage.device_tips(facility).unwrap(), vec![]);
    storage.append_events(facility, &[]).unwrap();
    assert_eq!(storage.event_count(facility).unwrap(), 0);

    let first = vec![event(0, a, 1), event(1, a, 2), event(2, b, 1)];
    storage.append_events(facility, &first).unwrap();
    assert_eq!(storage.event_count(facility).unwrap(), 3);
    let second = vec![event(3, b, 2), event(4, a, 3)];
    storage.append_events(facility, &second).unwrap();
    storage.append_events(facility, &[]).unwrap();
    let all: Vec<StoredEvent> = first.iter().chain(&second).cloned().collect();

    assert_eq!(storage.event_count(facility).unwrap(), 5);
    assert_eq!(log(storage, facility), all);
    assert_eq!(storage.events_from(facility, 0, 100).unwrap(), all);
    assert_eq!(storage.events_from(facility, 1, 2).unwrap(), all[1..3]);
    assert_eq!(storage.events_from(facility, 3, 100).unwrap(), all[3..]);
    assert_eq!(storage.events_from(facility, 4, 1).unwrap(), all[4..]);
    assert_eq!(storage.events_from(facility, 0, 0).unwrap(), vec![]);
    assert_eq!(storage.events_from(facility, 5, 10).unwrap(), vec![]);
    assert_eq!(storage.events_from(facility, u64::MAX, 10).unwrap(), vec![]);

    for stored in &all {
        assert_eq!(
            storage
                .event_by_id(facility, stored.event_id)
                .unwrap()
                .as_ref(),
            Some(stored)
        );
    }
    assert_eq!(
        storage.event_by_id(facility, EventId::new_v7()).unwrap(),
        None
    );

    let mut expected = vec![
        DeviceTip {
            device: a,
            last_seq: 3,
            last_hash: all[4].hash,
        },
        DeviceTip {
            device: b,
            last_seq: 2,
            last_hash: all[3].hash,
        },
    ];
    expected.sort_by_key(|tip| tip.device);
    assert_eq!(storage.device_tips(facility).unwrap(), expected);
}

fn a_hole_or_a_wrong_first_index_is_a_conflict_and_writes_nothing(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let d = DeviceId::random();

    // An empty log starts at 0.
    assert_conflict(storage.append_events(facility, &[event(1, d, 1)]));
    assert_eq!(storage.event_count(facility).unwrap(), 0);

    let stored = vec![event(0, d, 1), event(1, d, 2)];
    storage.append_events(facility, &stored).unwrap();

    let attempts: Vec<(&str, Vec<StoredEvent>)> = vec![
        ("skips an index", vec![event(3, d, 3)]),
        ("rewrites index 1", vec![event(1, d, 3)]),
        ("rewrites index 0", vec![event(0, d, 3), event(1, d, 4)]),
        ("has a hole", vec![event(2, d, 3), event(4, d, 4)]),
        ("repeats an index", vec![event(2, d, 3), event(2, d, 4)]),
        (
            "goes backwards",
            vec![event(2, d, 3), event(3, d, 4), event(1, d, 5)],
        ),
    ];
    for (what, batch) in attempts {
        let result = storage.append_events(facility, &batch);
        assert!(
            matches!(result, Err(StorageError::Conflict(_))),
            "a batch that {what}: {result:?}"
        );
        assert_eq!(log(storage, facility), stored, "a batch that {what}");
        for refused in &batch {
            assert_eq!(
                storage.event_by_id(facility, refused.event_id).unwrap(),
                None
            );
        }
    }

    // The storage is still usable, and the right index is accepted.
    storage.append_events(facility, &[event(2, d, 3)]).unwrap();
    assert_eq!(storage.event_count(facility).unwrap(), 3);
}

fn a_batch_with_a_stored_event_id_or_device_sequence_writes_none_of_its_events(
    storage: &mut dyn HubStorage,
) {
    let facility = served(storage, "f");
    let (a, b) = (DeviceId::random(), DeviceId::random());
    let stored = vec![event(0, a, 1), event(1, a, 2), event(2, b, 1)];
    storage.append_events(facility, &stored).unwrap();
    let tips = storage.device_tips(facility).unwrap();

    let stored_id = StoredEvent {
        event_id: stored[1].event_id,
        ..event(5, b, 4)
    };
    let twice_in_batch = event(4, b, 3);
    let attempts: Vec<(&str, Vec<StoredEvent>)> = vec![
        (
            "a stored event id",
            vec![event(3, b, 2), event(4, b, 3), stored_id],
        ),
        (
            "a stored (device, sequence)",
            vec![event(3, b, 2), event(4, b, 3), event(5, a, 2)],
        ),
        (
            "an event id twice",
            vec![event(3, b, 2), twice_in_batch.clone(), {
                let mut copy = event(5, a, 3);
                copy.event_id = twice_in_batch.event_id;
                copy
            }],
        ),
        (
            "a (device, sequence) twice",
            vec![event(3, b, 2), event(4, a, 3), event(5, a, 3)],
        ),
    ];
    for (what, batch) in attempts {
        let message = assert_conflict(storage.append_events(facility, &batch));
        assert!(!message.is_empty());
        assert_eq!(log(storage, facility), stored, "a batch with {what}");
        assert_eq!(storage.event_count(facility).unwrap(), 3);
        assert_eq!(storage.device_tips(facility).unwrap(), tips);
        for refused in &batch[..2] {
            assert_eq!(
                storage.event_by_id(facility, refused.event_id).unwrap(),
                None,
                "a batch with {what} stored its event {}",
                refused.index
            );
        }
    }

    // Numbers the storage cannot hold, and a sequence number 0, are refused just as whole.
    let too_large = vec![event(3, b, 2), event(4, b, u64::MAX)];
    assert_conflict(storage.append_events(facility, &too_large));
    let zero = vec![event(3, b, 2), event(4, b, 0)];
    assert!(storage.append_events(facility, &zero).is_err());
    assert_eq!(log(storage, facility), stored);

    // After all that, the storage still appends.
    let next = vec![event(3, b, 2), event(4, a, 3)];
    storage.append_events(facility, &next).unwrap();
    assert_eq!(storage.event_count(facility).unwrap(), 5);
}

fn checkpoints_are_one_per_size_and_the_largest_is_the_latest(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let checkpoint = |size: u64, note: &str| StoredCheckpoint {
        size,
        note: note.as_bytes().to_vec(),
    };
    assert_eq!(storage.latest_checkpoint(facility).unwrap(), None);

    storage
        .put_checkpoint(facility, &checkpoint(2, "size 2"))
        .unwrap();
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint(2, "size 2"))
    );
    storage
        .put_checkpoint(facility, &checkpoint(5, "size 5"))
        .unwrap();
    storage
        .put_checkpoint(facility, &checkpoint(3, "size 3"))
        .unwrap();
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint(5, "size 5"))
    );

    // The same checkpoint again is fine; another note for a stored size is not.
    storage
        .put_checkpoint(facility, &checkpoint(5, "size 5"))
        .unwrap();
    storage
        .put_checkpoint(facility, &checkpoint(2, "size 2"))
        .unwrap();
    assert_conflict(storage.put_checkpoint(facility, &checkpoint(5, "forked size 5")));
    assert_conflict(storage.put_checkpoint(facility, &checkpoint(2, "forked size 2")));
    assert_conflict(storage.put_checkpoint(facility, &checkpoint(u64::MAX, "huge")));
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint(5, "size 5"))
    );
    storage
        .put_checkpoint(facility, &checkpoint(0, "empty"))
        .unwrap();
    assert_eq!(
        storage.latest_checkpoint(facility).unwrap(),
        Some(checkpoint(5, "size 5"))
    );
}

fn a_token_is_accepted_once_and_otherwise_says_why_not(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let other = served(storage, "other");
    let valid = token(1, "2F タブレット", 10_000);
    let short = token(2, "short-lived", 1_000);
    storage.put_token(facility, &valid).unwrap();
    storage.put_token(facility, &short).unwrap();
    assert_conflict(storage.put_token(facility, &token(1, "same hash", 20_000)));

    assert_eq!(
        storage.use_token(other, &valid.token_hash, 5_000).unwrap(),
        TokenUse::Unknown
    );
    assert_eq!(
        storage
            .use_token(facility, &valid.token_hash, 5_000)
            .unwrap(),
        TokenUse::Accepted {
            label: "2F タブレット".into()
        }
    );
    assert_eq!(
        storage
            .use_token(facility, &valid.token_hash, 5_001)
            .unwrap(),
        TokenUse::AlreadyUsed
    );
    // At its expiry time a token has stopped working.
    assert_eq!(
        storage
            .use_token(facility, &short.token_hash, 1_000)
            .unwrap(),
        TokenUse::Expired
    );
    assert_eq!(
        storage
            .use_token(facility, &short.token_hash, 2_000)
            .unwrap(),
        TokenUse::Expired
    );
    assert_eq!(
        storage.use_token(facility, &[9; 32], 0).unwrap(),
        TokenUse::Unknown
    );
    // A used token stays used, even after it would have expired.
    assert_eq!(
        storage
            .use_token(facility, &valid.token_hash, 50_000)
            .unwrap(),
        TokenUse::AlreadyUsed
    );
}

fn a_tokens_state_is_read_without_using_it(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let other = served(storage, "other");
    let valid = token(1, "2F タブレット", 10_000);
    storage.put_token(facility, &valid).unwrap();
    let accepted = TokenUse::Accepted {
        label: "2F タブレット".into(),
    };
    // Looking, however often, leaves the token usable.
    for _ in 0..3 {
        assert_eq!(
            storage
                .token_state(facility, &valid.token_hash, 5_000)
                .unwrap(),
            accepted
        );
    }
    assert_eq!(
        storage
            .token_state(other, &valid.token_hash, 5_000)
            .unwrap(),
        TokenUse::Unknown
    );
    assert_eq!(
        storage.token_state(facility, &[9; 32], 5_000).unwrap(),
        TokenUse::Unknown
    );
    assert_eq!(
        storage
            .token_state(facility, &valid.token_hash, 10_000)
            .unwrap(),
        TokenUse::Expired,
        "at its expiry time a token has stopped working"
    );
    assert_eq!(
        storage
            .use_token(facility, &valid.token_hash, 5_000)
            .unwrap(),
        accepted
    );
    assert_eq!(
        storage
            .token_state(facility, &valid.token_hash, 50_000)
            .unwrap(),
        TokenUse::AlreadyUsed
    );
}

fn shared_keys_are_kept_once_in_the_order_first_stored(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    assert_eq!(storage.keys(facility).unwrap(), vec![]);
    let (k1, k2, k3) = (key("one"), key("two"), key("three"));
    storage.put_keys(facility, &[]).unwrap();
    storage
        .put_keys(facility, &[k1.clone(), k2.clone()])
        .unwrap();
    let k2_again = SharedKey {
        key_id: k2.key_id,
        wrapped: b"a different wrapping".to_vec(),
    };
    storage
        .put_keys(facility, &[k3.clone(), k2_again, k1.clone()])
        .unwrap();
    storage
        .put_keys(facility, &[k1.clone(), k2.clone(), k3.clone()])
        .unwrap();
    assert_eq!(storage.keys(facility).unwrap(), vec![k1, k2, k3]);
}

fn alarms_are_listed_oldest_first(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    assert_eq!(storage.alarms(facility).unwrap(), vec![]);
    let alarm = |at: i64, kind: &str| Alarm {
        at,
        kind: kind.into(),
        detail: format!("{kind} at {at}"),
    };
    storage.put_alarm(facility, &alarm(200, "fork")).unwrap();
    storage.put_alarm(facility, &alarm(100, "refused")).unwrap();
    storage.put_alarm(facility, &alarm(200, "refused")).unwrap();
    // The same alarm twice is two alarms.
    storage.put_alarm(facility, &alarm(300, "fork")).unwrap();
    storage.put_alarm(facility, &alarm(300, "fork")).unwrap();
    assert_eq!(
        storage.alarms(facility).unwrap(),
        vec![
            alarm(100, "refused"),
            alarm(200, "fork"),
            alarm(200, "refused"),
            alarm(300, "fork"),
            alarm(300, "fork"),
        ]
    );
}

fn a_devices_last_sighting_replaces_the_one_before(storage: &mut dyn HubStorage) {
    let facility = served(storage, "f");
    let other = served(storage, "g");
    assert_eq!(storage.devices_seen(facility).unwrap(), vec![]);
    let tablet = DeviceId::random();
    let phone = DeviceId::random();
    let seen = |device, at, clock_offset_ms, pulled_to| DeviceSeen {
        device,
        at,
        clock_offset_ms,
        pulled_to,
    };
    storage
        .put_device_seen(facility, &seen(tablet, 100, -2_000, 5))
        .unwrap();
    storage
        .put_device_seen(facility, &seen(phone, 150, 90_000, 0))
        .unwrap();
    storage
        .put_device_seen(facility, &seen(tablet, 300, 1_000, 9))
        .unwrap();
    let mut found = storage.devices_seen(facility).unwrap();
    found.sort_by_key(|s| s.at);
    assert_eq!(
        found,
        vec![seen(phone, 150, 90_000, 0), seen(tablet, 300, 1_000, 9)]
    );
    assert_eq!(storage.devices_seen(other).unwrap(), vec![]);
    let unknown = FacilityId::random();
    assert!(matches!(
        storage.put_device_seen(unknown, &seen(tablet, 1, 0, 0)),
        Err(StorageError::UnknownFacility(_))
    ));
    assert!(matches!(
        storage.devices_seen(unknown),
        Err(StorageError::UnknownFacility(_))
    ));
}

fn two_facilities_never_see_each_other(storage: &mut dyn HubStorage) {
    let (f, g) = (served(storage, "f"), served(storage, "g"));
    let shared_device = device("same tablet id", 1);
    storage.add_device(f, &shared_device).unwrap();
    storage.add_device(g, &shared_device).unwrap();
    let only_f = device("only f", 2);
    storage.add_device(f, &only_f).unwrap();

    // The same event ids and (device, sequence) pairs, at the same indices, in both logs.
    let d = shared_device.device;
    let in_f = vec![event(0, d, 1), event(1, d, 2), event(2, d, 3)];
    let in_g: Vec<StoredEvent> = in_f[..2]
        .iter()
        .map(|e| StoredEvent {
            bytes: b"g's copy".to_vec(),
            ..e.clone()
        })
        .collect();
    storage.append_events(f, &in_f).unwrap();
    storage.append_events(g, &in_g).unwrap();

    let note = |text: &str| StoredCheckpoint {
        size: 2,
        note: text.as_bytes().to_vec(),
    };
    storage.put_checkpoint(f, &note("f at 2")).unwrap();
    storage.put_checkpoint(g, &note("g at 2")).unwrap();
    let k = key("f's wrapping");
    storage.put_keys(f, std::slice::from_ref(&k)).unwrap();
    storage
        .put_keys(
            g,
            &[SharedKey {
                key_id: k.key_id,
                wrapped: b"g's wrapping".to_vec(),
            }],
        )
        .unwrap();
    storage.put_token(f, &token(7, "f's token", 10)).unwrap();
    storage.put_token(g, &token(7, "g's token", 10)).unwrap();
    storage
        .put_alarm(
            f,
            &Alarm {
                at: 1,
                kind: "fork".into(),
                detail: "in f".into(),
            },
        )
        .unwrap();

    assert_eq!(
        storage.devices(f).unwrap(),
        vec![shared_device.clone(), only_f]
    );
    assert_eq!(storage.devices(g).unwrap(), vec![shared_device]);
    assert_eq!(storage.event_count(f).unwrap(), 3);
    assert_eq!(storage.event_count(g).unwrap(), 2);
    assert_eq!(log(storage, f), in_f);
    assert_eq!(log(storage, g), in_g);
    assert_eq!(
        storage
            .event_by_id(g, in_f[0].event_id)
            .unwrap()
            .unwrap()
            .bytes,
        b"g's copy"
    );
    assert_eq!(storage.event_by_id(g, in_f[2].event_id).unwrap(), None);
    assert_eq!(storage.device_tips(f).unwrap()[0].last_seq, 3);
    assert_eq!(storage.device_tips(g).unwrap()[0].last_seq, 2);
    assert_eq!(storage.latest_checkpoint(g).unwrap(), Some(note("g at 2")));
    assert_eq!(storage.keys(g).unwrap()[0].wrapped, b"g's wrapping");
    assert_eq!(
        storage.use_token(g, &[7; 32], 1).unwrap(),
        TokenUse::Accepted {
            label: "g's token".into()
        }
    );
    assert_eq!(
        storage.use_token(f, &[7; 32], 1).unwrap(),
        TokenUse::Accepted {
            label: "f's token".into()
        }
    );
    assert_eq!(storage.alarms(f).unwrap().len(), 1);
    assert_eq!(storage.alarms(g).unwrap(), vec![]);

    // g's log goes on from its own length.
    storage.append_events(g, &[event(2, d, 3)]).unwrap();
    assert_eq!(storage.event_count(g).unwrap(), 3);
    assert_eq!(log(storage, f), in_f);
}

fn everything_survives_a_reopen(backend: &dyn Backend) {
    let record = facility("f", 5);
    let tablet = device("tablet", 6);
    let events = vec![
        event(0, tablet.device, 1),
        event(1, tablet.device, 2),
        event(2, DeviceId::random(), 1),
    ];
    let checkpoint = StoredCheckpoint {
        size: 3,
        note: b"signed note".to_vec(),
    };
    let keys = vec![key("one"), key("two")];
    let alarm = Alarm {
        at: 7,
        kind: "fork".into(),
        detail: "seen twice".into(),
    };
    let f = record.facility;
    {
        let mut storage = backend.open();
        storage.create_facility(&record).unwrap();
        storage.add_device(f, &tablet).unwrap();
        storage.append_events(f, &events).unwrap();
        storage.put_checkpoint(f, &checkpoint).unwrap();
        storage.put_token(f, &token(1, "used", 100)).unwrap();
        storage.put_token(f, &token(2, "unused", 100)).unwrap();
        storage.use_token(f, &[1; 32], 50).unwrap();
        storage.put_keys(f, &keys).unwrap();
        storage.put_alarm(f, &alarm).unwrap();
    }

    let mut storage = backend.open();
    assert_eq!(storage.facilities().unwrap(), vec![record]);
    assert_eq!(storage.devices(f).unwrap(), vec![tablet]);
    assert_eq!(log(&mut *storage, f), events);
    assert_eq!(storage.event_count(f).unwrap(), 3);
    assert_eq!(storage.latest_checkpoint(f).unwrap(), Some(checkpoint));
    assert_eq!(storage.keys(f).unwrap(), keys);
    assert_eq!(storage.alarms(f).unwrap(), vec![alarm]);
    assert_eq!(
        storage.use_token(f, &[1; 32], 60).unwrap(),
        TokenUse::AlreadyUsed
    );
    assert_eq!(
        storage.use_token(f, &[2; 32], 60).unwrap(),
        TokenUse::Accepted {
            label: "unused".into()
        }
    );
    // The reopened log goes on where it was.
    storage
        .append_events(f, &[event(3, DeviceId::random(), 1)])
        .unwrap();
    drop(storage);
    assert_eq!(backend.open().event_count(f).unwrap(), 4);
}

fn of_concurrent_uses_of_a_token_exactly_one_is_accepted(backend: &dyn Backend) {
    const USERS: usize = 4;
    let mut storage = backend.open();
    let f = served(&mut *storage, "f");
    for round in 0..5u8 {
        storage
            .put_token(f, &token(round, "raced", i64::MAX))
            .unwrap();
    }
    let mut storages: Vec<Box<dyn HubStorage>> = (0..USERS).map(|_| backend.open()).collect();
    for round in 0..5u8 {
        let barrier = Arc::new(Barrier::new(USERS));
        let outcomes: Vec<TokenUse> = std::thread::scope(|scope| {
            let handles: Vec<_> = storages
                .iter_mut()
                .map(|storage| {
                    let barrier = Arc::clone(&barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        storage.use_token(f, &[round; 32], 1).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let accepted = outcomes
            .iter()
            .filter(|o| matches!(o, TokenUse::Accepted { .. }))
            .count();
        assert_eq!(accepted, 1, "round {round}: {outcomes:?}");
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == TokenUse::AlreadyUsed)
                .count(),
            USERS - 1,
            "round {round}: {outcomes:?}"
        );
    }
}

fn concurrent_appenders_never_store_an_index_twice(backend: &dyn Backend) {
    const APPENDERS: usize = 2;
    const EACH: u64 = 15;
    let mut storage = backend.open();
    let f = served(&mut *storage, "f");
    let mut storages: Vec<Box<dyn HubStorage>> = (0..APPENDERS).map(|_| backend.open()).collect();
    std::thread::scope(|scope| {
        for storage in &mut storages {
            scope.spawn(move || {
                let device = DeviceId::random();
                let mut seq = 1;
                while seq <= EACH {
                    // Read the length, then append there; losing a race is a conflict, and then it tries again.
                    let next = storage.event_count(f).unwrap();
                    match storage.append_events(f, &[event(next, device, seq)]) {
                        Ok(()) => seq += 1,
                        Err(StorageError::Conflict(_)) => {}
                        Err(other) => panic!("{other:?}"),
                    }
                }
            });
        }
    });
    let all = log(&mut *storage, f);
    assert_eq!(all.len(), APPENDERS * usize::try_from(EACH).unwrap());
    for (i, stored) in (0u64..).zip(&all) {
        assert_eq!(stored.index, i);
    }
    let tips = storage.device_tips(f).unwrap();
    assert_eq!(tips.len(), APPENDERS);
    assert!(tips.iter().all(|tip| tip.last_seq == EACH));
}

// ---------------------------------------------------------------------------------------------------------------
// What only one storage has
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn sqlite_refuses_to_change_or_delete_events_even_through_another_connection() {
    let backend = SqliteBackend::new();
    let mut storage = backend.open();
    let f = served(&mut *storage, "f");
    let d = DeviceId::random();
    let events = vec![event(0, d, 1), event(1, d, 2)];
    storage.append_events(f, &events).unwrap();

    let raw = rusqlite::Connection::open(&backend.path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    for statement in [
        "UPDATE events SET bytes = x'00' WHERE log_index = 1",
        "UPDATE events SET log_index = 7",
        "DELETE FROM events WHERE log_index = 1",
        "DELETE FROM events",
    ] {
        let error = raw.execute(statement, []).unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    drop(raw);
    assert_eq!(log(&mut *storage, f), events);
    drop(storage);
    assert_eq!(log(&mut *backend.open(), f), events);
}

#[test]
fn sqlite_refuses_a_schema_newer_than_it_knows() {
    let backend = SqliteBackend::new();
    drop(backend.open());
    let raw = rusqlite::Connection::open(&backend.path).unwrap();
    raw.pragma_update(None, "user_version", 99).unwrap();
    drop(raw);
    assert!(matches!(
        SqliteStorage::open(&backend.path),
        Err(StorageError::Damaged(_))
    ));
}

#[test]
fn a_sqlite_hub_of_schema_version_1_upgrades_and_keeps_its_log() {
    let backend = SqliteBackend::new();
    let mut storage = backend.open();
    let f = served(&mut *storage, "f");
    let d = DeviceId::random();
    storage
        .append_events(f, &[event(0, d, 1), event(1, d, 2)])
        .unwrap();
    drop(storage);
    let raw = rusqlite::Connection::open(&backend.path).unwrap();
    raw.execute_batch("DROP TABLE devices_seen; PRAGMA user_version = 1;")
        .unwrap();
    drop(raw);
    let mut storage = backend.open();
    assert_eq!(log(&mut *storage, f).len(), 2);
    let seen = DeviceSeen {
        device: d,
        at: 5,
        clock_offset_ms: 0,
        pulled_to: 2,
    };
    storage.put_device_seen(f, &seen).unwrap();
    assert_eq!(storage.devices_seen(f).unwrap(), vec![seen]);
}

#[test]
fn sqlite_in_memory_passes_the_basics() {
    let mut storage = SqliteStorage::open_in_memory().unwrap();
    appended_events_read_back_by_range_by_id_and_as_device_tips(&mut storage);
}

#[test]
fn postgres_refuses_to_change_delete_or_truncate_events_even_through_another_connection() {
    let Some(backend) = PostgresBackend::new() else {
        return;
    };
    let mut storage = backend.open();
    let f = served(&mut *storage, "f");
    let d = DeviceId::random();
    let events = vec![event(0, d, 1), event(1, d, 2)];
    storage.append_events(f, &events).unwrap();

    let mut raw = backend.raw_client();
    for statement in [
        "UPDATE events SET bytes = '\\x00'::bytea WHERE log_index = 1",
        "UPDATE events SET log_index = 7",
        "DELETE FROM events WHERE log_index = 1",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let error = raw.batch_execute(statement).unwrap_err();
        let message = error
            .as_db_error()
            .map(|db| db.message().to_owned())
            .unwrap_or_default();
        assert!(message.contains("append-only"), "{statement}: {error:?}");
    }
    drop(raw);
    assert_eq!(log(&mut *storage, f), events);
}
