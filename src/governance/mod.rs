//! Governance (DESIGN §4). This build has the drift statistics (PSI, two-sample KS);
//! certification and guards are the open governance issue.

pub mod drift;
pub mod ks;
pub mod kstwo;

use crate::common::args::{f64_array, no_nulls};
use crate::common::error::SpineError;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

#[pg_schema]
mod audit {
    use super::*;

    /// Population stability index of `actual` against `expected` over `bins` quantile bins of
    /// `expected` (DESIGN §4). 0 = same distribution; 0.1 warns, 0.25 blocks by default.
    #[pg_extern(immutable, parallel_safe)]
    fn psi(expected: Option<Vec<Option<f64>>>, actual: Option<Vec<Option<f64>>>, bins: default!(Option<i32>, 10)) -> f64 {
        let (e, a) = (no_nulls("audit.psi", "expected", expected), no_nulls("audit.psi", "actual", actual));
        let Some(bins) = bins else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "audit.psi: bins must not be NULL").hint("Omit it for 10 bins.").raise()
        };
        match drift::psi(&e, &a, bins) {
            Ok(v) => v,
            Err(err) => SpineError::invalid(format!("audit.psi: {err}"))
                .hint("Both samples need at least one finite value; bins is between 2 and 1000.")
                .raise(),
        }
    }

    /// Two-sample Kolmogorov–Smirnov test, equal to scipy.stats.ks_2samp(a, b) (two-sided,
    /// method 'auto': the exact p-value when both samples have at most 10 000 values, else the
    /// asymptotic Kolmogorov distribution). One row: the statistic D and its p-value.
    #[pg_extern(immutable, parallel_safe)]
    fn ks_2samp(
        a: Option<pgrx::datum::Array<'_, f64>>,
        b: Option<pgrx::datum::Array<'_, f64>>,
    ) -> TableIterator<'static, (name!(statistic, f64), name!(pvalue, f64))> {
        const F: &str = "audit.ks_2samp";
        let (a, b) = (f64_array(F, "a", a), f64_array(F, "b", b));
        match ks::ks_2samp_with(&a, &b, &mut || {
            pgrx::check_for_interrupts!();
        }) {
            Ok(r) => TableIterator::once((r.statistic, r.pvalue)),
            Err(err) => SpineError::invalid(format!("{F}: {err}"))
                .detail(format!("Sample sizes: a {}, b {}.", a.len(), b.len()))
                .hint("Both samples need at least one value, all finite: filter NaN and ±Infinity out before aggregating.")
                .raise(),
        }
    }
}
