//! Running a piece of work in an internal subtransaction, as PL/pgSQL's `BEGIN … EXCEPTION` does:
//! an error inside is caught, its subtransaction rolled back, and the caller gets it as a value.
//! Guards use it so that "an error inside the guard" becomes a recorded failure, and the leakage
//! probe uses it to undo the events it appended.

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::pg_sys::panic::CaughtError;

/// What was caught: SQLSTATE text, message, detail.
#[derive(Debug, Clone)]
pub struct Caught {
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
}

fn describe(e: &CaughtError) -> Caught {
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) | CaughtError::RustPanic { ereport: r, .. } => Caught {
            sqlstate: sqlstate_text(r.sql_error_code() as i32),
            message: r.message().to_string(),
            detail: r.detail().map(str::to_string),
        },
    }
}

/// PostgreSQL's unpack_sql_state.
pub fn sqlstate_text(code: i32) -> String {
    (0..5).map(|i| (((code >> (6 * i)) & 0x3F) as u8 + b'0') as char).collect()
}

/// Runs `f` in a subtransaction. `Ok` = committed into the parent (or, with `rollback`, rolled
/// back after success); `Err` = an error or panic inside, its subtransaction rolled back.
pub fn run<R>(rollback: bool, f: impl FnOnce() -> R + std::panic::UnwindSafe) -> Result<R, Caught> {
    // SAFETY: the begin/release/rollback sequence below is PL/pgSQL's exec_stmt_block pattern;
    // memory context and resource owner are restored on both paths.
    unsafe {
        let old_context = pg_sys::CurrentMemoryContext;
        let old_owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(old_context);
        let outcome = PgTryBuilder::new(move || Ok(f())).catch_others(|e| Err(describe(&e))).execute();
        pg_sys::MemoryContextSwitchTo(old_context);
        match outcome {
            Ok(v) if !rollback => {
                pg_sys::ReleaseCurrentSubTransaction();
                pg_sys::MemoryContextSwitchTo(old_context);
                pg_sys::CurrentResourceOwner = old_owner;
                Ok(v)
            }
            other => {
                pg_sys::RollbackAndReleaseCurrentSubTransaction();
                pg_sys::MemoryContextSwitchTo(old_context);
                pg_sys::CurrentResourceOwner = old_owner;
                other
            }
        }
    }
}
