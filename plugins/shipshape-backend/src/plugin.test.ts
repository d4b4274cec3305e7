import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { shipshapePlugin } from './plugin';

jest.setTimeout(60_000);

describe('shipshape backend plugin', () => {
  const databases = TestDatabases.create({
    ids: ['SQLITE_3', 'POSTGRES_15'],
  });

  it.each(databases.eachSupportedId())(
    'starts, migrates its database and answers health on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startTestBackend({
        features: [shipshapePlugin, mockServices.database.factory({ knex })],
      });
      const res = await request(server).get('/api/shipshape/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(await knex.schema.hasTable('shipshape_operations')).toBe(true);
      expect(await knex.schema.hasTable('shipshape_operation_log')).toBe(true);
    },
  );
});
