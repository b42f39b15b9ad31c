#!/usr/bin/env bash
# The scheduled job of examples/github-actions.yml, runnable anywhere: watch the
# model in production and retrain it when its traffic drifts.
#
#   LOGS=/var/log/mlship TRAIN_DATA=recent_labelled.csv examples/monitor-retrain.sh
#
# 1. `mlship monitor` on the inference logs of the last $SINCE (this model
#    version's rows, with the actuals POST /feedback received): the report is
#    recorded against insurance@production and written to $OUT.
# 2. No drift: done (exit 0). Drift: retrain on $TRAIN_DATA with
#    examples/ci-local.sh, gated on the hold-out floor and on beating
#    production's live R2 (when feedback gave one), register, build and push
#    the image, move `production`: servers started with
#    `mlship serve --model insurance@production` follow the alias.
#
# Settings (environment): LOGS (the folder serve logs to), SINCE (1d), TRAIN_DATA
# (required on drift), MODEL_NAME (insurance), MLSHIP (mlship on PATH), OUT
# (ci-out), and everything examples/ci-local.sh reads (REGISTRY, MLSHIP_STORE, …).
set -euo pipefail
MLSHIP=${MLSHIP:-mlship}
MODEL_NAME=${MODEL_NAME:-insurance}
LOGS=${LOGS:-/var/log/mlship}
SINCE=${SINCE:-1d}
OUT=${OUT:-ci-out}
mkdir -p "$OUT"

echo "== monitor $MODEL_NAME@production on $LOGS since $SINCE"
status=0
"$MLSHIP" monitor --model "$MODEL_NAME@production" --logs "$LOGS" --since "$SINCE" --fail-on-drift --json \
  --report "$OUT/monitor_report.html" > "$OUT/monitor.json" || status=$?
case $status in
  0) echo "no drift: nothing to do"; exit 0 ;;
  3) echo "drift: $(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['data_drift']; print(d['number_of_drifted_columns'], 'of', d['number_of_columns'], 'columns')" "$OUT/monitor.json")" ;;
  *) echo "monitor failed (exit $status)" >&2; exit "$status" ;;
esac

: "${TRAIN_DATA:?drift found: set TRAIN_DATA to the recent labelled rows to retrain on}"
# Production's R2 on live traffic, when feedback gave actuals (empty otherwise).
live_r2=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1])).get('performance') or {}; print(dict(p.get('current', {}).get('metrics', [])).get('R2', ''))" "$OUT/monitor.json")
echo "== retrain on $TRAIN_DATA (live R2 of production: ${live_r2:-no actuals})"
TRAIN_DATA="$TRAIN_DATA" LIVE_R2="$live_r2" OUT="$OUT" bash "$(dirname "$0")/ci-local.sh"
