//! pg_cron: finding it at call time (spine does not require it: it lives in one database only),
//! installing and removing the six jobs (job name = pipeline ID, command = run_pipeline).

use super::{cron, db, defs};
use crate::common::error::{OrRaise, SpineError};
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

/// Is the pg_cron extension created in this database?
pub fn cron_here() -> bool {
    Spi::get_one::<bool>("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')")
        .or_raise("looking for pg_cron")
        .unwrap_or(false)
}

/// The cron job's command for a pipeline.
pub fn command(id: &str) -> String {
    // IDs are the constants of defs.rs: letters, digits and underscores only
    format!("SELECT spine.run_pipeline('{id}')")
}

/// Raises a clear error (55000) unless pg_cron can be used from this database.
pub fn require_cron(func: &str) {
    if cron_here() {
        return;
    }
    let (db, cron_db) = Spi::get_two::<String, String>("SELECT current_database()::text, current_setting('cron.database_name', true)")
        .or_raise("reading cron.database_name");
    let db = db.unwrap_or_default();
    match cron_db.filter(|d| !d.is_empty()) {
        Some(other) if other != db => SpineError::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("{func}: pg_cron lives in database \"{other}\", not in \"{db}\""),
        )
        .detail(format!("pg_cron (cron.database_name = '{other}') can be created in one database only; spine's pipelines run in \"{db}\"."))
        .hint(format!(
            "Connect to \"{other}\" and schedule the jobs there with cron.schedule_in_database(job_name, schedule, command, '{db}'): \
             SELECT statement FROM spine.cron_statements(); in \"{db}\" prints the six statements."
        ))
        .raise(),
        Some(_) => SpineError::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("{func}: pg_cron is preloaded for this database but the extension is not created"),
        )
        .hint("CREATE EXTENSION pg_cron; then call it again.")
        .raise(),
        None => SpineError::new(PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, format!("{func}: pg_cron is not installed"))
            .detail("cron.database_name is not set: pg_cron is not in shared_preload_libraries.")
            .hint(format!(
                "Add pg_cron to shared_preload_libraries, set cron.database_name = '{db}', restart, CREATE EXTENSION pg_cron — \
                 or run the pipelines from any scheduler with SELECT spine.run_pipeline('<pipeline_id>')."
            ))
            .raise(),
    }
}

/// A pipeline's resolved schedule, validated.
pub struct Resolved {
    pub id: &'static str,
    pub schedule: String,
    pub source: defs::Source,
    pub enabled: bool,
    pub error: Option<String>,
}

pub fn resolved() -> Vec<Resolved> {
    let s = db::load_settings();
    defs::PIPELINES
        .iter()
        .map(|p| {
            let var = p.variable.and_then(|(_, guc)| crate::common::guc::schedule_variable(guc));
            let (schedule, source) = defs::resolve(p, s.schedule_override(p.id), var.as_deref());
            let error = cron::parse(&schedule).err().map(|e| e.0);
            Resolved { id: p.id, schedule, source, enabled: s.enabled(p.id), error }
        })
        .collect()
}

fn job_of(id: &str) -> Option<(i64, String)> {
    let (jobid, schedule) = Spi::get_two_with_args::<i64, String>(
        "SELECT j.jobid, j.schedule FROM (SELECT 1) x LEFT JOIN cron.job j ON j.jobname = $1 AND j.username = current_user",
        &[id.into()],
    )
    .or_raise("reading cron.job");
    jobid.zip(schedule)
}

/// Schedules every enabled pipeline (idempotent: pg_cron updates a job of the same name) and
/// removes the job of a disabled one. Returns (pipeline_id, jobid, schedule) per enabled one.
pub fn install() -> Vec<(String, i64, String)> {
    require_cron("spine.install_schedules");
    let all = resolved();
    if let Some(bad) = all.iter().find(|r| r.error.is_some()) {
        SpineError::invalid(format!("spine.install_schedules: pipeline {} has an invalid schedule \"{}\"", bad.id, bad.schedule))
            .detail(format!("{} (from {})", bad.error.clone().unwrap_or_default(), bad.source.label()))
            .hint(format!("Fix it with SELECT spine.set_schedule('{}', '<cron expression>'); nothing was scheduled.", bad.id))
            .raise()
    }
    let mut out = Vec::new();
    for r in &all {
        if r.enabled {
            let jobid = Spi::get_one_with_args::<i64>("SELECT cron.schedule($1, $2, $3)", &[r.id.into(), r.schedule.clone().into(), command(r.id).into()])
                .or_raise("scheduling a pipeline with pg_cron")
                .unwrap_or(0);
            let key = format!("installed_at.{}", r.id);
            Spi::run_with_args(
                "INSERT INTO spine.settings (key, value) VALUES ($1, now()::text) ON CONFLICT (key) DO NOTHING",
                &[key.into()],
            )
            .or_raise("recording when the schedule was installed");
            out.push((r.id.to_string(), jobid, r.schedule.clone()));
        } else if let Some((jobid, _)) = job_of(r.id) {
            Spi::run_with_args("SELECT cron.unschedule($1::bigint)", &[jobid.into()]).or_raise("removing a disabled pipeline's job");
        }
    }
    out
}

/// Removes the pipelines' jobs (of the current user). Returns (pipeline_id, jobid) removed.
pub fn uninstall() -> Vec<(String, i64)> {
    require_cron("spine.uninstall_schedules");
    let mut out = Vec::new();
    for id in defs::ids() {
        if let Some((jobid, _)) = job_of(id) {
            Spi::run_with_args("SELECT cron.unschedule($1::bigint)", &[jobid.into()]).or_raise("removing a pipeline's job");
            out.push((id.to_string(), jobid));
        }
    }
    Spi::run("DELETE FROM spine.settings WHERE key LIKE 'installed\\_at.%'").or_raise("forgetting install times");
    out
}

/// The jobs of the pipelines in cron.job (empty when pg_cron is not in this database).
pub fn jobs() -> Vec<(String, i64, String, String, bool, String, String)> {
    if !cron_here() {
        return Vec::new();
    }
    Spi::connect(|c| {
        c.select(
            "SELECT jobname::text, jobid, schedule::text, command::text, active, database::text, username::text FROM cron.job WHERE jobname = ANY($1) ORDER BY jobname, jobid",
            None,
            &[defs::ids().into()],
        )
        .or_raise("reading cron.job")
        .filter_map(|r| {
            Some((
                r.get::<String>(1).ok()??,
                r.get::<i64>(2).ok()??,
                r.get::<String>(3).ok()??,
                r.get::<String>(4).ok()??,
                r.get::<bool>(5).ok()??,
                r.get::<String>(6).ok()??,
                r.get::<String>(7).ok()??,
            ))
        })
        .collect()
    })
}
