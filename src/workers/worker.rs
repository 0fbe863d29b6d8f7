//! The job workers: background worker processes that take jobs from `spine.jobs`.
//!
//! - Preloaded (`shared_preload_libraries` contains spine): `spine.workers` workers start with
//!   the server and serve `spine.worker_database`; they are restarted 10 s after a crash.
//! - Not preloaded, or more workers: `spine.launch_workers(n)` starts dynamic ones for the
//!   current database (restarted after a crash too, until stopped).
//! - SIGTERM (server shutdown, `spine.stop_workers()`, `pg_terminate_backend`, `DROP DATABASE`)
//!   ends a worker cleanly between jobs: a job in progress finishes first (a fetch is bounded by
//!   `spine.fetch_total_timeout`). A launched worker then stays stopped; a preloaded one exits
//!   with status 1, so the postmaster starts it again 10 s later (it belongs to the server's
//!   configuration: `spine.workers = 0` turns them off). SIGHUP reloads the configuration (the
//!   spine.fetch_* settings, the poll interval, the visibility timeout).
//! - Every job runs inside a subtransaction: an ERROR or a Rust panic in a job fails that job
//!   (recorded with its message) and the worker goes on with the next.
//! - A worker waits, logging once, until spine is installed in its database.

use super::jobs::{self, Prepared};
use super::queue::{self, Claimed, Failure};
use crate::common::guc;
use crate::common::subxact::{self, Caught};
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::pg_sys;
use pgrx::prelude::*;
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

/// pg_stat_activity.backend_type of a job worker (the claim query looks for it).
pub const WORKER_TYPE: &str = "spine job worker";
const RESTART: Duration = Duration::from_secs(10);

/// Registers the preloaded workers (called from `_PG_init` while preloading).
pub fn register_static() {
    for i in 0..guc::WORKERS.get().max(0) {
        BackgroundWorkerBuilder::new(&format!("spine job worker {}", i + 1))
            .set_type(WORKER_TYPE)
            .set_library("spine")
            .set_function("spine_job_worker")
            .set_argument(Some(pg_sys::Datum::from(0u32)))
            .enable_spi_access()
            .set_start_time(BgWorkerStartTime::RecoveryFinished)
            .set_restart_time(Some(RESTART))
            .load();
    }
}

/// Starts `n` dynamic workers for the current database; returns their pids.
pub fn launch(n: i32) -> Result<Vec<i32>, String> {
    // SAFETY: plain read of a backend global
    let db = unsafe { pg_sys::MyDatabaseId };
    let mut pids = Vec::new();
    for _ in 0..n {
        let w = BackgroundWorkerBuilder::new("spine job worker (launched)")
            .set_type(WORKER_TYPE)
            .set_library("spine")
            .set_function("spine_job_worker")
            .set_argument(Some(pg_sys::Datum::from(db.to_u32())))
            .enable_spi_access()
            .set_restart_time(Some(RESTART))
            // SAFETY: plain read of a backend global
            .set_notify_pid(unsafe { pg_sys::MyProcPid })
            .load_dynamic()
            .map_err(|e| format!("no background worker slot for worker {} of {n} ({e:?}); raise max_worker_processes", pids.len() + 1))?;
        let pid = w.wait_for_startup().map_err(|s| format!("a launched worker did not start: {s:?}"))?;
        pids.push(pid);
    }
    Ok(pids)
}

fn report(activity: &str) {
    let c = std::ffi::CString::new(activity.replace('\0', " ")).unwrap_or_default();
    // SAFETY: pgstat copies the string
    unsafe { pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_RUNNING, c.as_ptr()) };
}

fn idle() {
    // SAFETY: as above, a NULL command
    unsafe { pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_IDLE, std::ptr::null()) };
}

fn caught_failure(c: &Caught) -> Failure {
    let mut message = c.message.clone();
    if let Some(d) = &c.detail {
        message.push_str(&format!(" (DETAIL: {d})"));
    }
    Failure { code: c.sqlstate.clone(), message, permanent: super::kinds::sqlstate_is_permanent(&c.sqlstate) }
}

/// What one round of the loop did.
#[derive(Debug, Clone, PartialEq)]
pub enum Round {
    /// a job ran (its id, final state)
    Ran(i64, String),
    Idle,
    NotInstalled,
    /// the queue itself could not be read or written
    Broken(String),
}

/// Read-only checks (no transaction id is assigned while a worker is idle).
fn read_bool(sql: &str) -> bool {
    Spi::connect(|c| c.select(sql, Some(1), &[]).ok().and_then(|t| t.first().get_one::<bool>().ok().flatten())).unwrap_or(false)
}

