//! The whole app as one state machine: which screen is shown, what follows a scan, an alert or a finished
//! handover, what each role may open, and every text, button and field of every screen.
//!
//! In the manner of redbadger/crux: the [`App`] is the model, [`App::dispatch`] the update, [`App::view`] the
//! view. A shell (Android, iOS, the hub's browser pages) draws the [`AppView`] it gets back, sends the
//! [`AppEvent`] of the button tapped, and performs the [`PlatformRequest`] the view names — the camera, the card
//! reader, a sync, sharing a file — then hands the result back ([`AppEvent::Scanned`], [`App::present_card`],
//! [`App::sync`], [`AppEvent::FileShared`]). Nothing is decided in a shell, so nothing can differ between them.
//!
//! **Refusals are notices.** A rule that says no, a forged label, a missing field: the next view shows why and
//! nothing was written. [`AppError`] is thrown only when the device cannot go on (locked, damaged or full store).
//!
//! **Process death.** [`App::save`] seals the screen and the work under way (a handover waiting for approval, an
//! audit, an incident) under the facility's key; [`App::restore`] brings it back after the next unlock.
//!
//! | module | job |
//! |---|---|
//! | [`view`] | what a shell draws: sections, rows, buttons, fields, platform requests |
//! | [`event`] | what a shell sends |
//! | `screens` | one builder per screen, from the flows' views to sections |
//! | [`format`] | dates and times as people read them (西暦 with 和暦) |
//! | `saved` | the sealed snapshot kept across process death |
//! | [`error`] | the few errors that are thrown, worded in the chosen language |

pub mod error;
pub mod event;
pub mod format;
mod navigation;
mod saved;
mod screens;
pub mod view;

pub use error::AppError;
pub use event::{AppEvent, FieldId};
pub use view::{
    AppView, Badge, Button, ButtonStyle, Choice, Fact, Field, FieldKind, PlatformRequest, Progress,
    Row, ScreenKind, Section,
};

use crate::card::CardTransceiver;
use crate::clock::{Clock, Timestamp};
use crate::crypto::KeyVault;
use crate::flows::approval::ApprovalInbox;
use crate::flows::audit::AuditFlow;
use crate::flows::board::BoardFlow;
use crate::flows::consent::ConsentFlow;
use crate::flows::handover::HandoverFlow;
use crate::flows::incident::IncidentFlow;
use crate::flows::setup::SetupFlow;
use crate::flows::{Notice, NoticeKind, Session};
use crate::i18n::{Arg, Locale, catalog};
use crate::store::{OpenOptions, Store, Unlock};
use crate::sync::{HubTransport, SyncState};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The screens the member of staff signed in on `session` may open, as the rules say, in [`ScreenKind::ALL`]
/// order (the unlock and sign-in screens are never among them): what [`App::openable_screens`] answers, for a
/// shell that renders pages from its own session (the hub's console). None when nobody is signed in.
pub fn screens_open_to(session: &Session) -> Vec<ScreenKind> {
    if session.actor_id().is_err() {
        return Vec::new();
    }
    let can = screens::capabilities(session);
    ScreenKind::ALL
        .into_iter()
        .filter(|screen| can.may_open(*screen))
        .collect()
}

/// A notice the app itself raised, worded in both languages when it happened so a language switch still
/// changes it. It shows in the next view only.
#[derive(Debug, Clone)]
struct Said {
    kind: NoticeKind,
    ja: String,
    en: String,
}

impl Said {
    fn new(kind: NoticeKind, text: impl Fn(Locale) -> String) -> Said {
        Said {
            kind,
            ja: text(Locale::Ja),
            en: text(Locale::En),
        }
    }

    fn message(kind: NoticeKind, id: &'static str) -> Said {
        Said::new(kind, |locale| catalog(locale).text(id))
    }

    fn notice(&self, locale: Locale) -> Notice {
        Notice {
            kind: self.kind,
            text: match locale {
                Locale::Ja => self.ja.clone(),
                Locale::En => self.en.clone(),
            },
        }
    }
}

/// How a new device presents its enrollment token to the hub (one HTTPS POST to `/v1/enroll` with the hub's
/// certificate pinned to the QR's fingerprint). The apps' connection implements it beside [`HubTransport`].
pub trait HubEnrollment {
    /// Send the enrollment request and return the hub's answer.
    fn enroll(
        &self,
        request: &crate::sync::protocol::EnrollRequest,
    ) -> Result<crate::sync::protocol::EnrollResponse, crate::sync::TransportError>;
}

/// A platform request waiting for its result.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Waiting {
    /// The camera, for a locker label.
    Scan,
    /// The card reader, on the handover's return step.
    Card,
    /// A sync.
    Sync,
    /// A connection to the hub of an enrollment QR, to join it.
    Join(crate::sync::EnrollmentInvite),
    /// A file to share.
    Share {
        file_name: String,
        mime_type: String,
        bytes: Vec<u8>,
    },
}

