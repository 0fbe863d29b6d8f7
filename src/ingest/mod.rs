//! Ingest, the first step of `marketplace_ingest_and_audit`: landing batches of scraped
//! observations become listings and listing events. Rows that fail validation go to
//! `marketplace.landing_quarantine` with the reason; the good rows of the batch still land.
//! Idempotent: a batch is ingested once, and observations already reflected change nothing
//! (rules in `plan`).

pub mod plan;
pub mod validate;

use crate::common::error::{OrRaise, SpineError};
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use plan::{Current, Key, Outcome};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, Clone, Copy)]
pub struct BatchResult {
    pub rows_total: i32,
    pub rows_ingested: i32,
    pub rows_duplicate: i32,
    pub rows_quarantined: i32,
    pub events_written: i64,
}

fn ts(us: i64) -> TimestampWithTimeZone {
    crate::common::error::timestamptz(us, "observation time out of range")
}

fn known_regions() -> HashSet<String> {
    Spi::get_one::<Vec<String>>("SELECT coalesce(array_agg(region_code), '{}') FROM marketplace.regions")
        .or_raise("reading marketplace.regions")
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn current_state(keys: &[Key]) -> HashMap<Key, Current> {
    let sources: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
    let ids: Vec<String> = keys.iter().map(|k| k.1.clone()).collect();
    Spi::connect(|client| {
        let mut out = HashMap::with_capacity(keys.len());
        let table = client
            .select(
                "SELECT l.source, l.source_listing_id, l.price_eur::float8, l.status, l.last_seen_at
                 FROM unnest($1::text[], $2::text[]) AS k(source, source_listing_id)
                 JOIN marketplace.listings l USING (source, source_listing_id)",
                None,
                &[sources.into(), ids.into()],
            )
            .or_raise("reading current listing state");
        for row in table {
            let source: String = row.get(1).or_raise("listing source").unwrap_or_default();
            let id: String = row.get(2).or_raise("listing source id").unwrap_or_default();
            let price: Option<f64> = row.get(3).or_raise("listing price");
            let status: String = row.get(4).or_raise("listing status").unwrap_or_default();
            let last: Option<TimestampWithTimeZone> = row.get(5).or_raise("listing last_seen_at");
            out.insert((source, id), Current { price_eur: price, status, last_seen_at: last.map(|t| t.into_inner()).unwrap_or(i64::MIN) });
        }
        out
    })
}

/// Ingests one batch (already locked by the caller).
fn ingest_batch(batch_id: i64, source: &str) -> BatchResult {
    let raw: Vec<(i32, Option<JsonB>)> = Spi::connect(|client| {
        client
            .select("SELECT row_no, payload FROM marketplace.landing_listings WHERE batch_id = $1 ORDER BY row_no", None, &[batch_id.into()])
            .or_raise("reading landing rows")
            .map(|r| (r.get::<i32>(1).ok().flatten().unwrap_or(0), r.get::<JsonB>(2).ok().flatten()))
            .collect()
    });
    let regions = known_regions();
    let mut good: Vec<(validate::LandingRow, String)> = Vec::with_capacity(raw.len());
    let mut good_row_no = Vec::with_capacity(raw.len());
    let (mut bad_row_no, mut bad_reason) = (Vec::new(), Vec::new());
    for (row_no, payload) in &raw {
        let checked = match payload {
            Some(JsonB(v)) => validate::validate(v, &regions),
            None => Err("payload: NULL".to_string()),
        };
        match checked {
            Ok(r) => {
                let src = r.source.clone().unwrap_or_else(|| source.to_string());
                good.push((r, src));
                good_row_no.push(*row_no);
            }
            Err(reason) => {
                bad_row_no.push(*row_no);
                bad_reason.push(reason);
            }
        }
    }
    let mut keys: Vec<Key> = good.iter().map(|(r, s)| (s.clone(), r.source_listing_id.clone())).collect();
    keys.sort();
    keys.dedup();
    let current = current_state(&keys);
    let p = plan::plan(&good, &current);

    write_listings(&p);
    let (events_written, late_written) = write_events(batch_id, &p);
    write_images(&p);
    if !bad_row_no.is_empty() {
        Spi::run_with_args(
            "INSERT INTO marketplace.landing_quarantine (batch_id, row_no, payload, reason)
             SELECT $1, q.row_no, l.payload, q.reason
             FROM unnest($2::int[], $3::text[]) AS q(row_no, reason)
             JOIN marketplace.landing_listings l ON l.batch_id = $1 AND l.row_no = q.row_no
             ON CONFLICT (batch_id, row_no) DO NOTHING",
            &[batch_id.into(), bad_row_no.clone().into(), bad_reason.into()],
        )
        .or_raise("writing quarantined rows");
    }
    // a late observation counts as ingested only if it added history
    let applied = p.outcomes.iter().filter(|o| **o == Outcome::Applied).count() as i32 + late_written as i32;
    let result = BatchResult {
        rows_total: raw.len() as i32,
        rows_ingested: applied,
        rows_duplicate: good.len() as i32 - applied,
        rows_quarantined: bad_row_no.len() as i32,
        events_written,
    };
    Spi::run_with_args(
        "UPDATE marketplace.landing_batches SET ingested_at = clock_timestamp(), rows_total = $2, rows_ingested = $3,
                rows_quarantined = $4, events_written = $5 WHERE batch_id = $1",
        &[batch_id.into(), result.rows_total.into(), result.rows_ingested.into(), result.rows_quarantined.into(), (result.events_written as i32).into()],
    )
    .or_raise("marking the batch ingested");
    result
}

fn write_listings(p: &plan::Plan) {
    if !p.final_rows.is_empty() {
        let col = |g: &dyn Fn(&validate::LandingRow) -> Option<String>| -> Vec<Option<String>> { p.final_rows.iter().map(|(_, r, _)| g(r)).collect() };
        let sources: Vec<String> = p.final_rows.iter().map(|(k, _, _)| k.0.clone()).collect();
        let ids: Vec<String> = p.final_rows.iter().map(|(k, _, _)| k.1.clone()).collect();
        let makes = col(&|r| Some(r.make.clone()));
        let models = col(&|r| Some(r.model.clone()));
        let years: Vec<i32> = p.final_rows.iter().map(|(_, r, _)| r.year).collect();
        let prices: Vec<f64> = p.final_rows.iter().map(|(_, r, _)| r.price_eur).collect();
        let statuses = col(&|r| Some(r.status.clone()));
        let vins = col(&|r| r.vin.clone());
        let mileage: Vec<Option<i32>> = p.final_rows.iter().map(|(_, r, _)| r.mileage_km).collect();
        let bodies = col(&|r| r.body_type.clone());
        let segments = col(&|r| r.segment.clone());
        let powertrains = col(&|r| r.powertrain.clone());
        let transmissions = col(&|r| r.transmission.clone());
        let power: Vec<Option<i32>> = p.final_rows.iter().map(|(_, r, _)| r.power_kw).collect();
        let colours = col(&|r| r.colour.clone());
        let sellers = col(&|r| r.seller_type.clone());
        let regions = col(&|r| r.region_code.clone());
        let lats: Vec<Option<f64>> = p.final_rows.iter().map(|(_, r, _)| r.lat).collect();
        let lons: Vec<Option<f64>> = p.final_rows.iter().map(|(_, r, _)| r.lon).collect();
        let titles = col(&|r| r.title.clone());
        let descriptions = col(&|r| r.description.clone());
        let seen: Vec<TimestampWithTimeZone> = p.final_rows.iter().map(|(_, r, _)| ts(r.observed_at)).collect();
        let changed: Vec<Option<TimestampWithTimeZone>> = p.final_rows.iter().map(|(_, _, c)| c.map(ts)).collect();
        Spi::run_with_args(
            "INSERT INTO marketplace.listings AS l (source, source_listing_id, make, model, year, price_eur, status, vin, mileage_km,
                 body_type, segment, powertrain, transmission, power_kw, colour, seller_type, region_code, lat, lon, title,
                 description, first_seen_at, last_seen_at, status_changed_at, updated_at)
             SELECT s, i, mk, md, y, pr::numeric(12,2), st, v, km, b, sg, pt, tr, kw, c, sl, rc, la, lo, ti, de, seen, seen, ch, clock_timestamp()
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::text[], $8::text[], $9::int[],
                         $10::text[], $11::text[], $12::text[], $13::text[], $14::int[], $15::text[], $16::text[], $17::text[],
                         $18::float8[], $19::float8[], $20::text[], $21::text[], $22::timestamptz[], $23::timestamptz[])
                  AS u(s, i, mk, md, y, pr, st, v, km, b, sg, pt, tr, kw, c, sl, rc, la, lo, ti, de, seen, ch)
             ON CONFLICT (source, source_listing_id) DO UPDATE SET
                 make = EXCLUDED.make, model = EXCLUDED.model, year = EXCLUDED.year, price_eur = EXCLUDED.price_eur,
                 status = EXCLUDED.status,
                 vin = coalesce(EXCLUDED.vin, l.vin), mileage_km = coalesce(EXCLUDED.mileage_km, l.mileage_km),
                 body_type = coalesce(EXCLUDED.body_type, l.body_type), segment = coalesce(EXCLUDED.segment, l.segment),
                 powertrain = coalesce(EXCLUDED.powertrain, l.powertrain), transmission = coalesce(EXCLUDED.transmission, l.transmission),
                 power_kw = coalesce(EXCLUDED.power_kw, l.power_kw), colour = coalesce(EXCLUDED.colour, l.colour),
                 seller_type = coalesce(EXCLUDED.seller_type, l.seller_type), region_code = coalesce(EXCLUDED.region_code, l.region_code),
                 lat = coalesce(EXCLUDED.lat, l.lat), lon = coalesce(EXCLUDED.lon, l.lon), title = coalesce(EXCLUDED.title, l.title),
                 description = coalesce(EXCLUDED.description, l.description),
                 last_seen_at = EXCLUDED.last_seen_at,
                 status_changed_at = coalesce(EXCLUDED.status_changed_at, l.status_changed_at),
                 updated_at = EXCLUDED.updated_at",
            &[
                sources.into(), ids.into(), makes.into(), models.into(), years.into(), prices.into(), statuses.into(), vins.into(),
                mileage.into(), bodies.into(), segments.into(), powertrains.into(), transmissions.into(), power.into(), colours.into(),
                sellers.into(), regions.into(), lats.into(), lons.into(), titles.into(), descriptions.into(), seen.into(), changed.into(),
            ],
        )
        .or_raise("upserting listings");
    }
    // first_seen_at only moves earlier (a late observation of an older sighting).
    let sources: Vec<String> = p.earliest.iter().map(|(k, _)| k.0.clone()).collect();
    let ids: Vec<String> = p.earliest.iter().map(|(k, _)| k.1.clone()).collect();
    let firsts: Vec<TimestampWithTimeZone> = p.earliest.iter().map(|(_, t)| ts(*t)).collect();
    Spi::run_with_args(
        "UPDATE marketplace.listings l SET first_seen_at = u.t
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(s, i, t)
         WHERE l.source = u.s AND l.source_listing_id = u.i AND u.t < l.first_seen_at",
        &[sources.into(), ids.into(), firsts.into()],
    )
    .or_raise("moving first_seen_at earlier");
}

