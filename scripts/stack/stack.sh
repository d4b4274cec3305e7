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
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${STACK_STATE_DIR:-$ROOT/.stack}"
BIN="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}/bin"
STAGES_SRC="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}/kwok-stages"
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
ARGO_CRDS="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}/argo-rollouts-crds"
PROM_BACKFILL_DAYS="${STACK_PROM_BACKFILL_DAYS:-28}"
S3_BUCKET="shipshape-backups"
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
PG_DB="shipshape_demo"
PG_APP_USER="shipshape"
PG_DRILL_USER="shipshape_drill" # restore drills: CREATEDB and nothing more (docs/backup.md)
KWOK_NODES=("kwok-node-a1:zone-a" "kwok-node-a2:zone-a" "kwok-node-b1:zone-b")
# default exporter traffic: name:rps:errorRatio:latencyMs
DEMO_SERVICES=("payments-api:5:0.0002:40" "orders-api:8:0.0008:120" "legacy-billing:1:0.0005:250")

COMPONENTS=(postgres kine apiserver controller-manager scheduler kwok argo-rollouts exporter alertmanager prometheus s3)

PY="$(command -v /usr/bin/python3 || command -v python3)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
kc() { "$BIN/kubectl" --kubeconfig "$STATE/kubeconfig" "$@"; }

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

# ---------------------------------------------------------------- secrets, pki

secret() { # NAME -> value, generated once
  local f="$STATE/secrets/$1"
  [[ -s "$f" ]] || (umask 077; openssl rand -hex 16 >"$f")
  cat "$f"
}

gen_front_proxy() { # client cert the apiserver uses towards aggregated APIs (requestheader auth)
  local d="$STATE/pki"
  [[ -f "$d/front-proxy-client.crt" ]] && return 0
  (
    cd "$d"
    umask 077
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out fp.csr -subj "/CN=front-proxy-client" 2>/dev/null
    openssl x509 -req -in fp.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out front-proxy-client.crt \
      -days 3650 -extfile client.ext 2>/dev/null
    rm -f fp.csr
  )
}

gen_pki() {
  local d="$STATE/pki"
  [[ -f "$d/.done" ]] && { gen_front_proxy; return 0; }
  mkdir -p "$d"; chmod 700 "$d"
  log "generating CA, serving and client certificates, service-account keys"
  (
    cd "$d"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=shipshape-local-ca" 2>/dev/null
    cat >apiserver.ext <<EOF
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=digitalSignature,keyEncipherment
EOF
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt \
      -days 3650 -extfile apiserver.ext 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=shipshape-admin" 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt \
      -days 3650 -extfile client.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr
    chmod 644 ca.crt
  )
  gen_front_proxy
  touch "$d/.done"
}

write_kubeconfig() { # FILE USER-YAML
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://$HOST:$APISERVER_PORT
    certificate-authority: $STATE/pki/ca.crt
contexts:
- name: local
  context: {cluster: local, user: user}
current-context: local
users:
- name: user
  user:
$2
EOF
  chmod 600 "$1"
}

# ---------------------------------------------------------------- postgres

