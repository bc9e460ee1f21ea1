//! The handover flow and the approval inbox, walked through their happy paths and their refusals. A refusal
//! shows a localized notice and writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::card::software::{Misbehaviour, SoftwareCard, SoftwareCardSpec};
use azukari_core::card::{CardError, CardIdentity, read_card, register_card};
use azukari_core::clock::Timestamp;
use azukari_core::custody::Discrepancy;
use azukari_core::custody::{Custody, RequestStatus};
use azukari_core::demo::{self, DemoFacility};
use azukari_core::flows::approval::{ApprovalInbox, ApprovalIntent};
use azukari_core::flows::handover::{HandoverFlow, HandoverIntent, HandoverStep, PurposeChoice};
use azukari_core::flows::{FlowError, NoticeKind, Session};
use azukari_core::i18n::Locale;
use azukari_core::ledger::{CardCheck, EventBody, ReleaseTo};
use azukari_core::model::{LockerId, StaffId};
use azukari_core::testing::TestStore;
use std::sync::Arc;
use tempfile::TempDir;

struct Facility {
    _dir: TempDir,
    clock: Arc<azukari_core::clock::ManualClock>,
    session: Session,
    f: DemoFacility,
}

fn facility() -> Facility {
    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "flows").unwrap();
    let f = demo::seed(&mut t.store, 4).unwrap();
    let clock = t.clock.clone();
    let session = Session::new(t.store).unwrap();
    Facility {
        _dir: dir,
        clock,
        session,
        f,
    }
}

impl Facility {
    fn at(&self, hour: u32, minute: u32) {
        let date = self.session.now().tokyo_date();
        self.clock
            .set(Timestamp::from_tokyo(date, hour, minute).unwrap());
    }

    fn as_staff(&mut self, staff: StaffId) {
        self.session.sign_in(staff).unwrap();
    }

    fn home(&self, item: azukari_core::model::ItemId) -> LockerId {
        self.session.store().state().items[&item].item.home_locker
    }

    fn head(&self) -> u64 {
        self.session.store().head().length
    }

    fn handle(&mut self, flow: &mut HandoverFlow, intent: HandoverIntent) -> Result<(), FlowError> {
        flow.handle(&mut self.session, intent)
    }
}

#[test]
fn a_designated_handler_takes_a_card_to_the_clinic_and_brings_it_back() {
    let mut w = facility();
    w.at(10, 0);
    w.as_staff(w.f.handlers[0]);
    let card = w.f.cards[0];
    let locker = w.home(card);
    let mut flow = HandoverFlow::new();
    assert_eq!(flow.view(&w.session).step, HandoverStep::ScanLocker);

    w.handle(&mut flow, HandoverIntent::ScanLocker { locker })
        .unwrap();
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::ChooseItem);
    let row = view
        .items
        .iter()
        .find(|r| r.item == card)
        .expect("the card is listed");
    assert_eq!(row.label, "佐藤 ハナ様のマイナ保険証");
    assert_eq!(row.action, "持ち出す");

    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    assert_eq!(
        flow.view(&w.session).purposes.len(),
        PurposeChoice::ALL.len()
    );
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    )
    .unwrap();
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::ReadyToCheckOut);
    assert_eq!(view.decision.unwrap().headline, "持ち出せます。");
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    assert_eq!(flow.view(&w.session).step, HandoverStep::CheckedOut);
    let custody = &w.session.store().state().items[&card].custody;
    assert!(matches!(custody, Custody::Out { holder, .. } if *holder == w.f.handlers[0]));

    w.at(11, 30);
    let mut back = HandoverFlow::new();
    w.handle(&mut back, HandoverIntent::ScanLocker { locker })
        .unwrap();
    let row = back
        .view(&w.session)
        .items
        .into_iter()
        .find(|r| r.item == card)
        .unwrap();
    assert_eq!(row.action, "返却する");
    w.handle(&mut back, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    let view = back.view(&w.session);
    assert_eq!(view.step, HandoverStep::CardCheck);
    assert!(view.card_check.unwrap().contains("未確認"));
    w.handle(&mut back, HandoverIntent::Confirm).unwrap();
    assert_eq!(back.view(&w.session).step, HandoverStep::Returned);
    assert!(matches!(
        w.session.store().state().items[&card].custody,
        Custody::InLocker { .. }
    ));
}

