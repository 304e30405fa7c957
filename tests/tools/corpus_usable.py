#!/usr/bin/env python3
"""Measure how many feed-corpus files `feedsift inspect --json` reads usably.

Usage:
    cargo build && python3 tests/tools/corpus_usable.py \
        [--bin target/debug/feedsift] [--corpus tests/fixtures/feeds/corpus] [-v]

For every file in the corpus MANIFEST.tsv, this script extracts what a
reader should find *from the raw bytes*, with regular expressions and no XML
parser (so broken files still yield their evident title and items):

  - the feed title: the first <title> before the first <item>/<entry>;
  - the items: every <item>...</item> / <entry>...</entry> (a truncated last
    one counts too), each with its title, link and guid/id;
  - for JSON Feed, the "title" and "items" members.

A file "carries" something when it has a feed title or at least one item.
feedsift is "usable" on it when `inspect --json` reports
  - that feed title, or
  - between 1 and N entries (N = items in the file), each matching one of
    the file's items by title, link or id.
Text is compared after decoding entities (twice: feeds double-escape),
stripping tags and collapsing whitespace. The HTTP headers that feedparser's
harness sends with a file (MANIFEST `http_headers`) are passed as
--content-type / --base-url, since those files mean something else without.

The Rust test tests/feed_corpus.rs computes the same figure independently;
this tool exists to cross-check it and to list the files that fail (-v).
"""
import argparse
import codecs
import html
import json
import os
import re
import subprocess
import sys
from urllib.parse import urljoin

TAG = re.compile(r"<[^>]*>", re.S)
CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.S)
COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)


def norm(text):
    if text is None:
        return ""
    text = CDATA.sub(lambda m: html.escape(m.group(1), quote=False), text)
    for _ in range(2):
        text = html.unescape(text)
        text = TAG.sub(" ", text)
    return " ".join(text.split())


