import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import signalsPlugin from '@backstage/plugin-signals-backend';
import { shipshapeEntityChannel } from '@shipshape/plugin-shipshape-common';
import {
  kubectl,
  proxiedStagingConfig,
  readStackKubernetes,
  testConfig,
  testDeployment,
  testRollout,
} from '@internal/shipshape-test-utils';
import net, { AddressInfo } from 'net';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import { componentWith } from '../rollout/__testUtils__/api';
import { SignalClient, signalClient } from './__testUtils__/signalClient';

jest.setTimeout(180_000);

// The plugin with the real signals backend and events service, watching the stack's cluster
// through a TCP proxy the test can cut: an image patched with kubectl (outside the portal)
// reaches a websocket client subscribed to the entity's channel, as the browser's client is.
const NS = `shipshape-wsig-${process.pid}`;
const ID = 'wsig-svc';
const ORPHAN = 'wsig-orphan';
/** An Argo Rollout's service: a canary the stack's controller walks through its steps. */
const CANARY = 'wsig-canary';
const REF = `component:default/${ID}`;
/** A claim of the same kubernetes-id, in a namespace the environment does not run. */
const CLAIM = 'component:default/wsig-claim';
const REPO = 'registry.example.test/shipshape/wsig';
/** From the patch to the signal on the entity's channel (250 ms coalescing, the watch's delay). */
const BOUND_MS = 5_000;

/** A TCP proxy to the stack's API server that can cut every connection and refuse new ones. */
async function cuttableProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  let connections = 0;
  const server = net.createServer(client => {
    if (refusing) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    /** Cuts every open connection and refuses new ones until `restore()`. */
    cut() {
      refusing = true;
      sockets.forEach(s => s.destroy());
    },
    restore() {
      refusing = false;
    },
    close: () => {
      sockets.forEach(s => s.destroy());
      return new Promise(r => server.close(r));
    },
  };
}

