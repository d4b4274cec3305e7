import {
  TestDatabaseId,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import { databases } from '../operations/__testUtils__/databases';
import { shipshapePlugin } from '../plugin';
import { responseMismatches } from '../schema/__testUtils__/conforms';

jest.setTimeout(60_000);

function component(
  name: string,
  annotations: Record<string, string>,
  spec: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'team-a',
      ...spec,
    },
  };
}

const ENTITIES: Entity[] = [
  // critical (RPO 15m, RTO 1h by default): backed up 10 minutes ago, drill restored in 30 s
  component(
    'orders-api',
    {
      'shipshape.dev/tier': 'critical',
      'shipshape.dev/backup-target': 'orders-db',
    },
    { system: 'shop' },
  ),
  // declares RPO 15m and RTO 1m: its newest verified backup is 2 h old, its last drill took 90 s
  component(
    'payments-api',
    {
      'shipshape.dev/tier': 'standard',
      'shipshape.dev/rpo': '15m',
      'shipshape.dev/rto': '1m',
      'shipshape.dev/backup-target': 'payments-db',
    },
    { owner: 'group:default/team-b', system: 'system:default/payments' },
  ),
  // a kubernetes-id only: never graded, no tier, no backups
  component('legacy-api', { 'backstage.io/kubernetes-id': 'legacy-api' }),
  // names orders-db, which does not allow it: orders-db's backups are not its backups
  component('sneaky-api', {
    'shipshape.dev/tier': 'best-effort',
    'shipshape.dev/backup-target': 'orders-db',
  }),
  // neither a target, a kubernetes-id nor a tier: not in the overview
  component('docs-site', {}),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: {
      name: 'shop',
      annotations: { 'shipshape.dev/tier': 'critical' },
    },
    spec: { owner: 'team-a' },
  },
];

const config = {
  shipshape: {
    backup: {
      storage: { type: 'local', directory: '/tmp/shipshape-overview-test' },
      targets: [
        {
          name: 'orders-db',
          connection: { host: 'orders.internal', user: 'backup' },
          allowedEntities: ['component:default/orders-api'],
        },
        {
          name: 'payments-db',
          connection: { host: 'payments.internal', user: 'backup' },
          allowedEntities: ['component:default/payments-api'],
        },
      ],
    },
  },
};

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

async function seed(knex: Knex) {
  const grade = (ref: string, status: string, at: Date, env = 'production') =>
    knex('shipshape_dr_grades').insert({
      entity_ref: ref,
      environment: env,
      status,
      checks: '[]',
      graded_at: at,
    });
  // the latest grade counts; another environment's grade does not
  await grade('component:default/payments-api', 'pass', ago(7200));
  await grade('component:default/payments-api', 'fail', ago(3600));
  await grade('component:default/orders-api', 'warn', ago(7200));
  await grade('component:default/orders-api', 'pass', ago(1800));
  await grade('component:default/legacy-api', 'pass', ago(60), 'staging');

  let n = 0;
  // a backup or drill is an operation (the run) with its artefact or results keyed by its id
  const run = (
    id: string,
    kind: string,
    target: string,
    status: string,
    at: Date,
    error: string | null,
  ) =>
    knex('shipshape_operations').insert({
      id,
      kind,
      entity_ref: `component:default/${target.replace('-db', '-api')}`,
      target: `${kind}:${target}#${id}`,
      status,
      requested_by: 'user:default/sre',
      input: '{}',
      error,
      created_at: at,
      updated_at: at,
    });
  const backup = async (
    target: string,
    status: 'succeeded' | 'failed' | 'running',
    at: Date,
    facts: { verified?: boolean; deleted?: boolean } = {},
  ) => {
    const id = `b${n++}`;
    await run(
      id,
      'backup',
      target,
      status,
      at,
      status === 'failed' ? 'connect orders.internal:5432 refused' : null,
    );
    await knex('shipshape_backups').insert({
      operation_id: id,
      target,
      storage_type: 'local',
      storage_key: `secret/${target}/${n}.dump`,
      taken_at: at,
      verified_at: facts.verified ? at : null,
      deleted_at: facts.deleted ? at : null,
    });
  };
  await backup('orders-db', 'succeeded', ago(3600), { verified: true });
  await backup('orders-db', 'succeeded', ago(600), { verified: true });
  await backup('orders-db', 'running', ago(30));
  await backup('payments-db', 'succeeded', ago(7200), { verified: true });
  // newer, but failed, deleted or never verified (an in-cluster Job): not a verified backup
  await backup('payments-db', 'failed', ago(300));
  await backup('payments-db', 'succeeded', ago(200), {
    verified: true,
    deleted: true,
  });
  await backup('payments-db', 'succeeded', ago(100));

  const drill = async (
    target: string,
    status: 'succeeded' | 'failed',
    at: Date,
    restoreMs: number | null,
  ) => {
    const id = `d${n++}`;
    await run(
      id,
      'restore-drill',
      target,
      status,
      at,
      status === 'failed' ? 'pg_restore on orders.internal failed' : null,
    );
    await knex('shipshape_restore_drills').insert({
      operation_id: id,
      backup_id: 'b0',
      target,
      restore_ms: restoreMs,
      database_name: 'shipshape_drill_secret',
    });
  };
  await drill('orders-db', 'failed', ago(86400), null);
  await drill('orders-db', 'succeeded', ago(3000), 30_000);
  await drill('payments-db', 'succeeded', ago(5000), 90_000);
}

