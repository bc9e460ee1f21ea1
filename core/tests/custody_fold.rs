//! The custody fold is deterministic: any arrival order and any repetition of the same set of events folds to
//! the same state, and folding one event at a time equals folding everything at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::Timestamp;
use azukari_core::crypto::{DevicePublicKey, KeyId, Sealed};
use azukari_core::custody::{Applied, CustodyFold, Discrepancy};
use azukari_core::ledger::{CardCheck, Envelope, EventBody, EventHash, IncidentKind, ReleaseTo};
use azukari_core::model::{
    AgreementId, AgreementMethod, AgreementScope, CardAuth, CustodyAgreement, DeviceId, EventId,
    Facility, FacilityId, IncidentId, Item, ItemCategory, ItemId, ItemKind, Locker, LockerId,
    LockerKind, Purpose, RequestId, Resident, ResidentId, Role, Signatory, Staff, StaffId,
};
use proptest::prelude::*;
use std::collections::BTreeSet;
use uuid::Uuid;

fn sealed(n: u128) -> Sealed {
    Sealed {
        key_id: KeyId(Uuid::from_u128(n)),
        nonce: [0; 12],
        ciphertext: vec![n as u8; 20],
    }
}

/// A small world: one facility, three devices, three staff, two lockers, two residents, four items.
struct World {
    facility: FacilityId,
    devices: [DeviceId; 3],
    staff: [StaffId; 3],
    lockers: [LockerId; 2],
    items: [ItemId; 4],
}

impl World {
    fn new() -> Self {
        World {
            facility: FacilityId(Uuid::from_u128(1)),
            devices: [10, 11, 12].map(|n| DeviceId(Uuid::from_u128(n))),
            staff: [20, 21, 22].map(|n| StaffId(Uuid::from_u128(n))),
            lockers: [30, 31].map(|n| LockerId(Uuid::from_u128(n))),
            items: [40, 41, 42, 43].map(|n| ItemId(Uuid::from_u128(n))),
        }
    }

    /// The set-up events, all on device 0 before t = 1000.
    fn setup(&self) -> Vec<EventBody> {
        let residents = [
            ResidentId(Uuid::from_u128(50)),
            ResidentId(Uuid::from_u128(51)),
        ];
        let mut bodies = vec![EventBody::FacilityCreated {
            facility: Facility {
                id: self.facility,
                name: "f".into(),
            },
            public_key: DevicePublicKey(vec![4; 65]),
        }];
        for (n, staff) in self.staff.iter().enumerate() {
            bodies.push(EventBody::StaffAdded {
                staff: Staff {
                    id: *staff,
                    name: sealed(100 + n as u128),
                    roles: BTreeSet::from([Role::CardHandler]),
                    shifts: BTreeSet::new(),
                    trained_on: None,
                    active: true,
                },
            });
        }
        for (n, locker) in self.lockers.iter().enumerate() {
            bodies.push(EventBody::LockerRegistered {
                locker: Locker {
                    id: *locker,
                    kind: LockerKind::CardLocker,
                    name: format!("L{n}"),
                    place: "1F".into(),
                },
            });
        }
        for (n, resident) in residents.iter().enumerate() {
            bodies.push(EventBody::ResidentAdmitted {
                resident: Resident {
                    id: *resident,
                    name: sealed(200 + n as u128),
                    kana: sealed(210 + n as u128),
                    room: sealed(220 + n as u128),
                    admitted_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    discharged_on: None,
                },
            });
            if n == 0 {
                bodies.push(EventBody::AgreementRecorded {
                    agreement: CustodyAgreement {
                        id: AgreementId(Uuid::from_u128(60)),
                        resident: *resident,
                        signatory: Signatory::Resident,
                        signatory_name: sealed(300),
                        relation: sealed(301),
                        scope: AgreementScope {
                            items: BTreeSet::from([ItemCategory::MynaCard]),
                            pin_envelope: true,
                        },
                        text: sealed(302),
                        text_sha256: [0; 32],
                        method: AgreementMethod::Paper,
                        signed_at: Timestamp(0),
                        revoked_at: None,
                    },
                });
            }
        }
        for (n, item) in self.items.iter().enumerate() {
            let kind = if n % 2 == 0 {
                ItemKind::MynaCard {
                    auth: CardAuth::Pin,
                }
            } else {
                ItemKind::PinEnvelope {
                    envelope_number: sealed(400 + n as u128),
                }
            };
            bodies.push(EventBody::ItemRegistered {
                item: Item {
                    id: *item,
                    resident: residents[n / 2],
                    kind,
                    home_locker: self.lockers[n % 2],
                    card_expires_on: None,
                    certificate_expires_on: None,
                    document_expires_on: None,
                    card_identity: None,
                },
            });
        }
        bodies
    }
}

/// One operation of the random scenario.
#[derive(Debug, Clone)]
struct Op {
    kind: u8,
    item: usize,
    staff: usize,
    other: usize,
    device: usize,
    at: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0u8..9,
        0usize..4,
        0usize..3,
        0usize..3,
        0usize..3,
        1_000i64..50_000,
    )
        .prop_map(|(kind, item, staff, other, device, at)| Op {
            kind,
            item,
            staff,
            other,
            device,
            at,
        })
}

