#!/usr/bin/env bash
# Times lore-digest's stages on the real corpus next to git baselines.
# Usage: scripts/bench.sh [RUNS]   (default 5). Prints medians and ratios.
# Needs ../shared/corpora/kvmarm-columbia.git; public-inbox-httpd optional.
#
#        scripts/bench.sh --scale [MESSAGES [RUNS]]   (default 1000000, 3)
# Scale: makes a 50,000-message archive and a MESSAGES one at the same weekly
# density (about 3,900 mails a week, epochs of 250,000) with
# ../shared/tools/synth-archive.py, then prints for each the medians (wall and
# CPU time) and peak memory of `report --week` (no LLM), `threads --week`, a no-op `sync`, and
# full indexing next to `git cat-file --batch-all-objects --batch` summed over
# the epochs. Archives go to a temporary folder, or are kept and reused in
# $BENCH_SCALE_DIR when set (a million messages take minutes to make).
#
#        scripts/bench.sh --rolling [SINCE [UNTIL]]   (default 2022-02-14 2022-03-13)
# Rolling summaries: prompt tokens of a kvmarm backfill (weekly reports from
# SINCE to UNTIL, English or $BENCH_ROLLING_LANG, default num_ctx) with rolling summaries and with
# --no-rolling, against scripts/prompt-recorder.py (an OpenAI-compatible
# server that answers every request with a fixed cited summary of about 150
# words and logs each prompt's estimated tokens). Prints for both, from fresh
# summary caches: requests, total prompt tokens, the largest request, the
# requests that carried a HISTORY SUMMARY, and the costliest thread (its
# requests over all the weeks). BENCH_ROLLING_LOGS=DIR keeps the logs
# (tokens, characters, rolling, subject per request; DIR/off.tsv, DIR/on.tsv)
# and every prompt (DIR/prompts/NNNN.txt, no-rolling first). Debug build.
#
#        scripts/bench.sh --series [RUNS]   (default 3)
# Series ledger (release build), on kvmarm and, with BENCH_SYNTH=INBOX (an
# inbox made by ../shared/tools/synth-archive.py, e.g. a million messages; never
# commit it), on that archive too: the first sync (index and ledger), the
# ledger derived from scratch (its mark removed, then `series --json` of one
# day derives it), a no-op sync, `series --state new` of a month, one series'
# history by Message-ID, and a week's `report --no-llm` for comparison: a
# ledger query reads the series asked for, so it should cost about what a
# week's report costs however large the archive. Prints the median wall time
# of each. BENCH_CORPUS overrides the corpus path.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--series" ]; then
  RUNS=${2:-3}
  CORPUS=$(realpath "${BENCH_CORPUS:-../shared/corpora/kvmarm-columbia.git}" 2>/dev/null || true)
  if [ -z "$CORPUS" ] || [ ! -d "$CORPUS" ]; then
    echo "bench: ../shared/corpora/kvmarm-columbia.git not found" >&2
    exit 1
  fi
  cargo build --quiet --release
  BIN=$PWD/target/release/lore-digest
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  once() {
    local t0 t1
    t0=$(date +%s.%N); "$BIN" -q --data-dir "$DATA" "$@" >/dev/null; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
  }
  timed() {
    local label=$1; shift
    for _ in $(seq "$RUNS"); do once "$@"; done | median | xargs printf '%-44s %8.2f s\n' "$label"
  }
  unmark() {
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"DELETE FROM meta WHERE key='ledger_mark'\"); c.commit()" "$DATA/$LIST/index.sqlite3"
  }
  # bench_list NAME URL WEEK MONTH_SINCE MONTH_UNTIL ONE_MSGID
  bench_list() {
    LIST=$1; DATA=$TMP/$1
    echo "== $LIST"
    printf '%-44s %8.2f s\n' "first sync (index and ledger)" "$(once sync "$LIST" --url "$2")"
    printf '%-44s %s\n' "messages" "$("$BIN" -q --data-dir "$DATA" lists --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lists"][0]["messages"])')"
    for _ in $(seq "$RUNS"); do unmark; once series "$LIST" --since "$4" --until "$4" --json; done \
      | median | xargs printf '%-44s %8.2f s\n' "ledger from scratch"
    timed "no-op sync" sync "$LIST"
    timed "series --state new ($4..$5)" series "$LIST" --since "$4" --until "$5" --state new --json
    [ -n "$6" ] && timed "one series by Message-ID" series "$LIST" "$6" --json
    timed "report --week $3 --no-llm (json)" report "$LIST" --week "$3" --no-llm --format json --out "$TMP/out"
  }
  bench_list kvmarm "file://$CORPUS" 2022-W10 2022-03-01 2022-03-31 20220311002528.2230172-1-dmatlack@google.com
  if [ -n "${BENCH_SYNTH:-}" ]; then
    SYNTH=$(realpath "$BENCH_SYNTH")
    # A week and a month in the middle of the synthetic archive, and its
    # first patch mail of that week.
    bench_list synth "file://$SYNTH" "${BENCH_SYNTH_WEEK:-2001-W10}" "${BENCH_SYNTH_SINCE:-2001-03-01}" "${BENCH_SYNTH_UNTIL:-2001-03-31}" "${BENCH_SYNTH_MSGID:-}"
  fi
  exit 0
