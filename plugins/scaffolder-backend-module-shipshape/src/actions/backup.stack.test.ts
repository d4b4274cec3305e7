import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
// Test-only: the real Shipshape backend needs a catalog and a permission decision.
// eslint-disable-next-line @backstage/no-undeclared-imports
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// eslint-disable-next-line @backstage/no-undeclared-imports
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import os from 'os';
import path from 'path';
/* eslint-disable @backstage/no-relative-monorepo-imports */
import { shipshapePlugin } from '../../../shipshape-backend/src/plugin';
import { readLocalStack } from '../../../shipshape-backend/src/testUtils/stack';
/* eslint-enable @backstage/no-relative-monorepo-imports */
import { createBackupAction, createRestoreDrillAction } from './backup';

jest.setTimeout(120_000);

// The real Shipshape backend (backups against the local stack's PostgreSQL), called by the
// actions over HTTP as the initiating user.
describe('shipshape:backup:create and shipshape:backup:restore-drill', () => {
  const stack = readLocalStack();
  const OWNER = 'user:default/owner-user';
  let server: any;

  beforeAll(async () => {
    process.env.SHIPSHAPE_ACTION_TEST_PG = stack.postgres.password;
    process.env.SHIPSHAPE_ACTION_TEST_PG_SU = stack.postgres.superuserPassword;
    const conn = {
      host: stack.postgres.host,
      port: stack.postgres.port,
      user: stack.postgres.user,
      database: 'payments',
      passwordEnv: 'SHIPSHAPE_ACTION_TEST_PG',
    };
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: {
            shipshape: {
              backup: {
                binDir: stack.postgres.binDir,
                storage: {
                  type: 'local',
                  directory: fs.mkdtempSync(
                    path.join(os.tmpdir(), 'shipshape-action-backup-'),
                  ),
                },
                drill: {
                  connection: {
                    ...conn,
                    user: stack.postgres.superuser,
                    database: 'postgres',
                    passwordEnv: 'SHIPSHAPE_ACTION_TEST_PG_SU',
                  },
                },
                targets: [{ name: 'payments-db', connection: conn }],
              },
            },
          },
        }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(() => ({
              result:
                (credentials.principal as any).userEntityRef === OWNER
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY,
            })),
        }).factory,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'payments-api',
                annotations: {
                  [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: 'payments-db',
                },
              },
              spec: {
                type: 'service',
                lifecycle: 'production',
                owner: 'team-a',
              },
            },
          ],
        }),
      ],
    }));
  });

  const deps = () => ({
    discovery: {
      getBaseUrl: async () =>
        `http://localhost:${server.address().port}/api/shipshape`,
      getExternalBaseUrl: async () => '',
    },
    auth: mockServices.auth(),
    pollIntervalMs: 100,
  });

  it('backs up and drills as the owner', async () => {
    const ctx = createMockActionContext({
      input: { entityRef: 'component:default/payments-api', reason: 'test' },
    });
    ctx.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
    await createBackupAction(deps()).handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('status', 'verified');
    const backupId = (ctx.output as jest.Mock).mock.calls.find(
      c => c[0] === 'backupId',
    )[1];

    const drill = createMockActionContext({
      input: { entityRef: 'component:default/payments-api', backupId },
    });
    drill.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
    await createRestoreDrillAction(deps()).handler(drill);
    expect(drill.output).toHaveBeenCalledWith('status', 'passed');
    expect(drill.output).toHaveBeenCalledWith('restoreMs', expect.any(Number));
  });

  it('a dry run checks entity, target and permission, and starts nothing', async () => {
    const history = async () => {
      const res = await fetch(
        `http://localhost:${
          server.address().port
        }/api/shipshape/entities/component/default/payments-api/backups`,
        { headers: { Authorization: mockCredentials.user.header(OWNER) } },
      );
      return ((await res.json()) as any).items.length;
    };
    const before = await history();
    // createMockActionContext ignores isDryRun; the scaffolder sets it on the context.
    const ctx = Object.assign(
      createMockActionContext({
        input: { entityRef: 'component:default/payments-api', reason: 'dry' },
      }),
      { isDryRun: true },
    );
    ctx.getInitiatorCredentials = async () => mockCredentials.user(OWNER);
    await createBackupAction(deps()).handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('status', 'dry-run');
    expect(ctx.output).not.toHaveBeenCalledWith('backupId', expect.anything());
    expect(await history()).toBe(before);

    const stranger = Object.assign(
      createMockActionContext({
        input: { entityRef: 'component:default/payments-api' },
      }),
      { isDryRun: true },
    );
    stranger.getInitiatorCredentials = async () =>
      mockCredentials.user('user:default/stranger');
    await expect(
      createRestoreDrillAction(deps()).handler(stranger),
    ).rejects.toThrow(
      'Shipshape answered 403: You may not run a restore drill of component:default/payments-api (permission shipshape.operation.backup)',
    );
  });

  it('fails with the backend message for a user without the permission', async () => {
    const ctx = createMockActionContext({
      input: { entityRef: 'component:default/payments-api' },
    });
    ctx.getInitiatorCredentials = async () =>
      mockCredentials.user('user:default/stranger');
    await expect(createBackupAction(deps()).handler(ctx)).rejects.toThrow(
      'Shipshape answered 403: You may not back up component:default/payments-api (permission shipshape.operation.backup)',
    );
  });
});