fn installed() -> bool {
    read_bool("SELECT to_regclass('spine.jobs') IS NOT NULL AND to_regclass('marketplace.image_fetches') IS NOT NULL")
}

fn anything_runnable() -> bool {
    read_bool("SELECT EXISTS (SELECT 1 FROM spine.jobs WHERE state IN ('pending', 'failed', 'running') AND run_after <= now())")
}

/// Runs one job end to end in a worker: claim (committed), prepare (no transaction), apply and
/// record (one transaction).
fn worker_round() -> Round {
    let vt = guc::JOB_VISIBILITY_TIMEOUT.get();
    let claimed = BackgroundWorker::transaction(AssertUnwindSafe(|| {
        subxact::run(false, || {
            if !installed() {
                return Ok(None);
            }
            if !anything_runnable() {
                return Err(Round::Idle);
            }
            // the claim is durable even though the job's own commit is not: a job that crashes
            // the server right after its claim must still have its attempt counted
            Spi::run("SET LOCAL synchronous_commit = on").map_err(|e| Round::Broken(e.to_string()))?;
            let Some(c) = queue::claim(vt) else { return Err(Round::Idle) };
            let url = jobs::url_to_fetch(&c);
            Ok(Some((c, url)))
        })
    }));
    let (c, url) = match claimed {
        Ok(Ok(Some(x))) => x,
        Ok(Ok(None)) => return Round::NotInstalled,
        Ok(Err(r)) => return r,
        Err(e) => return Round::Broken(format!("{}: {}", e.sqlstate, e.message)),
    };
    report(&format!("{} job {} (attempt {} of {})", c.kind, c.job_id, c.attempts, c.max_attempts));
    let prepared = match url {
        Ok(u) => jobs::prepare_caught(u, &jobs::policy()),
        Err(f) => Err(f),
    };
    let outcome = BackgroundWorker::transaction(AssertUnwindSafe(|| subxact::run(false, || finish(&c, prepared))));
    idle();
    match outcome {
        Ok(state) => Round::Ran(c.job_id, state),
        Err(e) => Round::Broken(format!("{}: {}", e.sqlstate, e.message)),
    }
}

/// In the job's transaction: check the claim, apply the job in a subtransaction, record the
/// outcome; returns the job's new state ("abandoned" when the claim was taken over).
pub fn finish(c: &Claimed, prepared: Result<Prepared, Failure>) -> String {
    if !queue::lock_mine(c) {
        pgrx::log!("spine job worker: job {} is no longer this worker's claim (taken over, requeued or deleted); dropping this attempt's result", c.job_id);
        return "abandoned".into();
    }
    if c.taken_over {
        pgrx::log!("spine job worker: job {} taken over (the worker of attempt {} stopped in the middle)", c.job_id, c.attempts - 1);
    }
    if c.attempts > c.max_attempts {
        let f = Failure {
            code: "57P01".into(),
            message: format!("the job's worker stopped in the middle of {} attempt(s) (killed, crashed or the server restarted)", c.attempts - 1),
            permanent: true,
        };
        queue::failed(c, &f);
        return "dead".into();
    }
    let result: Result<Value, Failure> = match prepared {
        Err(f) => Err(f),
        Ok(p) => match subxact::run(false, AssertUnwindSafe(|| jobs::apply(c, p))) {
            Ok(r) => r,
            Err(caught) => Err(caught_failure(&caught)),
        },
    };
    match result {
        Ok(v) => {
            queue::done(c, v);
            "done".into()
        }
        Err(f) => {
            pgrx::log!("spine job worker: {} job {} attempt {} failed: {} ({})", c.kind, c.job_id, c.attempts, f.message, f.code);
            queue::failed(c, &f);
            queue::one::<String>("reading the job's state", "SELECT state FROM spine.jobs WHERE job_id = $1", &[c.job_id.into()]).unwrap_or_default()
        }
    }
}

