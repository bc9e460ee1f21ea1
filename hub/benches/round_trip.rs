//! Approval round trip over HTTP with many devices long-polling: a requester device pushes `CheckoutRequested`, a
//! supervisor device that is long-polling sees it and pushes `ApprovalGranted`, and the requester, long-polling in
//! turn, sees the approval. Measures request → approval seen on the requester, while the other devices also hold
//! long-poll pulls on the same hub.
//!
//! Prints p50/p95/p99; asserts nothing about time. `AZUKARI_BENCH_DEVICES` (default 200) and
//! `AZUKARI_BENCH_ROUNDS` (default 100) change the sizes.
//!
//!     cargo bench -p azukari-hub --bench round_trip
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use azukari_core::clock::SystemClock;
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::custody::RequestStatus;
use azukari_core::demo;
use azukari_core::ledger::EventBody;
use azukari_core::model::{Purpose, RequestId};
use azukari_core::store::Store;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::PullRequest;
use azukari_core::sync::{HubTransport, PendingEnrollment, Route, sync};
use azukari_core::testing::TEST_PASSPHRASE;
use azukari_hub::client::HubClient;
use azukari_hub::server::{RunningServer, bind};
use azukari_hub::service::{Hub, InitOptions};
use azukari_hub::storage::SqliteStorage;

const WARM_UP: usize = 5;
const WAIT_MS: u64 = 20_000;

