//! What can go wrong while reading a card, worded through the catalogue. No variant carries personal data: a
//! card serial or certificate never appears in an error.

use crate::i18n::{Arg, Locale, catalog};

/// What the phone's NFC channel reports when a command could not be exchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransceiveError {
    /// The card left the field (Android `TagLostException`, CoreNFC "tag connection lost"). Tap again.
    #[error("the card left the reader")]
    TagLost,
    /// The card did not answer in time. Tap again.
    #[error("the card did not answer in time")]
    Timeout,
    /// Any other failure of the NFC channel, in the platform's words (never personal data).
    #[error("NFC input/output failed: {0}")]
    Io(String),
}

impl TransceiveError {
    /// Whether tapping the card again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, TransceiveError::TagLost | TransceiveError::Timeout)
    }
}

/// Why a card could not be read. Nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The card has no JPKI application (its SELECT failed), or it is another JPKI token (e.g. a 住基カード).
    #[error("not a My Number card")]
    NotMyNumberCard,
    /// A phone-based 電子証明書 (スマホ用電子証明書): it needs a PIN, which Azukari never uses.
    #[error("a phone-based certificate needs a PIN and is not supported")]
    PhoneTokenNeedsPin,
    /// The card answered `6A 82`: a file it should have is not there.
    #[error("file not found on the card (6A 82)")]
    FileNotFound,
    /// The card answered `69 82`: the file needs a PIN (we never send one).
    #[error("security status not satisfied (69 82)")]
    SecurityStatusNotSatisfied,
    /// The card left the field while being read. Tap again.
    #[error("the card left the reader")]
    TagLost,
    /// The card did not answer in time. Tap again.
    #[error("the card did not answer in time")]
    Timeout,
    /// Another failure of the NFC channel.
    #[error("NFC input/output failed: {0}")]
    Io(String),
    /// The card sent more bytes than asked for or announced.
    #[error("the card's response is longer than announced")]
    ResponseTooLong,
    /// The card's data ended before the announced length.
    #[error("the card's response ended early")]
    Truncated,
    /// The authentication certificate does not parse as X.509, or announces an impossible length.
    #[error("the card's certificate does not parse")]
    BadCertificate,
    /// An answer that is not shaped as the protocol says (no status word, unexpected bytes).
    #[error("the card's response is malformed")]
    Malformed,
    /// Another status word.
    #[error("the card answered with status {sw:04X}")]
    UnexpectedStatus {
        /// The status word (SW1 SW2).
        sw: u16,
    },
}

impl From<TransceiveError> for CardError {
    fn from(error: TransceiveError) -> Self {
        match error {
            TransceiveError::TagLost => CardError::TagLost,
            TransceiveError::Timeout => CardError::Timeout,
            TransceiveError::Io(detail) => CardError::Io(detail),
        }
    }
}

impl CardError {
    /// Whether tapping the card again may succeed (the card left the field or did not answer in time).
    pub fn is_retryable(&self) -> bool {
        matches!(self, CardError::TagLost | CardError::Timeout)
    }

    /// The error in words, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        let catalog = catalog(locale);
        match self {
            CardError::NotMyNumberCard => catalog.text("card-error-not-my-number-card"),
            CardError::PhoneTokenNeedsPin => catalog.text("card-error-phone-token"),
            CardError::FileNotFound => catalog.text("card-error-file-not-found"),
            CardError::SecurityStatusNotSatisfied => catalog.text("card-error-security-status"),
            CardError::TagLost => catalog.text("card-error-tag-lost"),
            CardError::Timeout => catalog.text("card-error-timeout"),
            CardError::Io(detail) => {
                catalog.format("card-error-io", &[("detail", Arg::from(detail.as_str()))])
            }
            CardError::ResponseTooLong => catalog.text("card-error-response-too-long"),
            CardError::Truncated => catalog.text("card-error-truncated"),
            CardError::BadCertificate => catalog.text("card-error-bad-certificate"),
            CardError::Malformed => catalog.text("card-error-malformed"),
            CardError::UnexpectedStatus { sw } => {
                let [sw1, sw2] = sw.to_be_bytes();
                catalog.format(
                    "card-error-status",
                    &[("status", Arg::from(format!("{sw1:02X} {sw2:02X}")))],
                )
            }
        }
    }
}
