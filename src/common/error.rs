//! One way to raise an error from spine: SQLSTATE, a message naming the object, DETAIL with the
//! evidence and HINT with the fix. Product code never panics on user input; it raises.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};
use std::fmt::Display;

#[derive(Debug, Clone, PartialEq)]
pub struct SpineError {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl SpineError {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> Self {
        SpineError { code, message: message.into(), detail: None, hint: None }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, message)
    }
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Raises the error in PostgreSQL (ERROR level: the transaction is aborted).
    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.code, self.message, "spine");
        if let Some(d) = self.detail {
            report = report.set_detail(d);
        }
        if let Some(h) = self.hint {
            report = report.set_hint(h);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("ereport(ERROR) returned")
    }
}

/// Raise an internal error that names what spine was doing when SPI failed.
pub trait OrRaise<T> {
    fn or_raise(self, context: &str) -> T;
}

impl<T, E: Display> OrRaise<T> for Result<T, E> {
    fn or_raise(self, context: &str) -> T {
        match self {
            Ok(v) => v,
            Err(e) => SpineError::internal(format!("spine: {context}: {e}"))
                .hint("This is a bug in spine or a damaged installation; the statement was rolled back.")
                .raise(),
        }
    }
}

/// A PostgreSQL timestamp (microseconds since 2000-01-01 UTC) as `timestamptz`; out of range
/// raises naming `what`.
pub fn timestamptz(us: i64, what: &str) -> pgrx::datum::TimestampWithTimeZone {
    pgrx::datum::TimestampWithTimeZone::try_from(us).or_raise(what)
}
