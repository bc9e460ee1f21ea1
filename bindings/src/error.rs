//! The one error the apps see, [`AzukariError`], and every conversion into it.
//!
//! The core has rich errors per room (store, crypto, flows, labels, cards, ledger); the shells need a small set of
//! *actionable* cases — "unlock with the recovery passphrase", "tap the card again", "this card is not the
//! resident's" — each with a message to show. The messages are the core's own: localized texts from the catalogue
//! or the store's bilingual messages, none of which carries personal data (names, card serials and PINs never
//! appear in a core error). Conversions live here and nowhere else.

use crate::views::{PolicyProblem, ReasonView};
use azukari_core::card::{CardError, TransceiveError};
use azukari_core::crypto::{CryptoError, VaultError};
use azukari_core::flows::FlowError;
use azukari_core::i18n::Locale;
use azukari_core::ledger::LedgerError;
use azukari_core::qr::{LabelError, QrError};
use azukari_core::rules::PolicyError;
use azukari_core::store::StoreError;
use azukari_core::sync::{SyncError, TransportError};

/// Everything that can go wrong in a call into Azukari. Nothing was written when a call fails, except where a
/// variant says so. Every variant carries `text`: what to show, in the session's language where the core words
/// it; it never contains personal data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum AzukariError {
    /// The facility store is locked (closed): unlock it again with the key vault or the recovery passphrase.
    #[error("{text}")]
    LockedStore {
        /// What to show.
        text: String,
    },
    /// There is no store at the path: create one first.
    #[error("{text}")]
    StoreNotFound {
        /// What to show.
        text: String,
    },
    /// A file already exists where a new store was to be created: choose another path.
    #[error("{text}")]
    StoreAlreadyExists {
        /// What to show.
        text: String,
    },
    /// The key does not open this store (the key vault returned another store's key).
    #[error("{text}")]
    WrongKey {
        /// What to show.
        text: String,
    },
    /// The recovery passphrase is wrong: ask the administrator to type it again.
    #[error("{text}")]
    WrongPassphrase {
        /// What to show.
        text: String,
    },
    /// The new recovery passphrase is too short to be safe.
    #[error("{text}")]
    WeakPassphrase {
        /// What to show.
        text: String,
    },
    /// The platform key vault has no key for this store (app reinstalled, keystore reset): unlock with the
    /// recovery passphrase, then call `Facility.rewrapForVault`.
    #[error("{text}")]
    KeyVaultMissing {
        /// What to show.
        text: String,
    },
    /// The platform key vault refused (user not authenticated, hardware error): try again.
    #[error("{text}")]
    KeyVaultRefused {
        /// What to show.
        text: String,
    },
    /// No member of staff is signed in on this device: sign in first.
    #[error("{text}")]
    NotSignedIn {
        /// What to show.
        text: String,
    },
    /// An id names no known member of staff, resident, locker, item or request (or not where it is expected).
    #[error("{text}")]
    UnknownRecord {
        /// What to show.
        text: String,
    },
    /// A text passed as an id is not a hyphenated UUID.
    #[error("{text}")]
    InvalidId {
        /// What to show.
        text: String,
    },
    /// A field is empty or malformed: correct the form.
    #[error("{text}")]
    InvalidInput {
        /// What to show.
        text: String,
    },
    /// The intent does not fit the screen's current step: render the view again and offer what it offers.
    #[error("{text}")]
    OutOfOrder {
        /// What to show.
        text: String,
    },
    /// The facility's rules refused; each reason cites the guideline it enforces.
    #[error("{text}")]
    NotAllowed {
        /// What to show.
        text: String,
        /// The rules' reasons.
        reasons: Vec<ReasonView>,
    },
    /// The action needs a supervisor's approval that has not been given yet: wait, then check again.
    #[error("{text}")]
    ApprovalRequired {
        /// What to show.
        text: String,
    },
    /// The supervisor denied the request.
    #[error("{text}")]
    ApprovalDenied {
        /// What to show.
        text: String,
    },
    /// Nobody approves their own request: another supervisor must decide it.
    #[error("{text}")]
    SelfApproval {
        /// What to show.
        text: String,
    },
    /// There is no pending request to answer (unknown, or already decided or used).
    #[error("{text}")]
    NoPendingRequest {
        /// What to show.
        text: String,
    },
    /// The item belongs in another locker: scan that locker to return it.
    #[error("{text}")]
    WrongLocker {
        /// What to show.
        text: String,
    },
    /// The scanned QR code is not a valid label of this facility's lockers (garbage, altered, revoked,
    /// superseded, another facility's). Nothing was recorded.
    #[error("{text}")]
    InvalidQr {
        /// Why, as a value the app can branch on.
        problem: QrProblem,
        /// What to show.
        text: String,
    },
    /// The tapped card is not the item's card: the return was refused and a discrepancy recorded for a supervisor.
    #[error("{text}")]
    CardMismatch {
        /// What to show.
        text: String,
    },
    /// No card is registered for the item, so a tapped card cannot be compared with it.
    #[error("{text}")]
    CardNotRegistered {
        /// What to show.
        text: String,
    },
    /// The tapped card is not a My Number card (or is a phone-based certificate, which needs a PIN and is not
    /// supported).
    #[error("{text}")]
    NotAMyNumberCard {
        /// What to show.
        text: String,
    },
    /// The card could not be read. When `retryable`, the card moved away or did not answer in time: tap again.
    #[error("{text}")]
    CardReadFailed {
        /// Whether tapping again may succeed.
        retryable: bool,
        /// What to show.
        text: String,
    },
    /// The facility's records conflict with what was asked: another device holds the label key, or an event
    /// from another device does not fit this device's ledger. Sync with the hub, then try again.
    #[error("{text}")]
    Conflict {
        /// What to show.
        text: String,
    },
    /// A policy text was refused; the problems carry line and column.
    #[error("{text}")]
    PolicyRefused {
        /// What to show.
        text: String,
        /// Where the text is wrong.
        problems: Vec<PolicyProblem>,
    },
    /// The ledger does not verify: an event was added, removed or changed outside Azukari.
    #[error("{text}")]
    LedgerInvalid {
        /// What to show.
        text: String,
    },
    /// A label sheet could not be made (no font, bad layout, bad hub host, no lockers).
    #[error("{text}")]
    LabelSheetFailed {
        /// What to show.
        text: String,
    },
    /// The database is damaged; it was moved aside (never deleted). Restore from the hub or a backup.
    #[error("{text}")]
    DamagedStore {
        /// What to show.
        text: String,
    },
    /// Storage failed (disk full, read-only, busy, too new, file error). Nothing was written; see the text.
    #[error("{text}")]
    StorageFailure {
        /// What to show.
        text: String,
    },
    /// The hub did not answer (offline, timeout): nothing is lost; work on and sync again later.
    #[error("{text}")]
    HubUnreachable {
        /// What to show.
        text: String,
    },
    /// The hub refused the request (a used or expired enrollment QR, a device not enrolled, the device's clock
    /// far off…): `code` says which, `text` what to do.
    #[error("{text}")]
    HubRefused {
        /// The hub's code, e.g. `clock_skew`, `used_token` (empty when the refusal came from this device).
        code: String,
        /// What to show.
        text: String,
    },
    /// The hub's log failed verification (rolled back, rewritten, an event missing, a bad checkpoint or answer):
    /// the last good state is kept and sync stops. Tell the administrator.
    #[error("{text}")]
    HubAlarm {
        /// What to show.
        text: String,
    },
}

