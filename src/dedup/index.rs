//! The near-duplicate index: MinHash LSH over the stories of the window.
//!
//! [`super::stories::Stories`] (the store's writer owns it) holds one
//! [`NearDupIndex`]. It is rebuilt from
//! `(id, minhash, timestamp)` rows at start-up ([`NearDupIndex::rebuild`]),
//! fed each new article ([`NearDupIndex::insert`]) and asked for candidates
//! ([`NearDupIndex::candidates`]), which the decision then confirms on the texts
//! (see [`super::fingerprint::confirm`]).
//!
//! Layout: each of the 50 bands is a sorted posting list in CSR form — a directory of 2¹⁶ offsets
//! addressed by the top 16 bits of the band key, then per posting the low 16
//! key bits (`u16`) and the record slot (`u32`). That is 6 bytes per posting,
//! 300 bytes per story plus 12 bytes for its id and timestamp (issue 15 grew
//! the bands from 12 to 50 for candidate recall, see
//! [`super::fingerprint::BANDS`]; `benches/dedup.rs` prints the memory at
//! 1 M stories). A lookup reads 50 directory entries and scans 50 buckets of
//! ~15 postings (1 M / 65,536).
//!
//! CSR arrays cannot grow, so new stories go to a small hash-map *delta*;
//! when it reaches [`DELTA_MAX_RECORDS`] (or expired stories pile up) the
//! index is compacted: the posting lists are re-sorted without expired or
//! superseded records. Compaction and rebuild are the same sort, ~0.3 s for
//! a million stories, so the writer pays it once per 16,384 inserts.
//!
//! An article re-fingerprinted after re-extraction is simply inserted again:
//! its old postings may still return its id as a candidate until the next
//! compaction drops them, which is harmless because the decision confirms every
//! candidate against the current text.

use std::collections::HashMap;

use super::fingerprint::{BANDS, Fingerprint, Sketch};

/// Default candidate window: stories of the last 30 days (issue #4), the
/// same default as `dedup_window_days` in feeds.toml.
pub const DEFAULT_WINDOW_SECS: i64 = 30 * 24 * 3600;

/// New stories held in the hash-map delta before a compaction: bounds the
/// delta to ~4 MB while keeping compaction (~0.3 s at 1 M stories) to once
/// per 16,384 inserts, ~20 µs amortised per insert.
pub const DELTA_MAX_RECORDS: usize = 16_384;

const DIR_BITS: u32 = 16;
const NO_SLOT: u32 = u32::MAX;

/// One band's postings in CSR form: postings whose key has top bits `d` are
/// `lo[offsets[d]..offsets[d + 1]]` / `slots[...]`, sorted by key.
#[derive(Debug, Default)]
struct Band {
    offsets: Vec<u32>,
    lo: Vec<u16>,
    slots: Vec<u32>,
}

impl Band {
    /// Builds from `(key << 32) | slot` postings (sorted here). An empty
    /// band holds no directory: 50 directories of 256 KB would be 13 MB
    /// for an index that is all delta (under [`DELTA_MAX_RECORDS`] stories).
    fn from_postings(mut postings: Vec<u64>) -> Band {
        if postings.is_empty() {
            return Band::default();
        }
        postings.sort_unstable();
        let mut offsets = vec![0u32; (1usize << DIR_BITS) + 1];
        for p in &postings {
            offsets[(p >> (32 + DIR_BITS)) as usize + 1] += 1;
        }
        for d in 1..offsets.len() {
            offsets[d] += offsets[d - 1];
        }
        Band {
            offsets,
            lo: postings.iter().map(|p| (p >> 32) as u16).collect(),
            slots: postings.iter().map(|p| *p as u32).collect(),
        }
    }

    fn bucket(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let d = (key >> DIR_BITS) as usize;
        let (start, end) = match (self.offsets.get(d), self.offsets.get(d + 1)) {
            (Some(s), Some(e)) => (*s as usize, *e as usize),
            _ => (0, 0),
        };
        let lo = key as u16;
        self.lo[start..end]
            .iter()
            .zip(&self.slots[start..end])
            .filter(move |(l, _)| **l == lo)
            .map(|(_, s)| *s)
    }

    fn postings(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.offsets.windows(2).enumerate().flat_map(move |(d, w)| {
            (w[0] as usize..w[1] as usize).map(move |i| {
                (
                    ((d as u32) << DIR_BITS) | u32::from(self.lo[i]),
                    self.slots[i],
                )
            })
        })
    }

    fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4 + self.lo.capacity() * 2 + self.slots.capacity() * 4
    }
}

/// A candidate story for a new text: confirm it before marking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    /// LSH bands in which the sketches agree (1..=12): a rough similarity
    /// to try the most promising candidates first.
    pub bands: u32,
}

/// MinHash-LSH index of the stories in the window. Pure in-memory state:
/// time is passed in, nothing is read or written elsewhere.
#[derive(Debug)]
pub struct NearDupIndex {
    window_secs: i64,
    /// Records at or after this instant are live; earlier ones are expired.
    cutoff: i64,
    ids: Vec<i64>,
    /// Unix seconds, clamped to `u32` (1970–2106): 4 MB less per million
    /// stories than `i64`, and the window only compares them.
    times: Vec<u32>,
    bands: Vec<Band>,
    /// Slots below this are in `bands`; the rest are in the delta.
    compacted: u32,
    /// `(band << 32) | key` → newest delta slot with that key.
    delta_heads: HashMap<u64, u32>,
    /// Per delta record and band: the next older delta slot with the same key.
    delta_next: Vec<[u32; BANDS]>,
}

impl NearDupIndex {
    /// An empty index whose candidates come from `window_secs` before the
    /// latest `now` given to [`NearDupIndex::expire`].
    pub fn new(window_secs: i64) -> NearDupIndex {
        NearDupIndex {
            window_secs: window_secs.max(0),
            cutoff: i64::MIN,
            ids: Vec::new(),
            times: Vec::new(),
            bands: (0..BANDS)
                .map(|_| Band::from_postings(Vec::new()))
                .collect(),
            compacted: 0,
            delta_heads: HashMap::new(),
            delta_next: Vec::new(),
        }
    }

    /// Rebuilds from stored rows `(article id, minhash sketch, timestamp in
    /// Unix seconds)`, e.g. `SELECT id, minhash, fetched_at FROM articles
    /// WHERE minhash IS NOT NULL AND fetched_at >= :cutoff`. Rows before
    /// `now - window` are skipped; order does not matter.
    pub fn rebuild(
        window_secs: i64,
        now: i64,
        rows: impl IntoIterator<Item = (i64, Sketch, i64)>,
    ) -> NearDupIndex {
        let mut index = NearDupIndex::new(window_secs);
        index.cutoff = now.saturating_sub(index.window_secs);
        let rows = rows.into_iter();
        let expected = rows.size_hint().0;
        index.ids.reserve_exact(expected);
        index.times.reserve_exact(expected);
        let mut keys: Vec<Vec<u32>> = (0..BANDS).map(|_| Vec::with_capacity(expected)).collect();
        for (id, sketch, time) in rows {
            if time < index.cutoff || index.ids.len() >= NO_SLOT as usize {
                continue;
            }
            index.ids.push(id);
            index.times.push(stored_time(time));
            for (band, key) in keys.iter_mut().zip(sketch.band_keys()) {
                band.push(key);
            }
        }
        index.ids.shrink_to_fit();
        index.times.shrink_to_fit();
        for (b, band_keys) in keys.iter_mut().enumerate() {
            let postings = std::mem::take(band_keys)
                .into_iter()
                .enumerate()
                .map(|(slot, k)| (u64::from(k) << 32) | slot as u64)
                .collect();
            index.bands[b] = Band::from_postings(postings);
        }
        index.compacted = index.ids.len() as u32;
        index
    }

    /// Adds a story. Texts without a sketch (under the minimum length) and
    /// stories already outside the window are not indexed; returns whether
    /// it was.
    pub fn insert(&mut self, id: i64, fingerprint: &Fingerprint, time: i64) -> bool {
        let Some(sketch) = fingerprint.sketch else {
            return false;
        };
        if time < self.cutoff || self.ids.len() >= (NO_SLOT - 1) as usize {
            return false;
        }
        let slot = self.ids.len() as u32;
        self.ids.push(id);
        self.times.push(stored_time(time));
        let mut next = [NO_SLOT; BANDS];
        for (b, key) in sketch.band_keys().into_iter().enumerate() {
            if let Some(older) = self.delta_heads.insert(delta_key(b, key), slot) {
                next[b] = older;
            }
        }
        self.delta_next.push(next);
        if self.delta_next.len() >= DELTA_MAX_RECORDS {
            self.compact();
        }
        true
    }