#[test]
fn a_night_checkout_waits_for_a_supervisor_and_the_approval_is_used_once() {
    let mut w = facility();
    w.at(22, 15);
    let card = w.f.cards[1];
    let locker = w.home(card);
    w.as_staff(w.f.handlers[1]);
    let mut flow = HandoverFlow::new();
    w.handle(&mut flow, HandoverIntent::ScanLocker { locker })
        .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    )
    .unwrap();
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::NeedsApproval);
    let decision = view.decision.unwrap();
    assert!(
        decision
            .reasons
            .iter()
            .any(|r| r.rule == "night-needs-approval" && r.text.contains("夜間"))
    );
    // Confirming without approval is out of order and writes nothing.
    let head = w.head();
    assert!(matches!(
        w.handle(&mut flow, HandoverIntent::Confirm),
        Err(FlowError::OutOfOrder)
    ));
    assert_eq!(w.head(), head);

    w.handle(&mut flow, HandoverIntent::RequestApproval)
        .unwrap();
    assert_eq!(flow.view(&w.session).step, HandoverStep::WaitingForApproval);
    assert!(matches!(
        w.handle(&mut flow, HandoverIntent::CheckApproval),
        Err(FlowError::StillWaiting)
    ));

    // The supervisor sees who, what, why and the rule that asked, and approves.
    w.as_staff(w.f.supervisor);
    let mut inbox = ApprovalInbox::new();
    let view = inbox.view(&w.session);
    assert_eq!(view.summary, "承認待ち 1 件");
    let row = &view.requests[0];
    assert_eq!(row.requester, "夜勤 健太");
    assert!(row.item.contains("マイナ保険証"));
    assert_eq!(row.purpose, "受診");
    assert!(row.rules.iter().any(|r| r.rule == "night-needs-approval"));
    assert!(row.can_decide);
    let request = row.request;
    inbox
        .handle(&mut w.session, ApprovalIntent::Approve { request })
        .unwrap();
    assert_eq!(inbox.view(&w.session).requests.len(), 0);
    // Approving again is refused: the approval binds to one request and is given once.
    let head = w.head();
    assert!(matches!(
        inbox.handle(&mut w.session, ApprovalIntent::Approve { request }),
        Err(FlowError::NoPendingRequest)
    ));
    assert_eq!(w.head(), head);

    w.as_staff(w.f.handlers[1]);
    w.handle(&mut flow, HandoverIntent::CheckApproval).unwrap();
    assert_eq!(flow.view(&w.session).step, HandoverStep::ReadyToCheckOut);
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    assert_eq!(
        w.session.store().state().requests[&request].status,
        RequestStatus::Used
    );
    let custody = &w.session.store().state().items[&card].custody;
    assert!(matches!(custody, Custody::Out { approval: Some(r), .. } if *r == request));
}

#[test]
fn nobody_approves_their_own_request() {
    let mut w = facility();
    w.at(10, 0);
    // The supervisor is not a designated card handler: taking a card needs a (different) supervisor.
    w.as_staff(w.f.supervisor);
    let card = w.f.cards[2];
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    )
    .unwrap();
    let reasons = flow.view(&w.session).decision.unwrap().reasons;
    assert!(reasons.iter().any(|r| r.rule == "designated-handlers"));
    w.handle(&mut flow, HandoverIntent::RequestApproval)
        .unwrap();

    let mut inbox = ApprovalInbox::new();
    let row = inbox.view(&w.session).requests.remove(0);
    assert!(!row.can_decide);
    let head = w.head();
    let result = inbox.handle(
        &mut w.session,
        ApprovalIntent::Approve {
            request: row.request,
        },
    );
    assert!(matches!(result, Err(FlowError::SelfApproval)));
    assert_eq!(w.head(), head);
    let notice = inbox.view(&w.session).notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(notice.text.contains("自分の申請"));

    // The administrator (also a supervisor) can.
    w.as_staff(w.f.admin);
    inbox
        .handle(
            &mut w.session,
            ApprovalIntent::Approve {
                request: row.request,
            },
        )
        .unwrap();
}

