-- Feature stores on a generated marketplace: (1) every feature equals a brute-force reference
-- written independently here (one correlated subquery per listing and feature, no sweeps);
-- (2) appending events observed after t0 (and updating the listings as ingest would) leaves every
-- non-label column of every store unchanged while the labels do see them — independently of the
-- governance leakage probe; (3) the same through the real ingest path.
SET TimeZone = 'UTC';
SET spine.demo_anchor = '2026-11-01 00:00+00';
SELECT spine.clear_demo_data();
SELECT spine.generate_demo_data(1500, 90, 7) AS listings;
SELECT ml.pin_woe_anchor_bins(ml.fit_woe_anchor_bins('2026-10-15 00:00+00')) > 0 AS pinned;

-- generated attributes never change after t0, so the reference may read the listings directly
SELECT count(*) AS attribute_changes FROM marketplace.listing_attribute_history;

-- (1) the reference
CREATE FUNCTION pg_temp.price_at(id bigint, at timestamptz) RETURNS float8 LANGUAGE sql STABLE AS $$
    SELECT e.price_eur::float8 FROM marketplace.listing_events e
    WHERE e.listing_id = id AND e.event_type IN ('listed', 'price_change') AND e.observed_at <= at
    ORDER BY e.observed_at DESC, e.event_id DESC LIMIT 1 $$;
CREATE TEMP TABLE ref AS
SELECT l.*, f.t0, f.price::float8 AS price_t0, x.end_at, coalesce(x.first_status = 'sold', false) AS sold,
       (SELECT max(observed_at) FROM marketplace.listing_events) AS horizon
FROM marketplace.listings l
CROSS JOIN LATERAL (SELECT e.observed_at AS t0, e.price_eur AS price FROM marketplace.listing_events e
                    WHERE e.listing_id = l.listing_id AND e.event_type = 'listed' ORDER BY e.observed_at, e.event_id LIMIT 1) f
LEFT JOIN LATERAL (SELECT e.observed_at AS end_at, e.status AS first_status FROM marketplace.listing_events e
                   WHERE e.listing_id = l.listing_id AND e.status IN ('sold', 'removed') AND e.observed_at >= f.t0
                   ORDER BY e.observed_at, e.status = 'sold' DESC LIMIT 1) x ON true;
