//! Loading generated data into the marketplace tables, set-based: each table is filled by one
//! INSERT … SELECT over the generator's set-returning functions.

use super::catalog::{Lang, CITIES, REGIONS};
use super::time::pg_us_to_civil;
use crate::common::error::{OrRaise, SpineError};
use crate::common::guc;
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

/// The horizon's end: `spine.demo_anchor` when set, else today 00:00 UTC.
pub fn resolve_anchor() -> TimestampWithTimeZone {
    match guc::string(&guc::DEMO_ANCHOR) {
        Some(text) => {
            let parsed = PgTryBuilder::new(|| Spi::get_one_with_args::<TimestampWithTimeZone>("SELECT $1::timestamptz", &[text.clone().into()]))
                .catch_others(|_| Ok(None))
                .execute();
            match parsed {
                Ok(Some(ts)) => ts,
                _ => SpineError::new(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, format!("spine.demo_anchor: {text:?} is not a timestamp with time zone"))
                    .hint("SET spine.demo_anchor = '2026-11-01 00:00+00', or RESET spine.demo_anchor to use today.")
                    .raise(),
            }
        }
        None => Spi::get_one::<TimestampWithTimeZone>("SELECT pg_catalog.date_trunc('day', pg_catalog.now(), 'UTC')")
            .or_raise("reading the current date")
            .unwrap_or_else(|| SpineError::internal("spine: now() returned NULL").raise()),
    }
}

fn lang_code(l: Lang) -> &'static str {
    match l {
        Lang::En => "en",
        Lang::De => "de",
        Lang::Fr => "fr",
        Lang::Nl => "nl",
        Lang::Es => "es",
        Lang::It => "it",
        Lang::Pl => "pl",
    }
}

fn load_reference_data(p: &super::gen::Params) {
    let codes: Vec<String> = REGIONS.iter().map(|r| r.code.to_string()).collect();
    let names: Vec<String> = REGIONS.iter().map(|r| r.name.to_string()).collect();
    let countries: Vec<String> = REGIONS.iter().map(|r| r.country.to_string()).collect();
    let langs: Vec<String> = REGIONS.iter().map(|r| lang_code(r.lang).to_string()).collect();
    let lats: Vec<f64> = REGIONS.iter().map(|r| r.lat).collect();
    let lons: Vec<f64> = REGIONS.iter().map(|r| r.lon).collect();
    let pops: Vec<i32> = REGIONS.iter().map(|r| r.population).collect();
    let incomes: Vec<i32> = REGIONS.iter().map(|r| r.median_income_eur).collect();
    let unemp: Vec<f64> = REGIONS.iter().map(|r| r.unemployment_pct).collect();
    let cars: Vec<i32> = REGIONS.iter().map(|r| r.cars_per_1000).collect();
    Spi::run_with_args(
        "INSERT INTO marketplace.regions (region_code, name, country, language, lat, lon)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[])
         ON CONFLICT (region_code) DO NOTHING",
        &[codes.clone().into(), names.into(), countries.into(), langs.into(), lats.into(), lons.into()],
    )
    .or_raise("loading demo regions");

    let c_names: Vec<String> = CITIES.iter().map(|c| c.name.to_string()).collect();
    let c_regions: Vec<String> = CITIES.iter().map(|c| c.region.to_string()).collect();
    let c_lats: Vec<f64> = CITIES.iter().map(|c| c.lat).collect();
    let c_lons: Vec<f64> = CITIES.iter().map(|c| c.lon).collect();
    let c_pops: Vec<i32> = CITIES.iter().map(|c| c.population).collect();
    Spi::run_with_args(
        "INSERT INTO marketplace.cities (city_name, region_code, lat, lon, population)
         SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::int[])
         ON CONFLICT DO NOTHING",
        &[c_names.into(), c_regions.into(), c_lats.into(), c_lons.into(), c_pops.into()],
    )
    .or_raise("loading demo cities");

    // One socio-economic period per calendar year overlapping the horizon (and the year before,
    // so every t0 has a valid row); the current year's period is open-ended.
    let (first_year, _, _) = pg_us_to_civil(p.anchor - p.days as i64 * super::time::US_PER_DAY);
    let (last_year, _, _) = pg_us_to_civil(p.anchor);
    Spi::run_with_args(
        "INSERT INTO marketplace.region_socio (region_code, valid_from, valid_to, population, median_income_eur, unemployment_pct, cars_per_1000)
         SELECT r.code, make_date(y, 1, 1), CASE WHEN y < $7 THEN make_date(y + 1, 1, 1) END,
                round(r.pop * (1 + 0.003 * (y - 2020)))::int,
                round((r.income * power(1.025, y - 2020))::numeric, 2),
                round(greatest(0.5, r.unemp + 0.4 * sin(y + length(r.code)))::numeric, 2),
                round(r.cars * (1 + 0.004 * (y - 2020)))::int
         FROM unnest($1::text[], $2::int[], $3::int[], $4::float8[], $5::int[]) AS r(code, pop, income, unemp, cars),
              generate_series($6::int - 1, $7::int) AS y
         ON CONFLICT DO NOTHING",
        &[codes.into(), pops.into(), incomes.into(), unemp.into(), cars.into(), first_year.into(), last_year.into()],
    )
    .or_raise("loading demo socio data");
}