    /// Ids of stored stories that may be copies of `fingerprint`, most
    /// promising first; each id once. Empty for texts without a sketch.
    pub fn candidates(&self, fingerprint: &Fingerprint) -> Vec<Candidate> {
        let Some(sketch) = fingerprint.sketch else {
            return Vec::new();
        };
        let mut found: Vec<Candidate> = Vec::new();
        let mut add = |slot: u32| {
            let s = slot as usize;
            let (Some(&id), Some(&time)) = (self.ids.get(s), self.times.get(s)) else {
                return;
            };
            if i64::from(time) < self.cutoff {
                return;
            }
            match found.iter_mut().find(|c| c.id == id) {
                Some(c) => c.bands += 1,
                None => found.push(Candidate { id, bands: 1 }),
            }
        };
        for (b, key) in sketch.band_keys().into_iter().enumerate() {
            self.bands[b].bucket(key).for_each(&mut add);
            let mut slot = self
                .delta_heads
                .get(&delta_key(b, key))
                .copied()
                .unwrap_or(NO_SLOT);
            while slot != NO_SLOT {
                add(slot);
                slot = self.delta_next_slot(slot, b);
            }
        }
        // A re-fingerprinted story can match in the same band under its old
        // and new sketch; counting it twice there is harmless for ordering.
        found.sort_by(|a, b| b.bands.cmp(&a.bands).then(a.id.cmp(&b.id)));
        found
    }

    /// Moves the window to end at `now`: older stories stop being
    /// candidates at once and are dropped from memory at the next
    /// compaction, which runs here when they are an eighth of the index.
    pub fn expire(&mut self, now: i64) {
        self.cutoff = self.cutoff.max(now.saturating_sub(self.window_secs));
        let expired = self
            .times
            .iter()
            .filter(|t| i64::from(**t) < self.cutoff)
            .count();
        if expired > 0 && expired >= self.ids.len() / 8 {
            self.compact();
        }
    }

