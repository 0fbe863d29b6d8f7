//! Synthetic marketplace generator (`spine.generate_demo_data`) for the demo, tests and
//! benchmarks. The generator itself is pure Rust (`gen`); this file is the thin SQL layer:
//! set-returning functions that stream generated rows, and the function that loads them.

pub mod catalog;
pub mod gen;
pub mod text;
pub mod time;

use crate::common::error::SpineError;
use pgrx::prelude::*;

fn to_ts(us: i64) -> TimestampWithTimeZone {
    crate::common::error::timestamptz(us, "timestamp out of range in the demo generator")
}

fn params(listings: i32, days: i32, seed: i32, anchor: TimestampWithTimeZone) -> gen::Params {
    if !anchor.is_finite() {
        SpineError::invalid("spine demo generator: anchor must be a finite timestamp")
            .hint("Set spine.demo_anchor to a timestamp such as '2026-11-01 00:00+00', or leave it empty for today.")
            .raise()
    }
    match gen::Params::new(listings, days, seed, anchor.into_inner()) {
        Ok(p) => p,
        Err(e) => SpineError::invalid(format!("spine.generate_demo_data: {}", e.message)).hint(e.hint).raise(),
    }
}

#[pg_schema]
mod spine {
    use super::*;

    /// Generated listings in their current state, one row per listing (no insert). Deterministic.
    #[allow(clippy::type_complexity)]
    #[pg_extern(immutable, parallel_safe, strict)]
    fn demo_listings(
        listings: i32,
        days: i32,
        seed: i32,
        anchor: TimestampWithTimeZone,
    ) -> TableIterator<
        'static,
        (
            name!(listing_id, i64),
            name!(source, String),
            name!(source_listing_id, String),
            name!(vin, Option<String>),
            name!(make, String),
            name!(model, String),
            name!(year, i32),
            name!(body_type, String),
            name!(segment, String),
            name!(powertrain, String),
            name!(transmission, String),
            name!(power_kw, i32),
            name!(colour, String),
            name!(mileage_km, i32),
            name!(price_eur, f64),
            name!(seller_type, String),
            name!(region_code, String),
            name!(lat, f64),
            name!(lon, f64),
            name!(title, String),
            name!(description, String),
            name!(status, String),
            name!(first_seen_at, TimestampWithTimeZone),
            name!(last_seen_at, TimestampWithTimeZone),
            name!(status_changed_at, Option<TimestampWithTimeZone>),
            name!(n_images, i32),
        ),
    > {
        let p = params(listings, days, seed, anchor);
        TableIterator::new((0..p.listings as u32).map(move |i| {
            let l = gen::listing(&p, i);
            let cur = l.current().clone();
            (
                l.listing_id,
                l.source.to_string(),
                l.source_listing_id.clone(),
                l.vin.clone(),
                l.make.to_string(),
                l.model.to_string(),
                l.year,
                l.body_type.to_string(),
                l.segment.to_string(),
                l.powertrain.as_str().to_string(),
                l.transmission.to_string(),
                l.power_kw,
                l.colour.to_string(),
                l.mileage_km,
                cur.price_eur,
                l.seller_type.to_string(),
                l.region_code.to_string(),
                l.lat,
                l.lon,
                l.title.clone(),
                l.description.clone(),
                cur.status.as_str().to_string(),
                to_ts(l.first_seen_at),
                to_ts(cur.observed_at),
                l.status_changed_at().map(to_ts),
                l.n_images,
            )
        }))
    }

    /// Generated history (listed, seen, price_change, status_change), in listing and time order.
    #[allow(clippy::type_complexity)]
    #[pg_extern(immutable, parallel_safe, strict)]
    fn demo_events(
        listings: i32,
        days: i32,
        seed: i32,
        anchor: TimestampWithTimeZone,
    ) -> TableIterator<
        'static,
        (
            name!(listing_id, i64),
            name!(event_type, String),
            name!(observed_at, TimestampWithTimeZone),
            name!(price_eur, f64),
            name!(previous_price_eur, Option<f64>),
            name!(status, String),
            name!(previous_status, Option<String>),
        ),
    > {
        let p = params(listings, days, seed, anchor);
        TableIterator::new((0..p.listings as u32).flat_map(move |i| {
            let l = gen::listing(&p, i);
            let id = l.listing_id;
            l.events.into_iter().map(move |e| {
                (
                    id,
                    e.event_type.as_str().to_string(),
                    to_ts(e.observed_at),
                    e.price_eur,
                    e.previous_price_eur,
                    e.status.as_str().to_string(),
                    e.previous_status.map(|s| s.as_str().to_string()),
                )
            })
        }))
    }

    /// Ground truth the generator planted: repost links, latent market value, true battery facts.
    #[allow(clippy::type_complexity)]
    #[pg_extern(immutable, parallel_safe, strict)]
    fn demo_truth(
        listings: i32,
        days: i32,
        seed: i32,
        anchor: TimestampWithTimeZone,
    ) -> TableIterator<
        'static,
        (
            name!(listing_id, i64),
            name!(duplicate_of, Option<i64>),
            name!(market_value_eur, f64),
            name!(battery_kwh, Option<f64>),
            name!(soh_pct, Option<f64>),
            name!(capacity_stated, bool),
            name!(soh_stated, bool),
            name!(n_images, i32),
            name!(source, String),
            name!(source_listing_id, String),
        ),
    > {
        let p = params(listings, days, seed, anchor);
        TableIterator::new((0..p.listings as u32).map(move |i| {
            let l = gen::listing(&p, i);
            (
                l.listing_id,
                l.duplicate_of,
                l.market_value_eur,
                l.battery_kwh,
                l.soh_pct,
                l.capacity_stated,
                l.soh_stated,
                l.n_images,
                l.source.to_string(),
                l.source_listing_id,
            )
        }))
    }

    /// Fills the marketplace with `listings` generated listings observed over `days` days ending
    /// at `spine.demo_anchor` (default: today 00:00 UTC), with their events, images, regional
    /// reference data and the planted ground truth. Same seed and anchor, same rows. Refuses a
    /// marketplace that already holds listings. Returns the number of listings written.
    /// SECURITY DEFINER (it restructures constraints for a bulk load) and not granted to PUBLIC.
    #[pg_extern(volatile, parallel_unsafe, security_definer)]
    #[search_path(pg_catalog, pg_temp)]
    fn generate_demo_data(
        listings: Option<i32>,
        days: default!(Option<i32>, 90),
        seed: default!(Option<i32>, 42),
    ) -> i64 {
        let (Some(listings), Some(days), Some(seed)) = (listings, days, seed) else {
            SpineError::new(pgrx::PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "spine.generate_demo_data: listings, days and seed must not be NULL")
                .hint("Call spine.generate_demo_data(10000) or spine.generate_demo_data(10000, 90, 42).")
                .raise()
        };
        let anchor = super::load::resolve_anchor();
        let p = params(listings, days, seed, anchor);
        super::load::load(&p, anchor)
    }

    /// Removes all marketplace data and demo ground truth (listings, events, landing batches,
    /// images, labels, reference data) so spine.generate_demo_data can run again.
    #[pg_extern(volatile, parallel_unsafe, security_definer)]
    #[search_path(pg_catalog, pg_temp)]
    fn clear_demo_data() {
        super::load::clear();
    }
}

mod load;

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
