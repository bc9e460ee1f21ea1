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
//!
//! Some of the app's screens have a console page of their own ([`PAGES`]: `/console/audit`, `/console/labels`,
//! …), listed in the console's navigation for those the core lets open them: the page opens its screen through
//! the same turn and draws it with its own address marked current. A button that leads to a screen of another
//! page answers with a redirect there (the notices go along), so the address always names the screen shown.

use super::app_view::{draw, events_from_form};
use super::console::notice_class;
use super::page::{Action, Page, PageSection};
use super::{Visit, Web, Who, checked_form, internal};
use crate::service::{Hub, LocalHub};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use azukari_core::app::view::{AppView, PlatformRequest};
use azukari_core::app::{App, AppEvent, ScreenKind};
use azukari_core::clock::SystemClock;
use azukari_core::crypto::FileKeyVault;
use azukari_core::i18n::{Arg, Locale};
use azukari_core::model::Role;
use azukari_core::sync::{PendingEnrollment, sync};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A console page of its own for one of the app's screens.
pub(super) struct AppPage {
    /// Its address.
    pub(super) path: &'static str,
    /// The screen it opens.
    pub(super) screen: ScreenKind,
    /// Its navigation label's message id.
    pub(super) label: &'static str,
    /// The screens that stay on this page (the screen itself and those reached from it, e.g. one agreement).
    pub(super) keeps: &'static [ScreenKind],
    /// Whether it follows the ledger live (pages without fields to type into).
    pub(super) live: bool,
}

/// The console's pages of the app's screens, in the navigation's order.
pub(super) static PAGES: [AppPage; 6] = [
    AppPage {
        path: "/console/alerts",
        screen: ScreenKind::Alerts,
        label: "web-nav-alerts",
        keeps: &[ScreenKind::Alerts],
        live: true,
    },
    AppPage {
        path: "/console/audit",
        screen: ScreenKind::Audit,
        label: "web-nav-audit",
        keeps: &[ScreenKind::Audit],
        live: true,
    },
    AppPage {
        path: "/console/incidents",
        screen: ScreenKind::Incident,
        label: "web-nav-incidents",
        keeps: &[ScreenKind::Incident],
        live: false,
    },
    AppPage {
        path: "/console/agreements",
        screen: ScreenKind::Agreements,
        label: "web-nav-agreements",
        keeps: &[ScreenKind::Agreements, ScreenKind::Consent],
        live: false,
    },
    AppPage {
        path: "/console/setup",
        screen: ScreenKind::Setup,
        label: "web-nav-setup",
        keeps: &[ScreenKind::Setup],
        live: false,
    },
    AppPage {
        path: "/console/labels",
        screen: ScreenKind::Labels,
        label: "web-nav-labels",
        keeps: &[ScreenKind::Labels],
        live: false,
    },
];

/// Where the console draws `screen`: its own page, or the generic app page.
fn address_of(screen: ScreenKind) -> &'static str {
    PAGES
        .iter()
        .find(|page| page.keeps.contains(&screen))
        .map_or(APP_PATH, |page| page.path)
}

/// The generic page of the app: every screen without a page of its own.
const APP_PATH: &str = "/console/app";

/// Where the last file the app gave a session is downloaded from.
const DOWNLOAD_PATH: &str = "/console/download";

/// A file the app gave to save or print ([`PlatformRequest::ShareFile`]), kept in the browser session until
/// the next one: the page that follows starts its download and keeps a button for it, so downloading it again
/// (or reloading the page) does not make it again — a new label sheet would retire the labels just printed.
#[derive(Debug, Clone)]
pub(crate) struct SharedFile {
    /// Its file name (ASCII letters, digits, `-`, `_` and `.` only).
    file_name: String,
    /// Its media type.
    mime_type: String,
    /// Its bytes.
    bytes: Vec<u8>,
}

pub(super) fn routes() -> Router<Web> {
    let router = Router::new()
        .route(APP_PATH, get(show).post(act))
        .route(DOWNLOAD_PATH, get(download));
    PAGES.iter().fold(router, |router, page| {
        router.route(
            page.path,
            get(move |State(web): State<Web>, visit: Visit| async move {
                run(&web, &visit, Vec::new(), Some(page), None).await
            })
            .post(
                move |State(web): State<Web>, visit: Visit, body: Bytes| async move {
                    act_on(&web, &visit, &body, page.path).await
                },
            ),
        )
    })
}

/// The console's app, opened on first use.
#[derive(Default)]
pub(crate) struct ConsoleApp {
    app: Mutex<Option<App>>,
}