pub fn load(p: &super::gen::Params, anchor: TimestampWithTimeZone) -> i64 {
    let occupied = Spi::get_one::<bool>("SELECT EXISTS (SELECT 1 FROM marketplace.listings)").or_raise("checking for existing listings");
    if occupied == Some(true) {
        SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "spine.generate_demo_data: marketplace.listings already holds listings")
            .detail("The generator writes listing ids 1..n and refuses to mix generated and existing data.")
            .hint("Run SELECT spine.clear_demo_data(); first (it removes all marketplace data), or use an empty database.")
            .raise()
    }
    load_reference_data(p);
    bulk_load(&["marketplace.listings", "marketplace.listing_events", "marketplace.listing_images"], || insert_generated(p, anchor));
    // Later inserts (ingest) continue after the generated ids.
    Spi::run(
        "SELECT setval(pg_get_serial_sequence('marketplace.listings', 'listing_id'), greatest(1, (SELECT max(listing_id) FROM marketplace.listings)))",
    )
    .or_raise("advancing the listing id sequence");
    // Statistics for what was just bulk-loaded: until autovacuum gets to it, a planner without
    // them takes every filter for rare and the feature stores' joins for tiny (nested loops).
    Spi::run(
        "ANALYZE marketplace.regions, marketplace.cities, marketplace.region_socio, marketplace.listings,
                 marketplace.listing_events, marketplace.listing_images",
    )
    .or_raise("analyzing the generated tables");
    p.listings as i64
}

/// Runs `load` with the secondary indexes, unique and foreign-key constraints of `tables`
/// dropped, then restores exactly those definitions (read from the catalog beforehand): one
/// sorted index build and one validation query each instead of per-row maintenance. Meant for
/// empty tables; everything happens in the caller's transaction, so an error leaves no trace.
fn bulk_load(tables: &[&str], load: impl FnOnce()) {
    let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    // (drop statement, creation order, create statement), in drop order
    let defs: Vec<(String, i32, String)> = Spi::connect(|client| {
        client
            .select(
                "WITH t AS (SELECT unnest($1::text[])::regclass AS rel),
                 cons AS (
                   SELECT CASE contype WHEN 'f' THEN 0 ELSE 1 END AS drop_order, CASE contype WHEN 'f' THEN 1 ELSE 0 END AS create_order,
                          format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop_sql,
                          format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(c.oid)) AS create_sql
                   FROM pg_constraint c JOIN t ON c.conrelid = t.rel WHERE contype IN ('f', 'u')),
                 idx AS (
                   SELECT 2, 0, format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
                   FROM pg_index i JOIN t ON i.indrelid = t.rel
                   WHERE NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid))
                 SELECT drop_sql, create_order, create_sql FROM (SELECT * FROM cons UNION ALL SELECT * FROM idx) x
                 ORDER BY drop_order, drop_sql",
                None,
                &[tables.into()],
            )
            .or_raise("reading index and constraint definitions")
            .map(|r| {
                (
                    r.get::<String>(1).or_raise("drop statement").unwrap_or_default(),
                    r.get::<i32>(2).or_raise("creation order").unwrap_or_default(),
                    r.get::<String>(3).or_raise("create statement").unwrap_or_default(),
                )
            })
            .collect()
    });
    let drops: Vec<&String> = defs.iter().map(|d| &d.0).collect();
    // unique constraints and indexes before the foreign keys that need them
    let mut creates: Vec<(i32, &String)> = defs.iter().map(|d| (d.1, &d.2)).collect();
    creates.sort_by_key(|c| c.0);
    Spi::run("SET LOCAL maintenance_work_mem = '512MB'").or_raise("raising maintenance_work_mem");
    for d in &drops {
        Spi::run(d).or_raise("dropping an index for the bulk load");
    }
    load();
    for (_, c) in &creates {
        Spi::run(c).or_raise("restoring an index or constraint after the bulk load");
    }
}

