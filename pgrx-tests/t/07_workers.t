# The job workers on a real cluster (spine preloaded; spine.workers = 2 serve this database) with a
# local HTTP server this test starts (pgrx-tests/http_fixture.py):
# - the fetch policy: metadata, private and redirected-to-private addresses, an oversized body
#   (with and without Content-Length), a wrong content type, slow and stalled servers are refused;
#   the allow-listed test host is fetched; the allowance itself arrives by SIGHUP (reload);
# - colour labels through the image pipeline on generated solid and two-tone images;
# - a job that fails does not take its worker down; SIGTERM stops workers cleanly, launched ones serve;
# - N slow jobs, a worker SIGKILLed mid-job three times, the server restarted once: every job ends
#   done exactly once in effect (each image stored once, by the job recorded as done; nothing lost).
. "$(dirname "$0")/../lib.sh"
plan 25

HERE=$(cd "$(dirname "$0")/.." && pwd)
PORTFILE=$(mktemp)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
python3 "$HERE/http_fixture.py" "$PORTFILE" &
HTTP_PID=$!
cleanup() {
  kill "$HTTP_PID" 2>/dev/null
  rm -f "$PORTFILE"
  sql "ALTER SYSTEM RESET spine.fetch_allow_addresses" >/dev/null 2>&1
  sql "ALTER SYSTEM RESET spine.fetch_read_timeout" >/dev/null 2>&1
  sql "ALTER SYSTEM RESET spine.fetch_total_timeout" >/dev/null 2>&1
  sql "ALTER SYSTEM RESET spine.worker_poll_interval" >/dev/null 2>&1
  sql "SELECT pg_reload_conf()" >/dev/null 2>&1
  sql "SELECT spine.set_setting(k, NULL) FROM unnest(ARRAY['jobs.max_attempts', 'jobs.backoff']) k" >/dev/null 2>&1
  sql "DELETE FROM spine.jobs; DELETE FROM marketplace.image_labels WHERE image_id >= 970000;
       DELETE FROM marketplace.image_fetches WHERE image_id >= 970000; DELETE FROM marketplace.listing_images WHERE image_id >= 970000;
       DELETE FROM marketplace.listings WHERE listing_id >= 970000" >/dev/null 2>&1
}
trap cleanup EXIT
for _ in $(seq 50); do [ -s "$PORTFILE" ] && break; sleep 0.1; done
PORT=$(cat "$PORTFILE")
B="http://127.0.0.1:$PORT"

# a marketplace of its own: the earlier tests' generated listings have image URLs on a host that
# does not resolve, and the pipeline would queue them all
sql "SELECT spine.clear_demo_data()" >/dev/null
sql "SELECT spine.set_setting('jobs.max_attempts', '2'), spine.set_setting('jobs.backoff', '1 second')" >/dev/null
sql "INSERT INTO marketplace.listings (listing_id, source, source_listing_id, make, model, year, first_seen_at, last_seen_at)
     SELECT 970000 + i, 'workers_e2e', i::text, 'Skoda', 'Octavia', 2020, now(), now() FROM generate_series(0, 99) i" >/dev/null
# image(ID, URL)
image() { sql "INSERT INTO marketplace.listing_images (image_id, listing_id, position, url) VALUES ($1, 970000, $1 - 969999, '$2')" >/dev/null; }
# wait until no job is pending, running or failed (at most $1 s); prints the seconds it took
settle() {
  local t0=$SECONDS
  wait_for "$1" "SELECT count(*) FROM spine.jobs WHERE state IN ('pending', 'running', 'failed')" 0 >/dev/null
  echo $((SECONDS - t0))
}
state_of() { sql "SELECT state || ' ' || coalesce(last_code, '-') FROM spine.jobs WHERE payload->>'image_id' = '$1' ORDER BY job_id DESC LIMIT 1"; }

# 1. the preloaded workers serve this database
is "$(wait_for 30 "SELECT count(*) FROM spine.job_workers WHERE database = current_database()" 2)" 2 "two preloaded job workers serve spine.worker_database"

