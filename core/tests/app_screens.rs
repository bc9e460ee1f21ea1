//! The app's navigation graph, walked for every member of staff of the demo facility in both languages: every
//! screen their role may open is reached from home by tapping, every text comes from the catalogue (no message id
//! left showing), a screen the role may not open is refused with a notice, and nothing a shell sends unasked
//! (a forged id, a platform result nobody asked for) changes anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::app::{App, AppEvent, AppView, ScreenKind};
use azukari_core::crypto::FileKeyVault;
use azukari_core::demo;
use azukari_core::flows::NoticeKind;
use azukari_core::i18n::Locale;
use azukari_core::model::Role;
use azukari_core::testing::TestStore;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// A facility of 3 residents, closed, and an app over it.
fn facility(dir: &std::path::Path) -> (App, demo::DemoFacility) {
    let mut test = TestStore::create(dir, "screens").unwrap();
    let facility = demo::seed(&mut test.store, 3).unwrap();
    let TestStore {
        store, path, clock, ..
    } = test;
    store.close().unwrap();
    let vault = Arc::new(FileKeyVault::new(dir.join("screens.key")));
    (App::new(path, vault, clock), facility)
}

/// Whether `text` is a message id that was not found (the catalogue shows a missing id as itself).
fn looks_like_message_id(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let is_uuid = text.len() == 36 && parts.len() == 5;
    !is_uuid
        && parts.len() >= 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn assert_all_texts_found(view: &AppView) {
    for text in view.texts() {
        assert!(
            !looks_like_message_id(text),
            "{:?} shows the message id {text:?}",
            view.screen
        );
        assert!(
            !text.is_empty() || view.screen == ScreenKind::Unlock,
            "{:?} has an empty text",
            view.screen
        );
    }
}

/// Every screen reached from home by following Open buttons (and Back), breadth first.
fn walk(app: &mut App) -> BTreeSet<ScreenKind> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([ScreenKind::Home]);
    while let Some(screen) = queue.pop_front() {
        if !seen.insert(screen) {
            continue;
        }
        let view = app.dispatch(AppEvent::Open { screen }).unwrap();
        assert_eq!(
            view.screen, screen,
            "opening {screen:?}: {:?}",
            view.notices
        );
        assert_all_texts_found(&view);
        for button in view.buttons() {
            if let AppEvent::Open { screen: next } = button.event {
                queue.push_back(next);
            }
        }
        if screen != ScreenKind::Home {
            assert!(view.back.is_some(), "{screen:?} has no way back");
        }
    }
    seen
}

