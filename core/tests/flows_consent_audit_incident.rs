//! The consent, audit and incident flows, each walked through its happy path and its refusals: a refusal shows a
//! clear localized notice and writes nothing; a locale switch changes every string.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::ManualClock;
use azukari_core::custody::Custody;
use azukari_core::demo::{self, DemoFacility};
use azukari_core::flows::audit::{AuditFlow, AuditIntent, AuditStep};
use azukari_core::flows::consent::{
    ConsentAction, ConsentChannel, ConsentFlow, ConsentIntent, ConsentOffer, ConsentStep,
};
use azukari_core::flows::incident::{
    IncidentAction, IncidentFlow, IncidentFlowStep, IncidentIntent, StepState,
};
use azukari_core::flows::{FlowError, Notice, NoticeKind, Session};
use azukari_core::i18n::{Locale, catalog};
use azukari_core::ledger::{AuditFinding, EventBody, IncidentKind, IncidentStep, LogHead};
use azukari_core::model::{
    AgreementMethod, ItemCategory, ItemId, LockerId, ResidentId, Role, Shift, Signatory, StaffId,
};
use azukari_core::store::Field;
use azukari_core::testing::TestStore;
use std::collections::BTreeSet;
use std::sync::Arc;
use tempfile::TempDir;

struct Facility {
    _dir: TempDir,
    session: Session,
    demo: DemoFacility,
    clock: Arc<ManualClock>,
}

/// A demo facility of four residents seeded at 09:00, with the administrator (also a supervisor) signed in at
/// 09:10.
fn facility() -> Facility {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "flows").unwrap();
    let demo = demo::seed(&mut t.store, 4).unwrap();
    let clock = t.clock.clone();
    clock.advance_minutes(10);
    let mut session = Session::new(t.store).unwrap();
    session.sign_in(demo.admin).unwrap();
    Facility {
        _dir: dir,
        session,
        demo,
        clock,
    }
}

impl Facility {
    fn head(&self) -> LogHead {
        self.session.store().head()
    }

    fn as_staff(&mut self, staff: StaffId) {
        self.session.sign_in(staff).unwrap();
    }

    /// A member of staff whose compliance training is missing.
    fn untrained_staff(&mut self) -> StaffId {
        let store = self.session.store_mut();
        let staff = store
            .new_staff("新人 未研修", &[Role::Supervisor], &[Shift::Day], None)
            .unwrap();
        let id = staff.id;
        store
            .append(Some(self.demo.admin), EventBody::StaffAdded { staff })
            .unwrap();
        id
    }

    fn locker_of(&self, item: ItemId) -> LockerId {
        match self.session.store().state().items[&item].custody {
            Custody::InLocker { locker, .. } => locker,
            ref other => panic!("not in a locker: {other:?}"),
        }
    }

    /// Items the ledger places in `locker`.
    fn in_locker(&self, locker: LockerId) -> BTreeSet<ItemId> {
        self.session
            .store()
            .state()
            .items
            .iter()
            .filter(
                |(_, r)| matches!(r.custody, Custody::InLocker { locker: l, .. } if l == locker),
            )
            .map(|(id, _)| *id)
            .collect()
    }
}

fn text(locale: Locale, id: &str) -> String {
    catalog(locale).text(id)
}

/// Both present and different, or both absent.
fn assert_translated(ja: &Option<String>, en: &Option<String>) {
    assert_eq!(ja.is_some(), en.is_some());
    if ja.is_some() {
        assert_ne!(ja, en);
    }
}

fn error_notice(notice: &Option<Notice>) -> &str {
    let notice = notice.as_ref().expect("a notice");
    assert_eq!(notice.kind, NoticeKind::Error);
    &notice.text
}

// ---------------------------------------------------------------------------------------------------------------
// Consent
// ---------------------------------------------------------------------------------------------------------------

fn confirm(name: &str, relation: &str, channel: ConsentChannel) -> ConsentIntent {
    ConsentIntent::ConfirmCustody {
        signatory: Signatory::FamilyWithConsent,
        signatory_name: name.to_string(),
        relation: relation.to_string(),
        channel,
    }
}

/// The agreements of `resident`, newest last.
fn agreements_of(
    session: &Session,
    resident: ResidentId,
) -> Vec<azukari_core::model::CustodyAgreement> {
    let mut found: Vec<_> = session
        .store()
        .state()
        .agreements
        .values()
        .filter(|a| a.resident == resident)
        .cloned()
        .collect();
    found.sort_by_key(|a| a.signed_at);
    found
}

#[test]
fn consent_first_explains_the_face_auth_card_and_the_eligibility_certificate() {
    let f = facility();
    let resident = f.demo.residents[0];
    let flow = ConsentFlow::new(resident);
    let view = flow.view(&f.session);

    assert_eq!(view.step, ConsentStep::Alternatives);
    assert_eq!(view.title, "預かりの同意");
    assert_eq!(view.resident, "佐藤 ハナ");
    let headings: Vec<&str> = view
        .alternatives
        .iter()
        .map(|a| a.heading.as_str())
        .collect();
    assert_eq!(headings, ["顔認証マイナンバーカード", "資格確認書"]);
    assert!(view.alternatives[0].body.contains("暗証番号がない"));
    assert!(view.alternatives[1].body.contains("社会福祉施設"));
    // The exact text of the resident's agreement, opened from its seal.
    assert_eq!(view.agreement_text, demo::AGREEMENT_TEXT);
    assert_eq!(view.agreements.len(), 1);
    assert_eq!(view.agreements[0].text, demo::AGREEMENT_TEXT);
    assert!(view.agreements[0].active);
    assert!(view.agreements[0].signed.contains("書面"));
    // The PIN envelope cannot be chosen yet; the only way on is to acknowledge.
    assert!(!view.pin_envelope.available);
    let actions: Vec<ConsentAction> = view.buttons.iter().map(|b| b.action).collect();
    assert_eq!(
        actions,
        [
            ConsentAction::AcknowledgeAlternatives,
            ConsentAction::Revoke
        ]
    );
    assert_eq!(
        view.card.as_deref(),
        Some("この方のカードには暗証番号があります。")
    );
    assert!(view.notice.is_none());
}

