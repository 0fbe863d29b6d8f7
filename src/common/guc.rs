//! spine's settings (GUCs). Registered in `_PG_init`; the README's GUC table lists them.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// End of the demo generator's horizon (a timestamptz literal); empty = today, 00:00 UTC.
pub static DEMO_ANCHOR: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// How long a cached pass of `audit.require_certified` stands before the full check reruns
/// (seconds; 0 = every call runs the full check).
pub static GUARD_RECHECK_INTERVAL: GucSetting<i32> = GucSetting::<i32>::new(60);

/// Seconds between writes of the fast guard's pass counts (by the autonomous writer).
pub static VERDICT_FLUSH_INTERVAL: GucSetting<i32> = GucSetting::<i32>::new(10);

/// Superuser-only: lets a restore write the append-only audit tables (pg_dump's data).
pub static ALLOW_AUDIT_RESTORE: GucSetting<bool> = GucSetting::<bool>::new(false);

/// AUDIT_SCHEDULE of the seed: the schedule of audit_stale_listings_daily (empty = its default).
pub static AUDIT_SCHEDULE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// DAG_SCHEDULE_CRON of the seed: the schedule of status_sanity_audit_midnight and
/// survival_marketplace_daily (empty = their defaults).
pub static DAG_SCHEDULE_CRON: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// Refuses a schedule pg_cron 1.4.2 would not run (the error says why).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_schedule(newval: *mut *mut std::ffi::c_char, _extra: *mut *mut std::ffi::c_void, _source: pgrx::pg_sys::GucSource::Type) -> bool {
    if newval.is_null() || (*newval).is_null() {
        return true;
    }
    let text = std::ffi::CStr::from_ptr(*newval).to_string_lossy().into_owned();
    if text.trim().is_empty() {
        return true;
    }
    match crate::pipelines::cron::parse(&text) {
        Ok(_) => true,
        Err(e) => {
            let detail = CString::new(e.0.replace('\0', " ")).unwrap_or_default();
            pgrx::pg_sys::GUC_check_errdetail_string = pgrx::pg_sys::pstrdup(detail.as_ptr());
            false
        }
    }
}

/// The value of a schedule variable setting by its GUC name, None when unset or empty.
pub fn schedule_variable(guc: &str) -> Option<String> {
    match guc {
        "spine.audit_schedule" => string(&AUDIT_SCHEDULE),
        "spine.dag_schedule_cron" => string(&DAG_SCHEDULE_CRON),
        _ => None,
    }
}

/// Superuser-only: the ONNX Runtime shared library loaded (once per backend) on first ONNX use.
pub static ONNXRUNTIME_PATH: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"/usr/local/lib/spine/onnxruntime/libonnxruntime.so.1.31.1"));

/// Superuser-only: intra-op threads of a backend's ONNX Runtime (fixed when it is loaded).
pub static ONNX_THREADS: GucSetting<i32> = GucSetting::<i32>::new(1);

/// Job workers started with the server when spine is in shared_preload_libraries.
pub static WORKERS: GucSetting<i32> = GucSetting::<i32>::new(2);
/// The database the preloaded job workers serve.
pub static WORKER_DATABASE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"postgres"));
/// Milliseconds an idle job worker waits before looking at the queue again.
pub static WORKER_POLL_INTERVAL: GucSetting<i32> = GucSetting::<i32>::new(1000);
/// Seconds a claimed job stays with its worker before another worker may take it over.
pub static JOB_VISIBILITY_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(300);
/// Host names fetch_image jobs may fetch from (comma-separated, `*.example.com` allowed); empty = any public host.
pub static FETCH_ALLOW_HOSTS: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// Non-public addresses or CIDRs fetch_image jobs may connect to anyway (comma-separated).
pub static FETCH_ALLOW_ADDRESSES: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static FETCH_CONNECT_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(5000);
pub static FETCH_READ_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(10_000);
pub static FETCH_TOTAL_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(30_000);
/// Largest image body fetched, in kB.
pub static FETCH_MAX_BYTES: GucSetting<i32> = GucSetting::<i32>::new(10_240);
pub static FETCH_MAX_REDIRECTS: GucSetting<i32> = GucSetting::<i32>::new(3);
/// Media types fetch_image accepts (comma-separated).
pub static FETCH_CONTENT_TYPES: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"image/jpeg,image/png"));
/// Largest image (width × height) decoded by the image jobs.
pub static IMAGE_MAX_PIXELS: GucSetting<i32> = GucSetting::<i32>::new(40_000_000);

