//! Healing (DESIGN §9). This build has the battery extractor `spine.extract_battery`; dedupe,
//! the battery refit and status normalisation are the open healing issue.

pub mod battery;

use pgrx::prelude::*;

#[pg_schema]
mod spine {
    use super::*;

    /// Battery capacity (kWh) and state of health (%) stated in a listing description, in the
    /// languages of EU marketplaces; NULLs where the text states none (a NULL description states
    /// nothing). Always one row, so it joins laterally to every listing.
    #[pg_extern(immutable, parallel_safe)]
    fn extract_battery(description: Option<&str>) -> TableIterator<'static, (name!(capacity_kwh, Option<f64>), name!(soh_pct, Option<f64>))> {
        let b = battery::extract(description.unwrap_or(""));
        TableIterator::once((b.capacity_kwh.map(|f| f.value), b.soh_pct.map(|f| f.value)))
    }
}

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
