-- Feature stores (DESIGN §5) on a hand-built marketplace whose every answer is worked out by hand
-- in the comments below (distances and ages by tests/reference/stores.py). t0 = the first
-- `listed` observation; horizon = the newest observed_at = 10-31 00:00.
SET TimeZone = 'UTC';
SELECT spine.clear_demo_data();
\pset null '∅'

INSERT INTO marketplace.regions VALUES
    ('DE-BY', 'Bayern', 'DE', 'de', 48.79, 11.50),
    ('AT-9', 'Wien', 'AT', 'de', 48.21, 16.37);
INSERT INTO marketplace.cities VALUES
    ('München', 'DE-BY', 48.137, 11.575, 1512000),
    ('Nürnberg', 'DE-BY', 49.452, 11.077, 523000),
    ('Augsburg', 'DE-BY', 48.366, 10.898, 296000),   -- not large: never the nearest large city
    ('Wien', 'AT-9', 48.208, 16.373, 1982000);
INSERT INTO marketplace.region_socio VALUES
    ('DE-BY', '2025-01-01', '2026-01-01', 13000000, 28000, 3.5, 610),
    ('DE-BY', '2026-01-01', NULL, 13100000, 29000, 3.4, 620),
    ('AT-9', '2026-01-01', NULL, 1990000, 27000, 10.1, 370);

-- listings: (id, make, model, segment, region, lat, lon, year, km, vin, title, description)
INSERT INTO marketplace.listings (listing_id, source, source_listing_id, vin, make, model, year, segment, powertrain,
    seller_type, mileage_km, region_code, lat, lon, title, description, price_eur, status, first_seen_at, last_seen_at)
SELECT id, 'hand', 'L' || id, vin, make, model, year, segment, 'petrol', 'dealer', km, region, lat, lon, title, descr,
       1000, 'active', '2026-10-01', '2026-10-01'
