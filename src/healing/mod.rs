//! Healing (DESIGN §9): the battery extractor, dedupe of reposted listings, the battery refit
//! and make/model normalisation. Tables: sql/060_healing.sql.

pub mod battery;
pub mod dedupe;
mod dedupe_run;
pub mod refit;
mod refit_run;

use pgrx::prelude::*;

pgrx::extension_sql_file!("../../sql/060_healing.sql", name = "healing", requires = ["schema", spine::catalog_models]);

#[pg_schema]
mod spine {
    use super::*;

    /// The make/model reference list (the generator's catalogue): what normalisation maps to.
    #[pg_extern(immutable, parallel_safe)]
    pub fn catalog_models() -> TableIterator<'static, (name!(make, String), name!(model, String))> {
        TableIterator::new(crate::demo::catalog::MODELS.iter().map(|m| (m.make.to_string(), m.model.to_string())))
    }

    /// Finds reposted listings and sets canonical_listing_id (full = every listing; otherwise the
    /// blocks of listings changed since the last run). Nothing is deleted; see marketplace.listing_links.
    #[pg_extern(volatile, parallel_unsafe)]
    fn dedupe(
        full: default!(Option<bool>, false),
    ) -> TableIterator<'static, (name!(run_id, i64), name!(listings, i64), name!(candidate_pairs, i64), name!(links, i64), name!(groups, i64), name!(changed, i64))> {
        let o = super::dedupe_run::run(full.unwrap_or(false));
        TableIterator::once((o.run_id, o.listings, o.pairs, o.links, o.groups, o.changed))
    }

    /// Battery refit of electrified listings: stated capacity and SoH beside the refitted values
    /// in marketplace.listing_battery (source and confidence per value).
    #[pg_extern(volatile, parallel_unsafe)]
    fn refit_battery() -> TableIterator<
        'static,
        (name!(run_id, i64), name!(listings, i64), name!(capacity_stated, i64), name!(capacity_healed, i64), name!(soh_stated, i64), name!(soh_healed, i64)),
    > {
        let o = super::refit_run::refit_battery();
        TableIterator::once((o.run_id, o.listings, o.capacity_stated, o.capacity_healed, o.soh_stated, o.soh_healed))
    }

    /// Maps make and model spellings to marketplace.make_model_reference (aliases in
    /// marketplace.make_aliases); the originals stay in marketplace.healed_values.
    #[pg_extern(volatile, parallel_unsafe)]
    fn normalise_make_model() -> TableIterator<'static, (name!(run_id, i64), name!(spellings_checked, i64), name!(listings_make_fixed, i64), name!(listings_model_fixed, i64), name!(unknown_spellings, i64))> {
        let o = super::refit_run::normalise();
        TableIterator::once((o.run_id, o.checked, o.makes_fixed, o.models_fixed, o.unknown))
    }

    /// Dedupe quality against the generator's planted reposts (spine.demo_truth_duplicates).
    #[pg_extern(stable, parallel_safe)]
    fn dedupe_quality() -> TableIterator<'static, (name!(precision, f64), name!(recall, f64), name!(f1, f64), name!(linked_listings, i64), name!(true_reposts, i64))> {
        TableIterator::once(super::dedupe_run::quality())
    }

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