/// Writes the planned events; returns (events written, late observations written).
fn write_events(batch_id: i64, p: &plan::Plan) -> (i64, i64) {
    let (late, current): (Vec<&plan::PlannedEvent>, Vec<&plan::PlannedEvent>) = p.events.iter().partition(|e| e.late);
    let written = insert_events(batch_id, &current);
    let late_written = insert_events(batch_id, &late);
    (written + late_written, late_written)
}

fn insert_events(batch_id: i64, e: &[&plan::PlannedEvent]) -> i64 {
    if e.is_empty() {
        return 0;
    }
    let sources: Vec<String> = e.iter().map(|x| x.key.0.clone()).collect();
    let ids: Vec<String> = e.iter().map(|x| x.key.1.clone()).collect();
    let types: Vec<String> = e.iter().map(|x| x.event_type.to_string()).collect();
    let at: Vec<TimestampWithTimeZone> = e.iter().map(|x| ts(x.observed_at)).collect();
    let prices: Vec<f64> = e.iter().map(|x| x.price_eur).collect();
    let prev_prices: Vec<Option<f64>> = e.iter().map(|x| x.previous_price_eur).collect();
    let statuses: Vec<String> = e.iter().map(|x| x.status.clone()).collect();
    let prev_statuses: Vec<Option<String>> = e.iter().map(|x| x.previous_status.clone()).collect();
    let late: Vec<bool> = e.iter().map(|x| x.late).collect();
    Spi::connect_mut(|client| {
        client
            .update(
                "WITH ins AS (
                   INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, previous_price_eur, status, previous_status, batch_id)
                   SELECT l.listing_id, u.ty, u.at, u.pr::numeric(12,2), u.pp::numeric(12,2), u.st, u.ps, $1
                   FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::text[], $9::text[], $10::bool[])
                        AS u(s, i, ty, at, pr, pp, st, ps, late)
                   JOIN marketplace.listings l ON l.source = u.s AND l.source_listing_id = u.i
                   WHERE NOT u.late OR NOT EXISTS (SELECT 1 FROM marketplace.listing_events x WHERE x.listing_id = l.listing_id AND x.observed_at = u.at)
                   ON CONFLICT (listing_id, observed_at, event_type) DO NOTHING
                   RETURNING 1)
                 SELECT count(*) FROM ins",
                None,
                &[batch_id.into(), sources.into(), ids.into(), types.into(), at.into(), prices.into(), prev_prices.into(), statuses.into(), prev_statuses.into(), late.into()],
            )
            .or_raise("writing listing events")
            .first()
            .get_one::<i64>()
            .or_raise("counting written events")
            .unwrap_or(0)
    })
}

