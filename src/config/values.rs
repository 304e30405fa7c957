//! Checks of single values, shared by the tables of feeds.toml: each
//! reports what is wrong with a value and gives a usable one back, so that
//! checking goes on and every problem of the file is reported at once.

use std::time::Duration;

use toml::Spanned;

use super::error::Problems;
use super::{format_duration, parse_duration};

/// A duration of at least `min`; the default when absent or invalid.
pub(super) fn duration(
    value: Option<&Spanned<String>>,
    default: Duration,
    min: Duration,
    name: &str,
    problems: &mut Problems,
) -> Duration {
    let Some(value) = value else {
        return default;
    };
    match parse_duration(value.get_ref()) {
        Ok(d) if d >= min => d,
        Ok(_) => {
            problems.at(
                value.span(),
                format!("{name} must be at least {}", format_duration(min)),
            );
            default
        }
        Err(m) => {
            problems.at(value.span(), m);
            default
        }
    }
}

pub(super) fn count(
    value: Option<&Spanned<i64>>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    name: &str,
    problems: &mut Problems,
) -> u64 {
    let Some(value) = value else {
        return default;
    };
    let n = *value.get_ref();
    match u64::try_from(n) {
        Ok(n) if range.contains(&n) => n,
        _ => {
            problems.at(
                value.span(),
                format!(
                    "{name} must be between {} and {}, not {n}",
                    range.start(),
                    range.end()
                ),
            );
            default
        }
    }
}

pub(super) fn non_empty(
    value: Option<Spanned<String>>,
    name: &str,
    problems: &mut Problems,
) -> Option<String> {
    let value = value?;
    if value.get_ref().trim().is_empty() {
        problems.at(value.span(), format!("{name} must not be empty"));
        return None;
    }
    Some(value.into_inner())
}
