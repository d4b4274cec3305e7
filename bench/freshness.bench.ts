/**
 * Measures, on the local stack's real cluster (not part of the normal test run):
 *  1. freshness: from `kubectl set image` on a service's Deployment to the rollout card's data
 *     showing the new image, side by side on the same patch (BENCH_RUNS, default 5):
 *     - endpoint: GET /entities/.../rollout asked every 100 ms (how soon the backend can tell);
 *     - polling: the card without signals, polling every 10 s from a random phase;
 *     - signals: the card with signals (re-reads on each rollout/operation signal of the entity,
 *       else polls every 60 s, SIGNALLED_POLL_MS), from a random phase; the signals the plugin
 *       publishes (from its watches of the cluster, shipshape.kubernetes.watchWorkloads) are
 *       recorded;
 *  2. the rollout endpoint under load: rounds of 20 concurrent requests for one entity (2
 *     environments, 1 Deployment each): per-request p50/p95 and requests per second.
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/freshness.bench.ts' --testTimeout 1800000
 *
 * Prints JSON lines with the figures.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import {
  shipshapeEntityChannel,
  ShipshapeSignal,
} from '@shipshape/plugin-shipshape-common';
import request from 'supertest';
import { kubectl, testConfig } from '@internal/shipshape-test-utils';
import { deployService, serviceEntity, stats } from './measure';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONCURRENCY = 20;
const NS = `shipshape-fresh-${process.pid}`;
const NS2 = `${NS}-b`;
const NAME = 'fresh-svc';
const REPO = 'registry.example.test/shipshape/fresh';
/** The rollout card's intervals (RolloutStatusCard, useEntitySignal's SIGNALLED_POLL_MS). */
const POLL_MS = 10_000;
const SIGNALLED_POLL_MS = 60_000;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('freshness and load of the rollout card', () => {
  const published: Array<{ at: number; channel: string; message: unknown }> =
    [];
  let server: any;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    deployService([NS, NS2], NAME, REPO);
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: testConfig([
            { name: 'staging', namespace: NS },
            { name: 'production', namespace: NS2 },
          ]),
        }),
        catalogServiceMock.factory({
          entities: [serviceEntity(NAME)],
        }),
        // every signal the plugin publishes, with when
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (m: { channel: string; message: unknown }) => {
              published.push({ at: performance.now(), ...m });
            },
          }),
        }),
      ],
    } as any);
    server = backend.server;
    stop = () => backend.stop();
    // The watches list, then watch, once the backend has started: a patch before that is in
    // their first list, which reports nothing. One unmeasured patch, until its signal.
    kubectl(['-n', NS, 'set', 'image', `deploy/${NAME}`, `app=${REPO}:warm`]);
    const channel = shipshapeEntityChannel(`component:default/${NAME}`);
    for (
      let i = 0;
      i < 300 && !published.some(p => p.channel === channel);
      i++
    ) {
      await sleep(100);
    }
  });

  afterAll(async () => {
    await stop?.();
    kubectl(['delete', 'namespace', NS, NS2, '--wait=false']);
  });

  const rollout = () =>
    request(server)
      .get(`/api/shipshape/entities/component/default/${NAME}/rollout`)
      .set('Authorization', mockCredentials.user.header());

  /** Whether the staging Deployment's answer names `image`. */
  async function shows(image: string): Promise<boolean> {
    const res = await rollout();
    expect(res.status).toBe(200);
    return JSON.stringify(
      res.body.environments.find((e: any) => e.environment === 'staging'),
    ).includes(image);
  }

  /** ms from t0 until a reader polling every `everyMs` (first at t0 + phase) sees `image`. */
  async function pollUntil(
    image: string,
    t0: number,
    phase: number,
    everyMs: number,
    signalled?: () => number,
  ): Promise<number> {
    let next = t0 + phase;
    let heard = 0;
    for (;;) {
      // each new signal makes the card re-read at once (useEntitySignal -> refresh)
      while (performance.now() < next && (signalled?.() ?? 0) <= heard) {
        await sleep(20);
      }
      heard = signalled?.() ?? 0;
      if (await shows(image)) return performance.now() - t0;
      if (performance.now() >= next) next += everyMs;
      if (performance.now() - t0 > 3 * SIGNALLED_POLL_MS) {
        throw new Error(`${image} not seen within ${3 * SIGNALLED_POLL_MS} ms`);
      }
    }
  }

  it('measures the freshness of an image patched with kubectl', async () => {
    const channel = shipshapeEntityChannel(`component:default/${NAME}`);
    const runs: object[] = [];
    const endpoint: number[] = [];
    const polling: number[] = [];
    const signalled: number[] = [];
    let signalsSeen = 0;
    for (let i = 1; i <= RUNS; i++) {
      const image = `${REPO}:${i}`;
      const before = published.length;
      const t0 = performance.now();
      kubectl(['-n', NS, 'set', 'image', `deploy/${NAME}`, `app=${image}`]);
      const gotSignal = () =>
        published
          .slice(before)
          .filter(
            p =>
              p.channel === channel &&
              ['rollout', 'operation'].includes(
                (p.message as ShipshapeSignal).kind,
              ),
          ).length;
      const [e, p, s] = await Promise.all([
        pollUntil(image, t0, 0, 100),
        pollUntil(image, t0, Math.random() * POLL_MS, POLL_MS),
        pollUntil(
          image,
          t0,
          Math.random() * SIGNALLED_POLL_MS,
          SIGNALLED_POLL_MS,
          gotSignal,
        ),
      ]);
      const signals = published
        .slice(before)
        .filter(x => x.channel === channel);
      signalsSeen += signals.length;
      endpoint.push(e);
      polling.push(p);
      signalled.push(s);
      runs.push({
        run: i,
        endpointMs: Math.round(e),
        pollingMs: Math.round(p),
        signalsMs: Math.round(s),
        signals: signals.length,
      });
    }
    // eslint-disable-next-line no-console
    console.log(
      JSON.stringify({
        bench: 'rollout-card-freshness',
        change: 'kubectl set image (outside the portal)',
        runs,
        endpoint: stats(endpoint),
        polling10s: stats(polling),
        signalsWith60sFallback: stats(signalled),
        signalsPublished: signalsSeen,
      }),
    );
    expect(endpoint).toHaveLength(RUNS);
  });

  it('answers 20 concurrent requests for one entity', async () => {
    await rollout(); // warm: the first request reads the clusters' discovery
    const times: number[] = [];
    const t0 = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          const s = performance.now();
          const res = await rollout();
          times.push(performance.now() - s);
          expect(res.status).toBe(200);
        }),
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    // eslint-disable-next-line no-console
    console.log(
      JSON.stringify({
        bench: 'rollout-endpoint-load',
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        environments: 2,
        latency: stats(times),
        requestsPerSecond: +(times.length / seconds).toFixed(1),
      }),
    );
    expect(times).toHaveLength(CONCURRENCY * ROUNDS);
  });
});
