//! The setup flow (residents, lockers, items, staff, training, paper agreements, policy) and the board, each walked
//! through its happy path and its refusals: a refusal writes nothing and shows why, in the session's language.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::alerts::Severity;
use azukari_core::clock::Timestamp;
use azukari_core::demo::{self, DemoFacility};
use azukari_core::flows::board::{BoardFilter, BoardFlow, BoardIntent, BoardView};
use azukari_core::flows::setup::{
    AgreementForm, ItemForm, NewItemKind, SetupDone, SetupFlow, SetupIntent, SetupView,
};
use azukari_core::flows::{FlowError, Labels, NoticeKind, Session};
use azukari_core::i18n::Locale;
use azukari_core::ledger::EventBody;
use azukari_core::model::{
    CardAuth, ItemCategory, ItemId, ItemKind, LockerId, LockerKind, Purpose, ResidentId, Role,
    Shift, Signatory, StaffId,
};
use azukari_core::rules::{Action, Decision, RuleContext, RuleRequest, Target, purpose_code};
use azukari_core::store::Field;
use azukari_core::testing::TestStore;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::sync::Arc;
use tempfile::TempDir;

struct World {
    _dir: TempDir,
    session: Session,
    facility: DemoFacility,
    clock: Arc<azukari_core::clock::ManualClock>,
}

/// A demo facility with `residents` residents, the administrator signed in.
fn world(residents: usize) -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "setup-board").unwrap();
    let facility = demo::seed(&mut t.store, residents).unwrap();
    let clock = t.clock.clone();
    let mut session = Session::new(t.store).unwrap();
    session.sign_in(facility.admin).unwrap();
    World {
        _dir: dir,
        session,
        facility,
        clock,
    }
}

/// A demo facility after a day of handovers that leaves one card out past its due time, at 18:00.
fn world_after_a_day() -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "board").unwrap();
    let facility = demo::seed(&mut t.store, 6).unwrap();
    let report = demo::record_day(&mut t.store, &facility, &t.clock).unwrap();
    assert_eq!(report.still_out.len(), 1);
    let clock = t.clock.clone();
    let mut session = Session::new(t.store).unwrap();
    session.sign_in(facility.supervisor).unwrap();
    World {
        _dir: dir,
        session,
        facility,
        clock,
    }
}

impl World {
    /// Run `intent`, and check that a refusal wrote nothing and shows an error notice.
    fn setup(&mut self, flow: &mut SetupFlow, intent: SetupIntent) -> Result<(), FlowError> {
        let before = self.session.store().head();
        let result = flow.handle(&mut self.session, intent);
        let view = flow.view(&self.session);
        match &result {
            Ok(()) => {
                assert_eq!(self.session.store().head().length, before.length + 1);
                assert_eq!(view.notice.as_ref().unwrap().kind, NoticeKind::Info);
            }
            Err(_) => {
                assert_eq!(self.session.store().head(), before, "a refusal wrote");
                assert_eq!(view.notice.as_ref().unwrap().kind, NoticeKind::Error);
            }
        }
        result
    }

    fn sign_in(&mut self, staff: StaffId) {
        self.session.sign_in(staff).unwrap();
    }

    fn notice(&self, flow: &SetupFlow) -> String {
        flow.view(&self.session).notice.unwrap().text
    }
}

fn admit(name: &str, kana: &str, admitted_on: &str) -> SetupIntent {
    SetupIntent::AdmitResident {
        name: name.into(),
        kana: kana.into(),
        room: "201号室".into(),
        admitted_on: admitted_on.into(),
    }
}

fn item(resident: ResidentId, kind: NewItemKind, home_locker: LockerId) -> ItemForm {
    ItemForm {
        resident,
        kind,
        home_locker,
        card_expires_on: String::new(),
        certificate_expires_on: String::new(),
        document_expires_on: String::new(),
    }
}

fn agreement(resident: ResidentId, items: &[ItemCategory], pin_envelope: bool) -> AgreementForm {
    AgreementForm {
        resident,
        signatory: Signatory::FamilyWithConsent,
        signatory_name: "山田 花子".into(),
        relation: "長女".into(),
        items: items.to_vec(),
        pin_envelope,
        text: demo::AGREEMENT_TEXT.into(),
        signed_on: String::new(),
    }
}

fn added_resident(flow: &SetupFlow) -> ResidentId {
    match flow.last_done() {
        Some(SetupDone::ResidentAdmitted(id)) => id,
        other => panic!("expected an admission, got {other:?}"),
    }
}

fn added_item(flow: &SetupFlow) -> ItemId {
    match flow.last_done() {
        Some(SetupDone::ItemRegistered(id)) => id,
        other => panic!("expected an item, got {other:?}"),
    }
}

// -------------------------------------------------------------------------------------------------------------
// Residents

