//! In-database tests (#[pg_test]) of the pipelines: definitions and schedules, pg_cron install,
//! the runner (retries, skips, failures, retention), every builtin step on hand-made data, the
//! status view.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::common::subxact::{self, Caught};
    use pgrx::prelude::*;

    fn s(sql: &str) -> String {
        Spi::get_one::<String>(sql).unwrap().unwrap_or_else(|| "<NULL>".into())
    }

    fn i(sql: &str) -> i64 {
        Spi::get_one::<i64>(sql).unwrap().unwrap()
    }

    fn run(sql: &str) {
        Spi::run(sql).unwrap()
    }

    /// The error `sql` raises (it must raise).
    fn caught(sql: &str) -> Caught {
        let sql = sql.to_string();
        match subxact::run(false, move || Spi::run(&sql)) {
            Ok(_) => panic!("no error"),
            Err(c) => c,
        }
    }

    fn run_pipeline(id: &str) -> (i64, String) {
        let (r, st) = Spi::get_two_with_args::<i64, String>("SELECT run_id, status FROM spine.run_pipeline($1)", &[id.into()]).unwrap();
        (r.unwrap(), st.unwrap())
    }

    /// "step|status|rows|attempts|sqlstate|message" per step of a run.
    fn steps(run_id: i64) -> String {
        Spi::get_one_with_args::<String>(
            "SELECT string_agg(concat_ws('|', step, status, coalesce(rows_affected::text, '-'), attempts, coalesce(error_sqlstate, '-'), coalesce(message, '-')), E'\\n' ORDER BY step_no)
             FROM spine.pipeline_steps WHERE run_id = $1",
            &[run_id.into()],
        )
        .unwrap()
        .unwrap_or_default()
    }

    fn listing(src_id: &str, status: &str, first: &str, last: &str) -> i64 {
        Spi::get_one_with_args::<i64>(
            &format!(
                "INSERT INTO marketplace.listings (source, source_listing_id, make, model, year, price_eur, status, first_seen_at, last_seen_at, status_changed_at)
                 VALUES ('t', $1, 'VW', 'Golf', 2019, 15000, $2, {first}, {last}, CASE WHEN $2 <> 'active' THEN {last} END) RETURNING listing_id"
            ),
            &[src_id.into(), status.into()],
        )
        .unwrap()
        .unwrap()
    }

    fn row(id: &str, at: &str, extra: &str) -> String {
        format!(r#"{{"source_listing_id": "{id}", "observed_at": "{at}", "make": "VW", "model": "Golf", "year": 2019, "price_eur": 15000{extra}}}"#)
    }

    fn land(source: &str, rows: &[String]) -> i64 {
        Spi::get_one_with_args::<i64>("SELECT spine.land_batch($1, $2::jsonb)", &[source.into(), format!("[{}]", rows.join(",")).into()]).unwrap().unwrap()
    }

    // ------------------------------------------------------------------ definitions, schedules

    #[pg_test]
    fn six_pipelines_with_the_seed_schedules() {
        assert_eq!(
            s("SELECT string_agg(concat_ws('|', pipeline_id, schedule, default_schedule, enabled, schedule_source, coalesce(schedule_variable, '-')), E'\\n' ORDER BY pipeline_id) FROM spine.pipelines"),
            "audit_stale_listings_daily|45 23 * * *|45 23 * * *|t|default|AUDIT_SCHEDULE (spine.audit_schedule)\n\
             marketplace_db_healing_pipeline_30m|*/30 * * * *|*/30 * * * *|t|default|-\n\
             marketplace_image_pipeline_30m|*/30 * * * *|*/30 * * * *|t|default|-\n\
             marketplace_ingest_and_audit|*/30 * * * *|*/30 * * * *|t|default|-\n\
             status_sanity_audit_midnight|0 0 * * *|0 0 * * *|t|default|DAG_SCHEDULE_CRON (spine.dag_schedule_cron)\n\
             survival_marketplace_daily|15,45 8-23 * * *|15,45 8-23 * * *|t|default|DAG_SCHEDULE_CRON (spine.dag_schedule_cron)"
        );
        assert_eq!(
            s("SELECT array_to_string(steps, ',') FROM spine.pipelines WHERE pipeline_id = 'survival_marketplace_daily'"),
            "reverse_monitor,survival_labels,survival_scoring"
        );
    }

    #[pg_test]
    fn set_schedule_overrides_and_an_invalid_one_changes_nothing() {
        assert_eq!(s("SELECT spine.set_schedule('survival_marketplace_daily', ' 0 6 * * 1-5 ')"), "0 6 * * 1-5");
        assert_eq!(
            s("SELECT schedule || '|' || schedule_source FROM spine.pipelines WHERE pipeline_id = 'survival_marketplace_daily'"),
            "0 6 * * 1-5|override (spine.set_schedule)"
        );
        let c = caught("SELECT spine.set_schedule('survival_marketplace_daily', '0 25 * * *')");
        assert_eq!((c.sqlstate.as_str(), c.message.as_str()), ("22023", "spine.set_schedule: \"0 25 * * *\" is not a valid schedule"));
        assert_eq!(c.detail.as_deref(), Some("hour field \"25\": 25 is outside 0..23"));
        let c = caught("SELECT spine.set_schedule('survival_marketplace_daily', '0 0 * * * *')");
        assert_eq!(c.detail.as_deref(), Some("a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has 6: pg_cron 1.4.2 has no seconds field"));
        assert_eq!(s("SELECT schedule FROM spine.pipelines WHERE pipeline_id = 'survival_marketplace_daily'"), "0 6 * * 1-5");
        let c = caught("SELECT spine.set_schedule('no_such_dag', '* * * * *')");
        assert_eq!((c.sqlstate.as_str(), c.message.as_str()), ("42704", "spine.set_schedule: unknown pipeline \"no_such_dag\""));
        let c = caught("SELECT spine.set_schedule(NULL, '* * * * *')");
        assert_eq!(c.sqlstate, "22004");
        // NULL removes the override: back to the seed's default
        assert_eq!(s("SELECT spine.set_schedule('survival_marketplace_daily', NULL)"), "15,45 8-23 * * *");
        assert_eq!(i("SELECT count(*) FROM spine.settings WHERE key LIKE 'schedule.%'"), 0);
    }

    #[pg_test]
    fn cron_next_and_overdue_in_sql() {
        assert_eq!(s("SELECT to_char(spine.cron_next('15,45 8-23 * * *', '2026-11-01 23:50+00') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"), "2026-11-02 08:15");
        // the session's time zone changes nothing: pg_cron 1.4.2 runs on UTC
        run("SET LOCAL TimeZone = 'Europe/Berlin'");
        assert_eq!(s("SELECT to_char(spine.cron_next('45 23 * * *', '2026-03-29 00:30+00') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"), "2026-03-29 23:45");
        assert_eq!(s("SELECT spine.cron_next('45 23 * * *', '2026-03-29 00:30+00')::text"), "2026-03-30 01:45:00+02");
        assert_eq!(
            s("SELECT coalesce(spine.cron_overdue_since('*/30 * * * *', '2026-11-01 12:00:01+00', '2026-11-01 12:39:59+00', '10 minutes')::text, 'not overdue')"),
            "not overdue"
        );
        assert_eq!(
            s("SELECT to_char(spine.cron_overdue_since('*/30 * * * *', '2026-11-01 12:00:01+00', '2026-11-01 12:40:00+00', '10 minutes') AT TIME ZONE 'UTC', 'HH24:MI')"),
            "12:30"
        );
        assert_eq!(i("SELECT count(*) FROM (SELECT spine.cron_next(NULL, now()) AS n) x WHERE x.n IS NULL"), 1);
        let c = caught("SELECT spine.cron_next('0 0 31 2 *', now())");
        assert_eq!((c.sqlstate.as_str(), c.detail.as_deref()), ("22023", Some("\"0 0 31 2 *\" never fires: no selected day-of-month (31) exists in a selected month (2)")));
    }

    #[pg_test]
    fn settings_are_checked() {
        assert_eq!(s("SELECT spine.set_setting('survival.missed_cycles', ' 5 ')"), "5");
        assert_eq!(s("SELECT value || '|' || is_default FROM spine.pipeline_settings WHERE key = 'survival.missed_cycles'"), "5|false");
        let c = caught("SELECT spine.set_setting('survival.missed_cycles', '0')");
        assert_eq!((c.sqlstate.as_str(), c.message.as_str()), ("22023", "spine.set_setting: survival.missed_cycles: 0 is outside 1..1000"));
        let c = caught("SELECT spine.set_setting('pipelines.history_retention', '-1 day')");
        assert_eq!(c.message, "spine.set_setting: pipelines.history_retention: \"-1 day\" is not a positive interval (e.g. '30 days', '10 minutes')");
        let c = caught("SELECT spine.set_setting('pipelines.history_retention', 'forever')");
        assert_eq!(c.sqlstate, "22023");
        let c = caught("SELECT spine.set_setting('survival.missed_cycle', '3')");
        assert_eq!((c.sqlstate.as_str(), c.message.as_str()), ("42704", "spine.set_setting: unknown setting \"survival.missed_cycle\""));
        assert_eq!(s("SELECT spine.set_setting('survival.missed_cycles', NULL)"), "3");
        assert_eq!(s("SELECT spine.set_setting('pipelines.history_retention', '7 days')"), "7 days");
        assert_eq!(i("SELECT count(*) FROM spine.pipeline_settings"), 27);
    }

    // ------------------------------------------------------------------ pg_cron

    #[pg_test]
    fn install_without_the_pg_cron_extension_is_a_clear_error() {
        let c = caught("SELECT * FROM spine.install_schedules()");
        assert_eq!(
            (c.sqlstate.as_str(), c.message.as_str()),
            ("55000", "spine.install_schedules: pg_cron is preloaded for this database but the extension is not created")
        );
        assert_eq!(i("SELECT count(*) FROM spine._cron_jobs()"), 0);
    }

    #[pg_test]
    fn install_twice_gives_six_jobs_with_the_same_ids_and_exact_schedules() {
        run("CREATE EXTENSION IF NOT EXISTS pg_cron");
        let q = "SELECT string_agg(pipeline_id || '|' || jobid || '|' || schedule, E'\\n' ORDER BY pipeline_id) FROM spine.install_schedules()";
        let first = s(q);
        assert_eq!(s(q), first);
        assert_eq!(i("SELECT count(*) FROM cron.job"), 6);
        assert_eq!(
            s("SELECT string_agg(jobname || '|' || schedule || '|' || command || '|' || active, E'\\n' ORDER BY jobname) FROM cron.job"),
            "audit_stale_listings_daily|45 23 * * *|SELECT spine.run_pipeline('audit_stale_listings_daily')|true\n\
             marketplace_db_healing_pipeline_30m|*/30 * * * *|SELECT spine.run_pipeline('marketplace_db_healing_pipeline_30m')|true\n\
             marketplace_image_pipeline_30m|*/30 * * * *|SELECT spine.run_pipeline('marketplace_image_pipeline_30m')|true\n\
             marketplace_ingest_and_audit|*/30 * * * *|SELECT spine.run_pipeline('marketplace_ingest_and_audit')|true\n\
             status_sanity_audit_midnight|0 0 * * *|SELECT spine.run_pipeline('status_sanity_audit_midnight')|true\n\
             survival_marketplace_daily|15,45 8-23 * * *|SELECT spine.run_pipeline('survival_marketplace_daily')|true"
        );
        assert_eq!(s("SELECT string_agg(jobid::text, ',' ORDER BY jobname) FROM cron.job"), s("SELECT string_agg(jobid::text, ',' ORDER BY pipeline_id) FROM spine.install_schedules()"));
        // override and re-install: same job, new schedule
        let id = i("SELECT jobid FROM cron.job WHERE jobname = 'marketplace_ingest_and_audit'");
        run("SELECT spine.set_schedule('marketplace_ingest_and_audit', '*/5 * * * *')");
        assert_eq!(s("SELECT cron_schedule || '|' || schedule FROM spine.pipeline_status WHERE pipeline_id = 'marketplace_ingest_and_audit'"), "*/30 * * * *|*/5 * * * *");
        assert_eq!(s("SELECT jobid || '|' || schedule FROM spine.install_schedules() WHERE pipeline_id = 'marketplace_ingest_and_audit'"), format!("{id}|*/5 * * * *"));
        assert_eq!(s("SELECT jobid || '|' || schedule FROM cron.job WHERE jobname = 'marketplace_ingest_and_audit'"), format!("{id}|*/5 * * * *"));
        assert_eq!(i("SELECT count(*) FROM cron.job"), 6);
        // a disabled pipeline is not scheduled
        run("SELECT spine.set_pipeline_enabled('marketplace_image_pipeline_30m', false)");
        assert_eq!(i("SELECT count(*) FROM spine.install_schedules()"), 5);
        assert_eq!(i("SELECT count(*) FROM cron.job"), 5);
        assert_eq!(s("SELECT cron_jobid::text || '|' || schedule FROM spine.pipeline_status WHERE pipeline_id = 'marketplace_ingest_and_audit'"), format!("{id}|*/5 * * * *"));
        assert_eq!(i("SELECT count(*) FROM spine.uninstall_schedules()"), 5);
        assert_eq!(i("SELECT count(*) FROM cron.job"), 0);
        // the statements for a pg_cron living elsewhere
        assert_eq!(
            s("SELECT statement FROM spine.cron_statements('shop') WHERE pipeline_id = 'survival_marketplace_daily'"),
            "SELECT cron.schedule_in_database('survival_marketplace_daily', '15,45 8-23 * * *', 'SELECT spine.run_pipeline(''survival_marketplace_daily'')', 'shop');"
        );
        assert_eq!(i("SELECT count(*) FROM spine.cron_statements()"), 5);
    }

    // ------------------------------------------------------------------ the runner

    #[pg_test]
    fn unknown_and_null_pipelines_are_refused() {
        let c = caught("SELECT * FROM spine.run_pipeline('marketplace_ingest')");
        assert_eq!((c.sqlstate.as_str(), c.message.as_str()), ("42704", "spine.run_pipeline: unknown pipeline \"marketplace_ingest\""));
        assert_eq!(caught("SELECT * FROM spine.run_pipeline(NULL)").sqlstate, "22004");
        assert_eq!(i("SELECT count(*) FROM spine.pipeline_runs"), 0);
    }

    #[pg_test]
    fn a_disabled_pipeline_records_a_skipped_run() {
        run("SELECT spine.set_pipeline_enabled('marketplace_image_pipeline_30m', false)");
        assert_eq!(s("SELECT enabled::text FROM spine.pipelines WHERE pipeline_id = 'marketplace_image_pipeline_30m'"), "false");
        let (r, st) = run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(st, "skipped");
        assert_eq!(s(&format!("SELECT message FROM spine.pipeline_runs WHERE run_id = {r}")), "skipped: pipeline disabled (spine.set_pipeline_enabled)");
        assert_eq!(i(&format!("SELECT count(*) FROM spine.pipeline_steps WHERE run_id = {r}")), 0);
        run("SELECT spine.set_pipeline_enabled('marketplace_image_pipeline_30m', true)");
        let (_, st) = run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(st, "partial");
    }

    #[pg_test]
    fn slots_are_skipped_visibly_when_absent_and_transient_errors_are_retried() {
        run("SELECT spine.set_setting('pipelines.retry_base_ms', '0')");
        // a slot whose function is missing is skipped visibly; steps whose model is not
        // configured are skipped with the setting to set; the run is partial
        run("ALTER EXTENSION spine DROP FUNCTION spine.image_fetch_pending()");
        run("DROP FUNCTION spine.image_fetch_pending()");
        let (r, st) = run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(st, "partial");
        assert_eq!(
            steps(r),
            "image_fetch|skipped|-|0|-|skipped: spine.image_fetch_pending() is not installed (this step's logic is provided by another part of spine)\n\
             image_label_colour|succeeded|0|1|-|-\n\
             image_label_damage|skipped|-|0|-|skipped: no damage classifier configured: spine.set_setting('images.damage_model', name)\n\
             image_embed|skipped|-|0|-|skipped: no embedding model configured: spine.set_setting('images.text_model' or 'images.image_model', name)"
        );
        // a deadlock on the first attempt, then success (a sequence counts: it is not rolled back)
        run("CREATE SEQUENCE pg_temp.calls");
        run("CREATE FUNCTION spine.image_fetch_pending() RETURNS bigint LANGUAGE plpgsql AS $$
             BEGIN
               IF nextval('pg_temp.calls') < 2 THEN RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected'; END IF;
               RETURN 7;
             END $$");
        let (r, st) = run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(st, "partial");
        assert_eq!(
            steps(r).lines().next().unwrap_or_default(),
            "image_fetch|succeeded|7|2|-|-"
        );
        // a deadlock every time: three attempts, then the run fails and the later steps do not run
        run("CREATE OR REPLACE FUNCTION spine.image_fetch_pending() RETURNS bigint LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected'; END $$");
        let (r, st) = run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(st, "failed");
        assert_eq!(
            steps(r),
            "image_fetch|failed|-|3|40P01|transient error, still failing after 3 attempt(s)\n\
             image_label_colour|not_run|-|0|-|not run: step image_fetch failed\n\
             image_label_damage|not_run|-|0|-|not run: step image_fetch failed\n\
             image_embed|not_run|-|0|-|not run: step image_fetch failed"
        );
        assert_eq!(s(&format!("SELECT message FROM spine.pipeline_runs WHERE run_id = {r}")), "step image_fetch failed: simulated deadlock");
        // not transient: one attempt; an own SQLSTATE arrives intact
        run("CREATE OR REPLACE FUNCTION spine.image_fetch_pending() RETURNS bigint LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'not certified' USING ERRCODE = 'SP001', DETAIL = 'store x'; END $$");
        let (r, _) = run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(s(&format!("SELECT concat_ws('|', status, attempts, error_sqlstate, error) FROM spine.pipeline_steps WHERE run_id = {r} AND step_no = 1")), "failed|1|SP001|not certified (DETAIL: store x)");
        // a failed step leaves nothing behind
        run("CREATE OR REPLACE FUNCTION spine.image_fetch_pending() RETURNS bigint LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO spine.settings VALUES ('leftover', 'x'); RAISE EXCEPTION 'late failure'; END $$");
        run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(i("SELECT count(*) FROM spine.settings WHERE key = 'leftover'"), 0);
    }

    #[pg_test]
    fn the_healing_pipeline_runs_the_healing_functions() {
        run("SET LOCAL spine.demo_anchor = '2026-11-01 00:00+00'");
        run("SELECT spine.generate_demo_data(1500, 60, 7)");
        let (r, st) = run_pipeline("marketplace_db_healing_pipeline_30m");
        assert_eq!(st, "succeeded");
        assert_eq!(
            s(&format!("SELECT string_agg(step || ':' || status, ',' ORDER BY step_no) FROM spine.pipeline_steps WHERE run_id = {r}")),
            "dedupe:succeeded,duplicate_status_sync:succeeded,battery_refit:succeeded,make_model_normalisation:succeeded"
        );
        // the steps report what the healing functions did (their own run ids are kept)
        assert_eq!(
            i(&format!("SELECT rows_affected FROM spine.pipeline_steps WHERE run_id = {r} AND step = 'dedupe'")),
            i("SELECT count(*) FROM marketplace.listings WHERE canonical_listing_id IS NOT NULL")
        );
        assert!(i("SELECT count(*) FROM marketplace.listings WHERE canonical_listing_id IS NOT NULL") > 0);
        assert_eq!(
            i(&format!(
                "SELECT count(*) FROM spine.healing_runs h JOIN spine.pipeline_steps s ON (s.details->>'run_id')::bigint = h.run_id
                 WHERE s.run_id = {r} AND s.step IN ('dedupe', 'battery_refit', 'make_model_normalisation')"
            )),
            3
        );
        assert!(i(&format!("SELECT rows_affected FROM spine.pipeline_steps WHERE run_id = {r} AND step = 'battery_refit'")) > 0);
        // a second run: the incremental dedupe finds nothing new
        let (r, _) = run_pipeline("marketplace_db_healing_pipeline_30m");
        assert_eq!(i(&format!("SELECT rows_affected FROM spine.pipeline_steps WHERE run_id = {r} AND step = 'dedupe'")), 0);
    }

    #[pg_test]
    fn history_older_than_the_retention_is_trimmed() {
        run("INSERT INTO spine.pipeline_runs (run_id, pipeline_id, status, trigger, started_at) VALUES
             (-1, 'status_sanity_audit_midnight', 'succeeded', 'cron', now() - interval '40 days'),
             (-2, 'status_sanity_audit_midnight', 'succeeded', 'cron', now() - interval '20 days')");
        run("INSERT INTO spine.pipeline_steps (run_id, step_no, step, status) VALUES (-1, 1, 'status_sanity_audit', 'succeeded')");
        let (r, _) = run_pipeline("status_sanity_audit_midnight");
        assert_eq!(s("SELECT string_agg(run_id::text, ',' ORDER BY run_id) FROM spine.pipeline_runs WHERE run_id < 0"), "-2");
        assert_eq!(i("SELECT count(*) FROM spine.pipeline_steps WHERE run_id = -1"), 0);
        assert_eq!(s(&format!("SELECT details->'history_trimmed'->>'runs' FROM spine.pipeline_runs WHERE run_id = {r}")), "1");
        run("SELECT spine.set_setting('pipelines.history_retention', '1 day')");
        run_pipeline("status_sanity_audit_midnight");
        assert_eq!(i("SELECT count(*) FROM spine.pipeline_runs WHERE run_id < 0"), 0);
    }

    #[pg_test]
    fn status_view_last_success_next_due_and_overdue() {
        run("INSERT INTO spine.pipeline_runs (pipeline_id, status, trigger, started_at, finished_at) VALUES
             ('marketplace_image_pipeline_30m', 'partial', 'cron', now() - interval '2 hours', now() - interval '2 hours'),
             ('marketplace_image_pipeline_30m', 'failed', 'cron', now() - interval '1 hour', now() - interval '1 hour')");
        // independent: the next half-hour boundary after the last success (date_bin)
        assert_eq!(
            s("SELECT concat_ws('|', last_run_status, last_success_at = now() - interval '2 hours',
                                overdue_since = date_bin('30 minutes', now() - interval '2 hours', timestamptz '2000-01-01 00:00+00') + interval '30 minutes',
                                overdue, next_due_at = date_bin('30 minutes', now(), timestamptz '2000-01-01 00:00+00') + interval '30 minutes', running)
               FROM spine.pipeline_status WHERE pipeline_id = 'marketplace_image_pipeline_30m'"),
            "failed|t|t|t|t|f"
        );
        // a fresh success: not overdue
        run_pipeline("marketplace_image_pipeline_30m");
        assert_eq!(s("SELECT concat_ws('|', last_run_status, overdue, running) FROM spine.pipeline_status WHERE pipeline_id = 'marketplace_image_pipeline_30m'"), "partial|f|t");
        // never run, never installed: nothing to be overdue against
        assert_eq!(s("SELECT coalesce(overdue::text, 'unknown') FROM spine.pipeline_status WHERE pipeline_id = 'audit_stale_listings_daily'"), "unknown");
        run("SET LOCAL TimeZone = 'Europe/Berlin'");
        assert_eq!(s("SELECT to_char(next_due_at AT TIME ZONE 'UTC', 'HH24:MI') FROM spine.pipeline_status WHERE pipeline_id = 'audit_stale_listings_daily'"), "23:45");
    }

    // ------------------------------------------------------------------ ingest and audit

    fn regions() {
        run("INSERT INTO marketplace.regions VALUES ('DE-BY', 'Bayern', 'DE', 'de', 48.8, 11.5) ON CONFLICT DO NOTHING");
    }

    #[pg_test]
    fn ingest_and_audit_finds_implausible_values_once() {
        regions();
        let b = land(
            "site",
            &[
                row("ok", "2026-10-01T08:00:00Z", r#", "mileage_km": 61000, "vin": "WVWZZZ1KZAW000001""#),
                row("cheap", "2026-10-01T08:00:00Z", r#", "price_eur": 120"#).replace(r#""price_eur": 15000, "price_eur": 120"#, r#""price_eur": 120"#),
                row("placeholder", "2026-10-01T08:00:00Z", r#", "mileage_km": 0"#).replace(r#""year": 2019"#, r#""year": 2010"#),
                row("old", "2026-10-01T08:00:00Z", "").replace(r#""year": 2019"#, r#""year": 1930"#),
                r#"{"source_listing_id": "bad"}"#.to_string(),
            ],
        );
        let (r, st) = run_pipeline("marketplace_ingest_and_audit");
        assert_eq!(st, "succeeded");
        assert_eq!(
            steps(r),
            "ingest_landing|succeeded|5|1|-|1 batch(es), 5 row(s)\naudit_batches|succeeded|4|1|-|1 batch(es) audited, 4 finding(s)"
        );
        assert_eq!(
            s("SELECT string_agg(kind || '|' || severity || '|' || coalesce(l.source_listing_id, '-') || '|' || coalesce(f.details->>'reason', f.details->>'rate'), E'\\n' ORDER BY kind, l.source_listing_id)
               FROM audit.findings f LEFT JOIN marketplace.listings l USING (listing_id)"),
            "implausible_mileage|warning|placeholder|0 km on a 2010 vehicle looks like a placeholder\n\
             implausible_price|warning|cheap|price 120.00 EUR is below 500\n\
             implausible_year|warning|old|year 1930 is before 1950\n\
             quarantine_rate|warning|-|0.2"
        );
        assert_eq!(i(&format!("SELECT count(*) FROM audit.findings WHERE run_id = {r} AND batch_id = {b}")), 4);
        assert_eq!(
            s(&format!("SELECT concat_ws('|', rows_total, rows_good, rows_quarantined, null_rates->>'vin', null_rates->>'mileage_km', null_rates->>'image_urls') FROM spine.batch_profiles WHERE batch_id = {b}")),
            "5|4|1|0.75|0.5|1.0"
        );
        // again: nothing to ingest or audit, no finding repeated
        let (r2, _) = run_pipeline("marketplace_ingest_and_audit");
        assert_eq!(steps(r2), "ingest_landing|succeeded|0|1|-|0 batch(es), 0 row(s)\naudit_batches|succeeded|0|1|-|0 batch(es) audited, 0 finding(s)");
        assert_eq!(i("SELECT count(*) FROM audit.findings"), 4);
        // the same implausible price in a later batch is the same finding
        land("site", &[row("cheap", "2026-10-02T08:00:00Z", r#", "price_eur": 120"#).replace(r#""price_eur": 15000, "price_eur": 120"#, r#""price_eur": 120"#)]);
        run_pipeline("marketplace_ingest_and_audit");
        assert_eq!(i("SELECT count(*) FROM audit.findings WHERE kind = 'implausible_price'"), 1);
    }

    #[pg_test]
    fn volume_drops_and_null_rate_jumps_against_the_source_baseline() {
        let full: Vec<String> = (0..10).map(|k| row(&format!("v{k}"), "2026-10-01T08:00:00Z", &format!(r#", "vin": "WVWZZZ1KZAW{:06}""#, k))).collect();
        for day in 1..=3 {
            let rows: Vec<String> = full.iter().map(|r| r.replace("2026-10-01", &format!("2026-10-0{day}"))).collect();
            land("feed", &rows);
        }
        let b4 = land("feed", &(0..3).map(|k| row(&format!("v{k}"), "2026-10-04T08:00:00Z", "")).collect::<Vec<_>>());
        run_pipeline("marketplace_ingest_and_audit");
        assert_eq!(
            s(&format!("SELECT string_agg(kind || ':' || details::text, E'\\n' ORDER BY kind) FROM audit.findings WHERE batch_id = {b4}")),
            "null_rate_jump:{\"field\": \"vin\", \"source\": \"feed\", \"baseline\": 0.0, \"null_rate\": 1.0, \"max_increase\": 0.2, \"baseline_batches\": 3}\n\
             volume_drop:{\"drop\": 0.7, \"rows\": 3, \"source\": \"feed\", \"max_drop\": 0.5, \"baseline_median\": 10}"
        );
        assert_eq!(i("SELECT count(*) FROM audit.findings WHERE kind IN ('null_rate_jump', 'volume_drop')"), 2);
    }

    // ------------------------------------------------------------------ stale listings

    #[pg_test]
    fn stale_tail_gets_rechecks_and_the_long_unseen_expire() {
        let a = listing("A", "active", "now() - interval '30 days'", "now() - interval '5 days'");
        let _b = listing("B", "active", "now() - interval '30 days'", "now() - interval '1 hour'");
        let c = listing("C", "active", "now() - interval '60 days'", "now() - interval '40 days'");
        let _d = listing("D", "active", "now() - interval '10 days'", "now() - interval '9 days'");
        let _e = listing("E", "sold", "now() - interval '90 days'", "now() - interval '80 days'");
        let (r, st) = run_pipeline("audit_stale_listings_daily");
        assert_eq!(st, "succeeded");
        assert_eq!(
            steps(r),
            "stale_tail_audit|succeeded|2|1|-|3 of 4 active listings are older than 21 days; 2 re-check request(s)\n\
             stale_expiry|succeeded|1|1|-|1 listing(s) not seen for 30 days expired"
        );
        assert_eq!(
            s("SELECT string_agg(listing_id || '|' || coalesce(resolution, 'open'), ',' ORDER BY listing_id) FROM spine.recheck_requests"),
            format!("{a}|open,{c}|expired")
        );
        assert_eq!(
            s("SELECT string_agg(kind || '|' || coalesce(listing_id::text, '-'), ',' ORDER BY kind, listing_id) FROM audit.findings"),
            format!("expired_by_policy|{c},stale_tail|-,stale_unseen|{a},stale_unseen|{c}")
        );
        assert_eq!(s("SELECT details->>'tail' || '/' || (details->>'active') FROM audit.findings WHERE kind = 'stale_tail'"), "3/4");
        // expiry: removed now, with a status_change event, and the finding says which
        assert_eq!(
            s(&format!("SELECT l.status || '|' || (l.status_changed_at = now()) || '|' || e.previous_status || '>' || e.status || '|' || (e.observed_at = now())
                        FROM marketplace.listings l JOIN marketplace.listing_events e USING (listing_id) WHERE l.listing_id = {c} AND e.event_type = 'status_change'")),
            "removed|true|active>removed|true"
        );
        assert_eq!(
            i(&format!("SELECT (heal->>'event_id')::bigint FROM audit.findings WHERE kind = 'expired_by_policy'")),
            i(&format!("SELECT event_id FROM marketplace.listing_events WHERE listing_id = {c} AND event_type = 'status_change'"))
        );
        // again: nothing new
        let (r, _) = run_pipeline("audit_stale_listings_daily");
        assert_eq!(s(&format!("SELECT string_agg(rows_affected::text, ',' ORDER BY step_no) FROM spine.pipeline_steps WHERE run_id = {r}")), "0,0");
        assert_eq!(i("SELECT count(*) FROM audit.findings"), 4);
        // A is seen again: its request is resolved by the next ingest run
        run(&format!("UPDATE marketplace.listings SET last_seen_at = now() + interval '1 minute' WHERE listing_id = {a}"));
        run_pipeline("marketplace_ingest_and_audit");
        assert_eq!(s(&format!("SELECT resolution FROM spine.recheck_requests WHERE listing_id = {a}")), "seen");
    }

    // ------------------------------------------------------------------ status sanity

    fn event(listing: i64, ty: &str, at: &str, status: Option<&str>, previous: Option<&str>) {
        Spi::run_with_args(
            "INSERT INTO marketplace.listing_events (listing_id, event_type, observed_at, price_eur, status, previous_status) VALUES ($1, $2, $3::timestamptz, 15000, $4, $5)",
            &[listing.into(), ty.into(), at.into(), status.into(), previous.into()],
        )
        .unwrap();
    }

    #[pg_test]
    fn status_sanity_finds_then_heals_with_provenance() {
        let (t1, t2, t3, t4) = ("2026-01-01 00:00+00", "2026-01-05 00:00+00", "2026-01-10 00:00+00", "2026-01-12 00:00+00");
        let q = |t: &str| format!("timestamptz '{t}'");
        // L1: sold, then active again (sold is final)
        let l1 = listing("L1", "active", &q(t1), &q(t3));
        event(l1, "listed", t1, Some("active"), None);
        event(l1, "status_change", t2, Some("sold"), Some("active"));
        event(l1, "status_change", t3, Some("active"), Some("sold"));
        // L2: sold at t2, seen at t3
        let l2 = listing("L2", "sold", &q(t1), &q(t2));
        event(l2, "listed", t1, Some("active"), None);
        event(l2, "status_change", t2, Some("sold"), Some("active"));
        event(l2, "seen", t3, Some("sold"), None);
        // L3: last_seen before first_seen; its history ends at t4
        let l3 = listing("L3", "active", &q(t3), &q(t1));
        event(l3, "listed", t3, Some("active"), None);
        event(l3, "seen", t4, Some("active"), None);
        // L4 sold at t2; duplicates L5 (not seen since t1) and L6 (seen at t3)
        let l4 = listing("L4", "sold", &q(t1), &q(t2));
        let l5 = listing("L5", "active", &q(t1), &q(t1));
        let l6 = listing("L6", "active", &q(t1), &q(t3));
        run(&format!("UPDATE marketplace.listings SET canonical_listing_id = {l4} WHERE listing_id IN ({l5}, {l6})"));
        let (r, st) = run_pipeline("status_sanity_audit_midnight");
        assert_eq!(st, "succeeded");
        assert_eq!(
            steps(r),
            "status_sanity_audit|succeeded|5|1|-|5 new finding(s): 1 illegal transition(s), 1 listing(s) seen after sold/removed, 1 with last_seen < first_seen, 2 duplicate(s) disagreeing; healed 0"
        );
        assert_eq!(
            s("SELECT string_agg(kind || '|' || l.source_listing_id || '|' || (f.heal IS NOT NULL), E'\\n' ORDER BY kind, l.source_listing_id) FROM audit.findings f JOIN marketplace.listings l USING (listing_id)"),
            "duplicate_status_disagrees|L5|false\nduplicate_status_disagrees|L6|false\nillegal_status_transition|L1|false\nlast_seen_before_first_seen|L3|false\nseen_after_end|L2|false"
        );
        assert_eq!(s("SELECT details->>'problem' FROM audit.findings WHERE kind = 'illegal_status_transition'"), "sold is final: sold → active");
        assert_eq!(s(&format!("SELECT details->>'reason' FROM audit.findings WHERE listing_id = {l6}")), format!("canonical listing {l4} was sold, but duplicate {l6} of the same vehicle was seen after the sale"));
        // auto-heal: L5 becomes sold at L4's sale time with an event; L3's last_seen_at from its history
        run("SELECT spine.set_setting('sanity.auto_heal', 'on')");
        let (r, _) = run_pipeline("status_sanity_audit_midnight");
        assert!(steps(r).ends_with("healed 2"), "{}", steps(r));
        assert_eq!(
            s(&format!("SELECT l.status || '|' || to_char(l.status_changed_at AT TIME ZONE 'UTC', 'MM-DD') || '|' || e.previous_status || '>' || e.status || '|' || to_char(e.observed_at AT TIME ZONE 'UTC', 'MM-DD')
                        FROM marketplace.listings l JOIN marketplace.listing_events e USING (listing_id) WHERE l.listing_id = {l5}")),
            "sold|01-05|active>sold|01-05"
        );
        assert_eq!(
            i(&format!("SELECT (heal->>'event_id')::bigint FROM audit.findings WHERE listing_id = {l5}")),
            i(&format!("SELECT event_id FROM marketplace.listing_events WHERE listing_id = {l5}"))
        );
        assert_eq!(s(&format!("SELECT to_char(last_seen_at AT TIME ZONE 'UTC', 'MM-DD') FROM marketplace.listings WHERE listing_id = {l3}")), "01-12");
        assert_eq!(
            s(&format!("SELECT concat_ws('|', heal->>'column', heal->>'from', heal->>'to', healed_at IS NOT NULL) FROM audit.findings WHERE listing_id = {l3}")),
            "last_seen_at|2026-01-01T00:00:00.000000Z|2026-01-12T00:00:00.000000Z|t"
        );
        assert_eq!(s(&format!("SELECT coalesce(heal::text, 'none') FROM audit.findings WHERE listing_id = {l6}")), "none");
        // nothing is found twice, nothing healed twice, nothing deleted
        let (r, _) = run_pipeline("status_sanity_audit_midnight");
        assert_eq!(s(&format!("SELECT rows_affected::text FROM spine.pipeline_steps WHERE run_id = {r}")), "0");
        assert_eq!(i("SELECT count(*) FROM audit.findings"), 5);
        assert_eq!(i("SELECT count(*) FROM marketplace.listings"), 6);
    }

    // ------------------------------------------------------------------ reverse monitor, labels, scoring

    #[pg_test]
    fn reverse_monitor_labels_and_visible_scoring_skip() {
        // four crawls of one source: Z disappears after the first, Y after the third
        land("rm", &["X", "Y", "Z"].map(|k| row(k, "2026-01-01T00:00:00Z", "")));
        land("rm", &["X", "Y"].map(|k| row(k, "2026-01-02T00:00:00Z", "")));
        land("rm", &["X", "Y"].map(|k| row(k, "2026-01-03T00:00:00Z", "")));
        land("rm", &["X"].map(|k| row(k, "2026-01-04T00:00:00Z", "")));
        run_pipeline("marketplace_ingest_and_audit");
        assert_eq!(i("SELECT count(*) FROM spine.ingest_cycles WHERE source = 'rm'"), 4);
        let (r, st) = run_pipeline("survival_marketplace_daily");
        assert_eq!(st, "partial");
        assert_eq!(
            steps(r),
            "reverse_monitor|succeeded|1|1|-|1 listing(s) missing from 3 ingest cycles became sold\n\
             survival_labels|succeeded|3|1|-|3 label row(s) written, 3 in all\n\
             survival_scoring|skipped|-|0|-|skipped: no survival model deployed (no model named survival_time in ml.deployments)"
        );
        // Z: sold at the first crawl that missed it
        assert_eq!(
            s("SELECT l.status || '|' || to_char(l.status_changed_at AT TIME ZONE 'UTC', 'MM-DD') || '|' || e.previous_status || '>' || e.status || '|' || to_char(e.observed_at AT TIME ZONE 'UTC', 'MM-DD')
               FROM marketplace.listings l JOIN marketplace.listing_events e USING (listing_id) WHERE l.source_listing_id = 'Z' AND e.event_type = 'status_change'"),
            "sold|01-02|active>sold|01-02"
        );
        assert_eq!(s("SELECT details->>'cycles_missed' || '|' || (heal->>'at') FROM audit.findings WHERE kind = 'missing_from_cycles'"), "3|2026-01-02T00:00:00.000000Z");
        // labels, hand-computed: X censored at 01-04 (3 days), Y at 01-03 (2 days), Z sold after 1 day
        assert_eq!(
            s("SELECT string_agg(concat_ws('|', l.source_listing_id, s.label_event, s.label_duration_days, coalesce(s.label_slow21::text, 'NULL'), coalesce(s.label_fast24::text, 'NULL')), ',' ORDER BY l.source_listing_id)
               FROM ml.survival_labels s JOIN marketplace.listings l USING (listing_id)"),
            "X|f|3|NULL|false,Y|f|2|NULL|false,Z|t|1|false|true"
        );
        // one missed cycle is enough now: Y (last seen 01-03) goes at 01-04
        run("SELECT spine.set_setting('survival.missed_cycles', '1')");
        run("SELECT spine.set_setting('survival.missing_status', 'removed')");
        run_pipeline("survival_marketplace_daily");
        assert_eq!(s("SELECT status || '|' || to_char(status_changed_at AT TIME ZONE 'UTC', 'MM-DD') FROM marketplace.listings WHERE source_listing_id = 'Y'"), "removed|01-04");
        assert_eq!(s("SELECT status FROM marketplace.listings WHERE source_listing_id = 'X'"), "active");
        assert_eq!(s("SELECT concat_ws('|', label_event, label_duration_days) FROM ml.survival_labels JOIN marketplace.listings USING (listing_id) WHERE source_listing_id = 'Y'"), "f|2");
    }

    #[pg_test]
    fn survival_scoring_runs_only_behind_a_passing_guard() {
        // the feature store of this test (a real one, if installed, is set aside for the test)
        run("DO $$ BEGIN IF to_regclass('ml.survival_feature_store_t0_v1_v') IS NOT NULL THEN
               ALTER VIEW ml.survival_feature_store_t0_v1_v RENAME TO survival_feature_store_t0_v1_v_set_aside; END IF; END $$");
        for k in 0..5 {
            listing(&format!("S{k}"), if k == 0 { "sold" } else { "active" }, "now() - interval '1 day'", "now() - interval '1 hour'");
        }
        run("CREATE VIEW ml.survival_feature_store_t0_v1_v AS
             SELECT listing_id, first_seen_at AS t0, price_eur::float8 AS price, status = 'sold' AS label_event FROM marketplace.listings");
        run("CREATE OR REPLACE FUNCTION ml.score_survival_active() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM marketplace.listings WHERE status = 'active' $$");
        // a deployed survival model (registered directly: this test is about the step, not training)
        run("INSERT INTO ml.models (model_id, name, version, algorithm, task, features, artifact, artifact_format) VALUES (900, 'survival_time', 1, 'coxph', 'survival', '{price}', '\\x7b7d', 'spine-json-v1')");
        run("INSERT INTO ml.deployments (name, model_id) VALUES ('survival_time', 900)");
        // a deployed model but an uncertified store: the step fails with the guard's SQLSTATE
        let (r, st) = run_pipeline("survival_marketplace_daily");
        assert_eq!(st, "failed");
        assert_eq!(
            s(&format!("SELECT concat_ws('|', status, attempts, error_sqlstate, message) FROM spine.pipeline_steps WHERE run_id = {r} AND step = 'survival_scoring'")),
            "failed|1|SP001|audit.require_certified('ml.survival_feature_store_t0_v1_v') refused: nothing was scored"
        );
        // certified: scored
        run("SELECT audit.register_store('ml.survival_feature_store_t0_v1_v', 'listing_id', 't0', '{label_event}', '{\"leakage_probe\": false}')");
        run("SELECT audit.certify('ml.survival_feature_store_t0_v1_v')");
        let (r, st) = run_pipeline("survival_marketplace_daily");
        assert_eq!(st, "succeeded");
        assert_eq!(
            s(&format!("SELECT concat_ws('|', status, rows_affected, details->>'guard_passed') FROM spine.pipeline_steps WHERE run_id = {r} AND step = 'survival_scoring'")),
            "succeeded|4|true"
        );
    }
}
