# The pipelines on a real cluster with pg_cron 1.4.2: install twice (six jobs, same IDs, exact
# schedules), the seed's DAG_SCHEDULE_CRON as a server setting, a run started by a real cron tick,
# two concurrent starts (one runs, one is skipped), pg_cron living in another database, and run
# history, findings and overrides surviving pg_dump.
. "$(dirname "$0")/../lib.sh"
plan 17

OTHER=spine_e2e_pipelines_other
RESTORED=spine_e2e_pipelines_restored
cleanup() {
  sql "SELECT count(*) FROM spine.uninstall_schedules()" >/dev/null 2>&1
  sql "SELECT spine.set_schedule(pipeline_id, NULL) FROM spine.pipelines" >/dev/null 2>&1
  sql "ALTER SYSTEM RESET spine.dag_schedule_cron" >/dev/null 2>&1
  sql "SELECT pg_reload_conf()" >/dev/null 2>&1
  [ -n "${FETCH_DEF:-}" ] && sql "$FETCH_DEF" >/dev/null 2>&1
  for db in $OTHER $RESTORED; do sql postgres "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
}
trap cleanup EXIT
cleanup

# 1-2. install twice: six jobs named after the DAG IDs, the same job ids, the seed's schedules
q="SELECT string_agg(pipeline_id || '=' || jobid || '=' || schedule, ';' ORDER BY pipeline_id) FROM spine.install_schedules()"
first=$(sql "$q")
is "$(sql "$q")" "$first" "install_schedules twice returns the same six jobs"
is "$(sql "SELECT string_agg(jobname || '|' || schedule, ',' ORDER BY jobname) FROM cron.job WHERE jobname IN (SELECT pipeline_id FROM spine.pipelines)")" \
   "audit_stale_listings_daily|45 23 * * *,marketplace_db_healing_pipeline_30m|*/30 * * * *,marketplace_image_pipeline_30m|*/30 * * * *,marketplace_ingest_and_audit|*/30 * * * *,status_sanity_audit_midnight|0 0 * * *,survival_marketplace_daily|15,45 8-23 * * *" \
   "cron.job has the six pipelines with the seed's schedules"

# 3-5. DAG_SCHEDULE_CRON as a server setting: both pipelines that read it move; a bad value is refused
sql "ALTER SYSTEM SET spine.dag_schedule_cron = '5 4 * * *'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
sleep 1
is "$(sql "SELECT string_agg(pipeline_id || '=' || schedule || ' (' || schedule_source || ')', ',' ORDER BY pipeline_id) FROM spine.pipelines WHERE schedule_variable IS NOT NULL")" \
   "audit_stale_listings_daily=45 23 * * * (default),status_sanity_audit_midnight=5 4 * * * (DAG_SCHEDULE_CRON),survival_marketplace_daily=5 4 * * * (DAG_SCHEDULE_CRON)" \
   "spine.dag_schedule_cron resolves like the seed's DAG_SCHEDULE_CRON"
sql "SELECT count(*) FROM spine.install_schedules()" >/dev/null
is "$(sql "SELECT string_agg(jobname || '|' || schedule, ',' ORDER BY jobname) FROM cron.job WHERE jobname IN ('status_sanity_audit_midnight', 'survival_marketplace_daily')")|$(sql "$q" | tr ';' '\n' | cut -d= -f2 | paste -sd,)" \
   "status_sanity_audit_midnight|5 4 * * *,survival_marketplace_daily|5 4 * * *|$(echo "$first" | tr ';' '\n' | cut -d= -f2 | paste -sd,)" \
   "re-installing moves the two jobs and keeps every job id"
is "$(sql_error "ALTER SYSTEM SET spine.dag_schedule_cron = '0 0 31 2 *'")" \
   '22023: invalid value for parameter "spine.dag_schedule_cron": "0 0 31 2 *"' "an invalid schedule setting is refused"
