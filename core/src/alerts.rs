//! What needs attention: items overdue, certificates and cards expiring, audits and training due, agreements
//! missing or revoked, discrepancies, open incidents and their deadlines. Computed from the custody state at a
//! given time; [`Alert::message`] words each one in the chosen language through the catalogue.

use crate::clock::Timestamp;
use crate::custody::{Custody, CustodyState, Discrepancy};
use crate::i18n::{Arg, Locale, catalog};
use crate::ledger::{IncidentKind, IncidentStep};
use crate::model::{
    IncidentId, ItemCategory, ItemId, MunicipalProcedure, Purpose, ResidentId, StaffId,
};
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// How far ahead and how often, as a facility would set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettings {
    /// Warn this many days before a card's certificate expires (renewal notices come 2–3 months ahead).
    pub certificate_warning_days: u64,
    /// Warn this many days before a card or a 資格確認書 expires.
    pub document_warning_days: u64,
    /// An audit is due this many days after the last completed one (monthly by default).
    pub audit_interval_days: u64,
    /// Compliance training is valid this many days.
    pub training_valid_days: u64,
    /// Warn this many days before training lapses.
    pub training_warning_days: u64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            certificate_warning_days: 90,
            document_warning_days: 60,
            audit_interval_days: 31,
            training_valid_days: 365,
            training_warning_days: 30,
        }
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Severity {
    /// Act now.
    Urgent,
    /// Act soon.
    Warning,
    /// For information.
    Info,
}

/// Something that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alert {
    /// An item is out past its due time.
    Overdue {
        /// The item.
        item: ItemId,
        /// Who has it.
        holder: StaffId,
        /// When it was due.
        due_at: Timestamp,
    },
    /// A card's certificate expires soon.
    CertificateExpiring {
        /// The card.
        item: ItemId,
        /// Expiry date.
        expires_on: NaiveDate,
    },
    /// A card's certificate expired; the card still works as insurance card until `grace_ends_on`.
    CertificateInGrace {
        /// The card.
        item: ItemId,
        /// Expiry date.
        expired_on: NaiveDate,
        /// End of the 3-month grace.
        grace_ends_on: NaiveDate,
    },
    /// A card's certificate expired more than 3 months ago: use the 資格確認書.
    CertificateLapsed {
        /// The card.
        item: ItemId,
        /// Expiry date.
        expired_on: NaiveDate,
    },
    /// A card expires soon or has expired.
    CardExpiring {
        /// The card.
        item: ItemId,
        /// Expiry date.
        expires_on: NaiveDate,
    },
    /// A 資格確認書 expires soon or has expired.
    EligibilityCertificateExpiring {
        /// The certificate.
        item: ItemId,
        /// Expiry date.
        expires_on: NaiveDate,
    },
    /// A legacy 健康保険証 is held: historical only, unusable since 2025-12-02.
    LegacyCardHistorical {
        /// The card.
        item: ItemId,
    },
    /// A periodic audit is due.
    AuditDue {
        /// When the last audit completed, if ever.
        last_completed: Option<Timestamp>,
    },
    /// A member of staff's compliance training lapses soon, has lapsed, or never happened.
    TrainingDue {
        /// Who.
        staff: StaffId,
        /// When it lapses (None: never trained).
        lapses_on: Option<NaiveDate>,
    },
    /// The facility holds an item with no agreement.
    AgreementMissing {
        /// The item.
        item: ItemId,
        /// Whose.
        resident: ResidentId,
    },
    /// The agreement covering an item was revoked: it must be released.
    AgreementRevoked {
        /// The item.
        item: ItemId,
        /// Whose.
        resident: ResidentId,
    },
    /// A discrepancy for a supervisor.
    Discrepancy(Discrepancy),
    /// An incident is open; `next_step` is the first checklist step not yet done, with its deadline if any.
    IncidentOpen {
        /// The incident.
        incident: IncidentId,
        /// What happened.
        kind: IncidentKind,
        /// The next step to do.
        next_step: Option<IncidentStep>,
        /// The deadline of that step.
        deadline: Option<Timestamp>,
    },
}

