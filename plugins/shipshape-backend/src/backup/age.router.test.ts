import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import { componentWith } from '../rollout/__testUtils__/api';

jest.setTimeout(60_000);

// GET /entities/.../backup-age through the plugin (SQLite, no backup recorded yet): the RPO
// as the grade takes it, the window and points asked, and bad parameters named.
describe('GET backup-age', () => {
  let server: any;
  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              backup: {
                storage: { type: 'local', directory: '/tmp/ss-age-router' },
                targets: [
                  {
                    name: 'orders-db',
                    connection: { host: 'db', user: 'u' },
                    allowedEntities: ['component:default/orders-api'],
                  },
                ],
              },
            },
          },
        }),
        catalogServiceMock.factory({
          entities: [
            componentWith('orders-api', {
              'shipshape.dev/backup-target': 'orders-db',
              'shipshape.dev/rpo': '4h',
            }),
            componentWith('plain', {}),
          ],
        }),
      ],
    }));
  });
  const get = (path: string) =>
    request(server)
      .get(`/api/shipshape/entities/component/default/${path}`)
      .set('Authorization', mockCredentials.user.header());

  it('answers the window with gaps and the RPO before any backup', async () => {
    const res = await get('orders-api/backup-age?days=1&points=24');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      target: 'orders-db',
      rpoSeconds: 4 * 3600,
      step: 3600,
      verified: 0,
      failed: 0,
    });
    expect(res.body.ageSeconds).toBeUndefined();
    expect(res.body.to - res.body.from).toBe(86400);
    expect(res.body.points).toHaveLength(24);
    expect(res.body.points.every((p: any) => p.value === null)).toBe(true);
    // the defaults: 7 days, at most 120 points
    const defaults = await get('orders-api/backup-age');
    expect(defaults.body.points).toHaveLength(120);
    expect(defaults.body.to - defaults.body.from).toBe(120 * 5040);
  });

  it('names a bad parameter and a missing backup target', async () => {
    const days = await get('orders-api/backup-age?days=0');
    expect(days.status).toBe(400);
    expect(days.body.error.message).toMatch(/days/);
    const points = await get('orders-api/backup-age?points=5000');
    expect(points.status).toBe(400);
    expect(points.body.error.message).toMatch(/points/);
    const plain = await get('plain/backup-age');
    expect(plain.status).toBeGreaterThanOrEqual(400);
    expect(plain.status).toBeLessThan(500);
    expect(plain.body.error.message).toMatch(/shipshape\.dev\/backup-target/);
  });
});
