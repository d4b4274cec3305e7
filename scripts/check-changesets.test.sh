#!/usr/bin/env bash
# scripts/check-changesets.mjs on a throwaway git repository with two published packages, a
# private one and the templates: each case is a commit (or a pending changeset) and the exit
# status and message the check must give. Prints "N passed, N failed" last.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check=$here/check-changesets.mjs
repo=$(mktemp -d /tmp/check-changesets.XXXXXX)
trap 'rm -rf "$repo" "$repo.shallow" "$repo.release"' EXIT
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
g() { git -C "$repo" "$@" >/dev/null; }
put() { mkdir -p "$(dirname "$repo/$1")"; printf '%s\n' "$2" >"$repo/$1"; }
commit() { g add -A && g commit -q -m "$1"; }
passed=0 failed=0
expect() { # name, ok|fail, pattern the output must hold ('' for any)
  local out rc
  out=$(node "$check" "$repo" 2>&1); rc=$?
  local want=1; [[ $2 == ok ]] && want=0
  if ((rc == want)) && grep -qF -- "$3" <<<"$out"; then
    passed=$((passed + 1)); echo "ok   $1"
  else
    failed=$((failed + 1)); echo "FAIL $1 (exit $rc, expected $2 with: $3)"; echo "${out//$'\n'/$'\n'       }"
  fi
}

g init -q -b main
put plugins/a/package.json '{ "name": "@shipshape/plugin-a", "version": "0.1.0", "files": ["dist", "config.d.ts"] }'
put plugins/a/src/index.ts 'export const a = 1;'
put plugins/b/package.json '{ "name": "@shipshape/plugin-b", "version": "0.1.0", "files": ["dist"] }'
put plugins/b/src/index.ts 'export const b = 1;'
put plugins/internal/package.json '{ "name": "@internal/x", "version": "0.0.0", "private": true }'
put templates/package.json '{ "name": "@shipshape/templates", "version": "0.1.0", "files": ["templates.yaml", "svc"] }'
put templates/svc/template.yaml 'kind: Template'
put templates/CHANGELOG.md $'# @shipshape/templates\n\n## 0.1.0\n\n- First.'
put .changeset/README.md '# Changesets'
commit 'versions 0.1.0'
expect 'nothing changed since the versions were set' ok 'changesets: ok (0 pending, 3 published packages'

put plugins/a/src/index.test.ts 'test'
put plugins/a/src/__testUtils__/fake.ts 'x'
put plugins/a/README.md 'docs'
put plugins/a/CHANGELOG.md 'log'
put plugins/a/.eslintrc.js 'lint'
put plugins/internal/src/x.ts 'x'
put templates/scripts/render.sh 'checks'
commit 'tests, docs, lint config, a private package, the templates checks'
expect 'tests, docs, CHANGELOG, lint config, private package and templates/scripts need no note' ok 'changesets: ok'

put plugins/a/src/index.ts 'export const a = 2;'
commit 'change a'
set_at=$(git -C "$repo" rev-list --max-parents=0 HEAD | cut -c1-7) # the commit that set 0.1.0
expect 'a changed source file without a changeset: names the commit that set the version' fail \
  "@shipshape/plugin-a (plugins/a) changed since its version 0.1.0 was set (commit $set_at)"
expect '... names the file and asks for a changeset' fail 'plugins/a/src/index.ts; no pending .changeset/*.md names it'

put .changeset/a.md $'---\n\'@shipshape/plugin-b\': patch\n---\n\nb'
expect 'a changeset naming another package does not count' fail '@shipshape/plugin-a (plugins/a) changed'
put .changeset/a.md $'---\n\'@shipshape/plugin-a\': patch\n---\n\nA is 2.'
expect 'a changeset naming it' ok 'changesets: ok (1 pending'

