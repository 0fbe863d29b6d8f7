//! The durable job queue over `spine.jobs` (sql/090_workers.sql).
//!
//! A job's life:
//! 1. `enqueue`: one open job (pending, running or failed) per kind and payload; enqueueing the
//!    same work again returns the open job.
//! 2. `claim` (its own transaction, committed at once): the oldest runnable job, taken with
//!    `FOR UPDATE SKIP LOCKED`, becomes `running` with `locked_by` = the worker's pid,
//!    `locked_until` = now + `spine.job_visibility_timeout`, and `attempts` + 1 — counted before
//!    the work, so a job that kills its worker every time still runs out of attempts. A running
//!    job is runnable again when its worker is gone (no live `spine job worker` with that pid:
//!    killed, crashed, the server restarted) or its visibility timeout passed (a hung worker).
//! 3. The work and its outcome share one transaction (`lock_mine` … `done` / `failed`): the job
//!    row is locked `FOR UPDATE` (waiting for a claim query that holds it for a moment; then
//!    nobody else can take it over meanwhile) and checked to be
//!    still this worker's claim (same pid and attempt); the job's writes and `done` commit
//!    together or not at all. A worker killed in the middle leaves nothing behind and the job
//!    runs again: every job ends done exactly once in effect. (A fetch's HTTP request happens
//!    between the two transactions and may be repeated; it is a GET.)
//! 4. A failed attempt: `failed` with `run_after` = now + backoff (doubling per attempt, capped),
//!    or `dead` when out of attempts or the error is permanent; the last 10 errors are kept.

use super::kinds::{self, AfterFailure, Kind, Payload};
use crate::common::error::{OrRaise, SpineError};
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use serde_json::{json, Value};

/// A failed attempt: a SQLSTATE or a fetch error tag (`fetch:timeout`), the message, and
/// whether retrying can help.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub permanent: bool,
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job_id: i64,
    pub kind: String,
    pub payload: Value,
    pub attempts: i32,
    pub max_attempts: i32,
    /// the previous attempt's worker stopped in the middle (the job was taken over)
    pub taken_over: bool,
}

fn invalid(func: &str, kind: Kind, why: String) -> ! {
    SpineError::invalid(format!("{func}: {why}")).hint(format!("A {} payload looks like '{}'.", kind.name(), kind.example())).raise()
}

/// Checks kind and payload and that what they name exists; returns the kind and the canonical payload.
pub fn check(func: &str, kind: Option<&str>, payload: Option<&Value>) -> (Kind, Value) {
    let Some(kind_text) = kind else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: kind must not be NULL")).hint(format!("Job kinds: {}.", kinds::kind_names())).raise()
    };
    let Some(k) = Kind::parse(kind_text) else {
        SpineError::invalid(format!("{func}: unknown job kind \"{kind_text}\"")).hint(format!("Job kinds: {}.", kinds::kind_names())).raise()
    };
    let Some(payload) = payload else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: payload must not be NULL")).hint(format!("A {} payload looks like '{}'.", k.name(), k.example())).raise()
    };
    let p = kinds::parse_payload(k, payload).unwrap_or_else(|e| invalid(func, k, e));
    check_refs(func, k, &p);
    (k, kinds::canonical(&p))
}

