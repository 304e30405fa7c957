//! CSS selectors of `[feed.extract]`, checked with messages of our own.
//!
//! The selector crate's own text for many mistakes is "Unexpected error
//! occurred. Please report this to the developer" plus a debug dump, which
//! sends people to the wrong place: the selector is theirs to fix, so the
//! message says what is wrong with it in CSS terms.

use scraper::error::SelectorErrorKind;
use selectors::parser::SelectorParseErrorKind as Kind;

/// `Ok` when `text` parses as a selector list, else why not.
pub fn check(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("empty CSS selector".into());
    }
    match scraper::Selector::parse(text) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("invalid CSS selector {text:?}: {}", describe(&e))),
    }
}

fn describe(e: &SelectorErrorKind) -> &'static str {
    match e {
        SelectorErrorKind::UnexpectedToken => "a character or word that does not belong there",
        SelectorErrorKind::EndOfLine => {
            "it ends too early (an unclosed `[`, `(` or quote, or nothing after `.`, `#` or `:`?)"
        }
        SelectorErrorKind::InvalidAtRule | SelectorErrorKind::InvalidAtRuleBody => {
            "@-rules are not selectors"
        }
        SelectorErrorKind::QualRuleInvalid => "not a selector (a style rule?)",
        SelectorErrorKind::TooManyNestedBlocks => "too deeply nested",
        SelectorErrorKind::ExpectedColonOnPseudoElement
        | SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs a name after `::`"
        }
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => describe_kind(kind),
    }
}

fn describe_kind(kind: &Kind) -> &'static str {
    match kind {
        Kind::EmptySelector => {
            "no selector where one was expected (a stray comma, or a class or id that is not a CSS name?)"
        }
        Kind::DanglingCombinator => "a combinator (`>`, `+`, `~`) with nothing after it",
        Kind::UnsupportedPseudoClassOrElement => {
            "an unsupported pseudo-class or pseudo-element (state such as :hover means \
             nothing in a saved page)"
        }
        Kind::NoIdentForPseudo | Kind::PseudoElementExpectedIdent => {
            "a `:` must be followed by a pseudo-class name"
        }
        Kind::PseudoElementExpectedColon => "a pseudo-element needs `::`",
        Kind::ClassNeedsIdent => "a `.` must be followed by a class name",
        Kind::UnexpectedIdent => "a name where none belongs",
        Kind::NoQualifiedNameInAttributeSelector
        | Kind::InvalidQualNameInAttr
        | Kind::ExpectedBarInAttr
        | Kind::ExpectedNamespace
        | Kind::ExplicitNamespaceUnexpectedToken => {
            "an attribute selector needs a name, as in [data-role] or [data-role=\"x\"]"
        }
        Kind::UnexpectedTokenInAttributeSelector | Kind::BadValueInAttr => {
            "an attribute selector's value must be a word or a quoted string, as in \
             [data-role=\"story body\"]"
        }
        Kind::NonCompoundSelector
        | Kind::NonPseudoElementAfterSlotted
        | Kind::InvalidPseudoElementAfterSlotted
        | Kind::InvalidPseudoElementInsideWhere
        | Kind::InvalidState => "a selector form that is not supported here",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_selectors_pass() {
        for s in [
            "article .body",
            "div[data-role=\"story body\"] > p",
            ".a, .b",
            "p:nth-child(2n+1)",
            "section:not(.promo)",
            ":is(h1, h2)",
        ] {
            assert_eq!(check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn mistakes_get_our_words_never_the_crates_bug_report_text() {
        for (s, expect) in [
            ("div[", "ends too early"),
            ("p:hover", "unsupported pseudo-class"),
            ("p::", "ends too early"),
            ("p::-x-y", "pseudo"),
            ("a >", "combinator"),
            (".a,,.b", "stray comma"),
            ("p.", "ends too early"),
            (".1a", "not a CSS name"),
            ("", "empty CSS selector"),
            ("p:nth-child(x)", "invalid CSS selector"),
            ("[=x]", "attribute selector"),
        ] {
            let e = check(s).unwrap_err();
            assert!(e.contains(expect), "{s:?}: {e}");
            assert!(!e.contains("report this"), "{s:?}: {e}");
            assert!(!e.contains('\n'), "{s:?}: {e}");
        }
    }
}
