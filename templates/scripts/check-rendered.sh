#!/usr/bin/env bash
# Check one rendered service (output of the scaffolder, run-scaffolder.mjs) with the real
# tools that would run it:
#   helm lint --strict and helm template for staging and production (plus: no tag and
#   "latest" must be refused), policy checks on the manifests (check_manifests.py),
#   kubeconform, actionlint on the workflows, promtool check rules + promtool test rules
#   on the PrometheusRule's spec, and the service's own lint, type check and tests.
#
# usage: check-rendered.sh <rendered-service-dir>
# tools: helm, actionlint, kubeconform, promtool from PATH or <repo>/.tools/bin.
#   A missing tool fails the check, unless CHECK_ALLOW_MISSING=1 (then it is "skipped").
#   KUBECONFORM_SCHEMAS=<dir>: offline JSON schemas (default <repo>/.stack/k8s/schemas, made
#   by the local stack from its apiserver's OpenAPI); kubeconform is skipped without them.
#   CHECK_KUBE=1: also `kubectl apply --dry-run=server` into a temporary namespace that
#   enforces Pod Security "restricted", and test-install.sh (install, upgrade, rollback in
#   another such namespace); $KUBECONFIG must point at a cluster.
# Prints "N passed, N failed, N skipped" last; exit status 1 when anything failed.
set -uo pipefail

dir=$(cd "${1:?usage: check-rendered.sh <rendered-service-dir>}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PATH="$repo/.tools/bin:$repo/.tools/node22/node_modules/.bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/check-rendered.XXXXXX")
trap 'rm -rf "$work"' EXIT
cache=${SHIPSHAPE_CHECK_CACHE:-$repo/.tools/check-cache}
mkdir -p "$cache"
# services are checked concurrently (render-all.sh): one at a time creates a shared venv
lock_cache() { exec {cache_lock}>"$cache/.lock"; flock "$cache_lock"; }
unlock_cache() { flock -u "$cache_lock"; }

passed=0 failed=0 skipped=0
declare -a results=()
run() { # name, command...
  local name=$1; shift
  local log
  log="$work/$(echo "$name" | tr -c 'A-Za-z0-9' '_').log"
  local t0=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); results+=("ok    $name ($((SECONDS - t0))s)")
  else
    failed=$((failed + 1)); results+=("FAIL  $name ($((SECONDS - t0))s)")
    echo "---- $name failed:" >&2; tail -n 40 "$log" >&2
  fi
}
skip() { skipped=$((skipped + 1)); results+=("skip  $1"); }
need() { # tool → 0 if present; else records failure or skip
  command -v "$1" >/dev/null 2>&1 && return 0
  if [[ ${CHECK_ALLOW_MISSING:-0} == 1 ]]; then skip "$2 ($1 not installed)"; else
    failed=$((failed + 1)); results+=("FAIL  $2 ($1 not installed)"); fi
  return 1
}
expect_fail() { ! "$@"; }

# A throwaway PostgreSQL for the service's database tests (initdb in the work dir, a free
# port on 127.0.0.1, stopped on exit), unless TEST_DATABASE_URL is already set.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg_dir=""
start_postgres() {
  [[ -n ${TEST_DATABASE_URL:-} ]] && return 0
  [[ -x $pg_bin/initdb ]] || return 1
  local as=()
  [[ $(id -u) == 0 ]] && as=(runuser -u postgres --)
  pg_dir=$(mktemp -d /tmp/check-rendered-pg.XXXXXX)
  chmod 777 "$pg_dir"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U check >/dev/null || return 1
  "${as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || return 1
  export TEST_DATABASE_URL="postgresql://check@127.0.0.1:$port/postgres"
}
stop_postgres() {
  [[ -n $pg_dir ]] || return 0
  local as=()
  [[ $(id -u) == 0 ]] && as=(runuser -u postgres --)
  "${as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1
  rm -rf "$pg_dir"
}
trap 'stop_postgres; rm -rf "$work"' EXIT

