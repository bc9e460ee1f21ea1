//! The family pages: a one-time link opens the agreement (its exact text from the ledger, the resident, what the
//! facility holds), confirming registers the family member's passkey and signs the consent, revoking is signed
//! too; the custody history of the resident's items as a page and as CSV; later visits sign in with the passkey.

use super::console::{open_link, register_passkey};
use super::page::{Action, Page, PageNotice, PageRow, PageSection};
use super::passkeys::{self, Decision, Finish};
use super::{Visit, Web, Who, checked_json, internal, refuse};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use azukari_core::custody::Custody;
use azukari_core::flows::consent::{AgreementRow, ConsentFlow};
use azukari_core::flows::ledger_book::{resident_history, resident_ledger_csv};
use azukari_core::flows::{Labels, Session};
use azukari_core::i18n::Arg;
use azukari_core::i18n::Locale;
use azukari_core::ledger::EventBody;
use azukari_core::ledger::passkey::{DecisionKind, DecisionSubject, PasskeyOwner, text_sha256};
use azukari_core::model::{AgreementId, ItemCategory, ResidentId};
use serde_json::json;

pub(super) fn routes() -> Router<Web> {
    Router::new()
        .route("/f", get(open))
        .route("/family", get(agreement_page))
        .route("/family/confirm", post(no_script))
        .route("/family/confirm/options", post(confirm_options))
        .route("/family/confirm/finish", post(confirm_finish))
        .route("/family/revoke", post(no_script))
        .route("/family/revoke/options", post(revoke_options))
        .route("/family/revoke/finish", post(revoke_finish))
        .route("/family/signin", get(sign_in_page))
        .route("/family/signin/options", post(sign_in_options))
        .route("/family/signin/finish", post(sign_in_finish))
        .route("/family/history", get(history))
        .route("/family/history.csv", get(history_csv))
}

/// The catalogue's name of an item category.
fn category_message(category: ItemCategory) -> &'static str {
    match category {
        ItemCategory::MynaCard => "item-myna-card",
        ItemCategory::PinEnvelope => "item-pin-envelope",
        ItemCategory::EligibilityCertificate => "item-eligibility-certificate",
        ItemCategory::EligibilityNotice => "item-eligibility-notice",
        ItemCategory::CareInsuranceCard => "item-care-insurance-card",
        ItemCategory::LegacyInsuranceCard => "item-legacy-insurance-card",
    }
}

/// What the family pages show of one agreement.
struct Agreement {
    resident: String,
    row: AgreementRow,
    /// Items the facility holds for the resident: (what, where).
    items: Vec<(String, String)>,
    /// Whether a family member confirmed it with a passkey.
    confirmed: bool,
}

async fn load(web: &Web, agreement: AgreementId, locale: Locale) -> Result<Agreement, Response> {
    let loaded = web
        .with_hub(move |hub| -> Option<Agreement> {
            let session = hub.session().ok()?;
            session.locale = locale;
            let resident = session.store().state().agreements.get(&agreement)?.resident;
            let view = ConsentFlow::new(resident).view(session);
            let row = view
                .agreements
                .into_iter()
                .find(|row| row.agreement == agreement)?;
            let catalog = session.catalog();
            let items = session
                .store()
                .state()
                .items
                .values()
                .filter(|record| record.item.resident == resident && !record.retired)
                .filter_map(|record| {
                    let place = match record.custody {
                        Custody::InLocker { .. } => "web-family-item-held",
                        Custody::Out { .. } => "web-family-item-out",
                        Custody::WithHospital { .. } => "web-family-item-hospital",
                        Custody::Lost { .. } => "web-family-item-lost",
                        Custody::Released { .. } => return None,
                    };
                    Some((
                        catalog.text(category_message(record.item.kind.category())),
                        catalog.text(place),
                    ))
                })
                .collect();
            let confirmed = session
                .store()
                .events_of_kind("passkey_signed")
                .ok()?
                .iter()
                .filter_map(|e| e.decode().ok())
                .any(|e| {
                    matches!(
                        e.body,
                        EventBody::PasskeySigned {
                            decision: DecisionKind::Consent,
                            subject: DecisionSubject::Agreement { agreement: a },
                            ..
                        } if a == agreement
                    )
                });
            Some(Agreement {
                resident: Labels::new(session).resident(resident),
                row,
                items,
                confirmed,
            })
        })
        .await?;
    loaded.ok_or_else(internal)
}

