-- ONNX models trained elsewhere (docs/onnx.md): the runtime library, ml.import_onnx with its
-- validation, ml.predict / ml.predict_batch equal to Python's onnxruntime and scikit-learn on the
-- committed fixtures (tests/reference/onnx_fixtures.py), versions and rollback, roles.
\getenv abs_srcdir PG_ABS_SRCDIR
\setenv FX :abs_srcdir/../fixtures/onnx
\set expected `cat "$FX/expected.json"`
\set logreg `base64 -w0 "$FX/logreg.onnx"`
\set forest `base64 -w0 "$FX/forest.onnx"`
\set linreg `base64 -w0 "$FX/linreg_double.onnx"`
\set zipmap `base64 -w0 "$FX/logreg_zipmap.onnx"`
\set multiclass `base64 -w0 "$FX/multiclass.onnx"`
\set text_tiny `base64 -w0 "$FX/text_tiny.onnx"`
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE TEMP TABLE fx AS SELECT :'expected'::jsonb AS j;

-- a missing or wrong runtime library is an SQL error naming the path and the fix (this backend
-- has not loaded ONNX Runtime yet; a superuser setting)
SET spine.onnxruntime_path = '/nonexistent/libonnxruntime.so.1.31.1';
SELECT * FROM ml.onnxruntime_info();
SET spine.onnxruntime_path = '/usr/lib/postgresql/15/lib/plpgsql.so';
SELECT pg_temp.try($$SELECT * FROM ml.onnxruntime_info()$$);
SET spine.onnxruntime_path = '/usr/share/postgresql/15/extension/plpgsql.control';
SELECT regexp_replace(pg_temp.try($$SELECT * FROM ml.onnxruntime_info()$$), '\(.*\)', '(...)') AS not_a_library;
SET spine.onnxruntime_path = '';
SELECT pg_temp.try($$SELECT * FROM ml.onnxruntime_info()$$);
RESET spine.onnxruntime_path;
SELECT path, version, build_info LIKE 'ORT Build Info:%' AS has_build_info, threads FROM ml.onnxruntime_info();
CREATE ROLE onnx_regress_plain;
SET ROLE onnx_regress_plain;
SELECT pg_temp.try($$SET spine.onnxruntime_path = '/tmp/evil.so'$$);
RESET ROLE;
DROP ROLE onnx_regress_plain;

-- import: a logistic regression exported by skl2onnx (zipmap off), registered, versioned, deployed
SELECT name, version, algorithm, task, features, target, artifact_format, store, params->'plan' AS plan,
       params->'onnx'->>'producer' AS producer, params->'onnx'->'opsets' AS opsets, params->'onnx'->'inputs' AS inputs,
       params->'onnx'->'outputs' AS outputs, params->'onnx'->>'sha256' = encode(sha256(artifact), 'hex') AS sha256_of_artifact,
       trained_by = current_user AS imported_by_me
FROM ml.import_onnx('onnx_lr', decode(:'logreg', 'base64'), ARRAY['f1', 'f2', 'f3', 'f4']);
SELECT name, version, deployed FROM ml.model_status WHERE name = 'onnx_lr';

-- P(class 1) equals Python onnxruntime (same float32 graph) and scikit-learn's predict_proba
CREATE TEMP TABLE rows AS
SELECT i::int AS i, ARRAY(SELECT jsonb_array_elements_text(r)::float8) AS x
FROM fx, jsonb_array_elements(j->'tabular'->'rows') WITH ORDINALITY AS t(r, i);
CREATE TEMP TABLE want AS
SELECT k AS model, i::int AS i, v::float8 AS v
FROM fx, LATERAL (VALUES ('logreg_ort'), ('logreg_sklearn'), ('forest_ort'), ('forest_sklearn')) AS m(k),
     jsonb_array_elements_text(j->'tabular'->k) WITH ORDINALITY AS t(v, i);
SELECT count(*) AS rows,
       max(abs(ml.predict('onnx_lr', r.x) - o.v)) <= 1e-6 AS equal_to_onnxruntime,
       max(abs(ml.predict('onnx_lr', r.x) - s.v)) <= 1e-5 AS equal_to_sklearn
