#!/usr/bin/env bash
# Drives every route of the Shipshape backend's OpenAPI document with malformed and boundary
# inputs generated from the document itself (Schemathesis: its examples, coverage and fuzzing
# phases, positive and negative), against the real portal backend on a free loopback port, with
# a guest user's token, on the test PostgreSQL and, when the local stack is up, its Kubernetes,
# Prometheus and backup targets. Fails on any 5xx and prints the request that caused it.
# Prints the request count, the status histogram per operation, and ends with "N passed,
# N failed" (an operation passes when none of its requests answered 5xx). docs/operations.md#fuzzing
#   scripts/fuzz.sh                      SHIPSHAPE_FUZZ_EXAMPLES=N (per operation and phase, default 50)
#                                        SHIPSHAPE_FUZZ_SEED=N (default 1; the same seed, the same inputs)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source "$ROOT/scripts/lib.sh"
source "$ROOT/scripts/toolchain.sh"
OUT=$ROOT/test-results/fuzz
rm -rf "$OUT"; mkdir -p "$OUT"
SPEC=$ROOT/plugins/shipshape-backend/src/schema/openapi.yaml
SCHEMATHESIS_VERSION=4.32.5
VENV=$ROOT/.tools/fuzz-venv
EXAMPLES=${SHIPSHAPE_FUZZ_EXAMPLES:-50}
SEED=${SHIPSHAPE_FUZZ_SEED:-1}

fail() { echo "$*"; echo "0 passed, 1 failed"; exit 1; }

