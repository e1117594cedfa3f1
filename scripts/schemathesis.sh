#!/usr/bin/env bash
# Schemathesis against igpub's own /openapi.json: a real `igpub serve` on a temporary SQLite
# database with a generated key, the simulator as Meta, and a tenant API key. Fails on any 5xx
# or any response that does not match the schema.
#
#   scripts/schemathesis.sh [MAX_EXAMPLES]      (default 25 examples per operation)
#
# The checks: no 5xx, every response matches its schema, and every status code and content
# type is one the document declares for that operation.
#
# Needs `schemathesis` from PyPI (installed into the current Python when missing) and builds the
# debug `igpub` binary unless IGPUB_BIN names one.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${1:-25}"
# Cargo may build outside ./target (CI sets CARGO_TARGET_DIR), so ask where the binary lands.
BIN="${IGPUB_BIN:-${CARGO_TARGET_DIR:-target}/debug/igpub}"
if [[ -z "${IGPUB_BIN:-}" ]]; then
  cargo build -q -p igpub --bin igpub
fi
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install -q schemathesis
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # URL, what
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "schemathesis.sh: $2 did not come up at $1" >&2
  for log in "$WORK"/*.log; do echo "--- $log" >&2; tail -n 40 "$log" >&2; done
  exit 1
}

SIM_PORT="$(free_port)"
API_PORT="$(free_port)"
"$BIN" sim --port "$SIM_PORT" --accounts 2 --no-fetch --image-processing-ms 50 >"$WORK/sim.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$SIM_PORT/__sim/accounts" "igpub sim"

# Settings through the environment only: the key never reaches argv or a file outside $WORK.
export IGPUB_DATABASE_URL="sqlite://$WORK/igpub.db"
IGPUB_SECRET_KEYS="$("$BIN" keys generate 2>/dev/null)"
export IGPUB_SECRET_KEYS
export IGPUB_LISTEN="127.0.0.1:$API_PORT"
export IGPUB_PUBLIC_BASE_URL="http://127.0.0.1:$API_PORT"
export IGPUB_META__GRAPH_URL="http://127.0.0.1:$SIM_PORT"
export IGPUB_META__DIALOG_URL="http://127.0.0.1:$SIM_PORT"
# The simulator's app (its banner: "app  id <id>  secret <secret>"), so login code exchanges work.
read -r SIM_APP_ID SIM_APP_SECRET < <(awk '$1 == "app" && $2 == "id" { print $3, $5; exit }' "$WORK/sim.log")
export IGPUB_META__APP_ID="$SIM_APP_ID"
export IGPUB_META__APP_SECRET="$SIM_APP_SECRET"
export IGPUB_MEDIA__DATA_DIR="$WORK/media"

API_KEY="$("$BIN" tenant create schemathesis | tail -n 1)"
"$BIN" serve --no-worker >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$API_PORT/healthz" "igpub serve"

echo "schemathesis.sh: ${MAX_EXAMPLES} examples per operation against http://127.0.0.1:$API_PORT/openapi.json"
CHECKS="not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
status=0
schemathesis run "http://127.0.0.1:$API_PORT/openapi.json" \
  --header "Authorization: Bearer $API_KEY" \
  --checks "$CHECKS" \
  --max-examples "$MAX_EXAMPLES" \
  --seed 9 \
  --no-color || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- igpub serve log (last 80 lines)" >&2
  tail -n 80 "$WORK/serve.log" >&2
fi
exit $status
