-- Healing (DESIGN §9): dedupe of reposts against the generator's planted truth, overrides that win
-- over the model, re-evaluation of changed listings, battery refit with provenance, make/model
-- normalisation. Nothing is deleted; originals stay beside healed values.
SET TimeZone = 'UTC';
SET spine.demo_anchor = '2026-11-01 00:00+00';
SELECT spine.clear_demo_data();
SELECT spine.generate_demo_data(4000, 90, 7) AS listings;

-- dedupe: every planted repost found, nothing else linked
SELECT listings, candidate_pairs > 0 AS has_candidates, links > 0 AS has_links, groups > 0 AS has_groups, changed FROM spine.dedupe();
SELECT precision, recall, f1, linked_listings, true_reposts FROM spine.dedupe_quality();
SELECT count(*) AS listings_unchanged FROM marketplace.listings;
-- every link keeps its score and reasons; the canonical listing is the earliest of its group
SELECT bool_and(score >= 0.7) AS scores_over_threshold, bool_and(cardinality(reasons) > 0) AS reasons_kept,
       bool_and(c.first_seen_at <= l.first_seen_at) AS canonical_is_earliest
FROM marketplace.listing_links k JOIN marketplace.listings l USING (listing_id)
JOIN marketplace.listings c ON c.listing_id = k.canonical_listing_id WHERE k.superseded_at IS NULL;
SELECT count(*) = (SELECT count(*) FROM marketplace.listings WHERE canonical_listing_id IS NOT NULL) AS provenance_for_every_change
FROM marketplace.healed_values WHERE field = 'canonical_listing_id' AND original_value IS NULL;

-- an incremental run with nothing changed looks at nothing
SELECT listings, changed FROM spine.dedupe();

-- overrides win over the model: never-merge splits a planted pair, force-merge joins two strangers
CREATE TEMP TABLE pair AS
SELECT t.listing_id AS repost, t.original_listing_id AS original FROM spine.demo_truth_duplicates t
JOIN marketplace.listings l ON l.listing_id = t.listing_id
WHERE l.vin IS NULL AND (SELECT count(*) FROM spine.demo_truth_duplicates u WHERE u.original_listing_id = t.original_listing_id) = 1
ORDER BY t.listing_id LIMIT 1;
CREATE TEMP TABLE strangers AS
SELECT a.listing_id AS a, b.listing_id AS b FROM marketplace.listings a, marketplace.listings b
WHERE a.listing_id < b.listing_id AND a.canonical_listing_id IS NULL AND b.canonical_listing_id IS NULL
  AND a.make <> b.make AND NOT EXISTS (SELECT 1 FROM marketplace.listings x WHERE x.canonical_listing_id IN (a.listing_id, b.listing_id))
ORDER BY a.listing_id, b.listing_id LIMIT 1;
INSERT INTO marketplace.dedupe_overrides (listing_a, listing_b, decision, note)
SELECT least(repost, original), greatest(repost, original), 'never_merge', 'checked by hand: different cars' FROM pair;
INSERT INTO marketplace.dedupe_overrides (listing_a, listing_b, decision, note) SELECT a, b, 'force_merge', 'same car, re-registered' FROM strangers;
SELECT changed > 0 AS changed FROM spine.dedupe(full => true);
SELECT l.canonical_listing_id IS DISTINCT FROM p.original AS never_merge_honoured
FROM pair p JOIN marketplace.listings l ON l.listing_id = p.repost;
SELECT (SELECT count(DISTINCT coalesce(canonical_listing_id, listing_id)) FROM marketplace.listings WHERE listing_id IN (s.a, s.b)) = 1 AS force_merge_honoured,
       k.method, k.reasons
FROM strangers s JOIN marketplace.listing_links k ON k.listing_id IN (s.a, s.b) AND k.matched_listing_id IN (s.a, s.b) AND k.superseded_at IS NULL;
-- the earlier links were superseded, not deleted
SELECT count(*) FILTER (WHERE superseded_at IS NOT NULL) > 0 AS superseded_kept FROM marketplace.listing_links;
SELECT precision < 1 AS forced_pair_counts_against_precision, recall < 1 AS split_pair_counts_against_recall FROM spine.dedupe_quality();
DELETE FROM marketplace.dedupe_overrides;

-- a changed listing is re-evaluated with its block: a repost whose colour and power were
-- corrected to other values no longer matches
UPDATE marketplace.listings SET colour = CASE WHEN colour = 'black' THEN 'white' ELSE 'black' END, power_kw = power_kw + 30, updated_at = now()
WHERE listing_id = (SELECT repost FROM pair);
SELECT listings > 0 AND listings < 4000 AS only_touched_blocks FROM spine.dedupe();
SELECT canonical_listing_id IS NULL AS unlinked_after_change FROM marketplace.listings WHERE listing_id = (SELECT repost FROM pair);

-- battery refit: stated values kept, missing ones filled with their source and confidence
SELECT listings > 0 AS has_evs, capacity_stated > 0 AS some_stated, capacity_healed > 0 AS some_filled,
       soh_stated > 0 AS some_soh, soh_healed > 0 AS some_soh_filled FROM spine.refit_battery();
SELECT capacity_source, soh_source, bool_and(capacity_confidence BETWEEN 0 AND 1) AS confidence_ok
FROM marketplace.listing_battery GROUP BY 1, 2 ORDER BY 1, 2;
-- stated values equal what the description says, with the evidence span
SELECT bool_and(b.capacity_source <> 'stated' OR b.capacity_kwh = b.stated_capacity_kwh) AS stated_kept,
       bool_and(b.stated_capacity_kwh IS NULL OR b.capacity_evidence ~* 'kwh') AS evidence_names_kwh
FROM marketplace.listing_battery b;
-- against the planted truth: stated capacities exact; filled ones are a model-year's typical
-- battery, so a model sold with several batteries is often filled with another variant's size
SELECT b.capacity_source, count(*) > 0 AS n,
       round(avg((abs(b.capacity_kwh - t.capacity_kwh) <= 0.1 * t.capacity_kwh)::int)::numeric, 1) AS share_within_10pct
FROM marketplace.listing_battery b JOIN spine.demo_truth_battery t USING (listing_id)
WHERE b.capacity_kwh IS NOT NULL GROUP BY 1 ORDER BY 1;

-- make/model normalisation keeps the originals
UPDATE marketplace.listings SET make = 'VW', model = 'golf' WHERE listing_id IN (SELECT listing_id FROM marketplace.listings WHERE make = 'Volkswagen' AND model = 'Golf' ORDER BY listing_id LIMIT 2);
UPDATE marketplace.listings SET make = 'skoda', model = 'OCTAVIA' WHERE listing_id IN (SELECT listing_id FROM marketplace.listings WHERE make = 'Škoda' AND model = 'Octavia' ORDER BY listing_id LIMIT 1);
UPDATE marketplace.listings SET make = 'Trabant', model = '601' WHERE listing_id = (SELECT max(listing_id) FROM marketplace.listings);
SELECT spellings_checked > 0 AS checked, listings_make_fixed, listings_model_fixed, unknown_spellings FROM spine.normalise_make_model();
SELECT field, original_value, healed_value, method FROM marketplace.healed_values WHERE field IN ('make', 'model') ORDER BY field, original_value, healed_value;
SELECT make, model FROM marketplace.listings WHERE listing_id = (SELECT max(listing_id) FROM marketplace.listings);
SELECT kind, count(*) AS runs, bool_and(finished_at IS NOT NULL) AS finished FROM spine.healing_runs GROUP BY 1 ORDER BY 1;
