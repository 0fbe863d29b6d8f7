-- The job queue and the image jobs without background workers (docs/workers.md): spine.run_jobs
-- runs jobs in this session. Enqueue checks and idempotence, permanent and transient failures,
-- backoff and dead letters, requeue; colour labels on generated images; damage labels equal to
-- Python onnxruntime (tests/reference/workers_fixtures.py); text and image embeddings equal to
-- ml.embed_text / ml.embed_image and left alone when their source did not change; similarity
-- search; the image pipeline's steps. Workers, kills, restarts and real HTTP: pgrx-tests/t/07_workers.t.
\getenv abs_srcdir PG_ABS_SRCDIR
\setenv FX :abs_srcdir/../fixtures/workers
\setenv OFX :abs_srcdir/../fixtures/onnx
\set expected `cat "$FX/expected.json"`
\set damage_tiny `base64 -w0 "$FX/damage_tiny.onnx"`
\set red `base64 -w0 "$FX/red.png"`
\set blue `base64 -w0 "$FX/blue.png"`
\set twotone `base64 -w0 "$FX/twotone.png"`
\set photo `base64 -w0 "$FX/photo.jpg"`
\set text_tiny `base64 -w0 "$OFX/text_tiny.onnx"`
\set tokenizer `cat "$OFX/tokenizer_tiny.json"`
\set image_tiny `base64 -w0 "$OFX/image_tiny.onnx"`
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.hint(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $$;
CREATE TEMP TABLE fx AS SELECT :'expected'::jsonb AS j;
SET spine.onnx_threads = 1;

-- a small marketplace of our own: three listings with images
INSERT INTO marketplace.listings (listing_id, source, source_listing_id, make, model, year, title, description, first_seen_at, last_seen_at)
VALUES (900001, 'workers_test', 'w1', 'Volkswagen', 'Golf', 2018, 'VW Golf 1.5 TSI', 'One owner, full service history.', now(), now()),
       (900002, 'workers_test', 'w2', 'Volkswagen', 'Golf', 2019, 'VW Golf 2.0 TDI', 'Tow bar, winter tyres.', now(), now()),
       (900003, 'workers_test', 'w3', 'Tesla', 'Model 3', 2021, NULL, NULL, now(), now());
INSERT INTO marketplace.listing_images (image_id, listing_id, position, url) VALUES
    (900011, 900001, 1, 'http://169.254.169.254/latest/meta-data/'),
    (900012, 900001, 2, 'http://10.0.0.1/car.jpg'),
    (900013, 900002, 1, 'http://[::1]/car.png'),
    (900014, 900002, 2, 'https://cdn.example.com/blue.png'),
    (900015, 900003, 1, 'https://cdn.example.com/twotone.png'),
    (900016, 900003, 2, 'https://cdn.example.com/photo.jpg');

-- 1. enqueue checks: every bad call is a clear error, nothing is queued
SELECT pg_temp.try($$SELECT spine.enqueue(NULL, '{}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('fetch', '{"image_id": 900011}')$$);
SELECT pg_temp.hint($$SELECT spine.enqueue('fetch', '{"image_id": 900011}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('fetch_image', NULL)$$);
SELECT pg_temp.try($$SELECT spine.enqueue('fetch_image', '[900011]')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('fetch_image', '{"image": 900011}')$$);
SELECT pg_temp.hint($$SELECT spine.enqueue('fetch_image', '{"image": 900011}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('fetch_image', '{"image_id": "900011"}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('fetch_image', '{"image_id": 8999999}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('embed_text', '{"listing_id": 8999999, "model": "x"}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('label_damage', '{"image_id": 900011}')$$);
SELECT pg_temp.try($$SELECT spine.enqueue('label_damage', '{"image_id": 900011, "model": "no_such_model"}')$$);
SELECT count(*) AS queued FROM spine.jobs;

-- 2. the same work twice is one job
SELECT spine.enqueue('fetch_image', '{"image_id": 900011}') = spine.enqueue('fetch_image', '{"image_id": 900011}') AS same_job;
SELECT kind, pending, running, done, failed, dead, oldest_pending_age IS NOT NULL AS has_age FROM spine.job_queue_status ORDER BY kind;

-- 3. fetches of internal addresses are refused before any connection: dead at once (permanent)
SELECT spine.enqueue('fetch_image', jsonb_build_object('image_id', id)) > 0 AS queued FROM unnest(ARRAY[900012, 900013]) AS id;
SELECT kind, state FROM spine.run_jobs() ORDER BY job_id;
SELECT payload->>'image_id' AS image, state, attempts, last_code, last_error FROM spine.jobs WHERE kind = 'fetch_image' ORDER BY job_id;
SELECT count(*) AS fetched FROM marketplace.image_fetches WHERE image_id BETWEEN 900011 AND 900016;

-- 4. requeue brings dead jobs back with fresh attempts; they die again the same way
SELECT spine.requeue_jobs(kind => 'fetch_image') AS requeued;
SELECT state, attempts FROM spine.jobs WHERE kind = 'fetch_image' ORDER BY job_id;
SELECT pg_temp.try($$SELECT spine.requeue_jobs(kind => 'fetch')$$);
SELECT count(*) FILTER (WHERE state = 'dead') AS dead FROM spine.run_jobs();
-- two dead copies of the same work: requeue brings back one (the newest), never two open copies
SELECT spine.enqueue('fetch_image', '{"image_id": 900012}') > 0 AS queued;
SELECT state FROM spine.run_jobs();
SELECT count(*) AS dead_copies FROM spine.jobs WHERE payload = '{"image_id": 900012}' AND state = 'dead';
SELECT spine.requeue_jobs(kind => 'fetch_image') AS requeued;
SELECT state, count(*) FROM spine.jobs WHERE payload = '{"image_id": 900012}' GROUP BY 1 ORDER BY 1;
SELECT state FROM spine.run_jobs() ORDER BY job_id;

-- 5. labelling an image that was never fetched fails permanently with the reason
SELECT spine.enqueue('label_colour', '{"image_id": 900014}') > 0 AS queued;
SELECT state, result->>'error' AS error FROM spine.run_jobs();

-- the fetched bytes of three images (as a fetch_image job stores them), from the fixtures
INSERT INTO marketplace.image_fetches (image_id, url, final_url, content_type, format, byte_size, bytes, blake3, width, height, dhash)
SELECT id, url, url, ct, fmt, length(b), b, sha256(b), 1, 1, 0
FROM (VALUES (900014, 'https://cdn.example.com/blue.png', 'image/png', 'png', decode(:'blue', 'base64')),
             (900015, 'https://cdn.example.com/twotone.png', 'image/png', 'png', decode(:'twotone', 'base64')),
             (900016, 'https://cdn.example.com/photo.jpg', 'image/jpeg', 'jpeg', decode(:'photo', 'base64'))) AS v(id, url, ct, fmt, b)
JOIN marketplace.listing_images USING (url);

-- 6. colour labels: solid blue, red over white (two-tone), a gradient photo
SELECT spine.requeue_jobs(kind => 'label_colour') AS requeued;
SELECT spine.enqueue('label_colour', jsonb_build_object('image_id', id)) > 0 AS queued FROM unnest(ARRAY[900015, 900016]) AS id;
SELECT count(*) FILTER (WHERE state = 'done') AS done FROM spine.run_jobs();
SELECT image_id, label, confidence >= 0.5 AS confident, model FROM marketplace.image_labels WHERE image_id BETWEEN 900014 AND 900016 AND label_kind = 'colour' ORDER BY image_id;

-- 7. damage labels need a registered classifier; with one they equal Python onnxruntime
SELECT pg_temp.try($$SELECT ml.import_onnx_image_classifier('damage_tiny', decode('00', 'hex'), ARRAY['intact'])$$);
SELECT pg_temp.try(format('SELECT ml.import_onnx_image_classifier(%L, decode(%L, %L), %L)', 'damage_tiny', :'damage_tiny', 'base64', '{intact,intact}'));
SELECT pg_temp.try(format('SELECT ml.import_onnx_image_classifier(%L, decode(%L, %L), %L)', 'damage_tiny', :'damage_tiny', 'base64', '{intact,damaged,scratched}'));
SELECT name, version, algorithm, task, features FROM ml.import_onnx_image_classifier('damage_tiny', decode(:'damage_tiny', 'base64'), ARRAY['intact', 'damaged']);
-- (JPEG decoders differ slightly: the image crate's and Pillow's)
SELECT name, label, abs(probability - (fx.j->'damage_tiny'->name->'probabilities'->>(CASE label WHEN 'intact' THEN 0 ELSE 1 END))::float8)
                    <= CASE WHEN name LIKE '%.jpg' THEN 1e-2 ELSE 1e-5 END AS equal_to_onnxruntime
FROM (VALUES ('red.png', :'red'), ('blue.png', :'blue'), ('twotone.png', :'twotone'), ('photo.jpg', :'photo')) AS v(name, b),
     LATERAL ml.classify_image('damage_tiny', decode(b, 'base64')) c, fx
ORDER BY name, label;
SELECT pg_temp.try($$SELECT * FROM ml.classify_image('damage_tiny', decode('00', 'hex'))$$);
SELECT spine.enqueue('label_damage', jsonb_build_object('image_id', id, 'model', 'damage_tiny')) > 0 AS queued FROM unnest(ARRAY[900014, 900015]) AS id;
SELECT count(*) FILTER (WHERE state = 'done') AS done FROM spine.run_jobs();
SELECT l.image_id, l.label, abs(l.confidence - (fx.j->'damage_tiny'->n->'probabilities'->>(CASE l.label WHEN 'intact' THEN 0 ELSE 1 END))::float8) <= 1e-5 AS equal_to_onnxruntime
FROM marketplace.image_labels l, fx, (VALUES (900014, 'blue.png'), (900015, 'twotone.png')) AS v(id, n)
WHERE l.image_id = v.id AND l.label_kind = 'damage' AND l.model = 'damage_tiny' ORDER BY l.image_id;
-- a text model is not a damage classifier
SELECT name FROM ml.import_onnx_embedding('worker_text', decode(:'text_tiny', 'base64'), 'text', :'tokenizer', '{"dimension": 8}');
SELECT pg_temp.try($$SELECT spine.enqueue('label_damage', '{"image_id": 900014, "model": "worker_text"}')$$);
SELECT pg_temp.try($$SELECT * FROM ml.classify_image('worker_text', decode('00', 'hex'))$$);

-- 8. text embeddings of title + description + caption, equal to ml.embed_text; unchanged text is left alone
SELECT spine.enqueue('embed_text', jsonb_build_object('listing_id', id, 'model', 'worker_text')) > 0 AS queued FROM unnest(ARRAY[900001, 900002, 900003]) AS id;
SELECT count(*) FILTER (WHERE state = 'done') AS done FROM spine.run_jobs();
SELECT listing_id, source_text, model_version, cardinality(embedding) AS dim, embedding = ml.embed_text('worker_text', source_text) AS equal_to_embed_text
FROM ml.text_embeddings WHERE listing_id BETWEEN 900001 AND 900003 ORDER BY listing_id;
CREATE TEMP TABLE before AS SELECT listing_id, embedded_at, job_id FROM ml.text_embeddings WHERE listing_id BETWEEN 900001 AND 900003;
SELECT spine.enqueue('embed_text', jsonb_build_object('listing_id', id, 'model', 'worker_text')) > 0 AS queued FROM unnest(ARRAY[900001, 900002]) AS id;
SELECT result FROM spine.run_jobs() ORDER BY job_id;
UPDATE marketplace.listings SET title = 'VW Golf 2.0 TDI Highline' WHERE listing_id = 900002;
SELECT spine.enqueue('embed_text', '{"listing_id": 900002, "model": "worker_text"}') > 0 AS queued;
SELECT state FROM spine.run_jobs();
SELECT e.listing_id, e.job_id <> b.job_id AS re_embedded, e.source_text
FROM ml.text_embeddings e JOIN before b USING (listing_id) ORDER BY e.listing_id;

-- 9. image embeddings, equal to ml.embed_image
SELECT name FROM ml.import_onnx_embedding('worker_image', decode(:'image_tiny', 'base64'), 'image');
SELECT spine.enqueue('embed_image', jsonb_build_object('image_id', id, 'model', 'worker_image')) > 0 AS queued FROM unnest(ARRAY[900014, 900015, 900016]) AS id;
SELECT count(*) FILTER (WHERE state = 'done') AS done FROM spine.run_jobs();
SELECT e.image_id, cardinality(e.embedding) AS dim, e.embedding = ml.embed_image('worker_image', f.bytes) AS equal_to_embed_image, e.source_blake3 = f.blake3 AS from_these_bytes
FROM ml.image_embeddings e JOIN marketplace.image_fetches f USING (image_id) ORDER BY e.image_id;

-- 10. similarity: cosine by hand, top-k by text and by image, errors
SELECT ml.cosine_similarity('{1,2,3}', '{4,5,6}') = 32 / (sqrt(14) * sqrt(77)) AS cosine_by_hand,
       ml.cosine_similarity('{1,0}', '{0,1}') AS orthogonal,
       ml.cosine_similarity('{1,2}', '{1,2,3}') AS mismatched,
       ml.hamming_distance(0, -1) AS all_bits, ml.hamming_distance(5, 6) AS two_bits;
SELECT listing_id, round(similarity::numeric, 6) = round(ml.cosine_similarity(
           (SELECT embedding FROM ml.text_embeddings WHERE listing_id = 900001), (SELECT embedding FROM ml.text_embeddings t WHERE t.listing_id = s.listing_id))::numeric, 6) AS consistent
FROM ml.similar_listings(900001, 2, 'worker_text') s;
SELECT count(*) AS n FROM ml.similar_listings(900001, 10, 'worker_text') WHERE listing_id BETWEEN 900002 AND 900003;
SELECT count(*) AS n FROM ml.search_listings('golf tow bar', 3, 'worker_text');
SELECT count(*) AS n FROM ml.similar_images(900014, 5, 'worker_image');
SELECT pg_temp.try($$SELECT * FROM ml.similar_listings(900001, 0, 'worker_text')$$);
SELECT pg_temp.try($$SELECT * FROM ml.similar_listings(900001, 5)$$);
SELECT pg_temp.try($$SELECT * FROM ml.similar_listings(1, 5, 'worker_text')$$);
SELECT image_id, distance, same_bytes FROM ml.near_duplicate_images(900014, 64) ORDER BY image_id;
SELECT pg_temp.try($$SELECT * FROM ml.near_duplicate_images(900011)$$);

-- 11. an image that does not decode is a permanent failure: dead at once, with the decoder's reason
DELETE FROM marketplace.image_labels WHERE image_id = 900016 AND label_kind = 'colour';
UPDATE marketplace.image_fetches SET bytes = decode('89504e470d0a1a0a', 'hex') WHERE image_id = 900016;
SELECT spine.enqueue('label_colour', '{"image_id": 900016}') > 0 AS queued;
SELECT state, result->>'error' AS error FROM spine.run_jobs();

-- 12. transient failures back off (doubling) and retry; out of attempts they are dead, every error kept
-- (a refused connection to 127.0.0.1 port 9, allowed for this session only; superuser setting)
SET spine.fetch_allow_addresses = '127.0.0.1';
SET spine.fetch_connect_timeout = '1s';
SELECT spine.set_setting('jobs.max_attempts', '3');
UPDATE marketplace.listing_images SET url = 'http://127.0.0.1:9/car.png' WHERE image_id = 900012;
SELECT spine.enqueue('fetch_image', '{"image_id": 900012, "url": "http://127.0.0.1:9/car.png"}') > 0 AS queued;
SELECT state FROM spine.run_jobs();
SELECT state, attempts, last_code, run_after - now() BETWEEN interval '9 s' AND interval '11 s' AS backoff_10s FROM spine.jobs WHERE payload->>'url' LIKE '%:9/%';
SELECT count(*) AS runnable_now FROM spine.run_jobs();
UPDATE spine.jobs SET run_after = now() WHERE payload->>'url' LIKE '%:9/%';
SELECT state FROM spine.run_jobs();
SELECT state, attempts, run_after - now() BETWEEN interval '19 s' AND interval '21 s' AS backoff_20s FROM spine.jobs WHERE payload->>'url' LIKE '%:9/%';
UPDATE spine.jobs SET run_after = now() WHERE payload->>'url' LIKE '%:9/%';
SELECT state FROM spine.run_jobs();
SELECT state, attempts, last_code, jsonb_array_length(errors) AS errors_kept, errors->0->>'attempt' AS first, errors->2->>'attempt' AS last
FROM spine.jobs WHERE payload->>'url' LIKE '%:9/%';
SELECT spine.set_setting('jobs.max_attempts', NULL);
RESET spine.fetch_allow_addresses;
RESET spine.fetch_connect_timeout;
-- without the allowance the same URL is refused outright
SELECT spine.requeue_jobs(kind => 'fetch_image') >= 1 AS requeued;
SELECT DISTINCT state FROM spine.run_jobs();
SELECT last_code, last_error FROM spine.jobs WHERE payload->>'url' LIKE '%:9/%';

-- 13. the image pipeline: steps enqueue what needs doing; unconfigured models are visible skips
SELECT spine.set_setting('images.max_enqueue', '1000');
SELECT status, message FROM spine.run_pipeline('marketplace_image_pipeline_30m');
SELECT step, status, rows_affected, message FROM spine.pipeline_steps
WHERE run_id = (SELECT max(run_id) FROM spine.pipeline_runs WHERE pipeline_id = 'marketplace_image_pipeline_30m') ORDER BY step_no;
SELECT pg_temp.try($$SELECT spine.set_setting('images.damage_model', 'Not A Name')$$);
SELECT spine.set_setting('images.damage_model', 'damage_tiny'), spine.set_setting('images.text_model', 'worker_text');
SELECT status FROM spine.run_pipeline('marketplace_image_pipeline_30m');
SELECT step, status, rows_affected, message FROM spine.pipeline_steps
WHERE run_id = (SELECT max(run_id) FROM spine.pipeline_runs WHERE pipeline_id = 'marketplace_image_pipeline_30m') ORDER BY step_no;
SELECT spine.set_setting('images.damage_model', 'worker_text');
SET client_min_messages = error;
SELECT status, message FROM spine.run_pipeline('marketplace_image_pipeline_30m');
RESET client_min_messages;
SELECT spine.set_setting('images.damage_model', NULL), spine.set_setting('images.text_model', NULL), spine.set_setting('images.max_enqueue', NULL);
SELECT pg_temp.try($$SELECT spine.launch_workers(0)$$);

-- clean up what other tests could see
DELETE FROM spine.jobs WHERE kind IN ('fetch_image', 'label_colour', 'label_damage', 'embed_text', 'embed_image');
DELETE FROM ml.text_embeddings; DELETE FROM ml.image_embeddings;
DELETE FROM marketplace.image_labels WHERE image_id BETWEEN 900011 AND 900016;
DELETE FROM marketplace.image_fetches WHERE image_id BETWEEN 900011 AND 900016;
DELETE FROM marketplace.listing_images WHERE image_id BETWEEN 900011 AND 900016;
DELETE FROM marketplace.listing_attribute_history WHERE listing_id BETWEEN 900001 AND 900003;
DELETE FROM marketplace.listings WHERE listing_id BETWEEN 900001 AND 900003;
