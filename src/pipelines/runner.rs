//! spine.run_pipeline: one run of a pipeline, its steps in order.
//!
//! - A transaction-level advisory lock on (LOCK_CLASS, fnv1a(pipeline id)) means a run never
//!   overlaps itself: a second start while one runs records a run `skipped: already running`.
//! - Every step runs in its own subtransaction: a failed step leaves nothing behind, the steps
//!   before it keep their work, and the steps after it do not run (`not_run`). Transient errors
//!   (serialization failure, deadlock, lock timeout) are retried with backoff (retry.rs).
//! - The run row and the step rows are written in the caller's transaction, which commits them
//!   with the work; spine.run_pipeline does not raise for a failed step (that would roll the
//!   successful steps back): the run says `failed` and a WARNING is raised. A cancel or a
//!   terminated backend is not caught: the run rolls back as a whole.
//! - At the end, history older than `pipelines.history_retention` is deleted, with the
//!   pipelines' rows of cron.job_run_details.

use super::defs::{self, Pipeline, StepKind, LOCK_CLASS};
use super::retry::{self, Decision};
use super::settings::Settings;
use super::steps::{self, Ctx, Done};
use super::{db, install};
use crate::common::error::{OrRaise, SpineError};
use crate::common::subxact::{self, Caught};
use pgrx::prelude::*;
use pgrx::{pg_sys, JsonB, PgSqlErrorCode};
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
    Skipped,
    NotRun,
}

impl Status {
    fn text(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::NotRun => "not_run",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub status: Status,
    pub rows: Option<i64>,
    pub attempts: i32,
    pub sqlstate: Option<String>,
    pub error: Option<String>,
    pub message: Option<String>,
    pub details: Value,
}

impl StepOutcome {
    fn skipped(message: String) -> Self {
        StepOutcome { status: Status::Skipped, rows: None, attempts: 0, sqlstate: None, error: None, message: Some(message), details: json!({}) }
    }
    fn failed(attempts: i32, c: &Caught, hint: Option<String>) -> Self {
        let mut error = c.message.clone();
        if let Some(d) = &c.detail {
            error.push_str(&format!(" (DETAIL: {d})"));
        }
        StepOutcome {
            status: Status::Failed,
            rows: None,
            attempts,
            sqlstate: Some(c.sqlstate.clone()),
            error: Some(error),
            message: hint,
            details: json!({}),
        }
    }
}

/// The result of a run, as spine.run_pipeline returns it.
pub struct RunResult {
    pub run_id: i64,
    pub status: String,
    pub message: String,
}

fn now_us() -> i64 {
    // SAFETY: plain read of the clock
    unsafe { pg_sys::GetCurrentTimestamp() }
}

fn sleep_ms(ms: u64) {
    let mut left = ms;
    while left > 0 {
        let slice = left.min(10);
        // SAFETY: pg_usleep only sleeps; interrupts are checked between slices
        unsafe { pg_sys::pg_usleep((slice * 1000) as std::ffi::c_long) };
        pgrx::check_for_interrupts!();
        left -= slice;
    }
}

fn fixed_snapshot() -> bool {
    // SAFETY: plain read of backend state (IsolationUsesXactSnapshot)
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}

/// Cancels and shutdowns are never swallowed by a step: the whole run rolls back.
fn reraise_if_interrupt(pipeline: &str, step: &str, c: &Caught) {
    if c.sqlstate == "57014" || c.sqlstate.starts_with("57P") {
        SpineError::new(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, format!("spine.run_pipeline: {pipeline} stopped during step {step}: {}", c.message))
            .detail(format!("SQLSTATE {}", c.sqlstate))
            .hint("The run was rolled back as a whole; nothing of it is recorded.")
            .raise()
    }
}

struct Retry<'a> {
    settings: &'a Settings,
    seed: u64,
}

impl Retry<'_> {
    /// Runs `attempt` until it succeeds, fails for good, or attempts run out.
    fn run<T>(&self, pipeline: &str, step: &str, mut attempt: impl FnMut() -> Result<T, Caught>) -> Result<(T, i32), (i32, Caught)> {
        let max = self.settings.int("pipelines.step_attempts").max(1) as u32;
        let base = self.settings.int("pipelines.retry_base_ms").max(0) as u64;
        let mut n = 1u32;
        loop {
            match attempt() {
                Ok(v) => return Ok((v, n as i32)),
                Err(c) => {
                    reraise_if_interrupt(pipeline, step, &c);
                    match retry::decide(&c.sqlstate, n, max, fixed_snapshot(), base, 30_000, self.seed) {
                        Decision::RetryAfterMs(ms) => {
                            pgrx::log!("spine: {pipeline}/{step} attempt {n} failed with {} ({}); retrying in {ms} ms", c.sqlstate, c.message);
                            sleep_ms(ms);
                            n += 1;
                        }
                        Decision::Fail => return Err((n as i32, c)),
                    }
                }
            }
        }
    }
}

