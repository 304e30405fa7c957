//! Generated news stories and the ways they are republished, for
//! `tests/syndication.rs`. Every word list and blurb is written here; the
//! stories are drawn from them by a seeded generator, so each seed is a new
//! page set.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const SUBJECTS: &[&str] = &[
    "the city council",
    "the harbour authority",
    "a coalition of tenants",
    "the regional health board",
    "the transport minister",
    "local farmers",
    "the school district",
    "police investigators",
    "the state auditor",
    "union leaders",
    "the university senate",
    "a group of shop owners",
    "the fire brigade",
    "water utility engineers",
    "the planning committee",
    "hospital managers",
    "the county court",
    "residents of the old quarter",
    "the tourism office",
    "environmental campaigners",
    "the mayor's office",
    "bus drivers",
    "the chamber of commerce",
    "a parliamentary committee",
    "railway operators",
    "the local museum",
    "fishermen along the coast",
    "the port's largest employer",
    "volunteers from the food bank",
    "the energy regulator",
];
const VERBS: &[&str] = &[
    "approved",
    "rejected",
    "delayed",
    "questioned",
    "defended",
    "announced",
    "unveiled",
    "criticised",
    "welcomed",
    "postponed",
    "funded",
    "cancelled",
    "reviewed",
    "proposed",
    "challenged",
    "endorsed",
    "scaled back",
    "expanded",
    "abandoned",
    "revived",
];
const ADJECTIVES: &[&str] = &[
    "controversial",
    "long-awaited",
    "costly",
    "modest",
    "ambitious",
    "temporary",
    "revised",
    "second",
    "emergency",
    "three-year",
    "overdue",
    "disputed",
    "experimental",
    "joint",
    "smaller",
    "regional",
];
const NOUNS: &[&str] = &[
    "plan",
    "budget",
    "contract",
    "inquiry",
    "timetable",
    "housing scheme",
    "flood barrier",
    "tax rebate",
    "bridge repair",
    "ferry service",
    "bike lane network",
    "school merger",
    "pension deal",
    "recycling programme",
    "tram extension",
    "rent cap",
    "clinic closure",
    "wind farm",
    "parking levy",
    "library renovation",
];
const PLACES: &[&str] = &[
    "in the northern district",
    "near the old shipyard",
    "along the river",
    "on the east bank",
    "at the central station",
    "in three villages",
    "across the valley",
    "beside the market hall",
    "in the harbour quarter",
    "on the ring road",
    "outside the cathedral",
    "in the western suburbs",
];
const CLAUSES: &[&str] = &[
    "after months of negotiation",
    "despite strong objections",
    "to the surprise of many observers",
    "following a heated public meeting",
    "as costs continued to rise",
    "before the winter season",
    "amid concerns about safety",
    "without a formal vote",
    "under pressure from residents",
    "citing a shortage of staff",
    "after an independent review",
    "ahead of next year's election",
];
const QUOTES: &[&str] = &[
    "We simply cannot wait another year",
    "Nobody asked the people who live here",
    "The numbers do not add up",
    "This is the best chance we have had in a decade",
    "We will keep listening, but the work has to start",
    "It is a fair compromise for everyone",
    "Families are already paying the price",
    "The decision was rushed and badly explained",
    "We have the money and we have the plans",
    "Our members were never consulted",
    "It will take time before anyone sees a difference",
    "I am cautiously optimistic",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Jonas", "Marta", "Felix", "Ingrid", "Tomas", "Leila", "Oskar", "Nadia", "Pieter",
    "Greta", "Samuel", "Ines", "Viktor", "Hanna", "Emil",
];
const LAST_NAMES: &[&str] = &[
    "Lindqvist",
    "Moreau",
    "Kowalski",
    "Brennan",
    "Okafor",
    "Hartmann",
    "Duarte",
    "Novak",
    "Sorensen",
    "Castell",
    "Mbeki",
    "Aaltonen",
    "Ferreira",
    "Jansen",
    "Whitlock",
    "Rahimi",
];
const ROLES: &[&str] = &[
    "a spokesperson for the council",
    "who chairs the residents' association",
    "a local business owner",
    "the project's lead engineer",
    "an economist at the university",
    "a member of the opposition",
    "the union's regional secretary",
    "a retired teacher who lives nearby",
];
const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: &[&str] = &["March", "April", "June", "September", "October", "December"];
const BENEFITS: &[&str] = &[
    "cut waiting times",
    "bring jobs back to the area",
    "make the streets safer",
    "lower bills for households",
    "protect homes from flooding",
    "keep young families in town",
];
const DATELINE_PLACES: &[&str] = &[
    "PORTSMOUTH",
    "KIEL",
    "HALIFAX",
    "GDANSK",
    "AARHUS",
    "BERGEN",
];

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn name(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))
}

