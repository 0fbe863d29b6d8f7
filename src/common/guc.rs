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

pub fn init() {
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
