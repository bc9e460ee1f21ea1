//! The user flows: one state machine per screen, each returning a plain, display-ready view-model.
//!
//! A shell (Android, iOS, the hub's browser pages) only renders a flow's view and sends its intents back. The
//! flow asks the [`crate::rules`] before anything is written, and only an allowed (or approved) action becomes an
//! event. A refused intent — bad input, a step out of order, a rule that says no — changes nothing and shows as a
//! localized notice in the view. Every string in a view comes from the catalogue in the session's locale, so a
//! locale switch changes every string.
//!
//! | flow | screen |
//! |---|---|
//! | [`handover`] | caregiver: scan locker → item → purpose → decision → checkout; return; hand over; release |
//! | [`approval`] | supervisor: pending requests, approve or deny with a reason |
//! | [`consent`] | family / legal representative: the agreement text, confirm, revoke, PIN scope |
//! | [`audit`] | supervisor: stocktake locker by locker, signed summary |
//! | [`incident`] | lost or stolen card, leak: the guided checklist |
//! | [`setup`] | residents, items, lockers, staff, agreements, policy |
//! | [`board`] | what is where, out, overdue; alerts |

pub mod approval;
pub mod audit;
pub mod board;
pub mod consent;
pub mod handover;
pub mod incident;
pub mod ledger_book;
pub mod setup;

mod error;
mod labels;
mod refusal;
mod session;

pub use error::FlowError;
pub use labels::Labels;
pub use session::Session;

use serde::{Deserialize, Serialize};

/// How a notice should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NoticeKind {
    /// Something was refused or failed; nothing was written.
    Error,
    /// Allowed, but look at this.
    Warning,
    /// Done, or for information.
    Info,
}

/// A message shown at the top of a screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Notice {
    /// How it should look.
    pub kind: NoticeKind,
    /// The text, localized.
    pub text: String,
}

/// A rule's reason as shown: the reason and the guideline it enforces, localized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonView {
    /// The rule's id (for support and audit).
    pub rule: String,
    /// Why, localized.
    pub text: String,
    /// What it enforces, localized.
    pub cites: String,
}

impl ReasonView {
    /// A reason in `locale`.
    pub fn of(reason: &crate::rules::Reason, locale: crate::i18n::Locale) -> Self {
        ReasonView {
            rule: reason.rule.clone(),
            text: reason.text(locale).to_string(),
            cites: reason.cites(locale).to_string(),
        }
    }
}
