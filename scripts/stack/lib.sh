# shellcheck shell=bash
# Shared by the stack's component files (sourced by stack.sh): paths, ports, logging,
# secrets, and starting, waiting for and stopping a component's process.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${STACK_STATE_DIR:-$ROOT/.stack}"
BIN="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}/bin"
HOST=127.0.0.1

KINE_PORT="${STACK_KINE_PORT:-23790}"
APISERVER_PORT="${STACK_APISERVER_PORT:-26443}"
KCM_PORT="${STACK_CONTROLLER_MANAGER_PORT:-20257}"
SCHED_PORT="${STACK_SCHEDULER_PORT:-20259}"
KWOK_PORT="${STACK_KWOK_PORT:-20247}"
PG_PORT="${STACK_PG_PORT:-25432}"
PROM_PORT="${STACK_PROMETHEUS_PORT:-29090}"
AM_PORT="${STACK_ALERTMANAGER_PORT:-29093}"
EXPORTER_PORT="${STACK_EXPORTER_PORT:-29100}"
S3_PORT="${STACK_S3_PORT:-27070}"
ARGO_ROLLOUTS_PORT="${STACK_ARGO_ROLLOUTS_PORT:-20280}"               # healthz
ARGO_ROLLOUTS_METRICS_PORT="${STACK_ARGO_ROLLOUTS_METRICS_PORT:-20281}"

COMPONENTS=(postgres kine apiserver controller-manager scheduler kwok argo-rollouts exporter alertmanager prometheus s3)

PY="$(command -v /usr/bin/python3 || command -v python3)"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- processes

pidfile() { echo "$STATE/run/$1.pid"; }
logfile() { echo "$STATE/logs/$1.log"; }

port_of() {
  case "$1" in
    postgres) echo "$PG_PORT" ;; kine) echo "$KINE_PORT" ;; apiserver) echo "$APISERVER_PORT" ;;
    controller-manager) echo "$KCM_PORT" ;; scheduler) echo "$SCHED_PORT" ;; kwok) echo "$KWOK_PORT" ;;
    exporter) echo "$EXPORTER_PORT" ;; alertmanager) echo "$AM_PORT" ;; prometheus) echo "$PROM_PORT" ;;
    s3) echo "$S3_PORT" ;; argo-rollouts) echo "$ARGO_ROLLOUTS_PORT" ;;
  esac
}

port_var() {
  case "$1" in
    postgres) echo STACK_PG_PORT ;;
    *) echo "STACK_$(echo "${1^^}" | tr '-' '_')_PORT" ;;
  esac
}

# the binary a component's pid must be running (guards against pid reuse)
exe_of() {
  case "$1" in
    postgres) echo postgres ;; kine) echo kine ;; apiserver) echo kube-apiserver ;;
    controller-manager) echo kube-controller-manager ;; scheduler) echo kube-scheduler ;;
    kwok) echo kwok ;; exporter) echo exporter.py ;; alertmanager) echo alertmanager ;;
    prometheus) echo prometheus ;; s3) echo versitygw ;; argo-rollouts) echo rollouts-controller ;;
  esac
}

read_pid() {
  local f
  if [[ "$1" == postgres ]]; then f="$STATE/pg/data/postmaster.pid"; else f="$(pidfile "$1")"; fi
  [[ -f "$f" ]] && head -1 "$f" | tr -dc '0-9' || true
}

is_running() {
  local pid
  pid="$(read_pid "$1")"
  [[ -n "$pid" ]] && alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(exe_of "$1")"
}

alive() { # pid exists and is not a zombie
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null)" != Z ]]
}

port_busy() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

check_port_free() {
  local name=$1 port
  port="$(port_of "$name")"
  if port_busy "$port"; then
    local who
    who="$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\(.*\))).*/\1/p' | head -1)"
    fail "$name" "port $port is already in use by another process (${who:-unknown}); set $(port_var "$name") to another port"
  fi
}

# start NAME CMD... : detached in its own session, pid file, log file
start_proc() {
  local name=$1; shift
  rm -f "$(pidfile "$name")"
  : >"$(logfile "$name")"
  check_port_free "$name"
  setsid "$@" >>"$(logfile "$name")" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile "$name")"
}

fail() {
  local name=$1; shift
  log "FAILED: $name: $*"
  local lf
  lf="$(logfile "$name")"
  if [[ -s "$lf" ]]; then
    log "---- last lines of $lf ----"
    tail -n 25 "$lf" >&2
    log "----"
  fi
  exit 1
}

# A component just started has failed only when its process is gone: is_running's command-line
# check would race the exec of the new process (seen: s3 "exited" while it was starting).
exited() {
  local pid
  pid="$(read_pid "$1")"
  [[ -n "$pid" ]] && ! alive "$pid"
}

# wait_for NAME TIMEOUT CHECK-CMD...
wait_for() {
  local name=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    exited "$name" && fail "$name" "process exited during start"
    ((SECONDS < deadline)) || fail "$name" "not ready after ${timeout}s"
    sleep 0.3
  done
}

stop_proc() {
  local name=$1 pid
  if [[ "$name" == postgres ]]; then stop_postgres; return; fi
  pid="$(read_pid "$name")"
  if [[ -z "$pid" ]]; then return 0; fi
  if ! is_running "$name"; then
    log "$name: stale pid file (pid $pid not running), removing"
    rm -f "$(pidfile "$name")"; return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i t0=$SECONDS
  for i in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "$name: did not stop on TERM, killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  # anything left in its process group
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$(pidfile "$name")"
  log "$name stopped ($((SECONDS - t0)) s)"
}

# ---------------------------------------------------------------- secrets

secret() { # NAME -> value, generated once
  local f="$STATE/secrets/$1"
  [[ -s "$f" ]] || (umask 077; openssl rand -hex 16 >"$f")
  cat "$f"
}
