#!/usr/bin/env bash
# make bench: benchmarks on a throwaway cluster of their own (/tmp/spine/bench, port 54349,
# pg_cron and spine preloaded, shared_buffers 512MB, fsync on, wal_level replica). Each result
# is printed as a ratio against a named baseline measured in the same run, and appended to
# target/bench/results.tsv. BENCH_LISTINGS (default 1000000) sets the generator's size;
# BENCH=generator|hashing|models|stores runs one group (default: all); STORES_SIZES (default
# "100000 1000000") the marketplace sizes the feature stores are read at.
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

# best_of N LABEL SQL...: the fastest of N runs (the first warms the cache like the others)
best_of() {
  local n=$1 best="" t i
  shift
  for i in $(seq "$n"); do
    t=$(time_sql "$@")
    best=$(awk -v a="$t" -v b="${best:-$t}" 'BEGIN {print (a < b) ? a : b}')
  done
  echo "$best"
}

# report NAME SECONDS BASELINE_NAME BASELINE_SECONDS GOAL_TEXT VERDICT
report() {
  local ratio
  ratio=$(awk -v a="$2" -v b="$4" 'BEGIN {printf "%.2f", a / b}')
  printf '%-34s %8.2f s   vs %-32s %8.2f s   ratio %5.2fx   %s %s\n' "$1" "$2" "$3" "$4" "$ratio" "$5" "$6"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$1" "$2" "$3" "$4" "$ratio" "$5" "$6" >> "$RESULTS"
}

bench_generator() {
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
}

# peak anonymous memory (kB) of backend PID while it runs: sampled every 20 ms by the caller
sample_peak() {
  local pid=$1 peak=0 v
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
    sleep 0.02
  done
  echo "$peak"
}

# peak_rss SQL: peak RssAnon (kB) of a fresh backend running SQL with a serial plan
peak_rss() {
  "$PGBIN/psql" -X -q -h "$DIR" -p "$PORT" -U postgres -d "$DB" -tA \
    -c "SET max_parallel_workers_per_gather = 0" -c "SELECT pg_sleep(0.3)" -c "$1" >/dev/null &
  local client=$! pid=""
  while [ -z "$pid" ] && kill -0 "$client" 2>/dev/null; do
    pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid() LIMIT 1")
  done
  local peak=0
  [ -n "$pid" ] && peak=$(sample_peak "$pid")
  wait "$client"
  echo "$peak"
}

# mixed_table NAME ROWS: ~30 columns of the usual types
mixed_table() {
  q -c "DROP TABLE IF EXISTS bench_$1" -c "CREATE TABLE bench_$1 AS
    SELECT g AS id, g::bigint * 7919 AS big, (g % 1000)::smallint AS small, g % 3 = 0 AS flag,
           (g * 1.37)::numeric(12,2) AS price, g / 7.0 AS ratio, g::float8 / 3 AS f8, (g % 100)::float4 / 7 AS f4,
           'listing ' || g AS title, md5(g::text) AS hash_text, repeat('x', g % 50) AS pad,
           CASE WHEN g % 10 = 0 THEN NULL ELSE 'maybe ' || g END AS maybe,
           timestamptz '2026-01-01 00:00+00' + g * interval '1 minute' AS ts, date '2020-01-01' + g % 2000 AS d,
           make_interval(days => g % 30) AS iv, jsonb_build_object('k', g % 17, 'v', g) AS doc,
           ARRAY[g % 5, g % 7] AS arr, ARRAY['a' || g % 3, 'b'] AS tags,
           g % 13 AS c1, g % 17 AS c2, g % 19 AS c3, g % 23 AS c4, (g % 29)::bigint AS c5, (g % 31)::numeric AS c6,
           'DE-' || g % 16 AS region, (g % 9) * 1000 + 500 AS km, (2000 + g % 25)::int AS year,
           g % 2 = 0 AS sold, now()::date - (g % 90) AS seen, 'note' AS note
    FROM generate_series(1, $2) g" -c "VACUUM ANALYZE bench_$1" >/dev/null
}

