#!/usr/bin/env bash
# Serving under a slowloris load (BENCHMARKS.md, issue 10): wrk against
# `mlship serve` (release build, default limits: --header-timeout 10 s,
# --max-connections 1024) alone, then while bench/slowloris.py holds 500
# connections half-way through their headers (below the limit: the header
# timeout closes each after 10 s and the attacker reopens it), then 1,200
# (above it: honest connections wait in the backlog for a slot). Needs wrk
# and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-15s}
cd "$root"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet --bin mlship
mlship="$root/target/release/mlship"
model="$root/crates/mlship-artifact/tests/golden/insurance_v1.mlship"
"$mlship" serve --model "$model" --port 5079 > /dev/null 2> /tmp/mlship-slowloris-serve.log &
server=$!
loris=""
trap 'kill $server $loris 2> /dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:5079/readyz > /dev/null && break; sleep 0.2; done
report() { grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" || true; }
echo "== /predict_api, one record, 2 threads, 32 connections: alone"
wrk -t2 -c32 -d"$duration" --latency -s ../shared/peers/predict_api.lua http://127.0.0.1:5079/predict_api | report
ulimit -n 8192
for n in 500 1200; do
  python3 bench/slowloris.py 127.0.0.1 5079 "$n" &
  loris=$!
  sleep 12
  echo "== the same, while $n slowloris connections trickle their headers"
  wrk -t2 -c32 -d"$duration" --latency -s ../shared/peers/predict_api.lua http://127.0.0.1:5079/predict_api | report
  echo "   open connections to the server: $(ss -tn state established '( sport = :5079 )' | tail -n +2 | wc -l); server RSS $(ps -o rss= -p $server) KB"
  kill $loris; wait $loris 2> /dev/null || true
done
