import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import express from 'express';
import request from 'supertest';
import { createOpenApiRouter } from '../schema/router';
import { createOperationsRouter } from './router';
import { OperationStore } from './store';
import { databases, migrated } from './__testUtils__/databases';

jest.setTimeout(60_000);

/** The operations routes behind the plugin's root router, which checks requests against openapi.yaml. */
function app(store: OperationStore, recheckMs: number) {
  const api = createOpenApiRouter();
  api.use(
    createOperationsRouter({
      store,
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
      catalog: catalogServiceMock({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name: 'x', namespace: 'default' },
            spec: {},
          },
        ],
      }),
      recheckMs,
    }),
  );
  return express().use(api).use(mockErrorHandler());
}

async function runningOperation(store: OperationStore, target: string) {
  const op = await store.create({
    kind: 'deploy',
    entityRef: 'component:default/x',
    target,
    requestedBy: 'user:default/a',
    input: {},
  });
  await store.claim(op.id, 'i1');
  return op;
}

/** Starts a long poll, writes a line `delayMs` later and measures when the answer arrives. */
async function lineLatency(
  server: express.Express,
  writer: OperationStore,
  id: string,
  after: number,
  message: string,
) {
  let writtenAt = 0;
  const writing = new Promise<void>(resolve =>
    setTimeout(async () => {
      writtenAt = Date.now();
      await writer.appendLog(id, 'info', message);
      resolve();
    }, 300),
  );
  const res = await request(server)
    .get(`/operations/${id}/log?after=${after}&wait=10`)
    .set('Authorization', mockCredentials.user.header());
  const latencyMs = Date.now() - writtenAt;
  await writing;
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    status: 'running',
    done: false,
    lines: [{ message }],
  });
  return { latencyMs, next: res.body.next as number };
}

/** The latencies of `count` lines written one after the other, each while a client waits. */
async function latenciesOf(
  count: number,
  server: express.Express,
  writer: OperationStore,
  id: string,
) {
  const latencies: number[] = [];
  let after = 0;
  for (let i = 0; i < count; i++) {
    const r = await lineLatency(server, writer, id, after, `line ${i}`);
    latencies.push(r.latencyMs);
    after = r.next;
  }
  return latencies;
}

function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${
    sorted[sorted.length - 1]
  } ms over ${sorted.length} lines`;
}

describe('GET /operations/:id/log?wait= (long poll)', () => {
  it.each(databases.eachSupportedId())(
    'answers as soon as this replica writes a line, on %p',
    async databaseId => {
      const store = OperationStore.create(await migrated(databaseId));
      // Re-reading the database only every 5 s: a fast answer must come from the event.
      const server = app(store, 5_000);
      const op = await runningOperation(store, 'local/a');
      const latencies = await latenciesOf(10, server, store, op.id);
      // eslint-disable-next-line no-console
      console.log(`same replica, ${databaseId}: ${summary(latencies)}`);
      expect(Math.max(...latencies)).toBeLessThan(1_000);
    },
  );

  it.each(databases.eachSupportedId())(
    'sees another replica’s line by re-reading the database, on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const writer = OperationStore.create(knex);
      // Another instance: its own events never fire for the writer's lines.
      const server = app(OperationStore.create(knex), 250);
      const op = await runningOperation(writer, 'local/b');
      const latencies = await latenciesOf(5, server, writer, op.id);
      // eslint-disable-next-line no-console
      console.log(`other replica, ${databaseId}: ${summary(latencies)}`);
      expect(Math.max(...latencies)).toBeLessThan(2_000);
    },
  );

  it.each(databases.eachSupportedId())(
    'ends when the operation ends, waits no longer than asked, and refuses a bad wait, on %p',
    async databaseId => {
      const store = OperationStore.create(await migrated(databaseId));
      const server = app(store, 5_000);
      const op = await runningOperation(store, 'local/c');
      const auth = mockCredentials.user.header();

      // Nothing happens: the answer comes after the wait, with no lines.
      let started = Date.now();
      const idle = await request(server)
        .get(`/operations/${op.id}/log?after=0&wait=0.5`)
        .set('Authorization', auth);
      expect(idle.body).toMatchObject({ done: false, lines: [], next: 0 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(3_000);

      // The operation finishes (without a log line) while the client waits.
      started = Date.now();
      setTimeout(() => {
        store.finish(op.id, 'succeeded', {}, 'done').catch(() => {});
      }, 300);
      const finished = await request(server)
        .get(`/operations/${op.id}/log?after=0&wait=10`)
        .set('Authorization', auth);
      expect(finished.body).toMatchObject({
        status: 'succeeded',
        done: true,
        lines: [],
      });
      expect(Date.now() - started).toBeLessThan(2_000);

      // A finished operation answers at once.
      started = Date.now();
      const again = await request(server)
        .get(`/operations/${op.id}/log?after=0&wait=10`)
        .set('Authorization', auth);
      expect(again.body.done).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_000);

      for (const wait of ['31', '-1', 'soon']) {
        const bad = await request(server)
          .get(`/operations/${op.id}/log?wait=${wait}`)
          .set('Authorization', auth);
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toMatch(
          /^Invalid request: query\.wait: /,
        );
      }
    },
  );
});
