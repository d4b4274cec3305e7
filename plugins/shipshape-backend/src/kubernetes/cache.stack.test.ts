import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  kubectl,
  proxiedStagingConfig,
  readLocalStack,
  readStackKubernetes,
  testDeployment,
  testRollout,
  waitRolloutPhase,
} from '@internal/shipshape-test-utils';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import { componentWith } from '../rollout/__testUtils__/api';
import { apiProxy } from './__testUtils__/apiProxy';

jest.setTimeout(180_000);

// The rollout status served from the workload watches' cache: the plugin reads the stack's
// cluster through a proxy that counts the requests, so a status answered from the cache is seen
// to make no list request of the entity's objects; a change made with kubectl shows in the
// answer; a watch ended with 410 Expired lists again and catches up; a backend with the
// watches off answers the same from the cluster.
const NS = `shipshape-cache-${process.pid}`;
const ID = 'cache-svc';
const CANARY = 'cache-canary';
/** A canary whose release runs an analysis (an Argo AnalysisRun measured on Prometheus). */
const ANALYSED = 'cache-analysed';
const REPO = 'registry.example.test/shipshape/cache';
const OWNER = 'user:default/owner-user';
/**
 * Live reads of an entity's objects name its kubernetes-id in the label selector; a live read
 * of a Rollout's AnalysisRuns lists the namespace's, in one page (the watches' lists are paged).
 */
const LIVE = (url: string) =>
  url.includes('kubernetes-id=') ||
  (url.includes('/analysisruns') && !url.includes('limit='));
/** The watches' lists select every object with the label. */
const WATCHED = (url: string) =>
  /labelSelector=backstage.io\/kubernetes-id(&|$)/.test(url);

