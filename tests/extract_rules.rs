//! One test per extraction rule family, on small pages written for the
//! purpose in the shapes the rules are about (blog platforms, video posts,
//! link round-ups, comment threads, other languages, recipes, teaser lists).
//! Each page also carries the boilerplate the rule must not let back in.

use feedsift::extract::{ExtractStatus, PageContext, extract};

fn text_of(html: &str) -> String {
    let got = extract(html, &PageContext::default());
    assert_eq!(got.status, ExtractStatus::Ok, "no article in:\n{html}");
    got.text
}

/// A blog page: header with navigation, `main` around the post, a sidebar
/// with widgets, a footer.
fn blog_page(post: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>A small blog</title></head><body>\
         <div id=header><h1 class=site-title><a href=/>A small blog</a></h1>\
         <ul class=menu><li><a href=/>Home</a></li><li><a href=/about/>About</a></li></ul></div>\
         <div id=wrap><div id=main class=col-left>{post}</div>\
         <div id=sidebar class=widget-area><h3>Archives</h3><ul>\
         <li><a href=/2012/10/>October 2012</a></li><li><a href=/2012/09/>September 2012</a></li></ul>\
         <h3>Blogroll</h3><ul><li><a href=http://one.example/>One friend's weblog</a></li>\
         <li><a href=http://two.example/>Another friend's weblog</a></li></ul></div></div>\
         <div id=footer><p>Powered by a blogging platform. Theme by somebody.</p></div>\
         </body></html>"
    )
}

fn assert_has(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "missing {n:?} in:\n{text}");
    }
}

fn assert_lacks(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(!text.contains(n), "kept {n:?} in:\n{text}");
    }
}

/// Cleaning may shrink the chosen article, never empty it: a video post
/// (two embeds, no commas) and a link round-up (mostly link text) are the
/// article although the conditional clean reads them as widgets.
#[test]
fn cleaning_never_removes_the_article_itself() {
    let video_post = blog_page(
        "<div class=post-wrap><h2>Two clips from the harbour festival</h2>\
         <div class=post-inner><p>The first clip shows the boats coming in at dawn while the band plays on the pier</p>\
         <iframe src=https://video.example/embed/1></iframe>\
         <p>The second one is the fireworks seen from the old lighthouse at midnight</p>\
         <iframe src=https://video.example/embed/2></iframe>\
         <p>Both were filmed with a phone held by a very patient friend of ours</p></div>\
         <div class=sharepost><a href=https://social.example/share>Share</a></div></div>",
    );
    let text = text_of(&video_post);
    assert_has(
        &text,
        &[
            "The first clip shows the boats",
            "fireworks seen from the old lighthouse",
            "a very patient friend",
        ],
    );
    assert_lacks(&text, &["October 2012", "Powered by"]);

    let links: String = (1..=8)
        .map(|i| {
            format!(
                "<p><a href=https://site{i}.example/story>A long and well written piece number {i} on city planning</a> \
                 from site {i}.</p>"
            )
        })
        .collect();
    let roundup = blog_page(&format!(
        "<div class=entry><h2>Weekend reading</h2>{links}</div>"
    ));
    let text = text_of(&roundup);
    assert_has(
        &text,
        &[
            "A long and well written piece number 1 on city planning",
            "piece number 8 on city planning",
        ],
    );
    assert_lacks(&text, &["Another friend's weblog"]);
}