# 2-3. the test host is loopback: refused until the allowance arrives by reload (SIGHUP)
image 970001 "$B/solid/b4141e.png?w=64&h=48"
sql "SELECT spine.enqueue('fetch_image', '{\"image_id\": 970001}')" >/dev/null
settle 30 >/dev/null
is "$(state_of 970001)" "dead fetch:address_refused" "a loopback address is refused by default"
sql "ALTER SYSTEM SET spine.fetch_allow_addresses = '127.0.0.1'" >/dev/null
sql "ALTER SYSTEM SET spine.fetch_read_timeout = '2s'" >/dev/null
sql "ALTER SYSTEM SET spine.fetch_total_timeout = '4s'" >/dev/null
sql "ALTER SYSTEM SET spine.worker_poll_interval = '100ms'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
sleep 1
sql "SELECT spine.requeue_jobs(kind => 'fetch_image')" >/dev/null
settle 30 >/dev/null
is "$(state_of 970001)" "done -" "after a reload the allow-listed test host is fetched"
is "$(sql "SELECT width || 'x' || height || ' ' || format || ' ' || content_type || ' ' || (byte_size = length(bytes)) FROM marketplace.image_fetches WHERE image_id = 970001")" \
   "64x48 png image/png true" "the fetch stored the image's dimensions, format and content type"

# 4-11. what the fetch policy refuses, each with its reason
image 970002 "http://169.254.169.254/latest/meta-data/iam/"
image 970003 "http://10.0.0.1/car.jpg"
image 970004 "$B/redirect?to=http://10.0.0.1/car.jpg"
image 970005 "$B/big.png"
image 970006 "$B/big-chunked.png"
image 970007 "$B/page.html"
image 970008 "$B/slow.png"
image 970009 "$B/stall"
image 970010 "$B/redirect?to=$B/solid/1e3c8c.png"
sql "SELECT count(*) FROM spine.run_pipeline('marketplace_image_pipeline_30m')" >/dev/null
took=$(settle 60)
echo "# refusals settled in ${took} s"
is "$(state_of 970002)" "dead fetch:address_refused" "the cloud metadata address is refused"
is "$(state_of 970003)" "dead fetch:address_refused" "a private address is refused"
is "$(state_of 970004)" "dead fetch:address_refused" "a redirect to a private address is refused"
is "$(state_of 970005)" "dead fetch:too_large" "an oversized body (Content-Length) is refused"
is "$(state_of 970006)" "dead fetch:too_large" "an oversized chunked body is refused"
is "$(state_of 970007)" "dead fetch:content_type" "a wrong content type is refused"
is "$(state_of 970008) $(state_of 970009)" "dead fetch:timeout dead fetch:timeout" "a slow server and a stalled one time out (retried, then dead)"
is "$(state_of 970010)" "done -" "a redirect within the allowed host is followed"

# 12-13. colour labels through the pipeline (fetch, then label)
image 970011 "$B/twotone/b4141e/f0f0f0.png?w=80&h=60"
image 970012 "$B/solid/2a2a2a.png"
sql "SELECT count(*) FROM spine.run_pipeline('marketplace_image_pipeline_30m')" >/dev/null
settle 30 >/dev/null
sql "SELECT count(*) FROM spine.run_pipeline('marketplace_image_pipeline_30m')" >/dev/null
settle 30 >/dev/null
is "$(sql "SELECT string_agg(image_id || '=' || label, ',' ORDER BY image_id) FROM marketplace.image_labels WHERE label_kind = 'colour' AND image_id >= 970000")" \
   "970001=red,970010=blue,970011=red/white,970012=black" "colour labels of solid and two-tone images"
is "$(sql "SELECT count(*) FROM spine.jobs WHERE kind = 'label_colour' AND state = 'done'")" 4 "one label_colour job per fetched image"

# 14-15. a failing job does not take its worker down
pids=$(sql "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM spine.job_workers WHERE database = current_database()")
image 970013 "$B/page.html"
sql "SELECT spine.enqueue('label_colour', '{\"image_id\": 970013}')" >/dev/null
settle 30 >/dev/null
is "$(state_of 970013)" "dead 55000" "a job that fails is recorded with its SQLSTATE"
is "$(sql "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM spine.job_workers WHERE database = current_database()")" "$pids" "the workers that ran it are the same processes"

