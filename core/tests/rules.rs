//! The default rules, one table row per rule with an allowed and a refused case, a custom facility policy, and
//! refused policy texts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::Timestamp;
use azukari_core::custody::CustodyState;
use azukari_core::demo::{self, DemoFacility};
use azukari_core::i18n::Locale;
use azukari_core::model::{Item, ItemId, Purpose, Role, Staff, StaffId};
use azukari_core::rules::{
    Action, Decision, PolicyError, RuleContext, RuleEngine, RuleRequest, Target, purpose_code,
};
use azukari_core::testing::TestStore;
use chrono::NaiveDate;
use tempfile::tempdir;

struct World {
    _dir: tempfile::TempDir,
    state: CustodyState,
    facility: DemoFacility,
    engine: RuleEngine,
}

fn world() -> World {
    let dir = tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "rules").unwrap();
    let facility = demo::seed(&mut t.store, 4).unwrap();
    World {
        state: t.store.state().clone(),
        facility,
        engine: RuleEngine::with_default_policy().unwrap(),
        _dir: dir,
    }
}

/// 2026-11-24 at `hour`:`minute` in Tokyo.
fn at(hour: u32, minute: u32) -> Timestamp {
    Timestamp::from_tokyo(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), hour, minute).unwrap()
}

impl World {
    fn staff(&self, id: StaffId) -> &Staff {
        &self.state.staff[&id]
    }

    fn item(&self, id: ItemId) -> &Item {
        &self.state.items[&id].item
    }

    /// A checkout of `item` by `actor` at `now` for `purpose`, with `tweak` applied to the context.
    fn checkout(
        &self,
        actor: StaffId,
        item: ItemId,
        now: Timestamp,
        purpose: Purpose,
        tweak: impl FnOnce(&mut RuleContext),
    ) -> Decision {
        let staff = self.staff(actor);
        let item = self.item(item);
        let mut context = RuleContext::for_item(&self.state, staff, item, now);
        context.purpose = purpose_code(Some(&purpose));
        tweak(&mut context);
        self.engine.decide(&RuleRequest {
            actor: staff,
            action: Action::Checkout,
            target: Target::Item(item),
            context,
        })
    }
}

fn denied_by(decision: &Decision, rule: &str) -> bool {
    matches!(decision, Decision::Denied { reasons } if reasons.iter().any(|r| r.rule == rule))
}

fn approval_for(decision: &Decision, rule: &str) -> bool {
    matches!(decision, Decision::NeedsApproval { approver: Role::Supervisor, reasons } if reasons.iter().any(|r| r.rule == rule))
}

#[test]
fn a_designated_handler_takes_a_card_to_the_clinic_by_day() {
    let w = world();
    let decision = w.checkout(
        w.facility.handlers[0],
        w.facility.cards[0],
        at(10, 0),
        Purpose::MedicalVisit,
        |_| {},
    );
    assert_eq!(decision, Decision::Allowed { warnings: vec![] });
}

