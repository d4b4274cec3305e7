/**
 * Measures, on the local stack's real cluster (not part of the normal test run): the rollout
 * endpoint under load, read from the cluster on every request against read from the workload
 * watches' cache, in one process on the same cluster at the same time. Two backends of the
 * plugin, both with the cluster watches on (so both carry the same background work), one with
 * `shipshape.kubernetes.statusFromWatches: false`; rounds of 20 concurrent requests for one
 * entity (2 environments, one Deployment of 2 pods each), alternating between the two backends
 * round by round so a change in the machine's load falls on both. Per-request p50/p95,
 * requests per second, and the ratios.
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/statusLoad.bench.ts' --testTimeout 1800000
 *
 * BENCH_ROUNDS (default 10) rounds per mode. Prints one JSON line with the figures.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import request from 'supertest';
import { kubectl, testConfig } from '@internal/shipshape-test-utils';
import os from 'os';
import { deployService, serviceEntity, stats } from './measure';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONCURRENCY = 20;
const NS = `shipshape-load-${process.pid}`;
const NS2 = `${NS}-b`;
const NAME = 'load-svc';
const REPO = 'registry.example.test/shipshape/load';

type Mode = 'cluster' | 'cache';

describe('the rollout endpoint under load, from the cluster and from the cache', () => {
  const servers = {} as Record<Mode, any>;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    deployService([NS, NS2], NAME, REPO);
    for (const mode of ['cluster', 'cache'] as Mode[]) {
      const data = testConfig([
        { name: 'staging', namespace: NS },
        { name: 'production', namespace: NS2 },
      ]);
      (data.shipshape.kubernetes as any).statusFromWatches = mode === 'cache';
      // the load is measured, not the deadline (the stack tests' 2 s)
      data.shipshape.rollout.statusTimeoutSeconds = 30;
      const backend = await startTestBackend({
        features: [
          shipshapePlugin,
          mockServices.rootConfig.factory({ data }),
          catalogServiceMock.factory({
            entities: [serviceEntity(NAME)],
          }),
        ],
      });
      servers[mode] = backend.server;
      stops.push(() => backend.stop());
    }
  });

  afterAll(async () => {
    await Promise.all(stops.map(s => s()));
    kubectl(['delete', 'namespace', NS, NS2, '--wait=false']);
  });

  const rollout = (mode: Mode) =>
    request(servers[mode])
      .get(`/api/shipshape/entities/component/default/${NAME}/rollout`)
      .set('Authorization', mockCredentials.user.header());

  it('answers 20 concurrent requests for one entity, both ways', async () => {
    // warm both (discovery); and the cache's watches synced: it answers as the cluster does
    for (let i = 0; ; i++) {
      const [a, b] = await Promise.all([rollout('cluster'), rollout('cache')]);
      expect(a.status).toBe(200);
      const strip = (r: any) =>
        JSON.stringify(
          r.body.environments.map((e: any) => ({ ...e, durationMs: 0 })),
        );
      if (strip(a) === strip(b)) break;
      if (i > 50) throw new Error('the two backends never agreed');
      await new Promise(r => setTimeout(r, 200));
    }
    const times: Record<Mode, number[]> = { cluster: [], cache: [] };
    const elapsed: Record<Mode, number> = { cluster: 0, cache: 0 };
    const load = os.loadavg()[0];
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of (r % 2
        ? ['cache', 'cluster']
        : ['cluster', 'cache']) as Mode[]) {
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            const s = performance.now();
            const res = await rollout(mode);
            times[mode].push(performance.now() - s);
            expect(res.status).toBe(200);
            expect(
              res.body.environments.every((e: any) => e.status === 'ok'),
            ).toBe(true);
          }),
        );
        elapsed[mode] += performance.now() - t0;
      }
    }
    const figures = (mode: Mode) => ({
      latency: stats(times[mode]),
      requestsPerSecond: +(times[mode].length / (elapsed[mode] / 1000)).toFixed(
        1,
      ),
    });
    const cluster = figures('cluster');
    const cache = figures('cache');
    // eslint-disable-next-line no-console
    console.log(
      JSON.stringify({
        bench: 'rollout-endpoint-load-cache',
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        environments: 2,
        loadAverage1m: {
          before: +load.toFixed(1),
          after: +os.loadavg()[0].toFixed(1),
        },
        fromCluster: cluster,
        fromCache: cache,
        ratio: {
          p50: +(cluster.latency.p50 / cache.latency.p50).toFixed(1),
          p95: +(cluster.latency.p95 / cache.latency.p95).toFixed(1),
          requestsPerSecond: +(
            cache.requestsPerSecond / cluster.requestsPerSecond
          ).toFixed(1),
        },
      }),
    );
    expect(times.cache).toHaveLength(CONCURRENCY * ROUNDS);
  });
});
