//! One object per screen, each holding the core's state machine for it and the [`Facility`] it works on.
//!
//! A shell renders `view()` and sends the user's intents to `handle()`, which returns the new view. A refused
//! intent throws an [`AzukariError`] (nothing was written) and leaves the reason as a notice in the next `view()`.
//! Every method here reads the store and is **blocking**; intents that record something also commit to disk.
//! Call them off the UI thread.

use crate::convert;
use crate::error::{AzukariError, Localized};
use crate::facility::Facility;
use crate::intents::{
    ApprovalIntent, AuditIntent, BoardIntent, ConsentIntent, HandoverIntent, IncidentIntent,
    ItemForm, SetupIntent,
};
use crate::platform::{CardAdapter, CardTransceiver};
use crate::views::{
    ApprovalView, AuditView, BoardView, ConsentOffer, ConsentView, HandoverView, IncidentView,
    SetupDone, SetupView,
};
use azukari_core::flows::{FlowError, Session, approval, audit, board, consent, handover};
use azukari_core::flows::{incident, setup};
use azukari_core::model::{IncidentId, ResidentId};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The flow's lock; a panic inside the core leaves the flow as it was before the intent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A core flow's refusal, worded in the session's language.
fn refused(session: &Session) -> impl Fn(FlowError) -> AzukariError + '_ {
    move |error| Localized(error, session.locale).into()
}

/// The caregiver's handover screen: scan a locker → item → purpose → the rules' decision → (approval) →
/// checkout; and back: scan → item → tap the card → return. Also hand over to a colleague and release.
#[derive(uniffi::Object)]
pub struct HandoverFlow {
    facility: Arc<Facility>,
    flow: Mutex<handover::HandoverFlow>,
}

#[uniffi::export]
impl HandoverFlow {
    /// A handover screen waiting for a locker scan.
    #[uniffi::constructor]
    pub fn new(facility: Arc<Facility>) -> Arc<Self> {
        Arc::new(HandoverFlow {
            facility,
            flow: Mutex::new(handover::HandoverFlow::new()),
        })
    }

    /// The screen. Blocking.
    pub fn view(&self) -> Result<HandoverView, AzukariError> {
        let flow = lock(&self.flow);
        self.facility
            .with_session(|session| Ok(flow.view(session).into()))
    }

    /// Handle an intent and return the new screen. A scanned label that does not verify throws `InvalidQr`;
    /// rules that say no throw `NotAllowed` with their reasons. Blocking.
    pub fn handle(&self, intent: HandoverIntent) -> Result<HandoverView, AzukariError> {
        let intent = intent.try_into()?;
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.handle(session, intent).map_err(refused(session))?;
            Ok(flow.view(session).into())
        })
    }

    /// On the return step, read the card tapped on the phone through `card` and compare it with the item's
    /// registered card. Another card throws `CardMismatch` (the return is refused and a discrepancy recorded); a
    /// read error throws `CardReadFailed` or `NotAMyNumberCard` and records nothing. Blocking (NFC and SQLite).
    pub fn tap_card(&self, card: Arc<dyn CardTransceiver>) -> Result<HandoverView, AzukariError> {
        let mut card = CardAdapter(card);
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.tap_card(session, &mut card)
                .map_err(refused(session))?;
            Ok(flow.view(session).into())
        })
    }
}

/// The supervisor's approval inbox: pending requests with who, what, why and the rules that asked; approve, or
/// deny with a reason. Nobody approves their own request.
#[derive(uniffi::Object)]
pub struct ApprovalInbox {
    facility: Arc<Facility>,
    inbox: Mutex<approval::ApprovalInbox>,
}

#[uniffi::export]
impl ApprovalInbox {
    /// The inbox of the signed-in supervisor.
    #[uniffi::constructor]
    pub fn new(facility: Arc<Facility>) -> Arc<Self> {
        Arc::new(ApprovalInbox {
            facility,
            inbox: Mutex::new(approval::ApprovalInbox::new()),
        })
    }

    /// The inbox. Blocking.
    pub fn view(&self) -> Result<ApprovalView, AzukariError> {
        let inbox = lock(&self.inbox);
        self.facility
            .with_session(|session| Ok(inbox.view(session).into()))
    }