bench_hashing() {
  local n=1000000
  say "hashing: audit.dataset_hash on $n rows x 30 mixed columns"
  mixed_table h1m "$n"
  q -c "SELECT pg_size_pretty(pg_table_size('bench_h1m'))" | sed 's/^/    table size /'
  # warm the cache the same way for every contender
  q -c "SELECT count(*) FROM bench_h1m" >/dev/null
  local copy hash hash_par md5
  copy=$(best_of 3 copy -c "COPY (SELECT * FROM bench_h1m) TO '/dev/null' (FORMAT binary)")
  hash=$(best_of 3 hash -c "SET max_parallel_workers_per_gather = 0" -c "SELECT audit.dataset_hash('bench_h1m')")
  hash_par=$(best_of 3 hashp -c "SELECT audit.dataset_hash('bench_h1m')")
  md5=$(best_of 3 md5 -c "SELECT md5(string_agg(t::text, '' ORDER BY t::text)) FROM bench_h1m t")
  report "dataset_hash 1M x 30 (serial)" "$hash" "COPY_binary_to_dev_null" "$copy" "goal<=1.5x" "$(awk -v a="$hash" -v b="$copy" 'BEGIN {print (a / b <= 1.5) ? "PASS" : "MISS"}')"
  report "dataset_hash 1M x 30 (defaults)" "$hash_par" "COPY_binary_to_dev_null" "$copy" "(info)" ""
  # both under the session defaults (dataset_hash may use parallel workers; string_agg ORDER BY cannot)
  report "md5_string_agg_sorted 1M x 30" "$md5" "dataset_hash_default_settings" "$hash_par" "goal>=5x" "$(awk -v a="$md5" -v b="$hash_par" 'BEGIN {print (a / b >= 5) ? "PASS" : "MISS"}')"
  report "md5_string_agg_sorted 1M x 30" "$md5" "dataset_hash_serial" "$hash" "(info)" ""

  say "hashing: peak backend memory (RssAnon, sampled every 20 ms), serial plans"
  # baseline: the same scan forming the same whole-row values without hashing them
  q -c "DROP TABLE IF EXISTS bench_h5m" -c "CREATE TABLE bench_h5m AS SELECT b.* FROM bench_h1m b, generate_series(1, 5)" -c "VACUUM ANALYZE bench_h5m" >/dev/null
  local table rows peak base
  for table in bench_h1m bench_h5m; do
    rows=$(q -c "SELECT count(*) FROM $table")
    peak=$(peak_rss "SELECT audit.dataset_hash('$table')")
    base=$(peak_rss "SELECT count(*) FROM (SELECT t FROM $table t) x WHERE t IS NOT NULL")
    printf '%-34s %8s kB peak RssAnon   vs whole-row scan alone %8s kB   difference %6s kB\n' "dataset_hash $rows rows" "$peak" "$base" "$((peak - base))"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "dataset_hash_peak_rss_anon_kb $rows" "$peak" "whole_row_scan_peak_rss_anon_kb" "$base" "" "flat" "" >> "$RESULTS"
  done
  q -c "DROP TABLE IF EXISTS bench_h1m, bench_h5m" >/dev/null
}

# Python baselines run in a virtual environment of their own (target/bench/venv)
bench_python() {
  local venv=target/bench/venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy==2.4.6 pandas lifelines==0.30.3 scikit-learn==1.9.1 >/dev/null
  fi
  echo "$venv/bin/python"
}

