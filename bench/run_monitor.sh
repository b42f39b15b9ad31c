#!/usr/bin/env bash
# Monitoring benchmarks quoted in BENCHMARKS.md (issue 14, item 8): `mlship
# monitor` on 1,000,000 rows x 20 feature columns (+ the target) against a
# 10,000-row reference, (a) with the model's profile, (b) with the reference
# file (exactly Evidently's inputs), (c) Evidently 0.7.23's DataDriftPreset as
# a whole process on the same CSVs; then the verdicts of (a) and (b) held
# against Evidently's, and where mlship's time goes (Parquet, no target, the
# first 1,000 rows). Needs hyperfine and GNU time; the data generator and the
# peer need the venv of fixtures/evidently_drift.py at /tmp/stattest-venv
# (evidently==0.7.23, pandas==2.3.3, numpy==2.4.6, scipy==1.17.1, pyarrow).
#   bench/run_monitor.sh     (SKIP_PEER=1 leaves Evidently out; RUNS=N hyperfine runs, default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/monbench}
py=${PEER_PYTHON:-/tmp/stattest-venv/bin/python}
runs=${RUNS:-3}
mkdir -p "$work"
cd "$root"
cargo build --release --locked --quiet --bin mlship
mlship="$root/target/release/mlship"
cd "$work"
[ -f current.csv ] && [ -f shifted.json ] || "$py" "$root/bench/monitor/make_data.py" "$work"
# Variants for the breakdown: the same current rows without the target (no
# performance, no target drift), and its first 1,000 rows (the fixed costs).
[ -f current_x.csv ] || cut -d, -f1-20 current.csv > current_x.csv
[ -f current_1k.csv ] || head -n 1001 current.csv > current_1k.csv
[ -f current_100k.csv ] || head -n 100001 current.csv > current_100k.csv

echo "== machine"
nproc; uptime; date -u
echo "== train lr on the reference (10,000 rows)"
"$mlship" train --data ref.csv --target y --model lr --save m --no-track > train.txt
tail -n 3 train.txt

timed() { # label, then the command; its stdout goes to $label.json
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, peak RSS %M KB" "$@" > "$label.json"
}
echo "== single runs: GNU time (wall, CPU, peak RSS)"
timed a_profile "$mlship" monitor --model m.mlship --data current.csv --no-track --json --report a.html
timed b_reference "$mlship" monitor --model m.mlship --data current.csv --reference ref.csv --no-track --json --report b.html
timed d_parquet "$mlship" monitor --model m.mlship --data current.parquet --no-track --json --report d.html
timed e_no_target "$mlship" monitor --model m.mlship --data current_x.csv --no-track --json --report e.html
timed f_1k_rows "$mlship" monitor --model m.mlship --data current_1k.csv --no-track --json --report f.html
timed g_table "$mlship" monitor --model m.mlship --data current.csv --no-track --report g.html
timed h_100k_rows "$mlship" monitor --model m.mlship --data current_100k.csv --no-track --json --report h.html
# For scale: the streaming batch scorer reads and parses the same file in bounded memory.
timed i_predict "$mlship" predict --model m.mlship --data current.csv --out scored.csv
ls -l a.html

echo "== hyperfine, $runs runs each"
hyperfine --runs "$runs" --export-json hyperfine_mlship.json \
  -n a_profile "$mlship monitor --model m.mlship --data current.csv --no-track --json --report a.html" \
  -n b_reference "$mlship monitor --model m.mlship --data current.csv --reference ref.csv --no-track --json --report b.html" \
  -n d_parquet "$mlship monitor --model m.mlship --data current.parquet --no-track --json --report d.html" \
  -n e_no_target "$mlship monitor --model m.mlship --data current_x.csv --no-track --json --report e.html" \
  -n f_1k_rows "$mlship monitor --model m.mlship --data current_1k.csv --no-track --json --report f.html" \
  | grep -E '^Benchmark|Time \(mean|Range'
python3 -c "
import json, statistics
for r in json.load(open('hyperfine_mlship.json'))['results']:
    print(f\"{r['command']}: median {statistics.median(r['times']):.3f} s wall, mean user {r['user']:.3f} s, sys {r['system']:.3f} s\")"

if [ -z "${SKIP_PEER:-}" ]; then
  echo "== peer: Evidently 0.7.23 DataDriftPreset, whole process (one run: minutes each)"
  timed c_evidently "$py" "$root/bench/monitor/evidently_preset.py" ref.csv current.csv shifted.json
  python3 -c "
import json; d = json.load(open('c_evidently.json'))
print({k: v for k, v in d.items() if k != 'columns'})"
fi

echo "== verdicts against Evidently's"
if [ -f c_evidently.json ]; then
  python3 "$root/bench/monitor/compare_verdicts.py" c_evidently.json shifted.json \
    a_profile.json b_reference.json d_parquet.json e_no_target.json
fi
