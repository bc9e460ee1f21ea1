//! Why a scan, an issue or a sheet failed. Every variant words itself through the catalogue (`qr-` messages);
//! none carries personal data.

use crate::i18n::{Arg, Locale, catalog};
use crate::store::StoreError;
use std::path::PathBuf;

/// Why a scanned text is not a label this device accepts. Nothing is recorded on any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text is not an Azukari locker label at all (another QR code, a misread, garbage).
    #[error("not an Azukari locker label")]
    NotALabel,
    /// The text looks like a label but stops short: only part of the code was read.
    #[error("the label was read only in part")]
    Truncated,
    /// A label format this version of the app does not know.
    #[error("label format version {0} is not supported")]
    UnsupportedVersion(u8),
    /// A genuine-looking label of another facility.
    #[error("a label of another facility")]
    OtherFacility,
    /// The signature does not match the facility's label key: altered or forged.
    #[error("the label's signature does not verify")]
    Tampered,
    /// The label was revoked (lost, damaged, copied).
    #[error("label {serial} was revoked")]
    Revoked {
        /// The label's serial number.
        serial: u32,
    },
    /// A newer label was issued for the locker; this one is out of use.
    #[error("label {serial} was superseded by label {current}")]
    Superseded {
        /// The scanned label's serial number.
        serial: u32,
        /// The serial number of the label in force.
        current: u32,
    },
    /// The label names a locker this device does not know (not registered, or not synced yet).
    #[error("the label's locker is not known")]
    UnknownLocker,
    /// This device does not know the facility's label key yet (no label issued, or not synced yet).
    #[error("the facility's label key is not known on this device")]
    NoLabelKey,
}

impl QrError {
    /// The error in words, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        let catalog = catalog(locale);
        match self {
            QrError::NotALabel => catalog.text("qr-error-not-a-label"),
            QrError::Truncated => catalog.text("qr-error-truncated"),
            QrError::UnsupportedVersion(version) => catalog.format(
                "qr-error-unsupported-version",
                &[("version", Arg::from(i64::from(*version)))],
            ),
            QrError::OtherFacility => catalog.text("qr-error-other-facility"),
            QrError::Tampered => catalog.text("qr-error-tampered"),
            QrError::Revoked { serial } => catalog.format(
                "qr-error-revoked",
                &[("serial", Arg::from(i64::from(*serial)))],
            ),
            QrError::Superseded { serial, current } => catalog.format(
                "qr-error-superseded",
                &[
                    ("serial", Arg::from(i64::from(*serial))),
                    ("current", Arg::from(i64::from(*current))),
                ],
            ),
            QrError::UnknownLocker => catalog.text("qr-error-unknown-locker"),
            QrError::NoLabelKey => catalog.text("qr-error-no-label-key"),
        }
    }
}

/// What is wrong with a [`super::SheetLayout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutProblem {
    /// A margin, gap or padding is negative or not a number.
    NegativeLength,
    /// Columns outside 1–10 or rows outside 1–20.
    LabelCount,
    /// The labels are too small for a QR code a phone reads and a line of text.
    LabelTooSmall,
}

/// Why a label could not be issued or revoked, or a sheet not produced. Nothing was recorded unless the variant
/// says so.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The locker is not registered in this facility.
    #[error("the locker is not registered")]
    UnknownLocker,
    /// No label with this serial number was issued for the locker.
    #[error("label {serial} was never issued for this locker")]
    NotIssued {
        /// The serial number asked for.
        serial: u32,
    },
    /// The locker has used every serial number (after four billion labels).
    #[error("the locker has no serial numbers left")]
    SerialsExhausted,
    /// No Japanese font for the PDF was found on this machine.
    #[error(
        "no Japanese font found; install the Debian package fonts-ipaexfont-gothic (or fonts-noto-cjk)"
    )]
    FontMissing,
    /// A font file was found but could not be read or parsed.
    #[error("the font file {0} cannot be read")]
    FontUnreadable(PathBuf),
    /// The sheet layout does not fit on the paper or makes labels too small.
    #[error("the sheet layout is not usable: {0:?}")]
    BadLayout(LayoutProblem),
    /// The hub host is not a host name (labels would not open the app).
    #[error("the hub host is not a valid host name")]
    BadHubHost,
    /// A sheet was asked for without any label on it.
    #[error("there are no labels to print")]
    NoLabels,
    /// The label's text does not fit in a QR code (an absurdly long hub host).
    #[error("the label does not fit in a QR code")]
    QrEncoding,
    /// The PDF library refused the document.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LabelError {
    /// The error in words, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        let catalog = catalog(locale);
        match self {
            LabelError::UnknownLocker => catalog.text("qr-error-locker-not-registered"),
            LabelError::NotIssued { serial } => catalog.format(
                "qr-error-not-issued",
                &[("serial", Arg::from(i64::from(*serial)))],
            ),
            LabelError::SerialsExhausted => catalog.text("qr-error-serials-exhausted"),
            LabelError::FontMissing => catalog.text("qr-error-font-missing"),
            LabelError::FontUnreadable(path) => catalog.format(
                "qr-error-font-unreadable",
                &[("path", Arg::from(path.display().to_string()))],
            ),
            LabelError::BadLayout(problem) => catalog.text(match problem {
                LayoutProblem::NegativeLength => "qr-error-layout-negative-length",
                LayoutProblem::LabelCount => "qr-error-layout-label-count",
                LayoutProblem::LabelTooSmall => "qr-error-layout-label-too-small",
            }),
            LabelError::BadHubHost => catalog.text("qr-error-bad-hub-host"),
            LabelError::NoLabels => catalog.text("qr-error-no-labels"),
            LabelError::QrEncoding => catalog.text("qr-error-qr-encoding"),
            LabelError::Pdf(detail) => {
                catalog.format("qr-error-pdf", &[("detail", Arg::from(detail.as_str()))])
            }
            LabelError::Store(error) => catalog.format(
                "qr-error-store",
                &[("detail", Arg::from(error.to_string()))],
            ),
        }
    }
}
