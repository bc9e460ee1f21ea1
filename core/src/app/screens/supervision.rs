//! The supervisor's screens: approvals, the board, alerts, the audit, incidents.

use super::navigation_code as code;
use super::{Screen, button, button_id, choices, fact, field, paragraphs, row};
use crate::alerts::Severity;
use crate::app::format;
use crate::app::view::{ButtonStyle, FieldKind, Progress, Row, ScreenKind, Section};
use crate::app::{App, AppEvent, FieldId};
use crate::flows::audit::{AuditAction, AuditRow, AuditStep};
use crate::flows::board::{AlertTarget, BoardItem, BoardSection};
use crate::flows::incident::{IncidentAction, IncidentFlowStep, StepState};
use crate::flows::{Labels, Session};
use crate::ledger::IncidentStep;

/// Pending requests, oldest first: approve, or deny with the reason entered.
pub(in crate::app) fn approvals(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let view = app.flows.approvals.view(session);
    let rows = view
        .requests
        .iter()
        .map(|request| {
            let mut details = vec![
                catalog.format(
                    "app-approval-requester",
                    &[("name", request.requester.clone().into())],
                ),
                request.purpose.clone(),
                request.when.clone(),
            ];
            details.extend(
                request
                    .rules
                    .iter()
                    .map(|r| format!("{} ({})", r.text, r.cites)),
            );
            let mut approve = button(
                view.approve.clone(),
                AppEvent::Approve {
                    request: request.request.to_string(),
                },
                ButtonStyle::Primary,
            );
            let mut deny = button(
                view.deny.clone(),
                AppEvent::Deny {
                    request: request.request.to_string(),
                },
                ButtonStyle::Destructive,
            );
            approve.enabled = request.can_decide;
            deny.enabled = request.can_decide;
            row(request.item.clone(), details, vec![approve, deny])
        })
        .collect();
    let list = Section {
        paragraphs: vec![view.summary.clone()],
        rows,
        empty: Some(catalog.text("app-approvals-empty")),
        // A reason is asked for only when there is something to deny.
        fields: if view.requests.is_empty() {
            Vec::new()
        } else {
            vec![field(
                app,
                FieldId::DenyReason,
                catalog.text("app-field-deny-reason"),
                Some(catalog.text("app-field-deny-reason-hint")),
                false,
                FieldKind::Text,
            )]
        },
        ..Section::default()
    };
    let mut screen = Screen::new(view.title, vec![list]);
    screen.notices.extend(view.notice);
    screen
}

/// What is where: overdue first, then out, then held; discrepancies.
pub(in crate::app) fn board(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let view = app.flows.board.view(session);
    let summary = Section {
        // "2026年11月24日（令和8年） 10:00 現在" says what it is without a label of its own.
        paragraphs: vec![view.summary.clone(), view.as_of.clone()],
        facts: vec![fact(
            catalog.text("app-fact-showing"),
            view.filter_label.clone(),
        )],
        buttons: vec![button_id(
            catalog,
            "app-show-all",
            AppEvent::ShowAll,
            ButtonStyle::Secondary,
        )],
        ..Section::default()
    };
    let items = |section: &BoardSection, severity: Option<Severity>| Section {
        title: Some(section.heading.clone()),
        rows: section
            .items
            .iter()
            .map(|item| board_row(catalog, item, severity))
            .collect(),
        empty: Some(section.empty_text.clone()),
        ..Section::default()
    };
    let discrepancies = Section {
        title: Some(view.discrepancies_heading.clone()),
        rows: view
            .discrepancies
            .iter()
            .map(|d| {
                let mut r = row(
                    d.message.clone(),
                    d.at.iter().cloned().collect(),
                    Vec::new(),
                );
                r.severity = Some(Severity::Urgent);
                r
            })
            .collect(),
        empty: Some(view.discrepancies_empty_text.clone()),
        ..Section::default()
    };
    let sections = vec![
        summary,
        items(&view.overdue, Some(Severity::Urgent)),
        items(&view.out, None),
        discrepancies,
        items(&view.held, None),
    ];
    let mut screen = Screen::new(view.title, sections);
    screen.notices.extend(view.notice);
    screen
}

