//! Why an intent was refused. Every variant words itself through the catalogue; none carries personal data.

use crate::card::CardError;
use crate::i18n::{Arg, Locale, catalog};
use crate::qr::QrError;
use crate::rules::{PolicyError, Reason};
use crate::store::StoreError;

/// A refused intent. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// No member of staff is signed in on this device.
    #[error("no member of staff is signed in")]
    NotSignedIn,
    /// The id names no member of staff.
    #[error("unknown member of staff")]
    UnknownStaff,
    /// The scanned locker is not one of this facility's.
    #[error("unknown locker")]
    UnknownLocker,
    /// The chosen item is not known, or not where the step expects it.
    #[error("unknown item")]
    UnknownItem,
    /// The chosen resident is not known.
    #[error("unknown resident")]
    UnknownResident,
    /// The intent does not fit the current step.
    #[error("step out of order")]
    OutOfOrder,
    /// A required field is empty or malformed: a message id naming the problem or the field's label (or a bare
    /// field name).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The rules refused.
    #[error("not allowed by the rules")]
    Denied(Vec<Reason>),
    /// The approver made the request.
    #[error("nobody approves their own request")]
    SelfApproval,
    /// The item belongs in another locker: scan that one to return it.
    #[error("wrong locker")]
    WrongLocker,
    /// The supervisor denied the request.
    #[error("approval denied")]
    ApprovalDenied,
    /// The supervisor has not answered yet.
    #[error("still waiting for approval")]
    StillWaiting,
    /// The request is unknown or already decided.
    #[error("no pending request")]
    NoPendingRequest,
    /// The tapped card could not be read. When [`CardError::is_retryable`], the step stays as it was: tap again.
    #[error(transparent)]
    Card(#[from] CardError),
    /// The tapped card is not the item's card: the return is refused and a discrepancy was recorded.
    #[error("the tapped card is not the item's card")]
    CardMismatch,
    /// No card is registered for the item, so a tapped card cannot be compared with it.
    #[error("no card is registered for the item")]
    CardNotRegistered,
    /// A scanned QR code is not a valid label of this facility's lockers.
    #[error(transparent)]
    Label(#[from] QrError),
    /// A policy text was refused.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FlowError {
    /// The error in words, in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        let catalog = catalog(locale);
        match self {
            FlowError::NotSignedIn => catalog.text("flow-error-not-signed-in"),
            FlowError::UnknownStaff => catalog.text("flow-error-unknown-staff"),
            FlowError::UnknownLocker => catalog.text("flow-error-unknown-locker"),
            FlowError::UnknownItem => catalog.text("flow-error-unknown-item"),
            FlowError::UnknownResident => catalog.text("flow-error-unknown-resident"),
            FlowError::OutOfOrder => catalog.text("flow-error-out-of-order"),
            FlowError::InvalidInput(field) if catalog.has(field) && !field.contains("-field-") => {
                catalog.text(field)
            }
            FlowError::InvalidInput(field) => {
                // A field named by its label's message id reads as that label; a bare name as is.
                let label = if catalog.has(field) {
                    catalog.text(field)
                } else {
                    (*field).to_string()
                };
                catalog.format("flow-error-invalid-input", &[("field", Arg::from(label))])
            }
            FlowError::Denied(reasons) => {
                let reasons: Vec<&str> = reasons.iter().map(|r| r.text(locale)).collect();
                catalog.format(
                    "flow-error-denied",
                    &[("reasons", Arg::from(reasons.join(" ")))],
                )
            }
            FlowError::SelfApproval => catalog.text("flow-error-self-approval"),
            FlowError::WrongLocker => catalog.text("flow-error-wrong-locker"),
            FlowError::ApprovalDenied => catalog.text("flow-error-approval-denied"),
            FlowError::StillWaiting => catalog.text("flow-error-still-waiting"),
            FlowError::NoPendingRequest => catalog.text("flow-error-no-pending-request"),
            FlowError::Card(error) => error.message(locale),
            FlowError::CardMismatch => catalog.text("card-mismatch"),
            FlowError::CardNotRegistered => catalog.text("card-not-registered"),
            FlowError::Label(error) => error.message(locale),
            FlowError::Policy(error) => catalog.format(
                "flow-error-policy",
                &[("detail", Arg::from(error.to_string()))],
            ),
            FlowError::Store(error) => catalog.format(
                "flow-error-store",
                &[("detail", Arg::from(error.to_string()))],
            ),
        }
    }
}
