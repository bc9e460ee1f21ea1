//! The caregiver's screens: the handover, what I hold, my requests.

use super::navigation_code as code;
use super::{Screen, button, button_id, choices, fact, field, reason_row, row};
use crate::app::format;
use crate::app::view::{ButtonStyle, FieldKind, ScreenKind, Section};
use crate::app::{App, AppEvent, FieldId};
use crate::custody::{Custody, RequestStatus};
use crate::flows::handover::HandoverStep;
use crate::flows::{Labels, Session};
use crate::ledger::ReleaseTo;

/// The handover: scan → item → purpose → decision → (approval) → out; back with the card tap.
pub(in crate::app) fn handover(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let view = app.flows.handover.view(session);
    let mut facts = Vec::new();
    if let Some(locker) = &view.locker {
        facts.push(fact(catalog.text("app-fact-locker"), locker.clone()));
    }
    if let Some(item) = &view.item {
        facts.push(fact(catalog.text("app-fact-item"), item.clone()));
    }
    let mut main = Section {
        paragraphs: vec![view.instruction.clone()],
        facts,
        ..Section::default()
    };
    let mut sections = Vec::new();
    let start_over = button_id(
        catalog,
        "app-start-over",
        AppEvent::StartOver,
        ButtonStyle::Secondary,
    );
    match view.step {
        HandoverStep::ScanLocker => {
            main.buttons.push(button_id(
                catalog,
                "app-scan-label",
                AppEvent::ScanLabel,
                ButtonStyle::Primary,
            ));
            sections.push(main);
        }
        HandoverStep::ChooseItem => {
            main.rows = view
                .items
                .iter()
                .map(|item| {
                    row(
                        item.label.clone(),
                        vec![item.custody.clone()],
                        vec![button(
                            item.action.clone(),
                            AppEvent::ChooseItem {
                                item: item.item.to_string(),
                            },
                            ButtonStyle::Primary,
                        )],
                    )
                })
                .collect();
            main.empty = Some(catalog.text("handover-locker-empty"));
            main.buttons.push(start_over);
            sections.push(main);
        }
        HandoverStep::ChoosePurpose => {
            main.buttons = view
                .purposes
                .iter()
                .map(|option| {
                    button(
                        option.label.clone(),
                        AppEvent::ChoosePurpose {
                            purpose: code(&option.choice),
                        },
                        // Every purpose weighs the same: none is the screen's one main action.
                        ButtonStyle::Secondary,
                    )
                })
                .collect();
            main.fields.push(field(
                app,
                FieldId::PurposeNote,
                catalog.text("app-field-purpose-note"),
                Some(catalog.text("app-field-purpose-note-hint")),
                false,
                FieldKind::Text,
            ));
            sections.push(main);
            sections.push(Section {
                buttons: vec![start_over],
                ..Section::default()
            });
        }
        HandoverStep::ReadyToCheckOut | HandoverStep::NeedsApproval => {
            let needs_approval = view.step == HandoverStep::NeedsApproval;
            if let Some(decision) = &view.decision {
                main.paragraphs.insert(0, decision.headline.clone());
                main.rows = decision.reasons.iter().map(reason_row).collect();
            }
            let (label, event) = if needs_approval {
                ("handover-request-approval", AppEvent::RequestApproval)
            } else {
                ("handover-confirm-checkout", AppEvent::CheckOut)
            };
            main.buttons
                .push(button_id(catalog, label, event, ButtonStyle::Primary));
            main.buttons.push(start_over);
            sections.push(main);
        }
        HandoverStep::WaitingForApproval => {
            main.buttons.push(button_id(
                catalog,
                "handover-check-approval",
                AppEvent::CheckApproval,
                ButtonStyle::Primary,
            ));
            main.buttons.push(button_id(
                catalog,
                "app-go-home",
                AppEvent::Open {
                    screen: ScreenKind::Home,
                },
                ButtonStyle::Secondary,
            ));
            sections.push(main);
        }
        HandoverStep::CardCheck => {
            main.paragraphs.extend(view.card_check.clone());
            // Until the card is proved to be the item's, tapping it is the main action; then the return is.
            let checked = view.card_checked == Some(true);
            if !checked {
                main.buttons.push(button_id(
                    catalog,
                    "app-tap-card",
                    AppEvent::TapCard,
                    ButtonStyle::Primary,
                ));
            }
            main.buttons.push(button_id(
                catalog,
                "handover-confirm-return",
                AppEvent::ReturnItem,
                if checked {
                    ButtonStyle::Primary
                } else {
                    ButtonStyle::Secondary
                },
            ));
            main.buttons.push(start_over);
            sections.push(main);
        }
        HandoverStep::CheckedOut
        | HandoverStep::Returned
        | HandoverStep::HandedOver
        | HandoverStep::Released => {
            main.buttons.push(button_id(
                catalog,
                "app-go-home",
                AppEvent::Open {
                    screen: ScreenKind::Home,
                },
                ButtonStyle::Primary,
            ));
            main.buttons.push(button_id(
                catalog,
                "app-scan-next",
                AppEvent::ScanLabel,
                ButtonStyle::Secondary,
            ));
            sections.push(main);
        }
    }
    let mut screen = Screen::new(view.title, sections);
    screen.notices.extend(view.notice);
    screen
}

