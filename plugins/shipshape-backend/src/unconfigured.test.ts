import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { shipshapePlugin } from './plugin';

jest.setTimeout(60_000);

/**
 * A portal that installed the plugin and set nothing under `shipshape.*`: each card's endpoint
 * answers with an error body naming the key to set, which the cards show with a docs link.
 */
describe('the backend without shipshape configuration', () => {
  it('names the missing key for the SLO, rollout, DR and cost parts', async () => {
    const { server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: {} }),
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'orders-api',
                namespace: 'default',
                annotations: {
                  'backstage.io/kubernetes-id': 'orders-api',
                  'shipshape.dev/slo': 'availability=99.9%',
                  'shipshape.dev/backup-target': 'orders-db',
                },
              },
              spec: { type: 'service', owner: 'group:default/orders-team' },
            },
          ],
        }),
      ],
    });
    const get = (path: string) =>
      request(server).get(
        `/api/shipshape/entities/component/default/orders-api/${path}`,
      );

    const slos = await get('slos');
    expect(slos.status).toBe(400);
    expect(slos.body.error).toMatchObject({
      name: 'InputError',
      message: expect.stringContaining('shipshape.prometheus.instances'),
    });

    const rollout = await get('rollout');
    expect(rollout.status).toBe(400);
    expect(rollout.body.error.message).toBe(
      'No environments are configured: set shipshape.environments in app-config (each a name, a cluster from kubernetes.clusterLocatorMethods and a namespace)',
    );

    // What the DR card reads: the entity names a target this backend does not have.
    const readiness = await get('dr-readiness');
    expect(readiness.status).toBe(200);
    expect(
      readiness.body.checks.find((c: any) => c.id === 'backup-target').fix,
    ).toContain('shipshape.backup.targets');

    // Ownership still answers: the cost part says that no environment is configured.
    const ownership = await get('ownership');
    expect(ownership.status).toBe(200);
    expect(ownership.body.cost).toEqual({ status: 'no-cluster' });
  });
});
