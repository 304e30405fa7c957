//! A small fake news site for the pipeline tests: four stories written for
//! these tests (fiction, no third-party text), rendered as full pages with
//! the usual boilerplate around them, and feeds in all three formats.

pub struct Story {
    pub slug: &'static str,
    pub title: &'static str,
    pub paragraphs: &'static [&'static str],
}

pub const STORIES: &[Story] = &[
    Story {
        slug: "harbour-cranes-return",
        title: "Harbour cranes return to work after two-week stoppage",
        paragraphs: &[
            "The three container cranes at the northern quay moved again on Tuesday morning, ending a stoppage that had left eleven ships waiting in the outer anchorage.",
            "Port officials said the electrical fault that halted the cranes had been traced to a flooded junction box beneath the quay, damaged during the storm surge at the start of the month.",
            "Shipping agents estimated that the delay cost operators more than four million in demurrage charges, a figure the port authority did not dispute.",
            "\"We replaced the cabling and raised every junction box above the new flood line,\" said the harbour master, Ilse Brandt. \"It should not happen again.\"",
            "The backlog is expected to clear by the weekend, when two additional night shifts will be added to the roster.",
        ],
    },
    Story {
        slug: "library-opens-seed-bank",
        title: "Village library opens a seed bank beside its book loans",
        paragraphs: &[
            "Borrowers at the Elm Street library can now take home packets of tomato, bean and marigold seeds along with their novels, under a scheme launched by two retired teachers.",
            "The seed bank lives in an old card catalogue, its drawers relabelled by season. Gardeners are asked to return a handful of seeds from their harvest so that the collection renews itself.",
            "More than three hundred packets left the shelves in the first week, according to the head librarian, who said the drawers had drawn people who had not visited in years.",
            "Local growers have offered to run workshops on saving seed from heritage varieties during the spring.",
        ],
    },
    Story {
        slug: "night-trains-timetable",
        title: "Night train timetable expanded to six cities from March",
        paragraphs: &[
            "The regional rail operator will add three overnight routes in March, bringing the number of cities served by sleeper trains to six.",
            "Each train will carry two sleeping cars and a couchette car, with seats sold up to ninety days ahead. Fares start at the price of a standard day ticket.",
            "Passenger groups welcomed the plan but warned that the ageing rolling stock needs replacing within five years if the service is to last.",
            "The operator said new carriages had been ordered and would enter service in stages from the following winter.",
            "Tickets for the first departures go on sale next Monday.",
        ],
    },
    Story {
        slug: "river-cleanup-record",
        title: "Volunteers pull a record haul of litter from the river",
        paragraphs: &[
            "Four hundred volunteers spent Saturday wading the shallows of the river, filling more than nine hundred sacks with plastic, glass and scrap metal.",
            "Among the finds were two shopping trolleys, a rowing boat without oars and a safe that turned out to be empty.",
            "Organisers said the total was the largest in the twelve years the clean-up has run, partly because low water levels exposed banks that are usually submerged.",
            "The council has agreed to fund extra bins along the towpath after the event.",
        ],
    },
];

/// Words that only appear in page boilerplate, never in a story.
pub const BOILERPLATE: &[&str] = &[
    "Share on Facebook",
    "Related stories",
    "All rights reserved",
    "Sign up for our newsletter",
    "Most read",
];

impl Story {
    pub fn text(&self) -> String {
        self.paragraphs.join("\n\n")
    }

