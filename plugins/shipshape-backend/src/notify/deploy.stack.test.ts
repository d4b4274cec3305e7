import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  createServiceNamespace,
  kubectl,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import { componentWith } from '../rollout/__testUtils__/api';

jest.setTimeout(180_000);

// A deploy that stalls in the stack's cluster is rolled back by the engine; the owning group
// hears of it through the real notifications backend, and of the next good deploy in the same
// notification.
const NS = `shipshape-notify-${process.pid}`;
const OWNER = 'user:default/owner-user';
const REPO = 'registry.example.test/shipshape/notify-demo';

const entities: Entity[] = [
  componentWith('notify-app', { 'backstage.io/kubernetes-id': 'notify-app' }),
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

describe('notifications of deploys (real notifications backend, stack cluster)', () => {
  let server: any;
  const as = `Bearer ${mockCredentials.user.token(OWNER)}`;

  beforeAll(async () => {
    createServiceNamespace(NS);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: 'notify-app',
        namespace: NS,
        kubernetesId: 'notify-app',
        image: `${REPO}:1.0.0`,
      }),
    );
    kubectl([
      '-n',
      NS,
      'rollout',
      'status',
      'deploy/notify-app',
      '--timeout=60s',
    ]);
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        notificationsPlugin,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            ...testConfig([{ name: 'test', namespace: NS }]),
          },
        }),
        catalogServiceMock.factory({ entities }),
      ],
    }));
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  async function deploy(image: string): Promise<string> {
    const res = await request(server)
      .post('/api/shipshape/entities/component/default/notify-app/deploy')
      .set('Authorization', as)
      .send({ environment: 'test', image, reason: 'notification test' });
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

  async function inbox(title: string) {
    for (let i = 0; ; i++) {
      const res = await request(server)
        .get('/api/notifications/notifications')
        .set('Authorization', as);
      expect(res.status).toBe(200);
      const list = res.body.notifications as Array<{
        payload: Record<string, string>;
      }>;
      if (list.some(n => n.payload.title === title) || i > 40) return list;
      await new Promise(r => setTimeout(r, 250));
    }
  }

  it('tells the owning group of an automatic rollback, then of the next good deploy, in one notification', async () => {
    expect(await deploy(`${REPO}:2.0.0-bad`)).toBe('rolled-back');
    const rolledBack =
      'Deploy of notify-app in test was rolled back automatically';
    let list = await inbox(rolledBack);
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: rolledBack,
      link: '/catalog/default/component/notify-app',
      severity: 'high',
      topic: 'shipshape-deploy',
    });
    expect(list[0].payload.description).toMatch(/ProgressDeadlineExceeded/);
    expect(list[0].payload.description).toMatch(/rolled back to revision/);
    const scope = list[0].payload.scope;
    expect(scope).toMatch(/^shipshape:deploy:component:default\/notify-app:/);

    expect(await deploy(`${REPO}:1.1.0`)).toBe('succeeded');
    const again = 'Deploy of notify-app in test succeeded again';
    list = await inbox(again);
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: again,
      severity: 'normal',
      scope,
    });
    expect(list[0].payload.description).toMatch(/^Recovered: /);
  });
});
