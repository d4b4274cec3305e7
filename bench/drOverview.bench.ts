/**
 * The DR overview over a fleet: GET /api/shipshape/dr/overview with N services (default 2,000)
 * in the real catalog (ingested from a generated file) and their grades, backups and drills
 * seeded in the plugin's database, on SQLite and, when the test environment provides one
 * (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, scripts/test-postgres.sh up), on
 * PostgreSQL. Times the whole fleet as the page loads it (limit=5000) and a filtered view.
 * Not part of the normal test run.
 *
 *   cd plugins/shipshape-backend && BENCH_N=2000 BACKSTAGE_TEST_DISABLE_DOCKER=1 \
 *     BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING=$(../../scripts/test-postgres.sh up) \
 *     CI=true yarn backstage-cli package test --roots "$PWD/../../bench" \
 *     --testMatch '**\/drOverview.bench.ts' --testTimeout 1800000
 *
 * Prints one JSON line per database with the figures (docs/backup.md has the last run).
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
// eslint-disable-next-line @backstage/no-undeclared-imports
import catalogPlugin from '@backstage/plugin-catalog-backend';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { databases } from '../plugins/shipshape-backend/src/operations/__testUtils__/databases';
import { stats } from './measure';

const N = Number(process.env.BENCH_N ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const GROUPS = 40;
const SYSTEMS = 20;
const TIERS = ['critical', 'standard', 'best-effort', undefined];
const AUTH = mockCredentials.user.header('user:default/sre');

const CATALOG_QUERY = [
  'backstage.io/kubernetes-id',
  'shipshape.dev/tier',
  'shipshape.dev/backup-target',
]
  .map(
    a =>
      `filter=${encodeURIComponent(
        `kind=component,metadata.annotations.${a}`,
      )}`,
  )
  .concat(
    [
      'kind',
      'metadata.namespace',
      'metadata.name',
      'metadata.title',
      'metadata.annotations',
      'spec.owner',
      'spec.system',
      'spec.lifecycle',
    ].map(f => `fields=${f}`),
  )
  .concat('orderField=metadata.name,asc')
  .join('&');

/** 9 in 10 services have a backup target of their own; every one a kubernetes-id. */
const hasTarget = (i: number) => i % 10 !== 9;

function writeCatalog(dir: string) {
  const docs: object[] = [];
  for (let i = 0; i < N; i++) {
    const tier = TIERS[i % TIERS.length];
    const annotations: Record<string, string> = {
      'backstage.io/kubernetes-id': `svc-${i}`,
      ...(tier ? { 'shipshape.dev/tier': tier } : {}),
      ...(hasTarget(i) ? { 'shipshape.dev/backup-target': `db-${i}` } : {}),
      ...(i % 7 === 0 ? { 'shipshape.dev/rpo': '4h' } : {}),
    };
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: `svc-${i}`, annotations },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: `group:default/team-${i % GROUPS}`,
        system: `system-${i % SYSTEMS}`,
      },
    });
  }
  const file = path.join(dir, 'catalog.yaml');
  fs.writeFileSync(file, docs.map(d => YAML.stringify(d)).join('---\n'));
  return file;
}

/** Grades (three per service in production, one in staging), backups and drills per target. */
async function seed(knex: Knex) {
  const now = Date.now();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
  const statuses = ['fail', 'warn', 'pass'];
  const grades = [];
  const backups = [];
  const drills = [];
  for (let i = 0; i < N; i++) {
    const ref = `component:default/svc-${i}`;
    for (let g = 0; g < 3; g++) {
      grades.push({
        entity_ref: ref,
        environment: 'production',
        status: statuses[(i + g) % 3],
        checks: '[{"id":"backup-fresh","status":"pass"}]',
        graded_at: at(600 - g * 200 - (i % 60)),
      });
    }
    grades.push({
      entity_ref: ref,
      environment: 'staging',
      status: 'pass',
      checks: '[]',
      graded_at: at(5),
    });
    if (!hasTarget(i)) continue;
    const target = `db-${i}`;
    for (let b = 0; b < 6; b++) {
      backups.push({
        id: `b-${i}-${b}`,
        target,
        entity_ref: ref,
        status: b === 5 ? 'failed' : 'verified',
        storage_type: 'local',
        storage_key: `${target}/${b}.dump`,
        requested_by: 'user:default/sre',
        // one service in 5 last backed up over a day ago
        started_at: at((i % 5 === 0 ? 1500 : 20) + (5 - b) * 60 + (i % 30)),
      });
    }
    for (let d = 0; d < 2; d++) {
      drills.push({
        id: `d-${i}-${d}`,
        backup_id: `b-${i}-${d}`,
        target,
        entity_ref: ref,
        status: (i + d) % 4 === 0 ? 'failed' : 'passed',
        requested_by: 'user:default/sre',
        restore_ms: 20_000 + (i % 400) * 1000,
        started_at: at(3000 - d * 1000 - (i % 100)),
      });
    }
  }
  await knex.batchInsert('shipshape_dr_grades', grades, 500);
  await knex.batchInsert('shipshape_backups', backups, 500);
  await knex.batchInsert('shipshape_restore_drills', drills, 500);
  return {
    grades: grades.length,
    backups: backups.length,
    drills: drills.length,
  };
}

