//! The facility store as the apps hold it: create, unlock, lock; who is signed in on this shared device and in
//! which language; alerts; label sheets; the ledger for auditors.
//!
//! A [`Facility`] wraps the core's `Session` (the open store, the rules in force, the signed-in member of staff)
//! behind a mutex, so one facility can be shared by every screen of an app. Every method that reads or writes the
//! store is **blocking** (SQLite with `synchronous=FULL`; creating and recovering also run Argon2id): the shells
//! call them off the UI thread. Locking drops the session, and with it every key in memory.

use crate::convert;
use crate::error::{AzukariError, Localized};
use crate::platform::{KeyVault, VaultAdapter};
use crate::views::{
    AlertView, IssuedLabel, LabelLayout, LabelSheet, LabelSheetFormat, Language, LedgerExport,
    LedgerReport,
};
use azukari_core::clock::{Clock, SystemClock};
use azukari_core::crypto::KdfParams;
use azukari_core::flows::Session;
use azukari_core::flows::board::BoardFlow;
use azukari_core::ledger::{EventBody, VerifyMode, verify_log};
use azukari_core::model::{LockerId, Role, Shift, StaffId};
use azukari_core::qr::{LabelFont, LabelPayload, issue_sheet, sheet_pdf, sheet_svgs};
use azukari_core::store::{CreateOptions, OpenOptions, Store, Unlock};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A facility's store on this device, unlocked (or locked again). Shared by every screen of the app.
#[derive(uniffi::Object)]
pub struct Facility {
    session: Mutex<Option<Session>>,
}

impl Facility {
    /// A facility over an open store.
    pub(crate) fn over(store: Store) -> Result<Arc<Facility>, AzukariError> {
        let session = Session::new(store).map_err(|e| Localized(e, Default::default()))?;
        Ok(Arc::new(Facility {
            session: Mutex::new(Some(session)),
        }))
    }

    /// Create a store for a new facility with its founding administrator, who is signed in.
    pub(crate) fn found(
        path: &str,
        facility_name: &str,
        administrator_name: &str,
        recovery_passphrase: &str,
        kdf: KdfParams,
        vault: Arc<dyn KeyVault>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Facility>, AzukariError> {
        let vault = VaultAdapter(vault);
        let options = CreateOptions {
            facility_name,
            recovery_passphrase,
            kdf,
            vault: &vault,
        };
        let mut store = Store::create(Path::new(path), options, clock)?;
        // The founding administrator, recorded as the facility's first member of staff: nobody is signed in yet,
        // so nobody else could record them (the demo facility is founded the same way).
        let trained_on = None;
        let administrator = store.new_staff(
            administrator_name,
            &[Role::Admin, Role::Supervisor],
            &[Shift::Day],
            trained_on,
        )?;
        let administrator_id = administrator.id;
        store.append(
            None,
            EventBody::StaffAdded {
                staff: administrator,
            },
        )?;
        let facility = Facility::over(store)?;
        facility.with_session(|session| {
            session
                .sign_in(administrator_id)
                .map_err(|e| Localized(e, session.locale).into())
        })?;
        Ok(facility)
    }

    /// Open the store at `path` with `unlock`.
    pub(crate) fn open(
        path: &str,
        unlock: Unlock<'_>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Facility>, AzukariError> {
        let store = Store::open(Path::new(path), unlock, OpenOptions::default(), clock)?;
        Facility::over(store)
    }

    fn guard(&self) -> MutexGuard<'_, Option<Session>> {
        // A panic while the lock was held leaves the session as the core left it: every core write is one
        // transaction, so the store is consistent either way.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Run `f` on the open session; [`AzukariError::LockedStore`] once locked.
    pub(crate) fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, AzukariError>,
    ) -> Result<T, AzukariError> {
        let mut guard = self.guard();
        let session = guard.as_mut().ok_or_else(AzukariError::locked)?;
        f(session)
    }
}

#[uniffi::export]
impl Facility {
    /// Create the store of a new facility at `path` (a file that must not exist yet), unlockable every day with
    /// `vault` and, when the vault loses its key, with `recovery_passphrase` (at least 16 characters; see
    /// `generateRecoveryPassphrase`). The founding administrator `administrator_name` is recorded and signed in.
    /// Blocking (Argon2id with production parameters, then SQLite): call off the UI thread.
    #[uniffi::constructor]
    pub fn create(
        path: String,
        facility_name: String,
        administrator_name: String,
        recovery_passphrase: String,
        vault: Arc<dyn KeyVault>,
    ) -> Result<Arc<Facility>, AzukariError> {
        Facility::found(
            &path,
            &facility_name,
            &administrator_name,
            &recovery_passphrase,
            KdfParams::default(),
            vault,
            Arc::new(SystemClock),
        )
    }

