//! Content fingerprints: the same text on another page.
//!
//! A text is reduced to its *normalised words* (Unicode lower case, runs of
//! letters and digits; punctuation, whitespace and case are forgotten), then:
//!
//! * [`ContentHash`]: XXH3-64 of the normalised words. Catches verbatim
//!   copies under any page chrome, quote style or line wrapping.
//! * a [`Sketch`]: MinHash of the set of 3-word shingles, 24 values of 32
//!   bits, grouped into 12 bands of 2 for LSH lookup in
//!   [`super::index::NearDupIndex`].
//! * [`confirm`]: the real similarity, Jaccard of the two shingle sets, which
//!   decides. The sketch only finds candidates.
//!
//! Why MinHash and not a 64-bit SimHash (measured on the labelled pairs of
//! `tests/dedup_pairs.rs`, report in `tests/fixtures/dedup/pair-report.txt`):
//! a copy with 20 % edits is 11 SimHash bits from its original at the median
//! and 17 at the 97th percentile, while the closest two *distinct* DEV
//! articles are 16 bits apart. No Hamming radius separates them (radius 14
//! finds only 94.8 % of the copies), and no index answers radius 14–17 over
//! a million entries in 10 µs and 100 MB. SimHash flips bits in proportion to
//! the *angle* between shingle vectors, already 27° for a copy that lost 20 %
//! of its text. MinHash agreement is the Jaccard itself: ≥ 0.51 for every
//! copy with ≤ 20 % edits, ≤ 0.12 for every distinct pair, so banded LSH
//! finds every copy while chance candidates stay rare.
//!
//! Why XXH3: fingerprints are stored in SQLite and compared across releases,
//! so the hash must be specified and stable; the standard library's hashers
//! are not promised to be.

use std::fmt;
use std::str::FromStr;

use xxhash_rust::xxh3::xxh3_64;

/// Texts with fewer normalised words are never matched, exactly or nearly:
/// short texts share too much by chance, and identical short texts are as
/// often paywall stubs or "video unavailable" notices of *different*
/// articles as copies of one. (Issue #4: "under ~80 words".)
pub const MIN_MATCH_WORDS: u32 = 80;

/// Words per shingle. On the DEV texts (a prototype of the pair generator
/// with harsher, scattered word edits) 2-word shingles let the closest
/// distinct pair reach Jaccard 0.23 (common phrases), 4 and 5 words drop the
/// least similar 20 %-edited copy to 0.45 and 0.40; 3 words keep 0.11 against
/// 0.52.
pub const SHINGLE_WORDS: usize = 3;

/// LSH bands and rows per band: 12 × 2 = 24 MinHash values. A pair with
/// Jaccard J becomes a candidate with probability 1 − (1 − J²)^12: 0.975 at
/// J = 0.51 (the least similar copy with ≤ 20 % edits), 0.9997 at 0.75; on
/// the pair set all 1,902 such copies were candidates, and distinct pairs
/// are candidates with mean probability 7.7·10⁻⁵ (7.7 chance candidates per
/// 100,000 stored stories, mostly same-topic). Rows = 3 would cut chance
/// candidates ~10× but needs ~3× the bands for the same recall, and 12
/// bands is what fits 1,000,000 stories in 100 MB (see the index).
pub const BANDS: usize = 12;
/// See [`BANDS`].
pub const ROWS: usize = 2;
/// Length of a [`Sketch`].
pub const SKETCH_LEN: usize = BANDS * ROWS;

/// Jaccard of the 3-word shingle sets at and above which two texts are the
/// same story. Chosen on the labelled pairs (`tests/dedup_pairs.rs`): the
/// most similar distinct DEV pair scores 0.117 (two reviews of one show on
/// one blog), a copy against another story 0.121, the same-event pair of
/// `tests/dedup.rs` 0.048; the least similar copy with ≤ 20 % edits 0.514,
/// with 25 % edits 0.500. Every t in [0.15, 0.50] gives 0 false merges and
/// 100 % recall; 0.30 sits mid-way, 2.5× the distinct maximum.
pub const NEAR_DUP_JACCARD: f64 = 0.30;

