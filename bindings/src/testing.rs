//! Test-only exports (cargo feature `testing`, enabled only by the cross-language test build in `scripts/test`):
//! a store made with the core's fast, insecure test KDF, a clock the test sets, and a test certificate for a
//! software My Number card. None of this is compiled into the apps or into the committed generated bindings.

use crate::error::AzukariError;
use crate::facility::Facility;
use crate::platform::{KeyVault, VaultAdapter};
use azukari_core::card::software::{SoftwareCard, SoftwareCardSpec};
use azukari_core::clock::{ManualClock, Timestamp};
use azukari_core::crypto::KdfParams;
use azukari_core::store::Unlock;
use chrono::NaiveDate;
use std::sync::Arc;

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
    pub fn set_tokyo_time(&self, hour: u32, minute: u32) -> Result<(), AzukariError> {
        let date = azukari_core::clock::Clock::now(self.clock.as_ref()).tokyo_date();
        let at = Timestamp::from_tokyo(date, hour, minute).ok_or_else(|| invalid("time"))?;
        self.clock.set(at);
        Ok(())
    }

    /// Move the clock forward by `minutes`.
    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance_minutes(minutes);
    }

    /// The time shown, `YYYY-MM-DD HH:MM` in Tokyo.
    pub fn now_tokyo(&self) -> String {
        azukari_core::clock::Clock::now(self.clock.as_ref()).to_string()
    }
}

/// Create a facility like `Facility.create`, but with the core's fast, insecure test KDF and `clock`.
#[uniffi::export]
pub fn create_facility_for_tests(
    path: String,
    facility_name: String,
    administrator_name: String,
    recovery_passphrase: String,
    vault: Arc<dyn KeyVault>,
    clock: Arc<TestClock>,
) -> Result<Arc<Facility>, AzukariError> {
    Facility::found(
        &path,
        &facility_name,
        &administrator_name,
        &recovery_passphrase,
        KdfParams::insecure_for_tests(),
        vault,
        clock.clock.clone(),
    )
}

/// Unlock a test facility with its key vault, keeping the test's clock.
#[uniffi::export]
pub fn unlock_facility_for_tests(
    path: String,
    vault: Arc<dyn KeyVault>,
    clock: Arc<TestClock>,
) -> Result<Arc<Facility>, AzukariError> {
    let vault = VaultAdapter(vault);
    Facility::open(&path, Unlock::Vault(&vault), clock.clock.clone())
}

/// The DER of a test 利用者証明用電子証明書 expiring on `certificate_expires_on` (`YYYY-MM-DD`), for a software
/// My Number card implemented in the test's own language.
#[uniffi::export]
pub fn test_card_certificate(certificate_expires_on: String) -> Result<Vec<u8>, AzukariError> {
    let expires_on = date(&certificate_expires_on)?;
    let spec = SoftwareCardSpec::new("AB1234567890123", expires_on, expires_on);
    let card = SoftwareCard::new(spec).map_err(|e| AzukariError::InvalidInput {
        text: e.to_string(),
    })?;
    Ok(card.certificate_der().to_vec())
}

fn date(text: &str) -> Result<NaiveDate, AzukariError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid("date"))
}

fn invalid(what: &str) -> AzukariError {
    AzukariError::InvalidInput {
        text: format!("invalid {what}"),
    }
}

/// The app for the store at `path`, like `AzukariApp.new`, but on the test's clock.
#[uniffi::export]
pub fn app_for_tests(
    path: String,
    vault: Arc<dyn KeyVault>,
    label_host: String,
    clock: Arc<TestClock>,
) -> Arc<crate::app::AzukariApp> {
    crate::app::AzukariApp::with_clock(path, vault, label_host, clock.clock.clone())
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
pub fn print_labels_for_tests(app: Arc<crate::app::AzukariApp>) -> Vec<PrintedLabel> {
    app.printed_labels_for_tests()
        .into_iter()
        .map(|(locker, text)| PrintedLabel { locker, text })
        .collect()
}

/// The app over an existing store whose key-encryption key is the file `key_path` (the core's file vault, as the
/// benchmarks' stores are made), on the system clock.
#[uniffi::export]
pub fn app_with_file_vault_for_tests(
    path: String,
    key_path: String,
    label_host: String,
) -> Arc<crate::app::AzukariApp> {
    crate::app::AzukariApp::with_core_vault(
        path,
        Arc::new(azukari_core::crypto::FileKeyVault::new(key_path)),
        label_host,
        Arc::new(azukari_core::clock::SystemClock),
    )
}
