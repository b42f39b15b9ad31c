#!/usr/bin/env bash
# Writes an insurance-shaped CSV of N rows (default 1,000,000) by resampling the
# bundled data with a little noise on age and bmi, so values are not all repeats.
#   bench/make_rows.sh 1000000 /tmp/insurance_1m.csv [--no-target]
set -euo pipefail
n_rows=${1:-1000000}
out=${2:-/tmp/insurance_${n_rows}.csv}
with_target=1
[ "${3:-}" = "--no-target" ] && with_target=0
here=$(cd "$(dirname "$0")" && pwd)
awk -F, -v n="$n_rows" -v with_target="$with_target" -v OFS=, '
  BEGIN { srand(42) }
  NR == 1 { header = with_target ? $0 : "age,sex,bmi,children,smoker,region"; next }
  { rows[++count] = $0 }
  END {
    print header
    for (i = 0; i < n; i++) {
      split(rows[int(rand() * count) + 1], f, ",")
      age = f[1] + int(rand() * 3) - 1; if (age < 18) age = 18
      bmi = sprintf("%.2f", f[3] * (0.95 + rand() * 0.1))
      if (with_target) print age, f[2], bmi, f[4], f[5], f[6], f[7]
      else print age, f[2], bmi, f[4], f[5], f[6]
    }
  }' "$here/../data/insurance.csv" > "$out"
echo "$out"
