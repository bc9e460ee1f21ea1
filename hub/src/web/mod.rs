//! The hub's browser pages: the supervisors' console and the family consent pages, signed with passkeys.
//!
//! - Staff passkeys: an administrator issues a one-time link (console page or `azukari-hub staff-link`); the
//!   member of staff opens it on their device and registers a passkey (webauthn-rs checks the registration).
//!   Sign-in is a passkey assertion over a random challenge; sessions are short ([`IDLE`], [`LIFETIME`]) and
//!   per person; signing out is one tap.
//! - Signed decisions: an approval, a denial, a family consent or revocation is a passkey assertion over the
//!   challenge of `azukari_core::ledger::passkey` (a domain tag, the SHA-256 of the exact text shown, the
//!   request or agreement id and a one-time nonce), checked here with the stored public key and recorded in the
//!   ledger as `PasskeySigned` beside the decision, so `azukari-hub verify` checks it offline.
//! - Family pages: a one-time expiring link (token only) opens the agreement; confirming registers the family
//!   member's passkey and signs the consent; later visits sign in with it; the resident's custody history as a
//!   page and CSV.
//! - Security: strict Content-Security-Policy (scripts only from `/static/`), `nosniff`, HSTS over HTTPS,
//!   `no-store` on every page, session cookies `HttpOnly; SameSite=Strict` (named `__Host-…` and `Secure` over
//!   HTTPS), cross-origin POSTs refused (Origin / Sec-Fetch-Site) plus a per-session CSRF token, rate limits on
//!   link opening and passkey attempts, and an access log of every sign-in and every read of personal data
//!   ([`store::WebStore::access_log`]).
//!
//! Pages are drawn from one model ([`page::Page`]) by one askama template. Texts come from the message
//! catalogue (`core/i18n/*/web.ftl` and the flows' own), Japanese first with an English switch.

// Handlers and their helpers answer refusals with axum's `Response`, the type every handler returns; boxing it
// would only add an allocation on the refusal path.
#![allow(clippy::result_large_err)]

pub mod app_view;
pub mod page;
pub mod store;

mod console;
mod console_app;
mod family;
mod nav;
mod passkeys;

use crate::service::Hub;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path as UrlPath, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use azukari_core::clock::{Clock, SystemClock};
use azukari_core::i18n::{Catalog, Locale, catalog};
use azukari_core::model::{AgreementId, StaffId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use page::{Link, Page, PageNotice, PageSection, PageTemplate};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{AccessEntry, WebStore};
use tokio::sync::watch;
use webauthn_rs::prelude::{PasskeyRegistration, Url, Webauthn, WebauthnBuilder};

/// How long a session lasts without use.
pub const IDLE: Duration = Duration::from_secs(15 * 60);
/// How long a session lasts at most (one shift).
pub const LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How long one-time links work by default, in minutes (staff enrolment).
pub const STAFF_LINK_MINUTES: i64 = 30;
/// How long family links work by default, in minutes (a letter takes days to arrive).
pub const FAMILY_LINK_MINUTES: i64 = 14 * 24 * 60;
/// Attempts per minute per client at opening links and at passkey ceremonies.
pub const ATTEMPTS_PER_MINUTE: u32 = 20;

/// Why the pages could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The web store failed.
    #[error(transparent)]
    Store(#[from] store::WebStoreError),
    /// The relying party (origin, RP ID) could not be set up.
    #[error(
        "the browser pages' address {0} cannot be used for passkeys / ブラウザ画面のアドレス {0} はパスキーに使用できません"
    )]
    Origin(String),
    /// The hub could not be reached.
    #[error("the hub failed ({0}) / ハブで障害が発生しました")]
    Hub(String),
}

/// What the pages need from the server: the hub, the log-size announcements and where they are served.
pub struct WebContext {
    /// The hub, shared with the API.
    pub hub: Arc<Mutex<Hub>>,
    /// The log's size as last announced (the pages announce growth after a decision, like the API after a push).
    pub size: Arc<watch::Sender<u64>>,
    /// The address the server listens on.
    pub addr: SocketAddr,
    /// Whether it serves HTTPS.
    pub https: bool,
}

