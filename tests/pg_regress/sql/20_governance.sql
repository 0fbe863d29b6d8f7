-- Governance (DESIGN §4): registration, certification, fast and strict guards, the tamper battery
-- (each way of breaking a certified store is blocked with its own SQLSTATE) and benign operations
-- that must not block. Fresh data relative to today (default demo anchor), so freshness holds.
SET TimeZone = 'UTC';
SELECT spine.clear_demo_data();
SELECT spine.generate_demo_data(2000, 60, 5) AS listings;

-- outcome of a statement as "SQLSTATE message" (the exception block rolls back the statement,
-- which is what shows that failed verdicts survive a rollback)
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.detail(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || d;
END $$;

-- fixture: a T0-correct store built from a view, a function and a domain
CREATE SCHEMA t;
CREATE DOMAIN t.model_year AS integer CHECK (VALUE BETWEEN 1900 AND 2100);
CREATE FUNCTION t.price_band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN p < 10000 THEN 'low' WHEN p < 25000 THEN 'mid' ELSE 'high' END $$;
CREATE VIEW t.listed AS
    SELECT listing_id, observed_at, price_eur FROM marketplace.listing_events WHERE event_type = 'listed';
CREATE VIEW t.store AS
SELECT l.listing_id, l.first_seen_at AS t0, l.make, l.year::t.model_year AS year, l.powertrain,
       e.price_eur AS price_at_t0, t.price_band(e.price_eur) AS band,
       EXISTS (SELECT 1 FROM marketplace.listing_events s WHERE s.listing_id = l.listing_id AND s.status = 'sold'
               AND s.observed_at <= l.first_seen_at + interval '21 days') AS label_sold21
FROM marketplace.listings l JOIN t.listed e ON e.listing_id = l.listing_id;
-- a table store (data owned by the test) and a frozen one
CREATE TABLE t.tbl AS SELECT listing_id, t0, make, price_at_t0, label_sold21 FROM t.store;
ALTER TABLE t.tbl ADD PRIMARY KEY (listing_id);
CREATE TABLE t.frozen AS SELECT listing_id, t0, make, price_at_t0 FROM t.store ORDER BY listing_id LIMIT 300;
ALTER TABLE t.frozen ADD PRIMARY KEY (listing_id);
-- a store with a component, and a leaky one (reads the listing's current state)
CREATE VIEW t.fusion AS SELECT s.listing_id, s.t0, s.band, b.price_at_t0 FROM t.store s JOIN t.tbl b USING (listing_id);
CREATE VIEW t.leaky AS SELECT listing_id, first_seen_at AS t0, make, price_eur AS price_now, status, mileage_km FROM marketplace.listings;

-- registration: bad input is refused with the fix
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'id', 't0')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 'make')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0', ARRAY['label_x'])$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0', '{}', '{"max_stalenes": "1 day"}')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0', '{}', '{"max_age": "soon"}')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0', '{}', '{"psi_block": -1}')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0', '{}', '{"watermark": "marketplace.listings.make"}')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0', '{}', '{"components": ["t.nope"]}')$$);
SELECT pg_temp.try($$SELECT audit.register_store(NULL, 'listing_id', 't0')$$);
SELECT pg_temp.try($$SELECT audit.register_store('t.store_idx', 'listing_id', 't0')$$);

SELECT audit.register_store('t.store', 'listing_id', 't0', ARRAY['label_sold21'],
                            '{"not_null": ["price_at_t0"], "nonnegative": ["price_at_t0"]}');
SELECT audit.register_store('t.tbl', 'listing_id', 't0', ARRAY['label_sold21']);
SELECT audit.register_store('t.frozen', 'listing_id', 't0', '{}',
    '{"frozen": true, "psi_warn": null, "psi_block": null, "ks_alpha": null, "max_null_rate_change": null, "max_row_count_change": null}');
SELECT audit.register_store('t.fusion', 'listing_id', 't0', '{}', '{"components": ["t.store", "t.tbl"]}');
SELECT audit.register_store('t.leaky', 'listing_id', 't0');

-- not certified yet
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$);
SELECT pg_temp.try($$SELECT audit.require_certified('pg_catalog.pg_class')$$);
SELECT pg_temp.try($$SELECT audit.require_certified(NULL)$$);
-- the fusion store cannot be certified before its components
SELECT pg_temp.try($$SELECT audit.certify('t.fusion')$$);

