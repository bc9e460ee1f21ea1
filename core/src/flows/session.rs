//! A session on a device: the open store, the rules in force, the signed-in member of staff and the locale.

use super::FlowError;
use crate::alerts::AlertSettings;
use crate::clock::Timestamp;
use crate::i18n::{Catalog, Locale, catalog};
use crate::ledger::EventBody;
use crate::model::{Staff, StaffId};
use crate::rules::{Decision, RuleEngine, RuleRequest};
use crate::store::{Appended, Store};

/// The open store, the rules in force and who is using the device.
pub struct Session {
    store: Store,
    rules: RuleEngine,
    policy_version: u32,
    actor: Option<StaffId>,
    /// The display language.
    pub locale: Locale,
    /// When alerts fire.
    pub alert_settings: AlertSettings,
}

impl Session {
    /// A session over an open store, with the policy recorded in its ledger (or the default).
    pub fn new(store: Store) -> Result<Session, FlowError> {
        let (policy_version, rules) = match &store.state().policy {
            Some((version, text)) => (*version, RuleEngine::from_policy_text(text)?),
            None => (0, RuleEngine::with_default_policy()?),
        };
        Ok(Session {
            store,
            rules,
            policy_version,
            actor: None,
            locale: Locale::Ja,
            alert_settings: AlertSettings::default(),
        })
    }

    /// Sign in a member of staff on this (shared) device.
    pub fn sign_in(&mut self, staff: StaffId) -> Result<(), FlowError> {
        match self.store.state().staff.get(&staff) {
            Some(member) if member.active => {
                self.actor = Some(staff);
                Ok(())
            }
            _ => Err(FlowError::UnknownStaff),
        }
    }

    /// Sign out.
    pub fn sign_out(&mut self) {
        self.actor = None;
    }

    /// The signed-in member of staff.
    pub fn actor(&self) -> Result<&Staff, FlowError> {
        let id = self.actor.ok_or(FlowError::NotSignedIn)?;
        self.store
            .state()
            .staff
            .get(&id)
            .ok_or(FlowError::UnknownStaff)
    }

    /// The signed-in member of staff's id.
    pub fn actor_id(&self) -> Result<StaffId, FlowError> {
        self.actor.ok_or(FlowError::NotSignedIn)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for writing. Flows write only after the rules allowed.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Give the store back (to close it).
    pub fn into_store(self) -> Store {
        self.store
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.store.now()
    }

    /// The catalogue of the session's locale.
    pub fn catalog(&self) -> &'static Catalog {
        catalog(self.locale)
    }

    /// Follow the latest policy recorded in the ledger (after a policy change here or from another device).
    pub fn refresh_rules(&mut self) -> Result<(), FlowError> {
        if let Some((version, text)) = &self.store.state().policy
            && *version != self.policy_version
        {
            self.rules = RuleEngine::from_policy_text(text)?;
            self.policy_version = *version;
        }
        Ok(())
    }

    /// The rules in force.
    pub fn rules(&self) -> &RuleEngine {
        &self.rules
    }

    /// The version of the policy in force (0: the default).
    pub fn policy_version(&self) -> u32 {
        self.policy_version
    }

    /// Ask the rules.
    pub fn decide(&self, request: &RuleRequest<'_>) -> Decision {
        self.rules.decide(request)
    }

    /// Record an event by the signed-in member of staff (only after the rules allowed it).
    pub fn record(&mut self, body: EventBody) -> Result<Appended, FlowError> {
        let actor = self.actor_id()?;
        let appended = self.store.append(Some(actor), body)?;
        self.refresh_rules()?;
        Ok(appended)
    }
}