#[test]
fn a_family_member_confirms_custody_in_the_app_without_leaving_the_pin() {
    let mut f = facility();
    let resident = f.demo.residents[0];
    let mut flow = ConsentFlow::new(resident);
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    let view = flow.view(&f.session);
    assert_eq!(view.step, ConsentStep::Agreement);
    assert!(view.pin_envelope.available);
    assert!(!view.pin_envelope.confirmed);
    assert_eq!(view.covers, "マイナ保険証");

    let before = f.head();
    flow.handle(
        &mut f.session,
        confirm("佐藤 一郎", "長男", ConsentChannel::App),
    )
    .unwrap();
    assert_eq!(f.head().length, before.length + 1);

    let agreements = agreements_of(&f.session, resident);
    let new = agreements.last().unwrap();
    assert_eq!(new.method, AgreementMethod::App);
    assert_eq!(new.signatory, Signatory::FamilyWithConsent);
    assert!(!new.scope.pin_envelope, "the PIN scope was not confirmed");
    assert_eq!(
        new.scope.items,
        BTreeSet::from([ItemCategory::MynaCard]),
        "the items of the agreement shown"
    );
    let store = f.session.store();
    assert_eq!(
        *store
            .open_field(Field::AgreementText, new.id.as_bytes(), &new.text)
            .unwrap(),
        demo::AGREEMENT_TEXT
    );
    assert_eq!(
        *store
            .open_field(Field::SignatoryRelation, new.id.as_bytes(), &new.relation)
            .unwrap(),
        "長男"
    );

    let view = flow.view(&f.session);
    assert_eq!(view.step, ConsentStep::Recorded);
    assert_eq!(view.agreements.len(), 2);
    assert_eq!(
        view.agreements[0].signatory,
        "佐藤 一郎（長男・家族（本人の同意あり））"
    );
    assert!(view.agreements[0].signed.contains("アプリ"));
    assert!(view.notice.is_none());
}

#[test]
fn the_pin_envelope_scope_is_recorded_only_when_confirmed_separately() {
    let mut f = facility();
    let resident = f.demo.residents[1];
    let mut flow = ConsentFlow::new(resident);
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    flow.handle(&mut f.session, ConsentIntent::ConfirmPinEnvelope)
        .unwrap();
    let view = flow.view(&f.session);
    assert!(view.pin_envelope.confirmed);
    assert_eq!(view.pin_envelope.status, "暗証番号封筒の預かり：同意する");
    assert!(
        view.buttons
            .iter()
            .any(|b| b.action == ConsentAction::WithdrawPinEnvelope)
    );

    flow.handle(
        &mut f.session,
        ConsentIntent::ConfirmCustody {
            signatory: Signatory::Resident,
            signatory_name: "鈴木 ハナ".into(),
            relation: "本人".into(),
            channel: ConsentChannel::Web,
        },
    )
    .unwrap();
    let new = agreements_of(&f.session, resident).pop().unwrap();
    assert!(new.scope.pin_envelope);
    assert_eq!(new.method, AgreementMethod::Web);
    assert!(
        flow.view(&f.session).agreements[0]
            .covers
            .contains("暗証番号封筒")
    );
}

#[test]
fn a_withdrawn_pin_choice_is_not_recorded() {
    let mut f = facility();
    let resident = f.demo.residents[1];
    let mut flow = ConsentFlow::new(resident);
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    flow.handle(&mut f.session, ConsentIntent::ConfirmPinEnvelope)
        .unwrap();
    flow.handle(&mut f.session, ConsentIntent::WithdrawPinEnvelope)
        .unwrap();
    flow.handle(
        &mut f.session,
        confirm("鈴木 一郎", "長男", ConsentChannel::App),
    )
    .unwrap();
    assert!(
        !agreements_of(&f.session, resident)
            .pop()
            .unwrap()
            .scope
            .pin_envelope
    );
}

#[test]
fn a_new_text_can_be_offered_and_is_recorded_exactly() {
    let mut f = facility();
    let resident = f.demo.residents[2];
    let offer = ConsentOffer {
        text: "新しい預かり証の文面です。".into(),
        items: BTreeSet::from([
            ItemCategory::MynaCard,
            ItemCategory::EligibilityCertificate,
            ItemCategory::PinEnvelope,
        ]),
    };
    let mut flow = ConsentFlow::new(resident).with_offer(offer);
    let view = flow.view(&f.session);
    assert_eq!(view.agreement_text, "新しい預かり証の文面です。");
    assert_eq!(view.covers, "マイナ保険証、資格確認書");
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    flow.handle(
        &mut f.session,
        confirm("田中 次郎", "長男", ConsentChannel::Web),
    )
    .unwrap();
    let new = agreements_of(&f.session, resident).pop().unwrap();
    assert!(
        !new.scope.pin_envelope,
        "a PIN envelope in the offer's items is not a PIN consent"
    );
    assert_eq!(
        *f.session
            .store()
            .open_field(Field::AgreementText, new.id.as_bytes(), &new.text)
            .unwrap(),
        "新しい預かり証の文面です。"
    );
}

