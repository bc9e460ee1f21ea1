//! The message catalogue: every user-visible text, Japanese first, English second, in Fluent files under
//! `core/i18n/{ja,en}/`. Code names messages by id; a test fails when an id is missing in either language.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi(name = "Language"))]
pub enum Locale {
    /// 日本語 (the default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Locale {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }
}

/// The Fluent sources of each language, by file name. Add a file to both lists.
pub const SOURCES: [(Locale, &[(&str, &str)]); 2] = [
    (
        Locale::Ja,
        &[
            ("rules.ftl", include_str!("../i18n/ja/rules.ftl")),
            ("alerts.ftl", include_str!("../i18n/ja/alerts.ftl")),
            ("flows.ftl", include_str!("../i18n/ja/flows.ftl")),
            ("handover.ftl", include_str!("../i18n/ja/handover.ftl")),
            ("approval.ftl", include_str!("../i18n/ja/approval.ftl")),
            ("consent.ftl", include_str!("../i18n/ja/consent.ftl")),
            ("audit.ftl", include_str!("../i18n/ja/audit.ftl")),
            ("incident.ftl", include_str!("../i18n/ja/incident.ftl")),
            ("setup.ftl", include_str!("../i18n/ja/setup.ftl")),
            ("board.ftl", include_str!("../i18n/ja/board.ftl")),
            ("qr.ftl", include_str!("../i18n/ja/qr.ftl")),
            ("card.ftl", include_str!("../i18n/ja/card.ftl")),
            ("book.ftl", include_str!("../i18n/ja/book.ftl")),
            ("app.ftl", include_str!("../i18n/ja/app.ftl")),
            ("web.ftl", include_str!("../i18n/ja/web.ftl")),
        ],
    ),
    (
        Locale::En,
        &[
            ("rules.ftl", include_str!("../i18n/en/rules.ftl")),
            ("alerts.ftl", include_str!("../i18n/en/alerts.ftl")),
            ("flows.ftl", include_str!("../i18n/en/flows.ftl")),
            ("handover.ftl", include_str!("../i18n/en/handover.ftl")),
            ("approval.ftl", include_str!("../i18n/en/approval.ftl")),
            ("consent.ftl", include_str!("../i18n/en/consent.ftl")),
            ("audit.ftl", include_str!("../i18n/en/audit.ftl")),
            ("incident.ftl", include_str!("../i18n/en/incident.ftl")),
            ("setup.ftl", include_str!("../i18n/en/setup.ftl")),
            ("board.ftl", include_str!("../i18n/en/board.ftl")),
            ("qr.ftl", include_str!("../i18n/en/qr.ftl")),
            ("card.ftl", include_str!("../i18n/en/card.ftl")),
            ("book.ftl", include_str!("../i18n/en/book.ftl")),
            ("app.ftl", include_str!("../i18n/en/app.ftl")),
            ("web.ftl", include_str!("../i18n/en/web.ftl")),
        ],
    ),
];

/// The messages of one language.
pub struct Catalog {
    bundle: FluentBundle<FluentResource>,
}

impl Catalog {
    fn load(locale: Locale) -> Catalog {
        let language = locale.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![language]);
        bundle.set_use_isolating(false);
        for (_, files) in SOURCES.iter().filter(|(l, _)| *l == locale) {
            for (_, source) in files.iter() {
                // Parse errors are caught by the catalogue tests; what parses is still served.
                let resource = FluentResource::try_new(source.to_string())
                    .unwrap_or_else(|(partial, _)| partial);
                // A duplicate id is caught by the catalogue tests; the first definition wins.
                let _ = bundle.add_resource(resource);
            }
        }
        Catalog { bundle }
    }

    /// Whether the catalogue has a message `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// The message `id` without arguments. A missing id shows as the id itself (and fails the catalogue tests).
    pub fn text(&self, id: &str) -> String {
        self.format(id, &[])
    }

    /// The message `id` with named arguments.
    pub fn format(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::from(text.clone()),
                Arg::Number(n) => FluentValue::from(*n),
            };
            fluent_args.set(*name, value);
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }
}

