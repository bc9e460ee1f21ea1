//! One builder per screen: from the app's state and the flows' views to the sections a shell draws.

mod access;
mod custody;
mod records;
mod supervision;

use super::view::{
    AppView, Badge, Button, ButtonStyle, Choice, Fact, Field, FieldKind, PlatformRequest, Progress,
    Row, ScreenKind, Section,
};
use super::{App, AppEvent, FieldId, Waiting};
use crate::custody::{Custody, RequestStatus};
use crate::flows::{Labels, Notice, ReasonView, Session};
use crate::i18n::{Catalog, catalog};
use crate::model::Role;
use crate::rules::{Action, Decision, RuleContext, RuleRequest, Target};

pub(super) use super::navigation::code as navigation_code;
pub(super) use access::capabilities;
pub(super) use records::label_sheet;

/// What one screen builder makes; the frame (back, notices, badges, request) is added by [`build`].
pub(super) struct Screen {
    pub title: String,
    pub sections: Vec<Section>,
    pub progress: Option<Progress>,
    /// The flow's own notices (what it refused, what it did, the rules' warnings).
    pub notices: Vec<Notice>,
}

impl Screen {
    /// A screen of `sections` with no progress and no notice of its own.
    pub fn new(title: String, sections: Vec<Section>) -> Screen {
        Screen {
            title,
            sections,
            progress: None,
            notices: Vec::new(),
        }
    }
}

/// The whole view of `app`.
pub(super) fn build(app: &App) -> AppView {
    let locale = app.locale;
    let catalog = catalog(locale);
    let kind = app.screen();
    // Counted once per view: the home screen's entries and the frame show the same counts.
    let badges = app.session.as_ref().map(badges).unwrap_or_default();
    let screen = match (kind, app.session.as_ref()) {
        (ScreenKind::Unlock, _) | (_, None) => access::unlock(app, catalog),
        (ScreenKind::SignIn, Some(session)) => access::sign_in(session),
        (_, Some(session)) if session.actor_id().is_err() => access::sign_in(session),
        (ScreenKind::Home, Some(session)) => access::home(session, &badges),
        (ScreenKind::Settings, Some(session)) => access::settings(app, session),
        (ScreenKind::Sync, Some(session)) => access::sync(app, session),
        (ScreenKind::Handover, Some(session)) => custody::handover(app, session),
        (ScreenKind::Holding, Some(session)) => custody::holding(app, session),
        (ScreenKind::MyRequests, Some(session)) => custody::my_requests(session),
        (ScreenKind::Approvals, Some(session)) => supervision::approvals(app, session),
        (ScreenKind::Board, Some(session)) => supervision::board(app, session),
        (ScreenKind::Alerts, Some(session)) => supervision::alerts(app, session),
        (ScreenKind::Audit, Some(session)) => supervision::audit(app, session),
        (ScreenKind::Incident, Some(session)) => supervision::incident(app, session),
        (ScreenKind::Agreements, Some(session)) => records::agreements(app, session),
        (ScreenKind::Consent, Some(session)) => records::consent(app, session),
        (ScreenKind::Setup, Some(session)) => records::setup(app, session),
        (ScreenKind::Labels, Some(session)) => records::labels(app, session),
    };
    // What is really shown: a store locked or nobody signed in overrides the stack.
    let shown = match app.session.as_ref() {
        None => ScreenKind::Unlock,
        Some(session) if session.actor_id().is_err() => ScreenKind::SignIn,
        Some(_) => kind,
    };
    let signed_in = app.session.as_ref().and_then(|session| {
        let actor = session.actor().ok()?;
        let name = Labels::new(session).staff(actor.id);
        Some(catalog.format(
            "app-signed-in-as",
            &[
                ("name", name.into()),
                ("roles", roles_text(&actor.roles, catalog).into()),
            ],
        ))
    });
    let back = (app.stack.len() > 1 && shown == kind).then(|| Button {
        label: catalog.text("app-back"),
        event: AppEvent::Back,
        enabled: true,
        style: ButtonStyle::Secondary,
    });
    let mut notices: Vec<_> = app.said.iter().map(|said| said.notice(locale)).collect();
    notices.extend(screen.notices);
    let busy = match app.waiting {
        Some(Waiting::Sync) => Some(Progress {
            text: catalog.text("app-busy-sync"),
            done: None,
            total: None,
        }),
        Some(Waiting::Join(_)) => Some(Progress {
            text: catalog.text("app-busy-join"),
            done: None,
            total: None,
        }),
        _ => None,
    };
    if let (Some(session), ScreenKind::Home) = (app.session.as_ref(), shown) {
        notices.extend(access::home_notices(session));
    }
    // A damaged ledger is shown on every screen until an administrator acknowledges it.
    if let Some(damage) = app.session.as_ref().and_then(|s| s.store().damage())
        && !damage.acknowledged
    {
        notices.insert(
            0,
            Notice {
                kind: crate::flows::NoticeKind::Error,
                text: catalog.format(
                    "app-store-damaged",
                    &[(
                        "index",
                        crate::i18n::Arg::from(i64::try_from(damage.log_index).unwrap_or(i64::MAX)),
                    )],
                ),
            },
        );
    }
    AppView {
        screen: shown,
        title: screen.title,
        signed_in,
        back,
        notices,
        busy,
        progress: screen.progress,
        badges,
        sections: screen.sections,
        request: request(app, catalog),
        language: locale,
    }
}

