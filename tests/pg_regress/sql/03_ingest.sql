-- Ingest: a landing batch becomes listings and events; bad rows are quarantined with reasons;
-- the same observations twice change nothing. Expected values are worked out by hand.
SET TimeZone = 'UTC';
INSERT INTO marketplace.regions VALUES ('DE-BY', 'Bayern', 'DE', 'de', 48.8, 11.5);

SELECT spine.land_batch('autoplaza', '[
  {"source_listing_id": "A-1", "observed_at": "2026-10-01T08:00:00Z", "make": "Volkswagen", "model": "Golf", "year": 2019,
   "price_eur": 15990, "mileage_km": 61000, "region_code": "DE-BY", "vin": "WVWZZZ1KZAW000001",
   "image_urls": ["https://img.test/a1/1.jpg", "https://img.test/a1/2.jpg"]},
  {"source_listing_id": "A-1", "observed_at": "2026-10-04T09:30:00+02:00", "make": "Volkswagen", "model": "Golf", "year": 2019, "price_eur": "15490.00"},
  {"source_listing_id": "A-1", "observed_at": "2026-10-06T08:00:00Z", "make": "Volkswagen", "model": "Golf", "year": 2019, "price_eur": 15490, "status": "sold"},
  {"source_listing_id": "B-7", "observed_at": "2026-10-02T12:00:00Z", "make": "Renault", "model": "Zoe", "year": 2021, "price_eur": 17500,
   "powertrain": "EV", "description": "Batterie 52 kWh, SoH 94 %"},
  {"source_listing_id": "C-3", "observed_at": "2026-10-02T12:00:00Z", "make": "Fiat", "model": "Panda", "year": 2031, "price_eur": 7000},
  {"source_listing_id": "D-4", "observed_at": "2026-10-02T12:00:00Z", "make": "Opel", "model": "Corsa", "year": 2015, "price_eur": 5000, "region_code": "XX-1", "mileage_km": -3},
  {"observed_at": "2026-10-02T12:00:00Z", "make": "Opel"},
  42
]');

SELECT * FROM spine.ingest_landing();
SELECT source_listing_id, make, model, year, price_eur, status, mileage_km, powertrain, vin, region_code,
       first_seen_at, last_seen_at, status_changed_at
FROM marketplace.listings ORDER BY source_listing_id;
SELECT l.source_listing_id, e.event_type, e.observed_at, e.price_eur, e.previous_price_eur, e.status, e.previous_status
FROM marketplace.listing_events e JOIN marketplace.listings l USING (listing_id)
ORDER BY l.source_listing_id, e.observed_at, e.event_type;
SELECT l.source_listing_id, i.position, i.url FROM marketplace.listing_images i JOIN marketplace.listings l USING (listing_id) ORDER BY 1, 2;
SELECT row_no, reason FROM marketplace.landing_quarantine ORDER BY row_no;
SELECT batch_id, rows_total, rows_ingested, rows_quarantined, events_written, ingested_at IS NOT NULL AS ingested
FROM marketplace.landing_batches;

-- the same batch again: nothing to do
SELECT * FROM spine.ingest_landing(1);
-- the same observations in a new batch, plus one late and one new observation
SELECT spine.land_batch('autoplaza', '[
  {"source_listing_id": "A-1", "observed_at": "2026-10-06T08:00:00Z", "make": "Volkswagen", "model": "Golf", "year": 2019, "price_eur": 15490, "status": "sold"},
  {"source_listing_id": "B-7", "observed_at": "2026-10-01T12:00:00Z", "make": "Renault", "model": "Zoe", "year": 2021, "price_eur": 17900},
  {"source_listing_id": "B-7", "observed_at": "2026-10-09T12:00:00Z", "make": "Renault", "model": "Zoe", "year": 2021, "price_eur": 17500}
]');
SELECT * FROM spine.ingest_landing();
SELECT source_listing_id, price_eur, status, first_seen_at, last_seen_at FROM marketplace.listings ORDER BY 1;
SELECT l.source_listing_id, e.event_type, e.observed_at, e.price_eur, e.batch_id
FROM marketplace.listing_events e JOIN marketplace.listings l USING (listing_id)
WHERE l.source_listing_id = 'B-7' ORDER BY e.observed_at;

-- errors
SELECT * FROM spine.ingest_landing(404);
\echo :LAST_ERROR_SQLSTATE
SELECT spine.land_batch('', '[]');
\echo :LAST_ERROR_SQLSTATE
SELECT spine.land_batch('x', '{"not": "an array"}');
\echo :LAST_ERROR_SQLSTATE
UPDATE marketplace.listing_events SET price_eur = 1;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE marketplace.listing_events CASCADE;
\echo :LAST_ERROR_SQLSTATE