#[test]
fn the_pin_envelope_cannot_be_confirmed_before_the_alternatives_were_acknowledged() {
    let mut f = facility();
    let mut flow = ConsentFlow::new(f.demo.residents[0]);
    let before = f.head();
    let error = flow
        .handle(&mut f.session, ConsentIntent::ConfirmPinEnvelope)
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    let error = flow
        .handle(
            &mut f.session,
            confirm("佐藤 一郎", "長男", ConsentChannel::App),
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    assert_eq!(f.head(), before);
    let view = flow.view(&f.session);
    assert_eq!(view.step, ConsentStep::Alternatives);
    assert!(!view.pin_envelope.confirmed);
    assert_eq!(
        error_notice(&view.notice),
        text(Locale::Ja, "flow-error-out-of-order")
    );

    // A success clears the notice.
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    assert!(flow.view(&f.session).notice.is_none());
}

#[test]
fn consent_without_a_name_or_relation_is_refused_and_nothing_is_written() {
    let mut f = facility();
    let mut flow = ConsentFlow::new(f.demo.residents[0]);
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    let before = f.head();

    let error = flow
        .handle(&mut f.session, confirm("  ", "長男", ConsentChannel::App))
        .unwrap_err();
    assert!(matches!(error, FlowError::InvalidInput(_)));
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        "同意される方のお名前を入力してください。"
    );

    flow.handle(
        &mut f.session,
        confirm("佐藤 一郎", "", ConsentChannel::App),
    )
    .unwrap_err();
    assert!(error_notice(&flow.view(&f.session).notice).contains("ご関係"));
    assert_eq!(f.head(), before);
    assert_eq!(flow.view(&f.session).step, ConsentStep::Agreement);
}

#[test]
fn a_caregiver_cannot_record_consent_and_the_rule_says_why() {
    let mut f = facility();
    let caregiver = f.demo.caregivers[0];
    f.as_staff(caregiver);
    let mut flow = ConsentFlow::new(f.demo.residents[0]);
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    let before = f.head();
    let error = flow
        .handle(
            &mut f.session,
            confirm("佐藤 一郎", "長男", ConsentChannel::App),
        )
        .unwrap_err();
    let FlowError::Denied(reasons) = &error else {
        panic!("expected a denial, got {error:?}");
    };
    assert_eq!(reasons[0].rule, "agreements-by-admin-or-supervisor");
    flow.handle(&mut f.session, ConsentIntent::Revoke)
        .unwrap_err();
    assert_eq!(f.head(), before);
    assert!(
        error_notice(&flow.view(&f.session).notice)
            .contains("預かり合意を記録できるのは管理者または責任者です。")
    );
}

#[test]
fn revoking_ends_every_agreement_in_force_and_cannot_be_repeated() {
    let mut f = facility();
    let resident = f.demo.residents[0];
    let mut flow = ConsentFlow::new(resident);
    flow.handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap();
    flow.handle(
        &mut f.session,
        confirm("佐藤 一郎", "長男", ConsentChannel::App),
    )
    .unwrap();
    let before = f.head();
    flow.handle(&mut f.session, ConsentIntent::Revoke).unwrap();
    assert_eq!(
        f.head().length,
        before.length + 2,
        "both agreements revoked"
    );
    let now = f.session.now();
    assert!(
        agreements_of(&f.session, resident)
            .iter()
            .all(|a| !a.is_active_at(now))
    );
    let card = f.demo.cards[0];
    let record = &f.session.store().state().items[&card];
    assert!(!f.session.store().state().is_covered(&record.item, now));

    let view = flow.view(&f.session);
    assert_eq!(view.step, ConsentStep::Revoked);
    assert!(
        view.agreements
            .iter()
            .all(|a| a.status.starts_with("撤回済み"))
    );
    assert!(view.buttons.is_empty());

    let before = f.head();
    let error = flow
        .handle(&mut f.session, ConsentIntent::Revoke)
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    assert_eq!(f.head(), before);
}

#[test]
fn consent_for_an_unknown_resident_is_refused() {
    let mut f = facility();
    let mut flow = ConsentFlow::new(ResidentId::random());
    let before = f.head();
    let error = flow
        .handle(&mut f.session, ConsentIntent::AcknowledgeAlternatives)
        .unwrap_err();
    assert!(matches!(error, FlowError::UnknownResident));
    assert_eq!(f.head(), before);
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        text(Locale::Ja, "flow-error-unknown-resident")
    );
}