fn body_of(world: &World, op: &Op, n: usize) -> EventBody {
    let item = world.items[op.item];
    let locker = world.lockers[op.other % 2];
    match op.kind {
        0 | 1 => EventBody::CheckedOut {
            item,
            from_locker: locker,
            purpose: Purpose::MedicalVisit,
            due_at: Timestamp(op.at + 500),
            approval: None,
        },
        2 | 3 => EventBody::Returned {
            item,
            to_locker: locker,
            card_check: CardCheck::NotChecked,
        },
        4 => EventBody::HandedOver {
            item,
            from: world.staff[op.staff],
            to: world.staff[op.other],
        },
        5 => EventBody::DepositedWithHospital { item },
        6 => EventBody::Released {
            item,
            to: ReleaseTo::Family,
        },
        7 => EventBody::IncidentOpened {
            incident: IncidentId(Uuid::from_u128(1000 + n as u128)),
            item: Some(item),
            kind: IncidentKind::LostInside,
        },
        _ => EventBody::CheckoutRequested {
            request: RequestId(Uuid::from_u128(2000 + n as u128)),
            item,
            purpose: Purpose::EmergencyTransport,
            due_at: Timestamp(op.at),
        },
    }
}

/// The events of a scenario, each device's events in increasing time and sequence, with stand-in hashes.
fn events(world: &World, ops: &[Op]) -> Vec<(Envelope, EventHash)> {
    let mut seqs = [0u64; 3];
    let mut last_at = [999i64; 3];
    let mut out = Vec::new();
    let mut push = |device: usize,
                    at: i64,
                    actor: Option<StaffId>,
                    body: EventBody,
                    out: &mut Vec<(Envelope, EventHash)>| {
        seqs[device] += 1;
        let at = at.max(last_at[device]);
        last_at[device] = at;
        let n = out.len() as u128;
        let envelope = Envelope {
            event_id: EventId(Uuid::from_u128(0x7000_0000 + n)),
            facility: world.facility,
            device: world.devices[device],
            device_seq: seqs[device],
            prev_hash: EventHash::ZERO,
            recorded_at: Timestamp(at),
            actor,
            body,
        };
        let mut hash = [0u8; 32];
        hash[..16].copy_from_slice(&n.to_be_bytes());
        out.push((envelope, EventHash(hash)));
    };
    for (n, body) in world.setup().into_iter().enumerate() {
        push(0, n as i64, None, body, &mut out);
    }
    for (n, op) in ops.iter().enumerate() {
        push(
            op.device,
            op.at,
            Some(world.staff[op.staff]),
            body_of(world, op, n),
            &mut out,
        );
    }
    out
}

fn fold_all(events: &[(Envelope, EventHash)]) -> CustodyFold {
    CustodyFold::fold_all(events.iter().map(|(e, h)| (e, *h)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn permutations_and_duplicates_fold_to_the_same_state(
        ops in prop::collection::vec(op(), 0..60),
        seed in any::<u64>(),
        repeats in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
    ) {
        let world = World::new();
        let original = events(&world, &ops);
        let mut shuffled = original.clone();
        for index in &repeats {
            shuffled.push(original[index.index(original.len())].clone());
        }
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(fold_all(&shuffled), fold_all(&original));
    }

    #[test]
    fn incremental_folding_equals_a_full_fold(ops in prop::collection::vec(op(), 0..60)) {
        let world = World::new();
        let all = events(&world, &ops);
        let mut sorted = all.clone();
        sorted.sort_by_key(|(e, _)| azukari_core::custody::FoldKey::of(e));
        let mut fold = CustodyFold::default();
        for (envelope, hash) in &sorted {
            prop_assert_eq!(fold.apply(envelope, *hash), Applied::Folded);
        }
        prop_assert_eq!(fold, fold_all(&all));
    }

    #[test]
    fn folding_in_arrival_order_with_refolds_equals_a_full_fold(
        ops in prop::collection::vec(op(), 0..40),
        seed in any::<u64>(),
    ) {
        let world = World::new();
        let all = events(&world, &ops);
        let mut arrival = all.clone();
        let mut state = seed | 1;
        for i in (1..arrival.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            arrival.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut fold = CustodyFold::default();
        let mut arrived = Vec::new();
        for event in arrival {
            arrived.push(event.clone());
            if fold.apply(&event.0, event.1) == Applied::NeedsRefold {
                fold = fold_all(&arrived);
            }
        }
        prop_assert_eq!(fold, fold_all(&all));
    }
}

#[test]
fn two_devices_checking_out_the_same_card_offline_give_exactly_one_discrepancy() {
    let world = World::new();
    let a = Op {
        kind: 0,
        item: 0,
        staff: 0,
        other: 0,
        device: 1,
        at: 2_000,
    };
    let b = Op {
        kind: 0,
        item: 0,
        staff: 1,
        other: 0,
        device: 2,
        at: 2_100,
    };
    let events = events(&world, &[a, b]);
    let fold = fold_all(&events);
    let doubles: Vec<_> = fold
        .state
        .recorded_discrepancies
        .iter()
        .filter(|d| matches!(d, Discrepancy::DoubleCheckout { .. }))
        .collect();
    assert_eq!(doubles.len(), 1);
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(fold_all(&reversed), fold);
}

#[test]
fn a_pin_envelope_in_the_same_locker_as_the_card_and_an_item_without_agreement_are_discrepancies() {
    let world = World::new();
    // Item 1 (resident 0's PIN envelope) is returned into locker 0, where resident 0's card (item 0) lives.
    let back = Op {
        kind: 2,
        item: 1,
        staff: 0,
        other: 0,
        device: 1,
        at: 3_000,
    };
    let fold = fold_all(&events(&world, &[back]));
    let found = fold.state.discrepancies(Timestamp(4_000));
    assert!(
        found
            .iter()
            .any(|d| matches!(d, Discrepancy::PinEnvelopeWithCard { .. }))
    );
    // Resident 1 has no agreement: both of their items are held without one.
    let without: Vec<_> = found
        .iter()
        .filter(|d| matches!(d, Discrepancy::CustodyWithoutAgreement { .. }))
        .collect();
    assert_eq!(without.len(), 2);
}
