-- Text and image embeddings with registered ONNX encoders (docs/onnx.md), on the committed toy
-- models: equal to Python onnxruntime + the same tokenizer / Pillow preprocessing, mean pooling
-- and L2 normalisation (tests/reference/onnx_fixtures.py); batch forms; clear errors.
\getenv abs_srcdir PG_ABS_SRCDIR
\setenv FX :abs_srcdir/../fixtures/onnx
\set expected `cat "$FX/expected.json"`
\set text_tiny `base64 -w0 "$FX/text_tiny.onnx"`
\set tokenizer `cat "$FX/tokenizer_tiny.json"`
\set image_tiny `base64 -w0 "$FX/image_tiny.onnx"`
\set logreg `base64 -w0 "$FX/logreg.onnx"`
\set img_exact `base64 -w0 "$FX/img_exact.png"`
\set img_wide `base64 -w0 "$FX/img_wide.png"`
\set img_tall_gray `base64 -w0 "$FX/img_tall_gray.png"`
\set img_rgba `base64 -w0 "$FX/img_rgba.png"`
\set img_photo `base64 -w0 "$FX/img_photo.jpg"`
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.maxdiff(a real[], b jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT max(abs(x - y::float8)) FROM unnest(a) WITH ORDINALITY AS u(x, i) JOIN jsonb_array_elements_text(b) WITH ORDINALITY AS v(y, k) ON k = i
    HAVING count(*) = cardinality(a) AND cardinality(a) = jsonb_array_length(b)
$$;
CREATE FUNCTION pg_temp.norm(a real[]) RETURNS float8 LANGUAGE sql AS $$ SELECT sqrt(sum(x::float8 * x)) FROM unnest(a) x $$;
CREATE TEMP TABLE fx AS SELECT :'expected'::jsonb AS j;
-- this session's ONNX Runtime runs a pool of 2 intra-op threads (set before its first use)
SET spine.onnx_threads = 2;
SELECT version, threads FROM ml.onnxruntime_info();

-- a text encoder with its tokenizer: mean pooling over the attention mask, L2 normalisation
SELECT name, version, algorithm, task, features, params->'plan' AS plan, params->'dimension' AS dimension,
       length(params->>'tokenizer') = length(:'tokenizer') AS tokenizer_kept
FROM ml.import_onnx_embedding('tiny_text', decode(:'text_tiny', 'base64'), 'text', :'tokenizer');
CREATE TEMP TABLE texts AS
SELECT i::int AS i, t AS text FROM fx, jsonb_array_elements_text(j->'text_tiny'->'texts') WITH ORDINALITY AS u(t, i);
SELECT i, cardinality(e) AS dim, round(pg_temp.norm(e)::numeric, 5) AS norm,
       pg_temp.maxdiff(e, j->'text_tiny'->'embeddings_single'->(i - 1)) <= 1e-5 AS equal_to_onnxruntime
FROM texts, fx, LATERAL (SELECT ml.embed_text('tiny_text', text) AS e) q ORDER BY i;
-- the batch form pads to the longest text of the batch: the same embeddings
SELECT count(*) AS texts, bool_and(pg_temp.maxdiff(b.embedding, j->'text_tiny'->'embeddings'->(b.ordinality - 1)) <= 1e-5) AS equal_to_onnxruntime,
       bool_and(pg_temp.maxdiff(b.embedding, to_jsonb(ml.embed_text('tiny_text', t.text))) <= 1e-6) AS equal_to_one_by_one
FROM fx, ml.embed_texts('tiny_text', (SELECT array_agg(text ORDER BY i) FROM texts)) b JOIN texts t ON t.i = b.ordinality;
SELECT ordinality, embedding IS NULL AS is_null FROM ml.embed_texts('tiny_text', ARRAY['the red car', NULL, 'blue']);
SELECT count(*) AS no_rows FROM ml.embed_texts('tiny_text', '{}'::text[]);
SELECT ml.embed_text('tiny_text', NULL) IS NULL AS null_text_null_embedding;
-- config: max_length truncates; unknown keys and wrong dimensions are refused
SELECT version, params->'plan'->'max_length' AS max_length, params->>'source' AS source
FROM ml.import_onnx_embedding('tiny_text', decode(:'text_tiny', 'base64'), 'text', :'tokenizer', '{"max_length": 4, "source": "regress"}');
SELECT ml.embed_text('tiny_text', 'the red car is fast') = ml.embed_text('tiny_text', 'the red car') AS truncated_to_4_tokens;
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, %L, %L)', 'tiny_x', :'text_tiny', 'base64', 'text', :'tokenizer', '{"max_lenght": 4}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, %L, %L)', 'tiny_x', :'text_tiny', 'base64', 'text', :'tokenizer', '{"dimension": 384}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L)', 'tiny_x', :'text_tiny', 'base64', 'text'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, %L)', 'tiny_x', :'text_tiny', 'base64', 'text', '{"version": "1.0"}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, %L)', 'tiny_x', :'logreg', 'base64', 'text', :'tokenizer'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L)', 'tiny_x', :'text_tiny', 'base64', 'audio'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, NULL, %L)', 'tiny_x', :'text_tiny', 'base64', 'text', '[1]'));
SELECT pg_temp.try($$SELECT ml.import_onnx_embedding('tiny_x', '\x0102', 'text', '{}')$$);
-- a model used for the wrong thing
SELECT pg_temp.try($$SELECT ml.predict('tiny_text', ARRAY[1.0])$$);
SELECT pg_temp.try($$SELECT ml.predict_batch('tiny_text', ARRAY[1.0]::float8[])$$);
SELECT pg_temp.try($$SELECT ml.embed_image('tiny_text', '\x00')$$);
SELECT pg_temp.try($$SELECT ml.embed_text('onnx_lr', 'a car')$$);
SELECT pg_temp.try($$SELECT ml.embed_text('nope', 'a car')$$);
SELECT pg_temp.try($$SELECT ml.embed_text(NULL, 'a car')$$);
SELECT pg_temp.try($$SELECT ml.embed_texts('tiny_text', NULL)$$);

