//! The records: custody agreements, setup, labels.

use super::navigation_code as code;
use super::{Screen, button, button_id, choices, fact, field, paragraphs, row};
use crate::app::view::{ButtonStyle, FieldKind, Section};
use crate::app::{App, AppEvent, FieldId};
use crate::flows::Session;
use crate::flows::consent::ConsentAction;
use crate::flows::setup::SetupFlow;
use crate::model::{ItemCategory, LockerKind, Role, Shift};
use crate::qr::{LabelError, SheetLabel};

/// The residents, in Japanese reading order, each with their agreement.
pub(in crate::app) fn agreements(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let _ = app;
    let setup = SetupFlow::new().view(session);
    let state = session.store().state();
    let rows = setup
        .residents
        .iter()
        .map(|resident| {
            let active = state
                .agreements
                .values()
                .any(|a| a.resident == resident.id && a.revoked_at.is_none());
            row(
                resident.name.clone(),
                vec![
                    resident.kana.clone(),
                    resident.room.clone(),
                    catalog.text(if active {
                        "app-agreement-in-force"
                    } else {
                        "app-agreement-none"
                    }),
                ],
                vec![button_id(
                    catalog,
                    "app-open",
                    AppEvent::OpenConsent {
                        resident: resident.id.to_string(),
                    },
                    ButtonStyle::Secondary,
                )],
            )
        })
        .collect();
    let list = Section {
        paragraphs: vec![catalog.text("app-agreements-instruction")],
        rows,
        empty: Some(catalog.text("app-agreements-empty")),
        ..Section::default()
    };
    Screen::new(catalog.text("app-screen-agreements"), vec![list])
}

/// One resident's agreement: the alternatives first, then the exact text, the PIN envelope, confirm, revoke.
pub(in crate::app) fn consent(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let Some(flow) = app.flows.consent.as_ref() else {
        return agreements(app, session);
    };
    let view = flow.view(session);
    let mut sections = vec![Section {
        paragraphs: vec![view.instruction.clone()],
        facts: std::iter::once(fact(
            catalog.text("app-fact-resident"),
            view.resident.clone(),
        ))
        .chain(
            view.card
                .iter()
                .map(|card| fact(catalog.text("app-fact-card"), card.clone())),
        )
        .collect(),
        ..Section::default()
    }];
    for alternative in &view.alternatives {
        sections.push(paragraphs(
            Some(alternative.heading.clone()),
            vec![alternative.body.clone()],
        ));
    }
    let mut agreement = Section {
        title: Some(catalog.text("app-consent-text")),
        paragraphs: vec![view.agreement_text.clone(), view.covers.clone()],
        ..Section::default()
    };
    agreement.facts.push(fact(
        catalog.text("app-consent-pin-envelope"),
        view.pin_envelope.status.clone(),
    ));
    agreement
        .paragraphs
        .push(view.pin_envelope.explanation.clone());
    let confirming = view
        .buttons
        .iter()
        .any(|b| b.action == ConsentAction::ConfirmCustody);
    if confirming {
        agreement.fields = vec![
            field(
                app,
                FieldId::Signatory,
                catalog.text("app-field-signatory"),
                None,
                true,
                choices(
                    view.signatories
                        .iter()
                        .map(|s| (code(&s.signatory), s.label.clone())),
                ),
            ),
            field(
                app,
                FieldId::SignatoryName,
                catalog.text("app-field-signatory-name"),
                None,
                true,
                FieldKind::Text,
            ),
            field(
                app,
                FieldId::Relation,
                catalog.text("app-field-relation"),
                Some(catalog.text("app-field-relation-hint")),
                true,
                FieldKind::Text,
            ),
        ];
    }
    for b in &view.buttons {
        let (event, style) = match b.action {
            ConsentAction::AcknowledgeAlternatives => {
                (AppEvent::AcknowledgeAlternatives, ButtonStyle::Primary)
            }
            ConsentAction::ConfirmPinEnvelope => {
                (AppEvent::ConfirmPinEnvelope, ButtonStyle::Secondary)
            }
            ConsentAction::WithdrawPinEnvelope => {
                (AppEvent::WithdrawPinEnvelope, ButtonStyle::Secondary)
            }
            ConsentAction::ConfirmCustody => (AppEvent::ConfirmCustody, ButtonStyle::Primary),
            ConsentAction::Revoke => (AppEvent::RevokeConsent, ButtonStyle::Destructive),
        };
        agreement
            .buttons
            .push(button(b.label.clone(), event, style));
    }
    sections.push(agreement);
    sections.push(Section {
        title: Some(catalog.text("app-consent-on-record")),
        rows: view
            .agreements
            .iter()
            .map(|a| {
                row(
                    a.signatory.clone(),
                    vec![
                        a.status.clone(),
                        a.signed.clone(),
                        a.covers.clone(),
                        a.text.clone(),
                    ],
                    Vec::new(),
                )
            })
            .collect(),
        empty: Some(catalog.text("app-consent-none-on-record")),
        ..Section::default()
    });
    let mut screen = Screen::new(view.title, sections);
    screen.notices.extend(view.notice);
    screen
}

