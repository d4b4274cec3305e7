/**
 * Overhead of the ownership checks on a deploy, on the local stack's real cluster (not part of
 * the normal test run): the same deploy planning call (find the entity's workloads with the
 * operator token, work out the change) with and without the checks (environment allow-list,
 * namespace read, workload evidence, the catalog query for other claims), alternated,
 * BENCH_RUNS times each (default 40). The catalog is the in-memory catalogServiceMock, so the
 * figure is the cluster part plus the check's own work; a real catalog adds one HTTP query.
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/claims.bench.ts' --testTimeout 600000
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { performance } from 'perf_hooks';
import { KubernetesClusters } from '../plugins/shipshape-backend/src/kubernetes/clusters';
import { WorkloadOwnership } from '../plugins/shipshape-backend/src/kubernetes/placement';
import { planDeploy } from '../plugins/shipshape-backend/src/rollout/plan';
import { testComponent } from '../plugins/shipshape-backend/src/rollout/__testUtils__/api';
import {
  kubectl,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
/** Other components in the catalog the claim query filters (the in-memory catalog scans them). */
const CATALOG_SIZE = Number(process.env.BENCH_CATALOG_SIZE ?? 500);
const NS = `shipshape-bench-claims-${process.pid}`;

function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe('ownership check overhead', () => {
  beforeAll(() => {
    kubectl(['create', 'namespace', NS]);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: 'bench-app',
        namespace: NS,
        kubernetesId: 'bench-app',
        image: 'registry.example.test/shipshape/bench:1.0.0',
      }),
    );
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('plans a deploy with and without the ownership checks', async () => {
    const clusters = KubernetesClusters.fromConfig(
      new ConfigReader(testConfig([{ name: 'bench', namespace: NS }])),
    );
    const entity = testComponent('bench-app', 'bench-app');
    const ownership = WorkloadOwnership.create({
      // other components, so the claim query filters a catalog of some size
      catalog: catalogServiceMock({
        entities: [
          entity,
          ...Array.from({ length: CATALOG_SIZE }, (_, i) =>
            testComponent(`svc-${i}`, `svc-${i}`),
          ),
        ],
      }),
      auth: mockServices.auth(),
    });
    const req = {
      workload: { kubernetesId: 'bench-app' },
      environment: 'bench',
      tag: '1.1.0',
    };
    const variants = {
      without: async () => {},
      with: ownership.of(entity),
    };
    const times: Record<keyof typeof variants, number[]> = {
      without: [],
      with: [],
    };
    for (let i = 0; i < 5; i++) {
      for (const check of Object.values(variants)) {
        await planDeploy(clusters, req, check); // warm-up (TLS, client)
      }
    }
    for (let i = 0; i < RUNS; i++) {
      for (const name of ['without', 'with'] as const) {
        const t0 = performance.now();
        const { changes } = await planDeploy(clusters, req, variants[name]);
        times[name].push(performance.now() - t0);
        expect(changes).toHaveLength(1);
      }
    }
    const result = {
      bench: 'ownership-check-overhead',
      runs: RUNS,
      catalogSize: CATALOG_SIZE + 1,
      withoutMs: +median(times.without).toFixed(2),
      withMs: +median(times.with).toFixed(2),
      ratioMedian: +(median(times.with) / median(times.without)).toFixed(2),
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(result));
  });
});
