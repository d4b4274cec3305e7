#!/usr/bin/env bash
# Smoke checks of a running local stack, with the real tools.
#   scripts/stack/smoke.sh        (run scripts/stack/stack.sh up first)
# Prints "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${STACK_STATE_DIR:-$ROOT/.stack}"
NS="shipshape-smoke"
PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

[[ -f "$STATE/env.sh" ]] || { echo "smoke: $STATE/env.sh missing, run scripts/stack/stack.sh up" >&2; exit 1; }
# only against a stack this state folder started (not someone else's on the same ports)
if ! STACK_STATE_DIR="$STATE" "$HERE/stack.sh" status >/dev/null 2>&1; then
  STACK_STATE_DIR="$STATE" "$HERE/stack.sh" status >&2 || true
  echo "smoke: the stack in $STATE is not (fully) running; run scripts/stack/stack.sh up" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
# shellcheck disable=SC1091
source "$STATE/env.sh"

k() { "$STACK_KUBECTL" --kubeconfig "$STACK_KUBE_ADMIN_KUBECONFIG" "$@"; }
kr() { "$STACK_KUBECTL" --kubeconfig "$STACK_KUBE_READER_KUBECONFIG" "$@"; }
ko() { "$STACK_KUBECTL" --kubeconfig "$STACK_KUBE_OPERATOR_KUBECONFIG" "$@"; }
now_ms() { date +%s%3N; }

skip() { # NAME REASON
  SKIPPED=$((SKIPPED + 1))
  printf 'skip   %-58s %s\n' "$1" "$2"
}

check() { # NAME CMD...
  local name=$1; shift
  local t0 out rc=0
  t0=$(now_ms)
  out="$("$@" 2>&1)" || rc=$?
  local dt=$(( $(now_ms) - t0 ))
  if [[ $rc -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    printf 'ok     %-58s %6d ms %s\n' "$name" "$dt" "${out:+ $(tail -n1 <<<"$out")}"
  else
    FAILED=$((FAILED + 1)); FAILURES+=("$name")
    printf 'FAIL   %-58s %6d ms\n' "$name" "$dt"
    sed 's/^/       | /' <<<"$out" | tail -n 15
  fi
}

# ---------------------------------------------------------------- kubernetes

t_readyz_reader() {
  local body
  body="$(curl -sS --fail --cacert "$STACK_KUBE_CA_FILE" \
    -H "Authorization: Bearer $(cat "$STACK_KUBE_READER_TOKEN_FILE")" "$STACK_KUBE_API_URL/readyz")"
  [[ "$body" == ok ]] || { echo "readyz said: $body"; return 1; }
  echo "readyz=ok"
}

t_tls_rejects_unknown_ca() {
  if curl -sS --fail "$STACK_KUBE_API_URL/readyz" >/dev/null 2>&1; then echo "TLS accepted without the CA"; return 1; fi
}

t_rbac_reader() {
  [[ "$(kr auth can-i list pods -n production)" == yes ]] || { echo "reader cannot list pods"; return 1; }
  [[ "$(kr auth can-i watch deployments.apps -n staging)" == yes ]] || { echo "reader cannot watch deployments"; return 1; }
  [[ "$(kr auth can-i patch deployments.apps -n staging || true)" == no ]] || { echo "reader may patch deployments"; return 1; }
  [[ "$(kr auth can-i get secrets -n staging || true)" == no ]] || { echo "reader may read secrets"; return 1; }
  # nodes: get (DR readiness reads their zone labels), never change them
  [[ "$(kr auth can-i get nodes 2>/dev/null)" == yes ]] || { echo "reader cannot get nodes"; return 1; }
  [[ "$(kr auth can-i patch nodes 2>/dev/null || true)" == no ]] || { echo "reader may patch nodes"; return 1; }
  kr get deploy -n production >/dev/null
}

t_rbac_operator() {
  [[ "$(ko auth can-i patch deployments.apps -n production)" == yes ]] || { echo "operator cannot patch deployments"; return 1; }
  [[ "$(ko auth can-i create jobs.batch -n production)" == yes ]] || { echo "operator cannot create jobs"; return 1; }
  # delete: only where operator-helm.yaml is bound (helm upgrade removes what a chart dropped)
  [[ "$(ko auth can-i delete deployments.apps -n default || true)" == no ]] || { echo "operator may delete deployments outside a service namespace"; return 1; }
  # secrets: only in a service namespace, where deploy/rbac/operator-helm.yaml is bound (Helm's
  # release records); nowhere else, not even read (other services' secrets, the stack's tokens)
  [[ "$(ko auth can-i list secrets -n production)" == yes ]] || { echo "operator cannot list Helm's release records in production"; return 1; }
  [[ "$(ko auth can-i list secrets -n staging)" == yes ]] || { echo "operator cannot list Helm's release records in staging"; return 1; }
  local ns
  for ns in shipshape-system kube-system default; do
    [[ "$(ko auth can-i get secrets -n "$ns" || true)" == no ]] || { echo "operator may read secrets in $ns"; return 1; }
    [[ "$(ko auth can-i create secrets -n "$ns" || true)" == no ]] || { echo "operator may create secrets in $ns"; return 1; }
  done
  [[ "$(ko auth can-i list secrets --all-namespaces || true)" == no ]] || { echo "operator may list secrets cluster-wide"; return 1; }
}

t_nodes_zones() {
  local zones ready
  zones="$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}' | sort -u | grep -c .)"
  ready="$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)"
  [[ "$ready" -ge 3 && "$zones" -ge 2 ]] || { echo "ready nodes=$ready zones=$zones"; return 1; }
  echo "$ready nodes Ready in $zones zones"
}

deploy_yaml() { # name image progressDeadline
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: $NS, labels: {app.kubernetes.io/name: $1}}
spec:
  replicas: 3
  progressDeadlineSeconds: $3
  selector: {matchLabels: {app.kubernetes.io/name: $1}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app.kubernetes.io/name: $1}}
    spec:
      containers:
      - name: app
        image: $2
        resources: {requests: {cpu: 100m, memory: 64Mi}}
EOF
}

