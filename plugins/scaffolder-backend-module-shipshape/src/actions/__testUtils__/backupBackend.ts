import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
// Test-only: the real Shipshape backend needs a catalog and a permission decision.
// eslint-disable-next-line @backstage/no-undeclared-imports
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// eslint-disable-next-line @backstage/no-undeclared-imports
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import os from 'os';
import path from 'path';
// The real backend the actions call (a test-only devDependency; the module itself uses HTTP).
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import {
  readLocalStack,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';

/**
 * Starts the real Shipshape backend with backups of the local stack's PostgreSQL: target
 * payments-db (database payments) on component:default/payments-api, in a fresh local
 * storage directory, where only `owner` is allowed. `name` tells the test's password
 * variables and storage directory apart. Returns the server and the backup actions' deps.
 */
const storageDirs: string[] = [];
afterAll(() => {
  for (const d of storageDirs) fs.rmSync(d, { recursive: true, force: true });
});

export async function startBackupBackend(owner: string, name: string) {
  const storageDir = fs.mkdtempSync(
    path.join(os.tmpdir(), `shipshape-${name}-backup-`),
  );
  storageDirs.push(storageDir);
  const stack = readLocalStack();
  const pgEnv = `SHIPSHAPE_${name.toUpperCase()}_TEST_PG`;
  process.env[pgEnv] = stack.postgres.password;
  process.env[`${pgEnv}_DRILL`] = stack.postgres.drillPassword;
  const conn = stackPaymentsConnection(pgEnv);
  const { server } = await startTestBackend({
    features: [
      shipshapePlugin,
      mockServices.rootConfig.factory({
        data: {
          shipshape: {
            backup: {
              binDir: stack.postgres.binDir,
              storage: {
                type: 'local',
                directory: storageDir,
              },
              drill: {
                connection: {
                  ...conn,
                  user: stack.postgres.drillUser,
                  database: 'postgres',
                  passwordEnv: `${pgEnv}_DRILL`,
                },
              },
              targets: [
                {
                  name: 'payments-db',
                  connection: conn,
                  allowedEntities: ['component:default/payments-api'],
                },
              ],
            },
          },
        },
      }),
      mockServices.permissions.mock({
        authorize: async (requests, { credentials }) =>
          requests.map(() => ({
            result:
              (credentials.principal as any).userEntityRef === owner
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
            spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
          },
        ],
      }),
    ],
  });
  const baseUrl = `http://localhost:${
    (server.address() as { port: number }).port
  }/api/shipshape`;
  const deps = () => ({
    discovery: {
      getBaseUrl: async () => baseUrl,
      getExternalBaseUrl: async () => '',
    },
    auth: mockServices.auth(),
    pollIntervalMs: 100,
  });
  return { server, baseUrl, deps };
}