/// The page's own declaration of its body wins: here the article sits in
/// a share-widget wrapper (a boilerplate name) and next to it a boxed
/// promotion of a white paper reads as the better candidate by the vote.
#[test]
fn declared_article_body_wins_over_the_vote() {
    let paragraphs: String = [
        "The council met on Tuesday evening to settle the question of the harbour lights.",
        "Residents had asked for warmer lamps, fewer of them, and none pointing at the water.",
        "The engineers said the old poles could carry the new fittings without any digging.",
        "A vote is expected next month, after a trial on the eastern quay during the winter.",
    ]
    .iter()
    .map(|p| format!("<p>{p}</p>"))
    .collect();
    let html = format!(
        "<html><body><div id=top><a href=/>Home</a> <a href=/news>News</a></div>\
         <div class=layout><div class=share_wrapper><div class=share_tools><a href=/s>Share</a></div>\
         <div class=story><h1>Harbour lights</h1><div itemprop=articleBody>{paragraphs}</div></div></div>\
         <div class=right-col><div class=resources-text>\
         <p>Free white paper, 40 pages, with charts, tables, checklists, and a buyer's guide, for you.</p>\
         <p>Download it now, read it later, share it with your team, your boss, and your friends.</p>\
         <p>No signup, no spam, no catch, just a form with your name, e-mail, phone, and company.</p>\
         </div></div></div></body></html>"
    );
    let text = text_of(&html);
    assert_has(
        &text,
        &["The council met on Tuesday", "a trial on the eastern quay"],
    );
    assert_lacks(&text, &["white paper", "No signup"]);

    // The same with a body class instead of microdata, and a lead set in a
    // <div> just before the body.
    let html = html
        .replace("share_wrapper", "wrapper")
        .replace(
            "<div itemprop=articleBody>",
            "<div class=summary>Warmer lamps and fewer of them: the council will vote next month on the harbour lights.</div>\
             <div class=\"entry-content clearfix\">",
        );
    let text = text_of(&html);
    assert_has(
        &text,
        &[
            "Warmer lamps and fewer of them",
            "The council met on Tuesday",
            "a trial on the eastern quay",
        ],
    );
    assert_lacks(&text, &["white paper"]);
}

/// Reader comments are never the article and never part of its text, even
/// when the thread outweighs the post: written as plain siblings after a
/// "Comments" heading (older blog engines), as a named list (WordPress),
/// or under a heading that only says so, in another language.
#[test]
fn comment_threads_are_not_the_article() {
    let post = "<h2>Knitting in the heat</h2>\
        <p>It is still far too warm for wool, but the holiday list will not knit itself.</p>\
        <p>So the plan is small things first: two hats, a cowl, and the mittens for my sister.</p>\
        <p class=posted>Posted by the author at 9:01 AM</p>";
    let comment_texts: Vec<String> = (1..=8)
        .map(|i| {
            format!(
                "Reader {i} here, and I completely agree with you, it has been a long, hot, sticky summer, \
                 and my needles have been idle since June, so I am only starting on the list now."
            )
        })
        .collect();

    let siblings: String = comment_texts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<div id=c{i}><p>{c}</p></div><p class=posted>Posted by: Reader {i} at 11:40 AM</p>"
            )
        })
        .collect();
    let engine = blog_page(&format!(
        "<div class=blogbody>{post}<h2 id=comments>Comments</h2>{siblings}\
         <h2>Post a comment</h2><p>Name:</p></div>"
    ));
    let list: String = comment_texts
        .iter()
        .map(|c| {
            format!(
                "<li class=\"comment even depth-1\"><div class=comment-body><p>{c}</p></div></li>"
            )
        })
        .collect();
    let wordpress = blog_page(&format!(
        "<div class=blogbody>{post}</div><ol class=commentlist>{list}</ol>"
    ));
    let worded: String = comment_texts
        .iter()
        .map(|c| format!("<div class=entry><p>{c}</p></div>"))
        .collect();
    let german = blog_page(&format!(
        "<div class=blogbody>{post}<div class=box><h3>8 Kommentare</h3></div>{worded}</div>"
    ));
    for page in [engine, wordpress, german] {
        let text = text_of(&page);
        assert_has(
            &text,
            &["far too warm for wool", "the mittens for my sister"],
        );
        assert_lacks(&text, &["Reader 1 here", "Reader 8 here", "my needles"]);
    }
}

