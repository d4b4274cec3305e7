#!/usr/bin/env bash
# Installs a rendered service's chart into a real cluster the way the release workflow does,
# in a temporary namespace that enforces Pod Security "restricted":
#   helm upgrade --install --atomic --wait (revision 1: pre-install migration hook with a
#   database), rollout status, the HPA brings the Deployment to its minimum, pods spread
#   over zones; upgrade to a new tag (pre-upgrade migration hook runs again, replica count
#   kept); helm rollback to revision 1; uninstall; namespace deleted.
# The local stack's kwok nodes run no containers, so `helm test` (a pod that must succeed)
# is not run here; server-side admission, scheduling, hooks and rollbacks are real.
#
# usage: test-install.sh <rendered-service-dir>     ($KUBECONFIG must point at the cluster)
set -euo pipefail
dir=$(cd "${1:?usage: test-install.sh <rendered-service-dir>}" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$repo/.tools/bin:$PATH"
name=$(sed -n 's/^name: *//p' "$dir/chart/Chart.yaml")
ns="tpl-install-$$-$RANDOM"
values=(-f "$dir/chart/values-production.yaml" --set backup.s3.bucket=install-test)
# strategy canary or blue-green: an Argo Rollout, analysed by the stack's Prometheus (the
# controller runs on the host); the service's series are not there, so the analysis passes
strategy=$(sed -n 's/^strategy: *//p' "$dir/chart/values.yaml")
kind=deployment
if [[ ${strategy:-rolling} != rolling ]]; then
  kind=rollouts.argoproj.io
  [[ -f $repo/.stack/env.sh ]] && source "$repo/.stack/env.sh"
  values+=(--set "rollout.analysis.prometheusAddress=${STACK_PROMETHEUS_URL:?the stack's Prometheus (STACK_PROMETHEUS_URL) is needed for a Rollout's analysis}")
fi
# `kubectl rollout status` for a Deployment; a Rollout's controller says Healthy (or Paused: the
# canary or the preview waits for Promote after its analysis passed)
settled() { # phase...
  if [[ $kind == deployment ]]; then kubectl -n "$ns" rollout status "deployment/$name" --timeout 2m >/dev/null; return; fi
  local p w
  for _ in $(seq 240); do
    p=$(kubectl -n "$ns" get "$kind" "$name" -o jsonpath='{.status.phase}')
    for w in "$@"; do [[ $p == "$w" ]] && return 0; done
    sleep 0.5
  done
  echo "Rollout $name: phase $p, expected $*: $(kubectl -n "$ns" get "$kind" "$name" -o jsonpath='{.status.message}')" >&2
  return 1
}
trap 'helm uninstall "$name" -n "$ns" --wait --timeout 60s >/dev/null 2>&1; kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1' EXIT

kubectl create namespace "$ns" >/dev/null
kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest >/dev/null
has_db=false
if grep -q '^  enabled: true' <(sed -n '/^database:/,/^[a-z]/p' "$dir/chart/values.yaml"); then
  has_db=true
  # the Secret the chart references; a placeholder, kwok runs no process that would use it
  kubectl -n "$ns" create secret generic "$name-db" --from-literal=DATABASE_URL=postgresql://placeholder.invalid/db >/dev/null
fi

helm upgrade --install "$name" "$dir/chart" -n "$ns" "${values[@]}" --set image.tag=rev1 --atomic --wait --timeout 3m >/dev/null
settled Healthy
echo "ok: revision 1 installed with --atomic --wait in a PSS-restricted namespace"
if $has_db; then
  kubectl -n "$ns" get events --field-selector involvedObject.name="$name-migrate",reason=Completed -o name | grep -q . \
    || { echo "the pre-install migration Job did not complete" >&2; exit 1; }
  echo "ok: the pre-install migration hook Job completed"
fi
want=$(sed -n 's/^  minReplicas: *//p' "$dir/chart/values-production.yaml" | head -n 1)
for _ in $(seq 60); do
  ready=$(kubectl -n "$ns" get "$kind" "$name" -o jsonpath='{.status.readyReplicas}')
  [[ ${ready:-0} -ge $want ]] && break
  sleep 1
done
[[ ${ready:-0} -ge $want ]] || { echo "expected $want ready replicas (HPA minimum), got ${ready:-0}" >&2; exit 1; }
zones=$(kubectl -n "$ns" get pods -l app.kubernetes.io/component=server -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' \
  | xargs -r -I{} kubectl get node {} -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}' | sort -u | wc -l)
echo "ok: $ready/$want replicas ready (HPA minimum), spread over $zones zone(s)"

helm upgrade --install "$name" "$dir/chart" -n "$ns" "${values[@]}" --set image.tag=rev2 --atomic --wait --timeout 3m >/dev/null
if [[ $kind == deployment ]]; then
  settled
else
  # canary: 25 %, the SLO analysis, then it waits for Promote; blue-green: the preview waits
  settled Paused
  kubectl -n "$ns" patch "$kind" "$name" --type=merge -p '{"spec":{"paused":false}}' >/dev/null
  kubectl -n "$ns" patch "$kind" "$name" --subresource=status --type=merge -p '{"status":{"pauseConditions":null}}' >/dev/null
  settled Healthy
  echo "ok: the $strategy Rollout waited for Promote, was promoted and is Healthy; SLO analysis runs: $(kubectl -n "$ns" get analysisruns.argoproj.io -o jsonpath='{.items[*].status.phase}')"
fi
after=$(kubectl -n "$ns" get "$kind" "$name" -o jsonpath='{.spec.replicas}')
[[ $after -ge $want ]] || { echo "the upgrade reset the replica count to $after" >&2; exit 1; }
if $has_db; then
  n=$(kubectl -n "$ns" get events --field-selector involvedObject.name="$name-migrate",reason=SuccessfulCreate -o name | wc -l)
  [[ $n -ge 2 ]] || { echo "the pre-upgrade migration Job did not run again" >&2; exit 1; }
  ! kubectl -n "$ns" get networkpolicy "$name-migrate" >/dev/null 2>&1 || { echo "the migration hook's NetworkPolicy was not removed" >&2; exit 1; }
fi
echo "ok: upgraded to rev2 (replicas kept at $after$($has_db && echo '; migration hook ran again, its NetworkPolicy removed after success'))"

helm rollback "$name" 1 -n "$ns" --wait --timeout 3m >/dev/null
image=$(kubectl -n "$ns" get "$kind" "$name" -o jsonpath='{.spec.template.spec.containers[0].image}')
[[ $image == *:rev1 ]] || { echo "rollback left image $image" >&2; exit 1; }
echo "ok: helm rollback to revision 1 → $image"