fn family_page(web: &Web, visit: &Visit, title_id: &str, path: &str) -> Page {
    let mut page = web.page(visit, visit.text(title_id), path);
    page.nav = [
        ("web-family-nav-agreement", "/family"),
        ("web-family-nav-history", "/family/history"),
    ]
    .into_iter()
    .map(|(id, href)| super::page::Link {
        label: visit.text(id),
        href: href.to_string(),
        current: href == path,
    })
    .collect();
    page
}

async fn open(
    State(web): State<Web>,
    visit: Visit,
    Query(token): Query<super::console::Token>,
) -> Response {
    open_link(&web, &visit, token.t).await
}

fn family_of(visit: &Visit) -> Option<AgreementId> {
    match visit.who {
        Who::Family(agreement) => Some(agreement),
        _ => None,
    }
}

fn has_passkey(web: &Web, agreement: AgreementId) -> bool {
    web.db(|db| {
        db.passkeys_of(&PasskeyOwner::Family { agreement })
            .map(|k| !k.is_empty())
            .unwrap_or(false)
    })
    .unwrap_or(false)
}

async fn agreement_page(State(web): State<Web>, visit: Visit) -> Response {
    let Some(agreement) = family_of(&visit) else {
        return Redirect::to("/family/signin").into_response();
    };
    let shown = match load(&web, agreement, visit.locale).await {
        Ok(shown) => shown,
        Err(response) => return response,
    };
    let mut page = family_page(&web, &visit, "web-family-title", "/family");
    page.signed_in = Some(visit.text("web-family-who"));
    page.sections.push(PageSection {
        title: Some(visit.text("web-family-about")),
        facts: vec![
            (visit.text("web-family-resident"), shown.resident.clone()),
            (
                visit.text("web-family-signatory"),
                shown.row.signatory.clone(),
            ),
            (visit.text("web-family-covers"), shown.row.covers.clone()),
            (visit.text("web-family-signed"), shown.row.signed.clone()),
            (visit.text("web-family-status"), shown.row.status.clone()),
            (
                visit.text("web-family-confirmed"),
                visit.text(if shown.confirmed {
                    "web-family-confirmed-yes"
                } else {
                    "web-family-confirmed-no"
                }),
            ),
        ],
        ..PageSection::default()
    });
    page.sections.push(PageSection {
        title: Some(visit.text("web-family-text")),
        paragraphs: vec![visit.text("web-family-text-body")],
        document: Some(shown.row.text.clone()),
        ..PageSection::default()
    });
    page.sections.push(PageSection {
        title: Some(visit.text("web-family-items")),
        rows: shown
            .items
            .iter()
            .map(|(what, place)| super::page::PageRow {
                title: what.clone(),
                details: vec![place.clone()],
                severity: None,
                actions: Vec::new(),
            })
            .collect(),
        empty: Some(visit.text("web-family-items-empty")),
        ..PageSection::default()
    });
    let mut actions = Vec::new();
    if shown.row.active && !shown.confirmed {
        actions.push(Action::passkey(
            visit.text("web-family-confirm"),
            "/family/confirm",
            "sign",
            "primary",
        ));
    }
    if shown.row.active {
        actions.push(Action::passkey(
            visit.text("web-family-revoke"),
            "/family/revoke",
            "sign",
            "destructive",
        ));
    }
    page.sections.push(PageSection {
        title: Some(visit.text("web-family-decide")),
        paragraphs: vec![visit.text(if shown.row.active {
            "web-family-decide-body"
        } else {
            "web-family-revoked"
        })],
        actions,
        ..PageSection::default()
    });
    web.log(&visit, &visit.who_tag(), "read", "/family");
    web.render(&visit, &page)
}

