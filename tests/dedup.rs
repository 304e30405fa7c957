//! Dedup stage end to end on plain data: a syndicated copy is confirmed, two
//! reports of the same event stay apart, short texts never match, the index
//! survives a rebuild from stored rows, and a small in-memory writer applies
//! the verdicts as `src/dedup/mod.rs` tells the store to.

use std::collections::BTreeMap;

use feedsift::dedup::canonical::{resolve_page_canonical, url_key};
use feedsift::dedup::fingerprint::{
    Fingerprint, MatchKind, NEAR_DUP_JACCARD, Profile, Sketch, confirm,
};
use feedsift::dedup::index::{DEFAULT_WINDOW_SECS, NearDupIndex};
use feedsift::dedup::origin;
use feedsift::dedup::root::{Placement, StoredMatch, place};
use url::Url;

const HOUR: i64 = 3600;

/// Two reports of the same event by different outlets: same place, same
/// numbers, the same quote from the same official, but each written by its
/// own reporter. They must never merge.
const FLOOD_A: &str = "Heavy rain overnight sent the Arno River over its banks in the northern suburbs of Pisa on Tuesday, forcing the evacuation of about 1,200 residents and closing the main rail line to Florence for most of the day.

Firefighters used inflatable boats to reach families trapped on upper floors in the San Giusto district, where water rose more than a metre within two hours. No deaths were reported, but regional officials said four people were treated in hospital for hypothermia.

\"We have never seen the river rise this fast in October,\" said Mayor Michele Conti, who asked residents to stay away from the embankments until engineers could inspect them.

The regional civil protection agency had issued an orange alert on Monday evening. Meteorologists said a slow-moving low-pressure system had dumped 180 millimetres of rain on the hills east of the city in less than a day, more than the average for the whole month.

Train operator Trenitalia said services between Pisa and Florence would resume on Wednesday morning once the tracks near Cascina had been cleared of mud and debris. Schools in the affected districts will stay closed until Thursday.";

const FLOOD_B: &str = "Residents of Pisa spent Tuesday bailing out basements and shops after the Arno burst its banks, the worst flooding the Tuscan city has seen in more than a decade.

Some 1,200 people were moved to sports halls and hotels as the water spread through San Giusto and neighbouring streets near the airport. Shopkeepers said they had only minutes to lift stock off the floor before brown water poured through their doors.

\"We have never seen the river rise this fast in October,\" said Mayor Michele Conti, standing on a bridge beside rescue crews.

Critics said the city had been slow to clear the drainage channels that feed the river, a complaint that has resurfaced after every major storm since 2011. The regional government promised an inquiry and emergency funds for families whose homes were damaged.

Farmers in the valley reported losing much of the late harvest, and the national farmers' association estimated damage to crops at several million euros. Rail traffic to Florence was suspended for most of the day, and forecasters warned that more rain was expected at the weekend.";

/// A newsroom-style republication of `FLOOD_A`: dateline, leftover page
/// chrome, one paragraph dropped, an "Updated" line.
fn syndicated_copy_of_a() -> String {
    let paras: Vec<&str> = FLOOD_A.split("\n\n").collect();
    format!(
        "Skip to main content\n\nPISA, Italy (Harbor Ledger) — {}\n\nAdvertisement\n\n{}\n\n{}\n\nShare this article\n\n{}\n\nSign up for our newsletter\n\nUpdated: Oct. 15, 2024 at 6:10 p.m. CET\n\n© 2024 Harbor Ledger. All rights reserved.",
        paras[0], paras[1], paras[2], paras[4]
    )
}

#[test]
fn syndicated_copy_is_confirmed() {
    let copy = syndicated_copy_of_a();
    assert!(matches!(confirm(&copy, FLOOD_A), Some(MatchKind::Near { jaccard }) if jaccard > 0.6));
    let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
    index.insert(1, &Fingerprint::of(FLOOD_A), 0);
    index.insert(2, &Fingerprint::of(FLOOD_B), 0);
    let candidates: Vec<i64> = index
        .candidates(&Fingerprint::of(&copy))
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(candidates, vec![1]);
}

