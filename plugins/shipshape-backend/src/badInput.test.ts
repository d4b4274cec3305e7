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
import { testComponent } from './rollout/__testUtils__/api';

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
            testComponent('svc'),
            testComponent('bad-id', 'not a label value!'),
            testComponent('long-id', 'x'.repeat(64)),
          ],
        }),
      ],
    });
    const get = (path: string) =>
      request(server)
        .get(`/api/shipshape${path}`)
        .set('Authorization', mockCredentials.user.header());
    const post = (path: string, body: object) =>
      request(server)
        .post(`/api/shipshape${path}`)
        .set('Authorization', mockCredentials.user.header())
        .send(body);
    return { get, post };
  }

  it.each(databases.eachSupportedId())(
    'GET dr-readiness with an unknown or oversized environment answers 400 naming environment on %p',
    async databaseId => {
      const { get } = await start(databaseId);
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
  it.each(databases.eachSupportedId())(
    'an invalid kubernetes-id answers 400 naming the annotation (rollout, deploy, rollback, pause) on %p',
    async databaseId => {
      const { get, post } = await start(databaseId);
      for (const [name, shown] of [
        ['bad-id', 'not a label value!'],
        ['long-id', 'x'.repeat(64)],
      ]) {
        const expected = `backstage.io/kubernetes-id of component:default/${name} is '${shown}'; expected a Kubernetes label value`;
        const path = `/entities/component/default/${name}`;
        const answers = [
          await get(`${path}/rollout`),
          await post(`${path}/deploy`, {
            environment: 'staging',
            tag: '1.2.3',
            dryRun: true,
          }),
          await post(`${path}/rollback`, {
            environment: 'staging',
            dryRun: true,
          }),
          await post(`${path}/pause`, { environment: 'staging', dryRun: true }),
        ];
        for (const res of answers) {
          expect(res.status).toBe(400);
          expect(res.body.error.name).toBe('InputError');
          expect(res.body.error.message).toContain(expected);
        }
      }
    },
  );
});
