-- The demo's main job: generate a marketplace, run the ingest step on a fresh scrape, and
-- summarise what is there. Run by scripts/demo.sh with -v listings=N.
\pset footer off
\timing off
SET TimeZone = 'UTC';
SET client_min_messages = warning;

\echo
\echo '── 1. Synthetic marketplace (spine.generate_demo_data) ──'
\timing on
SELECT spine.generate_demo_data(:listings) AS listings_generated;
\timing off

SELECT 'marketplace.listings' AS "table", count(*) AS "rows" FROM marketplace.listings
UNION ALL SELECT 'marketplace.listing_events', count(*) FROM marketplace.listing_events
UNION ALL SELECT 'marketplace.listing_images', count(*) FROM marketplace.listing_images
UNION ALL SELECT 'marketplace.regions', count(*) FROM marketplace.regions
UNION ALL SELECT 'marketplace.cities', count(*) FROM marketplace.cities
UNION ALL SELECT 'marketplace.region_socio', count(*) FROM marketplace.region_socio
UNION ALL SELECT 'spine.demo_truth_duplicates', count(*) FROM spine.demo_truth_duplicates
UNION ALL SELECT 'spine.demo_truth_battery', count(*) FROM spine.demo_truth_battery;

SELECT status, count(*) AS listings, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct,
       round(avg(price_eur)) AS avg_price_eur
FROM marketplace.listings GROUP BY status ORDER BY status;

SELECT powertrain, count(*) AS listings, round(avg(price_eur)) AS avg_price_eur, round(avg(mileage_km)) AS avg_km
FROM marketplace.listings GROUP BY powertrain ORDER BY listings DESC;

\echo 'Price signal: share sold within 21 days of first sighting, by asking price versus latent market value'
SELECT CASE WHEN e.price_eur < 0.95 * t.market_value_eur THEN '1 below market (<95%)'
            WHEN e.price_eur <= 1.05 * t.market_value_eur THEN '2 at market'
            ELSE '3 above market (>105%)' END AS asking_price,
       count(*) AS listings,
       round(100.0 * avg((l.status = 'sold' AND l.status_changed_at <= l.first_seen_at + interval '21 days')::int), 1) AS pct_sold_21d
FROM marketplace.listings l
JOIN spine.demo_truth_market t USING (listing_id)
JOIN marketplace.listing_events e ON e.listing_id = l.listing_id AND e.event_type = 'listed'
WHERE l.first_seen_at <= (SELECT max(last_seen_at) FROM marketplace.listings) - interval '21 days'
GROUP BY 1 ORDER BY 1;

\echo 'A few EV descriptions (battery facts stated in varied forms and languages):'
SELECT l.listing_id, l.region_code, left(l.description, 110) AS description
FROM marketplace.listings l JOIN spine.demo_truth_battery b USING (listing_id)
WHERE b.capacity_stated OR b.soh_stated ORDER BY l.listing_id LIMIT 5;

\echo 'Battery facts read back from those texts (spine.extract_battery) against what the generator planted:'
SELECT count(*) FILTER (WHERE t.capacity_stated) AS capacity_stated,
       count(*) FILTER (WHERE t.capacity_stated AND x.capacity_kwh = t.capacity_kwh) AS capacity_read_correctly,
       count(*) FILTER (WHERE t.soh_stated) AS soh_stated,
       count(*) FILTER (WHERE t.soh_stated AND x.soh_pct = t.soh_pct) AS soh_read_correctly,
       count(*) FILTER (WHERE (x.capacity_kwh IS NOT NULL AND NOT t.capacity_stated) OR (x.soh_pct IS NOT NULL AND NOT t.soh_stated)) AS read_but_not_stated
FROM spine.demo_truth_battery t JOIN marketplace.listings l USING (listing_id), spine.extract_battery(l.description) x;

