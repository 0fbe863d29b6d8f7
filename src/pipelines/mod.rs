//! The six pipelines of the seed (DESIGN §7): their definitions and schedules (defs.rs, cron.rs),
//! the runner (runner.rs) and its steps (steps/), pg_cron scheduling (install.rs), settings.
//! Tables and views: sql/040_pipelines.sql. Design and decisions: docs/pipelines.md.

pub mod cron;
pub mod db;
pub mod defs;
pub mod install;
pub mod retry;
pub mod rules;
pub mod runner;
pub mod settings;
pub mod steps;

use crate::common::error::SpineError;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

pgrx::extension_sql_file!(
    "../../sql/040_pipelines.sql",
    name = "pipelines",
    requires = ["governance", spine::_pipeline_list, spine::_pipeline_settings, spine::_cron_jobs, spine::cron_next, spine::cron_overdue_since, spine::_setting]
);

fn pipeline_arg(func: &str, id: Option<&str>) -> &'static defs::Pipeline {
    let Some(id) = id else {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: pipeline_id must not be NULL"))
            .hint(format!("Name one of: {}.", defs::ids().join(", ")))
            .raise()
    };
    defs::find(id).unwrap_or_else(|| {
        SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("{func}: unknown pipeline \"{id}\""))
            .hint(format!("The pipelines are: {}.", defs::ids().join(", ")))
            .raise()
    })
}

fn schedule_arg(func: &str, text: &str) -> cron::Schedule {
    cron::parse(text).unwrap_or_else(|e| {
        SpineError::invalid(format!("{func}: \"{}\" is not a valid schedule", text.trim()))
            .detail(e.0)
            .hint("Five fields in UTC as pg_cron 1.4.2 reads them: minute hour day-of-month month day-of-week, e.g. '*/30 * * * *' or '15,45 8-23 * * *'.")
            .raise()
    })
}

/// Tell the caller when the cron job runs on another schedule than the one now resolved.
fn notice_if_installed_differs(id: &str) {
    if !install::cron_here() {
        return;
    }
    let now = install::resolved().into_iter().find(|r| r.id == id);
    for (name, _, schedule, ..) in install::jobs() {
        if let Some(r) = &now {
            if name == id && (schedule != r.schedule || !r.enabled) {
                pgrx::notice!("the pg_cron job {id} still runs on \"{schedule}\"; SELECT * FROM spine.install_schedules(); applies the change");
            }
        }
    }
}

#[pg_schema]
mod spine {
    use super::*;
    use pgrx::datum::{Interval, TimestampWithTimeZone};