/// The last sync, as the sync screen shows it.
#[derive(Debug, Clone, Default)]
struct SyncStatus {
    last_success: Option<Timestamp>,
    last: Option<Said>,
}

/// The flows of the screens, each keeping its own state between events.
#[derive(Default)]
struct Flows {
    handover: HandoverFlow,
    approvals: ApprovalInbox,
    audit: AuditFlow,
    incident: IncidentFlow,
    consent: Option<ConsentFlow>,
    setup: SetupFlow,
    board: BoardFlow,
}

/// The app on one device: the store (locked or open), who is signed in, the screen and its flow state.
pub struct App {
    path: PathBuf,
    vault: Arc<dyn KeyVault>,
    clock: Arc<dyn Clock>,
    locale: Locale,
    session: Option<Session>,
    /// The screens opened, the current one last.
    stack: Vec<ScreenKind>,
    flows: Flows,
    fields: BTreeMap<FieldId, String>,
    said: Vec<Said>,
    waiting: Option<Waiting>,
    /// A label scanned (or opened from outside) before anyone could act on it: opened after sign-in.
    pending_label: Option<String>,
    /// A saved snapshot waiting for the store to be unlocked.
    pending_restore: Option<Vec<u8>>,
    sync: SyncStatus,
    /// The host name the locker labels' URLs name (the facility hub's).
    label_host: String,
    /// A card being registered on the setup screen, waiting for the card to be read.
    card_form: Option<crate::flows::setup::ItemForm>,
    /// When the whole ledger was last verified in the background.
    last_full_check: Option<Timestamp>,
}

/// How often the whole ledger is verified in the background (a day).
const FULL_CHECK_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// The label host until the app is told its hub's.
const DEFAULT_LABEL_HOST: &str = "azukari.local";

impl App {
    /// The app for the store at `path` (locked), unlocked with `vault` every day or the recovery passphrase.
    pub fn new(path: PathBuf, vault: Arc<dyn KeyVault>, clock: Arc<dyn Clock>) -> App {
        App {
            path,
            vault,
            clock,
            locale: Locale::Ja,
            session: None,
            stack: vec![ScreenKind::Unlock],
            flows: Flows::default(),
            fields: BTreeMap::new(),
            said: Vec::new(),
            waiting: None,
            pending_label: None,
            pending_restore: None,
            sync: SyncStatus::default(),
            label_host: DEFAULT_LABEL_HOST.to_string(),
            card_form: None,
            last_full_check: None,
        }
    }

    /// The same app printing labels whose URLs name `host` (the facility hub's host name).
    pub fn with_label_host(mut self, host: &str) -> App {
        self.label_host = host.to_string();
        self
    }

    /// The app over a store already open (a facility just created or joined): the sign-in screen.
    pub fn over(
        store: Store,
        path: PathBuf,
        vault: Arc<dyn KeyVault>,
        clock: Arc<dyn Clock>,
    ) -> Result<App, AppError> {
        let mut app = App::new(path, vault, clock);
        app.opened(store)?;
        Ok(app)
    }

    /// What to draw now.
    pub fn view(&self) -> AppView {
        screens::build(self)
    }

    /// Handle what the person did (or what the platform brought back), then what to draw.
    pub fn dispatch(&mut self, event: AppEvent) -> Result<AppView, AppError> {
        self.said.clear();
        self.update(event)?;
        Ok(self.view())
    }

    /// The card held to the phone, for the screen that asked for it ([`PlatformRequest::TapCard`]). A card
    /// that moved away leaves the request open with a notice to hold it still; anything else ends it.
    pub fn present_card(&mut self, card: &mut dyn CardTransceiver) -> Result<AppView, AppError> {
        self.said.clear();
        if self.waiting != Some(Waiting::Card) {
            self.say(NoticeKind::Error, "app-card-not-asked");
            return Ok(self.view());
        }
        let session = self.session.as_mut().ok_or(AppError::Locked)?;
        let read = match self.card_form.clone() {
            Some(form) if self.stack.last() == Some(&ScreenKind::Setup) => {
                let read = self
                    .flows
                    .setup
                    .register_card_by_reading(session, form, card);
                if read.is_ok() {
                    self.card_form = None;
                    for field in [
                        FieldId::ItemResident,
                        FieldId::ItemKind,
                        FieldId::ItemLocker,
                    ] {
                        self.fields.remove(&field);
                    }
                }
                read
            }
            _ => self.flows.handover.tap_card(session, card),
        };
        match read {
            Ok(()) => self.waiting = None,
            Err(error) => match error::infrastructure(error)? {
                crate::flows::FlowError::Card(card) if card.is_retryable() => {}
                _ => self.waiting = None,
            },
        }
        Ok(self.view())
    }

