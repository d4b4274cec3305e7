import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A portal on an unsupported Backstage release installing Shipshape: Yarn itself (the release a
 * create-app portal ships) must say which Shipshape package wants which range of which Backstage
 * package. A stand-in portal, offline: its packages/app and packages/backend list the Backstage
 * packages Shipshape declares as peers at one release's versions (each a folder with only a
 * package.json), and the Shipshape packages with their real peerDependencies (what `yarn pack`
 * publishes: prepack leaves peerDependencies as they are). Nothing else is resolved, so this
 * checks the declared ranges and Yarn's reading of them, not the rest of the dependency graph
 * (the install test does that on a real 1.55 portal).
 */
const ROOT = path.resolve(
  resolvePackagePath('@internal/shipshape-test-utils'),
  '../..',
);
const YARN = path.join(ROOT, '.yarn/releases/yarn-4.13.0.cjs');

/** The published packages, with the part of the portal that installs each (README). */
const SHIPSHAPE = [
  ['plugins/shipshape', 'app'],
  ['plugins/shipshape-common', 'app'],
  ['plugins/shipshape-backend', 'backend'],
  ['plugins/catalog-backend-module-shipshape', 'backend'],
  ['plugins/scaffolder-backend-module-shipshape', 'backend'],
  ['plugins/permission-backend-module-shipshape', 'backend'],
] as const;

/**
 * The versions a portal lists, for each Backstage package a Shipshape package names as a peer:
 * backstage/versions v1/releases/<release>/manifest.json, and the fresh create-app 0.9.2 portal
 * of the install test (its caret ranges resolved on 2026-12-06: the next majors and patches).
 */
const PORTALS: Record<string, Record<string, string>> = {
  '1.54.0': {
    '@backstage/core-plugin-api': '1.12.9',
    '@backstage/frontend-plugin-api': '0.18.0',
    '@backstage/plugin-catalog-backend': '3.9.0',
    '@backstage/plugin-scaffolder-backend': '4.0.3',
    '@backstage/plugin-permission-backend': '0.7.15',
    '@backstage/ui': '0.17.1',
  },
  '1.55.0': {
    '@backstage/core-plugin-api': '1.12.10',
    '@backstage/frontend-plugin-api': '0.18.1',
    '@backstage/plugin-catalog-backend': '4.0.0',
    '@backstage/plugin-scaffolder-backend': '4.2.0',
    '@backstage/plugin-permission-backend': '0.7.16',
    '@backstage/ui': '0.18.0',
  },
  'create-app 0.9.2': {
    '@backstage/core-plugin-api': '1.12.10',
    '@backstage/frontend-plugin-api': '0.18.1',
    '@backstage/plugin-catalog-backend': '4.0.5',
    '@backstage/plugin-scaffolder-backend': '4.3.0',
    '@backstage/plugin-permission-backend': '0.7.18',
    '@backstage/ui': '0.18.0',
  },
};
/** What every portal of these releases has (React 18, React Router 6). */
const REACT = {
  react: '18.3.1',
  'react-dom': '18.3.1',
  'react-router-dom': '6.30.2',
};
const FRONTEND_PEERS = new Set([
  '@backstage/core-plugin-api',
  '@backstage/frontend-plugin-api',
  '@backstage/ui',
  ...Object.keys(REACT),
]);

function readJson(file: string) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function write(file: string, json: object) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

