//! `ml.multiset_median(value float8, copies integer)`: the aggregate's support functions
//! (fmgr V1, internal state; declared in sql/030_stores.sql). Used as a cumulative window
//! aggregate (`ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`), it gives the median of what
//! has been added and not yet removed at every row. The state lives in the aggregate's memory
//! context and is dropped with it; the final function only reads it, so PostgreSQL keeps
//! advancing one state through a window partition.

use super::multiset::MedianMultiset;
use crate::common::error::SpineError;
use pgrx::pg_sys::{self, Datum, FunctionCallInfo};
use pgrx::prelude::*;
use pgrx::{PgMemoryContexts, PgSqlErrorCode};

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_spine_multiset_median_trans() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_spine_multiset_median_final() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

unsafe fn arg(fcinfo: FunctionCallInfo, i: usize) -> Option<Datum> {
    let a = &*(*fcinfo).args.as_ptr().add(i);
    (!a.isnull).then_some(a.value)
}

unsafe fn agg_context(fcinfo: FunctionCallInfo, what: &str) -> pg_sys::MemoryContext {
    let mut ctx: pg_sys::MemoryContext = std::ptr::null_mut();
    if pg_sys::AggCheckCallContext(fcinfo, &mut ctx) == 0 {
        SpineError::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, format!("{what} can only be called as part of ml.multiset_median"))
            .hint("Use ml.multiset_median(value, copies) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW).")
            .raise()
    }
    ctx
}

/// SFUNC: (internal, float8, integer) -> internal. A row with a NULL value or NULL copies
/// changes nothing (query rows of a sweep carry NULL).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_multiset_median_trans(fcinfo: FunctionCallInfo) -> Datum {
    let ctx = agg_context(fcinfo, "spine_multiset_median_trans");
    let state: *mut MedianMultiset = match arg(fcinfo, 0) {
        Some(d) => d.cast_mut_ptr::<MedianMultiset>(),
        None => PgMemoryContexts::For(ctx).leak_and_drop_on_delete(MedianMultiset::new()),
    };
    if let (Some(v), Some(c)) = (arg(fcinfo, 1), arg(fcinfo, 2)) {
        let (v, c) = (f64::from_bits(v.value() as u64), c.value() as i32);
        if let Err(e) = (*state).apply(v, c as i64) {
            SpineError::invalid(format!("ml.multiset_median: {e}"))
                .detail(format!("The multiset held {} value(s) when the row (value {v}, copies {c}) arrived.", (*state).len()))
                .hint("Values are finite; a removal (negative copies) must follow the addition of the same value in the window's ORDER BY.")
                .raise()
        }
    }
    Datum::from(state)
}

/// FINALFUNC: (internal) -> float8; NULL when nothing is present.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn spine_multiset_median_final(fcinfo: FunctionCallInfo) -> Datum {
    agg_context(fcinfo, "spine_multiset_median_final");
    match arg(fcinfo, 0).and_then(|d| (*d.cast_mut_ptr::<MedianMultiset>()).median()) {
        Some(m) => Datum::from(m.to_bits()),
        None => {
            (*fcinfo).isnull = true;
            Datum::from(0usize)
        }
    }
}
