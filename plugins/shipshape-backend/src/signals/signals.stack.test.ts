import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import signalsPlugin from '@backstage/plugin-signals-backend';
import {
  SHIPSHAPE_ANNOTATIONS,
  shipshapeEntityChannel,
} from '@shipshape/plugin-shipshape-common';
import {
  readLocalStack,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import {
  dropPrefixedDatabases,
  requirePostgres,
  signalsSubscribed,
} from '../__testUtils__/replicaDatabases';
import { componentWith } from '../rollout/__testUtils__/api';
import { SignalClient, signalClient } from './__testUtils__/signalClient';

jest.setTimeout(180_000);

// The shipshape plugin and the real signals backend in one test backend, over the real events
// service (one in-process bus): a backup of the stack's payments database, its signals read by
// a websocket client the way the browser's signals client reads them.
const stack = readLocalStack();
const PW_ENV = 'SHIPSHAPE_TEST_SIGNALS_PG_PASSWORD';
process.env[PW_ENV] = stack.postgres.password;
const OWNER = 'user:default/owner-user';
const REF = 'component:default/payments-api';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-signals-test-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(more: Record<string, unknown> = {}) {
  return {
    events: { useEventBus: 'never' },
    ...more,
    shipshape: {
      backup: {
        binDir: stack.postgres.binDir,
        storage: { type: 'local', directory: dir },
        targets: [
          {
            name: 'payments-db',
            connection: stackPaymentsConnection(PW_ENV),
            allowedEntities: [REF],
          },
        ],
      },
    },
  };
}

/** The test backend of a portal replica: shipshape, the signals backend, the events service. */
function replica(data: ReturnType<typeof config>, extra: any[] = []) {
  return startTestBackend({
    features: [
      shipshapePlugin,
      signalsPlugin,
      eventsServiceFactory,
      ...extra,
      mockServices.rootConfig.factory({ data }),
      catalogServiceMock.factory({
        entities: [
          componentWith('payments-api', {
            [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: 'payments-db',
          }),
          componentWith('orders-api'),
        ],
      }),
    ],
  });
}

/** Backs payments-api up through `server`'s API; returns the backup's (operation's) id. */
async function startBackup(server: any): Promise<string> {
  const started = await request(server)
    .post('/api/shipshape/entities/component/default/payments-api/backups')
    .set('Authorization', mockCredentials.user.header(OWNER))
    .send({ reason: 'signals test' });
  expect(started.status).toBe(202);
  return started.body.id;
}

describe('signals of a backup', () => {
  let server: any;
  const clients: SignalClient[] = [];

  beforeAll(async () => {
    ({ server } = await replica(config()));
  });

  afterAll(() => clients.forEach(c => c.close()));

  it('reach a subscribed page: each step, the end and the new grade; nothing secret', async () => {
    const port = server.address().port;
    const payments = await signalClient(port, shipshapeEntityChannel(REF));
    // Subscribed to another entity: hears nothing of payments-api.
    const orders = await signalClient(
      port,
      shipshapeEntityChannel('component:default/orders-api'),
    );
    clients.push(payments, orders);

    const id = await startBackup(server);

    const end = await payments.until(
      s => s.kind === 'backup' && s.id === id && s.status !== 'running',
    );
    expect(end).toEqual({
      kind: 'backup',
      id,
      status: 'succeeded',
      step: 'commit',
    });
    await payments.until(s => s.kind === 'grade');
    const backups = payments.received.filter(s => s.kind === 'backup');
    // the running backup's steps, in order (news within 250 ms is sent once, so some may merge)
    const steps = backups.map(s => s.step).filter(Boolean);
    expect(steps).toEqual([...steps].sort(byStepOrder));
    expect(backups.every(s => s.id === id)).toBe(true);
    // Only the fields a card needs, never a host, path, password or user name.
    const text = JSON.stringify(payments.received);
    for (const secret of [
      stack.postgres.password,
      stack.postgres.host,
      stack.postgres.user,
      dir,
    ]) {
      expect(text).not.toContain(secret);
    }
    for (const s of payments.received) {
      expect(
        Object.keys(s).every(k => ['kind', 'id', 'status', 'step'].includes(k)),
      ).toBe(true);
    }
    expect(orders.received).toEqual([]);
  });
});

// Two replicas of the portal on one PostgreSQL, each with the events backend: its event bus
// (table event_bus_events, LISTEN/NOTIFY) carries a signal published on one replica to the
// signals backend of the other, where the browser is connected.
describe('signals across two replicas', () => {
  const pg = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
  const prefix = `shipshape_signals_${process.pid}_${Date.now()}_`;
  const backends: Array<{ stop(): Promise<void> }> = [];
  const clients: SignalClient[] = [];

  afterAll(async () => {
    clients.forEach(c => c.close());
    await Promise.all(backends.map(b => b.stop()));
    if (pg) await dropPrefixedDatabases(pg, prefix);
  });

  it('a backup run on replica A reaches a page connected to replica B', async () => {
    requirePostgres(pg);
    const data = config({
      // the bus's long poll answers within 2 s (default 55 s, which a stopping backend awaits)
      events: { useEventBus: 'always', notifyTimeoutMs: 2000 },
      backend: { database: { client: 'pg', connection: pg, prefix } },
    });
    // one after the other: the first one migrates the shared databases
    const a = await replica(data, [eventsPlugin]);
    backends.push(a);
    const b = await replica(data, [eventsPlugin]);
    backends.push(b);
    const onB = await signalClient(
      (b.server.address() as any).port,
      shipshapeEntityChannel(REF),
    );
    const onA = await signalClient(
      (a.server.address() as any).port,
      shipshapeEntityChannel(REF),
    );
    clients.push(onA, onB);
    // B's signals backend reads the bus once its subscription is stored (on its first poll).
    await signalsSubscribed(pg, prefix);

    const id = await startBackup(a.server);
    const ended = (s: { kind: string; id?: string; status?: string }) =>
      s.kind === 'backup' && s.id === id && s.status === 'succeeded';
    const t0 = Date.now();
    await onA.until(ended);
    const local = Date.now() - t0;
    await onB.until(ended);
    const remote = Date.now() - t0;
    // B hears what A published, once each: the bus does not echo A's signals back to A
    expect(onB.received.filter(ended)).toHaveLength(1);
    expect(onA.received.filter(ended)).toHaveLength(1);
    // eslint-disable-next-line no-console
    console.log(
      `backup end signal: replica A after ${local} ms, replica B after ${remote} ms`,
    );
  });
});

const STEP_ORDER = ['dump', 'upload', 'verify', 'commit'];
function byStepOrder(a?: string, b?: string) {
  return STEP_ORDER.indexOf(a!) - STEP_ORDER.indexOf(b!);
}