/// Why a scanned QR code was refused, for apps that react differently (e.g. "sync, then scan again").
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QrProblem {
    /// Not an Azukari locker label at all.
    NotALabel,
    /// Only part of the code was read: scan again.
    Truncated,
    /// A label format this app version does not know: update the app.
    UnsupportedVersion,
    /// A label of another facility.
    OtherFacility,
    /// The signature does not verify: altered or forged.
    Tampered,
    /// The label was revoked.
    Revoked,
    /// A newer label replaced this one.
    Superseded,
    /// The label names a locker this device does not know yet: sync, then scan again.
    UnknownLocker,
    /// This device does not know the facility's label key yet: sync, then scan again.
    NoLabelKey,
}

/// What an app's `KeyVault` reports when it cannot wrap or unwrap the data key.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyVaultError {
    /// The vault has no key for this store (e.g. the app was reinstalled or the keystore reset).
    #[error("the key vault has no key for this store")]
    KeyMissing,
    /// The vault refused (user not authenticated, hardware error), in the platform's words.
    #[error("the key vault refused: {reason}")]
    Refused {
        /// The platform's words (never personal data).
        reason: String,
    },
}

/// What an app's `HubConnection` reports when no answer came from the hub.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HubConnectionError {
    /// No answer: no network, the hub is down, a timeout, or the certificate is not the pinned one (say so in
    /// `detail`).
    #[error("the hub cannot be reached: {detail}")]
    Unreachable {
        /// The platform's words.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HubConnectionError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HubConnectionError::Unreachable {
            detail: error.reason,
        }
    }
}

/// What an app's `CardTransceiver` reports when a command could not be exchanged with the card.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CardIoError {
    /// The card left the field (Android `TagLostException`, CoreNFC "tag connection lost").
    #[error("the card left the reader")]
    TagLost,
    /// The card did not answer in time.
    #[error("the card did not answer in time")]
    Timeout,
    /// Any other failure of the NFC channel, in the platform's words (never personal data).
    #[error("NFC input/output failed: {detail}")]
    Io {
        /// The platform's words.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyVaultError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyVaultError::Refused {
            reason: error.reason,
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CardIoError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CardIoError::Io {
            detail: error.reason,
        }
    }
}

