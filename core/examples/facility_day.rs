//! The main job until the hub exists: create a facility store, record a day of handovers, verify the ledger and
//! print the custody board.
//!
//! ```text
//! cargo run -p azukari-core --example facility_day [-- DIRECTORY]
//! ```
//! Without a directory, a new one is made under the system's temporary directory.

use azukari_core::clock::{Clock, ManualClock, Timestamp};
use azukari_core::crypto::{FileKeyVault, KdfParams, generate_recovery_passphrase};
use azukari_core::custody::Custody;
use azukari_core::demo;
use azukari_core::ledger::VerifyMode;
use azukari_core::model::{ItemKind, Purpose};
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
    println!();
    let state = store.state();
    let now = clock.now();
    let mut rows = Vec::new();
    for record in state.items.values() {
        let resident = state
            .residents
            .get(&record.item.resident)
            .ok_or("unknown resident")?;
        let name = store.resident_name(resident)?;
        let kind = match record.item.kind {
            ItemKind::MynaCard { .. } => "マイナ保険証 / My Number card",
            ItemKind::PinEnvelope { .. } => "暗証番号封筒 / PIN envelope",
            ItemKind::EligibilityCertificate => "資格確認書 / eligibility certificate",
            ItemKind::EligibilityNotice => "資格情報のお知らせ / eligibility notice",
            ItemKind::CareInsuranceCard => "介護保険証 / care-insurance card",
            ItemKind::LegacyInsuranceCard => "健康保険証(旧) / legacy card",
        };
        let place = match &record.custody {
            Custody::InLocker { locker, .. } => {
                let locker = state
                    .lockers
                    .get(locker)
                    .map(|l| l.name.as_str())
                    .unwrap_or("?");
                format!("保管中 / in {locker}")
            }
            Custody::Out {
                holder,
                purpose,
                due_at,
                ..
            } => {
                let holder = state
                    .staff
                    .get(holder)
                    .map(|s| store.staff_name(s))
                    .transpose()?;
                let overdue = if *due_at < now {
                    " 期限超過 / OVERDUE"
                } else {
                    ""
                };
                let why = match purpose {
                    Purpose::MedicalVisit => "受診 / medical visit",
                    _ => "持ち出し / out",
                };
                format!(
                    "持出中 / out with {} ({why}), due {due_at}{overdue}",
                    holder.as_deref().map(|s| s.as_str()).unwrap_or("?")
                )
            }
            Custody::WithHospital { .. } => "病院に預け / with hospital".into(),
            Custody::Lost { .. } => "紛失 / lost".into(),
            Custody::Released { .. } => "返却済 / released".into(),
        };
        rows.push(format!("  {:<12} {:<36} {}", name.as_str(), kind, place));
    }
    rows.sort();
    for row in rows {
        println!("{row}");
    }
    let discrepancies = state.discrepancies(now);
    println!();
    println!("discrepancies / 不整合: {}", discrepancies.len());
    for discrepancy in discrepancies {
        println!("  {discrepancy:?}");
    }
    Ok(())
}