#[test]
fn switching_the_locale_changes_every_consent_string() {
    let mut f = facility();
    let mut flow = ConsentFlow::new(f.demo.residents[0]);
    flow.handle(&mut f.session, ConsentIntent::ConfirmPinEnvelope)
        .unwrap_err();
    let ja = flow.view(&f.session);
    f.session.locale = Locale::En;
    let en = flow.view(&f.session);

    assert_eq!(en.title, "Consent to custody");
    assert_ne!(ja.instruction, en.instruction);
    for (j, e) in ja.alternatives.iter().zip(&en.alternatives) {
        assert_ne!(j.heading, e.heading);
        assert_ne!(j.body, e.body);
    }
    assert_ne!(ja.pin_envelope.explanation, en.pin_envelope.explanation);
    assert_ne!(ja.pin_envelope.status, en.pin_envelope.status);
    assert_ne!(ja.covers, en.covers);
    assert_ne!(ja.card, en.card);
    for (j, e) in ja.buttons.iter().zip(&en.buttons) {
        assert_ne!(j.label, e.label);
    }
    for (j, e) in ja.signatories.iter().zip(&en.signatories) {
        assert_ne!(j.label, e.label);
    }
    let (ja_row, en_row) = (&ja.agreements[0], &en.agreements[0]);
    assert_ne!(ja_row.signatory, en_row.signatory);
    assert_ne!(ja_row.covers, en_row.covers);
    assert_ne!(ja_row.signed, en_row.signed);
    assert_ne!(ja_row.status, en_row.status);
    // The error keeps up with the switch.
    assert_eq!(
        error_notice(&en.notice),
        text(Locale::En, "flow-error-out-of-order")
    );
    // The agreement text is what was signed: it is never translated.
    assert_eq!(ja.agreement_text, en.agreement_text);
}

// ---------------------------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn an_audit_checks_every_locker_and_completes_with_a_summary_of_discrepancies() {
    let mut f = facility();
    f.as_staff(f.demo.supervisor);
    let mut flow = AuditFlow::new();
    assert_eq!(flow.view(&f.session).step, AuditStep::NotStarted);

    let before = f.head();
    flow.handle(&mut f.session, AuditIntent::Start).unwrap();
    assert_eq!(f.head().length, before.length + 1);
    let audit = flow.audit().unwrap();
    let view = flow.view(&f.session);
    assert_eq!(view.step, AuditStep::ScanLocker);
    let progress = view.progress.unwrap();
    assert_eq!((progress.checked, progress.expected), (0, 7));
    assert_eq!(progress.text, "7件中 0件を確認しました");
    assert_eq!(view.lockers.len(), 4);

    // Locker A: the first card is there, the third is missing; the second resident's card (home: locker B) is
    // found in A instead.
    let locker_a = f.demo.card_lockers[0];
    let (card_0, card_1, card_2) = (f.demo.cards[0], f.demo.cards[1], f.demo.cards[2]);
    assert_eq!(f.locker_of(card_0), locker_a);
    assert_eq!(f.locker_of(card_2), locker_a);
    flow.handle(&mut f.session, AuditIntent::ScanLocker { locker: locker_a })
        .unwrap();
    let view = flow.view(&f.session);
    assert_eq!(view.step, AuditStep::Locker);
    assert_eq!(view.locker.as_deref(), Some("保険証ロッカー A"));
    let listed: BTreeSet<ItemId> = view.expected.iter().map(|r| r.item).collect();
    assert_eq!(listed, f.in_locker(locker_a));
    assert!(view.expected.iter().all(|r| r.status == "未確認"));

    flow.handle(&mut f.session, AuditIntent::MarkFound { item: card_0 })
        .unwrap();
    flow.handle(&mut f.session, AuditIntent::MarkMissing { item: card_2 })
        .unwrap();
    flow.handle(&mut f.session, AuditIntent::MarkUnexpected { item: card_1 })
        .unwrap();
    let view = flow.view(&f.session);
    let row = |item| view.expected.iter().find(|r| r.item == item).unwrap();
    assert_eq!(row(card_0).finding, Some(AuditFinding::Found));
    assert_eq!(row(card_0).status, "あり");
    assert_eq!(row(card_2).status, "なし");
    assert_eq!(view.unexpected.len(), 1);
    assert_eq!(view.unexpected[0].item, card_1);
    assert_eq!(view.progress.as_ref().unwrap().checked, 3);

    // Every other expected item is found where the ledger says.
    for locker in [f.demo.card_lockers[1], f.demo.pin_safe, f.demo.cabinet] {
        flow.handle(&mut f.session, AuditIntent::ScanLocker { locker })
            .unwrap();
        for item in f.in_locker(locker) {
            if item != card_1 {
                flow.handle(&mut f.session, AuditIntent::MarkFound { item })
                    .unwrap();
            }
        }
    }
    let view = flow.view(&f.session);
    let progress = view.progress.unwrap();
    assert_eq!((progress.checked, progress.expected), (7, 7));
    assert!(view.completion_note.is_none());
    assert!(view.lockers.iter().all(|l| l.checked == l.expected));

    flow.handle(&mut f.session, AuditIntent::Complete).unwrap();
    let summary = f.session.store().state().audits[&audit]
        .summary
        .clone()
        .unwrap();
    assert_eq!(summary.expected, 7);
    assert_eq!(summary.found, 5);
    assert_eq!(summary.missing, vec![card_2]);
    assert_eq!(summary.unexpected, vec![card_1]);

    let view = flow.view(&f.session);
    assert_eq!(view.step, AuditStep::Completed);
    let shown = view.summary.unwrap();
    assert_eq!(
        shown.text,
        "記録上の品目 7件のうち、あり 5件・なし 1件、記録にない品目 1件"
    );
    assert_eq!(shown.missing, ["高橋 キヨ様のマイナ保険証"]);
    assert_eq!(shown.unexpected, ["鈴木 タロウ様のマイナ保険証"]);
    assert!(view.buttons.is_empty());
}

