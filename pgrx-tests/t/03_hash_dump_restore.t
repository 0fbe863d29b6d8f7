# Dataset and view-definition hashes survive pg_dump and a restore into another database (where
# every user type, function and relation has new OIDs), and the dataset hash of a relation is
# the same when its rows are read by parallel workers.
. "$(dirname "$0")/../lib.sh"
plan 5

SRC=$SPINE_E2E_DB
DST=spine_e2e_restored
sql postgres "DROP DATABASE IF EXISTS $DST" >/dev/null
sql postgres "CREATE DATABASE $DST" >/dev/null
sql "DROP SCHEMA IF EXISTS hx CASCADE" >/dev/null 2>&1
sql "CREATE EXTENSION IF NOT EXISTS spine" >/dev/null
sql "CREATE SCHEMA hx;
     CREATE TYPE hx.colour AS ENUM ('red', 'green', 'blue');
     CREATE DOMAIN hx.price AS numeric(12,2) CHECK (VALUE > 0);
     CREATE TYPE hx.pair AS (k text, c hx.colour);
     CREATE TABLE hx.items AS
       SELECT g AS id, (g * 10.5)::hx.price AS price, (ARRAY['red','green','blue'])[1 + g % 3]::hx.colour AS colour,
              ARRAY[ROW('k' || g, 'blue')::hx.pair] AS pairs, ARRAY[(ARRAY['red','green'])[1 + g % 2]::hx.colour] AS colours,
              jsonb_build_object('g', g, 'half', g / 2.0) AS doc, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour' AS ts,
              CASE WHEN g % 5 = 0 THEN NULL ELSE '漢字 ' || g END AS label
       FROM generate_series(1, 50000) g;
     CREATE FUNCTION hx.band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT CASE WHEN p < 100 THEN 'low' ELSE 'high' END \$\$;
     CREATE VIEW hx.store AS SELECT id, hx.band(price) AS band, colour FROM hx.items WHERE colour <> 'green';" >/dev/null

src_data=$(sql "SELECT audit.dataset_hash('hx.items')")
src_view=$(sql "SELECT audit.dataset_hash('hx.store')")
src_def=$(sql "SELECT audit.viewdef_hash('hx.store')")

# parallel workers read the same rows: same hash
par=$(sql "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
           SELECT audit.hash_agg(t.*) FROM hx.items t")
is "$par" "$src_data" "parallel aggregation gives the serial dataset hash"

sql "$DST" "CREATE EXTENSION spine; CREATE TYPE hx_shift AS ENUM ('x')" >/dev/null   # shift OIDs in the target
"$PGBIN/pg_dump" -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -n hx "$SRC" 2>/dev/null \
  | "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$DST" >/dev/null 2>&1
ok $? "pg_dump of the schema restores into another database"
is "$(sql "$DST" "SELECT audit.dataset_hash('hx.items')")" "$src_data" "dataset hash of a table with enums, domains, composites, arrays, jsonb survives dump/restore"
is "$(sql "$DST" "SELECT audit.dataset_hash('hx.store')")" "$src_view" "dataset hash of a view survives dump/restore"
is "$(sql "$DST" "SELECT audit.viewdef_hash('hx.store')")" "$src_def" "viewdef closure hash survives dump/restore"

sql "DROP SCHEMA hx CASCADE" >/dev/null 2>&1
sql postgres "DROP DATABASE IF EXISTS $DST" >/dev/null
done_testing