/// When a candidate's text was purged by retention only its fingerprint is
/// left: the copy is confirmed when at least this many of the 24 MinHash
/// values agree (estimated Jaccard ≥ 0.75). A pair at the distinct DEV
/// maximum (J = 0.12) reaches it with probability < 10⁻¹², a same-topic pair
/// at J = 0.25 with < 10⁻⁶. On the pair set it confirms 99.6 % of the copies
/// with 5 % edits, 94 % at 10 %, 56 % at 20 %: purged stories are still
/// recognised when copied nearly verbatim, never confused.
pub const SKETCH_ONLY_MIN_AGREE: usize = 18;

/// XXH3-64 of the normalised words. Stored as 16 lower-case hex digits
/// (`articles.content_hash`), see [`fmt::Display`] and [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub u64);

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for ContentHash {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(ContentHash)
    }
}

/// MinHash of a text's shingle set: [`SKETCH_LEN`] values, band `b` made of
/// values `ROWS*b .. ROWS*(b+1)`. Stored as a 96-byte BLOB
/// (`articles.minhash`, little-endian u32s), see [`Sketch::to_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sketch(pub [u32; SKETCH_LEN]);

impl Sketch {
    /// The BLOB form: 96 bytes, little-endian.
    pub fn to_bytes(&self) -> [u8; SKETCH_LEN * 4] {
        let mut out = [0u8; SKETCH_LEN * 4];
        for (chunk, v) in out.chunks_exact_mut(4).zip(self.0) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Parses the BLOB form; `None` unless exactly 96 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Sketch> {
        if bytes.len() != SKETCH_LEN * 4 {
            return None;
        }
        let mut v = [0u32; SKETCH_LEN];
        for (slot, chunk) in v.iter_mut().zip(bytes.chunks_exact(4)) {
            *slot = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Some(Sketch(v))
    }

    /// The LSH key of each band: a hash of its [`ROWS`] values and the band
    /// number, so equal values in different bands do not collide.
    pub fn band_keys(&self) -> [u32; BANDS] {
        let mut keys = [0u32; BANDS];
        for (b, key) in keys.iter_mut().enumerate() {
            let mut acc = (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for v in &self.0[b * ROWS..(b + 1) * ROWS] {
                acc = mix64(acc ^ u64::from(*v));
            }
            *key = (acc >> 32) as u32;
        }
        keys
    }

    /// How many of the values agree: an unbiased estimate of
    /// `SKETCH_LEN × Jaccard`.
    pub fn agreement(&self, other: &Sketch) -> usize {
        self.0
            .iter()
            .zip(other.0)
            .filter(|(a, b)| **a == *b)
            .count()
    }
}

/// What the store keeps per article to find its copies later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub content_hash: ContentHash,
    /// Normalised words (`articles.word_count`).
    pub word_count: u32,
    /// `None` for texts under [`MIN_MATCH_WORDS`]: never near-dup matched,
    /// so not indexed (`articles.minhash` is NULL).
    pub sketch: Option<Sketch>,
}

impl Fingerprint {
    /// Fingerprints a text (the extractor's plain text).
    pub fn of(text: &str) -> Fingerprint {
        Profile::of(text).fingerprint
    }

    /// Long enough to be matched at all.
    pub fn is_matchable(&self) -> bool {
        self.word_count >= MIN_MATCH_WORDS
    }
}

/// A text prepared for comparison: its fingerprint and its shingle set.
/// Build it once per new article and compare it with each candidate.
#[derive(Debug, Clone)]
pub struct Profile {
    pub fingerprint: Fingerprint,
    /// Sorted, distinct 64-bit hashes of the 3-word shingles.
    shingles: Vec<u64>,
}

/// How two texts were found to be the same story.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MatchKind {
    /// Same normalised words (content hashes equal).
    Exact,
    /// Shingle Jaccard ≥ [`NEAR_DUP_JACCARD`].
    Near { jaccard: f64 },
    /// Candidate text purged: sketches agree on ≥ [`SKETCH_ONLY_MIN_AGREE`]
    /// of [`SKETCH_LEN`] values.
    Sketch { agreeing: usize },
}

impl Profile {
    pub fn of(text: &str) -> Profile {
        let words = normalized_words(text);
        let mut joined = String::with_capacity(text.len());
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                joined.push(' ');
            }
            joined.push_str(w);
        }
        let content_hash = ContentHash(xxh3_64(joined.as_bytes()));
        let word_count = u32::try_from(words.len()).unwrap_or(u32::MAX);
        let shingles = shingle_hashes(&words);
        let sketch = (word_count >= MIN_MATCH_WORDS).then(|| minhash(&shingles));
        Profile {
            fingerprint: Fingerprint {
                content_hash,
                word_count,
                sketch,
            },
            shingles,
        }
    }

    /// Jaccard similarity of the two shingle sets (0 when both are empty).
    pub fn jaccard(&self, other: &Profile) -> f64 {
        let inter = intersection_len(&self.shingles, &other.shingles);
        let union = self.shingles.len() + other.shingles.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        }
    }

    /// Share of the smaller shingle set found in the larger: reported next to
    /// Jaccard by the pair report; not a merge criterion (a short text quoted
    /// inside a longer different story has containment 1).
    pub fn containment(&self, other: &Profile) -> f64 {
        let inter = intersection_len(&self.shingles, &other.shingles);
        let smaller = self.shingles.len().min(other.shingles.len());
        if smaller == 0 {
            0.0
        } else {
            inter as f64 / smaller as f64
        }
    }

    /// Is `candidate` the same story as `self`? Both must have at least
    /// [`MIN_MATCH_WORDS`] words.
    pub fn confirm(&self, candidate: &Profile) -> Option<MatchKind> {
        if !self.fingerprint.is_matchable() || !candidate.fingerprint.is_matchable() {
            return None;
        }
        if self.fingerprint.content_hash == candidate.fingerprint.content_hash {
            return Some(MatchKind::Exact);
        }
        let jaccard = self.jaccard(candidate);
        (jaccard >= NEAR_DUP_JACCARD).then_some(MatchKind::Near { jaccard })
    }
}