#[test]
fn same_event_different_reports_stay_apart() {
    assert_eq!(confirm(FLOOD_A, FLOOD_B), None);
    assert_eq!(confirm(&syndicated_copy_of_a(), FLOOD_B), None);
    // 0.048 (containment 0.094): the shared quote and facts are a few
    // shingles; the copy of A scores 0.61 against A.
    let jaccard = Profile::of(FLOOD_A).jaccard(&Profile::of(FLOOD_B));
    assert!(
        jaccard < NEAR_DUP_JACCARD / 3.0,
        "same-event Jaccard {jaccard}"
    );
}

#[test]
fn verbatim_copy_under_other_chrome_is_exact() {
    let reflowed = FLOOD_A
        .replace("\n\n", " ")
        .replace('"', "“")
        .to_uppercase();
    assert_eq!(confirm(&reflowed, FLOOD_A), Some(MatchKind::Exact));
    assert_eq!(
        Fingerprint::of(&reflowed).content_hash,
        Fingerprint::of(FLOOD_A).content_hash
    );
}

#[test]
fn short_texts_never_match() {
    let brief = "Heavy rain sent the Arno River over its banks in Pisa on Tuesday, forcing about 1,200 residents from their homes. No deaths were reported.";
    let fp = Fingerprint::of(brief);
    assert!(fp.sketch.is_none() && !fp.is_matchable());
    assert_eq!(confirm(brief, brief), None);
    let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
    assert!(!index.insert(1, &fp, 0));
    assert!(index.candidates(&fp).is_empty());
}

#[test]
fn rebuild_from_stored_rows_still_finds_a_copy() {
    // What the store writes: the sketch as a BLOB; what it reads back at
    // start-up: (id, blob, time).
    let stored: Vec<(i64, Vec<u8>, i64)> = [(10, FLOOD_A, 5 * HOUR), (11, FLOOD_B, 6 * HOUR)]
        .iter()
        .map(|(id, text, t)| {
            (
                *id,
                Fingerprint::of(text)
                    .sketch
                    .expect("long text")
                    .to_bytes()
                    .to_vec(),
                *t,
            )
        })
        .collect();
    let rows = stored
        .iter()
        .filter_map(|(id, blob, t)| Sketch::from_bytes(blob).map(|s| (*id, s, *t)));
    let index = NearDupIndex::rebuild(DEFAULT_WINDOW_SECS, 7 * HOUR, rows);
    let found: Vec<i64> = index
        .candidates(&Fingerprint::of(&syndicated_copy_of_a()))
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(found, vec![10]);
    // Rows outside the window are not loaded.
    let rows = stored
        .iter()
        .filter_map(|(id, blob, t)| Sketch::from_bytes(blob).map(|s| (*id, s, *t)));
    let later = NearDupIndex::rebuild(DEFAULT_WINDOW_SECS, 31 * 24 * HOUR, rows);
    assert!(later.is_empty());
}

/// The writer's procedure from `src/dedup/mod.rs`, in memory.
#[derive(Default)]
struct Store {
    rows: BTreeMap<i64, Row>,
    next_id: i64,
}

struct Row {
    key: String,
    text: String,
    published: i64,
    duplicate_of: Option<i64>,
    sources: Vec<String>,
}