CREATE INDEX ON ref (region_code, segment);
ANALYZE ref;
-- "on the market at T" = first seen before T and not ended at or before T; other listings only
CREATE TEMP TABLE ref_features AS
SELECT r.listing_id,
       (SELECT count(*) FROM ref m WHERE m.region_code = r.region_code AND m.t0 < r.t0 AND (m.end_at IS NULL OR m.end_at > r.t0)) AS regional_supply_t0,
       (SELECT count(*) FROM ref m WHERE m.region_code = r.region_code AND m.segment = r.segment AND m.t0 < r.t0 AND (m.end_at IS NULL OR m.end_at > r.t0)) AS regional_comparables_t0,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_temp.price_at(m.listing_id, r.t0)) FROM ref m
        WHERE m.region_code = r.region_code AND m.segment = r.segment AND m.t0 < r.t0 AND (m.end_at IS NULL OR m.end_at > r.t0)) AS regional_median_price_t0,
       (SELECT count(*) FROM ref m WHERE m.segment = r.segment AND m.t0 < r.t0 AND (m.end_at IS NULL OR m.end_at > r.t0)) AS segment_comparables_t0,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_temp.price_at(m.listing_id, r.t0)) FROM ref m
        WHERE m.segment = r.segment AND m.t0 < r.t0 AND (m.end_at IS NULL OR m.end_at > r.t0)) AS segment_median_price_t0,
       (SELECT count(*) FROM ref m WHERE m.make = r.make AND m.model = r.model AND m.t0 < r.t0 AND m.t0 > r.t0 - interval '720 hours') AS model_new_listings_30d,
       (SELECT count(*) FROM ref m WHERE m.make = r.make AND m.model = r.model AND m.sold AND m.end_at < r.t0 AND m.end_at > r.t0 - interval '720 hours') AS model_sales_30d,
       (SELECT count(*) FROM ref m WHERE m.segment = r.segment AND m.sold AND m.end_at < r.t0 AND m.end_at > r.t0 - interval '2160 hours') AS segment_sales_90d,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM m.end_at) - extract(epoch FROM m.t0))::float8 / 86400) FROM ref m
        WHERE m.segment = r.segment AND m.sold AND m.end_at < r.t0 AND m.end_at > r.t0 - interval '2160 hours') AS segment_median_days_to_sell_90d,
       CASE WHEN r.vin IS NOT NULL THEN (SELECT count(*) FROM ref m WHERE m.vin = r.vin AND m.t0 < r.t0) END AS vin_prior_listings,
       CASE WHEN r.vin IS NOT NULL THEN (SELECT count(*) FROM ref m JOIN marketplace.listing_events e ON e.listing_id = m.listing_id
        WHERE m.vin = r.vin AND m.t0 < r.t0 AND e.event_type = 'price_change' AND e.observed_at <= r.t0 AND e.price_eur < e.previous_price_eur) END AS vin_prior_price_drops,
       (SELECT (SELECT e.price_eur FROM marketplace.listing_events e WHERE e.listing_id = m.listing_id AND e.observed_at <= r.t0 AND e.price_eur IS NOT NULL
                ORDER BY e.observed_at DESC, e.event_id DESC LIMIT 1)
        FROM ref m WHERE m.vin = r.vin AND m.t0 < r.t0 ORDER BY m.t0 DESC, m.listing_id DESC LIMIT 1) AS vin_prior_last_price_eur,
       (SELECT c.city_name FROM marketplace.cities c WHERE c.population >= 500000
        ORDER BY asin(sqrt(sin(radians(c.lat - r.lat) / 2) ^ 2 + cos(radians(r.lat)) * cos(radians(c.lat)) * sin(radians(c.lon - r.lon) / 2) ^ 2)), c.city_name LIMIT 1) AS nearest_large_city,
       (SELECT min(2 * 6371.0088 * asin(sqrt(sin(radians(c.lat - r.lat) / 2) ^ 2 + cos(radians(r.lat)) * cos(radians(c.lat)) * sin(radians(c.lon - r.lon) / 2) ^ 2)))
        FROM marketplace.cities c WHERE c.population >= 500000) AS dist_large_city_km,
       (SELECT s.population FROM marketplace.region_socio s WHERE s.region_code = r.region_code
        AND (r.t0 AT TIME ZONE 'UTC')::date >= s.valid_from AND (s.valid_to IS NULL OR (r.t0 AT TIME ZONE 'UTC')::date < s.valid_to)) AS region_population,
       (extract(epoch FROM coalesce(r.end_at, r.horizon)) - extract(epoch FROM r.t0))::float8 / 86400 AS label_duration_days,
       r.sold AS label_event,
       CASE WHEN r.sold AND r.end_at <= r.t0 + interval '504 hours' THEN false
            WHEN coalesce(r.end_at, r.horizon) >= r.t0 + interval '504 hours' THEN true END AS label_slow21,
       CASE WHEN r.sold AND r.end_at <= r.t0 + interval '24 hours' THEN true
            WHEN coalesce(r.end_at, r.horizon) >= r.t0 + interval '24 hours' THEN false END AS label_fast24,
       b.capacity_kwh AS battery_capacity_kwh, b.soh_pct AS battery_soh_pct, r.mileage_km, r.t0, r.price_t0
FROM ref r, spine.extract_battery(r.description) b;

