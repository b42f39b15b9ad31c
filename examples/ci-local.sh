#!/usr/bin/env bash
# The CI/CD pipeline of examples/github-actions.yml, runnable on a laptop:
# train (recorded as a run), gate on metrics (an absolute floor and "no worse
# than the model in production"), register the candidate as a new version,
# build and push its image from the registry, render the manifests, and move
# the `production` alias to it.
#
#   REGISTRY=localhost:5001 examples/ci-local.sh
#
# Settings (environment): MIN_R2 (0.80), MAX_R2_DROP (0.005), MODEL_NAME
# (insurance; the registered model whose `production` alias is the bar),
# MLSHIP_STORE (the tracking store: a folder, or postgres://… for a team;
# default $OUT/store), REGISTRY (localhost:5001), MLSHIP (mlship on PATH),
# BINARY (the mlship put in the image; defaults to $MLSHIP), OUT (ci-out),
# PROMOTE (1: point `production` at the new version once it is pushed),
# TRAIN_DATA (insurance: the bundled data; a CSV of recent labelled rows when
# retraining), LIVE_R2 (when set, by examples/monitor-retrain.sh: production's
# R2 on live traffic; the candidate must beat it instead of production's hold-out).
set -euo pipefail
MLSHIP=${MLSHIP:-mlship}
BINARY=${BINARY:-$(command -v "$MLSHIP")}
OUT=${OUT:-ci-out}
MIN_R2=${MIN_R2:-0.80}
MAX_R2_DROP=${MAX_R2_DROP:-0.005}
MODEL_NAME=${MODEL_NAME:-insurance}
REGISTRY=${REGISTRY:-localhost:5001}
PROMOTE=${PROMOTE:-1}
TRAIN_DATA=${TRAIN_DATA:-insurance}
LIVE_R2=${LIVE_R2:-}
export MLSHIP_STORE=${MLSHIP_STORE:-$OUT/store}
mkdir -p "$OUT"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$@"; }

echo "== train"
"$MLSHIP" train --data "$TRAIN_DATA" --target charges --session-id 123 --normalize --polynomial-features \
  --bin-numeric-features age,bmi --model lr --experiment "$MODEL_NAME" --tag "commit=${GITHUB_SHA:-local}" \
  --json > "$OUT/candidate.json"
r2=$(json "$OUT/candidate.json" "['holdout']['R2']")
run=$(json "$OUT/candidate.json" "['run']['id']")
echo "run $run: hold-out R2 $r2"

echo "== gate"
python3 -c "import sys; r2, floor = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if r2 >= floor else f'hold-out R2 {r2:.4f} is below the floor {floor}')" "$r2" "$MIN_R2"
if [ -n "$LIVE_R2" ]; then
  # Retraining after drift: production's hold-out no longer describes the traffic; its live R2 does.
  python3 -c "import sys; c, p = map(float, sys.argv[1:]); sys.exit(0 if c > p else f'candidate R2 {c:.4f} does not beat production live R2 {p:.4f}')" \
    "$r2" "$LIVE_R2"
  echo "beats $MODEL_NAME@production on live traffic (R2 $LIVE_R2)"
elif "$MLSHIP" inspect "$MODEL_NAME@production" --json > "$OUT/production.json" 2> "$OUT/production.err"; then
  production=$(json "$OUT/production.json" "['metrics']['holdout']['R2']")
  python3 -c "import sys; c, p, d = map(float, sys.argv[1:]); sys.exit(0 if c >= p - d else f'candidate R2 {c:.4f} is worse than production {p:.4f}')" \
    "$r2" "$production" "$MAX_R2_DROP"
  echo "no worse than $MODEL_NAME@production (R2 $production)"
elif grep -q "no registered model\|has no alias" "$OUT/production.err"; then
  echo "no $MODEL_NAME@production yet: this candidate becomes the first"
else
  cat "$OUT/production.err" >&2
  exit 1
fi

echo "== register"
"$MLSHIP" models register "$MODEL_NAME" "$run" --alias staging --json > "$OUT/version.json"
version=$(json "$OUT/version.json" "['version']")
echo "$MODEL_NAME version $version (alias staging)"

echo "== image"
IMAGE="$REGISTRY/$MODEL_NAME:$version"
"$MLSHIP" image build --binary "$BINARY" --model "$MODEL_NAME@staging" --tag "$IMAGE" --push --json > "$OUT/image.json"
echo "pushed $IMAGE $(json "$OUT/image.json" "['digest']")"

echo "== manifests"
"$MLSHIP" deploy kubernetes --image "$IMAGE" --name "$MODEL_NAME" > "$OUT/k8s.yaml"
"$MLSHIP" deploy compose --image "$IMAGE" --name "$MODEL_NAME" --replicas 3 > "$OUT/compose.yaml"
echo "wrote $OUT/k8s.yaml and $OUT/compose.yaml"

if [ "$PROMOTE" = 1 ]; then
  echo "== promote"
  "$MLSHIP" models alias "$MODEL_NAME" production "$version"
fi