/// The lead (standfirst) is article text although the page sets it apart:
/// inside the article's `<header>` with the headline, byline and date, or
/// in its own block before the body. The header's other lines stay out.
#[test]
fn the_lead_is_kept_with_the_body() {
    let body: String = [
        "The tunnel under the river was opened in 1911 and has been closed to cars since the war.",
        "Engineers found the brick lining in good order, but the lifts need a complete overhaul.",
        "Work will start in the spring and the tunnel should reopen to walkers the following year.",
        "Until then a ferry will run every twenty minutes from the old pier, free of charge.",
        "The council will pay for the ferry from the money set aside for the repairs.",
        "A public meeting about the works is planned for the first week of April.",
    ]
    .iter()
    .map(|p| format!("<p>{p}</p>"))
    .collect();
    let lead = "The old foot tunnel will close for two years of repairs, the city said on Monday, \
                after a survey of its lifts and of the spiral stairs at both ends.";
    let in_header = format!(
        "<html><body><nav><a href=/>Home</a></nav><main><article>\
         <header><span class=kicker>City</span><h1>Foot tunnel to close</h1>\
         <p class=intro>{lead}</p><p class=byline>By Sam Writer</p><time>12 March 2024</time></header>\
         <div class=article-body>{body}</div></article>\
         <aside><h3>Most read</h3><ul><li><a href=/a>Another story</a></li></ul></aside></main></body></html>"
    );
    let in_block = format!(
        "<html><body><nav><a href=/>Home</a></nav><div class=news-single><div class=article>\
         <h1>Foot tunnel to close</h1><div class=row><div class=col><div class=teaser><p>{lead}</p></div></div></div>\
         <div class=news-text>{body}</div></div></div></body></html>"
    );
    // A standfirst set as a subheading, the body deep inside layout
    // columns.
    let in_named_header = format!(
        "<html><body><nav><a href=/>Home</a></nav><div class=page><article class=story>\
         <header><h1>Foot tunnel to close</h1><h2 class=excerpt>{lead}</h2>\
         <p class=byline>By Sam Writer</p></header>\
         <div class=layout><div class=row><div class=col-8><div class=col-inner>\
         <div class=article-body>{body}</div></div></div></div></div></article>\
         <aside><h3>Most read</h3><ul><li><a href=/a>Another story</a></li></ul></aside></div></body></html>"
    );
    for page in [in_header, in_block, in_named_header] {
        let text = text_of(&page);
        assert_has(
            &text,
            &[
                "The old foot tunnel will close for two years",
                "opened in 1911",
                "reopen to walkers",
            ],
        );
        assert!(
            text.find("The old foot tunnel") < text.find("opened in 1911"),
            "lead after body:\n{text}"
        );
        assert_lacks(&text, &["By Sam Writer", "12 March 2024", "Another story"]);
    }
}

/// Lists and tables that carry the article stay, even with some links in
/// them (ingredients linked to a glossary, a schedule with venue links, a
/// round-up of other sites' pieces); a list of teasers for the site's own
/// articles goes, by its structure alone: short items, each led by a link
/// to an article-like address on the same host. No wording is involved,
/// so the heading can say anything in any language.
#[test]
fn content_lists_stay_and_teaser_lists_go() {
    let html = r#"<html><head><link rel=canonical href="https://kitchen.example/2024/03/spring-pea-risotto"></head><body>
        <nav><a href=/>Home</a> <a href=/recipes/>Recipes</a></nav>
        <article><h1>Spring pea risotto</h1>
        <p>This risotto is the first green thing we cook every spring, and it takes half an hour at most.</p>
        <h2>Ingredients</h2><ul>
        <li>300 g <a href="/glossary/arborio">arborio rice</a>, not rinsed</li>
        <li>1 litre hot vegetable stock, kept at a simmer</li>
        <li>200 g fresh peas, or frozen ones thawed in a sieve</li>
        <li>1 small onion, chopped fine, and a knob of butter</li></ul>
        <h2>Method</h2><ol>
        <li>Soften the onion in the butter over a low heat for ten minutes.</li>
        <li>Stir in the rice until every grain is coated and glossy.</li>
        <li>Add the stock a ladle at a time, stirring, until the rice is just tender.</li>
        <li>Fold in the peas for the last three minutes and season to taste.</li></ol>
        <h2>Cookery classes this spring</h2>
        <table><tr><th>Date</th><th>Venue</th></tr>
        <tr><td>12 April, evening class for beginners</td><td><a href="https://hall.example/">Town hall</a></td></tr>
        <tr><td>26 April, risotto and other rice dishes</td><td>Market kitchen on the square</td></tr></table>
        <p>Other cooks have written well about rice:</p><ul>
        <li><a href="https://one.example/2023/why-risotto-needs-no-stirring">Why risotto needs no stirring</a>, a skeptic tests the old rule</li>
        <li><a href="https://two.example/rice/carnaroli-or-arborio">Carnaroli or arborio?</a> A long comparison, with tables</li>
        <li><a href="https://three.example/p/12345">The stock matters most</a>, from a chef's notebook</li></ul>
        <h3>Weiterlesen</h3><ul>
        <li>Weeknight dinners <a href="/2024/03/five-suppers-from-one-pan">five suppers from one pan</a> (12 March)</li>
        <li>For the freezer <a href="/2024/02/batch-cooking-stock">batch-cooked stock</a> in an afternoon</li>
        <li>Slow Sundays <a href="/2024/02/slow-braised-beans">braised beans with sage</a> and bread</li>
        <li>Quick lunches <a href="/2024/01/twelve-minute-noodles">twelve-minute noodles</a> for one</li></ul>
        </article></body></html>"#;
    let text = text_of(html);
    assert_has(
        &text,
        &[
            "300 g arborio rice, not rinsed",
            "Fold in the peas for the last three minutes",
            "12 April, evening class for beginners | Town hall",
            "Why risotto needs no stirring, a skeptic tests the old rule",
            "The stock matters most, from a chef's notebook",
        ],
    );
    assert_lacks(
        &text,
        &[
            "five suppers from one pan",
            "batch-cooked stock",
            "braised beans with sage",
            "twelve-minute noodles",
        ],
    );
}

