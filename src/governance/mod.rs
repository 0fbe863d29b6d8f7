//! Governance (DESIGN §4). This build has the drift statistics; certification and guards are
//! the open governance issue.

pub mod drift;

use crate::common::args::no_nulls;
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
}
