#!/usr/bin/env bash
# Every check, from nothing: toolchain, packages, tsc, lint, unit tests (SQLite and a real
# PostgreSQL), the local stack's smoke tests, and the browser tests against the built portal.
# Prints the time of each stage and ends with "N passed, N failed" summed over all runners.
#   scripts/test.sh [--skip-e2e] [--skip-stack]
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source "$ROOT/scripts/lib.sh"

SKIP_E2E=0 SKIP_STACK=0
for arg in "$@"; do
  case $arg in
    --skip-e2e) SKIP_E2E=1 ;;
    --skip-stack) SKIP_STACK=1 ;;
    *) die "unknown option $arg (use --skip-e2e, --skip-stack)" ;;
  esac
done

RESULTS=$ROOT/test-results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
PASSED=0 FAILED=0 SKIPPED=0
TIMES=()

# stage NAME FUNCTION: runs it, records its duration; the function adds to the counts.
stage() {
  local name=$1 start=$SECONDS
  echo "=== $name"
  "$2"
  TIMES+=("$(printf '%-10s %4ds' "$name" $((SECONDS - start)))")
}

# A check that is one command: 1 passed or 1 failed.
count_command() {
  if "$@"; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); echo "FAILED: $*"; fi
}

# Adds the counts of a Jest --json report.
count_jest() {
  local file=$1
  if [[ ! -s $file ]]; then FAILED=$((FAILED + 1)); echo "no Jest report at $file"; return; fi
  read -r p f s < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites, r.numPendingTests + r.numTodoTests)' "$file")
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
}

