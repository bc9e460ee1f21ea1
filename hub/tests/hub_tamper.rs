//! Tampering with the hub's database — editing, deleting or reordering events, or rewriting the tree with the
//! hub's own key — is detected by the devices when they sync, by the hub when it starts, and by `verify` on an
//! exported bundle.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use azukari_core::clock::{Clock, ManualClock};
use azukari_core::ledger::EventBody;
use azukari_core::store::Store;
use azukari_core::sync::{Checkpoint, CheckpointKey, MerkleLog, SyncError, SyncState, sync};
use azukari_hub::bundle::{BundleError, make_bundle, verify_bundle};
use azukari_hub::service::{Hub, LocalHub};
use azukari_hub::storage::SqliteStorage;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Scene {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    phone: Store,
    /// Hub log size the phone has verified.
    phone_size: u64,
    /// Hub log size after the tablet's later events.
    size: u64,
}

/// A hub, a phone that synced, and a tablet that recorded more after the phone's last sync.
fn scene(phone_catches_up: bool) -> (Scene, LocalHub) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(common::start()));
    let (hub, facility) = common::seeded_hub(dir.path(), 2, clock.clone());
    let hub = LocalHub::new(hub);
    let mut phone = common::enroll(&hub, dir.path(), "phone", clock.clone());
    let mut tablet = common::enroll(&hub, dir.path(), "tablet", clock.clone());
    sync(&mut tablet, &hub, 0).unwrap();
    clock.advance_minutes(5);
    tablet
        .append(
            Some(facility.supervisor),
            EventBody::StaffTrained {
                staff: facility.supervisor,
                on: clock.now().tokyo_date(),
            },
        )
        .unwrap();
    sync(&mut tablet, &hub, 0).unwrap();
    sync(&mut phone, &hub, 0).unwrap();
    let phone_size = hub.with(|h| h.log().tree_head().size).unwrap();
    for _ in 0..4 {
        clock.advance_minutes(5);
        tablet
            .append(
                Some(facility.supervisor),
                EventBody::StaffTrained {
                    staff: facility.supervisor,
                    on: clock.now().tokyo_date(),
                },
            )
            .unwrap();
    }
    sync(&mut tablet, &hub, 0).unwrap();
    let size = hub.with(|h| h.log().tree_head().size).unwrap();
    let phone_size = if phone_catches_up {
        sync(&mut phone, &hub, 0).unwrap();
        size
    } else {
        phone_size
    };
    (
        Scene {
            dir,
            clock,
            phone,
            phone_size,
            size,
        },
        hub,
    )
}

fn db(dir: &Path) -> PathBuf {
    dir.join("hub.sqlite")
}

/// Close the hub, run `sql` on its database with the append-only triggers dropped, and open it again.
fn tamper(scene: &Scene, hub: LocalHub, sql: &str) -> LocalHub {
    drop(hub.into_hub().expect("no other handle"));
    let conn = rusqlite::Connection::open(db(scene.dir.path())).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_are_append_only_no_update; DROP TRIGGER events_are_append_only_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    let storage = SqliteStorage::open(&db(scene.dir.path())).unwrap();
    LocalHub::new(Hub::open(scene.dir.path(), Box::new(storage), scene.clock.clone()).unwrap())
}

fn bundle_check(hub: &LocalHub, earlier: Option<&str>) -> Result<(), BundleError> {
    let (bundle, key) = hub
        .with(|h| {
            let key = h.log().verifier_key().to_string();
            (make_bundle(h.log()).unwrap(), key)
        })
        .unwrap();
    verify_bundle(&bundle, Some(&key), earlier).map(|_| ())
}

#[test]
fn an_untampered_hub_passes_every_check() {
    let (mut scene, hub) = scene(false);
    assert!(hub.with(|h| h.log().problems().is_empty()).unwrap());
    sync(&mut scene.phone, &hub, 0).unwrap();
    bundle_check(&hub, None).unwrap();
    let hub = tamper(&scene, hub, "SELECT 1;");
    assert!(hub.with(|h| h.log().problems().is_empty()).unwrap());
}