#[test]
fn every_role_reaches_every_screen_it_may_open_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, facility) = facility(dir.path());
    for language in [Locale::Ja, Locale::En] {
        let view = app.dispatch(AppEvent::SetLanguage { language }).unwrap();
        assert_eq!(view.screen, ScreenKind::Unlock);
        assert_all_texts_found(&view);
        let view = app.dispatch(AppEvent::UnlockWithVault).unwrap();
        assert_eq!(view.screen, ScreenKind::SignIn);
        assert_all_texts_found(&view);
        let staff: Vec<_> = [facility.admin, facility.supervisor, facility.pin_manager]
            .into_iter()
            .chain(facility.handlers.iter().copied())
            .chain(facility.caregivers.iter().copied())
            .collect();
        for member in staff {
            let view = app
                .dispatch(AppEvent::SignIn {
                    staff: member.to_string(),
                })
                .unwrap();
            assert_eq!(view.screen, ScreenKind::Home);
            let reached = walk(&mut app);
            let roles = app.session().unwrap().actor().unwrap().roles.clone();
            // What the app says this person may open (a shell's own menu shows these) is what home leads to;
            // the handover opens from a scanned label and one agreement from the list of agreements.
            let openable: BTreeSet<ScreenKind> = app.openable_screens().into_iter().collect();
            assert!(reached.is_subset(&openable), "{roles:?}");
            assert!(
                openable
                    .iter()
                    .filter(|s| !matches!(s, ScreenKind::Handover | ScreenKind::Consent))
                    .all(|s| reached.contains(s)),
                "{roles:?}: {openable:?} but reached {reached:?}"
            );
            // The handover opens from a scanned label: the home screen offers the scan.
            let home = app
                .dispatch(AppEvent::Open {
                    screen: ScreenKind::Home,
                })
                .unwrap();
            assert!(
                home.buttons()
                    .iter()
                    .any(|b| b.event == AppEvent::ScanLabel)
            );
            for screen in [
                ScreenKind::Holding,
                ScreenKind::MyRequests,
                ScreenKind::Sync,
                ScreenKind::Settings,
            ] {
                assert!(
                    reached.contains(&screen),
                    "{roles:?} cannot reach {screen:?}"
                );
            }
            let supervises = roles.contains(&Role::Supervisor);
            assert_eq!(
                reached.contains(&ScreenKind::Approvals),
                supervises,
                "{roles:?}"
            );
            assert_eq!(
                reached.contains(&ScreenKind::Audit),
                supervises,
                "{roles:?}"
            );
            assert_eq!(
                reached.contains(&ScreenKind::Setup),
                roles.contains(&Role::Admin) || supervises,
                "{roles:?}"
            );
            if !supervises {
                // A screen the role may not open, asked for anyway, is refused with a notice.
                let before = app
                    .dispatch(AppEvent::Open {
                        screen: ScreenKind::Home,
                    })
                    .unwrap();
                let view = app
                    .dispatch(AppEvent::Open {
                        screen: ScreenKind::Approvals,
                    })
                    .unwrap();
                assert_eq!(view.screen, before.screen);
                assert!(view.notices.iter().any(|n| n.kind == NoticeKind::Error));
            }
            app.dispatch(AppEvent::SignOut).unwrap();
            assert!(app.openable_screens().is_empty(), "nobody signed in");
        }
        app.dispatch(AppEvent::Lock).unwrap();
    }
}

#[test]
fn what_a_shell_sends_unasked_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, facility) = facility(dir.path());
    // Before unlocking, nothing but unlocking works.
    let view = app
        .dispatch(AppEvent::Open {
            screen: ScreenKind::Approvals,
        })
        .unwrap();
    assert_eq!(view.screen, ScreenKind::Unlock);
    app.dispatch(AppEvent::UnlockWithVault).unwrap();
    let view = app
        .dispatch(AppEvent::SignIn {
            staff: "not-an-id".into(),
        })
        .unwrap();
    assert_eq!(view.screen, ScreenKind::SignIn);
    assert_eq!(view.notices.len(), 1);
    app.dispatch(AppEvent::SignIn {
        staff: facility.handlers[0].to_string(),
    })
    .unwrap();
    let events_before = app.session().unwrap().store().state().clone();
    for event in [
        AppEvent::ChooseItem {
            item: "00000000-0000-0000-0000-000000000000".into(),
        },
        AppEvent::Approve {
            request: "00000000-0000-0000-0000-000000000000".into(),
        },
        AppEvent::ChoosePurpose {
            purpose: "\"Nonsense\"".into(),
        },
        AppEvent::CheckOut,
        AppEvent::ReturnItem,
        AppEvent::CompleteAudit,
        AppEvent::FileShared,
        AppEvent::ScanCancelled,
    ] {
        let view = app.dispatch(event.clone()).unwrap();
        assert!(
            view.request.is_none(),
            "{event:?} asked the platform for something"
        );
    }
    assert_eq!(app.session().unwrap().store().state(), &events_before);
}