/// The default time an item may stay out for `purpose`, in minutes.
pub fn default_minutes_out(purpose: &Purpose) -> i64 {
    match purpose {
        Purpose::MedicalVisit => 4 * 60,
        Purpose::EmergencyTransport => 24 * 60,
        Purpose::MunicipalProcedure(MunicipalProcedure::Renewal | MunicipalProcedure::Reissue) => {
            6 * 60
        }
        Purpose::MunicipalProcedure(MunicipalProcedure::FaceAuthSwitch) => 6 * 60,
        Purpose::ReturnToResident | Purpose::HandToFamily | Purpose::Discharge => 2 * 60,
        Purpose::Audit => 60,
        Purpose::Other { .. } => 2 * 60,
    }
}

/// The checklist of an incident of `kind`, in order (DOMAIN.md "Lost card" and "Leak").
pub fn incident_checklist(kind: IncidentKind) -> &'static [IncidentStep] {
    use IncidentStep::*;
    match kind {
        IncidentKind::LostInside => &[
            SuspensionCall,
            CityOfficeLossReport,
            InterimCertificateApplied,
            ReissueApplied,
        ],
        IncidentKind::LostOutside | IncidentKind::Stolen => &[
            SuspensionCall,
            PoliceReport,
            CityOfficeLossReport,
            InterimCertificateApplied,
            ReissueApplied,
        ],
        IncidentKind::Leak => &[PpcPreliminaryReport, PersonNotified, PpcFinalReport],
    }
}

/// The deadline of a step of an incident opened at `opened_at`: the suspension call at once, the PPC's
/// preliminary report within about 3–5 days (5 counted), the final report within 30 days.
pub fn step_deadline(step: IncidentStep, opened_at: Timestamp) -> Option<Timestamp> {
    let days = |n: i64| Some(opened_at.plus_minutes(n * 24 * 60));
    match step {
        IncidentStep::SuspensionCall => Some(opened_at),
        IncidentStep::PpcPreliminaryReport => days(5),
        IncidentStep::PpcFinalReport => days(30),
        _ => None,
    }
}