    /// Unlock the store at `path` with the platform key vault (every day). Nobody is signed in.
    /// Blocking: call off the UI thread.
    #[uniffi::constructor]
    pub fn unlock_with_vault(
        path: String,
        vault: Arc<dyn KeyVault>,
    ) -> Result<Arc<Facility>, AzukariError> {
        let vault = VaultAdapter(vault);
        Facility::open(&path, Unlock::Vault(&vault), Arc::new(SystemClock))
    }

    /// Unlock the store at `path` with the administrator's recovery passphrase (when the key vault lost its key);
    /// then call `rewrap_for_vault` so the next unlock needs no passphrase. Nobody is signed in.
    /// Blocking (Argon2id): call off the UI thread.
    #[uniffi::constructor]
    pub fn unlock_with_recovery_passphrase(
        path: String,
        recovery_passphrase: String,
    ) -> Result<Arc<Facility>, AzukariError> {
        Facility::open(
            &path,
            Unlock::RecoveryPassphrase(&recovery_passphrase),
            Arc::new(SystemClock),
        )
    }

    /// Wrap the data key for `vault` again (after a recovery on a phone whose keystore was reset).
    /// Blocking: call off the UI thread.
    pub fn rewrap_for_vault(&self, vault: Arc<dyn KeyVault>) -> Result<(), AzukariError> {
        self.with_session(|session| {
            Ok(session.store_mut().rewrap_for_vault(&VaultAdapter(vault))?)
        })
    }

    /// Lock the store: save its snapshot, close the database and forget every key. Every later call fails with
    /// `LockedStore` until the app unlocks a new `Facility`. Locking a locked facility does nothing.
    /// Blocking: call off the UI thread.
    pub fn lock(&self) -> Result<(), AzukariError> {
        let session = self.guard().take();
        match session {
            Some(session) => Ok(session.into_store().close()?),
            None => Ok(()),
        }
    }

    /// Whether the store is locked.
    pub fn is_locked(&self) -> bool {
        self.guard().is_none()
    }

    /// The facility's id.
    pub fn facility_id(&self) -> Result<String, AzukariError> {
        self.with_session(|session| Ok(session.store().facility_id().to_string()))
    }

    /// This device's id in the facility's ledger.
    pub fn device_id(&self) -> Result<String, AzukariError> {
        self.with_session(|session| Ok(session.store().device_id().to_string()))
    }

    /// Sign in a member of staff on this shared device (their id, from the setup screen's staff list).
    pub fn sign_in(&self, staff_id: String) -> Result<(), AzukariError> {
        let staff: StaffId = convert::id(&staff_id)?;
        self.with_session(|session| {
            session
                .sign_in(staff)
                .map_err(|e| Localized(e, session.locale).into())
        })
    }

    /// Sign out whoever is signed in.
    pub fn sign_out(&self) -> Result<(), AzukariError> {
        self.with_session(|session| {
            session.sign_out();
            Ok(())
        })
    }

    /// The id of the member of staff signed in, if anyone is.
    pub fn signed_in_staff_id(&self) -> Result<Option<String>, AzukariError> {
        self.with_session(|session| Ok(session.actor_id().ok().map(|id| id.to_string())))
    }

    /// Show every screen in `language` from now on.
    pub fn set_language(&self, language: Language) -> Result<(), AzukariError> {
        self.with_session(|session| {
            session.locale = language.into();
            Ok(())
        })
    }

    /// The display language.
    pub fn language(&self) -> Result<Language, AzukariError> {
        self.with_session(|session| Ok(session.locale.into()))
    }

