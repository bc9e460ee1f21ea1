//! The core's app in the browser: `/console/app` draws the `AppView` of the signed-in member of staff through
//! the one page template ([`super::app_view`]) and posts the tapped button's `AppEvent` back.
//!
//! The browser console is a device of its own, as a tablet would be: on first use the hub enrolls it
//! (`console.azukari` and `console.key` in the hub directory) and it syncs with the hub in process after every
//! change, so what it records is signed by its own device key and reaches every other device like a tablet's
//! events. One `App` serves every browser session: each session's screen, fields and flow state are the app's
//! own sealed snapshot (`App::save`), kept in the session and restored before each event (`App::restore`).
//! Approvals and denials are not taken here: they need a passkey signature, so the app's approve and deny
//! buttons lead to the signed approvals page.

use super::app_view::{draw, events_from_form};
use super::{Visit, Web, Who, checked_form, internal};
use crate::service::{Hub, ServiceError, check_pusher};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use azukari_core::app::view::AppView;
use azukari_core::app::{App, AppEvent};
use azukari_core::clock::SystemClock;
use azukari_core::crypto::FileKeyVault;
use azukari_core::sync::auth::request_body;
use azukari_core::sync::protocol::{PullRequest, PullResponse, PushRequest, PushResponse};
use azukari_core::sync::{
    HubTransport, PendingEnrollment, RequestAuth, Route, TransportError, sync,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub(super) fn routes() -> Router<Web> {
    Router::new().route("/console/app", get(show).post(act))
}

/// The console's app, opened on first use.
#[derive(Default)]
pub(crate) struct ConsoleApp {
    app: Mutex<Option<App>>,
}

/// The hub behind the server's lock as the console device's transport (as `LocalHub` is for tests).
struct SharedHub(Arc<Mutex<Hub>>);

fn refused(error: ServiceError) -> TransportError {
    TransportError::Refused {
        status: 0,
        message: error.to_string(),
    }
}

impl SharedHub {
    fn with<T>(&self, f: impl FnOnce(&mut Hub) -> T) -> Result<T, TransportError> {
        let mut hub = self
            .0
            .lock()
            .map_err(|_| TransportError::Unreachable("the hub failed".into()))?;
        Ok(f(&mut hub))
    }
}

impl HubTransport for SharedHub {
    fn push(
        &self,
        request: &PushRequest,
        auth: &RequestAuth,
    ) -> Result<PushResponse, TransportError> {
        let body = request_body(request).map_err(|e| refused(e.into()))?;
        self.with(|hub| {
            hub.authenticate(Route::Push, auth, &body)?;
            check_pusher(request, auth)?;
            hub.push(request)
        })?
        .map_err(refused)
    }

    fn pull(
        &self,
        request: &PullRequest,
        auth: &RequestAuth,
    ) -> Result<PullResponse, TransportError> {
        let body = request_body(request).map_err(|e| refused(e.into()))?;
        self.with(|hub| {
            hub.authenticate(Route::Pull, auth, &body)?;
            hub.pull(request)
        })?
        .map_err(refused)
    }
}

/// Enroll the console device with the hub (once) and open its app, unlocked with its vault.
fn open_console(hub: &Arc<Mutex<Hub>>, dir: &Path, host: &str) -> Result<App, String> {
    let path: PathBuf = dir.join("console.azukari");
    let vault = FileKeyVault::new(dir.join("console.key"));
    let transport = SharedHub(hub.clone());
    if !path.exists() {
        let pending = PendingEnrollment::new().map_err(|e| e.to_string())?;
        let offer = transport
            .with(|hub| hub.offer_enrollment("ブラウザ管理画面 / browser console", 5))
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let response = transport
            .with(|hub| hub.enroll(&pending.request(&offer.token)))
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let mut store = pending
            .finish(&response, None, &path, &vault, Arc::new(SystemClock))
            .map_err(|e| e.to_string())?;
        sync(&mut store, &transport, 0).map_err(|e| e.to_string())?;
        store.close().map_err(|e| e.to_string())?;
    }
    let mut app = App::new(path, Arc::new(vault), Arc::new(SystemClock)).with_label_host(host);
    app.dispatch(AppEvent::UnlockWithVault)
        .map_err(|e| e.to_string())?;
    Ok(app)
}

/// What one turn of the console's app gives the page.
struct Turn {
    view: AppView,
    saved: Option<Vec<u8>>,
    refused_decision: bool,
}

/// Run `events` for the visitor on the console's app: bring it up to the hub, bring back the visitor's own
/// state (or sign them in), dispatch, sync what was recorded, and keep the visitor's state again.
fn turn(
    web: &Web,
    staff: azukari_core::model::StaffId,
    saved: Option<Vec<u8>>,
    events: Vec<AppEvent>,
) -> Result<Turn, String> {
    let mut slot = web.console.app.lock().map_err(|_| "poisoned".to_string())?;
    if slot.is_none() {
        let dir = {
            let hub = web.hub.lock().map_err(|_| "poisoned".to_string())?;
            hub.store_path()
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        *slot = Some(open_console(&web.hub, &dir, &web.rp_id)?);
    }
    let app = slot.as_mut().ok_or("no console")?;
    let transport = SharedHub(web.hub.clone());
    let _ = app.sync(&transport);
    match saved {
        Some(bytes) => {
            app.restore(&bytes);
        }
        None => {
            let _ = app.dispatch(AppEvent::SignOut);
        }
    }
    let me = staff.0.to_string();
    let signed_in = app
        .session()
        .and_then(|s| s.actor_id().ok())
        .is_some_and(|actor| actor == staff);
    if !signed_in {
        let _ = app.dispatch(AppEvent::SignOut);
        app.dispatch(AppEvent::SignIn { staff: me })
            .map_err(|e| e.to_string())?;
    }
    let mut refused_decision = false;
    let recorded = !events.is_empty();
    for event in events {
        if matches!(event, AppEvent::Approve { .. } | AppEvent::Deny { .. }) {
            // A decision needs the person's passkey: the signed approvals page takes it.
            refused_decision = true;
            continue;
        }
        app.dispatch(event).map_err(|e| e.to_string())?;
    }
    let mut view = app.view();
    if let Some(azukari_core::app::view::PlatformRequest::ShareFile { .. }) = &view.request {
        // The page offers the file as a download; the app hears that it was shared.
        let shared = view.clone();
        let _ = app.dispatch(AppEvent::FileShared);
        view = AppView {
            request: shared.request,
            ..app.view()
        };
    }
    if recorded {
        let _ = app.sync(&transport);
    }
    let saved = app.save().ok();
    // Nobody stays signed in on the shared app between requests.
    let _ = app.dispatch(AppEvent::SignOut);
    Ok(Turn {
        view,
        saved,
        refused_decision,
    })
}

async fn run(web: &Web, visit: &Visit, events: Vec<AppEvent>) -> Response {
    let Who::Staff(staff) = visit.who else {
        return Redirect::to("/console/signin").into_response();
    };
    let mut saved = None;
    web.update(visit, |session| saved = session.app_state.clone());
    let worker = web.clone();
    let done = tokio::task::spawn_blocking(move || turn(&worker, staff, saved, events)).await;
    let turn = match done {
        Ok(Ok(turn)) => turn,
        Ok(Err(error)) => {
            eprintln!("console app / 管理画面のアプリ: {error}");
            return internal();
        }
        Err(_) => return internal(),
    };
    web.update(visit, |session| session.app_state = turn.saved.clone());
    if turn.refused_decision {
        web.flash(visit, "info", visit.text("web-app-decide-with-passkey"));
        return Redirect::to("/console/approvals").into_response();
    }
    let mut page = web.page(visit, turn.view.title.clone(), "/console/app");
    page.live = Some("/v1/events/stream".into());
    page.nav = vec![
        super::page::Link {
            label: visit.text("web-nav-home"),
            href: "/console".into(),
            current: false,
        },
        super::page::Link {
            label: visit.text("web-nav-app"),
            href: "/console/app".into(),
            current: true,
        },
    ];
    let shared = draw(&turn.view, &mut page, "/console/app");
    web.log(
        visit,
        &visit.who_tag(),
        "read",
        &format!("/console/app#{:?}", turn.view.screen),
    );
    if let Some((file_name, mime_type, bytes)) = shared {
        let safe: String = file_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .collect();
        return (
            [
                (header::CONTENT_TYPE, mime_type),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{safe}\""),
                ),
            ],
            bytes,
        )
            .into_response();
    }
    web.render(visit, &page)
}

async fn show(State(web): State<Web>, visit: Visit) -> Response {
    run(&web, &visit, Vec::new()).await
}

async fn act(State(web): State<Web>, visit: Visit, body: Bytes) -> Response {
    let Some(form) = checked_form(&visit, &body) else {
        return web.message(
            &visit,
            StatusCode::FORBIDDEN,
            "web-refused-title",
            "error",
            visit.text("web-refused-csrf"),
        );
    };
    let events = match events_from_form(&form) {
        Ok(events) => events,
        Err(error) => {
            return web.message(
                &visit,
                StatusCode::BAD_REQUEST,
                "web-refused-title",
                "error",
                error.to_string(),
            );
        }
    };
    // Drawn at once, so the app's notices about this event are shown.
    run(&web, &visit, events).await
}
