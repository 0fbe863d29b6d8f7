//! Recording verdicts in `audit.guard_verdicts`.
//!
//! - A pass of the fast guard is counted in backend memory (per store, certification and role)
//!   and the counts are written by the autonomous writer below at most every
//!   `spine.verdict_flush_interval` seconds (and before a failure is written): a guard called
//!   before every scoring query costs no write of its own. One row then stands for `calls`
//!   passes between `first_at` and `at`. A backend that exits loses at most the counts of its
//!   last interval.
//! - A pass of the strict guard or of a certification is written in the caller's transaction.
//!   In a read-only transaction or on a standby it goes to the server log.
//! - A failure must survive the caller's rollback (the guard raises, so the caller's transaction
//!   is going to abort): it is handed to a dynamic background worker through a dynamic shared
//!   memory segment; the worker writes it in its own transaction and the guard waits for it
//!   before raising. Without a free worker slot it is written in the caller's transaction with
//!   a WARNING saying so.

use crate::common::error::OrRaise;
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::pg_sys;
use pgrx::prelude::*;
use serde_json::{json, Value};
use std::cell::Cell;

thread_local! {
    static INTERNAL_WRITE: Cell<bool> = const { Cell::new(false) };
}

/// True while spine's own code writes the audit tables (read by their trigger).
pub fn internal_write() -> bool {
    INTERNAL_WRITE.with(Cell::get)
}

struct WriteFlag;
impl Drop for WriteFlag {
    fn drop(&mut self) {
        INTERNAL_WRITE.with(|f| f.set(false));
    }
}

/// Runs `f` with the audit tables writable for this backend (reset even when `f` errors).
pub fn writing<R>(f: impl FnOnce() -> R) -> R {
    INTERNAL_WRITE.with(|flag| flag.set(true));
    let _reset = WriteFlag;
    f()
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub store: pg_sys::Oid,
    pub store_name: String,
    pub guard: String,
    pub pass: bool,
    pub sqlstate: Option<String>,
    pub message: Option<String>,
    pub detail: Option<String>,
    pub warnings: Vec<String>,
    pub evidence: Option<Value>,
    pub cert_id: Option<i64>,
}

