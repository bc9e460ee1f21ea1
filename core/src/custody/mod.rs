//! The custody fold: events in, the state of every item out.
//!
//! The fold is deterministic: it orders events by [`FoldKey`] (recorded time, then device and its sequence
//! number) and ignores an event it has already seen, so the same *set* of events gives the same state on every
//! device and on the hub, whatever order they arrived in. A fact recorded offline is never rejected here; when
//! two facts conflict — the same card checked out twice, a return without a checkout — the fold records a
//! [`Discrepancy`] for a supervisor instead.

mod discrepancy;
mod fold;
mod state;

pub use discrepancy::Discrepancy;
pub use fold::{Applied, CustodyFold, FoldKey};
pub use state::{
    AuditRecord, Custody, CustodyState, IncidentRecord, ItemRecord, RequestRecord, RequestStatus,
};