/// Runs up to `max` runnable jobs in the calling session, each in a subtransaction of the
/// caller's transaction (spine.run_jobs: draining the queue without workers, and tests).
pub fn run_here(max: i32) -> Vec<(i64, String, String, Option<Value>)> {
    let vt = guc::JOB_VISIBILITY_TIMEOUT.get();
    let policy = jobs::policy();
    let mut out = Vec::new();
    for _ in 0..max {
        pgrx::check_for_interrupts!();
        // a fresh view of pg_stat_activity for each claim: a worker started since the last
        // one must not look dead (the claim takes over jobs whose worker is gone)
        // SAFETY: drops this backend's cached statistics snapshot
        unsafe { pg_sys::pgstat_clear_snapshot() };
        let Some(c) = queue::claim(vt) else { break };
        let prepared = match subxact::run(false, AssertUnwindSafe(|| jobs::url_to_fetch(&c))) {
            Ok(Ok(u)) => jobs::prepare_caught(u, &policy),
            Ok(Err(f)) => Err(f),
            Err(caught) => Err(caught_failure(&caught)),
        };
        let state = finish(&c, prepared);
        let (result, error) = Spi::connect(|s| {
            s.select("SELECT result, last_error FROM spine.jobs WHERE job_id = $1", Some(1), &[c.job_id.into()])
                .ok()
                .and_then(|t| t.into_iter().next().map(|r| (r.get::<pgrx::JsonB>(1).ok().flatten().map(|j| j.0), r.get::<String>(2).ok().flatten())))
                .unwrap_or((None, None))
        });
        let result = if state == "done" { result } else { error.map(|e| json!({"error": e})) };
        out.push((c.job_id, c.kind.clone(), state, result));
    }
    out
}

/// Deletes old done jobs about once a minute.
fn maybe_prune(last: &mut Instant) {
    if last.elapsed() < Duration::from_secs(60) {
        return;
    }
    *last = Instant::now();
    let r = BackgroundWorker::transaction(AssertUnwindSafe(|| subxact::run(false, queue::prune)));
    match r {
        Ok(n) if n > 0 => pgrx::log!("spine job worker: deleted {n} done job(s) older than jobs.done_retention"),
        Ok(_) => {}
        Err(e) => pgrx::warning!("spine job worker: deleting old done jobs failed: {}", e.message),
    }
}

/// The worker's entry point. The argument is the database OID (0 = spine.worker_database).
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn spine_job_worker(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let db = arg.value() as u32;
    if db == 0 {
        let name = guc::string(&guc::WORKER_DATABASE).unwrap_or_else(|| "postgres".into());
        BackgroundWorker::connect_worker_to_spi(Some(&name), None);
    } else {
        BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(db)), None);
    }
    // A job's writes and its `done` commit together, so an asynchronous commit lost in a crash
    // only means the job runs again (its effect is still once); the claim commits synchronously
    // (worker_round). A pinned search_path: the worker runs as superuser, and nothing in a
    // database's public schema may stand in for an operator or function of ours. A lock wait
    // ends (55P03, retried) instead of blocking a worker that SIGTERM cannot reach there.
    let _ = BackgroundWorker::transaction(|| {
        subxact::run(false, || Spi::run("SET synchronous_commit = off; SET search_path = pg_catalog, pg_temp; SET lock_timeout = '30s'"))
    });
    let mut said_not_installed = false;
    let mut last_prune = Instant::now() - Duration::from_secs(3600);
    let mut broken_since: Option<Instant> = None;
    loop {
        if BackgroundWorker::sigterm_received() {
            break;
        }
        if BackgroundWorker::sighup_received() {
            // SAFETY: the standard reload in a background worker's main loop
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        let poll = Duration::from_millis(guc::WORKER_POLL_INTERVAL.get().max(10) as u64);
        let wait = match worker_round() {
            Round::Ran(..) => {
                broken_since = None;
                maybe_prune(&mut last_prune);
                None
            }
            Round::Idle => {
                said_not_installed = false;
                broken_since = None;
                maybe_prune(&mut last_prune);
                Some(poll)
            }
            Round::NotInstalled => {
                if !said_not_installed {
                    pgrx::log!("spine job worker: spine is not installed in this database; waiting for CREATE EXTENSION spine");
                    said_not_installed = true;
                }
                Some(poll.max(Duration::from_secs(5)))
            }
            Round::Broken(why) => {
                if broken_since.is_none() {
                    pgrx::warning!("spine job worker: the job queue cannot be used: {why}; retrying");
                    broken_since = Some(Instant::now());
                }
                Some(poll.max(Duration::from_secs(5)))
            }
        };
        let go_on = match wait {
            Some(d) => BackgroundWorker::wait_latch(Some(d)),
            None => !BackgroundWorker::sigterm_received(),
        };
        if !go_on {
            break;
        }
    }
    if db == 0 {
        // a preloaded worker is part of the server's configuration: restarted after RESTART
        // (the postmaster restarts nothing while it shuts down)
        // SAFETY: ends the process the way a background worker's error exit does
        unsafe { pg_sys::proc_exit(1) };
    }
}
