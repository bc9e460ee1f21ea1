//! The Cedar engine: loading, validating and evaluating a policy set.

use super::context::{RuleRequest, Target};
use super::policy_error::{PolicyError, PolicyProblem, line_column};
use super::{Action, Decision, Reason};
use crate::i18n::{Locale, catalog};
use crate::model::Role;
use cedar_policy::{
    ActionConstraint, AuthorizationError, Authorizer, Context, Decision as CedarDecision, Effect,
    Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet, Request,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
use miette::Diagnostic;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// The Cedar schema every policy set is validated against.
pub const SCHEMA: &str = include_str!("schema.cedarschema");

/// The default policy set: the facility guidance as rules.
pub const DEFAULT_POLICY: &str = include_str!("default.cedar");

const EXPLANATION_ANNOTATIONS: [&str; 4] = ["reason_ja", "reason_en", "cites_ja", "cites_en"];

/// A validated policy set, ready to decide.
pub struct RuleEngine {
    schema: Schema,
    policies: PolicySet,
    text: String,
    authorizer: Authorizer,
    types: EntityTypes,
    /// Each policy's explanation, read from its annotations once (reading an annotation parses its key, which
    /// costs more than evaluating the whole policy set).
    explanations: HashMap<PolicyId, Explanation>,
    /// The (action, kind of target) pairs whose requests were shown at load to fit the schema. A request's
    /// shape depends only on these two (principal: always Staff; context: fixed by [`RuleContext`]'s typed
    /// fields), so such requests skip re-validation on the hot path; any other pair is validated as it comes.
    ///
    /// [`RuleContext`]: super::RuleContext
    prevalidated: Vec<(Action, TargetKind)>,
    /// For each action (in [`ACTIONS`] order), the policies whose action scope can match it. A policy whose
    /// scope names other actions is false before its conditions are looked at (there are no action groups: the
    /// entities given to Cedar hold no action entities), so leaving it out changes no decision and no error,
    /// and saves Cedar rebuilding and evaluating it on every request.
    by_action: Vec<PolicySet>,
}

/// How a request is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// With the shortcuts prepared at load.
    Fast,
    /// Without them (the reference for tests).
    #[cfg_attr(not(any(test, feature = "test-support")), allow(dead_code))]
    Plain,
}

/// What a policy says when it applies, from its annotations.
#[derive(Debug, Clone)]
struct Explanation {
    /// Why (a forbid's `@reason_*` and `@cites_*`).
    reason: Reason,
    /// The warning a permit attaches (`@warning_*`), if any.
    warning: Option<Reason>,
    /// The role whose approval lifts the forbid (`@approver`), if any.
    approver: Option<String>,
    /// Where the policy is in the text: reasons and warnings are given in this order.
    rank: usize,
}

struct EntityTypes {
    staff: EntityTypeName,
    item: EntityTypeName,
    resident: EntityTypeName,
    facility: EntityTypeName,
    action: EntityTypeName,
}

impl RuleEngine {
    /// The engine with the default policy set.
    pub fn with_default_policy() -> Result<Self, PolicyError> {
        RuleEngine::from_policy_text(DEFAULT_POLICY)
    }

    /// Parse, validate against the schema and check that every forbid explains itself.
    pub fn from_policy_text(text: &str) -> Result<Self, PolicyError> {
        let (schema, _warnings) =
            Schema::from_cedarschema_str(SCHEMA).map_err(|e| PolicyError::Schema(e.to_string()))?;
        let policies = PolicySet::from_str(text)
            .map_err(|errors| PolicyError::Parse(problems(text, &errors)))?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !validation.validation_passed() {
            let found = validation
                .validation_errors()
                .flat_map(|e| diagnostic_problems(text, e))
                .collect();
            return Err(PolicyError::Invalid(found));
        }
        for policy in policies.policies() {
            let explained = policy.annotation("id").is_some()
                && match policy.effect() {
                    Effect::Forbid => EXPLANATION_ANNOTATIONS
                        .iter()
                        .all(|key| policy.annotation(key).is_some()),
                    Effect::Permit => {
                        let warns = policy.annotation("warning_ja").is_some()
                            || policy.annotation("warning_en").is_some();
                        !warns
                            || ["warning_ja", "warning_en", "cites_ja", "cites_en"]
                                .iter()
                                .all(|key| policy.annotation(key).is_some())
                    }
                };
            if !explained {
                return Err(PolicyError::Unexplained {
                    line: policy_line(text, policy),
                });
            }
        }
        let types = EntityTypes {
            staff: type_name("Azukari::Staff")?,
            item: type_name("Azukari::Item")?,
            resident: type_name("Azukari::Resident")?,
            facility: type_name("Azukari::Facility")?,
            action: type_name("Azukari::Action")?,
        };
        let explanations = policies
            .policies()
            .map(|policy| (policy.id().clone(), explain(text, policy)))
            .collect();
        let prevalidated = prevalidate(&schema, &types);
        let by_action = ACTIONS
            .iter()
            .map(|action| policies_for(&policies, &uid(&types.action, action.cedar_id())))
            .collect();
        Ok(RuleEngine {
            schema,
            policies,
            text: text.to_string(),
            authorizer: Authorizer::new(),
            types,
            explanations,
            prevalidated,
            by_action,
        })
    }