sql "ALTER SYSTEM RESET spine.dag_schedule_cron" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
sleep 1

# 6-8. a real cron tick runs a pipeline (pg_cron 1.4.2 has minute resolution)
since=$(sql "SELECT coalesce(max(run_id), 0) FROM spine.pipeline_runs")
t0=$(sql "SELECT now()")
sql "SELECT spine.set_schedule('status_sanity_audit_midnight', '* * * * *')" >/dev/null
sql "SELECT count(*) FROM spine.install_schedules()" >/dev/null
is "$(wait_for 130 "SELECT count(*) > 0 FROM spine.pipeline_runs WHERE pipeline_id = 'status_sanity_audit_midnight' AND trigger = 'cron' AND run_id > $since" "t")" "t" \
   "pg_cron started status_sanity_audit_midnight within two minutes"
is "$(sql "SELECT status || '|' || (SELECT string_agg(step || ':' || status, ',') FROM spine.pipeline_steps s WHERE s.run_id = r.run_id) FROM spine.pipeline_runs r WHERE pipeline_id = 'status_sanity_audit_midnight' AND trigger = 'cron' AND run_id > $since ORDER BY run_id LIMIT 1")" \
   "succeeded|status_sanity_audit:succeeded" "the cron run succeeded with its step recorded"
is "$(wait_for 30 "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'status_sanity_audit_midnight' AND d.start_time > '$t0' AND d.status NOT IN ('starting', 'running', 'connecting', 'sending') ORDER BY d.start_time LIMIT 1" "succeeded")" \
   "succeeded" "cron.job_run_details records the run"
sql "SELECT spine.set_schedule('status_sanity_audit_midnight', NULL)" >/dev/null
sql "SELECT count(*) FROM spine.install_schedules()" >/dev/null

# 9-10. two concurrent starts: one runs, the other records "skipped: already running"
# (the image pipeline's first step made slow for a moment; its definition is put back after)
FETCH_DEF=$(sql "SELECT pg_get_functiondef('spine.image_fetch_pending()'::regprocedure)")
sql "CREATE OR REPLACE FUNCTION spine.image_fetch_pending() RETURNS bigint LANGUAGE sql AS \$\$ SELECT pg_sleep(4); SELECT 0::bigint \$\$" >/dev/null
before=$(sql "SELECT coalesce(max(run_id), 0) FROM spine.pipeline_runs")
sql "SELECT status FROM spine.run_pipeline('marketplace_image_pipeline_30m')" > /tmp/spine-e2e-run1.$$ 2>/dev/null &
p1=$!
sleep 1
second=$(sql "SELECT status || '|' || message FROM spine.run_pipeline('marketplace_image_pipeline_30m')")
running=$(sql "SELECT running FROM spine.pipeline_status WHERE pipeline_id = 'marketplace_image_pipeline_30m'")
wait $p1
is "$second|$running" "skipped|skipped: already running|t" "a start while a run is going on is skipped (and the status view shows it running)"
is "$(sql "SELECT string_agg(status || ':' || coalesce(message, ''), ',' ORDER BY run_id) FROM spine.pipeline_runs WHERE pipeline_id = 'marketplace_image_pipeline_30m' AND run_id > $before")" \
   "partial:2 of 4 step(s) skipped (see spine.pipeline_steps),skipped:skipped: already running" "one run ran, one was skipped, both recorded"
rm -f /tmp/spine-e2e-run1.$$
sql "$FETCH_DEF" >/dev/null
is "$(sql "SELECT prosrc LIKE '%image_fetches%' FROM pg_proc WHERE oid = 'spine.image_fetch_pending()'::regprocedure")" t "the step's own definition is back"