fn insert_generated(p: &super::gen::Params, anchor: TimestampWithTimeZone) {
    let args = || -> [DatumWithOid<'static>; 4] { [p.listings.into(), p.days.into(), p.seed.into(), anchor.into()] };
    Spi::run_with_args(
        "INSERT INTO marketplace.listings (listing_id, source, source_listing_id, vin, make, model, year, body_type, segment,
             powertrain, transmission, power_kw, colour, mileage_km, price_eur, seller_type, region_code, lat, lon, title,
             description, status, first_seen_at, last_seen_at, status_changed_at, updated_at)
         SELECT listing_id, source, source_listing_id, vin, make, model, year, body_type, segment,
             powertrain, transmission, power_kw, colour, mileage_km, price_eur::numeric(12,2), seller_type, region_code, lat, lon, title,
             description, status, first_seen_at, last_seen_at, status_changed_at, last_seen_at
         FROM spine.demo_listings($1, $2, $3, $4)",
        &args(),
    )
    .or_raise("inserting generated listings");
    Spi::run_with_args(
        "INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, previous_price_eur, status, previous_status, recorded_at)
         SELECT listing_id, event_type, observed_at, price_eur::numeric(12,2), previous_price_eur::numeric(12,2), status, previous_status, observed_at
         FROM spine.demo_events($1, $2, $3, $4)",
        &args(),
    )
    .or_raise("inserting generated events");
    Spi::run_with_args(
        "WITH t AS MATERIALIZED (SELECT * FROM spine.demo_truth($1, $2, $3, $4)),
              d AS (INSERT INTO spine.demo_truth_duplicates SELECT listing_id, duplicate_of FROM t WHERE duplicate_of IS NOT NULL),
              b AS (INSERT INTO spine.demo_truth_battery SELECT listing_id, battery_kwh, soh_pct, capacity_stated, soh_stated FROM t WHERE battery_kwh IS NOT NULL),
              m AS (INSERT INTO spine.demo_truth_market SELECT listing_id, market_value_eur::numeric(12,2) FROM t)
         INSERT INTO marketplace.listing_images (listing_id, position, url)
         SELECT t.listing_id, k, 'https://img.spine-demo.test/' || t.source || '/' || t.source_listing_id || '/' || k || '.jpg'
         FROM t, generate_series(1, t.n_images) AS k",
        &args(),
    )
    .or_raise("inserting generated images and ground truth");
}

pub fn clear() {
    Spi::run(
        "ALTER TABLE marketplace.listing_events DISABLE TRIGGER listing_events_no_truncate;
         ALTER TABLE marketplace.listing_attribute_history DISABLE TRIGGER listing_attribute_history_no_truncate;
         TRUNCATE marketplace.image_labels, marketplace.listing_images, marketplace.listing_attribute_history, marketplace.listing_events,
                  marketplace.landing_quarantine, marketplace.landing_listings, marketplace.landing_batches,
                  marketplace.listings, marketplace.region_socio, marketplace.cities, marketplace.regions,
                  spine.demo_truth_duplicates, spine.demo_truth_battery, spine.demo_truth_market,
                  ml.survival_labels, spine.recheck_requests, spine.ingest_cycles, spine.batch_profiles, audit.findings,
                  marketplace.dedupe_overrides, marketplace.listing_links, marketplace.healed_values,
                  marketplace.listing_battery, spine.healing_runs, ml.listing_scores,
                  marketplace.image_fetches, ml.text_embeddings, ml.image_embeddings, spine.jobs
         RESTART IDENTITY CASCADE;
         ALTER TABLE marketplace.listing_events ENABLE TRIGGER listing_events_no_truncate;
         ALTER TABLE marketplace.listing_attribute_history ENABLE TRIGGER listing_attribute_history_no_truncate;",
    )
    .or_raise("clearing demo data");
}
