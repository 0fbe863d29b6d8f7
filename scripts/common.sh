# Shared helpers for the Makefile's scripts (sourced, not run): throwaway PostgreSQL 15 clusters
# with their own data directory, port and Unix socket, run as the postgres user when we are root.
set -euo pipefail

PGBIN=${SPINE_PGBIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=$PGBIN/pg_config
RUN_DIR=${SPINE_RUN_DIR:-/tmp/spine}
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); else AS_PG=(); fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# cluster_running DIR
cluster_running() {
  [ -f "$1/postmaster.pid" ] && "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# any_cluster_running: is a cluster started by these scripts (demo, e2e, bench) running?
any_cluster_running() {
  local d
  for d in "$RUN_DIR"/*/; do
    [ -d "$d" ] && cluster_running "${d%/}" && { echo "${d%/}"; return 0; }
  done
  return 1
}

# init_cluster DIR PORT DB [extra conf lines...]
init_cluster() {
  local dir=$1 port=$2 db=$3; shift 3
  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR"
  if [ ! -f "$dir/PG_VERSION" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    "${AS_PG[@]}" "$PGBIN/initdb" -D "$dir" --auth=trust --username=postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "# spine throwaway cluster"
      echo "listen_addresses = ''"
      echo "port = $port"
      echo "unix_socket_directories = '$dir'"
      echo "shared_preload_libraries = 'pg_cron,spine'"
      echo "cron.database_name = '$db'"
      echo "cron.host = '$dir'"
      echo "spine.worker_database = '$db'"
      echo "max_worker_processes = 16"
      echo "shared_buffers = 512MB"
      echo "max_wal_size = 4GB"
      echo "log_min_messages = warning"
      for line in "$@"; do echo "$line"; done
    } | "${AS_PG[@]}" tee -a "$dir/postgresql.conf" >/dev/null
  fi
}

# start_cluster DIR
start_cluster() {
  local dir=$1
  cluster_running "$dir" && return 0
  # a developer's RUST_BACKTRACE would make every error raised through Rust carry a backtrace
  env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
}

# stop_cluster DIR
stop_cluster() {
  local dir=$1
  if cluster_running "$dir"; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
  fi
}

# psql_in DIR PORT DB [psql args...]
psql_in() {
  local dir=$1 port=$2 db=$3; shift 3
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d "$db" "$@"
}

# create_db DIR PORT DB
create_db() {
  local dir=$1 port=$2 db=$3
  if [ "$(psql_in "$dir" "$port" postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
    psql_in "$dir" "$port" postgres -c "CREATE DATABASE \"$db\""
  fi
}

# install_release: build and install the release extension into the system PostgreSQL 15,
# refusing while a cluster started by these scripts runs (replacing a loaded .so crashes it).
install_release() {
  local running
  if running=$(any_cluster_running); then
    echo "spine: refusing to install while the cluster in $running is running: replacing a loaded spine.so crashes it." >&2
    echo "       Stop it first: make demo-stop (or: $PGBIN/pg_ctl -D $running stop)." >&2
    exit 1
  fi
  unlink_installed_so
  cargo pgrx install --release --pg-config "$PG_CONFIG"
}

# unlink_installed_so: remove the installed spine.so before a new one is written, so the new file
# gets a new inode; a process that still maps the old one (a cluster started by hand) keeps it
# intact instead of reading a half-written file.
unlink_installed_so() {
  rm -f "$("$PG_CONFIG" --pkglibdir)/spine.so"
}
