//! The app kept across process death. Android and iOS stop apps in the background; what was on the screen and
//! the work under way must come back. The snapshot names ids only (no names, no notes in clear), and even so it
//! is sealed under the facility's key with AES-GCM, bound to this device (AAD: `app/state` + the device id), so
//! a snapshot copied to another device or edited does not open. The language is kept in clear so the unlock
//! screen already speaks it.

use super::error::AppError;
use super::event::FieldId;
use super::view::ScreenKind;
use super::{App, Flows};
use crate::crypto::{KeyOwner, Sealed};
use crate::flows::audit::AuditFlow;
use crate::flows::consent::ConsentFlow;
use crate::flows::handover::{HandoverFlow, HandoverSnapshot};
use crate::flows::incident::IncidentFlow;
use crate::i18n::Locale;
use crate::model::{AuditId, IncidentId, LockerId, ResidentId, StaffId};
use crate::store::Field;
use serde::{Deserialize, Serialize};

/// The saved bytes: the language, and the sealed rest when the store was open.
#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The format's version.
    version: u8,
    /// The display language.
    language: Locale,
    /// The sealed [`Snapshot`], when the store was open.
    sealed: Option<Sealed>,
}

/// What comes back after an unlock.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    stack: Vec<ScreenKind>,
    actor: Option<StaffId>,
    handover: HandoverSnapshot,
    audit: Option<(AuditId, Option<LockerId>)>,
    incident: Option<IncidentId>,
    consent: Option<ResidentId>,
    fields: Vec<(FieldId, String)>,
}

const VERSION: u8 = 1;

/// Seal the app's state.
pub(super) fn save(app: &mut App) -> Result<Vec<u8>, AppError> {
    let sealed = match app.session.as_mut() {
        None => None,
        Some(session) => {
            let snapshot = Snapshot {
                stack: app.stack.clone(),
                actor: session.actor_id().ok(),
                handover: app.flows.handover.snapshot(),
                audit: app
                    .flows
                    .audit
                    .audit()
                    .map(|audit| (audit, app.flows.audit.locker())),
                incident: app.flows.incident.incident(),
                consent: app.flows.consent.as_ref().map(ConsentFlow::resident),
                fields: app
                    .fields
                    .iter()
                    .filter(|(id, _)| **id != FieldId::RecoveryPassphrase)
                    .map(|(id, value)| (*id, value.clone()))
                    .collect(),
            };
            let text = serde_json::to_string(&snapshot).map_err(|_| AppError::SavedState)?;
            let row = *session.store().device_id().as_bytes();
            Some(session.store_mut().seal_field(
                Field::AppState,
                KeyOwner::Facility,
                &row,
                &text,
            )?)
        }
    };
    serde_json::to_vec(&Envelope {
        version: VERSION,
        language: app.locale,
        sealed,
    })
    .map_err(|_| AppError::SavedState)
}

/// Read the envelope: the language now, the sealed part at once if the store is open, else after unlock.
pub(super) fn restore(app: &mut App, bytes: &[u8]) -> Result<(), AppError> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|_| AppError::SavedState)?;
    if envelope.version != VERSION {
        return Err(AppError::SavedState);
    }
    app.locale = envelope.language;
    if let Some(session) = app.session.as_mut() {
        session.locale = envelope.language;
    }
    if envelope.sealed.is_some() {
        if app.session.is_some() {
            restore_sealed(app, bytes)?;
        } else {
            app.pending_restore = Some(bytes.to_vec());
        }
    }
    Ok(())
}

/// Open the sealed part with the open store and put the app back as it was.
pub(super) fn restore_sealed(app: &mut App, bytes: &[u8]) -> Result<(), AppError> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|_| AppError::SavedState)?;
    let sealed = envelope.sealed.ok_or(AppError::SavedState)?;
    let session = app.session.as_mut().ok_or(AppError::Locked)?;
    let row = *session.store().device_id().as_bytes();
    let text = session
        .store()
        .open_field(Field::AppState, &row, &sealed)
        .map_err(|_| AppError::SavedState)?;
    let snapshot: Snapshot = serde_json::from_str(&text).map_err(|_| AppError::SavedState)?;
    if let Some(actor) = snapshot.actor
        && session.sign_in(actor).is_err()
    {
        // The member of staff left the facility since: start at the sign-in screen.
        app.stack = vec![ScreenKind::SignIn];
        return Ok(());
    }
    let session = app.session.as_ref().ok_or(AppError::Locked)?;
    app.flows = Flows {
        handover: HandoverFlow::restore(session, snapshot.handover),
        audit: snapshot
            .audit
            .map(|(audit, locker)| AuditFlow::resume(session, audit, locker))
            .unwrap_or_default(),
        incident: snapshot
            .incident
            .map(IncidentFlow::resume)
            .unwrap_or_default(),
        consent: snapshot.consent.map(ConsentFlow::new),
        ..Flows::default()
    };
    app.fields = snapshot.fields.into_iter().collect();
    if !snapshot.stack.is_empty() {
        app.stack = snapshot.stack;
    }
    Ok(())
}
