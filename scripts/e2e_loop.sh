#!/usr/bin/env bash
# The loop closed, end to end (called by scripts/test.sh after the CI/CD
# example promoted insurance version 2): serve insurance@production with
# inference logging and --poll-interval 1, send 300 shifted records and their
# actuals (POST /feedback), then run examples/monitor-retrain.sh: it must find
# the drift in the logs, record the report, retrain on the recent rows, beat
# production's live R2, register version 3 and move `production`; the running
# server must switch to version 3.
#
#   MLSHIP=target/release/mlship REGISTRY=localhost:5001 STORE=ci-out/store WORK=/tmp/loop scripts/e2e_loop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serve_pid=""
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2> /dev/null; true' EXIT
loop="$WORK"; mkdir -p "$loop"
sport=$(free_port)
MLSHIP_STORE="$STORE" "$MLSHIP" serve --model insurance@production --port "$sport" --poll-interval 1 \
  --log-inferences "$loop/logs" > "$loop/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$sport/readyz" > /dev/null && break; sleep 0.1; done
python3 - "$sport" "$loop" <<'PY'
import csv, json, sys, urllib.request
port, loop = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open("data/insurance.csv")))
shifted = []
for i, row in enumerate(rows[:600]):
    # Twenty years older, heavier, two more children each, and the bill grows with it: three of six
    # columns drift, the share at which Evidently's rule calls the data set drifted.
    row = dict(row, age=str(int(row["age"]) + 20), bmi=str(round(float(row["bmi"]) * 1.3, 2)))
    row["children"] = str(int(row["children"]) + 2)
    row["charges"] = str(round(float(row["charges"]) * 3 + 4000, 2))
    shifted.append(row)
def post(path, body, request_id):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                     {"content-type": "application/json", "x-request-id": request_id})
    return urllib.request.urlopen(request).status
feedback = []
for i, row in enumerate(shifted[:300]):
    record = {k: (float(v) if k in ("age", "bmi", "children") else v) for k, v in row.items() if k != "charges"}
    assert post("/predict_api", record, f"loop-{i}") == 200
    feedback.append({"request_id": f"loop-{i}", "actual": float(row["charges"])})
assert post("/feedback", feedback, "loop-feedback") in (200, 202)
with open(f"{loop}/recent.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(shifted[0])); writer.writeheader(); writer.writerows(shifted)
PY
sleep 2  # the writer flushes every second
OUT="$loop/out" MLSHIP="$MLSHIP" BINARY="$MLSHIP" REGISTRY="$REGISTRY" MLSHIP_STORE="$STORE" \
  LOGS="$loop/logs" SINCE=1h TRAIN_DATA="$loop/recent.csv" MIN_R2=0.5 GITHUB_SHA=loop \
  bash examples/monitor-retrain.sh > "$loop/retrain.log" 2>&1 || { cat "$loop/retrain.log"; exit 1; }
grep -q "^drift: " "$loop/retrain.log" && grep -q "beats insurance@production on live traffic" "$loop/retrain.log" \
  || { cat "$loop/retrain.log"; exit 1; }
for _ in $(seq 50); do
  version=$(curl -sf "http://127.0.0.1:$sport/v2/models/insurance" | python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"][0])')
  [ "$version" = "3" ] && break; sleep 0.2
done
[ "$version" = "3" ] || { echo "the server still serves version $version after production moved to 3"; exit 1; }
kill -TERM "$serve_pid"; wait "$serve_pid"; serve_pid=""
MLSHIP_STORE="$STORE" "$MLSHIP" models show insurance --json | python3 -c '
import json, sys
model = json.load(sys.stdin)
assert [d["dataset_drift"] for d in model["drift"]] == [1], model["drift"]
assert [v["version"] for v in model["versions"] if "production" in v["aliases"]] == [3]'
echo "drift found in the logs and recorded, version 3 trained on the recent rows beat production's live R2, promoted, served"