-- certification
SELECT cert_id, store, action, row_count = (SELECT count(*) FROM t.store) AS row_count_ok, length(viewdef_hash) AS h,
       length(dataset_hash) AS d, expires_at - at AS lifetime, note
FROM audit.certify('t.store', 'first certification');
SELECT object_type, object_identity FROM audit.t0_viewdef_baseline WHERE store = 't.store'::regclass ORDER BY 1, 2;
SELECT column_name, column_type, kind, null_rate, cardinality(sample) > 0 AS sampled, cardinality(edges) AS edges,
       jsonb_array_length(categories) > 0 AS has_categories
FROM audit.t0_profile_baseline WHERE cert_id = 1 ORDER BY column_name;
SELECT (audit.certify('t.tbl')).cert_id;
SELECT (audit.certify('t.frozen')).cert_id;
SELECT (audit.certify('t.fusion')).cert_id;
SELECT audit.require_certified('t.store'), audit.require_certified_strict('t.store');
SELECT audit.require_certified('t.fusion'), audit.require_certified_strict('t.frozen');

-- the leakage probe names the columns that read the future, and the store stays uncertified
SELECT pg_temp.detail($$SELECT audit.certify('t.leaky')$$);
SELECT pg_temp.try($$SELECT audit.require_certified('t.leaky')$$);
-- the probe rolled back everything it appended
SELECT count(*) AS events_after_probe FROM marketplace.listing_events WHERE observed_at > now();

---------------------------------------------------------------------------------------------
-- Benign operations: none of them blocks
---------------------------------------------------------------------------------------------
VACUUM FULL marketplace.listings;
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS after_vacuum_full;
CLUSTER marketplace.listing_events USING listing_events_pkey;
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.store')$$) AS after_cluster;
ANALYZE marketplace.listings;
REINDEX TABLE marketplace.listings;
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS after_analyze_reindex;
ALTER TABLE marketplace.listings ADD COLUMN unrelated_note text;
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS after_unrelated_column;
COMMENT ON VIEW t.store IS 'a test store';
COMMENT ON FUNCTION t.price_band(numeric) IS 'bands';
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS after_comments;
GRANT USAGE ON SCHEMA t TO spine_reader;
GRANT SELECT ON t.store TO spine_reader;
ALTER TABLE t.tbl SET (fillfactor = 90);
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS after_grant,
       pg_temp.try($$SELECT audit.require_certified_strict('t.tbl')$$) AS after_fillfactor;
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = 0;
SET search_path = t, public;
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.store')$$) AS other_session_settings,
       pg_temp.try($$SELECT audit.require_certified_strict('t.frozen')$$) AS frozen_other_settings;
RESET TimeZone; RESET DateStyle; RESET extra_float_digits; RESET search_path;
SET TimeZone = 'UTC';
SELECT (audit.certify('t.store', 'second, identical')).cert_id AS recertified;
SELECT pg_temp.try($$SELECT audit.require_certified('t.fusion')$$) AS after_second_certify;
SELECT audit.register_store('t.tbl', 'listing_id', 't0', ARRAY['label_sold21']);
SELECT pg_temp.try($$SELECT audit.require_certified('t.tbl')$$) AS after_reregistering_same_policy;
-- a reader may call guards (SECURITY DEFINER) but not certify, revoke or register
SET ROLE spine_reader;
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS reader_guard;
SELECT pg_temp.try($$SELECT audit.certify('t.store')$$) AS reader_certify;
SELECT pg_temp.try($$SELECT audit.revoke('t.store', 'x')$$) AS reader_revoke;
SELECT pg_temp.try($$SELECT audit.register_store('t.store', 'listing_id', 't0')$$) AS reader_register;
SELECT pg_temp.try($$SELECT audit._certify('t.store', NULL)$$) AS reader_internal_certify;
SELECT pg_temp.try($$INSERT INTO audit.t0_dataset_hash_baseline VALUES (1, 't.store', 'x', 1, now())$$) AS reader_baseline;
RESET ROLE;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'spine_test_admin') THEN CREATE ROLE spine_test_admin IN ROLE spine_admin; END IF; END $$;
GRANT USAGE ON SCHEMA t TO spine_admin;
SET ROLE spine_test_admin;
SELECT (audit.certify('t.store', 'by an admin')).by_role AS admin_certifies;
RESET ROLE;