describe('GET /dr/overview', () => {
  async function start(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const { server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.database.factory({ knex }),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({ entities: ENTITIES }),
      ],
    });
    await seed(knex);
    const get = (query = '') =>
      request(server)
        .get(`/api/shipshape/dr/overview${query}`)
        .set('Authorization', mockCredentials.user.header());
    return { knex, get };
  }

  it.each(databases.eachSupportedId())(
    'lists each service with its recorded grade, backup age against its RPO and last drill against its RTO, in three queries, writing nothing; on %p',
    async databaseId => {
      const { knex, get } = await start(databaseId);
      const count = async (table: string) =>
        Number((await knex(table).count({ n: '*' }))[0].n);
      const before = await count('shipshape_dr_grades');
      const queries: string[] = [];
      const onQuery = (q: { sql: string }) => queries.push(q.sql);
      knex.on('query', onQuery);
      const res = await get();
      knex.off('query', onQuery);
      expect(res.status).toBe(200);
      // one query each for the latest grades, verified backups and drills: not one per entity
      expect(queries).toHaveLength(3);
      expect(await count('shipshape_dr_grades')).toBe(before);

      const body = res.body;
      expect(responseMismatches(body, '/dr/overview', 'get', 200)).toEqual([]);
      // targets are configured: nothing for the page to name as missing
      expect(body.unconfigured).toBeUndefined();
      expect(body).toMatchObject({
        total: 4,
        entities: 4,
        truncated: false,
        owners: ['group:default/team-a', 'group:default/team-b'],
      });
      // worst grade first: fail, warn, none (never graded), pass; then by ref
      expect(body.rows.map((r: any) => [r.name, r.grade])).toEqual([
        ['payments-api', 'fail'],
        ['legacy-api', 'none'],
        ['sneaky-api', 'none'],
        ['orders-api', 'pass'],
      ]);
      const row = (name: string) => body.rows.find((r: any) => r.name === name);

      const orders = row('orders-api');
      expect(orders).toMatchObject({
        entityRef: 'component:default/orders-api',
        link: '/catalog/default/component/orders-api',
        owner: 'group:default/team-a',
        system: 'system:default/shop',
        tier: 'critical',
        grade: 'pass',
        rpoSeconds: 900,
        rtoSeconds: 3600,
        backupWithinRpo: true,
        lastDrillStatus: 'succeeded',
        restoreMs: 30_000,
        restoreWithinRto: true,
      });
      expect(Date.parse(orders.gradedAt)).toBeCloseTo(ago(1800).getTime(), -4);
      expect(orders.backupAgeSeconds).toBeGreaterThanOrEqual(600);
      expect(orders.backupAgeSeconds).toBeLessThan(660);
      expect(Date.parse(orders.lastDrillAt)).toBeCloseTo(
        ago(3000).getTime(),
        -4,
      );

      // beyond its declared RPO (a newer failed or deleted backup does not count), and a
      // drill slower than its RTO
      expect(row('payments-api')).toMatchObject({
        owner: 'group:default/team-b',
        system: 'system:default/payments',
        grade: 'fail',
        rpoSeconds: 900,
        rtoSeconds: 60,
        backupWithinRpo: false,
        lastDrillStatus: 'succeeded',
        restoreMs: 90_000,
        restoreWithinRto: false,
      });
      expect(row('payments-api').backupAgeSeconds).toBeGreaterThanOrEqual(7200);

      // no tier, no objectives, no grade in production (staging's does not count), no backups
      const legacy = row('legacy-api');
      expect(legacy).toEqual({
        entityRef: 'component:default/legacy-api',
        name: 'legacy-api',
        link: '/catalog/default/component/legacy-api',
        owner: 'group:default/team-a',
        grade: 'none',
      });
      // orders-db does not allow sneaky-api: none of orders-db's records are shown for it
      expect(row('sneaky-api')).toMatchObject({ tier: 'best-effort' });
      expect(row('sneaky-api').lastBackupAt).toBeUndefined();
      expect(row('sneaky-api').lastDrillAt).toBeUndefined();

      // no host, storage key, database name or error of a backup or drill
      const text = JSON.stringify(body);
      for (const secret of ['internal', 'secret', 'refused', 'pg_restore']) {
        expect(text).not.toContain(secret);
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'filters by owner, tier and grade, sorts and pages; on %p',
    async databaseId => {
      const { get } = await start(databaseId);
      const names = async (query: string) => {
        const res = await get(query);
        expect({ query, status: res.status }).toEqual({ query, status: 200 });
        return {
          total: res.body.total,
          names: res.body.rows.map((r: any) => r.name),
        };
      };
      // an owner by full ref (URL-encoded, as the generated client sends it) or a group's name
      expect(
        await names(`?owner=${encodeURIComponent('group:default/team-b')}`),
      ).toEqual({
        total: 1,
        names: ['payments-api'],
      });
      expect((await names('?owner=team-a')).names).toEqual([
        'legacy-api',
        'sneaky-api',
        'orders-api',
      ]);
      expect((await names('?tier=critical')).names).toEqual(['orders-api']);
      expect((await names('?tier=none')).names).toEqual(['legacy-api']);
      expect((await names('?grade=none&owner=team-a')).names).toEqual([
        'legacy-api',
        'sneaky-api',
      ]);
      expect((await names('?grade=warn')).names).toEqual([]);
      // oldest backup first; services without a verified backup before any
      expect((await names('?sort=backupAge&order=desc')).names).toEqual([
        'legacy-api',
        'sneaky-api',
        'payments-api',
        'orders-api',
      ]);
      // a missing value sorts last in either order
      expect((await names('?sort=restore')).names).toEqual([
        'orders-api',
        'payments-api',
        'legacy-api',
        'sneaky-api',
      ]);
      expect((await names('?sort=tier&order=desc')).names).toEqual([
        'payments-api',
        'orders-api',
        'sneaky-api',
        'legacy-api',
      ]);
      expect(await names('?sort=name&limit=2&offset=1')).toEqual({
        total: 4,
        names: ['orders-api', 'payments-api'],
      });
    },
  );

  it('answers 400 naming the bad parameter', async () => {
    const { get } = await start('SQLITE_3');
    const cases: Array<[string, RegExp]> = [
      ['?limit=0', /limit/],
      ['?limit=abc', /limit/],
      ['?limit=5001', /limit/],
      ['?offset=-1', /offset/],
      ['?sort=color', /sort/],
      ['?order=up', /order/],
      ['?grade=green', /grade/],
      ['?tier=gold', /tier/],
      [`?owner=${'x'.repeat(300)}`, /owner/],
      ['?owner=a&owner=b', /owner/],
      ['?colour=red', /colour/],
    ];
    for (const [query, message] of cases) {
      const res = await get(query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
    }
  });
});
