//! Plain domain types: the vocabulary of shared/design/DOMAIN.md in code. No behaviour beyond what the types
//! themselves mean; rules live in later modules, storage in [`crate::store`].
//!
//! Personal data (names, kana, rooms, envelope numbers, card fingerprints, agreement texts) is never held here in
//! plaintext: such fields are [`Sealed`] values, encrypted under the resident's own key by [`crate::crypto`].

mod agreement;
mod ids;
mod item;
mod purpose;
mod staff;

pub use agreement::{
    AgreementMethod, AgreementScope, CustodyAgreement, LegalRepresentative, Signatory,
};
pub use ids::{
    AgreementId, AuditId, DeviceId, EventId, FacilityId, IncidentId, ItemId, LockerId, RequestId,
    ResidentId, StaffId,
};
pub use item::{CardAuth, Item, ItemCategory, ItemKind, Locker, LockerKind, Resident};
pub use purpose::{MunicipalProcedure, Purpose};
pub use staff::{Role, Shift, Staff};

pub use crate::crypto::Sealed;

use serde::{Deserialize, Serialize};

/// A facility (施設): a nursing home, group home or disability-support facility that holds residents' items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    /// Random id of the facility.
    pub id: FacilityId,
    /// The facility's public name, as printed on locker labels (not personal data).
    pub name: String,
}