/// The first column of the first row a statement returns (None: no row or NULL).
pub fn one<T: pgrx::FromDatum + pgrx::IntoDatum>(what: &str, sql: &str, args: &[pgrx::datum::DatumWithOid<'_>]) -> Option<T> {
    Spi::connect_mut(|c| c.update(sql, Some(1), args).or_raise(what).into_iter().next().and_then(|r| r.get::<T>(1).or_raise(what)))
}

fn exists(sql: &str, id: i64) -> bool {
    one::<bool>("checking a job's payload", sql, &[id.into()]).unwrap_or(false)
}

fn check_refs(func: &str, k: Kind, p: &Payload) {
    if let Some(id) = p.image_id {
        if !exists("SELECT EXISTS (SELECT 1 FROM marketplace.listing_images WHERE image_id = $1)", id) {
            SpineError::new(PgSqlErrorCode::ERRCODE_FOREIGN_KEY_VIOLATION, format!("{func}: image {id} is not in marketplace.listing_images"))
                .hint("Enqueue jobs for images that exist (SELECT image_id FROM marketplace.listing_images).")
                .raise()
        }
    }
    if let Some(id) = p.listing_id {
        if !exists("SELECT EXISTS (SELECT 1 FROM marketplace.listings WHERE listing_id = $1)", id) {
            SpineError::new(PgSqlErrorCode::ERRCODE_FOREIGN_KEY_VIOLATION, format!("{func}: listing {id} is not in marketplace.listings")).hint("Enqueue jobs for listings that exist.").raise()
        }
    }
    if let Some(m) = &p.model {
        let task = one::<String>("looking up the job's model", "SELECT m.task FROM ml.deployments d JOIN ml.models m USING (model_id) WHERE d.name = $1", &[m.as_str().into()]);
        let want = match k {
            Kind::LabelDamage => "image_classification",
            _ => "embedding",
        };
        match task {
            None => SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("{func}: no deployed model named \"{m}\""))
                .hint(match k {
                    Kind::LabelDamage => "Register a damage classifier with ml.import_onnx_image_classifier(name, onnx, labels).",
                    _ => "Register one with ml.import_onnx_embedding(name, onnx, kind, ...).",
                })
                .raise(),
            Some(t) if t != want => SpineError::new(PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE, format!("{func}: model \"{m}\" has task {t}; a {} job needs a model with task {want}", k.name())).raise(),
            Some(_) => {}
        }
    }
}

fn max_attempts() -> i32 {
    crate::pipelines::db::load_settings().int("jobs.max_attempts").clamp(1, 100) as i32
}

/// Enqueues a checked job; returns its id, or the id of the open job doing the same work.
pub fn enqueue(kind: Kind, payload: &Value) -> i64 {
    let max = max_attempts();
    loop {
        let id = one::<i64>(
            "enqueueing the job",
            "INSERT INTO spine.jobs (kind, payload, max_attempts) VALUES ($1, $2, $3)
             ON CONFLICT (kind, payload) WHERE state IN ('pending', 'running', 'failed') DO NOTHING RETURNING job_id",
            &[kind.name().into(), JsonB(payload.clone()).into(), max.into()],
        );
        if let Some(id) = id {
            return id;
        }
        let open = one::<i64>(
            "looking up the open job",
            "SELECT job_id FROM spine.jobs WHERE kind = $1 AND payload = $2 AND state IN ('pending', 'running', 'failed')",
            &[kind.name().into(), JsonB(payload.clone()).into()],
        );
        if let Some(id) = open {
            return id;
        }
        // the open job finished between the two statements: insert again
    }
}

const CLAIM: &str = "
WITH c AS (
    SELECT j.job_id, j.state AS old_state
    FROM spine.jobs j
    WHERE j.state IN ('pending', 'failed', 'running') AND j.run_after <= now()
      AND (j.state <> 'running' OR j.locked_until < now()
           OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = j.locked_by AND a.backend_type = 'spine job worker'))
    ORDER BY j.run_after, j.job_id
    LIMIT 1
    FOR UPDATE OF j SKIP LOCKED)
UPDATE spine.jobs j
SET state = 'running', attempts = j.attempts + 1, locked_by = pg_backend_pid(),
    locked_until = now() + $1::float8 * interval '1 second', started_at = now()
FROM c
WHERE j.job_id = c.job_id
RETURNING j.job_id, j.kind, j.payload, j.attempts, j.max_attempts, c.old_state = 'running'";

/// Claims the next runnable job (call in its own transaction, committed before the work).
pub fn claim(visibility_timeout_s: i32) -> Option<Claimed> {
    Spi::connect_mut(|c| {
        let t = c.update(CLAIM, Some(1), &[visibility_timeout_s.into()]).or_raise("claiming a job");
        t.into_iter().next().map(|r| Claimed {
            job_id: r.get::<i64>(1).or_raise("job_id").unwrap_or(0),
            kind: r.get::<String>(2).or_raise("kind").unwrap_or_default(),
            payload: r.get::<JsonB>(3).or_raise("payload").map(|j| j.0).unwrap_or(Value::Null),
            attempts: r.get::<i32>(4).or_raise("attempts").unwrap_or(0),
            max_attempts: r.get::<i32>(5).or_raise("max_attempts").unwrap_or(1),
            taken_over: r.get::<bool>(6).or_raise("taken over").unwrap_or(false),
        })
    })
}

