-- Model registry and governed training (DESIGN §6): ml.train runs the strict guard first, fits
-- on the earlier part of the store by T0 and evaluates on the later part, registers a version
-- with lineage and deploys it; ml.predict scores with the deployed version.
SET TimeZone = 'UTC';
SET spine.demo_anchor = '2026-11-01 00:00+00';
SELECT spine.clear_demo_data();
SELECT spine.generate_demo_data(3000, 90, 21) AS listings;

CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

CREATE SCHEMA mt;
CREATE VIEW mt.store AS
SELECT l.listing_id, l.first_seen_at AS t0, l.year::float8 AS year, e.price_eur::float8 AS price_at_t0,
       (extract(year FROM l.first_seen_at) - l.year)::float8 AS age_years, l.powertrain = 'ev' AS is_ev,
       EXISTS (SELECT 1 FROM marketplace.listing_events s WHERE s.listing_id = l.listing_id AND s.status = 'sold'
               AND s.observed_at <= l.first_seen_at + interval '21 days') AS label_sold21,
       coalesce(extract(epoch FROM (SELECT min(s.observed_at) FROM marketplace.listing_events s
                                    WHERE s.listing_id = l.listing_id AND s.status IN ('sold', 'removed'))
                                   - l.first_seen_at) / 86400.0,
                extract(epoch FROM timestamptz '2026-11-01 00:00+00' - l.first_seen_at) / 86400.0) AS label_duration_days,
       EXISTS (SELECT 1 FROM marketplace.listing_events s WHERE s.listing_id = l.listing_id AND s.status = 'sold') AS label_event
FROM marketplace.listings l JOIN marketplace.listing_events e ON e.listing_id = l.listing_id AND e.event_type = 'listed';
-- the data ends at a fixed anchor: freshness is switched off, certifications still expire
SELECT audit.register_store('mt.store', 'listing_id', 't0', ARRAY['label_sold21', 'label_duration_days', 'label_event'],
                            '{"max_staleness": null}');

-- training on an uncertified store is impossible
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression')$$);
-- ... and the internal half refuses to run without the strict guard's pass in the transaction
SELECT (audit.certify('mt.store')).action;
SELECT pg_temp.try($$SELECT ml._train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression', NULL, '{}')$$);

-- bad input: clear errors
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'svm')$$);
SELECT pg_temp.try($$SELECT ml.train('M-LR', 'mt.store', 'label_sold21', 'logistic_regression')$$);
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression', ARRAY['label_event'])$$);
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression', ARRAY['nope'])$$);
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'year', 'logistic_regression')$$);
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression', NULL, '{"C": 2}')$$);
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'random_forest', NULL, '{"n_trees": 0}')$$);
SELECT pg_temp.try($$SELECT ml.train('m_cox', 'mt.store', 'label_duration_days', 'coxph')$$);
SELECT pg_temp.try($$SELECT ml.train(NULL, 'mt.store', 'label_sold21', 'logistic_regression')$$);

-- four algorithms; default features = the numeric non-label columns
SELECT name, version, algorithm, task, features, target,
       cert_id = (SELECT max(cert_id) FROM audit.t0_cert_registry WHERE store = 'mt.store'::regclass) AS lineage_cert, dataset_hash = audit.dataset_hash('mt.store') AS lineage_hash,
       (metrics->>'train_rows')::int + (metrics->>'test_rows')::int + (metrics->>'rows_without_label')::int AS rows
FROM ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression', ARRAY['year', 'price_at_t0', 'age_years', 'is_ev'], '{"c": 10}');
-- without features: every numeric column that is not key, T0 or label
SELECT features FROM ml.train('m_default', 'mt.store', 'label_sold21', 'logistic_regression', NULL, '{"deploy": false}');
SELECT name, version, algorithm, round((metrics->>'auc')::numeric, 6) AS auc, (params->>'threshold') IS NOT NULL AS has_threshold
FROM ml.train('m_rf', 'mt.store', 'label_sold21', 'random_forest', ARRAY['year', 'price_at_t0', 'age_years', 'is_ev'],
              '{"n_trees": 30, "max_depth": 6, "target_precision": 0.5}');
SELECT name, version, algorithm, round((metrics->>'auc')::numeric, 6) AS auc
FROM ml.train('m_woe', 'mt.store', 'label_sold21', 'woe_scorecard', ARRAY['price_at_t0', 'age_years'], '{"bins": 5}');
SELECT name, version, algorithm, task, round((metrics->>'c_index')::numeric, 6) AS c_index
FROM ml.train('m_cox', 'mt.store', 'label_duration_days', 'coxph', ARRAY['price_at_t0', 'age_years'], '{"event": "label_event"}');

-- a stacked model on the outputs of deployed models (pinned by id) and a raw feature
SELECT name, algorithm, features, jsonb_array_length(params->'inputs') AS inputs, round((metrics->>'auc')::numeric, 6) AS auc
FROM ml.train('m_stack', 'mt.store', 'label_sold21', 'stack', ARRAY['age_years'], '{"inputs": ["m_lr", "m_cox"]}');
SELECT ml.predict('m_stack', ARRAY[8, 2018, 15000, 0]) BETWEEN 0 AND 1 AS stacked_probability;
SELECT pg_temp.try($$SELECT ml.train('m_x', 'mt.store', 'label_sold21', 'stack')$$);
SELECT pg_temp.try($$SELECT ml.train('m_x', 'mt.store', 'label_sold21', 'stack', NULL, '{"inputs": ["nope"]}')$$);
-- scoring a listing by id reads its features from the model's store
SELECT ml.score_listing('m_lr', (SELECT min(listing_id) FROM mt.store))
       = (SELECT ml.predict('m_lr', ARRAY[year, price_at_t0, age_years, is_ev::int]) FROM mt.store ORDER BY listing_id LIMIT 1) AS by_id_equals_by_value;
