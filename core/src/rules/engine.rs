//! The Cedar engine: loading, validating and evaluating a policy set.

use super::context::{RuleRequest, Target};
use super::policy_error::{PolicyError, PolicyProblem, line_column};
use super::{Decision, Reason};
use crate::i18n::{Locale, catalog};
use crate::model::Role;
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Effect, Entities, Entity, EntityId,
    EntityTypeName, EntityUid, Policy, PolicySet, Request, RestrictedExpression, Schema,
    ValidationMode, Validator,
};
use miette::Diagnostic;
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
        Ok(RuleEngine {
            schema,
            policies,
            text: text.to_string(),
            authorizer: Authorizer::new(),
            types,
        })
    }

    /// The policy text in force.
    pub fn policy_text(&self) -> &str {
        &self.text
    }

    /// Decide `request`. Fails closed: any problem evaluating it is a denial.
    pub fn decide(&self, request: &RuleRequest<'_>) -> Decision {
        match self.evaluate(request) {
            Ok(decision) => decision,
            Err(detail) => Decision::Denied {
                reasons: vec![engine_failure(&detail)],
            },
        }
    }

    fn evaluate(&self, request: &RuleRequest<'_>) -> Result<Decision, String> {
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
        let context = Context::from_pairs(request.context.pairs(request.target))
            .map_err(|e| e.to_string())?;
        let action = uid(&self.types.action, request.action.cedar_id());
        let cedar_request = Request::new(principal, action, resource, context, Some(&self.schema))
            .map_err(|e| e.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&cedar_request, &self.policies, &entities);
        if let Some(error) = response.diagnostics().errors().next() {
            return Err(error.to_string());
        }
        let applied: Vec<&Policy> = response
            .diagnostics()
            .reason()
            .filter_map(|id| self.policies.policy(id))
            .collect();
        Ok(match response.decision() {
            CedarDecision::Allow => Decision::Allowed {
                warnings: applied.iter().filter_map(|p| warning_of(p)).collect(),
            },
            CedarDecision::Deny => {
                let hard: Vec<Reason> = applied
                    .iter()
                    .filter(|p| p.annotation("approver").is_none())
                    .map(|p| reason_of(p))
                    .collect();
                if !hard.is_empty() {
                    Decision::Denied { reasons: hard }
                } else if let Some(approver) = applied.iter().find_map(|p| p.annotation("approver"))
                {
                    Decision::NeedsApproval {
                        approver: role_named(approver)
                            .ok_or_else(|| format!("unknown approver role {approver}"))?,
                        reasons: applied.iter().map(|p| reason_of(p)).collect(),
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
        .map_or(1, |offset| line_column(text, offset).0)
}
