//! What needs attention, computed from the custody state at a given time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::alerts::{Alert, AlertSettings, Severity, alerts};
use azukari_core::clock::Timestamp;
use azukari_core::demo;
use azukari_core::i18n::Locale;
use azukari_core::ledger::{AuditSummary, EventBody, IncidentKind, IncidentStep};
use azukari_core::model::{AuditId, IncidentId, Item, ItemId, ItemKind, Purpose};
use azukari_core::testing::TestStore;
use chrono::{Days, NaiveDate};
use tempfile::tempdir;

fn register(t: &mut TestStore, admin: azukari_core::model::StaffId, item: Item) -> ItemId {
    let id = item.id;
    t.store
        .append(Some(admin), EventBody::ItemRegistered { item })
        .unwrap();
    id
}

fn item_like(t: &TestStore, template: ItemId) -> Item {
    let mut item = t.store.state().items[&template].item.clone();
    item.id = ItemId::random();
    item
}

#[test]
fn expiry_dates_raise_the_right_alerts_at_the_right_time() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "alerts").unwrap();
    let f = demo::seed(&mut t.store, 2).unwrap();
    let today = t.store.now().tokyo_date();
    let days = |n: i64| {
        if n >= 0 {
            today.checked_add_days(Days::new(n as u64))
        } else {
            today.checked_sub_days(Days::new((-n) as u64))
        }
    };

    let mut expiring = item_like(&t, f.cards[0]);
    expiring.certificate_expires_on = days(30);
    expiring.card_expires_on = days(3000);
    let expiring = register(&mut t, f.admin, expiring);
    let mut in_grace = item_like(&t, f.cards[0]);
    in_grace.certificate_expires_on = days(-20);
    in_grace.card_expires_on = days(3000);
    let in_grace = register(&mut t, f.admin, in_grace);
    let mut lapsed = item_like(&t, f.cards[0]);
    lapsed.certificate_expires_on = days(-120);
    lapsed.card_expires_on = days(20);
    let lapsed = register(&mut t, f.admin, lapsed);
    let mut legacy = item_like(&t, f.cards[0]);
    legacy.kind = ItemKind::LegacyInsuranceCard;
    let legacy = register(&mut t, f.admin, legacy);
    let mut certificate = item_like(&t, f.cards[0]);
    certificate.kind = ItemKind::EligibilityCertificate;
    certificate.document_expires_on = days(10);
    let certificate = register(&mut t, f.admin, certificate);

    let found = alerts(t.store.state(), t.store.now(), &AlertSettings::default());
    assert!(found.contains(&Alert::CertificateExpiring {
        item: expiring,
        expires_on: days(30).unwrap()
    }));
    assert!(
        found
            .iter()
            .any(|a| matches!(a, Alert::CertificateInGrace { item, .. } if *item == in_grace))
    );
    assert!(
        found
            .iter()
            .any(|a| matches!(a, Alert::CertificateLapsed { item, .. } if *item == lapsed))
    );
    assert!(
        found
            .iter()
            .any(|a| matches!(a, Alert::CardExpiring { item, .. } if *item == lapsed))
    );
    assert!(found.contains(&Alert::LegacyCardHistorical { item: legacy }));
    assert!(found.iter().any(
        |a| matches!(a, Alert::EligibilityCertificateExpiring { item, .. } if *item == certificate)
    ));
    assert!(
        !found
            .iter()
            .any(|a| matches!(a, Alert::CardExpiring { item, .. } if *item == expiring))
    );

    let grace = found
        .iter()
        .find(|a| matches!(a, Alert::CertificateInGrace { .. }))
        .unwrap();
    let text = grace.message(Locale::Ja, "佐藤 ハナ様のマイナ保険証");
    assert!(
        text.starts_with("佐藤 ハナ様のマイナ保険証") && text.contains("保険証として使えます"),
        "{text}"
    );
    let text = found
        .iter()
        .find(|a| matches!(a, Alert::CertificateLapsed { .. }))
        .unwrap()
        .message(Locale::En, "X");
    assert!(text.contains("eligibility certificate"), "{text}");
}

#[test]
fn an_overdue_item_is_urgent() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "alerts").unwrap();
    let f = demo::seed(&mut t.store, 1).unwrap();
    let due_at = t.store.now().plus_minutes(60);
    let body = EventBody::CheckedOut {
        item: f.cards[0],
        from_locker: f.card_lockers[0],
        purpose: Purpose::MedicalVisit,
        due_at,
        approval: None,
    };
    t.store.append(Some(f.handlers[0]), body).unwrap();
    let before = alerts(t.store.state(), t.store.now(), &AlertSettings::default());
    assert!(!before.iter().any(|a| matches!(a, Alert::Overdue { .. })));
    let later = t.store.now().plus_minutes(61);
    let after = alerts(t.store.state(), later, &AlertSettings::default());
    let overdue = after
        .iter()
        .find(|a| matches!(a, Alert::Overdue { .. }))
        .unwrap();
    assert_eq!(overdue.severity(later), Severity::Urgent);
    assert_eq!(
        after[0].severity(later),
        Severity::Urgent,
        "most urgent first"
    );
}

