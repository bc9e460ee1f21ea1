//! # azukari-ffi
//!
//! The thin UniFFI layer through which the Android and iOS apps (and the Python and Kotlin tests) reach the
//! Azukari core. The apps hold one object, [`AzukariApp`]: they draw its `view()` and send its `dispatch(event)`;
//! the view and event types are the core's own (`azukari_core::app`, derived for UniFFI behind the core's
//! `uniffi` feature, generated into their own namespace `azukari_core`), so nothing is mirrored or converted here.
//! The crate adapts the foreign traits the apps implement and guards the app with a mutex; it holds no rule, query
//! or check.
//!
//! | module | job |
//! |---|---|
//! | [`app`] | `AzukariApp`: `view()`, `dispatch(event)`, and the platform results (`presentCard`, `sync`, `join`) |
//! | [`platform`] | the foreign traits for the key vault and the NFC card: `KeyVault`, `CardTransceiver` |
//! | [`sync`] | the foreign trait for the hub: `HubConnection` (one HTTPS POST, certificate pinned by the app) |
//! | [`error`] | `AzukariError` (the device cannot go on) and the foreign traits' errors |
//! | `testing` | test-only exports (feature `testing`): fast KDF, manual clock, test card certificates, labels |
//!
//! **Threads.** Every call blocks (SQLite commits with `synchronous=FULL`; unlocking with the recovery passphrase
//! runs Argon2id; the card and the hub are I/O): the apps call them off the UI thread. No call is `async`.
//!
//! Generated bindings: `bindings/generate.sh` writes Kotlin, Swift and Python into `bindings/generated/`.

pub mod app;
pub mod error;
pub mod platform;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::AzukariApp;
pub use error::{AzukariError, CardIoError, HubConnectionError, KeyVaultError};
pub use platform::{CardTransceiver, KeyVault};
pub use sync::HubConnection;

uniffi::setup_scaffolding!();
