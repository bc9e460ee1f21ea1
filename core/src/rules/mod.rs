//! The facility's rules, in Cedar. Every action is decided here before it becomes an event.
//!
//! Cedar answers allow or deny; Azukari needs three answers, so the policies carry their meaning in annotations:
//! a `forbid` states a rule and says why (`@reason_ja`, `@reason_en`) and what guideline it enforces
//! (`@cites_ja`, `@cites_en`); a `forbid` with `@approver("Supervisor")` is lifted by an approval of that role
//! for exactly this request (`context.approved`); a `permit` with `@warning_*` allows and warns. So:
//!
//! - no forbid applies → [`Decision::Allowed`] (with the warnings of the permits that applied);
//! - only forbids with an approver apply → [`Decision::NeedsApproval`];
//! - any forbid without an approver applies → [`Decision::Denied`] with the reasons of those hard forbids.
//!
//! The default policy set (`default.cedar`) encodes shared/design/DOMAIN.md. A facility can replace it; the new
//! text is validated against the schema (`schema.cedarschema`) and every forbid must explain itself, or it is
//! refused with line and column. Any evaluation error fails closed (denied).

mod context;
mod engine;
mod policy_error;

pub use context::{RuleContext, RuleRequest, Target, purpose_code};
pub use engine::{DEFAULT_POLICY, RuleEngine, SCHEMA};
pub use policy_error::{PolicyError, PolicyProblem};

use crate::i18n::Locale;
use crate::model::Role;
use serde::{Deserialize, Serialize};

/// An action the rules decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Take an item out of its locker (持ち出し).
    Checkout,
    /// Put an item back (返却).
    Return,
    /// Pass an item to another member of staff (引き継ぎ).
    HandOver,
    /// End custody: give the item to the resident or family (返却・引渡し).
    Release,
    /// Approve or deny a request (承認).
    Approve,
    /// Record a custody agreement (預かり合意の記録).
    RecordAgreement,
    /// Start an audit (監査・棚卸し).
    StartAudit,
    /// Open an incident (紛失・盗難・漏えい).
    OpenIncident,
    /// Replace the policy set (ルール変更).
    ChangePolicy,
}

impl Action {
    /// The Cedar action id.
    pub fn cedar_id(self) -> &'static str {
        match self {
            Action::Checkout => "checkout",
            Action::Return => "returnItem",
            Action::HandOver => "handOver",
            Action::Release => "release",
            Action::Approve => "approve",
            Action::RecordAgreement => "recordAgreement",
            Action::StartAudit => "startAudit",
            Action::OpenIncident => "openIncident",
            Action::ChangePolicy => "changePolicy",
        }
    }
}

/// Why a rule applied, in both languages, citing the guideline it enforces. Texts come from the policy's own
/// annotations, so a facility's policy file speaks for itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The policy's `@id`.
    pub rule: String,
    /// The reason in Japanese.
    pub text_ja: String,
    /// The reason in English.
    pub text_en: String,
    /// The guideline it enforces, in Japanese.
    pub cites_ja: String,
    /// The guideline it enforces, in English.
    pub cites_en: String,
}

impl Reason {
    /// The reason in `locale`.
    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.text_ja,
            Locale::En => &self.text_en,
        }
    }

    /// The guideline it enforces, in `locale`.
    pub fn cites(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.cites_ja,
            Locale::En => &self.cites_en,
        }
    }
}

/// What the rules say about an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Go ahead; warnings (if any) are shown and the event is flagged with them.
    Allowed {
        /// Warnings of the permits that applied.
        warnings: Vec<Reason>,
    },
    /// Allowed once someone with `approver` approves this exact request.
    NeedsApproval {
        /// Who must approve.
        approver: Role,
        /// Why approval is needed.
        reasons: Vec<Reason>,
    },
    /// Not allowed.
    Denied {
        /// Why not.
        reasons: Vec<Reason>,
    },
}

impl Decision {
    /// Whether the action may go ahead now.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// The ids of the rules behind the decision (reasons or warnings).
    pub fn rules(&self) -> Vec<&str> {
        match self {
            Decision::Allowed { warnings: reasons }
            | Decision::NeedsApproval { reasons, .. }
            | Decision::Denied { reasons } => reasons.iter().map(|r| r.rule.as_str()).collect(),
        }
    }
}