/// Chinese and Japanese are written without spaces: their paragraphs are
/// short in characters and one "word" long when split at spaces. Counted
/// in language-neutral units, a post of short Chinese paragraphs still
/// outweighs an English box of the same page, and a linked Chinese
/// sentence is prose, not a teaser headline.
#[test]
fn cjk_text_is_counted_without_spaces() {
    let html = "<html><body><div id=top><a href=/>首页</a> <a href=/blog/>博客</a></div>\
        <div class=wrap><div class=col-a>\
        <h2>周末去山里看红叶</h2>\
        <p>这个周末我们一早出发，开车两个小时到了山脚下。</p>\
        <p>山上的枫叶已经红了一大半，路边到处是拍照的人。</p>\
        <p>中午在农家吃了炖鸡和野菜，价格也很公道。</p>\
        <p>下午我们沿着小溪走到瀑布，水比夏天的时候小了很多。</p>\
        <p>孩子们在石头上跳来跳去，一点也不觉得累。</p>\
        <p>我们在半山腰的小亭子里休息，喝了自己带的热茶。</p>\
        <p>有一位老人在那里卖柿子，又甜又便宜，我们买了一大袋。</p>\
        <p>下山的时候天快黑了，<a href=\"/2023/10/shan-li-de-lu\">回城的路比来的时候还要堵</a>。</p>\
        </div><div class=col-b><div class=about-box>\
        <p>About this blog: a family from the city, out on weekends.</p>\
        </div></div></div></body></html>";
    let text = text_of(html);
    assert_has(
        &text,
        &[
            "这个周末我们一早出发",
            "中午在农家吃了炖鸡和野菜",
            "回城的路比来的时候还要堵",
        ],
    );
    assert_lacks(&text, &["About this blog"]);
}

/// A name that promises text (`box-text`, `module-content`) is believed
/// only as far as the element's text backs it: a two-line shop notice in
/// the sidebar must not outscore a short post in its `entry-content`.
#[test]
fn a_content_name_does_not_outweigh_the_text() {
    let archive: String = (1..=12)
        .map(|m| format!("<li><a href=/2012/{m:02}/>Month {m} of 2012</a></li>"))
        .collect();
    let html = format!(
        "<html><body><div id=top><a href=/>Home</a> <a href=/crafts/>Crafts</a></div>\
         <div class=wrap><div class=col-a><h2>Pressed leaves</h2>\
         <div class=entry-content><p>We pressed the red maple leaves from the garden between \
         two sheets of wax paper, and they kept their colour all winter long.</p></div></div>\
         <div class=col-b><div class=box-text><p>Our shop sells paper, glue and paint for all ages.</p>\
         <p>Open every day but Sunday, from nine to five.</p></div>\
         <ul class=archive>{archive}</ul></div></div></body></html>"
    );
    let text = text_of(&html);
    assert_has(&text, &["We pressed the red maple leaves"]);
    assert_lacks(&text, &["Our shop sells paper", "Open every day"]);
}