impl From<KeyVaultError> for VaultError {
    fn from(error: KeyVaultError) -> Self {
        match error {
            KeyVaultError::KeyMissing => VaultError::KeyMissing,
            KeyVaultError::Refused { reason } => VaultError::Refused(reason),
        }
    }
}

impl From<CardIoError> for TransceiveError {
    fn from(error: CardIoError) -> Self {
        match error {
            CardIoError::TagLost => TransceiveError::TagLost,
            CardIoError::Timeout => TransceiveError::Timeout,
            CardIoError::Io { detail } => TransceiveError::Io(detail),
        }
    }
}

/// A core error with the language its message is to be worded in.
pub(crate) struct Localized<E>(pub E, pub Locale);

/// Message shown when a locked facility is used.
const LOCKED: &str = "the store is locked; unlock it with the key vault or the recovery passphrase / 保管データはロックされています。端末の鍵または復旧用パスフレーズで開いてください";

impl AzukariError {
    /// The store is locked.
    pub(crate) fn locked() -> Self {
        AzukariError::LockedStore {
            text: LOCKED.to_string(),
        }
    }

    /// A text that should have been an id is not one.
    pub(crate) fn invalid_id(what: &str) -> Self {
        AzukariError::InvalidId {
            text: format!("{what}: not an id (expected a hyphenated UUID) / IDの形式が不正です"),
        }
    }
}

impl From<Localized<FlowError>> for AzukariError {
    fn from(Localized(error, locale): Localized<FlowError>) -> Self {
        let text = error.message(locale);
        match error {
            FlowError::NotSignedIn => AzukariError::NotSignedIn { text },
            FlowError::UnknownStaff
            | FlowError::UnknownLocker
            | FlowError::UnknownItem
            | FlowError::UnknownResident => AzukariError::UnknownRecord { text },
            FlowError::OutOfOrder => AzukariError::OutOfOrder { text },
            FlowError::InvalidInput(_) => AzukariError::InvalidInput { text },
            FlowError::Denied(reasons) => AzukariError::NotAllowed {
                text,
                reasons: reasons
                    .iter()
                    .map(|reason| azukari_core::flows::ReasonView::of(reason, locale).into())
                    .collect(),
            },
            FlowError::SelfApproval => AzukariError::SelfApproval { text },
            FlowError::WrongLocker => AzukariError::WrongLocker { text },
            FlowError::ApprovalDenied => AzukariError::ApprovalDenied { text },
            FlowError::StillWaiting => AzukariError::ApprovalRequired { text },
            FlowError::NoPendingRequest => AzukariError::NoPendingRequest { text },
            FlowError::Card(error) => Localized(error, locale).into(),
            FlowError::CardMismatch => AzukariError::CardMismatch { text },
            FlowError::CardNotRegistered => AzukariError::CardNotRegistered { text },
            FlowError::Label(error) => Localized(error, locale).into(),
            FlowError::Policy(error) => AzukariError::PolicyRefused {
                text,
                problems: policy_problems(&error),
            },
            FlowError::Store(error) => error.into(),
        }
    }
}

impl From<Localized<CardError>> for AzukariError {
    fn from(Localized(error, locale): Localized<CardError>) -> Self {
        let text = error.message(locale);
        match error {
            CardError::NotMyNumberCard | CardError::PhoneTokenNeedsPin => {
                AzukariError::NotAMyNumberCard { text }
            }
            other => AzukariError::CardReadFailed {
                retryable: other.is_retryable(),
                text,
            },
        }
    }
}

impl From<Localized<QrError>> for AzukariError {
    fn from(Localized(error, locale): Localized<QrError>) -> Self {
        let problem = match error {
            QrError::NotALabel => QrProblem::NotALabel,
            QrError::Truncated => QrProblem::Truncated,
            QrError::UnsupportedVersion(_) => QrProblem::UnsupportedVersion,
            QrError::OtherFacility => QrProblem::OtherFacility,
            QrError::Tampered => QrProblem::Tampered,
            QrError::Revoked { .. } => QrProblem::Revoked,
            QrError::Superseded { .. } => QrProblem::Superseded,
            QrError::UnknownLocker => QrProblem::UnknownLocker,
            QrError::NoLabelKey => QrProblem::NoLabelKey,
        };
        AzukariError::InvalidQr {
            problem,
            text: error.message(locale),
        }
    }
}

