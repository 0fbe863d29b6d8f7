//! Governance (DESIGN §4): store registration, certification, guards, drift statistics (PSI, two-sample KS equal to scipy), the
//! leakage probe and the verdict log. Tables and the C-level SQL declarations are in
//! sql/020_governance.sql; the guards' entry points in entry.rs.

pub mod cache;
pub mod certify;
pub mod drift;
pub mod entry;
pub mod guard;
pub mod ks;
pub mod kstwo;
pub mod leakage;
pub mod policy;
pub mod profile;
pub mod store;
pub mod verdict;

use crate::common::args::{f64_array, no_nulls};
use crate::common::error::SpineError;
use crate::common::regclass::RegClass;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

pgrx::extension_sql_file!("../../sql/020_governance.sql", name = "governance", requires = ["hashing_aggregate", spine::_internal_write, spine::_audit_restore_allowed]);

#[pg_schema]
mod spine {
    use super::*;

    /// True only while spine's governance code writes its audit tables (read by their trigger;
    /// nothing a session can set).
    #[pg_extern(volatile, parallel_unsafe)]
    pub fn _internal_write() -> bool {
        super::verdict::internal_write()
    }

    /// `spine.allow_audit_restore` (superuser-only setting) is on.
    #[pg_extern(stable, parallel_safe)]
    pub fn _audit_restore_allowed() -> bool {
        crate::common::guc::ALLOW_AUDIT_RESTORE.get()
    }
}

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

    /// Registers (or re-registers, replacing the policy of) a governed store. Admins only.
    #[pg_extern(volatile, parallel_unsafe, security_definer)]
    #[search_path(pg_catalog, pg_temp)]
    pub fn register_store(
        store: Option<RegClass>,
        key_column: Option<String>,
        t0_column: Option<String>,
        label_columns: default!(Option<Vec<Option<String>>>, "'{}'"),
        policy: default!(Option<pgrx::JsonB>, "'{}'"),
    ) {
        super::register::register(store, key_column, t0_column, label_columns, policy)
    }

    /// Revokes the store's active certification (appends a revoke row). Admins only.
    #[pg_extern(volatile, parallel_unsafe, security_definer)]
    #[search_path(pg_catalog, pg_temp)]
    fn revoke(store: Option<RegClass>, reason: Option<String>) {
        super::register::revoke(store, reason)
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

pub mod register;

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
