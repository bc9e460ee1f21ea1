//! Shared set-up for the hub's tests: a hub in a directory with a seeded facility, and enrolled device stores.
#![allow(dead_code)]

use azukari_core::clock::{ManualClock, Timestamp};
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::demo::{self, DemoFacility};
use azukari_core::store::Store;
use azukari_core::sync::PendingEnrollment;
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::service::{Hub, InitOptions, LocalHub};
use azukari_hub::storage::SqliteStorage;
use std::path::Path;
use std::sync::Arc;

/// The test clock's start: a weekday morning in Tokyo.
pub fn start() -> Timestamp {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    Timestamp::from_tokyo(date, 7, 30).unwrap()
}

/// A new hub in `dir` (SQLite log) with a seeded facility of `residents` residents.
pub fn seeded_hub(dir: &Path, residents: usize, clock: Arc<ManualClock>) -> (Hub, DemoFacility) {
    let storage = SqliteStorage::open(&dir.join("hub.sqlite")).unwrap();
    let mut hub = Hub::init(
        dir,
        Box::new(storage),
        InitOptions {
            facility_name: "グループホームあずかり",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            key_name: "hub.test",
        },
        clock,
    )
    .unwrap();
    let facility = demo::seed(hub.store().unwrap(), residents).unwrap();
    hub.publish_own().unwrap();
    (hub, facility)
}

/// Enroll a new device with the hub, in process, and return its store (nothing pulled yet).
pub fn enroll(hub: &LocalHub, dir: &Path, label: &str, clock: Arc<ManualClock>) -> Store {
    enroll_with_clock(hub, dir, label, clock)
}

/// [`enroll`] with a device clock of its own (a skewed or drifting one).
pub fn enroll_with_clock(
    hub: &LocalHub,
    dir: &Path,
    label: &str,
    clock: Arc<dyn azukari_core::clock::Clock>,
) -> Store {
    let offer = hub
        .with(|hub| hub.offer_enrollment(label, 15))
        .unwrap()
        .unwrap();
    let pending = PendingEnrollment::new().unwrap();
    let request = pending.request(&offer.token);
    let response = hub.with(|hub| hub.enroll(&request)).unwrap().unwrap();
    let path = dir.join(format!("{label}.azukari"));
    let vault = FileKeyVault::new(dir.join(format!("{label}.key")));
    pending
        .finish(&response, None, &path, &vault, clock)
        .unwrap()
}