impl From<Localized<LabelError>> for AzukariError {
    fn from(Localized(error, locale): Localized<LabelError>) -> Self {
        let text = error.message(locale);
        match error {
            LabelError::Store(error) => error.into(),
            LabelError::UnknownLocker | LabelError::NotIssued { .. } => {
                AzukariError::UnknownRecord { text }
            }
            _ => AzukariError::LabelSheetFailed { text },
        }
    }
}

impl From<SyncError> for AzukariError {
    fn from(error: SyncError) -> Self {
        let text = error.to_string();
        match error {
            SyncError::Store(error) => error.into(),
            SyncError::Transport(TransportError::Unreachable(_)) => {
                AzukariError::HubUnreachable { text }
            }
            // The hub failed or is overloaded: like no answer, try again later.
            SyncError::Transport(TransportError::Refused { status, .. }) if status >= 500 => {
                AzukariError::HubUnreachable { text }
            }
            SyncError::Transport(TransportError::Refused { message, .. }) => {
                let code = message
                    .split_once(": ")
                    .map(|(code, _)| code.to_string())
                    .unwrap_or_default();
                AzukariError::HubRefused { code, text }
            }
            SyncError::Refused { code, .. } => AzukariError::HubRefused { code, text },
            SyncError::NotEnrolled | SyncError::Enrollment(_) => AzukariError::HubRefused {
                code: String::new(),
                text,
            },
            SyncError::BadCheckpoint(_)
            | SyncError::Rollback { .. }
            | SyncError::Fork { .. }
            | SyncError::NotIncluded { .. }
            | SyncError::BadProof(_)
            | SyncError::BadResponse(_) => AzukariError::HubAlarm { text },
        }
    }
}

impl From<StoreError> for AzukariError {
    fn from(error: StoreError) -> Self {
        let text = error.to_string();
        match error {
            StoreError::NotFound(_) => AzukariError::StoreNotFound { text },
            StoreError::AlreadyExists(_) => AzukariError::StoreAlreadyExists { text },
            StoreError::Corrupt { .. } | StoreError::Damaged { .. } => {
                AzukariError::DamagedStore { text }
            }
            StoreError::Ledger(error) => error.into(),
            StoreError::Crypto(error) => error.into(),
            StoreError::LabelKeyElsewhere
            | StoreError::NotRegistered
            | StoreError::DeviceAlreadyRegistered => AzukariError::Conflict { text },
            StoreError::TooNew { .. }
            | StoreError::ReadOnly
            | StoreError::DiskFull
            | StoreError::Busy
            | StoreError::BadMeta(_)
            | StoreError::Sqlite(_)
            | StoreError::Io(_) => AzukariError::StorageFailure { text },
        }
    }
}

impl From<CryptoError> for AzukariError {
    fn from(error: CryptoError) -> Self {
        let text = error.to_string();
        match error {
            CryptoError::WrongKey => AzukariError::WrongKey { text },
            CryptoError::WrongPassphrase => AzukariError::WrongPassphrase { text },
            CryptoError::WeakPassphrase { .. } => AzukariError::WeakPassphrase { text },
            CryptoError::Vault(VaultError::KeyMissing) => AzukariError::KeyVaultMissing { text },
            CryptoError::Vault(VaultError::Refused(_)) => AzukariError::KeyVaultRefused { text },
            CryptoError::BadSignature => AzukariError::LedgerInvalid { text },
            CryptoError::KdfParamsOutOfRange(_)
            | CryptoError::OpenFailed
            | CryptoError::KeyUnavailable(_)
            | CryptoError::KeyExhausted(_)
            | CryptoError::MalformedKey
            | CryptoError::Random => AzukariError::StorageFailure { text },
        }
    }
}

impl From<LedgerError> for AzukariError {
    fn from(error: LedgerError) -> Self {
        let text = error.to_string();
        match error {
            LedgerError::Crypto(error) => error.into(),
            LedgerError::WrongFacility { .. }
            | LedgerError::UnknownDevice { .. }
            | LedgerError::SequenceGap { .. }
            | LedgerError::OutOfOrder { .. }
            | LedgerError::Malformed { .. }
            | LedgerError::MissingGenesis
            | LedgerError::UntrustedFounder
            | LedgerError::BadSignature { .. }
            | LedgerError::BrokenChain { .. }
            | LedgerError::Duplicate { .. }
            | LedgerError::HashMismatch { .. }
            | LedgerError::LengthMismatch { .. }
            | LedgerError::HeadMismatch
            | LedgerError::Encoding => AzukariError::LedgerInvalid { text },
        }
    }
}

fn policy_problems(error: &PolicyError) -> Vec<PolicyProblem> {
    match error {
        PolicyError::Parse(problems) | PolicyError::Invalid(problems) => {
            problems.iter().cloned().map(PolicyProblem::from).collect()
        }
        _ => Vec::new(),
    }
}