#[test]
fn an_administrator_admits_a_resident_who_is_then_listed_by_kana() {
    let mut w = world(2);
    let mut flow = SetupFlow::new();
    w.setup(&mut flow, admit("相川 トシ", "アイカワ トシ", "2026-11-01"))
        .unwrap();
    let id = added_resident(&flow);
    let resident = &w.session.store().state().residents[&id];
    assert_eq!(
        resident.admitted_on,
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
    );
    let view = flow.view(&w.session);
    assert!(view.notice.unwrap().text.contains("相川 トシ"));
    // アイカワ sorts before the demo's サトウ and スズキ.
    assert_eq!(view.residents[0].id, id);
    assert_eq!(view.residents[0].name, "相川 トシ");
    assert_eq!(view.residents[0].room, "201号室");
    assert!(
        view.residents[0]
            .admitted
            .contains("2026年11月1日（令和8年）")
    );
}

#[test]
fn an_admission_with_an_empty_name_bad_kana_or_a_date_that_does_not_parse_writes_nothing() {
    let mut w = world(1);
    let mut flow = SetupFlow::new();
    let refused = w.setup(&mut flow, admit("  ", "アイカワ", "2026-11-01"));
    assert!(matches!(refused, Err(FlowError::InvalidInput(_))));
    assert!(w.notice(&flow).contains("氏名"), "{}", w.notice(&flow));

    let refused = w.setup(&mut flow, admit("相川 トシ", "Aikawa", "2026-11-01"));
    assert!(matches!(refused, Err(FlowError::InvalidInput(_))));
    assert!(w.notice(&flow).contains("カタカナ"));

    for bad in ["2026-13-01", "昨日", ""] {
        let refused = w.setup(&mut flow, admit("相川 トシ", "あいかわ とし", bad));
        assert!(matches!(refused, Err(FlowError::InvalidInput(_))), "{bad}");
        assert!(w.notice(&flow).contains("入所日"), "{}", w.notice(&flow));
    }
    // A slash date is fine, and a success clears the error.
    w.setup(&mut flow, admit("相川 トシ", "あいかわ とし", "2026/11/01"))
        .unwrap();
    assert_eq!(flow.view(&w.session).notice.unwrap().kind, NoticeKind::Info);
}

#[test]
fn only_an_administrator_registers_residents_lockers_items_and_staff() {
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let locker = w.facility.card_lockers[0];
    let mut flow = SetupFlow::new();
    for staff in [w.facility.supervisor, w.facility.caregivers[0]] {
        w.sign_in(staff);
        let intents = [
            admit("相川 トシ", "アイカワ トシ", "2026-11-01"),
            SetupIntent::RegisterLocker {
                kind: LockerKind::CardLocker,
                name: "保険証ロッカー C".into(),
                place: "3F".into(),
            },
            SetupIntent::RegisterItem(item(resident, NewItemKind::EligibilityCertificate, locker)),
            SetupIntent::AddStaff {
                name: "新人 一郎".into(),
                roles: vec![Role::Caregiver],
                shifts: vec![Shift::Day],
                trained_on: String::new(),
            },
        ];
        for intent in intents {
            let Err(FlowError::Denied(reasons)) = w.setup(&mut flow, intent) else {
                panic!("only an administrator registers")
            };
            assert_eq!(reasons[0].rule, "setup-needs-admin");
            let view = flow.view(&w.session);
            assert!(view.notice.unwrap().text.contains("管理者"));
            assert!(!view.reasons[0].cites.is_empty());
            assert!(!view.can_register);
        }
    }
}

#[test]
fn nobody_signed_in_is_refused_and_sees_no_names() {
    let mut w = world(2);
    w.session.sign_out();
    let mut flow = SetupFlow::new();
    let refused = w.setup(&mut flow, admit("相川 トシ", "アイカワ トシ", "2026-11-01"));
    assert!(matches!(refused, Err(FlowError::NotSignedIn)));
    let view = flow.view(&w.session);
    assert!(view.residents.is_empty() && view.staff.is_empty());
}

// -------------------------------------------------------------------------------------------------------------
// Lockers and items

