#!/usr/bin/env bash
# make bench: benchmarks on a throwaway cluster of their own (/tmp/spine/bench, port 54349,
# pg_cron and spine preloaded, shared_buffers 512MB, fsync on, wal_level replica). Each result
# is printed as a ratio against a named baseline measured in the same run, and appended to
# target/bench/results.tsv. BENCH_LISTINGS (default 1000000) sets the generator's size.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

DIR="$RUN_DIR/bench"
PORT=54349
DB=spine_bench
N=${BENCH_LISTINGS:-1000000}
OUT=target/bench
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"

stop_cluster "$DIR"
say "building and installing spine (release)"
install_release 2>&1 | grep -E "Finished|error" || true
rm -rf "$DIR"
init_cluster "$DIR" "$PORT" "$DB"
start_cluster "$DIR"
trap 'stop_cluster "$DIR"' EXIT
create_db "$DIR" "$PORT" "$DB"
q() { psql_in "$DIR" "$PORT" "$DB" -tA "$@"; }
q -c "CREATE EXTENSION IF NOT EXISTS pg_cron" -c "CREATE EXTENSION spine" >/dev/null

# time_sql LABEL SQL...: wall seconds of the statements, run in one session
time_sql() {
  local t0 t1
  shift
  t0=$(date +%s.%N)
  q "$@" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | awk -F' - ' '{printf "%.2f", $1 - $2}'
}

# report NAME SECONDS BASELINE_NAME BASELINE_SECONDS GOAL_TEXT VERDICT
report() {
  local ratio
  ratio=$(awk -v a="$2" -v b="$4" 'BEGIN {printf "%.2f", a / b}')
  printf '%-34s %8.2f s   vs %-32s %8.2f s   ratio %5.2fx   %s %s\n' "$1" "$2" "$3" "$4" "$ratio" "$5" "$6"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$1" "$2" "$3" "$4" "$ratio" "$5" "$6" >> "$RESULTS"
}

say "generator: spine.generate_demo_data($N) (goal: 1M listings with their events in <= 90 s)"
gen=$(time_sql gen -c "SET spine.demo_anchor = '2026-11-01 00:00+00'" -c "SELECT spine.generate_demo_data($N)")
counts=$(q -c "SELECT (SELECT count(*) FROM marketplace.listings) || ' listings, ' || (SELECT count(*) FROM marketplace.listing_events) || ' events, ' || (SELECT count(*) FROM marketplace.listing_images) || ' images'")
echo "    wrote $counts"
# baseline: writing exactly the same rows by copying them into identical tables (same columns,
# indexes and constraints) — the cost of the writes alone, without generating anything
base=$(time_sql base -c "CREATE SCHEMA IF NOT EXISTS bench" \
  -c "CREATE TABLE bench.listings (LIKE marketplace.listings INCLUDING ALL)" \
  -c "CREATE TABLE bench.listing_events (LIKE marketplace.listing_events INCLUDING ALL)" \
  -c "CREATE TABLE bench.listing_images (LIKE marketplace.listing_images INCLUDING ALL)" \
  -c "INSERT INTO bench.listings SELECT * FROM marketplace.listings" \
  -c "INSERT INTO bench.listing_events SELECT * FROM marketplace.listing_events" \
  -c "INSERT INTO bench.listing_images SELECT * FROM marketplace.listing_images")
goal=$(awk -v n="$N" 'BEGIN {printf "%.1f", 90 * n / 1000000}')
verdict=$(awk -v t="$gen" -v g="$goal" 'BEGIN {print (t <= g) ? "PASS" : "MISS"}')
report "generate_demo_data($N)" "$gen" "copy_same_rows_into_like_tables" "$base" "goal<=${goal}s" "$verdict"
q -c "DROP SCHEMA bench CASCADE" >/dev/null

echo
echo "results appended to $RESULTS"
