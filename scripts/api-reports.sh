#!/usr/bin/env bash
# The API reports of every published package (plugins/*/report*.api.md, made by API Extractor
# through `backstage-repo-tools api-reports`, with the flags Backstage's own repository uses).
#   scripts/api-reports.sh        regenerate them (commit the changed reports with the API change)
#   scripts/api-reports.sh --ci   fail when a report is not what the code's exports give
# Reads the declarations in dist-types/: runs `yarn tsc` first when they are missing (CI runs
# it in its tsc stage before this).
# A warning fails every package: an export without a release tag (@public, @alpha, ...), or an
# export whose type names a symbol the entry point does not export (give a legacy component
# extension a type, `() => JSX.Element`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh >/dev/null
packages=()
for p in plugins/*/package.json; do
  node -e 'process.exit(require("./" + process.argv[1]).private ? 1 : 0)' "$p" && packages+=("${p%/package.json}")
done
[[ -d dist-types/plugins ]] || yarn tsc
mode=() done=written
[[ ${1:-} == --ci ]] && mode=(--ci) done=checked
if yarn backstage-repo-tools api-reports "${mode[@]}" \
  -o ae-undocumented,ae-wrong-input-file-type --validate-release-tags "${packages[@]}"; then
  echo "api-reports: ${#packages[@]} packages, reports $done"
else
  [[ ${1:-} == --ci ]] && echo "api-reports: a package's public API changed without its report; run scripts/api-reports.sh and commit plugins/*/report*.api.md" >&2
  exit 1
fi
