//! A whole facility day driven only by the app's events and read only from its views: a caregiver's phone and a
//! supervisor's tablet, each an `App` over its own store, syncing through the hub in process. Nothing here calls
//! a flow or the store directly once the day starts; the set-up before it stands for what already exists (the
//! hub's facility, printed labels, enrolled devices).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use azukari_core::app::{App, AppEvent, AppView, FieldId, FieldKind, PlatformRequest, ScreenKind};
use azukari_core::card::software::{SoftwareCard, SoftwareCardSpec};
use azukari_core::clock::{ManualClock, Timestamp};
use azukari_core::crypto::FileKeyVault;
use azukari_core::flows::NoticeKind;
use azukari_core::i18n::{Locale, catalog};
use azukari_core::qr::issue_sheet;
use azukari_hub::service::LocalHub;
use std::path::Path;
use std::sync::Arc;

/// Tap the button labelled `label` (first match, rows and sections in the order drawn).
fn tap(app: &mut App, label: &str) -> AppView {
    let view = app.view();
    let button = view
        .buttons()
        .into_iter()
        .find(|b| b.label == label)
        .unwrap_or_else(|| {
            panic!(
                "no button {label:?} on {:?}: {:?}",
                view.screen,
                labels(&view)
            )
        })
        .clone();
    assert!(button.enabled, "{label:?} is disabled on {:?}", view.screen);
    app.dispatch(button.event).unwrap()
}

/// Tap the button labelled `label` in the row whose title contains `row`.
fn tap_in_row(app: &mut App, row: &str, label: &str) -> AppView {
    let view = app.view();
    let found = view
        .sections
        .iter()
        .flat_map(|s| s.rows.iter())
        .find(|r| r.title.contains(row))
        .unwrap_or_else(|| panic!("no row {row:?} on {:?}", view.screen));
    let button = found
        .buttons
        .iter()
        .find(|b| b.label == label)
        .unwrap_or_else(|| panic!("no {label:?} in row {row:?}"))
        .clone();
    app.dispatch(button.event).unwrap()
}

/// Type into the field labelled `label`; for a one-of field, choose the choice whose label contains `value`.
fn fill(app: &mut App, label: &str, value: &str) -> AppView {
    let view = app.view();
    let field = view
        .fields()
        .into_iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("no field {label:?} on {:?}", view.screen))
        .clone();
    let value = match &field.kind {
        FieldKind::OneOf { choices } => choices
            .iter()
            .find(|c| c.label.contains(value))
            .unwrap_or_else(|| panic!("no choice {value:?} in {label:?}"))
            .value
            .clone(),
        _ => value.to_string(),
    };
    app.dispatch(AppEvent::Edit {
        field: field.id,
        value,
    })
    .unwrap()
}

fn labels(view: &AppView) -> Vec<String> {
    view.buttons().iter().map(|b| b.label.clone()).collect()
}

fn text(id: &str) -> String {
    catalog(Locale::Ja).text(id)
}

fn errors(view: &AppView) -> Vec<&str> {
    view.notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Error)
        .map(|n| n.text.as_str())
        .collect()
}

fn app_for(dir: &Path, label: &str, clock: Arc<ManualClock>) -> App {
    App::new(
        dir.join(format!("{label}.azukari")),
        Arc::new(FileKeyVault::new(dir.join(format!("{label}.key")))),
        clock,
    )
    .with_label_host("hub.test")
}

fn at(clock: &ManualClock, hour: u32, minute: u32) {
    let date = common::start().to_tokyo().date_naive();
    clock.set(Timestamp::from_tokyo(date, hour, minute).unwrap());
}

