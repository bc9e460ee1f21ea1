//! # azukari-ffi
//!
//! The thin UniFFI layer through which the Android and iOS apps (and the Python and Kotlin tests) reach the
//! Azukari core. It converts types and errors and delegates; it holds no rule, query or check — everything that
//! decides lives in `azukari-core`.
//!
//! | module | job |
//! |---|---|
//! | [`app`] | `AzukariApp`: the whole app as one state machine — `view()`, `dispatch(event)`, platform results |
//! | [`facility`] | create, unlock and lock a facility store; sign-in, locale, alerts, labels, ledger export |
//! | [`flows`] | one object per screen (handover, approval, consent, audit, incident, setup, board) |
//! | [`platform`] | the foreign traits the apps implement: `KeyVault`, `CardTransceiver` |
//! | [`sync`] | join a hub with its enrollment QR, sync through the app's `HubConnection` (HTTP with a pinned certificate) |
//! | [`views`], [`intents`] | mirrors of the core's view-models and intents (ids as hyphenated UUID strings) |
//! | [`convert`] | every conversion between core types and the mirrors |
//! | [`error`] | `AzukariError`, the one error the apps see, and its conversions |
//! | `testing` | test-only exports (feature `testing`): fast KDF, manual clock, test card certificates |
//!
//! **Threads.** Every call that touches the store blocks (SQLite commits with `synchronous=FULL`; creating and
//! recovering run Argon2id): the apps call them off the UI thread. No call is `async`. Objects are thread-safe:
//! a `Facility` guards its session with a mutex, and each screen object guards its own state.
//!
//! Generated bindings: `bindings/generate.sh` writes Kotlin, Swift and Python into `bindings/generated/`.

pub mod app;
pub mod convert;
pub mod error;
pub mod facility;
pub mod flows;
pub mod intents;
pub mod platform;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod views;

pub use app::AzukariApp;
pub use error::{AzukariError, CardIoError, HubConnectionError, KeyVaultError, QrProblem};
pub use facility::Facility;
pub use platform::{CardTransceiver, KeyVault};
pub use sync::HubConnection;

uniffi::setup_scaffolding!();