#[test]
fn a_denied_request_tells_the_requester_and_a_denial_needs_a_reason() {
    let mut w = facility();
    w.at(23, 0);
    w.as_staff(w.f.handlers[1]);
    let card = w.f.cards[0];
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::HandToFamily,
            note: None,
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::RequestApproval)
        .unwrap();

    w.as_staff(w.f.supervisor);
    let mut inbox = ApprovalInbox::new();
    let request = inbox.view(&w.session).requests[0].request;
    let head = w.head();
    let empty = inbox.handle(
        &mut w.session,
        ApprovalIntent::Deny {
            request,
            reason: "  ".into(),
        },
    );
    assert!(matches!(empty, Err(FlowError::InvalidInput("reason"))));
    assert_eq!(w.head(), head);
    inbox
        .handle(
            &mut w.session,
            ApprovalIntent::Deny {
                request,
                reason: "明朝、日勤の担当者が対応します".into(),
            },
        )
        .unwrap();

    w.as_staff(w.f.handlers[1]);
    assert!(matches!(
        w.handle(&mut flow, HandoverIntent::CheckApproval),
        Err(FlowError::ApprovalDenied)
    ));
    assert!(matches!(
        w.session.store().state().items[&card].custody,
        Custody::InLocker { .. }
    ));
}

#[test]
fn refusals_show_a_localized_reason_and_write_nothing() {
    let mut w = facility();
    w.at(10, 0);
    w.as_staff(w.f.caregivers[0]);
    let mut flow = HandoverFlow::new();
    let head = w.head();

    // An unknown locker.
    assert!(matches!(
        w.handle(
            &mut flow,
            HandoverIntent::ScanLocker {
                locker: LockerId::random()
            }
        ),
        Err(FlowError::UnknownLocker)
    ));
    assert!(
        flow.view(&w.session)
            .notice
            .unwrap()
            .text
            .contains("保管庫")
    );
    // A step out of order.
    assert!(matches!(
        w.handle(&mut flow, HandoverIntent::Confirm),
        Err(FlowError::OutOfOrder)
    ));
    // A PIN envelope by someone who is not a PIN manager: denied with the rule's reason.
    let envelope = w.f.envelopes[0];
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.f.pin_safe,
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: envelope })
        .unwrap();
    let denied = w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    );
    let Err(FlowError::Denied(reasons)) = denied else {
        panic!("expected a denial")
    };
    assert!(reasons.iter().any(|r| r.rule == "pin-manager-only"));
    assert!(
        flow.view(&w.session)
            .notice
            .unwrap()
            .text
            .contains("暗証番号管理者")
    );
    // "Other" without an explanation.
    let card = w.f.cards[0];
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    let other = w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::Other,
            note: Some(" ".into()),
        },
    );
    assert!(matches!(other, Err(FlowError::InvalidInput("note"))));
    // Not signed in.
    w.session.sign_out();
    assert!(matches!(
        w.handle(&mut flow, HandoverIntent::Restart),
        Err(FlowError::NotSignedIn)
    ));
    assert_eq!(w.head(), head);
}

#[test]
fn an_item_is_returned_only_into_its_own_locker() {
    let mut w = facility();
    w.at(10, 0);
    w.as_staff(w.f.handlers[0]);
    let card = w.f.cards[0];
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    let other_locker =
        *w.f.card_lockers
            .iter()
            .find(|l| **l != w.home(card))
            .unwrap();
    let mut back = HandoverFlow::new();
    w.handle(
        &mut back,
        HandoverIntent::ScanLocker {
            locker: other_locker,
        },
    )
    .unwrap();
    let head = w.head();
    assert!(matches!(
        w.handle(&mut back, HandoverIntent::ChooseItem { item: card }),
        Err(FlowError::WrongLocker)
    ));
    assert_eq!(w.head(), head);
}

