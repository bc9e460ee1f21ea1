//! Store benchmarks against the goals, side by side in one run on this machine:
//!
//! 1. one handover commit (seal + sign + append + fsync) vs a bare fsync'd SQLite insert of the same number of
//!    bytes, with the same pragmas (WAL, `synchronous=FULL`) — goal ≤ 1.3×;
//! 2. cold open of a store holding ≈ 200,000 events (10 years of a 100-resident facility) in a fresh process —
//!    goal < 100 ms and < 50 MB resident memory;
//! 3. ledger verification throughput vs plain SHA-256 over the same bytes — goal ≥ 0.5×; `verify_log` spreads its
//!    work over all cores by default, so it is measured on one thread and on all of them, against one SHA-256
//!    stream (which cannot be split).
//!
//! Run with `cargo bench -p azukari-core --bench store`. The 200,000-event store is built once (one fsync'd
//! transaction per event, as the app writes them) and cached under the cargo target directory; set
//! `AZUKARI_BENCH_REBUILD=1` to build it again. Without `--bench` (as under `cargo test --benches`) it measures
//! nothing. The page cache cannot be dropped here, so the cold open is a fresh process over a warm page cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::{ManualClock, Timestamp};
use azukari_core::crypto::{FileKeyVault, KeyOwner, SoftwareSigner};
use azukari_core::custody::Custody;
use azukari_core::demo;
use azukari_core::ledger::{
    CardCheck, Envelope, EventBody, EventHash, FORMAT_VERSION, LogHasher, SignedEvent, VerifyMode,
    verify_log_with_threads, verify_threads,
};
use azukari_core::model::{
    DeviceId, EventId, FacilityId, ItemId, ItemKind, LockerId, Purpose, ResidentId, Role, StaffId,
};
use azukari_core::store::{Field, LATEST_VERSION, OpenOptions, Store, Unlock};
use azukari_core::testing::{TestStore, test_start};
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Timed handovers per store.
const HANDOVERS: usize = 500;
/// Untimed handovers first (page cache, statement cache, WAL growth).
const WARMUP: usize = 20;
/// Events in the large store.
const LARGE_EVENTS: u64 = 200_000;
/// Residents of the demo facility.
const RESIDENTS: usize = 100;
/// Cold opens measured (after one discarded).
const OPEN_RUNS: usize = 7;
/// Repetitions of the fast verification modes and of the SHA-256 baselines.
const HASH_RUNS: usize = 5;
/// Part of the cached store's name besides the schema and event format versions: change it whenever what the
/// store writes changes without either (key and signature encodings, the head's layout), so an old cache is not
/// reused. `ring`: ring's P-256 keys and PKCS#8 signing key; `log2`: the streaming log commitment.
const CACHE_TAG: &str = "ring-log2";
/// First argument of the re-executed bench binary that performs one cold open.
const CHILD_ARG: &str = "--azukari-cold-open-child";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD_ARG) {
        cold_open_child(Path::new(&args[2]), Path::new(&args[3]));
        return;
    }
    if args.iter().any(|a| a == "--print-large-store") {
        // For the app benchmark from Kotlin (scripts/bench-app): the cached store's database and key file.
        let large = large_store();
        println!("db={}", large.db.display());
        println!("key={}", large.key.display());
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` runs this binary without `--bench`: skip the minutes of measuring.
        println!("store benchmarks: run with `cargo bench -p azukari-core --bench store`");
        return;
    }
    println!("azukari-core store benchmarks (release build, this machine)");
    println!();

    let large = large_store();
    let commit_small = handover_commit_on_fresh_store();
    let commit_large = handover_commit_on_copy_of(&large);
    let open = cold_open(&large);
    let verify = verification(&large);

    println!();
    println!("== summary ==");
    summary(&large, &commit_small, &commit_large, &open, &verify);
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

#[derive(Debug, Clone, Copy)]
struct Stats {
    median: Duration,
    p99: Duration,
    min: Duration,
    max: Duration,
}

fn stats(samples: &[Duration]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let n = sorted.len();
    let p99_rank = ((n as f64) * 0.99).ceil() as usize;
    Stats {
        median: if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        },
        p99: sorted[p99_rank.clamp(1, n) - 1],
        min: sorted[0],
        max: sorted[n - 1],
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn show(label: &str, s: &Stats) {
    println!(
        "  {label:<44} median {:>7.3} ms   p99 {:>7.3} ms   min {:>7.3} ms   max {:>7.3} ms",
        ms(s.median),
        ms(s.p99),
        ms(s.min),
        ms(s.max)
    );
}

/// A small deterministic generator (SplitMix64), so every build of the large store has the same shape.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Handovers

/// A card the bench checks out and returns.
#[derive(Debug, Clone, Copy)]
struct Card {
    item: ItemId,
    resident: ResidentId,
    locker: LockerId,
}

/// An open store with what the handover loop needs.
struct Fixture {
    store: Store,
    clock: Arc<ManualClock>,
    cards: Vec<Card>,
    handlers: Vec<StaffId>,
}

impl Fixture {
    /// Cards in their lockers and active card handlers, from the folded state.
    fn from_state(store: Store, clock: Arc<ManualClock>) -> Fixture {
        let state = store.state();
        let cards = state
            .items
            .values()
            .filter(|r| {
                matches!(r.item.kind, ItemKind::MynaCard { .. })
                    && matches!(r.custody, Custody::InLocker { .. })
                    && !r.retired
            })
            .map(|r| Card {
                item: r.item.id,
                resident: r.item.resident,
                locker: r.item.home_locker,
            })
            .collect();
        let handlers = state
            .staff
            .values()
            .filter(|s| s.active && s.has_role(Role::CardHandler))
            .map(|s| s.id)
            .collect();
        Fixture {
            store,
            clock,
            cards,
            handlers,
        }
    }

    /// Check a card out for a purpose whose note is sealed under the resident's key: seal + sign + append +
    /// fsync, the full cost of recording one handover.
    fn checkout_with_note(&mut self, card: Card, actor: StaffId) {
        self.clock.advance_minutes(7);
        let note = self
            .store
            .seal_field(
                Field::PurposeNote,
                KeyOwner::Resident(card.resident),
                card.item.as_bytes(),
                "眼科の定期受診。家族が病院で合流する予定。",
            )
            .unwrap();
        let due_at = self.store.now().plus_minutes(240);
        self.store
            .append(
                Some(actor),
                EventBody::CheckedOut {
                    item: card.item,
                    from_locker: card.locker,
                    purpose: Purpose::Other { note },
                    due_at,
                    approval: None,
                },
            )
            .unwrap();
    }

    /// Put a card back: sign + append + fsync.
    fn give_back(&mut self, card: Card, actor: StaffId) {
        self.clock.advance_minutes(7);
        self.store
            .append(
                Some(actor),
                EventBody::Returned {
                    item: card.item,
                    to_locker: card.locker,
                    card_check: CardCheck::Matched,
                },
            )
            .unwrap();
    }
}

/// The bare SQLite baseline: one table, one row per transaction, same pragmas as the store.
struct Bare {
    conn: Connection,
    payload: Vec<u8>,
    next: i64,
}

impl Bare {
    fn create(path: &Path, payload_len: usize) -> Bare {
        let conn = Connection::open(path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert!(mode.eq_ignore_ascii_case("wal"));
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);",
        )
        .unwrap();
        let mut rng = Rng(0xA2B4_C6D8);
        let payload = (0..payload_len).map(|_| rng.next() as u8).collect();
        Bare {
            conn,
            payload,
            next: 1,
        }
    }

    fn insert(&mut self) {
        let tx = self.conn.transaction().unwrap();
        tx.prepare_cached("INSERT INTO bare (id, payload) VALUES (?1, ?2)")
            .unwrap()
            .execute(params![self.next, self.payload])
            .unwrap();
        tx.commit().unwrap();
        self.next += 1;
    }
}

/// The store's three writes of a handover (an event row under the events table's indexes, the key use count,
/// the authenticated head) in a plain SQLite database, without crypto: where the extra SQLite cost comes from.
struct StoreShaped {
    conn: Connection,
    row: Vec<u8>,
    next: i64,
}

impl StoreShaped {
    fn create(path: &Path, row_len: usize) -> StoreShaped {
        let conn = Connection::open(path).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS keys (key_id TEXT PRIMARY KEY NOT NULL, uses INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS events (
                 log_index INTEGER PRIMARY KEY NOT NULL, event_id TEXT NOT NULL UNIQUE, device_id TEXT NOT NULL,
                 device_seq INTEGER NOT NULL, recorded_at INTEGER NOT NULL, kind TEXT NOT NULL, bytes BLOB NOT NULL,
                 signature BLOB NOT NULL, hash BLOB NOT NULL, log_hash BLOB NOT NULL, UNIQUE (device_id, device_seq));
             CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind);
             INSERT OR IGNORE INTO meta VALUES ('log_head', x'00');
             INSERT OR IGNORE INTO keys VALUES ('k', 0);",
        )
        .unwrap();
        let mut rng = Rng(0x5EED);
        let row = (0..row_len).map(|_| rng.next() as u8).collect();
        StoreShaped { conn, row, next: 1 }
    }

    fn insert(&mut self) {
        let device = "0196a7a4-0000-7000-8000-000000000001";
        let tx = self.conn.transaction().unwrap();
        tx.prepare_cached(
            "INSERT INTO events (log_index, event_id, device_id, device_seq, recorded_at, kind, bytes, signature, hash, log_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .unwrap()
        .execute(params![
            self.next,
            EventId::new_v7().to_string(),
            device,
            self.next,
            self.next * 60_000,
            "checked_out",
            self.row,
            &self.row[..64],
            &self.row[..32],
            &self.row[32..64],
        ])
        .unwrap();
        tx.prepare_cached("UPDATE keys SET uses = uses + 1 WHERE key_id = 'k'")
            .unwrap()
            .execute([])
            .unwrap();
        tx.prepare_cached("INSERT OR REPLACE INTO meta (name, value) VALUES ('log_head', ?1)")
            .unwrap()
            .execute([&self.row[..80]])
            .unwrap();
        tx.commit().unwrap();
        self.next += 1;
    }
}

/// Bytes of the stored row of an average checkout event after log position `after` (every column; the three
/// integer columns counted as 8 bytes each), and of its event bytes, signature and hashes alone.
fn checkout_row_bytes(db: &Path, after: u64) -> (usize, usize) {
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (row, blobs): (f64, f64) = conn
        .query_row(
            "SELECT avg(length(bytes) + length(signature) + length(hash) + length(log_hash)
                        + length(event_id) + length(device_id) + length(kind) + 24),
                    avg(length(bytes) + length(signature) + length(hash) + length(log_hash))
             FROM events WHERE kind = 'checked_out' AND log_index > ?1",
            [after as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    (row.round() as usize, blobs.round() as usize)
}

struct CommitResult {
    label: String,
    events_before: u64,
    payload: usize,
    blobs: usize,
    checkout: Stats,
    give_back: Stats,
    bare: Stats,
    shaped: Stats,
    seal: Stats,
    sign: Stats,
}

fn run_handovers(
    label: &str,
    mut fixture: Fixture,
    scratch: &Path,
    verbose_name: &str,
) -> CommitResult {
    let events_before = fixture.store.head().length;
    let handler = fixture.handlers[0];
    let cards = fixture.cards.clone();
    assert!(!cards.is_empty());
    for i in 0..WARMUP {
        let card = cards[i % cards.len()];
        fixture.checkout_with_note(card, handler);
        fixture.give_back(card, handler);
    }
    let (payload, blobs) = checkout_row_bytes(fixture.store.path(), events_before);
    let mut bare = Bare::create(
        &scratch.join(format!("{verbose_name}-bare.sqlite")),
        payload,
    );
    let mut shaped = StoreShaped::create(
        &scratch.join(format!("{verbose_name}-shaped.sqlite")),
        blobs.saturating_sub(32 + 32 + 64).max(80),
    );
    for _ in 0..WARMUP {
        bare.insert();
        shaped.insert();
    }

    let mut checkout = Vec::with_capacity(HANDOVERS);
    let mut give_back = Vec::with_capacity(HANDOVERS);
    let mut bare_samples = Vec::with_capacity(HANDOVERS);
    let mut shaped_samples = Vec::with_capacity(HANDOVERS);
    // Interleaved, so drift in the disk's latency hits both sides alike.
    for i in 0..HANDOVERS {
        let card = cards[(i * 7) % cards.len()];
        let start = Instant::now();
        fixture.checkout_with_note(card, handler);
        checkout.push(start.elapsed());

        let start = Instant::now();
        bare.insert();
        bare_samples.push(start.elapsed());

        let start = Instant::now();
        fixture.give_back(card, handler);
        give_back.push(start.elapsed());

        let start = Instant::now();
        shaped.insert();
        shaped_samples.push(start.elapsed());
    }

    // The CPU parts of a checkout, without SQLite: sealing the note, and signing an envelope of the same shape.
    let card = cards[0];
    let mut seal = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let start = Instant::now();
        black_box(
            fixture
                .store
                .seal_field(
                    Field::PurposeNote,
                    KeyOwner::Resident(card.resident),
                    card.item.as_bytes(),
                    "眼科の定期受診。家族が病院で合流する予定。",
                )
                .unwrap(),
        );
        seal.push(start.elapsed());
    }
    let note = fixture
        .store
        .seal_field(
            Field::PurposeNote,
            KeyOwner::Resident(card.resident),
            card.item.as_bytes(),
            "眼科の定期受診。家族が病院で合流する予定。",
        )
        .unwrap();
    let signer = SoftwareSigner::make_random().unwrap();
    let mut sign = Vec::with_capacity(1000);
    for seq in 0..1000u64 {
        let envelope = Envelope {
            event_id: EventId::new_v7(),
            facility: FacilityId::random(),
            device: DeviceId::random(),
            device_seq: seq + 2,
            prev_hash: EventHash([7; 32]),
            recorded_at: fixture.store.now(),
            actor: Some(handler),
            body: EventBody::CheckedOut {
                item: card.item,
                from_locker: card.locker,
                purpose: Purpose::Other { note: note.clone() },
                due_at: fixture.store.now(),
                approval: None,
            },
        };
        let start = Instant::now();
        let signed = envelope.sign(&signer).unwrap();
        black_box(signed.hash());
        sign.push(start.elapsed());
    }
    // Persist the seals' use counts with the rest; then leave the store as it is (scratch copy or temp dir).
    fixture.give_back(card, handler);
    drop(fixture);

    let result = CommitResult {
        label: label.to_string(),
        events_before,
        payload,
        blobs,
        checkout: stats(&checkout),
        give_back: stats(&give_back),
        bare: stats(&bare_samples),
        shaped: stats(&shaped_samples),
        seal: stats(&seal),
        sign: stats(&sign),
    };
    println!(
        "(1) handover commit on {label} ({events_before} events before; {HANDOVERS} timed, interleaved; \
         checkout row ≈ {payload} B of which event bytes+signature+hashes {blobs} B)"
    );
    show("checkout: seal + sign + append + fsync", &result.checkout);
    show("return: sign + append + fsync", &result.give_back);
    show(&format!("bare fsync'd insert of {payload} B"), &result.bare);
    show("same 3 writes in plain SQLite (no crypto)", &result.shaped);
    println!(
        "  CPU only: seal a note median {:.1} µs (p99 {:.1}); encode + sign + hash an event median {:.1} µs (p99 {:.1})",
        us(result.seal.median),
        us(result.seal.p99),
        us(result.sign.median),
        us(result.sign.p99)
    );
    println!();
    result
}

fn handover_commit_on_fresh_store() -> CommitResult {
    let dir = tempfile::tempdir_in(bench_dir_root()).unwrap();
    let mut t = TestStore::create(dir.path(), "facility").unwrap();
    demo::seed(&mut t.store, RESIDENTS).unwrap();
    let fixture = Fixture::from_state(t.store, t.clock);
    run_handovers(
        &format!("a freshly seeded {RESIDENTS}-resident store"),
        fixture,
        dir.path(),
        "fresh",
    )
}

fn handover_commit_on_copy_of(large: &LargeStore) -> CommitResult {
    let dir = tempfile::tempdir_in(bench_dir_root()).unwrap();
    let db = dir.path().join("facility.azukari");
    let key = dir.path().join("facility.key");
    std::fs::copy(&large.db, &db).unwrap();
    std::fs::copy(&large.key, &key).unwrap();
    let vault = FileKeyVault::new(key);
    let clock = Arc::new(ManualClock::new(test_start()));
    let store = Store::open(
        &db,
        Unlock::Vault(&vault),
        OpenOptions::default(),
        clock.clone(),
    )
    .unwrap();
    // Record after the newest event, as a real device would; an older time would make the fold start over.
    let newest = store.state().as_of.unwrap_or(test_start());
    clock.set(newest.plus_minutes(60));
    let fixture = Fixture::from_state(store, clock);
    run_handovers(
        &format!("a copy of the {} event store", large.events),
        fixture,
        dir.path(),
        "large",
    )
}

// ---------------------------------------------------------------------------------------------------------------
// The large store

struct LargeStore {
    db: PathBuf,
    key: PathBuf,
    events: u64,
    db_bytes: u64,
    built_now: bool,
    build_seconds: f64,
    first_at: Timestamp,
    last_at: Timestamp,
}

fn bench_dir_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&root).unwrap();
    root
}

/// The cached large store, built first if missing.
fn large_store() -> LargeStore {
    let name = format!(
        "azukari-bench-store-{LARGE_EVENTS}-schema{LATEST_VERSION}-format{FORMAT_VERSION}-{CACHE_TAG}"
    );
    let dir = bench_dir_root().join(&name);
    let done = dir.join("complete.txt");
    let rebuild = std::env::var_os("AZUKARI_BENCH_REBUILD").is_some();
    let built_now = rebuild || !done.exists();
    if built_now {
        let partial = bench_dir_root().join(format!("{name}.partial"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial).unwrap();
        }
        std::fs::create_dir_all(&partial).unwrap();
        let seconds = build_large_store(&partial);
        std::fs::write(partial.join("complete.txt"), format!("{seconds:.1}\n")).unwrap();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::rename(&partial, &dir).unwrap();
    } else {
        println!("using the cached store in {}", dir.display());
    }
    let build_seconds: f64 = std::fs::read_to_string(&done)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let db = dir.join("facility.azukari");
    let key = dir.join("facility.key");
    let db_bytes = std::fs::metadata(&db).unwrap().len();
    let conn =
        Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let (events, first, last): (i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), min(recorded_at), max(recorded_at) FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    drop(conn);
    let large = LargeStore {
        db,
        key,
        events: events as u64,
        db_bytes,
        built_now,
        build_seconds,
        first_at: Timestamp(first),
        last_at: Timestamp(last),
    };
    println!(
        "large store: {} events from {} to {}, {:.1} MB on disk; built in {:.1} s{}",
        large.events,
        large.first_at,
        large.last_at,
        large.db_bytes as f64 / 1e6,
        large.build_seconds,
        if large.built_now {
            " (this run)"
        } else {
            " (an earlier run)"
        }
    );
    println!();
    large
}

/// Build the large store in `dir`: the demo facility, then checkouts and returns of random cards spread over about
/// ten years, each committed in its own fsync'd transaction like the app does. Returns the seconds it took.
fn build_large_store(dir: &Path) -> f64 {
    println!(
        "building a {LARGE_EVENTS}-event store in {} (one fsync'd transaction per event; cached for later runs)",
        dir.display()
    );
    let start = Instant::now();
    let mut t = TestStore::create(dir, "facility").unwrap();
    let facility = demo::seed(&mut t.store, RESIDENTS).unwrap();
    let mut fixture = Fixture::from_state(t.store, t.clock);
    let handlers = [
        facility.handlers[0],
        facility.handlers[1],
        facility.pin_manager,
    ];
    let mut rng = Rng(0xA2_0C0A_2B4C);
    // About 52.6 minutes per checkout-and-return pair spreads 100,000 pairs over ten years.
    let mut last_report = Instant::now();
    let mut sealed_notes = 0u64;
    while fixture.store.head().length + 2 <= LARGE_EVENTS {
        let card = fixture.cards[rng.below(fixture.cards.len())];
        let actor = handlers[rng.below(handlers.len())];
        let purpose = match rng.below(20) {
            0 => {
                sealed_notes += 1;
                let note = fixture
                    .store
                    .seal_field(
                        Field::PurposeNote,
                        KeyOwner::Resident(card.resident),
                        card.item.as_bytes(),
                        "家族と銀行で手続き。夕方に戻る予定。",
                    )
                    .unwrap();
                Purpose::Other { note }
            }
            1 => Purpose::MunicipalProcedure(azukari_core::model::MunicipalProcedure::Renewal),
            2 => Purpose::EmergencyTransport,
            _ => Purpose::MedicalVisit,
        };
        let due_at = fixture.store.now().plus_minutes(240);
        fixture
            .store
            .append(
                Some(actor),
                EventBody::CheckedOut {
                    item: card.item,
                    from_locker: card.locker,
                    purpose,
                    due_at,
                    approval: None,
                },
            )
            .unwrap();
        fixture.clock.advance_minutes(15 + rng.below(31) as i64);
        fixture
            .store
            .append(
                Some(actor),
                EventBody::Returned {
                    item: card.item,
                    to_locker: card.locker,
                    card_check: CardCheck::Matched,
                },
            )
            .unwrap();
        fixture.clock.advance_minutes(12 + rng.below(34) as i64);
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            let done = fixture.store.head().length;
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "  {done} events after {elapsed:.0} s ({:.2} ms per event)",
                elapsed * 1e3 / done as f64
            );
        }
    }
    while fixture.store.head().length < LARGE_EVENTS {
        let card = fixture.cards[0];
        fixture.checkout_with_note(card, handlers[0]);
    }
    fixture.store.close().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "built {LARGE_EVENTS} events ({sealed_notes} with a sealed note) in {seconds:.1} s ({:.2} ms per event)",
        seconds * 1e3 / LARGE_EVENTS as f64
    );
    seconds
}

// ---------------------------------------------------------------------------------------------------------------
// Cold open

/// One line of `/proc/self/status` in kB.
fn proc_status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// In the re-executed binary: open the store once and report the time, peak and current resident memory.
fn cold_open_child(db: &Path, key: &Path) {
    let baseline_hwm = proc_status_kb("VmHWM");
    let vault = FileKeyVault::new(key);
    let clock = Arc::new(ManualClock::new(test_start()));
    let start = Instant::now();
    let store = Store::open(db, Unlock::Vault(&vault), OpenOptions::default(), clock).unwrap();
    let elapsed = start.elapsed();
    let hwm = proc_status_kb("VmHWM");
    let rss = proc_status_kb("VmRSS");
    let events = store.head().length;
    let items = store.state().items.len();
    drop(store);
    println!(
        "{} {hwm} {baseline_hwm} {rss} {events} {items}",
        elapsed.as_nanos()
    );
}

struct OpenResult {
    open: Stats,
    process: Stats,
    hwm_kb_median: u64,
    hwm_kb_max: u64,
    baseline_kb: u64,
    rss_kb: u64,
}

fn cold_open(large: &LargeStore) -> OpenResult {
    let exe = std::env::current_exe().unwrap();
    let mut open = Vec::new();
    let mut process = Vec::new();
    let mut hwm = Vec::new();
    let mut baseline = Vec::new();
    let mut rss = Vec::new();
    for run in 0..=OPEN_RUNS {
        let start = Instant::now();
        let output = Command::new(&exe)
            .arg(CHILD_ARG)
            .arg(&large.db)
            .arg(&large.key)
            .output()
            .unwrap();
        let wall = start.elapsed();
        assert!(
            output.status.success(),
            "cold open failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<u128> = line
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        assert_eq!(fields[4] as u64, large.events);
        if run == 0 {
            continue; // the first run only warms the page cache
        }
        open.push(Duration::from_nanos(fields[0] as u64));
        process.push(wall);
        hwm.push(fields[1] as u64);
        baseline.push(fields[2] as u64);
        rss.push(fields[3] as u64);
    }
    hwm.sort_unstable();
    baseline.sort_unstable();
    rss.sort_unstable();
    let result = OpenResult {
        open: stats(&open),
        process: stats(&process),
        hwm_kb_median: hwm[hwm.len() / 2],
        hwm_kb_max: hwm[hwm.len() - 1],
        baseline_kb: baseline[baseline.len() / 2],
        rss_kb: rss[rss.len() / 2],
    };
    println!(
        "(2) cold open of the {}-event store in a fresh process ({OPEN_RUNS} runs after one discarded; warm page cache)",
        large.events
    );
    show("Store::open (vault unlock, checks, snapshot)", &result.open);
    show("whole child process (spawn to exit)", &result.process);
    println!(
        "  peak resident memory (VmHWM) median {:.1} MB, max {:.1} MB; process before open {:.1} MB; \
         resident after open {:.1} MB",
        result.hwm_kb_median as f64 / 1024.0,
        result.hwm_kb_max as f64 / 1024.0,
        result.baseline_kb as f64 / 1024.0,
        result.rss_kb as f64 / 1024.0
    );
    println!();
    result
}

// ---------------------------------------------------------------------------------------------------------------
// Verification

struct VerifyResult {
    events: usize,
    bytes: usize,
    /// Threads the default `verify_log` uses here.
    threads: usize,
    load: Duration,
    every_signature_one: Duration,
    every_signature_all: Duration,
    chain_heads_one: Stats,
    chain_heads_all: Stats,
    store_verify: Duration,
    sha_stream: Stats,
    sha_per_event: Stats,
    parts: Vec<(&'static str, Duration)>,
    full_fold: Duration,
}

fn verification(large: &LargeStore) -> VerifyResult {
    let vault = FileKeyVault::new(large.key.clone());
    let clock = Arc::new(ManualClock::new(test_start()));
    let store = Store::open(
        &large.db,
        Unlock::Vault(&vault),
        OpenOptions::default(),
        clock,
    )
    .unwrap();
    let start = Instant::now();
    let events: Vec<SignedEvent> = store.events().unwrap();
    let load = start.elapsed();
    let bytes: usize = events
        .iter()
        .map(|e| e.bytes.len() + e.signature.0.len())
        .sum();
    let anchor = store.trust_anchor().clone();
    let head = store.head();
    let all = verify_threads();
    let one = NonZeroUsize::MIN;
    let verify = |mode: VerifyMode, threads: NonZeroUsize| {
        let start = Instant::now();
        let report = verify_log_with_threads(&events, &anchor, Some(&head), mode, threads).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(report.events, events.len() as u64);
        elapsed
    };

    let mut sha_stream = Vec::new();
    let mut sha_per_event = Vec::new();
    let mut chain_heads_one = Vec::new();
    let mut chain_heads_all = Vec::new();
    for _ in 0..HASH_RUNS {
        let start = Instant::now();
        let mut hasher = Sha256::new();
        for event in &events {
            hasher.update(&event.bytes);
            hasher.update(&event.signature.0);
        }
        black_box(hasher.finalize());
        sha_stream.push(start.elapsed());

        let start = Instant::now();
        for event in &events {
            let mut hasher = Sha256::new();
            hasher.update(&event.bytes);
            hasher.update(&event.signature.0);
            black_box(hasher.finalize());
        }
        sha_per_event.push(start.elapsed());

        chain_heads_one.push(verify(VerifyMode::ChainHeads, one));
        chain_heads_all.push(verify(VerifyMode::ChainHeads, all));
    }
    let start = Instant::now();
    black_box(store.verify(VerifyMode::ChainHeads).unwrap());
    let store_verify = start.elapsed();

    // Where single-threaded ChainHeads spends its time: its per-event steps, each alone over the whole log
    // (medians).
    let mut event_hash = Vec::new();
    let mut log_hash = Vec::new();
    let mut header = Vec::new();
    let hashes: Vec<EventHash> = events.iter().map(SignedEvent::hash).collect();
    for _ in 0..HASH_RUNS {
        let start = Instant::now();
        for event in &events {
            black_box(event.hash());
        }
        event_hash.push(start.elapsed());

        let start = Instant::now();
        let mut running = LogHasher::new();
        for hash in &hashes {
            running.push(hash);
        }
        black_box(running.commitment());
        log_hash.push(start.elapsed());

        let start = Instant::now();
        for event in &events {
            black_box(event.header_with_body_variant().unwrap());
        }
        header.push(start.elapsed());
    }
    let parts = vec![
        (
            "event hash (SHA-256 of domain, length, bytes, signature)",
            stats(&event_hash).median,
        ),
        (
            "log commitment (streaming SHA-256, half a block per event)",
            stats(&log_hash).median,
        ),
        (
            "header + body variant decode (postcard)",
            stats(&header).median,
        ),
    ];

    let start = Instant::now();
    black_box(store.full_fold().unwrap());
    let full_fold = start.elapsed();

    let every_signature_all = verify(VerifyMode::EverySignature, all);
    let every_signature_one = if all == one {
        every_signature_all
    } else {
        verify(VerifyMode::EverySignature, one)
    };
    drop(store);

    let result = VerifyResult {
        events: events.len(),
        bytes,
        threads: all.get(),
        load,
        every_signature_one,
        every_signature_all,
        chain_heads_one: stats(&chain_heads_one),
        chain_heads_all: stats(&chain_heads_all),
        store_verify,
        sha_stream: stats(&sha_stream),
        sha_per_event: stats(&sha_per_event),
        parts,
        full_fold,
    };
    let rate = |d: Duration| {
        format!(
            "{:>8.1} MB/s {:>10.0} events/s  ({:>8.1} ms)",
            result.bytes as f64 / 1e6 / d.as_secs_f64(),
            result.events as f64 / d.as_secs_f64(),
            ms(d)
        )
    };
    println!(
        "(3) ledger verification over {} events, {:.1} MB of event bytes + signatures (medians of {HASH_RUNS} runs \
         unless said; verify_log uses {} thread(s) here by default)",
        result.events,
        result.bytes as f64 / 1e6,
        result.threads
    );
    let threads = result.threads;
    for (label, d) in [
        (
            format!("verify_log ChainHeads, {threads} thread(s) (default)"),
            result.chain_heads_all.median,
        ),
        (
            "verify_log ChainHeads, 1 thread".to_string(),
            result.chain_heads_one.median,
        ),
        (
            format!("verify_log EverySignature, {threads} thread(s) (1 run)"),
            result.every_signature_all,
        ),
        (
            "verify_log EverySignature, 1 thread (1 run)".to_string(),
            result.every_signature_one,
        ),
        (
            "plain SHA-256, one digest over all the bytes (1 thread)".to_string(),
            result.sha_stream.median,
        ),
        (
            "plain SHA-256, one digest per event (1 thread)".to_string(),
            result.sha_per_event.median,
        ),
        (
            "(context) store.events(): load from SQLite (1 run)".to_string(),
            result.load,
        ),
        (
            "(context) Store::verify ChainHeads: load + verify".to_string(),
            result.store_verify,
        ),
    ] {
        println!("  {label:<60} {}", rate(d));
    }
    let chain = result.chain_heads_one.median;
    let mut accounted = Duration::ZERO;
    println!(
        "  where single-threaded ChainHeads spends its {:.1} ms (each step timed alone):",
        ms(chain)
    );
    for (label, d) in &result.parts {
        accounted += *d;
        println!(
            "    {label:<58} {:>7.1} ms  {:>4.0}%",
            ms(*d),
            100.0 * d.as_secs_f64() / chain.as_secs_f64()
        );
    }
    let rest = chain.saturating_sub(accounted);
    println!(
        "    {:<58} {:>7.1} ms  {:>4.0}%",
        "the rest (device list, chain compares, memory traffic)",
        ms(rest),
        100.0 * rest.as_secs_f64() / chain.as_secs_f64()
    );
    println!(
        "  (context) folding all {} events from scratch (an open without a usable snapshot): {:.1} ms",
        result.events,
        ms(result.full_fold)
    );
    println!();
    result
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn summary(
    large: &LargeStore,
    small: &CommitResult,
    big: &CommitResult,
    open: &OpenResult,
    verify: &VerifyResult,
) {
    for commit in [small, big] {
        let ratio = commit.checkout.median.as_secs_f64() / commit.bare.median.as_secs_f64();
        let ratio_p99 = commit.checkout.p99.as_secs_f64() / commit.bare.p99.as_secs_f64();
        println!(
            "handover commit ({}): median {:.3} ms (p99 {:.3}) vs bare insert of {} B {:.3} ms (p99 {:.3}) \
             → {ratio:.2}× (p99 {ratio_p99:.2}×) (goal ≤ 1.3×: {})",
            commit.label,
            ms(commit.checkout.median),
            ms(commit.checkout.p99),
            commit.payload,
            ms(commit.bare.median),
            ms(commit.bare.p99),
            verdict(ratio <= 1.3)
        );
        println!(
            "    return without a seal {:.3} ms → {:.2}×; plain SQLite doing the store's 3 writes {:.3} ms → {:.2}×; \
             seal {:.0} µs + sign {:.0} µs of CPU; {} events before, event blobs {} B",
            ms(commit.give_back.median),
            commit.give_back.median.as_secs_f64() / commit.bare.median.as_secs_f64(),
            ms(commit.shaped.median),
            commit.shaped.median.as_secs_f64() / commit.bare.median.as_secs_f64(),
            us(commit.seal.median),
            us(commit.sign.median),
            commit.events_before,
            commit.blobs
        );
    }
    let peak_mb = open.hwm_kb_median as f64 / 1024.0;
    println!(
        "cold open ({} events, warm page cache, fresh process): median {:.1} ms (p99 {:.1}), peak RSS {:.1} MB \
         (max {:.1}) (goal < 100 ms: {}; < 50 MB: {})",
        large.events,
        ms(open.open.median),
        ms(open.open.p99),
        peak_mb,
        open.hwm_kb_max as f64 / 1024.0,
        verdict(open.open.median < Duration::from_millis(100)),
        verdict(peak_mb < 50.0)
    );
    let mbps = |d: Duration| verify.bytes as f64 / 1e6 / d.as_secs_f64();
    let stream = mbps(verify.sha_stream.median);
    let per_event = mbps(verify.sha_per_event.median);
    let threads = verify.threads;
    for (label, d) in [
        (
            format!("ChainHeads, {threads} thread(s) (default)"),
            verify.chain_heads_all.median,
        ),
        (
            "ChainHeads, 1 thread".to_string(),
            verify.chain_heads_one.median,
        ),
        (
            format!("EverySignature, {threads} thread(s) (default)"),
            verify.every_signature_all,
        ),
        (
            "EverySignature, 1 thread".to_string(),
            verify.every_signature_one,
        ),
    ] {
        let rate = mbps(d);
        println!(
            "verification {label}: {rate:.1} MB/s vs plain single-threaded SHA-256 {stream:.1} MB/s → {:.3}× \
             (vs per-event SHA-256 {per_event:.1} MB/s → {:.3}×) (goal ≥ 0.5×: {})",
            rate / stream,
            rate / per_event,
            verdict(rate / stream >= 0.5)
        );
    }
    println!(
        "    EverySignature is bound by ECDSA P-256 verification: {:.1} µs per event on 1 thread, {:.1} µs on {threads}",
        us(verify.every_signature_one) / verify.events as f64,
        us(verify.every_signature_all) / verify.events as f64
    );
    let hashing: Duration = verify.parts.iter().take(2).map(|(_, d)| *d).sum();
    println!(
        "    ceiling of one thread: the hashing alone (event hash + log commitment) takes {:.1} ms → {:.2}× of plain \
         SHA-256",
        ms(hashing),
        mbps(hashing) / stream
    );
    println!(
        "large store: built in {:.1} s{} ({:.2} ms per event), {:.1} MB",
        large.build_seconds,
        if large.built_now {
            " this run"
        } else {
            " on an earlier run"
        },
        large.build_seconds * 1e3 / large.events as f64,
        large.db_bytes as f64 / 1e6
    );
}