fn board_row(catalog: &crate::i18n::Catalog, item: &BoardItem, severity: Option<Severity>) -> Row {
    let mut r = row(
        format!("{}　{}", item.resident_name, item.kind),
        vec![item.custody.clone()],
        vec![button_id(
            catalog,
            "app-show-resident",
            AppEvent::ShowResident {
                resident: item.resident.to_string(),
            },
            ButtonStyle::Secondary,
        )],
    );
    r.severity = severity.filter(|_| item.overdue);
    r
}

/// What needs attention, most urgent first; each opens the screen that resolves it.
pub(in crate::app) fn alerts(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let state = session.store().state();
    let view = app.flows.board.view(session);
    let rows = view
        .alerts
        .iter()
        .map(|alert| {
            let event = match alert.opens {
                AlertTarget::Item(item) => {
                    state.items.get(&item).map(|record| AppEvent::ShowResident {
                        resident: record.item.resident.to_string(),
                    })
                }
                AlertTarget::Agreement(resident) => Some(AppEvent::OpenConsent {
                    resident: resident.to_string(),
                }),
                AlertTarget::Incident(incident) => Some(AppEvent::ResumeIncident {
                    incident: incident.to_string(),
                }),
                AlertTarget::Audit => Some(AppEvent::Open {
                    screen: ScreenKind::Audit,
                }),
                AlertTarget::Staff(_) => Some(AppEvent::Open {
                    screen: ScreenKind::Setup,
                }),
            };
            let mut r = row(
                alert.message.clone(),
                std::iter::once(alert.severity_label.clone())
                    .chain(alert.at.clone())
                    .collect(),
                event
                    .into_iter()
                    .map(|event| button_id(catalog, "app-open", event, ButtonStyle::Secondary))
                    .collect(),
            );
            r.severity = Some(alert.severity);
            r
        })
        .collect();
    let list = Section {
        rows,
        empty: Some(view.alerts_empty_text.clone()),
        ..Section::default()
    };
    Screen::new(catalog.text("app-screen-alerts"), vec![list])
}

