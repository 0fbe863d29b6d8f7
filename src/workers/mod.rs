//! Background workers and the durable job queue (DESIGN §8, docs/workers.md).
//!
//! - `queue.rs`: enqueue, claim, finish (the exactly-once-in-effect protocol)
//! - `worker.rs`: the worker processes (preloaded and launched), their loop and signals
//! - `jobs.rs`: what each job kind does
//! - `fetch.rs`: the HTTP fetcher with its address and host policy (SSRF-safe)
//! - `imageinfo.rs`: format, dimensions, BLAKE3 and difference hash of image bytes
//! - `colour.rs`: the colour labeller (k-means in CIELAB, named car colours)
//! - `kinds.rs`: kinds, payloads, backoff, the text a listing is embedded from (pure)
//!
//! SQL: sql/090_workers.sql (tables, views, the image pipeline's steps, similarity search);
//! the functions below are thin wrappers.

pub mod colour;
pub mod fetch;
pub mod imageinfo;
pub mod jobs;
pub mod kinds;
pub mod queue;
pub mod worker;

use crate::common::error::SpineError;
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};

pgrx::extension_sql_file!("../../sql/090_workers.sql", name = "workers", requires = ["models_registry", "onnx_sql", spine::_setting]);

#[pg_schema]
mod spine {
    use super::*;

    /// Enqueues a job; returns its id (the open job's id when the same work is already queued).
    #[pg_extern(volatile, parallel_unsafe, requires = ["workers"])]
    fn enqueue(kind: Option<&str>, payload: Option<JsonB>) -> i64 {
        let (k, p) = queue::check("spine.enqueue", kind, payload.as_ref().map(|j| &j.0));
        queue::enqueue(k, &p)
    }

    /// Puts dead jobs back in the queue with fresh attempts: one job, every dead job of a kind,
    /// or every dead job (both NULL). Returns how many.
    #[pg_extern(volatile, parallel_unsafe, requires = ["workers"])]
    fn requeue_jobs(job_id: default!(Option<i64>, "NULL"), kind: default!(Option<&str>, "NULL")) -> i64 {
        if let Some(k) = kind {
            if kinds::Kind::parse(k).is_none() {
                SpineError::invalid(format!("spine.requeue_jobs: unknown job kind \"{k}\"")).hint(format!("Job kinds: {}.", kinds::kind_names())).raise()
            }
        }
        queue::requeue(job_id, kind)
    }

    /// Runs up to `max_jobs` runnable jobs in this session, inside this transaction (draining
    /// the queue without workers; tests). Returns each job's new state and result or error.
    #[pg_extern(volatile, parallel_unsafe, requires = ["workers"])]
    fn run_jobs(
        max_jobs: default!(i32, 100),
    ) -> TableIterator<'static, (name!(job_id, i64), name!(kind, String), name!(state, String), name!(result, Option<JsonB>))> {
        if max_jobs < 0 {
            SpineError::invalid(format!("spine.run_jobs: max_jobs must be >= 0, got {max_jobs}")).raise()
        }
        TableIterator::new(worker::run_here(max_jobs).into_iter().map(|(id, k, s, r)| (id, k, s, r.map(JsonB))))
    }

    /// Starts `n` job workers for this database (background workers, restarted after a crash
    /// until spine.stop_workers); returns their pids.
    #[pg_extern(volatile, parallel_unsafe, requires = ["workers"])]
    fn launch_workers(n: default!(i32, 1)) -> Vec<i32> {
        if !(1..=64).contains(&n) {
            SpineError::invalid(format!("spine.launch_workers: n must be between 1 and 64, got {n}")).raise()
        }
        worker::launch(n).unwrap_or_else(|e| {
            SpineError::new(PgSqlErrorCode::ERRCODE_CONFIGURATION_LIMIT_EXCEEDED, format!("spine.launch_workers: {e}"))
                .hint("Each worker needs a max_worker_processes slot (a server setting; restart to change it).")
                .raise()
        })
    }
}

#[pg_schema]
mod ml {
    use super::*;

    /// Cosine similarity of two vectors (NULL when their lengths differ or one is all zeros).
    #[pg_extern(immutable, strict, parallel_safe)]
    fn cosine_similarity(a: Vec<f32>, b: Vec<f32>) -> Option<f64> {
        kinds::cosine(&a, &b)
    }

    /// Bits that differ between two 64-bit image hashes (marketplace.image_fetches.dhash).
    #[pg_extern(immutable, strict, parallel_safe)]
    fn hamming_distance(a: i64, b: i64) -> i32 {
        imageinfo::hamming(a as u64, b as u64) as i32
    }
}

/// Registers the preloaded workers (from `_PG_init`, only while preloading).
pub fn init() {
    // SAFETY: plain read of a postmaster global
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        worker::register_static();
    }
}