/** The shipshape plugin on `knex`; every other plugin (the catalog) on its own in-memory SQLite. */
function databaseFor(knex: Knex) {
  return createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) => ({
      getClient: async () =>
        plugin.getId() === 'shipshape'
          ? knex
          : knexFactory({
              client: 'better-sqlite3',
              connection: ':memory:',
              useNullAsDefault: true,
            }),
    }),
  });
}

describe('DR overview bench', () => {
  const file = writeCatalog(
    fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-dr-bench-')),
  );
  const targets = Array.from({ length: N }, (_, i) => i)
    .filter(hasTarget)
    .map(i => ({
      name: `db-${i}`,
      connection: { host: `db-${i}.internal`, user: 'backup' },
      allowedEntities: [`component:default/svc-${i}`],
    }));

  it.each(databases.eachSupportedId())(
    `GET /dr/overview over ${N} services; on %p`,
    async (databaseId: TestDatabaseId) => {
      const knex = await databases.init(databaseId);
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          shipshapePlugin,
          databaseFor(knex),
          // no grading pass during the bench: the grades are the seeded ones
          mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                rules: [{ allow: ['Component', 'Location'] }],
                locations: [{ type: 'file', target: file }],
              },
              shipshape: {
                backup: {
                  storage: { type: 'local', directory: os.tmpdir() },
                  targets,
                },
              },
            },
          }),
        ],
      });
      const { server } = backend;
      try {
        const seeded = await seed(knex);
        for (;;) {
          const res = await request(server)
            .get('/api/catalog/entities/by-query?filter=kind=component&limit=1')
            .set('Authorization', AUTH);
          if (res.body.totalItems >= N) break;
          await new Promise(r => setTimeout(r, 500));
        }
        // let the catalog finish stitching before timing
        await new Promise(r => setTimeout(r, 15_000));
        const time = async (query: string) => {
          const ms: number[] = [];
          let body: any;
          for (let i = 0; i < RUNS + 3; i++) {
            const t = performance.now();
            const res = await request(server)
              .get(`/api/shipshape/dr/overview${query}`)
              .set('Authorization', AUTH);
            // the first three warm up (module loading, query plans)
            if (i >= 3) ms.push(performance.now() - t);
            expect(res.status).toBe(200);
            body = res.body;
          }
          return { ms: stats(ms), body };
        };
        // The catalog's own share: the same query (components with a target, kubernetes-id or
        // tier; the overview's fields) in the same pages of 1000, through its REST API.
        const catalogMs: number[] = [];
        for (let i = 0; i < RUNS + 3; i++) {
          const t = performance.now();
          let cursor: string | undefined;
          let page = 0;
          do {
            const res = await request(server)
              .get(
                cursor
                  ? `/api/catalog/entities/by-query?limit=1000&cursor=${encodeURIComponent(
                      cursor,
                    )}`
                  : `/api/catalog/entities/by-query?limit=1000&${CATALOG_QUERY}`,
              )
              .set('Authorization', AUTH);
            expect(res.status).toBe(200);
            cursor = res.body.pageInfo.nextCursor;
            page++;
          } while (cursor && page < 10);
          if (i >= 3) catalogMs.push(performance.now() - t);
        }
        const fleet = await time('?limit=5000');
        expect(fleet.body.total).toBe(N);
        expect(fleet.body.rows).toHaveLength(N);
        const filtered = await time(
          '?tier=critical&grade=fail&sort=backupAge&order=desc&limit=100',
        );
        const rows = fleet.body.rows as any[];
        const figures = {
          database: databaseId,
          services: N,
          seeded,
          catalogQueryMs: stats(catalogMs),
          fleetMs: fleet.ms,
          filteredMs: filtered.ms,
          filteredRows: filtered.body.total,
          notWithinRpo: rows.filter(r => r.backupWithinRpo !== true).length,
          responseBytes: JSON.stringify(fleet.body).length,
        };
        // eslint-disable-next-line no-console
        console.log(`BENCH ${JSON.stringify(figures)}`);
      } finally {
        await backend.stop();
      }
    },
  );
});