describe('rollout status from the workload watches', () => {
  const k = readStackKubernetes();
  let proxy: Awaited<ReturnType<typeof apiProxy>>;
  /** A cluster without the Argo Rollouts API (every argoproj.io path answers 404). */
  let noArgo: Awaited<ReturnType<typeof apiProxy>>;
  const backends: Array<{ server: any; stop(): Promise<void> }> = [];

  function config(watchWorkloads: boolean, url = proxy.url) {
    // plain HTTP to the test's proxy (the client refuses it otherwise)
    const data = proxiedStagingConfig(NS, url, { skipTLSVerify: true });
    (data.shipshape.kubernetes as any).watchWorkloads = watchWorkloads;
    // a loaded machine's live reads may take longer than the stack tests' usual 2 s
    data.shipshape.rollout.statusTimeoutSeconds = 10;
    return data;
  }

  async function start(watchWorkloads: boolean, url?: string) {
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config(watchWorkloads, url) }),
        mockServices.rootLogger.factory({ level: 'warn' }),
        catalogServiceMock.factory({
          entities: [
            componentWith(ID, { 'backstage.io/kubernetes-id': ID }),
            componentWith(CANARY, { 'backstage.io/kubernetes-id': CANARY }),
            componentWith(ANALYSED, {
              'backstage.io/kubernetes-id': ANALYSED,
            }),
          ],
        }),
      ],
    });
    backends.push(backend);
    return backend.server;
  }

  let cached: any;
  let live: any;

  async function status(server: any, name = ID) {
    const res = await request(server)
      .get(`/api/shipshape/entities/component/default/${name}/rollout`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(res.status).toBe(200);
    const [env] = res.body.environments;
    expect(env).toMatchObject({ environment: 'staging', status: 'ok' });
    return env.workloads;
  }

  /**
   * Reads the cached status until `check` passes; no read may list the entity's objects (unless
   * `relisting`: while a watch lists again, the status is read from the cluster).
   */
  async function cachedUntil(
    what: string,
    check: (workloads: any[]) => boolean,
    ms = 15_000,
    name = ID,
    relisting = false,
  ) {
    const before = proxy.lists(LIVE);
    const deadline = Date.now() + ms;
    let last: any[] = [];
    while (Date.now() < deadline) {
      last = await status(cached, name);
      if (check(last)) {
        if (!relisting) expect(proxy.lists(LIVE)).toBe(before);
        return last;
      }
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(
      `the cached status never showed ${what}; last: ${JSON.stringify(last)}`,
    );
  }

  const imageOf = (w: any) => w.current.images[0];

  /**
   * The cached and the live answer are the same once the cluster is quiet (a controller may
   * change the status between the two reads: read both again, for up to 10 s).
   */
  async function agree(name = ID) {
    let fromCache: any;
    let fromCluster: any;
    for (let i = 0; i < 50; i++) {
      fromCache = await status(cached, name);
      fromCluster = await status(live, name);
      if (JSON.stringify(fromCache) === JSON.stringify(fromCluster)) break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect(fromCache).toEqual(fromCluster);
    return fromCache;
  }

  beforeAll(async () => {
    kubectl(['create', 'namespace', NS]);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: ID,
        namespace: NS,
        kubernetesId: ID,
        image: `${REPO}:0`,
        replicas: 2,
      }),
    );
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        name: CANARY,
        namespace: NS,
        kubernetesId: CANARY,
        image: `${REPO}:0`,
        replicas: 2,
      }),
    );
    // its analysis: one measurement of a query that is always 1, on the stack's Prometheus
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: `${ANALYSED}-check`, namespace: NS },
        spec: {
          metrics: [
            {
              name: 'always-one',
              count: 1,
              successCondition: 'result[0] == 1',
              provider: {
                prometheus: {
                  address: readLocalStack().prometheus.url,
                  query: 'vector(1)',
                },
              },
            },
          ],
        },
      }),
    );
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        name: ANALYSED,
        namespace: NS,
        kubernetesId: ANALYSED,
        image: `${REPO}:0`,
        replicas: 2,
        steps: [
          { setWeight: 50 },
          { analysis: { templates: [{ templateName: `${ANALYSED}-check` }] } },
          { pause: {} },
        ],
      }),
    );
    kubectl(['-n', NS, 'rollout', 'status', `deploy/${ID}`, '--timeout=60s']);
    proxy = await apiProxy(k);
    cached = await start(true);
    live = await start(false);
    // synced: every kind listed, and its watch made (5 kinds)
    const deadline = Date.now() + 15_000;
    while (proxy.watches() < 5 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 100));
    }
    if (proxy.watches() < 5) {
      throw new Error(`the watches never started (${proxy.watches()} made)`);
    }
  });

  afterAll(async () => {
    await Promise.all(backends.map(b => b.stop()));
    await proxy?.close();
    await noArgo?.close();
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('answers from the cache what a live read answers, without listing', async () => {
    await cachedUntil(
      'two ready pods',
      ws => ws[0]?.pods.filter((p: any) => p.ready).length === 2,
    );
    const before = proxy.lists(LIVE);
    const fromCache = await status(cached);
    expect(proxy.lists(LIVE)).toBe(before);
    await status(live);
    // the backend with the watches off lists the Deployments, Pods and ReplicaSets
    expect(proxy.lists(LIVE)).toBeGreaterThanOrEqual(before + 3);
    expect(await agree()).toEqual(fromCache);
    expect(fromCache).toHaveLength(1);
    expect(fromCache[0]).toMatchObject({
      kind: 'Deployment',
      name: ID,
      replicas: { desired: 2 },
      phase: 'complete',
    });
  });

  it('an Argo Rollout is answered from the cache as from the cluster', async () => {
    await cachedUntil(
      'the canary healthy',
      ws => ws[0]?.phase === 'complete' && ws[0]?.pods.length === 2,
      60_000,
      CANARY,
    );
    const fromCache = await agree(CANARY);
    expect(fromCache[0]).toMatchObject({ kind: 'Rollout', name: CANARY });
  });

  it("a canary's AnalysisRun is answered from the cache as from the cluster, and followed", async () => {
    waitRolloutPhase(NS, ANALYSED, 'Healthy');
    await cachedUntil(
      'the analysed canary healthy, no run yet',
      ws => ws[0]?.phase === 'complete' && !ws[0].analysisRuns,
      30_000,
      ANALYSED,
    );
    kubectl([
      '-n',
      NS,
      'patch',
      'rollouts.argoproj.io',
      ANALYSED,
      '--type=json',
      '-p',
      JSON.stringify([
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: `${REPO}:1`,
        },
      ]),
    ]);
    // the run appears, measures and succeeds: each state heard by the watch, never listed live
    const [w] = await cachedUntil(
      'the analysis run successful and the canary paused after it',
      ws =>
        ws[0]?.phase === 'paused' &&
        ws[0].analysisRuns?.[0]?.phase === 'Successful',
      90_000,
      ANALYSED,
    );
    expect(w.analysisRuns).toHaveLength(1);
    expect(w.analysisRuns[0]).toMatchObject({
      revision: 2,
      metrics: [{ name: 'always-one', phase: 'Successful', value: '[1]' }],
    });
    const fromCache = await agree(ANALYSED);
    expect(fromCache[0].analysisRuns).toEqual(w.analysisRuns);
  });

  it('shows an image patched, a scale and a deleted pod from the cache', async () => {
    kubectl(['-n', NS, 'set', 'image', `deploy/${ID}`, `app=${REPO}:1`]);
    await cachedUntil(
      'the new image rolled out',
      ws =>
        imageOf(ws[0]) === `${REPO}:1` &&
        ws[0].phase === 'complete' &&
        ws[0].pods.length === 2 &&
        ws[0].pods.every((p: any) => p.revision === 'current'),
      60_000,
    );
    kubectl(['-n', NS, 'scale', `deploy/${ID}`, '--replicas=3']);
    await cachedUntil(
      'three pods',
      ws => ws[0].replicas.desired === 3 && ws[0].pods.length === 3,
      60_000,
    );
    const [w] = await status(cached);
    const gone = w.pods[0].name;
    kubectl(['-n', NS, 'delete', 'pod', gone, '--wait=false']);
    await cachedUntil(
      `pod ${gone} gone and replaced`,
      ws =>
        ws[0].pods.length === 3 &&
        ws[0].pods.every((p: any) => p.name !== gone),
      60_000,
    );
    expect((await agree())[0].pods).toHaveLength(3);
  });

  it('a watch ended with 410 Expired lists again and catches up', async () => {
    proxy.stallWatches();
    kubectl(['-n', NS, 'set', 'image', `deploy/${ID}`, `app=${REPO}:2`]);
    await new Promise(r => setTimeout(r, 1_500));
    // held watches: the cache has not heard of it (it is as stale as a quiet connection)
    expect(imageOf((await status(cached))[0])).toBe(`${REPO}:1`);
    const listsBefore = proxy.lists(WATCHED);
    expect(proxy.expireWatches()).toBeGreaterThanOrEqual(4);
    await cachedUntil(
      'the image patched while held',
      ws => imageOf(ws[0]) === `${REPO}:2`,
      15_000,
      ID,
      true,
    );
    // every kind listed again (no backoff after a 410) and watched again
    expect(proxy.lists(WATCHED)).toBeGreaterThanOrEqual(listsBefore + 4);
    await cachedUntil(
      'the rollout complete',
      ws => ws[0].phase === 'complete' && ws[0].pods.length === 3,
      60_000,
    );
    await agree();
  });

  it('a cluster without the Argo Rollouts API is served from the cache too', async () => {
    noArgo = await apiProxy(k, /^\/apis\/argoproj\.io\//);
    const server = await start(true, noArgo.url);
    const read = async () => {
      const res = await request(server)
        .get(`/api/shipshape/entities/component/default/${ID}/rollout`)
        .set('Authorization', mockCredentials.user.header(OWNER));
      expect(res.status).toBe(200);
      return res.body.environments[0];
    };
    // the Rollouts' list answers 404: an empty list, synced; the other three kinds list and watch
    for (let i = 0; noArgo.watches() < 3; i++) {
      if (i > 150) throw new Error('the watches never started');
      await new Promise(r => setTimeout(r, 100));
    }
    const before = noArgo.lists(LIVE);
    const env = await read();
    expect(noArgo.lists(LIVE)).toBe(before);
    expect(env.status).toBe('ok');
    expect(env.workloads).toEqual(await agree());
  });
});
