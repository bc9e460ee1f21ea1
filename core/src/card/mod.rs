//! # Reading the My Number card over NFC, without any PIN
//!
//! On return, a caregiver taps the resident's card on the phone, and the core answers one question: *is this the
//! card that went out?* When a card is registered, the same reading fills in its two expiry dates (the card's,
//! and its 利用者証明用電子証明書's), which drive the renewal alerts.
//!
//! ## What is read, and what never is
//! The phone speaks ISO 14443 Type B / ISO-DEP to the card through [`CardTransceiver`], which the shells implement
//! with Android `IsoDep` and iOS CoreNFC `NFCISO7816Tag` (no NDEF anywhere). [`read_card`] sends exactly the
//! commands listed in DOMAIN.md, all readable without a PIN:
//!
//! 1. SELECT the JPKI application (公的個人認証AP). A card without it is not a My Number card.
//! 2. SELECT and READ BINARY the token information: only a physical card (`JPKIAPICCTOKEN2`) is accepted. The
//!    phone-based 電子証明書 (`JPKIAPGPSETOKEN`, `JPKIAPIOSTOKEN`) need a PIN and are refused; so is the old 住基カード.
//! 3. SELECT and READ BINARY the 利用者証明用電子証明書 in short chunks, checking the length its DER header announces
//!    against what a card can hold and against what the card actually sends. x509-parser reads its notAfter —
//!    23:59:59 JST on the 5th birthday after issue — as a date in Asia/Tokyo.
//! 4. SELECT the common card application and READ RECORD 1: card serial, municipality and card expiry.
//!
//! Never sent: VERIFY (no PIN is ever typed into anything of ours), and any command to the 券面事項入力補助AP, which
//! holds the 12-digit 個人番号 that the law forbids a facility to keep. The My Number is never read, so it cannot
//! leak. The tests record every APDU and check both.
//!
//! ## What is kept
//! Only keyed hashes: HMAC under the facility's key of the card serial, and of the SHA-256 fingerprint of the
//! certificate, plus the two dates ([`CardIdentity`]). The identity is sealed on the item under the resident's
//! key, so erasing that key forgets the card too. The [`CardReading`] that holds the serial and certificate in
//! clear lives in memory only as long as it takes to hash it: it cannot be printed, it is zeroized when dropped,
//! and [`CardIdentity::from_reading`] consumes it.
//!
//! ## What is deliberately not done
//! The certificate's signature and revocation status are **not** checked. Verifying JPKI signatures as a service
//! needs ministerial approval (公的個人認証法 §17); we only compare fingerprints and read dates. A forged card could
//! fool the comparison — but a forged card is a crime, not a mix-up, and the mix-up (the wrong resident's card put
//! back) is what this check exists to catch.
//!
//! ## On return
//! [`match_identity`] compares the tapped card with the registered one: the same card matches; the same card
//! serial with a new certificate (renewed at the city office) matches and the item's dates are updated; another
//! card is a mismatch — the handover flow refuses the return and records a discrepancy for a supervisor.

mod error;
mod identity;
pub mod protocol;
mod reader;
#[cfg(any(test, feature = "test-support"))]
pub mod software;

pub use error::{CardError, TransceiveError};
pub use identity::{CardIdentity, CardMatch, match_identity, register_card};
pub use reader::{CardReading, read_card};

/// The phone's NFC ISO-DEP channel to a tapped card, implemented by the shells (Android `IsoDep.transceive`, iOS
/// `NFCISO7816Tag.sendCommand`) and, in tests, by the software card (`software::SoftwareCard`, feature
/// `test-support`).
pub trait CardTransceiver {
    /// Send one command APDU and return the card's whole response APDU (data followed by SW1 SW2).
    fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError>;
}