/// Every alert at `now`, most urgent first.
pub fn alerts(state: &CustodyState, now: Timestamp, settings: &AlertSettings) -> Vec<Alert> {
    let today = now.tokyo_date();
    let mut found: Vec<Alert> = Vec::new();
    let after = |days: u64| today.checked_add_days(Days::new(days)).unwrap_or(today);
    for (id, record) in &state.items {
        if record.retired || !record.custody.is_held() {
            continue;
        }
        let item = &record.item;
        if let Custody::Out { holder, due_at, .. } = record.custody
            && due_at < now
        {
            found.push(Alert::Overdue {
                item: *id,
                holder,
                due_at,
            });
        }
        match item.kind.category() {
            ItemCategory::MynaCard => {
                if let Some(expires_on) = item.certificate_expires_on {
                    let grace_ends_on = expires_on
                        .checked_add_months(Months::new(3))
                        .unwrap_or(expires_on);
                    if today > grace_ends_on {
                        found.push(Alert::CertificateLapsed {
                            item: *id,
                            expired_on: expires_on,
                        });
                    } else if today > expires_on {
                        found.push(Alert::CertificateInGrace {
                            item: *id,
                            expired_on: expires_on,
                            grace_ends_on,
                        });
                    } else if expires_on <= after(settings.certificate_warning_days) {
                        found.push(Alert::CertificateExpiring {
                            item: *id,
                            expires_on,
                        });
                    }
                }
                if let Some(expires_on) = item.card_expires_on
                    && expires_on <= after(settings.document_warning_days)
                {
                    found.push(Alert::CardExpiring {
                        item: *id,
                        expires_on,
                    });
                }
            }
            ItemCategory::EligibilityCertificate => {
                if let Some(expires_on) = item.document_expires_on
                    && expires_on <= after(settings.document_warning_days)
                {
                    found.push(Alert::EligibilityCertificateExpiring {
                        item: *id,
                        expires_on,
                    });
                }
            }
            ItemCategory::LegacyInsuranceCard => {
                found.push(Alert::LegacyCardHistorical { item: *id })
            }
            _ => {}
        }
    }

    let last_completed = state.audits.values().filter_map(|a| a.completed_at).max();
    let audit_due = last_completed.is_none_or(|at| {
        at.tokyo_date()
            .checked_add_days(Days::new(settings.audit_interval_days))
            .is_none_or(|due| due <= today)
    });
    if audit_due {
        found.push(Alert::AuditDue { last_completed });
    }

    for staff in state.staff.values().filter(|s| s.active) {
        let lapses_on = staff
            .trained_on
            .and_then(|d| d.checked_add_days(Days::new(settings.training_valid_days)));
        if lapses_on.is_none_or(|lapses| lapses <= after(settings.training_warning_days)) {
            found.push(Alert::TrainingDue {
                staff: staff.id,
                lapses_on,
            });
        }
    }

    for discrepancy in state.discrepancies(now) {
        match discrepancy {
            Discrepancy::CustodyWithoutAgreement { item, resident } => {
                let category = state.items.get(&item).map(|r| r.item.kind.category());
                let revoked = state.agreements.values().any(|a| {
                    a.resident == resident
                        && category.is_some_and(|c| a.scope.covers(c))
                        && a.revoked_at.is_some_and(|r| r <= now)
                });
                found.push(if revoked {
                    Alert::AgreementRevoked { item, resident }
                } else {
                    Alert::AgreementMissing { item, resident }
                });
            }
            other => found.push(Alert::Discrepancy(other)),
        }
    }

    for (id, incident) in &state.incidents {
        if incident.closed_at.is_some() {
            continue;
        }
        let done: Vec<IncidentStep> = incident.steps.iter().map(|(s, _)| *s).collect();
        let next_step = incident_checklist(incident.kind)
            .iter()
            .copied()
            .find(|s| !done.contains(s));
        let deadline = next_step.and_then(|s| step_deadline(s, incident.opened_at));
        found.push(Alert::IncidentOpen {
            incident: *id,
            kind: incident.kind,
            next_step,
            deadline,
        });
    }

    found.sort_by_key(|alert| alert.severity(now));
    found
}

impl Alert {
    /// How urgent the alert is at `now`.
    pub fn severity(&self, now: Timestamp) -> Severity {
        match self {
            Alert::Overdue { .. }
            | Alert::CertificateLapsed { .. }
            | Alert::AgreementRevoked { .. }
            | Alert::AgreementMissing { .. }
            | Alert::Discrepancy(_) => Severity::Urgent,
            Alert::IncidentOpen { deadline, .. } => {
                if deadline.is_some_and(|d| d <= now.plus_minutes(24 * 60)) {
                    Severity::Urgent
                } else {
                    Severity::Warning
                }
            }
            Alert::LegacyCardHistorical { .. } => Severity::Info,
            _ => Severity::Warning,
        }
    }

