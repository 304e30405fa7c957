#!/usr/bin/env python3
"""Evaluate feedparser's `Expect:` lines on `feedsift inspect --json` output.

Usage:
    cargo build && python3 tests/tools/feedparser_expect.py \
        [--bin target/debug/feedsift] [--corpus DIR] [-v] [--fail-list FILE]

DIR holds a MANIFEST.tsv with the columns `path`, `expect` and
`http_headers` (the fixture corpus `tests/fixtures/feeds/corpus` by default;
the feed corpus's `feedparser-dev/` folder has 907 more). Each `expect` is a
Python expression over feedparser's result (`feed`, `entries`, `bozo`, ...),
for example `not bozo and entries[0]['title'] == u'Example Atom'`.

feedparser itself is not needed: this script builds feedparser's result
structure from what `inspect --json` shows, following feedparser's
documented mapping (`description` is the summary, `tagline` the subtitle,
`copyright` the rights, `guid` the id, `url` an `href`, `updated` falls
back to `published`, a missing summary is the text or HTML content, `author`
is "name (email)", `bozo` is "not well-formed"). An expression is
*evaluable* only when every field it reads is one the JSON shows; the others
are counted apart, never as passes. Comparisons:

  - text fields that are HTML (titles, summaries, content, subtitles,
    rights) compare after tag stripping, entity decoding and whitespace
    collapsing on both sides (script and style bodies are not text);
  - dates compare to the second, a feedparser date string or
    `*_parsed` tuple against the instant feedsift reports;
  - everything else compares as is.

The HTTP headers feedparser's own harness serves a file with become
`--content-type` / `--base-url`; without a Content-Location the base is the
URL that harness serves the file at (`--doc-url-prefix` + its path), as for
feedparser. Figures are printed per folder.
"""
import argparse
import ast
import calendar
import csv
import datetime
import email.utils
import html
import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from urllib.parse import urljoin

from corpus_usable import headers_of  # same MANIFEST http_headers column

csv.field_size_limit(1 << 24)


class NotShown(Exception):
    """A field feedparser has and `inspect --json` does not show."""


# ---------------------------------------------------------------- text


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(value):
    parser = _Text()
    parser.feed(value)
    parser.close()
    return " ".join("".join(parser.parts).split())


def plain_text(value):
    return " ".join(value.split())


class Text(str):
    """A text field: equal to a string when both read the same as text.
    `html` says whether feedsift's value is markup."""

    def __new__(cls, value, html_value):
        obj = super().__new__(cls, value)
        obj.html = html_value
        return obj

    def rendered(self):
        return html_text(self) if self.html else plain_text(self)

    def __eq__(self, other):
        # feedparser's value may be markup or plain text, and whether is
        # not always known here: equal when it reads the same either way.
        if isinstance(other, str):
            mine = self.rendered()
            return mine == html_text(str(other)) or mine == plain_text(str(other))
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__


def text_value(obj):
    """A text construct object of the JSON ({value, type, ...}) as Text."""
    if obj is None:
        return None
    kind = (obj.get("type") or "text/html").lower()
    return Text(obj.get("value") or "", "html" in kind or "xml" in kind)


# ---------------------------------------------------------------- dates


def parse_instant(value):
    value = value.strip()
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(datetime.timezone.utc)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return parsed.astimezone(datetime.timezone.utc)
    except ValueError:
        return None


class Date(str):
    """A date string that equals feedparser's raw date string when both
    name the same second."""

    def instant(self):
        return parse_instant(self)

    def __eq__(self, other):
        if isinstance(other, str):
            mine, theirs = self.instant(), parse_instant(other)
            return mine is not None and mine == theirs
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__


def struct_time(value):
    instant = parse_instant(value) if value else None
    if instant is None:
        return None
    return time.gmtime(calendar.timegm(instant.utctimetuple()))


# ---------------------------------------------------------------- view


