-- The real all-MiniLM-L6-v2 (int8) fetched by `make models`: embeddings equal Python onnxruntime
-- with the same tokenizer (tests/fixtures/onnx/minilm_expected.json). Without the model the test
-- takes its skip branch (expected output 42_onnx_minilm_1.out) and says so.
\set minilm_dir /usr/local/share/spine/models/all-MiniLM-L6-v2-int8
\setenv MINILM_DIR :minilm_dir
\set have_minilm `test -s "$MINILM_DIR/model.onnx" && test -s "$MINILM_DIR/tokenizer.json" && echo true || echo false`
\if :have_minilm
\getenv abs_srcdir PG_ABS_SRCDIR
\setenv FX :abs_srcdir/../fixtures/onnx
\set expected `cat "$FX/minilm_expected.json"`
\set model `base64 -w0 "$MINILM_DIR/model.onnx"`
\set tokenizer `cat "$MINILM_DIR/tokenizer.json"`
CREATE TEMP TABLE fx AS SELECT :'expected'::jsonb AS j;
CREATE FUNCTION pg_temp.maxdiff(a real[], b jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT max(abs(x - y::float8)) FROM unnest(a) WITH ORDINALITY AS u(x, i) JOIN jsonb_array_elements_text(b) WITH ORDINALITY AS v(y, k) ON k = i
    HAVING count(*) = cardinality(a) AND cardinality(a) = jsonb_array_length(b)
$$;
SELECT name, task, params->'plan' AS plan, params->'onnx'->>'sha256' = j->>'model_sha256' AS same_model_as_the_reference
FROM ml.import_onnx_embedding('minilm', decode(:'model', 'base64'), 'text', :'tokenizer'), fx;
CREATE TEMP TABLE texts AS
SELECT i::int AS i, t AS text FROM fx, jsonb_array_elements_text(j->'texts') WITH ORDINALITY AS u(t, i);
SELECT i, cardinality(e) AS dim, pg_temp.maxdiff(e, j->'embeddings'->(i - 1)) <= 1e-5 AS equal_to_onnxruntime
FROM texts, fx, LATERAL (SELECT ml.embed_text('minilm', text) AS e) q ORDER BY i;
SELECT count(*) AS texts, bool_and(pg_temp.maxdiff(b.embedding, j->'embeddings_batch'->(b.ordinality - 1)) <= 1e-5) AS batch_equal_to_onnxruntime
FROM fx, ml.embed_texts('minilm', (SELECT array_agg(text ORDER BY i) FROM texts)) b;
-- nearest neighbours make sense: the two German/French battery texts are closer to each other
-- than to the diesel estate
WITH e AS (SELECT i, ml.embed_text('minilm', text) AS v FROM texts WHERE i IN (2, 3, 6))
SELECT (SELECT sum(a::float8 * b) FROM unnest((SELECT v FROM e WHERE i = 2), (SELECT v FROM e WHERE i = 3)) AS u(a, b))
     > (SELECT sum(a::float8 * b) FROM unnest((SELECT v FROM e WHERE i = 2), (SELECT v FROM e WHERE i = 6)) AS u(a, b)) AS ev_texts_closer;
\else
\echo 'SKIPPED: all-MiniLM-L6-v2 is not installed (run make models); the MiniLM comparison did not run'
\endif
