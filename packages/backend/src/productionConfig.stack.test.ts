/*
 * The real backend started as the production image starts it (NODE_ENV=production,
 * app-config.yaml + app-config.production.yaml, PostgreSQL from POSTGRES_*, the repository
 * root as working directory), on the test PostgreSQL. Only the listener (127.0.0.1, a free
 * port), the database name prefix and a static token for the checks are added.
 */
import { ChildProcess, spawn } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING';
const TOKEN = crypto.randomBytes(24).toString('hex');

jest.setTimeout(300_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('the backend with the production configs', () => {
  let backend: ChildProcess | undefined;
  let base = '';
  let log = '';

  const get = (p: string, auth = true) =>
    fetch(`${base}${p}`, {
      headers: auth ? { Authorization: `Bearer ${TOKEN}` } : {},
    });

  beforeAll(async () => {
    const pg = process.env[PG_ENV];
    if (!pg) {
      throw new Error(
        `${PG_ENV} is not set: start the test PostgreSQL with scripts/test-postgres.sh up and export its connection string (scripts/test.sh does)`,
      );
    }
    const url = new URL(pg);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-prod-'));
    const overrides = path.join(dir, 'test.yaml');
    fs.writeFileSync(
      overrides,
      JSON.stringify({
        app: { baseUrl: base },
        backend: {
          baseUrl: base,
          listen: { host: '127.0.0.1', port },
          database: { prefix: 'shipshape_production_test_' },
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token: TOKEN, subject: 'production-config-test' },
              },
            ],
          },
        },
      }),
    );
    const transform = require.resolve(
      '@backstage/cli-node/config/nodeTransform.cjs',
    );
    // The image's CMD, from source: node packages/backend --config ... --config ...
    backend = spawn(
      process.execPath,
      [
        '--require',
        transform,
        'packages/backend/src/index.ts',
        ...['app-config.yaml', 'app-config.production.yaml', overrides].flatMap(
          c => ['--config', c],
        ),
      ],
      {
        cwd: ROOT,
        detached: true,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'production',
          POSTGRES_HOST: url.hostname,
          POSTGRES_PORT: url.port || '5432',
          POSTGRES_USER: decodeURIComponent(url.username),
          POSTGRES_PASSWORD: decodeURIComponent(url.password),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    backend.stdout!.on('data', d => (log += d));
    backend.stderr!.on('data', d => (log += d));
    const deadline = Date.now() + 240_000;
    for (;;) {
      // A failed service factory is an unhandled rejection: the process keeps running.
      if (backend.exitCode !== null || /Unhandled rejection/.test(log)) {
        throw new Error(
          `the backend did not start (exit code ${
            backend.exitCode
          }):\n${log.slice(-4000)}`,
        );
      }
      const ready = await get('/.backstage/health/v1/readiness', false).catch(
        () => undefined,
      );
      if (ready?.ok) break;
      if (Date.now() > deadline) {
        throw new Error(
          `the backend was not ready within 240 s:\n${log.slice(-4000)}`,
        );
      }
      await new Promise(r => setTimeout(r, 1000));
    }
  });

  afterAll(async () => {
    if (backend?.pid && backend.exitCode === null) {
      const exited = new Promise(r => backend!.once('exit', r));
      process.kill(-backend.pid, 'SIGTERM');
      await exited;
    }
  });

  it('has no guest sign-in', async () => {
    const res = await get('/api/auth/guest/refresh?optional&env=production');
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toBe(
      "No auth provider registered for 'guest'",
    );
  });

  it('has no /local-repos route (no unauthenticated access, and not found with a token)', async () => {
    const p = '/api/shipshape/local-repos/payments-api/catalog-info.yaml';
    expect((await get(p, false)).status).toBe(401);
    expect((await get(p)).status).toBe(404);
  });

  it('registers the golden-path templates from files that exist', async () => {
    const want = [
      'shipshape-backup-database',
      'shipshape-deploy-service',
      'shipshape-node-service',
      'shipshape-python-service',
    ];
    let names: string[] = [];
    for (let i = 0; i < 60 && names.length < want.length; i++) {
      const res = await get(
        '/api/catalog/entities?filter=kind=template&fields=metadata.name',
      );
      expect(res.status).toBe(200);
      names = (await res.json()).map((e: any) => e.metadata.name).sort();
      if (names.length < want.length) {
        await new Promise(r => setTimeout(r, 1000));
      }
    }
    expect(names).toEqual(want);
    expect(log).not.toMatch(/ENOENT/);
  });
});
