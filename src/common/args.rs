//! Array arguments of SQL functions: NULL arrays and NULL elements raise a clear error naming
//! the function and the argument (SQLSTATE 22004), never a silent skip.

use crate::common::error::SpineError;
use pgrx::PgSqlErrorCode;

fn null_array(func: &str, name: &str) -> ! {
    SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: {name} must not be NULL"))
        .hint("Pass an array, e.g. built from a column with array_agg(x ORDER BY id).")
        .raise()
}

fn null_element(func: &str, name: &str, i: usize) -> ! {
    SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: {name}[{}] is NULL", i + 1))
        .hint("Filter out missing values before aggregating: array_agg(x) FILTER (WHERE x IS NOT NULL).")
        .raise()
}

/// A SQL array argument without NULLs.
pub fn no_nulls<T>(func: &str, name: &str, v: Option<Vec<Option<T>>>) -> Vec<T> {
    let Some(v) = v else { null_array(func, name) };
    if let Some(i) = v.iter().position(Option::is_none) {
        null_element(func, name, i)
    }
    v.into_iter().flatten().collect()
}

/// A large float8 array without NULLs, read in place (no per-element conversion).
pub fn f64_array(func: &str, name: &str, v: Option<pgrx::datum::Array<'_, f64>>) -> Vec<f64> {
    let Some(v) = v else { null_array(func, name) };
    if v.contains_nulls() {
        null_element(func, name, v.iter().position(|x| x.is_none()).unwrap_or(0))
    }
    match v.as_slice() {
        Ok(s) => s.to_vec(),
        Err(_) => v.iter().flatten().collect(),
    }
}
