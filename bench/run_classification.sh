#!/usr/bin/env bash
# Classification benchmarks quoted in BENCHMARKS.md (issue 13): compare_models
# on the 30,000-row, 20-column set against PyCaret 3.3.2 as whole processes,
# lr training and predicting 1,000,000 rows, and single-record serving with
# probabilities. Needs hyperfine, wrk and GNU time; the data generator and the
# peer need scikit-learn (/tmp/skl) and PyCaret 3.3.2 (/tmp/pyc).
#   bench/run_classification.sh            (SKIP_PEER=1 leaves PyCaret out)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/mlship-bench}
mkdir -p "$work"
cd "$root"
cargo build --release --quiet --bin mlship
mlship="$root/target/release/mlship"
cd "$work"
[ -f clf_30k.csv ] || /tmp/skl/bin/python "$root/bench/classification/make_classification.py" clf_30k.csv
# PyCaret's classification turbo set: every model but rbfsvm, gpc and mlp.
turbo=lr,knn,nb,dt,svm,ridge,rf,qda,ada,gbc,lda,et,xgboost,lightgbm,catboost,dummy

if [ -z "${SKIP_COMPARE:-}" ]; then
echo "== mlship compare, 30,000 rows x 20 columns, default setup, the turbo classifiers"
/usr/bin/time -f "mlship compare: peak RSS %M KB, %e s wall, %U s user" \
  "$mlship" compare --data clf_30k.csv --target churn --session-id 123 --no-track --include $turbo > compare_mlship.txt
cat compare_mlship.txt
if [ -z "${SKIP_PEER:-}" ] && [ -x /tmp/pyc/bin/python ]; then
  echo "== peer: PyCaret 3.3.2 setup + compare_models, whole process, same models"
  /usr/bin/time -f "PyCaret compare_models: peak RSS %M KB, %e s wall, %U s user" \
    /tmp/pyc/bin/python "$root/../shared/peers/pycaret_compare_time.py" clf_30k.csv churn classification $turbo \
    > compare_pycaret.json
  head -c 400 compare_pycaret.json; echo
fi
fi

echo "== lr: train on 1,000,000 rows, predict 1,000,000 rows"
if [ ! -f clf_1m.csv ]; then
  # 1,000,000 rows: the 30,000-row set repeated (the models see a bigger, not a different, problem).
  head -1 clf_30k.csv > clf_1m.csv
  # head closes the pipe after 1,000,000 rows: the writer's SIGPIPE is expected.
  { for _ in $(seq 34); do tail -n +2 clf_30k.csv; done | head -1000000 >> clf_1m.csv; } || true
fi
/usr/bin/time -f "lr train (fold 2): peak RSS %M KB, %e s wall" \
  "$mlship" train --data clf_1m.csv --target churn --session-id 123 --fold 2 --no-track --save clf_lr > /dev/null
/usr/bin/time -f "lr predict 1M rows: peak RSS %M KB, %e s wall" \
  "$mlship" predict --model clf_lr.mlship --data clf_1m.csv --out scored_1m.csv
hyperfine --runs 3 "$mlship predict --model clf_lr.mlship --data clf_1m.csv --out scored_1m.csv" | sed -n '1,4p'

echo "== serving one record with probabilities (/invocations?probabilities=true), wrk 2 threads, 32 connections"
"$mlship" train --data clf_30k.csv --target churn --session-id 123 --no-track --save clf_serve > /dev/null
record=$(python3 -c "
import csv, json
r = next(csv.DictReader(open('clf_30k.csv')))
r.pop('churn')
print(json.dumps({k: (float(v) if v.replace('.', '', 1).replace('-', '', 1).isdigit() else v) for k, v in r.items()}))")
printf 'wrk.method = "POST"\nwrk.body = [[{"dataframe_records": [%s]}]]\nwrk.headers["Content-Type"] = "application/json"\n' "$record" > proba_1.lua
"$mlship" serve --model clf_serve.mlship --port 5077 > serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf localhost:5077/readyz > /dev/null && break; sleep 0.1; done
curl -s "localhost:5077/invocations?probabilities=true" -H 'content-type: application/json' -d "$(sed -n 's/^wrk.body = \[\[\(.*\)\]\]$/\1/p' proba_1.lua)"; echo
wrk -t2 -c32 -d10s -s proba_1.lua "http://127.0.0.1:5077/invocations?probabilities=true" | sed -n '1,12p'