    /// The policy text in force.
    pub fn policy_text(&self) -> &str {
        &self.text
    }

    /// Decide `request`. Fails closed: any problem evaluating it is a denial.
    pub fn decide(&self, request: &RuleRequest<'_>) -> Decision {
        self.decide_by(request, Path::Fast)
    }

    /// Decide `request` the plain way: every policy, the request re-validated against the schema, each
    /// explanation read from the annotations as it is needed. For tests and benchmarks showing that
    /// [`RuleEngine::decide`] decides exactly alike.
    #[cfg(any(test, feature = "test-support"))]
    pub fn decide_without_shortcuts(&self, request: &RuleRequest<'_>) -> Decision {
        self.decide_by(request, Path::Plain)
    }

    fn decide_by(&self, request: &RuleRequest<'_>, path: Path) -> Decision {
        match self.evaluate(request, path) {
            Ok(decision) => decision,
            Err(detail) => Decision::Denied {
                reasons: vec![engine_failure(&detail)],
            },
        }
    }

    fn evaluate(&self, request: &RuleRequest<'_>, path: Path) -> Result<Decision, String> {
        let actor = request.actor;
        let principal = uid(&self.types.staff, &actor.id.to_string());
        let mut entities = vec![staff_entity(principal.clone(), request)?];
        let resource = match request.target {
            Target::Item(item) => {
                let resident = uid(&self.types.resident, &item.resident.to_string());
                entities.push(Entity::new_no_attrs(resident.clone(), HashSet::new()));
                let attrs = HashMap::from([
                    (
                        "category".to_string(),
                        RestrictedExpression::new_string(category_code(item).to_string()),
                    ),
                    (
                        "resident".to_string(),
                        RestrictedExpression::new_entity_uid(resident.clone()),
                    ),
                ]);
                let item_uid = uid(&self.types.item, &item.id.to_string());
                entities.push(
                    Entity::new(item_uid.clone(), attrs, HashSet::from([resident]))
                        .map_err(|e| e.to_string())?,
                );
                item_uid
            }
            Target::Resident(resident) => {
                let resident = uid(&self.types.resident, &resident.to_string());
                entities.push(Entity::new_no_attrs(resident.clone(), HashSet::new()));
                resident
            }
            Target::Facility => {
                let facility = uid(&self.types.facility, "facility");
                entities.push(Entity::new_no_attrs(facility.clone(), HashSet::new()));
                facility
            }
        };
        let entities = Entities::from_entities(entities, None).map_err(|e| e.to_string())?;
        let kind = TargetKind::of(request.target);
        let context =
            Context::from_pairs(request.context.pairs(kind)).map_err(|e| e.to_string())?;
        let action = uid(&self.types.action, request.action.cedar_id());
        let schema = if path == Path::Fast && self.prevalidated.contains(&(request.action, kind)) {
            None
        } else {
            Some(&self.schema)
        };
        let cedar_request = Request::new(principal, action, resource, context, schema)
            .map_err(|e| e.to_string())?;
        let policies = match path {
            Path::Fast => ACTIONS
                .iter()
                .position(|a| *a == request.action)
                .and_then(|i| self.by_action.get(i))
                .unwrap_or(&self.policies),
            Path::Plain => &self.policies,
        };
        let response = self
            .authorizer
            .is_authorized(&cedar_request, policies, &entities);
        let explanation = |id: &PolicyId| match path {
            Path::Fast => self.explanations.get(id).map(Cow::Borrowed),
            Path::Plain => self
                .policies
                .policy(id)
                .map(|p| Cow::Owned(explain(&self.text, p))),
        };
        // Cedar reports errors and reasons as sets; report them in the policy text's order, so a decision is
        // worded the same every time.
        let rank = |id: &PolicyId| explanation(id).map_or(usize::MAX, |e| e.rank);
        if let Some(error) = response
            .diagnostics()
            .errors()
            .min_by_key(|error| match error {
                AuthorizationError::PolicyEvaluationError(e) => {
                    (rank(e.policy_id()), e.to_string())
                }
            })
        {
            return Err(error.to_string());
        }
        let mut applied: Vec<Cow<'_, Explanation>> = response
            .diagnostics()
            .reason()
            .filter_map(explanation)
            .collect();
        applied.sort_by(|a, b| (a.rank, &a.reason.rule).cmp(&(b.rank, &b.reason.rule)));
        Ok(match response.decision() {
            CedarDecision::Allow => Decision::Allowed {
                warnings: applied.iter().filter_map(|e| e.warning.clone()).collect(),
            },
            CedarDecision::Deny => {
                let hard: Vec<Reason> = applied
                    .iter()
                    .filter(|e| e.approver.is_none())
                    .map(|e| e.reason.clone())
                    .collect();
                if !hard.is_empty() {
                    Decision::Denied { reasons: hard }
                } else if let Some(approver) = applied.iter().find_map(|e| e.approver.as_deref()) {
                    Decision::NeedsApproval {
                        approver: role_named(approver)
                            .ok_or_else(|| format!("unknown approver role {approver}"))?,
                        reasons: applied.iter().map(|e| e.reason.clone()).collect(),
                    }
                } else {
                    // No permit applied at all: the policy set does not allow this action.
                    Decision::Denied {
                        reasons: vec![not_permitted()],
                    }
                }
            }
        })
    }
}

