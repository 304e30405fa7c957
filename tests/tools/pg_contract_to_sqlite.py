#!/usr/bin/env python3
"""Copies the contract tables of a feedsift PostgreSQL database (feeds,
articles, article_sources, and the stories view) into a new SQLite file, so
tools written for the SQLite contract (the newsroom's check.py) can score a
PostgreSQL run. Uses only psql and the standard library.

usage: pg_contract_to_sqlite.py POSTGRES_URL OUT.db [--psql PATH]
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys

TABLES = ["feeds", "articles", "article_sources"]
# Integer columns keep integer affinity in SQLite, so ids compare as numbers.
INTEGERS = {"id", "article_id", "feed_id", "duplicate_of", "word_count", "change_seq",
            "error_count", "active", "interval_secs", "min_interval_secs", "interval_adapted",
            "simhash"}
SKIP = {"minhash"}  # binary, not part of what readers compare


def rows(psql, url, table):
    out = subprocess.run(
        [psql, url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
         "-c", f"SELECT row_to_json(t) FROM {table} t"],
        check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--psql", default="psql")
    a = ap.parse_args()
    if os.path.exists(a.out):
        os.remove(a.out)
    db = sqlite3.connect(a.out)
    for table in TABLES:
        data = rows(a.psql, a.url, table)
        columns = [c for c in (data[0].keys() if data else ["id"]) if c not in SKIP]
        decl = ", ".join(f'"{c}" {"INTEGER" if c in INTEGERS else ""}' for c in columns)
        db.execute(f"CREATE TABLE {table} ({decl})")
        marks = ", ".join("?" for _ in columns)
        db.executemany(f"INSERT INTO {table} VALUES ({marks})",
                       [[r.get(c) for c in columns] for r in data])
        print(f"{table}: {len(data)} rows", file=sys.stderr)
    db.execute("CREATE VIEW stories AS SELECT * FROM articles WHERE duplicate_of IS NULL")
    db.commit()


if __name__ == "__main__":
    main()