/// The origin (scheme, host, port) the pages are served on: `http://localhost:PORT` on loopback, otherwise the
/// first line of `DIR/web-origin` (e.g. `https://hub.example.jp`, the host name of the hub's certificate), or
/// `https://localhost:PORT`.
pub fn origin_for(dir: &Path, addr: SocketAddr, https: bool) -> String {
    if let Ok(text) = std::fs::read_to_string(dir.join("web-origin"))
        && let Some(line) = text.lines().next()
        && !line.trim().is_empty()
    {
        return line.trim().trim_end_matches('/').to_string();
    }
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://localhost:{}", addr.port())
}

/// The pages' routes, with their own state; merged into the server's router.
pub fn router(context: WebContext) -> Result<Router, WebError> {
    let dir = {
        let hub = context
            .hub
            .lock()
            .map_err(|_| WebError::Hub("poisoned".into()))?;
        hub.store_path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    let db = WebStore::open_in(&dir)?;
    let origin = origin_for(&dir, context.addr, context.https);
    let url = Url::parse(&origin).map_err(|_| WebError::Origin(origin.clone()))?;
    let rp_id = url
        .host_str()
        .ok_or_else(|| WebError::Origin(origin.clone()))?
        .to_string();
    let webauthn = WebauthnBuilder::new(&rp_id, &url)
        .and_then(|builder| builder.rp_name("Azukari").build())
        .map_err(|_| WebError::Origin(origin.clone()))?;
    let web = Web(Arc::new(Inner {
        hub: context.hub,
        size: context.size,
        db: Mutex::new(db),
        webauthn,
        origin,
        rp_id,
        https: context.https,
        sessions: Mutex::new(HashMap::new()),
        limits: Mutex::new(HashMap::new()),
        console: console_app::ConsoleApp::default(),
    }));
    let router = Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/static/azukari.js", get(script))
        .route("/static/azukari.css", get(stylesheet))
        .route("/lang/{language}", get(set_language))
        .route("/signout", post(sign_out))
        .merge(console::routes())
        .merge(console_app::routes())
        .merge(family::routes())
        .layer(axum::middleware::from_fn_with_state(web.clone(), guard))
        .with_state(web);
    Ok(router)
}

/// The pages' shared state.
#[derive(Clone)]
pub(crate) struct Web(Arc<Inner>);

pub(crate) struct Inner {
    hub: Arc<Mutex<Hub>>,
    size: Arc<watch::Sender<u64>>,
    db: Mutex<WebStore>,
    webauthn: Webauthn,
    origin: String,
    rp_id: String,
    https: bool,
    sessions: Mutex<HashMap<String, WebSession>>,
    limits: Mutex<HashMap<(String, String), (Instant, u32)>>,
    /// The core's app of the browser console (a device of its own), shared by every session.
    console: console_app::ConsoleApp,
}

impl std::ops::Deref for Web {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Who a browser session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    /// Nobody signed in.
    Nobody,
    /// A member of staff who opened their enrolment link and has not registered yet.
    Enrolling(StaffId),
    /// A signed-in member of staff.
    Staff(StaffId),
    /// A family member who opened the agreement's link, or signed in with their passkey.
    Family(AgreementId),
}

/// A ceremony under way.
pub(crate) enum Pending {
    /// Registering a passkey.
    Register {
        state: Box<PasskeyRegistration>,
        owner: azukari_core::ledger::passkey::PasskeyOwner,
    },
    /// Signing in: the random challenge.
    SignIn { challenge: [u8; 32], family: bool },
    /// Signing a decision.
    Sign(Box<passkeys::Decision>),
}

/// One browser's session.
pub(crate) struct WebSession {
    csrf: String,
    created: Instant,
    seen: Instant,
    who: Who,
    locale: Locale,
    pending: Option<Pending>,
    /// Notices for the next page drawn (the result of a decision, after its redirect).
    flash: Vec<PageNotice>,
    /// This session's state of the console's app (`App::save`, sealed by the app).
    app_state: Option<Vec<u8>>,
    /// The last file the console's app gave this session to save (labels, 管理簿), and whether the page has yet
    /// to start its download.
    download: Option<(console_app::SharedFile, bool)>,
}

/// The request's session (created when missing), its id and whether the cookie must be set.
pub(crate) struct Visit {
    pub id: String,
    pub new: bool,
    pub csrf: String,
    pub who: Who,
    pub locale: Locale,
    pub client: String,
}

impl Visit {
    pub fn catalog(&self) -> &'static Catalog {
        catalog(self.locale)
    }

    pub fn text(&self, id: &str) -> String {
        self.catalog().text(id)
    }

    pub fn who_tag(&self) -> String {
        match self.who {
            Who::Nobody => "anonymous".into(),
            Who::Enrolling(staff) => format!("enrolling:{}", staff.0),
            Who::Staff(staff) => format!("staff:{}", staff.0),
            Who::Family(agreement) => format!("family:{}", agreement.0),
        }
    }
}

