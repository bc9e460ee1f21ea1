//! # azukari-core
//!
//! The shared core of Azukari (預かり): everything that decides, records and proves the custody of residents'
//! マイナ保険証, 暗証番号封筒 and 資格確認書 in a welfare facility. The phone and tablet shells and the hub only
//! render and reach hardware; what is written, who may write it and what it means lives here.
//!
//! Data flows one way: a person acts → an event is sealed, signed and appended to the [`ledger`] through the
//! [`store`] → the [`custody`] fold turns events into the state of every item.
//!
//! | module | job |
//! |---|---|
//! | [`model`] | plain domain types: ids, residents, items, lockers, staff, purposes, agreements |
//! | [`crypto`] | the key hierarchy, sealing with AES-256-GCM, the Argon2id recovery envelope, keyed hashes, signing |
//! | [`store`] | the only code that opens SQLite: schema, migrations, keys, the append-only event table |
//! | [`ledger`] | event types, their canonical encoding, per-device hash chains, signatures and verification |
//! | [`custody`] | the deterministic fold of events into custody state and discrepancies |
//! | [`rules`] | the facility's rules in Cedar: `decide` before anything is written, reasons in both languages |
//! | [`card`] | reading the My Number card over NFC without a PIN: keyed hashes of its identity, its expiry dates |
//! | [`qr`] | locker labels: signed QR payloads, offline verification, A4 label sheets (SVG, PDF) |
//! | [`flows`] | one state machine per screen, returning display-ready view-models |
//! | [`app`] | the whole app as one state machine over the flows: the one view every shell draws |
//! | [`alerts`] | what needs attention: overdue, expiring certificates, audits and training due, incidents |
//! | [`i18n`] | the message catalogue (Fluent), Japanese first, English second |
//! | [`clock`] | time, always shown in Asia/Tokyo and injected so rules about time are testable |
//! | [`demo`] | a demonstration facility and a day of handovers, for the example, benchmarks and tests |

pub mod alerts;
pub mod app;
pub mod card;
pub mod clock;
pub mod crypto;
pub mod custody;
#[cfg(feature = "demo")]
pub mod demo;
pub mod flows;
pub mod i18n;
pub mod ledger;
pub mod model;
pub mod qr;
pub mod rules;
pub mod store;
pub mod sync;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("azukari_core");
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
