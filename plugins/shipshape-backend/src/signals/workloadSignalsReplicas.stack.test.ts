import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import signalsPlugin from '@backstage/plugin-signals-backend';
import { shipshapeEntityChannel } from '@shipshape/plugin-shipshape-common';
import {
  kubectl,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';
import { AddressInfo } from 'net';
import { shipshapePlugin } from '../plugin';
import {
  dropPrefixedDatabases,
  requirePostgres,
  signalsSubscribed,
} from '../__testUtils__/replicaDatabases';
import { componentWith } from '../rollout/__testUtils__/api';
import { SignalClient, signalClient } from './__testUtils__/signalClient';

jest.setTimeout(180_000);

// Two replicas of the portal on one PostgreSQL, each with the events backend. Only replica A
// watches the cluster (shipshape.kubernetes.watchWorkloads: false on B), so a browser connected
// to B can hear of a change made in the cluster only through the event bus: A's watch sees the
// kubectl patch, A publishes the entity's signal into its events service, the bus (table
// event_bus_events, LISTEN/NOTIFY) hands it to B's signals backend, which pushes it on B's
// websocket.
const NS = `shipshape-wsrep-${process.pid}`;
const ID = 'wsrep-svc';
const REF = `component:default/${ID}`;
const REPO = 'registry.example.test/shipshape/wsrep';

describe('workload signals across two replicas', () => {
  const pg = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
  const prefix = `shipshape_wsrep_${process.pid}_${Date.now()}_`;
  const backends: Array<{ server: any; stop(): Promise<void> }> = [];
  const clients: SignalClient[] = [];

  function replica(watchWorkloads: boolean) {
    const data = {
      // the bus's long poll answers within 2 s (default 55 s, which a stopping backend awaits)
      events: { useEventBus: 'always', notifyTimeoutMs: 2000 },
      backend: { database: { client: 'pg', connection: pg, prefix } },
      ...testConfig([{ name: 'staging', namespace: NS }]),
    };
    (data.shipshape.kubernetes as any).watchWorkloads = watchWorkloads;
    return startTestBackend({
      features: [
        shipshapePlugin,
        signalsPlugin,
        eventsServiceFactory,
        eventsPlugin,
        mockServices.rootConfig.factory({ data }),
        catalogServiceMock.factory({
          entities: [componentWith(ID, { 'backstage.io/kubernetes-id': ID })],
        }),
      ],
    });
  }

  beforeAll(() => {
    kubectl(['create', 'namespace', NS]);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: ID,
        namespace: NS,
        kubernetesId: ID,
        image: `${REPO}:0`,
        replicas: 1,
      }),
    );
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    await Promise.all(backends.map(b => b.stop()));
    kubectl(['delete', 'namespace', NS, '--wait=false']);
    if (pg) await dropPrefixedDatabases(pg, prefix);
  });

  it("a kubectl patch seen by replica A's watch reaches a page connected to replica B", async () => {
    requirePostgres(pg);
    // one after the other: the first one migrates the shared databases
    const a = await replica(true);
    backends.push(a);
    const b = await replica(false);
    backends.push(b);
    const port = (s: any) => (s.address() as AddressInfo).port;
    const onB = await signalClient(port(b.server), shipshapeEntityChannel(REF));
    const onA = await signalClient(port(a.server), shipshapeEntityChannel(REF));
    clients.push(onA, onB);
    // both signals backends subscribed on the bus (on their first poll)
    await signalsSubscribed(pg, prefix);
    // A's watches list at startup; a patch during that first list is not reported
    await new Promise(r => setTimeout(r, 2_000));
    expect(onB.received).toEqual([]);

    const t0 = Date.now();
    kubectl(['-n', NS, 'set', 'image', `deploy/${ID}`, `app=${REPO}:1`]);
    await onA.until(s => s.kind === 'rollout', 10_000);
    const local = Date.now() - t0;
    await onB.until(s => s.kind === 'rollout', 10_000);
    const remote = Date.now() - t0;
    expect(onB.received[0]).toEqual({ kind: 'rollout' });
    // eslint-disable-next-line no-console
    console.log(
      `kubectl set image -> signal: replica A (watching) ${local} ms, replica B (not watching) ${remote} ms`,
    );
  });
});
