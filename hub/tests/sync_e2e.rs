//! Two devices and a hub, in one process: enrollment, offline work, a night approval, and identical state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use azukari_core::clock::{Clock, ManualClock, Timestamp};
use azukari_core::crypto::{KeyOwner, WrappedKey};
use azukari_core::ledger::EventBody;
use azukari_core::model::{Purpose, RequestId};
use azukari_core::store::StoreError;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::{HubTransport, Route, SyncError, sync};
use azukari_hub::seen::DeviceHealth;
use azukari_hub::service::LocalHub;
use std::sync::Arc;

#[test]
fn an_offline_checkout_and_a_night_approval_reach_every_device_and_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(common::start()));
    let (hub, facility) = common::seeded_hub(dir.path(), 4, clock.clone());
    let hub = LocalHub::new(hub);

    let mut phone = common::enroll(&hub, dir.path(), "phone-a", clock.clone());
    let mut tablet = common::enroll(&hub, dir.path(), "tablet-b", clock.clone());
    // Before its registration arrives, a joined device cannot record anything.
    let early = phone.append(
        Some(facility.handlers[0]),
        EventBody::StaffTrained {
            staff: facility.handlers[0],
            on: clock.now().tokyo_date(),
        },
    );
    assert!(matches!(early, Err(StoreError::NotRegistered)));
    sync(&mut phone, &hub, 0).unwrap();
    sync(&mut tablet, &hub, 0).unwrap();
    let hub_state = hub.with(|h| h.store().unwrap().state().clone()).unwrap();
    assert_eq!(phone.state(), &hub_state);
    assert_eq!(tablet.state(), &hub_state);

    // The tablet reads a resident's name the hub sealed: the content keys travelled with enrollment.
    let resident = facility.residents[0];
    let record = tablet.state().residents[&resident].clone();
    let name = tablet.resident_name(&record).unwrap();
    assert!(!name.is_empty());

    // Device A goes offline and checks a card out for a hospital visit, an hour later.
    clock.advance_minutes(60);
    hub.set_online(false);
    let card = facility.cards[0];
    let locker = phone.state().items[&card].item.home_locker;
    phone
        .append(
            Some(facility.handlers[0]),
            EventBody::CheckedOut {
                item: card,
                from_locker: locker,
                purpose: Purpose::MedicalVisit,
                due_at: clock.now().plus_minutes(240),
                approval: None,
            },
        )
        .unwrap();
    assert!(matches!(
        sync(&mut phone, &hub, 0),
        Err(SyncError::Transport(_))
    ));

    // At night the phone asks for another card; the supervisor's tablet approves once both are online again.
    hub.set_online(true);
    clock.set(Timestamp(common::start().0 + 14 * 3_600_000));
    let request = RequestId::random();
    let night_card = facility.cards[1];
    let requested = phone
        .append(
            Some(facility.handlers[0]),
            EventBody::CheckoutRequested {
                request,
                item: night_card,
                purpose: Purpose::MedicalVisit,
                due_at: clock.now().plus_minutes(120),
            },
        )
        .unwrap();
    let report = sync(&mut phone, &hub, 0).unwrap();
    assert_eq!(report.pushed, 2);
    sync(&mut tablet, &hub, 0).unwrap();
    assert!(tablet.state().requests.contains_key(&request));
    tablet
        .append(
            Some(facility.supervisor),
            EventBody::ApprovalGranted {
                request,
                request_hash: requested.hash,
            },
        )
        .unwrap();
    sync(&mut tablet, &hub, 0).unwrap();
    sync(&mut phone, &hub, 0).unwrap();
    let night_locker = phone.state().items[&night_card].item.home_locker;
    phone
        .append(
            Some(facility.handlers[0]),
            EventBody::CheckedOut {
                item: night_card,
                from_locker: night_locker,
                purpose: Purpose::MedicalVisit,
                due_at: clock.now().plus_minutes(120),
                approval: Some(request),
            },
        )
        .unwrap();
    sync(&mut phone, &hub, 0).unwrap();
    sync(&mut tablet, &hub, 0).unwrap();

    let hub_state = hub.with(|h| h.store().unwrap().state().clone()).unwrap();
    assert_eq!(phone.state(), &hub_state);
    assert_eq!(tablet.state(), &hub_state);
    assert_eq!(hub_state.discrepancies(clock.now()), Vec::new());
    let size = hub.with(|h| h.log().tree_head().size).unwrap();
    assert_eq!(phone.head().length, size);
    assert_eq!(tablet.head().length, size);

    // A retried push of everything is acknowledged again without duplicating anything.
    let all = phone.own_events_after(0).unwrap();
    let retry = azukari_core::sync::protocol::PushRequest {
        device: phone.device_id(),
        events: all.iter().map(Into::into).collect(),
        keys: Vec::new(),
    };
    let auth = phone
        .authorize_request(Route::Push, &request_body(&retry).unwrap())
        .unwrap();
    let retried = hub.push(&retry, &auth).unwrap();
    assert!(retried.outcomes.iter().all(|o| matches!(
        o,
        azukari_core::sync::protocol::PushOutcome::Duplicate { .. }
    )));
    assert_eq!(hub.with(|h| h.log().tree_head().size).unwrap(), size);
}

