//! Rules benchmark against the goal: `RuleEngine::decide` latency over a facility of 100 residents and
//! 40 staff, goal p99 < 50 µs on this machine.
//!
//! The facility is the demo seed (100 residents, 7 staff) plus 33 more staff added as events. The requests are a
//! fixed mix, a third each allowed, needing approval and denied, over checkouts, handovers, returns, approvals and
//! facility actions (audit, policy, agreement), with their contexts built from the custody state beforehand, so
//! only `decide` is timed. Each of ≥ 100,000 decisions is timed on its own; the bench prints median, p99 and
//! p99.9 overall and per expected outcome, and whether the goal is met. It also prints, for information, the cost
//! of building a checkout's context from the state (`RuleContext::for_item`), which a flow pays on top, and the
//! latency of the same requests decided without the shortcuts the engine prepares at load
//! (`decide_without_shortcuts`, which every request is first checked to agree with).
//!
//! Run with `cargo bench -p azukari-core --bench rules`. Without `--bench` (as under `cargo test --benches`) it
//! measures nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::clock::Timestamp;
use azukari_core::custody::CustodyState;
use azukari_core::demo;
use azukari_core::ledger::EventBody;
use azukari_core::model::{ItemId, MunicipalProcedure, Purpose, ResidentId, Role, Shift, StaffId};
use azukari_core::rules::{
    Action, Decision, RuleContext, RuleEngine, RuleRequest, Target, purpose_code,
};
use azukari_core::testing::TestStore;
use chrono::{Days, NaiveDate};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Residents of the facility.
const RESIDENTS: usize = 100;
/// Staff of the facility.
const STAFF: usize = 40;
/// Timed decisions.
const DECISIONS: usize = 150_000;
/// Untimed decisions first.
const WARMUP: usize = 10_000;
/// Timed plain decisions (comparison only).
const PLAIN_DECISIONS: usize = 30_000;
/// Timed context builds (information only).
const CONTEXT_BUILDS: usize = 20_000;
/// The goal for p99.
const GOAL_P99: Duration = Duration::from_micros(50);

/// What a request is expected to get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    NeedsApproval,
    Denied,
}