-- every column of the fusion store (which carries every store's columns) against the reference:
-- mismatches (floats to 1e-9 relative) and how many rows have a value at all
CREATE FUNCTION pg_temp.differ(a anyelement, b anyelement) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a IS NULL OR b IS NULL THEN (a IS NULL) <> (b IS NULL) ELSE a <> b END $$;
CREATE FUNCTION pg_temp.fdiffer(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a IS NULL OR b IS NULL THEN (a IS NULL) <> (b IS NULL) ELSE abs(a - b) > 1e-9 * greatest(1, abs(b)) END $$;
CREATE TEMP TABLE fused AS SELECT * FROM ml.fusion_feature_store_t0_v1_v;
SELECT (SELECT count(*) FROM fused) AS store_rows, (SELECT count(*) FROM ref_features) AS reference_rows,
       (SELECT count(*) FROM fused f JOIN ref_features r USING (listing_id)) AS matched;
SELECT v.feature, count(*) FILTER (WHERE v.mismatch) AS mismatches, count(*) FILTER (WHERE v.present) AS non_null
FROM fused f JOIN ref_features r USING (listing_id)
CROSS JOIN LATERAL (VALUES
    (1, 't0', pg_temp.differ(f.t0, r.t0), f.t0 IS NOT NULL),
    (2, 'price_eur_t0', pg_temp.fdiffer(f.price_eur_t0::float8, r.price_t0), f.price_eur_t0 IS NOT NULL),
    (3, 'mileage_km', pg_temp.differ(f.mileage_km, r.mileage_km), f.mileage_km IS NOT NULL),
    (4, 'regional_supply_t0', pg_temp.differ(f.regional_supply_t0, r.regional_supply_t0), f.regional_supply_t0 IS NOT NULL),
    (5, 'regional_comparables_t0', pg_temp.differ(f.regional_comparables_t0, r.regional_comparables_t0), f.regional_comparables_t0 IS NOT NULL),
    (6, 'regional_median_price_t0', pg_temp.fdiffer(f.regional_median_price_t0, r.regional_median_price_t0), f.regional_median_price_t0 IS NOT NULL),
    (7, 'price_vs_regional_median', pg_temp.fdiffer(f.price_vs_regional_median, r.price_t0 / r.regional_median_price_t0), f.price_vs_regional_median IS NOT NULL),
    (8, 'segment_comparables_t0', pg_temp.differ(f.segment_comparables_t0, r.segment_comparables_t0), f.segment_comparables_t0 IS NOT NULL),
    (9, 'segment_median_price_t0', pg_temp.fdiffer(f.segment_median_price_t0, r.segment_median_price_t0), f.segment_median_price_t0 IS NOT NULL),
    (10, 'price_vs_segment_median', pg_temp.fdiffer(f.price_vs_segment_median, r.price_t0 / r.segment_median_price_t0), f.price_vs_segment_median IS NOT NULL),
    (11, 'model_new_listings_30d', pg_temp.differ(f.model_new_listings_30d, r.model_new_listings_30d), f.model_new_listings_30d > 0),
    (12, 'model_sales_30d', pg_temp.differ(f.model_sales_30d, r.model_sales_30d), f.model_sales_30d > 0),
    (13, 'segment_sales_90d', pg_temp.differ(f.segment_sales_90d, r.segment_sales_90d), f.segment_sales_90d > 0),
    (14, 'segment_median_days_to_sell_90d', pg_temp.fdiffer(f.segment_median_days_to_sell_90d, r.segment_median_days_to_sell_90d), f.segment_median_days_to_sell_90d IS NOT NULL),
    (15, 'vin_prior_listings', pg_temp.differ(f.vin_prior_listings, r.vin_prior_listings), f.vin_prior_listings > 0),
    (16, 'vin_prior_price_drops', pg_temp.differ(f.vin_prior_price_drops, r.vin_prior_price_drops), f.vin_prior_price_drops > 0),
    (17, 'vin_prior_last_price_eur', pg_temp.differ(f.vin_prior_last_price_eur, r.vin_prior_last_price_eur), f.vin_prior_last_price_eur IS NOT NULL),
    (18, 'nearest_large_city', pg_temp.differ(f.nearest_large_city, r.nearest_large_city), f.nearest_large_city IS NOT NULL),
    (19, 'dist_large_city_km', pg_temp.fdiffer(f.dist_large_city_km, r.dist_large_city_km), f.dist_large_city_km IS NOT NULL),
    (20, 'region_population', pg_temp.differ(f.region_population, r.region_population), f.region_population IS NOT NULL),
    (21, 'battery_capacity_kwh', pg_temp.fdiffer(f.battery_capacity_kwh, r.battery_capacity_kwh), f.battery_capacity_kwh IS NOT NULL),
    (22, 'battery_soh_pct', pg_temp.fdiffer(f.battery_soh_pct, r.battery_soh_pct), f.battery_soh_pct IS NOT NULL),
    (23, 'label_duration_days', pg_temp.fdiffer(f.label_duration_days, r.label_duration_days), f.label_duration_days IS NOT NULL),
    (24, 'label_event', pg_temp.differ(f.label_event, r.label_event), f.label_event),
    (25, 'label_slow21', pg_temp.differ(f.label_slow21, r.label_slow21), f.label_slow21),
    (26, 'label_fast24', pg_temp.differ(f.label_fast24, r.label_fast24), f.label_fast24)
) AS v(ord, feature, mismatch, present)
GROUP BY v.ord, v.feature ORDER BY v.ord;

-- (2) appending what happens after t0. Every store's rows (labels removed) for a sample of
-- listings, as JSON; the six stores under one name, and a control that reads the listings'
-- current state (as a leaky store would) to show that the check sees leaks.
CREATE VIEW pg_temp.leaky_control AS
SELECT l.listing_id, l.price_eur, l.mileage_km, l.description, (SELECT count(*) FROM marketplace.listing_events e WHERE e.listing_id = l.listing_id) AS events
FROM marketplace.listings l;
CREATE FUNCTION pg_temp.store_rows(ids bigint[]) RETURNS TABLE(store text, listing_id bigint, j jsonb, labels jsonb)
LANGUAGE sql VOLATILE AS $$
    SELECT 'survival', s.listing_id, to_jsonb(s) - 'label_duration_days' - 'label_event', jsonb_build_array(s.label_duration_days, s.label_event)
    FROM ml.survival_feature_store_t0_v1_v s WHERE s.listing_id = ANY(ids)
    UNION ALL SELECT 'geo', g.listing_id, to_jsonb(g), NULL FROM ml.geo_feature_store_t0_v1_v g WHERE g.listing_id = ANY(ids)
    UNION ALL SELECT 'socio_market', m.listing_id, to_jsonb(m), NULL FROM ml.socio_market_feature_store_t0_v1_v m WHERE m.listing_id = ANY(ids)
    UNION ALL SELECT 'trainer_derived', t.listing_id, to_jsonb(t), NULL FROM ml.trainer_derived_feature_store_t0_v1_v t WHERE t.listing_id = ANY(ids)
    UNION ALL SELECT 'woe_anchor', w.listing_id, to_jsonb(w), NULL FROM ml.woe_anchor_feature_store_t0_v1_v w WHERE w.listing_id = ANY(ids)
    UNION ALL SELECT 'fusion', f.listing_id, to_jsonb(f) - 'label_duration_days' - 'label_event' - 'label_slow21' - 'label_fast24',
                     jsonb_build_array(f.label_duration_days, f.label_event, f.label_slow21, f.label_fast24)
    FROM ml.fusion_feature_store_t0_v1_v f WHERE f.listing_id = ANY(ids)
    UNION ALL SELECT 'leaky control', c.listing_id, to_jsonb(c), NULL FROM pg_temp.leaky_control c WHERE c.listing_id = ANY(ids) $$;
-- What happens to a sampled listing after t0: a price cut to half, a sighting, a new `listed`
-- observation and a sale, and the listing's current state rewritten as ingest would (price,
-- status, mileage, texts, make/model/segment/region/coordinates/VIN) — all dated after the
-- newest t0 of the sample, since one sampled listing's sale may legitimately count for another
-- whose t0 is later.
CREATE FUNCTION pg_temp.append_future(ids bigint[], after timestamptz) RETURNS void LANGUAGE sql VOLATILE AS $$
    INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, previous_price_eur, status, previous_status)
    SELECT l.listing_id, x.event_type, after + x.dt, x.price, x.previous, x.status, x.previous_status
    FROM marketplace.listings l
    CROSS JOIN LATERAL (VALUES ('price_change', interval '0', round(l.price_eur / 2, 2), l.price_eur, 'active', NULL),
                               ('seen', interval '1 microsecond', round(l.price_eur / 2, 2), NULL, 'active', NULL),
                               ('listed', interval '2 microseconds', round(l.price_eur / 2, 2), NULL, 'active', NULL),
                               ('status_change', interval '3 microseconds', round(l.price_eur / 2, 2), NULL, 'sold', 'active'))
                  AS x(event_type, dt, price, previous, status, previous_status)
    WHERE l.listing_id = ANY(ids);
    UPDATE marketplace.listings SET price_eur = round(price_eur / 2, 2), status = 'sold', status_changed_at = after + interval '3 microseconds',
        last_seen_at = after + interval '3 microseconds', mileage_km = coalesce(mileage_km, 0) + 5000,
        title = 'Probe ' || coalesce(title, ''), description = 'Akku 75 kWh, SoH 80 %', make = 'Probe', model = 'Probe',
        segment = 'suv', region_code = 'MT-00', lat = 35.9, lon = 14.5, vin = 'WVWZZZ1KZAW999999', year = year - 3,
        canonical_listing_id = 1
    WHERE listing_id = ANY(ids);
