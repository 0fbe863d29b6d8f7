-- make demo, when `make models` has fetched all-MiniLM-L6-v2 (scripts/demo.sh registers it as
-- 'minilm'): text embeddings of listings inside PostgreSQL, and a semantic search over them.
\echo
\echo '── 9. Text embeddings with all-MiniLM-L6-v2 int8 in ONNX Runtime (ml.embed_texts, ml.embed_text) ──'
\timing on
CREATE TEMP TABLE demo_emb AS
SELECT l.listing_id, l.title, b.embedding
FROM (SELECT array_agg(listing_id ORDER BY listing_id) AS ids, array_agg(title || '. ' || description ORDER BY listing_id) AS texts
      FROM (SELECT * FROM marketplace.listings ORDER BY listing_id DESC LIMIT 2000) x) a
CROSS JOIN LATERAL ml.embed_texts('minilm', a.texts) b
JOIN marketplace.listings l ON l.listing_id = a.ids[b.ordinality];
\timing off
SELECT count(*) AS listings_embedded, min(cardinality(embedding)) AS dimension FROM demo_emb;
\echo 'Nearest listings to "electric car, battery in good health" (cosine similarity; embeddings are L2-normalised):'
SELECT listing_id, left(title, 60) AS title,
       round((SELECT sum(a::float8 * b) FROM unnest(embedding, ml.embed_text('minilm', 'electric car, battery in good health')) AS u(a, b))::numeric, 3) AS similarity
FROM demo_emb ORDER BY similarity DESC LIMIT 5;
