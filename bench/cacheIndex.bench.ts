/**
 * Measures (no cluster needed): one entity's read from the workload watches' cache
 * (`WorkloadCache.entityObjects`, what the rollout status reads per environment) in a namespace
 * holding many services. The watches are filled by their real list code (`ListWatch`, from a
 * list function that answers generated objects) and marked synced; no request is sent.
 * IDS services, each with a Deployment, 2 ReplicaSets and 3 Pods; every tenth also with an Argo
 * Rollout and 3 AnalysisRuns it owns. Per read: p50/p95/mean in microseconds.
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/cacheIndex.bench.ts'
 *
 * BENCH_IDS (default 2000) services, BENCH_READS (default 2000) reads.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { WorkloadCache } from '../plugins/shipshape-backend/src/kubernetes/cache';
import * as watch from '../plugins/shipshape-backend/src/kubernetes/watch';
import {
  DEFAULT_WATCH_TIMINGS,
  ListWatch,
  WatchedObject,
} from '../plugins/shipshape-backend/src/kubernetes/watch';

const IDS = Number(process.env.BENCH_IDS ?? 2000);
const READS = Number(process.env.BENCH_READS ?? 2000);
const NS = 'bench';
const LABEL = 'backstage.io/kubernetes-id';

function objects(resource: string): WatchedObject[] {
  const out: any[] = [];
  for (let i = 0; i < IDS; i++) {
    const id = `svc-${i}`;
    const meta = (name: string, extra: object = {}) => ({
      name,
      namespace: NS,
      uid: `${resource}-${name}`,
      labels: { [LABEL]: id, app: id },
      resourceVersion: '1',
      ...extra,
    });
    const canary = i % 10 === 0;
    if (resource === 'deployments') out.push({ metadata: meta(id) });
    if (resource === 'replicasets') {
      for (const h of ['a', 'b']) out.push({ metadata: meta(`${id}-${h}`) });
    }
    if (resource === 'pods') {
      for (const p of ['x', 'y', 'z']) {
        out.push({ metadata: meta(`${id}-a-${p}`), spec: {}, status: {} });
      }
    }
    if (resource === 'rollouts' && canary) {
      out.push({ metadata: meta(`${id}-canary`) });
    }
    if (resource === 'analysisruns' && canary) {
      for (const r of [1, 2, 3]) {
        out.push({
          metadata: {
            ...meta(`${id}-canary-${r}`),
            labels: {},
            ownerReferences: [{ uid: `rollouts-${id}-canary` }],
          },
          status: { phase: 'Successful', metricResults: [] },
        });
      }
    }
  }
  return out;
}

describe('the workload cache read of one entity', () => {
  it('reads one entity among many', async () => {
    const logger = mockServices.logger.mock();
    const resources = [
      'deployments',
      'replicasets',
      'pods',
      'rollouts',
      'analysisruns',
    ];
    const watches: ListWatch[] = [];
    for (const resource of resources) {
      const items = objects(resource);
      const target = {
        client: { cluster: 'bench' },
        resource,
        namespace: NS,
        what: `${resource} in namespace ${NS}`,
        path: `/${resource}`,
        labelSelector: LABEL,
        // the index keys of workloadWatchTargets (where the cache has an index)
        indexKeys:
          resource === 'analysisruns'
            ? (watch as any).ownerKeys
            : (watch as any).entityKeys,
        list: async () => ({ items, metadata: { resourceVersion: '1' } }),
      } as any;
      const w = new ListWatch(
        target,
        () => {},
        logger,
        { ...DEFAULT_WATCH_TIMINGS, requestTimeoutMs: 1000 },
        true,
      );
      await (w as any).relist(false);
      (w as any).current = true;
      watches.push(w);
    }
    const cache = new (WorkloadCache as any)(watches) as WorkloadCache;
    const read = (i: number) => cache.entityObjects('bench', NS, `svc-${i}`)!;
    const one = read(10);
    expect(one.deployments).toHaveLength(1);
    expect(one.pods).toHaveLength(3);
    expect(one.rollouts).toHaveLength(1);
    for (let i = 0; i < 200; i++) read(i % IDS); // warm up
    const us: number[] = [];
    for (let i = 0; i < READS; i++) {
      const t = process.hrtime.bigint();
      read((i * 7919) % IDS);
      us.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    const s = [...us].sort((a, b) => a - b);
    const q = (p: number) => s[Math.floor(p * (s.length - 1))];
    const figures = {
      ids: IDS,
      objects: watches.reduce((n, w) => n + [...w.objects()].length, 0),
      reads: READS,
      p50_us: Math.round(q(0.5)),
      p95_us: Math.round(q(0.95)),
      mean_us: Math.round(us.reduce((a, b) => a + b, 0) / us.length),
      analysisRunsInAnswer: 'analysisRuns' in one,
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(figures));
  });
});