# 16-18. SIGTERM stops workers cleanly: launched ones for good, preloaded ones come back (restart 10 s)
launched=$(sql "SELECT array_to_string(spine.launch_workers(2), ',')")
image 970014 "$B/solid/1e6432.png"
sql "SELECT spine.enqueue('fetch_image', '{\"image_id\": 970014}')" >/dev/null
settle 30 >/dev/null
is "$(state_of 970014) $(sql "SELECT count(*) FROM spine.job_workers WHERE database = current_database()")" "done - 4" "launched workers serve beside the preloaded ones"
old=$(sql "SELECT string_agg(pid::text, ',') FROM spine.job_workers WHERE database = current_database()")
is "$(sql "SELECT spine.stop_workers()")" 4 "spine.stop_workers signals all four"
wait_for 40 "SELECT count(*) FILTER (WHERE pid NOT IN ($old)) FROM spine.job_workers WHERE database = current_database()" 2 >/dev/null
sleep 1
is "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE pid IN ($old)) FROM spine.job_workers WHERE database = current_database()")" "2 0" \
   "two new preloaded workers are back, the launched ones stay stopped"

# 19-25. N slow jobs; SIGKILL a worker mid-job three times; restart the server once
N=80
sql "SELECT spine.set_setting('jobs.max_attempts', '10')" >/dev/null
sql "INSERT INTO marketplace.listing_images (image_id, listing_id, position, url)
     SELECT 971000 + i, 970001 + i % 99, 1000 + i, '$B/solid/' || lpad(to_hex(i * 4), 2, '0') || '4080.png?delay=0.4&n=' || i
     FROM generate_series(1, $N) i" >/dev/null
sql "SELECT count(spine.enqueue('fetch_image', jsonb_build_object('image_id', 971000 + i))) FROM generate_series(1, $N) i" >/dev/null
kills=0
for _ in 1 2 3; do
  victim=""
  for _ in $(seq 50); do
    victim=$(sql "SELECT pid FROM spine.job_workers WHERE current_job LIKE 'fetch_image job %' LIMIT 1" 2>/dev/null)
    [ -n "$victim" ] && break
    sleep 0.1
  done
  if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then kills=$((kills + 1)); fi
  sleep 3  # crash recovery: the postmaster restarts every process, the workers included
  wait_for 30 "SELECT count(*) > 0 FROM spine.job_workers" t >/dev/null
done
is "$kills" 3 "three workers were SIGKILLed in the middle of a job"
as_pg env -u RUST_BACKTRACE "$PGBIN/pg_ctl" -D "$SPINE_E2E_DIR" -l "$SPINE_E2E_DIR/server.log" -m fast -w -t 60 restart >/dev/null
ok $? "the server restarted"
took=$(settle 180)
echo "# the $N jobs settled ${took} s after the restart"
is "$(sql "SELECT count(*) FILTER (WHERE state = 'done') || ' done, ' || count(*) FILTER (WHERE state <> 'done') || ' not' FROM spine.jobs WHERE (payload->>'image_id')::bigint > 971000")" \
   "$N done, 0 not" "every job ended done (none lost, none dead)"
is "$(sql "SELECT count(*) FROM marketplace.image_fetches WHERE image_id > 971000")" "$N" "each image was stored once"
is "$(sql "SELECT count(*) FROM marketplace.image_fetches f JOIN spine.jobs j ON j.job_id = f.job_id AND j.state = 'done' AND (j.payload->>'image_id')::bigint = f.image_id WHERE f.image_id > 971000")" \
   "$N" "each stored image was written by the job recorded as done for it"
taken=$(sql "SELECT count(*) FROM spine.jobs WHERE (payload->>'image_id')::bigint > 971000 AND attempts > 1")
echo "# jobs that ran more than once (taken over after a kill or the restart): $taken"
ok "$([ "$taken" -ge 1 ] && echo 0 || echo 1)" "jobs whose worker was killed were taken over and finished"
done_testing