# Schemathesis in a project-local virtualenv, installed once per version.
if [[ $("$VENV/bin/schemathesis" --version 2>/dev/null) != *"$SCHEMATHESIS_VERSION"* ]]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  ensure_debs python3-venv
  { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"; } \
    >"$OUT/pip.log" 2>&1 || { tail -n 20 "$OUT/pip.log"; fail "could not install schemathesis (log: $OUT/pip.log)"; }
fi

# A free loopback port (SHIPSHAPE_FUZZ_PORT to choose one).
PORT=${SHIPSHAPE_FUZZ_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
port_free "$PORT" || fail "port $PORT is in use; set SHIPSHAPE_FUZZ_PORT to a free port"

# The portal's own database on the test PostgreSQL (as in production: lengths and types are
# enforced), in databases of its own, emptied first. Stopped again if this script started it.
pg_was_up=0; port_free "${SHIPSHAPE_TEST_PG_PORT:-55432}" || pg_was_up=1
PG=$("$ROOT/scripts/test-postgres.sh" up) || fail "the test PostgreSQL did not start"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
for db in $("$PG_BIN/psql" "$PG/postgres" -Atc "select datname from pg_database where datname like 'shipshape_fuzz_%'"); do
  "$PG_BIN/psql" "$PG/postgres" -qc "drop database \"$db\"" >/dev/null
done

mkdir -p "$OUT/repos/demo/docs"
echo "# demo" >"$OUT/repos/demo/README.md"
echo "docs" >"$OUT/repos/demo/docs/index.md"
cat >"$OUT/fuzz.yaml" <<YAML
app:
  baseUrl: http://127.0.0.1:$PORT
backend:
  baseUrl: http://127.0.0.1:$PORT
  listen:
    port: $PORT
    host: 127.0.0.1
  database:
    client: pg
    connection: '$PG'
    prefix: shipshape_fuzz_
  reading:
    allow:
      - host: 127.0.0.1:$PORT
auth:
  providers:
    # The fuzzer's user: the demo's guest, a member of payments-team.
    guest:
      userEntityRef: user:default/guest
      dangerouslyAllowOutsideDevelopment: true
shipshape:
  # So that the local-repos routes of the document exist; one small repository to find.
  localPublish:
    directory: $OUT/repos
catalog:
  # The example catalog and the fuzzer's own entities (relative to packages/backend).
  locations:
    - { type: file, target: ../../examples/entities.yaml }
    - { type: file, target: ../../examples/org.yaml, rules: [{ allow: [User, Group] }] }
    - { type: file, target: ../../catalog-info.yaml }
    - { type: file, target: ../../scripts/fuzz/entities.yaml }
YAML
configs=(--config "$ROOT/app-config.yaml")
if scripts/stack/stack.sh status >/dev/null 2>&1 && [[ -f $ROOT/.stack/app-config.stack.yaml ]]; then
  echo "the local stack is up: fuzzing with its Kubernetes, Prometheus and backup targets"
  source "$ROOT/.stack/env.sh"
  configs+=(--config "$ROOT/.stack/app-config.stack.yaml")
else
  echo "the local stack is not up: routes that read a cluster answer without one"
fi
configs+=(--config "$OUT/fuzz.yaml")

# The backend from source, as scripts/e2e.sh starts it (no file watcher, its own session).
(cd packages/backend && NODE_ENV=development exec setsid node --enable-source-maps \
  --require "$(node -p 'require.resolve("@backstage/cli-node/config/nodeTransform.cjs")')" \
  src/index.ts "${configs[@]}") >"$OUT/backend.log" 2>&1 &
backend=$!
cleanup() {
  kill -TERM -- -"$backend" 2>/dev/null; wait "$backend" 2>/dev/null
  ((pg_was_up)) || "$ROOT/scripts/test-postgres.sh" down
}
trap cleanup EXIT

BASE=http://127.0.0.1:$PORT
start=$SECONDS
until curl -fsS -o /dev/null "$BASE/.backstage/health/v1/readiness" 2>/dev/null; do
  kill -0 "$backend" 2>/dev/null || { tail -n 40 "$OUT/backend.log"; fail "the backend stopped (log: $OUT/backend.log)"; }
  ((SECONDS - start < 240)) || { tail -n 40 "$OUT/backend.log"; fail "the backend did not become ready within 240 s (log: $OUT/backend.log)"; }
  sleep 1
done
echo "backend ready on $BASE after $((SECONDS - start)) s"

# The guest user's token (a member of payments-team, as in the demo).
guest_token() {
  curl -fsS -H 'X-Requested-With: XMLHttpRequest' "$BASE/api/auth/guest/refresh?env=development" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["backstageIdentity"]["token"])'
}
TOKEN=$(guest_token) || fail "no guest token from $BASE/api/auth/guest/refresh"
# The catalog is ingested asynchronously: wait for the guest's user entity and the fuzzer's own
# entities, then sign in again, so that the token carries the guest's group (payments-team).
for ref in user/default/guest component/default/fuzz-unknown-backup-target; do
  for _ in $(seq 120); do
    curl -fsS -H "Authorization: Bearer $TOKEN" -o /dev/null "$BASE/api/catalog/entities/by-name/$ref" 2>/dev/null && break
    sleep 1
  done
done
TOKEN=$(guest_token) || fail "no guest token from $BASE/api/auth/guest/refresh"

export SHIPSHAPE_FUZZ_LOG=$OUT/requests.jsonl
export SHIPSHAPE_FUZZ_ENTITIES="component/default/payments-api component/default/orders-api
  component/default/legacy-billing component/default/shipshape resource/default/payments-db
  system/default/commerce component/default/fuzz-invalid-kubernetes-id
  component/default/fuzz-long-kubernetes-id component/default/fuzz-unknown-backup-target"
export SHIPSHAPE_FUZZ_ENVIRONMENTS="staging production"
export PYTHONPATH=$ROOT/scripts/fuzz SCHEMATHESIS_HOOKS=hooks
: >"$SHIPSHAPE_FUZZ_LOG"
echo "fuzzing $BASE/api/shipshape: $EXAMPLES examples per operation and phase, seed $SEED"
start=$SECONDS
# From $OUT, where Schemathesis and Hypothesis keep their caches (.schemathesis, .hypothesis).
(cd "$OUT" && exec timeout 600 "$VENV/bin/schemathesis" run "$SPEC" \
  --url "$BASE/api/shipshape" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error \
  --phases examples,coverage,fuzzing \
  --max-examples "$EXAMPLES" --seed "$SEED" --no-shrink \
  --workers 1 --request-timeout 40 \
  --suppress-health-check all \
  --report junit --report-dir "$OUT") \
  >"$OUT/schemathesis.log" 2>&1
st=$?
echo "schemathesis exited $st after $((SECONDS - start)) s (log: $OUT/schemathesis.log)"
grep -E '^(Test cases|API Operations|Seed):|passed|failed' "$OUT/schemathesis.log" | tail -n 5
"$VENV/bin/python" "$ROOT/scripts/fuzz/summary.py" "$SHIPSHAPE_FUZZ_LOG" "$SPEC" "$st"