SELECT pg_temp.try($$SELECT ml.score_listing('m_lr', -1)$$);

-- the logistic model is the exact optimum on its training rows: equal to ml.logistic_fit over
-- the same rows (the earliest 80 % by t0, then key), computed independently in SQL
WITH rows AS (
    SELECT s.*, row_number() OVER (ORDER BY t0, listing_id) AS rn, count(*) OVER () AS n FROM mt.store s
), train AS (SELECT * FROM rows WHERE rn <= floor(n * 0.8))
SELECT abs(f.intercept - (m.artifact_json->>'intercept')::float8) < 1e-6 AS intercept_equal,
       (SELECT bool_and(abs(a - b) < 1e-6 * greatest(1, abs(b)))
        FROM unnest(f.coef, ARRAY(SELECT jsonb_array_elements_text(m.artifact_json->'coef')::float8)) AS u(a, b)) AS coef_equal
FROM (SELECT convert_from(artifact, 'UTF8')::jsonb AS artifact_json FROM ml.models WHERE name = 'm_lr') m,
     LATERAL (SELECT * FROM ml.logistic_fit(
         (SELECT array_agg(ARRAY[year, price_at_t0, age_years, is_ev::int::float8] ORDER BY t0, listing_id) FROM train),
         (SELECT array_agg(label_sold21 ORDER BY t0, listing_id) FROM train), 10, true)) f;

-- scoring: the deployed version, features in order, NULLs refused or imputed
SELECT ml.predict('m_lr', ARRAY[2018, 15000, 8, 0]) BETWEEN 0 AND 1 AS probability,
       ml.predict('m_rf', ARRAY[2018, 15000, 8, 0]) BETWEEN 0 AND 1 AS vote_share,
       ml.predict('m_woe', ARRAY[15000, 8]) BETWEEN 0 AND 1 AS scorecard,
       ml.predict('m_cox', ARRAY[15000, 8]) > 0 AS median_days;
SELECT count(*) = count(ml.predict('m_lr', ARRAY[year, price_at_t0, age_years, is_ev::int])) AS scored_every_row FROM mt.store;
SELECT pg_temp.try($$SELECT ml.predict('m_lr', ARRAY[1.0])$$);
SELECT pg_temp.try($$SELECT ml.predict('m_lr', ARRAY[2018, NULL, 8, 0])$$);
SELECT pg_temp.try($$SELECT ml.predict('m_lr', ARRAY[2018, 'NaN'::float8, 8, 0])$$);
SELECT pg_temp.try($$SELECT ml.predict('nope', ARRAY[1.0])$$);
SELECT pg_temp.try($$SELECT ml.predict(NULL, ARRAY[1.0])$$);
SELECT pg_temp.try($$SELECT ml.predict('m_lr', NULL)$$);
SELECT version FROM ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression', ARRAY['year', 'price_at_t0', 'age_years', 'is_ev'],
                             '{"impute": "mean", "class_weight": "balanced"}');
SELECT ml.predict('m_lr', ARRAY[2018, NULL, 8, 0]) BETWEEN 0 AND 1 AS imputed;

-- deploy and rollback: a new version replaces the cached one at once, rollback goes back
SELECT round(ml.predict('m_lr', ARRAY[2018, 15000, 8, 0])::numeric, 6) = (
    SELECT round(ml.predict('m_lr', ARRAY[2018, 15000, 8, 0])::numeric, 6)) AS cached_consistent;
CREATE TEMP TABLE p AS SELECT ml.predict('m_lr', ARRAY[2018, 15000, 8, 0]) AS v2;
SELECT ml.rollback('m_lr') = (SELECT model_id FROM ml.models WHERE name = 'm_lr' AND version = 1) AS rolled_back;
SELECT ml.predict('m_lr', ARRAY[2018, 15000, 8, 0]) <> v2 AS version1_scores_differently FROM p;
SELECT ml.deploy('m_lr') = (SELECT model_id FROM ml.models WHERE name = 'm_lr' AND version = 2) AS redeployed_newest;
SELECT ml.predict('m_lr', ARRAY[2018, 15000, 8, 0]) = v2 AS newest_again FROM p;
SELECT pg_temp.try($$SELECT ml.deploy('m_lr', 9)$$);
SELECT name, action, (SELECT version FROM ml.models m WHERE m.model_id = l.model_id) AS version
FROM ml.deployment_log l WHERE name = 'm_lr' ORDER BY event_id;
SELECT name, version, deployed FROM ml.model_status ORDER BY name, version;

-- a store that stops passing its strict guard cannot be trained on
SELECT audit.revoke('mt.store', 'regression test');
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression')$$);
-- roles: a reader may score, not train or deploy
GRANT USAGE ON SCHEMA mt TO spine_reader;
SET ROLE spine_reader;
SELECT ml.predict('m_lr', ARRAY[2018, 15000, 8, 0]) BETWEEN 0 AND 1 AS reader_scores;
SELECT pg_temp.try($$SELECT ml.deploy('m_lr', 1)$$);
SELECT pg_temp.try($$SELECT ml.train('m_lr', 'mt.store', 'label_sold21', 'logistic_regression')$$);
RESET ROLE;
