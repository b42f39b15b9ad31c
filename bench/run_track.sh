#!/usr/bin/env bash
# Tracking benchmarks quoted in BENCHMARKS.md, end to end through the binary:
# `mlship runs list` over 10,000 runs sorted by a metric (hyperfine), and the
# UI's runs page with all 10,000 runs (hyperfine over curl, then wrk for
# throughput). Uses the stores `cargo bench -p mlship-track --bench store`
# fills (run it first): target/bench-store-10k (SQLite) and, when
# MLSHIP_BENCH_POSTGRES is set, the database mlship_bench_10k on that server.
# Needs hyperfine and wrk (Debian).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --bin mlship
mlship="$root/target/release/mlship"
stores=("$root/target/bench-store-10k")
if [ -n "${MLSHIP_BENCH_POSTGRES:-}" ]; then
  stores+=("${MLSHIP_BENCH_POSTGRES%/*}/mlship_bench_10k")
fi
for store in "${stores[@]}"; do
  echo "== store $store"
  export MLSHIP_STORE="$store" MLSHIP_ARTIFACTS="$root/target/bench-store-pg-artifacts"
  [ "${store#postgres}" = "$store" ] && unset MLSHIP_ARTIFACTS
  hyperfine -N --warmup 2 --runs 15 \
    "$mlship runs list --experiment ten-thousand --sort holdout_r2 --limit 0 --json" \
    "$mlship runs list --experiment ten-thousand --sort holdout_r2 --limit 0"
  "$mlship" ui --port 5099 > /dev/null 2>&1 &
  ui=$!
  trap 'kill $ui 2> /dev/null || true' EXIT
  for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:5099/ && break; sleep 0.1; done
  page="http://127.0.0.1:5099/experiments/1?limit=0&sort=metrics.holdout_r2%20DESC"
  rows=$(curl -sf "$page" | grep -o '<tr><td><input' | wc -l)
  echo "runs page: $rows rows, $(curl -sf "$page" | wc -c) bytes"
  hyperfine -N --warmup 2 --runs 15 "curl -sf -o /dev/null $page"
  wrk -t1 -c2 -d10s "$page" | grep -E "Requests/sec|Latency "
  kill $ui; wait $ui 2> /dev/null || true
done
