//! The supervisors' console: passkey sign-in and enrolment, home, approvals (live, signed with a passkey), the
//! board, people and one-time links, and the downloads (管理簿 CSV, proof bundle).
//!
//! Until the core's app state machine (`App`, `AppView`) is there, these pages draw the core's flow views
//! (`ApprovalInbox`, `BoardFlow`) into the page model directly; each is one function from a view to sections.

use super::page::{Action, Page, PageNotice, PageRow, PageSection};
use super::passkeys::{self, Decision, Finish};
use super::store::{LinkKind, LinkRefusal, StoredPasskey};
use super::{Visit, Web, Who, checked_form, checked_json, internal, paragraph_section, refuse};
use crate::bundle::make_bundle;
use crate::seen::DeviceHealth;
use crate::service::Hub;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use azukari_core::alerts::Severity;
use azukari_core::clock::{Clock, SystemClock};
use azukari_core::flows::approval::{ApprovalInbox, ApprovalIntent, ApprovalView};
use azukari_core::flows::board::BoardFlow;
use azukari_core::flows::ledger_book::ledger_csv;
use azukari_core::flows::{Labels, NoticeKind};
use azukari_core::i18n::Locale;
use azukari_core::ledger::EventBody;
use azukari_core::ledger::passkey::{DecisionKind, DecisionSubject, PasskeyOwner};
use azukari_core::model::{AgreementId, RequestId, Role, StaffId};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/console", get(home))
        .route("/console/signin", get(sign_in_page))
        .route("/console/signin/options", post(sign_in_options))
        .route("/console/signin/finish", post(sign_in_finish))
        .route("/enrol", get(enrol_page))
        .route("/enrol/options", post(enrol_options))
        .route("/enrol/finish", post(enrol_finish))
        .route("/console/approvals", get(approvals))
        .route("/console/decide", post(no_script))
        .route("/console/decide/options", post(decide_options))
        .route("/console/decide/finish", post(decide_finish))
        .route("/console/board", get(board))
        .route("/console/people", get(people))
        .route("/console/people/staff-link", post(staff_link))
        .route("/console/people/family-link", post(family_link))
        .route("/console/devices", get(devices))
        .route("/console/devices/enroll", post(enroll_device))
        .route("/console/ledger.csv", get(ledger_download))
        .route("/console/proof.json", get(proof_download))
}

/// What the pages know about the signed-in member of staff.
#[derive(Debug, Clone)]
struct Me {
    id: StaffId,
    name: String,
    roles: Vec<Role>,
    /// The app's screens the core lets them open (for the navigation).
    openable: Vec<azukari_core::app::ScreenKind>,
}

