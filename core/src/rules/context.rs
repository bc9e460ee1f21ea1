//! The facts a decision is made on, gathered from the custody state.

use crate::clock::Timestamp;
use crate::custody::{Custody, CustodyState};
use crate::model::{Item, ItemCategory, MunicipalProcedure, Purpose, ResidentId, Staff, StaffId};
use cedar_policy::RestrictedExpression;

use super::Action;
use super::engine::TargetKind;

/// Days since the last training when there was none.
const NEVER_TRAINED_DAYS: i64 = 100_000;
/// `certificateExpiredDays` when the certificate's date is unknown.
const UNKNOWN_EXPIRY_DAYS: i64 = -100_000;

/// What an action is done to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An item.
    Item(&'a Item),
    /// A resident (agreements).
    Resident(ResidentId),
    /// The facility (audits, incidents, policy).
    Facility,
}

/// The situation of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleContext {
    /// Minutes since midnight in Asia/Tokyo.
    pub minute_of_day: i64,
    /// Days since the actor's last compliance training.
    pub training_age_days: i64,
    /// The purpose code (see [`purpose_code`]).
    pub purpose: &'static str,
    /// The item's custody: in_locker, out, with_hospital, lost, released.
    pub custody: &'static str,
    /// An active agreement covers the item.
    pub agreement_covers: bool,
    /// A covering agreement was revoked and none covers the item now.
    pub agreement_revoked: bool,
    /// A valid, unused approval for exactly this request exists.
    pub approved: bool,
    /// The actor holds the same resident's counterpart (card ↔ PIN envelope).
    pub actor_holds_counterpart: bool,
    /// The handover recipient holds the same resident's counterpart.
    pub recipient_holds_counterpart: bool,
    /// The actor holds the item now.
    pub actor_holds_item: bool,
    /// Items the actor has out now.
    pub actor_open_checkouts: i64,
    /// Days since the card's certificate expired (negative while valid).
    pub certificate_expired_days: i64,
    /// For approvals: the approver made the request.
    pub is_requester: bool,
    /// For approvals: the request is pending.
    pub request_pending: bool,
}

/// A request to the rules: who does what to what, in which situation.
#[derive(Debug, Clone)]
pub struct RuleRequest<'a> {
    /// Who acts.
    pub actor: &'a Staff,
    /// What they do.
    pub action: Action,
    /// To what.
    pub target: Target<'a>,
    /// In which situation.
    pub context: RuleContext,
}

/// The purpose's code in the rules.
pub fn purpose_code(purpose: Option<&Purpose>) -> &'static str {
    match purpose {
        None => "none",
        Some(Purpose::MedicalVisit) => "medical_visit",
        Some(Purpose::EmergencyTransport) => "emergency_transport",
        Some(Purpose::MunicipalProcedure(MunicipalProcedure::Renewal)) => "municipal_renewal",
        Some(Purpose::MunicipalProcedure(MunicipalProcedure::FaceAuthSwitch)) => {
            "municipal_face_auth_switch"
        }
        Some(Purpose::MunicipalProcedure(MunicipalProcedure::Reissue)) => "municipal_reissue",
        Some(Purpose::ReturnToResident) => "return_to_resident",
        Some(Purpose::HandToFamily) => "hand_to_family",
        Some(Purpose::Discharge) => "discharge",
        Some(Purpose::Audit) => "audit",
        Some(Purpose::Other { .. }) => "other",
    }
}

fn custody_code(custody: &Custody) -> &'static str {
    match custody {
        Custody::InLocker { .. } => "in_locker",
        Custody::Out { .. } => "out",
        Custody::WithHospital { .. } => "with_hospital",
        Custody::Lost { .. } => "lost",
        Custody::Released { .. } => "released",
    }
}

/// Whether `holder` has out an item of `resident` in `category`.
fn holds(
    state: &CustodyState,
    holder: StaffId,
    resident: ResidentId,
    category: ItemCategory,
) -> bool {
    state.items.values().any(|record| {
        record.item.resident == resident
            && record.item.kind.category() == category
            && matches!(record.custody, Custody::Out { holder: h, .. } if h == holder)
    })
}

fn counterpart(category: ItemCategory) -> Option<ItemCategory> {
    match category {
        ItemCategory::MynaCard => Some(ItemCategory::PinEnvelope),
        ItemCategory::PinEnvelope => Some(ItemCategory::MynaCard),
        _ => None,
    }
}