def decode(raw, content_type):
    if raw.startswith(b"\x00\x00\xfe\xff") or raw.startswith(b"\x00\x00\x00<"):
        return raw.decode("utf-32-be", "replace").lstrip("\ufeff")
    if raw.startswith(b"\xff\xfe\x00\x00") or raw.startswith(b"<\x00\x00\x00"):
        return raw.decode("utf-32-le", "replace").lstrip("\ufeff")
    if raw.startswith(b"\xfe\xff") or raw.startswith(b"\x00<"):
        return raw.decode("utf-16-be", "replace").lstrip("\ufeff")
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"<\x00"):
        return raw.decode("utf-16-le", "replace").lstrip("\ufeff")
    candidates = []
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    if m:
        candidates.append(m.group(1))
    m = re.search(rb"<\?xml[^>]*encoding=[\"']([\w.:-]+)", raw[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii"))
    candidates.append("utf-8")
    try:
        import chardet  # optional: only for undeclared non-UTF-8 files

        guess = chardet.detect(raw[:65536]).get("encoding")
        if guess:
            candidates.append(guess)
    except ImportError:
        pass
    candidates.append("windows-1252")
    for enc in candidates:
        try:
            codecs.lookup(enc)
            return raw.decode(enc).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", "replace")


def first(pattern, text):
    m = re.search(pattern, text, re.S | re.I)
    return m.group(1) if m else None


TITLE = r"<(?:(?:atom|dc):)?title\b[^>]*>(.*?)</(?:(?:atom|dc):)?title\s*>"


def alternate_link(body):
    """The href of the first <link> that is the entry's page (no rel, or
    rel=alternate), as Atom defines it."""
    for tag in re.findall(r"<link\b[^>]*>", body, re.I):
        rel = first(r"\brel\s*=\s*[\"']([^\"']*)", tag)
        href = first(r"\bhref\s*=\s*[\"']([^\"']*)", tag)
        if href and (rel is None or rel.strip().lower() == "alternate"):
            return href
    return None


def item_fields(body):
    title = first(TITLE, body)
    link = first(r"<link\b[^>]*>(.*?)</link\s*>", body)
    if not link or not link.strip():
        link = alternate_link(body)
    if not link:
        link = first(r"<item\b[^>]*\bhref\s*=\s*[\"']([^\"']*)[\"']", body)
    ident = first(r"<guid\b[^>]*>(.*?)</guid\s*>", body) or first(r"<id\b[^>]*>(.*?)</id\s*>", body)
    return {"title": norm(title), "link": norm(link), "id": norm(ident)}


DTD_ENTITY = re.compile(r"<!ENTITY\s+(\w+)\s+([\"'])(.*?)\2", re.S)


def expand_dtd_entities(text):
    """Internal DTD entities, expanded as an XML parser would (one level)."""
    doctype = re.search(r"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", text, re.S)
    if not doctype:
        return text
    for name, _, value in DTD_ENTITY.findall(doctype.group(1)):
        text = text.replace(f"&{name};", html.unescape(value))
    return text


def expected(text):
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError:
            return None, []
        if not isinstance(doc, dict):
            return None, []
        items = []
        for it in doc.get("items") or []:
            if isinstance(it, dict):
                items.append({"title": norm(it.get("title")), "link": norm(it.get("url")), "id": norm(str(it.get("id") or ""))})
        return norm(doc.get("title")), items
    text = expand_dtd_entities(COMMENT.sub("", text))
    if not re.search(r"<(?:\w+:)?(?:rss|rdf|feed|channel|entry)\b", text, re.I):
        return None, []  # not a feed (XML samples, empty files)
    starts = [m.start() for m in re.finditer(r"<(?:\w+:)?(?:item|entry)\b", text, re.I)]
    head = text[: starts[0]] if starts else text
    title = norm(first(TITLE, head))
    items = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        items.append(item_fields(text[start:end]))
    return title, items


def matches(entry, item, base):
    if not (item["title"] or item["link"] or item["id"]):
        return True  # nothing to compare: the entry's presence is the match
    title = norm(entry.get("title"))
    link = entry.get("link") or ""
    key = (entry.get("key") or "").strip()
    if item["title"] and title == item["title"]:
        return True
    if item["link"]:
        want = item["link"]
        resolved = urljoin(base, want) if base else want
        if link in (want, resolved) or (link and want and link.endswith(want.lstrip("./"))):
            return True
    if item["id"] and key == item["id"]:
        return True
    return False


def headers_of(field):
    ct = base = None
    for part in (field or "").split(" | "):
        name, _, value = part.partition(":")
        if name.strip().lower() == "content-type":
            ct = value.strip()
        elif name.strip().lower() == "content-location":
            base = value.strip()
    return ct, base


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/debug/feedsift")
    ap.add_argument("--corpus", default="tests/fixtures/feeds/corpus")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    rows = []
    with open(os.path.join(args.corpus, "MANIFEST.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    carrying = usable = panics = failures = 0
    by_kind = {}
    for row in rows:
        path = os.path.join(args.corpus, row["path"])
        raw = open(path, "rb").read()
        ct, base = headers_of(row.get("http_headers"))
        title, items = expected(decode(raw, ct))
        cmd = [args.bin, "inspect", "--json", path]
        if ct:
            cmd += ["--content-type", ct]
        if base and re.match(r"https?://", base):
            cmd += ["--base-url", base]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            print(f"HANG  {row['path']}")
            panics += 1
            continue
        if proc.returncode not in (0, 1) or b"panicked" in proc.stderr:
            print(f"PANIC {row['path']}: rc={proc.returncode} {proc.stderr[-300:]!r}")
            panics += 1
            continue
        if not (title or items):
            continue
        carrying += 1
        kind = row["kind"]
        stats = by_kind.setdefault(kind, [0, 0])
        stats[0] += 1
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            report = {}
        entries = report.get("entries") or []
        ok_title = bool(title) and norm(report.get("title")) == title
        ok_entries = 1 <= len(entries) <= len(items) and all(any(matches(e, it, base) for it in items) for e in entries)
        if ok_title or ok_entries:
            usable += 1
            stats[1] += 1
        else:
            failures += 1
            if args.verbose:
                got = [(e.get("title"), e.get("link"), e.get("key")) for e in entries[:3]]
                print(f"MISS  {row['path']} [{row['format']}]: want title={title!r} items={len(items)} {items[:2]}; "
                      f"got title={report.get('title')!r} entries={len(entries)} {got} error={report.get('error')!r}")
    for kind, (n, ok) in sorted(by_kind.items()):
        print(f"  {kind:<11} usable {ok}/{n}")
    print(f"files={len(rows)} carrying={carrying} usable={usable} panics_or_hangs={panics}")


if __name__ == "__main__":
    sys.exit(main())