/// The platform request of the moment.
fn request(app: &App, catalog: &Catalog) -> Option<PlatformRequest> {
    Some(match app.waiting.as_ref()? {
        Waiting::Scan => PlatformRequest::ScanQr {
            prompt: catalog.text("app-scan-prompt"),
            cancel: catalog.text("app-cancel"),
        },
        Waiting::Card => PlatformRequest::TapCard {
            prompt: catalog.text("app-card-prompt"),
            cancel: catalog.text("app-cancel"),
        },
        Waiting::Sync => PlatformRequest::SyncNow,
        Waiting::Join(invite) => PlatformRequest::JoinHub {
            hub_url: invite.hub_url.clone(),
            cert_sha256: invite.cert_sha256.clone(),
        },
        Waiting::Share {
            file_name,
            mime_type,
            bytes,
        } => PlatformRequest::ShareFile {
            file_name: file_name.clone(),
            mime_type: mime_type.clone(),
            bytes: bytes.clone(),
        },
    })
}

/// The counts the home screen shows beside its entries.
fn badges(session: &Session) -> Vec<Badge> {
    let Ok(actor) = session.actor_id() else {
        return Vec::new();
    };
    let state = session.store().state();
    let capabilities = capabilities(session);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut badges = vec![
        Badge {
            screen: ScreenKind::Holding,
            count: count(
                state
                    .items
                    .values()
                    .filter(|r| matches!(r.custody, Custody::Out { holder, .. } if holder == actor))
                    .count(),
            ),
        },
        Badge {
            screen: ScreenKind::MyRequests,
            count: count(
                state
                    .requests
                    .values()
                    .filter(|r| r.requester == Some(actor) && r.status == RequestStatus::Pending)
                    .count(),
            ),
        },
    ];
    if capabilities.approve {
        badges.push(Badge {
            screen: ScreenKind::Approvals,
            count: count(
                state
                    .requests
                    .values()
                    .filter(|r| r.status == RequestStatus::Pending && r.requester != Some(actor))
                    .count(),
            ),
        });
    }
    if capabilities.supervise {
        let alerts = crate::alerts::alerts(state, session.now(), &session.alert_settings);
        badges.push(Badge {
            screen: ScreenKind::Alerts,
            count: count(alerts.len()),
        });
    }
    badges.retain(|b| b.count > 0);
    badges
}

/// Roles in words, joined ("責任者・管理者").
pub(super) fn roles_text(roles: &std::collections::BTreeSet<Role>, catalog: &Catalog) -> String {
    roles
        .iter()
        .map(|role| catalog.text(crate::flows::setup::role_id(*role)))
        .collect::<Vec<_>>()
        .join(catalog.text("app-list-separator").as_str())
}

/// A button.
pub(super) fn button(label: String, event: AppEvent, style: ButtonStyle) -> Button {
    Button {
        label,
        event,
        enabled: true,
        style,
    }
}

/// A button whose label comes from the catalogue.
pub(super) fn button_id(
    catalog: &Catalog,
    id: &str,
    event: AppEvent,
    style: ButtonStyle,
) -> Button {
    button(catalog.text(id), event, style)
}

/// A section of paragraphs.
pub(super) fn paragraphs(title: Option<String>, paragraphs: Vec<String>) -> Section {
    Section {
        title,
        paragraphs: paragraphs.into_iter().filter(|p| !p.is_empty()).collect(),
        ..Section::default()
    }
}

/// A label–value pair.
pub(super) fn fact(label: String, value: String) -> Fact {
    Fact { label, value }
}

/// A row.
pub(super) fn row(title: String, details: Vec<String>, buttons: Vec<Button>) -> Row {
    Row {
        title,
        details: details.into_iter().filter(|d| !d.is_empty()).collect(),
        severity: None,
        badge: None,
        buttons,
    }
}

/// An input field showing the app's current value for it.
pub(super) fn field(
    app: &App,
    id: FieldId,
    label: String,
    hint: Option<String>,
    required: bool,
    kind: FieldKind,
) -> Field {
    let value = match kind {
        FieldKind::Secret => String::new(),
        _ => app.fields.get(&id).cloned().unwrap_or_default(),
    };
    Field {
        id,
        label,
        hint,
        required,
        value,
        error: None,
        kind,
    }
}

/// A one-of field's choices.
pub(super) fn choices(pairs: impl IntoIterator<Item = (String, String)>) -> FieldKind {
    FieldKind::OneOf {
        choices: pairs
            .into_iter()
            .map(|(value, label)| Choice { value, label })
            .collect(),
    }
}

/// A rule's reason as a row.
pub(super) fn reason_row(reason: &ReasonView) -> Row {
    row(reason.text.clone(), vec![reason.cites.clone()], Vec::new())
}

/// Whether `actor` may do `action` on the facility (audits, incidents, policy).
pub(super) fn allowed_on_facility(session: &Session, action: Action) -> bool {
    let Ok(actor) = session.actor() else {
        return false;
    };
    let request = RuleRequest {
        actor,
        action,
        target: Target::Facility,
        context: RuleContext::at(actor, session.now()),
    };
    matches!(session.decide(&request), Decision::Allowed { .. })
}
