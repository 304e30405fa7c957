#!/usr/bin/env bash
# The acceptance run of issue 13: the newsroom's 8 fake sites polled by N
# `feedsift run` nodes started at the same instant on one fresh PostgreSQL
# database, one node SIGKILLed while it fetches; then check.py on the
# contract tables (copied to SQLite), the request log, and status / search /
# export against the database.
#
# usage: tests/tools/pg_cluster_acceptance.sh SHARED_DIR WORK_DIR [NODES] [KILL_AFTER_S] [RUN_S]
#   SHARED_DIR holds newsroom/ and extraction-eval/; WORK_DIR is scratch.
#   FEEDSIFT=path/to/feedsift (default target/release/feedsift).
set -euo pipefail
SHARED=$(cd "$1" && pwd); W=$2; NODES=${3:-3}; KILL_AFTER=${4:-3}; RUN_S=${5:-150}
BIN=$(realpath "${FEEDSIFT:-target/release/feedsift}")
TOOLS=$(cd "$(dirname "$0")" && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rm -rf "$W"; mkdir -p "$W"; chmod 777 "$W"; W=$(cd "$W" && pwd)
PORT=$(free_port)
as_pg "$PGBIN/initdb" -D "$W/pgdata" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$W/pgdata" -l "$W/pg.log" -w \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=" start >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$W/pgdata" -m fast -w stop >/dev/null 2>&1 || true; kill $(jobs -p) 2>/dev/null || true' EXIT
ADMIN=postgres://postgres@127.0.0.1:$PORT/postgres
URL=postgres://postgres@127.0.0.1:$PORT/feedsift
"$PGBIN/psql" "$ADMIN" -qc "CREATE DATABASE feedsift"
psql() { "$PGBIN/psql" "$URL" -X -A -t -q -c "$1"; }

python3 "$SHARED/newsroom/serve.py" --pages "$SHARED/extraction-eval/dev" --sites 8 --base-ip 127.0.0.2 \
    --port 0 --seed 7 --faults --manifest "$W/manifest.json" --log "$W/requests.jsonl" \
    --feeds-toml "$W/feeds.toml" > "$W/serve.out" 2>&1 &
for _ in $(seq 100); do grep -q READY "$W/serve.out" && break; sleep 0.1; done
# The generated feeds.toml, on PostgreSQL, each feed polled every minute so
# that a second round comes within the run.
sed -i "s|^database = .*|database = \"$URL\"|; s|^\(url = .*\)|\1\ninterval = \"1m\"|" "$W/feeds.toml"

pids=()
for i in $(seq "$NODES"); do
    RUST_LOG=feedsift=info "$BIN" --config "$W/feeds.toml" run 2> "$W/node-$i.log" &
    pids+=($!)
done
T0=$(date +%s.%N)
sleep "$KILL_AFTER"
# Kill a node while it fetches: the first moment one holds a feed's lease
# (whichever node it is: the first to start may take every feed). Owners
# read `host:pid:nonce`.
VICTIM=""; HELD=""
for _ in $(seq 600); do
    ROW=$(psql "SELECT lease_owner || '|' || string_agg(url, ' ') FROM feeds WHERE lease_owner IS NOT NULL GROUP BY lease_owner LIMIT 1" 2>/dev/null || true)
    if [ -n "$ROW" ]; then
        VICTIM=$(echo "${ROW%%|*}" | awk -F: '{print $(NF-1)}'); HELD=${ROW#*|}
        break
    fi
    sleep 0.05
done
VICTIM=${VICTIM:-${pids[0]}}
kill -KILL "$VICTIM"
TKILL=$(date +%s.%N)
echo "started $NODES nodes at $T0; SIGKILLed node pid $VICTIM at +$(echo "$TKILL - $T0" | bc) s holding: ${HELD:-nothing}"
sleep "$RUN_S"
for p in "${pids[@]}"; do [ "$p" != "$VICTIM" ] && kill -TERM "$p"; done
wait "${pids[@]}" 2>/dev/null || true

python3 "$TOOLS/pg_contract_to_sqlite.py" "$URL" "$W/copy.db" --psql "$PGBIN/psql"
python3 "$SHARED/newsroom/check.py" --manifest "$W/manifest.json" --db "$W/copy.db" \
    --log "$W/requests.jsonl" --min-f1 0.90 > "$W/check.out" 2>&1 && rc=0 || rc=$?
grep -E '^(E2E|FAIL)' "$W/check.out" || true
echo "check.py exit $rc"

# Fetched twice? Article pages answered 200 more than once, and feed fetches
# per feed, from the request log; and when the victim's feeds were taken over.
python3 - "$W/requests.jsonl" "$W/manifest.json" "$TKILL" "$HELD" <<'PY'
import json, sys, collections
log = [json.loads(l) for l in open(sys.argv[1])]
manifest = json.load(open(sys.argv[2]))
tkill = float(sys.argv[3]); held = sys.argv[4].split()
feeds = {f: [] for f in manifest["feeds"]}
pages = collections.Counter()
for r in log:
    url = f"http://{r['host_header']}{r['path']}"
    if url in feeds:
        feeds[url].append(r["t"])
    elif r["status"] == 200 and r["method"] == "GET" and r["path"] not in ("/robots.txt", "/"):
        pages[url] += 1
twice = {u: n for u, n in pages.items() if n > 1}
print(f"article pages fetched with 200: {len(pages)}; more than once: {len(twice)} {twice if twice else ''}")
for f, ts in feeds.items():
    rounds = sorted(ts)
    print(f"feed {f}: {len(rounds)} requests at +{[round(t - tkill, 1) for t in rounds]} s after the kill")
for f in held:
    after = [t for t in feeds.get(f, []) if t > tkill]
    if after:
        print(f"taken over: {f} {min(after) - tkill:.1f} s after the kill")
    else:
        print(f"NOT taken over: {f}")
PY

echo "--- status"; "$BIN" --db "$URL" status | tail -3
echo "--- search"; "$BIN" --db "$URL" search --json "the" --limit 3 | cut -c1-160
echo "--- export"; "$BIN" --db "$URL" export | wc -l
psql "SELECT 'articles ' || count(*) || ', stories ' || count(*) FILTER (WHERE duplicate_of IS NULL) || ', leases left ' || (SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL) FROM articles"