#[test]
fn the_default_rules_each_allow_and_refuse() {
    let w = world();
    let f = &w.facility;
    let day = at(10, 0);
    let night = at(22, 30);
    let card = f.cards[0];
    let envelope = f.envelopes[0];
    let certificate = f.certificates[0];
    type Case<'a> = (
        &'a str,
        Decision,
        fn(&Decision) -> bool,
        Decision,
        fn(&Decision) -> bool,
    );
    let cases: Vec<Case> = vec![
        (
            "no-agreement",
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.agreement_covers = true
            }),
            Decision::is_allowed,
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.agreement_covers = false
            }),
            |d| denied_by(d, "no-agreement"),
        ),
        (
            "agreement-revoked",
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |_| {}),
            Decision::is_allowed,
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.agreement_covers = false;
                c.agreement_revoked = true;
            }),
            |d| denied_by(d, "agreement-revoked"),
        ),
        (
            "designated-handlers",
            w.checkout(
                f.handlers[0],
                certificate,
                day,
                Purpose::MedicalVisit,
                |_| {},
            ),
            Decision::is_allowed,
            w.checkout(
                f.caregivers[0],
                certificate,
                day,
                Purpose::MedicalVisit,
                |_| {},
            ),
            |d| approval_for(d, "designated-handlers"),
        ),
        (
            "night-needs-approval",
            w.checkout(f.handlers[1], card, night, Purpose::MedicalVisit, |c| {
                c.approved = true
            }),
            Decision::is_allowed,
            w.checkout(f.handlers[1], card, night, Purpose::MedicalVisit, |_| {}),
            |d| approval_for(d, "night-needs-approval"),
        ),
        (
            "night-emergency-review",
            w.checkout(
                f.handlers[1],
                card,
                night,
                Purpose::EmergencyTransport,
                |_| {},
            ),
            |d| matches!(d, Decision::Allowed { warnings } if warnings.iter().any(|r| r.rule == "night-emergency-review")),
            w.checkout(
                f.handlers[1],
                card,
                night,
                Purpose::EmergencyTransport,
                |c| c.custody = "out",
            ),
            |d| denied_by(d, "already-out"),
        ),
        (
            "pin-needs-approval",
            w.checkout(
                f.pin_manager,
                envelope,
                day,
                Purpose::MunicipalProcedure(azukari_core::model::MunicipalProcedure::Reissue),
                |c| c.approved = true,
            ),
            Decision::is_allowed,
            w.checkout(
                f.pin_manager,
                envelope,
                day,
                Purpose::MunicipalProcedure(azukari_core::model::MunicipalProcedure::Reissue),
                |_| {},
            ),
            |d| approval_for(d, "pin-needs-approval"),
        ),
        (
            "pin-manager-only",
            w.checkout(f.pin_manager, envelope, day, Purpose::MedicalVisit, |c| {
                c.approved = true
            }),
            Decision::is_allowed,
            w.checkout(f.handlers[0], envelope, day, Purpose::MedicalVisit, |c| {
                c.approved = true
            }),
            |d| denied_by(d, "pin-manager-only"),
        ),
        (
            "pin-apart-from-card",
            w.checkout(f.pin_manager, envelope, day, Purpose::MedicalVisit, |c| {
                c.approved = true
            }),
            Decision::is_allowed,
            w.checkout(f.pin_manager, envelope, day, Purpose::MedicalVisit, |c| {
                c.approved = true;
                c.actor_holds_counterpart = true;
            }),
            |d| denied_by(d, "pin-apart-from-card"),
        ),
        (
            "training-expired",
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.training_age_days = 365
            }),
            Decision::is_allowed,
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.training_age_days = 366
            }),
            |d| denied_by(d, "training-expired"),
        ),
        (
            "already-out",
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.custody = "in_locker"
            }),
            Decision::is_allowed,
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.custody = "out"
            }),
            |d| denied_by(d, "already-out"),
        ),
        (
            "expired-certificate-suggests-eligibility-certificate",
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.certificate_expired_days = 90
            }),
            |d| matches!(d, Decision::Allowed { warnings } if warnings.is_empty()),
            w.checkout(f.handlers[0], card, day, Purpose::MedicalVisit, |c| {
                c.certificate_expired_days = 91
            }),
            |d| matches!(d, Decision::Allowed { warnings } if warnings.iter().any(|r| r.rule == "expired-certificate-suggests-eligibility-certificate" && r.text_ja.contains("資格確認書"))),
        ),
    ];
    for (rule, allowed, is_allowed, refused, is_refused) in cases {
        assert!(
            is_allowed(&allowed),
            "{rule}: expected the first case allowed, got {allowed:?}"
        );
        assert!(
            is_refused(&refused),
            "{rule}: expected the second case refused/flagged, got {refused:?}"
        );
    }
}

fn approve(
    w: &World,
    approver: StaffId,
    item: ItemId,
    tweak: impl FnOnce(&mut RuleContext),
) -> Decision {
    let staff = w.staff(approver);
    let item = w.item(item);
    let mut context = RuleContext::for_item(&w.state, staff, item, at(22, 0));
    context.request_pending = true;
    tweak(&mut context);
    w.engine.decide(&RuleRequest {
        actor: staff,
        action: Action::Approve,
        target: Target::Item(item),
        context,
    })
}

#[test]
fn approvals_are_for_supervisors_never_self_approved_and_used_once() {
    let w = world();
    let f = &w.facility;
    let card = f.cards[0];
    assert!(approve(&w, f.supervisor, card, |_| {}).is_allowed());
    assert!(denied_by(
        &approve(&w, f.handlers[0], card, |_| {}),
        "approver-is-supervisor"
    ));
    assert!(denied_by(
        &approve(&w, f.supervisor, card, |c| c.is_requester = true),
        "no-self-approval"
    ));
    assert!(denied_by(
        &approve(&w, f.supervisor, card, |c| c.request_pending = false),
        "approval-once"
    ));
}

#[test]
fn facility_actions_are_limited_to_their_roles() {
    let w = world();
    let f = &w.facility;
    let decide = |actor: StaffId, action: Action| {
        let staff = w.staff(actor);
        let context = RuleContext::at(staff, at(10, 0));
        w.engine.decide(&RuleRequest {
            actor: staff,
            action,
            target: Target::Facility,
            context,
        })
    };
    assert!(decide(f.admin, Action::ChangePolicy).is_allowed());
    assert!(denied_by(
        &decide(f.supervisor, Action::ChangePolicy),
        "policy-by-admin"
    ));
    assert!(decide(f.supervisor, Action::StartAudit).is_allowed());
    assert!(denied_by(
        &decide(f.caregivers[0], Action::StartAudit),
        "audits-by-supervisor-or-auditor"
    ));
    assert!(decide(f.caregivers[0], Action::OpenIncident).is_allowed());
}

