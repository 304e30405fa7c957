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

/// LSH bands and rows per band: 50 × 2 = 100 MinHash values, chosen from
/// the S-curve so that the index proposes ≥ 99 % of the pairs the decision
/// can accept. A pair with Jaccard J becomes a candidate with probability
/// 1 − (1 − J²)^50: 0.991 at J = 0.30 ([`NEAR_DUP_JACCARD`], and also the
/// floor of a pair accepted by containment, see [`MIN_CONTAINED_SHARE`]),
/// 0.9985 at 0.35, 0.9998 at 0.40. The former 12 × 2 proposed only 0.68 of
/// the pairs at 0.30 and 0.97 at 0.50: the index decided before the
/// threshold did (issue 15: 5 of 7 missed copies were never candidates).
/// Rows = 3 would need 168 bands for the same recall at 0.30; rows = 1 makes
/// every pair sharing one common phrase a candidate. The price: 50 postings
/// per story instead of 12 (`benches/dedup.rs` gives memory and lookup
/// time), and ~4× the chance candidates of a same-topic pair (J = 0.05:
/// 0.12 instead of 0.03), each confirmed on its text.
pub const BANDS: usize = 50;
/// See [`BANDS`].
pub const ROWS: usize = 2;
/// Length of a [`Sketch`].
pub const SKETCH_LEN: usize = BANDS * ROWS;
/// Length of a stored sketch (`articles.minhash`).
pub const SKETCH_BYTES: usize = SKETCH_LEN * 4;

/// Jaccard of the 3-word shingle sets at and above which two texts are the
/// same story. Chosen on the labelled pairs (`tests/dedup_pairs.rs`): the
/// most similar distinct DEV pair scores 0.117 (two reviews of one show on
/// one blog), a copy against another story 0.121, the same-event pair of
/// `tests/dedup.rs` 0.048; the least similar copy with ≤ 20 % edits 0.514,
/// with 25 % edits 0.500. Every t in [0.15, 0.50] gives 0 false merges and
/// 100 % recall; 0.30 sits mid-way, 2.5× the distinct maximum.
pub const NEAR_DUP_JACCARD: f64 = 0.30;

/// A truncated copy (the first 50–70 % of the paragraphs, then "Read the
/// full story at …") loses Jaccard with its length while nearly all of it
/// is still found in the original: it is a copy when at least this share of
/// the smaller shingle set is in the larger one, and the smaller is at least
/// [`MIN_CONTAINED_SHARE`] of the larger. A 50 % prefix with a dateline, a
/// footer and light edits keeps 0.85–0.95 in `tests/syndication.rs`;
/// a roundup quoting two paragraphs of a story stays under 0.40.
pub const MIN_CONTAINMENT: f64 = 0.80;

/// The smaller text must hold at least this share of the larger's shingles
/// for containment to count: a short brief quoted whole inside a long
/// different story has containment 1 but a share of ~0.2. With
/// [`MIN_CONTAINMENT`] it puts the Jaccard of any pair accepted by
/// containment at ≥ 0.8·0.4 / (1 + 0.2·0.4) = 0.296, the recall floor the
/// LSH banding is chosen for ([`BANDS`]).
pub const MIN_CONTAINED_SHARE: f64 = 0.40;

/// When a candidate's text was purged by retention only its fingerprint is
/// left: the copy is confirmed when at least this many of the 100 MinHash
/// values agree (estimated Jaccard ≥ 0.75, the share of the former 18 of
/// 24). A same-topic pair at J = 0.25 reaches it with probability < 10⁻²⁰;
/// a copy at J = 0.85 with 0.99.
pub const SKETCH_ONLY_MIN_AGREE: usize = 75;

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
/// values `ROWS*b .. ROWS*(b+1)`. Stored as a 400-byte BLOB
/// (`articles.minhash`, little-endian u32s), see [`Sketch::to_bytes`]. The
/// first 24 values are those of the 96-byte sketches stored before
/// (same seeds): [`crate::store::stories::load`] re-fingerprints such rows
/// from their text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sketch(pub [u32; SKETCH_LEN]);

impl Sketch {
    /// The BLOB form: 400 bytes, little-endian.
    pub fn to_bytes(&self) -> [u8; SKETCH_BYTES] {
        let mut out = [0u8; SKETCH_BYTES];
        for (chunk, v) in out.chunks_exact_mut(4).zip(self.0) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Parses the BLOB form; `None` unless exactly [`SKETCH_BYTES`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Sketch> {
        if bytes.len() != SKETCH_BYTES {
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
    /// The smaller text is contained in the larger (a truncated copy):
    /// containment ≥ [`MIN_CONTAINMENT`], size share ≥
    /// [`MIN_CONTAINED_SHARE`].
    Contained { containment: f64 },
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

    /// Share of the smaller shingle set found in the larger. Alone it is not
    /// a merge criterion (a short text quoted inside a longer different
    /// story has containment 1): see [`MIN_CONTAINED_SHARE`].
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
        self.resembles(candidate)
    }

    /// The similarity rules of [`Profile::confirm`] without the minimum
    /// length: also used on the parts of two pages of one site that they do
    /// not share verbatim ([`super::site_blocks`]).
    pub fn resembles(&self, other: &Profile) -> Option<MatchKind> {
        let inter = intersection_len(&self.shingles, &other.shingles);
        let (a, b) = (self.shingles.len(), other.shingles.len());
        let (smaller, larger) = (a.min(b), a.max(b));
        if smaller == 0 {
            return None;
        }
        let jaccard = inter as f64 / (a + b - inter) as f64;
        if jaccard >= NEAR_DUP_JACCARD {
            return Some(MatchKind::Near { jaccard });
        }
        let containment = inter as f64 / smaller as f64;
        let share = smaller as f64 / larger as f64;
        (containment >= MIN_CONTAINMENT && share >= MIN_CONTAINED_SHARE)
            .then_some(MatchKind::Contained { containment })
    }

    /// Number of distinct shingles.
    pub fn shingle_count(&self) -> usize {
        self.shingles.len()
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
/// stricter than the text check because 100 samples estimate Jaccard only
/// within ±0.05.
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