#[test]
fn an_item_is_handed_to_a_colleague_but_never_next_to_its_pin() {
    let mut w = facility();
    w.at(10, 0);
    let card = w.f.cards[0];
    let envelope = w.f.envelopes[0];
    // The PIN manager takes the envelope (approved by the supervisor) for a reissue.
    w.as_staff(w.f.pin_manager);
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.f.pin_safe,
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: envelope })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::Reissue,
            note: None,
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::RequestApproval)
        .unwrap();
    w.as_staff(w.f.supervisor);
    let mut inbox = ApprovalInbox::new();
    let request = inbox.view(&w.session).requests[0].request;
    inbox
        .handle(&mut w.session, ApprovalIntent::Approve { request })
        .unwrap();
    w.as_staff(w.f.pin_manager);
    w.handle(&mut flow, HandoverIntent::CheckApproval).unwrap();
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();

    // A handler takes the same resident's card.
    w.as_staff(w.f.handlers[0]);
    let mut taking = HandoverFlow::new();
    w.handle(
        &mut taking,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut taking, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut taking,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::Reissue,
            note: None,
        },
    )
    .unwrap();
    w.handle(&mut taking, HandoverIntent::Confirm).unwrap();

    // The handler may not hand the card to the PIN manager who holds the envelope…
    let head = w.head();
    let refused = w.handle(
        &mut taking,
        HandoverIntent::HandOver {
            item: card,
            to: w.f.pin_manager,
        },
    );
    let Err(FlowError::Denied(reasons)) = refused else {
        panic!("card and PIN must stay apart")
    };
    assert!(reasons.iter().any(|r| r.rule == "pin-apart-from-card"));
    assert_eq!(w.head(), head);
    // …but may hand it to another handler.
    w.handle(
        &mut taking,
        HandoverIntent::HandOver {
            item: card,
            to: w.f.handlers[1],
        },
    )
    .unwrap();
    assert_eq!(taking.view(&w.session).step, HandoverStep::HandedOver);
    assert!(
        matches!(w.session.store().state().items[&card].custody, Custody::Out { holder, .. } if holder == w.f.handlers[1])
    );
}

#[test]
fn after_a_revocation_the_card_cannot_go_out_but_can_be_released() {
    let mut w = facility();
    w.at(10, 0);
    let card = w.f.cards[1];
    let resident = w.session.store().state().items[&card].item.resident;
    let agreement = *w
        .session
        .store()
        .state()
        .agreements
        .iter()
        .find(|(_, a)| a.resident == resident)
        .unwrap()
        .0;
    w.as_staff(w.f.admin);
    let now = w.session.now();
    w.session
        .record(EventBody::AgreementRevoked {
            agreement,
            revoked_at: now,
        })
        .unwrap();
    w.clock.advance_minutes(1);

    w.as_staff(w.f.handlers[0]);
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    let refused = w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    );
    let Err(FlowError::Denied(reasons)) = refused else {
        panic!("a revoked agreement ends custody")
    };
    assert!(reasons.iter().any(|r| r.rule == "agreement-revoked"));
    w.handle(
        &mut flow,
        HandoverIntent::Release {
            item: card,
            to: ReleaseTo::Family,
        },
    )
    .unwrap();
    assert_eq!(flow.view(&w.session).step, HandoverStep::Released);
    assert!(matches!(
        w.session.store().state().items[&card].custody,
        Custody::Released {
            to: ReleaseTo::Family,
            ..
        }
    ));
}

#[test]
fn emergency_transport_at_night_is_allowed_with_a_warning() {
    let mut w = facility();
    // 02:30 the next night (the agreements were signed at 09:00 today).
    w.clock.advance_minutes(24 * 60);
    w.at(2, 30);
    w.as_staff(w.f.handlers[1]);
    let card = w.f.cards[3];
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::EmergencyTransport,
            note: None,
        },
    )
    .unwrap();
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::ReadyToCheckOut);
    let notice = view.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::Warning);
    assert!(notice.text.contains("救急搬送"));
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
}

#[test]
fn switching_the_locale_changes_every_string() {
    let mut w = facility();
    w.at(10, 0);
    w.as_staff(w.f.handlers[0]);
    let card = w.f.cards[0];
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: w.home(card),
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    let ja = flow.view(&w.session);
    w.session.locale = Locale::En;
    let en = flow.view(&w.session);
    assert_ne!(ja.title, en.title);
    assert_ne!(ja.instruction, en.instruction);
    assert_eq!(en.title, "Take out / return");
    for (a, b) in ja.purposes.iter().zip(&en.purposes) {
        assert_ne!(a.label, b.label);
    }
    assert!(en.item.unwrap().ends_with("My Number insurance card"));
}

// The return step's card identity check, with software cards.

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn software_card(serial: &str) -> SoftwareCard {
    SoftwareCard::new(SoftwareCardSpec::new(
        serial,
        date(2034, 5, 16),
        date(2029, 5, 16),
    ))
    .unwrap()
}

