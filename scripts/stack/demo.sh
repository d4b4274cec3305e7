#!/usr/bin/env bash
# Deploys the example components into the local cluster (staging and production)
# and makes sure the exporter has traffic for them. Idempotent.
#   scripts/stack/demo.sh [apply|delete]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${STACK_STATE_DIR:-$ROOT/.stack}"

# name:replicas:image:cpu-request:memory-request:traffic(rps:errorRatio:latencyMs)
COMPONENTS=(
  "payments-api:3:registry.example.test/shipshape/payments-api:1.4.2:100m:128Mi:5:0.0002:40"
  "orders-api:3:registry.example.test/shipshape/orders-api:2.1.0:200m:256Mi:8:0.0008:120"
  "legacy-billing:2:registry.example.test/shipshape/legacy-billing:0.9.7:50m:64Mi:1:0.0005:250"
)

die() { echo "[demo] ERROR: $*" >&2; exit 1; }

# What \`helm upgrade --install <name> -n <ns>\` of the golden-path chart leaves on a workload:
# the evidence the portal checks before it deploys or rolls back (docs/operations.md, "Who may
# touch a workload"). The example entities are component:default/<name>.
release_evidence() { # name namespace indent
  local pad; pad=$(printf '%*s' "$3" '')
  printf '%s%s\n' "$pad" "annotations:" \
    "$pad" "  shipshape.dev/entity: component:default/$1" \
    "$pad" "  meta.helm.sh/release-name: $1" \
    "$pad" "  meta.helm.sh/release-namespace: $2"
}

# The cost labels the golden-path chart stamps (docs/entity-contract.md), as each example
# component has them: payments-api all of them, orders-api some, legacy-billing none.
cost_labels() { # name namespace indent
  local pad; pad=$(printf '%*s' "$3" '')
  case $1 in
    payments-api)
      printf '%s%s\n' "$pad" "shipshape.dev/service: payments-api" "$pad" "shipshape.dev/owner: payments-team" \
        "$pad" "shipshape.dev/cost-center: CC-1001" "$pad" "shipshape.dev/environment: $2" "$pad" "shipshape.dev/tier: critical" ;;
    orders-api)
      printf '%s%s\n' "$pad" "shipshape.dev/service: orders-api" "$pad" "shipshape.dev/owner: orders-team" ;;
  esac
}

# DR readiness (docs/backup.md): payments-api in production has a PodDisruptionBudget and
# spreads its pods across the kwok zones, so it passes; orders-api has neither, so it fails
# (its zone check only warns while the scheduler happens to put its pods in both zones).
HA_IN_PRODUCTION=(payments-api)

ha() { # name namespace
  [[ $2 == production && " ${HA_IN_PRODUCTION[*]} " == *" $1 "* ]]
}

spread() { # name namespace
  ha "$1" "$2" || return 0
  cat <<YAML
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app.kubernetes.io/name: $1}}}
YAML
}

pdb() { # name namespace
  ha "$1" "$2" || return 0
  cat <<YAML
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: $1
  namespace: $2
  labels:
    app.kubernetes.io/name: $1
    app.kubernetes.io/part-of: shipshape-demo
    backstage.io/kubernetes-id: $1
$(cost_labels "$1" "$2" 4)
spec:
  minAvailable: 2
  selector: # the Deployment's pods, not the backup Jobs' (they share app.kubernetes.io/name)
    matchLabels: {app.kubernetes.io/name: $1, backstage.io/kubernetes-id: $1}
YAML
}

manifest() { # name replicas image tag cpu mem namespace
  local name=$1 replicas=$2 image=$3 tag=$4 cpu=$5 mem=$6 ns=$7
  cat <<YAML
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $name
  namespace: $ns
$(release_evidence "$name" "$ns" 2)
  labels:
    app.kubernetes.io/name: $name
    app.kubernetes.io/part-of: shipshape-demo
    app.kubernetes.io/managed-by: Helm
    backstage.io/kubernetes-id: $name
$(cost_labels "$name" "$ns" 4)
spec:
  replicas: $replicas
  progressDeadlineSeconds: 60
  revisionHistoryLimit: 5
  selector:
    matchLabels: {app.kubernetes.io/name: $name}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: $name
        backstage.io/kubernetes-id: $name
$(cost_labels "$name" "$ns" 8)
    spec:
$(spread "$name" "$ns")
      containers:
      - name: app
        image: $image:$tag
        ports: [{containerPort: 8080, name: http}]
$(probes "$name")
        resources:
          requests: {cpu: $cpu, memory: $mem}
          limits: {memory: $mem}
---
apiVersion: v1
kind: Service
metadata:
  name: $name
  namespace: $ns
  labels:
    app.kubernetes.io/name: $name
    backstage.io/kubernetes-id: $name
$(cost_labels "$name" "$ns" 4)
spec:
  selector: {app.kubernetes.io/name: $name}
  ports: [{port: 80, targetPort: http, name: http}]
YAML
  pdb "$name" "$ns"
}

# The chart's probes (GET /ready, /health); legacy-billing, the misconfigured example, has none,
# so its DR card fails the probes check.
probes() { # name
  [[ $1 == legacy-billing ]] && return 0
  printf '        %s\n' \
    "readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 10}" \
    "livenessProbe: {httpGet: {path: /health, port: http}, periodSeconds: 20}"
}

# The backup CronJob the golden-path chart makes (backup-cronjob.yaml), reduced to what
# the portal uses: its labels, its release evidence (an in-cluster backup checks it as a deploy
# checks the Deployment's) and job template. kwok completes Job pods; pods of an image
# whose tag contains "bad" exit 1 (kwok-bad-job.yaml), so orders-api's backups fail.
BACKUPS=(
  "payments-api:registry.example.test/shipshape/pg-backup:16"
  "orders-api:registry.example.test/shipshape/pg-backup:16-bad"
)

