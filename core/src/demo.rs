//! A demonstration facility: lockers, staff, residents with their cards, envelopes and certificates, agreements,
//! and a day of handovers. Used by the `facility_day` example (the README's main job until the hub exists), by
//! benchmarks and by tests. The names are invented.

use crate::clock::{Clock, ManualClock, Timestamp};
use crate::ledger::{CardCheck, EventBody};
use crate::model::{
    AgreementMethod, AgreementScope, CardAuth, Item, ItemCategory, ItemId, ItemKind, Locker,
    LockerId, LockerKind, MunicipalProcedure, Purpose, ResidentId, Role, Shift, Signatory, StaffId,
};
use crate::store::{AgreementDraft, Store, StoreError};
use chrono::{Days, NaiveDate};
use std::collections::BTreeSet;

const FAMILY_NAMES: [&str; 10] = [
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
];
const FAMILY_KANA: [&str; 10] = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
];
const GIVEN_NAMES: [&str; 10] = [
    "ハナ",
    "タロウ",
    "キヨ",
    "イサム",
    "フミ",
    "シゲル",
    "トメ",
    "マサオ",
    "ヨシ",
    "カズオ",
];

/// The exact agreement text the demo residents sign (a short form of a facility's 預かり証).
pub const AGREEMENT_TEXT: &str = "私は、施設が私のマイナ保険証および資格確認書を施錠された保管庫で預かり、受診・手続きのために\
職員が持ち出し、記録のうえ返却することに同意します。いつでもこの同意を撤回できます。";

/// The ids of what [`seed`] created.
#[derive(Debug, Clone)]
pub struct DemoFacility {
    /// Card lockers.
    pub card_lockers: Vec<LockerId>,
    /// The PIN safe (kept apart from the cards).
    pub pin_safe: LockerId,
    /// The document cabinet.
    pub cabinet: LockerId,
    /// The administrator.
    pub admin: StaffId,
    /// The supervisor.
    pub supervisor: StaffId,
    /// The PIN manager.
    pub pin_manager: StaffId,
    /// Designated card handlers.
    pub handlers: Vec<StaffId>,
    /// Caregivers.
    pub caregivers: Vec<StaffId>,
    /// Residents, in order.
    pub residents: Vec<ResidentId>,
    /// Each resident's マイナ保険証, same order.
    pub cards: Vec<ItemId>,
    /// PIN envelopes of the residents with a PIN card.
    pub envelopes: Vec<ItemId>,
    /// 資格確認書 of the residents who have one.
    pub certificates: Vec<ItemId>,
}

/// Seed a facility with `residents` residents into a freshly created store, at the clock's current time.
pub fn seed(store: &mut Store, residents: usize) -> Result<DemoFacility, StoreError> {
    let today = store.now().tokyo_date();
    let trained = today.checked_sub_days(Days::new(60));
    let admin = add_staff(
        store,
        None,
        "管理 一郎",
        &[Role::Admin, Role::Supervisor],
        &[Shift::Day],
        trained,
    )?;
    let supervisor = add_staff(
        store,
        Some(admin),
        "主任 花子",
        &[Role::Supervisor],
        &[Shift::Day],
        trained,
    )?;
    let pin_manager = add_staff(
        store,
        Some(admin),
        "金庫 守",
        &[Role::PinManager, Role::CardHandler],
        &[Shift::Day],
        trained,
    )?;
    let mut handlers = Vec::new();
    for (name, shift) in [("取扱 明美", Shift::Day), ("夜勤 健太", Shift::Night)] {
        handlers.push(add_staff(
            store,
            Some(admin),
            name,
            &[Role::CardHandler, Role::Caregiver],
            &[shift],
            trained,
        )?);
    }
    let mut caregivers = Vec::new();
    for name in ["介護 優子", "介護 翔"] {
        caregivers.push(add_staff(
            store,
            Some(admin),
            name,
            &[Role::Caregiver],
            &[Shift::Day, Shift::Night],
            trained,
        )?);
    }

    let mut card_lockers = Vec::new();
    for (name, place) in [
        ("保険証ロッカー A", "1F 事務室"),
        ("保険証ロッカー B", "2F ナースステーション"),
    ] {
        card_lockers.push(add_locker(
            store,
            admin,
            LockerKind::CardLocker,
            name,
            place,
        )?);
    }
    let pin_safe = add_locker(
        store,
        admin,
        LockerKind::PinSafe,
        "暗証番号金庫",
        "1F 施設長室",
    )?;
    let cabinet = add_locker(
        store,
        admin,
        LockerKind::DocumentCabinet,
        "書類キャビネット",
        "1F 事務室",
    )?;

    let mut demo = DemoFacility {
        card_lockers,
        pin_safe,
        cabinet,
        admin,
        supervisor,
        pin_manager,
        handlers,
        caregivers,
        residents: Vec::new(),
        cards: Vec::new(),
        envelopes: Vec::new(),
        certificates: Vec::new(),
    };
    for n in 0..residents {
        admit(store, &mut demo, n, today)?;
    }
    Ok(demo)
}

