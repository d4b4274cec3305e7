/**
 * Scheduled restore drills, a day compressed into minutes: two portal replicas (two test
 * backends with the shipshape plugin and the REAL Backstage scheduler, distinct
 * shipshape.operations.instanceName) on one PostgreSQL, BENCH_TARGETS backup targets (default 4,
 * each its own entity, all dumping the stack's payments database), each with
 * `shipshape.dev/restore-drill-interval: 1m` (the annotation's smallest interval), the drill
 * schedule's pass every 5 s, for BENCH_MINUTES (default 6). Then every target must have been
 * drilled once per interval: no two drills of a target less than the interval apart (none twice)
 * and no gap longer than the interval plus one pass and its drills (none missed), every drill
 * passed, and each entity graded after its drills. Halfway, the replica that ran the drills so
 * far stops (between passes): the other replica's scheduler takes the task over. Not part of the normal test run (minutes).
 *
 *   source .stack/env.sh; cd plugins/shipshape-backend && BACKSTAGE_TEST_DISABLE_DOCKER=1 \
 *     BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING=$(../../scripts/test-postgres.sh up) \
 *     CI=true yarn backstage-cli package test --roots "$PWD/../../bench" \
 *     --testMatch '**\/drillSchedule.bench.ts' --testTimeout 1800000
 *
 * Prints one JSON line with the figures (docs/backup.md has the last run).
 */
// eslint-disable-next-line @backstage/no-undeclared-imports
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
// eslint-disable-next-line @backstage/no-undeclared-imports
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import {
  readLocalStack,
  stackDrillConnection,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import fs from 'fs';
import knexFactory from 'knex';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  dropPrefixedDatabases,
  requirePostgres,
} from '../plugins/shipshape-backend/src/__testUtils__/replicaDatabases';

const TARGETS = Number(process.env.BENCH_TARGETS ?? 4);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 6);
const INTERVAL_S = 60;
const PASS_S = 5;
const SCHEDULER = 'shipshape:restore-drill-schedule';
const OWNER = 'user:default/owner';

const stack = readLocalStack();
process.env.BENCH_SCHED_PG = stack.postgres.password;
// A drill role of its own (CREATEDB and nothing more): another portal on the stack (a test, the
// e2e backend) sweeps the stack drill role's databases at start, and could drop a drill's
// database of this bench between its CREATE DATABASE and pg_restore (docs/backup.md, one drill
// role per portal).
const DRILL_ROLE = `shipshape_drill_bench_${process.pid}`;
process.env.BENCH_SCHED_DRILL = `pw-${Date.now().toString(36)}-${process.pid}`;
const superuser = () =>
  knexFactory({
    client: 'pg',
    connection: {
      host: stack.postgres.host,
      port: stack.postgres.port,
      user: stack.postgres.superuser,
      password: stack.postgres.superuserPassword,
      database: 'postgres',
    },
  });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-drill-bench-'));
const pg = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const prefix = `shipshape_drillbench_${process.pid}_${Date.now()}_`;

const names = Array.from({ length: TARGETS }, (_, i) => `drilled-${i}`);
const entities: Entity[] = names.map(name => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'shipshape.dev/backup-target': `${name}-db`,
      'shipshape.dev/restore-drill-interval': '1m',
      'shipshape.dev/tier': 'critical',
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/t' },
}));

function replica(instanceName: string) {
  return startTestBackend({
    features: [
      shipshapePlugin,
      schedulerServiceFactory,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: {
          backend: { database: { client: 'pg', connection: pg, prefix } },
          shipshape: {
            operations: { instanceName },
            backup: {
              binDir: stack.postgres.binDir,
              storage: { type: 'local', directory: dir },
              drill: {
                connection: {
                  ...stackDrillConnection('BENCH_SCHED_DRILL'),
                  user: DRILL_ROLE,
                },
                schedule: {
                  frequency: { seconds: PASS_S },
                  timeout: { minutes: 5 },
                  initialDelay: { seconds: 3 },
                },
              },
              targets: names.map(name => ({
                name: `${name}-db`,
                allowedEntities: [`component:default/${name}`],
                connection: stackPaymentsConnection('BENCH_SCHED_PG'),
              })),
            },
          },
        },
      }),
    ],
  });
}

