#!/usr/bin/env bash
# make bench: benchmarks on a throwaway cluster of their own (/tmp/spine/bench, port 54349,
# pg_cron and spine preloaded, shared_buffers 512MB, fsync on, wal_level replica). Each result
# is printed as a ratio against a named baseline measured in the same run, and appended to
# target/bench/results.tsv. BENCH_LISTINGS (default 1000000) sets the generator's size;
# BENCH=generator|hashing|governance|models|healing|pipelines|stores|onnx|workers runs one group (default: all);
# BENCH_FETCHES / BENCH_TEXTS size the workers group (jobs through the queue);
# STORES_SIZES (default "100000 1000000") the marketplace sizes the feature stores are read at.
# SPINE_PGBIN / SPINE_RUN_DIR run it against another PostgreSQL 15 installation / cluster directory.
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
# no preloaded job workers: the workers group launches its own and measures them alone
init_cluster "$DIR" "$PORT" "$DB" "spine.workers = 0"
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

bench_governance() {
  local n=1000000
  say "governance: audit.require_certified (fast path) and the strict guard on a $n-row store"
  mixed_table g1m "$n"
  q -c "CREATE OR REPLACE FUNCTION bench_trivial(regclass) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN END \$\$" \
    -c "SELECT audit.register_store('bench_g1m', 'id', 'seen', '{sold}', '{\"leakage_probe\": false}')" \
    -c "SELECT audit.certify('bench_g1m')" >/dev/null
  local calls=100000 guard trivial
  guard=$(best_of 3 guard -c "SELECT count(audit.require_certified('bench_g1m')) FROM generate_series(1, $calls)")
  trivial=$(best_of 3 trivial -c "SELECT count(bench_trivial('bench_g1m')) FROM generate_series(1, $calls)")
  local us
  us=$(awk -v t="$guard" -v n="$calls" 'BEGIN {printf "%.2f", t * 1e6 / n}')
  echo "    audit.require_certified: $us us per call ($calls calls in one statement)"
  report "require_certified x $calls" "$guard" "plpgsql_noop_function_x_$calls" "$trivial" "goal<=25us/call ($us us)" "$(awk -v u="$us" 'BEGIN {print (u <= 25) ? "PASS" : "MISS"}')"
  # pgbench: one guard call per transaction (the first pass of a transaction is recorded)
  local pg_dir f1 f2 tps_guard tps_trivial
  pg_dir=$(mktemp -d)
  echo "SELECT audit.require_certified('bench_g1m');" > "$pg_dir/guard.sql"
  echo "SELECT bench_trivial('bench_g1m');" > "$pg_dir/trivial.sql"
  chmod -R a+rX "$pg_dir"
  tps_guard=$("${AS_PG[@]}" "$PGBIN/pgbench" -n -T 10 -c 1 -h "$DIR" -p "$PORT" -U postgres -f "$pg_dir/guard.sql" "$DB" 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
  tps_trivial=$("${AS_PG[@]}" "$PGBIN/pgbench" -n -T 10 -c 1 -h "$DIR" -p "$PORT" -U postgres -f "$pg_dir/trivial.sql" "$DB" 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
  rm -rf "$pg_dir"
  echo "    pgbench, 1 client, 10 s: guard $tps_guard tps, no-op function $tps_trivial tps"
  report "pgbench_guard_latency_ms" "$(awk -v t="$tps_guard" 'BEGIN {printf "%.4f", 1000 / t}')" "pgbench_noop_latency_ms" "$(awk -v t="$tps_trivial" 'BEGIN {printf "%.4f", 1000 / t}')" "(info: each transaction records its pass)" ""
  q -c "SELECT count(*) FROM bench_g1m" >/dev/null
  local strict hash frozen
  hash=$(best_of 3 hash -c "SELECT audit.dataset_hash('bench_g1m')")
  strict=$(best_of 3 strict -c "SELECT audit.require_certified_strict('bench_g1m')")
  report "require_certified_strict 1M x 30" "$strict" "dataset_hash_same_store" "$hash" "(report ratio)" ""
  q -c "SELECT audit.register_store('bench_g1m', 'id', 'seen', '{sold}', '{\"leakage_probe\": false, \"frozen\": true}')" -c "SELECT audit.certify('bench_g1m')" >/dev/null
  frozen=$(best_of 3 frozen -c "SELECT audit.require_certified_strict('bench_g1m')")
  report "require_certified_strict frozen 1M" "$frozen" "dataset_hash_same_store" "$hash" "(report ratio)" ""
  q -c "DROP TABLE IF EXISTS bench_g1m" -c "DROP FUNCTION IF EXISTS bench_trivial(regclass)" >/dev/null
}

# landing batch of $1 observations at $2 (timestamptz literal): the first active listings seen
# again (every 20th 3 % cheaper), topped up with new listings of source 'bench-new' (prefix $3)
land_bench_batch() {
  local rows=$1 at=$2 prefix=$3
  q -c "SELECT spine.land_batch('bench', (
    SELECT jsonb_agg(o) FROM (
      SELECT jsonb_build_object('source', source, 'source_listing_id', source_listing_id, 'observed_at', '$at',
               'make', make, 'model', model, 'year', year, 'mileage_km', mileage_km, 'vin', vin, 'powertrain', powertrain,
               'price_eur', CASE WHEN listing_id % 20 = 0 THEN round(price_eur * 0.97) ELSE price_eur END) AS o
      FROM (SELECT * FROM marketplace.listings WHERE status = 'active' ORDER BY listing_id LIMIT $rows) l
      UNION ALL
      SELECT jsonb_build_object('source', 'bench-new', 'source_listing_id', '$prefix' || g, 'observed_at', '$at',
               'make', 'Skoda', 'model', 'Octavia', 'year', 2015 + g % 10, 'mileage_km', 10000 + g % 150000, 'price_eur', 8000 + g % 20000)
      FROM generate_series(1, greatest($rows - (SELECT count(*) FROM marketplace.listings WHERE status = 'active'), 0)) g) s))"
}