async fn no_script(State(web): State<Web>, visit: Visit) -> Response {
    web.message(
        &visit,
        StatusCode::BAD_REQUEST,
        "web-refused-title",
        "warning",
        visit.text("web-no-webauthn"),
    )
}

fn signed_out(visit: &Visit) -> Response {
    refuse(
        StatusCode::UNAUTHORIZED,
        "signed_out",
        visit.text("web-refused-signed-out"),
    )
}

/// The decision a family member signs: the agreement's exact text for a consent, the revocation statement and
/// the text for a revocation.
async fn family_decision(
    web: &Web,
    visit: &Visit,
    agreement: AgreementId,
    kind: DecisionKind,
) -> Result<Decision, Response> {
    let shown = load(web, agreement, visit.locale).await?;
    if !shown.row.active {
        return Err(refuse(
            StatusCode::CONFLICT,
            "revoked",
            visit.text("web-family-revoked"),
        ));
    }
    if kind == DecisionKind::Consent && shown.confirmed {
        return Err(refuse(
            StatusCode::CONFLICT,
            "confirmed",
            visit.text("web-family-confirmed-yes"),
        ));
    }
    let text = match kind {
        DecisionKind::Revoke => format!(
            "{}\n{}",
            visit.text("web-family-revoke-text"),
            shown.row.text
        ),
        _ => shown.row.text.clone(),
    };
    Ok(Decision {
        kind,
        subject: DecisionSubject::Agreement { agreement },
        text,
        nonce: super::random_32()?,
        owner: PasskeyOwner::Family { agreement },
        reason: None,
    })
}

async fn confirm_options(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = checked_json::<serde_json::Value>(&visit, &headers, &body) {
        return response;
    }
    let Some(agreement) = family_of(&visit) else {
        return signed_out(&visit);
    };
    if !web.allow("sign", &visit) {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            visit.text("web-refused-rate"),
        );
    }
    if !has_passkey(&web, agreement) {
        let name = format!(
            "{} {}",
            visit.text("web-family-passkey-name"),
            &agreement.0.to_string()[..8]
        );
        return match passkeys::start_registration(
            &web,
            &visit,
            PasskeyOwner::Family { agreement },
            agreement.0,
            &name,
        ) {
            Ok(options) => axum::Json(options).into_response(),
            Err(response) => response,
        };
    }
    let decision = match family_decision(&web, &visit, agreement, DecisionKind::Consent).await {
        Ok(decision) => decision,
        Err(response) => return response,
    };
    match passkeys::start_decision(&web, &visit, decision) {
        Ok(options) => axum::Json(options).into_response(),
        Err(response) => response,
    }
}