FROM rows r JOIN want o ON o.model = 'logreg_ort' AND o.i = r.i JOIN want s ON s.model = 'logreg_sklearn' AND s.i = r.i;
-- the batch path: one ONNX Runtime call for all rows (its kernels may round the last float bit
-- differently from one row at a time)
SELECT cardinality(b) AS predictions,
       (SELECT max(abs(b[r.i] - ml.predict('onnx_lr', r.x))) FROM rows r) <= 1e-6 AS equal_to_row_by_row,
       (SELECT max(abs(b[o.i] - o.v)) FROM want o WHERE o.model = 'logreg_ort') <= 1e-6 AS equal_to_onnxruntime
FROM (SELECT ml.predict_batch('onnx_lr', (SELECT array_agg(x ORDER BY i) FROM rows)) AS b) q;
-- a flat array is read row by row
SELECT ml.predict_batch('onnx_lr', ARRAY[0, 0, 0, 0, 5, -5, 3, -2]::float8[]) = ARRAY[ml.predict('onnx_lr', ARRAY[0, 0, 0, 0]), ml.predict('onnx_lr', ARRAY[5, -5, 3, -2])] AS flat_rows;
SELECT ml.predict_batch('onnx_lr', '{}'::float8[]) AS no_rows;

-- ml.predict and ml.predict_batch are parallel safe: a parallel worker loads ONNX Runtime and the
-- session itself, and scores the same
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF) SELECT sum(ml.predict('onnx_lr', ARRAY[i / 100.0, 0, 0, 0]::float8[])) FROM generate_series(1, 1000) i;
SELECT sum(ml.predict('onnx_lr', ARRAY[i / 100.0, 0, 0, 0]::float8[])) AS s,
       sum(x) AS b FROM generate_series(1, 1000) i, unnest(ml.predict_batch('onnx_lr', ARRAY[i / 100.0, 1, 2, 3]::float8[])) x \gset par_
RESET force_parallel_mode;
SELECT abs(sum(ml.predict('onnx_lr', ARRAY[i / 100.0, 0, 0, 0]::float8[])) - :par_s) < 1e-9 AS same_in_a_parallel_worker,
       abs(sum(x) - :par_b) < 1e-9 AS batch_same_in_a_parallel_worker
FROM generate_series(1, 1000) i, unnest(ml.predict_batch('onnx_lr', ARRAY[i / 100.0, 1, 2, 3]::float8[])) x;

-- a random forest (TreeEnsembleClassifier of ai.onnx.ml)
SELECT name, version, task, params->'plan'->>'output' AS output
FROM ml.import_onnx('onnx_rf', decode(:'forest', 'base64'), ARRAY['f1', 'f2', 'f3', 'f4']);
SELECT max(abs(b[o.i] - o.v)) <= 1e-6 AS forest_equal_to_onnxruntime,
       max(abs(b[s.i] - s.v)) <= 1e-5 AS forest_equal_to_sklearn
FROM (SELECT ml.predict_batch('onnx_rf', (SELECT array_agg(x ORDER BY i) FROM rows)) AS b) q,
     want o JOIN want s ON s.i = o.i AND s.model = 'forest_sklearn'
WHERE o.model = 'forest_ort';

-- a regressor with double inputs and outputs: the value
SELECT name, task, params->'plan' AS plan
FROM ml.import_onnx('onnx_reg', decode(:'linreg', 'base64'), ARRAY['a', 'b', 'c']);
SELECT count(*) AS rows, max(abs(ml.predict('onnx_reg', x) - o::float8)) <= 1e-9 AS equal_to_onnxruntime,
       max(abs(ml.predict('onnx_reg', x) - s::float8) / greatest(1, abs(s::float8))) <= 1e-9 AS equal_to_sklearn
FROM fx, LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(r)::float8) AS x, i
                  FROM jsonb_array_elements(j->'tabular'->'linreg_rows') WITH ORDINALITY AS t(r, i)) rr,
     LATERAL (SELECT j->'tabular'->'linreg_ort'->>(rr.i::int - 1) AS o, j->'tabular'->'linreg_sklearn'->>(rr.i::int - 1) AS s) v;

