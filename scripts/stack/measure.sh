#!/usr/bin/env bash
# Measures rollout timings on the running local stack.
#   scripts/stack/measure.sh [RUNS]   (default 5)
# Prints: create -> Available, and image change -> Available of a 3-replica Deployment.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${STACK_STATE_DIR:-$ROOT/.stack}"
# shellcheck disable=SC1091
source "$STATE/env.sh"
NS=shipshape-measure
RUNS="${1:-5}"

k() { "$STACK_KUBECTL" --kubeconfig "$STACK_KUBE_ADMIN_KUBECONFIG" "$@"; }
now_ms() { date +%s%3N; }

stats() { # label values...
  local label=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%-40s runs=%d min=%d ms median=%d ms max=%d ms\n", l, NR, a[1], a[int((NR+1)/2)], a[NR]}'
}

main() {
  k delete namespace "$NS" --ignore-not-found --wait=true --timeout=90s >/dev/null
  k create namespace "$NS" >/dev/null
  local create=() update=() i t0
  for i in $(seq 1 "$RUNS"); do
    t0=$(now_ms)
    k -n "$NS" create deployment "m$i" --image="registry.example.test/measure/app:1.0.0" --replicas=3 >/dev/null
    k -n "$NS" rollout status "deploy/m$i" --timeout=120s >/dev/null
    create+=($(( $(now_ms) - t0 )))
    t0=$(now_ms)
    k -n "$NS" set image "deploy/m$i" app=registry.example.test/measure/app:1.1.0 >/dev/null
    k -n "$NS" rollout status "deploy/m$i" --timeout=120s >/dev/null
    update+=($(( $(now_ms) - t0 )))
  done
  stats "3 replicas: create -> Available" "${create[@]}"
  stats "3 replicas: image change -> Available" "${update[@]}"
  k delete namespace "$NS" --wait=false >/dev/null
}

main "$@"