---------------------------------------------------------------------------------------------
-- Tamper battery: each is blocked, with its SQLSTATE
---------------------------------------------------------------------------------------------
-- 1. write the registry, baselines or verdicts directly (even as their owner)
SELECT pg_temp.try($$INSERT INTO audit.t0_cert_registry (store, store_name, action, at, by_role) VALUES ('t.leaky', 't.leaky', 'certify', now(), 'me')$$) AS t1;
-- 2.
SELECT pg_temp.try($$UPDATE audit.t0_cert_registry SET expires_at = 'infinity'$$) AS t2;
-- 3.
SELECT pg_temp.try($$DELETE FROM audit.t0_viewdef_baseline WHERE store = 't.store'::regclass$$) AS t3;
-- 4.
SELECT pg_temp.try($$TRUNCATE audit.guard_verdicts$$) AS t4;
-- 5.
SELECT pg_temp.try($$UPDATE audit.store_policies SET policy = '{"max_staleness": null}'$$) AS t5;
-- 6. shadowing on the caller's search_path changes nothing the guard reads
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE TEMP TABLE t0_cert_registry (LIKE audit.t0_cert_registry);
INSERT INTO t0_cert_registry (cert_id, store, store_name, action, at, by_role) VALUES (999, 't.leaky', 't.leaky', 'certify', now(), 'me');
SET search_path = pg_temp, public, pg_catalog;
SELECT pg_temp.try($$SELECT audit.require_certified('t.leaky')$$) AS t6_shadowing;
RESET search_path;
DROP FUNCTION public.now();
-- 7. change a function the store uses
CREATE OR REPLACE FUNCTION t.price_band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN p < 12000 THEN 'low' WHEN p < 25000 THEN 'mid' ELSE 'high' END $$;
SELECT pg_temp.detail($$SELECT audit.require_certified('t.store')$$) AS t7;
-- 8. the fusion store's component changed: fusion is blocked too
SELECT pg_temp.try($$SELECT audit.require_certified('t.fusion')$$) AS t8;
CREATE OR REPLACE FUNCTION t.price_band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN p < 10000 THEN 'low' WHEN p < 25000 THEN 'mid' ELSE 'high' END $$;
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS restored_function_passes;
-- 9. change a view the store depends on
CREATE OR REPLACE VIEW t.listed AS
    SELECT listing_id, observed_at, price_eur FROM marketplace.listing_events WHERE event_type IN ('listed', 'price_change');
SELECT pg_temp.detail($$SELECT audit.require_certified('t.store')$$) AS t9;
CREATE OR REPLACE VIEW t.listed AS
    SELECT listing_id, observed_at, price_eur FROM marketplace.listing_events WHERE event_type = 'listed';
-- 10. redefine the store itself
CREATE OR REPLACE VIEW t.store AS
SELECT l.listing_id, l.first_seen_at AS t0, l.make, l.year::t.model_year AS year, l.powertrain,
       round(e.price_eur * 1.1, 2)::numeric(12,2) AS price_at_t0, t.price_band(e.price_eur) AS band,
       EXISTS (SELECT 1 FROM marketplace.listing_events s WHERE s.listing_id = l.listing_id AND s.status = 'sold'
               AND s.observed_at <= l.first_seen_at + interval '21 days') AS label_sold21
FROM marketplace.listings l JOIN t.listed e ON e.listing_id = l.listing_id;
SELECT pg_temp.detail($$SELECT audit.require_certified('t.store')$$) AS t10;
-- 11. change a domain it uses
CREATE OR REPLACE VIEW t.store AS
SELECT l.listing_id, l.first_seen_at AS t0, l.make, l.year::t.model_year AS year, l.powertrain,
       e.price_eur AS price_at_t0, t.price_band(e.price_eur) AS band,
       EXISTS (SELECT 1 FROM marketplace.listing_events s WHERE s.listing_id = l.listing_id AND s.status = 'sold'
               AND s.observed_at <= l.first_seen_at + interval '21 days') AS label_sold21