#[test]
fn expired_reused_and_forged_tokens_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(common::start()));
    let (mut hub, _) = common::seeded_hub(dir.path(), 1, clock.clone());
    let size = hub.log().tree_head().size;
    let pending = azukari_core::sync::PendingEnrollment::new().unwrap();

    let forged = pending.request("bm90LWEtdG9rZW4");
    assert!(matches!(
        hub.enroll(&forged),
        Err(azukari_hub::service::ServiceError::UnknownToken)
    ));

    let offer = hub.offer_enrollment("phone", 15).unwrap();
    clock.advance_minutes(16);
    assert!(matches!(
        hub.enroll(&pending.request(&offer.token)),
        Err(azukari_hub::service::ServiceError::ExpiredToken)
    ));

    let offer = hub.offer_enrollment("phone", 15).unwrap();
    hub.enroll(&pending.request(&offer.token)).unwrap();
    let second = azukari_core::sync::PendingEnrollment::new().unwrap();
    assert!(matches!(
        hub.enroll(&second.request(&offer.token)),
        Err(azukari_hub::service::ServiceError::UsedToken)
    ));
    assert_eq!(hub.log().tree_head().size, size + 1);
}

#[test]
fn a_device_whose_clock_is_far_off_is_told_to_set_it_and_syncs_once_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let hub_clock = Arc::new(ManualClock::new(common::start()));
    let (hub, _) = common::seeded_hub(dir.path(), 1, hub_clock.clone());
    let hub = LocalHub::new(hub);
    let phone_clock = Arc::new(ManualClock::new(common::start()));
    let mut phone = common::enroll(&hub, dir.path(), "phone-a", phone_clock.clone());

    // The phone's clock runs an hour behind: its signed requests are refused, with what to do, and nothing moves.
    phone_clock.advance_minutes(-60);
    let size = hub.with(|h| h.log().tree_head().size).unwrap();
    let error = sync(&mut phone, &hub, 0).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("clock") && message.contains("時計") && message.contains("60"),
        "{message}"
    );
    assert_eq!(hub.with(|h| h.log().tree_head().size).unwrap(), size);
    assert_eq!(phone.head().length, 0, "nothing was pulled");

    // Within the window it syncs.
    phone_clock.advance_minutes(50);
    sync(&mut phone, &hub, 0).unwrap();
    assert_eq!(phone.head().length, size);

    // The console's devices page sees it: synced now, nothing pending, its clock ten minutes behind.
    let now = hub_clock.now().0;
    let seen = hub
        .with(|h| h.log().seen(phone.device_id()))
        .unwrap()
        .unwrap();
    assert_eq!(
        (seen.at, seen.clock_offset_ms, seen.pulled_to),
        (now, -600_000, size)
    );
    let health = DeviceHealth::of(Some(seen), now, size);
    assert!(health.clock_off && !health.silent);
    assert_eq!(health.pending, 0);
    // What the hub logs later waits for the phone; a day without a sync makes it silent.
    hub.with(|h| {
        let admin = *h.store().unwrap().state().staff.keys().next().unwrap();
        h.store()
            .unwrap()
            .append(
                Some(admin),
                EventBody::AuditStarted {
                    audit: azukari_core::model::AuditId::random(),
                },
            )
            .unwrap();
        h.publish_own().unwrap();
    })
    .unwrap();
    hub_clock.advance_minutes(24 * 60);
    let (seen, size) = hub
        .with(|h| (h.log().seen(phone.device_id()), h.log().tree_head().size))
        .unwrap();
    let health = DeviceHealth::of(seen, hub_clock.now().0, size);
    assert_eq!(health.pending, 1);
    assert!(health.silent);
}

