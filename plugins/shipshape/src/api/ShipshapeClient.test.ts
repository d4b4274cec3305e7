import { ResponseError } from '@backstage/errors';
import { ShipshapeClient } from './ShipshapeClient';

describe('ShipshapeClient', () => {
  const discoveryApi = {
    getBaseUrl: async () => 'http://backend/api/shipshape',
  };

  it('calls the documented paths with the signed-in fetch', async () => {
    const urls: string[] = [];
    const posts: Array<[string, RequestInit | undefined]> = [];
    const otherMethods = new Set<string | undefined>();
    const fetchApi = {
      fetch: async (url: any, init?: RequestInit) => {
        urls.push(String(url));
        if (init?.method === 'POST') posts.push([String(url), init]);
        else otherMethods.add(init?.method);
        return new Response(JSON.stringify({ ok: 1 }), { status: 200 });
      },
    };
    const client = new ShipshapeClient({ discoveryApi, fetchApi });
    await client.getEntityOwnership({
      kind: 'Component',
      namespace: 'default',
      name: 'payments-api',
    });
    await client.getOwnershipSummary({ limit: 10, offset: 20 });
    await client.getEntitySlos({
      kind: 'Component',
      namespace: 'default',
      name: 'orders-api',
    });
    await client.getSloBurning(5);
    await client.getDrOverview({
      owner: 'group:default/team-a',
      grade: 'fail',
    });
    const payments = {
      kind: 'Component',
      namespace: 'default',
      name: 'payments-api',
    };
    await client.getEntityRollout(payments);
    await client.getDrReadiness(payments);
    await client.getBackupHistory(payments);
    await client.startBackup(payments, 'before the migration');
    await client.startRestoreDrill(payments);
    await client.getBackup(payments, 'b1', 25);
    await client.getRestoreDrill(payments, 'd1');
    await client.getPolicy();
    const entity = 'http://backend/api/shipshape/entities/component/default';
    expect(urls).toEqual([
      `${entity}/payments-api/ownership`,
      'http://backend/api/shipshape/ownership/summary?limit=10&offset=20',
      `${entity}/orders-api/slos`,
      'http://backend/api/shipshape/slos/burning?limit=5',
      'http://backend/api/shipshape/dr/overview?owner=group%3Adefault%2Fteam-a&grade=fail',
      `${entity}/payments-api/rollout`,
      `${entity}/payments-api/dr-readiness`,
      `${entity}/payments-api/backups`,
      `${entity}/payments-api/backups`,
      `${entity}/payments-api/restore-drills`,
      `${entity}/payments-api/backups/b1?wait=25`,
      `${entity}/payments-api/restore-drills/d1`,
      'http://backend/api/shipshape/policy',
    ]);
    expect([...otherMethods]).toEqual(['GET']);
    expect(posts).toEqual([
      [
        `${entity}/payments-api/backups`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"reason":"before the migration"}',
        },
      ],
      [
        `${entity}/payments-api/restore-drills`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        },
      ],
    ]);
  });

  it('throws a ResponseError carrying the backend message', async () => {
    const fetchApi = {
      fetch: async () =>
        new Response(
          JSON.stringify({
            error: {
              name: 'NotFoundError',
              message: 'No entity component:default/x',
            },
          }),
          { status: 404, headers: { 'content-type': 'application/json' } },
        ),
    };
    const client = new ShipshapeClient({ discoveryApi, fetchApi });
    const error = await client
      .getEntityOwnership({
        kind: 'component',
        namespace: 'default',
        name: 'x',
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.message).toMatch(/404/);
    expect(`${error.message} ${JSON.stringify(error.body)}`).toContain(
      'No entity component:default/x',
    );
  });
});
