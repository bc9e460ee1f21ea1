//! Getting in and around: unlock, sign-in, the home screen by role, settings, sync.

use super::{
    Screen, allowed_on_facility, button, button_id, fact, field, paragraphs, roles_text, row,
};
use crate::app::format;
use crate::app::view::{ButtonStyle, FieldKind, ScreenKind, Section};
use crate::app::{App, AppEvent, FieldId};
use crate::custody::RequestStatus;
use crate::flows::{Labels, Notice, NoticeKind, Session};
use crate::i18n::{Arg, Catalog, Locale};
use crate::rules::{Action, Decision, RuleContext, RuleRequest, Target};
use crate::sync::SyncState;

/// What the signed-in member of staff may do, as the rules say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(in crate::app) struct Capabilities {
    /// Approve others' checkout requests.
    pub approve: bool,
    /// See the board and alerts, run audits (a supervisor, auditor or administrator).
    pub supervise: bool,
    /// Start an audit.
    pub audit: bool,
    /// Open an incident.
    pub incident: bool,
    /// Record custody agreements.
    pub agreements: bool,
    /// Set up the facility (residents, lockers, staff, policy).
    pub setup: bool,
}

impl Capabilities {
    /// Whether a screen may be opened.
    pub fn may_open(self, screen: ScreenKind) -> bool {
        match screen {
            ScreenKind::Unlock | ScreenKind::SignIn => false,
            ScreenKind::Home
            | ScreenKind::Handover
            | ScreenKind::Holding
            | ScreenKind::MyRequests
            | ScreenKind::Sync
            | ScreenKind::Settings => true,
            ScreenKind::Approvals => self.approve,
            ScreenKind::Board | ScreenKind::Alerts => self.supervise,
            ScreenKind::Audit => self.audit,
            ScreenKind::Incident => self.incident,
            ScreenKind::Agreements | ScreenKind::Consent => self.agreements,
            ScreenKind::Setup | ScreenKind::Labels => self.setup,
        }
    }
}

/// Ask the rules what the signed-in member of staff may do. Approving is asked about a pending request by
/// someone else on any item the facility holds; the facility's actions are asked as they are.
pub(in crate::app) fn capabilities(session: &Session) -> Capabilities {
    let Ok(actor) = session.actor() else {
        return Capabilities::default();
    };
    let state = session.store().state();
    let approve = state.items.values().next().is_some_and(|record| {
        let mut context = RuleContext::for_item(state, actor, &record.item, session.now());
        context.is_requester = false;
        context.request_pending = true;
        matches!(
            session.decide(&RuleRequest {
                actor,
                action: Action::Approve,
                target: Target::Item(&record.item),
                context,
            }),
            Decision::Allowed { .. }
        )
    });
    let agreements = state.residents.keys().next().is_some_and(|resident| {
        matches!(
            session.decide(&RuleRequest {
                actor,
                action: Action::RecordAgreement,
                target: Target::Resident(*resident),
                context: RuleContext::at(actor, session.now()),
            }),
            Decision::Allowed { .. }
        )
    });
    let audit = allowed_on_facility(session, Action::StartAudit);
    Capabilities {
        approve,
        supervise: approve || audit,
        audit,
        incident: allowed_on_facility(session, Action::OpenIncident),
        agreements,
        // The setup flow registers for administrators; supervisors record staff training there (nobody their own).
        setup: actor.has_role(crate::model::Role::Admin)
            || actor.has_role(crate::model::Role::Supervisor)
            || allowed_on_facility(session, Action::ChangePolicy),
    }
}