#[test]
fn erasing_a_resident_wipes_their_keys_at_the_hub_too() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(common::start()));
    let (hub, facility) = common::seeded_hub(dir.path(), 2, clock.clone());
    let hub = LocalHub::new(hub);
    let mut tablet = common::enroll(&hub, dir.path(), "tablet", clock.clone());
    sync(&mut tablet, &hub, 0).unwrap();
    let (erased, kept) = (facility.residents[0], facility.residents[1]);
    // (keys of `resident` the hub still holds, keys ever shared)
    let held = |resident| {
        hub.with(|h| {
            let facility = h.log().facility();
            let keys = h.log().storage().keys(facility).unwrap();
            let of_resident = keys
                .iter()
                .filter(|k| !k.wrapped.is_empty())
                .map(|k| postcard::from_bytes::<WrappedKey>(&k.wrapped).unwrap())
                .filter(|k| k.owner == KeyOwner::Resident(resident))
                .count();
            (of_resident, keys.len())
        })
        .unwrap()
    };
    let (before, shared) = held(erased);
    assert!(before > 0, "the hub holds the resident's keys");
    let old_key = hub
        .with(|h| {
            let facility = h.log().facility();
            h.log()
                .storage()
                .keys(facility)
                .unwrap()
                .iter()
                .map(|k| postcard::from_bytes::<WrappedKey>(&k.wrapped).unwrap())
                .find(|k| k.owner == KeyOwner::Resident(erased))
                .unwrap()
        })
        .unwrap();

    tablet.erase_resident(Some(facility.admin), erased).unwrap();
    sync(&mut tablet, &hub, 0).unwrap();
    assert_eq!(held(erased), (0, shared), "wiped, each keeping its place");
    assert!(held(kept).0 > 0, "other residents' keys stay");

    // A device enrolled afterwards gets no key of theirs, by enrollment or by pull, and reads the others.
    let mut late = common::enroll(&hub, dir.path(), "late", clock.clone());
    sync(&mut late, &hub, 0).unwrap();
    let record =
        |store: &azukari_core::store::Store, resident| store.state().residents[&resident].clone();
    assert!(late.resident_name(&record(&late, kept)).is_ok());
    assert!(late.resident_name(&record(&late, erased)).is_err());
    // Both hold the same events (the late device's registration included) and so the same state.
    sync(&mut tablet, &hub, 0).unwrap();
    assert_eq!(late.state(), tablet.state());

    // A key of the erased resident pushed later (by a device that was offline) is not taken back, and a forged key
    // (another's bytes under a new id, which would stop every device's import) is left out with an alarm.
    let kept_keys = held(kept).0;
    let again = azukari_core::sync::protocol::PushRequest {
        device: tablet.device_id(),
        events: Vec::new(),
        keys: vec![
            old_key.clone(),
            WrappedKey {
                id: azukari_core::crypto::KeyId(uuid::Uuid::new_v4()),
                owner: KeyOwner::Resident(kept),
                ..old_key
            },
        ],
    };
    let auth = tablet
        .authorize_request(Route::Push, &request_body(&again).unwrap())
        .unwrap();
    hub.push(&again, &auth).unwrap();
    assert_eq!(held(erased), (0, shared));
    assert_eq!(held(kept).0, kept_keys);
    let alarms = hub
        .with(|h| {
            let facility = h.log().facility();
            h.log().storage().alarms(facility).unwrap()
        })
        .unwrap();
    assert_eq!(
        alarms.iter().filter(|a| a.kind == "bad_key").count(),
        1,
        "{alarms:?}"
    );
}

#[test]
fn a_device_back_from_a_long_time_offline_has_every_own_event_proved_in_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(common::start()));
    let (hub, facility) = common::seeded_hub(dir.path(), 1, clock.clone());
    let hub = LocalHub::new(hub);
    let mut tablet = common::enroll(&hub, dir.path(), "tablet", clock.clone());
    sync(&mut tablet, &hub, 0).unwrap();
    // A day and more of records without the hub: far more than one pull proves.
    for _ in 0..1_000 {
        clock.advance_minutes(1);
        tablet
            .append(
                Some(facility.handlers[0]),
                EventBody::StaffTrained {
                    staff: facility.handlers[0],
                    on: clock.now().tokyo_date(),
                },
            )
            .unwrap();
    }
    sync(&mut tablet, &hub, 0).unwrap();
    let state: azukari_core::sync::SyncState = tablet.sync_state().unwrap().unwrap();
    assert!(
        state.unproven.is_empty(),
        "{} own events still unproved after the sync",
        state.unproven.len()
    );
}