/** Runs `yarn install` in a stand-in portal on the given versions; Yarn's output. */
function installInto(versions: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-peers-'));
  try {
    const stub = (name: string, version: string, extra: object = {}) => {
      const folder = path.join(dir, 'stubs', `${name}-${version}`);
      write(path.join(folder, 'package.json'), { name, version, ...extra });
      return `file:${folder}`;
    };
    const deps: Record<'app' | 'backend', Record<string, string>> = {
      app: {},
      backend: {},
    };
    for (const [name, version] of Object.entries({ ...versions, ...REACT })) {
      deps[FRONTEND_PEERS.has(name) ? 'app' : 'backend'][name] = stub(
        name,
        version,
      );
    }
    for (const [folder, part] of SHIPSHAPE) {
      const pkg = readJson(path.join(ROOT, folder, 'package.json'));
      deps[part][pkg.name] = stub(pkg.name, pkg.version, {
        peerDependencies: pkg.peerDependencies ?? {},
      });
    }
    write(path.join(dir, 'package.json'), {
      name: 'portal',
      private: true,
      workspaces: ['packages/*'],
    });
    for (const part of ['app', 'backend'] as const) {
      write(path.join(dir, 'packages', part, 'package.json'), {
        name: part,
        version: '0.0.0',
        private: true,
        dependencies: deps[part],
      });
    }
    fs.writeFileSync(
      path.join(dir, '.yarnrc.yml'),
      'nodeLinker: node-modules\nenableGlobalCache: false\nenableTelemetry: false\n',
    );
    // only this portal's own settings: none of the repository's or the caller's Yarn variables
    // (a CI run's immutable lockfile among them: this portal has none yet)
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !/^(YARN_|npm_config_|BERRY_)/i.test(k),
      ),
    );
    const run = spawnSync(
      process.execPath,
      [YARN, 'install', '--no-immutable'],
      {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const output = `${run.stdout}${run.stderr}`;
    if (run.status !== 0) {
      throw new Error(`yarn install failed (${run.status}):\n${output}`);
    }
    return output;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Yarn's YN0060 lines: a version the portal lists that a peer range does not accept. */
function incompatiblePeers(output: string): string[] {
  return output
    .split('\n')
    .filter(line => line.includes('YN0060'))
    .map(line =>
      line.replace(/^.*YN0060: [│|]? ?/, '').replace(/ \(p[0-9a-f]+\)/, ''),
    );
}

/** Each Backstage package a Shipshape package names as a peer, with the ranges asked. */
function shipshapePeers(): Map<string, Map<string, string>> {
  const peers = new Map<string, Map<string, string>>();
  for (const [folder] of SHIPSHAPE) {
    const pkg = readJson(path.join(ROOT, folder, 'package.json'));
    for (const [name, range] of Object.entries<string>(
      pkg.peerDependencies ?? {},
    )) {
      if (!name.startsWith('@backstage/')) continue;
      if (!peers.has(name)) peers.set(name, new Map());
      peers.get(name)!.set(pkg.name, range);
    }
  }
  return peers;
}

describe('Shipshape peer ranges read by Yarn 4.13 in a portal', () => {
  it('name the Backstage packages a portal must provide, each at one range', () => {
    const peers = shipshapePeers();
    // the packages whose copy must be the portal's own: the frontend's API and extension
    // contracts, and the backend plugins the modules extend
    expect([...peers.keys()].sort()).toEqual(
      Object.keys(PORTALS['1.55.0']).sort(),
    );
    for (const [name, requesters] of peers) {
      expect(`${name}: ${new Set(requesters.values()).size}`).toBe(
        `${name}: 1`,
      );
    }
  });

  it.each(['1.55.0', 'create-app 0.9.2'])(
    'accept a %s portal without a peer warning',
    release => {
      expect(incompatiblePeers(installInto(PORTALS[release]))).toEqual([]);
    },
  );

  it('refuse a 1.54.0 portal: Yarn names each package, its version and the range asked', () => {
    const lines = incompatiblePeers(installInto(PORTALS['1.54.0']));
    const peers = shipshapePeers();
    expect(lines).toHaveLength(peers.size);
    for (const [name, requesters] of peers) {
      const [requester, range] = [...requesters][0];
      const version = PORTALS['1.54.0'][name];
      const others = requesters.size > 1 ? ' and other dependencies' : '';
      const requested = [...requesters.keys()].map(r => `${r}${others}`);
      // e.g. "@backstage/core-plugin-api is listed by your project with version 1.12.9, which
      // doesn't satisfy what @shipshape/plugin-shipshape requests (^1.12.10)."
      const line = lines.find(l => l.startsWith(`${name} is listed`));
      expect(line).toBeDefined();
      expect(line).toContain(`with version ${version},`);
      expect(requested.some(r => line!.includes(`what ${r} request`))).toBe(
        true,
      );
      // Yarn prints ^0.x.y as ~0.x.y, the same range
      expect(line).toContain(`(${range.replace(/\^0\./g, '~0.')})`);
      expect(requester).toMatch(/^@shipshape\//);
    }
  });
});