    /// Sync with the facility's hub through `hub` ([`PlatformRequest::SyncNow`], or in the background while
    /// the app is open). Offline, nothing is lost: the sync screen says so and the next sync resumes.
    pub fn sync(&mut self, hub: &dyn HubTransport) -> Result<AppView, AppError> {
        self.said.clear();
        self.verify_ledger_when_due()?;
        let session = self.session.as_mut().ok_or(AppError::Locked)?;
        let result = crate::sync::sync(session.store_mut(), hub, 0);
        let now = session.now();
        if self.waiting == Some(Waiting::Sync) {
            self.waiting = None;
        }
        match result {
            Ok(report) => {
                self.sync.last_success = Some(now);
                if let Some(warning) = report.clock_warning {
                    let minutes = (warning.offset_ms.saturating_abs() + 30_000) / 60_000;
                    let id = if warning.offset_ms > 0 {
                        "app-clock-ahead"
                    } else {
                        "app-clock-behind"
                    };
                    self.said.push(Said::new(NoticeKind::Warning, |locale| {
                        catalog(locale).format(id, &[("minutes", Arg::from(minutes))])
                    }));
                }
                let (pushed, pulled) = (report.pushed as i64, report.pulled as i64);
                self.sync.last = Some(Said::new(NoticeKind::Info, |locale| {
                    catalog(locale).format(
                        "app-sync-done",
                        &[("pushed", Arg::from(pushed)), ("pulled", Arg::from(pulled))],
                    )
                }));
                let session = self.session.as_mut().ok_or(AppError::Locked)?;
                session
                    .refresh_rules()
                    .or_else(|e| error::infrastructure(e).map(|_| ()))?;
            }
            Err(crate::sync::SyncError::Store(store)) if error::is_infrastructure(&store) => {
                return Err(AppError::Store(store));
            }
            Err(error) => {
                let kind = if error.is_alarm() {
                    NoticeKind::Error
                } else {
                    NoticeKind::Warning
                };
                let said = Said::new(kind, |locale| error::sync_message(&error, locale));
                self.said.push(said.clone());
                self.sync.last = Some(said);
            }
        }
        Ok(self.view())
    }

    /// A pull that only waits (up to `wait_ms`) for news at the hub, signed by this device: the shell sends it
    /// without holding the app (a supervisor's tablet waiting for requests), then calls [`App::sync`]. `None`
    /// when the store is locked or the device has not joined a hub.
    pub fn wait_request(
        &self,
        wait_ms: u64,
    ) -> Option<(crate::sync::protocol::PullRequest, crate::sync::RequestAuth)> {
        let session = self.session.as_ref()?;
        crate::sync::wait_request(session.store(), wait_ms).ok()
    }

    /// Join the facility of the enrollment QR scanned on the unlock screen ([`PlatformRequest::JoinHub`]):
    /// present its one-time token through `hub`, create this device's store protected by the key vault, then ask
    /// for the first sync. A refusal (expired or used QR, another hub) is a notice; nothing is created.
    pub fn join(&mut self, hub: &dyn HubEnrollment) -> Result<AppView, AppError> {
        self.said.clear();
        let Some(Waiting::Join(invite)) = self.waiting.clone() else {
            self.say(NoticeKind::Error, "app-join-not-asked");
            return Ok(self.view());
        };
        self.waiting = None;
        let joined = crate::sync::PendingEnrollment::new().and_then(|pending| {
            let response = hub.enroll(&pending.request(&invite.token))?;
            pending.finish(
                &response,
                Some(&invite.checkpoint_key),
                &self.path,
                self.vault.as_ref(),
                self.clock.clone(),
            )
        });
        match joined {
            Ok(store) => {
                // Labels this device prints name the hub it joined.
                if let Some(host) = hub_host(&invite.hub_url) {
                    self.label_host = host;
                }
                self.opened(store)?;
                self.waiting = Some(Waiting::Sync);
                self.say(NoticeKind::Info, "app-joined");
            }
            Err(crate::sync::SyncError::Store(store)) if error::is_infrastructure(&store) => {
                return Err(AppError::Store(store));
            }
            Err(crate::sync::SyncError::Transport(crate::sync::TransportError::Refused {
                ..
            })) => self.say(NoticeKind::Error, "app-join-refused"),
            Err(error) => {
                self.said.push(Said::new(NoticeKind::Error, |locale| {
                    error::sync_message(&error, locale)
                }));
            }
        }
        Ok(self.view())
    }