backup_cronjob() { # name image ns
  cat <<YAML
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: $1-backup
  namespace: $3
$(release_evidence "$1" "$3" 2)
  labels:
    app.kubernetes.io/name: $1
    app.kubernetes.io/part-of: shipshape-demo
    app.kubernetes.io/component: backup
    backstage.io/kubernetes-id: $1
$(cost_labels "$1" "$3" 4)
spec:
  schedule: "0 2 * * *"
  timeZone: Etc/UTC
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 3
  jobTemplate:
    metadata:
      labels: {app.kubernetes.io/name: $1, app.kubernetes.io/component: backup}
    spec:
      backoffLimit: 1
      activeDeadlineSeconds: 600
      template:
        metadata:
          labels: {app.kubernetes.io/name: $1, app.kubernetes.io/component: backup}
        spec:
          restartPolicy: Never
          containers:
          - name: dump-and-verify
            image: $2
            args: [pg_dump, --format=custom]
YAML
}

# An Argo Rollouts canary (the stack runs the real controller): 4 replicas, 25% -> 50% -> 100%
# with short timed pauses, so a new image walks the canary steps on its own in ~20 s.
ROLLOUTS=("checkout-api:4:registry.example.test/shipshape/checkout-api:3.2.0")

argo_rollout() { # name replicas image ns
  cat <<YAML
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: $1
  namespace: $4
$(release_evidence "$1" "$4" 2)
  labels:
    app.kubernetes.io/name: $1
    app.kubernetes.io/part-of: shipshape-demo
    app.kubernetes.io/managed-by: Helm
    backstage.io/kubernetes-id: $1
spec:
  replicas: $2
  revisionHistoryLimit: 5
  progressDeadlineSeconds: 60
  selector:
    matchLabels: {app.kubernetes.io/name: $1}
  strategy:
    canary:
      steps:
      - setWeight: 25
      - pause: {duration: 5s}
      - setWeight: 50
      - pause: {duration: 5s}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: $1
        backstage.io/kubernetes-id: $1
    spec:
      containers:
      - name: app
        image: $3
        ports: [{containerPort: 8080, name: http}]
        resources:
          requests: {cpu: 50m, memory: 64Mi}
          limits: {memory: 64Mi}
YAML
}

rollout_manifests() {
  local c ns name replicas image
  for ns in staging production; do
    for c in "${ROLLOUTS[@]}"; do
      IFS=: read -r name replicas image <<<"$c"
      argo_rollout "$name" "$replicas" "$image" "$ns"
    done
  done
}

all_manifests() {
  local c ns
  for ns in staging production; do
    for c in "${COMPONENTS[@]}"; do
      IFS=: read -r name replicas image tag cpu mem _ <<<"$c"
      manifest "$name" "$replicas" "$image" "$tag" "$cpu" "$mem" "$ns"
    done
    for c in "${BACKUPS[@]}"; do
      backup_cronjob "${c%%:*}" "${c#*:}" "$ns"
    done
  done
}

traffic() {
  local c name rps err lat
  for c in "${COMPONENTS[@]}"; do
    IFS=: read -r name _ _ _ _ _ rps err lat <<<"$c"
    curl -sf -X POST "$STACK_EXPORTER_CONTROL_URL" -H 'content-type: application/json' \
      -d "{\"service\":\"$name\",\"rps\":$rps,\"errorRatio\":$err,\"latencyMs\":$lat}" >/dev/null \
      || die "exporter control failed for $name"
  done
}

main() {
  [[ -f "$STATE/env.sh" ]] || die "$STATE/env.sh missing: run scripts/stack/stack.sh up first"
  # shellcheck disable=SC1091
  source "$STATE/env.sh"
  local kubectl=("$STACK_KUBECTL" --kubeconfig "$STACK_KUBE_ADMIN_KUBECONFIG")
  case "${1:-apply}" in
    apply)
      all_manifests | "${kubectl[@]}" apply --server-side --force-conflicts --field-manager=shipshape-demo -f - >/dev/null
      traffic
      "${kubectl[@]}" wait deploy -A -l app.kubernetes.io/part-of=shipshape-demo \
        --for=condition=Available --timeout=120s >/dev/null || die "demo deployments did not become available"
      echo "[demo] deployed ${#COMPONENTS[@]} components and ${#BACKUPS[@]} backup CronJobs to staging and production"
      if "${kubectl[@]}" get crd rollouts.argoproj.io >/dev/null 2>&1; then
        rollout_manifests | "${kubectl[@]}" apply --server-side --force-conflicts --field-manager=shipshape-demo -f - >/dev/null
        "${kubectl[@]}" wait rollouts.argoproj.io -A -l app.kubernetes.io/part-of=shipshape-demo \
          --for=jsonpath='{.status.phase}'=Healthy --timeout=120s >/dev/null || die "demo Argo Rollouts did not become Healthy"
        echo "[demo] deployed ${#ROLLOUTS[@]} Argo Rollout(s) to staging and production"
      fi
      ;;
    delete)
      all_manifests | "${kubectl[@]}" delete --ignore-not-found -f - >/dev/null
      if "${kubectl[@]}" get crd rollouts.argoproj.io >/dev/null 2>&1; then
        rollout_manifests | "${kubectl[@]}" delete --ignore-not-found -f - >/dev/null
      fi ;;
    manifests) all_manifests ;;
    *) die "usage: $0 [apply|delete|manifests]" ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
