#!/usr/bin/env bash
# Shared by ./run and scripts/test.sh: installing what is missing, safely and idempotently.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

die() { echo "shipshape: $*" >&2; exit 1; }

# Debian packages; apt-get update only when something is missing.
ensure_debs() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]} (no apt-get here; install them and run again)"
  echo "shipshape: installing Debian packages: ${missing[*]}"
  local sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/shipshape-apt.log 2>&1; then
    tail -n 5 /tmp/shipshape-apt.log >&2
    die "could not install ${missing[*]} with apt-get (see /tmp/shipshape-apt.log); check the network to the Debian mirror and run again"
  fi
}

# Node 22 + Yarn 4 + node_modules; `yarn install` runs only when a manifest or the lockfile changed.
ensure_node_modules() {
  ensure_debs python3 make g++ git pkg-config libsecret-1-dev
  # shellcheck source=toolchain.sh
  source "$ROOT/scripts/toolchain.sh"
  cd "$ROOT"
  local stamp=node_modules/.shipshape-install-stamp want
  want=$( (cat yarn.lock package.json packages/*/package.json plugins/*/package.json; node --version) | sha256sum | cut -c1-16)
  [[ -f $stamp && $(cat "$stamp") == "$want" ]] && return 0
  echo "shipshape: yarn install (Node $(node --version))"
  if ! yarn install --immutable >/tmp/shipshape-yarn.log 2>&1; then
    grep -E 'YN0001|YN0009|YN0018|YN0028|YN0035|YN0082' /tmp/shipshape-yarn.log | head -n 10 >&2 || tail -n 10 /tmp/shipshape-yarn.log >&2
    die "yarn install failed (full log: /tmp/shipshape-yarn.log); if it says 'No candidates found', run ../shared/tools/pin-mirror-gaps and commit package.json and yarn.lock"
  fi
  echo "$want" >"$stamp"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_ports_free() {
  local port
  for port in "$@"; do
    port_free "$port" || die "port $port on 127.0.0.1 is already in use (another portal running? see: ss -ltnp 'sport = :$port'); stop it and run again"
  done
}

wait_for_http() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}