fn admit(
    store: &mut Store,
    demo: &mut DemoFacility,
    n: usize,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let family = n % FAMILY_NAMES.len();
    let given = (n / FAMILY_NAMES.len() + n) % GIVEN_NAMES.len();
    let name = format!("{} {}", FAMILY_NAMES[family], GIVEN_NAMES[given]);
    let kana = format!("{} {}", FAMILY_KANA[family], GIVEN_NAMES[given]);
    let room = format!("{}{:02}号室", 1 + n % 3, 1 + n % 20);
    let admitted_on = today
        .checked_sub_days(Days::new(30 + n as u64 * 7))
        .unwrap_or(today);
    let resident = store.new_resident(&name, &kana, &room, admitted_on)?;
    let id = resident.id;
    store.append(Some(demo.admin), EventBody::ResidentAdmitted { resident })?;

    let with_pin = n.is_multiple_of(3);
    let mut items = BTreeSet::from([ItemCategory::MynaCard]);
    let has_certificate = n % 4 == 1;
    if has_certificate {
        items.insert(ItemCategory::EligibilityCertificate);
    }
    let (signatory, relation) = if n.is_multiple_of(2) {
        (Signatory::FamilyWithConsent, "長女")
    } else {
        (Signatory::Resident, "本人")
    };
    let signed_at = store.now();
    let agreement = store.new_agreement(
        AgreementDraft {
            resident: id,
            signatory,
            signatory_name: &name,
            relation,
            scope: AgreementScope {
                items,
                pin_envelope: with_pin,
            },
            text: AGREEMENT_TEXT,
            method: AgreementMethod::Paper,
        },
        signed_at,
    )?;
    store.append(Some(demo.admin), EventBody::AgreementRecorded { agreement })?;

    let locker = demo.card_lockers[n % demo.card_lockers.len()];
    let card = Item {
        id: ItemId::random(),
        resident: id,
        kind: ItemKind::MynaCard {
            auth: if with_pin {
                CardAuth::Pin
            } else {
                CardAuth::FaceOnly
            },
        },
        home_locker: locker,
        card_expires_on: today.checked_add_days(Days::new(365 * 4 + n as u64 * 11)),
        certificate_expires_on: today.checked_add_days(Days::new(40 + n as u64 * 23)),
        document_expires_on: None,
        card_identity: None,
    };
    demo.cards.push(card.id);
    store.append(Some(demo.admin), EventBody::ItemRegistered { item: card })?;
    if with_pin {
        let item = ItemId::random();
        let number = format!("PIN-{:05}", 10_000 + n);
        let kind = ItemKind::PinEnvelope {
            envelope_number: store.seal_envelope_number(id, item, &number)?,
        };
        let envelope = Item {
            id: item,
            resident: id,
            kind,
            home_locker: demo.pin_safe,
            card_expires_on: None,
            certificate_expires_on: None,
            document_expires_on: None,
            card_identity: None,
        };
        demo.envelopes.push(item);
        store.append(
            Some(demo.pin_manager),
            EventBody::ItemRegistered { item: envelope },
        )?;
    }
    if has_certificate {
        let certificate = Item {
            id: ItemId::random(),
            resident: id,
            kind: ItemKind::EligibilityCertificate,
            home_locker: demo.cabinet,
            card_expires_on: None,
            certificate_expires_on: None,
            document_expires_on: today.checked_add_days(Days::new(200)),
            card_identity: None,
        };
        demo.certificates.push(certificate.id);
        store.append(
            Some(demo.admin),
            EventBody::ItemRegistered { item: certificate },
        )?;
    }
    demo.residents.push(id);
    Ok(())
}