\echo
\echo '── 2. marketplace_ingest_and_audit, step ingest (spine.ingest_landing) ──'
\echo 'A new scrape lands: 500 active listings seen again (a fifth of them cheaper, some sold), 20 new listings, 3 malformed rows.'
SELECT spine.land_batch('autoplaza', (
  SELECT jsonb_agg(o ORDER BY k) FROM (
    SELECT l.listing_id AS k, jsonb_build_object(
             'source', l.source, 'source_listing_id', l.source_listing_id,
             'observed_at', to_char(greatest(now(), l.last_seen_at + interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             'make', l.make, 'model', l.model, 'year', l.year, 'mileage_km', l.mileage_km,
             'price_eur', CASE WHEN l.listing_id % 5 = 0 THEN round(l.price_eur * 0.95) ELSE l.price_eur END,
             'status', CASE WHEN l.listing_id % 17 = 0 THEN 'sold' ELSE 'active' END) AS o
    FROM marketplace.listings l WHERE l.status = 'active' ORDER BY l.listing_id LIMIT 500
  ) s) ||
  (SELECT jsonb_agg(jsonb_build_object('source_listing_id', 'demo-new-' || g,
            'observed_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'make', 'Tesla', 'model', 'Model 3', 'year', 2022, 'price_eur', 31990 + 100 * g, 'powertrain', 'ev',
            'region_code', 'DE-BY', 'image_urls', jsonb_build_array('https://img.spine-demo.test/new/' || g || '.jpg')))
   FROM generate_series(1, 20) g) ||
  '[{"source_listing_id": "bad-1", "observed_at": "2026-11-01 10:00", "make": "VW", "model": "Golf", "year": 2019, "price_eur": 9000},
    {"source_listing_id": "bad-2", "observed_at": "2026-11-01T10:00:00Z", "make": "VW", "model": "Golf", "year": 1850, "price_eur": "n/a"},
    {"make": "Opel"}]'::jsonb) AS landing_batch;
SELECT * FROM spine.ingest_landing();
SELECT event_type, count(*) AS events_from_this_batch FROM marketplace.listing_events
WHERE batch_id = (SELECT max(batch_id) FROM marketplace.landing_batches) GROUP BY 1 ORDER BY 1;
SELECT row_no, reason FROM marketplace.landing_quarantine ORDER BY batch_id, row_no;
\echo 'Ingesting again changes nothing (idempotent):'
SELECT count(*) AS batches_ingested_again FROM spine.ingest_landing();

\echo
\echo '── 3. Dataset and view-definition hashing (audit.dataset_hash, audit.viewdef_hash) ──'
\timing on
SELECT audit.dataset_hash('marketplace.listings') AS listings_hash;
\timing off
SELECT audit.dataset_hash('marketplace.listings') =
       (SELECT audit.hash_agg(l.*) FROM (SELECT * FROM marketplace.listings ORDER BY random()) l) AS same_hash_in_any_row_order;
DROP VIEW IF EXISTS public.demo_active_evs;
CREATE VIEW public.demo_active_evs AS
  SELECT listing_id, make, model, price_eur, mileage_km FROM marketplace.listings WHERE status = 'active' AND powertrain = 'ev';
\echo 'The definition closure of a view over the listings (what a certification would pin):'
SELECT object_type, object_identity, left(object_hash, 16) AS object_hash FROM audit.viewdef_closure('public.demo_active_evs');
\echo 'Drift: PSI of asking prices, listings first seen in the last 30 days against the 30 days before'
SELECT round(audit.psi(
         (SELECT array_agg(price_eur::float8) FROM marketplace.listings WHERE first_seen_at >= (SELECT max(first_seen_at) FROM marketplace.listings) - interval '60 days'
                                                                         AND first_seen_at <  (SELECT max(first_seen_at) FROM marketplace.listings) - interval '30 days'),
         (SELECT array_agg(price_eur::float8) FROM marketplace.listings WHERE first_seen_at >= (SELECT max(first_seen_at) FROM marketplace.listings) - interval '30 days'))::numeric, 4) AS price_psi,
       '< 0.1 stable, > 0.25 blocks' AS reading;

\echo
\echo '── 4. Survival statistics on the marketplace (ml.kaplan_meier_median, ml.logrank, ml.coxph) ──'
CREATE TEMP TABLE demo_surv AS
SELECT l.listing_id,
       extract(epoch FROM coalesce(l.status_changed_at, l.last_seen_at) - l.first_seen_at) / 86400 AS days,
       l.status = 'sold' AS sold,
       CASE WHEN e.price_eur < 0.95 * t.market_value_eur THEN '1 below market'
            WHEN e.price_eur <= 1.05 * t.market_value_eur THEN '2 at market' ELSE '3 above market' END AS price_group,
       (e.price_eur / t.market_value_eur)::float8 AS price_ratio,
       (extract(year FROM l.first_seen_at) - l.year)::float8 AS age_years
FROM marketplace.listings l
JOIN spine.demo_truth_market t USING (listing_id)
JOIN marketplace.listing_events e ON e.listing_id = l.listing_id AND e.event_type = 'listed';
SELECT price_group, count(*) AS listings, round(ml.kaplan_meier_median(array_agg(days), array_agg(sold))::numeric, 1) AS median_days_to_sale
FROM demo_surv GROUP BY price_group ORDER BY price_group;
SELECT round(statistic::numeric, 1) AS logrank_statistic, dof, pvalue
FROM (SELECT array_agg(days) d, array_agg(sold) s, array_agg(price_group) g FROM demo_surv) a, ml.logrank(a.d, a.s, a.g);
SELECT n, events, names, array(SELECT round(c::numeric, 3) FROM unnest((f).coef) c) AS coef,
       array(SELECT round(h::numeric, 2) FROM unnest((f).coef) c, exp(c) h) AS hazard_ratio,
       round((f).concordance::numeric, 3) AS concordance
FROM (SELECT ml.coxph(array_agg(days), array_agg(sold), array_agg(ARRAY[price_ratio, age_years]), ARRAY['price_ratio', 'age_years']) AS f
      FROM demo_surv) x, LATERAL (SELECT (f).n, (f).events, (f).names) y;
\echo 'A hazard ratio below 1 for price_ratio: listings priced above the market sell more slowly.'

\echo
\echo '── 5. DB healing (spine.dedupe, spine.refit_battery) ──'
\echo 'Dedupe of reposted listings: blocking, scored links with reasons, union-find; quality against the planted reposts:'
SELECT listings, candidate_pairs, links, groups, changed FROM spine.dedupe(full => true);
SELECT round(precision::numeric, 4) AS precision, round(recall::numeric, 4) AS recall, round(f1::numeric, 4) AS f1,
       linked_listings, true_reposts FROM spine.dedupe_quality();
\echo 'One link and why:'
SELECT listing_id, canonical_listing_id, round(score::numeric, 3) AS score, array_to_string(reasons[1:5], '; ') AS reasons
FROM marketplace.listing_links WHERE superseded_at IS NULL ORDER BY listing_id LIMIT 3;
\echo 'Battery refit of electrified listings: stated values kept beside refitted ones, with source and confidence:'
SELECT listings, capacity_stated, capacity_healed, soh_stated, soh_healed FROM spine.refit_battery();
SELECT b.capacity_source, b.soh_source, count(*) AS listings,
       round(avg(abs(b.soh_pct - t.soh_pct))::numeric, 2) AS soh_mean_abs_error_vs_truth
FROM marketplace.listing_battery b JOIN spine.demo_truth_battery t USING (listing_id)
GROUP BY 1, 2 ORDER BY 1, 2;

\echo
\echo '── 6. The six certified feature stores (audit.certify, audit.require_certified) ──'
\echo 'WOE anchor bins fitted on listings first seen more than 30 days ago, then pinned (version):'
SELECT ml.pin_woe_anchor_bins(ml.fit_woe_anchor_bins(now() - interval '30 days')) AS woe_bins_version;
\echo 'Certifying each store: definition closure, dataset hash, profile, invariants, leakage probe:'
SELECT store_name, row_count, left(dataset_hash, 16) AS dataset_hash FROM audit.certify('ml.survival_feature_store_t0_v1_v');
SELECT store_name, row_count, left(dataset_hash, 16) AS dataset_hash FROM audit.certify('ml.geo_feature_store_t0_v1_v');
SELECT store_name, row_count, left(dataset_hash, 16) AS dataset_hash FROM audit.certify('ml.socio_market_feature_store_t0_v1_v');
SELECT store_name, row_count, left(dataset_hash, 16) AS dataset_hash FROM audit.certify('ml.trainer_derived_feature_store_t0_v1_v');
SELECT store_name, row_count, left(dataset_hash, 16) AS dataset_hash FROM audit.certify('ml.woe_anchor_feature_store_t0_v1_v');
SELECT store_name, row_count, left(dataset_hash, 16) AS dataset_hash FROM audit.certify('ml.fusion_feature_store_t0_v1_v');
\echo 'The strict assert of the fusion store (its components certified too) and 100 000 fast guard calls:'
\timing on
SELECT audit.assert_t0_certified_fusion_store_v1();
SELECT count(audit.require_certified('ml.fusion_feature_store_t0_v1_v')) AS guard_calls FROM generate_series(1, 100000);
\timing off
\echo 'Fail-closed: revoke a component and the fusion guard refuses (its own SQLSTATE), the failure is logged even though the caller rolled back:'
SELECT audit.revoke('ml.geo_feature_store_t0_v1_v', 'demo: a component revoked');
DO $$ BEGIN PERFORM audit.require_certified('ml.fusion_feature_store_t0_v1_v');
EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'blocked: % %', SQLSTATE, SQLERRM; END $$;
SELECT guard, outcome, sqlstate, message FROM audit.guard_verdicts WHERE outcome = 'fail' ORDER BY verdict_id DESC LIMIT 1;
SELECT (audit.certify('ml.geo_feature_store_t0_v1_v', 'demo: re-certified')).cert_id AS recertified;
SELECT store_name, status, last_outcome FROM audit.certification_status WHERE store_name LIKE 'ml.%' ORDER BY 1;

\echo
\echo '── 7. Models on the certified stores (ml.train behind the strict guard) ──'
SELECT name, version, algorithm, round((metrics->>'auc')::numeric, 3) AS holdout_auc, round((metrics->>'brier')::numeric, 3) AS brier,
       round((params->>'threshold')::numeric, 3) AS gate_threshold, cert_id AS trained_on_certification
FROM ml.train_slow21_gate();
SELECT name, version, algorithm, round((metrics->>'c_index')::numeric, 3) AS holdout_c_index FROM ml.train_survival_time();
SELECT name, version, algorithm, round((metrics->>'auc')::numeric, 3) AS holdout_auc FROM ml.train_fast24_flagger();
\echo 'Scoring three listings from the fusion store:'
SELECT l.listing_id, round(g.score::numeric, 3) AS slow21_score, g.gate, round(f.score::numeric, 3) AS fast24_score,
       round(ml.predicted_days_to_sale(l.listing_id)::numeric, 1) AS predicted_days_to_sale
FROM (SELECT listing_id FROM ml.fusion_feature_store_t0_v1_v ORDER BY listing_id LIMIT 3) l,
     LATERAL ml.slow21_gate(l.listing_id) g, LATERAL ml.fast24_flag(l.listing_id) f;

\echo
\echo '── 8. The six pipelines (spine.pipelines, spine.run_pipeline, pg_cron) ──'
SELECT pipeline_id, jobid IS NOT NULL AS scheduled, schedule FROM spine.install_schedules() ORDER BY 1;
SELECT pipeline_id, status, message FROM spine.run_pipeline('marketplace_ingest_and_audit');
SELECT pipeline_id, status, message FROM spine.run_pipeline('survival_marketplace_daily');
SELECT pipeline_id, last_run_status, last_success_at IS NOT NULL AS succeeded_once, next_due_at, overdue FROM spine.pipeline_status ORDER BY 1;

\echo
\echo '── What is in this build ──'
SELECT capability, status FROM (VALUES
  (1, 'data model, generator, ingest with quarantine', 'ready'),
  (2, 'dataset and view-definition hashing (audit.hash_agg, audit.dataset_hash, audit.viewdef_hash)', 'ready'),
  (3, 'fail-closed certification and guards (audit.certify, audit.require_certified…), audit.psi, audit.ks_2samp', 'ready'),
  (4, 'the six certified T0 feature stores (ml.*_feature_store_t0_v1_v)', 'ready'),
  (5, 'the six pipelines on pg_cron (spine.install_schedules, spine.run_pipeline)', 'ready'),
  (6, 'survival statistics, Cox PH, WOE bins, logistic regression (ml.*)', 'ready'),
  (7, 'model registry, governed training, slow21 / fast24 / survival deployments', 'ready'),
  (8, 'dedupe, battery extraction and refit, make/model normalisation', 'ready'),
  (9, 'ONNX Runtime: imported models, text and image embeddings', 'ready (MiniLM after make models)'),
  (10, 'background workers and the job queue (image fetch, labels, embeddings)', 'ready (shown below)')
) AS c(n, capability, status) ORDER BY n;
