//! Hand-written fmgr V1 functions (aggregate support, guards that raise spine's own SQLSTATEs).

use pgrx::pg_sys::{Datum, FunctionCallInfo};

/// PG_FUNCTION_INFO_V1 for a hand-written fmgr function.
macro_rules! finfo_v1 {
    ($finfo:ident) => {
        #[unsafe(no_mangle)]
        #[doc(hidden)]
        pub extern "C" fn $finfo() -> &'static pgrx::pg_sys::Pg_finfo_record {
            const V1: pgrx::pg_sys::Pg_finfo_record = pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    };
}
pub(crate) use finfo_v1;

/// Argument `i`, None when SQL NULL.
///
/// # Safety
/// `fcinfo` must be the call's FunctionCallInfo with at least `i + 1` arguments.
pub unsafe fn arg(fcinfo: FunctionCallInfo, i: usize) -> Option<Datum> {
    let a = &*(*fcinfo).args.as_ptr().add(i);
    (!a.isnull).then_some(a.value)
}

/// The SQL function's result is NULL.
///
/// # Safety
/// `fcinfo` must be the call's FunctionCallInfo.
pub unsafe fn return_null(fcinfo: FunctionCallInfo) -> Datum {
    (*fcinfo).isnull = true;
    Datum::from(0)
}
