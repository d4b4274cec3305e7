#!/usr/bin/env bash
# Shipshape local stack: Kubernetes (kine + kube-apiserver + controller-manager +
# scheduler + kwok nodes), PostgreSQL, Prometheus + Alertmanager + a steerable
# exporter, and S3 (versitygw). Everything listens on 127.0.0.1 only.
#
#   scripts/stack/stack.sh up       build what is missing, start, wait, print endpoints
#   scripts/stack/stack.sh down     stop what `up` started (pid files), leave no process
#   scripts/stack/stack.sh status   state of each component (exit 1 if any is down)
#   scripts/stack/stack.sh clean    down, then remove all state (.stack)
#   scripts/stack/stack.sh env      print the path of .stack/env.sh
#   scripts/stack/stack.sh backfill [DAYS]  replace Prometheus' data with DAYS of history
#
# Ports are fixed by default and can be overridden by STACK_*_PORT (see docs/stack.md).
# STACK_DEMO=0 skips demo workloads, STACK_PROM_BACKFILL_DAYS=0 skips history.
#
# One file per component, sourced here: lib.sh (paths, ports, processes), postgres.sh,
# kubernetes.sh, argo-rollouts.sh, prometheus.sh (+ exporter, Alertmanager), s3.sh, and
# outputs.sh (env.sh, stack.json, app-config.stack.yaml).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # sets HERE, ROOT, STATE
source "$HERE/postgres.sh"
source "$HERE/kubernetes.sh"
source "$HERE/argo-rollouts.sh"
source "$HERE/prometheus.sh"
source "$HERE/s3.sh"
source "$HERE/outputs.sh"

# ---------------------------------------------------------------- commands

ensure_one() { # NAME START-FN
  local name=$1 fn=$2
  if is_running "$name"; then
    log "$name already running (pid $(read_pid "$name"))"
    return 0
  fi
  local t0=$SECONDS
  "$fn"
  log "$name ready ($((SECONDS - t0)) s)"
}

cmd_up() {
  local t0=$SECONDS
  mkdir -p "$STATE"/{run,logs,secrets,k8s}
  chmod 700 "$STATE/secrets"
  log "checking tools (a cold build takes ~20 min on 2 cores; log: $STATE/logs/build-tools.log)"
  "$HERE/build-tools.sh" all >"$STATE/logs/build-tools.log" 2>&1 || {
    tail -n 30 "$STATE/logs/build-tools.log" >&2; die "build-tools failed (log: $STATE/logs/build-tools.log)"; }
  log "tools ready ($((SECONDS - t0)) s)"
  gen_pki
  write_kubeconfig "$STATE/kubeconfig" "    client-certificate: $STATE/pki/admin.crt
    client-key: $STATE/pki/admin.key"
  write_env
  ensure_one postgres start_postgres
  pg_drill_role
  ensure_one kine start_kine
  ensure_one apiserver start_apiserver
  ensure_one controller-manager start_kcm
  ensure_one scheduler start_scheduler
  k8s_bootstrap
  kube_schemas
  ensure_one kwok start_kwok
  ensure_one argo-rollouts start_argo_rollouts
  ensure_one exporter start_exporter
  ensure_one alertmanager start_alertmanager
  ensure_one prometheus start_prometheus
  prom_reload
  ensure_one s3 start_s3
  write_env
  write_json
  write_app_config
  if [[ "${STACK_DEMO:-1}" != 0 ]]; then
    local t1=$SECONDS
    STACK_STATE_DIR="$STATE" "$HERE/demo.sh" >>"$(logfile demo)" 2>&1 || { tail -n 20 "$(logfile demo)" >&2; die "demo workloads failed"; }
    log "demo workloads ready ($((SECONDS - t1)) s)"
  fi
  print_endpoints
  log "up in $((SECONDS - t0)) s"
}

cmd_backfill() { # replace Prometheus' history: stop it, wipe its data, backfill DAYS, start it
  local days=$1 was_running=0
  is_running prometheus && was_running=1
  stop_proc prometheus
  rm -rf "$STATE/prometheus/data" "$STATE/prometheus/.backfilled"
  mkdir -p "$STATE/prometheus/data"
  log "prometheus: backfilling $days days of history"
  prom_backfill "$days"
  touch "$STATE/prometheus/.backfilled"
  if [[ $was_running == 1 ]]; then ensure_one prometheus start_prometheus; fi
}

cmd_down() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    stop_proc "${COMPONENTS[$i]}"
  done
  log "down"
}

cmd_status() {
  local c rc=0 pid
  for c in "${COMPONENTS[@]}"; do
    if is_running "$c"; then
      printf '%-20s running  pid %-8s 127.0.0.1:%s\n' "$c" "$(read_pid "$c")" "$(port_of "$c")"
    else
      pid="$(read_pid "$c")"
      printf '%-20s stopped%s\n' "$c" "${pid:+  (stale pid file: $pid)}"
      rc=1
    fi
  done
  return $rc
}

clean_state() { # only what this script creates; other tools may keep things in .stack too
  local p
  clean_pg
  for p in run logs secrets k8s pki prometheus alertmanager s3 env.sh stack.json app-config.stack.yaml kubeconfig; do
    rm -rf "${STATE:?}/$p"
  done
  log "removed the stack state in $STATE"
}

lock() { # one up/down at a time per state folder (e.g. parallel test workers)
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 900 9 || die "another stack.sh holds $STATE/.lock"
}

main() {
  case "${1:-}" in up|down|restart|clean) lock ;; esac
  case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    restart) cmd_down; cmd_up ;;
    clean) cmd_down; clean_state ;;
    env) echo "$STATE/env.sh" ;;
    backfill) lock; cmd_backfill "${2:-$PROM_BACKFILL_DAYS}" ;;
    *) echo "usage: $0 up|down|status|restart|clean|env|backfill [days]" >&2; exit 2 ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
