/**
 * Measures, on the local stack's real cluster and Argo Rollouts controller (not part of the
 * normal test run): completion-detection latency of Shipshape's watch-based follower on an
 * Argo Rollout against `kubectl argo rollouts status` (the real plugin, built by
 * scripts/stack/build-tools.sh), run side by side on the same canary (BENCH_RUNS, default 6).
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/argo.bench.ts' --testTimeout 1800000
 *
 * Prints a JSON line with the figures (see docs/operations.md for the last run).
 */
import { ConfigReader } from '@backstage/config';
import * as k8s from '@kubernetes/client-node';
import path from 'path';
import { KubernetesClusters } from '../plugins/shipshape-backend/src/kubernetes/clusters';
import {
  kubectl,
  readStackKubernetes,
  testConfig,
  testRollout,
  waitRolloutPhase,
} from '@internal/shipshape-test-utils';
import { commandDone, followerAgainst, stats } from './measure';

const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const NS = `shipshape-argo-bench-${process.pid}`;
const REPO = 'registry.example.test/shipshape/argo-bench';

function argoStatus(name: string, started: number): Promise<number> {
  const k = readStackKubernetes();
  const plugin = path.join(path.dirname(k.kubectl), 'kubectl-argo-rollouts');
  return commandDone(
    plugin,
    [
      '--kubeconfig',
      k.adminKubeconfig,
      '-n',
      NS,
      'status',
      name,
      '--timeout',
      '120s',
    ],
    started,
  );
}

describe('argo rollouts benchmark', () => {
  beforeAll(() => {
    kubectl(['create', 'namespace', NS]);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('detects a canary Rollout completing as fast as kubectl argo rollouts status', async () => {
    const name = 'canary-bench';
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        name,
        namespace: NS,
        kubernetesId: name,
        image: `${REPO}:0`,
        replicas: 3,
        steps: [{ setWeight: 34 }, { pause: { duration: '1s' } }],
      }),
    );
    waitRolloutPhase(NS, name, 'Healthy');
    const clusters = KubernetesClusters.fromConfig(
      new ConfigReader(testConfig([{ name: 'bench', namespace: NS }])),
    );
    const client = clusters.operator(clusters.environment('bench'));
    const custom = client.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const { engine, other: plugin } = await followerAgainst({
      runs: RUNS,
      client,
      namespace: NS,
      name,
      kind: 'Rollout',
      repo: REPO,
      setImage: async image => {
        const patched = await custom.patchNamespacedCustomObject(
          {
            group: 'argoproj.io',
            version: 'v1alpha1',
            plural: 'rollouts',
            namespace: NS,
            name,
            body: [
              {
                op: 'replace',
                path: '/spec/template/spec/containers/0/image',
                value: image,
              },
            ],
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
        );
        return patched.metadata.generation;
      },
      other: t0 => argoStatus(name, t0),
    });
    const runs = engine.map((w, i) => ({
      run: i + 1,
      engineMs: Math.round(w),
      pluginMs: Math.round(plugin[i]),
    }));
    const result = {
      bench: 'argo-rollout-completion-detection',
      runs,
      engine: stats(engine),
      kubectlArgoRolloutsStatus: stats(plugin),
      ratioMedian: +(stats(engine).p50 / stats(plugin).p50).toFixed(2),
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(result));
    expect(engine).toHaveLength(RUNS);
  });
});