/// A BEM modifier says how a block is styled, not what it is: a review
/// part modified `--ads` (it has ad slots between its paragraphs) is still
/// the review, while the ad slot inside it goes.
#[test]
fn a_style_modifier_does_not_name_the_block() {
    let html = "<html><body><main><article class=review><h1>A bicycle lamp on test</h1>\
         <section class=review__part><p>We rode with the lamp for a month, on country lanes, \
         in city traffic and on a forest track after dark.</p>\
         <p>The beam is bright and even, although the edges fade quickly, so the verge is hard \
         to see on bends.</p></section>\
         <section class=\"review__part review__part--ads\"><p>The battery lasted four evenings \
         of riding between charges, and a full charge took about three hours.</p>\
         <div class=ad-slot>Anzeige: lamps and helmets at low prices this week</div></section>\
         <section class=review__part><p>Mounting takes a minute, since the rubber strap fits any \
         handlebar and holds the lamp firmly on cobblestones.</p>\
         <p>In short: a reliable lamp for commuters, with a long battery life and a fair price, \
         if you ride mostly on lit roads.</p></section></article></main></body></html>";
    let text = text_of(html);
    assert_has(&text, &["The battery lasted four evenings", "In short"]);
    assert_lacks(&text, &["lamps and helmets"]);
}

/// The article's `<header>` goes but for its lead; a `<header>` inside a
/// list item heads that item (an accordion's question) and stays.
#[test]
fn a_list_item_header_is_not_the_article_header() {
    let html = "<html><body><div class=article-body><header><h1>Your library card</h1>\
         <p class=byline>By Jane Doe</p></header>\
         <p>A library card lets you borrow books, films and games from every branch in the city, \
         and it costs nothing for residents of any age.</p><ul class=faq>\
         <li><header><h3>Who can get a card?</h3></header><div><p>Anyone who lives, works or \
         studies in the city can register at a desk with a photo ID, and children need a \
         parent's signature on the form.</p></div></li>\
         <li><header><h3>How many books can I borrow at once?</h3></header><div><p>You can take \
         up to twenty items at a time, for three weeks each, and renew them online twice unless \
         someone else has reserved them.</p></div></li></ul>\
         <p>Lost cards are replaced for a small fee at any branch, and the items on the old card \
         move over to the new one the same day.</p></div></body></html>";
    let text = text_of(html);
    assert_has(
        &text,
        &[
            "Who can get a card?",
            "How many books can I borrow at once?",
            "Lost cards are replaced",
        ],
    );
    assert_lacks(&text, &["By Jane Doe"]);
}

/// A layer over the page (here an out-of-date-browser notice, longer and
/// with more commas than the short news item) is not the article.
#[test]
fn an_overlay_is_not_the_article() {
    let html = "<html><body><div id=browser-overlay><div class=wrapper>\
         <h1>Please update your browser</h1><p>This site works best in a recent browser. The \
         version you are using is old, it misses security updates, and several parts of these \
         pages, such as maps, forms and videos, will not show correctly in it.</p>\
         <p>Please update your browser, or install another one, and reload the page. Until then, \
         some buttons may do nothing, and pictures may load slowly, or not at all.</p></div></div>\
         <section class=news><h1>Bridge closed for repairs</h1><p>The old stone bridge over the \
         river will be closed to cars for two weeks in May, because cracks were found in two of \
         its arches.</p><p>Cyclists and walkers can still cross on the footpath.</p>\
         <p>A bus will run every twenty minutes to the other bank while the work goes on.</p>\
         </section></body></html>";
    let text = text_of(html);
    assert_has(&text, &["old stone bridge", "A bus will run"]);
    assert_lacks(&text, &["recent browser", "reload the page"]);
}

