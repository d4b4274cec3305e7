/**
 * Measures, on the local stack's real cluster (not part of the normal test run):
 *  1. completion-detection latency of Shipshape's watch-based rollout follower against
 *     `kubectl rollout status`, run side by side on the same rollouts (BENCH_RUNS, default 6);
 *  2. latency of GET /entities/.../rollout for an entity in 3 clusters with 5 workloads each,
 *     and with one of the 3 clusters not answering (a TCP listener that never replies).
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/rollout.bench.ts' --testTimeout 1800000
 *
 * Prints JSON lines with the figures (see docs/operations.md for the last run).
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import net from 'net';
import request from 'supertest';
import { KubernetesClusters } from '../plugins/shipshape-backend/src/kubernetes/clusters';
import {
  readStackKubernetes,
  kubectl,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';
import { commandDone, followerAgainst, stats } from './measure';

const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const NS = `shipshape-bench-${process.pid}`;
const REPO = 'registry.example.test/shipshape/bench';

function kubectlRolloutStatus(name: string, started: number): Promise<number> {
  const k = readStackKubernetes();
  return commandDone(
    k.kubectl,
    [
      '--kubeconfig',
      k.adminKubeconfig,
      '-n',
      NS,
      'rollout',
      'status',
      `deploy/${name}`,
      '--timeout=120s',
    ],
    started,
  );
}

describe('rollout benchmarks', () => {
  beforeAll(() => {
    kubectl(['create', 'namespace', NS]);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('detects rollout completion as fast as kubectl rollout status', async () => {
    const name = 'watch-bench';
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name,
        namespace: NS,
        kubernetesId: name,
        image: `${REPO}:0`,
        replicas: 3,
      }),
    );
    kubectl(['-n', NS, 'rollout', 'status', `deploy/${name}`, '--timeout=60s']);
    const clusters = KubernetesClusters.fromConfig(
      new ConfigReader(testConfig([{ name: 'bench', namespace: NS }])),
    );
    const client = clusters.operator(clusters.environment('bench'));
    const { engine, other: kubectlMs } = await followerAgainst({
      runs: RUNS,
      client,
      namespace: NS,
      name,
      repo: REPO,
      setImage: async image => {
        const patched = await client.apps.patchNamespacedDeployment(
          {
            name,
            namespace: NS,
            body: [
              {
                op: 'replace',
                path: '/spec/template/spec/containers/0/image',
                value: image,
              },
            ],
          },
          // eslint-disable-next-line @typescript-eslint/no-var-requires
          require('@kubernetes/client-node').setHeaderOptions(
            'Content-Type',
            'application/json-patch+json',
          ),
        );
        return patched.metadata!.generation!;
      },
      other: t0 => kubectlRolloutStatus(name, t0),
    });
    const runs = engine.map((w, i) => ({
      run: i + 1,
      engineMs: Math.round(w),
      kubectlMs: Math.round(kubectlMs[i]),
    }));
    const result = {
      bench: 'rollout-completion-detection',
      runs,
      engine: stats(engine),
      kubectl: stats(kubectlMs),
      ratioMedian: +(stats(engine).p50 / stats(kubectlMs).p50).toFixed(2),
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(result));
    expect(engine).toHaveLength(RUNS);
  });

  it('answers the rollout endpoint for 3 clusters x 5 workloads, and within the timeout when one hangs', async () => {
    const k = readStackKubernetes();
    const base = testConfig([]);
    const reader = base.kubernetes.clusterLocatorMethods[0].clusters[0];
    // A cluster that accepts connections and never answers.
    const sockets: net.Socket[] = [];
    const blackhole = net.createServer(s => sockets.push(s));
    await new Promise<void>(r => blackhole.listen(0, '127.0.0.1', r));
    const holePort = (blackhole.address() as net.AddressInfo).port;

    for (let c = 1; c <= 3; c++) {
      const ns = `${NS}-c${c}`;
      kubectl(['create', 'namespace', ns]);
      for (let w = 0; w < 5; w++) {
        kubectl(
          ['apply', '-f', '-'],
          testDeployment({
            name: `svc-w${w}`,
            namespace: ns,
            kubernetesId: 'bench-svc',
            image: `${REPO}:1.0.${w}`,
            replicas: 2,
          }),
        );
      }
    }
    const timeoutSeconds = 2;
    const configFor = (hang: boolean) => ({
      ...base,
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [1, 2, 3].map(c => ({
              ...reader,
              name: `c${c}`,
              ...(hang && c === 3
                ? {
                    url: `https://127.0.0.1:${holePort}`,
                    skipTLSVerify: true,
                    caFile: undefined,
                  }
                : {}),
            })),
          },
        ],
      },
      shipshape: {
        ...base.shipshape,
        kubernetes: {
          clusters: [1, 2, 3].map(c => ({
            name: `c${c}`,
            operatorServiceAccountTokenFile: k.operatorTokenFile,
          })),
        },
        environments: [1, 2, 3].map(c => ({
          name: `env${c}`,
          cluster: `c${c}`,
          namespace: `${NS}-c${c}`,
        })),
        rollout: { statusTimeoutSeconds: timeoutSeconds },
      },
    });
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'bench-svc',
        namespace: 'default',
        annotations: { 'backstage.io/kubernetes-id': 'bench-svc' },
      },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: 'group:default/x',
      },
    };
    const results: object[] = [];
    try {
      for (const hang of [false, true]) {
        const backend = await startTestBackend({
          features: [
            shipshapePlugin,
            mockServices.rootConfig.factory({ data: configFor(hang) }),
            catalogServiceMock.factory({ entities: [entity] }),
          ],
        } as any);
        const server = backend.server;
        try {
          const times: number[] = [];
          let last: any;
          for (let i = 0; i < (hang ? 8 : 30); i++) {
            const t0 = performance.now();
            const res = await request(server)
              .get(
                '/api/shipshape/entities/component/default/bench-svc/rollout',
              )
              .set('Authorization', mockCredentials.user.header());
            times.push(performance.now() - t0);
            expect(res.status).toBe(200);
            last = res.body;
          }
          const envs = last.environments.map((e: any) => ({
            env: e.environment,
            status: e.status,
            workloads: e.workloads.length,
            ms: e.durationMs,
          }));
          results.push({
            bench: 'rollout-endpoint',
            clusters: 3,
            workloadsPerCluster: 5,
            oneClusterHanging: hang,
            perClusterTimeoutMs: timeoutSeconds * 1000,
            latency: stats(times.slice(1)),
            firstRequestMs: Math.round(times[0]),
            environments: envs,
          });
          // Every cluster answers with its 5 workloads, but the hanging third: unreachable,
          // and no request waits much longer than the per-cluster timeout for it.
          expect(
            envs.map((e: any) =>
              e.status === 'ok' ? `ok ${e.workloads}` : e.status,
            ),
          ).toEqual(['ok 5', 'ok 5', hang ? 'unreachable' : 'ok 5']);
          expect(stats(times).max).toBeLessThan(timeoutSeconds * 1000 + 1500);
        } finally {
          await backend.stop();
        }
      }
    } finally {
      for (const s of sockets) s.destroy();
      blackhole.close();
      for (let c = 1; c <= 3; c++)
        kubectl(['delete', 'namespace', `${NS}-c${c}`, '--wait=false']);
    }
    // eslint-disable-next-line no-console
    for (const r of results) console.log(JSON.stringify(r));
  });
});
