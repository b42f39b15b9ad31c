#!/usr/bin/env bash
# Serving benchmarks quoted in BENCHMARKS.md: wrk over loopback against
# `mlship serve` (release build) and, when the PyCaret venv of
# ../shared/peers/README.md is at /tmp/pyc, against the seed's Flask app.
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
duration=${DURATION:-15s}
mkdir -p "$work"
cd "$root"
cargo build --release --quiet
mlship="$root/target/release/mlship"
model="$root/crates/mlship-artifact/tests/golden/insurance_v1.mlship"
peers="$root/../shared/peers"
lua="$root/bench/lua"

"$mlship" serve --model "$model" --port 5077 > /dev/null 2> "$work/serve.log" &
server=$!
trap 'kill $server 2> /dev/null || true' EXIT
sleep 1
url=http://127.0.0.1:5077
report() { grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" || true; }

echo "== mlship /predict_api, one record (the seed's wrk script), 2 threads, 32 connections"
wrk -t2 -c32 -d"$duration" --latency -s "$peers/predict_api.lua" "$url/predict_api" | report
echo "== mlship /invocations, one record"
wrk -t2 -c32 -d"$duration" --latency -s "$lua/invocations_1.lua" "$url/invocations" | report
echo "== mlship /invocations, 1,000 records per request (rows/s = requests/s x 1000)"
wrk -t2 -c8 -d"$duration" --latency -s "$lua/invocations_1000.lua" "$url/invocations" | report
echo "== mlship form round trip: GET / then POST /predict"
wrk -t2 -c32 -d"$duration" --latency "$url/" | report
wrk -t2 -c32 -d"$duration" --latency -s "$lua/form.lua" "$url/predict" | report
echo "== mlship /predict_api at the peer's load (1 thread, 4 connections)"
wrk -t1 -c4 -d"$duration" --latency -s "$peers/predict_api.lua" "$url/predict_api" | report
echo "== mlship RSS after the runs: $(ps -o rss= -p $server) KB"
kill -TERM $server; wait $server || true

if [ -x /tmp/pyc/bin/python ]; then
  [ -f "$work/deployment_lr.pkl" ] || /tmp/pyc/bin/python "$peers/pycaret_seed_train.py" "$root/data/insurance.csv" "$work/deployment_lr"
  MODEL="$work/deployment_lr" PORT=5055 /tmp/pyc/bin/python "$peers/seed_flask_app.py" > /dev/null 2>&1 &
  peer=$!
  trap 'kill $peer 2> /dev/null || true' EXIT
  for _ in $(seq 120); do curl -s -o /dev/null http://127.0.0.1:5055/ && break; sleep 0.5; done
  echo "== peer: the seed's Flask app, /predict_api (1 thread, 4 connections, as ../shared/peers/README.md)"
  wrk -t1 -c4 -d"$duration" --latency -s "$peers/predict_api.lua" http://127.0.0.1:5055/predict_api | report
  echo "== peer: form POST /predict"
  wrk -t1 -c4 -d"$duration" --latency -s "$lua/form.lua" http://127.0.0.1:5055/predict | report
  echo "== peer RSS: $(ps -o rss= -p $peer) KB"
  kill $peer
fi