#[test]
fn unchecked_items_are_announced_and_then_counted_as_missing() {
    let mut f = facility();
    let mut flow = AuditFlow::new();
    flow.handle(&mut f.session, AuditIntent::Start).unwrap();
    let view = flow.view(&f.session);
    assert_eq!(
        view.completion_note.as_deref(),
        Some("未確認の品目が7件あります。このまま完了すると「なし」として記録されます。")
    );
    flow.handle(&mut f.session, AuditIntent::Complete).unwrap();
    let summary = f.session.store().state().audits[&flow.audit().unwrap()]
        .summary
        .clone()
        .unwrap();
    assert_eq!((summary.expected, summary.found), (7, 0));
    assert_eq!(summary.missing.len(), 7);
}

#[test]
fn an_unknown_locker_is_refused_and_nothing_is_written() {
    let mut f = facility();
    let mut flow = AuditFlow::new();
    flow.handle(&mut f.session, AuditIntent::Start).unwrap();
    let before = f.head();
    let error = flow
        .handle(
            &mut f.session,
            AuditIntent::ScanLocker {
                locker: LockerId::random(),
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::UnknownLocker));
    assert_eq!(f.head(), before);
    let view = flow.view(&f.session);
    assert_eq!(view.step, AuditStep::ScanLocker);
    assert_eq!(
        error_notice(&view.notice),
        text(Locale::Ja, "flow-error-unknown-locker")
    );
}

#[test]
fn an_audit_cannot_be_completed_before_it_was_started_nor_twice() {
    let mut f = facility();
    let mut flow = AuditFlow::new();
    let before = f.head();
    let error = flow
        .handle(&mut f.session, AuditIntent::Complete)
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    let error = flow
        .handle(
            &mut f.session,
            AuditIntent::ScanLocker {
                locker: f.demo.cabinet,
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    assert_eq!(f.head(), before);
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        text(Locale::Ja, "flow-error-out-of-order")
    );

    flow.handle(&mut f.session, AuditIntent::Start).unwrap();
    flow.handle(&mut f.session, AuditIntent::Complete).unwrap();
    let before = f.head();
    for intent in [AuditIntent::Complete, AuditIntent::Start] {
        let error = flow.handle(&mut f.session, intent).unwrap_err();
        assert!(matches!(error, FlowError::OutOfOrder));
    }
    assert_eq!(f.head(), before);
}

#[test]
fn items_are_marked_only_in_a_scanned_locker_where_the_ledger_expects_them() {
    let mut f = facility();
    let mut flow = AuditFlow::new();
    flow.handle(&mut f.session, AuditIntent::Start).unwrap();
    let card_0 = f.demo.cards[0];
    let before = f.head();

    // No locker scanned yet.
    let error = flow
        .handle(&mut f.session, AuditIntent::MarkFound { item: card_0 })
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));

    // In locker B, the first card (home: A) is not expected.
    flow.handle(
        &mut f.session,
        AuditIntent::ScanLocker {
            locker: f.demo.card_lockers[1],
        },
    )
    .unwrap();
    let error = flow
        .handle(&mut f.session, AuditIntent::MarkFound { item: card_0 })
        .unwrap_err();
    assert!(matches!(error, FlowError::UnknownItem));
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        text(Locale::Ja, "flow-error-unknown-item")
    );
    let error = flow
        .handle(
            &mut f.session,
            AuditIntent::MarkUnexpected {
                item: ItemId::random(),
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::UnknownItem));

    // An item expected here is marked found, not unexpected.
    let card_1 = f.demo.cards[1];
    let error = flow
        .handle(&mut f.session, AuditIntent::MarkUnexpected { item: card_1 })
        .unwrap_err();
    assert!(matches!(error, FlowError::InvalidInput(_)));
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        "この品目は記録上この保管庫にあります。一覧で「あり」を選んでください。"
    );
    assert_eq!(f.head(), before);
}

#[test]
fn a_caregiver_cannot_start_an_audit() {
    let mut f = facility();
    f.as_staff(f.demo.caregivers[0]);
    let mut flow = AuditFlow::new();
    let before = f.head();
    let error = flow.handle(&mut f.session, AuditIntent::Start).unwrap_err();
    let FlowError::Denied(reasons) = &error else {
        panic!("expected a denial, got {error:?}");
    };
    assert_eq!(reasons[0].rule, "audits-by-supervisor-or-auditor");
    assert_eq!(f.head(), before);
    let view = flow.view(&f.session);
    assert_eq!(view.step, AuditStep::NotStarted);
    assert!(error_notice(&view.notice).contains("監査（棚卸し）を始められるのは"));
}

