//! What every flow shares about refusals: a refusal worded in both languages when it happened (so a later
//! locale switch still changes the notice), the notice built from it or from the rules' warnings, and asking the
//! rules about a facility-level action.

use super::{FlowError, Notice, NoticeKind, Session};
use crate::i18n::Locale;
use crate::rules::{Action, Decision, Reason, RuleContext, RuleRequest, Target};

/// A refusal, worded in every language when it happened, so a later locale switch still changes it.
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    ja: String,
    en: String,
}

impl Refusal {
    /// `error` in both languages.
    pub(super) fn of(error: &FlowError) -> Self {
        Refusal {
            ja: error.message(Locale::Ja),
            en: error.message(Locale::En),
        }
    }

    /// The refusal in `locale`.
    pub(super) fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }
}

/// The refusal, else the rules' warnings.
pub(super) fn notice(
    locale: Locale,
    error: Option<&Refusal>,
    warnings: &[Reason],
) -> Option<Notice> {
    if let Some(error) = error {
        return Some(Notice {
            kind: NoticeKind::Error,
            text: error.text(locale).to_string(),
        });
    }
    (!warnings.is_empty()).then(|| Notice {
        kind: NoticeKind::Warning,
        text: warnings
            .iter()
            .map(|w| w.text(locale))
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// Ask the rules about `action` on `target` by the signed-in staff at the session's time. These flows have no
/// approval step (approvals exist only for checkouts), so a decision that needs approval is refused too.
pub(super) fn ask_rules(
    session: &Session,
    action: Action,
    target: Target<'_>,
) -> Result<Vec<Reason>, FlowError> {
    let actor = session.actor()?;
    let request = RuleRequest {
        actor,
        action,
        target,
        context: RuleContext::at(actor, session.now()),
    };
    match session.decide(&request) {
        Decision::Allowed { warnings } => Ok(warnings),
        Decision::NeedsApproval { reasons, .. } | Decision::Denied { reasons } => {
            Err(FlowError::Denied(reasons))
        }
    }
}
