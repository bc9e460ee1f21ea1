//! `azukari-hub`: the facility hub's command line. See `azukari-hub --help`.

use azukari_core::clock::{Clock, ManualClock, SystemClock, Timestamp};
use azukari_core::crypto::{KdfParams, generate_recovery_passphrase};
use azukari_core::demo;
use azukari_core::flows::Session;
use azukari_core::flows::board::BoardFlow;
use azukari_core::flows::ledger_book::ledger_csv;
use azukari_core::sync::{PendingEnrollment, sync};
use azukari_hub::bundle::{MAX_BUNDLE_BYTES, ProofBundle, make_bundle, verify_bundle};
use azukari_hub::files::{lock_hub_dir, read_bounded, write_export};
use azukari_hub::service::{Hub, InitOptions, LocalHub, MAX_TOKEN_MINUTES, TOKEN_MINUTES};
use azukari_hub::storage::{HubStorage, PostgresStorage, SqliteStorage};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

mod demo_load;

type Failure = Box<dyn std::error::Error>;

/// The largest key or checkpoint file `verify` reads.
const MAX_NOTE_BYTES: u64 = 64 * 1024;

/// The Azukari facility hub: sync server, tamper-evident log, exports and offline verification.
#[derive(Parser)]
#[command(name = "azukari-hub", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a facility and this hub's keys in a directory.
    Init {
        /// The hub directory.
        #[arg(long, default_value = "azukari-hub")]
        dir: PathBuf,
        /// The facility's name.
        #[arg(long)]
        name: String,
        /// The hub's host name (goes into the checkpoint key's name and the certificate).
        #[arg(long, default_value = "localhost")]
        host: String,
        /// Keep the log in PostgreSQL at this URL instead of `DIR/hub.sqlite`.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Serve the hub (HTTPS; plain HTTP only on loopback). One hub serves a directory at a time (`hub.lock`).
    /// Logs are JSON lines on standard error; `AZUKARI_LOG` sets what is logged (default `info`; `debug` adds a
    /// line per request).
    Serve {
        /// The hub directory.
        #[arg(long, default_value = "azukari-hub")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: std::net::SocketAddr,
        /// The log's PostgreSQL URL, if it is not `DIR/hub.sqlite`.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Issue a one-time enrollment QR for a new device (works while the hub serves).
    Enroll {
        /// The hub directory.
        #[arg(long, default_value = "azukari-hub")]
        dir: PathBuf,
        /// The device's label, e.g. "2F タブレット".
        #[arg(long)]
        label: String,
        /// The hub's address as devices reach it, e.g. https://hub.local:8443.
        #[arg(long)]
        url: String,
        /// How long the QR works, in minutes (1 to 10080, a week).
        #[arg(long, default_value_t = TOKEN_MINUTES, value_parser = clap::value_parser!(i64).range(1..=MAX_TOKEN_MINUTES))]
        minutes: i64,
        /// The log's PostgreSQL URL, if it is not `DIR/hub.sqlite`.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// A seeded demonstration facility with a week of handovers, in a new directory.
    Demo {
        /// Where to create it (default: a new directory under the system's temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Then serve it and print the browser console's address and one-time passkey links.
        #[arg(long)]
        serve: bool,
        /// Address to serve on (with --serve; loopback, plain HTTP).
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: std::net::SocketAddr,
        /// Also write the one-time links as JSON to this file (with --serve; for the browser tests).
        #[arg(long)]
        links: Option<PathBuf>,
        /// Instead of a week, record history until the ledger holds this many events: ten years at most of a
        /// 100-resident facility (for benchmarks; 200,000 takes a few minutes in a release build).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1_000..=5_000_000))]
        history_events: Option<u64>,
        /// Serve the demo already in --dir (made earlier by `demo --dir`) with fresh one-time links, instead of
        /// making a new one (with --serve).
        #[arg(long, requires = "dir", requires = "serve")]
        existing: bool,
    },
    /// Issue a one-time link with which a member of staff registers a passkey for the browser console.
    StaffLink {
        /// The hub directory.
        #[arg(long, default_value = "azukari-hub")]
        dir: PathBuf,
        /// The member of staff's id (default: the first administrator).
        #[arg(long)]
        staff: Option<String>,
        /// The console's address as browsers reach it (default: `DIR/web-origin`, else http://localhost:8443).
        #[arg(long)]
        url: Option<String>,
        /// How long the link works, in minutes.
        #[arg(long, default_value_t = azukari_hub::web::STAFF_LINK_MINUTES)]
        minutes: i64,
    },
    /// The demo's caregiver phone: ask for a checkout that needs a supervisor's approval, sync it to the served
    /// hub, and wait for the answer (what a supervisor sees live in the browser console).
    DemoPhone {
        /// The demo's directory.
        #[arg(long)]
        dir: PathBuf,
        /// The served hub.
        #[arg(long, default_value = "http://127.0.0.1:8443")]
        url: String,
        /// How many requests to make (each for another item).
        #[arg(long, default_value_t = 1)]
        requests: usize,
        /// How long to wait for the answers, in seconds (0: do not wait).
        #[arg(long, default_value_t = 120)]
        wait: u64,
        /// Make the requests one at a time, this many milliseconds apart, each pushed at once and printed with
        /// the Unix time in milliseconds of the tap and of the push's answer (for the browser benchmark).
        #[arg(long)]
        pace_ms: Option<u64>,
    },
    /// Enroll many devices with the served demo hub and keep each one holding a long-poll pull, as caught-up
    /// phones and tablets do between taps (for the browser benchmark).
    DemoDevices {
        /// The demo's directory (the hub's, for the enrollment tokens).
        #[arg(long)]
        dir: PathBuf,
        /// The served hub.
        #[arg(long, default_value = "http://127.0.0.1:8443")]
        url: String,
        /// How many devices.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000))]
        count: u64,
        /// How long they stay connected once all are waiting, in seconds.
        #[arg(long, default_value_t = 300)]
        seconds: u64,
        /// Where the devices' stores go (default: a new temporary directory, removed at the end).
        #[arg(long)]
        work: Option<PathBuf>,
        /// Also stop when standard input closes (for the benchmark script).
        #[arg(long)]
        stdin_stops: bool,
    },
    /// Export the 管理簿 as CSV (Excel, Japanese) and the auditor's proof bundle.
    Export {
        /// The hub directory.
        #[arg(long, default_value = "azukari-hub")]
        dir: PathBuf,
        /// Write the 管理簿 CSV here.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write the proof bundle (JSON) here.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// Replace the files if they exist (never one of the hub's own files).
        #[arg(long)]
        replace: bool,
        /// The log's PostgreSQL URL, if it is not `DIR/hub.sqlite`.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Verify a proof bundle offline and report the first problem found.
    Verify {
        /// The bundle (JSON).
        bundle: PathBuf,
        /// The hub's checkpoint key as you know it (a file with `name+id+key`, e.g. the hub's checkpoint.pub).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A signed checkpoint you kept from earlier: the log must be consistent with it.
        #[arg(long)]
        since: Option<PathBuf>,
    },
}

/// Logs: JSON lines on standard error (one object per line, for a log system), filtered by `AZUKARI_LOG`
/// (`tracing` directives such as `info` or `azukari_hub=debug`; `info` when unset).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AZUKARI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs();
    let result = match cli.command {
        Command::Init {
            dir,
            name,
            host,
            postgres,
        } => init(&dir, &name, &host, postgres.as_deref()),
        Command::Serve {
            dir,
            listen,
            postgres,
        } => serve(&dir, listen, postgres.as_deref()),
        Command::Enroll {
            dir,
            label,
            url,
            minutes,
            postgres,
        } => enroll(&dir, &label, &url, minutes, postgres.as_deref()),
        Command::Demo {
            dir,
            serve,
            listen,
            links,
            history_events,
            existing,
        } => match (existing, dir) {
            (true, Some(dir)) => serve_demo(&dir, listen, links.as_deref()),
            (_, dir) => run_demo(dir, history_events).and_then(|(code, dir)| {
                if serve {
                    serve_demo(&dir, listen, links.as_deref())
                } else {
                    Ok(code)
                }
            }),
        },
        Command::StaffLink {
            dir,
            staff,
            url,
            minutes,
        } => staff_link(&dir, staff.as_deref(), url.as_deref(), minutes),
        Command::DemoPhone {
            dir,
            url,
            requests,
            wait,
            pace_ms,
        } => demo_phone(&dir, &url, requests, wait, pace_ms),
        Command::DemoDevices {
            dir,
            url,
            count,
            seconds,
            work,
            stdin_stops,
        } => demo_load::run_devices(
            &dir,
            &url,
            count as usize,
            seconds,
            work.as_deref(),
            stdin_stops,
        ),
        Command::Export {
            dir,
            csv,
            bundle,
            replace,
            postgres,
        } => export(
            &dir,
            csv.as_deref(),
            bundle.as_deref(),
            replace,
            postgres.as_deref(),
        ),
        Command::Verify { bundle, key, since } => verify(&bundle, key.as_deref(), since.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error / エラー: {error}");
            ExitCode::from(2)
        }
    }
}

fn storage(dir: &Path, postgres: Option<&str>) -> Result<Box<dyn HubStorage>, Failure> {
    Ok(match postgres {
        Some(url) => Box::new(PostgresStorage::connect(url)?),
        None => Box::new(SqliteStorage::open(&dir.join("hub.sqlite"))?),
    })
}

/// Create a hub directory, all or nothing: everything is made in a new folder beside `dir`, which becomes `dir` only
/// once the facility, its keys and its certificate all exist. An existing `dir` must be empty.
fn init(dir: &Path, name: &str, host: &str, postgres: Option<&str>) -> Result<ExitCode, Failure> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(format!(
            "{} already exists and is not empty; init makes a new hub only in a new or empty directory / {} は空ではありません。新しいディレクトリか空のディレクトリを指定してください",
            dir.display(),
            dir.display()
        )
        .into());
    }
    let name_of_dir = dir
        .file_name()
        .ok_or("the hub directory needs a name / ディレクトリ名を指定してください")?;
    let mut staging_name = name_of_dir.to_os_string();
    staging_name.push(format!(".init-{}", std::process::id()));
    let staging = dir.with_file_name(staging_name);
    std::fs::create_dir_all(&staging)?;
    match init_in(&staging, name, host, postgres) {
        Ok(verifier_key) => {
            if dir.exists() {
                std::fs::remove_dir(dir)?;
            }
            if let Err(error) = std::fs::rename(&staging, dir) {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(error.into());
            }
            let tls = azukari_hub::server::TlsFiles::in_hub_dir(dir);
            println!("facility created / 施設を作成しました: {name}");
            println!(
                "TLS certificate / 証明書: {} (SHA-256 {})",
                tls.cert.display(),
                tls.fingerprint()?
            );
            println!("hub directory / ハブのディレクトリ: {}", dir.display());
            println!(
                "recovery passphrase (write it down, keep it in the safe) / 復旧用パスフレーズ（金庫に保管）: {}",
                verifier_key.1.as_str()
            );
            println!("checkpoint key / チェックポイント鍵: {}", verifier_key.0);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

/// Make a hub in `dir`; returns its checkpoint key and the recovery passphrase.
fn init_in(
    dir: &Path,
    name: &str,
    host: &str,
    postgres: Option<&str>,
) -> Result<(String, zeroize::Zeroizing<String>), Failure> {
    let passphrase = generate_recovery_passphrase()?;
    let _lock = lock_hub_dir(dir)?;
    let mut hub = Hub::init(
        dir,
        storage(dir, postgres)?,
        InitOptions {
            facility_name: name,
            recovery_passphrase: &passphrase,
            kdf: KdfParams::default(),
            key_name: host,
        },
        Arc::new(SystemClock),
    )?;
    azukari_hub::server::make_self_signed_cert(dir, &[host.to_string()])?;
    let key = hub.log().verifier_key().to_string();
    Ok((key, passphrase))
}

fn serve(
    dir: &Path,
    listen: std::net::SocketAddr,
    postgres: Option<&str>,
) -> Result<ExitCode, Failure> {
    // One hub per directory: a second `serve` stops here, before it opens anything.
    let _lock = lock_hub_dir(dir)?;
    let hub = Hub::open(dir, storage(dir, postgres)?, Arc::new(SystemClock))?;
    let files = azukari_hub::server::TlsFiles::in_hub_dir(dir);
    let tls = files.exist().then_some(files);
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("serving / 起動中: {scheme}://{listen} (Ctrl-C to stop / 停止は Ctrl-C)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(azukari_hub::server::serve(hub, listen, tls))?;
    Ok(ExitCode::SUCCESS)
}

/// Issue an enrollment QR from the hub directory's storage, checkpoint key and certificate.
fn enroll(
    dir: &Path,
    label: &str,
    url: &str,
    minutes: i64,
    postgres: Option<&str>,
) -> Result<ExitCode, Failure> {
    let mut storage = storage(dir, postgres)?;
    let facility =
        match storage.facilities()?.as_slice() {
            [only] => only.facility,
            _ => return Err(
                "the hub directory serves no facility, or several / このハブの施設が見つかりません"
                    .into(),
            ),
        };
    let key_path = dir.join("checkpoint.pub");
    let checkpoint_key = std::fs::read_to_string(&key_path).map_err(|e| {
        format!(
            "cannot read {} ({e}); is this a hub directory? / {} を読めません（ハブのディレクトリですか）",
            key_path.display(),
            key_path.display()
        )
    })?;
    let files = azukari_hub::server::TlsFiles::in_hub_dir(dir);
    let fingerprint = if files.exist() {
        Some(files.fingerprint()?)
    } else {
        None
    };
    let offer = azukari_hub::service::offer_enrollment(
        storage.as_mut(),
        facility,
        label,
        minutes,
        SystemClock.now(),
    )?;
    let text = offer.qr_text(url, fingerprint.as_deref(), checkpoint_key.trim());
    println!(
        "enrollment QR for {label} (valid {minutes} min, one device) / {label} の登録用QR（{minutes}分有効、1台のみ）:"
    );
    print_qr(&text)?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The demo: a facility on a hub, a caregiver's phone enrolled in process, a week of handovers synced every day
/// (or, with `history_events`, years of handovers until the ledger holds that many events: see [`demo_load`]).
fn run_demo(
    dir: Option<PathBuf>,
    history_events: Option<u64>,
) -> Result<(ExitCode, PathBuf), Failure> {
    let dir = match dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("azukari-hub-demo-{}", std::process::id())),
    };
    if dir.exists() {
        return Err(format!(
            "{} already exists; choose a new directory / 既に存在します。別のディレクトリを指定してください",
            dir.display()
        )
        .into());
    }
    let today = SystemClock.now().tokyo_date();
    let start = match history_events {
        Some(_) => Some(demo_load::seed_day(today)),
        None => chrono::NaiveDate::from_ymd_opt(2026, 11, 17),
    }
    .and_then(|d| Timestamp::from_tokyo(d, 7, 30))
    .ok_or("bad start date")?;
    let clock = Arc::new(ManualClock::new(start));
    let passphrase = generate_recovery_passphrase()?;
    std::fs::create_dir_all(&dir)?;
    let mut hub = Hub::init(
        &dir,
        storage(&dir, None)?,
        InitOptions {
            facility_name: "グループホームあずかり",
            recovery_passphrase: &passphrase,
            kdf: KdfParams::default(),
            key_name: "localhost",
        },
        clock.clone(),
    )?;
    let residents = match history_events {
        Some(_) => demo_load::HISTORY_RESIDENTS,
        None => 8,
    };
    let facility = demo::seed(hub.store()?, residents)?;
    hub.publish_own()?;
    let local = LocalHub::new(hub);

    // A caregiver's phone enrolls with a one-time token, as it would by scanning the QR.
    let offer = local.with(|h| h.offer_enrollment("1F スマートフォン", TOKEN_MINUTES))??;
    let pending = PendingEnrollment::new()?;
    let response = local.with(|h| h.enroll(&pending.request(&offer.token)))??;
    let phone_vault = azukari_core::crypto::FileKeyVault::new(dir.join("phone.key"));
    let mut phone = pending.finish(
        &response,
        None,
        &dir.join("phone.azukari"),
        &phone_vault,
        clock.clone(),
    )?;
    sync(&mut phone, &local, 0)?;

    let mut totals = (0, 0, 0);
    let mut recorded = None;
    match history_events {
        Some(events) => {
            println!(
                "recording history until the ledger holds {events} events / {events}件になるまで履歴を記録します"
            );
            let started = std::time::Instant::now();
            let made =
                demo_load::record_history(&mut phone, &local, &facility, &clock, today, events)?;
            recorded = Some((made, started.elapsed()));
        }
        None => {
            for _ in 0..7 {
                let day = demo::record_day(&mut phone, &facility, &clock)?;
                totals = (
                    totals.0 + day.checkouts,
                    totals.1 + day.returns,
                    totals.2 + day.handovers,
                );
                sync(&mut phone, &local, 0)?;
            }
        }
    }

    let (head, verifier_key, store_report) = local.with(|h| -> Result<_, Failure> {
        let head = h.log().tree_head();
        let key = h.log().verifier_key().to_string();
        let report = h
            .store()?
            .verify(azukari_core::ledger::VerifyMode::EverySignature)?;
        Ok((head, key, report))
    })??;
    println!("Azukari hub demo / 預かりハブのデモ — {}", clock.now());
    println!("hub directory / ハブのディレクトリ: {}", dir.display());
    match recorded {
        Some((made, took)) => println!(
            "history on a caregiver's phone / 端末で記録した履歴: {} checkouts, {} returns, {} trainings, {} to {} ({:.0} s)",
            made.checkouts,
            made.returns,
            made.trainings,
            made.first_day.map(|d| d.to_string()).unwrap_or_default(),
            made.last_day.map(|d| d.to_string()).unwrap_or_default(),
            took.as_secs_f64()
        ),
        None => println!(
            "a week of handovers on a caregiver's phone, synced daily / 1週間分の持出・返却（端末から毎日同期）: {} checkouts, {} returns, {} handovers",
            totals.0, totals.1, totals.2
        ),
    }
    println!(
        "hub log / ハブの記録: {} events, {} device(s), Merkle root {}",
        head.size,
        store_report.devices,
        head.root.to_hex()
    );
    println!("checkpoint key / チェックポイント鍵: {verifier_key}");

    // The board as the supervisor's tablet would show it, from the hub's copy of the ledger.
    let store = local.with(|h| h.store().map(|s| s.path().to_path_buf()))??;
    drop(phone);
    let hub = local
        .into_hub()
        .ok_or("the demo hub is still shared / ハブが使用中です")?;
    let mut session = Session::new(hub.into_store()?)?;
    session.sign_in(facility.supervisor)?;
    let board = BoardFlow::new().view(&session);
    println!();
    println!("{} — {}", board.title, board.as_of);
    println!("{}", board.summary);
    for section in [&board.held, &board.out, &board.overdue] {
        println!("■ {} ({})", section.heading, section.items.len());
    }
    let csv_path = dir.join("kanribo.csv");
    write_export(&dir, &csv_path, &ledger_csv(&session)?, false)?;
    session.into_store().close()?;
    // The next device's token runs on the real clock, so it still works when the hub is served now.
    let mut hub = Hub::open(&dir, storage(&dir, None)?, Arc::new(SystemClock))?;
    let next_offer = hub.offer_enrollment("2F タブレット", TOKEN_MINUTES)?;
    drop(hub);
    println!();
    println!("管理簿 CSV (Excel): {}", csv_path.display());
    println!("store / 台帳ファイル: {}", store.display());
    println!();
    println!("to serve it / 起動するには:");
    println!(
        "  cargo run --release -p azukari-hub -- serve --dir {}   (then open http://127.0.0.1:8443/healthz)",
        dir.display()
    );
    println!(
        "  cargo run --release -p azukari-hub -- export --dir {} --bundle proof.json && cargo run --release -p azukari-hub -- verify proof.json --key {}",
        dir.display(),
        dir.join("checkpoint.pub").display()
    );
    println!();
    println!(
        "enrollment QR for the next device (valid {TOKEN_MINUTES} min) / 次の端末の登録用QR（{TOKEN_MINUTES}分有効）:"
    );
    let text = next_offer.qr_text("http://127.0.0.1:8443", None, &verifier_key);
    print_qr(&text)?;
    println!("{text}");
    Ok((ExitCode::SUCCESS, dir))
}

/// Serve the demo hub with its browser console: one-time passkey links for the administrator and the
/// supervisor, and a family link for the first resident's agreement, printed (and written as JSON to `links`).
fn serve_demo(
    dir: &Path,
    listen: std::net::SocketAddr,
    links: Option<&Path>,
) -> Result<ExitCode, Failure> {
    use azukari_core::model::Role;
    use azukari_hub::web::store::{LinkKind, WebStore};
    let mut hub = Hub::open(dir, storage(dir, None)?, Arc::new(SystemClock))?;
    let (admin, supervisor, agreement) = {
        let session = hub.session()?;
        let state = session.store().state();
        let admin = state
            .staff
            .values()
            .find(|s| s.active && s.has_role(Role::Admin))
            .map(|s| s.id)
            .ok_or("no administrator")?;
        let supervisor = state
            .staff
            .values()
            .find(|s| s.active && s.has_role(Role::Supervisor) && !s.has_role(Role::Admin))
            .map(|s| s.id)
            .ok_or("no supervisor")?;
        let now = session.now();
        // The family link shows the resident with the longest history, so its history page has something to show
        // (then the earliest signed, the id breaking ties: the same choice on every run).
        let records = |resident| {
            azukari_core::flows::ledger_book::resident_records(session, resident, None)
                .map_or(0, |records| records.len())
        };
        let agreement = state
            .agreements
            .values()
            .filter(|a| a.is_active_at(now))
            .min_by_key(|a| (std::cmp::Reverse(records(a.resident)), a.signed_at, a.id))
            .map(|a| a.id)
            .ok_or("no agreement")?;
        (admin, supervisor, agreement)
    };
    let origin = azukari_hub::web::origin_for(dir, listen, false);
    let web = WebStore::open_in(dir)?;
    let now = SystemClock.now().0;
    let admin_link = format!(
        "{origin}/enrol?t={}",
        web.issue_link(
            LinkKind::Staff(admin),
            now,
            azukari_hub::web::STAFF_LINK_MINUTES
        )?
    );
    let supervisor_link = format!(
        "{origin}/enrol?t={}",
        web.issue_link(
            LinkKind::Staff(supervisor),
            now,
            azukari_hub::web::STAFF_LINK_MINUTES
        )?
    );
    let family_link = format!(
        "{origin}/f?t={}",
        web.issue_link(
            LinkKind::Family(agreement),
            now,
            azukari_hub::web::FAMILY_LINK_MINUTES
        )?
    );
    drop(web);
    println!();
    println!("browser console / ブラウザの管理画面: {origin}/console");
    println!(
        "  administrator's passkey link (one use, 30 min) / 管理者のパスキー登録リンク: {admin_link}"
    );
    println!(
        "  supervisor's passkey link (one use, 30 min) / 責任者のパスキー登録リンク: {supervisor_link}"
    );
    println!("  family link of the first agreement (one use) / 家族用リンク: {family_link}");
    println!(
        "  a caregiver's phone asks for approval / 介護職員の端末から承認を依頼: cargo run -p azukari-hub -- demo-phone --dir {} --url http://{listen}",
        dir.display()
    );
    if let Some(path) = links {
        let json = serde_json::json!({
            "origin": origin,
            "console": format!("{origin}/console"),
            "admin": admin_link,
            "supervisor": supervisor_link,
            "family": family_link,
            "dir": dir.display().to_string(),
        });
        std::fs::write(path, serde_json::to_vec_pretty(&json)?)?;
    }
    println!("serving / 起動中: http://{listen} (Ctrl-C to stop / 停止は Ctrl-C)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(azukari_hub::server::serve(hub, listen, None))?;
    Ok(ExitCode::SUCCESS)
}

/// Print a one-time passkey enrolment link for a member of staff.
fn staff_link(
    dir: &Path,
    staff: Option<&str>,
    url: Option<&str>,
    minutes: i64,
) -> Result<ExitCode, Failure> {
    use azukari_core::model::{Role, StaffId};
    use azukari_hub::web::store::{LinkKind, WebStore};
    let mut hub = Hub::open(dir, storage(dir, None)?, Arc::new(SystemClock))?;
    let session = hub.session()?;
    let state = session.store().state();
    let id = match staff {
        Some(text) => StaffId(uuid::Uuid::parse_str(text)?),
        None => state
            .staff
            .values()
            .find(|s| s.active && s.has_role(Role::Admin))
            .map(|s| s.id)
            .ok_or("no administrator / 管理者がいません")?,
    };
    if !state.staff.get(&id).is_some_and(|s| s.active) {
        return Err("no such member of staff / 該当する職員がいません".into());
    }
    let origin = match url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => azukari_hub::web::origin_for(
            dir,
            std::net::SocketAddr::from(([127, 0, 0, 1], 8443)),
            false,
        ),
    };
    let token =
        WebStore::open_in(dir)?.issue_link(LinkKind::Staff(id), SystemClock.now().0, minutes)?;
    let link = format!("{origin}/enrol?t={token}");
    println!(
        "passkey enrolment link (one use, {minutes} min) / パスキー登録リンク（1回限り、{minutes}分有効）:"
    );
    print_qr(&link)?;
    println!("{link}");
    Ok(ExitCode::SUCCESS)
}

/// The demo's caregiver phone asks for `count` checkouts that need approval, then waits for the supervisor's
/// answers: exit 0 when all were approved, 3 when one was denied, 4 when time ran out. With `wait` 0 it does not
/// wait. With `pace_ms` it makes the requests one at a time, that far apart, each pushed at once and printed with
/// the Unix times in milliseconds of the tap and of the push's answer.
fn demo_phone(
    dir: &Path,
    url: &str,
    count: usize,
    wait: u64,
    pace_ms: Option<u64>,
) -> Result<ExitCode, Failure> {
    use azukari_core::custody::{Custody, RequestStatus};
    use azukari_core::model::Role;
    use azukari_core::store::{OpenOptions, Store, Unlock};
    let vault = azukari_core::crypto::FileKeyVault::new(dir.join("phone.key"));
    let store = Store::open(
        &dir.join("phone.azukari"),
        Unlock::Vault(&vault),
        OpenOptions::default(),
        Arc::new(SystemClock),
    )?;
    let client = azukari_hub::client::HubClient::new(url, None)?;
    let mut session = Session::new(store)?;
    sync(session.store_mut(), &client, 0)?;
    let state = session.store().state().clone();
    let caregivers: Vec<_> = state
        .staff
        .values()
        .filter(|s| s.active && s.has_role(Role::Caregiver) && !s.has_role(Role::Supervisor))
        .map(|s| s.id)
        .collect();
    let items: Vec<_> = state
        .items
        .values()
        .filter(|r| !r.retired && matches!(r.custody, Custody::InLocker { .. }))
        .map(|r| (r.item.id, r.item.home_locker))
        .collect();
    let mut asked = Vec::new();
    let mut waiting = Vec::new();
    match pace_ms {
        None => {
            let mut tapped = 0;
            while asked.len() < count
                && let Some(item) =
                    request_approval(&mut session, &caregivers, &items, &asked, &mut tapped)?
            {
                asked.push(item);
            }
            if asked.len() < count.max(1) {
                return Err("no checkout needs approval now / 承認が必要な持出がありません".into());
            }
            waiting = session
                .store()
                .state()
                .requests
                .iter()
                .filter(|(_, r)| asked.contains(&r.item) && r.status == RequestStatus::Pending)
                .map(|(id, _)| *id)
                .collect();
            sync(session.store_mut(), &client, 0)?;
            for request in &waiting {
                println!("requested / 承認を依頼しました: {}", request.0);
            }
        }
        Some(pace) => {
            for n in 0..count {
                if n > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(pace));
                }
                let before: std::collections::BTreeSet<_> =
                    session.store().state().requests.keys().copied().collect();
                let mut tapped = 0;
                let Some(item) =
                    request_approval(&mut session, &caregivers, &items, &asked, &mut tapped)?
                else {
                    return Err(
                        "no checkout needs approval now / 承認が必要な持出がありません".into(),
                    );
                };
                asked.push(item);
                let made: Vec<_> = session
                    .store()
                    .state()
                    .requests
                    .iter()
                    .filter(|(id, r)| r.item == item && !before.contains(*id))
                    .map(|(id, _)| *id)
                    .collect();
                sync(session.store_mut(), &client, 0)?;
                let pushed = unix_ms();
                for request in made {
                    println!(
                        "requested / 承認を依頼しました: {} (tapped {tapped} ms, pushed {pushed} ms)",
                        request.0
                    );
                    waiting.push(request);
                }
            }
        }
    }
    if wait == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
    let mut denied = false;
    while !waiting.is_empty() {
        if std::time::Instant::now() >= deadline {
            println!("no answer in {wait} s / {wait}秒以内に回答がありません");
            return Ok(ExitCode::from(4));
        }
        sync(session.store_mut(), &client, 5_000)?;
        let state = session.store().state();
        waiting.retain(
            |request| match state.requests.get(request).map(|r| r.status) {
                Some(RequestStatus::Granted(_)) => {
                    println!("approved / 承認されました: {}", request.0);
                    false
                }
                Some(RequestStatus::Denied(_)) => {
                    println!("denied / 却下されました: {}", request.0);
                    denied = true;
                    false
                }
                _ => true,
            },
        );
    }
    Ok(if denied {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// As one of `caregivers`, ask for a medical-visit checkout of one of `items` (not yet `asked`) that the rules
/// let through only with a supervisor's approval: the item asked for, or `None` when no checkout needs one.
/// `tapped` is set to the Unix time in milliseconds at which the request was asked for (the caregiver's tap).
fn request_approval(
    session: &mut Session,
    caregivers: &[azukari_core::model::StaffId],
    items: &[(azukari_core::model::ItemId, azukari_core::model::LockerId)],
    asked: &[azukari_core::model::ItemId],
    tapped: &mut u128,
) -> Result<Option<azukari_core::model::ItemId>, Failure> {
    use azukari_core::flows::handover::{
        HandoverFlow, HandoverIntent, HandoverStep, PurposeChoice,
    };
    for caregiver in caregivers {
        session.sign_in(*caregiver)?;
        for (item, locker) in items {
            if asked.contains(item) {
                continue;
            }
            let mut flow = HandoverFlow::new();
            let steps = [
                HandoverIntent::ScanLocker { locker: *locker },
                HandoverIntent::ChooseItem { item: *item },
                HandoverIntent::ChoosePurpose {
                    purpose: PurposeChoice::MedicalVisit,
                    note: None,
                },
            ];
            if steps
                .into_iter()
                .any(|intent| flow.handle(session, intent).is_err())
            {
                continue;
            }
            if flow.view(session).step != HandoverStep::NeedsApproval {
                continue;
            }
            *tapped = unix_ms();
            flow.handle(session, HandoverIntent::RequestApproval)?;
            session.sign_out();
            return Ok(Some(*item));
        }
        session.sign_out();
    }
    Ok(None)
}

/// Now, in Unix milliseconds (what a browser's `Date.now()` gives on the same machine).
fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn print_qr(text: &str) -> Result<(), Failure> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let rendered = code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    println!("{rendered}");
    Ok(())
}

fn export(
    dir: &Path,
    csv: Option<&Path>,
    bundle: Option<&Path>,
    replace: bool,
    postgres: Option<&str>,
) -> Result<ExitCode, Failure> {
    if csv.is_none() && bundle.is_none() {
        return Err(
            "say what to export: --csv FILE and/or --bundle FILE / 出力先を指定してください".into(),
        );
    }
    let mut hub = Hub::open(dir, storage(dir, postgres)?, Arc::new(SystemClock))?;
    if let Some(path) = bundle {
        let proof = make_bundle(hub.log())?;
        write_export(dir, path, &serde_json::to_vec_pretty(&proof)?, replace)?;
        println!(
            "proof bundle / 証明バンドル: {} ({} events)",
            path.display(),
            proof.events.len()
        );
    }
    if let Some(path) = csv {
        let session = Session::new(hub.into_store()?)?;
        write_export(dir, path, &ledger_csv(&session)?, replace)?;
        println!("管理簿 CSV: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(bundle: &Path, key: Option<&Path>, since: Option<&Path>) -> Result<ExitCode, Failure> {
    let proof: ProofBundle = serde_json::from_slice(&read_bounded(bundle, MAX_BUNDLE_BYTES)?)?;
    let small = |path: &Path| -> Result<String, Failure> {
        Ok(String::from_utf8(read_bounded(path, MAX_NOTE_BYTES)?)?)
    };
    let key = key.map(small).transpose()?;
    let since = since.map(small).transpose()?;
    match verify_bundle(&proof, key.as_deref(), since.as_deref()) {
        Ok(report) => {
            println!(
                "verified / 検証済み: {} events from {} device(s), every signature and chain valid, Merkle root {}",
                report.events, report.devices, report.root
            );
            println!(
                "passkey-signed decisions verified / パスキー署名の決定を検証: {} (registered passkeys / 登録パスキー: {})",
                report.signed_decisions, report.passkeys
            );
            if key.is_none() {
                println!(
                    "note: no --key given, so the bundle's own checkpoint key was trusted / 注意: --key 未指定のため、バンドル内の鍵を信頼しました"
                );
            }
            if let Some(size) = report.consistent_with {
                println!(
                    "consistent with your earlier checkpoint of {size} events / 以前のチェックポイント（{size}件）と整合"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("NOT VERIFIED / 検証できません: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}
