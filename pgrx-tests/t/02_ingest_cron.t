# The ingest step end to end on a real cluster: a generated marketplace, a landing batch of new
# observations, ingest driven by a real pg_cron tick, and a backend killed mid-ingest losing
# nothing (the batch stays pending and is ingested whole later).
. "$(dirname "$0")/../lib.sh"
plan 9

sql "SELECT spine.clear_demo_data()" >/dev/null
is "$(sql "SET spine.demo_anchor = '2026-11-01 00:00+00'; SELECT spine.generate_demo_data(3000, 60, 11)")" "3000" "generator writes 3000 listings"

# a scrape: 300 active listings seen again, a third of them 5 % cheaper, plus 2 malformed rows
landing="SELECT spine.land_batch('e2e', (
  SELECT jsonb_agg(o) FROM (
    SELECT jsonb_build_object('source', source, 'source_listing_id', source_listing_id,
             'observed_at', '2026-11-01T06:00:00Z', 'make', make, 'model', model, 'year', year,
             'price_eur', CASE WHEN listing_id % 3 = 0 THEN round(price_eur * 0.95) ELSE price_eur END) AS o
    FROM marketplace.listings WHERE status = 'active' ORDER BY listing_id LIMIT 300) s) ||
  '[{\"source_listing_id\": \"x1\", \"observed_at\": \"soon\", \"make\": \"VW\", \"model\": \"Up\", \"year\": 2020, \"price_eur\": 0},
    {\"source_listing_id\": \"x2\"}]'::jsonb)"
batch=$(sql "$landing")
ok $? "landing batch $batch created"
expected_drops=$(sql "SELECT count(*) FROM (SELECT listing_id FROM marketplace.listings WHERE status = 'active' ORDER BY listing_id LIMIT 300) s WHERE listing_id % 3 = 0 AND (SELECT round(price_eur * 0.95) <> price_eur FROM marketplace.listings l WHERE l.listing_id = s.listing_id)")

# kill a backend in the middle of ingesting: nothing of the batch may land
"$PGBIN/psql" -X -q -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$SPINE_E2E_DB" \
  -c "BEGIN; SELECT * FROM spine.ingest_landing($batch); SELECT pg_sleep(60); COMMIT;" >/dev/null 2>&1 &
victim=$!
wait_for 30 "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'BEGIN; SELECT * FROM spine.ingest_landing%' AND wait_event = 'PgSleep'" "1" >/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; SELECT * FROM spine.ingest_landing%'" >/dev/null
wait $victim 2>/dev/null
is "$(sql "SELECT ingested_at IS NULL FROM marketplace.landing_batches WHERE batch_id = $batch")|$(sql "SELECT count(*) FROM marketplace.listing_events WHERE batch_id = $batch")|$(sql "SELECT count(*) FROM marketplace.landing_quarantine")" \
   "t|0|0" "a backend killed mid-ingest leaves the batch pending and writes nothing"

# a real cron tick runs the ingest (pg_cron 1.4 has minute resolution)
sql "SELECT cron.schedule('spine_e2e_ingest', '* * * * *', 'SELECT * FROM spine.ingest_landing()')" >/dev/null
is "$(wait_for 130 "SELECT ingested_at IS NOT NULL FROM marketplace.landing_batches WHERE batch_id = $batch" "t")" "t" "pg_cron ran spine.ingest_landing within two minutes"
sql "SELECT cron.unschedule('spine_e2e_ingest')" >/dev/null
is "$(sql "SELECT status FROM cron.job_run_details WHERE command LIKE '%spine.ingest_landing%' ORDER BY start_time LIMIT 1")" "succeeded" "the cron run succeeded"

is "$(sql "SELECT rows_total || '/' || rows_ingested || '/' || rows_quarantined FROM marketplace.landing_batches WHERE batch_id = $batch")" \
   "302/300/2" "300 rows ingested, 2 quarantined"
is "$(sql "SELECT count(*) FROM marketplace.listing_events WHERE batch_id = $batch AND event_type = 'price_change'")" \
   "$expected_drops" "every lowered price became a price_change event"
is "$(sql "SELECT count(*) FROM marketplace.listing_events WHERE batch_id = $batch AND event_type = 'seen'")" \
   "$((300 - expected_drops))" "the other observations became seen events"
is "$(sql "SELECT string_agg(reason, ' | ' ORDER BY row_no) FROM marketplace.landing_quarantine WHERE batch_id = $batch")" \
   'observed_at: "soon" is not an RFC 3339 timestamp with offset (e.g. 2026-11-01T10:00:00Z); price_eur: 0 outside (0, 10000000) | observed_at: missing; make: missing; model: missing; year: missing; price_eur: missing' \
   "quarantine keeps each bad row with its reason"
done_testing