#[test]
fn switching_the_locale_changes_every_audit_string() {
    let mut f = facility();
    let mut flow = AuditFlow::new();
    flow.handle(&mut f.session, AuditIntent::Start).unwrap();
    flow.handle(
        &mut f.session,
        AuditIntent::ScanLocker {
            locker: f.demo.card_lockers[0],
        },
    )
    .unwrap();
    flow.handle(
        &mut f.session,
        AuditIntent::MarkFound {
            item: f.demo.cards[0],
        },
    )
    .unwrap();
    flow.handle(
        &mut f.session,
        AuditIntent::MarkFound {
            item: ItemId::random(),
        },
    )
    .unwrap_err();
    let ja = flow.view(&f.session);
    f.session.locale = Locale::En;
    let en = flow.view(&f.session);

    assert_eq!(en.title, "Audit (stocktake)");
    assert_ne!(ja.instruction, en.instruction);
    assert_ne!(
        ja.progress.as_ref().unwrap().text,
        en.progress.as_ref().unwrap().text
    );
    assert_ne!(ja.completion_note, en.completion_note);
    for (j, e) in ja.expected.iter().zip(&en.expected) {
        assert_ne!(j.label, e.label);
        assert_ne!(j.status, e.status);
        for (jb, eb) in j.buttons.iter().zip(&e.buttons) {
            assert_ne!(jb.label, eb.label);
        }
    }
    for (j, e) in ja.lockers.iter().zip(&en.lockers) {
        assert_ne!(j.text, e.text);
    }
    for (j, e) in ja.buttons.iter().zip(&en.buttons) {
        assert_ne!(j.label, e.label);
    }
    assert_eq!(
        error_notice(&en.notice),
        text(Locale::En, "flow-error-unknown-item")
    );
    assert_eq!(
        en.completion_note.as_deref(),
        Some("6 items have not been checked; completing now records them as missing.")
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Incident
// ---------------------------------------------------------------------------------------------------------------

fn steps_of(flow: &IncidentFlow, session: &Session) -> Vec<(IncidentStep, StepState)> {
    flow.view(session)
        .checklist
        .iter()
        .map(|r| (r.step, r.state))
        .collect()
}

#[test]
fn a_card_lost_outside_is_handled_step_by_step_and_then_closed() {
    let mut f = facility();
    f.as_staff(f.demo.supervisor);
    let card = f.demo.cards[0];
    let mut flow = IncidentFlow::new();
    let view = flow.view(&f.session);
    assert_eq!(view.step, IncidentFlowStep::ChooseKind);
    assert_eq!(view.kinds.len(), 4);
    assert!(
        view.buttons
            .iter()
            .all(|b| b.action == IncidentAction::Open)
    );

    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::LostOutside,
            item: Some(card),
        },
    )
    .unwrap();
    let incident = flow.incident().unwrap();
    assert!(matches!(
        f.session.store().state().items[&card].custody,
        Custody::Lost { incident: i, .. } if i == incident
    ));

    let view = flow.view(&f.session);
    assert_eq!(view.step, IncidentFlowStep::Checklist);
    assert_eq!(view.kind.as_deref(), Some("施設の外で紛失"));
    assert_eq!(view.item.as_deref(), Some("佐藤 ハナ様のマイナ保険証"));
    assert_eq!(view.progress.as_deref(), Some("5件中 0件完了"));
    assert!(view.ppc.is_none());
    let call = &view.checklist[0];
    assert_eq!(call.step, IncidentStep::SuspensionCall);
    assert_eq!(call.state, StepState::Next);
    assert_eq!(call.deadline.as_deref(), Some("期限：ただちに"));
    let hotline = call.hotline.as_ref().unwrap();
    assert_eq!(hotline.phone, "0120-95-0178");
    assert_eq!(hotline.fax, "0120-601-785");
    assert!(hotline.text.contains("0120-95-0178") && hotline.text.contains("0120-601-785"));
    assert_eq!(view.buttons[0].label, "電話しました（時刻を記録）");
    assert_eq!(view.buttons[0].step, Some(IncidentStep::SuspensionCall));

    // The call, with its time.
    flow.handle(
        &mut f.session,
        IncidentIntent::CompleteStep {
            step: IncidentStep::SuspensionCall,
        },
    )
    .unwrap();
    let called_at = f.session.now();
    let view = flow.view(&f.session);
    assert_eq!(view.checklist[0].state, StepState::Done);
    let called = azukari_core::app::format::date_time(called_at, azukari_core::i18n::Locale::Ja);
    assert_eq!(view.checklist[0].status, format!("電話済み：{called}"));

    // The police report needs its 受理番号, which is sealed under the facility key.
    let police = &view.checklist[1];
    assert_eq!(police.step, IncidentStep::PoliceReport);
    assert_eq!(police.state, StepState::Next);
    assert!(police.reference_prompt.is_some());
    assert_eq!(view.buttons[0].action, IncidentAction::RecordPoliceReport);
    flow.handle(
        &mut f.session,
        IncidentIntent::RecordPoliceReport {
            receipt_number: " 第2026-123号 ".into(),
        },
    )
    .unwrap();
    let reference = f
        .session
        .store()
        .events()
        .unwrap()
        .iter()
        .filter_map(|e| match e.decode().unwrap().body {
            EventBody::IncidentStepDone {
                step: IncidentStep::PoliceReport,
                reference,
                ..
            } => reference,
            _ => None,
        })
        .next()
        .unwrap();
    assert_eq!(
        *f.session
            .store()
            .open_field(Field::IncidentReference, incident.as_bytes(), &reference)
            .unwrap(),
        "第2026-123号"
    );
    assert!(
        flow.view(&f.session).checklist[1]
            .status
            .contains("受理番号を記録済み")
    );

    for step in [
        IncidentStep::CityOfficeLossReport,
        IncidentStep::InterimCertificateApplied,
        IncidentStep::ReissueApplied,
    ] {
        assert_eq!(flow.view(&f.session).buttons[0].step, Some(step));
        flow.handle(&mut f.session, IncidentIntent::CompleteStep { step })
            .unwrap();
    }
    let view = flow.view(&f.session);
    assert!(view.checklist.iter().all(|r| r.state == StepState::Done));
    assert_eq!(view.progress.as_deref(), Some("5件中 5件完了"));
    assert_eq!(view.buttons[0].action, IncidentAction::Close);

    flow.handle(&mut f.session, IncidentIntent::Close).unwrap();
    assert!(
        f.session.store().state().incidents[&incident]
            .closed_at
            .is_some()
    );
    let view = flow.view(&f.session);
    assert_eq!(view.step, IncidentFlowStep::Closed);
    assert!(view.buttons.is_empty());
}