/// The stocktake: start, scan every locker, mark what is there, complete.
pub(in crate::app) fn audit(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let view = app.flows.audit.view(session);
    let mut main = Section {
        paragraphs: vec![view.instruction.clone()],
        ..Section::default()
    };
    if let Some(locker) = &view.locker {
        main.facts
            .push(fact(catalog.text("app-fact-locker"), locker.clone()));
    }
    for audit_button in &view.buttons {
        let (event, style) = match audit_button.action {
            AuditAction::Start => (AppEvent::StartAudit, ButtonStyle::Primary),
            AuditAction::Complete => (AppEvent::CompleteAudit, ButtonStyle::Primary),
            AuditAction::MarkFound | AuditAction::MarkMissing => continue,
        };
        main.buttons
            .push(button(audit_button.label.clone(), event, style));
    }
    if matches!(view.step, AuditStep::ScanLocker | AuditStep::Locker) {
        main.buttons.insert(
            0,
            button_id(
                catalog,
                "app-scan-label",
                AppEvent::ScanLabel,
                ButtonStyle::Primary,
            ),
        );
        for b in main.buttons.iter_mut().skip(1) {
            b.style = ButtonStyle::Secondary;
        }
    }
    let mut sections = vec![main];
    if view.step == AuditStep::Locker {
        sections.push(Section {
            title: Some(catalog.text("app-audit-expected")),
            rows: view.expected.iter().map(audit_row).collect(),
            empty: Some(catalog.text("app-audit-nothing-expected")),
            ..Section::default()
        });
        if !view.unexpected.is_empty() {
            sections.push(Section {
                title: Some(catalog.text("app-audit-unexpected")),
                rows: view.unexpected.iter().map(audit_row).collect(),
                ..Section::default()
            });
        }
    }
    if !view.lockers.is_empty() && view.step != AuditStep::Completed {
        let mut lockers = view.lockers.clone();
        lockers.sort_by(|a, b| a.name.cmp(&b.name));
        sections.push(Section {
            title: Some(catalog.text("app-audit-lockers")),
            rows: lockers
                .iter()
                .map(|l| row(l.name.clone(), vec![l.text.clone()], Vec::new()))
                .collect(),
            ..Section::default()
        });
    }
    if let Some(note) = &view.completion_note {
        sections.push(paragraphs(None, vec![note.clone()]));
    }
    if let Some(summary) = &view.summary {
        let mut done = paragraphs(
            Some(catalog.text("app-audit-summary")),
            vec![summary.text.clone()],
        );
        done.rows = summary
            .missing
            .iter()
            .map(|m| {
                let mut r = row(
                    m.clone(),
                    vec![catalog.text("app-audit-missing")],
                    Vec::new(),
                );
                r.severity = Some(Severity::Urgent);
                r
            })
            .chain(summary.unexpected.iter().map(|u| {
                let mut r = row(
                    u.clone(),
                    vec![catalog.text("app-audit-unexpected")],
                    Vec::new(),
                );
                r.severity = Some(Severity::Warning);
                r
            }))
            .collect();
        done.buttons.push(button_id(
            catalog,
            "app-go-home",
            AppEvent::Open {
                screen: ScreenKind::Home,
            },
            ButtonStyle::Primary,
        ));
        sections.push(done);
    }
    let mut screen = Screen::new(view.title, sections);
    screen.progress = view.progress.as_ref().map(|p| Progress {
        text: p.text.clone(),
        done: Some(p.checked),
        total: Some(p.expected),
    });
    screen.notices.extend(view.notice);
    screen
}

fn audit_row(audit_row: &AuditRow) -> Row {
    let buttons = audit_row
        .buttons
        .iter()
        .filter_map(|b| {
            let item = audit_row.item.to_string();
            match b.action {
                AuditAction::MarkFound => Some(button(
                    b.label.clone(),
                    AppEvent::MarkFound { item },
                    ButtonStyle::Primary,
                )),
                AuditAction::MarkMissing => Some(button(
                    b.label.clone(),
                    AppEvent::MarkMissing { item },
                    ButtonStyle::Destructive,
                )),
                AuditAction::Start | AuditAction::Complete => None,
            }
        })
        .collect();
    row(
        audit_row.label.clone(),
        vec![audit_row.status.clone()],
        buttons,
    )
}

