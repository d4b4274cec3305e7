import { startUnconfiguredBackend } from '@internal/shipshape-test-utils';
import request from 'supertest';
import { shipshapePlugin } from './plugin';

jest.setTimeout(60_000);

/**
 * A portal that installed the plugin and set nothing under `shipshape.*`: each card's endpoint
 * answers with an error body naming the key to set, which the cards show with a docs link.
 */
describe('the backend without shipshape configuration', () => {
  it('names the missing key for the SLO, rollout, DR and cost parts', async () => {
    const { server } = await startUnconfiguredBackend(shipshapePlugin);
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