impl Store {
    fn ingest(&mut self, index: &mut NearDupIndex, entry: &str, text: &str, published: i64) -> i64 {
        let url = Url::parse(entry).expect("test URL");
        let c = resolve_page_canonical(&url, &url, None);
        if let Some((&id, row)) = self.rows.iter_mut().find(|(_, r)| r.key == c.key) {
            row.sources.push(entry.to_owned());
            return id;
        }
        let profile = Profile::of(text);
        let best = index
            .candidates(&profile.fingerprint)
            .iter()
            .filter_map(|cand| {
                let row = self.rows.get(&cand.id)?;
                let score = match profile.confirm(&Profile::of(&row.text))? {
                    MatchKind::Near { jaccard } => jaccard,
                    MatchKind::Contained { containment } => containment,
                    _ => 1.0,
                };
                Some((
                    score,
                    StoredMatch {
                        id: cand.id,
                        duplicate_of: row.duplicate_of,
                    },
                ))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        self.next_id += 1;
        let id = self.next_id;
        let mut duplicate_of = None;
        if let Some((_, m)) = best {
            let root_published = self.rows.get(&m.root()).map(|r| r.published);
            let content = self
                .rows
                .get(&m.root())
                .map_or(std::cmp::Ordering::Equal, |r| {
                    origin::compare(text, &r.text)
                });
            match place(Some(published), m.root(), root_published, false, content) {
                Placement::CopyOf { root } => duplicate_of = Some(root),
                Placement::RootOver { old_root } => {
                    for (rid, row) in self.rows.iter_mut() {
                        if *rid == old_root || row.duplicate_of == Some(old_root) {
                            row.duplicate_of = Some(id);
                        }
                    }
                }
            }
        }
        let row = Row {
            key: c.key,
            text: text.to_owned(),
            published,
            duplicate_of,
            sources: vec![entry.to_owned()],
        };
        self.rows.insert(id, row);
        index.insert(id, &profile.fingerprint, published);
        id
    }

    fn assert_no_chains(&self) {
        for row in self.rows.values() {
            if let Some(root) = row.duplicate_of {
                assert_eq!(self.rows[&root].duplicate_of, None, "chain through {root}");
            }
        }
    }
}

#[test]
fn writer_procedure_roots_copies_and_repoints() {
    let mut index = NearDupIndex::new(DEFAULT_WINDOW_SECS);
    let mut store = Store::default();
    // The same page via three feeds, with tracking parameters and http/https.
    let a = store.ingest(
        &mut index,
        "https://news.example/2024/10/15/arno-floods-pisa?utm_source=rss",
        FLOOD_A,
        10 * HOUR,
    );
    let a2 = store.ingest(
        &mut index,
        "http://news.example/2024/10/15/arno-floods-pisa?fbclid=x#top",
        FLOOD_A,
        10 * HOUR,
    );
    let a3 = store.ingest(
        &mut index,
        "https://www.news.example/2024/10/15/arno-floods-pisa",
        FLOOD_A,
        10 * HOUR,
    );
    assert_eq!((a2, a3), (a, a));
    assert_eq!(store.rows[&a].sources.len(), 3);
    assert_eq!(
        url_key(&Url::parse("https://news.example/2024/10/15/arno-floods-pisa").expect("url")),
        store.rows[&a].key
    );

    // A syndicated copy, published later, then an unrelated same-event story.
    let copy = store.ingest(
        &mut index,
        "https://ledger.example/world/pisa-flood-1",
        &syndicated_copy_of_a(),
        14 * HOUR,
    );
    let b = store.ingest(
        &mut index,
        "https://other.example/pisa-cleanup",
        FLOOD_B,
        12 * HOUR,
    );
    assert_eq!(store.rows[&copy].duplicate_of, Some(a));
    assert_eq!(store.rows[&b].duplicate_of, None);

    // The wire original arrives last but was published first: it becomes
    // the root, the old root and its copy are re-pointed, no chain.
    let wire = format!("{FLOOD_A}\n\nReporting by the wire desk.");
    let w = store.ingest(
        &mut index,
        "https://wire.example/a/arno-river-floods",
        &wire,
        8 * HOUR,
    );
    assert_eq!(store.rows[&w].duplicate_of, None);
    assert_eq!(store.rows[&a].duplicate_of, Some(w));
    assert_eq!(store.rows[&copy].duplicate_of, Some(w));
    store.assert_no_chains();
}