impl RuleContext {
    /// The facts about `actor` acting on `item` at `now`, from the custody state. Purpose, approval, handover
    /// recipient and approval facts are set by the caller.
    pub fn for_item(state: &CustodyState, actor: &Staff, item: &Item, now: Timestamp) -> Self {
        let mut context = RuleContext::at(actor, now);
        let category = item.kind.category();
        let record = state.items.get(&item.id);
        context.custody = record.map_or("released", |r| custody_code(&r.custody));
        context.agreement_covers = state.is_covered(item, now);
        context.agreement_revoked = !context.agreement_covers
            && state.agreements.values().any(|a| {
                a.resident == item.resident
                    && a.scope.covers(category)
                    && a.revoked_at.is_some_and(|r| r <= now)
            });
        context.actor_holds_item = record.is_some_and(
            |r| matches!(r.custody, Custody::Out { holder, .. } if holder == actor.id),
        );
        context.actor_holds_counterpart =
            counterpart(category).is_some_and(|other| holds(state, actor.id, item.resident, other));
        context.actor_open_checkouts = state
            .items
            .values()
            .filter(|r| matches!(r.custody, Custody::Out { holder, .. } if holder == actor.id))
            .count() as i64;
        context.certificate_expired_days = item
            .certificate_expires_on
            .map_or(UNKNOWN_EXPIRY_DAYS, |expiry| {
                (now.tokyo_date() - expiry).num_days()
            });
        context
    }

    /// Whether `recipient` holds the counterpart of `item` (for handovers).
    pub fn recipient_holds_counterpart(
        state: &CustodyState,
        recipient: StaffId,
        item: &Item,
    ) -> bool {
        counterpart(item.kind.category())
            .is_some_and(|other| holds(state, recipient, item.resident, other))
    }

    /// The facts that do not depend on an item: time and training.
    pub fn at(actor: &Staff, now: Timestamp) -> Self {
        let local = now.to_tokyo();
        let minute_of_day =
            i64::from(chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local));
        let training_age_days = actor.trained_on.map_or(NEVER_TRAINED_DAYS, |trained| {
            (now.tokyo_date() - trained).num_days()
        });
        RuleContext {
            minute_of_day,
            training_age_days,
            purpose: "none",
            custody: "released",
            agreement_covers: false,
            agreement_revoked: false,
            approved: false,
            actor_holds_counterpart: false,
            recipient_holds_counterpart: false,
            actor_holds_item: false,
            actor_open_checkouts: 0,
            certificate_expired_days: UNKNOWN_EXPIRY_DAYS,
            is_requester: false,
            request_pending: false,
        }
    }

    /// A context with every fact at its neutral value, for checking the shape of requests against the schema.
    pub(crate) fn sample() -> Self {
        RuleContext {
            minute_of_day: 0,
            training_age_days: 0,
            purpose: "none",
            custody: "released",
            agreement_covers: false,
            agreement_revoked: false,
            approved: false,
            actor_holds_counterpart: false,
            recipient_holds_counterpart: false,
            actor_holds_item: false,
            actor_open_checkouts: 0,
            certificate_expired_days: UNKNOWN_EXPIRY_DAYS,
            is_requester: false,
            request_pending: false,
        }
    }

    /// The Cedar context record for a request on a target of `kind`: the item facts only for an item.
    pub(crate) fn pairs(&self, kind: TargetKind) -> Vec<(String, RestrictedExpression)> {
        let long = RestrictedExpression::new_long;
        let boolean = RestrictedExpression::new_bool;
        let string = |s: &str| RestrictedExpression::new_string(s.to_string());
        let mut pairs = vec![("minuteOfDay".to_string(), long(self.minute_of_day))];
        if kind == TargetKind::Item {
            pairs.extend([
                ("purpose".to_string(), string(self.purpose)),
                ("custody".to_string(), string(self.custody)),
                (
                    "agreementCovers".to_string(),
                    boolean(self.agreement_covers),
                ),
                (
                    "agreementRevoked".to_string(),
                    boolean(self.agreement_revoked),
                ),
                ("approved".to_string(), boolean(self.approved)),
                (
                    "actorHoldsCounterpart".to_string(),
                    boolean(self.actor_holds_counterpart),
                ),
                (
                    "recipientHoldsCounterpart".to_string(),
                    boolean(self.recipient_holds_counterpart),
                ),
                ("actorHoldsItem".to_string(), boolean(self.actor_holds_item)),
                (
                    "actorOpenCheckouts".to_string(),
                    long(self.actor_open_checkouts),
                ),
                (
                    "certificateExpiredDays".to_string(),
                    long(self.certificate_expired_days),
                ),
                ("isRequester".to_string(), boolean(self.is_requester)),
                ("requestPending".to_string(), boolean(self.request_pending)),
            ]);
        }
        pairs
    }
}
