import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { shipshapePlugin } from './plugin';

jest.setTimeout(60_000);

/**
 * Misconfiguration the backend can see at start is said at start, one error line each naming the
 * key, and the backend still starts (the parts that do not depend on it keep working).
 */
describe('configuration errors found at start', () => {
  it('an environment on an unknown cluster and a target variable that is not set: one line each', async () => {
    delete process.env.SHIPSHAPE_TEST_UNSET_PASSWORD;
    const logger = mockServices.logger.mock();
    await startTestBackend({
      features: [
        shipshapePlugin,
        logger.factory,
        catalogServiceMock.factory({ entities: [] }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    {
                      name: 'local',
                      url: 'https://127.0.0.1:1',
                      authProvider: 'serviceAccount',
                    },
                  ],
                },
              ],
            },
            shipshape: {
              environments: [
                { name: 'staging', cluster: 'local', namespace: 'staging' },
                {
                  name: 'production',
                  cluster: 'main',
                  namespace: 'production',
                },
              ],
              backup: {
                storage: {
                  type: 'local',
                  directory: '/tmp/shipshape-startup-test',
                },
                targets: [
                  {
                    name: 'payments-db',
                    connection: {
                      host: '127.0.0.1',
                      port: 5432,
                      user: 'shipshape',
                      database: 'payments',
                      passwordEnv: 'SHIPSHAPE_TEST_UNSET_PASSWORD',
                    },
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    const lines = logger.error.mock.calls.map(c => String(c[0]));
    expect(lines).toContain(
      "shipshape.environments[name=production].cluster is 'main', which is not a cluster of kubernetes.clusterLocatorMethods (type config); known: local",
    );
    expect(
      lines.filter(l => l.includes('shipshape.environments')),
    ).toHaveLength(1);
    expect(lines).toContainEqual(
      expect.stringContaining('SHIPSHAPE_TEST_UNSET_PASSWORD'),
    );
    expect(lines.every(l => !l.includes('\n'))).toBe(true);
  });
});