fn define_workers() {
    // postmaster-context settings can only be defined while the server starts (preloading);
    // without preloading there are no preloaded workers for them to configure
    // SAFETY: plain read of a postmaster global
    if unsafe { pgrx::pg_sys::process_shared_preload_libraries_in_progress } {
        GucRegistry::define_int_guc(
            c"spine.workers",
            c"Job workers started with the server when spine is in shared_preload_libraries (0 = none).",
            c"They serve the queue of spine.worker_database; spine.launch_workers starts more in any database.",
            &WORKERS,
            0,
            64,
            GucContext::Postmaster,
            GucFlags::default(),
        );
        GucRegistry::define_string_guc(
            c"spine.worker_database",
            c"The database whose job queue (spine.jobs) the preloaded job workers serve.",
            c"A worker waits, logging once, until spine is installed there.",
            &WORKER_DATABASE,
            GucContext::Postmaster,
            GucFlags::default(),
        );
    }
    GucRegistry::define_int_guc(
        c"spine.worker_poll_interval",
        c"How long an idle job worker waits before looking at the queue again.",
        c"A busy worker takes the next job at once.",
        &WORKER_POLL_INTERVAL,
        10,
        60_000,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"spine.job_visibility_timeout",
        c"How long a claimed job stays with its worker before another worker may take it over.",
        c"A job whose worker died is taken over at once; this bounds a worker that hangs. Keep it above spine.fetch_total_timeout.",
        &JOB_VISIBILITY_TIMEOUT,
        10,
        86_400,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_string_guc(
        c"spine.fetch_allow_hosts",
        c"Host names fetch_image jobs may fetch from (comma-separated; *.example.com matches subdomains); empty = any public host.",
        c"Checked on the first URL and on every redirect.",
        &FETCH_ALLOW_HOSTS,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"spine.fetch_allow_addresses",
        c"Non-public addresses or CIDRs fetch_image jobs may connect to anyway (comma-separated), e.g. 127.0.0.1 for a local test server.",
        c"Loopback, private, link-local, cloud metadata and other non-public addresses are refused unless listed here. Superuser only: workers read it from the server configuration (reload), spine.run_jobs from the session.",
        &FETCH_ALLOW_ADDRESSES,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(c"spine.fetch_connect_timeout", c"Connect timeout of fetch_image jobs.", c"", &FETCH_CONNECT_TIMEOUT, 100, 600_000, GucContext::Suset, GucFlags::UNIT_MS);
    GucRegistry::define_int_guc(c"spine.fetch_read_timeout", c"Timeout of each read of fetch_image jobs (a server that stops sending).", c"", &FETCH_READ_TIMEOUT, 100, 600_000, GucContext::Suset, GucFlags::UNIT_MS);
    GucRegistry::define_int_guc(c"spine.fetch_total_timeout", c"Longest a whole fetch_image request may take (a server that trickles).", c"", &FETCH_TOTAL_TIMEOUT, 100, 3_600_000, GucContext::Suset, GucFlags::UNIT_MS);
    GucRegistry::define_int_guc(c"spine.fetch_max_bytes", c"Largest image body fetch_image jobs accept.", c"A larger body is refused (the job is dead).", &FETCH_MAX_BYTES, 1, 1_048_576, GucContext::Suset, GucFlags::UNIT_KB);
    GucRegistry::define_int_guc(c"spine.fetch_max_redirects", c"Redirects a fetch_image job follows (each one checked again).", c"", &FETCH_MAX_REDIRECTS, 0, 20, GucContext::Suset, GucFlags::default());
    GucRegistry::define_string_guc(
        c"spine.fetch_content_types",
        c"Media types fetch_image jobs accept (comma-separated).",
        c"Anything else is refused (the job is dead).",
        &FETCH_CONTENT_TYPES,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"spine.image_max_pixels",
        c"Largest image (width × height) the image jobs decode.",
        c"Checked from the header before decoding.",
        &IMAGE_MAX_PIXELS,
        1,
        i32::MAX,
        GucContext::Sighup,
        GucFlags::default(),
    );
}

pub fn init() {
    define_workers();
    GucRegistry::define_string_guc(
        c"spine.onnxruntime_path",
        c"The ONNX Runtime shared library (libonnxruntime.so, 1.31 or newer) spine loads on first ONNX use.",
        c"make setup installs ONNX Runtime 1.31.1 from the PyPI wheel onnxruntime==1.31.1 at the default path. Each backend loads the library once; a change takes effect in new sessions.",
        &ONNXRUNTIME_PATH,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"spine.onnx_threads",
        c"Intra-op threads of each backend's ONNX Runtime (1 = the backend's own thread only).",
        c"Fixed when a backend first loads ONNX Runtime; a change takes effect in new sessions.",
        &ONNX_THREADS,
        1,
        64,
        GucContext::Suset,
        GucFlags::default(),
    );
    // SAFETY: check_schedule is #[pg_guard]ed and only reads the new value
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"spine.audit_schedule",
            c"Schedule of audit_stale_listings_daily (the seed's AUDIT_SCHEDULE); empty = 45 23 * * *.",
            c"A pg_cron 1.4.2 expression in UTC. spine.set_schedule overrides it; spine.install_schedules applies it.",
            &AUDIT_SCHEDULE,
            GucContext::Sighup,
            GucFlags::default(),
            Some(check_schedule),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"spine.dag_schedule_cron",
            c"Schedule of status_sanity_audit_midnight and survival_marketplace_daily (the seed's DAG_SCHEDULE_CRON); empty = their defaults.",
            c"A pg_cron 1.4.2 expression in UTC. spine.set_schedule overrides it per pipeline; spine.install_schedules applies it.",
            &DAG_SCHEDULE_CRON,
            GucContext::Sighup,
            GucFlags::default(),
            Some(check_schedule),
            None,
            None,
        );
    }
    GucRegistry::define_int_guc(
        c"spine.guard_recheck_interval",
        c"Seconds a cached pass of audit.require_certified stands before the full check reruns (0 = always).",
        c"Invalidation messages drop a cached pass at once when the store's definition, a function, type or the registry changes; this bounds how long the freshness watermark is trusted.",
        &GUARD_RECHECK_INTERVAL,
        0,
        86_400,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_int_guc(
        c"spine.verdict_flush_interval",
        c"Seconds between writes of audit.require_certified's pass counts to audit.guard_verdicts (0 = every pass at once).",
        c"Passes are counted in backend memory and written by a background worker; a failure writes them at once.",
        &VERDICT_FLUSH_INTERVAL,
        0,
        3600,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_bool_guc(
        c"spine.allow_audit_restore",
        c"Lets this session insert into spine's append-only audit tables (for restoring a pg_dump).",
        c"Only a superuser can set it. Updates and deletes stay refused.",
        &ALLOW_AUDIT_RESTORE,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"spine.demo_anchor",
        c"End of the synthetic marketplace's horizon (timestamptz); empty means today at 00:00 UTC.",
        c"spine.generate_demo_data observes listings in [anchor - days, anchor). Fix it to make generated data independent of the day it is generated on.",
        &DEMO_ANCHOR,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The setting as text, `None` when unset or empty.
pub fn string(setting: &GucSetting<Option<CString>>) -> Option<String> {
    setting.get().and_then(|c| c.into_string().ok()).filter(|s| !s.trim().is_empty())
}