    /// The message id of this alert in the catalogue.
    pub fn message_id(&self) -> &'static str {
        match self {
            Alert::Overdue { .. } => "alert-overdue",
            Alert::CertificateExpiring { .. } => "alert-certificate-expiring",
            Alert::CertificateInGrace { .. } => "alert-certificate-in-grace",
            Alert::CertificateLapsed { .. } => "alert-certificate-lapsed",
            Alert::CardExpiring { .. } => "alert-card-expiring",
            Alert::EligibilityCertificateExpiring { .. } => {
                "alert-eligibility-certificate-expiring"
            }
            Alert::LegacyCardHistorical { .. } => "alert-legacy-card-historical",
            Alert::AuditDue {
                last_completed: None,
            } => "alert-audit-never",
            Alert::AuditDue { .. } => "alert-audit-due",
            Alert::TrainingDue {
                lapses_on: None, ..
            } => "alert-training-never",
            Alert::TrainingDue { .. } => "alert-training-due",
            Alert::AgreementMissing { .. } => "alert-agreement-missing",
            Alert::AgreementRevoked { .. } => "alert-agreement-revoked",
            Alert::Discrepancy(Discrepancy::DoubleCheckout { .. }) => "alert-double-checkout",
            Alert::Discrepancy(Discrepancy::ReturnWithoutCheckout { .. }) => {
                "alert-return-without-checkout"
            }
            Alert::Discrepancy(Discrepancy::ReturnToWrongLocker { .. }) => {
                "alert-return-to-wrong-locker"
            }
            Alert::Discrepancy(Discrepancy::HandoverNotFromHolder { .. }) => {
                "alert-handover-not-from-holder"
            }
            Alert::Discrepancy(Discrepancy::UnknownItem { .. }) => "alert-unknown-item",
            Alert::Discrepancy(Discrepancy::CustodyWithoutAgreement { .. }) => {
                "alert-agreement-missing"
            }
            Alert::Discrepancy(Discrepancy::PinEnvelopeWithCard { .. }) => "alert-pin-with-card",
            Alert::Discrepancy(Discrepancy::CardMismatch { .. }) => "alert-card-mismatch",
            Alert::IncidentOpen {
                kind: IncidentKind::Leak,
                ..
            } => "alert-leak-open",
            Alert::IncidentOpen { .. } => "alert-incident-open",
        }
    }

    /// The alert in words. `subject` names what it is about (e.g. "佐藤 ハナ様のマイナ保険証"), as the caller
    /// can open it; dates are shown in Tokyo time.
    pub fn message(&self, locale: Locale, subject: &str) -> String {
        let date = |d: &NaiveDate| Arg::Text(crate::app::format::date(*d, locale));
        let time = |t: &Timestamp| Arg::Text(crate::app::format::date_time(*t, locale));
        let mut args: Vec<(&str, Arg)> = vec![("subject", Arg::Text(subject.to_string()))];
        match self {
            Alert::Overdue { due_at, .. } => args.push(("due", time(due_at))),
            Alert::CertificateExpiring { expires_on, .. }
            | Alert::CardExpiring { expires_on, .. }
            | Alert::EligibilityCertificateExpiring { expires_on, .. } => {
                args.push(("date", date(expires_on)))
            }
            Alert::CertificateInGrace {
                expired_on,
                grace_ends_on,
                ..
            } => {
                args.push(("date", date(expired_on)));
                args.push(("grace", date(grace_ends_on)));
            }
            Alert::CertificateLapsed { expired_on, .. } => args.push(("date", date(expired_on))),
            Alert::AuditDue {
                last_completed: Some(at),
            } => args.push(("date", time(at))),
            Alert::TrainingDue {
                lapses_on: Some(on),
                ..
            } => args.push(("date", date(on))),
            Alert::IncidentOpen {
                next_step,
                deadline,
                ..
            } => {
                let step = next_step.map_or("incident-step-none", step_message_id);
                args.push(("step", Arg::Text(catalog(locale).text(step))));
                args.push((
                    "deadline",
                    deadline.as_ref().map_or(Arg::Text("-".into()), time),
                ));
            }
            _ => {}
        }
        catalog(locale).format(self.message_id(), &args)
    }
}

/// The message id of an incident checklist step.
pub fn step_message_id(step: IncidentStep) -> &'static str {
    match step {
        IncidentStep::SuspensionCall => "incident-step-suspension-call",
        IncidentStep::PoliceReport => "incident-step-police-report",
        IncidentStep::CityOfficeLossReport => "incident-step-city-office-loss-report",
        IncidentStep::ReissueApplied => "incident-step-reissue",
        IncidentStep::InterimCertificateApplied => "incident-step-interim-certificate",
        IncidentStep::PpcPreliminaryReport => "incident-step-ppc-preliminary",
        IncidentStep::PpcFinalReport => "incident-step-ppc-final",
        IncidentStep::PersonNotified => "incident-step-person-notified",
    }
}