-- clear errors: structure checked before anything runs
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_zm', :'zipmap', 'base64', '{f1,f2,f3,f4}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_mc', :'multiclass', 'base64', '{f1,f2,f3,f4}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_x', :'logreg', 'base64', '{f1,f2,f3}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_x', :'text_tiny', 'base64', '{f1,f2,f3}'));
SELECT pg_temp.try($$SELECT ml.import_onnx('onnx_x', '\xdeadbeef', '{f1}')$$);
SELECT pg_temp.try($$SELECT ml.import_onnx('onnx_x', convert_to('not an onnx model', 'UTF8'), '{f1}')$$);
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, substring(decode(%L, %L) from 1 for 200), %L)', 'onnx_x', :'logreg', 'base64', '{f1,f2,f3,f4}'));
SELECT pg_temp.try($$SELECT ml.import_onnx('onnx_x', ''::bytea, '{f1}')$$);
SELECT pg_temp.try($$SELECT ml.import_onnx('onnx_x', NULL, '{f1}')$$);
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), NULL)', 'onnx_x', :'logreg', 'base64'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_x', :'logreg', 'base64', '{f1,NULL,f3,f4}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_x', :'logreg', 'base64', '{f1,f1,f3,f4}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_x', :'logreg', 'base64', '{}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'Onnx-X', :'logreg', 'base64', '{f1,f2,f3,f4}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx(NULL, decode(%L, %L), %L)', :'logreg', 'base64', '{f1,f2,f3,f4}'));
SELECT count(*) AS nothing_registered_by_the_failures FROM ml.models WHERE name IN ('onnx_zm', 'onnx_mc', 'onnx_x');
-- scoring errors: wrong feature counts, NULL features (named), NULL arrays
SELECT pg_temp.try($$SELECT ml.predict('onnx_lr', ARRAY[1, 2, 3])$$);
SELECT pg_temp.try($$SELECT ml.predict('onnx_lr', ARRAY[1, NULL, 3, 4])$$);
SELECT pg_temp.try($$SELECT ml.predict('onnx_lr', NULL)$$);
SELECT pg_temp.try($$SELECT ml.predict_batch('onnx_lr', ARRAY[1, 2, 3, 4, 5, 6, 7]::float8[])$$);
SELECT pg_temp.try($$SELECT ml.predict_batch('onnx_lr', ARRAY[[1, 2, 3, 4], [5, 6, NULL, 8]]::float8[])$$);
SELECT pg_temp.try($$SELECT ml.predict_batch('onnx_lr', NULL)$$);
SELECT pg_temp.try($$SELECT ml.predict_batch(NULL, ARRAY[1]::float8[])$$);
SELECT pg_temp.try($$SELECT ml.predict_batch('nope', ARRAY[1]::float8[])$$);
-- NaN reaches the graph as it is (an exported imputer reads it as missing); this one has none
SELECT ml.predict('onnx_lr', ARRAY['NaN', 0, 0, 0]::float8[]) AS nan_in_nan_out;

-- versions: a re-import is version 2 and is deployed at once; rollback goes back
CREATE TEMP TABLE v1 AS SELECT ml.predict('onnx_lr', ARRAY[1, 2, 3, 4]) AS p;
SELECT version, task FROM ml.import_onnx('onnx_lr', decode(:'forest', 'base64'), ARRAY['f1', 'f2', 'f3', 'f4']);
SELECT ml.predict('onnx_lr', ARRAY[1, 2, 3, 4]) <> p AS version2_scores FROM v1;
SELECT ml.rollback('onnx_lr') = (SELECT model_id FROM ml.models WHERE name = 'onnx_lr' AND version = 1) AS rolled_back;
SELECT ml.predict('onnx_lr', ARRAY[1, 2, 3, 4]) = p AS version1_again FROM v1;
SELECT action, (SELECT version FROM ml.models m WHERE m.model_id = l.model_id) AS version
FROM ml.deployment_log l WHERE name = 'onnx_lr' ORDER BY event_id;

-- roles: importing is for spine_trainer / spine_admin; anyone may score
CREATE ROLE onnx_regress_trainer IN ROLE spine_trainer;
SET ROLE onnx_regress_trainer;
SELECT version, trained_by FROM ml.import_onnx('onnx_reg', decode(:'linreg', 'base64'), ARRAY['a', 'b', 'c']);
RESET ROLE;
SET ROLE spine_reader;
SELECT ml.predict('onnx_lr', ARRAY[1, 2, 3, 4]) BETWEEN 0 AND 1 AS reader_scores;
SELECT pg_temp.try(format('SELECT ml.import_onnx(%L, decode(%L, %L), %L)', 'onnx_r', :'logreg', 'base64', '{f1,f2,f3,f4}'));
SELECT pg_temp.try($$SELECT ml._import_onnx('onnx_r', '\x00', '{f1}')$$);
RESET ROLE;
DROP ROLE onnx_regress_trainer;
