//! Which copy of a story is its root, as pure decisions the store applies.
//!
//! Invariant the store keeps: `duplicate_of` is NULL (a root) or the id of a
//! root — never of a copy — so readers follow at most one hop and the
//! `stories` view (`duplicate_of IS NULL`) lists each story once.
//!
//! The root is the *original*: the earliest published copy, when publication
//! times say so clearly; else the one whose text lacks the marks a
//! republisher adds ([`super::origin`]); else the first stored. Arrival order alone would
//! often pick the syndicated copy, because feeds are polled in whatever
//! order and a wire copy can be fetched before the original.

/// A later-stored copy replaces the current root only when its publication
/// time is earlier by more than this: publication times are often rounded,
/// in a wrong time zone or missing, and a swap re-points every copy. One
/// hour is below the 2-hour minimum gap between an original and its
/// republished copy in the newsroom simulation and above rounding noise.
pub const ROOT_PUBLISHED_SLACK_SECS: i64 = 3600;

use std::cmp::Ordering;

const DAY_SECS: i64 = 86_400;

/// A time at exactly midnight UTC is almost always a date without a time
/// (a date in the URL, a `<time>` with only a day): it only says the page
/// appeared some time that day, so it needs a day more of slack.
fn slack_for(t: i64) -> i64 {
    if t.rem_euclid(DAY_SECS) == 0 {
        DAY_SECS + ROOT_PUBLISHED_SLACK_SECS
    } else {
        ROOT_PUBLISHED_SLACK_SECS
    }
}

/// The stored story a new article was matched to, as the lookup found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredMatch {
    /// The matched row (a root or a copy).
    pub id: i64,
    /// Its `duplicate_of`.
    pub duplicate_of: Option<i64>,
}

impl StoredMatch {
    /// The root of the matched row's story: one hop, as the invariant
    /// guarantees.
    pub fn root(&self) -> i64 {
        self.duplicate_of.unwrap_or(self.id)
    }
}

/// Where a new article goes relative to the story it matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Store it with `duplicate_of = root`.
    CopyOf { root: i64 },
    /// It is the original: store it with `duplicate_of = NULL`, then in the
    /// same transaction re-point the old root and all its copies to it:
    /// `UPDATE articles SET duplicate_of = :new WHERE id = :old_root OR
    /// duplicate_of = :old_root`.
    RootOver { old_root: i64 },
}

/// Decides the placement of a new article matched (by content, or by its
/// cross-site canonical) to a story whose root was published at
/// `root_published`. `syndication_signal` is true when the page itself
/// declared the matched article's URL as its canonical: the page says it is
/// the copy, and dates do not overrule that. `content` is
/// [`super::origin::compare`] of the new text with the root's: it decides
/// only when the dates are missing or not clearly apart.
pub fn place(
    new_published: Option<i64>,
    root: i64,
    root_published: Option<i64>,
    syndication_signal: bool,
    content: Ordering,
) -> Placement {
    let apart = |a: i64, b: i64| a < b.saturating_sub(slack_for(a).max(slack_for(b)));
    let new_is_original = match (new_published, root_published) {
        (Some(new), Some(old)) if apart(new, old) => true,
        (Some(new), Some(old)) if apart(old, new) => false,
        _ => content == Ordering::Greater,
    };
    if new_is_original && !syndication_signal {
        Placement::RootOver { old_root: root }
    } else {
        Placement::CopyOf { root }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    #[test]
    fn a_date_without_a_time_does_not_overrule_a_precise_one_on_the_same_day() {
        let precise = 20_000 * DAY_SECS + 8 * H + 30 * 60; // 08:30 on some day
        let same_day = 20_000 * DAY_SECS; // that day, no time
        assert_eq!(
            place(Some(same_day), 1, Some(precise), false, Ordering::Equal),
            Placement::CopyOf { root: 1 }
        );
        let days_before = 19_998 * DAY_SECS;
        assert_eq!(
            place(Some(days_before), 1, Some(precise), false, Ordering::Equal),
            Placement::RootOver { old_root: 1 }
        );
    }

    #[test]
    fn on_the_same_day_the_text_without_copy_marks_is_the_original() {
        let midnight = 20_000 * DAY_SECS;
        let afternoon = midnight + 17 * H + 15 * 60;
        // Stored first: the copy of 17:15; then the original dated only by
        // its day. The dates cannot tell, the texts can.
        assert_eq!(
            place(Some(midnight), 1, Some(afternoon), false, Ordering::Greater),
            Placement::RootOver { old_root: 1 }
        );
        assert_eq!(
            place(Some(afternoon), 1, Some(midnight), false, Ordering::Less),
            Placement::CopyOf { root: 1 }
        );
        // Dates clearly apart overrule the texts.
        assert_eq!(
            place(
                Some(midnight + 3 * DAY_SECS),
                1,
                Some(midnight),
                false,
                Ordering::Greater
            ),
            Placement::CopyOf { root: 1 }
        );
    }

    #[test]
    fn later_copy_points_to_the_root_never_to_a_copy() {
        let copy = StoredMatch {
            id: 9,
            duplicate_of: Some(4),
        };
        assert_eq!(copy.root(), 4);
        assert_eq!(
            place(
                Some(10 * H),
                copy.root(),
                Some(5 * H),
                false,
                Ordering::Equal
            ),
            Placement::CopyOf { root: 4 }
        );
        assert_eq!(
            place(None, 4, Some(5 * H), false, Ordering::Equal),
            Placement::CopyOf { root: 4 }
        );
        assert_eq!(
            place(Some(5 * H), 4, None, false, Ordering::Equal),
            Placement::CopyOf { root: 4 }
        );
    }

    #[test]
    fn earlier_original_stored_later_becomes_root() {
        assert_eq!(
            place(Some(2 * H), 4, Some(6 * H), false, Ordering::Equal),
            Placement::RootOver { old_root: 4 }
        );
        // Within the slack: the first stored stays.
        assert_eq!(
            place(Some(5 * H + 1), 4, Some(6 * H), false, Ordering::Equal),
            Placement::CopyOf { root: 4 }
        );
        // The page says it is the copy.
        assert_eq!(
            place(Some(2 * H), 4, Some(6 * H), true, Ordering::Equal),
            Placement::CopyOf { root: 4 }
        );
    }
}
