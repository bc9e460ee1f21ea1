//! Display labels shared by every flow: items, purposes, custody, people and places, localized.

use super::Session;
use crate::clock::Timestamp;
use crate::custody::Custody;
use crate::i18n::Arg;
use crate::ledger::ReleaseTo;
use crate::model::{
    ItemCategory, ItemId, LockerId, MunicipalProcedure, Purpose, ResidentId, StaffId,
};

/// Labels in the session's locale. Personal names are opened from their seals only here, for display.
pub struct Labels<'a> {
    session: &'a Session,
}

impl<'a> Labels<'a> {
    /// Labels for `session`.
    pub fn new(session: &'a Session) -> Self {
        Labels { session }
    }

    /// "佐藤 ハナ" — a resident's name, or a placeholder when erased or unreadable.
    pub fn resident(&self, id: ResidentId) -> String {
        let store = self.session.store();
        store
            .state()
            .residents
            .get(&id)
            .and_then(|r| store.resident_name(r).ok())
            .map(|name| name.to_string())
            .unwrap_or_else(|| self.session.catalog().text("flow-name-unavailable"))
    }

    /// A member of staff's name.
    pub fn staff(&self, id: StaffId) -> String {
        let store = self.session.store();
        store
            .state()
            .staff
            .get(&id)
            .and_then(|s| store.staff_name(s).ok())
            .map(|name| name.to_string())
            .unwrap_or_else(|| self.session.catalog().text("flow-name-unavailable"))
    }

    /// A locker's name.
    pub fn locker(&self, id: LockerId) -> String {
        self.session
            .store()
            .state()
            .lockers
            .get(&id)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| self.session.catalog().text("flow-name-unavailable"))
    }

    /// "マイナ保険証" — the kind of an item.
    pub fn category(&self, category: ItemCategory) -> String {
        let id = match category {
            ItemCategory::MynaCard => "item-myna-card",
            ItemCategory::PinEnvelope => "item-pin-envelope",
            ItemCategory::EligibilityCertificate => "item-eligibility-certificate",
            ItemCategory::EligibilityNotice => "item-eligibility-notice",
            ItemCategory::CareInsuranceCard => "item-care-insurance-card",
            ItemCategory::LegacyInsuranceCard => "item-legacy-insurance-card",
        };
        self.session.catalog().text(id)
    }

    /// "佐藤 ハナ様のマイナ保険証" — an item with its owner.
    pub fn item(&self, id: ItemId) -> String {
        let Some(record) = self.session.store().state().items.get(&id) else {
            return self.session.catalog().text("flow-name-unavailable");
        };
        self.session.catalog().format(
            "item-of-resident",
            &[
                ("resident", Arg::from(self.resident(record.item.resident))),
                (
                    "item",
                    Arg::from(self.category(record.item.kind.category())),
                ),
            ],
        )
    }

    /// "受診" — a purpose.
    pub fn purpose(&self, purpose: &Purpose) -> String {
        let id = match purpose {
            Purpose::MedicalVisit => "purpose-medical-visit",
            Purpose::EmergencyTransport => "purpose-emergency-transport",
            Purpose::MunicipalProcedure(MunicipalProcedure::Renewal) => "purpose-renewal",
            Purpose::MunicipalProcedure(MunicipalProcedure::FaceAuthSwitch) => {
                "purpose-face-auth-switch"
            }
            Purpose::MunicipalProcedure(MunicipalProcedure::Reissue) => "purpose-reissue",
            Purpose::ReturnToResident => "purpose-return-to-resident",
            Purpose::HandToFamily => "purpose-hand-to-family",
            Purpose::Discharge => "purpose-discharge",
            Purpose::Audit => "purpose-audit",
            Purpose::Other { .. } => "purpose-other",
        };
        self.session.catalog().text(id)
    }

    /// A time in Tokyo as people read it: "2026年11月24日（令和8年） 14:30" / "24 Nov 2026 14:30".
    pub fn time(&self, at: Timestamp) -> String {
        crate::app::format::date_time(at, self.session.locale)
    }

    /// A date as people read it: "2026年11月24日（令和8年）" / "24 Nov 2026".
    pub fn date(&self, date: chrono::NaiveDate) -> String {
        crate::app::format::date(date, self.session.locale)
    }

    /// Where an item is, in words ("保管中：保険証ロッカー A", "持出中：山田（受診）返却予定 12:00").
    pub fn custody(&self, custody: &Custody) -> String {
        let catalog = self.session.catalog();
        match custody {
            Custody::InLocker { locker, .. } => catalog.format(
                "custody-in-locker",
                &[("locker", Arg::from(self.locker(*locker)))],
            ),
            Custody::Out {
                holder,
                purpose,
                due_at,
                ..
            } => catalog.format(
                if *due_at < self.session.now() {
                    "custody-overdue"
                } else {
                    "custody-out"
                },
                &[
                    ("holder", Arg::from(self.staff(*holder))),
                    ("purpose", Arg::from(self.purpose(purpose))),
                    ("due", Arg::from(self.time(*due_at))),
                ],
            ),
            Custody::WithHospital { since } => catalog.format(
                "custody-with-hospital",
                &[("since", Arg::from(self.time(*since)))],
            ),
            Custody::Lost { since, .. } => {
                catalog.format("custody-lost", &[("since", Arg::from(self.time(*since)))])
            }
            Custody::Released { to, at } => catalog.format(
                match to {
                    ReleaseTo::Resident => "custody-released-resident",
                    ReleaseTo::Family => "custody-released-family",
                    ReleaseTo::Discharge => "custody-released-discharge",
                },
                &[("at", Arg::from(self.time(*at)))],
            ),
        }
    }
}