    /// Approve or deny a request and return the inbox. Blocking.
    pub fn handle(&self, intent: ApprovalIntent) -> Result<ApprovalView, AzukariError> {
        let intent = intent.try_into()?;
        let mut inbox = lock(&self.inbox);
        self.facility.with_session(|session| {
            inbox.handle(session, intent).map_err(refused(session))?;
            Ok(inbox.view(session).into())
        })
    }
}

/// The consent screen of a family member or legal representative, recorded by the signed-in staff: the
/// alternatives to leaving a PIN first, then the exact text, the PIN-envelope choice, confirm or revoke.
#[derive(uniffi::Object)]
pub struct ConsentFlow {
    facility: Arc<Facility>,
    flow: Mutex<consent::ConsentFlow>,
}

#[uniffi::export]
impl ConsentFlow {
    /// The consent screen for a resident, offering `offer` (a new text and items) or, when `None`, the text and
    /// items of the resident's latest agreement.
    #[uniffi::constructor]
    pub fn new(
        facility: Arc<Facility>,
        resident_id: String,
        offer: Option<ConsentOffer>,
    ) -> Result<Arc<Self>, AzukariError> {
        let resident: ResidentId = convert::id(&resident_id)?;
        let flow = consent::ConsentFlow::new(resident);
        let flow = match offer {
            Some(offer) => flow.with_offer(offer.into()),
            None => flow,
        };
        Ok(Arc::new(ConsentFlow {
            facility,
            flow: Mutex::new(flow),
        }))
    }

    /// The screen. Blocking.
    pub fn view(&self) -> Result<ConsentView, AzukariError> {
        let flow = lock(&self.flow);
        self.facility
            .with_session(|session| Ok(flow.view(session).into()))
    }

    /// Handle an intent and return the new screen. Blocking.
    pub fn handle(&self, intent: ConsentIntent) -> Result<ConsentView, AzukariError> {
        let intent = intent.into();
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.handle(session, intent).map_err(refused(session))?;
            Ok(flow.view(session).into())
        })
    }
}

/// The supervisor's stocktake: start, scan every locker, mark each expected item found or missing, record
/// unexpected finds, complete with a signed summary.
#[derive(uniffi::Object)]
pub struct AuditFlow {
    facility: Arc<Facility>,
    flow: Mutex<audit::AuditFlow>,
}

#[uniffi::export]
impl AuditFlow {
    /// An audit screen with no audit started.
    #[uniffi::constructor]
    pub fn new(facility: Arc<Facility>) -> Arc<Self> {
        Arc::new(AuditFlow {
            facility,
            flow: Mutex::new(audit::AuditFlow::new()),
        })
    }

    /// The audit this screen started, if any.
    pub fn audit_id(&self) -> Option<String> {
        lock(&self.flow).audit().map(|id| id.to_string())
    }

    /// The screen. Blocking.
    pub fn view(&self) -> Result<AuditView, AzukariError> {
        let flow = lock(&self.flow);
        self.facility
            .with_session(|session| Ok(flow.view(session).into()))
    }

    /// Handle an intent and return the new screen. Blocking.
    pub fn handle(&self, intent: AuditIntent) -> Result<AuditView, AzukariError> {
        let intent = intent.try_into()?;
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.handle(session, intent).map_err(refused(session))?;
            Ok(flow.view(session).into())
        })
    }
}

/// The incident screen for a lost or stolen card or a leak: open it, then follow the guided checklist step by
/// step, and close it.
#[derive(uniffi::Object)]
pub struct IncidentFlow {
    facility: Arc<Facility>,
    flow: Mutex<incident::IncidentFlow>,
}

#[uniffi::export]
impl IncidentFlow {
    /// A screen to open a new incident.
    #[uniffi::constructor]
    pub fn new(facility: Arc<Facility>) -> Arc<Self> {
        Arc::new(IncidentFlow {
            facility,
            flow: Mutex::new(incident::IncidentFlow::new()),
        })
    }

    /// A screen continuing an incident opened earlier (here or on another device).
    #[uniffi::constructor]
    pub fn resume(facility: Arc<Facility>, incident_id: String) -> Result<Arc<Self>, AzukariError> {
        let incident: IncidentId = convert::id(&incident_id)?;
        Ok(Arc::new(IncidentFlow {
            facility,
            flow: Mutex::new(incident::IncidentFlow::resume(incident)),
        }))
    }