/// An argument of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Text, shown as is.
    Text(String),
    /// A number (Fluent chooses plural forms by it).
    Number(i64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_string())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

/// The catalogue of `locale` (loaded once).
pub fn catalog(locale: Locale) -> &'static Catalog {
    static JA: OnceLock<Catalog> = OnceLock::new();
    static EN: OnceLock<Catalog> = OnceLock::new();
    match locale {
        Locale::Ja => JA.get_or_init(|| Catalog::load(Locale::Ja)),
        Locale::En => EN.get_or_init(|| Catalog::load(Locale::En)),
    }
}

/// The message ids defined in a Fluent source (for the catalogue tests).
pub fn message_ids(source: &str) -> Vec<String> {
    match FluentResource::try_new(source.to_string()) {
        Ok(resource) => resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_string()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Prefixes of message ids, one per area; the catalogue test looks for literals starting with these.
pub const MESSAGE_PREFIXES: &[&str] = &[
    "book-",
    "rules-",
    "alert-",
    "incident-",
    "flow-",
    "item-",
    "purpose-",
    "custody-",
    "handover-",
    "approval-",
    "consent-",
    "audit-",
    "setup-",
    "board-",
    "card-",
    "qr-",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(locale: Locale) -> BTreeSet<String> {
        SOURCES
            .iter()
            .filter(|(l, _)| *l == locale)
            .flat_map(|(_, files)| files.iter())
            .flat_map(|(_, source)| message_ids(source))
            .collect()
    }

    #[test]
    fn every_file_parses_in_both_languages() {
        for (locale, files) in SOURCES {
            for (name, source) in files {
                assert!(
                    FluentResource::try_new(source.to_string()).is_ok(),
                    "{} {name} does not parse",
                    locale.tag()
                );
            }
        }
        let names = |locale: Locale| -> Vec<&str> {
            SOURCES
                .iter()
                .filter(|(l, _)| *l == locale)
                .flat_map(|(_, f)| f.iter().map(|(n, _)| *n))
                .collect()
        };
        assert_eq!(names(Locale::Ja), names(Locale::En));
    }

    #[test]
    fn every_message_id_exists_in_both_languages() {
        let ja = ids(Locale::Ja);
        let en = ids(Locale::En);
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
        assert!(!ja.is_empty());
    }

    #[test]
    fn every_message_id_used_in_the_code_exists() {
        // Ids are written as string literals beginning with a known area prefix; find them in the sources.
        let ja = ids(Locale::Ja);
        // Rule ids (`@id("…")` in the default policy) look like message ids but are not.
        let rule_ids: BTreeSet<&str> = crate::rules::DEFAULT_POLICY
            .split("@id(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    let pieces: Vec<&str> = source.split('"').collect();
                    for (i, literal) in pieces.iter().enumerate().skip(1).step_by(2) {
                        // A byte string (`b"card-serial"`, a hash domain) is never a message id.
                        let byte_string = pieces[i - 1].ends_with('b');
                        let looks_like_id = !byte_string
                            && literal.contains('-')
                            && !literal.ends_with('-')
                            && !rule_ids.contains(literal)
                            && literal
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                            && MESSAGE_PREFIXES.iter().any(|p| literal.starts_with(p));
                        if looks_like_id && !ja.contains(*literal) {
                            missing.push(format!("{}: {literal}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "message ids used but not defined: {missing:?}"
        );
    }

    #[test]
    fn arguments_are_filled_in() {
        assert!(
            catalog(Locale::En)
                .text("rules-not-permitted")
                .starts_with("The facility")
        );
        assert!(
            catalog(Locale::Ja)
                .text("rules-not-permitted")
                .contains("ルール")
        );
        assert_eq!(
            catalog(Locale::Ja).text("no-such-message"),
            "no-such-message"
        );
    }
}
