//! C entry points of the guards and of certification (declared in sql/020_governance.sql).
//!
//! Each runs its checks inside pgrx's guard and an internal subtransaction, so that a failed
//! check, a check that could not run and an internal error all end the same way: the verdict is
//! recorded (failures autonomously, surviving the caller's rollback) and the function raises
//! with the cause's own SQLSTATE from the outermost frame (common/sqlstate.rs).

use super::cache;
use super::certify;
use super::guard::{self, Pass};
use super::store::Failure;
use super::verdict::{self, Verdict};
use crate::common::fmgr::{arg, finfo_v1};
use crate::common::sqlstate::{raise_custom, Sp};
use crate::common::subxact::{self, Caught};
use pgrx::pg_sys::{self, Datum, FunctionCallInfo};
use pgrx::prelude::*;

finfo_v1!(pg_finfo_spine_require_certified);
finfo_v1!(pg_finfo_spine_require_certified_strict);
finfo_v1!(pg_finfo_spine_certify);

/// What the outermost frame raises.
pub struct Raise {
    code: String,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

impl Raise {
    fn from_failure(f: &Failure) -> Raise {
        Raise { code: f.sp.code().into(), message: f.message.clone(), detail: Some(f.detail.clone()), hint: Some(f.hint.clone()) }
    }
}

/// Raises `r` (consumed; raise_custom drops it before PostgreSQL longjmps).
unsafe fn raise(r: Raise) -> ! {
    raise_custom(r.code, r.message, r.detail, r.hint)
}

fn null_store(func: &str) -> Raise {
    Raise {
        code: "22004".into(),
        message: format!("{func}: store must not be NULL"),
        detail: None,
        hint: Some(format!("Pass the store by name, e.g. {func}('ml.survival_feature_store_t0_v1_v').")),
    }
}

fn internal(store_name: &str, what: &str, c: &Caught) -> Failure {
    Failure::new(
        Sp::CheckFailed,
        format!("{store_name}: {what} failed with an internal error"),
        format!("{} (SQLSTATE {}){}", c.message, c.sqlstate, c.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()),
        "The guard fails closed. Fix the cause in DETAIL; if it is a spine bug, report it.",
    )
}

fn store_name(oid: pg_sys::Oid) -> String {
    Spi::get_one_with_args::<String>("SELECT $1::regclass::text", &[oid.into()]).ok().flatten().unwrap_or_else(|| format!("OID {}", oid.to_u32()))
}

fn verdict(oid: pg_sys::Oid, name: &str, guard: &str, outcome: &Result<Pass, Failure>) -> Verdict {
    match outcome {
        Ok(p) => Verdict {
            store: oid,
            store_name: name.to_string(),
            guard: guard.to_string(),
            pass: true,
            sqlstate: None,
            message: None,
            detail: None,
            warnings: p.warnings.clone(),
            evidence: p.evidence.clone(),
            cert_id: p.cert_id,
        },
        Err(f) => Verdict {
            store: oid,
            store_name: name.to_string(),
            guard: guard.to_string(),
            pass: false,
            sqlstate: Some(f.sp.code().to_string()),
            message: Some(f.message.clone()),
            detail: Some(f.detail.clone()),
            warnings: Vec::new(),
            evidence: f.evidence.clone(),
            cert_id: f.cert_id,
        },
    }
}

/// Records the outcome; a failure becomes what the entry point raises.
fn conclude(oid: pg_sys::Oid, name: &str, guard: &str, outcome: Result<Pass, Failure>) -> Option<Raise> {
    let v = verdict(oid, name, guard, &outcome);
    match outcome {
        Ok(_) => {
            verdict::record_pass(&v);
            None
        }
        Err(f) => {
            verdict::record_failure(&v);
            Some(Raise::from_failure(&f))
        }
    }
}

fn recheck_us() -> i64 {
    crate::common::guc::GUARD_RECHECK_INTERVAL.get() as i64 * 1_000_000
}

#[pg_guard]
unsafe extern "C-unwind" fn require_certified_guarded(fcinfo: FunctionCallInfo, out: *mut Option<Raise>) {
    let Some(d) = arg(fcinfo, 0) else {
        *out = Some(null_store("audit.require_certified"));
        return;
    };
    let oid = pg_sys::Oid::from(d.value() as u32);
    cache::ensure_callbacks();
    let now = guard::now();
    if let Some(e) = cache::get(oid) {
        if now < e.valid_until && now - e.checked_at < recheck_us() {
            verdict::count_pass(oid, &e.store_name, "require_certified", Some(e.cert_id), now);
            return;
        }
    }
    let outcome = subxact::run(false, || Spi::connect(|c| guard::fast(&c, oid, 0)));
    let name = store_name(oid);
    let outcome = outcome.unwrap_or_else(|c| Err(internal(&name, "audit.require_certified", &c)));
    match outcome {
        Ok(p) => verdict::count_pass(oid, &name, "require_certified", p.cert_id, now),
        Err(f) => {
            cache::forget(oid);
            *out = conclude(oid, &name, "require_certified", Err(f));
        }
    }
}

/// `audit.require_certified(store regclass) → void`
#[no_mangle]
pub unsafe extern "C-unwind" fn spine_require_certified(fcinfo: FunctionCallInfo) -> Datum {
    let mut out: Option<Raise> = None;
    require_certified_guarded(fcinfo, &mut out);
    if let Some(r) = out {
        raise(r)
    }
    Datum::from(0)
}

#[pg_guard]
unsafe extern "C-unwind" fn strict_guarded(fcinfo: FunctionCallInfo, out: *mut Option<Raise>) {
    let Some(d) = arg(fcinfo, 0) else {
        *out = Some(null_store("audit.require_certified_strict"));
        return;
    };
    let oid = pg_sys::Oid::from(d.value() as u32);
    cache::ensure_callbacks();
    let outcome = subxact::run(false, || Spi::connect(|c| guard::strict(&c, oid)));
    let name = store_name(oid);
    let outcome = outcome.unwrap_or_else(|c| Err(internal(&name, "audit.require_certified_strict", &c)));
    match &outcome {
        Ok(p) => cache::note_strict_pass(oid, p.cert_id.unwrap_or(0)),
        Err(_) => cache::forget(oid),
    }
    *out = conclude(oid, &name, "require_certified_strict", outcome);
}

/// `audit.require_certified_strict(store regclass) → void`
#[no_mangle]
pub unsafe extern "C-unwind" fn spine_require_certified_strict(fcinfo: FunctionCallInfo) -> Datum {
    let mut out: Option<Raise> = None;
    strict_guarded(fcinfo, &mut out);
    if let Some(r) = out {
        raise(r)
    }
    Datum::from(0)
}

#[pg_guard]
unsafe extern "C-unwind" fn certify_guarded(fcinfo: FunctionCallInfo, out: *mut Option<Raise>, id: *mut i64) {
    let Some(d) = arg(fcinfo, 0) else {
        *out = Some(null_store("audit.certify"));
        return;
    };
    let oid = pg_sys::Oid::from(d.value() as u32);
    let note: Option<String> = arg(fcinfo, 1).and_then(|n| String::from_datum(n, false));
    let outcome = subxact::run(false, || certify::certify(oid, note));
    let name = store_name(oid);
    let outcome = outcome.unwrap_or_else(|c| Err(internal(&name, "audit.certify", &c)));
    let as_pass = outcome.as_ref().map(|c| Pass { cert_id: Some(c.cert_id), warnings: c.warnings.clone(), evidence: None }).map_err(Clone::clone);
    if let Ok(c) = &outcome {
        *id = c.cert_id;
    }
    *out = conclude(oid, &name, "certify", as_pass);
}

/// `audit._certify(store regclass, note text) → bigint` (audit.certify returns the registry row)
#[no_mangle]
pub unsafe extern "C-unwind" fn spine_certify(fcinfo: FunctionCallInfo) -> Datum {
    let mut out: Option<Raise> = None;
    let mut id: i64 = 0;
    certify_guarded(fcinfo, &mut out, &mut id);
    if let Some(r) = out {
        raise(r)
    }
    Datum::from(id)
}