impl Facility {
    /// Register `card` as the card of `item`, as the administrator does in setup.
    fn register(&mut self, item: azukari_core::model::ItemId, card: &mut SoftwareCard) {
        let reading = read_card(card).unwrap();
        let mut record = self.session.store().state().items[&item].item.clone();
        register_card(self.session.store_mut(), &mut record, reading).unwrap();
        self.as_staff(self.f.admin);
        self.session
            .record(EventBody::ItemUpdated { item: record })
            .unwrap();
    }

    /// Take `item` to the clinic as the first handler and come back to its locker: the return's card check.
    fn out_and_back(&mut self, item: azukari_core::model::ItemId) -> HandoverFlow {
        self.at(10, 0);
        self.as_staff(self.f.handlers[0]);
        let locker = self.home(item);
        let mut flow = HandoverFlow::new();
        self.handle(&mut flow, HandoverIntent::ScanLocker { locker })
            .unwrap();
        self.handle(&mut flow, HandoverIntent::ChooseItem { item })
            .unwrap();
        self.handle(
            &mut flow,
            HandoverIntent::ChoosePurpose {
                purpose: PurposeChoice::MedicalVisit,
                note: None,
            },
        )
        .unwrap();
        self.handle(&mut flow, HandoverIntent::Confirm).unwrap();
        self.at(11, 30);
        let mut back = HandoverFlow::new();
        self.handle(&mut back, HandoverIntent::ScanLocker { locker })
            .unwrap();
        self.handle(&mut back, HandoverIntent::ChooseItem { item })
            .unwrap();
        assert_eq!(back.view(&self.session).step, HandoverStep::CardCheck);
        back
    }

    fn tap(&mut self, flow: &mut HandoverFlow, card: &mut SoftwareCard) -> Result<(), FlowError> {
        flow.tap_card(&mut self.session, card)
    }

    fn last_event(&self) -> EventBody {
        let events = self.session.store().events().unwrap();
        events.last().unwrap().decode().unwrap().body
    }

    fn is_out(&self, item: azukari_core::model::ItemId) -> bool {
        matches!(
            self.session.store().state().items[&item].custody,
            Custody::Out { holder, .. } if holder == self.f.handlers[0]
        )
    }
}

#[test]
fn a_card_that_matches_its_registration_is_returned_as_matched() {
    let mut w = facility();
    let item = w.f.cards[0];
    let mut card = software_card("AB1234567890123");
    w.register(item, &mut card);
    let mut flow = w.out_and_back(item);
    let head = w.head();

    w.tap(&mut flow, &mut card).unwrap();
    // A matching card writes nothing until the return is confirmed.
    assert_eq!(w.head(), head);
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::CardCheck);
    assert!(view.card_check.unwrap().contains("一致しました"));
    assert!(view.notice.is_none());
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    assert_eq!(flow.view(&w.session).step, HandoverStep::Returned);
    assert!(matches!(
        w.last_event(),
        EventBody::Returned {
            item: i,
            card_check: CardCheck::Matched,
            ..
        } if i == item
    ));
}

#[test]
fn a_renewed_certificate_matches_and_updates_the_items_dates() {
    let mut w = facility();
    let item = w.f.cards[1];
    let mut card = software_card("AB1234567890123");
    w.register(item, &mut card);
    assert_eq!(
        w.session.store().state().items[&item]
            .item
            .certificate_expires_on,
        Some(date(2029, 5, 16))
    );
    // Renewed at the city office while in custody: same card, new certificate.
    card.renew_certificate(date(2034, 5, 16)).unwrap();
    let mut flow = w.out_and_back(item);
    let head = w.head();

    w.tap(&mut flow, &mut card).unwrap();
    assert_eq!(w.head().saturating_sub(head), 1);
    let EventBody::ItemUpdated { item: updated } = w.last_event() else {
        panic!("the renewal is recorded")
    };
    assert_eq!(updated.id, item);
    assert_eq!(updated.certificate_expires_on, Some(date(2034, 5, 16)));
    let record = &w.session.store().state().items[&item].item;
    assert_eq!(record.certificate_expires_on, Some(date(2034, 5, 16)));
    // The item now remembers the new certificate.
    let tapped = CardIdentity::from_reading(w.session.store(), read_card(&mut card).unwrap());
    assert_eq!(
        w.session.store().open_card_identity(record).unwrap(),
        Some(tapped)
    );
    let view = flow.view(&w.session);
    assert!(view.card_check.unwrap().contains("電子証明書が更新"));

    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    assert!(matches!(
        w.last_event(),
        EventBody::Returned {
            card_check: CardCheck::MatchedWithNewCertificate,
            ..
        }
    ));
}

