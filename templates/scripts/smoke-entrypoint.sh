#!/usr/bin/env bash
# Starts a rendered service the way its container does (the Dockerfile's CMD, with the
# chart's environment), runs the chart's migration command first when it has a database,
# then probes /health, /ready, / and /metrics, runs the Dockerfile's HEALTHCHECK command,
# checks every log line is JSON, and stops it with SIGTERM (must exit 0).
#
# usage: smoke-entrypoint.sh <rendered-service-dir>
# env:   PYTHON_VENV (a venv with requirements.txt installed) for Python services;
#        DATABASE_URL for services with a database (check-rendered.sh passes its throwaway one).
# Without Docker here, the CMD runs on the host from the service directory; the image build
# itself is checked by the service's CI (`image` job).
set -euo pipefail
dir=$(cd "${1:?usage: smoke-entrypoint.sh <rendered-service-dir>}" && pwd)
cd "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d /tmp/smoke-entrypoint.XXXXXX)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

json_array() { # the JSON array after a Dockerfile instruction (exec form)
  python3 - "$1" <<'PY'
import json, re, sys
text = open("Dockerfile").read().replace("\\\n", " ")
m = [l for l in text.splitlines() if l.startswith(sys.argv[1] + " ")][-1]
m = m[m.index("CMD [") + 4:] if sys.argv[1] == "HEALTHCHECK" else m[m.index("["):]
print("\0".join(json.loads(m)), end="")
PY
}
mapfile -d '' cmd < <(json_array CMD)
mapfile -d '' healthcheck < <(json_array HEALTHCHECK)
has_db=false; grep -q '^  enabled: true' <(sed -n '/^database:/,/^[a-z]/p' chart/values.yaml) && has_db=true

export PORT=$port SERVICE_NAME=smoke APP_ENV=smoke APP_VERSION=smoke LOG_LEVEL=info
if [[ -f package.json ]]; then
  export PATH="$dir/node_modules/.bin:$PATH"
  [[ -d dist/src ]] || npm run build >/dev/null
  migrate=(node dist/src/migrate.js)
else
  export PATH="${PYTHON_VENV:?set PYTHON_VENV}/bin:$PATH" PROMETHEUS_MULTIPROC_DIR=$work/prometheus
  migrate=(alembic upgrade head)
fi
if $has_db; then
  : "${DATABASE_URL:?set DATABASE_URL for a service with a database}"
  "${migrate[@]}" >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
  echo "ok: migration command of the chart's hook (${migrate[*]}) applied"
  "${migrate[@]}" >>"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
  echo "ok: running it again is a no-op"
else
  unset DATABASE_URL
fi

"${cmd[@]}" >"$work/out.log" 2>"$work/err.log" &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null
curl -fsS "http://127.0.0.1:$port/ready" >/dev/null
for _ in 1 2 3 4 5; do curl -fsS "http://127.0.0.1:$port/" >/dev/null; done
curl -s -o /dev/null "http://127.0.0.1:$port/missing" || true
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
total=$(grep -E '^http_requests_total\{.*route="/".*\} ' <<<"$metrics" | awk '{s += $NF} END {print s + 0}')
[[ ${total%.*} == 5 ]] || { echo "expected 5 counted requests to /, got $total" >&2; echo "$metrics" | grep http_ >&2; exit 1; }
echo "ok: ${cmd[*]} serves /health, /ready, /; /metrics counts 5 requests to / (all workers)"
"${healthcheck[@]}"
echo "ok: the Dockerfile's HEALTHCHECK command passes"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
[[ $rc == 0 ]] || { echo "exit status $rc after SIGTERM" >&2; cat "$work/err.log" >&2; exit 1; }
echo "ok: SIGTERM → exit 0"
python3 - "$work/out.log" "$work/err.log" <<'PY'
import json, sys
lines = [l for f in sys.argv[1:] for l in open(f) if l.strip()]
bad = [l for l in lines if not l.startswith("{")]
for l in lines:
    if l.startswith("{"):
        json.loads(l)
if bad:
    sys.exit("not JSON: " + "".join(bad[:5]))
print(f"ok: {len(lines)} log lines, all JSON")
PY