impl Me {
    fn may(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The signed-in member of staff, still active; otherwise the answer that sends the browser to sign in.
async fn me(web: &Web, visit: &Visit) -> Result<Me, Response> {
    let Who::Staff(id) = visit.who else {
        return Err(Redirect::to("/console/signin").into_response());
    };
    let found = web
        .with_hub(move |hub| -> Option<Me> {
            let session = hub.session().ok()?;
            let member = session.store().state().staff.get(&id)?.clone();
            if !member.active {
                return None;
            }
            Some(Me {
                id,
                name: Labels::new(session).staff(id),
                roles: member.roles.iter().copied().collect(),
                openable: super::nav::openable(session, id),
            })
        })
        .await?;
    found.ok_or_else(|| Redirect::to("/console/signin").into_response())
}

/// The console's page frame: who is signed in and the navigation (by role, and by what the core says the person
/// may open).
fn console_page(web: &Web, visit: &Visit, me: &Me, title_id: &str, path: &str) -> Page {
    let mut page = web.page(visit, visit.text(title_id), path);
    page.signed_in = Some(me.name.clone());
    page.nav = super::nav::links(visit, &me.roles, &me.openable, path);
    page
}

async fn home(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let pending = web
        .with_hub(|hub| {
            hub.session()
                .map(|s| {
                    s.store()
                        .state()
                        .requests
                        .values()
                        .filter(|r| r.status == azukari_core::custody::RequestStatus::Pending)
                        .count()
                })
                .unwrap_or(0)
        })
        .await
        .unwrap_or(0);
    // The hub's own ledger check (at start and every six hours) raises `ledger_damaged`; the console says so first.
    let damaged = web
        .with_hub(|hub| {
            let log = hub.log();
            let facility = log.facility();
            log.storage()
                .alarms(facility)
                .map(|alarms| alarms.iter().any(|a| a.kind == "ledger_damaged"))
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
    let mut page = console_page(&web, &visit, &me, "web-home-title", "/console");
    if damaged {
        page.notices.push(PageNotice {
            kind: "error",
            text: visit.text("web-hub-ledger-damaged"),
        });
    }
    page.live = Some("/v1/events/stream".into());
    let mut actions = Vec::new();
    if me.may(Role::Supervisor) || me.may(Role::Admin) {
        actions.push(Action::link(
            visit.catalog().format(
                "web-home-approvals",
                &[("count", azukari_core::i18n::Arg::from(pending as i64))],
            ),
            "/console/approvals",
            "primary",
        ));
        actions.push(Action::link(
            visit.text("web-nav-board"),
            "/console/board",
            "secondary",
        ));
    }
    if me.may(Role::Admin) || me.may(Role::Supervisor) {
        actions.push(Action::link(
            visit.text("web-nav-people"),
            "/console/people",
            "secondary",
        ));
    }
    page.sections.push(PageSection {
        title: Some(visit.text("web-home-work")),
        actions,
        ..PageSection::default()
    });
    if me.may(Role::Supervisor) || me.may(Role::Admin) || me.may(Role::Auditor) {
        page.sections.push(PageSection {
            title: Some(visit.text("web-home-downloads")),
            paragraphs: vec![visit.text("web-home-downloads-body")],
            actions: vec![
                Action::link(
                    visit.text("web-download-ledger"),
                    "/console/ledger.csv",
                    "secondary",
                ),
                Action::link(
                    visit.text("web-download-proof"),
                    "/console/proof.json",
                    "secondary",
                ),
            ],
            ..PageSection::default()
        });
    }
    web.log(&visit, &visit.who_tag(), "read", "/console");
    web.render(&visit, &page)
}

async fn sign_in_page(State(web): State<Web>, visit: Visit) -> Response {
    if matches!(visit.who, Who::Staff(_)) {
        return Redirect::to("/console").into_response();
    }
    let mut page = web.page(&visit, visit.text("web-signin-title"), "/console/signin");
    page.sections.push(PageSection {
        paragraphs: vec![visit.text("web-signin-body")],
        actions: vec![Action::passkey(
            visit.text("web-signin-button"),
            "/console/signin",
            "signin",
            "primary",
        )],
        ..PageSection::default()
    });
    page.sections.push(paragraph_section(
        Some(visit.text("web-signin-new-heading")),
        visit.text("web-signin-new-body"),
    ));
    web.render(&visit, &page)
}

/// Too many attempts from this client this minute.
fn too_many(visit: &Visit) -> Response {
    refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        visit.text("web-refused-rate"),
    )
}

async fn sign_in_options(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = checked_json::<serde_json::Value>(&visit, &headers, &body) {
        return response;
    }
    if !web.allow("sign_in", &visit) {
        web.log(&visit, "anonymous", "sign_in_refused", "rate_limited");
        return too_many(&visit);
    }
    match passkeys::start_sign_in(&web, &visit, false) {
        Ok(options) => axum::Json(options).into_response(),
        Err(response) => response,
    }
}

async fn sign_in_finish(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let finish: Finish = match checked_json(&visit, &headers, &body) {
        Ok(finish) => finish,
        Err(response) => return response,
    };
    let Some(assertion) = finish.assertion else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            visit.text("web-refused-bad-request"),
        );
    };
    let owner = match passkeys::finish_sign_in(&web, &visit, &assertion) {
        Ok(owner) => owner,
        Err(response) => {
            web.log(&visit, "anonymous", "sign_in_refused", "staff");
            return response;
        }
    };
    let PasskeyOwner::Staff(staff) = owner else {
        return internal();
    };
    let active = web
        .with_hub(move |hub| {
            hub.session()
                .ok()
                .and_then(|s| s.store().state().staff.get(&staff).map(|m| m.active))
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
    if !active {
        web.log(
            &visit,
            &format!("staff:{}", staff.0),
            "sign_in_refused",
            "inactive",
        );
        return refuse(
            StatusCode::FORBIDDEN,
            "inactive",
            visit.text("web-refused-sign-in"),
        );
    }
    signed_in(&web, &visit, Who::Staff(staff), "/console")
}

/// Answer a finished sign-in: the new session's cookie and where to go.
fn signed_in(web: &Web, visit: &Visit, who: Who, target: &str) -> Response {
    let Some(id) = web.sign_in(visit, who) else {
        return internal();
    };
    let tag = match who {
        Who::Staff(staff) => format!("staff:{}", staff.0),
        Who::Family(agreement) => format!("family:{}", agreement.0),
        _ => "anonymous".into(),
    };
    web.log(visit, &tag, "sign_in", "passkey");
    let mut response = axum::Json(json!({ "redirect": target })).into_response();
    web.set_cookie(&mut response, &id);
    response
}

#[derive(Deserialize)]
pub(super) struct Token {
    /// The link's token.
    pub(super) t: Option<String>,
}

/// Open a one-time link (`/enrol?t=…` for staff, `/f?t=…` for family): the session takes it over and the token
/// is used up; the browser goes on to a page whose address has no token.
pub(super) async fn open_link(web: &Web, visit: &Visit, token: Option<String>) -> Response {
    if !web.allow("link", visit) {
        web.log(visit, "anonymous", "link_refused", "rate_limited");
        return web.message(
            visit,
            StatusCode::TOO_MANY_REQUESTS,
            "web-refused-title",
            "error",
            visit.text("web-refused-rate"),
        );
    }
    let Some(token) = token else {
        return web.message(
            visit,
            StatusCode::NOT_FOUND,
            "web-refused-title",
            "error",
            visit.text("web-link-unknown"),
        );
    };
    let used = match web.db(|db| db.use_link(&token, SystemClock.now().0)) {
        Ok(Ok(used)) => used,
        _ => return internal(),
    };
    let (who, target) = match used {
        Ok(LinkKind::Staff(staff)) => (Who::Enrolling(staff), "/enrol"),
        Ok(LinkKind::Family(agreement)) => (Who::Family(agreement), "/family"),
        Err(refusal) => {
            web.log(visit, "anonymous", "link_refused", refusal_code(refusal));
            let (status, id) = match refusal {
                LinkRefusal::Unknown => (StatusCode::NOT_FOUND, "web-link-unknown"),
                LinkRefusal::Expired => (StatusCode::GONE, "web-link-expired"),
                LinkRefusal::Used => (StatusCode::GONE, "web-link-used"),
            };
            return web.message(visit, status, "web-refused-title", "error", visit.text(id));
        }
    };
    let Some(id) = web.sign_in(visit, who) else {
        return internal();
    };
    let tag = match who {
        Who::Enrolling(staff) => format!("enrolling:{}", staff.0),
        Who::Family(agreement) => format!("family:{}", agreement.0),
        _ => String::new(),
    };
    web.log(visit, &tag, "link_opened", target);
    let mut response = Redirect::to(target).into_response();
    web.set_cookie(&mut response, &id);
    response
}

fn refusal_code(refusal: LinkRefusal) -> &'static str {
    match refusal {
        LinkRefusal::Unknown => "unknown",
        LinkRefusal::Expired => "expired",
        LinkRefusal::Used => "used",
    }
}

async fn enrol_page(State(web): State<Web>, visit: Visit, Query(token): Query<Token>) -> Response {
    if token.t.is_some() {
        return open_link(&web, &visit, token.t).await;
    }
    let Who::Enrolling(staff) = visit.who else {
        return web.message(
            &visit,
            StatusCode::FORBIDDEN,
            "web-refused-title",
            "error",
            visit.text("web-link-unknown"),
        );
    };
    let name = web
        .with_hub(move |hub| {
            hub.session()
                .map(|s| Labels::new(s).staff(staff))
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default();
    let mut page = web.page(&visit, visit.text("web-enrol-title"), "/enrol");
    page.sections.push(PageSection {
        facts: vec![(visit.text("web-enrol-who"), name)],
        paragraphs: vec![visit.text("web-enrol-body")],
        actions: vec![Action::passkey(
            visit.text("web-enrol-button"),
            "/enrol",
            "register",
            "primary",
        )],
        ..PageSection::default()
    });
    web.render(&visit, &page)
}

async fn enrol_options(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = checked_json::<serde_json::Value>(&visit, &headers, &body) {
        return response;
    }
    let Who::Enrolling(staff) = visit.who else {
        return refuse(
            StatusCode::FORBIDDEN,
            "no_link",
            visit.text("web-link-unknown"),
        );
    };
    if !web.allow("register", &visit) {
        return too_many(&visit);
    }
    let name = web
        .with_hub(move |hub| {
            hub.session()
                .map(|s| Labels::new(s).staff(staff))
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default();
    match passkeys::start_registration(&web, &visit, PasskeyOwner::Staff(staff), staff.0, &name) {
        Ok(options) => axum::Json(options).into_response(),
        Err(response) => response,
    }
}

async fn enrol_finish(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let finish: Finish = match checked_json(&visit, &headers, &body) {
        Ok(finish) => finish,
        Err(response) => return response,
    };
    let Some(registration) = finish.registration else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            visit.text("web-refused-bad-request"),
        );
    };
    let (owner, key) = match passkeys::finish_registration(&web, &visit, &registration) {
        Ok(done) => done,
        Err(response) => return response,
    };
    let PasskeyOwner::Staff(staff) = owner else {
        return internal();
    };
    if let Err(response) = register_passkey(&web, owner, key, Some(staff)).await {
        return response;
    }
    web.log(
        &visit,
        &format!("staff:{}", staff.0),
        "passkey_registered",
        "",
    );
    signed_in(&web, &visit, Who::Staff(staff), "/console")
}

/// Keep a new passkey: in the web store, and in the ledger (`PasskeyRegistered`, published at once) so its
/// signatures verify offline.
pub(super) async fn register_passkey(
    web: &Web,
    owner: PasskeyOwner,
    key: azukari_core::ledger::passkey::PasskeyKey,
    actor: Option<StaffId>,
) -> Result<(), Response> {
    let stored = StoredPasskey {
        owner,
        key: key.clone(),
    };
    web.db(|db| db.add_passkey(&stored, SystemClock.now().0))?
        .map_err(|_| internal())?;
    web.with_hub(move |hub| -> Result<(), String> {
        hub.store()
            .map_err(|e| e.to_string())?
            .append(actor, EventBody::PasskeyRegistered { owner, key })
            .map_err(|e| e.to_string())?;
        hub.publish_own().map_err(|e| e.to_string())?;
        Ok(())
    })
    .await?
    .map_err(|error| {
        eprintln!("passkey registration / パスキー登録: {error}");
        internal()
    })
}

/// The approval inbox as the signed-in supervisor sees it.
async fn approval_view(web: &Web, me: &Me, locale: Locale) -> Result<ApprovalView, Response> {
    let id = me.id;
    web.with_hub(move |hub| -> Option<ApprovalView> {
        let session = hub.session().ok()?;
        session.locale = locale;
        session.sign_in(id).ok()?;
        let view = ApprovalInbox::new().view(session);
        session.sign_out();
        Some(view)
    })
    .await?
    .ok_or_else(internal)
}

/// The exact text a supervisor signs for a decision on one request: what the row shows, in the page's
/// language.
fn decision_text(
    visit: &Visit,
    kind: DecisionKind,
    row: &azukari_core::flows::approval::RequestRow,
) -> String {
    let what = visit.text(match kind {
        DecisionKind::Deny => "web-decision-deny",
        _ => "web-decision-approve",
    });
    format!(
        "{what}\n{}\n{}\n{}\n{}",
        row.item, row.purpose, row.requester, row.when
    )
}

async fn approvals(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let view = match approval_view(&web, &me, visit.locale).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let mut page = console_page(&web, &visit, &me, "web-nav-approvals", "/console/approvals");
    page.title = view.title.clone();
    page.live = Some("/v1/events/stream".into());
    let rows = view
        .requests
        .iter()
        .map(|row| {
            let mut details = vec![row.purpose.clone(), row.requester.clone(), row.when.clone()];
            details.extend(
                row.rules
                    .iter()
                    .map(|r| format!("{}（{}）", r.text, r.cites)),
            );
            let mut actions = Vec::new();
            if row.can_decide {
                actions.push(
                    Action::passkey(view.approve.clone(), "/console/decide", "sign", "primary")
                        .with("request", row.request.0.to_string())
                        .with("decision", "approve"),
                );
                actions.push(
                    Action::passkey(view.deny.clone(), "/console/decide", "sign", "destructive")
                        .with("request", row.request.0.to_string())
                        .with("decision", "deny")
                        .with_input("reason", visit.text("web-deny-reason"), true),
                );
            } else {
                details.push(visit.text("web-own-request"));
            }
            PageRow {
                title: row.item.clone(),
                details,
                severity: Some("info"),
                actions,
            }
        })
        .collect();
    page.sections.push(PageSection {
        title: Some(view.summary.clone()),
        paragraphs: vec![visit.text("web-approvals-body")],
        rows,
        empty: Some(visit.text("web-approvals-empty")),
        ..PageSection::default()
    });
    web.log(&visit, &visit.who_tag(), "read", "/console/approvals");
    web.render(&visit, &page)
}

/// Without the script a passkey form cannot be signed: say so.
async fn no_script(State(web): State<Web>, visit: Visit) -> Response {
    web.message(
        &visit,
        StatusCode::BAD_REQUEST,
        "web-refused-title",
        "warning",
        visit.text("web-no-webauthn"),
    )
}

#[derive(Deserialize)]
struct DecideForm {
    request: String,
    decision: String,
    reason: Option<String>,
}

async fn decide_options(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: DecideForm = match checked_json(&visit, &headers, &body) {
        Ok(form) => form,
        Err(response) => return response,
    };
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(_) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "signed_out",
                visit.text("web-refused-signed-out"),
            );
        }
    };
    if !web.allow("sign", &visit) {
        return too_many(&visit);
    }
    let kind = match form.decision.as_str() {
        "approve" => DecisionKind::Approve,
        "deny" => DecisionKind::Deny,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                visit.text("web-refused-bad-request"),
            );
        }
    };
    let reason = form
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if kind == DecisionKind::Deny && reason.is_none() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "reason_required",
            visit.text("web-deny-reason-required"),
        );
    }
    let Ok(request) = uuid::Uuid::parse_str(&form.request).map(RequestId) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            visit.text("web-refused-bad-request"),
        );
    };
    let view = match approval_view(&web, &me, visit.locale).await {
        Ok(view) => view,
        Err(response) => return response,
    };
    let Some(row) = view.requests.iter().find(|r| r.request == request) else {
        return refuse(
            StatusCode::CONFLICT,
            "not_pending",
            visit.text("web-refused-not-pending"),
        );
    };
    if !row.can_decide {
        return refuse(
            StatusCode::FORBIDDEN,
            "own_request",
            visit.text("web-own-request"),
        );
    }
    let request_hash = match web
        .with_hub(move |hub| {
            hub.session()
                .ok()
                .and_then(|s| s.store().state().requests.get(&request).map(|r| r.hash))
        })
        .await
    {
        Ok(Some(hash)) => hash,
        _ => return internal(),
    };
    let mut text = decision_text(&visit, kind, row);
    if let Some(reason) = &reason {
        text.push('\n');
        text.push_str(reason);
    }
    let nonce = match super::random_32() {
        Ok(nonce) => nonce,
        Err(response) => return response,
    };
    let decision = Decision {
        kind,
        subject: DecisionSubject::Request {
            request,
            request_hash,
        },
        text,
        nonce,
        owner: PasskeyOwner::Staff(me.id),
        reason,
    };
    match passkeys::start_decision(&web, &visit, decision) {
        Ok(options) => axum::Json(options).into_response(),
        Err(response) => response,
    }
}

