import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';
import { shipshapePlugin } from './plugin';
import { componentWith, shipshapeApi } from './rollout/__testUtils__/api';
import {
  createServiceNamespace,
  kubectl,
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
  stackS3Storage,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';

// Nothing leaks: a deploy, a backup, a restore drill and a backup with a wrong password run on
// the local stack through the real plugin; then every operation log, every answer of every GET
// route of openapi.yaml, every row of the plugin's database, every notification and every line
// the backend logged are searched for each password, key and token of the run. The children
// (pg_dump, pg_restore) are wrapped to record the environment they were given.

jest.setTimeout(300_000);

const stack = readLocalStack();
const RUN = `lk${process.pid}x${Date.now().toString(36)}`;
const NS = `shipshape-leaks-${process.pid}`;
const OWNER = 'user:default/owner-user';
const REPO = 'registry.example.test/shipshape/leak-demo';
const BAD_PASSWORD = `wrong-${randomBytes(12).toString('hex')}`;
const CANARY = `canary-${randomBytes(12).toString('hex')}`;
/** Header values of the Prometheus and Alertmanager config (secret; the servers ignore them). */
const PROMETHEUS_TOKEN = `prom-${randomBytes(12).toString('hex')}`;
const ALERTMANAGER_TOKEN = `am-${randomBytes(12).toString('hex')}`;
const env = {
  pg: 'SHIPSHAPE_TEST_LEAK_PG',
  bad: 'SHIPSHAPE_TEST_LEAK_BAD_PG',
  drill: 'SHIPSHAPE_TEST_LEAK_DRILL',
  s3Key: 'SHIPSHAPE_TEST_LEAK_S3_KEY',
  s3Secret: 'SHIPSHAPE_TEST_LEAK_S3_SECRET',
  canary: 'SHIPSHAPE_TEST_LEAK_CANARY',
};
process.env[env.pg] = stack.postgres.password;
process.env[env.bad] = BAD_PASSWORD;
process.env[env.drill] = stack.postgres.drillPassword;
process.env[env.s3Key] = stack.s3.accessKeyId;
process.env[env.s3Secret] = stack.s3.secretAccessKey;
process.env[env.canary] = CANARY; // in the backend's environment, for no child

const token = (file: string) => fs.readFileSync(file, 'utf8').trim();
/** Every secret the run had, by what it is. */
const SECRETS: Record<string, string> = {
  'PostgreSQL password': stack.postgres.password,
  'PostgreSQL superuser password': stack.postgres.superuserPassword,
  'drill role password': stack.postgres.drillPassword,
  'wrong password of the failing target': BAD_PASSWORD,
  'S3 access key id': stack.s3.accessKeyId,
  'S3 secret access key': stack.s3.secretAccessKey,
  'Kubernetes read token': token(stack.kubernetes.readerTokenFile),
  'Kubernetes write token': token(stack.kubernetes.operatorTokenFile),
  'backend environment canary': CANARY,
  'Prometheus header value': PROMETHEUS_TOKEN,
  'Alertmanager header value': ALERTMANAGER_TOKEN,
};
// A JWT's signature alone identifies it too.
for (const [what, value] of Object.entries(SECRETS)) {
  if (value.split('.').length === 3) {
    SECRETS[`${what} (signature)`] = value.split('.')[2];
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-leaks-test-'));
const binDir = path.join(dir, 'bin');
const envDir = path.join(dir, 'child-env');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** pg_dump and pg_restore that write the environment they got, then run the real ones. */
function wrapPgBinaries() {
  fs.mkdirSync(binDir);
  fs.mkdirSync(envDir);
  for (const name of ['pg_dump', 'pg_restore']) {
    const file = path.join(binDir, name);
    fs.writeFileSync(
      file,
      `#!/bin/sh\nenv -0 > '${envDir}/${name}.'$$\nexec '${path.join(
        stack.postgres.binDir,
        name,
      )}' "$@"\n`,
      { mode: 0o755 },
    );
  }
}

function entity(name: string, annotations: Record<string, string>): Entity {
  const e = componentWith(name, annotations);
  e.spec!.owner = 'group:default/team-a';
  return e;
}

const entities: Entity[] = [
  entity('leak-app', {
    'backstage.io/kubernetes-id': 'leak-app',
    // the SLO routes query Prometheus and Alertmanager with the secret headers
    [SHIPSHAPE_ANNOTATIONS.slo.name]: 'availability=99.9%',
    [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: 'leak-db',
  }),
  entity('leak-bad', {
    [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: 'leak-bad-db',
  }),
  {
    apiVersion: 'backstage.io/v1',
    kind: 'Group',
    metadata: { name: 'team-a', namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: [{ type: 'hasMember', targetRef: OWNER }],
  },
  {
    apiVersion: 'backstage.io/v1',
    kind: 'User',
    metadata: { name: 'owner-user', namespace: 'default' },
    spec: {},
  },
];

function configData() {
  const base = testConfig([{ name: 'test', namespace: NS }]);
  const storage = stackS3Storage(`test/${RUN}/`, env.s3Key, env.s3Secret);
  return {
    ...base,
    app: { baseUrl: 'http://localhost:3000' },
    shipshape: {
      ...base.shipshape,
      prometheus: {
        instances: [
          {
            name: 'default',
            url: stack.prometheus.url,
            headers: { Authorization: `Bearer ${PROMETHEUS_TOKEN}` },
          },
        ],
      },
      alertmanager: {
        url: stack.alertmanager.url,
        headers: { 'X-Scope-OrgID': ALERTMANAGER_TOKEN },
      },
      backup: {
        binDir,
        drill: { connection: stackDrillConnection(env.drill) },
        targets: [
          {
            name: 'leak-db',
            connection: stackPaymentsConnection(env.pg),
            allowedEntities: ['component:default/leak-app'],
            storage,
          },
          {
            name: 'leak-bad-db',
            connection: stackPaymentsConnection(env.bad),
            allowedEntities: ['component:default/leak-bad'],
            storage,
          },
        ],
      },
    },
  };
}

/** GET paths of openapi.yaml with their parameters filled in from what the run made. */
function getRoutes(ids: {
  operations: string[];
  backups: Record<string, string[]>;
  drills: Record<string, string[]>;
}): string[] {
  const doc = YAML.parse(
    fs.readFileSync(path.join(__dirname, 'schema/openapi.yaml'), 'utf8'),
  );
  const urls: string[] = [];
  for (const [p, ops] of Object.entries<any>(doc.paths)) {
    if (!ops.get) continue;
    if (p.startsWith('/local-repos')) {
      urls.push('/local-repos/anything'); // off unless localPublish is set
      continue;
    }
    for (const name of ['leak-app', 'leak-bad']) {
      const withEntity = p
        .replace('{kind}', 'component')
        .replace('{namespace}', 'default')
        .replace('{name}', name);
      if (withEntity.includes('/backups/{id}')) {
        ids.backups[name].forEach(id =>
          urls.push(withEntity.replace('{id}', id)),
        );
      } else if (withEntity.includes('/restore-drills/{id}')) {
        ids.drills[name].forEach(id =>
          urls.push(withEntity.replace('{id}', id)),
        );
      } else if (withEntity.startsWith('/operations/{id}')) {
        if (name === 'leak-app') {
          ids.operations.forEach(id =>
            urls.push(withEntity.replace('{id}', id)),
          );
        }
      } else if (withEntity !== p || name === 'leak-app') {
        urls.push(withEntity);
      }
    }
  }
  return [...new Set(urls)];
}

describe('nothing a test run does leaks a secret', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const logged: string[] = [];

  beforeAll(() => {
    wrapPgBinaries();
    createServiceNamespace(NS);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: 'leak-app',
        namespace: NS,
        kubernetesId: 'leak-app',
        image: `${REPO}:1.0.0`,
      }),
    );
    kubectl([
      '-n',
      NS,
      'rollout',
      'status',
      'deploy/leak-app',
      '--timeout=60s',
    ]);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('in operation logs, API answers, database rows, notifications, backend logs and child environments', async () => {
    for (const level of ['error', 'warn', 'info', 'debug', 'log'] as const) {
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(
          args
            .map(a => (typeof a === 'string' ? a : JSON.stringify(a)))
            .join(' '),
        );
      });
    }
    const knex = await databases.init('SQLITE_3');
    const notificationsDb = await databases.init('SQLITE_3');
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        notificationsPlugin,
        mockServices.rootLogger.factory({ level: 'debug' }),
        createServiceFactory({
          service: coreServices.database,
          deps: { plugin: coreServices.pluginMetadata },
          factory: ({ plugin }) => ({
            getClient: async () =>
              plugin.getId() === 'shipshape' ? knex : notificationsDb,
            migrations: { skip: false },
          }),
        }),
        mockServices.rootConfig.factory({ data: configData() }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })),
        }).factory,
        catalogServiceMock.factory({ entities }),
      ],
    });
    const server = backend.server;
    const answers: Array<{ where: string; text: string }> = [];
    const api = shipshapeApi(
      () => server,
      OWNER,
      page =>
        answers.push({ where: 'operation log', text: JSON.stringify(page) }),
    );
    try {
      const post = async (urlPath: string, body: object) => {
        const res = await api.post(urlPath, body);
        answers.push({
          where: `POST ${urlPath}`,
          text: JSON.stringify(res.body),
        });
        expect(res.status === 202 ? 202 : res.body).toBe(202);
        return api.waitDone(res.body.id);
      };
      const deploy = await post('leak-app/deploy', {
        environment: 'test',
        tag: '2.0.0',
      });
      expect(deploy.status).toBe('succeeded');
      const backup = await post('leak-app/backups', {});
      expect(backup.status).toBe('succeeded');
      const drill = await post('leak-app/restore-drills', {});
      expect(drill.status).toBe('succeeded');
      const failed = await post('leak-bad/backups', {});
      expect(failed.status).toBe('failed');
      expect(failed.outcomeReason).toMatch(/password authentication failed/);

      // Every GET route of the document, for both entities and everything the run made.
      const list = async (name: string, what: string) =>
        (await api.get(`entities/component/default/${name}/${what}`)).body;
      const operations = [deploy.id, backup.id, drill.id, failed.id];
      const backupsOf = async (name: string) =>
        ((await list(name, 'backups')).items ?? []).map((b: any) => b.id);
      const ids = {
        operations,
        backups: {
          'leak-app': await backupsOf('leak-app'),
          'leak-bad': await backupsOf('leak-bad'),
        },
        drills: { 'leak-app': [drill.id], 'leak-bad': [] },
      };
      expect(ids.backups['leak-app'].length).toBeGreaterThan(0);
      const routes = getRoutes(ids);
      let ok = 0;
      for (const route of routes) {
        const res = await api.get(route.slice(1));
        answers.push({
          where: `GET ${route} (${res.status})`,
          text: res.text,
        });
        if (res.status === 200) ok += 1;
      }
      // the SLO card's route read Prometheus and Alertmanager (with the secret headers)
      const slos = await api.get('entities/component/default/leak-app/slos');
      expect(slos.status).toBe(200);
      answers.push({ where: 'GET slos of leak-app', text: slos.text });
      const notifications = await request(server)
        .get('/api/notifications/notifications')
        .set('Authorization', mockCredentials.user.header(OWNER));
      expect(notifications.status).toBe(200);
      expect(notifications.body.totalCount).toBeGreaterThan(0);
      answers.push({ where: 'notifications', text: notifications.text });

      // Every row of every table of the plugin's database (operation logs included).
      const tables = (
        await knex.raw(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
        )
      ).map((t: { name: string }) => t.name);
      expect(tables).toContain('shipshape_operation_log');
      for (const table of tables) {
        answers.push({
          where: `table ${table}`,
          text: JSON.stringify(await knex(table).select()),
        });
      }
      answers.push({ where: 'backend log', text: logged.join('\n') });

      expect(logged.length).toBeGreaterThan(20);
      const search = (texts: typeof answers) =>
        texts.flatMap(({ where, text }) =>
          Object.entries(SECRETS)
            .filter(([, value]) => text.includes(value))
            .map(([what]) => `${what} in ${where}`),
        );
      // The search finds a planted one.
      expect(
        search([{ where: 'a plant', text: `x${stack.s3.secretAccessKey}x` }]),
      ).toEqual(['S3 secret access key in a plant']);
      expect(search(answers)).toEqual([]);

      // The children got only what they need: no other secret, nothing of the backend's own.
      const allowed = new Set([
        'PATH',
        'LD_LIBRARY_PATH',
        'LANG',
        'LC_ALL',
        'TZ',
        'PGHOST',
        'PGPORT',
        'PGUSER',
        'PGDATABASE',
        'PGPASSWORD',
        'PGCONNECT_TIMEOUT',
        'PWD', // set by the wrapper's shell
      ]);
      const children = fs.readdirSync(envDir);
      // (the wrong password fails at the dump's first connection, before pg_dump)
      expect(children.some(c => c.startsWith('pg_dump.'))).toBe(true);
      expect(children.some(c => c.startsWith('pg_restore.'))).toBe(true);
      const given: string[] = [];
      for (const child of children) {
        const vars = new Map(
          fs
            .readFileSync(path.join(envDir, child), 'utf8')
            .split('\0')
            .filter(Boolean)
            .map(line => [
              line.slice(0, line.indexOf('=')),
              line.slice(line.indexOf('=') + 1),
            ]),
        );
        given.push(...vars.keys());
        const extra = [...vars.keys()].filter(v => !allowed.has(v));
        expect({ child, extra }).toEqual({ child, extra: [] });
        const password = vars.get('PGPASSWORD');
        const others = Object.entries(SECRETS)
          .filter(([, value]) => value !== password)
          .filter(([, value]) =>
            [...vars.values()].some(v => v.includes(value)),
          )
          .map(([what]) => what);
        expect({ child, others }).toEqual({ child, others: [] });
      }
      process.stdout.write(
        `searched ${answers.length} texts (${
          routes.length
        } GET answers, ${ok} of them 200, ${tables.length} tables, ${
          answers.reduce((n, a) => n + a.text.length, 0) / 1000
        } kB) for ${Object.keys(SECRETS).length} secrets: none found; ${
          children.length
        } children got only ${[...new Set(given)].sort().join(', ')}\n`,
      );
    } finally {
      await backend.stop();
    }
  });
});