t_deploy_available() {
  k delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null
  k create namespace "$NS" --dry-run=client -o yaml | k apply -f - >/dev/null
  deploy_yaml smoke-web registry.example.test/smoke/web:1.0.0 30 | k apply -f - >/dev/null
  k -n "$NS" wait --for=condition=Available deploy/smoke-web --timeout=90s >/dev/null
  k -n "$NS" rollout status deploy/smoke-web --timeout=90s >/dev/null
  local n
  n="$(k -n "$NS" get deploy smoke-web -o jsonpath='{.status.availableReplicas}')"
  [[ "$n" == 3 ]] || { echo "availableReplicas=$n"; return 1; }
  echo "3/3 available"
}

t_rolling_update() {
  local t0 dt
  t0=$(now_ms)
  k -n "$NS" set image deploy/smoke-web app=registry.example.test/smoke/web:1.1.0 >/dev/null
  k -n "$NS" rollout status deploy/smoke-web --timeout=90s >/dev/null
  dt=$(( $(now_ms) - t0 ))
  local img rs
  img="$(k -n "$NS" get deploy smoke-web -o jsonpath='{.spec.template.spec.containers[0].image}')"
  [[ "$img" == *:1.1.0 ]] || { echo "image is $img"; return 1; }
  rs="$(k -n "$NS" get rs -l app.kubernetes.io/name=smoke-web --no-headers | wc -l)"
  [[ "$rs" -ge 2 ]] || { echo "expected 2 ReplicaSets, got $rs"; return 1; }
  echo "image change -> 3/3 Available in ${dt} ms"
}

t_rollout_undo() {
  k -n "$NS" rollout undo deploy/smoke-web >/dev/null
  k -n "$NS" rollout status deploy/smoke-web --timeout=90s >/dev/null
  local img
  img="$(k -n "$NS" get deploy smoke-web -o jsonpath='{.spec.template.spec.containers[0].image}')"
  [[ "$img" == *:1.0.0 ]] || { echo "after undo image is $img"; return 1; }
  echo "undone to 1.0.0"
}

t_operator_patch() {
  ko -n "$NS" patch deploy smoke-web --type=merge -p '{"metadata":{"annotations":{"shipshape.io/smoke":"patched"}}}' >/dev/null
  [[ "$(kr -n "$NS" get deploy smoke-web -o jsonpath='{.metadata.annotations.shipshape\.io/smoke}')" == patched ]]
}

t_operator_job() {
  ko -n "$NS" create job smoke-job --image=registry.example.test/smoke/migrate:1.0.0 >/dev/null
  k -n "$NS" wait job/smoke-job --for=condition=Complete --timeout=60s >/dev/null
  echo "job completed"
}

