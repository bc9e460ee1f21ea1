//! `RuleEngine::decide` takes shortcuts prepared when the policy is loaded (explanations read once, policies
//! grouped by action, request shapes validated once). These tests show it decides exactly as the plain evaluation
//! does — same decision, same reasons in the same order, same failures — for every action on every kind of target,
//! under the default policy and under a facility's own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::Timestamp;
use azukari_core::custody::CustodyState;
use azukari_core::demo;
use azukari_core::model::{ItemId, Purpose};
use azukari_core::rules::{
    Action, Decision, RuleContext, RuleEngine, RuleRequest, Target, purpose_code,
};
use azukari_core::testing::TestStore;
use chrono::NaiveDate;

const ACTIONS: [Action; 9] = [
    Action::Checkout,
    Action::Return,
    Action::HandOver,
    Action::Release,
    Action::Approve,
    Action::RecordAgreement,
    Action::StartAudit,
    Action::OpenIncident,
    Action::ChangePolicy,
];

/// A facility's own rules, with an action list, a hierarchy test and an unknown approver role.
const CUSTOM: &str = r#"
@id("base")
permit (principal, action, resource);

@id("own-resident")
@reason_ja("x")
@reason_en("x")
@cites_ja("x")
@cites_en("x")
forbid (principal, action in [Azukari::Action::"checkout", Azukari::Action::"release"], resource)
when { resource in resource.resident && context.minuteOfDay < 480 };

@id("night-audit")
@approver("Supervisor")
@reason_ja("夜間の監査は承認が必要です。")
@reason_en("Audits at night need approval.")
@cites_ja("施設独自")
@cites_en("The facility's own")
forbid (principal, action == Azukari::Action::"startAudit", resource)
when { context.minuteOfDay >= 1200 };

@id("odd-approver")
@approver("Director")
@reason_ja("y")
@reason_en("y")
@cites_ja("y")
@cites_en("y")
forbid (principal, action == Azukari::Action::"openIncident", resource)
when { principal.auditor };

@id("warn-other")
@warning_ja("その他の目的です。")
@warning_en("Other purpose.")
@cites_ja("z")
@cites_en("z")
permit (principal, action == Azukari::Action::"checkout", resource)
when { context.purpose == "other" };
"#;

fn at(hour: u32, minute: u32) -> Timestamp {
    Timestamp::from_tokyo(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), hour, minute).unwrap()
}

/// Context variations: as found, approved, item out, no agreement, revoked, counterpart held, a requester
/// approving a decided request, a lapsed certificate, lapsed training.
fn variations(context: &RuleContext) -> Vec<RuleContext> {
    let tweaks: [fn(&mut RuleContext); 9] = [
        |_| {},
        |c| c.approved = true,
        |c| {
            c.custody = "out";
            c.actor_holds_item = true;
        },
        |c| c.agreement_covers = false,
        |c| {
            c.agreement_covers = false;
            c.agreement_revoked = true;
        },
        |c| c.actor_holds_counterpart = true,
        |c| {
            c.is_requester = true;
            c.request_pending = false;
        },
        |c| {
            c.certificate_expired_days = 120;
            c.purpose = "medical_visit";
        },
        |c| c.training_age_days = 400,
    ];
    tweaks
        .iter()
        .map(|tweak| {
            let mut c = context.clone();
            tweak(&mut c);
            c
        })
        .collect()
}

fn compare(engine: &RuleEngine, state: &CustodyState, items: &[ItemId]) -> usize {
    let mut compared = 0;
    let mut outcomes = [0usize; 3];
    for staff in state.staff.values() {
        for id in items {
            let item = &state.items[id].item;
            for (now, purpose) in [
                (at(10, 0), Purpose::MedicalVisit),
                (at(22, 30), Purpose::EmergencyTransport),
            ] {
                let mut base = RuleContext::for_item(state, staff, item, now);
                base.purpose = purpose_code(Some(&purpose));
                for context in variations(&base) {
                    for action in ACTIONS {
                        for target in [
                            Target::Item(item),
                            Target::Resident(item.resident),
                            Target::Facility,
                        ] {
                            let request = RuleRequest {
                                actor: staff,
                                action,
                                target,
                                context: context.clone(),
                            };
                            let fast = engine.decide(&request);
                            let plain = engine.decide_without_shortcuts(&request);
                            assert_eq!(fast, plain, "{action:?} on {target:?} with {context:?}");
                            outcomes[match fast {
                                Decision::Allowed { .. } => 0,
                                Decision::NeedsApproval { .. } => 1,
                                Decision::Denied { .. } => 2,
                            }] += 1;
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(
        outcomes.iter().all(|n| *n > 0),
        "every outcome is exercised: {outcomes:?}"
    );
    compared
}

fn facility() -> (tempfile::TempDir, CustodyState, Vec<ItemId>) {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "fast-path").unwrap();
    let f = demo::seed(&mut t.store, 4).unwrap();
    let items = vec![f.cards[0], f.envelopes[0], f.certificates[0]];
    (dir, t.store.state().clone(), items)
}

#[test]
fn the_default_policy_decides_alike_with_and_without_shortcuts() {
    let (_dir, state, items) = facility();
    let engine = RuleEngine::with_default_policy().unwrap();
    assert!(compare(&engine, &state, &items) > 5_000);
}

#[test]
fn a_facility_policy_decides_alike_with_and_without_shortcuts() {
    let (_dir, state, items) = facility();
    let engine = RuleEngine::from_policy_text(CUSTOM).unwrap();
    assert!(compare(&engine, &state, &items) > 5_000);
}
