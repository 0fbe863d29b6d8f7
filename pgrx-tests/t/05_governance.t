# Governance across sessions and processes: guards in several sessions while another certifies
# never fail or see a half-written certification; a certify transaction does not block guards;
# a change made by another backend reaches a session's cached pass; a failed verdict survives
# the caller's rollback (autonomous worker); certifications survive pg_dump and a restore.
. "$(dirname "$0")/../lib.sh"
plan 10

DB=spine_e2e_gov
DST=spine_e2e_gov_restored
for db in $DB $DST; do sql postgres "DROP DATABASE IF EXISTS $db" >/dev/null; sql postgres "CREATE DATABASE $db" >/dev/null; done
sql $DB "CREATE EXTENSION spine; SELECT spine.generate_demo_data(3000, 60, 9)" >/dev/null
sql $DB "CREATE SCHEMA g;
         CREATE FUNCTION g.band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT CASE WHEN p < 15000 THEN 'low' ELSE 'high' END \$\$;
         CREATE VIEW g.store AS
           SELECT l.listing_id, l.first_seen_at AS t0, l.make, l.year, e.price_eur AS price_at_t0, g.band(e.price_eur) AS band
           FROM marketplace.listings l JOIN marketplace.listing_events e ON e.listing_id = l.listing_id AND e.event_type = 'listed';
         SELECT audit.register_store('g.store', 'listing_id', 't0');
         SELECT audit.certify('g.store', 'e2e');" >/dev/null
psql_db() { "$PGBIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$1" "${@:2}"; }

# 1-2. three sessions call guards (fast and strict) while a fourth certifies again and again
pids=()
for i in 1 2 3; do
  ( for r in $(seq 1 15); do
      psql_db $DB -c "SELECT count(audit.require_certified('g.store')) FROM generate_series(1, 2000)" >/dev/null || exit 1
      psql_db $DB -c "SELECT audit.require_certified_strict('g.store')" >/dev/null 2>&1 || exit 1
    done ) &
  pids+=($!)
done
cert_rc=0
for r in $(seq 1 8); do psql_db $DB -c "SELECT (audit.certify('g.store', 'concurrent $r')).cert_id" >/dev/null || cert_rc=1; done
guard_rc=0
for p in "${pids[@]}"; do wait "$p" || guard_rc=1; done
ok $guard_rc "guards in three sessions pass throughout eight concurrent certifications"
is "$cert_rc|$(sql $DB "SELECT count(*) FROM audit.guard_verdicts WHERE store = 'g.store'::regclass AND outcome = 'fail'")" "0|0" \
   "every certification succeeded and no guard verdict failed"

# 3. an open certify transaction does not block guards, which see the previous certification
( psql_db $DB -c "BEGIN; SELECT audit.certify('g.store', 'slow'); SELECT pg_sleep(4); COMMIT;" >/dev/null ) &
slow=$!
sleep 1.5
start=$SECONDS
seen=$(psql_db $DB -c "SELECT audit.require_certified('g.store'); SELECT max(cert_id) FROM audit.t0_cert_registry WHERE note = 'slow'")
elapsed=$((SECONDS - start))
wait $slow
is "$([ $elapsed -lt 3 ] && echo fast)|$seen" "fast|" "a guard during an open certify transaction is not blocked and does not see it"

# 4. a cached pass in one session is dropped when another backend changes a function of the store
out=$(psql_db $DB -c "SELECT audit.require_certified('g.store')" \
        -c "\\! $PGBIN/psql -X -q -h $SPINE_E2E_DIR -p $SPINE_E2E_PORT -U postgres -d $DB -c \"CREATE OR REPLACE FUNCTION g.band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''x''::text'\"" \
        -c "SELECT audit.require_certified('g.store')" 2>&1 | sed -nE 's/^ERROR:  (.*) [0-9]+$/\1/p')
is "$out" "g.store: its definition changed since certification" "a function changed by another backend blocks the next guard call in a session that had a cached pass"

# 5. the failed verdict of a rolled-back transaction is in the log (written by another process)
before=$(sql $DB "SELECT count(*) FROM audit.guard_verdicts WHERE outcome = 'fail' AND recorded_by = 'autonomous'")
psql_db $DB -c "BEGIN; SELECT audit.require_certified('g.store'); COMMIT;" >/dev/null 2>&1
after=$(sql $DB "SELECT count(*) FROM audit.guard_verdicts WHERE outcome = 'fail' AND recorded_by = 'autonomous'")
is "$((after - before))" "1" "a failed verdict survives the caller's rolled-back transaction"
sql $DB "CREATE OR REPLACE FUNCTION g.band(p numeric) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT CASE WHEN p < 15000 THEN 'low' ELSE 'high' END \$\$" >/dev/null
is "$(psql_db $DB -c "SELECT audit.require_certified('g.store')" 2>&1)" "" "restoring the function's definition restores the pass"

# 6-9. pg_dump keeps policies, registry, baselines and verdicts; a restore needs the setting
DUMP=$(mktemp)
"$PGBIN/pg_dump" -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres "$DB" > "$DUMP" 2>/dev/null
ok $? "pg_dump of a database with certifications"
psql_db $DST -f "$DUMP" >/dev/null 2>"$DUMP.err"
grep -q "written only by spine's governance functions: INSERT refused" "$DUMP.err"
ok $? "a plain restore is refused by the append-only audit tables (with the fix in the HINT)"
sql postgres "DROP DATABASE $DST" >/dev/null; sql postgres "CREATE DATABASE $DST" >/dev/null
PGOPTIONS='-c spine.allow_audit_restore=on' psql_db $DST -f "$DUMP" >/dev/null 2>"$DUMP.err"
rc=$?
ok $rc "with spine.allow_audit_restore = on the dump restores"
[ $rc = 0 ] || sed 's/^/# /' "$DUMP.err" | head -5
is "$(sql $DST "SELECT audit.require_certified('g.store')" >/dev/null && sql $DST "SELECT status FROM audit.certification_status WHERE store_name = 'g.store'")" \
   "certified" "the restored store passes its guard against the restored certification (same closure hash under new OIDs)"

for db in $DB $DST; do sql postgres "DROP DATABASE IF EXISTS $db" >/dev/null; done
rm -f "$DUMP" "$DUMP.err"
done_testing
