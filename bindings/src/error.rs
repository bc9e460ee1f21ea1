//! The errors that cross the FFI: [`AzukariError`], thrown only when the device cannot go on (the app's
//! refusals are notices in its view), and the errors the apps' own implementations of the foreign traits report.
//! Every message is the core's, in the app's language, and never carries personal data.

use azukari_core::app::AppError;
use azukari_core::card::TransceiveError;
use azukari_core::crypto::VaultError;
use azukari_core::i18n::Locale;
use azukari_core::store::StoreError;

/// Why the app cannot go on. Everything a person can fix shows as a notice in the next view instead.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum AzukariError {
    /// The store is locked: unlock it again (the view shows the unlock screen).
    #[error("{text}")]
    LockedStore {
        /// What to show.
        text: String,
    },
    /// The store is damaged; it was moved aside (never deleted). Restore the device from the hub.
    #[error("{text}")]
    DamagedStore {
        /// What to show.
        text: String,
    },
    /// Storage failed (disk full, read-only, busy, a newer app's data, a file error). Nothing was written.
    #[error("{text}")]
    StorageFailure {
        /// What to show.
        text: String,
    },
}

impl AzukariError {
    /// The app's error worded in `language`.
    pub(crate) fn of(error: AppError, language: Locale) -> AzukariError {
        let text = error.message(language);
        match error {
            AppError::Locked => AzukariError::LockedStore { text },
            AppError::Store(StoreError::Corrupt { .. } | StoreError::Damaged { .. }) => {
                AzukariError::DamagedStore { text }
            }
            AppError::Store(_) | AppError::SavedState => AzukariError::StorageFailure { text },
        }
    }
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

impl From<uniffi::UnexpectedUniFFICallbackError> for HubConnectionError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HubConnectionError::Unreachable {
            detail: error.reason,
        }
    }
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
