#!/usr/bin/env bash
# Regenerates what is made from plugins/shipshape-backend/src/schema/openapi.yaml, the one source
# of the HTTP contract, with Backstage's repo tools:
#   - the server's typed router and models: plugins/shipshape-backend/src/schema/openapi/generated
#   - the client and models the frontend plugin and the scaffolder module share:
#     plugins/shipshape-common/src/schema/openapi/generated
# repo-tools runs openapi-generator (Java); its JAR comes from Maven Central through mvn, at the
# version repo-tools pins, into the folder where @openapitools/openapi-generator-cli looks for it
# (the CLI's own download host is not reachable here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh

command -v java >/dev/null || { echo "generate-openapi: java is needed (apt-get install -y default-jre-headless)" >&2; exit 1; }
version=$(node -p "require('./node_modules/@backstage/repo-tools/openapitools.json')['generator-cli'].version")
jar=node_modules/@openapitools/openapi-generator-cli/versions/$version.jar
if [[ ! -s $jar ]]; then
  command -v mvn >/dev/null || { echo "generate-openapi: mvn is needed to fetch openapi-generator-cli $version (apt-get install -y maven)" >&2; exit 1; }
  mvn -q -B dependency:get -Dartifact="org.openapitools:openapi-generator-cli:$version" -Dtransitive=false
  repo=$(mvn -q -B help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g')
  [[ -d $repo ]] || repo=$HOME/.m2/repository
  mkdir -p "$(dirname "$jar")"
  cp "$repo/org/openapitools/openapi-generator-cli/$version/openapi-generator-cli-$version.jar" "$jar"
fi

cd plugins/shipshape-backend
# repo-tools reports a failed generation but exits 0: check that each step says it generated
out=$(yarn run -T backstage-repo-tools package schema openapi generate --server --client-package plugins/shipshape-common 2>&1) || { echo "$out" >&2; exit 1; }
if ! grep -q 'Generated server files' <<<"$out" || ! grep -q 'Generated client in' <<<"$out"; then
  echo "$out" >&2
  echo "generate-openapi: generation failed" >&2
  exit 1
fi
echo "generate-openapi: regenerated from plugins/shipshape-backend/src/schema/openapi.yaml (openapi-generator $version)"