#[test]
fn another_residents_card_refuses_the_return_and_raises_a_discrepancy() {
    let mut w = facility();
    let item = w.f.cards[0];
    let mut card = software_card("AB1234567890123");
    let mut wrong = software_card("CD9876543210987");
    w.register(item, &mut card);
    let mut flow = w.out_and_back(item);
    let head = w.head();

    let refused = w.tap(&mut flow, &mut wrong);
    assert!(matches!(refused, Err(FlowError::CardMismatch)));
    // Only the mismatch is recorded: the item is still out with the handler.
    assert_eq!(w.head().saturating_sub(head), 1);
    assert!(matches!(w.last_event(), EventBody::CardMismatch { item: i } if i == item));
    assert!(w.is_out(item));
    assert!(
        w.session
            .store()
            .state()
            .recorded_discrepancies
            .iter()
            .any(|d| matches!(d, Discrepancy::CardMismatch { item: i, .. } if *i == item))
    );
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::CardCheck);
    let notice = view.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(notice.text.contains("登録されたカードと違います"));

    // Confirming without a card does not get around the refusal, in this flow or a new one.
    let head = w.head();
    assert!(matches!(
        w.handle(&mut flow, HandoverIntent::Confirm),
        Err(FlowError::CardMismatch)
    ));
    let mut again = HandoverFlow::new();
    let locker = w.home(item);
    w.handle(&mut again, HandoverIntent::ScanLocker { locker })
        .unwrap();
    w.handle(&mut again, HandoverIntent::ChooseItem { item })
        .unwrap();
    assert!(matches!(
        w.handle(&mut again, HandoverIntent::Confirm),
        Err(FlowError::CardMismatch)
    ));
    assert_eq!(w.head(), head);
    assert!(w.is_out(item));

    // The right card returns it.
    w.tap(&mut flow, &mut card).unwrap();
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    assert!(matches!(
        w.session.store().state().items[&item].custody,
        Custody::InLocker { .. }
    ));
}

#[test]
fn a_card_that_moves_away_mid_read_leaves_the_step_as_it_was() {
    let mut w = facility();
    let item = w.f.cards[0];
    let mut card = software_card("AB1234567890123");
    w.register(item, &mut card);
    let mut flow = w.out_and_back(item);
    let head = w.head();

    card.misbehave(Misbehaviour::TagLostAfter(card.sent().len() + 6));
    let lost = w.tap(&mut flow, &mut card);
    let Err(FlowError::Card(error)) = lost else {
        panic!("a lost tag is a card error")
    };
    assert_eq!(error, CardError::TagLost);
    assert!(error.is_retryable());
    assert_eq!(w.head(), head);
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::CardCheck);
    assert!(view.card_check.unwrap().contains("未確認"));
    assert!(view.notice.unwrap().text.contains("もう一度"));

    card.behave();
    w.tap(&mut flow, &mut card).unwrap();
    assert!(flow.view(&w.session).notice.is_none());
    assert!(
        flow.view(&w.session)
            .card_check
            .unwrap()
            .contains("一致しました")
    );
}

#[test]
fn a_card_cannot_be_checked_when_none_is_registered_or_out_of_step() {
    let mut w = facility();
    let item = w.f.cards[0];
    let mut card = software_card("AB1234567890123");
    w.at(10, 0);
    w.as_staff(w.f.handlers[0]);
    // Not on the return step.
    let mut idle = HandoverFlow::new();
    assert!(matches!(
        w.tap(&mut idle, &mut card),
        Err(FlowError::OutOfOrder)
    ));
    assert!(card.sent().is_empty());

    let mut flow = w.out_and_back(item);
    let head = w.head();
    assert!(matches!(
        w.tap(&mut flow, &mut card),
        Err(FlowError::CardNotRegistered)
    ));
    assert_eq!(w.head(), head);
    assert!(
        flow.view(&w.session)
            .notice
            .is_some_and(|n| n.text.contains("カードが登録されていない"))
    );
    assert_eq!(
        FlowError::CardNotRegistered.message(Locale::En),
        "No card is registered for this item, so it cannot be compared. Register the card in setup."
    );
}