FROM marketplace.listings l JOIN t.listed e ON e.listing_id = l.listing_id;
SELECT pg_temp.try($$SELECT audit.require_certified('t.store')$$) AS original_definition_passes;
ALTER DOMAIN t.model_year ADD CONSTRAINT recent CHECK (VALUE > 1950);
SELECT pg_temp.detail($$SELECT audit.require_certified('t.store')$$) AS t11;
ALTER DOMAIN t.model_year DROP CONSTRAINT recent;
-- 12. a referenced column's type changed (drop, alter, recreate the identical view)
CREATE TABLE t.colour_ref (listing_id bigint PRIMARY KEY, colour text);
INSERT INTO t.colour_ref SELECT listing_id, colour FROM marketplace.listings;
CREATE VIEW t.colours AS SELECT r.listing_id, l.first_seen_at AS t0, r.colour FROM t.colour_ref r JOIN marketplace.listings l USING (listing_id);
SELECT audit.register_store('t.colours', 'listing_id', 't0');
SELECT (audit.certify('t.colours')).cert_id > 0 AS colours_certified;
DROP VIEW t.colours;
ALTER TABLE t.colour_ref ALTER COLUMN colour TYPE varchar(40);
CREATE VIEW t.colours AS SELECT r.listing_id, l.first_seen_at AS t0, r.colour FROM t.colour_ref r JOIN marketplace.listings l USING (listing_id);
-- 13. ... and the recreated view is a new relation: not the certified one
SELECT pg_temp.try($$SELECT audit.require_certified('t.colours')$$) AS t13_recreated;
SELECT audit.register_store('t.colours', 'listing_id', 't0');
SELECT pg_temp.try($$SELECT audit.require_certified('t.colours')$$) AS t13_registered_again;
-- 14. a column of the store renamed
ALTER VIEW t.fusion RENAME COLUMN band TO price_band;
SELECT pg_temp.detail($$SELECT audit.require_certified('t.fusion')$$) AS t14;
ALTER VIEW t.fusion RENAME COLUMN price_band TO band;
-- 15. a future-dated row (strict at once; the fast guard when it rechecks its watermark)
INSERT INTO t.tbl VALUES (-1, now() + interval '1 day', 'Tesla', 40000, false);
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.tbl')$$) AS t15_strict;
SET spine.guard_recheck_interval = 0;
SELECT pg_temp.try($$SELECT audit.require_certified('t.tbl')$$) AS t15_fast;
DELETE FROM t.tbl WHERE listing_id = -1;
-- 16. a duplicated key
INSERT INTO t.frozen SELECT -listing_id, t0, make, price_at_t0 FROM t.frozen LIMIT 1;
CREATE VIEW t.dups AS SELECT abs(listing_id) AS listing_id, t0, make, price_at_t0 FROM t.frozen;
SELECT audit.register_store('t.dups', 'listing_id', 't0', '{}', '{"leakage_probe": false}');
SELECT pg_temp.try($$SELECT audit.certify('t.dups')$$) AS t16_duplicate_key;
-- 17. rows of a frozen store added, edited, deleted
SELECT pg_temp.detail($$SELECT audit.require_certified_strict('t.frozen')$$) LIKE 'SP006 dataset hash%' AS t17_added;
DELETE FROM t.frozen WHERE listing_id < 0;
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.frozen')$$) AS restored_frozen_passes;
UPDATE t.frozen SET price_at_t0 = price_at_t0 + 1 WHERE listing_id = (SELECT min(listing_id) FROM t.frozen);
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.frozen')$$) AS t17_edited;
UPDATE t.frozen SET price_at_t0 = price_at_t0 - 1 WHERE listing_id = (SELECT min(listing_id) FROM t.frozen);
DELETE FROM t.frozen WHERE listing_id = (SELECT max(listing_id) FROM t.frozen);
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.frozen')$$) AS t17_deleted;
-- 18. a shifted distribution (PSI) ...
UPDATE t.tbl SET price_at_t0 = price_at_t0 * 3;
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.tbl')$$) AS t18_shift;
SELECT (SELECT evidence->'drift'->'price_at_t0'->>'psi' FROM audit.guard_verdicts
        WHERE store = 't.tbl'::regclass AND outcome = 'fail' ORDER BY verdict_id DESC LIMIT 1)::float8 > 0.25 AS psi_recorded;
