//! Authors and contributors: Atom person constructs, and the free-form
//! strings RSS and Dublin Core use (`me@example.org (Me)`, `Me
//! <me@example.org>`, `Me (me@example.org)`, a bare name or address).

use std::sync::OnceLock;

use regex::Regex;

use super::links::absolutize;
use super::model::Person;
use super::text::collapse_whitespace;
use super::tree::{Element, Ns};

/// An Atom `<author>`/`<contributor>`: `name`, `email`, `uri` (Atom 0.3's
/// `url` too). The name falls back to the element's own text for feeds
/// that write `<author>Name</author>`.
pub(crate) fn atom(el: &Element) -> Option<Person> {
    let mut person = Person::default();
    for child in el
        .elements()
        .filter(|c| matches!(c.ns, Ns::Atom | Ns::None))
    {
        let value = child.trimmed();
        if child.named("name") {
            person.name = person.name.or(value.map(|v| collapse_whitespace(&v)));
        } else if child.named("email") {
            person.email = person.email.or(value);
        } else if child.named("uri") || child.named("url") || child.named("homepage") {
            person.uri = person
                .uri
                .or(value.map(|v| absolutize(&v, child.base.as_deref())));
        }
    }
    if person == Person::default() {
        return from_text(&el.text());
    }
    Some(person)
}

/// A person written as one string.
pub(crate) fn from_text(raw: &str) -> Option<Person> {
    let raw = collapse_whitespace(raw);
    if raw.is_empty() {
        return None;
    }
    static EMAIL: OnceLock<Option<Regex>> = OnceLock::new();
    let email_re = EMAIL
        .get_or_init(|| Regex::new(r"(?:mailto:)?([\w.+%-]+@[\w-]+(?:\.[\w-]+)+)").ok())
        .as_ref();
    let Some(found) = email_re.and_then(|re| re.captures(&raw)) else {
        return Some(Person {
            name: Some(raw),
            ..Person::default()
        });
    };
    let (Some(whole), Some(addr)) = (found.get(0), found.get(1)) else {
        return None;
    };
    let email = addr.as_str().to_owned();
    let mut rest = String::with_capacity(raw.len());
    rest.push_str(&raw[..whole.start()]);
    rest.push_str(&raw[whole.end()..]);
    let name = rest
        .replace("()", "")
        .replace("<>", "")
        .trim()
        .trim_matches(|c: char| matches!(c, '(' | ')' | '<' | '>' | '[' | ']') || c.is_whitespace())
        .to_owned();
    Some(Person {
        name: Some(collapse_whitespace(&name)).filter(|n| !n.is_empty()),
        email: Some(email),
        uri: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: Option<&str>, email: Option<&str>) -> Option<Person> {
        Some(Person {
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            uri: None,
        })
    }

    #[test]
    fn the_usual_forms_are_read() {
        assert_eq!(
            from_text("me@example.org (Jane Doe)"),
            p(Some("Jane Doe"), Some("me@example.org"))
        );
        assert_eq!(
            from_text("Jane Doe <me@example.org>"),
            p(Some("Jane Doe"), Some("me@example.org"))
        );
        assert_eq!(
            from_text("Jane Doe (mailto:me@example.org)"),
            p(Some("Jane Doe"), Some("me@example.org"))
        );
        assert_eq!(from_text("me@example.org"), p(None, Some("me@example.org")));
        assert_eq!(from_text(" Jane  Doe "), p(Some("Jane Doe"), None));
        assert_eq!(from_text("  "), None);
    }
}
