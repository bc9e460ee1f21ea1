//! Ingest throughput: signed events pushed through `Hub::push` (checks, Merkle tree, checkpoint, the hub's own
//! store) against a raw batched insert of the same rows through `HubStorage::append_events` (storage only).
//!
//! Prints its figures; asserts nothing about time. SQLite always (a file in a temporary directory); PostgreSQL
//! too when `AZUKARI_TEST_POSTGRES` names a server (see `scripts/postgres`). `AZUKARI_BENCH_EVENTS` sets N.
//!
//!     cargo bench -p azukari-hub --bench ingest
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azukari_core::clock::{Clock, SystemClock};
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::demo;
use azukari_core::ledger::{EventBody, SignedEvent};
use azukari_core::sync::protocol::{PushOutcome, PushRequest, WireEvent};
use azukari_core::sync::{PendingEnrollment, sync};
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::service::{Hub, InitOptions, LocalHub};
use azukari_hub::storage::{
    FacilityRecord, HubStorage, PostgresStorage, SqliteStorage, StoredEvent,
};

const BATCH: usize = 256;

fn main() {
    let n: usize = std::env::var("AZUKARI_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    println!("ingest bench: {n} signed events from one device, batches of {BATCH}");

    let dir = tempfile::tempdir().unwrap();
    run_backend("SQLite", dir.path(), n, &|name| {
        Box::new(SqliteStorage::open(&dir.path().join(format!("{name}.sqlite"))).unwrap())
    });

    match std::env::var("AZUKARI_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        Some(url) => {
            let run = uuid::Uuid::new_v4().simple().to_string();
            run_backend("PostgreSQL", dir.path(), n, &|name| {
                let schema = format!("azukari_bench_{name}_{run}");
                Box::new(PostgresStorage::connect_schema(&url, &schema).unwrap())
            });
            println!(
                "(PostgreSQL schemas azukari_bench_*_{run} left in place; the throwaway cluster can be dropped)"
            );
        }
        None => {
            println!("PostgreSQL: skipped (AZUKARI_TEST_POSTGRES is not set; see scripts/postgres)")
        }
    }
}

/// Build N events on a device enrolled with a hub on `open("hub")`, push them to that hub (whose log holds only
/// the seed), then insert the same rows raw into a fresh `open("raw")`.
fn run_backend(label: &str, root: &Path, n: usize, open: &dyn Fn(&str) -> Box<dyn HubStorage>) {
    let dir = root.join(label);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut hub = Hub::init(
        &dir.join("hub"),
        open("hub"),
        InitOptions {
            facility_name: "ベンチマーク施設",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            key_name: "hub.bench",
        },
        clock.clone(),
    )
    .unwrap();
    let facility = demo::seed(hub.store().unwrap(), 2).unwrap();
    hub.publish_own().unwrap();

    // Enroll one device in process and let it take in its registration.
    let offer = hub.offer_enrollment("bench-device", 15).unwrap();
    let pending = PendingEnrollment::new().unwrap();
    let response = hub.enroll(&pending.request(&offer.token)).unwrap();
    let local = LocalHub::new(hub);
    let mut device = pending
        .finish(
            &response,
            None,
            &dir.join("device.azukari"),
            &FileKeyVault::new(dir.join("device.key")),
            clock.clone(),
        )
        .unwrap();
    sync(&mut device, &local, 0).unwrap();
    let mut hub = local.into_hub().unwrap();

    // N simple signed events, recorded on the device but not pushed yet.
    let built = Instant::now();
    let already = device.own_events_after(0).unwrap().len();
    let staff = facility.handlers[0];
    for _ in 0..n {
        device
            .append(
                Some(staff),
                EventBody::StaffTrained {
                    staff,
                    on: clock.now().tokyo_date(),
                },
            )
            .unwrap();
    }
    let events: Vec<SignedEvent> = device.own_events_after(0).unwrap().split_off(already);
    assert_eq!(events.len(), n);
    println!(
        "[{label}] built {n} events on the device in {:.1} s (not part of either figure)",
        built.elapsed().as_secs_f64()
    );

    // The floor under any ingest that checks signatures: verifying the N signatures alone, on one thread.
    let key = device.device_public_key();
    let start = Instant::now();
    assert!(events.iter().all(|e| e.verify_signature(&key).is_ok()));
    let verify_only = start.elapsed();

    // Hub::push, batches of 256.
    let log_before = hub.log().tree().len();
    let start = Instant::now();
    for chunk in events.chunks(BATCH) {
        let response = hub
            .push(&PushRequest {
                device: device.device_id(),
                events: chunk.iter().map(WireEvent::from).collect(),
                keys: Vec::new(),
            })
            .unwrap();
        assert!(
            response
                .outcomes
                .iter()
                .all(|o| matches!(o, PushOutcome::Appended { .. })),
            "every pushed event is appended"
        );
    }
    let pushed = start.elapsed();
    assert_eq!(hub.log().tree().len(), log_before + n as u64);

    // Raw baseline: the same rows, pre-built, into a fresh storage of the same kind.
    let record = {
        let facility_id = hub.log().facility();
        hub.log().storage().facility(facility_id).unwrap()
    };
    let received_at = clock.now().0;
    let rows: Vec<StoredEvent> = events
        .iter()
        .enumerate()
        .map(|(index, signed)| StoredEvent::from_signed(index as u64, signed, received_at).unwrap())
        .collect();
    let mut raw = open("raw");
    raw.create_facility(&FacilityRecord {
        facility: record.facility,
        name: record.name,
        trust_anchor: record.trust_anchor,
        created_at: record.created_at,
    })
    .unwrap();
    let start = Instant::now();
    for chunk in rows.chunks(BATCH) {
        raw.append_events(record.facility, chunk).unwrap();
    }
    let inserted = start.elapsed();
    assert_eq!(raw.event_count(record.facility).unwrap(), n as u64);

    let push_rate = rate(n, pushed);
    let raw_rate = rate(n, inserted);
    println!(
        "[{label}] Hub::push          {n} events in {:>8.1} ms = {push_rate:>9.0} events/s",
        ms(pushed)
    );
    println!(
        "[{label}] raw append_events  {n} events in {:>8.1} ms = {raw_rate:>9.0} events/s",
        ms(inserted)
    );
    println!(
        "[{label}] (signature checks alone, one thread: {n} in {:>8.1} ms = {:>9.0} events/s)",
        ms(verify_only),
        rate(n, verify_only)
    );
    println!(
        "[{label}] ratio Hub::push / raw = {:.2}x (goal >= 0.5x)",
        push_rate / raw_rate
    );
}

fn rate(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1_000.0
}