fn sentence(rng: &mut Rng) -> String {
    let s = match rng.below(8) {
        0 => format!(
            "{} {} a {} {} {} {}.",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(ADJECTIVES),
            rng.pick(NOUNS),
            rng.pick(PLACES),
            rng.pick(CLAUSES)
        ),
        1 => format!(
            "According to {}, {}, the {} would affect about {} households {}.",
            name(rng),
            rng.pick(ROLES),
            rng.pick(NOUNS),
            40 + rng.below(4000),
            rng.pick(PLACES)
        ),
        2 => format!(
            "\"{},\" said {}, {}.",
            rng.pick(QUOTES),
            name(rng),
            rng.pick(ROLES)
        ),
        3 => format!(
            "{} said the {} {} had been {} {}.",
            rng.pick(SUBJECTS),
            rng.pick(ADJECTIVES),
            rng.pick(NOUNS),
            rng.pick(VERBS),
            rng.pick(CLAUSES)
        ),
        4 => format!(
            "The {} was first discussed in {}, when {} {} a {} {} {}.",
            rng.pick(NOUNS),
            1995 + rng.below(30),
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(ADJECTIVES),
            rng.pick(NOUNS),
            rng.pick(PLACES)
        ),
        5 => format!(
            "Critics argue that the {} is {}, while supporters say it will {}.",
            rng.pick(NOUNS),
            rng.pick(ADJECTIVES),
            rng.pick(BENEFITS)
        ),
        6 => format!(
            "On {}, about {} people gathered {} to discuss the {} {}.",
            rng.pick(WEEKDAYS),
            20 + rng.below(900),
            rng.pick(PLACES),
            rng.pick(ADJECTIVES),
            rng.pick(NOUNS)
        ),
        _ => format!(
            "Officials expect a final decision on the {} by {}, and {} said a further {} million euros may be needed.",
            rng.pick(NOUNS),
            rng.pick(MONTHS),
            rng.pick(SUBJECTS),
            2 + rng.below(90)
        ),
    };
    cap(&s)
}

#[derive(Clone, Debug)]
pub struct Story {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// A story of `paragraphs` paragraphs of 2–3 sentences.
pub fn story(rng: &mut Rng, paragraphs: usize) -> Story {
    let title = cap(&format!(
        "{} {} {} {} {}",
        rng.pick(SUBJECTS),
        rng.pick(VERBS),
        rng.pick(ADJECTIVES),
        rng.pick(NOUNS),
        rng.pick(PLACES)
    ));
    let paragraphs = (0..paragraphs)
        .map(|_| {
            let n = 2 + rng.below(2);
            (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
        })
        .collect();
    Story { title, paragraphs }
}

/// What a wire desk does to a story it republishes.
pub struct Edits<'a> {
    pub dateline: Option<&'a str>,
    pub light_edits: bool,
    pub split_and_merge: bool,
    pub editors_note: bool,
    pub updated_line: bool,
    pub new_headline: bool,
    /// Keep only this share of the paragraphs, then "Read the full story".
    pub truncate: Option<f64>,
    pub footer: Option<&'a str>,
}

pub const NONE: Edits<'static> = Edits {
    dateline: None,
    light_edits: false,
    split_and_merge: false,
    editors_note: false,
    updated_line: false,
    new_headline: false,
    truncate: None,
    footer: None,
};

