#!/usr/bin/env bash
# make demo: a throwaway cluster of its own (data dir /tmp/spine/demo, port 54329, Unix socket
# only, pg_cron and spine preloaded), a database with both extensions, a generated marketplace,
# what exists of the pipeline, and a readable summary. Re-running starts over cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

DIR="$RUN_DIR/demo"
PORT=54329
DB=spine_demo
LISTINGS=${DEMO_LISTINGS:-20000}

say "stopping a previous demo cluster (if any) before installing spine.so"
stop_cluster "$DIR"
say "building and installing spine (release)"
install_release 2>&1 | grep -E "Installing|Finished|error" || true

say "starting the demo cluster in $DIR (port $PORT)"
init_cluster "$DIR" "$PORT" "$DB"
start_cluster "$DIR"
create_db "$DIR" "$PORT" "$DB"
psql_in "$DIR" "$PORT" "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" \
  -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS spine CASCADE" -c "CREATE EXTENSION spine"

say "generating a marketplace of $LISTINGS listings"
psql_in "$DIR" "$PORT" "$DB" -v listings="$LISTINGS" -f scripts/demo.sql

MINILM=${SPINE_MODELS_DIR:-/usr/local/share/spine/models}/all-MiniLM-L6-v2-int8
if [ -s "$MINILM/model.onnx" ]; then
  say "registering all-MiniLM-L6-v2 (make models) as the text embedding model 'minilm'"
  scripts/models.sh register -h "$DIR" -p "$PORT" -U postgres -d "$DB"
  psql_in "$DIR" "$PORT" "$DB" -f scripts/demo_onnx.sql
else
  echo
  echo "(text embeddings: 'make models' fetches all-MiniLM-L6-v2 and the demo then shows a semantic search)"
fi

say "the job queue: two preloaded workers fetch and colour-label images served by a local HTTP server"
PORTFILE=$(mktemp)
python3 pgrx-tests/http_fixture.py "$PORTFILE" &
HTTP_PID=$!
for _ in $(seq 50); do [ -s "$PORTFILE" ] && break; sleep 0.1; done
psql_in "$DIR" "$PORT" "$DB" -v port="$(cat "$PORTFILE")" -f scripts/demo_workers.sql
kill "$HTTP_PID" 2>/dev/null
rm -f "$PORTFILE"

echo
echo "The demo cluster keeps running: make psql opens a shell into it, make demo-stop stops it."