impl FromRequestParts<Web> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Visit, Response> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let cookie = cookie_value(&parts.headers, &web.cookie_name());
        let mut sessions = web.sessions.lock().map_err(|_| internal())?;
        let now = Instant::now();
        sessions.retain(|_, s| {
            now.duration_since(s.seen) < IDLE && now.duration_since(s.created) < LIFETIME
        });
        if let Some(id) = cookie
            && let Some(session) = sessions.get_mut(&id)
        {
            session.seen = now;
            return Ok(Visit {
                id,
                new: false,
                csrf: session.csrf.clone(),
                who: session.who,
                locale: session.locale,
                client,
            });
        }
        let id = random_token(32).map_err(|_| internal())?;
        let csrf = random_token(32).map_err(|_| internal())?;
        sessions.insert(
            id.clone(),
            WebSession {
                csrf: csrf.clone(),
                created: now,
                seen: now,
                who: Who::Nobody,
                locale: Locale::Ja,
                pending: None,
                flash: Vec::new(),
                app_state: None,
                download: None,
            },
        );
        Ok(Visit {
            id,
            new: true,
            csrf,
            who: Who::Nobody,
            locale: Locale::Ja,
            client,
        })
    }
}

impl Web {
    fn cookie_name(&self) -> String {
        if self.https {
            "__Host-azukari-session".into()
        } else {
            "azukari-session".into()
        }
    }

    /// The `Set-Cookie` value of a session.
    fn session_cookie(&self, id: &str) -> String {
        let secure = if self.https { "; Secure" } else { "" };
        format!(
            "{}={id}; Path=/; HttpOnly; SameSite=Strict{secure}",
            self.cookie_name()
        )
    }

    /// Change the visit's session.
    pub(crate) fn update(&self, visit: &Visit, f: impl FnOnce(&mut WebSession)) {
        if let Ok(mut sessions) = self.sessions.lock()
            && let Some(session) = sessions.get_mut(&visit.id)
        {
            f(session);
        }
    }

    /// A notice for the next page drawn.
    pub(crate) fn flash(&self, visit: &Visit, kind: &'static str, text: String) {
        self.update(visit, |session| {
            session.flash.push(PageNotice { kind, text })
        });
    }

    /// Take the ceremony under way, if any (it is used once).
    pub(crate) fn take_pending(&self, visit: &Visit) -> Option<Pending> {
        let mut pending = None;
        self.update(visit, |session| pending = session.pending.take());
        pending
    }

    /// Sign the visit in as `who` under a new session id (so a session fixed before sign-in is worthless) and
    /// return the new id.
    pub(crate) fn sign_in(&self, visit: &Visit, who: Who) -> Option<String> {
        let id = random_token(32).ok()?;
        let csrf = random_token(32).ok()?;
        let mut sessions = self.sessions.lock().ok()?;
        let old = sessions.remove(&visit.id);
        let now = Instant::now();
        sessions.insert(
            id.clone(),
            WebSession {
                csrf,
                created: now,
                seen: now,
                who,
                locale: old.map_or(visit.locale, |s| s.locale),
                pending: None,
                flash: Vec::new(),
                app_state: None,
                download: None,
            },
        );
        Some(id)
    }

    /// Count one attempt of `bucket` by the client; false when over [`ATTEMPTS_PER_MINUTE`].
    pub(crate) fn allow(&self, bucket: &str, visit: &Visit) -> bool {
        let Ok(mut limits) = self.limits.lock() else {
            return false;
        };
        let now = Instant::now();
        limits.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        let entry = limits
            .entry((bucket.to_string(), visit.client.clone()))
            .or_insert((now, 0));
        entry.1 += 1;
        entry.1 <= ATTEMPTS_PER_MINUTE
    }