#[test]
fn a_card_lost_inside_needs_no_police_report() {
    let mut f = facility();
    let mut flow = IncidentFlow::new();
    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::LostInside,
            item: Some(f.demo.cards[1]),
        },
    )
    .unwrap();
    let steps: Vec<IncidentStep> = steps_of(&flow, &f.session)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert!(!steps.contains(&IncidentStep::PoliceReport));
    assert_eq!(steps[0], IncidentStep::SuspensionCall);
}

#[test]
fn steps_are_done_in_order_and_closing_waits_for_every_step() {
    let mut f = facility();
    let mut flow = IncidentFlow::new();
    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::Stolen,
            item: Some(f.demo.cards[0]),
        },
    )
    .unwrap();
    let before = f.head();

    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::CompleteStep {
                step: IncidentStep::CityOfficeLossReport,
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::CompleteStep {
                step: IncidentStep::PpcFinalReport,
            },
        )
        .unwrap_err();
    assert!(
        matches!(error, FlowError::OutOfOrder),
        "not a step of a theft"
    );
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::RecordPoliceReport {
                receipt_number: "123".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(error, FlowError::OutOfOrder),
        "the call comes first"
    );
    let error = flow
        .handle(&mut f.session, IncidentIntent::Close)
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder));
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::Open {
                kind: IncidentKind::Leak,
                item: None,
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::OutOfOrder), "already open");
    assert_eq!(f.head(), before);
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        text(Locale::Ja, "flow-error-out-of-order")
    );
    assert_eq!(
        steps_of(&flow, &f.session)[0],
        (IncidentStep::SuspensionCall, StepState::Next)
    );
    assert_eq!(
        steps_of(&flow, &f.session)[1],
        (IncidentStep::PoliceReport, StepState::Pending)
    );
}

#[test]
fn the_police_step_asks_for_the_receipt_number() {
    let mut f = facility();
    let mut flow = IncidentFlow::new();
    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::LostOutside,
            item: Some(f.demo.cards[0]),
        },
    )
    .unwrap();
    flow.handle(
        &mut f.session,
        IncidentIntent::CompleteStep {
            step: IncidentStep::SuspensionCall,
        },
    )
    .unwrap();
    let before = f.head();
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::CompleteStep {
                step: IncidentStep::PoliceReport,
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::InvalidInput(_)));
    for receipt_number in ["", "   ", &"9".repeat(65)] {
        flow.handle(
            &mut f.session,
            IncidentIntent::RecordPoliceReport {
                receipt_number: receipt_number.to_string(),
            },
        )
        .unwrap_err();
    }
    assert_eq!(f.head(), before);
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        "警察の受理番号を入力してください（64文字以内）。"
    );
}

#[test]
fn a_lost_card_must_be_named_known_and_not_already_lost() {
    let mut f = facility();
    let before = f.head();
    let mut flow = IncidentFlow::new();
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::Open {
                kind: IncidentKind::Stolen,
                item: None,
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::InvalidInput(_)));
    assert_eq!(
        error_notice(&flow.view(&f.session).notice),
        "紛失・盗難した品目を選んでください。"
    );
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::Open {
                kind: IncidentKind::LostInside,
                item: Some(ItemId::random()),
            },
        )
        .unwrap_err();
    assert!(matches!(error, FlowError::UnknownItem));
    assert_eq!(f.head(), before);

    let card = f.demo.cards[0];
    let open = IncidentIntent::Open {
        kind: IncidentKind::LostInside,
        item: Some(card),
    };
    IncidentFlow::new()
        .handle(&mut f.session, open.clone())
        .unwrap();
    let before = f.head();
    let mut again = IncidentFlow::new();
    again.handle(&mut f.session, open).unwrap_err();
    assert_eq!(f.head(), before);
    assert_eq!(
        error_notice(&again.view(&f.session).notice),
        "この品目はすでに紛失・盗難として対応中です。"
    );
}

#[test]
fn staff_without_current_training_cannot_open_an_incident() {
    let mut f = facility();
    let untrained = f.untrained_staff();
    f.as_staff(untrained);
    let before = f.head();
    let mut flow = IncidentFlow::new();
    let error = flow
        .handle(
            &mut f.session,
            IncidentIntent::Open {
                kind: IncidentKind::Leak,
                item: None,
            },
        )
        .unwrap_err();
    let FlowError::Denied(reasons) = &error else {
        panic!("expected a denial, got {error:?}");
    };
    assert_eq!(reasons[0].rule, "training-expired");
    assert_eq!(f.head(), before);
    assert!(error_notice(&flow.view(&f.session).notice).contains("研修"));
}

