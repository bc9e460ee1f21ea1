//! The one page model every browser page is drawn from, and its askama template (`hub/templates/page.html`).
//!
//! A page is a title, notices and sections; a section has paragraphs, label–value facts, rows (each with its own
//! actions), a table, a QR code and actions — the same shape as the core's `AppView`, so the console's pages become
//! a rendering of `AppView` once the app state machine is there. Actions are links, plain POST forms, or passkey
//! forms that `hub/static/azukari.js` turns into a WebAuthn ceremony.

use askama::Template;

/// A link.
#[derive(Debug, Clone)]
pub struct Link {
    /// What it says.
    pub label: String,
    /// Where it goes (a path on this hub).
    pub href: String,
    /// Whether it is the page shown.
    pub current: bool,
}

/// A message at the top of a page.
#[derive(Debug, Clone)]
pub struct PageNotice {
    /// `info`, `warning` or `error`.
    pub kind: &'static str,
    /// The text.
    pub text: String,
}

/// A text input of a form action.
#[derive(Debug, Clone)]
pub struct Input {
    /// The form field's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// Whether it must be filled.
    pub required: bool,
}

/// Something a person can do: follow a link, post a form, or sign with a passkey.
#[derive(Debug, Clone)]
pub struct Action {
    /// What the button says.
    pub label: String,
    /// `primary`, `secondary` or `destructive`.
    pub style: &'static str,
    /// `link`, `post`, `passkey`, or `submit` (a button of its section's form).
    pub kind: &'static str,
    /// The link's target or the form's action.
    pub href: String,
    /// For passkey forms: `register`, `signin` or `sign` (a signed decision).
    pub ceremony: &'static str,
    /// Hidden form fields.
    pub hidden: Vec<(String, String)>,
    /// A text input shown before the button.
    pub input: Option<Input>,
    /// Whether it can be used now (a disabled button is drawn greyed).
    pub enabled: bool,
}

impl Action {
    /// A link drawn as a button.
    pub fn link(label: String, href: impl Into<String>, style: &'static str) -> Action {
        Action {
            label,
            style,
            kind: "link",
            href: href.into(),
            ceremony: "",
            hidden: Vec::new(),
            input: None,
            enabled: true,
        }
    }

    /// A plain POST form (with the CSRF token).
    pub fn post(label: String, href: impl Into<String>, style: &'static str) -> Action {
        Action {
            kind: "post",
            ..Action::link(label, href, style)
        }
    }

    /// A passkey ceremony: the script posts the form to `href/options`, runs WebAuthn and posts the result to
    /// `href/finish`.
    pub fn passkey(
        label: String,
        href: impl Into<String>,
        ceremony: &'static str,
        style: &'static str,
    ) -> Action {
        Action {
            kind: "passkey",
            ceremony,
            ..Action::link(label, href, style)
        }
    }

    /// With a hidden field.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Action {
        self.hidden.push((name.to_string(), value.into()));
        self
    }

    /// With a text input.
    pub fn with_input(mut self, name: &str, label: String, required: bool) -> Action {
        self.input = Some(Input {
            name: name.to_string(),
            label,
            required,
        });
        self
    }
}

/// One row of a list.
#[derive(Debug, Clone, Default)]
pub struct PageRow {
    /// The main line.
    pub title: String,
    /// Lines under it.
    pub details: Vec<String>,
    /// `critical`, `warning` or `info` for alerts and overdue items.
    pub severity: Option<&'static str>,
    /// What can be done with it.
    pub actions: Vec<Action>,
}

/// A table (history, ledger).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Its caption.
    pub caption: String,
    /// Column titles.
    pub head: Vec<String>,
    /// Cells.
    pub rows: Vec<Vec<String>>,
}

/// A part of a page.
#[derive(Debug, Clone, Default)]
pub struct PageSection {
    /// Its heading.
    pub title: Option<String>,
    /// Paragraphs.
    pub paragraphs: Vec<String>,
    /// A long text kept as written (an agreement), in a bordered box.
    pub document: Option<String>,
    /// Label–value pairs.
    pub facts: Vec<(String, String)>,
    /// A list.
    pub rows: Vec<PageRow>,
    /// What to say when the list is empty.
    pub empty: Option<String>,
    /// A table.
    pub table: Option<Table>,
    /// A QR code as SVG (made by [`qr_svg`] from the code's modules only).
    pub qr_svg: Option<String>,
    /// A link to copy, shown as text.
    pub code: Option<String>,
    /// Input fields; with them the section is one form posted to `form` by its `submit` actions.
    pub fields: Vec<super::app_view::PageField>,
    /// Where the section's form posts.
    pub form: Option<String>,
    /// Buttons under the section.
    pub actions: Vec<Action>,
}

/// A whole page.
#[derive(Debug, Clone)]
pub struct Page {
    /// `ja` or `en`.
    pub lang: &'static str,
    /// The title (the `h1` and the window title).
    pub title: String,
    /// The product's name.
    pub app_name: String,
    /// Who is signed in, in words.
    pub signed_in: Option<String>,
    /// The navigation's label.
    pub nav_label: String,
    /// Navigation links.
    pub nav: Vec<Link>,
    /// Notices.
    pub notices: Vec<PageNotice>,
    /// Content.
    pub sections: Vec<PageSection>,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// The server-sent events URL whose messages refresh the page's content without a reload.
    pub live: Option<String>,
    /// A download the script starts as soon as the page is shown (a file the app gave to save or print).
    pub download: Option<String>,
    /// The other language.
    pub language_switch: Link,
    /// `lang` of the other language's link.
    pub other_lang: &'static str,
    /// The sign-out button's label, when someone is signed in.
    pub sign_out: Option<String>,
    /// Shown by the script when the browser has no WebAuthn (in-app browsers).
    pub webauthn_missing: String,
    /// "Skip to content".
    pub skip_link: String,
    /// Shown by the script while a passkey prompt is open.
    pub passkey_wait: String,
    /// Shown by the script when a passkey ceremony fails.
    pub passkey_failed: String,
}

/// The template of [`Page`].
#[derive(Template)]
#[template(path = "page.html")]
pub struct PageTemplate<'a> {
    /// The page.
    pub page: &'a Page,
}

/// A QR code of `text` as an SVG element (dark modules as one path; no text from outside goes into the SVG).
pub fn qr_svg(text: &str, title: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for (index, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let x = index % width + quiet;
            let y = index / width + quiet;
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let title = escape_html(title);
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"240\" height=\"240\" role=\"img\" aria-label=\"{title}\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// `text` with `& < > " '` escaped for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