UPDATE t.tbl SET price_at_t0 = price_at_t0 / 3;
-- 19. ... a null-rate change ...
UPDATE t.tbl SET make = NULL WHERE listing_id % 3 = 0;
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.tbl')$$) AS t19_nulls;
UPDATE t.tbl SET make = 'restored' WHERE make IS NULL;
-- 20. ... and a row-count change
DELETE FROM t.tbl WHERE listing_id % 5 <> 0;
SELECT pg_temp.try($$SELECT audit.require_certified_strict('t.tbl')$$) AS t20_rows;
-- 21. a violated store invariant (the policy's not-null column)
CREATE TABLE t.inv AS SELECT listing_id, t0, price_at_t0 FROM t.store;
SELECT audit.register_store('t.inv', 'listing_id', 't0', '{}', '{"not_null": ["price_at_t0"], "nonnegative": ["price_at_t0"]}');
SELECT (audit.certify('t.inv')).cert_id > 0 AS inv_certified;
UPDATE t.inv SET price_at_t0 = -5 WHERE listing_id = (SELECT min(listing_id) FROM t.inv);
SELECT pg_temp.detail($$SELECT audit.require_certified_strict('t.inv')$$) AS t21;
-- 22. stale data
SELECT audit.register_store('t.inv', 'listing_id', 't0', '{}', '{"max_staleness": "1 second"}');
SELECT pg_temp.try($$SELECT audit.require_certified('t.inv')$$) AS t22_stale;
-- 23. an expired certification
SELECT audit.register_store('t.inv', 'listing_id', 't0', '{}', '{"max_age": "1 microsecond"}');
SELECT pg_temp.try($$SELECT audit.require_certified('t.inv')$$) AS t23_expired;
-- 24. a revoked certification, and the store that depends on it
SELECT audit.revoke('t.store', 'feed corrupted');
SELECT pg_temp.detail($$SELECT audit.require_certified('t.store')$$) LIKE 'SP001 revoked at % feed corrupted' AS t24;
SELECT pg_temp.try($$SELECT audit.require_certified('t.fusion')$$) AS t24_component;
SELECT pg_temp.try($$SELECT audit.revoke('t.store', 'again')$$) AS revoke_twice;
-- 25. no checks configured
SELECT audit.register_store('t.inv', 'listing_id', 't0', '{}', '{"max_age": null, "max_staleness": null}');
SELECT pg_temp.try($$SELECT audit.require_certified('t.inv')$$) AS t25_no_checks;
SELECT pg_temp.try($$SELECT audit.certify('t.inv')$$) AS t25_certify;
-- 26. a check that cannot run (the watermark's table is gone)
CREATE TABLE t.wm (seen timestamptz);
INSERT INTO t.wm VALUES (now());
SELECT audit.register_store('t.inv', 'listing_id', 't0', '{}', '{"watermark": "t.wm.seen"}');
SELECT pg_temp.try($$SELECT audit.require_certified('t.inv')$$) AS inv_passes_with_watermark;
DROP TABLE t.wm;
SELECT pg_temp.try($$SELECT audit.require_certified('t.inv')$$) AS t26_cannot_run;
-- 27. a dropped store
DROP VIEW t.fusion;
SELECT pg_temp.try($$SELECT audit.require_certified(16383::oid::regclass)$$) AS t27_dropped;

-- the fast guard's passes are counted in memory and written with the next flush: here by the
-- failure that follows them (spine.verdict_flush_interval bounds the wait otherwise)
SET spine.verdict_flush_interval = 3600;
SET spine.guard_recheck_interval = 60;
SELECT count(audit.require_certified('t.frozen')) AS passes FROM generate_series(1, 5);
SELECT pg_temp.try($$SELECT audit.require_certified('t.leaky')$$) AS a_failure_flushes;
SELECT calls, outcome, recorded_by, first_at <= at AS interval_ok FROM audit.guard_verdicts
WHERE store = 't.frozen'::regclass AND guard = 'require_certified' ORDER BY verdict_id DESC LIMIT 1;
RESET spine.verdict_flush_interval;

-- every verdict is recorded; failures were written by the autonomous writer and survived the
-- rollbacks of pg_temp.try's exception blocks
SELECT guard, outcome, recorded_by, count(*) > 0 AS recorded
FROM audit.guard_verdicts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT sqlstate, count(*) > 0 AS seen FROM audit.guard_verdicts WHERE outcome = 'fail' GROUP BY 1 ORDER BY 1;
SELECT store_name, status, last_outcome, last_sqlstate FROM audit.certification_status ORDER BY store_name, status;
