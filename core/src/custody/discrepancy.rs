//! Discrepancies: conflicts between facts, for a supervisor to resolve. Never an error, never a rejection.

use crate::clock::Timestamp;
use crate::model::{EventId, ItemId, LockerId, ResidentId, StaffId};
use serde::{Deserialize, Serialize};

/// A conflict the fold found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Discrepancy {
    /// An item was checked out while it was already out (e.g. two offline devices).
    DoubleCheckout {
        /// The item.
        item: ItemId,
        /// Who held it.
        holder: StaffId,
        /// Who checked it out again.
        second: StaffId,
        /// The second checkout.
        event: EventId,
        /// When.
        at: Timestamp,
    },
    /// An item was returned although the ledger had it in a locker.
    ReturnWithoutCheckout {
        /// The item.
        item: ItemId,
        /// The return.
        event: EventId,
        /// When.
        at: Timestamp,
    },
    /// An item was returned into a locker other than its home locker.
    ReturnToWrongLocker {
        /// The item.
        item: ItemId,
        /// Its home locker.
        expected: LockerId,
        /// Where it went.
        actual: LockerId,
        /// The return.
        event: EventId,
        /// When.
        at: Timestamp,
    },
    /// An item was handed over by someone who, by the ledger, did not hold it.
    HandoverNotFromHolder {
        /// The item.
        item: ItemId,
        /// The handover.
        event: EventId,
        /// When.
        at: Timestamp,
    },
    /// An event names an item the ledger does not know (yet).
    UnknownItem {
        /// The item.
        item: ItemId,
        /// The event.
        event: EventId,
    },
    /// The facility holds an item that no active agreement covers (missing or revoked): it must be released.
    CustodyWithoutAgreement {
        /// The item.
        item: ItemId,
        /// Whose.
        resident: ResidentId,
    },
    /// A PIN envelope lies in the same locker as the same resident's card: the PIN must be kept apart.
    PinEnvelopeWithCard {
        /// Whose.
        resident: ResidentId,
        /// The locker holding both.
        locker: LockerId,
    },
    /// A card tapped to return an item was not the item's card (the return was refused).
    CardMismatch {
        /// The item.
        item: ItemId,
        /// The refused return.
        event: EventId,
        /// When.
        at: Timestamp,
    },
}
