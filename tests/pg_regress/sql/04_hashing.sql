-- audit.hash_agg / audit.dataset_hash / audit.viewdef_hash (DESIGN §3)
SET client_min_messages = warning;
CREATE SCHEMA h;

-- 1. Exact values from the independent reference (tests/reference/dataset_hash.py)
CREATE TABLE h.ref (id int, name text, active bool, score float8, big bigint);
INSERT INTO h.ref VALUES (1, 'Zoë', true, 0.5, 1000000000000), (2, '', false, -2.25, NULL), (3, NULL, NULL, NULL, -1);
SELECT audit.dataset_hash('h.ref') AS three_rows;
SELECT audit.dataset_hash('h.ref') = '051bf3413cf828a903b76750f7af19cf746098f6554e1d9125d5796b2f49f20e' AS matches_reference;
SELECT (SELECT audit.hash_agg(t) FROM h.ref t) = audit.dataset_hash('h.ref') AS aggregate_equals_dataset_hash;
INSERT INTO h.ref VALUES (1, 'Zoë', true, 0.5, 1000000000000);
SELECT audit.dataset_hash('h.ref') = '4922c8c642191aa9ae036c596c248fb52000473852449ce03da46c058fc7d665' AS duplicate_matches_reference;
TRUNCATE h.ref;
SELECT audit.dataset_hash('h.ref') = '9f9d61b5236caa601fd5161bb688682dc6d29680a81287598e67a9c249351d4a' AS empty_matches_reference;
SELECT audit.hash_agg(t) IS NULL AS aggregate_of_no_rows_is_null FROM h.ref t;

-- 2. Order, duplicates, every value, names and types
CREATE TABLE h.a AS SELECT g AS id, 'item ' || g AS label, g * 1.5 AS price FROM generate_series(1, 1000) g;
CREATE TABLE h.b AS SELECT * FROM h.a ORDER BY id DESC;
CREATE TABLE h.base AS SELECT audit.dataset_hash('h.a') AS v;
SELECT audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS other_order_same_hash;
UPDATE h.b SET price = price + 0.01 WHERE id = 500;
SELECT audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS one_changed_cell_same_hash;
UPDATE h.b SET price = price - 0.01 WHERE id = 500;
-- 750.00 is not 750.0: numeric keeps its scale, and so does the hash
SELECT price, audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS other_scale_same_hash FROM h.b WHERE id = 500;
UPDATE h.b SET price = 750.0 WHERE id = 500;
SELECT audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS restored_cell_same_hash;
INSERT INTO h.b SELECT * FROM h.b WHERE id = 7;
SELECT audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS duplicated_row_same_hash;
DELETE FROM h.b WHERE ctid = (SELECT max(ctid) FROM h.b WHERE id = 7);
SELECT audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS duplicate_removed_same_hash;
DELETE FROM h.b WHERE id = 8;
SELECT audit.dataset_hash('h.b') = (SELECT v FROM h.base) AS deleted_row_same_hash;
INSERT INTO h.b VALUES (8, 'item 8', 12.0);
CREATE TABLE h.n1 (x text); INSERT INTO h.n1 VALUES (NULL);
CREATE TABLE h.n2 (x text); INSERT INTO h.n2 VALUES ('');
SELECT audit.dataset_hash('h.n1') = audit.dataset_hash('h.n2') AS null_equals_empty_string;
CREATE TABLE h.c AS SELECT * FROM h.a;
ALTER TABLE h.c RENAME COLUMN label TO title;
SELECT audit.dataset_hash('h.c') = (SELECT v FROM h.base) AS renamed_column_same_hash;
CREATE TABLE h.d AS SELECT id::bigint AS id, label, price FROM h.a;
SELECT audit.dataset_hash('h.d') = (SELECT v FROM h.base) AS changed_type_same_hash;
-- the relation's name is not part of the hash, its columns are
SELECT audit.dataset_hash('h.a') = audit.dataset_hash('h.b') AS same_rows_other_table_same_hash;

