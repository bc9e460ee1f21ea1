//! What a shell draws: [`AppView`], built only of texts, buttons, fields and rows that are ready to show.
//!
//! Every screen is a list of [`Section`]s. A section has an optional heading, paragraphs, label–value facts,
//! rows (each with its own buttons), input fields and buttons. A shell lays sections out the way its platform
//! does (a Compose column, a SwiftUI form, an HTML page) and sends back the [`AppEvent`] of the button tapped; it
//! never decides which buttons exist, what they say, in which order rows come or how a date reads.

use super::event::{AppEvent, FieldId};
use crate::alerts::Severity;
use crate::flows::Notice;
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

/// Every screen the app has. A shell has one drawing for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ScreenKind {
    /// Unlock the store: with the key vault, or the recovery passphrase.
    Unlock,
    /// Who is using this shared device.
    SignIn,
    /// What the signed-in member of staff may do, by role.
    Home,
    /// Take an item out, put it back (with the card tap), hand it over, release it.
    Handover,
    /// The items the signed-in member of staff holds now.
    Holding,
    /// The signed-in member of staff's checkout requests and their answers.
    MyRequests,
    /// Pending checkout requests: approve or deny.
    Approvals,
    /// What is where: held, out, overdue, discrepancies.
    Board,
    /// What needs attention, most urgent first.
    Alerts,
    /// A stocktake of every locker.
    Audit,
    /// A lost or stolen card, or a leak: the guided checklist.
    Incident,
    /// The residents whose custody agreements can be recorded or revoked.
    Agreements,
    /// One resident's custody agreement: the text, confirm, revoke.
    Consent,
    /// Residents, lockers, staff and items.
    Setup,
    /// QR labels for the lockers.
    Labels,
    /// This device and the hub.
    Sync,
    /// Language, this device, sign out, lock.
    Settings,
}

impl ScreenKind {
    /// Every screen, in the order a navigation test walks them.
    pub const ALL: [ScreenKind; 17] = [
        ScreenKind::Unlock,
        ScreenKind::SignIn,
        ScreenKind::Home,
        ScreenKind::Handover,
        ScreenKind::Holding,
        ScreenKind::MyRequests,
        ScreenKind::Approvals,
        ScreenKind::Board,
        ScreenKind::Alerts,
        ScreenKind::Audit,
        ScreenKind::Incident,
        ScreenKind::Agreements,
        ScreenKind::Consent,
        ScreenKind::Setup,
        ScreenKind::Labels,
        ScreenKind::Sync,
        ScreenKind::Settings,
    ];
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ButtonStyle {
    /// The main action of the screen (one at most per section).
    Primary,
    /// Any other action.
    Secondary,
    /// An action that ends or takes back something (deny, revoke, report lost).
    Destructive,
}

/// A button: what it says, what it sends, whether it can be tapped now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Button {
    /// Its label.
    pub label: String,
    /// What tapping it sends to [`super::App::dispatch`].
    pub event: AppEvent,
    /// Whether it can be tapped now (a disabled button is drawn, greyed).
    pub enabled: bool,
    /// How it looks.
    pub style: ButtonStyle,
}

/// One choice of a one-of field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Choice {
    /// The value sent back with [`AppEvent::Edit`].
    pub value: String,
    /// What to show.
    pub label: String,
}

/// What kind of input a field takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    MultiLine,
    /// A secret (drawn masked, never kept by the shell).
    Secret,
    /// A date, sent as `YYYY-MM-DD`.
    Date,
    /// A whole number.
    Number,
    /// One of the choices, sent as the choice's value.
    OneOf {
        /// The choices, in the order shown.
        choices: Vec<Choice>,
    },
}

/// An input field with its current value and, after a refused submit, its error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Field {
    /// Which field (sent back with [`AppEvent::Edit`]).
    pub id: FieldId,
    /// Its label.
    pub label: String,
    /// A hint under it, if any.
    pub hint: Option<String>,
    /// Whether it must be filled.
    pub required: bool,
    /// The current value (never for [`FieldKind::Secret`]: empty).
    pub value: String,
    /// What is wrong with it, if anything.
    pub error: Option<String>,
    /// What it takes.
    pub kind: FieldKind,
}

/// A label and its value ("保管場所: 保険証ロッカー A").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Fact {
    /// The label.
    pub label: String,
    /// The value.
    pub value: String,
}

/// One row of a list: a title, details, how urgent, a count, and its own buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Row {
    /// The main line.
    pub title: String,
    /// Lines under it.
    pub details: Vec<String>,
    /// How urgent, for alerts and overdue items.
    pub severity: Option<Severity>,
    /// A count shown beside it (the home screen's pending approvals).
    pub badge: Option<u32>,
    /// What can be done with this row; the first one is what tapping the row does.
    pub buttons: Vec<Button>,
}