class View(dict):
    """A feedparser dict over feedsift's JSON: `aliases` maps feedparser's
    other names, `hidden` lists fields feedsift does not show."""

    ALIASES = {
        "channel": "feed",
        "items": "entries",
        "guid": "id",
        "date": "updated",
        "date_parsed": "updated_parsed",
        "modified": "updated",
        "modified_parsed": "updated_parsed",
        "issued": "published",
        "issued_parsed": "published_parsed",
        "copyright": "rights",
        "copyright_detail": "rights_detail",
        "tagline": "subtitle",
        "tagline_detail": "subtitle_detail",
        "url": "href",
    }

    def _key(self, key):
        key = self.ALIASES.get(key, key)
        if key in ("description", "description_detail"):
            suffix = key[len("description"):]
            summary = "summary" + suffix
            has_summary = dict.__contains__(self, summary) or summary in self.shown
            return summary if has_summary else "subtitle" + suffix
        return key

    def __init__(self, shown, items=()):
        super().__init__(items)
        self.shown = set(shown)

    def __getitem__(self, key):
        real = self._key(key)
        if real == "updated" and real not in self and "published" in self:
            real = "published"
        if real == "updated_parsed" and real not in self and "published_parsed" in self:
            real = "published_parsed"
        if dict.__contains__(self, real):
            return dict.__getitem__(self, real)
        if real in self.shown:
            raise KeyError(key)
        raise NotShown(key)

    def __contains__(self, key):
        real = self._key(key)
        if dict.__contains__(self, real):
            return True
        if real in self.shown:
            return False
        raise NotShown(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __getattr__(self, name):
        # feedparser's dicts read as attributes too: entries[0].tags
        if name.startswith("__") or name == "shown":
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def has_key(self, key):
        return key in self


def person(p):
    out = {}
    if p.get("name"):
        out["name"] = p["name"]
    if p.get("email"):
        out["email"] = p["email"]
    if p.get("uri"):
        out["href"] = p["uri"]
    return View(["name", "email", "href"], out)


def author_string(p):
    name, mail = p.get("name"), p.get("email")
    if name and mail:
        return f"{name} ({mail})"
    return name or mail


def detail(obj):
    if obj is None:
        return None
    d = {"value": text_value(obj), "type": obj.get("type"), "language": obj.get("language"), "base": obj.get("base")}
    if obj.get("src"):
        d["src"] = obj["src"]
    return View(["value", "type", "language", "base", "src"], d)


def link_view(link):
    d = {k: link[k] for k in ("href", "rel", "type", "title", "length", "hreflang") if link.get(k) is not None}
    if "length" in d:
        d["length"] = str(d["length"])  # feedparser keeps the attribute text
    return View(["href", "rel", "type", "title", "length", "hreflang"], d)


def add_common(view, obj):
    """Fields shared by the feed and its entries."""
    if "title_detail" in obj:
        # The title as the feed gave it (markup and all), as feedparser's.
        view.shown |= {"title", "title_detail"}
        if obj.get("title_detail") is not None:
            view["title_detail"] = detail(obj["title_detail"])
            view["title"] = view["title_detail"]["value"]
    elif "title" in obj:
        view.shown |= {"title", "title_detail"}
        if obj.get("title") is not None:
            view["title"] = Text(obj["title"], False)
            view["title_detail"] = View(["value"], {"value": view["title"]})
    for name in ("subtitle", "rights", "summary"):
        if name in obj:
            view.shown |= {name, name + "_detail"}
            if obj.get(name) is not None:
                view[name + "_detail"] = detail(obj[name])
                view[name] = view[name + "_detail"]["value"]
    if "links" in obj:
        view.shown.add("links")
        if obj.get("links"):
            view["links"] = [link_view(l) for l in obj["links"]]
    for name in ("updated", "published"):
        if name in obj:
            view.shown |= {name, name + "_parsed"}
            if obj.get(name):
                view[name] = Date(obj[name])
                view[name + "_parsed"] = struct_time(obj[name])
    if "authors" in obj:
        view.shown |= {"author", "author_detail", "authors"}
        if obj.get("authors"):
            view["authors"] = [person(p) for p in obj["authors"]]
            view["author_detail"] = view["authors"][0]
            view["author"] = author_string(obj["authors"][0])
    elif "author" in obj:
        # Older feedsift: the display name only.
        view.shown.add("author")
        if obj.get("author"):
            view["author"] = obj["author"]
    if "contributors" in obj:
        view.shown.add("contributors")
        if obj.get("contributors"):
            view["contributors"] = [person(p) for p in obj["contributors"]]
    if "tags" in obj:
        view.shown |= {"tags", "category"}
        if obj.get("tags"):
            view["tags"] = [View(["term", "scheme", "label"], {k: t.get(k) for k in ("term", "scheme", "label")}) for t in obj["tags"]]
            view["category"] = obj["tags"][0].get("term")
    if "language" in obj:
        view.shown.add("language")
        if obj.get("language"):
            view["language"] = obj["language"]
    if "id" in obj:
        view.shown.add("id")
        if obj.get("id"):
            view["id"] = obj["id"]


def feed_view(report):
    view = View([])
    add_common(view, report)
    if "site_url" in report:
        view.shown.add("link")
        if report.get("site_url"):
            view["link"] = report["site_url"]
    if "image" in report:
        view.shown.add("image")
        image = report.get("image")
        if image:
            d = {"href": image.get("url"), "title": image.get("title"), "link": image.get("link"), "width": image.get("width"), "height": image.get("height")}
            view["image"] = View(["href", "title", "link", "width", "height"], {k: v for k, v in d.items() if v is not None})
    return view


def entry_view(entry):
    view = View([])
    add_common(view, entry)
    if "link" in entry:
        view.shown.add("link")
        if entry.get("link"):
            view["link"] = entry["link"]
    if "content" in entry:
        view.shown.add("content")
        if entry.get("content"):
            view["content"] = [detail(entry["content"])]
            kind = (entry["content"].get("type") or "").lower()
            # feedparser: a text or HTML content is the summary when the
            # entry has none.
            if "summary" not in dict.keys(view) and ("html" in kind or kind.startswith("text/")):
                view["summary_detail"] = detail(entry["content"])
                view["summary"] = view["summary_detail"]["value"]
    if "enclosures" in entry:
        view.shown.add("enclosures")
        if entry.get("enclosures"):
            view["enclosures"] = [
                View(["href", "type", "length"], {k: v for k, v in (("href", e.get("url")), ("type", e.get("type")), ("length", None if e.get("length") is None else str(e["length"]))) if v is not None})
                for e in entry["enclosures"]
            ]
    if "comments" in entry:
        view.shown.add("comments")
        if entry.get("comments"):
            view["comments"] = entry["comments"]
    return view


# ---------------------------------------------------------------- reads


ROOTS = {"feed", "channel", "entries", "items", "bozo"}


def chains(expr):
    """The field paths an expression reads: ('entries', 0, 'title'), ...
    A dict literal compared with a path reads each of its keys."""
    out = []

    def path_of(node):
        keys = []
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            if isinstance(node, ast.Attribute):
                keys.append(node.attr)
                node = node.value
                continue
            s = node.slice
            if isinstance(s, ast.Constant):
                keys.append(s.value)
            elif isinstance(s, ast.UnaryOp) and isinstance(s.operand, ast.Constant):
                keys.append(-s.operand.value)
            else:
                keys.append(None)
            node = node.value
        if isinstance(node, ast.Name):
            return (node.id,) + tuple(reversed(keys))
        return None

    class Visitor(ast.NodeVisitor):
        def visit_Attribute(self, node):
            self.visit_Subscript(node)

        def visit_Subscript(self, node):
            p = path_of(node)
            if p is not None:
                out.append(p)
                return
            self.generic_visit(node)

        def visit_Name(self, node):
            out.append((node.id,))

        def visit_Call(self, node):
            # x.has_key('k') / x.get('k') read field k of x.
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in ("has_key", "get") and node.args:
                p = path_of(f.value)
                arg = node.args[0]
                if p is not None and isinstance(arg, ast.Constant):
                    out.append(p + (arg.value,))
                    return
            self.generic_visit(node)

        def visit_Compare(self, node):
            operands = [node.left] + node.comparators
            for i, op in enumerate(node.ops):
                left, right = operands[i], operands[i + 1]
                if isinstance(op, (ast.In, ast.NotIn)) and isinstance(left, ast.Constant):
                    p = path_of(right) if isinstance(right, (ast.Subscript, ast.Attribute)) else ((right.id,) if isinstance(right, ast.Name) else None)
                    if p is not None:
                        out.append(p + (left.value,))
                for a, b in ((left, right), (right, left)):
                    if isinstance(b, ast.Dict) and isinstance(a, (ast.Subscript, ast.Attribute)):
                        p = path_of(a)
                        if p is not None:
                            for k in b.keys:
                                if isinstance(k, ast.Constant):
                                    out.append(p + (k.value,))
            self.generic_visit(node)

    Visitor().visit(ast.parse(expr, mode="eval"))
    return out


def evaluable(paths, env):
    """Whether every path reads a field the JSON shows."""
    for path in paths:
        root = path[0]
        if root not in ROOTS:
            if root in ("u", "True", "False", "None", "datetime", "time", "len", "str", "int", "bool"):
                continue
            return False
        node = env.get(root if root not in ("channel", "items") else {"channel": "feed", "items": "entries"}[root])
        if root == "bozo":
            if node is None:
                return False
            continue
        for key in path[1:]:
            if isinstance(node, list):
                if not isinstance(key, int):
                    return False
                node = node[key] if -len(node) <= key < len(node) else None
                if node is None:
                    break
                continue
            if isinstance(node, View):
                try:
                    node = node[key] if key in node else None
                except NotShown:
                    return False
                if node is None:
                    break
                continue
            if isinstance(node, dict):
                node = node.get(key)
                continue
            break
    return True


# ---------------------------------------------------------------- run


def folder_of(path):
    parts = path.split("/")
    if "tests" in parts:
        parts = parts[parts.index("tests") + 1 :]
    if parts and parts[0] in ("wellformed", "illformed") and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if parts else path


def bozo_of(report):
    """feedparser's bozo: the document is not well-formed XML. Older
    feedsift JSON has no `well_formed`; any repair stands in for it."""
    if not report.get("ok"):
        return True
    if "well_formed" in report:
        return not report["well_formed"]
    return bool(report.get("recovered"))


def environment(report):
    if not report.get("ok"):
        return {"feed": View([]), "entries": [], "bozo": True}
    return {
        "feed": feed_view(report),
        "entries": [entry_view(e) for e in report.get("entries") or []],
        "bozo": bozo_of(report),
    }


def entry_shape(report):
    """Field names an entry of this JSON version has."""
    for e in report.get("entries") or []:
        return set(entry_view(e).shown)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/debug/feedsift")
    ap.add_argument("--corpus", default="tests/fixtures/feeds/corpus")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failure")
    ap.add_argument("--fail-list", help="write failing and unevaluable expressions here")
    ap.add_argument("--ignore-bozo", action="store_true",
                    help="read `bozo` as False: measures the fields alone (for JSON without well_formed)")
    ap.add_argument("--doc-url-prefix", default="http://127.0.0.1:8097/",
                    help="where feedparser's harness serves the files (their document URL)")
    args = ap.parse_args()
    manifest = os.path.join(args.corpus, "MANIFEST.tsv")
    with open(manifest, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    rows = [r for r in rows if (r.get("expect") or "").strip()]
    results = []
    shape = None
    for row in rows:
        path = os.path.join(args.corpus, row["path"])
        if not os.path.exists(path):
            path = os.path.join(os.path.dirname(args.corpus.rstrip("/")), row["path"])
        ct, base = headers_of(row.get("http_headers"))
        # feedparser's harness serves each file over HTTP; its URL is the
        # document's base when no Content-Location says otherwise.
        doc_url = args.doc_url_prefix + (row.get("source_path") or row["path"]).lstrip("/")
        base = urljoin(doc_url, base) if base else doc_url
        cmd = [args.bin, "inspect", "--json"]
        if ct:
            cmd += ["--content-type", ct]
        if base:
            cmd += ["--base-url", base]
        cmd.append(path)
        proc = subprocess.run(cmd, capture_output=True, timeout=60)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            report = {"ok": False}
        shape = shape or entry_shape(report)
        results.append((row, report))
    table = {}
    failures = []
    for row, report in results:
        folder = folder_of(row["path"])
        stats = table.setdefault(folder, [0, 0, 0])
        stats[0] += 1
        expr = row["expect"].strip()
        env = environment(report)
        if args.ignore_bozo:
            env["bozo"] = False
        for e in env["entries"]:
            e.shown |= shape or set()
        try:
            paths = chains(expr)
        except SyntaxError:
            continue
        # A file without entries still shows the entry fields of this
        # feedsift version: probe with one empty entry of that shape.
        probe = dict(env)
        if not env["entries"]:
            probe["entries"] = [View(shape or set())]
        if not evaluable(paths, probe):
            failures.append(("UNEVALUABLE", row["path"], expr, ""))
            continue
        stats[1] += 1
        scope = dict(env)
        scope.update({"u": lambda s: s, "datetime": datetime, "time": time})
        try:
            ok = bool(eval(expr, {"__builtins__": {"len": len, "str": str, "int": int, "bool": bool}}, scope))
            why = ""
        except NotShown as e:
            ok, why = False, f"not shown: {e}"
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            ok, why = False, f"{type(e).__name__}: {e}"
        if ok:
            stats[2] += 1
        else:
            failures.append(("FAIL", row["path"], expr, why))
            if args.verbose:
                print(f"FAIL {row['path']}: {expr} {why}")
    total = [0, 0, 0]
    print(f"{'folder':<22} {'files':>5} {'evaluable':>9} {'passed':>6}")
    for folder in sorted(table):
        n, ev, ok = table[folder]
        total = [total[0] + n, total[1] + ev, total[2] + ok]
        print(f"{folder:<22} {n:>5} {ev:>9} {ok:>6}")
    n, ev, ok = total
    rate = 100.0 * ok / ev if ev else 0.0
    print(f"{'TOTAL':<22} {n:>5} {ev:>9} {ok:>6}  ({rate:.1f} % of evaluable)")
    if args.fail_list:
        with open(args.fail_list, "w", encoding="utf-8") as f:
            for kind, path, expr, why in failures:
                f.write(f"{kind}\t{path}\t{expr}\t{why}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
