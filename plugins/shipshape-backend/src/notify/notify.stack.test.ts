import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import {
  readLocalStack,
  stackPaymentsConnection,
} from '@internal/shipshape-test-utils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';

jest.setTimeout(120_000);

const stack = readLocalStack();
const PW_ENV = 'SHIPSHAPE_TEST_NOTIFY_PG_PASSWORD';
const OWNER = 'user:default/owner-user';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-notify-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'payments-api',
      namespace: 'default',
      annotations: { [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: 'payments-db' },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  },
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

describe('notifications of failed operations (real notifications backend)', () => {
  let server: any;
  const as = `Bearer ${mockCredentials.user.token(OWNER)}`;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        notificationsPlugin,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            shipshape: {
              backup: {
                binDir: stack.postgres.binDir,
                storage: { type: 'local', directory: dir },
                targets: [
                  {
                    name: 'payments-db',
                    connection: stackPaymentsConnection(PW_ENV),
                    allowedEntities: ['component:default/payments-api'],
                  },
                ],
              },
            },
          },
        }),
        catalogServiceMock.factory({ entities }),
      ],
    }));
  });

  /** Runs a backup of payments-api to its end; returns its status. */
  async function backup(): Promise<string> {
    const res = await request(server)
      .post('/api/shipshape/entities/component/default/payments-api/backups')
      .set('Authorization', as)
      .send({ reason: 'notification test' });
    expect(res.status).toBe(202);
    for (;;) {
      const op = await request(server)
        .get(`/api/shipshape/operations/${res.body.id}`)
        .set('Authorization', as);
      if (!['queued', 'running'].includes(op.body.status)) {
        return op.body.status;
      }
      await new Promise(r => setTimeout(r, 250));
    }
  }

  /** The owner's notifications, as the notifications backend serves them. */
  async function inbox(want: number, title: string) {
    for (let i = 0; ; i++) {
      const res = await request(server)
        .get('/api/notifications/notifications')
        .set('Authorization', as);
      expect(res.status).toBe(200);
      const list = res.body.notifications as Array<{
        payload: Record<string, string>;
      }>;
      if ((list.length === want && list[0]?.payload.title === title) || i > 40)
        return list;
      await new Promise(r => setTimeout(r, 250));
    }
  }

  it('tells the owning group of a failed backup once, then of the recovery, in one notification', async () => {
    process.env[PW_ENV] = 'wrong-Secret-1a2b3c';
    expect(await backup()).toBe('failed');
    expect(await backup()).toBe('failed');
    let list = await inbox(1, 'Backup of payments-api failed');
    expect(list).toHaveLength(1); // two failures, one notification (same scope)
    const failed = list[0].payload;
    expect(failed).toMatchObject({
      title: 'Backup of payments-api failed',
      link: '/catalog/default/component/payments-api',
      severity: 'high',
    });
    expect(failed.scope).toMatch(
      /^shipshape:backup:component:default\/payments-api:/,
    );
    expect(failed.description).toMatch(
      /^failed at .*password authentication failed/,
    );
    const text = JSON.stringify(failed);
    expect(text).not.toContain('wrong-Secret-1a2b3c');
    expect(text).not.toContain(`${stack.postgres.host}:${stack.postgres.port}`);
    expect(text).not.toContain(dir);

    process.env[PW_ENV] = stack.postgres.password;
    expect(await backup()).toBe('succeeded');
    list = await inbox(1, 'Backup of payments-api succeeded again');
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: 'Backup of payments-api succeeded again',
      severity: 'normal',
      scope: failed.scope,
    });
  });
});