#[test]
fn a_damaged_ledger_shows_on_every_screen_until_an_administrator_acknowledges_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, facility) = facility(dir.path());
    // Someone edits the last event's signature in the database file.
    let conn = rusqlite::Connection::open(dir.path().join("screens.azukari")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_are_append_only_no_update;
         UPDATE events SET signature = CAST(substr(signature, 1, length(signature) - 1) ||
             (CASE WHEN substr(signature, -1) = x'00' THEN x'01' ELSE x'00' END) AS BLOB)
         WHERE log_index = (SELECT max(log_index) FROM events);",
    )
    .unwrap();
    drop(conn);
    let damaged = |view: &AppView| {
        view.notices
            .iter()
            .any(|n| n.kind == NoticeKind::Error && n.text.contains("損傷"))
    };
    let view = app.dispatch(AppEvent::UnlockWithVault).unwrap();
    assert!(damaged(&view), "{:?}", view.notices);
    // A caregiver sees it and cannot acknowledge it.
    app.dispatch(AppEvent::SignIn {
        staff: facility.handlers[0].to_string(),
    })
    .unwrap();
    let view = app.dispatch(AppEvent::AcknowledgeDamage).unwrap();
    assert!(damaged(&view));
    app.dispatch(AppEvent::SignOut).unwrap();
    // The administrator acknowledges it from the settings screen; the notice goes.
    app.dispatch(AppEvent::SignIn {
        staff: facility.admin.to_string(),
    })
    .unwrap();
    let view = app
        .dispatch(AppEvent::Open {
            screen: ScreenKind::Settings,
        })
        .unwrap();
    assert!(damaged(&view));
    let acknowledge = view
        .buttons()
        .into_iter()
        .find(|b| b.event == AppEvent::AcknowledgeDamage)
        .cloned()
        .expect("the administrator is offered the acknowledgement");
    let view = app.dispatch(acknowledge.event).unwrap();
    assert!(!damaged(&view), "{:?}", view.notices);
}

/// A hub that cannot be reached.
struct Offline;

impl azukari_core::sync::HubTransport for Offline {
    fn push(
        &self,
        _: &azukari_core::sync::protocol::PushRequest,
        _: &azukari_core::sync::RequestAuth,
    ) -> Result<azukari_core::sync::protocol::PushResponse, azukari_core::sync::TransportError>
    {
        Err(azukari_core::sync::TransportError::Unreachable(
            "offline".into(),
        ))
    }

    fn pull(
        &self,
        _: &azukari_core::sync::protocol::PullRequest,
        _: &azukari_core::sync::RequestAuth,
    ) -> Result<azukari_core::sync::protocol::PullResponse, azukari_core::sync::TransportError>
    {
        Err(azukari_core::sync::TransportError::Unreachable(
            "offline".into(),
        ))
    }
}

#[test]
fn an_old_event_edited_is_found_by_the_background_check_and_stops_recording() {
    let dir = tempfile::tempdir().unwrap();
    let mut test = TestStore::create(dir.path(), "old").unwrap();
    let facility = demo::seed(&mut test.store, 20).unwrap();
    let events = test.store.events().unwrap().len() as u64;
    assert!(
        events > azukari_core::store::CHECKED_AT_OPEN + 3,
        "{events} events"
    );
    let TestStore {
        store, path, clock, ..
    } = test;
    store.close().unwrap();
    // Event 3 is neither the first nor among the newest the open-time check recomputes.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_are_append_only_no_update;
         UPDATE events SET bytes = CAST(substr(bytes, 1, length(bytes) - 1) ||
             (CASE WHEN substr(bytes, -1) = x'00' THEN x'01' ELSE x'00' END) AS BLOB)
         WHERE log_index = 3;",
    )
    .unwrap();
    drop(conn);
    let vault = Arc::new(FileKeyVault::new(dir.path().join("old.key")));
    let mut app = App::new(path, vault, clock);
    let damaged = |view: &AppView| view.notices.iter().any(|n| n.text.contains("#3"));
    let view = app.dispatch(AppEvent::UnlockWithVault).unwrap();
    assert!(
        !damaged(&view),
        "the open-time check does not reach event 3"
    );
    app.dispatch(AppEvent::SignIn {
        staff: facility.handlers[0].to_string(),
    })
    .unwrap();
    // The background check runs with the next sync, even offline, and the damage shows from then on.
    let view = app.sync(&Offline).unwrap();
    assert!(damaged(&view), "{:?}", view.notices);
    assert!(app.session().unwrap().store().damage().is_some());
}
