-- The generator is deterministic per (listings, days, seed, anchor): these aggregates pin the
-- generated marketplace across builds and machines.
SET spine.demo_anchor = '2026-11-01 00:00+00';
SET TimeZone = 'UTC';
SELECT spine.generate_demo_data(2000, 90, 42);

-- the bulk load restored every constraint and index it set aside
SELECT conrelid::regclass AS "table", conname, contype, convalidated
FROM pg_constraint WHERE connamespace = 'marketplace'::regnamespace AND contype IN ('f', 'u', 'p')
ORDER BY conrelid::regclass::text, conname;
SELECT indexrelid::regclass AS index FROM pg_index
WHERE indrelid IN ('marketplace.listings'::regclass, 'marketplace.listing_events'::regclass, 'marketplace.listing_images'::regclass)
ORDER BY indexrelid::regclass::text;

SELECT status, count(*) FROM marketplace.listings GROUP BY 1 ORDER BY 1;
SELECT powertrain, count(*) FROM marketplace.listings GROUP BY 1 ORDER BY 1;
SELECT event_type, count(*) FROM marketplace.listing_events GROUP BY 1 ORDER BY 1;
SELECT count(*) AS listings, sum(price_eur) AS total_price, sum(mileage_km) AS total_km,
       min(first_seen_at) >= '2026-08-03' AS inside_horizon, max(last_seen_at) < '2026-11-01' AS before_anchor
FROM marketplace.listings;
SELECT listing_id, source, source_listing_id, make, model, year, mileage_km, price_eur, status, first_seen_at
FROM marketplace.listings WHERE listing_id IN (1, 2, 3, 1000, 2000) ORDER BY listing_id;
SELECT count(*) AS planted_reposts, count(DISTINCT original_listing_id) AS originals FROM spine.demo_truth_duplicates;
SELECT count(*) AS evs, count(*) FILTER (WHERE capacity_stated) AS capacity_stated, count(*) FILTER (WHERE soh_stated) AS soh_stated
FROM spine.demo_truth_battery;

-- bad input: clear errors, and the SQLSTATE
SELECT spine.generate_demo_data(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT spine.generate_demo_data(100000000);
\echo :LAST_ERROR_SQLSTATE
SELECT spine.generate_demo_data(10, 4000);
\echo :LAST_ERROR_SQLSTATE
SELECT spine.generate_demo_data(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT spine.generate_demo_data(10);
\echo :LAST_ERROR_SQLSTATE

-- clear and regenerate: the same rows
CREATE TEMP TABLE first_run AS SELECT md5(string_agg(l::text, '|' ORDER BY listing_id)) AS h FROM marketplace.listings l;
SELECT spine.clear_demo_data();
SELECT spine.generate_demo_data(2000, 90, 42);
SELECT (SELECT h FROM first_run) = md5(string_agg(l::text, '|' ORDER BY listing_id)) AS same_rows FROM marketplace.listings l;
SELECT spine.clear_demo_data();
