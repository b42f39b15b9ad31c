#!/usr/bin/env bash
# Every test, on a fresh machine: installs what the tests need when it is
# missing (Debian's chromium + chromium-driver for the browser test; a Python
# venv with openapi-spec-validator and schemathesis for the API conformance
# run), then runs the Rust test suite and checks the running server's OpenAPI
# document and responses with the validators.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromedriver > /dev/null || need_apt+=(chromium chromium-driver)
command -v chromium > /dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" > /dev/null
fi

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
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5" "openapi-spec-validator==0.9.0"
fi
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
# The closing line CI reads: the Rust tests plus the conformance run.
echo "${passed:-0} passed, 0 failed"