async fn confirm_finish(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let finish: Finish = match checked_json(&visit, &headers, &body) {
        Ok(finish) => finish,
        Err(response) => return response,
    };
    let Some(agreement) = family_of(&visit) else {
        return signed_out(&visit);
    };
    if let Some(registration) = finish.registration {
        // The passkey first; then the consent is signed with it.
        let (owner, key) = match passkeys::finish_registration(&web, &visit, &registration) {
            Ok(done) => done,
            Err(response) => return response,
        };
        if owner != (PasskeyOwner::Family { agreement }) {
            return internal();
        }
        if let Err(response) = register_passkey(&web, owner, key, None).await {
            return response;
        }
        web.log(&visit, &visit.who_tag(), "passkey_registered", "");
        let decision = match family_decision(&web, &visit, agreement, DecisionKind::Consent).await {
            Ok(decision) => decision,
            Err(response) => return response,
        };
        return match passkeys::start_decision(&web, &visit, decision) {
            Ok(options) => axum::Json(json!({ "next": options })).into_response(),
            Err(response) => response,
        };
    }
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
            web.log(&visit, &visit.who_tag(), "decision_refused", "consent");
            return response;
        }
    };
    let recorded = web
        .with_hub(move |hub| -> Result<(), String> {
            let store = hub.store().map_err(|e| e.to_string())?;
            store
                .append(
                    None,
                    EventBody::PasskeySigned {
                        decision: decision.kind,
                        subject: decision.subject,
                        decided: None,
                        text_sha256: text_sha256(&decision.text),
                        nonce: decision.nonce,
                        assertion,
                    },
                )
                .map_err(|e| e.to_string())?;
            hub.publish_own().map_err(|e| e.to_string())?;
            Ok(())
        })
        .await;
    match recorded {
        Ok(Ok(())) => {
            web.log(
                &visit,
                &visit.who_tag(),
                "consented",
                &agreement.0.to_string(),
            );
            web.flash(&visit, "info", visit.text("web-family-confirm-done"));
            axum::Json(json!({ "redirect": "/family" })).into_response()
        }
        Ok(Err(error)) => {
            eprintln!("family consent / 家族の同意: {error}");
            internal()
        }
        Err(response) => response,
    }
}

async fn revoke_options(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = checked_json::<serde_json::Value>(&visit, &headers, &body) {
        return response;
    }
    let Some(agreement) = family_of(&visit) else {
        return signed_out(&visit);
    };
    if !web.allow("sign", &visit) {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            visit.text("web-refused-rate"),
        );
    }
    let decision = match family_decision(&web, &visit, agreement, DecisionKind::Revoke).await {
        Ok(decision) => decision,
        Err(response) => return response,
    };
    match passkeys::start_decision(&web, &visit, decision) {
        Ok(options) => axum::Json(options).into_response(),
        Err(response) => response,
    }
}

async fn revoke_finish(
    State(web): State<Web>,
    visit: Visit,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let finish: Finish = match checked_json(&visit, &headers, &body) {
        Ok(finish) => finish,
        Err(response) => return response,
    };
    let Some(agreement) = family_of(&visit) else {
        return signed_out(&visit);
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
            web.log(&visit, &visit.who_tag(), "decision_refused", "revoke");
            return response;
        }
    };
    let recorded = web
        .with_hub(move |hub| -> Result<(), String> {
            let store = hub.store().map_err(|e| e.to_string())?;
            let now = store.now();
            let revoked = store
                .append(
                    None,
                    EventBody::AgreementRevoked {
                        agreement,
                        revoked_at: now,
                    },
                )
                .map_err(|e| e.to_string())?;
            store
                .append(
                    None,
                    EventBody::PasskeySigned {
                        decision: decision.kind,
                        subject: decision.subject,
                        decided: Some(revoked.hash),
                        text_sha256: text_sha256(&decision.text),
                        nonce: decision.nonce,
                        assertion,
                    },
                )
                .map_err(|e| e.to_string())?;
            hub.publish_own().map_err(|e| e.to_string())?;
            Ok(())
        })
        .await;
    match recorded {
        Ok(Ok(())) => {
            web.log(
                &visit,
                &visit.who_tag(),
                "revoked",
                &agreement.0.to_string(),
            );
            web.flash(&visit, "info", visit.text("web-family-revoke-done"));
            axum::Json(json!({ "redirect": "/family" })).into_response()
        }
        Ok(Err(error)) => {
            eprintln!("family revocation / 家族の撤回: {error}");
            internal()
        }
        Err(response) => response,
    }
}