/// What kind of entity a request's target is; with the action, it fixes the request's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetKind {
    /// An item, with the item facts in the context.
    Item,
    /// A resident.
    Resident,
    /// The facility.
    Facility,
}

impl TargetKind {
    fn of(target: Target<'_>) -> Self {
        match target {
            Target::Item(_) => TargetKind::Item,
            Target::Resident(_) => TargetKind::Resident,
            Target::Facility => TargetKind::Facility,
        }
    }
}

/// Every action, in the order of `RuleEngine::by_action`. An action missing here would simply be decided the
/// plain way (all policies, request validated against the schema).
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

/// The (action, kind of target) pairs whose requests fit the schema, shown by validating one sample request of
/// each shape. Values never matter to this validation, only the types, which [`RuleContext`] fixes.
///
/// [`RuleContext`]: super::RuleContext
fn prevalidate(schema: &Schema, types: &EntityTypes) -> Vec<(Action, TargetKind)> {
    let sample = super::RuleContext::sample();
    let mut fits = Vec::new();
    for action in ACTIONS {
        for (kind, type_name) in [
            (TargetKind::Item, &types.item),
            (TargetKind::Resident, &types.resident),
            (TargetKind::Facility, &types.facility),
        ] {
            let Ok(context) = Context::from_pairs(sample.pairs(kind)) else {
                continue;
            };
            let request = Request::new(
                uid(&types.staff, "sample"),
                uid(&types.action, action.cedar_id()),
                uid(type_name, "sample"),
                context,
                Some(schema),
            );
            if request.is_ok() {
                fits.push((action, kind));
            }
        }
    }
    fits
}

fn explain(text: &str, policy: &Policy) -> Explanation {
    Explanation {
        reason: reason_of(policy),
        warning: warning_of(policy),
        approver: policy.annotation("approver").map(str::to_string),
        rank: policy_offset(text, policy).unwrap_or(usize::MAX),
    }
}

/// The policies of `all` whose action scope can match `action`; all of them if one cannot be copied.
fn policies_for(all: &PolicySet, action: &EntityUid) -> PolicySet {
    let mut set = PolicySet::new();
    for policy in all.policies() {
        let may_match = match policy.action_constraint() {
            ActionConstraint::Any => true,
            ActionConstraint::Eq(only) => only == *action,
            ActionConstraint::In(actions) => actions.contains(action),
        };
        if may_match && set.add(policy.clone()).is_err() {
            return all.clone();
        }
    }
    set
}

fn staff_entity(principal: EntityUid, request: &RuleRequest<'_>) -> Result<Entity, String> {
    let staff = request.actor;
    let flag = |role: Role| RestrictedExpression::new_bool(staff.has_role(role));
    let attrs = HashMap::from([
        ("caregiver".to_string(), flag(Role::Caregiver)),
        ("cardHandler".to_string(), flag(Role::CardHandler)),
        ("pinManager".to_string(), flag(Role::PinManager)),
        ("supervisor".to_string(), flag(Role::Supervisor)),
        ("admin".to_string(), flag(Role::Admin)),
        ("auditor".to_string(), flag(Role::Auditor)),
        (
            "dayShift".to_string(),
            RestrictedExpression::new_bool(staff.shifts.contains(&crate::model::Shift::Day)),
        ),
        (
            "nightShift".to_string(),
            RestrictedExpression::new_bool(staff.shifts.contains(&crate::model::Shift::Night)),
        ),
        (
            "active".to_string(),
            RestrictedExpression::new_bool(staff.active),
        ),
        (
            "trainingAgeDays".to_string(),
            RestrictedExpression::new_long(request.context.training_age_days),
        ),
    ]);
    Entity::new(principal, attrs, HashSet::new()).map_err(|e| e.to_string())
}

