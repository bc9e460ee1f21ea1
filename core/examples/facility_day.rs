//! The main job until the hub exists: create a facility store, record a day of handovers, verify the ledger and
//! print the custody board.
//!
//! ```text
//! cargo run -p azukari-core --example facility_day [-- DIRECTORY]
//! ```
//! Without a directory, a new one is made under the system's temporary directory.

use azukari_core::clock::{Clock, ManualClock, Timestamp};
use azukari_core::crypto::{FileKeyVault, KdfParams, generate_recovery_passphrase};
use azukari_core::demo;
use azukari_core::flows::Session;
use azukari_core::flows::board::BoardFlow;
use azukari_core::ledger::VerifyMode;
use azukari_core::store::{CreateOptions, OpenOptions, Store, Unlock};
use std::path::PathBuf;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("azukari-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("facility.azukari");
    let vault = FileKeyVault::new(dir.join("device.key"));
    let passphrase = generate_recovery_passphrase()?;

    let start =
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24).and_then(|d| Timestamp::from_tokyo(d, 7, 30));
    let clock = Arc::new(ManualClock::new(start.ok_or("bad start date")?));
    let options = CreateOptions {
        facility_name: "グループホームあずかり",
        recovery_passphrase: &passphrase,
        kdf: KdfParams::default(),
        vault: &vault,
    };
    let mut store = Store::create(&db, options, clock.clone())?;
    let facility = demo::seed(&mut store, 8)?;
    let day = demo::record_day(&mut store, &facility, &clock)?;
    store.close()?;

    // Open again as the device would the next morning: unlocked through the key vault, state from the snapshot.
    let store = Store::open(
        &db,
        Unlock::Vault(&vault),
        OpenOptions::default(),
        clock.clone(),
    )?;
    let report = store.verify(VerifyMode::EverySignature)?;

    println!("預かり台帳 / Custody board — {}", clock.now());
    println!("store: {}", db.display());
    println!(
        "recovery passphrase (write it down, keep it in the safe) / 復旧用パスフレーズ: {}",
        passphrase.as_str()
    );
    println!(
        "ledger verified / 管理簿の検証: {} events, {} device(s), every signature valid",
        report.events, report.devices
    );
    println!(
        "today / 本日: {} checkouts, {} returns, {} handovers between staff",
        day.checkouts, day.returns, day.handovers
    );
    // The custody board as the supervisor's tablet shows it: the board flow's view, every string from the
    // message catalogue (Japanese), signed in as the supervisor.
    let mut session = Session::new(store)?;
    session.sign_in(facility.supervisor)?;
    let board = BoardFlow::new().view(&session);
    println!();
    println!("{} — {}", board.title, board.as_of);
    println!("{}", board.summary);
    for section in [&board.held, &board.out, &board.overdue] {
        println!();
        println!("■ {}", section.heading);
        if section.items.is_empty() {
            println!("  {}", section.empty_text);
        }
        for item in &section.items {
            println!(
                "  {:<12} {:<16} {}",
                item.resident_name, item.kind, item.custody
            );
        }
    }
    println!();
    println!("■ {}", board.alerts_heading);
    for alert in &board.alerts {
        println!("  [{}] {}", alert.severity_label, alert.message);
    }
    println!();
    println!("■ {}", board.discrepancies_heading);
    if board.discrepancies.is_empty() {
        println!("  {}", board.discrepancies_empty_text);
    }
    for discrepancy in &board.discrepancies {
        println!("  {}", discrepancy.message);
    }
    session.into_store().close()?;
    Ok(())
}