#[test]
fn an_edited_event_is_detected_by_the_device_the_hub_and_verify() {
    let (mut scene, hub) = scene(false);
    let index = scene.size - 2;
    let hub = tamper(
        &scene,
        hub,
        &format!(
            "UPDATE events SET bytes = CAST(bytes || x'00' AS BLOB) WHERE log_index = {index};"
        ),
    );
    assert!(
        !hub.with(|h| h.log().problems().to_vec())
            .unwrap()
            .is_empty()
    );
    let before = scene.phone.head().length;
    let error = sync(&mut scene.phone, &hub, 0).unwrap_err();
    assert!(matches!(error, SyncError::Store(_)), "{error}");
    assert!(scene.phone.head().length < before + (scene.size - scene.phone_size));
    // verify names the changed event by its index in the hub's log.
    match bundle_check(&hub, None) {
        Err(BundleError::Ledger(message)) => {
            assert!(message.contains(&format!("#{index}")), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_deleted_event_is_detected_by_the_device_the_hub_and_verify() {
    let (mut scene, hub) = scene(false);
    let index = scene.size - 3;
    let hub = tamper(
        &scene,
        hub,
        &format!("DELETE FROM events WHERE log_index = {index};"),
    );
    assert!(
        !hub.with(|h| h.log().problems().to_vec())
            .unwrap()
            .is_empty()
    );
    let error = sync(&mut scene.phone, &hub, 0).unwrap_err();
    // The tree the hub rebuilds no longer extends the one the phone verified, or the events have a hole.
    assert!(
        matches!(error, SyncError::Fork { .. } | SyncError::BadResponse(_)),
        "{error}"
    );
    // The signatures and chains are checked first: the first event out of its place is named.
    assert!(matches!(
        bundle_check(&hub, None),
        Err(BundleError::Ledger(_))
    ));
}

#[test]
fn reordered_events_are_detected_by_the_device_the_hub_and_verify() {
    let (mut scene, hub) = scene(false);
    // The last two events the phone has seen come from two devices: swapping them keeps every chain intact, so
    // only the tree can tell.
    let (a, b) = (scene.phone_size - 2, scene.phone_size - 1);
    let hub = tamper(
        &scene,
        hub,
        &format!(
            "UPDATE events SET log_index = 1000000 WHERE log_index = {a};
             UPDATE events SET log_index = {a} WHERE log_index = {b};
             UPDATE events SET log_index = {b} WHERE log_index = 1000000;"
        ),
    );
    assert!(
        !hub.with(|h| h.log().problems().to_vec())
            .unwrap()
            .is_empty()
    );
    let error = sync(&mut scene.phone, &hub, 0).unwrap_err();
    assert!(matches!(error, SyncError::Fork { .. }), "{error}");
    let state: SyncState = scene.phone.sync_state().unwrap().unwrap();
    assert_eq!(state.alarms.len(), 1);
    assert_eq!(
        state.checkpoint.unwrap().0.size,
        scene.phone_size,
        "the last good checkpoint is kept"
    );
    // The signatures and chains are checked first: the first event out of its place is named.
    assert!(matches!(
        bundle_check(&hub, None),
        Err(BundleError::Ledger(_))
    ));
}

#[test]
fn a_tree_rewritten_and_re_signed_with_the_hub_key_is_detected_by_the_device_and_by_verify_since() {
    let (mut scene, hub) = scene(true);
    let earlier: SyncState = scene.phone.sync_state().unwrap().unwrap();
    let earlier_note = String::from_utf8(earlier.checkpoint.clone().unwrap().1).unwrap();
    let facility = hub.with(|h| h.log().facility()).unwrap();
    // Someone with the database and the hub's key drops the newest event and signs a checkpoint for the rest.
    let leaves: Vec<[u8; 32]> = {
        let conn = rusqlite::Connection::open(db(scene.dir.path())).unwrap();
        let mut statement = conn
            .prepare("SELECT hash FROM events ORDER BY log_index")
            .unwrap();
        statement
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .map(|h| h.unwrap().try_into().unwrap())
            .collect()
    };
    let mut tree: MerkleLog = MerkleLog::new();
    for leaf in &leaves[..leaves.len() - 1] {
        tree.push(*leaf);
    }
    let dir = scene.dir.path();
    let key = CheckpointKey::from_encoded(
        std::fs::read_to_string(dir.join("checkpoint.key"))
            .unwrap()
            .trim(),
        std::fs::read_to_string(dir.join("checkpoint.pub"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let note = key
        .sign(&Checkpoint {
            origin: azukari_core::sync::origin_for(facility),
            head: tree.head(),
        })
        .unwrap();
    let hex: String = note.iter().map(|b| format!("{b:02x}")).collect();
    let last = scene.size - 1;
    let hub = tamper(
        &scene,
        hub,
        &format!(
            "DELETE FROM events WHERE log_index = {last};
             DELETE FROM checkpoints WHERE size = {size};
             INSERT INTO checkpoints (facility_id, size, note) VALUES ('{facility}', {last}, x'{hex}');",
            size = scene.size
        ),
    );
    // The rewrite is self-consistent: the hub's own start-up check and a bundle without history both pass…
    assert!(hub.with(|h| h.log().problems().is_empty()).unwrap());
    bundle_check(&hub, None).unwrap();
    // …but the device remembers what it verified, and so does an auditor who kept a checkpoint.
    let error = sync(&mut scene.phone, &hub, 0).unwrap_err();
    assert!(matches!(error, SyncError::Rollback { .. }), "{error}");
    assert!(matches!(
        bundle_check(&hub, Some(&earlier_note)),
        Err(BundleError::Inconsistent(_))
    ));
}
