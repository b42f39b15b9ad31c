#!/usr/bin/env bash
# Three replicas of the model image behind nginx (Debian's, on the host): one
# replica is killed during a load run and only in-flight requests may fail;
# then a rolling (blue/green) update to a new model version under load fails no
# request. nginx has six fixed slots, three per colour, and is never reloaded:
# a reload drops clients' keep-alive connections, which is nginx's doing, not
# the model server's. Slots that are down are skipped by nginx's retries.
# Called by scripts/test.sh with: MLSHIP (debug build), RELEASE (the release
# build `cargo build --release` makes, put in the images),
# REGISTRY (host:port of a local registry), WORK (scratch folder).
set -euo pipefail
: "${MLSHIP:?}" "${RELEASE:?}" "${REGISTRY:?}" "${WORK:?}"
mkdir -p "$WORK/nginx"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
seed_row='{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}'
containers=()
cleanup() {
  [ -f "$WORK/nginx/nginx.pid" ] && nginx -c "$WORK/nginx/nginx.conf" -s quit 2> /dev/null
  for c in "${containers[@]}"; do docker rm -f "$c" > /dev/null 2>&1; done
  true
}
trap cleanup EXIT

# Version 1 is the golden model; version 2 is a retrained one with another seed.
golden=crates/mlship-artifact/tests/golden/insurance_v1.mlship
"$MLSHIP" train --data insurance --session-id 124 --normalize --polynomial-features --bin-numeric-features age,bmi \
  --save "$WORK/v2" > /dev/null
v1="$REGISTRY/insurance:v1"; v2="$REGISTRY/insurance:v2"
"$RELEASE" image build --model "$golden" --tag "$v1" --push > /dev/null
"$RELEASE" image build --model "$WORK/v2.mlship" --tag "$v2" --push > /dev/null
docker pull -q "$v1" > /dev/null; docker pull -q "$v2" > /dev/null

declare -A port
for name in lb-v1-a lb-v1-b lb-v1-c lb-v2-a lb-v2-b lb-v2-c; do port[$name]=$(free_port); done
start_replica() {  # $1 slot name, $2 image
  local p=${port[$1]}
  containers+=("$1")
  local started; started=$(date +%s%N)
  docker run -d --name "$1" --stop-timeout 30 -p "127.0.0.1:$p:5000" "$2" > /dev/null
  local ready=""
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$p/readyz" > /dev/null && ready=yes && break; sleep 0.05; done
  [ -n "$ready" ] || { echo "$1 did not become ready within 10 s"; exit 1; }
  echo "$1 ready in $(( ($(date +%s%N) - started) / 1000000 )) ms (docker run to /readyz)"
}
upstream() {  # the replicas nginx balances over
  { echo "upstream model {"
    for name in "$@"; do echo "    server 127.0.0.1:${port[$name]} max_fails=1 fail_timeout=2s;"; done
    echo "    keepalive 32;"
    echo "}"; } > "$WORK/nginx/upstream.conf"
}
lb_port=$(free_port)
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    include $WORK/nginx/upstream.conf;
    server {
        listen 127.0.0.1:$lb_port;
        location / {
            proxy_pass http://model;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # Predictions are pure: retrying a POST on another replica is safe.
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 6;
        }
    }
}
CONF
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$seed_row'
wrk.headers["Content-Type"] = "application/json"
LUA
failures() {  # non-2xx responses + socket errors in a wrk report
  local non2xx errors
  non2xx=$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$1" | grep -oE '[0-9]+$' || true)
  errors=$(grep -oE 'Socket errors: connect [0-9]+, read [0-9]+, write [0-9]+, timeout [0-9]+' "$1" | grep -oE '[0-9]+' | paste -sd+ | bc || true)
  echo $(( ${non2xx:-0} + ${errors:-0} ))
}

start_replica lb-v1-a "$v1"; start_replica lb-v1-b "$v1"; start_replica lb-v1-c "$v1"
upstream lb-v1-a lb-v1-b lb-v1-c lb-v2-a lb-v2-b lb-v2-c
nginx -c "$WORK/nginx/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$lb_port/healthz" && break; sleep 0.1; done

echo "== one replica killed (SIGKILL) during a 6 s load run, 16 connections"
wrk -t2 -c16 -d6s -s "$WORK/post.lua" "http://127.0.0.1:$lb_port/predict_api" > "$WORK/kill.txt" &
load=$!
sleep 2
docker kill lb-v1-a > /dev/null
wait $load
killed_failures=$(failures "$WORK/kill.txt")
grep -E "requests in|Requests/sec" "$WORK/kill.txt"
echo "failed requests: $killed_failures (at most the 16 in flight may fail)"
[ "$killed_failures" -le 16 ] || { echo "more than the in-flight requests failed"; exit 1; }

echo "== rolling update to version 2 under load: new replicas in, old ones drained out"
wrk -t2 -c16 -d10s -s "$WORK/post.lua" "http://127.0.0.1:$lb_port/predict_api" > "$WORK/roll.txt" &
load=$!
sleep 1
start_replica lb-v2-a "$v2"; start_replica lb-v2-b "$v2"; start_replica lb-v2-c "$v2"
# Longer than nginx's fail_timeout, so the new slots are back in rotation
# (they were marked failed while empty) before the old ones go.
sleep 3
docker stop lb-v1-b > /dev/null   # SIGTERM: readiness off, in-flight requests finish
docker stop lb-v1-c > /dev/null
wait $load
roll_failures=$(failures "$WORK/roll.txt")
grep -E "requests in|Requests/sec" "$WORK/roll.txt"
echo "failed requests during the roll: $roll_failures"
[ "$roll_failures" -eq 0 ] || { echo "the rolling update failed requests"; exit 1; }
answer=$(curl -sf "http://127.0.0.1:$lb_port/predict_api" -H 'content-type: application/json' -d "$seed_row")
[ "$answer" != "23624.0786" ] || { echo "still answered by version 1"; exit 1; }
echo "now answered by version 2: $answer"