#[test]
fn reasons_speak_both_languages_and_cite_the_guideline() {
    let w = world();
    let f = &w.facility;
    let decision = w.checkout(
        f.handlers[0],
        f.envelopes[0],
        at(10, 0),
        Purpose::MedicalVisit,
        |c| {
            c.approved = true;
        },
    );
    let Decision::Denied { reasons } = decision else {
        panic!("a card handler may not take a PIN envelope")
    };
    let reason = &reasons[0];
    assert!(reason.text(Locale::Ja).contains("暗証番号管理者"));
    assert!(reason.text(Locale::En).contains("PIN manager"));
    assert!(!reason.cites(Locale::Ja).is_empty() && !reason.cites(Locale::En).is_empty());
}

#[test]
fn the_pin_envelope_scope_must_be_agreed_separately() {
    let w = world();
    let f = &w.facility;
    // Resident 0 agreed to the PIN envelope; the context comes from the real agreements in the state.
    let with_scope = w.checkout(
        f.pin_manager,
        f.envelopes[0],
        at(10, 0),
        Purpose::MedicalVisit,
        |c| c.approved = true,
    );
    assert!(with_scope.is_allowed(), "{with_scope:?}");
    // Resident 1's agreement covers only the card: an envelope registered for them is not covered.
    let resident = w
        .state
        .residents
        .keys()
        .find(|r| **r == f.residents[1])
        .copied()
        .unwrap();
    let mut item = w.item(f.envelopes[0]).clone();
    item.resident = resident;
    let staff = w.staff(f.pin_manager);
    let mut context = RuleContext::for_item(&w.state, staff, &item, at(10, 0));
    context.approved = true;
    context.purpose = "medical_visit";
    let decision = w.engine.decide(&RuleRequest {
        actor: staff,
        action: Action::Checkout,
        target: Target::Item(&item),
        context,
    });
    assert!(denied_by(&decision, "no-agreement"), "{decision:?}");
}

#[test]
fn a_facility_can_replace_the_policy_with_its_own() {
    // A facility that allows nothing at night, not even emergencies without approval, and whose night starts at 21:00.
    let custom = r#"
@id("base")
permit (principal, action, resource);

@id("late-night")
@approver("Supervisor")
@reason_ja("21時以降は責任者の承認が必要です。")
@reason_en("After 21:00 a supervisor must approve.")
@cites_ja("施設独自の夜間規程")
@cites_en("The facility's own night rule")
forbid (principal, action == Azukari::Action::"checkout", resource)
when { context.minuteOfDay >= 1260 }
unless { context.approved };
"#;
    let w = world();
    let engine = RuleEngine::from_policy_text(custom).unwrap();
    let f = &w.facility;
    let staff = w.staff(f.caregivers[0]);
    let item = w.item(f.cards[0]);
    let decide = |now| {
        let mut context = RuleContext::for_item(&w.state, staff, item, now);
        context.purpose = "emergency_transport";
        engine.decide(&RuleRequest {
            actor: staff,
            action: Action::Checkout,
            target: Target::Item(item),
            context,
        })
    };
    assert!(
        decide(at(20, 30)).is_allowed(),
        "the default night rule and handler rule no longer apply"
    );
    assert!(approval_for(&decide(at(21, 30)), "late-night"));
}

#[test]
fn a_policy_that_does_not_parse_is_refused_with_line_and_column() {
    let text = "@id(\"x\")\npermit (principal, action, resource);\n\nforbid (principal, action resource);\n";
    let Err(PolicyError::Parse(problems)) = RuleEngine::from_policy_text(text) else {
        panic!("must not parse")
    };
    assert_eq!(problems[0].line, 4, "{problems:?}");
    assert!(problems[0].column > 1);
}

#[test]
fn a_policy_that_does_not_fit_the_schema_is_refused_with_its_line() {
    let text = "@id(\"base\")\npermit (principal, action, resource);\n@id(\"typo\")\n@reason_ja(\"x\")\n@reason_en(\"x\")\n@cites_ja(\"x\")\n@cites_en(\"x\")\nforbid (principal, action == Azukari::Action::\"checkout\", resource)\nwhen { principal.isSupervisr };\n";
    let Err(PolicyError::Invalid(problems)) = RuleEngine::from_policy_text(text) else {
        panic!("must not validate")
    };
    assert_eq!(problems[0].line, 9, "{problems:?}");
}

#[test]
fn a_forbid_without_reasons_is_refused() {
    let text = "@id(\"base\")\npermit (principal, action, resource);\n\n@id(\"silent\")\nforbid (principal, action, resource) when { principal.admin };\n";
    assert_eq!(
        RuleEngine::from_policy_text(text).err(),
        Some(PolicyError::Unexplained { line: 4 })
    );
}
