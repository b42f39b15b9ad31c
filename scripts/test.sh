#!/usr/bin/env bash
# Every test, on a fresh machine: installs what the tests need when it is
# missing (Debian's chromium + chromium-driver for the browser tests,
# PostgreSQL for the store suite, a registry, nginx; a Python venv with
# openapi-spec-validator and schemathesis for the API conformance run), starts
# PostgreSQL, then runs the Rust test suite and the end-to-end checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromedriver > /dev/null || need_apt+=(chromium chromium-driver)
command -v chromium > /dev/null || need_apt+=(chromium)
command -v docker-registry > /dev/null || need_apt+=(docker-registry)
command -v htpasswd > /dev/null || need_apt+=(apache2-utils)
command -v nginx > /dev/null || need_apt+=(nginx-light)
command -v wrk > /dev/null || need_apt+=(wrk)
command -v bc > /dev/null || need_apt+=(bc)
# promtool and a Prometheus server for the alert-rule tests (tests/alerts.rs).
{ command -v promtool && command -v prometheus; } > /dev/null || need_apt+=(prometheus)
[ -n "${MLSHIP_TEST_POSTGRES:-}" ] || ls /usr/lib/postgresql/*/bin/postgres > /dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" > /dev/null
fi

# The store suite runs against PostgreSQL too; with MLSHIP_REQUIRE_POSTGRES a
# missing server fails those tests instead of skipping them. Give
# MLSHIP_TEST_POSTGRES (an admin URL) to use a server of your own.
if [ -z "${MLSHIP_TEST_POSTGRES:-}" ]; then
  echo "== PostgreSQL (Debian's cluster, started here)"
  pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$pg_version main" || pg_createcluster "$pg_version" main > /dev/null
  pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -qx online || pg_ctlcluster "$pg_version" main start
  pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
  for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.2; done
  su postgres -c "psql -q -v ON_ERROR_STOP=1 -p $pg_port" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mlship') THEN
    CREATE ROLE mlship LOGIN SUPERUSER PASSWORD 'mlship';
  END IF;
END $$;
SQL
  export MLSHIP_TEST_POSTGRES="postgres://mlship:mlship@127.0.0.1:$pg_port/postgres"
  echo "PostgreSQL $pg_version on port $pg_port"
fi
export MLSHIP_REQUIRE_POSTGRES=1

echo "== Rust tests"
rust_log=$(mktemp)
if cargo nextest --version > /dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$rust_log"
  passed=$(grep -oE '[0-9]+ tests? run: [0-9]+ passed' "$rust_log" | tail -1 | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
else
  cargo test --workspace --locked 2>&1 | tee "$rust_log"
  passed=$(grep -oE 'ok\. [0-9]+ passed' "$rust_log" | grep -oE '[0-9]+' | paste -sd+ | bc)
fi

echo "== API conformance: openapi-spec-validator and schemathesis against the running server"
venv=target/pyenv
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q "schemathesis==4.32.5" "openapi-spec-validator==0.9.0" "kubernetes-validate==1.37.0"
cargo build --locked --quiet --bin mlship
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/debug/mlship serve --model crates/mlship-artifact/tests/golden/insurance_v1.mlship --port "$port" \
  > "$work/serve.out" 2> "$work/serve.log" &
server=$!
trap 'kill $server 2> /dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/openapi.json" > "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
  --max-examples 50 --seed 1
kill -TERM $server
wait $server
echo "server stopped on SIGTERM with exit code 0"
grep -q "Stopped." "$work/serve.out"
echo "== manifests: kubernetes-validate (strict) and docker-compose config"
target/debug/mlship deploy kubernetes --image localhost:5001/insurance:1 > "$work/k8s.yaml"
"$venv/bin/kubernetes-validate" --strict "$work/k8s.yaml"
target/debug/mlship deploy compose --image localhost:5001/insurance:1 --replicas 3 > "$work/compose.yaml"
if command -v docker-compose > /dev/null; then docker-compose -f "$work/compose.yaml" config -q; else docker compose -f "$work/compose.yaml" config -q; fi
echo "compose file valid"

echo "== container: the README's release build (dynamic) in an image built from nothing, pushed to local registries, pulled and run by Docker"
cargo build --release --locked --quiet --bin mlship
release=target/release/mlship
golden=crates/mlship-artifact/tests/golden/insurance_v1.mlship
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_registry() {  # $1 folder, $2 port, $3 optional htpasswd file
  mkdir -p "$1/data"
  { printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$1/data" "$2"
    [ -n "${3:-}" ] && printf 'auth:\n  htpasswd:\n    realm: mlship-test\n    path: %s\n' "$3"; } > "$1/config.yml"
  docker-registry serve "$1/config.yml" > "$1/log" 2>&1 &
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$2/v2/" && break; sleep 0.1; done
}
open_port=$(free_port); auth_port=$(free_port)
start_registry "$work/open" "$open_port"; open_registry=$!
htpasswd -Bbn ci s3cret > "$work/htpasswd"
start_registry "$work/auth" "$auth_port" "$work/htpasswd"; auth_registry=$!
container=""
trap 'kill $server $open_registry $auth_registry 2> /dev/null || true; [ -n "$container" ] && docker rm -f "$container" > /dev/null 2>&1; rm -rf "$work"; true' EXIT
tag="localhost:$open_port/insurance:1"
first=$("$release" image build --model "$golden" --tag "$tag" --push --docker-archive "$work/image.tar" --json)
again=$("$release" image build --model "$golden" --tag "localhost:$open_port/insurance:2" --push --oci-layout "$work/layout" --json)
digest() { grep '"digest"' | head -1; }
[ "$(echo "$first" | digest)" = "$(echo "$again" | digest)" ] || { echo "two builds gave two digests"; exit 1; }
echo "$again" | grep -q '"blobs_skipped": 2' || { echo "the second push re-sent blobs: $again"; exit 1; }
echo "$first" | grep -q '/libc.so.6"' || { echo "the image from the dynamic build has no libc: $first"; exit 1; }
echo "reproducible $(echo "$first" | digest | tr -d ' ,'); the second push re-sent no blob"
# Credentials: refused without, with the wrong password; accepted from stdin and from a Docker config.
auth_tag="localhost:$auth_port/insurance:1"
if "$release" image build --model "$golden" --tag "$auth_tag" --push 2> "$work/err"; then echo "pushed without credentials"; exit 1; fi
grep -q "authentication failed" "$work/err"
if echo wrong | "$release" image build --model "$golden" --tag "$auth_tag" --push --username ci --password-stdin 2> "$work/err"; then echo "pushed with a wrong password"; exit 1; fi
echo s3cret | "$release" image build --model "$golden" --tag "$auth_tag" --push --username ci --password-stdin > /dev/null
mkdir -p "$work/docker-config"
printf '{"auths":{"localhost:%s":{"auth":"%s"}}}' "$auth_port" "$(printf 'ci:s3cret' | base64)" > "$work/docker-config/config.json"
DOCKER_CONFIG="$work/docker-config" "$release" image build --model "$golden" --tag "localhost:$auth_port/insurance:2" --push > /dev/null
echo "registry credentials: 401 without or wrong, accepted from --password-stdin and from config.json"
docker pull -q "$tag"
cport=$(free_port)
container=$(docker run -d -p "127.0.0.1:$cport:5000" "$tag")
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$cport/readyz" > /dev/null && break
  sleep 0.1
done
answer=$(curl -sf "http://127.0.0.1:$cport/predict_api" -H 'content-type: application/json' \
  -d '{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}')
[ "$answer" = "23624.0786" ] || { echo "the container answered $answer"; exit 1; }
[ "$(docker inspect -f '{{.Config.User}}' "$container")" = "65532:65532" ] || { echo "the container is not non-root"; exit 1; }
docker stop "$container" > /dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$container")" = "0" ] || { echo "the container did not exit 0 on SIGTERM"; exit 1; }
docker rm "$container" > /dev/null; container=""
docker rmi "$tag" > /dev/null
docker load -q -i "$work/image.tar" > /dev/null && docker rmi "$tag" > /dev/null
echo "pulled from the registry, served 23624.0786 as 65532:65532, stopped cleanly; the docker archive loads"

echo "== CI/CD example (examples/ci-local.sh), twice: train, gate, register, build from the registry, push, promote"
ci="$work/ci"
for round in 1 2; do
  OUT="$ci" MLSHIP="$release" BINARY="$release" REGISTRY="localhost:$open_port" GITHUB_SHA="round$round" \
    bash examples/ci-local.sh > "$work/ci-$round.log" 2>&1 || { cat "$work/ci-$round.log"; exit 1; }
done
grep -q "no insurance@production yet" "$work/ci-1.log"
grep -q "no worse than insurance@production" "$work/ci-2.log"
MLSHIP_STORE="$ci/store" "$release" models show insurance --json > "$work/model.json"
python3 - "$work/model.json" <<'PY'
import json, sys
model = json.load(open(sys.argv[1]))
versions = [(v["version"], v["aliases"]) for v in model["versions"]]
assert versions == [(1, []), (2, ["production", "staging"])], versions
moves = [(e["alias"], e["from_version"], e["to_version"]) for e in model["history"]]
assert moves == [("staging", None, 1), ("production", None, 1), ("staging", 1, 2), ("production", 1, 2)], moves
PY
docker pull -q "localhost:$open_port/insurance:2" > /dev/null
label() { docker inspect -f "{{index .Config.Labels \"$1\"}}" "localhost:$open_port/insurance:2"; }
[ "$(label io.mlship.model.version)" = "2" ] && [ "$(label io.mlship.registry.reference)" = "insurance@staging" ] \
  || { echo "the image built from the registry is not labelled with its version"; exit 1; }
docker rmi "localhost:$open_port/insurance:2" > /dev/null
echo "gated, registered versions 1 and 2, images pushed from insurance@staging (labelled version 2), production → 2"

echo "== the loop closed (examples/monitor-retrain.sh): serve production with logs, shifted traffic and feedback, drift found, retrained, gated on live R2, promoted; the server follows"
MLSHIP="$release" REGISTRY="localhost:$open_port" STORE="$ci/store" WORK="$work/loop" bash scripts/e2e_loop.sh

echo "== three replicas behind nginx: one killed under load, then a rolling update to a new model under load"
MLSHIP=target/debug/mlship RELEASE="$release" REGISTRY="localhost:$open_port" WORK="$work/replicas" bash scripts/e2e_replicas.sh

# The closing line CI reads: the Rust tests plus the conformance run.
echo "${passed:-0} passed, 0 failed"
