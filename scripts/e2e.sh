#!/usr/bin/env bash
# Builds the frontend, starts the backend serving it on :7007, runs the Playwright tests in
# Debian's Chromium and stops the backend. Ends with "N passed, N failed".
# usage: scripts/e2e.sh [playwright test filters, e.g. e2e/catalog.test.ts]
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source "$ROOT/scripts/lib.sh"
source "$ROOT/scripts/toolchain.sh"
ensure_debs chromium fonts-liberation
fail() { echo "$*"; echo "0 passed, 1 failed"; exit 1; }

# The portal's port; another one (SHIPSHAPE_E2E_PORT) lets the tests run beside a running portal.
PORT=${SHIPSHAPE_E2E_PORT:-7007}
# Each port its own results folder: the backend re-reads port.yaml when it changes, so two runs
# sharing one folder broke each other. Each also serves its own copy of the frontend build (below):
# one run's build rewriting packages/app/dist blanked the pages of another run's portal.
OUT=$ROOT/test-results/e2e${SHIPSHAPE_E2E_PORT:+-$PORT}
export SHIPSHAPE_E2E_OUT=$OUT
mkdir -p "$OUT" "$ROOT/test-results/screenshots"
port_free "$PORT" || fail "port $PORT is in use: stop the running portal, or set SHIPSHAPE_E2E_PORT to a free port"
export PLAYWRIGHT_URL=http://localhost:$PORT
cat >"$OUT/port.yaml" <<YAML
app:
  baseUrl: http://localhost:$PORT
  # the copy of the frontend build in this run's folder (found through NODE_PATH, below)
  packageName: shipshape-e2e-app
backend:
  baseUrl: http://localhost:$PORT
  listen:
    port: $PORT
  reading:
    allow:
      - host: localhost:$PORT
      - host: 127.0.0.1:$PORT
YAML
echo "building the frontend"
# One build at a time (they all write packages/app/dist), copied to this run's folder, which
# app-backend serves as the package shipshape-e2e-app: another run's build cannot change it.
APP=$OUT/node_modules/shipshape-e2e-app
(
  flock 9
  yarn workspace app build >"$OUT/app-build.log" 2>&1 &&
    rm -rf "$APP" && mkdir -p "$APP" &&
    echo '{"name": "shipshape-e2e-app", "private": true}' >"$APP/package.json" &&
    cp -a packages/app/dist "$APP/dist"
) 9>"$ROOT/test-results/.app-build.lock" || { tail -n 30 "$OUT/app-build.log"; fail "the frontend did not build"; }

# The stack's passwords and S3 keys (backup targets name them by env variable, docs/backup.md).
[[ -f $ROOT/.stack/env.sh ]] && source "$ROOT/.stack/env.sh"
configs=(--config "$ROOT/app-config.yaml" --config "$ROOT/app-config.development.yaml" --config "$ROOT/app-config.e2e.yaml")
[[ -f $ROOT/.stack/app-config.stack.yaml ]] && configs+=(--config "$ROOT/.stack/app-config.stack.yaml")
configs+=(--config "$OUT/port.yaml")
# The backend from source as `backstage-cli package start` runs it, but without its file
# watcher: edits made while the tests run must not restart the backend under them.
# Its own session, so that stopping it stops the backend and anything it started.
(cd packages/backend && NODE_PATH=$OUT/node_modules NODE_ENV=${NODE_ENV:-development} exec setsid node --enable-source-maps \
  --require "$(node -p 'require.resolve("@backstage/cli-node/config/nodeTransform.cjs")')" \
  src/index.ts "${configs[@]}") >"$OUT/backend.log" 2>&1 &
backend=$!
trap 'kill -TERM -- -$backend 2>/dev/null; wait $backend 2>/dev/null' EXIT

start=$SECONDS
wait_for_http http://127.0.0.1:$PORT/.backstage/health/v1/readiness 180 ||
  { tail -n 40 "$OUT/backend.log"; fail "the backend did not become ready within 180 s"; }
echo "backend ready after $((SECONDS - start)) s"
# The example catalog is ingested asynchronously; wait until it is there.
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$PORT/api/catalog/entities/by-name/component/default/legacy-billing" -o /dev/null 2>/dev/null && break
  sleep 1
done

yarn playwright test "$@"
node -e '
  const r = require(process.argv[1]);
  const s = r.stats;
  console.log(`${s.expected} passed, ${s.unexpected + s.flaky} failed, ${s.skipped} skipped`);
  process.exit(s.unexpected + s.flaky ? 1 : 0);
' "$OUT/results.json"