fn builtin(p: &Pipeline, name: &'static str, ctx: &Ctx<'_>, r: &Retry<'_>) -> StepOutcome {
    let outcome = r.run(p.id, name, || match subxact::run(false, AssertUnwindSafe(|| {
        // an xid for the subtransaction: pgrx runs SPI read-only (on the statement's snapshot,
        // blind to this run's earlier writes) in a (sub)transaction that has none
        // SAFETY: assigns or returns the current subtransaction's xid
        unsafe { pg_sys::GetCurrentTransactionId() };
        steps::run(name, ctx)
    })) {
        Ok(Some(done)) => Ok(done),
        Ok(None) => Err(Caught { sqlstate: "XX000".into(), message: format!("spine: no builtin step named {name}"), detail: None }),
        Err(c) => Err(c),
    });
    match outcome {
        Ok((Done { rows, message, details }, attempts)) => {
            StepOutcome { status: Status::Succeeded, rows: Some(rows), attempts, sqlstate: None, error: None, message: Some(message), details }
        }
        Err((attempts, c)) => StepOutcome::failed(attempts, &c, retry_hint(&c.sqlstate, attempts)),
    }
}

fn retry_hint(sqlstate: &str, attempts: i32) -> Option<String> {
    retry::is_transient(sqlstate).then(|| format!("transient error, still failing after {attempts} attempt(s)"))
}

/// The OID of `signature` (e.g. `ml.score_survival_active()`) if such a function exists.
fn function(signature: &str) -> Option<pg_sys::Oid> {
    Spi::get_one_with_args::<pg_sys::Oid>("SELECT to_regprocedure($1)::oid", &[signature.into()]).or_raise("looking up a step function")
}

fn call_slot(p: &Pipeline, name: &str, oid: pg_sys::Oid, r: &Retry<'_>) -> StepOutcome {
    let outcome = r.run(p.id, name, || {
        let (rows, state, message, detail) = Spi::connect(|c| {
            let t = c
                .select("SELECT rows_affected, err_sqlstate, err_message, err_detail FROM spine._call_slot($1::oid::regprocedure)", None, &[oid.into()])
                .or_raise("calling a step function")
                .first();
            (t.get::<i64>(1).ok().flatten(), t.get::<String>(2).ok().flatten(), t.get::<String>(3).ok().flatten(), t.get::<String>(4).ok().flatten())
        });
        match state {
            None => Ok(rows),
            Some(s) => Err(Caught { sqlstate: s, message: message.unwrap_or_default(), detail }),
        }
    });
    match outcome {
        Ok((rows, attempts)) => {
            StepOutcome { status: Status::Succeeded, rows, attempts, sqlstate: None, error: None, message: None, details: json!({}) }
        }
        Err((attempts, c)) => StepOutcome::failed(attempts, &c, retry_hint(&c.sqlstate, attempts)),
    }
}

fn slot(p: &Pipeline, name: &str, signature: &str, r: &Retry<'_>) -> StepOutcome {
    match function(signature) {
        None => StepOutcome::skipped(format!("skipped: {signature} is not installed (this step's logic is provided by another part of spine)")),
        Some(oid) => {
            let mut o = call_slot(p, name, oid, r);
            o.details = json!({"function": signature});
            o
        }
    }
}