pg_run() { # run a PG binary as the postgres user when we are root (postgres refuses root)
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The directory PostgreSQL runs in. As root, PostgreSQL runs as the postgres user, who may
# not be able to reach .stack (e.g. a clone under /root or a mktemp -d folder); then the
# data lives in /var/tmp/shipshape-pg-<hash> and .stack/pg is a symlink to it.
pg_dir() {
  if [[ $(id -u) -ne 0 ]]; then mkdir -p "$STATE/pg"; echo "$STATE/pg"; return; fi
  if [[ ! -L "$STATE/pg" ]]; then
    mkdir -p "$STATE/pg"; chown postgres: "$STATE/pg"
    if runuser -u postgres -- test -w "$STATE/pg" 2>/dev/null; then echo "$STATE/pg"; return; fi
    rmdir "$STATE/pg" 2>/dev/null || rm -rf "${STATE:?}/pg"
  fi
  local alt
  alt="/var/tmp/shipshape-pg-$(printf '%s' "$STATE" | md5sum | cut -c1-10)"
  mkdir -p "$alt"; chown postgres: "$alt"; chmod 700 "$alt"
  ln -sfn "$alt" "$STATE/pg"
  echo "$alt"
}

start_postgres() {
  [[ -x "$PG_BIN/initdb" ]] || fail postgres "PostgreSQL binaries not found (run scripts/stack/build-tools.sh apt)"
  local dir data lf
  dir="$(pg_dir)"
  data="$dir/data"
  # the server writes its log itself, so it lives where the postgres user can write
  lf="$dir/postgres.log"
  ln -sfn "$lf" "$(logfile postgres)"
  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data"
    local pw="$dir/.pw"
    (umask 077; secret pg-postgres-password >"$pw")
    [[ $(id -u) -eq 0 ]] && chown postgres: "$pw"
    pg_run "$PG_BIN/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$pw" -E UTF8 --no-locale \
      >"$lf" 2>&1 || { rm -f "$pw"; fail postgres "initdb failed"; }
    rm -f "$pw"
    cat >>"$data/postgresql.conf" <<EOF
# shipshape local stack
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 50
log_min_messages = warning
EOF
  fi
  sed -i "s/^port = .*/port = $PG_PORT/" "$data/postgresql.conf"
  check_port_free postgres
  touch "$lf"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$lf"
  pg_run setsid "$PG_BIN/pg_ctl" -D "$data" -l "$lf" -w -t 60 start >/dev/null 2>&1 9>&- || fail postgres "pg_ctl start failed"
  wait_for postgres 30 pg_ready
  pg_bootstrap
}

pg_ready() { PGPASSWORD="$(secret pg-postgres-password)" "$PG_BIN/psql" -h $HOST -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' | grep -q 1; }

pg_drill_role() { # the restore-drill login: CREATEDB and nothing more (a superuser is refused)
  PGPASSWORD="$(secret pg-postgres-password)" "$PG_BIN/psql" -h $HOST -p "$PG_PORT" -U postgres -d postgres \
    -qv ON_ERROR_STOP=1 -v pw="$(secret pg-drill-password)" >/dev/null <<EOF
SELECT format('CREATE ROLE %I', '$PG_DRILL_USER') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_DRILL_USER') \\gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', '$PG_DRILL_USER', :'pw') \\gexec
EOF
}

pg_bootstrap() {
  [[ -f "$STATE/pg/.seeded" ]] && return 0
  PGPASSWORD="$(secret pg-postgres-password)"
  export PGPASSWORD
  local app_pw
  app_pw="$(secret pg-app-password)"
  "$PG_BIN/psql" -h $HOST -p "$PG_PORT" -U postgres -d postgres -qv ON_ERROR_STOP=1 >/dev/null <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_APP_USER') THEN
    CREATE ROLE $PG_APP_USER LOGIN PASSWORD '$app_pw';
  END IF;
END \$\$;
EOF
  local db
  for db in "$PG_DB" payments orders legacy_billing; do
    if ! "$PG_BIN/psql" -h $HOST -p "$PG_PORT" -U postgres -d postgres -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      "$PG_BIN/psql" -h $HOST -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE $db OWNER $PG_APP_USER" >/dev/null
    fi
  done
  unset PGPASSWORD
  write_env
  for db in "$PG_DB" payments orders legacy_billing; do
    STACK_STATE_DIR="$STATE" "$HERE/pg-seed.sh" --db "$db" >>"$(logfile postgres-seed)" 2>&1 \
      || { cat "$(logfile postgres-seed)" >&2; fail postgres "seeding $db failed"; }
  done
  touch "$STATE/pg/.seeded"
}

stop_postgres() {
  local data
  data="$(readlink -f "$STATE/pg" 2>/dev/null || echo "$STATE/pg")/data"
  [[ -f "$data/postmaster.pid" ]] || return 0
  if is_running postgres; then
    pg_run "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || {
      local pid; pid="$(read_pid postgres)"; kill -KILL "$pid" 2>/dev/null || true; }
    log "postgres stopped"
  else
    log "postgres: stale postmaster.pid, removing"
    rm -f "$data/postmaster.pid"
  fi
}

clean_pg() { # remove the data directory, also when it lives outside .stack
  if [[ -L "$STATE/pg" ]]; then
    local t
    t="$(readlink "$STATE/pg")"
    [[ "$t" == /var/tmp/shipshape-pg-* ]] && rm -rf "$t"
  fi
  rm -rf "${STATE:?}/pg"
}

# ---------------------------------------------------------------- kubernetes

