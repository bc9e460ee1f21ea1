//! The custody agreement (預かり合意 / 預かり証): the only basis on which the facility may hold an item.

use super::{AgreementId, ItemCategory, ResidentId};
use crate::clock::Timestamp;
use crate::crypto::Sealed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A legal representative (法定代理人).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LegalRepresentative {
    /// 親権者.
    ParentalAuthority,
    /// 成年後見人.
    AdultGuardian,
}

/// Who signed the agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Signatory {
    /// 本人: the resident.
    Resident,
    /// 法定代理人.
    LegalRepresentative(LegalRepresentative),
    /// 家族 (with the resident's consent).
    FamilyWithConsent,
}

/// How the agreement was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AgreementMethod {
    /// On paper, kept in the facility's files.
    Paper,
    /// In the Azukari app on the signatory's phone.
    App,
    /// On the hub's family web page.
    Web,
}

/// What the agreement covers. The PIN envelope is consented to separately from everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementScope {
    /// Categories of items the facility may hold (a PIN envelope is never covered by this set).
    pub items: BTreeSet<ItemCategory>,
    /// Whether a sealed PIN envelope may also be held (暗証番号の預かり), consented to separately.
    pub pin_envelope: bool,
}

impl AgreementScope {
    /// Whether an item of `category` is covered.
    pub fn covers(&self, category: ItemCategory) -> bool {
        match category {
            ItemCategory::PinEnvelope => self.pin_envelope,
            other => self.items.contains(&other),
        }
    }
}

/// A custody agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyAgreement {
    /// Random id.
    pub id: AgreementId,
    /// Whose items it covers.
    pub resident: ResidentId,
    /// Who signed.
    pub signatory: Signatory,
    /// The signatory's name, sealed.
    pub signatory_name: Sealed,
    /// Relation to the resident (e.g. 長女), sealed.
    pub relation: Sealed,
    /// What it covers.
    pub scope: AgreementScope,
    /// The exact text agreed, sealed.
    pub text: Sealed,
    /// SHA-256 of the exact text agreed, so a copy can be shown to match without opening the seal.
    pub text_sha256: [u8; 32],
    /// How it was signed.
    pub method: AgreementMethod,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl CustodyAgreement {
    /// Whether the agreement is in force at `at`.
    pub fn is_active_at(&self, at: Timestamp) -> bool {
        self.signed_at <= at && self.revoked_at.is_none_or(|revoked| at < revoked)
    }
}