/// A part of a screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Section {
    /// Its heading, if any.
    pub title: Option<String>,
    /// Paragraphs of text.
    pub paragraphs: Vec<String>,
    /// Label–value pairs.
    pub facts: Vec<Fact>,
    /// A list, in the order shown.
    pub rows: Vec<Row>,
    /// What to show when `rows` is empty, if the section is a list.
    pub empty: Option<String>,
    /// Input fields.
    pub fields: Vec<Field>,
    /// Buttons under the section.
    pub buttons: Vec<Button>,
}

/// Long work under way: what is being done, and how far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Progress {
    /// What is being done, or how far it is, in words.
    pub text: String,
    /// Done so far, when it can be counted.
    pub done: Option<u32>,
    /// Of how many, when it can be counted.
    pub total: Option<u32>,
}

/// A count the home screen shows beside a screen's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Badge {
    /// The screen.
    pub screen: ScreenKind,
    /// How many things wait there.
    pub count: u32,
}

/// Hardware or system work the screen asks the shell to do now. The shell does it and sends the result back:
/// [`AppEvent::Scanned`] / [`AppEvent::ScanCancelled`], the card session (`App::present_card`), the sync
/// (`App::sync`), [`AppEvent::FileShared`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PlatformRequest {
    /// Open the camera and read a QR code.
    ScanQr {
        /// What to tell the person while the camera is open.
        prompt: String,
        /// The label of the button that closes the camera (sends [`AppEvent::ScanCancelled`]).
        cancel: String,
    },
    /// Read the My Number card held to the phone (NFC).
    TapCard {
        /// What to tell the person while the reader waits.
        prompt: String,
        /// The label of the button that closes the reader (sends [`AppEvent::CardCancelled`]).
        cancel: String,
    },
    /// Sync with the facility's hub now.
    SyncNow,
    /// Connect to the hub of a scanned enrollment QR and hand the connection to `App::join`.
    JoinHub {
        /// The hub's URL.
        hub_url: String,
        /// The SHA-256 fingerprint of the hub's certificate to pin (64 hex digits); none for a loopback
        /// `http://` hub in development.
        cert_sha256: Option<String>,
    },
    /// Share, save or print a file.
    ShareFile {
        /// Its file name.
        file_name: String,
        /// Its media type (`text/csv`, `application/pdf`, `image/svg+xml`).
        mime_type: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

/// Everything a shell draws, for one moment of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AppView {
    /// Which screen.
    pub screen: ScreenKind,
    /// Its title.
    pub title: String,
    /// Who is signed in, in words ("佐藤 花子（介護職員）"), if anyone.
    pub signed_in: Option<String>,
    /// The way back, where there is one.
    pub back: Option<Button>,
    /// Messages at the top: what was refused, what was done, warnings.
    pub notices: Vec<Notice>,
    /// Long work under way (sync, export), if any: draw a spinner with its text.
    pub busy: Option<Progress>,
    /// How far the screen's task is (the audit), if it has one.
    pub progress: Option<Progress>,
    /// Counts for the home screen's entries.
    pub badges: Vec<Badge>,
    /// The screen's content, top to bottom.
    pub sections: Vec<Section>,
    /// Hardware or system work to do now, if any.
    pub request: Option<PlatformRequest>,
    /// The display language.
    pub language: Locale,
}

impl AppView {
    /// Every button on the screen (back, rows, sections), in the order drawn: for tests and for shells that
    /// look a button up by its label.
    pub fn buttons(&self) -> Vec<&Button> {
        let mut buttons: Vec<&Button> = self.back.iter().collect();
        for section in &self.sections {
            for row in &section.rows {
                buttons.extend(row.buttons.iter());
            }
            buttons.extend(section.buttons.iter());
        }
        buttons
    }

    /// Every field on the screen, in the order drawn.
    pub fn fields(&self) -> Vec<&Field> {
        self.sections.iter().flat_map(|s| s.fields.iter()).collect()
    }

    /// Every text a person reads on the screen (for tests of the catalogue).
    pub fn texts(&self) -> Vec<&str> {
        let mut texts = vec![self.title.as_str()];
        texts.extend(self.signed_in.as_deref());
        texts.extend(self.notices.iter().map(|n| n.text.as_str()));
        texts.extend(self.busy.iter().map(|b| b.text.as_str()));
        texts.extend(self.progress.iter().map(|p| p.text.as_str()));
        for button in self.buttons() {
            texts.push(&button.label);
        }
        for section in &self.sections {
            texts.extend(section.title.as_deref());
            texts.extend(section.paragraphs.iter().map(String::as_str));
            texts.extend(section.empty.as_deref());
            for fact in &section.facts {
                texts.push(&fact.label);
                texts.push(&fact.value);
            }
            for row in &section.rows {
                texts.push(&row.title);
                texts.extend(row.details.iter().map(String::as_str));
            }
            for field in &section.fields {
                texts.push(&field.label);
                texts.extend(field.hint.as_deref());
                texts.extend(field.error.as_deref());
                if let FieldKind::OneOf { choices } = &field.kind {
                    texts.extend(choices.iter().map(|c| c.label.as_str()));
                }
            }
        }
        texts
    }
}