fn category_code(item: &crate::model::Item) -> &'static str {
    use crate::model::ItemCategory::*;
    match item.kind.category() {
        MynaCard => "MynaCard",
        PinEnvelope => "PinEnvelope",
        EligibilityCertificate => "EligibilityCertificate",
        EligibilityNotice => "EligibilityNotice",
        CareInsuranceCard => "CareInsuranceCard",
        LegacyInsuranceCard => "LegacyInsuranceCard",
    }
}

fn role_named(name: &str) -> Option<Role> {
    match name {
        "Supervisor" => Some(Role::Supervisor),
        "Admin" => Some(Role::Admin),
        "PinManager" => Some(Role::PinManager),
        "CardHandler" => Some(Role::CardHandler),
        "Auditor" => Some(Role::Auditor),
        "Caregiver" => Some(Role::Caregiver),
        _ => None,
    }
}

fn uid(type_name: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name.clone(), EntityId::new(id))
}

fn type_name(name: &str) -> Result<EntityTypeName, PolicyError> {
    EntityTypeName::from_str(name).map_err(|e| PolicyError::Schema(e.to_string()))
}

fn annotation(policy: &Policy, key: &str) -> String {
    policy.annotation(key).unwrap_or_default().to_string()
}

fn reason_of(policy: &Policy) -> Reason {
    Reason {
        rule: annotation(policy, "id"),
        text_ja: annotation(policy, "reason_ja"),
        text_en: annotation(policy, "reason_en"),
        cites_ja: annotation(policy, "cites_ja"),
        cites_en: annotation(policy, "cites_en"),
    }
}

fn warning_of(policy: &Policy) -> Option<Reason> {
    policy.annotation("warning_ja")?;
    Some(Reason {
        rule: annotation(policy, "id"),
        text_ja: annotation(policy, "warning_ja"),
        text_en: annotation(policy, "warning_en"),
        cites_ja: annotation(policy, "cites_ja"),
        cites_en: annotation(policy, "cites_en"),
    })
}

fn catalogue_reason(rule: &str, text_id: &str, cites_id: &str, detail: Option<&str>) -> Reason {
    let (ja, en) = (catalog(Locale::Ja), catalog(Locale::En));
    let with_detail = |text: String| match detail {
        Some(detail) => format!("{text} ({detail})"),
        None => text,
    };
    Reason {
        rule: rule.to_string(),
        text_ja: with_detail(ja.text(text_id)),
        text_en: with_detail(en.text(text_id)),
        cites_ja: ja.text(cites_id),
        cites_en: en.text(cites_id),
    }
}

fn engine_failure(detail: &str) -> Reason {
    catalogue_reason(
        "engine-failure",
        "rules-engine-failure",
        "rules-fail-closed",
        Some(detail),
    )
}

fn not_permitted() -> Reason {
    catalogue_reason(
        "not-permitted",
        "rules-not-permitted",
        "rules-fail-closed",
        None,
    )
}

fn problems(text: &str, diagnostic: &dyn Diagnostic) -> Vec<PolicyProblem> {
    let mut found: Vec<PolicyProblem> = Vec::new();
    if let Some(related) = diagnostic.related() {
        for inner in related {
            found.extend(diagnostic_problems(text, inner));
        }
    }
    if found.is_empty() {
        found = diagnostic_problems(text, diagnostic);
    }
    found
}

fn diagnostic_problems(text: &str, diagnostic: &dyn Diagnostic) -> Vec<PolicyProblem> {
    let message = diagnostic.to_string();
    let offsets: Vec<usize> = diagnostic
        .labels()
        .map(|labels| labels.map(|l| l.offset()).collect())
        .unwrap_or_default();
    let offset = offsets.into_iter().min().unwrap_or(0);
    let (line, column) = line_column(text, offset);
    vec![PolicyProblem {
        line,
        column,
        message,
    }]
}

/// The line of a policy in the text: where its `@id` annotation is, else where its source starts.
fn policy_line(text: &str, policy: &Policy) -> usize {
    policy_offset(text, policy).map_or(1, |offset| line_column(text, offset).0)
}

/// The byte offset of a policy in the text: where its `@id` annotation is, else where its source starts.
fn policy_offset(text: &str, policy: &Policy) -> Option<usize> {
    let needle = match policy.annotation("id") {
        Some(id) => format!("@id(\"{id}\")"),
        None => policy
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    text.find(&needle)
}
