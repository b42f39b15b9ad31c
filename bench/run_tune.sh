#!/usr/bin/env bash
# tune_model, mlship against PyCaret 3.3.2 on the same machine (BENCHMARKS.md,
# issue 15): rf and lightgbm, n_iter 10, insurance, default setup. mlship's
# figure is the whole process (data read, search, hold-out refit); PyCaret's
# is tune_model alone, after its import, setup and create_model.
#   bench/run_tune.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
mkdir -p "$work"
cd "$root"
cargo build --release --quiet --bin mlship
mlship="$root/target/release/mlship"
cd "$work"
for model in rf lightgbm; do
  echo "== mlship tune --model $model (whole process)"
  hyperfine --warmup 1 --runs 5 "$mlship tune --data insurance --session-id 123 --model $model --no-track" | sed -n '1,6p'
  "$mlship" tune --data insurance --session-id 123 --model "$model" --no-track --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("best", d["search"]["best_params"], "CV R2", round(d["cv"]["mean"]["R2"], 4))'
  if [ -x /tmp/pyc/bin/python ]; then
    echo "== peer: PyCaret tune_model($model), three runs"
    for _ in 1 2 3; do /tmp/pyc/bin/python "$root/bench/peer_pycaret_tune.py" "$root/data/insurance.csv" charges "$model"; done
  fi
done
