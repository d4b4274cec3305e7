/**
 * Measures, on the local stack's real cluster and Argo Rollouts controller (not part of the
 * normal test run): completion-detection latency of Shipshape's watch-based follower on an
 * Argo Rollout against `kubectl argo rollouts status` (the real plugin, built by
 * scripts/stack/build-tools.sh), run side by side on the same canary (BENCH_RUNS, default 6).
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots ../../bench --testMatch '**\/argo.bench.ts' --testTimeout 1800000
 *
 * Prints a JSON line with the figures (see docs/operations.md for the last run).
 */
import { ConfigReader } from '@backstage/config';
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'child_process';
import path from 'path';
import { KubernetesClusters } from '../plugins/shipshape-backend/src/kubernetes/clusters';
import { followRollout } from '../plugins/shipshape-backend/src/rollout/follow';
import {
  kubectl,
  readStackKubernetes,
  testConfig,
  testRollout,
} from '../plugins/shipshape-backend/src/rollout/testCluster';

const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const NS = `shipshape-argo-bench-${process.pid}`;
const REPO = 'registry.example.test/shipshape/argo-bench';

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    n: s.length,
    min: Math.round(s[0]),
    p50: Math.round(q(0.5)),
    max: Math.round(s[s.length - 1]),
  };
}

function argoStatus(name: string, started: number): Promise<number> {
  const k = readStackKubernetes();
  const plugin = path.join(path.dirname(k.kubectl), 'kubectl-argo-rollouts');
  return new Promise((resolve, reject) => {
    const p = spawn(plugin, [
      '--kubeconfig',
      k.adminKubeconfig,
      '-n',
      NS,
      'status',
      name,
      '--timeout',
      '120s',
    ]);
    p.on('error', reject);
    p.on('exit', code =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`kubectl argo rollouts status exited ${code}`)),
    );
  });
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
    kubectl([
      '-n',
      NS,
      'wait',
      `rollouts.argoproj.io/${name}`,
      '--for=jsonpath={.status.phase}=Healthy',
      '--timeout=90s',
    ]);
    const clusters = KubernetesClusters.fromConfig(
      new ConfigReader(testConfig([{ name: 'bench', namespace: NS }])),
    );
    const client = clusters.operator(clusters.environment('bench'));
    const custom = client.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const engine: number[] = [];
    const plugin: number[] = [];
    const runs: object[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const image = `${REPO}:${i}`;
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
      const t0 = performance.now();
      const [w, k] = await Promise.all([
        followRollout({
          client,
          namespace: NS,
          name,
          kind: 'Rollout',
          minGeneration: patched.metadata.generation,
          expectedImages: [image],
          stallAfterMs: 60_000,
          timeoutMs: 120_000,
          signal: new AbortController().signal,
        }).then(r => {
          if (r.state !== 'complete') throw new Error(r.message);
          return performance.now() - t0;
        }),
        argoStatus(name, t0),
      ]);
      engine.push(w);
      plugin.push(k);
      runs.push({ run: i, engineMs: Math.round(w), pluginMs: Math.round(k) });
    }
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
