-- The six feature stores registered with their policies (DESIGN §4, §5): part of the install,
-- marked builtin (pg_dump leaves them to CREATE EXTENSION; an admin's re-registration is kept).
-- Freshness reads an indexed watermark (the newest first sighting, listings_first_seen_idx) instead
-- of computing a whole store.
-- Policies: docs/stores.md.

SELECT audit.register_store('ml.survival_feature_store_t0_v1_v', 'listing_id', 't0', ARRAY['label_duration_days', 'label_event']::text[],
    '{"max_staleness": "2 days", "max_age": "7 days", "not_null": ["price_eur_t0", "vehicle_age_years", "make", "model", "year", "label_duration_days", "label_event"], "nonnegative": ["price_eur_t0", "vehicle_age_years", "mileage_km", "label_duration_days"], "watermark": "marketplace.listings.first_seen_at"}');
SELECT audit.register_store('ml.geo_feature_store_t0_v1_v', 'listing_id', 't0', '{}'::text[],
    '{"max_staleness": "2 days", "max_age": "7 days", "nonnegative": ["dist_large_city_km", "regional_supply_t0", "regional_comparables_t0", "regional_median_price_t0", "price_vs_regional_median"], "watermark": "marketplace.listings.first_seen_at"}');
SELECT audit.register_store('ml.socio_market_feature_store_t0_v1_v', 'listing_id', 't0', '{}'::text[],
    '{"max_staleness": "2 days", "max_age": "7 days", "not_null": ["model_new_listings_30d", "model_sales_30d"], "nonnegative": ["model_new_listings_30d", "model_sales_30d", "segment_sales_90d", "segment_median_days_to_sell_90d", "region_population"], "watermark": "marketplace.listings.first_seen_at"}');
SELECT audit.register_store('ml.trainer_derived_feature_store_t0_v1_v', 'listing_id', 't0', '{}'::text[],
    '{"max_staleness": "2 days", "max_age": "7 days", "not_null": ["price_eur_t0", "mileage_per_year_km"], "nonnegative": ["segment_comparables_t0", "segment_median_price_t0", "price_vs_segment_median", "mileage_per_year_km", "vin_prior_listings", "vin_prior_price_drops", "title_length", "description_length"], "watermark": "marketplace.listings.first_seen_at"}');
SELECT audit.register_store('ml.woe_anchor_feature_store_t0_v1_v', 'listing_id', 't0', '{}'::text[],
    '{"max_staleness": "2 days", "max_age": "7 days", "not_null": ["woe_bins_version", "woe_price_vs_segment_median", "woe_price_vs_regional_median", "woe_vehicle_age_years", "woe_mileage_per_year_km", "woe_dist_large_city_km", "woe_segment_median_days_to_sell_90d"], "watermark": "marketplace.listings.first_seen_at"}');
SELECT audit.register_store('ml.fusion_feature_store_t0_v1_v', 'listing_id', 't0', ARRAY['label_duration_days', 'label_event', 'label_slow21', 'label_fast24']::text[],
    '{"max_staleness": "2 days", "max_age": "7 days", "components": ["ml.survival_feature_store_t0_v1_v", "ml.geo_feature_store_t0_v1_v", "ml.socio_market_feature_store_t0_v1_v", "ml.trainer_derived_feature_store_t0_v1_v", "ml.woe_anchor_feature_store_t0_v1_v"], "not_null": ["price_eur_t0", "woe_bins_version"], "watermark": "marketplace.listings.first_seen_at"}');