fn guarded_slot(p: &Pipeline, name: &str, signature: &str, store: &str, model: &str, absent: &str, r: &Retry<'_>) -> StepOutcome {
    let Some(oid) = function(signature) else {
        return StepOutcome::skipped(format!("skipped: {absent} ({signature} does not exist)"));
    };
    let deployed = Spi::get_one_with_args::<bool>("SELECT EXISTS (SELECT 1 FROM ml.deployments WHERE name = $1)", &[model.into()]).or_raise("looking up the deployment");
    if deployed != Some(true) {
        return StepOutcome::skipped(format!("skipped: {absent} (no model named {model} in ml.deployments)"));
    }
    let (state, message, detail) = Spi::connect(|c| {
        let t = c.select("SELECT err_sqlstate, err_message, err_detail FROM spine._guard_outcome($1)", None, &[store.into()]).or_raise("running the guard").first();
        (t.get::<String>(1).ok().flatten(), t.get::<String>(2).ok().flatten(), t.get::<String>(3).ok().flatten())
    });
    if let Some(s) = state {
        let c = Caught { sqlstate: s, message: message.unwrap_or_default(), detail };
        let mut o = StepOutcome::failed(1, &c, Some(format!("audit.require_certified('{store}') refused: nothing was scored")));
        o.details = json!({"function": signature, "guard": store});
        return o;
    }
    let mut o = call_slot(p, name, oid, r);
    o.details = json!({"function": signature, "guard": store, "guard_passed": true});
    o
}

fn insert_run(p: &Pipeline, status: &str, trigger: &str, message: Option<&str>, details: Value) -> i64 {
    Spi::get_one_with_args::<i64>(
        "INSERT INTO spine.pipeline_runs (pipeline_id, status, trigger, started_at, message, details)
         VALUES ($1, $2, $3, clock_timestamp(), $4, $5) RETURNING run_id",
        &[p.id.into(), status.into(), trigger.into(), message.into(), JsonB(details).into()],
    )
    .or_raise("recording the run")
    .unwrap_or_else(|| SpineError::internal("spine.run_pipeline: INSERT returned no run_id").raise())
}

fn insert_step(run_id: i64, no: i32, name: &str, o: &StepOutcome, started: Option<i64>, finished: Option<i64>) {
    let ts = |t: Option<i64>| t.map(|v| crate::common::error::timestamptz(v, "step time"));
    let duration = match (started, finished) {
        (Some(a), Some(b)) => Some((b - a) as f64 / 1000.0),
        _ => None,
    };
    Spi::run_with_args(
        "INSERT INTO spine.pipeline_steps (run_id, step_no, step, status, rows_affected, started_at, finished_at, duration_ms, attempts,
                                           error_sqlstate, error, message, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            run_id.into(),
            no.into(),
            name.into(),
            o.status.text().into(),
            o.rows.into(),
            ts(started).into(),
            ts(finished).into(),
            duration.into(),
            o.attempts.into(),
            o.sqlstate.clone().into(),
            o.error.clone().into(),
            o.message.clone().into(),
            JsonB(o.details.clone()).into(),
        ],
    )
    .or_raise("recording a step");
}

fn trigger() -> &'static str {
    let app = Spi::get_one::<String>("SELECT current_setting('application_name')").ok().flatten().unwrap_or_default();
    if app == "pg_cron" {
        "cron"
    } else {
        "manual"
    }
}

fn unknown(id: &str) -> ! {
    SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("spine.run_pipeline: unknown pipeline \"{id}\""))
        .hint(format!("The pipelines are: {}.", defs::ids().join(", ")))
        .raise()
}