fn role_name(oid: pg_sys::Oid) -> String {
    // SAFETY: noerr = true returns NULL for a dropped role
    unsafe {
        let p = pg_sys::GetUserNameFromId(oid, true);
        if p.is_null() {
            format!("oid {}", oid.to_u32())
        } else {
            std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

/// The calling role (as SET ROLE left it; SECURITY DEFINER does not change it).
pub fn caller() -> String {
    // SAFETY: plain read of backend state
    role_name(unsafe { pg_sys::GetOuterUserId() })
}

fn payload(v: &Verdict) -> Value {
    // SAFETY: plain reads of backend globals
    let (session, outer, pid, db) =
        unsafe { (role_name(pg_sys::GetSessionUserId()), role_name(pg_sys::GetOuterUserId()), pg_sys::MyProcPid, pg_sys::MyDatabaseId.to_u32()) };
    json!({
        "store": v.store.to_u32(), "store_name": v.store_name, "guard": v.guard,
        "outcome": if v.pass { "pass" } else { "fail" },
        "sqlstate": v.sqlstate, "message": v.message, "detail": v.detail, "warnings": v.warnings,
        "evidence": v.evidence, "cert_id": v.cert_id, "session_role": session, "current_role_name": outer,
        "pid": pid, "database": db,
    })
}

/// Inserts the verdicts of a JSON array.
const INSERT: &str = "INSERT INTO audit.guard_verdicts (at, first_at, calls, store, store_name, guard, outcome, sqlstate, message, detail,
                          warnings, evidence, cert_id, session_role, current_role_name, pid, recorded_by)
     SELECT coalesce((p->>'at')::timestamptz, clock_timestamp()), (p->>'first_at')::timestamptz, coalesce((p->>'calls')::bigint, 1),
            nullif((p->>'store')::oid, 0)::regclass, p->>'store_name', p->>'guard', p->>'outcome', p->>'sqlstate', p->>'message',
            p->>'detail', coalesce(ARRAY(SELECT jsonb_array_elements_text(p->'warnings')), '{}'), p->'evidence',
            (p->>'cert_id')::bigint, p->>'session_role', p->>'current_role_name', (p->>'pid')::int, $2
     FROM jsonb_array_elements($1::jsonb) AS x(p)";

fn insert(rows: &Value, recorded_by: &str) {
    writing(|| Spi::run_with_args(INSERT, &[pgrx::JsonB(rows.clone()).into(), recorded_by.into()]).or_raise("recording guard verdicts"));
}

/// Fast-guard passes counted since the last flush.
struct Pending {
    store: pg_sys::Oid,
    store_name: String,
    guard: String,
    cert_id: Option<i64>,
    session: pg_sys::Oid,
    outer: pg_sys::Oid,
    calls: i64,
    first_at: i64,
    last_at: i64,
}

thread_local! {
    static PENDING: std::cell::RefCell<Vec<Pending>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Kinds of pending entries before a flush is forced.
const MAX_PENDING: usize = 256;

fn ts_json(us: i64) -> Value {
    pgrx::datum::TimestampWithTimeZone::try_from(us).map(|t| json!(t.to_iso_string())).unwrap_or(Value::Null)
}

fn pending_rows() -> Vec<Value> {
    // SAFETY: plain reads of backend globals
    let (pid, db) = unsafe { (pg_sys::MyProcPid, pg_sys::MyDatabaseId.to_u32()) };
    PENDING.with(|p| {
        p.borrow_mut()
            .drain(..)
            .map(|e| {
                json!({"store": e.store.to_u32(), "store_name": e.store_name, "guard": e.guard, "outcome": "pass",
                       "cert_id": e.cert_id, "session_role": role_name(e.session), "current_role_name": role_name(e.outer),
                       "pid": pid, "database": db, "calls": e.calls, "first_at": ts_json(e.first_at), "at": ts_json(e.last_at)})
            })
            .collect()
    })
}

/// Counts a pass of the fast guard; writes the counts when the oldest is older than the flush
/// interval (or too many kinds are pending).
pub fn count_pass(store: pg_sys::Oid, store_name: &str, guard: &str, cert_id: Option<i64>, now: i64) {
    // SAFETY: plain reads of backend globals
    let (session, outer) = unsafe { (pg_sys::GetSessionUserId(), pg_sys::GetOuterUserId()) };
    let (due, oldest) = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        match p.iter_mut().find(|e| e.store == store && e.cert_id == cert_id && e.outer == outer && e.session == session && e.guard == guard) {
            Some(e) => {
                e.calls += 1;
                e.last_at = now;
            }
            None => p.push(Pending { store, store_name: store_name.to_string(), guard: guard.to_string(), cert_id, session, outer, calls: 1, first_at: now, last_at: now }),
        }
        (p.len() >= MAX_PENDING, p.iter().map(|e| e.first_at).min().unwrap_or(now))
    });
    let interval = crate::common::guc::VERDICT_FLUSH_INTERVAL.get() as i64 * 1_000_000;
    if due || now - oldest >= interval {
        flush_pending();
    }
}

/// Writes the pending pass counts through the autonomous writer (the server log on a standby).
pub fn flush_pending() {
    let rows = pending_rows();
    if rows.is_empty() {
        return;
    }
    let rows = Value::Array(rows);
    if unsafe { pg_sys::RecoveryInProgress() } {
        pgrx::log!("spine verdicts (standby, not stored): {rows}");
        return;
    }
    if let Err(why) = autonomous(&rows) {
        pgrx::warning!("spine: guard pass counts are recorded in this transaction only ({why})");
        if !read_only() {
            insert(&rows, "transaction");
        }
    }
}

fn read_only() -> bool {
    // SAFETY: plain reads of backend state
    unsafe { pg_sys::XactReadOnly || pg_sys::RecoveryInProgress() }
}

/// Records a pass in the caller's transaction (or the server log when it cannot write).
pub fn record_pass(v: &Verdict) {
    let p = Value::Array(vec![payload(v)]);
    if read_only() {
        pgrx::log!("spine verdict (read-only transaction, not stored): {p}");
    } else {
        insert(&p, "transaction");
    }
}

/// Records a failure so that it survives the caller's rollback (pending pass counts with it).
pub fn record_failure(v: &Verdict) {
    let mut rows = pending_rows();
    rows.push(payload(v));
    let p = Value::Array(rows);
    if unsafe { pg_sys::RecoveryInProgress() } {
        pgrx::log!("spine verdict (standby, not stored): {p}");
        return;
    }
    match autonomous(&p) {
        Ok(()) => {}
        Err(why) => {
            pgrx::warning!("spine: the failed verdict for {} is recorded in this transaction only ({why})", v.store_name);
            if !read_only() {
                insert(&p, "transaction");
            }
        }
    }
}

/// Hands the payload to a dynamic background worker and waits until it has written it.
fn autonomous(p: &Value) -> Result<(), String> {
    let bytes = p.to_string().into_bytes();
    // SAFETY: the segment is created, filled and only detached after the worker has exited
    unsafe {
        let seg = pg_sys::dsm_create(bytes.len() + 8, 0);
        if seg.is_null() {
            return Err("no dynamic shared memory segment".into());
        }
        let base = pg_sys::dsm_segment_address(seg) as *mut u8;
        std::ptr::copy_nonoverlapping((bytes.len() as u64).to_le_bytes().as_ptr(), base, 8);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(8), bytes.len());
        let handle = pg_sys::dsm_segment_handle(seg);
        let launched = BackgroundWorkerBuilder::new("spine verdict writer")
            .set_type("spine verdict writer")
            .set_library("spine")
            .set_function("spine_verdict_writer")
            .set_argument(Some(pg_sys::Datum::from(handle)))
            .enable_spi_access()
            .set_restart_time(None)
            .set_notify_pid(pg_sys::MyProcPid)
            .load_dynamic();
        let result = match launched {
            Ok(w) => w.wait_for_shutdown().map_err(|s| format!("verdict writer ended with {s:?}")),
            Err(e) => Err(format!("no background worker slot: {e:?}; raise max_worker_processes")),
        };
        // the worker marks success by zeroing the length prefix
        let written = std::ptr::read_unaligned(base as *const u64) == 0;
        pg_sys::dsm_detach(seg);
        match result {
            Ok(()) if written => Ok(()),
            Ok(()) => Err("the verdict writer could not write".into()),
            Err(e) => Err(e),
        }
    }
}

