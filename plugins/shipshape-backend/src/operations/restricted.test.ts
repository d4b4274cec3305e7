import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { shipshapeBackupPermission } from '@shipshape/plugin-shipshape-common';
import express from 'express';
import request from 'supertest';
import { redactOperation } from '../backup/redact';
import { createOpenApiRouter } from '../schema/router';
import { createOperationsRouter } from './router';
import { OperationStore } from './store';
import { databases, migrated } from './__testUtils__/databases';

jest.setTimeout(60_000);

const ENTITY = 'component:default/x';

/** The operations routes as the plugin mounts them, for a caller who holds or lacks the backup permission. */
function app(
  store: OperationStore,
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) {
  const api = createOpenApiRouter();
  api.use(
    createOperationsRouter({
      store,
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions({ result }),
      catalog: catalogServiceMock({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name: 'x', namespace: 'default' },
            spec: {},
          },
        ],
      }),
      restricted: {
        backup: {
          permission: shipshapeBackupPermission,
          redact: redactOperation,
        },
      },
    }),
  );
  return express().use(api).use(mockErrorHandler());
}

/** A failed backup with two log lines naming a host and a user. */
async function failedBackup(store: OperationStore) {
  const op = await store.create({
    kind: 'backup',
    entityRef: ENTITY,
    target: 'backup/x/payments-db',
    requestedBy: 'user:default/a',
    input: { target: 'payments-db', method: 'pg_dump', manifestKey: 'k/1' },
  });
  await store.claim(op.id, 'i1');
  await store.appendLog(op.id, 'info', 'pg_dump of db.internal:5432 started');
  await store.appendLog(
    op.id,
    'error',
    'password authentication failed for user "app"',
  );
  await store.finish(
    op.id,
    'failed',
    { failedStep: 'dump' },
    'pg_dump: password authentication failed for user "app" at db.internal:5432',
  );
  return op;
}

describe('a backup operation read without shipshape.operation.backup', () => {
  it.each(databases.eachSupportedId())(
    'says the log is withheld (GET /operations/:id/log and /operations/:id), and shows the reduced view as such, on %p',
    async databaseId => {
      const store = OperationStore.create(await migrated(databaseId));
      const op = await failedBackup(store);
      const auth = mockCredentials.user.header();

      const reader = app(store, AuthorizeResult.DENY);
      const log = await request(reader)
        .get(`/operations/${op.id}/log?wait=5`)
        .set('Authorization', auth);
      expect(log.status).toBe(200);
      expect(log.body).toEqual({
        status: 'failed',
        done: true,
        lines: [],
        next: 0,
        withheld: true,
      });

      const one = await request(reader)
        .get(`/operations/${op.id}`)
        .set('Authorization', auth);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        redacted: true,
        input: { target: 'payments-db', method: 'pg_dump' },
        outcomeReason: `failed at dump (the details and the log are shown to those who may run backups of ${ENTITY})`,
        log: [],
        logWithheld: true,
      });
      expect(one.body.input.manifestKey).toBeUndefined();

      const list = await request(reader)
        .get('/entities/component/default/x/operations')
        .set('Authorization', auth);
      expect(list.body.items).toMatchObject([{ id: op.id, redacted: true }]);
      expect(JSON.stringify(list.body)).not.toMatch(/db\.internal|"app"/);

      // Who may run backups reads it all, and nothing says withheld.
      const owner = app(store, AuthorizeResult.ALLOW);
      const full = await request(owner)
        .get(`/operations/${op.id}/log`)
        .set('Authorization', auth);
      expect(full.body.withheld).toBeUndefined();
      expect(
        full.body.lines.map((l: { message: string }) => l.message),
      ).toEqual([
        'pg_dump of db.internal:5432 started',
        'password authentication failed for user "app"',
      ]);
      const whole = await request(owner)
        .get(`/operations/${op.id}`)
        .set('Authorization', auth);
      expect(whole.body.redacted).toBeUndefined();
      expect(whole.body.logWithheld).toBeUndefined();
      expect(whole.body.log).toHaveLength(2);
      expect(whole.body.input.manifestKey).toBe('k/1');
    },
  );
});