async fn decide_finish(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let finish: Finish = match checked_json(&visit, &headers, &body) {
        Ok(finish) => finish,
        Err(response) => return response,
    };
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(_) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "signed_out",
                visit.text("web-refused-signed-out"),
            );
        }
    };
    let Some(assertion) = finish.assertion else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            visit.text("web-refused-bad-request"),
        );
    };
    let (decision, assertion) = match passkeys::finish_decision(&web, &visit, &assertion) {
        Ok(done) => done,
        Err(response) => {
            web.log(&visit, &visit.who_tag(), "decision_refused", "signature");
            return response;
        }
    };
    let DecisionSubject::Request {
        request,
        request_hash,
    } = decision.subject
    else {
        return internal();
    };
    let staff = me.id;
    let locale = visit.locale;
    let kind = decision.kind;
    let outcome = web
        .with_hub(move |hub| record_decision(hub, staff, locale, decision, assertion))
        .await;
    match outcome {
        Ok(Ok(notice)) => {
            web.log(
                &visit,
                &visit.who_tag(),
                if kind == DecisionKind::Approve {
                    "approved"
                } else {
                    "denied"
                },
                &request.0.to_string(),
            );
            let _ = request_hash;
            web.flash(&visit, "info", notice);
            axum::Json(json!({ "redirect": "/console/approvals" })).into_response()
        }
        Ok(Err(text)) => refuse(StatusCode::CONFLICT, "refused", text),
        Err(response) => response,
    }
}