/// Enroll the console device with the hub (once) and open its app, unlocked with its vault.
fn open_console(hub: &Arc<Mutex<Hub>>, dir: &Path, host: &str) -> Result<App, String> {
    let path: PathBuf = dir.join("console.azukari");
    let vault = FileKeyVault::new(dir.join("console.key"));
    let transport = LocalHub::shared(hub.clone());
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

/// What a turn opens before the form's events, if anything.
#[derive(Clone, Copy)]
enum Opening {
    /// Nothing: a form's events act on the screen shown.
    Nothing,
    /// The screen of a console page of its own, unless it shows already.
    Page(&'static AppPage),
    /// The generic app page: the home screen, when the screen kept has a page of its own.
    App,
}

/// What one turn of the console's app gives the page.
struct Turn {
    view: AppView,
    saved: Option<Vec<u8>>,
    refused_decision: bool,
    /// The visitor's roles and the screens the core lets them open, for the navigation.
    roles: Vec<Role>,
    openable: Vec<ScreenKind>,
}

/// Run `events` for the visitor on the console's app: bring it up to the hub, bring back the visitor's own
/// state (or sign them in) in their language, open what the page asked for shows, dispatch, sync what was
/// recorded, and keep the visitor's state again.
fn turn(
    web: &Web,
    visitor: (azukari_core::model::StaffId, Locale),
    saved: Option<Vec<u8>>,
    events: Vec<AppEvent>,
    opening: Opening,
) -> Result<Turn, String> {
    let (staff, language) = visitor;
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
    let transport = LocalHub::shared(web.hub.clone());
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
    if app.language() != language {
        app.dispatch(AppEvent::SetLanguage { language })
            .map_err(|e| e.to_string())?;
    }
    let open = match opening {
        Opening::Page(page) if !page.keeps.contains(&app.screen()) => Some(page.screen),
        Opening::App if address_of(app.screen()) != APP_PATH => Some(ScreenKind::Home),
        _ => None,
    };
    if let Some(screen) = open {
        // From home, so the way back is home and the app's stack stays short.
        app.dispatch(AppEvent::Open {
            screen: ScreenKind::Home,
        })
        .map_err(|e| e.to_string())?;
        if screen != ScreenKind::Home {
            app.dispatch(AppEvent::Open { screen })
                .map_err(|e| e.to_string())?;
        }
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
        // The page offers the file as a download; the app hears that it was shared, and what it said on making
        // the file ("print the labels and replace the old ones") is still shown.
        let shared = view.clone();
        let _ = app.dispatch(AppEvent::FileShared);
        let after = app.view();
        let mut notices = shared.notices;
        let fresh: Vec<_> = after
            .notices
            .iter()
            .filter(|notice| !notices.contains(notice))
            .cloned()
            .collect();
        notices.extend(fresh);
        view = AppView {
            request: shared.request,
            notices,
            ..after
        };
    }
    if recorded {
        let _ = app.sync(&transport);
    }
    let roles = app
        .session()
        .and_then(|s| s.actor().ok())
        .map(|actor| actor.roles.iter().copied().collect())
        .unwrap_or_default();
    let openable = app.openable_screens();
    let saved = app.save().ok();
    // Nobody stays signed in on the shared app between requests.
    let _ = app.dispatch(AppEvent::SignOut);
    Ok(Turn {
        view,
        saved,
        refused_decision,
        roles,
        openable,
    })
}

/// One turn of the app for the visitor, drawn. `page` is the console page asked for (its screen is opened);
/// `posted_to` the address a form was posted to (a redirect follows when the screen shown now lives elsewhere).
async fn run(
    web: &Web,
    visit: &Visit,
    events: Vec<AppEvent>,
    page: Option<&'static AppPage>,
    posted_to: Option<&str>,
) -> Response {
    let Who::Staff(staff) = visit.who else {
        return Redirect::to("/console/signin").into_response();
    };
    let mut saved = None;
    web.update(visit, |session| saved = session.app_state.clone());
    let worker = web.clone();
    let visitor = (staff, visit.locale);
    let opening = match (page, posted_to) {
        (_, Some(_)) => Opening::Nothing,
        (Some(page), None) => Opening::Page(page),
        (None, None) => Opening::App,
    };
    let done =
        tokio::task::spawn_blocking(move || turn(&worker, visitor, saved, events, opening)).await;
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
    let here = posted_to.unwrap_or(page.map_or(APP_PATH, |page| page.path));
    let mut shown = turn.view;
    let file = match shown.request.take() {
        Some(PlatformRequest::ShareFile {
            file_name,
            mime_type,
            bytes,
        }) => Some(SharedFile {
            file_name: file_name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect(),
            mime_type,
            bytes,
        }),
        other => {
            shown.request = other;
            None
        }
    };
    let belongs = address_of(shown.screen);
    let made_file = file.is_some();
    if let Some(file) = file {
        web.log(visit, &visit.who_tag(), "file_made", &file.file_name);
        web.update(visit, |session| session.download = Some((file, true)));
    }
    if let Some(posted_to) = posted_to
        && (belongs != posted_to || made_file)
        && shown.request.is_none()
    {
        // Shown with its own address (the page reloads without posting again): the notices go along, and a
        // file made is downloaded by the page that follows.
        for notice in &shown.notices {
            web.flash(visit, notice_class(notice.kind), notice.text.clone());
        }
        return Redirect::to(belongs).into_response();
    }
    let mut drawn = web.page(visit, shown.title.clone(), here);
    let live = PAGES
        .iter()
        .find(|page| page.path == here)
        .is_none_or(|page| page.live);
    if live {
        drawn.live = Some("/v1/events/stream".into());
    }
    drawn.nav = super::nav::links(visit, &turn.roles, &turn.openable, here);
    draw(&shown, &mut drawn, here);
    if posted_to.is_none() {
        offer_download(web, visit, &mut drawn);
    }
    web.log(
        visit,
        &visit.who_tag(),
        "read",
        &format!("{here}#{:?}", shown.screen),
    );
    web.render(visit, &drawn)
}

/// When the app has just made a file for this session, the page starts its download and offers it again.
fn offer_download(web: &Web, visit: &Visit, page: &mut Page) {
    let mut fresh = None;
    web.update(visit, |session| {
        if let Some((file, new)) = session.download.as_mut()
            && *new
        {
            *new = false;
            fresh = Some(file.file_name.clone());
        }
    });
    let Some(name) = fresh else {
        return;
    };
    page.download = Some(DOWNLOAD_PATH.into());
    page.sections.insert(
        0,
        PageSection {
            paragraphs: vec![visit.text("web-app-file-ready")],
            actions: vec![Action::link(
                visit
                    .catalog()
                    .format("web-app-file-download", &[("name", Arg::from(name))]),
                DOWNLOAD_PATH,
                "primary",
            )],
            ..PageSection::default()
        },
    );
}

/// The last file the app made for this session, as a download.
async fn download(State(web): State<Web>, visit: Visit) -> Response {
    if !matches!(visit.who, Who::Staff(_)) {
        return Redirect::to("/console/signin").into_response();
    }
    let mut kept = None;
    web.update(&visit, |session| {
        kept = session.download.as_ref().map(|(file, _)| file.clone())
    });
    let Some(file) = kept else {
        return web.message(
            &visit,
            StatusCode::NOT_FOUND,
            "web-refused-title",
            "error",
            visit.text("web-app-file-gone"),
        );
    };
    web.log(&visit, &visit.who_tag(), "download", &file.file_name);
    (
        [
            (header::CONTENT_TYPE, file.mime_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response()
}

async fn show(State(web): State<Web>, visit: Visit) -> Response {
    run(&web, &visit, Vec::new(), None, None).await
}

async fn act(State(web): State<Web>, visit: Visit, body: Bytes) -> Response {
    act_on(&web, &visit, &body, APP_PATH).await
}

/// A button of the page at `path` was pressed: its form's events, run and drawn.
async fn act_on(web: &Web, visit: &Visit, body: &Bytes, path: &str) -> Response {
    let form = match checked_form(web, visit, body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let events = match events_from_form(&form) {
        Ok(events) => events,
        Err(error) => {
            return web.message(
                visit,
                StatusCode::BAD_REQUEST,
                "web-refused-title",
                "error",
                error.to_string(),
            );
        }
    };
    // Drawn at once, so the app's notices about this event are shown.
    run(web, visit, events, None, Some(path)).await
}

#[cfg(test)]
mod tests {
    use super::{APP_PATH, PAGES, address_of};
    use azukari_core::app::ScreenKind;

    #[test]
    fn every_screen_has_one_address_and_each_page_keeps_its_own_screen() {
        for page in &PAGES {
            assert!(page.keeps.contains(&page.screen), "{}", page.path);
            assert_eq!(address_of(page.screen), page.path);
            assert_eq!(PAGES.iter().filter(|p| p.path == page.path).count(), 1);
        }
        for screen in ScreenKind::ALL {
            let owners = PAGES.iter().filter(|p| p.keeps.contains(&screen)).count();
            assert!(owners <= 1, "{screen:?} kept by {owners} pages");
        }
        assert_eq!(address_of(ScreenKind::Home), APP_PATH);
        assert_eq!(address_of(ScreenKind::Consent), "/console/agreements");
    }
}