/// Captions are side notes and go, unless they carry the post: in a slide
/// show the words sit under the pictures.
#[test]
fn a_gallery_keeps_its_captions() {
    let slide = |n: u32, caption: &str| {
        format!(
            "<figure class=slide><img src=/img/{n}.jpg alt=''>\
             <figcaption><p>{caption}</p></figcaption></figure>"
        )
    };
    let gallery = format!(
        "<html><body><article class=gallery><h1>A walk through an old garden</h1>\
         <p>Spring is the best time to visit, and here is what you will see.</p>{}{}{}\
         </article></body></html>",
        slide(
            1,
            "The rose arch by the gate was planted by the first owner, and it still flowers twice each summer."
        ),
        slide(
            2,
            "Behind the greenhouse, a row of old apple trees shelters the vegetable beds from the wind off the hills."
        ),
        slide(
            3,
            "The pond at the bottom of the garden was dug by hand, and frogs, newts and dragonflies moved in within a year."
        ),
    );
    let text = text_of(&gallery);
    assert_has(&text, &["The rose arch", "old apple trees", "dug by hand"]);

    let article = format!(
        "<html><body><article><h1>Harbour lights</h1>\
         <p>The council voted on Monday to replace the old harbour lights with new lamps, \
         which use a third of the power and can be dimmed late at night.</p>{}\
         <p>Work starts in spring and should be finished before the summer season, the \
         harbour master said, and the old lamps will be sold to collectors.</p>\
         <p>Residents had asked for softer light for years, because the old lamps shone \
         straight into the bedrooms of the houses along the quay.</p></article></body></html>",
        slide(1, "The old lamps on the quay at dusk, before the vote."),
    );
    let text = text_of(&article);
    assert_has(&text, &["The council voted", "Residents had asked"]);
    assert_lacks(&text, &["before the vote"]);
}

/// A page that builds its post with JavaScript and ships it for browsers
/// without scripts in `<noscript>`: when the DOM gives no text, that
/// fallback markup is the article. A page with text of its own ignores
/// its `<noscript>` notice.
#[test]
fn a_script_built_page_falls_back_to_its_noscript_markup() {
    let shell = "<html><body><div class=blog><div class=post><h2>Keeping keys safe</h2>\
         <div class=post-body><script>renderPost(42)</script><noscript>\
         <p>We store every signing key in hardware now, and no single engineer can use one \
         alone, because two people must approve each request.</p>\
         <p>Old keys are retired after a year, and the logs of their use are kept for audits, \
         so a leak could be traced back to the request that caused it.</p>\
         </noscript></div></div></div></body></html>";
    let text = text_of(shell);
    assert_has(
        &text,
        &["We store every signing key", "Old keys are retired"],
    );

    let page = "<html><body><noscript><p>Please turn on JavaScript to see the comments \
         and the photo gallery of this page, which need it to load.</p></noscript>\
         <article><p>The market square gets new benches this spring, made from the oak trees \
         that had to be felled along the canal last winter.</p>\
         <p>The carpenters expect to finish before the first market day in April, weather \
         permitting, and the old benches go to the schools.</p></article></body></html>";
    let text = text_of(page);
    assert_has(&text, &["The market square gets new benches"]);
    assert_lacks(&text, &["turn on JavaScript"]);
}