fn main() {
    let devices: usize = env_or("AZUKARI_BENCH_DEVICES", 200).max(2);
    let rounds: usize = env_or("AZUKARI_BENCH_ROUNDS", 100).max(1);
    let pollers = devices - 2;
    println!(
        "round-trip bench: {devices} devices ({pollers} background long-pollers + requester + supervisor), \
         {rounds} rounds after {WARM_UP} warm-up rounds, SQLite hub, plain HTTP on 127.0.0.1"
    );

    let dir = tempfile::tempdir().unwrap();
    let hub_dir = dir.path().join("hub");
    let mut hub = Hub::init(
        &hub_dir,
        Box::new(SqliteStorage::open(&dir.path().join("hub.sqlite")).unwrap()),
        InitOptions {
            facility_name: "ベンチマーク施設",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            key_name: "hub.bench",
        },
        Arc::new(SystemClock),
    )
    .unwrap();
    let facility = demo::seed(hub.store().unwrap(), 2).unwrap();
    hub.publish_own().unwrap();
    let checkpoint_key = hub.log().verifier_key().to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = runtime.block_on(bind(hub, addr, None)).unwrap();
    let url = server.url();

    // The two devices that take part: real stores, enrolled over HTTP, syncing with checkpoint verification.
    let setup = Instant::now();
    let requester_client = HubClient::new(&url, None).unwrap();
    let supervisor_client = HubClient::new(&url, None).unwrap();
    let mut requester = enroll_store(
        &server,
        &requester_client,
        dir.path(),
        "requester",
        &checkpoint_key,
    );
    let mut supervisor = enroll_store(
        &server,
        &supervisor_client,
        dir.path(),
        "supervisor",
        &checkpoint_key,
    );
    // The background devices: each enrolled with the hub (in process, through `with_hub`) with a store of its own
    // that signs its requests; each then holds raw long-poll pulls through its own `HubClient`.
    let mut poller_stores = Vec::with_capacity(pollers);
    for i in 0..pollers {
        let name = format!("poller-{i}");
        let pending = PendingEnrollment::new().unwrap();
        let response = server
            .with_hub(|hub| {
                let offer = hub.offer_enrollment(&name, 15).unwrap();
                hub.enroll(&pending.request(&offer.token)).unwrap()
            })
            .unwrap();
        poller_stores.push(
            pending
                .finish(
                    &response,
                    None,
                    &dir.path().join(format!("{name}.azukari")),
                    &FileKeyVault::new(dir.path().join(format!("{name}.key"))),
                    Arc::new(SystemClock),
                )
                .unwrap(),
        );
    }
    sync(&mut requester, &requester_client, 0).unwrap();
    sync(&mut supervisor, &supervisor_client, 0).unwrap();
    let size = server.with_hub(|hub| hub.log().tree().len()).unwrap();
    println!(
        "set-up: {devices} devices enrolled in {:.1} s; log size {size}",
        setup.elapsed().as_secs_f64()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let pulls = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let background: Vec<_> = poller_stores
        .into_iter()
        .map(|store| {
            let (stop, pulls, failures, url) =
                (stop.clone(), pulls.clone(), failures.clone(), url.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || poll_until_stopped(&store, &url, size, &stop, &pulls, &failures))
                .unwrap()
        })
        .collect();
    // Let the pollers get their first pull in and start waiting.
    std::thread::sleep(Duration::from_secs(2));
    let pulls_at_start = pulls.load(Ordering::SeqCst);

    let total = WARM_UP + rounds;
    let approver = facility.supervisor;
    let supervisor_thread = std::thread::spawn(move || {
        let mut approved = BTreeSet::new();
        while approved.len() < total {
            let pending: Vec<_> = supervisor
                .state()
                .requests
                .iter()
                .filter(|(id, record)| {
                    record.status == RequestStatus::Pending && !approved.contains(*id)
                })
                .map(|(id, record)| (*id, record.hash))
                .collect();
            if pending.is_empty() {
                // Nothing to approve yet (a request may already have come in with the last pull): wait for one.
                sync(&mut supervisor, &supervisor_client, WAIT_MS).unwrap();
                continue;
            }
            for (request, request_hash) in pending {
                supervisor
                    .append(
                        Some(approver),
                        EventBody::ApprovalGranted {
                            request,
                            request_hash,
                        },
                    )
                    .unwrap();
                approved.insert(request);
            }
            sync(&mut supervisor, &supervisor_client, 0).unwrap();
        }
    });

    let mut samples = Vec::with_capacity(rounds);
    let handler = facility.handlers[0];
    let card = facility.cards[0];
    for round in 0..total {
        let request = RequestId::random();
        let start = Instant::now();
        requester
            .append(
                Some(handler),
                EventBody::CheckoutRequested {
                    request,
                    item: card,
                    purpose: Purpose::MedicalVisit,
                    due_at: requester.now().plus_minutes(120),
                },
            )
            .unwrap();
        sync(&mut requester, &requester_client, 0).unwrap();
        while !matches!(
            requester.state().requests[&request].status,
            RequestStatus::Granted(_)
        ) {
            sync(&mut requester, &requester_client, WAIT_MS).unwrap();
        }
        let elapsed = start.elapsed();
        if round >= WARM_UP {
            samples.push(elapsed);
        }
    }
    supervisor_thread.join().unwrap();
    let background_pulls = pulls.load(Ordering::SeqCst) - pulls_at_start;

    stop.store(true, Ordering::SeqCst);
    server.shutdown();
    for thread in background {
        thread.join().unwrap();
    }
    runtime.block_on(server.stopped()).unwrap();

    samples.sort();
    let pct = |p: f64| {
        let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        ms(samples[rank - 1])
    };
    println!(
        "background pollers: {pollers} threads, each its own HubClient holding long-poll pulls (wait {WAIT_MS} ms) \
         for a device enrolled at the hub (in process) whose store signs each request (raw PullRequest, no checkpoint verification or ingest); \
         {background_pulls} pulls answered to them during the rounds, {} failed",
        failures.load(Ordering::SeqCst)
    );
    println!(
        "request -> approval seen (requester append + push, supervisor long-poll wake + append + push, \
         requester long-poll wake), {} rounds:",
        samples.len()
    );
    println!(
        "  p50 {:.1} ms   p95 {:.1} ms   p99 {:.1} ms   (min {:.1} ms, max {:.1} ms; goal p99 < 100 ms)",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}

/// Enroll a device over HTTP with a fresh token, create its store, and sync it once.
fn enroll_store(
    server: &RunningServer,
    client: &HubClient,
    dir: &Path,
    name: &str,
    checkpoint_key: &str,
) -> Store {
    let offer = server
        .with_hub(|hub| hub.offer_enrollment(name, 15))
        .unwrap()
        .unwrap();
    let pending = PendingEnrollment::new().unwrap();
    let response = client.enroll(&pending.request(&offer.token)).unwrap();
    let mut store = pending
        .finish(
            &response,
            Some(checkpoint_key),
            &dir.join(format!("{name}.azukari")),
            &FileKeyVault::new(dir.join(format!("{name}.key"))),
            Arc::new(SystemClock),
        )
        .unwrap();
    sync(&mut store, client, 0).unwrap();
    store
}

/// Hold long-poll pulls from the log's end until told to stop (the server's shutdown answers the last one).
fn poll_until_stopped(
    store: &Store,
    url: &str,
    mut from: u64,
    stop: &AtomicBool,
    pulls: &AtomicU64,
    failures: &AtomicU64,
) {
    let client = HubClient::new(url, None).unwrap();
    while !stop.load(Ordering::SeqCst) {
        let request = PullRequest {
            from,
            limit: 100,
            known_size: 0,
            keys_from: u64::MAX,
            prove: Vec::new(),
            wait_ms: WAIT_MS,
        };
        let auth = store
            .authorize_request(Route::Pull, &request_body(&request).unwrap())
            .unwrap();
        match client.pull(&request, &auth) {
            Ok(response) => {
                if let Some(last) = response.events.last() {
                    from = last.index + 1;
                }
                pulls.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => {
                if !stop.load(Ordering::SeqCst) {
                    failures.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1_000.0
}