/// Record a signed approval or denial on the hub: the approval flow decides (rules, no self-approval, one
/// decision per request) and records; then the passkey evidence naming the decision's event; then both are
/// published. `Err` carries the flow's refusal, in words; nothing was written then.
fn record_decision(
    hub: &mut Hub,
    staff: StaffId,
    locale: Locale,
    decision: Decision,
    assertion: azukari_core::ledger::passkey::PasskeyAssertion,
) -> Result<String, String> {
    let failed = |e: &dyn std::fmt::Display| e.to_string();
    let device = hub.store().map_err(|e| failed(&e))?.device_id();
    let published = hub.log().last_seq(device);
    let session = hub.session().map_err(|e| failed(&e))?;
    session.locale = locale;
    session.sign_in(staff).map_err(|e| failed(&e))?;
    let DecisionSubject::Request { request, .. } = decision.subject else {
        session.sign_out();
        return Err(String::new());
    };
    let intent = match decision.kind {
        DecisionKind::Deny => ApprovalIntent::Deny {
            request,
            reason: decision.reason.clone().unwrap_or_default(),
        },
        _ => ApprovalIntent::Approve { request },
    };
    let mut inbox = ApprovalInbox::new();
    let handled = inbox.handle(session, intent);
    let view = inbox.view(session);
    let notice = view
        .notice
        .map(|n| (n.kind, n.text))
        .unwrap_or((NoticeKind::Info, String::new()));
    if handled.is_err() {
        session.sign_out();
        return Err(notice.1);
    }
    let decided = session
        .store()
        .own_events_after(published)
        .map_err(|e| failed(&e))?
        .last()
        .map(|event| event.hash());
    let recorded = session.record(EventBody::PasskeySigned {
        decision: decision.kind,
        subject: decision.subject,
        decided,
        text_sha256: azukari_core::ledger::passkey::text_sha256(&decision.text),
        nonce: decision.nonce,
        assertion,
    });
    session.sign_out();
    recorded.map_err(|e| failed(&e))?;
    hub.publish_own().map_err(|e| failed(&e))?;
    Ok(notice.1)
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Urgent => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

async fn board(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let id = me.id;
    let locale = visit.locale;
    let view = web
        .with_hub(move |hub| {
            let session = hub.session().ok()?;
            session.locale = locale;
            session.sign_in(id).ok()?;
            let view = BoardFlow::new().view(session);
            session.sign_out();
            Some(view)
        })
        .await;
    let view = match view {
        Ok(Some(view)) => view,
        _ => return internal(),
    };
    let mut page = console_page(&web, &visit, &me, "web-nav-board", "/console/board");
    page.title = view.title.clone();
    page.live = Some("/v1/events/stream".into());
    page.sections.push(PageSection {
        paragraphs: vec![view.as_of.clone(), view.summary.clone()],
        ..PageSection::default()
    });
    for (section, severity) in [
        (&view.overdue, Some("critical")),
        (&view.out, Some("warning")),
        (&view.held, None),
    ] {
        page.sections.push(PageSection {
            title: Some(format!("{}（{}）", section.heading, section.items.len())),
            rows: section
                .items
                .iter()
                .map(|item| PageRow {
                    title: format!("{} — {}", item.resident_name, item.kind),
                    details: vec![item.custody.clone()],
                    severity,
                    actions: Vec::new(),
                })
                .collect(),
            empty: Some(section.empty_text.clone()),
            ..PageSection::default()
        });
    }
    page.sections.push(PageSection {
        title: Some(view.alerts_heading.clone()),
        rows: view
            .alerts
            .iter()
            .map(|alert| PageRow {
                title: alert.message.clone(),
                details: vec![alert.severity_label.clone()],
                severity: Some(severity_class(alert.severity)),
                actions: Vec::new(),
            })
            .collect(),
        empty: Some(view.alerts_empty_text.clone()),
        ..PageSection::default()
    });
    page.sections.push(PageSection {
        title: Some(view.discrepancies_heading.clone()),
        rows: view
            .discrepancies
            .iter()
            .map(|d| PageRow {
                title: d.message.clone(),
                details: d.at.iter().cloned().collect(),
                severity: Some("critical"),
                actions: Vec::new(),
            })
            .collect(),
        empty: Some(view.discrepancies_empty_text.clone()),
        ..PageSection::default()
    });
    if let Some(notice) = view.notice {
        page.notices.push(PageNotice {
            kind: notice_class(notice.kind),
            text: notice.text,
        });
    }
    web.log(&visit, &visit.who_tag(), "read", "/console/board");
    web.render(&visit, &page)
}

pub(super) fn notice_class(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Error => "error",
        NoticeKind::Warning => "warning",
        NoticeKind::Info => "info",
    }
}