async fn sign_in_page(State(web): State<Web>, visit: Visit) -> Response {
    if family_of(&visit).is_some() {
        return Redirect::to("/family").into_response();
    }
    let mut page = web.page(
        &visit,
        visit.text("web-family-signin-title"),
        "/family/signin",
    );
    page.sections.push(PageSection {
        paragraphs: vec![visit.text("web-family-signin-body")],
        actions: vec![Action::passkey(
            visit.text("web-signin-button"),
            "/family/signin",
            "signin",
            "primary",
        )],
        ..PageSection::default()
    });
    web.render(&visit, &page)
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
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            visit.text("web-refused-rate"),
        );
    }
    match passkeys::start_sign_in(&web, &visit, true) {
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
    match passkeys::finish_sign_in(&web, &visit, &assertion) {
        Ok(PasskeyOwner::Family { agreement }) => {
            let Some(id) = web.sign_in(&visit, Who::Family(agreement)) else {
                return internal();
            };
            web.log(
                &visit,
                &format!("family:{}", agreement.0),
                "sign_in",
                "passkey",
            );
            let mut response = axum::Json(json!({ "redirect": "/family" })).into_response();
            web.set_cookie(&mut response, &id);
            response
        }
        Ok(_) => internal(),
        Err(response) => {
            web.log(&visit, "anonymous", "sign_in_refused", "family");
            response
        }
    }
}

/// The 管理簿 rows (header first) of the resident's items, as CSV lines and as cells.
/// How many records the history page shows (the newest); the CSV download has them all.
const HISTORY_ROWS: usize = 100;

/// What `read` gives for the resident of `agreement`, from the hub's store in the visitor's language.
async fn of_resident<T: Send + 'static>(
    web: &Web,
    agreement: AgreementId,
    locale: Locale,
    read: impl FnOnce(&Session, ResidentId) -> Option<T> + Send + 'static,
) -> Result<T, Response> {
    let found = web
        .with_hub(move |hub| -> Option<T> {
            let session = hub.session().ok()?;
            session.locale = locale;
            let resident = session.store().state().agreements.get(&agreement)?.resident;
            read(session, resident)
        })
        .await?;
    found.ok_or_else(internal)
}

async fn history(State(web): State<Web>, visit: Visit) -> Response {
    let Some(agreement) = family_of(&visit) else {
        return Redirect::to("/family/signin").into_response();
    };
    let read = |session: &Session, resident| resident_history(session, resident, HISTORY_ROWS).ok();
    let entries = match of_resident(&web, agreement, visit.locale, read).await {
        Ok(entries) => entries,
        Err(response) => return response,
    };
    let mut page = family_page(&web, &visit, "web-family-history-title", "/family/history");
    page.signed_in = Some(visit.text("web-family-who"));
    let empty = entries.is_empty();
    page.sections.push(PageSection {
        paragraphs: vec![visit.catalog().format(
            "web-family-history-body",
            &[("count", Arg::from(HISTORY_ROWS as i64))],
        )],
        rows: entries
            .into_iter()
            .map(|entry| PageRow {
                title: entry.title,
                details: entry.details,
                severity: None,
                actions: Vec::new(),
            })
            .collect(),
        empty: empty.then(|| visit.text("web-family-history-empty")),
        actions: vec![Action::link(
            visit.text("web-family-history-csv"),
            "/family/history.csv",
            "secondary",
        )],
        ..PageSection::default()
    });
    if empty {
        page.notices.push(PageNotice {
            kind: "info",
            text: visit.text("web-family-history-empty"),
        });
    }
    web.log(&visit, &visit.who_tag(), "read", "/family/history");
    web.render(&visit, &page)
}

async fn history_csv(State(web): State<Web>, visit: Visit) -> Response {
    let Some(agreement) = family_of(&visit) else {
        return Redirect::to("/family/signin").into_response();
    };
    let read = |session: &Session, resident| resident_ledger_csv(session, resident).ok();
    let bytes = match of_resident(&web, agreement, visit.locale, read).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    web.log(&visit, &visit.who_tag(), "download", "/family/history.csv");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"rireki.csv\"",
            ),
        ],
        bytes,
    )
        .into_response()
}
