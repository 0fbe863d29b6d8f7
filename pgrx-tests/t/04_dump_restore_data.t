# Marketplace data lives in extension tables: pg_dump must keep it (configuration tables) and a
# restore into a fresh database must give back the same rows, and ids that continue.
. "$(dirname "$0")/../lib.sh"
plan 6

SRC=spine_e2e_dump_src
DST=spine_e2e_dump_dst
for db in $SRC $DST; do sql postgres "DROP DATABASE IF EXISTS $db" >/dev/null; sql postgres "CREATE DATABASE $db" >/dev/null; done
sql $SRC "CREATE EXTENSION spine; SET spine.demo_anchor = '2026-11-01 00:00+00'; SELECT spine.generate_demo_data(2000, 60, 5)" >/dev/null
sql $SRC "SELECT spine.land_batch('e2e', '[{\"source_listing_id\": \"new-1\", \"observed_at\": \"2026-11-01T08:00:00Z\", \"make\": \"VW\", \"model\": \"Up\", \"year\": 2020, \"price_eur\": 9000},
                                           {\"source_listing_id\": \"bad\", \"observed_at\": \"later\"}]'); SELECT * FROM spine.ingest_landing()" >/dev/null

DUMP=$(mktemp)
"$PGBIN/pg_dump" -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres "$SRC" > "$DUMP" 2>/dev/null
ok $? "pg_dump of a database with spine"
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$DST" -f "$DUMP" >/dev/null 2>"$DUMP.err"
rc=$?
ok $rc "restores into a fresh database"
[ $rc = 0 ] || sed 's/^/# /' "$DUMP.err" | head -5

tables="marketplace.listings marketplace.listing_events marketplace.listing_images marketplace.landing_quarantine marketplace.region_socio spine.demo_truth_duplicates"
src_hashes=$(for t in $tables; do sql $SRC "SELECT audit.dataset_hash('$t')"; done | paste -sd,)
dst_hashes=$(for t in $tables; do sql $DST "SELECT audit.dataset_hash('$t')" 2>/dev/null; done | paste -sd,)
is "$dst_hashes" "$src_hashes" "every marketplace table comes back with the same rows (dataset hashes equal)"
is "$(sql $DST "SELECT count(*) FROM marketplace.listings")" "2001" "2000 generated and 1 ingested listings"
next_src=$(( $(sql $SRC "SELECT max(batch_id) FROM marketplace.landing_batches") + 1 ))
is "$(sql $DST "INSERT INTO marketplace.landing_batches (source) VALUES ('after-restore') RETURNING batch_id")" "$next_src" "identity sequences continue after a restore"
b=$(sql $DST "SELECT spine.land_batch('x', '[{\"source_listing_id\": \"n2\", \"observed_at\": \"2026-11-02T08:00:00Z\", \"make\": \"VW\", \"model\": \"Up\", \"year\": 2020, \"price_eur\": 9000}]')")
is "$(sql $DST "SELECT rows_ingested || '/' || events_written FROM spine.ingest_landing($b)")|$(sql $DST "SELECT count(*) FROM marketplace.listings")" \
   "1/1|2002" "ingest works in the restored database"

for db in $SRC $DST; do sql postgres "DROP DATABASE IF EXISTS $db" >/dev/null; done
rm -f "$DUMP" "$DUMP.err"
done_testing
