-- Pipelines (DESIGN §7) worked by hand: the six DAGs and their schedules, an override and the
-- refusal of a bad one, pg_cron living in another database, a run of marketplace_ingest_and_audit
-- with its steps and findings, a visible skip of the survival scoring, the status view.
SET TimeZone = 'UTC';
\pset null '∅'
SELECT spine.clear_demo_data();

SELECT pipeline_id, schedule, default_schedule, enabled, schedule_source, steps FROM spine.pipelines ORDER BY 1;

-- an override, two refusals (nothing changes), and back to the default
SELECT spine.set_schedule('audit_stale_listings_daily', '0 22 * * mon-fri');
SELECT spine.set_schedule('audit_stale_listings_daily', '0 22 * * fri-mon');
SELECT spine.set_schedule('audit_stale_listings_daily', '0 0 30 feb *');
SELECT pipeline_id, schedule, schedule_source FROM spine.pipelines WHERE pipeline_id = 'audit_stale_listings_daily';
SELECT spine.set_schedule('audit_stale_listings_daily', NULL);
SELECT spine.set_schedule('nightly', '0 1 * * *');

-- this database has no pg_cron (it lives in spine_e2e): what to run there instead
SELECT * FROM spine.install_schedules();
SELECT pipeline_id, statement FROM spine.cron_statements('shop') ORDER BY 1;

-- fire times are UTC, as pg_cron 1.4.2 computes them
SELECT spine.cron_next('15,45 8-23 * * *', '2026-11-01 23:50+00') AS next_after_midnight,
       spine.cron_next('0 0 * * *', '2026-10-24 23:59+00') AS across_dst,
       spine.cron_next('0 0 29 2 *', '2026-01-01 00:00+00') AS leap_day;
SELECT spine.cron_next('0 0 31 2 *', now());

-- ingest and audit a batch: one plausible listing, three implausible ones, one malformed row
SELECT spine.land_batch('autoplaza', '[
  {"source_listing_id": "P-1", "observed_at": "2026-10-01T08:00:00Z", "make": "Skoda", "model": "Octavia", "year": 2019, "price_eur": 14900, "mileage_km": 88000},
  {"source_listing_id": "P-2", "observed_at": "2026-10-01T08:00:00Z", "make": "Skoda", "model": "Fabia", "year": 2018, "price_eur": 99},
  {"source_listing_id": "P-3", "observed_at": "2026-10-01T08:00:00Z", "make": "Skoda", "model": "Superb", "year": 2025, "price_eur": 31000, "mileage_km": 450000},
  {"source_listing_id": "P-4", "observed_at": "2026-10-01T08:00:00Z", "make": "Skoda", "model": "Yeti", "year": 2012, "price_eur": 6500, "mileage_km": 0},
  {"source_listing_id": "P-5", "observed_at": "yesterday"}
]') > 0 AS landed;
SELECT pipeline_id, status, message FROM spine.run_pipeline('marketplace_ingest_and_audit');
SELECT s.step_no, s.step, s.status, s.rows_affected, s.attempts, s.message
FROM spine.pipeline_steps s WHERE s.run_id = (SELECT max(run_id) FROM spine.pipeline_runs) ORDER BY s.step_no;
SELECT f.kind, f.severity, l.source_listing_id, coalesce(f.details->>'reason', 'rate ' || (f.details->>'rate')) AS what
FROM audit.findings f LEFT JOIN marketplace.listings l USING (listing_id) ORDER BY f.kind, l.source_listing_id;

-- the survival pipeline: no model deployed, so scoring is skipped visibly and the run is partial
SELECT pipeline_id, status, message FROM spine.run_pipeline('survival_marketplace_daily');
SELECT s.step, s.status, s.rows_affected, s.message
FROM spine.pipeline_steps s WHERE s.run_id = (SELECT max(run_id) FROM spine.pipeline_runs) ORDER BY s.step_no;
SELECT l.source_listing_id, s.label_event, s.label_duration_days, s.label_slow21, s.label_fast24
FROM ml.survival_labels s JOIN marketplace.listings l USING (listing_id) ORDER BY 1;

SELECT pipeline_id, enabled, cron_jobid, last_run_status, last_run_trigger, last_success_at IS NOT NULL AS succeeded_once,
       next_due_at > now() AS next_due_in_future, overdue, running
FROM spine.pipeline_status ORDER BY 1;

SELECT key, value, is_default FROM spine.pipeline_settings WHERE key LIKE 'pipelines.%' ORDER BY key;
SELECT spine.set_setting('survival.missing_status', 'gone');
SELECT spine.set_setting('survival.missing_statuses', 'sold');
