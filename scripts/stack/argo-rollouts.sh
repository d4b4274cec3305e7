# shellcheck shell=bash
# Argo Rollouts (sourced by stack.sh): its CRDs, RBAC and the real controller.

ARGO_CRDS="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}/argo-rollouts-crds"

# Argo Rollouts: its CRDs (server-side apply: rollout-crd.yaml is too big for the
# last-applied annotation), RBAC for the portal's tokens (argo-rollouts.yaml), and the real
# controller, with the admin kubeconfig like kube-controller-manager, on 127.0.0.1 only.
argo_bootstrap() {
  local sum
  sum="$(cat "$ARGO_CRDS"/*.yaml "$HERE/argo-rollouts.yaml" 2>/dev/null | md5sum | cut -c1-32)"
  [[ -f "$STATE/k8s/.argo-$sum" ]] && return 0
  ls "$ARGO_CRDS"/*-crd.yaml >/dev/null 2>&1 || fail argo-rollouts "CRDs not found in $ARGO_CRDS (run scripts/stack/build-tools.sh)"
  # a schema-less stand-in CRD (older tests applied one) would be merged into, not replaced
  if [[ "$(kc get crd rollouts.argoproj.io -o jsonpath='{.spec.versions[0].schema.openAPIV3Schema.properties}' 2>/dev/null)" == "" ]] &&
    kc get crd rollouts.argoproj.io >/dev/null 2>&1; then
    log "argo-rollouts: replacing a schema-less rollouts.argoproj.io CRD"
    kc delete crd rollouts.argoproj.io --wait=true --timeout=60s >/dev/null
  fi
  kc apply --server-side --force-conflicts --field-manager=shipshape-stack -f "$ARGO_CRDS" >/dev/null \
    || fail argo-rollouts "applying the Argo Rollouts CRDs failed"
  local deadline=$((SECONDS + 60))
  until [[ "$(kc get crd rollouts.argoproj.io -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" == True ]]; do
    ((SECONDS < deadline)) || fail argo-rollouts "the Rollout CRD was not established in 60s"
    sleep 0.3
  done
  kc apply -f "$HERE/argo-rollouts.yaml" >/dev/null || fail argo-rollouts "applying argo-rollouts.yaml failed"
  rm -f "$STATE/k8s"/.argo-*
  touch "$STATE/k8s/.argo-$sum"
}

start_argo_rollouts() {
  argo_bootstrap
  if port_busy "$ARGO_ROLLOUTS_METRICS_PORT"; then
    fail argo-rollouts "port $ARGO_ROLLOUTS_METRICS_PORT is already in use; set STACK_ARGO_ROLLOUTS_METRICS_PORT to another port"
  fi
  start_proc argo-rollouts "$BIN/rollouts-controller" --kubeconfig="$STATE/kubeconfig" \
    --healthzPort="$ARGO_ROLLOUTS_PORT" --metricsport="$ARGO_ROLLOUTS_METRICS_PORT" \
    --leader-elect=false --loglevel=warn --rollout-threads=4
  wait_for argo-rollouts 60 curl -sf "http://$HOST:$ARGO_ROLLOUTS_PORT/healthz"
}