/// Staff (with their enrolment links) and agreements (with the family links), for administrators and
/// supervisors.
async fn people(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    if !(me.may(Role::Admin) || me.may(Role::Supervisor)) {
        return Redirect::to("/console").into_response();
    }
    let locale = visit.locale;
    let listed = web
        .with_hub(move |hub| {
            let session = hub.session().ok()?;
            session.locale = locale;
            let state = session.store().state();
            let staff: Vec<(StaffId, bool)> =
                state.staff.values().map(|s| (s.id, s.active)).collect();
            let staff: Vec<(StaffId, String)> = staff
                .into_iter()
                .filter(|(_, active)| *active)
                .map(|(id, _)| (id, Labels::new(session).staff(id)))
                .collect();
            let now = session.now();
            let agreements: Vec<(AgreementId, String)> = session
                .store()
                .state()
                .agreements
                .values()
                .filter(|a| a.is_active_at(now))
                .map(|a| (a.id, a.resident))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|(id, resident)| (id, Labels::new(session).resident(resident)))
                .collect();
            Some((staff, agreements))
        })
        .await;
    let Ok(Some((staff, agreements))) = listed else {
        return internal();
    };
    let mut page = console_page(&web, &visit, &me, "web-people-title", "/console/people");
    let registered = |id: StaffId| {
        web.db(|db| {
            db.passkeys_of(&PasskeyOwner::Staff(id))
                .map(|k| k.len())
                .unwrap_or(0)
        })
        .unwrap_or(0)
    };
    page.sections.push(PageSection {
        title: Some(visit.text("web-people-staff")),
        paragraphs: vec![visit.text("web-people-staff-body")],
        rows: staff
            .iter()
            .map(|(id, name)| {
                let count = registered(*id);
                PageRow {
                    title: name.clone(),
                    details: vec![visit.catalog().format(
                        "web-people-passkeys",
                        &[("count", azukari_core::i18n::Arg::from(count as i64))],
                    )],
                    severity: None,
                    actions: if me.may(Role::Admin) {
                        vec![
                            Action::post(
                                visit.text("web-people-staff-link"),
                                "/console/people/staff-link",
                                "secondary",
                            )
                            .with("staff", id.0.to_string()),
                        ]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect(),
        ..PageSection::default()
    });
    page.sections.push(PageSection {
        title: Some(visit.text("web-people-family")),
        paragraphs: vec![visit.text("web-people-family-body")],
        rows: agreements
            .iter()
            .map(|(id, resident)| PageRow {
                title: resident.clone(),
                details: Vec::new(),
                severity: None,
                actions: vec![
                    Action::post(
                        visit.text("web-people-family-link"),
                        "/console/people/family-link",
                        "secondary",
                    )
                    .with("agreement", id.0.to_string()),
                ],
            })
            .collect(),
        empty: Some(visit.text("web-people-family-empty")),
        ..PageSection::default()
    });
    web.log(&visit, &visit.who_tag(), "read", "/console/people");
    web.render(&visit, &page)
}

/// Show a freshly issued link as text and QR code.
fn link_page(
    web: &Web,
    visit: &Visit,
    me: &Me,
    title_id: &str,
    body_id: &str,
    url: &str,
) -> Response {
    let mut page = console_page(web, visit, me, title_id, "/console/people");
    page.sections.push(PageSection {
        paragraphs: vec![visit.text(body_id)],
        qr_svg: super::page::qr_svg(url, &visit.text(title_id)),
        code: Some(url.to_string()),
        actions: vec![Action::link(
            visit.text("web-back-people"),
            "/console/people",
            "secondary",
        )],
        ..PageSection::default()
    });
    web.render(visit, &page)
}

async fn staff_link(State(web): State<Web>, visit: Visit, body: Bytes) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let form = match checked_form(&web, &visit, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    if !me.may(Role::Admin) {
        return Redirect::to("/console").into_response();
    }
    let Some(staff) = form
        .get("staff")
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(StaffId)
    else {
        return internal();
    };
    issued_link(&web, &visit, &me, LinkKind::Staff(staff))
}

/// Issue a one-time link of `kind`, log it and show it as a QR code with its address.
fn issued_link(web: &Web, visit: &Visit, me: &Me, kind: LinkKind) -> Response {
    let (minutes, route, event, subject, title_id, body_id) = match kind {
        LinkKind::Staff(staff) => (
            super::STAFF_LINK_MINUTES,
            "enrol",
            "staff_link_issued",
            staff.0.to_string(),
            "web-staff-link-title",
            "web-staff-link-body",
        ),
        LinkKind::Family(agreement) => (
            super::FAMILY_LINK_MINUTES,
            "f",
            "family_link_issued",
            agreement.0.to_string(),
            "web-family-link-title",
            "web-family-link-body",
        ),
    };
    let token = match web.db(|db| db.issue_link(kind, SystemClock.now().0, minutes)) {
        Ok(Ok(token)) => token,
        _ => return internal(),
    };
    web.log(visit, &visit.who_tag(), event, &subject);
    let url = format!("{}/{route}?t={token}", web.origin);
    link_page(web, visit, me, title_id, body_id, &url)
}

async fn family_link(State(web): State<Web>, visit: Visit, body: Bytes) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let form = match checked_form(&web, &visit, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    if !(me.may(Role::Admin) || me.may(Role::Supervisor)) {
        return Redirect::to("/console").into_response();
    }
    let Some(agreement) = form
        .get("agreement")
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(AgreementId)
    else {
        return internal();
    };
    issued_link(&web, &visit, &me, LinkKind::Family(agreement))
}

async fn ledger_download(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    if !(me.may(Role::Supervisor) || me.may(Role::Admin) || me.may(Role::Auditor)) {
        return Redirect::to("/console").into_response();
    }
    let locale = visit.locale;
    let csv = web
        .with_hub(move |hub| {
            let session = hub.session().ok()?;
            session.locale = locale;
            ledger_csv(session).ok()
        })
        .await;
    let Ok(Some(csv)) = csv else {
        return internal();
    };
    web.log(&visit, &visit.who_tag(), "download", "/console/ledger.csv");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kanribo.csv\"",
            ),
        ],
        csv,
    )
        .into_response()
}