-- 3. Types beyond the basics: equal values hash equal, different values differently
CREATE TYPE h.colour AS ENUM ('red', 'green');
CREATE DOMAIN h.positive AS numeric CHECK (VALUE > 0);
CREATE TYPE h.pair AS (k text, v int);
CREATE FUNCTION h.one(anyelement) RETURNS text LANGUAGE sql AS $$ SELECT audit.hash_agg(r) FROM (SELECT $1 AS v) r $$;
SELECT h.one(1.0::numeric) = h.one(1.00::numeric) AS numeric_other_scale_same,
       h.one('NaN'::float8) = h.one('Infinity'::float8 - 'Infinity'::float8) AS every_nan_same,
       h.one(0::float8) = h.one('-0'::float8) AS minus_zero_same_as_zero,
       h.one('Infinity'::float8) = h.one('-Infinity'::float8) AS infinities_same,
       h.one('NaN'::float4) = h.one('NaN'::float4) AS float4_nan_same;
SELECT h.one('2026-01-01 00:00+00'::timestamptz) = h.one('2026-01-01 01:00+01'::timestamptz) AS same_instant_same,
       h.one('2026-01-01'::date) = h.one('2026-01-02'::date) AS next_day_same,
       h.one('1 day'::interval) = h.one('24 hours'::interval) AS day_same_as_24_hours,
       h.one('\x00ff'::bytea) = h.one('\x00fe'::bytea) AS other_bytes_same,
       h.one('{"a": 1, "b": 2}'::jsonb) = h.one('{"b": 2, "a": 1}'::jsonb) AS jsonb_other_key_order_same,
       h.one('{"a": 1}'::jsonb) = h.one('{"a": 1.0}'::jsonb) AS jsonb_other_number_scale_same;
SELECT h.one(ARRAY[1, 2, NULL]) = h.one(ARRAY[1, 2]) AS array_with_null_same,
       h.one('{{1,2},{3,4}}'::int[]) = h.one('{1,2,3,4}'::int[]) AS array_other_shape_same,
       h.one('[0:1]={1,2}'::int[]) = h.one('{1,2}'::int[]) AS array_other_bounds_same,
       h.one(ROW('a', 1)::h.pair) = h.one(ROW('a', 2)::h.pair) AS composite_other_field_same,
       h.one('red'::h.colour) = h.one('green'::h.colour) AS enum_other_label_same,
       h.one(5::h.positive) = h.one(5::numeric) AS domain_same_as_its_base_type,
       h.one('漢字 Zoë'::text) = h.one('漢字 Zoe'::text) AS other_unicode_same,
       h.one(ARRAY['漢字', NULL]) = h.one(ARRAY['漢字', NULL]) AS same_value_same;
CREATE TABLE h.big (doc text);
INSERT INTO h.big SELECT string_agg(md5(g::text), '') FROM generate_series(1, 60000) g;
SELECT pg_relation_size(reltoastrelid) > 1000000 AS stored_out_of_line, length(audit.dataset_hash('h.big')) AS hex_length
FROM pg_class WHERE oid = 'h.big'::regclass;
UPDATE h.big SET doc = doc || 'x';
CREATE TABLE h.big_base AS SELECT audit.dataset_hash('h.big') AS v;
UPDATE h.big SET doc = left(doc, -1) || 'y';
SELECT audit.dataset_hash('h.big') = (SELECT v FROM h.big_base) AS other_last_byte_of_toasted_value_same;

-- 4. Session settings and physical layout do not matter
CREATE TABLE h.mixed AS
SELECT g AS id, now()::date - g AS d, timestamptz '2026-03-29 00:30+00' + g * interval '37 minutes' AS ts, g / 7.0 AS ratio,
       g::float8 / 3 AS f, make_interval(days => g, secs => g * 1.5) AS iv, '漢字-' || g AS t,
       ARRAY[g, g + 1] AS arr, ROW('k' || g, g)::h.pair AS pair, CASE WHEN g % 2 = 0 THEN 'red' ELSE 'green' END::h.colour AS colour
FROM generate_series(1, 2000) g;
CREATE TABLE h.mixed_base AS SELECT audit.dataset_hash('h.mixed') AS v;
SET TimeZone = 'America/New_York';
SET DateStyle = 'German, DMY';
SET IntervalStyle = 'iso_8601';
SET extra_float_digits = -10;
SET search_path = h, pg_catalog;
SELECT audit.dataset_hash('h.mixed') = (SELECT v FROM h.mixed_base) AS same_under_other_settings;
SET client_encoding = 'LATIN1';
SELECT audit.dataset_hash('h.mixed') = (SELECT v FROM h.mixed_base) AS same_under_other_client_encoding;
RESET client_encoding;
RESET TimeZone; RESET DateStyle; RESET IntervalStyle; RESET extra_float_digits; RESET search_path;
VACUUM FULL h.mixed;
SELECT audit.dataset_hash('h.mixed') = (SELECT v FROM h.mixed_base) AS same_after_vacuum_full;
CREATE INDEX ON h.mixed (ts DESC);
CLUSTER h.mixed USING mixed_ts_idx;
ANALYZE h.mixed;
SELECT audit.dataset_hash('h.mixed') = (SELECT v FROM h.mixed_base) AS same_after_cluster_and_analyze;