    /// What needs attention now, most urgent first (the board's alerts; empty when nobody is signed in).
    pub fn alerts(&self) -> Result<Vec<AlertView>, AzukariError> {
        self.with_session(|session| {
            Ok(BoardFlow::new()
                .view(session)
                .alerts
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    /// Verify a scanned locker label offline and return its locker's id (for the audit screen; the handover
    /// screen takes the scanned text itself with `HandoverIntent.ScanLabel`). Fails with `InvalidQr`.
    pub fn scan_label(&self, text: String) -> Result<String, AzukariError> {
        self.with_session(|session| {
            let locker = LabelPayload::parse(&text)
                .and_then(|label| label.verify(session.store().state()))
                .map_err(|e| Localized(e, session.locale))?;
            Ok(locker.to_string())
        })
    }

    /// Issue a new QR label for each locker (recorded in the ledger by the signed-in member of staff; each
    /// supersedes the locker's earlier labels) and lay them out on A4 label sheets, as SVG pages or one PDF.
    /// `hub_host` is the facility hub's host name, which the label URLs name. Blocking: call off the UI thread.
    pub fn issue_label_sheet(
        &self,
        locker_ids: Vec<String>,
        hub_host: String,
        layout: LabelLayout,
        format: LabelSheetFormat,
    ) -> Result<LabelSheet, AzukariError> {
        let lockers = locker_ids
            .iter()
            .map(|text| convert::id(text))
            .collect::<Result<Vec<LockerId>, _>>()?;
        let layout = layout.into();
        self.with_session(|session| {
            let locale = session.locale;
            let actor = session.actor_id().map_err(|e| Localized(e, locale))?;
            // The font is looked for before any label is issued, so a missing font records nothing.
            let font = match &format {
                LabelSheetFormat::Svg => None,
                LabelSheetFormat::Pdf {
                    font_path: Some(path),
                } => Some(LabelFont::from_file(Path::new(path))),
                LabelSheetFormat::Pdf { font_path: None } => Some(LabelFont::find()),
            }
            .transpose()
            .map_err(|e| Localized(e, locale))?;
            let labels = issue_sheet(session.store_mut(), Some(actor), &lockers, &hub_host)
                .map_err(|e| Localized(e, locale))?;
            let issued: Vec<IssuedLabel> = labels.iter().map(Into::into).collect();
            let sheet = match font {
                None => LabelSheet {
                    labels: issued,
                    svg_pages: sheet_svgs(&labels, &layout).map_err(|e| Localized(e, locale))?,
                    pdf: None,
                },
                Some(font) => LabelSheet {
                    labels: issued,
                    svg_pages: Vec::new(),
                    pdf: Some(
                        sheet_pdf(&labels, &layout, &font).map_err(|e| Localized(e, locale))?,
                    ),
                },
            };
            Ok(sheet)
        })
    }

    /// Verify every signature and hash chain of the local ledger against the facility's trust anchor and the
    /// store's authenticated head. Fails with `LedgerInvalid`. Blocking: call off the UI thread.
    pub fn verify_ledger(&self) -> Result<LedgerReport, AzukariError> {
        self.with_session(|session| Ok(session.store().verify(VerifyMode::EverySignature)?.into()))
    }

    /// The ledger (管理簿) for an auditor: every signed event as bytes, the trust anchor, and the verification of
    /// every signature. Fails with `LedgerInvalid` if it does not verify. Blocking: call off the UI thread.
    pub fn export_ledger(&self) -> Result<LedgerExport, AzukariError> {
        self.with_session(|session| {
            let store = session.store();
            let report = store.verify(VerifyMode::EverySignature)?;
            let anchor = store.trust_anchor();
            Ok(LedgerExport {
                facility_id: anchor.facility.to_string(),
                founding_device_id: anchor.founding_device.to_string(),
                founding_public_key: anchor.founding_key.0.clone(),
                events: store.events()?.into_iter().map(Into::into).collect(),
                report: report.into(),
            })
        })
    }
}

/// Verify an exported ledger offline, as an auditor does: every event's signature and hash chain from the
/// facility's founding device on. Compare the report's `log_hash` with the one the facility gave you. Fails with
/// `LedgerInvalid` when anything was added, removed or changed. Blocking.
#[uniffi::export]
pub fn verify_ledger_export(export: LedgerExport) -> Result<LedgerReport, AzukariError> {
    let anchor = convert::trust_anchor(&export)?;
    let events: Vec<azukari_core::ledger::SignedEvent> =
        export.events.into_iter().map(Into::into).collect();
    Ok(verify_log(&events, &anchor, None, VerifyMode::EverySignature)?.into())
}

/// A new random recovery passphrase for the administrator to write down when creating a facility.
#[uniffi::export]
pub fn generate_recovery_passphrase() -> Result<String, AzukariError> {
    Ok(azukari_core::crypto::generate_recovery_passphrase()?.to_string())
}
