import { ResponseError } from '@backstage/errors';
import { ShipshapeClient } from './ShipshapeClient';

describe('ShipshapeClient', () => {
  const discoveryApi = {
    getBaseUrl: async () => 'http://backend/api/shipshape',
  };

  it('calls the documented paths with the signed-in fetch', async () => {
    const urls: string[] = [];
    const fetchApi = {
      fetch: async (url: any) => {
        urls.push(String(url));
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
    expect(urls).toEqual([
      'http://backend/api/shipshape/entities/component/default/payments-api/ownership',
      'http://backend/api/shipshape/ownership/summary?limit=10&offset=20',
      'http://backend/api/shipshape/entities/component/default/orders-api/slos',
      'http://backend/api/shipshape/slos/burning?limit=5',
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
