#!/usr/bin/env bash
# Serving throughput with inference logging on against off (issue 14: at most
# 10% lower): wrk over loopback against `mlship serve` (release build) with the
# same insurance model as run_serve.sh, one record per /predict_api request
# (the seed's wrk script) and 1,000 records per /invocations request. Runs
# alternate off/on ROUNDS times and the medians of requests/s are compared.
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
mkdir -p "$work"
cd "$root"
cargo build --release --quiet
mlship="$root/target/release/mlship"
model="$root/crates/mlship-artifact/tests/golden/insurance_v1.mlship"
peers="$root/../shared/peers"
logs="$work/inference-logs"

bash "$root/bench/make_rows.sh" 1000 "$work/rows_1000.csv" --no-target > /dev/null
awk -F, '
  BEGIN { printf "wrk.method = \"POST\"\nwrk.body = [[{\"dataframe_records\":[" }
  NR > 1 {
    printf "%s{\"age\":%s,\"sex\":\"%s\",\"bmi\":%s,\"children\":%s,\"smoker\":\"%s\",\"region\":\"%s\"}",
      (NR > 2 ? "," : ""), $1, $2, $3, $4, $5, $6
  }
  END { printf "]}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n" }' "$work/rows_1000.csv" > "$work/invocations_1000.lua"

url=http://127.0.0.1:5078
server=
trap '[ -n "$server" ] && kill $server 2> /dev/null || true' EXIT
start() {
  rm -rf "$logs"
  if [ "$1" = on ]; then
    "$mlship" serve --model "$model" --port 5078 --log-inferences "$logs" > /dev/null 2> "$work/serve-inflog.log" &
  else
    "$mlship" serve --model "$model" --port 5078 > /dev/null 2> "$work/serve-inflog.log" &
  fi
  server=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$url/healthz" && return; sleep 0.1; done
}
stop() { kill -TERM "$server"; wait "$server" || true; server=; }
rps() { wrk "$@" | awk '/Requests\/sec/ { print $2 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

declare -A one thousand
for round in $(seq "$rounds"); do
  for mode in off on; do
    start "$mode"
    one[$mode]+="$(rps -t2 -c32 -d"$duration" -s "$peers/predict_api.lua" "$url/predict_api")"$'\n'
    thousand[$mode]+="$(rps -t2 -c8 -d"$duration" -s "$work/invocations_1000.lua" "$url/invocations")"$'\n'
    if [ "$mode" = on ]; then
      metrics=$(curl -s "$url/metrics")
      stop
      written=$(echo "$metrics" | awk '/^mlship_inference_log_records_total/ { print $2 }')
      dropped=$(echo "$metrics" | awk '/^mlship_inference_log_dropped_total/ { s += $2 } END { print s + 0 }')
      echo "round $round: logged $written rows, dropped $dropped (before the shutdown drain), $(du -sb "$logs" | cut -f1) bytes on disk after it"
    else
      stop
    fi
  done
done
for route in one thousand; do
  declare -n runs=$route
  off=$(printf '%s' "${runs[off]}" | median)
  on=$(printf '%s' "${runs[on]}" | median)
  label=$([ $route = one ] && echo "/predict_api, 1 record" || echo "/invocations, 1,000 records")
  echo "== $label: median requests/s off $off, on $on, on/off $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
done