put .changeset/bad.md $'---\n"@shipshape/plugin-a": minor\n\'@shipshape/nope\': patch\n---\n\nx'
expect 'an unknown package: file and line' fail '.changeset/bad.md:3: unknown package @shipshape/nope; published packages: @shipshape/plugin-a, @shipshape/plugin-b'
put .changeset/bad.md $'---\n\'@internal/x\': patch\n---\n\nx'
expect 'a private package is not a published one' fail '.changeset/bad.md:2: unknown package @internal/x'
put .changeset/bad.md $'---\n\'@shipshape/plugin-a\': huge\n---\n\nx'
expect 'a bad bump type: file, line, the three allowed' fail ".changeset/bad.md:2: bump 'huge' for @shipshape/plugin-a is not patch, minor, major"
put .changeset/bad.md $'---\n\'@shipshape/plugin-a\':\n---\n\nx'
expect 'a missing bump type' fail ".changeset/bad.md:2: bump '' for @shipshape/plugin-a"
put .changeset/bad.md $'\'@shipshape/plugin-a\': patch\n\nx'
expect 'no frontmatter' fail '.changeset/bad.md:1: no frontmatter'
put .changeset/bad.md $'---\n\'@shipshape/plugin-a\': patch\n\nx'
expect 'a frontmatter never closed' fail '.changeset/bad.md:1: the frontmatter is never closed'
put .changeset/bad.md $'---\nplugin a is patched\n---\n\nx'
expect 'a line that is not package: bump' fail ".changeset/bad.md:2: not a '<package>': <bump> line: plugin a is patched"
put .changeset/bad.md $'---\n\'@shipshape/plugin-a\': major\n---\n'
expect 'no summary' fail '.changeset/bad.md:4: no summary after the frontmatter'
put .changeset/bad.md $'---\n\'@shipshape/templates\': patch\n---\n\nx'
expect 'the templates in a changeset: refused, says where their note goes' fail '.changeset/bad.md:2: @shipshape/templates is not a workspace, and the changesets CLI fails on a changeset naming it ("not in the workspace"); the templates are versioned by hand: write the change under "## Unreleased" in templates/CHANGELOG.md'
rm "$repo/.changeset/bad.md"

put templates/svc/template.yaml 'kind: Template # changed'
commit 'change the templates'
expect 'the templates changed without an Unreleased note' fail '@shipshape/templates (templates) changed since its version 0.1.0 was set'
put templates/CHANGELOG.md $'# @shipshape/templates\n\n## Unreleased\n\n## 0.1.0\n\n- First.'
expect 'an empty Unreleased section is no note' fail 'write the change under "## Unreleased" in templates/CHANGELOG.md'
put templates/CHANGELOG.md $'# @shipshape/templates\n\n## Unreleased\n\n- The template changed.\n\n## 0.1.0\n\n- First.'
expect 'an Unreleased line in templates/CHANGELOG.md' ok 'changesets: ok'
commit 'note'

# a release: versions bumped, changesets consumed; then only later changes count
rm "$repo/.changeset/a.md"
put plugins/a/package.json '{ "name": "@shipshape/plugin-a", "version": "0.1.1", "files": ["dist", "config.d.ts"] }'
put templates/package.json '{ "name": "@shipshape/templates", "version": "0.1.1", "files": ["templates.yaml", "svc"] }'
put templates/CHANGELOG.md $'# @shipshape/templates\n\n## 0.1.1\n\n- The template changed.\n\n## 0.1.0\n\n- First.'
commit 'release'
expect 'after the release commit nothing is pending' ok 'changesets: ok (0 pending'
put plugins/a/package.json '{ "name": "@shipshape/plugin-a", "version": "0.1.1", "files": ["dist", "config.d.ts"], "dependencies": {} }'
commit 'a dependency change'
expect 'a package.json change other than the version counts' fail 'plugins/a/package.json; no pending'
put plugins/a/config.d.ts 'export interface Config {}'
commit 'a config schema (a files entry)'
expect 'a files entry outside src counts' fail 'plugins/a/config.d.ts'