/// An incident: choose what happened, then the checklist with its deadlines.
pub(in crate::app) fn incident(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let locale = session.locale;
    let view = app.flows.incident.view(session);
    let mut sections = Vec::new();
    let mut main = Section {
        paragraphs: vec![view.instruction.clone()],
        ..Section::default()
    };
    for (label, value) in [
        ("app-fact-incident-kind", &view.kind),
        ("app-fact-item", &view.item),
        ("app-fact-opened", &view.opened),
        ("app-fact-progress", &view.progress),
    ] {
        if let Some(value) = value {
            main.facts.push(fact(catalog.text(label), value.clone()));
        }
    }
    match view.step {
        IncidentFlowStep::ChooseKind => {
            let kinds = view
                .kinds
                .iter()
                .map(|k| (code(&k.kind), format!("{} — {}", k.label, k.description)));
            let labels = Labels::new(session);
            let mut items: Vec<(String, String)> = session
                .store()
                .state()
                .items
                .iter()
                .filter(|(_, r)| !r.retired)
                .map(|(id, _)| (id.to_string(), labels.item(*id)))
                .collect();
            items.sort_by(|a, b| a.1.cmp(&b.1));
            main.fields.push(field(
                app,
                FieldId::IncidentKind,
                catalog.text("app-field-incident-kind"),
                None,
                true,
                choices(kinds),
            ));
            main.fields.push(field(
                app,
                FieldId::IncidentItem,
                catalog.text("app-field-incident-item"),
                Some(catalog.text("app-field-incident-item-hint")),
                false,
                choices(items),
            ));
            main.buttons.push(button_id(
                catalog,
                "app-open-incident",
                AppEvent::OpenIncident,
                ButtonStyle::Destructive,
            ));
            sections.push(main);
            let mut open: Vec<_> = session
                .store()
                .state()
                .incidents
                .iter()
                .filter(|(_, i)| i.closed_at.is_none())
                .collect();
            open.sort_by_key(|(_, i)| i.opened_at);
            sections.push(Section {
                title: Some(catalog.text("app-incidents-open")),
                rows: open
                    .into_iter()
                    .map(|(id, record)| {
                        row(
                            record
                                .item
                                .map(|item| labels.item(item))
                                .unwrap_or_else(|| catalog.text("app-incident-no-item")),
                            vec![format::date_time(record.opened_at, locale)],
                            vec![button_id(
                                catalog,
                                "app-open",
                                AppEvent::ResumeIncident {
                                    incident: id.to_string(),
                                },
                                ButtonStyle::Secondary,
                            )],
                        )
                    })
                    .collect(),
                empty: Some(catalog.text("app-incidents-none-open")),
                ..Section::default()
            });
        }
        IncidentFlowStep::Checklist | IncidentFlowStep::Closed => {
            for b in &view.buttons {
                if b.action == IncidentAction::Close {
                    main.buttons.push(button(
                        b.label.clone(),
                        AppEvent::CloseIncident,
                        ButtonStyle::Primary,
                    ));
                }
            }
            sections.push(main);
            let mut checklist = Section {
                title: Some(catalog.text("app-incident-checklist")),
                ..Section::default()
            };
            for step in &view.checklist {
                let mut details = vec![step.status.clone()];
                details.extend(step.deadline.clone());
                details.extend(step.hint.clone());
                if let Some(hotline) = &step.hotline {
                    details.push(hotline.text.clone());
                }
                let mut buttons = Vec::new();
                if step.state == StepState::Next
                    && step.step != IncidentStep::PoliceReport
                    && let Some(b) = view.buttons.iter().find(|b| {
                        b.action == IncidentAction::CompleteStep && b.step == Some(step.step)
                    })
                {
                    buttons.push(button(
                        b.label.clone(),
                        AppEvent::CompleteStep {
                            step: code(&step.step),
                        },
                        ButtonStyle::Primary,
                    ));
                }
                if step.state == StepState::Next && step.step == IncidentStep::PoliceReport {
                    checklist.fields.push(field(
                        app,
                        FieldId::ReceiptNumber,
                        step.reference_prompt
                            .clone()
                            .unwrap_or_else(|| catalog.text("app-field-receipt-number")),
                        None,
                        true,
                        FieldKind::Text,
                    ));
                    buttons.push(button_id(
                        catalog,
                        "app-record-police-report",
                        AppEvent::RecordPoliceReport,
                        ButtonStyle::Primary,
                    ));
                }
                let mut r = row(step.label.clone(), details, buttons);
                if step.overdue {
                    r.severity = Some(Severity::Urgent);
                }
                checklist.rows.push(r);
            }
            sections.push(checklist);
            if let Some(ppc) = &view.ppc {
                sections.push(Section {
                    title: Some(catalog.text("app-incident-ppc")),
                    paragraphs: vec![ppc.note.clone()],
                    facts: vec![
                        fact(
                            catalog.text("app-incident-ppc-preliminary"),
                            ppc.preliminary.clone(),
                        ),
                        fact(
                            catalog.text("app-incident-ppc-final"),
                            ppc.final_report.clone(),
                        ),
                        fact(
                            catalog.text("app-incident-ppc-final-improper"),
                            ppc.final_report_improper.clone(),
                        ),
                    ],
                    ..Section::default()
                });
            }
        }
    }
    let mut screen = Screen::new(view.title, sections);
    screen.notices.extend(view.notice);
    screen
}
