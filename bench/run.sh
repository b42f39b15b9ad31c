#!/usr/bin/env bash
# The speed and memory benchmarks quoted in BENCHMARKS.md. Needs hyperfine and
# GNU time (Debian: `apt-get install hyperfine time`). The peer's figures need
# the PyCaret venv of ../shared/peers/README.md at /tmp/pyc (optional).
#   bench/run.sh            # all mlship figures, and the peer's when /tmp/pyc exists
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
mkdir -p "$work"
cd "$root"
cargo build --release --quiet
mlship="$root/target/release/mlship"
cd "$work"

echo "== machine"
nproc; grep -m1 'model name' /proc/cpuinfo || true; free -g | head -2

echo "== seed run as a whole process (load, 10-fold CV, hold-out, save)"
seed="train --data insurance --target charges --session-id 123 --normalize --polynomial-features --bin-numeric-features age,bmi --model lr --save seed_bench"
hyperfine --warmup 3 --runs 30 --export-json seed.json "$mlship $seed" | sed -n '1,6p'
/usr/bin/time -f "peak RSS %M KB" "$mlship" $seed > /dev/null

echo "== predict: 1,000,000 insurance-shaped rows"
[ -f rows_1m_nt.csv ] || "$root/bench/make_rows.sh" 1000000 rows_1m_nt.csv --no-target > /dev/null
hyperfine --warmup 1 --runs 5 "$mlship predict --model seed_bench.mlship --data rows_1m_nt.csv --out scored.csv" | sed -n '1,6p'
/usr/bin/time -f "peak RSS %M KB, %e s" "$mlship" predict --model seed_bench.mlship --data rows_1m_nt.csv --out scored.csv

echo "== train the seed options on 1,000,000 rows"
[ -f rows_1m.csv ] || "$root/bench/make_rows.sh" 1000000 rows_1m.csv > /dev/null
/usr/bin/time -f "peak RSS %M KB, %e s" "$mlship" train --data rows_1m.csv --target charges --session-id 123 \
  --normalize --polynomial-features --bin-numeric-features age,bmi > /dev/null

if [ -x /tmp/pyc/bin/python ]; then
  echo "== peer: PyCaret 3.3.2 seed training step (setup + create_model + save_model), whole process"
  peers="$root/../shared/peers"
  hyperfine --runs 3 "/tmp/pyc/bin/python $peers/pycaret_seed_train.py $root/data/insurance.csv $work/deployment_lr" | sed -n '1,6p'
  /usr/bin/time -f "peak RSS %M KB, %e s" /tmp/pyc/bin/python "$peers/pycaret_seed_train.py" "$root/data/insurance.csv" "$work/deployment_lr"
fi

if [ -x /tmp/pyc/bin/python ]; then
  echo "== peer: PyCaret predict_model on 1,000,000 rows, and training the seed options on 1,000,000 rows"
  /usr/bin/time -f "peak RSS %M KB, %e s" /tmp/pyc/bin/python "$root/bench/peer_pycaret.py" predict "$work/deployment_lr" rows_1m_nt.csv
  /usr/bin/time -f "peak RSS %M KB, %e s" /tmp/pyc/bin/python "$root/bench/peer_pycaret.py" train rows_1m.csv
fi