fi
if [ "${1:-}" = "--rolling" ]; then
  SINCE=${2:-2022-02-14}
  UNTIL=${3:-2022-03-13}
  RLANG=${BENCH_ROLLING_LANG:-en}
  CORPUS=$(realpath ../shared/corpora/kvmarm-columbia.git 2>/dev/null || true)
  if [ -z "$CORPUS" ] || [ ! -d "$CORPUS" ]; then
    echo "bench: ../shared/corpora/kvmarm-columbia.git not found" >&2
    exit 1
  fi
  cargo build --quiet
  BIN=$PWD/target/debug/lore-digest
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"; [ -n "${REC_PID:-}" ] && kill "$REC_PID" 2>/dev/null; true' EXIT
  "$BIN" -q --data-dir "$TMP/on" sync kvmarm --url "file://$CORPUS"
  cp -r "$TMP/on" "$TMP/off"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dump=()
  [ -n "${BENCH_ROLLING_LOGS:-}" ] && dump=(--dump "$BENCH_ROLLING_LOGS/prompts")
  python3 scripts/prompt-recorder.py --port "$PORT" --log "$TMP/log.tsv" "${dump[@]}" 2>/dev/null &
  REC_PID=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null && break; sleep 0.2; done
  printf 'kvmarm backfill %s..%s (%s, num_ctx 8192): prompt tokens as lore-digest estimates them\n' "$SINCE" "$UNTIL" "$RLANG"
  printf '%-12s %8s %10s %8s %8s %12s\n' mode requests tokens largest rolling costliest-thread
  for mode in off on; do
    flag=()
    [ "$mode" = off ] && flag=(--no-rolling)
    : > "$TMP/log.tsv"
    "$BIN" -q --data-dir "$TMP/$mode" report kvmarm --backfill --since "$SINCE" --until "$UNTIL" \
      --lang "$RLANG" --backend openai --llm-url "http://127.0.0.1:$PORT/v1" --model recorder \
      --format json --out "$TMP/out-$mode" "${flag[@]}" >/dev/null
    awk -F'\t' -v m="$([ "$mode" = on ] && echo rolling || echo no-rolling)" \
      '{ n++; t += $1; if ($1 > max) max = $1; r += $3; th[$4] += $1 }
       END { for (s in th) if (th[s] > tmax) tmax = th[s];
             printf "%-12s %8d %10d %8d %8d %12d\n", m, n, t, max, r, tmax }' "$TMP/log.tsv"
    [ -n "${BENCH_ROLLING_LOGS:-}" ] && mkdir -p "$BENCH_ROLLING_LOGS" && cp "$TMP/log.tsv" "$BENCH_ROLLING_LOGS/$mode.tsv"
  done
  exit 0
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time" >&2
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
if [ "${1:-}" = "--scale" ]; then
  exec bash scripts/bench-scale.sh "${@:2}"
fi
RUNS=${1:-5}
CORPUS=$(realpath ../shared/corpora/kvmarm-columbia.git 2>/dev/null || true)
if [ -z "$CORPUS" ] || [ ! -d "$CORPUS" ]; then
  echo "bench: ../shared/corpora/kvmarm-columbia.git not found" >&2
  exit 1
fi
cargo build --release --quiet
BIN=$PWD/target/release/lore-digest
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; [ -n "${HTTPD_PID:-}" ] && kill "$HTTPD_PID" 2>/dev/null; true' EXIT
RESULTS=$TMP/results.tsv
: > "$RESULTS"