# 11-13. pg_cron lives in another database: a clear error, and the statements to run there
sql postgres "CREATE DATABASE $OTHER" >/dev/null
sql $OTHER "CREATE EXTENSION spine" >/dev/null
is "$("$PGBIN/psql" -X -q -tA -v VERBOSITY=verbose -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d $OTHER -c "SELECT * FROM spine.install_schedules()" 2>&1 | sed -nE 's/^ERROR:  ([0-9A-Z]{5}): (.*)$/\1: \2/p; s/^HINT:  (.*)$/\1/p' | paste -sd'|')" \
   "55000: spine.install_schedules: pg_cron lives in database \"$SPINE_E2E_DB\", not in \"$OTHER\"|Connect to \"$SPINE_E2E_DB\" and schedule the jobs there with cron.schedule_in_database(job_name, schedule, command, '$OTHER'): SELECT statement FROM spine.cron_statements(); in \"$OTHER\" prints the six statements." \
   "install_schedules in a database without pg_cron says where pg_cron is and what to run there"
stmt=$(sql $OTHER "SELECT statement FROM spine.cron_statements() WHERE pipeline_id = 'marketplace_ingest_and_audit'")
sql "SELECT cron.unschedule('marketplace_ingest_and_audit')" >/dev/null
sql "$stmt" >/dev/null
is "$(sql "SELECT database || '|' || schedule || '|' || command FROM cron.job WHERE jobname = 'marketplace_ingest_and_audit'")" \
   "$OTHER|*/30 * * * *|SELECT spine.run_pipeline('marketplace_ingest_and_audit')" "the printed statement schedules the pipeline in the other database"
sql "SELECT cron.unschedule('marketplace_ingest_and_audit')" >/dev/null
is "$(sql $OTHER "SELECT count(*) FROM spine.pipeline_status WHERE cron_jobid IS NOT NULL")|$(sql $OTHER "SELECT status FROM spine.run_pipeline('marketplace_ingest_and_audit')")" \
   "0|succeeded" "without pg_cron the pipelines run by hand"

# 14-16. pg_dump keeps overrides, run history and findings (configuration tables)
sql $OTHER "SELECT spine.set_schedule('survival_marketplace_daily', '0 7 * * *'); SELECT spine.set_setting('stale.after', '14 days')" >/dev/null
sql $OTHER "SELECT spine.land_batch('dump', '[{\"source_listing_id\": \"d1\", \"observed_at\": \"2026-11-01T08:00:00Z\", \"make\": \"VW\", \"model\": \"Up\", \"year\": 2020, \"price_eur\": 90}]')" >/dev/null
sql $OTHER "SELECT status FROM spine.run_pipeline('marketplace_ingest_and_audit')" >/dev/null
sql postgres "CREATE DATABASE $RESTORED" >/dev/null
DUMP=$(mktemp)
"$PGBIN/pg_dump" -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres "$OTHER" > "$DUMP" 2>/dev/null
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$RESTORED" -f "$DUMP" >/dev/null 2>"$DUMP.err"
ok $? "a database with pipeline history restores from pg_dump"
summary="SELECT (SELECT schedule || ' ' || schedule_source FROM spine.pipelines WHERE pipeline_id = 'survival_marketplace_daily') || '|' ||
                (SELECT value FROM spine.pipeline_settings WHERE key = 'stale.after') || '|' ||
                (SELECT string_agg(pipeline_id || ':' || status, ',' ORDER BY run_id) FROM spine.pipeline_runs) || '|' ||
                (SELECT count(*) FROM spine.pipeline_steps) || '|' ||
                (SELECT string_agg(kind, ',' ORDER BY finding_id) FROM audit.findings)"
is "$(sql $RESTORED "$summary")" "$(sql $OTHER "$summary")" "overrides, settings, runs, steps and findings come back"
next=$(( $(sql $OTHER "SELECT max(run_id) FROM spine.pipeline_runs") + 1 ))
is "$(sql $RESTORED "SELECT run_id FROM spine.run_pipeline('status_sanity_audit_midnight')")" "$next" "run ids continue after a restore"
rm -f "$DUMP" "$DUMP.err"
done_testing