#[test]
fn a_facility_day_runs_on_app_events_and_views_alone() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(common::start()));
    let (mut hub, facility) = common::seeded_hub(dir.path(), 3, clock.clone());
    // The labels on the lockers were printed before the day.
    let lockers = vec![facility.card_lockers[0]];
    let sheet = issue_sheet(
        hub.store().unwrap(),
        Some(facility.admin),
        &lockers,
        "hub.test",
    )
    .unwrap();
    let label_a = sheet[0].url.clone();
    hub.publish_own().unwrap();
    let hub = LocalHub::new(hub);
    for device in ["phone", "tablet"] {
        let mut store = common::enroll(&hub, dir.path(), device, clock.clone());
        azukari_core::sync::sync(&mut store, &hub, 0).unwrap();
        store.close().unwrap();
    }
    let mut phone = app_for(dir.path(), "phone", clock.clone());
    let mut tablet = app_for(dir.path(), "tablet", clock.clone());

    // Morning: the administrator registers a resident's My Number card on the tablet by tapping it.
    assert_eq!(phone.view().screen, ScreenKind::Unlock);
    assert_eq!(
        tap(&mut tablet, &text("app-unlock-vault")).screen,
        ScreenKind::SignIn
    );
    let view = tap_in_row(&mut tablet, "管理", &text("app-sign-in-button"));
    assert_eq!(view.screen, ScreenKind::Home);
    let view = tap_in_row(&mut tablet, &text("app-screen-setup"), &text("app-open"));
    assert_eq!(view.screen, ScreenKind::Setup);
    // A resident admitted today, from the drawn form.
    let ja = catalog(Locale::Ja);
    fill(&mut tablet, &ja.text("setup-field-name"), "新規 太郎");
    fill(&mut tablet, &ja.text("setup-field-kana"), "シンキ タロウ");
    fill(
        &mut tablet,
        &ja.text("setup-field-admitted-on"),
        "2026-11-24",
    );
    let view = tap(&mut tablet, &text("app-setup-admit"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    let resident_label = ja.text("setup-field-resident");
    let first_resident = "新規 太郎".to_string();
    fill(&mut tablet, &resident_label, &first_resident);
    fill(
        &mut tablet,
        &catalog(Locale::Ja).text("setup-field-item-kind"),
        "暗証番号ありのカード",
    );
    fill(
        &mut tablet,
        &catalog(Locale::Ja).text("setup-field-home-locker"),
        "ロッカー A",
    );
    let view = tap(&mut tablet, &text("app-setup-register-item"));
    assert!(
        matches!(view.request, Some(PlatformRequest::TapCard { .. })),
        "{:?}",
        view.notices
    );
    let expires = chrono::NaiveDate::from_ymd_opt(2030, 3, 31).unwrap();
    let mut card =
        SoftwareCard::new(SoftwareCardSpec::new("AB1234567890123", expires, expires)).unwrap();
    let view = tablet.present_card(&mut card).unwrap();
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    assert_eq!(view.request, None);
    // The family's agreement, recorded on the tablet as they read it.
    tap(&mut tablet, &text("app-back"));
    tap_in_row(
        &mut tablet,
        &text("app-screen-agreements"),
        &text("app-open"),
    );
    tap_in_row(&mut tablet, "新規 太郎", &text("app-open"));
    let view = tap(&mut tablet, &ja.text("consent-button-acknowledge"));
    assert!(
        errors(&view).is_empty(),
        "{:?} {:?}",
        view.notices,
        labels(&view)
    );
    fill(
        &mut tablet,
        &text("app-field-signatory"),
        &ja.text("setup-signatory-family"),
    );
    fill(&mut tablet, &text("app-field-signatory-name"), "新規 花子");
    fill(&mut tablet, &text("app-field-relation"), "長女");
    let view = tap(&mut tablet, &ja.text("consent-button-confirm"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    tablet.sync(&hub).unwrap();
    tap(&mut tablet, &text("app-back"));
    tap(&mut tablet, &text("app-back"));
    tap_in_row(&mut tablet, &text("app-screen-settings"), &text("app-open"));
    tap(&mut tablet, &text("app-sign-out"));

    // 21:00: the night handler scans locker A's label with the phone.
    at(&clock, 21, 0);
    tap(&mut phone, &text("app-unlock-vault"));
    phone.sync(&hub).unwrap();
    tap_in_row(&mut phone, "夜勤", &text("app-sign-in-button"));
    let view = tap(&mut phone, &text("app-scan-label"));
    assert!(matches!(view.request, Some(PlatformRequest::ScanQr { .. })));
    let view = phone
        .dispatch(AppEvent::Scanned {
            text: label_a.clone(),
        })
        .unwrap();
    assert_eq!(view.screen, ScreenKind::Handover);
    let card_row = format!("{first_resident}様のマイナ保険証");
    tap_in_row(&mut phone, &card_row, &text("handover-action-checkout"));
    tap(&mut phone, &text("purpose-medical-visit"));
    let view = tap(&mut phone, &text("handover-request-approval"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);

    // The phone is killed while it waits; it comes back on the same screen after unlocking.
    let saved = phone.save().unwrap();
    drop(phone);
    let mut phone = app_for(dir.path(), "phone", clock.clone());
    phone.restore(&saved);
    let view = tap(&mut phone, &text("app-unlock-vault"));
    assert_eq!(view.screen, ScreenKind::Handover);
    assert!(
        view.buttons()
            .iter()
            .any(|b| b.label == text("handover-check-approval"))
    );
    phone.sync(&hub).unwrap();

    // Five minutes later the supervisor's tablet shows the request with a count and approves it.
    at(&clock, 21, 5);
    tap_in_row(&mut tablet, "主任", &text("app-sign-in-button"));
    tablet.sync(&hub).unwrap();
    let view = tablet.view();
    let approvals = view
        .badges
        .iter()
        .find(|b| b.screen == ScreenKind::Approvals)
        .unwrap();
    assert_eq!(approvals.count, 1);
    tap_in_row(
        &mut tablet,
        &text("app-screen-approvals"),
        &text("app-open"),
    );
    let view = tap(&mut tablet, &text("approval-approve"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    let view = tablet.sync(&hub).unwrap();
    assert!(errors(&view).is_empty(), "{:?}", view.notices);

    // The phone sees the approval and takes the card out; the language switches mid-way.
    let view = phone.sync(&hub).unwrap();
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    let view = tap(&mut phone, &text("handover-check-approval"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    let view = phone
        .dispatch(AppEvent::SetLanguage {
            language: Locale::En,
        })
        .unwrap();
    assert_eq!(view.title, catalog(Locale::En).text("handover-title"));
    let view = tap(
        &mut phone,
        &catalog(Locale::En).text("handover-confirm-checkout"),
    );
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    phone
        .dispatch(AppEvent::SetLanguage {
            language: Locale::Ja,
        })
        .unwrap();

    // 23:00: back from the clinic; the card is tapped to prove it is the right one, then returned.
    at(&clock, 23, 0);
    tap(&mut phone, &text("app-scan-next"));
    phone
        .dispatch(AppEvent::Scanned {
            text: label_a.clone(),
        })
        .unwrap();
    tap_in_row(&mut phone, &card_row, &text("handover-action-return"));
    let view = tap(&mut phone, &text("app-tap-card"));
    assert!(matches!(
        view.request,
        Some(PlatformRequest::TapCard { .. })
    ));
    let view = phone.present_card(&mut card).unwrap();
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    let view = tap(&mut phone, &text("handover-confirm-return"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    phone.sync(&hub).unwrap();

    // A label of another facility, or a damaged one, changes nothing and says why.
    let before = phone.view();
    let forged = label_a.replacen("/l/", "/l/A", 1);
    let view = phone.dispatch(AppEvent::Scanned { text: forged }).unwrap();
    assert_eq!(view.screen, before.screen);
    assert_eq!(errors(&view).len(), 1);

    // The supervisor audits every locker: the audit takes the scanned label.
    tablet.sync(&hub).unwrap();
    tap(&mut tablet, &text("app-back"));
    tap_in_row(&mut tablet, &text("app-screen-audit"), &text("app-open"));
    let view = tap(&mut tablet, &catalog(Locale::Ja).text("audit-button-start"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    let view = tablet
        .dispatch(AppEvent::Scanned {
            text: label_a.clone(),
        })
        .unwrap();
    assert_eq!(view.screen, ScreenKind::Audit);
    let found: Vec<AppEvent> = tablet
        .view()
        .buttons()
        .into_iter()
        .filter(|b| matches!(b.event, AppEvent::MarkFound { .. }))
        .map(|b| b.event.clone())
        .collect();
    assert!(!found.is_empty());
    for event in found {
        let view = tablet.dispatch(event).unwrap();
        assert!(errors(&view).is_empty(), "{:?}", view.notices);
    }
    let progress = tablet.view().progress.unwrap();
    assert!(progress.done.unwrap() > 0);
    let view = tap(
        &mut tablet,
        &catalog(Locale::Ja).text("audit-button-complete"),
    );
    assert!(errors(&view).is_empty(), "{:?}", view.notices);

    // A card is lost outside: the supervisor opens the incident and works the checklist to the end.
    tap(&mut tablet, &text("app-go-home"));
    tap_in_row(&mut tablet, &text("app-screen-incident"), &text("app-open"));
    fill(
        &mut tablet,
        &text("app-field-incident-kind"),
        &catalog(Locale::Ja).text("incident-kind-lost-outside"),
    );
    fill(
        &mut tablet,
        &text("app-field-incident-item"),
        &first_resident,
    );
    let view = tap(&mut tablet, &text("app-open-incident"));
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    for _ in 0..10 {
        let view = tablet.view();
        if let Some(field) = view
            .fields()
            .into_iter()
            .find(|f| f.id == FieldId::ReceiptNumber)
        {
            let label = field.label.clone();
            fill(&mut tablet, &label, "第123号");
            tap(&mut tablet, &text("app-record-police-report"));
            continue;
        }
        let step = view
            .sections
            .iter()
            .flat_map(|s| s.rows.iter())
            .flat_map(|r| r.buttons.iter())
            .find(|b| matches!(b.event, AppEvent::CompleteStep { .. }))
            .cloned();
        match step {
            Some(button) => {
                let view = tablet.dispatch(button.event).unwrap();
                assert!(errors(&view).is_empty(), "{:?}", view.notices);
            }
            None => break,
        }
    }
    let view = tablet.view();
    let close = view
        .buttons()
        .into_iter()
        .find(|b| b.event == AppEvent::CloseIncident)
        .cloned()
        .unwrap();
    let view = tablet.dispatch(close.event).unwrap();
    assert!(errors(&view).is_empty(), "{:?}", view.notices);
    tablet.sync(&hub).unwrap();
    phone.sync(&hub).unwrap();
}
