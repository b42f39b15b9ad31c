#!/usr/bin/env bash
# compare_models, whole process, mlship against PyCaret 3.3.2 on the same
# machine (BENCHMARKS.md, issue 11). Needs hyperfine and GNU time; the peer's
# figures need the PyCaret venv of ../shared/peers/README.md at /tmp/pyc.
#   bench/run_compare.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
mkdir -p "$work"
cd "$root"
cargo build --release --quiet --bin mlship
mlship="$root/target/release/mlship"
cd "$work"
# PyCaret's turbo set (the tree and boosting models included since issue 12)
# and "every model" (turbo off adds ard ransac tr kr svm mlp).
linear=lr,lasso,ridge,en,lar,llar,omp,br,par,huber,knn,dummy
turbo=$linear,dt,rf,et,ada,gbr,xgboost,lightgbm,catboost
all=$turbo,ard,ransac,tr,kr,svm,mlp

echo "== mlship compare, insurance, default setup, the linear turbo models (issue 11's set)"
hyperfine --warmup 2 --runs 20 "$mlship compare --data insurance --session-id 123 --no-track --include $linear" | sed -n '1,6p'
echo "== mlship compare, insurance, default setup, turbo models (trees and boosting included)"
hyperfine --warmup 2 --runs 20 "$mlship compare --data insurance --session-id 123 --no-track --include $turbo" | sed -n '1,6p'
/usr/bin/time -f "peak RSS %M KB, %e s" "$mlship" compare --data insurance --session-id 123 --no-track --include $turbo > /dev/null
echo "== mlship compare, every model (--no-turbo)"
hyperfine --warmup 1 --runs 10 "$mlship compare --data insurance --session-id 123 --no-track --include $all" | sed -n '1,6p'
echo "== mlship compare with the seed's options, every model"
hyperfine --warmup 1 --runs 5 "$mlship compare --data insurance --session-id 123 --no-track --include $all --normalize --polynomial-features --bin-numeric-features age,bmi" | sed -n '1,6p'

if [ -x /tmp/pyc/bin/python ]; then
  peers="$root/../shared/peers"
  echo "== peer: PyCaret 3.3.2 setup + compare_models, whole process, same models"
  hyperfine --runs 3 "/tmp/pyc/bin/python $peers/pycaret_compare_time.py $root/data/insurance.csv charges regression $turbo" | sed -n '1,6p'
  /usr/bin/time -f "peak RSS %M KB, %e s" /tmp/pyc/bin/python "$peers/pycaret_compare_time.py" "$root/data/insurance.csv" charges regression "$turbo" > /dev/null
  hyperfine --runs 3 "/tmp/pyc/bin/python $peers/pycaret_compare_time.py $root/data/insurance.csv charges regression $all" | sed -n '1,6p'
fi

echo "== knn and svm: predict 1,000,000 insurance-shaped rows"
[ -f rows_1m_nt.csv ] || "$root/bench/make_rows.sh" 1000000 rows_1m_nt.csv --no-target > /dev/null
for model in knn svm; do
  "$mlship" train --data insurance --session-id 123 --normalize --model "$model" --save "bench_$model" --no-track > /dev/null
  /usr/bin/time -f "$model: peak RSS %M KB, %e s" "$mlship" predict --model "bench_$model.mlship" --data rows_1m_nt.csv --out scored.csv
done

echo "== compare on 1,000,000 rows (turbo models without knn): memory peak"
[ -f rows_1m.csv ] || "$root/bench/make_rows.sh" 1000000 rows_1m.csv > /dev/null
/usr/bin/time -f "peak RSS %M KB, %e s" "$mlship" compare --data rows_1m.csv --target charges --session-id 123 --no-track \
  --include lr,lasso,ridge,en,lar,llar,omp,br,par,huber,dummy --fold 5 > /dev/null
