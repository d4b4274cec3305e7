#!/usr/bin/env bash
# Fails when the code generated from plugins/shipshape-backend/src/schema/openapi.yaml is not
# what the committed document gives: regenerates it (scripts/generate-openapi.sh) and compares
# the generated folders with git (changed, deleted or new files).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/generate-openapi.sh
generated=(plugins/shipshape-backend/src/schema/openapi plugins/shipshape-common/src/schema/openapi)
stale=$(git status --porcelain -- "${generated[@]}")
if [[ -n $stale ]]; then
  echo "$stale" >&2
  git --no-pager diff --stat -- "${generated[@]}" >&2
  echo "check-generated: the generated OpenAPI code is stale; run scripts/generate-openapi.sh and commit it" >&2
  exit 1
fi
echo "check-generated: the generated OpenAPI code matches openapi.yaml"