#[test]
fn a_caregiver_opens_a_locker_by_scanning_its_printed_label() {
    let mut w = facility();
    w.at(10, 0);
    let card = w.f.cards[0];
    let locker = w.home(card);
    let admin = w.f.admin;
    let labels = azukari_core::qr::issue_sheet(
        w.session.store_mut(),
        Some(admin),
        &[locker],
        "azukari.example.jp",
    )
    .unwrap();
    w.as_staff(w.f.handlers[0]);
    let mut flow = HandoverFlow::new();
    w.handle(
        &mut flow,
        HandoverIntent::ScanLabel {
            text: labels[0].url.clone(),
        },
    )
    .unwrap();
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::ChooseItem);
    assert_eq!(view.locker.as_deref(), Some(labels[0].locker_name.as_str()));
    assert!(view.items.iter().any(|row| row.item == card));

    // From here the handover goes on as after any scan.
    w.handle(&mut flow, HandoverIntent::ChooseItem { item: card })
        .unwrap();
    w.handle(
        &mut flow,
        HandoverIntent::ChoosePurpose {
            purpose: PurposeChoice::MedicalVisit,
            note: None,
        },
    )
    .unwrap();
    w.handle(&mut flow, HandoverIntent::Confirm).unwrap();
    assert_eq!(flow.view(&w.session).step, HandoverStep::CheckedOut);
    assert!(matches!(
        w.session.store().state().items[&card].custody,
        Custody::Out { holder, .. } if holder == w.f.handlers[0]
    ));
}

#[test]
fn a_tampered_label_is_refused_with_a_localized_notice_and_writes_nothing() {
    let mut w = facility();
    w.at(10, 0);
    let locker = w.home(w.f.cards[0]);
    let admin = w.f.admin;
    let genuine = azukari_core::qr::issue_label(w.session.store_mut(), Some(admin), locker)
        .unwrap()
        .url("azukari.example.jp");
    // One character of the locker id, changed: the label now names other bytes than the facility signed.
    let position = genuine.find("/l/").unwrap() + 3 + 30;
    let mut tampered = genuine.clone().into_bytes();
    tampered[position] = if tampered[position] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let tampered = String::from_utf8(tampered).unwrap();

    w.as_staff(w.f.handlers[0]);
    let head = w.head();
    let mut flow = HandoverFlow::new();
    let error = w
        .handle(&mut flow, HandoverIntent::ScanLabel { text: tampered })
        .unwrap_err();
    assert!(matches!(
        error,
        FlowError::Label(azukari_core::qr::QrError::Tampered)
    ));
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::ScanLocker);
    assert_eq!(view.locker, None);
    let notice = view.notice.unwrap();
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(notice.text.contains("署名"), "{}", notice.text);
    assert!(error.message(Locale::En).contains("signature"));
    assert_eq!(w.head(), head, "nothing was written");

    // The genuine label still opens the locker, and the notice is gone.
    w.handle(&mut flow, HandoverIntent::ScanLabel { text: genuine })
        .unwrap();
    let view = flow.view(&w.session);
    assert_eq!(view.step, HandoverStep::ChooseItem);
    assert_eq!(view.notice, None);
    assert_eq!(w.head(), head);
}

#[test]
fn a_refusal_notice_follows_a_locale_switch() {
    let mut w = facility();
    w.at(10, 0);
    w.as_staff(w.f.handlers[0]);
    let mut flow = HandoverFlow::new();
    let unknown = w.handle(
        &mut flow,
        HandoverIntent::ScanLocker {
            locker: LockerId::random(),
        },
    );
    assert!(matches!(unknown, Err(FlowError::UnknownLocker)));
    let ja = flow.view(&w.session).notice.unwrap().text;
    w.session.locale = Locale::En;
    let en = flow.view(&w.session).notice.unwrap().text;
    assert!(ja.contains("保管庫"), "{ja}");
    assert!(en.contains("locker"), "{en}");

    let mut inbox = ApprovalInbox::new();
    let missing = inbox.handle(
        &mut w.session,
        ApprovalIntent::Approve {
            request: azukari_core::model::RequestId::random(),
        },
    );
    assert!(missing.is_err());
    let en = inbox.view(&w.session).notice.unwrap().text;
    w.session.locale = Locale::Ja;
    let ja = inbox.view(&w.session).notice.unwrap().text;
    assert_ne!(en, ja);
}
