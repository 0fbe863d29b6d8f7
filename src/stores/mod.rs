//! The six certified T0-correct feature stores (DESIGN §5). The stores are SQL views
//! (sql/030_stores.sql): every feature is computed from what was observed at or before the
//! listing's t0, labels (`label_*`) may look at the future. Rust holds only what SQL lacks: the
//! multiset median that the stores' time sweeps use (`ml.multiset_median`). The decisions and
//! every column's as-of rule are in docs/stores.md.

pub mod median_agg;
pub mod multiset;

// After the schema, and after the functions the views call (WOE bins for the pinned anchor
// bins, the battery extractor for battery facts in descriptions).
pgrx::extension_sql_file!(
    "../../sql/030_stores.sql",
    name = "stores",
    requires = ["schema", models::ml::woe_bins, healing::spine::extract_battery]
);

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
