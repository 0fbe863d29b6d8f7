-- WOE anchor store: bins are fitted by ml.woe_bins into versioned, append-only tables, one version
-- is pinned, and the store applies it. No pinned (complete) version = an error, never rows
-- without bins. The fitted bins are checked against an independent computation: the edges are
-- the training values' quantiles (percentile_cont) and each WOE is ln(%non-event / %event) of
-- counts taken here.
SET TimeZone = 'UTC';
SET spine.demo_anchor = '2026-11-01 00:00+00';
SELECT spine.clear_demo_data();
SELECT spine.generate_demo_data(2000, 90, 11) AS listings;
DELETE FROM spine.settings WHERE key = 'ml.woe_anchor_bins.pinned_version';
-- earlier tests may have fitted versions: everything below is relative to them
SELECT coalesce(max(version), 0) AS v0 FROM ml.woe_anchor_bin_versions \gset
-- outcome of a statement: SQLSTATE, message and hint (the detail counts earlier versions)
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ' ' || SQLERRM || ' | HINT: ' || h;
END $$;

-- no version pinned: the store (and the fusion store, which joins it) raises
SELECT pg_temp.try('SELECT count(*) FROM ml.woe_anchor_feature_store_t0_v1_v') AS woe_store;
SELECT pg_temp.try('SELECT count(*) FROM ml.fusion_feature_store_t0_v1_v WHERE listing_id = 1') AS fusion_store;

-- fitting: bad arguments are errors
SELECT pg_temp.try('SELECT ml.fit_woe_anchor_bins(NULL)') AS null_cutoff;
SELECT pg_temp.try($$SELECT ml.fit_woe_anchor_bins('2026-12-01 00:00+00')$$) AS after_horizon;
SELECT pg_temp.try($$SELECT ml.fit_woe_anchor_bins('2026-08-20 00:00+00')$$) AS before_any_label;
SELECT pg_temp.try($$SELECT ml.fit_woe_anchor_bins('2026-10-15 00:00+00', bins => 1)$$) AS one_bin;
SELECT count(*) AS versions_after_failed_fits FROM ml.woe_anchor_bin_versions WHERE version > :v0;

-- two fits; the first is pinned
SELECT ml.fit_woe_anchor_bins('2026-10-01 00:00+00', 5, 'first') AS v1 \gset
SELECT ml.fit_woe_anchor_bins('2026-10-25 00:00+00', 10, 'second') AS v2 \gset
SELECT version = :v1 AS is_v1, target, cutoff, bins, anchors, train_listings, train_events, note
FROM ml.woe_anchor_bin_versions WHERE version > :v0 ORDER BY version;
SELECT ml.pin_woe_anchor_bins(:v1) = :v1 AS pinned;

-- independent check of version v1: the training listings (t0 <= cutoff - 21 days, label known),
-- their anchors, the quantile edges of the values present and the WOE of every bin
CREATE TEMP TABLE train AS
SELECT a.*, lb.label_slow21 AS y
FROM ml.t0_woe_anchor_inputs_v a JOIN ml.t0_labels_v lb USING (listing_id)
WHERE a.t0 <= timestamptz '2026-10-01 00:00+00' - interval '21 days' AND lb.label_slow21 IS NOT NULL;
SELECT count(*) AS train_listings, count(*) FILTER (WHERE y) AS train_events FROM train;
CREATE TEMP TABLE train_long AS
SELECT x.anchor, x.value, t.y FROM train t
CROSS JOIN LATERAL (VALUES ('price_vs_segment_median', t.price_vs_segment_median), ('price_vs_regional_median', t.price_vs_regional_median),
    ('vehicle_age_years', t.vehicle_age_years), ('mileage_per_year_km', t.mileage_per_year_km),
    ('dist_large_city_km', t.dist_large_city_km), ('segment_median_days_to_sell_90d', t.segment_median_days_to_sell_90d)) x(anchor, value);
-- edges: the distinct quantiles at 1/5 .. 4/5 of the values present
SELECT q.anchor,
       (SELECT array_agg(DISTINCT e ORDER BY e) FROM unnest(q.edges) e) = coalesce(
           (SELECT array_agg(b.lower ORDER BY b.bin) FROM ml.woe_anchor_bins b WHERE b.version = :v1 AND b.anchor = q.anchor AND b.bin >= 1), '{}') AS edges_are_quantiles,
       (SELECT count(*) FROM ml.woe_anchor_bins b WHERE b.version = :v1 AND b.anchor = q.anchor) AS bins_with_missing
FROM (SELECT anchor, percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY value) AS edges
      FROM train_long WHERE value IS NOT NULL GROUP BY anchor) q
ORDER BY q.anchor;
-- counts and WOE per bin, recomputed from the training rows
WITH counted AS (
    SELECT b.anchor, b.bin, b.count, b.events, b.woe,
           count(t.*) AS n, count(t.*) FILTER (WHERE t.y) AS e, count(t.*) FILTER (WHERE NOT t.y) AS ne
    FROM ml.woe_anchor_bins b
    LEFT JOIN train_long t ON t.anchor = b.anchor
         AND CASE WHEN b.bin = -1 THEN t.value IS NULL ELSE t.value >= b.lower AND t.value < b.upper END
    WHERE b.version = :v1
    GROUP BY b.anchor, b.bin, b.count, b.events, b.woe
), totals AS (
    SELECT anchor, sum(e) AS te, sum(ne) AS tne FROM counted GROUP BY anchor
)
SELECT c.anchor, count(*) AS bins, sum(c.n) AS listings,
       count(*) FILTER (WHERE c.n <> c.count OR c.e <> c.events) AS count_mismatches,
       count(*) FILTER (WHERE abs(c.woe - CASE WHEN c.e = 0 OR c.ne = 0 THEN 0 ELSE ln((c.ne / t.tne) / (c.e / t.te)) END) > 1e-12) AS woe_mismatches,
       count(*) FILTER (WHERE c.woe <> 0) AS nonzero_woe