bench_pipelines() {
  local batch=100000
  say "pipelines: ingest of a $batch-row landing batch and marketplace_ingest_and_audit over $N listings"
  if [ "$(q -c "SELECT count(*) FROM marketplace.listings")" != "$N" ]; then
    q -c "SELECT spine.clear_demo_data()" -c "SET spine.demo_anchor = '2026-11-01 00:00+00'" -c "SELECT spine.generate_demo_data($N)" >/dev/null
  fi
  q -c "VACUUM ANALYZE" >/dev/null
  local a b ingest copy run
  a=$(land_bench_batch $batch "2026-11-01T06:00:00Z" a)
  # baseline: the same rows typed out of their JSON into a table shaped and indexed like listings
  copy=$(time_sql copy -c "CREATE SCHEMA IF NOT EXISTS bench" -c "CREATE TABLE bench.listings (LIKE marketplace.listings INCLUDING ALL)" \
    -c "INSERT INTO bench.listings (source, source_listing_id, make, model, year, price_eur, mileage_km, first_seen_at, last_seen_at)
        SELECT 'copy', payload->>'source_listing_id', payload->>'make', payload->>'model', (payload->>'year')::int,
               (payload->>'price_eur')::numeric(12,2), (payload->>'mileage_km')::int, (payload->>'observed_at')::timestamptz, (payload->>'observed_at')::timestamptz
        FROM marketplace.landing_listings WHERE batch_id = $a")
  ingest=$(time_sql ingest -c "SELECT * FROM spine.ingest_landing($a)")
  report "ingest_landing ${batch} rows" "$ingest" "typed_copy_of_the_rows_into_like_listings" "$copy" "(info: $(awk -v n=$batch -v t="$ingest" 'BEGIN {printf "%.0f", n / t}') rows/s)" ""
  # the audit of batch a (a profile for the baseline), untimed; then a full run on a new batch
  q -c "SELECT status FROM spine.run_pipeline('marketplace_ingest_and_audit')" >/dev/null
  b=$(land_bench_batch $batch "2026-11-01T06:30:00Z" b)
  run=$(time_sql run -c "SELECT status, message FROM spine.run_pipeline('marketplace_ingest_and_audit')")
  q -c "SELECT step || ': ' || status || ', ' || rows_affected || ' rows, ' || round(duration_ms) || ' ms' FROM spine.pipeline_steps
        WHERE run_id = (SELECT max(run_id) FROM spine.pipeline_runs) ORDER BY step_no" | sed 's/^/    /'
  report "marketplace_ingest_and_audit ${batch}/${N}" "$run" "ingest_landing_alone_same_batch_size" "$ingest" "(info: $(awk -v n=$batch -v t="$run" 'BEGIN {printf "%.0f", n / t}') rows/s)" ""
  local sanity survival
  sanity=$(time_sql sanity -c "SELECT status FROM spine.run_pipeline('status_sanity_audit_midnight')")
  survival=$(time_sql survival -c "SELECT status FROM spine.run_pipeline('survival_marketplace_daily')")
  echo "    status_sanity_audit_midnight over $N listings: ${sanity} s; survival_marketplace_daily: ${survival} s"
  q -c "DROP SCHEMA IF EXISTS bench CASCADE" >/dev/null
}

bench_healing() {
  say "healing: spine.dedupe over generated marketplaces (goal: 1M listings in <= 10 min on 2 cores, close to linear)"
  local n t rows first=""
  for n in 100000 300000 1000000; do
    q -c "SELECT spine.clear_demo_data()" >/dev/null
    q -c "SET spine.demo_anchor = '2026-11-01 00:00+00'" -c "SELECT spine.generate_demo_data($n)" >/dev/null
    t=$(time_sql dedupe -c "SELECT * FROM spine.dedupe(full => true)")
    rows=$(q -c "SELECT round(precision::numeric, 4) || ' / ' || round(recall::numeric, 4) || ' / ' || round(f1::numeric, 4) FROM spine.dedupe_quality()")
    echo "    $n listings: dedupe $t s; precision / recall / F1 against the planted reposts: $rows"
    [ -z "$first" ] && first=$t
    report "dedupe $n listings" "$t" "dedupe_100000_listings" "$first" "goal: 1M<=600s, linear" "$(awk -v a="$t" -v n="$n" 'BEGIN {print (n < 1000000 || a <= 600) ? "PASS" : "MISS"}')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "dedupe_quality_p_r_f1 $n" "$rows" "" "" "" "goal F1>=0.95" "" >> "$RESULTS"
  done
  # battery extraction throughput over the 1M generated descriptions
  local ex scan
  scan=$(best_of 2 scan -c "SELECT count(length(description)) FROM marketplace.listings")
  ex=$(best_of 2 extract -c "SELECT count(b.capacity_kwh) FROM marketplace.listings l, spine.extract_battery(l.description) b")
  echo "    spine.extract_battery: $(awk -v t="$ex" 'BEGIN {printf "%.0f", 1000000 / t}') descriptions/s"
  report "extract_battery 1M descriptions" "$ex" "scan_of_the_same_descriptions" "$scan" "(info: descriptions/s above)" ""
  t=$(time_sql refit -c "SELECT * FROM spine.refit_battery()")
  report "refit_battery 1M listings" "$t" "extract_battery_1M" "$ex" "(info)" ""
}

# Python baselines run in a virtual environment of their own (target/bench/venv)
bench_python() {
  local venv=target/bench/venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy==2.4.6 pandas lifelines==0.30.3 scikit-learn==1.9.1 "psycopg[binary]==3.2.13" >/dev/null
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
  bench_predict "$py"
}

# ml.predict of a logistic model over 1M rows: against the same model as an inline SQL
# expression and against fetching the rows into Python (psycopg) and scoring with scikit-learn
bench_predict() {
  local py=$1 n=1000000
  "$py" -c "import psycopg" 2>/dev/null || "$(dirname "$py")/pip" install -q "psycopg[binary]==3.2.13" >/dev/null
  say "models: ml.predict of a logistic model over $n rows (goal: <= 2x inline SQL, >= 10x faster than psycopg + scikit-learn)"
  q -c "DROP TABLE IF EXISTS bench_p" -c "CREATE TABLE bench_p AS
          SELECT g AS id, now() - (g % 1000) * interval '1 minute' AS t0,
                 sin(g) x0, cos(g) x1, sin(g * 0.5) x2, cos(g * 0.3) x3, (g % 7) / 7.0 x4, (g % 11) / 11.0 x5,
                 (g % 13) / 13.0 x6, sin(g * 0.7) x7, cos(g * 0.9) x8, (g % 17) / 17.0 x9,
                 (sin(g) + cos(g * 0.3) + (g % 7) / 7.0 + 0.3 * sin(g * 1.7)) > 0.5 AS y
          FROM generate_series(1, $n) g" -c "VACUUM ANALYZE bench_p" \
    -c "SELECT audit.register_store('bench_p', 'id', 't0', '{y}', '{\"leakage_probe\": false}')" -c "SELECT audit.certify('bench_p')" \
    -c "SELECT ml.train('bench_lr', 'bench_p', 'y', 'logistic_regression', ARRAY['x0','x1','x2','x3','x4','x5','x6','x7','x8','x9'])" >/dev/null
  local b0 coef inline expr ours pyres pysec
  b0=$(q -c "SELECT convert_from(artifact, 'UTF8')::jsonb->>'intercept' FROM ml.models WHERE name = 'bench_lr' ORDER BY version DESC LIMIT 1")
  coef=$(q -c "SELECT convert_from(artifact, 'UTF8')::jsonb->>'coef' FROM ml.models WHERE name = 'bench_lr' ORDER BY version DESC LIMIT 1")
  expr=$(echo "$coef" | python3 -c "import json,sys; c=json.load(sys.stdin); print(' + '.join('(%r)*x%d' % (v, i) for i, v in enumerate(c)))")
  q -c "SELECT count(*) FROM bench_p" >/dev/null
  ours=$(best_of 3 ours -c "SET max_parallel_workers_per_gather = 0" -c "SELECT sum(ml.predict('bench_lr', ARRAY[x0, x1, x2, x3, x4, x5, x6, x7, x8, x9])) FROM bench_p")
  inline=$(best_of 3 inline -c "SET max_parallel_workers_per_gather = 0" -c "SELECT sum(1 / (1 + exp(-(($b0) + $expr)))) FROM bench_p")
  pyres=$("$py" bench/predict_reference.py "host=$DIR port=$PORT user=postgres dbname=$DB" "$b0" "$coef")
  pysec=$(echo "$pyres" | python3 -c "import json,sys; print('%.2f' % json.load(sys.stdin)['seconds'])")
  echo "    sums: ml.predict $(q -c "SELECT round(sum(ml.predict('bench_lr', ARRAY[x0, x1, x2, x3, x4, x5, x6, x7, x8, x9]))::numeric, 6) FROM bench_p"), python $(echo "$pyres" | python3 -c "import json,sys; print('%.6f' % json.load(sys.stdin)['sum'])")"
  report "ml.predict logistic 1M rows" "$ours" "inline_SQL_expression_same_model" "$inline" "goal<=2x" "$(awk -v a="$ours" -v b="$inline" 'BEGIN {print (a / b <= 2) ? "PASS" : "MISS"}')"
  report "psycopg_fetch+sklearn 1M rows" "$pysec" "ml.predict_same_rows" "$ours" "goal>=10x" "$(awk -v a="$pysec" -v b="$ours" 'BEGIN {print (a / b >= 10) ? "PASS" : "MISS"}')"
  q -c "DROP TABLE IF EXISTS bench_p" >/dev/null
}

# Feature stores: every store read in full (all rows, all columns) at each size in STORES_SIZES.
# At 100k and below the best of 3 runs, with JIT off and with the session default (on): these
# views make large plans that JIT compiles for seconds. Above 100k one run with JIT off.
bench_stores() {
  local n stores s t base fit goal verdict jit runs
  stores="survival_feature_store_t0_v1_v geo_feature_store_t0_v1_v socio_market_feature_store_t0_v1_v trainer_derived_feature_store_t0_v1_v woe_anchor_feature_store_t0_v1_v fusion_feature_store_t0_v1_v"
  for n in ${STORES_SIZES:-100000 1000000}; do
    say "stores: reading each feature store over $n generated listings (goal at 100k: seconds, not minutes: <= 30 s each)"
    q -c "SELECT spine.clear_demo_data()" -c "SET spine.demo_anchor = '2026-11-01 00:00+00'" -c "SELECT spine.generate_demo_data($n)" >/dev/null
    fit=$(time_sql fit -c "SELECT ml.pin_woe_anchor_bins(ml.fit_woe_anchor_bins('2026-10-15 00:00+00'))")
    printf '%-34s %8.2f s\n' "fit_woe_anchor_bins $n" "$fit"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "fit_woe_anchor_bins $n" "$fit" "" "" "" "(info)" "" >> "$RESULTS"
    # baseline: reading the raw listings table, the stores' row source
    base=$(best_of 3 base -c "COPY (SELECT * FROM marketplace.listings) TO '/dev/null'")
    if [ "$n" -le 100000 ]; then runs=3; jit="off on"; else runs=1; jit="off"; fi
    for j in $jit; do
      for s in $stores; do
        t=$(best_of "$runs" "$s" -c "SET jit = $j" -c "COPY (SELECT * FROM ml.$s) TO '/dev/null'")
        goal="(info)"; verdict=""
        if [ "$n" = 100000 ]; then goal="goal<=30s"; verdict=$(awk -v t="$t" 'BEGIN {print (t <= 30) ? "PASS" : "MISS"}'); fi
        report "read ml.$s $n jit=$j" "$t" "COPY_marketplace.listings" "$base" "$goal" "$verdict"
      done
    done
  done
  q -c "SELECT spine.clear_demo_data()" >/dev/null
}

bench_onnx() {
  local n=1000000 texts=${BENCH_TEXTS:-1000} batch=32 fx=tests/fixtures/onnx
  local minilm=${SPINE_MODELS_DIR:-/usr/local/share/spine/models}/all-MiniLM-L6-v2-int8
  say "onnx: ml.predict of an imported ONNX logistic regression over $n rows against the native logistic model"
  q -c "DROP TABLE IF EXISTS bench_x, bench_store" \
    -c "CREATE TABLE bench_x AS SELECT i AS id, (random() * 4 - 2)::float8 AS f1, (random() * 4 - 2)::float8 AS f2,
          (random() * 4 - 2)::float8 AS f3, (random() * 4 - 2)::float8 AS f4 FROM generate_series(1, $n) i" \
    -c "CREATE TABLE bench_store AS SELECT id, now() - (id || ' minutes')::interval AS t0, f1, f2, f3, f4,
          random() < 1 / (1 + exp(-(f1 - f2 + 0.5 * f3))) AS y FROM bench_x WHERE id <= 20000" \
    -c "ALTER TABLE bench_store ADD PRIMARY KEY (id)" >/dev/null
  q -c "SELECT audit.register_store('bench_store', 'id', 't0', ARRAY['y'], '{\"leakage_probe\": false}')" \
    -c "SELECT audit.certify('bench_store')" \
    -c "SELECT version FROM ml.train('bench_native_lr', 'bench_store', 'y', 'logistic_regression', ARRAY['f1', 'f2', 'f3', 'f4'])" \
    -c "SELECT version FROM ml.import_onnx('bench_onnx_lr', decode('$(base64 -w0 $fx/logreg.onnx)', 'base64'), ARRAY['f1', 'f2', 'f3', 'f4'])" >/dev/null
  local native onnx batch_t
  native=$(best_of 3 native -c "SELECT sum(ml.predict('bench_native_lr', ARRAY[f1, f2, f3, f4])) FROM bench_x")
  onnx=$(best_of 3 onnx -c "SELECT sum(ml.predict('bench_onnx_lr', ARRAY[f1, f2, f3, f4])) FROM bench_x")
  batch_t=$(best_of 3 batch -c "SELECT sum(p) FROM (SELECT unnest(ml.predict_batch('bench_onnx_lr', array_agg(ARRAY[f1, f2, f3, f4]))) AS p
                                                  FROM bench_x GROUP BY id / 8192) q")
  echo "    rows/s: ml.predict ONNX $(awk -v t="$onnx" -v n=$n 'BEGIN {printf "%.0f", n / t}'), ml.predict_batch ONNX $(awk -v t="$batch_t" -v n=$n 'BEGIN {printf "%.0f", n / t}'), ml.predict native logistic $(awk -v t="$native" -v n=$n 'BEGIN {printf "%.0f", n / t}')"
  report "ml.predict ONNX logreg 1M rows" "$onnx" "ml.predict_native_logistic" "$native" "(info)" ""
  report "ml.predict_batch ONNX 1M rows" "$batch_t" "ml.predict_native_logistic" "$native" "(info)" ""
  q -c "DROP TABLE IF EXISTS bench_x, bench_store CASCADE" >/dev/null

  if [ ! -s "$minilm/model.onnx" ]; then
    echo "    SKIPPED text embeddings: all-MiniLM-L6-v2 is not installed (make models)"
    return 0
  fi
  say "onnx: ml.embed_texts with all-MiniLM-L6-v2 int8 ($texts listing texts, batch $batch, 1 thread) against Python onnxruntime"
  local venv=target/bench/venv-onnx
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q onnxruntime==1.31.1 tokenizers==0.23.3 numpy==2.4.6 >/dev/null
  fi
  local tf
  tf=$(mktemp /tmp/spine-bench-XXXX.txt)
  q -c "DROP TABLE IF EXISTS bench_t" \
    -c "CREATE TABLE bench_t AS SELECT row_number() OVER () AS i, title || '. ' || description AS t
          FROM spine.demo_listings($texts, 90, 42, '2026-11-01 00:00+00')" >/dev/null
  q -c "COPY (SELECT t FROM bench_t ORDER BY i) TO STDOUT (FORMAT csv)" > "$tf"
  scripts/models.sh register -h "$DIR" -p "$PORT" -U postgres -d "$DB" >/dev/null
  q -c "SELECT count(*) FROM ml.embed_texts('minilm', ARRAY['warm up'])" >/dev/null
  # spine and Python alternate (the machine is shared: both see the same load), best of 5 each
  local ours="" py_s="" t ref i
  for i in 1 2 3 4 5; do
    t=$(time_sql embed -c "SELECT count(*) FROM ml.embed_texts('minilm', (SELECT array_agg(t ORDER BY i) FROM bench_t))")
    ours=$(awk -v a="$t" -v b="${ours:-$t}" 'BEGIN {print (a < b) ? a : b}')
    ref=$("$venv/bin/python" bench/onnx_reference.py "$tf" "$minilm" "$batch" 1 1)
    t=$(echo "$ref" | "$venv/bin/python" -c "import json,sys; print('%.2f' % json.load(sys.stdin)['seconds'])")
    py_s=$(awk -v a="$t" -v b="${py_s:-$t}" 'BEGIN {print (a < b) ? a : b}')
  done
  rm -f "$tf"
  # the same numbers: sum of |x| over all embeddings
  echo "    checksum sum|x|: spine $(q -c "SELECT round(sum(abs(x)::float8)::numeric, 2) FROM ml.embed_texts('minilm', (SELECT array_agg(t ORDER BY i) FROM bench_t)) b, unnest(b.embedding) x"), Python $(echo "$ref" | "$venv/bin/python" -c "import json,sys; print('%.2f' % json.load(sys.stdin)['checksum'])")"
  local ours_sps py_sps
  ours_sps=$(awk -v t="$ours" -v n="$texts" 'BEGIN {printf "%.0f", n / t}')
  py_sps=$(awk -v t="$py_s" -v n="$texts" 'BEGIN {printf "%.0f", n / t}')
  echo "    sentences/s: spine $ours_sps, Python onnxruntime $py_sps (throughput ratio $(awk -v a="$ours_sps" -v b="$py_sps" 'BEGIN {printf "%.2f", a / b}')x, goal >= 0.9x)"
  report "ml.embed_texts MiniLM $texts texts" "$ours" "python_onnxruntime_same_batch" "$py_s" "goal<=1.11x" "$(awk -v a="$ours" -v b="$py_s" 'BEGIN {print (a <= b / 0.9) ? "PASS" : "MISS"}')"
  q -c "DROP TABLE IF EXISTS bench_t" >/dev/null
}

# seconds until no job of KIND is pending, running or failed (polling every 0.2 s)
drain_time() {
  local kind=$1 t0 t1
  t0=$(date +%s.%N)
  while [ "$(q -c "SELECT count(*) FROM spine.jobs WHERE kind = '$kind' AND state IN ('pending', 'running', 'failed')")" != 0 ]; do sleep 0.2; done
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | awk -F' - ' '{printf "%.2f", $1 - $2}'
}

bench_workers() {
  local m=${BENCH_FETCHES:-2000} texts=${BENCH_TEXTS:-1000} workers=2 portfile http_pid port
  say "workers: $m fetch_image jobs from a local HTTP server ($workers launched workers) against sequential Python urllib"
  portfile=$(mktemp)
  python3 pgrx-tests/http_fixture.py "$portfile" &
  http_pid=$!
  for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
  port=$(cat "$portfile")
  q -c "ALTER SYSTEM SET spine.fetch_allow_addresses = '127.0.0.1'" -c "SELECT pg_reload_conf()" >/dev/null
  q -c "SELECT spine.clear_demo_data()" \
    -c "INSERT INTO marketplace.listings (listing_id, source, source_listing_id, make, model, year, first_seen_at, last_seen_at)
        VALUES (1, 'bench', '1', 'Skoda', 'Octavia', 2020, now(), now())" \
    -c "INSERT INTO marketplace.listing_images (image_id, listing_id, position, url)
        SELECT i, 1, i, 'http://127.0.0.1:$port/solid/' || lpad(to_hex(i % 4096), 3, '0') || 'abc.png?w=640&h=480&n=' || i FROM generate_series(1, $m) i" >/dev/null
  local urls py_t fetch_t
  urls=$(mktemp)
  q -c "SELECT url FROM marketplace.listing_images ORDER BY image_id" > "$urls"
  py_t=$(python3 - "$urls" <<'PY'
import sys, time, urllib.request
urls = [u.strip() for u in open(sys.argv[1]) if u.strip()]
t0 = time.time()
for u in urls:
    with urllib.request.urlopen(u, timeout=10) as r:
        r.read()
print("%.2f" % (time.time() - t0))
PY
)
  q -c "SELECT spine.image_fetch_pending()" >/dev/null
  q -c "SELECT cardinality(spine.launch_workers($workers))" >/dev/null
  fetch_t=$(drain_time fetch_image)
  echo "    fetch jobs/s: queue with $workers workers $(awk -v t="$fetch_t" -v n=$m 'BEGIN {printf "%.0f", n / t}') (each: GET 640x480 PNG, decode, BLAKE3, dHash, store); Python urllib GET only, one thread: $(awk -v t="$py_t" -v n=$m 'BEGIN {printf "%.0f", n / t}') req/s"
  echo "    done: $(q -c "SELECT count(*) FROM spine.jobs WHERE kind = 'fetch_image' AND state = 'done'") of $m; stored $(q -c "SELECT count(*) FROM marketplace.image_fetches")"
  report "fetch_image $m jobs, $workers workers" "$fetch_t" "python_urllib_get_sequential" "$py_t" "(info)" ""
  q -c "SELECT spine.stop_workers()" >/dev/null
  kill "$http_pid" 2>/dev/null; rm -f "$portfile" "$urls"
  q -c "ALTER SYSTEM RESET spine.fetch_allow_addresses" -c "SELECT pg_reload_conf()" >/dev/null

  local minilm=${SPINE_MODELS_DIR:-/usr/local/share/spine/models}/all-MiniLM-L6-v2-int8
  if [ ! -s "$minilm/model.onnx" ]; then
    echo "    SKIPPED text embeddings through the queue: all-MiniLM-L6-v2 is not installed (make models)"
    return 0
  fi
  say "workers: $texts embed_text jobs with all-MiniLM-L6-v2 int8 (one session, then $workers workers) against ml.embed_text called directly"
  scripts/models.sh register -h "$DIR" -p "$PORT" -U postgres -d "$DB" >/dev/null
  q -c "SELECT spine.clear_demo_data()" -c "SET spine.demo_anchor = '2026-11-01 00:00+00'" -c "SELECT spine.generate_demo_data($texts, 90, 42)" \
    -c "SELECT spine.set_setting('images.text_model', 'minilm')" -c "SELECT count(*) FROM ml.embed_texts('minilm', ARRAY['warm up'])" >/dev/null
  local direct queued_one queued_w
  direct=$(best_of 3 direct -c "SELECT count(ml.embed_text('minilm', concat_ws(E'\n', nullif(btrim(title), ''), nullif(btrim(description), ''))))
                                FROM marketplace.listings WHERE title IS NOT NULL OR description IS NOT NULL")
  q -c "SELECT spine.image_embed()" >/dev/null
  queued_one=$(time_sql one -c "SELECT count(*) FROM spine.run_jobs($texts + 10)")
  q -c "DELETE FROM ml.text_embeddings" -c "DELETE FROM spine.jobs" -c "SELECT spine.image_embed()" >/dev/null
  q -c "SELECT cardinality(spine.launch_workers($workers))" >/dev/null
  queued_w=$(drain_time embed_text)
  q -c "SELECT spine.stop_workers()" >/dev/null
  local n
  n=$(q -c "SELECT count(*) FROM ml.text_embeddings")
  echo "    texts embedded: $n; jobs/s: direct ml.embed_text $(awk -v t="$direct" -v n="$n" 'BEGIN {printf "%.0f", n / t}'), queue in one session $(awk -v t="$queued_one" -v n="$n" 'BEGIN {printf "%.0f", n / t}'), queue with $workers workers $(awk -v t="$queued_w" -v n="$n" 'BEGIN {printf "%.0f", n / t}')"
  report "embed_text $n jobs, one session" "$queued_one" "ml.embed_text_direct" "$direct" "(queue overhead)" ""
  report "embed_text $n jobs, $workers workers" "$queued_w" "ml.embed_text_direct" "$direct" "(info)" ""
  q -c "SELECT spine.set_setting('images.text_model', NULL)" -c "SELECT spine.clear_demo_data()" >/dev/null
}

case "${BENCH:-all}" in
  all) bench_generator; bench_hashing; bench_governance; bench_models; bench_healing; bench_pipelines; bench_stores; bench_onnx; bench_workers ;;
  workers) bench_workers ;;
  healing) bench_healing ;;
  onnx) bench_onnx ;;
  governance) bench_governance ;;
  generator) bench_generator ;;
  hashing) bench_hashing ;;
  models) bench_models ;;
  pipelines) bench_pipelines ;;
  stores) bench_stores ;;
  *) echo "BENCH must be all, generator, hashing, governance, models, healing, pipelines, stores, onnx or workers" >&2; exit 2 ;;
esac

echo
echo "results appended to $RESULTS"