kube_version=${KUBE_VERSION:-1.33.0}
name=$(sed -n 's/^name: *//p' "$dir/chart/Chart.yaml")
has_db=false; grep -q '^  enabled: true' <(sed -n '/^database:/,/^[a-z]/p' "$dir/chart/values.yaml") && has_db=true
language=python; [[ -f $dir/package.json ]] && language=node
strategy=$(sed -n 's/^strategy: *//p' "$dir/chart/values.yaml")

# a small venv for the checker's own needs (PyYAML)
tools_venv=$cache/tools-venv
lock_cache
if [[ ! -x $tools_venv/bin/python ]] || ! "$tools_venv/bin/python" -c 'import yaml' 2>/dev/null; then
  python3 -m venv "$tools_venv" && "$tools_venv/bin/pip" install -q pyyaml==6.0.3 >/dev/null
fi
unlock_cache

# ---------------- chart ----------------
if need helm "helm"; then
  api=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule)
  for env in staging production; do
    run "helm lint --strict ($env)" helm lint --strict "$dir/chart" -f "$dir/chart/values-$env.yaml" --set image.tag=check
    run "helm template ($env)" bash -c "helm template '$name' '$dir/chart' --kube-version $kube_version -n '$name' -f '$dir/chart/values-$env.yaml' --set image.tag=check ${api[*]} > '$work/$env.yaml'"
    if $has_db; then
      db_kinds=(--expect CronJob --expect Job)
    else
      db_kinds=(--forbid CronJob --forbid Job)
    fi
    # strategy rolling: a Deployment; canary, blue-green: an Argo Rollout and its SLO AnalysisTemplate
    if [[ $strategy == rolling ]]; then
      strategy_kinds=(--expect Deployment --forbid Rollout --forbid AnalysisTemplate)
    else
      strategy_kinds=(--expect Rollout --expect AnalysisTemplate --forbid Deployment)
    fi
    run "manifest policy ($env)" "$tools_venv/bin/python" "$here/check_manifests.py" "$work/$env.yaml" "$env" \
      --expect ServiceMonitor --expect PrometheusRule "${db_kinds[@]}" "${strategy_kinds[@]}"
  done
  run "chart refuses a missing image tag" bash -c "! helm template '$name' '$dir/chart' --kube-version $kube_version -f '$dir/chart/values-production.yaml' > '$work/notag.log' 2>&1 && grep 'image.tag is required' '$work/notag.log'"
  run "chart refuses image tag latest" bash -c "! helm template '$name' '$dir/chart' --kube-version $kube_version -f '$dir/chart/values-production.yaml' --set image.tag=latest > '$work/latest.log' 2>&1 && grep 'latest.* is not allowed' '$work/latest.log'"
  run "chart refuses to render without an environment" bash -c "! helm template '$name' '$dir/chart' --kube-version $kube_version --set image.tag=check > '$work/noenv.log' 2>&1 && grep 'shipshape.environment is required' '$work/noenv.log'"
  run "chart renders without the Prometheus operator CRDs" bash -c "helm template '$name' '$dir/chart' --kube-version $kube_version -f '$dir/chart/values-production.yaml' --set image.tag=check > '$work/nocrd.yaml' && ! grep -Eq 'kind: (PrometheusRule|ServiceMonitor)' '$work/nocrd.yaml'"
  nofile=$work/chart-without-rules
  run "chart refuses to render its PrometheusRule without files/slo-rules.yaml" bash -c "cp -r '$dir/chart' '$nofile' && rm -f '$nofile/files/slo-rules.yaml' && ! helm template '$name' '$nofile' --kube-version $kube_version -f '$dir/chart/values-production.yaml' --set image.tag=check ${api[*]} > '$work/norules.log' 2>&1 && grep 'files/slo-rules.yaml is missing' '$work/norules.log'"
  if [[ $strategy != rolling ]]; then
    run "chart refuses to render its AnalysisTemplate without files/slo-analysis.yaml" bash -c "cp -r '$dir/chart' '$work/chart-without-analysis' && rm -f '$work/chart-without-analysis/files/slo-analysis.yaml' && ! helm template '$name' '$work/chart-without-analysis' --kube-version $kube_version -f '$dir/chart/values-production.yaml' --set image.tag=check > '$work/noanalysis.log' 2>&1 && grep 'files/slo-analysis.yaml is missing' '$work/noanalysis.log'"
  fi
  run "chart refuses an unknown strategy" bash -c "! helm template '$name' '$dir/chart' --kube-version $kube_version -f '$dir/chart/values-production.yaml' --set image.tag=check --set strategy=recreate > '$work/badstrategy.log' 2>&1 && grep 'strategy is \"recreate\"; expected rolling, canary or blue-green' '$work/badstrategy.log'"
  # release and namespace = the service's name, as release.yaml deploys it and slo.yaml selects it
  run "helm template renders the alert rules" bash -c "helm template '$name' '$dir/chart' --kube-version $kube_version -n '$name' -f '$dir/chart/values-production.yaml' --set image.tag=test ${api[*]} > '$work/slo.yaml' && '$tools_venv/bin/python' '$here/check_manifests.py' '$work/slo.yaml' production --rules-out '$dir/monitoring/rendered-rules.yaml'"

  # kubeconform, offline: schemas generated from the local apiserver's OpenAPI
  # (scripts/stack/kube-schemas.py writes them to .stack/k8s/schemas). The Prometheus
  # operator CRDs have no schema there; promtool checks their content below.
  schemas=${KUBECONFORM_SCHEMAS:-$repo/.stack/k8s/schemas}
  if [[ -d $schemas ]]; then
    if need kubeconform "kubeconform"; then
      run "kubeconform (strict, offline schemas)" kubeconform -strict -summary -ignore-missing-schemas \
        -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$work/staging.yaml" "$work/production.yaml"
    fi
  else
    skip "kubeconform (no offline schemas: set KUBECONFORM_SCHEMAS or start the local stack)"
  fi
  # Server-side dry run against a real apiserver (CHECK_KUBE=1, uses $KUBECONFIG): in a
  # temporary namespace that enforces the Pod Security "restricted" profile; any
  # PodSecurity warning counts as a failure. The namespace is deleted afterwards.
  if [[ ${CHECK_KUBE:-0} == 1 ]] && need kubectl "kubectl"; then
    kube_dry_run() {
      local ns="tpl-check-$$-$RANDOM" rc=0
      kubectl create namespace "$ns" >/dev/null || return 1
      kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted \
        pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/enforce-version=latest >/dev/null || rc=1
      kubectl apply --dry-run=server -n "$ns" -f "$work/nocrd.yaml" >"$work/dryrun.log" 2>&1 || rc=1
      cat "$work/dryrun.log"
      grep -qi 'warning' "$work/dryrun.log" && rc=1
      kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1
      return $rc
    }
    run "kubectl apply --dry-run=server (PSS restricted namespace)" kube_dry_run
    run "helm install/upgrade/rollback on the cluster (hooks, HPA minimum, zones)" "$here/test-install.sh" "$dir"
  fi