FROM counted c JOIN totals t USING (anchor)
GROUP BY c.anchor ORDER BY c.anchor;

-- the store applies the pinned version: each listing's bin is the row with lower <= x < upper
-- (bin -1 for NULL) and its WOE that row's
CREATE TEMP TABLE applied AS SELECT * FROM ml.woe_anchor_feature_store_t0_v1_v;
SELECT count(*) AS rows, count(DISTINCT woe_bins_version) AS versions, min(woe_bins_version) = :v1 AS is_v1,
       count(*) FILTER (WHERE woe_bins_known_at_t0) AS bins_known_at_t0,
       count(*) FILTER (WHERE t0 >= '2026-10-01 00:00+00') AS t0_after_cutoff
FROM applied;
WITH inputs AS (SELECT * FROM ml.t0_woe_anchor_inputs_v),
long AS (
    SELECT i.listing_id, x.anchor, x.value, x.bin, x.woe
    FROM inputs i JOIN applied a USING (listing_id)
    CROSS JOIN LATERAL (VALUES
        ('price_vs_segment_median', i.price_vs_segment_median, a.price_vs_segment_median_bin, a.woe_price_vs_segment_median),
        ('price_vs_regional_median', i.price_vs_regional_median, a.price_vs_regional_median_bin, a.woe_price_vs_regional_median),
        ('vehicle_age_years', i.vehicle_age_years, a.vehicle_age_years_bin, a.woe_vehicle_age_years),
        ('mileage_per_year_km', i.mileage_per_year_km, a.mileage_per_year_km_bin, a.woe_mileage_per_year_km),
        ('dist_large_city_km', i.dist_large_city_km, a.dist_large_city_km_bin, a.woe_dist_large_city_km),
        ('segment_median_days_to_sell_90d', i.segment_median_days_to_sell_90d, a.segment_median_days_to_sell_90d_bin,
         a.woe_segment_median_days_to_sell_90d)) x(anchor, value, bin, woe)
)
SELECT l.anchor, count(*) AS listings, count(*) FILTER (WHERE b.bin IS DISTINCT FROM l.bin OR b.woe IS DISTINCT FROM l.woe) AS mismatches,
       count(*) FILTER (WHERE l.bin = -1) AS missing
FROM long l
LEFT JOIN ml.woe_anchor_bins b ON b.version = :v1 AND b.anchor = l.anchor
     AND CASE WHEN b.bin = -1 THEN l.value IS NULL ELSE l.value >= b.lower AND l.value < b.upper END
GROUP BY l.anchor ORDER BY l.anchor;
-- the fusion store carries the same WOE columns
SELECT count(*) AS fusion_rows_differing FROM ml.fusion_feature_store_t0_v1_v f JOIN applied a USING (listing_id)
WHERE (f.woe_bins_version, f.woe_price_vs_segment_median, f.woe_vehicle_age_years, f.woe_segment_median_days_to_sell_90d)
      IS DISTINCT FROM (a.woe_bins_version, a.woe_price_vs_segment_median, a.woe_vehicle_age_years, a.woe_segment_median_days_to_sell_90d);

-- pinning another version switches the store; a version that does not exist or lacks anchors
-- cannot be pinned; a pin edited by hand to an incomplete version makes the store raise
SELECT ml.pin_woe_anchor_bins(:v2) = :v2 AS pinned;
SELECT min(woe_bins_version) = :v2 AS is_v2, count(*) FILTER (WHERE woe_bins_known_at_t0) AS bins_known_at_t0
FROM ml.woe_anchor_feature_store_t0_v1_v;
SELECT pg_temp.try('SELECT ml.pin_woe_anchor_bins(424242)') AS unknown_version;
INSERT INTO ml.woe_anchor_bin_versions (version, target, cutoff, bins, anchors, train_listings, train_events)
VALUES (424242, 'label_slow21', '2026-10-01', 10, ARRAY['vehicle_age_years'], 1, 1);
INSERT INTO ml.woe_anchor_bins VALUES (424242, 'vehicle_age_years', 0, '-Infinity', 'Infinity', 1, 0, 1, 1, 0, 0);
SELECT pg_temp.try('SELECT ml.pin_woe_anchor_bins(424242)') AS incomplete_version;
UPDATE spine.settings SET value = '424242' WHERE key = 'ml.woe_anchor_bins.pinned_version';
SELECT pg_temp.try('SELECT count(*) FROM ml.woe_anchor_feature_store_t0_v1_v') AS pinned_incomplete;
SELECT ml.pin_woe_anchor_bins(:v1) = :v1 AS pinned_again;

-- fitted bins are history: no UPDATE, DELETE or TRUNCATE
SELECT pg_temp.try('UPDATE ml.woe_anchor_bins SET woe = 0') AS update_bins;
SELECT pg_temp.try('DELETE FROM ml.woe_anchor_bin_versions') AS delete_versions;
SELECT pg_temp.try('TRUNCATE ml.woe_anchor_bins') AS truncate_bins;

-- fitting and pinning are not for PUBLIC
CREATE ROLE spine_regress_woe_nobody;
SELECT f, has_function_privilege('spine_regress_woe_nobody', f, 'EXECUTE') AS nobody_may_execute
FROM unnest(ARRAY['ml.fit_woe_anchor_bins(timestamptz,integer,text)', 'ml.pin_woe_anchor_bins(integer)']) AS f;
DROP ROLE spine_regress_woe_nobody;
SELECT spine.clear_demo_data();