bench_models() {
  local n=100000 py csv ref
  say "models: ml.coxph and ml.logistic_fit on $n rows x 10 covariates against lifelines and scikit-learn"
  py=$(bench_python)
  csv=$(mktemp /tmp/spine-bench-XXXX.csv)
  chmod 644 "$csv"
  ref=$("$py" bench/models_reference.py "$csv" "$n")
  q -c "DROP TABLE IF EXISTS bench_m" -c "CREATE TABLE bench_m (t float8, e bool, y bool, x0 float8, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, x6 float8, x7 float8, x8 float8, x9 float8)" \
    -c "COPY bench_m FROM '$csv' (FORMAT csv)" -c "DROP TABLE IF EXISTS bench_arrays" \
    -c "CREATE TABLE bench_arrays AS SELECT array_agg(t ORDER BY ctid) t, array_agg(e ORDER BY ctid) e, array_agg(y ORDER BY ctid) y,
          array_agg(ARRAY[x0, x1, x2, x3, x4, x5, x6, x7, x8, x9] ORDER BY ctid) x FROM bench_m" >/dev/null
  rm -f "$csv"
  local cox lr
  cox=$(best_of 3 cox -c "SELECT (ml.coxph(t, e, x, ARRAY['x0','x1','x2','x3','x4','x5','x6','x7','x8','x9'])).coef FROM bench_arrays")
  lr=$(best_of 3 lr -c "SELECT coef FROM bench_arrays, ml.logistic_fit(x, y)")
  lr=$(printf '%.3f' "$lr")
  local lcox llr
  lcox=$(echo "$ref" | "$py" -c "import json,sys; print('%.2f' % json.load(sys.stdin)['lifelines_coxph_s'])")
  llr=$(echo "$ref" | "$py" -c "import json,sys; print('%.3f' % json.load(sys.stdin)['sklearn_lbfgs_s'])")
  local llrt
  llrt=$(echo "$ref" | "$py" -c "import json,sys; print('%.3f' % json.load(sys.stdin)['sklearn_lbfgs_tight_s'])")
  # equal numbers: compare the coefficients
  local ours_cox ours_lr
  ours_cox=$(q -c "SELECT array_to_json((ml.coxph(t, e, x, ARRAY['x0','x1','x2','x3','x4','x5','x6','x7','x8','x9'])).coef) FROM bench_arrays")
  ours_lr=$(q -c "SELECT array_to_json(coef) FROM bench_arrays, ml.logistic_fit(x, y)")
  echo "$ref" | "$py" -c "
import json, sys
r = json.load(sys.stdin); c = json.loads('$ours_cox'); l = json.loads('$ours_lr')
print('    max |coef difference| cox vs lifelines: %.2e; logistic vs lbfgs default tol: %.2e, vs lbfgs tol=1e-12: %.2e' % (
    max(abs(a - b) for a, b in zip(c, r['cox_coef'])), max(abs(a - b) for a, b in zip(l, r['lr_coef'])),
    max(abs(a - b) for a, b in zip(l, r['lr_tight_coef']))))"
  report "ml.coxph 100k x 10 (Efron)" "$cox" "lifelines_CoxPHFitter" "$lcox" "goal<1x" "$(awk -v a="$cox" -v b="$lcox" 'BEGIN {print (a < b) ? "PASS" : "MISS"}')"
  report "ml.logistic_fit 100k x 10" "$lr" "sklearn_lbfgs_tol1e-12_equal_numbers" "$llrt" "goal<1x" "$(awk -v a="$lr" -v b="$llrt" 'BEGIN {print (a < b) ? "PASS" : "MISS"}')"
  report "ml.logistic_fit 100k x 10" "$lr" "sklearn_lbfgs_default_tol" "$llr" "(info: stops early)" ""
  q -c "DROP TABLE IF EXISTS bench_m, bench_arrays" >/dev/null
}

# read_store STORE: wall seconds of reading every row and column of the store once
read_store() {
  time_sql read -c "SET jit = ${STORES_JIT:-on}" -c "COPY (SELECT * FROM ml.$1) TO '/dev/null'"
}

bench_stores() {
  local n stores s t base fit goal verdict
  stores="survival_feature_store_t0_v1_v geo_feature_store_t0_v1_v socio_market_feature_store_t0_v1_v trainer_derived_feature_store_t0_v1_v woe_anchor_feature_store_t0_v1_v fusion_feature_store_t0_v1_v"
  for n in ${STORES_SIZES:-100000 1000000}; do
    say "stores: reading each feature store over $n generated listings (goal at 100k: seconds, <= 10 s each)"
    q -c "SELECT spine.clear_demo_data()" -c "SET spine.demo_anchor = '2026-11-01 00:00+00'" -c "SELECT spine.generate_demo_data($n)" >/dev/null
    fit=$(time_sql fit -c "SELECT ml.pin_woe_anchor_bins(ml.fit_woe_anchor_bins('2026-10-15 00:00+00'))")
    printf '%-34s %8.2f s\n' "fit_woe_anchor_bins $n" "$fit"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "fit_woe_anchor_bins $n" "$fit" "" "" "" "(info)" "" >> "$RESULTS"
    # baseline: reading the raw listings table, the store's row source
    q -c "COPY (SELECT * FROM marketplace.listings) TO '/dev/null'" >/dev/null
    base=$(best_of 3 base -c "COPY (SELECT * FROM marketplace.listings) TO '/dev/null'")
    for s in $stores; do
      if [ "$n" -le 100000 ]; then t=$(best_of 3 "$s" -c "SET jit = ${STORES_JIT:-on}" -c "COPY (SELECT * FROM ml.$s) TO '/dev/null'"); else t=$(read_store "$s"); fi
      goal="(info)"; verdict=""
      if [ "$n" = 100000 ]; then goal="goal<=10s"; verdict=$(awk -v t="$t" 'BEGIN {print (t <= 10) ? "PASS" : "MISS"}'); fi
      report "read ml.$s $n" "$t" "COPY_marketplace.listings" "$base" "$goal" "$verdict"
    done
  done
  q -c "SELECT spine.clear_demo_data()" >/dev/null
}

case "${BENCH:-all}" in
  all) bench_generator; bench_hashing; bench_models; bench_stores ;;
  generator) bench_generator ;;
  hashing) bench_hashing ;;
  models) bench_models ;;
  stores) bench_stores ;;
  *) echo "BENCH must be all, generator, hashing, models or stores" >&2; exit 2 ;;
esac

echo
echo "results appended to $RESULTS"