    /// Record one access in the access log (failures to log are reported on the console, never hidden).
    pub(crate) fn log(&self, visit: &Visit, who: &str, action: &str, subject: &str) {
        let entry = AccessEntry {
            at: SystemClock.now().0,
            who: who.to_string(),
            action: action.to_string(),
            subject: subject.to_string(),
            client: visit.client.clone(),
        };
        let logged = self
            .db
            .lock()
            .map_err(|_| "poisoned".to_string())
            .and_then(|db| db.log_access(&entry).map_err(|e| e.to_string()));
        if let Err(error) = logged {
            eprintln!("access log / アクセス記録: {error}");
        }
    }

    /// Run `f` on the web store.
    pub(crate) fn db<T>(&self, f: impl FnOnce(&WebStore) -> T) -> Result<T, Response> {
        let db = self.db.lock().map_err(|_| internal())?;
        Ok(f(&db))
    }

    /// Run `f` on the hub on the blocking pool, then announce the log's growth (wakes pulls and event streams).
    pub(crate) async fn with_hub<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Hub) -> T + Send + 'static,
    ) -> Result<T, Response> {
        let hub = self.hub.clone();
        let size = self.size.clone();
        tokio::task::spawn_blocking(move || {
            let mut hub = hub.lock().ok()?;
            let result = f(&mut hub);
            let now = hub.log().tree().len();
            size.send_if_modified(|announced| {
                let grew = now != *announced;
                *announced = now;
                grew
            });
            Some(result)
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(internal)
    }

    /// A page for the visit, with the common parts filled in.
    pub(crate) fn page(&self, visit: &Visit, title: String, path: &str) -> Page {
        let other = match visit.locale {
            Locale::Ja => Locale::En,
            Locale::En => Locale::Ja,
        };
        let signed_in = matches!(visit.who, Who::Staff(_) | Who::Family(_));
        let mut notices = Vec::new();
        self.update(visit, |session| {
            notices = std::mem::take(&mut session.flash)
        });
        Page {
            lang: visit.locale.tag(),
            title,
            app_name: visit.text("web-app-name"),
            signed_in: None,
            nav_label: visit.text("web-nav-label"),
            nav: Vec::new(),
            notices,
            sections: Vec::new(),
            csrf: visit.csrf.clone(),
            live: None,
            download: None,
            language_switch: Link {
                label: visit.text("web-language-switch"),
                href: format!("/lang/{}?back={}", other.tag(), encode_path(path)),
                current: false,
            },
            other_lang: other.tag(),
            sign_out: signed_in.then(|| visit.text("web-sign-out")),
            webauthn_missing: visit.text("web-no-webauthn"),
            skip_link: visit.text("web-skip"),
            passkey_wait: visit.text("web-passkey-wait"),
            passkey_failed: visit.text("web-passkey-failed"),
        }
    }

    /// Render a page as a response (no caching: pages may hold personal data), setting the session cookie when
    /// the session is new.
    pub(crate) fn render(&self, visit: &Visit, page: &Page) -> Response {
        match (PageTemplate { page }).render() {
            Ok(html) => {
                let mut response = Html(html).into_response();
                if visit.new {
                    self.set_cookie(&mut response, &visit.id);
                }
                response
            }
            Err(error) => {
                eprintln!("page template / 画面テンプレート: {error}");
                internal()
            }
        }
    }

    pub(crate) fn set_cookie(&self, response: &mut Response, id: &str) {
        if let Ok(value) = HeaderValue::from_str(&self.session_cookie(id)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }

    /// A page with one message (refusals of links, errors), with `status`.
    pub(crate) fn message(
        &self,
        visit: &Visit,
        status: StatusCode,
        title_id: &str,
        kind: &'static str,
        text: String,
    ) -> Response {
        let mut page = self.page(visit, visit.text(title_id), "/");
        page.notices.push(PageNotice { kind, text });
        let mut response = self.render(visit, &page);
        *response.status_mut() = status;
        response
    }
}

/// A random URL-safe token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// 32 random bytes.
pub(crate) fn random_32() -> Result<[u8; 32], Response> {
    let mut buffer = [0u8; 32];
    getrandom::fill(&mut buffer).map_err(|_| internal())?;
    Ok(buffer)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

fn encode_path(path: &str) -> String {
    form_urlencoded_byte(path)
}

fn form_urlencoded_byte(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_./".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A plain 500 answer (no details to the browser; the cause went to the console).
pub(crate) fn internal() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the hub failed / ハブで障害が発生しました",
    )
        .into_response()
}

/// A JSON refusal for the passkey script: `{"code", "message"}`.
pub(crate) fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "code": code, "message": message })),
    )
        .into_response()
}