    /// The incident, once opened.
    pub fn incident_id(&self) -> Option<String> {
        lock(&self.flow).incident().map(|id| id.to_string())
    }

    /// The screen. Blocking.
    pub fn view(&self) -> Result<IncidentView, AzukariError> {
        let flow = lock(&self.flow);
        self.facility
            .with_session(|session| Ok(flow.view(session).into()))
    }

    /// Handle an intent and return the new screen. Blocking.
    pub fn handle(&self, intent: IncidentIntent) -> Result<IncidentView, AzukariError> {
        let intent = intent.try_into()?;
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.handle(session, intent).map_err(refused(session))?;
            Ok(flow.view(session).into())
        })
    }
}

/// The administrator's setup screen: residents, lockers, items, staff, training, paper agreements, policy.
#[derive(uniffi::Object)]
pub struct SetupFlow {
    facility: Arc<Facility>,
    flow: Mutex<setup::SetupFlow>,
}

#[uniffi::export]
impl SetupFlow {
    /// A fresh setup screen.
    #[uniffi::constructor]
    pub fn new(facility: Arc<Facility>) -> Arc<Self> {
        Arc::new(SetupFlow {
            facility,
            flow: Mutex::new(setup::SetupFlow::new()),
        })
    }

    /// The screen. Blocking.
    pub fn view(&self) -> Result<SetupView, AzukariError> {
        let flow = lock(&self.flow);
        self.facility
            .with_session(|session| Ok(convert::setup_view(flow.view(session), flow.last_done())))
    }

    /// Carry out an intent and return what it did, with the id of what it created (render `view()` for the
    /// screen). Blocking.
    pub fn handle(&self, intent: SetupIntent) -> Result<SetupDone, AzukariError> {
        let intent = intent.try_into()?;
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.handle(session, intent).map_err(refused(session))?;
            last_done(&flow, session)
        })
    }

    /// Register a My Number card (`form.kind` must be `NewItemKind.MynaCard`) by reading the card tapped through
    /// `card` (NFC, no PIN): its expiry dates and keyed identity come from the card, so the form's date fields
    /// are ignored. A read error throws `CardReadFailed` or `NotAMyNumberCard` and writes nothing.
    /// Blocking (NFC and SQLite).
    pub fn register_card_by_reading(
        &self,
        form: ItemForm,
        card: Arc<dyn CardTransceiver>,
    ) -> Result<SetupDone, AzukariError> {
        let form = form.try_into()?;
        let mut card = CardAdapter(card);
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.register_card_by_reading(session, form, &mut card)
                .map_err(refused(session))?;
            last_done(&flow, session)
        })
    }
}

/// What the setup flow's last successful intent did (always set after a success).
fn last_done(flow: &setup::SetupFlow, session: &Session) -> Result<SetupDone, AzukariError> {
    flow.last_done()
        .map(Into::into)
        .ok_or_else(|| Localized(FlowError::OutOfOrder, session.locale).into())
}

/// The board (預かり状況): what is where, out and overdue; alerts and discrepancies. Writes nothing.
#[derive(uniffi::Object)]
pub struct BoardFlow {
    facility: Arc<Facility>,
    flow: Mutex<board::BoardFlow>,
}

#[uniffi::export]
impl BoardFlow {
    /// A board showing every item.
    #[uniffi::constructor]
    pub fn new(facility: Arc<Facility>) -> Arc<Self> {
        Arc::new(BoardFlow {
            facility,
            flow: Mutex::new(board::BoardFlow::new()),
        })
    }

    /// The board at the current time. Blocking.
    pub fn view(&self) -> Result<BoardView, AzukariError> {
        let flow = lock(&self.flow);
        self.facility
            .with_session(|session| Ok(flow.view(session).into()))
    }

    /// Narrow or widen what the item sections show and return the board. Blocking.
    pub fn handle(&self, intent: BoardIntent) -> Result<BoardView, AzukariError> {
        let intent = intent.try_into()?;
        let mut flow = lock(&self.flow);
        self.facility.with_session(|session| {
            flow.handle(session, intent).map_err(refused(session))?;
            Ok(flow.view(session).into())
        })
    }
}
