//! spine's own SQLSTATEs (class `SP`) and the one place that raises them.
//!
//! pgrx maps every error it rethrows through a fixed enum of standard codes, so a code of our own
//! raised the usual way would arrive as XX000. Guards therefore run their checks inside pgrx's
//! guard (panics and PostgreSQL errors handled as usual), return the outcome, and only then — in
//! the outermost C frame, with no Rust value left to drop — call PostgreSQL's `ereport` functions
//! directly ([`raise_custom`]).

use std::ffi::{c_char, c_int, CString};

/// One SQLSTATE per cause (README: "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sp {
    /// SP001: not registered, never certified, or revoked.
    NotCertified,
    /// SP002: an object of the definition closure changed since certification.
    DefinitionChanged,
    /// SP003: the newest T0 / watermark is older than `max_staleness`.
    Stale,
    /// SP004: the certification is older than `max_age`.
    Expired,
    /// SP005: PSI / KS drift, null-rate or row-count change beyond the policy.
    Drift,
    /// SP006: a frozen store's dataset hash differs from the certified one.
    HashMismatch,
    /// SP007: the leakage probe saw features move when future events were appended.
    Leakage,
    /// SP008: a store invariant is violated (duplicate or NULL key, NULL or future T0, ...).
    Invariant,
    /// SP009: a check could not run, an internal error happened, or no check is configured.
    CheckFailed,
}

impl Sp {
    pub fn code(self) -> &'static str {
        match self {
            Sp::NotCertified => "SP001",
            Sp::DefinitionChanged => "SP002",
            Sp::Stale => "SP003",
            Sp::Expired => "SP004",
            Sp::Drift => "SP005",
            Sp::HashMismatch => "SP006",
            Sp::Leakage => "SP007",
            Sp::Invariant => "SP008",
            Sp::CheckFailed => "SP009",
        }
    }
}

/// PostgreSQL's MAKE_SQLSTATE.
pub fn make_sqlstate(code: &str) -> c_int {
    code.bytes().take(5).enumerate().fold(0, |acc, (i, b)| acc + ((((b as c_int) - ('0' as c_int)) & 0x3F) << (6 * i)))
}

#[allow(clashing_extern_declarations)]
extern "C" {
    fn errstart(elevel: c_int, domain: *const c_char) -> bool;
    fn errcode(sqlerrcode: c_int) -> c_int;
    fn errmsg_internal(fmt: *const c_char, ...) -> c_int;
    fn errdetail_internal(fmt: *const c_char, ...) -> c_int;
    fn errhint(fmt: *const c_char, ...) -> c_int;
    fn errfinish(filename: *const c_char, lineno: c_int, funcname: *const c_char);
    fn pstrdup(s: *const c_char) -> *mut c_char;
}

/// A copy of `s` in the current memory context (freed by PostgreSQL with it).
unsafe fn palloc_str(s: &str) -> *mut c_char {
    let c = CString::new(s.replace('\0', " ")).unwrap_or_default();
    pstrdup(c.as_ptr())
}

/// Raises ERROR with `code` (any five-character SQLSTATE). Never returns. The strings are
/// consumed: copied into `palloc` memory and dropped before `errfinish` leaves by `longjmp`,
/// so nothing Rust owns is left behind.
///
/// # Safety
/// Call only from the outermost frame of a C entry point, after every other Rust value that
/// needs dropping is gone.
pub unsafe fn raise_custom(code: String, message: String, detail: Option<String>, hint: Option<String>) -> ! {
    let (m, d, h) = (palloc_str(&message), detail.as_deref().map(|d| palloc_str(d)), hint.as_deref().map(|h| palloc_str(h)));
    let sqlstate = make_sqlstate(&code);
    drop((code, message, detail, hint));
    if errstart(pgrx::PgLogLevel::ERROR as c_int, std::ptr::null()) {
        errcode(sqlstate);
        errmsg_internal(c"%s".as_ptr(), m);
        if let Some(d) = d {
            errdetail_internal(c"%s".as_ptr(), d);
        }
        if let Some(h) = h {
            errhint(c"%s".as_ptr(), h);
        }
        errfinish(c"src/common/sqlstate.rs".as_ptr(), line!() as c_int, c"raise_custom".as_ptr());
    }
    // errstart(ERROR) always returns true and errfinish(ERROR) never returns
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_encode_as_postgres_does() {
        // MAKE_SQLSTATE('2','2','0','1','2') = ERRCODE_DIVISION_BY_ZERO = 33816706
        assert_eq!(make_sqlstate("22012"), 33_816_706);
        assert_eq!(make_sqlstate("XX000"), pgrx::PgSqlErrorCode::ERRCODE_INTERNAL_ERROR as c_int);
        let all = [Sp::NotCertified, Sp::DefinitionChanged, Sp::Stale, Sp::Expired, Sp::Drift, Sp::HashMismatch, Sp::Leakage, Sp::Invariant, Sp::CheckFailed];
        let codes: std::collections::HashSet<_> = all.iter().map(|s| s.code()).collect();
        assert_eq!(codes.len(), all.len());
    }
}
