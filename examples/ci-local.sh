#!/usr/bin/env bash
# The CI/CD pipeline of examples/github-actions.yml, runnable on a laptop:
# train, gate on metrics (an absolute floor and "no worse than production"),
# build and push the image, render the manifests.
#
#   REGISTRY=localhost:5001 examples/ci-local.sh
#
# Settings (environment): MIN_R2 (0.80), MAX_R2_DROP (0.005) against the model
# in PRODUCTION_MODEL (production.mlship, skipped when absent), REGISTRY
# (localhost:5001), IMAGE_NAME (insurance), MLSHIP (mlship on PATH), BINARY (a
# static mlship for the image; defaults to $MLSHIP), OUT (ci-out).
set -euo pipefail
MLSHIP=${MLSHIP:-mlship}
BINARY=${BINARY:-$(command -v "$MLSHIP")}
OUT=${OUT:-ci-out}
MIN_R2=${MIN_R2:-0.80}
MAX_R2_DROP=${MAX_R2_DROP:-0.005}
PRODUCTION_MODEL=${PRODUCTION_MODEL:-production.mlship}
REGISTRY=${REGISTRY:-localhost:5001}
VERSION=${GITHUB_SHA:-$(git rev-parse --short HEAD 2> /dev/null || date +%Y%m%d%H%M%S)}
IMAGE="$REGISTRY/${IMAGE_NAME:-insurance}:${VERSION:0:12}"
mkdir -p "$OUT"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$@"; }

echo "== train"
"$MLSHIP" train --data insurance --target charges --session-id 123 --normalize --polynomial-features \
  --bin-numeric-features age,bmi --model lr --save "$OUT/candidate" --json > "$OUT/candidate.json"
r2=$(json "$OUT/candidate.json" "['holdout']['R2']")
echo "hold-out R2 $r2"

echo "== gate"
python3 -c "import sys; r2, floor = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if r2 >= floor else f'hold-out R2 {r2:.4f} is below the floor {floor}')" "$r2" "$MIN_R2"
if [ -f "$PRODUCTION_MODEL" ]; then
  "$MLSHIP" inspect "$PRODUCTION_MODEL" --json > "$OUT/production.json"
  production=$(json "$OUT/production.json" "['metrics']['holdout']['R2']")
  python3 -c "import sys; c, p, d = map(float, sys.argv[1:]); sys.exit(0 if c >= p - d else f'candidate R2 {c:.4f} is worse than production {p:.4f}')" \
    "$r2" "$production" "$MAX_R2_DROP"
  echo "no worse than production (R2 $production)"
fi

echo "== image"
"$MLSHIP" image build --binary "$BINARY" --model "$OUT/candidate.mlship" --tag "$IMAGE" --push --json > "$OUT/image.json"
echo "pushed $IMAGE $(json "$OUT/image.json" "['digest']")"

echo "== manifests"
"$MLSHIP" deploy kubernetes --image "$IMAGE" --name "${IMAGE_NAME:-insurance}" > "$OUT/k8s.yaml"
"$MLSHIP" deploy compose --image "$IMAGE" --name "${IMAGE_NAME:-insurance}" --replicas 3 > "$OUT/compose.yaml"
echo "wrote $OUT/k8s.yaml and $OUT/compose.yaml"
