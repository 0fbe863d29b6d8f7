# spine preloaded next to pg_cron: settings registered at server start, extension installs,
# is dropped and re-created, and pg_dump keeps the extension's configuration rows.
. "$(dirname "$0")/../lib.sh"
plan 8

is "$(sql "SHOW shared_preload_libraries")" "pg_cron,spine" "pg_cron and spine are preloaded"
# _PG_init ran at server start: the GUC is known in a database that never created the extension
is "$(sql postgres "SELECT current_setting('spine.demo_anchor') = ''")" "t" "spine.demo_anchor is registered by _PG_init"

sql "DROP EXTENSION IF EXISTS spine CASCADE" >/dev/null 2>&1
sql "CREATE EXTENSION spine" >/dev/null
is "$(sql "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('marketplace','ml','audit','spine')")" \
   "audit,marketplace,ml,spine" "CREATE EXTENSION spine creates the four schemas"
is "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'spine'")" "0.1.0" "extension version"

sql "DROP EXTENSION spine CASCADE" >/dev/null
is "$(sql "SELECT count(*) FROM pg_namespace WHERE nspname IN ('marketplace','ml','audit','spine')")" "0" "DROP EXTENSION removes everything it created"
sql "CREATE EXTENSION spine" >/dev/null
is "$(sql "SELECT count(*) FROM pg_extension WHERE extname = 'spine'")" "1" "and it can be created again"

sql "INSERT INTO spine.settings (key, value) VALUES ('e2e.marker', 'kept-by-pg_dump')" >/dev/null
dump=$("$PGBIN/pg_dump" -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres --data-only -t spine.settings "$SPINE_E2E_DB" 2>&1)
echo "$dump" | grep -q "kept-by-pg_dump"
ok $? "pg_dump keeps rows users add to spine.settings (pg_extension_config_dump)"
sql "DELETE FROM spine.settings WHERE key = 'e2e.marker'" >/dev/null

is "$(sql_error "SELECT spine.generate_demo_data(-1)")" \
   "22023: spine.generate_demo_data: listings must be between 0 and 20000000, got -1" "bad generator input: SQLSTATE 22023 and a clear message"
done_testing
