import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { shipshapePlugin } from './plugin';

jest.setTimeout(60_000);

/** The plugin started with these clusters (config locator), this shipshape.* and no entities. */
async function startWith(clusters: object[], shipshape: object) {
  const logger = mockServices.logger.mock();
  await startTestBackend({
    features: [
      shipshapePlugin,
      logger.factory,
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: {
          kubernetes: { clusterLocatorMethods: [{ type: 'config', clusters }] },
          shipshape,
        },
      }),
    ],
  });
  return logger;
}

/**
 * Misconfiguration the backend can see at start is said at start, one error line each naming the
 * key, and the backend still starts (the parts that do not depend on it keep working).
 */
describe('configuration errors found at start', () => {
  it('an environment on an unknown cluster and a target variable that is not set: one line each', async () => {
    delete process.env.SHIPSHAPE_TEST_UNSET_PASSWORD;
    const logger = await startWith(
      [
        {
          name: 'local',
          url: 'https://127.0.0.1:1',
          authProvider: 'serviceAccount',
        },
      ],
      {
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
    );
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

  it('operator tokens: a shipshape.kubernetes.clusters name no cluster has, a token file that does not exist, an environment without one: one line each', async () => {
    const logger = await startWith(
      [
        { name: 'local', url: 'https://127.0.0.1:1' },
        { name: 'edge', url: 'https://127.0.0.1:2' },
      ],
      {
        kubernetes: {
          clusters: [
            {
              name: 'local',
              operatorServiceAccountTokenFile:
                '/nonexistent/shipshape/operator-token',
            },
            { name: 'lcoal', operatorServiceAccountToken: 'secret' },
          ],
        },
        environments: [
          { name: 'staging', cluster: 'local', namespace: 'staging' },
          { name: 'edge', cluster: 'edge', namespace: 'edge' },
          {
            name: 'edge-ops',
            cluster: 'edge',
            namespace: 'ops',
            operatorToken: 'secret',
          },
        ],
      },
    );
    const errors = logger.error.mock.calls.map(c => String(c[0]));
    expect(errors).toEqual([
      "shipshape.kubernetes.clusters[name=local].operatorServiceAccountTokenFile is '/nonexistent/shipshape/operator-token', which does not exist",
      'shipshape.kubernetes.clusters[name=lcoal] is not a cluster of kubernetes.clusterLocatorMethods (type config); known: local, edge',
    ]);
    const warnings = logger.warn.mock.calls
      .map(c => String(c[0]))
      .filter(l => l.includes('operator token'));
    expect(warnings).toEqual([
      'shipshape.environments[name=edge] has no operator token, so deploy, rollback and the other writes there are refused: set shipshape.environments[name=edge].operatorToken(File) or shipshape.kubernetes.clusters[name=edge].operatorServiceAccountToken(File)',
    ]);
  });
});