/// The verdict writer's entry point (a dynamic background worker).
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn spine_verdict_writer(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGTERM);
    let handle = arg.value() as pg_sys::dsm_handle;
    // SAFETY: the launching backend keeps the segment until this worker has exited
    let (seg, base, text) = unsafe {
        let seg = pg_sys::dsm_attach(handle);
        if seg.is_null() {
            pgrx::warning!("spine verdict writer: the verdict's shared memory segment is gone");
            return;
        }
        let base = pg_sys::dsm_segment_address(seg) as *mut u8;
        let len = std::ptr::read_unaligned(base as *const u64) as usize;
        let text = String::from_utf8_lossy(std::slice::from_raw_parts(base.add(8), len)).into_owned();
        (seg, base, text)
    };
    let p: Value = match serde_json::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            pgrx::warning!("spine verdict writer: unreadable verdict: {e}");
            unsafe { pg_sys::dsm_detach(seg) };
            return;
        }
    };
    let db = p.get(0).and_then(|r| r.get("database")).and_then(Value::as_u64).unwrap_or(0) as u32;
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(db)), None);
    BackgroundWorker::transaction(|| insert(&p, "autonomous"));
    // SAFETY: still attached; zero length = written
    unsafe {
        std::ptr::write_unaligned(base as *mut u64, 0);
        pg_sys::dsm_detach(seg);
    }
}