$$;
CREATE TEMP TABLE probe_sample AS
SELECT array_agg(listing_id ORDER BY listing_id) AS ids, max(t0) AS newest_t0
FROM (SELECT listing_id, t0 FROM ml.t0_listing_v ORDER BY hashint8(listing_id) LIMIT 25) s;
CREATE TEMP TABLE before_rows AS SELECT * FROM pg_temp.store_rows((SELECT ids FROM probe_sample));
BEGIN;
SELECT pg_temp.append_future(ids, newest_t0 + interval '1 hour') FROM probe_sample;
CREATE TEMP TABLE after_rows ON COMMIT DROP AS SELECT * FROM pg_temp.store_rows((SELECT ids FROM probe_sample));
SELECT b.store, count(*) AS rows, count(*) FILTER (WHERE a.j IS DISTINCT FROM b.j) AS feature_rows_changed,
       count(*) FILTER (WHERE a.labels IS DISTINCT FROM b.labels) AS label_rows_changed
FROM before_rows b LEFT JOIN after_rows a USING (store, listing_id) GROUP BY 1 ORDER BY 1;
SELECT count(*) AS attribute_changes_recorded FROM marketplace.listing_attribute_history;
ROLLBACK;

-- the tightest case, one listing at a time: everything observed one microsecond after its t0
-- (each in a subtransaction that is rolled back; only the counts survive)
CREATE TEMP TABLE tight_result (listing_id bigint, store text, features_changed bigint, labels_changed bigint);
DO $$
DECLARE
    id bigint;
    at timestamptz;
    res jsonb;