FROM (VALUES
    (0,  'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2018, 80000, NULL, 'Golf', NULL),
    (1,  'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2019, 60000, 'WVWZZZ1KZAW000001', 'Golf 1.5 TSI', 'Top Zustand'),
    (2,  'Volkswagen', 'Golf', 'compact', 'DE-BY', 49.45, 11.08, 2020, 40000, NULL, 'Golf', NULL),
    (3,  'Volkswagen', 'Polo', 'small',   'DE-BY', 48.37, 10.90, 2021, 20000, NULL, 'Polo', NULL),
    (4,  'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2019, 70000, NULL, 'Golf', NULL),
    (5,  'Volkswagen', 'Golf', 'compact', 'AT-9',  48.20, 16.37, 2021, 30000, NULL, 'Golf', NULL),
    (6,  'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2019, 61000, 'WVWZZZ1KZAW000001', 'Golf', NULL),
    (7,  'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2019, 61500, 'WVWZZZ1KZAW000001', 'Golf', NULL),
    (8,  'Volkswagen', 'Polo', 'small',   'DE-BY', 48.14, 11.58, 2022, 50000, NULL, 'Polo', 'Akku 40 kWh'),
    (9,  'Fiat',       '500',  'mini',    'DE-BY', 48.14, 11.58, 2017, 90000, NULL, '500', NULL),
    (10, 'Volkswagen', 'Golf', 'compact', 'AT-9',  NULL,  NULL,  2022, 15000, NULL, 'Golf', NULL),
    (11, 'Fiat',       '500',  'mini',    NULL,    NULL,  NULL,  2016, 99000, NULL, '500', NULL),
    (12, 'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2023, 5000,  NULL, 'Golf', NULL),
    (13, 'Volkswagen', 'Golf', 'compact', 'DE-BY', 48.14, 11.58, 2012, 150000, NULL, 'Golf', NULL),
    (14, 'Audi',       'A4',   'midsize', 'DE-BY', 48.14, 11.58, 2015, 120000, NULL, 'A4', NULL)
) AS v(id, make, model, segment, region, lat, lon, year, km, vin, title, descr);

-- the history (prices on every event, as ingest and the generator write them)
INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, previous_price_eur, status, previous_status)
VALUES
    (14, 'listed',        '2025-12-31 23:00+00', 30000, NULL,  'active',  NULL),
    (14, 'status_change', '2026-01-02 00:00+00', 30000, NULL,  'removed', 'active'),
    (0,  'listed',        '2026-09-06 10:00+00', 21000, NULL,  'active',  NULL),
    (0,  'status_change', '2026-09-10 10:00+00', 21000, NULL,  'removed', 'active'),
    (1,  'listed',        '2026-10-01 10:00+00', 20000, NULL,  'active',  NULL),
    (1,  'price_change',  '2026-10-03 10:00+00', 18000, 20000, 'active',  NULL),
    (1,  'status_change', '2026-10-05 10:00+00', 18000, NULL,  'sold',    'active'),
    (2,  'listed',        '2026-10-02 10:00+00', 22000, NULL,  'active',  NULL),
    (2,  'status_change', '2026-10-20 10:00+00', 22000, NULL,  'removed', 'active'),
    (12, 'listed',        '2026-10-03 10:00+00', 30000, NULL,  'active',  NULL),
    (12, 'status_change', '2026-10-04 09:00+00', 30000, NULL,  'removed', 'active'),
    (13, 'listed',        '2026-10-03 10:00+00', 10000, NULL,  'active',  NULL),
    (13, 'status_change', '2026-10-03 20:00+00', 10000, NULL,  'sold',    'active'),
    (5,  'listed',        '2026-10-03 12:00+00', 25000, NULL,  'active',  NULL),
    (5,  'status_change', '2026-10-04 12:00+00', 25000, NULL,  'sold',    'active'),
    (3,  'listed',        '2026-10-04 10:00+00', 12000, NULL,  'active',  NULL),
    (3,  'seen',          '2026-10-31 00:00+00', 12000, NULL,  'active',  NULL),
    (10, 'listed',        '2026-10-05 08:00+00', 23000, NULL,  'active',  NULL),
    (4,  'listed',        '2026-10-06 10:00+00', 19000, NULL,  'active',  NULL),
    (4,  'status_change', '2026-10-30 10:00+00', 19000, NULL,  'sold',    'active'),
    (11, 'listed',        '2026-10-06 12:00+00', 8000,  NULL,  'active',  NULL),
    (9,  'listed',        '2026-10-07 10:00+00', 9000,  NULL,  'sold',    NULL),
    (6,  'listed',        '2026-10-08 10:00+00', 17500, NULL,  'active',  NULL),
    (6,  'price_change',  '2026-10-12 10:00+00', 16500, 17500, 'active',  NULL),
    (8,  'listed',        '2026-10-09 10:00+00', 11000, NULL,  'active',  NULL),
    (8,  'seen',          '2026-10-15 10:00+00', 11000, NULL,  'active',  NULL),
    (7,  'listed',        '2026-10-10 10:00+00', 17000, NULL,  'active',  NULL),
    (7,  'status_change', '2026-10-11 10:00+00', 17000, NULL,  'removed', 'active');

-- current state as ingest leaves it; listing 8 was re-observed on 10-15 with other attributes
-- (the trigger keeps what was there before, dated 10-15 10:00)
UPDATE marketplace.listings l SET first_seen_at = e.first, last_seen_at = e.last
FROM (SELECT listing_id, min(observed_at) AS first, max(observed_at) AS last FROM marketplace.listing_events
      WHERE observed_at < '2026-10-15 10:00+00' OR listing_id <> 8 GROUP BY 1) e
WHERE e.listing_id = l.listing_id;
UPDATE marketplace.listings SET mileage_km = 52000, description = 'Akku 50 kWh, SoH 90 %', segment = 'compact', region_code = 'AT-9',
    title = 'VW Polo', last_seen_at = '2026-10-15 10:00+00' WHERE listing_id = 8;
SELECT listing_id, changed_at, mileage_km, description, segment, region_code FROM marketplace.listing_attribute_history;
-- an UPDATE that changes no descriptive attribute records nothing; a correction that brings no
-- newer observation (healing rewriting a value in place) is recorded as never known at t0:
-- listing 9's title at t0 stays '500' (3 characters)
UPDATE marketplace.listings SET status = 'sold', canonical_listing_id = 1 WHERE listing_id = 7;
UPDATE marketplace.listings SET title = 'Fiat 500' WHERE listing_id = 9;
SELECT listing_id, changed_at, title FROM marketplace.listing_attribute_history ORDER BY history_id;

-- Survival. Labels: 0 removed after 4 d; 1 sold after 4 d; 2 removed after 18 d; 3 censored at
-- the horizon after 26 d 14 h; 4 sold after 24 d; 5 sold after exactly 24 h; 6, 8, 10, 11
-- censored; 7 removed after 1 d; 9 first seen already sold (0 d); 12 removed after 23 h;
-- 13 sold after 10 h; 14 removed after 25 h. Listing 8 keeps its t0 mileage and segment;
-- listing 1 keeps its listed price although it dropped on 10-03.
SELECT listing_id, t0, price_eur_t0, status_t0, round(vehicle_age_years::numeric, 6) AS age, year, mileage_km, make, model,
       segment, powertrain, seller_type, round(label_duration_days::numeric, 6) AS duration, label_event
FROM ml.survival_feature_store_t0_v1_v ORDER BY listing_id;

-- Geo. Regional market at t0 (other listings of the region first seen before t0, not ended at or
-- before t0, at their price as of t0):
--   1: nothing (0 ended on 09-10) · 2: {1: 20000} → median 20000
--   12 and 13 (both 10-03 10:00): {1: 18000 (its drop at that very instant counts), 2: 22000},
--      not each other → 2 / 20000
--   3 (Polo): {1, 2} → supply 2, no small comparables · 4: {2: 22000, 3} (1 sold 10-05, 12
--      removed, 13 sold) → supply 2, compact {2} → 22000 · 9: {2, 3, 4} → 3
--   6: {2: 22000, 3, 4: 19000} → 3, compact median 20500 · 8 (DE-BY small at t0): {2, 3, 4, 6} → 4,
--      small {3: 12000} · 7: {2, 3, 4, 6, 8} → 5, compact {2, 4, 6: 17500} → 19000
--   5 and 10 (AT-9): nothing (5 sold before 10 came); 11: no region → ∅.
-- Nearest large city: Augsburg (296 000) is never chosen; 10 has no coordinates → Wien from the
-- region's centroid.
SELECT listing_id, region_code, country, lat, lon, coords_from_region, nearest_large_city,
       round(dist_large_city_km::numeric, 6) AS km, regional_supply_t0, regional_comparables_t0, regional_median_price_t0,
       round(price_vs_regional_median::numeric, 6) AS vs_median
FROM ml.geo_feature_store_t0_v1_v ORDER BY listing_id;

-- Socio-market. Socio data valid at t0's UTC date: 14 (2025-12-31 23:00 UTC) reads the 2025 row.
-- Golf flow in (t0 - 30 d, t0): 4 (10-06 10:00): new {1, 2, 12, 13, 5, 10} = 6 — 0 was first seen
--   exactly 30 days before and is out — sales {13, 5, 1} = 3; 2: new {0, 1}; 12: new {0, 1, 2}
--   (13 at the same instant is not before); 10: sales {13, 5} (1 sold later that morning);
--   6: new 7, sales 3; 7: new 8, sales 3.
-- Compact days to sell (sales in (t0 - 90 d, t0)): 13 after 10 h, 5 after 1 d, 1 after 4 d
--   (4's sale on 10-30 is after every t0): 10 → {0.416667, 1} → 0.708333; 4, 6, 7 → {0.416667, 1, 4}
--   → 1; 5 (10-03 12:00) → none yet. Mini: 9's own sale at its t0 is not before it.
SELECT listing_id, region_code, socio_valid_from, region_population, region_median_income_eur, region_unemployment_pct,
       region_cars_per_1000, make, model, model_new_listings_30d, model_sales_30d,
       round(model_sales_per_new_listing_30d::numeric, 6) AS sales_per_new, segment, segment_sales_90d,
       round(segment_median_days_to_sell_90d::numeric, 6) AS median_days_to_sell
FROM ml.socio_market_feature_store_t0_v1_v ORDER BY listing_id;

-- Trainer-derived. Compact market (all regions) at t0: 2: {1: 20000}; 12, 13: {1: 18000, 2: 22000};
--   5: {1, 2, 12: 30000, 13: 10000} → 20000; 10: {1: 18000, 2: 22000} → 20000; 4: {2, 10: 23000}
--   → 22500; 6: {2, 10, 4: 19000} → 22000; 7: {2, 10, 4, 6: 17500} → 20500. Mini: 9: {11: 8000}.
-- VIN WVWZZZ1KZAW000001: 6 has 1 earlier listing (1) with 1 drop (10-03), last price 18000 (its
--   sale), 7 days before; 7 has 2 (1, 6), 1 drop — 6's drop on 10-12 is after 7's t0 and
--   invisible — and 6's last price by then 17500, 2 days before. Listing 8's description at t0
--   states 40 kWh (the later text says 50 kWh and 90 %).
SELECT listing_id, price_eur_t0, segment, segment_comparables_t0, segment_median_price_t0,
       round(price_vs_segment_median::numeric, 6) AS vs_segment, round(mileage_per_year_km::numeric, 3) AS km_per_year,
       vin_prior_listings, vin_prior_price_drops, vin_prior_last_price_eur, round(price_vs_vin_prior_price::numeric, 6) AS vs_prior,
       days_since_vin_prior_listing, title_length, description_length, battery_capacity_kwh, battery_soh_pct
FROM ml.trainer_derived_feature_store_t0_v1_v ORDER BY listing_id;

-- the classifier labels (fusion): slow21 is NULL where observation ended before 21 days,
-- fast24 where it ended before 24 hours (12: removed after 23 h)
SELECT listing_id, round(label_duration_days::numeric, 6) AS duration, label_event, label_slow21, label_fast24
FROM ml.t0_labels_v ORDER BY listing_id;

-- No feature depends on the session: the same rows under another TimeZone and DateStyle
CREATE TEMP TABLE utc_rows AS
SELECT to_jsonb(s) AS j FROM ml.survival_feature_store_t0_v1_v s UNION ALL SELECT to_jsonb(g) FROM ml.geo_feature_store_t0_v1_v g
UNION ALL SELECT to_jsonb(m) FROM ml.socio_market_feature_store_t0_v1_v m UNION ALL SELECT to_jsonb(t) FROM ml.trainer_derived_feature_store_t0_v1_v t;
SET TimeZone = 'Pacific/Kiritimati';
SET DateStyle = 'SQL, DMY';
CREATE TEMP TABLE other_rows AS
SELECT to_jsonb(s) AS j FROM ml.survival_feature_store_t0_v1_v s UNION ALL SELECT to_jsonb(g) FROM ml.geo_feature_store_t0_v1_v g
UNION ALL SELECT to_jsonb(m) FROM ml.socio_market_feature_store_t0_v1_v m UNION ALL SELECT to_jsonb(t) FROM ml.trainer_derived_feature_store_t0_v1_v t;
RESET DateStyle;
SET TimeZone = 'UTC';
-- (to_jsonb writes timestamps in the session's zone: compare them as instants)
SELECT count(*) AS rows_differing FROM (
    (SELECT j - 't0' - 'socio_valid_from', (j ->> 't0')::timestamptz, j ->> 'socio_valid_from' FROM utc_rows
     EXCEPT ALL SELECT j - 't0' - 'socio_valid_from', (j ->> 't0')::timestamptz, j ->> 'socio_valid_from' FROM other_rows)
    UNION ALL
    (SELECT j - 't0' - 'socio_valid_from', (j ->> 't0')::timestamptz, j ->> 'socio_valid_from' FROM other_rows
     EXCEPT ALL SELECT j - 't0' - 'socio_valid_from', (j ->> 't0')::timestamptz, j ->> 'socio_valid_from' FROM utc_rows)) d;

-- Every column of every store is documented (meaning, unit, as-of rule)
SELECT c.relname AS store, count(*) AS columns,
       count(*) FILTER (WHERE col_description(c.oid, a.attnum) LIKE '%As of: %') AS documented
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relnamespace = 'ml'::regnamespace AND c.relname LIKE '%\_feature\_store\_t0\_v1\_v'
GROUP BY 1 ORDER BY 1;

-- attribute history is append-only
UPDATE marketplace.listing_attribute_history SET mileage_km = 0;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM marketplace.listing_attribute_history;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE marketplace.listing_attribute_history;
\echo :LAST_ERROR_SQLSTATE

-- clear_demo_data removes the history with the listings it belongs to
SELECT spine.clear_demo_data();
SELECT count(*) AS history_rows FROM marketplace.listing_attribute_history;