t_bad_release_stalls() {
  deploy_yaml smoke-bad registry.example.test/smoke/api:1.0.0 8 | k apply -f - >/dev/null
  k -n "$NS" rollout status deploy/smoke-bad --timeout=90s >/dev/null
  k -n "$NS" set image deploy/smoke-bad app=registry.example.test/smoke/api:1.1.0-bad >/dev/null
  k -n "$NS" wait deploy/smoke-bad --timeout=90s \
    --for=jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}'=ProgressDeadlineExceeded >/dev/null
  local avail
  avail="$(k -n "$NS" get deploy smoke-bad -o jsonpath='{.status.availableReplicas}')"
  [[ "$avail" == 3 ]] || { echo "old pods should stay available (maxUnavailable 0), available=$avail"; return 1; }
  if k -n "$NS" rollout status deploy/smoke-bad --timeout=5s >/dev/null 2>&1; then echo "rollout status succeeded on a bad release"; return 1; fi
  echo "ProgressDeadlineExceeded, old replicas still serving"
}

t_server_dry_run() {
  STACK_STATE_DIR="$STATE" "$HERE/demo.sh" manifests | k apply --dry-run=server -f - >/dev/null
}

t_kubeconform_offline() {
  local f="$TMP/demo.yaml"
  STACK_STATE_DIR="$STATE" "$HERE/demo.sh" manifests >"$f"
  "$STACK_TOOLS_BIN/kubeconform" -strict -summary -schema-location "$STACK_KUBECONFORM_SCHEMA_LOCATION" "$f"
  # and it must reject a wrong field
  sed 's/replicas:/replicaz:/' "$f" >"$TMP/bad.yaml"
  if "$STACK_TOOLS_BIN/kubeconform" -strict -schema-location "$STACK_KUBECONFORM_SCHEMA_LOCATION" "$TMP/bad.yaml" >/dev/null 2>&1; then
    echo "kubeconform accepted an unknown field"; return 1
  fi
}

t_demo_workloads() {
  local ns name n
  for ns in staging production; do
    for name in payments-api orders-api legacy-billing; do
      n="$(kr -n "$ns" get deploy -l "backstage.io/kubernetes-id=$name" -o jsonpath='{.items[0].status.availableReplicas}')"
      [[ "${n:-0}" -ge 2 ]] || { echo "$ns/$name available=$n"; return 1; }
    done
  done
  echo "6 demo deployments available"
}

# ---------------------------------------------------------------- prometheus

promq() { curl -sS --fail "$STACK_PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1"; }

t_argo_rollouts() { # the real controller is up and has brought the demo Rollout to Healthy
  local h phase
  h="$(curl -sf "$STACK_ARGO_ROLLOUTS_HEALTHZ_URL")" || { echo "healthz $STACK_ARGO_ROLLOUTS_HEALTHZ_URL did not answer"; return 1; }
  # read the metrics whole (`curl | grep -q` fails under pipefail when grep stops early) and give
  # a just-started controller a little time to register them
  local metrics="" i
  for i in $(seq 30); do
    metrics="$(curl -sf "$STACK_ARGO_ROLLOUTS_METRICS_URL" || true)"
    grep -q '^argo_rollouts_controller_info' <<<"$metrics" && break
    sleep 1
  done
  grep -q '^argo_rollouts_controller_info' <<<"$metrics" || { echo "no argo_rollouts_controller_info metric after 30 s"; return 1; }
  k -n staging wait rollouts.argoproj.io/checkout-api --for=jsonpath='{.status.phase}'=Healthy --timeout=90s >/dev/null
  phase="$(k -n staging get rollouts.argoproj.io checkout-api -o jsonpath='{.status.phase} {.status.availableReplicas}/{.spec.replicas} stable={.status.stableRS}')"
  [[ "$(ko auth can-i patch rollouts.argoproj.io -n staging)" == yes ]] || { echo "operator cannot patch rollouts"; return 1; }
  echo "healthz=$h; staging/checkout-api $phase"
}

t_prom_query() {
  local r
  r="$(promq 'up{job="shipshape-exporter"}')"
  grep -q '"value":\[[0-9.]*,"1"\]' <<<"$r" || { echo "$r"; return 1; }
  r="$(promq 'sum(rate(http_requests_total{service="payments-api"}[30s]))')"
  grep -q '"result":\[{' <<<"$r" || { echo "no live rate: $r"; return 1; }
  echo "exporter up, live rate present"
}