impl Outcome {
    fn of(decision: &Decision) -> Outcome {
        match decision {
            Decision::Allowed { .. } => Outcome::Allowed,
            Decision::NeedsApproval { .. } => Outcome::NeedsApproval,
            Decision::Denied { .. } => Outcome::Denied,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::NeedsApproval => "needs approval",
            Outcome::Denied => "denied",
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("rules benchmark: run with `cargo bench -p azukari-core --bench rules`");
        return;
    }
    println!("azukari-core rules benchmark (release build, this machine)");
    println!();

    let dir = tempfile::tempdir().unwrap();
    let mut t = TestStore::create(dir.path(), "rules-bench").unwrap();
    let facility = demo::seed(&mut t.store, RESIDENTS).unwrap();
    let missing = STAFF - t.store.state().staff.len();
    let extra = add_staff(&mut t, facility.admin, missing);
    let state = t.store.state().clone();
    println!(
        "facility: {} residents, {} staff, {} items, {} agreements",
        state.residents.len(),
        state.staff.len(),
        state.items.len(),
        state.agreements.len()
    );
    assert_eq!(state.residents.len(), RESIDENTS);
    assert_eq!(state.staff.len(), STAFF);

    let engine = RuleEngine::with_default_policy().unwrap();
    let day = at(&state, 10, 0);
    let night = at(&state, 22, 30);
    let mut cases: Vec<(Outcome, RuleRequest<'_>)> = Vec::new();
    let f = &facility;
    let checkout = |actor: StaffId, item: ItemId, now: Timestamp, purpose: Purpose| {
        let staff = &state.staff[&actor];
        let item = &state.items[&item].item;
        let mut context = RuleContext::for_item(&state, staff, item, now);
        context.purpose = purpose_code(Some(&purpose));
        RuleRequest {
            actor: staff,
            action: Action::Checkout,
            target: Target::Item(item),
            context,
        }
    };
    let facility_action = |actor: StaffId, action: Action, target: Target<'static>| {
        let staff = &state.staff[&actor];
        RuleRequest {
            actor: staff,
            action,
            target,
            context: RuleContext::at(staff, day),
        }
    };
    for n in 0..12 {
        let card = f.cards[n * 7 % f.cards.len()];
        let envelope = f.envelopes[n % f.envelopes.len()];
        let certificate = f.certificates[n % f.certificates.len()];
        let handler = f.handlers[0];
        let caregiver = extra.caregivers[n % extra.caregivers.len()];
        // Allowed: a designated handler by day; an emergency at night (with its warning); an approved PIN
        // envelope; a supervisor starting an audit.
        cases.push((
            Outcome::Allowed,
            checkout(handler, card, day, Purpose::MedicalVisit),
        ));
        cases.push((
            Outcome::Allowed,
            checkout(f.handlers[1], card, night, Purpose::EmergencyTransport),
        ));
        let mut approved = checkout(
            f.pin_manager,
            envelope,
            day,
            Purpose::MunicipalProcedure(MunicipalProcedure::Reissue),
        );
        approved.context.approved = true;
        cases.push((Outcome::Allowed, approved));
        cases.push((
            Outcome::Allowed,
            facility_action(f.supervisor, Action::StartAudit, Target::Facility),
        ));
        // Needs approval: a caregiver takes a card or a certificate; a night checkout; a PIN envelope.
        cases.push((
            Outcome::NeedsApproval,
            checkout(caregiver, card, day, Purpose::MedicalVisit),
        ));
        cases.push((
            Outcome::NeedsApproval,
            checkout(caregiver, certificate, day, Purpose::MedicalVisit),
        ));
        cases.push((
            Outcome::NeedsApproval,
            checkout(f.handlers[1], card, night, Purpose::MedicalVisit),
        ));
        cases.push((
            Outcome::NeedsApproval,
            checkout(
                f.pin_manager,
                envelope,
                day,
                Purpose::MunicipalProcedure(MunicipalProcedure::Renewal),
            ),
        ));
        // Denied: a card handler takes a PIN envelope; an item already out; lapsed training; no agreement;
        // self-approval; a caregiver records an agreement.
        cases.push((
            Outcome::Denied,
            checkout(handler, envelope, day, Purpose::MedicalVisit),
        ));
        let mut out = checkout(handler, card, day, Purpose::MedicalVisit);
        out.context.custody = "out";
        cases.push((Outcome::Denied, out));
        cases.push((
            Outcome::Denied,
            checkout(
                extra.untrained[n % extra.untrained.len()],
                card,
                day,
                Purpose::MedicalVisit,
            ),
        ));
        let mut uncovered = checkout(handler, card, day, Purpose::MedicalVisit);
        uncovered.context.agreement_covers = false;
        cases.push((Outcome::Denied, uncovered));
        let mut approval = checkout(f.supervisor, card, night, Purpose::MedicalVisit);
        approval.action = Action::Approve;
        approval.context.request_pending = true;
        approval.context.is_requester = true;
        cases.push((Outcome::Denied, approval));

        let resident: ResidentId = f.residents[n];
        cases.push((
            Outcome::Denied,
            facility_action(
                caregiver,
                Action::RecordAgreement,
                Target::Resident(resident),
            ),
        ));
        // Two more allowed (a return, an agreement by the admin) to keep the thirds even.
        let mut back = checkout(handler, card, day, Purpose::MedicalVisit);
        back.action = Action::Return;
        back.context.custody = "out";
        cases.push((Outcome::Allowed, back));
        cases.push((
            Outcome::Allowed,
            facility_action(f.admin, Action::RecordAgreement, Target::Resident(resident)),
        ));
        // And two more needing approval: a caregiver's eligibility certificate at night, and a night handler's
        // certificate for the city office.
        cases.push((
            Outcome::NeedsApproval,
            checkout(caregiver, certificate, night, Purpose::MedicalVisit),
        ));
        cases.push((
            Outcome::NeedsApproval,
            checkout(
                f.handlers[1],
                certificate,
                night,
                Purpose::MunicipalProcedure(MunicipalProcedure::Renewal),
            ),
        ));
    }
    for (expected, request) in &cases {
        let got = engine.decide(request);
        assert_eq!(got, engine.decide_without_shortcuts(request));
        assert_eq!(
            Outcome::of(&got),
            *expected,
            "{:?} on {:?}: {got:?}",
            request.action,
            request.context
        );
    }
    let count = |o: Outcome| cases.iter().filter(|(e, _)| *e == o).count();
    println!(
        "requests: {} distinct ({} allowed, {} needing approval, {} denied), cycled in a fixed shuffled order",
        cases.len(),
        count(Outcome::Allowed),
        count(Outcome::NeedsApproval),
        count(Outcome::Denied)
    );

    // A fixed shuffle of the cases, cycled.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    let mut rng = 0x5EED_u64;
    for i in (1..order.len()).rev() {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        order.swap(i, (rng >> 33) as usize % (i + 1));
    }

    for i in 0..WARMUP {
        black_box(engine.decide(&cases[order[i % order.len()]].1));
    }
    let mut all = Vec::with_capacity(DECISIONS);
    let mut by_outcome: [Vec<Duration>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let started = Instant::now();
    for i in 0..DECISIONS {
        let (expected, request) = &cases[order[i % order.len()]];
        let t0 = Instant::now();
        let decision = engine.decide(request);
        let elapsed = t0.elapsed();
        black_box(decision);
        all.push(elapsed);
        by_outcome[*expected as usize].push(elapsed);
    }
    let wall = started.elapsed();
    let plain: Vec<Duration> = (0..PLAIN_DECISIONS)
        .map(|i| {
            let request = &cases[order[i % order.len()]].1;
            let t0 = Instant::now();
            black_box(engine.decide_without_shortcuts(request));
            t0.elapsed()
        })
        .collect();

    let contexts = context_builds(&state, f.handlers[0], &f.cards, day);

    println!();
    println!("== decide latency ({DECISIONS} decisions, after {WARMUP} untimed) ==");
    let overall = stats(&all);
    show("all", &overall);
    for outcome in [Outcome::Allowed, Outcome::NeedsApproval, Outcome::Denied] {
        show(outcome.name(), &stats(&by_outcome[outcome as usize]));
    }
    println!(
        "  throughput: {:.0} decisions/s (single thread, including timing overhead)",
        DECISIONS as f64 / wall.as_secs_f64()
    );
    println!();
    println!(
        "== for comparison: the plain evaluation, without the shortcuts prepared at load ({PLAIN_DECISIONS} decisions) =="
    );
    show("all (plain)", &stats(&plain));
    println!();
    println!(
        "== for information: building a checkout's context from the state ({CONTEXT_BUILDS} builds) =="
    );
    show("RuleContext::for_item", &stats(&contexts));
    println!();
    println!("== goal ==");
    let met = overall.p99 < GOAL_P99;
    println!(
        "  decide p99 < {} µs: p99 = {:.1} µs → {}",
        GOAL_P99.as_micros(),
        us(overall.p99),
        if met { "MET" } else { "MISSED" }
    );
}

/// Staff beyond the demo's seven: caregivers, card handlers, night staff, an auditor, and a few whose training
/// lapsed (more than 12 months ago).
struct ExtraStaff {
    caregivers: Vec<StaffId>,
    untrained: Vec<StaffId>,
}

fn add_staff(t: &mut TestStore, admin: StaffId, count: usize) -> ExtraStaff {
    let today = t.store.now().tokyo_date();
    let recent = today.checked_sub_days(Days::new(100));
    let lapsed = today.checked_sub_days(Days::new(400));
    let mut extra = ExtraStaff {
        caregivers: Vec::new(),
        untrained: Vec::new(),
    };
    for n in 0..count {
        let (roles, shifts, trained): (&[Role], &[Shift], _) = match n % 6 {
            0..=2 => (&[Role::Caregiver], &[Shift::Day, Shift::Night], recent),
            3 => (
                &[Role::Caregiver, Role::CardHandler],
                &[Shift::Night],
                recent,
            ),
            4 if n % 12 == 4 => (&[Role::Auditor], &[Shift::Day], recent),
            _ => (&[Role::Caregiver], &[Shift::Day], lapsed),
        };
        let staff = t
            .store
            .new_staff(&format!("職員 {n:02}"), roles, shifts, trained)
            .unwrap();
        let id = staff.id;
        t.store
            .append(Some(admin), EventBody::StaffAdded { staff })
            .unwrap();
        if trained == lapsed {
            extra.untrained.push(id);
        } else if roles == [Role::Caregiver] {
            extra.caregivers.push(id);
        }
    }
    extra
}

/// `hour`:`minute` in Tokyo on the facility's current day.
fn at(state: &CustodyState, hour: u32, minute: u32) -> Timestamp {
    let date = state
        .as_of
        .map_or(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), |t| {
            t.tokyo_date()
        });
    Timestamp::from_tokyo(date, hour, minute).unwrap()
}

fn context_builds(
    state: &CustodyState,
    actor: StaffId,
    cards: &[ItemId],
    now: Timestamp,
) -> Vec<Duration> {
    let staff = &state.staff[&actor];
    (0..CONTEXT_BUILDS)
        .map(|i| {
            let item = &state.items[&cards[i % cards.len()]].item;
            let t0 = Instant::now();
            black_box(RuleContext::for_item(state, staff, item, now));
            t0.elapsed()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

struct Stats {
    median: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    mean: Duration,
}

fn stats(samples: &[Duration]) -> Stats {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let n = sorted.len();
    let rank = |q: f64| sorted[(((n as f64) * q).ceil() as usize).clamp(1, n) - 1];
    Stats {
        median: rank(0.5),
        p99: rank(0.99),
        p999: rank(0.999),
        max: sorted[n - 1],
        mean: sorted.iter().sum::<Duration>() / n as u32,
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn show(label: &str, s: &Stats) {
    println!(
        "  {label:<22} median {:>7.2} µs   p99 {:>7.2} µs   p99.9 {:>7.2} µs   mean {:>7.2} µs   max {:>8.2} µs",
        us(s.median),
        us(s.p99),
        us(s.p999),
        us(s.mean),
        us(s.max)
    );
}