/// Unlock: the key vault every day, the recovery passphrase when the vault lost its key.
pub(in crate::app) fn unlock(app: &App, catalog: &Catalog) -> Screen {
    let daily = Section {
        paragraphs: vec![catalog.text("app-unlock-instruction")],
        buttons: vec![button_id(
            catalog,
            "app-unlock-vault",
            AppEvent::UnlockWithVault,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let recovery = Section {
        title: Some(catalog.text("app-unlock-recovery-title")),
        paragraphs: vec![catalog.text("app-unlock-recovery-instruction")],
        fields: vec![field(
            app,
            FieldId::RecoveryPassphrase,
            catalog.text("app-field-recovery-passphrase"),
            Some(catalog.text("app-field-recovery-passphrase-hint")),
            true,
            FieldKind::Secret,
        )],
        buttons: vec![button_id(
            catalog,
            "app-unlock-passphrase",
            AppEvent::UnlockWithPassphrase,
            ButtonStyle::Secondary,
        )],
        ..Section::default()
    };
    let language = language_section(catalog);
    if !app.path.exists() {
        // No store on this device yet: join the facility with the hub's enrollment QR.
        let join = Section {
            paragraphs: vec![catalog.text("app-join-instruction")],
            buttons: vec![button_id(
                catalog,
                "app-join-scan",
                AppEvent::ScanLabel,
                ButtonStyle::Primary,
            )],
            ..Section::default()
        };
        return Screen::new(catalog.text("app-join-title"), vec![join, language]);
    }
    Screen::new(
        catalog.text("app-unlock-title"),
        vec![daily, recovery, language],
    )
}

/// Sign-in on a shared device: the facility's active staff by name, with their roles.
pub(in crate::app) fn sign_in(session: &Session) -> Screen {
    let catalog = session.catalog();
    let labels = Labels::new(session);
    let mut staff: Vec<_> = session
        .store()
        .state()
        .staff
        .values()
        .filter(|s| s.active)
        .map(|s| (labels.staff(s.id), s))
        .collect();
    staff.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let rows = staff
        .into_iter()
        .map(|(name, member)| {
            row(
                name,
                vec![roles_text(&member.roles, catalog)],
                vec![button_id(
                    catalog,
                    "app-sign-in-button",
                    AppEvent::SignIn {
                        staff: member.id.to_string(),
                    },
                    ButtonStyle::Primary,
                )],
            )
        })
        .collect();
    let list = Section {
        paragraphs: vec![catalog.text("app-sign-in-instruction")],
        rows,
        empty: Some(catalog.text("app-sign-in-empty")),
        ..Section::default()
    };
    Screen::new(
        catalog.text("app-sign-in-title"),
        vec![list, language_section(catalog)],
    )
}

/// The home screen: what this person may do, by what the rules allow them.
pub(in crate::app) fn home(session: &Session, badges: &[crate::app::view::Badge]) -> Screen {
    let catalog = session.catalog();
    let can = capabilities(session);
    let entry = |screen: ScreenKind, id: &str, hint: &str| {
        let mut entry = row(
            catalog.text(id),
            vec![catalog.text(hint)],
            vec![button_id(
                catalog,
                "app-open",
                AppEvent::Open { screen },
                ButtonStyle::Secondary,
            )],
        );
        entry.badge = badges.iter().find(|b| b.screen == screen).map(|b| b.count);
        entry
    };
    // The scan comes first: it is what a caregiver in a hurry opens the app for.
    let scan = Section {
        buttons: vec![button_id(
            catalog,
            "app-scan-label",
            AppEvent::ScanLabel,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let mut caregiving = Section {
        title: Some(catalog.text("app-home-caregiving")),
        rows: vec![
            entry(
                ScreenKind::Holding,
                "app-screen-holding",
                "app-home-holding-hint",
            ),
            entry(
                ScreenKind::MyRequests,
                "app-screen-my-requests",
                "app-home-my-requests-hint",
            ),
        ],
        ..Section::default()
    };
    // Anyone may have to report a lost card; it sits with the supervisor's work only for those who do it.
    if can.incident && !can.supervise {
        caregiving.rows.push(entry(
            ScreenKind::Incident,
            "app-screen-incident",
            "app-home-incident-hint",
        ));
    }
    let mut sections = vec![scan, caregiving];
    let mut supervision = Vec::new();
    if can.approve {
        supervision.push(entry(
            ScreenKind::Approvals,
            "app-screen-approvals",
            "app-home-approvals-hint",
        ));
    }
    if can.supervise {
        supervision.push(entry(
            ScreenKind::Board,
            "app-screen-board",
            "app-home-board-hint",
        ));
        supervision.push(entry(
            ScreenKind::Alerts,
            "app-screen-alerts",
            "app-home-alerts-hint",
        ));
    }
    if can.audit {
        supervision.push(entry(
            ScreenKind::Audit,
            "app-screen-audit",
            "app-home-audit-hint",
        ));
    }
    if can.incident && can.supervise {
        supervision.push(entry(
            ScreenKind::Incident,
            "app-screen-incident",
            "app-home-incident-hint",
        ));
    }
    if !supervision.is_empty() {
        sections.push(Section {
            title: Some(catalog.text("app-home-supervision")),
            rows: supervision,
            ..Section::default()
        });
    }
    let mut records = Vec::new();
    if can.agreements {
        records.push(entry(
            ScreenKind::Agreements,
            "app-screen-agreements",
            "app-home-agreements-hint",
        ));
    }
    if can.setup {
        records.push(entry(
            ScreenKind::Setup,
            "app-screen-setup",
            "app-home-setup-hint",
        ));
        records.push(entry(
            ScreenKind::Labels,
            "app-screen-labels",
            "app-home-labels-hint",
        ));
    }
    if !records.is_empty() {
        sections.push(Section {
            title: Some(catalog.text("app-home-records")),
            rows: records,
            ..Section::default()
        });
    }
    sections.push(Section {
        title: Some(catalog.text("app-home-device")),
        rows: vec![
            entry(ScreenKind::Sync, "app-screen-sync", "app-home-sync-hint"),
            entry(
                ScreenKind::Settings,
                "app-screen-settings",
                "app-home-settings-hint",
            ),
        ],
        ..Section::default()
    });
    Screen::new(catalog.text("app-screen-home"), sections)
}

/// What the home screen says above everything: a request of mine answered.
pub(in crate::app) fn home_notices(session: &Session) -> Vec<Notice> {
    let Ok(actor) = session.actor_id() else {
        return Vec::new();
    };
    let catalog = session.catalog();
    let state = session.store().state();
    let answered = state
        .requests
        .values()
        .filter(|r| r.requester == Some(actor))
        .filter(|r| matches!(r.status, RequestStatus::Granted(_)))
        .filter(|r| {
            state
                .items
                .get(&r.item)
                .is_some_and(|i| matches!(i.custody, crate::custody::Custody::InLocker { .. }))
        })
        .count();
    if answered == 0 {
        return Vec::new();
    }
    vec![Notice {
        kind: NoticeKind::Info,
        text: catalog.format(
            "app-home-approved-waiting",
            &[("count", Arg::from(answered as i64))],
        ),
    }]
}

/// Settings: the language, this device, sign out, lock.
pub(in crate::app) fn settings(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let store = session.store();
    let device = Section {
        title: Some(catalog.text("app-settings-device")),
        facts: vec![
            fact(
                catalog.text("app-settings-facility"),
                store.facility_id().to_string(),
            ),
            fact(
                catalog.text("app-settings-device-id"),
                store.device_id().to_string(),
            ),
            fact(
                catalog.text("app-settings-label-host"),
                app.label_host.clone(),
            ),
        ],
        buttons: {
            let mut buttons = vec![
                button_id(
                    catalog,
                    "app-sign-out",
                    AppEvent::SignOut,
                    ButtonStyle::Secondary,
                ),
                button_id(
                    catalog,
                    "app-lock",
                    AppEvent::Lock,
                    ButtonStyle::Destructive,
                ),
            ];
            let admin = session
                .actor()
                .is_ok_and(|a| a.has_role(crate::model::Role::Admin));
            if admin && store.damage().is_some_and(|d| !d.acknowledged) {
                buttons.push(button_id(
                    catalog,
                    "app-acknowledge-damage",
                    AppEvent::AcknowledgeDamage,
                    ButtonStyle::Destructive,
                ));
            }
            buttons
        },
        ..Section::default()
    };
    Screen::new(
        catalog.text("app-screen-settings"),
        vec![language_section(catalog), device],
    )
}

/// The two languages, the current one first as it is.
fn language_section(catalog: &Catalog) -> Section {
    Section {
        title: Some(catalog.text("app-language")),
        buttons: vec![
            button(
                "日本語".to_string(),
                AppEvent::SetLanguage {
                    language: Locale::Ja,
                },
                ButtonStyle::Secondary,
            ),
            button(
                "English".to_string(),
                AppEvent::SetLanguage {
                    language: Locale::En,
                },
                ButtonStyle::Secondary,
            ),
        ],
        ..Section::default()
    }
}

/// Sync: when this device last synced, what waits to be sent, the hub's alarms.
pub(in crate::app) fn sync(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let locale = session.locale;
    let state = SyncState::load(session.store()).ok();
    let enrolled = state.as_ref().is_some_and(|s| s.hub_key.is_some());
    let mut facts = vec![fact(
        catalog.text("app-sync-enrolled"),
        catalog.text(if enrolled {
            "app-sync-enrolled-yes"
        } else {
            "app-sync-enrolled-no"
        }),
    )];
    facts.push(fact(
        catalog.text("app-sync-last"),
        app.sync
            .last_success
            .map(|at| format::date_time(at, locale))
            .unwrap_or_else(|| catalog.text("app-sync-never")),
    ));
    if let Some(outbox) = app.outbox() {
        facts.push(fact(
            catalog.text("app-sync-outbox"),
            catalog.format("app-count", &[("count", Arg::from(outbox as i64))]),
        ));
    }
    if let Some((head, _)) = state.as_ref().and_then(|s| s.checkpoint.as_ref()) {
        facts.push(fact(
            catalog.text("app-sync-log-size"),
            catalog.format("app-count", &[("count", Arg::from(head.size as i64))]),
        ));
    }
    let mut status = Section {
        facts,
        buttons: vec![button_id(
            catalog,
            "app-sync-now",
            AppEvent::SyncNow,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    if let Some(last) = &app.sync.last {
        status.paragraphs.push(last.notice(locale).text);
    }
    status.buttons[0].enabled = enrolled;
    let alarms: Vec<_> = state
        .map(|s| s.alarms)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|alarm| {
            let mut alarm_row = row(
                catalog.text("app-sync-alarm"),
                vec![format::date_time(alarm.at, locale)],
                Vec::new(),
            );
            alarm_row.severity = Some(crate::alerts::Severity::Urgent);
            alarm_row
        })
        .collect();
    let alarms = Section {
        title: Some(catalog.text("app-sync-alarms")),
        rows: alarms,
        empty: Some(catalog.text("app-sync-no-alarms")),
        ..Section::default()
    };
    let _ = paragraphs;
    Screen::new(catalog.text("app-screen-sync"), vec![status, alarms])
}