/// A body container named the other way round (`content-article`) is a
/// declared body like `article-content`; nested in a wider one
/// (`id=content_article` around `entry-content`), the tighter one that
/// holds nearly all the prose draws the boundary.
#[test]
fn a_body_name_read_either_way_and_the_tighter_one_wins() {
    let page = "<html><body><main>\
        <article><section class=\"content content-article\">\
        <p>The chart shows how many of the allotments in the city grow beans and how many only flowers.</p>\
        <p>Some plots grow a little of everything, most keep to a single crop, \
        and only the largest of the gardens are drawn here.</p>\
        </section></article>\
        <div class=author><div class=content><p>Born in a village in the hills, she has written \
        about gardens for this paper for years, mostly about soil, seeds, weather and the people who work them. \
        Before that she trained as a carpenter, a cook and a teacher.</p></div></div>\
        </main></body></html>";
    let text = text_of(page);
    assert_has(
        &text,
        &[
            "how many of the allotments",
            "only the largest of the gardens",
        ],
    );
    assert_lacks(&text, &["Born in a village"]);

    let nested = "<html><body><div id=content_article>\
        <div class=\"entry-content\"><p>The first long paragraph of the essay sets out the question it asks, \
        and why the answer matters to the people who live with it every day.</p>\
        <p>The second long paragraph gives the answer, with the evidence for it and the doubts that remain, \
        written out at length for the patient reader.</p><p>A third paragraph closes the argument with a \
        look at what comes next, and who will decide it in the end.</p><p>A postscript adds the letters \
        that reached the editors after the first version of this essay, and the replies to them.</p></div>\
        <div class=tail-note>To comment on this essay, write to the editors.</div>\
        </div></body></html>";
    let text = text_of(nested);
    assert_has(&text, &["sets out the question", "who will decide it"]);
    assert_lacks(&text, &["To comment on this essay"]);
}

/// A page builder frames every block in the same weakly named class
/// (`builder-widget`): the frames that together hold the article are
/// layout, not widgets, and stay; a real widget beside them still goes.
#[test]
fn page_builder_frames_are_layout_not_widgets() {
    let block = |text: &str| {
        format!(
            "<div class=\"builder-element builder-widget\"><div class=builder-widget-container>\
             <div class=text-editor><p>{text}</p></div></div></div>"
        )
    };
    let page = format!(
        "<html><body><article class=page>{}{}{}\
         <div class=\"builder-element newsletter-signup\"><p>Sign up for our newsletter and never miss a \
         story from us again, it only takes a moment.</p></div></article></body></html>",
        block(
            "In its first years the choir sang only in churches; it grew into a group that tours in \
             summer, with rehearsals twice a week and a concert every winter in the town hall."
        ),
        block(
            "The spring tour of that year was the choir's longest trip so far, with twelve concerts in \
             nine towns, two buses, one borrowed piano and one lost suitcase."
        ),
        block(
            "One aim of the recording project was to let every singer take a solo part once, in a song \
             chosen by the whole group at the autumn meeting."
        ),
    );
    let text = text_of(&page);
    assert_has(
        &text,
        &[
            "tours in \
             summer",
            "spring tour of that year",
            "aim of the recording project",
        ],
    );
    assert_lacks(&text, &["Sign up for our newsletter"]);
}

/// A page made of posts (a question and its answers, a forum thread) is
/// all its posts, not the longest one; the page chrome around them and the
/// reader comments under them stay out.
#[test]
fn a_page_of_posts_keeps_every_post() {
    let post = |id: &str, text: &str| {
        format!(
            "<div class=post id={id}><div class=votes>12</div><div class=\"prose post-body\"><p>{text}</p></div>\
             <div class=post-menu><a href=/s>Share</a> <a href=/e>Improve this post</a></div>\
             <div class=user-card>asked 2 Jan at 9:14 <a href=/users/1>a user</a> 12.3k</div>\
             <ul class=comment-list><li class=comment>Which flour do you use? Strong bread flour holds its \
             shape far better than plain flour does. &ndash; <a href=/users/2>reader</a></li>\
             <li class=comment>Plain flour, as it happens, from the corner shop, \
             so that may well be the reason. &ndash; <a href=/users/1>a user</a></li></ul></div>"
        )
    };
    let page = format!(
        "<html><body><nav><a href=/>Questions</a> <a href=/tags>Tags</a></nav>\
         <div id=mainbar><h1>Why does my loaf fall in the oven?</h1>{}<div id=answers><h2>3 Answers</h2>{}{}</div></div>\
         <div id=sidebar><div class=hot-network><a href=/q/9>Another hot question from elsewhere on the network</a></div></div>\
         </body></html>",
        post(
            "question",
            "Why does my bread collapse in the oven when the dough rose well at room temperature? I follow \
             the recipe to the gram, and my oven thermometer says the heat is right. Is there a rule \
             for proofing time, or does one simply have to learn it loaf by loaf?",
        ),
        post(
            "answer-1",
            "Dough that rises well and then falls in the oven was usually left to rise too long: the \
             gluten is stretched to its limit, and the last burst of gas in the heat tears it, so the \
             loaf sinks. Shape it earlier and press it with a finger; when the dent springs back slowly, bake.",
        ),
        post(
            "answer-2",
            "Overproofing is the most common cause, but a very wet dough does the same: with too much \
             water the crumb cannot hold its shape, so cut the water by a tenth and see whether \
             the loaf keeps its height in the next bake.",
        ),
    );
    let text = text_of(&page);
    assert_has(
        &text,
        &[
            "Why does my bread collapse",
            "usually left to rise too long",
            "Overproofing is the most common cause",
        ],
    );
    assert_lacks(
        &text,
        &[
            "Another hot question",
            "Questions",
            "Which flour do you use",
        ],
    );
}

