//! Test-only exports (cargo feature `testing`, enabled only by the cross-language test build in `scripts/test` and
//! the benchmark in `scripts/bench-app`): a facility founded with the core's fast, insecure test KDF, a clock the
//! test sets, test certificates for software My Number cards, and the printed labels a camera would read. None of
//! this is compiled into the apps or into the committed generated bindings.

use crate::app::AzukariApp;
use crate::platform::{KeyVault, VaultAdapter};
use azukari_core::card::software::{SoftwareCard, SoftwareCardSpec};
use azukari_core::clock::{Clock, ManualClock, SystemClock, Timestamp};
use azukari_core::crypto::{FileKeyVault, KdfParams};
use azukari_core::ledger::EventBody;
use azukari_core::model::{Role, Shift};
use azukari_core::store::{CreateOptions, Store};
use chrono::NaiveDate;
use std::path::Path;
use std::sync::Arc;

/// A test set-up failed (what, in English: tests only).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TestSetupError {
    /// The set-up could not be done.
    #[error("{detail}")]
    Failed {
        /// What went wrong.
        detail: String,
    },
}

fn failed(detail: impl std::fmt::Display) -> TestSetupError {
    TestSetupError::Failed {
        detail: detail.to_string(),
    }
}

/// A clock that stands still until the test moves it; starts at 2026-11-24 09:00 in Tokyo.
#[derive(uniffi::Object)]
pub struct TestClock {
    clock: Arc<ManualClock>,
}

#[uniffi::export]
impl TestClock {
    /// A clock at 2026-11-24 09:00 in Tokyo.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(TestClock {
            clock: Arc::new(ManualClock::new(azukari_core::testing::test_start())),
        })
    }

    /// Set the clock to `hour:minute` in Tokyo on the date it shows now.
    pub fn set_tokyo_time(&self, hour: u32, minute: u32) -> Result<(), TestSetupError> {
        let date = self.clock.now().tokyo_date();
        let at = Timestamp::from_tokyo(date, hour, minute).ok_or_else(|| failed("no such time"))?;
        self.clock.set(at);
        Ok(())
    }

    /// Move the clock forward by `minutes`.
    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance_minutes(minutes);
    }
}

/// Found a facility at `path` as the hub's `init` does, with the fast test KDF and `clock`: its store, protected
/// by `vault` and `recovery_passphrase`, and its founding administrator. The store is left closed: open it with
/// `app_for_tests`.
#[uniffi::export]
pub fn found_facility_for_tests(
    path: String,
    facility_name: String,
    administrator_name: String,
    recovery_passphrase: String,
    vault: Arc<dyn KeyVault>,
    clock: Arc<TestClock>,
) -> Result<(), TestSetupError> {
    let vault = VaultAdapter(vault);
    let options = CreateOptions {
        facility_name: &facility_name,
        recovery_passphrase: &recovery_passphrase,
        kdf: KdfParams::insecure_for_tests(),
        vault: &vault,
    };
    let mut store =
        Store::create(Path::new(&path), options, clock.clock.clone()).map_err(failed)?;
    let administrator = store
        .new_staff(
            &administrator_name,
            &[Role::Admin, Role::Supervisor],
            &[Shift::Day],
            None,
        )
        .map_err(failed)?;
    store
        .append(
            None,
            EventBody::StaffAdded {
                staff: administrator,
            },
        )
        .map_err(failed)?;
    store.close().map_err(failed)
}

/// The app for the store at `path`, like `AzukariApp.new`, but on the test's clock.
#[uniffi::export]
pub fn app_for_tests(
    path: String,
    vault: Arc<dyn KeyVault>,
    label_host: String,
    clock: Arc<TestClock>,
) -> Arc<AzukariApp> {
    AzukariApp::with_clock(path, vault, label_host, clock.clock.clone())
}

/// The app over an existing store whose key-encryption key is the file `key_path` (the core's file vault, as the
/// benchmarks' stores are made), on the system clock.
#[uniffi::export]
pub fn app_with_file_vault_for_tests(
    path: String,
    key_path: String,
    label_host: String,
) -> Arc<AzukariApp> {
    AzukariApp::with_core_vault(
        path,
        Arc::new(FileKeyVault::new(key_path)),
        label_host,
        Arc::new(SystemClock),
    )
}

/// A printed locker label: the locker's name and what the camera reads from its QR code.
#[derive(uniffi::Record)]
pub struct PrintedLabel {
    /// The locker's name.
    pub locker: String,
    /// The QR code's text (the label's URL).
    pub text: String,
}

/// Issue a label for every locker of the app's open store, as the office printed them before the day.
#[uniffi::export]
pub fn print_labels_for_tests(app: Arc<AzukariApp>) -> Vec<PrintedLabel> {
    app.printed_labels_for_tests()
        .into_iter()
        .map(|(locker, text)| PrintedLabel { locker, text })
        .collect()
}

/// The DER of a test 利用者証明用電子証明書 expiring on `certificate_expires_on` (`YYYY-MM-DD`), for a software
/// My Number card implemented in the test's own language.
#[uniffi::export]
pub fn test_card_certificate(certificate_expires_on: String) -> Result<Vec<u8>, TestSetupError> {
    let expires_on =
        NaiveDate::parse_from_str(&certificate_expires_on, "%Y-%m-%d").map_err(failed)?;
    let spec = SoftwareCardSpec::new("AB1234567890123", expires_on, expires_on);
    let card = SoftwareCard::new(spec).map_err(failed)?;
    Ok(card.certificate_der().to_vec())
}
