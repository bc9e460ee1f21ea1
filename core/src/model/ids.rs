//! Identifiers. Every id is a random UUID (v4, or v7 for events so they sort by creation time): ids carry no
//! meaning, so a plaintext id column reveals nothing about a person.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random id.
            pub fn random() -> Self {
                $name(Uuid::new_v4())
            }

            /// The id as its 16 bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Parse the hyphenated text form.
            pub fn parse(text: &str) -> Result<Self, uuid::Error> {
                Uuid::parse_str(text).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A facility.
    FacilityId
);
id_type!(
    /// A device (phone, tablet, hub) that signs events.
    DeviceId
);
id_type!(
    /// A member of staff.
    StaffId
);
id_type!(
    /// A resident (入所者). Random, never derived from anything about the person.
    ResidentId
);
id_type!(
    /// An item held in custody.
    ItemId
);
id_type!(
    /// A locker, safe or cabinet.
    LockerId
);
id_type!(
    /// A custody agreement (預かり合意).
    AgreementId
);
id_type!(
    /// A checkout request that may need approval.
    RequestId
);
id_type!(
    /// An audit (棚卸し).
    AuditId
);
id_type!(
    /// An incident (lost or stolen card, leak).
    IncidentId
);
id_type!(
    /// An event in the ledger (UUIDv7: time-ordered).
    EventId
);

impl EventId {
    /// A new time-ordered event id.
    pub fn new_v7() -> Self {
        EventId(Uuid::now_v7())
    }
}
