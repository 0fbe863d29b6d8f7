# TAP helpers for the end-to-end tests in pgrx-tests/t/*.t (run by `prove --exec bash`).
# The cluster (shared_preload_libraries='pg_cron,spine') is started by scripts/test.sh and
# described by SPINE_E2E_DIR / SPINE_E2E_PORT / SPINE_E2E_DB.
set -uo pipefail
PGBIN=${SPINE_PGBIN:-/usr/lib/postgresql/15/bin}
: "${SPINE_E2E_DIR:?run through make test}" "${SPINE_E2E_PORT:?}" "${SPINE_E2E_DB:?}"
_n=0
_failed=0

plan() { echo "1..$1"; }

# sql [DB] QUERY -> unaligned, tuples-only output; errors on stderr
sql() {
  local db=$SPINE_E2E_DB
  if [ $# -gt 1 ]; then db=$1; shift; fi
  "$PGBIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$db" -c "$1"
}

# sql_error QUERY -> "SQLSTATE: message" of the error the query raises (empty if none)
sql_error() {
  "$PGBIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$SPINE_E2E_DIR" -p "$SPINE_E2E_PORT" -U postgres -d "$SPINE_E2E_DB" -c "$1" 2>&1 >/dev/null \
    | sed -nE 's/^ERROR:  ([0-9A-Z]{5}): (.*)$/\1: \2/p' | head -1
}

ok() {
  _n=$((_n + 1))
  if [ "$1" = 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}

is() {
  _n=$((_n + 1))
  if [ "$1" = "$2" ]; then
    echo "ok $_n - $3"
  else
    echo "not ok $_n - $3"
    printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
    _failed=$((_failed + 1))
  fi
}

# wait_for SECONDS QUERY EXPECTED: polls until QUERY returns EXPECTED; prints the last value
wait_for() {
  local deadline=$((SECONDS + $1)) v=""
  while [ $SECONDS -lt $deadline ]; do
    v=$(sql "$2" 2>/dev/null)
    [ "$v" = "$3" ] && break
    sleep 1
  done
  echo "$v"
}

done_testing() { exit $((_failed > 0)); }
