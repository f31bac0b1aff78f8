#!/usr/bin/env bash
# `scripts/bench.sh --scale [MESSAGES [RUNS]]`: see scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIG=${1:-1000000}
RUNS=${2:-3}
SMALL=50000
PER_WEEK=3900
EPOCH=250000
SYNTH=$(realpath ../shared/tools/synth-archive.py 2>/dev/null || true)
if [ -z "$SYNTH" ] || [ ! -f "$SYNTH" ]; then
  echo "bench: ../shared/tools/synth-archive.py not found" >&2
  exit 1
fi
# BENCH_BIN: another lore-digest binary to measure (say, an older build).
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --quiet
fi
BIN=${BENCH_BIN:-$PWD/target/release/lore-digest}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ARCHIVES=${BENCH_SCALE_DIR:-$TMP/archives}
mkdir -p "$ARCHIVES"
RESULTS=$TMP/results.tsv
: > "$RESULTS"

# measure NAME RUNS CMD: runs CMD RUNS times; records wall seconds, peak
# RSS (KB) and CPU seconds (user + system, all threads): on a shared machine
# the CPU time varies much less than the wall time.
measure() {
  local name=$1 runs=$2 cmd=$3
  for _ in $(seq "$runs"); do
    if ! /usr/bin/time -f "%e %M %U %S" -o "$TMP/t" bash -c "$cmd" >"$TMP/out" 2>&1; then
      echo "bench: $name failed:" >&2
      tail -5 "$TMP/out" >&2
      exit 1
    fi
    printf '%s\t%s\n' "$name" "$(tail -1 "$TMP/t")" >> "$RESULTS"
  done
}

for n in "$SMALL" "$BIG"; do
  weeks=$(( (n + PER_WEEK - 1) / PER_WEEK ))
  a=$ARCHIVES/synth-$n
  if [ ! -d "$a/git" ]; then
    echo "bench: making $a ($n messages, $weeks weeks)" >&2
    rm -rf "$a"
    python3 "$SYNTH" "$a" --messages "$n" --weeks "$weeks" --epoch-size "$EPOCH" >&2
  fi
  # A week in the middle of the archive (synth-archive starts 2015-01-05).
  week=$(python3 -c "import datetime as d; t=d.date(2015,1,5)+d.timedelta(weeks=$weeks//2); y,w,_=t.isocalendar(); print(f'{y}-W{w:02d}')")
  label="$n msgs"
  D=$TMP/data-$n
  measure "$label: git cat-file --batch-all-objects --batch (all epochs)" 1 \
    "for e in '$a'/git/*.git; do git -C \"\$e\" cat-file --batch-all-objects --batch >/dev/null; done"
  measure "$label: sync (full index)" 1 \
    "rm -rf '$D'; '$BIN' -q --data-dir '$D' sync synth --url '$a'"
  measure "$label: sync (nothing new)" "$RUNS" "'$BIN' -q --data-dir '$D' sync synth"
  measure "$label: threads --week $week" "$RUNS" \
    "'$BIN' -q --data-dir '$D' threads synth --week $week --json"
  measure "$label: report --week $week --no-llm" "$RUNS" \
    "rm -rf '$TMP/r'; '$BIN' -q --data-dir '$D' report synth --week $week --no-llm --format md,html,json --out '$TMP/r'"
  rm -rf "$D"
done

python3 - "$RESULTS" "$SMALL" "$BIG" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, rest = line.rstrip("\n").split("\t")
    wall, rss, user, system = rest.split()
    rows.setdefault(name, []).append((float(wall), int(rss), float(user) + float(system)))
small, big = sys.argv[2], sys.argv[3]
med = {k: statistics.median(w for w, _, _ in v) for k, v in rows.items()}
cpu = {k: statistics.median(c for _, _, c in v) for k, v in rows.items()}
peak = {k: max(r for _, r, _ in v) / 1024 for k, v in rows.items()}
print(f"{'stage':64} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'runs':>5}")
for k, v in rows.items():
    print(f"{k:64} {med[k]:9.2f} {cpu[k]:7.2f} {peak[k]:8.1f} {len(v):5}")
def find(n, prefix):
    return next(k for k in rows if k.startswith(f"{n} msgs: {prefix}"))
print()
for what in ["report --week", "threads --week", "sync (nothing new)"]:
    s, b = find(small, what), find(big, what)
    print(f"{what:20} {big} vs {small} messages: time x{med[b]/med[s]:.2f} (cpu x{cpu[b]/max(cpu[s], 0.01):.2f}), peak memory x{peak[b]/peak[s]:.2f}")
for n in (small, big):
    i, c = find(n, "sync (full index)"), find(n, "git cat-file")
    print(f"full index of {n} messages: {med[i]:.1f} s = x{med[i]/med[c]:.2f} git cat-file ({med[c]:.1f} s), "
          f"cpu x{cpu[i]/cpu[c]:.2f}, peak {peak[i]:.0f} MB")
PY