-- 5. Parallel and partitioned plans combine partial states to the same hash
CREATE TABLE h.wide AS SELECT g AS id, md5(g::text) AS m, g % 97 AS k FROM generate_series(1, 200000) g;
ANALYZE h.wide;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE h.serial AS SELECT audit.hash_agg(t) AS v FROM h.wide t;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT audit.hash_agg(t) FROM h.wide t;
SELECT audit.hash_agg(t) = (SELECT v FROM h.serial) AS parallel_equals_serial FROM h.wide t;
RESET max_parallel_workers_per_gather; RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
CREATE TABLE h.parts (id int, m text, k int) PARTITION BY RANGE (id);
CREATE TABLE h.parts_1 PARTITION OF h.parts FOR VALUES FROM (1) TO (100001);
CREATE TABLE h.parts_2 PARTITION OF h.parts FOR VALUES FROM (100001) TO (200001);
INSERT INTO h.parts SELECT * FROM h.wide;
SELECT audit.dataset_hash('h.parts') = (SELECT v FROM h.serial) AS partitioned_equals_plain;

-- 6. Bad input
SELECT audit.dataset_hash(NULL);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE h.gone (x int);
CREATE TABLE h.gone_oid AS SELECT 'h.gone'::regclass::oid AS o;
DROP TABLE h.gone;
SET client_min_messages = notice;
DO $$ BEGIN PERFORM audit.dataset_hash((SELECT o FROM h.gone_oid)::regclass);
EXCEPTION WHEN OTHERS THEN RAISE NOTICE '% %', SQLSTATE, regexp_replace(SQLERRM, 'OID \d+', 'OID <dropped>'); END $$;
SET client_min_messages = warning;
CREATE INDEX wide_k ON h.wide (k);
SELECT audit.dataset_hash('h.wide_k');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE h.acl (a aclitem);
INSERT INTO h.acl VALUES ('postgres=r/postgres');
SELECT audit.dataset_hash('h.acl');
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE spine_regress_outsider;
GRANT USAGE ON SCHEMA h, audit TO spine_regress_outsider;
SET ROLE spine_regress_outsider;
SELECT audit.dataset_hash('h.a');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE ALL ON SCHEMA h, audit FROM spine_regress_outsider;
DROP ROLE spine_regress_outsider;
-- rows of a subquery (a transient record type) hash like the table's rows
SELECT audit.dataset_hash('h.a') = (SELECT audit.hash_agg(s.*) FROM (SELECT * FROM h.a ORDER BY random()) s) AS subquery_rows_same_hash,
       (SELECT audit.hash_agg(s.*) FROM (SELECT id, label FROM h.a) s) = (SELECT audit.hash_agg(s.*) FROM (SELECT label, id FROM h.a) s) AS other_column_order_same_hash;
-- whole-row reference to a relation that has a column of the same name as its alias
CREATE TABLE h.t (t text, n int);
INSERT INTO h.t VALUES ('a', 1);
SELECT audit.dataset_hash('h.t') = (SELECT audit.hash_agg(x.*) FROM h.t x) AS column_named_like_alias_ok;