    pub fn page(&self, canonical: &str) -> String {
        let body: String = self
            .paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>\n", html_escape(p)))
            .collect();
        format!(
            r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} | The Test Herald</title>
<link rel="canonical" href="{canonical}">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2026-11-20T08:30:00Z">
</head><body>
<header><a href="/">The Test Herald</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li><li><a href="/culture">Culture</a></li></ul></nav></header>
<main>
<article>
<h1>{title}</h1>
<p class="byline">By Morgan Reed, Staff Reporter</p>
<div class="share"><a href="/share/fb">Share on Facebook</a> <a href="/share/tw">Share on X</a></div>
<div class="story-body">
{body}</div>
<div class="newsletter"><p>Sign up for our newsletter</p><form><input type="email"><button>Subscribe</button></form></div>
</article>
<aside class="related"><h2>Related stories</h2><ul>
<li><a href="/a">Council approves budget for new bridge</a></li>
<li><a href="/b">Weather service warns of early frost</a></li>
<li><a href="/c">Museum reopens its maritime wing</a></li></ul></aside>
<aside class="most-read"><h2>Most read</h2><ol><li><a href="/d">Ferry timetable changes for winter</a></li><li><a href="/e">School wins robotics prize</a></li></ol></aside>
</main>
<footer><p>&copy; 2026 The Test Herald. All rights reserved.</p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>"#,
            title = html_escape(self.title),
        )
    }

    /// A one-sentence teaser, as feeds that want the click carry.
    pub fn teaser(&self) -> String {
        self.paragraphs[0]
            .split(". ")
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An RSS 2.0 feed listing `(guid, link, story)`.
pub fn rss(items: &[(&str, &str, &Story)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, link, s)| {
            format!(
                "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{guid}</guid>\
                 <pubDate>Fri, 20 Nov 2026 08:30:00 GMT</pubDate><description>{}</description></item>\n",
                html_escape(s.title),
                html_escape(link),
                html_escape(&s.teaser())
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>The Test Herald</title>\
         <link>http://herald.test/</link><description>News</description>\n{items}</channel></rss>\n"
    )
}

/// An Atom 1.0 feed listing `(id, link, story)`.
pub fn atom(items: &[(&str, &str, &Story)]) -> String {
    let entries: String = items
        .iter()
        .map(|(id, link, s)| {
            format!(
                "<entry><title>{}</title><id>{id}</id><link rel=\"alternate\" href=\"{}\"/>\
                 <updated>2026-11-20T08:30:00Z</updated><summary>{}</summary></entry>\n",
                html_escape(s.title),
                html_escape(link),
                html_escape(&s.teaser())
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Atom Test Wire</title><id>urn:test:atom</id><updated>2026-11-20T08:30:00Z</updated>\n{entries}</feed>\n"
    )
}

/// A JSON Feed 1.1 listing `(id, url, story)`.
pub fn json_feed(items: &[(&str, &str, &Story)]) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, url, s)| {
            serde_json::json!({
                "id": id, "url": url, "title": s.title,
                "summary": s.teaser(), "content_text": s.teaser(),
                "date_published": "2026-11-20T08:30:00Z"
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON Test Daily",
        "items": items
    })
    .to_string()
}

/// The story as a wire copy on another site: a dateline, the first
/// paragraphs only, an "Updated" line, and that site's own page chrome.
pub fn syndicated_page(story: &Story, outlet: &str) -> String {
    let mut paragraphs: Vec<String> = story.paragraphs.iter().map(|p| p.to_string()).collect();
    paragraphs[0] = format!("BREMEN ({outlet}) — {}", paragraphs[0]);
    paragraphs.pop();
    paragraphs.push("Updated: Nov. 20, 2026, 11:02 a.m.".to_string());
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", html_escape(p)))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>{title} - {outlet}</title></head><body>
<div class="cookie-banner">We use cookies. <button>Accept all</button></div>
<header><nav><a href="/">Home</a> <a href="/local">Local</a> <a href="/national">National</a></nav></header>
<div class="trending">Trending: <a href="/x">Storm warnings</a> <a href="/y">Transit strike</a></div>
<main><article><h1>{title}</h1><div class="article-text">
{body}</div></article>
<section class="popular"><h3>Most popular</h3><ol><li><a href="/p1">Mayor unveils budget</a></li><li><a href="/p2">Ferry timetable</a></li></ol></section>
</main><footer>{outlet} · Contact · Advertise</footer></body></html>"#,
        title = html_escape(story.title),
    )
}