async fn proof_download(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    if !(me.may(Role::Supervisor) || me.may(Role::Admin) || me.may(Role::Auditor)) {
        return Redirect::to("/console").into_response();
    }
    let bundle = web
        .with_hub(|hub| {
            make_bundle(hub.log())
                .ok()
                .and_then(|b| serde_json::to_vec_pretty(&b).ok())
        })
        .await;
    let Ok(Some(bundle)) = bundle else {
        return internal();
    };
    web.log(&visit, &visit.who_tag(), "download", "/console/proof.json");
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"azukari-proof.json\"",
            ),
        ],
        bundle,
    )
        .into_response()
}

/// The facility's devices (label, events recorded) and the enrolment of a new one, for administrators.
async fn devices(State(web): State<Web>, visit: Visit) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    if !me.may(Role::Admin) {
        return Redirect::to("/console").into_response();
    }
    let locale = visit.locale;
    let listed = web
        .with_hub(move |hub| -> Option<Vec<PageRow>> {
            let log = hub.log();
            let now = SystemClock.now().0;
            let size = log.tree().len();
            let founding = log.trust_anchor().founding_device;
            let catalog = azukari_core::i18n::catalog(locale);
            let mut rows = vec![PageRow {
                title: catalog.text("web-devices-hub"),
                details: vec![device_events(catalog, log.last_seq(founding))],
                severity: None,
                actions: Vec::new(),
            }];
            for device in log.enrolled_devices().ok()? {
                let health = DeviceHealth::of(log.seen(device.device), now, size);
                rows.push(PageRow {
                    title: device.label,
                    details: device_health(catalog, locale, &health, log.last_seq(device.device)),
                    severity: (health.silent || health.clock_off).then_some("warning"),
                    actions: Vec::new(),
                });
            }
            Some(rows)
        })
        .await;
    let Ok(Some(rows)) = listed else {
        return internal();
    };
    let mut page = console_page(&web, &visit, &me, "web-devices-title", "/console/devices");
    page.sections.push(PageSection {
        title: Some(visit.text("web-devices-list")),
        paragraphs: vec![visit.text("web-devices-list-body")],
        rows,
        ..PageSection::default()
    });
    page.sections.push(PageSection {
        title: Some(visit.text("web-devices-new")),
        paragraphs: vec![visit.text("web-devices-new-body")],
        actions: vec![
            Action::post(
                visit.text("web-devices-new-button"),
                "/console/devices/enroll",
                "primary",
            )
            .with_input("label", visit.text("web-devices-label"), true),
        ],
        ..PageSection::default()
    });
    web.log(&visit, &visit.who_tag(), "read", "/console/devices");
    web.render(&visit, &page)
}