-- 7. View-definition closure
CREATE TABLE h.listing (id int PRIMARY KEY, price numeric, km int, note text);
CREATE FUNCTION h.price_band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p < 10000 THEN 'low' ELSE 'high' END $$;
CREATE VIEW h.inner_v AS SELECT id, price, km FROM h.listing WHERE km >= 0;
CREATE VIEW h.store_v AS SELECT id, h.price_band(price) AS band, km / 1000 AS kkm FROM h.inner_v;
SELECT object_type, object_identity FROM audit.viewdef_closure('h.store_v');
CREATE TABLE h.vd (step text, v text);
INSERT INTO h.vd VALUES ('base', audit.viewdef_hash('h.store_v'));
ALTER TABLE h.listing ADD COLUMN colour text;
COMMENT ON VIEW h.store_v IS 'a comment';
COMMENT ON COLUMN h.listing.price IS 'another comment';
ANALYZE h.listing;
INSERT INTO h.listing VALUES (1, 5000, 1000, 'x');
SELECT audit.viewdef_hash('h.store_v') = (SELECT v FROM h.vd WHERE step = 'base') AS unchanged_after_benign_changes;
SET search_path = h, public;
SELECT audit.viewdef_hash('store_v') = (SELECT v FROM h.vd WHERE step = 'base') AS unchanged_under_other_search_path;
RESET search_path;
CREATE TABLE h.closure_before AS SELECT * FROM audit.viewdef_closure('h.store_v');
CREATE OR REPLACE FUNCTION h.price_band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p < 12000 THEN 'low' ELSE 'high' END $$;
SELECT audit.viewdef_hash('h.store_v') = (SELECT v FROM h.vd WHERE step = 'base') AS unchanged_after_function_body_change;
SELECT a.object_type, a.object_identity AS changed_object
FROM audit.viewdef_closure('h.store_v') a JOIN h.closure_before b USING (object_type, object_identity) WHERE a.object_hash <> b.object_hash;
CREATE OR REPLACE FUNCTION h.price_band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p < 10000 THEN 'low' ELSE 'high' END $$;
SELECT audit.viewdef_hash('h.store_v') = (SELECT v FROM h.vd WHERE step = 'base') AS restored_function_restores_hash;
CREATE OR REPLACE VIEW h.inner_v AS SELECT id, price, km FROM h.listing WHERE km > 0;
SELECT audit.viewdef_hash('h.store_v') = (SELECT v FROM h.vd WHERE step = 'base') AS unchanged_after_dependent_view_change;
CREATE OR REPLACE VIEW h.inner_v AS SELECT id, price, km FROM h.listing WHERE km >= 0;
DROP VIEW h.store_v, h.inner_v;
ALTER TABLE h.listing ALTER COLUMN km TYPE bigint;
CREATE VIEW h.inner_v AS SELECT id, price, km FROM h.listing WHERE km >= 0;
CREATE VIEW h.store_v AS SELECT id, h.price_band(price) AS band, km / 1000 AS kkm FROM h.inner_v;
SELECT audit.viewdef_hash('h.store_v') = (SELECT v FROM h.vd WHERE step = 'base') AS unchanged_after_column_type_change;
-- operators, domains, enums and materialized views are part of the closure
CREATE TYPE h.grade AS ENUM ('a', 'b');
CREATE DOMAIN h.km AS bigint CHECK (VALUE >= 0);
CREATE FUNCTION h.near(a bigint, b bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs(a - b) < 500 $$;
CREATE OPERATOR h.~~~ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = h.near);
CREATE MATERIALIZED VIEW h.graded AS
  SELECT id, CASE WHEN km OPERATOR(h.~~~) 1000 THEN 'a' ELSE 'b' END::h.grade AS grade, km::h.km AS km FROM h.listing;
SELECT object_type, object_identity FROM audit.viewdef_closure('h.graded');
INSERT INTO h.vd VALUES ('graded', audit.viewdef_hash('h.graded'));
ALTER TYPE h.grade ADD VALUE 'c';
SELECT audit.viewdef_hash('h.graded') = (SELECT v FROM h.vd WHERE step = 'graded') AS unchanged_after_enum_value_added;
UPDATE h.vd SET v = audit.viewdef_hash('h.graded') WHERE step = 'graded';
ALTER DOMAIN h.km ADD CONSTRAINT km_sane CHECK (VALUE < 10000000);
SELECT audit.viewdef_hash('h.graded') = (SELECT v FROM h.vd WHERE step = 'graded') AS unchanged_after_domain_constraint_added;
UPDATE h.vd SET v = audit.viewdef_hash('h.graded') WHERE step = 'graded';
CREATE OR REPLACE FUNCTION h.near(a bigint, b bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT abs(a - b) < 900 $$;
SELECT audit.viewdef_hash('h.graded') = (SELECT v FROM h.vd WHERE step = 'graded') AS unchanged_after_operator_function_change;
REFRESH MATERIALIZED VIEW h.graded;
SELECT audit.dataset_hash('h.graded') IS NOT NULL AS materialized_view_hashes;

-- a plain table's closure is its columns
SELECT object_type, object_identity FROM audit.viewdef_closure('h.n1');
SELECT audit.viewdef_hash(NULL);
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA h CASCADE;