/// Residents, lockers, staff and items: the lists, and a form for each.
pub(in crate::app) fn setup(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let view = app.flows.setup.view(session);
    let l = &view.labels;
    let date_hint = Some(l.date_hint.clone());
    let text = |id: FieldId, label: &String, required: bool| {
        field(app, id, label.clone(), None, required, FieldKind::Text)
    };
    let residents = Section {
        title: Some(l.residents.clone()),
        rows: view
            .residents
            .iter()
            .map(|r| {
                row(
                    r.name.clone(),
                    vec![r.kana.clone(), r.room.clone(), r.admitted.clone()],
                    Vec::new(),
                )
            })
            .collect(),
        empty: Some(catalog.text("app-setup-no-residents")),
        fields: vec![
            text(FieldId::ResidentName, &l.name, true),
            text(FieldId::ResidentKana, &l.kana, true),
            text(FieldId::ResidentRoom, &l.room, false),
            field(
                app,
                FieldId::AdmittedOn,
                l.admitted_on.clone(),
                date_hint.clone(),
                true,
                FieldKind::Date,
            ),
        ],
        buttons: vec![button_id(
            catalog,
            "app-setup-admit",
            AppEvent::AdmitResident,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let lockers = Section {
        title: Some(l.lockers.clone()),
        rows: view
            .lockers
            .iter()
            .map(|r| {
                row(
                    r.name.clone(),
                    vec![r.kind_label.clone(), r.place.clone()],
                    Vec::new(),
                )
            })
            .collect(),
        empty: Some(catalog.text("app-setup-no-lockers")),
        fields: vec![
            field(
                app,
                FieldId::LockerKind,
                l.locker_kind.clone(),
                None,
                true,
                choices(
                    view.locker_kinds
                        .iter()
                        .map(|c| (code::<LockerKind>(&c.value), c.label.clone())),
                ),
            ),
            text(FieldId::LockerName, &l.locker_name, true),
            text(FieldId::LockerPlace, &l.place, false),
        ],
        buttons: vec![button_id(
            catalog,
            "app-setup-register-locker",
            AppEvent::RegisterLocker,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let role_sets: Vec<(String, String)> = [
        vec![Role::Caregiver],
        vec![Role::Caregiver, Role::CardHandler],
        vec![Role::CardHandler, Role::PinManager],
        vec![Role::Supervisor],
        vec![Role::Supervisor, Role::PinManager],
        vec![Role::Auditor],
        vec![Role::Admin, Role::Supervisor],
    ]
    .into_iter()
    .map(|roles| {
        let label = super::roles_text(&roles.iter().copied().collect(), catalog);
        (code(&roles), label)
    })
    .collect();
    let shift_sets: Vec<(String, String)> = [
        vec![Shift::Day],
        vec![Shift::Night],
        vec![Shift::Day, Shift::Night],
    ]
    .into_iter()
    .map(|shifts| {
        let label = shifts
            .iter()
            .filter_map(|s| view.shifts.iter().find(|c| c.value == *s))
            .map(|c| c.label.clone())
            .collect::<Vec<_>>()
            .join(catalog.text("app-list-separator").as_str());
        (code(&shifts), label)
    })
    .collect();
    let staff = Section {
        title: Some(l.staff.clone()),
        rows: view
            .staff
            .iter()
            .map(|s| {
                row(
                    s.name.clone(),
                    vec![s.roles.clone(), s.shifts.clone(), s.training.clone()],
                    Vec::new(),
                )
            })
            .collect(),
        fields: vec![
            text(FieldId::StaffName, &l.staff_name, true),
            field(
                app,
                FieldId::StaffRole,
                l.roles.clone(),
                None,
                true,
                choices(role_sets),
            ),
            field(
                app,
                FieldId::StaffShift,
                l.shifts.clone(),
                None,
                true,
                choices(shift_sets),
            ),
            field(
                app,
                FieldId::TrainedOn,
                l.trained_on.clone(),
                date_hint.clone(),
                false,
                FieldKind::Date,
            ),
        ],
        buttons: vec![button_id(
            catalog,
            "app-setup-add-staff",
            AppEvent::AddStaff,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let training = Section {
        title: Some(l.training.clone()),
        fields: vec![
            field(
                app,
                FieldId::TrainingStaff,
                l.staff_member.clone(),
                None,
                true,
                choices(
                    view.staff
                        .iter()
                        .map(|s| (s.id.to_string(), s.name.clone())),
                ),
            ),
            field(
                app,
                FieldId::TrainingDate,
                l.trained_on.clone(),
                date_hint.clone(),
                true,
                FieldKind::Date,
            ),
        ],
        buttons: vec![button_id(
            catalog,
            "app-setup-record-training",
            AppEvent::RecordTraining,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let kind_label = |category: ItemCategory| {
        view.item_kinds
            .iter()
            .find(|c| c.value == category)
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    let item_kinds = vec![
        (
            "MynaCardFaceOnly".to_string(),
            format!(
                "{}（{}）",
                kind_label(ItemCategory::MynaCard),
                catalog.text("setup-card-auth-face-only")
            ),
        ),
        (
            "MynaCardPin".to_string(),
            format!(
                "{}（{}）",
                kind_label(ItemCategory::MynaCard),
                catalog.text("setup-card-auth-pin")
            ),
        ),
        (
            "PinEnvelope".to_string(),
            kind_label(ItemCategory::PinEnvelope),
        ),
        (
            "EligibilityCertificate".to_string(),
            kind_label(ItemCategory::EligibilityCertificate),
        ),
        (
            "EligibilityNotice".to_string(),
            kind_label(ItemCategory::EligibilityNotice),
        ),
        (
            "CareInsuranceCard".to_string(),
            kind_label(ItemCategory::CareInsuranceCard),
        ),
    ];
    let items = Section {
        title: Some(l.items.clone()),
        fields: vec![
            field(
                app,
                FieldId::ItemResident,
                l.resident.clone(),
                None,
                true,
                choices(
                    view.residents
                        .iter()
                        .map(|r| (r.id.to_string(), r.name.clone())),
                ),
            ),
            field(
                app,
                FieldId::ItemKind,
                l.item_kind.clone(),
                None,
                true,
                choices(item_kinds),
            ),
            field(
                app,
                FieldId::ItemLocker,
                l.home_locker.clone(),
                None,
                true,
                choices(
                    view.lockers
                        .iter()
                        .map(|r| (r.id.to_string(), r.name.clone())),
                ),
            ),
            field(
                app,
                FieldId::EnvelopeNumber,
                l.envelope_number.clone(),
                Some(l.envelope_hint.clone()),
                false,
                FieldKind::Text,
            ),
            field(
                app,
                FieldId::DocumentExpiresOn,
                l.document_expires_on.clone(),
                date_hint.clone(),
                false,
                FieldKind::Date,
            ),
        ],
        buttons: vec![button_id(
            catalog,
            "app-setup-register-item",
            AppEvent::RegisterItem,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let scope_sets: Vec<(String, String)> = [
        vec![ItemCategory::MynaCard],
        vec![ItemCategory::MynaCard, ItemCategory::EligibilityCertificate],
        vec![
            ItemCategory::MynaCard,
            ItemCategory::EligibilityCertificate,
            ItemCategory::EligibilityNotice,
            ItemCategory::CareInsuranceCard,
        ],
    ]
    .into_iter()
    .map(|items| {
        let label = items
            .iter()
            .map(|c| kind_label(*c))
            .collect::<Vec<_>>()
            .join(catalog.text("app-list-separator").as_str());
        (code(&items), label)
    })
    .collect();
    let paper = Section {
        title: Some(l.agreements.clone()),
        paragraphs: vec![l.agreement_hint.clone()],
        fields: vec![
            field(
                app,
                FieldId::AgreementResident,
                l.resident.clone(),
                None,
                true,
                choices(
                    view.residents
                        .iter()
                        .map(|r| (r.id.to_string(), r.name.clone())),
                ),
            ),
            field(
                app,
                FieldId::Signatory,
                l.signatory.clone(),
                None,
                true,
                choices(
                    view.signatories
                        .iter()
                        .map(|c| (code(&c.value), c.label.clone())),
                ),
            ),
            text(FieldId::SignatoryName, &l.signatory_name, true),
            text(FieldId::Relation, &l.relation, true),
            field(
                app,
                FieldId::AgreementScope,
                l.scope.clone(),
                None,
                true,
                choices(scope_sets),
            ),
            field(
                app,
                FieldId::AgreementPin,
                l.pin_scope.clone(),
                None,
                true,
                choices([
                    ("false".to_string(), catalog.text("app-no")),
                    ("true".to_string(), catalog.text("app-yes")),
                ]),
            ),
            field(
                app,
                FieldId::AgreementText,
                l.agreement_text.clone(),
                None,
                true,
                FieldKind::MultiLine,
            ),
            field(
                app,
                FieldId::SignedOn,
                l.signed_on.clone(),
                date_hint.clone(),
                false,
                FieldKind::Date,
            ),
        ],
        buttons: vec![button_id(
            catalog,
            "app-setup-record-agreement",
            AppEvent::RecordPaperAgreement,
            ButtonStyle::Primary,
        )],
        ..Section::default()
    };
    let mut policy_field = field(
        app,
        FieldId::PolicyText,
        l.policy_text.clone(),
        None,
        true,
        FieldKind::MultiLine,
    );
    if !app.fields.contains_key(&FieldId::PolicyText) {
        // The policy in force, to edit.
        policy_field.value = view.policy_text.clone();
    }
    let policy = Section {
        title: Some(l.policy.clone()),
        facts: vec![fact(l.policy.clone(), view.policy_label.clone())],
        fields: vec![policy_field],
        buttons: vec![button_id(
            catalog,
            "app-setup-replace-policy",
            AppEvent::ReplacePolicy,
            ButtonStyle::Destructive,
        )],
        ..Section::default()
    };
    let mut sections = vec![residents, lockers, staff, training, items, paper, policy];
    if !view.can_register {
        // Training is recorded by anyone who may (the flow refuses one's own); the registers are the admin's.
        for section in sections
            .iter_mut()
            .filter(|s| s.title.as_ref() != Some(&l.training))
        {
            section.fields.clear();
            section.buttons.clear();
        }
    }
    let mut screen = Screen::new(view.title, sections);
    screen.notices.extend(view.notice);
    // The refusal's notice already words the rules' reasons; what each enforces is listed under it.
    if !view.reasons.is_empty() {
        screen.sections.insert(
            0,
            Section {
                rows: view.reasons.iter().map(super::reason_row).collect(),
                ..Section::default()
            },
        );
    }
    screen
}

/// Labels: the lockers, and a sheet of new labels to print.
pub(in crate::app) fn labels(app: &App, session: &Session) -> Screen {
    let catalog = session.catalog();
    let setup = SetupFlow::new().view(session);
    let mut list = Section {
        paragraphs: vec![catalog.text(if cfg!(feature = "label-pdf") {
            "app-labels-instruction"
        } else {
            "app-labels-from-console"
        })],
        rows: setup
            .lockers
            .iter()
            .map(|r| {
                row(
                    r.name.clone(),
                    vec![r.kind_label.clone(), r.place.clone()],
                    Vec::new(),
                )
            })
            .collect(),
        empty: Some(catalog.text("app-setup-no-lockers")),
        ..Section::default()
    };
    if cfg!(feature = "label-pdf") {
        let mut issue = button_id(
            catalog,
            "app-labels-issue",
            AppEvent::IssueLabels,
            ButtonStyle::Primary,
        );
        issue.enabled = !setup.lockers.is_empty();
        list.buttons.push(issue);
    }
    list.facts.push(fact(
        catalog.text("app-settings-label-host"),
        app.label_host.clone(),
    ));
    let export = Section {
        title: Some(catalog.text("app-export-title")),
        paragraphs: vec![catalog.text("app-export-instruction")],
        buttons: vec![button_id(
            catalog,
            "app-export-ledger",
            AppEvent::ExportLedger,
            ButtonStyle::Secondary,
        )],
        ..Section::default()
    };
    Screen::new(catalog.text("app-screen-labels"), vec![list, export])
}

/// The sheet of `labels` issued on `day` (`YYYYMMDD`, in the file's name) as a file to print: a PDF where the
/// app has the PDF stack (the hub's console).
#[cfg(feature = "label-pdf")]
pub(in crate::app) fn label_sheet(
    labels: &[SheetLabel],
    day: &str,
) -> Result<(String, String, Vec<u8>), LabelError> {
    let font = crate::qr::LabelFont::find()?;
    let pdf = crate::qr::sheet_pdf(labels, &crate::qr::SheetLayout::a4_2x6(), &font)?;
    Ok((
        format!("azukari-labels-{day}.pdf"),
        "application/pdf".to_string(),
        pdf,
    ))
}

/// The sheet of `labels` issued on `day` (`YYYYMMDD`, in the file's name) as a file to print: SVG pages where
/// the app has no PDF stack (phones print labels from the hub's console).
#[cfg(not(feature = "label-pdf"))]
pub(in crate::app) fn label_sheet(
    labels: &[SheetLabel],
    day: &str,
) -> Result<(String, String, Vec<u8>), LabelError> {
    let pages = crate::qr::sheet_svgs(labels, &crate::qr::SheetLayout::a4_2x6())?;
    let first = pages.into_iter().next().ok_or(LabelError::NoLabels)?;
    Ok((
        format!("azukari-labels-{day}.svg"),
        "image/svg+xml".to_string(),
        first.into_bytes(),
    ))
}