fn write_images(p: &plan::Plan) {
    let (mut sources, mut ids, mut positions, mut urls) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // the merged state carries the image list of the newest observation that had one
    for (key, state, _) in &p.final_rows {
        for (k, url) in state.image_urls.iter().enumerate() {
            sources.push(key.0.clone());
            ids.push(key.1.clone());
            positions.push(k as i32 + 1);
            urls.push(url.clone());
        }
    }
    if urls.is_empty() {
        return;
    }
    Spi::run_with_args(
        "INSERT INTO marketplace.listing_images AS im (listing_id, position, url)
         SELECT l.listing_id, u.pos, u.url
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) AS u(s, i, pos, url)
         JOIN marketplace.listings l ON l.source = u.s AND l.source_listing_id = u.i
         ON CONFLICT (listing_id, position) DO UPDATE SET url = EXCLUDED.url WHERE im.url IS DISTINCT FROM EXCLUDED.url",
        &[sources.into(), ids.into(), positions.into(), urls.into()],
    )
    .or_raise("writing listing images");
}

/// Locks and ingests pending batches (one, or all in batch order) and returns their results.
pub fn ingest_pending(only: Option<i64>) -> Vec<(i64, BatchResult)> {
    if let Some(id) = only {
        let state = Spi::get_one_with_args::<bool>(
            "SELECT (SELECT ingested_at IS NOT NULL FROM marketplace.landing_batches WHERE batch_id = $1)",
            &[id.into()],
        )
        .or_raise("reading the landing batch");
        match state {
            None => SpineError::new(PgSqlErrorCode::ERRCODE_NO_DATA_FOUND, format!("spine.ingest_landing: landing batch {id} does not exist"))
                .hint("List batches with SELECT * FROM marketplace.landing_batches; create one with spine.land_batch(source, rows).")
                .raise(),
            Some(true) => {
                pgrx::notice!("spine.ingest_landing: landing batch {id} was already ingested; nothing changed");
                return Vec::new();
            }
            Some(false) => {}
        }
    }
    let batches: Vec<(i64, String)> = Spi::connect_mut(|client| {
        client
            .update(
                "SELECT batch_id, source FROM marketplace.landing_batches
                 WHERE ingested_at IS NULL AND ($1::bigint IS NULL OR batch_id = $1)
                 ORDER BY batch_id FOR UPDATE SKIP LOCKED",
                None,
                &[only.into()],
            )
            .or_raise("locking pending landing batches")
            .filter_map(|r| Some((r.get::<i64>(1).ok()??, r.get::<String>(2).ok()??)))
            .collect()
    });
    batches.into_iter().map(|(id, source)| (id, ingest_batch(id, &source))).collect()
}

