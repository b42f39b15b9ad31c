#!/usr/bin/env bash
# Tree and boosting benchmarks quoted in BENCHMARKS.md (issue 12): train time,
# hold-out R2 and peak memory on a 1,000,000-row, 20-feature regression set
# (bench/trees/make_regression.py), mlship against the libraries on the same
# machine in the same session, then 1M-row prediction and single-record
# serving of a 100-tree forest with wrk.
#   bench/run_trees.sh [model …]     (default: rf lightgbm xgboost)
# PARAMS="n_estimators=20" passes the same parameters to both sides.
# /usr/bin/time reports wall seconds, CPU seconds (user + sys: fairer than
# wall time on a shared machine) and the peak RSS of each whole process.
# The peer side needs a venv with numpy, pandas, scikit-learn 1.9.1,
# lightgbm 4.7.0, xgboost 3.2.0 and catboost 1.2.10 at $PEER_PY (default /tmp/skl/bin/python).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
peer_py=${PEER_PY:-/tmp/skl/bin/python}
rows=${ROWS:-1000000}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(rf lightgbm xgboost)
mkdir -p "$work"
cd "$root"
cargo build --release --quiet -p mlship-learn --example fit_large
cargo build --release --quiet --bin mlship
fit_large="$root/target/release/examples/fit_large"
data="$work/reg_${rows}.csv"
[ -f "$data" ] || "$peer_py" bench/trees/make_regression.py "$rows" "$data"

measure() { # label command…: the JSON line, then wall s, CPU s and peak RSS of the whole process
  local label=$1; shift
  /usr/bin/time -f "wall_s=%e cpu_s=%U+%S peak_rss_kb=%M" -o "$work/time" "$@" > "$work/out.json"
  echo "$label $(cat "$work/out.json") $(cat "$work/time")"
}
read -r -a params <<< "${PARAMS:-}"
for model in "${models[@]}"; do
  echo "== $model, $rows rows x 20 features (80% train), mlship then the library, twice each"
  for _ in 1 2; do
    measure "mlship" "$fit_large" "$model" "$data" "${params[@]}"
    measure "peer  " "$peer_py" bench/trees/peer_fit.py "$model" "$data" "${params[@]}"
  done
done

echo "== serving a 100-tree forest (rf on insurance), one record per request, wrk 2 threads 32 connections"
mlship="$root/target/release/mlship"
"$mlship" train --data insurance --session-id 123 --model rf --save "$work/bench_rf" --no-track > /dev/null
"$mlship" serve --model "$work/bench_rf.mlship" --port 5078 > /dev/null 2> "$work/serve_rf.log" &
server=$!
trap 'kill $server 2> /dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:5078/readyz > /dev/null && break; sleep 0.2; done
wrk -t2 -c32 -d"${DURATION:-15s}" --latency -s "$root/../shared/peers/predict_api.lua" http://127.0.0.1:5078/predict_api \
  | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors" || true
kill -TERM $server; wait $server || true