describe('signals of workload changes made in the cluster', () => {
  const k = readStackKubernetes();
  const clients: SignalClient[] = [];
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let server: any;
  let stop: () => Promise<void>;
  let image = 0;

  /** Patches `name`'s image with kubectl; returns when it was sent. */
  function patch(name: string): number {
    image++;
    const t0 = Date.now();
    kubectl([
      '-n',
      NS,
      'set',
      'image',
      `deploy/${name}`,
      `app=${REPO}:${image}`,
    ]);
    return t0;
  }

  async function subscribe(ref: string) {
    const c = await signalClient(
      server.address().port,
      shipshapeEntityChannel(ref),
    );
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    kubectl(['create', 'namespace', NS]);
    for (const name of [ID, ORPHAN]) {
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name,
          namespace: NS,
          kubernetesId: name,
          image: `${REPO}:0`,
          replicas: 1,
        }),
      );
    }
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
    proxy = await cuttableProxy(new URL(k.url));
    const config = proxiedStagingConfig(NS, `https://127.0.0.1:${proxy.port}`, {
      caFile: k.caFile,
    });
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        signalsPlugin,
        eventsServiceFactory,
        mockServices.rootConfig.factory({
          data: { events: { useEventBus: 'never' }, ...config },
        }),
        catalogServiceMock.factory({
          entities: [
            componentWith(ID, { 'backstage.io/kubernetes-id': ID }),
            componentWith(CANARY, { 'backstage.io/kubernetes-id': CANARY }),
            componentWith('wsig-claim', {
              'backstage.io/kubernetes-id': ID,
              'backstage.io/kubernetes-namespace': 'elsewhere',
            }),
          ],
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
    // the watches list and connect at startup
    const deadline = Date.now() + 10_000;
    while (proxy.connections < 2 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    await stop?.();
    await proxy?.close();
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('an image patched with kubectl reaches the entity within the bound, not another claimant', async () => {
    const owner = await subscribe(REF);
    const claim = await subscribe(CLAIM);
    const t0 = patch(ID);
    await owner.until(s => s.kind === 'rollout', BOUND_MS);
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(BOUND_MS);
    // the message says only that the rollout changed
    expect(owner.received[0]).toEqual({ kind: 'rollout' });
    // wsig-claim names a namespace the environment does not run: its card reads nothing here
    await new Promise(r => setTimeout(r, 1_000));
    expect(claim.received).toEqual([]);
    // eslint-disable-next-line no-console
    console.log(`kubectl set image -> signal: ${ms} ms`);
  });

  it("an Argo Rollout's image patched with kubectl, and the controller's steps, are signalled", async () => {
    const canary = await subscribe(`component:default/${CANARY}`);
    image++;
    const t0 = Date.now();
    kubectl([
      '-n',
      NS,
      'patch',
      `rollout.argoproj.io/${CANARY}`,
      '--type',
      'json',
      '-p',
      JSON.stringify([
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: `${REPO}:${image}`,
        },
      ]),
    ]);
    await canary.until(s => s.kind === 'rollout', BOUND_MS);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    // the controller moves the canary on (weight, pause, promotion) without anyone in the portal
    await canary.until(() => canary.received.length >= 2, 20_000);
  });

  it('a workload whose kubernetes-id no entity has sends nothing and breaks nothing', async () => {
    const owner = await subscribe(REF);
    const orphan = await subscribe(`component:default/${ORPHAN}`);
    patch(ORPHAN);
    await new Promise(r => setTimeout(r, 2_000));
    expect(orphan.received).toEqual([]);
    expect(owner.received).toEqual([]);
    // the watch goes on
    patch(ID);
    await owner.until(s => s.kind === 'rollout', BOUND_MS);
    expect(orphan.received).toEqual([]);
  });

  it('a cut watch connection is made again; a change made while cut is signalled', async () => {
    const owner = await subscribe(REF);
    const before = proxy.connections;
    proxy.cut();
    await new Promise(r => setTimeout(r, 500));
    patch(ID); // while the cluster cannot be reached
    await new Promise(r => setTimeout(r, 1_500));
    expect(owner.received).toEqual([]);
    proxy.restore();
    // reconnected (backoff ~1-2 s), listed again: the change made meanwhile is reported
    await owner.until(s => s.kind === 'rollout', 10_000);
    expect(proxy.connections).toBeGreaterThan(before);
    // and watching again: the next patch is pushed within the bound
    const n = owner.received.length;
    const t0 = patch(ID);
    await owner.until(() => owner.received.length > n, BOUND_MS);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
  });

  it('a pod OOMKilled and restarted (only the pod changes) is signalled, and the card reads it at once', async () => {
    kubectl(['-n', NS, 'rollout', 'status', `deploy/${ID}`, '--timeout=60s']);
    await new Promise(r => setTimeout(r, 1_000)); // the rollout's last signals
    const owner = await subscribe(REF);
    const pod = kubectl([
      '-n',
      NS,
      'get',
      'pods',
      '-l',
      `app.kubernetes.io/name=${ID}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]).trim();
    const deploymentVersion = () =>
      kubectl([
        '-n',
        NS,
        'get',
        `deploy/${ID}`,
        '-o',
        'jsonpath={.metadata.resourceVersion}',
      ]);
    const before = deploymentVersion();
    // only the pod changes (its status, as the kubelet writes it; still ready, so neither its
    // ReplicaSet's nor its Deployment's counts change): the pods' watch tells
    const t0 = Date.now();
    kubectl([
      '-n',
      NS,
      'patch',
      `pod/${pod}`,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          containerStatuses: [
            {
              name: 'app',
              image: `${REPO}:${image}`,
              imageID: '',
              ready: true,
              started: true,
              restartCount: 3,
              state: { running: { startedAt: new Date().toISOString() } },
              lastState: {
                terminated: { reason: 'OOMKilled', exitCode: 137 },
              },
            },
          ],
        },
      }),
    ]);
    await owner.until(s => s.kind === 'rollout', BOUND_MS);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect(deploymentVersion()).toBe(before);
    // the re-read the signal prompts names the pod's error
    const res = await request(server)
      .get(`/api/shipshape/entities/component/default/${ID}/rollout`)
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    const pods = res.body.environments[0].workloads[0].pods;
    expect(pods.find((p: any) => p.name === pod)).toMatchObject({
      restarts: 3,
      ready: true,
      error: { reason: 'OOMKilled', container: 'app' },
    });
  });
});

describe('signals of workload changes in an environment of one namespace per service', () => {
  // The golden path's placement: the service's namespace is its kubernetes-id, so the whole
  // cluster is watched; a workload with the same label in another namespace is not its card's.
  const SVC = `wsig-ps-${process.pid}`;
  const OTHER = `${SVC}-other`;
  const clients: SignalClient[] = [];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    for (const namespace of [SVC, OTHER]) {
      kubectl(['create', 'namespace', namespace]);
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name: namespace,
          namespace,
          kubernetesId: SVC,
          image: `${REPO}:0`,
          replicas: 1,
        }),
      );
    }
    const backend = await startTestBackend({
      features: [
        shipshapePlugin,
        signalsPlugin,
        eventsServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            events: { useEventBus: 'never' },
            ...testConfig([{ name: 'services', namespacePerService: true }]),
          },
        }),
        catalogServiceMock.factory({
          entities: [componentWith(SVC, { 'backstage.io/kubernetes-id': SVC })],
        }),
      ],
    });
    stop = () => backend.stop();
    const c = await signalClient(
      (backend.server.address() as AddressInfo).port,
      shipshapeEntityChannel(`component:default/${SVC}`),
    );
    clients.push(c);
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    await stop?.();
    kubectl(['delete', 'namespace', SVC, OTHER, '--wait=false']);
  });

  it("a patch in the service's namespace is signalled; one in another namespace is not", async () => {
    const [svc] = clients;
    // the watches start with the backend; a patch during their first list is not reported
    await new Promise(r => setTimeout(r, 2_000));
    kubectl(['-n', OTHER, 'set', 'image', `deploy/${OTHER}`, `app=${REPO}:1`]);
    await new Promise(r => setTimeout(r, 2_000));
    expect(svc.received).toEqual([]);
    const t0 = Date.now();
    kubectl(['-n', SVC, 'set', 'image', `deploy/${SVC}`, `app=${REPO}:1`]);
    await svc.until(s => s.kind === 'rollout', BOUND_MS);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
  });
});