BEGIN
    FOR id, at IN SELECT listing_id, t0 FROM ml.t0_listing_v ORDER BY hashint8(listing_id + 7) LIMIT 2 LOOP
        CREATE TEMP TABLE tight_before AS SELECT * FROM pg_temp.store_rows(ARRAY[id]);
        BEGIN
            PERFORM pg_temp.append_future(ARRAY[id], at + interval '1 microsecond');
            SELECT jsonb_agg(jsonb_build_array(b.store, a.j IS DISTINCT FROM b.j, a.labels IS DISTINCT FROM b.labels)) INTO res
            FROM tight_before b LEFT JOIN pg_temp.store_rows(ARRAY[id]) a USING (store, listing_id);
            RAISE EXCEPTION 'undo';
        EXCEPTION WHEN raise_exception THEN
            IF SQLERRM <> 'undo' THEN RAISE; END IF;
        END;
        DROP TABLE tight_before;
        INSERT INTO tight_result SELECT id, x ->> 0, (x ->> 1)::boolean::int, (x ->> 2)::boolean::int FROM jsonb_array_elements(res) x;
    END LOOP;
END $$;
SELECT store, count(DISTINCT listing_id) AS listings, sum(features_changed) AS feature_rows_changed, sum(labels_changed) AS label_rows_changed
FROM tight_result GROUP BY 1 ORDER BY 1;
-- (the rolled-back subtransactions left no appended event behind)
SELECT count(*) AS events_left_behind FROM marketplace.listing_events WHERE event_type = 'listed' AND price_eur IS NOT NULL
    AND observed_at > (SELECT min(observed_at) FROM marketplace.listing_events x WHERE x.listing_id = listing_events.listing_id AND x.event_type = 'listed');

-- (3) the same through ingest: a newer observation of a listing (sold, another price, mileage,
-- description and segment) landed and ingested; its features stay, its labels see the sale
CREATE TEMP TABLE ingested AS SELECT listing_id FROM marketplace.listings WHERE status = 'active' ORDER BY hashint8(listing_id + 11) LIMIT 1;
CREATE TEMP TABLE ingest_before AS SELECT * FROM pg_temp.store_rows(ARRAY(SELECT listing_id FROM ingested));
BEGIN;
SELECT spine.land_batch(l.source, jsonb_build_array(jsonb_build_object(
    'source_listing_id', l.source_listing_id, 'observed_at', '2026-11-02T08:00:00Z', 'make', l.make, 'model', l.model,
    'year', l.year, 'price_eur', round(l.price_eur * 0.8), 'status', 'sold', 'mileage_km', l.mileage_km + 1234,
    'description', 'Neu: Akku 64 kWh', 'segment', 'suv', 'title', 'edited'))) > 0 AS landed
FROM marketplace.listings l JOIN ingested USING (listing_id);
SELECT rows_ingested, events_written FROM spine.ingest_landing();
SELECT count(*) AS attribute_changes_recorded FROM marketplace.listing_attribute_history;
SELECT b.store, count(*) FILTER (WHERE a.j IS DISTINCT FROM b.j) AS feature_rows_changed,
       count(*) FILTER (WHERE a.labels IS DISTINCT FROM b.labels) AS label_rows_changed
FROM ingest_before b LEFT JOIN pg_temp.store_rows(ARRAY(SELECT listing_id FROM ingested)) a USING (store, listing_id)
GROUP BY 1 ORDER BY 1;
ROLLBACK;
SELECT spine.clear_demo_data();