pub fn republish(rng: &mut Rng, s: &Story, e: &Edits, source_name: &str) -> Story {
    let mut paragraphs = s.paragraphs.clone();
    if let Some(share) = e.truncate {
        let keep = ((paragraphs.len() as f64 * share).ceil() as usize).max(1);
        paragraphs.truncate(keep);
    }
    if e.light_edits {
        for p in paragraphs.iter_mut().skip(1) {
            match rng.below(4) {
                0 => *p = p.replacen(" said ", " told reporters ", 1),
                1 => *p = p.replacen("The ", "This ", 1),
                2 => *p = p.replacen(" about ", " roughly ", 1),
                _ => {}
            }
        }
    }
    if e.split_and_merge && paragraphs.len() > 4 {
        let merged = format!("{} {}", paragraphs[2], paragraphs[3]);
        paragraphs.splice(2..4, [merged]);
        let first = paragraphs[1].clone();
        if let Some((a, b)) = first.split_once(". ") {
            paragraphs.splice(1..2, [format!("{a}."), b.to_string()]);
        }
    }
    if let Some(agency) = e.dateline {
        let place = rng.pick(DATELINE_PLACES);
        paragraphs[0] = format!("{place} ({agency}) — {}", paragraphs[0]);
    }
    if e.editors_note {
        paragraphs.insert(
            0,
            "Editor's note: This story has been updated with a response from the council.".into(),
        );
    }
    if e.updated_line {
        paragraphs.insert(
            0,
            format!("Updated: {}:{:02} p.m.", 1 + rng.below(11), rng.below(60)),
        );
    }
    if e.truncate.is_some() {
        paragraphs.push(format!("Read the full story at {source_name}."));
    }
    if let Some(footer) = e.footer {
        paragraphs.push(footer.replace("{source}", source_name));
    }
    let title = if e.new_headline {
        format!("{}: what happens next", s.title)
    } else {
        s.title.clone()
    };
    Story { title, paragraphs }
}

/// A roundup: its own paragraphs around two paragraphs quoted from `quoted`.
pub fn roundup(rng: &mut Rng, quoted: &Story, source_name: &str) -> Story {
    let own = story(rng, 6);
    let mut paragraphs = own.paragraphs[..3].to_vec();
    paragraphs.push(format!("As {source_name} reported this week:"));
    paragraphs.extend(quoted.paragraphs[1..3].iter().cloned());
    paragraphs.extend(own.paragraphs[3..].iter().cloned());
    Story {
        title: format!("Week in review: {}", own.title),
        paragraphs,
    }
}

/// The house blurbs of the WordPress-like site, ~180 words in all: inside
/// its article body, where the extractor keeps them.
pub const DONATION: &str = "Valley Voice is a nonprofit newsroom that depends on readers like you. We do not put our reporting behind a paywall, because we believe everyone in the valley deserves to know what is decided in their name. If you value this story, please consider a monthly gift of any size; every contribution is matched this month by our partners, and it pays for the reporters who sit through the meetings so you do not have to.";
pub const BIO: &str = "Marit Ostrowski covers local government and housing for Valley Voice. Before joining the newsroom she spent eight years at a regional daily, and she still believes the most important story of the week is usually buried on page forty of a council agenda. You can reach her by email or through our tip line.";
pub const REPUBLISH: &str = "Republish this story for free under our Creative Commons licence: keep the byline, link back to Valley Voice, do not edit the text except for style and length, and include the tracking pixel found in the sharing panel of this page.";

pub const FOOTERS: &[&str] = &[
    "This story originally appeared on {source} and is republished with permission.",
    "This article was first published by {source}.",
];