fn device_events(catalog: &azukari_core::i18n::Catalog, count: u64) -> String {
    catalog.format(
        "web-devices-events",
        &[("count", azukari_core::i18n::Arg::from(count as i64))],
    )
}

/// A device's sync status in words: when it last synced, what it has not received yet, its clock, its records.
fn device_health(
    catalog: &azukari_core::i18n::Catalog,
    locale: azukari_core::i18n::Locale,
    health: &DeviceHealth,
    records: u64,
) -> Vec<String> {
    use azukari_core::i18n::Arg;
    let Some(at) = health.last_seen else {
        return vec![
            catalog.text("web-devices-never"),
            device_events(catalog, records),
        ];
    };
    let seen = azukari_core::app::format::date_time(azukari_core::clock::Timestamp(at), locale);
    let mut lines = vec![catalog.format(
        if health.silent {
            "web-devices-silent"
        } else {
            "web-devices-seen"
        },
        &[("at", Arg::from(seen))],
    )];
    lines.push(catalog.format(
        "web-devices-pending",
        &[("count", Arg::from(health.pending as i64))],
    ));
    let seconds = health.clock_offset_ms / 1000;
    lines.push(catalog.format(
        if health.clock_off {
            "web-devices-clock-off"
        } else {
            "web-devices-clock"
        },
        &[("seconds", Arg::from(seconds))],
    ));
    lines.push(device_events(catalog, records));
    lines
}

