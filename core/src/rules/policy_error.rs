//! Why a policy set was refused, with line and column for the person editing it.

use serde::{Deserialize, Serialize};

/// One problem in a policy text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong (from Cedar, in English).
    pub message: String,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// A policy set that cannot be used. Nothing is changed when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text does not parse.
    #[error("the policy does not parse: {} / ルールの書式に誤りがあります", join(.0))]
    Parse(Vec<PolicyProblem>),
    /// The text parses but does not fit the schema (unknown attribute, wrong type, unknown action…).
    #[error("the policy does not fit the schema: {} / ルールがスキーマに合いません", join(.0))]
    Invalid(Vec<PolicyProblem>),
    /// A forbid policy lacks its reasons or citation, so its refusals could not explain themselves.
    #[error(
        "policy at line {line} must have @id, @reason_ja, @reason_en, @cites_ja and @cites_en / 行{line}のルールに理由の注釈がありません"
    )]
    Unexplained {
        /// Line of the policy.
        line: usize,
    },
    /// The built-in schema failed to load (a build defect).
    #[error("the rules schema failed to load: {0} / ルールのスキーマを読み込めません")]
    Schema(String),
}

fn join(problems: &[PolicyProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// 1-based line and column of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (2, 2));
        assert_eq!(line_column(text, text.len()), (3, 2));
    }
}