start_kine() {
  mkdir -p "$STATE/k8s/kine"
  start_proc kine "$BIN/kine" --listen-address="$HOST:$KINE_PORT" --metrics-bind-address=0 \
    --endpoint="sqlite://$STATE/k8s/kine/state.db?_journal=WAL&cache=shared&_busy_timeout=30000"
  wait_for kine 30 bash -c "exec 3<>/dev/tcp/$HOST/$KINE_PORT"
}

start_apiserver() {
  local p="$STATE/pki"
  start_proc apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://$HOST:$KINE_PORT" --storage-backend=etcd3 \
    --bind-address=$HOST --advertise-address=$HOST --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" \
    --requestheader-client-ca-file="$p/ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$p/front-proxy-client.crt" --proxy-client-key-file="$p/front-proxy-client.key" \
    --authorization-mode=RBAC --anonymous-auth=false \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
    --allow-privileged=true --profiling=false --enable-priority-and-fairness=false \
    --event-ttl=1h --v=1
  wait_for apiserver 120 curl -sf --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
    "https://$HOST:$APISERVER_PORT/readyz"
}

start_kcm() {
  local p="$STATE/pki"
  start_proc controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/kubeconfig" --authentication-kubeconfig="$STATE/kubeconfig" \
    --authorization-kubeconfig="$STATE/kubeconfig" \
    --bind-address=$HOST --secure-port="$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --controllers='*,-nodeipam,-cloud-node-lifecycle,-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-ephemeral-volume,-service-lb-controller,-route' \
    --profiling=false --v=1
  wait_for controller-manager 60 curl -skf "https://$HOST:$KCM_PORT/healthz"
}

start_scheduler() {
  start_proc scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$STATE/kubeconfig" --authentication-kubeconfig="$STATE/kubeconfig" \
    --authorization-kubeconfig="$STATE/kubeconfig" \
    --bind-address=$HOST --secure-port="$SCHED_PORT" --leader-elect=false --profiling=false --v=1
  wait_for scheduler 60 curl -skf "https://$HOST:$SCHED_PORT/healthz"
}