describe('scheduled restore drills, a day compressed', () => {
  const backends: Array<{ stop(): Promise<void> }> = [];
  beforeAll(async () => {
    const su = superuser();
    try {
      await su.raw(
        `CREATE ROLE ?? LOGIN CREATEDB PASSWORD '${process.env.BENCH_SCHED_DRILL}'`,
        [DRILL_ROLE],
      );
    } finally {
      await su.destroy();
    }
  });
  afterAll(async () => {
    await Promise.all(backends.map(b => b.stop()));
    const su = superuser();
    try {
      const { rows } = await su.raw(
        'SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = ?',
        [DRILL_ROLE],
      );
      // none: every drill drops its database
      for (const { datname } of rows) {
        await su.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
      }
      await su.raw('DROP ROLE IF EXISTS ??', [DRILL_ROLE]);
    } finally {
      await su.destroy();
    }
    fs.rmSync(dir, { recursive: true, force: true });
    if (pg) await dropPrefixedDatabases(pg, prefix);
  });

  it('two replicas: each target drilled once per interval, never twice', async () => {
    requirePostgres(pg);
    // one after the other: the first one migrates the shared database
    const a = await replica('replica-a');
    backends.push(a);
    const b = await replica('replica-b');
    backends.push(b);
    const began = Date.now();
    // a verified backup per target, through replica A's API
    for (const name of names) {
      const res = await request(a.server)
        .post(`/api/shipshape/entities/component/default/${name}/backups`)
        .set('Authorization', mockCredentials.user.header(OWNER))
        .send({ reason: 'drill schedule bench' });
      expect(res.status).toBe(202);
    }
    const knex = knexFactory({
      client: 'pg',
      connection: `${pg}/${prefix}shipshape`,
    });
    const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
    try {
      // halfway, the replica that ran the drills so far goes away (between two passes, no
      // drill running): the other one's scheduler carries on
      await sleep((MINUTES * 60_000) / 2);
      for (let i = 0; i < 200; i++) {
        const [task] = await knex('backstage_backend_tasks__tasks')
          .where('id', 'like', '%shipshape-restore-drills')
          .select('current_run_ticket');
        const running = await knex('shipshape_restore_drills')
          .where({ status: 'running' })
          .count({ n: '*' });
        if (!task?.current_run_ticket && Number(running[0].n) === 0) break;
        await sleep(100);
      }
      const [busiest] = await knex('shipshape_operations')
        .where({ kind: 'restore-drill' })
        .groupBy('claimed_by')
        .select('claimed_by')
        .count({ n: '*' })
        .orderBy('n', 'desc');
      const stopped =
        (busiest as { claimed_by?: string } | undefined)?.claimed_by ??
        'replica-a';
      const leaving = stopped === 'replica-a' ? a : b;
      await leaving.stop();
      backends.splice(backends.indexOf(leaving), 1);
      const stoppedAt = Date.now();
      await sleep(began + MINUTES * 60_000 - Date.now());

      // let the last pass's drills end
      for (let i = 0; i < 120; i++) {
        const running = await knex('shipshape_restore_drills')
          .where({ status: 'running' })
          .count({ n: '*' });
        if (Number(running[0].n) === 0) break;
        await new Promise(r => setTimeout(r, 500));
      }
      const drills = await knex('shipshape_restore_drills as d')
        .join('shipshape_operations as o', 'o.id', 'd.id')
        .select(
          'd.target',
          'd.status',
          'd.requested_by',
          'd.started_at',
          'd.restore_ms',
          'o.claimed_by',
        )
        .orderBy('d.started_at');
      const byTarget = new Map<string, typeof drills>();
      for (const d of drills) {
        byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
      }
      const gaps: number[] = [];
      const perTarget: Record<string, number> = {};
      for (const name of names) {
        const list = byTarget.get(`${name}-db`) ?? [];
        perTarget[name] = list.length;
        for (let i = 1; i < list.length; i++) {
          gaps.push(
            (Date.parse(list[i].started_at) -
              Date.parse(list[i - 1].started_at)) /
              1000,
          );
        }
      }
      const byReplica: Record<string, number> = {};
      for (const d of drills) {
        byReplica[d.claimed_by] = (byReplica[d.claimed_by] ?? 0) + 1;
      }
      const durations = drills.map(d => Number(d.restore_ms));
      const afterStop = drills.filter(
        d => Date.parse(d.started_at) > stoppedAt,
      );
      const first = drills.length ? Date.parse(drills[0].started_at) : began;
      const grades = await knex('shipshape_dr_grades')
        .where({ environment: 'production' })
        .select('entity_ref', 'checks', 'graded_at')
        .orderBy('id', 'desc');
      const drilledGraded = names.filter(name => {
        const latest = grades.find(
          g => g.entity_ref === `component:default/${name}`,
        );
        return JSON.parse(latest?.checks ?? '[]').some(
          (c: any) => c.id === 'drill-recent' && c.status === 'pass',
        );
      });
      const figures = {
        targets: TARGETS,
        minutes: MINUTES,
        intervalSeconds: INTERVAL_S,
        passSeconds: PASS_S,
        drills: drills.length,
        perTarget,
        byReplica,
        stopped,
        stoppedAfterSeconds: (stoppedAt - began) / 1000,
        afterStopByReplica: [...new Set(afterStop.map(d => d.claimed_by))],
        statuses: [...new Set(drills.map(d => d.status))],
        gapSeconds: {
          min: Math.min(...gaps),
          max: Math.max(...gaps),
        },
        restoreMs: {
          min: Math.min(...durations),
          max: Math.max(...durations),
        },
        firstDrillAfterSeconds: (first - began) / 1000,
        // from the first drill to the end: one per interval (plus up to one pass late each)
        expectedPerTarget: {
          atLeast:
            Math.floor(
              (began + MINUTES * 60_000 - first) /
                1000 /
                (INTERVAL_S + 3 * PASS_S),
            ) + 1,
          atMost:
            Math.floor((began + MINUTES * 60_000 - first) / 1000 / INTERVAL_S) +
            1,
        },
        gradedWithDrillPassing: drilledGraded.length,
      };
      // eslint-disable-next-line no-console
      console.log(JSON.stringify(figures));

      expect(drills.every(d => d.requested_by === SCHEDULER)).toBe(true);
      expect(figures.statuses).toEqual(['passed']);
      // never twice: no two drills of a target within one interval
      expect(figures.gapSeconds.min).toBeGreaterThanOrEqual(INTERVAL_S);
      // never missed: the next one came within the interval, one pass and its drills
      expect(figures.gapSeconds.max).toBeLessThanOrEqual(
        INTERVAL_S + 3 * PASS_S,
      );
      for (const name of names) {
        expect(perTarget[name]).toBeGreaterThanOrEqual(
          figures.expectedPerTarget.atLeast,
        );
        expect(perTarget[name]).toBeLessThanOrEqual(
          figures.expectedPerTarget.atMost,
        );
      }
      expect(drilledGraded).toEqual(names);
      expect(figures.afterStopByReplica).toEqual([
        stopped === 'replica-a' ? 'replica-b' : 'replica-a',
      ]);
    } finally {
      await knex.destroy();
    }
  });
});