#[test]
fn a_leak_shows_the_ppc_report_deadlines() {
    let mut f = facility();
    let mut flow = IncidentFlow::new();
    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::Leak,
            item: None,
        },
    )
    .unwrap();
    let opened = f.session.now();
    let days = |n: i64| {
        azukari_core::app::format::date_time(
            opened.plus_minutes(n * 24 * 60),
            azukari_core::i18n::Locale::Ja,
        )
    };
    let view = flow.view(&f.session);
    assert_eq!(view.kind.as_deref(), Some("個人情報の漏えい"));
    let ppc = view.ppc.unwrap();
    assert_eq!(
        ppc.preliminary,
        format!("速報：{}まで（発覚から概ね3〜5日以内）", days(5))
    );
    assert_eq!(
        ppc.final_report,
        format!("確報：{}まで（30日以内）", days(30))
    );
    assert!(ppc.final_report_improper.contains(&days(60)));
    assert!(ppc.final_report_improper.contains("60日以内"));
    assert_eq!(
        steps_of(&flow, &f.session),
        [
            (IncidentStep::PpcPreliminaryReport, StepState::Next),
            (IncidentStep::PersonNotified, StepState::Pending),
            (IncidentStep::PpcFinalReport, StepState::Pending),
        ]
    );
    assert_eq!(
        view.checklist[0].deadline,
        Some(format!("期限：{}", days(5)))
    );
    assert!(!view.checklist[0].overdue);
}

#[test]
fn an_incident_resumed_later_shows_the_same_checklist_and_overdue_steps() {
    let mut f = facility();
    f.as_staff(f.demo.supervisor);
    let mut flow = IncidentFlow::new();
    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::Leak,
            item: None,
        },
    )
    .unwrap();
    flow.handle(
        &mut f.session,
        IncidentIntent::CompleteStep {
            step: IncidentStep::PpcPreliminaryReport,
        },
    )
    .unwrap();

    f.clock.advance_minutes(31 * 24 * 60);
    let resumed = IncidentFlow::resume(flow.incident().unwrap());
    let view = resumed.view(&f.session);
    assert_eq!(view.step, IncidentFlowStep::Checklist);
    assert_eq!(view.checklist[0].state, StepState::Done);
    assert_eq!(view.checklist[1].state, StepState::Next);
    let final_report = &view.checklist[2];
    assert_eq!(final_report.step, IncidentStep::PpcFinalReport);
    assert!(final_report.overdue);
    assert!(!view.checklist[0].overdue, "a done step is never overdue");
}

#[test]
fn switching_the_locale_changes_every_incident_string() {
    let mut f = facility();
    let mut flow = IncidentFlow::new();
    let ja = flow.view(&f.session);
    f.session.locale = Locale::En;
    let en = flow.view(&f.session);
    assert_ne!(ja.title, en.title);
    assert_ne!(ja.instruction, en.instruction);
    for (j, e) in ja.kinds.iter().zip(&en.kinds) {
        assert_ne!(j.label, e.label);
        assert_ne!(j.description, e.description);
    }
    for (j, e) in ja.buttons.iter().zip(&en.buttons) {
        assert_ne!(j.label, e.label);
    }

    f.session.locale = Locale::Ja;
    flow.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::LostOutside,
            item: Some(f.demo.cards[0]),
        },
    )
    .unwrap();
    flow.handle(
        &mut f.session,
        IncidentIntent::CompleteStep {
            step: IncidentStep::SuspensionCall,
        },
    )
    .unwrap();
    flow.handle(&mut f.session, IncidentIntent::Close)
        .unwrap_err();
    let ja = flow.view(&f.session);
    f.session.locale = Locale::En;
    let en = flow.view(&f.session);
    assert_eq!(en.title, "Lost or stolen card, data leak");
    assert_ne!(ja.instruction, en.instruction);
    assert_ne!(ja.kind, en.kind);
    assert_ne!(ja.item, en.item);
    assert_ne!(ja.opened, en.opened);
    assert_ne!(ja.progress, en.progress);
    for (j, e) in ja.checklist.iter().zip(&en.checklist) {
        assert_ne!(j.label, e.label);
        assert_ne!(j.status, e.status);
        assert_translated(&j.deadline, &e.deadline);
        assert_translated(&j.hint, &e.hint);
        assert_translated(&j.reference_prompt, &e.reference_prompt);
        if let (Some(jh), Some(eh)) = (&j.hotline, &e.hotline) {
            assert_ne!(jh.text, eh.text);
            assert_eq!(jh.phone, eh.phone);
        }
    }
    for (j, e) in ja.buttons.iter().zip(&en.buttons) {
        assert_ne!(j.label, e.label);
    }
    assert_eq!(
        error_notice(&en.notice),
        text(Locale::En, "flow-error-out-of-order")
    );

    // A leak's PPC deadlines too.
    let mut leak = IncidentFlow::new();
    leak.handle(
        &mut f.session,
        IncidentIntent::Open {
            kind: IncidentKind::Leak,
            item: None,
        },
    )
    .unwrap();
    let en_ppc = leak.view(&f.session).ppc.unwrap();
    f.session.locale = Locale::Ja;
    let ja_ppc = leak.view(&f.session).ppc.unwrap();
    assert_ne!(ja_ppc.preliminary, en_ppc.preliminary);
    assert_ne!(ja_ppc.final_report, en_ppc.final_report);
    assert_ne!(ja_ppc.final_report_improper, en_ppc.final_report_improper);
    assert_ne!(ja_ppc.note, en_ppc.note);
}
