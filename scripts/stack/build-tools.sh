#!/usr/bin/env bash
# Builds (or installs) every tool the local stack needs, cached by version.
#
#   scripts/stack/build-tools.sh [all|k8s|go|apt|check]
#
# Binaries land in .tools/bin; a marker .tools/bin/.versions/<tool>-<version>
# is written only after a successful build, so a half-built cache is rebuilt.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TOOLS="${SHIPSHAPE_TOOLS_DIR:-$ROOT/.tools}"
BIN="$TOOLS/bin"
MARK="$BIN/.versions"
LOGDIR="$TOOLS/logs"

K8S_VERSION="${K8S_VERSION:-v1.33.13}"
KINE_VERSION="v0.16.4"
KWOK_VERSION="v0.8.0"
HELM_VERSION="v3.21.4"
ACTIONLINT_VERSION="v1.7.12"
KUBECONFORM_VERSION="v0.7.0"
VERSITYGW_VERSION="v1.7.0"
ARGO_ROLLOUTS_VERSION="v1.8.3"

# Go's module and build caches are per machine, not per clone, so that a fresh clone on a
# machine that built the tools before relinks them in about a minute instead of ~25.
GO_CACHE_ROOT="${SHIPSHAPE_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shipshape/go}"
export GOPATH="$GO_CACHE_ROOT"
export GOCACHE="$GO_CACHE_ROOT/cache"
export GOMODCACHE="$GO_CACHE_ROOT/pkg/mod"
export GOFLAGS="-mod=mod -modcacherw"
export CGO_ENABLED="${CGO_ENABLED:-1}"
GO_P="${GO_P:-2}"

