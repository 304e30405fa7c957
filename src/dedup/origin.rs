//! Which of two copies of a story is the original, when their dates cannot
//! tell (the same day, one date with day precision only): the copy is the
//! one that *adds* what republishing adds. A wire dateline in front
//! (`WASHINGTON (AP) —`), an attribution or "originally appeared on" /
//! "Read the full story at …" footer, an "Updated:" or "Editor's note:"
//! line. Arrival order says nothing: feeds are polled in any order.
//!
//! Pure functions on the two texts; [`super::root::place`] consults them
//! only when the dates are not clearly apart.

use std::cmp::Ordering;

/// Phrases of a line that says the text was published elsewhere first or
/// is an excerpt of it (lower case; English and German). Generic
/// republishing vocabulary, not taken from any page.
const ATTRIBUTION_PHRASES: &[&str] = &[
    "originally appeared",
    "originally published",
    "first appeared",
    "first published",
    "republished",
    "reprinted",
    "with permission",
    "read the full story",
    "read the full article",
    "read the original",
    "continue reading at",
    "distributed by",
    "syndicated",
    "erschien zuerst",
    "zuerst erschienen",
    "mit freundlicher genehmigung",
];

/// Line openings of a note a republisher puts above or below the text.
const NOTE_OPENINGS: &[&str] = &[
    "updated:",
    "update:",
    "last updated",
    "editor's note",
    "editor’s note",
    "editors' note",
    "aktualisiert:",
];

/// Attribution and notes are looked for in this many lines at each end: in
/// the body, "first published in 2019" is news, not a footer.
const EDGE_LINES: usize = 2;

/// A footer or note longer than this is a paragraph of the story.
const MAX_NOTE_WORDS: usize = 40;

/// A dateline's place name: at most this many characters before the dash.
const MAX_DATELINE_CHARS: usize = 48;

/// How many kinds of republishing mark a text carries: a leading wire
/// dateline, an attribution line, an update or editor's note (0–3).
pub fn copy_marks(text: &str) -> usize {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let edges: Vec<&str> = if lines.len() <= 2 * EDGE_LINES {
        lines.clone()
    } else {
        lines[..EDGE_LINES]
            .iter()
            .chain(&lines[lines.len() - EDGE_LINES..])
            .copied()
            .collect()
    };
    let notes: Vec<String> = edges
        .iter()
        .filter(|l| l.split_whitespace().count() <= MAX_NOTE_WORDS)
        .map(|l| l.to_lowercase())
        .collect();
    let attribution = notes
        .iter()
        .any(|l| ATTRIBUTION_PHRASES.iter().any(|p| l.contains(p)));
    let note = notes
        .iter()
        .any(|l| NOTE_OPENINGS.iter().any(|p| l.starts_with(p)));
    let dateline = lines.first().is_some_and(|l| has_dateline(l));
    usize::from(attribution) + usize::from(note) + usize::from(dateline)
}

/// `Greater` when `new` looks like the original of `stored` (it carries
/// fewer republishing marks), `Less` when it looks like the copy, `Equal`
/// when the texts do not tell.
pub fn compare(new: &str, stored: &str) -> Ordering {
    copy_marks(stored).cmp(&copy_marks(new))
}

/// `PLACE (Agency) — text`, `PLACE, Region — text`: an upper-case place
/// name, an optional agency in parentheses, then a dash.
fn has_dateline(line: &str) -> bool {
    let Some((head, _)) = ["—", "–", " -- ", " - "]
        .iter()
        .filter_map(|d| line.find(d).map(|i| (i, d)))
        .min_by_key(|(i, _)| *i)
        .map(|(i, d)| (&line[..i], d))
    else {
        return false;
    };
    if head.chars().count() > MAX_DATELINE_CHARS {
        return false;
    }
    let place = head.split('(').next().unwrap_or(head).trim();
    let letters: Vec<char> = place.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 3
        && letters.iter().all(|c| c.is_uppercase())
        && place
            .chars()
            .all(|c| c.is_alphabetic() || " .,'’".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str =
        "The port reopened on Monday after a week of strikes.\n\nUnions said talks would go on.";

    #[test]
    fn datelines_footers_and_notes_are_marks_of_a_copy() {
        assert_eq!(copy_marks(BODY), 0);
        assert_eq!(copy_marks(&format!("HAMBURG (Wire) — {BODY}")), 1);
        assert_eq!(copy_marks(&format!("NEW YORK, N.Y. - {BODY}")), 1);
        assert_eq!(
            copy_marks(&format!(
                "Updated: 5:15 p.m.\n\n{BODY}\n\nThis story originally appeared on Harbour Daily."
            )),
            2
        );
        assert_eq!(
            copy_marks(&format!("{BODY}\n\nRead the full story at harbour.example")),
            1
        );
    }

    #[test]
    fn ordinary_text_is_not_a_dateline_or_a_footer() {
        assert_eq!(
            copy_marks(
                "In Hamburg — a port city — the strike ended.\n\nIt was first published in 2019, a report said, and then the unions and the port authority met for many long hours over many days to discuss every point of the agreement again and again, line by line, until the last of the disputed clauses on night shifts and overtime was settled."
            ),
            0
        );
    }

    #[test]
    fn the_text_with_fewer_marks_is_the_original() {
        let copy = format!("HAMBURG (Wire) — {BODY}\n\nOriginally published by Harbour Daily.");
        assert_eq!(compare(BODY, &copy), Ordering::Greater);
        assert_eq!(compare(&copy, BODY), Ordering::Less);
        assert_eq!(compare(BODY, BODY), Ordering::Equal);
    }
}
