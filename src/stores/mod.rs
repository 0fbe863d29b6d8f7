//! The six certified T0-correct feature stores (DESIGN §5). The stores are SQL views
//! (sql/030_stores.sql): every feature is computed from what was observed at or before the
//! listing's t0, labels (`label_*`) may look at the future. Rust holds only what SQL lacks or
//! does slowly: the multiset median the stores' time sweeps use (`ml.multiset_median`) and the
//! great-circle distance to the nearest large city. Decisions and every column's as-of rule:
//! docs/stores.md.

pub mod geo;
pub mod median_agg;
pub mod multiset;

use crate::common::args::f64_array;
use crate::common::error::SpineError;
use pgrx::prelude::*;

#[pg_schema]
mod ml {
    use super::*;

    /// Great-circle distance in km between two points in degrees (haversine on a sphere of the
    /// Earth's mean radius, 6371.0088 km).
    #[pg_extern(immutable, strict, parallel_safe)]
    fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
        geo::haversine_km(lat1, lon1, lat2, lon2)
    }

    /// 1-based position in (lats, lons) of the point nearest to (lat, lon) by great-circle
    /// distance; the first of equally near ones; NULL when the arrays are empty.
    #[pg_extern(immutable, strict, parallel_safe)]
    fn nearest_point(lat: f64, lon: f64, lats: pgrx::datum::Array<'_, f64>, lons: pgrx::datum::Array<'_, f64>) -> Option<i32> {
        const F: &str = "ml.nearest_point";
        let (la, lo) = (f64_array(F, "lats", Some(lats)), f64_array(F, "lons", Some(lons)));
        if la.len() != lo.len() {
            SpineError::invalid(format!("{F}: lats has {} elements but lons has {}", la.len(), lo.len()))
                .hint("Pass one latitude and one longitude per point, e.g. array_agg(lat ORDER BY name), array_agg(lon ORDER BY name).")
                .raise()
        }
        geo::nearest(lat, lon, &la, &lo).map(|i| i as i32 + 1)
    }
}

// After the schema, and after the functions the views call (WOE bins for the pinned anchor
// bins, the battery extractor for battery facts in descriptions, the distances above).
pgrx::extension_sql_file!(
    "../../sql/030_stores.sql",
    name = "stores",
    requires = ["schema", models::ml::woe_bins, healing::spine::extract_battery, stores::ml::haversine_km, stores::ml::nearest_point]
);

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;

// Each store registered with its policy (after the views and governance exist).
pgrx::extension_sql_file!(
    "../../sql/080_store_policies.sql",
    name = "store_policies",
    requires = ["stores", "governance", governance::audit::register_store]
);