t_prom_history() {
  local r
  r="$(promq 'min(count_over_time(http_requests_total{service="payments-api",code="200"}[28d]))')"
  local n
  n="$(sed -n 's/.*"value":\[[0-9.]*,"\([0-9.]*\)"\].*/\1/p' <<<"$r")"
  [[ -n "$n" && "${n%.*}" -ge 7000 ]] || { echo "28d sample count=$n (STACK_PROM_BACKFILL_DAYS=0?)"; return 1; }
  echo "$n samples in 28d"
}

t_alert_fires() {
  # steer a throwaway service to 50% errors; the burn-rate alert must fire
  curl -sS --fail -X POST "$STACK_EXPORTER_CONTROL_URL" -H 'content-type: application/json' \
    -d '{"service":"smoke-svc","rps":50,"errorRatio":0.5,"latencyMs":20}' >/dev/null
  local deadline=$((SECONDS + 60)) ok=0
  while ((SECONDS < deadline)); do
    if curl -sS "$STACK_PROMETHEUS_URL/api/v1/alerts" | grep -q '"alertname":"ShipshapeHighErrorRate","service":"smoke-svc"[^}]*}[^}]*},"state":"firing"'; then ok=1; break; fi
    sleep 1
  done
  curl -sS -X POST "$STACK_EXPORTER_CONTROL_URL" -d '{"service":"smoke-svc","remove":true}' >/dev/null || true
  [[ $ok == 1 ]] || { echo "ShipshapeHighErrorRate for smoke-svc did not fire in 60s"; curl -sS "$STACK_PROMETHEUS_URL/api/v1/alerts" | head -c 800; return 1; }
  echo "ShipshapeHighErrorRate fired"
}

t_alertmanager_receives() {
  local deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    curl -sS "$STACK_ALERTMANAGER_URL/api/v2/alerts" | grep -q '"alertname":"ShipshapeStackWatchdog"' && { echo "watchdog in Alertmanager"; return 0; }
    sleep 1
  done
  echo "Alertmanager has no ShipshapeStackWatchdog alert"; return 1
}

t_promtool_rules() {
  promtool check rules "$HERE/prometheus-rules.yml" >/dev/null
  (cd "$HERE" && promtool test rules prometheus-rules.test.yml)
}

# ---------------------------------------------------------------- postgres

t_pg_dump() {
  local f="$TMP/demo.dump"
  PGPASSWORD="$STACK_PG_PASSWORD" "$STACK_PG_BIN/pg_dump" -h "$STACK_PG_HOST" -p "$STACK_PG_PORT" \
    -U "$STACK_PG_USER" -Fc -f "$f" "$STACK_PG_DATABASE"
  local tables
  tables="$("$STACK_PG_BIN/pg_restore" --list "$f" | grep -c ' TABLE DATA ')"
  [[ "$tables" -ge 5 ]] || { echo "only $tables tables in dump"; return 1; }
  PGPASSWORD="$STACK_PG_PASSWORD" "$STACK_PG_BIN/psql" -h "$STACK_PG_HOST" -p "$STACK_PG_PORT" -U "$STACK_PG_USER" \
    -d "$STACK_PG_DATABASE" -Atqc "select count(*) from pg_constraint where contype='f'" | grep -qx '[4-9]' \
    || { echo "foreign keys missing"; return 1; }
  echo "pg_dump -Fc $(du -h "$f" | cut -f1), $tables tables"
}

# ---------------------------------------------------------------- s3

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3() { # PAYLOAD-SHA256 CURL-ARGS...
  local sha=$1; shift
  curl -sS --fail --aws-sigv4 "aws:amz:$STACK_S3_REGION:s3" --user "$STACK_S3_ACCESS_KEY_ID:$STACK_S3_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: $sha" "$@"
}