/// What I hold now: hand each to a colleague, or release it.
pub(in crate::app) fn holding(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let locale = session.locale;
    let labels = Labels::new(session);
    let Ok(actor) = session.actor_id() else {
        return Screen::new(catalog.text("app-screen-holding"), Vec::new());
    };
    let state = session.store().state();
    let mut held: Vec<_> = state
        .items
        .iter()
        .filter_map(|(id, record)| match record.custody {
            Custody::Out { holder, due_at, .. } if holder == actor => Some((*id, due_at)),
            _ => None,
        })
        .map(|(id, due_at)| (labels.item(id), id, due_at))
        .collect();
    held.sort();
    let now = session.now();
    let rows = held
        .into_iter()
        .map(|(label, id, due_at)| {
            let due = catalog.format(
                "app-holding-due",
                &[("due", format::date_time(due_at, locale).into())],
            );
            let mut item_row = row(
                label,
                vec![due],
                vec![
                    button_id(
                        catalog,
                        "app-hand-over",
                        AppEvent::HandOver {
                            item: id.to_string(),
                        },
                        ButtonStyle::Secondary,
                    ),
                    button_id(
                        catalog,
                        "app-release",
                        AppEvent::Release {
                            item: id.to_string(),
                        },
                        ButtonStyle::Destructive,
                    ),
                ],
            );
            if due_at < now {
                item_row.severity = Some(crate::alerts::Severity::Urgent);
            }
            item_row
        })
        .collect();
    let mut colleagues: Vec<(String, String)> = state
        .staff
        .values()
        .filter(|s| s.active && s.id != actor)
        .map(|s| (s.id.to_string(), labels.staff(s.id)))
        .collect();
    colleagues.sort_by(|a, b| a.1.cmp(&b.1));
    let release_to = [ReleaseTo::Resident, ReleaseTo::Family, ReleaseTo::Discharge]
        .into_iter()
        .map(|to| (code(&to), catalog.text(release_to_id(to))));
    let list = Section {
        paragraphs: vec![catalog.text("app-holding-instruction")],
        rows,
        empty: Some(catalog.text("app-holding-empty")),
        fields: vec![
            field(
                app,
                FieldId::Colleague,
                catalog.text("app-field-colleague"),
                None,
                false,
                choices(colleagues),
            ),
            field(
                app,
                FieldId::ReleaseTo,
                catalog.text("app-field-release-to"),
                None,
                false,
                choices(release_to),
            ),
        ],
        buttons: vec![button_id(
            catalog,
            "app-scan-label",
            AppEvent::ScanLabel,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    Screen::new(catalog.text("app-screen-holding"), vec![list])
}

/// My checkout requests, newest first, and what the supervisor answered.
pub(in crate::app) fn my_requests(session: &Session) -> Screen {
    let catalog = session.catalog();
    let locale = session.locale;
    let labels = Labels::new(session);
    let Ok(actor) = session.actor_id() else {
        return Screen::new(catalog.text("app-screen-my-requests"), Vec::new());
    };
    let mut requests: Vec<_> = session
        .store()
        .state()
        .requests
        .iter()
        .filter(|(_, r)| r.requester == Some(actor))
        .collect();
    requests.sort_by_key(|(_, r)| std::cmp::Reverse(r.requested_at));
    let rows = requests
        .into_iter()
        .map(|(id, request)| {
            let status = catalog.text(match request.status {
                RequestStatus::Pending => "app-request-pending",
                RequestStatus::Granted(_) => "app-request-granted",
                RequestStatus::Denied(_) => "app-request-denied",
                RequestStatus::Used => "app-request-used",
            });
            let mut buttons = Vec::new();
            if matches!(
                request.status,
                RequestStatus::Pending | RequestStatus::Granted(_)
            ) {
                buttons.push(button_id(
                    catalog,
                    "app-open",
                    AppEvent::ResumeRequest {
                        request: id.to_string(),
                    },
                    ButtonStyle::Primary,
                ));
            }
            row(
                labels.item(request.item),
                vec![
                    status,
                    labels.purpose(&request.purpose),
                    format::date_time(request.requested_at, locale),
                ],
                buttons,
            )
        })
        .collect();
    let list = Section {
        rows,
        empty: Some(catalog.text("app-my-requests-empty")),
        ..Section::default()
    };
    Screen::new(catalog.text("app-screen-my-requests"), vec![list])
}

/// The catalogue id of a release's recipient.
fn release_to_id(to: ReleaseTo) -> &'static str {
    match to {
        ReleaseTo::Resident => "app-release-to-resident",
        ReleaseTo::Family => "app-release-to-family",
        ReleaseTo::Discharge => "app-release-to-discharge",
    }
}
