-- make demo: the job queue and the two preloaded job workers (docs/workers.md). A local HTTP
-- server (pgrx-tests/http_fixture.py, started by scripts/demo.sh on :port) stands in for the
-- marketplace's image CDN: 300 listings get an image in their listed colour (solid, 320 x 240);
-- the workers fetch, hash and colour-label them.
\echo
\echo '── 10. Job queue and workers: fetch 300 images from a local server, label their colour ──'
ALTER SYSTEM SET spine.fetch_allow_addresses = '127.0.0.1';
SELECT pg_reload_conf();
SELECT pg_sleep(0.5);
CREATE TEMP TABLE demo_img AS
SELECT i.image_id, l.listing_id, l.colour,
       CASE l.colour WHEN 'black' THEN '161616' WHEN 'white' THEN 'f0f0f0' WHEN 'silver' THEN 'c0c0c0' WHEN 'grey' THEN '808080'
                     WHEN 'blue' THEN '1e3c8c' WHEN 'red' THEN 'b4141e' WHEN 'green' THEN '1e6432' WHEN 'brown' THEN '643c23'
                     WHEN 'beige' THEN 'd2c3a0' WHEN 'yellow' THEN 'f0c814' END AS hex
FROM marketplace.listings l JOIN marketplace.listing_images i ON i.listing_id = l.listing_id AND i.position = 1
WHERE l.colour IS NOT NULL ORDER BY l.listing_id LIMIT 300;
UPDATE marketplace.listing_images i SET url = format('http://127.0.0.1:%s/solid/%s.png?w=320&h=240', :'port', d.hex)
FROM demo_img d WHERE d.image_id = i.image_id;
\timing on
SELECT count(spine.enqueue('fetch_image', jsonb_build_object('image_id', image_id))) AS fetch_jobs_enqueued FROM demo_img;
\timing off
\echo 'waiting for the workers (spine.job_queue_status) ...'
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM spine.jobs WHERE state IN ('pending', 'running', 'failed'));
        PERFORM pg_sleep(0.2);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
END $$;
SELECT count(spine.enqueue('label_colour', jsonb_build_object('image_id', image_id))) AS colour_jobs_enqueued FROM demo_img;
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM spine.jobs WHERE state IN ('pending', 'running', 'failed'));
        PERFORM pg_sleep(0.2);
    END LOOP;
END $$;
SELECT kind, pending, running, done, failed, dead FROM spine.job_queue_status WHERE done + dead > 0 ORDER BY kind;
SELECT count(*) AS fetched, min(width) || 'x' || min(height) AS size, count(DISTINCT blake3) AS distinct_images,
       count(DISTINCT dhash) AS distinct_dhashes FROM marketplace.image_fetches f JOIN demo_img d USING (image_id);
\echo 'Colour labels against the colour each listing states:'
SELECT d.colour AS listed, l.label, count(*) AS images, round(avg(l.confidence)::numeric, 2) AS confidence
FROM demo_img d JOIN marketplace.image_labels l ON l.image_id = d.image_id AND l.label_kind = 'colour'
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT round(100.0 * avg((l.label = d.colour)::int), 1) AS agree_pct
FROM demo_img d JOIN marketplace.image_labels l ON l.image_id = d.image_id AND l.label_kind = 'colour';
ALTER SYSTEM RESET spine.fetch_allow_addresses;
SELECT pg_reload_conf();