/// Is `candidate_text` the same story as `new_text`? The store's check on
/// each candidate the index returns (see the module docs of
/// [`super`] for the whole procedure). When comparing one new text with
/// several candidates, build its [`Profile`] once and use
/// [`Profile::confirm`].
pub fn confirm(new_text: &str, candidate_text: &str) -> Option<MatchKind> {
    Profile::of(new_text).confirm(&Profile::of(candidate_text))
}

/// The check when the candidate's text was purged by retention and only its
/// stored fingerprint is left: equal content hashes still count; otherwise
/// the sketches must agree on at least [`SKETCH_ONLY_MIN_AGREE`] values,
/// stricter than the text check because 24 samples estimate Jaccard only
/// within ±0.1.
pub fn confirm_fingerprints(new: &Fingerprint, candidate: &Fingerprint) -> Option<MatchKind> {
    if !new.is_matchable() || !candidate.is_matchable() {
        return None;
    }
    if new.content_hash == candidate.content_hash {
        return Some(MatchKind::Exact);
    }
    let agreeing = new.sketch?.agreement(&candidate.sketch?);
    (agreeing >= SKETCH_ONLY_MIN_AGREE).then_some(MatchKind::Sketch { agreeing })
}

/// Unicode lower case runs of alphanumeric characters.
pub fn normalized_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn shingle_hashes(words: &[String]) -> Vec<u64> {
    let word_hashes: Vec<u64> = words.iter().map(|w| xxh3_64(w.as_bytes())).collect();
    let mut out: Vec<u64> = if word_hashes.len() < SHINGLE_WORDS {
        // A text shorter than a shingle is one shingle (or none).
        word_hashes
            .iter()
            .copied()
            .reduce(|acc, h| mix64(acc ^ h))
            .into_iter()
            .collect()
    } else {
        word_hashes
            .windows(SHINGLE_WORDS)
            .map(|w| w.iter().fold(0u64, |acc, h| mix64(acc.rotate_left(21) ^ h)))
            .collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// Per-value seeds of the MinHash family: fixed forever (stored sketches
/// depend on them), drawn from a SplitMix64 sequence.
const SEEDS: [u64; SKETCH_LEN] = {
    let mut seeds = [0u64; SKETCH_LEN];
    let mut state: u64 = 0x5EED_F00D_D0D0_CAFE;
    let mut i = 0;
    while i < SKETCH_LEN {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        seeds[i] = mix64(state);
        i += 1;
    }
    seeds
};

fn minhash(shingles: &[u64]) -> Sketch {
    let mut mins = [u32::MAX; SKETCH_LEN];
    for &s in shingles {
        for (m, seed) in mins.iter_mut().zip(SEEDS) {
            let v = (mix64(s ^ seed) >> 32) as u32;
            if v < *m {
                *m = v;
            }
        }
    }
    Sketch(mins)
}

/// The SplitMix64 / Murmur3 finaliser: a bijection whose output bits each
/// depend on every input bit, turning `x ^ seed` into an independent-looking
/// hash per seed.
const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn intersection_len(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize, salt: &str) -> String {
        (0..n)
            .map(|i| format!("{salt}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn normalisation_ignores_case_space_punctuation() {
        let a = Fingerprint::of("The Mayor said: “We will rebuild.”\n\nIt’s   done.");
        let b = Fingerprint::of("the mayor said we will rebuild it s done");
        assert_eq!(a.content_hash, b.content_hash);
        assert_eq!(a.word_count, 9);
        assert_ne!(
            a.content_hash,
            Fingerprint::of("the mayor said we will rebuild its done").content_hash
        );
    }

    #[test]
    fn short_texts_are_never_matched() {
        let short = words(79, "w");
        let fp = Fingerprint::of(&short);
        assert_eq!((fp.word_count, fp.sketch), (79, None));
        assert_eq!(confirm(&short, &short), None);
        assert_eq!(confirm_fingerprints(&fp, &fp), None);
        let long = words(80, "w");
        assert_eq!(confirm(&long, &long), Some(MatchKind::Exact));
    }

    #[test]
    fn sketch_blob_round_trip() {
        let fp = Fingerprint::of(&words(200, "x"));
        let sketch = fp.sketch.expect("long text has a sketch");
        assert_eq!(Sketch::from_bytes(&sketch.to_bytes()), Some(sketch));
        assert_eq!(Sketch::from_bytes(&[0u8; 95]), None);
        assert_eq!(
            fp.content_hash.to_string().parse::<ContentHash>(),
            Ok(fp.content_hash)
        );
    }

    #[test]
    fn fingerprints_are_stable_across_releases() {
        // Stored fingerprints must keep meaning the same thing: any change
        // to normalisation, shingling or hashing fails here and needs a
        // migration that re-fingerprints stored texts.
        let fp = Fingerprint::of(&words(100, "stable"));
        assert_eq!(fp.content_hash.to_string(), "be243c710167d40a");
        assert_eq!(fp.sketch.map(|s| s.0[0]), Some(102_346_177));
    }

    #[test]
    fn sketch_only_confirmation_is_strict() {
        let base = words(400, "a");
        let lightly = format!("{} extra words here", words(390, "a"));
        let half = format!("{} {}", words(200, "a"), words(200, "b"));
        let (b, l, h) = (
            Fingerprint::of(&base),
            Fingerprint::of(&lightly),
            Fingerprint::of(&half),
        );
        assert!(matches!(
            confirm_fingerprints(&b, &l),
            Some(MatchKind::Sketch { .. })
        ));
        assert_eq!(confirm_fingerprints(&b, &h), None);
    }
}