rm -rf "$repo.shallow"
git clone -q --depth 1 "file://$repo" "$repo.shallow" 2>/dev/null
out=$(node "$check" "$repo.shallow" 2>&1)
if (($? == 1)) && grep -qF 'is a shallow clone' <<<"$out" && grep -qF 'git fetch --unshallow' <<<"$out"; then
  passed=$((passed + 1)); echo "ok   a shallow clone is refused with the fix"
else
  failed=$((failed + 1)); echo "FAIL a shallow clone is refused with the fix"; echo "$out"
fi

# The release itself, on this repository: `changeset version` (the root's devDependency
# @changesets/cli, with .changeset/config.json's changelog) in a clone of HEAD given one more
# changeset bumps the packages it names and writes their CHANGELOG entries, consumes every
# pending changeset, and leaves the real tree as it was.
bumped='
  const fs = require("fs");
  const [dir, old, bump] = process.argv.slice(1);
  const now = require(`${process.cwd()}/${dir}/package.json`).version;
  const [a, b] = [old, now].map(v => v.split(".").map(Number));
  if ((a[0] - b[0] || a[1] - b[1] || a[2] - b[2]) >= 0)
    throw new Error(`${dir}: version ${old} -> ${now}, not bumped`);
  if (bump === "minor" && a[0] === b[0] && a[1] === b[1])
    throw new Error(`${dir}: ${old} -> ${now}, a minor changeset gave only a patch`);
  const section = fs.readFileSync(`${dir}/CHANGELOG.md`, "utf8").split(/^## /m)[1] ?? "";
  if (!section.startsWith(`${now}\n`))
    throw new Error(`${dir}: CHANGELOG.md does not open with ## ${now}`);
  if (!section.includes("Release rehearsal note."))
    throw new Error(`${dir}: CHANGELOG.md ## ${now} lacks the changeset note`);
  console.log(`${dir} ${old} -> ${now}`);'
release() {
  local root bin before clone=$repo.release common=plugins/shipshape-common
  local perm=plugins/permission-backend-module-shipshape v_common v_perm left
  root=$(cd "$here/.." && pwd)
  bin=$root/node_modules/@changesets/cli/bin.js
  [[ -f $bin ]] || { echo "@changesets/cli is not installed (root devDependency): run yarn install"; return 1; }
  before=$(cd "$root" && cat plugins/*/package.json plugins/*/CHANGELOG.md .changeset/* | sha256sum)
  git clone -q "file://$root" "$clone" && ln -s "$root/node_modules" "$clone/node_modules" || return 1
  v_common=$(node -p "require('$clone/$common/package.json').version")
  v_perm=$(node -p "require('$clone/$perm/package.json').version")
  printf '%s\n' --- "'@shipshape/plugin-shipshape-common': patch" \
    "'@shipshape/plugin-permission-backend-module-shipshape': minor" --- '' \
    'Release rehearsal note.' >"$clone/.changeset/release-rehearsal.md"
  (cd "$clone" && node "$bin" version) || { echo "changeset version failed"; return 1; }
  (cd "$clone" && node -e "$bumped" "$common" "$v_common" patch && node -e "$bumped" "$perm" "$v_perm" minor) || return 1
  left=$(cd "$clone/.changeset" && ls | grep -vxE 'README.md|config.json')
  [[ -z $left ]] || { echo "pending changesets left after changeset version: $left"; return 1; }
  [[ $(cd "$root" && cat plugins/*/package.json plugins/*/CHANGELOG.md .changeset/* | sha256sum) == "$before" ]] ||
    { echo "the real tree's versions, CHANGELOGs or changesets changed"; return 1; }
}
out=$(release 2>&1)
if (($? == 0)); then
  passed=$((passed + 1)); echo "ok   changeset version in a clone of HEAD bumps the named packages and writes their CHANGELOGs"
else
  failed=$((failed + 1)); echo "FAIL changeset version in a clone of HEAD bumps the named packages and writes their CHANGELOGs"; echo "$out"
fi

echo "$passed passed, $failed failed"
((failed == 0))
