import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import request from 'supertest';
import { shipshapePlugin } from '../../plugin';

/** The member of the owning group `team-a`, who reads the group's notifications. */
export const OWNER = 'user:default/owner-user';

/** A notification as the notifications backend serves it. */
export type Notification = { payload: Record<string, string> };

const team: Entity[] = [
  {
    apiVersion: 'backstage.io/v1',
    kind: 'Group',
    metadata: { name: 'team-a', namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: [{ type: 'hasMember', targetRef: OWNER }],
  },
  {
    apiVersion: 'backstage.io/v1',
    kind: 'User',
    metadata: { name: 'owner-user', namespace: 'default' },
    spec: {},
  },
];

/**
 * The shipshape plugin beside the real notifications backend, over `entities` (owned by
 * `team-a`, which this adds with its member OWNER) and the plugin's `config`. Scheduled tasks
 * run only when a test runs them (`task`); the notifications backend's cleaner never does.
 */
export async function startNotifyBackend(opts: {
  entities: Entity[];
  config: JsonObject;
}) {
  const scheduler = mockServices.scheduler.mock({
    createScheduledTaskRunner: () => ({ run: async () => {} }),
  });
  const { server } = await startTestBackend({
    features: [
      scheduler.factory,
      shipshapePlugin,
      notificationsPlugin,
      mockServices.rootConfig.factory({
        data: { app: { baseUrl: 'http://localhost:3000' }, ...opts.config },
      }),
      catalogServiceMock.factory({ entities: [...opts.entities, ...team] }),
    ],
  });
  const as = `Bearer ${mockCredentials.user.token(OWNER)}`;
  return {
    server,
    /** Requests an operation as OWNER (a POST under /api/shipshape) and waits for its end. */
    async operation(
      url: string,
      body: object,
    ): Promise<{ id: string; status: string }> {
      const res = await request(server)
        .post(`/api/shipshape${url}`)
        .set('Authorization', as)
        .send(body);
      expect(res.status).toBe(202);
      for (;;) {
        const op = await request(server)
          .get(`/api/shipshape/operations/${res.body.id}`)
          .set('Authorization', as);
        if (!['queued', 'running'].includes(op.body.status)) return op.body;
        await new Promise(r => setTimeout(r, 250));
      }
    },
    /** A GET under /api/shipshape as OWNER. */
    get: (url: string) =>
      request(server).get(`/api/shipshape${url}`).set('Authorization', as),
    /** OWNER's notifications once `ready` holds of them (or after `seconds`). */
    async inbox(
      ready: (list: Notification[]) => boolean,
      seconds = 20,
    ): Promise<Notification[]> {
      const end = Date.now() + seconds * 1000;
      for (;;) {
        const res = await request(server)
          .get('/api/notifications/notifications')
          .set('Authorization', as);
        expect(res.status).toBe(200);
        const list = res.body.notifications as Notification[];
        if (ready(list) || Date.now() > end) return list;
        await new Promise(r => setTimeout(r, 250));
      }
    },
    /** Runs the plugin's scheduled task `id` once, as the scheduler would. */
    async task(id: string) {
      const task = scheduler.scheduleTask.mock.calls
        .map(([t]) => t)
        .find(t => t.id === id);
      if (!task) throw new Error(`no scheduled task ${id}`);
      await task.fn(new AbortController().signal);
    },
  };
}
