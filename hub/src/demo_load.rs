//! Load for the browser pages' benchmark (`scripts/bench-web`): a demo facility with years of history instead of
//! a week, and many enrolled devices each holding a real long-poll pull on a served hub.
//!
//! The history is what ten years of a 100-resident facility leave in the ledger, recorded the way the demo records
//! its week: on the caregiver's phone (each event signed and committed in its own transaction), pushed to the hub
//! every few thousand events. Handovers happen in the day shift (08:00–19:00 Tokyo time), so no event of the
//! history would have needed a night approval, and every member of staff is trained again every 240 days, so
//! nobody's training has lapsed when the history reaches today.
//!
//! The devices are what a facility's phones and tablets do between two taps: they were enrolled with a one-time
//! token (as by scanning the QR) and are caught up, so each holds a signed pull from the log's end that waits for
//! something new, takes in what arrived and waits again. Their stores only sign the requests: a device that
//! joins now would first download the whole ledger, which is not what this load is about.

use crate::Failure;
use azukari_core::clock::{Clock, ManualClock, SystemClock, Timestamp};
use azukari_core::crypto::{FileKeyVault, KeyOwner};
use azukari_core::demo::DemoFacility;
use azukari_core::ledger::{CardCheck, EventBody};
use azukari_core::model::{MunicipalProcedure, Purpose};
use azukari_core::store::{Field, Store};
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::PullRequest;
use azukari_core::sync::{HubTransport, PendingEnrollment, Route, sync};
use azukari_hub::client::HubClient;
use azukari_hub::service::LocalHub;
use azukari_hub::storage::{HubStorage, SqliteStorage};
use chrono::Days;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Residents of the facility whose history is recorded (the shape of the core's 200,000-event store benchmark).
pub const HISTORY_RESIDENTS: usize = 100;
/// Days of the history at most (ten years); fewer when fewer events are asked for.
const HISTORY_DAYS: u64 = 3_652;
/// Minutes of the day shift in which the history's handovers happen (08:00 to 19:00).
const DAY_SHIFT_MINUTES: u64 = 11 * 60;
/// Every member of staff is trained again this often, in days (the rules want it within a year).
const TRAINING_EVERY_DAYS: u64 = 240;
/// The phone syncs after this many events. A sync's pulls prove the inclusion of 64 of the phone's own events
/// each, and the list of those not proved yet is rewritten with the sync state: pushing many more per sync than
/// its pulls prove lets that list grow without end, and every append of the phone slows down with it (each one
/// reads past the sync state's row: at 4,096 a sync, appends slowed from about 2,000 a second to 300 by the
/// 66,000th event).
const SYNC_EVERY: u64 = 64;
/// How long a device's pull waits for something new (the hub caps it at 30 s).
const DEVICE_WAIT_MS: u64 = 25_000;

/// What [`record_history`] recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Checkouts recorded.
    pub checkouts: u64,
    /// Returns recorded.
    pub returns: u64,
    /// Trainings recorded.
    pub trainings: u64,
    /// The first day of the history.
    pub first_day: Option<chrono::NaiveDate>,
    /// The last day of the history.
    pub last_day: Option<chrono::NaiveDate>,
}

/// The day to seed the facility on, so that any history fits between it and `today`: ten years and two days
/// before. [`record_history`] then starts its history as late as it can to end yesterday.
pub fn seed_day(today: chrono::NaiveDate) -> chrono::NaiveDate {
    today
        .checked_sub_days(Days::new(HISTORY_DAYS + 2))
        .unwrap_or(today)
}