/// Security headers on every answer; POSTs only from this origin (Origin, else Sec-Fetch-Site) and, for the
/// session's forms and scripts, with its CSRF token (checked in [`checked_form`] and [`checked_json`]).
async fn guard(State(web): State<Web>, request: axum::extract::Request, next: Next) -> Response {
    if request.method() == axum::http::Method::POST && !same_origin(request.headers(), &web.origin)
    {
        let mut response = refuse(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "requests from other sites are refused / 他のサイトからの要求は受け付けません".into(),
        );
        add_security_headers(&mut response);
        return response;
    }
    let mut response = next.run(request).await;
    add_security_headers(&mut response);
    response
}

/// Whether a POST comes from this origin: its `Origin` header is ours, or (without one) the browser says
/// `Sec-Fetch-Site: same-origin`. A request with neither is refused.
fn same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = site
        && site != "same-origin"
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(value) => value == origin,
        None => site == Some("same-origin"),
    }
}

/// The pages' own headers; `nosniff` and HSTS come from the server's layer (`crate::limits::security_headers`).
fn add_security_headers(response: &mut Response) {
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
}

/// A form posted by one of the session's pages: its fields, after the CSRF token was checked; otherwise the page
/// that refuses it (403), with what to do.
pub(crate) fn checked_form(
    web: &Web,
    visit: &Visit,
    body: &Bytes,
) -> Result<HashMap<String, String>, Response> {
    let fields: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let valid = fields
        .get("csrf")
        .is_some_and(|token| constant_time_eq(token.as_bytes(), visit.csrf.as_bytes()));
    if valid {
        return Ok(fields);
    }
    Err(web.message(
        visit,
        StatusCode::FORBIDDEN,
        "web-refused-title",
        "error",
        visit.text("web-refused-csrf"),
    ))
}

/// A JSON body posted by the pages' script: parsed, after the CSRF header was checked.
pub(crate) fn checked_json<T: serde::de::DeserializeOwned>(
    visit: &Visit,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, Response> {
    let token = headers
        .get("x-azukari-csrf")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !constant_time_eq(token.as_bytes(), visit.csrf.as_bytes()) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "csrf",
            visit.text("web-refused-csrf"),
        ));
    }
    serde_json::from_slice(body).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            visit.text("web-refused-bad-request"),
        )
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/azukari.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/azukari.css"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

/// Switch the session's language and go back to the page (a path on this hub only).
async fn set_language(
    State(web): State<Web>,
    visit: Visit,
    UrlPath(language): UrlPath<String>,
    Query(back): Query<Back>,
) -> Response {
    let locale = if language == "en" {
        Locale::En
    } else {
        Locale::Ja
    };
    web.update(&visit, |session| session.locale = locale);
    let target = back
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/console".into());
    let mut response = Redirect::to(&target).into_response();
    if visit.new {
        web.set_cookie(&mut response, &visit.id);
    }
    response
}

/// Sign out: the session ends at once.
async fn sign_out(State(web): State<Web>, visit: Visit, body: Bytes) -> Response {
    if let Err(refused) = checked_form(&web, &visit, &body) {
        return refused;
    }
    let target = match visit.who {
        Who::Family(_) => "/family/signin",
        _ => "/console/signin",
    };
    web.log(&visit, &visit.who_tag(), "sign_out", "");
    if let Ok(mut sessions) = web.sessions.lock() {
        sessions.remove(&visit.id);
    }
    Redirect::to(target).into_response()
}

/// The sections of a page that only says something.
pub(crate) fn paragraph_section(title: Option<String>, text: String) -> PageSection {
    PageSection {
        title,
        paragraphs: vec![text],
        ..PageSection::default()
    }
}