-- an image encoder: preprocessing from the model's spine.preprocess metadata (resize the shorter
-- side, centre crop, normalise), 512 dimensions
SELECT name, version, task, features, params->'plan' AS plan
FROM ml.import_onnx_embedding('tiny_image', decode(:'image_tiny', 'base64'), 'image');
CREATE TEMP TABLE images (name text, img bytea);
INSERT INTO images VALUES ('img_exact.png', decode(:'img_exact', 'base64')), ('img_wide.png', decode(:'img_wide', 'base64')),
    ('img_tall_gray.png', decode(:'img_tall_gray', 'base64')), ('img_rgba.png', decode(:'img_rgba', 'base64')),
    ('img_photo.jpg', decode(:'img_photo', 'base64'));
-- PNGs equal Pillow + onnxruntime; the JPEG decoder of the image crate may round differently
-- from libjpeg-turbo, so that one is compared loosely
SELECT name, cardinality(e) AS dim, round(pg_temp.norm(e)::numeric, 5) AS norm,
       pg_temp.maxdiff(e, j->'image_tiny'->name->'embedding') <= CASE WHEN name LIKE '%.jpg' THEN 1e-2 ELSE 1e-5 END AS equal_to_onnxruntime
FROM images, fx, LATERAL (SELECT ml.embed_image('tiny_image', img) AS e) q ORDER BY name;
SELECT count(*) AS images, bool_and(pg_temp.maxdiff(b.embedding, to_jsonb(ml.embed_image('tiny_image', i.img))) <= 1e-6) AS batch_equal_to_one_by_one
FROM ml.embed_images('tiny_image', (SELECT array_agg(img ORDER BY name) FROM images)) b
JOIN (SELECT row_number() OVER (ORDER BY name) AS k, img FROM images) i ON i.k = b.ordinality;
SELECT ordinality, embedding IS NULL AS is_null FROM ml.embed_images('tiny_image', ARRAY[decode(:'img_exact', 'base64'), NULL]);
SELECT ml.embed_image('tiny_image', NULL) IS NULL AS null_image_null_embedding;
SELECT pg_temp.try($$SELECT ml.embed_image('tiny_image', convert_to('not an image', 'UTF8'))$$);
SELECT pg_temp.try(format('SELECT * FROM ml.embed_images(%L, ARRAY[decode(%L, %L), %L::bytea])', 'tiny_image', :'img_exact', 'base64', '\x89504e470d0a1a0a0000'));
SELECT pg_temp.try($$SELECT ml.embed_image('tiny_image', ''::bytea)$$);
SELECT pg_temp.try($$SELECT ml.embed_text('tiny_image', 'a car')$$);
-- the default dimension is 512; another one is registered by saying so
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, NULL, %L)', 'tiny_x', :'image_tiny', 'base64', 'image', '{"dimension": 768}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, NULL, %L)', 'tiny_x', :'image_tiny', 'base64', 'image', '{"size": 224}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L, %L)', 'tiny_x', :'image_tiny', 'base64', 'image', 'tok'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_embedding(%L, decode(%L, %L), %L)', 'tiny_x', :'logreg', 'base64', 'image'));
-- config overrides the metadata key by key: a bilinear resize to 20 gives other numbers
SELECT version, params->'plan'->>'interpolation' AS interpolation, params->'plan'->'resize' AS resize
FROM ml.import_onnx_embedding('tiny_image', decode(:'image_tiny', 'base64'), 'image', NULL, '{"resize": 20, "interpolation": "bilinear"}');
SELECT pg_temp.maxdiff(ml.embed_image('tiny_image', img), j->'image_tiny'->name->'embedding') > 1e-3 AS differs_from_bicubic_16
FROM images, fx WHERE name = 'img_wide.png';
SELECT count(*) AS failed_imports_registered_nothing FROM ml.models WHERE name = 'tiny_x';