/// A small deterministic generator (SplitMix64), so every history has the same shape.
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
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Record checkouts and returns of the residents' cards on `phone`, pushing to `local` as it goes, until the
/// phone's ledger holds `events` events: the same number of pairs each day, over as many days up to yesterday
/// (`today` minus one) as it takes, ten years at most; the clock follows the events. Every member of staff is
/// trained again every [`TRAINING_EVERY_DAYS`] days.
pub fn record_history(
    phone: &mut Store,
    local: &LocalHub,
    facility: &DemoFacility,
    clock: &ManualClock,
    today: chrono::NaiveDate,
    events: u64,
) -> Result<History, Failure> {
    let pairs = events.saturating_sub(phone.head().length) / 2;
    let per_day = pairs.div_ceil(HISTORY_DAYS).max(1);
    let days = pairs.div_ceil(per_day).clamp(1, HISTORY_DAYS);
    let start = today.checked_sub_days(Days::new(days + 1)).unwrap_or(today);
    let mut trained = clock
        .now()
        .tokyo_date()
        .checked_sub_days(Days::new(60))
        .unwrap_or(start);
    let cards: Vec<_> = facility
        .cards
        .iter()
        .filter_map(|card| {
            phone
                .state()
                .items
                .get(card)
                .map(|r| (*card, r.item.resident, r.item.home_locker))
        })
        .collect();
    if cards.is_empty() {
        return Err("the demo facility has no cards / カードがありません".into());
    }
    let mut handlers: Vec<_> = facility.handlers.iter().copied().take(2).collect();
    handlers.push(facility.pin_manager);
    let mut staff: Vec<_> = vec![facility.admin, facility.supervisor, facility.pin_manager];
    staff.extend(facility.handlers.iter().copied());
    staff.extend(facility.caregivers.iter().copied());
    let slot = (DAY_SHIFT_MINUTES / per_day.max(1)).max(2) as i64;
    let mut rng = Rng(0xA2_0C0A_2B4C);
    let mut history = History::default();
    let mut since_sync = 0u64;
    let mut reported = Instant::now();
    let started = Instant::now();
    let mut day = 0u64;
    'days: while day < HISTORY_DAYS + 1 {
        day += 1;
        let date = start
            .checked_add_days(Days::new(day))
            .ok_or("the history runs past the calendar / 日付が範囲外です")?;
        history.first_day.get_or_insert(date);
        history.last_day = Some(date);
        if (date - trained).num_days() >= TRAINING_EVERY_DAYS as i64 {
            trained = date;
            clock.set(Timestamp::from_tokyo(date, 7, 45).ok_or("bad date")?);
            for member in &staff {
                phone.append(
                    Some(facility.admin),
                    EventBody::StaffTrained {
                        staff: *member,
                        on: date,
                    },
                )?;
                history.trainings += 1;
            }
        }
        let opening = Timestamp::from_tokyo(date, 8, 0).ok_or("bad date")?;
        for pair in 0..per_day as i64 {
            if phone.head().length >= events {
                break 'days;
            }
            let (card, resident, locker) = cards[rng.below(cards.len())];
            let actor = handlers[rng.below(handlers.len())];
            let purpose = match rng.below(20) {
                0 => Purpose::Other {
                    note: phone.seal_field(
                        Field::PurposeNote,
                        KeyOwner::Resident(resident),
                        card.as_bytes(),
                        "家族と銀行で手続き。夕方に戻る予定。",
                    )?,
                },
                1 => Purpose::MunicipalProcedure(MunicipalProcedure::Renewal),
                2 => Purpose::EmergencyTransport,
                _ => Purpose::MedicalVisit,
            };
            let out_at = opening.plus_minutes(pair * slot);
            clock.set(out_at);
            phone.append(
                Some(actor),
                EventBody::CheckedOut {
                    item: card,
                    from_locker: locker,
                    purpose,
                    due_at: out_at.plus_minutes(240),
                    approval: None,
                },
            )?;
            clock.set(out_at.plus_minutes(slot - 1));
            phone.append(
                Some(actor),
                EventBody::Returned {
                    item: card,
                    to_locker: locker,
                    card_check: CardCheck::Matched,
                },
            )?;
            history.checkouts += 1;
            history.returns += 1;
            since_sync += 2;
            if since_sync >= SYNC_EVERY {
                sync(phone, local, 0)?;
                since_sync = 0;
            }
            if reported.elapsed() >= Duration::from_secs(15) {
                println!(
                    "  history / 履歴: {} of {events} events, {date} ({:.0} s)",
                    phone.head().length,
                    started.elapsed().as_secs_f64()
                );
                reported = Instant::now();
            }
        }
    }
    sync(phone, local, 0)?;
    Ok(history)
}

