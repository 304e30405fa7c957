//! `[feed.filter]` in feeds.toml: include and exclude rules, checked
//! (every invalid regular expression reported at its place) and turned
//! into [`crate::filter::FilterRules`].

use serde::Deserialize;
use toml::Spanned;

use super::error::Problems;
use crate::filter::{Condition, Field, FilterRules, Rule};

/// Regular expressions of filter rules are written by the operator, but a
/// pasted monster should not take the daemon's memory: the regex crate's
/// compiled-size limit, lowered from its 10 MiB default to 1 MiB, which
/// is hundreds of times what a realistic rule (a few alternatives,
/// `(?i)`, word boundaries) compiles to.
const RULE_REGEX_SIZE_LIMIT: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    #[serde(default)]
    exclude: Vec<Spanned<RawRule>>,
    #[serde(default)]
    include: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    title: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    author: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
}

impl RawFilter {
    pub(super) fn validate(self, problems: &mut Problems) -> FilterRules {
        let mut rules = |list: Vec<Spanned<RawRule>>| -> Vec<Rule> {
            list.into_iter()
                .filter_map(|r| {
                    let span = r.span();
                    r.into_inner().validate(span, problems)
                })
                .collect()
        };
        FilterRules {
            exclude: rules(self.exclude),
            include: rules(self.include),
        }
    }
}

impl RawRule {
    fn validate(self, span: std::ops::Range<usize>, problems: &mut Problems) -> Option<Rule> {
        let fields = [
            self.title,
            self.url,
            self.author,
            self.tag,
            self.summary,
            self.text,
        ];
        let mut conditions = Vec::new();
        let mut broken = false;
        for (field, value) in Field::ALL.into_iter().zip(fields) {
            let Some(value) = value else { continue };
            match regex::RegexBuilder::new(value.get_ref())
                .size_limit(RULE_REGEX_SIZE_LIMIT)
                .build()
            {
                Ok(pattern) => conditions.push(Condition { field, pattern }),
                Err(e) => {
                    broken = true;
                    problems.at(
                        value.span(),
                        format!(
                            "invalid regular expression {:?} for {}: {}",
                            value.get_ref(),
                            field.key(),
                            regex_reason(&e)
                        ),
                    );
                }
            }
        }
        if conditions.is_empty() && !broken {
            problems.at(
                span.clone(),
                "a filter rule needs at least one of title, url, author, tag, summary or text",
            );
        }
        (!broken && !conditions.is_empty()).then(|| Rule {
            conditions,
            line: problems.line_of(span.start),
        })
    }
}

/// The regex crate's reason in one line (its message draws a caret under
/// the pattern over several lines).
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or("invalid"))
        .to_string()
}