# measure NAME PREP CMD: runs PREP (untimed) then CMD, RUNS times; records
# wall seconds and peak RSS (KB) of CMD.
measure() {
  local name=$1 prep=$2 cmd=$3
  for _ in $(seq "$RUNS"); do
    bash -c "$prep" >/dev/null 2>&1
    /usr/bin/time -f "%e %M" -o "$TMP/t" bash -c "$cmd" >/dev/null 2>&1
    printf '%s\t%s\n' "$name" "$(cat "$TMP/t")" >> "$RESULTS"
  done
}

D=$TMP/data
measure "git cat-file --batch-all-objects --batch" "true" \
  "git -C '$CORPUS' cat-file --batch-all-objects --batch"
measure "git log (all commits)" "true" "git -C '$CORPUS' log --format=%H%x09%s"
measure "lore-digest sync+index (file://, fresh)" "rm -rf '$D'" \
  "'$BIN' -q --data-dir '$D' sync kvmarm --url 'file://$CORPUS'"
measure "lore-digest sync (nothing new)" "true" "'$BIN' -q --data-dir '$D' sync kvmarm"
measure "lore-digest index --rebuild (index only)" "true" "'$BIN' -q --data-dir '$D' index kvmarm --rebuild"
measure "lore-digest stats --week (indexed)" "true" \
  "'$BIN' -q --data-dir '$D' stats kvmarm --week 2022-W10 --json"
if "$BIN" --help | grep -q '^  threads'; then
  measure "lore-digest threads whole corpus --json" "true" \
    "'$BIN' -q --data-dir '$D' threads kvmarm --since 2019-01-01 --until 2023-02-01 --json"
  measure "lore-digest threads --week (indexed)" "true" \
    "'$BIN' -q --data-dir '$D' threads kvmarm --week 2022-W10 --json"
fi
if "$BIN" --help | grep -q '^  report'; then
  measure "lore-digest report --week --no-llm" "rm -rf '$TMP/r'" \
    "'$BIN' -q --data-dir '$D' report kvmarm --week 2022-W10 --no-llm --format md,html,json --out '$TMP/r'"
fi

if command -v public-inbox-httpd >/dev/null; then
  PI=$TMP/pi
  export PI_CONFIG=$PI/config
  mkdir -p "$PI"
  public-inbox-init -V2 kvmarm "$PI/inbox" http://127.0.0.1/kvmarm kvmarm@example.org >/dev/null 2>&1
  rm -rf "$PI/inbox/git/0.git"
  git clone -q --mirror --no-hardlinks "$CORPUS" "$PI/inbox/git/0.git"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  public-inbox-httpd -W0 -l "http://127.0.0.1:$PORT" -1 "$PI/out.log" -2 "$PI/err.log" </dev/null >/dev/null 2>&1 &
  HTTPD_PID=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/kvmarm/manifest.js.gz" >/dev/null && break; sleep 0.2; done
  measure "git clone --mirror (smart HTTP, loopback)" "rm -rf '$TMP/gc'" \
    "git clone -q --mirror http://127.0.0.1:$PORT/kvmarm/0 '$TMP/gc'"
  measure "lore-digest sync+index (smart HTTP, fresh)" "rm -rf '$TMP/dh'" \
    "'$BIN' -q --data-dir '$TMP/dh' sync kvmarm --url http://127.0.0.1:$PORT/kvmarm"
fi

python3 - "$RESULTS" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, rest = line.rstrip("\n").split("\t")
    wall, rss = rest.split()
    rows.setdefault(name, []).append((float(wall), int(rss)))
base = statistics.median(w for w, _ in rows["git cat-file --batch-all-objects --batch"])
print(f"{'stage':48} {'median s':>9} {'min':>6} {'max':>6} {'peak MB':>8} {'x cat-file':>10}")
for name, v in rows.items():
    walls = [w for w, _ in v]
    med = statistics.median(walls)
    print(f"{name:48} {med:9.3f} {min(walls):6.2f} {max(walls):6.2f} {max(r for _, r in v)/1024:8.1f} {med/base:10.2f}")
print(f"({len(next(iter(rows.values())))} runs each; wall-clock medians; machine: {__import__('os').cpu_count()} cores)")
PY