/// Locks the job row and checks it is still this worker's claim (same pid, same attempt).
/// It waits for the lock: another worker's claim query can hold it for a moment (a row that
/// fails the claim's re-check stays locked until that claim commits), and a worker that took
/// the job over holds it while it works; after either, the re-check says whose the job is.
pub fn lock_mine(c: &Claimed) -> bool {
    one::<bool>(
        "locking the job",
        "SELECT true FROM spine.jobs WHERE job_id = $1 AND state = 'running' AND locked_by = pg_backend_pid() AND attempts = $2 FOR UPDATE",
        &[c.job_id.into(), c.attempts.into()],
    )
    .unwrap_or(false)
}

pub fn done(c: &Claimed, result: Value) {
    Spi::run_with_args(
        "UPDATE spine.jobs SET state = 'done', finished_at = now(), locked_by = NULL, locked_until = NULL, result = $2, last_code = NULL, last_error = NULL
         WHERE job_id = $1",
        &[c.job_id.into(), JsonB(result).into()],
    )
    .or_raise("marking the job done");
}

/// Records a failed attempt: retried later, or dead.
pub fn failed(c: &Claimed, f: &Failure) {
    let s = crate::pipelines::db::load_settings();
    let secs = |k: &str| Spi::get_one_with_args::<f64>("SELECT extract(epoch FROM $1::interval)::float8", &[s.get(k).into()]).or_raise("reading a job setting").unwrap_or(10.0);
    let next = kinds::after_failure(c.attempts, c.max_attempts, f.permanent, secs("jobs.backoff"), secs("jobs.backoff_max"));
    let (state, after) = match next {
        AfterFailure::Retry(s) => ("failed", s),
        AfterFailure::Dead => ("dead", 0.0),
    };
    let entry = json!({"attempt": c.attempts, "code": f.code, "error": f.message, "permanent": f.permanent});
    Spi::run_with_args(
        "UPDATE spine.jobs SET state = $2, run_after = now() + $3 * interval '1 second', finished_at = CASE WHEN $2 = 'dead' THEN now() END,
                locked_by = NULL, locked_until = NULL, last_code = $4, last_error = $5,
                errors = (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM (
                             SELECT e, n FROM jsonb_array_elements(errors || jsonb_build_array(jsonb_build_object('at', now()) || $6)) WITH ORDINALITY AS x(e, n)
                             ORDER BY n DESC LIMIT 10) last)
         WHERE job_id = $1",
        &[c.job_id.into(), state.into(), after.into(), f.code.as_str().into(), f.message.as_str().into(), JsonB(entry).into()],
    )
    .or_raise("recording the job's failure");
}

/// Deletes done jobs older than the retention (at most 10 000 per call); returns how many.
pub fn prune() -> i64 {
    let retention = crate::pipelines::db::load_settings().get("jobs.done_retention");
    Spi::get_one_with_args::<i64>(
        "WITH d AS (DELETE FROM spine.jobs WHERE job_id IN (
             SELECT job_id FROM spine.jobs WHERE state = 'done' AND finished_at < now() - $1::interval LIMIT 10000) RETURNING 1)
         SELECT count(*) FROM d",
        &[retention.into()],
    )
    .or_raise("deleting old done jobs")
    .unwrap_or(0)
}

/// Puts dead jobs back in the queue with fresh attempts (one job, or every dead job of a kind,
/// or every dead job); returns how many. A dead job whose work is open again meanwhile is left.
pub fn requeue(job_id: Option<i64>, kind: Option<&str>) -> i64 {
    // the newest dead job per kind and payload (older dead copies of the same work stay dead),
    // and none whose work is open again
    Spi::get_one_with_args::<i64>(
        "WITH pick AS (
             SELECT DISTINCT ON (j.kind, j.payload) j.job_id
             FROM spine.jobs j
             WHERE j.state = 'dead' AND ($1::bigint IS NULL OR j.job_id = $1) AND ($2::text IS NULL OR j.kind = $2)
               AND NOT EXISTS (SELECT 1 FROM spine.jobs o WHERE o.kind = j.kind AND o.payload = j.payload AND o.state IN ('pending', 'running', 'failed'))
             ORDER BY j.kind, j.payload, j.job_id DESC),
         r AS (UPDATE spine.jobs j SET state = 'pending', attempts = 0, run_after = now(), finished_at = NULL, locked_by = NULL, locked_until = NULL
               FROM pick WHERE j.job_id = pick.job_id
               RETURNING 1)
         SELECT count(*) FROM r",
        &[job_id.into(), kind.into()],
    )
    .or_raise("requeueing dead jobs")
    .unwrap_or(0)
}
