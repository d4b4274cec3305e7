import {
  TestDatabaseId,
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { shipshapePlugin } from './plugin';

jest.setTimeout(60_000);

/**
 * Bad input that once answered 500 (found by scripts/fuzz.sh) answers 4xx naming the field,
 * on SQLite and on PostgreSQL (where an oversized value reached a bounded column).
 */
describe('bad input answers 4xx naming the field', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function start(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const { server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              environments: [
                { name: 'staging', cluster: 'local', namespace: 'staging' },
              ],
            },
          },
        }),
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'svc', namespace: 'default' },
              spec: { type: 'service', owner: 'group:default/team' },
            },
          ],
        }),
      ],
    });
    return (path: string) =>
      request(server)
        .get(`/api/shipshape${path}`)
        .set('Authorization', mockCredentials.user.header());
  }

  it.each(databases.eachSupportedId())(
    'GET dr-readiness with an unknown or oversized environment answers 400 naming environment on %p',
    async databaseId => {
      const get = await start(databaseId);
      const cases: Array<[string, RegExp]> = [
        [
          'nope',
          /^environment: 'nope' is not one of shipshape\.environments \(staging\)$/,
        ],
        // at the document's limit: the route refuses it, echoing its first 63 characters
        [
          'x'.repeat(100),
          /^environment: 'x{63}' is not one of shipshape\.environments \(staging\)$/,
        ],
        // over it (and over the grades column on PostgreSQL): the document refuses it
        [
          'x'.repeat(300),
          /query\.environment: must NOT have more than 100 characters/,
        ],
      ];
      for (const [environment, message] of cases) {
        const res = await get(
          `/entities/component/default/svc/dr-readiness?environment=${environment}`,
        );
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
        expect(res.body.error.message).toMatch(message);
      }
      // a configured one, and none (production, the default), are graded as before
      expect(
        (
          await get(
            '/entities/component/default/svc/dr-readiness?environment=staging',
          )
        ).status,
      ).toBe(200);
      expect(
        (await get('/entities/component/default/svc/dr-readiness')).status,
      ).toBe(200);
    },
  );
});