/// Enroll `count` devices with the served hub at `url` (tokens issued from the hub directory `dir`, as
/// `azukari-hub enroll` does; each presented over HTTP, as a phone scanning the QR would), then keep each one in a
/// long-poll loop for `seconds`, or until standard input closes when `stdin_stops`. Their stores go to `work` (a
/// new temporary directory, removed at the end, when not given). Prints one line when every device waits, and
/// what the devices saw at the end.
pub fn run_devices(
    dir: &Path,
    url: &str,
    count: usize,
    seconds: u64,
    work: Option<&Path>,
    stdin_stops: bool,
) -> Result<ExitCode, Failure> {
    let made_work = work.is_none();
    let work: PathBuf = match work {
        Some(path) => path.to_path_buf(),
        None => std::env::temp_dir().join(format!("azukari-demo-devices-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work)?;
    let outcome = enroll_and_poll(dir, url, count, seconds, &work, stdin_stops);
    if made_work {
        let _ = std::fs::remove_dir_all(&work);
    }
    outcome
}

fn enroll_and_poll(
    dir: &Path,
    url: &str,
    count: usize,
    seconds: u64,
    work: &Path,
    stdin_stops: bool,
) -> Result<ExitCode, Failure> {
    let mut storage = SqliteStorage::open(&dir.join("hub.sqlite"))?;
    let facility = match storage.facilities()?.as_slice() {
        [only] => only.facility,
        _ => {
            return Err(
                "the hub directory serves no facility, or several / このハブの施設が見つかりません"
                    .into(),
            );
        }
    };
    let client = HubClient::new(url, None)?;
    let started = Instant::now();
    let mut stores = Vec::with_capacity(count);
    for n in 0..count {
        let label = format!("ベンチ端末 / bench device {}", n + 1);
        let offer = azukari_hub::service::offer_enrollment(
            &mut storage,
            facility,
            &label,
            azukari_hub::service::TOKEN_MINUTES,
            SystemClock.now(),
        )?;
        let pending = PendingEnrollment::new()?;
        let response = client.enroll(&pending.request(&offer.token))?;
        let store = pending.finish(
            &response,
            None,
            &work.join(format!("device-{n}.azukari")),
            &FileKeyVault::new(work.join(format!("device-{n}.key"))),
            Arc::new(SystemClock),
        )?;
        stores.push(store);
    }
    drop(storage);
    println!(
        "enrolled / 登録しました: {count} devices in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let stop = Arc::new(AtomicBool::new(false));
    if stdin_stops {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            stop.store(true, Ordering::SeqCst);
        });
    }
    let waiting = Arc::new(AtomicUsize::new(0));
    let pulls = Arc::new(AtomicU64::new(0));
    let events = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::with_capacity(count);
    for store in stores {
        let counters = Counters {
            stop: stop.clone(),
            waiting: waiting.clone(),
            pulls: pulls.clone(),
            events: events.clone(),
            failures: failures.clone(),
        };
        let url = url.to_string();
        threads.push(
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || poll(&store, &url, &counters))?,
        );
    }
    // Every device has had its first answer and holds its next pull (give the last ones a moment to be sent).
    let deadline = Instant::now() + Duration::from_secs(120);
    while waiting.load(Ordering::SeqCst) < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "ready / 接続完了: {} of {count} devices hold long-poll pulls (wait {DEVICE_WAIT_MS} ms) for {seconds} s",
        waiting.load(Ordering::SeqCst)
    );
    let pulls_at_start = pulls.load(Ordering::SeqCst);
    let events_at_start = events.load(Ordering::SeqCst);
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::SeqCst);
    println!(
        "devices done / 終了: {} pulls answered, {} events taken in, {} failed",
        pulls.load(Ordering::SeqCst) - pulls_at_start,
        events.load(Ordering::SeqCst) - events_at_start,
        failures.load(Ordering::SeqCst)
    );
    // The threads end with their current pull (at most the wait); the process may stop before.
    Ok(ExitCode::SUCCESS)
}

/// What the device threads share.
struct Counters {
    stop: Arc<AtomicBool>,
    waiting: Arc<AtomicUsize>,
    pulls: Arc<AtomicU64>,
    events: Arc<AtomicU64>,
    failures: Arc<AtomicU64>,
}

/// One caught-up device: pull from the log's end with a wait, take in what came, pull again.
fn poll(store: &Store, url: &str, counters: &Counters) {
    let Ok(client) = HubClient::new(url, None) else {
        counters.failures.fetch_add(1, Ordering::SeqCst);
        return;
    };
    let mut from = None;
    let mut keys_from = u64::MAX;
    let mut counted = false;
    while !counters.stop.load(Ordering::SeqCst) {
        let size = match from {
            Some(size) => size,
            None => match client
                .checkpoint()
                .ok()
                .and_then(|note| checkpoint_size(&note))
            {
                Some(size) => size,
                None => {
                    counters.failures.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(500));
                    continue;
                }
            },
        };
        let request = PullRequest {
            from: size,
            limit: 256,
            known_size: size,
            keys_from,
            prove: Vec::new(),
            wait_ms: if from.is_some() { DEVICE_WAIT_MS } else { 0 },
        };
        let answer = request_body(&request)
            .ok()
            .and_then(|body| store.authorize_request(Route::Pull, &body).ok())
            .map(|auth| client.pull(&request, &auth));
        match answer {
            Some(Ok(response)) => {
                let taken = response.events.len() as u64;
                from = Some(response.events.last().map_or(size, |last| last.index + 1));
                keys_from = response.keys_next;
                counters.pulls.fetch_add(1, Ordering::SeqCst);
                counters.events.fetch_add(taken, Ordering::SeqCst);
                if !counted {
                    counted = true;
                    counters.waiting.fetch_add(1, Ordering::SeqCst);
                }
            }
            _ => {
                if !counters.stop.load(Ordering::SeqCst) {
                    counters.failures.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }
}

/// The tree size of a signed checkpoint (its second line).
fn checkpoint_size(note: &str) -> Option<u64> {
    note.lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
}