/// Runs pipeline `id` now.
pub fn run(id: Option<&str>) -> RunResult {
    let Some(id) = id else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "spine.run_pipeline: id must not be NULL")
            .hint(format!("Name one of: {}.", defs::ids().join(", ")))
            .raise()
    };
    let Some(p) = defs::find(id) else { unknown(id) };
    let settings = db::load_settings();
    let trigger = trigger();
    if !settings.enabled(p.id) {
        let msg = "skipped: pipeline disabled (spine.set_pipeline_enabled)";
        let run_id = insert_run(p, "skipped", trigger, Some(msg), json!({}));
        return RunResult { run_id, status: "skipped".into(), message: msg.into() };
    }
    let key = defs::lock_key(p.id);
    let locked = Spi::get_one_with_args::<bool>("SELECT pg_try_advisory_xact_lock($1, $2)", &[LOCK_CLASS.into(), key.into()])
        .or_raise("taking the pipeline's advisory lock")
        .unwrap_or(false);
    if !locked {
        let holder = Spi::get_one_with_args::<i32>(
            "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND classid = $1::int4::oid AND objid = $2::int4::oid
               AND objsubid = 2 AND granted LIMIT 1",
            &[LOCK_CLASS.into(), key.into()],
        )
        .ok()
        .flatten();
        let msg = "skipped: already running";
        let run_id = insert_run(p, "skipped", trigger, Some(msg), json!({"running_pid": holder}));
        return RunResult { run_id, status: "skipped".into(), message: msg.into() };
    }
    let started = now_us();
    let run_id = insert_run(p, "running", trigger, None, json!({}));
    let retry = Retry { settings: &settings, seed: run_id as u64 };
    let (mut failed_at, mut skipped): (Option<(String, String)>, usize) = (None, 0);
    for (i, step) in p.steps.iter().enumerate() {
        let no = i as i32 + 1;
        if let Some((f, _)) = &failed_at {
            let o = StepOutcome { status: Status::NotRun, rows: None, attempts: 0, sqlstate: None, error: None, message: Some(format!("not run: step {f} failed")), details: json!({}) };
            insert_step(run_id, no, step.name, &o, None, None);
            continue;
        }
        let t0 = now_us();
        let ctx = Ctx { run_id, pipeline_id: p.id, step: step.name, settings: &settings };
        let o = match step.kind {
            StepKind::Builtin => builtin(p, step.name, &ctx, &retry),
            StepKind::Slot { function } => slot(p, step.name, function, &retry),
            StepKind::GuardedSlot { function, store, model, absent } => guarded_slot(p, step.name, function, store, model, absent, &retry),
            StepKind::ConfiguredSlot { function, settings: keys, absent } => {
                if keys.iter().all(|k| settings.get(k).is_empty()) {
                    StepOutcome::skipped(format!("skipped: {absent}"))
                } else {
                    slot(p, step.name, function, &retry)
                }
            }
        };
        let t1 = now_us();
        match o.status {
            Status::Failed => failed_at = Some((step.name.to_string(), o.error.clone().unwrap_or_default())),
            Status::Skipped => skipped += 1,
            _ => {}
        }
        let ran = o.status != Status::Skipped;
        insert_step(run_id, no, step.name, &o, ran.then_some(t0), ran.then_some(t1));
    }
    let (status, message) = match &failed_at {
        Some((step, err)) => ("failed", format!("step {step} failed: {err}")),
        None if skipped > 0 => ("partial", format!("{skipped} of {} step(s) skipped (see spine.pipeline_steps)", p.steps.len())),
        None => ("succeeded", format!("{} step(s) succeeded", p.steps.len())),
    };
    let trimmed = trim_history(&settings);
    let finished = now_us();
    Spi::run_with_args(
        "UPDATE spine.pipeline_runs SET status = $2, finished_at = $3, duration_ms = $4, message = $5, details = $6 WHERE run_id = $1",
        &[
            run_id.into(),
            status.into(),
            crate::common::error::timestamptz(finished, "run end").into(),
            ((finished - started) as f64 / 1000.0).into(),
            message.clone().into(),
            JsonB(json!({"history_trimmed": trimmed})).into(),
        ],
    )
    .or_raise("recording the run's outcome");
    if status == "failed" {
        pgrx::warning!("spine.run_pipeline: {} run {run_id} failed: {message}", p.id);
    }
    RunResult { run_id, status: status.into(), message }
}

/// Deletes runs (with their steps) older than the retention, and the pipelines' rows of
/// cron.job_run_details when pg_cron lives in this database.
fn trim_history(settings: &Settings) -> Value {
    let keep = settings.get("pipelines.history_retention");
    let runs = Spi::get_one_with_args::<i64>(
        "WITH d AS (DELETE FROM spine.pipeline_runs WHERE started_at < now() - $1::interval RETURNING 1) SELECT count(*) FROM d",
        &[keep.clone().into()],
    )
    .or_raise("trimming run history")
    .unwrap_or(0);
    let cron = if install::cron_here() {
        match subxact::run(false, || {
            Spi::get_one_with_args::<i64>(
                "WITH d AS (DELETE FROM cron.job_run_details d USING cron.job j
                            WHERE d.jobid = j.jobid AND j.jobname = ANY($1) AND d.end_time < now() - $2::interval RETURNING 1)
                 SELECT count(*) FROM d",
                &[defs::ids().into(), keep.clone().into()],
            )
            .ok()
            .flatten()
            .unwrap_or(0)
        }) {
            Ok(n) => json!(n),
            Err(c) => json!(format!("not trimmed: {} ({})", c.message, c.sqlstate)),
        }
    } else {
        Value::Null
    };
    json!({"retention": keep, "runs": runs, "cron_job_run_details": cron})
}