    /// The whole ledger is verified in the background once a day, piggybacking on the sync the shell runs while
    /// the app is open; a failure marks the store damaged (shown on every screen, no new events).
    fn verify_ledger_when_due(&mut self) -> Result<(), AppError> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        let now = session.now();
        let due = self
            .last_full_check
            .is_none_or(|at| now.0.saturating_sub(at.0) >= FULL_CHECK_EVERY_MS);
        if due && session.store_mut().verify_in_background()?.is_some() {
            self.last_full_check = Some(now);
        }
        Ok(())
    }

    /// The screen and the work under way, sealed under the facility's key, to keep while the platform stops
    /// the app. Locked, only the language is kept.
    pub fn save(&mut self) -> Result<Vec<u8>, AppError> {
        saved::save(self)
    }

    /// Bring back what [`App::save`] kept: the language now, the rest (screen, who was signed in, the handover,
    /// audit or incident under way) once the store is unlocked. A snapshot that cannot be read is dropped with
    /// a notice; the app starts afresh.
    pub fn restore(&mut self, bytes: &[u8]) -> AppView {
        self.said.clear();
        if saved::restore(self, bytes).is_err() {
            self.say(NoticeKind::Warning, "app-error-saved-state");
        }
        self.view()
    }

    /// Test support: issue a new label for every locker, as the office printed them, and return what each
    /// label's QR code says (what a camera reads from it), by locker name.
    #[cfg(any(test, feature = "test-support"))]
    pub fn printed_labels_for_tests(&mut self) -> Vec<(String, String)> {
        let host = self.label_host.clone();
        let Some(session) = self.session.as_mut() else {
            return Vec::new();
        };
        let actor = session.actor_id().ok();
        let lockers: Vec<_> = session.store().state().lockers.keys().copied().collect();
        crate::qr::issue_sheet(session.store_mut(), actor, &lockers, &host)
            .map(|labels| labels.into_iter().map(|l| (l.locker_name, l.url)).collect())
            .unwrap_or_default()
    }

    /// The display language.
    pub fn language(&self) -> Locale {
        self.locale
    }

    /// Whether the store is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.session.is_some()
    }

    /// The open session (for the hub's console, which renders the same views with its own sessions).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The current screen.
    pub fn screen(&self) -> ScreenKind {
        self.stack.last().copied().unwrap_or(ScreenKind::Unlock)
    }

    /// The screens the signed-in member of staff may open now, as the rules say: what the home screen offers (a
    /// shell's own menu, such as the browser console's navigation, shows these and no others). None when nobody
    /// is signed in.
    pub fn openable_screens(&self) -> Vec<ScreenKind> {
        self.session
            .as_ref()
            .map(screens_open_to)
            .unwrap_or_default()
    }

    fn say(&mut self, kind: NoticeKind, id: &'static str) {
        self.said.push(Said::message(kind, id));
    }

    /// The store was opened: a session in the app's language, the sign-in screen, and a saved snapshot if one
    /// waits.
    fn opened(&mut self, store: Store) -> Result<(), AppError> {
        let mut session = Session::new(store).map_err(|e| match error::infrastructure(e) {
            Err(infra) => infra,
            Ok(other) => AppError::Store(crate::store::StoreError::Io(other.to_string())),
        })?;
        session.locale = self.locale;
        self.session = Some(session);
        self.flows = Flows::default();
        self.stack = vec![ScreenKind::SignIn];
        if let Some(bytes) = self.pending_restore.take()
            && saved::restore_sealed(self, &bytes).is_err()
        {
            self.say(NoticeKind::Warning, "app-error-saved-state");
        }
        Ok(())
    }

    fn open_store(&mut self, unlock: Unlock<'_>) -> Result<(), crate::store::StoreError> {
        let store = Store::open(
            &self.path,
            unlock,
            OpenOptions::default(),
            self.clock.clone(),
        )?;
        self.opened(store).map_err(|e| match e {
            AppError::Store(store) => store,
            other => crate::store::StoreError::Io(other.to_string()),
        })
    }

    /// How many items the sync outbox holds (for the sync screen).
    fn outbox(&self) -> Option<usize> {
        let session = self.session.as_ref()?;
        let state = SyncState::load(session.store()).ok()?;
        state.outbox_len(session.store()).ok()
    }
}

/// The host name of a hub URL (`https://hub.example.jp:8443/` → `hub.example.jp`).
fn hub_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::hub_host;

    #[test]
    fn the_label_host_is_the_hubs_host_name() {
        assert_eq!(
            hub_host("https://hub.example.jp:8443/").as_deref(),
            Some("hub.example.jp")
        );
        assert_eq!(
            hub_host("http://127.0.0.1:18734").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(hub_host("https://[::1]:8443/x").as_deref(), Some("::1"));
        assert_eq!(hub_host("https:///"), None);
    }
}