/// A bookmark round-up is headline links and source lines, which the
/// block rules read as teasers: when they would drop most of the chosen
/// text, the links are the post and stay. Teasers cut short with an
/// ellipsis still go.
#[test]
fn a_link_round_up_keeps_its_links() {
    let item = |href: &str, title: &str, source: &str| {
        format!(
            "<li><p class=bookmark-link><a href=https://{href}/story>{title}</a></p>\
             <p class=bookmark-note>via {source} <a href=https://{href}/>https://{href}/</a></p></li>"
        )
    };
    let post = format!(
        "<div class=\"post hentry\"><h2 class=entry-title>Links of the week</h2>\
         <div class=entry-content><ul class=bookmarks>{}{}{}{}</ul>\
         <p><a href=/more>Older stories from the archive cut short here ...</a></p></div></div>",
        item(
            "news.example",
            "A lighthouse keeper's diary turns up in an attic",
            "Harbour Times"
        ),
        item(
            "rights.example",
            "The long way round: cycling the coast in winter",
            "Coast Notes"
        ),
        item(
            "tech.example",
            "Why the village bakery opens at four in the morning",
            "Village Post"
        ),
        item(
            "work.example",
            "A map of every ferry crossing still running",
            "Ferry Weekly"
        ),
    );
    let text = text_of(&blog_page(&post));
    assert_has(
        &text,
        &[
            "A lighthouse keeper's diary turns up in an attic",
            "via Coast Notes",
            "A map of every ferry crossing",
        ],
    );
    assert_lacks(&text, &["Older stories from the archive", "October 2012"]);
}

/// Content in shapes the block rules read as leftovers: a script inside
/// a shortcode the platform did not render, a one-line command in a short
/// copy-button frame, an agenda item ending in a date, a subheading whose
/// generated anchor id starts with `nav`. Real leftovers still go.
#[test]
fn code_agenda_items_and_anchored_subheadings_are_content() {
    let post = "<div class=\"post hentry\"><div class=entry-content>\
        <p>To back up the photos I list their folders first and then run a small loop over them, \
        which copies every new picture to the disk the backup program reads.</p>\
        <p>[sourcecode language=\"bash\"]for dir in `cat folders.txt`; do ./copy.sh -q $dir; done[/sourcecode]</p>\
        <div class=copy-frame><pre><code>pip install photosync</code></pre></div>\
        <h3 id=nav_the_loop_explained__1>The loop explained</h3>\
        <p>Each line of the file is one folder, and the script skips pictures it already has, \
        so running it every night from cron costs next to nothing.</p>\
        <p>Agenda of the meeting:</p><ol><li><strong>Notes of the spring meeting of 12.3.2021</strong></li>\
        <li>Budget for the coming year and the new server</li></ol>\
        <p>[button link=\"/shop\"]Buy now[/button]</p>\
        </div></div>";
    let text = text_of(&blog_page(post));
    assert_has(
        &text,
        &[
            "./copy.sh -q $dir",
            "pip install photosync",
            "The loop explained",
            "Notes of the spring meeting of 12.3.2021",
        ],
    );
    assert_lacks(&text, &["Buy now"]);
}
