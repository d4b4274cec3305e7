import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  ClusterCostReader,
  costOfPods,
  parseCpu,
  parseMemoryGib,
  readUnitPrices,
} from './cost';
import { KubernetesClusters } from '../kubernetes/clusters';

/** A reader of app-config `kubernetes` with these config-located clusters (none: no config). */
function readerOf(clusters?: object[]) {
  const config = new ConfigReader(
    clusters
      ? {
          kubernetes: {
            clusterLocatorMethods: [{ type: 'config', clusters }],
          },
        }
      : {},
  );
  return ClusterCostReader.create({
    clusters: KubernetesClusters.fromConfig(config),
    logger: mockServices.logger.mock(),
    prices: readUnitPrices(config),
  });
}

describe('cost arithmetic', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseCpu('250m')).toBeCloseTo(0.25);
    expect(parseCpu('2')).toBe(2);
    expect(parseCpu('garbage')).toBe(0);
    expect(parseMemoryGib('64Mi')).toBeCloseTo(0.0625);
    expect(parseMemoryGib('1Gi')).toBe(1);
    expect(parseMemoryGib('1G')).toBeCloseTo(1e9 / 2 ** 30);
    expect(parseMemoryGib('134217728')).toBeCloseTo(0.125);
  });

  it('prices requests per environment with OpenCost-like defaults, 730 h a month', () => {
    const reader = readerOf();
    expect(reader.configured).toBe(false);
    const pod = {
      cluster: 'local',
      kubernetesId: 'svc',
      cpuCores: 1,
      memoryGib: 1,
    };
    const cost = costOfPods(reader.prices, [
      { ...pod, namespace: 'production', environment: 'production' },
      { ...pod, namespace: 'production', environment: 'production' },
      { ...pod, namespace: 'staging', environment: 'staging' },
    ]);
    const perPod = (0.031611 + 0.004237) * 730;
    expect(
      cost.environments.map(e => [e.namespace, e.pods, e.monthlyUsd]),
    ).toEqual([
      ['production', 2, Math.round(2 * perPod * 100) / 100],
      ['staging', 1, Math.round(perPod * 100) / 100],
    ]);
  });

  it('reads configured unit prices, the defaults where unset', () => {
    expect(
      readUnitPrices(
        new ConfigReader({ shipshape: { cost: { cpuCoreHourUsd: 0.05 } } }),
      ),
    ).toEqual({
      cpuCoreHourUsd: 0.05,
      memoryGibHourUsd: 0.004237,
      hoursPerMonth: 730,
    });
    expect(() =>
      readUnitPrices(
        new ConfigReader({ shipshape: { cost: { cpuCoreHourUsd: 'cheap' } } }),
      ),
    ).toThrow(/shipshape.cost.cpuCoreHourUsd/);
  });

  it('says why a cluster it cannot use is left out, without its token', () => {
    const reader = readerOf([
      { name: 'oidc', url: 'https://x', authProvider: 'oidc' },
    ]);
    expect(reader.configured).toBe(true);
    return expect(reader.snapshot()).resolves.toEqual({
      pods: [],
      objects: [],
      errors: [
        {
          cluster: 'oidc',
          message:
            'cluster oidc: the cost estimate needs authProvider serviceAccount with a serviceAccountToken',
        },
      ],
    });
  });

  it('reports a cluster it cannot reach, without its token, instead of a zero', async () => {
    const reader = readerOf([
      {
        name: 'down',
        url: 'https://127.0.0.1:1',
        authProvider: 'serviceAccount',
        skipTLSVerify: true,
        serviceAccountToken: 'secret-token-value',
      },
    ]);
    const snapshot = await reader.snapshot();
    expect(snapshot.pods).toEqual([]);
    expect(snapshot.errors).toEqual([
      {
        cluster: 'down',
        message: expect.stringMatching(/^cluster down could not be read/),
      },
    ]);
    expect(JSON.stringify(snapshot)).not.toContain('secret-token-value');
  });
});