/// A one-time enrolment QR for a new device, shown on screen (what `azukari-hub enroll` prints).
async fn enroll_device(State(web): State<Web>, visit: Visit, body: Bytes) -> Response {
    let me = match me(&web, &visit).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let form = match checked_form(&web, &visit, &body) {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    if !me.may(Role::Admin) {
        return Redirect::to("/console").into_response();
    }
    let label = form
        .get("label")
        .map(|l| l.trim().chars().take(60).collect::<String>())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "端末 / device".into());
    let origin = web.origin.clone();
    let issued = web
        .with_hub(move |hub| -> Result<String, String> {
            let dir = hub
                .store_path()
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            let tls = crate::server::TlsFiles::in_hub_dir(&dir);
            let fingerprint = if origin.starts_with("https://") && tls.exist() {
                Some(tls.fingerprint().map_err(|e| e.to_string())?)
            } else {
                None
            };
            let key = hub.log().verifier_key().to_string();
            let offer = hub
                .offer_enrollment(&label, crate::service::TOKEN_MINUTES)
                .map_err(|e| e.to_string())?;
            Ok(offer.qr_text(&origin, fingerprint.as_deref(), &key))
        })
        .await;
    let text = match issued {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => {
            eprintln!("device enrolment / 端末登録: {error}");
            return internal();
        }
        Err(response) => return response,
    };
    web.log(&visit, &visit.who_tag(), "device_enrolment_issued", "");
    let mut page = console_page(
        &web,
        &visit,
        &me,
        "web-devices-qr-title",
        "/console/devices",
    );
    page.sections.push(PageSection {
        paragraphs: vec![visit.text("web-devices-qr-body")],
        qr_svg: super::page::qr_svg(&text, &visit.text("web-devices-qr-title")),
        actions: vec![Action::link(
            visit.text("web-back-devices"),
            "/console/devices",
            "secondary",
        )],
        ..PageSection::default()
    });
    web.render(&visit, &page)
}