#[pg_schema]
mod spine {
    use super::*;

    /// Ingests pending landing batches (all, or only `batch_id`) into listings and events.
    #[pg_extern(volatile, parallel_unsafe)]
    fn ingest_landing(
        batch_id: default!(Option<i64>, "NULL"),
    ) -> TableIterator<
        'static,
        (
            name!(batch_id, i64),
            name!(rows_total, i32),
            name!(rows_ingested, i32),
            name!(rows_duplicate, i32),
            name!(rows_quarantined, i32),
            name!(events_written, i64),
        ),
    > {
        let results = ingest_pending(batch_id);
        TableIterator::new(
            results.into_iter().map(|(id, r)| (id, r.rows_total, r.rows_ingested, r.rows_duplicate, r.rows_quarantined, r.events_written)),
        )
    }

    /// Creates a landing batch from a JSON array of observations; returns its batch_id.
    #[pg_extern(volatile, parallel_unsafe)]
    fn land_batch(source: Option<&str>, rows: Option<JsonB>) -> i64 {
        let source = match source.map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => SpineError::invalid("spine.land_batch: source must be a non-empty name")
                .hint("Name the site the batch was scraped from, e.g. spine.land_batch('autoplaza', '[...]').")
                .raise(),
        };
        let n = match &rows {
            Some(JsonB(serde_json::Value::Array(a))) => a.len(),
            _ => SpineError::invalid("spine.land_batch: rows must be a JSON array of objects")
                .hint("Pass '[{\"source_listing_id\": ..., \"observed_at\": ..., ...}, ...]'::jsonb; see docs/ingest.md.")
                .raise(),
        };
        let batch_id = Spi::get_one_with_args::<i64>(
            "INSERT INTO marketplace.landing_batches (source, rows_total) VALUES ($1, $2) RETURNING batch_id",
            &[source.into(), (n as i32).into()],
        )
        .or_raise("creating the landing batch")
        .unwrap_or_else(|| SpineError::internal("spine.land_batch: INSERT returned no batch_id").raise());
        Spi::run_with_args(
            "INSERT INTO marketplace.landing_listings (batch_id, row_no, payload)
             SELECT $1, ord::int, elem FROM jsonb_array_elements($2) WITH ORDINALITY AS a(elem, ord)",
            &[batch_id.into(), rows.into()],
        )
        .or_raise("writing landing rows");
        batch_id
    }
}

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