    /// Runs one pipeline now: steps in order, never overlapping itself; returns the run.
    #[pg_extern(volatile, parallel_unsafe)]
    fn run_pipeline(id: Option<&str>) -> TableIterator<'static, (name!(run_id, i64), name!(pipeline_id, String), name!(status, String), name!(message, String))> {
        let r = runner::run(id);
        TableIterator::once((r.run_id, id.unwrap_or_default().to_string(), r.status, r.message))
    }

    /// Schedules every enabled pipeline with pg_cron (job name = pipeline ID); idempotent.
    #[pg_extern(volatile, parallel_unsafe)]
    fn install_schedules() -> TableIterator<'static, (name!(pipeline_id, String), name!(jobid, i64), name!(schedule, String))> {
        TableIterator::new(install::install())
    }

    /// Removes the pipelines' pg_cron jobs (those of the current user).
    #[pg_extern(volatile, parallel_unsafe)]
    fn uninstall_schedules() -> TableIterator<'static, (name!(pipeline_id, String), name!(jobid, i64))> {
        TableIterator::new(install::uninstall())
    }

    /// Overrides one pipeline's schedule (NULL or '' removes the override); returns the schedule
    /// it now resolves to. An invalid expression raises and changes nothing.
    #[pg_extern(volatile, parallel_unsafe)]
    fn set_schedule(pipeline_id: Option<&str>, schedule: Option<&str>) -> String {
        let p = pipeline_arg("spine.set_schedule", pipeline_id);
        let key = format!("schedule.{}", p.id);
        match schedule.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                schedule_arg("spine.set_schedule", s);
                db::put_setting(&key, Some(s));
            }
            None => db::put_setting(&key, None),
        }
        notice_if_installed_differs(p.id);
        install::resolved().into_iter().find(|r| r.id == p.id).map(|r| r.schedule).unwrap_or_default()
    }

    /// Enables or disables a pipeline (a disabled one is not scheduled and its runs are skipped).
    #[pg_extern(volatile, parallel_unsafe)]
    fn set_pipeline_enabled(pipeline_id: Option<&str>, enabled: Option<bool>) {
        let p = pipeline_arg("spine.set_pipeline_enabled", pipeline_id);
        let Some(enabled) = enabled else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "spine.set_pipeline_enabled: enabled must not be NULL").raise()
        };
        db::put_setting(&format!("enabled.{}", p.id), (!enabled).then_some("false"));
        notice_if_installed_differs(p.id);
    }

    /// Sets a pipeline setting (NULL resets it to its default); returns the value in force.
    #[pg_extern(volatile, parallel_unsafe)]
    fn set_setting(key: Option<&str>, value: Option<&str>) -> String {
        let Some(k) = key.and_then(settings::find) else {
            SpineError::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, format!("spine.set_setting: unknown setting {:?}", key.unwrap_or("NULL")))
                .hint("SELECT key, meaning FROM spine.pipeline_settings; lists them (schedules: spine.set_schedule; enabled: spine.set_pipeline_enabled).")
                .raise()
        };
        match value {
            None => db::put_setting(k.key, None),
            Some(v) => match db::validate_setting(k, v) {
                Ok(v) => db::put_setting(k.key, Some(&v)),
                Err(why) => SpineError::invalid(format!("spine.set_setting: {}: {why}", k.key)).detail(k.meaning).hint(format!("The default is {}.", k.default)).raise(),
            },
        }
        db::load_settings().get(k.key)
    }

    /// The value in force of a pipeline setting.
    #[pg_extern(stable, parallel_restricted)]
    fn _setting(key: &str) -> Option<String> {
        settings::find(key).map(|k| db::load_settings().get(k.key))
    }

    /// The first pg_cron fire time of `schedule` strictly after `after` (UTC, minute resolution).
    #[pg_extern(immutable, strict, parallel_safe)]
    fn cron_next(schedule: &str, after: TimestampWithTimeZone) -> Option<TimestampWithTimeZone> {
        if !after.is_finite() {
            return None;
        }
        let s = schedule_arg("spine.cron_next", schedule);
        s.next_after(after.into_inner()).map(|t| crate::common::error::timestamptz(t, "spine.cron_next: fire time out of range"))
    }

    /// The fire time since which a pipeline is overdue at `at`: the first one after `reference`
    /// (the last successful run) once `grace` has passed; NULL when not overdue.
    #[pg_extern(immutable, strict, parallel_safe)]
    fn cron_overdue_since(schedule: &str, reference: TimestampWithTimeZone, at: TimestampWithTimeZone, grace: Interval) -> Option<TimestampWithTimeZone> {
        if !reference.is_finite() || !at.is_finite() {
            return None;
        }
        let s = schedule_arg("spine.cron_overdue_since", schedule);
        // months as 30 days (PostgreSQL's own interval comparison)
        let grace_us = (i64::from(grace.months()) * 30 + i64::from(grace.days())) * 86_400_000_000 + grace.micros();
        cron::overdue_since(&s, reference.into_inner(), at.into_inner(), grace_us.max(0))
            .map(|t| crate::common::error::timestamptz(t, "spine.cron_overdue_since: time out of range"))
    }

    /// The statements that schedule the pipelines from the database where pg_cron lives
    /// (cron.schedule_in_database), for when that is not this one.
    #[pg_extern(stable, parallel_restricted)]
    fn cron_statements(
        database: default!(Option<&str>, "NULL"),
    ) -> TableIterator<'static, (name!(pipeline_id, String), name!(schedule, String), name!(statement, String))> {
        let db = database.map(str::to_string).unwrap_or_else(|| {
            Spi::get_one::<String>("SELECT current_database()::text").ok().flatten().unwrap_or_default()
        });
        let rows: Vec<(String, String, String)> = install::resolved()
            .into_iter()
            .filter(|r| r.enabled && r.error.is_none())
            .map(|r| {
                let stmt = Spi::get_one_with_args::<String>(
                    "SELECT format('SELECT cron.schedule_in_database(%L, %L, %L, %L);', $1, $2, $3, $4)",
                    &[r.id.into(), r.schedule.clone().into(), install::command(r.id).into(), db.clone().into()],
                )
                .ok()
                .flatten()
                .unwrap_or_default();
                (r.id.to_string(), r.schedule, stmt)
            })
            .collect();
        TableIterator::new(rows)
    }

    /// The six pipelines with their resolved schedules (view spine.pipelines).
    #[allow(clippy::type_complexity)]
    #[pg_extern(stable, parallel_restricted)]
    fn _pipeline_list() -> TableIterator<
        'static,
        (
            name!(pipeline_id, String),
            name!(schedule, String),
            name!(default_schedule, String),
            name!(enabled, bool),
            name!(schedule_source, String),
            name!(schedule_variable, Option<String>),
            name!(schedule_error, Option<String>),
            name!(steps, Vec<String>),
            name!(description, String),
            name!(lock_class, i64),
            name!(lock_key, i64),
            name!(installed_at, Option<TimestampWithTimeZone>),
        ),
    > {
        let settings = db::load_settings();
        let rows: Vec<_> = install::resolved()
            .into_iter()
            .filter_map(|r| {
                let p = defs::find(r.id)?;
                let installed = settings
                    .0
                    .get(&format!("installed_at.{}", p.id))
                    .and_then(|v| Spi::get_one_with_args::<TimestampWithTimeZone>("SELECT $1::timestamptz", &[v.clone().into()]).ok().flatten());
                Some((
                    p.id.to_string(),
                    r.schedule,
                    p.default_schedule.to_string(),
                    r.enabled,
                    r.source.label(),
                    p.variable.map(|(v, guc)| format!("{v} ({guc})")),
                    r.error,
                    p.steps.iter().map(|s| s.name.to_string()).collect(),
                    p.description.to_string(),
                    i64::from(defs::LOCK_CLASS),
                    i64::from(defs::lock_key(p.id) as u32),
                    installed,
                ))
            })
            .collect();
        TableIterator::new(rows)
    }

    /// The pipeline settings with defaults and meaning (view spine.pipeline_settings).
    #[pg_extern(stable, parallel_restricted)]
    fn _pipeline_settings() -> TableIterator<
        'static,
        (name!(key, String), name!(value, String), name!(default_value, String), name!(is_default, bool), name!(valid, bool), name!(meaning, String)),
    > {
        let s = db::load_settings();
        let rows: Vec<_> = settings::KEYS
            .iter()
            .map(|k| {
                let stored = s.0.get(k.key);
                let valid = stored.is_none_or(|v| settings::validate(k, v).is_ok());
                (k.key.to_string(), stored.cloned().unwrap_or_else(|| k.default.to_string()), k.default.to_string(), stored.is_none(), valid, k.meaning.to_string())
            })
            .collect();
        TableIterator::new(rows)
    }

    /// The pipelines' jobs in cron.job (none when pg_cron is not in this database).
    #[pg_extern(stable, parallel_restricted)]
    fn _cron_jobs() -> TableIterator<
        'static,
        (
            name!(jobname, String),
            name!(jobid, i64),
            name!(schedule, String),
            name!(command, String),
            name!(active, bool),
            name!(database, String),
            name!(username, String),
        ),
    > {
        TableIterator::new(install::jobs())
    }
}

#[cfg(any(test, feature = "pg_test"))]
mod sql_test;
