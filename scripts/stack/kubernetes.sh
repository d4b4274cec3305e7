# shellcheck shell=bash
# Kubernetes (sourced by stack.sh): PKI and kubeconfigs, kine, kube-apiserver,
# controller-manager, scheduler, kwok nodes, the bootstrap manifest and kubeconform schemas.

STAGES_SRC="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}/kwok-stages"
KWOK_NODES=("kwok-node-a1:zone-a" "kwok-node-a2:zone-a" "kwok-node-b1:zone-b")

kc() { "$BIN/kubectl" --kubeconfig "$STATE/kubeconfig" "$@"; }
api_get() { # PATH [CURL-ARGS...]: GET from the apiserver as the admin
  local p="$STATE/pki"
  curl -sf --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" "https://$HOST:$APISERVER_PORT$1" "${@:2}"
}

# ---------------------------------------------------------------- pki, kubeconfigs

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

# ---------------------------------------------------------------- control plane, nodes

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
  wait_for apiserver 120 api_get /readyz
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

kube_schemas() { # JSON schemas for kubeconform from the apiserver's own OpenAPI (offline)
  local d="$STATE/k8s/schemas"
  [[ -f "$d/.done" ]] && return 0
  rm -rf "$d"
  api_get /openapi/v2 -o "$STATE/k8s/openapi-v2.json" || fail apiserver "fetching /openapi/v2 failed"
  "$PY" "$HERE/kube-schemas.py" "$STATE/k8s/openapi-v2.json" "$d" >/dev/null || fail apiserver "generating kubeconform schemas failed"
  touch "$d/.done"
}

# k8s-bootstrap.yaml (namespaces, the stack's extra grants), then the shipped RBAC of the read and
# operator identities (deploy/rbac, the same files an adopter applies)
K8S_BOOTSTRAP_FILES=("$HERE/k8s-bootstrap.yaml" "$ROOT/deploy/rbac/kubernetes-plugin-reader.yaml"
  "$ROOT/deploy/rbac/reader.yaml" "$ROOT/deploy/rbac/operator.yaml")
# deploy/rbac/operator-helm.yaml, bound in each of the stack's service namespaces (the demo's
# environments): the only place the operator may read (and write) Secrets, Helm's release records
K8S_SERVICE_NAMESPACES=(staging production)
K8S_OPERATOR_HELM="$ROOT/deploy/rbac/operator-helm.yaml"

k8s_bootstrap() { # applies K8S_BOOTSTRAP_FILES when they changed since the last apply (their md5 in .bootstrapped)
  local sum
  sum="$(cat "${K8S_BOOTSTRAP_FILES[@]}" "$K8S_OPERATOR_HELM" | md5sum | cut -c1-32)"
  if [[ "$(cat "$STATE/k8s/.bootstrapped" 2>/dev/null)" == "$sum" && -s "$STATE/k8s/reader.token" && -s "$STATE/k8s/operator.token" ]]; then
    return 0
  fi
  kc apply "${K8S_BOOTSTRAP_FILES[@]/#/-f}" >/dev/null || fail apiserver "applying ${K8S_BOOTSTRAP_FILES[*]##*/} failed"
  local ns
  for ns in "${K8S_SERVICE_NAMESPACES[@]}"; do
    sed "s/NAMESPACE/$ns/g" "$K8S_OPERATOR_HELM" | kc apply -f - >/dev/null ||
      fail apiserver "applying operator-helm.yaml in namespace $ns failed"
  done
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