log() { printf '[build-tools] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

have_marker() { [[ -f "$MARK/$1-$2" ]]; }
set_marker() { rm -f "$MARK/$1"-*; touch "$MARK/$1-$2"; }

# Built binaries are also kept per machine, by tool and version, so a fresh clone on a
# machine that built them before copies them in seconds instead of building for ~25 minutes.
MACHINE_CACHE="${SHIPSHAPE_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shipshape/bin}"

# all binaries of a tool present and marker written (restored from the machine cache if there)
cached() { # name version bin...
  local name=$1 ver=$2; shift 2
  local b ok=1
  for b in "$@"; do [[ -x "$BIN/$b" ]] || ok=0; done
  have_marker "$name" "$ver" && ((ok)) && return 0
  for b in "$@"; do [[ -x "$MACHINE_CACHE/$name-$ver/$b" ]] || return 1; done
  for b in "$@"; do cp -f "$MACHINE_CACHE/$name-$ver/$b" "$BIN/$b.tmp" && mv -f "$BIN/$b.tmp" "$BIN/$b"; done
  set_marker "$name" "$ver"
  log "$name $ver restored from $MACHINE_CACHE"
}

remember() { # name version bin...: copy freshly built binaries into the machine cache
  local name=$1 ver=$2; shift 2
  local dir="$MACHINE_CACHE/$name-$ver" b
  mkdir -p "$dir.partial"
  for b in "$@"; do cp -f "$BIN/$b" "$dir.partial/$b"; done
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# go install MODULE/PATH@VERSION into $BIN
go_tool() { # name version pkg bin
  local name=$1 ver=$2 pkg=$3 bin=$4
  if cached "$name" "$ver" "$bin"; then log "$name $ver cached"; return 0; fi
  log "building $name $ver"
  rm -f "$MARK/$name"-*
  GOBIN="$BIN" go install -p "$GO_P" "$pkg@$ver" || die "go install $pkg@$ver failed"
  set_marker "$name" "$ver"
  remember "$name" "$ver" "$bin"
}

# Kubernetes: wrapper module requiring k8s.io/kubernetes with every staging
# module replaced by its published v0.x version.
build_k8s() {
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  if cached kubernetes "$K8S_VERSION" "${bins[@]}"; then log "kubernetes $K8S_VERSION cached"; return 0; fi
  rm -f "$MARK/kubernetes"-*
  local staging_ver="v0.${K8S_VERSION#v1.}"
  local wrap="$TOOLS/k8s-wrapper-$K8S_VERSION"
  mkdir -p "$wrap"
  local pinned="$HERE/k8s-tools"
  if grep -q "^require k8s.io/kubernetes $K8S_VERSION\$" "$pinned/go.mod" 2>/dev/null; then
    log "kubernetes $K8S_VERSION: using the pinned wrapper module (scripts/stack/k8s-tools)"
    cp "$pinned/go.mod" "$pinned/go.sum" "$pinned/tools.go" "$wrap/"
  else
    gen_k8s_wrapper "$wrap" "$staging_ver"
  fi
  build_k8s_bins "$wrap" "$staging_ver"
}

gen_k8s_wrapper() { # DIR STAGING-VERSION
  local wrap=$1 staging_ver=$2
  log "kubernetes $K8S_VERSION: preparing wrapper module in $wrap (staging $staging_ver)"
  local gomod
  gomod="$(cd "$wrap" && GOFLAGS=-modcacherw go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$K8S_VERSION go.mod"
  local staging
  staging="$(awk '/^replace/{r=1} r && $1 ~ /^k8s.io\// && $2=="=>" && $3 ~ /^\.\/staging/ {print $1}' "$gomod" | sort -u)"
  [[ -n "$staging" ]] || die "no staging modules found in $gomod"
  local gover
  gover="$(awk '/^go /{print $2; exit}' "$gomod")"
  {
    echo "module shipshape.local/k8s-tools"
    echo
    echo "go $gover"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    local m
    for m in $staging; do echo "	$m => $m $staging_ver"; done
    echo ")"
  } >"$wrap/go.mod"
  cat >"$wrap/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  (cd "$wrap" && go mod tidy -e >/dev/null 2>&1 || true)
}

build_k8s_bins() { # DIR STAGING-VERSION
  local wrap=$1 staging_ver=$2
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local t0=$SECONDS b
  for b in "${bins[@]}"; do
    log "go build $b"
    (cd "$wrap" && CGO_ENABLED=0 go build -p "$GO_P" -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${staging_ver#v0.} " \
      -o "$BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b") || die "building $b failed"
    mv -f "$BIN/$b.tmp" "$BIN/$b"
  done
  set_marker kubernetes "$K8S_VERSION"
  remember kubernetes "$K8S_VERSION" "${bins[@]}"
  log "kubernetes binaries built in $((SECONDS - t0)) s"
}

build_kwok() {
  go_tool kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok kwok
  # keep the stage YAMLs from the module dir
  local src="$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  local dst="$TOOLS/kwok-stages"
  if [[ ! -f "$dst/.done-$KWOK_VERSION" ]]; then
    [[ -d "$src" ]] || (cd "$TOOLS" && GOFLAGS=-modcacherw go mod download "sigs.k8s.io/kwok@$KWOK_VERSION")
    rm -rf "$dst"; mkdir -p "$dst"
    cp -r "$src"/. "$dst"/
    chmod -R u+w "$dst"
    touch "$dst/.done-$KWOK_VERSION"
  fi
}

# Argo Rollouts: its go.mod has replace directives, so `go install @v` refuses it. Build
# cmd/rollouts-controller in a writable copy of the module dir, with its metrics and healthz
# servers bound to 127.0.0.1 instead of the hard-coded 0.0.0.0 (controller/controller.go),
# and the kubectl plugin (`kubectl-argo-rollouts status|promote|abort|undo`; its dashboard's
# web assets are not in the module, so it embeds an empty page). The CRDs (manifests/crds)
# are kept next to the binaries for stack.sh.
build_argo_rollouts() {
  local ver=$ARGO_ROLLOUTS_VERSION crds="$TOOLS/argo-rollouts-crds"
  local bins=(rollouts-controller kubectl-argo-rollouts) b
  if cached argo-rollouts "$ver" "${bins[@]}" && [[ -f "$crds/.done-$ver" ]]; then
    log "argo-rollouts $ver cached"; return 0
  fi
  local mod="$GOMODCACHE/github.com/argoproj/argo-rollouts@$ver"
  [[ -d "$mod" ]] || (cd "$TOOLS" && go mod download "github.com/argoproj/argo-rollouts@$ver") ||
    die "go mod download github.com/argoproj/argo-rollouts@$ver failed"
  rm -rf "$crds"; mkdir -p "$crds"
  cp "$mod"/manifests/crds/*-crd.yaml "$crds/"
  chmod -R u+w "$crds"
  touch "$crds/.done-$ver"
  cached argo-rollouts "$ver" "${bins[@]}" && { log "argo-rollouts $ver cached"; return 0; }
  log "building argo-rollouts $ver (${bins[*]})"
  rm -f "$MARK/argo-rollouts"-*
  local src="$TOOLS/argo-rollouts-src-$ver" t0=$SECONDS
  rm -rf "$src"; cp -r "$mod" "$src"; chmod -R u+w "$src"
  sed -i 's|= "0.0.0.0:%d"|= "127.0.0.1:%d"|' "$src/controller/controller.go"
  grep -q '"127.0.0.1:%d"' "$src/controller/controller.go" || die "argo-rollouts: listen address not found to patch"
  mkdir -p "$src/server/static"
  [[ -e "$src/server/static/index.html" ]] || echo '<html><body>dashboard not built</body></html>' >"$src/server/static/index.html"
  for b in "${bins[@]}"; do
    (cd "$src" && CGO_ENABLED=0 go build -p "$GO_P" -trimpath \
      -ldflags "-s -w -X github.com/argoproj/argo-rollouts/utils/version.version=${ver#v}" \
      -o "$BIN/$b.tmp" "./cmd/$b") || die "building $b failed"
    mv -f "$BIN/$b.tmp" "$BIN/$b"
  done
  rm -rf "$src"
  set_marker argo-rollouts "$ver"
  remember argo-rollouts "$ver" "${bins[@]}"
  log "argo-rollouts built in $((SECONDS - t0)) s"
}

build_go_tools() {
  go_tool kine "$KINE_VERSION" github.com/k3s-io/kine kine
  build_kwok
  go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm helm
  go_tool actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint actionlint
  go_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform kubeconform
  go_tool versitygw "$VERSITYGW_VERSION" github.com/versity/versitygw/cmd/versitygw versitygw
  build_argo_rollouts
}

APT_PKGS=(postgresql prometheus prometheus-alertmanager openssl curl)
apt_missing() {
  local p miss=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || miss+=("$p")
  done
  echo "${miss[@]:-}"
}

install_apt() {
  local miss
  miss="$(apt_missing)"
  if [[ -z "${miss// /}" ]]; then log "apt packages present"; return 0; fi
  log "installing apt packages: $miss"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || die "apt-get update failed"
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $miss >/dev/null || die "apt-get install $miss failed"
  # Debian may start system services on install; the stack runs its own instances.
  # Stop only the services of packages installed just now.
  local p
  for p in $miss; do
    case "$p" in
      postgresql|prometheus|prometheus-alertmanager)
        $sudo systemctl stop "$p" >/dev/null 2>&1 || $sudo service "$p" stop >/dev/null 2>&1 || true ;;
    esac
  done
}

check() {
  local ok=0 b
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl kine kwok helm actionlint kubeconform versitygw rollouts-controller kubectl-argo-rollouts; do
    if [[ -x "$BIN/$b" ]]; then echo "ok   $b"; else echo "MISS $b"; ok=1; fi
  done
  for b in promtool prometheus prometheus-alertmanager openssl; do
    if command -v "$b" >/dev/null; then echo "ok   $b"; else echo "MISS $b"; ok=1; fi
  done
  if [[ -x "$(pg_bin)/initdb" ]]; then echo "ok   postgres ($(pg_bin))"; else echo "MISS postgres"; ok=1; fi
  return $ok
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

main() {
  mkdir -p "$BIN" "$MARK" "$LOGDIR"
  command -v go >/dev/null || die "go not found on PATH"
  local what="${1:-all}" t0=$SECONDS
  case "$what" in
    k8s) build_k8s ;;
    go) build_go_tools ;;
    apt) install_apt ;;
    check) check ;;
    all) install_apt; build_go_tools; build_k8s; check >/dev/null || { check; die "some tools missing"; } ;;
    *) die "usage: $0 [all|k8s|go|apt|check]" ;;
  esac
  log "done ($what) in $((SECONDS - t0)) s"
}

main "$@"
