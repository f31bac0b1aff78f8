#!/usr/bin/env bash
# Fuzz lore-digest with cargo-fuzz (libFuzzer), one job per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGET defaults to every target of
# tests/fuzz (parse_message, thread_messages). Installs cargo-fuzz when it is
# missing, seeds the parse_message corpus with a sample of real messages from
# ../shared/corpora/kvmarm-columbia.git when that exists (into
# tests/fuzz/corpus/, git-ignored; the messages are never copied into the
# repository) plus the regression inputs, then runs each target and prints
# libFuzzer's executions per second and total executions. Exits non-zero when
# a target crashes, leaving the artifact under tests/fuzz/artifacts/TARGET/.
#
# The installed toolchain is stable: RUSTC_BOOTSTRAP=1 lets it take the
# nightly-only flags cargo-fuzz passes. AddressSanitizer is used when it
# links (FUZZ_SANITIZER=none to skip it). Environment:
#   FUZZ_SANITIZER   address (default) or none
#   FUZZ_SEEDS       how many corpus messages to sample (default 300)
#   FUZZ_MAX_SEED    largest message to sample, in bytes (default 16384)
#   FUZZ_CORPUS_GIT  the public-inbox epoch to sample from
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
shift || true
case "$secs" in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a number, got '$secs'" >&2; exit 2 ;;
esac
fuzz_dir=tests/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse_message thread_messages)
fi
seeds="${FUZZ_SEEDS:-300}"
max_seed="${FUZZ_MAX_SEED:-16384}"
corpus_git="${FUZZ_CORPUS_GIT:-../shared/corpora/kvmarm-columbia.git}"
export RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# Start from the main crate's lock file so the fuzz build uses the same
# dependency versions (the fuzz crate's lock file is not kept).
[ -f "$fuzz_dir/Cargo.lock" ] || cp Cargo.lock "$fuzz_dir/Cargo.lock"

# Debug assertions (and so overflow checks) on, like `cargo test`.
fuzz_args=(--fuzz-dir "$fuzz_dir" --debug-assertions)
san="${FUZZ_SANITIZER:-address}"
mkdir -p "$fuzz_dir/logs"
build_log="$fuzz_dir/logs/build.log"
echo "fuzz.sh: building the fuzz targets (-s $san), log $build_log"
if ! cargo fuzz build "${fuzz_args[@]}" -s "$san" >"$build_log" 2>&1; then
  if [ "$san" = none ]; then
    tail -30 "$build_log" >&2
    exit 1
  fi
  echo "fuzz.sh: building with -s $san failed; falling back to -s none" >&2
  san=none
  if ! cargo fuzz build "${fuzz_args[@]}" -s none >"$build_log" 2>&1; then
    tail -30 "$build_log" >&2
    exit 1
  fi
fi
fuzz_args+=(-s "$san")

# Seeds: a sample of real messages (parse_message) and every regression input.
seed_parse() {
  local dir="$fuzz_dir/corpus/parse_message"
  mkdir -p "$dir"
  cp -f "$fuzz_dir"/regressions/parse_message/* "$dir"/ 2>/dev/null || true
  if [ ! -d "$corpus_git" ]; then
    echo "fuzz.sh: $corpus_git not found; seeding with the regression inputs only"
    return
  fi
  if [ "$(find "$dir" -name 'seed-*' | wc -l)" -ge "$seeds" ]; then
    return
  fi
  local all step
  all=$(git --git-dir="$corpus_git" cat-file --batch-all-objects --batch-check \
    | awk -v max="$max_seed" '$2 == "blob" && $3 <= max { print $1 }')
  step=$(( $(printf '%s\n' "$all" | wc -l) / seeds ))
  [ "$step" -ge 1 ] || step=1
  # Blobs in hash order are in no particular order: every step-th one is a
  # fair sample. Each goes to its own file, named by its blob id.
  printf '%s\n' "$all" | awk -v s="$step" -v n="$seeds" 'NR % s == 0 && c++ < n' \
    | while read -r oid; do
        git --git-dir="$corpus_git" cat-file blob "$oid" > "$dir/seed-$oid"
      done
  echo "fuzz.sh: seeded $(find "$dir" -name 'seed-*' | wc -l) messages from $corpus_git"
}
seed_parse

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$fuzz_dir/corpus/$t"
  mkdir -p "$corpus" "$fuzz_dir/artifacts/$t"
  log="$fuzz_dir/logs/$t.log"
  echo "fuzz.sh: $t for ${secs}s (one job, -s $san), log $log"
  rc=0
  cargo fuzz run "${fuzz_args[@]}" "$t" "$corpus" -- \
    -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  line="$t: ${execs:-?} executions, ${rate:-?} exec/s, ${units:-?} new units"
  if [ "$rc" -ne 0 ]; then
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    line+=", FAILED (exit $rc) artifact: ${artifact:-see $log}"
    failed+=("$t")
    grep -m1 -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer)' "$log" >&2 || tail -20 "$log" >&2
  fi
  echo "fuzz.sh: $line"
  summary+=("$line")
done

echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  echo "fuzz.sh: minimize with: RUSTC_BOOTSTRAP=1 cargo fuzz tmin ${fuzz_args[*]} TARGET ARTIFACT" >&2
  exit 1
fi