#[test]
fn audits_and_training_fall_due() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "alerts").unwrap();
    let f = demo::seed(&mut t.store, 1).unwrap();
    let settings = AlertSettings::default();
    let now = t.store.now();
    assert!(
        alerts(t.store.state(), now, &settings).contains(&Alert::AuditDue {
            last_completed: None
        })
    );

    let audit = AuditId::random();
    t.store
        .append(Some(f.supervisor), EventBody::AuditStarted { audit })
        .unwrap();
    let summary = AuditSummary {
        expected: 0,
        found: 0,
        missing: vec![],
        unexpected: vec![],
    };
    t.store
        .append(
            Some(f.supervisor),
            EventBody::AuditCompleted { audit, summary },
        )
        .unwrap();
    assert!(
        !alerts(t.store.state(), now, &settings)
            .iter()
            .any(|a| matches!(a, Alert::AuditDue { .. }))
    );
    let next_month = now.plus_minutes(32 * 24 * 60);
    assert!(
        alerts(t.store.state(), next_month, &settings)
            .iter()
            .any(|a| matches!(
                a,
                Alert::AuditDue {
                    last_completed: Some(_)
                }
            ))
    );

    // The demo staff trained 60 days ago: due within the warning window 11 months later.
    assert!(
        !alerts(t.store.state(), now, &settings)
            .iter()
            .any(|a| matches!(a, Alert::TrainingDue { .. }))
    );
    let eleven_months = now.plus_minutes(290 * 24 * 60);
    let due: Vec<_> = alerts(t.store.state(), eleven_months, &settings)
        .into_iter()
        .filter(|a| matches!(a, Alert::TrainingDue { .. }))
        .collect();
    assert_eq!(due.len(), t.store.state().staff.len());
}

#[test]
fn a_revoked_agreement_and_a_missing_one_are_told_apart() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "alerts").unwrap();
    let f = demo::seed(&mut t.store, 2).unwrap();
    let resident = t.store.state().items[&f.cards[0]].item.resident;
    let agreement = *t
        .store
        .state()
        .agreements
        .iter()
        .find(|(_, a)| a.resident == resident)
        .unwrap()
        .0;
    let now = t.store.now();
    t.store
        .append(
            Some(f.admin),
            EventBody::AgreementRevoked {
                agreement,
                revoked_at: now,
            },
        )
        .unwrap();
    let found = alerts(
        t.store.state(),
        now.plus_minutes(1),
        &AlertSettings::default(),
    );
    assert!(
        found
            .iter()
            .any(|a| matches!(a, Alert::AgreementRevoked { item, .. } if *item == f.cards[0]))
    );
    // A new card registered for a resident whose agreement does not cover it.
    let mut notice = item_like(&t, f.cards[1]);
    notice.kind = ItemKind::EligibilityNotice;
    let notice = register(&mut t, f.admin, notice);
    let found = alerts(
        t.store.state(),
        now.plus_minutes(1),
        &AlertSettings::default(),
    );
    assert!(
        found
            .iter()
            .any(|a| matches!(a, Alert::AgreementMissing { item, .. } if *item == notice))
    );
}

#[test]
fn an_open_leak_shows_the_ppc_deadline_and_a_lost_card_the_suspension_call() {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "alerts").unwrap();
    let f = demo::seed(&mut t.store, 1).unwrap();
    let opened = t.store.now();
    let leak = IncidentId::random();
    t.store
        .append(
            Some(f.supervisor),
            EventBody::IncidentOpened {
                incident: leak,
                item: None,
                kind: IncidentKind::Leak,
            },
        )
        .unwrap();
    let lost = IncidentId::random();
    t.store
        .append(
            Some(f.handlers[0]),
            EventBody::IncidentOpened {
                incident: lost,
                item: Some(f.cards[0]),
                kind: IncidentKind::LostOutside,
            },
        )
        .unwrap();
    let found = alerts(t.store.state(), opened, &AlertSettings::default());
    let leak_alert = found
        .iter()
        .find(|a| matches!(a, Alert::IncidentOpen { incident, .. } if *incident == leak))
        .unwrap();
    assert_eq!(
        leak_alert,
        &Alert::IncidentOpen {
            incident: leak,
            kind: IncidentKind::Leak,
            next_step: Some(IncidentStep::PpcPreliminaryReport),
            deadline: Some(Timestamp(opened.0 + 5 * 24 * 3_600_000)),
        }
    );
    assert!(
        leak_alert
            .message(Locale::Ja, "施設")
            .contains("個人情報保護委員会")
    );
    let lost_alert = found
        .iter()
        .find(|a| matches!(a, Alert::IncidentOpen { incident, .. } if *incident == lost))
        .unwrap();
    assert!(
        lost_alert
            .message(Locale::Ja, "カード")
            .contains("0120-95-0178")
    );
    assert_eq!(lost_alert.severity(opened), Severity::Urgent);

    t.store
        .append(
            Some(f.handlers[0]),
            EventBody::IncidentStepDone {
                incident: lost,
                step: IncidentStep::SuspensionCall,
                reference: None,
            },
        )
        .unwrap();
    let found = alerts(t.store.state(), opened, &AlertSettings::default());
    let lost_alert = found
        .iter()
        .find(|a| matches!(a, Alert::IncidentOpen { incident, .. } if *incident == lost))
        .unwrap();
    assert!(matches!(
        lost_alert,
        Alert::IncidentOpen {
            next_step: Some(IncidentStep::PoliceReport),
            ..
        }
    ));
    let _ = NaiveDate::MIN;
}
