//! Per-feed filters: which entries of a feed become stories.
//!
//! A feed's `[feed.filter]` holds `exclude` rules (an entry matching any of
//! them is dropped) and `include` rules (when there are any, an entry must
//! match one of them to be kept); excludes are checked first, as in
//! Miniflux's block and keep rules. A rule is one or more conditions, each
//! a regular expression on one field of the entry; all of a rule's
//! conditions must match for the rule to match.
//!
//! [`decide`] is a pure function of the rules and what is known about an
//! entry. The page text is only known after the page was fetched, so a
//! rule on `text` may leave the decision open ([`Decision::NeedsText`]);
//! rules on the title, URL, author, tags or summary decide before any page
//! is fetched, which saves the fetch of everything they drop.

use std::fmt;

use regex::Regex;

/// The part of an entry a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Url,
    /// Any of the entry's authors.
    Author,
    /// Any of the entry's tags (categories).
    Tag,
    /// The feed's summary of the entry, as text.
    Summary,
    /// The entry's text: the feed's content, or the article page's text.
    Text,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Title,
        Field::Url,
        Field::Author,
        Field::Tag,
        Field::Summary,
        Field::Text,
    ];

    /// The key of the field in feeds.toml.
    pub fn key(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Url => "url",
            Field::Author => "author",
            Field::Tag => "tag",
            Field::Summary => "summary",
            Field::Text => "text",
        }
    }
}

/// One field matched against one regular expression.
#[derive(Debug, Clone)]
pub struct Condition {
    pub field: Field,
    pub pattern: Regex,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Condition) -> bool {
        self.field == other.field && self.pattern.as_str() == other.pattern.as_str()
    }
}

/// A rule: every condition must match.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub conditions: Vec<Condition>,
    /// 1-based line in feeds.toml, to name the rule in what is recorded.
    pub line: usize,
}

impl fmt::Display for Rule {
    /// `title ~ "(?i)sponsored" and url ~ "/promo/" (line 12)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.conditions.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{} ~ {:?}", c.field.key(), c.pattern.as_str())?;
        }
        write!(f, " (line {})", self.line)
    }
}

/// A feed's filter; the default keeps everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterRules {
    pub exclude: Vec<Rule>,
    pub include: Vec<Rule>,
}

impl FilterRules {
    pub fn is_empty(&self) -> bool {
        self.exclude.is_empty() && self.include.is_empty()
    }

    /// Some rule looks at the text, so a decision may have to wait for it.
    pub fn uses_text(&self) -> bool {
        self.exclude
            .iter()
            .chain(&self.include)
            .flat_map(|r| &r.conditions)
            .any(|c| c.field == Field::Text)
    }
}

/// What is known about an entry when it is filtered.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntryFacts<'a> {
    pub title: Option<&'a str>,
    pub url: Option<&'a str>,
    pub authors: &'a [String],
    pub tags: &'a [String],
    pub summary: Option<&'a str>,
    /// `None` while the text is not known yet (the page is not fetched).
    pub text: Option<&'a str>,
}

/// Why an entry is not kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dropped<'r> {
    /// It matched this exclude rule.
    Excluded(&'r Rule),
    /// The feed has include rules and it matched none of them.
    NotIncluded,
}

impl fmt::Display for Dropped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dropped::Excluded(rule) => write!(f, "excluded by {rule}"),
            Dropped::NotIncluded => f.write_str("matched no include rule"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision<'r> {
    Keep,
    Drop(Dropped<'r>),
    /// A rule on the text decides, and the text is not known yet.
    NeedsText,
}

/// A condition's verdict: three-valued, because the text may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Yes,
    No,
    Unknown,
}

fn condition(c: &Condition, entry: &EntryFacts) -> Verdict {
    let any = |values: &[String]| values.iter().any(|v| c.pattern.is_match(v));
    let hit = match c.field {
        Field::Title => entry.title.is_some_and(|t| c.pattern.is_match(t)),
        Field::Url => entry.url.is_some_and(|u| c.pattern.is_match(u)),
        Field::Author => any(entry.authors),
        Field::Tag => any(entry.tags),
        Field::Summary => entry.summary.is_some_and(|s| c.pattern.is_match(s)),
        Field::Text => match entry.text {
            None => return Verdict::Unknown,
            Some(t) => c.pattern.is_match(t),
        },
    };
    if hit { Verdict::Yes } else { Verdict::No }
}