else
  skip "chart checks need helm"
fi

# ---------------- alerts ----------------
if need promtool "promtool"; then
  if [[ -f $dir/monitoring/rendered-rules.yaml ]]; then
    run "promtool check rules --lint-fatal" promtool check rules --lint-fatal "$dir/monitoring/rendered-rules.yaml"
    run "promtool test rules (burn-rate alerts)" promtool test rules "$dir/monitoring/slo-rules.test.yaml"
  else
    skip "promtool (no rules rendered: helm missing)"
  fi
fi

# ---------------- backups ----------------
if $has_db; then
  if command -v helm >/dev/null && [[ -x $pg_bin/pg_dump ]]; then
    run "backup CronJob scripts: pg_dump → verify → S3 → retention; restore with row count" "$here/test-backup.sh" "$dir"
  else
    skip "backup scripts (need helm and PostgreSQL binaries)"
  fi
fi

# ---------------- workflows ----------------
if need actionlint "actionlint"; then
  # with shellcheck on PATH, actionlint also checks every run: script
  run "actionlint$(command -v shellcheck >/dev/null && echo ' (+ shellcheck)')" actionlint "$dir"/.github/workflows/*.yaml
fi
run "workflows pin third-party actions to commit SHAs" bash -c \
  "! grep -hE '^\s*(-\s*)?uses:' '$dir'/.github/workflows/*.yaml | grep -vE '@[0-9a-f]{40}( |$)'"
run "workflows declare permissions" bash -c "for f in '$dir'/.github/workflows/*.yaml; do grep -q '^permissions:' \"\$f\" || { echo \"\$f\"; exit 1; }; done"

# ---------------- repository ----------------
# the skeleton ships it as `gitignore` (npm packs no .gitignore); the fs:rename step names it back
run ".gitignore is the skeleton's gitignore, no stray gitignore" bash -c \
  "diff -u '$here/../$language-service/skeleton/gitignore' '$dir/.gitignore' && [[ ! -e '$dir/gitignore' ]]"

# ---------------- catalog / slo ----------------
if [[ -f $repo/plugins/shipshape-common/src/tiers.ts ]]; then
  run "tier policy equals TIER_DEFAULTS of shipshape-common" "$tools_venv/bin/python" "$here/check-tier-policy.py" "$dir" ${CHECK_PARAMS:+"$CHECK_PARAMS"}
fi
run "catalog-info.yaml and slo.yaml parse" "$tools_venv/bin/python" - "$dir" <<'PY'
import sys, yaml, pathlib
d = pathlib.Path(sys.argv[1])
entity = yaml.safe_load((d / "catalog-info.yaml").read_text())
ann = entity["metadata"]["annotations"]
for k in ["backstage.io/kubernetes-id", "github.com/project-slug", "backstage.io/techdocs-ref",
          "shipshape.dev/tier", "shipshape.dev/cost-center", "shipshape.dev/slo-ref", "shipshape.dev/rpo",
          "shipshape.dev/rto", "shipshape.dev/restore-drill-interval", "shipshape.dev/runbook"]:
    assert ann.get(k), f"missing annotation {k}"
assert entity["spec"]["type"] == "service" and entity["spec"]["owner"] and entity["spec"]["system"]
slos = list(yaml.safe_load_all((d / "slo.yaml").read_text()))
assert [s["kind"] for s in slos] == ["Service", "SLO", "SLO"], slos
for s in slos[1:]:
    assert s["apiVersion"] == "openslo/v1"
    assert 0 < s["spec"]["objectives"][0]["target"] < 1
    assert s["spec"]["timeWindow"][0] == {"duration": "30d", "isRolling": True}
print("ok", entity["metadata"]["name"])
PY
# the chart's SLO rules are the generator's output for this slo.yaml (not stale, not edited)
if [[ -f $repo/node_modules/@backstage/cli-node/config/nodeTransform.cjs ]]; then
  run "chart/files/slo-rules.yaml is shipshape-common's output for slo.yaml" bash -c "cd '$dir' && node --require '$repo/node_modules/@backstage/cli-node/config/nodeTransform.cjs' '$repo/plugins/scaffolder-backend-module-shipshape/src/sloRulesCli.ts' --service '$name' --format chart slo.yaml > '$work/slo-rules.yaml' && diff -u '$work/slo-rules.yaml' chart/files/slo-rules.yaml"
else
  skip "chart/files/slo-rules.yaml regenerated (no node_modules in the repo)"
fi

# ---------------- TechDocs ----------------
docs_venv=$cache/techdocs-venv
lock_cache
if [[ ! -f $docs_venv/.complete ]]; then
  rm -rf "$docs_venv"
  python3 -m venv "$docs_venv" && "$docs_venv/bin/pip" install -q mkdocs-techdocs-core==1.7.1 >/dev/null 2>&1 && touch "$docs_venv/.complete"
fi
unlock_cache
if [[ -f $docs_venv/.complete ]]; then
  run "TechDocs: mkdocs build --strict with techdocs-core" "$docs_venv/bin/mkdocs" build --strict -q -f "$dir/mkdocs.yml" -d "$work/site"
else
  skip "TechDocs (could not install mkdocs-techdocs-core)"
fi

# ---------------- the service's own checks ----------------
if $has_db; then
  run "throwaway PostgreSQL for the database tests" start_postgres
fi
if [[ $language == python ]]; then
  key=$(cat "$dir/requirements.txt" "$dir/requirements-dev.txt" | sha256sum | cut -c1-16)
  venv=$cache/py-$key
  lock_cache
  if [[ ! -f $venv/.complete ]]; then
    rm -rf "$venv"
    run "pip install -r requirements-dev.txt" bash -c "python3 -m venv '$venv' && '$venv/bin/pip' install -q -r '$dir/requirements-dev.txt' && touch '$venv/.complete'"
  fi
  unlock_cache
  (
    cd "$dir" || exit 1
    run "ruff check" "$venv/bin/ruff" check .
    run "ruff format --check" "$venv/bin/ruff" format --check .
    # mypy's incremental cache lives with the venv: the installed packages are analysed once
    # per requirements set; a service's own modules again whenever their content differs
    run "mypy" env MYPY_CACHE_DIR="$venv/.mypy_cache" "$venv/bin/mypy" app
    run "pytest with coverage" "$venv/bin/pytest" --cov --cov-report=term -p no:cacheprovider
    run "entrypoint smoke: CMD under gunicorn, migration command, HEALTHCHECK, SIGTERM, JSON logs" \
      env DATABASE_URL="${TEST_DATABASE_URL:-}" PYTHON_VENV="$venv" "$here/smoke-entrypoint.sh" "$dir"
    echo "$passed $failed $skipped" >"$work/counts"
    printf '%s\n' "${results[@]}" >"$work/results"
  )
  read -r passed failed skipped <"$work/counts"; mapfile -t results <"$work/results"
else
  if need node "node"; then
    (
      cd "$dir" || exit 1
      # npm ci once per dependency set (the lockfile's packages but the service's own entry);
      # a later service with the same set gets a (hard-linked) copy of that node_modules, after
      # `npm ci --dry-run` has checked its lockfile against its package.json like npm ci does
      npm_key=$(node -e 'const l = require(process.argv[1]); delete l.packages[""]; console.log(JSON.stringify(l.packages))' "$dir/package-lock.json" | sha256sum | cut -c1-16)
      npm_cache=$cache/npm-$npm_key
      lock_cache
      if [[ -f $npm_cache/.complete ]]; then
        run "npm ci (lockfile in step with package.json; node_modules of the same lockfile reused)" \
          bash -c "npm ci --dry-run --no-audit --no-fund --loglevel=error && rm -rf node_modules && { cp -al '$npm_cache/node_modules' node_modules 2>/dev/null || { rm -rf node_modules && cp -a '$npm_cache/node_modules' node_modules; }; }"
      else
        failed_before=$failed
        run "npm ci (lockfile in step with package.json)" npm ci --no-audit --no-fund --loglevel=error
        [[ $failed == "$failed_before" ]] && rm -rf "$npm_cache" && mkdir -p "$npm_cache" && { cp -al node_modules "$npm_cache/" 2>/dev/null || { rm -rf "$npm_cache/node_modules" && cp -a node_modules "$npm_cache/"; }; } && touch "$npm_cache/.complete"
      fi
      unlock_cache
      run "npm run lint" npm run lint
      run "npm run typecheck" npm run typecheck
      run "npm test (with coverage)" npm test
      run "entrypoint smoke: CMD, migration command, HEALTHCHECK, SIGTERM, JSON logs" \
        env DATABASE_URL="${TEST_DATABASE_URL:-}" "$here/smoke-entrypoint.sh" "$dir"
      echo "$passed $failed $skipped" >"$work/counts"
      printf '%s\n' "${results[@]}" >"$work/results"
    )
    read -r passed failed skipped <"$work/counts"; mapfile -t results <"$work/results"
  fi
fi

echo "== $(basename "$dir") ($language, database: $has_db)"
printf '   %s\n' "${results[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed == 0 ]]