    /// Live stories (in the window), counting a re-inserted id once per
    /// insertion until the next compaction.
    pub fn len(&self) -> usize {
        self.times
            .iter()
            .filter(|t| i64::from(**t) >= self.cutoff)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of heap the index holds (capacities, not lengths), for the
    /// memory budget.
    pub fn heap_bytes(&self) -> usize {
        let delta_map = self.delta_heads.capacity() * (std::mem::size_of::<(u64, u32)>() + 1);
        self.ids.capacity() * 8
            + self.times.capacity() * 4
            + self.bands.iter().map(Band::heap_bytes).sum::<usize>()
            + self.bands.capacity() * std::mem::size_of::<Band>()
            + delta_map
            + self.delta_next.capacity() * std::mem::size_of::<[u32; BANDS]>()
    }

    /// The next older delta slot sharing `slot`'s key in band `b`.
    fn delta_next_slot(&self, slot: u32, b: usize) -> u32 {
        slot.checked_sub(self.compacted)
            .and_then(|d| self.delta_next.get(d as usize))
            .map_or(NO_SLOT, |next| next[b])
    }

    /// Re-sorts all postings into the CSR bands, dropping expired records
    /// and records superseded by a later insert of the same id.
    fn compact(&mut self) {
        let n = self.ids.len();
        // Newest slot per id wins: sort slots by (id, slot) and keep the last.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by_key(|&s| (self.ids[s as usize], s));
        let mut keep = vec![false; n];
        for (i, &s) in order.iter().enumerate() {
            let newest = order
                .get(i + 1)
                .is_none_or(|&next| self.ids[next as usize] != self.ids[s as usize]);
            keep[s as usize] = newest && i64::from(self.times[s as usize]) >= self.cutoff;
        }
        drop(order);
        let mut remap = vec![NO_SLOT; n];
        let mut live = 0u32;
        for (slot, k) in keep.iter().enumerate() {
            if *k {
                remap[slot] = live;
                live += 1;
            }
        }
        drop(keep);
        // Delta postings per band, gathered from the hash map before the
        // records move.
        let mut delta_postings: Vec<Vec<(u32, u32)>> = vec![Vec::new(); BANDS];
        for (&dk, &head) in &self.delta_heads {
            let (b, key) = ((dk >> 32) as usize, dk as u32);
            let mut slot = head;
            while slot != NO_SLOT {
                delta_postings[b].push((key, slot));
                slot = self.delta_next_slot(slot, b);
            }
        }
        for (b, delta) in delta_postings.into_iter().enumerate() {
            let postings: Vec<u64> = self.bands[b]
                .postings()
                .chain(delta)
                .filter_map(|(key, slot)| {
                    let new = remap[slot as usize];
                    (new != NO_SLOT).then_some((u64::from(key) << 32) | u64::from(new))
                })
                .collect();
            self.bands[b] = Band::from_postings(postings);
        }
        let mut slot = 0;
        self.ids.retain(|_| {
            slot += 1;
            remap[slot - 1] != NO_SLOT
        });
        let mut slot = 0;
        self.times.retain(|_| {
            slot += 1;
            remap[slot - 1] != NO_SLOT
        });
        self.ids.shrink_to_fit();
        self.times.shrink_to_fit();
        self.compacted = live;
        self.delta_heads = HashMap::new();
        self.delta_next = Vec::new();
    }
}

fn stored_time(time: i64) -> u32 {
    u32::try_from(time.max(0)).unwrap_or(u32::MAX)
}

fn delta_key(band: usize, key: u32) -> u64 {
    ((band as u64) << 32) | u64::from(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(salt: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("{salt}{}", i % 997))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn ids(c: Vec<Candidate>) -> Vec<i64> {
        c.into_iter().map(|c| c.id).collect()
    }

    #[test]
    fn finds_a_copy_in_delta_and_after_compaction() {
        let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
        let original = Fingerprint::of(&text("a", 300));
        let copy = Fingerprint::of(&format!("PARIS (Wire) — {} Updated: today", text("a", 290)));
        let other = Fingerprint::of(&text("b", 300));
        assert!(index.insert(1, &original, 1_000));
        assert!(index.insert(2, &other, 1_000));
        assert_eq!(ids(index.candidates(&copy)), vec![1]);
        index.compact();
        assert_eq!(ids(index.candidates(&copy)), vec![1]);
        assert!(index.insert(3, &original, 2_000));
        assert_eq!(ids(index.candidates(&copy)), vec![1, 3]);
    }

    #[test]
    fn short_texts_are_not_indexed() {
        let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
        let short = Fingerprint::of(&text("s", 50));
        assert!(!index.insert(1, &short, 0));
        assert!(index.candidates(&short).is_empty());
    }

    #[test]
    fn window_expiry() {
        let day = 24 * 3600;
        let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
        let fp = Fingerprint::of(&text("a", 300));
        index.insert(1, &fp, 0);
        index.insert(2, &fp, 20 * day);
        index.expire(31 * day);
        assert_eq!(ids(index.candidates(&fp)), vec![2]);
        assert_eq!(index.len(), 1);
        assert!(!index.insert(3, &fp, 0), "already outside the window");
        index.expire(60 * day);
        assert!(index.is_empty());
        assert!(index.candidates(&fp).is_empty());
    }

    #[test]
    fn reinsert_supersedes_after_compaction() {
        let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
        let old = Fingerprint::of(&text("a", 300));
        let new = Fingerprint::of(&text("c", 300));
        index.insert(7, &old, 0);
        index.insert(7, &new, 1);
        index.compact();
        assert!(index.candidates(&old).is_empty());
        assert_eq!(ids(index.candidates(&new)), vec![7]);
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn rebuild_matches_incremental() {
        let fps: Vec<Fingerprint> = (0..40)
            .map(|i| Fingerprint::of(&text(&format!("t{i}x"), 200)))
            .collect();
        let rows = fps
            .iter()
            .enumerate()
            .map(|(i, f)| (i as i64, f.sketch.expect("sketch"), 100));
        let rebuilt = NearDupIndex::rebuild(DEFAULT_WINDOW_SECS, 100, rows);
        let mut incremental = NearDupIndex::new(DEFAULT_WINDOW_SECS);
        for (i, f) in fps.iter().enumerate() {
            incremental.insert(i as i64, f, 100);
        }
        for (i, f) in fps.iter().enumerate() {
            assert_eq!(ids(rebuilt.candidates(f)), vec![i as i64]);
            assert_eq!(rebuilt.candidates(f), incremental.candidates(f));
        }
    }
}
