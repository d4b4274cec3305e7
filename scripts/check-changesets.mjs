#!/usr/bin/env node
// Every change to a published package comes with a note for its next release.
//   node scripts/check-changesets.mjs [repository-root]   (default: this repository)
// 1. Each pending .changeset/*.md (README.md aside) has a frontmatter of `'<package>': <bump>`
//    lines naming published workspaces (plugins/*, not private) with patch, minor or major,
//    and a summary; each problem is one line naming the file and line.
// 2. A published package whose shipped files (package.json, LICENSE, src/ and its `files`;
//    not tests, not Markdown) changed after the last commit that set its version needs a
//    pending changeset naming it. @shipshape/templates is not a workspace (the changesets CLI
//    refuses a changeset naming it: "not in the workspace"); it is versioned by hand, so its
//    note is a "## Unreleased" section with at least one line in templates/CHANGELOG.md.
// Reads git history (a full clone: CI's is; a shallow one is refused with the fix).
// Exit status 1 and one line per problem; "changesets: ok ..." otherwise.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(
  process.argv[2] ??
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..'),
);
const git = (...args) =>
  execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const readJson = file =>
  JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const BUMPS = ['patch', 'minor', 'major'];
const TEMPLATES = 'templates';
const problems = [];

// the published packages: plugins/* workspaces that are not private, and the templates
const packages = fs
  .readdirSync(path.join(root, 'plugins'), { withFileTypes: true })
  .filter(
    d =>
      d.isDirectory() &&
      fs.existsSync(path.join(root, 'plugins', d.name, 'package.json')),
  )
  .map(d => `plugins/${d.name}`)
  .concat(
    fs.existsSync(path.join(root, TEMPLATES, 'package.json'))
      ? [TEMPLATES]
      : [],
  )
  .map(dir => ({ dir, json: readJson(`${dir}/package.json`) }))
  .filter(p => !p.json.private)
  .map(p => ({
    dir: p.dir,
    name: p.json.name,
    version: p.json.version,
    files: p.json.files ?? [],
  }));
const workspaceNames = new Set(
  packages.filter(p => p.dir !== TEMPLATES).map(p => p.name),
);
const templatesName = packages.find(p => p.dir === TEMPLATES)?.name;

// ---- 1. the pending changesets ----
const named = new Set();
const changesetDir = path.join(root, '.changeset');
const changesets = fs.existsSync(changesetDir)
  ? fs
      .readdirSync(changesetDir)
      .filter(f => f.endsWith('.md') && f !== 'README.md')
      .sort()
  : [];
for (const file of changesets) {
  const rel = `.changeset/${file}`;
  const lines = fs
    .readFileSync(path.join(changesetDir, file), 'utf8')
    .split('\n');
  if (lines[0].trim() !== '---') {
    problems.push(
      `${rel}:1: no frontmatter: the file starts with a line '---', then one '<package>': <bump> line per package, then '---'`,
    );
    continue;
  }
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end < 0) {
    problems.push(
      `${rel}:1: the frontmatter is never closed (no second '---' line)`,
    );
    continue;
  }
  for (let i = 1; i < end; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const m = line.match(/^\s*(['"]?)([^'":\s]+)\1\s*:\s*(\S*)\s*$/);
    if (!m) {
      problems.push(
        `${rel}:${i + 1}: not a '<package>': <bump> line: ${line.trim()}`,
      );
      continue;
    }
    const [, , name, bump] = m;
    if (name === templatesName) {
      problems.push(
        `${rel}:${
          i + 1
        }: ${name} is not a workspace, and the changesets CLI fails on a changeset naming it ("not in the workspace"); the templates are versioned by hand: write the change under "## Unreleased" in ${TEMPLATES}/CHANGELOG.md`,
      );
    } else if (!workspaceNames.has(name)) {
      problems.push(
        `${rel}:${i + 1}: unknown package ${name}; published packages: ${[
          ...workspaceNames,
        ].join(', ')}`,
      );
    } else {
      named.add(name);
    }
    if (!BUMPS.includes(bump)) {
      problems.push(
        `${rel}:${i + 1}: bump '${bump}' for ${name} is not ${BUMPS.join(
          ', ',
        )}`,
      );
    }
  }
  if (!lines.slice(end + 1).some(l => l.trim())) {
    problems.push(
      `${rel}:${
        end + 2
      }: no summary after the frontmatter (the line for the CHANGELOG)`,
    );
  }
}

// ---- 2. changed packages without a note ----
if (git('rev-parse', '--is-shallow-repository').trim() === 'true') {
  problems.push(
    `${root} is a shallow clone: the commits that set each version are not all there; run git fetch --unshallow`,
  );
} else {
  const versionAt = (commit, file) => {
    try {
      return JSON.parse(git('show', `${commit}:${file}`)).version;
    } catch {
      return undefined;
    }
  };
  const shipped = (pkg, file) => {
    const rel = file.slice(pkg.dir.length + 1);
    const base = path.posix.basename(rel);
    if (
      /\.md$/i.test(base) ||
      /\.test\.[cm]?[jt]sx?$/.test(base) ||
      base.startsWith('setupTests.')
    )
      return false;
    if (/(^|\/)(__testUtils__|__fixtures__|__mocks__)\//.test(rel))
      return false;
    const top = rel.split('/')[0];
    return (
      ['package.json', 'LICENSE', 'src'].includes(top) ||
      pkg.files.includes(top)
    );
  };
  const templatesUnreleased = () => {
    const log = path.join(root, TEMPLATES, 'CHANGELOG.md');
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    const m = text.match(
      /^## Unreleased[ \t]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m,
    );
    return Boolean(m && m[1].trim());
  };
  for (const pkg of packages) {
    const manifest = `${pkg.dir}/package.json`;
    // the newest commit whose package.json has another version than its parent's (or is the first)
    const candidates = git(
      'log',
      '--format=%H',
      '-G',
      '"version"',
      '--',
      manifest,
    )
      .split('\n')
      .filter(Boolean);
    const setAt = candidates.find(
      c => versionAt(c, manifest) !== versionAt(`${c}^`, manifest),
    );
    if (!setAt) {
      problems.push(`${manifest}: no commit in the history sets its version`);
      continue;
    }
    const changed = git('diff', '--name-only', setAt, 'HEAD', '--', pkg.dir)
      .split('\n')
      .filter(f => f && shipped(pkg, f));
    if (!changed.length) continue;
    const noted =
      pkg.dir === TEMPLATES ? templatesUnreleased() : named.has(pkg.name);
    if (noted) continue;
    const list = `${changed.slice(0, 3).join(', ')}${
      changed.length > 3 ? ` and ${changed.length - 3} more` : ''
    }`;
    problems.push(
      `${pkg.name} (${pkg.dir}) changed since its version ${
        pkg.version
      } was set (commit ${setAt.slice(0, 7)}): ${list}; ${
        pkg.dir === TEMPLATES
          ? `write the change under "## Unreleased" in ${TEMPLATES}/CHANGELOG.md (the templates are versioned by hand)`
          : 'no pending .changeset/*.md names it: add one (.changeset/README.md)'
      }`,
    );
  }
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(
  `changesets: ok (${changesets.length} pending, ${packages.length} published packages checked)`,
);