fn add_staff(
    store: &mut Store,
    actor: Option<StaffId>,
    name: &str,
    roles: &[Role],
    shifts: &[Shift],
    trained_on: Option<NaiveDate>,
) -> Result<StaffId, StoreError> {
    let staff = store.new_staff(name, roles, shifts, trained_on)?;
    let id = staff.id;
    store.append(actor.or(Some(id)), EventBody::StaffAdded { staff })?;
    Ok(id)
}

fn add_locker(
    store: &mut Store,
    actor: StaffId,
    kind: LockerKind,
    name: &str,
    place: &str,
) -> Result<LockerId, StoreError> {
    let locker = Locker {
        id: LockerId::random(),
        kind,
        name: name.into(),
        place: place.into(),
    };
    let id = locker.id;
    store.append(Some(actor), EventBody::LockerRegistered { locker })?;
    Ok(id)
}

/// What [`record_day`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayReport {
    /// Checkouts recorded.
    pub checkouts: usize,
    /// Returns recorded.
    pub returns: usize,
    /// Handovers between staff.
    pub handovers: usize,
    /// Items still out at the end of the day.
    pub still_out: Vec<ItemId>,
}

/// Record a day of handovers from 08:30 Tokyo time — today if the clock is before 08:00, else tomorrow: clinic
/// visits in the morning, a renewal at the city office, a handover between shifts, and one card that is not back
/// by evening.
pub fn record_day(
    store: &mut Store,
    demo: &DemoFacility,
    clock: &ManualClock,
) -> Result<DayReport, StoreError> {
    let now = clock.now();
    let mut date = now.tokyo_date();
    if Timestamp::from_tokyo(date, 8, 0).is_none_or(|start| start <= now) {
        date = date.checked_add_days(Days::new(1)).unwrap_or(date);
    }
    let at = |hour: u32, minute: u32| Timestamp::from_tokyo(date, hour, minute).unwrap_or(now);
    let mut report = DayReport::default();
    let visits = demo.cards.len().min(4);
    let handler = demo.handlers[0];
    for (n, card) in demo.cards.iter().take(visits).enumerate() {
        // The card kept out from an earlier day stays out (overdue), rather than being taken out twice.
        let out = store
            .state()
            .items
            .get(card)
            .is_some_and(|r| matches!(r.custody, crate::custody::Custody::Out { .. }));
        if out {
            continue;
        }
        let locker = home_of(store, *card)?;
        clock.set(at(8, 30 + n as u32 * 5));
        let purpose = Purpose::MedicalVisit;
        let due_at = at(12, 0);
        store.append(
            Some(handler),
            EventBody::CheckedOut {
                item: *card,
                from_locker: locker,
                purpose,
                due_at,
                approval: None,
            },
        )?;
        report.checkouts += 1;
    }
    for (n, card) in demo.cards.iter().take(visits.saturating_sub(1)).enumerate() {
        let locker = home_of(store, *card)?;
        clock.set(at(11, 10 + n as u32 * 5));
        store.append(
            Some(handler),
            EventBody::Returned {
                item: *card,
                to_locker: locker,
                card_check: CardCheck::Matched,
            },
        )?;
        report.returns += 1;
    }
    if let Some(card) = demo.cards.get(visits) {
        let locker = home_of(store, *card)?;
        clock.set(at(13, 0));
        let purpose = Purpose::MunicipalProcedure(MunicipalProcedure::Renewal);
        store.append(
            Some(handler),
            EventBody::CheckedOut {
                item: *card,
                from_locker: locker,
                purpose,
                due_at: at(17, 0),
                approval: None,
            },
        )?;
        report.checkouts += 1;
        clock.set(at(16, 45));
        store.append(
            Some(handler),
            EventBody::HandedOver {
                item: *card,
                from: handler,
                to: demo.handlers[1],
            },
        )?;
        report.handovers += 1;
        clock.set(at(17, 30));
        store.append(
            Some(demo.handlers[1]),
            EventBody::Returned {
                item: *card,
                to_locker: locker,
                card_check: CardCheck::MatchedWithNewCertificate,
            },
        )?;
        report.returns += 1;
    }
    clock.set(at(18, 0));
    report.still_out = store
        .state()
        .items
        .iter()
        .filter(|(_, r)| matches!(r.custody, crate::custody::Custody::Out { .. }))
        .map(|(id, _)| *id)
        .collect();
    Ok(report)
}

fn home_of(store: &Store, item: ItemId) -> Result<LockerId, StoreError> {
    store
        .state()
        .items
        .get(&item)
        .map(|r| r.item.home_locker)
        .ok_or(StoreError::BadMeta("demo item missing"))
}
