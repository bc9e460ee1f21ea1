//! Staff and what they may be trusted with.

use super::StaffId;
use crate::crypto::Sealed;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What a member of staff is named to do. The guidance asks that the facility fixes which staff handle cards
/// (per time of day) and that PIN handling is limited to even fewer, named managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// 介護職員: everyday care; may carry items only when the rules allow.
    Caregiver,
    /// 取扱担当者: designated to check out and return cards and certificates.
    CardHandler,
    /// 暗証番号管理者: one of the few named to handle PIN envelopes.
    PinManager,
    /// 責任者: approves what the rules send for approval; runs audits.
    Supervisor,
    /// 管理者: sets up the facility, staff and policy.
    Admin,
    /// 監査担当: reads and verifies the ledger; changes nothing.
    Auditor,
}

/// A shift a member of staff works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Shift {
    /// 日勤.
    Day,
    /// 夜勤.
    Night,
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Random id.
    pub id: StaffId,
    /// Display name, sealed under the facility key.
    pub name: Sealed,
    /// Roles held.
    pub roles: BTreeSet<Role>,
    /// Shifts worked.
    pub shifts: BTreeSet<Shift>,
    /// Date of the last compliance training (個人情報保護研修), if any.
    pub trained_on: Option<NaiveDate>,
    /// Whether the staff member is still active; former staff stay in the ledger.
    pub active: bool,
}

impl Staff {
    /// Whether this member of staff holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}
