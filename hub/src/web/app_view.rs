//! The core's `AppView` drawn as a page, generically: every screen through the one template, as Android and iOS
//! draw it through their one section renderer. A section with fields becomes one form whose buttons post their
//! serialized [`AppEvent`] together with the fields' values; a row's buttons post their event alone. The page
//! sends back what the view gave it and nothing else: [`events_from_form`] turns a posted form into the `Edit`
//! events of its fields followed by the button's event, for `App::dispatch`.
//!
//! Platform requests a browser cannot perform (the camera, the card reader) are shown as a notice saying to use
//! the phone app; a file to share becomes a download.

use super::page::{Action, Page, PageNotice, PageRow, PageSection};
use azukari_core::alerts::Severity;
use azukari_core::app::event::{AppEvent, FieldId};
use azukari_core::app::view::{AppView, Button, ButtonStyle, Field, FieldKind, PlatformRequest};
use azukari_core::flows::NoticeKind;
use azukari_core::i18n::catalog;
use std::collections::HashMap;

/// An input of a section's form.
#[derive(Debug, Clone, Default)]
pub struct PageField {
    /// The form field's name: `field:` and the [`FieldId`]'s name.
    pub name: String,
    /// The element id (for the label).
    pub id: String,
    /// Its label.
    pub label: String,
    /// A hint under it.
    pub hint: Option<String>,
    /// Whether it must be filled.
    pub required: bool,
    /// The current value.
    pub value: String,
    /// What is wrong with it.
    pub error: Option<String>,
    /// `text`, `multiline`, `password`, `date`, `number` or `select`.
    pub kind: &'static str,
    /// The choices of a `select`: value, label, whether chosen.
    pub choices: Vec<(String, String, bool)>,
}

/// Why a posted form does not make events.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// No button's event, or one that is not an `AppEvent`.
    #[error("the form carries no valid event / 送信内容が正しくありません")]
    BadEvent,
    /// A field name that is not a `FieldId`.
    #[error("the form carries an unknown field / 不明な入力欄があります")]
    BadField,
}

fn style(style: ButtonStyle) -> &'static str {
    match style {
        ButtonStyle::Primary => "primary",
        ButtonStyle::Secondary => "secondary",
        ButtonStyle::Destructive => "destructive",
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Urgent => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// A field id's name as it travels in a form (`DenyReason`).
fn field_name(id: FieldId) -> String {
    serde_json::to_string(&id)
        .map(|s| s.trim_matches('"').to_string())
        .unwrap_or_default()
}

/// A button as a form action posting its serialized event to `action`; inside a section form when `in_form`.
fn button(button: &Button, action: &str, in_form: bool) -> Option<Action> {
    let event = serde_json::to_string(&button.event).ok()?;
    let mut drawn = Action::post(button.label.clone(), action, style(button.style));
    if in_form {
        drawn.kind = "submit";
    }
    drawn.hidden.push(("event".into(), event));
    drawn.enabled = button.enabled;
    Some(drawn)
}

fn field(field: &Field) -> PageField {
    let name = field_name(field.id);
    let (kind, choices) = match &field.kind {
        FieldKind::Text => ("text", Vec::new()),
        FieldKind::MultiLine => ("multiline", Vec::new()),
        FieldKind::Secret => ("password", Vec::new()),
        FieldKind::Date => ("date", Vec::new()),
        FieldKind::Number => ("number", Vec::new()),
        FieldKind::OneOf { choices } => (
            "select",
            choices
                .iter()
                .map(|c| (c.value.clone(), c.label.clone(), c.value == field.value))
                .collect(),
        ),
    };
    PageField {
        id: format!("f-{name}"),
        name: format!("field:{name}"),
        label: field.label.clone(),
        hint: field.hint.clone(),
        required: field.required,
        value: if kind == "password" {
            String::new()
        } else {
            field.value.clone()
        },
        error: field.error.clone(),
        kind,
        choices,
    }
}

/// Draw `view` into `page` (whose frame — language switch, sign-out, CSRF token — is already set): buttons post
/// to `action`. Returns the file the view asks to share, if any, for the caller to offer as a download.
pub fn draw(view: &AppView, page: &mut Page, action: &str) -> Option<(String, String, Vec<u8>)> {
    let texts = catalog(view.language);
    page.title = view.title.clone();
    page.signed_in = view.signed_in.clone();
    for notice in &view.notices {
        page.notices.push(PageNotice {
            kind: match notice.kind {
                NoticeKind::Error => "error",
                NoticeKind::Warning => "warning",
                NoticeKind::Info => "info",
            },
            text: notice.text.clone(),
        });
    }
    for progress in view.busy.iter().chain(view.progress.iter()) {
        page.notices.push(PageNotice {
            kind: "info",
            text: match (progress.done, progress.total) {
                (Some(done), Some(total)) => format!("{}（{done}/{total}）", progress.text),
                _ => progress.text.clone(),
            },
        });
    }
    let mut shared = None;
    match &view.request {
        Some(PlatformRequest::ScanQr { .. }) | Some(PlatformRequest::TapCard { .. }) => {
            page.notices.push(PageNotice {
                kind: "warning",
                text: texts.text("web-app-needs-phone"),
            });
        }
        Some(PlatformRequest::ShareFile {
            file_name,
            mime_type,
            bytes,
        }) => shared = Some((file_name.clone(), mime_type.clone(), bytes.clone())),
        Some(_) | None => {}
    }
    if let Some(back) = &view.back
        && let Some(drawn) = button(back, action, false)
    {
        page.sections.push(PageSection {
            actions: vec![drawn],
            ..PageSection::default()
        });
    }
    for section in &view.sections {
        let in_form = !section.fields.is_empty();
        page.sections.push(PageSection {
            title: section.title.clone(),
            paragraphs: section.paragraphs.clone(),
            facts: section
                .facts
                .iter()
                .map(|f| (f.label.clone(), f.value.clone()))
                .collect(),
            rows: section
                .rows
                .iter()
                .map(|row| PageRow {
                    title: match row.badge {
                        Some(count) => format!("{}（{count}）", row.title),
                        None => row.title.clone(),
                    },
                    details: row.details.clone(),
                    severity: row.severity.map(severity),
                    actions: row
                        .buttons
                        .iter()
                        .filter_map(|b| button(b, action, false))
                        .collect(),
                })
                .collect(),
            empty: section.empty.clone(),
            fields: section.fields.iter().map(field).collect(),
            form: in_form.then(|| action.to_string()),
            actions: section
                .buttons
                .iter()
                .filter_map(|b| button(b, action, in_form))
                .collect(),
            ..PageSection::default()
        });
    }
    shared
}

/// The events a posted form stands for: an `Edit` for each `field:…` value, then the button's `event`.
pub fn events_from_form(form: &HashMap<String, String>) -> Result<Vec<AppEvent>, FormError> {
    let mut fields: Vec<(&String, &String)> = form
        .iter()
        .filter(|(name, _)| name.starts_with("field:"))
        .collect();
    fields.sort();
    let mut events = Vec::with_capacity(fields.len() + 1);
    for (name, value) in fields {
        let id: FieldId = serde_json::from_value(serde_json::Value::String(
            name.trim_start_matches("field:").to_string(),
        ))
        .map_err(|_| FormError::BadField)?;
        events.push(AppEvent::Edit {
            field: id,
            value: value.clone(),
        });
    }
    let event = form.get("event").ok_or(FormError::BadEvent)?;
    events.push(serde_json::from_str(event).map_err(|_| FormError::BadEvent)?);
    Ok(events)
}