t_s3_roundtrip() {
  local key src="$TMP/src.bin" dst="$TMP/dst.bin"
  key="smoke/$(date +%s)-$RANDOM.bin"
  head -c 3145728 /dev/urandom >"$src"
  s3 "$(sha256sum "$src" | cut -d' ' -f1)" -X PUT \
    --data-binary "@$src" "$STACK_S3_ENDPOINT/$STACK_S3_BUCKET/$key" >/dev/null
  s3 "$EMPTY_SHA256" -o "$dst" "$STACK_S3_ENDPOINT/$STACK_S3_BUCKET/$key"
  cmp -s "$src" "$dst" || { echo "downloaded object differs"; return 1; }
  s3 "$EMPTY_SHA256" "$STACK_S3_ENDPOINT/$STACK_S3_BUCKET?list-type=2&prefix=smoke%2F" | grep -q "<Key>$key</Key>" || { echo "object not listed"; return 1; }
  s3 "$EMPTY_SHA256" -X DELETE "$STACK_S3_ENDPOINT/$STACK_S3_BUCKET/$key" >/dev/null
  if curl -sS --fail --aws-sigv4 "aws:amz:$STACK_S3_REGION:s3" --user "$STACK_S3_ACCESS_KEY_ID:wrong" -H "x-amz-content-sha256: $EMPTY_SHA256" \
    "$STACK_S3_ENDPOINT/$STACK_S3_BUCKET?list-type=2" >/dev/null 2>&1; then echo "wrong secret accepted"; return 1; fi
  echo "3 MiB object round-tripped"
}

# ---------------------------------------------------------------- tools

t_tools() {
  local b="$STACK_TOOLS_BIN" cv sv
  cv="$("$STACK_KUBECTL" version --client -o json | grep -o '"minor": *"[0-9]*' | head -1 | tr -dc 0-9)"
  sv="$(k version -o json | sed -n '/serverVersion/,$p' | grep -o '"minor": *"[0-9]*' | head -1 | tr -dc 0-9)"
  [[ -n "$cv" && "$cv" == "$sv" ]] || { echo "kubectl minor $cv, server minor $sv"; return 1; }
  "$b/helm" version --short >/dev/null
  "$b/actionlint" -version >/dev/null
  "$b/kubeconform" -v >/dev/null
  promtool --version >/dev/null 2>&1
  echo "kubectl/server 1.$cv, helm, actionlint, kubeconform, promtool"
}

main() {
  check "tools: kubectl matches server minor; helm, actionlint, kubeconform, promtool" t_tools
  check "k8s: /readyz over TLS with the reader token" t_readyz_reader
  check "k8s: TLS is verified (no CA -> refused)" t_tls_rejects_unknown_ca
  check "k8s: reader token is read-only" t_rbac_reader
  check "k8s: operator token may patch deployments, create jobs" t_rbac_operator
  check "k8s: >=3 kwok nodes Ready in 2 zones" t_nodes_zones
  check "k8s: 3-replica Deployment becomes Available" t_deploy_available
  check "k8s: image update rolls out" t_rolling_update
  check "k8s: kubectl rollout undo" t_rollout_undo
  check "k8s: operator token patches a Deployment" t_operator_patch
  check "k8s: operator token creates a Job that completes" t_operator_job
  check "k8s: bad release stalls with ProgressDeadlineExceeded" t_bad_release_stalls
  check "k8s: demo manifests pass server-side dry run" t_server_dry_run
  check "kubeconform: offline schemas from the apiserver's OpenAPI" t_kubeconform_offline
  check "k8s: demo workloads available" t_demo_workloads
  check "argo rollouts: controller up, demo Rollout Healthy" t_argo_rollouts
  check "prometheus: query answers, exporter scraped" t_prom_query
  if [[ "${STACK_PROM_BACKFILL_DAYS:-28}" -ge 28 ]]; then
    check "prometheus: 28-day history present" t_prom_history
  else
    skip "prometheus: 28-day history present" "(STACK_PROM_BACKFILL_DAYS=${STACK_PROM_BACKFILL_DAYS})"
  fi
  check "prometheus: alert fires when errors are steered up" t_alert_fires
  check "alertmanager: receives alerts" t_alertmanager_receives
  check "promtool: rules check and unit tests" t_promtool_rules
  check "postgres: pg_dump -Fc of the example database" t_pg_dump
  check "s3: object round trip (sigv4)" t_s3_roundtrip
  k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  if ((FAILED > 0)); then printf 'failed: %s\n' "${FAILURES[@]}"; fi
  if ((SKIPPED > 0)); then echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; else echo "$PASSED passed, $FAILED failed"; fi
  ((FAILED == 0))
}

main "$@"