kwok_stages() { # assemble the stage config from kwok's own YAMLs plus the bad-release stage
  local out="$STATE/k8s/kwok-stages.yaml" s="$STAGES_SRC"
  [[ -d "$s" ]] || fail kwok "kwok stages not found in $s (run scripts/stack/build-tools.sh)"
  {
    local f
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      cat "$s/$f"; echo "---"
    done
    # pod-ready, but never for pods of a bad release
    awk '{print} /^    matchExpressions:/ && !done {
      print "    - key: '"'"'[.spec.containers[].image | split(\"/\") | .[-1] | (split(\":\") | .[1]) // \"\" | contains(\"bad\")] | any'"'"'"
      print "      operator: '"'"'NotIn'"'"'"
      print "      values:"
      print "      - '"'"'true'"'"'"
      done=1 }' "$s/pod/fast/pod-ready.yaml"
    echo "---"
    cat "$HERE/kwok-bad-release.yaml"
    echo "---"
    cat "$HERE/kwok-bad-job.yaml"
  } >"$out"
  echo "$out"
}

start_kwok() {
  local cfg
  cfg="$(kwok_stages)"
  start_proc kwok "$BIN/kwok" --kubeconfig="$STATE/kubeconfig" --config="$cfg" \
    --manage-nodes-with-label-selector=type=kwok --node-lease-duration-seconds=40 \
    --node-ip=$HOST --cidr=10.244.0.0/16 --server-address="$HOST:$KWOK_PORT" --v=WARN
  wait_for kwok 60 curl -sf "http://$HOST:$KWOK_PORT/healthz"
  k8s_nodes
}

k8s_nodes() {
  local n name zone
  for n in "${KWOK_NODES[@]}"; do
    name="${n%%:*}"; zone="${n##*:}"
    kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    type: kwok
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node-role.kubernetes.io/worker: ""
    topology.kubernetes.io/zone: $zone
    topology.kubernetes.io/region: local
spec: {}
EOF
  done
  local deadline=$((SECONDS + 60))
  until [[ "$(kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c True)" -ge ${#KWOK_NODES[@]} ]]; do
    ((SECONDS < deadline)) || fail kwok "kwok nodes not Ready after 60s"
    sleep 0.5
  done
}

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

kube_schemas() { # JSON schemas for kubeconform from the apiserver's own OpenAPI (offline)
  local d="$STATE/k8s/schemas" p="$STATE/pki"
  [[ -f "$d/.done" ]] && return 0
  rm -rf "$d"
  curl -sf --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
    "https://$HOST:$APISERVER_PORT/openapi/v2" -o "$STATE/k8s/openapi-v2.json" || fail apiserver "fetching /openapi/v2 failed"
  "$PY" "$HERE/kube-schemas.py" "$STATE/k8s/openapi-v2.json" "$d" >/dev/null || fail apiserver "generating kubeconform schemas failed"
  touch "$d/.done"
}

k8s_bootstrap() { # applies k8s-bootstrap.yaml when it changed since the last apply (its md5 in .bootstrapped)
  local sum
  sum="$(md5sum <"$HERE/k8s-bootstrap.yaml" | cut -c1-32)"
  if [[ "$(cat "$STATE/k8s/.bootstrapped" 2>/dev/null)" == "$sum" && -s "$STATE/k8s/reader.token" && -s "$STATE/k8s/operator.token" ]]; then
    return 0
  fi
  kc apply -f "$HERE/k8s-bootstrap.yaml" >/dev/null || fail apiserver "applying k8s-bootstrap.yaml failed"
  local sa deadline tok
  for sa in reader operator; do
    deadline=$((SECONDS + 60))
    tok=""
    until [[ -n "$tok" ]]; do
      tok="$(kc -n shipshape-system get secret "shipshape-$sa-token" -o jsonpath='{.data.token}' 2>/dev/null | base64 -d || true)"
      [[ -n "$tok" ]] && break
      ((SECONDS < deadline)) || fail controller-manager "token for shipshape-$sa was not issued in 60s"
      sleep 0.5
    done
    (umask 077; printf '%s' "$tok" >"$STATE/k8s/$sa.token")
    write_kubeconfig "$STATE/k8s/$sa.kubeconfig" "    tokenFile: $STATE/k8s/$sa.token"
  done
  printf '%s\n' "$sum" >"$STATE/k8s/.bootstrapped"
}

# ---------------------------------------------------------------- prometheus, exporter

start_exporter() {
  local args=() s
  for s in "${DEMO_SERVICES[@]}"; do args+=(--service "$s"); done
  start_proc exporter "$PY" "$HERE/exporter.py" --listen $HOST --port "$EXPORTER_PORT" "${args[@]}"
  wait_for exporter 20 curl -sf "http://$HOST:$EXPORTER_PORT/healthz"
}

start_alertmanager() {
  local d="$STATE/alertmanager"
  mkdir -p "$d/data"
  cat >"$d/alertmanager.yml" <<EOF
route:
  receiver: default
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
- name: default
EOF
  start_proc alertmanager "$(command -v prometheus-alertmanager)" --config.file="$d/alertmanager.yml" \
    --storage.path="$d/data" --web.listen-address="$HOST:$AM_PORT" --cluster.listen-address= \
    --web.external-url="http://$HOST:$AM_PORT/"
  wait_for alertmanager 30 curl -sf "http://$HOST:$AM_PORT/-/ready"
}

prom_backfill() {
  local d="$STATE/prometheus" days="${1:-$PROM_BACKFILL_DAYS}"
  [[ "$days" != 0 ]] || return 0
  local args=() s
  for s in "${DEMO_SERVICES[@]}"; do args+=(--service "$s"); done
  local om="$d/backfill.om"
  (cd "$HERE" && "$PY" backfill.py --out "$om" --days "$days" --step 300 \
    --instance "$HOST:$EXPORTER_PORT" "${args[@]}") >>"$(logfile prometheus-backfill)" 2>&1
  promtool tsdb create-blocks-from openmetrics --max-block-duration=720h "$om" "$d/data" \
    >>"$(logfile prometheus-backfill)" 2>&1 || fail prometheus-backfill "promtool create-blocks-from failed"
  rm -f "$om"
}

prom_config() { # rules.d/*.yml: generated SLO rules that tests drop in (POST /-/reload)
  local d="$STATE/prometheus"
  mkdir -p "$d/data" "$d/rules.d"
  cp "$HERE/prometheus-rules.yml" "$d/rules.yml"
  cat >"$d/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {stack: shipshape-local}
alerting:
  alertmanagers:
  - static_configs:
    - targets: ['$HOST:$AM_PORT']
rule_files: ['$d/rules.yml', '$d/rules.d/*.yml']
scrape_configs:
- job_name: shipshape-exporter
  static_configs:
  - targets: ['$HOST:$EXPORTER_PORT']
- job_name: prometheus
  scrape_interval: 5s
  static_configs:
  - targets: ['$HOST:$PROM_PORT']
EOF
}

prom_reload() { # a running Prometheus picks up a changed prometheus.yml or rules.yml
  local d="$STATE/prometheus" before
  before=$(cat "$d/prometheus.yml" "$d/rules.yml" 2>/dev/null | md5sum)
  prom_config
  [[ $(cat "$d/prometheus.yml" "$d/rules.yml" | md5sum) == "$before" ]] ||
    curl -sf -X POST "http://$HOST:$PROM_PORT/-/reload" >/dev/null || log "prometheus: reload failed"
}

start_prometheus() {
  local d="$STATE/prometheus"
  prom_config
  if [[ ! -f "$d/.backfilled" && "$PROM_BACKFILL_DAYS" != 0 ]]; then
    log "prometheus: backfilling ${PROM_BACKFILL_DAYS} days of history"
    prom_backfill
    touch "$d/.backfilled"
  fi
  start_proc prometheus "$(command -v prometheus)" --config.file="$d/prometheus.yml" \
    --storage.tsdb.path="$d/data" --storage.tsdb.retention.time=60d \
    --web.listen-address="$HOST:$PROM_PORT" --web.enable-lifecycle --rules.alert.resend-delay=5s \
    --web.external-url="http://$HOST:$PROM_PORT/"
  wait_for prometheus 60 curl -sf "http://$HOST:$PROM_PORT/-/ready"
  # ready for tests once the exporter has been scraped and the rules evaluated
  wait_for prometheus 30 prom_scraped
}

prom_scraped() {
  curl -sf "http://$HOST:$PROM_PORT/api/v1/query" --data-urlencode 'query=up{job="shipshape-exporter"} == 1' | grep -q '"result":\[{' &&
    curl -sf "http://$HOST:$PROM_PORT/api/v1/alerts" | grep -q ShipshapeStackWatchdog
}

# ---------------------------------------------------------------- s3

start_s3() {
  local d="$STATE/s3"
  mkdir -p "$d/data" "$d/meta"
  ROOT_ACCESS_KEY="$(secret s3-access-key)" ROOT_SECRET_KEY="$(secret s3-secret-key)" \
    start_proc s3 "$BIN/versitygw" --port "$HOST:$S3_PORT" posix --sidecar "$d/meta" "$d/data"
  wait_for s3 30 bash -c "exec 3<>/dev/tcp/$HOST/$S3_PORT"
  # the backups bucket and its second copy (copyTo of payments-db, docs/backup.md)
  local bucket
  for bucket in "$S3_BUCKET" "$S3_BUCKET-dr"; do
    if [[ ! -d "$d/data/$bucket" ]]; then
      curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: $EMPTY_SHA256" \
        --user "$(secret s3-access-key):$(secret s3-secret-key)" "http://$HOST:$S3_PORT/$bucket" >/dev/null \
        || fail s3 "creating bucket $bucket failed"
    fi
  done
}

# ---------------------------------------------------------------- outputs

write_env() {
  local f="$STATE/env.sh"
  (umask 077; cat >"$f" <<EOF
# generated by scripts/stack/stack.sh; source it
export STACK_DIR='$STATE'
export KUBECONFIG='$STATE/kubeconfig'
export STACK_KUBE_API_URL='https://$HOST:$APISERVER_PORT'
export STACK_KUBE_CA_FILE='$STATE/pki/ca.crt'
export STACK_KUBE_ADMIN_KUBECONFIG='$STATE/kubeconfig'
export STACK_KUBE_READER_TOKEN_FILE='$STATE/k8s/reader.token'
export STACK_KUBE_OPERATOR_TOKEN_FILE='$STATE/k8s/operator.token'
export STACK_KUBE_READER_KUBECONFIG='$STATE/k8s/reader.kubeconfig'
export STACK_KUBE_OPERATOR_KUBECONFIG='$STATE/k8s/operator.kubeconfig'
export STACK_KUBECTL='$BIN/kubectl'
export STACK_KUBECONFORM_SCHEMA_LOCATION='$STATE/k8s/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json'
export STACK_TOOLS_BIN='$BIN'
export STACK_PG_BIN='$PG_BIN'
export STACK_PG_HOST='$HOST'
export STACK_PG_PORT='$PG_PORT'
export STACK_PG_USER='$PG_APP_USER'
export STACK_PG_PASSWORD='$(secret pg-app-password)'
export STACK_PG_DATABASE='$PG_DB'
export STACK_PG_SUPERUSER='postgres'
export STACK_PG_SUPERUSER_PASSWORD='$(secret pg-postgres-password)'
export STACK_PG_DRILL_USER='$PG_DRILL_USER'
export STACK_PG_DRILL_PASSWORD='$(secret pg-drill-password)'
export STACK_PG_URL='postgresql://$PG_APP_USER:$(secret pg-app-password)@$HOST:$PG_PORT/$PG_DB'
export STACK_S3_ENDPOINT='http://$HOST:$S3_PORT'
export STACK_S3_REGION='us-east-1'
export STACK_S3_BUCKET='$S3_BUCKET'
export STACK_S3_ACCESS_KEY_ID='$(secret s3-access-key)'
export STACK_S3_SECRET_ACCESS_KEY='$(secret s3-secret-key)'
export STACK_PROMETHEUS_URL='http://$HOST:$PROM_PORT'
export STACK_PROM_BACKFILL_DAYS='$PROM_BACKFILL_DAYS'
export STACK_ALERTMANAGER_URL='http://$HOST:$AM_PORT'
export STACK_EXPORTER_URL='http://$HOST:$EXPORTER_PORT'
export STACK_EXPORTER_CONTROL_URL='http://$HOST:$EXPORTER_PORT/control'
export STACK_APP_CONFIG='$STATE/app-config.stack.yaml'
export STACK_ARGO_ROLLOUTS_HEALTHZ_URL='http://$HOST:$ARGO_ROLLOUTS_PORT/healthz'
export STACK_ARGO_ROLLOUTS_METRICS_URL='http://$HOST:$ARGO_ROLLOUTS_METRICS_PORT/metrics'
EOF
  )
}

write_json() {
  # shellcheck disable=SC1091
  source "$STATE/env.sh"
  (umask 077; "$PY" - "$STATE/stack.json" <<'EOF'
import json, os, sys
e = os.environ
doc = {
  "stateDir": e["STACK_DIR"],
  "kubernetes": {
    "url": e["STACK_KUBE_API_URL"], "caFile": e["STACK_KUBE_CA_FILE"],
    "adminKubeconfig": e["STACK_KUBE_ADMIN_KUBECONFIG"],
    "readerTokenFile": e["STACK_KUBE_READER_TOKEN_FILE"],
    "operatorTokenFile": e["STACK_KUBE_OPERATOR_TOKEN_FILE"],
    "readerKubeconfig": e["STACK_KUBE_READER_KUBECONFIG"],
    "operatorKubeconfig": e["STACK_KUBE_OPERATOR_KUBECONFIG"],
    "kubectl": e["STACK_KUBECTL"], "namespaces": ["staging", "production"],
    "kubeconformSchemaLocation": e["STACK_KUBECONFORM_SCHEMA_LOCATION"],
  },
  "postgres": {
    "host": e["STACK_PG_HOST"], "port": int(e["STACK_PG_PORT"]), "user": e["STACK_PG_USER"],
    "password": e["STACK_PG_PASSWORD"], "database": e["STACK_PG_DATABASE"],
    "databases": [e["STACK_PG_DATABASE"], "payments", "orders", "legacy_billing"],
    "superuser": e["STACK_PG_SUPERUSER"], "superuserPassword": e["STACK_PG_SUPERUSER_PASSWORD"],
    "drillUser": e["STACK_PG_DRILL_USER"], "drillPassword": e["STACK_PG_DRILL_PASSWORD"],
    "url": e["STACK_PG_URL"], "binDir": e["STACK_PG_BIN"],
  },
  "s3": {
    "endpoint": e["STACK_S3_ENDPOINT"], "region": e["STACK_S3_REGION"], "bucket": e["STACK_S3_BUCKET"],
    "accessKeyId": e["STACK_S3_ACCESS_KEY_ID"], "secretAccessKey": e["STACK_S3_SECRET_ACCESS_KEY"],
    "forcePathStyle": True,
  },
  "prometheus": {"url": e["STACK_PROMETHEUS_URL"], "rulesDir": os.path.join(e["STACK_DIR"], "prometheus", "rules.d")},
  "alertmanager": {"url": e["STACK_ALERTMANAGER_URL"]},
  "exporter": {"url": e["STACK_EXPORTER_URL"], "controlUrl": e["STACK_EXPORTER_CONTROL_URL"]},
  "toolsBin": e["STACK_TOOLS_BIN"],
  "envFile": os.path.join(e["STACK_DIR"], "env.sh"),
  "appConfig": e["STACK_APP_CONFIG"],
}
with open(sys.argv[1], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
  )
}

write_app_config() {
  # Secrets are referenced by env var ($env) or file ($file); source .stack/env.sh before starting.
  cat >"$STATE/app-config.stack.yaml" <<EOF
# generated by scripts/stack/stack.sh for the local stack; do not commit
kubernetes:
  serviceLocatorMethod:
    type: multiTenant
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: local
          url: https://$HOST:$APISERVER_PORT
          authProvider: serviceAccount
          caFile: $STATE/pki/ca.crt
          serviceAccountToken:
            \$file: $STATE/k8s/reader.token
shipshape:
  environments:
    - {name: staging, cluster: local, namespace: staging}
    - {name: production, cluster: local, namespace: production, protected: true}
  kubernetes:
    clusters:
      - name: local
        # separate, wider token for actions (patch Deployments, create Jobs)
        operatorServiceAccountTokenFile: $STATE/k8s/operator.token
  prometheus:
    defaultInstance: local
    instances:
      - name: local
        url: http://$HOST:$PROM_PORT
  alertmanager:
    url: http://$HOST:$AM_PORT
  # backups and restore drills (docs/backup.md); passwords and S3 keys come from .stack/env.sh
  backup:
    binDir: $PG_BIN
    retention: {keepLast: 7, maxAgeDays: 30}
    drill:
      connection: {host: $HOST, port: $PG_PORT, user: $PG_DRILL_USER, database: postgres, passwordEnv: STACK_PG_DRILL_PASSWORD}
    targets:
      - name: payments-db
        allowedEntities: [component:default/payments-api]
        connection: {host: $HOST, port: $PG_PORT, user: $PG_APP_USER, database: payments, passwordEnv: STACK_PG_PASSWORD}
        # second copy (critical tier): another bucket standing in for another region
        copyTo: {type: s3, endpoint: "http://$HOST:$S3_PORT", region: us-east-1, bucket: $S3_BUCKET-dr, forcePathStyle: true,
          accessKeyIdEnv: STACK_S3_ACCESS_KEY_ID, secretAccessKeyEnv: STACK_S3_SECRET_ACCESS_KEY}
      - name: orders-db
        allowedEntities: [component:default/orders-api]
        connection: {host: $HOST, port: $PG_PORT, user: $PG_APP_USER, database: orders, passwordEnv: STACK_PG_PASSWORD}
      - name: legacy-billing-db
        allowedEntities: [component:default/legacy-billing]
        connection: {host: $HOST, port: $PG_PORT, user: $PG_APP_USER, database: legacy_billing, passwordEnv: STACK_PG_PASSWORD}
    storage:
      type: s3
      endpoint: http://$HOST:$S3_PORT
      region: us-east-1
      bucket: $S3_BUCKET
      forcePathStyle: true
      accessKeyIdEnv: STACK_S3_ACCESS_KEY_ID
      secretAccessKeyEnv: STACK_S3_SECRET_ACCESS_KEY
EOF
}

print_endpoints() {
  # shellcheck disable=SC1091
  source "$STATE/env.sh"
  cat <<EOF
Shipshape local stack is up ($STATE)
  kubernetes     $STACK_KUBE_API_URL   (CA $STACK_KUBE_CA_FILE)
    kubectl      $BIN/kubectl --kubeconfig $STATE/kubeconfig get pods -A
    tokens       reader $STACK_KUBE_READER_TOKEN_FILE, operator $STACK_KUBE_OPERATOR_TOKEN_FILE
  postgres       $STACK_PG_HOST:$STACK_PG_PORT db=$STACK_PG_DATABASE user=$STACK_PG_USER (passwords: env.sh)
                 (also databases payments, orders, legacy_billing; superuser postgres)
  prometheus     $STACK_PROMETHEUS_URL
  alertmanager   $STACK_ALERTMANAGER_URL
  exporter       $STACK_EXPORTER_URL/metrics, control: POST $STACK_EXPORTER_CONTROL_URL
  s3             $STACK_S3_ENDPOINT bucket=$STACK_S3_BUCKET (keys: env.sh)
  env            source $STATE/env.sh (passwords and keys; not printed)   json: $STATE/stack.json   app-config: $STATE/app-config.stack.yaml
EOF
}

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