/// All conditions must match: one `No` settles it, else one `Unknown`
/// leaves it open.
fn rule(r: &Rule, entry: &EntryFacts) -> Verdict {
    let mut verdict = Verdict::Yes;
    for c in &r.conditions {
        match condition(c, entry) {
            Verdict::No => return Verdict::No,
            Verdict::Unknown => verdict = Verdict::Unknown,
            Verdict::Yes => {}
        }
    }
    verdict
}

/// Keep or drop an entry. Exclude rules first: the first that matches
/// drops it. Then, when there are include rules, one must match. With the
/// text unknown, the answer is [`Decision::NeedsText`] only when a rule on
/// the text could change it.
pub fn decide<'r>(rules: &'r FilterRules, entry: &EntryFacts) -> Decision<'r> {
    let mut open = false;
    for r in &rules.exclude {
        match rule(r, entry) {
            Verdict::Yes => return Decision::Drop(Dropped::Excluded(r)),
            Verdict::Unknown => open = true,
            Verdict::No => {}
        }
    }
    if open {
        return Decision::NeedsText;
    }
    if rules.include.is_empty() {
        return Decision::Keep;
    }
    let mut open = false;
    for r in &rules.include {
        match rule(r, entry) {
            Verdict::Yes => return Decision::Keep,
            Verdict::Unknown => open = true,
            Verdict::No => {}
        }
    }
    if open {
        Decision::NeedsText
    } else {
        Decision::Drop(Dropped::NotIncluded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(line: usize, conditions: &[(Field, &str)]) -> Rule {
        Rule {
            conditions: conditions
                .iter()
                .map(|(field, p)| Condition {
                    field: *field,
                    pattern: Regex::new(p).unwrap(),
                })
                .collect(),
            line,
        }
    }

    fn facts<'a>(title: &'a str, url: &'a str, tags: &'a [String]) -> EntryFacts<'a> {
        EntryFacts {
            title: Some(title),
            url: Some(url),
            authors: &[],
            tags,
            summary: None,
            text: None,
        }
    }

    #[test]
    fn a_summary_rule_decides_before_the_page() {
        let rules = FilterRules {
            exclude: vec![rule_of(4, &[(Field::Summary, "(?i)\\bsponsored\\b")])],
            include: vec![],
        };
        let teaser = EntryFacts {
            summary: Some("A sponsored look at the new ferries"),
            ..facts("Ferries", "u", &[])
        };
        assert!(matches!(
            decide(&rules, &teaser),
            Decision::Drop(Dropped::Excluded(r)) if r.line == 4
        ));
        // No summary: the rule does not match, and no text is waited for.
        assert_eq!(decide(&rules, &facts("Ferries", "u", &[])), Decision::Keep);
    }

    #[test]
    fn no_rules_keep_everything() {
        let rules = FilterRules::default();
        assert_eq!(
            decide(&rules, &facts("Anything", "https://a.example/1", &[])),
            Decision::Keep
        );
    }

    #[test]
    fn exclude_drops_a_match_and_names_the_rule() {
        let rules = FilterRules {
            exclude: vec![
                rule_of(7, &[(Field::Url, "/podcasts?/")]),
                rule_of(8, &[(Field::Title, "(?i)\\bsponsored\\b")]),
            ],
            include: vec![],
        };
        let d = decide(
            &rules,
            &facts("SPONSORED: a mattress", "https://a.example/1", &[]),
        );
        assert_eq!(d, Decision::Drop(Dropped::Excluded(&rules.exclude[1])));
        let Decision::Drop(why) = d else {
            unreachable!()
        };
        assert_eq!(
            why.to_string(),
            "excluded by title ~ \"(?i)\\\\bsponsored\\\\b\" (line 8)"
        );
        assert_eq!(
            decide(
                &rules,
                &facts("A story about sponsorship", "https://a.example/2", &[])
            ),
            Decision::Keep,
            "word boundary: 'sponsorship' is not 'sponsored'"
        );
    }

    #[test]
    fn all_conditions_of_a_rule_must_match() {
        let rules = FilterRules {
            exclude: vec![rule_of(
                3,
                &[(Field::Title, "(?i)live"), (Field::Url, "/sport/")],
            )],
            include: vec![],
        };
        let sport = "https://a.example/sport/1";
        assert!(matches!(
            decide(&rules, &facts("Live: the final", sport, &[])),
            Decision::Drop(_)
        ));
        assert_eq!(
            decide(
                &rules,
                &facts("Live: the vote", "https://a.example/politics/1", &[])
            ),
            Decision::Keep
        );
        assert_eq!(
            decide(&rules, &facts("Match report", sport, &[])),
            Decision::Keep
        );
    }

    #[test]
    fn include_rules_keep_only_matches_and_excludes_win() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let rules = FilterRules {
            exclude: vec![rule_of(2, &[(Field::Title, "^Opinion:")])],
            include: vec![
                rule_of(4, &[(Field::Tag, "(?i)^politics$")]),
                rule_of(5, &[(Field::Author, "Ada")]),
            ],
        };
        let politics = tags(&["World", "Politics"]);
        let sport = tags(&["Sport"]);
        assert_eq!(
            decide(&rules, &facts("Vote", "u", &politics)),
            Decision::Keep
        );
        assert_eq!(
            decide(&rules, &facts("Final", "u", &sport)),
            Decision::Drop(Dropped::NotIncluded)
        );
        let authors = tags(&["Bob", "Ada Lovelace"]);
        let by_ada = EntryFacts {
            authors: &authors,
            ..facts("Engines", "u", &sport)
        };
        assert_eq!(decide(&rules, &by_ada), Decision::Keep);
        assert!(matches!(
            decide(&rules, &facts("Opinion: vote", "u", &politics)),
            Decision::Drop(Dropped::Excluded(r)) if r.line == 2
        ));
        assert_eq!(Dropped::NotIncluded.to_string(), "matched no include rule");
    }

    #[test]
    fn a_text_rule_waits_for_the_text_only_when_it_matters() {
        let rules = FilterRules {
            exclude: vec![
                rule_of(2, &[(Field::Title, "^Ad:")]),
                rule_of(3, &[(Field::Text, "(?i)subscribe to read")]),
            ],
            include: vec![],
        };
        assert!(rules.uses_text());
        // Settled by the title: no page needs fetching.
        assert!(matches!(
            decide(&rules, &facts("Ad: shoes", "u", &[])),
            Decision::Drop(_)
        ));
        // Only the text can tell.
        let entry = facts("Harbour strike", "u", &[]);
        assert_eq!(decide(&rules, &entry), Decision::NeedsText);
        let paywalled = EntryFacts {
            text: Some("Subscribe to read the rest"),
            ..entry
        };
        assert!(matches!(
            decide(&rules, &paywalled),
            Decision::Drop(Dropped::Excluded(r)) if r.line == 3
        ));
        let whole = EntryFacts {
            text: Some("Dockers walked out on Monday."),
            ..entry
        };
        assert_eq!(decide(&rules, &whole), Decision::Keep);
        // A rule that needs the text and something that is false is false.
        let rules = FilterRules {
            exclude: vec![rule_of(2, &[(Field::Title, "^Ad:"), (Field::Text, "buy")])],
            include: vec![],
        };
        assert!(rules.uses_text());
        assert_eq!(decide(&rules, &entry), Decision::Keep);
    }

    #[test]
    fn include_on_text_with_unknown_text_stays_open_unless_another_include_matches() {
        let rules = FilterRules {
            exclude: vec![],
            include: vec![
                rule_of(2, &[(Field::Text, "(?i)climate")]),
                rule_of(3, &[(Field::Title, "(?i)climate")]),
            ],
        };
        assert_eq!(
            decide(&rules, &facts("Climate talks", "u", &[])),
            Decision::Keep
        );
        assert_eq!(
            decide(&rules, &facts("Harbour strike", "u", &[])),
            Decision::NeedsText
        );
        let entry = EntryFacts {
            text: Some("nothing about it"),
            ..facts("Harbour strike", "u", &[])
        };
        assert_eq!(decide(&rules, &entry), Decision::Drop(Dropped::NotIncluded));
    }
}
