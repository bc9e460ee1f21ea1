//! The app as the shells hold it: one [`AzukariApp`] whose `view()` every screen draws and whose `dispatch`
//! takes every tap. The view and event types are the core's own (`azukari_core::app`, derived for UniFFI behind
//! the core's `uniffi` feature), so nothing is mirrored or converted here: this file only adapts the foreign
//! traits and guards the app with a mutex.

use crate::error::AzukariError;
use crate::platform::{CardAdapter, CardTransceiver, KeyVault, VaultAdapter};
use crate::sync::{Connection, HubConnection};
use azukari_core::app::{App, AppError, AppEvent, AppView};
use azukari_core::clock::{Clock, SystemClock};
use azukari_core::i18n::Locale;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The whole app on this device: the facility's store (locked until unlocked), who is signed in, the screen and
/// the work under way. Every method blocks (SQLite, Argon2id, the card, the network): call off the UI thread.
#[derive(uniffi::Object)]
pub struct AzukariApp {
    app: Mutex<App>,
}

impl AzukariApp {
    /// An app for the store at `path`, with `clock`.
    pub(crate) fn with_clock(
        path: String,
        vault: Arc<dyn KeyVault>,
        label_host: String,
        clock: Arc<dyn Clock>,
    ) -> Arc<AzukariApp> {
        AzukariApp::with_core_vault(path, Arc::new(VaultAdapter(vault)), label_host, clock)
    }

    /// An app for the store at `path` with a vault of the core's own (tests and benchmarks).
    pub(crate) fn with_core_vault(
        path: String,
        vault: Arc<dyn azukari_core::crypto::KeyVault>,
        label_host: String,
        clock: Arc<dyn Clock>,
    ) -> Arc<AzukariApp> {
        Arc::new(AzukariApp {
            app: Mutex::new(
                App::new(PathBuf::from(path), vault, clock).with_label_host(&label_host),
            ),
        })
    }

    /// Test support: see `App::printed_labels_for_tests`.
    #[cfg(feature = "testing")]
    pub(crate) fn printed_labels_for_tests(&self) -> Vec<(String, String)> {
        self.guard().printed_labels_for_tests()
    }

    /// Run `call` on the app; what it throws is worded in the app's language.
    fn with_app<T>(
        &self,
        call: impl FnOnce(&mut App) -> Result<T, AppError>,
    ) -> Result<T, AzukariError> {
        let mut app = self.guard();
        let language = app.language();
        call(&mut app).map_err(|e| thrown(e, language))
    }

    fn guard(&self) -> MutexGuard<'_, App> {
        // Every write of the core is one transaction, so the app is consistent even after a panic elsewhere.
        self.app.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn thrown(error: AppError, language: Locale) -> AzukariError {
    AzukariError::of(error, language)
}

#[uniffi::export]
impl AzukariApp {
    /// The app for the facility store at `path`, unlocked every day with `vault` (or the recovery passphrase).
    /// `label_host` is the facility hub's host name, which printed locker labels name.
    #[uniffi::constructor]
    pub fn new(path: String, vault: Arc<dyn KeyVault>, label_host: String) -> Arc<AzukariApp> {
        AzukariApp::with_clock(path, vault, label_host, Arc::new(SystemClock))
    }

    /// What to draw now.
    pub fn view(&self) -> AppView {
        self.guard().view()
    }

    /// Send what the person tapped or typed (a button's event, an `Edit`), or a platform result (`Scanned`,
    /// `ScanCancelled`, `FileShared`); returns what to draw next. Refusals are notices in the view; this throws
    /// only when the device cannot go on (locked, damaged or full store).
    pub fn dispatch(&self, event: AppEvent) -> Result<AppView, AzukariError> {
        self.with_app(|app| app.dispatch(event))
    }

    /// The card held to the phone, when the view asks for `TapCard`.
    pub fn present_card(&self, card: Arc<dyn CardTransceiver>) -> Result<AppView, AzukariError> {
        self.with_app(|app| app.present_card(&mut CardAdapter(card)))
    }

    /// Sync with the hub through `hub` (when the view asks for `SyncNow`, and in the background while the app
    /// is open). Offline, nothing is lost: the view says so.
    pub fn sync(&self, hub: Arc<dyn HubConnection>) -> Result<AppView, AzukariError> {
        self.with_app(|app| app.sync(&Connection(hub)))
    }

    /// Wait up to `wait_ms` (at most 30 s) for news at the hub, then sync (a supervisor's tablet waiting for
    /// requests, in the background). The app stays usable while it waits: only the sync itself holds it.
    pub fn wait_and_sync(
        &self,
        hub: Arc<dyn HubConnection>,
        wait_ms: u64,
    ) -> Result<AppView, AzukariError> {
        let connection = Connection(hub);
        let request = self.guard().wait_request(wait_ms);
        if let Some((request, auth)) = request {
            // Outside the app's lock; whatever it brings is taken in by the sync below.
            let _ = azukari_core::sync::HubTransport::pull(&connection, &request, &auth);
        }
        self.with_app(|app| app.sync(&connection))
    }

    /// Join the facility when the view asks for `JoinHub`: `hub` is a connection to that URL with that
    /// certificate pinned. Then the view asks for the first sync.
    pub fn join(&self, hub: Arc<dyn HubConnection>) -> Result<AppView, AzukariError> {
        self.with_app(|app| app.join(&Connection(hub)))
    }

    /// The screen and the work under way, sealed, to keep while the platform stops the app.
    pub fn save(&self) -> Result<Vec<u8>, AzukariError> {
        self.with_app(|app| app.save())
    }

    /// Bring back what `save` kept (the rest follows the next unlock).
    pub fn restore(&self, saved: Vec<u8>) -> AppView {
        self.guard().restore(&saved)
    }
}