#[test]
fn a_locker_is_registered_once_by_its_name() {
    let mut w = world(0);
    let mut flow = SetupFlow::new();
    let register = |name: &str| SetupIntent::RegisterLocker {
        kind: LockerKind::PinSafe,
        name: name.into(),
        place: "2F 事務室".into(),
    };
    w.setup(&mut flow, register("暗証番号金庫 2")).unwrap();
    let Some(SetupDone::LockerRegistered(id)) = flow.last_done() else {
        panic!("no locker")
    };
    let locker = &w.session.store().state().lockers[&id];
    assert_eq!(
        (locker.kind, locker.name.as_str(), locker.place.as_str()),
        (LockerKind::PinSafe, "暗証番号金庫 2", "2F 事務室")
    );
    let row = flow
        .view(&w.session)
        .lockers
        .into_iter()
        .find(|l| l.id == id)
        .unwrap();
    assert_eq!(row.kind_label, "暗証番号金庫");

    assert!(matches!(
        w.setup(&mut flow, register(" 暗証番号金庫 2 ")),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(w.notice(&flow).contains("同じ名前"));
    assert!(matches!(
        w.setup(&mut flow, register("")),
        Err(FlowError::InvalidInput(_))
    ));
}

#[test]
fn a_card_is_registered_with_its_expiry_dates() {
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let mut flow = SetupFlow::new();
    let mut form = item(
        resident,
        NewItemKind::MynaCard {
            auth: CardAuth::FaceOnly,
        },
        w.facility.card_lockers[1],
    );
    form.card_expires_on = "2034-05-01".into();
    form.certificate_expires_on = "2029-05-01".into();
    w.setup(&mut flow, SetupIntent::RegisterItem(form)).unwrap();
    let id = added_item(&flow);
    let record = &w.session.store().state().items[&id];
    assert_eq!(
        record.item.certificate_expires_on,
        NaiveDate::from_ymd_opt(2029, 5, 1)
    );
    assert_eq!(
        record.item.kind,
        ItemKind::MynaCard {
            auth: CardAuth::FaceOnly
        }
    );
    assert!(w.notice(&flow).contains("マイナ保険証"));
}

#[test]
fn a_pin_envelope_is_kept_in_the_pin_safe_with_only_its_number_sealed() {
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let mut flow = SetupFlow::new();
    w.setup(
        &mut flow,
        SetupIntent::RegisterItem(item(
            resident,
            NewItemKind::PinEnvelope {
                envelope_number: " PIN-20001 ".into(),
            },
            w.facility.pin_safe,
        )),
    )
    .unwrap();
    let id = added_item(&flow);
    let record = &w.session.store().state().items[&id];
    let ItemKind::PinEnvelope { envelope_number } = &record.item.kind else {
        panic!("not an envelope")
    };
    let opened = w
        .session
        .store()
        .open_field(Field::EnvelopeNumber, id.as_bytes(), envelope_number)
        .unwrap();
    assert_eq!(opened.as_str(), "PIN-20001");
    assert!(
        flow.view(&w.session)
            .labels
            .envelope_hint
            .contains("暗証番号そのもの")
    );
}

#[test]
fn the_pin_is_never_stored_with_the_card() {
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let mut flow = SetupFlow::new();
    let envelope = NewItemKind::PinEnvelope {
        envelope_number: "PIN-20002".into(),
    };
    for locker in [w.facility.card_lockers[0], w.facility.cabinet] {
        let refused = w.setup(
            &mut flow,
            SetupIntent::RegisterItem(item(resident, envelope.clone(), locker)),
        );
        assert_eq!(
            refused.unwrap_err().to_string(),
            "invalid input: setup-problem-pin-envelope-needs-pin-safe"
        );
        assert!(w.notice(&flow).contains("暗証番号金庫に保管"));
    }
    let refused = w.setup(
        &mut flow,
        SetupIntent::RegisterItem(item(
            resident,
            NewItemKind::MynaCard {
                auth: CardAuth::Pin,
            },
            w.facility.pin_safe,
        )),
    );
    assert!(matches!(refused, Err(FlowError::InvalidInput(_))));
    assert!(w.notice(&flow).contains("カードと別に管理"));
    w.session.locale = Locale::En;
    assert!(w.notice(&flow).contains("PIN is kept apart from the card"));
}

#[test]
fn an_item_for_an_unknown_resident_or_locker_or_with_bad_dates_is_refused() {
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let locker = w.facility.card_lockers[0];
    let card = NewItemKind::MynaCard {
        auth: CardAuth::Pin,
    };
    let mut flow = SetupFlow::new();

    let refused = w.setup(
        &mut flow,
        SetupIntent::RegisterItem(item(ResidentId::random(), card.clone(), locker)),
    );
    assert!(matches!(refused, Err(FlowError::UnknownResident)));

    let refused = w.setup(
        &mut flow,
        SetupIntent::RegisterItem(item(resident, card.clone(), LockerId::random())),
    );
    assert!(matches!(refused, Err(FlowError::UnknownLocker)));
    assert!(w.notice(&flow).contains("保管庫は登録されていません"));

    let mut form = item(resident, card.clone(), locker);
    form.card_expires_on = "2034-02-30".into();
    assert!(matches!(
        w.setup(&mut flow, SetupIntent::RegisterItem(form)),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(w.notice(&flow).contains("カードの有効期限"));

    let mut form = item(resident, card, locker);
    form.card_expires_on = "2030-01-01".into();
    form.certificate_expires_on = "2031-01-01".into();
    assert!(matches!(
        w.setup(&mut flow, SetupIntent::RegisterItem(form)),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(
        w.notice(&flow)
            .contains("電子証明書の有効期限がカードの有効期限より後")
    );

    let mut form = item(
        resident,
        NewItemKind::EligibilityCertificate,
        w.facility.cabinet,
    );
    form.certificate_expires_on = "2027-01-01".into();
    assert!(matches!(
        w.setup(&mut flow, SetupIntent::RegisterItem(form)),
        Err(FlowError::InvalidInput(_))
    ));

    let refused = w.setup(
        &mut flow,
        SetupIntent::RegisterItem(item(
            resident,
            NewItemKind::PinEnvelope {
                envelope_number: " ".into(),
            },
            w.facility.pin_safe,
        )),
    );
    assert!(matches!(refused, Err(FlowError::InvalidInput(_))));
    assert!(w.notice(&flow).contains("封筒の番号"));
}

// -------------------------------------------------------------------------------------------------------------
// Staff and training

#[test]
fn staff_are_added_and_their_training_recorded_by_a_supervisor() {
    let mut w = world(0);
    let mut flow = SetupFlow::new();
    w.setup(
        &mut flow,
        SetupIntent::AddStaff {
            name: "夜勤 太郎".into(),
            roles: vec![Role::Caregiver, Role::CardHandler],
            shifts: vec![Shift::Night],
            trained_on: String::new(),
        },
    )
    .unwrap();
    let Some(SetupDone::StaffAdded(id)) = flow.last_done() else {
        panic!("no staff")
    };
    let staff = &w.session.store().state().staff[&id];
    assert_eq!(
        staff.roles,
        BTreeSet::from([Role::Caregiver, Role::CardHandler])
    );
    assert_eq!(staff.trained_on, None);
    let row = flow
        .view(&w.session)
        .staff
        .into_iter()
        .find(|s| s.id == id)
        .unwrap();
    assert_eq!(row.name, "夜勤 太郎");
    assert_eq!(row.roles, "介護職員・取扱担当者");
    assert_eq!(row.training, "研修の記録なし");

    // A supervisor (not an administrator) records the training.
    w.sign_in(w.facility.supervisor);
    w.setup(
        &mut flow,
        SetupIntent::RecordTraining {
            staff: id,
            on: "2026-11-20".into(),
        },
    )
    .unwrap();
    assert_eq!(
        w.session.store().state().staff[&id].trained_on,
        NaiveDate::from_ymd_opt(2026, 11, 20)
    );
    assert!(w.notice(&flow).contains("夜勤 太郎"));
}

#[test]
fn staff_without_a_name_or_role_and_training_in_the_future_or_by_a_caregiver_are_refused() {
    let mut w = world(0);
    let mut flow = SetupFlow::new();
    let add = |name: &str, roles: Vec<Role>, trained_on: &str| SetupIntent::AddStaff {
        name: name.into(),
        roles,
        shifts: vec![Shift::Day],
        trained_on: trained_on.into(),
    };
    assert!(matches!(
        w.setup(&mut flow, add("", vec![Role::Caregiver], "")),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(matches!(
        w.setup(&mut flow, add("新人", vec![], "")),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(w.notice(&flow).contains("役割"));
    assert!(matches!(
        w.setup(&mut flow, add("新人", vec![Role::Caregiver], "2027-01-01")),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(w.notice(&flow).contains("未来"));

    let train = |staff: StaffId, on: &str| SetupIntent::RecordTraining {
        staff,
        on: on.into(),
    };
    assert!(matches!(
        w.setup(&mut flow, train(StaffId::random(), "2026-11-20")),
        Err(FlowError::UnknownStaff)
    ));
    let caregiver = w.facility.caregivers[0];
    assert!(matches!(
        w.setup(&mut flow, train(caregiver, "2026-11-20x")),
        Err(FlowError::InvalidInput(_))
    ));
    // Staff do not certify their own training.
    w.sign_in(caregiver);
    let Err(FlowError::Denied(reasons)) = w.setup(&mut flow, train(caregiver, "2026-11-20")) else {
        panic!("a caregiver does not record training")
    };
    assert_eq!(reasons[0].rule, "setup-needs-supervisor");
}

// -------------------------------------------------------------------------------------------------------------
// Agreements

#[test]
fn a_supervisor_records_a_paper_agreement_that_then_covers_the_items() {
    let mut w = world(0);
    let mut flow = SetupFlow::new();
    w.setup(&mut flow, admit("相川 トシ", "アイカワ トシ", "2026-11-01"))
        .unwrap();
    let resident = added_resident(&flow);
    w.setup(
        &mut flow,
        SetupIntent::RegisterItem(item(
            resident,
            NewItemKind::MynaCard {
                auth: CardAuth::Pin,
            },
            w.facility.card_lockers[0],
        )),
    )
    .unwrap();
    let card = added_item(&flow);
    let now = w.session.now();
    let state = w.session.store().state();
    assert!(!state.is_covered(&state.items[&card].item, now));

    w.sign_in(w.facility.supervisor);
    w.setup(
        &mut flow,
        SetupIntent::RecordPaperAgreement(agreement(resident, &[ItemCategory::MynaCard], true)),
    )
    .unwrap();
    let Some(SetupDone::AgreementRecorded(id)) = flow.last_done() else {
        panic!("no agreement")
    };
    let state = w.session.store().state();
    let recorded = &state.agreements[&id];
    assert!(recorded.scope.pin_envelope);
    assert_eq!(recorded.method, azukari_core::model::AgreementMethod::Paper);
    assert!(state.is_covered(&state.items[&card].item, now));
    assert!(w.notice(&flow).contains("相川 トシ"));
}

#[test]
fn an_agreement_is_refused_for_a_caregiver_an_unknown_resident_or_a_muddled_scope() {
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let mut flow = SetupFlow::new();

    w.sign_in(w.facility.caregivers[0]);
    let Err(FlowError::Denied(reasons)) = w.setup(
        &mut flow,
        SetupIntent::RecordPaperAgreement(agreement(resident, &[ItemCategory::MynaCard], false)),
    ) else {
        panic!("the rules refuse a caregiver")
    };
    assert_eq!(reasons[0].rule, "agreements-by-admin-or-supervisor");
    assert_eq!(flow.view(&w.session).reasons[0].rule, reasons[0].rule);

    w.sign_in(w.facility.admin);
    let refusals = [
        agreement(ResidentId::random(), &[ItemCategory::MynaCard], false),
        agreement(resident, &[], false),
        agreement(resident, &[ItemCategory::PinEnvelope], false),
        AgreementForm {
            signatory_name: String::new(),
            ..agreement(resident, &[ItemCategory::MynaCard], false)
        },
        AgreementForm {
            text: "  ".into(),
            ..agreement(resident, &[ItemCategory::MynaCard], false)
        },
        AgreementForm {
            signed_on: "2030-01-01".into(),
            ..agreement(resident, &[ItemCategory::MynaCard], false)
        },
    ];
    for form in refusals {
        assert!(
            w.setup(&mut flow, SetupIntent::RecordPaperAgreement(form))
                .is_err()
        );
    }
}

// -------------------------------------------------------------------------------------------------------------
// Policy

/// A facility that allows everything by day and asks for approval after 21:00 — not even designated handlers.
const CUSTOM_POLICY: &str = r#"
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

fn caregiver_checkout(w: &World, now: Timestamp) -> Decision {
    let state = w.session.store().state();
    let staff = &state.staff[&w.facility.caregivers[0]];
    let item = &state.items[&w.facility.cards[0]].item;
    let mut context = RuleContext::for_item(state, staff, item, now);
    context.purpose = purpose_code(Some(&Purpose::MedicalVisit));
    w.session.decide(&RuleRequest {
        actor: staff,
        action: Action::Checkout,
        target: Target::Item(item),
        context,
    })
}

fn tokyo(hour: u32, minute: u32) -> Timestamp {
    Timestamp::from_tokyo(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), hour, minute).unwrap()
}

#[test]
fn a_custom_policy_replaced_through_setup_decides_from_then_on() {
    let mut w = world(2);
    assert!(!caregiver_checkout(&w, tokyo(20, 30)).is_allowed());
    let mut flow = SetupFlow::new();
    w.setup(
        &mut flow,
        SetupIntent::ReplacePolicy {
            text: CUSTOM_POLICY.into(),
        },
    )
    .unwrap();
    assert_eq!(flow.last_done(), Some(SetupDone::PolicyReplaced(1)));
    assert_eq!(w.session.policy_version(), 1);
    assert_eq!(w.session.rules().policy_text(), CUSTOM_POLICY);
    assert_eq!(
        w.session.store().state().policy,
        Some((1, CUSTOM_POLICY.to_string()))
    );
    let view = flow.view(&w.session);
    assert_eq!(view.policy_label, "第1版");
    assert_eq!(view.policy_text, CUSTOM_POLICY);

    w.clock.set(tokyo(20, 30));
    assert!(
        caregiver_checkout(&w, tokyo(20, 30)).is_allowed(),
        "the default handler and night rules no longer apply"
    );
    assert!(matches!(
        caregiver_checkout(&w, tokyo(21, 30)),
        Decision::NeedsApproval { reasons, .. } if reasons[0].rule == "late-night"
    ));

    // A second replacement is version 2.
    w.setup(
        &mut flow,
        SetupIntent::ReplacePolicy {
            text: azukari_core::rules::DEFAULT_POLICY.into(),
        },
    )
    .unwrap();
    assert_eq!(w.session.policy_version(), 2);
    assert!(!caregiver_checkout(&w, tokyo(20, 30)).is_allowed());
}

#[test]
fn a_policy_that_does_not_parse_shows_its_line_and_column_and_changes_nothing() {
    let mut w = world(1);
    let mut flow = SetupFlow::new();
    let text = "@id(\"x\")\npermit (principal, action, resource);\n\nforbid (principal, action resource);\n";
    let refused = w.setup(&mut flow, SetupIntent::ReplacePolicy { text: text.into() });
    assert!(matches!(refused, Err(FlowError::Policy(_))));
    assert_eq!(w.session.policy_version(), 0);
    let view = flow.view(&w.session);
    assert_eq!(view.policy_problems[0].line, 4);
    let at = format!(
        "{}:{}",
        view.policy_problems[0].line, view.policy_problems[0].column
    );
    let notice = view.notice.unwrap().text;
    assert!(
        notice.starts_with("ルールの書式に誤りがあります"),
        "{notice}"
    );
    assert!(notice.contains(&at), "{notice}");
    assert_eq!(view.policy_label, "既定のルール");
}

#[test]
fn a_policy_that_does_not_fit_the_schema_or_does_not_explain_itself_is_refused() {
    let mut w = world(1);
    let mut flow = SetupFlow::new();
    let misspelt = "@id(\"base\")\npermit (principal, action, resource);\n@id(\"typo\")\n@reason_ja(\"x\")\n@reason_en(\"x\")\n@cites_ja(\"x\")\n@cites_en(\"x\")\nforbid (principal, action == Azukari::Action::\"checkout\", resource)\nwhen { principal.isSupervisr };\n";
    assert!(
        w.setup(
            &mut flow,
            SetupIntent::ReplacePolicy {
                text: misspelt.into()
            }
        )
        .is_err()
    );
    let view = flow.view(&w.session);
    assert_eq!(view.policy_problems[0].line, 9);
    assert!(view.notice.unwrap().text.contains("9:"));

    let silent = "@id(\"base\")\npermit (principal, action, resource);\n\n@id(\"silent\")\nforbid (principal, action, resource) when { principal.admin };\n";
    assert!(
        w.setup(
            &mut flow,
            SetupIntent::ReplacePolicy {
                text: silent.into()
            }
        )
        .is_err()
    );
    assert!(w.notice(&flow).contains("4行目"));
    assert!(
        w.setup(&mut flow, SetupIntent::ReplacePolicy { text: " ".into() })
            .is_err()
    );
}

#[test]
fn a_policy_that_would_lock_out_its_author_or_comes_from_a_supervisor_is_refused() {
    let mut w = world(1);
    let mut flow = SetupFlow::new();
    let lockout = r#"
@id("base")
permit (principal, action, resource);

@id("auditors-only")
@reason_ja("監査担当だけがルールを変更します。")
@reason_en("Only auditors change the rules.")
@cites_ja("施設独自")
@cites_en("The facility's own")
forbid (principal, action == Azukari::Action::"changePolicy", resource)
unless { principal.auditor };
"#;
    assert!(matches!(
        w.setup(
            &mut flow,
            SetupIntent::ReplacePolicy {
                text: lockout.into()
            }
        ),
        Err(FlowError::InvalidInput(_))
    ));
    assert!(w.notice(&flow).contains("変更できなくなります"));

    w.sign_in(w.facility.supervisor);
    let Err(FlowError::Denied(reasons)) = w.setup(
        &mut flow,
        SetupIntent::ReplacePolicy {
            text: CUSTOM_POLICY.into(),
        },
    ) else {
        panic!("a supervisor does not change the rules")
    };
    assert_eq!(reasons[0].rule, "policy-by-admin");
    assert_eq!(w.session.policy_version(), 0);
}

// -------------------------------------------------------------------------------------------------------------
// Board

#[test]
fn the_board_shows_where_everything_is_and_the_overdue_card_with_its_alert() {
    let w = world_after_a_day();
    let overdue_card = w.facility.cards[3];
    let view = BoardFlow::new().view(&w.session);
    assert_eq!(view.title, "預かり状況");
    assert!(view.notice.is_none());

    // Every held item, sorted by kana then kind.
    let state = w.session.store().state();
    assert_eq!(view.held.items.len(), state.items.len());
    let labels = Labels::new(&w.session);
    let keys: Vec<(String, String)> = view
        .held
        .items
        .iter()
        .map(|i| {
            let r = &state.residents[&i.resident];
            let kana = w
                .session
                .store()
                .open_field(Field::ResidentKana, r.id.as_bytes(), &r.kana)
                .unwrap()
                .to_string();
            (kana, i.resident_name.clone())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let first = &view.held.items[0];
    assert_eq!(first.kind, "マイナ保険証");
    assert!(first.custody.starts_with("保管中："));

    // Out and overdue.
    assert_eq!(view.out.items.len(), 1);
    assert_eq!(view.overdue.items.len(), 1);
    let overdue = &view.overdue.items[0];
    assert_eq!(overdue.item, overdue_card);
    assert!(overdue.overdue);
    assert_eq!(overdue.holder, Some(w.facility.handlers[0]));
    assert!(
        overdue.custody.starts_with("期限超過："),
        "{}",
        overdue.custody
    );
    assert!(overdue.custody.contains("取扱 明美"));

    // Alerts: the overdue card first (urgent), naming the resident's card; the audit due, for the facility.
    let alert = &view.alerts[0];
    assert_eq!(alert.severity, Severity::Urgent);
    assert_eq!(alert.severity_label, "至急");
    assert_eq!(alert.item, Some(overdue_card));
    assert!(
        alert.message.starts_with(&labels.item(overdue_card)),
        "{}",
        alert.message
    );
    assert!(alert.message.contains("返却予定"));
    assert!(view.alerts.iter().any(|a| a.message.contains("監査")));
    let severities: Vec<Severity> = view.alerts.iter().map(|a| a.severity).collect();
    let mut by_severity = severities.clone();
    by_severity.sort();
    assert_eq!(severities, by_severity);
    assert!(view.summary.contains("期限超過 1 件"), "{}", view.summary);
    assert!(view.discrepancies.is_empty());
    assert_eq!(
        view.discrepancies_empty_text,
        "記録の食い違いはありません。"
    );
}

#[test]
fn the_board_shows_discrepancies_and_training_due_with_their_subjects() {
    let mut w = world(2);
    // A card returned to the wrong locker, and a member of staff never trained.
    let card = w.facility.cards[0];
    let home = w.session.store().state().items[&card].item.home_locker;
    let other = *w
        .facility
        .card_lockers
        .iter()
        .find(|l| **l != home)
        .unwrap();
    w.session
        .record(EventBody::CheckedOut {
            item: card,
            from_locker: home,
            purpose: Purpose::MedicalVisit,
            due_at: w.session.now().plus_minutes(60),
            approval: None,
        })
        .unwrap();
    w.session
        .record(EventBody::Returned {
            item: card,
            to_locker: other,
            card_check: azukari_core::ledger::CardCheck::NotChecked,
        })
        .unwrap();
    let mut flow = SetupFlow::new();
    w.setup(
        &mut flow,
        SetupIntent::AddStaff {
            name: "未受講 次郎".into(),
            roles: vec![Role::Caregiver],
            shifts: vec![Shift::Day],
            trained_on: String::new(),
        },
    )
    .unwrap();

    let view = BoardFlow::new().view(&w.session);
    let labels = Labels::new(&w.session);
    assert_eq!(view.discrepancies.len(), 1);
    let discrepancy = &view.discrepancies[0];
    assert_eq!(discrepancy.item, Some(card));
    assert!(discrepancy.message.starts_with(&labels.item(card)));
    assert!(discrepancy.at.is_some());
    assert!(
        view.alerts
            .iter()
            .any(|a| a.message.starts_with("未受講 次郎") && a.staff.is_some())
    );
}

#[test]
fn the_board_narrows_to_a_resident_or_a_locker_and_refuses_unknown_ones() {
    let mut w = world_after_a_day();
    let mut board = BoardFlow::new();
    let resident = w.facility.residents[0];
    board
        .handle(&mut w.session, BoardIntent::ShowResident(resident))
        .unwrap();
    let view = board.view(&w.session);
    assert_eq!(view.filter, BoardFilter::Resident(resident));
    assert!(!view.held.items.is_empty());
    assert!(view.held.items.iter().all(|i| i.resident == resident));
    assert!(view.filter_label.ends_with("様の品目"));

    let safe = w.facility.pin_safe;
    board
        .handle(&mut w.session, BoardIntent::ShowLocker(safe))
        .unwrap();
    let view = board.view(&w.session);
    assert!(!view.held.items.is_empty());
    assert!(view.held.items.iter().all(|i| i.locker == Some(safe)));
    assert!(view.held.items.iter().all(|i| i.kind == "暗証番号封筒"));
    // Alerts still cover the whole facility.
    assert!(view.alerts.iter().any(|a| a.severity == Severity::Urgent));

    let before = w.session.store().head();
    assert!(matches!(
        board.handle(
            &mut w.session,
            BoardIntent::ShowResident(ResidentId::random())
        ),
        Err(FlowError::UnknownResident)
    ));
    let view = board.view(&w.session);
    assert_eq!(view.filter, BoardFilter::Locker(safe), "the filter is kept");
    assert_eq!(view.notice.unwrap().kind, NoticeKind::Error);
    assert!(matches!(
        board.handle(&mut w.session, BoardIntent::ShowLocker(LockerId::random())),
        Err(FlowError::UnknownLocker)
    ));
    assert_eq!(w.session.store().head(), before);

    board.handle(&mut w.session, BoardIntent::ShowAll).unwrap();
    let view = board.view(&w.session);
    assert!(view.notice.is_none());
    assert_eq!(view.filter_label, "すべての品目");
}

#[test]
fn the_board_lists_nothing_until_someone_signs_in() {
    let mut w = world_after_a_day();
    w.session.sign_out();
    let view = BoardFlow::new().view(&w.session);
    assert!(view.held.items.is_empty() && view.alerts.is_empty());
    assert_eq!(view.notice.unwrap().kind, NoticeKind::Error);
}

// -------------------------------------------------------------------------------------------------------------
// Locale

/// Every string literal in a value's `Debug` output.
fn strings(debug: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = debug.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut text = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some('r') => text.push('\r'),
                    Some('t') => text.push('\t'),
                    other => text.extend(other),
                },
                '"' => break,
                c => text.push(c),
            }
        }
        found.push(text);
    }
    found
}

/// The strings of a view that stayed the same across a locale switch, less the personal and facility data.
fn unchanged(ja: &str, en: &str, data: &BTreeSet<String>) -> Vec<String> {
    let ja = strings(ja);
    let en = strings(en);
    assert_eq!(ja.len(), en.len(), "the views differ in shape");
    ja.into_iter()
        .zip(en)
        .filter(|(j, e)| j == e && !data.contains(j))
        .map(|(j, _)| j)
        .collect()
}

#[test]
fn a_locale_switch_changes_every_string_on_both_screens() {
    let mut w = world_after_a_day();
    w.sign_in(w.facility.admin);
    let mut setup = SetupFlow::new();
    let _ = setup.handle(&mut w.session, admit("", "アイカワ", "2026-11-01"));
    let board = BoardFlow::new();

    let views = |session: &Session| -> (SetupView, BoardView) {
        (setup.view(session), board.view(session))
    };
    let (setup_ja, board_ja) = views(&w.session);
    w.session.locale = Locale::En;
    let (setup_en, board_en) = views(&w.session);
    assert_eq!(board_en.title, "Custody board");
    assert!(setup_en.notice.as_ref().unwrap().text.contains("Name"));

    // Names, rooms, locker names and the policy text are data, the same in every language.
    let mut data: BTreeSet<String> = BTreeSet::new();
    for r in &setup_ja.residents {
        data.extend([r.name.clone(), r.kana.clone(), r.room.clone()]);
    }
    for s in &setup_ja.staff {
        data.insert(s.name.clone());
    }
    for l in &setup_ja.lockers {
        data.extend([l.name.clone(), l.place.clone()]);
    }
    data.insert(setup_ja.policy_text.clone());
    for i in &board_ja.held.items {
        data.insert(i.resident_name.clone());
    }
    let stale = unchanged(&format!("{setup_ja:?}"), &format!("{setup_en:?}"), &data);
    assert!(stale.is_empty(), "setup strings not localized: {stale:?}");
    let stale = unchanged(&format!("{board_ja:?}"), &format!("{board_en:?}"), &data);
    assert!(stale.is_empty(), "board strings not localized: {stale:?}");
}

#[test]
fn a_card_registered_by_reading_it_takes_its_dates_and_identity_from_the_card() {
    use azukari_core::card::software::{SoftwareCard, SoftwareCardSpec};
    let mut w = world(1);
    let resident = w.facility.residents[0];
    let mut flow = SetupFlow::new();
    let mut form = item(
        resident,
        NewItemKind::MynaCard {
            auth: CardAuth::Pin,
        },
        w.facility.card_lockers[0],
    );
    form.card_expires_on = "2099-01-01".into();
    let card_expiry = NaiveDate::from_ymd_opt(2034, 5, 16).unwrap();
    let certificate_expiry = NaiveDate::from_ymd_opt(2029, 5, 16).unwrap();
    let mut card = SoftwareCard::new(SoftwareCardSpec::new(
        "AB1234567890123",
        card_expiry,
        certificate_expiry,
    ))
    .unwrap();
    flow.register_card_by_reading(&mut w.session, form, &mut card)
        .unwrap();
    let id = added_item(&flow);
    let record = &w.session.store().state().items[&id];
    assert_eq!(record.item.card_expires_on, Some(card_expiry));
    assert_eq!(record.item.certificate_expires_on, Some(certificate_expiry));
    let identity = w.session.store().open_card_identity(&record.item).unwrap();
    assert!(identity.is_some());

    // Reading is only for cards, and a failed read writes nothing.
    let head = w.session.store().head();
    let certificate = item(
        resident,
        NewItemKind::EligibilityCertificate,
        w.facility.cabinet,
    );
    let refused = flow.register_card_by_reading(&mut w.session, certificate, &mut card);
    assert!(matches!(
        refused,
        Err(FlowError::InvalidInput(
            "setup-problem-card-reader-needs-card"
        ))
    ));
    let lost = azukari_core::card::software::Misbehaviour::TagLostAfter(2);
    let mut flaky = SoftwareCard::new(SoftwareCardSpec::new(
        "AB1234567890123",
        card_expiry,
        certificate_expiry,
    ))
    .unwrap()
    .misbehaving(lost);
    let form = item(
        resident,
        NewItemKind::MynaCard {
            auth: CardAuth::Pin,
        },
        w.facility.card_lockers[0],
    );
    assert!(matches!(
        flow.register_card_by_reading(&mut w.session, form, &mut flaky),
        Err(FlowError::Card(_))
    ));
    assert_eq!(w.session.store().head(), head);
}

#[test]
fn demo_days_keep_the_card_left_out_out_and_a_double_take_out_names_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "days").unwrap();
    let facility = demo::seed(&mut t.store, 6).unwrap();
    for _ in 0..3 {
        demo::record_day(&mut t.store, &facility, &t.clock).unwrap();
    }
    // The card left out on the first day is not taken out again on the next ones.
    let now = t.store.now();
    assert!(
        t.store.state().discrepancies(now).is_empty(),
        "{:?}",
        t.store.state().discrepancies(now)
    );

    // A real double take-out (two offline devices): the alert says when it happened, so two are told apart.
    let out = t
        .store
        .state()
        .items
        .values()
        .find(|r| matches!(r.custody, azukari_core::custody::Custody::Out { .. }))
        .map(|r| (r.item.id, r.item.home_locker))
        .unwrap();
    t.store
        .append(
            Some(facility.handlers[1]),
            EventBody::CheckedOut {
                item: out.0,
                from_locker: out.1,
                purpose: Purpose::MedicalVisit,
                due_at: Timestamp(now.0 + 3_600_000),
                approval: None,
            },
        )
        .unwrap();
    let mut session = Session::new(t.store).unwrap();
    session.sign_in(facility.supervisor).unwrap();
    let view: BoardView = BoardFlow::new().view(&session);
    let double: Vec<_> = view
        .alerts
        .iter()
        .filter(|a| a.message.contains("二重"))
        .collect();
    assert_eq!(double.len(), 1);
    let at = double[0]
        .at
        .clone()
        .expect("the time of the double take-out");
    assert!(!at.is_empty());
}