# Adds the counts of a "N passed, N failed" line printed by a script.
count_summary_line() {
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
  if [[ -z $line ]]; then FAILED=$((FAILED + 1)); echo "no summary line in $1"; return; fi
  PASSED=$((PASSED + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")))
  FAILED=$((FAILED + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")))
}

setup() {
  ensure_debs postgresql chromium fonts-liberation curl
  ( ensure_node_modules ) || { FAILED=$((FAILED + 1)); echo "setup failed: nothing else can run"; summary; }
  source "$ROOT/scripts/toolchain.sh"
}

# tsc, then the API reports of the published packages against what tsc just declared.
typecheck() {
  count_command yarn tsc
  count_command bash "$ROOT/scripts/api-reports.sh" --ci
}

# The workspaces, then bench/ and e2e/ (no workspaces; their .eslintrc.js lint them as Node
# libraries), then that every browser test which opens a page audits it (scripts/check-e2e-audits.mjs),
# then the formatting of code and docs (YAML and the Nunjucks skeletons are left as written),
# then that the code generated from openapi.yaml (server router, client, models) is fresh,
# then the changesets (scripts/check-changesets.mjs and its own test).
lint() {
  count_command yarn backstage-cli repo lint
  count_command "$ROOT/node_modules/.bin/eslint" bench e2e
  count_command node "$ROOT/scripts/check-e2e-audits.mjs"
  count_command "$ROOT/node_modules/.bin/prettier" --check --loglevel warn '**/*.{ts,tsx,md}'
  count_command bash "$ROOT/scripts/check-generated.sh"
  # every published package changed since its version was set has a pending changeset (.changeset/README.md)
  count_command node "$ROOT/scripts/check-changesets.mjs"
  bash "$ROOT/scripts/check-changesets.test.sh" >"$RESULTS/check-changesets.log" 2>&1
  grep -v '^ok ' "$RESULTS/check-changesets.log"
  count_summary_line "$RESULTS/check-changesets.log"
}

unit() {
  local pg
  if pg=$("$ROOT/scripts/test-postgres.sh" up); then
    export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING=$pg
  else
    FAILED=$((FAILED + 1)); echo "the test PostgreSQL did not start: PostgreSQL tests will not run"
  fi
  export BACKSTAGE_TEST_DISABLE_DOCKER=1
  CI=true yarn backstage-cli repo test --json --outputFile="$RESULTS/jest.json" 2>&1 | tee "$RESULTS/jest.log" | grep -E '^(PASS|FAIL)|●|Tests:' || true
  count_jest "$RESULTS/jest.json"
}

STACK_STARTED_HERE=0
stack() {
  scripts/stack/stack.sh status >/dev/null 2>&1 || STACK_STARTED_HERE=1
  scripts/stack/stack.sh up 2>&1 | tee "$RESULTS/stack-up.log" | tail -n 20
  scripts/stack/smoke.sh 2>&1 | tee "$RESULTS/stack-smoke.log" | tail -n 30
  count_summary_line "$RESULTS/stack-smoke.log"
}

# Every golden-path template rendered with every parameter set, each output checked by the
# real tools (helm, kubeconform, kubectl --dry-run=server, actionlint, promtool, its own tests).
templates() {
  templates/scripts/render-all.sh 2>&1 | tee "$RESULTS/templates.log" | grep -vE '^\s*(ok|PASS)\b' | tail -n 40
  count_summary_line "$RESULTS/templates.log"
}

# Every route of the backend's OpenAPI document driven with malformed and boundary inputs
# against the real backend (scripts/fuzz.sh, docs/operations.md#fuzzing); fails on any 5xx.
fuzz() {
  "$ROOT/scripts/fuzz.sh" 2>&1 | tee "$RESULTS/fuzz.log" | tail -n 40
  count_summary_line "$RESULTS/fuzz.log"
}

e2e() {
  "$ROOT/scripts/e2e.sh" 2>&1 | tee "$RESULTS/e2e.log" | tail -n 40
  count_summary_line "$RESULTS/e2e.log"
}

# Shipshape installed from its packages into a fresh create-app portal by the README's own
# commands, started, and looked at in Chromium (scripts/install-test.sh, docs/install.md).
install_test() {
  SHIPSHAPE_REQUIRE_STACK=$((1 - SKIP_STACK)) "$ROOT/scripts/install-test.sh" 2>&1 | tee "$RESULTS/install.log" | tail -n 40
  count_summary_line "$RESULTS/install.log"
}

# The failed Jest tests again, each with the head of its message: a CI log is often read
# only at its end, where the stage's own output has long scrolled away.
jest_failures() {
  [[ -s $RESULTS/jest.json ]] || return 0
  node -e '
    const r = require(process.argv[1]);
    const plain = s => s.replace(/\x1b\[[0-9;]*m/g, "");
    for (const f of r.testResults) {
      if (f.status === "failed" && !f.assertionResults.some(a => a.status === "failed"))
        console.log(`\n--- ${f.name}\n${plain(f.message).split("\n").filter(l => !/^\s+at /.test(l)).slice(0, 30).join("\n")}`);
      for (const a of f.assertionResults.filter(a => a.status === "failed"))
        console.log(`\n--- ${f.name}\n    ${a.fullName}\n${plain(a.failureMessages.join("\n")).split("\n").filter(l => !/^\s+at /.test(l)).slice(0, 30).join("\n")}`);
    }' "$RESULTS/jest.json" | head -n 400
}

summary() {
  "$ROOT/scripts/test-postgres.sh" down || true
  local failures; failures=$(jest_failures)
  [[ -z $failures ]] || printf '\n=== failed Jest tests%s\n' "$failures"
  # Leave the machine as we found it: stop the stack if this run started it.
  ((STACK_STARTED_HERE)) && { scripts/stack/stack.sh down >/dev/null 2>&1 || true; }
  echo
  echo "=== stage times"
  printf '%s\n' "${TIMES[@]}"
  echo "${PASSED} passed, ${FAILED} failed, ${SKIPPED} skipped"
  [[ $FAILED == 0 ]] && exit 0 || exit 1
}

stage setup setup
stage tsc typecheck
stage lint lint
# The stack first: backend tests talk to its real Kubernetes, Prometheus, PostgreSQL and S3.
((SKIP_STACK)) || stage stack stack
stage unit unit
((SKIP_STACK)) || stage templates templates
stage fuzz fuzz
((SKIP_E2E)) || stage e2e e2e
((SKIP_E2E)) || stage install install_test
summary
